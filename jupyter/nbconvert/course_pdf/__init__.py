"""nbconvert preprocessors of the course's PDF export, switched on in jupyter_nbconvert_config.py."""
from .page_setup import PageSetup
from .progress_bars import ProgressBars

__all__ = ["PageSetup", "ProgressBars"]

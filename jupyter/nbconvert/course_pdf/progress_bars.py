"""Progress bars in an exported notebook as they ended, not as they started.

In a notebook, tqdm (tqdm.auto) draws its bar as a widget: an ipywidgets HBox of a label, a progress bar and a
label, updated while the loop runs. An exported notebook cannot run widgets, so it shows the output's text
fallback, which tqdm wrote once, when the bar was created: "epochs:   0%|          | 0/100 [00:00<?, ?it/s]".

The last state of every widget is kept in the notebook's metadata,
metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"], keyed by the widget's model id, when the
notebook was run by `jupyter nbconvert --execute` (nbclient saves it) or saved by JupyterLab with the setting
"Save Widget State Automatically" on. From it this preprocessor writes the bar as it ended, in tqdm's format:
"epochs: 100%|██████████| 100/100 [00:01<00:00, 95.21it/s]".

A bar is removed instead when tqdm hid it at the end of its loop (`leave=False`, as `utils.fit` does: the
notebook did not show it either) or when its state was not saved (nothing says how far it got, and a frozen
0% would say that the loop never ran). Widgets other than progress bars are left as they are.
"""
import html
import re

from nbconvert.preprocessors import Preprocessor

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# tqdm's text fallback, to recognise a bar whose state is missing: "epochs:   0%|   | 0/100" or "items: 0it ["
TQDM_TEXT = re.compile(r"\d+%\||\d+it \[")
TQDM_MODELS = [["HTMLModel", progress, "HTMLModel"] for progress in ("FloatProgressModel", "IntProgressModel")]
PROGRESS_MAX = 100  # ipywidgets' default, which JupyterLab leaves out of the state it saves (as every default)
BAR_WIDTH = 10  # characters: tqdm's width when it does not know the width of the line
BLOCKS = " ▏▎▍▌▋▊▉█"  # a character cell filled by eighths, as tqdm draws them


class ProgressBars(Preprocessor):
    """Give every tqdm widget output the text of its finished bar, from the saved widget state, or drop it."""

    def preprocess(self, nb, resources):
        models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [output for output in cell.outputs if self.finish(output, models)]
        return nb, resources

    def finish(self, output, models):
        """Write the finished bar into a tqdm output's text; False if the output is to be dropped."""
        view = output.get("data", {}).get(WIDGET_VIEW)
        if view is None:
            return True
        box = models.get(view.get("model_id"))
        if box is None:
            return not TQDM_TEXT.search(str(output.data.get("text/plain", "")))
        children = [models.get(model_id(child), {}) for child in state(box).get("children", [])]
        if [child.get("model_name") for child in children] not in TQDM_MODELS:
            return True
        layout = state(models.get(model_id(state(box).get("layout")), {}))
        if layout.get("visibility") == "hidden" or layout.get("display") == "none":
            return False
        left, progress, right = map(state, children)
        total = progress.get("max", PROGRESS_MAX) - progress.get("min", 0)
        fraction = (progress.get("value", 0) - progress.get("min", 0)) / total if total > 0 else 1.0
        output.data["text/plain"] = f"{label(left)}|{bar(fraction)}|{label(right)}"
        return True


def state(widget):
    """The attributes of a saved widget, {"model_name": ..., "state": {...}}: all of them as nbclient saves them,
    only those that differ from their defaults as JupyterLab does."""
    return widget.get("state", {})


def model_id(reference):
    """The model id in a widget's reference to another widget, "IPY_MODEL_<id>"."""
    return str(reference).removeprefix("IPY_MODEL_")


def label(attributes):
    """The text of tqdm's HTML label: tqdm escapes it and writes its spaces as figure spaces (U+2007)."""
    return html.unescape(attributes.get("value", "")).replace("\u2007", " ")


def bar(fraction):
    """The bar as tqdm writes it: "████▍     " for 0.45."""
    full, eighths = divmod(int(min(max(fraction, 0.0), 1.0) * BAR_WIDTH * 8), 8)
    if full == BAR_WIDTH:
        return BLOCKS[-1] * BAR_WIDTH
    return BLOCKS[-1] * full + BLOCKS[eighths] + " " * (BAR_WIDTH - full - 1)

"""The lecture notebooks in notebooks/: each runs from top to bottom in a fresh kernel without an error and
without anything on stderr (no warning), draws its figures with a title and labelled axes, and is committed
without outputs. Every *.ipynb in the folder is covered, so a new notebook is tested without touching this file.

A notebook that imports PyTorch (the optional extra that `python3 tasks.py setup` installs) is skipped where torch is
missing, except in CI (CI=true), where it fails: CI runs every lecture notebook.
"""
import importlib.util
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [path.stem for path in NOTEBOOKS]

# Run first in the kernel (of a temporary copy only). Every figure a notebook shows passes through
# FigureCanvasBase.print_figure on its way to a PNG; there we check its titles and axis labels and report a
# missing one on stderr, which the test below turns into a failure with the message.
FIGURE_CHECK = '''\
import sys as _sys
from matplotlib.backend_bases import FigureCanvasBase as _Canvas


def _figure_problems(figure):
    """What a reader would miss in this figure: a title or an axis label of any plot in it."""
    suptitle = figure.get_suptitle()
    plots = [ax for ax in figure.axes if ax.axison and getattr(ax, "_colorbar", None) is None]
    if not plots:  # image grids with their axes turned off: the figure needs a title of its own
        return [] if suptitle else ["a figure without axes and without a suptitle"]
    problems = []
    for ax in plots:
        missing = [name for name, text in [("title", ax.get_title() or suptitle),
                                           ("x label", ax.get_xlabel()), ("y label", ax.get_ylabel())]
                   if not text.strip()]
        if missing:
            problems.append(f"plot {ax.get_title()!r} has no {', no '.join(missing)}")
    return problems


_print_figure = _Canvas.print_figure


def _checked_print_figure(self, *args, **kwargs):
    for problem in _figure_problems(self.figure):
        print(f"FIGURE CHECK: {problem}", file=_sys.stderr)
    return _print_figure(self, *args, **kwargs)


_Canvas.print_figure = _checked_print_figure
'''


@pytest.fixture(scope="module", autouse=True)
def matplotlib_font_cache():
    """Build matplotlib's font cache here, once: a kernel that builds it logs a warning on its stderr."""
    import matplotlib.font_manager  # noqa: F401  (importing it is what builds the cache)


def execute(path, workdir):
    """Execute a copy of the notebook at `path` inside `workdir`, with FIGURE_CHECK run first.

    Returns the executed notebook without the check cell. Raises CellExecutionError if a cell fails.
    """
    copy = Path(shutil.copy(path, workdir))
    nb = nbformat.read(copy, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(FIGURE_CHECK))
    ExecutePreprocessor(timeout=300, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(workdir)}})
    nb.cells.pop(0)
    return nb


def output_problems(nb):
    """Everything a reader should not see in an executed notebook: errors and text on stderr, per cell."""
    problems = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"cell {index}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {index} wrote to stderr: {output.text.strip()}")
    return problems


def image_outputs(nb):
    return sum("image/png" in output.get("data", {}) for cell in nb.cells for output in cell.get("outputs", []))


def draws_figures(nb):
    """A notebook that uses matplotlib, seaborn or utils.plots is expected to show at least one figure."""
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    return any(library in code for library in ("matplotlib", "seaborn", "utils.plots"))


@pytest.fixture
def inline_figures(monkeypatch):
    """Kernels draw inline PNGs: a backend chosen in the environment (MPLBACKEND=Agg) would show nothing."""
    monkeypatch.delenv("MPLBACKEND", raising=False)


def needs_torch(path):
    """Whether a notebook imports PyTorch, in any code cell."""
    cells = nbformat.read(path, as_version=4).cells
    return any(re.search(r"^\s*(import|from) torch\b", cell.source, re.MULTILINE)
               for cell in cells if cell.cell_type == "code")


def in_ci():
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def require_torch(path):
    """Skip a notebook that needs PyTorch where it is not installed; in CI, fail instead."""
    if needs_torch(path) and importlib.util.find_spec("torch") is None:
        message = f"{path.name} needs PyTorch, which is not installed: python3 tasks.py setup installs it"
        if in_ci():
            pytest.fail(message + " (in CI every lecture notebook must run)")
        pytest.skip(message)


def test_the_notebook_folder_is_found():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_cleanly(path, tmp_path, inline_figures):
    require_torch(path)
    nb = execute(path, tmp_path)
    problems = output_problems(nb)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    if draws_figures(nb):
        assert image_outputs(nb) > 0, f"{path.name} uses a plotting library but shows no figure"


@pytest.mark.slow
def test_the_checks_catch_stderr_and_untitled_plots(tmp_path, inline_figures):
    """The checks above can fail: a notebook that warns and draws an unlabelled plot is reported."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import warnings\nwarnings.warn('something is off')"),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
                                  "ax.plot([1, 2, 3])\nax.set_xlabel('x')\nplt.show()"),
    ]
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    executed = execute(path, run_dir)
    problems = output_problems(executed)
    assert any("cell 0" in p and "something is off" in p for p in problems), problems
    assert any("cell 1" in p and "FIGURE CHECK" in p and "no title, no y label" in p for p in problems), problems
    assert draws_figures(executed) and image_outputs(executed) == 1


def test_a_notebook_without_its_pytorch_is_skipped_but_fails_in_ci(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("try:\n    import torch\nexcept ModuleNotFoundError:\n    raise")]
    path = tmp_path / "uses_torch.ipynb"
    nbformat.write(nb, path)
    assert needs_torch(path) and not needs_torch(NOTEBOOK_DIR / "01_backpropagation.ipynb")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "torch" else real_find_spec(name))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_torch(path)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="needs PyTorch"):
        require_torch(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_committed_clean(path):
    """Valid nbformat 4, no outputs or execution counts, no nbgrader metadata (lectures are not graded)."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        assert "nbgrader" not in cell.metadata, f"{path.name} cell {index} has nbgrader metadata"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has committed outputs: clear them"
            assert cell.execution_count is None, f"{path.name} cell {index} has an execution count: clear it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_opens_with_goals_and_running_time(path):
    """The first cell tells the reader what they will learn and how long the notebook takes to run."""
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    assert "What you will learn" in first.source and "Running time" in first.source, first.source[:200]

"""PDF export read back as a person would: `jupyter nbconvert --to pdf` and `python3 tasks.py pdf` with the
project's Jupyter config, its preprocessors, and the instructors' feedback PDFs. (JupyterLab's menu export is
tested in test_browser.py.)"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.feedback_pdf import feedback_to_pdf

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted(ROOT.glob("solutions/*/*.ipynb"))
sys.path.append(str(ROOT / "jupyter" / "nbconvert"))  # where jupyter_nbconvert_config.py finds its preprocessors
from course_pdf import PageSetup, ProgressBars  # noqa: E402

pytestmark = pytest.mark.pdf
A4, LETTER = "595.28 x 841.89 pts (A4)", "612 x 792 pts (letter)"  # pdfinfo's "Page size"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def nbconvert_pdf(notebook, env, *options):
    """Run `jupyter nbconvert --to pdf` as a student would, with the project's Jupyter config; return the PDF."""
    result = subprocess.run(["jupyter", "nbconvert", "--to", "pdf", *options, notebook.name],
                            cwd=notebook.parent, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return notebook.with_suffix(".pdf")


@pytest.fixture
def latex_tools(require_program):
    for program, package in [("xelatex", "texlive-xetex"), ("pandoc", "pandoc"), ("pdftotext", "poppler-utils")]:
        require_program(program, package)


def tasks_pdf(notebook, env, *options):
    """Run `python3 tasks.py pdf NOTEBOOK OPTIONS` as the README gives it; return the PDF written beside it."""
    result = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "pdf", str(notebook), *options],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return notebook.with_suffix(".pdf")


def page_size(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return re.search(r"^Page size:\s+(.+)$", info, flags=re.M).group(1).strip()


def lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


def with_progress_bars_and_a_subheading(notebook):
    """Add to a notebook a tqdm bar that stays, utils.fit (whose bar tqdm hides at the end) and a ### heading."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells += [
        nbformat.v4.new_code_cell("from tqdm.auto import trange\n\nfor _ in trange(20, desc=\"steps\"):\n    pass"),
        nbformat.v4.new_markdown_cell("### Training a network\n\nutils.fit shows its bar only while it trains."),
        nbformat.v4.new_code_cell("from utils import BinaryCrossEntropy, fit, logic_gate, make_mlp\n\n"
                                  "x, y = logic_gate(\"XOR\")\n"
                                  "history = fit(make_mlp([2, 3, 1], seed=0), x, y, BinaryCrossEntropy(), epochs=5)"),
    ]
    nbformat.write(nb, notebook)


def assert_course_layout(text, heading):
    """The PDF text: the notebook's heading as its title (once), no section numbers, finished bars only."""
    assert lines(text)[0] == heading, f"the title is {lines(text)[0]!r}, not the notebook's first heading"
    assert lines(text).count(heading) == 1, "the first heading is printed twice, as the title and above the text"
    assert not re.search(r"^\d+(\.\d+)+$", text, flags=re.M), "headings are numbered (1.0.1)"
    before = lines(text)[lines(text).index("Training a network") - 1]
    assert not re.fullmatch(r"[\d.]+", before), f"the heading is numbered {before!r}"
    assert not re.search(r"(?<!\d)0%\|", text), "a progress bar is frozen at 0%"
    assert "steps: 100%|██████████| 20/20" in text, "the finished bar is missing"
    assert "epochs:" not in text, "fit's bar, which tqdm hides when training ends, is in the PDF"


@pytest.mark.slow
def test_cli_pdf_has_heading_greek_math_plot_and_long_lines(tmp_path, latex_tools, jupyter_env, read_pdf,
                                                           write_demo_assignment, assert_readable_pdf):
    source = write_demo_assignment(tmp_path)
    notebook = tmp_path / "demo.ipynb"
    shutil.copy(source, notebook)
    with_progress_bars_and_a_subheading(notebook)

    pdf = tasks_pdf(notebook, jupyter_env, "--execute")

    facts = read_pdf(pdf)
    assert_readable_pdf(facts, nbformat.read(notebook, as_version=4))
    assert facts.images >= 1, "the plot is not embedded"
    assert {"η", "λ", "∂"} <= set(facts.text)
    assert_course_layout(facts.text, "One gradient step")
    assert page_size(pdf) == A4
    assert re.fullmatch(r"\w+ \d+, \d{4}", lines(facts.text)[1]), "no name set, yet a line between title and date"


@pytest.mark.slow
def test_cli_pdf_of_an_executed_notebook_with_name_and_paper(tmp_path, latex_tools, jupyter_env, read_pdf,
                                                           write_demo_assignment):
    """A notebook run and saved first (its widget state saved), then exported: with --name and --paper, and
    as JupyterLab's menu does, with the name in the notebook's metadata and the paper from the environment."""
    notebook = tmp_path / "demo.ipynb"
    shutil.copy(write_demo_assignment(tmp_path), notebook)
    with_progress_bars_and_a_subheading(notebook)
    subprocess.run(["jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace", notebook.name],
                   cwd=tmp_path, env=jupyter_env, check=True, capture_output=True, timeout=600)

    pdf = tasks_pdf(notebook, jupyter_env, "--name", "Ada Lovelace", "--paper", "letter")

    text = read_pdf(pdf).text
    assert_course_layout(text, "One gradient step")
    assert lines(text)[1] == "Ada Lovelace", f"no name under the title: {lines(text)[:3]}"
    assert page_size(pdf) == LETTER

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["authors"] = [{"name": "Grace Hopper"}]
    nbformat.write(nb, notebook)
    pdf = nbconvert_pdf(notebook, dict(jupyter_env, COURSE_PDF_PAPER="letter"))

    text = read_pdf(pdf).text
    assert lines(text)[1] == "Grace Hopper", f"no name under the title: {lines(text)[:3]}"
    assert page_size(pdf) == LETTER


def tqdm_output(model_id, text="epochs:   0%|          | 0/100 [00:00<?, ?it/s]"):
    """A display_data output as tqdm.auto leaves it in a notebook: a widget view and its text at creation."""
    view = {"model_id": model_id, "version_major": 2, "version_minor": 0}
    return nbformat.v4.new_output("display_data", data={WIDGET_VIEW: view, "text/plain": text})


def tqdm_state(model_id, left, value, total, right, hidden=False):
    """The widget state of a tqdm bar, HBox(HTML, FloatProgress, HTML), as JupyterLab saves it: only the
    attributes that differ from their defaults (nbclient saves them all, see the CLI tests)."""
    def model(name, **state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls", "model_module_version": "2.0.0",
                "state": state}
    ids = [f"{model_id}-{part}" for part in ("left", "bar", "right", "layout")]
    progress = {"value": value, "bar_style": "success"} | ({} if total == 100 else {"max": total})
    return {
        model_id: model("HBoxModel", children=[f"IPY_MODEL_{i}" for i in ids[:3]], layout=f"IPY_MODEL_{ids[3]}"),
        ids[0]: model("HTMLModel", value=left.replace(" ", "\u2007")),
        ids[1]: model("FloatProgressModel", **progress),
        ids[2]: model("HTMLModel", value=right.replace(" ", "\u2007").replace("<", "&lt;")),
        ids[3]: model("LayoutModel", **({"visibility": "hidden"} if hidden else {})),
    }


def test_progress_bars_are_shown_as_they_ended_or_left_out():
    nb = nbformat.v4.new_notebook()
    slider = nbformat.v4.new_output("execute_result", data={WIDGET_VIEW: {"model_id": "slider"},
                                                            "text/plain": "IntSlider(value=3)"})
    nb.cells = [nbformat.v4.new_code_cell("loop()", outputs=[tqdm_output("done"), nbformat.v4.new_output(
                    "stream", name="stdout", text="trained\n")]),
                nbformat.v4.new_code_cell("stopped()", outputs=[tqdm_output("stopped", "steps:   0%|   | 0/8")]),
                nbformat.v4.new_code_cell("fit()", outputs=[tqdm_output("hidden")]),
                nbformat.v4.new_code_cell("unsaved()", outputs=[tqdm_output("not-saved")]),
                nbformat.v4.new_code_cell("slider", outputs=[slider])]
    state = {**tqdm_state("done", "epochs: 100%", 100, 100, " 100/100 [00:01<00:00, 95.21it/s]"),
             **tqdm_state("stopped", "steps:  37%", 3, 8, " 3/8 [00:01<00:02, 2.50it/s]"),
             **tqdm_state("hidden", "epochs:   0%", 5, 5, " 0/5 [00:00<?, ?it/s]", hidden=True),
             "slider": {"model_name": "IntSliderModel", "state": {"value": 3}}}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state, "version_major": 2,
                                                                            "version_minor": 0}}

    nb, _ = ProgressBars().preprocess(nb, {})

    shown = [[out.get("data", {}).get("text/plain", out.get("text")) for out in cell.outputs] for cell in nb.cells]
    assert shown == [["epochs: 100%|██████████| 100/100 [00:01<00:00, 95.21it/s]", "trained\n"],
                     ["steps:  37%|███▊      | 3/8 [00:01<00:02, 2.50it/s]"],
                     [], [], ["IntSlider(value=3)"]]


def test_page_setup_takes_the_title_from_the_first_heading_and_the_name_and_paper_from_its_options():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Assignment 1: Gradient descent\n\nIn this assignment"),
                nbformat.v4.new_markdown_cell("## Question 1")]
    nb.metadata["authors"] = [{"name": "Grace Hopper"}]

    nb, resources = PageSetup().preprocess(nb, {})

    assert nb.metadata["title"] == "Assignment 1: Gradient descent"
    assert nb.cells[0].source == "In this assignment", "the title stays in the text too"
    assert nb.metadata["authors"] == [{"name": "Grace Hopper"}] and resources["paper"] == "a4paper"

    nb.metadata["title"] = "My own title"
    nb, resources = PageSetup(author="Ada Lovelace", paper="Letter").preprocess(nb, {})
    assert nb.metadata["title"] == "My own title" and nb.cells[1].source == "## Question 1"
    assert nb.metadata["authors"] == [{"name": "Ada Lovelace"}] and resources["paper"] == "letterpaper"


@pytest.mark.slow
@pytest.mark.parametrize("solution", SOLUTIONS or [None], ids=lambda path: path.parent.name if path else "none")
def test_cli_pdf_of_each_solution_notebook(solution, tmp_path, latex_tools, jupyter_env, read_pdf,
                                           assert_readable_pdf):
    if solution is None:
        message = "no notebooks in solutions/: run `python3 tasks.py release` first"
        pytest.fail(message) if os.environ.get("CI", "").lower() == "true" else pytest.skip(message)
    notebook = tmp_path / solution.name
    shutil.copy(solution, notebook)
    if not any(c.get("outputs") for c in nbformat.read(notebook, as_version=4).cells):
        # nbgrader generate_solution normally keeps the outputs; if not, run it once first, as a student would.
        subprocess.run(["jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace", notebook.name],
                       cwd=tmp_path, env=jupyter_env, check=True, capture_output=True, timeout=600)
    nb = nbformat.read(notebook, as_version=4)
    pdf = nbconvert_pdf(notebook, jupyter_env)
    assert_readable_pdf(read_pdf(pdf), nb)


@pytest.mark.slow
def test_feedback_pdfs_show_scores_math_and_plots(tmp_path, require_program, read_pdf, nbgrader,
                                                  write_demo_assignment, assert_readable_pdf):
    require_program("chromium", "chromium")
    require_program("pdftotext", "poppler-utils")
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    source = nbformat.read(write_demo_assignment(course, "00_demo"), as_version=4)
    nbgrader(course, "generate_assignment", "00_demo", "--force")
    # alice fills in the solution cell, bob submits the release unchanged.
    release = nbformat.read(course / "release" / "00_demo" / "demo.ipynb", as_version=4)
    for student in ("alice", "bob"):
        submission = nbformat.from_dict(release)
        if student == "alice":
            answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                       if c.metadata.get("nbgrader", {}).get("solution")}
            for c in submission.cells:
                c.source = answers.get(c.metadata.get("nbgrader", {}).get("grade_id"), c.source)
        (course / "submitted" / student / "00_demo").mkdir(parents=True)
        nbformat.write(submission, course / "submitted" / student / "00_demo" / "demo.ipynb")
    nbgrader(course, "autograde", "00_demo")
    nbgrader(course, "generate_feedback", "00_demo")
    html = (course / "feedback" / "alice" / "00_demo" / "demo.html").read_text()
    assert re.search(r'<script src="https://[^"]*mathjax', html, flags=re.I), "nbgrader's feedback changed"

    pdfs = feedback_to_pdf(course / "feedback", tmp_path / "pdf")

    assert [p.relative_to(tmp_path / "pdf").as_posix() for p in pdfs] == [
        "alice/00_demo/demo.pdf", "bob/00_demo/demo.pdf"]
    alice, bob = read_pdf(pdfs[0]), read_pdf(pdfs[1])
    assert "Score: 3.0 / 3.0" in alice.text
    assert_readable_pdf(alice, nbformat.read(course / "autograded" / "alice" / "00_demo" / "demo.ipynb", 4))
    assert "Score: 0.0 / 3.0" in bob.text
    assert "NotImplementedError" in bob.text


@pytest.mark.slow
def test_feedback_pdf_command_converts_every_page_below_a_folder(tmp_path, require_program):
    require_program("chromium", "chromium")
    require_program("pdftotext", "poppler-utils")
    feedback = tmp_path / "feedback"
    for student in ("ada", "alan"):
        page = feedback / student / "digits.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<html><body><h1>Feedback for {student}</h1><p>Score: 3.0 / 5.0</p></body></html>")
    result = subprocess.run([sys.executable, "-m", "autograder", "feedback-pdf", str(feedback)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "2 PDFs in" in result.stdout
    for student in ("ada", "alan"):
        pdf = tmp_path / "feedback-pdf" / student / "digits.pdf"
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert f"Feedback for {student}" in text and "Score: 3.0 / 5.0" in text

"""PDF export read back as a person would: `jupyter nbconvert --to pdf` with the project's Jupyter config, and
the instructors' feedback PDFs. (JupyterLab's menu export is tested in test_browser.py.)"""
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

pytestmark = pytest.mark.pdf


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


@pytest.mark.slow
def test_cli_pdf_has_heading_greek_math_plot_and_long_lines(tmp_path, latex_tools, jupyter_env, read_pdf,
                                                           write_demo_assignment, assert_readable_pdf):
    source = write_demo_assignment(tmp_path)
    notebook = tmp_path / "demo.ipynb"
    shutil.copy(source, notebook)

    pdf = nbconvert_pdf(notebook, jupyter_env, "--execute")

    facts = read_pdf(pdf)
    assert_readable_pdf(facts, nbformat.read(notebook, as_version=4))
    assert facts.images >= 1, "the plot is not embedded"
    assert {"η", "λ", "∂"} <= set(facts.text)


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

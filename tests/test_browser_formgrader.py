"""Hand-grading as a TA does it: formgrader in headless Chromium on a graded class, then the hand-back.

The example assignment (tests/fixtures/example_course.py) is graded into a folder of its own, as the demo is graded
into build/demo; `python -m autograder formgrader`'s set-up (autograder/formgrader.py) starts JupyterLab
there. The TA reads the written answer with the model answer and mark scheme beside it, typeset, with no
request to the internet, gives a score and a comment; `python -m autograder handback` then puts both into
the student's feedback page and PDF and into grades.csv.
"""
import csv
import re
import subprocess
import sys
import time

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import derive, formgrader
from autograder.release import nbgrader_environment
from tests.fixtures import example_course as example
from tests.grading import shown_lines
from tests.local_server import CHROMIUM_ARGS, running_server
from tests.test_browser import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ASSIGNMENT = example.ASSIGNMENT
ENV = nbgrader_environment()


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """(course root, graded folder): two students of the example assignment graded into graded/."""
    root = example.write_course(tmp_path_factory.mktemp("formgrader") / "course")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
                    f"--CourseDirectory.root={root}"], cwd=root, env=ENV, check=True, capture_output=True)
    read = lambda folder: {n: nbformat.read(root / folder / ASSIGNMENT / f"{n}.ipynb", as_version=4)  # noqa: E731
                           for n in ("squares", "extra")}
    release, source = read("release"), read("source")
    for student, only in [("ada", None), ("bob", ["q1"])]:
        (root / "incoming" / student).mkdir(parents=True)
        for name in release:
            nbformat.write(derive.answered(release[name], source[name], only=only),
                           root / "incoming" / student / f"{name}.ipynb")
    graded = root / "graded"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, str(root / "incoming"),
                          "--course-root", str(root), "--output", str(graded), "--gradebook",
                          str(graded / "gradebook.db"), "--no-progress"], env=ENV, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    return root, graded


@pytest.fixture(scope="module")
def formgrader_lab(graded_class, jupyter_env, tmp_path_factory):
    """JupyterLab started the way `python -m autograder formgrader FOLDER` starts it; yields (url, token)."""
    root, graded = graded_class
    folder = formgrader.prepare(graded, root)
    env = {**formgrader.lab_environment(root), **{k: v for k, v in jupyter_env.items() if k.startswith(
        ("JUPYTER_RUNTIME", "JUPYTERLAB_", "IPYTHONDIR"))}}
    log_path = tmp_path_factory.mktemp("formgrader-lab") / "jupyter-lab.log"
    with running_server(formgrader.lab_command(folder), cwd=folder, env=env, log_path=log_path) as server:
        yield server


def test_grade_a_written_answer_in_formgrader_and_hand_back(graded_class, formgrader_lab, require_program,
                                                            read_pdf):
    chromium = require_program("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    root, graded = graded_class
    url, token = formgrader_lab
    db_url = f"sqlite:///{graded / 'gradebook.db'}"
    with Gradebook(db_url) as gb:
        submission = gb.find_submission_notebook("squares", ASSIGNMENT, "ada").id
    remote, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.set_default_timeout(60_000)
        page.on("request", lambda request: remote.append(request.url)
                if not request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")) else None)
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/login")
        page.fill("input[type=password]", token)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/(lab|formgrader)"))
        page.wait_for_load_state("networkidle")
        page.goto(f"{url}/formgrader/submissions/{submission}/")
        page.locator("#q3_written").wait_for()
        # the model answer and the mark scheme under the student's answer, math typeset by MathJax
        notes = page.locator(".text_cell_render", has_text="For graders, not in the feedback")
        notes.wait_for()
        assert "Mark scheme" in notes.inner_text() and "sign rule" in notes.inner_text()
        page.wait_for_function("() => document.querySelectorAll('.MathJax, .MathJax_Display, mjx-container')"
                               ".length >= 2")
        assert "$x^2" not in page.locator("body").inner_text()  # no raw LaTeX left
        page.fill("#q3_written", "1")
        page.fill("#q3_written-comment", "Right: $(-a)^2 = a^2$ for every real $a$.")
        page.keyboard.press("Tab")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#q3_written").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "formgrader-written-answer.png"))
        deadline = time.monotonic() + 30
        while True:  # formgrader saves in the background
            with Gradebook(db_url) as gb:
                grade = gb.find_grade("q3_written", "squares", ASSIGNMENT, "ada")
                comment = gb.find_comment("q3_written", "squares", ASSIGNMENT, "ada")
                saved = grade.manual_score == 1 and comment.manual_comment
            if saved or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        browser.close()
    assert saved, "formgrader did not save the score and comment"
    assert not remote, f"formgrader asked the internet for {remote}"
    assert not [e for e in errors if "MathJax" in e], errors

    run = subprocess.run([sys.executable, "-m", "autograder", "handback", ASSIGNMENT, "--course-root", str(root),
                          "--output", str(graded)],
                         env=ENV, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    reports = graded / "reports" / ASSIGNMENT
    grades = {row["student"]: row for row in csv.DictReader(open(reports / "grades.csv"))}
    assert grades["ada"]["q3"] == "1" and grades["ada"]["total"] == "9" and grades["ada"]["pending"] == ""
    assert grades["bob"]["q3"] == "0"  # bob wrote nothing for q3: nothing to grade
    page_text = " ".join(shown_lines(reports / "feedback" / "ada" / "squares.html"))
    assert "Right:" in page_text and "For graders" not in page_text and "sign rule" not in page_text
    pdf = read_pdf(reports / "feedback-pdf" / "ada" / "squares.pdf")
    assert "Right:" in pdf.text and "For graders" not in pdf.text and "$" not in pdf.text.split("Right:")[1][:40]
    # the feedback page as the student opens it from disk: math typeset from the copy beside it, offline
    remote.clear()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("request", lambda request: remote.append(request.url)
                if not request.url.startswith(("file:", "data:", "about:")) else None)
        page.goto((reports / "feedback" / "ada" / "squares.html").as_uri())
        page.wait_for_function("() => document.querySelectorAll('.MathJax, .MathJax_Display, mjx-container')"
                               ".length >= 3", timeout=60_000)
        assert "$x^2" not in page.locator("body").inner_text()
        page.screenshot(path=str(ARTIFACTS / "feedback-page-after-handback.png"), full_page=True)
        browser.close()
    assert not remote, f"the feedback page asked the internet for {remote}"

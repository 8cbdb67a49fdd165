"""The course in JupyterLab, driven in headless Chromium as a student and an instructor would use it.

A JupyterLab server runs on localhost (free port, token) in a temporary copy of the course, with the
project's Jupyter config (jupyter/). Screenshots are kept in test-artifacts/ (git-ignored).
"""
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.local_server import logged_in_browser, running_server
from nbgrader import utils

from autograder.course import load_config, question_id

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
ASSIGNMENT = "01_gradient_descent"  # the one the browser tests use when it is built
# Lab settings for a quiet, fully drawn page: no news pop-up, every cell in the page (no windowing).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
RUN_TIMEOUT_MS = 180_000

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def course(course_copy, nbgrader, write_demo_assignment):
    """(course folder, assignment, notebook name): the first assignment whose release and solution are built
    (01_gradient_descent first), else a tiny assignment of conftest's, built here with nbgrader."""
    built = sorted(path.parent.name for path in course_copy.glob("release/*/*.ipynb")
                   if (course_copy / "solutions" / path.parent.name / path.name).is_file())
    for assignment in sorted(built, key=lambda name: name != ASSIGNMENT):
        return course_copy, assignment, next((course_copy / "release" / assignment).glob("*.ipynb")).name
    source = write_demo_assignment(course_copy, "00_demo")
    nbgrader(course_copy, "generate_assignment", "00_demo", "--force")
    nbgrader(course_copy, "generate_solution", "00_demo", "--force")
    return course_copy, "00_demo", source.name


@pytest.fixture(scope="module")
def lab(course, jupyter_env, tmp_path_factory):
    """A JupyterLab server in the course copy; yields its base URL and token; stopped (with its kernels) after."""
    folder = course[0]
    settings = Path(jupyter_env["JUPYTERLAB_SETTINGS_DIR"])
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    log_path = tmp_path_factory.mktemp("lab") / "jupyter-lab.log"
    with running_server(["jupyter", "lab", "--allow-root", f"--ServerApp.root_dir={folder}"], cwd=folder,
                        env=jupyter_env, log_path=log_path) as (url, token):
        yield url, token


@pytest.fixture(scope="module")
def browser_context(lab, require_program):
    """A logged-in headless Chromium (the system's, not a downloaded one)."""
    chromium = require_program("chromium", "chromium")
    with logged_in_browser(*lab, chromium) as (context, page):
        page.close()
        yield context


@pytest.fixture
def page(browser_context, request):
    """A fresh tab; its screenshot is kept in test-artifacts/<test name>.png when the test ends."""
    tab = browser_context.new_page()
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    tab.close()


def open_notebook(page, lab, path):
    """Open a notebook in JupyterLab (a fresh workspace) and wait for its kernel to be idle."""
    page.goto(f"{lab[0]}/lab/tree/{path}?reset")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for(timeout=RUN_TIMEOUT_MS)


def menu(page, *labels):
    """Click through JupyterLab's menu bar, e.g. menu(page, "Run", "Run All Cells")."""
    page.locator(".lm-MenuBar-itemLabel", has_text=labels[0]).click()
    for label in labels[1:]:
        page.locator(".lm-Menu .lm-Menu-itemLabel").get_by_text(label, exact=True).click()


def wait_until_run(page):
    """Wait until no code cell is queued or running ([*]) and the kernel is idle."""
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".some(p => p.textContent.includes('*'))", timeout=RUN_TIMEOUT_MS)
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for(timeout=RUN_TIMEOUT_MS)


def cell_texts(page):
    """For each cell in the page, in order: (prompt, text of its error/stderr outputs)."""
    return page.evaluate(
        "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')].map(c => ["
        "  (c.querySelector('.jp-InputPrompt') || {textContent: ''}).textContent.trim(),"
        "  [...c.querySelectorAll('[data-mime-type=\"application/vnd.jupyter.stderr\"]')]"
        "    .map(o => o.innerText).join('\\n')])")


def grade_ids(path):
    return [c.metadata.get("nbgrader", {}).get("grade_id", "") for c in nbformat.read(path, as_version=4).cells]


def questions(path):
    """{question: True if it is a written answer} of a notebook, in notebook order."""
    found = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if utils.is_grade(cell) or utils.is_solution(cell):
            name = question_id(cell.metadata.nbgrader.grade_id)
            found[name] = found.get(name, True) and cell.cell_type == "markdown"
    return found


def assert_readable_validation(text):
    """What every Validate dialog must be: no traceback, no line twice."""
    assert "Traceback" not in text, text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)), f"repeated lines in the Validate dialog:\n{text}"


def validate(page):
    """Press nbgrader's Validate button; return the text of the result dialog."""
    page.locator(".jp-Toolbar-item", has_text="Validate").first.click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=RUN_TIMEOUT_MS)
    text = dialog.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"validate-{page.url.split('/')[-3]}.png"))
    dialog.get_by_role("button", name="Ok").click()
    return text


def test_release_notebook_shows_failing_visible_tests(page, lab, course):
    folder, assignment, notebook = course
    path = f"release/{assignment}/{notebook}"
    ids = grade_ids(folder / path)
    open_notebook(page, lab, path)
    # A student runs the cells one by one (Shift+Enter); "Run All" would stop at the first unsolved question.
    page.locator(".jp-NotebookPanel .jp-Cell").first.click()
    page.keyboard.press("Escape")
    for _ in ids:
        page.keyboard.press("Shift+Enter")
        wait_until_run(page)

    cells = cell_texts(page)  # Shift+Enter on the last cell added an empty one below it
    assert len(cells) >= len(ids)
    visible = [(grade_id, error) for grade_id, (_, error) in zip(ids, cells) if grade_id.endswith("_test_visible")]
    assert visible, "no visible test cells (grade_id q<N>_test_visible) in the release notebook"
    for grade_id, error in visible:
        assert "Error" in error, f"visible test {grade_id} passes on the unsolved release notebook"
        if "AssertionError" in error:
            assert "Hint" in error, f"visible test {grade_id} fails without a hint:\n{error}"
    # Validate: a line per question, each named and not answered, then the course's caveat.
    text = validate(page)
    assert_readable_validation(text)
    want = questions(folder / path)
    listed = {line.split()[0]: line for line in text.splitlines() if line.split() and line.split()[0] in want}
    assert list(listed) == list(want), text
    for name, written in want.items():
        assert "not answered" in listed[name], listed[name]
        assert ("YOUR ANSWER HERE" if written else "NotImplementedError") in listed[name], listed[name]
    caveat = " ".join(load_config(folder).Validator.failed_warning.split())
    assert caveat in " ".join(text.split()), f"the caveat about hidden tests is missing:\n{text}"


def test_solution_notebook_runs_without_errors_and_validates(page, lab, course):
    folder, assignment, notebook = course
    path = f"solutions/{assignment}/{notebook}"
    open_notebook(page, lab, path)
    menu(page, "Edit", "Clear Outputs of All Cells")
    menu(page, "Run", "Run All Cells")
    wait_until_run(page)

    cells = cell_texts(page)
    code_prompts = [prompt for (prompt, _), c in zip(cells, nbformat.read(folder / path, 4).cells)
                    if c.cell_type == "code"]
    assert all(prompt not in ("[ ]:", "") for prompt in code_prompts), f"cells not run: {code_prompts}"
    errors = [error for _, error in cells if error]
    assert not errors, "errors or stderr output in the solution notebook:\n" + "\n---\n".join(errors)
    text = validate(page)
    assert_readable_validation(text)
    assert "Success! Your notebook passes all the tests." in text, text


def test_pdf_from_the_export_menu(page, lab, course, require_program, read_pdf, assert_readable_pdf, tmp_path):
    for program, package in [("xelatex", "texlive-xetex"), ("pandoc", "pandoc"), ("pdftotext", "poppler-utils")]:
        require_program(program, package)
    folder, assignment, notebook = course
    path = f"solutions/{assignment}/{notebook}"
    open_notebook(page, lab, path)
    # The menu opens /nbconvert/pdf/<path>?download=true in a new tab, which turns into a download.
    with page.expect_download(timeout=RUN_TIMEOUT_MS) as download:
        menu(page, "File", "Save and Export Notebook As", "PDF")
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF"), pdf.read_bytes()[:2000]
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "exported-from-menu.pdf")
    assert_readable_pdf(read_pdf(pdf), nbformat.read(folder / path, as_version=4))


def test_formgrader_lists_the_course_assignments(page, lab, course):
    folder = course[0]
    open_notebook(page, lab, f"release/{course[1]}/{course[2]}")
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    items = page.locator(".lm-Menu .lm-Menu-itemLabel").all_inner_texts()
    assert {"Assignment List", "Formgrader"} <= set(items), items
    page.locator(".lm-Menu .lm-Menu-itemLabel").get_by_text("Formgrader", exact=True).click()
    formgrader = page.frame_locator("iframe[src*='formgrader']")
    for assignment in sorted(p.name for p in (folder / "source").iterdir() if p.is_dir()):
        formgrader.get_by_text(assignment, exact=True).first.wait_for()

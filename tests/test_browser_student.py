"""JupyterLab as students and instructors see nbgrader in it, driven in headless Chromium.

- The student package (built, unpacked outside the course and set up by tests/test_student_package.py's
  set_up_student_package), opened with its own `python3 tasks.py lab`: the Validate button on a notebook, and
  nothing of the instructors (no Nbgrader menu, Formgrader, Create Assignment, Course List or Assignment List)
  and no exchange error ("Error fetching courses!").
- The instructors' lab (the course's jupyter/ config, as `python3 tasks.py lab` starts it): Nbgrader -> Assignment
  List opens on the course's own empty exchange, without errors.
Screenshots are kept in test-artifacts/ (git-ignored).
"""
import json
import shutil
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.local_server import logged_in_browser, running_server
from tests.test_browser import LAB_SETTINGS, RUN_TIMEOUT_MS, menu, open_notebook
from tests.test_student_package import (RELEASE_NOTEBOOK, SHARED_SET_UP, set_up_student_package,
                                        student_environment)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
BIN = ROOT / ".venv" / "bin"
# What students must not see anywhere in their lab (nbgrader's instructor panels, exchange errors).
INSTRUCTOR_WORDS = ["Formgrader", "Create Assignment", "Course List", "Assignment List", "Error fetching courses",
                    "exchange directory"]

pytestmark = [pytest.mark.browser, pytest.mark.slow, SHARED_SET_UP]


def lab_home(jupyter_env):
    """jupyter_env's private runtime and settings folders, with LAB_SETTINGS (no news pop-up, no windowing)."""
    settings = Path(jupyter_env["JUPYTERLAB_SETTINGS_DIR"])
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    return {key: value for key, value in jupyter_env.items() if key.startswith(("JUPYTER_RUNTIME", "JUPYTERLAB_",
                                                                                "IPYTHONDIR"))}


@contextmanager
def browser_page(lab, require_program, name):
    """A logged-in headless Chromium tab on `lab`; its screenshot is kept in test-artifacts/<name>.png."""
    with logged_in_browser(*lab, require_program("chromium", "chromium")) as (context, page):
        try:
            yield page
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def status_of(lab, path):
    """The HTTP status of GET `path` on the lab's server (logged in with its token)."""
    url, token = lab
    try:
        with urllib.request.urlopen(f"{url}{path}?token={token}", timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory, jupyter_env):
    """JupyterLab started in the set-up student package with its own command, `python3 tasks.py lab`."""
    package = set_up_student_package(tmp_path_factory)
    env = dict(student_environment(), **lab_home(jupyter_env))
    python3 = shutil.which("python3", path=env["PATH"])
    log_path = tmp_path_factory.mktemp("student-lab") / "jupyter-lab.log"
    with running_server([python3, "tasks.py", "lab"], package.folder, env, log_path) as lab:
        yield lab, package


def test_the_students_lab_has_validate_and_nothing_of_the_instructors(student_lab, require_program):
    lab, package = student_lab
    with browser_page(lab, require_program, "student-lab-validate") as page:
        open_notebook(page, lab, RELEASE_NOTEBOOK)
        menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        assert "Nbgrader" not in menus, menus  # it would hold only the instructors' panels
        page.locator(".jp-Toolbar-item", has_text="Validate").first.click()
        dialog = page.locator(".jp-Dialog", has_text="Validation Results")
        dialog.wait_for(timeout=RUN_TIMEOUT_MS)
        said = dialog.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "student-lab-validate-dialog.png"))
        # the release fails its visible tests; the caveat is the student package's nbgrader setting
        assert "q1" in said and "Hidden tests run when your notebook is graded" in said, said
        dialog.get_by_role("button", name="Ok").click()
        # every panel and sidebar that is drawn, and the command palette's list of commands
        page.keyboard.press("Control+Shift+C")
        page.locator(".lm-CommandPalette").first.wait_for()
        text = page.locator("body").inner_text() + " ".join(
            page.locator(".lm-CommandPalette-itemLabel").all_inner_texts())
        titles = page.locator("[title]").evaluate_all("nodes => nodes.map(n => n.title).join(' ')")
        for word in INSTRUCTOR_WORDS:
            assert word.lower() not in (text + titles).lower(), word
    # nbgrader's instructor and exchange routes are not served; the Validate route is
    assert status_of(lab, "/formgrader") == 404
    assert status_of(lab, "/assignments") == 404 and status_of(lab, "/courses") == 404
    assert status_of(lab, "/nbgrader_version") != 404


@pytest.fixture(scope="module")
def instructor_lab(course_copy, jupyter_env, tmp_path_factory):
    """JupyterLab in a copy of the course with the course's jupyter/ config, as `python3 tasks.py lab` starts it
    (not through tasks.py, which would set up this checkout's .venv)."""
    lab_home(jupyter_env)
    log_path = tmp_path_factory.mktemp("instructor-lab") / "jupyter-lab.log"
    command = [str(BIN / "jupyter"), "lab", "--allow-root", f"--ServerApp.root_dir={course_copy}"]
    with running_server(command, course_copy, jupyter_env, log_path) as lab:
        yield lab, course_copy


def test_the_instructors_assignment_list_opens_on_the_courses_exchange(instructor_lab, require_program):
    lab, course = instructor_lab
    with browser_page(lab, require_program, "instructor-lab-assignment-list") as page:
        open_notebook(page, lab, RELEASE_NOTEBOOK)
        menu(page, "Nbgrader", "Assignment List")
        page.get_by_text("There are no assignments to fetch.").wait_for()
        page.get_by_text("There are no submitted assignments.").wait_for()
        text = page.locator("body").inner_text()
        assert "Error fetching courses" not in text and "exchange directory does not exist" not in text, text

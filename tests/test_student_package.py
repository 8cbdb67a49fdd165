"""What students receive (`python3 tasks.py student-package`), and that the course's commands work offline once set up.

- tasks.py's environment: after the first set-up no command installs again (so none needs the network) unless
  pyproject.toml or a lock changed; a command that needs an extra that is missing installs only that extra. Checked with
  a fake .venv whose python only logs how it was called.
- The student package: built with the course's command, unpacked into an empty folder, set up with its own
  `python3 tasks.py setup` (a real pip install, a few minutes), then validate and PDF export run with pip unable
  to reach anything; it holds what students need and nothing of the instructors'.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

# Settings that make pip fail instead of installing anything: no index, no local wheels, no config file.
OFFLINE = {"PIP_INDEX_URL": "http://127.0.0.1:9/", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "",
           "PIP_CONFIG_FILE": os.devnull, "http_proxy": "http://127.0.0.1:9/", "https_proxy": "http://127.0.0.1:9/"}


@pytest.fixture
def fake_course(tmp_path):
    """A folder with the course's tasks.py and pyproject.toml whose .venv/bin/python and jupyter only write
    their command line to calls.log; returns (folder, tasks(*args) -> the calls it made, one string a call)."""
    for name in ("tasks.py", "pyproject.toml", "requirements.lock", "requirements-bench.lock"):
        shutil.copy(ROOT / name, tmp_path)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    log = tmp_path / "calls.log"
    for program in ("python", "jupyter"):
        (bin_dir / program).write_text(f'#!/bin/sh\necho "{program} $*" >> "{log}"\n')
        (bin_dir / program).chmod(0o755)

    def tasks(*args, **env):
        log.write_text("")
        result = subprocess.run([sys.executable, str(tmp_path / "tasks.py"), *args], cwd=tmp_path,
                                env=dict(os.environ, **OFFLINE, **env), capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return log.read_text().splitlines()
    return tmp_path, tasks


# PyTorch's extra, at the pins of its lock; pip installs no CUDA libraries for a CPU build of torch (tasks.py)
INSTALL_TORCH = "python -m pip install --quiet -c requirements-bench.lock torch==2.13.0"


def pip_calls(calls):
    return [call for call in calls if call.startswith("python -m pip")]


def test_after_set_up_fewer_extras_install_nothing_and_a_missing_extra_only_itself(fake_course):
    folder, tasks = fake_course
    assert pip_calls(tasks("validate", "nb.ipynb")) == ["python -m pip install --quiet -r requirements.lock",
                                                         "python -m pip install --quiet --no-deps -e ."]
    # the benchmark's extra, and nothing else: no reinstall of the project or of pip
    assert pip_calls(tasks("bench")) == [INSTALL_TORCH]
    for command in (["validate", "nb.ipynb"], ["release"], ["bench"]):
        calls = tasks(*command)
        assert not pip_calls(calls), (command, calls)
        assert calls, f"{command} ran nothing"


@pytest.mark.parametrize("changed", ["pyproject.toml", "requirements.lock"])
def test_a_changed_pyproject_or_lock_reinstalls_every_extra_installed_so_far(fake_course, changed):
    folder, tasks = fake_course
    tasks("bench")
    (folder / changed).write_text((folder / changed).read_text() + "\n# changed\n")
    assert pip_calls(tasks("validate", "nb.ipynb")) == ["python -m pip install --quiet -r requirements.lock",
                                                         "python -m pip install --quiet --no-deps -e .",
                                                         INSTALL_TORCH]
    assert not pip_calls(tasks("validate", "nb.ipynb"))


def test_the_set_up_installs_pytorch_once(fake_course):
    """setup (and so test and demo) installs the project and PyTorch's extra; after that, none installs again."""
    folder, tasks = fake_course
    no_system_tools = {"PATH": str(folder / ".venv" / "bin")}  # no apt-get: the system packages are only reported
    assert pip_calls(tasks("setup", **no_system_tools)) == ["python -m pip install --quiet -r requirements.lock",
                                                            "python -m pip install --quiet --no-deps -e .",
                                                            INSTALL_TORCH]
    for command in (["setup"], ["test"], ["demo"], ["bench"]):
        assert not pip_calls(tasks(*command, **no_system_tools)), command


# ---- the student package -------------------------------------------------------------------------------------

PACKAGE = "dl-course-student"
RELEASE_NOTEBOOK = "release/01_gradient_descent/gradient_descent.ipynb"
# Never in what students receive: the instructors' folders, the grading code, the gradebook's configuration.
INSTRUCTOR_FOLDERS = ["source", "solutions", "tests", "demo", "benchmarks", ".git", "student"]
INSTRUCTOR_TEXT = ["BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "BEGIN SOLUTION", "_reference"]
GRADING_MODULES = {"grade.py", "worker.py", "cluster.py", "task.py", "judge.py", "audit.py", "sandbox.py", "preprocessors.py",
                   "submissions.py", "reports.py", "demo.py", "derive.py", "release.py", "handback.py"}
INSTRUCTOR_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.assignment_list",
                                "nbgrader.server_extensions.course_list"]
# nbgrader's lab panels for instructors and the exchange, switched off for students (Validate stays on).
INSTRUCTOR_PANELS = ["@jupyter/nbgrader:menu", "@jupyter/nbgrader:formgrader",
                     "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list",
                     "@jupyter/nbgrader:assignment-list"]


def student_environment(root=ROOT):
    """os.environ without anything of this checkout's .venv: what a student's terminal has."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"VIRTUAL_ENV", "PYTHONPATH", "JUPYTER_CONFIG_PATH", "JUPYTER_PATH"}}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(root)))
    return env


@dataclass
class StudentPackage:
    """The zip that `python3 tasks.py student-package` wrote, and the folder it was unpacked to and set up in."""
    archive: Path
    folder: Path

    def tasks(self, *args, offline=True, timeout=600):
        """Run `python3 tasks.py ARGS` in the package as a student would; offline: pip cannot reach any index."""
        env = student_environment()
        if offline:
            env.update(OFFLINE)
        python3 = shutil.which("python3", path=env["PATH"])
        return subprocess.run([python3, "tasks.py", *args], cwd=self.folder, env=env, capture_output=True,
                              text=True, timeout=timeout)


def set_up_student_package(tmp_path_factory):
    """Build the package with the course's command, unpack its zip into an empty folder outside the course and
    run the student's own set-up there: `python3 tasks.py setup`, creating .venv and installing every package
    with pip, exactly as on a student's computer (here pip's configured indexes serve them; a few minutes).
    Done once per test session and shared with tests/test_browser_student.py."""
    base = tmp_path_factory.getbasetemp() / "student-package"
    package = StudentPackage(base / "built" / f"{PACKAGE}.zip", base / "unpacked" / PACKAGE)
    if (package.folder / ".venv" / ".installed").is_file():
        return package
    build_student_package(package.archive.parent)
    unpacked = base / "unpacked"
    unpacked.mkdir(parents=True)
    assert not unpacked.resolve().is_relative_to(ROOT)
    with zipfile.ZipFile(package.archive) as archive:
        archive.extractall(unpacked)
    assert sorted(p.name for p in unpacked.iterdir()) == [PACKAGE]
    setup = package.tasks("setup", offline=False, timeout=1500)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    return package


@pytest.fixture(scope="module")
def student_package(tmp_path_factory):
    return set_up_student_package(tmp_path_factory)


# The set-up is shared with tests/test_browser_student.py: under xdist both files run on one worker.
SHARED_SET_UP = pytest.mark.xdist_group("student-package")


def _text_config(path):
    """A traitlets config file (nbgrader_config.py, jupyter_server_config.py) as a Config."""
    from traitlets.config import PyFileConfigLoader
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def test_the_students_nbgrader_settings_are_the_courses_without_grading():
    course = _text_config(ROOT / "nbgrader_config.py")
    student = _text_config(ROOT / "student/jupyter/nbgrader_config.py")
    assert sorted(student) == ["ExecutePreprocessor", "Validator"]
    for section in student:
        assert student[section] == course[section], section


def _server_extensions(path):
    """{extension: on} that a jupyter_server_config.py sets (by assignment or .update())."""
    from traitlets.config import LazyConfigValue
    value = _text_config(path).ServerApp.get("jpserver_extensions", {})
    return value.get_value({}) if isinstance(value, LazyConfigValue) else dict(value)


def test_the_students_lab_has_the_courses_server_extensions_without_the_instructors_panels():
    course = _server_extensions(ROOT / "jupyter" / "jupyter_server_config.py")
    student = _server_extensions(ROOT / "student" / "jupyter" / "jupyter_server_config.py")
    assert {name: on for name, on in student.items() if name not in INSTRUCTOR_SERVER_EXTENSIONS} == course
    assert {name: on for name, on in student.items() if name in INSTRUCTOR_SERVER_EXTENSIONS} == \
        dict.fromkeys(INSTRUCTOR_SERVER_EXTENSIONS, False)


# What only grading a class needs (the dask engine, the PostgreSQL driver): students never install them.
GRADING_ONLY = {"distributed", "psycopg"}


def test_the_students_packages_are_the_courses():
    course = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    student = tomllib.loads((ROOT / "student/pyproject.toml").read_text())
    grading_only = [d for d in course["dependencies"] if re.split(r"[\[<>=~ ]", d)[0] in GRADING_ONLY]
    assert len(grading_only) == len(GRADING_ONLY), grading_only
    assert student["project"]["dependencies"] == [d for d in course["dependencies"] if d not in grading_only]
    assert student["tool"]["setuptools"]["packages"] == ["utils", "autograder"]


def build_student_package(out):
    """Run the course's `python3 tasks.py student-package OUT` as an instructor would -> the zip's path."""
    python3 = shutil.which("python3", path=student_environment()["PATH"])
    built = subprocess.run([python3, str(ROOT / "tasks.py"), "student-package", str(out)], capture_output=True,
                           text=True, timeout=120, env=student_environment())
    assert built.returncode == 0, built.stdout + built.stderr
    archive = out / f"{PACKAGE}.zip"
    assert archive.is_file() and (out / PACKAGE).is_dir(), built.stdout
    return archive


def test_the_package_holds_what_students_need_and_nothing_of_the_instructors(tmp_path):
    # built here and compared at once: the slow tests' package is set up minutes after it was built
    with zipfile.ZipFile(build_student_package(tmp_path)) as archive:
        names = [name.removeprefix(f"{PACKAGE}/") for name in archive.namelist()]
        texts = {name: archive.read(f"{PACKAGE}/{name}").decode("utf-8", "replace") for name in names}
    tops = {name.split("/")[0] for name in names}
    assert tops == {"README.md", "tasks.py", "pyproject.toml", "release", "notebooks", "utils", "jupyter",
                    "autograder"}, tops
    assert not tops & set(INSTRUCTOR_FOLDERS)
    for folder in ("release", "notebooks", "utils", "jupyter/nbconvert"):
        course = sorted(str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts)
        assert sorted(name for name in names if name.startswith(folder + "/")) == course, folder
        assert all(texts[name] == (ROOT / name).read_text() for name in course), f"{folder} differs from the course's"
    # of the autograder: validate.py and what it imports, the course's own files, with the student's command
    # line for it (__init__, __main__); nothing of grading a class
    shipped = {name.removeprefix("autograder/") for name in names if name.startswith("autograder/")}
    assert {"__init__.py", "__main__.py", "validate.py"} <= shipped
    assert not shipped & GRADING_MODULES
    for module in shipped - {"__init__.py", "__main__.py"}:
        assert texts[f"autograder/{module}"] == (ROOT / "autograder" / module).read_text(), module
    # no gradebook: the only nbgrader configuration is the student's
    assert [name for name in names if name.endswith("nbgrader_config.py")] == ["jupyter/nbgrader_config.py"]
    settings = [name for name in names if name.startswith("jupyter/") and name.endswith(".py")]
    assert not [name for name in settings if "gradebook" in texts[name] or "db_url" in texts[name]]
    leaks = [(name, marker) for name, text in texts.items() for marker in INSTRUCTOR_TEXT if marker in text]
    assert not leaks, leaks
    # the lab: Validate on, the instructors' panels off
    disabled = json.loads(texts["jupyter/labconfig/page_config.json"])["disabledExtensions"]
    assert sorted(name for name, off in disabled.items() if off) == sorted(INSTRUCTOR_PANELS)
    # the README's commands are the package's own
    readme = texts["README.md"]
    for command in ("python3 tasks.py setup", "python3 tasks.py lab", f"python3 tasks.py validate {RELEASE_NOTEBOOK}",
                    f"python3 tasks.py pdf {RELEASE_NOTEBOOK}"):
        assert command in readme, command
    assert "release/" in readme and "source/" not in readme


@pytest.mark.slow
@SHARED_SET_UP
def test_set_up_installed_the_packages_own_library_and_validate(student_package):
    python = student_package.folder / ".venv" / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import autograder.validate, utils; "
                            "print(autograder.validate.__file__); print(utils.__file__)"],
                           cwd="/", capture_output=True, text=True, env=student_environment())
    assert where.returncode == 0, where.stderr
    for path in where.stdout.split():
        assert Path(path).resolve().is_relative_to(student_package.folder.resolve()), path


@pytest.mark.slow
@SHARED_SET_UP
def test_validate_works_offline_and_says_what_the_courses_validate_says(student_package):
    result = student_package.tasks("validate", RELEASE_NOTEBOOK)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "-m pip" not in result.stdout, "validate installed something"
    said = result.stdout.split("\n", 1)[1]  # after the "+ command" line of tasks.py
    assert "q1" in said and "hidden" in said.lower(), said
    course = subprocess.run([sys.executable, "-m", "autograder", "validate", RELEASE_NOTEBOOK], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert said == course.stdout
    wrong = student_package.tasks("validate", "release/no_such_notebook.ipynb")
    assert wrong.returncode != 0 and "is not a file" in wrong.stdout + wrong.stderr
    assert "Traceback" not in wrong.stdout + wrong.stderr


@pytest.mark.slow
@SHARED_SET_UP
def test_pdf_export_works_offline(student_package, require_program, read_pdf, assert_readable_pdf):
    for program, package in [("xelatex", "texlive-xetex"), ("pandoc", "pandoc"), ("pdftotext", "poppler-utils")]:
        require_program(program, package)
    result = student_package.tasks("pdf", RELEASE_NOTEBOOK, "--name", "Ada Lovelace")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "-m pip" not in result.stdout and "apt-get" not in result.stdout
    notebook = student_package.folder / RELEASE_NOTEBOOK
    pdf = notebook.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "student-package-release.pdf")
    facts = read_pdf(pdf)
    assert "Assignment 1: Gradient descent" in facts.text and "Ada Lovelace" in facts.text
    assert_readable_pdf(facts, nbformat.read(notebook, as_version=4))

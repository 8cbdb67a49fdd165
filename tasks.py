#!/usr/bin/env python3
"""The course's commands. Needs only Python 3.11+: each command creates or refreshes .venv itself.

    python3 tasks.py test      run the test suite (what CI runs)
    python3 tasks.py demo      build release/ and solutions/, then grade the demo class
    python3 tasks.py release   regenerate release/ and solutions/ from source/ with nbgrader
    python3 tasks.py lab       open the course in JupyterLab with nbgrader's extensions
    python3 tasks.py pdf NB    export a notebook to PDF (offline, xelatex, the course's template);
                               --name "Ada Lovelace" under the title, --paper letter (default a4)
    python3 tasks.py validate NB   run a notebook's visible tests: which pass, and which tests are hidden
    python3 tasks.py bench     run the benchmarks (installs the optional PyTorch extra)
    python3 tasks.py student-package [OUT]   write what students receive: OUT/dl-course-student/ and its .zip
                               (default OUT: build/student-package; no .venv needed)
    python3 tasks.py setup     only create the environment (with PyTorch) and install the system packages
    python3 tasks.py lock      write requirements.lock (every package pinned) anew after changing pyproject.toml

Anything after the command is passed on (to pytest for `test`, to the autograder for `demo`).
"""
import ast
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed.json"  # what ensure_venv installed
# Every dependency pinned: requirements.lock holds the project with its test extra (LOCKED_EXTRAS); an extra
# as big as PyTorch has a lock of its own. `python3 tasks.py lock` writes them from pyproject.toml with uv.
LOCK = ROOT / "requirements.lock"
LOCKED_EXTRAS = {"test"}
EXTRA_LOCKS = {"bench": ROOT / "requirements-bench.lock"}
# What the course's set-up installs (setup, test, demo, lab, pdf): the tests' tools, and PyTorch (the extra "bench":
# lecture 5 and the benchmarks). validate and release need neither and install only the project.
COURSE_EXTRAS = "test,bench"
LOCK_INPUTS = [ROOT / "pyproject.toml", LOCK, *EXTRA_LOCKS.values()]
UV = "uv==0.13.9"  # writes the locks (python3 tasks.py lock)
JUPYTER_DIR = ROOT / "jupyter"  # the course's Jupyter config and nbconvert templates

# Debian/Ubuntu packages behind PDF export, the browser tests and the grading sandbox; README lists them.
SYSTEM_PACKAGES = {
    "xelatex": ["texlive-xetex", "texlive-fonts-recommended", "texlive-plain-generic",
                "texlive-latex-extra", "lmodern", "fonts-dejavu-core"],
    "pandoc": ["pandoc"],
    "chromium": ["chromium"],
    "pdftotext": ["poppler-utils"],
    "bwrap": ["bubblewrap"],  # the grading sandbox (autograder/sandbox.py)
    "initdb": ["postgresql"],  # a shared gradebook (grade --db postgresql://...); the tests start a server
}


def has_program(name):
    """Whether a program is installed: on PATH, or where Debian keeps PostgreSQL's (not on PATH)."""
    return bool(shutil.which(name) or glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))


STUDENT_PACKAGE = "dl-course-student"  # the name of the folder and zip that students receive
# What students receive, as (in the course, in the package); the student package's own files are in student/.
# Nothing else goes in: not source/ or solutions/, the tests, the demo class, the grading code, nor
# nbgrader_config.py with the gradebook.
STUDENT_FILES = [
    ("student/README.md", "README.md"),
    ("student/tasks.py", "tasks.py"),  # setup, lab, validate, pdf
    ("student/pyproject.toml", "pyproject.toml"),  # the course's dependencies; installs utils/ and autograder/
    ("student/jupyter", "jupyter"),  # the lab with Validate only, and nbgrader's settings for it
    ("jupyter/jupyter_nbconvert_config.py", "jupyter/jupyter_nbconvert_config.py"),  # PDF export
    ("jupyter/nbconvert", "jupyter/nbconvert"),
    ("student/autograder", "autograder"),  # `python -m autograder validate`, nothing else
    ("utils", "utils"),
    ("release", "release"),
    ("notebooks", "notebooks"),
]
# Of the autograder, students get what validating a notebook runs (`validate` in a terminal, the Validate button's
# server extension) and the autograder modules these import (autograder_modules finds them); nothing of grading.
VALIDATE_MODULES = ["validate", "validate_server"]
# Text that only instructors may see (solutions, hidden tests, mark schemes, the grader's reference answers):
# a package with any of it in any file is refused.
INSTRUCTOR_ONLY = ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "_reference"]


def run(*command, env=None, **kwargs):
    """Run a command in the course root with the environment's bin folder first on PATH (as if activated)."""
    print("+", " ".join(str(part) for part in command), flush=True)
    env = dict(env or os.environ, VIRTUAL_ENV=str(VENV))
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    # The course's matrices are small: one BLAS thread is faster than several, and much faster on a busy
    # machine. Notebook kernels (tests, grading) inherit this; set the variable yourself to override it.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return subprocess.run([str(part) for part in command], cwd=ROOT, env=env, **kwargs)


def ensure_venv(extras="test"):
    """Create .venv if it is missing, install the project from the lock files when pyproject.toml or a lock
    changed, and install only the extras a command needs that are not there yet.

    extras: comma-separated names of [project.optional-dependencies], e.g. "test,bench".
    requirements.lock pins every package of the project and its test extra; an extra with a lock of its own
    (EXTRA_LOCKS) is installed at that lock's pins (see install_extra). The stamp .venv/.installed.json records the hash of pyproject.toml and
    the locks, and the extras installed so far, which only grow: after the first set-up, a command that needs
    fewer extras than the last one installs nothing, so it works offline.
    """
    wanted = set(extras.split(","))
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in LOCK_INPUTS if path.exists())).hexdigest()
    stamp = json.loads(STAMP.read_text()) if STAMP.exists() else {}
    installed = set(stamp.get("extras", []))
    if stamp.get("pyproject") == digest:
        missing = sorted(wanted - installed)
        if not missing:
            return
        for name in missing:
            install_extra(name)
    else:
        if not PYTHON.exists():
            venv.create(VENV, with_pip=True)
            run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip", check=True)
        # A changed pyproject.toml or lock may change any pin: install the lock, then every extra this .venv has.
        run(PYTHON, "-m", "pip", "install", "--quiet", "-r", LOCK.name, check=True)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".", check=True)
        for name in sorted((wanted | installed) - LOCKED_EXTRAS):
            install_extra(name)
    STAMP.write_text(json.dumps({"pyproject": digest, "extras": sorted(wanted | installed)}))


def install_extra(name):
    """Install one optional extra: the test extra from requirements.lock, an extra with a lock of its own from
    pyproject.toml with that lock as constraints, any other from pyproject.toml."""
    if name in LOCKED_EXTRAS:
        run(PYTHON, "-m", "pip", "install", "--quiet", "-r", LOCK.name, check=True)
        return
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    if name in EXTRA_LOCKS:
        # The extra's own requirements with its lock as constraints: whatever pip installs is at its pin, and it
        # installs only what this machine's build of a package asks for. That matters for PyTorch: its CUDA build
        # (PyPI's on Linux x86_64) brings NVIDIA's libraries, pinned in the lock, several GB; a CPU build needs none
        # of them, and `-r lock` would install them all the same (or fail where they have no wheels, as on macOS).
        run(PYTHON, "-m", "pip", "install", "--quiet", "-c", EXTRA_LOCKS[name].name, *optional[name], check=True)
    else:
        run(PYTHON, "-m", "pip", "install", "--quiet", *optional[name], check=True)


def lock(upgrade=False):
    """Write requirements.lock and the extras' locks anew from pyproject.toml with uv (`python3 tasks.py lock`).
    Pins stay at the versions this .venv has where pyproject.toml allows them, so the lock is what was tested;
    `python3 tasks.py lock --upgrade` takes the newest versions instead."""
    run(PYTHON, "-m", "pip", "install", "--quiet", UV, check=True)
    installed = VENV / "installed-versions.txt"
    freeze = run(PYTHON, "-m", "pip", "freeze", "--exclude-editable", capture_output=True, text=True, check=True)
    # A local build's label goes (torch==2.13.0+cpu -> torch==2.13.0): the index has no such version to lock.
    installed.write_text("".join(line.split("+")[0] + "\n" for line in freeze.stdout.splitlines()
                                 if not line.startswith(("uv==", "dl-course"))))
    python = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    for path, extras in [(LOCK, sorted(LOCKED_EXTRAS)), *((p, ["test", n]) for n, p in EXTRA_LOCKS.items())]:
        command = [BIN / "uv", "pip", "compile", "pyproject.toml", "--quiet", "--python-version", python,
                   *(f"--extra={name}" for name in extras), "--output-file", path.name,
                   "--custom-compile-command", "python3 tasks.py lock"]
        run(*command, *([] if upgrade else ["--constraint", installed]), check=True)
    print("Locks written; commit them with pyproject.toml. tests/test_packaging.py checks they are in step.")


def ensure_system_packages():
    """Install the Debian packages whose programs are missing, when this machine allows (root, apt-get)."""
    missing = [pkg for program, pkgs in SYSTEM_PACKAGES.items() if not has_program(program) for pkg in pkgs]
    if not missing:
        return
    can_install = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if not can_install:
        print("Not installed (PDF export, browser tests and the grading sandbox need them):", " ".join(missing))
        print("See README.md, 'System packages', for how to install them on your system.")
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "update", "-qq", env=env, check=True)
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env, check=True)


def jupyter_env():
    """Environment for Jupyter with the course's configuration (PDF template, local MathJax) in jupyter/."""
    return dict(os.environ, JUPYTER_CONFIG_PATH=str(JUPYTER_DIR))


def setup(extras=COURSE_EXTRAS):
    ensure_venv(extras)
    ensure_system_packages()


def autograder_modules(names):
    """The modules `names` of autograder/ and, recursively, every autograder module they import -> sorted names.
    (The autograder imports its modules by absolute name: `import autograder.x`, `from autograder(.x) import y`.)"""
    todo, found = list(names), set()
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for node in ast.walk(ast.parse((ROOT / "autograder" / f"{name}.py").read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module == "autograder":
                modules = [f"autograder.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            todo += [module.split(".")[1] for module in modules if module.startswith("autograder.")
                     and (ROOT / "autograder" / f"{module.split('.')[1]}.py").is_file()]
    return sorted(found)


def student_package(out):
    """Write what students receive to out/dl-course-student/ and out/dl-course-student.zip; returns the zip's path.

    The zip holds the folder, so it unpacks to dl-course-student/. release/ is taken as it is: run
    `python3 tasks.py release` first after changing source/.
    """
    folder = out / STUDENT_PACKAGE
    if folder.exists():
        shutil.rmtree(folder)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for source, target in STUDENT_FILES:
        (folder / target).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, folder / target, ignore=skip, dirs_exist_ok=True)
        else:
            shutil.copy2(ROOT / source, folder / target)
    for name in autograder_modules(VALIDATE_MODULES):
        shutil.copy2(ROOT / "autograder" / f"{name}.py", folder / "autograder" / f"{name}.py")
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    leaks = [f"{path.relative_to(folder)} ({marker})" for path in files
             for marker in INSTRUCTOR_ONLY if marker in path.read_text(errors="replace")]
    if leaks:
        shutil.rmtree(folder)
        raise SystemExit("Not writing the student package: instructor-only text in " + ", ".join(leaks))
    archive_path = out / f"{STUDENT_PACKAGE}.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, Path(STUDENT_PACKAGE) / path.relative_to(folder))
    return archive_path


def main(argv):
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "setup":
        setup()
        return 0
    if command == "lock":
        ensure_venv()
        lock(upgrade="--upgrade" in rest)
        return 0
    if command == "test":
        setup()
        # Tests of one assignment share a graded course copy, so they stay on one worker (loadgroup).
        workers = str(os.cpu_count() or 1)
        result = run(PYTHON, "-m", "pytest", "-n", workers, "--dist", "loadgroup", *rest)
        return result.returncode
    if command == "release":
        ensure_venv()
        return run(PYTHON, "-m", "autograder", "release", *rest).returncode
    if command == "demo":
        setup()
        return run(PYTHON, "-m", "autograder", "demo", *rest).returncode
    if command == "lab":
        setup()
        # JupyterLab refuses to run as root unless told to (CI and containers run as root).
        as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        return run(BIN / "jupyter", "lab", *as_root, *rest, env=jupyter_env()).returncode
    if command == "pdf":
        setup()
        import argparse

        # --name and --paper are options of the course's PDF preprocessor (jupyter/nbconvert/course_pdf/page_setup.py);
        # everything else (the notebook, --execute, ...) goes to nbconvert.
        parser = argparse.ArgumentParser(prog="python3 tasks.py pdf", add_help=False)
        parser.add_argument("--name", help="the student's name, printed under the title")
        parser.add_argument("--paper", choices=["a4", "letter"], type=str.lower, help="a4 (the default) or letter")
        options, nbconvert_args = parser.parse_known_args(rest)
        page = [f"--PageSetup.{trait}={value}" for trait, value in [("author", options.name),
                                                                     ("paper", options.paper)] if value is not None]
        return run(BIN / "jupyter", "nbconvert", "--to", "pdf", *page, *nbconvert_args, env=jupyter_env()).returncode
    if command == "validate":
        ensure_venv()
        return run(PYTHON, "-m", "autograder", "validate", *rest).returncode
    if command == "student-package":
        archive = student_package(Path(rest[0]).resolve() if rest else ROOT / "build" / "student-package")
        print(f"What students receive: {archive} (unpacked beside it: {archive.with_suffix('')}/)")
        return 0
    if command == "bench":
        ensure_venv("test,bench")
        return run(PYTHON, "benchmarks/run.py", *rest).returncode
    print(f"unknown command {command!r}\n{__doc__}")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

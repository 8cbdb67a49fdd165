"""Generate the student versions (release/) and the solutions (solutions/) from source/ with nbgrader."""
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import nbformat

COURSE_ROOT = Path(__file__).resolve().parent.parent


def assignments(course_root=COURSE_ROOT):
    """Names of the assignments in source/ (folders holding a notebook), in order: the one list of them."""
    return sorted(path.name for path in (Path(course_root) / "source").iterdir()
                  if path.is_dir() and not path.name.startswith(".") and any(path.glob("*.ipynb")))


def nbgrader_environment():
    """os.environ with this Python's bin folder first on PATH: nbgrader runs the `alembic` program from PATH
    when it creates a gradebook, and finds it only where this environment installed it."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != bin_dir:
        path = os.pathsep.join([bin_dir, path])
    return dict(os.environ, PATH=path)


@contextmanager
def nbgrader_path():
    """While inside, this environment's bin folder is first on PATH (see nbgrader_environment), for nbgrader's
    gradebook creation in this process and in the worker processes started meanwhile; PATH is put back after."""
    before = os.environ.get("PATH")
    os.environ["PATH"] = nbgrader_environment()["PATH"]
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = before


def nbgrader(*args, course_root=COURSE_ROOT):
    """Run one nbgrader command for the course at course_root (its nbgrader_config.py applies).

    Raises RuntimeError with nbgrader's own log when the command fails.
    """
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course_root}"]
    result = subprocess.run(command, cwd=course_root, capture_output=True, text=True, env=nbgrader_environment())
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def generate(names=None, course_root=COURSE_ROOT):
    """Regenerate release/<name>/ and solutions/<name>/ for each assignment (all of them by default).

    generate_solution runs the notebooks, so every run writes new timings, widget ids and timestamps even when
    nothing changed: a solution notebook whose cells are the same as before keeps its old file, and the
    course's git tree stays clean after the main job.
    """
    for name in names or assignments(course_root):
        nbgrader("generate_assignment", name, "--force", course_root=course_root)
        before = {path: path.read_bytes() for path in (course_root / "solutions" / name).glob("*.ipynb")}
        nbgrader("generate_solution", name, "--force", course_root=course_root)
        for path, old in before.items():
            if path.exists() and same_cells(nbformat.reads(old.decode("utf-8"), as_version=4),
                                            nbformat.read(path, as_version=4)):
                path.write_bytes(old)


def same_cells(a, b):
    """Whether two notebooks have the same cells (type, source, nbgrader metadata), whatever their outputs."""
    def cells(nb):
        return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]
    return cells(a) == cells(b)

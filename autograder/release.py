"""Generate the student versions (release/) and the solutions (solutions/) from source/ with nbgrader."""
import os
import subprocess
import sys
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent.parent


def assignments(course_root=COURSE_ROOT):
    """Names of the assignments in source/, in order."""
    return sorted(path.name for path in (course_root / "source").iterdir()
                  if path.is_dir() and not path.name.startswith("."))


def nbgrader(*args, course_root=COURSE_ROOT):
    """Run one nbgrader command for the course at course_root (its nbgrader_config.py applies).

    Raises RuntimeError with nbgrader's own log when the command fails.
    """
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course_root}"]
    # nbgrader runs `alembic` from PATH, so this environment's bin folder must be on it.
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    result = subprocess.run(command, cwd=course_root, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def generate(names=None, course_root=COURSE_ROOT):
    """Regenerate release/<name>/ and solutions/<name>/ for each assignment (all of them by default)."""
    for name in names or assignments(course_root):
        nbgrader("generate_assignment", name, "--force", course_root=course_root)
        nbgrader("generate_solution", name, "--force", course_root=course_root)

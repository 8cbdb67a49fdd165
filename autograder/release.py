"""Generate the student versions (release/) and the solutions (solutions/) from source/ with nbgrader."""
import subprocess
import sys
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent.parent


def assignments(course_root=COURSE_ROOT):
    """Names of the assignments in source/, in order."""
    return sorted(path.name for path in (course_root / "source").iterdir()
                  if path.is_dir() and not path.name.startswith("."))


def nbgrader(*args, course_root=COURSE_ROOT, check=True):
    """Run one nbgrader command for the course at course_root (its nbgrader_config.py applies)."""
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course_root}"]
    return subprocess.run(command, cwd=course_root, check=check, capture_output=True, text=True)


def generate(names=None, course_root=COURSE_ROOT):
    """Regenerate release/<name>/ and solutions/<name>/ for each assignment (all of them by default)."""
    for name in names or assignments(course_root):
        nbgrader("generate_assignment", name, "--force", course_root=course_root)
        nbgrader("generate_solution", name, "--force", course_root=course_root)

"""The demo class in demo/ is what `python -m autograder demo --regenerate` makes from source/ and release/."""
from pathlib import Path

import pytest

from autograder import demo

DEMO = Path(demo.DEMO_DIR)
CLASSES = sorted(p.name for p in DEMO.iterdir() if p.is_dir()) if DEMO.is_dir() else []


def test_every_assignment_has_a_demo_class():
    assert CLASSES == demo.assignments_with_release()


@pytest.mark.parametrize("assignment", CLASSES)
def test_demo_class_is_current(assignment, tmp_path):
    broken = assignment == demo.assignments_with_release()[0]
    demo.write_class(assignment, tmp_path, broken=broken)
    made = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.ipynb")}
    kept = {p.relative_to(DEMO / assignment): p.read_bytes() for p in (DEMO / assignment).rglob("*.ipynb")}
    assert sorted(kept) == sorted(made), "run: python -m autograder demo --regenerate"
    stale = [str(path) for path in made if made[path] != kept[path]]
    assert not stale, f"stale demo files {stale}; run: python -m autograder demo --regenerate"
    students = {path.parts[0] for path in made}
    assert {"full-marks", "empty", "partial"} <= students
    if broken:
        assert {"infinite-loop", "kernel-exit", "invalid-json", "deleted-tests", "warnings", "huge-output"} <= students

"""The demo class in demo/ is what `python -m autograder demo --regenerate` makes from source/ and release/."""
from pathlib import Path

import nbformat
import pytest

from autograder import demo
from autograder.course import Assignment
from tests.grading import hidden_test_lines, shown_lines

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


@pytest.mark.slow
def test_the_main_job_runs_from_a_fresh_clone_with_the_readme_command(tmp_path):
    """`python3 tasks.py demo`, exactly as the README gives it, in a clone of the committed course."""
    import csv
    import os
    import re
    import shutil
    import subprocess

    root = Path(demo.COURSE_ROOT)
    command = re.search(r"^(python3 tasks\.py demo)\b", (root / "README.md").read_text(), re.MULTILINE).group(1)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(root), str(clone)], check=True)
    # Nothing of this checkout's environment: the clone's tasks.py must make its own.
    env = {key: value for key, value in os.environ.items() if key not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(root)))
    python3 = shutil.which("python3", path=env["PATH"])
    result = subprocess.run([python3, *command.split()[1:]], cwd=clone, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (clone / ".venv").is_dir()
    for assignment in demo.assignments_with_release():
        reports = clone / "build" / "demo" / "reports" / assignment
        assert f"build/demo/reports/{assignment}" in result.stdout
        with open(reports / "grades.csv") as grades:
            rows = {row["student"]: row for row in csv.DictReader(grades)}
        assert float(rows["empty"]["total"]) == 0
        assert float(rows["full-marks"]["total"]) > float(rows["partial"]["total"]) > 0
        assert (reports / "summary.md").is_file() and (reports / "score_distribution.png").is_file()
        assert (reports / "similarity.md").is_file() and (reports / "similarity.html").is_file()
        # the full-marks student earns every autograded point, as before the grader judged tests itself
        graded = Assignment.read(clone, assignment).graded
        assert float(rows["full-marks"]["total"]) == sum(p for cells in graded.values() for _, p, auto in cells if auto)
        status = (reports / "status.txt").read_text()
        assert "withheld" not in status and "tampering" not in status, status  # no false alarm
        sources = (clone / "source" / assignment).glob("*.ipynb")
        hidden = hidden_test_lines(nbformat.read(path, as_version=4) for path in sources)
        for page in (reports / "feedback").rglob("*.html"):
            assert "_reference" not in page.read_text(), page
            assert not [line for line in hidden if line in shown_lines(page)], page
    broken = {row["student"]: float(row["total"]) for row in csv.DictReader(
        open(clone / "build" / "demo" / "reports" / demo.assignments_with_release()[0] / "grades.csv"))}
    # what each broken submission costs (the same figures as before the judge): only the broken part
    for student in ("deleted-tests", "huge-output", "stripped-metadata", "warnings"):
        assert broken[student] == broken["full-marks"], student
    assert broken["edited-tests"] == broken["partial"]
    assert broken["infinite-loop"] == broken["kernel-exit"] == broken["partial"] < broken["full-marks"]
    assert broken["invalid-json"] == 0
    # the hand-back the demo names: feedback pages and PDFs again from the gradebook; no PDF a student gets
    # shows a hidden test or the reference code inside one
    last = demo.assignments_with_release()[-1]
    back = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-m", "autograder", "handback", last,
                           "--output", "build/demo"], cwd=clone, env=env, capture_output=True, text=True)
    assert back.returncode == 0, back.stdout[-3000:] + back.stderr[-3000:]
    reports = clone / "build" / "demo" / "reports" / last
    sources = (clone / "source" / last).glob("*.ipynb")
    hidden = hidden_test_lines(nbformat.read(path, as_version=4) for path in sources)
    pdfs = sorted((reports / "feedback-pdf").rglob("*.pdf"))
    assert len(pdfs) == len(list((reports / "feedback").glob("*/*.html"))) > 0
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        lines = {line.strip() for line in text.splitlines()}
        assert "_reference" not in text and not [line for line in hidden if line in lines], pdf
    # the main job and the hand-back leave the course's git tree as they found it
    changed = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True).stdout
    assert changed.strip() == "", changed


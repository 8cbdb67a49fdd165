"""Grading a whole class end to end: one batch of well-behaved, broken and hostile students through the CLI.

The class is built from the tiny example assignment (tests/fixtures/example_course.py: squares.ipynb with
q1 3 points, q2 3 points, q3 a written answer; extra.ipynb with q4 2 points). Every student is graded in one
`python -m autograder grade` run with two workers, then compared with what a careful TA would give.
"""
import copy
import csv
import json
import shutil
import subprocess
import sys
import warnings
from types import SimpleNamespace

import nbformat
import pytest
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograder import derive
from autograder.course import question_id
from tests.fixtures import example_course as example
from autograder.release import nbgrader_environment
from tests.grading import hidden_test_lines, shown_lines

pytestmark = pytest.mark.slow
ASSIGNMENT = example.ASSIGNMENT
CELL_TIMEOUT = 30
ENV = nbgrader_environment()

HOSTILE = '''import pathlib, sqlite3
course = pathlib.Path({root!r})
attempts = {{}}
for name, path in {{"read_source": course / "source/{a}/squares.ipynb",
                    "read_solutions": course / "solutions/{a}/squares.ipynb"}}.items():
    try:
        attempts[name] = "LEAKED" if "HIDDEN TESTS" in path.read_text() else "empty"
    except Exception as error:
        attempts[name] = type(error).__name__
try:
    with sqlite3.connect(course / "gradebook.db") as db:
        db.execute("UPDATE grade SET auto_score = 99")
    attempts["write_gradebook"] = "done"
except Exception as error:
    attempts["write_gradebook"] = type(error).__name__
try:
    with open(course / "gradebook.db", "ab") as handle:
        handle.write(b"HACKED")
except Exception as error:
    attempts["append_gradebook"] = type(error).__name__
print("ATTEMPTS", attempts)'''

# square(3), in the visible test only, never returns
LOOP = ("_square = square\n\ndef square(x):\n    while isinstance(x, int) and x == 3:\n        pass\n"
        "    return _square(x)")
FIGURES = ("import matplotlib.pyplot as plt\nfor i in range(100):\n    plt.figure(figsize=(1, 1), dpi=50)\n"
           "    plt.plot([0, i])")
WARNINGS = ("import warnings\nimport numpy as np\n_square = square\n\ndef square(x):\n"
            "    np.exp(np.float64(1000))  # overflow: a RuntimeWarning on stderr\n"
            "    warnings.warn('squares ahead')\n    return _square(x)")

# Tampering: a wrong answer plus one trick. Each answer is right for the visible tests and wrong for the
# hidden ones (or wrong everywhere, where the trick hides every error); plain nbgrader gives each of them
# every point (test_plain_nbgrader_is_fooled_by_every_trick), the course's grader what the answer earns.
SCALAR_SQUARE = "def square(x):\n    return x * x if np.ndim(x) == 0 else x + x  # wrong for arrays"
WRONG_SQUARE = "def square(x):\n    return x + x"
QUIET_RUN_CELL = """
ip = get_ipython()
_run_cell, _run_cell_async = ip.run_cell, ip.run_cell_async
def run_cell(*args, **kwargs):
    result = _run_cell(*args, **kwargs)
    result.error_in_exec = None
    return result
async def run_cell_async(*args, **kwargs):
    result = await _run_cell_async(*args, **kwargs)
    result.error_in_exec = None
    return result
ip.run_cell, ip.run_cell_async = run_cell, run_cell_async"""
SKIP_TESTS = """
ip = get_ipython()
_run_cell, _run_cell_async = ip.run_cell, ip.run_cell_async
def run_cell(raw_cell, *args, **kwargs):
    return _run_cell("pass" if "assert" in raw_cell else raw_cell, *args, **kwargs)
async def run_cell_async(raw_cell, *args, **kwargs):
    return await _run_cell_async("pass" if "assert" in raw_cell else raw_cell, *args, **kwargs)
ip.run_cell, ip.run_cell_async = run_cell, run_cell_async"""
TRICKS = {
    # student: (code added at the end of an answer cell, question, points a careful TA gives per question)
    "tamper_allclose": (SCALAR_SQUARE + "\nnp.testing.assert_allclose = lambda *args, **kwargs: None", "q1",
                        {"q1": 1, "q2": 3, "q4": 2}),
    "tamper_sys_modules": (SCALAR_SQUARE + "\nimport sys, types\nsys.modules['numpy.testing'] = "
                           "types.SimpleNamespace(assert_allclose=lambda *args, **kwargs: None)", "q1",
                           {"q1": 1, "q2": 3, "q4": 2}),
    "tamper_inside_function": ("def square(x):\n    np.testing.assert_allclose = lambda *a, **k: None\n"
                               "    return x * x if np.ndim(x) == 0 else x + x", "q1", {"q1": 1, "q2": 3, "q4": 2}),
    "tamper_helper": ("def mean(values):\n    return 0.0 if len(values) == 5 else float(np.sum(values)) / len(values)"
                      "\n\ndef close(a, b):\n    return True", "q2", {"q1": 3, "q2": 1, "q4": 2}),
    "tamper_builtins": ("def mean(values):\n    return 0.0 if len(values) == 10 else float(np.sum(values)) / "
                        "len(values)\nimport builtins\nbuiltins.abs = lambda x: 0", "q2", {"q1": 3, "q2": 1, "q4": 2}),
    "tamper_shadow_builtin": ("def mean(values):\n    return 0.0 if len(values) == 10 else float(np.sum(values)) / "
                              "len(values)\ndef abs(x):\n    return 0", "q2", {"q1": 3, "q2": 1, "q4": 2}),
    "tamper_custom_exc": (WRONG_SQUARE + "\nget_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)"
                          + QUIET_RUN_CELL, "q1", {"q1": 0, "q2": 3, "q4": 2}),
    "tamper_run_cell": (WRONG_SQUARE + SKIP_TESTS, "q1", {"q1": 0, "q2": 3, "q4": 2}),
    "tamper_transformer": (WRONG_SQUARE + "\nget_ipython().input_transformers_post.append(\n"
                           "    lambda lines: ['pass\\n'] if any('assert' in line for line in lines) else lines)", "q1",
                           {"q1": 0, "q2": 3, "q4": 2}),
    "tamper_module_file": ("import helpers\n" + SCALAR_SQUARE, "q1", {"q1": 1, "q2": 3, "q4": 2}),
    "tamper_events": (SCALAR_SQUARE + "\ndef patch(info):\n    np.testing.assert_allclose = lambda *a, **k: None\n"
                      "get_ipython().events.register('pre_run_cell', patch)", "q1", {"q1": 1, "q2": 3, "q4": 2}),
}
# Files a student hands in beside the notebook
FILES = {"tamper_module_file": {"helpers.py": "import numpy as np\n\n"
                                              "np.testing.assert_allclose = lambda *args, **kwargs: None\n"}}
# Exceptions that are not errors to IPython: a test they escape from fails all the same (not tampering)
EXCEPTIONS = {
    "raises_system_exit": ("def square(x):\n    if np.ndim(x):\n        raise SystemExit(0)\n    return x * x",
                           "q1", {"q1": 1, "q2": 3, "q4": 2}),
    "raises_keyboard_interrupt": ("def square(x):\n    if np.ndim(x):\n        raise KeyboardInterrupt\n"
                                  "    return x * x", "q1", {"q1": 1, "q2": 3, "q4": 2}),
}
# Another student's work, and the grader's own files, that no kernel may read or change
SECRET = "SECRET-FEEDBACK-OF-ALICE"
PRIVACY = '''import os, pathlib
course = pathlib.Path({root!r})
seen = []
for path in [course / "reports/older/feedback/alice/squares.html", course / "autograded/alice/older/squares.ipynb",
             course / "submitted/alice/older/squares.ipynb", course / "gradebook.db", course / "source",
             course / "incoming", pathlib.Path.home().parent, pathlib.Path("/root"), pathlib.Path("/tmp")]:
    try:
        seen.append((str(path), sorted(os.listdir(path)) if path.is_dir() else path.read_text()[:200]))
    except Exception as error:
        seen.append((str(path), type(error).__name__))
for path in [course / "reports/older/feedback/alice/squares.html", course / "source/{a}/squares.ipynb"]:
    try:
        path.write_text("overwritten by a student")
    except Exception as error:
        pass
print("PRIVACY", seen)'''

# student: (expected points per question, words expected in the status line)
EXPECTED = {
    "full": ({"q1": 3, "q2": 3, "q4": 2}, "ok"),
    "empty": ({"q1": 0, "q2": 0, "q4": 0}, "ok"),
    "partial": ({"q1": 3, "q2": 0, "q4": 2}, "ok"),
    "only_q2": ({"q1": 0, "q2": 3, "q4": 0}, "ok"),
    "wrong": ({"q1": 0, "q2": 3, "q4": 2}, "ok"),
    "loop_forever": ({"q1": 2, "q2": 3, "q4": 2}, f"ran longer than {CELL_TIMEOUT} s and was stopped"),
    "kernel_exit": ({"q1": 3, "q2": 0, "q4": 2}, "stopped the Python kernel"),
    "sys_exit": ({"q1": 3, "q2": 0, "q4": 2}, "ok"),
    "invalid_json": ({"q1": 0, "q2": 0, "q4": 2}, "not valid notebook JSON"),
    "deleted_tests": ({"q1": 3, "q2": 0, "q4": 2}, "was missing and was restored"),
    "edited_tests": ({"q1": 3, "q2": 0, "q4": 2}, "had been edited; the original was used"),
    "stripped_metadata": ({"q1": 3, "q2": 3, "q4": 2}, "lost its nbgrader metadata"),
    "warnings": ({"q1": 3, "q2": 3, "q4": 2}, "printed warnings (not counted against the test)"),
    "huge_output": ({"q1": 3, "q2": 3, "q4": 2}, "output was cut (more than 100 kB of text)"),
    "many_figures": ({"q1": 3, "q2": 3, "q4": 2}, "output was cut (more than 10 figures)"),
    "hostile_files": ({"q1": 3, "q2": 3, "q4": 2}, "ok"),
    "missing_notebook": ({"q1": 3, "q2": 3, "q4": 0}, "did not hand in extra.ipynb"),
    "memory_hog": ({"q1": 3, "q2": 0, "q4": 2}, "ok"),
    "disk_filler": ({"q1": 0, "q2": 3, "q4": 2}, "ok"),
    # a function that kills the kernel whenever it is called, called by five cells: only q1 is lost
    "kills_every_call": ({"q1": 0, "q2": 3, "q4": 2}, "stopped the Python kernel"),
    "latin1_byte": ({"q1": 3, "q2": 3, "q4": 2}, "was not UTF-8"),
    "upper_case_name": ({"q1": 3, "q2": 3, "q4": 2}, "graded SQUARES.ipynb as squares.ipynb"),
    "moved_answer": ({"q1": 3, "q2": 3, "q4": 2}, "out of the assignment's order"),
    "privacy_probe": ({"q1": 3, "q2": 3, "q4": 2}, "ok"),
    **{student: (points, "withheld for manual review") for student, (_, _, points) in TRICKS.items()},
    **{student: (points, "ok") for student, (_, _, points) in EXCEPTIONS.items()},
}
WELL_BEHAVED = ["full", "empty", "partial", "only_q2", "wrong"]


def make_course(root):
    """The example course with release/ generated by nbgrader and a solutions/ folder to protect."""
    example.write_course(root)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
                    f"--CourseDirectory.root={root}"], cwd=root, env=ENV, check=True, capture_output=True)
    shutil.copytree(root / "source", root / "solutions")
    read = lambda folder: {n: nbformat.read(root / folder / ASSIGNMENT / f"{n}.ipynb", as_version=4)  # noqa: E731
                           for n in ("squares", "extra")}
    return read("release"), read("source")


def class_submissions(release, source, root):
    """{student: {notebook: notebook or text}} for every student in EXPECTED."""
    full = {n: derive.answered(release[n], source[n]) for n in release}
    partial = {n: derive.answered(release[n], source[n], only=["q1", "q4"]) for n in release}
    sq = full["squares"]

    def with_squares(nb, base=full):
        return {**base, "squares": nb}

    wrong = derive.with_code(sq, "q1", "def square(x):\n    return x + x", at_end=True)
    return {
        "full": full,
        "empty": release,
        "partial": partial,
        "only_q2": {n: derive.answered(release[n], source[n], only=["q2"]) for n in release},
        "wrong": with_squares(wrong),
        "loop_forever": with_squares(derive.with_code(sq, "q1", LOOP, at_end=True)),
        "kernel_exit": with_squares(derive.with_code(sq, "q2", "import os\nos._exit(1)")),
        "sys_exit": with_squares(derive.with_code(sq, "q2", "import sys\nsys.exit('done for today')")),
        "invalid_json": with_squares(derive.truncated_json(sq)),
        "deleted_tests": with_squares(derive.without_cells(partial["squares"], ["q1_test_visible", "q2_test_hidden"]),
                                      partial),
        "edited_tests": with_squares(derive.with_cell_source(derive.with_cell_source(
            partial["squares"], "q2_test_visible", "pass"), "q2_test_hidden", "assert True"), partial),
        "stripped_metadata": with_squares(derive.without_metadata(sq)),
        "warnings": with_squares(derive.with_code(sq, "q1", WARNINGS, at_end=True)),
        "huge_output": with_squares(derive.with_code(sq, "q1", "print('x' * 30_000_000)", at_end=True)),
        "many_figures": with_squares(derive.with_code(sq, "q2", FIGURES, at_end=True)),
        "hostile_files": with_squares(derive.with_code(sq, "q1", HOSTILE.format(root=str(root), a=ASSIGNMENT),
                                                       at_end=True)),
        "missing_notebook": {"squares": sq},
        # 80 GB of memory, then a 200 MB file: the kernel's limits stop both, only the question fails
        "memory_hog": with_squares(derive.with_code(sq, "q2", "ballast = np.ones(10**10)")),
        "disk_filler": with_squares(derive.with_code(sq, "q1", "open('big.bin', 'wb').write(bytes(200_000_000))")),
        "kills_every_call": with_squares(_with_cells_after(
            derive.with_code(sq, "q1", "import os\n\ndef square(x):\n    os._exit(1)", at_end=True), "q1_square",
            ["square(1)"] * 3)),
        "latin1_byte": with_squares(_with_markdown(sq, "Notes: the café's answer, typed in an old editor.")),
        "upper_case_name": {"SQUARES": sq, "scratch": release["squares"], "extra": full["extra"]},
        "moved_answer": with_squares(_moved_below_tests(sq, "q2_mean")),
        "privacy_probe": with_squares(derive.with_code(sq, "q1", PRIVACY.format(root=str(root), a=ASSIGNMENT),
                                                       at_end=True)),
        **{student: with_squares(derive.with_code(sq, question, code, at_end=True))
           for student, (code, question, _) in {**TRICKS, **EXCEPTIONS}.items()},
    }


def _with_cells_after(nb, grade_id, sources):
    """A copy with new code cells (a student's scratch cells) right after the cell grade_id."""
    nb = copy.deepcopy(nb)
    at = [derive.grade_id(cell) for cell in nb.cells].index(grade_id) + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(source) for source in sources]
    return nb


def _with_markdown(nb, text):
    nb = copy.deepcopy(nb)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(text))
    return nb


def _moved_below_tests(nb, grade_id):
    """A copy where the answer cell grade_id sits after its question's last test cell."""
    nb = copy.deepcopy(nb)
    ids = [derive.grade_id(cell) for cell in nb.cells]
    answer = nb.cells.pop(ids.index(grade_id))
    question = question_id(grade_id)
    last_test = max(i for i, cell in enumerate(nb.cells) if (derive.grade_id(cell) or "").startswith(question + "_"))
    nb.cells.insert(last_test + 1, answer)
    return nb


def write_class(students, folder):
    for student, notebooks in students.items():
        (folder / student).mkdir(parents=True)
        for name, nb in notebooks.items():
            path = folder / student / f"{name}.ipynb"
            path.write_text(nb) if isinstance(nb, str) else nbformat.write(nb, path)
        for name, text in FILES.get(student, {}).items():
            (folder / student / name).write_text(text)
    latin1 = folder / "latin1_byte" / "squares.ipynb"
    if latin1.exists():  # the file as an editor that writes Latin-1 leaves it
        latin1.write_bytes(latin1.read_text(encoding="utf-8").encode("latin-1"))


def other_students_work(root):
    """Files of an earlier assignment that no kernel of this one may read or change: {path: content}."""
    files = {"reports/older/feedback/alice/squares.html": f"<html>{SECRET}</html>",
             "autograded/alice/older/squares.ipynb": SECRET, "submitted/alice/older/squares.ipynb": SECRET}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return files


def older_assignment_rows(root):
    """The gradebook rows of an earlier assignment (made here if missing): grading this one must not touch them."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's harmless autoflush warning, as in grade.py
        if "older" not in [a.name for a in gb.assignments]:
            gb.update_or_create_assignment("older", duedate="2026-10-01 12:00:00")
            gb.update_or_create_student("alice", first_name="Alice")
            gb.update_or_create_submission("older", "alice")
        submission = gb.find_submission("older", "alice")
        return (gb.find_assignment("older").to_dict(), submission.to_dict(), gb.find_student("alice").to_dict())


def snapshot(root, folders=("source", "solutions", "reports/older", "autograded/alice", "submitted/alice")):
    """{path: bytes} of every file below the given folders of the course."""
    return {str(p.relative_to(root)): p.read_bytes() for folder in folders for p in (root / folder).rglob("*")
            if p.is_file()}


def gradebook_scores(db_path):
    """{(student, notebook, cell): (auto_score, needs_manual_grade)} from nbgrader's gradebook."""
    scores = {}
    with Gradebook(f"sqlite:///{db_path}") as gb:
        for student in gb.students:
            for submission in student.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        scores[(student.id, notebook.name, grade.name)] = (grade.auto_score, grade.needs_manual_grade)
    return scores


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The whole class graded by `python -m autograder grade` with 2 workers (one run for every test)."""
    root = tmp_path_factory.mktemp("course")
    release, source = make_course(root)
    other_students_work(root)
    incoming = root / "incoming"
    write_class(class_submissions(release, source, root), incoming)
    (incoming / "notes.txt").write_text("a file that belongs to no student")
    before = snapshot(root), older_assignment_rows(root)
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, str(incoming),
                          "--course-root", str(root), "--workers", "2", "--timeout", str(CELL_TIMEOUT),
                          "--notebook-timeout", "120", "--no-progress"],
                         env=ENV, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    reports = root / "reports" / ASSIGNMENT
    with open(reports / "grades.csv") as handle:
        grades = {row["student"]: row for row in csv.DictReader(handle)}
    status = dict(line.split(": ", 1) for line in (reports / "status.txt").read_text().splitlines())
    return SimpleNamespace(root=root, stdout=run.stdout, reports=reports, grades=grades, status=status,
                           release=release, source=source, before=before)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_every_student_graded_as_a_careful_ta_would(graded, student):
    points, words = EXPECTED[student]
    row = graded.grades[student]
    assert {q: float(row[q]) for q in points} == points
    assert float(row["total"]) == sum(points.values())
    assert row["q3"] in {"pending", "0"}  # the written answer waits for a human (0: not answered)
    assert (words == "ok") == (graded.status[student] == "ok"), graded.status[student]
    assert words in graded.status[student] or words == "ok"


def test_feedback_for_every_student_and_notebook(graded):
    for student in EXPECTED:
        for notebook in ("squares", "extra"):
            page = graded.reports / "feedback" / student / f"{notebook}.html"
            if student == "missing_notebook" and notebook == "extra":
                assert not page.exists()
                continue
            html = page.read_text()
            assert "<html" in html.lower()
            assert page.stat().st_size < 3_000_000
    # nbgrader's own feedback, with the test that failed and its points
    html = (graded.reports / "feedback" / "partial" / "squares.html").read_text()
    assert "q2_test_visible" in html and "NotImplementedError" in html
    assert "could not be graded" in (graded.reports / "feedback" / "invalid_json" / "squares.html").read_text()


def test_feedback_never_shows_the_hidden_tests(graded):
    hidden = hidden_test_lines(graded.source.values())
    assert len(hidden) >= 4
    pages = sorted((graded.reports / "feedback").rglob("*.html"))
    assert len(pages) > len(EXPECTED)
    for page in pages:
        leaked = [line for line in hidden if line in shown_lines(page)]
        assert not leaked, (page, leaked)
    shown = " ".join(shown_lines(graded.reports / "feedback" / "wrong" / "squares.html"))
    assert "Hidden test q1_test_hidden: failed, see below (0 of 2 points)" in shown
    assert "Hidden test q2_test_hidden: passed (2 of 2 points)" in shown
    assert "its code is not shown" in shown and "For graders" not in shown


def test_timeout_message_is_in_words(graded):
    nb = nbformat.read(graded.root / "autograded" / "loop_forever" / ASSIGNMENT / "squares.ipynb", as_version=4)
    test = next(c for c in nb.cells if derive.grade_id(c) == "q1_test_visible")
    errors = [o for o in test.outputs if o.output_type == "error"]
    assert any(f"ran longer than {CELL_TIMEOUT} seconds and was stopped" in o.evalue for o in errors)


def test_outputs_are_limited_in_bytes_and_figures(graded):
    huge = graded.root / "autograded" / "huge_output" / ASSIGNMENT / "squares.ipynb"
    assert huge.stat().st_size < 1_000_000
    nb = nbformat.read(graded.root / "autograded" / "many_figures" / ASSIGNMENT / "squares.ipynb", as_version=4)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if any(k.startswith("image/") for k in o.get("data", {}))]
    assert 0 < len(images) <= 10


def test_student_code_cannot_read_solutions_or_touch_the_gradebook(graded):
    nb = nbformat.read(graded.root / "autograded" / "hostile_files" / ASSIGNMENT / "squares.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    attempts = json.loads(printed.split("ATTEMPTS ", 1)[1].splitlines()[0].replace("'", '"'))
    assert attempts["read_source"] != "LEAKED" and attempts["read_solutions"] != "LEAKED"
    assert attempts["write_gradebook"] != "done"
    assert b"HACKED" not in (graded.root / "gradebook.db").read_bytes()
    scores = gradebook_scores(graded.root / "gradebook.db")
    assert all(score is None or score <= 2 for score, _ in scores.values())


def test_reports(graded):
    header = next(csv.reader(open(graded.reports / "grades.csv")))
    assert header == ["student", "q1", "q2", "q3", "q4", "total", "pending"]
    assert graded.grades["full"]["q3"] == "pending" and graded.grades["full"]["pending"] == "q3"
    assert graded.grades["empty"]["q3"] == "0"  # nothing written: nothing to grade
    assert set(graded.grades) == set(EXPECTED)
    png = (graded.reports / "score_distribution.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    summary = (graded.reports / "summary.md").read_text()
    assert "score_distribution.png" in summary and "notes.txt" in summary and "q3" in summary
    for student in EXPECTED:
        assert f"| {student} |" in summary
    # the terminal table and where the reports are
    assert "total" in graded.stdout and str(graded.reports) in graded.stdout


def test_tampering_is_withheld_for_review_and_named(graded):
    """Formgrader lists the tampered tests as needing manual grading; the status line, the test cell in the
    feedback and the answer cell's comment name the construct and the cell."""
    with Gradebook(f"sqlite:///{graded.root / 'gradebook.db'}") as gb:
        for student, (_, question, _) in TRICKS.items():
            notebook = gb.find_submission_notebook("squares", ASSIGNMENT, student)
            flagged = {g.name for g in notebook.grades if g.needs_manual_grade and g.cell.cell_type == "code"}
            later = {g.name for g in notebook.grades if g.cell.cell_type == "code" and g.name >= f"{question}_"}
            assert later <= flagged, (student, flagged)
            comments = " ".join(c.auto_comment or "" for c in notebook.comments)
            assert "Autograder:" in comments, student
            assert f"{question}_" in graded.status[student], graded.status[student]
            html = (graded.reports / "feedback" / student / "squares.html").read_text()
            assert "withheld for manual review" in html, student
        for student in [*WELL_BEHAVED, "kills_every_call", "moved_answer", "warnings", "privacy_probe"]:
            notebook = gb.find_submission_notebook("squares", ASSIGNMENT, student)
            assert not any(g.needs_manual_grade for g in notebook.grades if g.cell.cell_type == "code"), student
    assert "replaces numpy.testing.assert_allclose" in graded.status["tamper_allclose"]
    assert "redefines close" in graded.status["tamper_helper"]
    assert "sys.modules" in graded.status["tamper_sys_modules"]


def test_no_kernel_reads_or_changes_another_students_work(graded):
    nb = nbformat.read(graded.root / "autograded" / "privacy_probe" / ASSIGNMENT / "squares.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "PRIVACY" in printed  # the probe ran
    assert SECRET not in printed and "HIDDEN TESTS" not in printed
    for student in EXPECTED:  # no other student's notebook, nor the grader's folders, were listed
        if student != "privacy_probe":
            assert f"'{student}'" not in printed.split("PRIVACY", 1)[1], student
    assert "autograder-work" not in printed and "'grader-" not in printed  # the grader's work folders
    files, rows = graded.before
    assert snapshot(graded.root) == files  # source/, solutions/, the earlier assignment's files: unchanged
    assert older_assignment_rows(graded.root) == rows  # and its gradebook rows


def test_same_grades_as_plain_serial_nbgrader(graded, tmp_path):
    """nbgrader autograde on its own (serial, no autograder) gives the well-behaved students the same grades."""
    root = tmp_path / "plain"
    release, source = make_course(root)
    students = class_submissions(release, source, root)
    write_class({s: students[s] for s in WELL_BEHAVED}, root / "submitted")
    for student in WELL_BEHAVED:  # nbgrader's layout: submitted/<student>/<assignment>/
        folder = root / "submitted" / student
        (folder / ASSIGNMENT).mkdir()
        for nb in list(folder.glob("*.ipynb")):
            nb.rename(folder / ASSIGNMENT / nb.name)
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, f"--CourseDirectory.root={root}"],
                   cwd=root, env=ENV, check=True, capture_output=True, timeout=900)
    plain = gradebook_scores(root / "gradebook.db")
    ours = {key: value for key, value in gradebook_scores(graded.root / "gradebook.db").items()
            if key[0] in WELL_BEHAVED}
    assert len(plain) == len(WELL_BEHAVED) * 6
    assert ours == plain


def test_plain_nbgrader_is_fooled_by_every_trick(tmp_path):
    """The tampering fixtures are real attacks: plain nbgrader gives each wrong answer all its points."""
    root = tmp_path / "plain"
    release, source = make_course(root)
    students = class_submissions(release, source, root)
    for student in TRICKS:
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(students[student]["squares"], folder / "squares.ipynb")
        for name, text in FILES.get(student, {}).items():
            (folder / name).write_text(text)
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, f"--CourseDirectory.root={root}"],
                   cwd=root, env=ENV, check=True, capture_output=True, timeout=900)
    scores = gradebook_scores(root / "gradebook.db")
    for student, (_, question, _) in TRICKS.items():
        fooled = {name: score for (who, notebook, name), (score, _) in scores.items()
                  if who == student and name.startswith(f"{question}_test")}
        assert fooled and all(score > 0 for score in fooled.values()), (student, fooled)


def test_formgrader_sees_the_mark_scheme_and_students_never_do(graded):
    """The graded notebook (what formgrader shows) has the model answer after the written answer; no
    feedback page has it."""
    nb = nbformat.read(graded.root / "autograded" / "full" / ASSIGNMENT / "squares.ipynb", as_version=4)
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
    note = nb.cells[ids.index("q3_written") + 1]
    assert "For graders" in note.source and "A negative times a negative is positive" in note.source
    for page in (graded.reports / "feedback").rglob("*.html"):
        assert "For graders" not in page.read_text(), page


def test_hand_back_after_hand_grading(graded, tmp_path):
    """A TA grades a written answer (score and comment into the gradebook, as formgrader does); the hand-back
    puts them into the student's feedback and grades.csv, and the answers still waiting stay pending."""
    course = tmp_path / "course"
    shutil.copytree(graded.root, course, ignore=shutil.ignore_patterns("submitted", "mathjax"))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade("q3_written", "squares", ASSIGNMENT, "full")
        grade.manual_score, grade.needs_manual_grade = 1.0, False
        gb.find_comment("q3_written", "squares", ASSIGNMENT, "full").manual_comment = "Right: $(-a)^2 = a^2$."
        gb.db.commit()
    run = subprocess.run([sys.executable, "-m", "autograder", "handback", ASSIGNMENT, "--course-root", str(course),
                          "--no-pdf"], env=ENV, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    reports = course / "reports" / ASSIGNMENT
    grades = {row["student"]: row for row in csv.DictReader(open(reports / "grades.csv"))}
    assert grades["full"]["q3"] == "1" and grades["full"]["pending"] == ""
    assert float(grades["full"]["total"]) == float(graded.grades["full"]["total"]) + 1
    assert grades["wrong"]["q3"] == "pending"
    assert {s: row["total"] for s, row in grades.items() if s != "full"} == \
        {s: row["total"] for s, row in graded.grades.items() if s != "full"}
    full = " ".join(shown_lines(reports / "feedback" / "full" / "squares.html"))
    assert "Right: $(-a)^2 = a^2$." in full and "Not graded yet" not in full
    assert "Not graded yet" in " ".join(shown_lines(reports / "feedback" / "wrong" / "squares.html"))
    summary = (reports / "summary.md").read_text()
    assert "| full | 9 |" in summary and "pending" in summary
    # a notebook that could not be graded keeps the page saying why
    assert "could not be graded" in (reports / "feedback" / "invalid_json" / "squares.html").read_text()
    assert str(reports) in run.stdout and "pending" in run.stdout


def gradebook_cells(db_path):
    """What nbgrader's generate_assignment records of the assignment: {notebook: (grade cells with their
    points and type, solution cells, source cells with their checksums)}."""
    with Gradebook(f"sqlite:///{db_path}") as gb:
        return {nb.name: ({(c.name, c.max_score, c.cell_type) for c in nb.grade_cells},
                          {c.name for c in nb.solution_cells},
                          {(c.name, c.cell_type, c.locked, c.checksum) for c in nb.source_cells})
                for nb in gb.find_assignment(ASSIGNMENT).notebooks}


def test_a_course_without_a_gradebook_gets_the_one_nbgrader_would_make(tmp_path):
    """A course's first run starts its gradebook from the template's (sparing nbgrader's migrations): it
    holds what nbgrader's own generate_assignment records, and nbgrader goes on using it."""
    root = tmp_path / "course"
    release, source = make_course(root)  # nbgrader generate_assignment made a gradebook: the reference
    expected = gradebook_cells(root / "gradebook.db")
    (root / "gradebook.db").unlink()
    write_class({"full": class_submissions(release, source, root)["full"]}, root / "incoming")
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, str(root / "incoming"),
                          "--course-root", str(root), "--workers", "1", "--no-progress"],
                         env=ENV, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert gradebook_cells(root / "gradebook.db") == expected
    assert not list(root.glob("gradebook.db.*"))  # no partial copy left behind
    # nbgrader itself goes on with it: the assignment generated again (an edit), the grades exported
    for command in (["generate_assignment", ASSIGNMENT, "--force"], ["export"]):
        subprocess.run([sys.executable, "-m", "nbgrader", *command, f"--CourseDirectory.root={root}"],
                       cwd=root, env=ENV, check=True, capture_output=True, timeout=300)
    with open(root / "grades.csv") as handle:
        exported = {row["student_id"]: row for row in csv.DictReader(handle)}
    autograded = sum(score or 0 for (who, _, _), (score, _) in gradebook_scores(root / "gradebook.db").items()
                     if who == "full")
    assert autograded > 0 and float(exported["full"]["raw_score"]) == autograded

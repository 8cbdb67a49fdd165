"""Item analysis (autograder/item_analysis.py) on a constructed class whose answers are worked out by hand,
and once on a real nbgrader gradebook with graded notebooks (no grading run: built with nbgrader's API)."""
import math
import warnings

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograder import item_analysis, reports
from autograder.course import Assignment
from autograder.release import nbgrader_path

# Four students. q_all: everyone gets its 2 points; q_none: nobody gets its point; q_track: 0, 1, 2, 3 of 3,
# rising with the rest of the total; q_written: a written answer graded for three students (0, 1, 2 of 2),
# pending for ann (0 in her total until graded).
MAXIMA = {"q_all": 2.0, "q_none": 1.0, "q_track": 3.0, "q_written": 2.0}
SCORES = {"ann": (2, 0, 0, 0), "bob": (2, 0, 1, 0), "cat": (2, 0, 2, 1), "dan": (2, 0, 3, 2)}
PENDING = {"ann": ["q_written"]}


def rows():
    """reports.grade_table's rows for the class above (pending answers count 0 in the total)."""
    table = []
    for student, scores in SCORES.items():
        row = {"student": student, **dict(zip(MAXIMA, map(float, scores))), "ungraded": PENDING.get(student, []),
               "pending": PENDING.get(student, [])}
        row["total"] = sum(row[q] for q in MAXIMA)
        table.append(row)
    return table


def pearson(x, y):
    """Pearson's r, written out."""
    mx, my = sum(x) / len(x), sum(y) / len(y)
    cov = sum((a - mx) * (b - my) for a, b in zip(x, y))
    return cov / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))


def test_constructed_class_gives_the_numbers_worked_out_by_hand():
    items = {item.question: item for item in item_analysis.analyse(MAXIMA, rows())}

    everyone = items["q_all"]
    assert (everyone.graded, everyone.pending, everyone.full, everyone.partial, everyone.zero) == (4, 0, 4, 0, 0)
    assert everyone.mean == 2 and everyone.sd == 0 and everyone.difficulty == 1
    assert everyone.discrimination is None and everyone.undefined == "undefined: everyone scored 2"

    nobody = items["q_none"]
    assert (nobody.full, nobody.partial, nobody.zero) == (0, 0, 4)
    assert nobody.mean == 0 and nobody.difficulty == 0
    assert nobody.discrimination is None and nobody.undefined == "undefined: everyone scored 0"

    # totals: ann 2, bob 3, cat 5, dan 7; the rest without q_track: 2, 2, 3, 4 (mean 2.75)
    track = items["q_track"]
    assert (track.full, track.partial, track.zero) == (1, 2, 1)
    assert track.mean == 1.5 and track.difficulty == pytest.approx(0.5)
    assert track.sd == pytest.approx(math.sqrt((1.5 ** 2 + 0.5 ** 2 + 0.5 ** 2 + 1.5 ** 2) / 4))
    # by hand: deviations -1.5, -0.5, 0.5, 1.5 and -0.75, -0.75, 0.25, 1.25; covariance sum 3.5,
    # sums of squares 5 and 2.75
    assert track.discrimination == pytest.approx(3.5 / math.sqrt(5 * 2.75))
    assert track.discrimination == pytest.approx(pearson([0, 1, 2, 3], [2, 2, 3, 4]))
    assert track.undefined is None


def test_pending_answers_are_left_out_and_counted():
    written = {item.question: item for item in item_analysis.analyse(MAXIMA, rows())}["q_written"]
    assert (written.graded, written.pending) == (3, 1)
    assert (written.full, written.partial, written.zero) == (1, 1, 1)  # bob 0, cat 1, dan 2 of 2
    assert written.mean == 1 and written.difficulty == 0.5
    # bob, cat, dan: q_written 0, 1, 2; the rest of their totals 3, 4, 5: a straight line
    assert written.discrimination == pytest.approx(1.0)
    lines = "\n".join(item_analysis.markdown(item_analysis.analyse(MAXIMA, rows()), [], 4))
    assert "| q_written | 2 | 3 | 1 | 1.00 |" in lines and "undefined: everyone scored 2" in lines


def test_a_question_nobody_has_been_graded_on_is_pending():
    table = rows()
    for row in table:
        row["ungraded"] = ["q_written"]
    written = item_analysis.analyse(MAXIMA, table)[3]
    assert (written.graded, written.pending, written.mean, written.difficulty) == (0, 4, None, None)
    assert "| q_written | 2 | 0 | 4 | pending |" in "\n".join(item_analysis.markdown([written], [], 4))


def test_undefined_with_fewer_than_three_graded_and_a_constant_rest():
    assert item_analysis.correlation([1, 0], [3, 4]) == (None, "undefined: 2 graded (at least 3 needed)")
    assert item_analysis.correlation([1, 0, 2], [3, 3, 3]) == \
        (None, "undefined: the rest of the total is the same for everyone")
    r, why = item_analysis.correlation([0, 1, 2], [1, 2, 3])
    assert r == pytest.approx(1.0) and why is None


def test_the_message_a_student_saw_is_the_judges_line_without_colours():
    judged = new_output("error", ename="AssertionError", evalue="AssertionError: f(2) should be 4, got 5",
                        traceback=["AssertionError: f(2) should be 4, got 5", "Where it happened:", "  line 3"])
    assert item_analysis.shown_message(judged) == "AssertionError: f(2) should be 4, got 5"
    plain = new_output("error", ename="NameError", evalue="name 'f' is not defined",
                       traceback=["\x1b[0;31m----\x1b[0m", "\x1b[0;31mNameError\x1b[0m: name 'f' is not defined"])
    assert item_analysis.shown_message(plain) == "NameError: name 'f' is not defined"


ASSIGNMENT = "squares"
HIDDEN = "assert square(2) == 4\n### BEGIN HIDDEN TESTS\nassert square(3) == 9, 'square(3) should be 9'\n" \
         "### END HIDDEN TESTS\n"


def cell(grade_id, points, source, outputs=()):
    meta = {"nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": grade_id,
                         "points": points, "schema_version": 3}}
    return new_code_cell(source, metadata=meta, outputs=list(outputs))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A course folder: source/squares/squares.ipynb with a hidden test (q1) and a visible one (q2), a
    gradebook with three students, and their graded notebooks; two failed the hidden test with the same
    message, one of them has no graded notebook."""
    tmp_path = tmp_path_factory.mktemp("course")
    source = tmp_path / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(new_notebook(cells=[cell("q1_test_hidden", 2, HIDDEN), cell("q2_test", 1, "assert True\n")]),
                   source / "squares.ipynb")
    failed = new_output("error", ename="AssertionError", evalue="AssertionError: square(3) should be 9",
                        traceback=["AssertionError: square(3) should be 9"])
    scores = {"ann": (2, 1), "bob": (0, 1), "cat": (0, 0)}
    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with nbgrader_path(), Gradebook(db_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_assignment(ASSIGNMENT)
        gb.update_or_create_notebook("squares", ASSIGNMENT)
        for name, points in (("q1_test_hidden", 2), ("q2_test", 1)):
            gb.update_or_create_grade_cell(name, "squares", ASSIGNMENT, max_score=points, cell_type="code")
        for student, (hidden, visible) in scores.items():
            gb.update_or_create_student(student)
            gb.add_submission(ASSIGNMENT, student)
            for name, score in (("q1_test_hidden", hidden), ("q2_test", visible)):
                gb.find_grade(name, "squares", ASSIGNMENT, student).auto_score = score
        gb.db.commit()
    for student in ("ann", "bob"):  # cat's notebook could not be graded: none in autograded/
        folder = tmp_path / "autograded" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        outputs = [failed] if scores[student][0] == 0 else []
        nbformat.write(new_notebook(cells=[cell("q1_test_hidden", 2, HIDDEN, outputs),
                                           cell("q2_test", 1, "assert True\n")]), folder / "squares.ipynb")
    return tmp_path, Assignment.read(tmp_path, ASSIGNMENT), db_url


def test_hidden_tests_failed_most_often_from_a_real_gradebook(graded_class):
    root, asg, db_url = graded_class
    failures = item_analysis.hidden_test_failures(asg, db_url, ["ann", "bob", "cat"], root / "autograded")
    assert len(failures) == 1  # q2_test is visible
    test = failures[0]
    assert (test.grade_id, test.notebook, test.points, test.failed, test.of) == ("q1_test_hidden", "squares", 2, 2, 3)
    assert test.messages[0] == ("AssertionError: square(3) should be 9", 1)
    assert "no graded notebook" in test.messages[1][0]


def test_reports_write_the_item_analysis(graded_class):
    root, asg, db_url = graded_class
    status = dict.fromkeys(["ann", "bob", "cat"], "ok")
    reports.write(root / "reports" / ASSIGNMENT, asg, db_url, status, [])
    summary = (root / "reports" / ASSIGNMENT / "summary.md").read_text()
    assert "## Item analysis" in summary and "(item_analysis.png)" in summary
    # q1: 2, 0, 0 of 2; the rest (q2): 1, 1, 0
    assert f"| q1 | 2 | 3 | 0 | 0.67 | 0.94 | 1 (33%) | 0 (0%) | 2 (67%) | 0.33 | " \
           f"{pearson([2, 0, 0], [1, 1, 0]):.2f} |" in summary
    assert "`q1_test_hidden` (q1, squares.ipynb, 2 points): failed by 2 of 3 students" in summary
    assert "1 × `AssertionError: square(3) should be 9`" in summary
    png = (root / "reports" / ASSIGNMENT / "item_analysis.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000

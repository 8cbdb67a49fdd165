"""Grades for the LMS (autograder/export.py, `python -m autograder export`): the files match Canvas's and
Moodle's own sample files column for column; students missing on either side are named; bad rosters get a
message and a non-zero exit, never a traceback. The gradebook is built with nbgrader's API (no grading run)."""
import csv
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograder import export, reports
from autograder.__main__ import main
from autograder.course import Assignment
from autograder.release import nbgrader_environment, nbgrader_path

FIXTURES = Path(__file__).parent / "fixtures" / "lms"
ASSIGNMENT = "squares"
# q1_test: an autograded test of 2 points; q2_written: a written answer of 1 point, graded by a person
SCORES = {"ann": (2, 1), "bob": (0, 0.5), "cat": (2, 0)}
ROSTER = [["student_id", "name", "email", "lms_id", "sis_user_id", "sis_login_id", "section"],
          ["ann", "Lovelace, Ann", "ann@example.edu", "101", "S101", "ann01", "Deep Learning 2026"],
          ["bob", "Bob Babbage", "bob@example.edu", "102", "S102", "bob02", "Deep Learning 2026"],
          ["cat", "Cat Hopper", "cat@example.edu", "103", "S103", "cat03", "Deep Learning 2026"]]


def grade_cell(grade_id, points, solution, markdown=False):
    meta = {"nbgrader": {"grade": True, "solution": solution, "locked": not solution, "grade_id": grade_id,
                         "points": points, "schema_version": 3}}
    return (new_markdown_cell if markdown else new_code_cell)("answer" if solution else "assert True", metadata=meta)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder with source/squares/squares.ipynb and a gradebook where every answer is graded."""
    root = tmp_path_factory.mktemp("course")
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(new_notebook(cells=[grade_cell("q1_test", 2, False), grade_cell("q2_written", 1, True, True)]),
                   root / "source" / ASSIGNMENT / "squares.ipynb")
    with nbgrader_path(), Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_assignment(ASSIGNMENT)
        gb.update_or_create_notebook("squares", ASSIGNMENT)
        gb.update_or_create_grade_cell("q1_test", "squares", ASSIGNMENT, max_score=2, cell_type="code")
        gb.update_or_create_grade_cell("q2_written", "squares", ASSIGNMENT, max_score=1, cell_type="markdown")
        gb.update_or_create_solution_cell("q2_written", "squares", ASSIGNMENT)
        for student, (test, written) in SCORES.items():
            gb.update_or_create_student(student)
            gb.add_submission(ASSIGNMENT, student)
            auto = gb.find_grade("q1_test", "squares", ASSIGNMENT, student)
            auto.auto_score, auto.needs_manual_grade = test, False
            by_hand = gb.find_grade("q2_written", "squares", ASSIGNMENT, student)
            by_hand.manual_score, by_hand.needs_manual_grade = written, False
        gb.db.commit()
    write_rows(root / "roster.csv", ROSTER)
    return root


def write_rows(path, rows):
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def run(course, *args):
    """`python -m autograder export squares ...` in this process: its exit status."""
    return main(["export", ASSIGNMENT, "--course-root", str(course), "--gradebook", str(course / "gradebook.db"),
                 *args])


def test_canvas_file_matches_canvas_sample_column_for_column(course, tmp_path, capsys):
    out = tmp_path / "canvas.csv"
    assert run(course, "--format", "canvas", "--roster", str(course / "roster.csv"), "--output", str(out)) == 0
    produced, sample = read_rows(out), read_rows(FIXTURES / "canvas_gradebook.csv")
    assert produced[0] == sample[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert produced[1][0].strip() == "Points Possible" and produced[1] == sample[1]
    assert produced == sample
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("key, column", [("email", "Email address"), ("idnumber", "ID number")])
def test_moodle_file_matches_moodles_own_columns(course, tmp_path, key, column):
    roster = [row[:3] + [{"101": "S101", "102": "S102", "103": "S103"}.get(row[3], row[3])] for row in ROSTER]
    out = tmp_path / "moodle.csv"
    assert run(course, "--format", "moodle", "--roster", str(write_rows(tmp_path / "roster.csv", roster)),
               "--moodle-key", key, "--column", "Assignment: squares", "--output", str(out)) == 0
    produced = read_rows(out)
    sample = list(csv.DictReader(open(FIXTURES / "moodle_grades.csv", newline="")))
    assert produced[0] == [column, "Assignment: squares"]  # two of Moodle's own column names
    assert all(name in sample[0] for name in produced[0])
    assert [(line[0], float(line[1])) for line in produced[1:]] == \
        [(row[column], float(row["Assignment: squares"])) for row in sample]


def test_totals_are_grades_csv_totals(course, tmp_path):
    asg = Assignment.read(course, ASSIGNMENT)
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    table = reports.grade_table(asg, db_url, SCORES)
    result = export.export(asg, db_url, export.read_roster(course / "roster.csv"), "csv")
    assert result.lines[0] == ["student_id", "name", "email", "lms_id", ASSIGNMENT, "max points", "pending"]
    assert {line[0]: float(line[4]) for line in result.lines[1:]} == {row["student"]: row["total"] for row in table}
    assert {row["student"]: row["total"] for row in table} == {"ann": 3, "bob": 0.5, "cat": 2}


def test_roster_mismatch_is_named_and_the_exit_status_says_so(course, tmp_path, capsys):
    roster = write_rows(tmp_path / "roster.csv", [ROSTER[0], ROSTER[1], ROSTER[2],
                                                  ["dan", "Dan Dijkstra", "dan@example.edu", "104", "", "", ""]])
    out = tmp_path / "canvas.csv"
    assert run(course, "--format", "canvas", "--roster", str(roster), "--output", str(out)) == 1
    err = capsys.readouterr().err
    assert "1 student graded but not in the roster, so not in the file: cat" in err
    assert "1 student in the roster without a graded submission, so not in the file: dan" in err
    assert [line[1] for line in read_rows(out)[2:]] == ["101", "102"]


def test_an_empty_identifier_is_named(course, tmp_path, capsys):
    roster = write_rows(tmp_path / "roster.csv", [ROSTER[0], ROSTER[1], ROSTER[2][:2] + [""] + ROSTER[2][3:],
                                                  ROSTER[3]])
    assert run(course, "--format", "moodle", "--roster", str(roster), "--output", str(tmp_path / "m.csv")) == 1
    assert "bob: the roster's email is empty" in capsys.readouterr().err
    assert [line[0] for line in read_rows(tmp_path / "m.csv")[1:]] == ["ann@example.edu", "cat@example.edu"]


@pytest.mark.parametrize("rows, words", [
    ([["id", "name", "mail"], ["ann", "Ann", "ann@example.edu"]],
     "its first line must name the columns student_id, name, email, lms_id (missing: student_id, email, lms_id"),
    ([ROSTER[0], ROSTER[1], ROSTER[2], ["ann", "Ann again", "ann2@example.edu", "105"]],
     "line 4: student id 'ann' is already on line 2; each student once"),
])
def test_a_bad_roster_gets_a_message_and_a_non_zero_exit(course, tmp_path, rows, words, capsys):
    out = tmp_path / "canvas.csv"
    assert run(course, "--format", "canvas", "--roster", str(write_rows(tmp_path / "roster.csv", rows)),
               "--output", str(out)) == 2
    assert words in capsys.readouterr().err and not out.exists()


def test_a_bad_roster_through_the_command_line_gives_no_traceback(course, tmp_path):
    roster = write_rows(tmp_path / "roster.csv", [["id", "name"], ["ann", "Ann"]])
    done = subprocess.run([sys.executable, "-m", "autograder", "export", ASSIGNMENT, "--format", "canvas",
                           "--roster", str(roster), "--course-root", str(course), "--output", str(tmp_path / "x.csv")],
                          env=nbgrader_environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("python -m autograder export: ") and "its first line must name" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "x.csv").exists()


def test_a_roster_that_is_not_utf8_or_missing_is_explained(tmp_path):
    (tmp_path / "latin1.csv").write_bytes("student_id,name,email,lms_id\nann,Zoë,z@x,1\n".encode("latin-1"))
    with pytest.raises(export.RosterError, match="not UTF-8"):
        export.read_roster(tmp_path / "latin1.csv")
    with pytest.raises(export.RosterError, match="does not exist"):
        export.read_roster(tmp_path / "missing.csv")


def test_a_pending_answer_stops_the_export_unless_allowed(course, tmp_path, capsys):
    shutil.copytree(course, tmp_path / "course")
    pending = tmp_path / "course"
    with Gradebook(f"sqlite:///{pending / 'gradebook.db'}") as gb:
        grade = gb.find_grade("q2_written", "squares", ASSIGNMENT, "cat")
        grade.manual_score, grade.needs_manual_grade = None, True
        gb.db.commit()
    out = tmp_path / "canvas.csv"
    args = ("--format", "canvas", "--roster", str(pending / "roster.csv"), "--output", str(out))
    assert run(pending, *args) == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "nothing written: 1 student with answers waiting for a person (q2 of cat)" in err
    assert "--allow-pending" in err
    assert run(pending, *args, "--allow-pending") == 0
    assert "exported with 1 student with answers waiting for a person" in capsys.readouterr().err
    assert read_rows(out)[4][-1] == "2"  # cat: the test's 2 points; the written answer counts 0 so far


def test_command_line_problems_are_explained(course, capsys):
    with pytest.raises(SystemExit) as stop:
        run(course, "--format", "canvas")
    assert stop.value.code == 2 and "--format canvas needs --roster ROSTER" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(course, "--format", "moodle", "--roster", str(course / "nowhere.csv"))
    assert "nowhere.csv is not a file" in capsys.readouterr().err

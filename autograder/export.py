"""Grades into a learning-management system: the gradebook's totals as the import file Canvas or Moodle reads.

    python -m autograder export 04_digits --format canvas --roster roster.csv
    python -m autograder export 04_digits --format moodle --roster roster.csv --output digits-moodle.csv

The roster (a CSV file, UTF-8, a header row, one row per student; columns in any order, others ignored):
    student_id    nbgrader's student id: the student's folder in submitted/ and the first column of grades.csv
    name          the student's name as the LMS shows it (Canvas's "Student" column)
    email         the email address of the student's LMS account (Moodle's "Email address")
    lms_id        the student's id in the LMS: in Canvas the user's "ID" (the ID column of an exported Canvas
                  gradebook), in Moodle the user's "ID number"
  optional, Canvas only: sis_user_id, sis_login_id, section (Canvas's columns of the same names; left empty
  when absent: Canvas matches a row by its ID first).
A cell may be empty where the chosen format does not use it (Moodle by email needs no lms_id).

Formats (--format):
    canvas  Canvas's Gradebook CSV, as Canvas exports it and imports it again (Grades > Import): the header
            Student, ID, SIS User ID, SIS Login ID, Section, then the assignment's column; a second row
            "Points Possible" with the assignment's points under its column; then one row per student. The
            column is named after the assignment (--column: an existing Canvas assignment as Canvas names it,
            "Digits (12345)"; a new name makes Canvas create the assignment).
    moodle  Moodle's CSV grade import: one column identifying the student, "Email address" (--moodle-key
            email, the default) or "ID number" (--moodle-key idnumber: the roster's lms_id), and one column
            with the grade. In Moodle (Grades > Import > CSV file), map "Email address" to useremail (or "ID
            number" to useridnumber) and the grade column to the assignment's grade item.
    csv     student_id, name, email, lms_id, the assignment's column, max points, pending questions.

The grades are grades.csv's totals, read from the gradebook by reports.grade_table. A pending answer (a written
answer no person has graded yet, or tests withheld for review) stops the export: uploaded to an LMS, a total
that counts an ungraded answer as 0 looks final to the student, and the hand-back is the point where grades
are final. Grade them in formgrader and hand back first; --allow-pending exports the totals so far anyway and
names every pending answer on stderr.

Students graded but missing from the roster, and roster students with no graded submission, are named on
stderr and the exit status is 1 (the file holds everyone else); neither is ever dropped in silence.
"""
import csv
from dataclasses import dataclass, field
from pathlib import Path

from autograder import reports

ROSTER_COLUMNS = ("student_id", "name", "email", "lms_id")
CANVAS_OPTIONAL = ("sis_user_id", "sis_login_id", "section")
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"  # Canvas's own export writes the label indented, and reads it so
MOODLE_KEYS = {"email": ("Email address", "email"), "idnumber": ("ID number", "lms_id")}
FORMATS = ("canvas", "moodle", "csv")


class RosterError(Exception):
    """A roster that cannot be used, said in words (file, line, what is wrong and how to fix it)."""


@dataclass
class Export:
    """An export file's rows and what did not fit. lines: the CSV rows, header first; not_in_roster: graded
    students the roster does not list; not_graded: roster students without a graded submission; no_identifier:
    [(student, column)] whose roster cell the format needs is empty; pending: {student: [questions]}."""
    lines: list
    not_in_roster: list = field(default_factory=list)
    not_graded: list = field(default_factory=list)
    no_identifier: list = field(default_factory=list)
    pending: dict = field(default_factory=dict)

    def problems(self):
        """Sentences for stderr about the students the file leaves out (empty: everyone is in it)."""
        words = []
        if self.not_in_roster:
            words.append(f"{_students(self.not_in_roster)} graded but not in the roster, so not in the file: "
                         f"{', '.join(self.not_in_roster)} (add them to the roster with their LMS id and email)")
        if self.not_graded:
            words.append(f"{_students(self.not_graded)} in the roster without a graded submission, so not in the "
                         f"file: {', '.join(self.not_graded)} (enter their grades in the LMS by hand, or grade "
                         "their work first)")
        for student, column in self.no_identifier:
            words.append(f"{student}: the roster's {column} is empty, so the LMS could not match the row; "
                         "not in the file")
        return words


def read_roster(path):
    """{student_id: {column: value}} from a roster file; RosterError says what is wrong with it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark, as spreadsheets write, is fine
    except FileNotFoundError:
        raise RosterError(f"{path} does not exist (give the roster: a CSV file with the columns "
                          f"{', '.join(ROSTER_COLUMNS)})") from None
    except UnicodeDecodeError:
        raise RosterError(f"{path} is not UTF-8 text; save it from the spreadsheet as \"CSV UTF-8\"") from None
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in ROSTER_COLUMNS if name not in header]
    if missing:
        raise RosterError(f"{path}: its first line must name the columns {', '.join(ROSTER_COLUMNS)} "
                          f"(missing: {', '.join(missing)}; found: {', '.join(header) or 'nothing'})")
    reader.fieldnames = header
    roster, lines = {}, {}
    for number, row in enumerate(reader, start=2):
        row = {key: (value or "").strip() for key, value in row.items() if key}
        student = row["student_id"]
        if not student:
            if any(row.values()):
                raise RosterError(f"{path}, line {number}: student_id is empty")
            continue  # a blank line
        if student in roster:
            raise RosterError(f"{path}, line {number}: student id {student!r} is already on line "
                              f"{lines[student]}; each student once")
        roster[student], lines[student] = row, number
    return roster


def export(asg, db_url, roster, fmt, column=None, moodle_key="email"):
    """The Export of assignment asg's grades from the gradebook at db_url in format fmt ("canvas", "moodle",
    "csv"); roster: read_roster's dict, or None (csv only: student ids and totals). column: the assignment's
    column header (default: its name)."""
    column = column or asg.name
    rows = reports.grade_table(asg, db_url, graded_students(db_url, asg.name))
    top = sum(asg.max_points().values())
    result = Export(lines=[])
    if roster is not None:
        graded = {row["student"] for row in rows}
        result.not_in_roster = [row["student"] for row in rows if row["student"] not in roster]
        result.not_graded = [student for student in roster if student not in graded]
    result.pending = {row["student"]: row["pending"] for row in rows if row["pending"]}
    matched = [row for row in rows if roster is None or row["student"] in roster]

    if fmt == "canvas":
        result.lines = [CANVAS_HEADER + [column], [CANVAS_POINTS_ROW, "", "", "", "", f"{top:g}"]]
        for row in _identified(result, matched, roster, "lms_id"):
            person = roster[row["student"]]
            result.lines.append([person["name"], person["lms_id"],
                                 *(person.get(name, "") for name in CANVAS_OPTIONAL), f"{row['total']:g}"])
    elif fmt == "moodle":
        header, key = MOODLE_KEYS[moodle_key]
        result.lines = [[header, column]]
        for row in _identified(result, matched, roster, key):
            result.lines.append([roster[row["student"]][key], f"{row['total']:g}"])
    elif fmt == "csv":
        result.lines = [[*ROSTER_COLUMNS, column, "max points", "pending"]]
        for row in matched:
            person = roster[row["student"]] if roster is not None else {}
            result.lines.append([row["student"], *(person.get(name, "") for name in ROSTER_COLUMNS[1:]),
                                 f"{row['total']:g}", f"{top:g}", " ".join(row["pending"])])
    else:
        raise ValueError(f"unknown format {fmt!r}; the formats are {', '.join(FORMATS)}")
    return result


def _identified(result, rows, roster, key):
    """The rows whose roster entry has the identifier `key`; the others go into result.no_identifier."""
    for row in rows:
        if roster[row["student"]].get(key):
            yield row
        else:
            result.no_identifier.append((row["student"], key))


def graded_students(db_url, assignment):
    """The students with a submission of the assignment in the gradebook, sorted."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(db_url) as gb:
        try:
            return sorted(submission.student.id for submission in gb.find_assignment(assignment).submissions)
        except MissingEntry:
            return []


def write(path, lines):
    """Write the rows as CSV (UTF-8, comma-separated, quoted where needed: what Canvas and Moodle read)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(lines)


def pending_words(pending, asg_name, allowed=False):
    """The pending answers, in words, for stderr: why the export stopped, or (allowed) what the file counts."""
    by_questions = {}
    for student, questions in sorted(pending.items()):
        by_questions.setdefault(", ".join(questions), []).append(student)
    answers = "; ".join(f"{questions} of {', '.join(students)}" for questions, students in by_questions.items())
    waiting = f"{_students(list(pending))} with answers waiting for a person ({answers})"
    if allowed:
        return (f"exported with {waiting}: their totals are those so far (a pending written answer counts 0); "
                "export again after the hand-back.")
    return (f"nothing written: {waiting}. Grade them in formgrader and hand back (python -m autograder handback "
            f"{asg_name}) first, or pass --allow-pending to export the totals so far (a pending written answer "
            "counts 0).")


def _students(names):
    """"1 student", "3 students"."""
    return "1 student" if len(names) == 1 else f"{len(names)} students"

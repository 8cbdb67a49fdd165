"""Hand back after hand-grading: every report made again from the gradebook, with the grades people gave.

    python -m autograder handback 04_digits                       # after grading in formgrader
    python -m autograder handback 04_digits --output build/demo   # the demo class

Grading writes feedback and grade tables while written answers still wait for a person. Once they are graded
in formgrader (the scores and comments go into the gradebook), this writes, in reports/<assignment>/:
    feedback/<student>/<notebook>.html    nbgrader's GenerateFeedback from the gradebook (feedback.py's pipeline)
    feedback-pdf/<student>/<notebook>.pdf the same pages as PDFs (feedback_pdf.py)
    grades.csv, summary.md, score_distribution.png, status.txt   (reports.py)
Answers no person has graded yet are pending in the tables; on the feedback page nbgrader's score reads 0 and
the comment says that a person has yet to grade the answer. Use this instead of formgrader's
"Generate Feedback" button, which writes nbgrader's own feedback/ folder in the course root.
"""
import shutil
import tempfile
from pathlib import Path

from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder import feedback, reports
from autograder.course import Assignment, gradebook_url, load_config
from autograder.feedback_pdf import feedback_to_pdf
from autograder.release import COURSE_ROOT
from autograder.worker import run_converter


class NothingToHandBack(Exception):
    """The assignment was never graded here (no run.json in its reports)."""


def hand_back(assignment, course_root=COURSE_ROOT, gradebook=None, output=None, reports_dir=None, pdf=True):
    """Write feedback (HTML and, with pdf, PDF) and the reports of `assignment` again from the gradebook;
    returns (grade table rows, reports folder). output/reports_dir as for grade.grade(); the gradebook is the
    file given here, else the one given to grading, else the course's db_url."""
    course_root = Path(course_root).resolve()
    config = load_config(course_root)
    asg = Assignment.read(course_root, assignment)
    output = Path(output or course_root).resolve()
    reports_dir = Path(reports_dir or output / "reports").resolve() / assignment
    if not (reports_dir / "run.json").exists():
        raise NothingToHandBack(f"{assignment} has not been graded into {reports_dir.parent} yet "
                                f"(run `python -m autograder grade {assignment} SUBMISSIONS` first)")
    used, status, unmatched = reports.read_run(reports_dir)
    db_url = gradebook_url(config, course_root, gradebook or used)
    with tempfile.TemporaryDirectory(prefix="handback-") as tmp:
        for student in status:
            for notebook in asg.notebooks:
                if (output / "autograded" / student / assignment / f"{notebook}.ipynb").exists():
                    page = _feedback_page(config, output, db_url, Path(tmp), assignment, student, notebook)
                    target = reports_dir / "feedback" / student / f"{notebook}.html"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(page, target)
                # a notebook that could not be graded keeps the page that says why
    feedback.copy_mathjax(reports_dir / "feedback")
    if pdf:
        shutil.rmtree(reports_dir / "feedback-pdf", ignore_errors=True)
        feedback_to_pdf(reports_dir / "feedback", reports_dir / "feedback-pdf")
    return reports.write(reports_dir, asg, db_url, status, unmatched, gradebook or used), reports_dir


def _feedback_page(course_config, output, db_url, tmp, assignment, student, notebook):
    """nbgrader's GenerateFeedback for one graded notebook; returns the page's path (in tmp)."""
    c = Config()
    c.merge(course_config)
    c.CourseDirectory.root = str(output)
    c.CourseDirectory.db_url = db_url
    c.CourseDirectory.feedback_directory = str(tmp)  # an absolute folder: nbgrader joins it to the root
    feedback.feedback_config(c)
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id, coursedir.student_id, coursedir.notebook_id = assignment, student, notebook
    ok, log = run_converter(GenerateFeedback(coursedir=coursedir, config=c))
    page = tmp / student / assignment / f"{notebook}.html"
    if not ok or not page.exists():
        raise RuntimeError(f"nbgrader generate_feedback failed for {student}/{notebook}:\n{log[-3000:]}")
    return page

"""Grade a whole class: import the submissions, autograde every notebook in parallel, fill the gradebook, report.

    result = grade("01_gradient_descent", "exports/gd.zip")      # what `python -m autograder grade` does

Where things go (course root by default):
    gradebook.db                         nbgrader's gradebook (the course's db_url), ready for formgrader
    submitted/<student>/<assignment>/    the imported submissions, as nbgrader expects them
    autograded/<student>/<assignment>/   the graded notebooks
    reports/<assignment>/                grades.csv, status.txt, summary.md, score_distribution.png,
                                         feedback/<student>/<notebook>.html, logs/<student>/<notebook>.log
"""
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.exc import SAWarning
from tqdm.auto import tqdm
from traitlets.config import Config

from autograder import feedback, pool, reports, sandbox, submissions
from autograder.course import Assignment, gradebook_url, load_config
from autograder.options import GradingOptions, SandboxUnavailable
from autograder.release import COURSE_ROOT, nbgrader_path
from autograder.worker import run_converter


@dataclass
class ClassResult:
    """What grading a class produced: results per (student, notebook), and where the reports are."""
    assignment: Assignment
    imported: submissions.Imported
    results: dict = field(default_factory=dict)  # {(student, notebook): worker result}
    reports_dir: Path = None
    table: list = field(default_factory=list)  # rows of reports.grade_table


def grade(assignment, source, course_root=COURSE_ROOT, gradebook=None, output=None, reports_dir=None,
          options=GradingOptions(), progress=True):
    """Grade every submission of `assignment` found in `source` (folder or zip); returns a ClassResult.

    options: a GradingOptions (limits, timeouts, workers, sandbox; see options.py).
    """
    course_root = Path(course_root).resolve()
    if options.sandbox and sandbox.unavailable():
        raise SandboxUnavailable(sandbox.unavailable())
    with nbgrader_path():  # nbgrader runs `alembic` from PATH when it creates a gradebook
        return _grade(assignment, source, course_root, gradebook, output, reports_dir, options, progress)


def _grade(assignment, source, course_root, gradebook, output, reports_dir, options, progress):
    """grade(), inside nbgrader_path()."""
    config = load_config(course_root)
    asg = Assignment.read(course_root, assignment)
    output = Path(output or course_root).resolve()
    if gradebook:
        Path(gradebook).resolve().parent.mkdir(parents=True, exist_ok=True)
    db_url = gradebook_url(config, course_root, gradebook)
    reports_dir = Path(reports_dir or output / "reports").resolve() / assignment
    workers = options.workers or os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="autograder-work-"))
    os.chmod(work, 0o700)
    setup = {"template": str(work / "template"), "assignment": assignment, "course_config": config,
             "options": options, "work": str(work), "matplotlib_cache": str(work / "matplotlib")}
    try:
        # the font cache, the workers' start-up and the template are made at the same time
        font_cache = _start_matplotlib_cache(work / "matplotlib")
        with pool.Pool(setup, workers) as workers_pool:
            imported = submissions.collect(source, assignment, asg.notebooks, work / "imported")
            _template(course_root, asg, config, work / "template", db_url)
            font_cache.wait()
            result = ClassResult(asg, imported, reports_dir=reports_dir)
            tasks = _tasks(asg, imported, output, reports_dir)
            for student in imported.folders:
                shutil.rmtree(output / "autograded" / student / assignment, ignore_errors=True)
                shutil.rmtree(reports_dir / "feedback" / student, ignore_errors=True)
            bar = tqdm(total=len(tasks), unit="notebook", desc=f"grading {assignment}", disable=not progress)

            def on_result(res):
                result.results[(res["student"], res["notebook"])] = res
                bar.set_postfix(with_remarks=sum(bool(r["failure"] or r["notes"]) for r in result.results.values()),
                                refresh=False)
                bar.update()

            workers_pool.run(tasks, options.worker_deadline, on_result)
            bar.close()
        _copy_submitted(imported, output, assignment, source)
        _record(db_url, asg, imported, result.results)
        feedback.copy_mathjax(reports_dir / "feedback")
        status = reports.status_lines(asg, imported, result.results)
        unmatched = [(str(path), reason) for path, reason in imported.unmatched]
        result.table = reports.write(reports_dir, asg, db_url, status, unmatched,
                                     Path(gradebook).resolve() if gradebook else None)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _tasks(asg, imported, output, reports_dir):
    """One task per handed-in notebook: (student, notebook) with where its outputs go."""
    tasks = []
    for student, folder in sorted(imported.folders.items()):
        for notebook in asg.notebooks:
            if notebook in imported.missing.get(student, []):
                continue
            tasks.append({"student": student, "notebook": notebook, "folder": str(folder),
                          "autograded": str(output / "autograded" / student / asg.name / f"{notebook}.ipynb"),
                          "feedback": str(reports_dir / "feedback" / student / f"{notebook}.html"),
                          "log": str(reports_dir / "logs" / student / f"{notebook}.log")})
    return tasks


def _template(course_root, asg, config, template, db_url):
    """A private course folder with source/ and release/ of the assignment and a gradebook holding it.

    nbgrader's GenerateAssignment writes the release notebooks and records the assignment's cells (with the
    hidden tests) in a gradebook; it is run once for the workers' gradebook and once for the course's.
    """
    shutil.copytree(asg.source_dir, template / "source" / asg.name)
    for url in (f"sqlite:///{template / 'gradebook.db'}", db_url):
        c = Config()
        c.merge(config)
        c.CourseDirectory.root = str(template)
        c.CourseDirectory.source_directory, c.CourseDirectory.release_directory = "source", "release"
        c.CourseDirectory.db_url = url
        coursedir = CourseDirectory(config=c)
        coursedir.assignment_id = asg.name
        converter = GenerateAssignment(coursedir=coursedir, config=c)
        converter.force = True
        ok, log = run_converter(converter)
        if not ok:
            raise RuntimeError(f"nbgrader generate_assignment {asg.name} failed:\n{log}")
    return template


def _start_matplotlib_cache(folder):
    """Start building matplotlib's font cache in folder, copied later into every kernel's folder; returns
    the process (a kernel would otherwise build it, slowly and with a message on stderr, every time)."""
    folder.mkdir()
    return subprocess.Popen([sys.executable, "-c", "import matplotlib.font_manager"],
                            env=dict(os.environ, MPLCONFIGDIR=str(folder)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _copy_submitted(imported, output, assignment, source):
    """Keep the imported submissions as output/submitted/<student>/<assignment>/ (nbgrader's layout)."""
    submitted = output / "submitted"
    if Path(source).resolve() == submitted.resolve():
        return
    for student, folder in imported.folders.items():
        target = submitted / student / assignment
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(folder, target)


def _record(db_url, asg, imported, results):
    """Write the grades into the course gradebook through nbgrader's API (manual scores are kept)."""
    with Gradebook(db_url) as gb, warnings.catch_warnings():
        # nbgrader's update_or_create_submission trips a harmless SQLAlchemy autoflush warning
        warnings.simplefilter("ignore", SAWarning)
        for student, folder in imported.folders.items():
            gb.update_or_create_student(student)
            timestamp = CourseDirectory().get_existing_timestamp(str(folder))
            gb.update_or_create_submission(asg.name, student, **({"timestamp": timestamp} if timestamp else {}))
            for notebook in asg.notebooks:
                submitted = gb.find_submission_notebook(notebook, asg.name, student)
                res = results.get((student, notebook))
                scores = {g["name"]: g for g in (res or {}).get("grades") or []}
                for grade in submitted.grades:
                    found = scores.get(grade.name)
                    grade.auto_score = found["auto_score"] if found else 0.0
                    grade.needs_manual_grade = found["needs_manual_grade"] if found else False
                for comment in submitted.comments:
                    comment.auto_comment = (res or {}).get("comments", {}).get(comment.name)
                submitted.late_submission_penalty = (res or {}).get("late_penalty") or None
        gb.db.commit()

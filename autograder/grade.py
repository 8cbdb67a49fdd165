"""Grade a whole class: import the submissions, autograde every notebook in parallel, fill the gradebook, report.

    result = grade("01_gradient_descent", "exports/gd.zip")      # what `python -m autograder grade` does

The notebooks are graded on dask workers (cluster.py): a LocalCluster here, or a cluster's scheduler with
options.scheduler. This process alone writes the files and the gradebook. Each result is recorded as it
arrives (reports/<assignment>/results.jsonl), so an interrupted run, run again, grades only what is missing
or has changed (a key per notebook: the student, the files handed in, the assignment's tests).

Where things go (course root by default):
    gradebook.db                         nbgrader's gradebook (the course's db_url, or --db), for formgrader
    submitted/<student>/<assignment>/    the imported submissions, as nbgrader expects them
    autograded/<student>/<assignment>/   the graded notebooks
    reports/<assignment>/                grades.csv, status.txt, summary.md, score_distribution.png,
                                         feedback/<student>/<notebook>.html, logs/<student>/<notebook>.log
    .autograder-cache/<assignment>/      the workers' template course folder, kept while the tests are the same
"""
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import threading
import time
import warnings
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import nbgrader
from nbgrader.api import Gradebook
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.exc import SAWarning
from tqdm.auto import tqdm
from traitlets.config import Config

from autograder import cluster, feedback, reports, sandbox, submissions
from autograder.course import Assignment, gradebook_url, load_config
from autograder.options import GradingOptions, SandboxUnavailable
from autograder.release import COURSE_ROOT, nbgrader_path
from autograder.task import GradingSetup, NotebookResult, NotebookTask, archive, tests_digest
from autograder.worker import run_converter

CACHE = ".autograder-cache"  # under the output folder: what a run keeps for the next one (see _template)


@dataclass
class ClassResult:
    """What grading a class produced: results per (student, notebook), and where the reports are.

    graded: the notebooks graded in this run; reused: those whose files and tests had not changed since they
    were graded (their results come from the run record, see RunRecord)."""
    assignment: Assignment
    imported: submissions.Imported
    results: dict = field(default_factory=dict)  # {(student, notebook): task.NotebookResult}
    reports_dir: Path = None
    table: list = field(default_factory=list)  # rows of reports.grade_table
    graded: int = 0
    reused: int = 0
    seconds: dict = field(default_factory=dict)  # this process's own time: template, per result, gradebook


def grade(assignment, source, course_root=COURSE_ROOT, gradebook=None, output=None, reports_dir=None,
          options=GradingOptions(), progress=True):
    """Grade every submission of `assignment` found in `source` (folder or zip); returns a ClassResult.

    gradebook: a gradebook file or database URL (sqlite:///..., postgresql://...); default the course's db_url.
    options: a GradingOptions (limits, timeouts, workers or scheduler, sandbox, regrade; see options.py).
    Notebooks graded before with the same files and tests are not graded again (options.regrade does).
    """
    course_root = Path(course_root).resolve()
    if options.sandbox and not options.scheduler and sandbox.unavailable():
        raise SandboxUnavailable(sandbox.unavailable())
    with nbgrader_path():  # nbgrader runs `alembic` from PATH when it creates a gradebook
        return _grade(assignment, source, course_root, gradebook, output, reports_dir, options, progress)


def _grade(assignment, source, course_root, gradebook, output, reports_dir, options, progress):
    """grade(), inside nbgrader_path()."""
    config = load_config(course_root)
    asg = Assignment.read(course_root, assignment)
    # hashed before nbgrader reads the configuration: reading a missing section adds it
    tests = tests_digest(asg.source_dir, config, options)
    output = Path(output or course_root).resolve()
    db_url = gradebook_url(config, course_root, gradebook)
    if db_url.startswith("sqlite:///"):
        Path(db_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    reports_dir = Path(reports_dir or output / "reports").resolve() / assignment
    work = Path(tempfile.mkdtemp(prefix="autograder-work-"))
    os.chmod(work, 0o700)
    cluster_stack = ExitStack()  # the cluster: it is stopped while this process writes the reports
    closing = None
    try:
        with cluster_stack:
            client = cluster_stack.enter_context(cluster.connect(options))
            cluster.check_workers(client, options)
            imported = submissions.collect(source, assignment, asg.notebooks, work / "imported")
            started = time.perf_counter()
            template = _template(asg, config, tests, output / CACHE / assignment, work)
            _register(asg, config, work, db_url, template)
            setup = GradingSetup(assignment, config, options, template, tests)
            result_seconds = {"template": time.perf_counter() - started, "results": 0.0}
            result = ClassResult(asg, imported, reports_dir=reports_dir)
            outputs = Outputs(output, reports_dir, assignment)
            record = RunRecord(reports_dir / RunRecord.NAME)
            to_grade = []
            for task in _tasks(asg, imported, tests):
                earlier = record.results.get((task.student, task.notebook))
                if not options.regrade and earlier and earlier.key == task.key and outputs.exist(earlier):
                    result.results[(task.student, task.notebook)] = earlier  # graded before: kept
                else:
                    to_grade.append(task)
            result.reused = len(result.results)
            outputs.remove_missing(imported, asg.notebooks)
            if result.reused and progress:
                print(f"{result.reused} notebooks unchanged since they were graded: their grades are kept "
                      "(--regrade grades them again)", file=sys.stderr)
            bar = tqdm(total=len(to_grade), unit="notebook", desc=f"grading {assignment}", disable=not progress)
            for res in cluster.grade_all(client, setup, to_grade):
                started = time.perf_counter()
                outputs.write(res)
                record.add(res)
                result_seconds["results"] += time.perf_counter() - started
                result.results[(res.student, res.notebook)] = res
                result.graded += 1
                bar.set_postfix(with_remarks=sum(bool(r.failure or r.notes) for r in result.results.values()),
                                refresh=False)
                bar.update()
            bar.close()
            # the workers take seconds to stop: let them, while this process writes the gradebook and reports
            closing = threading.Thread(target=_stop_quietly, args=(cluster_stack.pop_all(),),
                                       name="stopping the grading cluster")
            closing.start()
        started = time.perf_counter()
        record.keep_only(result.results)
        _copy_submitted(imported, output, assignment, source)
        _record(db_url, asg, imported, result.results)
        result.seconds = dict(result_seconds, gradebook=time.perf_counter() - started)
        feedback.copy_mathjax(reports_dir / "feedback")
        status = reports.status_lines(asg, imported, result.results)
        unmatched = [(str(path), reason) for path, reason in imported.unmatched]
        result.table = reports.write(reports_dir, asg, db_url, status, unmatched, gradebook,
                                     counts={"graded": result.graded, "reused": result.reused})
        return result
    finally:
        if closing:
            closing.join()
        shutil.rmtree(work, ignore_errors=True)


def _stop_quietly(cluster_stack):
    """Stop the grading cluster; the grades are already in, so a cluster that fails to stop is only a warning."""
    try:
        cluster_stack.close()
    except Exception as error:  # noqa: BLE001 - whatever dask raises, the run's grades stand
        warnings.warn(f"the grading cluster did not stop cleanly: {error}", RuntimeWarning, stacklevel=1)


def _tasks(asg, imported, tests):
    """One task.NotebookTask per handed-in notebook, notebook by notebook (so that a worker's next task is
    mostly of the same notebook, and finds the kernel started for it: preprocessors.RobustExecute)."""
    return [NotebookTask.read(student, notebook, folder, tests)
            for notebook in asg.notebooks for student, folder in sorted(imported.folders.items())
            if notebook not in imported.missing.get(student, [])]


class Outputs:
    """Where a result's files go: the graded notebook, the feedback page and the log."""

    def __init__(self, output, reports_dir, assignment):
        self.output, self.reports_dir, self.assignment = output, reports_dir, assignment

    def paths(self, student, notebook):
        return (self.output / "autograded" / student / self.assignment / f"{notebook}.ipynb",
                self.reports_dir / "feedback" / student / f"{notebook}.html",
                self.reports_dir / "logs" / student / f"{notebook}.log")

    def write(self, result):
        graded, page, log = self.paths(result.student, result.notebook)
        for path, text in ((graded, result.autograded), (page, result.feedback), (log, result.log)):
            if text is None:
                path.unlink(missing_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")

    def exist(self, result):
        """Whether the files of an earlier result are still there."""
        graded, page, _ = self.paths(result.student, result.notebook)
        return page.exists() and (result.autograded is None or graded.exists())

    def remove_missing(self, imported, notebooks):
        """Remove the files of notebooks a student no longer hands in."""
        for student in imported.folders:
            for notebook in imported.missing.get(student, []):
                for path in self.paths(student, notebook):
                    path.unlink(missing_ok=True)


class RunRecord:
    """The results graded so far, one JSON line each, appended as they arrive (results.jsonl).

    An interrupted run (Ctrl-C, a lost coordinator) leaves every finished notebook here; the next run keeps
    those whose key (task.task_key) has not changed and grades the rest. A line cut short by a crash is
    ignored; the last line of a (student, notebook) wins."""
    NAME = "results.jsonl"

    def __init__(self, path):
        self.path = Path(path)
        self.results = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    result = NotebookResult.from_record(json.loads(line))
                except (ValueError, TypeError, KeyError):
                    continue
                self.results[(result.student, result.notebook)] = result

    def add(self, result):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(result.record()) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.results[(result.student, result.notebook)] = result

    def keep_only(self, results):
        """Rewrite the record with exactly these results (one line each)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_text("".join(json.dumps(r.record()) + "\n" for _, r in sorted(results.items())),
                           encoding="utf-8")
        os.replace(partial, self.path)
        self.results = dict(results)


def _template(asg, config, tests, cache, work):
    """The workers' private course folder (task.GradingSetup.template), as a tar archive: source/ and release/
    of the assignment and a gradebook holding its cells (with the hidden tests).

    Creating a new gradebook costs nbgrader about 2.5 s (its alembic migrations), so the archive is kept in
    cache/, keyed by the tests (task.tests_digest) and nbgrader's version, and made again only when they change.
    """
    cached = cache / f"template-{tests}-nbgrader-{nbgrader.__version__}.tar"
    if cached.is_file():
        return cached.read_bytes()
    folder = work / "template"
    shutil.copytree(asg.source_dir, folder / "source" / asg.name)
    _generate_assignment(asg, config, folder, f"sqlite:///{folder / 'gradebook.db'}")
    data = archive(folder)
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob("template-*.tar"):
        old.unlink()
    _write_whole(cached, data)
    return data


def _register(asg, config, work, db_url, template):
    """Record the assignment's cells in the course gradebook, as nbgrader's generate_assignment does (about
    0.1 s once the gradebook exists).

    A SQLite gradebook that does not exist yet starts as a copy of the template's (see _template), which holds
    exactly these cells: made by generate_assignment from the same source, configuration and nbgrader. That
    spares the course's first run nbgrader's migrations (about 2.5 s)."""
    path = Path(db_url[len("sqlite:///"):]) if db_url.startswith("sqlite:///") else None
    if path is not None and not path.exists():
        with tarfile.open(fileobj=io.BytesIO(template)) as archive:
            gradebook = archive.extractfile("gradebook.db").read()
        _write_whole(path, gradebook)
        return
    folder = work / "register"
    shutil.copytree(asg.source_dir, folder / "source" / asg.name)
    _generate_assignment(asg, config, folder, db_url)


def _write_whole(path, data):
    """Write data to path through a partial file: a run stopped half-way leaves no half-written file behind."""
    partial = path.with_name(f"{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _generate_assignment(asg, config, folder, db_url):
    """nbgrader's GenerateAssignment of asg from folder/source/ into folder/release/, recording it in db_url."""
    c = Config()
    c.merge(config)
    c.CourseDirectory.root = str(folder)
    c.CourseDirectory.source_directory, c.CourseDirectory.release_directory = "source", "release"
    c.CourseDirectory.db_url = db_url
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id = asg.name
    converter = GenerateAssignment(coursedir=coursedir, config=c)
    converter.force = True
    ok, log = run_converter(converter)
    if not ok:
        raise RuntimeError(f"nbgrader generate_assignment {asg.name} failed:\n{log}")


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
                scores = {g.name: g for g in (res.grades or [])} if res else {}
                for grade in submitted.grades:
                    found = scores.get(grade.name)
                    grade.auto_score = found.auto_score if found else 0.0
                    grade.needs_manual_grade = found.needs_manual_grade if found else False
                for comment in submitted.comments:
                    comment.auto_comment = res.comments.get(comment.name) if res else None
                submitted.late_submission_penalty = (res.late_penalty if res else None) or None
        gb.db.commit()

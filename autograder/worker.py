"""Grade one student's notebook with nbgrader's own Autograde and GenerateFeedback, in a private course folder.

Each grading worker (a process, see pool.py) owns a copy of a template course folder: source/ and release/ of
the assignment and a gradebook holding only the assignment. Grading one notebook at a time, with nbgrader's
converters restricted to that notebook, is what keeps a broken notebook from costing the student's others.
The worker returns the grades it read back from its gradebook; grade.py copies them into the course gradebook.
"""
import io
import json
import logging
import shutil
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds,
                                    IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec,
                                    SaveAutoGrades)
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from autograder import sandbox
from autograder.feedback import feedback_config
from autograder.grading_notes import ShowGradingNotes
from autograder.preprocessors import (AuditStudentCode, RepairCells, RobustExecute,
                                      StderrIsNotFailure, WithholdForReview)

FAILED_FEEDBACK = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{notebook}</title></head>
<body><h1>{notebook}.ipynb could not be graded</h1><p>{reason}</p>
<p>Every autograded test of this notebook scored 0. Ask your instructor if you think this is wrong.</p>
</body></html>
"""


def grading_config(course_config, root, options, worker_index=0, matplotlib_cache=""):
    """The course's nbgrader configuration, pointed at a private course folder, with the robust pipeline.

    options: a GradingOptions; worker_index: which grading worker (its kernels' uid when grading as root);
    matplotlib_cache: a prebuilt MPLCONFIGDIR for the kernels.
    """
    c = Config()
    c.merge(course_config)
    for name in ("source", "release", "submitted", "autograded", "feedback"):
        setattr(c.CourseDirectory, f"{name}_directory", name)
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.db_url = f"sqlite:///{root}/gradebook.db"
    c.Autograde.sanitize_preprocessors = [RepairCells, ClearOutput, DeduplicateIds, OverwriteKernelspec,
                                          OverwriteCells, CheckCellMetadata]
    c.Autograde.autograde_preprocessors = [AuditStudentCode, RobustExecute, StderrIsNotFailure, IgnorePattern,
                                           ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                           AssignLatePenalties, WithholdForReview, CheckCellMetadata,
                                           ShowGradingNotes]
    feedback_config(c)
    c.OverwriteCells.add_missing_cells = True
    c.RepairCells.release_notebook = f"{root}/release/{{assignment}}/{{notebook}}.ipynb"
    c.RobustExecute.answers_notebook = f"{root}/source/{{assignment}}/{{notebook}}.ipynb"
    c.ShowGradingNotes.source_notebook = f"{root}/source/{{assignment}}/{{notebook}}.ipynb"
    c.RobustExecute.kernel_name = sandbox.KERNEL_NAME
    if options.cell_timeout:
        c.RobustExecute.timeout = int(options.cell_timeout)
    c.RobustExecute.notebook_timeout = int(options.notebook_timeout)
    c.SandboxProvisioner.memory_mb = options.memory_mb
    c.SandboxProvisioner.cpu_seconds = options.cpu_seconds
    c.SandboxProvisioner.file_size_mb = options.file_size_mb
    c.SandboxProvisioner.max_processes = options.max_processes
    c.SandboxProvisioner.sandbox = options.sandbox
    c.SandboxProvisioner.uid = sandbox.UID_FIRST + worker_index
    c.SandboxProvisioner.matplotlib_cache = matplotlib_cache
    return c


def run_converter(converter):
    """Run an nbgrader converter; returns (succeeded, log text). nbgrader logs every problem it meets."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    converter.log.addHandler(handler)
    try:
        converter.start()
        return True, buffer.getvalue()
    except Exception:  # nbgrader raises NbGraderException after logging; anything else is logged here
        return False, buffer.getvalue() + traceback.format_exc()
    finally:
        converter.log.removeHandler(handler)


def as_utf8(path):
    """Rewrite a notebook that is not UTF-8 (one Latin-1 byte from an old editor) as UTF-8; returns what was
    done, in words, or None. Windows-1252 is tried first (it is what such bytes usually are), then Latin-1,
    which decodes any byte: the code survives, at worst with an odd character in the text."""
    data = Path(path).read_bytes() if Path(path).exists() else b""
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as error:
        position = error.start
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    Path(path).write_text(text, encoding="utf-8")
    return (f"the file was not UTF-8 (byte {data[position]:#04x} at offset {position}); it was read as "
            f"{'Windows-1252' if encoding == 'cp1252' else 'Latin-1'} and graded")


def unreadable(path):
    """Why the notebook at path (UTF-8, see as_utf8) cannot be graded, in words, or None if nbformat reads it."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        json.loads(text)
    except ValueError as error:
        return (f"the file is not valid notebook JSON ({error}); it may have been cut short while saving or "
                "uploading")
    try:
        nbformat.reads(text, as_version=4)
    except Exception as error:
        return f"the file is JSON but not a Jupyter notebook ({type(error).__name__}: {error})"
    return None


class Grader:
    """One worker's private course folder and the grading of one (student, notebook) at a time."""

    def __init__(self, setup):
        """setup: {"template": folder, "assignment", "course_config": Config, "options": GradingOptions,
        "work": folder, "worker_index": int, "matplotlib_cache": folder}."""
        self.assignment = setup["assignment"]
        self.root = Path(tempfile.mkdtemp(prefix="grader-", dir=setup["work"]))
        shutil.copytree(setup["template"], self.root, dirs_exist_ok=True)
        self.config = grading_config(setup["course_config"], self.root, setup["options"], setup["worker_index"],
                                     setup["matplotlib_cache"])

    def _coursedir(self, student, notebook):
        coursedir = CourseDirectory(config=self.config)
        coursedir.assignment_id, coursedir.student_id, coursedir.notebook_id = self.assignment, student, notebook
        return coursedir

    def grade(self, task):
        """Grade task = {"student", "notebook", "folder" (the student's files), "autograded", "feedback",
        "log"} (output files); returns a result dict (see grade.py)."""
        student, notebook = task["student"], task["notebook"]
        started = time.monotonic()
        for tree in ("submitted", "autograded", "feedback"):
            shutil.rmtree(self.root / tree / student, ignore_errors=True)
        submitted = self.root / "submitted" / student / self.assignment
        shutil.copytree(task["folder"], submitted)
        result = {"student": student, "notebook": notebook, "notes": [], "log": ""}
        decoded = as_utf8(submitted / f"{notebook}.ipynb")
        reason = unreadable(submitted / f"{notebook}.ipynb")
        if reason is None:
            ok, log = run_converter(Autograde(coursedir=self._coursedir(student, notebook), config=self.config))
            result["log"] = log
            graded = self.root / "autograded" / student / self.assignment / f"{notebook}.ipynb"
            if ok and graded.exists():
                nb = nbformat.read(graded, as_version=4)
                result["notes"] = ([["", decoded]] if decoded else []) + nb.metadata.get("autograder", {}).get("notes", [])
                Path(task["autograded"]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(graded, task["autograded"])
            else:
                reason = "nbgrader could not grade it: " + last_error(log)
        result.update(self._read_grades(student, notebook, failed=reason is not None))
        result["failure"] = reason
        self._feedback(task, reason)
        Path(task["log"]).parent.mkdir(parents=True, exist_ok=True)
        Path(task["log"]).write_text(result.pop("log"))
        result["seconds"] = time.monotonic() - started
        return result

    def _read_grades(self, student, notebook, failed):
        """Grades and comments of the notebook from the private gradebook; all 0 if it could not be graded."""
        with Gradebook(self.config.CourseDirectory.db_url) as gb, warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # a harmless autoflush warning inside nbgrader
            gb.update_or_create_student(student)
            gb.update_or_create_submission(self.assignment, student)
            submitted = gb.find_submission_notebook(notebook, self.assignment, student)
            grades = [{"name": g.name, "auto_score": 0.0 if failed else g.auto_score, "max_score": g.max_score,
                       "needs_manual_grade": False if failed else g.needs_manual_grade}
                      for g in submitted.grades]
            comments = {c.name: c.auto_comment for c in submitted.comments}
            penalty = 0.0 if failed else submitted.late_submission_penalty or 0.0
        return {"grades": grades, "comments": comments, "late_penalty": penalty}

    def _feedback(self, task, reason):
        """nbgrader's feedback HTML for a graded notebook; a short page saying why for one that was not."""
        target = Path(task["feedback"])
        target.parent.mkdir(parents=True, exist_ok=True)
        if reason is None:
            ok, _ = run_converter(GenerateFeedback(
                coursedir=self._coursedir(task["student"], task["notebook"]), config=self.config))
            html = self.root / "feedback" / task["student"] / self.assignment / f"{task['notebook']}.html"
            if ok and html.exists():
                shutil.copyfile(html, target)
                return
            reason = "the feedback page could not be generated (see the grading log)"
        target.write_text(FAILED_FEEDBACK.format(notebook=task["notebook"], reason=reason.capitalize()))


def last_error(log):
    """The most telling line of an nbgrader log: the last exception raised below nbgrader's own wrapper."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in reversed(lines):
        name = line.split(":")[0].split(".")[-1]
        if name.endswith(("Error", "Exception", "Interrupt")) and name != "NbGraderException" and " " not in name:
            return line
    errors = [line for line in lines if line.startswith("[ERROR]")]
    return errors[-1] if errors else "unknown error (see the grading log)"


def serve(connection, setup):
    """Worker process main loop: receive tasks, send results, until None arrives."""
    warnings.filterwarnings("ignore", category=SAWarning)  # harmless autoflush warnings inside nbgrader
    connection.send({"ready": True})
    grader = None  # made at the first task: the template may still be in the making when this process starts
    while True:
        task = connection.recv()
        if task is None:
            return
        try:
            grader = grader or Grader(setup)
            result = grader.grade(task)
        except Exception:
            result = {"student": task["student"], "notebook": task["notebook"], "grades": None, "notes": [],
                      "failure": "the grader failed on this notebook: " + traceback.format_exc(limit=3)}
        connection.send(result)

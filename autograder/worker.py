"""Grade one student's notebook with nbgrader's own Autograde and GenerateFeedback, in a private course folder.

Each grading process (cluster.GradingProcess, one per dask worker) unpacks the run's template course folder
(task.GradingSetup: source/ and release/ of the assignment and a gradebook holding only the assignment) into a
private temporary folder. Grading one notebook at a time, with nbgrader's converters restricted to that
notebook, is what keeps a broken notebook from costing the student's others. Everything grading produced
goes back as data (task.NotebookResult); grade.py writes it into the course gradebook and the reports.
"""
import hashlib
import importlib.metadata
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from html import escape as html_escape
from multiprocessing.connection import Connection
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
from autograder.task import CellGrade, NotebookResult

FAILED_FEEDBACK = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{notebook}</title></head>
<body><h1>{notebook}.ipynb could not be graded</h1><p>{reason}</p>
<p>Every autograded test of this notebook scored 0. Ask your instructor if you think this is wrong.</p>
</body></html>
"""


def grading_config(course_config, root, options, uid=sandbox.UID_FIRST, matplotlib_cache=""):
    """The course's nbgrader configuration, pointed at a private course folder, with the robust pipeline.

    options: a GradingOptions; uid: the kernels' uid when grading as root (sandbox.claim_uid);
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
    # once the last cell has run, the kernel has nothing left to say: stop it at once (nbclient's own setting;
    # a graceful shutdown costs 0.75-2.25 s a notebook and buys nothing here)
    c.RobustExecute.shutdown_kernel = "immediate"
    if options.cell_timeout:
        c.RobustExecute.timeout = int(options.cell_timeout)
    c.RobustExecute.notebook_timeout = int(options.notebook_timeout)
    c.SandboxProvisioner.memory_mb = options.memory_mb
    c.SandboxProvisioner.cpu_seconds = options.cpu_seconds
    c.SandboxProvisioner.file_size_mb = options.file_size_mb
    c.SandboxProvisioner.max_processes = options.max_processes
    c.SandboxProvisioner.sandbox = options.sandbox
    c.SandboxProvisioner.uid = uid
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
    """A private course folder (the run's template) and the grading of one (student, notebook) at a time."""

    def __init__(self, setup, uid):
        """setup: a task.GradingSetup; uid: the uid of this grader's kernels when grading as root."""
        self.assignment = setup.assignment
        self.root = Path(tempfile.mkdtemp(prefix="autograder-grader-"))
        os.chmod(self.root, 0o700)
        setup.unpack(self.root)
        matplotlib_cache = self.root / ".matplotlib"
        build_matplotlib_cache(matplotlib_cache)
        self.config = grading_config(setup.course_config, self.root, setup.options, uid, str(matplotlib_cache))

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def _coursedir(self, student, notebook):
        coursedir = CourseDirectory(config=self.config)
        coursedir.assignment_id, coursedir.student_id, coursedir.notebook_id = self.assignment, student, notebook
        return coursedir

    def grade(self, task):
        """Grade a task.NotebookTask; returns a task.NotebookResult."""
        student, notebook = task.student, task.notebook
        started = time.monotonic()
        for tree in ("submitted", "autograded", "feedback"):
            shutil.rmtree(self.root / tree / student, ignore_errors=True)
        submitted = self.root / "submitted" / student / self.assignment
        for relative, content in task.files.items():
            path = submitted / relative
            if submitted.resolve() not in path.resolve().parents:
                continue  # a name like ../x cannot come from a folder, but the task is data: check it
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        submitted.mkdir(parents=True, exist_ok=True)
        result = NotebookResult(student, notebook, task.key)
        decoded = as_utf8(submitted / f"{notebook}.ipynb")
        reason = unreadable(submitted / f"{notebook}.ipynb")
        RobustExecute.last_seconds = {}  # an unreadable notebook has no kernel phases, not the last one's
        if reason is None:
            ok, result.log = run_converter(Autograde(coursedir=self._coursedir(student, notebook), config=self.config))
            graded = self.root / "autograded" / student / self.assignment / f"{notebook}.ipynb"
            if ok and graded.exists():
                nb = nbformat.read(graded, as_version=4)
                notes = nb.metadata.get("autograder", {}).get("notes", [])
                result.notes = ([("", decoded)] if decoded else []) + [tuple(note) for note in notes]
                result.autograded = graded.read_text(encoding="utf-8")
            else:
                reason = "nbgrader could not grade it: " + last_error(result.log)
        result.phases = dict(RobustExecute.last_seconds)
        self._read_grades(result, failed=reason is not None)
        result.failure = reason
        feedback_started = time.monotonic()
        result.feedback = self._feedback(student, notebook, reason)
        result.phases["feedback"] = time.monotonic() - feedback_started
        result.seconds = time.monotonic() - started
        return result

    def _read_grades(self, result, failed):
        """Grades and comments of the notebook from the private gradebook; all 0 if it could not be graded."""
        with Gradebook(self.config.CourseDirectory.db_url) as gb, warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # a harmless autoflush warning inside nbgrader
            gb.update_or_create_student(result.student)
            gb.update_or_create_submission(self.assignment, result.student)
            submitted = gb.find_submission_notebook(result.notebook, self.assignment, result.student)
            result.grades = [CellGrade(g.name, 0.0 if failed else g.auto_score, g.max_score,
                                       False if failed else bool(g.needs_manual_grade))
                             for g in submitted.grades]
            result.comments = {c.name: c.auto_comment for c in submitted.comments}
            result.late_penalty = 0.0 if failed else submitted.late_submission_penalty or 0.0

    def _feedback(self, student, notebook, reason):
        """nbgrader's feedback HTML for a graded notebook; a short page saying why for one that was not."""
        if reason is None:
            ok, _ = run_converter(GenerateFeedback(coursedir=self._coursedir(student, notebook), config=self.config))
            html = self.root / "feedback" / student / self.assignment / f"{notebook}.html"
            if ok and html.exists():
                return html.read_text(encoding="utf-8")
            reason = "the feedback page could not be generated (see the grading log)"
        return failed_feedback(notebook, reason)


def failed_feedback(notebook, reason):
    """The page a student gets for a notebook that could not be graded."""
    return FAILED_FEEDBACK.format(notebook=html_escape(notebook), reason=html_escape(reason.capitalize()))


def build_matplotlib_cache(folder):
    """Fill folder with matplotlib's font list, copied into every kernel's folder (a kernel would otherwise
    build it, slowly and with a message on stderr, every time).

    Building it costs about a second of CPU, so the list is kept once per machine and Python environment
    (machine_matplotlib_cache) and only copied here. Only the font list is kept: nothing else of a folder a
    kernel was given reaches the next run."""
    folder.mkdir(exist_ok=True)
    kept = machine_matplotlib_cache()
    lists = sorted(kept.glob("fontlist-*.json")) if kept else []
    if lists:
        for path in lists:
            shutil.copy(path, folder / path.name)
        return
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                   env=dict(os.environ, MPLCONFIGDIR=str(folder)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kept:
        try:
            kept.mkdir(parents=True, exist_ok=True)
            for path in folder.glob("fontlist-*.json"):
                partial = kept / f"{path.name}.{os.getpid()}.partial"
                shutil.copy(path, partial)
                os.replace(partial, kept / path.name)  # two workers building at once: either's whole file wins
        except OSError:
            pass  # a read-only home: the list is built each run, as before


def machine_matplotlib_cache():
    """The folder where this machine keeps matplotlib's font list for this Python environment (the list holds
    the paths of the fonts matplotlib ships), or None without matplotlib:
    ~/.cache/autograder/matplotlib-VERSION-ENVIRONMENT/."""
    try:
        version = importlib.metadata.version("matplotlib")
    except importlib.metadata.PackageNotFoundError:
        return None
    environment = hashlib.sha256(sys.prefix.encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "autograder"
    return cache / f"matplotlib-{version}-{environment}"


def last_error(log):
    """The most telling line of an nbgrader log: the last exception raised below nbgrader's own wrapper."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in reversed(lines):
        name = line.split(":")[0].split(".")[-1]
        if name.endswith(("Error", "Exception", "Interrupt")) and name != "NbGraderException" and " " not in name:
            return line
    errors = [line for line in lines if line.startswith("[ERROR]")]
    return errors[-1] if errors else "unknown error (see the grading log)"


def serve(connection):
    """A grading process's main loop (see cluster.GradingProcess): receive the task.GradingSetup, then tasks,
    and send their results, until None arrives. The uid of its kernels is claimed once (sandbox.claim_uid)."""
    warnings.filterwarnings("ignore", category=SAWarning)  # harmless autoflush warnings inside nbgrader
    sandbox.die_with_parent()
    setup = connection.recv()
    connection.send("ready")
    grader = None
    try:
        while True:
            task = connection.recv()
            if task is None:
                return
            try:
                grader = grader or Grader(setup, sandbox.claim_uid())
                result = grader.grade(task)
            except Exception:
                result = NotebookResult.lost(task, "the grader failed on this notebook: "
                                             + traceback.format_exc(limit=3))
            connection.send(result)
    finally:
        RobustExecute.stop_spare_kernel()
        if grader:
            grader.close()


if __name__ == "__main__":  # python -m autograder.worker FD: serve on the pipe at file descriptor FD
    serve(Connection(int(sys.argv[1])))

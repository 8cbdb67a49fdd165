"""What travels between the coordinating process (grade.py) and a grading worker (worker.py): data, no paths.

A worker shares no file system with the coordinator. A `GradingSetup` (sent to each worker once) carries
the assignment's template course folder as an archive, the course's nbgrader configuration and the grading
options; a `NotebookTask` carries one student's handed-in files as bytes. A `NotebookResult` carries back
everything grading produced: scores and comments, what the grader noticed, the graded notebook, the feedback
page and the log. Only the coordinator writes files and the gradebook (see grade.py).
"""
import hashlib
import io
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from traitlets.config import Config

from autograder.options import GradingOptions


@dataclass(frozen=True)
class GradingSetup:
    """What every notebook of one grading run shares.

    template: a tar archive of a course folder with source/ and release/ of the assignment and a gradebook
    holding it (grade._template); tests: a hash of what decides the grades (the assignment's source files,
    the course configuration and the options), part of every task's key.
    """
    assignment: str
    course_config: Config
    options: GradingOptions
    template: bytes
    tests: str

    def unpack(self, folder):
        """Write the template course folder into folder."""
        with tarfile.open(fileobj=io.BytesIO(self.template)) as archive:
            archive.extractall(folder, filter="data")


@dataclass(frozen=True)
class NotebookTask:
    """Grade one student's notebook. files: {relative path: content} of what grading it can see of the
    student's folder: the notebook and every file that is not a notebook (data, helper modules). The
    student's other notebooks are graded on their own and never reach this one's kernel (sandbox.py)."""
    student: str
    notebook: str
    files: dict
    key: str  # see task_key: equal keys, equal grades

    @classmethod
    def read(cls, student, notebook, folder, tests):
        files = {str(path.relative_to(folder)): path.read_bytes() for path in sorted(Path(folder).rglob("*"))
                 if path.is_file() and (path.suffix != ".ipynb" or path == Path(folder) / f"{notebook}.ipynb")}
        return cls(student, notebook, files, task_key(student, notebook, files, tests))


@dataclass(frozen=True)
class CellGrade:
    """One graded cell of a notebook, as nbgrader's gradebook holds it."""
    name: str
    auto_score: float
    max_score: float
    needs_manual_grade: bool


@dataclass
class NotebookResult:
    """What grading one notebook produced.

    grades: None when no grade could be read (the notebook's tests then score 0); failure: why the notebook
    could not be graded, in words, or None; notes: [(grade_id or "", what the grader noticed)];
    autograded: the graded notebook's JSON, or None; feedback: the student's HTML page; log: nbgrader's log;
    seconds: the whole grading of the notebook on its worker; phases: {phase: seconds} of that time, the
    kernel's (preprocessors.RobustExecute.PHASES) and "feedback" (the rest is nbgrader's own work).
    """
    student: str
    notebook: str
    key: str
    grades: list | None = None
    comments: dict = field(default_factory=dict)
    late_penalty: float = 0.0
    notes: list = field(default_factory=list)
    failure: str | None = None
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)
    autograded: str | None = None
    feedback: str = ""
    log: str = ""

    @classmethod
    def lost(cls, task, reason):
        """The result of a task no worker returned a result for."""
        return cls(task.student, task.notebook, task.key, failure=reason)

    def record(self):
        """Everything but the files, as JSON-ready data (the run's record, see grade.py)."""
        data = asdict(self)
        for name in ("autograded", "feedback", "log"):
            data.pop(name)
        return data

    @classmethod
    def from_record(cls, data):
        grades = None if data["grades"] is None else [CellGrade(**g) for g in data["grades"]]
        notes = [tuple(note) for note in data["notes"]]
        return cls(**dict(data, grades=grades, notes=notes))


def task_key(student, notebook, files, tests):
    """A key that changes whenever the grade could: the student, the notebook, every file the student handed
    in, and what decides the grades (GradingSetup.tests)."""
    digest = hashlib.sha256()
    for part in (student, notebook, tests):
        digest.update(part.encode() + b"\0")
    for path, content in sorted(files.items()):
        digest.update(path.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def tests_digest(source_dir, course_config, options):
    """GradingSetup.tests: a hash of the assignment's source files, the course configuration and the options."""
    digest = hashlib.sha256(repr(sorted(course_config.items())).encode() + repr(options.deciding_grades()).encode())
    for path in sorted(Path(source_dir).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(source_dir)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def archive(folder):
    """A tar archive of folder's contents, as bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(Path(folder).iterdir()):
            tar.add(path, arcname=path.name)
    return buffer.getvalue()

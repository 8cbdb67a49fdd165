"""Check a notebook before hand-in, question by question: JupyterLab's Validate button and `tasks.py validate`.

nbgrader's Validator runs the notebook the way grading does (a fresh kernel, in the notebook's folder) and lists
every failing cell with its whole traceback. The course's Validator (CourseValidator) is nbgrader's, with one more
preprocessor that keeps the executed notebook, and says for each question (the grade_id up to its first
underscore, autograder.course.question_id):

    passed          its visible tests pass
    failed          with the hint: the first line of the error's message, never the traceback
    not answered    its code still raises NotImplementedError, or its written answer is still "YOUR ANSWER HERE"
    answered        a written answer, graded by hand

and below the list the course's caveat about hidden tests (c.Validator.failed_warning in nbgrader_config.py).
A read-only cell that was edited, or a cell whose type changed, fails its question (or is listed under its own
grade_id) with what to undo. As at grading time (autograder.preprocessors.StderrIsNotFailure), a warning on
stderr does not fail a test.

The terminal prints report(run_visible_tests(...)); the button shows CourseValidator.validate(), the same text
in the structure nbgrader's lab extension draws (autograder/validate_server.py says how). That structure has no
place for a passing notebook's text: when every question passes the button says nbgrader's "Success! Your
notebook passes all the tests." without the list or the caveat.
"""
import copy
import html
import textwrap
from dataclasses import dataclass

import nbformat
from nbconvert.filters import strip_ansi
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.apps import NbGrader
from nbgrader.validator import Validator
from traitlets import List

from autograder import course
from autograder.course import question_id

PASSED, FAILED, NOT_ANSWERED, ANSWERED = "passed", "failed", "not answered", "answered (graded by hand)"
CODE_MISSING = "your code still raises NotImplementedError"
WRITTEN_MISSING = "write your answer where it says YOUR ANSWER HERE"


@dataclass
class QuestionResult:
    question: str  # e.g. "q2b"
    status: str  # PASSED, FAILED, NOT_ANSWERED or ANSWERED
    detail: str = ""  # the hint of a failure, or what is missing

    @property
    def passed(self):
        return self.status in (PASSED, ANSWERED)


@dataclass
class Summary:
    """One notebook's questions in notebook order (iterate over it), and the course's caveat."""
    questions: list
    caveat: str  # c.Validator.failed_warning
    width: int = 90  # c.Validator.width: the longest line

    def __iter__(self):
        return iter(self.questions)

    @property
    def passed(self):
        return all(result.passed for result in self.questions)

    def listing(self):
        """A line per question, e.g. "q3   failed — Hint: f did not decrease ..."."""
        name_width = max((len(result.question) for result in self.questions), default=0) + 2
        lines = []
        for result in self.questions:
            line = result.question.ljust(name_width) + result.status
            line += f" — {result.detail}" if result.detail else ""
            lines.append(textwrap.fill(line, self.width, subsequent_indent=" " * name_width))
        return "\n".join(lines)

    def caveat_text(self):
        """The caveat in lines of at most `width`; {num_failed} in it (as nbgrader allows) counts the questions
        that do not pass."""
        text = self.caveat.format(num_failed=sum(not result.passed for result in self.questions))
        return textwrap.fill(" ".join(text.split()), self.width)


def _first_line(text):
    return next((line.strip() for line in strip_ansi(text).splitlines() if line.strip()), "")


def _type_changed(cell):
    """What to say when a cell's type is not the one nbgrader recorded, or ""."""
    meta = cell.metadata.nbgrader
    if meta.get("cell_type", cell.cell_type) == cell.cell_type:
        return ""
    return (f"the cell {meta['grade_id']} was a {meta['cell_type']} cell and is now a {cell.cell_type} cell; "
            "change it back")


def _problem(cell, check_locked, stub_left):
    """(status, detail) of what keeps an executed cell's question from passing, or None.
    stub_left: the question's code still has its `raise NotImplementedError`."""
    meta = cell.metadata.nbgrader
    if check_locked and utils.is_locked(cell) and meta.get("checksum", utils.compute_checksum(cell)) \
            != utils.compute_checksum(cell):
        return FAILED, f"the cell {meta['grade_id']} was changed; grading runs the original, so undo the change"
    if _type_changed(cell):
        return FAILED, _type_changed(cell)
    if cell.cell_type == "markdown":
        unanswered = utils.is_grade(cell) and (utils.determine_grade(cell)[0] == 0 or not cell.source.strip())
        return (NOT_ANSWERED, WRITTEN_MISSING) if unanswered else None
    for output in cell.outputs:
        if output.output_type == "error":
            if output.ename == "NotImplementedError":
                return (NOT_ANSWERED, CODE_MISSING) if stub_left else \
                    (FAILED, "it calls code that still raises NotImplementedError (another question's?)")
            message = _first_line(output.evalue)
            if output.ename == "AssertionError":
                return FAILED, message or "an assert failed"
            return FAILED, f"{output.ename}: {message}" if message else output.ename
    if utils.is_grade(cell):
        outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
        score, max_score = utils.determine_grade(nbformat.from_dict({**cell, "outputs": outputs}))
        if score is not None and score < max_score:  # None: a code answer graded by hand
            return FAILED, "passed some but not all of the tests"
    return None


def questions(nb, check_locked=True):
    """nb: an executed notebook -> [QuestionResult], one per question in notebook order. A changed locked cell
    that belongs to no question (setup_...) is listed under its grade_id. check_locked: report changed locked
    cells (False with c.Validator.ignore_checksums)."""
    groups = {}  # question (or grade_id of a cell outside the questions) -> its cells, in order
    for cell in nb.cells:
        grade_id = course.grade_id(cell)
        if grade_id:
            in_question = utils.is_grade(cell) or utils.is_solution(cell)
            groups.setdefault(question_id(grade_id) if in_question else grade_id, []).append(cell)
    results = []
    for name, cells in groups.items():
        stub_left = any(utils.is_solution(c) and c.cell_type == "code" and "raise NotImplementedError" in c.source
                        for c in cells)
        problem = next(filter(None, (_problem(cell, check_locked, stub_left) for cell in cells)), None)
        if problem:
            results.append(QuestionResult(name, *problem))
        elif any(utils.is_grade(c) or utils.is_solution(c) for c in cells):
            written = all(c.cell_type == "markdown" for c in cells)
            results.append(QuestionResult(name, ANSWERED if written else PASSED))
    return results


class KeepExecuted(Preprocessor):
    """CourseValidator's last preprocessor: hands the executed notebook to the validator (its parent)."""

    def preprocess(self, nb, resources):
        self.parent.executed = nb
        return nb, resources


class CourseValidator(Validator):
    """nbgrader's Validator, question by question; configured like it (the c.Validator settings apply)."""

    preprocessors = List([*Validator.class_traits()["preprocessors"].default(), KeepExecuted])
    executed = None  # the notebook as nbgrader's preprocessors left it (KeepExecuted sets it)

    def summarise(self, filename):
        """Run the notebook at `filename` as nbgrader's validate does -> Summary."""
        self.executed = None
        results = super().validate(filename)
        if "type_changed" in results:  # nbgrader runs no notebook whose cells changed type: list only those
            cells = [c for c in nbformat.read(filename, as_version=4).cells
                     if course.grade_id(c) and _type_changed(c)]
            changed = [QuestionResult(question_id(c.metadata.nbgrader.grade_id), FAILED, _type_changed(c))
                       for c in cells]
            return Summary(changed, self.failed_warning, self.width)
        if self.executed is None:
            raise RuntimeError("nbgrader's Validator.validate no longer runs Validator.preprocessors with the "
                               "validator as their parent: autograder/validate.py needs the executed notebook "
                               "another way (nbgrader is pinned in pyproject.toml)")
        return Summary(questions(self.executed, check_locked=not self.ignore_checksums), self.failed_warning,
                       self.width)

    def validate(self, filename):
        """The button's result, in the structure nbgrader's lab extension draws: nothing when every question
        passes ("Success! Your notebook passes all the tests."), else one "failed" entry whose source is the
        list of questions and whose error (HTML) is the caveat."""
        summary = self.summarise(filename)
        if summary.passed:
            return {}
        caveat = summary.caveat_text()
        return {"failed": [{"source": summary.listing(), "error": html.escape(caveat), "raw_error": caveat}]}


def nbgrader_config():
    """nbgrader's configuration, read as its validate server extension reads it: nbgrader_config.py in the
    current folder and in the Jupyter config path (JUPYTER_CONFIG_PATH)."""
    app = NbGrader()
    app.load_config_file()
    return app.config


def run_visible_tests(path, timeout, config=None):
    """Execute the notebook at `path` (the file is not changed) as the Validate button does -> Summary.
    timeout: seconds a cell may run (the course's ExecutePreprocessor.timeout); config: nbgrader's
    configuration (a traitlets Config; default nbgrader_config())."""
    config = copy.deepcopy(config) if config is not None else nbgrader_config()
    config.Execute.timeout = timeout  # nbgrader's Execute preprocessor, an ExecutePreprocessor
    return CourseValidator(config=config).summarise(str(path))


def report(summary):
    """The text a student sees: a line per question, then the caveat about hidden tests."""
    return summary.listing() + "\n\n" + summary.caveat_text()

"""What fair grading means for each assignment, beyond "the solution gets full marks": one data file per
assignment in source/, tests/fairness/<assignment>.py (03_logic_gates.py for source/03_logic_gates/).

A data file defines two dicts, keyed by the grade_id of the solution cell an answer replaces:

    CORRECT = {grade_id: {description: source}}
        correct answers written differently from the source's (other numpy calls, scipy, a loop, other values).
        Each must get full marks, in its own question and in every question the notebook declares to build
        on it (metadata course.question_dependencies), and make no cell of those questions print a warning.
    MISTAKES = {grade_id: {description: Mistake(source, fails)}}
        typical wrong answers. Each must lose exactly the test cells in `fails` (all their points), which
        belong to its own question or to questions declared to build on it, and nothing else.

tests/test_assignments.py grades them all with nbgrader's own autograde, in the same run as the solution, the
untouched release and the one-question submissions of that assignment (see students()). A file may leave
both dicts empty, saying in its docstring why; an assignment without a file fails
test_every_assignment_has_fairness_data.
"""
import importlib.util
import textwrap
from dataclasses import dataclass
from pathlib import Path

from autograder.course import question_id

FOLDER = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: the source of the solution cell, and the grade_ids of the test cells it fails."""
    source: str
    fails: tuple


@dataclass(frozen=True)
class Fairness:
    """An assignment's data file, read. correct and mistakes: as CORRECT and MISTAKES above ({} when absent)."""
    assignment: str
    path: Path
    correct: dict
    mistakes: dict
    defines: frozenset  # which of CORRECT and MISTAKES the file defines


def path(assignment):
    """Where the assignment's data file lives (whether or not it exists)."""
    return FOLDER / f"{assignment}.py"


def load(assignment):
    """The assignment's Fairness, or None when it has no data file."""
    file = path(assignment)
    if not file.is_file():
        return None
    # The file is named after the assignment ("03_logic_gates"), not a Python identifier: load it by path.
    spec = importlib.util.spec_from_file_location(f"tests.fairness.{assignment}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    defines = frozenset(name for name in ("CORRECT", "MISTAKES") if hasattr(module, name))
    correct = {grade_id: {description: _cell(source) for description, source in variants.items()}
               for grade_id, variants in getattr(module, "CORRECT", {}).items()}
    mistakes = {grade_id: {description: Mistake(_cell(mistake.source), tuple(mistake.fails))
                           for description, mistake in variants.items()}
                for grade_id, variants in getattr(module, "MISTAKES", {}).items()}
    return Fairness(assignment, file, correct, mistakes, defines)


def _cell(source):
    """A cell's source as written indented in a triple-quoted string."""
    return textwrap.dedent(source).strip("\n")


def correct_cases(fairness):
    """[(grade_id, description, source)] of the correct answers, in the file's order."""
    return [(grade_id, description, source)
            for grade_id, variants in (fairness.correct if fairness else {}).items()
            for description, source in variants.items()]


def mistake_cases(fairness):
    """[(grade_id, description, Mistake)] of the typical mistakes, in the file's order."""
    return [(grade_id, description, mistake)
            for grade_id, variants in (fairness.mistakes if fairness else {}).items()
            for description, mistake in variants.items()]


def dependents(dependencies, question):
    """The questions whose tests use `question`'s answer: those that declare it in dependencies
    ({question: [questions it depends on]}, the notebook's metadata course.question_dependencies)."""
    return {other for other, needs in dependencies.items() if question in needs}


def affected(dependencies, grade_id):
    """The questions an answer in cell grade_id may change the marks of: its own and its dependents."""
    return {question_id(grade_id)} | dependents(dependencies, question_id(grade_id))


def students(fairness, dependencies):
    """{student: {grade_id: source}}: the submissions that grade the data, every other answer as in source/.

    Each submission runs the whole notebook (seconds), so answers share students: correct_1 gives every cell
    its first alternative, correct_2 its second (where it has one), and so on; a correct answer is then also
    graded next to other questions' alternatives, which must not break it either. Mistakes share a student
    only when the questions they may affect (see affected) are disjoint, so that every lost point is the
    doing of one mistake. That a mistake changes no other question's marks (an undeclared dependency) is what
    tests/test_assignments.py's one-question submissions check: the tests of one question fail there when they
    need another question's answer.
    """
    result = {}
    for grade_id, _, source in correct_cases(fairness):
        index = 1
        while grade_id in result.get(f"correct_{index}", {}):
            index += 1
        result.setdefault(f"correct_{index}", {})[grade_id] = source
    packed = []  # [(questions the student's mistakes may affect, {grade_id: source})]
    for grade_id, _, mistake in mistake_cases(fairness):
        reach = affected(dependencies, grade_id)
        for questions, answers in packed:
            if not questions & reach:
                questions |= reach
                answers[grade_id] = mistake.source
                break
        else:
            packed.append((set(reach), {grade_id: mistake.source}))
    for number, (_, answers) in enumerate(packed, start=1):
        result[f"mistakes_{number}"] = answers
    return result


def student_of(students, grade_id, source):
    """The student (of students()) whose submission holds `source` in cell grade_id."""
    return next(student for student, answers in students.items() if answers.get(grade_id) == source)

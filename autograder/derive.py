"""Make example submissions from an assignment: answered notebooks and the broken ones a real class hands in.

Used to build the demo class in demo/ and the classes graded by the tests and the benchmark. Every function
takes and returns nbformat notebooks (copies; the inputs are not changed).
"""
import ast
import copy

import nbformat

from nbgrader import utils

from autograder.course import grade_id, question_id  # noqa: F401 (grade_id: derive.grade_id for the tests)
from autograder.grading_notes import model_answer_and_mark_scheme

def solution_cells(nb):
    """The notebook's solution cells (code answers and written answers), in order."""
    return [cell for cell in nb.cells if utils.is_solution(cell)]


def questions(nb):
    """Question ids that have a solution cell, in notebook order."""
    found = []
    for cell in solution_cells(nb):
        if question_id(grade_id(cell)) not in found:
            found.append(question_id(grade_id(cell)))
    return found


def answered(release_nb, source_nb, only=None):
    """The release notebook with the instructor's answers filled in for the questions in `only` (all if None).

    Answers are the source notebook's solution cells without the ### BEGIN/END SOLUTION lines and without
    the mark scheme, which is what a student who solved the question hands in.
    """
    answers = {grade_id(cell): cell.source for cell in solution_cells(source_nb)}
    nb = copy.deepcopy(release_nb)
    for cell in solution_cells(nb):
        if only is None or question_id(grade_id(cell)) in only:
            cell.source, _ = model_answer_and_mark_scheme(answers[grade_id(cell)])
    return nb


def first_cell(nb, question, code_only=True):
    """The first solution cell of a question (a code cell unless code_only is False)."""
    for cell in solution_cells(nb):
        if question_id(grade_id(cell)) == question and (cell.cell_type == "code" or not code_only):
            return cell
    raise KeyError(f"no solution cell for {question}")


def defined_function(nb, question):
    """The name of the first function the question's first solution code cell defines."""
    tree = ast.parse(first_cell(nb, question).source)
    return next(node.name for node in tree.body if isinstance(node, ast.FunctionDef))


def with_code(nb, question, code, at_end=False):
    """A copy with `code` added at the start (or end) of the question's first solution code cell."""
    nb = copy.deepcopy(nb)
    cell = first_cell(nb, question)
    cell.source = f"{cell.source}\n{code}" if at_end else f"{code}\n{cell.source}"
    return nb


def without_cells(nb, grade_ids):
    """A copy without the cells whose grade_id is in grade_ids (a student deleted them)."""
    nb = copy.deepcopy(nb)
    nb.cells = [cell for cell in nb.cells if grade_id(cell) not in set(grade_ids)]
    return nb


def with_cell_source(nb, cell_id, source):
    """A copy where the cell with grade_id cell_id has a new source (a student edited a read-only cell)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if grade_id(cell) == cell_id:
            cell.source = source
    return nb


def without_metadata(nb):
    """A copy with every cell's metadata removed, as when cells are pasted into a new notebook."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode()
    return nb


def test_cell_ids(nb, question):
    """grade_ids of the question's autograded test cells."""
    return [grade_id(cell) for cell in nb.cells
            if utils.is_grade(cell) and not utils.is_solution(cell)
            and question_id(grade_id(cell)) == question]


def truncated_json(nb):
    """The notebook's JSON text cut in the middle: what a failed upload or a killed editor leaves behind."""
    text = nbformat.writes(nb)
    return text[: len(text) // 2]

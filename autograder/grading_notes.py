"""The model answer and mark scheme beside each written answer in formgrader, for the person grading it.

nbgrader keeps mark schemes (### BEGIN MARK SCHEME ... ### END MARK SCHEME, in the answer cell of source/)
out of the release, but formgrader never shows them: a grader would need source/ open in another window.
Formgrader shows the graded notebook (autograded/), so the last step of autograding puts a cell for graders
after each written answer: the model answer and the mark scheme from the source notebook. The feedback
pipeline takes it out again (feedback.DropGradingNotes): students never see it.
"""
import re

import nbformat
from nbformat.v4 import new_markdown_cell
from nbgrader import utils
from nbgrader.preprocessors import ClearMarkScheme, NbGraderPreprocessor
from traitlets import Unicode

from autograder import course
from autograder.feedback import GRADING_NOTES


def model_answer_and_mark_scheme(source, config=None):
    """(model answer, mark scheme) of a solution cell's source text, with nbgrader's delimiters: the answer is
    what a student who solved the question hands in (derive.answered uses it too)."""
    delimiters = ClearMarkScheme(config=config)
    begin, end = delimiters.begin_mark_scheme_delimeter, delimiters.end_mark_scheme_delimeter
    pattern = re.compile(rf"^[ \t]*###?\s*{re.escape(begin)}[^\n]*\n(.*?)^[ \t]*###?\s*{re.escape(end)}[^\n]*\n?",
                         re.MULTILINE | re.DOTALL | re.IGNORECASE)
    schemes = [match.group(1).strip() for match in pattern.finditer(source)]
    answer = pattern.sub("", source)
    answer = re.sub(r"^[ \t]*###?\s*(BEGIN|END) SOLUTION[^\n]*\n?", "", answer, flags=re.MULTILINE).rstrip()
    return answer, "\n\n".join(schemes)


def grading_note(grade_id, points, answer, scheme):
    """The markdown cell a grader reads under the student's answer."""
    unit = "point" if points == 1 else "points"
    text = [f"**For graders, not in the feedback: `{grade_id}` ({points:g} {unit})**", "", "*Model answer:*", ""]
    text += [f"> {line}" if line else ">" for line in answer.splitlines()]
    if scheme:
        text += ["", "*Mark scheme:*", "", scheme]
    cell = new_markdown_cell("\n".join(text))
    cell.metadata["autograder"] = {GRADING_NOTES: True}
    return cell


class ShowGradingNotes(NbGraderPreprocessor):
    """After autograding: a grading note (model answer and mark scheme) after every written answer."""

    source_notebook = Unicode("", help="path of the source notebook; {assignment} and {notebook} are replaced"
                              ).tag(config=True)

    def preprocess(self, nb, resources):
        if not self.source_notebook:
            return nb, resources
        ids = resources["nbgrader"]
        source = nbformat.read(self.source_notebook.format(assignment=ids["assignment"], notebook=ids["notebook"]),
                               as_version=4)
        written = {cell.metadata.nbgrader["grade_id"]: cell for cell in source.cells
                   if utils.is_grade(cell) and utils.is_solution(cell) and cell.cell_type == "markdown"}
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            grade_id = course.grade_id(cell)
            if utils.is_grade(cell) and utils.is_solution(cell) and grade_id in written:
                answer, scheme = model_answer_and_mark_scheme(written[grade_id].source, self.config)
                cells.append(grading_note(grade_id, float(cell.metadata.nbgrader.get("points", 0)), answer, scheme))
        nb.cells = cells
        return nb, resources

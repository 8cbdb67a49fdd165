"""Grading notebooks with nbgrader's own pipeline, in a throw-away copy of the course.

Used by tests/test_assignments.py. A `GradedCourse` is a temporary course root holding one assignment's
source; it generates the release and the solutions with nbgrader, takes submissions (notebooks as dicts)
for named students, autogrades them all in one `nbgrader autograde` run, and reads back the scores from
nbgrader's gradebook and the warnings from the graded notebooks' outputs.

Question ids: every nbgrader cell's grade_id starts with its question, e.g. "q2b_test_hidden" -> "q2b".
"""
import html
import json
import re
import shutil
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from autograder import release
from autograder.course import question_id

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"


def assignments():
    """The course's assignments (release.assignments, the one list)."""
    return release.assignments() if SOURCE.is_dir() else []


def nbgrader_cell(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def read(path):
    return nbformat.read(path, as_version=4)


def questions(notebook):
    """{question: points of its autograded test cells} for a source notebook."""
    points = {}
    for cell in notebook.cells:
        meta = nbgrader_cell(cell)
        if meta.get("grade") and not meta.get("solution"):
            question = question_id(meta["grade_id"])
            points[question] = points.get(question, 0) + meta["points"]
    return points


def dependencies(notebook):
    """{question: [questions it depends on]}, declared in the notebook's metadata (see conventions)."""
    return notebook.metadata.get("course", {}).get("question_dependencies", {})


def solution_cells(notebook):
    """{grade_id: source} of the notebook's code cells that hold an answer (nbgrader solution cells)."""
    return {nbgrader_cell(c)["grade_id"]: c.source for c in notebook.cells
            if nbgrader_cell(c).get("solution") and c.cell_type == "code"}


def answer_only(release_nb, source_nb, answered, replaced=None):
    """The release notebook with the solution cells of the `answered` questions taken from the source, and
    then the cells in `replaced` ({grade_id: source}, any question) given that source instead."""
    answers = {grade_id: source for grade_id, source in solution_cells(source_nb).items()
               if question_id(grade_id) in answered}
    answers.update(replaced or {})
    submission = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    for cell in submission.cells:
        grade_id = nbgrader_cell(cell).get("grade_id", "")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return submission


def answer_all(release_nb, source_nb, replaced=None):
    """The release notebook answered as in the source, except the cells in `replaced` ({grade_id: source})."""
    return answer_only(release_nb, source_nb, {question_id(grade_id) for grade_id in solution_cells(source_nb)},
                       replaced)


WARNING = re.compile(r"\b\w*Warning: ")  # how Python's warnings module prints one: "file:3: RuntimeWarning: ..."


def warnings_shown(notebook):
    """[(grade_id or None, line)]: the warnings in a graded notebook's outputs (its kernel's stderr), with the
    nbgrader cell that printed them."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found += [(nbgrader_cell(cell).get("grade_id"), line.strip())
                          for line in output.get("text", "").splitlines() if WARNING.search(line)]
    return found


class GradedCourse:
    """A temporary nbgrader course root with one assignment copied from source/."""

    def __init__(self, root, assignment):
        self.root = Path(root)
        self.assignment = assignment
        shutil.copy(ROOT / "nbgrader_config.py", self.root / "nbgrader_config.py")
        shutil.copytree(SOURCE / assignment, self.root / "source" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        self.notebooks = sorted(p.name for p in (self.root / "source" / assignment).glob("*.ipynb"))

    def nbgrader(self, *args):
        return release.nbgrader(*args, self.assignment, "--force", course_root=self.root)

    def generate(self, solutions=False):
        self.nbgrader("generate_assignment")
        if solutions:
            self.nbgrader("generate_solution")

    def path(self, kind, notebook):
        """Path of a notebook in source/, release/ or solutions/ of this course copy."""
        return self.root / kind / self.assignment / notebook

    def submit(self, student, notebooks):
        """notebooks: {notebook file name: nbformat notebook}."""
        folder = self.root / "submitted" / student / self.assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, notebook in notebooks.items():
            nbformat.write(notebook, folder / name)

    def autograde(self):
        return self.nbgrader("autograde")

    def graded(self, student, notebook):
        """The notebook as nbgrader autograde executed it for the student, with its outputs."""
        return read(self.root / "autograded" / student / self.assignment / notebook)

    def warnings(self, student):
        """[(grade_id or None, line)]: every warning the student's graded notebooks show (see warnings_shown)."""
        return [found for name in self.notebooks for found in warnings_shown(self.graded(student, name))]

    def scores(self, student):
        """{grade_id: (auto score, max score)} of every autograded test cell of the student's submission."""
        scores = {}
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            for name in self.notebooks:
                notebook = gradebook.find_submission_notebook(Path(name).stem, self.assignment, student)
                for grade in notebook.grades:
                    if grade.cell.cell_type == "code":
                        scores[grade.name] = (grade.auto_score, grade.max_score)
        return scores


def hidden_test_lines(notebooks):
    """Lines of code (longer than 8 characters) found only inside hidden-test regions (### BEGIN/END HIDDEN
    TESTS) of the given notebooks: what no feedback page may show. Lines that also stand elsewhere, whole or
    as part of a longer line, are left out (a reference implementation shares lines with the solution, which a
    student's answer may contain; a PDF wraps a long visible line into pieces such as "progress=False)")."""
    hidden, elsewhere = [], set()
    for nb in notebooks:
        for cell in nb.cells:
            inside = False
            for line in cell.source.splitlines():
                if "HIDDEN TESTS" in line:
                    inside = "BEGIN" in line
                elif inside and len(line.strip()) > 8:
                    hidden.append(line.strip())
                else:
                    elsewhere.add(line.strip())
    visible = "\n".join(elsewhere)
    return [line for line in hidden if line not in visible]


def shown_lines(page):
    """The lines a reader of an HTML page sees: its text without tags, each stripped."""
    text = html.unescape(re.sub(r"<[^>]+>", "", Path(page).read_text()))
    return {line.strip() for line in text.splitlines()}

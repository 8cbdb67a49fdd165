"""Reading the notebooks the similarity report compares: the students' solution cells, and the release as
nbgrader generate_assignment makes it from source/."""
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearSolutions

from autograder.course import grade_id, load_config, nbgrader_metadata, question_id
from autograder.similarity_fingerprint import Answer


def release_of(course_root, assignment):
    """{notebook: the release notebook}, made from source/ as nbgrader generate_assignment makes it (solutions,
    hidden tests and mark schemes cleared), so that it never differs from what students were given."""
    config = load_config(course_root)
    clearing = [ClearSolutions(config=config), ClearHiddenTests(config=config), ClearMarkScheme(config=config)]
    notebooks = {}
    for path in sorted((Path(course_root) / "source" / assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for preprocessor in clearing:
            nb, _ = preprocessor.preprocess(nb, {})
        notebooks[path.stem] = nb
    return notebooks


def read_answers(notebooks, paths):
    """({student: {question: Answer}}, [students with no readable notebook]). notebooks: the assignment's
    notebook names; paths: {student: [folders to look in, first found wins]}. Solution cells are found by
    their nbgrader metadata (the graded notebooks have it back where a student stripped it)."""
    answers, unreadable = {}, []
    for student, folders in paths.items():
        by_question, read = {}, 0
        for notebook in notebooks:
            found = [Path(folder) / f"{notebook}.ipynb" for folder in folders
                     if (Path(folder) / f"{notebook}.ipynb").is_file()]
            try:
                nb = nbformat.read(found[0], as_version=4)
                nbformat.validate(nb)
            except Exception:  # not handed in, or anything but a valid notebook (nbformat raises many kinds)
                continue
            read += 1
            for cell in nb.cells:
                if (isinstance(nbgrader_metadata(cell), dict) and utils.is_solution(cell)
                        and isinstance(grade_id(cell), str) and cell.cell_type in ("code", "markdown")):
                    answer = by_question.setdefault(question_id(grade_id(cell)), Answer([]))
                    answer.cells.append((grade_id(cell), "code" if cell.cell_type == "code" else "text", cell.source))
        answers[student] = by_question
        if not read:
            unreadable.append(student)
    return answers, unreadable

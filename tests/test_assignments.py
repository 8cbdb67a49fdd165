"""The graded assignments grade fairly with nbgrader's own autograde, and release/ and solutions/ are current.

For every assignment in source/, one throw-away course copy generates the release and solutions with
nbgrader and autogrades, in a single run, these students:
- "solution":    the source notebook itself            -> full marks on every autograded cell
- "untouched":   the release as handed out               -> zero autograded points, no crash
- "only_<q>":    the release with only question q's solution cells filled in (plus the questions q is
                 declared to depend on)                  -> exactly those questions' points
"""
import json
import re

import nbformat
import pytest

from tests.grading import (ROOT, GradedCourse, answer_only, assignments, dependencies, nbgrader_cell,
                           question_id, questions, read)

ASSIGNMENTS = [pytest.param(name, marks=pytest.mark.xdist_group(name)) for name in assignments()]
pytestmark = pytest.mark.slow

_courses = {}


@pytest.fixture
def course(request, tmp_path_factory):
    """The graded course copy of one assignment, built once per test session."""
    name = request.param
    if name not in _courses:
        course = GradedCourse(tmp_path_factory.mktemp(name), name)
        course.generate(solutions=True)
        for notebook in course.notebooks:
            source = read(course.path("source", notebook))
            release = read(course.path("release", notebook))
            course.submit("solution", {notebook: source})
            course.submit("untouched", {notebook: release})
            for question in questions(source):
                answered = {question, *dependencies(source).get(question, [])}
                course.submit(f"only_{question}", {notebook: answer_only(release, source, answered)})
        course.autograde()
        _courses[name] = course
    return _courses[name]


def _source_questions(course):
    return {nb: read(course.path("source", nb)) for nb in course.notebooks}


@pytest.mark.parametrize("course", ASSIGNMENTS, indirect=True)
def test_the_solution_gets_full_marks_on_every_autograded_cell(course):
    scores = course.scores("solution")
    assert scores, "no autograded cells found"
    lost = {cell: score for cell, score in scores.items() if score[0] != score[1]}
    assert not lost, f"the solution loses points in {lost}"


@pytest.mark.parametrize("course", ASSIGNMENTS, indirect=True)
def test_the_untouched_release_gets_zero_without_a_crash(course):
    scores = course.scores("untouched")
    assert scores and all(auto == 0 for auto, _ in scores.values()), scores


@pytest.mark.parametrize("course", ASSIGNMENTS, indirect=True)
def test_answering_one_question_earns_exactly_its_points(course):
    failures = []
    for source in _source_questions(course).values():
        points = questions(source)
        for question in points:
            answered = {question, *dependencies(source).get(question, [])}
            expected = sum(points[q] for q in answered)
            scores = course.scores(f"only_{question}")
            earned = sum(auto for grade_id, (auto, _) in scores.items() if question_id(grade_id) in answered)
            elsewhere = {g: auto for g, (auto, _) in scores.items() if question_id(g) not in answered and auto}
            if earned != expected or elsewhere:
                failures.append(f"{question}: earned {earned} of {expected}, and elsewhere {elsewhere}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("course", ASSIGNMENTS, indirect=True)
def test_every_question_states_its_points_and_hidden_tests(course):
    for source in _source_questions(course).values():
        text = "\n".join(cell.source for cell in source.cells if cell.cell_type == "markdown")
        assert re.search(r"hidden tests", text, re.IGNORECASE), "say that hidden tests run at grading time"
        for question, points in questions(source).items():
            test_cells = [c for c in source.cells if nbgrader_cell(c).get("grade")
                          and not nbgrader_cell(c).get("solution")
                          and question_id(nbgrader_cell(c)["grade_id"]) == question]
            assert any("BEGIN HIDDEN TESTS" in c.source for c in test_cells), f"{question} has no hidden tests"
            assert any("BEGIN HIDDEN TESTS" not in c.source for c in test_cells), f"{question}: no visible test"


def _without_outputs(notebook):
    notebook = json.loads(json.dumps(notebook))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell.get("metadata", {}).pop("execution", None)
    notebook.get("metadata", {}).pop("widgets", None)  # tqdm's widget state: new random ids on every run
    return notebook


@pytest.mark.parametrize("course", ASSIGNMENTS, indirect=True)
def test_committed_release_is_what_nbgrader_generates(course):
    for notebook in course.notebooks:
        committed = read(ROOT / "release" / course.assignment / notebook)
        assert committed == read(course.path("release", notebook)), \
            f"release/{course.assignment}/{notebook} is stale: run python3 tasks.py release"


@pytest.mark.parametrize("course", ASSIGNMENTS, indirect=True)
def test_committed_solutions_are_what_nbgrader_generates(course):
    for notebook in course.notebooks:
        committed = read(ROOT / "solutions" / course.assignment / notebook)
        assert _without_outputs(committed) == _without_outputs(read(course.path("solutions", notebook))), \
            f"solutions/{course.assignment}/{notebook} is stale: run python3 tasks.py release"
        outputs = [o for c in committed.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]


@pytest.mark.parametrize("course", ASSIGNMENTS, indirect=True)
def test_release_contains_no_solution_no_hidden_test_and_no_mark_scheme(course):
    for notebook in course.notebooks:
        source = read(course.path("source", notebook))
        release_text = (ROOT / "release" / course.assignment / notebook).read_text()
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME"):
            assert marker not in release_text
        for cell in source.cells:
            hidden = re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS|MARK SCHEME)\n(.*?)### END", cell.source, re.S)
            for block in hidden:
                for line in block.splitlines():
                    if len(line.strip()) > 25:  # long enough to be specific to the answer
                        assert json.dumps(line.strip())[1:-1] not in release_text, line


def test_source_and_release_notebooks_carry_no_outputs():
    for folder in ("source", "release"):
        for path in (ROOT / folder).rglob("*.ipynb"):
            notebook = nbformat.read(path, as_version=4)
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    assert not cell.outputs and cell.execution_count is None, f"{path} has outputs"

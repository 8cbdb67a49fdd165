"""The graded assignments grade fairly with nbgrader's own autograde, and release/ and solutions/ are current.

For every assignment in source/ (release.assignments, the one list), one throw-away course copy generates the
release and the solutions with nbgrader and autogrades, in a single `nbgrader autograde` run, these students:
- "solution":     the source notebook itself             -> full marks on every autograded cell, no warning shown
- "untouched":    the release as handed out                -> zero autograded points, no crash
- "only_<q>":     the release with only question q's solution cells filled in (plus the questions q is
                  declared to depend on)                   -> exactly those questions' points
- "correct_<k>":  the release answered as in the source, with correct answers written differently
                                                           -> full marks, no warning in an nbgrader cell
- "mistakes_<k>": the same with typical mistakes           -> exactly the listed test cells fail
Plain nbgrader scores a test cell that prints to stderr 0, so a warning in a test cell costs its points here
(the course's own grading does not count it: autograder/preprocessors.py, StderrIsNotFailure); the warnings
are also read from the graded notebooks' outputs, to say which cell showed them.
The correct answers and the mistakes are the assignment's data file, tests/fairness/<assignment>.py (what it
holds and how it becomes students: tests/fairness/__init__.py). A new assignment in source/ is graded as the
solution, the untouched release and one question at a time at once; test_every_assignment_has_fairness_data
fails until it has a data file.
"""
import json
import re
from dataclasses import dataclass

import nbformat
import pytest

from tests import fairness
from tests.fairness import affected, correct_cases, mistake_cases, student_of
from tests.grading import (ROOT, GradedCourse, answer_all, answer_only, assignments, dependencies, nbgrader_cell,
                           question_id, questions, read, solution_cells)

DATA = {name: fairness.load(name) for name in assignments()}


def _in_group(assignment, *values, id=None):
    """A test parameter that runs on the worker grading its assignment (xdist --dist loadgroup)."""
    return pytest.param(assignment, *values, marks=pytest.mark.xdist_group(assignment), id=id)


ASSIGNMENTS = [_in_group(name) for name in DATA]
CORRECT = [_in_group(name, grade_id, description, id=f"{name}-{grade_id}-{description}")
           for name, data in DATA.items() for grade_id, description, _ in correct_cases(data)]
MISTAKES = [_in_group(name, grade_id, description, id=f"{name}-{grade_id}-{description}")
            for name, data in DATA.items() for grade_id, description, _ in mistake_cases(data)]


def _sources(assignment):
    return {path.name: read(path) for path in sorted((ROOT / "source" / assignment).glob("*.ipynb"))}


def _dependencies(sources):
    """{question: [questions it depends on]} of all the assignment's notebooks."""
    return {question: needs for source in sources.values() for question, needs in dependencies(source).items()}


@dataclass
class Graded:
    """An assignment's course copy after one autograde run: the course, its data file, its questions'
    declared dependencies and the students made from the data ({student: {grade_id: source}})."""
    course: GradedCourse
    fairness: object
    dependencies: dict
    students: dict


def _grade(name, root):
    course = GradedCourse(root, name)
    course.generate(solutions=True)
    sources = {notebook: read(course.path("source", notebook)) for notebook in course.notebooks}
    needs = _dependencies(sources)
    students = fairness.students(DATA[name], needs)
    for notebook, source in sources.items():
        release = read(course.path("release", notebook))
        course.submit("solution", {notebook: source})
        course.submit("untouched", {notebook: release})
        for question in questions(source):
            answered = {question, *dependencies(source).get(question, [])}
            course.submit(f"only_{question}", {notebook: answer_only(release, source, answered)})
        cells = solution_cells(source)
        for student, answers in students.items():
            course.submit(student, {notebook: answer_all(release, source, {
                grade_id: answer for grade_id, answer in answers.items() if grade_id in cells})})
    course.autograde()
    return Graded(course, DATA[name], needs, students)


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """graded(assignment) -> Graded, generated and autograded once a session (per xdist worker: the tests of
    one assignment share a worker through their xdist_group)."""
    done = {}

    def get(name):
        if name not in done:
            try:
                done[name] = _grade(name, tmp_path_factory.mktemp(name))
            except Exception as error:  # one failed run, reported by every test of the assignment
                done[name] = error
        if isinstance(done[name], Exception):
            raise done[name]
        return done[name]
    return get


def _lost(scores):
    """{grade_id: points lost} of the autograded cells that did not get full marks."""
    return {grade_id: maximum - auto for grade_id, (auto, maximum) in scores.items() if auto != maximum}


# ---------------------------------------------------------------- the solution, the release, one question at a time
@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_gets_full_marks_on_every_autograded_cell(graded, assignment):
    course = graded(assignment).course
    scores = course.scores("solution")
    assert scores, "no autograded cells found"
    assert not _lost(scores), f"the solution loses points in {_lost(scores)}"
    assert not course.warnings("solution"), f"the solution shows warnings: {course.warnings('solution')}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_untouched_release_gets_zero_without_a_crash(graded, assignment):
    scores = graded(assignment).course.scores("untouched")
    assert scores and all(auto == 0 for auto, _ in scores.values()), scores


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_answering_one_question_earns_exactly_its_points(graded, assignment):
    course = graded(assignment).course
    failures = []
    for source in _sources(assignment).values():
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


# ---------------------------------------------------------------- correct answers written differently, typical mistakes
@pytest.mark.slow
@pytest.mark.parametrize("assignment,grade_id,description", CORRECT)
def test_a_correct_answer_written_differently_gets_full_marks(graded, assignment, grade_id, description):
    """Full marks and no warning in its question and in the questions that build on it."""
    run = graded(assignment)
    student = student_of(run.students, grade_id, run.fairness.correct[grade_id][description])
    reach = affected(run.dependencies, grade_id)
    lost = {g: points for g, points in _lost(run.course.scores(student)).items() if question_id(g) in reach}
    warned = [(g, line) for g, line in run.course.warnings(student) if g and question_id(g) in reach]
    assert not lost and not warned, (
        f"graded as {student} (with {sorted(run.students[student])} answered differently): lost {lost} in the "
        f"questions {sorted(reach)}, warnings {warned}")


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_correct_answers_written_differently_get_full_marks_together(graded, assignment):
    """Every correct_<k> student (several questions answered differently at once) loses nothing anywhere and
    no nbgrader cell shows a warning. Ungraded exploration cells are left out: they run the student's code with
    settings of the notebook's choosing and may warn (an unclipped loss on a saturated sigmoid at η = 0.1)
    without costing points."""
    run = graded(assignment)
    correct = [student for student in run.students if student.startswith("correct_")]
    if not correct:
        pytest.skip(f"{fairness.path(assignment).relative_to(ROOT)} lists no correct answers")
    problems = []
    for student in correct:
        lost = _lost(run.course.scores(student))
        warned = [(grade_id, line) for grade_id, line in run.course.warnings(student) if grade_id]
        if lost or warned:
            problems.append(f"{student} ({sorted(run.students[student])}): lost {lost}, warnings {warned}")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("assignment,grade_id,description", MISTAKES)
def test_a_typical_mistake_loses_exactly_its_test_cells(graded, assignment, grade_id, description):
    run = graded(assignment)
    mistake = run.fairness.mistakes[grade_id][description]
    student = student_of(run.students, grade_id, mistake.source)
    scores = run.course.scores(student)
    lost = _lost(scores)
    reach = affected(run.dependencies, grade_id)
    mine = {g: points for g, points in lost.items() if question_id(g) in reach}
    assert mine == {g: scores[g][1] for g in mistake.fails}, f"graded as {student}"
    # The student's other mistakes explain losses in the questions they reach, and nothing explains the rest.
    explained = set().union(*(affected(run.dependencies, g) for g in run.students[student]))
    unexplained = {g: points for g, points in lost.items() if question_id(g) not in explained}
    assert not unexplained, f"graded as {student} ({sorted(run.students[student])}), lost elsewhere: {unexplained}"


# ---------------------------------------------------------------- the data, the notebooks' own statements
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_has_fairness_data(assignment):
    """Its data file exists, defines CORRECT and MISTAKES, and names real cells: an answer for a solution
    cell (not the source's own), mistakes that fail test cells of their question or of its dependents."""
    data, file = DATA[assignment], fairness.path(assignment).relative_to(ROOT)
    assert data is not None, (
        f"{file} is missing: write {assignment}'s correct answers written differently (CORRECT) and typical "
        f"mistakes (MISTAKES), as tests/fairness/__init__.py describes; an assignment without either defines "
        f"both empty and says why in the file's docstring")
    assert data.defines == {"CORRECT", "MISTAKES"}, f"{file} defines only {sorted(data.defines)}"
    sources = _sources(assignment)
    needs = _dependencies(sources)
    solutions = {g: s for source in sources.values() for g, s in solution_cells(source).items()}
    tests = {nbgrader_cell(c)["grade_id"] for source in sources.values() for c in source.cells
             if nbgrader_cell(c).get("grade") and not nbgrader_cell(c).get("solution")}
    problems = []
    answers = [(g, d, s, "CORRECT") for g, d, s in correct_cases(data)]
    answers += [(g, d, m.source, "MISTAKES") for g, d, m in mistake_cases(data)]
    for grade_id, description, source, kind in answers:
        if grade_id not in solutions:
            problems.append(f"{kind}[{grade_id!r}]: no code cell with an answer has this grade_id")
        elif source.strip() == solutions[grade_id].strip():
            problems.append(f"{kind}[{grade_id!r}][{description!r}] is the source's own answer")
    for grade_id, description, mistake in mistake_cases(data):
        if not mistake.fails:
            problems.append(f"MISTAKES[{grade_id!r}][{description!r}] fails no test cell")
        for failing in mistake.fails:
            if failing not in tests:
                problems.append(f"MISTAKES[{grade_id!r}][{description!r}]: {failing!r} is no autograded test cell")
            elif question_id(failing) not in affected(needs, grade_id):
                problems.append(f"MISTAKES[{grade_id!r}][{description!r}]: {failing!r} is in a question that is "
                                f"not declared to build on {question_id(grade_id)}")
    assert not problems, f"{file}:\n" + "\n".join(problems)


def _points_table(notebook):
    """{question label: points} and the total from the points table of the notebook's first markdown cell:
    the row under the header cell "Points", e.g. "| Q2a–c | ... | 4 | by hand |" -> {"Q2a–c": 4}."""
    intro = next(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    rows = [[cell.strip() for cell in line.strip()[1:-1].split("|")]
            for line in intro.splitlines() if line.strip().startswith("|") and line.strip().endswith("|")]
    header = next(row for row in rows if "Points" in row)
    column = header.index("Points")
    table, total = {}, None
    for row in rows[rows.index(header) + 1:]:
        number = re.match(r"\**(\d+)", row[column])
        if not number:
            continue
        if any("Total" in cell for cell in row):
            total = int(number.group(1))
        else:
            table[row[0].strip("*")] = int(number.group(1))
    return table, total


def _questions_of(label):
    """The question ids a table row stands for: "Q1" -> ["q1"], "Q2a–c" -> ["q2a", "q2b", "q2c"]."""
    found = re.fullmatch(r"Q(\d+)([a-z]?)(?:[–-]([a-z]))?", label)
    assert found, f"not a question in the points table: {label!r}"
    number, first, last = found.groups()
    if not last:
        return [f"q{number}{first}"]
    return [f"q{number}{chr(letter)}" for letter in range(ord(first), ord(last) + 1)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_table_matches_the_cells(assignment):
    for name, notebook in _sources(assignment).items():
        in_cells = {}
        for cell in notebook.cells:
            meta = nbgrader_cell(cell)
            if meta.get("grade"):
                question = question_id(meta["grade_id"])
                in_cells[question] = in_cells.get(question, 0) + meta["points"]
        table, total = _points_table(notebook)
        in_table = {label: sum(in_cells.get(q, 0) for q in _questions_of(label)) for label in table}
        assert table == in_table, f"{name}: the points table says {table}, the cells {in_cells}"
        covered = [q for label in table for q in _questions_of(label)]
        assert sorted(covered) == sorted(in_cells), f"{name}: the table lists {covered}, the cells {sorted(in_cells)}"
        assert total == sum(in_cells.values()), f"{name}: the table's total is {total}, not {sum(in_cells.values())}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_question_states_its_points_and_hidden_tests(assignment):
    for source in _sources(assignment).values():
        text = "\n".join(cell.source for cell in source.cells if cell.cell_type == "markdown")
        assert re.search(r"hidden tests", text, re.IGNORECASE), "say that hidden tests run at grading time"
        for question, points in questions(source).items():
            test_cells = [c for c in source.cells if nbgrader_cell(c).get("grade")
                          and not nbgrader_cell(c).get("solution")
                          and question_id(nbgrader_cell(c)["grade_id"]) == question]
            assert any("BEGIN HIDDEN TESTS" in c.source for c in test_cells), f"{question} has no hidden tests"
            assert any("BEGIN HIDDEN TESTS" not in c.source for c in test_cells), f"{question}: no visible test"


# ---------------------------------------------------------------- release/ and solutions/ are what nbgrader generates
def _without_outputs(notebook):
    notebook = json.loads(json.dumps(notebook))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell.get("metadata", {}).pop("execution", None)
    notebook.get("metadata", {}).pop("widgets", None)  # tqdm's widget state: new random ids on every run
    return notebook


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_what_nbgrader_generates(graded, assignment):
    course = graded(assignment).course
    for notebook in course.notebooks:
        committed = read(ROOT / "release" / assignment / notebook)
        assert committed == read(course.path("release", notebook)), \
            f"release/{assignment}/{notebook} is stale: run python3 tasks.py release"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_solutions_are_what_nbgrader_generates(graded, assignment):
    course = graded(assignment).course
    for notebook in course.notebooks:
        committed = read(ROOT / "solutions" / assignment / notebook)
        assert _without_outputs(committed) == _without_outputs(read(course.path("solutions", notebook))), \
            f"solutions/{assignment}/{notebook} is stale: run python3 tasks.py release"
        outputs = [o for c in committed.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_contains_no_solution_no_hidden_test_and_no_mark_scheme(assignment):
    for notebook, source in _sources(assignment).items():
        release_text = (ROOT / "release" / assignment / notebook).read_text()
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME"):
            assert marker not in release_text
        block = r"### BEGIN (?:SOLUTION|HIDDEN TESTS|MARK SCHEME)\n(.*?)### END"
        # what the source shows students anyway (given code such as a plot's first line) gives nothing away
        given = "\n".join(re.sub(block, "", cell.source, flags=re.S) for cell in source.cells)
        for cell in source.cells:
            for hidden in re.findall(block, cell.source, re.S):
                for line in hidden.splitlines():
                    if len(line.strip()) > 25 and line.strip() not in given:  # long enough to be specific
                        assert json.dumps(line.strip())[1:-1] not in release_text, line


def test_source_and_release_notebooks_carry_no_outputs():
    for folder in ("source", "release"):
        for path in (ROOT / folder).rglob("*.ipynb"):
            notebook = nbformat.read(path, as_version=4)
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    assert not cell.outputs and cell.execution_count is None, f"{path} has outputs"

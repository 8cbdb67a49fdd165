"""Validate, question by question: `python -m autograder validate` in a terminal and the request JupyterLab's
Validate button sends (POST /assignments/validate), both through nbgrader's own Validator.

Each question is "passed", "failed" with the hint (the first line of the test's message), "not answered" (code
that still raises NotImplementedError, a written answer still "YOUR ANSWER HERE") or "answered (graded by hand)";
then the course's caveat about hidden tests (c.Validator.failed_warning); never a traceback.
"""
import ast
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbgrader import utils
from nbgrader.server_extensions.validate_assignment import handlers as nbgrader_handlers
from nbgrader.validator import Validator

from autograder import derive
from autograder.course import load_config, question_id
from autograder.validate import (ANSWERED, CODE_MISSING, FAILED, NOT_ANSWERED, PASSED, WRITTEN_MISSING,
                                 CourseValidator, KeepExecuted, questions, report, run_visible_tests)
from autograder.validate_server import CourseValidateHandler
from tests.grading import ROOT
from tests.local_server import running_server

ASSIGNMENT = "01_gradient_descent"  # the quickest to run (a few seconds)
NOTEBOOK = f"{ASSIGNMENT}/gradient_descent.ipynb"
WRONG = "q1"  # the question the wrong answer gets wrong; no other question uses its code
# The mistake: climb the gradient instead of descending it.
DESCENT = "x - eta * df_dx(x, y), y - eta * df_dy(x, y)"


def course_config():
    return load_config(ROOT)


def caveat():
    """The course's caveat as a student reads it (one paragraph)."""
    return " ".join(course_config().Validator.failed_warning.split())


def expected_questions():
    """{question: True for a written answer} of the assignment, from its source notebook."""
    nb = nbformat.read(ROOT / "source" / NOTEBOOK, as_version=4)
    found = {}
    for cell in nb.cells:
        if utils.is_grade(cell) or utils.is_solution(cell):
            name = question_id(cell.metadata.nbgrader.grade_id)
            found[name] = found.get(name, True) and cell.cell_type == "markdown"
    return found


def hints_of(test_cell):
    """The first lines of the messages of a test cell's asserts."""
    return {ast.literal_eval(node.msg).splitlines()[0] for node in ast.walk(ast.parse(test_cell.source))
            if isinstance(node, ast.Assert) and isinstance(node.msg, ast.Constant)}


def assert_student_text(text):
    """What any Validate text must be: no traceback, no line twice, the caveat."""
    assert "Traceback" not in text, text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)), f"repeated lines in:\n{text}"
    assert caveat() in " ".join(text.split()), f"the caveat is missing from:\n{text}"


@pytest.fixture(scope="module")
def wrong_answer(tmp_path_factory):
    """A handed-in notebook: every answer the instructor's, except q1's, which climbs the gradient."""
    release_nb = nbformat.read(ROOT / "release" / NOTEBOOK, as_version=4)
    nb = derive.answered(release_nb, nbformat.read(ROOT / "source" / NOTEBOOK, as_version=4))
    cell = derive.first_cell(nb, WRONG)
    assert DESCENT in cell.source, f"the q1 answer in source/{NOTEBOOK} changed: update DESCENT in this test"
    cell.source = cell.source.replace(DESCENT, DESCENT.replace(" - ", " + "))
    path = tmp_path_factory.mktemp("wrong") / Path(NOTEBOOK).name
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def wrong_summary(wrong_answer):
    """What the terminal says about the wrong answer."""
    return run_visible_tests(wrong_answer, course_config().ExecutePreprocessor.timeout, course_config())


def test_questions_reads_each_kind_of_result_from_an_executed_notebook():
    """Without a kernel: executed cells as nbgrader leaves them."""
    def cell(kind, grade_id, source="", outputs=(), **meta):
        new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        made = new(source)
        if kind == "code":
            made.outputs = [nbformat.v4.new_output(**output) for output in outputs]
        made.metadata.nbgrader = {"grade": False, "solution": False, "locked": False, "grade_id": grade_id,
                                  "schema_version": 3, **meta}
        if meta.get("locked") or meta.get("grade"):
            made.metadata.nbgrader["checksum"] = utils.compute_checksum(made)
        return made

    def error(ename, evalue):
        return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": ["Traceback ...", "line"]}

    test = {"grade": True, "locked": True, "points": 1}
    stub = "def g():\n    raise NotImplementedError()"
    written_stub = cell("markdown", "q5_written", "YOUR ANSWER HERE", grade=True, solution=True, points=1)
    written = cell("markdown", "q6_written", "YOUR ANSWER HERE", grade=True, solution=True, points=1)
    written.source = "Because the step is too large."
    edited = cell("code", "q7_test_visible", "assert h() == 1", **test)
    edited.source = "pass"
    nb = nbformat.v4.new_notebook(cells=[
        cell("code", "setup_imports", "import numpy as np", locked=True),
        cell("code", "q1_g", stub, solution=True),
        cell("code", "q1_test_visible", "g()", [error("NotImplementedError", "")], **test),
        cell("code", "q2_h", "def h(): return g()", solution=True),
        cell("code", "q2_test_visible", "h()", [error("NotImplementedError", "")], **test),
        cell("code", "q3_k", "def k(): return 1", solution=True),
        cell("code", "q3_test_visible", "assert k() == 2",
             [error("AssertionError", "Hint: k should return 2.\nMore detail on a second line.")], **test),
        cell("code", "q4_test_visible", "k(3)", [error("TypeError", "k() takes 0 positional arguments\n")], **test),
        written_stub,
        written,
        edited,
        cell("code", "q8_test_visible", "import warnings; warnings.warn('slow')",
             [{"output_type": "stream", "name": "stderr", "text": "UserWarning: slow\n"}], **test),
    ])
    results = {r.question: (r.status, r.detail) for r in questions(nb)}
    assert results == {
        "q1": (NOT_ANSWERED, CODE_MISSING),
        "q2": (FAILED, "it calls code that still raises NotImplementedError (another question's?)"),
        "q3": (FAILED, "Hint: k should return 2."),
        "q4": (FAILED, "TypeError: k() takes 0 positional arguments"),
        "q5": (NOT_ANSWERED, WRITTEN_MISSING),
        "q6": (ANSWERED, ""),
        "q7": (FAILED, "the cell q7_test_visible was changed; grading runs the original, so undo the change"),
        "q8": (PASSED, ""),  # a warning on stderr fails no test at grading time, nor here
    }
    assert {r.question: r.status for r in questions(nb, check_locked=False)}["q7"] == PASSED


def test_a_cell_whose_type_changed_is_named_without_running_the_notebook(tmp_path):
    """nbgrader refuses to run such a notebook; the summary names the cell, and nothing else."""
    nb = nbformat.read(ROOT / "release" / NOTEBOOK, as_version=4)
    written = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and utils.is_solution(c))
    nb.cells[written] = nbformat.v4.new_code_cell(nb.cells[written].source, metadata=nb.cells[written].metadata)
    nbformat.write(nb, tmp_path / "changed.ipynb")
    summary = CourseValidator(config=course_config()).summarise(str(tmp_path / "changed.ipynb"))
    grade_id = nb.cells[written].metadata.nbgrader.grade_id
    assert [(r.question, r.status) for r in summary] == [(question_id(grade_id), FAILED)]
    assert f"the cell {grade_id} was a markdown cell and is now a code cell" in report(summary)
    assert_student_text(report(summary))


def test_what_the_course_validator_takes_from_nbgrader_is_still_there():
    """nbgrader is pinned (pyproject.toml); when an upgrade changes what the course's Validator and handler
    build on, this says what."""
    nbgrader_preprocessors = Validator.class_traits()["preprocessors"].default()
    assert CourseValidator.class_traits()["preprocessors"].default() == [*nbgrader_preprocessors, KeepExecuted]
    routes = dict(nbgrader_handlers.default_handlers)
    assert routes.get(r"/assignments/validate") is nbgrader_handlers.ValidateAssignmentHandler, \
        "nbgrader's Validate request moved: autograder/validate_server.py serves /assignments/validate"
    assert routes.get(r"/nbgrader_version") is nbgrader_handlers.NbGraderVersionHandler
    for name in ("validate_notebook", "load_config", "root_dir"):
        assert hasattr(nbgrader_handlers.ValidateAssignmentHandler, name), \
            f"nbgrader's ValidateAssignmentHandler has no {name} any more: see autograder/validate_server.py"
    assert issubclass(CourseValidateHandler, nbgrader_handlers.ValidateAssignmentHandler)
    # The lab extension draws a "failed" entry and an empty result as validate_server.py's docstring says.
    bundles = (Path(sys.prefix) / "share/jupyter/labextensions/@jupyter/nbgrader/static").glob("*.js")
    drawn = "".join(path.read_text() for path in bundles)
    for text in ("The following cell failed:", "Success! Your notebook passes all the tests.", ".failed[",
                 ".source", ".error"):
        assert text in drawn, f"nbgrader's lab extension no longer draws {text!r}: see autograder/validate_server.py"


def validate_from_a_terminal(notebook, exit_status):
    """`python -m autograder validate notebook`: (the finished process, [[question, status] per listed line])."""
    result = subprocess.run([sys.executable, "-m", "autograder", "validate", str(notebook)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == exit_status, result.stdout + result.stderr
    return result, [line.split(None, 1) for line in result.stdout.split("\n\n")[0].splitlines()]


@pytest.mark.slow
def test_the_untouched_release_names_every_question_not_answered():
    result, listed = validate_from_a_terminal(ROOT / "release" / NOTEBOOK, exit_status=1)
    want = expected_questions()
    assert [name for name, _ in listed] == list(want), result.stdout
    for name, status in listed:
        assert status == f"{NOT_ANSWERED} — {WRITTEN_MISSING if want[name] else CODE_MISSING}", (name, status)
    assert_student_text(result.stdout)


@pytest.mark.slow
def test_the_solution_passes_every_question():
    result, listed = validate_from_a_terminal(ROOT / "solutions" / NOTEBOOK, exit_status=0)
    want = expected_questions()
    assert dict(listed) == {name: ANSWERED if written else PASSED for name, written in want.items()}, result.stdout
    assert_student_text(result.stdout)


@pytest.mark.slow
def test_one_wrong_answer_fails_that_question_with_its_hint_and_the_others_pass(wrong_answer, wrong_summary):
    summary = wrong_summary
    results = {r.question: r for r in summary}
    assert list(results) == list(expected_questions())
    test_cell = next(c for c in nbformat.read(wrong_answer, 4).cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") == f"{WRONG}_test_visible")
    assert results[WRONG].status == FAILED and results[WRONG].detail in hints_of(test_cell), results[WRONG]
    assert all(r.passed for name, r in results.items() if name != WRONG), report(summary)
    assert_student_text(report(summary))
    # nbgrader's own Validator agrees: the cells it finds failing are the wrong question's, and only those.
    failed = Validator(config=course_config()).validate(str(wrong_answer))["failed"]
    sources = {c.source.strip(): c.metadata.nbgrader.grade_id for c in nbformat.read(wrong_answer, 4).cells
               if "nbgrader" in c.metadata}
    assert {question_id(sources[entry["source"]]) for entry in failed} == {WRONG}


@pytest.fixture(scope="module")
def server(course_copy, jupyter_env, tmp_path_factory):
    """A Jupyter server as `python3 tasks.py lab` runs it (the course's jupyter/ config) in a course copy;
    yields post(path) -> the JSON of POST /assignments/validate?path=..., as the Validate button asks it."""
    log_path = tmp_path_factory.mktemp("server") / "jupyter-server.log"
    with running_server(["jupyter", "server", "--allow-root", f"--ServerApp.root_dir={course_copy}"],
                        cwd=course_copy, env=jupyter_env, log_path=log_path) as (url, token):

        def post(path):
            request = urllib.request.Request(f"{url}/assignments/validate?path={path}", method="POST", data=b"",
                                             headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=300) as response:
                return json.loads(response.read())

        yield post
    assert "autograder.validate_server | extension was successfully loaded" in log_path.read_text()


@pytest.mark.slow
def test_the_validate_button_gets_the_summary_from_the_server(server, course_copy, wrong_answer, wrong_summary):
    """The request the button sends goes through nbgrader's handler (the course's subclass) and nbgrader's
    Validator.validate; its answer is one "failed" entry: the questions (source) and the caveat (error)."""
    (course_copy / "wrong").mkdir()
    (course_copy / "wrong" / wrong_answer.name).write_bytes(wrong_answer.read_bytes())
    for path, summary in [(f"release/{NOTEBOOK}", None), (f"wrong/{wrong_answer.name}", wrong_summary)]:
        answer = server(path)
        assert answer["success"] is True and list(answer["value"]) == ["failed"], answer
        [entry] = answer["value"]["failed"]
        text = entry["source"] + "\n\n" + entry["raw_error"]
        assert_student_text(text)
        if summary is not None:
            assert text == report(summary), "the button and the terminal say different things"
        else:
            assert [line.split()[0] for line in entry["source"].splitlines()] == list(expected_questions())
            assert all(NOT_ANSWERED in line for line in entry["source"].splitlines())
    with pytest.raises(urllib.error.HTTPError, match="403"):
        server("../outside.ipynb")

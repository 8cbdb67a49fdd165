"""Every test cell of every assignment fails with a message a student can act on.

Students see a failed test's message in their feedback, but never a hidden test's code, so the message is all
they have. The conventions, checked in every autograded test cell of source/*/*.ipynb (visible and hidden):
- every `assert` has a message;
- every numpy.testing assert_* call has an `err_msg=` (its first line is numpy's "Not equal to tolerance",
  so a plain `assert ..., "message"` is usually the better choice);
- every hidden test opens with a comment line: the feedback page shows it as the test's purpose;
- no message names a private reference helper (`_reference_...`): it would tell the student nothing.
Whether a message reads well is for a person to judge; this test only finds the ones that are missing.
"""
import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "source").glob("*/*.ipynb"))
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_test_cells(notebook):
    """(grade_id, source) of every autograded test cell."""
    return [(_nbgrader(cell)["grade_id"], cell.source) for cell in notebook.cells
            if cell.cell_type == "code" and _nbgrader(cell).get("grade") and not _nbgrader(cell).get("solution")]


def python_source(source):
    """The cell as Python: IPython's %magic and !shell lines blanked, so that line numbers stay."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def numpy_testing_names(notebook):
    """How the notebook's code cells can name numpy.testing: (module aliases, names of its functions)."""
    modules, functions = {"np.testing", "numpy.testing"}, set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(python_source(cell.source))
        except SyntaxError:
            continue  # a student's cell in a solution notebook is not ours to judge here
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {alias.asname for alias in node.names if alias.name == "numpy.testing" and alias.asname}
            elif isinstance(node, ast.ImportFrom) and node.module == "numpy.testing":
                functions |= {alias.asname or alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module == "numpy":
                modules |= {alias.asname or alias.name for alias in node.names if alias.name == "testing"}
    return modules, functions


def _is_numpy_testing_assert(call, modules, functions):
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in functions and func.id.startswith("assert")
    if isinstance(func, ast.Attribute) and func.attr.startswith("assert"):
        return ast.unparse(func.value) in modules
    return False


def _names_a_reference(message):
    """Whether a message's text (string constants, f-string parts and the names in them) has `_reference`."""
    return any(isinstance(node, ast.Constant) and isinstance(node.value, str) and "_reference" in node.value
               or isinstance(node, ast.Name) and "_reference" in node.id for node in ast.walk(message))


def problems(grade_id, source, modules=frozenset({"np.testing", "numpy.testing"}), functions=frozenset()):
    """What breaks the conventions in one test cell, each as 'grade_id line N: what'."""
    found = []
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError as error:
        return [f"{grade_id} line {error.lineno}: not valid Python ({error.msg})"]
    for node in sorted((n for n in ast.walk(tree) if hasattr(n, "lineno")), key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(node, ast.Assert):
            if node.msg is None:
                found.append(f"{grade_id} line {node.lineno}: assert without a message: {ast.unparse(node.test)[:80]}")
            elif _names_a_reference(node.msg):
                found.append(f"{grade_id} line {node.lineno}: the message names a _reference helper")
        elif isinstance(node, ast.Call) and _is_numpy_testing_assert(node, modules, functions):
            err_msg = [keyword.value for keyword in node.keywords if keyword.arg == "err_msg"]
            if not err_msg:
                found.append(f"{grade_id} line {node.lineno}: {ast.unparse(node.func)} without err_msg=")
            elif _names_a_reference(err_msg[0]):
                found.append(f"{grade_id} line {node.lineno}: the err_msg names a _reference helper")
    if HIDDEN_BEGIN in source:
        lines = [line.strip() for line in source.splitlines() if line.strip()]
        if not lines[0].startswith("#") or lines[0].startswith(HIDDEN_BEGIN):
            found.append(f"{grade_id} line 1: a hidden test opens with a comment saying what it checks")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.parent.name for path in NOTEBOOKS])
def test_every_test_cell_fails_with_a_message(path):
    notebook = nbformat.read(path, as_version=4)
    cells = graded_test_cells(notebook)
    assert cells, f"{path.name} has no autograded test cells"
    modules, functions = numpy_testing_names(notebook)
    found = [problem for grade_id, source in cells for problem in problems(grade_id, source, modules, functions)]
    assert not found, f"{path.relative_to(ROOT)}:\n" + "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    ("assert x == 1", "assert without a message"),
    ("np.testing.assert_allclose(a, b)", "np.testing.assert_allclose without err_msg="),
    ("assert_array_equal(a, b)", "assert_array_equal without err_msg="),
    ("npt.assert_equal(a, b)", "npt.assert_equal without err_msg="),
    ("assert x, f'{_reference_f(1)} differs'", "names a _reference helper"),
    ("assert x, 'compare with _reference_f'", "names a _reference helper"),
    ("np.testing.assert_allclose(a, b, err_msg='_reference')", "err_msg names a _reference helper"),
    ("### BEGIN HIDDEN TESTS\nassert x, 'x'\n### END HIDDEN TESTS", "opens with a comment"),
    ("%matplotlib inline\nassert x == 1", "line 2: assert without a message"),
])
def test_the_check_finds_each_broken_convention(source, expected):
    found = problems("q1_test", source, {"np.testing", "npt"}, {"assert_array_equal"})
    assert len(found) == 1 and expected in found[0], found


def test_the_check_accepts_what_the_conventions_ask_for():
    source = ("# Random inputs against the closed form.\n### BEGIN HIDDEN TESTS\n%matplotlib inline\n"
              "assert x == 1, f'f(2) returned {x}, expected 1'\n"
              "np.testing.assert_allclose(a, b, err_msg='f: the gradient differs')\n### END HIDDEN TESTS")
    assert problems("q1_test_hidden", source) == []

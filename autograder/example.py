"""A tiny example course (one assignment, two notebooks) that follows the course's nbgrader conventions.

The autograder's tests and benchmark grade classes of this assignment because it runs in about a second;
`write_course(root)` creates it in any folder:

    root/nbgrader_config.py
    root/source/ex_squares/squares.ipynb   q1 square (1 + 2 points), q2 mean (1 + 2), q3 written answer (1, by hand)
    root/source/ex_squares/extra.ipynb     q4 cube (2 points)
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT = "ex_squares"

CONFIG = '''"""nbgrader configuration of the autograder's example course."""
import os

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "example-course"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.kernel_name = "python3"
c.ClearMarkScheme.enforce_metadata = False  # the written answer carries its mark scheme, as the course's do
'''


def _meta(grade_id, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _solution(grade_id, source):
    return new_code_cell(source, metadata=_meta(grade_id, solution=True))


def _test(grade_id, points, source):
    return new_code_cell(source, metadata=_meta(grade_id, grade=True, locked=True, points=points))


def squares_notebook():
    """The main notebook: two coded questions with a visible and a hidden test each, and one written answer."""
    return new_notebook(cells=[
        new_markdown_cell("# Squares and means\nq1 square: 3 points; q2 mean: 3 points; q3 written: 1 point.\n"
                          "Every cell runs in under a second. Hidden tests run at grading time."),
        new_code_cell('import numpy as np\n\n\ndef close(a, b):\n    """Whether a and b agree to numerical precision."""\n'
                      "    return bool(np.allclose(a, b))", metadata=_meta("setup_imports", locked=True)),
        new_markdown_cell("## q1\nWrite `square(x)`, the element-wise square of an array."),
        _solution("q1_square", 'def square(x):\n    """x: array of any shape; returns x**2, same shape."""\n'
                               "    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"),
        _test("q1_test_visible", 1, 'assert square(3) == 9, "Hint: square(3) should be 9"'),
        _test("q1_test_hidden", 2, 'assert square(-2) == 4, "Hint: negative numbers square to positive ones"\n'
                                   "### BEGIN HIDDEN TESTS\nfrom numpy.testing import assert_allclose\n"
                                   "x = np.random.default_rng(0).normal(size=(3, 4))\n"
                                   "assert_allclose(square(x), x ** 2)\n### END HIDDEN TESTS"),
        new_markdown_cell("## q2\nWrite `mean(values)`, the average of a list of numbers."),
        _solution("q2_mean", 'def mean(values):\n    """values: sequence of N numbers; returns their mean."""\n'
                             "    ### BEGIN SOLUTION\n    return float(np.sum(values)) / len(values)\n"
                             "    ### END SOLUTION"),
        _test("q2_test_visible", 1, 'assert mean([1, 2, 3]) == 2, "Hint: the mean of 1, 2, 3 is 2"'),
        _test("q2_test_hidden", 2, "assert mean([5]) == 5\n### BEGIN HIDDEN TESTS\n"
                                   "assert abs(mean(np.arange(10)) - 4.5) < 1e-12\n"
                                   "assert close(mean(np.linspace(0, 1, 5)), 0.5)\n### END HIDDEN TESTS"),
        new_markdown_cell("## q3\nWhy is the square of a real number never negative, that is, why is "
                          "$x^2 \\geq 0$ for every real $x$?"),
        # as in the course's notebooks: the whole cell is the model answer (the release has "YOUR ANSWER HERE")
        new_markdown_cell("A negative times a negative is positive.\n"
                          "### BEGIN MARK SCHEME\n1 point for the sign rule, $(-a)^2 = a^2$.\n### END MARK SCHEME",
                          metadata=_meta("q3_written", grade=True, solution=True, points=1)),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def extra_notebook():
    """A second notebook, so that tests can check that one broken notebook does not cost the other."""
    return new_notebook(cells=[
        new_markdown_cell("# Cubes\nq4 cube: 2 points. Hidden tests run at grading time."),
        _solution("q4_cube", 'def cube(x):\n    """x: array of any shape; returns x**3."""\n'
                             "    ### BEGIN SOLUTION\n    return x ** 3\n    ### END SOLUTION"),
        _test("q4_test", 2, 'assert cube(2) == 8, "Hint: 2 * 2 * 2 = 8"\n### BEGIN HIDDEN TESTS\n'
                            "assert cube(-1) == -1\n### END HIDDEN TESTS"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def write_course(root):
    """Create the example course in root (a new or empty folder); returns root as a Path."""
    root = Path(root)
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG)
    nbformat.write(squares_notebook(), source / "squares.ipynb")
    nbformat.write(extra_notebook(), source / "extra.ipynb")
    return root

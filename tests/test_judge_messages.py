"""What a student reads when a test fails: one line in words (judge.explain), never the test's code.

The judge runs inside grading kernels (standard library only), so its explanations can be checked here
directly, on the failures students produce: numpy's testing errors, shape mismatches, exceptions in their
own code, answers not written yet, names not defined, bare asserts.
"""
import linecache

import numpy as np
import pytest

from autograder import judge

TEST_CELL = judge.INSTRUCTOR_FILE.format("q2_test_hidden")
HIDDEN_LINE = "expected_secret = [0.25, 0.75]  # a line of the hidden test"


def student_code(source, cell=[0]):  # noqa: B006 (a counter: one file name per cell)
    """Functions as a student's cell defines them: compiled under a file name of IPython's kind, with the
    source in linecache, as IPython keeps it."""
    cell[0] += 1
    filename = f"/tmp/ipykernel_1/{cell[0]}.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def failure(test_source, names):
    """The error output the judge makes when test_source (a read-only cell) fails with names defined."""
    namespace = {"np": np, **names}
    try:
        exec(compile(test_source, TEST_CELL, "exec"), namespace)
    except BaseException as error:  # noqa: B036 (the judge catches everything too)
        return judge._describe(error, test_source, set(names))
    raise AssertionError("the test did not fail")


def shown(error):
    return "\n".join(error["traceback"])


WRONG_AXIS = student_code("def softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=0)\n")
NOT_ANSWERED = student_code("def softmax(z):\n    raise NotImplementedError()\n")
BROKEN = student_code("def softmax(z):\n    return np.exp(z) @ np.ones(5)\n")
NOTHING = student_code("def softmax(z):\n    pass\n")


@pytest.mark.parametrize("test_source, names, expected", [
    (f"{HIDDEN_LINE}\nnp.testing.assert_allclose(softmax(np.eye(2)), np.full((2, 2), 0.5), rtol=0, atol=1e-9)",
     WRONG_AXIS, "AssertionError: 4 of 4 values differ from the expected ones (largest difference"),
    (f"{HIDDEN_LINE}\nnp.testing.assert_allclose(softmax(np.zeros((2, 2))), np.zeros(3), err_msg='softmax of zeros')",
     WRONG_AXIS, "AssertionError: softmax of zeros: the shape is (2, 2) but (3,) was expected"),
    (f"{HIDDEN_LINE}\nnp.testing.assert_equal(float(softmax(np.zeros(1))[0] * 2), 3)", WRONG_AXIS,
     "AssertionError: got 2.0, expected 3"),
    (f"{HIDDEN_LINE}\nassert softmax(np.zeros(2))[0] == 0.25", WRONG_AXIS,
     "AssertionError: a check of this test did not hold (the failing check uses your softmax)"),
    (f"{HIDDEN_LINE}\nassert softmax(np.zeros(2))[0] == 0.25, 'softmax of two zeros: expected 0.25 each'",
     WRONG_AXIS, "AssertionError: softmax of two zeros: expected 0.25 each"),
    (f"{HIDDEN_LINE}\nsoftmax(np.zeros(2))", NOT_ANSWERED, "Not answered yet: your code still raises"),
    (f"{HIDDEN_LINE}\nsoftmax(np.zeros(3))", BROKEN, "Your code raised ValueError: matmul"),
    (f"{HIDDEN_LINE}\nprobabilities = softmax(np.zeros(2))\nassert probabilities[0] == 0.5", NOTHING,
     "TypeError while checking your answer: 'NoneType' object is not subscriptable"),
    (f"{HIDDEN_LINE}\nfeed_forward(np.zeros(2))", WRONG_AXIS,
     "NameError: name 'feed_forward' is not defined: the test needs it"),
])
def test_a_failure_is_one_line_in_words_without_the_tests_code(test_source, names, expected):
    names = {name: value for name, value in names.items() if callable(value) and name != "np"}
    error = failure(test_source, names)
    assert error["traceback"][0].startswith(expected), error["traceback"][0]
    assert error["evalue"] == error["traceback"][0]
    assert "expected_secret" not in shown(error) and "0.25, 0.75" not in shown(error)
    assert "ACTUAL" not in shown(error) and "DESIRED" not in shown(error) and "array(" not in shown(error)
    assert "Traceback (most recent call last)" not in shown(error)


def test_the_students_own_lines_are_shown_where_their_code_failed():
    error = failure(f"{HIDDEN_LINE}\nsoftmax(np.zeros(3))", {"softmax": BROKEN["softmax"]})
    assert error["traceback"][1] == "Where it happened:"
    assert "in softmax, line 2 of your code: return np.exp(z) @ np.ones(5)" in error["traceback"][2]
    assert len(error["traceback"]) == 3  # nothing of the test cell or of numpy's internals

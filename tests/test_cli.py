"""A wrong command line gets a message in words and a non-zero exit, never a traceback."""
import subprocess
import sys

import pytest

from autograder.release import COURSE_ROOT, nbgrader_environment


def autograder(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          env=nbgrader_environment(), cwd=COURSE_ROOT, timeout=120)


@pytest.mark.parametrize("args, words", [
    (["grade", "01_gradient_desent", "demo/01_gradient_descent"], "the assignments are: 01_gradient_descent"),
    (["grade", "01_gradient_descent", "/no/such/folder"], "does not exist"),
    (["grade", "01_gradient_descent", "demo", "--course-root", "/no/such/course"], "not a course folder"),
    (["feedback-pdf", "/no/such/feedback"], "not a folder of feedback pages"),
    (["validate", "/no/such/notebook.ipynb"], "not a file"),
    (["handback", "04_digit"], "the assignments are: 01_gradient_descent"),
    (["handback", "01_gradient_descent", "--output", "/no/such/grading"], "has not been graded into"),
    (["formgrader", "/no/such/folder"], "is not a folder"),
    (["formgrader", "source"], "holds no graded class"),
    (["grade"], "required"),
    (["no-such-command"], "invalid choice"),
])
def test_wrong_command_lines_are_explained(args, words):
    result = autograder(*args)
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_help_shows_defaults():
    result = autograder("grade", "--help")
    assert result.returncode == 0
    assert "default: 600" in result.stdout and "--no-sandbox" in result.stdout
    assert "examples:" in result.stdout and "handback" in result.stdout


def test_the_grading_processes_skip_jsonschemas_iri_grammar_and_still_validate_notebooks():
    """autograder/__init__.py blocks rfc3987_syntax (a Lark grammar built on import, about 1 s in every grading
    process); nbformat must still find what is wrong with a broken notebook."""
    code = ("import sys, autograder, nbformat, nbgrader.converters\n"
            "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
            "del nb.cells[0]['outputs']\n"
            "try:\n    nbformat.validate(nb)\nexcept nbformat.ValidationError as error:\n"
            "    print('invalid:', error.message)\n"
            "print('lark' in sys.modules, sys.modules.get('rfc3987_syntax', 'absent'))")
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "invalid: 'outputs' is a required property" in printed, printed
    assert printed.splitlines()[-1] == "False None", printed

"""`python -m autograder validate` tells a student which visible tests pass and that hidden tests come later."""
import subprocess
import sys

import pytest

from autograder.course import load_config
from autograder.validate import HIDDEN_NOTE, report, run_visible_tests
from tests.grading import ROOT

pytestmark = pytest.mark.slow
NOTEBOOK = "03_logic_gates/logic_gates.ipynb"


def test_the_release_fails_every_visible_test_and_lists_the_hidden_ones():
    timeout = load_config(ROOT).ExecutePreprocessor.timeout  # what the command uses by default
    results = run_visible_tests(ROOT / "release" / NOTEBOOK, timeout)
    visible = [r for r in results if not r.hidden]
    hidden = [r for r in results if r.hidden]
    assert visible and not any(r.passed for r in visible)
    assert all("not answered yet" in r.error for r in visible if r.grade_id != "q3_test_visible")
    assert hidden and all("hidden" in r.grade_id for r in hidden)
    text = report(results)
    assert f"0 of {len(visible)} visible tests pass." in text and HIDDEN_NOTE in text
    assert "FAIL  q1_test_visible (1 point)" in text


def test_the_solution_passes_every_test_from_the_command_line():
    result = subprocess.run([sys.executable, "-m", "autograder", "validate", str(ROOT / "solutions" / NOTEBOOK)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and HIDDEN_NOTE in result.stdout
    assert " visible tests pass." in result.stdout

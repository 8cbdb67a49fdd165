"""Check a student's notebook before hand-in: which visible tests pass, and what happens at grading time.

nbgrader's own `validate` lists only the failing cells; students asked for the whole picture. This runs the
notebook the way nbgrader does (a fresh kernel, in the notebook's folder) and reads every autograded test
cell with nbgrader's own grading rule (`nbgrader.utils.determine_grade`).
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader import utils

HIDDEN_NOTE = ("Hidden tests run only when your notebook is graded, on other inputs: passing every visible "
               "test does not guarantee full marks.")


@dataclass
class TestResult:
    grade_id: str
    points: float
    passed: bool
    hidden: bool  # a test cell whose tests are hidden in the student's version (it has no code to run)
    error: str = ""


def _has_code(source):
    return any(line.strip() and not line.strip().startswith("#") for line in source.splitlines())


def _error_of(cell):
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            if output.ename == "NotImplementedError":
                return "not answered yet (the question's cell still raises NotImplementedError)"
            return f"{output.ename}: {output.evalue}"
    return ""


def _points(points):
    return f"{points:g} point" + ("" if points == 1 else "s")


def run_visible_tests(path, timeout):
    """Execute the notebook at `path` (a copy in memory; the file is not changed) -> list of TestResult.
    timeout: seconds a cell may run (the course's ExecutePreprocessor.timeout, see __main__.py)."""
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    log = logging.getLogger(__name__)
    results = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or not utils.is_grade(cell):
            continue
        meta = cell.metadata.nbgrader
        score, max_score = utils.determine_grade(cell, log)
        results.append(TestResult(meta["grade_id"], max_score, score == max_score, not _has_code(cell.source),
                                  _error_of(cell)))
    return results


def report(results):
    """The text a student sees: one line per visible test, then the hidden tests and the rule."""
    visible = [r for r in results if not r.hidden]
    hidden = [r for r in results if r.hidden]
    lines = []
    for result in visible:
        mark = "PASS" if result.passed else "FAIL"
        error = "" if result.passed else "  " + " ".join(result.error.split())[:200]
        lines.append(f"  {mark}  {result.grade_id} ({_points(result.points)}){error}")
    passing = sum(r.passed for r in visible)
    lines.append(f"{passing} of {len(visible)} visible tests pass.")
    if hidden:
        points = sum(r.points for r in hidden)
        names = ", ".join(r.grade_id for r in hidden)
        lines.append(f"{len(hidden)} test cells ({_points(points)}) are hidden: {names}.")
    lines.append(HIDDEN_NOTE)
    return "\n".join(lines)

"""What a broken worker costs: only its own notebook (autograder/cluster.py).

- A task that kills every dask worker it runs on is retried on other workers, then once more alone, then
  reported as having stopped that many workers; the other notebooks, even those dask blamed with it because
  they were on a worker it killed, are graded as usual.
- A grading process that overruns a notebook's deadline is killed and replaced, and the notebook's result
  says so in words.
"""
import os
import time

import pytest
from autograder import cluster
from autograder.options import GradingOptions
from autograder.task import GradingSetup, NotebookResult, NotebookTask

pytestmark = pytest.mark.slow


def dies_on_the_killer(setup, task):
    """A stand-in for grading: the task of student "killer" kills the worker process it runs on."""
    if task.student == "killer":
        os._exit(1)
    time.sleep(0.2)
    return NotebookResult(task.student, task.notebook, task.key, grades=[])


def test_a_notebook_that_kills_its_workers_costs_only_itself():
    setup = GradingSetup("stand-in", {}, GradingOptions(), b"", "stand-in")
    tasks = [NotebookTask(student, "nb", {}, student) for student in ("ada", "killer", "grace", "alan")]
    with cluster.connect(GradingOptions(workers=2)) as client:
        results = {r.student: r for r in cluster.grade_all(client, setup, tasks, on_worker=dies_on_the_killer)}
    assert sorted(results) == ["ada", "alan", "grace", "killer"]
    assert all(results[s].failure is None and results[s].grades == [] for s in ("ada", "alan", "grace"))
    assert results["killer"].grades is None
    assert "stopped 4 grading workers, also when it was graded alone" in results["killer"].failure, \
        results["killer"].failure


def test_a_grading_process_past_its_deadline_is_replaced(tmp_path):
    """A deadline of 0.1 s (the notebook budget minus the margin) is shorter than any grading, even of an
    unreadable notebook on an idle machine: the process is stopped, the result says why, and a fresh process
    takes its place."""
    from autograder.options import WORKER_MARGIN_S
    from autograder.release import nbgrader_path
    from autograder.task import archive
    from tests.fixtures import example_course as example
    example.write_course(tmp_path / "course")
    (tmp_path / "template").mkdir()
    for name in ("source", "nbgrader_config.py"):
        os.rename(tmp_path / "course" / name, tmp_path / "template" / name)
    options = GradingOptions(notebook_timeout=0.1 - WORKER_MARGIN_S, sandbox=False)
    setup = GradingSetup(example.ASSIGNMENT, {}, options, archive(tmp_path / "template"), "deadline")
    with nbgrader_path():  # as grade() runs it: nbgrader finds alembic, and grading gets under way
        process = cluster.GradingProcess(setup)
    try:
        first = process.process.pid
        result = process.grade(NotebookTask("ada", "squares", {"squares.ipynb": b"{}"}, "k"))
        assert result.failure == "grading this notebook took longer than 0.1 s and was stopped"
        assert result.grades is None and process.process.poll() is None and process.process.pid != first
    finally:
        process.stop()

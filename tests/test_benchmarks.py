"""benchmarks/run.py runs end to end and writes its markdown table (a smoke test: no timing is asserted)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_benchmark_runs_and_writes_its_results(tmp_path):
    out = tmp_path / "RESULTS.md"
    run = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", str(ROOT / "benchmarks" / "run.py"),
                          "--quick", "--no-notebooks", "--out", str(out)],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    report = out.read_text()
    assert report.startswith("# Benchmark results, 20")
    assert "| utils.fit (numpy) |" in report and "| scikit-learn sgd, 1 BLAS thread |" in report
    assert "| grid_search_all_at_once |" in report
    # The references that say how far the targets can be reached: the leanest numpy loop, which trains the
    # same network as utils.fit (so the same test accuracies), and the matrix products alone.
    cells = [line.split(" | ") for line in report.splitlines() if line.startswith("| ")]
    rows = {row[0].strip("| "): row for row in cells}
    assert rows["leanest numpy loop (a reference, not course code)"][3] == rows["utils.fit (numpy)"][3]
    assert "matrix products alone (a floor: every numpy training computes them)" in rows
    assert "matrix products alone, same chunks and threads (a floor)" in rows
    assert "the matrix products alone take" in report
    assert "identical accuracies in every cell: yes" in report


@pytest.mark.slow
def test_grading_benchmark_runs_and_reports_phases_and_the_simulated_cluster(tmp_path):
    """benchmarks/grading.py end to end on the tiny example course, classes of 1 and 2 students, 1 round, 2
    simulated sizes."""
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "grading.py"), "--students", "1,2", "--rounds", "1",
                          "--simulate", "1,2"], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = run.stdout
    for label in ("plain nbgrader autograde, serial", "plain nbgrader autograde + generate_feedback / autograder on 2",
                  "autograder on 2 dask workers", "kernel start", "cells",
                  "feedback", "overhead beyond the cells", "import utils", "setup cell"):
        assert label in report, label
    simulated = [line for line in report.splitlines() if "notebooks/min" in line and "of the ideal" in line]
    assert [line.split()[0] for line in simulated] == ["1", "2"]
    assert "estimated from the simulated rates" in report
    # the term from the two classes, for plain nbgrader and the autograder alike
    assert "from the 1- and 2-student classes" in report
    assert "term, plain nbgrader autograde, serial / autograder on 2 dask workers:" in report

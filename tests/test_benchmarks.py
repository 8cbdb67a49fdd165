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
    assert "identical accuracies in every cell: yes" in report

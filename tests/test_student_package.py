"""What students receive (`python3 tasks.py student-package`), and that the course's commands work offline once set up.

- tasks.py's environment: after the first set-up no command installs again (so none needs the network) unless
  pyproject.toml changed; a command that needs an extra that is missing installs only that extra. Checked with
  a fake .venv whose python only logs how it was called.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Settings that make pip fail instead of installing anything: no index, no local wheels, no config file.
OFFLINE = {"PIP_INDEX_URL": "http://127.0.0.1:9/", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "",
           "PIP_CONFIG_FILE": os.devnull, "http_proxy": "http://127.0.0.1:9/", "https_proxy": "http://127.0.0.1:9/"}


@pytest.fixture
def fake_course(tmp_path):
    """A folder with the course's tasks.py and pyproject.toml whose .venv/bin/python and jupyter only write
    their command line to calls.log; returns (folder, tasks(*args) -> the calls it made, one string a call)."""
    for name in ("tasks.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    log = tmp_path / "calls.log"
    for program in ("python", "jupyter"):
        (bin_dir / program).write_text(f'#!/bin/sh\necho "{program} $*" >> "{log}"\n')
        (bin_dir / program).chmod(0o755)

    def tasks(*args):
        log.write_text("")
        result = subprocess.run([sys.executable, str(tmp_path / "tasks.py"), *args], cwd=tmp_path,
                                env=dict(os.environ, **OFFLINE), capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return log.read_text().splitlines()
    return tmp_path, tasks


def pip_calls(calls):
    return [call for call in calls if call.startswith("python -m pip")]


def test_after_set_up_fewer_extras_install_nothing_and_a_missing_extra_only_itself(fake_course):
    folder, tasks = fake_course
    assert pip_calls(tasks("validate", "nb.ipynb")) == ["python -m pip install --quiet -e .[test]"]
    # the benchmark's extra, and nothing else: no reinstall of the project or of pip
    assert pip_calls(tasks("bench")) == ["python -m pip install --quiet torch==2.13.0"]
    for command in (["validate", "nb.ipynb"], ["release"], ["bench"]):
        calls = tasks(*command)
        assert not pip_calls(calls), (command, calls)
        assert calls, f"{command} ran nothing"


def test_a_changed_pyproject_reinstalls_every_extra_installed_so_far(fake_course):
    folder, tasks = fake_course
    tasks("bench")
    (folder / "pyproject.toml").write_text((folder / "pyproject.toml").read_text() + "\n# changed\n")
    assert pip_calls(tasks("validate", "nb.ipynb")) == ["python -m pip install --quiet -e .[bench,test]"]
    assert not pip_calls(tasks("validate", "nb.ipynb"))

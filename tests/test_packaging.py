"""The project's two package lists (pip's pyproject.toml and conda's environment.yml) must agree."""
import os
import re
import sys
import tomllib

import yaml
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# conda-forge spells a few packages differently, or ships them only as system tools.
CONDA_ONLY = {"python", "pip", "pandoc", "poppler"}


def _name_and_spec(requirement):
    # pip's extras ("psycopg[binary]") are pip's alone: conda-forge packages include what they add
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*?)\s*(#.*)?$", requirement)
    name, spec = match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")
    # conda pins an exact version with a single "=", pip with "==".
    return name, re.sub(r"^=(?!=)", "==", spec)


def _pip_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(_name_and_spec(r) for r in requirements)


def _conda_environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _conda_requirements():
    packages = {}
    for item in _conda_environment()["dependencies"]:
        if isinstance(item, str):
            name, spec = _name_and_spec(item)
            if name not in CONDA_ONLY:
                packages[name] = spec
    return packages


def test_environment_yml_lists_the_same_packages_and_versions_as_pyproject():
    assert _conda_requirements() == _pip_requirements()


def test_environment_yml_installs_the_project_itself():
    pip_section = [item["pip"] for item in _conda_environment()["dependencies"] if isinstance(item, dict)]
    assert pip_section == [["-e ."]]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "python3 tasks.py test"
    assert command in readme and command in ci


def test_nbgrader_path_is_put_back(monkeypatch):
    """Grading puts this environment's bin folder first on PATH only while it runs (issue: grade() changed the
    PATH of the whole process)."""
    from autograder.release import nbgrader_path
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    with nbgrader_path():
        assert os.environ["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert os.environ["PATH"] == "/usr/bin:/bin"


def _locked(path):
    """{package: version} of a lock file's pins that apply to this machine (uv writes `name==version ; marker`)."""
    from packaging.markers import Marker
    pins = {}
    for line in (ROOT / path).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)\s*(?:;\s*(.*))?$", line)
        if match and (not match.group(3) or Marker(match.group(3)).evaluate()):
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_the_lock_pins_every_dependency_within_pyproject():
    """requirements.lock (`python3 tasks.py lock`) holds every package of pyproject.toml and its test extra at a
    version pyproject allows; the bench lock holds the same pins and the bench extra's."""
    from packaging.specifiers import SpecifierSet
    lock, bench = _locked("requirements.lock"), _locked("requirements-bench.lock")
    stale = "run python3 tasks.py lock and commit the locks"
    for name, spec in _pip_requirements().items():
        assert name in lock, f"{name} is not in requirements.lock: {stale}"
        assert lock[name] in SpecifierSet(spec), f"{name}=={lock[name]} is outside {spec!r}: {stale}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["optional-dependencies"]["bench"]:
        name, spec = _name_and_spec(requirement)
        assert name in bench and bench[name] in SpecifierSet(spec), f"{name}: {stale}"
    assert {name: version for name, version in bench.items() if name in lock} == lock, stale


def test_this_environment_is_the_lock():
    """tasks.py installs from requirements.lock: every package pinned there is installed at its pin."""
    from importlib.metadata import PackageNotFoundError, version
    wrong = {}
    for name, pinned in _locked("requirements.lock").items():
        try:
            found = version(name)
        except PackageNotFoundError:
            found = None
        if found != pinned:
            wrong[name] = (pinned, found)
    assert not wrong, f"installed versions differ from requirements.lock (pinned, installed): {wrong}"

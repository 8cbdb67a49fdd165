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
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*(#.*)?$", requirement)
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

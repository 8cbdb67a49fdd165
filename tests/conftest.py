"""Shared fixtures: system programs the PDF and browser tests need, the course's Jupyter set-up, PDF reading,
and a tiny nbgrader assignment for tests that must not depend on the real ones."""
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import release
from tests.fixtures import pdf_assignment

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_CONFIG = ROOT / "jupyter"  # the project's Jupyter configuration and nbconvert templates
BIN = Path(sys.executable).parent  # the virtualenv's scripts: jupyter, nbgrader


@pytest.fixture(scope="session")
def require_program():
    """require_program(program, package): fail in CI (CI=true), skip elsewhere, when `program` is missing."""
    def require(program, package):
        path = shutil.which(program)
        if path:
            return path
        reason = f"{program} not found: install the system package {package} (README, 'System packages')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return require


@pytest.fixture(scope="session")
def jupyter_env(tmp_path_factory):
    """Environment for jupyter commands: the project's Jupyter config, nothing from the user's home."""
    home = tmp_path_factory.mktemp("jupyter-home")
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(JUPYTER_CONFIG), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    for name, folder in [("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
                         ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"), ("IPYTHONDIR", "ipython")]:
        env[name] = str(home / folder)
    return env


@dataclass
class PdfFacts:
    """What a reader finds in a PDF: its text (Unicode-normalised), its embedded images, text past the edge."""
    text: str
    images: int
    words_off_page: list


def _read_pdf(path):
    """Read a PDF with poppler: text, number of embedded images, words beyond the right page edge."""
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    # NFKC maps the math-italic letters of typeset formulas (U+1D702) to plain Greek (η).
    text = unicodedata.normalize("NFKC", text)
    listing = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True).stdout
    images = sum(1 for line in listing.splitlines()[2:] if line.split()[2] == "image")
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True).stdout
    off_page = []
    for page_width, page in re.findall(r'<page width="([\d.]+)"[^>]*>(.*?)</page>', bbox, flags=re.S):
        for x_max, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>(.*?)</word>', page):
            if float(x_max) > float(page_width):
                off_page.append(word)
    return PdfFacts(text, images, off_page)


def squeeze(text):
    """Text without whitespace or the marks a wrapped code line gets (↪, ␣): to find a line however it wraps."""
    return re.sub(r"[\s↪␣]", "", text)


def expected_content(nb):
    """What a reader must find in any PDF of notebook nb: its first heading, the Greek letters of its Markdown,
    the end of its longest code line, and the number of images among its outputs."""
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    heading = re.search(r"^#+\s+(.+)$", markdown, flags=re.M).group(1).strip()
    greek = sorted({ch for ch in unicodedata.normalize("NFKC", markdown) if "α" <= ch <= "ω"} | {"∂"} & set(markdown))
    code_lines = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()]
    images = sum(1 for c in nb.cells if c.cell_type == "code" for out in c.get("outputs", [])
                 if "image/png" in out.get("data", {}))
    return heading, greek, max(code_lines, key=len), images


def assert_readable(facts, nb):
    """The PDF facts (read_pdf) show notebook nb's heading, Greek letters, typeset math, plots and
    the whole of its longest code line."""
    heading, greek, longest, images = expected_content(nb)
    assert squeeze(heading) in squeeze(facts.text), f"heading {heading!r} missing"
    missing = [ch for ch in greek if ch not in facts.text]
    assert not missing, f"Greek letters missing from the PDF: {missing}"
    for raw in ("\\frac", "\\eta", "\\lambda", "$$"):
        assert raw not in facts.text, f"untypeset math {raw!r} in the PDF"
    assert facts.images >= images, f"{images} plots in the notebook, {facts.images} images in the PDF"
    assert squeeze(longest)[-25:] in squeeze(facts.text), f"end of the long line {longest!r} cut off"
    assert not facts.words_off_page, f"text beyond the page edge: {facts.words_off_page[:5]}"


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory):
    """A temporary copy of the course (config, source, release, solutions) that a test module may change."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("source", "release", "solutions"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, course / folder,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return course


def _nbgrader(course, *args):
    """Run an nbgrader command in the course folder; fail with its output if it fails."""
    return release.nbgrader(*args, course_root=course)


@pytest.fixture(scope="session")
def read_pdf():
    """read_pdf(path) -> PdfFacts."""
    return _read_pdf


@pytest.fixture(scope="session")
def write_demo_assignment():
    """write_demo_assignment(course_root, name="00_demo") -> path of the source notebook."""
    return pdf_assignment.write


@pytest.fixture(scope="session")
def nbgrader():
    """nbgrader(course, *args): run an nbgrader command in a course folder, fail with its output."""
    return _nbgrader


@pytest.fixture(scope="session")
def assert_readable_pdf():
    """assert_readable_pdf(facts, nb): the PDF shows nb's heading, Greek letters, typeset math, plots, long lines."""
    return assert_readable

"""The PDF's first page and paper: the notebook's own title, the student's name under it, A4 or US Letter.

- Title: the notebook's metadata `title` if it has one, else its first Markdown heading ("# Assignment 1:
  Gradient descent"), which is then taken out of the text below so that it is not printed twice. Without
  either, nbconvert's template uses the file name.
- Name: `author` when it is set (`python3 tasks.py pdf NB --name "Ada Lovelace"`, or COURSE_PDF_NAME, see
  jupyter_nbconvert_config.py), else the notebook's metadata `authors`, nbconvert's standard field:
  [{"name": "Ada Lovelace"}], which JupyterLab's Property Inspector edits (Advanced Tools, Notebook metadata).
- Paper: `paper`, "a4" (the default) or "letter", handed to the template as resources["paper"].
"""
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import CaselessStrEnum, Unicode

HEADING = re.compile(r"^\s*#{1,6}\s+(?P<title>.+?)(\s+#+)?\s*$", flags=re.M)
PAPERS = {"a4": "a4paper", "letter": "letterpaper"}  # LaTeX's names


class PageSetup(Preprocessor):
    """Put the title and the student's name in the notebook's metadata and the paper size in the resources."""

    author = Unicode(None, allow_none=True, help="The student's name under the title; when set, it replaces "
                                                 "the notebook's metadata authors.").tag(config=True)
    paper = CaselessStrEnum(list(PAPERS), default_value="a4", help="a4 or letter").tag(config=True)

    def preprocess(self, nb, resources):
        if not nb.metadata.get("title"):
            self.take_title(nb)
        if self.author:
            nb.metadata["authors"] = [{"name": self.author}]
        resources["paper"] = PAPERS[self.paper.lower()]
        return nb, resources

    def take_title(self, nb):
        """The first Markdown heading becomes the title; if it opens the notebook, it leaves the text."""
        markdown = [cell for cell in nb.cells if cell.cell_type == "markdown" and cell.source.strip()]
        for index, cell in enumerate(markdown):
            heading = HEADING.search(cell.source)
            if heading is None:
                continue
            nb.metadata["title"] = heading["title"]
            if index == 0 and not cell.source[:heading.start()].strip():
                cell.source = cell.source[heading.end():].lstrip("\n")
            return

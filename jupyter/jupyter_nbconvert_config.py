"""nbconvert settings of the course: used by `jupyter nbconvert` and by JupyterLab's export menu.

Jupyter reads this folder when JUPYTER_CONFIG_PATH points at it (`python3 tasks.py lab` and `pdf` set it).
- PDF (`--to pdf`, menu "PDF"): xelatex with the template in nbconvert/templates/course_latex, whose fonts
  have Greek letters (η, λ, ∂), with ragged-right text and unnumbered headings. Two preprocessors of
  nbconvert/course_pdf run first:
  - ProgressBars: tqdm's progress bars show how they ended ("epochs: 100%|██████████| 100/100"), from the
    widget state saved in the notebook, instead of the frozen "0%" of their text; bars without a saved state
    (JupyterLab saves it only with "Save Widget State Automatically" on) and bars tqdm hid are left out.
  - PageSetup: the title is the notebook's first heading (or its metadata "title"); the student's name goes
    under it, from the notebook's metadata "authors" ([{"name": "Ada Lovelace"}], editable in JupyterLab:
    Property Inspector, Advanced Tools, Notebook metadata), or from the environment variable COURSE_PDF_NAME or
    `python3 tasks.py pdf NB --name "Ada Lovelace"`, either of which replaces the metadata. The paper is A4;
    COURSE_PDF_PAPER=letter or `python3 tasks.py pdf NB --paper letter` gives US Letter. For the export
    menu, set the variables before starting JupyterLab: `COURSE_PDF_PAPER=letter python3 tasks.py lab`.
- HTML (`--to html`, menu "HTML"): MathJax from the jupyter-server-mathjax package, not from the
  internet, so equations render offline on this computer.
"""
import os
import sys
from pathlib import Path

import jupyter_server_mathjax

c = get_config()  # noqa: F821 (Jupyter provides get_config)

HERE = os.path.dirname(os.path.abspath(__file__))
NBCONVERT = os.path.join(HERE, "nbconvert")

c.TemplateExporter.extra_template_basedirs = [os.path.join(NBCONVERT, "templates")]
c.LatexExporter.template_name = "course_latex"  # PDFExporter inherits it

# The preprocessors live beside the template; JupyterLab's server reads this file too, so they are found there.
if NBCONVERT not in sys.path:
    sys.path.append(NBCONVERT)
c.LatexExporter.preprocessors = ["course_pdf.ProgressBars", "course_pdf.PageSetup"]
c.PageSetup.paper = os.environ.get("COURSE_PDF_PAPER", "a4")
if os.environ.get("COURSE_PDF_NAME"):
    c.PageSetup.author = os.environ["COURSE_PDF_NAME"]

MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static" / "MathJax.js"
c.HTMLExporter.mathjax_url = MATHJAX.as_uri() + "?config=TeX-AMS-MML_HTMLorMML-full,Safe"

# Hide the export formats that need a browser or Qt of their own, which an offline set-up cannot download:
# "PDF" above gives the same document.
c.WebPDFExporter.enabled = False
c.QtPDFExporter.enabled = False
c.QtPNGExporter.enabled = False

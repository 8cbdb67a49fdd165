"""nbconvert settings of the course: used by `jupyter nbconvert` and by JupyterLab's export menu.

Jupyter reads this folder when JUPYTER_CONFIG_PATH points at it (`python3 tasks.py lab` sets it).
- PDF (`--to pdf`, menu "PDF"): xelatex with the template in nbconvert/templates/course_latex, whose fonts
  have Greek letters (η, λ, ∂).
- HTML (`--to html`, menu "HTML"): MathJax from the jupyter-server-mathjax package, not from the
  internet, so equations render offline on this computer.
"""
import os
from pathlib import Path

import jupyter_server_mathjax

c = get_config()  # noqa: F821 (Jupyter provides get_config)

HERE = os.path.dirname(os.path.abspath(__file__))

c.TemplateExporter.extra_template_basedirs = [os.path.join(HERE, "nbconvert", "templates")]
c.LatexExporter.template_name = "course_latex"  # PDFExporter inherits it

MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static" / "MathJax.js"
c.HTMLExporter.mathjax_url = MATHJAX.as_uri() + "?config=TeX-AMS-MML_HTMLorMML-full,Safe"

# Hide the export formats that need a browser or Qt of their own, which an offline set-up cannot download:
# "PDF" above gives the same document.
c.WebPDFExporter.enabled = False
c.QtPDFExporter.enabled = False
c.QtPNGExporter.enabled = False

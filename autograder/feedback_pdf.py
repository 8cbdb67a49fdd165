"""Turn nbgrader's feedback HTML into PDFs for marking and archiving: offline, with the math typeset.

    feedback/<student>/<assignment>/<notebook>.html  ->  <out_dir>/<student>/<assignment>/<notebook>.pdf

nbgrader's feedback pages load MathJax from the internet. Here each page is copied with MathJax pointed at
the copy installed with the jupyter-server-mathjax package, then headless Chromium prints it
(`--print-to-pdf`). Chromium is a system package (Debian: chromium; conda-forge: none, use the system's).
"""
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import jupyter_server_mathjax

from autograder.feedback import MATHJAX_FOLDER

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-pdf-header-footer",
    # Offline: no background connections (update checks, sync) that a closed network refuses.
    "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Virtual time runs MathJax's timers to completion before the page is printed.
    "--virtual-time-budget=10000",
]
MATHJAX_JS = Path(jupyter_server_mathjax.__file__).parent / "static" / "MathJax.js"

# jupyter-server-mathjax ships MathJax 2 with the STIX-Web fonts only (not MathJax's default TeX fonts).
OFFLINE_HEAD = f"""
<script type="text/x-mathjax-config">
MathJax.Hub.Config({{"HTML-CSS": {{availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
                                  linebreaks: {{automatic: true}}}}}});
</script>
<script src="{MATHJAX_JS.as_uri()}?config=TeX-AMS-MML_HTMLorMML-full,Safe"></script>
<style>
/* A4; code in a size at which the course's lines fit, wrapped between words when one does not; the page no
   wider than the paper. */
@page {{ size: A4; margin: 12mm; }}
@media print {{
  pre {{ white-space: pre-wrap !important; word-break: normal !important; overflow-wrap: break-word !important;
         font-size: 10px !important; }}
  div#notebook-container, .container {{ width: auto !important; max-width: 100% !important; box-shadow: none; }}
}}
</style>
"""

# scripts from the internet (MathJax, require.js) and the page's own MathJax, replaced by this computer's
REMOTE_SCRIPT = re.compile(r'<script[^>]*\ssrc="(?:(?:https?:)?//|[^"]*MathJax\.js)[^"]*"[^>]*>\s*</script>',
                           re.IGNORECASE)


def find_chromium():
    """Path of a Chromium or Chrome executable; raises FileNotFoundError naming the package to install."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError("Chromium not found: install it (Debian/Ubuntu: apt-get install chromium)")


def offline_html(html, base_dir):
    """The feedback page `html` (a string) made to work offline: remote scripts (MathJax, require.js) removed,
    the local MathJax added; `base_dir` is the folder relative links of the page point into."""
    html = REMOTE_SCRIPT.sub("", html)
    base = f'<base href="{Path(base_dir).resolve().as_uri()}/">'
    head = re.search(r"<head[^>]*>", html, flags=re.IGNORECASE)
    at = head.end() if head else 0
    return html[:at] + base + OFFLINE_HEAD + html[at:]


def html_to_pdf(html_path, pdf_path, chromium=None):
    """Print one HTML page to a PDF with headless Chromium, MathJax from this computer."""
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="feedback-pdf-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(offline_html(html_path.read_text(encoding="utf-8"), html_path.parent), encoding="utf-8")
        command = [chromium or find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
                   f"--print-to-pdf={pdf_path.resolve()}", page.as_uri()]
        # Chromium writes harmless complaints (no D-Bus, no GPU) to stderr: keep them for errors only.
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or not pdf_path.is_file():
        raise RuntimeError(f"Chromium could not print {html_path}:\n{result.stderr[-2000:]}")
    return pdf_path


def feedback_to_pdf(feedback_dir, out_dir, chromium=None):
    """Print every feedback page under feedback_dir (e.g. feedback/<student>/<assignment>/*.html) to a PDF at
    the same relative place under out_dir. Returns the list of PDF paths written, in sorted order."""
    feedback_dir, out_dir = Path(feedback_dir), Path(out_dir)
    chromium = chromium or find_chromium()
    written = []
    for html_path in sorted(feedback_dir.rglob("*.html")):
        relative = html_path.relative_to(feedback_dir)
        if any(part.startswith(".") for part in relative.parts) or relative.parts[0] == MATHJAX_FOLDER:
            continue  # .ipynb_checkpoints and the like; the pages' copy of MathJax
        written.append(html_to_pdf(html_path, out_dir / relative.with_suffix(".pdf"), chromium))
    return written


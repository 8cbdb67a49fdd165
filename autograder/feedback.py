"""What students get back: nbgrader's feedback pages, without the hidden tests and with the math typeset offline.

nbgrader's GenerateFeedback renders the graded notebook with the scores from the gradebook. Around it:
- HideHiddenTests: a hidden test appears by its name, its purpose (the comment above its hidden region), its
  result and points, and the message in words the judge wrote when it failed (judge.explain); never its code,
  so handing back feedback does not hand out the tests and the reference code inside them (nbgrader issues
  917, 1363).
- DropGradingNotes: the model answers and mark schemes put into the graded notebook for formgrader
  (grading_notes.py) are taken out again.
- MarkPending: a written answer no person has graded yet says so, instead of looking like a 0.
- MathJax comes from a copy in the feedback folder (templates/feedback/base/mathjax.html.j2, copy_mathjax), not from
  the internet.

feedback_config(config) puts all of this into an nbgrader configuration; the grading workers and the
hand-back (handback.py) both use it, so a page looks the same whether it was made at grading time or after
hand-grading.
"""
import re
import shutil
from pathlib import Path

import jinja2
import jupyter_server_mathjax
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from nbgrader.server_extensions.formgrader.handlers import template_path as NBGRADER_TEMPLATES

TEMPLATES = Path(__file__).resolve().parent / "templates" / "feedback"  # base/mathjax.html.j2: offline MathJax
MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"
MATHJAX_FOLDER = "mathjax"  # beside the students' folders in feedback/; the pages load ../mathjax/MathJax.js
GRADING_NOTES = "grading_notes"  # metadata flag ("autograder" -> GRADING_NOTES) of the cells for graders
PENDING_NOTE = ("Not graded yet: a person will grade this answer; it counts 0 points until then, and "
                "this page will be handed back again with the grade.")


class CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept for the life of the process (jinja's own bytecode-cache interface).
    nbgrader's GenerateFeedback makes a new exporter, and with it a new template environment, for every page;
    compiling nbgrader's feedback template again costs about 0.14 s a page. A changed template file has
    another checksum, and jinja compiles it again."""

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTMLExporter, its templates compiled once per process (CompiledTemplates)."""

    @property
    def environment(self):
        environment = super().environment
        environment.bytecode_cache = COMPILED_TEMPLATES
        return environment


def feedback_config(config):
    """Set the course's feedback pipeline in an nbgrader traitlets Config (changed in place and returned)."""
    config.GenerateFeedback.preprocessors = [GetGrades, MarkPending, DropGradingNotes, HideHiddenTests,
                                             CSSHTMLHeaderPreprocessor]
    config.GenerateFeedback.exporter_class = FeedbackExporter
    # nbgrader's feedback template, with the course's mathjax.html.j2 found before nbconvert's own
    config.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), NBGRADER_TEMPLATES]
    return config


def copy_mathjax(feedback_dir):
    """Put MathJax (about 12 MB, from jupyter-server-mathjax) into feedback_dir/mathjax once."""
    target = Path(feedback_dir) / MATHJAX_FOLDER
    if not (target / "MathJax.js").exists():
        shutil.copytree(MATHJAX, target, dirs_exist_ok=True)
    return target


def hidden_region(config=None):
    """A regular expression for a test cell's hidden region, with nbgrader's own (configurable) delimiters."""
    delimiters = ClearHiddenTests(config=config)
    begin, end = delimiters.begin_test_delimeter, delimiters.end_test_delimeter
    return re.compile(rf"^[ \t]*###?\s*{re.escape(begin)}.*?^[ \t]*###?\s*{re.escape(end)}[^\n]*\n?",
                      re.MULTILINE | re.DOTALL | re.IGNORECASE)


class HideHiddenTests(NbGraderPreprocessor):
    """A test cell's hidden region becomes a line with the test's name, result and points. What the cell says
    before the region (the test's purpose, as a comment) stays, and so does its output: nothing, or the
    judge's message in words when it failed."""

    def preprocess_cell(self, cell, resources, index):
        if utils.is_grade(cell) and not utils.is_solution(cell) and cell.cell_type == "code":
            pattern = hidden_region(self.config)
            if pattern.search(cell.source):
                cell.source = pattern.sub(lambda _: self._result_line(cell), cell.source, count=1)
                cell.source = pattern.sub("", cell.source)
        return cell, resources

    @staticmethod
    def _result_line(cell):
        meta = cell.metadata.nbgrader
        score, points = meta.get("score"), meta.get("points", 0)
        failed = any(output.output_type == "error" for output in cell.get("outputs", []))
        result = "failed, see below" if failed else "passed"
        unit = "point" if points == 1 else "points"
        scored = f"{score:g} of {points:g} {unit}" if score is not None else f"{points:g} {unit}"
        return (f"# Hidden test {meta['grade_id']}: {result} ({scored}). It ran when your notebook was graded; "
                "its code is not shown.\n")


class DropGradingNotes(NbGraderPreprocessor):
    """Take out the cells written for graders only (the model answer and mark scheme, grading_notes.py)."""

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not is_grading_note(cell)]
        return nb, resources


def is_grading_note(cell):
    return bool(cell.metadata.get("autograder", {}).get(GRADING_NOTES))


class MarkPending(NbGraderPreprocessor):
    """A written answer that still needs a person's grade says so in its comment (after GetGrades)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            for cell in nb.cells:
                if utils.is_grade(cell) and utils.is_solution(cell):
                    grade = gb.find_grade(cell.metadata.nbgrader["grade_id"], info["notebook"],
                                          info["assignment"], info["student"])
                    if grade.needs_manual_grade:
                        comment = cell.metadata.nbgrader.get("comment") or ""
                        cell.metadata.nbgrader["comment"] = PENDING_NOTE + (f"\n\n{comment}" if comment else "")
        return nb, resources

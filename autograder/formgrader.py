"""Grade written answers by hand: nbgrader's formgrader on a folder the autograder graded into.

    python -m autograder formgrader                 # the course root (grading's default output)
    python -m autograder formgrader build/demo      # the demo class
    python -m autograder formgrader graded/ --db postgresql://grader@db-host/course   # a shared gradebook

Formgrader reads nbgrader_config.py from the folder JupyterLab starts in: the gradebook and autograded/ must
be there. For a folder other than the course root (grade --output, the demo), this writes a small
nbgrader_config.py into it that loads the course's and points nbgrader at that folder's gradebook, with the
course's source/ and release/. Then it starts JupyterLab there with the course's Jupyter settings (jupyter/)
and opens formgrader. Each written answer is followed by the model answer and mark scheme (grading_notes.py);
after grading, hand back with `python -m autograder handback ASSIGNMENT`.
"""
import os
import subprocess
import sys
from pathlib import Path

from nbgrader.server_extensions.formgrader.handlers import template_path as NBGRADER_TEMPLATES

from autograder.course import with_driver, without_password

SERVED_TEMPLATES = Path(__file__).resolve().parent / "templates" / "served"  # formgrade/mathjax.html.j2


def typeset_math_offline(config):
    """Make formgrader load MathJax from the Jupyter server (jupyter-server-mathjax), not from the internet:
    for nbgrader's formgrade template the course's mathjax.html.j2 is found before nbconvert's own; nbgrader's
    templates stay where they were. Called from nbgrader_config.py."""
    config.HTMLExporter.extra_template_basedirs = [str(SERVED_TEMPLATES), NBGRADER_TEMPLATES]


CONFIG = '''"""Written by `python -m autograder formgrader`: nbgrader's settings for grading by hand in this folder.
The course's settings, with this folder's gradebook and graded notebooks and the course's assignments."""
import os

from autograder.formgrader import typeset_math_offline

c = get_config()  # noqa: F821 (nbgrader provides get_config)
load_subconfig({course_config!r})  # noqa: F821
HERE = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = HERE
c.CourseDirectory.db_url = {db_url}
c.CourseDirectory.source_directory = {source!r}
c.CourseDirectory.release_directory = {release!r}
c.CourseDirectory.solution_directory = {solutions!r}
typeset_math_offline(c)
'''


def prepare(folder, course_root, db_url=None):
    """Make `folder` a place formgrader can start in; returns it resolved. db_url: a gradebook database
    (grade --db) instead of the folder's gradebook.db. Raises FileNotFoundError, in words, when nothing was
    graded there, and ValueError when a database is asked for on the course root (set db_url in its
    nbgrader_config.py instead)."""
    folder, course_root = Path(folder).resolve(), Path(course_root).resolve()
    if not (db_url or (folder / "gradebook.db").exists()) or not (folder / "autograded").is_dir():
        raise FileNotFoundError(f"{folder} holds no graded class (no gradebook.db and autograded/ folder); "
                                "grade one first with `python -m autograder grade` or `python3 tasks.py demo`")
    if folder == course_root and db_url:
        raise ValueError("on the course root, formgrader uses the db_url of its nbgrader_config.py: set it to "
                         "the database there (c.CourseDirectory.db_url = 'postgresql+psycopg://...')")
    if folder != course_root:
        relative = {name: os.path.relpath(course_root / name, folder) for name in ("source", "release", "solutions")}
        where = repr(without_password(with_driver(db_url))) if db_url else \
            '"sqlite:///" + os.path.join(HERE, "gradebook.db")'
        (folder / "nbgrader_config.py").write_text(CONFIG.format(
            course_config=str(course_root / "nbgrader_config.py"), db_url=where, **relative))
    return folder


def lab_command(folder, *extra):
    """The command line that starts JupyterLab in folder with formgrader open."""
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [str(Path(sys.executable).parent / "jupyter"), "lab", *as_root, f"--ServerApp.root_dir={folder}",
            "--ServerApp.default_url=/formgrader", *extra]


def lab_environment(course_root):
    """The environment JupyterLab runs in: the course's Jupyter settings (jupyter/) and its environment's bin."""
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(Path(course_root).resolve() / "jupyter"))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run(folder, course_root, extra=(), db_url=None):
    """Start JupyterLab on a graded folder (until it is stopped); returns its exit status."""
    folder = prepare(folder, course_root, db_url)
    print(f"Formgrader on {folder}: grade the written answers, then "
          "`python -m autograder handback ASSIGNMENT` hands back feedback and grades.", flush=True)
    return subprocess.run(lab_command(folder, *extra), cwd=folder, env=lab_environment(course_root)).returncode

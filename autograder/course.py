"""What the autograder needs to know about a course: its nbgrader configuration and an assignment's questions.

A course root holds nbgrader_config.py and source/<assignment>/*.ipynb. Every nbgrader cell has a grade_id of
the form q<N>[letter]_<name>; the text before the first underscore is the question id ("q3b_written" -> "q3b").
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from traitlets.config import Config, PyFileConfigLoader


def load_config(course_root):
    """The course's nbgrader configuration (nbgrader_config.py in course_root) as a traitlets Config."""
    course_root = Path(course_root).resolve()
    config = Config()
    config_file = course_root / "nbgrader_config.py"
    if config_file.exists():
        config.merge(PyFileConfigLoader(config_file.name, path=str(course_root)).load_config())
    config.CourseDirectory.root = str(course_root)
    return config


def gradebook_url(config, course_root, gradebook=None):
    """The gradebook's SQLAlchemy URL: a file or a database URL given on the command line (--gradebook,
    --db), else the course's db_url. PostgreSQL URLs are read with psycopg 3 (with_driver)."""
    if gradebook and "://" in str(gradebook):
        return with_driver(str(gradebook))
    if gradebook:
        return f"sqlite:///{Path(gradebook).resolve()}"
    return with_driver(config.CourseDirectory.get("db_url", f"sqlite:///{Path(course_root).resolve() / 'gradebook.db'}"))


def with_driver(url):
    """url with psycopg 3 as its PostgreSQL driver: SQLAlchemy would take psycopg2 for postgresql://."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def without_password(url):
    """A database URL safe to write into a report: its password left out (libpq finds it in PGPASSWORD or
    ~/.pgpass when the URL is used again)."""
    if "://" not in str(url):
        return str(url)
    from sqlalchemy.engine import make_url
    return make_url(str(url)).set(password=None).render_as_string(hide_password=False)


def nbgrader_metadata(cell):
    """A cell's nbgrader metadata, {} for a cell nbgrader does not know: the one way the course reads it
    (nbgrader.utils.is_grade, is_solution and is_locked answer the yes-or-no questions)."""
    return cell.metadata.get("nbgrader", {})


def grade_id(cell):
    """A cell's grade_id, or None."""
    return nbgrader_metadata(cell).get("grade_id")


def question_id(grade_id):
    """The question a cell belongs to: the grade_id up to its first underscore ("q1_test_hidden" -> "q1")."""
    return grade_id.split("_", 1)[0]


@dataclass
class Assignment:
    """An assignment's notebooks and its graded cells, read from the source notebooks.

    notebooks: notebook names without .ipynb, in order.
    graded: {notebook: [(grade_id, points, autograded), ...]} for every grade cell, in notebook order;
        autograded is False for written answers graded by hand.
    """
    name: str
    source_dir: Path
    notebooks: list = field(default_factory=list)
    graded: dict = field(default_factory=dict)

    @classmethod
    def read(cls, course_root, name):
        source_dir = Path(course_root).resolve() / "source" / name
        paths = sorted(source_dir.glob("*.ipynb"))
        if not paths:
            raise FileNotFoundError(f"no notebooks in {source_dir}")
        assignment = cls(name, source_dir)
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            cells = []
            for cell in nb.cells:
                meta = nbgrader_metadata(cell)
                if meta.get("grade"):
                    cells.append((meta["grade_id"], float(meta["points"]), not meta.get("solution", False)))
            assignment.notebooks.append(path.stem)
            assignment.graded[path.stem] = cells
        return assignment

    @property
    def questions(self):
        """Question ids in question order, e.g. ["q1", "q2", "q3a", "q3b"] (q10 after q9)."""
        found = {question_id(grade_id) for cells in self.graded.values() for grade_id, _, _ in cells}

        def order(question):
            match = re.fullmatch(r"q(\d+)(.*)", question)
            return (0, int(match.group(1)), match.group(2)) if match else (1, 0, question)
        return sorted(found, key=order)

    def max_points(self):
        """{question: points} summed over the question's grade cells (tests and written answers)."""
        points = dict.fromkeys(self.questions, 0.0)
        for cells in self.graded.values():
            for grade_id, cell_points, _ in cells:
                points[question_id(grade_id)] += cell_points
        return points

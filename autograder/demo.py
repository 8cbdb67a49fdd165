"""The course's main job: grade a demo class of example submissions, kept in demo/, with the real assignments.

    python -m autograder demo               release/ and solutions/, then grade demo/<assignment>/ for each
    python -m autograder demo --regenerate  first rewrite demo/ from source/ and release/ (after they change)

demo/<assignment>/<student>/<notebook>.ipynb is a folder of per-student folders, one of the forms
`python -m autograder grade` accepts. Every assignment has the students full-marks, empty and partial
(the questions up to the middle coded one answered). The first assignment also has the broken submissions
a real class hands in: infinite-loop, kernel-exit (os._exit), invalid-json, deleted-tests, edited-tests,
stripped-metadata, warnings and huge-output. Everything is derived from source/ and release/ by
`build_class` (see derive.py), so the files are regenerated, never edited by hand.

The grading goes to build/demo/ (its own gradebook, submitted/, autograded/, reports/), never to the course's
gradebook.
"""
import math
import shutil
from pathlib import Path

import nbformat

from autograder import derive, release
from autograder.course import Assignment
from autograder.options import GradingOptions
from autograder.release import COURSE_ROOT

DEMO_DIR = COURSE_ROOT / "demo"
DEMO_TIMEOUT = 30  # seconds per cell: enough for every solution cell, short enough for the infinite loop

NOISY = """import sys
_{name}_quietly = {name}


def {name}(*args, **kwargs):
    # like a noisy library: every call, the tests' included, writes a warning to stderr
    print("RuntimeWarning: overflow encountered in exp", file=sys.stderr)
    return _{name}_quietly(*args, **kwargs)"""


def build_class(release_nbs, source_nbs, broken):
    """{student: {notebook name: notebook, or text for a file that is not valid JSON}}.

    release_nbs, source_nbs: {notebook name: notebook}. broken: also make the broken submissions.
    """
    names = list(release_nbs)
    full = {n: derive.answered(release_nbs[n], source_nbs[n]) for n in names}
    asked = [q for n in names for q in derive.questions(release_nbs[n])]
    coded = [q for n in names for q in derive.questions(release_nbs[n]) if _has_code_answer(release_nbs[n], q)]
    # up to the middle coded question, with the written answers before it
    first_half = asked[:asked.index(coded[math.ceil(len(coded) / 2) - 1]) + 1] if coded else asked
    students = {
        "full-marks": full,
        "empty": dict(release_nbs),
        "partial": {n: derive.answered(release_nbs[n], source_nbs[n], only=first_half) for n in names},
    }
    if not broken:
        return students
    main = names[0]
    coded = [q for q in derive.questions(release_nbs[main]) if _has_code_answer(release_nbs[main], q)]
    first, last = coded[0], coded[-1]
    tests = [i for q in coded for i in derive.test_cell_ids(release_nbs[main], q)]
    partial = students["partial"][main]

    def variant(nb):
        return {**full, main: nb}

    students.update({
        "infinite-loop": variant(derive.with_code(full[main], last, "while True:  # waits for ever\n    pass")),
        "kernel-exit": variant(derive.with_code(full[main], last, "import os\nos._exit(1)")),
        "invalid-json": variant(derive.truncated_json(full[main])),
        "deleted-tests": variant(derive.without_cells(full[main], derive.test_cell_ids(full[main], first))),
        "edited-tests": {**students["partial"], main: _edited(partial, tests)},
        "stripped-metadata": variant(derive.without_metadata(full[main])),
        "warnings": variant(derive.with_code(full[main], first, NOISY.format(
            name=derive.defined_function(full[main], first)), at_end=True)),
        "huge-output": variant(derive.with_code(full[main], first, "print('x' * 30_000_000)", at_end=True)),
    })
    return students


def _has_code_answer(nb, question):
    try:
        derive.first_cell(nb, question)
        return True
    except KeyError:
        return False


def _edited(nb, test_ids):
    """Every test cell replaced by `pass`: a student trying to make the tests pass without answering."""
    for test_id in test_ids:
        nb = derive.with_cell_source(nb, test_id, "pass")
    return nb


def assignments_with_release(course_root=COURSE_ROOT):
    """Assignments whose source notebooks exist, in order."""
    return [name for name in release.assignments(course_root)
            if list((Path(course_root) / "source" / name).glob("*.ipynb"))]


def write_class(assignment, target, broken, course_root=COURSE_ROOT):
    """Write the demo class of one assignment into target/<student>/ from release/ and source/."""
    course_root = Path(course_root)
    names = Assignment.read(course_root, assignment).notebooks
    def read(folder):
        return {n: nbformat.read(course_root / folder / assignment / f"{n}.ipynb", as_version=4) for n in names}

    students = build_class(read("release"), read("source"), broken)
    shutil.rmtree(target, ignore_errors=True)
    for student, notebooks in students.items():
        folder = Path(target) / student
        folder.mkdir(parents=True)
        for name, nb in notebooks.items():
            if isinstance(nb, str):
                (folder / f"{name}.ipynb").write_text(nb)
            else:
                nbformat.write(nb, folder / f"{name}.ipynb")


def regenerate(course_root=COURSE_ROOT):
    """Rewrite demo/ from release/ and source/ (the first assignment gets the broken submissions)."""
    names = assignments_with_release(course_root)
    for index, name in enumerate(names):
        write_class(name, Path(course_root) / "demo" / name, broken=index == 0, course_root=course_root)
    return names


def run(regenerate_class=False, skip_release=False, options=GradingOptions(cell_timeout=DEMO_TIMEOUT), progress=True,
        course_root=COURSE_ROOT):
    """Build release/ and solutions/, grade every demo class, print the grade tables and where reports are."""
    from autograder.grade import grade
    from autograder.reports import format_table

    course_root = Path(course_root)
    build = course_root / "build" / "demo"
    names = assignments_with_release(course_root)
    if not skip_release:
        print("Building release/ and solutions/ with nbgrader ...", flush=True)
        for name in names:
            try:
                release.generate([name], course_root=course_root)
            except RuntimeError as error:  # one broken assignment must not stop the demo of the others
                print(f"{name}: release failed, using release/{name} as it is\n{str(error)[-2000:]}")
    if regenerate_class:
        regenerate(course_root)
    shutil.rmtree(build, ignore_errors=True)
    graded = []
    for name in names:
        if not (course_root / "demo" / name).is_dir():
            print(f"No demo class for {name} (run: python -m autograder demo --regenerate)")
            continue
        result = grade(name, course_root / "demo" / name, course_root=course_root, gradebook=build / "gradebook.db",
                       output=build, options=options, progress=progress)
        print(f"\n{name}\n{format_table(result.assignment, result.table)}\n", flush=True)
        print((result.reports_dir / "status.txt").read_text(), flush=True)
        graded.append(result.reports_dir)
    print("Reports (grades.csv, status.txt, feedback/; summary.md with the item analysis, item_analysis.png, "
          "score_distribution.png; similarity.md and similarity.html, pairs for a person to judge):")
    for folder in graded:
        print(f"  {folder.relative_to(course_root)}")
    print(f"Gradebook: {(build / 'gradebook.db').relative_to(course_root)}")
    print("Grade the written answers by hand: .venv/bin/python -m autograder formgrader build/demo\n"
          "then hand back feedback (HTML and PDF) and final grades: "
          ".venv/bin/python -m autograder handback ASSIGNMENT --output build/demo")

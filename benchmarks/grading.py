"""Class-grading throughput: `python -m autograder grade` against plain serial `nbgrader autograde`.

    python benchmarks/grading.py [--students 24] [--workers N] [--rounds 2] [--assignment NAME]

Both grade the same class of well-behaved submissions (answers from the source notebook, every other student
answering only the first half of the questions) in a throw-away copy of the course. By default the class is
built on the tests' tiny example assignment (tests/fixtures/example_course.py); --assignment NAME uses a real one
from source/. Plain nbgrader runs once over the whole submitted/ tree, one notebook after another; the
autograder grades with --workers processes and also writes feedback HTML and the reports, so the comparison
is, if anything, unfavourable to it. The two alternate for --rounds rounds (plain nbgrader with --force, so
each round regrades everything); the medians and their ratio are printed. Nothing is asserted.
"""
import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import derive  # noqa: E402
from tests.fixtures import example_course as example  # noqa: E402
from autograder.course import Assignment  # noqa: E402

ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def make_course(folder, assignment):
    """A course folder with source/ and release/ of one assignment; returns the assignment name."""
    if assignment is None:
        example.write_course(folder)
        assignment = example.ASSIGNMENT
    else:
        shutil.copytree(ROOT / "source" / assignment, folder / "source" / assignment)
        shutil.copy(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
                    f"--CourseDirectory.root={folder}"], cwd=folder, env=ENV, check=True, capture_output=True)
    return assignment


def write_class(folder, assignment, students, nbgrader_layout):
    """students submissions of the assignment: even-numbered ones complete, odd ones half done."""
    names = Assignment.read(folder, assignment).notebooks
    release = {n: nbformat.read(folder / "release" / assignment / f"{n}.ipynb", as_version=4) for n in names}
    source = {n: nbformat.read(folder / "source" / assignment / f"{n}.ipynb", as_version=4) for n in names}
    asked = [q for n in names for q in derive.questions(release[n])]
    half = asked[:math.ceil(len(asked) / 2)]
    target = folder / "submitted" if nbgrader_layout else folder / "incoming"
    for i in range(students):
        student = target / f"student{i:03d}" / (assignment if nbgrader_layout else "")
        student.mkdir(parents=True)
        for n in names:
            nbformat.write(derive.answered(release[n], source[n], only=None if i % 2 == 0 else half),
                           student / f"{n}.ipynb")
    return target


def timed(command, cwd):
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each (median reported)")
    parser.add_argument("--assignment", default=None, help="a real assignment in source/ (default: the example)")
    args = parser.parse_args()
    plain_times, our_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        plain, ours = Path(tmp) / "plain", Path(tmp) / "ours"
        assignment = make_course(plain, args.assignment)
        make_course(ours, args.assignment)
        write_class(plain, assignment, args.students, nbgrader_layout=True)
        incoming = write_class(ours, assignment, args.students, nbgrader_layout=False)
        notebooks = args.students * len(Assignment.read(plain, assignment).notebooks)
        # alternate the two, so that a machine busy with other work slows both alike
        for _ in range(args.rounds):
            plain_times.append(timed([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force",
                                      f"--CourseDirectory.root={plain}"], plain))
            our_times.append(timed([sys.executable, "-m", "autograder", "grade", assignment, str(incoming),
                                    "--course-root", str(ours), "--workers", str(args.workers), "--no-progress"],
                                   ROOT))
    plain_s, ours_s = statistics.median(plain_times), statistics.median(our_times)
    print(f"{args.students} students ({notebooks} notebooks) of {assignment}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, median of {args.rounds} alternating runs")
    print(f"plain nbgrader autograde, serial:             {plain_s:7.1f} s ({min(plain_times):.1f}-"
          f"{max(plain_times):.1f})  ({notebooks / plain_s * 60:.0f} notebooks/min)")
    print(f"python -m autograder grade, {args.workers} workers:       {ours_s:7.1f} s ({min(our_times):.1f}-"
          f"{max(our_times):.1f})  ({notebooks / ours_s * 60:.0f} notebooks/min, feedback and reports included)")
    ratios = [p / o for p, o in zip(plain_times, our_times)]
    print(f"ratio (plain time / autograder time): {plain_s / ours_s:.2f} (per round {min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()

"""Class-grading throughput: `python -m autograder grade` against plain serial `nbgrader autograde`, and how
grading on a cluster would scale.

    python benchmarks/grading.py [--students 24[,64]] [--rounds 2] [--assignment NAME] [--pool-ref REF]
                                 [--simulate 1,2,4,8,16,32,64] [--simulate-threads]

1. Throughput, in one run. The same class of well-behaved submissions (answers from the source notebook,
   every other student answering only the first half of the questions) is graded, round after round in
   turn, by plain serial nbgrader (`autograde --force`, and then also `generate_feedback --force`: what an
   instructor runs to have the feedback pages the autograder writes), by the autograder on 1 and on 2 dask workers
   (`--regrade`, so nothing is kept from the round before), and, with --pool-ref, by the autograder at a git
   revision that still had its own process pool (autograder/pool.py), on 2 workers. The autograder also
   writes feedback pages and reports, so the comparison is, if anything, unfavourable to it. By default the
   class is built on the tests' tiny example assignment (tests/fixtures/example_course.py); --assignment NAME
   uses a real one from source/. With two class sizes (--students 24,64), each contender's time is split, round
   by round, into a fixed cost and a cost per notebook, and a 300-student, 4-assignment term is estimated from
   them for each: the ratio an instructor feels over a term, where the fixed cost weighs least.
2. Where the time goes: one more run in this process, with grade()'s own timings (the template, writing
   each result's files and record, the gradebook at the end) and each notebook's phases on its worker
   (kernel start, the student's cells, kernel stop, feedback; the rest of a notebook's time is nbgrader's
   own work and the sandbox), so the overhead beyond the student's cells; and the import time of `utils`
   and of the assignment's setup cells, each in a fresh interpreter.
3. A simulated cluster: LocalClusters of 1 to 64 dask workers (processes, as on a real cluster;
   --simulate-threads for threads of this process) run stand-in tasks that sleep for per-notebook times
   drawn from the measured ones and return results as large as the real ones, through the same coordinator
   loop (cluster.grade_all, the files, the record). Throughput against the ideal (workers / mean time), and
   the share of the run the coordinator spent on its own work, show where it becomes the bottleneck.
Medians, min-max and ratios are printed; nothing is asserted.
"""
import argparse
import logging
import math
import os
import random
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

from autograder import cluster, derive  # noqa: E402
from autograder.course import Assignment  # noqa: E402
from autograder.grade import Outputs, RunRecord, grade  # noqa: E402
from autograder.options import GradingOptions  # noqa: E402
from autograder.release import nbgrader_environment  # noqa: E402
from autograder.task import GradingSetup, NotebookResult, NotebookTask  # noqa: E402
from tests.fixtures import example_course as example  # noqa: E402

ENV = nbgrader_environment()
TERM = (300, 4)  # students, assignments: the term the README estimates


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


def timed(commands, cwd, env=ENV):
    """Seconds to run the commands, one after the other."""
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def pool_revision(ref, folder):
    """A checkout of the autograder at git revision ref, and the environment that runs it from there."""
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), ref], cwd=ROOT, check=True,
                   capture_output=True)
    return dict(ENV, PYTHONPATH=str(folder))


def line(label, times, notebooks):
    median = statistics.median(times)
    print(f"  {label:<44} {median:7.1f} s ({min(times):.1f}-{max(times):.1f})  "
          f"{notebooks / median * 60:5.1f} notebooks/min")
    return median


def class_runs(args, students, tmp):
    """The commands of part 1 for a class of `students`: {label: (commands, cwd, env)}, and its notebooks."""
    plain, ours = tmp / "plain", tmp / "ours"
    assignment = make_course(plain, args.assignment)
    make_course(ours, args.assignment)
    write_class(plain, assignment, students, nbgrader_layout=True)
    incoming = write_class(ours, assignment, students, nbgrader_layout=False)
    notebooks = students * len(Assignment.read(plain, assignment).notebooks)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    autograde = [*nbgrader, "autograde", assignment, "--force", f"--CourseDirectory.root={plain}"]
    feedback = [*nbgrader, "generate_feedback", assignment, "--force", f"--CourseDirectory.root={plain}"]
    runs = {"plain nbgrader autograde, serial": ([autograde], plain, ENV),
            # what an instructor runs to have what the autograder gives: grades and feedback pages
            "plain nbgrader autograde + generate_feedback": ([autograde, feedback], plain, ENV)}
    for workers in (1, 2):
        runs[f"autograder on {workers} dask worker{'s' if workers > 1 else ''}"] = (
            [[sys.executable, "-m", "autograder", "grade", assignment, str(incoming), "--course-root", str(ours),
             "--output", str(tmp / f"out-{workers}"), "--gradebook", str(tmp / f"out-{workers}" / "gradebook.db"),
             "--workers", str(workers), "--regrade", "--no-progress"]], ROOT, ENV)
    if args.pool_ref:
        env = pool_revision(args.pool_ref, tmp / "pool-revision")
        runs[f"autograder at {args.pool_ref} (own pool), 2 workers"] = (
            [[sys.executable, "-m", "autograder", "grade", assignment, str(incoming), "--course-root", str(ours),
              "--output", str(tmp / "out-pool"), "--gradebook", str(tmp / "out-pool" / "gradebook.db"),
              "--workers", "2", "--no-progress"]], tmp / "pool-revision", env)
    return assignment, ours, incoming, notebooks, runs


REFERENCES = ("plain nbgrader autograde, serial", "plain nbgrader autograde + generate_feedback")


def throughput(args, tmp):
    """Part 1 and 2; returns the per-notebook seconds the autograder's workers measured."""
    classes = {size: class_runs(args, size, tmp / f"class-{size}") for size in args.students}
    times = {size: {label: [] for label in runs} for size, (*_, runs) in classes.items()}
    try:
        for _ in range(args.rounds):  # in turn, so that a machine busy with other work slows all alike
            for size, (*_, runs) in classes.items():
                for label, (commands, cwd, env) in runs.items():
                    times[size][label].append(timed(commands, cwd, env))
    finally:
        if args.pool_ref:
            for size in classes:
                subprocess.run(["git", "worktree", "remove", "--force", str(tmp / f"class-{size}" / "pool-revision")],
                               cwd=ROOT, capture_output=True)
    for size, (assignment, _, _, notebooks, _) in classes.items():
        print(f"{size} students ({notebooks} notebooks) of {assignment}, {os.cpu_count()} cores, load "
              f"average {os.getloadavg()[0]:.1f}, median (min-max) of {args.rounds} rounds in turn")
        medians = {label: line(label, t, notebooks) for label, t in times[size].items()}
        for reference in REFERENCES:
            for label, t in times[size].items():
                if label.startswith("autograder"):
                    ratios = [p / o for p, o in zip(times[size][reference], t)]
                    print(f"  {reference} / {label}: {medians[reference] / medians[label]:.2f} (per round "
                          f"{min(ratios):.2f}-{max(ratios):.2f})")
    if len(classes) >= 2:
        term_from_two_classes(times, {size: c[3] for size, c in classes.items()}, args.rounds)

    assignment, ours, incoming, notebooks, _ = classes[max(classes)]
    options = GradingOptions(workers=2, regrade=True)
    started = time.perf_counter()
    result = grade(assignment, incoming, course_root=ours, output=tmp / "out-inprocess",
                   gradebook=tmp / "out-inprocess" / "gradebook.db", options=options, progress=False)
    total = time.perf_counter() - started
    own = result.seconds
    print(f"coordinator's own cost (one run in this process, 2 workers, {total:.1f} s in all): template "
          f"{own['template']:.2f} s once; per notebook {own['results'] / notebooks * 1000:.1f} ms for its "
          f"files and record, {own['gradebook'] / notebooks * 1000:.1f} ms for the gradebook")
    per_notebook = [r.seconds for r in result.results.values()]
    print(f"per-notebook time on a worker: {spread(per_notebook)}, of which")
    phases = {phase: [r.phases.get(phase, 0.0) for r in result.results.values()]
              for phase in ("kernel start", "cells", "kernel stop", "feedback")}
    phases["the rest (nbgrader, sandbox)"] = [r.seconds - sum(r.phases.values()) for r in result.results.values()]
    for phase, seconds in phases.items():
        print(f"  {phase:<30} {spread(seconds)}")
    beyond_cells = [r.seconds - r.phases.get("cells", 0.0) for r in result.results.values()]
    print(f"  {'overhead beyond the cells':<30} {spread(beyond_cells)}")
    import_times(ours, assignment)
    sizes = [len((tmp / "out-inprocess" / "reports" / assignment / "feedback" / r.student /
                  f"{r.notebook}.html").read_text()) for r in result.results.values()]
    return per_notebook, own, notebooks, int(statistics.median(sizes))


def term_from_two_classes(times, notebooks, rounds):
    """Each contender's time as a fixed cost plus a cost per notebook, from the smallest and the largest class
    of the same round, and the 300 x 4 term it gives (TERM: one notebook per student and assignment)."""
    small, large = min(times), max(times)
    students, assignments = TERM
    print(f"a term of {students} students x {assignments} assignments, from the {small}- and {large}-student "
          f"classes of each round (time = fixed + per notebook x notebooks):")
    terms = {}
    for label in times[small]:
        per = [(b - a) / (notebooks[large] - notebooks[small])
               for a, b in zip(times[small][label], times[large][label])]
        fixed = [a - p * notebooks[small] for a, p in zip(times[small][label], per)]
        terms[label] = [assignments * (f + p * students) for f, p in zip(fixed, per)]
        print(f"  {label:<44} fixed {statistics.median(fixed):5.1f} s, {statistics.median(per):.2f} s a notebook: "
              f"term {statistics.median(terms[label]) / 60:5.1f} min ({min(terms[label]) / 60:.1f}-"
              f"{max(terms[label]) / 60:.1f})")
    for reference in REFERENCES:
        for label in terms:
            if label.startswith("autograder"):
                ratios = [r / o for r, o in zip(terms[reference], terms[label])]
                print(f"  term, {reference} / {label}: {statistics.median(ratios):.2f} (per round "
                      f"{min(ratios):.2f}-{max(ratios):.2f}, {rounds} rounds)")


def spread(values):
    return f"median {statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def import_times(course, assignment, runs=5):
    """Seconds to import utils, and to run each notebook's setup cell (its first code cell), in a fresh
    interpreter each time (a kernel's cost beyond starting Python)."""
    setups = {"import utils": "import utils"}
    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        setups[f"{path.stem}'s setup cell"] = first.source.replace("%matplotlib inline", "")
    for label, code in setups.items():
        script = f"import time\nstarted = time.perf_counter()\n{code}\nprint(time.perf_counter() - started)"
        seconds = [float(subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=ENV, check=True,
                                        capture_output=True, text=True).stdout.split()[-1]) for _ in range(runs)]
        print(f"  {label:<30} {spread(seconds)} in a fresh interpreter ({runs} runs)")


def stand_in(setup, task):
    """A simulated grading task: sleeps for the given time, returns a result as large as a real one."""
    seconds = float(task.files["seconds"])
    time.sleep(seconds)
    return NotebookResult(task.student, task.notebook, task.key, grades=[], seconds=seconds,
                          autograded="x" * int(task.files["size"]), feedback="x" * int(task.files["size"]), log="")


def simulate(worker_counts, per_notebook, size, tmp, tasks_per_worker=8, processes=True):
    """Part 3: throughput of stand-in tasks on LocalClusters of each size, through the coordinator's loop."""
    from distributed import Client, LocalCluster
    rng = random.Random(0)
    print(f"simulated cluster: stand-in tasks of the measured per-notebook times (mean "
          f"{statistics.mean(per_notebook):.2f} s), "
          f"{tasks_per_worker} per worker, results of {size / 1000:.0f} kB; dask workers are "
          f"{'processes' if processes else 'threads of this process'}")
    rates = {}
    setup = GradingSetup("simulated", {}, GradingOptions(), b"", "simulated")
    for workers in worker_counts:
        tasks = [NotebookTask(f"s{i}", "nb", {"seconds": str(rng.choice(per_notebook)), "size": str(size)}, str(i))
                 for i in range(workers * tasks_per_worker)]
        out = tmp / f"simulated-{workers}"
        outputs, record = Outputs(out, out / "reports", "simulated"), RunRecord(out / "results.jsonl")
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=None,
                          silence_logs=logging.CRITICAL) as lc, \
                Client(lc) as client:
            started, own = time.perf_counter(), 0.0
            for result in cluster.grade_all(client, setup, tasks, on_worker=stand_in):
                writing = time.perf_counter()
                outputs.write(result)
                record.add(result)
                own += time.perf_counter() - writing
            elapsed = time.perf_counter() - started
        # the ideal: every worker busy all the time with these very tasks
        ideal = len(tasks) / (sum(float(t.files["seconds"]) for t in tasks) / workers)
        rate = len(tasks) / elapsed
        rates[workers] = rate
        print(f"  {workers:3d} workers: {rate * 60:7.1f} notebooks/min, {rate / ideal:5.1%} of the ideal "
              f"{ideal * 60:.0f}/min; the coordinator's own work {own / elapsed:5.1%} of the run")
    return rates


def term_estimate(rates, own, notebooks):
    """The README's estimate: a 300-student, 4-assignment term at each simulated size."""
    students, assignments = TERM
    total = students * assignments
    per_result = (own["results"] + own["gradebook"]) / notebooks
    print(f"a term of {students} students x {assignments} assignments ({total} notebooks, one per assignment), "
          f"estimated from the simulated rates plus the gradebook and the template:")
    for workers, rate in rates.items():
        hours = (total / rate + total * own["gradebook"] / notebooks + assignments * own["template"]) / 3600
        print(f"  {workers:3d} workers: {hours * 60:6.1f} min")
    print(f"  (the coordinator alone, {per_result * 1000:.1f} ms a notebook, caps any cluster at "
          f"{60 / per_result:.0f} notebooks/min)")


def class_sizes(text):
    """--students: one or more class sizes, comma-separated (argparse reports a bad one in words)."""
    try:
        sizes = sorted({int(n) for n in text.split(",")})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected class sizes like 24 or 24,64, not {text!r}") from None
    if sizes[0] < 1:
        raise argparse.ArgumentTypeError("a class has at least 1 student")
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=class_sizes, default=[24],
                        help="class sizes, comma-separated; with two or more, each contender's fixed and "
                             "per-notebook cost and the term they give (default: 24)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each, in turn (median reported)")
    parser.add_argument("--assignment", default=None, help="a real assignment in source/ (default: the example)")
    parser.add_argument("--pool-ref", default=None,
                        help="a git revision with the autograder's own process pool, measured too (e.g. 6462809)")
    parser.add_argument("--simulate", default="1,2,4,8,16,32,64",
                        help="worker counts of the simulated cluster ('' to skip)")
    parser.add_argument("--simulate-threads", action="store_true",
                        help="the simulated cluster's workers as threads of this process, not processes")
    parser.add_argument("--simulate-only", default=None, metavar="SECONDS,...",
                        help="skip parts 1 and 2: simulate with these per-notebook times (results of 640 kB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.simulate_only:
            simulate([int(n) for n in args.simulate.split(",")],
                     [float(t) for t in args.simulate_only.split(",")], 640_000, Path(tmp),
                     processes=not args.simulate_threads)
            return
        per_notebook, own, notebooks, size = throughput(args, Path(tmp))
        if args.simulate:
            rates = simulate([int(n) for n in args.simulate.split(",")], per_notebook, size, Path(tmp),
                             processes=not args.simulate_threads)
            term_estimate(rates, own, notebooks)


if __name__ == "__main__":
    main()

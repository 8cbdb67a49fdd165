"""Grading past one machine, with real components: a dask cluster started with dask's command lines, a
PostgreSQL server, and runs interrupted half-way.

One class of the example assignment (tests/fixtures/example_course.py; half the students answer everything,
half only the first questions) is graded several ways, each into a folder and gradebook of its own, and every
way must give exactly the grades of the plain local run, which itself equals plain serial `nbgrader autograde`.
"""
import csv
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import warnings

import nbformat
import pytest
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograder import derive, formgrader
from autograder.course import Assignment, with_driver
from autograder.release import nbgrader_environment
from tests.fixtures import example_course as example
from tests.local_server import running_server
from tests.services import dask_cluster, postgres_server

pytestmark = pytest.mark.slow
ASSIGNMENT = example.ASSIGNMENT
STUDENTS = 6
ENV = nbgrader_environment()


def write_class(root, target, nbgrader_layout=False):
    """STUDENTS submissions: even-numbered students answer every question, odd ones the first half."""
    names = Assignment.read(root, ASSIGNMENT).notebooks
    release = {n: nbformat.read(root / "release" / ASSIGNMENT / f"{n}.ipynb", as_version=4) for n in names}
    source = {n: nbformat.read(root / "source" / ASSIGNMENT / f"{n}.ipynb", as_version=4) for n in names}
    asked = [q for n in names for q in derive.questions(release[n])]
    for i in range(STUDENTS):
        folder = target / f"student{i}" / (ASSIGNMENT if nbgrader_layout else "")
        folder.mkdir(parents=True)
        for n in names:
            only = None if i % 2 == 0 else asked[:math.ceil(len(asked) / 2)]
            nbformat.write(derive.answered(release[n], source[n], only=only), folder / f"{n}.ipynb")
    return target


def scores(db_url):
    """{(student, notebook, cell): (auto_score, needs_manual_grade)} from nbgrader's gradebook."""
    with Gradebook(with_driver(db_url)) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        return {(s.id, nb.name, g.name): (g.auto_score, g.needs_manual_grade)
                for s in gb.students for sub in s.submissions for nb in sub.notebooks for g in nb.grades}


def grade_command(course, out, *extra):
    return [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, str(course / "incoming"),
            "--course-root", str(course), "--output", str(out), "--no-progress", *extra]


def grade(course, out, *extra, db=None):
    """Grade the class into out (its own gradebook, or the database db); returns (stdout, gradebook URL)."""
    url = db or f"sqlite:///{out / 'gradebook.db'}"
    run = subprocess.run(grade_command(course, out, "--db", url, *extra), env=ENV, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    return run.stdout, url


def record_lines(out):
    path = out / "reports" / ASSIGNMENT / "results.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def notebooks_of_class():
    return STUDENTS * len(["squares", "extra"])


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    example.write_course(root)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
                    f"--CourseDirectory.root={root}"], cwd=root, env=ENV, check=True, capture_output=True)
    write_class(root, root / "incoming")
    return root


@pytest.fixture(scope="module")
def local(course):
    """The class graded on this machine (a LocalCluster of 2 workers): the grades every other way must give."""
    out = course / "out-local"
    stdout, url = grade(course, out, "--workers", "2")
    return scores(url)


def test_local_run_gives_the_grades_of_plain_serial_nbgrader(course, local, tmp_path):
    root = tmp_path / "plain"
    example.write_course(root)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
                    f"--CourseDirectory.root={root}"], cwd=root, env=ENV, check=True, capture_output=True)
    write_class(course, root / "submitted", nbgrader_layout=True)
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, f"--CourseDirectory.root={root}"],
                   cwd=root, env=ENV, check=True, capture_output=True, timeout=900)
    plain = scores(f"sqlite:///{root / 'gradebook.db'}")
    assert len(plain) == STUDENTS * 6 and local == plain


@pytest.fixture(scope="module")
def cluster():
    with dask_cluster(workers=2) as running:
        yield running


def test_a_dask_cluster_gives_the_grades_of_the_local_run(course, local, cluster):
    """`dask scheduler` and two `dask worker`s, in folders without the course: the same grades."""
    out = course / "out-cluster"
    stdout, url = grade(course, out, "--scheduler", cluster.address)
    assert scores(url) == local
    assert f"Graded {notebooks_of_class()} notebooks." in stdout
    assert len(record_lines(out)) == notebooks_of_class()


def test_a_worker_killed_mid_run_costs_nothing(course, local, cluster):
    """A third worker is killed while it grades a notebook: that notebook is graded again on another worker,
    every notebook is graded once, and the grades are the same."""
    from distributed import Client
    cluster.start_worker("victim")
    out = course / "out-killed"
    url = f"sqlite:///{out / 'gradebook.db'}"
    run = subprocess.Popen(grade_command(course, out, "--db", url, "--scheduler", cluster.address), env=ENV,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with Client(cluster.address, timeout="20s") as client:
        deadline = time.monotonic() + 300
        while True:
            assert run.poll() is None and time.monotonic() < deadline, "the victim never graded a notebook"
            workers = client.scheduler_info(n_workers=-1)["workers"]
            victim = [address for address, info in workers.items() if info["name"] == "victim"]
            if victim and any(key.startswith("grade-") for key in client.processing(victim).get(victim[0], [])):
                break
            time.sleep(0.2)
    time.sleep(2)  # inside the notebook, not at its start
    cluster.kill_worker("victim")
    stdout, stderr = run.communicate(timeout=900)
    assert run.returncode == 0, stderr[-4000:]
    assert scores(url) == local
    graded = [(line["student"], line["notebook"]) for line in record_lines(out)]
    assert len(graded) == len(set(graded)) == notebooks_of_class()
    assert all(line["failure"] is None for line in record_lines(out))


def test_an_interrupted_run_grades_only_what_is_missing(course, local):
    """Ctrl-C part-way, then the same command again: only the notebooks not graded yet are executed, and the
    gradebook is the uninterrupted run's. (Ctrl-C comes after the second notebook, early enough that a busy
    machine cannot let the run finish before it: the second half of the class is its short notebooks.)"""
    out = course / "out-interrupted"
    url = f"sqlite:///{out / 'gradebook.db'}"
    run = subprocess.Popen(grade_command(course, out, "--db", url, "--workers", "1"), env=ENV,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 600
    while len(record_lines(out)) < 2:
        assert run.poll() is None and time.monotonic() < deadline, run.stderr.read()[-3000:]
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode != 0 and "run the same command again" in stderr, stderr[-3000:]
    done = {(line["student"], line["notebook"]) for line in record_lines(out)}
    assert 0 < len(done) < notebooks_of_class()

    stdout, _ = grade(course, out, "--workers", "1", db=url)
    counts = json.loads((out / "reports" / ASSIGNMENT / "run.json").read_text())["notebooks"]
    assert counts == {"graded": notebooks_of_class() - len(done), "reused": len(done)}
    assert scores(url) == local
    assert len(record_lines(out)) == notebooks_of_class()

    stdout, _ = grade(course, out, "--workers", "1", db=url)  # nothing changed: nothing is executed
    assert f"Graded 0 notebooks; {notebooks_of_class()} unchanged" in stdout
    changed = course / "incoming" / "student1" / "extra.ipynb"
    original = changed.read_bytes()
    try:
        changed.write_bytes(original.replace(b"cube", b"cube ", 1))  # one notebook handed in again
        grade(course, out, "--workers", "1", db=url)
        assert json.loads((out / "reports" / ASSIGNMENT / "run.json").read_text())["notebooks"] == \
            {"graded": 1, "reused": notebooks_of_class() - 1}
        grade(course, out, "--workers", "1", "--regrade", db=url)
        assert json.loads((out / "reports" / ASSIGNMENT / "run.json").read_text())["notebooks"] == \
            {"graded": notebooks_of_class(), "reused": 0}
    finally:
        changed.write_bytes(original)


def test_a_changed_test_is_graded_with_the_new_test_not_the_cached_template(course, local, tmp_path):
    """The workers' template is kept between runs (grade._template), keyed by the assignment's tests: run
    again unchanged, it is not made again; once a hidden test changes, the new test decides the grades."""
    changed = tmp_path / "course"
    shutil.copytree(course, changed, ignore=shutil.ignore_patterns("out-*"))
    shutil.rmtree(changed / "incoming")
    shutil.copytree(course / "incoming" / "student0", changed / "incoming" / "student0")
    out = changed / "out"
    stdout, url = grade(changed, out, "--workers", "1")
    cache = out / ".autograder-cache" / ASSIGNMENT
    [template] = cache.glob("template-*.tar")
    made = template.stat().st_mtime_ns
    before = scores(url)
    assert before == {key: value for key, value in local.items() if key[0] == "student0"}
    for line in record_lines(out):  # where each notebook's time went (benchmarks/grading.py reads them)
        assert set(line["phases"]) == {"kernel start", "cells", "kernel stop", "feedback"}, line["phases"]
        assert all(seconds > 0 for seconds in line["phases"].values()) and sum(line["phases"].values()) <= line["seconds"]
    grade(changed, out, "--workers", "1", "--regrade")
    assert [template] == list(cache.glob("template-*.tar")) and template.stat().st_mtime_ns == made

    extra = changed / "source" / ASSIGNMENT / "extra.ipynb"
    extra.write_text(extra.read_text().replace("assert cube(-1) == -1", "assert cube(-1) == 1"))
    stdout, url = grade(changed, out, "--workers", "1")
    assert not template.exists() and len(list(cache.glob("template-*.tar"))) == 1
    after = scores(url)
    assert after[("student0", "extra", "q4_test")] == (0.0, False)
    assert {k: v for k, v in after.items() if k[1] != "extra"} == {k: v for k, v in before.items() if k[1] != "extra"}


def nbgrader_export(course, db_url, target):
    """`nbgrader export` of the course with its gradebook at db_url, as CSV rows."""
    subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--CourseDirectory.root={course}",
                    f"--CourseDirectory.db_url={with_driver(db_url)}", f"--to={target}"],
                   cwd=course, env=ENV, check=True, capture_output=True, timeout=300)
    with open(target) as handle:
        return list(csv.DictReader(handle))


def test_the_gradebook_on_postgresql(course, local, tmp_path):
    """Graded into a real PostgreSQL server: the same grades, formgrader lists the submissions from it, and
    `nbgrader export` writes the CSV it writes with SQLite."""
    with postgres_server() as db:
        out = course / "out-postgres"
        grade(course, out, db=db)
        assert scores(db) == local
        assert nbgrader_export(course, db, tmp_path / "pg.csv") == \
            nbgrader_export(course, f"sqlite:///{course / 'out-local' / 'gradebook.db'}", tmp_path / "sqlite.csv")

        folder = formgrader.prepare(out, course, db_url=db)
        command = [c for c in formgrader.lab_command(folder) if c != "--ServerApp.default_url=/formgrader"]
        with running_server([*command], cwd=folder, env=formgrader.lab_environment(course),
                            log_path=tmp_path / "lab.log") as (url, token):
            def api(path, body=None):
                request = urllib.request.Request(f"{url}/formgrader/api/{path}", headers={
                    "Authorization": f"token {token}"}, method="PUT" if body else "GET",
                    data=json.dumps(body).encode() if body else None)
                with urllib.request.urlopen(request, timeout=60) as response:
                    return json.load(response)

            listed = api(f"submissions/{ASSIGNMENT}")
            assert sorted(s["student"] for s in listed) == [f"student{i}" for i in range(STUDENTS)]
            assert all(s["autograded"] for s in listed)
            # a TA grades student0's written answer, as formgrader's page does
            notebook = next(n for n in api(f"submitted_notebooks/{ASSIGNMENT}/squares") if n["student"] == "student0")
            written = next(g for g in api(f"grades?submission_id={notebook['id']}") if g["name"] == "q3_written")
            assert api(f"grade/{written['id']}", {"manual_score": 1})["manual_score"] == 1

        handed = subprocess.run([sys.executable, "-m", "autograder", "handback", ASSIGNMENT, "--course-root",
                                 str(course), "--output", str(out), "--no-pdf"], env=ENV, capture_output=True,
                                text=True, timeout=600)
        assert handed.returncode == 0, handed.stderr[-3000:]
        with open(out / "reports" / ASSIGNMENT / "grades.csv") as handle:
            rows = {row["student"]: row for row in csv.DictReader(handle)}
        assert rows["student0"]["q3"] == "1" and rows["student2"]["q3"] == "pending"

"""The similarity report (autograder/similarity.py) on a constructed class of the real 01_gradient_descent: a
planted near-copy among honest answers, students who kept the release, code only the release gave, hostile
input and a cell that does not parse; the normalisation and winnowing on their own; and the report written
after grading (reports.write) from a gradebook built with nbgrader's API."""
import random
import warnings
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograder import derive, reports, similarity
from autograder.course import Assignment
from autograder.release import COURSE_ROOT, nbgrader_path

ASSIGNMENT = "01_gradient_descent"
NOTEBOOK = "gradient_descent"
Q1, Q3, Q4 = "q1_optimize_f", "q3_optimize_f_decay", "q4_tuned_hyperparameters"
HEADER1 = "def optimize_f(x, y, eta, steps):\n"
HEADER3 = "def optimize_f(x, y, eta, steps, decay=1.0):\n"

# The near-copy of the model answer: other names, independent statements swapped, new comments, other layout.
COPY1 = HEADER1 + '''    """my version"""
    # keep every position, the start first
    ys = [y]
    xs = [x]
    for step  in range( steps ):
        x, y = (x - eta*df_dx(x, y),
                y - eta*df_dy(x, y))   # move both at once
        ys.append(y)

        xs.append(x)
    return x, y, f(x, y), np.array(xs), np.array(ys)
'''
COPY3 = HEADER3 + '''    ys = [y]; xs = [x]
    for k in range(steps):
        rate = eta * decay ** k  # the learning rate shrinks
        x, y = x - rate * df_dx(x, y), y - rate * df_dy(x, y)
        ys.append(y)
        xs.append(x)
    return x, y, f(x, y), np.array(xs), np.array(ys)
'''
# Honest answers: the same task solved in other ways (each student's q3 follows their own q1).
HONEST = {
    "arrays": ('''    xs = np.zeros(steps + 1)
    ys = np.zeros(steps + 1)
    xs[0], ys[0] = x, y
    for i in range(steps):
        gx = df_dx(x, y)
        gy = df_dy(x, y)
        x = x - {eta} * gx
        y = y - {eta} * gy
        xs[i + 1] = x
        ys[i + 1] = y
    return x, y, f(x, y), xs, ys
''', "Steps of size eta are tiny, so f falls slowly and needs many steps."),
    "while-loop": ('''    points = [(x, y)]
    k = 0
    while k < steps:
        grad = np.array([df_dx(x, y), df_dy(x, y)])
        x, y = np.array([x, y]) - {eta} * grad
        points.append((x, y))
        k += 1
    path = np.array(points)
    return x, y, f(x, y), path[:, 0], path[:, 1]
''', "With a small learning rate the descent crawls and stays near where it started."),
    "vector": ('''    p = np.array([x, y], dtype=float)
    hist = [p.copy()]
    for _ in range(steps):
        p -= {eta} * np.array([df_dx(*p), df_dy(*p)])
        hist.append(p.copy())
    hist = np.stack(hist)
    return p[0], p[1], f(*p), hist[:, 0], hist[:, 1]
''', "It converges, but only after thousands of iterations: progress per step is minimal."),
    "new-names": ('''    history_x = [x]
    history_y = [y]
    for n in range(steps):
        new_x = x - {eta} * df_dx(x, y)
        new_y = y - {eta} * df_dy(x, y)
        x, y = new_x, new_y
        history_x += [x]
        history_y += [y]
    return x, y, f(x, y), np.asarray(history_x), np.asarray(history_y)
''', "Too small a step wastes computation; the loss barely moves in fifty steps."),
}
RATE3 = {"arrays": "eta * decay**i", "while-loop": "eta * decay**k", "vector": "eta * decay ** _",
         "new-names": "eta * decay**n"}


def honest_q3(body, rate):
    """An honest q1 answer made into q3: the learning rate lr computed first in the loop."""
    lines = body.format(eta="lr").splitlines(keepends=True)
    loop = next(i for i, line in enumerate(lines) if line.startswith(("    for ", "    while ")))
    return HEADER3 + "".join(lines[:loop + 1] + [f"        lr = {rate}\n"] + lines[loop + 1:])


def pair_score(found, one, other):
    """The overall score of two students, 0 when they share nothing."""
    return next((p.score for p in found.pairs if {p.a, p.b} == {one, other}), 0.0)


@pytest.fixture(scope="module")
def notebooks():
    """(release notebook, the model answers) of the real assignment."""
    release = nbformat.read(COURSE_ROOT / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    source = nbformat.read(COURSE_ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    return release, derive.answered(release, source)


def with_cells(nb, sources):
    for cell_id, source in sources.items():
        nb = derive.with_cell_source(nb, cell_id, source)
    return nb


def write_class(folder, students):
    """Write {student: notebook} as folder/<student>/gradient_descent.ipynb; returns similarity.write's paths."""
    for student, nb in students.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, folder / student / f"{NOTEBOOK}.ipynb")
    return {student: [folder / student] for student in students}


@pytest.fixture(scope="module")
def planted(notebooks, tmp_path_factory):
    """The constructed class compared, its reports written: (Similarity, reports folder)."""
    release, model = notebooks
    given = release.cells[[i for i, c in enumerate(release.cells) if "def df_dx" in c.source][0]].source
    scaffold = derive.first_cell(release, "q1").source
    written = derive.first_cell(model, "q2a", code_only=False).source
    students = {
        "original": model,
        "copier": with_cells(model, {Q1: COPY1, Q3: COPY3, Q4: "tuned_steps = 10\ntuned_eta = 0.2\ntuned_decay = 0.95",
                                     "q2a_written_too_small": written.replace("crawls", "creeps") + "\nSo: slow."}),
        "untouched-a": release, "untouched-b": release,
        # only code the release gave in common: its helpers pasted in, its scaffolding kept, own lines apart
        "given-a": with_cells(release, {Q1: given + "\n\n" + scaffold.replace(
            "raise NotImplementedError()", "raise NotImplementedError()\n    return x, y, f(x, y), [x], [y]")}),
        "given-b": with_cells(release, {Q1: "# pasted from above\n" + given.replace("    return", "    return  ")
                                        + "\n" + scaffold.replace("# YOUR CODE HERE", "assert steps >= 0")}),
        "broken": with_cells(release, {Q1: HEADER1 + "    x_hist = [x\n    for _ in range(steps):\n"
                                            "        x, y = x - eta * df_dx(x, y), y - eta * df_dy(x, y)"}),
    }
    for name, (body, text) in HONEST.items():
        students[name] = with_cells(release, {
            Q1: HEADER1 + body.format(eta="eta"),
            Q3: honest_q3(body, RATE3[name]),
            Q4: f"tuned_eta = 0.{len(name)}\ntuned_decay = 0.9\ntuned_steps = {10 + len(name)}",
            "q2a_written_too_small": text})
    folder = tmp_path_factory.mktemp("class")
    paths = write_class(folder / "submitted", students)
    asg = Assignment.read(COURSE_ROOT, ASSIGNMENT)
    return similarity.write(folder / "reports", asg, paths), folder / "reports"


def test_the_planted_near_copy_ranks_first(planted):
    found, _ = planted
    honest = [p for p in found.pairs if not ({p.a, p.b} & {"original", "copier"})]
    assert {found.pairs[0].a, found.pairs[0].b} == {"copier", "original"}
    assert pair_score(found, "copier", "original") > 0.8
    assert max(p.score for p in honest) < 0.5 * pair_score(found, "copier", "original")
    for question in ("q1", "q3"):
        ranked = sorted((p for p in found.pairs if question in p.scores), key=lambda p: -p.scores[question])
        top = [{p.a, p.b} for p in ranked if p.scores[question] == ranked[0].scores[question]]
        assert {"copier", "original"} in top, question
        assert ranked[0].scores[question] > 0.8


def test_the_release_never_counts(planted):
    found, _ = planted
    for student in ("untouched-a", "untouched-b"):
        assert not any(answer.prints for answer in found.answers[student].values()), student
        assert not [p for p in found.pairs if student in (p.a, p.b)], student
    assert pair_score(found, "given-a", "given-b") == 0
    assert found.answers["given-a"]["q1"].prints  # its own line is still compared


def test_a_cell_that_does_not_parse_is_compared_by_its_tokens_and_named(planted):
    found, reports_dir = planted
    assert found.answers["broken"]["q1"].unparsed == [Q1]
    assert found.answers["broken"]["q1"].prints
    assert "broken: q1_optimize_f does not parse as Python; compared by its tokens" in \
        (reports_dir / "similarity.md").read_text()


def test_the_reports_ask_a_person_to_judge(planted):
    found, reports_dir = planted
    page = (reports_dir / "similarity.html").read_text()
    assert "never changes a grade" in page and "default-src 'none'" in page  # no scripts, no requests
    # the copy's lines marked, the release's scaffolding (line 1, the header) not
    assert "<span class=hit><i>7</i>        x, y = (x - eta*df_dx(x, y),</span>" in page
    assert "<span class=given><i>1</i>def optimize_f(x, y, eta, steps):</span>" in page
    text = (reports_dir / "similarity.md").read_text()
    assert "never changes a grade" in text and "| 1 | copier, original |" in text


def test_the_page_escapes_what_students_wrote(notebooks, tmp_path):
    _, model = notebooks
    hostile = "<img src=x onerror=alert(1)>"
    paths = write_class(tmp_path, {"original": model, hostile: with_cells(model, {
        Q1: COPY1.replace("# keep every position", "# </pre><script>alert('copied')</script>")})})
    for student, text in (("not-a-list", "[]"), ("cut-short", nbformat.writes(model)[:999]),
                          ("odd-metadata", nbformat.writes(model).replace('"solution": true', '"solution": "yes"')
                           .replace('"nbgrader": {', '"nbgrader": "x", "was": {'))):
        (tmp_path / student).mkdir()
        (tmp_path / student / f"{NOTEBOOK}.ipynb").write_text(text)
        paths[student] = [tmp_path / student]
    found = similarity.write(tmp_path / "reports", Assignment.read(COURSE_ROOT, ASSIGNMENT), paths)
    assert found.unreadable == ["not-a-list", "cut-short"] and found.answers["odd-metadata"] == {}
    page = (tmp_path / "reports" / "similarity.html").read_text()
    assert "<script" not in page and "<img" not in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(&#x27;copied&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt; and original" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing to fetch
    assert "<img" not in (tmp_path / "reports" / "similarity.md").read_text()


def test_reordering_follows_data_dependence():
    def labels(source):
        tokens, parsed = similarity.code_tokens(source)
        assert parsed
        return [label for label, _ in tokens]

    assert labels("a = 1\nb = 2\n") == labels("b = 2\na = 1\n")
    assert labels("a = 1\nb = a\n") != labels("b = a\na = 1\n")  # b reads a: not the same program
    assert labels("xs.append(1)\nys.append(2)\n") != labels("ys.append(2)\nys.append(1)\n")
    assert labels("def g(p):\n    q = p + 1  # c\n    return q\n") == \
        labels("def g(r):\n    '''doc'''\n    s = r + 1\n\n    return s")
    assert labels("x, y = y, x\n") != labels("x = y\ny = x\n")  # a swap is not two assignments
    assert labels("%matplotlib inline\nz = 3\n") == \
        labels("get_ipython().run_line_magic('matplotlib', 'inline')\nz = 3")


def test_what_does_not_parse_falls_back_to_tokens():
    # 5000 nested additions parse, but their tree is deeper than the recursion limit allows to walk
    tokens, parsed = similarity.code_tokens("x = " + " + ".join(["1"] * 5000))
    assert not parsed and len(tokens) == 2 + 5000 + 4999
    tokens, parsed = similarity.code_tokens("x = 'unclosed\ny = 2\n")
    assert not parsed and [t for t, _ in tokens][:2] == ["V", "="]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 30), st.integers(0, 30))
def test_winnowing_finds_every_shared_run_of_k_plus_w_minus_1_tokens(seed, before, after):
    """Schleimer et al.'s guarantee: a run of at least K + W - 1 tokens in both sequences gives a shared
    fingerprint, wherever it stands."""
    rng = random.Random(seed)
    run = [(f"t{rng.randrange(50)}", 1) for _ in range(similarity.K["code"] + similarity.W["code"] - 1)]
    def noise(letter, count):
        return [(f"{letter}{rng.randrange(50)}", 1) for _ in range(count)]

    one = noise("a", before) + run + noise("b", after)
    other = noise("c", after) + run
    prints = [{h for h, _ in similarity.winnow(similarity.kgram_hashes(tokens, "code"), "code")}
              for tokens in (one, other)]
    assert prints[0] & prints[1]


def test_reports_write_the_similarity_report_after_grading(notebooks, tmp_path):
    """reports.write (what grading and the hand-back end with) writes similarity.md and .html from the graded
    notebooks and links them from summary.md; the gradebook is built with nbgrader's API, no grading run."""
    release, model = notebooks
    asg = Assignment.read(COURSE_ROOT, ASSIGNMENT)
    students = {"ann": model, "ben": with_cells(model, {Q1: COPY1}), "cat": release}
    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with nbgrader_path(), Gradebook(db_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_assignment(ASSIGNMENT)
        gb.update_or_create_notebook(NOTEBOOK, ASSIGNMENT)
        for cells in asg.graded.values():
            for cell_id, points, autograded in cells:
                gb.update_or_create_grade_cell(cell_id, NOTEBOOK, ASSIGNMENT, max_score=points,
                                               cell_type="code" if autograded else "markdown")
        for student in students:
            gb.update_or_create_student(student)
            for grade in gb.add_submission(ASSIGNMENT, student).notebooks[0].grades:
                grade.auto_score = 0.0
        gb.db.commit()
    write_class(tmp_path / "autograded", {f"{s}/{ASSIGNMENT}": nb for s, nb in students.items()})
    reports_dir = tmp_path / "reports" / ASSIGNMENT
    reports.write(reports_dir, asg, db_url, dict.fromkeys(students, "ok"), [])
    text = (reports_dir / "similarity.md").read_text()
    assert "| 1 | ann, ben |" in text and "cat" not in text.split("## Per question")[0]
    assert (reports_dir / "similarity.html").read_text().count('<section id="pair-') == 1
    assert "[similarity.html](similarity.html)" in (reports_dir / "summary.md").read_text()


def test_the_command_writes_the_report_and_words_its_errors(notebooks, tmp_path, capsys):
    from autograder.__main__ import main
    _, model = notebooks
    write_class(tmp_path / "submitted", {f"ann/{ASSIGNMENT}": model,
                                         f"ben/{ASSIGNMENT}": with_cells(model, {Q1: COPY1})})
    assert main(["similarity", ASSIGNMENT, "--output", str(tmp_path), "--top", "5"]) == 0
    assert "2 students compared, pairs sharing anything: 1;" in capsys.readouterr().out
    assert '<section id="pair-1">' in (tmp_path / "reports" / ASSIGNMENT / "similarity.html").read_text()
    assert main(["similarity", ASSIGNMENT, "--output", str(tmp_path / "elsewhere")]) == 2
    assert "no graded or submitted notebooks of 01_gradient_descent" in capsys.readouterr().err
    for wrong, words in ((["nope"], "there is no assignment 'nope'"), ([ASSIGNMENT, "--top", "0"], "--top 0")):
        with pytest.raises(SystemExit) as stopped:
            main(["similarity", *wrong])
        assert stopped.value.code == 2 and words in capsys.readouterr().err

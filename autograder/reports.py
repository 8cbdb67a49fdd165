"""The reports an instructor hands back and reads: grades CSV, status lines, a summary with a plot.

reports/<assignment>/
    grades.csv                one row per student: student, one column per question (points, or "pending"
                              for a written answer no person has graded yet), total, pending questions
    status.txt                one line per student, in words: "ok" or what went wrong and what was done
    summary.md                class statistics per question, the plot, the item analysis (item_analysis.py),
                              every student's total and status
    score_distribution.png    histograms of the points per question and of the totals
    item_analysis.png         per question: full, partial, zero and pending scores; difficulty and discrimination
    similarity.md, .html      pairs of students whose solution cells are alike, ranked, and side by side: for a
                              person to judge, never a grade (similarity.py)
    run.json                  the gradebook file or URL given to grading (none: the course's), what grading
                              found, and how many notebooks it graded or kept unchanged: the hand-back reads it
    results.jsonl             every notebook's result as graded (grade.py's RunRecord: what a re-run keeps)
    feedback/, logs/          written by the grading workers (and feedback/ again by the hand-back)

Everything but feedback/ and logs/ is made from the gradebook, so writing it again after hand-grading in
formgrader (handback.py) gives the final grades.
"""
import csv
import json
import statistics
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from autograder import item_analysis, similarity  # noqa: E402
from autograder.course import question_id, without_password  # noqa: E402


PENDING = "pending"  # what a table shows for a written answer no person has graded yet


def grade_table(asg, db_url, students):
    """[{"student", <question>: points, ..., "total", "pending": [...], "ungraded": [...]}].

    Points come from nbgrader's gradebook: a cell's score is its manual score if a grader gave one,
    otherwise its autograded score. pending: questions with a cell awaiting a person (written answers and
    tests withheld for review); ungraded: questions whose written answer no person has graded yet (they
    count 0 in the total and are shown as "pending").
    """
    written = {grade_id for cells in asg.graded.values() for grade_id, _, autograded in cells if not autograded}
    rows = []
    with Gradebook(db_url) as gb:
        for student in sorted(students):
            row = {"student": student, **dict.fromkeys(asg.questions, 0.0), "pending": [], "ungraded": []}
            submission = gb.find_submission(asg.name, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    question = question_id(grade.name)
                    row[question] += grade.score
                    if grade.needs_manual_grade and question not in row["pending"]:
                        row["pending"].append(question)
                    if grade.needs_manual_grade and grade.name in written and question not in row["ungraded"]:
                        row["ungraded"].append(question)
            row["total"] = sum(row[q] for q in asg.questions)
            rows.append(row)
    return rows


def shown(row, question):
    """A question's cell in a grade table: its points, or "pending" while a written answer waits."""
    return PENDING if question in row["ungraded"] else f"{row[question]:g}"


def status_lines(asg, imported, results):
    """{student: status in words}: "ok", or every problem found and what the grader did about it."""
    several = len(asg.notebooks) > 1
    lines = {}
    for student in sorted(imported.folders):
        parts = list(imported.notes.get(student, []))
        parts += [f"did not hand in {name}.ipynb (0 points)" for name in imported.missing.get(student, [])]
        for notebook in asg.notebooks:
            result = results.get((student, notebook))
            if result is None:
                continue
            where = f"{notebook}.ipynb: " if several else ""
            if result.failure:
                parts.append(f"{where}{result.failure} (0 points for its tests)")
            by_text = {}
            for grade_id, text in result.notes:
                by_text.setdefault(text, []).append(grade_id or "notebook")
            parts += [f"{where}{_cells(ids)}: {text}" for text, ids in by_text.items()]
        lines[student] = "; ".join(parts) if parts else "ok"
    return lines


def _cells(ids):
    """"q1_test, q2_test", or "13 cells (q1_a, q1_b, ...)" when there are many."""
    return ", ".join(ids) if len(ids) <= 4 else f"{len(ids)} cells ({', '.join(ids[:3])}, ...)"


def plot_distribution(asg, rows, path):
    """Save histograms of the points of every question and of the totals (one panel each) to path; written
    answers no person has graded yet are left out of their question's panel."""
    maxima = asg.max_points()
    panels = [(question, top, [row[question] for row in rows if question not in row["ungraded"]])
              for question, top in maxima.items()]
    panels.append(("total", sum(maxima.values()), [row["total"] for row in rows]))
    columns = min(4, len(panels))
    lines = (len(panels) + columns - 1) // columns
    fig, axes = plt.subplots(lines, columns, figsize=(3.2 * columns, 2.8 * lines), squeeze=False)
    for ax, (question, top, scores) in zip(axes.flat, panels):
        whole = float(top).is_integer() and all(float(s).is_integer() for s in scores) and top <= 40
        # one bar per whole point, centred on it; twenty bins for partial credit or long scales
        edges = [x - 0.5 for x in range(int(top) + 2)] if whole else [top * i / 20 for i in range(21)]
        ax.hist(scores, bins=edges, color="tab:green" if question == "total" else "tab:blue", edgecolor="white")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
        graded = "" if len(scores) == len(rows) else f", {len(scores)} graded"
        ax.set_title(f"{question} (max {top:g}{graded})")
        ax.set_xlabel("points")
        ax.set_ylabel("students")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"Score distribution: {asg.name} ({len(rows)} students)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(reports_dir, asg, db_url, status, unmatched, gradebook=None, counts=None, autograded=None):
    """Write grades.csv, status.txt, summary.md, score_distribution.png, item_analysis.png, run.json and the
    similarity report from the gradebook at db_url and the graded notebooks; returns the grade table rows.
    status: {student: status line}; unmatched: [(path, reason)]; gradebook: the gradebook file or database URL
    grading was told to use, if not the course's own (recorded in run.json, without a password); counts:
    {"graded": n, "reused": m} of the grading run; autograded: the folder of graded notebooks (default:
    autograded/ beside reports/, where grading writes it), read for the messages of failed hidden tests and the
    students' answers (submitted/ beside it where a notebook was not graded)."""
    reports_dir = Path(reports_dir)
    autograded = Path(autograded) if autograded else reports_dir.parent.parent / "autograded"
    reports_dir.mkdir(parents=True, exist_ok=True)
    rows = grade_table(asg, db_url, status)
    with open(reports_dir / "grades.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *asg.questions, "total", "pending"])
        for row in rows:
            writer.writerow([row["student"], *(shown(row, q) for q in asg.questions), f"{row['total']:g}",
                             " ".join(row["pending"])])
    (reports_dir / "status.txt").write_text("".join(f"{s}: {line}\n" for s, line in status.items()))
    run = {"gradebook": without_password(gradebook) if gradebook else None, "status": status,
           "unmatched": unmatched}
    if counts is None and (reports_dir / "run.json").exists():  # the hand-back keeps the grading run's counts
        counts = json.loads((reports_dir / "run.json").read_text()).get("notebooks")
    if counts is not None:
        run["notebooks"] = counts
    (reports_dir / "run.json").write_text(json.dumps(run, indent=1))
    items = []
    if rows:
        plot_distribution(asg, rows, reports_dir / "score_distribution.png")
        analysis = item_analysis.analyse(asg.max_points(), rows)
        item_analysis.plot(analysis, reports_dir / "item_analysis.png",
                           f"Item analysis: {asg.name} ({_count(len(rows), 'student')})")
        failures = item_analysis.hidden_test_failures(asg, db_url, [row["student"] for row in rows], autograded)
        items = item_analysis.markdown(analysis, failures, len(rows))
        # read from the graded notebooks (their cell metadata repaired), else from what was handed in
        similarity.write(reports_dir, asg, {student: [autograded / student / asg.name,
                                                      autograded.parent / "submitted" / student / asg.name]
                                            for student in status})
        items += ["## Similarity", "", "Pairs of students whose solution cells are alike, for a person to judge "
                  "(it never changes a grade): [similarity.md](similarity.md), side by side in "
                  "[similarity.html](similarity.html).", ""]
    (reports_dir / "summary.md").write_text(summary(asg, rows, status, unmatched, items))
    return rows


def read_run(reports_dir):
    """(gradebook file or None for the course's own, status, unmatched) that grading recorded in run.json."""
    run = json.loads((Path(reports_dir) / "run.json").read_text())
    return run["gradebook"], run["status"], [tuple(entry) for entry in run["unmatched"]]


def summary(asg, rows, status, unmatched, items=()):
    """The summary page (markdown); items: the item-analysis section's lines (item_analysis.markdown)."""
    maxima = asg.max_points()
    total = sum(maxima.values())
    lines = [f"# {asg.name}: grading summary", "",
             f"Written {datetime.now():%Y-%m-%d %H:%M}: {_count(len(rows), 'student')}, "
             f"{sum(line != 'ok' for line in status.values())} with remarks (see the table), "
             f"{_count(len(unmatched), 'unmatched file')}.", "",
             "| question | max | graded | mean | median | min | full marks |", "|---|---|---|---|---|---|---|"]
    for question, top in maxima.items():
        scores = [row[question] for row in rows if question not in row["ungraded"]]
        if scores:
            lines.append(f"| {question} | {top:g} | {len(scores)} | {statistics.mean(scores):.2f} | "
                         f"{statistics.median(scores):g} | {min(scores):g} | {sum(s >= top for s in scores)} |")
        else:
            lines.append(f"| {question} | {top:g} | 0 | {PENDING} | {PENDING} | {PENDING} | {PENDING} |")
    lines += ["", "![Score distribution per question and of the totals](score_distribution.png)", ""]
    pending = sorted({q for row in rows for q in row["pending"]}, key=asg.questions.index)
    if pending:
        lines += [f"Waiting for a person in formgrader: {', '.join(pending)} (written answers, shown as "
                  f"\"{PENDING}\" and counted 0 in the totals until graded, and tests withheld for review, whose "
                  "autograded points count until then). After grading them, hand back: "
                  f"`python -m autograder handback {asg.name}`.", ""]
    lines += items
    lines += ["## Students", "", f"| student | total (of {total:g}) | pending | status |", "|---|---|---|---|"]
    lines += [f"| {row['student']} | {row['total']:g} | {' '.join(row['pending'])} | {status[row['student']]} |"
              for row in rows]
    if unmatched:
        lines += ["", "## Files that matched no student or notebook", ""]
        lines += [f"- `{path}`: {reason}" for path, reason in unmatched]
    lines += ["", "Feedback for each student: `feedback/<student>/<notebook>.html` (and PDFs in `feedback-pdf/` "
              "after the hand-back); grading logs: `logs/`.", ""]
    return "\n".join(lines)


def _count(number, thing):
    """"1 student", "3 students"."""
    return f"{number} {thing}" + ("" if number == 1 else "s")


def format_table(asg, rows):
    """The grade table as aligned plain text, for the terminal."""
    header = ["student", *asg.questions, "total"]
    maxima = asg.max_points()
    body = [[row["student"], *(shown(row, q) for q in asg.questions), f"{row['total']:g}"] for row in rows]
    body.append(["(max)", *(f"{maxima[q]:g}" for q in asg.questions), f"{sum(maxima.values()):g}"])
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths)))
                     for line in [header, *body])

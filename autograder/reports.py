"""The reports an instructor hands back and reads: grades CSV, status lines, a summary with a plot.

reports/<assignment>/
    grades.csv                one row per student: student, one column per question (points), total
    status.txt                one line per student, in words: "ok" or what went wrong and what was done
    summary.md                class statistics per question, the plot, every student's total and status
    score_distribution.png    histogram of the points per question
    feedback/, logs/          written by the grading workers
"""
import csv
import statistics
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from nbgrader.api import Gradebook  # noqa: E402

from autograder.course import question_id  # noqa: E402


def grade_table(asg, db_url, students):
    """[{"student", <question>: points, ..., "total", "pending": [questions awaiting manual grading]}].

    Points come from nbgrader's gradebook: a cell's score is its manual score if a grader gave one,
    otherwise its autograded score.
    """
    rows = []
    with Gradebook(db_url) as gb:
        for student in sorted(students):
            row = {"student": student, **dict.fromkeys(asg.questions, 0.0), "pending": []}
            submission = gb.find_submission(asg.name, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    question = question_id(grade.name)
                    row[question] += grade.score
                    if grade.needs_manual_grade and question not in row["pending"]:
                        row["pending"].append(question)
            row["total"] = sum(row[q] for q in asg.questions)
            rows.append(row)
    return rows


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
            if result["failure"]:
                parts.append(f"{where}{result['failure']} (0 points for its tests)")
            by_text = {}
            for grade_id, text in result["notes"]:
                by_text.setdefault(text, []).append(grade_id or "notebook")
            parts += [f"{where}{_cells(ids)}: {text}" for text, ids in by_text.items()]
        lines[student] = "; ".join(parts) if parts else "ok"
    return lines


def _cells(ids):
    """"q1_test, q2_test", or "13 cells (q1_a, q1_b, ...)" when there are many."""
    return ", ".join(ids) if len(ids) <= 4 else f"{len(ids)} cells ({', '.join(ids[:3])}, ...)"


def plot_distribution(asg, rows, path):
    """Save a histogram of the points of every question (one panel each) to path."""
    maxima = asg.max_points()
    columns = min(4, len(maxima))
    panels = (len(maxima) + columns - 1) // columns
    fig, axes = plt.subplots(panels, columns, figsize=(3.2 * columns, 2.8 * panels), squeeze=False)
    for ax, (question, top) in zip(axes.flat, maxima.items()):
        scores = [row[question] for row in rows]
        whole = float(top).is_integer() and all(float(s).is_integer() for s in scores)
        # one bar per whole point, centred on it; ten bins when there is partial credit
        edges = [x - 0.5 for x in range(int(top) + 2)] if whole else [top * i / 10 for i in range(11)]
        ax.hist(scores, bins=edges, color="tab:blue", edgecolor="white")
        if whole:
            ax.set_xticks(range(int(top) + 1))
        ax.set_title(f"{question} (max {top:g})")
        ax.set_xlabel("points")
        ax.set_ylabel("students")
    for ax in list(axes.flat)[len(maxima):]:
        ax.set_visible(False)
    fig.suptitle(f"Score distribution per question: {asg.name} ({len(rows)} students)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(reports_dir, asg, db_url, imported, results):
    """Write grades.csv, status.txt, summary.md and score_distribution.png; returns the grade table rows."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    rows = grade_table(asg, db_url, imported.folders)
    status = status_lines(asg, imported, results)
    with open(reports_dir / "grades.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *asg.questions, "total"])
        for row in rows:
            writer.writerow([row["student"], *(f"{row[q]:g}" for q in asg.questions), f"{row['total']:g}"])
    (reports_dir / "status.txt").write_text("".join(f"{s}: {line}\n" for s, line in status.items()))
    if rows:
        plot_distribution(asg, rows, reports_dir / "score_distribution.png")
    (reports_dir / "summary.md").write_text(summary(asg, rows, status, imported))
    return rows


def summary(asg, rows, status, imported):
    """The summary page (markdown)."""
    maxima = asg.max_points()
    total = sum(maxima.values())
    lines = [f"# {asg.name}: grading summary", "",
             f"Graded {datetime.now():%Y-%m-%d %H:%M}: {len(rows)} students, "
             f"{sum(line != 'ok' for line in status.values())} with remarks (see the table), "
             f"{len(imported.unmatched)} unmatched files.", "",
             "| question | max | mean | median | min | full marks |", "|---|---|---|---|---|---|"]
    for question, top in maxima.items():
        scores = [row[question] for row in rows] or [0.0]
        lines.append(f"| {question} | {top:g} | {statistics.mean(scores):.2f} | {statistics.median(scores):g} | "
                     f"{min(scores):g} | {sum(s >= top for s in scores)} |")
    lines += ["", "![Score distribution per question](score_distribution.png)", ""]
    pending = sorted({q for row in rows for q in row["pending"]}, key=asg.questions.index)
    if pending:
        lines += [f"Waiting for a person in formgrader: {', '.join(pending)} (written answers, which count 0 until "
                  "graded, and tests withheld for review, whose autograded points count until then).", ""]
    lines += ["## Students", "", f"| student | total (of {total:g}) | status |", "|---|---|---|"]
    lines += [f"| {row['student']} | {row['total']:g} | {status[row['student']]} |" for row in rows]
    if imported.unmatched:
        lines += ["", "## Files that matched no student or notebook", ""]
        lines += [f"- `{path}`: {reason}" for path, reason in imported.unmatched]
    lines += ["", "Feedback for each student: `feedback/<student>/<notebook>.html`; grading logs: `logs/`.", ""]
    return "\n".join(lines)


def format_table(asg, rows):
    """The grade table as aligned plain text, for the terminal."""
    header = ["student", *asg.questions, "total"]
    maxima = asg.max_points()
    body = [[row["student"], *(f"{row[q]:g}" for q in asg.questions), f"{row['total']:g}"] for row in rows]
    body.append(["(max)", *(f"{maxima[q]:g}" for q in asg.questions), f"{sum(maxima.values()):g}"])
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths)))
                     for line in [header, *body])

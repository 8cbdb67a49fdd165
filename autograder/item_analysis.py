"""Item analysis of a graded assignment: how each question worked, from the gradebook and the graded notebooks.

For every question (its points summed over its cells, as in grades.csv), over the students whose answer is
graded:
    mean, sd          the mean score and its spread (population standard deviation: the class is all there is)
    full/partial/zero how many students got all the points, some of them, none
    difficulty        mean score / max points: 1 means everyone got everything (an easy question), 0 nobody
                      got anything
    discrimination    the Pearson correlation of the question's score with the rest of the total (the total
                      minus this question, so the question is not correlated with itself). Near 1: students who
                      did well overall did well here; near 0 or below: the question says little about the rest,
                      or the opposite. Undefined (said why) when everyone has the same score, the rest of the
                      total is the same for everyone, or fewer than 3 students are graded.
A written answer no person has graded yet is pending: left out of its question's statistics and counted. In
the rest of the total, pending answers count 0 (as in the totals) until they are graded.

For every hidden test: how many students failed it (scored less than its points in the gradebook) and the
messages they saw, read from the error outputs of the graded test cells in
autograded/<student>/<assignment>/<notebook>.ipynb (what the feedback page shows them).

reports.write puts the table and the failures into summary.md and draws item_analysis.png (plot).
"""
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import nbformat  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from nbgrader import utils  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from autograder.course import grade_id, question_id  # noqa: E402
from autograder.feedback import hidden_region  # noqa: E402

FEWEST_FOR_CORRELATION = 3  # with 2 students every correlation is +1 or -1, which says nothing
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Item:
    """One question's statistics; None where there is no graded answer (mean, sd, difficulty) or the
    correlation is undefined (discrimination, with the reason in `undefined`)."""
    question: str
    points: float
    graded: int
    pending: int
    full: int = 0
    partial: int = 0
    zero: int = 0
    mean: float | None = None
    sd: float | None = None
    difficulty: float | None = None
    discrimination: float | None = None
    undefined: str | None = None


@dataclass
class HiddenTest:
    """A hidden test: failed by `failed` of `of` students; messages: [(what students saw, how many)], most
    frequent first."""
    grade_id: str
    notebook: str
    points: float
    failed: int = 0
    of: int = 0
    messages: list = field(default_factory=list)


def analyse(maxima, rows):
    """[Item] in question order. maxima: {question: max points}; rows: reports.grade_table's rows
    ({"student", <question>: points, "total", "ungraded": [questions pending a person]})."""
    items = []
    for question, top in maxima.items():
        graded = [row for row in rows if question not in row["ungraded"]]
        item = Item(question, top, graded=len(graded), pending=len(rows) - len(graded))
        scores = [row[question] for row in graded]
        if scores:
            item.mean = statistics.fmean(scores)
            item.sd = statistics.pstdev(scores)
            item.full = sum(score >= top for score in scores)
            item.zero = sum(score <= 0 for score in scores)
            item.partial = len(scores) - item.full - item.zero
            item.difficulty = item.mean / top if top else None
        rest = [row["total"] - row[question] for row in graded]
        item.discrimination, item.undefined = correlation(scores, rest)
        items.append(item)
    return items


def correlation(scores, rest):
    """(Pearson's r of scores with rest, None) or (None, why it is undefined)."""
    if len(scores) < FEWEST_FOR_CORRELATION:
        return None, f"undefined: {len(scores)} graded (at least {FEWEST_FOR_CORRELATION} needed)"
    if len(set(scores)) == 1:
        return None, f"undefined: everyone scored {scores[0]:g}"
    if len(set(rest)) == 1:
        return None, "undefined: the rest of the total is the same for everyone"
    return statistics.correlation(scores, rest), None


def hidden_tests(asg):
    """{grade_id: (notebook, points)} of the assignment's test cells with a hidden region (from source/)."""
    pattern = hidden_region()
    tests = {}
    for notebook in asg.notebooks:
        nb = nbformat.read(Path(asg.source_dir) / f"{notebook}.ipynb", as_version=4)
        for cell in nb.cells:
            if (cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)
                    and pattern.search(cell.source)):
                tests[grade_id(cell)] = (notebook, float(cell.metadata.nbgrader["points"]))
    return tests


def hidden_test_failures(asg, db_url, students, autograded_dir):
    """[HiddenTest] of every hidden test, most often failed first. A test failed when its score in the
    gradebook (a person's, if one gave it) is below its points; the message is the error output of its cell
    in autograded_dir/<student>/<assignment>/<notebook>.ipynb."""
    tests = hidden_tests(asg)
    found = {name: HiddenTest(name, notebook, points) for name, (notebook, points) in tests.items()}
    seen = {name: Counter() for name in tests}
    with Gradebook(db_url) as gb:
        for student in students:
            for notebook in gb.find_submission(asg.name, student).notebooks:
                messages, read = None, False
                for grade in notebook.grades:
                    if grade.name not in found:
                        continue
                    found[grade.name].of += 1
                    if (grade.score or 0) < grade.max_score:
                        if not read:
                            read, messages = True, _error_messages(Path(autograded_dir) / student / asg.name
                                                       / f"{notebook.name}.ipynb")
                        found[grade.name].failed += 1
                        shown = (messages or {}).get(grade.name) or _no_message(messages, grade)
                        seen[grade.name][shown] += 1
    for name, failures in found.items():
        failures.messages = seen[name].most_common()
    return sorted(found.values(), key=lambda f: (-f.failed, f.grade_id))


def _error_messages(path):
    """{grade_id: the message of the cell's first error output} of a graded notebook; None: no such file."""
    if not path.exists():
        return None
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # a graded notebook nbformat cannot read: no messages, the counts still hold
        return None
    messages = {}
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if grade_id(cell) and errors:
            messages[grade_id(cell)] = shown_message(errors[0])
    return messages


def _no_message(messages, grade):
    if messages is None:
        return "(no graded notebook: it could not be graded or was not handed in; see status.txt)"
    return f"(no error shown; scored {grade.score or 0:g} of {grade.max_score:g})"


def shown_message(output):
    """What a student saw of an error output, in one line: the traceback line that carries the message (the
    judge's words, or "Ename: evalue"), without colour codes; at most 200 characters."""
    evalue = (output.get("evalue") or "").strip()
    first = evalue.splitlines()[0] if evalue else ""
    text = f"{output.get('ename', 'Error')}: {first}" if first else output.get("ename", "Error")
    for line in output.get("traceback", []):
        line = ANSI.sub("", line).strip()
        if first and first in line:
            text = line
            break
    return text if len(text) <= 200 else text[:197] + "..."


def plot(items, path, title):
    """Save item_analysis.png: per question, the students with full, partial, zero and pending scores
    (stacked bars), and each question's difficulty against its discrimination."""
    fig, (bars, scatter) = plt.subplots(1, 2, figsize=(12, max(4.5, 0.45 * len(items) + 2)))
    names = [item.question for item in items][::-1]  # first question on top
    left = [0] * len(items)
    for label, colour, counts in (("full marks", "tab:green", [i.full for i in items]),
                                  ("partial", "tab:orange", [i.partial for i in items]),
                                  ("zero", "tab:red", [i.zero for i in items]),
                                  ("pending", "lightgrey", [i.pending for i in items])):
        counts = counts[::-1]
        bars.barh(names, counts, left=left, color=colour, label=label, edgecolor="white")
        left = [a + b for a, b in zip(left, counts)]
    bars.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
    bars.set_xlabel("students")
    bars.set_ylabel("question")
    bars.set_title("Scores per question")
    bars.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, fontsize="small", frameon=False)

    scatter.axhspan(-1, 0.2, color="tab:red", alpha=0.07)
    scatter.axhline(0, color="grey", linewidth=0.8)
    defined = [item for item in items if item.discrimination is not None]
    scatter.scatter([i.difficulty for i in defined], [i.discrimination for i in defined], color="tab:blue")
    at = {}  # questions at the same point share one label
    for item in defined:
        at.setdefault((round(item.difficulty, 3), round(item.discrimination, 3)), []).append(item.question)
    for point, questions in at.items():
        scatter.annotate(", ".join(questions), point, textcoords="offset points", xytext=(5, 4))
    undefined = [item.question for item in items if item.discrimination is None]
    if undefined:
        scatter.text(0.02, -0.95, "discrimination undefined: " + ", ".join(undefined), fontsize="small",
                     color="dimgrey")
    scatter.text(0.02, 0.12, "below 0.2: weak discrimination", fontsize="small", color="tab:red")
    scatter.set_xlim(-0.05, 1.05)
    scatter.set_ylim(-1.05, 1.05)
    scatter.set_xlabel("difficulty (mean score / max points; 1 = everyone got everything)")
    scatter.set_ylabel("discrimination (r with the rest)")
    scatter.set_title("Difficulty and discrimination")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown(items, failures, students, image="item_analysis.png", most=5):
    """The summary's item-analysis section (lines of markdown): the table, the plot, and the hidden tests
    failed most often (at most `most`) with what their students saw."""
    def share(count, item):
        return f"{count} ({count / item.graded:.0%})" if item.graded else "-"

    lines = ["## Item analysis", "",
             "Over graded answers (pending ones are counted apart). Difficulty: mean / max (1 = everyone got "
             "everything). Discrimination: correlation of the question's score with the rest of the total "
             "(the total minus this question; above 0.2 is usually wanted).", "",
             "| question | max | graded | pending | mean | sd | full | partial | zero | difficulty | "
             "discrimination |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for item in items:
        if not item.graded:
            lines.append(f"| {item.question} | {item.points:g} | 0 | {item.pending} | pending | | | | | | |")
            continue
        discrimination = item.undefined if item.discrimination is None else f"{item.discrimination:.2f}"
        difficulty = "-" if item.difficulty is None else f"{item.difficulty:.2f}"
        lines.append(f"| {item.question} | {item.points:g} | {item.graded} | {item.pending} | {item.mean:.2f} | "
                     f"{item.sd:.2f} | {share(item.full, item)} | {share(item.partial, item)} | "
                     f"{share(item.zero, item)} | {difficulty} | {discrimination} |")
    lines += ["", f"![Scores, difficulty and discrimination per question]({image})", "",
              "### Hidden tests failed most often", ""]
    failed = [f for f in failures if f.failed][:most]
    if not failures:
        lines.append("The assignment has no hidden tests.")
    elif not failed:
        lines.append(f"Every hidden test passed for all {students} students.")
    for test in failed:
        unit = "point" if test.points == 1 else "points"
        lines.append(f"- `{test.grade_id}` ({question_id(test.grade_id)}, {test.notebook}.ipynb, "
                     f"{test.points:g} {unit}): failed by {test.failed} of {test.of} students. They saw:")
        lines += [f"  - {count} × {_quoted(text)}" for text, count in test.messages[:3]]
        if len(test.messages) > 3:
            others = len(test.messages) - 3
            lines.append(f"  - and {others} other message{'' if others == 1 else 's'}")
    lines.append("")
    return lines


def _quoted(text):
    """A message as inline code (backticks inside it doubled up to fit)."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"

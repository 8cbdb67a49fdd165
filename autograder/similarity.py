"""Which students' answers look copied: a similarity report of the solution cells, for a person to judge.

    python -m autograder similarity 04_digits            # reports/04_digits/similarity.md and .html

It never changes a grade: it points a person at pairs worth reading side by side. The method is MOSS's
(Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for document fingerprinting", SIGMOD 2003):
    1. normalise each solution cell, so that what does not change the program does not count:
       code is parsed with `ast` (IPython's magics first turned into Python): comments, docstrings and layout are
       gone; every name the student chose (a function's arguments and locals; a module-level name the release
       does not mention) becomes one placeholder; consecutive statements with no data dependence between them
       are put in one canonical order. A cell that does not parse falls back to `tokenize`'s tokens (and is
       named in the report). Written answers (markdown) are their lower-cased words.
    2. fingerprint: hash every run of K tokens (a k-gram) and keep the smallest hash of every window of W
       k-grams (winnowing): any copied run of at least K + W - 1 tokens leaves a shared fingerprint.
    3. leave out what students did not write: every k-gram of the release (all its cells, scaffolding, "# YOUR
       CODE HERE" and "raise NotImplementedError()" included, made from source/ by nbgrader's own
       preprocessors), and common code: fingerprints that more than max(COMMON_AT_LEAST, COMMON_SHARE of the
       class) students have in one question are how the task is solved, not copying.
    4. score: for each question, a pair's score is the Jaccard index of their fingerprints (shared / either's);
       the overall score is the same over all questions' fingerprints together.
An inverted index from fingerprint to students finds the pairs that share anything, so pairs that share nothing
cost nothing; common fingerprints are never expanded into pairs (benchmarks/similarity.py measures the growth).
"""
import html
from pathlib import Path

# Every step's public names stay importable from here, the entry point (tests and benchmarks use them).
from autograder.similarity_fingerprint import (COMMON_AT_LEAST, COMMON_SHARE, K, W, Answer, Pair, Similarity,
                                               compare, fingerprint, given_code, kgram_hashes, ranked_pairs, winnow)
from autograder.similarity_normalise import Given, code_tokens, text_tokens
from autograder.similarity_notebooks import read_answers, release_of

__all__ = ["COMMON_AT_LEAST", "COMMON_SHARE", "K", "W", "Answer", "Pair", "Similarity", "Given", "compare",
           "fingerprint", "given_code", "kgram_hashes", "ranked_pairs", "winnow", "code_tokens", "text_tokens",
           "read_answers", "release_of", "TOP", "NOTE", "write", "remarks", "markdown", "page"]

TOP = 20  # pairs shown: more than a person reads closely in one sitting
NOTE = ("For a person to judge: a high score says two answers are alike once comments, layout, the names "
        "students chose and the order of independent statements are set aside, and once the code the release "
        "gave and code much of the class shares are left out. Honest answers to a short question can be alike; "
        "read them side by side before drawing any conclusion. This report never changes a grade.")


def write(reports_dir, asg, paths, top=TOP):
    """Compare the class and write similarity.md and similarity.html into reports_dir; returns the Similarity.
    asg: a course.Assignment; paths: {student: [folders holding the student's notebooks, first found wins]}."""
    answers, unreadable = read_answers(asg.notebooks, paths)
    found = compare(answers, release_of(Path(asg.source_dir).parent.parent, asg.name), asg.name, asg.questions)
    found.unreadable = unreadable
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / "similarity.md").write_text(markdown(found, top), encoding="utf-8")
    (reports_dir / "similarity.html").write_text(page(found, top), encoding="utf-8")
    return found


def _md(text):
    """Text from a student (a name, a grade id) safe in a markdown table: no HTML, no column breaks."""
    return html.escape(str(text)).replace("|", "\\|").replace("`", "\\`")


def remarks(found):
    """Sentences about what could not be compared as usual."""
    lines = [f"{student}: no notebook could be read (not handed in, or not a notebook); not compared"
             for student in found.unreadable]
    lines += [f"{student}: {cell_id} does not parse as Python; compared by its tokens"
              for student, by_question in sorted(found.answers.items()) for answer in by_question.values()
              for cell_id in answer.unparsed]
    return lines


def _summary(found):
    students = len(found.answers)
    possible = students * (students - 1) // 2
    common = sum(found.common.values())
    return (f"{students} students, {len(found.questions)} questions with solution cells; {len(found.pairs)} of "
            f"{possible} pairs share anything; {common} fingerprints shared by more than "
            f"max({COMMON_AT_LEAST}, {COMMON_SHARE:.0%} of the class) students in a question are left out as "
            "common code.")


def markdown(found, top=TOP):
    """similarity.md: the pairs ranked overall, then per question, with scores."""
    lines = [f"# {_md(found.assignment)}: similarity of solution cells", "", f"**{NOTE}**", "", _summary(found),
             "Side by side, with the matching lines marked: [similarity.html](similarity.html).", "",
             f"## Pairs, most similar first (top {top})", ""]
    if not found.pairs:
        lines.append("No two students share any fingerprint outside the release and common code.")
    else:
        lines += ["Score: the Jaccard index of the pair's fingerprints (shared / either's), 0 to 1.", "",
                  "| rank | students | overall | shared | most alike |", "|---|---|---|---|---|"]
        for rank, pair in enumerate(found.pairs[:top], 1):
            alike = sorted(pair.scores.items(), key=lambda item: -item[1])[:3]
            lines.append(f"| {rank} | {_md(pair.a)}, {_md(pair.b)} | {pair.score:.2f} | {sum(pair.shared.values())} | "
                         + ", ".join(f"{_md(q)} {s:.2f}" for q, s in alike) + " |")
    lines += ["", "## Per question", ""]
    for question in found.questions:
        ranked = sorted((p for p in found.pairs if question in p.scores),
                        key=lambda p: (-p.scores[question], -p.shared[question], p.a, p.b))
        lines += [f"### {_md(question)}", ""]
        if not ranked:
            lines += ["No pair shares anything here.", ""]
            continue
        lines += ["| rank | students | score | shared |", "|---|---|---|---|"]
        lines += [f"| {rank} | {_md(p.a)}, {_md(p.b)} | {p.scores[question]:.2f} | {p.shared[question]} |"
                  for rank, p in enumerate(ranked[:min(top, 5)], 1)]
        lines.append("")
    notes = remarks(found)
    if notes:
        lines += ["## Remarks", ""] + [f"- {_md(line)}" for line in notes] + [""]
    return "\n".join(lines)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
.note { background: #fff4d6; border-left: 4px solid #e0a800; padding: .6em 1em; max-width: 70em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .2em .6em; text-align: left; }
section { margin-top: 2em; border-top: 2px solid #888; }
.sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }
.cell { font-size: .85em; color: #555; margin: .4em 0 0 0; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: .3em 0; margin: 0; font-size: .85em; }
pre span { display: block; padding: 0 .5em 0 3.5em; text-indent: -3em; white-space: pre-wrap; }
pre span.hit { background: #ffd6d6; }
pre span.given { color: #999; }
pre i { display: inline-block; width: 3em; text-indent: 0; color: #999; font-style: normal; user-select: none; }
"""


def page(found, top=TOP):
    """similarity.html: one offline page (no scripts, no requests: its Content-Security-Policy forbids them),
    the ranking and, for each top pair, every question they share side by side with the matching lines marked.
    Everything from students is escaped."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
             f"<title>Similarity: {e(found.assignment)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{e(found.assignment)}: similarity of solution cells</h1>", f'<p class="note">{e(NOTE)}</p>',
             f"<p>{e(_summary(found))} Lines marked red hold code both students have; grey lines are the "
             "release's.</p>"]
    notes = remarks(found)
    if notes:
        parts.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in notes) + "</ul>")
    if not found.pairs:
        parts.append("<p>No two students share any fingerprint outside the release and common code.</p>")
    else:
        parts.append("<table><tr><th>rank</th><th>students</th><th>overall</th><th>shared</th></tr>")
        parts += [f'<tr><td><a href="#pair-{rank}">{rank}</a></td><td>{e(p.a)}, {e(p.b)}</td>'
                  f"<td>{p.score:.2f}</td><td>{sum(p.shared.values())}</td></tr>"
                  for rank, p in enumerate(found.pairs[:top], 1)]
        parts.append("</table>")
    for rank, pair in enumerate(found.pairs[:top], 1):
        parts.append(f'<section id="pair-{rank}"><h2>{rank}. {e(pair.a)} and {e(pair.b)}: {pair.score:.2f} '
                     "overall</h2>")
        for question in found.questions:
            if question not in pair.scores:
                continue
            parts.append(f"<h3>{e(question)}: {pair.scores[question]:.2f} ({pair.shared[question]} fingerprints "
                         "shared)</h3>")
            one, other = found.answers[pair.a][question], found.answers[pair.b][question]
            both = one.prints.keys() & other.prints.keys()
            parts.append('<div class="sides">' + _side(pair.a, one, both, found.given_lines)
                         + _side(pair.b, other, both, found.given_lines) + "</div>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _side(student, answer, shared, given_lines):
    """One student's cells of a question: lines holding a shared fingerprint marked, the release's grey."""
    e = html.escape
    marked = {place for h in shared for place in answer.prints[h]}
    out = [f"<div><h4>{e(student)}</h4>"]
    for cell_id, _, source in answer.cells:
        out.append(f'<p class="cell">{e(cell_id)}</p><pre>')
        for n, line in enumerate(source.splitlines() or [""], 1):
            kind = "given" if line.strip() in given_lines else "hit" if (cell_id, n) in marked else ""
            out.append(f'<span{" class=" + kind if kind else ""}><i>{n}</i>{e(line)}</span>')
        out.append("</pre>")
    return "".join(out) + "</div>"

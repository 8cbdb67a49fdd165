"""How the similarity report (autograder/similarity.py) grows with the class: synthetic classes of N students.

    python benchmarks/similarity.py [--students 50,100,200,300,600] [--questions 10] [--seed 0]

Each student answers every question with a function of 8 to 20 random statements (assignments of numpy
expressions, loops, conditions, appends) over names of their own. A share of the class (USUAL) writes the usual
answer of each question instead, in their own names and order with a statement of their own added: shared by
more than a fifth of the class, it is common code. One student in 50 hands in a near-copy of another's whole
notebook (other names, independent statements swapped, comments added). Timed, for each N:
    fingerprint  normalising and winnowing every answer, and the release of 01_gradient_descent
    pairs        the inverted index, the pairs that share anything, their scores and the ranking
    naive        for contrast: intersecting the fingerprints of every pair in every question
    report       writing similarity.md and similarity.html (top 20)
and counted: the pairs expanded from the index (every pair of students on each fingerprint's list), the pairs
that share anything, and where the planted copies rank. Nothing is asserted.
"""
import argparse
import itertools
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import similarity  # noqa: E402

USUAL = 0.3
NAMES = ["x", "y", "z", "w", "b", "h", "loss", "grad", "out", "acc", "total", "step", "lr", "prev", "cur", "tmp",
         "val", "res", "delta", "scale", "n", "m", "k", "idx", "mask", "probs", "logits", "err", "best", "history"]
FUNCTIONS = ["np.exp", "np.sum", "np.mean", "np.abs", "np.sqrt", "np.maximum", "np.clip", "np.log", "len"]
CONSTANTS = ["0", "1", "2", "0.5", "1e-12", "10"]


def expression(rng, names, depth=0):
    """A random numpy expression over names."""
    choice = rng.random()
    if depth > 2 or choice < 0.3:
        return rng.choice(names) if rng.random() < 0.7 else rng.choice(CONSTANTS)
    if choice < 0.6:
        op = rng.choice(["+", "-", "*", "/", "@"])
        return f"({expression(rng, names, depth + 1)} {op} {expression(rng, names, depth + 1)})"
    if choice < 0.85:
        return f"{rng.choice(FUNCTIONS)}({expression(rng, names, depth + 1)})"
    return f"{rng.choice(names)}.T"


def statements(rng, names, count, indent="    "):
    """count random statement lines (loops and conditions with bodies of their own)."""
    lines = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.6:
            lines.append(f"{indent}{rng.choice(names)} = {expression(rng, names)}")
        elif kind < 0.75:
            lines.append(f"{indent}for {rng.choice(names)} in range({rng.choice(CONSTANTS)}):")
            lines += statements(rng, names, rng.randint(1, 3), indent + "    ")
        elif kind < 0.9:
            lines.append(f"{indent}if {rng.choice(names)} > {rng.choice(CONSTANTS)}:")
            lines += statements(rng, names, rng.randint(1, 2), indent + "    ")
        else:
            lines.append(f"{indent}{rng.choice(names)}.append({expression(rng, names)})")
    return lines


ASSIGNMENT = re.compile(r"^(\s*)(\w+) = (.*)$")


def disguised(source, rng):
    """The same code with other names, neighbouring independent assignments swapped, comments added."""
    mapping = dict(zip(NAMES, rng.sample([f"{name}_{rng.randrange(99)}" for name in NAMES], len(NAMES))))
    lines = [re.sub(r"\b(" + "|".join(NAMES) + r")\b", lambda m: mapping[m.group(1)], line)
             for line in source.splitlines()]
    for i in range(len(lines) - 1):
        one, other = ASSIGNMENT.match(lines[i]), ASSIGNMENT.match(lines[i + 1])
        if (one and other and one.group(1) == other.group(1) and one.group(2) != other.group(2) and rng.random() < 0.5
                and not re.search(rf"\b{one.group(2)}\b", other.group(3))
                and not re.search(rf"\b{other.group(2)}\b", one.group(3))):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
    out = []
    for line in lines:
        out.append(line)
        if rng.random() < 0.2:
            out.append(line[:len(line) - len(line.lstrip())] + "# as the lecture said")
    return "\n".join(out)


def synthetic_class(students, questions, seed):
    """({student: {question: Answer}}, [(copier, original)])."""
    rng = random.Random(seed)
    usual = {q: "\n".join(statements(random.Random(f"{seed}-{q}"), NAMES[:8], 10)) for q in range(questions)}
    answers, planted = {}, []
    for s in range(students):
        student = f"student{s:04d}"
        if s % 50 == 49:
            original = f"student{rng.randrange(s):04d}"
            planted.append((student, original))
            answers[student] = {q: similarity.Answer([(answer.cells[0][0], "code", disguised(answer.cells[0][2], rng))])
                                for q, answer in answers[original].items()}
            continue
        names = rng.sample(NAMES, 12)
        by_question = {}
        for q in range(questions):
            if rng.random() < USUAL:
                body = disguised(usual[q], rng) + "\n" + "\n".join(statements(rng, names, 1))
            else:
                body = "\n".join(statements(rng, names, rng.randint(8, 20)))
            by_question[f"q{q + 1}"] = similarity.Answer([(f"q{q + 1}_answer", "code",
                                                           f"def answer_{q}(x, y):\n{body}\n    return x")])
        answers[student] = by_question
    return answers, planted


def measure(students, questions, seed, release):
    answers, planted = synthetic_class(students, questions, seed)
    started = time.perf_counter()
    given = similarity.given_code(release)
    for by_question in answers.values():
        for answer in by_question.values():
            similarity.fingerprint(answer, given)
    fingerprinted = time.perf_counter()
    names = sorted({q for by_question in answers.values() for q in by_question})
    expanded = 0
    for q in names:  # the work the index does: every pair on every fingerprint's list that is not common
        index = {}
        for student, by_question in answers.items():
            for h in by_question[q].prints:
                index.setdefault(h, []).append(student)
        limit = max(similarity.COMMON_AT_LEAST, int(similarity.COMMON_SHARE * students))
        expanded += sum(len(v) * (len(v) - 1) // 2 for v in index.values() if len(v) <= limit)
    counted = time.perf_counter()
    pairs, common = similarity.ranked_pairs(answers, names)
    ranked = time.perf_counter()
    naive = sum(1 for a, b in itertools.combinations(sorted(answers), 2)
                if any(answers[a][q].prints.keys() & answers[b][q].prints.keys() for q in names))
    naive_seconds = time.perf_counter() - ranked
    found = similarity.Similarity("synthetic", answers, pairs, names, common=common)
    with tempfile.TemporaryDirectory() as tmp:
        written = time.perf_counter()
        (Path(tmp) / "similarity.md").write_text(similarity.markdown(found))
        (Path(tmp) / "similarity.html").write_text(similarity.page(found))
        report = time.perf_counter() - written
    rank = {frozenset((p.a, p.b)): i for i, p in enumerate(pairs, 1)}
    copies = sorted(rank.get(frozenset(pair), 0) for pair in planted)
    return {"students": students, "pairs": students * (students - 1) // 2, "fingerprint": fingerprinted - started,
            "pairs_s": ranked - counted, "naive": naive_seconds, "report": report, "expanded": expanded,
            "sharing": len(pairs), "naive_sharing": naive, "copies": copies, "common": sum(common.values())}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", default="50,100,200,300,600", help="class sizes, comma-separated")
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    release = similarity.release_of(ROOT, "01_gradient_descent")
    print(f"{args.questions} questions; times in seconds\n")
    print("| students | pairs | fingerprint | pairs (index) | naive all pairs | report | pairs expanded | "
          "pairs sharing | planted copies' ranks |")
    print("|---|---|---|---|---|---|---|---|---|")
    for students in map(int, args.students.split(",")):
        r = measure(students, args.questions, args.seed, release)
        if r["sharing"] != r["naive_sharing"]:
            print(f"the index found {r['sharing']} pairs, comparing every pair {r['naive_sharing']}", file=sys.stderr)
        print(f"| {students} | {r['pairs']:,} | {r['fingerprint']:.2f} | {r['pairs_s']:.2f} | {r['naive']:.2f} | "
              f"{r['report']:.2f} | {r['expanded']:,} | {r['sharing']:,} | "
              f"{', '.join(map(str, r['copies'])) or '-'} |", flush=True)


if __name__ == "__main__":
    main()

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
import ast
import hashlib
import heapq
import html
import io
import itertools
import keyword
import re
import tokenize
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearSolutions

from autograder.course import grade_id, load_config, nbgrader_metadata, question_id

K = {"code": 12, "text": 6}  # tokens per k-gram: code has ~6 AST nodes per short statement, text one word a token
W = {"code": 6, "text": 4}  # window: a copied run of K + W - 1 tokens (about three statements, nine words) is found
COMMON_AT_LEAST = 10  # MOSS's default: a fingerprint up to 10 students share is never "common"
COMMON_SHARE = 0.2  # ...and above that, one a fifth of the class shares is the usual way to write it
PLACEHOLDER = "V"  # every name a student chose
MOVABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Import, ast.ImportFrom, ast.FunctionDef,
           ast.AsyncFunctionDef, ast.ClassDef)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@dataclass
class Answer:
    """A student's solution cells of one question. cells: [(grade_id, "code" or "text", source)];
    prints: {fingerprint: {(grade_id, line), ...}} where the k-gram came from (1-based lines);
    unparsed: grade_ids of code cells that did not parse (compared by their tokens)."""
    cells: list
    prints: dict = field(default_factory=dict)
    unparsed: list = field(default_factory=list)


@dataclass
class Pair:
    """Two students (a < b) who share fingerprints. shared: {question: n}; scores: {question: Jaccard index};
    score: the Jaccard index over all questions."""
    a: str
    b: str
    shared: dict
    scores: dict
    score: float


@dataclass
class Similarity:
    """A class's similarity: answers {student: {question: Answer}}, pairs ranked (highest score first), the
    questions compared, the students without a readable notebook, common fingerprints left out per question."""
    assignment: str
    answers: dict
    pairs: list
    questions: list
    unreadable: list = field(default_factory=list)
    common: dict = field(default_factory=dict)
    given_lines: frozenset = frozenset()  # the release's lines, stripped: shown grey and never marked


# 1. Normalising

@dataclass(frozen=True)
class Given:
    """What the release gave: hashes, every k-gram hash of its cells; names, every identifier in it (kept when a
    student binds them at module level: they are the task's interface); statements, the label sequence of every
    statement of its code (dropped from answers whole, pasted or kept, wherever they stand)."""
    hashes: frozenset = frozenset()
    names: frozenset = frozenset()
    statements: frozenset = frozenset()


def code_tokens(source, given=Given()):
    """([(token, line)], parsed) of a code cell: AST node labels in the canonical statement order, the
    release's statements left out; or, when the cell does not parse (or nests deeper than Python's recursion
    limit), tokenize's tokens and False."""
    try:
        tree = _parse(source)
        chosen = _chosen_names(tree, given.names)
        _canonical_order(tree, chosen)
        _drop(tree, chosen, given.statements)
        return _labels(tree, chosen), True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _raw_tokens(source), False


def text_tokens(source):
    """[(word, line)] of a written answer, lower-cased."""
    return [(word.lower(), number) for number, line in enumerate(source.splitlines(), 1)
            for word in re.findall(r"\w+", line)]


def _parse(source):
    """The cell's tree; a cell with IPython's magics (%timeit, !ls) is first turned into Python as IPython does."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return ast.parse(TransformerManager().transform_cell(source))


def _chosen_names(tree, given_names):
    """Names the student chose, by name within the cell (not scope by scope: close enough to compare): bound
    inside a function (arguments, assignments, loop variables, inner functions), or bound at module level
    and not named by the release. Names declared global are the notebook's, never chosen."""
    in_function, at_module = set(), set()
    for scope in ast.walk(tree):
        if isinstance(scope, SCOPES):
            in_function.update(_bound(scope, inside=True))
    at_module.update(_bound(tree, inside=False))
    declared = {name for node in ast.walk(tree) if isinstance(node, (ast.Global, ast.Nonlocal)) for name in node.names}
    return (in_function | (at_module - set(given_names))) - declared


def _bound(node, inside):
    """Names node binds; inside=False stops at functions (their own names still count)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.arg) and inside:
            yield child.arg
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            yield child.id
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child.name
        if inside or not isinstance(child, SCOPES):
            yield from _bound(child, inside)


def _canonical_order(tree, chosen):
    """Reorder, in place and innermost first, every run of consecutive movable statements (assignments,
    expression statements, imports, definitions) into one order any reordering of the run that keeps its data
    dependences would also give: the smallest label sequence first among those whose dependences are met."""
    for node, name in reversed(list(_statement_lists(tree))):
        setattr(node, name, _ordered(getattr(node, name), chosen))


def _statement_lists(tree):
    """(node, field) of every list of statements in the tree, outermost first."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            statements = getattr(node, name, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                yield node, name


def _drop(tree, chosen, given):
    """Leave out, in place, every statement whose labels are those of a statement of the release."""
    spans = {}  # a statement's labels are a slice of the tree's (pre-order): one pass for all of them
    labels = [label for label, _ in _labels(tree, chosen, spans)]
    for node, name in list(_statement_lists(tree)):
        setattr(node, name, [s for s in getattr(node, name)
                             if id(s) not in spans or tuple(labels[slice(*spans[id(s)])]) not in given])


def _key(statement, chosen):
    return tuple(label for label, _ in _labels(statement, chosen))


def _ordered(statements, chosen):
    out, run = [], []
    for statement in [part for statement in statements for part in _split(statement)] + [None]:
        if isinstance(statement, MOVABLE):
            run.append(statement)
            continue
        out += _sorted_run(run, chosen)
        run = []
        if statement is not None:
            out.append(statement)
    return out


def _split(statement):
    """a, b = x, y as a = x and b = y, when no value reads a target (a, b = b, a must stay a swap)."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Tuple) and isinstance(statement.value, ast.Tuple)
            and len(statement.targets[0].elts) == len(statement.value.elts)
            and not any(isinstance(t, ast.Starred) for t in statement.targets[0].elts + statement.value.elts)):
        return [statement]
    targets = {_dotted(t) for t in statement.targets[0].elts}
    if None in targets or any(isinstance(n, ast.Name) and n.id in {t.split(".")[0] for t in targets}
                              for value in statement.value.elts for n in ast.walk(value)):
        return [statement]
    return [ast.copy_location(ast.Assign(targets=[t], value=v), statement)
            for t, v in zip(statement.targets[0].elts, statement.value.elts)]


def _sorted_run(run, chosen):
    """Kahn's topological sort of a run, by the statements' labels (names as the placeholder) then position."""
    if len(run) < 2:
        return run
    effects = [_reads_writes(statement, chosen) for statement in run]
    before = {j: {i for i in range(j) if _depends(effects[i], effects[j])} for j in range(len(run))}
    keys = [_key(statement, chosen) for statement in run]
    ready = [(keys[j], j) for j in range(len(run)) if not before[j]]
    heapq.heapify(ready)
    done, out = set(), []
    while ready:
        _, i = heapq.heappop(ready)
        done.add(i)
        out.append(run[i])
        for j in range(len(run)):
            if j not in done and i in before[j] and before[j] <= done:  # i was the last one j waited for
                heapq.heappush(ready, (keys[j], j))
    return out


def _reads_writes(statement, chosen):
    """(reads, writes) of a statement as dotted names ("self.W"). A method call on a chosen name
    (x_hist.append, rng.normal) writes that name; so does any call an expression statement makes (print,
    plt.plot: it is there for its effect). Other calls are taken to be pure, as numpy's are."""
    reads, writes = set(), set()
    targets = {id(t) for node in ast.walk(statement) if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
               for t in (node.targets if isinstance(node, ast.Assign) else [node.target])}
    for node in ast.walk(statement):
        if id(node) in targets:
            writes.update(_stored(node))
            if isinstance(statement, ast.AugAssign):
                reads.update(_stored(node))
        elif isinstance(node, (ast.Name, ast.Attribute)) and _dotted(node):
            reads.add(_dotted(node))
        elif isinstance(node, ast.Call) and _dotted(node.func):
            base = _dotted(node.func).split(".")[0]
            if isinstance(statement, ast.Expr) or (base in chosen and isinstance(node.func, ast.Attribute)):
                writes.add(base)
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        writes.update((alias.asname or alias.name).split(".")[0] for alias in statement.names)
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        writes.add(statement.name)
    return reads, writes


def _stored(target):
    """Dotted names an assignment target writes: x, self.W, and the container of x[i]."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return {name for element in target.elts for name in _stored(element)}
    if isinstance(target, ast.Starred):
        return _stored(target.value)
    if isinstance(target, ast.Subscript):
        return _stored(target.value)
    return {_dotted(target)} if _dotted(target) else set()


def _dotted(node):
    """"self.W" for the expression self.W, "x" for x, None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and _dotted(node.value):
        return f"{_dotted(node.value)}.{node.attr}"
    return None


def _depends(first, second):
    """Whether the second statement must stay after the first: one writes what the other reads or writes."""
    (reads1, writes1), (reads2, writes2) = first, second
    return any(_overlap(w, other) for w in writes1 for other in reads2 | writes2) or \
        any(_overlap(w, r) for w in writes2 for r in reads1)


def _overlap(a, b):
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _labels(tree, chosen, spans=None):
    """[(label, line)] of the tree in pre-order: a node's type with what distinguishes it (a name that is not
    chosen, an attribute, a constant, an operator); docstrings and other bare constants left out. spans, if
    given, gets {id(statement): (start, end)}: where each statement's labels are in the list."""
    out = []

    def visit(node, line):
        if isinstance(node, (ast.Load, ast.Store, ast.Del)) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            return
        line = getattr(node, "lineno", line)
        label = type(node).__name__
        if isinstance(node, ast.Name):
            label += ":" + (PLACEHOLDER if node.id in chosen else node.id)
        elif isinstance(node, ast.arg):
            label += ":" + (PLACEHOLDER if node.arg in chosen else node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            label += ":" + (PLACEHOLDER if node.name in chosen else node.name)
        elif isinstance(node, ast.Attribute):
            label += ":" + node.attr
        elif isinstance(node, ast.Constant):
            label += ":" + repr(node.value)[:40]
        elif isinstance(node, ast.keyword):
            label += ":" + str(node.arg)
        elif isinstance(node, ast.alias):
            label += f":{node.name}:{node.asname}"
        start = len(out)
        out.append((label, line))
        for child in ast.iter_child_nodes(node):
            visit(child, line)
        if spans is not None and isinstance(node, ast.stmt):
            spans[id(node)] = (start, len(out))
    visit(tree, 1)
    return out


def _raw_tokens(source):
    """[(token, line)] by tokenize, as far as it gets: comments and layout left out, every name that is not a
    keyword the placeholder (there is no parse to say which names are the student's)."""
    out = []
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in skip:
                continue
            text = PLACEHOLDER if token.type == tokenize.NAME and not keyword.iskeyword(token.string) else token.string
            out.append((text, token.start[0]))
    except (tokenize.TokenError, SyntaxError):  # an unclosed bracket or string: keep the tokens before it
        pass
    return out


# 2. Fingerprints

def kgram_hashes(tokens, kind):
    """[(hash, {lines})] of every k-gram of tokens [(token, line)], in order; none when shorter than K."""
    k = K[kind]
    labels = [token for token, _ in tokens]
    return [(int.from_bytes(hashlib.blake2b("\x1f".join(labels[i:i + k]).encode(), digest_size=8).digest(), "big"),
             {line for _, line in tokens[i:i + k]}) for i in range(len(tokens) - k + 1)]


def winnow(hashes, kind):
    """The fingerprints of a k-gram sequence: the smallest hash of every window of W (the rightmost on a tie),
    each position once. Returns [(hash, {lines})]."""
    w = W[kind]
    chosen, last = [], -1
    for start in range(max(1, len(hashes) - w + 1)):
        window = hashes[start:start + w]
        if not window:
            break
        smallest = min(h for h, _ in window)
        position = start + max(i for i, (h, _) in enumerate(window) if h == smallest)
        if position != last:
            chosen.append(hashes[position])
            last = position
    return chosen


def release_of(course_root, assignment):
    """{notebook: the release notebook}, made from source/ as nbgrader generate_assignment makes it (solutions,
    hidden tests and mark schemes cleared), so that it never differs from what students were given."""
    config = load_config(course_root)
    clearing = [ClearSolutions(config=config), ClearHiddenTests(config=config), ClearMarkScheme(config=config)]
    notebooks = {}
    for path in sorted((Path(course_root) / "source" / assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for preprocessor in clearing:
            nb, _ = preprocessor.preprocess(nb, {})
        notebooks[path.stem] = nb
    return notebooks


def given_code(release):
    """The Given of release {notebook: notebook}."""
    cells = [cell for nb in release.values() for cell in nb.cells]
    names = frozenset(re.findall(r"[A-Za-z_]\w*", "\n".join(cell.source for cell in cells)))
    hashes, statements = set(), set()
    for cell in cells:
        if cell.cell_type == "markdown":
            hashes.update(h for h, _ in kgram_hashes(text_tokens(cell.source), "text"))
        elif cell.cell_type == "code":
            hashes.update(h for h, _ in kgram_hashes(code_tokens(cell.source, Given(names=names))[0], "code"))
            try:
                tree = _parse(cell.source)
            except (SyntaxError, ValueError):
                continue
            chosen = _chosen_names(tree, names)
            _canonical_order(tree, chosen)
            statements.update(_key(node, chosen) for node in ast.walk(tree) if isinstance(node, ast.stmt))
    return Given(frozenset(hashes), names, frozenset(statements))


def fingerprint(answer, given):
    """Fill answer.prints (leaving out the release's k-grams) and answer.unparsed; given: a Given."""
    for cell_id, kind, source in answer.cells:
        if kind == "code":
            tokens, parsed = code_tokens(source, given)
            if not parsed:
                answer.unparsed.append(cell_id)
        else:
            tokens = text_tokens(source)
        for h, lines in winnow(kgram_hashes(tokens, kind), kind):
            if h not in given.hashes:
                answer.prints.setdefault(h, set()).update((cell_id, line) for line in lines)


# 3. Pairs

def compare(answers, release, assignment="", order=()):
    """Similarity of a class. answers: {student: {question: Answer}} (their prints are filled here); release:
    {notebook: release notebook} (release_of); order: the assignment's questions in order (Assignment.questions),
    others answered after them."""
    given = given_code(release)
    answered = {q for by_question in answers.values() for q in by_question}
    questions = [q for q in order if q in answered] + sorted(answered - set(order))
    for by_question in answers.values():
        for answer in by_question.values():
            fingerprint(answer, given)
    pairs, common = ranked_pairs(answers, questions)
    lines = frozenset(line.strip() for nb in release.values() for cell in nb.cells for line in cell.source.splitlines())
    return Similarity(assignment, answers, pairs, questions, common=common, given_lines=lines - {""})


def ranked_pairs(answers, questions):
    """([Pair] that share a fingerprint, highest score first; {question: common fingerprints left out}) of
    fingerprinted answers; common fingerprints are removed from the answers' prints."""
    limit = max(COMMON_AT_LEAST, int(COMMON_SHARE * len(answers)))
    shared = defaultdict(Counter)  # {(a, b): {question: shared fingerprints}}
    common = {}
    for question in questions:
        index = defaultdict(list)  # the inverted index: fingerprint -> students who have it
        for student in sorted(answers):
            answer = answers[student].get(question)
            for h in answer.prints if answer else ():
                index[h].append(student)
        common[question] = {h for h, students in index.items() if len(students) > limit}
        for h, students in index.items():
            if h not in common[question]:
                for pair in itertools.combinations(students, 2):
                    shared[pair][question] += 1
        for by_question in answers.values():
            if question in by_question:
                for h in common[question] & by_question[question].prints.keys():
                    del by_question[question].prints[h]

    def size(student, question):
        answer = answers[student].get(question)
        return len(answer.prints) if answer else 0

    pairs = []
    for (a, b), counts in shared.items():
        scores = {q: n / (size(a, q) + size(b, q) - n) for q, n in counts.items()}
        either = sum(size(a, q) + size(b, q) for q in questions) - sum(counts.values())
        pairs.append(Pair(a, b, dict(counts), scores, sum(counts.values()) / either))
    pairs.sort(key=lambda p: (-p.score, -sum(p.shared.values()), p.a, p.b))
    return pairs, {q: len(c) for q, c in common.items()}


def read_answers(notebooks, paths):
    """({student: {question: Answer}}, [students with no readable notebook]). notebooks: the assignment's
    notebook names; paths: {student: [folders to look in, first found wins]}. Solution cells are found by
    their nbgrader metadata (the graded notebooks have it back where a student stripped it)."""
    answers, unreadable = {}, []
    for student, folders in paths.items():
        by_question, read = {}, 0
        for notebook in notebooks:
            found = [Path(folder) / f"{notebook}.ipynb" for folder in folders
                     if (Path(folder) / f"{notebook}.ipynb").is_file()]
            try:
                nb = nbformat.read(found[0], as_version=4)
                nbformat.validate(nb)
            except Exception:  # not handed in, or anything but a valid notebook (nbformat raises many kinds)
                continue
            read += 1
            for cell in nb.cells:
                if (isinstance(nbgrader_metadata(cell), dict) and utils.is_solution(cell)
                        and isinstance(grade_id(cell), str) and cell.cell_type in ("code", "markdown")):
                    answer = by_question.setdefault(question_id(grade_id(cell)), Answer([]))
                    answer.cells.append((grade_id(cell), "code" if cell.cell_type == "code" else "text", cell.source))
        answers[student] = by_question
        if not read:
            unreadable.append(student)
    return answers, unreadable


# 4. The report

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

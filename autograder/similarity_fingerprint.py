"""Fingerprinting and comparing for the similarity report: winnowed k-gram hashes of normalised answers, the
release's and the class's common fingerprints left out, and each pair's Jaccard scores (steps 2 to 4 of
similarity.py)."""
import hashlib
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from autograder.similarity_normalise import Given, code_tokens, statement_labels, text_tokens

K = {"code": 12, "text": 6}  # tokens per k-gram: code has ~6 AST nodes per short statement, text one word a token
W = {"code": 6, "text": 4}  # window: a copied run of K + W - 1 tokens (about three statements, nine words) is found
COMMON_AT_LEAST = 10  # MOSS's default: a fingerprint up to 10 students share is never "common"
COMMON_SHARE = 0.2  # ...and above that, one a fifth of the class shares is the usual way to write it


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
            statements.update(statement_labels(cell.source, names))
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

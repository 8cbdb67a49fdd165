"""Normalising student code for the similarity report: a solution cell as a list of tokens in which comments,
layout, the names the student chose and the order of independent statements no longer count, and the release's
own statements are left out (step 1 of similarity.py)."""
import ast
import heapq
import io
import keyword
import re
import tokenize
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

PLACEHOLDER = "V"  # every name a student chose
MOVABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Import, ast.ImportFrom, ast.FunctionDef,
           ast.AsyncFunctionDef, ast.ClassDef)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


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


def statement_labels(source, given_names):
    """The label sequence of every statement of a release cell, in the order code_tokens puts them; none when
    the cell does not parse."""
    try:
        tree = _parse(source)
    except (SyntaxError, ValueError):
        return set()
    chosen = _chosen_names(tree, given_names)
    _canonical_order(tree, chosen)
    return {_key(node, chosen) for node in ast.walk(tree) if isinstance(node, ast.stmt)}


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

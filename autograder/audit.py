"""Read a student's cells for constructs that change how tests judge, before the notebook runs.

    findings = audit_cell(source, modules={"np", "numpy"}, protected={"_reference_descent"})
    # [Finding(line=3, construct="replaces numpy.allclose (np.allclose = ...)")]

A finding does not cost points: the grader withholds the notebook's later tests for a person to review
(see preprocessors.AuditStudentCode). So the rules aim at what tampering needs and ordinary answers never
use: assigning into modules, `sys.modules`, builtins, IPython's shell, frames and closures, code objects,
exec/eval, operators that make any comparison true. Loops, einsum, scipy, classes, helper functions,
`np.random` generators, plotting and `plt.rcParams[...] = ...` are ordinary and are never flagged
(tests/test_audit.py keeps a corpus of them, with every solution cell of the course).
"""
import ast
import builtins
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based line in the cell
    construct: str  # what was found, in words, with the code


# Names whose mere use reaches the kernel's machinery or runs hidden code
NAMES = {
    "get_ipython": "uses the IPython shell (get_ipython)",
    "__builtins__": "reaches the builtins (__builtins__)",
    "__import__": "imports through __import__",
    "exec": "runs code from a string (exec)",
    "eval": "runs code from a string (eval)",
    "globals": "reaches the notebook's namespace (globals())",
    "__autograder__": "reaches the grader's judge",
}
MODULES = {
    "builtins": "imports builtins", "ctypes": "imports ctypes", "_ctypes": "imports ctypes",
    "cffi": "imports cffi", "IPython": "imports IPython's shell", "ipykernel": "imports ipykernel",
    "autograder": "imports the grader", "jupyter_client": "imports jupyter_client",
    "unittest.mock": "imports unittest.mock (monkeypatching)", "gc": None, "inspect": None, "sys": None,
    "importlib": None, "types": None, "threading": None,
}
# module attributes that tampering needs: (module, attribute) -> words
MODULE_ATTRIBUTES = {
    ("sys", "modules"): "changes or reads sys.modules", ("sys", "excepthook"): "uses sys.excepthook",
    ("sys", "displayhook"): "uses sys.displayhook", ("sys", "settrace"): "installs a trace function",
    ("sys", "setprofile"): "installs a profile function", ("sys", "meta_path"): "changes the import system",
    ("sys", "path_hooks"): "changes the import system", ("sys", "path_importer_cache"): "changes the import system",
    ("sys", "_getframe"): "inspects stack frames", ("sys", "_current_frames"): "inspects stack frames",
    ("sys", "addaudithook"): "installs an audit hook", ("sys", "breakpointhook"): "uses sys.breakpointhook",
    ("sys", "unraisablehook"): "uses sys.unraisablehook", ("sys", "monitoring"): "uses sys.monitoring",
    ("gc", "get_objects"): "searches the interpreter's objects (gc)", ("gc", "get_referrers"): "searches the "
    "interpreter's objects (gc)", ("gc", "get_referents"): "searches the interpreter's objects (gc)",
    ("inspect", "currentframe"): "inspects stack frames", ("inspect", "stack"): "inspects stack frames",
    ("inspect", "getouterframes"): "inspects stack frames", ("inspect", "getinnerframes"): "inspects stack frames",
    ("inspect", "trace"): "inspects stack frames", ("importlib", "reload"): "reloads a module",
    ("types", "CodeType"): "builds code objects", ("types", "FunctionType"): "builds functions from code objects",
    ("threading", "settrace"): "installs a trace function", ("threading", "setprofile"): "installs a profile function",
}
# attributes that reach into frames, closures and code (read or written)
INTERNALS = {"__globals__", "__closure__", "__code__", "__subclasses__", "__builtins__", "f_globals", "f_locals",
             "f_back", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "co_code", "__defaults__",
             "__kwdefaults__", "cell_contents"}
ASSIGNED_INTERNALS = {"__class__", "__bases__", "__dict__", "__call__", "__module__"}
# special methods that let an object pass any comparison or numpy check
OPERATORS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__", "__int__",
             "__index__", "__complex__", "__abs__", "__getattribute__", "__instancecheck__", "__subclasscheck__",
             "__del__", "__array__", "__array_ufunc__", "__array_function__", "__array_wrap__",
             "__array_finalize__", "__array_priority__", "__array_interface__", "__array_struct__"}
BUILTINS = {name for name in dir(builtins) if not name.startswith("_")}
CONFIG_NAMESPACES = {"rcParams", "options"}  # plt.rcParams[...], pd.options.display...: settings, not code
RISKY_MAGICS = {"load_ext", "reload_ext", "run", "load", "alias_magic", "autoreload", "aimport"}


def _dotted(node):
    """'np.testing.assert_allclose' for an attribute chain rooted at a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node


def imported_names(sources):
    """{alias: module} for every import in the given cells (at any depth): what a name stands for."""
    aliases = {}
    for source in sources:
        tree = _parse(source)
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                        alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def bound_names(source):
    """Names a cell binds at its top level (assignments, def, class, import, for and with targets)."""
    tree = _parse(source)
    names = []

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            return  # what is inside belongs to another scope
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.extend(a.asname or a.name.split(".")[0] for a in node.names if a.name != "*")
        for child in ast.iter_child_nodes(node):
            visit(child)

    for node in tree.body if tree else ():
        visit(node)
    return list(dict.fromkeys(names))


def defined_functions(source):
    """Names of the functions and classes a cell defines at its top level (an instructor's helpers)."""
    tree = _parse(source)
    return [node.name for node in tree.body if tree and isinstance(
        node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))] if tree else []


def _python_only(source):
    """The cell with IPython magics and shell escapes blanked (kept as lines, so line numbers hold), and the
    findings of risky magics."""
    findings, lines = [], source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].strip()[2:].split()[0] if lines[0].strip()[2:] else ""
        if magic not in {"time", "timeit", "capture", "prun"}:
            return "", findings
        lines[0] = ""
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            magic = re.match(r"%+(\w+)", stripped)
            if magic and magic.group(1) in RISKY_MAGICS:
                findings.append(Finding(index + 1, f"uses the magic %{magic.group(1)} ({stripped[:60]})"))
            lines[index] = ""
        elif re.match(r"\s*\w+\s*=\s*[%!]", line):  # x = !ls, y = %who_ls
            lines[index] = ""
    return "\n".join(lines), findings


def _parse(source):
    try:
        return ast.parse(_python_only(source)[0])
    except (SyntaxError, ValueError):
        return None


def _code(node, source_lines):
    text = source_lines[node.lineno - 1].strip() if 0 < node.lineno <= len(source_lines) else ""
    return text if len(text) <= 70 else text[:67] + "..."


def audit_cell(source, modules=None, protected=()):
    """Findings in one student cell. modules: {alias: module} of the notebook's imports (imported_names);
    protected: names of functions and classes that read-only cells define (redefining them is flagged)."""
    python, findings = _python_only(source)
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError):
        return findings  # the cell fails when it runs: nothing it says can take effect
    lines = source.splitlines()
    aliases = dict(modules or {})
    aliases.update(imported_names([source]))
    for name, target in _module_aliases_by_assignment(tree, aliases).items():
        aliases[name] = target

    def flag(node, words):
        findings.append(Finding(node.lineno, f"{words} ({_code(node, lines)})"))

    def module_of(node):
        """The module an expression's root name stands for, or None."""
        root = _root(node)
        return aliases.get(root.id) if isinstance(root, ast.Name) else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in NAMES:
            flag(node, NAMES[node.id])
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                words = MODULES.get(name) or MODULES.get(name.split(".")[0])
                harmless = name.startswith("IPython.display") or (
                    name == "IPython" and isinstance(node, ast.ImportFrom)
                    and all(a.name in {"display"} for a in node.names))
                if words and not harmless:
                    flag(node, words)
                if isinstance(node, ast.ImportFrom):
                    for alias in node.names:
                        words = MODULE_ATTRIBUTES.get((name, alias.name)) or NAMES.get(alias.name)
                        if words:
                            flag(node, words)
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            base = module_of(node.value) if dotted else None
            if base and (base.split(".")[0], node.attr) in MODULE_ATTRIBUTES and base in {"sys", "gc", "inspect",
                                                                                          "importlib", "types",
                                                                                          "threading"}:
                flag(node, MODULE_ATTRIBUTES[(base, node.attr)])
            if node.attr in INTERNALS:
                flag(node, f"reaches into {node.attr}")
            if node.attr in NAMES:
                flag(node, NAMES[node.attr])
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                _check_target(node, module_of, flag)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            target = node.value
            if isinstance(target, ast.Attribute) and target.attr == "__dict__":
                flag(node, "writes into an object's __dict__")
            elif isinstance(target, ast.Call) and isinstance(target.func, ast.Name) and target.func.id == "vars":
                flag(node, "writes into vars()")
        elif isinstance(node, ast.Call):
            _check_call(node, module_of, flag)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in OPERATORS:
            flag(node, f"defines {node.name}, which can make any comparison pass")
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id in OPERATORS
                                                        for t in item.targets):
                    flag(item, "sets an operator that can make any comparison pass")
        elif isinstance(node, ast.Global):
            for name in node.names:
                if name in protected:
                    flag(node, f"rebinds {name}, defined in a read-only cell")
    for node in tree.body:
        for name in _top_level_definitions(node):
            if name in protected:
                flag(node, f"redefines {name}, which a read-only cell defines")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in BUILTINS:
            flag(node, f"redefines the builtin {node.name}, which tests use")
    return _unique(findings)


def _check_target(node, module_of, flag):
    """An attribute that is assigned or deleted: into a module, or a code/class internal."""
    module = module_of(node.value)
    dotted = _dotted(node)
    if node.attr in ASSIGNED_INTERNALS:
        flag(node, f"changes {node.attr}")
    elif module and not (set(dotted.split(".")) & CONFIG_NAMESPACES if dotted else False):
        name = f"{module}.{dotted.split('.', 1)[1]}" if dotted and "." in dotted else module
        flag(node, f"replaces {name}")
    elif isinstance(_root(node), ast.Call):
        flag(node, "replaces an attribute of an object it looked up")


def _check_call(node, module_of, flag):
    func = node.func
    name = func.id if isinstance(func, ast.Name) else None
    if name in {"setattr", "delattr"} and node.args:
        first = node.args[0]
        if module_of(first) or isinstance(_root(first), ast.Call):
            flag(node, f"{name} on a module")
    elif name == "vars" and node.args and module_of(node.args[0]):
        flag(node, "reaches a module's namespace (vars)")
    elif isinstance(func, ast.Attribute) and func.attr in {"update", "setdefault", "pop", "clear", "__setitem__"}:
        target = func.value
        if isinstance(target, ast.Attribute) and target.attr == "__dict__":
            flag(node, "changes an object's __dict__")
    if isinstance(func, ast.Attribute) and func.attr in {"patch", "setattr"} and (
            "mock" in (_dotted(func) or "") or "monkeypatch" in (_dotted(func) or "")):
        flag(node, "monkeypatches")


def _module_aliases_by_assignment(tree, aliases):
    """Names assigned a module or an attribute of one (`t = np.testing`): they stand for modules too."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            known = {**aliases, **found}
            dotted = _dotted(node.value)
            if dotted and dotted.split(".")[0] in known:
                root = dotted.split(".")[0]
                found[node.targets[0].id] = ".".join([known[root], *dotted.split(".")[1:]])
            elif isinstance(node.value, ast.Call) and _imports_a_module(node.value, known):
                found[node.targets[0].id] = "a module"
    return found


def _imports_a_module(call, known):
    """importlib.import_module(...), __import__(...) or getattr(<module>, ...): the result is a module too."""
    name = _dotted(call.func) or ""
    if name.split(".")[-1] in {"import_module", "__import__", "reload"}:
        return True
    return name == "getattr" and bool(call.args) and isinstance(_root(call.args[0]), ast.Name) \
        and _root(call.args[0]).id in known


def _top_level_definitions(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [t.id for t in targets if isinstance(t, ast.Name)]
    return []


def _unique(findings):
    seen, kept = set(), []
    for finding in findings:
        if finding not in seen:
            seen.add(finding)
            kept.append(finding)
    return kept

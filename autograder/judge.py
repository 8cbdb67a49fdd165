"""Inside every grading kernel, before any student code: the instructor's cells are run and judged from here.

Why: nbgrader runs tests in the student's kernel, so a student who replaces `np.allclose`, puts a fake numpy
into `sys.modules`, redefines a helper of a read-only cell or hooks IPython (a custom exception handler, an
input transformer, a patched `run_cell`) can make a wrong answer pass. In-process defences can be beaten by
someone determined, so this is one layer of three (the others: the static audit in audit.py, and the grader
trusting only verdicts it can check, in preprocessors.py):

- At start-up (IPKernelApp.exec_lines, see sandbox.py) the modules the instructor's cells import are imported
  and their *testing surface* is recorded: module attributes, function code, `sys.modules`, `builtins`, the
  `sys` hooks, and IPython's own hooks (run_cell, showtraceback, events, transformers, display publisher).
- Before every read-only cell the grader asks, on the kernel's control channel (a path student code does
  not run through), for the surface to be put back. Then it sends the cell as a call `__autograder__(nonce, grade_id, source,
  binds, is_test)`. The judge puts the surface back as recorded, shows the cell the instructor's definitions
  of the names read-only cells bound (not the student's), hides student names that shadow builtins, runs the
  cell, and catches every exception itself. While a test runs, the student's functions are wrapped so that
  the surface is put back whenever control returns from student code to the test.
- It answers with a verdict (display data of VERDICT_MIME): passed or the error, the value of a last
  expression (nbgrader's partial credit), and what it had to put back. The verdict is signed with a key that
  the kernel read from a file and deleted before any student code ran; the grader accepts nothing else.

Only the standard library: this file is imported by the kernel, not by the grader.
"""
import ast
import builtins
import functools
import hashlib
import hmac
import importlib
import json
import os
import re
import sys
import traceback
import types

VERDICT_MIME = "application/vnd.autograder.verdict+json"
INSTRUCTOR_FILE = "<read-only cell {}>"  # the file name instructor code is compiled under
INSTRUCTOR_PREFIX = INSTRUCTOR_FILE.split("{")[0]
_STUDENT_FOLDER = ""  # the kernel's folder, holding the student's own files (set by install)
_MISSING = object()

# IPython's and ipykernel's attributes through which a student could change how cells run or errors show
SHELL_HOOKS = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell", "transform_ast",
               "showtraceback", "_showtraceback", "showsyntaxerror", "showindentationerror", "set_custom_exc",
               "custom_exceptions", "CustomTB", "InteractiveTB", "SyntaxTB", "displayhook", "display_pub",
               "display_trap", "builtin_trap", "compile", "events", "input_transformer_manager",
               "excepthook", "should_run_async", "user_ns", "user_global_ns", "ex", "ev")
SHELL_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
KERNEL_MANAGED = {("builtins", "input"), ("getpass", "getpass")}  # (module, attribute) ipykernel sets per request
SYS_HOOKS = ("excepthook", "displayhook", "stdout", "stderr", "__stdout__", "__stderr__", "breakpointhook",
             "unraisablehook")


def signature(key, verdict):
    """The HMAC of a verdict (without its "signature" entry); the grader recomputes it."""
    body = json.dumps({k: v for k, v in verdict.items() if k != "signature"}, sort_keys=True)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def is_student_made(value):
    """Whether value (a function, class, method or instance) comes from the student: from code typed in a
    notebook cell that is not a read-only one, or from a file the student handed in (the kernel's folder)."""
    func = getattr(value, "__func__", value)
    if isinstance(func, types.FunctionType):
        filename = func.__code__.co_filename
        return not filename.startswith(INSTRUCTOR_PREFIX) and (func.__module__ == "__main__" or _handed_in(filename))
    cls = value if isinstance(value, type) else type(value)
    module = getattr(cls, "__module__", None)
    if module == "__main__":
        methods = [v for v in vars(cls).values() if isinstance(v, types.FunctionType)]
        return not methods or any(not m.__code__.co_filename.startswith(INSTRUCTOR_PREFIX) for m in methods)
    return _handed_in(getattr(sys.modules.get(module), "__file__", None) or "")


def _handed_in(filename):
    return bool(_STUDENT_FOLDER) and filename.startswith(_STUDENT_FOLDER + os.sep)


def _genuine_module(value):
    """A module object that the import system made (a student's stand-in has no spec, or is no module)."""
    return isinstance(value, types.ModuleType) and getattr(value, "__spec__", None) is not None \
        and not is_student_made(value)


class Surface:
    """What tests rely on, recorded before any student code ran, and put back on request."""

    def __init__(self, shell, packages):
        self.shell = shell
        # the judge's own modules too: a student who reaches them finds them put back before every cell
        self.packages = set(packages) | {"builtins", "math", "traceback", "functools", "json", "hmac", "autograder"}
        self.modules = {}  # name -> (module, {attribute: value})
        self.code = {}  # id(function) -> (function, __code__, __defaults__, __kwdefaults__)
        self.classes = {}  # id(class) -> (class, {attribute: function})
        # IPython puts exit, quit and get_ipython into builtins while it runs a cell, and takes them out after
        self.kernel_managed = KERNEL_MANAGED | {("builtins", name) for name in shell.builtin_trap.auto_builtins}
        self.sys_hooks = {name: getattr(sys, name, _MISSING) for name in SYS_HOOKS}
        self.meta_path, self.path_hooks = list(sys.meta_path), list(sys.path_hooks)
        self.shell_attrs = {name: shell.__dict__.get(name, _MISSING) for name in SHELL_HOOKS}
        self.shell_keys = set(shell.__dict__)
        self.kernel = getattr(shell, "kernel", None)
        self.kernel_attrs = dict(vars(self.kernel)) if self.kernel is not None else {}
        self.handlers = {name: dict(getattr(self.kernel, name, {}) or {}) for name in ("shell_handlers",
                                                                                     "control_handlers")}
        for obj in (shell, self.kernel, shell.display_pub, shell.displayhook, getattr(self.kernel, "session", None)):
            for cls in type(obj).__mro__ if obj is not None else ():
                if cls.__module__.split(".")[0] in {"IPython", "ipykernel", "jupyter_client", "traitlets"}:
                    self._record_class(cls)
        self.record_new_modules()

    def _in_surface(self, name):
        return name.split(".")[0] in self.packages

    def _record_class(self, cls):
        if id(cls) not in self.classes and cls.__flags__ & (1 << 9):  # heap types only: C types are immutable
            self.classes[id(cls)] = (cls, {k: v for k, v in vars(cls).items() if callable(v)})

    def record_new_modules(self):
        """Record the modules of the surface's packages imported since the last call."""
        for name, module in list(sys.modules.items()):
            if name in self.modules or not self._in_surface(name) or not isinstance(module, types.ModuleType):
                continue
            attrs = dict(vars(module))
            self.modules[name] = (module, attrs)
            for value in attrs.values():
                if isinstance(value, types.FunctionType) and id(value) not in self.code:
                    self.code[id(value)] = (value, value.__code__, value.__defaults__, value.__kwdefaults__)
                elif isinstance(value, type) and getattr(value, "__module__", "").split(".")[0] in self.packages:
                    self._record_class(value)

    def restore(self, light=False):
        """Put the recorded surface back; returns what had been changed, in words. light: only module
        attributes, sys.modules and builtins (what a student's function could change while a test calls it)."""
        changed = []
        for name, (module, attrs) in self.modules.items():
            entry = sys.modules.get(name, _MISSING)
            if entry is _MISSING or (entry is not module and not _genuine_module(entry)):
                changed.append(f"sys.modules[{name!r}]")
                sys.modules[name] = module
            current = vars(module)
            for attr, value in attrs.items():
                now = current.get(attr, _MISSING)
                # Libraries rebind their own globals at run time (pyplot's draw_if_interactive, caches), and
                # the kernel manages a few builtins itself: what is put back is what the student's cells made,
                # and public names that disappeared. Assigning a library's own object is the static audit's.
                if now is value or (name, attr) in self.kernel_managed and not is_student_made(now):
                    continue
                if is_student_made(now) or (now is _MISSING and not attr.startswith("_")):
                    changed.append(f"{name}.{attr}")
                    setattr(module, attr, value)
        if light:
            return changed
        for func, code, defaults, kwdefaults in self.code.values():
            if func.__code__ is not code or func.__defaults__ is not defaults or func.__kwdefaults__ is not kwdefaults:
                changed.append(f"the code of {func.__module__}.{func.__qualname__}")
                func.__code__, func.__defaults__, func.__kwdefaults__ = code, defaults, kwdefaults
        for cls, attrs in self.classes.values():
            for attr, value in attrs.items():
                now = vars(cls).get(attr, _MISSING)
                if now is not value and (now is _MISSING or is_student_made(now)):
                    changed.append(f"{cls.__module__}.{cls.__qualname__}.{attr}")
                    setattr(cls, attr, value)
        for name, value in self.sys_hooks.items():
            now = getattr(sys, name, _MISSING)
            # ipykernel itself swaps some of these per request: only what the student made is put back
            if now is not value and value is not _MISSING and (now is _MISSING or is_student_made(now)):
                changed.append(f"sys.{name}")
                setattr(sys, name, value)
        for getter, setter, name in ((sys.gettrace, sys.settrace, "trace"), (sys.getprofile, sys.setprofile, "profile")):
            if getter() is not None and is_student_made(getter()):
                changed.append(f"sys.set{name}")
                setter(None)
        for hooks, recorded, name in ((sys.meta_path, self.meta_path, "meta_path"),
                                      (sys.path_hooks, self.path_hooks, "path_hooks")):
            if any(is_student_made(h) for h in hooks) or any(h not in hooks for h in recorded):
                changed.append(f"sys.{name}")
                hooks[:] = recorded + [h for h in hooks if h not in recorded and not is_student_made(h)]
        changed += self._restore_shell()
        return changed

    def _restore_shell(self):
        changed, shell = [], self.shell
        for name, value in self.shell_attrs.items():
            if shell.__dict__.get(name, _MISSING) is not value:
                changed.append(f"IPython shell.{name}")
                if value is _MISSING:
                    del shell.__dict__[name]
                else:
                    shell.__dict__[name] = value
        for name in set(shell.__dict__) - self.shell_keys:
            if callable(getattr(type(shell), name, None)) or is_student_made(shell.__dict__[name]):
                changed.append(f"IPython shell.{name}")
                del shell.__dict__[name]
        for name in SHELL_LISTS:
            items = getattr(shell, name, None)
            if isinstance(items, list) and any(is_student_made(item) for item in items):
                changed.append(f"IPython shell.{name}")
                items[:] = [item for item in items if not is_student_made(item)]
        manager = shell.input_transformer_manager
        for name in ("cleanup_transforms", "line_transforms", "token_transformers"):
            items = getattr(manager, name, None)
            if isinstance(items, list) and any(is_student_made(item) for item in items):
                changed.append(f"IPython input transformers ({name})")
                items[:] = [item for item in items if not is_student_made(item)]
        for event, callbacks in shell.events.callbacks.items():
            if any(is_student_made(cb) for cb in callbacks):
                changed.append(f"IPython event {event!r}")
                callbacks[:] = [cb for cb in callbacks if not is_student_made(cb)]
        if self.kernel is not None:
            for name, value in self.kernel_attrs.items():
                if vars(self.kernel).get(name, _MISSING) is not value and callable(value):
                    changed.append(f"kernel.{name}")
                    setattr(self.kernel, name, value)
            for name, recorded in self.handlers.items():
                handlers = getattr(self.kernel, name, None)
                if isinstance(handlers, dict) and handlers != recorded:
                    changed.append(f"kernel.{name}")
                    handlers.clear()
                    handlers.update(recorded)
        return changed


class Judge:
    """Runs read-only cells as the instructor wrote them and reports signed verdicts."""

    def __init__(self, shell, surface, key):
        self.shell, self.surface, self._key = shell, surface, key
        self.instructor = {}  # names read-only cells bound -> the value they bound
        self.depth = 0  # how deep in student code a test currently is (wrapped functions)
        self.views = None  # (instructor view, student view) while a test runs

    def run(self, nonce, grade_id, source, binds, is_test):
        ns = self.shell.user_ns
        restored = self.surface.restore()
        hidden = {name for name in ns if not name.startswith("__") and name in vars(builtins)
                  and name not in self.instructor and name not in self.shell.user_ns_hidden}
        instructor_view = {name: value for name, value in self.instructor.items() if ns.get(name, _MISSING) is not value}
        student_view = {name: ns.get(name, _MISSING) for name in (*instructor_view, *hidden)}
        instructor_view.update(dict.fromkeys(hidden, _MISSING))
        wrapped = self._wrap_student_functions(ns) if is_test else {}
        self.views = (instructor_view, student_view)
        self._show(instructor_view)
        error, result = None, None
        try:
            error, result = self._execute(grade_id, source)
        finally:
            self.views = None
            for name, value in instructor_view.items():  # give the student back what the cell did not rebind
                if ns.get(name, _MISSING) is value:
                    self._set(name, student_view[name])
            for name, (original, wrapper) in wrapped.items():
                if ns.get(name) is wrapper:
                    ns[name] = original
        for name in binds:
            if name in ns:
                self.instructor[name] = ns[name]
        restored += self.surface.restore()
        self.surface.record_new_modules()
        verdict = {"nonce": nonce, "grade_id": grade_id, "passed": error is None, "error": error,
                   "result": result, "restored": sorted(set(restored))}
        verdict["signature"] = signature(self._key, verdict)
        self.shell.display_pub.publish({VERDICT_MIME: verdict}, metadata={})

    def _execute(self, grade_id, source):
        """Run the cell in the user namespace; returns (error or None, text of a last expression or None)."""
        ns = self.shell.user_ns
        # the student's names, for messages that say which of them a failing check uses
        students = {name for name, value in ns.items() if not name.startswith("_") and name not in self.instructor
                    and name not in self.shell.user_ns_hidden and not isinstance(value, types.ModuleType)}
        code = source
        try:
            filename = INSTRUCTOR_FILE.format(grade_id)
            code = self.shell.transform_cell(source)
            tree = ast.parse(code, filename)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, filename, "exec"), ns)
            if last is not None:  # a last expression's value is nbgrader's partial credit
                value = eval(compile(ast.Expression(last.value), filename, "eval"), ns)
                self.surface.restore(light=True)
                if value is not None:
                    return None, _safe(repr, value)
            return None, None
        except BaseException as exc:  # SystemExit, KeyboardInterrupt and friends fail the cell, nothing more
            self.surface.restore(light=True)
            return _describe(exc, code, students), None

    def _wrap_student_functions(self, ns):
        """Replace the student's top-level functions by wrappers that switch views and restore the surface."""
        wrapped = {}
        for name, value in list(ns.items()):
            if isinstance(value, types.FunctionType) and is_student_made(value) and name not in self.instructor:
                wrapper = self._wrapper(value)
                ns[name] = wrapper
                wrapped[name] = (value, wrapper)
        return wrapped

    def _wrapper(self, function):
        judge = self

        @functools.wraps(function)
        def student_code(*args, **kwargs):
            judge.depth += 1
            if judge.depth == 1 and judge.views:
                judge._show(judge.views[1])  # student code sees its own names
            try:
                return function(*args, **kwargs)
            finally:
                judge.depth -= 1
                if judge.depth == 0 and judge.views:
                    judge.surface.restore(light=True)
                    judge._show(judge.views[0])
        return student_code

    def _show(self, view):
        for name, value in view.items():
            self._set(name, value)

    def _set(self, name, value):
        if value is _MISSING:
            self.shell.user_ns.pop(name, None)
        else:
            self.shell.user_ns[name] = value


def _safe(function, value, fallback="(a value that could not be shown)"):
    try:
        return str(function(value))[:2000]
    except BaseException:
        return fallback


def _describe(exc, source="", student_names=()):
    """An exception as nbformat's error output fields, in words a student can act on (see `explain`).

    The traceback is the one-line message and, when the error came from the student's own code, the
    student's frames: never the test cell's code (a hidden test's source stays hidden), the judge's frames,
    the instructor's helpers or a library's internals. source: the read-only cell's code; student_names:
    names of the student's functions, so that a message can say which of them the failing line uses."""
    ename = type.__dict__["__name__"].__get__(type(exc))
    evalue = _safe(str, exc)
    try:
        frames = traceback.extract_tb(exc.__traceback__)
        cell = [f for f in frames if f.filename.startswith(INSTRUCTOR_PREFIX) and f.name == "<module>"][:1]
        line = cell[0].lineno if cell else None
        mine = [f for f in frames if _is_students(f.filename)]
        message = explain(exc, ename, evalue, _used_on_line(source, line, student_names), bool(mine))
        where = [f"  in {f.name}, line {f.lineno} of your code: {(f.line or '').strip()}" for f in mine[-8:]]
    except BaseException:
        message, where = f"{ename}: {evalue}".splitlines()[0] if evalue.strip() else ename, []
    return {"ename": ename, "evalue": message,
            "traceback": [message, *(["Where it happened:"] + where if where else [])]}


def explain(exc, ename, evalue, used, from_student):
    """One line saying what went wrong, in the notebook's terms.

    used: the student's functions the failing line of the test uses; from_student: the exception was raised
    inside the student's code."""
    text = evalue.strip()
    first = text.splitlines()[0] if text else ""
    yours = f" (the failing check uses your {', '.join(used)})" if used else ""
    if isinstance(exc, NotImplementedError) and from_student:
        return "Not answered yet: your code still raises NotImplementedError (replace that line with your answer)."
    if isinstance(exc, AssertionError):
        if _NUMPY_TESTING.match(text):
            return "AssertionError: " + _numpy_testing(text) + yours
        if text:
            return "AssertionError: " + " ".join(text.split())[:500]
        return "AssertionError: a check of this test did not hold" + yours
    if isinstance(exc, NameError):
        return f"NameError: {first}: the test needs it; run the cell that defines it and keep the name the question gives"
    if from_student:
        return f"Your code raised {ename}: {first}"
    return f"{ename} while checking your answer: {first}" + (yours or "; check the type and shape of what "
                                                                   "your code returns")


# numpy.testing's messages: a header line, the test's own err_msg, then counts, differences and the arrays
_NUMPY_TESTING = re.compile(r"(Not equal to tolerance|Arrays are not (almost )?equal|Items are not equal)")
_NUMPY_DETAIL = re.compile(r"^(Mismatch|Max |x and y|\(shapes|ACTUAL|DESIRED|First|\[)", re.IGNORECASE)


def _numpy_testing(text):
    """A numpy.testing failure in one line: the test's own message, how many values differ and by how much,
    or the shapes that do not match; the arrays themselves are left out."""
    lines = [line.strip() for line in text.splitlines()[1:] if line.strip()]
    own = []
    for line in lines:
        if _NUMPY_DETAIL.match(line):
            break
        own.append(line)
    shapes = re.search(r"\(shapes (\(.*?\)), (\(.*?\)) mismatch\)", text)
    mismatched = re.search(r"Mismatched elements: (\d+) / (\d+)", text)
    largest = re.search(r"Max absolute difference(?: among violations)?: ([^\n]+)", text)
    scalars = re.search(r"ACTUAL: ([^\n]{1,60})\n\s*DESIRED: ([^\n]{1,60})$", text)
    if shapes:
        detail = f"the shape is {shapes.group(1)} but {shapes.group(2)} was expected"
    elif mismatched:
        detail = (f"{mismatched.group(1)} of {mismatched.group(2)} values differ from the expected ones"
                  + (f" (largest difference {largest.group(1).strip()})" if largest else ""))
    elif scalars and "Items are not equal" in text:
        detail = f"got {scalars.group(1).strip()}, expected {scalars.group(2).strip()}"
    else:
        detail = "the values differ from the expected ones"
    return (" ".join(own)[:300] + ": " if own else "") + detail


def _used_on_line(source, line, student_names):
    """The student's names used by the innermost statement of the read-only cell that holds `line`."""
    if not line or not source:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    statements = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)
                  and node.lineno <= line <= (node.end_lineno or node.lineno)]
    if not statements:
        return []
    innermost = min(statements, key=lambda node: (node.end_lineno or node.lineno) - node.lineno)
    found = []
    for node in ast.walk(innermost):
        if isinstance(node, ast.Name) and node.id in student_names and node.id not in found:
            found.append(node.id)
    return found


def _is_students(filename):
    """A frame of code the student wrote: a notebook cell (not a read-only one) or a file handed in."""
    if filename.startswith(INSTRUCTOR_PREFIX) or filename == __file__:
        return False
    return filename.startswith("<ipython-input") or "/ipykernel_" in filename or _handed_in(filename)


def install(shell, packages=(), imports=(), key_file=".autograder-key"):
    """Set up the judge in this kernel (called once, by the kernel's exec_lines, before any student code).

    packages: top-level packages whose modules are part of the testing surface; imports: modules the
    instructor's cells import (imported now, so that their surface is recorded before student code runs).
    """
    global _STUDENT_FOLDER
    _STUDENT_FOLDER = os.getcwd()
    with open(key_file, "rb") as handle:
        key = handle.read()
    os.remove(key_file)
    for name in imports:
        try:
            importlib.import_module(name)
        except Exception:  # the instructor's cell will show the error itself
            pass
    judge = Judge(shell, None, key)

    def restore_request(stream, ident, parent):
        """The grader asks, on the kernel's control channel, for the surface to be put back before it sends a
        read-only cell: that channel is not the path (run_cell, transformers) a student could have hijacked."""
        content = {"nonce": str(parent["content"].get("nonce", "")),
                   "restored": sorted(set(judge.surface.restore()))}
        content["signature"] = signature(key, content)
        shell.kernel.session.send(stream, "autograder_restore_reply", content, parent, ident)

    shell.kernel.control_handlers["autograder_restore_request"] = restore_request
    judge.surface = Surface(shell, packages)  # after the handler: it is part of what is recorded

    def run(nonce, grade_id, source, binds, is_test):
        judge.run(nonce, grade_id, source, binds, is_test)

    shell.user_ns["__autograder__"] = run
    shell.user_ns_hidden["__autograder__"] = run

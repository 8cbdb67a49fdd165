"""The static audit of student cells (autograder/audit.py): tampering is flagged, ordinary answers never are."""
from pathlib import Path

import nbformat
import pytest

from autograder import audit, derive
from autograder.preprocessors import is_instructor_cell

ROOT = Path(__file__).resolve().parent.parent
MODULES = {"np": "numpy", "plt": "matplotlib.pyplot", "scipy": "scipy", "utils": "utils", "fit": "utils.fit"}
PROTECTED = {"_reference_descent", "check_shapes"}

# Correct answers in the styles students write: none of them may be flagged
ORDINARY = {
    "loops": "def descent(f, x0, eta, steps):\n    path = [x0]\n    for _ in range(steps):\n"
             "        x0 = x0 - eta * grad(x0)\n        path.append(x0)\n    return np.array(path)",
    "einsum": "def forward(x, W, b):\n    return np.einsum('ni,ij->nj', x, W) + b",
    "scipy_special": "from scipy.special import expit, logsumexp\n\ndef sigmoid(z):\n    return expit(z)",
    "classes": "class Linear:\n    def __init__(self, n_in, n_out, rng):\n        self.W = rng.normal(size=(n_in, n_out))\n"
               "        self.b = np.zeros(n_out)\n    def __call__(self, x):\n        return x @ self.W + self.b\n"
               "    def __repr__(self):\n        return f'Linear({self.W.shape})'",
    "helpers": "def _clip(z):\n    return np.clip(z, -500, 500)\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-_clip(z)))",
    "generators": "rng = np.random.default_rng(42)\nperm = rng.permutation(100)\nnp.random.seed(0)\nx = np.random.rand(3)",
    "plotting": "%matplotlib inline\nplt.rcParams['figure.figsize'] = (8, 4)\nfig, ax = plt.subplots()\n"
                "ax.plot(x, y, label='η = 0.1')\nax.set_title('Loss')\nax.set_xlabel('epoch')\nax.legend()\nplt.show()",
    "display": "from IPython.display import display, Markdown\nfrom IPython import display as ipd\n"
               "display(Markdown('**done**'))",
    "warnings_and_env": "import warnings\nwarnings.filterwarnings('ignore')\nimport os\nos.environ['SEED'] = '1'\n"
                        "np.seterr(over='ignore')\nnp.set_printoptions(precision=3)",
    "sys_and_time": "import sys, time\nprint(sys.version)\nstart = time.perf_counter()",
    "utils": "from utils import Net, Linear, Sigmoid\nnet = Net([Linear(2, 3, rng), Sigmoid()])\n"
             "history = fit(net, x, y, eta=0.1)",
    "comprehensions_and_lambdas": "squares = [v ** 2 for v in range(10)]\nkey = lambda pair: pair[1]\n"
                                  "best = max(scores.items(), key=key)",
    "shell_escape": "!ls\nfiles = !ls\n%timeit np.dot(a, b)",
    "dataclass_and_methods": "from dataclasses import dataclass\n\n@dataclass\nclass Point:\n    x: float\n    y: float\n"
                             "    def norm(self):\n        return (self.x ** 2 + self.y ** 2) ** 0.5",
    "own_object_attributes": "layer.W = layer.W - eta * grads[0]\nself_test = type('T', (), {})\nnet.layers[0].b[:] = 0",
    "syntax_error": "def broken(:\n    pass",
}

# One line of tampering each: every one must be flagged
TAMPERING = {
    "module attribute": "np.allclose = lambda *a, **k: True",
    "aliased module": "import numpy.testing as npt\nnpt.assert_allclose = lambda *a, **k: None",
    "module through a variable": "t = np.testing\nt.assert_allclose = print",
    "setattr on module": "setattr(np, 'allclose', lambda *a: True)",
    "patch inside a function": "def square(x):\n    np.allclose = lambda *a, **k: True\n    return x",
    "scipy": "import scipy.optimize\nscipy.optimize.check_grad = lambda *a: 0.0",
    "sys.modules": "import sys, types\nsys.modules['numpy'] = types.SimpleNamespace()",
    "sys.modules from import": "from sys import modules\nmodules['numpy'] = None",
    "builtins": "import builtins\nbuiltins.abs = lambda x: 0",
    "__builtins__": "__builtins__.abs = lambda x: 0",
    "shadowing builtin": "def abs(x):\n    return 0",
    "redefined helper": "def check_shapes(*args):\n    return True",
    "helper by assignment": "_reference_descent = lambda *a: None",
    "global helper": "def f():\n    global check_shapes\n    check_shapes = None",
    "ipython": "get_ipython().set_custom_exc((Exception,), lambda *a: None)",
    "ipython import": "import IPython\nIPython.get_ipython().events.register('post_run_cell', print)",
    "eq": "class A:\n    def __eq__(self, other):\n        return True",
    "eq by assignment": "class A:\n    __eq__ = lambda self, other: True",
    "array protocol": "class A(np.ndarray):\n    def __array_finalize__(self, obj):\n        pass",
    "code object": "np.allclose.__code__ = (lambda *a, **k: True).__code__",
    "closure": "secret = __autograder__.__closure__[0].cell_contents",
    "frames": "import sys\nframe = sys._getframe(1)",
    "inspect": "import inspect\nframe = inspect.currentframe().f_back",
    "gc": "import gc\nobjects = gc.get_objects()",
    "ctypes": "import ctypes",
    "exec": "exec('np.allclose = lambda *a, **k: True')",
    "eval": "eval(\"setattr(np, 'allclose', print)\")",
    "__import__": "__import__('numpy').allclose = print",
    "globals": "globals()['np'] = None",
    "module dict": "np.__dict__['allclose'] = print",
    "vars": "vars(np)['allclose'] = print",
    "mock": "from unittest import mock\nmock.patch('numpy.allclose', lambda *a: True).start()",
    "trace": "import sys\nsys.settrace(lambda *a: None)",
    "import hook": "import sys\nsys.meta_path.insert(0, object())",
    "extension": "%load_ext my_extension",
    "class swap": "result.__class__ = AlwaysEqual",
    "import_module": "import importlib\nm = importlib.import_module('numpy')\nm.allclose = print",
    "getattr module": "t = getattr(np, 'testing')\nt.assert_allclose = print",
    "the judge": "__autograder__ = print",
    "the grader": "import autograder.judge",
}


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_ordinary_answers_are_never_flagged(name):
    assert audit.audit_cell(ORDINARY[name], MODULES, PROTECTED) == []


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_tampering_is_flagged_with_its_line(name):
    source = TAMPERING[name]
    findings = audit.audit_cell(source, MODULES, PROTECTED)
    assert findings, name
    lines = source.splitlines()
    for finding in findings:
        assert 1 <= finding.line <= len(lines)
        assert lines[finding.line - 1].strip()[:20] in finding.construct  # the code is quoted


def _course_answers():
    """(notebook, grade_id, source, modules, protected) for every answer cell of every solution."""
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        source = nbformat.read(path, as_version=4)
        release = nbformat.read(ROOT / "release" / path.relative_to(ROOT / "source"), as_version=4)
        code = [cell for cell in source.cells if cell.cell_type == "code"]
        modules = audit.imported_names(cell.source for cell in code)
        protected = {name for cell in code if is_instructor_cell(cell) for name in audit.defined_functions(cell.source)}
        for cell in derive.answered(release, source).cells:
            if cell.cell_type == "code" and not is_instructor_cell(cell):
                yield path.name, derive.grade_id(cell), cell.source, modules, protected


def test_the_course_solutions_are_never_flagged():
    answers = list(_course_answers())
    assert len(answers) > 20
    flagged = [(nb, grade_id, audit.audit_cell(text, modules, protected))
               for nb, grade_id, text, modules, protected in answers]
    assert [entry for entry in flagged if entry[2]] == []


def test_bound_names_are_the_top_level_ones():
    source = ("import numpy as np\nfrom utils import fit as train\nx, (y, z) = 1, (2, 3)\ndef f(a):\n    inner = 3\n"
              "class C:\n    attr = 1\nfor i in range(3):\n    k = [j for j in range(2)]\nwith open('f') as handle:\n"
              "    pass\nlam = lambda q: q")
    assert audit.bound_names(source) == ["np", "train", "x", "y", "z", "f", "C", "i", "k", "handle", "lam"]

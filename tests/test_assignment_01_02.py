"""Assignments 1 and 2: the tests in the notebooks accept correct answers written in other ways and catch
the usual mistakes.

tests/test_assignments.py grades the real notebooks with nbgrader (solution, untouched release, one question
at a time). This module asks a different question: is every test cell *fair and sharp*? It runs a question's
cells in this process, the way the grader would: the setup cells, the answers of the questions it declares
as dependencies, the question's answer (the reference or a variant), then its test cells with the hidden
tests included. A variant that is correct must pass every test cell (and, with pytest's
`error::RuntimeWarning`, must not warn: a plain 1 / (1 + exp(-x)) is not punished); a variant with a typical
mistake must fail exactly the test cells listed for it.
"""
import textwrap
from pathlib import Path

import matplotlib
import nbformat
import pytest

from autograder.course import question_id

matplotlib.use("Agg")  # the setup cells import pyplot; no window and no display needed

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {
    "01": ROOT / "source" / "01_gradient_descent" / "gradient_descent.ipynb",
    "02": ROOT / "source" / "02_network_components" / "network_components.ipynb",
}
pytestmark = pytest.mark.slow  # runs notebook code, including a short training run


def run_question(assignment, question, answer=None, dependency_answers=None):
    """Grade one question in-process and return the grade_ids of its test cells that fail.

    answer: source code that replaces the question's (single) solution cell; None keeps the reference.
    dependency_answers: {question: source} replacing the answers of questions it depends on.
    """
    dependency_answers = dependency_answers or {}
    notebook = nbformat.read(NOTEBOOKS[assignment], as_version=4)
    depends_on = notebook.metadata.get("course", {}).get("question_dependencies", {}).get(question, [])
    namespace = {}
    failed = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id", "")
        if cell.cell_type != "code" or not grade_id:
            continue
        if grade_id.startswith("setup_"):
            exec(cell.source, namespace)
        elif meta.get("solution") and question_id(grade_id) in depends_on:
            exec(textwrap.dedent(dependency_answers.get(question_id(grade_id), cell.source)), namespace)
        elif meta.get("solution") and question_id(grade_id) == question:
            exec(cell.source if answer is None else textwrap.dedent(answer), namespace)
        elif meta.get("grade") and question_id(grade_id) == question:
            try:
                exec(cell.source, namespace)
            except Exception:  # a failed assert, or an answer that breaks the interface
                failed.append(grade_id)
    return failed


def _graded_questions(assignment):
    notebook = nbformat.read(NOTEBOOKS[assignment], as_version=4)
    found = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and question_id(meta["grade_id"]) not in found:
            found.append(question_id(meta["grade_id"]))
    return found


@pytest.mark.parametrize("assignment,question",
                         [(a, q) for a in NOTEBOOKS for q in _graded_questions(a)])
def test_the_reference_answer_passes_every_test_cell(assignment, question):
    assert run_question(assignment, question) == []


# ---------------------------------------------------------------- correct answers, written differently
CORRECT = {
    "01 q1: lists and separate gradient variables": ("01", "q1", """
        def optimize_f(x, y, eta, steps):
            x_hist = [x]
            y_hist = [y]
            for _ in range(steps):
                gx = df_dx(x, y)
                gy = df_dy(x, y)
                x = x - eta * gx
                y = y - eta * gy
                x_hist.append(x)
                y_hist.append(y)
            return x, y, f(x, y), x_hist, y_hist
        """),
    "01 q3: the learning rate multiplied by decay after every step": ("01", "q3", """
        def optimize_f(x, y, eta, steps, decay=1.0):
            xs, ys = np.empty(steps + 1), np.empty(steps + 1)
            xs[0], ys[0] = x, y
            eta_t = eta
            for t in range(steps):
                xs[t + 1] = xs[t] - eta_t * df_dx(xs[t], ys[t])
                ys[t + 1] = ys[t] - eta_t * df_dy(xs[t], ys[t])
                eta_t *= decay
            return xs[-1], ys[-1], f(xs[-1], ys[-1]), xs, ys
        """),
    "01 q4: other values that reach f < -2": ("01", "q4", """
        tuned_eta, tuned_decay, tuned_steps = 0.18, 0.97, 40
        """),
    "02 q1: (f(x + eps) - f(x - eps)) / (2 eps) on a flat copy": ("02", "q1", """
        def finite_difference(f, x, eps=1e-5):
            flat = np.array(x, dtype=float).ravel()
            grad = np.empty_like(flat)
            for i in range(flat.size):
                up, down = flat.copy(), flat.copy()
                up[i] += eps
                down[i] -= eps
                grad[i] = (f(up.reshape(np.shape(x))) - f(down.reshape(np.shape(x)))) / (2 * eps)
            return grad.reshape(np.shape(x))
        """),
    "02 q3: the plain formula, which overflows for large negative x": ("02", "q3", """
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))

        def sigmoid_grad(x):
            return np.exp(-x) / (1 + np.exp(-x)) ** 2
        """),
    "02 q3: scipy's expit": ("02", "q3", """
        from scipy.special import expit

        def sigmoid(x):
            return expit(x)

        def sigmoid_grad(x):
            return expit(x) * (1 - expit(x))
        """),
    "02 q4: np.where": ("02", "q4", """
        def relu(x):
            return np.where(x > 0, x, 0.0)

        def relu_grad(x):
            return np.where(x > 0, 1.0, 0.0)
        """),
    "02 q5: no clipping, a loop over samples": ("02", "q5", """
        def bce_loss(y_hat, y):
            total = 0.0
            for p, t in zip(np.ravel(y_hat), np.ravel(y)):
                total -= t * np.log(p) + (1 - t) * np.log(1 - p)
            return total

        def bce_loss_grad(y_hat, y):
            return (y_hat - y) / (y_hat * (1 - y_hat))
        """),
    "02 q7: in-place updates, np.dot and einsum": ("02", "q7", """
        class Linear:
            def __init__(self, n_in, n_out, rng=None):
                rng = np.random.default_rng(rng)
                self.W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
                self.b = np.zeros(n_out)

            def forward(self, x):
                return np.dot(x, self.W) + self.b

            def backward(self, x, dy, y=None):
                self.dW = np.einsum("ni,nj->ij", x, dy)
                self.db = np.sum(dy, axis=0)
                return np.dot(dy, self.W.T)

            def step(self, eta):
                self.W -= eta * self.dW
                self.b -= eta * self.db
        """),
    "02 q9: index loops, and y not passed to the layers (it is optional)": ("02", "q9", """
        class Net:
            def __init__(self, layers):
                self.layers = list(layers)

            def forward(self, x):
                trace = [x]
                for i in range(len(self.layers)):
                    trace = trace + [self.layers[i].forward(trace[i])]
                return trace[-1], trace

            def backward(self, trace, dy):
                for i in range(len(self.layers) - 1, -1, -1):
                    dy = self.layers[i].backward(trace[i], dy)
                return dy

            def step(self, eta):
                for layer in self.layers:
                    layer.step(eta)
        """),
    "02 q10: minibatches from np.array_split, no progress bar, History filled by keyword": ("02", "q10", """
        def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
            rng = np.random.default_rng(seed)
            measured = {key: [] for key in ["train_loss", "train_accuracy", "val_loss", "val_accuracy"]}
            n_batches = int(np.ceil(len(x) / batch_size))
            splits = [("train", x, y)] + ([("val", x_val, y_val)] if x_val is not None else [])
            for epoch in range(epochs):
                shuffled = rng.permutation(len(x))
                for batch in np.array_split(shuffled, n_batches):
                    out, trace = net.forward(x[batch])
                    net.backward(trace, bce_loss_grad(out, y[batch]))
                    net.step(eta)
                for name, inputs, labels in splits:
                    out = net.forward(inputs)[0]
                    measured[name + "_loss"].append(bce_loss(out, labels) / len(labels))
                    measured[name + "_accuracy"].append(np.mean(np.round(out) == labels))
            return History(**measured)
        """),
}


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_answer_written_differently_passes_every_test_cell(name):
    assignment, question, answer = CORRECT[name]
    assert run_question(assignment, question, answer) == []


# ---------------------------------------------------------------- typical mistakes
MISTAKES = {
    "01 q1: x moves before df_dy is taken": ("01", "q1", ["q1_test_hidden"], """
        def optimize_f(x, y, eta, steps):
            x_hist, y_hist = [x], [y]
            for _ in range(steps):
                x = x - eta * df_dx(x, y)
                y = y - eta * df_dy(x, y)
                x_hist.append(x)
                y_hist.append(y)
            return x, y, f(x, y), x_hist, y_hist
        """),
    "01 q1: histories without the start point": ("01", "q1", ["q1_test_visible", "q1_test_hidden"], """
        def optimize_f(x, y, eta, steps):
            x_hist, y_hist = [], []
            for _ in range(steps):
                x, y = x - eta * df_dx(x, y), y - eta * df_dy(x, y)
                x_hist.append(x)
                y_hist.append(y)
            return x, y, f(x, y), x_hist, y_hist
        """),
    "01 q3: the first step already decayed (eta0 * d**(t + 1))": ("01", "q3", ["q3_test_hidden"], """
        def optimize_f(x, y, eta, steps, decay=1.0):
            x_hist, y_hist = [x], [y]
            for t in range(steps):
                eta_t = eta * decay ** (t + 1)
                x, y = x - eta_t * df_dx(x, y), y - eta_t * df_dy(x, y)
                x_hist.append(x)
                y_hist.append(y)
            return x, y, f(x, y), x_hist, y_hist
        """),
    "01 q4: a fixed step that stops in the local minimum": ("01", "q4", ["q4_test_hidden"], """
        tuned_eta, tuned_decay, tuned_steps = 0.1, 1.0, 50
        """),
    "02 q1: a forward difference": ("02", "q1", ["q1_test_visible", "q1_test_hidden"], """
        def finite_difference(f, x, eps=1e-5):
            grad = np.zeros_like(x, dtype=float)
            for index in np.ndindex(x.shape):
                shifted = np.array(x, dtype=float)
                shifted[index] += eps
                grad[index] = (f(shifted) - f(x)) / eps
            return grad
        """),
    "02 q1: eps ignored": ("02", "q1", ["q1_test_hidden"], """
        def finite_difference(f, x, eps=1e-5):
            grad = np.zeros_like(x, dtype=float)
            for index in np.ndindex(x.shape):
                shift = np.zeros_like(x, dtype=float)
                shift[index] = 1e-6
                grad[index] = (f(x + shift) - f(x - shift)) / 2e-6
            return grad
        """),
    "02 q4: relu changes its input in place": ("02", "q4", ["q4_test_visible", "q4_test_hidden"], """
        def relu(x):
            x[x < 0] = 0
            return x

        def relu_grad(x):
            return (x > 0) * 1.0
        """),
    "02 q5: the mean instead of the sum": ("02", "q5", ["q5_test_visible", "q5_test_hidden"], """
        def bce_loss(y_hat, y):
            return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))

        def bce_loss_grad(y_hat, y):
            return -(y / y_hat - (1 - y) / (1 - y_hat)) / y.size
        """),
    "02 q6: the gradient with respect to w instead of x": ("02", "q6", ["q6_test_visible", "q6_test_hidden"], """
        def fn(x, y):
            h = x @ w.T + b
            y_hat = sigmoid(h)
            dh = bce_loss_grad(y_hat, y) * sigmoid_grad(h)
            return bce_loss(y_hat, y), np.broadcast_to(dh.T @ x, x.shape)
        """),
    "02 q7: the bias gradient averaged over the samples": ("02", "q7", ["q7_test_visible", "q7_test_hidden"], """
        class Linear:
            def __init__(self, n_in, n_out, rng=None):
                rng = np.random.default_rng(rng)
                self.W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
                self.b = np.zeros(n_out)

            def forward(self, x):
                return x @ self.W + self.b

            def backward(self, x, dy, y=None):
                self.dW = x.T @ dy
                self.db = dy.mean(axis=0)
                return dy @ self.W.T

            def step(self, eta):
                self.W = self.W - eta * self.dW
                self.b = self.b - eta * self.db
        """),
    "02 q7: backward without the y argument that Net passes": ("02", "q7", ["q7_test_visible", "q7_test_hidden"], """
        class Linear:
            def __init__(self, n_in, n_out, rng=None):
                rng = np.random.default_rng(rng)
                self.W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
                self.b = np.zeros(n_out)

            def forward(self, x):
                return x @ self.W + self.b

            def backward(self, x, dy):
                self.dW = x.T @ dy
                self.db = dy.sum(axis=0)
                return dy @ self.W.T

            def step(self, eta):
                self.W = self.W - eta * self.dW
                self.b = self.b - eta * self.db
        """),
    "02 q8: Sigmoid.backward takes y for its input": ("02", "q8", ["q8_test_visible", "q8_test_hidden"], """
        class Sigmoid:
            def forward(self, x):
                return sigmoid(x)

            def backward(self, x, dy, y=None):
                return dy * sigmoid_grad(x if y is None else y)

            def step(self, eta):
                pass


        class ReLU:
            def forward(self, x):
                return relu(x)

            def backward(self, x, dy, y=None):
                return dy * relu_grad(x)

            def step(self, eta):
                pass
        """),
    "02 q9: every layer is given the network's input": ("02", "q9", ["q9_test_visible", "q9_test_hidden"], """
        class Net:
            def __init__(self, layers):
                self.layers = list(layers)

            def forward(self, x):
                out = x
                for layer in self.layers:
                    out = layer.forward(out)
                return out, x

            def backward(self, trace, dy):
                for layer in reversed(self.layers):
                    dy = layer.backward(trace, dy)
                return dy

            def step(self, eta):
                for layer in self.layers:
                    layer.step(eta)
        """),
    "02 q9: a trace of the layers' inputs only, without the output": ("02", "q9", ["q9_test_visible", "q9_test_hidden"], """
        class Net:
            def __init__(self, layers):
                self.layers = list(layers)

            def forward(self, x):
                trace = []
                for layer in self.layers:
                    trace.append(x)
                    x = layer.forward(x)
                return x, trace

            def backward(self, trace, dy):
                for layer, x in zip(reversed(self.layers), reversed(trace)):
                    dy = layer.backward(x, dy)
                return dy

            def step(self, eta):
                for layer in self.layers:
                    layer.step(eta)
        """),
    "02 q10: the gradient averaged over the minibatch": ("02", "q10", ["q10_test_hidden"], """
        def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
            rng = np.random.default_rng(seed)
            history = History()
            for epoch in range(epochs):
                order = rng.permutation(len(x))
                for start in range(0, len(x), batch_size):
                    batch = order[start:start + batch_size]
                    out, trace = net.forward(x[batch])
                    net.backward(trace, bce_loss_grad(out, y[batch]) / len(batch))
                    net.step(eta)
                for inputs, labels, losses, accuracies in [
                        (x, y, history.train_loss, history.train_accuracy),
                        (x_val, y_val, history.val_loss, history.val_accuracy)]:
                    if inputs is None:
                        continue
                    out = net.forward(inputs)[0]
                    losses.append(bce_loss(out, labels) / len(labels))
                    accuracies.append(np.mean((out >= 0.5) == (labels == 1)))
            return history
        """),
    "02 q10: the last, smaller minibatch dropped": ("02", "q10", ["q10_test_hidden"], """
        def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
            rng = np.random.default_rng(seed)
            history = History()
            for epoch in range(epochs):
                order = rng.permutation(len(x))
                for start in range(0, len(x) - batch_size + 1, batch_size):
                    batch = order[start:start + batch_size]
                    out, trace = net.forward(x[batch])
                    net.backward(trace, bce_loss_grad(out, y[batch]))
                    net.step(eta)
                for inputs, labels, losses, accuracies in [
                        (x, y, history.train_loss, history.train_accuracy),
                        (x_val, y_val, history.val_loss, history.val_accuracy)]:
                    if inputs is None:
                        continue
                    out = net.forward(inputs)[0]
                    losses.append(bce_loss(out, labels) / len(labels))
                    accuracies.append(np.mean((out >= 0.5) == (labels == 1)))
            return history
        """),
    "02 q11: too small a learning rate for too few epochs": ("02", "q11", ["q11_test_visible", "q11_test_hidden"], """
        digits_net = Net([Linear(64, 32, rng=0), ReLU(), Linear(32, 1, rng=1), Sigmoid()])
        digits_history = fit(digits_net, x_train, y_train, epochs=2, eta=0.0001, x_val=x_val, y_val=y_val)
        """),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_a_typical_mistake_fails_exactly_the_expected_test_cells(name):
    assignment, question, failing, answer = MISTAKES[name]
    assert run_question(assignment, question, answer) == failing


PLAIN_SIGMOID = CORRECT["02 q3: the plain formula, which overflows for large negative x"][2]
UNCLIPPED_BCE = CORRECT["02 q5: no clipping, a loop over samples"][2]


@pytest.mark.parametrize("question", ["q6", "q8", "q10", "q11"])
def test_later_questions_do_not_make_a_plain_sigmoid_or_an_unclipped_loss_warn(question):
    """Numerically naive but correct Q3 and Q5 answers must not turn later tests into warnings (which
    pytest makes errors here): the hidden tests keep the inputs of the sigmoid and the loss moderate."""
    answers = {"q3": PLAIN_SIGMOID, "q5": UNCLIPPED_BCE}
    assert run_question("02", question, dependency_answers=answers) == []

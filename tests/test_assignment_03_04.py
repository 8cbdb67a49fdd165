"""Checks specific to assignments 3 (logic gates) and 4 (digits), on top of tests/test_assignments.py.

- The points table each notebook opens with agrees with the points in the cells' metadata.
- Correct answers written differently (np.eye instead of indexing, scipy instead of hand-written formulas,
  pinv instead of solve, seaborn instead of utils.plots, other weights that compute XOR...) get full marks.
- Typical mistakes cost the points of their own question and nothing else: a softmax that overflows loses
  only the stability test; gradients averaged instead of summed lose Q3 but not Q4 (whose tests pass their
  own gradient function); wrong XOR weights lose only Q3's hidden test.
Submissions are the release with solution cells replaced, graded by nbgrader's own autograde.
"""
import re

import pytest

from tests.grading import GradedCourse, nbgrader_cell, question_id, read

NOTEBOOKS = {"03_logic_gates": "logic_gates.ipynb", "04_digits": "digits.ipynb"}

# Solution cells written differently from source/, by grade_id.
ALTERNATIVE_03 = {
    "q1_linear_regression": '''
def design_matrix(X):
    X = np.asarray(X, dtype=float)
    return np.hstack([np.ones((X.shape[0], 1)), X])


def linear_regression_predict(X, y):
    A = design_matrix(X)
    return A @ np.linalg.pinv(A.T @ A) @ A.T @ y
''',
    "q2_relu_network": '''
def relu(z):
    return np.where(z > 0, z, 0.0)


def relu_network_forward(X, W_h, b_h, W_o, b_o):
    z_h = np.einsum("nd,dh->nh", X, W_h) + b_h
    a_h = relu(z_h)
    return z_h, a_h, np.einsum("nh,hk->nk", a_h, W_o) + b_o
''',
    # Twice the lecture's hidden weights, half its output weights: still exactly XOR.
    "q3_xor_weights": '''
W_h = np.array([[2.0, 2.0], [2.0, 2.0]])
b_h = np.array([0.0, -2.0])
W_o = np.array([[0.5], [-1.0]])
b_o = np.zeros(1)
''',
    "q4_train_logic_gate": '''
def train_logic_gate(gate, n_hidden=4, activation=Sigmoid, eta=0.5, epochs=500, seed=0):
    rng = np.random.default_rng(seed)
    net = Net([Linear(2, n_hidden, rng=rng), activation(), Linear(n_hidden, 1, rng=rng), Sigmoid()])
    X, y = logic_gate(gate)
    return net, fit(net, X, y, BinaryCrossEntropy(), epochs=epochs, batch_size=len(X), eta=eta, seed=seed,
                    progress=False)
''',
    "q5_train_classifier": '''
def train_classifier(sizes, X, Y, activation=Sigmoid, eta=1.0, epochs=1000, seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(n_in, n_out, rng=rng), activation()]
    net = Net(layers)
    history = fit(net, X, Y, MeanSquaredError(), epochs=epochs, batch_size=X.shape[0], eta=eta, seed=seed,
                  progress=False)
    return net, history
''',
    "q6_polar_features": '''
def polar_features(X, centre=(0.5, 0.5)):
    u = X - np.array(centre)
    return np.stack([np.linalg.norm(u, axis=1), np.arctan2(u[:, 1], u[:, 0])], axis=1)
''',
}

ALTERNATIVE_04 = {
    "q1_one_hot": '''
def to_categorical_numpy(labels, n_classes=10):
    return np.eye(n_classes)[np.asarray(labels)]
''',
    "q2_feed_forward": '''
from scipy.special import softmax


def feed_forward(X, W1, b1, W2, b2):
    a1 = expit(np.dot(X, W1) + b1)
    return a1, softmax(np.dot(a1, W2) + b2, axis=1)


def predict(X, W1, b1, W2, b2):
    probabilities = feed_forward(X, W1, b1, W2, b2)[1]
    return np.array([int(np.argmax(row)) for row in probabilities])
''',
    "q3_backpropagation": '''
def backpropagation(X, Y, W1, b1, W2, b2):
    a1, P = feed_forward(X, W1, b1, W2, b2)
    error = P - Y
    hidden = np.einsum("nk,hk->nh", error, W2) * a1 * (1 - a1)
    return (np.einsum("nd,nh->dh", X, hidden), np.sum(hidden, axis=0),
            np.einsum("nh,nk->hk", a1, error), np.sum(error, axis=0))
''',
    "q4_train_sgd": '''
def train_sgd(X, Y, W1, b1, W2, b2, eta=0.01, lmbda=0.0, epochs=100, batch_size=100, seed=0, progress=True,
              gradients=None):
    if gradients is None:
        gradients = backpropagation
    params = [np.array(p, dtype=float) for p in (W1, b1, W2, b2)]
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(X))
        start = 0
        while start < len(X):
            batch = order[start:start + batch_size]
            start += batch_size
            grads = gradients(X[batch], Y[batch], *params)
            for index, grad in enumerate(grads):
                penalty = lmbda * params[index] if index in (0, 2) else 0.0
                params[index] = params[index] - eta * (grad + penalty)
    return tuple(params)
''',
    "q5_grid_search": '''
etas = 10.0 ** np.arange(-5, 2)
lmbdas = 10.0 ** np.arange(-5, 2)
result = grid_search_all_at_once(SIZES, x_train, Y_train, x_test, Y_test, etas, lmbdas, epochs=GRID_EPOCHS,
                                 progress=False)
train_accuracy, test_accuracy = result.train_accuracy, result.test_accuracy
best_eta, best_lmbda, _ = result.best()
''',
    "q5_heatmaps": '''
import seaborn as sns

fig, (ax_train, ax_test) = plt.subplots(1, 2, figsize=(14, 5))
for ax, values, title in [(ax_train, train_accuracy, "Training Accuracy"), (ax_test, test_accuracy, "Test Accuracy")]:
    sns.heatmap(values, annot=True, cmap="viridis", ax=ax)
    ax.set_title(title)
    ax.set_xlabel("λ")
    ax.set_ylabel("η")
''',
    "q6_sklearn": '''
mlp = MLPClassifier(hidden_layer_sizes=(50,), activation="logistic", learning_rate_init=0.01, max_iter=400,
                    random_state=1).fit(x_train, labels_train)
sklearn_test_accuracy = float(np.mean(mlp.predict(x_test) == labels_test))
''',
}

NAIVE_SOFTMAX = '''
def feed_forward(X, W1, b1, W2, b2):
    a1 = 1 / (1 + np.exp(-(X @ W1 + b1)))
    exp_z = np.exp(a1 @ W2 + b2)
    return a1, exp_z / exp_z.sum(axis=1, keepdims=True)


def predict(X, W1, b1, W2, b2):
    return np.argmax(feed_forward(X, W1, b1, W2, b2)[1], axis=1)
'''

AVERAGED_GRADIENTS = '''
def backpropagation(X, Y, W1, b1, W2, b2):
    a1, P = feed_forward(X, W1, b1, W2, b2)
    error = (P - Y) / len(X)
    hidden = error @ W2.T * a1 * (1 - a1)
    return X.T @ hidden, hidden.sum(axis=0), a1.T @ error, error.sum(axis=0)
'''

WRONG_XOR_WEIGHTS = '''
W_h = np.array([[1.0, 1.0], [1.0, 1.0]])
b_h = np.array([0.0, -1.0])
W_o = np.array([[1.0], [-1.0]])
b_o = np.array([0.0])
'''

# Students of each course: {name: replaced solution cells (on top of the source's, or of the release's)}.
STUDENTS = {
    "03_logic_gates": {
        "alternative": ("release", ALTERNATIVE_03),
        "wrong_xor_weights": ("source", {"q3_xor_weights": WRONG_XOR_WEIGHTS}),
    },
    "04_digits": {
        "alternative": ("release", ALTERNATIVE_04),
        "naive_softmax": ("source", {"q2_feed_forward": NAIVE_SOFTMAX}),
        "averaged_gradients": ("source", {"q3_backpropagation": AVERAGED_GRADIENTS}),
    },
}

_courses = {}


def _submission(course, notebook, base, replaced):
    """The release (or source) notebook with the given solution cells replaced, every other cell as in source."""
    source = read(course.path("source", notebook))
    submission = read(course.path(base, notebook))
    solutions = {nbgrader_cell(c)["grade_id"]: c.source for c in source.cells if nbgrader_cell(c).get("solution")}
    for cell in submission.cells:
        grade_id = nbgrader_cell(cell).get("grade_id", "")
        if grade_id in replaced:
            cell.source = replaced[grade_id].strip("\n")
        elif base == "release" and grade_id in solutions and cell.cell_type == "code":
            cell.source = solutions[grade_id]
    assert set(replaced) <= {nbgrader_cell(c).get("grade_id") for c in submission.cells}
    return submission


def _course(name, tmp_path_factory):
    if name not in _courses:
        course = GradedCourse(tmp_path_factory.mktemp(name), name)
        course.generate()
        notebook = NOTEBOOKS[name]
        for student, (base, replaced) in STUDENTS[name].items():
            course.submit(student, {notebook: _submission(course, notebook, base, replaced)})
        course.autograde()
        _courses[name] = course
    return _courses[name]


def _lost(scores):
    """{grade_id: points lost} of the autograded cells that did not get full marks."""
    return {grade_id: maximum - auto for grade_id, (auto, maximum) in scores.items() if auto != maximum}


def _points_table(notebook):
    """{question: points} from the table of the notebook's first markdown cell ("| Q1 | ... | 4 |")."""
    intro = next(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    rows = re.findall(r"^\|\s*(Q\d+[a-z]?)\s*\|.*\|\s*(\d+)[^|]*\|\s*$", intro, re.M)
    return {question.lower(): int(points) for question, points in rows}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_points_table_matches_the_cells(name):
    from tests.grading import ROOT
    notebook = read(ROOT / "source" / name / NOTEBOOKS[name])
    in_cells = {}
    for cell in notebook.cells:
        meta = nbgrader_cell(cell)
        if meta.get("grade"):
            question = question_id(meta["grade_id"])
            in_cells[question] = in_cells.get(question, 0) + meta["points"]
    assert _points_table(notebook) == in_cells


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_correct_answers_written_differently_get_full_marks(name, tmp_path_factory):
    scores = _course(name, tmp_path_factory).scores("alternative")
    assert scores and not _lost(scores)


@pytest.mark.slow
def test_wrong_xor_weights_lose_only_the_hidden_xor_test(tmp_path_factory):
    lost = _lost(_course("03_logic_gates", tmp_path_factory).scores("wrong_xor_weights"))
    assert lost == {"q3_test_hidden": 2}


@pytest.mark.slow
def test_a_softmax_that_overflows_loses_only_the_stability_test(tmp_path_factory):
    lost = _lost(_course("04_digits", tmp_path_factory).scores("naive_softmax"))
    assert lost == {"q2_test_hidden_stable": 1}


@pytest.mark.slow
def test_averaged_gradients_lose_q3_but_not_training(tmp_path_factory):
    lost = _lost(_course("04_digits", tmp_path_factory).scores("averaged_gradients"))
    assert set(lost) == {"q3_test_visible", "q3_test_hidden_closed_form", "q3_test_hidden_finite_differences",
                         "q3_test_hidden_summed"}

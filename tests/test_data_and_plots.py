"""The data sets have the sizes the course quotes, and every figure is titled with labelled axes."""
import matplotlib
import numpy as np
import pytest

from utils import data, plots
from utils.net import History, make_mlp

# Any warning from utils is a bug: numerically sound code never warns a student.
pytestmark = pytest.mark.filterwarnings("error")

matplotlib.use("Agg")


def test_digits_split_sizes_scaling_and_one_hot():
    x_train, x_test, y_train, y_test = data.load_digits()
    assert x_train.shape == (1437, 64) and x_test.shape == (360, 64)
    assert y_train.shape == (1437, 10) and np.array_equal(y_train.sum(axis=1), np.ones(1437))
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    again = data.load_digits()
    assert all(np.array_equal(a, b) for a, b in zip((x_train, x_test, y_train, y_test), again))
    _, _, labels, _ = data.load_digits(one_hot_targets=False)
    assert np.array_equal(np.argmax(y_train, axis=1), labels)


def test_one_hot():
    assert np.array_equal(data.one_hot([3], 10)[0], [0, 0, 0, 1, 0, 0, 0, 0, 0, 0])


def test_binary_digits_task():
    x_train, x_test, y_train, y_test = data.load_binary_digits()
    assert x_train.shape == (898, 64) and x_test.shape == (899, 64)
    assert y_train.shape == (898, 1) and set(np.unique(y_train)) == {0.0, 1.0}
    everything = np.vstack([x_train, x_test])
    assert abs(everything.mean()) < 1e-12 and abs(everything.std() - 1) < 1e-12


@pytest.mark.parametrize("gate, outputs", [("OR", [0, 1, 1, 1]), ("AND", [0, 0, 0, 1]),
                                           ("XOR", [0, 1, 1, 0]), ("NAND", [1, 1, 1, 0])])
def test_logic_gates(gate, outputs):
    x, y = data.logic_gate(gate)
    assert np.array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]]) and np.array_equal(y.ravel(), outputs)


def test_two_class_points_match_the_project():
    x, y = data.two_class_points()
    assert x.shape == (10, 2) and np.array_equal(x[0], [0.1, 0.1]) and np.array_equal(x[9], [0.7, 0.6])
    assert np.array_equal(y[:5], [[1, 0]] * 5) and np.array_equal(y[5:], [[0, 1]] * 5)


def test_ring_points_are_separated_by_radius_but_not_by_a_line():
    x, y = data.ring_points(n_per_class=40, seed=0)
    assert x.shape == (80, 2) and y.shape == (80, 2) and ((x >= 0) & (x <= 1)).all()
    radius = np.linalg.norm(x - 0.5, axis=1)
    inner, outer = radius[y[:, 0] == 1], radius[y[:, 1] == 1]
    assert inner.max() < outer.min()
    # Both classes share the same centre, so no straight line can separate them.
    assert np.allclose(x[y[:, 0] == 1].mean(axis=0), 0.5, atol=0.05)
    assert np.allclose(x[y[:, 1] == 1].mean(axis=0), 0.5, atol=0.1)


def _labels(ax):
    return ax.get_title(), ax.get_xlabel(), ax.get_ylabel()


def test_descent_path_plot_shows_the_path():
    xs, ys = np.array([3.0, 2.0, 1.0]), np.array([2.0, 1.0, 0.5])
    ax = plots.plot_descent_path(lambda x, y: x**2 + y**2, xs, ys)
    assert all(_labels(ax))
    path = ax.lines[0]
    assert np.array_equal(path.get_xdata(), xs) and np.array_equal(path.get_ydata(), ys)


def test_learning_curves_plot_every_epoch():
    history = History(train_loss=[3, 2, 1], train_accuracy=[0.1, 0.5, 0.9], val_loss=[3, 2.5, 2],
                      val_accuracy=[0.1, 0.4, 0.8])
    loss_ax, acc_ax = plots.plot_learning_curves(history)
    assert all(_labels(loss_ax)) and all(_labels(acc_ax))
    assert [list(line.get_ydata()) for line in acc_ax.lines] == [[0.1, 0.5, 0.9], [0.1, 0.4, 0.8]]


def test_decision_regions_shade_the_plane_by_class():
    x, y = data.two_class_points()
    ax = plots.plot_decision_regions(lambda p: np.column_stack([p[:, 0] < 0.5, p[:, 0] >= 0.5]), x, y)
    assert all(_labels(ax)) and len(ax.collections) >= 2


def test_accuracy_heatmap_labels_greek_axes_and_marks_diverged_cells():
    accuracy = np.array([[0.9, 0.8], [np.nan, 0.1]])
    ax = plots.plot_accuracy_heatmap(accuracy, [0.01, 10.0], [0.0, 1.0], title="Test Accuracy")
    title, xlabel, ylabel = _labels(ax)
    assert title == "Test Accuracy" and "λ" in xlabel and "η" in ylabel
    texts = [t.get_text() for t in ax.texts]
    assert "0.90" in texts and "diverged" in texts
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.01", "10"]


def test_digit_grid():
    x_train, _, _, labels = data.load_digits(one_hot_targets=False)
    axes = plots.plot_digits(x_train[:12], labels[:12], n_cols=6)
    assert axes.shape == (2, 6) and axes[0, 0].get_title() == str(labels[0])


def test_decision_regions_work_with_a_network():
    x, y = data.two_class_points()
    net = make_mlp([2, 3, 2], seed=0)
    assert plots.plot_decision_regions(net.predict, x, y, resolution=20) is not None

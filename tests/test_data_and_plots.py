"""The data sets have the sizes the course quotes, and every figure is titled with labelled axes."""
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

from utils import data, plots
from utils.net import History, make_mlp

# Any warning from utils is a bug: numerically sound code never warns a student.
pytestmark = pytest.mark.filterwarnings("error")

matplotlib.use("Agg")

PDF_WIDTH = 0.9 * (8.27 - 2)  # inches: nbconvert's PDF scales a figure down to 0.9 of A4's text width


def pdf_points(fig, fontsize):
    """The size in points a font of the figure has in the PDF, where a wide figure is scaled down."""
    return fontsize * min(1.0, PDF_WIDTH / fig.get_figwidth())


def drawn(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


@pytest.mark.parametrize("module, heavy", [
    ("utils", {"sklearn", "seaborn", "pandas", "matplotlib"}),
    ("utils.plots", {"sklearn", "seaborn", "pandas"}),
])
def test_importing_utils_leaves_the_heavy_libraries_for_the_functions_that_use_them(module, heavy):
    """Every notebook, and every graded kernel, imports utils: scikit-learn, seaborn and pandas cost about
    2 s to import and are loaded only by the digits loaders and the heatmap (the time: benchmarks/grading.py)."""
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(heavy)!r}))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", f"import {module} loads {loaded.strip()}"
    x_train = subprocess.run([sys.executable, "-c", "import utils; print(utils.load_digits()[0].shape)"],
                             capture_output=True, text=True, check=True).stdout
    assert x_train.strip() == "(1437, 64)"  # the loaders still find scikit-learn when they need it


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


def test_descent_path_plot_shows_the_path_with_start_and_end():
    xs, ys = np.array([3.0, 2.0, 1.0]), np.array([2.0, 1.0, 0.5])
    ax = plots.plot_descent_path(lambda x, y: x**2 + y**2, xs, ys)
    assert all(_labels(ax))
    path = ax.lines[0]
    assert np.array_equal(path.get_xdata(), xs) and np.array_equal(path.get_ydata(), ys)
    markers = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.lines}
    assert markers["start"] == ([3.0], [2.0]) and markers["end"] == ([1.0], [0.5])
    assert {"descent path", "start", "end"} <= {t.get_text() for t in ax.get_legend().get_texts()}


def test_learning_curves_plot_every_epoch():
    history = History(train_loss=[3, 2, 1], train_accuracy=[0.1, 0.5, 0.9], val_loss=[3, 2.5, 2],
                      val_accuracy=[0.1, 0.4, 0.8])
    loss_ax, acc_ax = plots.plot_learning_curves(history)
    assert all(_labels(loss_ax)) and all(_labels(acc_ax))
    assert [list(line.get_ydata()) for line in acc_ax.lines] == [[0.1, 0.5, 0.9], [0.1, 0.4, 0.8]]


def test_learning_curves_legend_hides_no_data():
    """Noisy curves that fill their panels: a legend inside either panel would hide some epochs (a peak)."""
    rng = np.random.default_rng(0)
    loss, accuracy = rng.uniform(0, 3, size=(2, 100)), rng.uniform(0, 1, size=(2, 100))
    history = History(train_loss=list(loss[0]), train_accuracy=list(accuracy[0]), val_loss=list(loss[1]),
                      val_accuracy=list(accuracy[1]))
    axes = plots.plot_learning_curves(history)
    renderer = drawn(axes[0].figure)
    legends = [ax.get_legend() for ax in axes if ax.get_legend()]
    assert [t.get_text() for legend in legends for t in legend.get_texts()] == ["train", "validation"]
    for ax in axes:
        for line in ax.lines:
            points = ax.transData.transform(line.get_xydata())
            for legend in legends:
                box = legend.get_window_extent(renderer)
                hidden = [tuple(xy) for xy, (x, y) in zip(line.get_xydata(), points) if box.contains(x, y)]
                assert not hidden, f"the legend hides {line.get_label()!r} at {hidden} in {ax.get_title()!r}"


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
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$10^{-2}$", "$10^{1}$"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "$10^{0}$"]


def test_accuracy_heatmap_of_the_lecture_grid_is_legible_in_a_pdf():
    etas = lmbdas = np.logspace(-5, 1, 7)
    ax = plots.plot_accuracy_heatmap(np.full((7, 7), 0.5), etas, lmbdas)
    fig = ax.figure
    sizes = {"annotation": min(t.get_fontsize() for t in ax.texts),
             "tick label": min(t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()),
             "axis label": min(ax.xaxis.label.get_fontsize(), ax.yaxis.label.get_fontsize())}
    small = {what: round(pdf_points(fig, size), 1) for what, size in sizes.items() if pdf_points(fig, size) < 8}
    assert not small, f"smaller than 8 pt in a PDF: {small}"
    assert all(t.get_rotation() == 0 for t in ax.get_yticklabels()), "η's values are turned on their side"


def test_digit_grid():
    x_train, _, _, labels = data.load_digits(one_hot_targets=False)
    axes = plots.plot_digits(x_train[:12], labels[:12], n_cols=6)
    assert axes.shape == (2, 6) and axes[0, 0].get_title() == str(labels[0])


def test_digit_grid_title_is_above_the_top_row():
    x_train, _, _, labels = data.load_digits(one_hot_targets=False)
    axes = plots.plot_digits(x_train[:20], [f"{t} → {t}" for t in labels[:20]], title="Misclassified digits")
    fig = axes[0, 0].figure
    renderer = drawn(fig)
    [title] = [t for t in fig.texts if t.get_text() == "Misclassified digits"]
    title_box = title.get_window_extent(renderer)
    top_row = max(ax.get_tightbbox(renderer).y1 for ax in axes[0])  # the images and their labels
    assert title_box.y0 >= top_row, f"the title (from y = {title_box.y0:.0f}) overlaps the top row ({top_row:.0f})"
    assert title_box.y1 <= fig.bbox.y1, "the title is cut off at the top of the figure"


def test_decision_regions_work_with_a_network():
    x, y = data.two_class_points()
    net = make_mlp([2, 3, 2], seed=0)
    assert plots.plot_decision_regions(net.predict, x, y, resolution=20) is not None

"""The course's figures. Every function draws on an Axes (a new one if none is given) and returns it,
so a notebook can add to the figure and a test can read the data behind it.
"""
import matplotlib.pyplot as plt
import numpy as np


def _axes(ax):
    return plt.subplots()[1] if ax is None else ax


def plot_descent_path(f, x_hist, y_hist, ax=None, bounds=(-5, 5), resolution=200, levels=30):
    """Contours of f(x, y) on the square `bounds`^2 with the path (x_hist[t], y_hist[t]) drawn on top.

    f: vectorised function of two arrays; x_hist, y_hist: positions, shape (T,).
    """
    ax = _axes(ax)
    grid = np.linspace(*bounds, resolution)
    gx, gy = np.meshgrid(grid, grid)
    contours = ax.contour(gx, gy, f(gx, gy), levels=levels, cmap="viridis")
    ax.figure.colorbar(contours, ax=ax, label="f(x, y)")
    ax.plot(x_hist, y_hist, "o-", color="tab:red", markersize=3, label="descent path")
    ax.plot(x_hist[0], y_hist[0], "s", color="black", markersize=8, label="start")
    ax.plot(x_hist[-1], y_hist[-1], "*", color="gold", markeredgecolor="black", markersize=14, label="end")
    ax.set(title="Gradient descent on f(x, y)", xlabel="x", ylabel="y")
    ax.legend(loc="best", framealpha=0.9)
    return ax


def plot_learning_curves(history, axes=None):
    """Loss and accuracy per epoch from a `utils.net.History`; axes: two Axes, or None for a new figure.

    The curves are "train" and, if the history has them, "validation": the data watched during training (to
    choose the epochs or the hyperparameters) is validation data; a test set is measured once, at the end.

    Both panels use the same colours, so one legend, to the right of the accuracy panel, serves both: inside
    a panel it would hide part of a curve.
    """
    if axes is None:
        axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")[1]
    loss_ax, acc_ax = axes
    epochs = np.arange(1, len(history.train_loss) + 1)
    loss_ax.plot(epochs, history.train_loss, label="train")
    acc_ax.plot(epochs, history.train_accuracy, label="train")
    if history.val_loss:
        loss_ax.plot(epochs, history.val_loss, label="validation")
        acc_ax.plot(epochs, history.val_accuracy, label="validation")
    loss_ax.set(title="Loss per sample", xlabel="epoch", ylabel="loss")
    acc_ax.set(title="Accuracy", xlabel="epoch", ylabel="accuracy")
    acc_ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    return axes


def plot_decision_regions(predict, x, y, ax=None, resolution=200, margin=0.1):
    """Shade the plane by predicted class and draw the points on top.

    predict: maps points, shape (M, 2), to outputs, shape (M, C) (class = largest output; C = 1: output >= 0.5).
    x: points, shape (N, 2); y: one-hot targets, shape (N, C), or 0/1 labels, shape (N, 1).
    """
    ax = _axes(ax)
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    regions = _classes(predict(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(gx.shape)
    ax.contourf(gx, gy, regions, alpha=0.3, cmap="coolwarm")
    ax.scatter(x[:, 0], x[:, 1], c=_classes(y), cmap="coolwarm", edgecolors="black")
    ax.set(title="Decision regions", xlabel="$x_1$", ylabel="$x_2$")
    return ax


def _classes(outputs):
    outputs = np.asarray(outputs)
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= 0.5).astype(int)
    return np.argmax(outputs, axis=1)


def plot_accuracy_heatmap(accuracy, etas, lmbdas, title="Validation Accuracy", ax=None):
    """Annotated heatmap of accuracy, shape (n_eta, n_lambda): eta on the rows, lambda on the columns.

    NaN cells (runs that diverged, see `utils.search.GridResult`) are left blank and marked "diverged".
    A 7 x 7 grid stays legible in a PDF at about 7 x 6 inches (the size of a new figure): draw two
    heatmaps one above the other (plt.subplots(2, 1, figsize=(7, 11))), not side by side.
    """
    import seaborn as sns  # here, not at the top: seaborn brings pandas (about 1 s), and only heatmaps need it

    if ax is None:
        ax = plt.subplots(figsize=(7, 6), layout="constrained")[1]
    accuracy = np.asarray(accuracy, dtype=float)
    sns.heatmap(accuracy, annot=True, fmt=".2f", annot_kws={"fontsize": 11}, cmap="viridis", vmin=0, vmax=1,
                ax=ax, xticklabels=[_tick_label(v) for v in lmbdas], yticklabels=[_tick_label(v) for v in etas],
                cbar_kws={"label": "accuracy"})
    for i, j in zip(*np.nonzero(np.isnan(accuracy))):
        ax.text(j + 0.5, i + 0.5, "diverged", ha="center", va="center", fontsize=9, color="gray")
    ax.tick_params(labelsize=11, labelrotation=0)
    ax.set_title(title, fontsize=13)
    ax.set_xlabel("λ (L2 regularisation)", fontsize=12)
    ax.set_ylabel("η (learning rate)", fontsize=12)
    return ax


def _tick_label(value):
    """A grid value as a tick label: a power of ten as 10⁻³ (0.001), anything else as written (0.5, 0)."""
    if value > 0 and np.isclose(np.log10(value), np.round(np.log10(value))):
        return f"$10^{{{int(np.round(np.log10(value)))}}}$"
    return f"{value:g}"


def plot_digits(images, labels=None, n_cols=10, title="Digits (8 × 8 pixels)"):
    """A grid of digit images. images: shape (N, 64) or (N, 8, 8); labels: shape (N,), shown as titles.

    Returns the Axes, shape (n_rows, n_cols); the figure's title is `title`, above the top row.
    """
    images = np.asarray(images).reshape(-1, 8, 8)
    n_rows = int(np.ceil(len(images) / n_cols))
    # A constrained layout keeps room for the figure's title above the labels of the top row.
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(n_cols, 1.2 * n_rows + 0.4), squeeze=False,
                             layout="constrained")
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            ax.imshow(images[index], cmap="gray_r")
            if labels is not None:
                ax.set_title(str(labels[index]))
    fig.suptitle(title)
    return axes

"""The course's data sets. Nothing is downloaded: the digits come bundled with scikit-learn.

Targets are 2-D arrays: one-hot rows, shape (N, C), for several classes, or 0/1 labels, shape (N, 1).
Splits are returned in scikit-learn's order: x_train, x_test, y_train, y_test.
"""
import numpy as np

# scikit-learn is imported inside the loaders that use it: it takes about 1 s to import, and `import utils`
# should not cost that in notebooks (and graded kernels) that never load the digits.

# The four possible inputs of a two-input logic gate, and each gate's outputs for them.
GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATE_OUTPUTS = {
    "OR": [0, 1, 1, 1],
    "AND": [0, 0, 0, 1],
    "XOR": [0, 1, 1, 0],
    "NAND": [1, 1, 1, 0],
}


def one_hot(labels, n_classes=10):
    """labels: integers, shape (N,) -> one-hot rows, shape (N, n_classes); 3 -> [0,0,0,1,0,...]."""
    labels = np.asarray(labels, dtype=int)
    encoded = np.zeros((len(labels), n_classes))
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


def load_digits(test_size=0.2, seed=0, scale=True, one_hot_targets=True):
    """scikit-learn's 1797 handwritten digits (8x8 pixels, values 0-16), flattened to 64 features.

    scale: divide the pixels by 16 so they lie in [0, 1]. The split is stratified and seeded:
    with test_size=0.2 it gives 1437 training and 360 test images.
    Returns x_train (N_train, 64), x_test (N_test, 64), y_train, y_test: one-hot, shape (N, 10),
    or the integer labels, shape (N,), if one_hot_targets is False.
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    digits = sklearn_digits()
    x = digits.data / 16.0 if scale else digits.data.astype(float)
    labels = digits.target
    x_train, x_test, l_train, l_test = train_test_split(
        x, labels, test_size=test_size, random_state=seed, stratify=labels)
    if one_hot_targets:
        return x_train, x_test, one_hot(l_train), one_hot(l_test)
    return x_train, x_test, l_train, l_test


def load_binary_digits(seed=0):
    """The binary task of assignment 2: is the digit smaller than 5?

    Inputs are standardised by the global mean and standard deviation of all pixels; the split is 50/50
    (898 training, 899 test images). Returns x_train (898, 64), x_test (899, 64), y_train (898, 1),
    y_test (899, 1), with label 1 for digits 0-4 and 0 for 5-9.
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    digits = sklearn_digits()
    x = (digits.data - digits.data.mean()) / digits.data.std()
    y = (digits.target < 5).astype(float).reshape(-1, 1)
    return train_test_split(x, y, test_size=0.5, random_state=seed, stratify=y.ravel())


def logic_gate(name):
    """Inputs X, shape (4, 2), and 0/1 outputs y, shape (4, 1), of the gate OR, AND, XOR or NAND."""
    outputs = GATE_OUTPUTS[name.upper()]
    return GATE_INPUTS.copy(), np.array(outputs, dtype=float).reshape(-1, 1)


def two_class_points():
    """The ten points of the linear-algebra project: X, shape (10, 2), in [0, 1]^2; Y one-hot, shape (10, 2).

    The first five points are class A (target [1, 0]), the last five class B (target [0, 1]).
    """
    x1 = [0.1, 0.3, 0.1, 0.6, 0.4, 0.6, 0.5, 0.9, 0.4, 0.7]
    x2 = [0.1, 0.4, 0.5, 0.9, 0.2, 0.3, 0.6, 0.2, 0.4, 0.6]
    x = np.column_stack([x1, x2])
    return x, one_hot([0] * 5 + [1] * 5, n_classes=2)


def ring_points(n_per_class=50, seed=0):
    """Two classes around the centre (0.5, 0.5): class A inside a small ellipse, class B on a ring around it.

    No straight line separates them; in polar coordinates around the centre they are separated by the radius.
    Returns X, shape (2 * n_per_class, 2), in [0, 1]^2, and Y one-hot, shape (2 * n_per_class, 2).
    """
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, 2 * n_per_class)
    # Inner class: radius up to 0.15; outer class: a band between 0.3 and 0.4.
    radius = np.concatenate([rng.uniform(0.0, 0.15, n_per_class), rng.uniform(0.3, 0.4, n_per_class)])
    x = np.column_stack([0.5 + 1.1 * radius * np.cos(angle), 0.5 + 0.9 * radius * np.sin(angle)])
    return x, one_hot([0] * n_per_class + [1] * n_per_class, n_classes=2)

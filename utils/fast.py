"""Speed apart from the code students read: `fit` and the eta/lambda grid, faster, with the same results.

Read utils/net.py (`fit`) and utils/search.py (`grid_search`) first: this module computes exactly what they
compute, only faster, by trading readability for time. tests/test_performance_equivalence.py checks that `fit`
here gives the very parameters and History of `utils.net.fit`; tests/test_search.py that the grid's accuracies
are identical to `grid_search`'s; benchmarks/run.py measures both (see benchmarks/RESULTS.md).

- `fit`: utils.net.fit on one BLAS thread, without dL/dx of the network's input: about 10% faster on the digits
  network (benchmarks/RESULTS.md). The lectures and assignments train with the plain `fit`, whose loop they
  show; this one is for training long enough to wait for (benchmarks, experiments).
- `grid_search_all_at_once`: the 7 x 7 grid of assignment 4 and lecture 03 (stacked networks, buffers
  allocated once, threads), because its 49 networks would otherwise take the better part of a minute.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController
from tqdm.auto import tqdm

import utils.net
from utils.layers import Linear
from utils.net import Net, make_mlp
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
    """`utils.net.fit`, faster: the same arguments and, to the bit, the same trained parameters and History.

    It runs fit's own loop (read it there) with two changes that trade readability for time:
    - numpy's BLAS runs on one thread for the whole training (see `BLAS`; tasks.py's commands and the grading
      sandbox already set OPENBLAS_NUM_THREADS=1, and then this changes nothing);
    - the backward pass skips dL/dx of the network's input, which training never uses (`_TrainingNet`): for a
      first Linear layer that is one matrix product in five.
    net: a `Net` (a subclass that overrides forward or backward is trained with Net's).
    dtype: the floating-point type of the training arithmetic. Only float64, fit's own, is implemented: the place
    for a float32 path (issue 14), whose results would differ from fit's by design (and which needs care:
    BinaryCrossEntropy's clip at 1 - 1e-12 is 1.0 in float32, so log(1 - p) could be -inf).
    """
    if np.dtype(dtype) != np.float64:
        raise NotImplementedError(f"utils.fast.fit trains in float64 only, not {np.dtype(dtype)}")
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
                            epochs=100, batch_size=100, seed=0, progress=True):
    """The whole grid trained at once: cell for cell what `grid_search` returns for `make_mlp(sizes, seed=seed)`
    networks and `SoftmaxCrossEntropy()` (sigmoid hidden layers, softmax output, L2 on the weights,
    gradients summed over each minibatch as in `fit`), about 2.5 times faster on two cores.

    sizes: layer sizes, e.g. [64, 50, 10]; x_train: (N, D), y_train: one-hot (N, C); x_test: (M, D),
    y_test: (M, C); etas, lmbdas: the grid's values. Returns a GridResult; diverged cells are NaN there.

    How: the networks of G cells are stacked along a new first axis (see `_Stack`) and see the same
    minibatches. A product of stacks is G matrix products, each the very product `fit` computes for that
    cell, and every element-wise step is the one the layers take, so each cell follows the same
    floating-point path as when it is trained alone: the accuracies are identical, not just close.
    The grid is cut into chunks of a few cells, small enough for the processor's cache, and two chunks
    train at a time in threads (numpy lets go of Python's lock while it computes).
    """
    etas, lmbdas = np.asarray(etas, dtype=float), np.asarray(lmbdas, dtype=float)
    result = GridResult.empty(etas, lmbdas)
    # Cell g is (etas[g // n_lambda], lmbdas[g % n_lambda]): row-major, like the result's arrays.
    eta_cells, lmbda_cells = np.repeat(etas, len(lmbdas)), np.tile(lmbdas, len(etas))
    chunks = chunks_of_cells(eta_cells.size)
    bar = tqdm(total=len(chunks) * epochs, desc="grid (chunk epochs)", disable=not progress, leave=False)

    def train(cells):
        # errstate is per thread; diverging cells overflow before they are caught, as in `fit`.
        with np.errstate(over="ignore", invalid="ignore"):
            stack = _Stack(make_mlp(sizes, seed=seed), eta_cells[cells], lmbda_cells[cells], cells)
            stack.train(x_train, y_train, epochs, batch_size, seed, bar)
            for x, y, accuracies in ((x_train, y_train, result.train_accuracy),
                                     (x_test, y_test, result.test_accuracy)):
                correct = np.argmax(stack.forward(x)[-1], axis=-1) == np.argmax(y, axis=-1)
                accuracies.flat[stack.cells] = correct.mean(axis=-1)

    with BLAS.limit(limits=1, user_api="blas"), ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(train, chunks))  # list(): raise the first error of a chunk, if any
    bar.close()
    result.diverged[...] = np.isnan(result.test_accuracy)  # every cell that did not diverge got an accuracy
    return result


def chunks_of_cells(n_cells):
    """The cell numbers 0 .. n_cells - 1 cut into chunks of about CELLS_PER_CHUNK, as trained at once."""
    return np.array_split(np.arange(n_cells), max(1, round(n_cells / CELLS_PER_CHUNK)))


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

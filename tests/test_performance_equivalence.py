"""The speed-ups of utils change no result: each fast piece is checked against the plain formula it replaced.

- `fit` shuffles once per epoch and takes slices, and skips dL/dx of the input: checked against the plain
  loop (index a minibatch, full `Net.backward`) bit for bit.
- `SoftmaxCrossEntropy` computes softmax and log-softmax itself: checked against scipy, bit for bit.
- `Sigmoid` uses numpy's exp instead of scipy's `expit`: within one rounding step of it, never a warning.
"""
import numpy as np
import pytest
from scipy.special import expit, log_softmax, softmax
from threadpoolctl import threadpool_info

from utils.data import load_digits, logic_gate
from utils.layers import Linear, ReLU, Sigmoid, Tanh
from utils.losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from utils.net import History, Net, _record, fit, make_mlp
from utils.optim import Adam, Constant

pytestmark = pytest.mark.filterwarnings("error")


def plain_fit(net, x, y, loss, epochs, batch_size, eta, lmbda, optimizer=None, seed=0):
    """fit as first written: a fancy-indexed copy per minibatch and the full backward pass."""
    optimizer = optimizer or Constant(eta)
    rng = np.random.default_rng(seed)
    history = History()
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(x))
            for start in range(0, len(x), batch_size):
                batch = order[start:start + batch_size]
                y_pred, trace = net.forward(x[batch])
                net.backward(trace, loss.gradient(y_pred, y[batch]))
                for weight, grad in net.weights():
                    grad += lmbda * weight
                optimizer.update(net.parameters(), net.gradients())
            if not all(np.isfinite(param).all() for param in net.parameters()):
                history.diverged = epoch
                break
            _record(history, net, loss, lambda p, t: float(np.mean(p.argmax(1) == t.argmax(1))), x, y, None, None)
    return history


@pytest.mark.parametrize("eta, lmbda", [(0.01, 0.0), (0.01, 0.1), (0.3, 0.001), (10.0, 10.0)])
def test_fit_equals_the_plain_loop_bit_for_bit_on_digits(eta, lmbda):
    x, _, y, _ = load_digits()
    x, y = x[:400], y[:400]  # 400 = 6 * 64 + 16: an uneven last minibatch
    fast, plain = make_mlp([64, 30, 10], seed=1), make_mlp([64, 30, 10], seed=1)
    history = fit(fast, x, y, SoftmaxCrossEntropy(), epochs=15, batch_size=64, eta=eta, lmbda=lmbda, seed=2,
                  progress=False)
    reference = plain_fit(plain, x, y, SoftmaxCrossEntropy(), 15, 64, eta, lmbda, seed=2)
    assert history.diverged == reference.diverged
    assert history.train_loss == reference.train_loss
    assert history.train_accuracy == reference.train_accuracy
    if history.diverged is None:
        assert all(np.array_equal(p, q) for p, q in zip(fast.parameters(), plain.parameters()))


def test_fit_equals_the_plain_loop_when_the_first_layer_has_no_parameters():
    x, y = logic_gate("XOR")
    layers = lambda: [Tanh(), Linear(2, 6, rng=0), ReLU(), Linear(6, 1, rng=1), Sigmoid()]  # noqa: E731
    fast, plain = Net(layers()), Net(layers())
    fit(fast, x, y, BinaryCrossEntropy(), epochs=50, batch_size=3, optimizer=Adam(0.05), progress=False)
    plain_fit(plain, x, y, BinaryCrossEntropy(), 50, 3, 0.0, 0.0, optimizer=Adam(0.05))
    assert all(np.array_equal(p, q) for p, q in zip(fast.parameters(), plain.parameters()))


def test_backward_params_fills_the_same_gradients_as_backward():
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((7, 5)), rng.standard_normal((7, 3))
    for make in (lambda: Net([Linear(5, 4, rng=1), Sigmoid(), Linear(4, 3, rng=2)]),
                 lambda: Net([Sigmoid(), Linear(5, 3, rng=1)])):
        full, params_only = make(), make()
        full.backward(full.forward(x)[1], dy)
        assert params_only.backward_params(params_only.forward(x)[1], dy) is None
        assert all(np.array_equal(g, h) for g, h in zip(full.gradients(), params_only.gradients()))


def test_fit_runs_blas_on_one_thread_and_restores_it():
    def blas_threads():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    class SpyingLoss(BinaryCrossEntropy):
        seen = []

        def gradient(self, y_pred, y_true):
            self.seen.append(blas_threads())
            return super().gradient(y_pred, y_true)

    before = blas_threads()
    x, y = logic_gate("OR")
    fit(make_mlp([2, 1]), x, y, SpyingLoss(), epochs=2, progress=False)
    assert SpyingLoss.seen and all(threads and set(threads) == {1} for threads in SpyingLoss.seen)
    assert blas_threads() == before


def test_softmax_cross_entropy_matches_scipy_bit_for_bit():
    rng = np.random.default_rng(0)
    z = 30 * rng.standard_normal((50, 10))
    y = np.eye(10)[rng.integers(0, 10, 50)]
    loss = SoftmaxCrossEntropy()
    assert np.array_equal(loss.gradient(z, y), softmax(z, axis=1) - y)
    assert loss.value(z, y) == float(-np.sum(y * log_softmax(z, axis=1)))
    assert loss.value(np.array([[1000.0, -1000.0]]), np.array([[0.0, 1.0]])) == 2000.0  # no overflow


def test_sigmoid_is_within_one_rounding_step_of_expit_and_never_warns():
    x = np.concatenate([np.linspace(-800, 800, 3201), 5 * np.random.default_rng(0).standard_normal(10_000)])
    s = Sigmoid().forward(x)
    exact = expit(x)
    assert np.all(np.abs(s - exact) <= 2 * np.spacing(exact))
    assert Sigmoid().forward(-1e4) == 0.0 and Sigmoid().forward(1e4) == 1.0
    assert Sigmoid().forward(np.array([0, 1])).dtype == float  # integers in, floats out
    assert Sigmoid().forward(np.float32([0.5])).dtype == np.float32
    x_copy = x.copy()
    Sigmoid().forward(x)
    assert np.array_equal(x, x_copy), "forward must not change its input"

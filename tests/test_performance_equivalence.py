"""Speed changes no result: each fast piece is checked against the plain code it stands in for.

- `utils.fast.fit` (one BLAS thread, no dL/dx of the input) against `utils.net.fit`: the same History and the
  same parameters, bit for bit, diverging runs and layers without parameters included.
- `utils.net.fit` itself (one shuffle per epoch, minibatches as slices of it) against the loop as first
  written, which indexes every minibatch: bit for bit.
- `SoftmaxCrossEntropy` computes softmax and log-softmax itself: checked against scipy, bit for bit.
- `Sigmoid` uses numpy's exp instead of scipy's `expit`: within one rounding step of it, never a warning;
  the in-place sigmoid of `utils.fast` gives its very bits.
(The grid trained all at once is checked against `grid_search` in tests/test_search.py.)
"""
import inspect

import numpy as np
import pytest
from scipy.special import expit, log_softmax, softmax
from threadpoolctl import threadpool_info

from utils import fast
from utils.data import load_digits, logic_gate
from utils.layers import Linear, ReLU, Sigmoid, Tanh
from utils.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from utils.net import History, Net, _record, fit, make_mlp
from utils.optim import Adam, Constant, Momentum

pytestmark = pytest.mark.filterwarnings("error")


def same_parameters(net, other):
    return all(np.array_equal(p, q) for p, q in zip(net.parameters(), other.parameters(), strict=True))


@pytest.fixture(scope="module")
def digits():
    x_train, x_test, y_train, y_test = load_digits()
    return x_train[:400], x_test, y_train[:400], y_test  # 400 = 6 * 64 + 16: an uneven last minibatch


@pytest.mark.parametrize("eta, lmbda", [(0.01, 0.0), (0.01, 0.1), (0.3, 0.001), (10.0, 100.0)])
@pytest.mark.parametrize("record_train", [True, False])
def test_fast_fit_equals_fit_bit_for_bit_on_digits(digits, eta, lmbda, record_train):
    x, x_val, y, y_val = digits
    settings = dict(epochs=15, batch_size=64, eta=eta, lmbda=lmbda, x_val=x_val, y_val=y_val, seed=2,
                    progress=False, record_train=record_train)
    plain, quick = make_mlp([64, 30, 10], seed=1), make_mlp([64, 30, 10], seed=1)
    reference = fit(plain, x, y, SoftmaxCrossEntropy(), **settings)
    history = fast.fit(quick, x, y, SoftmaxCrossEntropy(), **settings)
    assert isinstance(history, History)
    assert history == reference  # every loss and accuracy of every epoch, and the epoch of divergence
    assert (history.diverged is not None) == (eta * lmbda > 2)  # the L2 step alone multiplies W by 1 - eta lmbda
    if history.diverged is None:
        assert same_parameters(quick, plain)


@pytest.mark.parametrize("make_layers, loss, optimizer", [
    # The first layer has no parameters: its backward runs in full, as in Net.backward.
    (lambda: [Tanh(), Linear(2, 6, rng=0), ReLU(), Linear(6, 1, rng=1), Sigmoid()], BinaryCrossEntropy(),
     lambda: Adam(0.05)),
    # A deeper net, another loss and an optimiser with state.
    (lambda: [Linear(2, 5, rng=0), Tanh(), Linear(5, 4, rng=1), ReLU(), Linear(4, 1, rng=2)], MeanSquaredError(),
     lambda: Momentum(0.05)),
], ids=["parameterless-first-layer", "three-linear-layers"])
def test_fast_fit_equals_fit_bit_for_bit_for_other_nets(make_layers, loss, optimizer):
    x, y = logic_gate("XOR")
    plain, quick = Net(make_layers()), Net(make_layers())
    reference = fit(plain, x, y, loss, epochs=50, batch_size=3, optimizer=optimizer(), progress=False)
    history = fast.fit(quick, x, y, loss, epochs=50, batch_size=3, optimizer=optimizer(), progress=False)
    assert history == reference
    assert same_parameters(quick, plain)


def test_fast_fit_takes_fits_arguments_plus_dtype():
    plain, quick = inspect.signature(fit).parameters, inspect.signature(fast.fit).parameters
    assert list(quick) == list(plain) + ["dtype"]
    assert all(quick[name].default == plain[name].default for name in plain)
    assert quick["dtype"].default is np.float64
    x, y = logic_gate("OR")
    with pytest.raises(TypeError):
        fast.fit(make_mlp([2, 1]), x, y, MeanSquaredError(), learning_rate=0.1)
    with pytest.raises(NotImplementedError):
        fast.fit(make_mlp([2, 1]), x, y, MeanSquaredError(), dtype=np.float16)


def test_the_training_backward_fills_the_same_gradients_as_backward_and_skips_dx():
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((7, 5)), rng.standard_normal((7, 3))
    for make in (lambda: Net([Linear(5, 4, rng=1), Sigmoid(), Linear(4, 3, rng=2)]),
                 lambda: Net([Sigmoid(), Linear(5, 3, rng=1)])):
        full, training = make(), fast._TrainingNet(make())
        full.backward(full.forward(x)[1], dy)
        assert training.backward(training.forward(x)[1], dy) is None
        assert all(np.array_equal(g, h) for g, h in zip(full.gradients(), training.gradients(), strict=True))


def test_fast_fit_trains_the_net_it_is_given():
    x, y = logic_gate("AND")
    net = make_mlp([2, 1], seed=0)
    first = net.layers[0].W.copy()
    fast.fit(net, x, y, MeanSquaredError(), epochs=3, eta=0.1, progress=False)
    assert not np.array_equal(net.layers[0].W, first)


def blas_threads():
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def test_fast_fit_runs_blas_on_one_thread_and_restores_it():
    class SpyingLoss(BinaryCrossEntropy):
        seen = []

        def gradient(self, y_pred, y_true):
            self.seen.append(blas_threads())
            return super().gradient(y_pred, y_true)

    before = blas_threads()
    x, y = logic_gate("OR")
    fast.fit(make_mlp([2, 1]), x, y, SpyingLoss(), epochs=2, progress=False)
    assert SpyingLoss.seen and all(threads and set(threads) == {1} for threads in SpyingLoss.seen)
    assert blas_threads() == before


def loop_as_first_written(net, x, y, loss, epochs, batch_size, eta, lmbda, seed=0):
    """fit as first written: a fancy-indexed copy for every minibatch instead of slices of one shuffled copy."""
    optimizer = Constant(eta)
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
            _record(history, net, loss, x, y, None, None)
    return history


@pytest.mark.parametrize("eta, lmbda", [(0.01, 0.1), (10.0, 100.0)])
def test_fit_shuffling_once_per_epoch_equals_indexing_every_minibatch(digits, eta, lmbda):
    x, _, y, _ = digits
    net, reference_net = make_mlp([64, 30, 10], seed=1), make_mlp([64, 30, 10], seed=1)
    history = fit(net, x, y, SoftmaxCrossEntropy(), epochs=15, batch_size=64, eta=eta, lmbda=lmbda, seed=2,
                  progress=False)
    assert history == loop_as_first_written(reference_net, x, y, SoftmaxCrossEntropy(), 15, 64, eta, lmbda, seed=2)
    if history.diverged is None:
        assert same_parameters(net, reference_net)


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


def test_the_in_place_sigmoid_of_fast_gives_the_bits_of_sigmoid():
    x = np.concatenate([np.linspace(-800, 800, 3201), 5 * np.random.default_rng(0).standard_normal(10_000)])
    expected = Sigmoid().forward(x)
    out = np.empty_like(x)
    assert fast._sigmoid(x, out=out) is out and np.array_equal(out, expected)
    in_place = x.copy()
    fast._sigmoid(in_place, out=in_place)
    assert np.array_equal(in_place, expected)

"""Every gradient in utils is checked against central finite differences, on seeded float64 inputs."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.gradcheck import check_layer_gradients, numerical_gradient, rel_error
from utils.layers import LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from utils.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy

# Any warning from utils is a bug: numerically sound code never warns a student.
pytestmark = pytest.mark.filterwarnings("error")

TOLERANCE = 1e-7


def _inputs(shape, seed=0):
    """Seeded inputs kept away from 0, where ReLU's derivative jumps and finite differences cannot see it."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)


@pytest.mark.parametrize("layer", [Linear(4, 3, rng=0), Sigmoid(), Tanh(), ReLU(), LeakyReLU(0.1)], ids=repr)
def test_layer_gradients_match_finite_differences(layer):
    x = _inputs((5, 4))
    errors = check_layer_gradients(layer, x, seed=1)
    assert errors["max"] < TOLERANCE, errors


@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 7), n_in=st.integers(1, 6), n_out=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_linear_gradients_for_any_batch_and_shape(batch, n_in, n_out, seed):
    layer = Linear(n_in, n_out, rng=seed)
    x = _inputs((batch, n_in), seed)
    assert layer.forward(x).shape == (batch, n_out)
    assert layer.backward(x, np.ones((batch, n_out))).shape == (batch, n_in)
    assert layer.dW.shape == layer.W.shape and layer.db.shape == layer.b.shape
    assert check_layer_gradients(layer, x, seed=seed)["max"] < TOLERANCE


@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 7), width=st.integers(1, 6), seed=st.integers(0, 2**16),
       layer=st.sampled_from([Sigmoid(), Tanh(), ReLU(), LeakyReLU()]))
def test_activation_gradients_for_any_batch_and_shape(batch, width, seed, layer):
    x = _inputs((batch, width), seed)
    assert layer.forward(x).shape == x.shape
    assert check_layer_gradients(layer, x, seed=seed)["max"] < TOLERANCE


def test_backward_may_reuse_the_forward_output():
    x, dy = _inputs((3, 4)), _inputs((3, 4), seed=1)
    for layer in (Sigmoid(), Tanh()):
        assert np.allclose(layer.backward(x, dy), layer.backward(x, dy, y=layer.forward(x)))


def _targets(name, shape, rng):
    if name == "softmax":
        return np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    if name == "bce":
        return rng.integers(0, 2, shape).astype(float)
    return rng.standard_normal(shape)


def _predictions(name, shape, rng):
    if name == "bce":
        return rng.uniform(0.05, 0.95, shape)  # probabilities
    return rng.standard_normal(shape)


LOSSES = {"bce": BinaryCrossEntropy(), "softmax": SoftmaxCrossEntropy(), "mse": MeanSquaredError()}


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(LOSSES)), batch=st.integers(1, 8), width=st.integers(1, 5),
       seed=st.integers(0, 2**16))
def test_loss_gradients_match_finite_differences(name, batch, width, seed):
    rng = np.random.default_rng(seed)
    loss = LOSSES[name]
    y_pred, y_true = _predictions(name, (batch, width), rng), _targets(name, (batch, width), rng)
    numeric = numerical_gradient(lambda p: loss.value(p, y_true), y_pred.copy())
    assert rel_error(loss.gradient(y_pred, y_true), numeric) < TOLERANCE


def test_losses_agree_with_closed_forms():
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.8], [0.3]])
    assert np.isclose(BinaryCrossEntropy().value(p, y), -np.log(0.8) - np.log(0.7))
    z = np.array([[1.0, 2.0, 3.0]])
    assert np.isclose(SoftmaxCrossEntropy().value(z, np.array([[0.0, 0.0, 1.0]])),
                      np.log(np.exp(z).sum()) - 3.0)
    assert np.isclose(MeanSquaredError().value(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])), 2.5)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_extreme_inputs_give_finite_values_and_no_warning(scale):
    x = scale * np.ones((2, 3))
    for layer in (Linear(3, 3, rng=0), Sigmoid(), Tanh(), ReLU(), LeakyReLU()):
        assert np.isfinite(layer.forward(x)).all()
        assert np.isfinite(layer.backward(x, np.ones_like(layer.forward(x)))).all()
    onehot = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert np.isfinite(SoftmaxCrossEntropy().value(x * [[1, -1, 0]], onehot))
    probabilities = Sigmoid().forward(x)  # exactly 0 or 1
    bce = BinaryCrossEntropy()
    labels = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    assert np.isfinite(bce.value(probabilities, labels))
    assert np.isfinite(bce.gradient(probabilities, labels)).all()


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 0.5])
    assert rel_error(numerical_gradient(lambda v: float(np.sum(v**3)), x), 3 * x**2) < 1e-9
    assert np.array_equal(x, [1.0, -2.0, 0.5])  # x is restored


def test_gradient_check_catches_a_wrong_gradient():
    class WrongSigmoid(Sigmoid):
        def backward(self, x, dy, y=None):
            return dy * self.forward(x)  # forgot the factor (1 - s)

    assert check_layer_gradients(WrongSigmoid(), _inputs((3, 2)))["max"] > 1e-2


def test_rel_error():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert np.isclose(rel_error([1.0], [3.0]), 0.5)
    assert np.isclose(rel_error([3.0, 0.0], [0.0, 4.0]), 5.0 / 7.0)

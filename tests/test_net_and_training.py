"""Net, fit and the optimisers: the library learns what the course says it learns."""
import matplotlib
import numpy as np
import pytest

from utils.data import load_digits, logic_gate
from utils.gradcheck import numerical_gradient, rel_error
from utils.layers import Linear, ReLU, Sigmoid, Tanh
from utils.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from utils.net import Net, accuracy, evaluate, fit, make_mlp
from utils.optim import Adagrad, Adam, Constant, Momentum, RMSprop

# Any warning from utils is a bug: numerically sound code never warns a student.
pytestmark = pytest.mark.filterwarnings("error")

matplotlib.use("Agg")


def test_net_backward_matches_finite_differences_through_every_layer():
    rng = np.random.default_rng(0)
    net = Net([Linear(4, 5, rng=1), Tanh(), Linear(5, 3, rng=2), Sigmoid(), Linear(3, 2, rng=3)])
    x, y = rng.standard_normal((6, 4)), np.eye(2)[rng.integers(0, 2, 6)]
    loss = SoftmaxCrossEntropy()
    out, trace = net.forward(x)
    dx = net.backward(trace, loss.gradient(out, y))

    def total_loss(_):
        return loss.value(net.predict(x), y)

    assert rel_error(dx, numerical_gradient(total_loss, x)) < 1e-7
    for param, grad in zip(net.parameters(), net.gradients()):
        assert rel_error(grad, numerical_gradient(total_loss, param)) < 1e-7


def test_net_forward_trace_and_readable_str():
    net = make_mlp([3, 4, 2], activation=ReLU, seed=0)
    x = np.ones((5, 3))
    y, trace = net.forward(x)
    assert y.shape == (5, 2) and len(trace) == 4 and trace[0] is x and trace[-1] is y
    assert str(net) == "Net(\n  Linear(3 -> 4)\n  ReLU()\n  Linear(4 -> 2)\n)"


def test_net_step_is_plain_gradient_descent():
    net = make_mlp([2, 2], seed=0)
    x = np.array([[1.0, 2.0]])
    _, trace = net.forward(x)
    net.backward(trace, np.array([[1.0, -1.0]]))
    before = net.layers[0].W.copy()
    net.step(0.5)
    assert np.allclose(net.layers[0].W, before - 0.5 * np.array([[1.0, -1.0], [2.0, -2.0]]))
    net.step(eta=0.5)  # the lecture's name for the learning rate
    assert np.allclose(net.layers[0].W, before - 1.0 * np.array([[1.0, -1.0], [2.0, -2.0]]))


def test_make_mlp_is_seeded():
    a, b, c = make_mlp([4, 3, 2], seed=1), make_mlp([4, 3, 2], seed=1), make_mlp([4, 3, 2], seed=2)
    assert all(np.array_equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not np.array_equal(a.parameters()[0], c.parameters()[0])


def test_xor_is_learned_perfectly_by_a_small_hidden_layer():
    x, y = logic_gate("XOR")
    net = Net([Linear(2, 8, rng=0), Tanh(), Linear(8, 1, rng=1), Sigmoid()])
    history = fit(net, x, y, BinaryCrossEntropy(), epochs=2000, batch_size=4, eta=0.1, progress=False)
    assert history.diverged is None
    assert history.train_accuracy[-1] == 1.0
    assert np.array_equal(net.predict(x) >= 0.5, y == 1)


def test_digits_network_reaches_097_test_accuracy_in_100_epochs():
    x_train, x_test, y_train, y_test = load_digits()
    net = make_mlp([64, 50, 10], seed=0)
    history = fit(net, x_train, y_train, SoftmaxCrossEntropy(), epochs=100, batch_size=100, eta=0.01,
                  lmbda=0.01, x_val=x_test, y_val=y_test, seed=0, progress=False)
    assert len(history.val_accuracy) == 100
    assert history.val_accuracy[-1] >= 0.97
    assert accuracy(net.predict(x_test), y_test) == history.val_accuracy[-1]


def test_fit_is_reproducible_and_the_seed_matters():
    x, y = logic_gate("OR")

    def train(seed):
        net = make_mlp([2, 3, 1], seed=0)
        fit(net, x, y, MeanSquaredError(), epochs=5, batch_size=2, eta=0.1, seed=seed, progress=False)
        return net.parameters()[0]

    assert np.array_equal(train(0), train(0))
    assert not np.array_equal(train(0), train(1))


def test_l2_acts_on_weights_only():
    net = make_mlp([2, 1], seed=0)
    x, y = np.zeros((1, 2)), np.zeros((1, 1))  # zero inputs and error-free bias: only L2 moves things
    net.layers[0].b[:] = 0.0
    w_before = net.layers[0].W.copy()
    fit(net, x, y, MeanSquaredError(), epochs=1, batch_size=1, eta=0.1, lmbda=2.0, progress=False)
    assert np.allclose(net.layers[0].W, w_before * (1 - 0.1 * 2.0))
    assert np.array_equal(net.layers[0].b, [0.0])


def test_diverging_training_is_reported_without_warnings():
    x_train, _, y_train, _ = load_digits()
    net = make_mlp([64, 50, 10], seed=0)
    # eta * lambda >= 2 makes the L2 step itself blow the weights up.
    history = fit(net, x_train, y_train, SoftmaxCrossEntropy(), epochs=100, batch_size=100, eta=10.0,
                  lmbda=10.0, progress=False)
    assert history.diverged is not None and history.diverged <= 100
    assert len(history.train_loss) == history.diverged - 1
    assert all(np.isfinite(history.train_loss))


def test_fit_rejects_unknown_keywords():
    x, y = logic_gate("OR")
    with pytest.raises(TypeError):
        fit(make_mlp([2, 1]), x, y, MeanSquaredError(), learning_rate=0.1)
    with pytest.raises(TypeError):  # History's accuracies are accuracies: another measure comes from evaluate
        fit(make_mlp([2, 1]), x, y, MeanSquaredError(), metric=accuracy)


def test_validation_history_and_accuracy_rule():
    assert accuracy(np.array([[0.7], [0.2]]), np.array([[1.0], [1.0]])) == 0.5
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([[0.0, 1.0], [0.0, 1.0]])) == 0.5
    x, y = logic_gate("AND")
    history = fit(make_mlp([2, 1]), x, y, MeanSquaredError(), epochs=3, x_val=x, y_val=y, progress=False)
    assert len(history.val_loss) == len(history.val_accuracy) == 3
    assert history.val_loss == history.train_loss


def test_evaluate_gives_the_loss_per_sample_and_any_metric():
    net = make_mlp([2, 1], seed=0)
    x, y = logic_gate("AND")
    y_pred = net.predict(x)
    loss, acc = evaluate(net, MeanSquaredError(), x, y)
    assert loss == MeanSquaredError().value(y_pred, y) / 4 and acc == accuracy(y_pred, y)
    assert evaluate(net, MeanSquaredError(), x, y, metric=lambda p, t: float(np.max(np.abs(p - t)))) == (
        loss, float(np.max(np.abs(y_pred - y))))


def test_not_measuring_the_training_set_changes_no_parameter():
    x_train, x_test, y_train, y_test = load_digits()
    measured, unmeasured = make_mlp([64, 20, 10], seed=3), make_mlp([64, 20, 10], seed=3)
    kwargs = dict(epochs=4, batch_size=50, eta=0.02, lmbda=0.001, x_val=x_test, y_val=y_test, seed=5)
    full = fit(measured, x_train, y_train, SoftmaxCrossEntropy(), **kwargs)
    lean = fit(unmeasured, x_train, y_train, SoftmaxCrossEntropy(), record_train=False, **kwargs)
    assert lean.train_loss == lean.train_accuracy == []
    assert len(full.train_loss) == 4
    assert lean.val_loss == full.val_loss and lean.val_accuracy == full.val_accuracy
    assert all(np.array_equal(p, q) for p, q in zip(measured.parameters(), unmeasured.parameters()))


@pytest.mark.parametrize("optimizer", [Constant(0.1), Momentum(0.05), Adagrad(0.5), RMSprop(0.05),
                                       Adam(0.1)], ids=repr)
def test_every_optimizer_minimises_a_quadratic(optimizer):
    target = np.array([1.0, -2.0, 3.0])
    param = np.zeros(3)
    for _ in range(500):
        optimizer.update([param], [param - target])  # gradient of 1/2 ||param - target||^2
    assert np.allclose(param, target, atol=1e-2)


def test_adam_first_step_has_size_eta():
    param = np.zeros(2)
    Adam(0.1).update([param], [np.array([5.0, -0.01])])
    assert np.allclose(param, [-0.1, 0.1], atol=1e-6)


def test_optimizer_reset_forgets_its_state():
    optimizer = Momentum(0.1, momentum=0.9)
    param = np.zeros(1)
    optimizer.update([param], [np.ones(1)])
    optimizer.reset()
    optimizer.update([param], [np.ones(1)])
    assert np.allclose(param, [-0.2])


def test_fit_with_adam_learns_xor():
    x, y = logic_gate("XOR")
    net = make_mlp([2, 8, 1], activation=Tanh, seed=3)
    net.layers.append(Sigmoid())
    history = fit(net, x, y, BinaryCrossEntropy(), epochs=300, batch_size=4, optimizer=Adam(0.05),
                  progress=False)
    assert history.train_accuracy[-1] == 1.0

"""A feed-forward network as a list of layers, and `fit`, the loop that trains it.

Readable rather than clever, in the spirit of Nielsen's `network.py`: every step of training is one line
you can point at in the lecture (forward pass, loss gradient, backward pass, L2, step). The model and its
training are kept apart, as in CS231n: `Net` knows nothing about epochs or minibatches.
"""
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from utils.layers import Linear, Sigmoid
from utils.optim import Constant


class Net:
    """A stack of layers applied one after another.

    forward(x) -> (y, trace)   x: shape (N, D_in); y: shape (N, D_out); trace: the list of every layer's
                               input followed by y, which is what `backward` needs.
    backward(trace, dy) -> dx  dy = dL/dy, shape (N, D_out); fills each layer's gradients; dx: (N, D_in).
    step(eta)                  a plain gradient step on every layer: param -= eta * grad.
    """

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        trace = [x]
        for layer in self.layers:
            trace.append(layer.forward(trace[-1]))
        return trace[-1], trace

    def backward(self, trace, dy):
        for layer, x, y in zip(reversed(self.layers), reversed(trace[:-1]), reversed(trace[1:])):
            dy = layer.backward(x, dy, y=y)
        return dy

    def step(self, eta):
        for layer in self.layers:
            layer.step(eta)

    def predict(self, x):
        """The network's output for x, shape (N, D_out), without the trace."""
        return self.forward(x)[0]

    def parameters(self):
        """Every parameter array, layer by layer ([W1, b1, W2, b2, ...])."""
        return [param for layer in self.layers for param in layer.parameters()]

    def gradients(self):
        """The gradients of `parameters()`, in the same order."""
        return [grad for layer in self.layers for grad in layer.gradients()]

    def weights(self):
        """(W, dW) of every Linear layer: what L2 regularisation acts on (never the biases)."""
        return [(layer.W, layer.dW) for layer in self.layers if isinstance(layer, Linear)]

    def __repr__(self):
        lines = "\n".join(f"  {layer!r}" for layer in self.layers)
        return f"Net(\n{lines}\n)"


def make_mlp(sizes, activation=Sigmoid, seed=0, weight_scale=None, bias=0.0):
    """A multilayer perceptron: Linear layers of the given sizes with `activation` between them.

    sizes: e.g. [64, 50, 10] gives Linear(64 -> 50), activation, Linear(50 -> 10). The last layer has no
    activation: pair it with SoftmaxCrossEntropy (logits), or append a Sigmoid yourself for probabilities.
    All weights come from one generator seeded with `seed`; see `Linear` for weight_scale and bias.
    """
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(n_in, n_out, rng=rng, weight_scale=weight_scale, bias=bias), activation()]
    return Net(layers[:-1])


def accuracy(y_pred, y_true):
    """Fraction of correct predictions.

    y_pred: network outputs, shape (N, K); y_true: targets, shape (N, K).
    K > 1: one-hot targets, the prediction is the largest output. K = 1: 0/1 labels, the prediction is
    output >= 0.5 (a probability).
    """
    if y_true.shape[1] == 1:
        return float(np.mean((y_pred >= 0.5) == (y_true >= 0.5)))
    return float(np.mean(np.argmax(y_pred, axis=1) == np.argmax(y_true, axis=1)))


@dataclass
class History:
    """What `fit` measured after every epoch (losses are per sample, L2 term excluded).

    `diverged` is the epoch (counting from 1) in which the parameters stopped being finite, or None;
    training stops there and the lists end with the last finite epoch. The train lists stay empty when
    `fit` is told not to measure the training set (record_train=False), the val lists without x_val.
    """

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    diverged: int | None = None


def evaluate(net, loss, x, y, metric=accuracy):
    """(loss per sample, metric) of the network on x: shape (N, D_in) with targets y: shape (N, K)."""
    y_pred = net.predict(x)
    return loss.value(y_pred, y) / len(x), metric(y_pred, y)


def fit(net, x, y, loss, epochs=10, batch_size=32, eta=0.01, lmbda=0.0, optimizer=None,
        x_val=None, y_val=None, seed=0, progress=True, record_train=True):
    """Train `net` by minibatch gradient descent and return its History.

    x: inputs, shape (N, D_in); y: targets, shape (N, K); loss: a loss from `utils.losses`.
    Every epoch the samples are shuffled by a generator seeded with `seed`, then cut into minibatches of
    `batch_size`. Each minibatch: forward, loss gradient (summed over the batch), backward, add lmbda * W
    to the weight gradients (L2 on weights, not biases), and let the optimiser (default: Constant(eta))
    change the parameters. x_val, y_val: optional validation data, measured after every epoch.
    record_train: measure the loss and accuracy on (x, y) after every epoch too, for learning curves. That is
    a full forward pass over the training set, about a third of the time of a digits epoch; with False, History's
    train lists stay empty and training is faster (grid searches, benchmarks). The parameters are the same.
    A run whose parameters overflow stops and is marked in `History.diverged`: no warning is raised.
    For another measure than accuracy (R², say), compute it from `net.predict` after training, or with `evaluate`.
    This is the loop to read; `utils.fast.fit` trains the same way, to the bit, a little faster.
    """
    if optimizer is None:
        optimizer = Constant(eta)
    rng = np.random.default_rng(seed)
    history = History()
    n_samples = len(x)
    bar = tqdm(range(1, epochs + 1), desc="epochs", disable=not progress, leave=False)
    # A diverging run overflows before it can be stopped; that is detected below and reported.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in bar:
            # Shuffle once per epoch: the minibatches are then slices of the shuffled copy, not new copies.
            order = rng.permutation(n_samples)
            x_shuffled, y_shuffled = x[order], y[order]
            for start in range(0, n_samples, batch_size):
                x_batch = x_shuffled[start:start + batch_size]
                y_batch = y_shuffled[start:start + batch_size]
                y_pred, trace = net.forward(x_batch)
                net.backward(trace, loss.gradient(y_pred, y_batch))
                for weight, grad in net.weights():
                    grad += lmbda * weight
                optimizer.update(net.parameters(), net.gradients())
            if not all(np.isfinite(param).all() for param in net.parameters()):
                history.diverged = epoch
                break
            _record(history, net, loss, x if record_train else None, y, x_val, y_val)
            _show_progress(bar, history)
    bar.close()
    return history


def _record(history, net, loss, x, y, x_val, y_val):
    """Append one epoch's loss and accuracy to history; x is None when the training set is not measured."""
    if x is not None:
        train_loss, train_accuracy = evaluate(net, loss, x, y)
        history.train_loss.append(train_loss)
        history.train_accuracy.append(train_accuracy)
    if x_val is not None:
        val_loss, val_accuracy = evaluate(net, loss, x_val, y_val)
        history.val_loss.append(val_loss)
        history.val_accuracy.append(val_accuracy)


def _show_progress(bar, history):
    """The latest training (or else validation) loss and accuracy, next to the progress bar."""
    for losses, accuracies in [(history.train_loss, history.train_accuracy),
                               (history.val_loss, history.val_accuracy)]:
        if losses:
            # refresh=False: the bar redraws at its own pace, not once per epoch (slow in a notebook).
            bar.set_postfix(loss=f"{losses[-1]:.4f}", acc=f"{accuracies[-1]:.3f}", refresh=False)
            return

"""Loss functions, each with its value and its gradient.

Convention (the course's): a loss is *summed* over the samples of a batch, so the gradient of one sample
does not shrink as the batch grows. `fit` divides by the number of samples when it reports a loss.

    loss.value(y_pred, y_true)     y_pred, y_true: shape (N, K) -> float
    loss.gradient(y_pred, y_true)  -> dL/dy_pred, shape (N, K)
"""
import numpy as np

# Probabilities are kept this far from 0 and 1 so that log() and 1/p stay finite.
_EPS = 1e-12


class BinaryCrossEntropy:
    """L = -sum(y log p + (1 - y) log(1 - p)) for probabilities p (the output of a sigmoid).

    y_pred: probabilities, shape (N, 1) (or (N, K) independent outputs); y_true: 0/1 labels, same shape.
    """

    def value(self, y_pred, y_true):
        p = np.clip(y_pred, _EPS, 1.0 - _EPS)
        return float(-np.sum(y_true * np.log(p) + (1.0 - y_true) * np.log1p(-p)))

    def gradient(self, y_pred, y_true):
        p = np.clip(y_pred, _EPS, 1.0 - _EPS)
        return -(y_true / p - (1.0 - y_true) / (1.0 - p))

    def __repr__(self):
        return "BinaryCrossEntropy()"


class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy, taken from the logits z (the output of the last Linear layer).

    z: logits, shape (N, C); y_true: one-hot targets, shape (N, C).
    L = -sum(Y * log softmax(z)), computed with log-sum-exp so that no logit overflows;
    the gradient simplifies to softmax(z) - Y.
    """

    def value(self, z, y_true):
        # log softmax(z) = (z - max) - log(sum(exp(z - max))): exp never sees a positive number.
        shifted = z - z.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return float(-np.sum(y_true * log_p))

    def gradient(self, z, y_true):
        # softmax(z) - Y in one buffer: exp(z - max), normalised, minus Y. The classes are the last axis,
        # so a stack of networks' logits, shape (G, N, C), works too (utils.fast trains grids that way).
        p = np.exp(z - z.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        p -= y_true
        return p

    def __repr__(self):
        return "SoftmaxCrossEntropy()"


class MeanSquaredError:
    """The quadratic cost C = 1/2 sum((y - t)^2), summed over the batch like every loss here.

    y_pred, y_true: shape (N, K). `fit` reports C / N, the mean over samples (times 1/2).
    """

    def value(self, y_pred, y_true):
        return float(0.5 * np.sum((y_pred - y_true) ** 2))

    def gradient(self, y_pred, y_true):
        return y_pred - y_true

    def __repr__(self):
        return "MeanSquaredError()"

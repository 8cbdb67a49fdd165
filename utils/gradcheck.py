"""Gradient checking: compare a gradient computed by hand with one computed by finite differences.

Run the checks in float64 on seeded random inputs. A correct gradient gives a relative error around
1e-9 or less; above 1e-5 something is wrong.
"""
import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Central differences (f(x + h) - f(x - h)) / 2h, one entry of x at a time.

    f: a function of x returning a float; x: an array of any shape (changed during the call, restored after).
    Returns the gradient df/dx, the same shape as x.
    """
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, b):
    """Relative difference of two arrays of the same shape: ||a - b|| / max(1e-8, ||a|| + ||b||).

    Measured on the arrays as a whole, so a single entry that is nearly 0 (where finite differences
    have only absolute accuracy) does not make a correct gradient look wrong.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b)))


def check_layer_gradients(layer, x, seed=0, h=1e-5):
    """Check every gradient of a layer (dx, and dW, db if it has them) against finite differences.

    layer: any layer of `utils.layers`; x: inputs, shape (N, D_in).
    The scalar checked is L = sum(forward(x) * dy) for a seeded random dy, so dL/dy = dy.
    Returns a dict of relative errors, e.g. {"dx": 3e-11, "dW": 2e-11, "db": 1e-11, "max": 3e-11}.
    """
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=float)
    dy = rng.standard_normal(layer.forward(x).shape)

    def loss(_):
        return float(np.sum(layer.forward(x) * dy))

    errors = {"dx": rel_error(layer.backward(x, dy), numerical_gradient(loss, x, h))}
    for name, param, grad in zip(("dW", "db"), layer.parameters(), layer.gradients()):
        errors[name] = rel_error(grad, numerical_gradient(loss, param, h))
    errors["max"] = max(errors.values())
    return errors

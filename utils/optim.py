"""Optimisers: how a gradient becomes a change of the parameters.

They share one interface, as in the lecture notes:

    optimizer.update(params, grads)   params, grads: lists of arrays of matching shapes;
                                      each param is changed in place: param -= change(gradient)

An optimiser keeps per-parameter state (velocities, running averages), indexed by position in the
list, so always pass the parameters in the same order (`Net.parameters()` does). `reset()` forgets it.
"""
import numpy as np


class Optimizer:
    def __init__(self, eta):
        self.eta = eta
        self.state = {}

    def update(self, params, grads):
        for index, (param, grad) in enumerate(zip(params, grads)):
            param -= self.change(index, grad)

    def change(self, index, grad):
        """The amount to subtract from parameter number `index`, given its gradient."""
        raise NotImplementedError

    def reset(self):
        self.state = {}

    def __repr__(self):
        return f"{type(self).__name__}(eta={self.eta})"


class Constant(Optimizer):
    """Plain gradient descent: change = eta * g."""

    def change(self, index, grad):
        return self.eta * grad


class Momentum(Optimizer):
    """Gradient descent with momentum: v <- m v + eta g; change = v."""

    def __init__(self, eta, momentum=0.9):
        super().__init__(eta)
        self.momentum = momentum

    def change(self, index, grad):
        velocity = self.momentum * self.state.get(index, 0.0) + self.eta * grad
        self.state[index] = velocity
        return velocity


class Adagrad(Optimizer):
    """Adagrad: change = eta g / (delta + sqrt(sum of all past g^2))."""

    def __init__(self, eta, delta=1e-8):
        super().__init__(eta)
        self.delta = delta

    def change(self, index, grad):
        total = self.state.get(index, 0.0) + grad * grad
        self.state[index] = total
        return self.eta * grad / (self.delta + np.sqrt(total))


class RMSprop(Optimizer):
    """RMSprop: s <- rho s + (1 - rho) g^2; change = eta g / sqrt(s + delta)."""

    def __init__(self, eta, rho=0.9, delta=1e-8):
        super().__init__(eta)
        self.rho = rho
        self.delta = delta

    def change(self, index, grad):
        s = self.rho * self.state.get(index, 0.0) + (1.0 - self.rho) * grad * grad
        self.state[index] = s
        return self.eta * grad / np.sqrt(s + self.delta)


class Adam(Optimizer):
    """Adam: running first and second moments of g with bias correction (rho1 = 0.9, rho2 = 0.999)."""

    def __init__(self, eta, rho1=0.9, rho2=0.999, delta=1e-8):
        super().__init__(eta)
        self.rho1 = rho1
        self.rho2 = rho2
        self.delta = delta

    def change(self, index, grad):
        m, s, t = self.state.get(index, (0.0, 0.0, 0))
        m = self.rho1 * m + (1.0 - self.rho1) * grad
        s = self.rho2 * s + (1.0 - self.rho2) * grad * grad
        t += 1
        self.state[index] = (m, s, t)
        m_hat = m / (1.0 - self.rho1**t)
        s_hat = s / (1.0 - self.rho2**t)
        return self.eta * m_hat / (np.sqrt(s_hat) + self.delta)

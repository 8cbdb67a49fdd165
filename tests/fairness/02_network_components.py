"""Assignment 2 (network components): correct answers written differently, and typical mistakes (see __init__.py).

Q6 uses the student's Q3 and Q5 functions, Q8 Q3 and Q4, Q10 Q5, and Q11 (training) Q3-Q5 and Q7-Q10, as the
notebook declares. The plain sigmoid (Q3) and the unclipped loss (Q5) come first among their question's
alternatives, so that they are graded in the same submission (correct_1): the questions built on them must
neither lose points nor show a warning with both.
"""
from tests.fairness import Mistake

CORRECT = {
    "q1_finite_difference": {
        "(f(x + eps) - f(x - eps)) / (2 eps) on a flat copy": '''
            def finite_difference(f, x, eps=1e-5):
                flat = np.array(x, dtype=float).ravel()
                grad = np.empty_like(flat)
                for i in range(flat.size):
                    up, down = flat.copy(), flat.copy()
                    up[i] += eps
                    down[i] -= eps
                    grad[i] = (f(up.reshape(np.shape(x))) - f(down.reshape(np.shape(x)))) / (2 * eps)
                return grad.reshape(np.shape(x))
            ''',
    },
    "q3_sigmoid": {
        "the plain formula, which overflows for large negative x": '''
            def sigmoid(x):
                return 1 / (1 + np.exp(-x))

            def sigmoid_grad(x):
                return np.exp(-x) / (1 + np.exp(-x)) ** 2
            ''',
        "scipy's expit": '''
            from scipy.special import expit

            def sigmoid(x):
                return expit(x)

            def sigmoid_grad(x):
                return expit(x) * (1 - expit(x))
            ''',
    },
    "q4_relu": {
        "np.where": '''
            def relu(x):
                return np.where(x > 0, x, 0.0)

            def relu_grad(x):
                return np.where(x > 0, 1.0, 0.0)
            ''',
    },
    "q5_bce": {
        "no clipping, a loop over samples": '''
            def bce_loss(y_hat, y):
                total = 0.0
                for p, t in zip(np.ravel(y_hat), np.ravel(y)):
                    total -= t * np.log(p) + (1 - t) * np.log(1 - p)
                return total

            def bce_loss_grad(y_hat, y):
                return (y_hat - y) / (y_hat * (1 - y_hat))
            ''',
    },
    "q7_linear": {
        "in-place updates, np.dot and einsum": '''
            class Linear:
                def __init__(self, n_in, n_out, rng=None):
                    rng = np.random.default_rng(rng)
                    self.W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
                    self.b = np.zeros(n_out)

                def forward(self, x):
                    return np.dot(x, self.W) + self.b

                def backward(self, x, dy, y=None):
                    self.dW = np.einsum("ni,nj->ij", x, dy)
                    self.db = np.sum(dy, axis=0)
                    return np.dot(dy, self.W.T)

                def step(self, eta):
                    self.W -= eta * self.dW
                    self.b -= eta * self.db
            ''',
    },
    "q9_net": {
        "index loops, and y not passed to the layers (it is optional)": '''
            class Net:
                def __init__(self, layers):
                    self.layers = list(layers)

                def forward(self, x):
                    trace = [x]
                    for i in range(len(self.layers)):
                        trace = trace + [self.layers[i].forward(trace[i])]
                    return trace[-1], trace

                def backward(self, trace, dy):
                    for i in range(len(self.layers) - 1, -1, -1):
                        dy = self.layers[i].backward(trace[i], dy)
                    return dy

                def step(self, eta):
                    for layer in self.layers:
                        layer.step(eta)
            ''',
    },
    "q10_fit": {
        "minibatches from np.array_split, no progress bar, History filled by keyword": '''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                measured = {key: [] for key in ["train_loss", "train_accuracy", "val_loss", "val_accuracy"]}
                n_batches = int(np.ceil(len(x) / batch_size))
                splits = [("train", x, y)] + ([("val", x_val, y_val)] if x_val is not None else [])
                for epoch in range(epochs):
                    shuffled = rng.permutation(len(x))
                    for batch in np.array_split(shuffled, n_batches):
                        out, trace = net.forward(x[batch])
                        net.backward(trace, bce_loss_grad(out, y[batch]))
                        net.step(eta)
                    for name, inputs, labels in splits:
                        out = net.forward(inputs)[0]
                        measured[name + "_loss"].append(bce_loss(out, labels) / len(labels))
                        measured[name + "_accuracy"].append(np.mean(np.round(out) == labels))
                return History(**measured)
            ''',
    },
}

MISTAKES = {
    "q1_finite_difference": {
        "a forward difference": Mistake('''
            def finite_difference(f, x, eps=1e-5):
                grad = np.zeros_like(x, dtype=float)
                for index in np.ndindex(x.shape):
                    shifted = np.array(x, dtype=float)
                    shifted[index] += eps
                    grad[index] = (f(shifted) - f(x)) / eps
                return grad
            ''', fails=["q1_test_visible", "q1_test_hidden"]),
        "eps ignored": Mistake('''
            def finite_difference(f, x, eps=1e-5):
                grad = np.zeros_like(x, dtype=float)
                for index in np.ndindex(x.shape):
                    shift = np.zeros_like(x, dtype=float)
                    shift[index] = 1e-6
                    grad[index] = (f(x + shift) - f(x - shift)) / 2e-6
                return grad
            ''', fails=["q1_test_hidden"]),
    },
    "q4_relu": {
        "relu changes its input in place": Mistake('''
            def relu(x):
                x[x < 0] = 0
                return x

            def relu_grad(x):
                return (x > 0) * 1.0
            ''', fails=["q4_test_visible", "q4_test_hidden",
                        "q8_test_visible"]),  # Q8's ReLU layer calls the student's relu
    },
    "q5_bce": {
        "the mean instead of the sum": Mistake('''
            def bce_loss(y_hat, y):
                return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))

            def bce_loss_grad(y_hat, y):
                return -(y / y_hat - (1 - y) / (1 - y_hat)) / y.size
            ''', fails=["q5_test_visible", "q5_test_hidden",  # and Q6 and Q10, which use the loss
                        "q6_test_hidden", "q10_test_visible", "q10_test_hidden"]),
    },
    "q6_fn": {
        "the gradient with respect to w instead of x": Mistake('''
            def fn(x, y):
                h = x @ w.T + b
                y_hat = sigmoid(h)
                dh = bce_loss_grad(y_hat, y) * sigmoid_grad(h)
                return bce_loss(y_hat, y), np.broadcast_to(dh.T @ x, x.shape)
            ''', fails=["q6_test_visible", "q6_test_hidden"]),
    },
    "q7_linear": {
        "the bias gradient averaged over the samples": Mistake('''
            class Linear:
                def __init__(self, n_in, n_out, rng=None):
                    rng = np.random.default_rng(rng)
                    self.W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
                    self.b = np.zeros(n_out)

                def forward(self, x):
                    return x @ self.W + self.b

                def backward(self, x, dy, y=None):
                    self.dW = x.T @ dy
                    self.db = dy.mean(axis=0)
                    return dy @ self.W.T

                def step(self, eta):
                    self.W = self.W - eta * self.dW
                    self.b = self.b - eta * self.db
            ''', fails=["q7_test_visible", "q7_test_hidden"]),
        "backward without the y argument that Net passes": Mistake('''
            class Linear:
                def __init__(self, n_in, n_out, rng=None):
                    rng = np.random.default_rng(rng)
                    self.W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
                    self.b = np.zeros(n_out)

                def forward(self, x):
                    return x @ self.W + self.b

                def backward(self, x, dy):
                    self.dW = x.T @ dy
                    self.db = dy.sum(axis=0)
                    return dy @ self.W.T

                def step(self, eta):
                    self.W = self.W - eta * self.dW
                    self.b = self.b - eta * self.db
            ''', fails=["q7_test_visible", "q7_test_hidden",
                        "q11_test_visible", "q11_test_hidden"]),  # Q11 trains with the student's Linear
    },
    "q8_activations": {
        "Sigmoid.backward takes y for its input": Mistake('''
            class Sigmoid:
                def forward(self, x):
                    return sigmoid(x)

                def backward(self, x, dy, y=None):
                    return dy * sigmoid_grad(x if y is None else y)

                def step(self, eta):
                    pass


            class ReLU:
                def forward(self, x):
                    return relu(x)

                def backward(self, x, dy, y=None):
                    return dy * relu_grad(x)

                def step(self, eta):
                    pass
            ''', fails=["q8_test_visible", "q8_test_hidden",
                        "q11_test_visible", "q11_test_hidden"]),  # Q11 trains with the student's Sigmoid
    },
    "q9_net": {
        "every layer is given the network's input": Mistake('''
            class Net:
                def __init__(self, layers):
                    self.layers = list(layers)

                def forward(self, x):
                    out = x
                    for layer in self.layers:
                        out = layer.forward(out)
                    return out, x

                def backward(self, trace, dy):
                    for layer in reversed(self.layers):
                        dy = layer.backward(trace, dy)
                    return dy

                def step(self, eta):
                    for layer in self.layers:
                        layer.step(eta)
            ''', fails=["q9_test_visible", "q9_test_hidden",
                        "q11_test_visible", "q11_test_hidden"]),  # Q11 trains with the student's Net
        "a trace of the layers' inputs only, without the output": Mistake('''
            class Net:
                def __init__(self, layers):
                    self.layers = list(layers)

                def forward(self, x):
                    trace = []
                    for layer in self.layers:
                        trace.append(x)
                        x = layer.forward(x)
                    return x, trace

                def backward(self, trace, dy):
                    for layer, x in zip(reversed(self.layers), reversed(trace)):
                        dy = layer.backward(x, dy)
                    return dy

                def step(self, eta):
                    for layer in self.layers:
                        layer.step(eta)
            ''', fails=["q9_test_visible", "q9_test_hidden"]),
    },
    "q10_fit": {
        "the gradient averaged over the minibatch": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                for epoch in range(epochs):
                    order = rng.permutation(len(x))
                    for start in range(0, len(x), batch_size):
                        batch = order[start:start + batch_size]
                        out, trace = net.forward(x[batch])
                        net.backward(trace, bce_loss_grad(out, y[batch]) / len(batch))
                        net.step(eta)
                    for inputs, labels, losses, accuracies in [
                            (x, y, history.train_loss, history.train_accuracy),
                            (x_val, y_val, history.val_loss, history.val_accuracy)]:
                        if inputs is None:
                            continue
                        out = net.forward(inputs)[0]
                        losses.append(bce_loss(out, labels) / len(labels))
                        accuracies.append(np.mean((out >= 0.5) == (labels == 1)))
                return history
            ''', fails=["q10_test_hidden"]),
        "the last, smaller minibatch dropped": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                for epoch in range(epochs):
                    order = rng.permutation(len(x))
                    for start in range(0, len(x) - batch_size + 1, batch_size):
                        batch = order[start:start + batch_size]
                        out, trace = net.forward(x[batch])
                        net.backward(trace, bce_loss_grad(out, y[batch]))
                        net.step(eta)
                    for inputs, labels, losses, accuracies in [
                            (x, y, history.train_loss, history.train_accuracy),
                            (x_val, y_val, history.val_loss, history.val_accuracy)]:
                        if inputs is None:
                            continue
                        out = net.forward(inputs)[0]
                        losses.append(bce_loss(out, labels) / len(labels))
                        accuracies.append(np.mean((out >= 0.5) == (labels == 1)))
                return history
            ''', fails=["q10_test_hidden"]),
    },
    "q11_train_digits": {
        "too small a learning rate for too few epochs": Mistake('''
            digits_net = Net([Linear(64, 32, rng=0), ReLU(), Linear(32, 1, rng=1), Sigmoid()])
            digits_history = fit(digits_net, x_train, y_train, epochs=2, eta=0.0001, x_val=x_val, y_val=y_val)
            ''', fails=["q11_test_visible", "q11_test_hidden"]),
    },
}


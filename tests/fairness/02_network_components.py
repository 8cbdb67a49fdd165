"""Assignment 2 (network components): correct answers written differently, and typical mistakes (see __init__.py).

Q4c (the plot) uses the student's Q3b and Q4b functions, Q6 Q3b and Q5b, Q8 Q3b and Q4b, Q10 Q5b, and Q11
(training) Q3b, Q4b, Q5b and Q7b-Q10, as the notebook declares. The written questions (Q2, Q3a, Q4a, Q4d, Q5a,
Q7a, Q12-Q15) are graded by hand and have no entries here. The plain sigmoid (Q3b) and the unclipped loss (Q5b) come first among their question's
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
    "q3b_sigmoid": {
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
    "q4b_relu": {
        "np.where": '''
            def relu(x):
                return np.where(x > 0, x, 0.0)

            def relu_grad(x):
                return np.where(x > 0, 1.0, 0.0)
            ''',
        "x times a mask, np.heaviside with the value 0 at 0": '''
            def relu(x):
                return x * (np.asarray(x) > 0)

            def relu_grad(x):
                return np.heaviside(x, 0.0)
            ''',
    },
    "q4c_plot_activations": {
        "pyplot's current axes, one loop": '''
            def plot_activations(x):
                plt.figure()
                for function, name in [(sigmoid, "sigmoid"), (sigmoid_grad, "sigmoid'"), (relu, "ReLU"),
                                       (relu_grad, "ReLU'")]:
                    plt.plot(x, function(x), label=name)
                plt.title("Activations and their derivatives")
                plt.xlabel("x")
                plt.ylabel("f(x)")
                plt.legend()
                return plt.gca()
            ''',
        "a zero line, legend labels given to the figure, a Figure made by plt.figure": '''
            def plot_activations(x):
                fig = plt.figure()
                ax = fig.add_subplot()
                ax.axhline(0, color="gray", linewidth=0.5)
                lines = [ax.plot(x, values)[0] for values in (sigmoid(x), sigmoid_grad(x), relu(x), relu_grad(x))]
                fig.legend(lines, ["σ", "dσ/dx", "ReLU", "dReLU/dx"])
                ax.set_title("σ and ReLU")
                ax.set_xlabel("input x")
                ax.set_ylabel("output")
                return ax
            ''',
    },
    "q5b_bce": {
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
    "q7b_linear": {
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
                        measured[name + "_accuracy"].append(np.mean(np.where(out >= 0.5, 1.0, 0.0) == labels))
                return History(**measured)
            ''',
        "np.random.seed, and x and y shuffled together by fancy indexing": '''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                np.random.seed(seed)
                history = History()
                for epoch in tqdm(range(epochs)):
                    order = np.arange(len(x))
                    np.random.shuffle(order)
                    x_shuffled, y_shuffled = x[order], y[order]
                    for start in range(0, len(x), batch_size):
                        x_batch, y_batch = x_shuffled[start:start + batch_size], y_shuffled[start:start + batch_size]
                        out, trace = net.forward(x_batch)
                        net.backward(trace, bce_loss_grad(out, y_batch))
                        net.step(eta)
                    out = net.forward(x)[0]
                    history.train_loss.append(bce_loss(out, y) / len(x))
                    history.train_accuracy.append(np.mean((out >= 0.5) == (y == 1)))
                    if x_val is not None:
                        out = net.forward(x_val)[0]
                        history.val_loss.append(bce_loss(out, y_val) / len(x_val))
                        history.val_accuracy.append(np.mean((out >= 0.5) == (y_val == 1)))
                return history
            ''',
    },
    "q11_train_digits": {
        "η = 0.008 for 28 epochs, the network built from a list": '''
            digits_batch_size = 10
            digits_eta = 0.008
            digits_epochs = 28
            layers = [Linear(64, 32, rng=3), ReLU(), Linear(32, 1, rng=4), Sigmoid()]
            digits_net = Net(layers)
            digits_history = fit(digits_net, x_train, y_train, digits_epochs, digits_batch_size, digits_eta,
                                 x_val=x_val, y_val=y_val)
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
        "vectors and matrices only": Mistake('''
            def finite_difference(f, x, eps=1e-5):
                x = np.asarray(x, dtype=float)
                grad = np.zeros_like(x)
                indices = [(i,) for i in range(len(x))] if x.ndim == 1 else [
                    (i, j) for i in range(x.shape[0]) for j in range(x.shape[1])]
                for index in indices:
                    shift = np.zeros_like(x)
                    shift[index] = eps / 2
                    grad[index] = (f(x + shift) - f(x - shift)) / eps
                return grad
            ''', fails=["q1_test_hidden"]),
    },
    "q3b_sigmoid": {
        "sigmoid_grad as if it were given σ(x): x (1 - x)": Mistake('''
            def sigmoid(x):
                return 1 / (1 + np.exp(-x))

            def sigmoid_grad(x):
                return x * (1 - x)
            ''', fails=["q3b_test_visible", "q3b_test_hidden",
                        "q6_test_visible", "q6_test_hidden",  # fn back-propagates with sigmoid_grad
                        "q8_test_visible", "q8_test_hidden"]),  # and so does Sigmoid.backward without y
    },
    "q4b_relu": {
        "relu changes its input in place": Mistake('''
            def relu(x):
                x[x < 0] = 0
                return x

            def relu_grad(x):
                return (x > 0) * 1.0
            ''', fails=["q4b_test_visible", "q4b_test_hidden",
                        "q8_test_visible",  # Q8's ReLU layer calls the student's relu
                        "q4c_test_hidden"]),  # and so does the plot, whose points relu sets to 0
        "the derivative 1 at the kink x = 0 (x >= 0)": Mistake('''
            def relu(x):
                return np.maximum(x, 0.0)

            def relu_grad(x):
                return (np.asarray(x) >= 0).astype(float)
            ''', fails=["q4b_test_visible", "q4b_test_hidden"]),  # Q8 and the plot follow relu_grad: not again
        "np.heaviside with the value 0.5 at 0": Mistake('''
            def relu(x):
                return np.maximum(x, 0.0)

            def relu_grad(x):
                return np.heaviside(x, 0.5)
            ''', fails=["q4b_test_visible", "q4b_test_hidden"]),
    },
    "q4c_plot_activations": {
        "its own points instead of the x it is given": Mistake('''
            def plot_activations(x):
                grid = np.linspace(-5, 5, 201)
                fig, ax = plt.subplots()
                for function, name in [(sigmoid, "σ"), (sigmoid_grad, "σ′"), (relu, "ReLU"), (relu_grad, "ReLU′")]:
                    ax.plot(grid, function(grid), label=name)
                ax.set(title="Activations", xlabel="x", ylabel="value")
                ax.legend()
                return ax
            ''', fails=["q4c_test_hidden"]),
        "no title, no axis labels, no legend": Mistake('''
            def plot_activations(x):
                fig, ax = plt.subplots()
                for function in [sigmoid, sigmoid_grad, relu, relu_grad]:
                    ax.plot(x, function(x))
                return ax
            ''', fails=["q4c_test_visible", "q4c_test_hidden"]),
        "the sigmoid's derivative left out": Mistake('''
            def plot_activations(x):
                fig, ax = plt.subplots()
                ax.plot(x, sigmoid(x), label="σ")
                ax.plot(x, relu(x), label="ReLU")
                ax.plot(x, relu_grad(x), label="ReLU′")
                ax.axhline(0, color="gray")
                ax.set(title="Activations", xlabel="x", ylabel="value")
                ax.legend()
                return ax
            ''', fails=["q4c_test_hidden"]),
    },
    "q5b_bce": {
        "the mean instead of the sum": Mistake('''
            def bce_loss(y_hat, y):
                return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))

            def bce_loss_grad(y_hat, y):
                return -(y / y_hat - (1 - y) / (1 - y_hat)) / y.size
            ''', fails=["q5b_test_visible", "q5b_test_hidden",  # and Q6 and Q10, which use the loss
                        "q6_test_hidden", "q10_test_visible", "q10_test_hidden"]),
        "the sign of the second term of dL/dŷ": Mistake('''
            def bce_loss(y_hat, y):
                return float(-np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))

            def bce_loss_grad(y_hat, y):
                return -(y / y_hat + (1 - y) / (1 - y_hat))
            ''', fails=["q5b_test_visible", "q5b_test_hidden", "q6_test_visible", "q6_test_hidden",
                        "q10_test_hidden", "q11_test_visible", "q11_test_hidden"]),
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
    "q7b_linear": {
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
            ''', fails=["q7b_test_visible", "q7b_test_hidden"]),
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
            ''', fails=["q7b_test_visible", "q7b_test_hidden",
                        "q11_test_visible", "q11_test_hidden"]),  # Q11 trains with the student's Linear
        "backward uses the x of the last forward call, not its argument": Mistake('''
            class Linear:
                def __init__(self, n_in, n_out, rng=None):
                    rng = np.random.default_rng(rng)
                    self.W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
                    self.b = np.zeros(n_out)

                def forward(self, x):
                    self.x = x
                    return x @ self.W + self.b

                def backward(self, x, dy, y=None):
                    self.dW = self.x.T @ dy
                    self.db = dy.sum(axis=0)
                    return dy @ self.W.T

                def step(self, eta):
                    self.W = self.W - eta * self.dW
                    self.b = self.b - eta * self.db
            ''', fails=["q7b_test_hidden"]),
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
        "Sigmoid keeps the output of its last forward call": Mistake('''
            class Sigmoid:
                def forward(self, x):
                    self.out = sigmoid(x)
                    return self.out

                def backward(self, x, dy, y=None):
                    return dy * self.out * (1 - self.out)

                def step(self, eta):
                    pass


            class ReLU:
                def forward(self, x):
                    return relu(x)

                def backward(self, x, dy, y=None):
                    return dy * relu_grad(x)

                def step(self, eta):
                    pass
            ''', fails=["q8_test_hidden"]),
        "ReLU.backward lets the gradient through at x = 0": Mistake('''
            class Sigmoid:
                def forward(self, x):
                    return sigmoid(x)

                def backward(self, x, dy, y=None):
                    return dy * sigmoid_grad(x)

                def step(self, eta):
                    pass


            class ReLU:
                def forward(self, x):
                    return relu(x)

                def backward(self, x, dy, y=None):
                    return np.where(x >= 0, dy, 0.0)

                def step(self, eta):
                    pass
            ''', fails=["q8_test_hidden"]),
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
        "never shuffled": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                for epoch in range(epochs):
                    order = np.arange(len(x))
                    for start in range(0, len(x), batch_size):
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
        "shuffled once, before the first epoch": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                order = rng.permutation(len(x))
                for epoch in range(epochs):
                    for start in range(0, len(x), batch_size):
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
        "a new generator every epoch: the same order every epoch": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                for epoch in range(epochs):
                    order = np.random.default_rng(seed).permutation(len(x))
                    for start in range(0, len(x), batch_size):
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
        "the seed ignored (numpy's global generator)": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                for epoch in range(epochs):
                    order = np.random.permutation(len(x))
                    for start in range(0, len(x), batch_size):
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
        "fixed minibatches, only their order shuffled": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                for epoch in range(epochs):
                    order = np.concatenate([np.arange(len(x))[s:s + batch_size] for s in
                                            rng.permutation(np.arange(0, len(x), batch_size))])
                    for start in range(0, len(x), batch_size):
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
        "the samples shuffled, their labels not (Q11 then trains on wrong labels)": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                for epoch in range(epochs):
                    order = rng.permutation(len(x))
                    for start in range(0, len(x), batch_size):
                        batch = order[start:start + batch_size]
                        out, trace = net.forward(x[batch])
                        net.backward(trace, bce_loss_grad(out, y[start:start + batch_size]))
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
            ''', fails=["q10_test_hidden",
                        "q11_test_visible", "q11_test_hidden"]),
        "np.round for the accuracy: a prediction of 0.5 counts as label 0": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=10, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                for epoch in range(epochs):
                    order = rng.permutation(len(x))
                    for start in range(0, len(x), batch_size):
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
                        accuracies.append(np.mean(np.round(out) == labels))
                return history
            ''', fails=["q10_test_hidden"]),
        "minibatches of 32 by default": Mistake('''
            def fit(net, x, y, epochs=10, batch_size=32, eta=0.01, x_val=None, y_val=None, seed=0):
                rng = np.random.default_rng(seed)
                history = History()
                for epoch in range(epochs):
                    order = rng.permutation(len(x))
                    for start in range(0, len(x), batch_size):
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
        "too few epochs at the smallest learning rate": Mistake('''
            digits_epochs, digits_batch_size, digits_eta = 2, 10, 0.001
            digits_net = Net([Linear(64, 32, rng=0), ReLU(), Linear(32, 1, rng=1), Sigmoid()])
            digits_history = fit(digits_net, x_train, y_train, epochs=digits_epochs, batch_size=digits_batch_size,
                                 eta=digits_eta, x_val=x_val, y_val=y_val)
            ''', fails=["q11_test_visible", "q11_test_hidden"]),
        "a learning rate of 0.1, out of the range the question asks for": Mistake('''
            digits_epochs, digits_batch_size, digits_eta = 10, 10, 0.1
            digits_net = Net([Linear(64, 32, rng=0), ReLU(), Linear(32, 1, rng=1), Sigmoid()])
            digits_history = fit(digits_net, x_train, y_train, epochs=digits_epochs, batch_size=digits_batch_size,
                                 eta=digits_eta, x_val=x_val, y_val=y_val)
            ''', fails=["q11_test_visible", "q11_test_hidden"]),
        "trained on the validation set": Mistake('''
            digits_epochs, digits_batch_size, digits_eta = 20, 10, 0.01
            digits_net = Net([Linear(64, 32, rng=0), ReLU(), Linear(32, 1, rng=1), Sigmoid()])
            digits_history = fit(digits_net, x_val, y_val, epochs=digits_epochs, batch_size=digits_batch_size,
                                 eta=digits_eta, x_val=x_val, y_val=y_val)
            ''', fails=["q11_test_hidden"]),
    },
}


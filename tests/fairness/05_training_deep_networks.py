"""Assignment 5 (training deep networks): correct answers written differently, and typical mistakes (see __init__.py).

Q5 trains on the validation split of the student's split_validation (Q1), as the notebook declares; every other
test is independent of the other answers (Q6's use their own networks, losses and data). Q6's hidden tests use
made-up validation curves, so the epoch to stop at, the best epoch and the parameters to restore are known exactly.
"""
from tests.fairness import Mistake

CORRECT = {
    "q1_split_validation": {
        "scikit-learn's train_test_split": '''
            from sklearn.model_selection import train_test_split


            def split_validation(x, y, val_size=0.2, seed=0):
                return train_test_split(x, y, test_size=val_size, random_state=seed)
            ''',
        "a boolean mask from rng.choice": '''
            def split_validation(x, y, val_size=0.2, seed=0):
                rng = np.random.default_rng(seed)
                chosen = rng.choice(len(x), size=int(np.floor(val_size * len(x) + 0.5)), replace=False)
                is_val = np.zeros(len(x), dtype=bool)
                is_val[chosen] = True
                return x[~is_val], x[is_val], y[~is_val], y[is_val]
            ''',
    },
    "q2_gradient_norms": {
        "net.weights() and einsum for the sum of squares": '''
            def gradient_norms(net, x, y, loss):
                out, trace = net.forward(x)
                net.backward(trace, loss.gradient(out, y))
                return np.array([np.sqrt(np.einsum("ij,ij->", dW, dW)) for _, dW in net.weights()])
            ''',
        "a loop over the layers that have a dW, into a list": '''
            def gradient_norms(net, x, y, loss):
                prediction, trace = net.forward(x)
                net.backward(trace, loss.gradient(prediction, y))
                norms = []
                for layer in net.layers:
                    if hasattr(layer, "dW"):
                        norms.append(float(np.sqrt((layer.dW ** 2).sum())))
                return norms
            ''',
    },
    "q3_init_weights": {
        "an if/elif chain, rng.normal and in-place assignment": '''
            def init_weights(net, scheme, seed=0):
                rng = np.random.default_rng(seed)
                if scheme not in ("normal", "lecun", "glorot", "he"):
                    raise ValueError(scheme)
                for layer in net.layers:
                    if not isinstance(layer, Linear):
                        continue
                    n_in, n_out = layer.W.shape
                    if scheme == "normal":
                        std = 1.0
                    elif scheme == "lecun":
                        std = n_in ** -0.5
                    elif scheme == "glorot":
                        std = (2 / (n_in + n_out)) ** 0.5
                    else:
                        std = (2 / n_in) ** 0.5
                    layer.W[...] = rng.normal(0.0, std, size=layer.W.shape)
                    layer.b[...] = 0.0
                return net
            ''',
    },
    "q4_dropout": {
        "a boolean mask from rng.binomial, np.where, a copy in evaluation mode": '''
            class Dropout(Layer):
                def __init__(self, p=0.5, seed=0):
                    if not 0 <= p < 1:
                        raise ValueError(p)
                    self.p = p
                    self.rng = np.random.default_rng(seed)
                    self.training = True
                    self.mask = None

                def forward(self, x):
                    if not self.training:
                        return np.array(x, copy=True)
                    self.mask = self.rng.binomial(1, 1 - self.p, size=np.shape(x)).astype(bool)
                    return np.where(self.mask, x / (1 - self.p), 0.0)

                def backward(self, x, dy, y=None):
                    if self.training:
                        return np.where(self.mask, dy / (1 - self.p), 0.0)
                    return dy
            ''',
    },
    "q5_compare_optimizers": {
        "a dict comprehension, fit's arguments by position": '''
            def compare_optimizers(make_net, optimizers, x, y, x_val, y_val, epochs, batch_size=32, seed=0,
                                   progress=True):
                return {name: fit(make_net(), x, y, loss, epochs, batch_size, optimizer=optimizer, x_val=x_val,
                                  y_val=y_val, seed=seed, progress=progress)
                        for name, optimizer in optimizers.items()}
            ''',
    },
    "q5_learning_curves": {
        "a loop over the two axes, epochs from 0, one legend for the figure": '''
            fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
            optimizer_histories = compare_optimizers(
                make_digits_net, {"SGD": Constant(eta=0.003), "momentum": Momentum(eta=0.003), "Adam": Adam(eta=0.003)},
                x_train, y_train, x_val, y_val, OPT_EPOCHS, progress=False)
            for ax, key, what in [(ax_loss, "val_loss", "loss"), (ax_accuracy, "val_accuracy", "accuracy")]:
                for name, history in optimizer_histories.items():
                    ax.plot(getattr(history, key), label=name)
                ax.set_title(f"Validation {what}")
                ax.set_xlabel("Epoch")
                ax.set_ylabel(what)
            fig.legend(*ax_loss.get_legend_handles_labels(), loc="outside right upper")
            ''',
    },
    "q6_train_early_stopping": {
        "fit for one epoch at a time with a new seed each epoch, a counter of epochs without improvement": '''
            def train_early_stopping(net, x, y, x_val, y_val, loss, optimizer, max_epochs=100, patience=10,
                                     batch_size=32, seed=0, progress=True):
                history = History()
                seeds = np.random.default_rng(seed).integers(0, 2**31, size=max_epochs)
                best_epoch, best_loss, saved, waited = 0, None, None, 0
                for epoch in tqdm(range(1, max_epochs + 1), disable=not progress):
                    set_training(net, True)
                    fit(net, x, y, loss, epochs=1, batch_size=batch_size, optimizer=optimizer,
                        seed=int(seeds[epoch - 1]), progress=False, record_train=False)
                    set_training(net, False)
                    train_loss, train_accuracy = evaluate(net, loss, x, y)
                    val_loss, val_accuracy = evaluate(net, loss, x_val, y_val)
                    history.train_loss.append(train_loss)
                    history.train_accuracy.append(train_accuracy)
                    history.val_loss.append(val_loss)
                    history.val_accuracy.append(val_accuracy)
                    if best_loss is None or val_loss < best_loss:
                        best_epoch, best_loss, waited = epoch, val_loss, 0
                        saved = [np.copy(param) for param in net.parameters()]
                    else:
                        waited += 1
                        if waited == patience:
                            break
                for param, value in zip(net.parameters(), saved):
                    np.copyto(param, value)
                return best_epoch, history
            ''',
        "a while loop, minibatches from np.array_split, the best epoch found with np.argmin": '''
            def train_early_stopping(net, x, y, x_val, y_val, loss, optimizer, max_epochs=100, patience=10,
                                     batch_size=32, seed=0, progress=True):
                rng = np.random.default_rng(seed)
                history = History()
                snapshots = {}
                epoch = 0
                bar = tqdm(total=max_epochs, disable=not progress)
                while epoch < max_epochs:
                    epoch += 1
                    set_training(net, True)
                    order = rng.permutation(len(x))
                    for batch in np.array_split(order, int(np.ceil(len(x) / batch_size))):
                        out, trace = net.forward(x[batch])
                        net.backward(trace, loss.gradient(out, y[batch]))
                        optimizer.update(net.parameters(), net.gradients())
                    set_training(net, False)
                    for prefix, inputs, targets in [("train", x, y), ("val", x_val, y_val)]:
                        value, acc = evaluate(net, loss, inputs, targets)
                        getattr(history, prefix + "_loss").append(value)
                        getattr(history, prefix + "_accuracy").append(acc)
                    bar.update()
                    best = int(np.argmin(history.val_loss)) + 1  # argmin: the first of equal minima
                    if best == epoch:
                        snapshots = {best: [p.copy() for p in net.parameters()]}
                    if epoch - best >= patience:
                        break
                bar.close()
                best = int(np.argmin(history.val_loss)) + 1
                for param, value in zip(net.parameters(), snapshots[best]):
                    param[...] = value
                return best, history
            ''',
    },
}

MISTAKES = {
    "q1_split_validation": {
        "the last 20 % as validation, without shuffling, loses the hidden test": Mistake('''
            def split_validation(x, y, val_size=0.2, seed=0):
                n_train = len(x) - int(round(val_size * len(x)))
                return x[:n_train], x[n_train:], y[:n_train], y[n_train:]
            ''', fails=["q1_test_hidden"]),
        "x and y shuffled with two different orders lose their pairing": Mistake('''
            def split_validation(x, y, val_size=0.2, seed=0):
                rng = np.random.default_rng(seed)
                n_val = int(round(val_size * len(x)))
                x_order, y_order = rng.permutation(len(x)), rng.permutation(len(x))
                return x[x_order[n_val:]], x[x_order[:n_val]], y[y_order[n_val:]], y[y_order[:n_val]]
            ''', fails=["q1_test_visible", "q1_test_hidden"]),
        "numpy's global generator ignores the seed: not reproducible": Mistake('''
            def split_validation(x, y, val_size=0.2, seed=0):
                order = np.random.permutation(len(x))
                n_val = int(round(val_size * len(x)))
                return x[order[n_val:]], x[order[:n_val]], y[order[n_val:]], y[order[:n_val]]
            ''', fails=["q1_test_hidden"]),
    },
    "q2_gradient_norms": {
        "the norms from the last layer to the first": Mistake('''
            def gradient_norms(net, x, y, loss):
                out, trace = net.forward(x)
                net.backward(trace, loss.gradient(out, y))
                return np.array([np.linalg.norm(layer.dW) for layer in reversed(net.layers) if isinstance(layer, Linear)])
            ''', fails=["q2_test_visible", "q2_test_hidden_deep_networks"]),
        "the loss gradient averaged over the batch instead of summed": Mistake('''
            def gradient_norms(net, x, y, loss):
                out, trace = net.forward(x)
                net.backward(trace, loss.gradient(out, y) / len(x))
                return np.array([np.linalg.norm(layer.dW) for layer in net.layers if isinstance(layer, Linear)])
            ''', fails=["q2_test_hidden_deep_networks"]),
        "the cross-entropy hard-coded instead of the loss given": Mistake('''
            def gradient_norms(net, x, y, loss):
                out, trace = net.forward(x)
                net.backward(trace, SoftmaxCrossEntropy().gradient(out, y))
                return np.array([np.linalg.norm(layer.dW) for layer in net.layers if isinstance(layer, Linear)])
            ''', fails=["q2_test_hidden_deep_networks"]),
        "a gradient step taken after measuring changes the network": Mistake('''
            def gradient_norms(net, x, y, loss):
                out, trace = net.forward(x)
                net.backward(trace, loss.gradient(out, y))
                norms = np.array([np.linalg.norm(layer.dW) for layer in net.layers if isinstance(layer, Linear)])
                net.step(0.01)
                return norms
            ''', fails=["q2_test_hidden_contract"]),
    },
    "q3_init_weights": {
        "He's variance 2/n_in taken as the standard deviation": Mistake('''
            def init_weights(net, scheme, seed=0):
                stds = {"normal": lambda i, o: 1.0, "lecun": lambda i, o: 1 / np.sqrt(i),
                        "glorot": lambda i, o: np.sqrt(2 / (i + o)), "he": lambda i, o: 2 / i}
                if scheme not in stds:
                    raise ValueError(scheme)
                rng = np.random.default_rng(seed)
                for layer in net.layers:
                    if isinstance(layer, Linear):
                        layer.W = stds[scheme](*layer.W.shape) * rng.standard_normal(layer.W.shape)
                        layer.b = np.zeros_like(layer.b)
                return net
            ''', fails=["q3_test_visible", "q3_test_hidden_scales"]),
        "Glorot with the number of inputs only (sqrt(1/n_in))": Mistake('''
            def init_weights(net, scheme, seed=0):
                stds = {"normal": lambda i, o: 1.0, "lecun": lambda i, o: 1 / np.sqrt(i),
                        "glorot": lambda i, o: np.sqrt(1 / i), "he": lambda i, o: np.sqrt(2 / i)}
                if scheme not in stds:
                    raise ValueError(scheme)
                rng = np.random.default_rng(seed)
                for layer in net.layers:
                    if isinstance(layer, Linear):
                        layer.W = stds[scheme](*layer.W.shape) * rng.standard_normal(layer.W.shape)
                        layer.b = np.zeros_like(layer.b)
                return net
            ''', fails=["q3_test_hidden_scales"]),
        "a new generator from the seed for every layer: equal layers get equal weights": Mistake('''
            def init_weights(net, scheme, seed=0):
                stds = {"normal": lambda i, o: 1.0, "lecun": lambda i, o: 1 / np.sqrt(i),
                        "glorot": lambda i, o: np.sqrt(2 / (i + o)), "he": lambda i, o: np.sqrt(2 / i)}
                if scheme not in stds:
                    raise ValueError(scheme)
                for layer in net.layers:
                    if isinstance(layer, Linear):
                        rng = np.random.default_rng(seed)
                        layer.W = stds[scheme](*layer.W.shape) * rng.standard_normal(layer.W.shape)
                        layer.b = np.zeros_like(layer.b)
                return net
            ''', fails=["q3_test_hidden_seeds"]),
        "the biases left as they were": Mistake('''
            def init_weights(net, scheme, seed=0):
                stds = {"normal": lambda i, o: 1.0, "lecun": lambda i, o: 1 / np.sqrt(i),
                        "glorot": lambda i, o: np.sqrt(2 / (i + o)), "he": lambda i, o: np.sqrt(2 / i)}
                if scheme not in stds:
                    raise ValueError(scheme)
                rng = np.random.default_rng(seed)
                for layer in net.layers:
                    if isinstance(layer, Linear):
                        layer.W = stds[scheme](*layer.W.shape) * rng.standard_normal(layer.W.shape)
                return net
            ''', fails=["q3_test_hidden_scales"]),
    },
    "q4_dropout": {
        "no 1/(1 - p) scaling of the kept entries": Mistake('''
            class Dropout(Layer):
                def __init__(self, p=0.5, seed=0):
                    self.p = p
                    self.rng = np.random.default_rng(seed)
                    self.training = True
                    self.mask = None

                def forward(self, x):
                    if not self.training:
                        return x
                    self.mask = (self.rng.random(np.shape(x)) >= self.p).astype(float)
                    return x * self.mask

                def backward(self, x, dy, y=None):
                    return dy * self.mask if self.training else dy
            ''', fails=["q4_test_visible", "q4_test_hidden_training"]),
        "the mask read off the output y in backward: wrong where x is 0": Mistake('''
            class Dropout(Layer):
                def __init__(self, p=0.5, seed=0):
                    self.p = p
                    self.rng = np.random.default_rng(seed)
                    self.training = True
                    self.mask = None

                def forward(self, x):
                    if not self.training:
                        return x
                    self.mask = (self.rng.random(np.shape(x)) >= self.p) / (1 - self.p)
                    return x * self.mask

                def backward(self, x, dy, y=None):
                    if not self.training:
                        return dy
                    if y is None:
                        y = x * self.mask
                    return dy * (y != 0) / (1 - self.p)
            ''', fails=["q4_test_hidden_backward"]),
        "one mask drawn at the first call and used for ever": Mistake('''
            class Dropout(Layer):
                def __init__(self, p=0.5, seed=0):
                    self.p = p
                    self.rng = np.random.default_rng(seed)
                    self.training = True
                    self.mask = None

                def forward(self, x):
                    if not self.training:
                        return x
                    if self.mask is None or self.mask.shape != np.shape(x):
                        self.mask = (self.rng.random(np.shape(x)) >= self.p) / (1 - self.p)
                    return x * self.mask

                def backward(self, x, dy, y=None):
                    return dy * self.mask if self.training else dy
            ''', fails=["q4_test_hidden_training"]),
        "numpy's global generator instead of self.rng: neither seeded nor fixable": Mistake('''
            class Dropout(Layer):
                def __init__(self, p=0.5, seed=0):
                    self.p = p
                    self.rng = np.random.default_rng(seed)
                    self.training = True
                    self.mask = None

                def forward(self, x):
                    if not self.training:
                        return x
                    self.mask = (np.random.rand(*np.shape(x)) >= self.p) / (1 - self.p)
                    return x * self.mask

                def backward(self, x, dy, y=None):
                    return dy * self.mask if self.training else dy
            ''', fails=["q4_test_hidden_training", "q4_test_hidden_backward"]),
        "scaled by (1 - p) in evaluation mode as well (the old, non-inverted convention mixed in)": Mistake('''
            class Dropout(Layer):
                def __init__(self, p=0.5, seed=0):
                    self.p = p
                    self.rng = np.random.default_rng(seed)
                    self.training = True
                    self.mask = None

                def forward(self, x):
                    if not self.training:
                        return x * (1 - self.p)
                    self.mask = (self.rng.random(np.shape(x)) >= self.p) / (1 - self.p)
                    return x * self.mask

                def backward(self, x, dy, y=None):
                    return dy * self.mask if self.training else dy * (1 - self.p)
            ''', fails=["q4_test_visible", "q4_test_hidden_evaluation"]),
    },
    "q5_compare_optimizers": {
        "one network trained by all the optimisers in turn": Mistake('''
            def compare_optimizers(make_net, optimizers, x, y, x_val, y_val, epochs, batch_size=32, seed=0,
                                   progress=True):
                net = make_net()
                return {name: fit(net, x, y, loss, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                                  x_val=x_val, y_val=y_val, seed=seed, progress=progress)
                        for name, optimizer in optimizers.items()}
            ''', fails=["q5_test_hidden_runs", "q5_test_hidden_curves"]),
        "the batch size not passed on (fit's default of 32)": Mistake('''
            def compare_optimizers(make_net, optimizers, x, y, x_val, y_val, epochs, batch_size=32, seed=0,
                                   progress=True):
                return {name: fit(make_net(), x, y, loss, epochs=epochs, optimizer=optimizer, x_val=x_val,
                                  y_val=y_val, seed=seed, progress=progress)
                        for name, optimizer in optimizers.items()}
            ''', fails=["q5_test_hidden_runs"]),
        "the seed not passed on (every run shuffles with seed 0)": Mistake('''
            def compare_optimizers(make_net, optimizers, x, y, x_val, y_val, epochs, batch_size=32, seed=0,
                                   progress=True):
                return {name: fit(make_net(), x, y, loss, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                                  x_val=x_val, y_val=y_val, progress=progress)
                        for name, optimizer in optimizers.items()}
            ''', fails=["q5_test_hidden_runs"]),
    },
    "q5_learning_curves": {
        "Adam at its usual η = 0.001 instead of the same η for all three": Mistake('''
            fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
            optimizers = {"SGD": Constant(0.003), "momentum": Momentum(0.003, momentum=0.9), "Adam": Adam(0.001)}
            optimizer_histories = compare_optimizers(make_digits_net, optimizers, x_train, y_train, x_val, y_val,
                                                     epochs=OPT_EPOCHS, batch_size=32, seed=0)
            for name, history in optimizer_histories.items():
                ax_loss.plot(history.val_loss, label=name)
                ax_accuracy.plot(history.val_accuracy, label=name)
            ax_loss.set(title="Validation loss", xlabel="epoch", ylabel="loss per sample")
            ax_accuracy.set(title="Validation accuracy", xlabel="epoch", ylabel="accuracy")
            ax_loss.legend()
            ''', fails=["q5_test_hidden_curves"]),
        "the training loss drawn instead of the validation loss": Mistake('''
            fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
            optimizers = {"SGD": Constant(0.003), "momentum": Momentum(0.003, momentum=0.9), "Adam": Adam(0.003)}
            optimizer_histories = compare_optimizers(make_digits_net, optimizers, x_train, y_train, x_val, y_val,
                                                     epochs=OPT_EPOCHS, batch_size=32, seed=0)
            for name, history in optimizer_histories.items():
                ax_loss.plot(history.train_loss, label=name)
                ax_accuracy.plot(history.val_accuracy, label=name)
            ax_loss.set(title="Loss", xlabel="epoch", ylabel="loss per sample")
            ax_accuracy.set(title="Validation accuracy", xlabel="epoch", ylabel="accuracy")
            ax_loss.legend()
            ''', fails=["q5_test_hidden_curves"]),
    },
    "q6_train_early_stopping": {
        "fit(..., epochs=1, seed=seed) every epoch: the same order in every epoch": Mistake('''
            def train_early_stopping(net, x, y, x_val, y_val, loss, optimizer, max_epochs=100, patience=10,
                                     batch_size=32, seed=0, progress=True):
                history = History()
                best_loss, best_epoch, best_params = np.inf, 0, None
                for epoch in tqdm(range(1, max_epochs + 1), disable=not progress):
                    set_training(net, True)
                    fit(net, x, y, loss, epochs=1, batch_size=batch_size, optimizer=optimizer, seed=seed,
                        progress=False, record_train=False)
                    set_training(net, False)
                    for losses, accuracies, xs, ys in [(history.train_loss, history.train_accuracy, x, y),
                                                       (history.val_loss, history.val_accuracy, x_val, y_val)]:
                        value, acc = evaluate(net, loss, xs, ys)
                        losses.append(value)
                        accuracies.append(acc)
                    if history.val_loss[-1] < best_loss:
                        best_loss, best_epoch = history.val_loss[-1], epoch
                        best_params = [p.copy() for p in net.parameters()]
                    elif epoch - best_epoch >= patience:
                        break
                for p, best in zip(net.parameters(), best_params):
                    p[...] = best
                return best_epoch, history
            ''', fails=["q6_test_hidden_epochs"]),
        "a tie with the best validation loss counts as an improvement": Mistake('''
            def train_early_stopping(net, x, y, x_val, y_val, loss, optimizer, max_epochs=100, patience=10,
                                     batch_size=32, seed=0, progress=True):
                rng = np.random.default_rng(seed)
                history = History()
                best_loss, best_epoch, best_params = np.inf, 0, None
                for epoch in tqdm(range(1, max_epochs + 1), disable=not progress):
                    set_training(net, True)
                    order = rng.permutation(len(x))
                    for start in range(0, len(x), batch_size):
                        batch = order[start:start + batch_size]
                        out, trace = net.forward(x[batch])
                        net.backward(trace, loss.gradient(out, y[batch]))
                        optimizer.update(net.parameters(), net.gradients())
                    set_training(net, False)
                    for losses, accuracies, xs, ys in [(history.train_loss, history.train_accuracy, x, y),
                                                       (history.val_loss, history.val_accuracy, x_val, y_val)]:
                        value, acc = evaluate(net, loss, xs, ys)
                        losses.append(value)
                        accuracies.append(acc)
                    if history.val_loss[-1] <= best_loss:
                        best_loss, best_epoch = history.val_loss[-1], epoch
                        best_params = [p.copy() for p in net.parameters()]
                    elif epoch - best_epoch >= patience:
                        break
                for p, best in zip(net.parameters(), best_params):
                    p[...] = best
                return best_epoch, history
            ''', fails=["q6_test_hidden_stopping"]),
        "patience off by one: stops after patience + 1 epochs without improvement": Mistake('''
            def train_early_stopping(net, x, y, x_val, y_val, loss, optimizer, max_epochs=100, patience=10,
                                     batch_size=32, seed=0, progress=True):
                rng = np.random.default_rng(seed)
                history = History()
                best_loss, best_epoch, best_params = np.inf, 0, None
                for epoch in tqdm(range(1, max_epochs + 1), disable=not progress):
                    set_training(net, True)
                    order = rng.permutation(len(x))
                    for start in range(0, len(x), batch_size):
                        batch = order[start:start + batch_size]
                        out, trace = net.forward(x[batch])
                        net.backward(trace, loss.gradient(out, y[batch]))
                        optimizer.update(net.parameters(), net.gradients())
                    set_training(net, False)
                    for losses, accuracies, xs, ys in [(history.train_loss, history.train_accuracy, x, y),
                                                       (history.val_loss, history.val_accuracy, x_val, y_val)]:
                        value, acc = evaluate(net, loss, xs, ys)
                        losses.append(value)
                        accuracies.append(acc)
                    if history.val_loss[-1] < best_loss:
                        best_loss, best_epoch = history.val_loss[-1], epoch
                        best_params = [p.copy() for p in net.parameters()]
                    elif epoch - best_epoch > patience:
                        break
                for p, best in zip(net.parameters(), best_params):
                    p[...] = best
                return best_epoch, history
            ''', fails=["q6_test_visible", "q6_test_hidden_stopping"]),
        "the best parameters kept without copying: the optimiser changes them in place": Mistake('''
            def train_early_stopping(net, x, y, x_val, y_val, loss, optimizer, max_epochs=100, patience=10,
                                     batch_size=32, seed=0, progress=True):
                rng = np.random.default_rng(seed)
                history = History()
                best_loss, best_epoch, best_params = np.inf, 0, None
                for epoch in tqdm(range(1, max_epochs + 1), disable=not progress):
                    set_training(net, True)
                    order = rng.permutation(len(x))
                    for start in range(0, len(x), batch_size):
                        batch = order[start:start + batch_size]
                        out, trace = net.forward(x[batch])
                        net.backward(trace, loss.gradient(out, y[batch]))
                        optimizer.update(net.parameters(), net.gradients())
                    set_training(net, False)
                    for losses, accuracies, xs, ys in [(history.train_loss, history.train_accuracy, x, y),
                                                       (history.val_loss, history.val_accuracy, x_val, y_val)]:
                        value, acc = evaluate(net, loss, xs, ys)
                        losses.append(value)
                        accuracies.append(acc)
                    if history.val_loss[-1] < best_loss:
                        best_loss, best_epoch = history.val_loss[-1], epoch
                        best_params = net.parameters()
                    elif epoch - best_epoch >= patience:
                        break
                for p, best in zip(net.parameters(), best_params):
                    p[...] = best
                return best_epoch, history
            ''', fails=["q6_test_visible", "q6_test_hidden_restore"]),
        "measured in training mode (no set_training)": Mistake('''
            def train_early_stopping(net, x, y, x_val, y_val, loss, optimizer, max_epochs=100, patience=10,
                                     batch_size=32, seed=0, progress=True):
                rng = np.random.default_rng(seed)
                history = History()
                best_loss, best_epoch, best_params = np.inf, 0, None
                for epoch in tqdm(range(1, max_epochs + 1), disable=not progress):
                    order = rng.permutation(len(x))
                    for start in range(0, len(x), batch_size):
                        batch = order[start:start + batch_size]
                        out, trace = net.forward(x[batch])
                        net.backward(trace, loss.gradient(out, y[batch]))
                        optimizer.update(net.parameters(), net.gradients())
                    for losses, accuracies, xs, ys in [(history.train_loss, history.train_accuracy, x, y),
                                                       (history.val_loss, history.val_accuracy, x_val, y_val)]:
                        value, acc = evaluate(net, loss, xs, ys)
                        losses.append(value)
                        accuracies.append(acc)
                    if history.val_loss[-1] < best_loss:
                        best_loss, best_epoch = history.val_loss[-1], epoch
                        best_params = [p.copy() for p in net.parameters()]
                    elif epoch - best_epoch >= patience:
                        break
                for p, best in zip(net.parameters(), best_params):
                    p[...] = best
                return best_epoch, history
            ''', fails=["q6_test_hidden_epochs"]),
        "best_epoch counted from 0": Mistake('''
            def train_early_stopping(net, x, y, x_val, y_val, loss, optimizer, max_epochs=100, patience=10,
                                     batch_size=32, seed=0, progress=True):
                rng = np.random.default_rng(seed)
                history = History()
                best_loss, best_epoch, best_params = np.inf, 0, None
                for epoch in tqdm(range(max_epochs), disable=not progress):
                    set_training(net, True)
                    order = rng.permutation(len(x))
                    for start in range(0, len(x), batch_size):
                        batch = order[start:start + batch_size]
                        out, trace = net.forward(x[batch])
                        net.backward(trace, loss.gradient(out, y[batch]))
                        optimizer.update(net.parameters(), net.gradients())
                    set_training(net, False)
                    for losses, accuracies, xs, ys in [(history.train_loss, history.train_accuracy, x, y),
                                                       (history.val_loss, history.val_accuracy, x_val, y_val)]:
                        value, acc = evaluate(net, loss, xs, ys)
                        losses.append(value)
                        accuracies.append(acc)
                    if history.val_loss[-1] < best_loss:
                        best_loss, best_epoch = history.val_loss[-1], epoch
                        best_params = [p.copy() for p in net.parameters()]
                    elif epoch - best_epoch >= patience:
                        break
                for p, best in zip(net.parameters(), best_params):
                    p[...] = best
                return best_epoch, history
            ''', fails=["q6_test_visible", "q6_test_hidden_stopping"]),
    },
}

"""Assignment 4 (digits): correct answers written differently, and typical mistakes (see __init__.py).

Q3's visible test uses the student's feed_forward (Q2) and Q5 the student's one-hot targets (Q1), as the
notebook declares; every other test is independent of the other answers (Q4's pass their own gradients). Q5's
grid is chosen on the validation set x_val, Y_val, carved from the training set; the test set is used once.
"""
from tests.fairness import Mistake

CORRECT = {
    "q1_one_hot": {
        "rows of np.eye instead of indexing a zero matrix": '''
            def to_categorical_numpy(labels, n_classes=10):
                return np.eye(n_classes)[np.asarray(labels)]
            ''',
    },
    "q2_feed_forward": {
        "scipy's softmax, np.dot, and predict in a loop over the rows": '''
            from scipy.special import softmax


            def feed_forward(X, W1, b1, W2, b2):
                a1 = expit(np.dot(X, W1) + b1)
                return a1, softmax(np.dot(a1, W2) + b2, axis=1)


            def predict(X, W1, b1, W2, b2):
                probabilities = feed_forward(X, W1, b1, W2, b2)[1]
                return np.array([int(np.argmax(row)) for row in probabilities])
            ''',
    },
    "q3_backpropagation": {
        "einsum for the products": '''
            def backpropagation(X, Y, W1, b1, W2, b2):
                a1, P = feed_forward(X, W1, b1, W2, b2)
                error = P - Y
                hidden = np.einsum("nk,hk->nh", error, W2) * a1 * (1 - a1)
                return (np.einsum("nd,nh->dh", X, hidden), np.sum(hidden, axis=0),
                        np.einsum("nh,nk->hk", a1, error), np.sum(error, axis=0))
            ''',
    },
    "q4_train_sgd": {
        "a while loop over the minibatches, the parameters in a list": '''
            def train_sgd(X, Y, W1, b1, W2, b2, eta=0.01, lmbda=0.0, epochs=100, batch_size=100, seed=0,
                          progress=True, gradients=None):
                if gradients is None:
                    gradients = backpropagation
                params = [np.array(p, dtype=float) for p in (W1, b1, W2, b2)]
                rng = np.random.default_rng(seed)
                for _ in tqdm(range(epochs), disable=not progress):
                    order = rng.permutation(len(X))
                    start = 0
                    while start < len(X):
                        batch = order[start:start + batch_size]
                        start += batch_size
                        grads = gradients(X[batch], Y[batch], *params)
                        for index, grad in enumerate(grads):
                            penalty = lmbda * params[index] if index in (0, 2) else 0.0
                            params[index] = params[index] - eta * (grad + penalty)
                return tuple(params)
            ''',
        "rng.shuffle of an index array, shuffled copies of X and Y sliced, trange only when progress is asked for": '''
            from tqdm.auto import trange


            def train_sgd(X, Y, W1, b1, W2, b2, eta=0.01, lmbda=0.0, epochs=100, batch_size=100, seed=0,
                          progress=True, gradients=None):
                if gradients is None:
                    gradients = backpropagation
                W1, b1, W2, b2 = (np.copy(p) for p in (W1, b1, W2, b2))
                rng = np.random.default_rng(seed)
                indices = np.arange(len(X))
                for _ in (trange(epochs) if progress else range(epochs)):
                    rng.shuffle(indices)
                    X_shuffled, Y_shuffled = X[indices], Y[indices]
                    for start in range(0, len(X), batch_size):
                        dW1, db1, dW2, db2 = gradients(X_shuffled[start:start + batch_size],
                                                       Y_shuffled[start:start + batch_size], W1, b1, W2, b2)
                        W1 = (1 - eta * lmbda) * W1 - eta * dW1
                        b1 = b1 - eta * db1
                        W2 = (1 - eta * lmbda) * W2 - eta * dW2
                        b2 = b2 - eta * db2
                return W1, b1, W2, b2
            ''',
    },
    "q5_best_cell": {
        "a loop over the cells that skips NaN": '''
            def best_cell(accuracy, etas, lmbdas):
                best, where = -np.inf, None
                for i, eta in enumerate(etas):
                    for j, lmbda in enumerate(lmbdas):
                        if not np.isnan(accuracy[i][j]) and accuracy[i][j] > best:
                            best, where = accuracy[i][j], (eta, lmbda)
                return where
            ''',
        "NaN replaced by -inf, then argmax and divmod": '''
            def best_cell(accuracy, etas, lmbdas):
                filled = np.nan_to_num(np.asarray(accuracy, dtype=float), nan=-np.inf)
                row, column = divmod(int(np.argmax(filled)), filled.shape[1])
                return etas[row], lmbdas[column]
            ''',
    },
    "q5_grid_search": {
        "powers of ten, the best cell from the grid's own best() (its test_accuracy is the validation accuracy)": '''
            etas = 10.0 ** np.arange(-5, 2)
            lmbdas = 10.0 ** np.arange(-5, 2)
            result = grid_search_all_at_once(SIZES, x_fit, Y_fit, x_val, Y_val, etas, lmbdas,
                                             epochs=GRID_EPOCHS, progress=False)
            train_accuracy, validation_accuracy = result.train_accuracy, result.test_accuracy
            best_eta, best_lmbda, _ = result.best()
            once = grid_search_all_at_once(SIZES, x_fit, Y_fit, x_test, Y_test, np.array([best_eta]),
                                           np.array([best_lmbda]), GRID_EPOCHS, 100, 0, False)
            chosen_test_accuracy = float(once.test_accuracy.item())
            ''',
        "the chosen cell trained again with utils.fit, as the grid trains a cell": '''
            from utils import SoftmaxCrossEntropy, accuracy, fit, make_mlp

            etas = np.logspace(-5, 1, 7)
            lmbdas = np.logspace(-5, 1, 7)
            grid = grid_search_all_at_once(SIZES, x_fit, Y_fit, x_val, Y_val, etas, lmbdas, epochs=GRID_EPOCHS,
                                           batch_size=100, seed=0)
            train_accuracy, validation_accuracy = grid.train_accuracy, grid.test_accuracy
            best_eta, best_lmbda = best_cell(validation_accuracy, etas, lmbdas)
            chosen_net = make_mlp(SIZES, seed=0)
            fit(chosen_net, x_fit, Y_fit, SoftmaxCrossEntropy(), epochs=GRID_EPOCHS, batch_size=100, eta=best_eta,
                lmbda=best_lmbda, seed=0, progress=False, record_train=False)
            chosen_test_accuracy = accuracy(chosen_net.predict(x_test), Y_test)
            ''',
    },
    "q5_heatmaps": {
        "seaborn's heatmap on a figure of its own instead of utils.plots": '''
            import seaborn as sns

            fig, (ax_train, ax_val) = plt.subplots(1, 2, figsize=(14, 5))
            for ax, values, title in [(ax_train, train_accuracy, "Training Accuracy"),
                                      (ax_val, validation_accuracy, "Validation Accuracy")]:
                sns.heatmap(values, annot=True, cmap="viridis", ax=ax)
                ax.set_title(title)
                ax.set_xlabel("λ")
                ax.set_ylabel("η")
            ''',
    },
    "q6_sklearn": {
        "other settings, and the accuracy computed by hand": '''
            mlp = MLPClassifier(hidden_layer_sizes=(50,), activation="logistic", learning_rate_init=0.01,
                                max_iter=400, random_state=1).fit(x_train, labels_train)
            sklearn_test_accuracy = float(np.mean(mlp.predict(x_test) == labels_test))
            ''',
        "early stopping on a validation part of x_train": '''
            mlp = MLPClassifier(hidden_layer_sizes=(50,), activation="logistic", early_stopping=True,
                                learning_rate_init=0.01, max_iter=500, random_state=0)
            mlp.fit(x_train, labels_train)
            sklearn_test_accuracy = mlp.score(x_test, labels_test)
            ''',
        "the L-BFGS solver": '''
            mlp = MLPClassifier(hidden_layer_sizes=50, activation="logistic", solver="lbfgs", max_iter=1000,
                                random_state=0).fit(x_train, labels_train)
            sklearn_test_accuracy = mlp.score(x_test, labels_test)
            ''',
    },
}

MISTAKES = {
    "q2_feed_forward": {
        "a softmax that overflows (no maximum subtracted) loses only the stability test": Mistake('''
            def feed_forward(X, W1, b1, W2, b2):
                a1 = 1 / (1 + np.exp(-(X @ W1 + b1)))
                exp_z = np.exp(a1 @ W2 + b2)
                return a1, exp_z / exp_z.sum(axis=1, keepdims=True)


            def predict(X, W1, b1, W2, b2):
                return np.argmax(feed_forward(X, W1, b1, W2, b2)[1], axis=1)
            ''', fails=["q2_test_hidden_stable"]),
    },
    "q3_backpropagation": {
        "gradients averaged instead of summed lose Q3 but not training (Q4 passes its own gradients)": Mistake('''
            def backpropagation(X, Y, W1, b1, W2, b2):
                a1, P = feed_forward(X, W1, b1, W2, b2)
                error = (P - Y) / len(X)
                hidden = error @ W2.T * a1 * (1 - a1)
                return X.T @ hidden, hidden.sum(axis=0), a1.T @ error, error.sum(axis=0)
            ''', fails=["q3_test_visible", "q3_test_hidden_closed_form", "q3_test_hidden_finite_differences",
                        "q3_test_hidden_summed"]),
    },
    "q1_one_hot": {
        "as many columns as the largest label + 1: a class that does not occur loses its column": Mistake('''
            def to_categorical_numpy(labels, n_classes=10):
                labels = np.asarray(labels)
                return np.eye(labels.max() + 1)[labels]
            ''', fails=["q1_test_visible", "q1_test_hidden"]),
    },
    "q4_train_sgd": {
        "shuffled once, before the first epoch: the same order every epoch": Mistake('''
            def train_sgd(X, Y, W1, b1, W2, b2, eta=0.01, lmbda=0.0, epochs=100, batch_size=100, seed=0,
                          progress=True, gradients=None):
                if gradients is None:
                    gradients = backpropagation
                W1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()
                order = np.random.default_rng(seed).permutation(len(X))
                for _ in tqdm(range(epochs), disable=not progress):
                    for start in range(0, len(X), batch_size):
                        batch = order[start:start + batch_size]
                        dW1, db1, dW2, db2 = gradients(X[batch], Y[batch], W1, b1, W2, b2)
                        W1 -= eta * (dW1 + lmbda * W1)
                        b1 -= eta * db1
                        W2 -= eta * (dW2 + lmbda * W2)
                        b2 -= eta * db2
                return W1, b1, W2, b2
            ''', fails=["q4_test_hidden_contract"]),
        "a new generator from the seed every epoch: the same order every epoch": Mistake('''
            def train_sgd(X, Y, W1, b1, W2, b2, eta=0.01, lmbda=0.0, epochs=100, batch_size=100, seed=0,
                          progress=True, gradients=None):
                if gradients is None:
                    gradients = backpropagation
                W1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()
                for _ in tqdm(range(epochs), disable=not progress):
                    order = np.random.default_rng(seed).permutation(len(X))
                    for start in range(0, len(X), batch_size):
                        batch = order[start:start + batch_size]
                        dW1, db1, dW2, db2 = gradients(X[batch], Y[batch], W1, b1, W2, b2)
                        W1 -= eta * (dW1 + lmbda * W1)
                        b1 -= eta * db1
                        W2 -= eta * (dW2 + lmbda * W2)
                        b2 -= eta * db2
                return W1, b1, W2, b2
            ''', fails=["q4_test_hidden_contract"]),
        "only the order of fixed minibatches shuffled: the same samples always train together": Mistake('''
            def train_sgd(X, Y, W1, b1, W2, b2, eta=0.01, lmbda=0.0, epochs=100, batch_size=100, seed=0,
                          progress=True, gradients=None):
                if gradients is None:
                    gradients = backpropagation
                W1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()
                rng = np.random.default_rng(seed)
                starts = np.arange(0, len(X), batch_size)
                for _ in tqdm(range(epochs), disable=not progress):
                    for start in rng.permutation(starts):
                        batch = slice(start, start + batch_size)
                        dW1, db1, dW2, db2 = gradients(X[batch], Y[batch], W1, b1, W2, b2)
                        W1 -= eta * (dW1 + lmbda * W1)
                        b1 -= eta * db1
                        W2 -= eta * (dW2 + lmbda * W2)
                        b2 -= eta * db2
                return W1, b1, W2, b2
            ''', fails=["q4_test_visible", "q4_test_hidden_contract"]),
        "X and Y shuffled with two different orders: every sample gets another's target": Mistake('''
            def train_sgd(X, Y, W1, b1, W2, b2, eta=0.01, lmbda=0.0, epochs=100, batch_size=100, seed=0,
                          progress=True, gradients=None):
                if gradients is None:
                    gradients = backpropagation
                W1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()
                rng = np.random.default_rng(seed)
                for _ in tqdm(range(epochs), disable=not progress):
                    X_shuffled, Y_shuffled = X[rng.permutation(len(X))], Y[rng.permutation(len(X))]
                    for start in range(0, len(X), batch_size):
                        dW1, db1, dW2, db2 = gradients(X_shuffled[start:start + batch_size],
                                                       Y_shuffled[start:start + batch_size], W1, b1, W2, b2)
                        W1 -= eta * (dW1 + lmbda * W1)
                        b1 -= eta * db1
                        W2 -= eta * (dW2 + lmbda * W2)
                        b2 -= eta * db2
                return W1, b1, W2, b2
            ''', fails=["q4_test_hidden_contract", "q4_test_hidden_digits"]),
        "no progress bar": Mistake('''
            def train_sgd(X, Y, W1, b1, W2, b2, eta=0.01, lmbda=0.0, epochs=100, batch_size=100, seed=0,
                          progress=True, gradients=None):
                if gradients is None:
                    gradients = backpropagation
                W1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()
                rng = np.random.default_rng(seed)
                for _ in range(epochs):
                    order = rng.permutation(len(X))
                    for start in range(0, len(X), batch_size):
                        batch = order[start:start + batch_size]
                        dW1, db1, dW2, db2 = gradients(X[batch], Y[batch], W1, b1, W2, b2)
                        W1 -= eta * (dW1 + lmbda * W1)
                        b1 -= eta * db1
                        W2 -= eta * (dW2 + lmbda * W2)
                        b2 -= eta * db2
                return W1, b1, W2, b2
            ''', fails=["q4_test_visible"]),
    },
    "q5_best_cell": {
        "np.argmax instead of np.nanargmax: a NaN cell wins": Mistake('''
            def best_cell(accuracy, etas, lmbdas):
                row, column = np.unravel_index(np.argmax(accuracy), np.shape(accuracy))
                return etas[row], lmbdas[column]
            ''', fails=["q5_test_visible", "q5_test_hidden_best_cell", "q5_test_hidden_chosen"]),
        "row and column swapped": Mistake('''
            def best_cell(accuracy, etas, lmbdas):
                row, column = np.unravel_index(np.nanargmax(accuracy), np.shape(accuracy))
                return etas[column], lmbdas[row]
            ''', fails=["q5_test_visible", "q5_test_hidden_best_cell", "q5_test_hidden_chosen"]),
    },
    "q5_grid_search": {
        "the grid judged on the test set instead of the validation set": Mistake('''
            etas = np.logspace(-5, 1, 7)
            lmbdas = np.logspace(-5, 1, 7)
            grid = grid_search_all_at_once(SIZES, x_fit, Y_fit, x_test, Y_test, etas, lmbdas, epochs=GRID_EPOCHS)
            train_accuracy, validation_accuracy = grid.train_accuracy, grid.test_accuracy
            best_eta, best_lmbda = best_cell(validation_accuracy, etas, lmbdas)
            chosen = grid_search_all_at_once(SIZES, x_fit, Y_fit, x_test, Y_test, [best_eta], [best_lmbda],
                                             epochs=GRID_EPOCHS, progress=False)
            chosen_test_accuracy = chosen.test_accuracy[0, 0]
            ''', fails=["q5_test_hidden_grid"]),
        "the cell chosen by its training accuracy": Mistake('''
            etas = np.logspace(-5, 1, 7)
            lmbdas = np.logspace(-5, 1, 7)
            grid = grid_search_all_at_once(SIZES, x_fit, Y_fit, x_val, Y_val, etas, lmbdas, epochs=GRID_EPOCHS)
            train_accuracy, validation_accuracy = grid.train_accuracy, grid.test_accuracy
            best_eta, best_lmbda = best_cell(train_accuracy, etas, lmbdas)
            chosen = grid_search_all_at_once(SIZES, x_fit, Y_fit, x_test, Y_test, [best_eta], [best_lmbda],
                                             epochs=GRID_EPOCHS, progress=False)
            chosen_test_accuracy = chosen.test_accuracy[0, 0]
            ''', fails=["q5_test_hidden_chosen"]),
        "the best validation accuracy reported as the test accuracy": Mistake('''
            etas = np.logspace(-5, 1, 7)
            lmbdas = np.logspace(-5, 1, 7)
            grid = grid_search_all_at_once(SIZES, x_fit, Y_fit, x_val, Y_val, etas, lmbdas, epochs=GRID_EPOCHS)
            train_accuracy, validation_accuracy = grid.train_accuracy, grid.test_accuracy
            best_eta, best_lmbda = best_cell(validation_accuracy, etas, lmbdas)
            chosen_test_accuracy = np.nanmax(validation_accuracy)
            ''', fails=["q5_test_hidden_chosen"]),
    },
    "q5_heatmaps": {
        "seaborn without axis labels": Mistake('''
            import seaborn as sns

            fig, (ax_train, ax_val) = plt.subplots(2, 1, figsize=(7, 11))
            sns.heatmap(train_accuracy, annot=True, cmap="viridis", ax=ax_train).set_title("Training Accuracy")
            sns.heatmap(validation_accuracy, annot=True, cmap="viridis", ax=ax_val).set_title("Validation Accuracy")
            ''', fails=["q5_test_hidden_heatmaps"]),
    },
    "q6_sklearn": {
        "scikit-learn's defaults: 100 ReLU hidden neurons": Mistake('''
            mlp = MLPClassifier(max_iter=500, random_state=0).fit(x_train, labels_train)
            sklearn_test_accuracy = mlp.score(x_test, labels_test)
            ''', fails=["q6_test_hidden"]),
        "max_iter left at 200 with the default step: a ConvergenceWarning": Mistake('''
            mlp = MLPClassifier(hidden_layer_sizes=(50,), activation="logistic", random_state=0)
            mlp.fit(x_train, labels_train)
            sklearn_test_accuracy = mlp.score(x_test, labels_test)
            ''', fails=["q6_test_hidden"]),
        "no random_state: another network every run": Mistake('''
            mlp = MLPClassifier(hidden_layer_sizes=(50,), activation="logistic", learning_rate_init=0.01,
                                max_iter=400).fit(x_train, labels_train)
            sklearn_test_accuracy = mlp.score(x_test, labels_test)
            ''', fails=["q6_test_hidden"]),
        "trained on x_fit, the training set without the validation images": Mistake('''
            mlp = MLPClassifier(hidden_layer_sizes=(50,), activation="logistic", learning_rate_init=0.01,
                                max_iter=400, random_state=0).fit(x_fit, labels_fit)
            sklearn_test_accuracy = mlp.score(x_test, labels_test)
            ''', fails=["q6_test_hidden"]),
    },
}

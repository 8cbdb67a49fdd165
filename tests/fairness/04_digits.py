"""Assignment 4 (digits): correct answers written differently, and typical mistakes (see __init__.py).

Q3's visible test uses the student's feed_forward (Q2) and Q5 the student's one-hot targets (Q1), as the
notebook declares; every other test is independent of the other answers (Q4's pass their own gradients).
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
        "a while loop over the minibatches, the parameters in a list, no progress bar": '''
            def train_sgd(X, Y, W1, b1, W2, b2, eta=0.01, lmbda=0.0, epochs=100, batch_size=100, seed=0,
                          progress=True, gradients=None):
                if gradients is None:
                    gradients = backpropagation
                params = [np.array(p, dtype=float) for p in (W1, b1, W2, b2)]
                rng = np.random.default_rng(seed)
                for _ in range(epochs):
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
    },
    "q5_grid_search": {
        "powers of ten, and the best cell from the grid's own best()": '''
            etas = 10.0 ** np.arange(-5, 2)
            lmbdas = 10.0 ** np.arange(-5, 2)
            result = grid_search_all_at_once(SIZES, x_train, Y_train, x_test, Y_test, etas, lmbdas,
                                             epochs=GRID_EPOCHS, progress=False)
            train_accuracy, test_accuracy = result.train_accuracy, result.test_accuracy
            best_eta, best_lmbda, _ = result.best()
            ''',
    },
    "q5_heatmaps": {
        "seaborn's heatmap on a figure of its own instead of utils.plots": '''
            import seaborn as sns

            fig, (ax_train, ax_test) = plt.subplots(1, 2, figsize=(14, 5))
            for ax, values, title in [(ax_train, train_accuracy, "Training Accuracy"),
                                      (ax_test, test_accuracy, "Test Accuracy")]:
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
}

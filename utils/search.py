"""Grid search over the learning rate eta and the L2 strength lambda.

`grid_search` trains one network per (eta, lambda) cell, one after another, with the plain `fit`: any network,
any loss. The same grid trained all at once, for speed, is `utils.fast.grid_search_all_at_once` (read this
first: it is tested against this one).
"""
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from utils.net import accuracy, fit


@dataclass
class GridResult:
    """Accuracies of a grid search, each of shape (n_eta, n_lambda): row i is etas[i], column j is lmbdas[j].

    Cells whose training diverged are NaN in both accuracy arrays and True in `diverged`.
    """

    etas: np.ndarray
    lmbdas: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    diverged: np.ndarray

    @classmethod
    def empty(cls, etas, lmbdas):
        """A result with every accuracy NaN (not trained yet) and no cell diverged."""
        shape = (len(etas), len(lmbdas))
        return cls(etas, lmbdas, np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape, bool))

    def best(self):
        """(eta, lambda, test accuracy) of the cell with the best test accuracy."""
        i, j = np.unravel_index(np.nanargmax(self.test_accuracy), self.test_accuracy.shape)
        return self.etas[i], self.lmbdas[j], self.test_accuracy[i, j]


def grid_search(make_net, loss, x_train, y_train, x_test, y_test, etas, lmbdas,
                epochs=100, batch_size=100, seed=0, progress=True):
    """Train one network per (eta, lambda) pair, one after another, and measure its accuracy.

    make_net(seed) must return a new, untrained `Net`; every cell starts from the same seed and sees the
    minibatches in the same order, so cells differ only in eta and lambda.
    x_train: (N, D), y_train: (N, K); x_test: (M, D), y_test: (M, K). Returns a GridResult.
    """
    etas, lmbdas = np.asarray(etas, dtype=float), np.asarray(lmbdas, dtype=float)
    result = GridResult.empty(etas, lmbdas)
    cells = [(i, j) for i in range(len(etas)) for j in range(len(lmbdas))]
    for i, j in tqdm(cells, desc="grid", disable=not progress):
        net = make_net(seed)
        history = fit(net, x_train, y_train, loss, epochs=epochs, batch_size=batch_size,
                      eta=etas[i], lmbda=lmbdas[j], seed=seed, progress=False, record_train=False)
        if history.diverged is not None:
            result.diverged[i, j] = True
            continue
        # A huge but finite network may overflow here, harmlessly: its accuracy is what it is.
        with np.errstate(over="ignore", invalid="ignore"):
            result.train_accuracy[i, j] = accuracy(net.predict(x_train), y_train)
            result.test_accuracy[i, j] = accuracy(net.predict(x_test), y_test)
    return result

"""The eta/lambda grid searches: the whole grid trained at once gives, cell for cell, what training the cells
one after another with `fit` gives, diverged cells included."""
import numpy as np
import pytest

import utils
import utils.fast
from utils.data import load_digits
from utils.losses import SoftmaxCrossEntropy
from utils.net import make_mlp
from utils.fast import grid_search_all_at_once
from utils.search import GridResult, grid_search

# Any warning is a bug: a diverging cell is reported in the result, never by a warning.
pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(scope="module")
def digits():
    return load_digits()  # x_train (1437, 64), x_test (360, 64), one-hot y_train, y_test


def both_searches(digits, sizes, etas, lmbdas, **settings):
    x_train, x_test, y_train, y_test = digits
    one_by_one = grid_search(lambda seed: make_mlp(sizes, seed=seed), SoftmaxCrossEntropy(),
                             x_train, y_train, x_test, y_test, etas, lmbdas, progress=False, **settings)
    at_once = grid_search_all_at_once(sizes, x_train, y_train, x_test, y_test, etas, lmbdas,
                                      progress=False, **settings)
    return one_by_one, at_once


def assert_same_result(one_by_one, at_once):
    assert isinstance(at_once, GridResult)
    assert np.array_equal(at_once.etas, one_by_one.etas) and np.array_equal(at_once.lmbdas, one_by_one.lmbdas)
    assert np.array_equal(at_once.diverged, one_by_one.diverged)
    # Identical, not close: every cell follows the same floating-point path in both searches.
    assert np.array_equal(at_once.train_accuracy, one_by_one.train_accuracy, equal_nan=True)
    assert np.array_equal(at_once.test_accuracy, one_by_one.test_accuracy, equal_nan=True)


def test_all_at_once_equals_one_by_one_on_a_3x3_grid_with_diverged_cells(digits):
    # eta * lambda = 1000 makes the L2 step multiply the weights by -999: they overflow within 10 epochs.
    etas, lmbdas = [0.001, 0.03, 10.0], [0.0, 0.01, 100.0]
    one_by_one, at_once = both_searches(digits, [64, 50, 10], etas, lmbdas, epochs=10, batch_size=100, seed=0)
    assert_same_result(one_by_one, at_once)
    assert at_once.diverged[2, 2] and at_once.diverged.sum() < 9, "the grid should mix trained and diverged cells"
    assert np.isnan(at_once.test_accuracy[at_once.diverged]).all()
    assert np.isfinite(at_once.test_accuracy[~at_once.diverged]).all()
    assert at_once.best()[2] > 0.85  # some cell actually learned something in 10 epochs


def test_all_at_once_equals_one_by_one_for_two_hidden_layers_and_an_uneven_last_batch(digits):
    x_train, x_test, y_train, y_test = digits
    small = (x_train[:500], x_test, y_train[:500], y_test)  # 500 = 7 * 64 + 52: the last minibatch is short
    one_by_one, at_once = both_searches(small, [64, 20, 15, 10], [0.003, 0.1], [0.0, 0.1, 30.0],
                                        epochs=8, batch_size=64, seed=3)
    assert_same_result(one_by_one, at_once)


def test_the_chunking_and_threads_do_not_change_the_result(digits, monkeypatch):
    etas, lmbdas = [0.01, 0.1, 1.0], [0.001, 0.1]
    x_train, x_test, y_train, y_test = digits
    results = []
    for cells_per_chunk, threads in ((1, 2), (4, 1), (100, 1)):
        monkeypatch.setattr(utils.fast, "CELLS_PER_CHUNK", cells_per_chunk)
        monkeypatch.setattr(utils.fast, "THREADS", threads)
        results.append(grid_search_all_at_once([64, 30, 10], x_train, y_train, x_test, y_test, etas, lmbdas,
                                               epochs=3, progress=False))
    for result in results[1:]:
        assert_same_result(results[0], result)


def test_all_at_once_lives_apart_and_is_seeded(digits):
    # `from utils import ...` holds what a lecture shows; the speed is imported from utils.fast by name.
    assert not hasattr(utils, "grid_search_all_at_once") and "grid_search_all_at_once" not in utils.__all__
    x_train, x_test, y_train, y_test = digits
    run = [grid_search_all_at_once([64, 10, 10], x_train, y_train, x_test, y_test, [0.01], [0.0, 0.1],
                                   epochs=2, seed=seed, progress=False) for seed in (0, 0, 1)]
    assert np.array_equal(run[0].test_accuracy, run[1].test_accuracy)
    assert not np.array_equal(run[0].train_accuracy, run[2].train_accuracy)
    assert run[0].train_accuracy.shape == (1, 2)


@pytest.mark.slow
def test_all_at_once_equals_one_by_one_on_the_course_7x7_grid(digits):
    # The course's grid: eta and lambda in logspace(-5, 1, 7), digits 64-50-10, batch 100.
    grid = np.logspace(-5, 1, 7)
    one_by_one, at_once = both_searches(digits, [64, 50, 10], grid, grid, epochs=25, batch_size=100, seed=0)
    assert_same_result(one_by_one, at_once)
    assert at_once.diverged.any() and not at_once.diverged.all()

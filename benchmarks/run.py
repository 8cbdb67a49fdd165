"""Benchmarks of the course's hand-built network library: `python3 tasks.py bench` (or, in .venv,
`python benchmarks/run.py`; `--help` lists the options).

1. Digits, 64-50-10 (sigmoid hidden layer, softmax output), batch 100, 100 epochs, the same eta and lambda:
   the plain `utils.fit`, its fast path `utils.fast.fit` (the very same parameters) and the float32 fast path
   `utils.fast.fit(..., dtype=np.float32)` against each other and against scikit-learn's MLPClassifier (solver
   "sgd") and PyTorch on the CPU (one thread), interleaved seed by seed in this one process: wall time, test
   accuracy, and the ratios seed by seed (scikit-learn / float32 path, PyTorch / float32 path, plain / fast).
2. The 7 x 7 eta/lambda grid at 100 epochs: `utils.grid_search` (one network after another) against
   `utils.grid_search_all_at_once` in float64 (whether its accuracies are identical) and in float32 (how far
   they are from float64's), interleaved, with the loop / all-at-once ratio run by run.
   Both sections also time the matrix products alone, in float64 and float32: the five products of every
   minibatch at the same shapes, nothing else. No numpy training can take less time: it shows how far a target
   can be reached.
3. The time to execute each solution notebook in solutions/ (nbclient, a fresh kernel each run).

It prints medians with min-max and ratios, and writes them to benchmarks/RESULTS.md (dated) for the README.
The targets of issue 14: the float32 fit at least 3.5x faster than scikit-learn sgd and 4x faster than PyTorch
at equal test accuracy; the float32 grid in at most 2.5 s and at least 4x faster than the loop; every solution
notebook in at most 10 s.

How eta and lambda map to scikit-learn: `utils` sums the gradient over a minibatch of B samples and adds
lambda W, so a step is W -= eta (sum_b g_b + lambda W). scikit-learn averages: W -= lr (sum_b g_b + alpha W) / B.
The two are the same step for learning_rate_init = eta * B and alpha = lambda (exactly, except in an
epoch's last, shorter minibatch, where scikit-learn divides by its size instead of B). PyTorch gets the same
convention directly: CrossEntropyLoss(reduction="sum") and weight decay lambda on the weights only; it
starts from the very weights `make_mlp` draws and sees the same minibatches, in its default float32.
"""
import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere: the course's own utils, not another copy

import utils  # noqa: E402
from utils import SoftmaxCrossEntropy, accuracy, fit, grid_search, load_digits, make_mlp  # noqa: E402
from utils import fast  # noqa: E402
from utils.fast import THREADS, chunks_of_cells, grid_search_all_at_once  # noqa: E402

try:
    import torch
except ImportError:  # `python3 tasks.py bench` installs it (the optional extra "bench")
    torch = None

SIZES = [64, 50, 10]
FAST_FIT = "utils.fast.fit (one BLAS thread, no dL/dx of the input)"
FAST_FIT32 = "utils.fast.fit, dtype=np.float32 (biases folded into the weights)"
NOTEBOOK_LIMIT = 10  # seconds, issue 14's target for every solution notebook in a fresh kernel


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="seeds of the digits comparison (default 5)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs of the digits comparison")
    parser.add_argument("--eta", type=float, default=0.02, help="learning rate (utils' summed convention)")
    parser.add_argument("--lmbda", type=float, default=0.001, help="L2 strength (utils' summed convention)")
    parser.add_argument("--grid-epochs", type=int, default=100, help="epochs of the 7 x 7 grid")
    parser.add_argument("--grid-repeats", type=int, default=3, help="runs of each grid search")
    parser.add_argument("--notebook-runs", type=int, default=2, help="executions of each solution notebook")
    parser.add_argument("--no-notebooks", action="store_true", help="skip section 3")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 2 seeds, 5 epochs, 1 run each")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md", help="markdown output")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.grid_epochs, args.grid_repeats, args.notebook_runs = 2, 5, 5, 1, 1
    return args


def timed(function, *args, **kwargs):
    """(seconds of wall time, result) of function(*args, **kwargs)."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def summary(values, digits=3):
    """'median (min-max)' of a list of numbers."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


# --- 1. One digits network, three libraries -------------------------------------------------------------

def train_utils(data, seed, args, record_train=False, train=fit, **options):
    """Train with utils.fit (or `train`: utils.fast.fit, which takes the same arguments, and dtype= in options)."""
    x_train, x_test, y_train, y_test = data
    net = make_mlp(SIZES, seed=seed)
    train(net, x_train, y_train, SoftmaxCrossEntropy(), epochs=args.epochs, batch_size=100, eta=args.eta,
          lmbda=args.lmbda, seed=seed, progress=False, record_train=record_train, **options)
    return accuracy(net.predict(x_test), y_test)


def train_leanest_numpy(data, seed, args):
    """A reference, not course code: `fit`'s training of the SIZES network written as tightly as numpy
    allows (the same initial weights, minibatches and formulas, every array allocated once, no layers, no
    lists), to show how much of utils' time is its readable structure and how much is numpy's own cost."""
    x_train, x_test, y_train, y_test = data
    W1, b1, W2, b2 = make_mlp(SIZES, seed=seed).parameters()
    rng = np.random.default_rng(seed)
    buffers = {}
    with threadpool_limits(1):  # one BLAS thread, as in `fit`
        for _ in range(args.epochs):
            order = rng.permutation(len(x_train))
            x_shuffled, y_shuffled = x_train[order], y_train[order]
            for start in range(0, len(x_train), 100):
                x, y = x_shuffled[start:start + 100], y_shuffled[start:start + 100]
                if len(x) not in buffers:
                    buffers[len(x)] = (np.empty((len(x), SIZES[1])), np.empty((len(x), SIZES[2])),
                                       np.empty((len(x), SIZES[1])), np.empty((len(x), 1)))
                a, p, da, column = buffers[len(x)]
                np.matmul(x, W1, out=a)  # forward: a = sigmoid(x W1 + b1), p = softmax(a W2 + b2)
                a += b1
                np.exp(np.negative(a, out=a), out=a)
                a += 1.0
                np.divide(1.0, a, out=a)
                np.matmul(a, W2, out=p)
                p += b2
                p -= np.max(p, axis=1, keepdims=True, out=column)
                np.exp(p, out=p)
                p /= np.sum(p, axis=1, keepdims=True, out=column)
                p -= y  # dL/dz of softmax cross-entropy, summed over the minibatch
                dW2, db2 = a.T @ p, p.sum(axis=0)
                np.matmul(p, W2.T, out=da)
                da *= a
                da *= np.subtract(1.0, a, out=a)
                dW1, db1 = x.T @ da, da.sum(axis=0)
                dW1 += args.lmbda * W1  # L2 on the weights, then the step
                dW2 += args.lmbda * W2
                for param, grad in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
                    grad *= args.eta
                    param -= grad
    hidden = 1.0 / (1.0 + np.exp(-(x_test @ W1 + b1)))
    return accuracy(hidden @ W2 + b2, y_test)


def matrix_products_alone(x, epochs, n_cells=None, batch_size=100, seed=0, dtype=np.float64):
    """Only the matrix products of training the SIZES network on x for `epochs` epochs: per minibatch the
    forward x W1 and a W2, and the backward dW2 = a^T d, da = d W2^T and dW1 = x^T da, into buffers allocated
    once. n_cells=None: one network, 2-D arrays as in `fit`; n_cells=G: G networks stacked as in
    `grid_search_all_at_once`; dtype: the arrays' (x is converted once, as the float32 paths do). Returns
    nothing: the caller times it."""
    stack = () if n_cells is None else (n_cells,)
    rng = np.random.default_rng(seed)
    x = x.astype(dtype)
    W1 = rng.standard_normal(stack + (SIZES[0], SIZES[1])).astype(dtype)
    W2 = rng.standard_normal(stack + (SIZES[1], SIZES[2])).astype(dtype)
    buffers = {}
    for _ in range(epochs):
        for start in range(0, len(x), batch_size):
            x_batch = x[start:start + batch_size]
            n = len(x_batch)
            if n not in buffers:
                buffers[n] = (np.empty(stack + (n, SIZES[1]), dtype), np.empty(stack + (n, SIZES[2]), dtype),
                              np.empty(stack + (n, SIZES[1]), dtype), np.empty_like(W1), np.empty_like(W2))
            a, d, da, dW1, dW2 = buffers[n]
            np.matmul(x_batch, W1, out=a)
            np.matmul(a, W2, out=d)
            np.matmul(np.swapaxes(a, -1, -2), d, out=dW2)
            np.matmul(d, np.swapaxes(W2, -1, -2), out=da)
            np.matmul(x_batch.T, da, out=dW1)


def products_of_the_grid(x, n_cells, epochs, dtype=np.float64):
    """`matrix_products_alone` for a grid of n_cells networks, in the chunks and threads of
    grid_search_all_at_once."""
    chunks = chunks_of_cells(n_cells)
    with threadpool_limits(1), ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda chunk: matrix_products_alone(x, epochs, n_cells=len(chunk), dtype=dtype), chunks))


def train_sklearn(data, seed, args, one_thread):
    x_train, x_test, y_train, y_test = data
    model = MLPClassifier(hidden_layer_sizes=(SIZES[1],), activation="logistic", solver="sgd",
                          batch_size=100, learning_rate="constant", learning_rate_init=args.eta * 100,
                          alpha=args.lmbda, momentum=0.0, nesterovs_momentum=False, max_iter=args.epochs,
                          tol=0.0, n_iter_no_change=args.epochs + 1, shuffle=True, random_state=seed)
    with warnings.catch_warnings(), threadpool_limits(1 if one_thread else None):
        warnings.simplefilter("ignore", ConvergenceWarning)  # it stops after max_iter epochs, as asked
        model.fit(x_train, y_train.argmax(axis=1))
    return model.score(x_test, y_test.argmax(axis=1))


def train_torch(data, seed, args):
    x_train, x_test, y_train, y_test = data
    start = make_mlp(SIZES, seed=seed)
    model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Sigmoid(),
                                torch.nn.Linear(SIZES[1], SIZES[2]))
    with torch.no_grad():
        for ours, theirs in zip([start.layers[0], start.layers[2]], [model[0], model[2]]):
            theirs.weight.copy_(torch.from_numpy(ours.W.T))  # torch stores W transposed: (n_out, n_in)
            theirs.bias.copy_(torch.from_numpy(ours.b))
    weights, biases = [model[0].weight, model[2].weight], [model[0].bias, model[2].bias]
    optimizer = torch.optim.SGD([{"params": weights, "weight_decay": args.lmbda},
                                 {"params": biases, "weight_decay": 0.0}], lr=args.eta)
    loss_function = torch.nn.CrossEntropyLoss(reduction="sum")
    x, labels = torch.tensor(x_train, dtype=torch.float32), torch.from_numpy(y_train.argmax(axis=1))
    rng = np.random.default_rng(seed)  # the minibatches of utils.fit
    for _ in range(args.epochs):
        order = torch.from_numpy(rng.permutation(len(x)))
        x_shuffled, labels_shuffled = x[order], labels[order]
        for begin in range(0, len(x), 100):
            optimizer.zero_grad()
            loss = loss_function(model(x_shuffled[begin:begin + 100]), labels_shuffled[begin:begin + 100])
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        predicted = model(torch.tensor(x_test, dtype=torch.float32)).argmax(axis=1).numpy()
    return float(np.mean(predicted == y_test.argmax(axis=1)))


def compare_libraries(data, args):
    contenders = {
        "utils.fit (numpy)": train_utils,
        FAST_FIT: lambda data, seed, args: train_utils(data, seed, args, train=fast.fit),
        FAST_FIT32: lambda data, seed, args: train_utils(data, seed, args, train=fast.fit, dtype=np.float32),
        "utils.fit, also measuring the training set every epoch": lambda data, seed, args: train_utils(
            data, seed, args, record_train=True),
        "scikit-learn sgd, 1 BLAS thread": lambda data, seed, args: train_sklearn(data, seed, args, True),
        "scikit-learn sgd, default threads": lambda data, seed, args: train_sklearn(data, seed, args, False),
    }
    if torch is not None:
        torch.set_num_threads(1)
        contenders["PyTorch CPU, 1 thread"] = train_torch
    else:
        print("PyTorch is not installed: skipped (python3 tasks.py bench installs it)")
    one_epoch = argparse.Namespace(**{**vars(args), "epochs": 1})
    for train in contenders.values():  # untimed: first calls load code and fill caches (PyTorch: ~1 s)
        train(data, 0, one_epoch)
    contenders["leanest numpy loop (a reference, not course code)"] = train_leanest_numpy
    floor = "matrix products alone (a floor: every numpy training computes them)"
    floor32 = "matrix products alone, float32 (the float32 path's floor)"
    contenders[floor] = lambda data, seed, args: matrix_products_alone(data[0], args.epochs, seed=seed)
    contenders[floor32] = lambda data, seed, args: matrix_products_alone(data[0], args.epochs, seed=seed,
                                                                         dtype=np.float32)
    runs = {name: [] for name in contenders}
    for seed in range(args.seeds):
        for name, train in contenders.items():  # interleaved: a slow moment of the machine hits all alike
            runs[name].append(timed(train, data, seed, args))
    median = {name: statistics.median(seconds for seconds, _ in results) for name, results in runs.items()}
    baseline = median["utils.fit (numpy)"]
    rows = []
    for name, results in runs.items():
        seconds, accuracies = [s for s, _ in results], [a for _, a in results]
        rows.append([name, summary(seconds), f"{median[name] / baseline:.1f}x",
                     "-" if name in (floor, floor32) else summary(accuracies, 4)])

    def ratios(slow, quick):
        """slow's time / quick's, seed by seed (they ran one after the other): steadier than either time."""
        return [slow_seconds / quick_seconds for (slow_seconds, _), (quick_seconds, _) in zip(runs[slow], runs[quick])]

    def same_accuracies(name, other):
        return [accuracy for _, accuracy in runs[name]] == [accuracy for _, accuracy in runs[other]]

    notes = [f"plain utils.fit / utils.fast.fit, seed by seed: {summary(ratios('utils.fit (numpy)', FAST_FIT), 2)}; "
             f"the same test accuracy for every seed: {'yes' if same_accuracies('utils.fit (numpy)', FAST_FIT) else 'NO'}",
             f"plain utils.fit / the float32 path, seed by seed: {summary(ratios('utils.fit (numpy)', FAST_FIT32), 2)}; "
             f"the same test accuracy as utils.fit for every seed: "
             f"{'yes' if same_accuracies('utils.fit (numpy)', FAST_FIT32) else 'NO'}"]
    targets = {"scikit-learn sgd, 1 BLAS thread": 3.5, "PyTorch CPU, 1 thread": 4.0}
    for other, target in targets.items():
        if other in runs:
            seed_by_seed = ratios(other, FAST_FIT32)
            verdict = "met" if statistics.median(seed_by_seed) >= target else "NOT met"
            notes.append(f"{other} / the float32 path, seed by seed: {summary(seed_by_seed, 2)} (the target: at "
                         f"least {target}x, {verdict}); {other} / plain utils.fit: "
                         f"{summary(ratios(other, 'utils.fit (numpy)'), 2)}")
    notes.append(f"the leanest numpy loop takes {median['leanest numpy loop (a reference, not course code)']:.3f} s, "
                 f"the matrix products alone {median[floor]:.3f} s in float64 and {median[floor32]:.3f} s in float32")
    return rows, notes


# --- 2. The eta/lambda grid ----------------------------------------------------------------------------

def compare_grids(data, args):
    x_train, x_test, y_train, y_test = data
    grid = np.logspace(-5, 1, 7)
    once32 = "grid_search_all_at_once, dtype=np.float32"

    def all_at_once(dtype):
        return lambda: grid_search_all_at_once(SIZES, x_train, y_train, x_test, y_test, grid, grid,
                                               epochs=args.grid_epochs, batch_size=100, seed=0, progress=False,
                                               dtype=dtype)

    searches = {
        "grid_search (one network after another)": lambda: grid_search(
            lambda seed: make_mlp(SIZES, seed=seed), SoftmaxCrossEntropy(), x_train, y_train, x_test, y_test,
            grid, grid, epochs=args.grid_epochs, batch_size=100, seed=0, progress=False),
        "grid_search_all_at_once": all_at_once(np.float64),
        once32: all_at_once(np.float32),
    }
    floor = "matrix products alone, same chunks and threads (a floor)"
    floor32 = "matrix products alone, float32, same chunks and threads"
    searches[floor] = lambda: products_of_the_grid(x_train, grid.size ** 2, args.grid_epochs)
    searches[floor32] = lambda: products_of_the_grid(x_train, grid.size ** 2, args.grid_epochs, dtype=np.float32)
    runs = {name: [] for name in searches}
    for _ in range(args.grid_repeats):
        for name, search in searches.items():
            runs[name].append(timed(search))
    loop_name = "grid_search (one network after another)"
    loop, once, single = runs[loop_name][0][1], runs["grid_search_all_at_once"][0][1], runs[once32][0][1]
    identical = (np.array_equal(loop.test_accuracy, once.test_accuracy, equal_nan=True)
                 and np.array_equal(loop.train_accuracy, once.train_accuracy, equal_nan=True)
                 and np.array_equal(loop.diverged, once.diverged))
    seconds = {name: [s for s, _ in results] for name, results in runs.items()}
    loop_median = statistics.median(seconds[loop_name])
    rows = [[name, summary(seconds[name], 2), f"{loop_median / statistics.median(seconds[name]):.1f}x",
             summary([a / b for a, b in zip(seconds[loop_name], seconds[name])], 1)] for name in runs]
    eta, lmbda, best = once.best()
    # Cells where float64 training is chaotic (eta = 0.1, lambda <= 0.1: a 1e-12 change of the inputs moves
    # float64's own accuracy by up to 0.54; tests/test_performance_equivalence.py) are reported apart.
    chaotic = (grid == 0.1)[:, None] & (grid <= 0.1)[None, :]
    difference = np.abs(single.test_accuracy - loop.test_accuracy) * len(y_test)
    stable, unstable = ~loop.diverged & ~chaotic, ~loop.diverged & chaotic
    single_median = statistics.median(seconds[once32])
    verdict = "met" if single_median <= 2.5 and loop_median / single_median >= 4 else "NOT met"
    notes = [f"identical accuracies in every cell: {'yes' if identical else 'NO'}",
             f"diverged cells: {int(once.diverged.sum())} of {once.diverged.size}; in float32 the same cells: "
             f"{'yes' if np.array_equal(single.diverged, loop.diverged) else 'NO'}",
             f"float32 against the float64 loop, test images of {len(y_test)} (the tolerance: 2): at most "
             f"{np.nanmax(difference[stable]):.0f} in the {int(stable.sum())} well-conditioned cells, "
             f"{np.nanmin(difference[unstable]):.0f} to {np.nanmax(difference[unstable]):.0f} in the "
             f"{int(unstable.sum())} chaotic ones (eta = 0.1, lambda <= 0.1)",
             f"best test accuracy {best:.4f} at eta = {eta:g}, lambda = {lmbda:g} (float32: "
             f"{single.best()[2]:.4f} at eta = {single.best()[0]:g}, lambda = {single.best()[1]:g})",
             f"the target for float32, at most 2.5 s and at least 4x the loop: {single_median:.2f} s and "
             f"{loop_median / single_median:.1f}x, {verdict}; the matrix products alone take "
             f"{statistics.median(seconds[floor]):.2f} s in float64 and {statistics.median(seconds[floor32]):.2f} s "
             f"in float32"]
    return rows, notes


# --- 3. Solution notebooks -----------------------------------------------------------------------------

def time_notebooks(args):
    notebooks = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    if not notebooks:
        print("solutions/ holds no notebook yet: skipped (python -m autograder release builds them)")
        return []
    import nbformat
    from nbclient import NotebookClient

    rows = []
    for path in notebooks:
        seconds = []
        try:
            for _ in range(args.notebook_runs):
                notebook = nbformat.read(path, as_version=4)
                client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                                        resources={"metadata": {"path": str(path.parent)}})
                # The kernel process's own stderr (a notice about its local TCP ports) is not the notebook's
                # output; a failing cell still raises CellExecutionError.
                seconds.append(timed(client.execute, stderr=subprocess.DEVNULL)[0])
        except Exception as error:  # e.g. solutions/ regenerated meanwhile: report it, keep the other results
            print(f"{path.relative_to(ROOT)}: not timed, {type(error).__name__}: {str(error).splitlines()[0]}")
            rows.append([str(path.relative_to(ROOT)), "-", f"failed: {type(error).__name__}"])
            continue
        verdict = "ok" if max(seconds) <= NOTEBOOK_LIMIT else f"over {NOTEBOOK_LIMIT} s"
        rows.append([str(path.relative_to(ROOT)), summary(seconds, 1), verdict])
    return rows


# --- Output ----------------------------------------------------------------------------------------------

def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def load_average():
    return " / ".join(f"{value:.1f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def machine(load_at_start):
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}",
                f"scikit-learn {__import__('sklearn').__version__}"]
    if torch is not None:
        versions.append(f"PyTorch {torch.__version__}")
    return (f"{cpu}, {os.cpu_count()} cores, load average (1 / 5 / 15 min) {load_at_start} at the start and "
            f"{load_average()} at the end (other work on the machine slows everything alike); " + ", ".join(versions))


def main(argv=None):
    args = parse_args(argv)
    data = load_digits()
    started, load_at_start = datetime.datetime.now(), load_average()
    print(f"utils from {Path(utils.__file__).parent}")
    sections = []

    print(f"\n1. Digits 64-50-10, batch 100, {args.epochs} epochs, eta = {args.eta:g}, lambda = {args.lmbda:g}, "
          f"{args.seeds} seeds")
    rows, notes = compare_libraries(data, args)
    header = ["", "wall time, s: median (min-max)", "time / utils", "test accuracy: median (min-max)"]
    text = table(header, rows) + "\n\n" + "\n".join(f"- {note}" for note in notes)
    sections.append((f"Digits network: {args.epochs} epochs, eta = {args.eta:g}, lambda = {args.lmbda:g} "
                     f"(scikit-learn: learning_rate_init = {args.eta * 100:g}, alpha = {args.lmbda:g}), "
                     f"{args.seeds} seeds", text))
    print(sections[-1][1])

    print(f"\n2. The 7 x 7 eta/lambda grid (logspace(-5, 1, 7) each), {args.grid_epochs} epochs, "
          f"{args.grid_repeats} runs")
    rows, notes = compare_grids(data, args)
    text = table(["", "wall time, s: median (min-max)", "speed-up over the loop",
                  "loop / this, run by run: median (min-max)"], rows)
    text += "\n\n" + "\n".join(f"- {note}" for note in notes)
    sections.append((f"7 x 7 grid, {args.grid_epochs} epochs, {args.grid_repeats} runs", text))
    print(text)

    print("\n3. Solution notebooks")
    rows = [] if args.no_notebooks else time_notebooks(args)
    if rows:
        text = table(["notebook", f"seconds: median (min-max) of {args.notebook_runs}", f"limit {NOTEBOOK_LIMIT} s"], rows)
        sections.append(("Solution notebooks (nbclient, fresh kernel)", text))
        print(text)

    report = [f"# Benchmark results, {started:%Y-%m-%d %H:%M}", "",
              f"Written by `python3 tasks.py bench` (benchmarks/run.py). Machine: {machine(load_at_start)}.", ""]
    for title, text in sections:
        report += [f"## {title}", "", text, ""]
    args.out.write_text("\n".join(report))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()

"""utils: the small, readable network library of the course.

    from utils import Net, Linear, Sigmoid, SoftmaxCrossEntropy, fit, load_digits

Modules: layers (Linear, Sigmoid, ReLU, LeakyReLU, Tanh), losses, net (Net, fit, History), optim
(Constant, Momentum, Adagrad, RMSprop, Adam), gradcheck, data, plots, search. It is written to be read
and taught from; it is fast enough for the course (see benchmarks/), not a replacement for a framework.
What trades readability for speed lives apart, in `utils.fast` (fit on one BLAS thread, the grid trained all
at once), tested against the plain code and imported by name where a notebook needs it.
"""
from utils.data import load_binary_digits, load_digits, logic_gate, one_hot, ring_points, two_class_points
from utils.gradcheck import check_layer_gradients, numerical_gradient, rel_error
from utils.layers import LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from utils.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from utils.net import History, Net, accuracy, evaluate, fit, make_mlp
from utils.optim import Adagrad, Adam, Constant, Momentum, RMSprop
from utils.search import GridResult, grid_search

__all__ = [
    "load_binary_digits", "load_digits", "logic_gate", "one_hot", "ring_points", "two_class_points",
    "check_layer_gradients", "numerical_gradient", "rel_error",
    "LeakyReLU", "Linear", "ReLU", "Sigmoid", "Tanh",
    "BinaryCrossEntropy", "MeanSquaredError", "SoftmaxCrossEntropy",
    "History", "Net", "accuracy", "evaluate", "fit", "make_mlp",
    "Adagrad", "Adam", "Constant", "Momentum", "RMSprop",
    "GridResult", "grid_search",
]

"""tinygrad_gd: a small autograd framework on NumPy, for learning and checking gradient descent.

`Tensor` records the ops applied to it; `backward()` applies the chain rule over that
graph in one pass. `gradcheck` compares any gradient with finite differences.
"""
from .tensor import (AnomalyError, Function, Tensor, detect_anomaly, enable_grad,
                     is_grad_enabled, no_grad, registered_ops)
from .tracked import TrackedArray
from .functional import (abs, broadcast_to, clip, concatenate, dot, exp, flatten,  # noqa: A004
                         leaky_relu, log, log_softmax, matmul, max, maximum, mean, min, minimum,
                         relu, reshape, sigmoid, softmax, sqrt, stack, sum, tanh, transpose, where)
from .gradcheck import GradcheckError, gradcheck
from .graph import RenderError, draw_anomaly, draw_graph, render_graph
from .serialization import LoadError, load, save
from . import data, datasets, nn, optim, plot  # noqa: E402  (they build on the names above)

__version__ = "0.1.0"

__all__ = [
    "nn", "optim", "data", "datasets", "plot",
    "Tensor", "TrackedArray", "Function", "registered_ops", "no_grad", "enable_grad",
    "is_grad_enabled", "detect_anomaly", "AnomalyError", "gradcheck", "GradcheckError",
    "draw_graph", "render_graph", "draw_anomaly", "RenderError", "save", "load", "LoadError",
    "abs", "broadcast_to", "clip", "concatenate", "dot", "exp", "flatten", "leaky_relu", "log",
    "log_softmax", "matmul", "max", "maximum", "mean", "min", "minimum", "relu", "reshape",
    "sigmoid", "softmax", "sqrt", "stack", "sum", "tanh", "transpose", "where",
]

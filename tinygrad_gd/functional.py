"""Module-level functions under NumPy's names: `tg.exp(x)`, `tg.maximum(x, y)`, `tg.where(c, x, y)`.

Each calls the op of the same name (see `ops.py`); most are `x.name(...)` for a Tensor x.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .ops import Concatenate, Stack, Where
from .tensor import Tensor


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise maximum; where x == y the gradient is split evenly."""
    x = _tensor(x)
    return x.maximum(y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise minimum; where x == y the gradient is split evenly."""
    x = _tensor(x)
    return x.minimum(y)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """x where `condition` (a boolean array, not differentiated) holds, else y."""
    if isinstance(x, Tensor):
        y = x._operand(y)
    elif isinstance(y, Tensor):
        x = y._operand(x)
    else:
        x, y = Tensor(x), Tensor(y)
    return Where.apply(x, y, condition=np.asarray(getattr(condition, "data", condition)))


def _same_dtype(tensors: Sequence[Any], op: str) -> tuple[Tensor, ...]:
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor, got an empty sequence")
    first = next((t for t in tensors if isinstance(t, Tensor)), None)
    return tuple(first._operand(t) if first is not None else Tensor(t) for t in tensors)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (NumPy's concatenate)."""
    return Concatenate.apply(*_same_dtype(tensors, "concatenate"), axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis (NumPy's stack)."""
    return Stack.apply(*_same_dtype(tensors, "stack"), axis=axis)


def matmul(x: Any, y: Any) -> Tensor:
    """Matrix product `x @ y`, batched and broadcast over leading axes (NumPy's matmul)."""
    return _tensor(x) @ y


def dot(x: Any, y: Any) -> Tensor:
    """Dot product of vectors, or matrix product of 1-D/2-D operands (NumPy's dot)."""
    return _tensor(x).dot(y)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """x repeated to `shape` by NumPy's broadcasting rule; its gradient sums back."""
    return _tensor(x).broadcast_to(shape)


def _method_function(name: str):
    def function(x: Any, *args: Any, **kwargs: Any) -> Tensor:
        return getattr(_tensor(x), name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`tg.{name}(x, ...)` is `x.{name}(...)`: see `Tensor.{name}`."
    return function


exp, log, sqrt, abs, tanh, sigmoid, relu, leaky_relu, clip, softmax, log_softmax = (  # noqa: A001
    _method_function(n) for n in ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu",
                                  "leaky_relu", "clip", "softmax", "log_softmax"))
sum, mean, max, min, reshape, transpose, flatten = (  # noqa: A001
    _method_function(n) for n in ("sum", "mean", "max", "min", "reshape", "transpose", "flatten"))

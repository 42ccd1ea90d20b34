"""NumPy's ufuncs on Tensors: `np.exp(t)` is `tg.exp(t)`, recorded in the graph.

A NumPy user writes `np.exp(t)`, `np.maximum(t, 0)` or `array * t` (which NumPy turns
into `np.multiply(array, t)`). Each runs the op whose `tg.` function has the ufunc's
name, so the result is a Tensor in the graph, with the op's gradient and its one-line
errors. A ufunc that gives booleans (`np.greater`, `np.isnan`, `np.logical_and`) gives a
mask without gradient, as the comparison operators do. Anything else is refused in one
line that says what to write instead: a ufunc with no op of its name (`np.arctan2`),
keywords such as `out=`, and the ufunc methods (`np.add.reduce`, `np.add.at`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import functional
from .tensor import Tensor, _raw


def _array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    name = ufunc.__name__
    if method != "__call__":
        raise TypeError(f"np.{name}.{method} on a Tensor is not supported: use the tensor's "
                        f"own reductions (t.sum(axis=0), t.max(), t.cumsum(0)), or "
                        f"np.{name}.{method} on t.data for values without gradient")
    if kwargs:
        raise TypeError(f"np.{name}(..., {', '.join(f'{k}=' for k in kwargs)}) on a Tensor is "
                        f"not supported: call it without them (the result is a new tensor), "
                        f"or on t.data for values without gradient (np.{name}(..., "
                        f"out=t.data) writes into t, counted as an in-place change)")
    if ufunc.nout == 1 and all(types.endswith("?") for types in ufunc.types if "O" not in types):
        return Tensor.from_op(np.asarray(ufunc(*[_raw(x) for x in inputs])), None)  # a mask
    if name not in functional.__all__:
        raise TypeError(f"np.{name} on a Tensor: tinygrad_gd has no op of that name, so the "
                        f"result could not be in the graph; write it with tinygrad_gd's ops, "
                        f"or call np.{name} on t.data for values without gradient")
    return getattr(functional, name)(*inputs)


Tensor.__array_ufunc__ = _array_ufunc

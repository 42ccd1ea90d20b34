"""NumPy called on tensors: `np.exp(t)` is `tg.exp(t)`, `np.sum(t)` is `tg.sum(t)`, recorded.

A NumPy user writes `np.exp(t)`, `np.maximum(t, 0)`, `array * t` (which NumPy turns into
`np.multiply(array, t)`) or `np.sum((pred - y) ** 2)`. NumPy hands such calls to the
tensor (its `__array_ufunc__` and `__array_function__` protocols):

- A ufunc runs the op whose `tg.` function has the ufunc's name, so the result is a
  Tensor in the graph, with the op's gradient and its one-line errors. A ufunc that
  gives booleans (`np.greater`, `np.isnan`, `array == t`) gives a mask without
  gradient, as the comparison operators do. Into an array given as `out=`
  (`w.data -= lr * w.grad`, NumPy's `np.subtract(w.data, lr * w.grad, out=w.data)`) it
  writes the values, as NumPy would. A ufunc with no op of its name (`np.cbrt`), other
  keywords, a tensor as `out=`, and the ufunc methods (`np.add.reduce`) are refused in
  one line that says what to write instead.
- A function in `SAME_MEANING` (`np.sum`, `np.mean`, `np.reshape`, `np.concatenate`,
  `np.where(c, x, y)`, `np.hstack`, `np.nansum` ...) runs the `tg.` function of that
  name (`np.array_split`: `tg.tensor_split`), which takes NumPy's arguments the same way.
  Any other NumPy function works on the values, as it would on `t.data`, and gives a
  plain ndarray without gradient (`np.median(t)`, `np.shape(t)`, `np.allclose(t, x)`).
  `np.split` is one of those: tinygrad_gd's `split` takes PyTorch's piece sizes, NumPy's
  a number of pieces; and `np.median`, which averages the two middle values of an even
  count where `tg.median` (PyTorch's) takes the lower. A function that would write into a
  tensor (`np.copyto(t, v)`, `np.fill_diagonal(t, 1)`, `np.put`, a tensor as `out=`) is
  refused in one line, before anything is written.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import compositions, functional, logic
from .tensor import Tensor, _raw
from .tracked import written_into

# NumPy functions whose tg. function of the same name reads NumPy's arguments as NumPy
# does (norm is np.linalg's; array_split is PyTorch's tensor_split)
SAME_MEANING = {name: name for name in (
    "sum", "mean", "prod", "var", "std", "cumsum", "clip", "reshape",
    "transpose", "squeeze", "expand_dims", "moveaxis", "swapaxes", "broadcast_to", "flip",
    "tile", "repeat", "concatenate", "stack", "where", "take_along_axis", "tril", "triu",
    "diag", "trace", "outer", "dot", "tensordot", "einsum", "norm", "argsort", "take", "roll",
    "diff", "count_nonzero", "sort", "cumprod", "amax", "amin", "hstack", "vstack", "dstack",
    "column_stack", "fliplr", "flipud", "rot90", "kron", "diagonal", "any", "all", "nansum",
    "nanmean")}
# (tg.max(t, 1) is PyTorch's values and indices; amax is the values, NumPy's max)
SAME_MEANING.update(array_split="tensor_split", max="amax", min="amin")


def _array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    name = ufunc.__name__
    if method != "__call__":
        raise TypeError(f"np.{name}.{method} on a Tensor is not supported: use the tensor's "
                        f"own reductions (t.sum(axis=0), t.max(), t.cumsum(0)), or "
                        f"np.{name}.{method} on t.data for values without gradient")
    outs = kwargs.get("out", ())
    if outs and not any(isinstance(array, Tensor) for array in outs):
        # into an array the caller holds (`w.data -= lr * w.grad`): values, as NumPy would
        return ufunc(*[_raw(x) for x in inputs], **{k: _values(v) for k, v in kwargs.items()})
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


def _array_function(self: Tensor, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
    written: list = []
    written_into(func, args, kwargs, lambda array: written.append(array) or array)
    if any(isinstance(array, Tensor) for array in written):
        name = func.__name__
        raise TypeError(f"np.{name} would write into a Tensor, which NumPy's functions may not "
                        f"do (nothing was changed): use the tensor's own in-place methods "
                        f"(t.copy_(v), t.fill_(v), t[index] = v; a parameter under "
                        f"tg.no_grad()), or np.{name} on t.data (counted as an in-place change)")
    name = SAME_MEANING.get(func.__name__)
    if name == "concatenate" and args and (args[1:2] or [kwargs.get("axis", 0)])[0] is None:
        # NumPy's axis=None joins the arrays flattened (tinygrad_gd's None is axis 0)
        pieces = [functional.reshape(piece, -1) for piece in args[0]]
        return functional.concatenate(pieces, axis=0)
    if name is not None and not (name == "where" and len(args) + len(kwargs) != 3):
        module = (logic if name in logic.__all__ else  # (no gradient: logic's)
                  compositions if name in compositions.__all__ else functional)
        return getattr(module, name)(*args, **kwargs)
    return func(*_values(args), **_values(kwargs))  # NumPy's own, on the values


def _values(value: Any) -> Any:
    """Arguments with every Tensor in them replaced by its values (read-only)."""
    if isinstance(value, Tensor):
        return np.asarray(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_values(v) for v in value)
    if isinstance(value, dict):
        return {key: _values(v) for key, v in value.items()}
    return value


Tensor.__array_ufunc__ = _array_ufunc
Tensor.__array_function__ = _array_function

"""What has no gradient: comparisons' masks, logical operators, arg-reductions and casts.

Comparisons (`x > 0`, `x == y`, and PyTorch's `x.gt(0)`, `x.greater(0)`, `x.eq(y)`: set
on Tensor here, each refusing under its own name) give boolean Tensors that record
nothing. This module gives those masks what a NumPy user does with them: `&`, `|`, `^`,
`~`, `.any()`, `.all()`, the index-valued `argmax`, `argmin` and `argsort`, and
`count_nonzero` (int64, as in NumPy and PyTorch). None of them is a differentiable op:
a step function's derivative is 0 wherever it exists, so their results carry no graph,
like PyTorch's. `.long()`, `.int()`, `.bool()` (PyTorch) and `astype` to such a dtype (NumPy)
make a new tensor without gradient: an integer index tensor from a float one, say
(`astype` to a float dtype is the op `to`, in the graph).
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from .memory_formats import cast
from .ops.arguments import broadcast, check_axis, either, on_a_scalars_axis, one_axis, reduced_axes
from .ops.reductions import (EmptyReductionError, check_sort_kind, keep_flag, sort_direction,
                             stable_order)
from .op_errors import named, op_error
from .tensor import Tensor, _as_array, _raw
from .values import numeric_dtype

__all__ = ["argmax", "argmin", "argsort", "count_nonzero", "nonzero", "argwhere",
           "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf",
           "isfinite", "array_equal", "equal", "allclose", "isclose"]


def _constant(array: Any) -> Tensor:
    """A result without gradient."""
    return Tensor.from_op(np.asarray(array), None)


def _values(where: str, x: Any) -> np.ndarray:
    """x's values in their own dtype; None, strings, ragged lists refused in one line."""
    return _as_array(x, None, where, copy=False, default=None)


def _pair(name: str, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """x's and y's values for an elementwise function of two, their shapes checked to
    broadcast together (one line naming it, not NumPy's)."""
    x, y = _values(name, x), _values(name, y)
    broadcast(name, x, y)
    return x, y


def _tolerances(name: str, rtol: Any, atol: Any, equal_nan: Any) -> None:
    """rtol and atol: numbers >= 0 (PyTorch's rule; NumPy's takes a negative one, and
    compares nothing as it should); equal_nan: a bool."""
    for what, value in (("rtol", rtol), ("atol", atol)):
        if not isinstance(value, (int, float, np.number)):
            raise TypeError(f"{name}: {what} must be a number, got {type(value).__name__} "
                            f"{value!r}")
        if not value >= 0:  # (NaN too)
            raise RuntimeError(f"{name}: {what} must be greater than or equal to zero (a "
                               f"tolerance), got {value}")
    if not isinstance(equal_nan, (bool, np.bool_)):
        raise TypeError(f"{name}: equal_nan must be True or False, got "
                        f"{type(equal_nan).__name__} {equal_nan!r}")


def _arg(name: str, reduce: Any, x: Any, axis: Any, keepdims: Any, dim: Any,
         keepdim: Any) -> Tensor:
    data = _values(name, x)
    axis = either(name, "axis", axis, "dim", dim)
    keep = keep_flag(name, keepdims, keepdim)
    if on_a_scalars_axis(name, data, axis):  # (its one entry's index, 0-d as PyTorch's)
        data, axis, keep = data.reshape(1), 0, False
    axis = one_axis(name, axis, data.ndim, none_ok=True)
    if data.size == 0 and (axis is None or data.shape[axis] == 0):  # (else: PyTorch's empty)
        where = "the tensor" if axis is None else f"axis {axis % data.ndim} of the tensor"
        hint = "give dim= an axis" if axis is None else "reduce over an axis"
        raise EmptyReductionError(f"{name}: {where} of shape {data.shape} is empty, so it has "
                                  f"no {name[3:]}imum to point at; {hint} of non-zero length")
    out = reduce(data, axis=axis, keepdims=keep) if axis is not None or not keep else \
        reduce(data.reshape(-1)).reshape((1,) * data.ndim)
    return _constant(np.asarray(out, dtype=np.int64))


def argmax(x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None,
           keepdim: Any = None) -> Tensor:
    """The index of the maximum (flat when axis is None), int64; the first of ties. No gradient."""
    return _arg("argmax", np.argmax, x, axis, keepdims, dim, keepdim)


def argmin(x: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None,
           keepdim: Any = None) -> Tensor:
    """The index of the minimum (flat when axis is None), int64; the first of ties. No gradient."""
    return _arg("argmin", np.argmin, x, axis, keepdims, dim, keepdim)


def argsort(x: Any, axis: Any = -1, descending: Any = None, *, dim: Any = None,
            stable: bool = False, kind: str | None = None) -> Tensor:
    """The indices that sort x along `axis` (NumPy's, the last by default; None: of the
    flattened values) or `dim` (PyTorch's), int64, ties in their order; `descending=True`
    (PyTorch's) puts the largest first. The third argument is PyTorch's descending (a
    bool) or NumPy's kind (a string). No gradient. (`stable` and `kind` are accepted:
    the order is always stable.)"""
    check_sort_kind("argsort", kind)
    descending = sort_direction("argsort", descending)
    data = _values("argsort", x)
    if dim is not None:
        if axis != -1:
            raise TypeError("argsort: give axis= or dim=, not both")
        axis = dim
    if on_a_scalars_axis("argsort", data, axis):
        return _constant(np.zeros((), np.int64))
    axis = one_axis("argsort", axis, data.ndim, none_ok=True)
    if axis is None:
        data, axis = data.reshape(-1), 0
    return _constant(stable_order(data, axis, descending))


def count_nonzero(x: Any, axis: Any = None, keepdims: bool = False, *,
                  dim: Any = None) -> Tensor:
    """How many entries are not 0 (or are true), over `axis` (NumPy's) or `dim`
    (PyTorch's), all by default; int64, no gradient."""
    data = _values("count_nonzero", x)
    axis = reduced_axes("count_nonzero", axis, dim, data.ndim)  # (dim=() refused: sum's rule)
    keep = keep_flag("count_nonzero", keepdims, None)
    return _constant(np.asarray(np.count_nonzero(data, axis=axis, keepdims=keep),
                                dtype=np.int64))


def nonzero(x: Any, *, as_tuple: Any = None) -> Any:
    """Where x is not 0 (or true): NumPy's tuple of int64 index tensors, one per axis
    (`x[tg.nonzero(x)]` picks those entries), or with PyTorch's `as_tuple=False` one int64
    tensor of shape (count, ndim). No gradient."""
    data = _values("nonzero", x)
    if as_tuple is None or as_tuple:
        return tuple(_constant(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(data)))
    return argwhere(data)


def argwhere(x: Any) -> Tensor:
    """The indices where x is not 0, one row per entry: shape (count, ndim), int64
    (NumPy's argwhere, PyTorch's argwhere and nonzero(as_tuple=False)). No gradient."""
    return _constant(np.argwhere(_values("argwhere", x)).astype(np.int64))


def logical_and(x: Any, y: Any) -> Tensor:
    """Elementwise x and y (truth of each element), a boolean Tensor."""
    return _constant(np.logical_and(*_pair("logical_and", x, y)))


def logical_or(x: Any, y: Any) -> Tensor:
    """Elementwise x or y, a boolean Tensor."""
    return _constant(np.logical_or(*_pair("logical_or", x, y)))


def logical_xor(x: Any, y: Any) -> Tensor:
    """Elementwise x xor y, a boolean Tensor."""
    return _constant(np.logical_xor(*_pair("logical_xor", x, y)))


def logical_not(x: Any) -> Tensor:
    """Elementwise not x, a boolean Tensor."""
    return _constant(np.logical_not(_values("logical_not", x)))


def isnan(x: Any) -> Tensor:
    """Where x is NaN, a boolean Tensor."""
    return _constant(np.isnan(_values("isnan", x)))


def isinf(x: Any) -> Tensor:
    """Where x is +inf or -inf, a boolean Tensor."""
    return _constant(np.isinf(_values("isinf", x)))


def isfinite(x: Any) -> Tensor:
    """Where x is neither NaN nor infinite, a boolean Tensor."""
    return _constant(np.isfinite(_values("isfinite", x)))


def array_equal(x: Any, y: Any) -> bool:
    """True when x and y have one shape and equal values (NumPy's array_equal)."""
    return bool(np.array_equal(_values("array_equal", x), _values("array_equal", y)))


def equal(x: Any, y: Any) -> bool:
    """True when x and y have one shape and equal values (PyTorch's equal)."""
    return bool(np.array_equal(_values("equal", x), _values("equal", y)))


def isclose(x: Any, y: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Where |x - y| <= atol + rtol * |y| (NumPy's and PyTorch's isclose), a boolean Tensor."""
    _tolerances("isclose", rtol, atol, equal_nan)
    return _constant(np.isclose(*_pair("isclose", x, y), rtol=rtol, atol=atol,
                                equal_nan=equal_nan))


def allclose(x: Any, y: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when every value of x is close to y's (NumPy's and PyTorch's allclose)."""
    _tolerances("allclose", rtol, atol, equal_nan)
    return bool(np.allclose(*_pair("allclose", x, y), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))


def _bitwise(name: str, fn: Any, swapped: bool = False) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        a, b = (_raw(other), self._data) if swapped else (self._data, _raw(other))
        if np.asarray(a).dtype.kind == "f" or np.asarray(b).dtype.kind == "f":
            raise TypeError(f"{name}: & | ^ combine boolean masks (or integers), got a float "
                            f"tensor; compare first, e.g. (x > 0) & (x < 1)")
        broadcast(name, a, b)
        return _constant(fn(a, b))
    method.__name__ = name
    return method


def _invert(self: Tensor) -> Tensor:
    if self._data.dtype.kind == "f":
        raise TypeError("invert: ~ negates a boolean mask (or integers), got a float tensor; "
                        "compare first, e.g. ~(x > 0), or use -x to negate values")
    return _constant(~self._data)


def _any(self: Tensor, axis: Any = None, keepdims: Any = None, *, dim: Any = None,
         keepdim: Any = None) -> Tensor:
    """True where some element along `axis` is true (all axes by default). No gradient."""
    axis = check_axis("any", either("any", "axis", axis, "dim", dim), self.ndim, scalar_axis=True)
    keep = bool(either("any", "keepdims", keepdims, "keepdim", keepdim, False))
    return _constant(np.any(self._data, axis=axis, keepdims=keep))


def _all(self: Tensor, axis: Any = None, keepdims: Any = None, *, dim: Any = None,
         keepdim: Any = None) -> Tensor:
    """True where every element along `axis` is true (all axes by default). No gradient."""
    axis = check_axis("all", either("all", "axis", axis, "dim", dim), self.ndim, scalar_axis=True)
    keep = bool(either("all", "keepdims", keepdims, "keepdim", keepdim, False))
    return _constant(np.all(self._data, axis=axis, keepdims=keep))


def _astype(self: Tensor, dtype: Any) -> Tensor:
    """The values converted to `dtype`, a copy (NumPy's astype). To a float dtype it stays
    in the graph (the op `to`, or `clone` for the same dtype), so NumPy code that casts
    keeps its gradient; to an integer or boolean dtype it has none."""
    target = numeric_dtype(dtype, "astype")  # (complex, strings, objects: refused)
    if target.kind == "f":
        return self.clone() if target == self.dtype else self.to(target)
    return _constant(self._data.astype(target))


def _type_as(self: Tensor, other: Any) -> Tensor:
    """x in `other`'s dtype (PyTorch's type_as): `x.to(other.dtype)`, in the graph to a
    float dtype, x itself when the dtype is the same."""
    return self.to(_values("type_as", other).dtype)


_METHODS = {
    "argmax": argmax, "argmin": argmin, "argsort": argsort, "count_nonzero": count_nonzero,
    "nonzero": nonzero, "argwhere": argwhere,
    "any": _any, "all": _all,
    "astype": _astype, "type_as": _type_as,
    "isnan": isnan, "isinf": isinf, "isfinite": isfinite, "isclose": isclose, "equal": equal,
    "allclose": allclose,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not,
    "long": cast(np.int64, "long", ": indices"), "int": cast(np.int32, "int"),
    "bool": cast(np.bool_, "bool"),
    "__and__": _bitwise("and", np.bitwise_and), "__rand__": _bitwise("and", np.bitwise_and, True),
    "__or__": _bitwise("or", np.bitwise_or), "__ror__": _bitwise("or", np.bitwise_or, True),
    "__xor__": _bitwise("xor", np.bitwise_xor), "__rxor__": _bitwise("xor", np.bitwise_xor, True),
    "__invert__": _invert,
}
for _name, _method in _METHODS.items():
    setattr(Tensor, _name, named(_method, _name, Tensor))


def _operand(name: str, other: Any) -> Any:
    """What x is compared with: a tensor's array, a number as it is (NumPy's exact rules
    for a Python int beyond int64), else data checked (None, strings, objects refused in
    one line: NumPy's `x == "a"` would be all False, PyTorch's x.eq("a") refuses)."""
    if isinstance(other, Tensor):
        return other._data
    if isinstance(other, (int, float, complex, np.number, np.bool_)):
        return other
    return _values(name, other)


def _comparison(name: str, compare: Callable, operator_form: bool = False) -> Callable:
    """Tensor.`name` (`gt`, `greater`, or the operator `__gt__`), refusing as `name`."""
    def method(self: Tensor, other: Any) -> Tensor:
        try:
            data = _operand(name, other)
        except TypeError:
            if operator_form and compare in (operator.eq, operator.ne):
                return NotImplemented  # `t == "a"`, `t != None`: Python's bool, as PyTorch's
            raise
        try:
            return Tensor.from_op(np.asarray(compare(self._data, data)), None)
        except (ValueError, TypeError) as err:  # restated with both operands' shapes
            raise op_error(name, [self._data, np.asarray(data)], err) from None
    method.__name__ = method.__qualname__ = f"__{name}__" if operator_form else name
    return method


# Comparisons give boolean Tensors and record nothing (no gradient): masks for tg.where,
# indexing and NumPy (np.where(mask, a, b), array[mask] read __array__). PyTorch's method
# spellings too: x.eq(y) is x == y, and so on (but for None: `if w.grad == None:` asks
# whether it is None, as PyTorch answers it, not which entries are). A refusal begins with
# the name called, an operator's with its method's (`x < "a"`: "lt: ...", as `x + "a"`
# says "add: ..."), and so do the in-place forms' (alias_methods: "gt_: ...").
_OTHER_NAMES = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
                "ne": "not_equal"}
for _compare in (operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne):
    _name = _compare.__name__
    setattr(Tensor, f"__{_name}__", _comparison(_name, _compare, operator_form=True))
    for _spelling in (_name, _OTHER_NAMES.get(_name)):
        if _spelling is not None:
            setattr(Tensor, _spelling, _comparison(_spelling, _compare))

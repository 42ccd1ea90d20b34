"""Tensor methods that are another op under PyTorch's or NumPy's name, refusing under that name.

`x.clamp_min(0)` is the op clip, `x.amax(1)` max, `x.view_as(y)` and `x.reshape_as(y)`
reshape, `x.expand_as(y)` broadcast_to, `x.ptp()` max - min, `x.fill(v)` fill_: in the
graph as those ops, but a refusal begins with the name the user wrote ("clamp_min: min
must be ..."), as an op's other names do (op_errors.refusing_as; spellings.py makes these
the Tensor's methods), and so do `tg.clamp_min` and `tg.clamp_max` (torch_functions.py's
`tg.` functions). So do the in-place forms (`refusing_in_place`): `x.cos_(1)` says
"cos_: ...", not "cos: ...", PyTorch's other names of them (`divide_`, `multiply_`,
`subtract_`, `negative_`, `absolute_`, made here with `float_power_`) their own names, and
`respell_in_place_forms` makes every in-place form beside a plain method refuse so, once
all are made (tensor_methods_more.py calls it).
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from .in_place import _from_op
from .op_errors import refusing_as
from .ops.arguments import reduced_axes
from .ops.reductions import keep_flag
from .tensor import Tensor, to_tensor

__all__: list[str] = []


@refusing_as("clamp_min", "clip")
def _clamp_min(self: Tensor, min: Any) -> Tensor:  # noqa: A002  (PyTorch's name)
    """max(x, min) entry by entry (PyTorch's clamp_min): the op `clip` with no upper bound."""
    return self.clip(min, None)


@refusing_as("clamp_max", "clip")
def _clamp_max(self: Tensor, max: Any) -> Tensor:  # noqa: A002
    """min(x, max) entry by entry (PyTorch's clamp_max): the op `clip` with no lower bound."""
    return self.clip(None, max)


@refusing_as("clamp_min", "clip")
def clamp_min(input: Any, min: Any) -> Tensor:  # noqa: A002
    """max(input, min) entry by entry (PyTorch's clamp_min): the op `clip`."""
    return to_tensor(input).clamp_min(min)


@refusing_as("clamp_max", "clip")
def clamp_max(input: Any, max: Any) -> Tensor:  # noqa: A002
    """min(input, max) entry by entry (PyTorch's clamp_max): the op `clip`."""
    return to_tensor(input).clamp_max(max)


def _values_only(name: str, op: str, what: str) -> Any:
    """PyTorch's amax/amin: the extremes over `dim` (all axes by default), values only,
    whichever keyword (dim= or axis=) is given: the op `op`."""
    @refusing_as(name, op)  # (an empty axis, say: said of amax, not max)
    def method(self: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
               keepdims: Any = None) -> Tensor:
        keep = keep_flag(name, keepdims, keepdim)
        return getattr(self, op)(axis=reduced_axes(name, axis, dim, self.ndim), keepdims=keep)
    method.__doc__ = (f"The {what} over `dim` (all axes by default), the values only "
                      f"(PyTorch's and NumPy's {name}): the op `{op}`.")
    return method


@refusing_as("ptp", "max", "min")
def _ptp(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """max - min over `axis` (NumPy's peak to peak): the ops max, min and sub."""
    return self.max(axis=axis, keepdims=keepdims) - self.min(axis=axis, keepdims=keepdims)


@refusing_as("fill", "fill_")
def _fill(self: Tensor, value: Any) -> None:
    """Set every value to `value` in place (NumPy's a.fill; PyTorch's fill_ returns t)."""
    self.fill_(value)


def _shape_of(name: str, other: Any) -> tuple[int, ...]:
    if not isinstance(other, (Tensor, np.ndarray)):
        raise TypeError(f"{name}: expected a tensor whose shape to take, got "
                        f"{type(other).__name__} {short(other)}; give the shape to "
                        f"{name[:-3]}(...) instead")
    return other.shape


def short(value: Any) -> str:
    """`value` as a message quotes it: its repr, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@refusing_as("view_as", "view", "reshape")
def _view_as(self: Tensor, other: Any) -> Tensor:
    """x in `other`'s shape (PyTorch's view_as): `view`, the op `reshape`."""
    shape = _shape_of("view_as", other)
    return self.view(shape)


@refusing_as("reshape_as", "reshape")
def _reshape_as(self: Tensor, other: Any) -> Tensor:
    """x in `other`'s shape (PyTorch's reshape_as): the op `reshape`."""
    shape = _shape_of("reshape_as", other)
    return self.reshape(shape)


@refusing_as("expand_as", "broadcast_to", "expand")
def _expand_as(self: Tensor, other: Any) -> Tensor:
    """x broadcast to `other`'s shape (PyTorch's expand_as): the op `broadcast_to`."""
    shape = _shape_of("expand_as", other)
    return self.broadcast_to(shape)


def refusing_in_place(name: str, method: Callable, *own: str) -> Callable:
    """`method` as the in-place form Tensor.`name` (`cos_`): a refusal that begins with the
    plain method's name ("cos: ...") or one of `own` (the form it is another name of and its
    plain method: "div_", "div" for divide_) begins with `name` instead ("cos_: ...", as
    op_errors.respelled writes it), and so does Python's complaint about the arguments."""
    plain = getattr(Tensor, name[:-1], None)  # (its arguments as they are: counted by it)
    refusing = refusing_as(name, name[:-1], *own, plain=plain)(method)
    refusing.__name__ = refusing.__qualname__ = name
    refusing.refuses_as = name
    return refusing


def respell_in_place_forms() -> None:
    """Every in-place form Tensor.`name_` beside a plain method `name` (cos_, div_,
    unsqueeze_, ...), wherever it was made, refusing as `name_` (`refusing_in_place`): once
    each, so a later call wraps only what was made since."""
    for name, method in list(vars(Tensor).items()):
        if (name.endswith("_") and not name.startswith("_") and inspect.isfunction(method)
                and getattr(method, "refuses_as", None) != name
                and callable(getattr(Tensor, name[:-1], None))):
            setattr(Tensor, name, refusing_in_place(name, method))


def _float_power_(self: Tensor, exponent: Any) -> Tensor:
    """`x.float_power_(e)`: x ** e written into x, which must be float64 (PyTorch's rule)."""
    if self.dtype != np.float64:
        raise RuntimeError(f"float_power_: the result is float64, which a tensor of dtype "
                           f"{self.dtype} cannot hold; use x = x.float_power(e), or x.double()")
    return _from_op("float_power_")(self, exponent)


# PyTorch's other names of in-place forms (in_place.py's): each refusing under its own name
_IN_PLACE_ALIASES = {"multiply_": "mul_", "subtract_": "sub_", "divide_": "div_",
                     "negative_": "neg_", "absolute_": "abs_"}

METHODS = {"clamp_min": _clamp_min, "clamp_max": _clamp_max,
           "amax": _values_only("amax", "max", "maxima"),
           "amin": _values_only("amin", "min", "minima"), "ptp": _ptp, "fill": _fill,
           "view_as": _view_as, "reshape_as": _reshape_as, "expand_as": _expand_as,
           "float_power_": refusing_in_place("float_power_", _float_power_)}
METHODS.update({name: refusing_in_place(name, getattr(Tensor, form), form, form[:-1])
                for name, form in _IN_PLACE_ALIASES.items()})

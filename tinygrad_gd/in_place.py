"""Changing a tensor's values in place: `+=`, `-=`, `*=`, `/=` (and `**=`, `//=`, `%=`,
`&=`, `|=`, `^=`, `<<=`, `>>=`), PyTorch's `add_`, `zero_`...

PyTorch's manual update is `with torch.no_grad(): w -= lr * w.grad; w.grad.zero_()`.
Here it does the same: the values of `w` change in place, counted as an in-place change
(a graph that saved them refuses to backward), wherever `t[...] = v` may write: a leaf
that requires a gradient only under `no_grad()`, any tensor that needs none at any time,
and under `no_grad()` a tensor made by an op (its values only: its node stays, as PyTorch's).
Where the graph must follow the change (a tensor made by a recorded op, or a value that
needs a gradient written in), it is recorded as PyTorch records it (in_place_recorded.py:
`h[mask] = 0`, `h.relu_()`, `out += identity`, `h[1].zero_()`, `h.T.mul_(3)` and
`h.view(-1)[0] = y`, `h.diagonal().add_(1)` through h); a change of a view whose entries
repeat (an expand) is refused there.

The random fills (`uniform_`, `normal_`, ...) are in_place_draws.py's. `shown` (a value
in a message) and `scalar` (one number) serve the package's messages and checks.

PyTorch's in-place spellings of ops (`w.clamp_(-1, 1)`, `w.relu_()`, `x.masked_fill_(m, 0)`,
...: `_FROM_OPS`) compute the op's values without recording (`w.clamp(-1, 1)` under
no_grad(), with that op's argument checks and errors) and write them as `add_` does.
PyTorch's in-place shape changes (`t.unsqueeze_(-1)`, `squeeze_`, `t_`, `transpose_`,
...) are in_place_shapes.py's.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .creation import fits
from .engine import no_grad
from .errors import ShapeError
from .in_place_recorded import rebase, recorded, shape_kept, written_already
from .ops.indexing import SetItem, refuse_mixed_lists
from .tensor import Tensor, _as_array, _raw
from .tracked import read_only_error


def shown(value: Any) -> str:
    """`value` in a one-line message: a tensor's or array's shape and dtype (never its
    printed values, which run over lines), else its type and a short repr."""
    if isinstance(value, (Tensor, np.ndarray)):
        return f"shape {value.shape}, dtype {value.dtype}"
    text = " ".join(repr(value).split())
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def scalar(where: str, name: str, value: Any) -> Any:
    """`value` checked to be one number, as PyTorch's fill_ takes: an int, float or bool
    (NumPy's too), or a 0-d tensor or array; None, a string, a list refused in one line."""
    raw = _raw(value)
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "biuf":
        if raw.ndim:
            raise ValueError(f"{where}: {name} must be one number, got a tensor of "
                             f"{shown(raw)}; give a number or a 0-d tensor")
        return value
    if isinstance(raw, (bool, int, float, np.bool_, np.integer, np.floating)):
        return value
    raise TypeError(f"{where}: {name} must be a number (int, float or bool) or a 0-d tensor, "
                    f"got {shown(value)}")


def _number(where: str, name: str, value: Any, hint: str = "") -> Any:
    """An int or float argument (alpha, a bound, a gain): a 0-d tensor's value; else one
    line (ending with `hint`)."""
    if isinstance(value, (Tensor, np.ndarray)) and value.ndim == 0:
        value = value.item()  # (a 0-d tensor is a number, as PyTorch's)
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be a number (int or float), got "
                        f"{shown(value)}{hint}")
    return value


def _write(t: Tensor, what: str, ufunc: np.ufunc, other: Any, instead: str) -> Tensor:
    """`ufunc(t, other)` into t's own values: same-kind casting, t's shape kept."""
    operand = _raw(other)
    if not (isinstance(operand, (int, float, np.bool_, np.integer, np.floating)) or isinstance(
            operand, np.ndarray) and operand.dtype.kind in "biuf"):
        _as_array(operand, None, what, copy=False, default=None)  # None, str...: one line

    def result() -> Any:  # the dtype of the result t cannot take (asked only on the error)
        probe = operand if isinstance(operand, (bool, int, float)) else np.zeros(
            1, np.asarray(operand).dtype)
        with np.errstate(all="ignore"):
            return ufunc(np.zeros(1, t.dtype), probe).dtype

    return _into(t, what, lambda: ufunc(t._data, operand, out=t._data, casting="same_kind"),
                 lambda: f"the other operand: {shown(other)}", np.shape(operand), result, instead)


def _into(t: Tensor, what: str, write: Any, operand: Callable[[], str], shape: tuple,
          dtype: Callable[[], Any], instead: str) -> Tensor:
    """Run `write` (which writes values of `shape` and `dtype()` into t._data) and count
    the change; its error in one line, naming shapes and dtypes (and `operand()`, what was
    written), never printed values."""
    if not t._data.flags.writeable:  # (NumPy's "read-only" would read as a shape mistake)
        raise read_only_error(f"{what}: cannot write into this tensor", t.shape,
                              "t = t.clone() (values of its own), then write")
    before = t._stamp()[0]
    t._mark_changed()  # (before the write: old_versions.py copies what shares the memory)
    try:
        write()
    except (ValueError, TypeError, OverflowError) as err:  # (checked before any is written)
        t._version[0] = before  # (nothing written: the version as it was, as PyTorch's)
        kind, why = OverflowError, str(err).splitlines()[0].rstrip(".")  # (an int too big)
        if isinstance(err, ValueError):  # (not NumPy's own subclasses)
            kind, why = ShapeError, f"shape {shape} does not broadcast to {t.shape}"
        elif isinstance(err, TypeError):
            kind = TypeError
            try:
                why = f"values of dtype {dtype()} do not fit dtype {t.dtype}"
            except (TypeError, ValueError, OverflowError):
                pass  # (no such op for these dtypes, as bool - bool: NumPy's words)
        raise kind(f"{what}: cannot write the result into a tensor of shape {t.shape} and "
                   f"dtype {t.dtype} ({operand()}): {why}; in place, the tensor's shape and "
                   f"dtype stay as they are: use {instead} for a new tensor") from None
    return t


def _op_values_into(t: Tensor, what: str, op: Callable[[], Tensor],
                    operand: Callable[[np.ndarray], str], instead: str) -> Tensor:
    """`op()`'s values (run unrecorded, with its own checks) written into t, as `_into`
    writes (`operand(values)` says what was written, on an error)."""
    with no_grad():
        values = op()._data
    # a result with leading axes of size 1, which np.copyto would drop: refused, as torch's
    if values.ndim > t.ndim and values.shape == (1,) * (values.ndim - t.ndim) + t.shape:
        raise shape_kept(t, what, values.shape, instead)
    return _into(t, what, lambda: np.copyto(t._data, values, casting="same_kind"),
                 lambda: operand(values), values.shape, lambda: values.dtype, instead)


def _operator(symbol: str, ufunc: np.ufunc | None, name: str) -> Any:
    """`t += other` and the like, the op `name` in place: recorded where the graph must
    follow (t made by an op, or `other` requiring a gradient). Else `ufunc` writes into t
    (the update's `w -= lr * g`); without one, the op's own values are written (its
    checks: `t **= -1` of integers refused as `t ** -1` is)."""
    instead = f"t = t {symbol[:-1]} ..."

    def operator(self: Tensor, other: Any) -> Tensor:
        if self._ctx is None:  # a leaf that requires a gradient: under no_grad() only
            self._check_writable(symbol, f"write {instead} (a new tensor)")
        if recorded(self, other, what=symbol):  # (a view h[1] changes h, as its methods do)
            return rebase(self, symbol, lambda before, x: getattr(before, name)(x), instead,
                          other)
        if ufunc is not None:
            return _write(self, symbol, ufunc, other, instead)
        return _op_values_into(self, symbol, lambda: getattr(self, name)(other),
                               lambda values: f"the other operand: {shown(other)}", instead)
    operator.__name__ = operator.__qualname__ = f"__i{name[2:]}"
    return operator


def _method(name: str, ufunc: np.ufunc, scaled: bool, op: str) -> Any:
    """PyTorch's `t.add_(other, alpha=1)` and the like: in place (the op `op`, recorded
    where the graph must follow)."""
    def method(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        alpha = _number(name, "alpha", alpha)
        if alpha != 1 and not scaled:
            raise TypeError(f"{name}: alpha= is PyTorch's for add_ and sub_ only")
        if recorded(self, other, what=name):  # (x * alpha: a Tensor's recorded, a number's not)
            return rebase(self, name, lambda before, x: getattr(before, op)(
                x if alpha == 1 else x * alpha if isinstance(x, Tensor) else _raw(x) * alpha),
                f"t = t.{name[:-1]}(...)", other)
        self._check_writable(name, f"use t.{name[:-1]}(...) (a new tensor)")
        if alpha != 1:
            other = _raw(other) * alpha
        return _write(self, name, ufunc, other, f"t.{name[:-1]}(...)")
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"`t.{name}(other)`: t's values changed in place, as PyTorch's (also "
                      f"under `tg.no_grad()` for a parameter); returns t.")
    return method


def __setitem__(self: Tensor, index: Any, value: Any) -> None:
    """Write values in place (`t[0] = 0.0`), as NumPy does. Where the graph must follow
    (t made by an op, or a value that needs a gradient) the write is recorded, the op
    setitem, as PyTorch's; else it is counted as an in-place change (a leaf that requires
    a gradient can be written only under `no_grad()`: a weight update)."""
    try:
        _written_at(self, index, value, "setitem")
    except ValueError:  # (NumPy's words for a list it cannot read: `t[[0, (1, 2)]] = v`)
        refuse_mixed_lists("setitem", index)
        raise


def _written_at(t: Tensor, index: Any, value: Any, what: str) -> Tensor:
    """`t[index] = value` for setitem and the methods that write values (fill_, copy_):
    recorded, or written as `Tensor._write_at` writes; returns t."""
    if recorded(t, value, what=what):
        if written_already(t, index, value):  # (`h[1] += y`: Python writes h[1] back)
            return t
        return rebase(t, what, lambda before, x: SetItem.call(before, index, x),
                      "tg.where(...) or tg.cat(...)", value)
    t._write_at(index, value, what)
    return t


def zero_(self: Tensor) -> Tensor:
    """Set every value to 0 in place and return the tensor (PyTorch's `w.grad.zero_()`)."""
    return _written_at(self, ..., 0, "zero_")


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every value to `value` (one number) in place and return the tensor (PyTorch's
    fill_)."""
    return _written_at(self, ..., scalar("fill_", "value", value), "fill_")


def copy_(self: Tensor, source: Any) -> Tensor:
    """Write `source`'s values (broadcast to t's shape) into t and return t (PyTorch's)."""
    values = _as_array(source, None, "copy_", copy=False, default=None)  # (one line if not)
    if not fits(values.shape, self.shape):
        raise ShapeError(f"copy_: the source has shape {values.shape}, which does not "
                         f"broadcast to the tensor's shape {self.shape}; give values of shape "
                         f"{self.shape} (or one that broadcasts to it)")
    return _written_at(self, ..., source, "copy_")


def _from_op(name: str) -> Any:
    """PyTorch's `t.clamp_(...)` and the like: the op's values (`t.clamp(...)`) written
    into t, recorded where the graph must follow, as `add_` writes; returns t."""
    op = name[:-1]

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if recorded(self, *args, *kwargs.values(), what=name):
            return rebase(self, name, lambda before, *xs: getattr(before, op)(*xs, **kwargs),
                          f"t = t.{op}(...)", *args)
        self._check_writable(name, f"use t = t.{op}(...) (a new tensor)")
        return _op_values_into(self, name, lambda: getattr(self, op)(*args, **kwargs),
                               lambda values: f"{op}'s values: shape {values.shape}, dtype "
                                              f"{values.dtype}", f"t = t.{op}(...)")
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"`t.{name}(...)`: t's values replaced by `t.{op}(...)`'s in place, as "
                      f"PyTorch's (a parameter under `tg.no_grad()`); returns t.")
    return method


def div_(self: Tensor, other: Any, *, rounding_mode: Any = None) -> Tensor:
    """`t.div_(other, *, rounding_mode=None)`, PyTorch's: t / other in place; with
    rounding_mode ("floor", "trunc"), `t.div(other, rounding_mode=...)`'s values written
    into t (its checks: an integer divisor holding a 0 refused); returns t."""
    if rounding_mode is None:
        return _true_div_(self, other)
    return _rounded_div_(self, other, rounding_mode=rounding_mode)


# PyTorch's in-place spellings of ops: `name` writes the values of the method `name[:-1]`
_FROM_OPS = ("clamp_", "clip_", "clamp_min_", "clamp_max_", "relu_", "exp_", "log_", "abs_",
             "neg_", "sqrt_", "pow_", "sigmoid_", "tanh_", "masked_fill_", "floor_", "ceil_",
             "round_", "sign_", "square_", "reciprocal_", "scatter_", "scatter_add_",
             "scatter_reduce_", "index_add_", "index_copy_", "index_fill_", "masked_scatter_")

# (`@=` is left to Python, which rebinds: PyTorch's too; the others write as PyTorch's)
for _symbol, _ufunc, _recorded in (("+=", np.add, "__add__"), ("-=", np.subtract, "__sub__"),
                                   ("*=", np.multiply, "__mul__"),
                                   ("/=", np.divide, "__truediv__"), ("**=", None, "__pow__"),
                                   ("//=", None, "__floordiv__"), ("%=", None, "__mod__"),
                                   ("&=", None, "__and__"), ("|=", None, "__or__"),
                                   ("^=", None, "__xor__"), ("<<=", None, "__lshift__"),
                                   (">>=", None, "__rshift__")):
    _op = _operator(_symbol, _ufunc, _recorded)
    setattr(Tensor, _op.__name__, _op)
for _name, _ufunc, _scaled, _recorded in (
        ("add_", np.add, True, "__add__"), ("sub_", np.subtract, True, "__sub__"),
        ("mul_", np.multiply, False, "__mul__"), ("div_", np.divide, False, "__truediv__")):
    setattr(Tensor, _name, _method(_name, _ufunc, _scaled, _recorded))
_true_div_, _rounded_div_ = Tensor.div_, _from_op("div_")  # (div_ below: one or the other)
Tensor.div_ = div_
for _function in (__setitem__, zero_, fill_, copy_):
    setattr(Tensor, _function.__name__, _function)
for _name in _FROM_OPS:
    setattr(Tensor, _name, _from_op(_name))


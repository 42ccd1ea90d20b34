"""Changing a tensor's values in place: `+=`, `-=`, `*=`, `/=`, PyTorch's `add_`, `zero_`...

PyTorch's manual update is `with torch.no_grad(): w -= lr * w.grad; w.grad.zero_()`.
Here it does the same: the values of `w` change in place, counted as an in-place change
(a graph that saved them refuses to backward), wherever `t[...] = v` may write: a leaf
that requires a gradient only under `no_grad()`, any tensor that needs none at any time.
A tensor made by a recorded op cannot be written (it is part of a graph): there the
operators are the recorded op, `loss += penalty` is `loss = loss + penalty` (Python
rebinds the name), and the methods, which cannot rebind, refuse.

PyTorch's in-place spellings of ops (`w.clamp_(-1, 1)`, `w.relu_()`, `x.masked_fill_(m, 0)`,
...: `_FROM_OPS`) compute the op's values without recording (`w.clamp(-1, 1)` under
no_grad(), with that op's argument checks and errors) and write them as `add_` does.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .creation import make_generator
from .engine import is_grad_enabled, no_grad
from .tensor import Tensor, _describe, _raw


def _write(t: Tensor, what: str, ufunc: np.ufunc, other: Any) -> Tensor:
    """`ufunc(t, other)` into t's own values: same-kind casting, t's shape kept."""
    operand = _raw(other)
    return _into(t, what, lambda: ufunc(t._data, operand, out=t._data, casting="same_kind"),
                 f"the other operand: shape {np.shape(operand)}, {_describe(other)}")


def _into(t: Tensor, what: str, write: Any, operand: str) -> Tensor:
    """Run `write` (which writes into t._data) and count the change; its error in one line."""
    try:
        write()
    except (ValueError, TypeError) as err:  # (checked before any value is written)
        kind = TypeError if isinstance(err, TypeError) else ValueError  # (not NumPy's own)
        raise kind(f"{what}: cannot write the result into a tensor of shape {t.shape} and "
                   f"dtype {t.dtype} ({operand}): {str(err).splitlines()[0]}; in place, the "
                   f"tensor's shape and dtype stay as they are") from None
    t._mark_changed()
    return t


def _operator(symbol: str, ufunc: np.ufunc, recorded: str) -> Any:
    """`t += other` and the like: in place, or the recorded op where the graph must follow
    (t made by an op, or `other` requiring a gradient)."""
    def operator(self: Tensor, other: Any) -> Tensor:
        if self._ctx is None:  # a leaf that requires a gradient: under no_grad() only
            self._check_writable(symbol, f"write t = t {symbol[0]} ... (a new tensor)")
        if self._ctx is not None or (is_grad_enabled() and isinstance(other, Tensor)
                                     and other.requires_grad):
            return getattr(self, recorded)(other)
        return _write(self, symbol, ufunc, other)
    operator.__name__ = operator.__qualname__ = f"__i{recorded[2:]}"
    return operator


def _method(name: str, ufunc: np.ufunc, scaled: bool) -> Any:
    """PyTorch's `t.add_(other, alpha=1)` and the like: in place, or refused."""
    def method(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        self._check_writable(name, f"use t.{name[:-1]}(...) (a new tensor)")
        if isinstance(other, Tensor) and other.requires_grad and is_grad_enabled():
            raise RuntimeError(f"{name}: the other operand requires a gradient, and an "
                               f"in-place change is not recorded; use t.{name[:-1]}(...) (a "
                               f"new tensor), or do it under `with tg.no_grad():`")
        if scaled and alpha != 1:
            other = _raw(other) * alpha
        elif alpha != 1:
            raise TypeError(f"{name}: alpha= is PyTorch's for add_ and sub_ only")
        return _write(self, name, ufunc, other)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"`t.{name}(other)`: t's values changed in place, as PyTorch's (also "
                      f"under `tg.no_grad()` for a parameter); returns t.")
    return method


def zero_(self: Tensor) -> Tensor:
    """Set every value to 0 in place and return the tensor (PyTorch's `w.grad.zero_()`)."""
    self[...] = 0
    return self


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every value to `value` in place and return the tensor (PyTorch's fill_)."""
    self._write_at(..., value, "fill_")
    return self


def copy_(self: Tensor, source: Any) -> Tensor:
    """Write `source`'s values (broadcast to t's shape) into t and return t (PyTorch's)."""
    self._write_at(..., source, "copy_")
    return self


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Draw every value from U(a, b) in place and return the tensor (PyTorch's uniform_):
    from `generator=`, else `tg.manual_seed`'s generator, else fresh entropy."""
    self[...] = make_generator(None, generator, "uniform_").uniform(a, b, self.shape)
    return self


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Any = None) -> Tensor:
    """Draw every value from N(mean, std**2) in place and return the tensor (PyTorch's
    normal_), from the same generators as uniform_."""
    self[...] = make_generator(None, generator, "normal_").normal(mean, std, self.shape)
    return self


def _from_op(name: str) -> Any:
    """PyTorch's `t.clamp_(...)` and the like: the op's values (`t.clamp(...)`, not
    recorded) written into t, where `add_` may write; returns t."""
    op = name[:-1]

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        self._check_writable(name, f"use t = t.{op}(...) (a new tensor)")
        if is_grad_enabled() and any(isinstance(value, Tensor) and value.requires_grad
                                     for value in (*args, *kwargs.values())):
            raise RuntimeError(f"{name}: an argument requires a gradient, and an in-place "
                               f"change is not recorded; use t.{op}(...) (a new tensor), or "
                               f"do it under `with tg.no_grad():`")
        with no_grad():
            values = getattr(self, op)(*args, **kwargs)._data
        return _into(self, name, lambda: np.copyto(self._data, values, casting="same_kind"),
                     f"{op}'s values: shape {values.shape}, dtype {values.dtype}")
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"`t.{name}(...)`: t's values replaced by `t.{op}(...)`'s in place, as "
                      f"PyTorch's (a parameter under `tg.no_grad()`); returns t.")
    return method


# PyTorch's in-place spellings of ops: `name` writes the values of the method `name[:-1]`
_FROM_OPS = ("clamp_", "clip_", "clamp_min_", "clamp_max_", "relu_", "exp_", "log_", "abs_",
             "neg_", "sqrt_", "pow_", "sigmoid_", "tanh_", "masked_fill_", "floor_", "ceil_",
             "round_", "sign_", "square_", "reciprocal_")

for _symbol, _ufunc, _recorded in (("+=", np.add, "__add__"), ("-=", np.subtract, "__sub__"),
                                   ("*=", np.multiply, "__mul__"),
                                   ("/=", np.divide, "__truediv__")):
    _op = _operator(_symbol, _ufunc, _recorded)
    setattr(Tensor, _op.__name__, _op)
for _name, _ufunc, _scaled in (("add_", np.add, True), ("sub_", np.subtract, True),
                               ("mul_", np.multiply, False), ("div_", np.divide, False)):
    setattr(Tensor, _name, _method(_name, _ufunc, _scaled))
for _function in (zero_, fill_, copy_, uniform_, normal_):
    setattr(Tensor, _function.__name__, _function)
for _name in _FROM_OPS:
    setattr(Tensor, _name, _from_op(_name))

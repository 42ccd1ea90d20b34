"""More of PyTorch's and NumPy's elementwise functions: atan2, hypot, fmod, frac, logit,
xlogy, xlog1py, nan_to_num, maximum, minimum, fmax, fmin, copysign, sinc, heaviside.

As in `elementwise.py`, each op's forward stands beside its backward and a broadcast
input's gradient is summed back by the engine. At a kink, a tie or a singular point the
gradient is PyTorch's convention there (each docstring says which); heaviside, which
PyTorch refuses to differentiate, gets the gradient that exists, as floor_divide does.
Integer and bool inputs give PyTorch's result dtype, float64 where PyTorch's is its
default float (float64 is the package's). Each `backward_graph` is its backward in Tensor
ops (higher_order.py): a step's factor (a mask, a sign) stays a constant; where backward
takes a value instead of a formula's NaN (0 at atan2's origin), the formula's Tensor ops
get a harmless operand there (as Pow's), so its derivative is no NaN either.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from .arguments import floating, integer_divisor, number, same_dtype
from .elementwise import Where

# NaN, inf and an underflow to 0 are answers here, not warnings (the special ops share it)
_QUIET = dict(divide="ignore", invalid="ignore", over="ignore", under="ignore")


def _floats(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The operands of a real-valued binary op: PyTorch's promotion (`same_dtype`), and
    float64 for integers and bools (not NumPy's float16 for bool and int8)."""
    x, y = same_dtype(x, y)
    return floating(x), floating(y)


def _steps(ctx, out, g):
    """backward_graph of an op whose gradients are g times steps (masks, signs, whole
    numbers), constants of the second derivative: those factors, backward's of 1, times g."""
    factors = type(ctx).backward(ctx, np.ones(out.shape, g.dtype))
    if factors.__class__ is not tuple:
        return g * factors
    return tuple(None if factor is None else g * factor for factor in factors)


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x * ln(y), 0 where x == 0 unless y is NaN (PyTorch's and SciPy's xlogy)."""
    with np.errstate(**_QUIET):
        return np.where((x == 0) & ~np.isnan(y), 0, x * np.log(y)).astype(
            np.result_type(x, y), copy=False)


class Atan2(Function, elementwise=True, methods=("atan2", "arctan2"),
            functions=("atan2", "arctan2")):
    """The angle of the point (x=other, y=input) in (-pi, pi], broadcast: arctan(input /
    other) in the right quadrant (PyTorch's atan2, NumPy's arctan2). Where
    `input**2 + other**2` is 0 (at the origin, or so small it underflows) the gradient is
    0, as PyTorch's.

    forward: `atan2(x, y)`
    gradient: `g * y / (x**2 + y**2)` for x, `-g * x / (x**2 + y**2)` for y
    """

    def forward(ctx, x, y):
        x, y = _floats(x, y)
        ctx.save_for_backward(x, y)
        return np.arctan2(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        with np.errstate(**_QUIET):
            squares = x * x + y * y
            scale = np.divide(g, squares, out=np.zeros(np.broadcast_shapes(
                g.shape, squares.shape), dtype=g.dtype), where=squares != 0)
            return (scale * y if needs_x else None), (-scale * x if needs_y else None)

    def backward_graph(ctx, out, g):
        x, y = ctx.parents
        needs_x, needs_y = ctx.needs_input_grad
        with np.errstate(**_QUIET):
            squares = x * x + y * y
            zero = squares._data == 0  # (there 0, as backward's: no 0 / 0 to differentiate)
            scale = Where.call(zero, 0.0, g / Where.call(zero, 1.0, squares))
        return (scale * y if needs_x else None), (-scale * x if needs_y else None)


class Hypot(Function, elementwise=True, methods=("hypot",), functions=("hypot",)):
    """`sqrt(x**2 + y**2)` without overflow or underflow (hypot(1e200, 1e200) is 1.4e200),
    broadcast. At (0, 0) the gradient is NaN (0 / 0), as PyTorch's. Integers give float64
    (PyTorch refuses them, NumPy's hypot does the same).

    forward: `sqrt(x**2 + y**2)`
    gradient: `g * x / out` for x, `g * y / out` for y
    """

    def forward(ctx, x, y):
        x, y = _floats(x, y)
        out = np.hypot(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        with np.errstate(**_QUIET):
            share = g / out
            return (share * x if needs_x else None), (share * y if needs_y else None)

    def backward_graph(ctx, out, g):
        x, y = ctx.parents
        needs_x, needs_y = ctx.needs_input_grad
        with np.errstate(**_QUIET):  # (NaN at the origin, as backward's)
            share = g / out
        return (share * x if needs_x else None), (share * y if needs_y else None)


class Fmod(Function, elementwise=True, methods=("fmod",), functions=("fmod",)):
    """x mod y with the sign of x (C's fmod, NumPy's and PyTorch's; `remainder` takes y's
    sign): x - y * trunc(x / y), broadcast. Integers stay integers; an integer division
    by 0 is refused, as PyTorch's RuntimeError (ZeroDivisionError), a float one is NaN.
    The gradient for y where x / y is whole is PyTorch's, -trunc(x / y).

    forward: `x - y * trunc(x / y)`
    gradient: `g` for x, `-g * trunc(x / y)` for y
    """

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)
        if x.dtype == bool or y.dtype == bool:
            raise TypeError("fmod: not defined for booleans (PyTorch refuses them too); "
                            "convert them to numbers first, x.to(np.int64)")
        integer_divisor("fmod", x, y)
        ctx.save_for_backward(x, y)
        with np.errstate(invalid="ignore"):
            return np.fmod(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if not ctx.needs_input_grad[1]:  # (a constant divisor's gradient is never made)
            return g, None
        with np.errstate(**_QUIET):
            return g, -g * np.trunc(x / y)

    backward_graph = _steps  # (trunc(x / y): a step)


class Frac(Function, elementwise=True, methods=("frac",), functions=("frac",)):
    """The fractional part, x - trunc(x), with x's sign (PyTorch's frac; NaN at +-inf).
    Integers give 0 in their dtype (PyTorch refuses them).

    forward: `x - trunc(x)`
    gradient: `g`
    """

    def forward(ctx, x):
        if x.dtype.kind in "biu":
            return np.zeros_like(x)
        with np.errstate(invalid="ignore"):
            return x - np.trunc(x)

    def backward(ctx, g):
        return g

    def backward_graph(ctx, out, g):
        return g


class Logit(Function, elementwise=True, methods=("logit",), functions=("logit",)):
    """ln(x / (1 - x)), the inverse of sigmoid (PyTorch's logit). With `eps`, x is first
    limited to [eps, 1 - eps] (PyTorch's rule: eps where x < eps, else 1 - eps where
    x > 1 - eps) and the gradient is 0 beyond those bounds, still passed at them; without
    eps the value is -inf at 0, inf at 1 and NaN outside [0, 1], and so is the gradient
    (g * inf at 0 and 1, NaN outside), as PyTorch's; a negative eps is no eps (PyTorch's
    rule too). Integers give float64.

    forward: `ln(z / (1 - z))`, `z = x` limited to `[eps, 1 - eps]`
    gradient: `g / (x * (1 - x))` where `eps <= x <= 1 - eps`, else `0` (NaN without eps)
    """

    @classmethod
    def call(cls, x, eps=None):
        eps = None if eps is None else number(cls.name, "eps", eps)
        return cls.apply(x, eps=None if eps is not None and eps < 0 else eps)

    def forward(ctx, x, *, eps=None):
        x = floating(x)
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x if eps is None else np.where(x < eps, eps, np.where(x > 1 - eps, 1 - eps, x))
        with np.errstate(**_QUIET):
            return np.log(z / (1 - z)).astype(x.dtype, copy=False)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        low, high, beyond = (0, 1, np.nan) if ctx.eps is None else (ctx.eps, 1 - ctx.eps, 0)
        with np.errstate(**_QUIET):  # (at 0 and 1 g * inf, as PyTorch's: -0.0 too gives inf)
            slope = np.where((x == 0) | (x == 1), g * np.inf, g / (x * (1 - x)))
            return np.where((x < low) | (x > high), beyond, slope).astype(g.dtype, copy=False)

    def backward_graph(ctx, out, g):
        x, (low, high) = ctx.parents[0], ((0, 1) if ctx.eps is None else (ctx.eps, 1 - ctx.eps))
        outside = (x._data < low) | (x._data > high)  # (0 there, or g * NaN: linear in g, so
        safe = Where.call(outside, 0.5, x) + 0.0  # forward mode's tangent is NaN too)
        with np.errstate(**_QUIET):  # (+ 0.0: g / -0.0 is g * inf; then NaN, as PyTorch's)
            beyond = g * np.where(outside, np.nan, 0.0) if ctx.eps is None else 0
            return Where.call(outside, beyond, g / (safe * (1 - safe)))


class Xlogy(Function, elementwise=True, methods=("xlogy",), functions=("xlogy",)):
    """x * ln(y), broadcast, and 0 where x == 0 even where ln(y) is -inf or NaN (y <= 0),
    unless y is NaN (PyTorch's and SciPy's xlogy): the entropy term p * ln(p) at p = 0.
    At x == 0 and y <= 0 x's gradient is 0 (PyTorch's choice: the derivative along
    x = 0); y's there is x / y, NaN at y == 0, as PyTorch's. Integers give float64.

    forward: `x * ln(y)` (`0` where `x == 0`)
    gradient: `xlogy(g, y)` for x (`0` where `x == 0` and `y <= 0`), `g * x / y` for y
    """

    def forward(ctx, x, y):
        x, y = _floats(x, y)
        ctx.save_for_backward(x, y)
        return _xlogy(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        dx = dy = None
        if needs_x:
            with np.errstate(invalid="ignore"):
                dx = np.where((x == 0) & (y <= 0), 0, _xlogy(g, y)).astype(g.dtype, copy=False)
        if needs_y:
            with np.errstate(**_QUIET):
                dy = g * x / y
        return dx, dy

    def backward_graph(ctx, out, g):
        x, y = ctx.parents
        needs_x, needs_y = ctx.needs_input_grad
        dx = dy = None
        with np.errstate(**_QUIET):
            if needs_x:  # 0 where x == 0 and y <= 0, and where g == 0 and ln(y) is +-inf
                flat = g._data == 0  # or NaN (xlogy(g, y)); elsewhere g * ln(y), 0 at g == 0
                zero = ((x._data == 0) | flat) & (y._data <= 0) | flat & (y._data == np.inf)
                dx = Where.call(zero, 0.0, g * Where.call(zero, 1.0, y).log())
            if needs_y:
                dy = g * x / y
        return dx, dy


class NanToNum(Function, name="nan_to_num", elementwise=True, methods=("nan_to_num",),
               functions=("nan_to_num",)):
    """x with NaN replaced by `nan` (0 by default), inf by `posinf` and -inf by `neginf`
    (by default the largest and the most negative number of x's dtype), as PyTorch's and
    NumPy's nan_to_num. A replacement too large for float32 is inf there, as in both.
    Integers and bools are returned as they are. The gradient passes where x was kept
    and is 0 where it was replaced, as PyTorch's.

    forward: `nan_to_num(x, nan, posinf, neginf)`
    gradient: `g * isfinite(x)`
    """

    @classmethod
    def call(cls, x, nan=0.0, posinf=None, neginf=None):
        values = {name: None if value is None else number(cls.name, name, value)
                  for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf))}
        values["nan"] = 0.0 if values["nan"] is None else values["nan"]  # (PyTorch's None)
        return cls.apply(x, **values)

    def forward(ctx, x, *, nan=0.0, posinf=None, neginf=None):
        if x.dtype.kind != "f":
            return x.copy()
        ctx.save_for_backward(np.isfinite(x))
        with np.errstate(over="ignore"):  # (1e300 as float32 is inf, as PyTorch's)
            return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(ctx, g):
        (kept,) = ctx.saved_tensors
        return g * kept

    backward_graph = _steps


class Maximum(Function, elementwise=True, methods=("maximum",), functions=("maximum",)):
    """Elementwise max(x, y); where x == y the gradient is split evenly, where either is
    NaN (so is the result) both get it, as in PyTorch.

    forward: `max(x, y)` elementwise
    gradient: `g * ([x > y] + [x == y] / 2)` for x, `g * ([y > x] + [x == y] / 2)` for y
    """

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        share = (x > y) + 0.5 * (x == y)
        unordered = np.isnan(x) | np.isnan(y)  # a NaN result: both get g, as in PyTorch
        needs_x, needs_y = ctx.needs_input_grad  # (x.maximum(0.0): no gradient for the 0)
        return (g * (share + unordered) if needs_x else None), \
               (g * (1.0 - share) if needs_y else None)

    backward_graph = _steps


class Minimum(Function, elementwise=True, methods=("minimum",), functions=("minimum",)):
    """Elementwise min(x, y); where x == y the gradient is split evenly, where either is
    NaN (so is the result) both get it, as in PyTorch.

    forward: `min(x, y)` elementwise
    gradient: `g * ([x < y] + [x == y] / 2)` for x, `g * ([y < x] + [x == y] / 2)` for y
    """

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)
        ctx.save_for_backward(x, y)
        return np.minimum(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        share = (x < y) + 0.5 * (x == y)
        unordered = np.isnan(x) | np.isnan(y)  # a NaN result: both get g, as in PyTorch
        needs_x, needs_y = ctx.needs_input_grad
        return (g * (share + unordered) if needs_x else None), \
               (g * (1.0 - share) if needs_y else None)

    backward_graph = _steps


class Fmax(Function, elementwise=True, methods=("fmax",), functions=("fmax",)):
    """Elementwise max(x, y) ignoring NaN: the other value where one is NaN, NaN only
    where both are (NumPy's and PyTorch's fmax). Unlike `maximum`, a tie's gradient goes
    to x alone, and where both are NaN to x, as PyTorch's fmax. Integers stay integers.

    forward: `fmax(x, y)`
    gradient: `g * [x >= y or y is NaN]` for x, `g * [not (x >= y or y is NaN)]` for y
    """

    compare = staticmethod(np.greater_equal)
    fn = staticmethod(np.fmax)

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)
        ctx.save_for_backward(x, y)
        return type(ctx).fn(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        to_x = type(ctx).compare(x, y) | np.isnan(y) if y.dtype.kind == "f" else \
            type(ctx).compare(x, y)
        return (g * to_x if needs_x else None), (g * ~to_x if needs_y else None)

    backward_graph = _steps


class Fmin(Fmax, elementwise=True, methods=("fmin",), functions=("fmin",)):
    """Elementwise min(x, y) ignoring NaN: the other value where one is NaN, NaN only
    where both are (NumPy's and PyTorch's fmin). Unlike `minimum`, a tie's gradient goes
    to x alone, and where both are NaN to x, as PyTorch's fmin. Integers stay integers.

    forward: `fmin(x, y)`
    gradient: `g * [x <= y or y is NaN]` for x, `g * [not (x <= y or y is NaN)]` for y
    """

    compare = staticmethod(np.less_equal)
    fn = staticmethod(np.fmin)


class Copysign(Function, elementwise=True, methods=("copysign",), functions=("copysign",)):
    """|x| with the sign of y (-0.0 counts as negative), broadcast (NumPy's and PyTorch's
    copysign). y's gradient is 0; x's is out / x, taken as 0 where x == 0 and NaN at
    x = +-inf, as PyTorch's. Integers and bools give float64.

    forward: `copysign(x, y)`
    gradient: `g * out / x` for x (`0` where `x == 0`), `0` for y
    """

    def forward(ctx, x, y):
        x, y = _floats(x, y)
        out = np.copysign(x, y)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        dx = None
        if needs_x:
            with np.errstate(invalid="ignore"):
                dx = g * np.divide(out, x, out=np.zeros_like(out), where=x != 0)
        return dx, (np.zeros_like(g) if needs_y else None)

    def backward_graph(ctx, out, g):  # (out / x: a sign; y's gradient 0 where g is inf too)
        dx, dy = _steps(ctx, out, g)
        return dx, (None if dy is None else g.masked_fill(np.ones(g.shape, bool), 0.0))


class Sinc(Function, elementwise=True, methods=("sinc",), functions=("sinc",)):
    """The normalized sinc, sin(pi x) / (pi x), and 1 at 0 (NumPy's and PyTorch's), with
    gradient 0 at 0 (its limit, as PyTorch's). Near 0 (|pi x| < 1e-3) the gradient comes
    from its series, `-pi**2 * x / 3` and on: PyTorch's formula cancels there (in float64
    it loses digits below |x| ~ 1e-6 and is exactly 0 from ~1e-9 down). Integers give
    float64.

    forward: `sin(pi * x) / (pi * x)` (`1` at 0)
    gradient: `g * (cos(pi * x) - out) / x` (`0` at 0)
    """

    def forward(ctx, x):
        x = floating(x)
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore", over="ignore"):  # (pi * 1e308: inf, then NaN)
            return np.sinc(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        angle = np.pi * x
        with np.errstate(**_QUIET):
            slope = (angle * np.cos(angle) - np.sin(angle)) / (angle * x)
        series = np.pi * angle * (angle * angle / 30 - 1 / 3)  # (its error: angle**5 / 840)
        return g * np.where(np.abs(angle) < 1e-3, series, slope).astype(g.dtype, copy=False)

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        near = np.abs(np.pi * x._data) < 1e-3
        safe = Where.call(near, 1.0, x)  # (the slope's formula is 0 / 0 at 0)
        angle, far = np.pi * x, np.pi * safe
        with np.errstate(**_QUIET):
            slope = (far * far.cos() - far.sin()) / (far * safe)
        return g * Where.call(near, np.pi * angle * (angle * angle / 30 - 1 / 3), slope)


class Heaviside(Function, elementwise=True, methods=("heaviside",),
                functions=("heaviside",)):
    """The step function: 0 where x < 0, `values` where x == 0, 1 where x > 0, broadcast
    (PyTorch's and NumPy's heaviside; `values` may be a number, as in NumPy). A NaN x
    gives 0, as in PyTorch (NumPy's gives NaN). The result has x's and values' dtype
    (integers and bools stay so). PyTorch records no gradient and refuses backward; here
    x's gradient is 0 (a step, as floor's) and values' is g where x == 0.

    forward: `heaviside(x, values)`
    gradient: `0` for x, `g * [x == 0]` for values
    """

    def forward(ctx, x, values):
        x, values = same_dtype(x, values)
        ctx.save_for_backward(x == 0)
        dtype = np.result_type(x, values)
        return np.where(x == 0, values, x > 0).astype(dtype, copy=False)

    def backward(ctx, g):
        (at_zero,) = ctx.saved_tensors
        needs_x, needs_values = ctx.needs_input_grad
        return (np.zeros_like(g) if needs_x else None), \
               (g * at_zero if needs_values else None)

    def backward_graph(ctx, out, g):  # (x's gradient 0 even where g is inf, as backward's)
        (at_zero,) = ctx.saved_tensors
        needs_x, needs_values = ctx.needs_input_grad
        return (g.masked_fill(np.ones(g.shape, bool), 0.0) if needs_x else None), \
               (g * at_zero if needs_values else None)


class Xlog1py(Function, elementwise=True):
    """x * ln(1 + y), broadcast, and 0 where x == 0 unless y is NaN (PyTorch's
    special.xlog1py, as xlogy is to ln). At x == 0 and y <= -1 x's gradient is 0
    (PyTorch's choice, as xlogy's); y's there is x / (1 + y), NaN at y == -1.

    forward: `x * ln(1 + y)` (`0` where `x == 0`)
    gradient: `xlog1py(g, y)` for x (`0` where `x == 0` and `y <= -1`), `g * x / (1 + y)` for y
    """

    @classmethod
    def call(cls, input, other):  # noqa: A002  (PyTorch's argument names)
        return cls.apply(input, other)

    def forward(ctx, x, y):
        x, y = _floats(x, y)
        ctx.save_for_backward(x, y)
        return _xlog1py(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        with np.errstate(**_QUIET):
            dx = np.where((x == 0) & (y <= -1), 0, _xlog1py(g, y)).astype(g.dtype) \
                if needs_x else None
            return dx, (g * x / (1 + y) if needs_y else None)

    def backward_graph(ctx, out, g):
        (x, y), (needs_x, needs_y) = ctx.parents, ctx.needs_input_grad
        dx = Where.call((x._data == 0) & (y._data <= -1), 0.0, Xlog1py.apply(g, y)) \
            if needs_x else None
        return dx, (g * x / (1 + y) if needs_y else None)


def _xlog1py(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x * ln(1 + y), 0 where x == 0 unless y is NaN."""
    with np.errstate(**_QUIET):
        return np.where((x == 0) & ~np.isnan(y), 0, x * np.log1p(y)).astype(
            np.result_type(x, y), copy=False)

"""Elementwise binary ops: + - * / ** % //, where, masked_fill and nextafter (output element
k is made from input element k alone, broadcast; the first unary functions: elementary.py).

Each op's forward stands beside its backward, the local derivative times the gradient
arriving from the output: d(x*y)/dx = y, so `g * y`, and its `backward_graph`, the same
in Tensor ops for second derivatives (higher_order.py). An input that was broadcast gets
a gradient of the broadcast shape; the engine sums it back.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..errors import ShapeError
from .arguments import (Tensor, array_argument, broadcast, floating, integer_divisor,
                        no_gradient_into, number, same_dtype, to_tensor)

# ------------------------------------------------------------------ binary

def _scaled(op: str, x, y, alpha):
    """y * alpha for add's and sub's `alpha=` other than the default int 1 (their call
    passes y itself then); a float alpha with integer operands is refused, as PyTorch
    refuses it (their sum stays integer)."""
    number(op, "alpha", alpha)
    if isinstance(alpha, (float, np.floating)) and all(
            t.dtype.kind != "f" for t in Tensor.operands((x, y), op)):
        raise RuntimeError(f"{op}: alpha={alpha!r} is a float but the operands are integers "
                           f"(PyTorch refuses it too); give an int alpha or convert (x.float())")
    return (y if isinstance(y, (Tensor, int, float, np.number)) else np.asarray(y)) * alpha


class Add(Function, elementwise=True, methods=("add", "__add__"), reflected=("__radd__",),
          functions=("add",)):
    """x + y, broadcast; `add(x, y, alpha=a)` is x + a * y, as PyTorch's.

    forward: `x + y`
    gradient: `g` for x, `g` for y
    """

    @classmethod
    def call(cls, input, other, *, alpha=1):  # noqa: A002  (PyTorch's names)
        if type(alpha) is not int or alpha != 1:  # (the default 1: other as it is)
            other = _scaled(cls.name, input, other, alpha)
        return cls.apply(input, other)

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)
        return x + y

    def backward(ctx, g):
        return g, g

    def backward_graph(ctx, out, g):
        return g, g


class Sub(Function, elementwise=True, methods=("sub", "subtract", "__sub__"),
          reflected=("__rsub__",), functions=("subtract", "sub")):
    """x - y, broadcast; `sub(x, y, alpha=a)` is x - a * y, as PyTorch's.

    forward: `x - y`
    gradient: `g` for x, `-g` for y
    """

    @classmethod
    def call(cls, input, other, *, alpha=1):  # noqa: A002  (PyTorch's names)
        if type(alpha) is not int or alpha != 1:  # (the default 1: other as it is)
            other = _scaled(cls.name, input, other, alpha)
        return cls.apply(input, other)

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)
        return x - y

    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)

    def backward_graph(ctx, out, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function, elementwise=True, methods=("mul", "multiply", "__mul__"),
          reflected=("__rmul__",), functions=("multiply", "mul")):
    """x * y, broadcast.

    forward: `x * y`
    gradient: `g * y` for x, `g * x` for y
    """

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)
        needs_x, needs_y = ctx.needs_input_grad  # (only what backward reads: `h * 2` keeps
        ctx.save_for_backward(x if needs_y else None, y if needs_x else None)  # no h, and
        return x * y  # h may then change in place, as PyTorch's)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad  # a constant's gradient is never made
        return (g * y if needs_x else None), (g * x if needs_y else None)

    def backward_graph(ctx, out, g):
        x, y = ctx.parents
        needs_x, needs_y = ctx.needs_input_grad
        return (g * y if needs_x else None), (g * x if needs_y else None)


class Div(Function, elementwise=True, methods=("div", "divide", "__truediv__"),
          reflected=("__rtruediv__",), functions=("divide", "div")):
    """x / y, broadcast. PyTorch's `div(x, y, rounding_mode="floor")` is floor_divide,
    `"trunc"` the quotient rounded toward 0 (both steps: gradient 0); of integers, exact,
    and a divisor 0 is refused, as PyTorch's RuntimeError (ZeroDivisionError).

    forward: `x / y`
    gradient: `g / y` for x, `-g * x / y**2` for y
    """

    @classmethod
    def call(cls, input, other, *, rounding_mode=None):  # noqa: A002  (PyTorch's names)
        if rounding_mode is None:
            return cls.apply(input, other)
        if not isinstance(rounding_mode, str) or rounding_mode not in ("floor", "trunc"):
            raise (RuntimeError if isinstance(rounding_mode, str) else TypeError)(
                f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r:.40}")
        x, y = Tensor.operands((input, other), "div")
        if x.dtype.kind == "f" or y.dtype.kind == "f":
            return FloorDivide.apply(x, y) if rounding_mode == "floor" else cls.apply(x, y).trunc()
        if x.dtype == y.dtype == bool:  # (PyTorch's NotImplementedError, a RuntimeError)
            raise NotImplementedError(f"div: rounding_mode={rounding_mode!r} divides numbers, "
                                      f"got two bool tensors; convert one first (.long())")
        # integers: checked once here (naming div and the mode), then divided exactly
        integer_divisor("div", x._data, y._data, f" (rounding_mode={rounding_mode!r})")
        broadcast("div", x, y)
        a, b = (v._data.astype(np.result_type(x._data, y._data)) for v in (x, y))
        # (np.asarray: NumPy's ufuncs give a scalar, not an array, for 0-d operands)
        if rounding_mode == "floor":
            return Tensor.from_op(np.asarray(np.floor_divide(a, b)), None)
        return Tensor.from_op(np.asarray(np.abs(a) // np.abs(b) * np.sign(a) * np.sign(b)), None)

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)
        if x.dtype.kind != "f":  # (integers: a true quotient in the default float, PyTorch's)
            x, y = floating(x), floating(y)
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)  # (as Mul's)
        return x / y

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        if needs_y:  # (x / y) / y, PyTorch's: no y * y to overflow, and at y = 0 or inf
            dy = -g * ((x / y) / y)  # its derivative meets no 0 * inf (y * y's 2y)
        return (g / y if needs_x else None), (dy if needs_y else None)

    def backward_graph(ctx, out, g):
        x, y = ctx.parents
        needs_x, needs_y = ctx.needs_input_grad
        return (g / y if needs_x else None), (-g * x / (y * y) if needs_y else None)


class Pow(Function, elementwise=True, methods=("pow", "__pow__"), reflected=("__rpow__",),
          functions=("power", "pow")):
    """x ** y, broadcast. At x = 0 PyTorch's conventions: d/dx x**0 = 0, d/dy 0**y = 0 (y >= 0).
    Two bool operands give NumPy's int8 powers, on purpose, where PyTorch refuses bools
    (api-guide, The dtype rule; a check here would cost every x ** 2 its time).

    forward: `x ** y`
    gradient: `g * y * x**(y - 1)` for x, `g * out * log(x)` for y
    """

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)
        out = x ** y
        ctx.save_for_backward(x, y, out if ctx.needs_input_grad[1] else None)
        return out

    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        dx = dy = None
        if needs_x:  # y * x**(y-1), taken as 0 where y == 0, even at x == 0 (not 0 * inf)
            if y.ndim == 0:
                # Optimization (benchmarks/README.md, "pow"): one exponent for all, as in
                # the squared error's ** 2, needs no np.where (tiny step 1.1x faster)
                dx = g * (y * x ** (y - 1)) if y != 0 else np.zeros_like(g)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    dx = g * np.where(y == 0, 0, y * x ** (y - 1))
        if needs_y:  # x**y * log(x), taken as 0 where x == 0 and y >= 0 (not 0 * -inf)
            with np.errstate(divide="ignore", invalid="ignore"):
                dy = g * np.where((x == 0) & (y >= 0), 0, out * np.log(x))
        return dx, dy

    def backward_graph(ctx, out, g):
        x, y = ctx.parents
        needs_x, needs_y = ctx.needs_input_grad
        dx = dy = None
        if needs_x:  # y * x**(y - 1); where y == 0 and x is 0 or NaN a constant 0, as
            # backward's mask (x = 1 there: no 0 * inf, no NaN); elsewhere at y == 0 the
            # formula, 0 in value, keeps its derivative in y, x**(y - 1)
            zero = np.broadcast_to((y._data == 0) & ((x._data == 0) | np.isnan(x._data)),
                                   out.shape)
            dx = g * y * (Where.call(zero, 1.0, x) if zero.any() else x) ** (y - 1)
            dx = Where.call(zero, 0.0, dx) if zero.any() else dx
        if needs_y:  # x**y * log(x), 0 where x == 0 and y >= 0 (log 1 there: not 0 * -inf)
            zero = (x._data == 0) & (y._data >= 0)
            dy = g * out * (Where.call(zero, 1.0, x) if zero.any() else x).log()
        return dx, dy


class Remainder(Function, elementwise=True, methods=("remainder", "__mod__"),
                reflected=("__rmod__",), functions=("remainder", "mod")):
    """x mod y with the sign of y (Python's %, NumPy's mod, PyTorch's remainder), broadcast.

    forward: `x - y * floor(x / y)`
    gradient: `g` for x, `-g * floor(x / y)` for y
    """

    def forward(ctx, x, y):
        x, y = integer_divisor(ctx.name, *same_dtype(x, y))
        ctx.save_for_backward(x, y)
        return np.remainder(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if not ctx.needs_input_grad[1]:  # (a constant divisor's gradient is never made)
            return g, None
        with np.errstate(divide="ignore", invalid="ignore"):
            return g, -g * np.floor(x / y)

    def backward_graph(ctx, out, g):  # (floor(x / y) is a step: a constant factor)
        x, y = ctx.parents
        with np.errstate(divide="ignore", invalid="ignore"):
            return g, (-g * np.floor(x._data / y._data) if ctx.needs_input_grad[1] else None)


class FloorDivide(Function, name="floor_divide", elementwise=True,
                  methods=("floor_divide", "__floordiv__"),
                  reflected=("__rfloordiv__",), functions=("floor_divide",)):
    """x // y: the whole number of times y fits in x, rounded down (Python's //, NumPy's
    floor_divide; `x == (x // y) * y + x % y`). A step function: gradient 0 wherever it
    exists, as floor's (PyTorch's has none and refuses backward).

    forward: `floor_divide(x, y)`
    gradient: `0` for x and y
    """

    def forward(ctx, x, y):
        return np.floor_divide(*integer_divisor(ctx.name, *same_dtype(x, y)))

    def backward(ctx, g):
        return np.zeros_like(g), np.zeros_like(g)

    def backward_graph(ctx, out, g):
        return g * 0, g * 0


_INTEGERS = (int, np.integer, np.bool_)  # (a Python bool is an int)


class Where(Function, elementwise=True, functions=("where",)):
    """x where `condition` holds, else y (the condition is not differentiated). With the
    condition alone, NumPy's and PyTorch's `where(condition)`: the indices where it holds,
    one int64 tensor per axis, as `nonzero(condition, as_tuple=True)` (no gradient).

    forward: `where(condition, x, y)`
    gradient: `where(condition, g, 0)` for x, `where(condition, 0, g)` for y
    """

    @classmethod
    def call(cls, condition, x=None, y=None):
        condition = array_argument("where", "the condition", condition, "a boolean")
        if x is None and y is None:
            if condition.dtype.kind not in "biuf":  # (None, a string: nothing holds or not)
                raise TypeError(f"where: the condition must be a tensor of booleans or numbers, "
                                f"got {str(condition)[:40]!r} of dtype {condition.dtype}")
            return tuple(Tensor.from_op(axis.astype(np.int64), None)
                         for axis in np.nonzero(np.atleast_1d(condition)))
        if x is None or y is None:
            raise TypeError("where: give both x and y (where(condition, x, y)), or neither "
                            "for the indices where the condition holds")
        if condition.dtype != bool:
            raise TypeError(f"where: the condition must be boolean (a comparison such as x > 0), "
                            f"got dtype {condition.dtype}")
        if isinstance(x, _INTEGERS) and isinstance(y, _INTEGERS):  # (ints or bools, NumPy's too)
            # int64 (bool), as PyTorch's and NumPy's: not the float numbers alone make
            flags = isinstance(x, (bool, np.bool_)) and isinstance(y, (bool, np.bool_))
            for v in (x, y):
                if not -2 ** 63 <= int(v) < 2 ** 63:
                    raise OverflowError(f"where: {v} does not fit int64; give it as a float "
                                        f"({float(v)!r})")
            x, y = (Tensor.from_op(np.array(v, bool if flags else np.int64), None) for v in (x, y))
        return cls.apply(x, y, condition=condition)

    def forward(ctx, x, y, *, condition):
        x, y = same_dtype(x, y)
        ctx.save_for_backward(condition)
        return np.where(condition, x, y)

    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        zero = np.zeros((), dtype=g.dtype)
        return np.where(condition, g, zero), np.where(condition, zero, g)

    def backward_graph(ctx, out, g):
        (condition,) = ctx.saved_tensors
        return Where.call(condition, g, 0.0), Where.call(condition, 0.0, g)


class MaskedFill(Where, name="masked_fill", elementwise=True, methods=("masked_fill",),
                 functions=("masked_fill",)):
    """`value` where `mask` holds, else x (PyTorch's masked_fill; the mask and x broadcast
    together: `masked_fill_` keeps x's shape). `value` is a number or a one-element tensor,
    which gets the sum of g over the filled places.

    forward: `where(mask, value, x)`
    gradient: `where(mask, g, 0)` for value, `where(mask, 0, g)` for x
    """

    @classmethod
    def call(cls, x, mask, value):
        x = to_tensor(x)
        mask = array_argument(cls.name, "the mask", mask, "a boolean")
        if mask.dtype != bool:
            raise TypeError(f"masked_fill: the mask must be boolean (a comparison such as "
                            f"x > 0), got dtype {mask.dtype}")
        broadcast(cls.name, mask, x)  # (the mask of shape ... and x's ...: one line)
        if not hasattr(value, "_data"):
            value = number(cls.name, "value", value)
        elif value.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a number or a tensor of one element "
                             f"(0 axes), got shape {value.shape}")
        no_gradient_into(cls.name, x.dtype, value)
        return cls.apply(value, x, condition=mask)

    def forward(ctx, value, x, *, condition):  # x's dtype kept, as PyTorch's (an int stays one)
        return Where.forward(ctx, value.astype(x.dtype, copy=False), x, condition=condition)


class NextAfter(Function, name="nextafter", elementwise=True, methods=("nextafter",),
                functions=("nextafter",)):
    """The next float after each of x's values towards y's, x itself where x == y,
    broadcast (NumPy's and PyTorch's nextafter). Float dtypes only: two integer or bool
    operands are refused, as PyTorch refuses them; a float with an integer gives the float's
    dtype. The result is x to within one step, so x's gradient is g, as PyTorch's, except
    where x == y (0: the result is y there); y's is 0.

    forward: `nextafter(x, y)`
    gradient: `g * [x != y]` for x, `0` for y
    """

    @classmethod
    def call(cls, input, other):  # noqa: A002  (PyTorch's names)
        return cls.apply(input, other)

    def forward(ctx, x, y):
        if x.dtype.kind != "f" and y.dtype.kind != "f":
            raise TypeError(f"nextafter: input has dtype {x.dtype} and other {y.dtype}; the "
                            f"next float is defined for floats only (convert with "
                            f".to(tg.float64))")
        x, y = same_dtype(x, y)
        ctx.save_for_backward(x != y if ctx.needs_input_grad[0] else None)
        return np.asarray(np.nextafter(x, y))  # (0-d operands: NumPy's scalar, as an array)

    def backward(ctx, g):
        (moved,) = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        return (np.where(moved, g, np.zeros((), g.dtype)) if needs_x else None), \
               (np.zeros_like(g) if needs_y else None)

    def backward_graph(ctx, out, g):  # (y's gradient 0 even where g is inf, as backward's)
        (moved,) = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        return (Where.call(moved, g, 0.0) if needs_x else None), \
               (g.masked_fill(np.ones(g.shape, bool), 0.0) if needs_y else None)

"""The unary functions the documents' networks are made of: neg, exp, log, sqrt, abs, clip
(clamp), tanh, sigmoid, relu, leaky_relu (the rest of the unary family: unary.py,
activations.py).

Each op's forward stands beside its backward, the local derivative times the gradient
arriving from the output (d tanh(x)/dx = 1 - tanh(x)**2, so `g * (1 - out**2)`), and
its `backward_graph`, the same in Tensor ops for second derivatives (higher_order.py).
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from .arguments import floating, number, same_dtype, to_tensor


class Neg(Function, elementwise=True, methods=("neg", "negative", "__neg__"),
          functions=("negative", "neg")):
    """-x.

    forward: `-x`
    gradient: `-g`
    """

    def forward(ctx, x):
        if x.dtype == bool:  # (NumPy's refusal would name NumPy and its operators)
            raise TypeError(f"{ctx.name}: the negative of a bool tensor (shape {x.shape}) is "
                            f"not defined, as in PyTorch; flip a mask with ~x or "
                            f"tg.logical_not(x), or convert it first (x.to(tg.int64))")
        return -x

    def backward(ctx, g):
        return -g

    def backward_graph(ctx, out, g):
        return -g


class Exp(Function, elementwise=True, methods=("exp",), functions=("exp",)):
    """e**x.

    forward: `e**x`
    gradient: `g * out`
    """

    def forward(ctx, x):
        out = np.exp(floating(x))  # (bool and small integers: float64, not NumPy's float16)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out

    def backward_graph(ctx, out, g):
        return g * out


class Log(Function, elementwise=True, methods=("log",), functions=("log",)):
    """Natural logarithm.

    forward: `ln(x)`
    gradient: `g / x`
    """

    def forward(ctx, x):
        x = floating(x)
        ctx.save_for_backward(x)
        return np.log(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x

    def backward_graph(ctx, out, g):
        return g / ctx.parents[0]


class Sqrt(Function, elementwise=True, methods=("sqrt",), functions=("sqrt",)):
    """Square root.

    forward: `sqrt(x)`
    gradient: `g / (2 * out)`
    """

    def forward(ctx, x):
        out = np.sqrt(floating(x))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # (at 0: inf, or 0/0 NaN, as
            return g / (2 * out)  # PyTorch's, without NumPy's warning)

    def backward_graph(ctx, out, g):
        return g / (2 * out)


class Abs(Function, elementwise=True, methods=("abs", "__abs__"),
          functions=("abs", "absolute", "fabs")):
    """|x|, gradient sign(x) (0 at 0).

    forward: `abs(x)`
    gradient: `g * sign(x)`
    """

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.sign(x)

    def backward_graph(ctx, out, g):  # (sign(x) is a step: a constant factor)
        return g * np.sign(ctx.parents[0]._data)


class Clip(Function, elementwise=True, methods=("clip", "clamp"), functions=("clip", "clamp")):
    """x limited to [min, max]: numbers, or tensors broadcast with x (NumPy's clip,
    PyTorch's clamp; where min > max, max). The gradient passes to x where
    min <= x <= max, and to a tensor bound where x was clamped to it (PyTorch's rule; max
    also wherever max < min).

    forward: `clip(x, min, max)`
    gradient: `g * [min <= x <= max]` for x, `g * [x < min < max]` for min, `g * [x > max]` for max
    """

    @classmethod
    def call(cls, x, min=None, max=None):  # noqa: A002  (NumPy's and PyTorch's names)
        if min is None and max is None:
            raise ValueError("clip: give min, max or both")
        numbers, tensors, names = {}, [], []
        for name, bound in (("min", min), ("max", max)):
            if bound is None or isinstance(bound, (int, float, np.number)):
                numbers[name] = bound
            elif hasattr(bound, "__array__") or isinstance(bound, (list, tuple)):
                tensors.append(to_tensor(bound))  # (a Tensor's gradient: where x is clamped)
                names.append(name)
            else:
                raise TypeError(f"clip (clamp): {name} must be a number or a tensor, got "
                                f"{type(bound).__name__} {str(bound)[:40]!r}")
        return cls.apply(x, *tensors, bounds=tuple(names), **numbers)

    def forward(ctx, x, *tensors, bounds=(), min=None, max=None):  # noqa: A002
        for bound in tensors:  # one dtype: x's with each bound's in turn (as x + bound)
            x, bound = same_dtype(x, bound)
            x = x.astype(np.promote_types(x.dtype, bound.dtype), copy=False)
        given = dict(zip(bounds, (b.astype(x.dtype, copy=False) for b in tensors)))
        if x.dtype.kind == "f":  # np.float64(-6.9) as a bound keeps float32 x float32
            min, max = (b if b is None else x.dtype.type(b) for b in (min, max))
        elif any(isinstance(b, (float, np.floating)) for b in (min, max)):
            x = floating(x)  # (integers clipped to 0.5: the default float, as PyTorch's)
        low, high = given.get("min", min), given.get("max", max)
        ctx.save_for_backward(x, low, high)
        ctx.given = bounds
        return np.clip(x, low, high)  # (min(max(x, min), max): max where min > max)

    def backward(ctx, g):
        x, low, high = ctx.saved_tensors
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside = inside & (x >= low)
        if high is not None:
            inside = inside & (x <= high)
        grads = [g * inside]
        for name in ctx.given:  # a tensor bound: where x was clamped to it
            if name == "min":
                hit = (x < low) if high is None else (x < low) & (low < high)
            else:
                hit = (x > high) if low is None else (x > high) | (high < low)
            grads.append(g * hit)
        return tuple(grads) if ctx.given else grads[0]

    def backward_graph(ctx, out, g):  # (the masks are steps: constant factors, backward's of 1)
        masks = type(ctx).backward(ctx, np.ones(out.shape, g.dtype))
        return tuple(g * mask for mask in masks) if ctx.given else g * masks


class Tanh(Function, elementwise=True, methods=("tanh",), functions=("tanh",)):
    """Hyperbolic tangent.

    forward: `tanh(x)`
    gradient: `g * (1 - out**2)`
    """

    def forward(ctx, x):
        out = np.tanh(floating(x))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)

    def backward_graph(ctx, out, g):
        return g * (1 - out * out)


class Sigmoid(Function, elementwise=True, methods=("sigmoid",), functions=("sigmoid",)):
    """1 / (1 + e**-x), computed without overflow for large |x|.

    forward: `1 / (1 + e**-x)`
    gradient: `g * out * (1 - out)`
    """

    def forward(ctx, x):
        out = sigmoid(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)

    def backward_graph(ctx, out, g):
        return g * out * (1 - out)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e**-x) in x's float dtype (float64 for integers and bool), without overflow."""
    x = floating(x)
    e = np.exp(-np.abs(x))  # never overflows: 1/(1+e) for x >= 0, e/(1+e) for x < 0
    return (np.where(x >= 0, 1, e) / (1 + e)).astype(np.result_type(x, 1.0), copy=False)


class Relu(Function, elementwise=True, methods=("relu",), functions=("relu",)):
    """max(x, 0) (gradient 0 at 0; g at a NaN, as PyTorch's: it asks out <= 0).

    forward: `max(x, 0)`
    gradient: `g * [not out <= 0]` (the same as `[x > 0]`, but at a NaN)
    """

    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)  # (its output, as PyTorch's: x may change in place)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * ~(out <= 0)

    def backward_graph(ctx, out, g):
        return g * ~(out._data <= 0)


class LeakyRelu(Function, name="leaky_relu", elementwise=True, methods=("leaky_relu",),
                functions=("leaky_relu",)):
    """x where x > 0, else negative_slope * x.

    forward: `x` where `x > 0`, else `negative_slope * x`
    gradient: `g` where `x > 0`, else `g * negative_slope`
    """

    @classmethod
    def call(cls, x, negative_slope=0.01):
        return cls.apply(x, negative_slope=number(cls.name, "negative_slope", negative_slope))

    def forward(ctx, x, *, negative_slope=0.01):
        x = floating(x)  # (integers and bools: the default float)
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.where(x > 0, 1.0, ctx.negative_slope).astype(g.dtype, copy=False)

    def backward_graph(ctx, out, g):
        return g * np.where(ctx.parents[0]._data > 0, 1.0, ctx.negative_slope)

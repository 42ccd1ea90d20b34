"""Activation functions beyond relu, sigmoid and tanh, and the smooth maximum logaddexp.

Each is computed without overflow for large |x| and has its own derivative, and its
`backward_graph`, the same in Tensor ops for second derivatives (higher_order.py). At a kink
the gradient follows PyTorch: hardtanh and relu6 pass none at their bounds; so does the
second derivative: 0 at elu's and celu's 0 (the first derivative there: the negative
side's), at hardswish's -3 and 3, as PyTorch's.
"""
from __future__ import annotations

import math

import numpy as np

from ..engine import Function
from .arguments import floating, number
from .elementary import sigmoid
from .elementwise import Where
from .pointwise import _floats, _steps

_erf = np.frompyfunc(math.erf, 1, 1)
SQRT_2_PI = math.sqrt(2.0 / math.pi)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise (the C library's, through math.erf)."""
    return np.asarray(_erf(x), dtype=np.result_type(x, 1.0))


def _sides(x):
    """[not x <= 0] (x > 0, and a NaN: PyTorch's side for it), and min(x, 0) in Tensor ops
    with derivative 0 at 0 (PyTorch's second derivative of elu and celu there: its mask
    x < 0) and 0 at a NaN (on the positive side, no e**NaN to differentiate): for their
    backward_graph."""
    return ~(x._data <= 0), Where.call(~(x._data < 0), 0.0, x)


class Softplus(Function, elementwise=True, methods=("softplus",), functions=("softplus",)):
    """ln(1 + e**(beta x)) / beta, a smooth relu (PyTorch's softplus, beta=1 by default).

    forward: `ln(1 + e**(beta * x)) / beta`
    gradient: `g * sigmoid(beta * x)`
    """

    @classmethod
    def call(cls, x, beta=1.0):
        beta = number("softplus", "beta", beta)
        if beta <= 0:
            raise ValueError(f"softplus: beta must be positive, got {beta}")
        return cls.apply(x, beta=beta)

    def forward(ctx, x, *, beta=1.0):
        x = floating(x)  # (integers and bools: the default float, as for the ops below)
        ctx.save_for_backward(x)
        ctx.beta = beta
        return np.logaddexp(0, beta * x) / beta

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sigmoid(ctx.beta * x)

    def backward_graph(ctx, out, g):
        return g * (ctx.beta * ctx.parents[0]).sigmoid()


class Elu(Function, elementwise=True, methods=("elu",), functions=("elu",)):
    """x where x > 0, else alpha * (e**x - 1).

    forward: `x` where `x > 0`, else `alpha * (e**x - 1)`
    gradient: `g` where `x > 0`, else `g * alpha * e**x`
    """

    @classmethod
    def call(cls, x, alpha=1.0):
        return cls.apply(x, alpha=number("elu", "alpha", alpha))

    def forward(ctx, x, *, alpha=1.0):
        x = floating(x)  # (bool and small integers: float64, not NumPy's float16)
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.where(x <= 0, ctx.alpha * np.exp(np.minimum(x, 0)), 1.0)  # (NaN: 1)

    def backward_graph(ctx, out, g):
        positive, negative = _sides(ctx.parents[0])
        return g * Where.call(positive, 1.0, ctx.alpha * negative.exp())


class Gelu(Function, elementwise=True, methods=("gelu",), functions=("gelu",)):
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' as in PyTorch.

    forward: `x * (1 + erf(x / sqrt(2))) / 2`
    gradient: `g * (Phi(x) + x * e**(-x**2 / 2) / sqrt(2 pi))`
    """

    @classmethod
    def call(cls, x, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return cls.apply(x, approximate=approximate)

    def forward(ctx, x, *, approximate="none"):
        x = floating(x)
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(SQRT_2_PI * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1 + erf(x / math.sqrt(2.0)))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            inner = SQRT_2_PI * (x + 0.044715 * x ** 3)
            t = np.tanh(inner)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_PI *
                        (1 + 3 * 0.044715 * x * x))
        cdf = 0.5 * (1 + erf(x / math.sqrt(2.0)))
        return g * (cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        if ctx.approximate == "tanh":
            t = (SQRT_2_PI * (x + 0.044715 * x ** 3)).tanh()
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_PI *
                        (1 + 3 * 0.044715 * x * x))
        cdf = 0.5 * (1 + (x / math.sqrt(2.0)).erf())
        return g * (cdf + x * (-0.5 * x * x).exp() / math.sqrt(2 * math.pi))


class Silu(Function, elementwise=True, methods=("silu", "swish"), functions=("silu", "swish")):
    """x * sigmoid(x) (also called swish).

    forward: `x * sigmoid(x)`
    gradient: `g * s * (1 + x * (1 - s))`, `s = sigmoid(x)`
    """

    def forward(ctx, x):
        x = floating(x)
        s = sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s * (1 + x * (1 - s))

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        s = x.sigmoid()
        return g * s * (1 + x * (1 - s))


class Hardtanh(Function, elementwise=True, methods=("hardtanh",), functions=("hardtanh",)):
    """x limited to [min_val, max_val] (-1, 1 by default); no gradient at or beyond the bounds.
    Integers stay integers, the bounds cut toward 0 (PyTorch's: hardtanh(x, -1.5, 1.5) of
    int64 -3 is -1).

    forward: `clip(x, min_val, max_val)`
    gradient: `g * [not (x <= min_val or x >= max_val)]` (g at a NaN, as PyTorch's)
    """

    @classmethod
    def call(cls, x, min_val=-1.0, max_val=1.0):
        low, high = number(cls.name, "min_val", min_val), number(cls.name, "max_val", max_val)
        if low > high:
            raise ValueError(f"{cls.name}: min_val {low} is above max_val {high}")
        return cls.apply(x, min_val=low, max_val=high)

    def forward(ctx, x, *, min_val=-1.0, max_val=1.0):
        ctx.save_for_backward(x)
        ctx.bounds = (min_val, max_val)
        if x.dtype.kind in "iu":  # an integer stays one (PyTorch's): whole-number bounds,
            info = np.iinfo(x.dtype)  # cut toward 0 and into the dtype's range
            min_val, max_val = (int(max(min(np.trunc(b), info.max), info.min))
                                for b in (min_val, max_val))
        elif x.dtype == bool:
            x = floating(x)
        return np.clip(x, min_val, max_val)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        low, high = ctx.bounds
        return g * ~((x <= low) | (x >= high))  # (a NaN passes g, as PyTorch's)

    backward_graph = _steps  # (the mask: a step)


class Relu6(Hardtanh, elementwise=True, methods=("relu6",), functions=("relu6",)):
    """min(max(x, 0), 6); no gradient at 0 and 6 (PyTorch's relu6).

    forward: `min(max(x, 0), 6)`
    gradient: `g * [0 < x < 6]`
    """

    @classmethod
    def call(cls, x):
        return cls.apply(x, min_val=0.0, max_val=6.0)


def _share(d: np.ndarray, power) -> np.ndarray:
    """1 / (1 + power(-d)), x's share of logaddexp's gradient (d = x - y; power: e** or 2**),
    without overflow: power(-|d|) is at most 1."""
    e = power(-np.abs(d))
    return np.where(d >= 0, 1, e) / (1 + e)


class Logaddexp(Function, elementwise=True, methods=("logaddexp",), functions=("logaddexp",)):
    """ln(e**x + e**y) without overflow, broadcast.

    forward: `ln(e**x + e**y)`
    gradient: `g * sigmoid(x - y)` for x, `g * sigmoid(y - x)` for y
    """

    fn, power, scale = staticmethod(np.logaddexp), staticmethod(np.exp), 1.0

    def forward(ctx, x, y):
        x, y = _floats(x, y)  # (PyTorch's promotion: float32 beside int64 or 0-d float64)
        ctx.save_for_backward(x, y)
        return type(ctx).fn(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        # from the difference, not from out: x - out loses it where out is rounded (1e16)
        # and is inf - inf at x = inf; both infinite and alike: NaN, as PyTorch's
        with np.errstate(invalid="ignore"):
            d = x - y
        return g * _share(d, type(ctx).power), g * _share(-d, type(ctx).power)

    def backward_graph(ctx, out, g):  # (_share is sigmoid(d * scale), without overflow too)
        x, y = ctx.parents
        with np.errstate(invalid="ignore"):
            d = (x - y) * type(ctx).scale
        return g * d.sigmoid(), g * (-d).sigmoid()


class Logaddexp2(Logaddexp, elementwise=True, methods=("logaddexp2",),
                 functions=("logaddexp2",)):
    """log2(2**x + 2**y) without overflow, broadcast.

    forward: `log2(2**x + 2**y)`
    gradient: `g / (1 + 2**(y - x))` for x, `g / (1 + 2**(x - y))` for y
    """

    fn, power, scale = staticmethod(np.logaddexp2), staticmethod(np.exp2), math.log(2.0)


class Celu(Function, elementwise=True, methods=("celu",), functions=("celu",)):
    """max(0, x) + min(0, alpha * (e**(x / alpha) - 1)) (PyTorch's celu, alpha=1 by default).

    forward: `x` where `x > 0`, else `alpha * (e**(x / alpha) - 1)`
    gradient: `g` where `x > 0`, else `g * e**(x / alpha)`
    """

    @classmethod
    def call(cls, x, alpha=1.0):
        alpha = number("celu", "alpha", alpha)
        if alpha == 0:
            raise ValueError("celu: alpha must not be 0")
        return cls.apply(x, alpha=alpha)

    def forward(ctx, x, *, alpha=1.0):
        x = floating(x)
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.where(x <= 0, np.exp(np.minimum(x, 0) / ctx.alpha), 1.0)  # (NaN: 1)

    def backward_graph(ctx, out, g):
        positive, negative = _sides(ctx.parents[0])
        return g * Where.call(positive, 1.0, (negative / ctx.alpha).exp())


class Softsign(Function, elementwise=True, methods=("softsign",), functions=("softsign",)):
    """x / (1 + |x|).

    forward: `x / (1 + abs(x))`
    gradient: `g / (1 + abs(x))**2`
    """

    def forward(ctx, x):
        x = floating(x)
        ctx.save_for_backward(x)
        return x / (1 + np.abs(x))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + np.abs(x)) ** 2

    def backward_graph(ctx, out, g):
        return g / (1 + ctx.parents[0].abs()) ** 2


class Mish(Function, elementwise=True, methods=("mish",), functions=("mish",)):
    """x * tanh(softplus(x)).

    forward: `x * tanh(ln(1 + e**x))`
    gradient: `g * (t + x * sigmoid(x) * (1 - t**2))`, `t = tanh(ln(1 + e**x))`
    """

    def forward(ctx, x):
        x = floating(x)
        t = np.tanh(np.logaddexp(0, x))
        ctx.save_for_backward(x, t)
        return x * t

    def backward(ctx, g):
        x, t = ctx.saved_tensors
        return g * (t + x * sigmoid(x) * (1 - t * t))

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        t = x.softplus().tanh()
        return g * (t + x * x.sigmoid() * (1 - t * t))


class Hardswish(Function, elementwise=True, methods=("hardswish",), functions=("hardswish",)):
    """x * relu6(x + 3) / 6 (PyTorch's hardswish).

    forward: `x * min(max(x + 3, 0), 6) / 6`
    gradient: `0` where `x <= -3`, `g` where `x >= 3`, else `g * (2 x + 3) / 6`
    """

    def forward(ctx, x):
        x = floating(x)
        ctx.save_for_backward(x)
        return x * np.clip(x + 3, 0, 6) / 6

    def backward(ctx, g):  # PyTorch's values at the kinks: 0 at -3, 1 at 3
        (x,) = ctx.saved_tensors
        return g * np.where(x <= -3, 0.0, np.where(x < 3, (2 * x + 3) / 6, 1.0))  # (NaN: 1)

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        return g * Where.call(x._data <= -3, 0.0, Where.call(x._data < 3, (2 * x + 3) / 6, 1.0))


class QuickGelu(Function, elementwise=True, name="quick_gelu", methods=("quick_gelu",),
                functions=("quick_gelu",)):
    """x * sigmoid(1.702 x), the sigmoid approximation of gelu (CLIP's, tinygrad's).

    forward: `x * sigmoid(1.702 * x)`
    gradient: `g * s * (1 + 1.702 * x * (1 - s))`, `s = sigmoid(1.702 * x)`
    """

    def forward(ctx, x):
        x = floating(x)
        s = sigmoid(1.702 * x)
        ctx.save_for_backward(x, s)
        return x * s

    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s * (1 + 1.702 * x * (1 - s))

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        s = (1.702 * x).sigmoid()
        return g * s * (1 + 1.702 * x * (1 - s))

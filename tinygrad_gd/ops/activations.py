"""Activation functions beyond relu, sigmoid and tanh, and the smooth maximum logaddexp.

Each is computed without overflow for large |x| and has its own derivative. At a kink
the gradient follows PyTorch: hardtanh and relu6 pass none at their bounds.
"""
from __future__ import annotations

import math

import numpy as np

from ..engine import Function

_erf = np.frompyfunc(math.erf, 1, 1)
SQRT_2_PI = math.sqrt(2.0 / math.pi)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise (the C library's, through math.erf)."""
    return np.asarray(_erf(x), dtype=np.result_type(x, 1.0))


def sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return (np.where(x >= 0, 1, e) / (1 + e)).astype(np.result_type(x, 1.0), copy=False)


def _number(op: str, name: str, value: object) -> float:
    if not isinstance(value, (int, float, np.number)) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


class Softplus(Function, elementwise=True, methods=("softplus",), functions=("softplus",)):
    """ln(1 + e**(beta x)) / beta, a smooth relu (PyTorch's softplus, beta=1 by default).

    forward: `ln(1 + e**(beta * x)) / beta`
    gradient: `g * sigmoid(beta * x)`
    """

    @classmethod
    def call(cls, x, beta=1.0):
        beta = _number("softplus", "beta", beta)
        if beta <= 0:
            raise ValueError(f"softplus: beta must be positive, got {beta}")
        return cls.apply(x, beta=beta)

    def forward(ctx, x, *, beta=1.0):
        ctx.save_for_backward(x)
        ctx.beta = beta
        return np.logaddexp(0, beta * x) / beta

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sigmoid(ctx.beta * x)


class Elu(Function, elementwise=True, methods=("elu",), functions=("elu",)):
    """x where x > 0, else alpha * (e**x - 1).

    forward: `x` where `x > 0`, else `alpha * (e**x - 1)`
    gradient: `g` where `x > 0`, else `g * alpha * e**x`
    """

    @classmethod
    def call(cls, x, alpha=1.0):
        return cls.apply(x, alpha=_number("elu", "alpha", alpha))

    def forward(ctx, x, *, alpha=1.0):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.where(x > 0, 1.0, ctx.alpha * np.exp(np.minimum(x, 0)))


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


class Silu(Function, elementwise=True, methods=("silu", "swish"), functions=("silu", "swish")):
    """x * sigmoid(x) (also called swish).

    forward: `x * sigmoid(x)`
    gradient: `g * s * (1 + x * (1 - s))`, `s = sigmoid(x)`
    """

    def forward(ctx, x):
        s = sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s * (1 + x * (1 - s))


class Hardtanh(Function, elementwise=True, methods=("hardtanh",), functions=("hardtanh",)):
    """x limited to [min_val, max_val] (-1, 1 by default); no gradient at or beyond the bounds.

    forward: `clip(x, min_val, max_val)`
    gradient: `g * [min_val < x < max_val]`
    """

    @classmethod
    def call(cls, x, min_val=-1.0, max_val=1.0):
        low, high = _number(cls.name, "min_val", min_val), _number(cls.name, "max_val", max_val)
        if low > high:
            raise ValueError(f"{cls.name}: min_val {low} is above max_val {high}")
        return cls.apply(x, min_val=low, max_val=high)

    def forward(ctx, x, *, min_val=-1.0, max_val=1.0):
        ctx.save_for_backward(x)
        ctx.bounds = (min_val, max_val)
        return np.clip(x, min_val, max_val)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        low, high = ctx.bounds
        return g * ((x > low) & (x < high))


class Relu6(Hardtanh, elementwise=True, methods=("relu6",), functions=("relu6",)):
    """min(max(x, 0), 6); no gradient at 0 and 6 (PyTorch's relu6).

    forward: `min(max(x, 0), 6)`
    gradient: `g * [0 < x < 6]`
    """

    @classmethod
    def call(cls, x):
        return cls.apply(x, min_val=0.0, max_val=6.0)


class Logaddexp(Function, elementwise=True, methods=("logaddexp",), functions=("logaddexp",)):
    """ln(e**x + e**y) without overflow, broadcast.

    forward: `ln(e**x + e**y)`
    gradient: `g * e**(x - out)` for x, `g * e**(y - out)` for y
    """

    def forward(ctx, x, y):
        out = np.logaddexp(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        with np.errstate(invalid="ignore"):  # both -inf: NaN, as PyTorch's
            return g * np.exp(x - out), g * np.exp(y - out)

"""Softmax, log-softmax and the fused losses: cross-entropy and binary cross-entropy.

Softmax, log-softmax and cross-entropy are computed from x - max(x), so exp never
overflows. Cross-entropy is one node whose gradient is the textbook one: softmax(x) -
onehot(target). Binary cross-entropy is one node with PyTorch's formulas, so a probability
of exactly 0 or 1 gives PyTorch's finite loss and gradient (in float16 the gradient is
infinite there, or NaN, as PyTorch's). Each op's `backward_graph` is its backward in Tensor
ops, for second derivatives (cross-entropy's softmax: the softmax op of its input).
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from .arguments import (as_scalars, either, floating, on_a_scalars_axis, one_axis, same_dtype,
                        to_tensor)
from .elementwise import Where
from .reductions import cast_first, numpy_mean


class _AlongAxis(Function, register=False):
    """`x.op(axis=-1)` or dim=: softmax and log_softmax work along one axis. Without one,
    the last axis of a 1-D or 2-D input (PyTorch's choice too); for more axes the axis must
    be given (PyTorch's implicit choice there, 0 or 1, is rarely the one meant).
    `dtype=`: x cast to it first, as PyTorch's."""

    @classmethod
    def call(cls, x, axis=None, dtype=None, *, dim=None):
        x = cast_first(cls.name, to_tensor(x), dtype)
        axis = either(cls.name, "axis", axis, "dim", dim)
        if axis is None:
            implicit_axis(cls.name, x.shape)
            axis = -1
        if on_a_scalars_axis(cls.name, x, axis):
            return as_scalars(cls.apply(x.reshape(1), axis=0))
        return cls.apply(x, axis=one_axis(cls.name, axis, x.ndim))


def implicit_axis(op: str, shape: tuple[int, ...]) -> None:
    """A softmax-like op called without an axis on `shape`: fine for 0 to 2 axes (the last
    one, as PyTorch's), refused for more."""
    if len(shape) >= 3:
        implicit = 0 if len(shape) == 3 else 1  # PyTorch's _get_softmax_dim
        raise ValueError(f"{op}: no dim given for an input of {len(shape)} dimensions (shape "
                         f"{shape}); give dim=, e.g. dim=-1 for the last axis (PyTorch's "
                         f"implicit choice here would be dim={implicit})")


def _largest(x: np.ndarray, axis: int) -> np.ndarray:
    """The maximum along `axis`, kept; -inf for an axis of length 0 (NumPy's max refuses
    it), so softmax of an empty axis is empty, as PyTorch's."""
    return x.max(axis=axis, keepdims=True, initial=-np.inf)


class Softmax(_AlongAxis, methods=("softmax",), functions=("softmax",)):
    """exp(x) / sum(exp(x)) along `axis`, shifted by the maximum so it never overflows.

    forward: `e**x / sum(e**x, axis)`
    gradient: `out * (g - sum(g * out, axis))`
    """

    def forward(ctx, x, *, axis=-1):
        x = floating(x)  # (bool and small integers: float64, not NumPy's float16)
        with np.errstate(invalid="ignore"):  # (a row of -inf: NaN, as PyTorch's, unwarned)
            shifted = np.exp(x - _largest(x, axis))  # the largest exp is 1
            out = shifted / shifted.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - (g * out).sum(axis=ctx.axis, keepdims=True))

    def backward_graph(ctx, out, g):
        return out * (g - (g * out).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(_AlongAxis, name="log_softmax", methods=("log_softmax",),
                 functions=("log_softmax",)):
    """log(softmax(x)) along `axis`, by log-sum-exp: stable for any logits.

    forward: `x - log(sum(e**x, axis))`
    gradient: `g - e**out * sum(g, axis)`
    """

    def forward(ctx, x, *, axis=-1):
        x = floating(x)
        shifted = x - _largest(x, axis)
        with np.errstate(divide="ignore"):  # (an empty axis sums to 0; its out is empty)
            out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)

    def backward_graph(ctx, out, g):
        return g - out.exp() * g.sum(axis=ctx.axis, keepdims=True)


class CrossEntropy(Function, name="cross_entropy"):
    """-log(softmax(x)[target]) per row, reduced: 'mean' | 'sum' | 'none'.

    `x`: logits of shape (N, C) or (C,); `target`: valid class indices of shape (N,) or ().
    One node instead of log_softmax, getitem, neg and mean; its gradient is
    (softmax(x) - onehot(target)) * g (divided by N for 'mean').

    forward: `-(x - logsumexp(x))[target]` per row, then mean, sum or none
    gradient: `(softmax(x) - onehot(target)) * g` (`g / N` for mean)
    """

    def forward(ctx, x, *, target, reduction="mean"):
        x = floating(x)  # (ufuncs' reduce: x.max() and x.sum(), without their Python wrappers)
        shifted = x - np.maximum.reduce(x, axis=-1, keepdims=True)  # log-sum-exp, no overflow
        exp = np.exp(shifted)
        sums = np.add.reduce(exp, axis=-1, keepdims=True)
        if x.ndim == 1:
            index = (int(target),)
            losses = -(shifted[index] - np.log(sums)[0])
        else:
            index = (np.arange(x.shape[0]), target)
            losses = -(shifted[index] - np.log(sums)[:, 0])
        ctx.save_for_backward(exp, sums)
        ctx.index, ctx.reduction = index, reduction
        if reduction == "mean":
            # (np.mean's own sum and division, bit for bit, without its Python layers; no
            # rows: np.mean's NaN, with NumPy's warning)
            return numpy_mean(losses) if losses.size else np.mean(losses)
        return np.sum(losses) if reduction == "sum" else losses

    def backward(ctx, g):
        exp, sums = ctx.saved_tensors
        grad = exp / sums  # softmax
        grad[ctx.index] -= 1  # minus the one-hot target
        if ctx.reduction == "none" and exp.ndim == 2:
            return grad * g[:, None]
        if ctx.reduction == "mean" and exp.ndim == 2:
            return grad * (g / max(exp.shape[0], 1))
        return grad * g

    def backward_graph(ctx, out, g):  # softmax(x) of the parent: the same values as exp / sums
        onehot = np.zeros_like(ctx.saved_tensors[0])
        onehot[ctx.index] = 1
        grad = Softmax.apply(ctx.parents[0], axis=-1) - onehot
        if ctx.reduction == "none" and onehot.ndim == 2:
            return grad * g.reshape(-1, 1)
        if ctx.reduction == "mean" and onehot.ndim == 2:
            return grad * (g / max(onehot.shape[0], 1))
        return grad * g


class BinaryCrossEntropy(Function, name="binary_cross_entropy", elementwise=True):
    """-(y log(x) + (1 - y) log(1 - x)) per entry: x a probability, y the target in [0, 1].

    PyTorch's formulas (it has no `torch.binary_cross_entropy` either: no method, no tg.
    function; `nn.functional.binary_cross_entropy` checks the arguments and calls it).
    Each log is clamped at -100, so x = 0 or 1 gives a loss of at most 100, not inf; the
    gradient's denominator x(1 - x) is kept from 1e-12 (float32's, as PyTorch's), so in
    float32 and float64 it is finite there too, about +-1e12; in float16 1e-12 rounds to 0
    and the gradient there is +-inf (NaN where the target equals x, 0 / 0), as PyTorch's.
    The target's gradient is PyTorch's, -logit(x): infinite at x = 0 and 1. Second
    derivatives are those of these gradients: within the clamp the input's is g / 1e-12
    (PyTorch's double backward differentiates (x - y) / ((x + 1e-12)(1 - x + 1e-12))).

    forward: `-(y * max(log(x), -100) + (1 - y) * max(log(1 - x), -100))`
    gradient: `g * (x - y) / max(x * (1 - x), 1e-12)` for x, `-g * log(x / (1 - x))` for y
    """

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)  # (then floats: an int64 target beside float32 x is float32)
        x, y = floating(x), floating(y)
        ctx.save_for_backward(x, y)
        # PyTorch's kernel term for term (log1p: 1e-20's loss with y = 0 is 1e-20, not 0);
        # log(0) = -inf, clamped at -100
        with np.errstate(divide="ignore"):
            return (y - 1) * np.maximum(np.log1p(-x), -100) - y * np.maximum(np.log(x), -100)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        dx = dy = None
        if needs_x:  # PyTorch's EPSILON is a C float: 1e-12 in float32 (0 in float16: inf)
            with np.errstate(divide="ignore", invalid="ignore"):
                dx = g * (x - y) / np.maximum((1 - x) * x, x.dtype.type(np.float32(1e-12)))
        if needs_y:  # -logit(x), as at::logit: inf at x = 0, -inf at x = 1
            with np.errstate(divide="ignore"):
                dy = g * -np.log(x / (1 - x))
        return dx, dy

    def backward_graph(ctx, out, g):
        x, y = ctx.parents
        needs_x, needs_y = ctx.needs_input_grad
        dx = dy = None
        if needs_x:  # where x (1 - x) < 1e-12 the denominator is that constant (backward's max)
            product = (1 - x) * x
            eps = float(x.dtype.type(np.float32(1e-12)))
            dx = g * (x - y) / Where.call(~(product._data < eps), product, eps)
        if needs_y:  # (at x = 0 and 1, ln(1 - x) - ln(x): the same +-inf, and its derivative
            edge = (x._data == 0) | (x._data == 1)  # -inf there, not 0 * inf's NaN)
            inner = Where.call(edge, 0.5, x)
            dy = g * Where.call(edge, (1 - x).log() - x.log(), -(inner / (1 - inner)).log())
        return dx, dy

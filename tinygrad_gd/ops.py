"""Every built-in op: its forward on NumPy arrays beside its vector-Jacobian product.

Each op is a `Function` subclass and registers itself by name (see `registered_ops()`).
`backward(grad)` returns the gradient of each input given the gradient of the output.
An input that was broadcast may get a gradient of the broadcast shape: the engine sums
it back (`unbroadcast`). Arrays backward needs go through `save_for_backward`, so the
engine can free them after the pass.

The Tensor methods and operators that call these ops are in `tensor.py`; the module
functions (`tg.exp(x)`, `tg.where(...)`) in `functional.py`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Function, unbroadcast

# ------------------------------------------------------------------ elementwise, binary


class Add(Function):
    """x + y, broadcast."""

    def forward(ctx, x, y):
        return x + y

    def backward(ctx, g):
        return g, g


class Sub(Function):
    """x - y, broadcast."""

    def forward(ctx, x, y):
        return x - y

    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """x * y, broadcast."""

    fresh_grads = True

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        return (g * y if needs_x else None), (g * x if needs_y else None)


class Div(Function):
    """x / y, broadcast."""

    fresh_grads = True

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = g / y
        return (gx if ctx.needs_input_grad[0] else None), \
            (-gx * x / y if ctx.needs_input_grad[1] else None)


class Pow(Function):
    """x ** y, broadcast; the exponent's gradient x**y * log(x) only when it is asked for."""

    fresh_grads = True

    def forward(ctx, x, y):
        out = x ** y
        # the output only for the exponent's gradient, so a constant exponent keeps none
        ctx.save_for_backward(x, y, out if ctx.needs_input_grad[1] else None)
        return out

    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        gx = None
        if ctx.needs_input_grad[0]:
            if y.ndim == 0 and y.item() == 2:  # the squared error of every lesson: d(x**2)/dx = 2x
                gx = g * (x + x)
            else:
                gx = g * (y * x ** (y - 1))
        # d(x**y)/dy = x**y * log(x): only asked for when the exponent is learned
        gy = g * out * np.log(x) if ctx.needs_input_grad[1] else None
        return gx, gy


class Maximum(Function):
    """Elementwise max(x, y); ties split the gradient evenly."""

    fresh_grads = True

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        share = (x > y) + 0.5 * (x == y)  # a tie splits the gradient evenly
        return g * share, g * (1.0 - share)


class Minimum(Function):
    """Elementwise min(x, y); ties split the gradient evenly."""

    fresh_grads = True

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.minimum(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        share = (x < y) + 0.5 * (x == y)
        return g * share, g * (1.0 - share)


class Where(Function):
    """x where `condition` holds, else y (the condition is not differentiated)."""

    fresh_grads = True

    def forward(ctx, x, y, *, condition):
        condition = np.asarray(condition, dtype=bool)
        ctx.save_for_backward(condition)
        return np.where(condition, x, y)

    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        zero = np.zeros((), dtype=g.dtype)
        return np.where(condition, g, zero), np.where(condition, zero, g)


# ------------------------------------------------------------------ elementwise, unary


class Neg(Function):
    """-x."""

    fresh_grads = True

    def forward(ctx, x):
        return -x

    def backward(ctx, g):
        return -g


class Exp(Function):
    """e**x."""

    fresh_grads = True

    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    """Natural logarithm."""

    fresh_grads = True

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Sqrt(Function):
    """Square root."""

    fresh_grads = True

    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Abs(Function):
    """|x|, gradient sign(x) (0 at 0)."""

    fresh_grads = True

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.sign(x)


class Clip(Function):
    """x limited to [min, max]; gradient passes where min <= x <= max."""

    fresh_grads = True

    def forward(ctx, x, *, min=None, max=None):  # noqa: A002  (NumPy's and PyTorch's names)
        ctx.save_for_backward(x)
        ctx.bounds = (min, max)
        return np.clip(x, min, max)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        low, high = ctx.bounds
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        return g * inside


class Tanh(Function):
    """Hyperbolic tangent."""

    fresh_grads = True

    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Function):
    """1 / (1 + e**-x), without overflow."""

    fresh_grads = True

    def forward(ctx, x):
        # exp of -|x| never overflows: 1/(1+e) for x >= 0, e/(1+e) for x < 0
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1, e) / (1 + e)
        ctx.save_for_backward(out)
        return out.astype(x.dtype, copy=False)

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class Relu(Function):
    """max(x, 0)."""

    fresh_grads = True

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x > 0)


class LeakyRelu(Function):
    """x if x > 0 else negative_slope * x."""

    fresh_grads = True

    name = "leaky_relu"

    def forward(ctx, x, *, negative_slope=0.01):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.where(x > 0, 1.0, ctx.negative_slope).astype(g.dtype, copy=False)


# ------------------------------------------------------------------ softmax family


class Softmax(Function):
    """exp(x) / sum(exp(x)) along an axis, shifted by the max."""

    fresh_grads = True

    def forward(ctx, x, *, axis=-1):
        shifted = np.exp(x - x.max(axis=axis, keepdims=True))  # stable: largest exp is 1
        out = shifted / shifted.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - (g * out).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """x - logsumexp(x) along an axis."""

    fresh_grads = True

    name = "log_softmax"

    def forward(ctx, x, *, axis=-1):
        shifted = x - x.max(axis=axis, keepdims=True)  # log-sum-exp without overflow
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)


# ------------------------------------------------------------------ matrix product


class MatMul(Function):
    """Matrix product (1-D, 2-D, batched with broadcast batch axes)."""

    fresh_grads = True

    def forward(ctx, x, y):
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes "
                             f"{x.shape} and {y.shape}; use * to multiply by a scalar")
        k_x = x.shape[-1]
        k_y = y.shape[0] if y.ndim == 1 else y.shape[-2]
        if k_x != k_y:
            raise ValueError(
                f"matmul: inner sizes differ: {x.shape} @ {y.shape} contracts {k_x} with {k_y}; "
                f"the last axis of the left operand must match the "
                f"{'only' if y.ndim == 1 else 'second-to-last'} axis of the right one "
                f"(transpose one of them with .T?)")
        ctx.save_for_backward(x, y)
        # np.dot is np.matmul for operands of at most 2 axes, with less overhead per call
        return np.dot(x, y) if x.ndim <= 2 and y.ndim <= 2 else np.matmul(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        if x.ndim == 1 and y.ndim == 1:  # a dot product: g is a scalar
            return (g * y if needs_x else None), (g * x if needs_y else None)
        if x.ndim <= 2 and y.ndim <= 2:
            return _matmul_2d_backward(g, x, y, needs_x, needs_y)
        # A 1-D operand acts as a row (left) or column (right) vector: give g that axis back.
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        if y.ndim == 1:
            g = g[..., None]
        if x.ndim == 1:
            g = g[..., None, :]
        gx = gy = None
        if needs_x:
            gx = np.matmul(g, np.swapaxes(y2, -1, -2))
            if x.ndim == 1:
                gx = gx.squeeze(-2)
        if needs_y:
            gy = np.matmul(np.swapaxes(x2, -1, -2), g)
            if y.ndim == 1:
                gy = gy.squeeze(-1)
        return gx, gy  # batch axes that were broadcast are summed by the engine


def _matmul_2d_backward(g: np.ndarray, x: np.ndarray, y: np.ndarray,
                        needs_x: bool, needs_y: bool) -> tuple[Any, Any]:
    """Gradients of x @ y for operands of 1 or 2 axes (not both 1), in each operand's layout.

    A gradient computed as a transposed product (`(g.T @ x).T` rather than `x.T @ g`)
    comes out in the memory order of an operand that is itself a transposed view, such
    as the weight of `x @ W.T` (nn.Linear): the engine then copies it without reordering.
    """
    gx = gy = None
    if x.ndim == 1:  # row vector @ matrix: g has y's column count
        if needs_x:
            gx = np.dot(y, g)
        if needs_y:
            gy = np.outer(x, g)
        return gx, gy
    if y.ndim == 1:  # matrix @ column vector: g has x's row count
        if needs_x:
            gx = np.outer(g, y)
        if needs_y:
            gy = np.dot(g, x)
        return gx, gy
    if needs_x:
        gx = np.dot(y, g.T).T if x.flags.f_contiguous and not x.flags.c_contiguous \
            else np.dot(g, y.T)
    if needs_y:
        gy = np.dot(g.T, x).T if y.flags.f_contiguous and not y.flags.c_contiguous \
            else np.dot(x.T, g)
    return gx, gy


# ------------------------------------------------------------------ reductions


def _expand_reduced(g: np.ndarray, shape: tuple[int, ...], axis: Any, keepdims: bool) -> np.ndarray:
    """Give a reduced gradient back the axes the reduction removed, ready to broadcast."""
    if axis is None or keepdims:
        return g if keepdims else np.reshape(g, (1,) * len(shape))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return np.expand_dims(g, tuple(a % len(shape) for a in axes))


class Sum(Function):
    """Sum over axes (keepdims optional)."""

    def forward(ctx, x, *, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    def backward(ctx, g):
        return np.broadcast_to(_expand_reduced(g, ctx.shape, ctx.axis, ctx.keepdims), ctx.shape)


class Mean(Function):
    """Mean over axes (keepdims optional)."""

    def forward(ctx, x, *, axis=None, keepdims=False):
        out = np.mean(x, axis=axis, keepdims=keepdims)
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        ctx.count = x.size // max(np.size(out), 1) if x.size else 1
        return out

    def backward(ctx, g):
        g = _expand_reduced(g, ctx.shape, ctx.axis, ctx.keepdims) / ctx.count
        return np.broadcast_to(g, ctx.shape)


class _Extremum(Function, register=False):
    """max or min along axes; tied extremes share the gradient evenly."""

    fresh_grads = True

    reduce = staticmethod(np.max)

    def forward(ctx, x, *, axis=None, keepdims=False):
        out = type(ctx).reduce(x, axis=axis, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        out = _expand_reduced(out, x.shape, ctx.axis, ctx.keepdims)
        g = _expand_reduced(g, x.shape, ctx.axis, ctx.keepdims)
        hit = x == out
        return g * hit / hit.sum(axis=ctx.axis, keepdims=True)


class Max(_Extremum):
    """Maximum over axes; ties share the gradient."""

    reduce = staticmethod(np.max)


class Min(_Extremum):
    """Minimum over axes; ties share the gradient."""

    reduce = staticmethod(np.min)


# ------------------------------------------------------------------ shape and indexing


class Reshape(Function):
    """The same values in a new shape."""

    def forward(ctx, x, *, shape):
        ctx.in_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                             f"({x.size} elements) into shape {tuple(shape)}") from None

    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Transpose(Function):
    """Axes permuted (reversed by default)."""

    def forward(ctx, x, *, axes=None):
        ctx.axes = axes
        return np.transpose(x, axes)

    def backward(ctx, g):
        return np.transpose(g, None if ctx.axes is None else np.argsort(ctx.axes))


class BroadcastTo(Function):
    """Broadcast to a larger shape; the gradient is summed back."""

    name = "broadcast_to"

    def forward(ctx, x, *, shape):
        ctx.in_shape = x.shape
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to "
                             f"{tuple(shape)}") from None

    def backward(ctx, g):
        return unbroadcast(g, ctx.in_shape)


class GetItem(Function):
    """Indexing: basic slices and integer arrays; repeated indices accumulate their gradients."""

    fresh_grads = True

    name = "getitem"

    def forward(ctx, x, *, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    def backward(ctx, g):
        full = np.zeros(ctx.in_shape, dtype=g.dtype)
        np.add.at(full, ctx.index, g)  # repeated indices accumulate, as they must
        return full


class Concatenate(Function):
    """Join along an existing axis."""

    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    def backward(ctx, g):
        return tuple(np.split(g, ctx.splits, axis=ctx.axis))


class Stack(Function):
    """Join along a new axis."""

    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    def backward(ctx, g):
        return tuple(np.moveaxis(g, ctx.axis, 0))


# ------------------------------------------------------------------ fused layers and losses


class Linear(Function):
    """x @ w.T (+ bias) in one node, w of shape (out, in) (PyTorch's addmm for F.linear).

    One node instead of transpose, matmul and a broadcast add: the weight's gradient
    comes out C-ordered in w's shape, and the bias's is a plain sum over the batch.
    """

    fresh_grads = True

    def forward(ctx, x, w, *bias):
        ctx.save_for_backward(x, w)
        # a fresh array; np.dot (BLAS's GEMM, less overhead per call) for x of 1 or 2 axes
        out = np.dot(x, w.T) if x.ndim <= 2 else np.matmul(x, w.T)
        if bias:
            (b,) = bias
            if out.ndim and np.result_type(out, b) == out.dtype:
                np.add(out, b, out=out)  # into the fresh product: no second array
            else:
                out = out + b
        return out

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        n_out, n_in = w.shape
        gx = gw = gb = None
        if needs[0]:
            # (..., out) @ (out, in): a new array of x's shape
            gx = np.dot(g, w) if g.ndim <= 2 else np.matmul(g, w)
        if needs[1] or (len(needs) > 2 and needs[2]):
            g2 = g.reshape(-1, n_out)
            if needs[1]:
                x2 = x.reshape(-1, n_in)
                # in w's own memory order, so that the update runs over both contiguously
                gw = np.dot(x2.T, g2).T if _fortran_only(w) else np.dot(g2.T, x2)
            if len(needs) > 2 and needs[2]:
                gb = g2.sum(axis=0)
        return (gx, gw) if len(needs) == 2 else (gx, gw, gb)


def _fortran_only(a: np.ndarray) -> bool:
    return a.flags.f_contiguous and not a.flags.c_contiguous


class CrossEntropy(Function):
    """-log(softmax(x)[target]) per row, reduced: 'mean' | 'sum' | 'none'.

    `x`: logits of shape (N, C) or (C,); `target`: valid class indices of shape (N,) or ().
    One node instead of log_softmax, getitem, neg and mean; exp is computed once and the
    gradient is (softmax - onehot) * g (over N for 'mean').
    """

    name = "cross_entropy"
    fresh_grads = True

    def forward(ctx, x, *, target, reduction="mean"):
        shifted = x - x.max(axis=-1, keepdims=True)  # log-sum-exp without overflow
        exp = np.exp(shifted)
        sums = exp.sum(axis=-1, keepdims=True)
        if x.ndim == 1:
            index = (int(target),)
            losses = -(shifted[index] - np.log(sums)[0])
        else:
            index = (np.arange(x.shape[0]), target)
            losses = -(shifted[index] - np.log(sums)[:, 0])
        ctx.save_for_backward(exp, sums)
        ctx.index, ctx.reduction = index, reduction
        if reduction == "mean" and losses.size:
            # np.mean's own arithmetic (a sum, then a division) without its Python wrapper
            return np.add.reduce(losses, axis=None) / losses.size
        if reduction == "mean":
            return np.mean(losses)  # no rows: NaN, with NumPy's warning
        if reduction == "sum":
            return np.add.reduce(losses, axis=None)
        return losses

    def backward(ctx, g):
        exp, sums = ctx.saved_tensors
        grad = exp / sums  # softmax: a new array
        grad[ctx.index] -= 1
        if ctx.reduction == "none" and exp.ndim == 2:
            grad *= g[:, None]
        elif ctx.reduction == "mean" and exp.ndim == 2:
            grad *= g / max(exp.shape[0], 1)
        else:
            grad *= g
        return grad

"""Matrix products: `x @ y`, `x.dot(y)` and the fused layer `linear(x, w, b)`.

For out = x @ y the chain rule gives grad_x = g @ y.T and grad_y = x.T @ g: each
input's gradient is the output's gradient multiplied by the other input, transposed.
"""
from __future__ import annotations

import math

import numpy as np

from ..engine import Function
from ..errors import ShapeError
from .arguments import same_dtype, to_tensor


class MatMul(Function, methods=("matmul", "__matmul__"), reflected=("__rmatmul__",),
             functions=("matmul",)):
    """Matrix product `x @ y` (1-D, 2-D and batched with broadcast batch axes, as NumPy's).

    forward: `x @ y`
    gradient: `g @ y.T` for x, `x.T @ g` for y (a 1-D operand as a row or column)
    """

    def forward(ctx, x, y):
        x, y = same_dtype(x, y)  # (PyTorch's promotion: float32 @ int64 stays float32)
        try:
            out = np.matmul(x, y)
        except ValueError:  # (shapes NumPy refuses: said in words, naming the sizes)
            check_shapes(ctx.name, x.shape, y.shape)
            raise  # (batch axes that do not broadcast: the engine restates NumPy's error)
        needs_x, needs_y = ctx.needs_input_grad  # (only what backward reads, as Mul's)
        ctx.save_for_backward(x if needs_y else None, y if needs_x else None)
        ctx.ndims = x.ndim, y.ndim
        return out

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad  # a constant's gradient is never made
        x_ndim, y_ndim = ctx.ndims
        if x_ndim == 1 and y_ndim == 1:  # a dot product: g is a scalar
            return (g * y if needs_x else None), (g * x if needs_y else None)
        # A 1-D operand acts as a row (left) or column (right) vector: give it that axis.
        g2 = g[..., None] if y_ndim == 1 else g
        g2 = g2[..., None, :] if x_ndim == 1 else g2
        gx = gy = None
        if needs_x:  # g @ y.T
            gx = np.matmul(g2, (y[:, None] if y_ndim == 1 else y).swapaxes(-1, -2))
            gx = gx[..., 0, :] if x_ndim == 1 else gx
        if needs_y:  # x.T @ g
            gy = np.matmul((x[None, :] if x_ndim == 1 else x).swapaxes(-1, -2), g2)
            gy = gy[..., 0] if y_ndim == 1 else gy
        return gx, gy  # batch axes that were broadcast are summed by the engine

    def backward_graph(ctx, out, g):  # the same products, of Tensors
        x, y = ctx.parents
        needs_x, needs_y = ctx.needs_input_grad
        if x.ndim == 1 and y.ndim == 1:
            return (g * y if needs_x else None), (g * x if needs_y else None)
        g2 = g.reshape(g.shape + (1,)) if y.ndim == 1 else g  # (1-D operands: as in backward)
        g2 = g2.reshape(g2.shape[:-1] + (1,) + g2.shape[-1:]) if x.ndim == 1 else g2
        gx = gy = None
        if needs_x:
            gx = g2 @ (y.reshape(1, -1) if y.ndim == 1 else y.transpose(-1, -2))
            gx = gx[..., 0, :] if x.ndim == 1 else gx
        if needs_y:
            gy = (x.reshape(-1, 1) if x.ndim == 1 else x.transpose(-1, -2)) @ g2
            gy = gy[..., 0] if y.ndim == 1 else gy
        return gx, gy


def check_shapes(name: str, x: tuple[int, ...], y: tuple[int, ...]) -> None:
    """Refuse `x @ y` of operands of shapes `x` and `y` that has no result because an
    operand has no axis, or the inner sizes differ, naming the sizes."""
    if not x or not y:
        raise ShapeError(f"{name}: both operands need at least 1 dimension, got shapes "
                         f"{x} and {y}; use * to multiply by a scalar")
    k_x, k_y = x[-1], y[0] if len(y) == 1 else y[-2]
    if k_x != k_y:
        raise ShapeError(
            f"{name}: inner sizes differ: {x} @ {y} contracts {k_x} with {k_y}; the last axis "
            f"of the left operand must match the {'only' if len(y) == 1 else 'second-to-last'} "
            f"axis of the right one (transpose one of them with .T?)")


class Dot(MatMul, methods=("dot",), functions=("dot",)):
    """Dot product of vectors, or matrix product of 1-D/2-D operands (NumPy's dot).

    forward: `x · y` (NumPy's dot: 1-D and 2-D operands)
    gradient: `g @ y.T` for x, `x.T @ g` for y (a 1-D operand as a row or column)
    """

    @classmethod
    def call(cls, x, y):
        x, y = to_tensor(x), to_tensor(y)
        if x.ndim > 2 or y.ndim > 2:
            raise ShapeError(f"dot: operands of shapes {x.shape} and {y.shape}; dot takes "
                             f"1-D or 2-D operands, use matmul (@) for batched products")
        return cls.apply(x, y)


class Linear(Function):
    """x @ w.T (+ bias) in one node, w of shape (out, in) (PyTorch's F.linear).

    One node instead of transpose, matmul and a broadcast add: grad_x = g @ w,
    grad_w = g.T @ x (summed over the batch), grad_b = g summed over the batch.

    forward: `x @ w.T + b` (F.linear, b optional)
    gradient: `g @ w` for x, `g.T @ x` for w, `sum(g)` over the batch for b
    """

    def forward(ctx, x, w, *bias):
        x, w = same_dtype(x, w)  # (a float32 layer fed integers computes in float32)
        needs = ctx.needs_input_grad  # (only what backward reads, as Mul's)
        ctx.save_for_backward(x if needs[1] else None, w if needs[0] else None)
        ctx.w_shape = w.shape
        out = np.matmul(x, w.T)
        return np.add(*same_dtype(out, bias[0])) if bias else out

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        n_out, n_in = ctx.w_shape
        batch = math.prod(g.shape[:-1])  # every batch axis as one (not -1: a size may be 0)
        g2 = g.reshape(batch, n_out)
        gx = np.matmul(g, w) if needs[0] else None
        gw = g2.T @ x.reshape(batch, n_in) if needs[1] else None
        gb = g2.sum(axis=0) if len(needs) > 2 and needs[2] else None
        return (gx, gw) if len(needs) == 2 else (gx, gw, gb)

    def backward_graph(ctx, out, g):
        x, w = ctx.parents[:2]
        needs = ctx.needs_input_grad
        n_out, n_in = ctx.w_shape
        batch = math.prod(g.shape[:-1])
        g2 = g.reshape(batch, n_out)
        gx = g @ w if needs[0] else None
        gw = g2.transpose(0, 1) @ x.reshape(batch, n_in) if needs[1] else None
        gb = g2.sum(axis=0) if len(needs) > 2 and needs[2] else None
        return (gx, gw) if len(needs) == 2 else (gx, gw, gb)

"""A function's derivative as an op of its own, for the second derivatives of special
functions whose derivative has NumPy numerics of its own (a continued fraction, a series
where the formula cancels, a density's limits at 0) that Tensor ops would not reproduce.

`Slope.apply(*inputs, op=F)` is `F.derivative(*inputs)` (the last input is the variable,
any before it constants): the very values F's backward multiplies g by, so a gradient
made with create_graph=True equals backward()'s. Its own derivative is F's
`curvature(*inputs, slope)`, written in Tensor ops (Slope among them where it recurs, so
every order works); its plain backward runs the same Tensor ops on constants.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Function
from .arguments import Tensor

__all__ = ["Slope", "through_slope"]


class Slope(Function, register=False, name="slope"):
    """`op.derivative(*inputs)` as an op; its gradient, for the last input, is g times
    `op.curvature(*inputs, slope)` (the constants before it get none)."""

    def forward(ctx, *inputs, op):
        ctx.op = op
        with np.errstate(divide="ignore", invalid="ignore"):  # (NaN, inf: its answer there)
            out = op.derivative(*inputs)
        ctx.save_for_backward(*inputs, out)
        return out

    def backward(ctx, g):
        *inputs, out = (Tensor.from_op(a, None) for a in ctx.saved_tensors)
        with np.errstate(divide="ignore", invalid="ignore"):
            curvature = ctx.op.curvature(*inputs, out)._data
        return (None,) * (len(inputs) - 1) + (g * curvature,)

    def backward_graph(ctx, out, g):
        return (None,) * (len(ctx.parents) - 1) + (g * ctx.op.curvature(*ctx.parents, out),)


def through_slope(ctx: Any, out: Any, g: Any) -> Any:
    """The `backward_graph` of a one-input op with a `curvature`: g times its derivative,
    made by `Slope`."""
    return g * Slope.apply(ctx.parents[0], op=type(ctx))

"""The ops PyTorch's in-place activations record: `F.elu_`, `F.selu_`, `F.celu_`,
`F.leaky_relu_`, `F.rrelu_` (and `inplace=True` of their functions and layers) keep
their output, not their input, and compute the gradient from it, as PyTorch's elu_,
leaky_relu_ and rrelu_ do. Their output is the tensor they wrote, so a later change of
it (`h.add_(1)`, under no_grad() too) makes their backward refuse (versions.py), as
PyTorch's; `hardtanh_`, `threshold_` and `relu6` need their input, as PyTorch's, and keep
the out-of-place ops' node (the input's old version), which a later change leaves whole.

The ops are not registered: the `tg.` functions and Tensor methods are the out-of-place
ops (ops/activations.py, ops/elementary.py), which keep their input, as PyTorch's. A
negative slope (elu's and celu's alpha, leaky_relu's) makes the gradient ambiguous from
the output, so its backward is refused, as PyTorch's, at backward (create_graph=True too):
the forward runs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import make_generator
from ..engine import Function
from ..ops.activations import Celu, Elu
from ..ops.elementary import LeakyRelu
from ..ops.elementwise import Where
from ..tensor import Tensor
from .layer_arguments import _constant

__all__ = ["EluFromOutput", "CeluFromOutput", "SeluFromOutput", "LeakyReluFromOutput",
           "RreluEvalFromOutput", "RreluFromOutput", "rrelu_from_output", "rrelu_slopes"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _no_negative(node: Any, name: str, slope: float) -> None:
    """Refuse the backward of `node` when `slope` (its alpha or negative slope) is < 0."""
    if slope < 0:
        raise RuntimeError(f"backward(): op '{node.name}' was written in place with {name} "
                           f"below 0 ({slope}); in place its gradient is computed from its "
                           f"output, whose sign then does not tell the sides of 0 apart "
                           f"(PyTorch's refuses it too); use the out-of-place "
                           f"F.{node.name}(x, ...) instead")


class EluFromOutput(Elu, register=False, name="elu"):
    """elu in place: its gradient from the output, `g` where `out > 0`, else
    `g * (out + alpha)` (= alpha * e**x)."""

    out_of_place = "F.elu({}, ...)"

    def forward(ctx, x, *, alpha=1.0):
        out = Elu.forward(ctx, x, alpha=alpha)
        ctx.save_for_backward(out)  # (its output, as PyTorch's elu_: x is written over)
        return out

    def backward(ctx, g):
        _no_negative(ctx, "alpha", ctx.alpha)
        (out,) = ctx.saved_tensors
        return g * np.where(out <= 0, out + ctx.alpha, 1.0)  # (NaN: 1, as elu's)

    def backward_graph(ctx, out, g):  # (the second derivative 0 at 0, as elu's: out < 0)
        _no_negative(ctx, "alpha", ctx.alpha)
        return g * Where.call(out._data < 0, out + ctx.alpha,
                              np.where(out._data <= 0, ctx.alpha, 1.0))


class CeluFromOutput(Celu, register=False, name="celu"):
    """celu in place: its gradient from the output, `g` where `out > 0`, else
    `g * (out / alpha + 1)` (= e**(x / alpha))."""

    out_of_place = "F.celu({}, ...)"

    def forward(ctx, x, *, alpha=1.0):
        out = Celu.forward(ctx, x, alpha=alpha)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        _no_negative(ctx, "alpha", ctx.alpha)
        (out,) = ctx.saved_tensors
        return g * np.where(out <= 0, out / ctx.alpha + 1.0, 1.0)

    def backward_graph(ctx, out, g):  # (1 at 0 from either side; its derivative there 0)
        _no_negative(ctx, "alpha", ctx.alpha)
        return g * Where.call(out._data < 0, out / ctx.alpha + 1.0, 1.0)


class SeluFromOutput(Elu, register=False, name="selu"):
    """selu in place, scale * elu(x, alpha) with PyTorch's constants: its gradient from the
    output, `g * scale` where `out > 0`, else `g * (out + scale * alpha)`."""

    out_of_place = "F.selu({})"

    @classmethod
    def call(cls, x):
        return cls.apply(x)

    def forward(ctx, x):
        out = SELU_SCALE * Elu.forward(ctx, x, alpha=SELU_ALPHA)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * np.where(out <= 0, out + SELU_SCALE * SELU_ALPHA, SELU_SCALE)

    def backward_graph(ctx, out, g):
        return g * Where.call(out._data < 0, out + SELU_SCALE * SELU_ALPHA,
                              np.where(out._data <= 0, SELU_SCALE * SELU_ALPHA, SELU_SCALE))


class LeakyReluFromOutput(LeakyRelu, register=False, name="leaky_relu"):
    """leaky_relu in place: its gradient from the output, `g` where `out > 0`, else
    `g * negative_slope`."""

    out_of_place = "F.leaky_relu({}, ...)"

    def forward(ctx, x, *, negative_slope=0.01):
        out = LeakyRelu.forward(ctx, x, negative_slope=negative_slope)
        ctx.save_for_backward(out)
        return out

    slope = "negative_slope"

    def backward(ctx, g):
        _no_negative(ctx, ctx.slope, ctx.negative_slope)
        (out,) = ctx.saved_tensors
        return g * np.where(out > 0, 1.0, ctx.negative_slope).astype(g.dtype, copy=False)

    def backward_graph(ctx, out, g):
        _no_negative(ctx, ctx.slope, ctx.negative_slope)
        return g * np.where(out._data > 0, 1.0, ctx.negative_slope)


class RreluEvalFromOutput(LeakyReluFromOutput, register=False, name="rrelu"):
    """rrelu in place in eval mode: leaky_relu with the slopes' mean, in place."""

    out_of_place, slope = "F.rrelu({}, ...)", "the mean slope (lower + upper) / 2"


class RreluFromOutput(Function, register=False, name="rrelu"):
    """rrelu in place in training: x where x > 0, else x times its drawn slope (`slopes`, a
    constant input). Its gradient is those slopes (1 where x > 0), as PyTorch's; it keeps
    its output too, as PyTorch's rrelu_, so a later change of it refuses."""

    out_of_place = "F.rrelu({}, ...)"

    def forward(ctx, x, slopes):
        ctx.gains = np.where(x > 0, 1.0, slopes).astype(np.result_type(x, slopes), copy=False)
        out = np.where(x > 0, x, x * slopes)
        ctx.save_for_backward(out)  # (not read: kept so a change of it refuses)
        return out

    def backward(ctx, g):
        return g * ctx.gains, None

    def backward_graph(ctx, out, g):
        return g * ctx.gains, None


def rrelu_from_output(input: Tensor, lower: float, upper: float, training: bool,
                      generator: Any = None) -> Tensor:
    """rrelu written in place (`lower`, `upper` and `training` checked by the caller): in
    training, slopes drawn from U(lower, upper) (`generator=`, else `tg.manual_seed`'s) as
    `F.rrelu` draws them; else leaky_relu with their mean."""
    if not training:
        return RreluEvalFromOutput.call(input, (lower + upper) / 2)
    return RreluFromOutput.apply(input, rrelu_slopes(input, lower, upper, generator))


def rrelu_slopes(input: Tensor, lower: float, upper: float, generator: Any) -> Tensor:
    """rrelu's slopes in training, one per entry of `input`, drawn from U(lower, upper)
    (`generator`, else `tg.manual_seed`'s): a named constant. `F.rrelu` and `F.rrelu_` both
    draw here, so one seed gives them the same slopes."""
    rng = make_generator(None, generator, "rrelu")
    return _constant(rng.uniform(lower, upper, input.shape), "rrelu slopes", input)

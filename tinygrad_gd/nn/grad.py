"""PyTorch's `torch.nn.grad`: the gradient of a convolution with respect to its input
(`conv1d_input`, `conv2d_input`, `conv3d_input`) or its weight (`conv1d_weight`,
`conv2d_weight`, `conv3d_weight`), given the gradient of its output: what a user's own
`Function` needs in its backward (the tutorial "Fusing Convolution and Batch Norm using
Custom Function").

No convolution of its own: a convolution `conv(x, w)` is linear in x and in w, so each is
the backward pass of `F.conv1d/2d/3d` itself, run by `tg.autograd.grad` at zeros of the
given size (the gradient of a linear map does not depend on where it is taken). Each
result is differentiable in turn, with respect to the weight (or input) and grad_output:
`<g, conv(x, w)>` is bilinear, so the gradient of `<u, conv_input(w, g)>` is `conv(u, w)`
for g and `conv_weight(u, g)` for w, and that of `<v, conv_weight(x, g)>` is
`conv_input(v, g)` for x and `conv(x, v)` for g (the ops `_ConvInput`, `_ConvWeight`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import grad as _gradients
from ..engine import Function
from ..grad_mode import enable_grad
from ..tensor import Tensor
from ..functional import conv2d
from .layer_arguments import _as_tensor
from .spatial_functions import conv1d
from .volumetric_functions import conv3d

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]

_CONVS = {1: conv1d, 2: conv2d, 3: conv3d}
_AXES = {1: "length", 2: "height, width", 3: "depth, height, width"}


def _conv(n: int, x: np.ndarray, w: np.ndarray, how: dict) -> np.ndarray:
    """The convolution itself, on arrays (its own checks named by the caller's name)."""
    return _CONVS[n](Tensor.from_op(x, None), Tensor.from_op(w, None), None, **how)._data


def _through(n: int, x: np.ndarray, w: np.ndarray, g: np.ndarray, how: dict,
             wanted: int) -> np.ndarray:
    """The gradient of `<g, conv(x, w)>` with respect to x (`wanted` 0) or w (1): the
    backward pass of the package's convolution."""
    x, w = (Tensor(a, requires_grad=k == wanted) for k, a in enumerate((x, w)))
    with enable_grad():  # (also where it is called under no_grad or in a backward pass)
        out = _CONVS[n](x, w, None, **how)
    if out.shape != g.shape:
        name = f"conv{n}d_{('input', 'weight')[wanted]}"
        raise RuntimeError(f"{name}: grad_output has shape {g.shape}, but conv{n}d of an input "
                           f"of shape {x.shape} with a weight of shape {w.shape} and "
                           f"{_described(how)} gives shape {out.shape}; give the sizes of the "
                           f"forward pass's input and weight")
    return _gradients(out, (x, w)[wanted], g)[0]._data


def _described(how: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in how.items())


class _ConvInput(Function, register=False, name="conv_input"):
    """The gradient of a convolution with respect to its input (`nn.grad.conv2d_input`),
    a function of the weight w and grad_output g (the input's size and the convolution's
    arguments are parameters).

    forward: `d<g, conv(x, w)>/dx` (x any input of size `input_size`)
    gradient: `conv_weight(u, g)` for w, `conv(u, w)` for g
    """

    def forward(ctx, w, g, *, n, input_size, how):
        ctx.save_for_backward(w, g)
        return _through(n, np.zeros(input_size, g.dtype), w, g, how, 0)

    def backward(ctx, u):
        (w, g), needs, params = ctx.saved_tensors, ctx.needs_input_grad, ctx.params
        n, how = params["n"], params["how"]
        return (_through(n, u, w, g, how, 1) if needs[0] else None,
                _conv(n, u, w, how) if needs[1] else None)


class _ConvWeight(Function, register=False, name="conv_weight"):
    """The gradient of a convolution with respect to its weight (`nn.grad.conv2d_weight`),
    a function of the input x and grad_output g (the weight's size and the convolution's
    arguments are parameters).

    forward: `d<g, conv(x, w)>/dw` (w any weight of size `weight_size`)
    gradient: `conv_input(v, g)` for x, `conv(x, v)` for g
    """

    def forward(ctx, x, g, *, n, weight_size, how):
        ctx.save_for_backward(x, g)
        return _through(n, x, np.zeros(weight_size, g.dtype), g, how, 1)

    def backward(ctx, v):
        (x, g), needs, params = ctx.saved_tensors, ctx.needs_input_grad, ctx.params
        n, how = params["n"], params["how"]
        return (_through(n, x, v, g, how, 0) if needs[0] else None,
                _conv(n, x, v, how) if needs[1] else None)


def _size(name: str, what: str, size: Any, n: int) -> tuple[int, ...]:
    """`input_size` or `weight_size`: n + 2 non-negative ints (a batch, as PyTorch's)."""
    try:
        size = tuple(size.shape if isinstance(size, Tensor) else size)
        ok = all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 0
                 for k in size)
    except TypeError:
        ok = False
    if not ok or len(size) != n + 2:
        first = "batch, channels" if what == "input_size" else "out_channels, in_channels/groups"
        raise RuntimeError(f"{name}: {what} must be {n + 2} non-negative ints ({first}, "
                           f"{_AXES[n]}), as the tensor's .shape, got {size!r}")
    return tuple(int(k) for k in size)


def _gradient(n: int, which: str, size: Any, tensor: Any, grad_output: Any, stride: Any,
              padding: Any, dilation: Any, groups: Any) -> Tensor:
    """conv{n}d_input (`which`: given the input's size and the weight) or conv{n}d_weight
    (given the weight's size and the input)."""
    name, size_name = f"conv{n}d_{which}", f"{which}_size"
    op, tensor_name = (_ConvInput, "weight") if which == "input" else (_ConvWeight, "input")
    size = _size(name, size_name, size, n)
    grad_output = _as_tensor(name, grad_output, None, "grad_output")
    tensor = _as_tensor(name, tensor, grad_output, tensor_name)
    if grad_output.ndim != n + 2 or tensor.ndim != n + 2:
        raise RuntimeError(f"{name}: {tensor_name} and grad_output must have {n + 2} axes "
                           f"(a batch, as PyTorch's), got shapes {tensor.shape} and "
                           f"{grad_output.shape}")
    how = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    try:
        return op.apply(tensor, grad_output, n=n, how=how, **{size_name: size})
    except (ValueError, TypeError) as err:  # the convolution's own check, under our name
        text = str(err)
        raise type(err)(text if text.startswith(name) else f"{name}: {text}") from None


def conv1d_input(input_size: Any, weight: Any, grad_output: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of `F.conv1d` with respect to its input, of shape `input_size`
    (batch, in_channels, length), given `weight` (out_channels, in_channels / groups, k)
    and `grad_output` (batch, out_channels, out_length); the other arguments conv1d's."""
    return _gradient(1, "input", input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input: Any, weight_size: Any, grad_output: Any, stride: Any = 1,
                  padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of `F.conv1d` with respect to its weight, of shape `weight_size`
    (out_channels, in_channels / groups, k), given `input` (batch, in_channels, length)
    and `grad_output` (batch, out_channels, out_length); the other arguments conv1d's."""
    return _gradient(1, "weight", weight_size, input, grad_output, stride, padding, dilation,
                     groups)


def conv2d_input(input_size: Any, weight: Any, grad_output: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of `F.conv2d` with respect to its input, of shape `input_size`
    (batch, in_channels, height, width), given `weight` (out_channels, in_channels /
    groups, kh, kw) and `grad_output` (batch, out_channels, out_height, out_width); the
    other arguments conv2d's."""
    return _gradient(2, "input", input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input: Any, weight_size: Any, grad_output: Any, stride: Any = 1,
                  padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of `F.conv2d` with respect to its weight, of shape `weight_size`
    (out_channels, in_channels / groups, kh, kw), given `input` (batch, in_channels,
    height, width) and `grad_output` (batch, out_channels, out_height, out_width); the
    other arguments conv2d's."""
    return _gradient(2, "weight", weight_size, input, grad_output, stride, padding, dilation,
                     groups)


def conv3d_input(input_size: Any, weight: Any, grad_output: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of `F.conv3d` with respect to its input, of shape `input_size`
    (batch, in_channels, depth, height, width), given `weight` (out_channels, in_channels
    / groups, kd, kh, kw) and `grad_output` (batch, out_channels, out_depth, out_height,
    out_width); the other arguments conv3d's."""
    return _gradient(3, "input", input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input: Any, weight_size: Any, grad_output: Any, stride: Any = 1,
                  padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """The gradient of `F.conv3d` with respect to its weight, of shape `weight_size`
    (out_channels, in_channels / groups, kd, kh, kw), given `input` (batch, in_channels,
    depth, height, width) and `grad_output`; the other arguments conv3d's."""
    return _gradient(3, "weight", weight_size, input, grad_output, stride, padding, dilation,
                     groups)

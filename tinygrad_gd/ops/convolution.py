"""Images and volumes: `conv2d`, `max_pool2d` and `avg_pool2d` over (batch, channels,
height, width), and their 3-d forms `Conv3d`, `MaxPool3d`, `AvgPool3d` over (batch,
channels, depth, height, width): the same ops, written over any number of spatial axes.

Each slides a kernel-sized window over the padded input with a stride; a `dilation` d
puts the kernel's entries d apart (a window spans d * (k - 1) + 1 positions). A
convolution's output at a window is the sum of the window times the weight (one filter
per output channel; with `groups`, each output channel sees only its group's input
channels), so its backward gives the weight the sum over windows of g times the window,
and gives each window's input positions g times the weight, added up where windows
overlap. A max pool's output is each window's largest entry, the one PyTorch's index
names (the first of tied maxima in row-major order, the last NaN where there is one), and
its backward gives g to that entry. An average pool's is the window's sum over PyTorch's
divisor, and its backward gives g / divisor to every entry of the window; both add up
where windows overlap. `ceil_mode` adds a last window that runs past the padding (where
it starts inside the input or its left padding), as PyTorch's. Each also takes one input
without the batch axis (channels, height, width), as PyTorch's: a batch of one, added and
removed in the graph. The 3-d ops are not registered (no `tg.conv3d`): `nn.functional`
calls them. PyTorch's arguments are read in window_arguments.py (re-exported here), the
windows' NumPy in windows.py (`window_argmax`: a max pool's choice among tied maxima).
For second derivatives each op's gradient is made by ops too (`backward_graph`): a
convolution's by two private ops, its gradients for the input and for the weight, each
linear in both of its operands, whose gradients are convolutions and each other; a max
pool's routes g to the same chosen entries (a private pair: add there, take from there);
an average pool's spreads g / divisor over the windows, whose gradient is the pool again.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine import Function
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..values import default_float
from .arguments import Tensor, tensor_argument
from .contraction import promoted
from .window_arguments import (conv_groups, conv_padding, divisor_or_none, pair,
                               padding_only, pool_count, single, sizes, spans)
from .windows import (_Grid, _correlate, _divisors, _grid, _input_grad, _padded, _smallest,
                      _spread, _to_entries, _weight_grad, _window_sums, _windows,
                      max_pool_indices, window_argmax)

__all__ = ["Conv2d", "Conv3d", "ConvTranspose", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "MaxPool2d", "MaxPool3d", "AvgPool2d", "AvgPool3d", "pool_grid",
           "max_pool_indices", "window_argmax",  # and PyTorch's arguments, read as the ops do:
           "sizes", "pair", "single", "spans", "conv_padding", "conv_groups", "divisor_or_none",
           "pool_count", "padding_only"]


_INPUTS = {2: ("image", "height, width"), 3: ("volume", "depth, height, width")}


def _check_input(op: str, x: Any, n: int) -> None:
    """A batch of n-d inputs (images, volumes), or one (PyTorch's unbatched input)."""
    if x.ndim not in (n + 1, n + 2):
        one, axes = _INPUTS[n]
        raise ShapeError(f"{op}: expected a batch of {one}s of shape (batch, channels, {axes}) "
                         f"or one {one} (channels, {axes}), got shape {x.shape}")


def _batched(x: Tensor, run: Any, n: int) -> Any:
    """run(x) of a batch; of one unbatched input, as PyTorch's: run on a batch of one, the
    batch axis removed again from the result (from values and indices), in the graph."""
    if x.ndim == n + 2:
        return run(x)
    batch = x.unsqueeze(0)
    if batch.is_leaf and batch.name is None:  # (of a constant: a new leaf, which a diagram
        batch.name = f"{x.name or 'input'} (as a batch of one)"  # would draw as an input)
    out = run(batch)
    return tuple(part.squeeze(0) for part in out) if isinstance(out, tuple) else out.squeeze(0)


def _check_counts(op: str, x: Any, counts: tuple, kernel: tuple, dilation: tuple,
                  padding: Any) -> None:
    if min(counts) < 1:
        dilated = "" if set(dilation) == {1} else \
            f" dilated by {dilation} (spanning {spans(kernel, dilation)})"
        one = _INPUTS[len(kernel)][0]
        raise ShapeError(f"{op}: a kernel of {kernel}{dilated} does not fit "
                         f"{'an' if one == 'image' else 'a'} {one} of "
                         f"{x.shape[-len(kernel):]} padded by {padding}")


class Conv2d(Function, name="conv2d", functions=("conv2d",)):
    """2-D convolution (PyTorch's F.conv2d, a cross-correlation) of a batch of images
    (batch, in_channels, height, width) or one (in_channels, height, width): weight of
    shape (out_channels, in_channels / groups, kh, kw), bias of (out_channels,), `stride`
    and `dilation` an int or a (height, width) pair, `padding` (zeros) too, or PyTorch's
    "valid" or "same" (see `conv_padding`); `groups` splits the channels, output channel o
    seeing only its group's in_channels / groups inputs. (`Conv3d` is this op over
    volumes.)

    forward: `out[n, o] = sum over c, i, j of window[n, c, i, j] * w[o, c, i, j] (+ b[o])`
    gradient: `sum of g * window` for w, `g @ w` added back over the windows for x, `sum(g)` for b
    """

    n = 2  # spatial axes
    kernel_axes = "kh, kw"

    @classmethod
    def call(cls, input, weight, bias=None, stride=1, padding=0, dilation=1,  # noqa: A002
             groups=1):  # (PyTorch's names)
        op, n = cls.name, cls.n
        x, weight = tensor_argument(op, "input", input), tensor_argument(op, "weight", weight)
        stride, dilation = sizes(op, "stride", stride, n), sizes(op, "dilation", dilation, n)
        groups = conv_groups(op, groups, weight.shape)
        channels = x.shape[-n - 1] if x.ndim in (n + 1, n + 2) else "?"
        if weight.ndim != n + 2 or channels != "?" and weight.shape[1] * groups != channels:
            per_group = "" if groups == 1 else " / groups"
            takes, (one, axes) = weight.shape[1] * groups, _INPUTS[n]
            # (a batch without its channel axis, (batch, 28, 28), reads as one image)
            hint = "" if x.ndim != n + 1 or weight.ndim != n + 2 else (
                f"; {n + 1} axes are one unbatched {one} (channels, {axes}): for a batch of "
                f"{takes}-channel {one}s give shape (batch, {takes}, {axes})")
            raise ShapeError(f"{op}: weight of shape {weight.shape} must be (out_channels, "
                             f"in_channels{per_group}, {cls.kernel_axes}) with in_channels = "
                             f"the input's {channels} (input shape {x.shape}"
                             + ("" if groups == 1 else f", groups={groups}") + ")" + hint)
        if bias is not None:
            bias = tensor_argument(op, "bias", bias)
            if bias.shape != weight.shape[:1]:
                raise ShapeError(f"{op}: bias of shape {bias.shape} must be "
                                 f"({weight.shape[0]},), one per output channel (weight "
                                 f"shape {weight.shape})")
        padding = conv_padding(op, padding, weight.shape[2:], stride, dilation)
        _check_input(op, x, n)
        span, size = spans(weight.shape[2:], dilation), x.shape[-n:]
        counts = tuple((m + b + a - s) // step + 1 for m, (b, a), s, step in
                       zip(size, padding, span, stride))
        _check_counts(op, x, counts, weight.shape[2:], dilation, padding)
        grid = _Grid(weight.shape[2:], stride, dilation, counts, padding)
        return _batched(x, lambda batch: cls.apply(
            *(batch, weight) + (() if bias is None else (bias,)), grid=grid, groups=groups), n)

    def forward(ctx, x, w, *bias, grid, groups=1):
        x, w, *bias = promoted(x, w, *bias)  # (float32 beside int64: float32, as matmul's)
        ctx.grid, ctx.groups, ctx.shape = grid, groups, x.shape
        padded, n = _padded(x, grid.sides), len(grid.kernel)
        ctx.save_for_backward(padded, w)
        out = _correlate(padded, w, grid, groups)
        return out + bias[0].reshape((-1,) + (1,) * n) if bias else out

    def backward(ctx, g):
        (padded, w), grid, n = ctx.saved_tensors, ctx.grid, len(ctx.grid.kernel)
        needs = ctx.needs_input_grad
        gw = _weight_grad(g, padded, grid, ctx.groups) if needs[1] else None
        gx = _input_grad(g, w, grid, ctx.groups, ctx.shape) if needs[0] else None
        if len(needs) == 2:
            return gx, gw
        return gx, gw, (g.sum(axis=(0,) + tuple(range(2, 2 + n))) if needs[2] else None)

    def backward_graph(ctx, out, g):  # (bilinear: the two gradients are ops whose own
        (x, w), needs = ctx.parents[:2], ctx.needs_input_grad  # gradients are conv and them)
        grid, groups, n = ctx.grid, ctx.groups, len(ctx.grid.kernel)
        gx = _InputGrad.apply(g, w, grid=grid, groups=groups, shape=ctx.shape) \
            if needs[0] else None
        gw = _WeightGrad.apply(g, x, grid=grid, groups=groups) if needs[1] else None
        if len(needs) == 2:
            return gx, gw
        return gx, gw, (g.sum(axis=(0,) + tuple(range(2, 2 + n))) if needs[2] else None)


class _InputGrad(Function, register=False, name="conv_input_grad"):
    """A convolution's input gradient as an op of (g, w), for second derivatives: linear
    in each, its gradient for g is the convolution of the incoming h by w, for w the
    weight gradient of a convolution of h whose output's gradient is g."""

    def forward(ctx, g, w, *, grid, groups, shape):
        ctx.grid, ctx.groups = grid, groups
        ctx.save_for_backward(g, w)
        return _input_grad(g, w, grid, groups, shape)

    def backward(ctx, h):
        (g, w), needs = ctx.saved_tensors, ctx.needs_input_grad
        padded = _padded(h, ctx.grid.sides)
        return (_correlate(padded, w, ctx.grid, ctx.groups) if needs[0] else None,
                _weight_grad(g, padded, ctx.grid, ctx.groups) if needs[1] else None)

    def backward_graph(ctx, out, h):
        (g, w), needs = ctx.parents, ctx.needs_input_grad
        return (Conv2d.apply(h, w, grid=ctx.grid, groups=ctx.groups) if needs[0] else None,
                _WeightGrad.apply(g, h, grid=ctx.grid, groups=ctx.groups) if needs[1] else None)


class _WeightGrad(Function, register=False, name="conv_weight_grad"):
    """A convolution's weight gradient as an op of (g, x), for second derivatives: its
    gradient for g is the convolution of x by the incoming h, for x the input gradient of
    a convolution by h whose output's gradient is g."""

    def forward(ctx, g, x, *, grid, groups):
        ctx.grid, ctx.groups, ctx.shape = grid, groups, x.shape
        padded = _padded(x, grid.sides)
        ctx.save_for_backward(g, padded)
        return _weight_grad(g, padded, grid, groups)

    def backward(ctx, h):
        (g, padded), needs = ctx.saved_tensors, ctx.needs_input_grad
        return (_correlate(padded, h, ctx.grid, ctx.groups) if needs[0] else None,
                _input_grad(g, h, ctx.grid, ctx.groups, ctx.shape) if needs[1] else None)

    def backward_graph(ctx, out, h):
        (g, x), needs = ctx.parents, ctx.needs_input_grad
        return (Conv2d.apply(x, h, grid=ctx.grid, groups=ctx.groups) if needs[0] else None,
                _InputGrad.apply(g, h, grid=ctx.grid, groups=ctx.groups, shape=ctx.shape)
                if needs[1] else None)


class ConvTranspose(_InputGrad, register=False, name="conv_transpose"):
    """A transposed convolution (PyTorch's conv_transpose1d/2d/3d) of a batch x (batch,
    in_channels, size...) by w (in_channels, out_channels / groups, kernel...): the input
    gradient of a convolution by w (its `grid` of windows, one per entry of x) taken with x
    as its output's gradient, into an output of `shape`. Integers are computed in the
    default float. Called by nn.functional's conv_transpose functions, which check
    PyTorch's arguments.

    forward: each `x[n, :, y]` times w added into the output's window y
    gradient: the convolution of g by w for x, its weight gradient for w
    """

    def forward(ctx, x, w, *, grid, groups, shape):
        x, w = promoted(x, w)  # (float32 beside int64: float32, as matmul's)
        if x.dtype.kind != "f":
            x, w = x.astype(default_float()), w.astype(default_float())
        return super().forward(x, w, grid=grid, groups=groups, shape=shape)


class ConvTranspose1d(ConvTranspose, register=False, name="conv_transpose1d"):
    """`ConvTranspose` of (batch, in_channels, length), named as F's function in diagrams."""


class ConvTranspose2d(ConvTranspose, register=False, name="conv_transpose2d"):
    """`ConvTranspose` of (batch, in_channels, height, width)."""


class ConvTranspose3d(ConvTranspose, register=False, name="conv_transpose3d"):
    """`ConvTranspose` of (batch, in_channels, depth, height, width)."""


class Conv3d(Conv2d, register=False, name="conv3d"):
    """3-D convolution (PyTorch's F.conv3d): `Conv2d` over a batch of volumes (batch,
    in_channels, depth, height, width) or one (in_channels, depth, height, width), weight
    (out_channels, in_channels / groups, kd, kh, kw); `stride`, `dilation` and `padding`
    an int or (depth, height, width). Called by `nn.functional.conv3d` (not registered as
    a `tg.` function).

    forward: `out[n, o] = sum over c, i, j, k of window[n, c, i, j, k] * w[o, c, i, j, k] (+ b[o])`
    gradient: `sum of g * window` for w, `g @ w` added back over the windows for x, `sum(g)` for b
    """

    n = 3
    kernel_axes = "kd, kh, kw"


def pool_grid(op: str, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: Any, n: int = 2) -> _Grid:
    """A pool's windows over the last n axes of `x` (one input or a batch of them) from
    PyTorch's arguments (stride the kernel's by default), checked, in `op`'s name; a
    dilated window of padding alone is refused (see `padding_only`)."""
    kernel = sizes(op, "kernel_size", kernel_size, n)
    # (None or an empty tuple: the kernel's, as PyTorch's)
    given = stride is not None and not (isinstance(stride, (tuple, list)) and not stride)
    stride = sizes(op, "stride", stride, n) if given else kernel
    padding = sizes(op, "padding", padding, n, low=0)
    dilation = sizes(op, "dilation", dilation, n)
    ceil_mode = check_flag(op, "ceil_mode", ceil_mode)
    if any(p * 2 > k for p, k in zip(padding, kernel)):
        raise ShapeError(f"{op}: padding {padding} must be at most half the kernel {kernel} "
                         f"(as PyTorch's), or a window could see only padding")
    _check_input(op, x, n)
    size = x.shape[-n:]
    counts = tuple(map(pool_count, size, kernel, stride, padding, dilation, (ceil_mode,) * n))
    _check_counts(op, x, counts, kernel, dilation, padding)
    if any(map(padding_only, size, kernel, stride, padding, dilation, counts)):
        raise ShapeError(f"{op}: with dilation {dilation} and padding {padding}, a window of "
                         f"the kernel {kernel} holds only padding (input shape {x.shape}); use "
                         f"less padding or a smaller dilation")
    return _grid(kernel, stride, dilation, counts, padding, size)


class MaxPool2d(Function, name="max_pool2d", functions=("max_pool2d",)):
    """The largest entry of each window (PyTorch's F.max_pool2d): `kernel_size`, `stride`
    (the kernel's by default), `padding` (-inf; for integers their smallest value) and
    `dilation` an int or a (height, width) pair, `ceil_mode` as PyTorch's;
    `return_indices=True` gives (values, indices), each index row * width + column of
    the maximum in its plane. Tied maxima: the gradient goes to the entry PyTorch's
    index names (the first in row-major order), as PyTorch's does. One image (channels,
    height, width) is pooled as a batch of one. (`MaxPool3d` is this op over volumes.)

    forward: `out[n, c] = max of window[n, c]`
    gradient: `g` to each window's largest entry (the one its index names), added up
    """

    n = 2  # spatial axes

    @classmethod
    def call(cls, input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
             ceil_mode=False, return_indices=False):  # (PyTorch's names)
        x = tensor_argument(cls.name, "input", input)
        grid = pool_grid(cls.name, x, kernel_size, stride, padding, dilation, ceil_mode, cls.n)
        with_indices = check_flag(cls.name, "return_indices", return_indices)
        return _batched(x, lambda batch: cls._pool(batch, grid, with_indices), cls.n)

    @classmethod
    def _pool(cls, x: Tensor, grid: _Grid, with_indices: bool) -> Any:
        if not with_indices:
            return cls.apply(x, grid=grid)
        indices = max_pool_indices(x._data, grid)  # (backward's too: found once)
        return cls.apply(x, grid=grid, indices=indices), Tensor.from_op(indices, None)

    def forward(ctx, x, *, grid, indices=None):
        ctx.grid, ctx.shape, ctx.found = grid, x.shape, indices is not None
        if ctx.needs_input_grad[0]:  # the indices where given, else x to find them
            ctx.save_for_backward(x if indices is None else indices)
        return _windows(_padded(x, grid.sides, _smallest(x.dtype)), grid).max(
            axis=tuple(range(-len(grid.kernel), 0)))

    def backward(ctx, g):
        return _to_entries(g, _maxima(ctx), ctx.shape)

    def backward_graph(ctx, out, g):  # (which entry is a window's largest is a step: the
        return _ToMaxima.apply(g, at=_maxima(ctx), shape=ctx.shape)  # same ones, constant)


def _maxima(ctx: MaxPool2d) -> np.ndarray:
    """A max pool's node's chosen entries, as flat positions in its whole input (the
    output's shape)."""
    (saved,), shape = ctx.saved_tensors, ctx.shape
    at = saved if ctx.found else max_pool_indices(saved, ctx.grid)
    planes, plane = shape[0] * shape[1], math.prod(shape[2:])
    return (at.reshape(planes, math.prod(at.shape[2:])) + (np.arange(planes) * plane)[:, None]
            ).reshape(at.shape)


class _ToMaxima(Function, register=False, name="max_pool_grad"):
    """A max pool's input gradient as an op of g, for second derivatives: g added at the
    flat positions `at` of an input of `shape`; its gradient takes them back (`_AtMaxima`)."""

    def forward(ctx, g, *, at, shape):
        ctx.at = at
        return _to_entries(g, at, shape)

    def backward(ctx, h):
        return h.reshape(-1)[ctx.at]

    def backward_graph(ctx, out, h):
        return _AtMaxima.apply(h, at=ctx.at)


class _AtMaxima(Function, register=False, name="max_pool_grad_grad"):
    """The entries of h at the flat positions `at` (`_ToMaxima`'s gradient); its gradient
    adds them back there."""

    def forward(ctx, h, *, at):
        ctx.at, ctx.shape = at, h.shape
        return h.reshape(-1)[at]

    def backward(ctx, k):
        return _to_entries(k, ctx.at, ctx.shape)

    def backward_graph(ctx, out, k):
        return _ToMaxima.apply(k, at=ctx.at, shape=ctx.shape)


class MaxPool3d(MaxPool2d, register=False, name="max_pool3d"):
    """The largest entry of each window of a volume (PyTorch's F.max_pool3d): `MaxPool2d`
    over (batch, C, depth, height, width) or one (C, depth, height, width), the arguments
    an int or (depth, height, width), each index (depth * height + row) * width + column.
    Called by `nn.functional.max_pool3d` (not registered as a `tg.` function).

    forward: `out[n, c] = max of window[n, c]`
    gradient: `g` to each window's largest entry (the one its index names), added up
    """

    n = 3


class AvgPool2d(Function, name="avg_pool2d", functions=("avg_pool2d",)):
    """The mean of each window (PyTorch's F.avg_pool2d): `kernel_size`, `stride` (the
    kernel's by default) and `padding` (zeros) an int or a (height, width) pair; the
    divisor PyTorch's: the window's entries within the image and its padding (kh * kw,
    fewer where ceil_mode's last window runs past the padding), the image's alone with
    count_include_pad=False, or `divisor_override`. One image (channels, height, width)
    is pooled as a batch of one. (`AvgPool3d` is this op over volumes.)

    forward: `out[n, c] = sum of window[n, c] / divisor`
    gradient: `g / divisor` to every entry of each window, added up over windows
    """

    n = 2  # spatial axes

    @classmethod
    def call(cls, input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
             count_include_pad=True, divisor_override=None):  # (PyTorch's names)
        x = tensor_argument(cls.name, "input", input)
        grid = pool_grid(cls.name, x, kernel_size, stride, padding, 1, ceil_mode, cls.n)
        include = check_flag(cls.name, "count_include_pad", count_include_pad)
        override = divisor_or_none(cls.name, divisor_override)
        return _batched(x, lambda batch: cls.apply(batch, grid=grid, count_include_pad=include,
                                                   divisor_override=override), cls.n)

    def forward(ctx, x, *, grid, count_include_pad=True, divisor_override=None):
        divisor = _divisors(grid, x.shape[2:], count_include_pad) \
            if divisor_override is None else divisor_override
        # (integers in the default float first: an int64 sum over a float32 divisor is float64)
        x = x if x.dtype.kind == "f" else x.astype(default_float())
        ctx.grid, ctx.shape, ctx.divisor = grid, x.shape, np.asarray(divisor, x.dtype)
        return _window_sums(x, grid) / ctx.divisor

    def backward(ctx, g):
        return _spread(g, ctx.divisor, ctx.grid, ctx.shape)

    def backward_graph(ctx, out, g):  # (linear: its gradient is the op below, whose is this)
        return _Spread.apply(g, grid=ctx.grid, divisor=ctx.divisor, shape=ctx.shape)


class _Spread(Function, register=False, name="avg_pool_grad"):
    """An average pool's input gradient as an op of g, for second derivatives: g / divisor
    spread over each window; its gradient is the average pool of the incoming h with the
    same divisors (AvgPool2d's forward takes them as divisor_override, an array)."""

    def forward(ctx, g, *, grid, divisor, shape):
        ctx.grid, ctx.divisor = grid, divisor
        return _spread(g, divisor, grid, shape)

    def backward(ctx, h):
        return _window_sums(h, ctx.grid) / ctx.divisor

    def backward_graph(ctx, out, h):
        return AvgPool2d.apply(h, grid=ctx.grid, divisor_override=ctx.divisor)


class AvgPool3d(AvgPool2d, register=False, name="avg_pool3d"):
    """The mean of each window of a volume (PyTorch's F.avg_pool3d): `AvgPool2d` over
    (batch, C, depth, height, width) or one (C, depth, height, width), the arguments an
    int or (depth, height, width), the divisor as PyTorch's. Called by
    `nn.functional.avg_pool3d` (not registered as a `tg.` function).

    forward: `out[n, c] = sum of window[n, c] / divisor`
    gradient: `g / divisor` to every entry of each window, added up over windows
    """

    n = 3

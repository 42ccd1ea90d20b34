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
calls them. PyTorch's arguments are read in window_arguments.py (re-exported here);
`window_argmax` is a max pool's choice among tied maxima.
"""
from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..engine import Function
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..values import default_float
from .arguments import Tensor, to_tensor
from .window_arguments import (conv_groups, conv_padding, divisor_or_none, pair,
                               padding_only, pool_count, single, sizes, spans)

__all__ = ["Conv2d", "Conv3d", "MaxPool2d", "MaxPool3d", "AvgPool2d", "AvgPool3d", "pool_grid",
           "max_pool_indices", "window_argmax",  # and PyTorch's arguments, read as the ops do:
           "sizes", "pair", "single", "spans", "conv_padding", "conv_groups", "divisor_or_none",
           "pool_count", "padding_only"]


class _Grid(NamedTuple):
    """Where the windows of an op lie: per spatial axis ((depth,) height, width) the
    kernel, stride and dilation, the number of windows `counts`, and the padding (before,
    after) `sides`, the after side long enough for every window (ceil_mode's last one too)."""
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    counts: tuple[int, ...]
    sides: tuple[tuple[int, int], ...]


def _grid(kernel: tuple, stride: tuple, dilation: tuple, counts: tuple, before: tuple,
          size: tuple) -> _Grid:
    after = tuple(max(0, (c - 1) * s + span - n - b) for c, s, span, n, b in
                  zip(counts, stride, spans(kernel, dilation), size, before))
    return _Grid(kernel, stride, dilation, counts, tuple(zip(before, after)))


_LEAD = (slice(None),) * 2  # the batch and channel axes, whole


def _windows(padded: np.ndarray, grid: _Grid) -> np.ndarray:
    """Every window of the padded input, (N, C, out..., k...): views."""
    n = len(grid.kernel)
    views = sliding_window_view(padded, spans(grid.kernel, grid.dilation),
                                axis=tuple(range(2, 2 + n)))
    views = views[_LEAD + tuple(slice(None, c * s, s) for c, s in zip(grid.counts, grid.stride))]
    if any(d != 1 for d in grid.dilation):
        views = views[(Ellipsis,) + tuple(slice(None, None, d) for d in grid.dilation)]
    return views


def _add_windows(target: np.ndarray, per_window: np.ndarray, grid: _Grid) -> None:
    """Add each window's values (N, C, out..., k...) back where the window lies."""
    for at in np.ndindex(*grid.kernel):
        target[_LEAD + tuple(slice(i * d, i * d + s * c, s) for i, d, s, c in zip(
            at, grid.dilation, grid.stride, grid.counts))] += per_window[(Ellipsis,) + at]


def _padded(x: np.ndarray, sides: tuple, value: Any = 0.0) -> np.ndarray:
    """x with (before, after) entries of `value` around each spatial axis."""
    return np.pad(x, ((0, 0), (0, 0)) + sides, constant_values=value) \
        if any(sum(sides, ())) else x


def _cropped(full: np.ndarray, sides: tuple, size: tuple) -> np.ndarray:
    """The input's part of a padded array: the padding cut off each spatial axis."""
    return full[_LEAD + tuple(slice(b, b + n) for (b, _), n in zip(sides, size))]


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


def _einsum(spec: str, a: np.ndarray, b: np.ndarray, groups: int, n: int) -> np.ndarray:
    """np.einsum of a convolution's terms (n: batch, c: input channels, o: output
    channels; O the n spatial axes of the output, K the kernel's), each term's channel
    axis split into `groups` where groups > 1: the result of each group from its own
    channels, the groups joined again."""
    spec = spec.replace("O", "dhw"[3 - n:]).replace("K", "ijk"[:n])
    if groups == 1:
        return np.einsum(spec, a, b, optimize=True)

    def split(term: str) -> int:  # the channel axis: o of a weight (oc...), else c or o
        return min(term.index(letter) for letter in "oc" if letter in term)

    terms, result = spec.split("->")
    operands, grouped = [], []
    for term, array in zip(terms.split(","), (a, b)):
        at = split(term)
        grouped.append(term[:at] + "g" + term[at:])
        operands.append(array.reshape(array.shape[:at] + (groups, array.shape[at] // groups)
                                      + array.shape[at + 1:]))
    at = split(result)
    out = np.einsum(",".join(grouped) + "->" + result[:at] + "g" + result[at:], *operands,
                    optimize=True)
    return out.reshape(out.shape[:at] + (out.shape[at] * out.shape[at + 1],)
                       + out.shape[at + 2:])


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
        x, weight = to_tensor(input), to_tensor(weight)
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
            bias = to_tensor(bias)
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
        ctx.grid, ctx.groups, ctx.shape = grid, groups, x.shape
        padded, n = _padded(x, grid.sides), len(grid.kernel)
        ctx.save_for_backward(padded, w)
        out = _einsum("ncOK,ocK->noO", _windows(padded, grid), w, groups, n)
        return out + bias[0].reshape((-1,) + (1,) * n) if bias else out

    def backward(ctx, g):
        (padded, w), grid, n = ctx.saved_tensors, ctx.grid, len(ctx.grid.kernel)
        needs = ctx.needs_input_grad
        gw = _einsum("noO,ncOK->ocK", g, _windows(padded, grid), ctx.groups, n) \
            if needs[1] else None
        gx = None
        if needs[0]:
            full = np.zeros(padded.shape, dtype=g.dtype)
            _add_windows(full, _einsum("noO,ocK->ncOK", g, w, ctx.groups, n), grid)
            gx = _cropped(full, grid.sides, ctx.shape[2:])
        if len(needs) == 2:
            return gx, gw
        return gx, gw, (g.sum(axis=(0,) + tuple(range(2, 2 + n))) if needs[2] else None)


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
    stride = kernel if stride is None else sizes(op, "stride", stride, n)
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


def _inside(grid: _Grid, size: tuple) -> np.ndarray | None:
    """(out..., prod(kernel)): True where a window's entry lies in the input, not in its
    padding; None where no window reaches the padding."""
    if not any(sum(grid.sides, ())):
        return None
    n, inside = len(grid.kernel), np.ones((), bool)
    for axis, (c, s, (b, _), k, d, m) in enumerate(zip(grid.counts, grid.stride, grid.sides,
                                                       grid.kernel, grid.dilation, size)):
        at = (np.arange(c) * s - b)[:, None] + np.arange(k) * d  # (windows, kernel)
        shape = [1] * (2 * n)
        shape[axis], shape[n + axis] = c, k
        inside = inside & ((at >= 0) & (at < m)).reshape(shape)
    return inside.reshape(grid.counts + (-1,))


def window_argmax(values: np.ndarray, inside: np.ndarray | None = None) -> np.ndarray:
    """The position along the last axis of each row's maximum, as PyTorch's max pools
    choose it: the first of tied maxima, the last NaN where a row holds one; never a
    position `inside` (broadcast against values) marks False."""
    if inside is None:  # (argmax: the first of tied maxima; of NaNs the first: see below)
        position = values.argmax(axis=-1)
    else:  # (a padding's -inf or smallest int may tie with the maximum: not it)
        position = ((values == values.max(axis=-1, keepdims=True)) & inside).argmax(axis=-1)
    if values.dtype.kind in "fc":
        nan = np.isnan(values)  # (padding is never NaN)
        if nan.any():
            last = values.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
            position = np.where(nan.any(axis=-1), last, position)
    return position


def _smallest(dtype: np.dtype) -> Any:
    """The padding of a max pool: -inf, or an integer dtype's smallest value (False)."""
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf


def max_pool_indices(x: np.ndarray, grid: _Grid) -> np.ndarray:
    """PyTorch's indices of a max pool: for each window, the flat position of its maximum
    within its (batch, channel) plane or volume (`window_argmax`'s choice): row * width +
    column of an image, (depth * height + row) * width + column of a volume."""
    windows = _windows(_padded(x, grid.sides, _smallest(x.dtype)), grid)
    n = len(grid.kernel)
    position = window_argmax(windows.reshape(windows.shape[:2 + n] + (math.prod(grid.kernel),)),
                             _inside(grid, x.shape[2:]))
    flat = np.zeros((), np.int64)
    for axis, (at, d, s, (b, _), c, m) in enumerate(zip(
            np.unravel_index(position, grid.kernel), grid.dilation, grid.stride, grid.sides,
            grid.counts, x.shape[2:])):  # each window's start along the axis, broadcast
        flat = flat * m + at * d + (np.arange(c) * s - b).reshape((c,) + (1,) * (n - 1 - axis))
    return flat.astype(np.int64)


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
        x = to_tensor(input)
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
        (saved,), shape = ctx.saved_tensors, ctx.shape
        at = saved if ctx.found else max_pool_indices(saved, ctx.grid)
        planes, plane = shape[0] * shape[1], math.prod(shape[2:])
        flat = at.reshape(planes, math.prod(g.shape[2:])) + (np.arange(planes) * plane)[:, None]
        grad = np.bincount(flat.ravel(), weights=g.ravel(), minlength=planes * plane)
        return grad.astype(g.dtype, copy=False).reshape(shape)


class MaxPool3d(MaxPool2d, register=False, name="max_pool3d"):
    """The largest entry of each window of a volume (PyTorch's F.max_pool3d): `MaxPool2d`
    over (batch, C, depth, height, width) or one (C, depth, height, width), the arguments
    an int or (depth, height, width), each index (depth * height + row) * width + column.
    Called by `nn.functional.max_pool3d` (not registered as a `tg.` function).

    forward: `out[n, c] = max of window[n, c]`
    gradient: `g` to each window's largest entry (the one its index names), added up
    """

    n = 3


def _divisors(grid: _Grid, size: tuple, count_include_pad: bool) -> np.ndarray:
    """(out...): PyTorch's divisor of each window of an average pool, the entries of the
    window within the input and its padding (or the input alone)."""
    axes = []
    for c, s, k, (p, _), n in zip(grid.counts, grid.stride, grid.kernel, grid.sides, size):
        start = np.arange(c) * s - p
        end = np.minimum(start + k, n + p)
        axes.append(end - start if count_include_pad else
                    np.minimum(end, n) - np.maximum(start, 0))
    return functools.reduce(np.multiply.outer, axes)


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
        x = to_tensor(input)
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
        return _windows(_padded(x, grid.sides), grid).sum(
            axis=tuple(range(-len(grid.kernel), 0))) / ctx.divisor

    def backward(ctx, g):
        grid, size = ctx.grid, ctx.shape[2:]
        full = np.zeros(ctx.shape[:2] + tuple(m + b + a for m, (b, a) in zip(size, grid.sides)),
                        dtype=g.dtype)
        share = (g / ctx.divisor)[(Ellipsis,) + (None,) * len(size)]
        _add_windows(full, np.broadcast_to(share, g.shape + grid.kernel), grid)
        return _cropped(full, grid.sides, size)


class AvgPool3d(AvgPool2d, register=False, name="avg_pool3d"):
    """The mean of each window of a volume (PyTorch's F.avg_pool3d): `AvgPool2d` over
    (batch, C, depth, height, width) or one (C, depth, height, width), the arguments an
    int or (depth, height, width), the divisor as PyTorch's. Called by
    `nn.functional.avg_pool3d` (not registered as a `tg.` function).

    forward: `out[n, c] = sum of window[n, c] / divisor`
    gradient: `g / divisor` to every entry of each window, added up over windows
    """

    n = 3

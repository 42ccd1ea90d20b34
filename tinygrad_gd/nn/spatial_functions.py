"""PyTorch's `F` functions over channels and positions that the 2-d ops do not cover:
`dropout1d`, `dropout2d` (whole channels zeroed); the adaptive pools (the output's size
given, the windows found: `adaptive_avg_pool1d/2d`, `adaptive_max_pool1d/2d` and their
`_with_indices` forms); `conv1d`, `max_pool1d` (`max_pool1d_with_indices`,
`max_pool2d_with_indices`), `avg_pool1d` over (batch, channels, length) or unbatched
(channels, length).

The 1-d ones are the 2-d ops (`tg.conv2d`, `tg.max_pool2d`, `tg.avg_pool2d`) on the input
with a unit height (and a batch of one, added and removed in the graph, for unbatched
input): one node each in the graph, their gradients the ops'; their arguments are checked
first, so that an error names the 1-d function and shapes. The adaptive pools are the 2-d
pools where the windows are all alike, else composed of Tensor ops (per axis, each
window's entries taken and averaged, so a NaN or inf stays in its own windows; `gather`
at PyTorch's indices of the maxima): gradients come from `backward()`. Their helpers are
written over n axes, for the 3-d ones too (volumetric_functions.py).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as tg
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.convolution import (conv_groups, conv_padding, padding_only, pool_count, single,
                               window_argmax)
from ..tensor import Tensor
from .activation_functions import _new_or_written
from .layer_arguments import _as_tensor, _check_probability, _constant, _dropout_mask, _named

__all__ = ["dropout1d", "dropout2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "conv1d",
           "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "max_pool1d_with_indices", "max_pool2d_with_indices"]


# ------------------------------------------------------------------ channel dropout


def _channel_dropout(where: str, input: Any, p: Any, training: Any, generator: Any,
                     inplace: Any, shapes: dict[int, str], unbatched: int = 0) -> Tensor:
    """Zero each (sample's) channel with probability p, scale the rest by 1 / (1 - p):
    one draw per channel, `shapes` the input ranks taken ({rank: what it means}), the
    rank `unbatched` without a batch axis; `inplace`: written into the input, returned."""
    input = _as_tensor(where, input)
    p = _check_probability(where, p, "a channel")
    training = check_flag(where, "training", training)
    inplace = check_flag(where, "inplace", inplace)
    if input.ndim not in shapes:
        taken = " or ".join(shapes.values())
        hint = ("; a (batch, features) input drops single entries: use dropout (nn.Dropout), "
                "as PyTorch's deprecation warning for it says") if input.ndim == 2 else ""
        raise ShapeError(f"{where}: expected input of shape {taken}, got shape "
                         f"{input.shape}{hint}")
    if not training or p == 0:
        return input  # (inplace=True too: the input, unchanged, as PyTorch's)
    channels = input.shape[:1 if input.ndim == unbatched else 2]
    mask_shape = channels + (1,) * (input.ndim - len(channels))
    return _new_or_written(where, inplace, lambda x: x * _dropout_mask(
        where, mask_shape, p, generator, x.dtype, f"{where} mask"), input)


def dropout1d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: np.random.Generator | None = None) -> Tensor:
    """Channel dropout for (batch, C, length) or unbatched (C, length) input: each channel
    of each sample zeroed whole with probability p, the rest scaled by 1 / (1 - p); the
    identity when training=False (PyTorch's dropout1d). `generator` (a NumPy Generator, by
    keyword) draws the mask, as `dropout`'s; `inplace=True` writes into the input, as
    `dropout`'s."""
    return _channel_dropout("dropout1d", input, p, training, generator, inplace,
                            {2: "(C, length)", 3: "(batch, C, length)"}, unbatched=2)


def dropout2d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: np.random.Generator | None = None) -> Tensor:
    """Channel dropout for (batch, C, height, width) images: each channel of each sample
    zeroed whole with probability p, the rest scaled by 1 / (1 - p) (PyTorch's dropout2d).
    A 3-d input is read as (batch, C, length), as PyTorch's reads it (with a warning
    there): an unbatched (C, height, width) image needs x.unsqueeze(0). Other ranks are
    refused (PyTorch warns and goes on)."""
    return _channel_dropout("dropout2d", input, p, training, generator, inplace,
                            {3: "(batch, C, length)", 4: "(batch, C, height, width)"})


# ------------------------------------------------------------------ adaptive pools


def _output_size(where: str, output_size: Any, spatial: tuple[int, ...]) -> tuple[int, ...]:
    """PyTorch's output_size of an n-d adaptive pool (n = len(spatial)): an int, or n ints
    or None (None: the input's size)."""
    n = len(spatial)
    if output_size is None or isinstance(output_size, (int, np.integer)):
        output_size = (output_size,) * n
    try:
        entries = tuple(output_size) if not isinstance(output_size, (str, bytes)) else ()
    except TypeError:
        entries = ()
    if len(entries) != n or any(m is not None and (isinstance(m, bool) or not isinstance(
            m, (int, np.integer)) or m < 1) for m in entries):
        several = "a pair" if n == 2 else f"{n}"
        raise ValueError(f"{where}: output_size must be an int >= 1 or {several} of them (None "
                         f"keeps the input's size), got {output_size!r}")
    return tuple(int(size if m is None else m) for m, size in zip(entries, spatial))


def _windows(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's windows of an adaptive pool: [floor(i * size / out), ceil((i + 1) * size /
    out)) for each of the `out` outputs."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


_AXES = {1: "length", 2: "height, width", 3: "depth, height, width"}  # for the messages


def _adaptive_input(where: str, input: Any, n: int = 2) -> Tensor:
    input = _as_tensor(where, input)
    if input.ndim not in (n + 1, n + 2) or 0 in input.shape[-n:]:
        axes = _AXES[n]
        raise ShapeError(f"{where}: expected input of shape (batch, C, {axes}) or (C, {axes}) "
                         f"with {axes} >= 1, got {input.shape}")
    return input


def _window_means(x: Tensor, axis: int, out: int) -> Tensor:
    """The mean of each of the `out` windows (`_windows`) along `axis` (from 0): each
    window's entries gathered, padded to the longest window's length with its last entry,
    the padding left out by `where`, then summed and divided by the window's length. (Not
    a matmul with an averaging matrix: its 0 times a NaN or inf of another window is NaN.)"""
    bounds = np.array(_windows(x.shape[axis], out))
    lengths = bounds[:, 1] - bounds[:, 0]
    offsets = np.arange(lengths.max())
    index = np.minimum(bounds[:, :1] + offsets, bounds[:, 1:] - 1)  # (out, longest)
    after = (1,) * (x.ndim - axis - 1)  # (the axes after `axis` broadcast)
    inside = (offsets < lengths[:, None]).reshape(index.shape + after)
    sums = tg.where(inside, x.take(index, axis=axis), 0.0).sum(axis=axis + 1)
    return sums / _constant(lengths.reshape((out,) + after), "window sizes", x.dtype)


def _unbatched(result: Any, batched: bool) -> Any:
    """A result (or a tuple of them: values, indices) without the batch of one added."""
    if batched:
        return result
    return tuple(part.squeeze(0) for part in result) if isinstance(result, tuple) else \
        result.squeeze(0)


def _pooled(input: Tensor, pool: Any, size: tuple[int, ...]) -> Any:
    """The n-d pool `pool` (n = len(size)) where each axis divides into its output's size
    alike (one op node), else None."""
    n, spatial = len(size), input.shape[-len(size):]
    if any(m % k for m, k in zip(spatial, size)):
        return None
    kernel = tuple(m // k for m, k in zip(spatial, size))
    out = pool(input if input.ndim == n + 2 else input.unsqueeze(0), kernel, kernel)
    return _unbatched(out, input.ndim == n + 2)


def _adaptive_avg(where: str, pool: Any, input: Any, output_size: Any, n: int) -> Tensor:
    """An n-d adaptive average pool (n = 2, 3): the n-d average pool `pool` where the
    windows are alike, else `_window_means` axis by axis."""
    input = _adaptive_input(where, input, n)
    size = _output_size(where, output_size, input.shape[-n:])
    pooled = _pooled(input, pool, size)
    if pooled is not None:
        return pooled
    for k, out in enumerate(size):  # axis by axis (an axis kept whole: as it is)
        axis = input.ndim - n + k
        if out != input.shape[axis]:
            input = _window_means(input, axis, out)
    return input


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """The mean of each window of an image split into `output_size` (an int, a pair, None
    for the input's size) windows of (nearly) equal size: PyTorch's adaptive_avg_pool2d
    and its windows [floor(i * in / out), ceil((i + 1) * in / out)), which may overlap.
    Input (batch, C, height, width) or (C, height, width)."""
    return _adaptive_avg("adaptive_avg_pool2d", tg.avg_pool2d, input, output_size, 2)


def _adaptive_indices(x: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """(..., out...): the flat position (row * width + column of an image) of each n-d
    adaptive window's maximum in its plane or volume, PyTorch's choice among ties and NaN
    (`window_argmax`)."""
    n, spatial = len(size), x.shape[-len(size):]
    bounds = [_windows(m, k) for m, k in zip(spatial, size)]
    out = np.empty(x.shape[:-n] + size, np.int64)
    for at in np.ndindex(*size):
        window = [axis[i] for axis, i in zip(bounds, at)]
        lengths = tuple(end - start for start, end in window)
        block = x[(Ellipsis,) + tuple(slice(start, end) for start, end in window)]
        position = window_argmax(block.reshape(x.shape[:-n] + (math.prod(lengths),)))
        flat = np.zeros((), np.int64)
        for offset, (start, _), m in zip(np.unravel_index(position, lengths), window, spatial):
            flat = flat * m + start + offset
        out[(Ellipsis,) + at] = flat
    return out


def _adaptive_max(where: str, pool: Any, input: Any, output_size: Any, return_indices: Any,
                  n: int) -> Any:
    """An n-d adaptive max pool: the n-d max pool `pool` where the windows are alike, else
    `gather` at PyTorch's indices of the maxima."""
    indices = check_flag(where, "return_indices", return_indices)
    input = _adaptive_input(where, input, n)
    size = _output_size(where, output_size, input.shape[-n:])
    pooled = _pooled(input, lambda x, kernel, stride: pool(
        x, kernel, stride, return_indices=indices), size)
    if pooled is not None:
        return pooled
    at = _adaptive_indices(input._data, size)
    lead = input.shape[:-n]
    values = input.reshape(lead + (math.prod(input.shape[-n:]),)).gather(
        -1, at.reshape(lead + (math.prod(size),))).reshape(at.shape)
    return (values, Tensor.from_op(at, None)) if indices else values


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False) -> Any:
    """The largest entry of each window of an image split into `output_size` windows (an
    int, a pair, None for the input's size), PyTorch's windows as `adaptive_avg_pool2d`'s;
    (values, indices) with return_indices=True, each index row * width + column in its
    plane. Tied maxima: the gradient goes to the one the index names, as PyTorch's."""
    return _adaptive_max("adaptive_max_pool2d", tg.max_pool2d, input, output_size,
                         return_indices, 2)


def adaptive_max_pool2d_with_indices(input: Any, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """`adaptive_max_pool2d` with return_indices=True, whatever return_indices says
    (PyTorch's)."""
    check_flag("adaptive_max_pool2d_with_indices", "return_indices", return_indices)
    return adaptive_max_pool2d(input, output_size, True)


def _adaptive_1d(where: str, pool: Any, input: Any, output_size: Any, *extra: Any) -> Any:
    """A 1-d adaptive pool: the 2-d one over a unit height."""
    input = _adaptive_input(where, input, 1)
    length = single(where, "output_size", output_size)
    out = pool(_image(input), (1, length), *extra)
    return tuple(part.squeeze(-2) for part in out) if isinstance(out, tuple) else \
        out.squeeze(-2)


def adaptive_avg_pool1d(input: Any, output_size: Any) -> Tensor:
    """The mean of each of `output_size` windows along the length of (batch, C, length)
    or (C, length) input: PyTorch's adaptive_avg_pool1d, `adaptive_avg_pool2d`'s windows."""
    return _adaptive_1d("adaptive_avg_pool1d", adaptive_avg_pool2d, input, output_size)


def adaptive_max_pool1d(input: Any, output_size: Any, return_indices: bool = False) -> Any:
    """The largest entry of each of `output_size` windows along the length of (batch, C,
    length) or (C, length) input (PyTorch's adaptive_max_pool1d); (values, indices) with
    return_indices=True. Tied maxima as `adaptive_max_pool2d`'s."""
    check_flag("adaptive_max_pool1d", "return_indices", return_indices)
    return _adaptive_1d("adaptive_max_pool1d", adaptive_max_pool2d, input, output_size,
                        return_indices)


def adaptive_max_pool1d_with_indices(input: Any, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """`adaptive_max_pool1d` with return_indices=True, whatever return_indices says
    (PyTorch's)."""
    check_flag("adaptive_max_pool1d_with_indices", "return_indices", return_indices)
    return adaptive_max_pool1d(input, output_size, True)


# ------------------------------------------------------------------ 1-d convolution and pools


def _image(t: Tensor, axis: int = -2) -> Tensor:
    """A sequence as an image of height 1, for the 2-d op a 1-d function runs; named where
    it is a constant (an unsqueeze of a tensor without a graph gives a new leaf, which a
    diagram would draw as the user's input, with the unit height)."""
    return _named(t.unsqueeze(axis), f"{t.name or 'input'} (as an image of height 1)")


def _sequences(where: str, input: Any, like: Tensor | None = None) -> Tensor:
    """A (batch, C, length) or unbatched (C, length) input, checked."""
    input = _as_tensor(where, input, like)
    if input.ndim not in (2, 3):
        raise ShapeError(f"{where}: expected input of shape (batch, channels, length) or "
                         f"unbatched (channels, length), got shape {input.shape}")
    return input


def _over_a_batch(input: Tensor, run: Any) -> Any:
    """run(input) of a (batch, C, length) input; an unbatched one given a batch of one and
    the result's (each of them) taken out, in the graph (as PyTorch's 1-d functions)."""
    if input.ndim == 3:
        return run(input)
    return _unbatched(run(input.unsqueeze(0)), False)


def _check_fits(where: str, input: Tensor, kernel: int, before: int, after: int,
                dilation: int = 1, count: int | None = None) -> None:
    """The kernel within the padded length (`count` windows, where given): checked here,
    in 1-d terms, before the 2-d op would name itself and its (batch, C, 1, length)
    shapes."""
    span = dilation * (kernel - 1) + 1
    if (span > input.shape[-1] + before + after) if count is None else count < 1:
        padded = f"padded by {before}" + ("" if before == after else f" and {after}")
        dilated = "" if dilation == 1 else f" dilated by {dilation} (spanning {span})"
        room = input.shape[-1] + before + after
        advice = f"a kernel of at most {room}" if dilation == 1 else "a smaller dilation"
        raise ShapeError(f"{where}: a kernel of length {kernel}{dilated} does not fit the "
                         f"input's length {input.shape[-1]} {padded} (input shape "
                         f"{input.shape}); use {advice} or more padding")


def _only_default(where: str, name: str, value: Any, default: Any, parse: Any = None
                  ) -> None:
    """Refused unless PyTorch's default, the only value supported, read by `parse(where,
    name, value)` (by default: a flag as True or False, NumPy's bool too, by `check_flag`;
    anything else as given), as PyTorch takes it, and of the default's kind (`_is_default`)."""
    if parse is None:
        parse = check_flag if isinstance(default, bool) else lambda where, name, value: value
    if not _is_default(parse(where, name, value), default):
        raise ValueError(f"{where}: {name}={value!r} is not supported, only {name}={default!r}")


def _is_default(value: Any, default: Any) -> bool:
    """`value` equals `default` and is of its kind: a bool for a bool (not 1 for True), an
    int for an int (not True for 1, nor 1.0), else `default`'s type (a string, None)."""
    if isinstance(default, bool):
        return isinstance(value, (bool, np.bool_)) and value == default
    if isinstance(default, int):
        return (isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                and value == default)
    return isinstance(value, type(default)) and value == default


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """A 1-d convolution (PyTorch's conv1d, a cross-correlation) of (batch, in_channels,
    length) or unbatched (in_channels, length) input with weight (out_channels,
    in_channels / groups, k), bias (out_channels,); `padding` an int or PyTorch's "valid"
    or "same" (the odd zero after, as PyTorch's), `dilation` the kernel's entries apart.
    It is `tg.conv2d` over a unit height."""
    weight = _as_tensor("conv1d", weight, None, "weight")
    if weight.ndim != 3:
        raise ShapeError(f"conv1d: weight of shape {weight.shape} must be (out_channels, "
                         f"in_channels / groups, k)")
    input = _sequences("conv1d", input, weight)
    groups = conv_groups("conv1d", groups, weight.shape)
    if input.shape[-2] != weight.shape[1] * groups:
        grouped = "" if groups == 1 else f" (groups={groups})"
        raise ShapeError(f"conv1d: weight of shape {weight.shape} takes "
                         f"{weight.shape[1] * groups} input channels{grouped}, but the input "
                         f"of shape {input.shape} has {input.shape[-2]} (axis {input.ndim - 2})")
    if bias is not None:
        bias = _as_tensor("conv1d", bias, weight, "bias")
        if bias.shape != weight.shape[:1]:
            raise ShapeError(f"conv1d: bias of shape {bias.shape} does not fit a weight of "
                             f"shape {weight.shape}; expected ({weight.shape[0]},)")
    step, kernel = single("conv1d", "stride", stride), weight.shape[2]
    apart = single("conv1d", "dilation", dilation)
    (before, after), = conv_padding("conv1d", padding, (kernel,), (step,), (apart,))
    _check_fits("conv1d", input, kernel, before, after, apart)
    return _over_a_batch(input, lambda batch: tg.conv2d(
        _image(batch, 2), _image(weight, 2), bias, (1, step),
        padding if isinstance(padding, str) else (0, before), (1, apart), groups).squeeze(2))


def _pool1d(where: str, pool: Any, input: Any, kernel_size: Any, stride: Any, padding: Any,
            dilation: Any, ceil_mode: Any, *options: Any) -> Any:
    """A 1-d pool: the 2-d one (called as `tg.max_pool2d`: kernel, stride, padding,
    dilation, ceil_mode, *options) over a unit height, its arguments checked in 1-d terms."""
    kernel = single(where, "kernel_size", kernel_size)
    # (None or an empty tuple: the kernel's, as PyTorch's)
    given = stride is not None and not (isinstance(stride, (tuple, list)) and not stride)
    step = single(where, "stride", stride) if given else kernel
    pad, apart = single(where, "padding", padding, low=0), single(where, "dilation", dilation)
    ceil_mode = check_flag(where, "ceil_mode", ceil_mode)
    if 2 * pad > kernel:
        raise ShapeError(f"{where}: padding {pad} must be at most half the kernel_size "
                         f"{kernel} (as PyTorch's), or a window could see only padding")
    input = _sequences(where, input)
    count = pool_count(input.shape[-1], kernel, step, pad, apart, ceil_mode)
    _check_fits(where, input, kernel, pad, pad, apart, count)
    if padding_only(input.shape[-1], kernel, step, pad, apart, count):
        raise ShapeError(f"{where}: with dilation {apart} and padding {pad}, a window of the "
                         f"kernel_size {kernel} holds only padding (input shape {input.shape}); "
                         f"use less padding or a smaller dilation")
    return _over_a_batch(input, lambda batch: _unheight(pool(
        _image(batch, 2), (1, kernel), (1, step), (0, pad), (1, apart), ceil_mode, *options)))


def _avg_pool2d(x: Tensor, kernel: Any, stride: Any, padding: Any, dilation: Any,
                ceil_mode: Any, *options: Any) -> Tensor:
    """`tg.avg_pool2d` called as `tg.max_pool2d` (its dilation is 1), for `_pool1d`."""
    return tg.avg_pool2d(x, kernel, stride, padding, ceil_mode, *options)


def _unheight(result: Any) -> Any:
    """A 2-d pool's result (or values and indices) without the unit height."""
    return tuple(part.squeeze(2) for part in result) if isinstance(result, tuple) else \
        result.squeeze(2)


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Any:
    """The largest entry of each `kernel_size` window along the length of (batch, C,
    length) or unbatched (C, length) input, stepping by `stride` (the kernel's by
    default), -inf `padding`, `dilation` and `ceil_mode` as PyTorch's max_pool1d;
    (values, indices) with return_indices=True. Tied maxima: the gradient goes to the
    one the index names, as PyTorch's."""
    indices = check_flag("max_pool1d", "return_indices", return_indices)
    return _pool1d("max_pool1d", tg.max_pool2d, input, kernel_size, stride, padding,
                   dilation, ceil_mode, indices)


def max_pool1d_with_indices(input: Any, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """`max_pool1d` with return_indices=True, whatever return_indices says (PyTorch's)."""
    check_flag("max_pool1d_with_indices", "return_indices", return_indices)
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Any, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """`tg.max_pool2d` with return_indices=True, whatever return_indices says (PyTorch's)."""
    check_flag("max_pool2d_with_indices", "return_indices", return_indices)
    return tg.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean of each `kernel_size` window along the length of (batch, C, length) or (C,
    length) input, stepping by `stride` (the kernel's by default), zero `padding`,
    `ceil_mode` and the divisor (the padding counted unless count_include_pad=False) as
    PyTorch's avg_pool1d."""
    include = check_flag("avg_pool1d", "count_include_pad", count_include_pad)
    return _pool1d("avg_pool1d", _avg_pool2d, input, kernel_size, stride, padding, 1,
                   ceil_mode, include)


"""PyTorch's `F` functions over channels and positions that the 2-d ops do not cover:
`dropout1d`, `dropout2d` (whole channels zeroed), `adaptive_avg_pool2d`,
`adaptive_max_pool2d` (the output's size given, the windows found), and `conv1d`,
`max_pool1d`, `avg_pool1d` over (batch, channels, length) or unbatched (channels, length).

The 1-d ones are the 2-d ops (`tg.conv2d`, `tg.max_pool2d`, `tg.avg_pool2d`) on the input
with a unit height (and a batch of one, added and removed in the graph, for unbatched
input): one node each in the graph, their gradients the ops'; their arguments are checked
first, so that an error names the 1-d function and shapes. The adaptive pools are the 2-d
pools where the windows are all alike, else composed of Tensor ops (slices, `max`, a
matmul with an averaging matrix, named so in diagrams): gradients come from `backward()`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as tg
from ..grad_mode import check_flag
from ..ops.convolution import conv_padding, single
from ..tensor import Tensor
from .layer_functions import _as_tensor, _check_probability, _dropout_mask

__all__ = ["dropout1d", "dropout2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "conv1d",
           "max_pool1d", "avg_pool1d"]


# ------------------------------------------------------------------ channel dropout


def _channel_dropout(where: str, input: Any, p: Any, training: Any, generator: Any,
                     inplace: Any, shapes: dict[int, str], unbatched: int = 0) -> Tensor:
    """Zero each (sample's) channel with probability p, scale the rest by 1 / (1 - p):
    one draw per channel, `shapes` the input ranks taken ({rank: what it means}), the
    rank `unbatched` without a batch axis."""
    input = _as_tensor(where, input)
    _check_probability(where, p, "a channel")
    training = check_flag(where, "training", training)
    check_flag(where, "inplace", inplace)
    if input.ndim not in shapes:
        taken = " or ".join(shapes.values())
        raise ValueError(f"{where}: expected input of shape {taken}, got shape {input.shape}")
    if not training or p == 0:
        return input
    channels = input.shape[:1 if input.ndim == unbatched else 2]
    mask_shape = channels + (1,) * (input.ndim - len(channels))
    return input * _dropout_mask(where, mask_shape, p, generator, input.dtype, f"{where} mask")


def dropout1d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: np.random.Generator | None = None) -> Tensor:
    """Channel dropout for (batch, C, length) or unbatched (C, length) input: each channel
    of each sample zeroed whole with probability p, the rest scaled by 1 / (1 - p); the
    identity when training=False (PyTorch's dropout1d). `generator` (a NumPy Generator, by
    keyword) draws the mask, as `dropout`'s; `inplace=True` is computed out of place."""
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


def _output_size(where: str, output_size: Any, spatial: tuple[int, int]) -> tuple[int, int]:
    """PyTorch's output_size: an int, or a pair of ints or None (None: the input's size)."""
    if output_size is None or isinstance(output_size, (int, np.integer)):
        output_size = (output_size, output_size)
    try:
        entries = tuple(output_size) if not isinstance(output_size, (str, bytes)) else ()
    except TypeError:
        entries = ()
    if len(entries) != 2 or any(n is not None and (isinstance(n, bool) or not isinstance(
            n, (int, np.integer)) or n < 1) for n in entries):
        raise ValueError(f"{where}: output_size must be an int >= 1 or a pair of them (None "
                         f"keeps the input's size), got {output_size!r}")
    return tuple(int(size if n is None else n) for n, size in zip(entries, spatial))


def _windows(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's windows of an adaptive pool: [floor(i * size / out), ceil((i + 1) * size /
    out)) for each of the `out` outputs."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _adaptive_input(where: str, input: Any) -> Tensor:
    input = _as_tensor(where, input)
    if input.ndim not in (3, 4) or 0 in input.shape[-2:]:
        raise ValueError(f"{where}: expected input of shape (batch, C, height, width) or (C, "
                         f"height, width) with height and width >= 1, got {input.shape}")
    return input


def _averaging(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """The (out, size) matrix whose row i averages window i of an axis."""
    matrix = np.zeros((out, size), dtype)
    for i, (start, end) in enumerate(_windows(size, out)):
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def _pooled(input: Tensor, pool: Any, size: tuple[int, int]) -> Tensor | None:
    """The 2-d pool `pool` where each axis divides into its output's size alike (one op
    node), else None."""
    (height, width), (out_h, out_w) = input.shape[-2:], size
    if height % out_h or width % out_w:
        return None
    kernel = (height // out_h, width // out_w)
    batch = input if input.ndim == 4 else input.unsqueeze(0)
    out = pool(batch, kernel, kernel)
    return out if input.ndim == 4 else out.squeeze(0)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """The mean of each window of an image split into `output_size` (an int, a pair, None
    for the input's size) windows of (nearly) equal size: PyTorch's adaptive_avg_pool2d
    and its windows [floor(i * in / out), ceil((i + 1) * in / out)), which may overlap.
    Input (batch, C, height, width) or (C, height, width)."""
    input = _adaptive_input("adaptive_avg_pool2d", input)
    size = _output_size("adaptive_avg_pool2d", output_size, input.shape[-2:])
    pooled = _pooled(input, tg.avg_pool2d, size)
    if pooled is not None:
        return pooled
    dtype = input.dtype if input.dtype.kind == "f" else np.dtype(np.float64)
    rows = Tensor.from_op(_averaging(input.shape[-2], size[0], dtype), None)
    columns = Tensor.from_op(_averaging(input.shape[-1], size[1], dtype).T, None)
    # named: a diagram would draw them as the user's inputs
    rows.name, columns.name = "averaging matrix (rows)", "averaging matrix (columns)"
    return (rows @ input) @ columns


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False) -> Tensor:
    """The largest entry of each window of an image split into `output_size` windows (an
    int, a pair, None for the input's size), PyTorch's windows as `adaptive_avg_pool2d`'s.
    Tied maxima share the gradient evenly, as `tg.max_pool2d`'s (PyTorch gives it to the
    index it returns); return_indices is supported only as False."""
    if check_flag("adaptive_max_pool2d", "return_indices", return_indices):
        raise ValueError("adaptive_max_pool2d: return_indices=True is not supported; take "
                         "the indices from the values, e.g. with argmax over a window")
    input = _adaptive_input("adaptive_max_pool2d", input)
    size = _output_size("adaptive_max_pool2d", output_size, input.shape[-2:])
    pooled = _pooled(input, tg.max_pool2d, size)
    if pooled is not None:
        return pooled
    rows = [tg.stack([input[..., top:bottom, left:right].max(axis=(-2, -1))
                      for left, right in _windows(input.shape[-1], size[1])], axis=-1)
            for top, bottom in _windows(input.shape[-2], size[0])]
    return tg.stack(rows, axis=-2)


# ------------------------------------------------------------------ 1-d convolution and pools


def _sequences(where: str, input: Any, like: Tensor | None = None) -> Tensor:
    """A (batch, C, length) or unbatched (C, length) input, checked."""
    input = _as_tensor(where, input, like)
    if input.ndim not in (2, 3):
        raise ValueError(f"{where}: expected input of shape (batch, channels, length) or "
                         f"unbatched (channels, length), got shape {input.shape}")
    return input


def _over_a_batch(input: Tensor, run: Any) -> Tensor:
    """run(input) of a (batch, C, length) input; an unbatched one given a batch of one and
    the result's taken out, in the graph (as PyTorch's 1-d functions take it)."""
    if input.ndim == 3:
        return run(input)
    return run(input.unsqueeze(0)).squeeze(0)


def _check_fits(where: str, input: Tensor, kernel: int, before: int, after: int) -> None:
    """The kernel within the padded length: checked here, in 1-d terms, before the 2-d op
    would name itself and its (batch, C, 1, length) shapes."""
    if kernel > input.shape[-1] + before + after:
        padded = f"padded by {before}" + ("" if before == after else f" and {after}")
        raise ValueError(f"{where}: a kernel of length {kernel} does not fit the input's "
                         f"length {input.shape[-1]} {padded} (input shape {input.shape}); use "
                         f"a kernel of at most {input.shape[-1] + before + after} or more "
                         f"padding")


_ORDER = {"Conv2d": "in_channels, out_channels, kernel_size, stride, padding, dilation, "
                     "groups, bias",
          "MaxPool2d": "kernel_size, stride, padding, dilation, return_indices, ceil_mode",
          "AvgPool2d": "kernel_size, stride, padding, ceil_mode, count_include_pad, "
                       "divisor_override"}  # (named in `_only_default`'s message)


def _only_default(where: str, name: str, value: Any, default: Any, parse: Any = None
                  ) -> None:
    """Refused unless PyTorch's default, the only value supported, read by `parse(where,
    name, value)` (by default: a flag as True or False, NumPy's bool too, by `check_flag`;
    anything else as given), as PyTorch takes it, and of the default's kind (`_is_default`).
    The one check of the 1-d and 2-d functions and layers (convolution.py's too); a layer
    in `_ORDER` has PyTorch's order of its arguments named in the message."""
    if parse is None:
        parse = check_flag if isinstance(default, bool) else lambda where, name, value: value
    if not _is_default(parse(where, name, value), default):
        order = _ORDER.get(where)
        raise ValueError(f"{where}: {name}={value!r} is not supported, only {name}={default!r}"
                         + (f" (the arguments are PyTorch's, in its order: {order})"
                            if order else ""))


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
    in_channels, k), bias (out_channels,); `padding` an int or PyTorch's "valid" or "same"
    (the odd zero after, as PyTorch's). It is `tg.conv2d` over a unit height. dilation
    and groups only at 1."""
    _only_default("conv1d", "dilation", dilation, 1, single)
    _only_default("conv1d", "groups", groups, 1)
    weight = _as_tensor("conv1d", weight, None, "weight")
    if weight.ndim != 3:
        raise ValueError(f"conv1d: weight of shape {weight.shape} must be (out_channels, "
                         f"in_channels, k)")
    input = _sequences("conv1d", input, weight)
    if input.shape[-2] != weight.shape[1]:
        raise ValueError(f"conv1d: weight of shape {weight.shape} takes {weight.shape[1]} "
                         f"input channels, but the input of shape {input.shape} has "
                         f"{input.shape[-2]} (axis {input.ndim - 2})")
    if bias is not None:
        bias = _as_tensor("conv1d", bias, weight, "bias")
        if bias.shape != weight.shape[:1]:
            raise ValueError(f"conv1d: bias of shape {bias.shape} does not fit a weight of "
                             f"shape {weight.shape}; expected ({weight.shape[0]},)")
    step, kernel = single("conv1d", "stride", stride), weight.shape[2]
    (before, after), = conv_padding("conv1d", padding, (kernel,), (step,))
    _check_fits("conv1d", input, kernel, before, after)
    return _over_a_batch(input, lambda batch: tg.conv2d(
        batch.unsqueeze(2), weight.unsqueeze(2), bias, (1, step),
        padding if isinstance(padding, str) else (0, before)).squeeze(2))


def _pool1d(where: str, pool: Any, input: Any, kernel_size: Any, stride: Any,
            padding: Any) -> Tensor:
    kernel = single(where, "kernel_size", kernel_size)
    step = kernel if stride is None else single(where, "stride", stride)
    pad = single(where, "padding", padding, low=0)
    if 2 * pad > kernel:
        raise ValueError(f"{where}: padding {pad} must be at most half the kernel_size "
                         f"{kernel} (as PyTorch's), or a window could see only padding")
    input = _sequences(where, input)
    _check_fits(where, input, kernel, pad, pad)
    return _over_a_batch(input, lambda batch: pool(batch.unsqueeze(2), (1, kernel), (1, step),
                                                   (0, pad)).squeeze(2))


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Tensor:
    """The largest entry of each `kernel_size` window along the length of (batch, C,
    length) or unbatched (C, length) input, stepping by `stride` (the kernel's by
    default), -inf `padding` (PyTorch's max_pool1d). Tied maxima share the gradient
    evenly, as `tg.max_pool2d`'s (PyTorch gives it to the index it returns). dilation,
    ceil_mode and return_indices only at PyTorch's defaults."""
    _only_default("max_pool1d", "dilation", dilation, 1, single)
    _only_default("max_pool1d", "ceil_mode", ceil_mode, False)
    _only_default("max_pool1d", "return_indices", return_indices, False)
    return _pool1d("max_pool1d", tg.max_pool2d, input, kernel_size, stride, padding)


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean of each `kernel_size` window along the length of (batch, C, length) or (C,
    length) input, stepping by `stride` (the kernel's by default), the zero `padding`
    counted in the mean (PyTorch's avg_pool1d). ceil_mode and count_include_pad only at
    PyTorch's defaults."""
    _only_default("avg_pool1d", "ceil_mode", ceil_mode, False)
    _only_default("avg_pool1d", "count_include_pad", count_include_pad, True)
    return _pool1d("avg_pool1d", tg.avg_pool2d, input, kernel_size, stride, padding)

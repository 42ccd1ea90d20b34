"""PyTorch's transposed convolutions and patches as functions: `conv_transpose1d`,
`conv_transpose2d`, `conv_transpose3d`, `unfold` (an image's sliding blocks as columns) and
`fold` (columns added back into an image, overlaps summed).

`unfold` and `fold` place the entries of blocks on an image: along an axis, entry i of
the kernel in block y sits at position `y * stride + i * dilation` of the axis padded by
`padding` on both sides. `unfold` gathers those positions from the zero-padded image
(`take`); `fold` adds each block's entries into zeros of the padded size at them
(`index_add`, named in diagrams), then cuts the padding off. A transposed convolution is
one op (ops/convolution.py's `ConvTranspose2d`, ...: a convolution's input gradient, with
the input in the gradient's place), the weight applied to each input position by a matmul
over its group's channels, each kernel entry's product added where it lands. Only
indexing and products over channels, no product with a 0/1 matrix: a NaN or inf reaches
only the outputs its entry reaches, as PyTorch's. Gradients come from `backward()` (the
gradient of a fold is an unfold, and of an unfold a fold; of the transposed convolution
a convolution). Float32 is kept; integer input is computed in the default float
(float64 unless tg.set_default_dtype changed it).
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..errors import ShapeError
from ..ops.arguments import integer
from ..ops.convolution import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, single, sizes
from ..ops.window_arguments import _n_ints
from ..ops.windows import _grid
from ..tensor import Tensor
from .layer_arguments import _as_tensor, _constant, _floated, _named
from .spatial_functions import _AXES

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold", "fold"]


class _Axis(NamedTuple):
    """One spatial axis of a placement: `blocks` windows of `kernel` entries over `size`
    positions (the padding not counted)."""
    size: int
    kernel: int
    blocks: int
    stride: int
    dilation: int
    padding: int


def _spatial(where: str, name: str, value: Any, n: int, low: int = 1) -> tuple[int, ...]:
    """kernel_size, stride, padding, dilation, output_padding of an n-d function: an int
    or n ints (1-d: an int or a tuple of one), each at least `low`."""
    if n == 1:
        return (single(where, name, value, low),)
    try:
        return sizes(where, name, value, n, low)
    except TypeError:  # (`sizes`'s names no argument for a tuple of non-ints)
        raise TypeError(f"{where}: {name} must be an int or {_n_ints(n)}, got "
                        f"{type(value).__name__} {value!r}") from None


def _check_output_padding(where: str, extra: tuple[int, ...], stride: tuple[int, ...],
                          dilation: tuple[int, ...]) -> None:
    """PyTorch's rule: each axis's output_padding smaller than its stride or dilation."""
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"{where}: output_padding {extra} must be smaller than the stride "
                         f"{stride} or the dilation {dilation}, axis by axis")


def _output_sizes(sizes: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                  padding: tuple[int, ...], dilation: tuple[int, ...],
                  extra: tuple[int, ...]) -> tuple[int, ...]:
    """A transposed convolution's output size per axis: (size - 1) * stride - 2 * padding
    + dilation * (kernel - 1) + output_padding + 1."""
    return tuple((b - 1) * s - 2 * p + d * (k - 1) + e + 1 for b, k, s, p, d, e in
                 zip(sizes, kernel, stride, padding, dilation, extra))


def _blocks(size: int, kernel: int, stride: int, dilation: int, padding: int) -> int:
    """How many windows fit an axis of `size` padded on both sides (PyTorch's count)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _positions(axis: _Axis) -> np.ndarray:
    """(kernel, blocks): the position of entry i of block y on the axis padded on both
    sides, y * stride + i * dilation."""
    return np.arange(axis.blocks) * axis.stride + np.arange(axis.kernel)[:, None] * axis.dilation


def _folded(where: str, blocks: Tensor, axes: tuple[_Axis, ...]) -> Tensor:
    """blocks (N, C, kernel..., blocks...) added into (N, C, size...): each entry at its
    position, overlapping blocks summed, entries in the padding dropped."""
    batch, channels, n = blocks.shape[0], blocks.shape[1], len(axes)
    padded = tuple(axis.size + 2 * axis.padding for axis in axes)
    order = tuple(a.kernel for a in axes) + tuple(a.blocks for a in axes)  # blocks' axes
    coordinates = []
    for j, axis in enumerate(axes):  # (kernel, blocks) placed at axes j and n + j
        view = [1] * (2 * n)
        view[j], view[n + j] = axis.kernel, axis.blocks
        coordinates.append(np.broadcast_to(_positions(axis).reshape(view), order))
    at = np.ravel_multi_index(coordinates, padded).ravel()
    zeros = _constant(np.zeros((batch, channels, math.prod(padded)), blocks.dtype),
                      f"{where} output (zeros)")
    out = zeros.index_add(2, at, blocks.reshape(batch, channels, at.size))
    out = out.reshape((batch, channels) + padded)
    if not any(axis.padding for axis in axes):
        return out
    return out[(slice(None),) * 2 + tuple(slice(a.padding, a.padding + a.size) for a in axes)]


def _batched(input: Tensor, n: int) -> Tensor:
    """A batch of one for an unbatched input (n + 1 axes), in the graph."""
    return input if input.ndim == n + 2 else input.unsqueeze(0)


def _conv_transpose(where: str, n: int, input: Any, weight: Any, bias: Any, stride: Any,
                    padding: Any, output_padding: Any, groups: Any, dilation: Any) -> Tensor:
    """conv_transpose1d, 2d, 3d (n = 1, 2, 3), checked, then placed."""
    spatial = _AXES[n]
    weight = _as_tensor(where, weight, None, "weight")
    if weight.ndim != n + 2 or 0 in weight.shape:
        raise ShapeError(f"{where}: weight of shape {weight.shape} must be (in_channels, "
                         f"out_channels / groups, {spatial} of the kernel), no size 0")
    input = _as_tensor(where, input, weight)
    if input.ndim not in (n + 1, n + 2) or 0 in input.shape[-n:]:
        raise ShapeError(f"{where}: expected input of shape (batch, in_channels, {spatial}) "
                         f"or unbatched (in_channels, {spatial}), no size 0 but the batch's; "
                         f"got shape {input.shape}")
    groups = integer(where, "groups", groups)
    in_channels, group_out = weight.shape[:2]
    if groups < 1 or in_channels % groups:
        raise ShapeError(f"{where}: groups={groups} must be >= 1 and divide the weight's "
                         f"in_channels (axis 0 of weight shape {weight.shape})")
    if input.shape[-n - 1] != in_channels:
        raise ShapeError(f"{where}: weight of shape {weight.shape} takes {in_channels} input "
                         f"channels, but the input of shape {input.shape} has "
                         f"{input.shape[-n - 1]} (axis {input.ndim - n - 1})")
    out_channels = group_out * groups
    if bias is not None:
        bias = _as_tensor(where, bias, weight, "bias")
        if bias.shape != (out_channels,):
            raise ShapeError(f"{where}: bias of shape {bias.shape} must be ({out_channels},): "
                             f"one per output channel (weight shape {weight.shape}, "
                             f"groups={groups})")
    kernel = weight.shape[2:]
    stride = _spatial(where, "stride", stride, n)
    padding = _spatial(where, "padding", padding, n, low=0)
    extra = _spatial(where, "output_padding", output_padding, n, low=0)
    dilation = _spatial(where, "dilation", dilation, n)
    _check_output_padding(where, extra, stride, dilation)
    sizes = input.shape[-n:]
    out = _output_sizes(sizes, kernel, stride, padding, dilation, extra)
    if min(out) < 1:
        raise ShapeError(f"{where}: the output's {spatial} would be {out} (input {sizes}, "
                         f"kernel {kernel}, stride {stride}, padding {padding}, dilation "
                         f"{dilation}, output_padding {extra}); use less padding")
    x = _batched(input, n)
    if input.ndim == n + 1:  # (of a constant: a new leaf, which a diagram would draw as an input)
        x = _named(x, f"{input.name or 'input'} (as a batch of one)")
    grid = _grid(kernel, stride, dilation, sizes, padding, out)
    op = {1: ConvTranspose1d, 2: ConvTranspose2d, 3: ConvTranspose3d}[n]
    result = op.apply(x, weight, grid=grid, groups=groups,
                      shape=(x.shape[0], out_channels) + out)
    if bias is not None:
        result = result + bias.reshape((out_channels,) + (1,) * n)
    return result if input.ndim == n + 2 else result.squeeze(0)


def conv_transpose1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """A 1-d transposed convolution (PyTorch's conv_transpose1d, the gradient of conv1d
    with respect to its input) of (batch, in_channels, length) or unbatched (in_channels,
    length) input with weight (in_channels, out_channels / groups, k) and bias
    (out_channels,): each input entry adds the kernel, times itself, to the output at
    `stride` steps. Output length (length - 1) * stride - 2 * padding + dilation * (k - 1)
    + output_padding + 1; output_padding (< stride or dilation) picks among the lengths a
    strided conv1d maps to the same input length."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """A 2-d transposed convolution (PyTorch's conv_transpose2d, the gradient of conv2d
    with respect to its input) of (batch, in_channels, height, width) or unbatched input
    with weight (in_channels, out_channels / groups, kh, kw) and bias (out_channels,);
    stride, padding, output_padding and dilation an int or a (height, width) pair. Each
    axis's output size is (size - 1) * stride - 2 * padding + dilation * (k - 1) +
    output_padding + 1; groups split the channels, group g's inputs feeding only its
    outputs."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """A 3-d transposed convolution (PyTorch's conv_transpose3d, the gradient of conv3d
    with respect to its input) of (batch, in_channels, depth, height, width) or unbatched
    input with weight (in_channels, out_channels / groups, kd, kh, kw) and bias
    (out_channels,); stride, padding, output_padding and dilation an int or (depth,
    height, width), each axis's output size as `conv_transpose2d`'s."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def _patch_arguments(where: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any
                     ) -> tuple[tuple[int, int], ...]:
    return (_spatial(where, "kernel_size", kernel_size, 2),
            _spatial(where, "dilation", dilation, 2),
            _spatial(where, "padding", padding, 2, low=0), _spatial(where, "stride", stride, 2))


def _image_axes(where: str, size: tuple[int, int], kernel: tuple[int, int], dilation: Any,
                padding: Any, stride: Any, shape: tuple) -> tuple[_Axis, _Axis]:
    """The two axes of an image of `size`, refused where the kernel does not fit."""
    counts = tuple(map(_blocks, size, kernel, stride, dilation, padding))
    if min(counts) < 1:
        raise ShapeError(f"{where}: a kernel of {kernel} with dilation {dilation} does not "
                         f"fit an image of {size} padded by {padding} (input shape {shape}); "
                         f"use a smaller kernel or dilation, or more padding")
    return tuple(map(_Axis, size, kernel, counts, stride, dilation, padding))


def unfold(input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """The sliding blocks of a (batch, C, height, width) or unbatched (C, height, width)
    image as columns (PyTorch's unfold, im2col): output (batch, C * kh * kw, blocks), the
    channel first, then the kernel's row and column; blocks in row-major order, each
    `kernel_size` entries `dilation` apart, stepping by `stride` over the image with zero
    `padding`. Each an int or a (height, width) pair."""
    kernel, dilation, padding, stride = _patch_arguments("unfold", kernel_size, dilation,
                                                         padding, stride)
    input = _as_tensor("unfold", input)
    if input.ndim not in (3, 4) or 0 in input.shape[-2:]:
        raise ShapeError(f"unfold: expected input of shape (batch, C, height, width) or "
                         f"unbatched (C, height, width), no size 0 but the batch's and C's; "
                         f"got shape {input.shape}")
    height, width = _image_axes("unfold", input.shape[-2:], kernel, dilation, padding, stride,
                                input.shape)
    x = _floated(_batched(input, 2))
    if height.padding or width.padding:
        x = x.pad([(0, 0), (0, 0), (height.padding,) * 2, (width.padding,) * 2])
    # (batch, C, kh, blocks down, kw, blocks across): each block's entries gathered
    gathered = x.take(_positions(height), 2).take(_positions(width), 4)
    batch, channels = x.shape[:2]
    out = gathered.permute(0, 1, 2, 4, 3, 5).reshape(
        batch, channels * height.kernel * width.kernel, height.blocks * width.blocks)
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Columns of sliding blocks added back into an image (PyTorch's fold, col2im; the
    inverse of `unfold` where blocks do not overlap, else overlaps summed): input (batch,
    C * kh * kw, blocks) or unbatched (C * kh * kw, blocks), output (batch, C,
    *output_size). The blocks must be as many as `unfold` makes from an image of
    output_size with the same kernel_size, dilation, padding and stride."""
    size = _spatial("fold", "output_size", output_size, 2)
    kernel, dilation, padding, stride = _patch_arguments("fold", kernel_size, dilation,
                                                         padding, stride)
    input = _as_tensor("fold", input)
    kernel_entries = kernel[0] * kernel[1]
    if input.ndim not in (2, 3) or input.shape[-2] % kernel_entries:
        raise ShapeError(f"fold: expected input of shape (batch, C * {kernel[0]} * "
                         f"{kernel[1]}, blocks) or unbatched (C * {kernel[0]} * {kernel[1]}, "
                         f"blocks) for kernel_size {kernel}, got shape {input.shape}")
    height, width = _image_axes("fold", size, kernel, dilation, padding, stride, input.shape)
    if input.shape[-1] != height.blocks * width.blocks:
        raise ShapeError(f"fold: output_size {size} holds {height.blocks} * {width.blocks} = "
                         f"{height.blocks * width.blocks} blocks of kernel_size {kernel} "
                         f"(dilation {dilation}, padding {padding}, stride {stride}), but the "
                         f"input of shape {input.shape} has {input.shape[-1]} on its last axis")
    x = input if input.ndim == 3 else input.unsqueeze(0)
    blocks = _floated(x).reshape(x.shape[0], x.shape[1] // kernel_entries, kernel[0],
                                 kernel[1], height.blocks, width.blocks)
    out = _folded("fold", blocks, (height, width))
    return out if input.ndim == 3 else out.squeeze(0)

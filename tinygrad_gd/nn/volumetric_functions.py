"""PyTorch's `F` functions over volumes, (batch, channels, depth, height, width) or one
unbatched (channels, depth, height, width): `conv3d`, `max_pool3d` (and
`max_pool3d_with_indices`), `avg_pool3d`, `adaptive_avg_pool3d`, `adaptive_max_pool3d`
(and `adaptive_max_pool3d_with_indices`).

The convolution and the pools are the 2-d ops written over any number of axes
(ops/convolution.py: `Conv3d`, `MaxPool3d`, `AvgPool3d`, one node each in the graph, their
arguments an int or (depth, height, width)); the adaptive pools are spatial_functions.py's,
over three axes: the 3-d pool where the windows are all alike, else each window's entries
taken and averaged axis by axis, or `gather` at PyTorch's indices. Gradients come from
`backward()`.
"""
from __future__ import annotations

from typing import Any

from ..grad_mode import check_flag
from ..ops.convolution import AvgPool3d, Conv3d, MaxPool3d
from ..tensor import Tensor
from .spatial_functions import _adaptive_avg, _adaptive_max

__all__ = ["conv3d", "max_pool3d", "max_pool3d_with_indices", "avg_pool3d",
           "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices"]


def conv3d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """A 3-d convolution (PyTorch's conv3d, a cross-correlation) of (batch, in_channels,
    depth, height, width) or unbatched (in_channels, depth, height, width) input with
    weight (out_channels, in_channels / groups, kd, kh, kw) and bias (out_channels,);
    `stride`, `dilation` and `padding` (zeros) an int or (depth, height, width), or
    padding "valid" or "same" (stride 1; the odd zero after, as PyTorch's); `groups`
    splits the channels."""
    return Conv3d.call(input, weight, bias, stride, padding, dilation, groups)


def max_pool3d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Any:
    """The largest entry of each `kernel_size` window of a volume, stepping by `stride`
    (the kernel's by default), with -inf `padding` (at most half the kernel), `dilation`
    and `ceil_mode` as PyTorch's max_pool3d; (values, indices) with return_indices=True,
    each index (depth * height + row) * width + column in its volume. Tied maxima: the
    gradient goes to the one the index names, as PyTorch's."""
    return MaxPool3d.call(input, kernel_size, stride, padding, dilation, ceil_mode,
                          return_indices)


def max_pool3d_with_indices(input: Any, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """`max_pool3d` with return_indices=True, whatever return_indices says (PyTorch's)."""
    check_flag("max_pool3d_with_indices", "return_indices", return_indices)
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Any = None) -> Tensor:
    """The mean of each `kernel_size` window of a volume, stepping by `stride` (the
    kernel's by default), with zero `padding` (at most half the kernel), `ceil_mode` and
    the divisor as PyTorch's avg_pool3d: the window's entries within the volume and its
    padding, the volume's alone with count_include_pad=False, or `divisor_override`."""
    return AvgPool3d.call(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override)


def _avg_pool3d(x: Tensor, kernel: Any, stride: Any, padding: Any, dilation: Any,
                ceil_mode: Any, *options: Any) -> Tensor:
    """`avg_pool3d` called as `max_pool3d` (its dilation is 1), for the LP pool."""
    return avg_pool3d(x, kernel, stride, padding, ceil_mode, *options)


def adaptive_avg_pool3d(input: Any, output_size: Any) -> Tensor:
    """The mean of each window of a volume split into `output_size` (an int, or three
    ints or None: None keeps the input's size) windows of (nearly) equal size, PyTorch's
    adaptive_avg_pool3d and its windows [floor(i * in / out), ceil((i + 1) * in / out))
    along each axis, which may overlap."""
    return _adaptive_avg("adaptive_avg_pool3d", avg_pool3d, input, output_size, 3)


def adaptive_max_pool3d(input: Any, output_size: Any, return_indices: bool = False) -> Any:
    """The largest entry of each window of a volume split into `output_size` windows (as
    `adaptive_avg_pool3d`'s), PyTorch's adaptive_max_pool3d; (values, indices) with
    return_indices=True, each index (depth * height + row) * width + column in its
    volume. Tied maxima: the gradient goes to the one the index names, as PyTorch's."""
    return _adaptive_max("adaptive_max_pool3d", max_pool3d, input, output_size,
                         return_indices, 3)


def adaptive_max_pool3d_with_indices(input: Any, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """`adaptive_max_pool3d` with return_indices=True, whatever return_indices says
    (PyTorch's)."""
    check_flag("adaptive_max_pool3d_with_indices", "return_indices", return_indices)
    return adaptive_max_pool3d(input, output_size, True)

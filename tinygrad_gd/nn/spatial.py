"""Layers over channels and positions beside `Conv2d` and the 2-d pools, under PyTorch's
names, constructor arguments and reprs: `Dropout1d`, `Dropout2d` (whole channels zeroed),
`AdaptiveAvgPool1d`, `AdaptiveAvgPool2d`, `AdaptiveMaxPool1d`, `AdaptiveMaxPool2d`,
`Conv1d`, `MaxPool1d`, `AvgPool1d` (sequences: (batch,) channels, length), and the shape
layer `Unflatten` (`ZeroPad2d`, `ConstantPad1d`, `ConstantPad2d`: padding.py, with the
other padding layers).

Each calls its function in `nn.functional` (spatial_functions.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.convolution import single
from ..tensor import Tensor
from . import functional as F
from .convolution import _AdaptivePool, _ConvNd, _ReturnsIndices, _window
from .layer_arguments import _as_tensor, _one_dim
from .layers import Dropout
from .module import Module

__all__ = ["Dropout1d", "Dropout2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
           "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "Conv1d", "MaxPool1d", "AvgPool1d",
           "Unflatten"]


class Dropout1d(Dropout):
    """Channel dropout in training mode (see `functional.dropout1d`): each channel of a
    (batch, C, length) or (C, length) input zeroed whole with probability p, the rest
    scaled by 1 / (1 - p); identity in eval mode. Seeded as `Dropout` (`seed`,
    `generator`, else the global generator at each call)."""

    function = staticmethod(F.dropout1d)
    zeroed = "a channel"


class Dropout2d(Dropout1d):
    """Channel dropout for (batch, C, height, width) images in training mode (see
    `functional.dropout2d`, which reads a 3-d input as (batch, C, length), as PyTorch's);
    identity in eval mode. Seeded as `Dropout`."""

    function = staticmethod(F.dropout2d)


class AdaptiveAvgPool2d(_AdaptivePool):
    """The mean of each of `output_size` windows of an image (see
    `functional.adaptive_avg_pool2d`): an int, or a pair whose None entries keep the
    input's size."""

    function = staticmethod(F.adaptive_avg_pool2d)
    n = 2


class AdaptiveMaxPool2d(_ReturnsIndices, AdaptiveAvgPool2d):
    """The largest entry of each of `output_size` windows of an image (see
    `functional.adaptive_max_pool2d`; tied maxima: the gradient goes to the one PyTorch's
    index names); return_indices=True gives (values, indices)."""

    function = staticmethod(F.adaptive_max_pool2d)


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """The mean of each of `output_size` windows along the length of (batch, C, length)
    or (C, length) input (see `functional.adaptive_avg_pool1d`): an int."""

    function = staticmethod(F.adaptive_avg_pool1d)
    n = 1


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """The largest entry of each of `output_size` windows along the length of (batch, C,
    length) or (C, length) input (see `functional.adaptive_max_pool1d`); return_indices=True
    gives (values, indices)."""

    function = staticmethod(F.adaptive_max_pool1d)
    n = 1


class Conv1d(_ConvNd):
    """A 1-d convolution of (batch, in_channels, length) or unbatched (in_channels,
    length) input, as PyTorch's Conv1d: `out_channels` filters of shape (in_channels /
    groups, kernel_size) slid along the length with `stride` and `dilation`, `padding` an
    int or "valid" or "same", zeros or `padding_mode` ('reflect', 'replicate',
    'circular'); see `functional.conv1d`. Weight and bias start in U(-1/sqrt(fan_in),
    1/sqrt(fan_in)), fan_in = in_channels / groups * kernel_size (PyTorch's default);
    `seed` or `generator` makes the draw repeatable (weight first)."""

    n = 1

    def _sizes(self, name: str, value: Any, low: int = 1) -> tuple[int, ...]:
        return (single("Conv1d", name, value, low),)  # PyTorch's 1-tuples, as its reprs

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        if input.ndim in (2, 3) and input.shape[-2] != self.in_channels:
            raise ShapeError(f"{self!r}: the input's axis {input.ndim - 2} has "
                             f"{input.shape[-2]} channels (input shape {input.shape}), but "
                             f"the layer takes in_channels={self.in_channels}")
        input, padding = self._padded(input)
        return F.conv1d(input, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


class MaxPool1d(Module):
    """The largest entry of each `kernel_size` window along the length of (batch, C,
    length) or (C, length) input, stepping by `stride` (the kernel's by default), with
    -inf `padding` and `dilation` (PyTorch's MaxPool1d; see `functional.max_pool1d`):
    `ceil_mode` adds a last partial window, `return_indices` gives (values, indices).
    Tied maxima: the gradient goes to the one PyTorch's index names."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False
                 ) -> None:
        super().__init__()
        name = _window(self, kernel_size, stride, padding, single)
        single(name, "dilation", dilation)
        self.dilation = dilation
        self.return_indices = check_flag(name, "return_indices", return_indices)
        self.ceil_mode = check_flag(name, "ceil_mode", ceil_mode)

    def forward(self, input: Any) -> Any:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    """The mean of each `kernel_size` window along the length of (batch, C, length) or
    (C, length) input, stepping by `stride` (the kernel's by default), with zero
    `padding` (PyTorch's AvgPool1d; see `functional.avg_pool1d`): `ceil_mode` adds a last
    partial window, the divisor counts the padding unless count_include_pad=False."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        # PyTorch's: 1-tuples, stride None the kernel's, as its repr shows them
        self.kernel_size = (single(name, "kernel_size", kernel_size),)
        self.stride = self.kernel_size if stride is None else stride if stride in ((), []) \
            else (single(name, "stride", stride),)  # (empty: the kernel's, kept as PyTorch's)
        self.padding = (single(name, "padding", padding, low=0),)
        self.ceil_mode = check_flag(name, "ceil_mode", ceil_mode)
        self.count_include_pad = check_flag(name, "count_include_pad", count_include_pad)

    def forward(self, input: Any) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


# ------------------------------------------------------------------ shape


class Unflatten(Module):
    """Axis `dim` split into the axes `unflattened_size` (one entry may be -1: the rest),
    the inverse of `Flatten`: (batch, 784) -> (batch, 28, 28) with Unflatten(1, (28, 28)).
    It calls `tg.unflatten` (x.unflatten), whose errors it gives."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        self.dim = _one_dim("Unflatten", dim)
        sizes = tuple(unflattened_size) if isinstance(unflattened_size, (tuple, list)) else None
        if sizes is None or any(isinstance(n, bool) or not isinstance(n, (int, np.integer))
                                for n in sizes):  # (an int alone too, as PyTorch's)
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                            f"{type(unflattened_size).__name__} {unflattened_size!r}")
        sizes = tuple(int(n) for n in sizes)
        if not sizes or any(n < -1 for n in sizes) or sizes.count(-1) > 1:
            raise ValueError(f"Unflatten: unflattened_size must be sizes >= 0 (one may be -1), "
                             f"got {unflattened_size!r}")
        self.unflattened_size = sizes

    def forward(self, input: Any) -> Tensor:
        return _as_tensor(self, input).unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

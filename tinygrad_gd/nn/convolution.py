"""Layers for images, (batch, channels, height, width): `Conv2d`, `MaxPool2d`, `AvgPool2d`.

Each calls the op of the same meaning (`tg.conv2d`, `tg.max_pool2d`, `tg.avg_pool2d`, in
`ops/convolution.py`, where the chain rule through a sliding window is written out).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import make_generator
from ..functional import avg_pool2d, conv2d, max_pool2d
from ..ops.convolution import conv_padding, pair
from ..tensor import Tensor
from .layer_functions import _as_tensor
from .layers import _check_features
from .registration import _float_dtype
from .spatial_functions import _is_default, _only_default
from .module import Module, Parameter

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d"]


class Conv2d(Module):
    """A 2-D convolution: `out_channels` filters of shape (in_channels, kh, kw) slid over
    the image with `stride` and zero `padding` (PyTorch's Conv2d). `padding` is an int, a
    pair, or PyTorch's strings: "valid" (no padding) or "same" (the output keeps the
    input's height and width; stride 1 only; an even kernel gets the extra row and column
    of zeros at the bottom and right, as in PyTorch). Weight and bias start
    in U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels * kh * kw (PyTorch's
    default); `seed` or `generator` makes the draw repeatable (weight first). The arguments
    come in PyTorch's order; of `dilation`, `groups` and `padding_mode` only PyTorch's
    defaults (1, 1, "zeros") are supported."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", *, seed: int | None = None,
                 generator: np.random.Generator | None = None, dtype: Any = None,
                 device: Any = None) -> None:
        super().__init__()
        _only_default("Conv2d", "dilation", dilation, 1, _dilation)
        _only_default("Conv2d", "groups", groups, 1)
        _only_default("Conv2d", "padding_mode", padding_mode, "zeros")
        self.in_channels = _check_features(in_channels, "in_channels", "Conv2d")
        self.out_channels = _check_features(out_channels, "out_channels", "Conv2d")
        self.kernel_size = _int_pair("Conv2d", "kernel_size", kernel_size)
        self.stride = _int_pair("Conv2d", "stride", stride)
        self.padding = _padding(padding, self.kernel_size, self.stride)
        rng = make_generator(seed, generator, "Conv2d")
        resolved = _float_dtype(dtype, "Conv2d", device)
        bound = 1 / (self.in_channels * self.kernel_size[0] * self.kernel_size[1]) ** 0.5
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self.weight = Parameter(rng.uniform(-bound, bound, shape).astype(resolved))
        self.register_parameter("bias", Parameter(
            rng.uniform(-bound, bound, self.out_channels).astype(resolved)) if bias else None)

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)  # ("valid" and "same": the op's, see conv_padding)
        return conv2d(input, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}")


def _dilation(where: str, name: str, value: Any) -> Any:
    """A 2-d dilation as `_only_default` reads it: a pair of 1s (ints) as 1, else as given."""
    if isinstance(value, (tuple, list)) and len(value) == 2 \
            and all(_is_default(v, 1) for v in value):
        return 1
    return value


def _int_pair(where: str, name: str, value: Any, low: int = 1) -> tuple[int, int]:
    """`pair` (each at least `low`: 1 for a kernel's size, a stride, 0 for a padding), its
    TypeError naming the argument, as a layer's constructor is called."""
    try:
        return pair(where, name, value, low)
    except TypeError:
        raise TypeError(f"{where}: {name} must be an int or a pair of ints, got "
                        f"{type(value).__name__} {value!r}") from None


def _padding(padding: Any, kernel_size: tuple[int, int], stride: tuple[int, int]) -> Any:
    """A pair of ints, or PyTorch's "valid" or "same" (kept as the string, as PyTorch)."""
    if isinstance(padding, str):
        conv_padding("Conv2d", padding, kernel_size, stride)  # (checked now, not at the call)
        return padding
    return _int_pair("Conv2d", "padding", padding, low=0)


class MaxPool2d(Module):
    """The largest entry of each `kernel_size` window, stepping by `stride` (the kernel's
    by default), with `padding` (PyTorch's MaxPool2d; of `dilation`, `return_indices`
    and `ceil_mode` only PyTorch's defaults are supported)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False
                 ) -> None:
        _only_default("MaxPool2d", "dilation", dilation, 1, _dilation)
        _only_default("MaxPool2d", "return_indices", return_indices, False)
        _only_default("MaxPool2d", "ceil_mode", ceil_mode, False)
        super().__init__()
        name = type(self).__name__  # (checked here; kept as given, as PyTorch shows them)
        _int_pair(name, "kernel_size", kernel_size)
        if stride is not None:
            _int_pair(name, "stride", stride)
        _int_pair(name, "padding", padding, low=0)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, input: Any) -> Tensor:
        return max_pool2d(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(MaxPool2d):
    """The mean of each `kernel_size` window, stepping by `stride` (the kernel's by
    default), zero `padding` counted in the mean (PyTorch's AvgPool2d; of `ceil_mode`,
    `count_include_pad` and `divisor_override` only PyTorch's defaults are supported)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Any = None) -> None:
        _only_default("AvgPool2d", "ceil_mode", ceil_mode, False)
        _only_default("AvgPool2d", "count_include_pad", count_include_pad, True)
        _only_default("AvgPool2d", "divisor_override", divisor_override, None)
        super().__init__(kernel_size, stride, padding)  # (the checks, naming AvgPool2d)

    def forward(self, input: Any) -> Tensor:
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding)

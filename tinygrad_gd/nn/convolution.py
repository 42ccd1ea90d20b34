"""Layers for images, (batch, channels, height, width), and volumes, (batch, channels,
depth, height, width), each also taking one without the batch axis: `Conv2d`, `MaxPool2d`,
`AvgPool2d`, `Conv3d`, `MaxPool3d`, `AvgPool3d`, `AdaptiveAvgPool3d`, `AdaptiveMaxPool3d`,
and what the convolution layers share with `Conv1d` (spatial.py): `_ConvNd`.

Each calls the function of the same meaning (`tg.conv2d`, `tg.max_pool2d`,
`tg.avg_pool2d`, `F.conv3d`, ...: the ops in `ops/convolution.py`, where the chain rule
through a sliding window is written out over any number of axes); a padding_mode other
than "zeros" pads with `F.pad` first, as PyTorch's layers do.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..functional import avg_pool2d, conv2d, max_pool2d
from ..grad_mode import check_flag
from ..ops.arguments import integer
from ..ops.convolution import conv_padding, divisor_or_none, single, sizes
from ..ops.window_arguments import _n_ints
from ..tensor import Tensor
from . import functional as F
from .layer_arguments import _as_tensor, _named
from .layers import _check_features
from .registration import _float_dtype
from .module import Module
from .parameter_reset import convolution_reset_, start_parameters, zero_weight_and_bias
from .spatial_functions import _output_size

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "Conv3d", "MaxPool3d", "AvgPool3d",
           "AdaptiveAvgPool3d", "AdaptiveMaxPool3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """A convolution layer over `n` axes, PyTorch's arguments in its order: `out_channels`
    filters of shape (in_channels / groups, kernel...) slid with `stride`, `dilation` and
    `padding` (numbers, or "valid" or "same"), padded with zeros or by `padding_mode`
    ('reflect', 'replicate', 'circular': F.pad's); `device` (the CPU) and `dtype` after
    them, as PyTorch's. Weight and bias start in U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in
    = in_channels / groups * the kernel's size (PyTorch's default); `seed` or `generator`
    (by keyword) makes the draw repeatable (weight first)."""

    n = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None, *,
                 seed: int | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_channels = _check_features(in_channels, "in_channels", name, empty=True)
        self.out_channels = _check_features(out_channels, "out_channels", name, empty=True)
        self.kernel_size = self._sizes("kernel_size", kernel_size)
        self.stride = self._sizes("stride", stride)
        self.dilation = self._sizes("dilation", dilation)
        self.groups = _groups(name, groups, self.in_channels, self.out_channels)
        if not isinstance(padding_mode, str) or padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, "
                             f"got {padding_mode!r:.40}")
        self.padding_mode = padding_mode
        if isinstance(padding, str):  # kept as the string, as PyTorch; checked now
            conv_padding(name, padding, self.kernel_size, self.stride, self.dilation)
            self.padding: Any = padding
        else:
            self.padding = self._sizes("padding", padding, low=0)
        resolved = _float_dtype(dtype, name, device)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        zero_weight_and_bias(self, shape, self.out_channels if check_flag(name, "bias", bias)
                             else None, resolved)
        start_parameters(self, seed, generator)

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """Weight, then bias, drawn again from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), in place
        (PyTorch's: kaiming_uniform_(a=sqrt(5)) is that bound), from `generator` or
        default_rng(`seed`), else the global generator (tg.manual_seed's)."""
        convolution_reset_(self, seed, generator)

    def _sizes(self, name: str, value: Any, low: int = 1) -> tuple[int, ...]:
        """kernel_size, stride, dilation or padding as a tuple of n ints, each >= low."""
        raise NotImplementedError

    def _padded(self, input: Tensor) -> tuple[Tensor, Any]:
        """The input and the padding the function adds: as given for zeros, else the
        input padded by `F.pad` in padding_mode (PyTorch's sides: the odd one of "same"
        after) and no padding left to add."""
        if self.padding_mode == "zeros":
            return input, self.padding
        sides = conv_padding(type(self).__name__, self.padding, self.kernel_size,
                             self.stride, self.dilation)
        pads = tuple(side for axis in reversed(sides) for side in axis)  # the last axis first
        padded = F.pad(input, pads, mode=self.padding_mode)  # (an input without a graph
        name = f"{input.name or 'input'} padded ({self.padding_mode})"  # gives a new leaf)
        return _named(padded, name), 0

    def extra_repr(self) -> str:
        """PyTorch's repr: the channels, kernel and stride, then the settings not at their
        default."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.n:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        text += "" if self.bias is not None else ", bias=False"
        return text + ("" if self.padding_mode == "zeros" else
                       f", padding_mode={self.padding_mode}")


def _groups(where: str, groups: Any, in_channels: int, out_channels: int) -> int:
    """A layer's groups: an int >= 1 dividing in_channels and out_channels (PyTorch's
    checks)."""
    groups = integer(where, "groups", groups)
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{where}: groups={groups} must be >= 1 and divide in_channels="
                         f"{in_channels} and out_channels={out_channels}")
    return groups


class Conv2d(_ConvNd):
    """A 2-D convolution (PyTorch's Conv2d): `out_channels` filters of shape (in_channels /
    groups, kh, kw) slid over the image with `stride` and `dilation` (ints or (height,
    width) pairs). `padding` is an int, a pair, or PyTorch's strings: "valid" (no padding)
    or "same" (the output keeps the input's height and width; stride 1 only; an even span
    gets the extra row and column at the bottom and right, as in PyTorch), zeros or
    `padding_mode` ('reflect', 'replicate', 'circular'). `groups` splits the channels:
    each output channel sees only its group's inputs. Weight and bias start in
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * kh * kw
    (PyTorch's default); `seed` or `generator` makes the draw repeatable (weight first)."""

    def _sizes(self, name: str, value: Any, low: int = 1) -> tuple[int, ...]:
        return _int_pair("Conv2d", name, value, low)

    def forward(self, input: Any) -> Tensor:
        input, padding = self._padded(_as_tensor(self, input))  # ("same": see conv_padding)
        return conv2d(input, self.weight, self.bias, self.stride, padding, self.dilation,
                      self.groups)


class Conv3d(_ConvNd):
    """A 3-D convolution (PyTorch's Conv3d) of (batch, in_channels, depth, height, width)
    or unbatched (in_channels, depth, height, width) input: `out_channels` filters of
    shape (in_channels / groups, kd, kh, kw) slid with `stride` and `dilation` (an int or
    (depth, height, width)); `padding` an int, three, "valid" or "same" (stride 1; the
    odd zero after, as PyTorch's), zeros or `padding_mode` ('reflect', 'replicate',
    'circular'); see `functional.conv3d`. Initialised and seeded as `Conv2d`: fan_in =
    in_channels / groups * kd * kh * kw."""

    n = 3

    def _sizes(self, name: str, value: Any, low: int = 1) -> tuple[int, ...]:
        return _int_sizes("Conv3d", name, value, low, 3)

    def forward(self, input: Any) -> Tensor:
        input, padding = self._padded(_as_tensor(self, input))
        return F.conv3d(input, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


def _window(layer: Module, kernel_size: Any, stride: Any, padding: Any,
            parse: Any) -> str:
    """A max or average pool layer's kernel_size, stride and padding, checked by `parse`
    (`_int_pair`, `_int_sizes` of n, or `single` for 1-d) and kept as given (as PyTorch
    shows them), stride None the kernel's (as PyTorch's stores it); the layer's name, for
    its other checks."""
    name = type(layer).__name__
    parse(name, "kernel_size", kernel_size)
    if stride is not None and not (isinstance(stride, (tuple, list)) and not stride):
        parse(name, "stride", stride)  # (an empty one, as None, is the kernel's: PyTorch's)
    parse(name, "padding", padding, 0)
    layer.kernel_size, layer.padding = kernel_size, padding
    layer.stride = kernel_size if stride is None else stride
    return name


def _int_sizes(where: str, name: str, value: Any, low: int = 1, n: int = 2
               ) -> tuple[int, ...]:
    """`sizes` of n (each at least `low`: 1 for a kernel's size, a stride, 0 for a
    padding), its TypeError naming the argument, as a layer's constructor is called."""
    try:
        return sizes(where, name, value, n, low)
    except TypeError:
        raise TypeError(f"{where}: {name} must be an int or {_n_ints(n)}, got "
                        f"{type(value).__name__} {value!r}") from None


def _int_pair(where: str, name: str, value: Any, low: int = 1) -> tuple[int, ...]:
    """`_int_sizes` of an image's two axes."""
    return _int_sizes(where, name, value, low)


class MaxPool2d(Module):
    """The largest entry of each `kernel_size` window, stepping by `stride` (the kernel's
    by default), with `padding` and `dilation` (PyTorch's MaxPool2d; see
    `tg.max_pool2d`): `ceil_mode` adds a last partial window, `return_indices` gives
    (values, indices) as PyTorch's (the input to `MaxUnpool2d`). Input (batch, C, height,
    width) or one image (C, height, width)."""

    n = 2  # spatial axes
    function = staticmethod(max_pool2d)

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False
                 ) -> None:
        super().__init__()
        name = _window(self, kernel_size, stride, padding, self._parse)
        self._parse(name, "dilation", dilation)
        self.dilation = dilation
        self.return_indices = check_flag(name, "return_indices", return_indices)
        self.ceil_mode = check_flag(name, "ceil_mode", ceil_mode)

    def _parse(self, where: str, name: str, value: Any, low: int = 1) -> tuple[int, ...]:
        return _int_sizes(where, name, value, low, self.n)

    def forward(self, input: Any) -> Any:
        return type(self).function(input, self.kernel_size, self.stride, self.padding,
                                   self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each `kernel_size` window, stepping by `stride` (the kernel's by
    default), zero `padding` (PyTorch's AvgPool2d; see `tg.avg_pool2d`): `ceil_mode` adds
    a last partial window; the divisor counts the padding unless count_include_pad=False,
    and is `divisor_override` where given. Input (batch, C, height, width) or one image
    (C, height, width)."""

    n = 2  # spatial axes
    function = staticmethod(avg_pool2d)
    _parse = MaxPool2d._parse

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Any = None) -> None:
        super().__init__()
        name = _window(self, kernel_size, stride, padding, self._parse)
        divisor_or_none(name, divisor_override)
        self.ceil_mode = check_flag(name, "ceil_mode", ceil_mode)
        self.count_include_pad = check_flag(name, "count_include_pad", count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input: Any) -> Tensor:
        return type(self).function(input, self.kernel_size, self.stride, self.padding,
                                   self.ceil_mode, self.count_include_pad,
                                   self.divisor_override)

    def extra_repr(self) -> str:  # (PyTorch's shows these three only)
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool3d(MaxPool2d):
    """The largest entry of each `kernel_size` window of a volume (PyTorch's MaxPool3d;
    see `functional.max_pool3d`): the arguments an int or (depth, height, width), as
    `MaxPool2d`'s. Input (batch, C, depth, height, width) or one volume (C, depth,
    height, width)."""

    n = 3
    function = staticmethod(F.max_pool3d)


class AvgPool3d(AvgPool2d):
    """The mean of each `kernel_size` window of a volume (PyTorch's AvgPool3d; see
    `functional.avg_pool3d`): the arguments an int or (depth, height, width), as
    `AvgPool2d`'s. Input (batch, C, depth, height, width) or one volume (C, depth,
    height, width)."""

    n = 3
    function = staticmethod(F.avg_pool3d)


class _AdaptivePool(Module):
    """The adaptive pool layers' (1-d to 3-d, spatial.py's too): `function` over `n` axes,
    output_size checked now (1-d: an int; else an int, or n whose None entries keep the
    input's size) and kept as given, as PyTorch's reprs show it."""

    function: Any
    n: int

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        name = type(self).__name__
        if self.n == 1:
            single(name, "output_size", output_size)
        else:
            _output_size(name, output_size, (1,) * self.n)
        self.output_size = output_size

    def forward(self, input: Any) -> Tensor:
        return type(self).function(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _ReturnsIndices:
    """The adaptive max pool layers' return_indices (a base before their `_AdaptivePool`):
    True gives (values, indices)."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)  # type: ignore[call-arg]
        self.return_indices = check_flag(type(self).__name__, "return_indices",
                                         return_indices)

    def forward(self, input: Any) -> Any:
        return type(self).function(input, self.output_size, self.return_indices)


class AdaptiveAvgPool3d(_AdaptivePool):
    """The mean of each of `output_size` windows of a volume (PyTorch's
    AdaptiveAvgPool3d; see `functional.adaptive_avg_pool3d`): an int, or three whose None
    entries keep the input's size, kept as given."""

    function = staticmethod(F.adaptive_avg_pool3d)
    n = 3


class AdaptiveMaxPool3d(_ReturnsIndices, AdaptiveAvgPool3d):
    """The largest entry of each of `output_size` windows of a volume (PyTorch's
    AdaptiveMaxPool3d; see `functional.adaptive_max_pool3d`; tied maxima: the gradient
    goes to the one PyTorch's index names); return_indices=True gives (values, indices)."""

    function = staticmethod(F.adaptive_max_pool3d)

"""Layers over channels and positions beside `Conv2d` and the 2-d pools, under PyTorch's
names, constructor arguments and reprs: `Dropout1d`, `Dropout2d` (whole channels zeroed),
`AdaptiveAvgPool2d`, `AdaptiveMaxPool2d`, `Conv1d`, `MaxPool1d`, `AvgPool1d` (sequences:
(batch,) channels, length), and the shape layers `Unflatten`, `ZeroPad2d`, `ConstantPad1d`,
`ConstantPad2d`.

Each calls its function in `nn.functional` (spatial_functions.py, or `F.pad`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import make_generator
from ..grad_mode import check_flag
from ..ops.arguments import ints, number
from ..ops.convolution import conv_padding, single
from ..tensor import Tensor
from . import functional as F
from .layer_functions import _as_tensor, _one_dim
from .layers import Dropout, _check_features
from .module import Module, Parameter
from .registration import _float_dtype
from .spatial_functions import _only_default, _output_size

__all__ = ["Dropout1d", "Dropout2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Conv1d",
           "MaxPool1d", "AvgPool1d", "Unflatten", "ZeroPad2d", "ConstantPad1d",
           "ConstantPad2d"]


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


class AdaptiveAvgPool2d(Module):
    """The mean of each of `output_size` windows of an image (see
    `functional.adaptive_avg_pool2d`): an int, or a pair whose None entries keep the
    input's size."""

    function = staticmethod(F.adaptive_avg_pool2d)

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        name = type(self).__name__
        _output_size(name, output_size, (1, 1))  # (checked now; kept as given, as PyTorch)
        self.output_size = output_size

    def forward(self, input: Any) -> Tensor:
        return type(self).function(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    """The largest entry of each of `output_size` windows of an image (see
    `functional.adaptive_max_pool2d`; tied maxima share the gradient evenly, PyTorch
    gives it to the index it returns); return_indices is supported only as False."""

    function = staticmethod(F.adaptive_max_pool2d)

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        if check_flag("AdaptiveMaxPool2d", "return_indices", return_indices):
            raise ValueError("AdaptiveMaxPool2d: return_indices=True is not supported, only "
                             "False")
        super().__init__(output_size)
        self.return_indices = False


class Conv1d(Module):
    """A 1-d convolution of (batch, in_channels, length) or unbatched (in_channels,
    length) input, as PyTorch's Conv1d: `out_channels` filters of shape (in_channels,
    kernel_size) slid along the length with `stride` and zero `padding` (an int, or
    "valid" or "same"); see `functional.conv1d`. Weight and bias start in
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels * kernel_size (PyTorch's
    default); `seed` or `generator` makes the draw repeatable (weight first). Of
    dilation, groups and padding_mode only PyTorch's defaults (1, 1, "zeros") are
    supported."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", *, seed: int | None = None,
                 generator: np.random.Generator | None = None, dtype: Any = None,
                 device: Any = None) -> None:
        super().__init__()
        _only_default("Conv1d", "dilation", dilation, 1, single)
        _only_default("Conv1d", "groups", groups, 1)
        _only_default("Conv1d", "padding_mode", padding_mode, "zeros")
        self.in_channels = _check_features(in_channels, "in_channels", "Conv1d")
        self.out_channels = _check_features(out_channels, "out_channels", "Conv1d")
        # PyTorch's: 1-tuples, as its reprs show them
        self.kernel_size = (single("Conv1d", "kernel_size", kernel_size),)
        self.stride = (single("Conv1d", "stride", stride),)
        if isinstance(padding, str):
            conv_padding("Conv1d", padding, self.kernel_size, self.stride)
            self.padding: Any = padding
        else:
            self.padding = (single("Conv1d", "padding", padding, low=0),)
        rng = make_generator(seed, generator, "Conv1d")
        resolved = _float_dtype(dtype, "Conv1d", device)
        bound = 1 / (self.in_channels * self.kernel_size[0]) ** 0.5
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self.weight = Parameter(rng.uniform(-bound, bound, shape).astype(resolved))
        self.register_parameter("bias", Parameter(
            rng.uniform(-bound, bound, self.out_channels).astype(resolved))
            if check_flag("Conv1d", "bias", bias) else None)

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        if input.ndim in (2, 3) and input.shape[-2] != self.in_channels:
            raise ValueError(f"{self!r}: the input's axis {input.ndim - 2} has "
                             f"{input.shape[-2]} channels (input shape {input.shape}), but "
                             f"the layer takes in_channels={self.in_channels}")
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(input, self.weight, self.bias, self.stride[0], padding)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,):  # PyTorch's repr: the padding and bias where not default
            text += f", padding={self.padding}"
        return text + ("" if self.bias is not None else ", bias=False")


class MaxPool1d(Module):
    """The largest entry of each `kernel_size` window along the length of (batch, C,
    length) or (C, length) input, stepping by `stride` (the kernel's by default), with
    -inf `padding` (PyTorch's MaxPool1d; see `functional.max_pool1d`). Tied maxima share
    the gradient evenly (PyTorch gives it to the index it returns). dilation,
    return_indices and ceil_mode only at PyTorch's defaults."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False
                 ) -> None:
        super().__init__()
        _only_default("MaxPool1d", "dilation", dilation, 1, single)
        _only_default("MaxPool1d", "return_indices", return_indices, False)
        _only_default("MaxPool1d", "ceil_mode", ceil_mode, False)
        single("MaxPool1d", "kernel_size", kernel_size)  # (checked; kept as given)
        if stride is not None:
            single("MaxPool1d", "stride", stride)
        single("MaxPool1d", "padding", padding, low=0)
        # PyTorch's: stride None becomes the kernel's, as its repr shows
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.dilation, self.return_indices, self.ceil_mode = dilation, False, False

    def forward(self, input: Any) -> Tensor:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    """The mean of each `kernel_size` window along the length of (batch, C, length) or
    (C, length) input, stepping by `stride` (the kernel's by default), the zero `padding`
    counted in the mean (PyTorch's AvgPool1d; see `functional.avg_pool1d`). ceil_mode and
    count_include_pad only at PyTorch's defaults."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        _only_default("AvgPool1d", "ceil_mode", ceil_mode, False)
        _only_default("AvgPool1d", "count_include_pad", count_include_pad, True)
        # PyTorch's: 1-tuples, stride None the kernel's, as its repr shows them
        self.kernel_size = (single("AvgPool1d", "kernel_size", kernel_size),)
        self.stride = self.kernel_size if stride is None else \
            (single("AvgPool1d", "stride", stride),)
        self.padding = (single("AvgPool1d", "padding", padding, low=0),)
        self.ceil_mode, self.count_include_pad = False, True

    def forward(self, input: Any) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding)

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


class ConstantPad1d(Module):
    """A border of `value` before and after the last axis: `padding` an int (both sides)
    or (left, right), as PyTorch's ConstantPad1d (see `F.pad`). Negative padding (which
    crops, in PyTorch) is refused."""

    sides = 2

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
            padding = (int(padding),) * self.sides
        try:
            padding = ints(name, (padding,))
        except TypeError:
            padding = ()
        if len(padding) != self.sides or min(padding) < 0:
            raise ValueError(f"{name}: padding must be an int >= 0 or {self.sides} of them "
                             f"(left, right{', top, bottom' if self.sides == 4 else ''}), "
                             f"got {padding!r}")
        number(name, "value", value)
        self.padding, self.value = padding, value

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        if input.ndim < self.sides // 2:
            raise ValueError(f"{self!r}: input of shape {input.shape} has fewer than "
                             f"{self.sides // 2} axes to pad")
        return F.pad(input, self.padding, value=self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    """A border of `value` around the last two axes: `padding` an int (every side) or
    (left, right, top, bottom), as PyTorch's ConstantPad2d (see `F.pad`). Negative
    padding (which crops, in PyTorch) is refused."""

    sides = 4


class ZeroPad2d(ConstantPad2d):
    """A border of zeros around the last two axes: `padding` an int (every side) or
    (left, right, top, bottom), as PyTorch's ZeroPad2d."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"

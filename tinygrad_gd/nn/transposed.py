"""Layers of the transposed convolutions and patches, under PyTorch's names, constructor
arguments and reprs: `ConvTranspose1d`, `ConvTranspose2d`, `ConvTranspose3d` (weight (in_channels,
out_channels / groups, kernel...), forward's output_size=), `Unfold` and `Fold`.

Each calls its function in `nn.functional` (transposed_functions.py, where the placement
they share is written out).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..grad_mode import check_flag
from ..ops.arguments import ints
from ..tensor import Tensor
from . import functional as F
from .layer_arguments import _as_tensor
from .layers import _check_features
from .module import Module
from .parameter_reset import convolution_reset_, start_parameters, zero_weight_and_bias
from .registration import _float_dtype
from .spatial_functions import _only_default
from .transposed_functions import _check_output_padding, _output_sizes, _spatial

__all__ = ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Unfold", "Fold"]


class ConvTranspose2d(Module):
    """A 2-d transposed convolution (see `functional.conv_transpose2d`), as PyTorch's
    ConvTranspose2d: weight (in_channels, out_channels / groups, kh, kw) and bias
    (out_channels,) start in U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = out_channels /
    groups * kh * kw (PyTorch's default, its fan_in of this weight); `seed` or `generator`
    makes the draw repeatable (weight first). forward(input, output_size=None): an
    output_size (the last two of it: height, width) picks the output_padding that gives
    it, as PyTorch's. Only padding_mode "zeros" (PyTorch's only one here too)."""

    dims = 2
    function = staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        name, n = type(self).__name__, self.dims
        _only_default(name, "padding_mode", padding_mode, "zeros")
        self.in_channels = _check_features(in_channels, "in_channels", name, empty=True)
        self.out_channels = _check_features(out_channels, "out_channels", name, empty=True)
        self.groups = _check_features(groups, "groups", name)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{name}: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        # PyTorch's: tuples, as its reprs show them
        self.kernel_size = _spatial(name, "kernel_size", kernel_size, n)
        self.stride = _spatial(name, "stride", stride, n)
        self.padding = _spatial(name, "padding", padding, n, low=0)
        self.output_padding = _spatial(name, "output_padding", output_padding, n, low=0)
        self.dilation = _spatial(name, "dilation", dilation, n)
        _check_output_padding(name, self.output_padding, self.stride, self.dilation)
        self.padding_mode = "zeros"
        resolved = _float_dtype(dtype, name, device)
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        zero_weight_and_bias(self, shape, self.out_channels if check_flag(name, "bias", bias)
                             else None, resolved)
        start_parameters(self, seed, generator)

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """Weight, then bias, drawn again from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in =
        out_channels / groups * the kernel's size, in place (PyTorch's), from `generator`
        or default_rng(`seed`), else the global generator (tg.manual_seed's)."""
        convolution_reset_(self, seed, generator, math.sqrt)

    def forward(self, input: Any, output_size: Any = None) -> Tensor:
        input = _as_tensor(self, input)
        extra = self.output_padding
        if output_size is not None and input.ndim in (self.dims + 1, self.dims + 2):
            extra = self._output_padding(input, output_size)
        return type(self).function(input, self.weight, self.bias, self.stride, self.padding,
                                   extra, self.groups, self.dilation)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        """The output_padding that makes the output's spatial size `output_size` (its last
        `dims` entries; PyTorch's rule: each between the smallest size and that plus
        stride - 1)."""
        n = self.dims
        try:
            size = ints(repr(self), (output_size,))
        except TypeError:
            size = None
        if size is None or len(size) not in (n, input.ndim):
            raise ValueError(f"{self!r}: output_size must be {n} ints (or {input.ndim}, the "
                             f"whole output's shape) for an input of shape {input.shape}, got "
                             f"{output_size!r}")
        size = size[-n:]
        smallest = _output_sizes(input.shape[-n:], self.kernel_size, self.stride, self.padding,
                                 self.dilation, (0,) * n)
        largest = tuple(low + s - 1 for low, s in zip(smallest, self.stride))
        if any(not low <= want <= high for want, low, high in zip(size, smallest, largest)):
            raise ValueError(f"{self!r}: output_size {size} is out of reach for an input of "
                             f"shape {input.shape}: each size must lie between {smallest} and "
                             f"{largest}")
        return tuple(want - low for want, low in zip(size, smallest))

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in (("padding", 0), ("dilation", 1), ("output_padding", 0)):
            if getattr(self, name) != (default,) * self.dims:  # PyTorch's: where not default
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class ConvTranspose1d(ConvTranspose2d):
    """A 1-d transposed convolution (see `functional.conv_transpose1d`) of (batch,
    in_channels, length) or (in_channels, length) input, as PyTorch's ConvTranspose1d:
    weight (in_channels, out_channels / groups, k), initialised and seeded as
    `ConvTranspose2d`'s; forward's output_size gives the output's length."""

    dims = 1
    function = staticmethod(F.conv_transpose1d)


class ConvTranspose3d(ConvTranspose2d):
    """A 3-d transposed convolution (see `functional.conv_transpose3d`) of (batch,
    in_channels, depth, height, width) or unbatched input, as PyTorch's ConvTranspose3d:
    weight (in_channels, out_channels / groups, kd, kh, kw), initialised and seeded as
    `ConvTranspose2d`'s; forward's output_size gives the output's depth, height, width."""

    dims = 3
    function = staticmethod(F.conv_transpose3d)


class Unfold(Module):
    """An image's sliding blocks as columns (see `functional.unfold`), as PyTorch's
    Unfold: kernel_size, dilation, padding, stride each an int or a (height, width)
    pair, kept as given (as PyTorch's repr shows them)."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        name = type(self).__name__
        _spatial(name, "kernel_size", kernel_size, 2)  # (checked now, not at the call)
        _spatial(name, "dilation", dilation, 2)
        _spatial(name, "padding", padding, 2, low=0)
        _spatial(name, "stride", stride, 2)
        self.kernel_size, self.dilation, self.padding, self.stride = (kernel_size, dilation,
                                                                      padding, stride)

    def forward(self, input: Any) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Unfold):
    """Columns of sliding blocks added back into an image of `output_size` (see
    `functional.fold`), as PyTorch's Fold; the arguments kept as given."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__(kernel_size, dilation, padding, stride)
        _spatial(type(self).__name__, "output_size", output_size, 2)
        self.output_size = output_size

    def forward(self, input: Any) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, " + super().extra_repr()

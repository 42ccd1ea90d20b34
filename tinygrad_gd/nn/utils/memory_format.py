"""PyTorch's `nn.utils.convert_conv2d_weight_memory_format` and
`convert_conv3d_weight_memory_format`: the weights of a model's convolutions (Conv2d and
ConvTranspose2d, or Conv3d and ConvTranspose3d), at any depth, laid out in a memory format
(`tg.channels_last`, `tg.channels_last_3d` or `tg.contiguous_format`), their values kept.
Only the weights of those layers change: `model.to(memory_format=...)` lays out every 4-d
or 5-d tensor of the model.
"""
from __future__ import annotations

from typing import Any

from ...memory_formats import check_memory_format, copied, preserve_format
from ...tensor import Tensor
from ..convolution import Conv2d, Conv3d
from ..module import Module
from ..transposed import ConvTranspose2d, ConvTranspose3d

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module: Any, memory_format: Any, layers: tuple[type, ...], ndim: int,
             where: str) -> Any:
    """Each weight of `layers` in `module` laid out in `memory_format`, in place (the same
    Parameter, its values a new array, counted as an in-place change; its .grad as it
    is, as PyTorch's `.data =`); the format checked before anything changes."""
    if not isinstance(module, Module):
        raise TypeError(f"{where}: expected an nn.Module (a model or a convolution), got "
                        f"{type(module).__name__}")
    # (ConvTranspose1d and 3d are ConvTranspose2d's subclasses here: told apart by the
    # weight's number of axes)
    weights = [m.weight for m in module.modules() if isinstance(m, layers)
               and isinstance(m.weight, Tensor) and m.weight.ndim == ndim]
    if not weights:  # (as PyTorch's: no such layer, nothing to lay out or check)
        return module
    fmt = check_memory_format(where, memory_format, ndim)
    if fmt is preserve_format:  # (PyTorch's RuntimeError)
        raise RuntimeError(f"{where}: memory_format=tg.preserve_format names no layout to "
                           f"convert to; give tg.channels_last"
                           f"{'_3d' if ndim == 5 else ''} or tg.contiguous_format")
    for weight in weights:
        weight._data = copied(where, weight._data, fmt)
        weight._mark_changed()
    return module


def convert_conv2d_weight_memory_format(module: Any, memory_format: Any) -> Any:
    """The weight of every Conv2d and ConvTranspose2d in `module` laid out in
    `memory_format` (tg.channels_last: NHWC in memory, or tg.contiguous_format); returns
    `module`."""
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d), 4,
                    "convert_conv2d_weight_memory_format")


def convert_conv3d_weight_memory_format(module: Any, memory_format: Any) -> Any:
    """The weight of every Conv3d and ConvTranspose3d in `module` laid out in
    `memory_format` (tg.channels_last_3d: NDHWC in memory, or tg.contiguous_format);
    returns `module`."""
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d), 5,
                    "convert_conv3d_weight_memory_format")

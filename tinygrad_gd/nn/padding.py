"""Padding under PyTorch's names and rules: `pad` (F.pad) and the padding layers.

`pad(input, pad, mode='constant', value=None)`: `pad` holds (before, after) pairs, the
last axis first; a negative pad crops. Modes, as PyTorch's (NumPy's names too):

    'constant'               `value` (0 by default) around the input, any number of axes
    'reflect'                mirrored about the end entries: pads < the axis's size
    'replicate' ('edge')     the end entries repeated
    'circular' ('wrap')      the other end's entries: pads <= the size left after cropping

The three copying modes pad the last 1, 2 or 3 axes (2, 4 or 6 pads) of an input with
one more axis (channels) or two (batch, channels), as PyTorch's. Layers: ReflectionPad1d/
2d/3d, ReplicationPad1d/2d/3d, CircularPad1d/2d/3d, ConstantPad1d/2d/3d and
ZeroPad1d/2d/3d (a ZeroPad is a ConstantPad of 0, as PyTorch's classes). The values move
through the registered op `pad` (tg.pad, np.pad's modes) and indexing, so backward() adds
each entry's copies' gradients up.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as tg_functional
from ..errors import ShapeError
from ..ops.arguments import ints, number
from ..ops.padding import PAD_MODES
from ..tensor import Tensor
from .layer_arguments import _as_tensor
from .module import Module

__all__ = ["pad", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
           "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d",
           "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d",
           "ZeroPad2d", "ZeroPad3d"]


def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """PyTorch's F.pad: `pad` is flat (before, after) pairs, last axis first (negative ones
    crop), `mode` 'constant', 'reflect', 'replicate' or 'circular' (see the module)."""
    input = _as_tensor("pad", input)
    if input.ndim == 0 and not (isinstance(pad, (tuple, list)) and not pad):
        raise ShapeError(f"pad: a 0-d input has no axis to pad, got pad={pad!r} (PyTorch's: "
                         f"at most 2 numbers per axis); reshape it first, x.reshape(1)")
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad: pad must be a tuple of ints ((before, after) pairs, last axis "
                        f"first), got {type(pad).__name__} {pad!r}")
    flat = ints("pad", (tuple(pad),))
    if len(flat) % 2 or len(flat) > 2 * input.ndim:
        raise ShapeError(f"pad: pad takes (before, after) pairs, at most one per axis, got "
                         f"{len(flat)} ints for an input of shape {input.shape}")
    if not isinstance(mode, str) or mode not in PAD_MODES:  # (PyTorch's error type)
        raise NotImplementedError(f"pad: mode={mode!r} is not one of {list(PAD_MODES)}")
    kind = PAD_MODES[mode]
    if value is not None and number("pad", "value", value) != 0 and kind != "constant":
        raise RuntimeError(f"pad: mode={mode!r} copies entries and takes no value, got "
                           f"value={value!r}; leave it out, or use mode='constant'")
    pairs = [flat[i:i + 2] for i in range(len(flat) - 2, -1, -2)]  # the first axis padded first
    _check_sizes(mode, kind, pairs, input.shape)
    grown = tuple(max(n, 0) for n in flat)
    if kind == "wrap":  # PyTorch's circular wraps what the cropping keeps
        return tg_functional.pad(_cropped(input, pairs), pad=grown, mode=kind)
    return _cropped(tg_functional.pad(input, pad=grown, mode=kind, value=value), pairs)


def _check_sizes(mode: str, kind: str, pairs: list, shape: tuple) -> None:
    """PyTorch's rules: which axes a copying mode pads, and by how much each mode may."""
    k, ndim = len(pairs), len(shape)
    if kind != "constant" and (k not in (1, 2, 3) or ndim not in (k + 1, k + 2)):
        raise NotImplementedError(
            f"pad: mode={mode!r} pads the last 1, 2 or 3 axes (2, 4 or 6 ints) of an input with "
            f"one or two more axes ([batch,] channels), got {2 * k} ints for shape {shape}")
    if kind in ("reflect", "edge") and 0 in shape[ndim - k - 1:]:
        raise ShapeError(f"pad: mode={mode!r} needs non-empty channels and padded axes "
                         f"(only the batch may be empty), got input shape {shape}")
    for axis, (before, after) in enumerate(pairs, ndim - k):
        n = shape[axis]
        kept, where = n + min(before, 0) + min(after, 0), (
            f"pads ({before}, {after}) for axis {axis} of size {n} (input shape {shape})")
        if kind in ("constant", "wrap") and kept < 0:
            raise RuntimeError(f"pad: negative pads crop more than the whole axis: {where}")
        if kind == "reflect" and max(before, after) >= n:
            raise ShapeError(f"pad: mode={mode!r} pads by less than the axis's size, got "
                             f"{where}; pad less, or use mode='replicate'")
        if kind == "wrap" and max(before, after) > kept:
            raise RuntimeError(f"pad: mode={mode!r} wraps around at most once, by at most the "
                               f"{kept} entries the cropping keeps, got {where}")
        if n + before + after < 0:
            raise RuntimeError(f"pad: negative pads leave a negative size: {where}")
    sizes = [shape[axis] + sum(pair) for axis, pair in enumerate(pairs, ndim - k)]
    if kind in ("reflect", "edge") and not any(sizes):  # (PyTorch's: one may be 0)
        raise RuntimeError(f"pad: mode={mode!r} must leave an entry along some padded axis, "
                           f"got sizes {sizes} from input shape {shape} and pads {pairs}")


def _cropped(x: Tensor, pairs: list) -> Tensor:
    """`x` with the last len(pairs) axes cut by their negative (before, after) pads."""
    if all(n >= 0 for pair in pairs for n in pair):
        return x
    sizes = x.shape[x.ndim - len(pairs):]
    return x[(Ellipsis,) + tuple(slice(max(-before, 0), n - max(-after, 0))
                                 for (before, after), n in zip(pairs, sizes))]


def _padding(name: str, padding: Any, count: int) -> tuple[int, ...]:
    """A layer's `padding`: one int for every side, or `count` of them."""
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        return (int(padding),) * count
    if not isinstance(padding, (tuple, list)):
        raise TypeError(f"{name}: padding must be an int or a tuple of {count} ints, got "
                        f"{type(padding).__name__} {padding!r}")
    padding = ints(name, (tuple(padding),))
    if len(padding) != count:
        raise ValueError(f"{name}: padding must be an int or {count} ints (left, right"
                         f"{', top, bottom' * (count > 2)}{', front, back' * (count > 4)}), "
                         f"got {padding!r}")
    return padding


class _PadNd(Module):
    """A padding layer: the last `axes` axes padded by `padding` (an int: every side; or
    (left, right[, top, bottom[, front, back]]); negative ones crop) in `mode`. An input
    of another number of axes is refused with PyTorch's error type (`wrong_rank`)."""

    axes, mode, value, wrong_rank = 1, "reflect", None, NotImplementedError

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _padding(type(self).__name__, padding, 2 * self.axes)

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        k = self.axes
        if self.mode == "constant" and input.ndim < k:
            raise self.wrong_rank(f"{self!r}: pads {k} axes, but the input of shape "
                                  f"{input.shape} has {input.ndim}")
        if self.mode != "constant" and input.ndim not in (k + 1, k + 2):
            raise self.wrong_rank(f"{self!r}: expects a {k + 1}-d or {k + 2}-d input ([batch,] "
                                  f"channels, then the {k} padded axes), got shape {input.shape}")
        return pad(input, self.padding, self.mode, self.value)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """The last axis padded by its entries mirrored about the end ones (pads < its size),
    as PyTorch's ReflectionPad1d: (C, W) or (N, C, W)."""


class ReflectionPad2d(_PadNd):
    """The last two axes padded by reflection, as PyTorch's: (C, H, W) or (N, C, H, W)."""

    axes = 2


class ReflectionPad3d(_PadNd):
    """The last three axes padded by reflection, as PyTorch's: (C, D, H, W) or (N, C, D,
    H, W)."""

    axes = 3


class ReplicationPad1d(_PadNd):
    """The last axis padded by its end entries repeated, as PyTorch's ReplicationPad1d:
    (C, W) or (N, C, W)."""

    mode = "replicate"


class ReplicationPad2d(_PadNd):
    """The last two axes padded by their end entries repeated, as PyTorch's: (C, H, W) or
    (N, C, H, W)."""

    axes, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """The last three axes padded by their end entries repeated, as PyTorch's: (C, D, H, W)
    or (N, C, D, H, W)."""

    axes, mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """The last axis padded by the other end's entries (wrapped around at most once), as
    PyTorch's CircularPad1d: (C, W) or (N, C, W)."""

    mode, wrong_rank = "circular", ValueError


class CircularPad2d(_PadNd):
    """The last two axes padded circularly, as PyTorch's: (C, H, W) or (N, C, H, W)."""

    axes, mode, wrong_rank = 2, "circular", ValueError


class CircularPad3d(_PadNd):
    """The last three axes padded circularly, as PyTorch's: (C, D, H, W) or (N, C, D, H,
    W)."""

    axes, mode, wrong_rank = 3, "circular", ValueError


class _ConstantPadNd(_PadNd):
    """A border of `value` (a number) around the last `axes` axes."""

    mode, wrong_rank = "constant", ShapeError

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        number(type(self).__name__, "value", value)
        self.value = value

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """A border of `value` before and after the last axis, as PyTorch's ConstantPad1d:
    `padding` an int (both sides) or (left, right); negative padding crops."""


class ConstantPad2d(_ConstantPadNd):
    """A border of `value` around the last two axes, as PyTorch's ConstantPad2d: `padding`
    an int (every side) or (left, right, top, bottom); negative padding crops."""

    axes = 2


class ConstantPad3d(_ConstantPadNd):
    """A border of `value` around the last three axes, as PyTorch's ConstantPad3d;
    negative padding crops."""

    axes = 3


class _Zeros:
    """A ZeroPad: its ConstantPad of the value 0, shown by its padding alone (PyTorch's)."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)  # (the ConstantPad's, next in the order)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_Zeros, ConstantPad1d):
    """A border of zeros before and after the last axis, as PyTorch's ZeroPad1d; negative
    padding crops."""


class ZeroPad2d(_Zeros, ConstantPad2d):
    """A border of zeros around the last two axes, as PyTorch's ZeroPad2d: `padding` an int
    (every side) or (left, right, top, bottom); negative padding crops."""


class ZeroPad3d(_Zeros, ConstantPad3d):
    """A border of zeros around the last three axes, as PyTorch's ZeroPad3d; negative
    padding crops."""

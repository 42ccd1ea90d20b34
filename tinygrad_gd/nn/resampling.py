"""Resampling, as PyTorch's: `interpolate` over (batch, channels, *spatial) input with one,
two or three spatial axes ('nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic',
'trilinear', 'area'), `pixel_shuffle` and `pixel_unshuffle`, and the layers `Upsample`,
`UpsamplingNearest2d`, `UpsamplingBilinear2d`, `PixelShuffle`, `PixelUnshuffle`.

`interpolate` resamples one spatial axis at a time, the last first (PyTorch's kernels
nest the axes so): each output entry reads one input entry along the axis ('nearest',
'nearest-exact': `index_select`), two ('linear' modes) or four ('bicubic'), each read
times a weight computed here in NumPy (a constant, named for diagrams), and sums them; so
`backward()` adds each output's gradient, times its weights, to the entries it read.
Positions and weights are PyTorch's CPU kernels', rounded alike (in float32 for a float32
input, as its). Along an axis of `in` entries resampled to `out`, output i reads:

    scale s      (in - 1) / (out - 1) with align_corners=True (0 if out = 1), else
                 1 / scale_factor where a scale_factor is given (and not recomputed),
                 else in / out
    nearest      floor(s * i);  nearest-exact: floor(s * (i + 0.5)); at most in - 1
                 (for 4-d input in float32, and 'nearest' copies an axis whose size
                 stays, reads i // 2 where it doubles, as PyTorch's 2-d kernel)
    linear       x = s * i (align_corners) or max(s * (i + 0.5) - 0.5, 0); the entries
                 floor(x) and the next (the last entry repeats), weights 1 - t and t,
                 t = x - floor(x); an axis whose size stays is copied
    bicubic      x as linear's without the max at 0; the entries floor(x) - 1 ..
                 floor(x) + 2 (clamped to the axis), Keys' cubic weights, A = -0.75

A tap weighted 0 at every output is left out (it would only turn an inf into NaN). 'area'
is the adaptive average pool (`adaptive_avg_pool2d`). antialias=True takes each axis
through a matrix of antialiased weights instead (nn/antialiasing.py). `pixel_shuffle` and
`pixel_unshuffle` are a reshape, a permute and a reshape.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import integer
from ..tensor import Tensor
from .antialiasing import antialiased_along, antialiased_weights
from .grid_sampling import cubic_weights
from .layer_arguments import _as_tensor, _constant
from .module import Module
from .spatial_functions import adaptive_avg_pool2d

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle", "Upsample",
           "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle"]

# each mode and the input rank it needs (None: any of 3, 4, 5)
_MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 3, "bilinear": 4,
          "bicubic": 4, "trilinear": 5}
_LAYOUTS = {3: "(batch, channels, length)", 4: "(batch, channels, height, width)",
            5: "(batch, channels, depth, height, width)"}
_AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


# ------------------------------------------------------------------ arguments


def _mode(where: str, mode: Any, align_corners: Any) -> bool | None:
    """The mode checked, and align_corners as the mode takes it (None for the modes that
    do not interpolate, False for None in those that do)."""
    if not isinstance(mode, str):
        raise TypeError(f"{where}: mode must be a string, got {type(mode).__name__} "
                        f"{mode!r:.40}")
    if mode == "lanczos":
        raise ValueError(f"{where}: mode='lanczos' (antialiased) is not supported; use "
                         f"'bicubic' or 'bilinear'")
    if mode not in _MODES:
        raise NotImplementedError(f"{where}: mode={mode!r} is not a mode; use one of "
                                  f"{', '.join(map(repr, _MODES))}")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(f"{where}: align_corners={align_corners!r} can only be set with "
                             f"the interpolating modes: linear | bilinear | bicubic | "
                             f"trilinear; leave it None for mode={mode!r}")
        return None
    return False if align_corners is None else check_flag(where, "align_corners",
                                                          align_corners)


def _entries(where: str, name: str, value: Any, dims: int | None, kind: str) -> tuple:
    """`size` (kind 'int') or `scale_factor` (kind 'number'): one value, or a tuple or
    list of `dims` of them (any length where `dims` is None), as a tuple."""
    many = isinstance(value, (tuple, list))
    entries = tuple(value) if many else (value,)
    if many and dims is not None and len(entries) != dims:
        raise ValueError(f"{where}: {name}={value!r} has {len(entries)} "
                         f"{'entry' if len(entries) == 1 else 'entries'}, but the input has "
                         f"{dims} spatial axes; give one {kind} per axis, or one {kind}")
    for n in entries:
        if isinstance(n, bool) or not isinstance(
                n, (int, np.integer) if kind == "int" else (int, float, np.integer, np.floating)):
            raise TypeError(f"{where}: {name} must be {'an' if kind == 'int' else 'a'} {kind} "
                            f"or a tuple of them, got {type(n).__name__} {n!r:.40}"
                            + (f" in {value!r:.60}" if many else ""))
        if kind == "int" and n < 1:
            raise RuntimeError(f"{where}: output sizes should be greater than 0, got "
                               f"size={value!r}")
        if kind != "int" and not (math.isfinite(n) and n > 0):
            raise RuntimeError(f"{where}: scale_factor must be a finite number > 0, got "
                               f"{value!r}")
    entries = tuple(int(n) if kind == "int" else float(n) for n in entries)
    return entries if many or dims is None else entries * dims


def _sizes(where: str, size: Any, scale_factor: Any, recompute_scale_factor: Any,
           dims: int | None) -> tuple:
    """(size, scale_factor) checked as PyTorch's interpolate takes them, each a tuple or
    None; `dims` the spatial axes (None: not known yet, a layer's constructor)."""
    if size is not None and scale_factor is not None:
        raise ValueError(f"{where}: only one of size or scale_factor should be defined, got "
                         f"size={size!r} and scale_factor={scale_factor!r}")
    if size is None and scale_factor is None:
        raise ValueError(f"{where}: either size or scale_factor should be defined")
    if recompute_scale_factor is not None and check_flag(
            where, "recompute_scale_factor", recompute_scale_factor) and size is not None:
        raise ValueError(f"{where}: recompute_scale_factor=True is not meaningful with an "
                         f"explicit size; give scale_factor, or leave it None")
    if size is not None:
        return _entries(where, "size", size, dims, "int"), None
    return None, _entries(where, "scale_factor", scale_factor, dims, "number")


def _plan(where: str, input: Any, size: Any, scale_factor: Any, mode: Any, align_corners: Any,
          recompute_scale_factor: Any, antialias: Any) -> tuple:
    """(input, align_corners, output sizes, scales: a scale_factor per axis or None,
    antialias)."""
    align_corners = _mode(where, mode, align_corners)
    input = _as_tensor(where, input)
    if input.ndim not in _LAYOUTS:
        raise NotImplementedError(
            f"{where}: expected 3-d, 4-d or 5-d input (batch, channels, *spatial), got shape "
            f"{input.shape}" + ("; one (height, width) image needs input[None, None]"
                                if input.ndim == 2 else ""))
    rank = _MODES[mode]
    if rank is not None and input.ndim != rank:
        raise NotImplementedError(f"{where}: mode={mode!r} needs {rank}-d input "
                                  f"{_LAYOUTS[rank]}, got shape {input.shape}")
    if mode not in ("nearest", "nearest-exact") and input.dtype.kind != "f":
        raise NotImplementedError(f"{where}: mode={mode!r} needs a floating point input, got "
                                  f"dtype {input.dtype}; convert it first, input.double()")
    spatial = input.shape[2:]
    sizes, scales = _sizes(where, size, scale_factor, recompute_scale_factor, len(spatial))
    if scales is not None:
        products = [float(n) * s for n, s in zip(spatial, scales)]
        if not all(p < 2.0 ** 63 for p in products):  # (inf too)
            raise RuntimeError(f"{where}: the output size of input spatial size {spatial} "
                               f"times scale_factor={scale_factor!r} is too large")
        sizes = tuple(math.floor(p) for p in products)
        if mode == "area" or recompute_scale_factor:
            scales = None  # (the scale from the sizes then, PyTorch's recomputed one)
    antialias = check_flag(where, "antialias", antialias)
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"{where}: antialias=True is restricted to the bilinear and "
                         f"bicubic modes and a 4-d input, got mode={mode!r} and shape "
                         f"{input.shape}")
    if min(spatial) < 1 or min(sizes) < 1:
        raise RuntimeError(f"{where}: input and output sizes should be greater than 0, but "
                           f"got input spatial size {spatial} and output size {sizes}"
                           + ("" if scales is None else f" (scale_factor={scale_factor!r})"))
    if max(sizes) > np.iinfo(np.int64).max:
        raise RuntimeError(f"{where}: the output size {sizes} is too large")
    return input, align_corners, sizes, scales or (None,) * len(sizes), antialias


# ------------------------------------------------------------------ positions and weights


def _opmath(dtype: np.dtype) -> type:
    """The float type PyTorch computes positions and weights in: float64 for float64
    input, else float32."""
    return np.float64 if dtype == np.float64 else np.float32


def _scale(n_in: int, n_out: int, align_corners: bool, scale: float | None, op: type) -> Any:
    """The input step per output step (PyTorch's area_pixel_compute_scale)."""
    if align_corners:
        return op(n_in - 1) / op(n_out - 1) if n_out > 1 else op(0)
    return op(1.0 / scale) if scale is not None else op(n_in) / op(n_out)


def _nearest(n_in: int, n_out: int, scale: float | None, op: type, exact: bool,
             two_axes: bool) -> np.ndarray:
    """The input entry each output copies: floor(s * i), or floor(s * (i + 0.5)) (exact),
    rounded as PyTorch's kernels round it: its 1-d and 3-d ones as `_source`, its 2-d
    one in float32, where 'nearest' copies an axis whose size stays and reads i // 2
    where it doubles, whatever the scale_factor."""
    i = np.arange(n_out)
    if two_axes and not exact and n_out in (n_in, 2 * n_in):
        return i if n_out == n_in else i // 2
    if two_axes:
        s = _scale(n_in, n_out, False, scale, np.float32)
        position = (np.float64(s) * (i + 0.5)).astype(np.float32) if exact else \
            i.astype(np.float32) * s
    else:
        s = _scale(n_in, n_out, False, scale, op)
        position = np.maximum((np.float64(s) * (i + 0.5) - 0.5).astype(op), op(0)) + op(0.5) \
            if exact else s * i.astype(op)
    return np.minimum(np.floor(position.astype(np.float32)).astype(np.int64), n_in - 1)


def _source(n_in: int, n_out: int, align_corners: bool, scale: float | None, op: type,
            cubic: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each output's position x on the input axis, as its entry floor(x) (at most
    n_in - 1) and t = x - floor(x) kept in [0, 1] (PyTorch's guard_index_and_lambda)."""
    s, i = _scale(n_in, n_out, align_corners, scale, op), np.arange(n_out)
    if align_corners:
        x = s * i.astype(op)
    else:
        x = (np.float64(s) * (i + 0.5) - 0.5).astype(op)
        x = x if cubic else np.maximum(x, op(0))
    first = np.minimum(np.floor(x.astype(np.float32)).astype(np.int64), n_in - 1)
    return first, np.clip(x - first.astype(op), 0, 1).astype(op)


def _linear(n_in: int, n_out: int, align_corners: bool, scale: float | None,
            dtype: np.dtype) -> list[tuple[np.ndarray, np.ndarray]]:
    first, t = _source(n_in, n_out, align_corners, scale, _opmath(dtype), cubic=False)
    t = t.astype(dtype)
    return [(first, dtype.type(1) - t), (first + (first < n_in - 1), t)]


def _cubic(n_in: int, n_out: int, align_corners: bool, scale: float | None,
           dtype: np.dtype) -> list[tuple[np.ndarray, np.ndarray]]:
    op = _opmath(dtype)
    first, t = _source(n_in, n_out, align_corners, scale, op, cubic=True)
    return [(np.clip(first + j - 1, 0, n_in - 1), w.astype(dtype))
            for j, w in enumerate(cubic_weights(t))]


def _combine(x: Tensor, axis: int, taps: list, name: str) -> Tensor:
    """The sum over taps of x's entries at the tap's indices along `axis` times its
    weights (None: 1); the weights named `name` and the tap's number."""
    taps = [(index, w) for index, w in taps if w is None or w.any()]
    if len(taps) == 1 and (taps[0][1] is None or (taps[0][1] == 1).all()):
        index = taps[0][0]
        return x if np.array_equal(index, np.arange(x.shape[axis])) else \
            x.index_select(axis, index)
    out = None
    for j, (index, weights) in enumerate(taps):
        w = _constant(weights.reshape((-1,) + (1,) * (x.ndim - 1 - axis)), f"{name} {j}")
        term = x.index_select(axis, index) * w
        out = term if out is None else out + term
    return out


def _area(input: Tensor, sizes: tuple) -> Tensor:
    """The adaptive average pool to `sizes`; 1-d and 3-d through the 2-d one (the mean
    over a box is the mean over its depth of the means over its rows and columns)."""
    if input.ndim == 4:
        return adaptive_avg_pool2d(input, sizes)
    if input.ndim == 3:
        return adaptive_avg_pool2d(input.unsqueeze(-2), (1,) + sizes).squeeze(-2)
    (n, c, d), (depth, height, width) = input.shape[:3], sizes
    planes = adaptive_avg_pool2d(input.reshape(n, c * d, *input.shape[3:]), sizes[1:])
    columns = planes.reshape(n, c, d, height * width).swapaxes(2, 3)
    pooled = adaptive_avg_pool2d(columns.reshape(n, c * height * width, 1, d), (1, depth))
    return pooled.reshape(n, c, height * width, depth).swapaxes(2, 3).reshape(
        n, c, depth, height, width)


def _interpolate(where: str, input: Any, size: Any, scale_factor: Any, mode: Any,
                 align_corners: Any, recompute_scale_factor: Any, antialias: Any) -> Tensor:
    input, align_corners, sizes, scales, antialias = _plan(
        where, input, size, scale_factor, mode, align_corners, recompute_scale_factor,
        antialias)
    if mode == "area":
        return _area(input, sizes)
    x, dtype = input, input.dtype
    for k in reversed(range(len(sizes))):
        axis, n_in, n_out = 2 + k, input.shape[2 + k], sizes[k]
        if antialias and n_in == n_out:
            continue  # (PyTorch's antialiased kernels copy an axis whose size stays)
        if antialias:
            step = _scale(n_in, n_out, align_corners, scales[k], np.float64)
            weights = antialiased_weights(n_in, n_out, step, mode == "bicubic")
            x = antialiased_along(x, axis - 4, weights,
                                  f"antialiased {mode} weights, {_AXES[2][k]}")
            continue
        if mode in ("nearest", "nearest-exact"):
            taps = [(_nearest(n_in, n_out, scales[k], _opmath(dtype),
                              mode == "nearest-exact", len(sizes) == 2), None)]
        elif mode == "bicubic":
            taps = _cubic(n_in, n_out, align_corners, scales[k], dtype)
        elif n_in == n_out:
            continue  # (PyTorch's linear modes copy an axis whose size stays)
        else:
            taps = _linear(n_in, n_out, align_corners, scales[k], dtype)
        x = _combine(x, axis, taps, f"{mode} weights, {_AXES[len(sizes)][k]}, tap")
    return input.clone() if x is input else x  # (a new tensor, as PyTorch's)


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """`input` resampled to `size` or by `scale_factor` along its spatial axes, as
    PyTorch's interpolate: input (batch, channels, length), (batch, channels, height,
    width) or (batch, channels, depth, height, width) (a 3-d input is a batch of
    sequences: an unbatched image needs input.unsqueeze(0)).

    `size`: the output's spatial size, an int or one per axis; `scale_factor`: a number
    or one per axis, the output size floor(in * scale_factor) (give one of the two).
    `mode`: 'nearest' (PyTorch's default; floor(i * in / out), OpenCV's), 'nearest-exact'
    (the nearest centre, PIL's and scikit-image's), 'linear' (3-d), 'bilinear' (4-d),
    'bicubic' (4-d, Keys' A = -0.75, overshoots), 'trilinear' (5-d) or 'area' (the
    adaptive average pool). `align_corners` (interpolating modes only, None: False):
    True maps the corner entries' centres onto each other, False the outer edges (and
    repeats the edge entries beyond them). `recompute_scale_factor=True`: the output
    size from the scale_factor, then the scale from the sizes (as given: the scale_factor
    itself). The exact positions and weights: the module's docstring. `antialias=True`
    ('bilinear' and 'bicubic' only): PyTorch's antialiased weights (PIL's resize; see
    nn/antialiasing.py), which average every input entry an output stands for when
    shrinking. A float32 input stays float32.
    """
    return _interpolate("interpolate", input, size, scale_factor, mode, align_corners,
                        recompute_scale_factor, antialias)


# ------------------------------------------------------------------ pixel shuffle


def _factor(where: str, name: str, value: Any) -> int:
    value = integer(where, name, value)
    if value < 1:
        raise RuntimeError(f"{where}: {name} must be a positive int, got {value}")
    return value


def _images(where: str, input: Any, layout: str) -> Tensor:
    input = _as_tensor(where, input)
    if input.ndim < 3:
        raise ShapeError(f"{where}: expected input of at least 3 dimensions {layout}, got "
                         f"shape {input.shape}")
    return input


def pixel_shuffle(input: Any, upscale_factor: int) -> Tensor:
    """(*, C * r**2, H, W) to (*, C, H * r, W * r), r = upscale_factor: each channel's r x r
    block of channels becomes an r x r block of pixels (PyTorch's pixel_shuffle; output
    [c, h * r + i, w * r + j] = input[c * r * r + i * r + j, h, w])."""
    r = _factor("pixel_shuffle", "upscale_factor", upscale_factor)
    input = _images("pixel_shuffle", input, "(*, C * upscale_factor**2, H, W)")
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise ShapeError(f"pixel_shuffle: the input's channels ({channels}, axis -3 of shape "
                         f"{input.shape}) must be divisible by upscale_factor**2 = {r * r}")
    k = len(batch)
    blocks = input.reshape(*batch, channels // (r * r), r, r, height, width)
    return blocks.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2).reshape(
        *batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input: Any, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) to (*, C * r**2, H, W), r = downscale_factor: `pixel_shuffle`
    undone, each r x r block of pixels as r * r channels (PyTorch's pixel_unshuffle)."""
    r = _factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    input = _images("pixel_unshuffle", input, "(*, C, H * downscale_factor, "
                                              "W * downscale_factor)")
    *batch, channels, height, width = input.shape
    for name, n in (("height", height), ("width", width)):
        if n % r:
            raise ShapeError(f"pixel_unshuffle: the input's {name} ({n}, shape "
                             f"{input.shape}) must be divisible by downscale_factor {r}")
    k = len(batch)
    blocks = input.reshape(*batch, channels, height // r, r, width // r, r)
    return blocks.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3).reshape(
        *batch, channels * r * r, height // r, width // r)


# ------------------------------------------------------------------ layers


class Upsample(Module):
    """Resamples its input to `size` or by `scale_factor` (see `interpolate`, which it
    calls with its settings), as PyTorch's Upsample; `scale_factor` is kept as a float
    (or a tuple of them), `size` as given. The settings are checked here; their count
    against the input's spatial axes at each call."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        _mode(name, mode, align_corners)
        _, scales = _sizes(name, size, scale_factor, recompute_scale_factor, None)
        self.size = size
        self.scale_factor = None if scales is None else (
            scales if isinstance(scale_factor, (tuple, list)) else scales[0])
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Any) -> Tensor:
        return _interpolate(type(self).__name__, input, self.size, self.scale_factor,
                            self.mode, self.align_corners, self.recompute_scale_factor, False)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """`Upsample` with mode='nearest' (PyTorch's UpsamplingNearest2d, which PyTorch keeps
    for old code: `Upsample(size, scale_factor)` is the same)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """`Upsample` with mode='bilinear' and align_corners=True (PyTorch's
    UpsamplingBilinear2d: the corner pixels' centres kept; Upsample(..., mode='bilinear')
    has align_corners=False)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(*, C * r**2, H, W) to (*, C, H * r, W * r), r = upscale_factor (see
    `pixel_shuffle`), as PyTorch's PixelShuffle: sub-pixel convolution's last step."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = _factor(type(self).__name__, "upscale_factor", upscale_factor)

    def forward(self, input: Any) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H * r, W * r) to (*, C * r**2, H, W), r = downscale_factor (see
    `pixel_unshuffle`), as PyTorch's PixelUnshuffle."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = _factor(type(self).__name__, "downscale_factor",
                                        downscale_factor)

    def forward(self, input: Any) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"

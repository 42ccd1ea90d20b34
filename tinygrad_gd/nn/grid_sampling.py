"""Sampling at arbitrary positions, as PyTorch's: `affine_grid`, the positions an affine map
sends an output grid to, and `grid_sample`, the input read there ('bilinear', trilinear
for 5-d input, 'nearest', 'bicubic'; padding 'zeros', 'border', 'reflection'): together
the spatial transformer network's sampler, differentiable in the input, the grid and so
the affine matrices.

Positions are normalized: -1 and 1 are the input's edges (align_corners=False: the outer
edges of the corner entries; True: their centres). Along an axis of n entries, a grid
value g is the position (PyTorch's CPU kernels' formulas, rounded alike)

    x = (g + 1) * n / 2 - 0.5        (align_corners=True: (g + 1) * (n - 1) / 2)

'border' clamps x to [0, n - 1]; 'reflection' folds it at the edges (-0.5 and n - 0.5,
or 0 and n - 1 with align_corners) until inside, then clamps. The derivative of x in g
is then n / 2 (or (n - 1) / 2) times 1, 0 or -1: 0 where clamped, and at the clamp's
bounds themselves, as PyTorch's. 'bilinear' reads the entries floor(x) and floor(x) + 1
on each axis, weights 1 - t and t (t = x - floor(x)); 'bicubic' (4-d only) the entries
floor(x) - 1 .. floor(x) + 2, Keys' cubic weights in t (A = -0.75), its padding applied
to each entry read rather than to x; 'nearest' the entry round(x) (half to even; at an
exact tie PyTorch's vectorized kernel, built with fused multiply-adds, may round its x
to the other side). An entry outside the input reads 0 ('zeros'), its gradient too.

Composed of Tensor ops: the entries read are gathered (`take`), their weights computed
from the grid by Tensor ops, so `backward()` gives both gradients ('nearest': the grid's
is 0, as PyTorch's). Where 'reflection' pads the position, its value is NumPy's (exact
however far out) and its slope (1, 0, -1) is carried by `padded + slope * (x - value)`,
`value` x's own value as a constant.

A NaN position (or an infinite one, except clamped by 'border' in 'bilinear') gives NaN
in 'bilinear' and 'bicubic', as PyTorch's 2-d kernels do (its 3-d kernel reads 0 or an
entry there, whichever its integer conversion of NaN lands on); 'nearest' reads 0 there
with 'zeros' and the first entry with 'border' and 'reflection' (PyTorch: "NaN is -1").
"""
from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np

from .. import functional as tg
from ..errors import ShapeError, user_stacklevel
from ..grad_mode import check_flag
from ..ops.arguments import integer
from ..tensor import Tensor
from .layer_arguments import _as_tensor, _constant, _named

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_LAYOUTS = {4: ("(N, C, H_in, W_in)", "(N, H_out, W_out, 2)"),
            5: ("(N, C, D_in, H_in, W_in)", "(N, D_out, H_out, W_out, 3)")}
_AXES = ("x", "y", "z")  # the grid's last axis: the input's width, height, depth
_CUBIC_A = -0.75  # (PyTorch's, as interpolate's bicubic)
# PyTorch's warnings, word for word
_DEFAULT_CHANGED = ("Default grid_sample and affine_grid behavior has changed to "
                    "align_corners=False since 1.3.0. Please specify align_corners=True if "
                    "the old behavior is desired. See the documentation of grid_sample for "
                    "details.")
_UNIT_SIZE = ("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
              "align_corners=True. This is not an intended use case of affine_grid. See the "
              "documentation of affine_grid for details.")


def _align(where: str, align_corners: Any) -> bool:
    """align_corners as a bool; None is False, with PyTorch's warning."""
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, UserWarning, stacklevel=user_stacklevel())
        return False
    return check_flag(where, "align_corners", align_corners)


# ------------------------------------------------------------------ affine_grid


def _steps(n: int, align_corners: bool, dtype: np.dtype) -> np.ndarray:
    """The normalized positions of n entries' centres along an axis (0 for one entry),
    rounded as PyTorch's: counted from -1 in the first half and from 1 in the second, in
    the dtype, so mirrored positions are exact negatives and the identity map samples at
    the centres exactly (where the gradient is one-sided, a last-bit difference from
    torch's grid moved it to the other side)."""
    if n <= 1:
        return np.zeros(n, dtype)
    t, i = dtype.type, np.arange(n)
    step = t(2) / t(n - 1)
    steps = np.where(i < n // 2, t(-1) + step * i.astype(dtype),
                     t(1) - step * (n - 1 - i).astype(dtype)).astype(dtype)
    return steps if align_corners else steps * t(n - 1) / t(n)


def affine_grid(theta: Any, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps, as PyTorch's affine_grid: theta
    (N, 2, 3) and size (N, C, H, W) give (N, H, W, 2), theta (N, 3, 4) and size
    (N, C, D, H, W) give (N, D, H, W, 3); entry [n, h, w] is theta[n] @ (x_w, y_h, 1),
    x_w and y_h the normalized centres of the output's entries (see the module's
    docstring; align_corners=None: False, with PyTorch's warning). For `grid_sample`
    with the same align_corners; theta's gradient comes from backward()."""
    where = "affine_grid"
    align_corners = _align(where, align_corners)
    theta = _as_tensor(where, theta, what="theta")
    if theta.dtype.kind != "f":
        raise ValueError(f"{where}: expected theta to have floating point type, but got "
                         f"{theta.dtype}; convert it first, theta.double()")
    if isinstance(size, (str, bytes)) or not hasattr(size, "__len__"):
        raise TypeError(f"{where}: size must be a tuple of ints (N, C, H, W) or (N, C, D, H, "
                        f"W), got {type(size).__name__} {size!r:.40}")
    size = tuple(integer(where, "size", n) for n in size)
    if len(size) not in _LAYOUTS:
        raise NotImplementedError(f"{where}: only 4-d and 5-d sizes are supported, for 2-d "
                                  f"and 3-d affine transforms, respectively; got size {size}")
    dims = len(size) - 2
    if theta.ndim != 3 or theta.shape[1:] != (dims, dims + 1):
        raise ValueError(f"{where}: expected a batch of {dims}-d affine matrices of shape "
                         f"(N, {dims}, {dims + 1}) for size {size}, got shape {theta.shape}")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn(_UNIT_SIZE, UserWarning, stacklevel=user_stacklevel())
    elif min(size) <= 0:
        raise ValueError(f"{where}: expected non-zero, positive output size, got {size}")
    if theta.shape[0] != size[0]:
        raise ShapeError(f"{where}: theta holds {theta.shape[0]} matrices but size asks for "
                         f"a batch of {size[0]}; give one matrix per output (size[0] = "
                         f"theta.shape[0])")
    # the base grid (.., x, y, [z,] 1): x along the last axis, as the grid's first entry
    axes = [_steps(n, align_corners, theta.dtype) for n in reversed(spatial)]
    mesh = list(np.meshgrid(*axes, indexing="xy" if dims == 2 else "ij"))
    if dims == 3:  # ("ij" over (x, y, z) gives (W, H, D): turned to (D, H, W))
        mesh = [m.transpose(2, 1, 0) for m in mesh]
    base = np.stack(mesh + [np.ones(spatial, theta.dtype)], axis=-1).reshape(-1, dims + 1)
    base = _constant(base, f"{where} base grid (x, y{', z' if dims == 3 else ''}, 1)", theta)
    return (base @ theta.swapaxes(1, 2)).reshape(size[0], *spatial, dims)


# ------------------------------------------------------------------ grid_sample: arguments


def _checked(input: Any, grid: Any, mode: Any, padding_mode: Any) -> tuple[Tensor, Tensor]:
    where = "grid_sample"
    if mode not in _MODES:
        raise ValueError(f"{where}: expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: {mode!r:.40}")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"{where}: expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: {padding_mode!r:.40}")
    input, grid = _as_tensor(where, input), _as_tensor(where, grid, what="grid")
    if input.ndim not in _LAYOUTS or grid.ndim != input.ndim:
        hint = "; one image needs a batch axis: input[None], grid[None]" \
            if input.ndim == 3 and grid.ndim == 3 else ""
        raise ShapeError(f"{where}: expected 4-d input {_LAYOUTS[4][0]} with a grid "
                         f"{_LAYOUTS[4][1]}, or 5-d input {_LAYOUTS[5][0]} with a grid "
                         f"{_LAYOUTS[5][1]}; got input shape {input.shape} and grid shape "
                         f"{grid.shape}{hint}")
    dims = input.ndim - 2
    if input.dtype.kind != "f" or grid.dtype.kind != "f":
        raise NotImplementedError(f"{where}: needs floating point input and grid, got dtypes "
                                  f"{input.dtype} and {grid.dtype}; convert them first, "
                                  f"input.double()")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"{where}: expected input and grid to have the same dtype, got "
                           f"{input.dtype} and {grid.dtype}; convert one, grid.to(input.dtype)")
    if grid.shape[0] != input.shape[0]:
        raise ShapeError(f"{where}: expected grid and input to have the same batch size, "
                         f"got input shape {input.shape} and grid shape {grid.shape}")
    if grid.shape[-1] != dims:
        raise ShapeError(f"{where}: expected a grid of {dims} positions per entry (size "
                         f"{dims} in its last axis) for {dims + 2}-d input, got grid shape "
                         f"{grid.shape}")
    if min(input.shape[2:]) == 0:
        raise ShapeError(f"{where}: expected input to have non-empty spatial dimensions, "
                         f"but input has shape {input.shape}")
    if mode == "bicubic" and dims != 2:
        raise RuntimeError(f"{where}: mode='bicubic' supports only 4-d input "
                           f"{_LAYOUTS[4][0]}, got shape {input.shape}; use 'bilinear' "
                           f"(trilinear) or 'nearest'")
    return input, grid


# ------------------------------------------------------------------ positions


def _position(g: Tensor, n: int, align_corners: bool, four_d: bool) -> Tensor:
    """Normalized grid values g as positions on an axis of n entries, as PyTorch's 2-d
    (vectorized) and 3-d kernels round them."""
    t = g.dtype.type
    if align_corners:
        return (g + 1) * t((n - 1) / 2) if four_d else (g + 1) / 2 * t(n - 1)
    return (g + 1) * t(n / 2) - 0.5 if four_d else ((g + 1) * t(n) - 1) / 2


def _padded(x: np.ndarray, n: int, padding_mode: str, align_corners: bool
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """(positions x padded, the slope of each in x: 1, 0 or -1; None for 'zeros'), as
    PyTorch's clip_coordinates and reflect_coordinates with their gradients."""
    if padding_mode == "zeros":
        return x, None
    slope = np.ones(x.shape, np.int8)
    if padding_mode == "reflection":
        low, span = (0.0, n - 1.0) if align_corners else (-0.5, float(n))
        if span == 0:
            return np.zeros_like(x), np.zeros(x.shape, np.int8)
        with np.errstate(invalid="ignore"):  # (inf and NaN: NaN, as PyTorch's)
            shifted = x - x.dtype.type(low)
            distance = np.abs(shifted)
            extra = np.fmod(distance, x.dtype.type(span))
            odd = np.floor(distance / x.dtype.type(span)) % 2 == 1
        x = np.where(odd, x.dtype.type(span) - extra, extra) + x.dtype.type(low)
        slope = np.where(odd != (shifted < 0), -1, 1).astype(np.int8)
    inside = (x > 0) & (x < n - 1)  # (on a bound: clamped, slope 0, as PyTorch's)
    return np.where(inside, x, np.clip(x, 0, n - 1)), slope * inside


def _padded_tensor(x: Tensor, n: int, padding_mode: str, align_corners: bool, name: str
                   ) -> Tensor:
    """x padded: the value NumPy's `_padded`, the derivative its slope through x."""
    values, slope = _padded(x.data, n, padding_mode, align_corners)
    if slope is None:
        return x
    constant = _constant(values, f"grid_sample {padding_mode} position, {name}")
    if padding_mode == "border":  # (x itself where inside: no rounding)
        return tg.where(slope != 0, x, constant)
    # x minus its own value is 0 with derivative 1: the value stays NumPy's, the slope is
    # carried (an infinite x: NaN there, quietly, but its slope is 0: the constant is read)
    anchor = _constant(np.where(np.isfinite(x.data), x.data, np.nan),
                       f"grid_sample reflection anchor, {name}")
    slope = _constant(slope.astype(x.dtype), f"grid_sample reflection slope, {name}")
    return tg.where(slope.data != 0, constant + (x - anchor) * slope, constant)


def _floor(x: np.ndarray) -> np.ndarray:
    """floor(x), NaN where x is not finite: x minus it is then NaN (the weights, as
    PyTorch's) without NumPy's warning for inf - inf."""
    return np.where(np.isfinite(x), np.floor(x), np.nan)


def _read(first: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(entries floor(x) + ... as ints, True where inside the axis), for float positions
    (NaN and inf: outside)."""
    inside = (first >= 0) & (first < n)  # (False for NaN)
    return np.where(inside, first, 0).astype(np.int64), inside


def _taps(x: Tensor, n: int, mode: str, padding_mode: str, align_corners: bool, name: str
          ) -> list[tuple[np.ndarray, np.ndarray, Tensor]]:
    """Along one axis: (entry read, inside, weight) per tap, the weights tensors of x."""
    if mode == "bicubic":  # (padding applied to each entry read, not to x)
        first = _floor(x.data)
        t = x - _constant(first, f"grid_sample floor, {name}")
        taps = []
        for j, weight in enumerate(cubic_weights(t)):
            entries, _ = _padded(first + (j - 1), n, padding_mode, align_corners)
            taps.append((*_read(entries, n), weight))
        return taps
    if mode == "nearest":
        # (np.rint: half to even, as PyTorch's nearbyint)
        nearest = np.rint(_padded(x.data, n, padding_mode, align_corners)[0])
        if padding_mode != "zeros":
            nearest = np.nan_to_num(nearest, nan=0.0)  # (PyTorch's "NaN is -1")
        ones = x.masked_fill(np.ones(x.shape, bool), 1.0)  # (the grid's gradient: 0)
        return [(*_read(nearest, n), ones)]
    x = _padded_tensor(x, n, padding_mode, align_corners, name)
    first = _floor(x.data)
    t = x - _constant(first, f"grid_sample floor, {name}")
    return [(*_read(first, n), 1 - t), (*_read(first + 1, n), t)]


def cubic_near(d: Any, a: float = _CUBIC_A) -> Any:
    """Keys' cubic convolution weight at a distance d <= 1 (an array or a Tensor)."""
    return ((a + 2) * d - (a + 3)) * d * d + 1


def cubic_far(d: Any, a: float = _CUBIC_A) -> Any:
    """Keys' cubic convolution weight at a distance 1 < d < 2 (an array or a Tensor)."""
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a


def cubic_weights(t: Any, a: float = _CUBIC_A) -> list[Any]:
    """Keys' cubic convolution weights of the entries floor(x) - 1 .. floor(x) + 2 at
    t = x - floor(x), in PyTorch's order of operations (get_cubic_upsample_coefficients):
    of an array (interpolate's fixed weights) or of a Tensor (grid_sample's, whose
    gradient reaches the grid through them)."""
    return [cubic_far(t + 1, a), cubic_near(t, a), cubic_near(1 - t, a),
            cubic_far((1 - t) + 1, a)]


# ------------------------------------------------------------------ grid_sample


def grid_sample(input: Any, grid: Any, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """`input` read at the positions of `grid`, as PyTorch's grid_sample: input (N, C,
    H_in, W_in) and grid (N, H_out, W_out, 2) give (N, C, H_out, W_out), grid[n, h, w] the
    normalized (x, y) read into output[n, :, h, w]; 5-d input (N, C, D_in, H_in, W_in)
    with grid (N, D_out, H_out, W_out, 3), (x, y, z), gives (N, C, D_out, H_out, W_out).

    `mode`: 'bilinear' (trilinear for 5-d input), 'nearest' or 'bicubic' (4-d only);
    `padding_mode`: what is read outside the input, 'zeros', 'border' (the edge entries)
    or 'reflection' (the input mirrored at its edges); `align_corners` (None: False, with
    PyTorch's warning): True puts -1 and 1 on the corner entries' centres, False on their
    outer edges. The formulas: the module's docstring. Gradients reach both the input and
    the grid ('nearest': the grid's is 0). Input and grid of one float dtype; float32 stays
    float32.
    """
    input, grid = _checked(input, grid, mode, padding_mode)
    align_corners = _align("grid_sample", align_corners)
    batch, channels, *spatial = input.shape
    dims, out_spatial = len(spatial), grid.shape[1:-1]
    positions = int(np.prod(out_spatial))
    flat = grid.reshape(batch, positions, dims)
    taps = []  # per axis, x (width) first
    for k in range(dims):
        n = spatial[dims - 1 - k]
        x = _position(flat[:, :, k], n, align_corners, dims == 2)
        taps.append(_taps(x, n, mode, padding_mode, align_corners, _AXES[k]))
    # every combination of one tap per axis: the entry's flat index, inside, weight
    indices, insides, weights = [], [], []
    for combination in itertools.product(*reversed(taps)):  # (depth, height, width)
        index, inside, weight = np.arange(batch)[:, None], True, None
        for (entry, within, w), n in zip(combination, spatial):
            index, inside = index * n + entry, inside & within
            weight = w if weight is None else weight * w
        indices.append(index)
        insides.append(inside)
        weights.append(weight)
    # channels last, one row per entry: each tap reads a row of C values
    rows = input.permute(0, *range(2, dims + 2), 1).reshape(
        batch * int(np.prod(spatial)), channels)
    values = rows.take(np.stack(indices, axis=1), axis=0)  # (N, taps, positions, C)
    # (an input needing no gradient: the entries read are a constant, named as what they are)
    values = _named(values, f"{input.name or 'input'} at the grid's taps")
    inside = np.stack(insides, axis=1)[..., None]
    if not inside.all():  # (0 read outside: not weight * input, which inf would make NaN)
        values = _named(tg.where(inside, values, 0), f"{input.name or 'input'} at the "
                        f"grid's taps (0 outside)")
    out = (values * tg.stack(weights, axis=1)[..., None]).sum(axis=1)
    return out.reshape(batch, *out_spatial, channels).permute(0, dims + 1,
                                                              *range(1, dims + 1))

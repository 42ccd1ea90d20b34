"""The windows of convolutions and pools, in NumPy: where they lie (`_Grid`), the windows
of a padded input as views, values added back where each window lies, and what the ops in
convolution.py compute of them, for their forwards and backwards and for the ops that
make their gradients for second derivatives: a convolution's output and its gradients for
the input (a transposed convolution) and the weight, a max pool's choice of entry in each
window (`window_argmax`, `max_pool_indices`) and an average pool's divisors.
"""
from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .window_arguments import spans


class _Grid(NamedTuple):
    """Where the windows of an op lie: per spatial axis ((depth,) height, width) the
    kernel, stride and dilation, the number of windows `counts`, and the padding (before,
    after) `sides`, the after side long enough for every window (ceil_mode's last one too)."""
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    counts: tuple[int, ...]
    sides: tuple[tuple[int, int], ...]


def _grid(kernel: tuple, stride: tuple, dilation: tuple, counts: tuple, before: tuple,
          size: tuple) -> _Grid:
    after = tuple(max(0, (c - 1) * s + span - n - b) for c, s, span, n, b in
                  zip(counts, stride, spans(kernel, dilation), size, before))
    return _Grid(kernel, stride, dilation, counts, tuple(zip(before, after)))


_LEAD = (slice(None),) * 2  # the batch and channel axes, whole


def _windows(padded: np.ndarray, grid: _Grid) -> np.ndarray:
    """Every window of the padded input, (N, C, out..., k...): views."""
    n = len(grid.kernel)
    views = sliding_window_view(padded, spans(grid.kernel, grid.dilation),
                                axis=tuple(range(2, 2 + n)))
    views = views[_LEAD + tuple(slice(None, c * s, s) for c, s in zip(grid.counts, grid.stride))]
    if any(d != 1 for d in grid.dilation):
        views = views[(Ellipsis,) + tuple(slice(None, None, d) for d in grid.dilation)]
    return views


def _add_windows(target: np.ndarray, per_window: np.ndarray, grid: _Grid) -> None:
    """Add each window's values (N, C, out..., k...) back where the window lies."""
    for at in np.ndindex(*grid.kernel):
        target[_LEAD + tuple(slice(i * d, i * d + s * c, s) for i, d, s, c in zip(
            at, grid.dilation, grid.stride, grid.counts))] += per_window[(Ellipsis,) + at]


def _padded(x: np.ndarray, sides: tuple, value: Any = 0.0) -> np.ndarray:
    """x with (before, after) entries of `value` around each spatial axis."""
    return np.pad(x, ((0, 0), (0, 0)) + sides, constant_values=value) \
        if any(sum(sides, ())) else x


def _padded_zeros(shape: tuple, grid: _Grid, dtype: Any) -> np.ndarray:
    """Zeros of an input of `shape` padded as `grid` pads it, for values added back."""
    return np.zeros(shape[:2] + tuple(m + b + a for m, (b, a) in zip(shape[2:], grid.sides)),
                    dtype=dtype)


def _cropped(full: np.ndarray, sides: tuple, size: tuple) -> np.ndarray:
    """The input's part of a padded array: the padding cut off each spatial axis."""
    return full[_LEAD + tuple(slice(b, b + n) for (b, _), n in zip(sides, size))]


# Entries of the windows copied out at a time (a few batch entries' worth): never the
# whole (N, C, kernel..., out...) array, gigabytes for PyTorch's own 3-d examples.
_CHUNK = 1 << 24


def _columns(windows: np.ndarray, groups: int) -> Any:
    """(start, stop, columns) of a few batch entries at a time: their windows as
    (batch, groups, channels / groups * kernel entries, windows), copied into one buffer
    (reused: its memory touched once) to matmul with a weight; a NaN reaches only the
    outputs of the windows holding it."""
    batch, channels, n = windows.shape[0], windows.shape[1], (windows.ndim - 2) // 2
    step = max(1, _CHUNK // max(math.prod(windows.shape[1:]), 1))
    order = _halves_swapped(n)
    shape = tuple(windows.shape[axis] for axis in order)
    buffer = np.empty((min(step, batch),) + shape[1:], windows.dtype)
    for start in range(0, batch, step):
        part = buffer[:min(step, batch - start)]
        np.copyto(part, windows[start:start + step].transpose(order))
        yield start, start + len(part), part.reshape(
            (len(part), groups, channels // groups * math.prod(shape[2:2 + n]),
             math.prod(shape[2 + n:])))


def _halves_swapped(n: int) -> tuple[int, ...]:
    """The axes of windows (N, C, out..., kernel...) as (N, C, kernel..., out...), and back:
    n spatial axes each."""
    return (0, 1) + tuple(range(2 + n, 2 + 2 * n)) + tuple(range(2, 2 + n))


def _by_group(w: np.ndarray, groups: int) -> np.ndarray:
    """A weight (out, in / groups, kernel...) as (groups, out / groups, in / groups * kernel)."""
    return w.reshape(groups, w.shape[0] // groups, math.prod(w.shape[1:]))


def _correlate(padded: np.ndarray, w: np.ndarray, grid: _Grid, groups: int) -> np.ndarray:
    """A convolution's output without bias: each window of the padded input times w."""
    places = math.prod(grid.counts)
    out = np.empty((padded.shape[0], w.shape[0], places), np.result_type(padded, w))
    weight = _by_group(w, groups)
    for start, stop, columns in _columns(_windows(padded, grid), groups):
        np.matmul(weight, columns,
                  out=out[start:stop].reshape((stop - start,) + weight.shape[:2] + (places,)))
    return out.reshape(out.shape[:2] + grid.counts)


def _weight_grad(g: np.ndarray, padded: np.ndarray, grid: _Grid, groups: int) -> np.ndarray:
    """A convolution's gradient for its weight: the sum over windows of g times the window."""
    inputs = padded.shape[1] // groups
    gw = np.zeros((groups, g.shape[1] // groups, inputs * math.prod(grid.kernel)),
                  np.result_type(g, padded))
    rows = g.reshape(g.shape[0], groups, g.shape[1] // groups, math.prod(grid.counts))
    for start, stop, columns in _columns(_windows(padded, grid), groups):
        gw += np.matmul(rows[start:stop], columns.swapaxes(-1, -2)).sum(axis=0)
    return gw.reshape((g.shape[1], inputs) + grid.kernel)


def _input_grad(g: np.ndarray, w: np.ndarray, grid: _Grid, groups: int,
                shape: tuple) -> np.ndarray:
    """A convolution's gradient for its input of `shape` (a transposed convolution of g by
    w): g times w added back where each window lies, the padding cut off."""
    full = _padded_zeros(shape, grid, g.dtype)
    batch, places = g.shape[0], math.prod(grid.counts)
    spread = _by_group(w, groups).swapaxes(-1, -2)  # (groups, in / groups * kernel, out / g)
    rows = g.reshape(batch, groups, g.shape[1] // groups, places)
    step = max(1, _CHUNK // max(shape[1] * math.prod(grid.kernel) * places, 1))
    buffer = np.empty((min(step, batch),) + spread.shape[:2] + (places,),
                      np.result_type(spread, rows))  # (reused: its memory touched once)
    for start in range(0, batch, step):
        part = rows[start:start + step]
        per_window = np.matmul(spread, part, out=buffer[:len(part)]).reshape(
            (len(part), shape[1]) + grid.kernel + grid.counts)
        _add_windows(full[start:start + len(part)],
                     per_window.transpose(_halves_swapped(len(grid.kernel))), grid)
    return _cropped(full, grid.sides, shape[2:])


def _inside(grid: _Grid, size: tuple) -> np.ndarray | None:
    """(out..., prod(kernel)): True where a window's entry lies in the input, not in its
    padding; None where no window reaches the padding."""
    if not any(sum(grid.sides, ())):
        return None
    n, inside = len(grid.kernel), np.ones((), bool)
    for axis, (c, s, (b, _), k, d, m) in enumerate(zip(grid.counts, grid.stride, grid.sides,
                                                       grid.kernel, grid.dilation, size)):
        at = (np.arange(c) * s - b)[:, None] + np.arange(k) * d  # (windows, kernel)
        shape = [1] * (2 * n)
        shape[axis], shape[n + axis] = c, k
        inside = inside & ((at >= 0) & (at < m)).reshape(shape)
    return inside.reshape(grid.counts + (-1,))


def window_argmax(values: np.ndarray, inside: np.ndarray | None = None) -> np.ndarray:
    """The position along the last axis of each row's maximum, as PyTorch's max pools
    choose it: the first of tied maxima, the last NaN where a row holds one; never a
    position `inside` (broadcast against values) marks False."""
    if inside is None:  # (argmax: the first of tied maxima; of NaNs the first: see below)
        position = values.argmax(axis=-1)
    else:  # (a padding's -inf or smallest int may tie with the maximum: not it)
        position = ((values == values.max(axis=-1, keepdims=True)) & inside).argmax(axis=-1)
    if values.dtype.kind in "fc":
        nan = np.isnan(values)  # (padding is never NaN)
        if nan.any():
            last = values.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
            position = np.where(nan.any(axis=-1), last, position)
    return position


def _smallest(dtype: np.dtype) -> Any:
    """The padding of a max pool: -inf, or an integer dtype's smallest value (False)."""
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf


def max_pool_indices(x: np.ndarray, grid: _Grid) -> np.ndarray:
    """PyTorch's indices of a max pool: for each window, the flat position of its maximum
    within its (batch, channel) plane or volume (`window_argmax`'s choice): row * width +
    column of an image, (depth * height + row) * width + column of a volume."""
    windows = _windows(_padded(x, grid.sides, _smallest(x.dtype)), grid)
    n = len(grid.kernel)
    position = window_argmax(windows.reshape(windows.shape[:2 + n] + (math.prod(grid.kernel),)),
                             _inside(grid, x.shape[2:]))
    flat = np.zeros((), np.int64)
    for axis, (at, d, s, (b, _), c, m) in enumerate(zip(
            np.unravel_index(position, grid.kernel), grid.dilation, grid.stride, grid.sides,
            grid.counts, x.shape[2:])):  # each window's start along the axis, broadcast
        flat = flat * m + at * d + (np.arange(c) * s - b).reshape((c,) + (1,) * (n - 1 - axis))
    return flat.astype(np.int64)


def _divisors(grid: _Grid, size: tuple, count_include_pad: bool) -> np.ndarray:
    """(out...): PyTorch's divisor of each window of an average pool, the entries of the
    window within the input and its padding (or the input alone)."""
    axes = []
    for c, s, k, (p, _), n in zip(grid.counts, grid.stride, grid.kernel, grid.sides, size):
        start = np.arange(c) * s - p
        end = np.minimum(start + k, n + p)
        axes.append(end - start if count_include_pad else
                    np.minimum(end, n) - np.maximum(start, 0))
    return functools.reduce(np.multiply.outer, axes)


def _window_sums(x: np.ndarray, grid: _Grid) -> np.ndarray:
    """The sum of each window of x padded with zeros (an average pool's, before the divisor)."""
    return _windows(_padded(x, grid.sides), grid).sum(axis=tuple(range(-len(grid.kernel), 0)))


def _spread(g: np.ndarray, divisor: np.ndarray, grid: _Grid, shape: tuple) -> np.ndarray:
    """g / divisor of each window added to every entry of the window, in an input of
    `shape` (an average pool's backward, the adjoint of `_window_sums` / divisor)."""
    full = _padded_zeros(shape, grid, g.dtype)
    share = (g / divisor)[(Ellipsis,) + (None,) * len(grid.kernel)]
    _add_windows(full, np.broadcast_to(share, g.shape + grid.kernel), grid)
    return _cropped(full, grid.sides, shape[2:])


def _to_entries(g: np.ndarray, at: np.ndarray, shape: tuple) -> np.ndarray:
    """g added at the flat positions `at` (g's shape) of an array of `shape`."""
    grad = np.bincount(at.ravel(), weights=g.ravel(), minlength=math.prod(shape))
    return grad.astype(g.dtype, copy=False).reshape(shape)

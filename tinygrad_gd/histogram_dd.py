"""PyTorch's `histogramdd`: a histogram of points in N dimensions, without gradient.

The input's last axis holds each point's N coordinates (all other axes are points); each
coordinate is binned on its own axis of bins, by a count of equal bins over a range (the
points' least and greatest coordinate, or `range=`) or by edges given, and the counts (or
weights, or densities) fill an N-dimensional tensor. The one-dimensional rules are
`tg.histogram`'s (statistics_more.py), whose edges this shares: each bin holds its left
edge, the last its right edge too; points outside any bin, and NaN, are not counted.
"""
from __future__ import annotations

import builtins
from typing import Any, NamedTuple

import numpy as np

from .grad_mode import check_flag
from .logic import _constant
from .nn.layer_arguments import _as_tensor
from .ops.arguments import number
from .statistics_more import _counted, _floats, _given_edges, _range_edges
from .tensor import Tensor

__all__ = ["histogramdd"]


class HistogramddResult(NamedTuple):
    """What `histogramdd` gives, as PyTorch's: the counts (or densities) in an N-dimensional
    tensor, and a tuple of the N axes' bin edges (`hist`, `bin_edges`), without gradient."""

    hist: Any
    bin_edges: Any


def _bins(where: str, bins: Any, n_dims: int) -> list:
    """One entry per coordinate: a count of bins (int) or given edges (anything else)."""
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        return [int(bins)] * n_dims
    if isinstance(bins, Tensor) or not isinstance(bins, (list, tuple)):
        raise TypeError(f"{where}: bins must be an int, a list of N ints or a list of N 1-D "
                        f"tensors of edges (N = {n_dims}, the input's last axis), got "
                        f"{type(bins).__name__}")
    if len(bins) != n_dims:
        raise RuntimeError(f"{where}: bins gives {len(bins)} dimension(s), but the input's "
                           f"points have {n_dims} coordinates (its last axis); give one count "
                           f"or one tensor of edges per coordinate")
    counts = [isinstance(b, (int, np.integer)) and not isinstance(b, bool) for b in bins]
    if any(counts) and not all(counts):
        raise TypeError(f"{where}: bins must be all ints (counts) or all tensors (edges), "
                        f"not a mixture")
    return [int(b) if count else b for b, count in zip(bins, counts)]


def _range(where: str, range: Any, n_dims: int) -> list | None:  # noqa: A002
    """range= as N (min, max) pairs, from PyTorch's flat [min0, max0, min1, max1, ...]."""
    if range is None:
        return None
    if not isinstance(range, (list, tuple)) or len(range) != 2 * n_dims:
        size = len(range) if isinstance(range, (list, tuple)) else type(range).__name__
        raise RuntimeError(f"{where}: for a {n_dims}-dimensional histogram range should be a "
                           f"flat list of {2 * n_dims} numbers (min and max of each "
                           f"coordinate in turn), got {size}")
    values = [number(where, "range", r) for r in range]
    return [(values[2 * k], values[2 * k + 1]) for k in builtins.range(n_dims)]


def _even(where: str, count: int, dim: int, coordinates: np.ndarray, bounds: Any,
          dtype: np.dtype) -> np.ndarray:
    """`count` equal bins' edges over `bounds` or the coordinates' least and greatest."""
    if count <= 0:
        raise RuntimeError(f"{where}: bins must be > 0, got {count} for dimension {dim}")
    if bounds is None:
        bounds = ((float(coordinates.min()), float(coordinates.max())) if coordinates.size
                  else (0.0, 1.0))
    return _range_edges(where, *bounds, count, dtype, f"dimension {dim}")


def histogramdd(input: Any, bins: Any = 10, *, range: Any = None,  # noqa: A002
                weight: Any = None, density: Any = False) -> HistogramddResult:
    """How many points fall in each N-dimensional bin, and the bins' edges, as PyTorch's
    histogramdd: `input` of shape (..., N) holds points of N coordinates (all axes but
    the last flattened). `bins`: a count of equal bins for every coordinate, a list of N
    counts, or a list of N 1-D tensors of increasing edges; with counts, `range` is a
    flat list [min0, max0, min1, max1, ...] (default: each coordinate's least and
    greatest, widened by 0.5 each way when equal, [0, 1] without points). Each bin holds
    its left edge, the last one along an axis its right edge too; points outside, or
    with NaN, are not counted. `weight` (the input's shape without its last axis): each
    point counts its weight instead of 1; `density`: counts / (their sum * the bin's
    volume). In input's float dtype (integers: the default float; PyTorch refuses them).

    hist[i0, ..., iN-1] = the number (or total weight) of points p with
    edges_k[i_k] <= p[k] < edges_k[i_k + 1] for every k. No gradient."""
    where = "histogramdd"
    x = _floats(where, input)
    density = check_flag(where, "density", density)
    if x.ndim < 2:
        raise RuntimeError(f"{where}: input must have at least 2 dimensions, points along "
                           f"the last axis's N coordinates, got shape {x.shape}; for one "
                           f"coordinate use tg.histogram, or x.reshape(-1, 1)")
    n_dims, dtype = x.shape[-1], x.dtype
    if n_dims == 0:
        raise RuntimeError(f"{where}: input of shape {x.shape} has points of 0 coordinates "
                           f"(its last axis); give each point at least one")
    points = np.asarray(x.data).reshape(-1, n_dims)
    per_dim, bounds = _bins(where, bins, n_dims), _range(where, range, n_dims)
    if bounds is not None and not isinstance(per_dim[0], int):
        raise TypeError(f"{where}: range= goes with numbers of bins; bins given as edges set "
                        f"the range themselves")
    edges = [_even(where, b, k, points[:, k], bounds and bounds[k], dtype)
             if isinstance(b, int) else _given_edges(where, b, dtype, f"bins[{k}]",
                                                     of=f"dimension {k}")
             for k, b in enumerate(per_dim)]
    weights = None
    if weight is not None:
        weights = np.asarray(_as_tensor(where, weight, what="weight").data)
        if weights.shape != x.shape[:-1]:
            raise RuntimeError(f"{where}: weight must have the input's shape without its last "
                               f"axis, {x.shape[:-1]} for input of shape {x.shape}; got "
                               f"{weights.shape}")
        weights = weights.reshape(-1).astype(dtype)
    hist = _counted(points, edges, weights, density, dtype)
    return HistogramddResult(_constant(hist), tuple(_constant(e) for e in edges))

"""Antialiased resampling, as PyTorch's `interpolate(..., antialias=True)` of a 4-d input
in the 'bilinear' and 'bicubic' modes (PIL's resize): the weights of one spatial axis as
a matrix, and that matrix applied along the axis (resampling.py calls these).

Along an axis of `in` entries resampled to `out`, with the scale s of the mode without
antialias (resampling.py's docstring), output i is centred on c = s * (i + 0.5) and reads
the entries j from max(trunc(c - r + 0.5), 0) to min(trunc(c + r + 0.5), in) - 1, each
weighted f((j - c + 0.5) / max(s, 1)), the weights then divided by their sum (no entry
beyond the edges: the ones inside share the weight). f is the triangle 1 - |t| (bilinear,
r = max(s, 1)) or Keys' cubic with A = -0.5 (bicubic, r = 2 max(s, 1)). Shrinking an
axis (s > 1) so widens the filter to cover every input entry an output stands for, where
the mode without antialias reads 2 or 4 entries and skips the rest; enlarging one
(s <= 1) is the plain interpolation, but for the edges and bicubic's A. An axis whose
size stays is copied, whatever the scale_factor, as PyTorch's forward copies it.

Two cases where PyTorch 2.13 differs, and ours is right: that copied axis passes each
output's gradient back to its entry (a copy's), where PyTorch's backward resamples the
axis by the scale_factor (by scale_factor=(1.0, 1.3) a (7, 3) image comes back unchanged,
yet its sum's gradient is not 1: PyTorch's gradcheck fails, ours passes); and in a
one-column output whose height changes, PyTorch's kernel gives every row the first row's
value, where ours resamples each row (as PyTorch does the transposed image).

The weights are a constant (out, in) matrix computed here in NumPy (named, for diagrams),
multiplied into the input by `matmul`, so `backward()` gives each input entry its
weighted share of the gradients of the outputs that read it.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .grid_sampling import cubic_far, cubic_near
from .layer_arguments import _constant

__all__: list[str] = []  # (helpers of interpolate, in resampling.py)


def _triangle(t: np.ndarray) -> np.ndarray:
    return np.maximum(1.0 - np.abs(t), 0.0)


def _keys_cubic(t: np.ndarray, a: float = -0.5) -> np.ndarray:
    t = np.abs(t)
    return np.where(t < 1.0, cubic_near(t, a), np.where(t < 2.0, cubic_far(t, a), 0.0))


def antialiased_weights(n_in: int, n_out: int, scale: float, cubic: bool) -> np.ndarray:
    """The (n_out, n_in) float64 matrix taking an axis of n_in entries to n_out, at the
    input step `scale` per output step (resampling.py's `_scale`)."""
    scale = float(scale)
    widen = max(scale, 1.0)
    reach = (2.0 if cubic else 1.0) * widen
    centres = scale * (np.arange(n_out) + 0.5)
    # C's (int64_t) casts truncate toward zero
    first = np.maximum(np.trunc(centres - reach + 0.5), 0).astype(np.int64)
    stop = np.minimum(np.trunc(centres + reach + 0.5).astype(np.int64), n_in)
    j = np.arange(n_in)
    inside = (j >= first[:, None]) & (j < stop[:, None])
    t = (j - centres[:, None] + 0.5) / widen
    weights = np.where(inside, (_keys_cubic if cubic else _triangle)(t), 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=weights, where=totals != 0)


def antialiased_along(x: Tensor, axis: int, weights: np.ndarray, name: str) -> Tensor:
    """x's `axis` (-1 or -2) taken through the (out, in) `weights` (cast to x's dtype)."""
    matrix = _constant(weights, name, x)
    return x @ matrix.T if axis == -1 else matrix @ x

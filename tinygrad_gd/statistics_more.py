"""Statistics PyTorch has as one name, made of registered ops here (PyTorch's names,
argument order and defaults; NumPy's `axis`/`keepdims` beside `dim`/`keepdim`).

`cov` and `corrcoef` (PyTorch's: variables in rows, observations in columns; `correction`,
`fweights`, `aweights` as torch.cov; NumPy's np.cov keywords rowvar, bias and ddof are not
taken): sub, mul, matmul and div, so gradients reach the input and float aweights.
`quantile` and `nanquantile` read the two entries a quantile lies between by a stable
sort made without gradient (take_along_axis), then lerp them: the gradient goes to those
entries, as PyTorch's. `mode` is the smallest most frequent value and the last index of
it along `dim`, as PyTorch's on the CPU (take_along_axis: the gradient to that entry).
`histogram` counts, without gradient. Each is a Tensor method too (`x.quantile(0.5)`).
"""
from __future__ import annotations

import builtins
from typing import Any, NamedTuple

import numpy as np

from . import functional
from .grad_mode import check_flag
from .logic import _constant
from .nn.layer_arguments import _as_tensor, _constant as _named_constant, _floated
from .ops.arguments import either, integer, number, one_axis
from .ops.reductions import EmptyReductionError, ValuesAndIndices, keep_flag, stable_order
from .spellings import lerp
from .tensor import Tensor

__all__ = ["cov", "corrcoef", "quantile", "nanquantile", "mode", "histogram"]

INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class HistogramResult(NamedTuple):
    """What `histogram` gives, as PyTorch's: the counts (or densities) per bin and the
    bins' edges (`hist`, `bin_edges`), without gradient."""

    hist: Any
    bin_edges: Any


def _floats(name: str, input: Any) -> Tensor:  # noqa: A002  (PyTorch's name)
    """input as a tensor in a float dtype: its own, else the default float (integers,
    bools)."""
    return _floated(_as_tensor(name, input))


def _weights(name: str, what: str, value: Any, n: int, integral: bool) -> Tensor:
    """cov's fweights (`integral`) or aweights: a 1-D tensor of n non-negative entries."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: {what} must be a tensor, got {type(value).__name__}")
    kind = "iu" if integral else "f"
    if value.dtype.kind not in kind:
        raise RuntimeError(f"{name}: expected {what} to have "
                           f"{'an integral' if integral else 'a floating point'} dtype, got "
                           f"{value.dtype}")
    if value.ndim > 1:
        raise RuntimeError(f"{name}: expected {what} to have one or fewer dimensions, got "
                           f"shape {value.shape}")
    if value.size != n:
        raise RuntimeError(f"{name}: expected {what} to have as many entries as there are "
                           f"observations (columns) in the input, got {value.size} != {n}")
    if (value.data < 0).any():
        raise RuntimeError(f"{name}: {what} cannot be negative")
    return value.reshape(-1)


def cov(input: Any, *, correction: Any = 1, fweights: Any = None,  # noqa: A002
        aweights: Any = None) -> Tensor:
    """The covariance matrix of the variables in input's rows (a 1-D input: one variable),
    the observations in its columns, as PyTorch's cov: divided by the sum of the weights
    minus `correction` (1: Bessel's; aweights: PyTorch's and NumPy's rule), or by 0 where
    that is <= 0 (inf and NaN, as PyTorch's). `fweights`: integer repeat counts per
    observation; `aweights`: float weights (the gradient reaches them). One variable
    gives a 0-d tensor. NumPy's np.cov(m, y, rowvar, bias, ddof, ...) is another
    signature: use correction=0 for bias=True, and x.T for rowvar=False."""
    x = _as_tensor("cov", input)
    if x.ndim > 2:
        raise RuntimeError(f"cov: expected input to have two or fewer dimensions, got shape "
                           f"{x.shape}")
    if x.dtype == np.bool_:
        raise RuntimeError("cov: a bool input is not supported (as in PyTorch); cast it to a "
                           "float dtype first")
    x = _floated(x)
    correction = integer("cov", "correction", correction)
    rows = x.reshape(1, -1) if x.ndim < 2 else x
    n = rows.shape[1]
    frequency = None if fweights is None else _weights("cov", "fweights", fweights, n, True)
    analytic = None if aweights is None else _weights("cov", "aweights", aweights, n, False)
    if frequency is not None:
        frequency = frequency.to(x.dtype if analytic is None else
                                 np.promote_types(x.dtype, analytic.dtype))
    weights = frequency if analytic is None else \
        analytic if frequency is None else frequency * analytic
    with np.errstate(divide="ignore", invalid="ignore"):  # (no observations: NaN)
        if weights is None:
            total = np.asarray(n, dtype=x.dtype)
            mean = rows.sum(axis=1, keepdims=True) / total  # (np.mean warns of no columns)
            scale = total - correction
        else:
            total = weights.sum()
            if total.data == 0:
                raise RuntimeError("cov: the weights sum to zero, so they cannot be "
                                   "normalized; give some observation a positive weight")
            mean = (rows * weights).sum(axis=1, keepdims=True) / total
            scale = total - (correction if analytic is None else
                             correction * (weights * analytic).sum() / total)
        if np.asarray(getattr(scale, "data", scale)) <= 0:  # (PyTorch's: divided by 0)
            scale = np.zeros((), dtype=x.dtype)
        centered = rows - mean
        product = centered @ (centered if weights is None else centered * weights).T
        return (product / scale).squeeze()


def corrcoef(input: Any) -> Tensor:  # noqa: A002
    """Pearson's correlation coefficients of the variables in input's rows, as PyTorch's
    corrcoef: `cov` divided by the outer product of the standard deviations, then clipped
    to [-1, 1] (the gradient is 0 where rounding went past, as PyTorch's). A constant
    variable gives NaN; one variable c / c (1, or NaN)."""
    x = _as_tensor("corrcoef", input)
    if x.ndim > 2:
        raise RuntimeError(f"corrcoef: expected input to have two or fewer dimensions, got "
                           f"shape {x.shape}")
    c = cov(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        if c.ndim == 0:
            return c / c
        spread = c.diagonal().sqrt()
        return (c / spread.reshape(-1, 1) / spread.reshape(1, -1)).clip(-1, 1)


# ------------------------------------------------------------------ quantiles


def _levels(name: str, q: Any, dtype: np.dtype) -> tuple[np.ndarray, bool]:
    """q as a 1-D array of levels in `dtype`, and whether it was one number (or 0-d)."""
    if isinstance(q, (bool, np.bool_, int, float, np.integer, np.floating)):
        levels = np.asarray([float(q)])
        single = True
    else:
        levels = np.asarray(_as_tensor(name, q, what="q").data)
        single = levels.ndim == 0
        if levels.ndim > 1:
            raise RuntimeError(f"{name}: q must be a number or a 1-D tensor, got shape "
                               f"{levels.shape}")
        levels = levels.reshape(-1).astype(np.float64)
    bad = levels[~((levels >= 0) & (levels <= 1))]
    if bad.size:
        raise RuntimeError(f"{name}: q must be in the range [0, 1], got {bad[0]}")
    return levels.astype(dtype), single


def _quantile(name: str, skip_nan: bool, input: Any, q: Any, dim: Any,  # noqa: A002
              keepdim: Any, interpolation: Any, axis: Any, keepdims: Any,
              method: Any) -> Tensor:
    x = _floats(name, input)
    how = either(name, "method", method, "interpolation", interpolation, "linear")
    if not isinstance(how, str) or how not in INTERPOLATIONS:
        raise RuntimeError(f"{name}: interpolation must be one of {', '.join(INTERPOLATIONS)}"
                           f", got {how!r:.40}")
    keep = keep_flag(name, keepdims, keepdim)
    levels, single = _levels(name, q, x.dtype)
    where = either(name, "axis", axis, "dim", dim)
    if where is not None:
        where = one_axis(name, where, builtins.max(x.ndim, 1)) % builtins.max(x.ndim, 1)
    if x.size == 0:
        raise RuntimeError(f"{name}: the input tensor (shape {x.shape}) must be non-empty")
    if x.ndim == 0:
        rows, out_shape = x.reshape(1), ()
    elif where is None:
        rows, out_shape = x.reshape(-1), (1,) * x.ndim if keep else ()
    else:
        rows = x.moveaxis(where, -1) if where != x.ndim - 1 else x
        out_shape = x.shape[:where] + ((1,) if keep else ()) + x.shape[where + 1:]
    data = rows.data
    count = np.asarray(data.shape[-1], dtype=x.dtype)
    nans = np.isnan(data).sum(axis=-1, keepdims=True)
    if skip_nan:  # the numbers of each row; all NaN: rank 0, the first NaN
        ranks = np.maximum(levels * (count - nans - 1).astype(x.dtype), 0)
    else:  # a NaN in the row: the last rank, a NaN
        ranks = np.where(nans > 0, count - 1, levels * (count - 1)).astype(x.dtype)
    if how in ("lower", "higher", "nearest"):
        ranks = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}[how](ranks)
    order = stable_order(data, -1)
    below = np.floor(ranks).astype(np.int64)
    values = functional.take_along_axis(rows, np.take_along_axis(order, below, -1), axis=-1)
    if how in ("linear", "midpoint"):
        above = np.take_along_axis(order, np.ceil(ranks).astype(np.int64), -1)
        weight = _named_constant(np.full(ranks.shape, 0.5) if how == "midpoint" else
                                 ranks - below, "quantile weights", x)
        if how == "linear" and isinstance(q, Tensor) and q.requires_grad:  # (PyTorch's too)
            steps = (count - nans - 1 if skip_nan else np.broadcast_to(count - 1, nans.shape)
                     ).astype(x.dtype)
            fixed = (steps < 0) if skip_nan else (nans > 0)  # (ranks set, not from q)
            weight = functional.masked_fill(q.reshape(-1).to(x.dtype) * steps - below,
                                            np.broadcast_to(fixed, ranks.shape), 0.0)
        values = lerp(values, functional.take_along_axis(rows, above, axis=-1), weight)
    values = values.moveaxis(-1, 0) if values.ndim > 1 else values
    values = values.reshape((len(levels),) + out_shape)
    return values.reshape(out_shape) if single else values


def quantile(input: Any, q: Any, dim: Any = None, keepdim: Any = None, *,  # noqa: A002
             interpolation: Any = None, axis: Any = None, keepdims: Any = None,
             method: Any = None) -> Tensor:
    """The q-th quantiles along `dim` (all entries by default), as PyTorch's quantile: q a
    number or a 1-D tensor in [0, 1] (a 1-D q puts its axis first); `interpolation` (NumPy's
    `method=`) between the two entries the rank q * (n - 1) falls between: 'linear'
    (default), 'lower', 'higher', 'midpoint' or 'nearest' (half to even). A NaN in a row
    makes its quantiles NaN. The gradient goes to the entries read, and for 'linear' to a
    q tensor too, as PyTorch's. Integer input counts as the default float (PyTorch's
    refuses it); q may have any real dtype (PyTorch's must have input's)."""
    return _quantile("quantile", False, input, q, dim, keepdim, interpolation, axis,
                     keepdims, method)


def nanquantile(input: Any, q: Any, dim: Any = None, keepdim: Any = None, *,  # noqa: A002
                interpolation: Any = None, axis: Any = None, keepdims: Any = None,
                method: Any = None) -> Tensor:
    """`quantile` with the NaN entries left out of each row (PyTorch's nanquantile); NaN
    only where every entry is NaN (the gradient then to the first of them, as PyTorch's)."""
    return _quantile("nanquantile", True, input, q, dim, keepdim, interpolation, axis,
                     keepdims, method)


# ------------------------------------------------------------------ mode


def _mode_positions(data: np.ndarray) -> np.ndarray:
    """For each row of `data` (the last axis), where its mode is: the smallest of the most
    frequent values (a NaN is a value of its own, seen once, and the largest), at the last
    place it holds; int64, the axis kept."""
    order = stable_order(data, -1)
    ordered = np.take_along_axis(data, order, -1)
    n = data.shape[-1]
    steps = np.broadcast_to(np.arange(n), data.shape)
    same = ordered[..., 1:] == ordered[..., :-1]  # (NaN != NaN: runs of one)
    starts = np.concatenate([np.ones(data.shape[:-1] + (1,), dtype=bool), ~same], axis=-1)
    first = np.maximum.accumulate(np.where(starts, steps, 0), axis=-1)
    ends = np.concatenate([~same, np.ones(data.shape[:-1] + (1,), dtype=bool)], axis=-1)
    lengths = np.where(ends, steps - first + 1, 0)
    best = np.argmax(lengths, axis=-1)[..., None]  # the first longest run: the smallest value
    return np.take_along_axis(order, best, -1)  # its end: the last place (the sort is stable)


def mode(input: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,  # noqa: A002
         keepdims: Any = None) -> ValuesAndIndices:
    """The most frequent value along `dim` (the last by default) and where it is, as
    PyTorch's mode on the CPU: of values equally frequent the smallest, and the last index
    holding it (`ValuesAndIndices`; the values in the graph, the gradient to that entry).
    A NaN counts as a value seen once (NaN != NaN) and sorts last; PyTorch's answer for a
    row holding NaN depends on where its sort leaves them, and may differ from ours."""
    x = _as_tensor("mode", input)
    ndim = builtins.max(x.ndim, 1)
    where = one_axis("mode", either("mode", "axis", axis, "dim", dim, -1), ndim) % ndim
    keep = keep_flag("mode", keepdims, keepdim)
    rows = x.reshape(1) if x.ndim == 0 else x
    if rows.shape[where] == 0:
        raise EmptyReductionError(f"mode: dimension {where} of the tensor of shape {x.shape} "
                                  f"is empty, so it has no mode; reduce over a dimension of "
                                  f"non-zero length")
    if rows.size == 0:
        indices = np.zeros(rows.shape[:where] + (1,) + rows.shape[where + 1:], dtype=np.int64)
    else:
        indices = np.moveaxis(_mode_positions(np.moveaxis(rows.data, where, -1)), -1, where)
    values = functional.take_along_axis(rows, indices, axis=where)
    if x.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    elif not keep:
        values, indices = values.squeeze(where), np.squeeze(indices, where)
    return ValuesAndIndices(values, _constant(indices))


# ------------------------------------------------------------------ histogram


def _even_edges(low: float, high: float, bins: int, dtype: np.dtype) -> np.ndarray:
    """bins + 1 evenly spaced edges from low to high in `dtype`, each half from its end
    (PyTorch's linspace, so the last edge is exactly high)."""
    step = (np.asarray(high, dtype) - np.asarray(low, dtype)) / dtype.type(bins)
    steps = np.arange(bins + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(steps < (bins + 1) // 2, low + steps * step,
                        high - (bins - steps) * step).astype(dtype)


def _range_edges(where: str, low: float, high: float, bins: int, dtype: np.dtype,
                 of: str = "") -> np.ndarray:
    """The even edges of a histogram's range (histogram's, each of histogramdd's
    dimensions, `of` naming it): a range not finite or reversed refused in one line, an
    empty one widened by 0.5 each side, as PyTorch's."""
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"{where}: the range [{low}, {high}]{' of ' + of if of else ''} is "
                           f"not finite; give a finite range= (the entries hold NaN or inf)")
    if low > high:
        raise RuntimeError(f"{where}: min should not exceed max, got range ({low}, {high})"
                           + (f" for {of}" if of else ""))
    if low == high:
        low, high = low - 0.5, high + 0.5
    return _even_edges(low, high, bins, dtype)


def _given_edges(where: str, edges: Any, dtype: np.dtype, what: str = "bins",
                 expected: str = "a 1-D tensor of at least 2 edges", of: str = "") -> np.ndarray:
    """Bin edges given for one axis (histogram's, each of histogramdd's, `of` naming it):
    1-D, at least two, never decreasing (NaN refused too), in `dtype`."""
    values = np.asarray(_as_tensor(where, edges, what=what).data)
    if values.ndim != 1 or values.size < 2:
        raise RuntimeError(f"{where}: {what} must be {expected}, got shape {values.shape}")
    if not (np.diff(values) >= 0).all():
        raise ValueError(f"{where}: the bin edges must increase monotonically, got "
                         f"{values.tolist()!s:.60}{' for ' + of if of else ''}; sort them")
    return values.astype(dtype)


def _counted(points: np.ndarray, edges: list, weights: Any, density: bool,
             dtype: np.dtype) -> np.ndarray:
    """The histogram of `points` (n, N) over the N axes' `edges`: each bin holds its left
    edge, the last one along an axis its right edge too; points outside, or with NaN,
    not counted; `weights` (n,) counted instead of 1; `density`: counts / (their sum *
    the bin's volume)."""
    inside = np.ones(len(points), dtype=bool)
    for k, e in enumerate(edges):
        inside &= (points[:, k] >= e[0]) & (points[:, k] <= e[-1])  # (NaN: outside)
    places = tuple(np.clip(np.searchsorted(e, points[inside, k], side="right") - 1, 0,
                           len(e) - 2) for k, e in enumerate(edges))
    shape = tuple(len(e) - 1 for e in edges)
    hist = np.bincount(np.ravel_multi_index(places, shape),
                       None if weights is None else weights[inside],
                       minlength=int(np.prod(shape))).reshape(shape).astype(dtype)
    if density:
        volume = np.ones(shape, dtype)
        for k, e in enumerate(edges):
            volume = volume * np.diff(e).reshape((-1,) + (1,) * (len(edges) - k - 1))
        with np.errstate(divide="ignore", invalid="ignore"):  # (nothing counted: NaN)
            hist = hist / (hist.sum() * volume)
    return hist.astype(dtype)


def histogram(input: Any, bins: Any = 100, *, range: Any = None,  # noqa: A002
              weight: Any = None, density: Any = False) -> HistogramResult:
    """How many of input's entries (all of them, flattened) fall in each bin, and the bins'
    edges, as PyTorch's histogram: `bins` a count of equal bins over `range` (min, max;
    default the entries' least and greatest, widened by 0.5 each way when equal, [0, 1]
    without entries) or a 1-D tensor of increasing edges. Each bin holds its left edge,
    the last one its right edge too; entries outside, and NaN, are not counted.
    `weight`: each entry counts its weight instead of 1; `density`: counts / (their sum *
    the bin's width). In input's float dtype (integers: the default float; PyTorch refuses
    them). No gradient."""
    x = _floats("histogram", input)
    data, dtype = x.data.reshape(-1), x.dtype
    density = check_flag("histogram", "density", density)
    if isinstance(bins, (bool, float, np.bool_, np.floating)):
        raise TypeError(f"histogram: bins must be an int (a number of bins) or a 1-D tensor of "
                        f"edges, got {type(bins).__name__} {bins!r}")
    if isinstance(bins, (int, np.integer)):
        count = integer("histogram", "bins", bins)
        if count <= 0:
            raise RuntimeError(f"histogram: bins must be > 0, got {count}")
        if range is None:
            low, high = (float(data.min()), float(data.max())) if data.size else (0.0, 1.0)
        else:
            if not isinstance(range, (tuple, list)) or len(range) != 2:
                raise TypeError(f"histogram: range must be a pair of numbers (min, max), got "
                                f"{range!r:.40}")
            low, high = (number("histogram", "range", r) for r in range)
        edges = _range_edges("histogram", low, high, count, dtype)
    else:
        if range is not None:
            raise TypeError("histogram: range= goes with a number of bins; bins given as "
                            "edges set the range themselves")
        edges = _given_edges("histogram", bins, dtype, expected="a number of bins or a "
                             "1-D tensor of at least 2 edges")
    weights = None
    if weight is not None:
        weights = np.asarray(_as_tensor("histogram", weight, what="weight").data)
        if weights.shape != x.shape:
            raise RuntimeError(f"histogram: weight must have the input's shape {x.shape}, "
                               f"got {weights.shape}")
        weights = weights.reshape(-1).astype(dtype)
    hist = _counted(data.reshape(-1, 1), [edges], weights, density, dtype)
    return HistogramResult(_constant(hist), _constant(edges))


METHODS = {name: globals()[name] for name in __all__}
for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)

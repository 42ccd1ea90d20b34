"""Functions whose results are indices or counts, without gradient (as in PyTorch).

`unique` and `unique_consecutive` (the distinct values, or slices along `dim`, with the
inverse indices and the counts), `bincount` and `histc` (counts per integer and per bin),
`searchsorted` and `bucketize` (where values go among sorted boundaries, by PyTorch's
binary search), `isin`, and `tril_indices` and `triu_indices` (the 2 x N indices of a
triangle). PyTorch's names, positional order and defaults, NumPy's `axis` beside `dim`.
Indices and counts are int64 (int32 with `out_int32=True`); values keep the input's dtype.
None of them records a graph: each result is a step function of its input, whose derivative
is 0 wherever it exists. (PyTorch's `unique` of a tensor that requires a gradient gives
values that claim one, and raises in backward; here they have none.) `x.unique()`,
`x.unique_consecutive()`, `x.bincount()`, `x.histc()` and `x.searchsorted(v)` are set on
Tensor. `argwhere` and `nonzero`, the indices of non-zero entries, are in `logic`.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .creation_arguments import on_the_cpu
from .grad_mode import check_flag
from .logic import _constant, _values
from .ops.arguments import either, integer, number, one_axis
from .tensor import Tensor
from .values import numeric_dtype

__all__ = ["unique", "unique_consecutive", "bincount", "histc", "searchsorted", "bucketize",
           "isin", "tril_indices", "triu_indices"]


def _index_dtype(name: str, out_int32: Any) -> type:
    return np.int32 if check_flag(name, "out_int32", out_int32) else np.int64


# ------------------------------------------------------------------ unique


def _slices(name: str, data: np.ndarray, dim: Any) -> tuple[np.ndarray, int]:
    """data's slices along `dim` as the rows of a 2-D array, and dim as a positive int."""
    dim = one_axis(name, dim, data.ndim) % data.ndim
    others = data.shape[:dim] + data.shape[dim + 1:]
    if 0 in others:
        raise ValueError(f"{name}: the tensor of shape {data.shape} has an empty axis other "
                         f"than dim={dim}, so its slices along dim have no entries to compare; "
                         f"give dim=None or the empty axis")
    moved = np.moveaxis(data, dim, 0)
    return moved.reshape(len(moved), int(np.prod(others))), dim


def _distinct(name: str, input: Any, return_inverse: Any, return_counts: Any, dim: Any,
              axis: Any, sort: bool) -> Any:
    """unique's (sort=True) or unique_consecutive's values, inverse and counts."""
    data = _values(name, input)
    inverse_wanted = check_flag(name, "return_inverse", return_inverse)
    counts_wanted = check_flag(name, "return_counts", return_counts)
    dim = either(name, "axis", axis, "dim", dim)
    rows, dim = (data.reshape(-1, 1), None) if dim is None else _slices(name, data, dim)
    # stable, lexicographic over a slice's entries, NaN last (PyTorch leaves NaN's place open)
    order = np.lexsort(rows.T[::-1]) if sort and rows.shape[1] > 1 else \
        np.argsort(rows[:, 0], kind="stable") if sort else np.arange(len(rows))
    ordered = rows[order]
    new = np.ones(len(rows), dtype=bool)  # a row unlike the one before it (NaN: like none)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    if dim is None:
        values = ordered[starts, 0]
    else:
        values = np.moveaxis(np.moveaxis(data, dim, 0)[order[starts]], 0, dim)
    out = [_constant(values)]
    if inverse_wanted:
        inverse = np.empty(len(rows), dtype=np.int64)
        inverse[order] = np.cumsum(new) - 1
        out.append(_constant(inverse.reshape(data.shape if dim is None else -1)))
    if counts_wanted:
        out.append(_constant(np.diff(np.append(starts, len(rows))).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input: Any, sorted: Any = True, return_inverse: Any = False,  # noqa: A002
           return_counts: Any = False, dim: Any = None, *, axis: Any = None) -> Any:
    """The distinct values of `input`, ascending, 1-D (or with `dim`/`axis`, the distinct
    slices along that axis, sorted lexicographically); with `return_inverse` also the int64
    index of each entry's value among them (input's shape; with dim, one per slice), with
    `return_counts` how many times each occurs: a tuple then, as PyTorch's. NaNs are each
    distinct, last, in their input order, as in PyTorch (NumPy's unique keeps one; with
    dim, where a slice holding NaN sorts is NumPy's order). `sorted=False` gives them sorted
    too, as PyTorch's on the CPU. No gradient, even for values that require one (PyTorch's
    claim one and raise in backward)."""
    check_flag("unique", "sorted", sorted)
    return _distinct("unique", input, return_inverse, return_counts, dim, axis, sort=True)


def unique_consecutive(input: Any, return_inverse: Any = False,  # noqa: A002
                       return_counts: Any = False, dim: Any = None, *, axis: Any = None
                       ) -> Any:
    """`input` with each run of equal consecutive values kept once (flattened; with
    `dim`/`axis`, runs of equal slices along that axis), in order; with `return_inverse`
    the int64 index of each entry's run, with `return_counts` each run's length: a tuple
    then, as PyTorch's. A NaN is a run of its own. No gradient."""
    return _distinct("unique_consecutive", input, return_inverse, return_counts, dim, axis,
                     sort=False)


# ------------------------------------------------------------------ counts


def bincount(input: Any, weights: Any = None, minlength: Any = 0) -> Tensor:  # noqa: A002
    """How many times each of 0, 1, ..., max(input) occurs in the 1-D non-negative integer
    `input` (at least `minlength` entries), int64; with `weights` (one per entry) their
    sum per value instead: float32 for float32 weights, else float64 (also for an empty
    input, where PyTorch's gives int64). Booleans count as 0 and 1, as NumPy's. No gradient
    (PyTorch's claims one through the weights, and raises in backward)."""
    data = _values("bincount", input)
    if data.dtype.kind not in "iub":
        raise TypeError(f"bincount: counts non-negative integers (labels, indices), got dtype "
                        f"{data.dtype}; convert whole numbers first with x.long()")
    if data.ndim != 1:
        raise ValueError(f"bincount: the input must be 1-D, got shape {data.shape}; flatten "
                         f"it first with x.reshape(-1)")
    minlength = integer("bincount", "minlength", minlength)
    if minlength < 0:
        raise ValueError(f"bincount: minlength must be >= 0, got {minlength}")
    if data.size and data.min() < 0:
        raise ValueError(f"bincount: the values must be >= 0, got {data.min()}")
    data = data.astype(np.int64)
    if weights is None:
        return _constant(np.bincount(data, minlength=minlength).astype(np.int64))
    weights = _values("bincount", weights)
    if weights.shape != data.shape:
        raise ValueError(f"bincount: weights must hold one number per entry of the input, "
                         f"shape {data.shape}; got shape {weights.shape}")
    dtype = np.float32 if weights.dtype == np.float32 else np.float64
    return _constant(np.bincount(data, weights.astype(np.float64), minlength).astype(dtype))


def histc(input: Any, bins: Any = 100, min: Any = 0, max: Any = 0) -> Tensor:  # noqa: A002
    """How many of input's values fall in each of `bins` equal bins over [min, max], in
    input's float dtype (PyTorch's); values outside, and NaN, are not counted; the last bin
    includes max. min == max (the default, 0 and 0) takes the values' own least and
    greatest; an equal pair is widened by 1 each way. Integer and boolean input count as
    float64 (PyTorch's refuses them). No gradient."""
    data = _values("histc", input)
    if data.dtype.kind != "f":
        data = data.astype(np.float64)
    bins = integer("histc", "bins", bins)
    if bins <= 0:
        raise ValueError(f"histc: bins must be > 0, got {bins}")
    low, high = number("histc", "min", min), number("histc", "max", max)
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())  # (NaN among them: refused below)
    if low == high:
        low, high = low - 1, high + 1
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"histc: the range [{low}, {high}] is not finite; give finite min= "
                         f"and max= (the values hold NaN or inf)")
    if not low < high:
        raise ValueError(f"histc: max must be larger than min, got min={low}, max={high}")
    # PyTorch's arithmetic, in the input's dtype: the bin of x is (x - min) * bins / width
    left, right = np.asarray(low, dtype=data.dtype), np.asarray(high, dtype=data.dtype)
    values = data.reshape(-1)
    values = values[(values >= left) & (values <= right)]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # (float16 edges)
        place = ((values - left) * data.dtype.type(bins) / (right - left)).astype(np.int64)
    place = np.clip(place, 0, bins - 1)  # (max: in the last bin)
    return _constant(np.bincount(place, minlength=bins).astype(data.dtype))


# ------------------------------------------------------------------ searching


def _binary_search(sequence: np.ndarray, values: np.ndarray, right: bool,
                   sorter: np.ndarray | None) -> np.ndarray:
    """PyTorch's search for each value in its row of `sequence` (the last axis): the
    first place whose entry is >= the value (> for right), as its comparisons meet NaN
    (a NaN value goes last, and so does one past a NaN entry)."""
    n = sequence.shape[-1]
    rows = sequence.reshape(int(np.prod(sequence.shape[:-1])), n)
    wanted = values.reshape(1, -1) if sequence.ndim == 1 else \
        values.reshape(len(rows), values.shape[-1])
    order = None if sorter is None else sorter.reshape(rows.shape)
    low = np.zeros(wanted.shape, dtype=np.int64)
    high = np.full(wanted.shape, n, dtype=np.int64)
    while (active := low < high).any():
        middle = low + (high - low) // 2
        at = np.minimum(middle, n - 1)
        if order is not None:
            at = np.take_along_axis(order, at, axis=1)
        pivot = np.take_along_axis(rows, at, axis=1)
        after = ~(pivot > wanted) if right else ~(pivot >= wanted)
        low = np.where(active & after, middle + 1, low)
        high = np.where(active & ~after, middle, high)
    return low.reshape(values.shape)


def _right(name: str, side: Any, right: Any) -> bool:
    """PyTorch's right= and NumPy's (and PyTorch's) side=, which must agree."""
    right = check_flag(name, "right", right)
    if side is None:
        return right
    if not isinstance(side, str) or side not in ("left", "right"):
        raise ValueError(f"{name}: side must be 'left' or 'right', got {side!r}")
    if side == "left" and right:
        raise ValueError(f"{name}: side='left' and right=True contradict each other; give one")
    return side == "right"


def searchsorted(sorted_sequence: Any, values: Any, side: Any = None, sorter: Any = None, *,
                 out_int32: Any = False, right: Any = False) -> Tensor:
    """Where each of `values` would go in the ascending `sorted_sequence` to keep it sorted:
    before equal entries, or after them with `right=True` or `side="right"` (PyTorch's and
    NumPy's words; side and sorter may come third and fourth, as NumPy's). A sequence of
    several axes holds one sorted row per entry of its leading axes, and `values` must
    share those (PyTorch's batched form). `sorter`: the int indices that sort each row.
    int64 (int32 with `out_int32=True`), values' shape; no gradient."""
    name = "searchsorted"
    right = _right(name, side, right)
    dtype = _index_dtype(name, out_int32)
    sequence, found = _values(name, sorted_sequence), _values(name, values)
    if sequence.ndim == 0:
        raise ValueError(f"{name}: the sorted sequence must have at least one axis, got a "
                         f"0-d tensor; give a 1-D sequence")
    if sequence.ndim > 1 and found.shape[:-1] != sequence.shape[:-1]:
        raise ValueError(f"{name}: a sorted sequence of shape {sequence.shape} holds one row "
                         f"per entry of its leading axes; values must have shape "
                         f"{sequence.shape[:-1]} + (m,), got {found.shape} (or give a 1-D "
                         f"sequence)")
    if sorter is not None:
        sorter = _values(name, sorter)
        if sorter.dtype.kind not in "iu":
            raise TypeError(f"{name}: sorter must hold integer indices, got dtype "
                            f"{sorter.dtype}; give the argsort of the sequence")
        if sorter.shape != sequence.shape:
            raise ValueError(f"{name}: sorter must have the sequence's shape {sequence.shape}, "
                             f"got {sorter.shape}")
        if sorter.size and (sorter.min() < 0 or sorter.max() >= sequence.shape[-1]):
            raise IndexError(f"{name}: sorter holds an index out of range for rows of length "
                             f"{sequence.shape[-1]}: {sorter.min()} to {sorter.max()}")
    return _constant(_binary_search(sequence, found, right, sorter).astype(dtype))


def bucketize(input: Any, boundaries: Any, *, out_int32: Any = False,  # noqa: A002
              right: Any = False) -> Tensor:
    """The bucket of each of input's values among the ascending 1-D `boundaries`: i such
    that boundaries[i-1] < x <= boundaries[i] (with `right=True`, boundaries[i-1] <= x <
    boundaries[i]), 0 before the first and len(boundaries) after the last: searchsorted
    with the arguments the other way round. int64 (int32 with `out_int32=True`), input's
    shape; no gradient."""
    right = check_flag("bucketize", "right", right)
    dtype = _index_dtype("bucketize", out_int32)
    bounds = _values("bucketize", boundaries)
    if bounds.ndim != 1:
        raise ValueError(f"bucketize: the boundaries must be 1-D, got shape {bounds.shape}; "
                         f"for one sorted row per entry use tg.searchsorted")
    return _constant(_binary_search(bounds, _values("bucketize", input), right, None)
                     .astype(dtype))


def isin(elements: Any, test_elements: Any, *, assume_unique: Any = False,
         invert: Any = False) -> Tensor:
    """Where each of `elements` equals some entry of `test_elements` (a tensor or a
    number), a boolean tensor of elements' shape; `invert=True` gives the opposite. NaN
    equals nothing. `assume_unique` is accepted: the answer is exact either way. Booleans
    are accepted (PyTorch's refuses them). No gradient."""
    check_flag("isin", "assume_unique", assume_unique)
    invert = check_flag("isin", "invert", invert)
    found = np.isin(_values("isin", elements), _values("isin", test_elements), invert=invert)
    return _constant(found)


# ------------------------------------------------------------------ triangles


def _triangle(name: str, row: Any, col: Any, offset: Any, dtype: Any,
              indices: Callable) -> Tensor:
    row, col = integer(name, "row", row), integer(name, "col", col)
    offset = integer(name, "offset", offset)
    if row < 0 or col < 0:
        raise ValueError(f"{name}: row and col must be >= 0, got row={row}, col={col}")
    dtype = np.dtype(np.int64) if dtype is None else numeric_dtype(dtype, name)
    if dtype.kind not in "iu":
        raise TypeError(f"{name}: dtype must be an integer dtype (indices), got {dtype}")
    return _constant(np.stack(indices(row, offset, col)).astype(dtype))


@on_the_cpu
def tril_indices(row: Any, col: Any, offset: Any = 0, *, dtype: Any = None) -> Tensor:
    """The indices of the lower triangle of a row x col matrix, on and below the diagonal
    `offset` (> 0 above, < 0 below the main one), row by row: int64 of shape (2, N), rows
    then columns (PyTorch's; NumPy's `np.tril_indices(n, k, m)` gives the two as a tuple:
    `tuple(tg.tril_indices(n, m, k))`). No gradient. PyTorch's `device=` and `layout=`
    are taken (`creation_arguments`)."""
    return _triangle("tril_indices", row, col, offset, dtype, np.tril_indices)


@on_the_cpu
def triu_indices(row: Any, col: Any, offset: Any = 0, *, dtype: Any = None) -> Tensor:
    """The indices of the upper triangle of a row x col matrix, on and above the diagonal
    `offset` (> 0 above, < 0 below the main one), row by row: int64 of shape (2, N), rows
    then columns (PyTorch's; NumPy's `np.triu_indices(n, k, m)` gives the two as a tuple:
    `tuple(tg.triu_indices(n, m, k))`). No gradient."""
    return _triangle("triu_indices", row, col, offset, dtype, np.triu_indices)


for _name, _method in {"unique": unique, "unique_consecutive": unique_consecutive,
                       "bincount": bincount, "histc": histc,
                       "searchsorted": searchsorted}.items():
    setattr(Tensor, _name, _method)

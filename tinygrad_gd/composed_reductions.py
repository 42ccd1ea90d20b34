"""Reductions PyTorch and NumPy have as one name that are several registered ops here.

`median`, `nanmedian` and `kthvalue` pick one entry of each row by a stable sort made
without gradient, then read it with the op take_along_axis, so the gradient goes to that
entry alone (PyTorch's); without dim, median and nanmedian share it among the entries
equal to the result, as PyTorch's do (the ops take and max). `cummax` and `cummin` read
the running extreme's entry the same way. `nansum` and `nanmean` are masked_fill, sum
and div (gradient 0 at NaN entries); `aminmax` is min and max; `std_mean` and
`var_mean` are std or var and mean, with PyTorch's default correction of 1;
`logcumsumexp` is logaddexp of shifted pieces, log2(n) rounds of them, which never
overflows. They are `tg.` functions through compositions.py, which also sets the
methods (`x.median(dim=0)`, `x.nansum()`, `x.cummax(0)`). A diagram draws each made of
ops that do not say its name as the call written (`nansum()` around masked_fill and
sum: `scope.drawn_as_call`).

Shared with other modules, not `tg.` names: `vector_norm` (PyTorch's linalg.vector_norm
made of ops, the p-norms of dist, cdist, nn's norms and `x.norm(p=1)`) and `axis_slice`
(x[start:stop] along one axis, the op getitem).
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np

from . import functional
from .grad_mode import check_flag
from .ops import statistics
from .ops.arguments import check_axis, either, number, one_axis, reduced_axes
from .ops.reductions import (EmptyReductionError, KOutOfRangeError, ValuesAndIndices, keep_flag,
                             stable_order, whole_k)
from .scope import drawn_as_call
from .tensor import Tensor, to_tensor
from .values import default_float

__all__ = ["median", "nanmedian", "kthvalue", "nansum", "nanmean", "aminmax", "std_mean",
           "var_mean", "logcumsumexp", "cummax", "cummin"]


class MinMax(NamedTuple):
    """What `aminmax` gives, as PyTorch's: the minima and the maxima (`min`, `max`)."""

    min: Any
    max: Any


def _one_axis(name: str, dim: Any, axis: Any, x: Tensor, default: Any = None) -> int:
    """The axis given as dim= or axis=, as a non-negative int; a 0-d tensor has the axis 0
    (or -1), as in PyTorch."""
    ndim = max(x.ndim, 1)
    value = either(name, "axis", axis, "dim", dim, default)
    if value is None:
        raise TypeError(f"{name}: give dim= (or axis=), the axis to work along")
    return one_axis(name, value, ndim) % ndim


def _nan_counts(data: np.ndarray, axis: Any) -> np.ndarray:
    """The number of NaN entries along `axis` (kept as an axis of length 1)."""
    if data.dtype.kind != "f":
        return np.zeros(np.sum(data, axis=axis, keepdims=True).shape, dtype=np.int64)
    return np.isnan(data).sum(axis=axis, keepdims=True)


def _positions(data: np.ndarray, axis: int, rank_of: Callable) -> np.ndarray:
    """Where, along `axis`, each row's entry of rank `rank_of(n, nan_counts)` is in the
    stable ascending order (NaN last, ties in their order): int64, the axis kept."""
    nans = _nan_counts(data, axis)
    rank = np.broadcast_to(np.asarray(rank_of(data.shape[axis], nans), dtype=np.int64),
                           nans.shape)
    return np.take_along_axis(stable_order(data, axis), rank, axis)


def _ranked(name: str, x: Tensor, axis: int, keep: bool, rank_of: Callable,
            what: str) -> ValuesAndIndices:
    """Each row's entry of rank `rank_of(n, nans)` along `axis` and where it is: the op
    take_along_axis (the gradient to that entry), and int64 indices."""
    scalar = x.ndim == 0
    if scalar:
        x = x.reshape(1)
    if x.shape[axis] == 0:
        raise EmptyReductionError(f"{name}: axis {axis} of the tensor of shape {x.shape} is "
                                  f"empty, so it has no {what}; reduce over an axis of non-zero "
                                  f"length")
    indices = _positions(x._data, axis, rank_of)
    values = functional.take_along_axis(x, indices, axis=axis)
    if scalar:
        values, indices = values.reshape(()), indices.reshape(())
    elif not keep:
        values, indices = values.squeeze(axis), np.squeeze(indices, axis)
    return ValuesAndIndices(values, Tensor.from_op(indices, None))


def _whole(x: Tensor, rank_of: Callable) -> Tensor:
    """The entry of rank `rank_of(n, nans)` of all of x, a 0-d tensor whose gradient the
    entries equal to it share (all NaN ones if it is NaN): the ops take and max."""
    flat = x.reshape(-1)
    if flat.shape[0] == 0:  # no entries: NaN, as PyTorch's (in the graph, gradient empty)
        return functional.masked_fill(flat.sum(), True, np.nan)
    data = flat._data
    value = data[_positions(data, 0, rank_of)[0]]
    tied = data == value
    if data.dtype.kind == "f" and np.isnan(value):
        tied = np.isnan(data)
    return functional.take(flat, np.flatnonzero(tied)).max()


def _lower_middle(n: int, nans: np.ndarray) -> np.ndarray:
    return np.where(nans > 0, n - nans, (n - 1) // 2)  # a NaN in the row: the first NaN


def _lower_middle_of_numbers(n: int, nans: np.ndarray) -> np.ndarray:
    return np.maximum(n - nans - 1, 0) // 2  # all NaN: the first NaN


def _median(name: str, rank_of: Callable, input: Any, dim: Any, keepdim: Any,  # noqa: A002
            axis: Any, keepdims: Any) -> Any:
    x = to_tensor(input)
    if either(name, "axis", axis, "dim", dim) is None:
        if keepdim is not None or keepdims is not None:
            raise TypeError(f"{name}: keepdim= needs dim=, the axis to reduce")
        return _whole(x, rank_of)
    return _ranked(name, x, _one_axis(name, dim, axis, x), keep_flag(name, keepdims, keepdim),
                   rank_of, "median")


@drawn_as_call("median()")
def median(input: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,  # noqa: A002
           keepdims: Any = None) -> Any:
    """PyTorch's median: the lower of the two middle values of an even count (NumPy's
    averages them). Without dim, a 0-d tensor whose gradient the entries equal to it share;
    with dim (or axis), values and indices (`ValuesAndIndices`), the gradient to the entry
    at the index. A NaN makes the median NaN (the first NaN's index). Of tied entries the
    index is that of the stable sort's; PyTorch's may name another of them."""
    return _median("median", _lower_middle, input, dim, keepdim, axis, keepdims)


@drawn_as_call("nanmedian()")
def nanmedian(input: Any, dim: Any = None, keepdim: Any = None, *,  # noqa: A002
              axis: Any = None, keepdims: Any = None) -> Any:
    """median with the NaN entries left out (PyTorch's nanmedian: the lower middle value);
    NaN only where every entry is NaN."""
    return _median("nanmedian", _lower_middle_of_numbers, input, dim, keepdim, axis, keepdims)


@drawn_as_call("kthvalue()")
def kthvalue(input: Any, k: int, dim: Any = None, keepdim: Any = None, *,  # noqa: A002
             axis: Any = None, keepdims: Any = None) -> ValuesAndIndices:
    """The k-th smallest entry along `dim` (the last by default; k from 1, an int or an
    integer tensor of one element) and where it is, as PyTorch's kthvalue: values (the op
    take_along_axis, the gradient to that entry) and indices. NaN counts as the largest. Of
    tied entries the index is the stable sort's."""
    x = to_tensor(input)
    where = _one_axis("kthvalue", dim, axis, x, default=-1)
    n, k = (x.shape[where] if x.ndim else 1), whole_k("kthvalue", k)
    if n and not 1 <= k <= n:  # (an empty axis: _ranked's error, PyTorch's IndexError)
        raise KOutOfRangeError(f"kthvalue: k must be a whole number from 1 to {n} (the length "
                               f"of axis {where} of a tensor of shape {x.shape}), got {k!r}")
    return _ranked("kthvalue", x, where, keep_flag("kthvalue", keepdims, keepdim),
                   lambda n, nans: k - 1, "k-th value")


def _numbers(x: Tensor) -> tuple[Tensor, np.ndarray]:
    """x with its NaN entries 0 (the op masked_fill, gradient 0 there), and where the
    other entries are."""
    if x.dtype.kind != "f":
        return x, np.ones(x.shape, dtype=bool)
    present = ~np.isnan(x._data)
    return functional.masked_fill(x, ~present, 0.0), present


@drawn_as_call("nansum()")
def nansum(input: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None,  # noqa: A002
           keepdim: Any = None) -> Tensor:
    """The sum over `axis` (or dim; all by default) with NaN entries counted as 0, NumPy's
    and PyTorch's nansum: the ops masked_fill and sum (gradient 0 at NaN entries)."""
    x = to_tensor(input)
    axes, keep = reduced_axes("nansum", axis, dim, x.ndim), keep_flag("nansum", keepdims, keepdim)
    return _numbers(x)[0].sum(axis=axes, keepdims=keep)


@drawn_as_call("nanmean()")
def nanmean(input: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None,  # noqa: A002
            keepdim: Any = None) -> Tensor:
    """The mean over `axis` (or dim; all by default) of the entries that are not NaN (NaN
    where all are), NumPy's and PyTorch's nanmean: masked_fill, sum and div. The gradient
    is 0 at NaN entries, also where all are NaN (PyTorch's is NaN there)."""
    x = to_tensor(input)
    axes = reduced_axes("nanmean", axis, dim, x.ndim)
    keep = keep_flag("nanmean", keepdims, keepdim)
    numbers, present = _numbers(x)
    total = numbers.sum(axis=axes, keepdims=keep)
    count = present.sum(axis=axes, keepdims=keep).astype(
        total.dtype if total.dtype.kind == "f" else default_float())
    return total / np.where(count == 0, np.nan, count)  # no numbers: NaN, without 0 / 0


def aminmax(input: Any, *, dim: Any = None, keepdim: Any = None, axis: Any = None,  # noqa: A002
            keepdims: Any = None) -> MinMax:
    """The minima and maxima over `dim` (all axes by default), PyTorch's aminmax: `MinMax`
    of the ops min and max (tied extremes share the gradient, as in PyTorch)."""
    x = to_tensor(input)
    axes = reduced_axes("aminmax", axis, dim, x.ndim)
    keep = keep_flag("aminmax", keepdims, keepdim)
    if 0 in (x.shape if axes is None else np.atleast_1d(np.take(x.shape, axes))):
        raise EmptyReductionError(f"aminmax: the tensor of shape {x.shape} has no entries "
                                  f"along {'its axes' if axes is None else f'axis {axes}'}, "
                                  f"so no minimum or maximum; reduce over axes of non-zero "
                                  f"length")
    return MinMax(x.amin(axis=axes, keepdims=keep), x.amax(axis=axes, keepdims=keep))


def _spread_and_mean(name: str, spread: str, input: Any, dim: Any, unbiased: Any,  # noqa: A002
                     keepdim: Any, correction: Any, axis: Any, keepdims: Any) -> tuple:
    x = to_tensor(input)
    if isinstance(dim, (bool, np.bool_)):  # torch.std_mean(x, False): the unbiased flag
        if unbiased is not None:
            raise TypeError(f"{name}: unbiased given twice, as the second argument and by "
                            f"keyword; give it once")
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{name}: give correction= or unbiased=, not both")
        correction = 1 if check_flag(name, "unbiased", unbiased) else 0
    # (a negative correction divides by more than n, as PyTorch's)
    correction = 1 if correction is None else number(name, "correction", correction)
    axes = reduced_axes(name, axis, dim, x.ndim)
    keep = keep_flag(name, keepdims, keepdim)
    with statistics.warning_as(name):  # (no degrees of freedom: said as var_mean's)
        spread_out = getattr(x, spread)(dim=axes, correction=correction, keepdim=keep)
    return spread_out, x.mean(axis=axes, keepdims=keep)


def std_mean(input: Any, dim: Any = None, unbiased: Any = None,  # noqa: A002
             keepdim: Any = None, *, correction: Any = None, axis: Any = None,
             keepdims: Any = None) -> tuple[Tensor, Tensor]:
    """(std, mean) over `dim` (all axes by default), PyTorch's std_mean: the ops std and
    mean. The std divides by n - correction, PyTorch's default 1 (`unbiased=False`, or
    `std_mean(x, False)`: 0)."""
    return _spread_and_mean("std_mean", "std", input, dim, unbiased, keepdim, correction,
                            axis, keepdims)


def var_mean(input: Any, dim: Any = None, unbiased: Any = None,  # noqa: A002
             keepdim: Any = None, *, correction: Any = None, axis: Any = None,
             keepdims: Any = None) -> tuple[Tensor, Tensor]:
    """(var, mean) over `dim` (all axes by default), PyTorch's var_mean: the ops var and
    mean. The var divides by n - correction, PyTorch's default 1 (`unbiased=False`, or
    `var_mean(x, False)`: 0)."""
    return _spread_and_mean("var_mean", "var", input, dim, unbiased, keepdim, correction,
                            axis, keepdims)


def axis_slice(x: Tensor, axis: int, start: int | None, stop: int | None) -> Tensor:
    """x[start:stop] along `axis` (Python's slicing), the op getitem."""
    return x[(slice(None),) * axis + (slice(start, stop),)]


@drawn_as_call("logcumsumexp()")
def logcumsumexp(input: Any, dim: Any = None, *, axis: Any = None) -> Tensor:  # noqa: A002
    """ln of the running sum of e**x along `dim`, PyTorch's logcumsumexp, without overflow:
    log2(n) rounds of the op logaddexp, each adding in the entries `step` places back
    (getitem and concatenate), so large and small entries keep their digits."""
    x = to_tensor(input)
    where = _one_axis("logcumsumexp", dim, axis, x)
    if x.dtype.kind != "f":
        x = x.to(default_float())
    n, step, out = (x.shape[where] if x.ndim else 1), 1, x
    while step < n:
        with np.errstate(invalid="ignore"):  # (NaN entries give NaN, without NumPy's warning)
            added = functional.logaddexp(axis_slice(out, where, step, n),
                                         axis_slice(out, where, 0, n - step))
        out = functional.concatenate([axis_slice(out, where, 0, step), added], axis=where)
        step *= 2
    return out if out is not x else out.clone()


def _running(name: str, accumulate: Any, input: Any, dim: Any,  # noqa: A002
             axis: Any) -> ValuesAndIndices:
    """The running extreme along the axis and where it is (the latest of ties, and of NaN
    entries, which win: PyTorch's rule); the values are the op take_along_axis."""
    x = to_tensor(input)
    where = _one_axis(name, dim, axis, x)
    scalar = x.ndim == 0
    if scalar:
        x = x.reshape(1)
    data = x._data
    best = accumulate.accumulate(data, axis=where) if data.size else data
    reached = data == best  # where the extreme is new or tied
    if data.dtype.kind == "f":
        reached |= np.isnan(data)
    steps = np.arange(x.shape[where]).reshape((-1,) + (1,) * (x.ndim - 1 - where))
    indices = np.where(reached, steps, -1)
    indices = np.maximum.accumulate(indices, axis=where) if data.size else indices
    values = functional.take_along_axis(x, indices.astype(np.int64), axis=where)
    if scalar:
        values, indices = values.reshape(()), indices.reshape(())
    return ValuesAndIndices(values, Tensor.from_op(indices.astype(np.int64), None))


@drawn_as_call("cummax()")
def cummax(input: Any, dim: Any = None, *, axis: Any = None) -> ValuesAndIndices:  # noqa: A002
    """The running maximum along `dim` and where it is (PyTorch's cummax: the latest of
    tied entries; NaN, once met, stays): values in the graph (take_along_axis, the gradient
    to the entry at the index) and int64 indices."""
    return _running("cummax", np.maximum, input, dim, axis)


@drawn_as_call("cummin()")
def cummin(input: Any, dim: Any = None, *, axis: Any = None) -> ValuesAndIndices:  # noqa: A002
    """The running minimum along `dim` and where it is (PyTorch's cummin: the latest of
    tied entries; NaN, once met, stays): values in the graph (take_along_axis, the gradient
    to the entry at the index) and int64 indices."""
    return _running("cummin", np.minimum, input, dim, axis)


def vector_norm(x: Tensor, p: float, axis: Any = None, keepdims: Any = False, *,
                op: str = "vector_norm") -> Tensor:
    """The p-norm of x over `axis` (None: every entry), PyTorch's linalg.vector_norm made of
    ops: 2 the op norm; inf and -inf the largest and smallest |entry| (abs, max or min);
    0 the count of non-zero entries (in the graph, gradient 0); any other p the op pow,
    `sum(|x|**p)**(1/p)`. The gradient at a zero entry, and where the norm is 0, is 0, as
    PyTorch's, also for p < 1, where the slope there is infinite; for p 0, 1 and +-inf it
    is 0 at a NaN entry too, as PyTorch's (other p: NaN). An integer x counts in
    float64. `op`: the caller's name (dist, cdist, ...), which its errors name."""
    p = number(op, "p", p)
    x = to_tensor(x)
    axes = check_axis(op, axis, x.ndim, scalar_axis=True)  # (a 0-d x: its one axis too)
    keep = check_flag(op, "keepdims", keepdims)
    if x.dtype.kind != "f":
        x = x.to(default_float())
    if p == 2:
        return x.norm(axis=axes, keepdims=keep)
    reduced = x.shape if axes is None else np.take(x.shape, axes)
    if (p < 0 or math.isinf(p)) and 0 in np.atleast_1d(reduced):
        where = "its axes" if axes is None else f"axis {axes}"
        raise EmptyReductionError(f"{op}: the {p} norm of no entries is undefined (the "
                                  f"tensor of shape {x.shape} is empty along {where}), as in "
                                  f"PyTorch; reduce over axes of non-zero length")
    size = x.abs()
    nan = np.isnan(x._data)
    if (p in (0, 1) or math.isinf(p)) and nan.any():  # abs's slope at NaN is NaN: PyTorch's 0
        size = functional.masked_fill(functional.masked_fill(x, nan, 0.0).abs(), nan, math.nan)
    if p == 1:
        return size.sum(axis=axes, keepdims=keep)
    if p == math.inf:
        return size.max(axis=axes, keepdims=keep)
    if p == -math.inf:
        return size.min(axis=axes, keepdims=keep)
    if p == 0:  # a count: in the graph with gradient 0
        return functional.masked_fill(size, True, 0.0).sum(axis=axes, keepdims=keep) + (
            size != 0).sum(axis=axes, keepdims=keep).to(size.dtype)
    # zero entries powered apart: 0 ** p has an infinite slope for p < 1 (NaN in backward);
    # they add 0 (p > 0) or inf (p < 0, then the norm is 0)
    zero = np.asarray(size.data == 0)
    powered = functional.masked_fill(functional.masked_fill(size, zero, 1.0) ** p, zero,
                                     0.0 if p > 0 else math.inf)
    total = powered.sum(axis=axes, keepdims=keep)
    empty = np.asarray(total.data == 0)  # (0 ** (1/p) has no finite slope: PyTorch's 0)
    return functional.masked_fill(functional.masked_fill(total, empty, 1.0) ** (1 / p), empty,
                                  0.0)


statistics.p_norm = vector_norm  # (x.norm(p=1) is this too: the op's module is below here)


# PyTorch's Tensor methods of these names (compositions.py sets them on Tensor)
METHODS = {name: globals()[name] for name in (
    "median", "nanmedian", "kthvalue", "nansum", "nanmean", "aminmax", "logcumsumexp",
    "cummax", "cummin")}

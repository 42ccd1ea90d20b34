"""`tg.masked`: PyTorch's `torch.masked`, reductions and normalizations over the entries a
boolean mask keeps, with gradients.

The reductions here: `sum`, `prod`, `amax`, `amin`, `argmax`, `argmin`, `mean`, `median`,
`logsumexp`, `norm`, `var`, `std`; masked_normalizations.py's `cumsum`, `cumprod`,
`softmax`, `log_softmax`, `softmin`, `normalize` and `logaddexp` are re-exported. Each
takes `mask=` (None: every entry; a bool tensor of the input's shape, or one with no more
axes that broadcasts to it), and reads a left-out entry as the identity of what it
computes (0 for sum, 1 for prod, -inf for amax, +inf for amin, NaN for median), made with
the op `where` before the package's reduction, so backward() gives those entries gradient
0, as PyTorch's does. A slice left out whole gives that identity (sum 0, amax -inf), or
NaN where there is none (mean, median, var, std), with PyTorch's gradients and without
NumPy's warnings, forward or backward; so does var or std over a slice keeping no more
entries than the correction (inf or NaN), and std over equal entries (0, gradient NaN).
`dim=None` and `dim=()` both reduce every axis (torch.masked's reading); `dtype=`,
`keepdim=` as torch.masked's.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import compositions, functional, logic
from .composed_reductions import nanmedian
from .grad_mode import check_flag
from .masked_normalizations import (axes, cast, cumprod, cumsum, dims, filled, flag,
                                    input_mask, log_softmax, logaddexp, masked_vector_norm,
                                    named, nan_of_empty_slices, normalize, one_dim,
                                    result_dtype, softmax, softmin, tensor)
from .nn.layer_arguments import _named
from .ops.arguments import number
from .scope import made_here, nan_on_purpose
from .tensor import Tensor
from .values import default_float

__all__ = ["sum", "prod", "amax", "amin", "argmax", "argmin", "mean", "median", "logsumexp",
           "norm", "var", "std", "cumsum", "cumprod", "softmax", "log_softmax", "softmin",
           "normalize", "logaddexp"]

# the integer dtypes a sum or product widens to int64 (PyTorch's)
_WIDENED = {np.dtype(t) for t in (np.bool_, np.uint8, np.int8, np.int16, np.int32)}


def _widened(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.int64) if dtype in _WIDENED else dtype


def _sum(x: Tensor, mask: Tensor | None, found: tuple, keepdim: bool, dtype: Any) -> Tensor:
    """sum(where(mask, x, 0)) over the axes `found`, in `dtype`."""
    return functional.sum(filled(x, mask, 0), dim=axes(found, x), keepdim=keepdim, dtype=dtype)


def _count(mask: Tensor | None, x: Tensor, found: tuple, keepdim: bool) -> np.ndarray:
    """How many entries the mask keeps in each reduced slice (int64, no gradient)."""
    kept = np.ones(x.shape, dtype=bool) if mask is None else np.asarray(mask.data)
    return np.asarray(kept.sum(axis=axes(found, x), keepdims=keepdim), dtype=np.int64)


def _divisor(divisor: np.ndarray, blank: np.ndarray, dtype: Any, what: str,
             meaning: str = "where the mask keeps no entry") -> Tensor:
    """A mean's or variance's divisor as a constant of `dtype` named `what` (a diagram
    draws it so, not as an input), NaN where `blank`: where the mask keeps nothing in the
    slice (or the variance has no more entries than the correction), dividing by NaN
    gives PyTorch's NaN (its 0 / 0) and its NaN gradients, without NumPy's divide warnings
    (g / 0, 0 * inf) in backward. A diagram says `meaning` of those NaN, not a fault."""
    values = Tensor(np.where(blank, np.nan, divisor).astype(dtype), dtype=dtype)
    values = nan_on_purpose(values, meaning) if blank.any() else values
    return made_here(_named(values, what))  # (drawn in the call's frame, which made it)


@named
def sum(input: Any, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,  # noqa: A001,A002
        mask: Any = None) -> Tensor:
    """The sum over `dim` of the entries `mask` keeps; a slice left out whole sums to 0
    (PyTorch's torch.masked.sum).

    `dim`: an int, a tuple of ints, None or () (every axis); `dtype`: the input cast to
    it first (default the input's; bool and integers narrower than int64 give int64).
    Gradient 1 at kept entries, 0 at left-out ones.
    Computes sum(where(mask, input, 0), dim).
    """
    x = tensor("masked.sum", input)
    found = dims("masked.sum", dim, x.ndim)
    dtype = result_dtype("masked.sum", dtype, _widened(x.dtype))
    return _sum(x, input_mask("masked.sum", mask, x), found, flag("masked.sum", keepdim), dtype)


@named
def prod(input: Any, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,  # noqa: A002
         mask: Any = None) -> Tensor:
    """The product over `dim` of the entries `mask` keeps; a slice left out whole gives 1
    (PyTorch's torch.masked.prod).

    `dim`, `dtype` as `sum`'s. Gradient 0 at left-out entries.
    Computes prod(where(mask, input, 1), dim).
    """
    name = "masked.prod"
    x = tensor(name, input)
    found, keep = dims(name, dim, x.ndim), flag(name, keepdim)
    kept = cast(filled(x, input_mask(name, mask, x), 1), result_dtype(name, dtype,
                                                                          _widened(x.dtype)))
    if not x.ndim:
        return kept
    for axis in reversed(found):  # (one axis at a time, as PyTorch's)
        kept = functional.prod(kept, dim=axis, keepdim=keep)
    return kept


def _reduced(name: str, reduce: Any, left_out: float, input: Any, dim: Any, keepdim: Any,
             dtype: Any, mask: Any) -> Tensor:
    """`reduce` (amax, amin, logsumexp) over `dim` of the input, each entry the mask leaves
    out read as `left_out`, the result cast to `dtype` (default the input's)."""
    x = tensor(name, input)
    found = dims(name, dim, x.ndim)
    dtype = result_dtype(name, dtype, x.dtype)
    kept = filled(x, input_mask(name, mask, x), left_out)
    return cast(reduce(kept, dim=axes(found, x), keepdim=flag(name, keepdim)), dtype)


@named
def amax(input: Any, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,  # noqa: A002
         mask: Any = None) -> Tensor:
    """The largest entry over `dim` among those `mask` keeps; a slice left out whole gives
    -inf (an integer dtype's smallest number) (PyTorch's torch.masked.amax).

    `dtype`: the result cast to it (default the input's). The gradient goes to the largest
    kept entries, shared evenly among ties, as amax's.
    Computes amax(where(mask, input, -inf), dim).
    """
    return _reduced("masked.amax", compositions.amax, -math.inf, input, dim, keepdim, dtype,
                    mask)


@named
def amin(input: Any, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,  # noqa: A002
         mask: Any = None) -> Tensor:
    """The smallest entry over `dim` among those `mask` keeps; a slice left out whole gives
    +inf (an integer dtype's largest number) (PyTorch's torch.masked.amin).

    `dtype`: the result cast to it (default the input's). The gradient goes to the
    smallest kept entries, shared evenly among ties.
    Computes amin(where(mask, input, inf), dim).
    """
    return _reduced("masked.amin", compositions.amin, math.inf, input, dim, keepdim, dtype,
                    mask)


def _arg(name: str, pick: Any, left_out: float, input: Any, dim: Any, keepdim: Any,
         dtype: Any, mask: Any) -> Tensor:
    x = tensor(name, input)
    axis = None if dim is None else one_dim(name, dim, x.ndim)
    dtype = result_dtype(name, dtype, x.dtype)
    kept = filled(x, input_mask(name, mask, x), left_out)
    return cast(pick(kept, dim=axis, keepdim=flag(name, keepdim)), dtype)


@named
def argmax(input: Any, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,  # noqa: A002
           mask: Any = None) -> Tensor:
    """The index along `dim` (None: of the flattened input) of the largest entry `mask`
    keeps; a slice left out whole gives 0 (PyTorch's torch.masked.argmax).

    The indices come in `dtype`, as torch.masked's: by default the input's (float64
    indices of a float64 input). No gradient.
    Computes argmax(where(mask, input, -inf), dim).
    """
    return _arg("masked.argmax", logic.argmax, -math.inf, input, dim, keepdim, dtype, mask)


@named
def argmin(input: Any, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,  # noqa: A002
           mask: Any = None) -> Tensor:
    """The index along `dim` (None: of the flattened input) of the smallest entry `mask`
    keeps; a slice left out whole gives 0 (PyTorch's torch.masked.argmin).

    The indices come in `dtype`, by default the input's, as torch.masked's. No gradient.
    Computes argmin(where(mask, input, inf), dim).
    """
    return _arg("masked.argmin", logic.argmin, math.inf, input, dim, keepdim, dtype, mask)


@named
def mean(input: Any, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,  # noqa: A002
         mask: Any = None) -> Tensor:
    """The mean over `dim` of the entries `mask` keeps: their sum over their count; a slice
    left out whole gives NaN (PyTorch's torch.masked.mean).

    `dtype` (default the input's) must be a float dtype: an integer input needs
    dtype=tg.float64. Gradient 1/count at kept entries, 0 at left-out ones.
    Computes sum(where(mask, input, 0), dim) / sum(mask, dim).
    """
    name = "masked.mean"
    x = tensor(name, input)
    dtype = result_dtype(name, dtype, x.dtype)
    if dtype.kind != "f":
        raise ValueError(f"{name}: the mean of {x.dtype} entries in {dtype} is not defined; "
                         f"give a float input or a float dtype= (dtype=tg.float64)")
    found, keep, kept = dims(name, dim, x.ndim), flag(name, keepdim), input_mask(name, mask, x)
    count = _count(kept, x, found, keep)
    return _sum(x, kept, found, keep, dtype) / _divisor(count, count == 0, dtype,
                                                        "count kept by the mask")


@named
def median(input: Any, dim: int = -1, *, keepdim: bool = False, dtype: Any = None,  # noqa: A002
           mask: Any = None) -> Tensor:
    """The median along `dim` (the last axis by default) of the entries `mask` keeps, the
    lower of the two middle ones for an even count; a slice left out whole gives NaN
    (PyTorch's torch.masked.median).

    An integer input gives its own dtype (or `dtype`), and refuses a slice left out whole;
    a float input gives its own dtype whatever `dtype` says, as torch.masked's. The
    gradient goes to the median entry.
    Computes nanmedian(where(mask, input, nan), dim).
    """
    name = "masked.median"
    x = tensor(name, input)
    axis, keep = one_dim(name, dim, x.ndim), check_flag(name, "keepdim", keepdim)
    dtype = result_dtype(name, dtype, x.dtype)
    floating = x if x.dtype.kind == "f" else x.to(default_float())
    kept = input_mask(name, mask, x)
    values = nanmedian(filled(floating, kept, math.nan), dim=axis, keepdim=keep).values
    if x.dtype.kind == "f":
        return nan_of_empty_slices(values, kept, axis, keep)
    if np.isnan(np.asarray(values.data)).any():
        raise ValueError(f"{name}: a slice the mask leaves out whole has no median, and a "
                         f"{dtype} result cannot hold NaN; give a float input or a mask that "
                         f"keeps an entry in every slice")
    return cast(values, dtype)


@named
def logsumexp(input: Any, dim: Any = None, *, keepdim: bool = False,  # noqa: A002
              dtype: Any = None, mask: Any = None) -> Tensor:
    """log(sum(exp)) over `dim` of the entries `mask` keeps (a left-out entry counts as
    -inf); a slice left out whole gives -inf (PyTorch's torch.masked.logsumexp).

    `dtype`: the result cast to it (default the input's). Gradient softmax at kept
    entries, 0 at left-out ones.
    Computes logsumexp(where(mask, input, -inf), dim).
    """
    return _reduced("masked.logsumexp", functional.logsumexp, -math.inf, input, dim, keepdim,
                    dtype, mask)


@named
def norm(input: Any, ord: float = 2.0, dim: Any = None, *, keepdim: bool = False,  # noqa: A002
         dtype: Any = None, mask: Any = None) -> Tensor:
    """The `ord`-norm over `dim` of the entries `mask` keeps, left-out entries counting as
    0 (as +inf for ord -inf), so a slice left out whole gives 0 (inf for ord -inf)
    (PyTorch's torch.masked.norm).

    `ord`: 2 (default), 1, inf, -inf, 0 (the count of non-zero entries) or another
    number; `dtype`: the input cast to it first. Gradient 0 at left-out entries.
    Computes linalg.vector_norm(where(mask, input, 0), ord, dim).
    """
    x = tensor("masked.norm", input)
    return masked_vector_norm("masked.norm", x, ord, dim, keepdim, dtype,
                              input_mask("masked.norm", mask, x))


def _std_var(name: str, input: Any, dim: Any, unbiased: Any, correction: Any, keepdim: Any,
             dtype: Any, mask: Any, root: bool = False) -> Tensor:
    """torch.masked's variance: the kept entries' squared distances from their mean,
    summed, over (their count - correction), the count kept at least 0; its square root
    where `root` (std)."""
    x = tensor(name, input)
    if unbiased is not None and correction is not None:
        raise ValueError(f"{name}: give unbiased= or correction=, not both (unbiased=True "
                         f"is correction=1, unbiased=False correction=0)")
    amount = 1.0
    if unbiased is not None:
        amount = float(check_flag(name, "unbiased", unbiased))
    if correction is not None:
        amount = number(name, "correction", correction)
    floating = default_float()
    dtype = result_dtype(name, dtype, x.dtype if x.dtype.kind == "f" else floating)
    compute = dtype if dtype.kind == "f" else floating
    found, keep, kept = dims(name, dim, x.ndim), flag(name, keepdim), input_mask(name, mask, x)
    count = _count(kept, x, found, True)
    total = _sum(x, kept, found, True, dtype)
    mean_dtype = total.dtype if total.dtype.kind == "f" else floating
    centred = x - total / _divisor(count, count == 0, mean_dtype, "count kept by the mask")
    squares = _sum(centred * centred, kept, found, keep, compute)
    divisor = count.reshape(squares.shape).astype(compute)
    if amount != 0:
        divisor = np.maximum(divisor - amount, 0).astype(compute)
    # PyTorch's squares / 0 (inf, or NaN for 0 / 0) and a std's sqrt at 0 (the slope inf,
    # times the distances 0) give NaN gradients at every kept entry of the slice: a NaN
    # divisor there gives them without NumPy's warnings, the value filled in after
    held = np.asarray(squares.data)
    spread, equal = (divisor == 0) & (held > 0), (divisor > 0) & (held == 0)
    meaning = "where the mask keeps no more entries than the correction" + (
        ", or only equal ones" if root and equal.any() else "")
    out = squares / _divisor(divisor, (divisor == 0) | root & equal, compute,
                             "count kept - correction", meaning)
    if root:
        out = functional.sqrt(out)
        out = functional.masked_fill(out, equal, 0.0) if equal.any() else out
    if spread.any():
        out = functional.masked_fill(out, spread, math.inf)
    return cast(out, dtype)


@named
def var(input: Any, dim: Any = None, unbiased: Any = None, *,  # noqa: A002
        correction: Any = None, keepdim: bool = False, dtype: Any = None,
        mask: Any = None) -> Tensor:
    """The variance over `dim` of the entries `mask` keeps: their squared distances from
    their own mean, summed and divided by (count - correction), with PyTorch's default
    correction of 1 (unbiased=False: 0); a slice with no more kept entries than the
    correction gives inf or NaN (PyTorch's torch.masked.var).

    `dtype`: the result's (default the input's; an integer input gives float64, the
    default float). Gradient 0 at left-out entries.
    Computes sum(where(mask, (input - mean)**2, 0), dim) / max(count - correction, 0).
    """
    return _std_var("masked.var", input, dim, unbiased, correction, keepdim, dtype, mask)


@named
def std(input: Any, dim: Any = None, unbiased: Any = None, *,  # noqa: A002
        correction: Any = None, keepdim: bool = False, dtype: Any = None,
        mask: Any = None) -> Tensor:
    """The standard deviation over `dim` of the entries `mask` keeps, the square root of
    `masked.var` with the same arguments (PyTorch's torch.masked.std).

    Gradient 0 at left-out entries.
    Computes sqrt(masked.var(input, dim, unbiased, correction=..., mask=mask)).
    """
    return _std_var("masked.std", input, dim, unbiased, correction, keepdim, dtype, mask,
                    root=True)

"""`tg.masked`'s functions along one axis, and the arguments every masked function shares.

PyTorch's `torch.masked` normalizations and running reductions: `cumsum`, `cumprod`,
`softmax`, `log_softmax`, `softmin`, `normalize`, and the elementwise `logaddexp` of two
masked tensors (masked.py re-exports them as `tg.masked.*`). Each replaces the entries the
mask leaves out by the identity of what it computes (0 for a sum, 1 for a product, -inf
for softmax's maximum, +inf for softmin's minimum) with the op `where`, then runs the
package's op, so backward() gives those entries gradient 0, as PyTorch's.

Shared with masked.py: `named` (a function as `tg.masked.<name>`, an error from the ops it
runs restated as one line naming it, of its own class), `input_mask` (a mask broadcast to
the input's shape: never more axes than the input, any dtype read as `!= 0`), `dims` and
`one_dim` (torch.masked's dims: None and () mean every axis, a 0-d tensor has the one axis
0 or -1), `filled` (the input with the left-out entries replaced), `result_dtype`, `cast`
and `nan_of_empty_slices` (the NaN a slice left out whole gives, declared meant so that a
diagram says so instead of marking a fault).
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable

import numpy as np

from . import functional, linalg
from .grad_mode import check_flag
from .nn import functional as F
from .scope import drawn_as_call, made_of_argument, nan_on_purpose, passed_on
from .tensor import Tensor, to_tensor
from .values import numeric_dtype

__all__ = ["cumsum", "cumprod", "softmax", "log_softmax", "softmin", "normalize",
           "logaddexp"]

_KINDS = (IndexError, TypeError, ValueError, RuntimeError)


def named(function: Callable) -> Callable:
    """`function` as `tg.masked.<its name>`: an error from the ops it runs (or from binding
    its arguments) restated as one line that names it; the NaN and inf a fully masked-out
    slice gives come without NumPy's warnings, as PyTorch's; a diagram draws its ops as
    one call, `masked.sum()`, what it was given named by its parameters
    (scope.drawn_as_call)."""
    name = f"masked.{function.__name__}"
    drawn = drawn_as_call(f"{name}()")(function)

    @functools.wraps(function)
    def masked_function(*args: Any, **kwargs: Any) -> Any:
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                return drawn(*args, **kwargs)
        except _KINDS as err:
            text = str(err).splitlines()[0] if str(err) else type(err).__name__
            if text.startswith(name + ":"):
                raise
            text = text.removeprefix(f"{function.__name__}: ")  # (the op inside, amax's)
            raise _restated(err, f"{name}: {text}") from None
    return masked_function


def _restated(err: Exception, text: str) -> Exception:
    """An error of err's own class (EmptyReductionError stays an IndexError and a
    ValueError, as PyTorch's and NumPy's) saying `text`; of the first of _KINDS it is where
    its class cannot be made from one message."""
    try:
        again = type(err)(text)
    except Exception:  # (a class whose constructor takes other arguments)
        again = None
    if again is None or str(again) != text:
        again = next(k for k in _KINDS if isinstance(err, k))(text)
    return again


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def dims(name: str, dim: Any, ndim: int) -> tuple[int, ...]:
    """torch.masked's axes to reduce, sorted and non-negative: None and () mean every axis
    (torch.masked's reading of (), unlike NumPy's), and a 0-d tensor has one axis, 0 or -1."""
    if dim is None or isinstance(dim, (tuple, list)) and not dim:
        return tuple(range(ndim))
    n = max(ndim, 1)
    given = (dim,) if _is_int(dim) else dim
    try:
        given = tuple(given)
    except TypeError:
        raise TypeError(f"{name}: dim must be an int, a tuple of ints or None, got "
                        f"{type(dim).__name__} {dim!r}") from None
    for d in given:
        if not _is_int(d):
            raise TypeError(f"{name}: dim must be an int, a tuple of ints or None, got "
                            f"{type(d).__name__} {d!r}")
        if not -n <= d < n:
            raise IndexError(f"{name}: dim {d} is out of range for a tensor of {ndim} "
                             f"dimension(s); give a dim in [{-n}, {n - 1}]")
    if len({int(d) % n for d in given}) != len(given):
        raise RuntimeError(f"{name}: dim={dim!r} names an axis twice; name each once")
    return tuple(sorted(int(d) % n for d in given))


def one_dim(name: str, dim: Any, ndim: int) -> int:
    """The one axis of a function along an axis (softmax, cumsum, median), non-negative."""
    if not _is_int(dim):
        raise TypeError(f"{name}: dim must be one int, got {type(dim).__name__} {dim!r}")
    return dims(name, dim, ndim)[0]


def axes(found: tuple[int, ...], x: Tensor) -> Any:
    """`dims`' axes as the package's reductions take them (None for a 0-d tensor's one)."""
    return found if x.ndim else None


def flag(name: str, keepdim: Any) -> bool:
    """keepdim as a bool (None, torch.masked's default spelling of False, is False)."""
    return False if keepdim is None else check_flag(name, "keepdim", keepdim)


def tensor(name: str, value: Any, what: str = "input") -> Tensor:
    """An input as a tensor of numbers (a list or an array taken as tg.tensor takes it)."""
    x = to_tensor(value)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name}: {what} must hold numbers, got dtype {x.dtype}")
    return x


def input_mask(name: str, mask: Any, x: Tensor, what: str = "mask") -> Tensor | None:
    """`mask` as a bool tensor of `x`'s shape (None stays None: every entry in). It may
    have fewer axes than `x` and broadcast, never more; any dtype is read as `!= 0`."""
    if mask is None:
        return None
    values = np.asarray(mask.data if isinstance(mask, Tensor) else tensor(name, mask, what).data)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name}: {what} must be a bool tensor, got dtype {values.dtype}")
    if values.ndim > x.ndim:
        raise IndexError(f"{name}: {what} of shape {values.shape} has more dimensions than "
                         f"the input's shape {x.shape}; give a {what} that broadcasts to it")
    try:
        values = np.broadcast_to(values, x.shape)
    except ValueError:
        raise ValueError(f"{name}: {what} of shape {values.shape} does not broadcast to the "
                         f"input's shape {x.shape}; give a {what} of that shape") from None
    # a copy, not the user's array: named `mask` in a diagram all the same
    return made_of_argument(Tensor(values.astype(bool), dtype=bool), mask, what)


_mask_of = input_mask  # (logaddexp's keyword input_mask hides the function's name there)


def identity(x: Tensor, value: float) -> Tensor:
    """`value` (0, 1, inf, -inf, NaN) as a 0-d tensor of x's dtype: an integer dtype's
    smallest or largest number for -inf and inf, as PyTorch's identities."""
    dtype = x.dtype
    if dtype.kind in "iub" and math.isinf(value):
        if dtype.kind == "b":
            value = value > 0
        else:
            info = np.iinfo(dtype)
            value = info.max if value > 0 else info.min
    return Tensor(np.array(value, dtype=dtype), dtype=dtype)


def filled(x: Tensor, mask: Tensor | None, value: float) -> Tensor:
    """x with the entries the mask leaves out replaced by `value` (the op `where`)."""
    if mask is None:
        return x
    kept = functional.where(mask, x, identity(x, value))
    passed_on(mask, kept._ctx)  # (a diagram's `1 where mask, else 0`)
    return kept


def nan_of_empty_slices(result: Tensor, mask: Tensor | None, axis: int,
                        keepdim: bool = True) -> Tensor:
    """`result`, its NaN declared meant (`scope.nan_on_purpose`) where they are exactly the
    slices along `axis` that the mask leaves out whole (PyTorch's NaN there: softmax's,
    median's); a NaN anywhere else (the user's data) leaves it a fault, as any."""
    data = np.asarray(result.data)
    if mask is None or data.dtype.kind != "f" or not np.isnan(data).any():
        return result
    kept = np.asarray(mask.data)
    blank = ~kept.any(axis=axis, keepdims=keepdim) if kept.ndim else ~kept
    if blank.size != data.size and blank.ndim == data.ndim:
        blank = np.broadcast_to(blank, data.shape)
    if blank.size == data.size and np.array_equal(blank.reshape(data.shape), np.isnan(data)):
        nan_on_purpose(result, "where the mask keeps no entry")
    return result


def result_dtype(name: str, dtype: Any, default: Any) -> np.dtype:
    """`dtype=` as a NumPy dtype, or `default` when it is None."""
    return np.dtype(default) if dtype is None else numeric_dtype(dtype, name)


def cast(x: Tensor, dtype: np.dtype) -> Tensor:
    """x in `dtype` (the op `to`; x itself when it has it already)."""
    return x if x.dtype == dtype else x.to(dtype)


def masked_vector_norm(name: str, x: Tensor, ord: Any, dim: Any, keepdim: Any,
                       dtype: Any, mask: Tensor | None) -> Tensor:
    """The `ord`-norm of the entries `mask` (made by `input_mask`) keeps, those left out
    counting as 0 (as +inf for ord -inf): `tg.linalg.vector_norm` of the filled input."""
    if ord is None or isinstance(ord, (str, bool)) or not isinstance(ord, (int, float)):
        raise TypeError(f"{name}: ord must be a number (2, 1, inf, -inf, 0, ...), got {ord!r}")
    found = dims(name, dim, x.ndim)
    kept = filled(x, mask, math.inf if ord == -math.inf else 0)
    dtype = None if dtype is None else result_dtype(name, dtype, None)
    return linalg.vector_norm(kept, ord, axes(found, x), flag(name, keepdim), dtype=dtype)


def _along(name: str, function: Callable, left_out: float, input: Any,  # noqa: A002
           dim: Any, dtype: Any, mask: Any, running: bool = False) -> Tensor:
    """`function` (cumsum, cumprod, softmax, ...) along `dim` of the input, each entry the
    mask leaves out read as `left_out`; `dtype`: the input cast to it first (a `running`
    sum or product keeps the input's dtype by default, a bool input's in int64)."""
    x = tensor(name, input)
    axis = one_dim(name, dim, x.ndim)
    if dtype is not None:
        dtype = result_dtype(name, dtype, None)
    elif running:
        dtype = np.dtype(np.int64) if x.dtype.kind == "b" else x.dtype
    kept_mask = input_mask(name, mask, x)
    result = function(filled(x, kept_mask, left_out), dim=axis, dtype=dtype)
    return result if running else nan_of_empty_slices(result, kept_mask, axis)


@named
def cumsum(input: Any, dim: int, *, dtype: Any = None, mask: Any = None) -> Tensor:  # noqa: A002
    """The running sum along `dim` of the entries `mask` keeps: a left-out entry counts as
    0, so the sum carries past it (PyTorch's torch.masked.cumsum).

    `mask` broadcasts to the input's shape (never more axes); `dtype`: the input cast to
    it first (default the input's). Gradient 0 at left-out entries.
    Computes cumsum(where(mask, input, 0), dim).
    """
    return _along("masked.cumsum", functional.cumsum, 0, input, dim, dtype, mask, True)


@named
def cumprod(input: Any, dim: int, *, dtype: Any = None, mask: Any = None) -> Tensor:  # noqa: A002
    """The running product along `dim` of the entries `mask` keeps: a left-out entry counts
    as 1 (PyTorch's torch.masked.cumprod).

    `mask` broadcasts to the input's shape; `dtype`: the input cast to it first (default
    the input's). Gradient 0 at left-out entries.
    Computes cumprod(where(mask, input, 1), dim).
    """
    return _along("masked.cumprod", functional.cumprod, 1, input, dim, dtype, mask, True)


@named
def softmax(input: Any, dim: int, *, dtype: Any = None, mask: Any = None) -> Tensor:  # noqa: A002
    """softmax along `dim` over the entries `mask` keeps: a left-out entry counts as -inf,
    so it gets probability 0 and the kept ones sum to 1; a slice left out whole gives NaN
    (PyTorch's torch.masked.softmax).

    `mask` broadcasts to the input's shape; `dtype`: the input cast to it first.
    Gradient 0 at left-out entries.
    Computes softmax(where(mask, input, -inf), dim).
    """
    return _along("masked.softmax", F.softmax, -math.inf, input, dim, dtype, mask)


@named
def log_softmax(input: Any, dim: int, *, dtype: Any = None,  # noqa: A002
                mask: Any = None) -> Tensor:
    """log(softmax) along `dim` over the entries `mask` keeps: -inf at a left-out entry, NaN
    along a slice left out whole (PyTorch's torch.masked.log_softmax).

    `mask` broadcasts to the input's shape; `dtype`: the input cast to it first.
    Gradient 0 at left-out entries.
    Computes log_softmax(where(mask, input, -inf), dim).
    """
    return _along("masked.log_softmax", F.log_softmax, -math.inf, input, dim, dtype, mask)


@named
def softmin(input: Any, dim: int, *, dtype: Any = None, mask: Any = None) -> Tensor:  # noqa: A002
    """softmin (softmax of -x) along `dim` over the entries `mask` keeps: a left-out entry
    counts as +inf and gets 0; a slice left out whole gives NaN (PyTorch's
    torch.masked.softmin).

    `mask` broadcasts to the input's shape; `dtype`: the input cast to it first.
    Gradient 0 at left-out entries.
    Computes softmin(where(mask, input, inf), dim).
    """
    return _along("masked.softmin", F.softmin, math.inf, input, dim, dtype, mask)


@named
def normalize(input: Any, ord: float, dim: int, *, eps: float = 1e-12,  # noqa: A002
              dtype: Any = None, mask: Any = None) -> Tensor:
    """The input divided by its `ord`-norm along `dim`, both over the entries `mask` keeps:
    left-out entries give 0 and count as 0 in the norm (+inf for ord -inf); the norm is
    kept at least `eps` (PyTorch's torch.masked.normalize).

    `mask` broadcasts to the input's shape; `dtype`: the norm's (the input cast to it
    first). Gradient 0 at left-out entries.
    Computes where(mask, input, 0) / maximum(masked.norm(input, ord, dim, keepdim=True), eps).
    """
    name = "masked.normalize"
    x = tensor(name, input)
    one_dim(name, dim, x.ndim)
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name}: eps must be a number, got {type(eps).__name__} {eps!r}")
    kept = input_mask(name, mask, x)
    norm = masked_vector_norm(name, x, ord, dim, True, dtype, kept)
    floor = Tensor(np.array(eps, dtype=norm.dtype), dtype=norm.dtype)
    return filled(x, kept, 0) / functional.maximum(norm, floor)


@named
def logaddexp(input: Any, other: Any, *, dtype: Any = None,  # noqa: A002
              input_mask: Any = None, other_mask: Any = None) -> Tensor:
    """log(exp(input) + exp(other)) elementwise, an entry a mask leaves out counting as
    -inf: where both are left out, -inf (PyTorch's torch.masked.logaddexp).

    Each mask broadcasts to its tensor's shape; the two broadcast together; `dtype`: the
    result cast to it (default the input's). Gradient 0 at left-out entries.
    Computes logaddexp(where(input_mask, input, -inf), where(other_mask, other, -inf)).
    """
    name = "masked.logaddexp"
    x, y = tensor(name, input), tensor(name, other, "other")
    dtype = result_dtype(name, dtype, x.dtype)
    x = filled(x, _mask_of(name, input_mask, x, "input_mask"), -math.inf)
    y = filled(y, _mask_of(name, other_mask, y, "other_mask"), -math.inf)
    return cast(functional.logaddexp(x, y), dtype)

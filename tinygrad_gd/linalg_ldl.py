"""`tg.linalg`'s LDL functions, under PyTorch's names: `ldl_factor_ex`, `ldl_factor` and
`ldl_solve`, with their results `LDLFactorResult` and `LDLFactorExResult`.

A symmetric, possibly indefinite, matrix A is factored as A = L @ D @ L.T by the
Bunch-Kaufman method that LAPACK's sytrf uses (reading A's lower triangle, as PyTorch
does): D is block diagonal with 1 x 1 and 2 x 2 blocks, L unit lower triangular after
symmetric row and column interchanges. The result is LAPACK's compact form, as PyTorch
gives it: `LD` holds D's blocks on and next to the diagonal and L's multipliers below
them (zeros above the diagonal), `pivots` (int32, 1-based) the interchanges: pivots[k]
> 0 a 1 x 1 block whose rows k and pivots[k] were swapped, a pair of equal negative
entries a 2 x 2 block whose second row was swapped with -pivots[k]. `ldl_solve` is
LAPACK's sytrs on that form. Both are written here in NumPy, a batch at once (each
matrix takes its own pivots in the same sweep over the columns). A NaN or infinite entry
is carried as PyTorch's LAPACK carries it (its idamax takes the first NaN as the
largest, its syr skips an update by a factor 0), so info, pivots and the places of inf
and NaN are PyTorch's too.

No gradient, as in PyTorch (its backward raises "not implemented" for all three): the
results are new tensors that need none. Integers are factored in the default float,
float16 in float32 (kept float16). `tg.linalg` (linalg.py) re-exports every name here.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .errors import ShapeError
from .grad_mode import check_flag
from .linalg_lu import integer_pivots
from .ops.linalg import LinAlgError, zero_pivot_error
from .tensor import Tensor, to_tensor
from .values import default_float

__all__ = ["ldl_factor_ex", "ldl_factor", "ldl_solve", "LDLFactorResult",
           "LDLFactorExResult"]

_ALPHA = (1 + math.sqrt(17)) / 8  # Bunch and Kaufman's bound on element growth


class LDLFactorResult(NamedTuple):
    """What `ldl_factor` gives, as PyTorch's: `LD` (D's blocks and L's multipliers in one
    lower triangular matrix) and `pivots` (int32, 1-based; negative pairs: 2 x 2 blocks)."""

    LD: Any
    pivots: Any


class LDLFactorExResult(NamedTuple):
    """What `ldl_factor_ex` gives, as PyTorch's: `LD`, `pivots` and `info` (int32: 0, or
    the 1-based position of D's first zero diagonal block)."""

    LD: Any
    pivots: Any
    info: Any


def _working(dtype: np.dtype) -> tuple[np.dtype, np.dtype]:
    """The dtype of a result for inputs of `dtype` (an integer's: the default float) and
    the dtype the work is done in (float16's: float32)."""
    dtype = dtype if dtype.kind == "f" else np.dtype(default_float())
    return dtype, np.dtype(np.float32 if dtype == np.float16 else dtype)


def _square(name: str, A: Tensor) -> None:  # noqa: N803
    """Refuse, naming `name`, what is not a square matrix or a batch of them."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(f"{name}: A must be square matrices (or a batch of them, the last "
                         f"two axes), got shape {A.shape}")


def _larger(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fortran's MAX(a, b) as PyTorch's LAPACK computes it: a where a > b, else b (so a NaN
    first is passed over, a NaN second is the answer)."""
    return np.where(a > b, a, b)


def _row_largest(row: np.ndarray, diagonal: np.ndarray) -> np.ndarray:
    """sytf2's rowmax: the largest |entry| of row imax of the trailing block but its
    diagonal (at `diagonal`), idamax's pick left of the diagonal and below it (a NaN first
    found counts as the largest, as in PyTorch's BLAS) joined by MAX."""
    places, count = np.arange(row.shape[-1]), np.arange(len(row))
    left = np.where(places < diagonal[:, None], row, -np.inf)
    below = np.where(places > diagonal[:, None], row, -np.inf)
    left = left[count, np.argmax(left, axis=-1)]
    below = below[count, np.argmax(below, axis=-1)]
    return np.where(diagonal + 1 < row.shape[-1], _larger(left, below), left)


def _symmetric(block: np.ndarray) -> np.ndarray:
    """A batch of matrices made symmetric from their lower triangles (-0.0 kept)."""
    lower = np.tri(block.shape[-1], dtype=bool)
    return np.where(lower, block, np.swapaxes(block, -1, -2))


def bunch_kaufman(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LAPACK's sytrf (lower) of each of a batch of matrices (count, n, n), their lower
    triangles read: LD, pivots (int32, 1-based) and info, step by step as sytf2 takes
    them, the whole batch at column k together (a matrix whose column k is the second
    of a 2 x 2 block sits that step out). Call it under np.errstate(all="ignore"): a
    zero or infinite block divides by 0 as LAPACK does."""
    w = _symmetric(a)  # (kept whole and symmetric: an interchange is then a permutation)
    count, n = w.shape[0], w.shape[-1]
    rows = np.arange(count)
    pivots = np.zeros((count, n), dtype=np.int32)
    info = np.zeros(count, dtype=np.int32)
    second = np.zeros(count, dtype=bool)  # column k is the second of a 2 x 2 block
    for k in range(n):
        absakk = np.abs(w[:, k, k])
        if k + 1 < n:
            below = np.abs(w[:, k + 1:, k])
            imax = k + 1 + np.argmax(below, axis=-1)  # (idamax; a NaN first found, as PyTorch's)
            colmax = np.abs(w[rows, imax, k])
        else:
            imax, colmax = np.full(count, k), np.zeros(count, dtype=w.dtype)
        rowmax = _row_largest(np.abs(w[rows, imax, k:]), imax - k)
        zero = _larger(absakk, colmax) == 0
        keep = zero | (absakk >= _ALPHA * colmax) | (
            absakk >= _ALPHA * colmax * (colmax / rowmax))
        swap_in = ~keep & (np.abs(w[rows, imax, imax]) >= _ALPHA * rowmax)
        active = ~second
        double = active & ~keep & ~swap_in
        kp = np.where(active & ~keep, imax, k)
        kk = k + double
        moved = np.nonzero(kp != kk)[0]
        if moved.size:  # interchange rows and columns kk and kp of the trailing block
            order = np.tile(np.arange(k, n), (moved.size, 1))
            order[np.arange(moved.size), kk[moved] - k] = kp[moved]
            order[np.arange(moved.size), kp[moved] - k] = kk[moved]
            w[moved, k:, k:] = w[moved[:, None, None], order[:, :, None], order[:, None, :]]
        _one_by_one(w, k, np.nonzero(active & ~double & ~zero)[0])
        _two_by_two(w, k, np.nonzero(double)[0])
        info = np.where(active & zero & (info == 0), k + 1, info).astype(np.int32)
        pivots[:, k] = np.where(double, -(kp + 1), np.where(active, kp + 1, pivots[:, k]))
        if k + 1 < n:
            pivots[double, k + 1] = -(kp[double] + 1)
        second = double
    return np.tril(w), pivots, info


def _one_by_one(w: np.ndarray, k: int, which: np.ndarray) -> None:
    """D's 1 x 1 block at k for the matrices `which`: the trailing block less x x.T / d
    (x = column k below d), and x / d, L's column (sytf2's rank-1 update, in place)."""
    if not which.size or k + 1 == w.shape[-1]:
        return
    x = w[which, k + 1:, k]
    inverse = 1 / w[which, k, k]
    update = which[inverse != 0]  # (BLAS's syr returns at once for a factor 0: d infinite,
    if update.size:  # and passes over each column j where x[j] is 0)
        y, scale = w[update, k + 1:, k], -inverse[inverse != 0]
        old = w[update, k + 1:, k + 1:]
        new = old + y[:, :, None] * (scale[:, None] * y)[:, None, :]
        w[update, k + 1:, k + 1:] = _symmetric(np.where(y[:, None, :] != 0, new, old))
    w[which, k + 1:, k] = x * inverse[:, None]


def _two_by_two(w: np.ndarray, k: int, which: np.ndarray) -> None:
    """D's 2 x 2 block at k, k + 1 for the matrices `which`: L's two columns below it and
    the trailing block less their rank-2 update, as sytf2 computes them (in place)."""
    if not which.size or k + 2 >= w.shape[-1]:
        return
    d21 = w[which, k + 1, k][:, None]
    d11, d22 = w[which, k + 1, k + 1][:, None] / d21, w[which, k, k][:, None] / d21
    scale = 1 / (d11 * d22 - 1) / d21
    first, second = w[which, k + 2:, k], w[which, k + 2:, k + 1]
    wk = scale * (d11 * first - second)
    wkp1 = scale * (d22 * second - first)
    trailing = (w[which, k + 2:, k + 2:] - first[:, :, None] * wk[:, None, :]
                - second[:, :, None] * wkp1[:, None, :])
    w[which, k + 2:, k + 2:] = _symmetric(trailing)
    w[which, k + 2:, k], w[which, k + 2:, k + 1] = wk, wkp1


def _factored(name: str, A: Any, hermitian: Any) -> LDLFactorExResult:  # noqa: N803
    """LD, pivots and info of A (checked), as tensors that need no gradient."""
    check_flag(name, "hermitian", hermitian)  # (no effect on real matrices, as PyTorch's)
    A = to_tensor(A)  # noqa: N806
    _square(name, A)
    dtype, work = _working(A.dtype)
    batch, n = A.shape[:-2], A.shape[-1]
    with np.errstate(all="ignore"):  # (a zero block gives inf and NaN, as LAPACK's)
        ld, pivots, info = bunch_kaufman(A.data.astype(work).reshape((math.prod(batch), n, n)))
    return LDLFactorExResult(Tensor(ld.reshape(A.shape).astype(dtype)),
                             Tensor(pivots.reshape(batch + (n,)), dtype=np.int32),
                             Tensor(info.reshape(batch), dtype=np.int32))


def _singular_error(name: str, info: np.ndarray) -> LinAlgError:
    """The refusal of a matrix whose D has a zero block (or NaN), naming the first."""
    return zero_pivot_error(name, info, "D", "ldl_solve", "ldl_factor_ex (its info)",
                            "zero (or NaN)")


def ldl_factor_ex(A: Any, *, hermitian: bool = False,  # noqa: N803
                  check_errors: bool = False) -> LDLFactorExResult:
    """The LDL factorization A = L @ D @ L.T of a symmetric matrix (or of each of a batch),
    by Bunch-Kaufman pivoting as LAPACK's sytrf, reading A's lower triangle, in LAPACK's
    compact form, with `info` (int32: 0, or the 1-based position of D's first zero
    block): PyTorch's linalg.ldl_factor_ex. `hermitian` changes nothing for real
    matrices; `check_errors=True` refuses a matrix with info > 0 as ldl_factor does. No
    gradient (PyTorch has none)."""
    check_errors = check_flag("ldl_factor_ex", "check_errors", check_errors)
    result = _factored("ldl_factor_ex", A, hermitian)
    if check_errors and result.info.data.any():
        raise _singular_error("ldl_factor_ex", result.info.data)
    return result


def ldl_factor(A: Any, *, hermitian: bool = False) -> LDLFactorResult:  # noqa: N803
    """The LDL factorization A = L @ D @ L.T of a symmetric, possibly indefinite, matrix
    (or of each of a batch), by Bunch-Kaufman pivoting as LAPACK's sytrf, in its compact
    form: `LD` (D's 1 x 1 and 2 x 2 blocks and L's multipliers below them) and `pivots`
    (int32, 1-based; a pair of equal negative entries marks a 2 x 2 block): PyTorch's
    linalg.ldl_factor. A singular matrix (a zero block in D) is refused with a
    LinAlgError; ldl_factor_ex factors it. No gradient (PyTorch has none)."""
    LD, pivots, info = _factored("ldl_factor", A, hermitian)  # noqa: N806
    if info.data.any():
        raise _singular_error("ldl_factor", info.data)
    return LDLFactorResult(LD, pivots)


def _pivots(name: str, pivots: Any, batch: tuple, n: int) -> np.ndarray:
    """ldl_factor's pivots checked: integers of shape batch + (n,), each entry one
    sytrf can give (1..n and not before its own row; negative ones in equal pairs)."""
    values = integer_pivots(name, pivots, batch + (n,), "ldl_factor", "one per row of LD")
    flat = values.reshape((math.prod(batch), n)).astype(np.int64)
    second = np.zeros(flat.shape[0], dtype=bool)
    for k in range(n):
        p = flat[:, k]
        start = (p < 0) & ~second
        paired = flat[:, k + 1] == p if k + 1 < n else np.zeros_like(start)
        bad = ((p > 0) & ((p < k + 1) | (p > n))) | (p == 0) | (start & ~paired) | (
            start & ((-p < k + 2) | (-p > n)))
        if bad.any():
            raise ValueError(f"{name}: pivots[..., {k}] = {int(p[bad][0])} is not one "
                             f"ldl_factor gives for a matrix of {n} rows (k + 1..{n} for row "
                             f"k, or a pair of equal entries -(k + 2)..-{n}); pass "
                             f"ldl_factor's pivots")
        second = start
    return flat


def _solved(ld: np.ndarray, pivots: np.ndarray, x: np.ndarray) -> np.ndarray:
    """LAPACK's sytrs (lower) for a batch (count, n, n), (count, n), (count, n, k): first
    L @ D @ y = P b, then L.T @ x = y and the interchanges back, in place on x."""
    count, n = ld.shape[:2]
    second = np.zeros(count, dtype=bool)
    for k in range(n):
        p = pivots[:, k]
        one, two = np.nonzero(p > 0)[0], np.nonzero((p < 0) & ~second)[0]
        _swap(x, one, k, p[one] - 1)
        _subtract(x, one, k + 1, ld[one, k + 1:, k], k)
        x[one, k] *= (1 / ld[one, k, k])[:, None]
        if two.size:
            _swap(x, two, k + 1, -p[two] - 1)
            _subtract(x, two, k + 2, ld[two, k + 2:, k], k)
            _subtract(x, two, k + 2, ld[two, k + 2:, k + 1], k + 1)
            off = ld[two, k + 1, k][:, None]
            first, last = ld[two, k, k][:, None] / off, ld[two, k + 1, k + 1][:, None] / off
            denominator = first * last - 1
            up, down = x[two, k] / off, x[two, k + 1] / off
            x[two, k], x[two, k + 1] = ((last * up - down) / denominator,
                                        (first * down - up) / denominator)
        second = (p < 0) & ~second
    closing = np.zeros(count, dtype=bool)  # column k is the first of a 2 x 2 block
    for k in reversed(range(n)):
        p = pivots[:, k]
        one, two = np.nonzero(p > 0)[0], np.nonzero((p < 0) & ~closing)[0]
        x[one, k] -= np.einsum("bi,bij->bj", ld[one, k + 1:, k], x[one, k + 1:])
        _swap(x, one, k, p[one] - 1)
        x[two, k] -= np.einsum("bi,bij->bj", ld[two, k + 1:, k], x[two, k + 1:])
        x[two, k - 1] -= np.einsum("bi,bij->bj", ld[two, k + 1:, k - 1], x[two, k + 1:])
        _swap(x, two, k, -p[two] - 1)
        closing = (p < 0) & ~closing
    return x


def _subtract(x: np.ndarray, which: np.ndarray, start: int, column: np.ndarray,
              k: int) -> None:
    """x[which, start:] less column times row k of x (BLAS's ger, in place), each right-hand
    side whose entry in row k is 0 passed over as ger passes over it."""
    row = x[which, k][:, None, :]
    rest = x[which, start:]
    x[which, start:] = np.where(row != 0, rest + column[:, :, None] * -row, rest)


def _swap(x: np.ndarray, which: np.ndarray, k: int, other: np.ndarray) -> None:
    """Swap row k with row other[i] of each matrix which[i] (in place)."""
    row = x[which, k].copy()
    x[which, k] = x[which, other]
    x[which, other] = row


def ldl_solve(LD: Any, pivots: Any, B: Any, *, hermitian: bool = False) -> Tensor:  # noqa: N803
    """X with A @ X = B from A's LDL factorization (ldl_factor's LD and pivots), as
    LAPACK's sytrs: PyTorch's linalg.ldl_solve. B is a matrix of A's rows (or a batch
    of them; batch axes broadcast with LD's); `hermitian` changes nothing for real
    matrices. A zero block in D gives inf and NaN, as PyTorch's. No gradient (PyTorch has
    none)."""
    check_flag("ldl_solve", "hermitian", hermitian)
    LD, B = to_tensor(LD), to_tensor(B)  # noqa: N806
    if LD.ndim < 2 or LD.shape[-1] != LD.shape[-2]:
        raise ShapeError(f"ldl_solve: LD must be square matrices (or a batch of them), got "
                         f"shape {LD.shape}; pass ldl_factor's LD")
    n = LD.shape[-1]
    flat_pivots = _pivots("ldl_solve", pivots, LD.shape[:-2], n)
    if B.ndim < 2 or B.shape[-2] != n:
        raise ShapeError(f"ldl_solve: B of shape {B.shape} does not fit LD of shape "
                         f"{LD.shape}: B must be a matrix (or a batch of them) of {n} rows "
                         f"(a vector b: b[:, None])")
    try:
        batch = np.broadcast_shapes(LD.shape[:-2], B.shape[:-2])
    except ValueError:
        raise ShapeError(f"ldl_solve: the batch axes of LD {LD.shape} and B {B.shape} do not "
                         f"broadcast together") from None
    dtype, work = _working(np.result_type(LD.dtype, B.dtype))
    size = math.prod(batch)
    ld = np.broadcast_to(LD.data.astype(work), batch + (n, n)).reshape((size, n, n))
    steps = np.broadcast_to(flat_pivots.reshape(LD.shape[:-2] + (n,)), batch + (n,))
    x = np.broadcast_to(B.data.astype(work), batch + B.shape[-2:]).reshape(
        (size,) + B.shape[-2:]).copy()
    with np.errstate(all="ignore"):  # (a zero block gives inf and NaN, as LAPACK's)
        x = _solved(ld, steps.reshape((size, n)), x)
    return Tensor(x.reshape(batch + B.shape[-2:]).astype(dtype))

"""`tg.linalg`'s LU functions, under PyTorch's names: `lu_factor`, `lu_factor_ex`, `lu`,
`lu_solve`, `solve_ex`, and torch's top-level `lu_unpack`.

The packed factors come from the op `lu` (ops/linalg_more.py: LAPACK's getrf, partial
pivoting, the first largest |entry| of each column, pivots 1-based as PyTorch's), which
carries A's gradient; `lu`'s L and U are its triangles (`lu_unpack`: tril and triu, so
the gradient reaches the op through them); the pivots, P and `info` are constants, read
from the same elimination (`lu_factors`). `lu_solve` is two triangular solves (the op
solve_triangular reading LU's two triangles, L's unit diagonal not read) and the pivots'
row swaps (P as a matrix), so its gradient for LU and B is the composition's, PyTorch's.
`solve_ex` solves with the op solve where LU finds no zero pivot. Shape errors are
ValueErrors (as the package's other linear algebra; PyTorch's are RuntimeErrors); a
singular matrix that lu_factor refuses is a `LinAlgError`, which is a RuntimeError as
PyTorch's error there is. `tg.linalg` (linalg.py) re-exports every name here.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import functional
from .errors import ShapeError
from .grad_mode import check_flag
from .linalg_decompositions import _replaced, square_matrices
from .ops.arguments import batch_axes
from .ops.decompositions import SolveTriangular, _rectangular
from .ops.linalg import LinAlgError, Solve, _dtype, lu_factors, zero_pivot_error
from .ops.linalg_more import Lu, permutation_matrices
from .tensor import Tensor, to_tensor

__all__ = ["lu_factor", "lu_factor_ex", "lu", "lu_solve", "lu_unpack", "solve_ex",
           "LUFactorResult", "LUFactorExResult", "LUResult", "SolveExResult", "LinAlgError"]


class LUFactorResult(NamedTuple):
    """What `lu_factor` gives, as PyTorch's: `LU` (L below the diagonal, U on and above
    it) and `pivots` (int32, 1-based)."""

    LU: Any
    pivots: Any


class LUFactorExResult(NamedTuple):
    """What `lu_factor_ex` gives, as PyTorch's: `LU`, `pivots` and `info` (int32: 0, or
    the position of U's first zero on the diagonal)."""

    LU: Any
    pivots: Any
    info: Any


class LUResult(NamedTuple):
    """What `lu` and `lu_unpack` give, as PyTorch's: `P`, `L`, `U` with A = P @ L @ U."""

    P: Any
    L: Any
    U: Any


class SolveExResult(NamedTuple):
    """What `solve_ex` gives, as PyTorch's: `result` and `info` (int32, as LU's)."""

    result: Any
    info: Any


def _pivoting(name: str, pivot: Any) -> None:
    """Refuse pivot=False as PyTorch's CPU LU does."""
    if not check_flag(name, "pivot", pivot):
        raise RuntimeError(f"{name}: LU without pivoting is not implemented (as on PyTorch's "
                           f"CPU); use pivot=True")


def _factored(name: str, A: Any, pivot: Any) -> tuple[Tensor, np.ndarray, np.ndarray]:  # noqa: N803
    """A's packed LU (the op lu, in the graph), pivots and info, A checked to be a matrix
    (or a batch of them). Two eliminations: an op has one output, so the constants come
    from `lu_factors` beside it."""
    _pivoting(name, pivot)
    A = to_tensor(A)  # noqa: N806
    _, pivots, info = lu_factors(_rectangular(name, A.data))  # (LAPACK's dtype: float16 in 32)
    return Lu.apply(A), pivots, info


def _zero_pivot_error(name: str, info: np.ndarray) -> LinAlgError:
    """PyTorch's refusal of a singular matrix by lu_factor, naming U's first zero."""
    return zero_pivot_error(name, info, "U", "lu_solve", "lu_factor_ex (its info) or lu")


def lu_factor_ex(A: Any, *, pivot: bool = True,  # noqa: N803
                 check_errors: bool = False) -> LUFactorExResult:
    """The LU decomposition with partial pivoting of a matrix (or of each of a batch; any
    m x n), packed, with the pivots and `info` (0, or k where U[k-1, k-1], 1-based U[k,k],
    is 0): PyTorch's linalg.lu_factor_ex. The gradient flows through LU (the op lu).
    `check_errors=True`: a matrix with info > 0 refused as lu_factor refuses it."""
    check_errors = check_flag("lu_factor_ex", "check_errors", check_errors)
    LU, pivots, info = _factored("lu_factor_ex", A, pivot)  # noqa: N806
    if check_errors and info.any():
        raise _zero_pivot_error("lu_factor_ex", info)
    return LUFactorExResult(LU, Tensor(pivots, dtype=np.int32), Tensor(info, dtype=np.int32))


def lu_factor(A: Any, *, pivot: bool = True) -> LUFactorResult:  # noqa: N803
    """The LU decomposition with partial pivoting of a matrix (or of each of a batch; any
    m x n), as LAPACK's getrf packs it (L's multipliers below the diagonal, U on and above
    it), and the pivots (int32, 1-based: row j was swapped with row pivots[j]): PyTorch's
    linalg.lu_factor. A singular square matrix (a zero on U's diagonal) is refused with a
    LinAlgError (a RuntimeError, as PyTorch's): lu_factor_ex and lu factor it."""
    LU, pivots, info = _factored("lu_factor", A, pivot)  # noqa: N806
    if info.any():
        raise _zero_pivot_error("lu_factor", info)
    return LUFactorResult(LU, Tensor(pivots, dtype=np.int32))


def lu(A: Any, *, pivot: bool = True) -> LUResult:  # noqa: N803
    """The LU decomposition with partial pivoting A = P @ L @ U of a matrix (or of each of
    a batch; any m x n, k = min(m, n)): P m x m a permutation (A's dtype), L m x k unit
    lower triangular, U k x n upper: PyTorch's linalg.lu. A singular matrix is factored
    too. L and U are the triangles of the packed LU (`lu_unpack`), whose gradient is the
    op lu's, PyTorch's; where U has a zero on its diagonal it is inf and NaN, as
    PyTorch's."""
    LU, pivots, _ = _factored("lu", A, pivot)  # noqa: N806
    return lu_unpack(LU, pivots)


def integer_pivots(name: str, pivots: Any, shape: tuple, factor: str, per: str
                   ) -> np.ndarray:
    """A factorization's pivots as given back to its solver (lu_factor's, ldl_factor's):
    integers of `shape` (`per`: what each stands for), else refused in one line."""
    values = np.asarray(pivots.data if isinstance(pivots, Tensor) else pivots)
    if values.dtype.kind not in "iu":
        raise TypeError(f"{name}: pivots must be an integer tensor (int32, as {factor} gives "
                        f"them), got dtype {values.dtype}")
    if values.shape != shape:
        raise ShapeError(f"{name}: pivots of shape {values.shape} do not fit: expected shape "
                         f"{shape} ({per}); pass {factor}'s pivots")
    return values


def _pivots(name: str, pivots: Any, rows: int, k: int, batch: tuple) -> np.ndarray:
    """LU_pivots checked: integers (int32 in PyTorch), shape batch + (k,), each 1 to rows."""
    values = integer_pivots(name, pivots, batch + (k,), "lu_factor", "one per column of U")
    if values.size and (values.min() < 1 or values.max() > rows):
        raise ValueError(f"{name}: pivots must lie in 1..{rows} (1-based rows of LU), got "
                         f"values {values.min()} to {values.max()}; pass lu_factor's pivots")
    return values


def lu_solve(LU: Any, pivots: Any, B: Any, *, left: bool = True,  # noqa: N803
             adjoint: bool = False) -> Tensor:
    """X with A @ X = B, from A's LU decomposition (lu_factor's LU and pivots): PyTorch's
    linalg.lu_solve. `adjoint=True` solves A.T @ X = B, `left=False` X @ A = B (or X @ A.T
    = B); B is a matrix (or a batch of them; batch axes broadcast). The gradient, for LU
    and B, is that of the triangular solves (the op solve_triangular) and row swaps it is
    made of. A zero on U's diagonal gives inf and NaN, as PyTorch's."""
    left = check_flag("lu_solve", "left", left)
    adjoint = check_flag("lu_solve", "adjoint", adjoint)
    LU, B = to_tensor(LU), to_tensor(B)  # noqa: N806
    square_matrices("lu_solve", LU)
    n = LU.shape[-1]
    pivots = _pivots("lu_solve", pivots, n, n, LU.shape[:-2])
    if B.ndim < 2:
        raise ValueError(f"lu_solve: B must have at least 2 dimensions (a matrix or a batch of "
                         f"them), got shape {B.shape}; write a vector b as "
                         f"{'b[:, None]' if left else 'b[None, :]'}")
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise ValueError(f"lu_solve: incompatible shapes of LU {LU.shape} and B {B.shape} for "
                         f"{'A @ X' if left else 'X @ A'} = B: B needs {n} "
                         f"{'rows' if left else 'columns'}")
    batch_axes("lu_solve", "LU", LU.shape, "B", B.shape)
    if not left:  # (X @ A = B is A.T @ X.T = B.T)
        return lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    dtype = np.result_type(LU.dtype, B.dtype)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    p = permutation_matrices(pivots, n, dtype)  # (named constants: not drawn as inputs)
    if not adjoint:  # A = P L U: X = inv(U) inv(L) P.T B
        swapped = Tensor(np.swapaxes(p, -1, -2), name="P.T") @ B
        y = SolveTriangular.apply(LU, swapped, upper=False, unitriangular=True)
        return SolveTriangular.apply(LU, y, upper=True)
    y = SolveTriangular.apply(LU.mT, B, upper=False)  # A.T = U.T L.T P.T: X = P inv(L.T) ...
    return Tensor(p, name="P") @ SolveTriangular.apply(LU.mT, y, upper=True, unitriangular=True)


def lu_unpack(LU_data: Any, LU_pivots: Any, unpack_data: bool = True,  # noqa: N803
              unpack_pivots: bool = True) -> LUResult:
    """P, L and U with A = P @ L @ U from lu_factor's packed LU (m x n, k = min(m, n)) and
    pivots: PyTorch's lu_unpack. L (m x k) and U (k x n) are LU's triangles (tril, triu:
    their gradient flows to LU); `unpack_data=False` gives them as empty tensors,
    `unpack_pivots=False` P."""
    unpack_data = check_flag("lu_unpack", "unpack_data", unpack_data)
    unpack_pivots = check_flag("lu_unpack", "unpack_pivots", unpack_pivots)
    LU = to_tensor(LU_data)  # noqa: N806
    if LU.ndim < 2:
        raise ValueError(f"lu_unpack: LU_data must have at least 2 dimensions (a matrix or a "
                         f"batch of them), got shape {LU.shape}")
    m, n = LU.shape[-2:]
    k = min(m, n)
    pivots = _pivots("lu_unpack", LU_pivots, m, k, LU.shape[:-2])
    dtype = _dtype(LU.data)

    def empty() -> Tensor:  # (a new one each: P, L and U are three tensors, as PyTorch's)
        return Tensor(np.zeros(0, dtype=dtype))

    P = Tensor(permutation_matrices(pivots, m, dtype)) if unpack_pivots else empty()  # noqa: N806
    if not unpack_data:
        return LUResult(P, empty(), empty())
    unit = Tensor(np.eye(m, k, dtype=dtype), name="identity")  # (named: not drawn as input)
    return LUResult(P, LU[..., :, :k].tril(-1) + unit, LU[..., :k, :].triu())


def solve_ex(A: Any, B: Any, *, left: bool = True,  # noqa: N803
             check_errors: bool = False) -> SolveExResult:
    """X with A @ X = B (`left=False`: X @ A = B), as `tg.linalg.solve` (B a vector or a
    matrix by PyTorch's rule, batch axes broadcast), and `info` (int32: 0 where A's LU has
    no zero pivot, else the position of the first): PyTorch's linalg.solve_ex. A singular
    A's solution is NaN, gradient too (PyTorch's holds its LU solve's inf and NaN).
    `check_errors=True`: a singular A refused with a LinAlgError, as PyTorch's."""
    left = check_flag("solve_ex", "left", left)
    check_errors = check_flag("solve_ex", "check_errors", check_errors)
    A, B = to_tensor(A), to_tensor(B)  # noqa: N806
    info = lu_factors(_rectangular("solve_ex", square_matrices("solve_ex", A)))[2]
    if check_errors and info.any():
        raise LinAlgError(f"solve_ex: the solver failed because A (shape {A.shape}) is "
                          f"singular (info {info.max()}); check it with det or use lstsq")
    failed = info > 0
    out, vector = solve_by_rule("solve_ex", _replaced(A, failed), B, left=left)
    if failed.any():  # (NaN for a singular A, made of A so that its gradient is NaN too)
        nan = Tensor(np.where(failed, np.nan, 0.0)[..., None, None], dtype=out.dtype,
                     name="NaN where info > 0")
        tail = (1,) * (1 if vector else 2)  # (X's own axes: a vector's one, a matrix's two)
        bad = (A * nan).sum(axis=(-2, -1))
        out = functional.where(failed.reshape(failed.shape + tail),
                               bad.reshape(bad.shape + tail), out)
    return SolveExResult(out, Tensor(info, dtype=np.int32))


def solve_by_rule(name: str, A: Tensor, B: Tensor, *,  # noqa: N803
                  left: bool) -> tuple[Tensor, bool]:
    """X with A @ X = B (`left=False`: X @ A = B, B a matrix) by the op solve, and whether
    B counted as a vector, by PyTorch's rule: when it has one axis, or one axis fewer than
    A and A's shape without its last axis. (tg.linalg.solve's rule: linalg.py imports this
    module, so the rule lives here.)"""
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if left:
        return Solve.apply(A, B, vector=vector), vector
    if A.ndim < 2:
        raise ValueError(f"{name}: A must have at least 2 dimensions (a matrix or a batch of "
                         f"them), got shape {A.shape}")
    if vector or B.ndim < 2:  # (PyTorch's refusal too)
        raise ValueError(f"{name}: with left=False, B must be a matrix (or a batch of them) "
                         f"for X @ A = B, got shape {B.shape} beside A of shape {A.shape}; "
                         f"write a row vector b as b[None, :] (a matrix of one row)")
    return Solve.apply(A.mT, B.mT, vector=False).mT, False  # (X @ A = B: A.T @ X.T = B.T)

"""`tg.linalg`'s decompositions and what is computed from them, under PyTorch's names.

`qr`, `eigh` and `svd` give PyTorch's named tuples (QRResult, EighResult, SVDResult),
each result a node of its op (ops/decompositions.py: `qr`, `eigh`, `svd`, with `part=`);
`svdvals` is the svd op's S; `pinv` the op pinv; `matrix_rank` counts singular values
(no gradient); `lstsq` is pinv(A) @ B, whose gradient is PyTorch's (PyTorch's lstsq
differentiates pinv(A) @ B too), with the residuals, rank and singular values that
PyTorch's CPU drivers give. `inv_ex` and `cholesky_ex` give LAPACK's `info` of LU and
Cholesky beside the ops inv and cholesky of the matrices that pass (NaN for the others).
`tg.linalg` (linalg.py) re-exports every name here.

Eigenvectors and singular vectors: each has its entry of largest magnitude positive
(PyTorch's signs are LAPACK's, MKL's on CPU, and differ from NumPy's one time in three):
compare them with PyTorch's up to sign, and differentiate functions that do not depend
on the signs (V * V, U @ diag(S) @ Vh, ...), which agree with PyTorch's whatever its signs.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .grad_mode import check_flag
from .ops.arguments import number
from . import functional
from .ops.decompositions import Eigh, Pinv, Qr, Svd, cholesky_info, first_zero_pivot
from .ops.linalg import Cholesky, Inv, LinAlgError
from .tensor import Tensor, to_tensor

__all__ = ["qr", "eigh", "svd", "svdvals", "pinv", "matrix_rank", "lstsq", "inv_ex",
           "cholesky_ex", "QRResult", "EighResult", "SVDResult", "LstsqResult", "InvExResult",
           "CholeskyExResult"]

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class QRResult(NamedTuple):
    """What `qr` gives, as PyTorch's: `Q` (orthonormal columns) and `R` (upper triangular)."""

    Q: Any
    R: Any


class EighResult(NamedTuple):
    """What `eigh` gives, as PyTorch's: `eigenvalues` (ascending) and `eigenvectors`."""

    eigenvalues: Any
    eigenvectors: Any


class SVDResult(NamedTuple):
    """What `svd` gives, as PyTorch's: `U`, `S` (descending) and `Vh`, A = U diag(S) Vh."""

    U: Any
    S: Any
    Vh: Any


class LstsqResult(NamedTuple):
    """What `lstsq` gives, as PyTorch's: `solution`, `residuals`, `rank`, `singular_values`
    (each of the last three an empty tensor where the driver computes none)."""

    solution: Any
    residuals: Any
    rank: Any
    singular_values: Any


class InvExResult(NamedTuple):
    """What `inv_ex` gives, as PyTorch's: `inverse` and `info` (int32: 0 where A is
    invertible, else the position of LU's first zero pivot)."""

    inverse: Any
    info: Any


class CholeskyExResult(NamedTuple):
    """What `cholesky_ex` gives, as PyTorch's: `L` and `info` (int32: 0 where A is
    positive-definite, else the order of its first leading minor that is not)."""

    L: Any
    info: Any


def uplo(name: str, UPLO: Any) -> str:  # noqa: N803  (PyTorch's argument name)
    """The triangle eigh and eigvalsh read, 'L' or 'U' (lowercase too, as PyTorch's)."""
    if not isinstance(UPLO, str):
        raise TypeError(f"{name}: UPLO must be a str, 'L' or 'U', got "
                        f"{type(UPLO).__name__} {UPLO!r:.40}")
    if UPLO.upper() not in ("L", "U"):
        raise ValueError(f"{name}: UPLO must be 'L' or 'U' (which triangle of A to read), "
                         f"got {UPLO!r}")
    return UPLO.upper()


def _no_driver(name: str, driver: Any) -> None:
    if driver is not None:
        raise ValueError(f"{name}: driver={driver!r} is only for CUDA inputs in PyTorch (its "
                         f"cuSOLVER routines); leave driver=None")


def qr(A: Any, mode: str = "reduced") -> QRResult:  # noqa: N803
    """The QR decomposition A = Q @ R of a matrix (or of each of a batch): PyTorch's
    linalg.qr. `mode` 'reduced' (Q m x k, R k x n, k = min(m, n)), 'complete' (Q m x m,
    R m x n) or 'r' (R alone; Q an empty tensor, as PyTorch's). LAPACK's Householder QR,
    as PyTorch's: the same values, R's diagonal of either sign. Gradients where PyTorch
    gives them: backward refuses mode 'r', and mode 'complete' of a matrix with more
    rows than columns, as PyTorch's does."""
    if not isinstance(mode, str) or mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r:.40}")
    A = to_tensor(A)  # noqa: N806
    R = Qr.apply(A, part="R", mode=mode)  # noqa: N806  (first: it checks A)
    if mode == "r":
        return QRResult(Tensor(np.zeros(0, dtype=R.dtype)), R)
    return QRResult(Qr.apply(A, part="Q", mode=mode), R)


def eigh(A: Any, UPLO: str = "L") -> EighResult:  # noqa: N803
    """The eigenvalues (ascending) and eigenvectors (the columns of `eigenvectors`) of a
    symmetric matrix, or of each of a batch, reading its lower triangle (`UPLO='L'`) or
    upper one: PyTorch's linalg.eigh. Each eigenvector has its entry of largest magnitude
    positive (PyTorch's signs are its LAPACK's). Gradients are PyTorch's, symmetric; where
    two eigenvalues are equal, the eigenvectors' is inf and NaN (as PyTorch's: they are
    not unique there), the eigenvalues' alone stays finite."""
    UPLO = uplo("eigh", UPLO)  # noqa: N806
    A = to_tensor(A)  # noqa: N806
    return EighResult(Eigh.apply(A, part="eigenvalues", UPLO=UPLO),
                      Eigh.apply(A, part="eigenvectors", UPLO=UPLO))


def svd(A: Any, full_matrices: bool = True, *, driver: Any = None) -> SVDResult:  # noqa: N803
    """The singular value decomposition A = U @ diag(S) @ Vh of a matrix (or of each of a
    batch): PyTorch's linalg.svd, `full_matrices` (the default, as PyTorch's: U m x m, Vh
    n x n) or not (k = min(m, n) columns of U, rows of Vh). S descends; each column of U
    has its entry of largest magnitude positive. Gradients are PyTorch's: with
    full_matrices, U's last m - k columns and Vh's last n - k rows pass none (any basis
    would do, as PyTorch ignores them); U's and Vh's are inf and NaN where singular values
    repeat (or, A not square, one is 0), S's alone stays finite."""
    full_matrices = check_flag("svd", "full_matrices", full_matrices)
    _no_driver("svd", driver)
    A = to_tensor(A)  # noqa: N806
    return SVDResult(*(Svd.apply(A, part=part, full_matrices=full_matrices)
                       for part in ("U", "S", "Vh")))


def svdvals(A: Any, *, driver: Any = None) -> Tensor:  # noqa: N803
    """The singular values of a matrix (or of each of a batch), descending: PyTorch's
    linalg.svdvals (the svd op's S). The gradient, U @ diag(g) @ Vh, is finite always."""
    _no_driver("svdvals", driver)
    return Svd.apply(to_tensor(A), part="S")


def _work_dtype(A: Tensor) -> np.dtype:  # noqa: N803
    """The dtype LAPACK computes A in: its own float dtype (float32 for float16), else
    float64."""
    if A.dtype.kind != "f":
        return np.dtype(np.float64)
    return np.promote_types(A.dtype, np.float32)


def _tolerance(name: str, what: str, value: Any, A: Tensor) -> Any:  # noqa: N803
    """atol or rtol: None, a number, or a tensor of them, one per matrix of A (its shape
    broadcasting to A's batch shape; no gradient)."""
    if value is None or isinstance(value, (int, float, np.number)) and not isinstance(
            value, (bool, np.bool_)):
        return value if value is None else number(name, what, value)
    data = np.asarray(value.data if isinstance(value, Tensor) else value) \
        if isinstance(value, (Tensor, np.ndarray)) else None
    if data is None or data.dtype.kind not in "iuf":
        raise TypeError(f"{name}: {what} must be a number or a tensor of them (one per "
                        f"matrix), got {type(value).__name__} {value!r:.40}")
    try:
        fits = np.broadcast_shapes(data.shape, A.shape[:-2]) == A.shape[:-2]
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: {what} of shape {data.shape} must broadcast to A's batch "
                         f"shape {A.shape[:-2]} (one tolerance per matrix; A of shape "
                         f"{A.shape})")
    return data.astype(np.float64)


def pinv(A: Any, *, atol: Any = None, rtol: Any = None,  # noqa: N803
         hermitian: bool = False) -> Tensor:
    """The pseudoinverse of a matrix (or of each of a batch): PyTorch's linalg.pinv (the
    op pinv). Singular values (with `hermitian`, the absolute eigenvalues of A's lower
    triangle) not above max(atol, rtol * the largest) count as 0; rtol None is eps * max(m,
    n), or 0 where atol > 0, as PyTorch's. The gradient is PyTorch's (finite at a
    rank-deficient A: the derivative among matrices of its rank)."""
    hermitian = check_flag("pinv", "hermitian", hermitian)
    A = to_tensor(A)  # noqa: N806
    atol, rtol = _tolerance("pinv", "atol", atol, A), _tolerance("pinv", "rtol", rtol, A)
    return Pinv.apply(A, atol=0.0 if atol is None else atol, rtol=rtol, hermitian=hermitian)


def _singular_values(name: str, A: Tensor, hermitian: bool = False) -> np.ndarray:  # noqa: N803
    """A's singular values (absolute eigenvalues with `hermitian`), no gradient; a matrix
    with a NaN or infinite entry is refused: its rank is not defined."""
    if A.ndim < 2:
        raise ValueError(f"{name}: A must have at least 2 dimensions (a matrix or a batch of "
                         f"them), got shape {A.shape}")
    work = A.data.astype(_work_dtype(A), copy=False)
    if hermitian and work.shape[-1] != work.shape[-2]:
        raise ValueError(f"{name}: with hermitian=True, A must be square matrices, got shape "
                         f"{A.shape}")
    if not np.isfinite(np.tril(work) if hermitian else work).all():
        raise LinAlgError(f"{name}: A (shape {A.shape}) has a NaN or infinite entry; its "
                          f"rank and singular values are not defined")
    if hermitian:
        return np.abs(np.linalg.eigvalsh(work))
    return np.linalg.svd(work, compute_uv=False)


def _rank(values: np.ndarray, atol: Any, rtol: Any, shape: tuple) -> np.ndarray:
    """How many of each matrix's singular values are above max(atol, rtol * the largest)."""
    atol = np.asarray(0.0 if atol is None else atol)
    if rtol is None:
        rtol = np.where(atol > 0, 0, np.finfo(values.dtype).eps * max(shape[-2:]))
    largest = values.max(axis=-1, initial=0.0)
    tol = np.maximum(atol, np.asarray(rtol) * largest)
    return (values > tol[..., None]).sum(axis=-1).astype(np.int64)


def matrix_rank(A: Any, *, atol: Any = None, rtol: Any = None,  # noqa: N803
                hermitian: bool = False) -> Tensor:
    """The numerical rank of a matrix (or of each of a batch), int64, no gradient: the
    number of singular values (with `hermitian`, absolute eigenvalues of the lower
    triangle) above max(atol, rtol * the largest), rtol None as in pinv: PyTorch's
    linalg.matrix_rank. A matrix with a NaN or infinite entry is refused (PyTorch's
    refuses a NaN)."""
    hermitian = check_flag("matrix_rank", "hermitian", hermitian)
    A = to_tensor(A)  # noqa: N806
    values = _singular_values("matrix_rank", A, hermitian)
    atol = _tolerance("matrix_rank", "atol", atol, A)
    rtol = _tolerance("matrix_rank", "rtol", rtol, A)
    return Tensor(_rank(values, atol, rtol, A.shape), dtype=np.int64)


def lstsq(A: Any, B: Any, rcond: Any = None, *, driver: Any = None) -> LstsqResult:  # noqa: N803
    """The least-squares solution X of A @ X = B, the one of least norm where A is
    rank-deficient (singular values not above rcond * the largest count as 0; rcond None:
    eps * max(m, n)): PyTorch's linalg.lstsq, computed as pinv(A, rtol=rcond) @ B, as
    LAPACK's gelsd does, for every `driver`. B is a vector (or a batch of them) when it
    has one axis fewer than A, as in PyTorch; batch axes broadcast. The solution has
    PyTorch's gradient, for A and B (its is pinv(A) @ B's too, at its default rtol).
    As PyTorch's drivers on CPU: `residuals` (squared, per column of B; with a gradient)
    where A has more rows than columns (and full rank, but for 'gels'), for every driver
    but 'gelsy' (the default, None); `rank` for every driver but 'gels'; `singular_values`
    for 'gelsd' and 'gelss'; each of them otherwise an empty tensor. A matrix with a NaN
    or infinite entry is refused (PyTorch's LAPACK call fails on it)."""
    if driver is not None and driver not in _DRIVERS:
        raise ValueError(f"lstsq: driver must be None or one of {', '.join(_DRIVERS)}, got "
                         f"{driver!r:.40}")
    driver = driver or "gelsy"  # (PyTorch's default on CPU)
    A, B = to_tensor(A), to_tensor(B)  # noqa: N806
    values = _singular_values("lstsq", A)
    if A.ndim - B.ndim not in (0, 1):
        raise ValueError(f"lstsq: B must have as many dimensions as A (a matrix, or a batch of "
                         f"them) or one fewer (a vector), got shapes {A.shape} and {B.shape}")
    vector = B.ndim == A.ndim - 1
    rhs = B.reshape(B.shape + (1,)) if vector else B
    m, n = A.shape[-2:]
    if rhs.shape[-2] != m:
        raise ValueError(f"lstsq: incompatible shapes of A and B for A @ X = B: A of shape "
                         f"{A.shape} has {m} rows, B of shape {B.shape} has {rhs.shape[-2]} "
                         f"{'entries' if vector else 'rows'}; they must be equal")
    if rcond is None:
        rcond = np.finfo(_work_dtype(A)).eps * max(m, n)
    rcond = number("lstsq", "rcond", rcond)
    solution = pinv(A, atol=0.0, rtol=max(rcond, 0.0)) @ rhs
    rank = _rank(values, 0.0, max(rcond, 0.0), A.shape)
    dtype = solution.dtype
    residuals = Tensor(np.zeros(0, dtype=dtype))
    if driver != "gelsy" and m > n and (driver == "gels" or (rank == n).all()):
        residuals = ((A @ solution - rhs) ** 2).sum(axis=-2)
    return LstsqResult(solution.reshape(solution.shape[:-1]) if vector else solution,
                       residuals,
                       Tensor(rank if driver != "gels" else np.zeros(0), dtype=np.int64),
                       Tensor(values.astype(dtype) if driver in ("gelsd", "gelss")
                              else np.zeros(0, dtype=dtype)))


def square_matrices(name: str, A: Tensor) -> np.ndarray:  # noqa: N803
    """A's values, checked to be square matrices (or a batch of them)."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name}: A must be square matrices (or a batch of them), got shape "
                         f"{A.shape}")
    return A.data


def _replaced(A: Tensor, failed: np.ndarray) -> Tensor:  # noqa: N803
    """A with each matrix that `failed` marks replaced by the identity (a matrix inv and
    cholesky take; its result is then replaced in turn)."""
    if not failed.any():
        return A
    identity = Tensor(np.eye(A.shape[-1]), dtype=A.dtype, name="identity")
    return functional.where(failed[..., None, None], identity, A)  # (named: not drawn as input)


def _failed_as_nan(out: Tensor, A: Tensor, failed: np.ndarray) -> Tensor:  # noqa: N803
    """out with NaN for each matrix that `failed` marks, whose gradient is NaN too (as
    PyTorch's from its inf and NaN), the others' untouched."""
    if not failed.any():
        return out
    nan = Tensor(np.where(failed, np.nan, 0.0)[..., None, None], dtype=out.dtype,
                 name="NaN where info > 0")  # (named: a diagram would draw it as an input)
    return functional.where(failed[..., None, None], A * nan, out)


def invertible_inverse(name: str, A: Tensor) -> tuple[Tensor, np.ndarray]:  # noqa: N803
    """inv(A), each matrix that LU finds singular replaced by the identity first (its
    inverse is for the caller to replace), and the info."""
    info = first_zero_pivot(square_matrices(name, A).astype(_work_dtype(A)))
    try:
        return Inv.apply(_replaced(A, info > 0)), info
    except np.linalg.LinAlgError:  # (LAPACK's rounding found a zero pivot ours did not)
        for k in np.ndindex(info.shape):
            try:
                np.linalg.inv(A.data[k])
            except np.linalg.LinAlgError:
                info[k] = info[k] or A.shape[-1]
        return Inv.apply(_replaced(A, info > 0)), info


def inv_ex(A: Any, *, check_errors: bool = False) -> InvExResult:  # noqa: N803
    """The inverse of a square matrix (or of each of a batch) and `info`, 0 where it is
    invertible, else k, LU's first zero pivot (its k-th): PyTorch's linalg.inv_ex. A
    singular matrix's inverse is NaN, gradient too (PyTorch's holds LAPACK's inf or
    NaN); the others' are inv's (the op inv). `check_errors=True`: refused as inv refuses
    it. Where LAPACK's rounding finds a zero pivot that the elimination here did not,
    info is n."""
    check_errors = check_flag("inv_ex", "check_errors", check_errors)
    A = to_tensor(A)  # noqa: N806
    if check_errors:
        inverse = Inv.apply(A)
        return InvExResult(inverse, Tensor(np.zeros(A.shape[:-2], dtype=np.int32)))
    inverse, info = invertible_inverse("inv_ex", A)
    return InvExResult(_failed_as_nan(inverse, A, info > 0), Tensor(info, dtype=np.int32))


def cholesky_ex(A: Any, *, upper: bool = False,  # noqa: N803
                check_errors: bool = False) -> CholeskyExResult:
    """The Cholesky factor of a symmetric positive-definite matrix (or of each of a batch)
    and `info`, 0 where it is, else k, the order of the first leading minor that is not
    (a pivot <= 0, NaN or infinite): PyTorch's linalg.cholesky_ex. Such a matrix's L is NaN,
    gradient too (PyTorch's holds LAPACK's partial factor); the others' are cholesky's
    (the op). `check_errors=True`: refused as cholesky refuses it."""
    upper = check_flag("cholesky_ex", "upper", upper)
    check_errors = check_flag("cholesky_ex", "check_errors", check_errors)
    A = to_tensor(A)  # noqa: N806
    info = cholesky_info(square_matrices("cholesky_ex", A).astype(_work_dtype(A)))
    if check_errors and info.any():
        Cholesky.apply(A)  # (refuses, naming the matrix)
    low = _failed_as_nan(Cholesky.apply(_replaced(A, info > 0)), A, info > 0)
    return CholeskyExResult(low.mT if upper else low, Tensor(info, dtype=np.int32))

"""`tg.linalg`: PyTorch's `torch.linalg`, linear algebra with gradients.

`inv`, `det`, `slogdet`, `solve`, `cholesky` and `eigvalsh` run the registered ops of
ops/linalg.py (`tg.inverse`, `tg.det`, `x.inverse()` and `x.det()` are two of them too).
The norms are made of ops: `vector_norm` is composed_reductions' (the op norm for 2;
abs with max, min, sum or pow otherwise); `matrix_norm`'s 'fro' is the op norm, its 1,
-1, inf and -inf the largest or smallest sum of absolute values down the columns (1) or
along the rows (inf): abs, sum, then max or min. Every function takes a batch of
matrices (the leading axes) as PyTorch's does, and keeps float32. A matrix with a NaN or
infinite entry gives NaN from inv, det, slogdet and solve (PyTorch's sometimes gives finite
values for an inf: inv([[1, 2], [inf, 4]])).

Not here: the matrix norms 'nuc', 2 and -2, which need the singular values.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .composed_reductions import vector_norm as _vector_norm
from .grad_mode import check_flag
from .ops.arguments import check_axis
from .ops.linalg import Cholesky, Det, Eigvalsh, Inv, Slogdet, Solve
from .tensor import Tensor, to_tensor

__all__ = ["inv", "det", "slogdet", "solve", "norm", "vector_norm", "matrix_norm", "cholesky",
           "eigvalsh", "SlogdetResult"]

_MATRIX_ORDS = ("'fro'", "1", "-1", "inf", "-inf")


class SlogdetResult(NamedTuple):
    """What `slogdet` gives, as PyTorch's: the sign of det(A) (-1, 0 or 1, no gradient) and
    log|det(A)| (`sign`, `logabsdet`)."""

    sign: Any
    logabsdet: Any


def inv(A: Any) -> Tensor:  # noqa: N803  (PyTorch's argument name)
    """The inverse of a square matrix, or of each of a batch: PyTorch's linalg.inv (the op
    inv). A singular matrix is refused with NumPy's LinAlgError (a ValueError); one with a
    NaN or infinite entry gives all NaN."""
    return Inv.apply(to_tensor(A))


def det(A: Any) -> Tensor:  # noqa: N803
    """The determinant of a square matrix, or of each of a batch: PyTorch's linalg.det (the
    op det). Its gradient is 0 where the computed det is exactly 0, as PyTorch's; where
    rounding leaves a singular matrix's det nonzero, it is the cofactor matrix adj(A).T, the
    exact derivative (PyTorch's is 0 there when its own det rounds to 0). A matrix with a
    NaN or infinite entry gives NaN."""
    return Det.apply(to_tensor(A))


def slogdet(A: Any) -> SlogdetResult:  # noqa: N803
    """The sign and the log of the absolute value of the determinant (`sign`, `logabsdet`),
    of a square matrix or of each of a batch: PyTorch's linalg.slogdet. The gradient flows
    through logabsdet (the op slogdet); the sign is a constant. A singular matrix gives
    sign 0 and logabsdet -inf; where logabsdet is NaN (a NaN or infinite entry), the sign is
    0, as PyTorch's for NaN."""
    A = to_tensor(A)  # noqa: N806
    logabsdet = Slogdet.apply(A)  # (first: it refuses what is not square matrices)
    work = A.data.astype(np.promote_types(A.dtype, np.float32), copy=False)
    with np.errstate(invalid="ignore"):
        sign = np.asarray(np.linalg.slogdet(work)[0]).astype(logabsdet.dtype)
    sign = np.where(np.isnan(logabsdet.data), 0, sign).astype(logabsdet.dtype)
    return SlogdetResult(Tensor(sign), logabsdet)


def _is_vector(A: Tensor, B: Tensor) -> bool:  # noqa: N803
    """PyTorch's rule: B is a vector (or a batch of them) when it has one axis, or one axis
    fewer than A and A's shape without its last axis."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:  # noqa: N803
    """X with A @ X = B (`left=False`: X @ A = B, B a matrix), A square (or a batch of
    them), B a vector or a matrix by PyTorch's rule (a vector when B has one axis, or one axis fewer
    than A and A's shape without its last axis), batch axes broadcast: PyTorch's
    linalg.solve (the op solve). Gradients for both A and B. A singular A is refused with
    NumPy's LinAlgError (a ValueError)."""
    A, B = to_tensor(A), to_tensor(B)  # noqa: N806
    left = check_flag("solve", "left", left)
    vector = _is_vector(A, B)
    if left:
        return Solve.apply(A, B, vector=vector)
    if A.ndim < 2:
        raise ValueError(f"solve: A must have at least 2 dimensions (a matrix or a batch of "
                         f"them), got shape {A.shape}")
    if vector or B.ndim < 2:  # (PyTorch's refusal too)
        raise ValueError(f"solve: with left=False, B must be a matrix (or a batch of them) "
                         f"for X @ A = B, got shape {B.shape} beside A of shape {A.shape}; "
                         f"write a row vector b as b[None, :] (a matrix of one row)")
    return Solve.apply(A.mT, B.mT, vector=False).mT  # (X @ A = B is A.T @ X.T = B.T)


def cholesky(A: Any, *, upper: bool = False) -> Tensor:  # noqa: N803
    """The Cholesky factor of a symmetric positive-definite matrix (or of each of a batch):
    lower L with A = L @ L.mT, or with `upper=True` its transpose U = L.mT (A = U.mT @ U),
    reading A's lower triangle: PyTorch's linalg.cholesky (the op cholesky). A matrix that
    is not positive-definite is refused with NumPy's LinAlgError (a ValueError)."""
    low = Cholesky.apply(to_tensor(A))
    return low.mT if check_flag("cholesky", "upper", upper) else low


def eigvalsh(A: Any, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues of a symmetric matrix (or of each of a batch), ascending, reading its
    lower triangle (`UPLO='L'`) or its upper one (`'U'`; lowercase too, as PyTorch's): PyTorch's
    linalg.eigvalsh (the op eigvalsh). Where two eigenvalues are equal the gradient is still
    finite, as PyTorch's (only the eigenvectors' gradient would need them apart)."""
    if not isinstance(UPLO, str):
        raise TypeError(f"eigvalsh: UPLO must be a str, 'L' or 'U', got "
                        f"{type(UPLO).__name__} {UPLO!r:.40}")
    if UPLO.upper() not in ("L", "U"):
        raise ValueError(f"eigvalsh: UPLO must be 'L' or 'U' (which triangle of A to read), "
                         f"got {UPLO!r}")
    return Eigvalsh.apply(to_tensor(A), UPLO=UPLO.upper())


def _floating(x: Any, dtype: Any) -> Tensor:
    """x as a Tensor cast to `dtype` when given, an integer one to float64 (as NumPy's)."""
    x = to_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    return x if x.dtype.kind == "f" else x.to(np.float64)


def vector_norm(x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Tensor:
    """The ord-norm of x's entries over `dim` (None, or () as PyTorch's: every entry, as one
    vector), as PyTorch's linalg.vector_norm: ord 2 (default), inf, -inf, 0 (the count of
    non-zero entries) or any other number, sum(|x|**ord)**(1/ord). `dtype`: x cast to it
    first. The gradient at a zero entry, and where the norm is 0, is 0, as PyTorch's."""
    if isinstance(ord, str):
        raise TypeError(f"vector_norm: ord must be a number, got {ord!r}; 'fro' and 'nuc' "
                        f"are matrix norms: use matrix_norm")
    keepdim = check_flag("vector_norm", "keepdim", keepdim)
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None  # (PyTorch's vector_norm: no axes means every axis, not NumPy's none)
    return _vector_norm(_floating(x, dtype), ord, axis=dim, keepdims=keepdim)


def _matrix_axes(name: str, A: Tensor, dim: Any) -> tuple[int, int]:  # noqa: N803
    """The two axes that hold the matrices, as non-negative ints, or one line."""
    if A.ndim < 2:
        raise ValueError(f"{name}: A must have at least 2 dimensions (a matrix or a batch of "
                         f"them), got shape {A.shape}")
    axes = check_axis(name, dim, A.ndim)
    if isinstance(axes, int) or axes is None or len(axes) != 2:
        raise ValueError(f"{name}: dim must be a pair of axes (rows, columns), got {dim!r}")
    return axes[0] % A.ndim, axes[1] % A.ndim


def matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1),  # noqa: A002,N803
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """A matrix norm of each matrix over the axes `dim` (rows, columns), as PyTorch's
    linalg.matrix_norm: 'fro' (default, the square root of the sum of squares), 1 and -1
    (the largest and smallest sum of absolute values down a column), inf and -inf (along a
    row). `dtype`: A cast to it first. Where two sums tie, they share the gradient (as
    PyTorch's amax does). An empty matrix's 1 and inf norms are 0, as PyTorch's; its -1 and
    -inf are refused, as PyTorch's. Departs from PyTorch: no 'nuc', 2 or -2 (singular
    values)."""
    A = _floating(A, dtype)  # noqa: N806
    rows, cols = _matrix_axes("matrix_norm", A, dim)
    keepdim = check_flag("matrix_norm", "keepdim", keepdim)
    if isinstance(ord, str) and ord == "fro":
        return A.norm(axis=(rows, cols), keepdims=keepdim)
    if isinstance(ord, str) or ord not in (1, -1, math.inf, -math.inf):
        unsupported = ord in ("nuc", 2, -2)
        raise ValueError(f"matrix_norm: ord={ord!r} is "
                         + ("not supported here (it needs the singular values)" if unsupported
                            else "not a matrix norm")
                         + f"; use one of {', '.join(_MATRIX_ORDS)}")
    down, across = (rows, cols) if abs(ord) == 1 else (cols, rows)
    sums = A.abs().sum(axis=down, keepdims=True)
    if A.shape[across] == 0 and ord < 0:
        raise ValueError(f"matrix_norm: ord={ord!r} of an empty matrix is undefined (the "
                         f"smallest of no sums; A has shape {A.shape}), as in PyTorch; use "
                         f"ord={-ord!r}, which is 0 there")
    if A.shape[across] == 0:  # (the largest of no sums: PyTorch's 0, kept in the graph)
        out = sums.sum(axis=across, keepdims=True)
    else:
        out = (sums.max if ord > 0 else sums.min)(axis=across, keepdims=True)
    if keepdim:
        return out
    return out.reshape(tuple(n for k, n in enumerate(A.shape) if k not in (rows, cols)))


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002,N803
         dtype: Any = None) -> Tensor:
    """A vector or matrix norm, as PyTorch's linalg.norm: with `dim` one axis (or a 1-tuple)
    the vector norm `vector_norm` over it; with two axes the matrix norm `matrix_norm`
    over them; with no dim, the 2-norm of every entry when `ord` is None, else the vector
    norm of a 1-D A or the matrix norm of a 2-D A. `ord` None means 2 for vectors and
    'fro' for matrices."""
    A = _floating(A, dtype)  # noqa: N806
    keepdim = check_flag("norm", "keepdim", keepdim)
    axes = check_axis("norm", dim, A.ndim)  # (an int too: refused as norm's, a bool too)
    if dim is not None and not isinstance(axes, int):
        if len(axes) not in (1, 2):
            raise ValueError(f"norm: dim must be one axis or two (a vector or a matrix norm), "
                             f"got {dim!r}, as in PyTorch; use vector_norm for the norm of "
                             f"every entry, or of several axes")
    if dim is None and ord is not None:
        if A.ndim not in (1, 2):
            raise ValueError(f"norm: with ord={ord!r} and no dim, A must be 1-D or 2-D, got "
                             f"shape {A.shape}; give dim (one axis, or two for a matrix norm)")
        dim = None if A.ndim == 1 else (-2, -1)
    matrix = dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 2
    if matrix:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; give two axes as dim "
                         f"(dim=(-2, -1))")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim)

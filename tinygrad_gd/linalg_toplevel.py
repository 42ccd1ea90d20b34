"""PyTorch's linear algebra outside torch.linalg: `tg.svd`, `tg.qr`, `tg.lu`, `tg.lu_solve`,
`tg.lu_unpack`, `tg.cholesky`, `tg.cholesky_solve`, `tg.cholesky_inverse`,
`tg.triangular_solve`, `tg.matrix_power`, `tg.orgqr`, `tg.ormqr`, with their torch
signatures (svd's `some` and V not transposed, lu_solve's B first, triangular_solve's
upper=True by default) and as Tensor methods where PyTorch's Tensor has them
(`x.svd()`, `x.cholesky()`, `b.lu_solve(LU, pivots)`, ...). Each calls `tg.linalg`'s
function, or is made of its ops, so the gradients are theirs. (`tg.matrix_exp`,
`tg.inverse`, `tg.det` and `tg.pinverse` are ops' own functions and methods.)

cholesky_solve and cholesky_inverse read only L's triangle (triangular solves), so the
other triangle's gradient is 0, the exact derivative; PyTorch's formula gives it a
nonzero gradient there (as if A were L @ L.T of a full L). Through `cholesky`, whose
gradient reads only the triangle, the results agree.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import linalg
from .grad_mode import check_flag
from .linalg_decompositions import QRResult
from .linalg_lu import lu_unpack
from .linalg_more import ormqr
from .op_errors import refusing_as
from .ops.linalg import _equation, _matrices
from .tensor import Tensor, to_tensor
from .values import default_float

__all__ = ["svd", "qr", "lu", "lu_solve", "lu_unpack", "cholesky", "cholesky_solve",
           "cholesky_inverse", "triangular_solve", "matrix_power", "orgqr", "ormqr",
           "TorchSVDResult", "TriangularSolveResult"]

class TorchSVDResult(NamedTuple):
    """What `tg.svd` gives, as torch.svd's: `U`, `S`, `V` with A = U @ diag(S) @ V.mT (V,
    not linalg.svd's Vh)."""

    U: Any
    S: Any
    V: Any


class TriangularSolveResult(NamedTuple):
    """What `tg.triangular_solve` gives, as PyTorch's: `solution` and
    `cloned_coefficient` (a copy of A)."""

    solution: Any
    cloned_coefficient: Any


def svd(input: Any, some: bool = True, compute_uv: bool = True) -> TorchSVDResult:  # noqa: A002
    """The SVD A = U @ diag(S) @ V.mT of a matrix (or of each of a batch), as torch.svd:
    `some=True` (the default) the reduced one (k = min(m, n) columns of U and V), else U
    m x m and V n x n; `compute_uv=False` gives S alone, U and V zero matrices (m x m,
    n x n), as PyTorch's. tg.linalg.svd's values, signs and gradients (V = Vh.mT)."""
    some = check_flag("svd", "some", some)
    compute_uv = check_flag("svd", "compute_uv", compute_uv)
    A = to_tensor(input)  # noqa: N806
    if not compute_uv:
        S = linalg.svdvals(A)  # noqa: N806  (first: it checks A)
        batch, (m, n) = A.shape[:-2], A.shape[-2:]
        return TorchSVDResult(Tensor(np.zeros(batch + (m, m), dtype=S.dtype)), S,
                              Tensor(np.zeros(batch + (n, n), dtype=S.dtype)))
    U, S, Vh = linalg.svd(A, full_matrices=not some)  # noqa: N806
    return TorchSVDResult(U, S, Vh.mT)


def qr(input: Any, some: bool = True) -> QRResult:  # noqa: A002
    """The QR decomposition of a matrix (or of each of a batch), as torch.qr: `some=True`
    (the default) the reduced one, else the complete one (tg.linalg.qr's modes)."""
    some = check_flag("qr", "some", some)
    return linalg.qr(input, mode="reduced" if some else "complete")


@refusing_as("lu", "lu_factor_ex")
def lu(A: Any, pivot: bool = True, get_infos: bool = False) -> tuple:  # noqa: N803
    """torch.lu: the packed LU decomposition and its pivots, `(LU, pivots)`, with
    `get_infos=True` also LAPACK's info, `(LU, pivots, infos)` (tg.linalg.lu_factor_ex;
    a singular matrix is factored, not refused)."""
    get_infos = check_flag("lu", "get_infos", get_infos)
    result = linalg.lu_factor_ex(A, pivot=pivot)
    return tuple(result) if get_infos else (result.LU, result.pivots)


def lu_solve(b: Any, LU_data: Any, LU_pivots: Any) -> Tensor:  # noqa: N803
    """X with A @ X = b from A's LU decomposition, as torch.lu_solve (b first):
    tg.linalg.lu_solve(LU_data, LU_pivots, b)."""
    return linalg.lu_solve(LU_data, LU_pivots, b)


def cholesky(input: Any, upper: bool = False) -> Tensor:  # noqa: A002
    """The Cholesky factor of a symmetric positive-definite matrix (or of each of a batch),
    lower, or upper with `upper=True`: torch.cholesky (tg.linalg.cholesky)."""
    return linalg.cholesky(input, upper=upper)


def _triangular_system(name: str, A: Tensor, what: str, B: Tensor) -> None:  # noqa: N803
    """Refuse in one line naming `name` a factor A (the argument `what`) that is not square
    matrices, or a B that does not fit it (solve_triangular's refusal would name itself)."""
    _matrices(name, A.data, what)
    _equation(name, A.data, B.data, B.data, f"B must be a matrix (or a batch of them) of "
                                            f"{A.shape[-1]} rows (a vector b: b[:, None])")


def cholesky_solve(B: Any, L: Any, upper: bool = False) -> Tensor:  # noqa: N803
    """X with A @ X = B for A = L @ L.mT given its Cholesky factor L (lower, or with
    `upper=True` U, A = U.mT @ U), batch axes broadcast: torch.cholesky_solve, two
    triangular solves (the op solve_triangular) reading L's triangle only."""
    upper = check_flag("cholesky_solve", "upper", upper)
    B, L = to_tensor(B), to_tensor(L)  # noqa: N806
    _triangular_system("cholesky_solve", L, "L", B)
    if upper:  # U.mT @ U @ X = B
        return linalg.solve_triangular(L, linalg.solve_triangular(L.mT, B, upper=False),
                                       upper=True)
    return linalg.solve_triangular(L.mT, linalg.solve_triangular(L, B, upper=False),
                                   upper=True)


def cholesky_inverse(L: Any, upper: bool = False) -> Tensor:  # noqa: N803
    """inv(A) for A = L @ L.mT given its Cholesky factor L (lower, or with `upper=True` U,
    A = U.mT @ U), or of each of a batch: torch.cholesky_inverse, inv(L).mT @ inv(L) by a
    triangular solve reading L's triangle only."""
    upper = check_flag("cholesky_inverse", "upper", upper)
    L = to_tensor(L)  # noqa: N806
    _matrices("cholesky_inverse", L.data, "L")
    dtype = L.dtype if L.dtype.kind == "f" else default_float()
    identity = Tensor(np.eye(L.shape[-1], dtype=dtype), name="identity")
    inverse = linalg.solve_triangular(L, identity, upper=upper)  # inv(L), or inv(U)
    return inverse @ inverse.mT if upper else inverse.mT @ inverse


def triangular_solve(b: Any, A: Any, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> TriangularSolveResult:
    """X with A @ X = b (`transpose=True`: A.mT @ X = b) for a triangular A, its upper
    triangle read by default (`upper=False`: the lower; `unitriangular`: the diagonal
    taken as 1), batch axes broadcast, and a copy of A: torch.triangular_solve (the op
    solve_triangular; gradients for A's triangle and b)."""
    upper = check_flag("triangular_solve", "upper", upper)
    transpose = check_flag("triangular_solve", "transpose", transpose)
    A, b = to_tensor(A), to_tensor(b)  # noqa: N806
    _triangular_system("triangular_solve", A, "A", b)
    if transpose:  # (A.mT's triangle is the other one)
        solution = linalg.solve_triangular(A.mT, b, upper=not upper,
                                           unitriangular=unitriangular)
    else:
        solution = linalg.solve_triangular(A, b, upper=upper, unitriangular=unitriangular)
    return TriangularSolveResult(solution, A.clone())


def matrix_power(input: Any, n: int) -> Tensor:  # noqa: A002
    """A square matrix (or each of a batch) to the integer power n: torch.matrix_power
    (tg.linalg.matrix_power)."""
    return linalg.matrix_power(input, n)


def orgqr(input: Any, tau: Any) -> Tensor:  # noqa: A002
    """The first n columns of the product of LAPACK's Householder reflectors: torch.orgqr
    (tg.linalg.householder_product)."""
    return linalg.householder_product(input, tau)


def _lu_solve_method(self: Tensor, LU_data: Any, LU_pivots: Any) -> Tensor:  # noqa: N803
    """`b.lu_solve(LU_data, LU_pivots)`: torch's Tensor.lu_solve."""
    return lu_solve(self, LU_data, LU_pivots)


_lu_solve_method.__name__ = _lu_solve_method.__qualname__ = "lu_solve"

_METHODS = {"svd": svd, "qr": qr, "lu": lu, "lu_solve": _lu_solve_method,
            "cholesky": cholesky, "cholesky_solve": cholesky_solve,
            "cholesky_inverse": cholesky_inverse, "triangular_solve": triangular_solve,
            "matrix_power": matrix_power, "orgqr": orgqr, "ormqr": ormqr}
for _name, _method in _METHODS.items():
    setattr(Tensor, _name, _method)

"""`tg.linalg`: PyTorch's `torch.linalg`, linear algebra with gradients.

`inv`, `det`, `slogdet`, `solve`, `cholesky` and `eigvalsh` run the registered ops of
ops/linalg.py (`tg.inverse`, `tg.det`, `x.inverse()` and `x.det()` are two of them too);
`solve_triangular` the op of ops/decompositions.py; `qr`, `eigh`, `svd`, `svdvals`,
`pinv`, `matrix_rank`, `lstsq`, `inv_ex` and `cholesky_ex` are linalg_decompositions.py's,
here by their names. The rest is made of ops: `matrix_power` and `multi_dot` (matmul;
inv for a negative power), `cross` (tg.cross along dim=-1), `diagonal` (moveaxis, getitem),
`vander` (cumprod, pad), `cond` (svdvals, or the norms of A and inv(A)). The norms:
`vector_norm` is composed_reductions' (the op norm for 2; abs with max, min, sum or pow
otherwise); `matrix_norm`'s 'fro' is the op norm, its 1, -1, inf and -inf the largest or
smallest sum of absolute values down the columns (1) or along the rows (inf): abs, sum,
then max or min; its 2, -2 and 'nuc' the largest, smallest and sum of the singular values.
Every function takes a batch of matrices (the leading axes) as PyTorch's does, and keeps
float32. A matrix with a NaN or infinite entry gives NaN from inv, det, slogdet and solve
(PyTorch's sometimes gives finite values for an inf: inv([[1, 2], [inf, 4]])), and from
the decompositions (linalg_decompositions.py). The functions here whose PyTorch namesake
takes `out=` take it themselves (out_keyword.py's `into_out`).
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from . import compositions, functional
from .composed_reductions import vector_norm as _vector_norm
from .grad_mode import check_flag
from .linalg_decompositions import (CholeskyExResult, EighResult, InvExResult, LstsqResult,
                                    QRResult, SVDResult, cholesky_ex, eigh, inv_ex,
                                    invertible_inverse, lstsq, matrix_rank, pinv, qr,
                                    square_matrices, svd, svdvals, uplo)
from .linalg_lu import (LinAlgError, LUFactorExResult, LUFactorResult, LUResult,
                        SolveExResult, lu, lu_factor, lu_factor_ex, lu_solve, solve_by_rule,
                        solve_ex)
from .linalg_more import (householder_product, matmul, matrix_exp, tensorinv, tensorsolve,
                          vecdot)
from .linalg_ldl import (LDLFactorExResult, LDLFactorResult, ldl_factor, ldl_factor_ex,
                         ldl_solve)
from .ops.arguments import check_axis, integer, tensor_sequence
from .ops.decompositions import SolveTriangular
from .ops.decompositions import Eigvalsh
from .ops.linalg import Cholesky, Det, Inv, Slogdet
from .out_keyword import into_out
from .scope import drawn_as_call
from .tensor import Tensor, to_tensor
from .values import default_float

__all__ = ["inv", "det", "slogdet", "solve", "norm", "vector_norm", "matrix_norm", "cholesky",
           "eigvalsh", "SlogdetResult", "qr", "eigh", "svd", "svdvals", "pinv", "matrix_rank",
           "lstsq", "QRResult", "EighResult", "SVDResult", "LstsqResult", "solve_triangular",
           "inv_ex", "cholesky_ex", "InvExResult", "CholeskyExResult", "matrix_power",
           "multi_dot", "cross", "diagonal", "vander", "cond"]
__all__ += ["lu_factor", "lu_factor_ex", "lu", "lu_solve", "solve_ex", "matrix_exp", "tensorinv",
            "tensorsolve", "vecdot", "householder_product", "matmul", "LinAlgError",
            "LUFactorResult", "LUFactorExResult", "LUResult", "SolveExResult"]
__all__ += ["ldl_factor", "ldl_factor_ex", "ldl_solve", "LDLFactorResult", "LDLFactorExResult"]

_MATRIX_ORDS = ("'fro'", "'nuc'", "1", "-1", "2", "-2", "inf", "-inf")


class SlogdetResult(NamedTuple):
    """What `slogdet` gives, as PyTorch's: the sign of det(A) (-1, 0 or 1, no gradient) and
    log|det(A)| (`sign`, `logabsdet`)."""

    sign: Any
    logabsdet: Any


def inv(A: Any, *, out: Any = None) -> Tensor:  # noqa: N803  (PyTorch's argument name)
    """The inverse of a square matrix, or of each of a batch: PyTorch's linalg.inv (the op
    inv). A singular matrix is refused with a LinAlgError (PyTorch's, a RuntimeError, and
    NumPy's, a ValueError); one with a NaN or infinite entry gives all NaN."""
    return into_out("linalg.inv", Inv.apply(to_tensor(A)), out)


def det(A: Any, *, out: Any = None) -> Tensor:  # noqa: N803
    """The determinant of a square matrix, or of each of a batch: PyTorch's linalg.det (the
    op det). Its gradient is 0 where the computed det is exactly 0, as PyTorch's; where
    rounding leaves a singular matrix's det nonzero, it is the cofactor matrix adj(A).T, the
    exact derivative (PyTorch's is 0 there when its own det rounds to 0). A matrix with a
    NaN or infinite entry gives NaN."""
    return into_out("linalg.det", Det.apply(to_tensor(A)), out)


def slogdet(A: Any, *, out: Any = None) -> SlogdetResult:  # noqa: N803
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
    return into_out("linalg.slogdet", SlogdetResult(Tensor(sign), logabsdet), out)


def solve(A: Any, B: Any, *, left: bool = True, out: Any = None) -> Tensor:  # noqa: N803
    """X with A @ X = B (`left=False`: X @ A = B, B a matrix), A square (or a batch of
    them), B a vector or a matrix by PyTorch's rule (a vector when B has one axis, or one axis fewer
    than A and A's shape without its last axis), batch axes broadcast: PyTorch's
    linalg.solve (the op solve; the rule: linalg_lu.solve_by_rule). Gradients for both A
    and B. A singular A is refused with a LinAlgError."""
    A, B = to_tensor(A), to_tensor(B)  # noqa: N806
    solution = solve_by_rule("solve", A, B, left=check_flag("solve", "left", left))[0]
    return into_out("linalg.solve", solution, out)


def cholesky(A: Any, *, upper: bool = False, out: Any = None) -> Tensor:  # noqa: N803
    """The Cholesky factor of a symmetric positive-definite matrix (or of each of a batch):
    lower L with A = L @ L.mT, or with `upper=True` its transpose U = L.mT (A = U.mT @ U),
    reading A's lower triangle: PyTorch's linalg.cholesky (the op cholesky). A matrix that
    is not positive-definite is refused with a LinAlgError."""
    low = Cholesky.apply(to_tensor(A))
    return into_out("linalg.cholesky",
                    low.mT if check_flag("cholesky", "upper", upper) else low, out)


def eigvalsh(A: Any, UPLO: str = "L", *, out: Any = None) -> Tensor:  # noqa: N803
    """The eigenvalues of a symmetric matrix (or of each of a batch), ascending, reading its
    lower triangle (`UPLO='L'`) or its upper one (`'U'`; lowercase too, as PyTorch's): PyTorch's
    linalg.eigvalsh (the op eigvalsh). Where two eigenvalues are equal the gradient is still
    finite, as PyTorch's (only the eigenvectors' gradient would need them apart)."""
    return into_out("linalg.eigvalsh", Eigvalsh.apply(to_tensor(A), UPLO=uplo("eigvalsh", UPLO)),
                    out)


def _floating(x: Any, dtype: Any) -> Tensor:
    """x as a Tensor cast to `dtype` when given, an integer one to the default float."""
    x = to_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    return x if x.dtype.kind == "f" else x.to(default_float())


def vector_norm(x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None, out: Any = None) -> Tensor:
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
    return into_out("linalg.vector_norm",
                    _vector_norm(_floating(x, dtype), ord, axis=dim, keepdims=keepdim), out)


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
                keepdim: bool = False, *, dtype: Any = None, out: Any = None) -> Tensor:
    """A matrix norm of each matrix over the axes `dim` (rows, columns), as PyTorch's
    linalg.matrix_norm: 'fro' (default, the square root of the sum of squares), 'nuc' (the
    sum of the singular values), 2 and -2 (the largest and smallest singular value), 1 and
    -1 (the largest and smallest sum of absolute values down a column), inf and -inf (along
    a row). `dtype`: A cast to it first. Where two sums or singular values tie, they share
    the gradient (as PyTorch's amax does). An empty matrix's 1, inf, 2 and 'nuc' norms are
    0, as PyTorch's; its -1, -inf and -2 are refused, as PyTorch's."""
    A = _floating(A, dtype)  # noqa: N806
    rows, cols = _matrix_axes("matrix_norm", A, dim)
    keepdim = check_flag("matrix_norm", "keepdim", keepdim)
    if isinstance(ord, str) and ord == "fro":
        return into_out("linalg.matrix_norm", A.norm(axis=(rows, cols), keepdims=keepdim), out)
    singular = ord == "nuc" if isinstance(ord, str) else ord in (2, -2)
    if singular:
        return into_out("linalg.matrix_norm", _singular_value_norm(A, ord, rows, cols, keepdim),
                        out)
    if isinstance(ord, str) or ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"matrix_norm: ord={ord!r} is not a matrix norm; use one of "
                         f"{', '.join(_MATRIX_ORDS)}")
    down, across = (rows, cols) if abs(ord) == 1 else (cols, rows)
    sums = A.abs().sum(axis=down, keepdims=True)
    if A.shape[across] == 0 and ord < 0:
        raise ValueError(f"matrix_norm: ord={ord!r} of an empty matrix is undefined (the "
                         f"smallest of no sums; A has shape {A.shape}), as in PyTorch; use "
                         f"ord={-ord!r}, which is 0 there")
    if A.shape[across] == 0:  # (the largest of no sums: PyTorch's 0, kept in the graph)
        norms = sums.sum(axis=across, keepdims=True)
    else:
        norms = (sums.max if ord > 0 else sums.min)(axis=across, keepdims=True)
    if not keepdim:
        norms = norms.reshape(tuple(n for k, n in enumerate(A.shape) if k not in (rows, cols)))
    return into_out("linalg.matrix_norm", norms, out)


def _singular_value_norm(A: Tensor, ord: Any, rows: int, cols: int,  # noqa: A002,N803
                         keepdim: bool) -> Tensor:
    """matrix_norm's 'nuc', 2 and -2: the sum, largest or smallest of the singular values
    (svdvals over the axes rows, cols, moved last)."""
    last = (A.ndim - 2, A.ndim - 1)
    values = svdvals(A if (rows, cols) == last else A.moveaxis((rows, cols), last))
    if values.shape[-1] == 0 and ord == -2:
        raise ValueError(f"matrix_norm: ord=-2 of an empty matrix is undefined (the smallest "
                         f"of no singular values; A has shape {A.shape}), as in PyTorch; use "
                         f"ord=2, which is 0 there")
    if ord == "nuc" or values.shape[-1] == 0:  # (the largest of none: PyTorch's 0)
        out = values.sum(axis=-1)
    else:
        out = (values.max if ord == 2 else values.min)(axis=-1)
    if not keepdim:
        return out
    return out.reshape(tuple(1 if k in (rows, cols) else n for k, n in enumerate(A.shape)))


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002,N803
         dtype: Any = None, out: Any = None) -> Tensor:
    """A vector or matrix norm, as PyTorch's linalg.norm: with `dim` one axis (or a 1-tuple)
    the vector norm `vector_norm` over it; with two axes the matrix norm `matrix_norm`
    over them; with no dim, the 2-norm of every entry when `ord` is None, else the vector
    norm of a 1-D A or the matrix norm of a 2-D A. `ord` None means 2 for vectors and
    'fro' for matrices."""
    A = _floating(A, dtype)  # noqa: N806
    keepdim = check_flag("norm", "keepdim", keepdim)
    # (an int too: refused as norm's, a bool too; a 0-d tensor's read as its int)
    axes = dim = check_axis("norm", dim, A.ndim)
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
        return into_out("linalg.norm", matrix_norm(A, "fro" if ord is None else ord, dim, keepdim),
                        out)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; give two axes as dim "
                         f"(dim=(-2, -1))")
    return into_out("linalg.norm", vector_norm(A, 2 if ord is None else ord, dim, keepdim), out)


def solve_triangular(A: Any, B: Any, *, upper: bool, left: bool = True,  # noqa: N803
                     unitriangular: bool = False, out: Any = None) -> Tensor:
    """X with A @ X = B (`left=False`: X @ A = B) for a triangular A, its upper triangle
    read with `upper=True` (which PyTorch requires too), its lower one otherwise
    (`unitriangular`: the diagonal taken as 1), B a matrix (or a batch of them; batch axes
    broadcast): PyTorch's linalg.solve_triangular (the op solve_triangular). A 0 on the
    diagonal gives inf and NaN, as PyTorch's: no refusal. Gradients for A's triangle and
    B."""
    upper = check_flag("solve_triangular", "upper", upper)
    left = check_flag("solve_triangular", "left", left)
    unitriangular = check_flag("solve_triangular", "unitriangular", unitriangular)
    A, B = to_tensor(A), to_tensor(B)  # noqa: N806
    if left:
        solution = SolveTriangular.apply(A, B, upper=upper, unitriangular=unitriangular)
        return into_out("linalg.solve_triangular", solution, out)
    if A.ndim < 2 or B.ndim < 2:
        raise ValueError(f"solve_triangular: A and B must have at least 2 dimensions (matrices "
                         f"or batches of them), got shapes {A.shape} and {B.shape}")
    solution = SolveTriangular.apply(A.mT, B.mT, upper=not upper,  # (X @ A = B: A.T X.T = B.T)
                                     unitriangular=unitriangular).mT
    return into_out("linalg.solve_triangular", solution, out)


def matrix_power(A: Any, n: int, *, out: Any = None) -> Tensor:  # noqa: N803
    """A square matrix (or each of a batch) to the integer power n, by repeated squaring
    (matmul): PyTorch's linalg.matrix_power. n = 0 gives the identity (gradient 0), a
    negative n the power of inv(A) (a singular A refused as inv refuses it)."""
    n = integer("matrix_power", "n", n)
    A = to_tensor(A)  # noqa: N806
    square_matrices("matrix_power", A)
    if n == 0:  # (in the graph, gradient 0, as PyTorch's; integers keep their dtype)
        identity = Tensor(np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape),
                          dtype=A.dtype, name="identity")  # (else drawn as the user's input)
        return into_out("linalg.matrix_power",
                        functional.where(np.ones(A.shape, dtype=bool), identity, A), out)
    base = inv(A) if n < 0 else A
    result, n = None, abs(n)
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return into_out("linalg.matrix_power", result, out)


def _chain_order(sizes: list[int]) -> list[list[int]]:
    """The matrix-chain order of least work for matrices of shapes sizes[i] x sizes[i + 1]:
    split[i][j], where the product of matrices i..j splits (dynamic programming)."""
    count = len(sizes) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1], k)
                for k in range(i, j))
    return split


def multi_dot(tensors: Any, *, out: Any = None) -> Tensor:
    """The product of two or more matrices, in the order of multiplication that costs least
    (the result is the same, up to rounding): PyTorch's linalg.multi_dot. The first may
    be a vector (a row), the last a vector (a column); the result drops their axes."""
    tensors = [to_tensor(t) for t in tensor_sequence("multi_dot", tensors)]
    if len(tensors) < 2:
        raise ValueError(f"multi_dot: expected at least 2 tensors, got {len(tensors)}; a "
                         f"single matrix is its own product")
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    if first:
        tensors[0] = tensors[0].reshape((1,) + tensors[0].shape)
    if last:
        tensors[-1] = tensors[-1].reshape(tensors[-1].shape + (1,))
    for k, t in enumerate(tensors):
        if t.ndim != 2:
            raise ValueError(f"multi_dot: tensor {k} must be a matrix (the first and last may "
                             f"be vectors), got shape {t.shape}")
        if k and t.shape[0] != tensors[k - 1].shape[1]:
            raise ValueError(f"multi_dot: tensors {k - 1} and {k} cannot be multiplied "
                             f"({tensors[k - 1].shape[1]} columns, {t.shape[0]} rows)")
    split = _chain_order([tensors[0].shape[0]] + [t.shape[1] for t in tensors])

    def product(i: int, j: int) -> Tensor:
        return tensors[i] if i == j else product(i, split[i][j]) @ product(split[i][j] + 1, j)

    result = product(0, len(tensors) - 1)
    if first or last:
        dropped = {axis for axis, vector in enumerate((first, last)) if vector}  # (their 1s)
        result = result.reshape(tuple(n for axis, n in enumerate(result.shape)
                                      if axis not in dropped))
    return into_out("linalg.multi_dot", result, out)


@drawn_as_call("linalg.cross()")  # (drawn as called, not as tg.cross's cross())
def cross(input: Any, other: Any, *, dim: int = -1, out: Any = None) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim` (default the last axis, unlike tg.cross's
    guess), broadcast: PyTorch's linalg.cross (tg.cross)."""
    return into_out("linalg.cross", compositions.cross(input, other, dim=dim), out)


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """The diagonal `offset` (above the main one if > 0) of each matrix over the axes dim1,
    dim2, as the last axis of the result: PyTorch's linalg.diagonal (the op `diagonal`, a
    view, as `A.diagonal(offset, dim1, dim2)`)."""
    return to_tensor(A).diagonal(offset, dim1, dim2)


def vander(x: Any, *, N: Any = None) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of x's last axis: columns x**0, x**1, ..., x**(N - 1), N
    default x's length, more than 1 (PyTorch's rule): PyTorch's linalg.vander (cumprod, so
    the gradient at 0 is exact). Integers stay integers, as PyTorch's (no gradient). A 0-d
    x is a vector of one entry, as PyTorch's (its N must be given)."""
    x = to_tensor(x)
    if x.dtype == np.bool_:
        raise TypeError("vander: x must be a float or integer tensor, got bool (as PyTorch)")
    x = x.reshape(1) if x.ndim == 0 else x
    N = x.shape[-1] if N is None else integer("vander", "N", N)  # noqa: N806
    if N <= 1:
        raise ValueError(f"vander: N must be greater than 1 (as in PyTorch), got N={N}")
    if x.dtype.kind != "f":
        values = np.cumprod(np.repeat(x.data[..., None], N - 1, axis=-1), axis=-1)
        return Tensor(np.concatenate([np.ones_like(values[..., :1]), values], axis=-1),
                      dtype=x.dtype)
    powers = x.reshape(x.shape + (1,)).broadcast_to(x.shape + (N - 1,)).cumprod(axis=-1)
    return powers.pad(((0, 0),) * x.ndim + ((1, 0),), value=1)  # (the column x**0)


_COND_ORDS = (None, 2, -2, 1, -1, math.inf, -math.inf, "fro", "nuc")


def cond(A: Any, p: Any = None, *, out: Any = None) -> Tensor:  # noqa: N803
    """The condition number of a matrix (or of each of a batch): PyTorch's linalg.cond. p
    None or 2: the largest singular value over the smallest (svdvals; any shape), -2 the
    inverse; 'nuc' (square A) the sum of the singular values times the sum of their
    inverses, as PyTorch's; 'fro', inf, -inf, 1, -1 (square A): matrix_norm(A, p) times
    matrix_norm(inv(A), p), inf where A is singular (its LU has a zero pivot, as
    PyTorch's). An empty matrix's is 0, as PyTorch's. Departs from PyTorch: the latter
    have a gradient (PyTorch's backward fails on its in-place fill)."""
    if p is not None and not any(p == q and isinstance(p, str) == isinstance(q, str)
                                 for q in _COND_ORDS[1:]):
        raise ValueError(f"cond: p={p!r:.40} is not a norm cond takes; use None, 2, -2, 1, "
                         f"-1, inf, -inf, 'fro' or 'nuc'")
    A = _floating(A, None)  # noqa: N806
    if A.ndim < 2:
        raise ValueError(f"cond: A must have at least 2 dimensions (a matrix or a batch of "
                         f"them), got shape {A.shape}")
    two = p is None or (not isinstance(p, str) and abs(p) == 2)
    if not two:
        square_matrices(f"cond (p={p!r})", A)
    return into_out("linalg.cond", _condition_number(A, p, two), out)


def _condition_number(A: Tensor, p: Any, two: bool) -> Tensor:  # noqa: N803
    """cond's value for a floating A of at least 2 dimensions (square unless `two`)."""
    if A.size == 0:
        return Tensor(np.zeros(A.shape[:-2], dtype=A.dtype))
    if two or p == "nuc":
        values = svdvals(A)
        if p == "nuc":  # (PyTorch's: sum(S) * sum(1 / S), inf where an S is 0)
            return values.sum(axis=-1) * (1 / values).sum(axis=-1)
        largest, smallest = values[..., 0], values[..., -1]
        return smallest / largest if p == -2 else largest / smallest
    inverse, info = invertible_inverse(f"cond (p={p!r})", A)
    product = matrix_norm(A, p) * matrix_norm(inverse, p)
    return functional.where(info > 0, np.inf, product) if info.any() else product

"""LU with partial pivoting and the matrix exponential: the ops `lu` and `matrix_exp`.

The op `lu` gives A's LU decomposition with partial pivoting, A = P @ L @ U, packed in
one matrix as LAPACK's getrf leaves it (L's multipliers below the diagonal, its unit
diagonal not stored, U on and above it), by `lu_factors` (ops/linalg.py: for each column
the row of the first largest |entry| at or below the diagonal is swapped up; pivots
1-based, as LAPACK's and PyTorch's). It takes any m x n matrices, a batch of them too;
`tg.linalg` (linalg_lu.py) builds lu_factor, lu (L and U are the packed matrix's
triangles), lu_solve and the rest on it. P is a constant (`permutation_matrices`): A's
gradient flows through L and U.

`matrix_exp` is exp(A) by scaling and squaring with a Pade approximant (Higham's 2005
algorithm: the degree 3, 5, 7, 9 or 13 whose error bound its 1-norm allows, or degree 13
after halving A s times and squaring the result s times), accurate to float64 (float32
is computed in float64 and rounded; past its range, inf). Its gradient is exact: the
top-right block of exp([[A.T, G], [0, A.T]]), the derivative of exp at A.T in the
direction G. Their `backward_graph`s are the same in Tensor ops: lu's triangular solves
are solve_triangular's, matrix_exp's block exponential is matrix_exp itself.
"""
from __future__ import annotations

import math

import numpy as np

from ..engine import Function
from .decompositions import SolveTriangular, _mT, _rectangular, substitute
from .linalg import _dtype, _matrices, _non_finite, lu_factors
from .shape import Concatenate


def row_order(pivots: np.ndarray, m: int) -> np.ndarray:
    """The rows of A in the order the pivots' swaps leave them, as indices (..., m): P.T @ A
    is A[order]."""
    order = np.broadcast_to(np.arange(m), pivots.shape[:-1] + (m,)).copy()
    for j in range(pivots.shape[-1]):
        other = (pivots[..., j, None] - 1).astype(np.intp)
        moved = np.take_along_axis(order, other, axis=-1)
        np.put_along_axis(order, other, order[..., j, None], axis=-1)
        order[..., j] = moved[..., 0]
    return order


def permutation_matrices(pivots: np.ndarray, m: int, dtype: np.dtype) -> np.ndarray:
    """P with A = P @ L @ U, from LAPACK's pivots (1-based), for each of a batch."""
    order = row_order(pivots, m)
    p = np.zeros(order.shape + (m,), dtype=dtype)
    np.put_along_axis(p, order[..., :, None], 1, axis=-1)  # (P.T's row i is e_order[i])
    return _mT(p)


def unpacked(lu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """L (m x k, unit lower triangular) and U (k x n, upper) from LAPACK's packed factors."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    return low, np.triu(lu[..., :k, :])


def lu_gradient(low: np.ndarray, up: np.ndarray, g_low: np.ndarray,
                g_up: np.ndarray) -> np.ndarray:
    """The gradient of P.T @ A for A = P @ L @ U (L m x k, U k x n): with L = [L1; L2] and
    U = [U1, U2] (L1, U1 square), M = tril(L1.T gL1 - gU2 U2.T, -1) + triu(gU1 U1.T -
    L2.T gL2); the square block is inv(L1).T M inv(U1).T, the rows below it gL2
    inv(U1).T, the columns right of it inv(L1).T gU2."""
    k = low.shape[-1]
    l1, l2, u1, u2 = low[..., :k, :], low[..., k:, :], up[..., :, :k], up[..., :, k:]
    m = (np.tril(_mT(l1) @ g_low[..., :k, :] - g_up[..., :, k:] @ _mT(u2), -1)
         + np.triu(g_up[..., :, :k] @ _mT(u1) - _mT(l2) @ g_low[..., k:, :]))

    def right(y: np.ndarray) -> np.ndarray:  # y @ inv(U1).T
        return _mT(substitute(u1, _mT(y), upper=True))

    def left(y: np.ndarray) -> np.ndarray:  # inv(L1).T @ y
        return substitute(_mT(l1), y, upper=True, unit=True)

    square = left(right(m))
    rows = np.concatenate([square, right(g_low[..., k:, :])], axis=-2)
    if up.shape[-1] == k:
        return rows
    return np.concatenate([rows, left(g_up[..., :, k:])], axis=-1)


def lu_gradient_graph(low, up, g_low, g_up):
    """`lu_gradient` in Tensor ops (its solves: solve_triangular, the same numbers)."""
    k = low.shape[-1]
    l1, l2, u1, u2 = low[..., :k, :], low[..., k:, :], up[..., :, :k], up[..., :, k:]
    m = ((l1.mT @ g_low[..., :k, :] - g_up[..., :, k:] @ u2.mT).tril(-1)
         + (g_up[..., :, :k] @ u1.mT - l2.mT @ g_low[..., k:, :]).triu())

    def right(y):  # y @ inv(U1).T
        return SolveTriangular.apply(u1, y.mT, upper=True).mT

    def left(y):  # inv(L1).T @ y
        return SolveTriangular.apply(l1.mT, y, upper=True, unitriangular=True)

    rows = Concatenate.apply(left(right(m)), right(g_low[..., k:, :]), axis=-2)
    if up.shape[-1] == k:
        return rows
    return Concatenate.apply(rows, left(g_up[..., :, k:]), axis=-1)


class Lu(Function, name="lu"):
    """The LU decomposition with partial pivoting A = P @ L @ U of a matrix (or of each of
    a batch; any m x n, k = min(m, n)), packed as LAPACK leaves it: L (m x k, unit lower
    triangular, its diagonal not stored) below the diagonal, U (k x n) on and above it:
    PyTorch's linalg.lu_factor's LU. `tg.linalg.lu`'s L and U are its triangles (tril and
    triu, so their gradients reach this op); P and the pivots carry no gradient. The
    gradient is PyTorch's (see `lu_gradient`; gL and gU are g's strict lower and upper
    triangles): where U has a 0 on its diagonal (a singular A) it divides by it, inf and
    NaN, as PyTorch's.

    forward: `tril(L, -1) + U` with `A = P @ L @ U`, P from LAPACK's getrf pivoting
    gradient: `P @ inv(L).T @ (tril(L.T @ gL, -1) + triu(gU @ U.T)) @ inv(U).T` for square A
    """

    def forward(ctx, x):
        a = _rectangular(ctx.name, x)
        lu, pivots, _ = lu_factors(a)
        ctx.save_for_backward(lu, row_order(pivots, a.shape[-2]))
        return lu.astype(_dtype(x), copy=False)

    def backward(ctx, g):
        lu, order = ctx.saved_tensors
        g = g.astype(lu.dtype, copy=False)
        low, up = unpacked(lu)
        k = low.shape[-1]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            permuted = lu_gradient(low, up, np.tril(g[..., :, :k], -1), np.triu(g[..., :k, :]))
        grad = np.zeros(permuted.shape, dtype=permuted.dtype)
        rows = np.broadcast_to(order[..., :, None], permuted.shape)
        np.put_along_axis(grad, rows, permuted, axis=-2)  # (P @ it: row i to row order[i])
        return grad

    def backward_graph(ctx, out, g):
        _, order = ctx.saved_tensors
        m, n = out.shape[-2:]
        k = min(m, n)
        low, up = out[..., :, :k].tril(-1) + np.eye(m, k), out[..., :k, :].triu()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            permuted = lu_gradient_graph(low, up, g[..., :, :k].tril(-1), g[..., :k, :].triu())
        batch = np.indices(order.shape)[:-1]  # (row i of the gradient: permuted's row j,
        return permuted[(*batch, np.argsort(order, axis=-1))]  # order[j] = i)


# Higham (2005), "The scaling and squaring method for the matrix exponential revisited",
# table 2.3: the largest 1-norm for which the Pade approximant of each degree is exact to
# float64's unit roundoff
_THETAS = {3: 1.495585217958292e-2, 5: 2.539398330063230e-1, 7: 9.504178996162932e-1,
           9: 2.097847961257068e0, 13: 5.371920351148152e0}


def _pade_coefficients(degree: int) -> list[float]:
    """The coefficients b_j of the [degree / degree] Pade approximant's numerator of exp:
    (2m - j)! m! / ((2m)! j! (m - j)!)."""
    m = degree
    return [math.factorial(2 * m - j) * math.factorial(m)
            / (math.factorial(2 * m) * math.factorial(j) * math.factorial(m - j))
            for j in range(m + 1)]


def _pade(a: np.ndarray, degree: int) -> np.ndarray:
    """The Pade approximant r(A) = q(A)^-1 p(A) of exp(A), p = V + U, q = V - U (U the odd
    powers' terms, V the even ones')."""
    b = _pade_coefficients(degree)
    square = a @ a
    power = np.eye(a.shape[-1], dtype=a.dtype)  # A**(2i)
    odd, even = b[1] * power, b[0] * power
    for i in range(1, degree // 2 + 1):
        power = power @ square
        even = even + b[2 * i] * power
        if 2 * i + 1 <= degree:
            odd = odd + b[2 * i + 1] * power
    odd = a @ odd
    return np.linalg.solve(even - odd, even + odd)


def expm(a: np.ndarray) -> np.ndarray:
    """exp(A) of each square matrix of `a` (float64), by scaling and squaring; a matrix with
    a NaN or infinite entry gives all NaN."""
    out = np.empty(a.shape, dtype=np.float64)
    bad = _non_finite(a)
    for k in np.ndindex(a.shape[:-2]):
        if bad[k]:
            out[k] = np.nan
            continue
        matrix = a[k].astype(np.float64)
        norm = np.abs(matrix).sum(axis=0).max(initial=0.0)
        degree = next((d for d in (3, 5, 7, 9) if norm <= _THETAS[d]), 13)
        halvings = 0
        if degree == 13 and norm > _THETAS[13]:
            halvings = int(math.ceil(math.log2(norm / _THETAS[13])))
        with np.errstate(over="ignore", invalid="ignore"):  # (past float64: inf, as PyTorch's)
            result = _pade(matrix / 2.0 ** halvings, degree)
            for _ in range(halvings):
                result = result @ result
        out[k] = result
    return out


class MatrixExp(Function, name="matrix_exp", methods=("matrix_exp",),
                functions=("matrix_exp",)):
    """The matrix exponential exp(A) = I + A + A @ A / 2 + ... of a square matrix (or of
    each of a batch): PyTorch's linalg.matrix_exp, also `tg.matrix_exp` and
    `x.matrix_exp()`. Scaling and squaring with a Pade approximant (`expm`), in float64.
    A matrix with a NaN or infinite entry gives all NaN.

    forward: `exp(A)`
    gradient: the top-right n x n block of `exp([[A.T, g], [0, A.T]])` (exact)
    """

    def forward(ctx, x):
        a = _matrices(ctx.name, x)
        ctx.save_for_backward(a)
        with np.errstate(over="ignore"):  # (float32 past its range: inf, as PyTorch's)
            return expm(a).astype(_dtype(x), copy=False)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        n = a.shape[-1]
        g = np.broadcast_to(g, a.shape)
        block = np.zeros(a.shape[:-2] + (2 * n, 2 * n), dtype=np.float64)
        block[..., :n, :n] = block[..., n:, n:] = _mT(a)
        block[..., :n, n:] = g
        with np.errstate(over="ignore"):
            return expm(block)[..., :n, n:].astype(a.dtype, copy=False)

    def backward_graph(ctx, out, g):
        transposed = ctx.parents[0].mT
        n = transposed.shape[-1]
        zeros = np.zeros(transposed.shape)
        block = Concatenate.apply(Concatenate.apply(transposed, g, axis=-1),
                                  Concatenate.apply(zeros, transposed, axis=-1), axis=-2)
        return MatrixExp.apply(block)[..., :n, n:]

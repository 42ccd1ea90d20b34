"""Decompositions (QR, eigh, the SVD), the pseudoinverse and triangular solves.

Each works on a matrix or a batch of them (the last two axes), as PyTorch's
`torch.linalg` does; `tg.linalg` (linalg_decompositions.py, linalg.py) gives them
PyTorch's names and results (QRResult, EighResult, SVDResult). NumPy's LAPACK routines
compute the forward pass; float32 stays float32 (float16 is computed in float32, integers
in float64). A matrix with a NaN or infinite entry gives all NaN, the others of its batch
their values (PyTorch's refuses a NaN in an SVD, and gives partly finite garbage elsewhere).

A decomposition has several results, an op one output: `qr`, `eigh` and `svd` take
`part=`, each result its own node, computed by its own LAPACK call (the same numbers).
Their gradients add up to PyTorch's joint formula, which is linear in the results'
gradients, and a result that is not used adds nothing, as in PyTorch (where eigenvalues
repeat, the eigenvectors' term is inf or NaN; eigenvalues alone stay finite).

Signs: an eigenvector or a pair of singular vectors is unique up to sign only, and
PyTorch's LAPACK (MKL) and NumPy's pick differently one time in three. Here each is
scaled so that its entry of largest magnitude (the first of equal ones) is positive:
the same on every platform, and smooth wherever that entry is clear of the others.
QR is LAPACK's Householder one, as PyTorch's (equal values): R's diagonal takes the
opposite sign of the entry each reflection starts from, its own where the column below
that entry is all 0, so it jumps there (`qr(I)` is `(I, I)`, `qr(I + small)` has
`R[0, 0] = -1`) and where that entry crosses 0.

The gradients are PyTorch's (each op's docstring): they are the derivatives of the
results with those signs held, so gradients of functions that do not depend on the
signs agree with PyTorch's whatever its signs. Each `backward_graph` is the backward in
Tensor ops, the other results the op's other parts (second derivatives). Also here, no
ops: `substitute` (trsm's triangular solve), and LAPACK's `info` of LU
(`first_zero_pivot`) and of Cholesky (`cholesky_info`), for inv_ex and cholesky_ex.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..errors import ShapeError
from .arguments import floating, number, same_dtype
from .elementwise import Where
from .linalg import (LinAlgError, _dtype, _equation, _matrices, _non_finite, _which,
                     lu_factors)
from .shape import Concatenate


def _rectangular(name: str, a: np.ndarray) -> np.ndarray:
    """`a` checked to be matrices of any shape (or a batch of them), in a dtype LAPACK takes."""
    if a.ndim < 2:
        raise ShapeError(f"{name}: A must have at least 2 dimensions (a matrix or a batch of "
                         f"them), got shape {a.shape}")
    return a.astype(np.float32) if a.dtype == np.float16 else floating(a)


def _finite(a: np.ndarray, read: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`a` with each matrix that has a NaN or infinite entry (in `read`, the part LAPACK
    reads, default all of it) replaced by zeros, and which ones were: their results are set
    to NaN afterwards (LAPACK may not converge on them, or give finite numbers)."""
    bad = _non_finite(a if read is None else read)
    if bad.any():
        a = np.where(bad[..., None, None], 0, a).astype(a.dtype, copy=False)
    return a, bad


def _nan_where(bad: np.ndarray, array: np.ndarray, axes: int) -> np.ndarray:
    """`array` (the results of a batch of matrices, `axes` axes per matrix) with NaN where
    `bad` says the matrix had a NaN or infinite entry."""
    if not bad.any():
        return array
    return np.where(bad.reshape(bad.shape + (1,) * axes), np.nan, array).astype(array.dtype)


def _leading_signs(vectors: np.ndarray) -> np.ndarray:
    """+1 or -1 per column of `vectors`, shape (..., 1, k): the sign of the column's entry of
    largest magnitude (the first of equal ones). Times it, that entry is positive."""
    if vectors.size == 0:
        return np.ones(vectors.shape[:-2] + (1, vectors.shape[-1]), dtype=vectors.dtype)
    rows = np.abs(vectors).argmax(axis=-2)[..., None, :]
    lead = np.take_along_axis(vectors, rows, axis=-2)
    return np.where(lead < 0, -1, 1).astype(vectors.dtype)


def _mT(a: np.ndarray) -> np.ndarray:  # noqa: N802  (PyTorch's name: the matrices transposed)
    return np.swapaxes(a, -1, -2)


def _one_of(name: str, what: str, value: str, choices: tuple[str, ...]) -> None:
    """Refuse a `part=` or `mode=` that is not one of `choices`, in one line."""
    if value not in choices:
        raise ValueError(f"{name}: {what} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r:.40}")


def substitute(a: np.ndarray, b: np.ndarray, upper: bool, unit: bool = False) -> np.ndarray:
    """X with A @ X = B for triangular A (its `upper` or lower triangle read; `unit`: its
    diagonal taken as 1), by substitution, the batch axes broadcast: LAPACK's trsm. A zero
    on the diagonal gives inf and NaN, as trsm (and PyTorch's solve_triangular) does."""
    n = a.shape[-1]
    dtype = np.result_type(a.dtype, b.dtype)
    x = np.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], dtype=dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            known = slice(i + 1, n) if upper else slice(0, i)
            rest = b[..., i, :] - (a[..., i, None, known] @ x[..., known, :])[..., 0, :]
            x[..., i, :] = rest if unit else rest / a[..., i, i, None]
    return x


def _result(ctx, out, part: str):
    """One result of ctx's decomposition as a Tensor: `out`, or the op's other `part` of the
    same input (the same LAPACK call: the same numbers as backward's)."""
    if ctx.part == part:
        return out
    return type(ctx).apply(ctx.parents[0], **{**ctx.params, "part": part})


def _gaps(values):
    """values[j] - values[i] (Tensors), 1 on the diagonal: eigh's and svd's denominators."""
    gaps = values[..., None, :] - values[..., :, None]
    return Where.call(np.eye(values.shape[-1], dtype=bool), 1.0, gaps)


class Eigh(Function, name="eigh"):
    """The eigenvalues (ascending) or the eigenvectors (the columns of V, in that order) of
    a symmetric matrix, or of each of a batch, `part` 'eigenvalues' or 'eigenvectors',
    reading A's lower triangle (`UPLO='L'`) or upper one (`'U'`): PyTorch's linalg.eigh,
    whose two results `tg.linalg.eigh` computes with this op. Each column of V has its
    entry of largest magnitude positive. The gradient is PyTorch's, symmetric, with
    S = (V.T g - g.T V) / 2 and E[i, j] = w[j] - w[i] for the eigenvectors: where two
    eigenvalues are equal it divides by 0, inf and NaN, as PyTorch's (the eigenvalues'
    gradient stays finite).

    forward: `w` or `V` with `A @ V = V * w`, V orthogonal, w ascending
    gradient: `V @ diag(gw) @ V.T` for w, `V @ (S / E) @ V.T` for V
    """

    def forward(ctx, x, *, part="eigenvectors", UPLO="L"):  # noqa: N803  (PyTorch's keyword)
        _one_of(ctx.name, "part", part, ("eigenvalues", "eigenvectors"))
        a = _matrices(ctx.name, x)
        a, bad = _finite(a, np.tril(a) if UPLO == "L" else np.triu(a))
        values, vectors = np.linalg.eigh(a, UPLO=UPLO)
        values = _nan_where(bad, values, 1)
        vectors = _nan_where(bad, vectors * _leading_signs(vectors), 2)
        ctx.part = part
        ctx.save_for_backward(values, vectors)
        return (values if part == "eigenvalues" else vectors).astype(_dtype(x), copy=False)

    def backward(ctx, g):
        values, vectors = ctx.saved_tensors
        if ctx.part == "eigenvalues":
            return (vectors * g[..., None, :]) @ _mT(vectors)
        inner = _mT(vectors) @ g
        gaps = values[..., None, :] - values[..., :, None]
        diagonal = np.arange(values.shape[-1])
        gaps[..., diagonal, diagonal] = 1  # (the skew part's diagonal is 0: 0 there)
        with np.errstate(divide="ignore", invalid="ignore"):
            middle = 0.5 * (inner - _mT(inner)) / gaps
        return vectors @ middle @ _mT(vectors)

    def backward_graph(ctx, out, g):
        vectors = _result(ctx, out, "eigenvectors")
        if ctx.part == "eigenvalues":
            return (vectors * g[..., None, :]) @ vectors.mT
        inner = vectors.mT @ g
        with np.errstate(divide="ignore", invalid="ignore"):
            middle = 0.5 * (inner - inner.mT) / _gaps(_result(ctx, out, "eigenvalues"))
        return vectors @ middle @ vectors.mT


class Eigvalsh(Function, name="eigvalsh"):
    """The eigenvalues of a symmetric matrix (or of each of a batch), ascending, reading its
    lower triangle (`UPLO='L'`) or upper one (`'U'`): PyTorch's linalg.eigvalsh. The
    gradient is PyTorch's, V diag(g) V.T, symmetric.

    forward: `w` with `A @ V = V * w` (V orthogonal), ascending
    gradient: `V @ diag(g) @ V.T`
    """

    def forward(ctx, x, *, UPLO="L"):  # noqa: N803  (PyTorch's and NumPy's keyword)
        a = _matrices(ctx.name, x)
        values, vectors = np.linalg.eigh(a, UPLO=UPLO)
        ctx.save_for_backward(vectors)
        return values.astype(_dtype(x), copy=False)

    def backward(ctx, g):
        (vectors,) = ctx.saved_tensors
        return (vectors * g[..., None, :]) @ np.swapaxes(vectors, -1, -2)

    def backward_graph(ctx, out, g):  # (V: eigh's, whose signs differ, which V diag V.T hides)
        x = ctx.parents[0]
        vectors = Eigh.apply(x, part="eigenvectors", **ctx.params)
        read = x._data  # (the triangle LAPACK reads, as Eigh's forward checks it)
        bad = _non_finite(np.tril(read) if ctx.params.get("UPLO", "L") == "L" else np.triu(read))
        if bad.any():  # (eigh's are NaN there; backward's, LAPACK's numbers: the same rule)
            vectors = Where.call(bad[..., None, None], ctx.saved_tensors[0], vectors)
        return (vectors * g[..., None, :]) @ vectors.mT


class Svd(Function, name="svd"):
    """One part of the singular value decomposition A = U @ diag(S) @ Vh of a matrix (or of
    each of a batch), `part` 'U', 'S' or 'Vh', with `full_matrices` (U m x m and Vh n x n)
    or not (k = min(m, n) columns of U, rows of Vh): PyTorch's linalg.svd, each of whose
    results `tg.linalg.svd` computes with this op (`svdvals`: part 'S'). S descends; each
    column of U has its entry of largest magnitude positive (Vh's row the same sign). The
    gradient is PyTorch's, with J = U.T gU - gU.T U, K = Vh gVh.T - gVh Vh.T and
    E[i, j] = S[j]**2 - S[i]**2, plus (I - U U.T) gU diag(1 / S) Vh where A has more rows
    than columns, U diag(1 / S) gVh (I - Vh.T Vh) where it has more columns. With
    full_matrices the gradient of U's last m - k columns and Vh's last n - k rows is left
    out, as PyTorch leaves it (they are any basis of what is left). It divides by E and
    S: inf and NaN where singular values repeat or (A not square) one is 0, as PyTorch's.

    forward: `U`, `S` or `Vh` with `A = U[:, :k] @ diag(S) @ Vh[:k]`
    gradient: `U @ (diag(gS) + (J * S + S[:, None] * K) / E) @ Vh`, + projections if m != n
    """

    def forward(ctx, x, *, part="S", full_matrices=False):
        _one_of(ctx.name, "part", part, ("U", "S", "Vh"))
        a, bad = _finite(_rectangular(ctx.name, x))
        try:
            u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        except np.linalg.LinAlgError:
            raise LinAlgError(f"{ctx.name}: the SVD of {_which(x.shape)} did not converge "
                              f"(LAPACK's iteration)") from None
        k = s.shape[-1]
        signs = _leading_signs(u[..., :k])
        u[..., :k] *= signs
        vh[..., :k, :] *= _mT(signs)
        u, s, vh = _nan_where(bad, u, 2), _nan_where(bad, s, 1), _nan_where(bad, vh, 2)
        ctx.part = part
        ctx.save_for_backward(u, s, vh)
        return {"U": u, "S": s, "Vh": vh}[part].astype(_dtype(x), copy=False)

    def backward(ctx, g):
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        u, vh = u[..., :k], vh[..., :k, :]  # (full_matrices: the rest has no gradient)
        if ctx.part == "S":
            return (u * g[..., None, :]) @ vh
        squares = s * s
        gaps = squares[..., None, :] - squares[..., :, None]
        diagonal = np.arange(k)
        gaps[..., diagonal, diagonal] = 1  # (J and K have 0 there: 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.part == "U":
                g = g[..., :k]
                inner = _mT(u) @ g
                grad = u @ ((inner - _mT(inner)) * s[..., None, :] / gaps) @ vh
                if u.shape[-2] > k:  # (more rows than columns: U spans part of the space)
                    scaled = g / s[..., None, :]
                    grad = grad + (scaled - u @ (_mT(u) @ scaled)) @ vh
                return grad
            g = g[..., :k, :]
            inner = vh @ _mT(g)
            grad = u @ (s[..., :, None] * (inner - _mT(inner)) / gaps) @ vh
            if vh.shape[-1] > k:  # (more columns than rows)
                scaled = g / s[..., :, None]
                grad = grad + u @ (scaled - (scaled @ _mT(vh)) @ vh)
            return grad

    def backward_graph(ctx, out, g):
        s = _result(ctx, out, "S")
        k = s.shape[-1]
        u, vh = _result(ctx, out, "U")[..., :k], _result(ctx, out, "Vh")[..., :k, :]
        if ctx.part == "S":
            return (u * g[..., None, :]) @ vh
        gaps = _gaps(s * s)
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.part == "U":
                g = g[..., :k]
                inner = u.mT @ g
                grad = u @ ((inner - inner.mT) * s[..., None, :] / gaps) @ vh
                if u.shape[-2] > k:
                    scaled = g / s[..., None, :]
                    grad = grad + (scaled - u @ (u.mT @ scaled)) @ vh
                return grad
            g = g[..., :k, :]
            inner = vh @ g.mT
            grad = u @ (s[..., :, None] * (inner - inner.mT) / gaps) @ vh
            if vh.shape[-1] > k:
                scaled = g / s[..., :, None]
                grad = grad + u @ (scaled - (scaled @ vh.mT) @ vh)
            return grad


def _qr_gradient(q: np.ndarray, r: np.ndarray, gq: np.ndarray, gr: np.ndarray) -> np.ndarray:
    """A's gradient for A = QR with as many rows as columns or more, R square: PyTorch's
    `(gQ + Q copyltu(M)) R^-T`, `M = R gR.T - gQ.T Q`, copyltu(M) the symmetric matrix of
    M's lower triangle."""
    m = r @ _mT(gr) - _mT(gq) @ q
    y = gq + q @ (np.tril(m) + _mT(np.tril(m, -1)))
    return _mT(substitute(r, _mT(y), upper=True))


def _qr_gradient_graph(q, r, gq, gr):
    """`_qr_gradient` in Tensor ops, gQ or gR None where it is 0 (the same numbers)."""
    m = r @ gr.mT if gq is None else -(gq.mT @ q) if gr is None else r @ gr.mT - gq.mT @ q
    y = q @ (m.tril() + m.tril(-1).mT)
    y = y if gq is None else gq + y
    return SolveTriangular.apply(r, y.mT, upper=True).mT


class Qr(Function, name="qr"):
    """One part of the QR decomposition A = Q @ R of a matrix (or of each of a batch), `part`
    'Q' or 'R', `mode` 'reduced' (Q m x k, R k x n, k = min(m, n)), 'complete' (Q m x m)
    or 'r' (R only): PyTorch's linalg.qr, whose two results `tg.linalg.qr` computes with
    this op. LAPACK's Householder QR, as PyTorch's: the same Q and R. The gradient is
    PyTorch's, copyltu(M) the symmetric matrix of M's lower triangle; where A has fewer
    rows than columns, A = [Q X, Q Y], it is that of the square Q X, with gQ + A[:, m:]
    gY.T, beside Q gY. It is refused, as PyTorch refuses it, with mode 'r' (Q is needed)
    and with mode 'complete' for more rows than columns (Q's last columns are any basis).
    Where R has a 0 on its diagonal (A of lower rank) it divides by 0: inf and NaN.

    forward: `Q` or `R` with `A = Q @ R`, Q orthonormal columns, R upper triangular
    gradient: `(gQ + Q @ copyltu(M)) @ inv(R).T`, `M = R @ gR.T - gQ.T @ Q`
    """

    def forward(ctx, x, *, part="R", mode="reduced"):
        _one_of(ctx.name, "part", part, ("Q", "R"))
        _one_of(ctx.name, "mode", mode, ("reduced", "complete", "r"))
        if mode == "r" and part == "Q":
            raise ValueError(f"{ctx.name}: mode='r' computes no Q; use mode='reduced'")
        a, bad = _finite(_rectangular(ctx.name, x))
        q, r = (None, np.linalg.qr(a, mode="r")) if mode == "r" else np.linalg.qr(a, mode=mode)
        r = _nan_where(bad, r, 2)
        q = q if q is None else _nan_where(bad, q, 2)
        ctx.part, ctx.mode = part, mode
        ctx.save_for_backward(q, r)
        return (q if part == "Q" else r).astype(_dtype(x), copy=False)

    def backward(ctx, g):
        q, r = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError(f"{ctx.name}: the derivative of linalg.qr depends on Q, which "
                               f"is not computed when mode='r'; use mode='reduced' to "
                               f"differentiate through qr")
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(f"{ctx.name}: the QR decomposition is not differentiable when "
                               f"mode='complete' and A has more rows than columns ({m} > "
                               f"{n}: Q's last columns are any basis); use mode='reduced'")
        gq = g if ctx.part == "Q" else np.zeros_like(q)
        gr = g if ctx.part == "R" else np.zeros_like(r)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if m >= n:
                return _qr_gradient(q, r, gq, gr)
            # A = [Q X, Q Y]: X square, Y = Q.T A[:, m:] gives Q the gradient A[:, m:] gY.T
            rest = gr[..., m:]
            first = _qr_gradient(q, r[..., :m], gq + (q @ r[..., m:]) @ _mT(rest), gr[..., :m])
            return np.concatenate([first, q @ rest], axis=-1)

    def backward_graph(ctx, out, g):
        m, n = ctx.parents[0].shape[-2:]
        if ctx.mode == "r" or ctx.mode == "complete" and m > n:
            return Qr.backward(ctx, g.data)  # (refused: its error)
        q, r = _result(ctx, out, "Q"), _result(ctx, out, "R")
        gq, gr = (g, None) if ctx.part == "Q" else (None, g)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if m >= n:
                return _qr_gradient_graph(q, r, gq, gr)
            if gr is None:  # (A = [Q X, Q Y]: Y's columns get 0)
                first = _qr_gradient_graph(q, r[..., :m], gq, None)
                return Concatenate.apply(first, np.zeros(g.shape[:-1] + (n - m,)), axis=-1)
            rest = gr[..., m:]
            first = _qr_gradient_graph(q, r[..., :m], (q @ r[..., m:]) @ rest.mT, gr[..., :m])
            return Concatenate.apply(first, q @ rest, axis=-1)


class Pinv(Function, name="pinv", methods=("pinverse",), functions=("pinverse",)):
    """The pseudoinverse of a matrix (or of each of a batch): PyTorch's linalg.pinv, by the
    SVD (or with `hermitian`, by eigh of the lower triangle), singular values (absolute
    eigenvalues) not above max(atol, rtol * the largest) taken as 0. `tg.pinverse(A,
    rcond=1e-15)` and `A.pinverse()` are PyTorch's pinverse, rtol=rcond. rtol None:
    PyTorch's default, eps * max(m, n) (0 where atol > 0). The gradient is PyTorch's,
    that of the matrices of A's rank (finite where A is rank-deficient).

    forward: `P = V @ diag(1 / S) @ U.T`, only the singular values above the tolerance
    gradient: `-P.T @ g @ P.T + (I - A @ P) @ g.T @ P @ P.T + P.T @ P @ g.T @ (I - P @ A)`
    """

    @classmethod
    def call(cls, input, rcond=1e-15):  # noqa: A002  (PyTorch's name)
        """`tg.pinverse(input, rcond=1e-15)`, `x.pinverse()`: PyTorch's pinverse."""
        return cls.apply(input, atol=0.0, rtol=number("pinverse", "rcond", rcond))

    def forward(ctx, x, *, atol=0.0, rtol=None, hermitian=False):
        a = _matrices(ctx.name, x) if hermitian else _rectangular(ctx.name, x)
        m, n = a.shape[-2:]
        atol = np.asarray(atol, dtype=a.dtype)
        if rtol is None:  # (PyTorch's: 0 where atol > 0)
            rtol = np.where(atol > 0, 0, np.finfo(a.dtype).eps * max(m, n))
        rtol = np.asarray(rtol, dtype=a.dtype)
        work, bad = _finite(a, np.tril(a) if hermitian else None)
        if min(m, n) == 0:
            out = np.zeros(a.shape[:-2] + (n, m), dtype=a.dtype)
        elif hermitian:
            values, vectors = np.linalg.eigh(work)
            size = np.abs(values)
            tol = np.maximum(atol, rtol * size.max(axis=-1))[..., None]
            with np.errstate(divide="ignore"):
                inverse = np.where(size > tol, 1 / values, 0)
            out = (vectors * inverse[..., None, :]) @ _mT(vectors)
        else:
            u, s, vh = np.linalg.svd(work, full_matrices=False)
            tol = np.maximum(atol, rtol * s[..., 0])[..., None]
            with np.errstate(divide="ignore"):
                inverse = np.where(s > tol, 1 / s, 0)
            out = (_mT(vh) * inverse[..., None, :]) @ _mT(u)
        out = _nan_where(bad, out.astype(a.dtype, copy=False), 2)
        ctx.save_for_backward(a, out)
        return out.astype(_dtype(x), copy=False)

    def backward(ctx, g):
        a, p = ctx.saved_tensors
        gt, pt = _mT(g), _mT(p)
        if a.shape[-2] <= a.shape[-1]:
            k = gt @ p
            kpt = k @ pt
            return -_mT(p @ k) + kpt - (a @ p) @ kpt + (pt @ p) @ (gt - k @ a)
        k = p @ gt
        ptk = pt @ k
        return -_mT(k @ p) + (gt - a @ k) @ p @ pt + ptk - ptk @ p @ a

    def backward_graph(ctx, out, g):
        a, p = ctx.parents[0], out
        gt, pt = g.mT, p.mT
        if a.shape[-2] <= a.shape[-1]:
            k = gt @ p
            kpt = k @ pt
            return -(p @ k).mT + kpt - (a @ p) @ kpt + (pt @ p) @ (gt - k @ a)
        k = p @ gt
        ptk = pt @ k
        return -(k @ p).mT + (gt - a @ k) @ p @ pt + ptk - ptk @ p @ a


class SolveTriangular(Function, name="solve_triangular"):
    """X with A @ X = B for a triangular A (its upper triangle read with `upper=True`, else
    its lower one; `unitriangular`: its diagonal taken as 1, not read) and a matrix B, the
    batch axes broadcast: PyTorch's linalg.solve_triangular with left=True (left=False:
    `tg.linalg.solve_triangular` transposes). By substitution, as LAPACK's trsm: a 0 on
    the diagonal gives inf and NaN, as PyTorch's (no refusal). Gradients for A (its
    triangle only: the entries not read get 0, as PyTorch's) and B.

    forward: `inv(A) @ B`, A triangular
    gradient: `G = solve_triangular(A.T, g)` for B, `-triangle(G @ out.T)` for A
    """

    def forward(ctx, a, b, *, upper, unitriangular=False):
        a, b = same_dtype(a, b)
        dtype = np.result_type(_dtype(a), _dtype(b))
        a = _matrices(ctx.name, a)
        _equation(ctx.name, a, b, b, f"B must be a matrix (or a batch of them) of "
                                     f"{a.shape[-1]} rows (a vector b: b[:, None])")
        out = substitute(a, b.astype(a.dtype, copy=False), upper, unitriangular)
        ctx.upper, ctx.unit = upper, unitriangular
        ctx.save_for_backward(a, out)
        return out.astype(dtype, copy=False)

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        grad_b = substitute(_mT(a), g.astype(a.dtype, copy=False), not ctx.upper, ctx.unit)
        if not ctx.needs_input_grad[0]:
            return None, grad_b
        full = -(grad_b @ _mT(out))
        shift = int(ctx.unit)  # (unitriangular: the diagonal is not read, gets 0)
        grad_a = np.triu(full, shift) if ctx.upper else np.tril(full, -shift)
        return grad_a, grad_b

    def backward_graph(ctx, out, g):
        a, _ = ctx.parents
        grad_b = SolveTriangular.apply(a.mT, g, upper=not ctx.upper, unitriangular=ctx.unit)
        if not ctx.needs_input_grad[0]:
            return None, grad_b
        full, shift = -(grad_b @ out.mT), int(ctx.unit)
        return (full.triu(shift) if ctx.upper else full.tril(-shift)), grad_b


def first_zero_pivot(a: np.ndarray) -> np.ndarray:
    """LAPACK getrf's `info` for each square matrix of `a`, int32: 0, or k where the k-th
    pivot of LU with partial pivoting is 0 (`lu_factors`' info, float16 in float32)."""
    return lu_factors(a.astype(np.promote_types(a.dtype, np.float32), copy=False))[2]


def cholesky_info(a: np.ndarray) -> np.ndarray:
    """LAPACK potrf's `info` for each square matrix of `a` (its lower triangle), int32: 0,
    or k where the leading k x k minor is not positive-definite (a pivot <= 0, NaN or,
    here, infinite)."""
    n = a.shape[-1]
    low = np.zeros(a.shape, dtype=np.promote_types(a.dtype, np.float32))
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    with np.errstate(invalid="ignore", over="ignore"):
        for j in range(n):
            pivot = a[..., j, j] - np.sum(low[..., j, :j] ** 2, axis=-1)
            failed = ~(np.isfinite(pivot) & (pivot > 0))
            info[failed & (info == 0)] = j + 1
            low[..., j, j] = np.sqrt(np.where(failed, 1, pivot))
            below = a[..., j + 1:, j] - (low[..., j + 1:, :j] @ low[..., j, :j, None])[..., 0]
            low[..., j + 1:, j] = below / low[..., j, j, None]
    return info

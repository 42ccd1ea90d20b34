"""PyTorch's QR in LAPACK's raw form and its randomized low-rank decompositions: `tg.geqrf`
(also `x.geqrf()`), `tg.svd_lowrank` and `tg.pca_lowrank`.

`geqrf` is LAPACK's Householder QR written in NumPy, a batch at once: R on and above the
diagonal of `a`, the Householder vectors v_i below it (v_i[i] = 1 implied) and their
scalars `tau`, so that Q = H_1 @ ... @ H_k with H_i = I - tau_i v_i v_i.T, which
`tg.linalg.householder_product` and `tg.ormqr` read, as torch's read torch.geqrf's. Like
PyTorch's, it has no gradient (its results need none). A NaN entry gives NaN where
PyTorch's does (LAPACK's dlapy2 and SIGN as its LAPACK computes them); where an entry is
infinite, which of the results are NaN may differ (both are no QR).

`svd_lowrank` and `pca_lowrank` are Halko, Martinsson and Tropp's randomized algorithms as
PyTorch runs them: a Gaussian test matrix R drawn from the package's generator (the one
`tg.manual_seed` seeds), an orthonormal basis Q of range(A @ R) refined by `niter` power
iterations (matmul and `tg.linalg.qr`), then `tg.linalg.svd` of Q.T @ A. They are made of
those ops, so gradients flow through them as through PyTorch's. For a matrix of rank at
most q the result is A's SVD (up to the signs of singular vectors) whatever R is drawn.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import linalg
from .creation import make_generator
from .errors import ShapeError
from .grad_mode import check_flag
from .ops.arguments import integer
from .scope import drawn_as_call
from .tensor import Tensor, to_tensor
from .torch_functions_more import _method
from .values import default_float

__all__ = ["geqrf", "svd_lowrank", "pca_lowrank", "GeqrfResult"]


class GeqrfResult(NamedTuple):
    """What `geqrf` gives, as PyTorch's: `a` (R on and above the diagonal, the Householder
    vectors below it) and `tau` (one scalar per reflector)."""

    a: Any
    tau: Any


def _lapy2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sqrt(x**2 + y**2) without overflow, as LAPACK's dlapy2 in PyTorch's LAPACK: from
    the larger and smaller of |x| and |y| by Fortran's MAX and MIN (a NaN first is passed
    over, a NaN second is the answer)."""
    x, y = np.abs(x), np.abs(y)
    larger, smaller = np.where(x > y, x, y), np.where(x < y, x, y)
    ratio = np.where(larger > 0, smaller / np.where(larger > 0, larger, 1), 0)
    scaled = larger * np.sqrt(1 + ratio * ratio)
    return np.where((smaller == 0) | (larger > np.finfo(x.dtype).max), larger, scaled)


def householder_qr(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's geqr2 of a batch of matrices (..., m, n): for each column i < min(m, n) the
    reflector of dlarfg (beta = -sign(alpha) * |(alpha, x)|, tau = (beta - alpha) / beta,
    v = x / (alpha - beta); tau = 0, no reflection, where x is 0) applied to the columns
    after it (even with tau = 0, as LAPACK does: an infinite entry there becomes NaN)."""
    a = a.copy()
    m, n = a.shape[-2:]
    tau = np.zeros(a.shape[:-2] + (min(m, n),), dtype=a.dtype)
    for i in range(min(m, n)):
        alpha, below = a[..., i, i].copy(), a[..., i + 1:, i]
        norm = np.hypot.reduce(below, axis=-1, initial=0.0).astype(a.dtype)  # (no overflow)
        length = _lapy2(alpha, norm)
        beta = np.where(alpha >= 0, -length, length)  # (Fortran's -SIGN(length, alpha))
        reflect = norm != 0
        t = np.where(reflect, (beta - alpha) / beta, 0).astype(a.dtype)
        a[..., i + 1:, i] = np.where(reflect[..., None], below * (1 / (alpha - beta))[..., None],
                                     below)
        a[..., i, i] = np.where(reflect, beta, alpha)
        tau[..., i] = t
        if i + 1 < n:  # H_i applied from the left: C - tau v (v.T C)
            v = np.concatenate([np.ones(a.shape[:-2] + (1,), dtype=a.dtype),
                                a[..., i + 1:, i]], axis=-1)
            rest = a[..., i:, i + 1:]
            product = np.einsum("...i,...ij->...j", v, rest)
            a[..., i:, i + 1:] = rest + v[..., :, None] * (-t[..., None] * product)[..., None, :]
    return a, tau


def geqrf(input: Any) -> GeqrfResult:  # noqa: A002  (PyTorch's argument name)
    """The QR decomposition of a matrix (or of each of a batch; any m x n) in LAPACK's raw
    form, as its geqrf gives it: `a` holds R on and above the diagonal and the Householder
    vectors below it, `tau` (min(m, n) per matrix) their scalars, Q = H_1 @ ... @ H_k with
    H_i = I - tau_i v_i v_i.T: PyTorch's torch.geqrf. `tg.linalg.householder_product(a,
    tau)` gives Q's first columns, `tg.ormqr(a, tau, C)` Q @ C. No gradient (PyTorch has
    none). Integers are factored in the default float, float16 in float32 (kept)."""
    A = to_tensor(input)  # noqa: N806
    if A.ndim < 2:
        raise ShapeError(f"geqrf: input must have at least 2 dimensions (a matrix or a batch "
                         f"of them), got shape {A.shape}")
    dtype = A.dtype if A.dtype.kind == "f" else np.dtype(default_float())
    work = np.float32 if dtype == np.float16 else dtype
    with np.errstate(all="ignore"):  # (an infinite entry gives NaN, as LAPACK's)
        a, tau = householder_qr(A.data.astype(work))
    return GeqrfResult(Tensor(a.astype(dtype)), Tensor(tau.astype(dtype)))


def _matrices(name: str, A: Any) -> Tensor:  # noqa: N803
    """A as a float tensor of at least 2 axes (an integer one in the default float)."""
    A = to_tensor(A)  # noqa: N806
    if A.ndim < 2:
        raise ShapeError(f"{name}: A must have at least 2 dimensions (a matrix or a batch of "
                         f"them), got shape {A.shape}")
    return A if A.dtype.kind == "f" else A.to(default_float())


def _iterations(name: str, niter: Any) -> int:
    niter = 2 if niter is None else integer(name, "niter", niter)
    if niter < 0:
        raise ValueError(f"{name}: niter must be a non-negative int (the number of power "
                         f"iterations; 2 is PyTorch's default), got {niter}")
    return niter


def _approximate_basis(A: Tensor, M: Tensor | None, q: int, niter: int) -> Tensor:  # noqa: N803
    """Q with q orthonormal columns (fewer where A has fewer rows) such that Q @ Q.T @ (A - M)
    approximates A - M (Halko et al.'s Algorithm 4.4), without forming A - M."""
    def times(x: Tensor, transposed: bool = False) -> Tensor:
        left = A.mT if transposed else A
        product = left @ x
        return product if M is None else product - (M.mT if transposed else M) @ x

    rng = make_generator(None, None, "svd_lowrank")  # (manual_seed's, else fresh entropy)
    R = Tensor(rng.standard_normal((A.shape[-1], q)).astype(A.dtype),  # noqa: N806
               name="R (random)")  # (named: drawn as a constant, not the user's input)
    Q = linalg.qr(times(R)).Q  # noqa: N806
    for _ in range(niter):
        Q = linalg.qr(times(Q, transposed=True)).Q  # noqa: N806
        Q = linalg.qr(times(Q)).Q  # noqa: N806
    return Q


@drawn_as_call("svd_lowrank()")
def svd_lowrank(A: Any, q: Any = 6, niter: Any = 2,  # noqa: N803
                M: Any = None) -> tuple[Tensor, Tensor, Tensor]:  # noqa: N803
    """An approximate SVD (U, S, V), A ≈ U @ diag(S) @ V.mT, of a matrix (or of each of a
    batch) by PyTorch's randomized algorithm (Halko et al.'s 5.1): q columns of a random
    Gaussian test matrix (q a slight overestimate of A's rank; 6 by default), `niter`
    power iterations (2), then the SVD of A projected onto the basis found; U is m x k,
    S k, V n x k with k = min(q, m, n). With M (broadcast to A's shape), the SVD of A - M.
    PyTorch's torch.svd_lowrank, drawing from tg.manual_seed's generator; exact (up to
    signs) where A has rank at most q. Made of matmul, qr and svd: gradients for A and M."""
    A = _matrices("svd_lowrank", A)  # noqa: N806
    q = 6 if q is None else integer("svd_lowrank", "q", q)
    if q < 0:
        raise ValueError(f"svd_lowrank: q must be a non-negative int (about A's rank), got "
                         f"{q}")
    niter = _iterations("svd_lowrank", niter)
    if M is not None:
        M = to_tensor(M)  # noqa: N806
        try:
            np.broadcast_shapes(M.shape, A.shape)
            M = M.broadcast_to(A.shape)  # noqa: N806
        except ValueError:
            raise ShapeError(f"svd_lowrank: M of shape {M.shape} does not broadcast to A's "
                             f"shape {A.shape}") from None
    m, n = A.shape[-2:]
    if m < n:  # (the algorithm takes a tall matrix)
        A = A.mT  # noqa: N806
        M = None if M is None else M.mT  # noqa: N806
    Q = _approximate_basis(A, M, q, niter)  # noqa: N806
    B = Q.mT @ A if M is None else Q.mT @ A - Q.mT @ M  # noqa: N806
    U, S, Vh = linalg.svd(B, full_matrices=False)  # noqa: N806
    U = Q @ U  # noqa: N806
    return (Vh.mT, S, U) if m < n else (U, S, Vh.mT)


@drawn_as_call("pca_lowrank()")
def pca_lowrank(A: Any, q: Any = None, center: bool = True,  # noqa: N803
                niter: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    """Principal component analysis of a data matrix A (m samples of n features; or of each
    of a batch): an approximate SVD (U, S, V) of A with its column means subtracted
    (`center=False`: of A as given), by svd_lowrank's randomized algorithm: V's columns
    are the principal directions, S**2 / (m - 1) the variances along them. q (default
    min(6, m, n)) must lie in 0..min(m, n). PyTorch's torch.pca_lowrank; gradients for A."""
    A = _matrices("pca_lowrank", A)  # noqa: N806
    center = check_flag("pca_lowrank", "center", center)
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else integer("pca_lowrank", "q", q)
    if not 0 <= q <= min(m, n):
        raise ValueError(f"pca_lowrank: q must lie in 0..min(m, n) = {min(m, n)} for A of "
                         f"shape {A.shape}, got q={q}")
    niter = _iterations("pca_lowrank", niter)
    if center:
        A = A - A.mean(axis=-2, keepdims=True)  # noqa: N806
    return svd_lowrank(A, q, niter)


Tensor.geqrf = _method(geqrf)  # (PyTorch's x.geqrf())

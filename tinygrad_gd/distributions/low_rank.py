"""`LowRankMultivariateNormal` (PyTorch's): a normal distribution of vectors whose covariance
is W W^T + D, W = cov_factor (n x m, m small), D = diag(cov_diag), and the kl_divergence
rules PyTorch registers for it with itself and with MultivariateNormal.

Nothing of size n x n is factored: log_prob and entropy go through the capacitance
matrix C = I + W^T D^-1 W (m x m) and its Cholesky factor L, as PyTorch's:
log det(W W^T + D) = 2 sum(log diag L) + sum(log D) (the matrix determinant lemma), and
x^T (W W^T + D)^-1 x = x^T D^-1 x - |L^-1 W^T D^-1 x|^2 (the Woodbury identity).
rsample is loc + W eps_m + sqrt(D) eps_n. scale_tril, covariance_matrix and
precision_matrix are formed on request (n x n). All of it is Tensor ops (tg.linalg's
cholesky and solve_triangular), so gradients reach loc, cov_factor and cov_diag.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import linalg
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, as_float_tensors, draw
from .kl import register_kl
from .multivariate import MultivariateNormal, _identity

__all__ = ["LowRankMultivariateNormal"]


def _capacitance_tril(factor: Tensor, diag: Tensor) -> Tensor:
    """The Cholesky factor of I + W^T D^-1 W."""
    wt_dinv = factor.mT / diag.unsqueeze(-2)
    return linalg.cholesky(wt_dinv @ factor + _identity(factor.shape[-1], factor.dtype))


def _lowrank_logdet(factor: Tensor, diag: Tensor, cap_tril: Tensor) -> Tensor:
    """log det(W W^T + D), by the matrix determinant lemma."""
    return 2 * linalg.diagonal(cap_tril).log().sum(-1) + diag.log().sum(-1)


def _tril_solve(tril: Tensor, rhs: Tensor) -> Tensor:
    """L^-1 B for matrices B, L broadcast over B's batch axes and B over L's."""
    shape = np.broadcast_shapes(tril.shape[:-2], rhs.shape[:-2])
    return linalg.solve_triangular(tril.broadcast_to(shape + tril.shape[-2:]),
                                   rhs.broadcast_to(shape + rhs.shape[-2:]), upper=False)


def _lowrank_mahalanobis(factor: Tensor, diag: Tensor, x: Tensor, cap_tril: Tensor) -> Tensor:
    """x^T (W W^T + D)^-1 x for each vector x (the last axis), by the Woodbury identity."""
    wt_dinv_x = ((factor.mT / diag.unsqueeze(-2)) @ x.unsqueeze(-1))  # (..., m, 1)
    return (x.square() / diag).sum(-1) - _tril_solve(cap_tril, wt_dinv_x).square().sum((-2, -1))


def _trace_xxt(x: Tensor) -> Tensor:
    """trace(X X^T), the squared Frobenius norm of each matrix."""
    return x.square().sum((-2, -1))


class LowRankMultivariateNormal(Distribution):
    """N(loc, cov_factor cov_factor^T + diag(cov_diag)) of vectors of length n: PyTorch's
    LowRankMultivariateNormal(loc, cov_factor, cov_diag), loc of shape (..., n), cov_factor
    (..., n, m), cov_diag (..., n) (> 0), their batch axes broadcast together."""

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True
    _given = ("loc", "cov_factor", "cov_diag")

    def __init__(self, loc: Any, cov_factor: Any, cov_diag: Any,
                 validate_args: bool | None = None) -> None:
        where = "LowRankMultivariateNormal"
        loc, factor, diag = as_float_tensors(where, loc, cov_factor, cov_diag)
        if loc.ndim < 1:
            raise ValueError(f"{where}: loc must have at least one axis (a vector of length "
                             f"n), got a single number; give loc of shape (..., n)")
        n = loc.shape[-1]
        if factor.ndim < 2 or factor.shape[-2] != n:
            raise ValueError(f"{where}: cov_factor must be matrices of shape (..., n, m) with "
                             f"n = {n} (loc's last axis), got shape {factor.shape}")
        if diag.ndim < 1 or diag.shape[-1] != n:
            raise ValueError(f"{where}: cov_diag must be vectors of shape (..., n) with n = "
                             f"{n} (loc's last axis), got shape {diag.shape}")
        try:
            batch = np.broadcast_shapes(loc.shape[:-1], factor.shape[:-2], diag.shape[:-1])
        except ValueError:
            raise ValueError(f"{where}: the batch axes of loc {loc.shape}, cov_factor "
                             f"{factor.shape} and cov_diag {diag.shape} do not broadcast "
                             f"together; give shapes whose leading axes do") from None
        m = factor.shape[-1]
        self.loc = loc if loc.shape == batch + (n,) else loc.broadcast_to(batch + (n,))
        self.cov_factor = factor if factor.shape == batch + (n, m) else factor.broadcast_to(
            batch + (n, m))
        self.cov_diag = diag if diag.shape == batch + (n,) else diag.broadcast_to(batch + (n,))
        self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag = factor, diag
        super().__init__(batch, (n,), validate_args=validate_args)
        self._capacitance_tril = _capacitance_tril(factor, diag)

    def _full(self, value: Tensor, event_axes: int) -> Tensor:
        """value broadcast to batch_shape + event_shape (* event_axes)."""
        shape = self._batch_shape + self._event_shape * event_axes
        return value if value.shape == shape else value.broadcast_to(shape)

    @property
    def mean(self) -> Tensor:
        return self.loc

    mode = mean

    @property
    def variance(self) -> Tensor:
        factor, diag = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return self._full(factor.square().sum(-1) + diag, 1)

    @property
    def scale_tril(self) -> Tensor:
        # D^(1/2) chol(I + D^(-1/2) W W^T D^(-1/2)): a factor of eigenvalues >= 1 (stable)
        n = self._event_shape[0]
        sqrt_d = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        scaled = self._unbroadcasted_cov_factor / sqrt_d
        inner = scaled @ scaled.mT + _identity(n, scaled.dtype)
        return self._full(sqrt_d * linalg.cholesky(inner), 2)

    @property
    def covariance_matrix(self) -> Tensor:
        factor, diag = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return self._full(factor @ factor.mT + diag.diag_embed(), 2)

    @property
    def precision_matrix(self) -> Tensor:
        # Woodbury: D^-1 - A^T A, A = L^-1 W^T D^-1
        a = _woodbury_a(self)
        return self._full(self._unbroadcasted_cov_diag.reciprocal().diag_embed() - a.mT @ a, 2)

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        shape = self._extended_shape(sample_shape)
        m = self.cov_factor.shape[-1]
        eps = draw("LowRankMultivariateNormal.rsample", generator, seed,
                   lambda rng: rng.standard_normal(shape[:-1] + (m + shape[-1],)), self._dtype)
        eps_w, eps_d = eps[..., :m], eps[..., m:]
        low_rank = (self._unbroadcasted_cov_factor @ eps_w.unsqueeze(-1))[..., 0]
        return self.loc + low_rank + self._unbroadcasted_cov_diag.sqrt() * eps_d

    def _log_det(self) -> Tensor:
        return _lowrank_logdet(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag,
                               self._capacitance_tril)

    def log_prob(self, value: Any) -> Tensor:
        diff = self._value(value, "log_prob") - self.loc
        mahalanobis = _lowrank_mahalanobis(self._unbroadcasted_cov_factor,
                                           self._unbroadcasted_cov_diag, diff,
                                           self._capacitance_tril)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + self._log_det() + mahalanobis)

    def entropy(self) -> Tensor:
        n = self._event_shape[0]
        out = 0.5 * (n * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return out if out.shape == self._batch_shape else out.broadcast_to(self._batch_shape)


# -- kl_divergence rules -----------------------------------------------------------------------
def _same_events(p: Distribution, q: Distribution) -> None:
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: {type(p).__name__} and {type(q).__name__} of "
                         f"different event shapes, {p.event_shape} and {q.event_shape}; give "
                         f"vectors of one length")


def _woodbury_a(q: LowRankMultivariateNormal) -> Tensor:
    """A = L^-1 W^T D^-1 of q: Sigma_q^-1 = D^-1 - A^T A."""
    factor, diag = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    return _tril_solve(q._capacitance_tril, factor.mT / diag.unsqueeze(-2))


def _mahalanobis_q(q: LowRankMultivariateNormal, p: Distribution) -> Tensor:
    return _lowrank_mahalanobis(q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag,
                                q.loc - p.loc, q._capacitance_tril)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p: LowRankMultivariateNormal, q: LowRankMultivariateNormal) -> Tensor:
    _same_events(p, q)
    a = _woodbury_a(q)
    p_w, p_d = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    q_d = q._unbroadcasted_cov_diag
    # trace(Sigma_q^-1 Sigma_p) = trace((D_q^-1 - A^T A)(D_p + W_p W_p^T)), term by term
    term2 = ((p_d / q_d).sum(-1) + _trace_xxt(p_w * q_d.rsqrt().unsqueeze(-1))
             - _trace_xxt(a * p_d.sqrt().unsqueeze(-2)) - _trace_xxt(a @ p_w))
    term1 = q._log_det() - p._log_det()
    return 0.5 * (term1 + term2 + _mahalanobis_q(q, p) - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p: MultivariateNormal, q: LowRankMultivariateNormal) -> Tensor:
    _same_events(p, q)
    p_tril = p._unbroadcasted_scale_tril
    term1 = q._log_det() - 2 * p._half_log_det()
    term2 = (_trace_xxt(p_tril * q._unbroadcasted_cov_diag.rsqrt().unsqueeze(-1))
             - _trace_xxt(_woodbury_a(q) @ p_tril))
    return 0.5 * (term1 + term2 + _mahalanobis_q(q, p) - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p: LowRankMultivariateNormal, q: MultivariateNormal) -> Tensor:
    _same_events(p, q)
    q_tril = q._unbroadcasted_scale_tril
    term1 = 2 * q._half_log_det() - p._log_det()
    diff = (q.loc - p.loc).unsqueeze(-1)
    term3 = _tril_solve(q_tril, diff).square().sum((-2, -1))
    # trace(Sigma_q^-1 (W W^T + D)) = |L_q^-1 W|^2 + |L_q^-1 D^(1/2)|^2
    term2 = (_trace_xxt(_tril_solve(q_tril, p._unbroadcasted_cov_factor))
             + _trace_xxt(_tril_solve(q_tril, p._unbroadcasted_cov_diag.sqrt().diag_embed())))
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])

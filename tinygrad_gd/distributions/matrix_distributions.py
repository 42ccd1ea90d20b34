"""Distributions of matrices: `LKJCholesky` and `Wishart` (PyTorch's, with its formulas).

LKJCholesky(dim, concentration) is the distribution of the lower Cholesky factor L of a
dim x dim correlation matrix M = L L^T with density proportional to det(M)**(eta - 1)
(eta the concentration). Its log_prob is sum over i >= 1 of (2 eta - 2 + dim - i - 1)
log L_ii (the density of M times the Jacobian of L -> M), less the log normalizer of
Lewandowski, Kurowicka and Joe (2009). `sample` is their onion method as PyTorch's: row
i of L is sqrt(y_i) times a uniform direction in its first i entries, y_i a
Beta(i / 2, eta + (dim - 2 - i) / 2) draw (i >= 1), and the diagonal entry makes the row
of unit length. (PyTorch 2.13's takes Beta(i - 1/2, ...): its draws for dim >= 3 are not
of its own log_prob's density, their correlations too spread; these are.) There is no
rsample (has_rsample False, as PyTorch's).

Wishart(df, covariance_matrix= | precision_matrix= | scale_tril=) is the distribution of
X = sum of df outer products of N(0, Sigma) vectors, for real df > p - 1 (p x p
matrices). It works through the lower Cholesky factor L of Sigma, as MultivariateNormal
does: log_prob is -df (p log 2 / 2 + log det L) - log Gamma_p(df / 2)
+ (df - p - 1) / 2 log det X - tr(Sigma^-1 X) / 2. rsample is the Bartlett
decomposition: X = (L A)(L A)^T with A lower triangular, A_ii the square root of a
Chi2(df - i) draw and the entries below the diagonal standard normal draws, so gradients
reach df through the Chi2 draws' implicit gradient (gamma_ops.py) and Sigma through L.
A draw that is not positive-definite (likely only for p - 1 < df < p) is drawn again, up
to `max_try_correction` times, with a warning (PyTorch's redraws the valid ones instead,
a slip of its code). Wishart is an ExponentialFamily, as PyTorch's, with natural
parameters (-Sigma^-1 / 2, (df - p - 1) / 2); kl_divergence of two is in closed form
(PyTorch's Bregman one mixes a batch's entries and sends p no gradient).
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..errors import user_stacklevel
from .. import linalg
from ..creation import make_generator
from ..functional import where
from ..linalg_toplevel import cholesky_solve
from ..nn.layer_arguments import _constant
from ..ops.arguments import integer
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, _first_bad, as_float_tensors, broadcast_all, constant
from .distribution import draw
from .exponential_family import ExponentialFamily
from .gamma_family import Beta, Chi2
from .kl import register_kl
from .multivariate import _GivenSigma, _identity, _one_matrix, _scale_tril

__all__ = ["LKJCholesky", "Wishart"]


def _counting(stop: int, dtype: Any, start: int = 0) -> Tensor:
    """start, start + 1, ..., stop - 1 as a named constant in `dtype`."""
    return _constant(np.arange(start, stop), f"{start}, ..., {stop - 1}", dtype)


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """The multivariate digamma function of dimension p (the slope of x.mvlgamma(p)):
    sum over i < p of digamma(x - i / 2)."""
    return (x[..., None] - _counting(p, x.dtype) / 2).digamma().sum(axis=-1)


class LKJCholesky(Distribution):
    """The LKJ distribution of lower Cholesky factors L of dim x dim correlation matrices,
    L L^T of density proportional to det(L L^T)**(concentration - 1): PyTorch's
    LKJCholesky(dim, concentration=1.0) (concentration 1: uniform over correlation
    matrices)."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky
    has_rsample = False
    _given = ("concentration",)

    def __init__(self, dim: int, concentration: Any = 1.0,
                 validate_args: bool | None = None) -> None:
        dim = integer("LKJCholesky", "dim", dim)
        if dim < 2:
            raise ValueError(f"LKJCholesky: dim (the size of the matrices) must be an integer "
                             f">= 2, got dim={dim}")
        self.dim = dim
        (self.concentration,) = broadcast_all("LKJCholesky", concentration)
        super().__init__(self.concentration.shape, (dim, dim), validate_args=validate_args)
        # the onion method's Beta draws, row i's Beta(i / 2, eta + (dim - 2 - i) / 2) for
        # i >= 1 (row 0's is not used): Sec. 3.2 of Lewandowski, Kurowicka and Joe
        half = 0.5 * np.concatenate([[0.0], np.arange(dim - 1)])
        dtype = self._dtype
        conc1 = _constant(np.broadcast_to(half + 0.5, self._batch_shape + (dim,)),
                          "LKJCholesky Beta concentration1", dtype)
        marginal = self.concentration + 0.5 * (dim - 2)
        conc0 = marginal[..., None] - _constant(half, "(i - 1) / 2", dtype)
        self._beta = Beta(conc1, conc0, validate_args=False)

    def expand(self, batch_shape: Any, _instance: Any = None) -> "LKJCholesky":
        shape = self._expanded_shape(batch_shape)
        new = LKJCholesky(self.dim, self.concentration.broadcast_to(shape), validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        where_ = "LKJCholesky.sample"
        rng = make_generator(seed, generator, where_)
        shape = self._extended_shape(sample_shape)
        y = np.asarray(self._beta.sample(sample_shape, generator=rng)._data, np.float64)
        normal = np.tril(rng.standard_normal(shape), -1)
        norms = np.linalg.norm(normal, axis=-1, keepdims=True)
        # row 0 has no entry below the diagonal: its direction is 0, not 0 / 0
        direction = np.divide(normal, norms, out=np.zeros(shape), where=norms > 0)
        w = np.sqrt(y)[..., None] * direction
        tiny = np.finfo(self._dtype).tiny  # (keeps the diagonal > 0: log_prob stays finite)
        diagonal = np.sqrt(np.maximum(1.0 - np.square(w).sum(-1), tiny))
        w += diagonal[..., None] * np.eye(self.dim)
        return constant(w, self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        dim, c = self.dim, self.concentration
        diagonal = linalg.diagonal(value)[..., 1:]
        # exponent of L_ii: 2 (c - 1) for det(M), dim - i - 1 the Jacobian of L -> L L^T
        order = 2.0 * (c - 1.0)[..., None] + (dim - _counting(dim + 1, self._dtype, 2))
        unnormalized = (order * diagonal.log()).sum(axis=-1)
        alpha = c + 0.5 * (dim - 1)
        normalizer = (0.5 * (dim - 1) * math.log(math.pi) + (alpha - 0.5).mvlgamma(dim - 1)
                      - (dim - 1) * alpha.lgamma())
        return unnormalized - normalizer


class Wishart(_GivenSigma, ExponentialFamily):
    """The Wishart distribution of p x p positive-definite matrices with df > p - 1 degrees
    of freedom and scale Sigma: PyTorch's Wishart(df, covariance_matrix=None,
    precision_matrix=None, scale_tril=None), Sigma given as covariance_matrix=,
    precision_matrix= (its inverse) or scale_tril= (its lower Cholesky factor), exactly
    one. Its mean is df Sigma."""

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:  # type: ignore[override]
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self._event_shape[-1] - 1)}

    def __init__(self, df: Any, covariance_matrix: Any = None, precision_matrix: Any = None,
                 scale_tril: Any = None, validate_args: bool | None = None) -> None:
        where_ = "Wishart"
        name, matrix = _one_matrix(where_, covariance_matrix, precision_matrix, scale_tril)
        df, matrix = as_float_tensors(where_, df, matrix)
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2] or matrix.shape[-1] < 1:
            raise ValueError(f"{where_}: {name} must be square matrices of shape (..., p, p), "
                             f"p >= 1, got shape {matrix.shape}")
        try:
            batch_shape = np.broadcast_shapes(matrix.shape[:-2], df.shape)
        except ValueError:
            raise ValueError(f"{where_}: the batch axes of df (shape {df.shape}) and {name} "
                             f"(shape {matrix.shape}) do not broadcast together") from None
        p = matrix.shape[-1]
        low = df._data <= p - 1
        if low.any():  # (refused whatever validate_args, as PyTorch's)
            raise ValueError(f"{where_}: df must be > p - 1 = {p - 1} (p = {p}, the size of "
                             f"the matrices), got {_first_bad(~low, df._data)}; give df > "
                             f"{p - 1}")
        if (df._data < p).any():
            warnings.warn(f"{where_}: low df values detected (df < p = {p}): singular "
                          f"samples are highly likely for p - 1 < df < p",
                          stacklevel=user_stacklevel())
        self.df = df if df.shape == batch_shape else df.broadcast_to(batch_shape)
        self._given, self._name = (name, "df"), name
        self._matrix = matrix if matrix.shape[:-2] == batch_shape \
            else matrix.broadcast_to(batch_shape + (p, p))
        super().__init__(batch_shape, (p, p), validate_args=validate_args)
        self._unbroadcasted_scale_tril = _scale_tril(name, matrix)

    def expand(self, batch_shape: Any, _instance: Any = None) -> "Wishart":
        shape = self._expanded_shape(batch_shape)
        p = self._event_shape[-1]
        new = Wishart.__new__(Wishart)
        new.df, new._given, new._name = self.df.broadcast_to(shape), self._given, self._name
        new._matrix = self._matrix.broadcast_to(shape + (p, p))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        Distribution.__init__(new, shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    # -- statistics ------------------------------------------------------------------------
    def _df_matrix(self) -> Tensor:
        """df with two axes more, to scale a batch of matrices."""
        return self.df[..., None, None]

    @property
    def mean(self) -> Tensor:
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        factor = self.df - (self._event_shape[-1] + 1)
        factor = where(factor._data <= 0, np.nan, factor)  # (no mode for df <= p + 1)
        return factor[..., None, None] * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        cov = self.covariance_matrix
        diagonal = linalg.diagonal(cov)
        return self._df_matrix() * (cov.square() + diagonal[..., :, None] * diagonal[..., None, :])

    def _log_det_factor(self) -> Tensor:
        """p log 2 / 2 + log det L (half of log det (2 Sigma))."""
        p = self._event_shape[-1]
        low = linalg.diagonal(self._unbroadcasted_scale_tril).log().sum(axis=-1)
        return p * math.log(2) / 2 + low

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        nu, p = self.df, self._event_shape[-1]
        trace = linalg.diagonal(cholesky_solve(value, self._unbroadcasted_scale_tril)).sum(-1)
        return (-nu * self._log_det_factor() - (nu / 2).mvlgamma(p)
                + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet - trace / 2)

    def entropy(self) -> Tensor:
        nu, p = self.df, self._event_shape[-1]
        return ((p + 1) * self._log_det_factor() + (nu / 2).mvlgamma(p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-linalg.slogdet(-2 * x).logabsdet + p * math.log(2))
                + (y + (p + 1) / 2).mvlgamma(p))

    # -- draws -----------------------------------------------------------------------------
    def _bartlett(self, sample_shape: tuple, rng: np.random.Generator) -> Tensor:
        """L A (L A)^T, A lower triangular: sqrt(Chi2(df - i)) on the diagonal, standard
        normal draws below it."""
        p, dtype = self._event_shape[-1], self._dtype
        chi2 = Chi2(self.df[..., None] - _counting(p, dtype), validate_args=False)
        eps = np.finfo(dtype).eps  # (PyTorch's floor of the diagonal)
        diagonal = chi2.rsample(sample_shape, generator=rng).sqrt().clamp(min=eps)
        shape = tuple(sample_shape) + self._batch_shape + (p, p)
        below = draw("Wishart.rsample", rng, None,
                     lambda r: np.tril(r.standard_normal(shape), -1), dtype)
        factor = self._unbroadcasted_scale_tril @ (
            diagonal[..., None, :] * _identity(p, dtype) + below)
        return factor @ factor.mT

    def rsample(self, sample_shape: Any = (), max_try_correction: int | None = None, *,
                generator: Any = None, seed: Any = None) -> Tensor:
        """Reparameterized draws by the Bartlett decomposition; a draw that is not
        positive-definite is drawn again, up to max_try_correction (10) times, with a
        warning."""
        where_ = "Wishart.rsample"
        tries = 10 if max_try_correction is None else integer(where_, "max_try_correction",
                                                              max_try_correction)
        rng = make_generator(seed, generator, where_)
        sample_shape = self._sample_shape(sample_shape)
        sample = self._bartlett(sample_shape, rng)
        singular = ~np.asarray(self.support.check(sample))
        if singular.any():
            warnings.warn(f"{where_}: singular sample detected; drawing it again",
                          stacklevel=user_stacklevel())
            for _ in range(tries):
                if not singular.any():
                    break
                sample = where(singular[..., None, None], self._bartlett(sample_shape, rng),
                               sample)
                singular = ~np.asarray(self.support.check(sample))
        return sample


@register_kl(Wishart, Wishart)
def _kl_wishart_wishart(p: Wishart, q: Wishart) -> Tensor:
    """KL(W(n1, S1) || W(n2, S2)) = n2 / 2 (log det S2 - log det S1)
    + n1 / 2 (tr(S2^-1 S1) - p) + log Gamma_p(n2 / 2) - log Gamma_p(n1 / 2)
    + (n1 - n2) / 2 psi_p(n1 / 2), in closed form. (PyTorch's goes by the Bregman
    divergence of ExponentialFamily, which sums df's term over the batch: right for one
    distribution, wrong for a batch.)"""
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: Wishart distributions of matrices of shapes "
                         f"{p.event_shape} and {q.event_shape}; give matrices of one size")
    size = p.event_shape[-1]
    n1, n2 = p.df, q.df
    low_p, low_q = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    try:
        shape = np.broadcast_shapes(low_p.shape, low_q.shape, p.batch_shape + p.event_shape,
                                    q.batch_shape + q.event_shape)
    except ValueError:
        raise ValueError(f"kl_divergence: the Wisharts' batch_shapes {p.batch_shape} and "
                         f"{q.batch_shape} do not broadcast together") from None
    ratio = linalg.solve_triangular(low_q.broadcast_to(shape), low_p.broadcast_to(shape),
                                    upper=False)
    trace = ratio.square().sum(axis=(-2, -1))
    log_det_ratio = 2 * (q._log_det_factor() - p._log_det_factor())
    return (n2 / 2 * log_det_ratio + n1 / 2 * (trace - size) + (n2 / 2).mvlgamma(size)
            - (n1 / 2).mvlgamma(size) + (n1 - n2) / 2 * _mvdigamma(n1 / 2, size))

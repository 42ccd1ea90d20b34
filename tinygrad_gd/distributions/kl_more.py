"""The kl_divergence rules PyTorch registers that kl.py, continuous_bernoulli.py and
low_rank.py do not: registered with register_kl on import.

    Cauchy-Cauchy, Geometric-Geometric, Gumbel-Gumbel, HalfNormal-HalfNormal,
    LogNormal-LogNormal and LogNormal-TransformedDistribution either way (PyTorch's
    TransformedDistribution rule: the base distributions' KL, for equal transforms)
    Beta-Exponential, Beta-Gamma, Beta-Normal, Beta-Uniform
    Exponential-Gumbel, Exponential-Normal, Gamma-Gumbel, Gamma-Normal
    Gumbel-Normal, Laplace-Normal, Normal-Gumbel
    Uniform-Beta, Uniform-Exponential, Uniform-Gamma, Uniform-Gumbel, Uniform-Normal
    inf: the 16 pairs of those PyTorch registers where q's support misses part of p's
    (Exponential-Beta, Gumbel-Gamma, Laplace-Uniform, Normal-Exponential, ...)

Each is PyTorch's closed form, composed of Tensor ops (gradients reach both distributions'
parameters through backward()), of the broadcast batch shape of p and q (batch shapes that
do not broadcast: a one-line ValueError). Where they differ from PyTorch's: an infinite
divergence has the broadcast batch shape (PyTorch's has p's); the Uniform and Beta-Uniform
rules take batches of different shapes (PyTorch's boolean index of the inf entries fails),
and the inf entries' gradients are 0, not NaN; two Geometrics of probs 1 have divergence 0
(PyTorch's is inf). exp(loc / scale) of a Gumbel is taken with the factor it multiplies, in
log space; Cauchy-Cauchy is a log1p and Uniform-Gumbel's E[exp(-z)] an expm1 (a width
below the Gumbel's scale), so a divergence near 0 or a narrow Uniform keeps its digits;
there, past float64, Uniform-Gumbel is inf where PyTorch's is inf - inf = NaN.
"""
from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np

from ..functional import where
from ..tensor import Tensor
from .continuous import _EULER_GAMMA, Cauchy, Exponential, Gumbel, HalfNormal, Laplace, \
    LogNormal, Normal, Uniform
from .discrete import Bernoulli, Geometric
from .distribution import Distribution
from .gamma_family import Beta, Gamma
from .kl import _batch_shape, _infinite, _infinite_where, kl_divergence, register_kl
from .transformed import TransformedDistribution

__all__: list[str] = []

_LOG_2PI = math.log(2 * math.pi)


def _register(type_p: type, type_q: type) -> Callable:
    """register_kl, the rule run after p's and q's batch shapes are checked."""
    def decorator(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def rule(p: Distribution, q: Distribution) -> Tensor:
            _batch_shape(p, q)
            return fn(p, q)
        register_kl(type_p, type_q)(rule)
        return fn
    return decorator


for _p, _q in [(Exponential, Beta), (Exponential, Uniform), (Gamma, Beta), (Gamma, Uniform),
               (Gumbel, Beta), (Gumbel, Exponential), (Gumbel, Gamma), (Gumbel, Uniform),
               (Laplace, Beta), (Laplace, Exponential), (Laplace, Gamma), (Laplace, Uniform),
               (Normal, Beta), (Normal, Exponential), (Normal, Gamma), (Normal, Uniform)]:
    register_kl(_p, _q)(_infinite)
del _p, _q


# -- two of one family ---------------------------------------------------------------------
@_register(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Cauchy, q: Cauchy) -> Tensor:
    # log(((s_p + s_q)^2 + d^2) / (4 s_p s_q)), as log1p: exact where p and q are close
    spread = (p.scale - q.scale).square() + (p.loc - q.loc).square()
    return (spread / (4 * p.scale * q.scale)).log1p()


def _as_bernoulli(dist: Geometric) -> Bernoulli:
    """The Bernoulli of dist's success probability, given as dist's own parameter was."""
    if dist._probs is not None:
        return Bernoulli(probs=dist._probs, validate_args=False)
    return Bernoulli(logits=dist._logits, validate_args=False)


@_register(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> Tensor:
    # one trial's divergence times the expected number of trials, 1 / p.probs: PyTorch's
    # -H(p) - log1p(-q) / p - q.logits, rearranged (0, not inf, where both probs are 1)
    return kl_divergence(_as_bernoulli(p), _as_bernoulli(q)) / p.probs


@_register(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    scale_ratio = p.scale / q.scale
    loc_diff = (p.loc - q.loc) / q.scale
    t3 = (-loc_diff + (1 + scale_ratio).lgamma()).exp()
    return -scale_ratio.log() + loc_diff + scale_ratio * _EULER_GAMMA + t3 - (1 + _EULER_GAMMA)


@_register(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Tensor:
    return kl_divergence(p._normal(), q._normal())


@_register(LogNormal, LogNormal)
@_register(LogNormal, TransformedDistribution)
@_register(TransformedDistribution, LogNormal)
def _kl_lognormal_transformed(p: LogNormal | TransformedDistribution,
                              q: LogNormal | TransformedDistribution) -> Tensor:
    """PyTorch's LogNormal is a TransformedDistribution (exp of a Normal): its rule, the
    divergence of the base distributions where the transforms are equal."""
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError(f"kl_divergence: {type(p).__name__} and {type(q).__name__} "
                                  f"with different transforms or event shapes have no rule "
                                  f"(as in PyTorch)")
    return kl_divergence(p.base_dist, q.base_dist)


# -- p bounded or positive, q a Normal, Gumbel, Exponential or Gamma -------------------------
def _normal_cross_entropy(mean: Tensor, second_moment: Tensor, q: Normal) -> Tensor:
    """-E_p[log q(x)] for q Normal, from p's E[x] and E[x^2]."""
    return (0.5 * _LOG_2PI + q.scale.log()
            + (second_moment - 2 * q.loc * mean + q.loc.square()) / (2 * q.scale.square()))


def _gumbel_cross_entropy(mean: Tensor, log_mgf: Tensor, q: Gumbel) -> Tensor:
    """-E_p[log q(x)] for q Gumbel: log scale + E[z] + E[exp(-z)], z = (x - loc) / scale,
    from p's E[x] and log E[exp(-x / scale)]."""
    ratio = q.loc / q.scale
    return q.scale.log() + mean / q.scale - ratio + (ratio + log_mgf).exp()


@_register(Beta, Exponential)
def _kl_beta_exponential(p: Beta, q: Exponential) -> Tensor:
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@_register(Beta, Gamma)
def _kl_beta_gamma(p: Beta, q: Gamma) -> Tensor:
    mean_log = p.concentration1.digamma() - (p.concentration1 + p.concentration0).digamma()
    return (-p.entropy() + q.concentration.lgamma() - q.concentration * q.rate.log()
            - (q.concentration - 1) * mean_log + q.rate * p.mean)


@_register(Beta, Normal)
def _kl_beta_normal(p: Beta, q: Normal) -> Tensor:
    mean = p.mean
    return -p.entropy() + _normal_cross_entropy(mean, p.variance + mean.square(), q)


@_register(Beta, Uniform)
def _kl_beta_uniform(p: Beta, q: Uniform) -> Tensor:
    result = -p.entropy() + (q.high - q.low).log()
    return _infinite_where((q.low._data > 0) | (q.high._data < 1), result)


@_register(Exponential, Gumbel)
def _kl_exponential_gumbel(p: Exponential, q: Gumbel) -> Tensor:
    # E[exp(-x / s)] = rate s / (rate s + 1)
    log_mgf = -(p.rate * q.scale).reciprocal().log1p()
    return -p.entropy() + _gumbel_cross_entropy(p.mean, log_mgf, q)


@_register(Exponential, Normal)
def _kl_exponential_normal(p: Exponential, q: Normal) -> Tensor:
    mean = p.mean
    return -p.entropy() + _normal_cross_entropy(mean, 2 * mean.square(), q)


@_register(Gamma, Gumbel)
def _kl_gamma_gumbel(p: Gamma, q: Gumbel) -> Tensor:
    # E[exp(-x / s)] = (1 + 1 / (rate s))^-concentration
    log_mgf = -p.concentration * (p.rate * q.scale).reciprocal().log1p()
    return -p.entropy() + _gumbel_cross_entropy(p.mean, log_mgf, q)


@_register(Gamma, Normal)
def _kl_gamma_normal(p: Gamma, q: Normal) -> Tensor:
    mean = p.mean
    second_moment = (p.concentration + 1) * mean / p.rate
    return -p.entropy() + _normal_cross_entropy(mean, second_moment, q)


@_register(Gumbel, Normal)
def _kl_gumbel_normal(p: Gumbel, q: Normal) -> Tensor:
    mean = p.mean
    return -p.entropy() + _normal_cross_entropy(mean, p.variance + mean.square(), q)


@_register(Laplace, Normal)
def _kl_laplace_normal(p: Laplace, q: Normal) -> Tensor:
    return -p.entropy() + _normal_cross_entropy(p.loc, p.variance + p.loc.square(), q)


@_register(Normal, Gumbel)
def _kl_normal_gumbel(p: Normal, q: Gumbel) -> Tensor:
    # E[exp(-x / s)] = exp(-loc / s + scale^2 / (2 s^2))
    log_mgf = -p.loc / q.scale + 0.5 * (p.scale / q.scale).square()
    return -p.entropy() + _gumbel_cross_entropy(p.loc, log_mgf, q)


# -- p Uniform ---------------------------------------------------------------------------
def _within(p: Uniform, outside: np.ndarray, shape: tuple) -> tuple[Tensor, Tensor]:
    """p's low and high of the broadcast shape, (0.25, 0.75) where `outside` (those entries
    are inf): the closed form stays finite there, and so do the gradients."""
    outside = np.broadcast_to(outside, shape)
    return (where(outside, 0.25, p.low.broadcast_to(shape)),
            where(outside, 0.75, p.high.broadcast_to(shape)))


def _mean_log(low: Tensor, high: Tensor) -> Tensor:
    """E[log x] for x ~ Uniform(low, high), 0 <= low < high."""
    return (high.xlogy(high) - low.xlogy(low)) / (high - low) - 1


@_register(Uniform, Beta)
def _kl_uniform_beta(p: Uniform, q: Beta) -> Tensor:
    outside = (p.low._data < 0) | (p.high._data > 1)
    low, high = _within(p, outside, _batch_shape(p, q))
    a, b = q.concentration1, q.concentration0
    log_beta = a.lgamma() + b.lgamma() - (a + b).lgamma()
    # E[log(1 - x)] is E[log y] for y ~ Uniform(1 - high, 1 - low)
    result = (log_beta - (high - low).log() - (a - 1) * _mean_log(low, high)
              - (b - 1) * _mean_log(1 - high, 1 - low))
    return _infinite_where(outside, result)


@_register(Uniform, Exponential)
def _kl_uniform_exponential(p: Uniform, q: Exponential) -> Tensor:
    outside = p.low._data < 0
    low, high = _within(p, outside, _batch_shape(p, q))
    result = q.rate * (high + low) / 2 - ((high - low) * q.rate).log()
    return _infinite_where(outside, result)


@_register(Uniform, Gamma)
def _kl_uniform_gamma(p: Uniform, q: Gamma) -> Tensor:
    outside = p.low._data < 0
    low, high = _within(p, outside, _batch_shape(p, q))
    c = q.concentration
    result = (-(high - low).log() + c.lgamma() - c * q.rate.log()
              + (1 - c) * _mean_log(low, high) + q.rate * (high + low) / 2)
    return _infinite_where(outside, result)


@_register(Uniform, Gumbel)
def _kl_uniform_gumbel(p: Uniform, q: Gumbel) -> Tensor:
    low_z = (p.low - q.loc) / q.scale
    high_z = (p.high - q.loc) / q.scale
    width_z = (p.high - p.low) / q.scale
    # E[exp(-z)] = (exp(-low_z) - exp(-high_z)) / width_z: PyTorch's difference, so past
    # float64 its inf, NaN and gradients too (high's -inf: exp(-low_z) times an expm1 of the
    # width gave inf - inf = NaN); by expm1 where narrow, where the difference cancels. Each
    # side gets inputs the other's entries leave finite: no 0 * inf = NaN crosses over
    narrow = width_z._data < 1
    near_low, near_width = where(narrow, low_z, 0.0), where(narrow, width_z, 1.0)
    by_expm1 = (-near_low).exp() * (-(-near_width).expm1()) / near_width
    far_low, far_high = where(narrow, 0.0, low_z), where(narrow, 1.0, high_z)
    by_difference = ((-far_low).exp() - (-far_high).exp()) / where(narrow, 1.0, width_z)
    mean_exp = where(narrow, by_expm1, by_difference)
    return -width_z.log() + 0.5 * (low_z + high_z) + mean_exp


@_register(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal) -> Tensor:
    mean = p.mean
    return -p.entropy() + _normal_cross_entropy(mean, p.variance + mean.square(), q)

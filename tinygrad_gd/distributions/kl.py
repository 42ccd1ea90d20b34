"""`kl_divergence(p, q)`, KL(p || q) = E_p[log p(x) - log q(x)], and `register_kl`, which
adds a rule for a pair of distribution classes (PyTorch's torch.distributions.kl).

A pair is looked up by the classes of p and q: the rule registered for the most specific
classes they are instances of (p's first, then q's, along their method resolution
orders), so a subclass inherits its parent's rule. A pair without one is a
NotImplementedError naming both classes. The rules here, each in closed form composed of
Tensor ops (gradients to both distributions' parameters through backward()):
Normal-Normal, Bernoulli-Bernoulli, Categorical-Categorical, OneHotCategorical-
OneHotCategorical, Exponential-Exponential, Uniform-Uniform, Laplace-Laplace,
MultivariateNormal-MultivariateNormal and Independent-Independent; Poisson-Poisson,
Gamma-Gamma, Beta-Beta, Dirichlet-Dirichlet, Binomial-Binomial (p's total_count >= q's),
TransformedDistribution-TransformedDistribution (equal transforms), and PyTorch's mixed
pairs Exponential-Gamma, Gamma-Exponential, Normal-Laplace, Bernoulli-Poisson,
Poisson-Bernoulli and Poisson-Binomial (inf). Where q gives 0 to what p does not (a
category, Uniform's range outside q's), the divergence is inf. Two of one ExponentialFamily
without a rule of their own (a family a user defines) take PyTorch's
Bregman divergence of the log normalizer; two different families, a NotImplementedError.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..functional import where
from ..tensor import Tensor
from .continuous import _EULER_GAMMA, Exponential, Laplace, Normal, Uniform
from .counts import Binomial, Poisson
from .discrete import Bernoulli, Categorical, OneHotCategorical
from .distribution import Distribution, constant
from .exponential_family import ExponentialFamily, summed_per_distribution
from .gamma_family import Beta, Dirichlet, Gamma
from .multivariate import Independent, MultivariateNormal, _lower_solve
from .transformed import TransformedDistribution

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict[tuple[type, type], Callable[[Any, Any], Tensor]] = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """A decorator that registers `fn(p, q)` as KL(p || q) for p of class type_p and q of
    class type_q (or subclasses of them): `@register_kl(Normal, Normal)`."""
    for name, kind in (("type_p", type_p), ("type_q", type_q)):
        if not (isinstance(kind, type) and issubclass(kind, Distribution)):
            raise TypeError(f"register_kl: {name} must be a subclass of Distribution, got "
                            f"{kind!r}")

    def decorator(fn: Callable) -> Callable:
        _KL_REGISTRY[type_p, type_q] = fn
        return fn
    return decorator


def _rule(type_p: type, type_q: type) -> Callable | None:
    """The rule of the most specific registered pair the classes belong to, or None."""
    matches = [(type_p.__mro__.index(p), type_q.__mro__.index(q), p, q)
               for p, q in _KL_REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return None
    _, _, p, q = min(matches, key=lambda m: m[:2])
    return _KL_REGISTRY[p, q]


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q), of the distributions' broadcast batch shape."""
    for name, dist in (("p", p), ("q", q)):
        if not isinstance(dist, Distribution):
            raise TypeError(f"kl_divergence: {name} must be a Distribution, got "
                            f"{type(dist).__name__}")
    fn = _rule(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"kl_divergence: no rule for {type(p).__name__} and "
                                  f"{type(q).__name__}; register one with "
                                  f"@register_kl({type(p).__name__}, {type(q).__name__})")
    return fn(p, q)


def _infinite_where(mask: np.ndarray, values: Tensor) -> Tensor:
    return where(np.broadcast_to(mask, values.shape), np.inf, values)


def _batch_shape(p: Distribution, q: Distribution) -> tuple[int, ...]:
    """The broadcast batch shape of p and q, or a one-line ValueError naming both."""
    try:
        return np.broadcast_shapes(p.batch_shape, q.batch_shape)
    except ValueError:
        a, b = type(p).__name__, type(q).__name__
        which = (f"{p.batch_shape} and {q.batch_shape} of the two {a}" if a == b else
                 f"{p.batch_shape} of {a} and {q.batch_shape} of {b}")
        raise ValueError(f"kl_divergence: the batch shapes {which} do not broadcast together; "
                         f"give shapes that do (equal, or 1 where they differ)") from None


def _infinite(p: Distribution, q: Distribution) -> Tensor:
    """inf, of the broadcast batch shape, in p's dtype: q gives 0 where p does not."""
    return constant(np.full(_batch_shape(p, q), math.inf), p._dtype)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale).square()
    t1 = ((p.loc - q.loc) / q.scale).square()
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    p_probs, q_probs = p.probs, q.probs
    t1 = p_probs * ((-q.logits).softplus() - (-p.logits).softplus())
    t1 = where(np.broadcast_to(p_probs._data == 0, t1.shape), 0.0,
               _infinite_where(q_probs._data == 0, t1))
    t2 = (1 - p_probs) * (q.logits.softplus() - p.logits.softplus())
    t2 = where(np.broadcast_to(p_probs._data == 1, t2.shape), 0.0,
               _infinite_where(q_probs._data == 1, t2))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    p_probs = p.probs
    t = p_probs * (p.logits - q.logits)
    t = _infinite_where(q.probs._data == 0, t)
    t = where(np.broadcast_to(p_probs._data == 0, t.shape), 0.0, t)
    return t.sum(axis=-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Tensor:
    rate_ratio = q.rate / p.rate
    return rate_ratio - rate_ratio.log() - 1


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low._data > p.low._data) | (q.high._data < p.high._data)
    return _infinite_where(outside, result)


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Tensor:
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -scale_ratio.log()
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * (-loc_abs_diff / p.scale).exp()
    return t1 + t2 + t3 - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: MultivariateNormals of different event shapes, "
                         f"{p.event_shape} and {q.event_shape}; give vectors of one length")
    n = p.event_shape[0]
    p_low, q_low = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = q._half_log_det() - p._half_log_det()
    # trace(Sigma_q^-1 Sigma_p) = |L_q^-1 L_p|_F^2, column by column (the rows of L_p.mT)
    term2 = _lower_solve(q_low.unsqueeze(-3), p_low.mT).square().sum(axis=(-2, -1))
    term3 = _lower_solve(q_low, q.loc - p.loc).square().sum(axis=-1)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(f"kl_divergence: Independent distributions of different "
                                  f"reinterpreted_batch_ndims ({p.reinterpreted_batch_ndims} "
                                  f"and {q.reinterpreted_batch_ndims}) have no rule")
    result = kl_divergence(p.base_dist, q.base_dist)
    k = p.reinterpreted_batch_ndims
    return result.sum(axis=tuple(range(-k, 0))) if k else result



@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Tensor:
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = q.concentration.lgamma() - p.concentration.lgamma()
    t3 = (p.concentration - q.concentration) * p.concentration.digamma()
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    p1, p0, q1, q0 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    total_p, total_q = p1 + p0, q1 + q0
    t1 = q1.lgamma() + q0.lgamma() + total_p.lgamma()
    t2 = p1.lgamma() + p0.lgamma() + total_q.lgamma()
    t3 = (p1 - q1) * p1.digamma() + (p0 - q0) * p0.digamma()
    return t1 - t2 + t3 + (total_q - total_p) * total_p.digamma()


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    total_p, total_q = p.concentration.sum(axis=-1), q.concentration.sum(axis=-1)
    t1 = total_p.lgamma() - total_q.lgamma()
    t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(axis=-1)
    t3 = p.concentration - q.concentration
    t4 = p.concentration.digamma() - total_p.digamma().unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(axis=-1)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> Tensor:
    p_count, q_count = p.total_count._data, q.total_count._data
    if np.any(p_count < q_count):
        raise NotImplementedError("kl_divergence: Binomials where q.total_count > "
                                  "p.total_count have no rule (as in PyTorch)")
    probs = p.probs
    kl = p.total_count * (probs * (p.logits - q.logits) + (-probs).log1p()
                          - (-q.probs).log1p())
    return _infinite_where(p_count > q_count, kl)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p: TransformedDistribution, q: TransformedDistribution
                                ) -> Tensor:
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError("kl_divergence: TransformedDistributions with different "
                                  "transforms or event shapes have no rule (as in PyTorch)")
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p: Exponential, q: Gamma) -> Tensor:
    ratio = q.rate / p.rate
    return (-q.concentration * ratio.log() + ratio + q.concentration.lgamma()
            + q.concentration * _EULER_GAMMA - (1 + _EULER_GAMMA))


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p: Gamma, q: Exponential) -> Tensor:
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p: Normal, q: Laplace) -> Tensor:
    loc_diff = p.loc - q.loc
    z = loc_diff / p.scale
    t1 = (p.scale / q.scale).log()
    t2 = math.sqrt(2 / math.pi) * p.scale * (-0.5 * z.square()).exp()
    t3 = loc_diff * (math.sqrt(0.5) * z).erf()
    return -t1 + (t2 + t3) / q.scale - 0.5 * (1 + math.log(0.5 * math.pi))


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p: Bernoulli, q: Poisson) -> Tensor:
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Poisson, Bernoulli)
@register_kl(Poisson, Binomial)
def _kl_poisson_infinity(p: Poisson, q: Distribution) -> Tensor:
    return constant(np.full(p.rate.shape, np.inf), p.rate.dtype)


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p: ExponentialFamily, q: ExponentialFamily) -> Tensor:
    """F(theta_q) - F(theta_p) - <theta_q - theta_p, grad F(theta_p)>, the Bregman divergence
    of the log normalizer F, for two of one family without a rule of their own (as
    PyTorch's: p's theta detached, so gradients reach q only; each term summed per
    distribution, where PyTorch's sums Wishart's df term over the batch)."""
    names = type(p).__name__, type(q).__name__
    if type(p) is not type(q):
        raise NotImplementedError(f"kl_divergence: {names[0]} and {names[1]} are different "
                                  f"exponential families (the Bregman divergence needs one); "
                                  f"register a rule with @register_kl({', '.join(names)})")
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: two {names[0]} of event shapes {p.event_shape} and "
                         f"{q.event_shape}; give distributions of one event shape")
    batch_shape = _batch_shape(p, q)
    p_params, p_log_normalizer, slopes = p._log_normalizer_slopes()
    q_params = q._natural_params
    result = q._log_normalizer(*q_params) - p_log_normalizer
    for p_param, q_param, slope in zip(p_params, q_params, slopes):
        result = result - summed_per_distribution((q_param - p_param.detach()) * slope,
                                                  batch_shape)
    return result

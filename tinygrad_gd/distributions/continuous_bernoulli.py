"""`ContinuousBernoulli` (PyTorch's, with its formulas), and the kl_divergence rules PyTorch
registers for it and for Pareto with the other distributions (continuous.py,
gamma_family.py, continuous_more.py).

The continuous Bernoulli has density C(p) p**x (1 - p)**(1 - x) on [0, 1]; near p = 1/2 (within
`lims`) its closed forms are 0/0, so the log normalizer, the mean and the variance take
PyTorch's Taylor expansions there. Just outside lims the closed forms still cancel, to
noise in float32 (PyTorch's variance at p = 0.4985 is off by 460%): they are computed in
float64, float32 results rounded from them. rsample is the icdf of uniform draws. The kl rules are
PyTorch's closed forms and its infinities (q giving 0 density where p does not), of the
broadcast batch shape, with one correction: a Uniform within [0, 1] and a
ContinuousBernoulli have a finite divergence either way round (PyTorch's is inf whenever the
Uniform touches 0 or 1, Uniform(0, 1) included). The Pareto rules give inf where PyTorch's
do (alpha <= 1 or 2, supports not nested), without NaN gradients from those entries.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..functional import where
from ..ops.arguments import number
from ..tensor import Tensor
from . import constraints
from .continuous import Exponential, Gumbel, Laplace, Normal, Uniform, _standard, _uniform_open
from .continuous_more import Pareto
from .discrete import _ProbsOrLogits, _binary_log_prob
from .distribution import Distribution
from .exponential_family import ExponentialFamily
from .gamma_family import Beta, Gamma
from .kl import _infinite, _infinite_where, register_kl

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(_ProbsOrLogits, ExponentialFamily):
    """Density C(p) p**x (1 - p)**(1 - x) on [0, 1], p = probs (sigmoid(logits)): PyTorch's
    ContinuousBernoulli(probs=, logits=, lims=(0.499, 0.501)); for probs within lims the
    normalizer ln C, the mean and the variance are Taylor expansions about p = 1/2 (the
    closed forms there are 0/0). probs is kept within [eps, 1 - eps], as PyTorch's."""

    support = constraints.unit_interval
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, probs: Any = None, logits: Any = None, lims: Any = (0.499, 0.501),
                 validate_args: bool | None = None) -> None:
        param = self._given_parameter(probs, logits)
        self._probs, self._logits = (param, None) if probs is not None else (None, param)
        if not (isinstance(lims, (tuple, list)) and len(lims) == 2):
            raise TypeError(f"ContinuousBernoulli: lims must be a pair (low, high), got "
                            f"{lims!r}")
        low, high = (number("ContinuousBernoulli", "lims", v) for v in lims)
        if not 0 < low < 0.5 < high < 1:  # (else p = 1/2 would take the 0/0 closed form)
            raise ValueError(f"ContinuousBernoulli: lims must be low < 0.5 < high within "
                             f"(0, 1), got {lims!r}; give e.g. (0.499, 0.501)")
        self._lims = (low, high)
        super().__init__(param.shape, validate_args=validate_args)
        if probs is not None:
            self._probs = self._clamped(param)

    @staticmethod
    def _clamped(probs: Tensor) -> Tensor:
        eps = float(np.finfo(probs.dtype).eps)
        return probs.clamp(eps, 1 - eps)

    def _from_logits(self) -> Tensor:
        return self._clamped(self._logits.sigmoid())

    def expand(self, batch_shape: Any, _instance: Any = None) -> "ContinuousBernoulli":
        new = Distribution.expand(self, batch_shape)
        new._lims = self._lims
        return new

    def _outside(self) -> np.ndarray:
        """Where probs is outside lims (the closed forms hold)."""
        p = self.probs._data
        return (p <= self._lims[0]) | (p > self._lims[1])

    def _cut_probs(self) -> Tensor:
        """probs where the closed forms hold (lims[0] within lims), in float64: near 1/2
        the closed forms cancel, and in float32 to noise (module docstring);
        `_where_outside` casts them back."""
        cut = where(self._outside(), self.probs, self._lims[0])
        return cut if cut.dtype == np.float64 else cut.to(np.float64)

    def _where_outside(self, closed: Tensor, within: Tensor) -> Tensor:
        """`closed` (a closed form of _cut_probs) outside lims, in the distribution's
        dtype; `within` (the expansion about 1/2, or the value) within them."""
        closed = closed if closed.dtype == self._dtype else closed.to(self._dtype)
        return where(self._outside(), closed, within)

    def _cont_bern_log_norm(self) -> Tensor:
        """ln C(p), C(p) = 2 artanh(1 - 2p) / (1 - 2p)."""
        cut = self._cut_probs()
        below = cut._data <= 0.5
        closed = (((-cut).log1p() - cut.log()).abs().log()
                  - where(below, (-2 * where(below, cut, 0.0)).log1p(),
                          (2 * where(cut._data >= 0.5, cut, 1.0) - 1).log()))
        x = (self.probs - 0.5).square()
        return self._where_outside(closed, math.log(2) + (4 / 3 + 104 / 45 * x) * x)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        closed = cut / (2 * cut - 1) + ((-cut).log1p() - cut.log()).reciprocal()
        x = self.probs - 0.5
        return self._where_outside(closed, 0.5 + (1 / 3 + 16 / 45 * x.square()) * x)

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        closed = (cut * (cut - 1) / (1 - 2 * cut).square()
                  + ((-cut).log1p() - cut.log()).square().reciprocal())
        x = (self.probs - 0.5).square()
        return self._where_outside(closed, 1 / 12 - (1 / 15 - 128 / 945 * x) * x)

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        u = _standard(self, sample_shape, generator, seed,
                      lambda rng, shape: _uniform_open(rng, shape, self._dtype))
        return self.icdf(u)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        return _binary_log_prob(self.logits, value) + self._cont_bern_log_norm()

    def cdf(self, value: Any) -> Tensor:
        value = self._value(value, "cdf")
        cut = self._cut_probs()
        closed = (cut.pow(value) * (1 - cut).pow(1 - value) + cut - 1) / (2 * cut - 1)
        inner = self._where_outside(closed, value)
        return where(value._data <= 0, 0.0, where(value._data >= 1, 1.0, inner))

    def icdf(self, value: Any) -> Tensor:
        value = self._probability(value)
        cut = self._cut_probs()
        closed = (((-cut + value * (2 * cut - 1)).log1p() - (-cut).log1p())
                  / (cut.log() - (-cut).log1p()))
        return self._where_outside(closed, value)

    def entropy(self) -> Tensor:
        log0, log1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log0 - log1) - self._cont_bern_log_norm() - log0

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.logits,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        """ln((e**x - 1) / x), its Taylor expansion for x within PyTorch's (lims - 1/2)
        (compared with the logit x, as PyTorch's)."""
        outside = (x._data <= self._lims[0] - 0.5) | (x._data > self._lims[1] - 0.5)
        cut = where(outside, x, self._lims[0] - 0.5)  # (no 0/0 in the unused branch)
        closed = cut.expm1().abs().log() - cut.abs().log()
        return where(outside, closed, 0.5 * x + x.square() / 24.0 - x.pow(4) / 2880.0)


# -- kl_divergence rules -----------------------------------------------------------------------
def _xlogx(x: Tensor) -> Tensor:
    return x.xlogy(x)


for _p, _q in [(Beta, Pareto), (ContinuousBernoulli, Pareto), (Exponential, ContinuousBernoulli),
               (Exponential, Pareto), (Gamma, ContinuousBernoulli), (Gamma, Pareto),
               (Gumbel, ContinuousBernoulli), (Gumbel, Pareto), (Laplace, ContinuousBernoulli),
               (Laplace, Pareto), (Normal, ContinuousBernoulli), (Normal, Pareto),
               (Pareto, Beta), (Pareto, ContinuousBernoulli), (Pareto, Uniform)]:
    register_kl(_p, _q)(_infinite)
del _p, _q


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p: ContinuousBernoulli, q: ContinuousBernoulli) -> Tensor:
    return (p.mean * (p.logits - q.logits) + p._cont_bern_log_norm() + (-p.probs).log1p()
            - q._cont_bern_log_norm() - (-q.probs).log1p())


def _cross_entropy_cb(mean: Tensor, q: ContinuousBernoulli) -> Tensor:
    """-E_p[ln q(x)] for p of this mean, on [0, 1]."""
    return -mean * q.logits - (-q.probs).log1p() - q._cont_bern_log_norm()


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_cb(p: Beta, q: ContinuousBernoulli) -> Tensor:
    return -p.entropy() + _cross_entropy_cb(p.mean, q)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_cb(p: Uniform, q: ContinuousBernoulli) -> Tensor:
    result = -p.entropy() + _cross_entropy_cb(p.mean, q)
    return _infinite_where((p.high._data > 1) | (p.low._data < 0), result)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_cb_exponential(p: ContinuousBernoulli, q: Exponential) -> Tensor:
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_cb_normal(p: ContinuousBernoulli, q: Normal) -> Tensor:
    t2 = 0.5 * (math.log(2 * math.pi) + (q.loc / q.scale).square()) + q.scale.log()
    t3 = (p.variance + p.mean.square() - 2 * q.loc * p.mean) / (2 * q.scale.square())
    return -p.entropy() + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _kl_cb_uniform(p: ContinuousBernoulli, q: Uniform) -> Tensor:
    result = -p.entropy() + (q.high - q.low).log()
    return _infinite_where((q.low._data > 0) | (q.high._data < 1), result)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Pareto, q: Pareto) -> Tensor:
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return _infinite_where(p.scale._data < q.scale._data, result)


def _alpha_above(p: Pareto, bound: float) -> tuple[np.ndarray, Tensor]:
    """Where alpha > bound (the divergence is finite), and alpha with bound + 1 elsewhere."""
    ok = p.alpha._data > bound
    return ok, where(ok, p.alpha, bound + 1.0)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p: Pareto, q: Exponential) -> Tensor:
    ok, a = _alpha_above(p, 1.0)
    scale_rate = p.scale * q.rate
    result = (a / scale_rate).log() - a.reciprocal() + a * scale_rate / (a - 1) - 1
    return _infinite_where(~ok, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p: Pareto, q: Gamma) -> Tensor:
    ok, a = _alpha_above(p, 1.0)
    common = p.scale.log() + a.reciprocal()
    t2 = q.concentration.lgamma() - q.concentration * q.rate.log()
    result = (a.log() - common + t2 + (1 - q.concentration) * common
              + q.rate * a * p.scale / (a - 1) - 1)
    return _infinite_where(~ok, result)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p: Pareto, q: Normal) -> Tensor:
    ok, a = _alpha_above(p, 2.0)
    common = p.scale / (a - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * a / p.scale).log()
    t3 = a * common.square() / (a - 2)
    t4 = (a * common - q.loc).square()
    return _infinite_where(~ok, t1 - a.reciprocal() + (t3 + t4) / (2 * q.scale.square()) - 1)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p: Uniform, q: Pareto) -> Tensor:
    outside = p.low._data < q.scale._data
    # [1, 2] in place of a Uniform reaching below the scale, where the divergence is inf:
    # the log of a negative low would send NaN into the parameters' gradients
    low, high = where(outside, 1.0, p.low), where(outside, 2.0, p.high)
    width = high - low
    t1 = (q.alpha * q.scale.pow(q.alpha) * width).log()
    t2 = (_xlogx(high) - _xlogx(low) - width) / width
    return _infinite_where(outside, t2 * (q.alpha + 1) - t1)

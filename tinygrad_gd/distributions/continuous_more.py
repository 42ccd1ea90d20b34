"""More distributions of PyTorch's, with its formulas: `Weibull`, `Pareto`, `HalfCauchy`,
`InverseGamma`, `Kumaraswamy`, `LogisticNormal` (transforms_more.py's
StickBreakingTransform of a Normal), `VonMises`, `FisherSnedecor`, `GeneralizedPareto`.

The first six subclass TransformedDistribution with PyTorch's base distribution and
transforms (`isinstance(d, TransformedDistribution)` as PyTorch's; log_prob, cdf, icdf and
rsample are the transforms'), their parameters named attributes (repr, expand, one-line
validation). VonMises takes ln I0(k) as ln(i0e(k)) + k (exact; PyTorch's polynomial fit is
good to ~1e-7) and samples by Best and Fisher's rejection method (no rsample, as
PyTorch's); GeneralizedPareto's rsample is its icdf of uniform draws. Where PyTorch's
values are wrong these are right: Weibull's mode is 0 for concentration <= 1, Kumaraswamy's
((a - 1) / (ab - 1))**(1 / a) for a, b >= 1 (NaN otherwise; PyTorch's is NaN everywhere).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..creation import make_generator
from ..functional import where
from ..nn.layer_arguments import _named
from ..special import i0e, i1e
from ..tensor import Tensor
from . import constraints
from .continuous import _EULER_GAMMA, Cauchy, Exponential, Normal, Uniform, _standard
from .distribution import Distribution, broadcast_all, constant
from .gamma_family import Gamma
from .transformed import TransformedDistribution
from .transforms_basic import AbsTransform, AffineTransform, ExpTransform, PowerTransform
from .transforms_more import StickBreakingTransform

__all__ = ["Weibull", "Pareto", "HalfCauchy", "InverseGamma", "Kumaraswamy", "LogisticNormal",
           "VonMises", "FisherSnedecor", "GeneralizedPareto"]


def _where_above(x: Tensor, bound: float, compute: Any, fill: float) -> Tensor:
    """compute(x) where x > bound, else `fill`; x is bound + 1 on that side beforehand (no
    inf or NaN computed there, nor in the gradient)."""
    above = x._data > bound
    return where(above, compute(where(above, x, bound + 1.0)), fill)


class _Transformed(TransformedDistribution):
    """A named TransformedDistribution of PyTorch's: shown and expanded by its parameters."""

    expand = Distribution.expand
    __repr__ = Distribution.__repr__


class Weibull(_Transformed):
    """P(X > x) = exp(-(x / scale)**concentration): PyTorch's Weibull(scale, concentration),
    Exponential(1) draws to the power 1 / concentration, times scale."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _given = ("scale", "concentration")

    def __init__(self, scale: Any, concentration: Any, validate_args: bool | None = None
                 ) -> None:
        self.scale, self.concentration = broadcast_all("Weibull", scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        ones = _named(constant(np.ones(self.scale.shape), self.scale.dtype), "rate 1")
        base = Exponential(ones, validate_args=False)
        super().__init__(base, [PowerTransform(self.concentration_reciprocal),
                                AffineTransform(0.0, self.scale)], validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * (1 + self.concentration_reciprocal).lgamma().exp()

    @property
    def mode(self) -> Tensor:
        # 0 for concentration <= 1 (PyTorch's formula gives a negative number's power there)
        return _where_above(self.concentration, 1.0,
                            lambda c: self.scale * ((c - 1) / c).pow(c.reciprocal()), 0.0)

    @property
    def variance(self) -> Tensor:
        r = self.concentration_reciprocal
        return self.scale.square() * ((1 + 2 * r).lgamma().exp() - (2 * (1 + r).lgamma()).exp())

    def entropy(self) -> Tensor:
        r = self.concentration_reciprocal
        return _EULER_GAMMA * (1 - r) + (self.scale * r).log() + 1


class Pareto(_Transformed):
    """Pareto type I, P(X > x) = (scale / x)**alpha for x >= scale: PyTorch's Pareto(scale,
    alpha), scale * exp(an Exponential(alpha) draw)."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    has_rsample = True
    _given = ("scale", "alpha")

    def __init__(self, scale: Any, alpha: Any, validate_args: bool | None = None) -> None:
        self.scale, self.alpha = broadcast_all("Pareto", scale, alpha)
        super().__init__(Exponential(self.alpha, validate_args=False),
                         [ExpTransform(), AffineTransform(0.0, self.scale)],
                         validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self) -> Tensor:
        return _where_above(self.alpha, 1.0, lambda a: a * self.scale / (a - 1), math.inf)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return _where_above(self.alpha, 2.0, lambda a: self.scale.square() * a / (
            (a - 1).square() * (a - 2)), math.inf)

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


class HalfCauchy(_Transformed):
    """|X| for X ~ Cauchy(0, scale): PyTorch's HalfCauchy(scale); mean and variance inf."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _given = ("scale",)

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        (self.scale,) = broadcast_all("HalfCauchy", scale)
        super().__init__(Cauchy(0.0, self.scale, validate_args=False), AbsTransform(),
                         validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return constant(np.full(self._batch_shape, math.inf), self._dtype)

    @property
    def mode(self) -> Tensor:
        return constant(np.zeros(self._batch_shape), self._dtype)

    @property
    def variance(self) -> Tensor:
        return constant(np.full(self._batch_shape, math.inf), self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        inside = self.base_dist.log_prob(value) + math.log(2)
        return where(value._data >= 0, inside, -math.inf)

    def cdf(self, value: Any) -> Tensor:
        return 2 * self.base_dist.cdf(self._value(value, "cdf")) - 1

    def icdf(self, prob: Any) -> Tensor:  # (PyTorch's argument name)
        return self.base_dist.icdf((self._probability(prob) + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)


class InverseGamma(_Transformed):
    """1 / X for X ~ Gamma(concentration, rate): PyTorch's InverseGamma(concentration, rate)
    (rsample through Gamma's implicit gradient; no icdf, as Gamma's)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _given = ("concentration", "rate")

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None
                 ) -> None:
        self.concentration, self.rate = broadcast_all("InverseGamma", concentration, rate)
        base = Gamma(self.concentration, self.rate, validate_args=False)
        super().__init__(base, PowerTransform(constant(-1.0, self.rate.dtype)),
                         validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return _where_above(self.concentration, 1.0, lambda c: self.rate / (c - 1), math.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        return _where_above(self.concentration, 2.0, lambda c: self.rate.square() / (
            (c - 1).square() * (c - 2)), math.inf)

    def entropy(self) -> Tensor:
        c = self.concentration
        return c + self.rate.log() + c.lgamma() - (1 + c) * c.digamma()


def _kumaraswamy_moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[X**n] = b B(1 + n / a, b)."""
    arg = 1 + n / a
    return b * (arg.lgamma() + b.lgamma() - (arg + b).lgamma()).exp()


class Kumaraswamy(_Transformed):
    """Density a b x**(a - 1) (1 - x**a)**(b - 1) on [0, 1], a = concentration1, b =
    concentration0: PyTorch's Kumaraswamy, (1 - U**(1 / b))**(1 / a) for U uniform."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True
    _given = ("concentration1", "concentration0")

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(
            "Kumaraswamy", concentration1, concentration0)
        shape, dtype = self.concentration0.shape, self.concentration0.dtype
        base = Uniform(_named(constant(np.zeros(shape), dtype), "low 0"),
                       _named(constant(np.ones(shape), dtype), "high 1"), validate_args=False)
        super().__init__(base, [PowerTransform(self.concentration0.reciprocal()),
                                AffineTransform(1.0, -1.0),
                                PowerTransform(self.concentration1.reciprocal())],
                         validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        # ((a - 1) / (ab - 1))**(1 / a) for a, b >= 1 (PyTorch's is NaN everywhere)
        a, b = self.concentration1, self.concentration0
        ok = (a._data >= 1) & (b._data >= 1) & ((a._data > 1) | (b._data > 1))
        a, b = where(ok, a, 2.0), where(ok, b, 2.0)
        return where(ok, ((a - 1) / (a * b - 1)).pow(a.reciprocal()), math.nan)

    @property
    def variance(self) -> Tensor:
        return (_kumaraswamy_moment(self.concentration1, self.concentration0, 2)
                - self.mean.square())

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        h0 = (b + 1).digamma() + _EULER_GAMMA
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * h0 - a.log() - b.log()


class LogisticNormal(_Transformed):
    """Normal(loc, scale) vectors of k entries sent to the simplex of k + 1 by the stick
    breaking transform: PyTorch's LogisticNormal(loc, scale) (a number's loc and scale
    make vectors of one, as PyTorch's)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True
    _given = ("loc", "scale")

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all("LogisticNormal", loc, scale)
        if self.loc.ndim == 0:
            self.loc, self.scale = self.loc.reshape(1), self.scale.reshape(1)
        super().__init__(Normal(self.loc, self.scale, validate_args=False),
                         StickBreakingTransform(), validate_args=validate_args)


# -- distributions written out ---------------------------------------------------------------
def _von_mises_draws(loc: np.ndarray, kappa: np.ndarray, rng: np.random.Generator
                     ) -> np.ndarray:
    """Best and Fisher's (1979) rejection sampler, in float64, wrapped to [-pi, pi)."""
    tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
        r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))
    x = np.zeros(kappa.shape)
    todo = np.ones(kappa.shape, dtype=bool)
    while todo.any():
        u1, u2, u3 = rng.random((3,) + kappa.shape)
        z = np.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        with np.errstate(divide="ignore", invalid="ignore"):
            accept = todo & ((c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0))
        x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1)), x)
        todo &= ~accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """exp(concentration cos(x - loc)) / (2 pi I0(concentration)), an angle x in radians
    (any real, read modulo 2 pi): PyTorch's VonMises(loc, concentration). mean and variance
    are the circular ones; draws lie in [-pi, pi); no rsample."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    _given = ("loc", "concentration")

    def __init__(self, loc: Any, concentration: Any, validate_args: bool | None = None
                 ) -> None:
        self.loc, self.concentration = broadcast_all("VonMises", loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    mode = mean

    @property
    def variance(self) -> Tensor:
        return 1 - i1e(self.concentration) / i0e(self.concentration)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        k = self.concentration
        log_i0 = i0e(k).log() + k  # (ln I0(k), without I0's overflow)
        return k * (value - self.loc).cos() - math.log(2 * math.pi) - log_i0

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        rng = make_generator(seed, generator, "VonMises.sample")
        shape = self._extended_shape(sample_shape)
        loc, kappa = (np.broadcast_to(p._data.astype(np.float64), shape)
                      for p in (self.loc, self.concentration))
        return constant(_von_mises_draws(loc, kappa, rng), self._dtype)


class FisherSnedecor(Distribution):
    """The F distribution of df1 and df2 degrees of freedom: PyTorch's FisherSnedecor(df1,
    df2), rsample the ratio of Gamma(df1 / 2, df1) and Gamma(df2 / 2, df2) draws."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _given = ("df1", "df2")

    def __init__(self, df1: Any, df2: Any, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all("FisherSnedecor", df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1, validate_args=False)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2, validate_args=False)
        super().__init__(self.df1.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return _where_above(self.df2, 2.0, lambda d2: d2 / (d2 - 2), math.nan)

    @property
    def mode(self) -> Tensor:
        return _where_above(self.df1, 2.0,
                            lambda d1: (d1 - 2) / d1 * self.df2 / (self.df2 + 2), math.nan)

    @property
    def variance(self) -> Tensor:
        d1 = self.df1
        return _where_above(self.df2, 4.0, lambda d2: 2 * d2.square() * (d1 + d2 - 2) / (
            d1 * (d2 - 2).square() * (d2 - 4)), math.nan)

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        rng = make_generator(seed, generator, "FisherSnedecor.rsample")
        tiny = float(np.finfo(self._dtype).tiny)
        x1 = self._gamma1.rsample(sample_shape, generator=rng)
        x2 = self._gamma2.rsample(sample_shape, generator=rng).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        half1, half2, ratio = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = (half1 + half2).lgamma() - half1.lgamma() - half2.lgamma()
        t2 = half1 * ratio.log() + (half1 - 1) * value.log()
        return t1 + t2 - (half1 + half2) * (ratio * value).log1p()


class GeneralizedPareto(Distribution):
    """P(X > x) = (1 + concentration z)**(-1 / concentration), z = (x - loc) / scale
    (exp(-z) for concentration 0): PyTorch's GeneralizedPareto(loc, scale, concentration).
    A concentration within 1e-8 of 0 takes the exponential's formulas, as PyTorch's."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True
    _given = ("loc", "scale", "concentration")

    def __init__(self, loc: Any, scale: Any, concentration: Any,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale, self.concentration = broadcast_all(
            "GeneralizedPareto", loc, scale, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        c, loc, scale = self.concentration._data, self.loc._data, self.scale._data
        with np.errstate(divide="ignore"):
            upper = np.where(c < 0, loc - scale / np.where(c < 0, c, -1.0), np.inf)
        return constraints.interval(self.loc, upper)

    def _safe(self) -> tuple[np.ndarray, Tensor]:
        """Where the concentration is 0 (PyTorch's isclose), and it with 1 there."""
        zero = np.isclose(self.concentration._data, 0.0, rtol=1e-5, atol=1e-8)
        return zero, where(zero, 1.0, self.concentration)

    def log_prob(self, value: Any) -> Tensor:
        z = (self._value(value, "log_prob") - self.loc) / self.scale
        zero, c = self._safe()
        power = 1 / c + 1
        nonzero = where(power._data == 0, 0.0, power * (c * z).log1p())
        return -self.scale.log() - where(zero, z, nonzero)

    def log_survival_function(self, value: Any) -> Tensor:
        """ln P(X > value)."""
        z = (self._value(value, "log_survival_function") - self.loc) / self.scale
        zero, c = self._safe()
        return where(zero, -z, -(c * z).log1p() / c)

    def log_cdf(self, value: Any) -> Tensor:
        """ln P(X <= value)."""
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value: Any) -> Tensor:
        return -self.log_survival_function(value).expm1()

    def icdf(self, value: Any) -> Tensor:
        log_u = (-self._probability(value)).log1p()
        zero, c = self._safe()
        return where(zero, self.loc - self.scale * log_u,
                     self.loc + self.scale / c * (-c * log_u).expm1())

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        u = _standard(self, sample_shape, generator, seed, lambda rng, shape: rng.random(shape))
        return self.icdf(u)

    @property
    def mean(self) -> Tensor:
        ok = self.concentration._data < 1
        c = where(ok, self.concentration, 0.5)
        return where(ok, self.loc + self.scale / (1 - c), math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        ok = self.concentration._data < 0.5
        c = where(ok, self.concentration, 0.25)
        return where(ok, self.scale.square() / ((1 - c).square() * (1 - 2 * c)), math.nan)

    def entropy(self) -> Tensor:
        return self.scale.log() + self.concentration + 1

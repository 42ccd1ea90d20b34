"""Distributions of one real number: `Normal`, `Uniform`, `Exponential`, `Laplace`,
`Cauchy`, `Gumbel`, `HalfNormal`, `LogNormal` (PyTorch's, with its formulas).

Each draws by reparameterization (rsample: loc + scale * a standard draw, or the inverse
cdf of a uniform one), so gradients reach the parameters; log_prob, cdf, icdf, entropy
and the moments are composed of Tensor ops (the normal cdf and its inverse: tg.special's
ndtr and ndtri, exact in the tails where 1 + erf rounds). HalfNormal and LogNormal are
written out here where PyTorch's are TransformedDistributions of a Normal: the same
values, `loc` and `scale` their parameters (LogNormal's `base_dist` and `transforms`
are PyTorch's too). Laplace's cdf and icdf take each side of loc
by its own formula: their derivative at loc itself is the true one (PyTorch's, through
sign(0), is 0 there).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..functional import where
from ..special import ndtr, ndtri
from ..tensor import Tensor
from ..values import uniform_draws
from . import constraints
from .distribution import Distribution, broadcast_all, constant, draw
from .exponential_family import ExponentialFamily
from .transforms_basic import ExpTransform
from ..nn.layer_arguments import _named

__all__ = ["Normal", "Uniform", "Exponential", "Laplace", "Cauchy", "Gumbel", "HalfNormal",
           "LogNormal"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_EULER_GAMMA = 0.57721566490153286061


def _standard(dist: Distribution, sample_shape: Any, generator: Any, seed: Any,
              make: Any) -> Tensor:
    """Standard draws `make(rng, shape)` of the shape sample(sample_shape) gives."""
    shape = dist._extended_shape(sample_shape)
    return draw(f"{type(dist).__name__}.rsample", generator, seed,
                lambda rng: make(rng, shape), dist._dtype)


def _uniform_open(rng: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    """Uniform draws in (0, 1): never 0 or 1 in `dtype` (the logs of them stay finite)."""
    info = np.finfo(dtype)
    return np.clip(rng.random(shape), info.tiny, 1.0 - info.eps)


class _LocScale(Distribution):
    """A distribution of loc + scale * (a standard one): loc real, scale > 0."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _given = ("loc", "scale")

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(type(self).__name__, loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def _z(self, value: Any, where: str) -> Tensor:
        return (self._value(value, where) - self.loc) / self.scale


class Normal(_LocScale, ExponentialFamily):
    """N(loc, scale**2): PyTorch's Normal(loc, scale)."""

    _mean_carrier_measure = 0

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.mean

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale.square()

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        eps = _standard(self, sample_shape, generator, seed,
                        lambda rng, shape: rng.standard_normal(shape))
        return self.loc + _named(eps * self.scale, "draws * scale")

    def log_prob(self, value: Any) -> Tensor:
        z = self._z(value, "log_prob")
        return -0.5 * z.square() - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value: Any) -> Tensor:
        return ndtr(self._z(value, "cdf"))

    def icdf(self, value: Any) -> Tensor:
        return self.loc + self.scale * ndtri(self._probability(value))

    def entropy(self) -> Tensor:
        return 0.5 + _LOG_SQRT_2PI + self.scale.log()

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.loc / self.scale.square(), -0.5 * self.scale.square().reciprocal()

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return -0.25 * x.square() / y + 0.5 * (-math.pi / y).log()


class Laplace(_LocScale):
    """The Laplace (double exponential) distribution: PyTorch's Laplace(loc, scale)."""

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.square()

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        eps = np.finfo(self._dtype).eps
        u = _standard(self, sample_shape, generator, seed,
                      lambda rng, shape: rng.uniform(eps - 1, 1, shape))
        return self.loc - self.scale * _named(u.sign() * (-u.abs()).log1p(), "Laplace draws")

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value: Any) -> Tensor:
        # each side by its own formula, not sign(z) * ...: the derivative at z = 0 is the
        # density 1 / (2 scale) (PyTorch's gives 0 there), and no exp overflows unused
        z = self._z(value, "cdf")
        right = z._data >= 0
        return where(right, 1 - 0.5 * (-where(right, z, 0.0)).exp(),
                     0.5 * where(right, 0.0, z).exp())

    def icdf(self, value: Any) -> Tensor:
        term = self._probability(value) - 0.5  # (each side by its own formula, as cdf)
        right = term._data >= 0
        return self.loc + self.scale * where(right, -(-2 * where(right, term, 0.0)).log1p(),
                                             (2 * where(right, 0.0, term)).log1p())

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()


class Cauchy(_LocScale):
    """The Cauchy distribution: PyTorch's Cauchy(loc, scale); no mean (NaN), variance inf."""

    @property
    def mean(self) -> Tensor:
        return constant(np.full(self._batch_shape, np.nan), self._dtype)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return constant(np.full(self._batch_shape, np.inf), self._dtype)

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        eps = _standard(self, sample_shape, generator, seed,
                        lambda rng, shape: rng.standard_cauchy(shape))
        return self.loc + _named(eps * self.scale, "draws * scale")

    def log_prob(self, value: Any) -> Tensor:
        z = self._z(value, "log_prob")
        return -math.log(math.pi) - self.scale.log() - z.square().log1p()

    def cdf(self, value: Any) -> Tensor:
        return self._z(value, "cdf").arctan() / math.pi + 0.5

    def icdf(self, value: Any) -> Tensor:
        return (math.pi * (self._probability(value) - 0.5)).tan() * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()


class Gumbel(_LocScale):
    """The Gumbel (largest extreme value) distribution: PyTorch's Gumbel(loc, scale)."""

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * _EULER_GAMMA

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.square()

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        u = _standard(self, sample_shape, generator, seed,
                      lambda rng, shape: _uniform_open(rng, shape, self._dtype))
        return self.loc - self.scale * _named((-u.log()).log(), "Gumbel draws")

    def log_prob(self, value: Any) -> Tensor:
        z = self._z(value, "log_prob")
        return -(z + (-z).exp()) - self.scale.log()

    def cdf(self, value: Any) -> Tensor:
        return (-(-self._z(value, "cdf")).exp()).exp()

    def icdf(self, value: Any) -> Tensor:
        return self.loc - self.scale * (-self._probability(value).log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + _EULER_GAMMA)


class LogNormal(_LocScale):
    """exp(X) for X ~ N(loc, scale**2): PyTorch's LogNormal(loc, scale)."""

    support = constraints.positive

    def _normal(self) -> Normal:
        return Normal(self.loc, self.scale, validate_args=False)

    @property
    def base_dist(self) -> Normal:
        """The Normal whose exp this is (PyTorch's LogNormal.base_dist)."""
        return self._normal()

    @property
    def transforms(self) -> list:
        """[ExpTransform()]: this is the exp of `base_dist` (PyTorch's)."""
        return [ExpTransform()]

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale.square() / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self) -> Tensor:
        var = self.scale.square()
        return var.expm1() * (2 * self.loc + var).exp()

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        return self._normal().rsample(sample_shape, generator=generator, seed=seed).exp()

    def log_prob(self, value: Any) -> Tensor:
        log_value = self._value(value, "log_prob").log()
        return self._normal().log_prob(log_value) - log_value

    def cdf(self, value: Any) -> Tensor:
        return self._normal().cdf(self._value(value, "cdf").log())

    def icdf(self, value: Any) -> Tensor:
        return self._normal().icdf(self._probability(value)).exp()

    def entropy(self) -> Tensor:
        return self._normal().entropy() + self.loc


class HalfNormal(Distribution):
    """|X| for X ~ N(0, scale**2): PyTorch's HalfNormal(scale)."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _given = ("scale",)

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        (self.scale,) = broadcast_all("HalfNormal", scale)
        super().__init__(self.scale.shape, validate_args=validate_args)

    def _normal(self) -> Normal:
        return Normal(0.0, self.scale, validate_args=False)

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        return constant(np.zeros(self._batch_shape), self._dtype)

    @property
    def variance(self) -> Tensor:
        return self.scale.square() * (1 - 2 / math.pi)

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        return self._normal().rsample(sample_shape, generator=generator, seed=seed).abs()

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        inside = self._normal().log_prob(value) + math.log(2)
        return where(value._data >= 0, inside, -math.inf)

    def cdf(self, value: Any) -> Tensor:
        return 2 * self._normal().cdf(self._value(value, "cdf")) - 1

    def icdf(self, value: Any) -> Tensor:
        return self._normal().icdf((self._probability(value) + 1) / 2)

    def entropy(self) -> Tensor:
        return self._normal().entropy() - math.log(2)


class Uniform(Distribution):
    """Uniform on [low, high): PyTorch's Uniform(low, high); low < high."""

    arg_constraints = {"low": constraints.dependent, "high": constraints.dependent}
    has_rsample = True
    _given = ("low", "high")

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        self.low, self.high = broadcast_all("Uniform", low, high)
        super().__init__(self.low.shape, validate_args=validate_args)
        if self._validate_args:
            ok = np.asarray(self.low._data < self.high._data)
            if not ok.all():
                k = tuple(int(i) for i in np.argwhere(~ok)[0]) if ok.ndim else ()
                raise ValueError(f"Uniform: low must be < high, got low="
                                 f"{float(self.low._data[k])!r} and high="
                                 f"{float(self.high._data[k])!r}"
                                 f"{f' at index {k}' if k else ''}; give low < high, or "
                                 f"validate_args=False to skip the check")

    @property
    def support(self) -> constraints.Constraint:
        return constraints.interval(self.low, self.high)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        return constant(np.full(self._batch_shape, np.nan), self._dtype)

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / math.sqrt(12)

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low).square() / 12

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        u = _standard(self, sample_shape, generator, seed,  # (tg.rand's: never 1 in float16)
                      lambda rng, shape: uniform_draws(rng, shape, self._dtype))
        return self.low + _named(u * (self.high - self.low), "draws * (high - low)")

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        inside = (self.low._data <= value._data) & (value._data < self.high._data)
        return -(self.high - self.low).log() + _named(constant(
            np.where(inside, 0.0, -np.inf), self._dtype), "0 in the support, -inf outside")

    def cdf(self, value: Any) -> Tensor:
        value = self._value(value, "cdf")
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value: Any) -> Tensor:
        return self._probability(value) * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()


class Exponential(ExponentialFamily):
    """rate * exp(-rate * x) for x >= 0: PyTorch's Exponential(rate)."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _given = ("rate",)
    _mean_carrier_measure = 0

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all("Exponential", rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return constant(np.zeros(self._batch_shape), self._dtype)

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate.square().reciprocal()

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        eps = _standard(self, sample_shape, generator, seed,
                        lambda rng, shape: rng.standard_exponential(shape))
        return eps / self.rate

    def log_prob(self, value: Any) -> Tensor:
        return self.rate.log() - self.rate * self._value(value, "log_prob")

    def cdf(self, value: Any) -> Tensor:
        return 1 - (-self.rate * self._value(value, "cdf")).exp()

    def icdf(self, value: Any) -> Tensor:
        return -(-self._probability(value)).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (-self.rate,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return -(-x).log()

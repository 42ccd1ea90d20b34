"""Distributions of counts: `Poisson`, `Binomial`, `NegativeBinomial` (PyTorch's, with its
formulas).

Their probabilities are written with lgamma for the factorials and xlogy for k ln(rate)
(0 where k = 0, even at rate 0); Binomial's and NegativeBinomial's from the logits with
softplus (k logit - n softplus(logit), never ln of a rounded sigmoid), so they stay exact
for confident logits; probs given are turned into logits as Bernoulli's are (kept within
[eps, 1 - eps]). Draws are NumPy's Poisson, binomial and gamma-Poisson mixture draws, not
reparameterized (has_rsample False). total_count is a float tensor of the parameters'
dtype, as PyTorch's; Binomial's must be whole numbers >= 0 (validated).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import make_generator
from ..functional import where
from ..nn.layer_arguments import _named
from ..tensor import Tensor
from . import constraints
from .discrete import _binary_logits, _one_given
from .distribution import Distribution, broadcast_all, constant, draw
from .exponential_family import ExponentialFamily
from .gamma_family import Gamma

__all__ = ["Poisson", "Binomial", "NegativeBinomial"]


class Poisson(ExponentialFamily):
    """rate**k e**-rate / k! for k = 0, 1, 2, ...: PyTorch's Poisson(rate), rate >= 0."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer
    _given = ("rate",)

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all("Poisson", rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rate = np.broadcast_to(self.rate._data.astype(np.float64), shape)
        return draw("Poisson.sample", generator, seed, lambda rng: rng.poisson(rate),
                    self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        return value.xlogy(self.rate) - self.rate - (value + 1).lgamma()

    # (no _mean_carrier_measure, E[-ln x!], so no entropy: PyTorch's has none either)
    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.rate.log(),)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.exp()


class _CountsOfTrials(Distribution):
    """total_count with probs= or logits= (exactly one; the other computed from it)."""

    def __init__(self, total_count: Any, probs: Any, logits: Any,
                 validate_args: bool | None) -> None:
        name = type(self).__name__
        _one_given(name, probs, logits)
        given = "probs" if probs is not None else "logits"
        self._given = ("total_count", given)
        self.total_count, param = broadcast_all(name, total_count,
                                                probs if probs is not None else logits)
        self._probs, self._logits = (param, None) if probs is not None else (None, param)
        super().__init__(param.shape, validate_args=validate_args)

    @property
    def probs(self) -> Tensor:
        return self._probs if self._probs is not None else self._logits.sigmoid()

    @property
    def logits(self) -> Tensor:
        return self._logits if self._logits is not None else _binary_logits(self._probs)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return (self._probs if self._probs is not None else self._logits).shape


class Binomial(_CountsOfTrials):
    """The number of successes in total_count Bernoulli(probs) trials: PyTorch's
    Binomial(total_count=1, probs=None, logits=None)."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        super().__init__(total_count, probs, logits, validate_args)

    @property
    def support(self) -> constraints.Constraint:
        counts = self.total_count._data
        top = counts.reshape(-1)[0] if counts.size else 0
        return constraints.integer_interval(
            0, int(top) if np.all(counts == top) else counts)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        probs = self.probs
        return self.total_count * probs * (1 - probs)

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        shape = self._extended_shape(sample_shape)
        counts = np.broadcast_to(self.total_count._data, shape).astype(np.int64)
        probs = np.broadcast_to(self.probs._data.astype(np.float64), shape)
        return draw("Binomial.sample", generator, seed, lambda rng: rng.binomial(counts, probs),
                    self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        n, logits = self.total_count, self.logits
        # k ln p + (n - k) ln(1 - p) = k logit - n ln(1 + e**logit), by softplus
        return ((n + 1).lgamma() - (value + 1).lgamma() - (n - value + 1).lgamma()
                + value * logits - n * logits.softplus())

    def _whole_count(self, what: str) -> int:
        counts = self.total_count._data
        top = int(counts.max()) if counts.size else 0
        if counts.size and counts.min() != top:
            raise NotImplementedError(f"Binomial.{what}: total_count differs across the batch "
                                      f"({counts.min():g} to {top}); it needs one total_count, "
                                      f"as PyTorch's")
        return top

    def enumerate_support(self, expand: bool = True) -> Tensor:
        top = self._whole_count("enumerate_support")
        values = constant(np.arange(top + 1).reshape((-1,) + (1,) * len(self._batch_shape)),
                          self._dtype)
        return values.broadcast_to((top + 1,) + self._batch_shape) if expand else values

    def entropy(self) -> Tensor:
        self._whole_count("entropy")
        log_prob = self.log_prob(_named(self.enumerate_support(False), "every count"))
        return -(log_prob.exp() * log_prob).sum(axis=0)


class NegativeBinomial(_CountsOfTrials):
    """The number of successes before total_count failures of Bernoulli(probs) trials:
    PyTorch's NegativeBinomial(total_count, probs=None, logits=None); total_count >= 0
    (any real), probs in [0, 1)."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        super().__init__(total_count, probs, logits, validate_args)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        rng = make_generator(seed, generator, "NegativeBinomial.sample")
        # a Poisson draw of a Gamma(total_count, e**-logits) draw's rate, both from rng
        rates = Gamma(self.total_count, (-self.logits).exp(), validate_args=False).sample(
            sample_shape, generator=rng)._data.astype(np.float64)
        return draw("NegativeBinomial.sample", rng, None, lambda r: r.poisson(rates),
                    self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        n, logits = self.total_count, self.logits
        # n ln(1 - p) + k ln p by softplus (ln sigmoid(x) = -softplus(-x))
        unnormalized = -n * logits.softplus() - value * (-logits).softplus()
        normalization = -(n + value).lgamma() + (1.0 + value).lgamma() + n.lgamma()
        # n = k = 0 is certain (probability 1), where lgamma(0) is inf
        certain = np.broadcast_to((n._data + value._data) == 0, normalization.shape)
        return unnormalized - where(certain, 0.0, normalization)

"""Distributions of whole numbers and one-hot vectors: `Bernoulli`, `Geometric`,
`Categorical`, `OneHotCategorical` (PyTorch's, with its formulas).

Each takes `probs=` or `logits=` (exactly one); the other is computed from it, as
PyTorch's: a binary logit log(p) - log1p(-p) with p kept within [eps, 1 - eps], a
categorical one log(p) of the normalized probabilities (so kept finite where p is 0),
logits given normalized by logsumexp. log_prob and entropy are written from the logits
with softplus and log_softmax's normalization (never log(probs) of a rounded sigmoid), so
they stay exact for confident logits. Draws are not reparameterized (has_rsample False):
no gradient flows from a sample; a score-function estimator uses log_prob.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..functional import where
from ..tensor import Tensor
from . import constraints
from ..nn.layer_arguments import _named
from .distribution import Distribution, broadcast_all, constant, draw
from .exponential_family import ExponentialFamily

__all__ = ["Bernoulli", "Geometric", "Categorical", "OneHotCategorical"]


def _one_given(name: str, probs: Any, logits: Any) -> None:
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: give probs= or logits=, exactly one of them (got "
                         f"{'both' if probs is not None else 'neither'})")


def _binary_logits(probs: Tensor) -> Tensor:
    """log(p) - log1p(-p), p kept within [eps, 1 - eps] (PyTorch's probs_to_logits)."""
    eps = float(np.finfo(probs.dtype).eps)
    p = probs.clamp(eps, 1 - eps)
    return p.log() - (-p).log1p()


def _binary_log_prob(logits: Tensor, value: Tensor) -> Tensor:
    """value * log(sigmoid(x)) + (1 - value) * log(1 - sigmoid(x)) by softplus: exact for
    any logit (minus PyTorch's binary_cross_entropy_with_logits)."""
    return -(value * (-logits).softplus() + _named(1 - value, "1 - value") * logits.softplus())


class _ProbsOrLogits(Distribution):
    """A distribution given by probs= or logits=: the other computed from the given one."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}

    def _given_parameter(self, probs: Any, logits: Any) -> Tensor:
        name = type(self).__name__
        _one_given(name, probs, logits)
        self._given = ("probs",) if probs is not None else ("logits",)
        (param,) = broadcast_all(name, probs if probs is not None else logits)
        return param

    @property
    def probs(self) -> Tensor:
        return self._probs if "probs" in self._given else self._from_logits()

    @property
    def logits(self) -> Tensor:
        return self._logits if "logits" in self._given else self._from_probs()

    @property
    def param_shape(self) -> tuple[int, ...]:
        return (self._probs if "probs" in self._given else self._logits).shape

    def _from_logits(self) -> Tensor:
        return self._logits.sigmoid()

    def _from_probs(self) -> Tensor:
        return _binary_logits(self._probs)


class Bernoulli(_ProbsOrLogits, ExponentialFamily):
    """1 with probability probs (sigmoid(logits)), else 0: PyTorch's Bernoulli."""

    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param = self._given_parameter(probs, logits)
        self._probs, self._logits = (param, None) if probs is not None else (None, param)
        super().__init__(param.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        p = self.probs._data
        return constant(np.where(p == 0.5, np.nan, (p >= 0.5).astype(p.dtype)), p.dtype)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(self.probs._data, shape)
        return draw("Bernoulli.sample", generator, seed, lambda rng: rng.random(shape) < p,
                    self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        return _binary_log_prob(self.logits, self._value(value, "log_prob"))

    def entropy(self) -> Tensor:
        return -_binary_log_prob(self.logits, self.probs)

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.logits,)  # (PyTorch's logit(probs): the same, kept finite at 0 and 1)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.softplus()  # ln(1 + e**x), not overflowing

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = constant(np.arange(2).reshape((2,) + (1,) * len(self._batch_shape)),
                          self._dtype)
        return values.broadcast_to((2,) + self._batch_shape) if expand else values


class Geometric(_ProbsOrLogits):
    """The number of failures before the first success of Bernoulli(probs) trials:
    PyTorch's Geometric; probs in (0, 1]."""

    support = constraints.nonnegative_integer

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param = self._given_parameter(probs, logits)
        self._probs, self._logits = (param, None) if probs is not None else (None, param)
        super().__init__(param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None and not (param._data > 0).all():
            bad = param._data[~(param._data > 0)].reshape(-1)[0]
            raise ValueError(f"Geometric: parameter probs (of shape {param.shape}) must be > 0 "
                             f"(a success must be possible), got {float(bad)!r}; give probs "
                             f"in (0, 1], or validate_args=False to skip the check")

    @property
    def mean(self) -> Tensor:
        return self.probs.reciprocal() - 1

    @property
    def mode(self) -> Tensor:
        return constant(np.zeros(self._batch_shape), self._dtype)

    @property
    def variance(self) -> Tensor:
        return (self.probs.reciprocal() - 1) / self.probs

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(self.probs._data, shape).astype(np.float64)
        tiny = np.finfo(self._dtype).tiny

        def make(rng: np.random.Generator) -> np.ndarray:
            with np.errstate(divide="ignore"):
                return np.floor(np.log(np.maximum(rng.random(shape), tiny)) / np.log1p(-p))
        return draw("Geometric.sample", generator, seed, make, self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        probs = self.probs
        shape = np.broadcast_shapes(value.shape, probs.shape)
        certain = np.broadcast_to((probs._data == 1), shape) & np.broadcast_to(
            value._data == 0, shape)  # (0 * log(0) is 0 there: no failure, certainly)
        kept = where(certain, 0.0, probs.broadcast_to(shape))
        return value * (-kept).log1p() + probs.log()

    def entropy(self) -> Tensor:
        if self._probs is None:
            return -_binary_log_prob(self._logits, self.probs) / self.probs
        # below eps the logits of clamped probs are not p's: there -log p + 1 (its limit, off
        # by p / 2), where PyTorch's loses every digit (0 at probs 1e-20, for 47.05); the
        # other formula sees 0.5 there, so that no NaN comes back from it
        probs = self._probs
        tiny = probs._data < np.finfo(self._dtype).eps
        kept = where(tiny, 0.5, probs) if tiny.any() else probs
        entropy = -_binary_log_prob(_binary_logits(kept), kept) / kept
        return where(tiny, 1 - probs.log(), entropy) if tiny.any() else entropy


class Categorical(_ProbsOrLogits):
    """One of n categories 0, ..., n - 1, with probabilities the last axis of probs (any
    weights >= 0, normalized) or softmax(logits): PyTorch's Categorical; the other axes
    are the batch."""

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param = self._given_parameter(probs, logits)
        if param.ndim < 1:
            raise ValueError(f"{type(self).__name__}: {self._given[0]} must have at least one "
                             f"axis (the categories), got a single number; give a vector "
                             f"of {self._given[0]} (one per category)")
        if probs is not None:
            self._probs, self._logits = param / param.sum(axis=-1, keepdims=True), None
        else:
            self._probs = None
            self._logits = param - param.logsumexp(axis=-1, keepdims=True)
        self._num_events = param.shape[-1]
        batch_shape = param.shape[:-1]
        super().__init__(batch_shape, validate_args=validate_args)

    def _from_logits(self) -> Tensor:
        return self._logits.softmax(axis=-1)

    def _from_probs(self) -> Tensor:
        eps = float(np.finfo(self._probs.dtype).eps)
        return self._probs.clamp(eps, 1 - eps).log()

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self) -> Tensor:
        return constant(np.full(self._batch_shape, np.nan), self._dtype)

    @property
    def mode(self) -> Tensor:
        return constant(np.argmax(self.probs._data, axis=-1))

    @property
    def variance(self) -> Tensor:
        return constant(np.full(self._batch_shape, np.nan), self._dtype)

    def _indices(self, sample_shape: Any, generator: Any, seed: Any, where_: str) -> np.ndarray:
        """Draws by the inverse cdf: the first category whose running total passes u."""
        shape = self._sample_shape(sample_shape) + self._batch_shape
        totals = np.cumsum(self.probs._data.astype(np.float64), axis=-1)
        rng_draw = draw(where_, generator, seed, lambda rng: rng.random(shape), np.float64)
        u = rng_draw._data * totals[..., -1]
        counts = (u[..., None] >= np.broadcast_to(totals, shape + totals.shape[-1:])).sum(-1)
        return np.minimum(counts, self._num_events - 1).astype(np.int64)

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        return constant(self._indices(sample_shape, generator, seed, "Categorical.sample"))

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob", np.int64)
        shape = np.broadcast_shapes(value.shape, self._batch_shape)
        index = np.broadcast_to(value._data, shape)[..., None]
        logits = self.logits
        return logits.broadcast_to(shape + logits.shape[-1:]).gather(-1, index)[..., 0]

    def entropy(self) -> Tensor:
        logits = self.logits.clamp(min=float(np.finfo(self._dtype).min))
        return -(logits * self.probs).sum(axis=-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = constant(np.arange(self._num_events).reshape(
            (-1,) + (1,) * len(self._batch_shape)))
        return values.broadcast_to((self._num_events,) + self._batch_shape) if expand \
            else values


class _OnCategorical(Distribution):
    """A distribution over the n categories of a Categorical it holds: its probs, logits and
    parameter shape are the Categorical's; its event is the last axis (n)."""

    def _hold(self, categorical: Categorical, validate_args: bool | None) -> None:
        """Hold `categorical`, then set up (and check, with `self._given`) as Distribution."""
        self._categorical = categorical
        Distribution.__init__(self, categorical.batch_shape, categorical.param_shape[-1:],
                              validate_args=validate_args)

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._categorical.param_shape


class OneHotCategorical(_OnCategorical):
    """Categorical's draws as one-hot vectors of length n (the event): PyTorch's
    OneHotCategorical(probs=, logits=)."""

    arg_constraints = Categorical.arg_constraints
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        categorical = Categorical(probs, logits, validate_args=validate_args)
        self._given = categorical._given
        self._hold(categorical, validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        return constant(np.eye(self._event_shape[0])[self._categorical.mode._data], self._dtype)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        indices = self._categorical._indices(sample_shape, generator, seed,
                                             "OneHotCategorical.sample")
        return constant(np.eye(self._event_shape[0])[indices], self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        return self._categorical.log_prob(constant(np.argmax(value._data, axis=-1)))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self._event_shape[0]
        values = constant(np.eye(n).reshape((n,) + (1,) * len(self._batch_shape) + (n,)),
                          self._dtype)
        return values.broadcast_to((n,) + self._batch_shape + (n,)) if expand else values

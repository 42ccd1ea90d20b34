"""Relaxed (Concrete, Gumbel-softmax) distributions: `LogitRelaxedBernoulli`,
`RelaxedBernoulli`, `ExpRelaxedCategorical`, `RelaxedOneHotCategorical` (PyTorch's
torch.distributions.relaxed_bernoulli and relaxed_categorical).

A relaxed draw is a reparameterized, continuous stand-in for a Bernoulli or one-hot draw:
(logit(u) + logit(p)) / temperature for a LogitRelaxedBernoulli (u uniform, p and u kept
within [eps, 1 - eps] as PyTorch's), the log-softmax of (logits + Gumbel noise) /
temperature for an ExpRelaxedCategorical; the Relaxed ones are those sent through
SigmoidTransform and ExpTransform (TransformedDistributions, as PyTorch's), so their
draws lie in (0, 1) and on the simplex, and gradients reach the probabilities, the
logits and the temperature through rsample and log_prob. The temperature (> 0, checked
when validation is on, beyond PyTorch's) broadcasts as given, as PyTorch's: a number,
or a tensor that broadcasts with the parameters (one that does not is a one-line
ValueError when made, where PyTorch's fails inside its first draw).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .discrete import Categorical, _OnCategorical, _ProbsOrLogits, _one_given
from .distribution import Distribution, as_float_tensors, draw
from .transformed import TransformedDistribution
from .transforms_basic import ExpTransform, SigmoidTransform

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli", "ExpRelaxedCategorical",
           "RelaxedOneHotCategorical"]


def _temperature(name: str, temperature: Tensor, param: Tensor, validate: bool) -> Tensor:
    """The temperature, checked to broadcast with the parameter `param` (else every draw
    and log_prob would fail inside an op) and > 0 when validation is on (its log is in
    log_prob)."""
    try:
        np.broadcast_shapes(temperature.shape, param.shape)
    except ValueError:
        raise ValueError(f"{name}: temperature of shape {temperature.shape} does not "
                         f"broadcast with the probs or logits of shape {param.shape}; give a "
                         f"number, or a tensor whose shape does") from None
    if validate and not np.all(temperature._data > 0):
        bad = temperature._data[~(temperature._data > 0)].reshape(-1)[0]
        raise ValueError(f"{name}: temperature (of shape {temperature.shape}) must be > 0, "
                         f"got {float(bad)!r}; give a positive temperature, or "
                         f"validate_args=False to skip the check")
    return temperature


def _clamp_probs(probs: Tensor) -> Tensor:
    """probs kept within [eps, 1 - eps] (PyTorch's clamp_probs)."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def _uniforms(where: str, shape: tuple, dtype: Any, generator: Any, seed: Any) -> Tensor:
    eps = np.finfo(dtype).eps
    return draw(where, generator, seed,
                lambda rng: np.clip(rng.random(shape), eps, 1 - eps), dtype)


def _validated(dist: Distribution, validate_args: bool | None) -> bool:
    return dist._validate_args if validate_args is None else bool(validate_args)


class LogitRelaxedBernoulli(_ProbsOrLogits):
    """The logit of a RelaxedBernoulli draw, a real number: PyTorch's
    LogitRelaxedBernoulli(temperature, probs=None, logits=None) (Maddison et al., 2017)."""

    support = constraints.real

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        name = type(self).__name__
        _one_given(name, probs, logits)
        param, temperature = as_float_tensors(name, probs if probs is not None else logits,
                                              temperature)
        self._given = ("temperature", "probs" if probs is not None else "logits")
        self.temperature = _temperature(name, temperature, param,
                                        _validated(self, validate_args))
        self._probs, self._logits = (param, None) if probs is not None else (None, param)
        super().__init__(param.shape, validate_args=validate_args)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return (self._probs if self._probs is not None else self._logits).shape

    def expand(self, batch_shape: Any, _instance: Any = None) -> "LogitRelaxedBernoulli":
        return _expanded(self, batch_shape, ())

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = _clamp_probs(self.probs.broadcast_to(shape))
        u = _uniforms(f"{type(self).__name__}.rsample", shape, self._dtype, generator, seed)
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        # (PyTorch's has_rsample is False here, its sample the rsample detached)
        return self.rsample(sample_shape, generator=generator, seed=seed).detach()

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        diff = self.logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.softplus()


class ExpRelaxedCategorical(_OnCategorical):
    """The log of a RelaxedOneHotCategorical draw, a vector (the last axis): PyTorch's
    ExpRelaxedCategorical(temperature, probs=None, logits=None) (its support is a
    submanifold of the real vectors: PyTorch's real_vector)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        name = type(self).__name__
        _one_given(name, probs, logits)
        param, temperature = as_float_tensors(name, probs if probs is not None else logits,
                                              temperature)
        given = "probs" if probs is not None else "logits"
        # (checked once, below: an error names this class, not the Categorical inside)
        categorical = Categorical(validate_args=False, **{given: param})
        self._given = ("temperature", given)
        self.temperature = _temperature(name, temperature, param,
                                        _validated(self, validate_args))
        self._hold(categorical, validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> "ExpRelaxedCategorical":
        return _expanded(self, batch_shape, self._event_shape)

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = _uniforms(f"{type(self).__name__}.rsample", shape, self._dtype, generator, seed)
        gumbels = -(-u.log()).log()
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(axis=-1, keepdims=True)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        k = self._event_shape[0]
        log_scale = math.lgamma(k) + (k - 1) * self.temperature.log()
        score = self.logits - value * self.temperature
        return (score - score.logsumexp(axis=-1, keepdims=True)).sum(-1) + log_scale


def _expanded(dist: Any, batch_shape: Any, event_shape: tuple) -> Any:
    """`dist` with its probs (or logits) broadcast to batch_shape + event_shape, the
    temperature kept as it is (PyTorch's expand)."""
    shape = dist._expanded_shape(batch_shape)
    given = dist._given[-1]
    new = type(dist)(dist.temperature, validate_args=False,
                     **{given: getattr(dist, given).broadcast_to(shape + event_shape)})
    new._validate_args = dist._validate_args
    return new


class _Relaxed(TransformedDistribution):
    """A relaxed distribution: its base (the logit or log one) sent through a transform."""

    has_rsample = True
    base_dist: Any

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        return self._through(self.base_dist.rsample(sample_shape, generator=generator,
                                                    seed=seed))

    def expand(self, batch_shape: Any, _instance: Any = None) -> Any:
        base = self.base_dist.expand(batch_shape)
        new = type(self)(base.temperature, validate_args=False,
                         **{base._given[-1]: getattr(base, base._given[-1])})
        new._validate_args = self._validate_args
        return new

    def __repr__(self) -> str:
        return type(self).__name__ + repr(self.base_dist)[len(type(self.base_dist).__name__):]


class RelaxedBernoulli(_Relaxed):
    """A relaxed Bernoulli: draws in (0, 1), reparameterized, the sigmoid of
    LogitRelaxedBernoulli's: PyTorch's RelaxedBernoulli(temperature, probs=None,
    logits=None)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)


class RelaxedOneHotCategorical(_Relaxed):
    """A relaxed one-hot categorical: draws on the simplex, reparameterized, the exp of
    ExpRelaxedCategorical's: PyTorch's RelaxedOneHotCategorical(temperature, probs=None,
    logits=None) (Jang et al., 2017)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

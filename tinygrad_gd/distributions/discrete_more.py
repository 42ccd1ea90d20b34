"""More of PyTorch's discrete distributions: `Multinomial` (counts of total_count draws of a
Categorical), `OneHotCategoricalStraightThrough` (OneHotCategorical whose rsample passes
gradients straight through). `ExponentialFamily`, first written here, now lives in
exponential_family.py; it is still importable from this module.

Multinomial's log_prob is ln(n!) - sum ln(x_k!) + sum x_k logit_k with the normalized
logits (0 * logit where a count is 0 and its category impossible), its entropy PyTorch's
sum over the Binomial marginals; its draws are NumPy's multinomial counts (one shared
total_count, a Python int, as PyTorch's). The straight-through rsample is the one-hot draw
plus probs - probs.detach(): the draw's value, the gradient of probs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..functional import where
from ..nn.layer_arguments import _named
from ..tensor import Tensor
from . import constraints
from .counts import Binomial
from .discrete import Categorical, _OnCategorical, OneHotCategorical
from .distribution import constant, draw
from .exponential_family import ExponentialFamily

__all__ = ["Multinomial", "OneHotCategoricalStraightThrough", "ExponentialFamily"]


class Multinomial(_OnCategorical):
    """The counts of each of n categories in total_count draws of Categorical(probs, logits)
    (the last axis): PyTorch's Multinomial(total_count=1, probs=None, logits=None);
    log_prob takes any counts (total_count is needed by sample and entropy only)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count: int = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if isinstance(total_count, bool) or not isinstance(total_count, (int, np.integer)):
            raise NotImplementedError(f"Multinomial: total_count must be one Python int (an "
                                      f"inhomogeneous total_count is not supported, as in "
                                      f"PyTorch), got {type(total_count).__name__}")
        if total_count < 0:
            raise ValueError(f"Multinomial: total_count must be >= 0, got {total_count}")
        self.total_count = int(total_count)
        # (checked once, below: an error names Multinomial, not the Categorical inside)
        categorical = Categorical(probs, logits, validate_args=False)
        self._given = categorical._given
        self._hold(categorical, validate_args)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.multinomial(self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def expand(self, batch_shape: Any, _instance: Any = None) -> "Multinomial":
        categorical = self._categorical.expand(batch_shape)
        new = Multinomial(self.total_count, validate_args=False,
                          **{self._given[0]: getattr(categorical, self._given[0])})
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        shape = self._sample_shape(sample_shape) + self._batch_shape
        probs = self.probs._data.astype(np.float64)
        probs = probs / probs.sum(-1, keepdims=True)  # (exactly 1 for NumPy's check)
        n = self.total_count
        return draw("Multinomial.sample", generator, seed,
                    lambda rng: rng.multinomial(n, probs, size=shape), self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        logits = self.logits
        shape = np.broadcast_shapes(logits.shape, value.shape)
        # a count of 0 in a category of probability 0: 0 * (-inf) is 0 there
        impossible = np.broadcast_to((value._data == 0), shape) & np.broadcast_to(
            logits._data == -np.inf, shape)
        logits = where(impossible, 0.0, logits.broadcast_to(shape))
        return ((value.sum(-1) + 1).lgamma() - (value + 1).lgamma().sum(-1)
                + (logits * value).sum(-1))

    def entropy(self) -> Tensor:
        n = self.total_count
        term1 = n * self._categorical.entropy() - float(np.log(np.arange(1, n + 1)).sum())
        if n == 0:
            return term1
        # sum_k E[ln(x_k!)], each x_k Binomial(n, p_k): over its counts 1, ..., n
        binomial = Binomial(n, probs=self.probs, validate_args=False)
        counts = _named(constant(np.arange(1, n + 1).reshape(
            (n,) + (1,) * len(self.param_shape)), self._dtype), "counts 1 to total_count")
        weights = binomial.log_prob(counts).exp() * (counts + 1).lgamma()
        return term1 + weights.sum(axis=(0, -1))


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """OneHotCategorical with the straight-through rsample (Bengio et al., 2013): the one-hot
    draw, with the gradient of probs: PyTorch's OneHotCategoricalStraightThrough."""

    has_rsample = True

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        samples = self.sample(sample_shape, generator=generator, seed=seed)
        probs = self._categorical.probs  # (named: a diagram would draw them as inputs)
        return _named(samples, "one-hot draws") + (probs - _named(probs.detach(),
                                                                  "probs (detached)"))

"""`MixtureSameFamily`: a mixture of k components of one family (PyTorch's
torch.distributions.MixtureSameFamily); its support, `MixtureSameFamilyConstraint`, is
constraints_more.py's (PyTorch's torch.distributions.constraints has it), given here too.

The component distribution's last batch axis (of length k) indexes the components, a
Categorical over k chooses one. log_prob is the logsumexp over the components of their
log_prob plus log_softmax(the mixture's logits), so it stays exact far in the tails where
each component's probability underflows; mean and variance are the weighted mean and the
law of total variance, cdf the weighted sum of the components' cdfs: Tensor ops, so
gradients reach both distributions' parameters. sample draws a component per batch entry
(the mixture broadcast over the batch) and takes that component's draw (no rsample, as
PyTorch's).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import make_generator
from ..engine import no_grad
from ..tensor import Tensor
from . import constraints
from .constraints_more import MixtureSameFamilyConstraint
from .discrete import Categorical
from .distribution import Distribution, constant

__all__ = ["MixtureSameFamily", "MixtureSameFamilyConstraint"]


class MixtureSameFamily(Distribution):
    """A mixture of the components of `component_distribution` (its last batch axis, k
    long) with the weights of `mixture_distribution` (a Categorical over k): PyTorch's
    MixtureSameFamily(mixture_distribution, component_distribution)."""

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical,
                 component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(f"MixtureSameFamily: mixture_distribution must be a Categorical, "
                             f"got {type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError(f"MixtureSameFamily: component_distribution must be a "
                             f"Distribution, got {type(component_distribution).__name__}")
        comp_batch = component_distribution.batch_shape
        if not comp_batch:
            raise ValueError(f"MixtureSameFamily: component_distribution "
                             f"{component_distribution!r} has no batch axis; its last batch "
                             f"axis must index the components")
        mix_batch, batch = mixture_distribution.batch_shape, comp_batch[:-1]
        if any(a != 1 and b != 1 and a != b for a, b in zip(mix_batch[::-1], batch[::-1])):
            raise ValueError(f"MixtureSameFamily: mixture_distribution.batch_shape "
                             f"{mix_batch} is not compatible with "
                             f"component_distribution.batch_shape[:-1] {batch}; give "
                             f"shapes that broadcast")
        k_mix, k_comp = mixture_distribution.param_shape[-1], comp_batch[-1]
        if k_mix != k_comp:
            raise ValueError(f"MixtureSameFamily: the mixture has {k_mix} components but "
                             f"component_distribution.batch_shape[-1] is {k_comp}; give "
                             f"as many of each")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = k_mix
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(batch, component_distribution.event_shape,
                         validate_args=validate_args)

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    @property
    def support(self) -> constraints.Constraint:
        return MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def _dtype(self) -> np.dtype:
        return self._component_distribution._dtype

    def expand(self, batch_shape: Any, _instance: Any = None) -> "MixtureSameFamily":
        shape = self._sample_shape(batch_shape)
        new = MixtureSameFamily(self._mixture_distribution.expand(shape),
                                self._component_distribution.expand(
                                    shape + (self._num_component,)), validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _weights(self) -> Tensor:
        """The mixture's probabilities with an axis of 1 per event axis after them, to
        broadcast with the components' values (..., k, event)."""
        probs = self._mixture_distribution.probs
        return probs.reshape(probs.shape + (1,) * self._event_ndims)

    def _over_components(self, values: Tensor) -> Tensor:
        return values.sum(axis=-1 - self._event_ndims)

    @property
    def mean(self) -> Tensor:
        return self._over_components(self._weights() * self._component_distribution.mean)

    @property
    def variance(self) -> Tensor:
        # the law of total variance: E[Var(Y | X)] + Var(E[Y | X])
        weights, comp = self._weights(), self._component_distribution
        spread = (comp.mean - self._pad(self.mean)).square()
        return self._over_components(weights * comp.variance) + self._over_components(
            weights * spread)

    def _pad(self, value: Tensor) -> Tensor:
        return value.unsqueeze(-1 - self._event_ndims)

    def cdf(self, x: Any) -> Tensor:  # (x: PyTorch's argument name, here and in log_prob)
        value = self._value(x, "cdf")
        return (self._component_distribution.cdf(self._pad(value))
                * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, x: Any) -> Tensor:
        value = self._value(x, "log_prob")
        log_prob = self._component_distribution.log_prob(self._pad(value))
        log_weights = self._mixture_distribution.logits.log_softmax(axis=-1)
        return (log_prob + log_weights).logsumexp(axis=-1)

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        rng = make_generator(seed, generator, "MixtureSameFamily.sample")
        shape = self._sample_shape(sample_shape)
        with no_grad():
            mixture = self._mixture_distribution.expand(self._batch_shape)
            chosen = mixture.sample(shape, generator=rng)._data
            draws = self._component_distribution.sample(shape, generator=rng)._data
        axis = len(shape) + len(self._batch_shape)
        index = chosen.reshape(chosen.shape + (1,) * (1 + self._event_ndims))
        picked = np.take_along_axis(draws, index.astype(np.int64), axis=axis)
        return constant(np.squeeze(picked, axis=axis), draws.dtype)

    def __repr__(self) -> str:  # (one line, where PyTorch's breaks it: errors show it)
        return (f"MixtureSameFamily({self._mixture_distribution!r}, "
                f"{self._component_distribution!r})")

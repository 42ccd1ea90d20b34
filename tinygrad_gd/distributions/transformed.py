"""`TransformedDistribution`: a base distribution's draws sent through transforms (PyTorch's
TransformedDistribution(base_distribution, transforms)).

A draw is t_n(...t_1(x)) for x a draw of the base; log_prob(y) is the base's log_prob of
x = t_1.inv(...t_n.inv(y)) minus each transform's log_abs_det_jacobian, each summed over
the event axes it adds, as PyTorch's; cdf and icdf go through monotone transforms (a
decreasing one flips the probability: 1 - cdf). The shapes are PyTorch's: a transform of
vectors (SoftmaxTransform, AffineTransform(event_dim=1)) makes the base's last batch
axes event axes (Independent); batch_shape and event_shape follow. The moments and the
entropy are not defined (NotImplementedError), as in PyTorch.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import make_generator
from ..engine import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .multivariate import Independent
from .transforms_basic import ComposeTransform, Transform, sum_rightmost

__all__ = ["TransformedDistribution"]


class TransformedDistribution(Distribution):
    """`base_distribution` sent through `transforms` (a Transform or a list of them, applied
    in order): PyTorch's TransformedDistribution."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, transforms: Any,
                 validate_args: bool | None = None) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"TransformedDistribution: base_distribution must be a "
                            f"Distribution, got {type(base_distribution).__name__}")
        if isinstance(transforms, Transform):
            transforms = [transforms]
        elif not (isinstance(transforms, (list, tuple))
                  and all(isinstance(t, Transform) for t in transforms)):
            raise ValueError(f"TransformedDistribution: transforms must be a Transform or a "
                             f"list of Transforms, got {transforms!r}")
        self.transforms = list(transforms)
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        if len(base_shape) < transform.domain.event_dim:
            raise ValueError(f"TransformedDistribution: the base's shape {base_shape} has "
                             f"fewer axes than the transforms' events need "
                             f"({transform.domain.event_dim}); give a base with more axes")
        forward_shape = transform.forward_shape(base_shape)
        expanded = transform.inverse_shape(forward_shape)
        if base_shape != expanded:  # (a transform's parameters broadcast the base)
            cut = len(expanded) - base_event_dim
            base_distribution = base_distribution.expand(expanded[:cut])
        reinterpreted = transform.domain.event_dim - base_event_dim
        if reinterpreted > 0:
            base_distribution = Independent(base_distribution, reinterpreted)
        self.base_dist = base_distribution
        event_dim = transform.codomain.event_dim + max(base_event_dim
                                                       - transform.domain.event_dim, 0)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:],
                         validate_args=validate_args)

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def support(self) -> constraints.Constraint:
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self._event_shape) > support.event_dim:
            support = constraints.independent(support, len(self._event_shape)
                                              - support.event_dim)
        return support

    @property
    def _dtype(self) -> np.dtype:
        return self.base_dist._dtype

    def expand(self, batch_shape: Any, _instance: Any = None) -> "TransformedDistribution":
        shape = tuple(batch_shape) + self._event_shape
        transform = ComposeTransform(self.transforms)
        base_shape = transform.inverse_shape(shape)
        cut = len(base_shape) - len(self.base_dist.event_shape)
        new = TransformedDistribution(self.base_dist.expand(base_shape[:cut]),
                                      self.transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _through(self, x: Tensor) -> Tensor:
        for transform in self.transforms:
            x = transform(x)
        return x

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        with no_grad():
            return self._through(self.base_dist.sample(sample_shape, generator=generator,
                                                       seed=seed)).detach()

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        if not self.base_dist.has_rsample:
            return super().rsample(sample_shape)
        rng = make_generator(seed, generator, "TransformedDistribution.rsample")
        return self._through(self.base_dist.rsample(sample_shape, generator=rng))

    def log_prob(self, value: Any) -> Tensor:
        y = self._value(value, "log_prob")
        event_dim = len(self._event_shape)
        total: Any = 0.0
        for transform in reversed(self.transforms):
            x = transform.inv(y)
            event_dim += transform.domain.event_dim - transform.codomain.event_dim
            total = total - sum_rightmost(transform.log_abs_det_jacobian(x, y),
                                          event_dim - transform.domain.event_dim)
            y = x
        return total + sum_rightmost(self.base_dist.log_prob(y),
                                     event_dim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value: Tensor) -> Tensor:
        """value, or 1 - value where the transforms decrease (sign -1)."""
        sign: Any = 1
        for transform in self.transforms:
            sign = sign * transform.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value: Any) -> Tensor:
        value = self._value(value, "cdf")
        for transform in reversed(self.transforms):
            value = transform.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value, "cdf")
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value: Any) -> Tensor:
        value = self.base_dist.icdf(self._monotonize_cdf(self._probability(value)))
        return self._through(value)

    def __repr__(self) -> str:
        return f"TransformedDistribution({self.base_dist!r}, {self.transforms!r})"

"""`ExponentialFamily`, the base class of PyTorch's exponential families: Bernoulli, Beta,
ContinuousBernoulli, Dirichlet, Exponential, Gamma (so Chi2), Normal, Poisson and Wishart.

Their densities are exp(<t(x), theta> - F(theta) + k(x)): theta the natural parameters
(`_natural_params`), F the log normalizer (`_log_normalizer(*theta)`), E[k(x)] the mean
carrier measure (`_mean_carrier_measure`; Beta, Dirichlet and Poisson define none, as
PyTorch's). From them `ExponentialFamily.entropy` is F - <theta, grad F> - E[k(x)], grad F
by backward() (Nielsen and Nock's Bregman form), and kl.py's rule for two of one family
is the Bregman divergence of F; each class's own closed forms win over both.
"""
from __future__ import annotations

from typing import Any

from ..autograd import grad
from ..engine import enable_grad
from ..tensor import Tensor
from .distribution import Distribution
from .transforms_basic import sum_rightmost

__all__ = ["ExponentialFamily", "summed_per_distribution"]


def summed_per_distribution(term: Tensor, batch_shape: tuple[int, ...]) -> Tensor:
    """`term` (of shape batch_shape + a natural parameter's own axes) summed over the axes
    after batch_shape: one number per distribution (PyTorch's reshape to batch_shape +
    (-1,) fails on an empty batch)."""
    return sum_rightmost(term, term.ndim - len(batch_shape))


class ExponentialFamily(Distribution):
    """The base of the distributions of the form exp(<t(x), theta> - F(theta) + k(x)):
    PyTorch's ExponentialFamily. A subclass gives `_natural_params` (theta, a tuple),
    `_log_normalizer(*theta)` (F) and `_mean_carrier_measure` (E[k(x)]); the entropy is
    then F - <theta, grad F> - E[k(x)] (no gradient flows to the parameters from it, as
    PyTorch's: theta is detached)."""

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError(f"{type(self).__name__} defines no _natural_params")

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no _log_normalizer")

    @property
    def _mean_carrier_measure(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no _mean_carrier_measure")

    def _log_normalizer_slopes(self) -> tuple[list[Tensor], Tensor, tuple]:
        """theta (detached), F(theta) and grad F at theta."""
        params = [p.detach().requires_grad_() for p in self._natural_params]
        with enable_grad():
            log_normalizer = self._log_normalizer(*params)
            slopes = grad(log_normalizer.sum(), params)
        return params, log_normalizer.detach(), slopes

    def entropy(self) -> Tensor:
        params, log_normalizer, slopes = self._log_normalizer_slopes()
        result = log_normalizer - self._mean_carrier_measure
        for param, slope in zip(params, slopes):
            result = result - summed_per_distribution(param.detach() * slope,
                                                      self._batch_shape)
        return result

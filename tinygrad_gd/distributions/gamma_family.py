"""The gamma family: `Gamma`, `Chi2`, `Beta`, `Dirichlet`, `StudentT` (PyTorch's, with its
formulas).

Gamma's rsample is reparameterized in both parameters: a draw of Gamma(concentration, 1)
divided by rate, the draw's gradient with respect to the concentration the implicit one
(it keeps the draw's quantile fixed: gamma_ops.py), as PyTorch's; the rate's by the
division. Chi2(df) is Gamma(df / 2, 1 / 2); Dirichlet's draws are Gamma draws normalized
to sum to 1, and Beta is a Dirichlet of two (concentration1 for the value, concentration0
for 1 - value), as PyTorch's; their rsample's gradient to the concentrations is PyTorch's
formula, each entry held at its Beta marginal's quantile (gamma_ops.py), so Beta's is the
Beta implicit gradient; StudentT's draw is a normal one over the square root of a Chi2 one
over df.
log_prob and entropy are made of lgamma, digamma and xlogy (xlogy(c - 1, 0) is 0 where
c = 1: a value on the support's edge). Gamma's cdf is the regularized incomplete gamma
function, differentiable in the value and rate only, as PyTorch's.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..creation import make_generator
from ..functional import stack, where
from ..nn.layer_arguments import _named
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, as_float_tensors, broadcast_all, constant, draw
from .exponential_family import ExponentialFamily
from ..ops.incomplete_gamma import Igamma
from .gamma_ops import DirichletDraw, GammaDraw

__all__ = ["Gamma", "Chi2", "Beta", "Dirichlet", "StudentT"]


def _gamma_draws(concentration: Tensor, shape: tuple, rng: np.random.Generator,
                 where_: str) -> tuple[Tensor, Tensor]:
    """The concentration broadcast to `shape`, and draws of Gamma(it, 1), one for each of
    its entries, as a constant; kept >= the dtype's smallest normal number (as PyTorch's),
    so their logs stay finite."""
    alpha = concentration if concentration.shape == shape else concentration.broadcast_to(shape)
    dtype = alpha.dtype
    tiny = np.finfo(dtype).tiny
    return alpha, draw(where_, rng, None, lambda r: np.maximum(  # (one draw: NumPy's float)
        np.asarray(r.standard_gamma(alpha._data.astype(np.float64))).astype(dtype), tiny), dtype)


def standard_gamma(concentration: Tensor, shape: tuple, rng: np.random.Generator,
                   where_: str) -> Tensor:
    """Draws of Gamma(concentration, 1) of `shape`, concentration broadcast to it, with the
    implicit gradient to the concentration."""
    return GammaDraw.apply(*_gamma_draws(concentration, shape, rng, where_))


class Gamma(ExponentialFamily):
    """rate**c x**(c - 1) e**(-rate x) / Gamma(c) for x > 0: PyTorch's Gamma(concentration,
    rate)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _given = ("concentration", "rate")
    _mean_carrier_measure = 0

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(type(self).__name__, concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.square()

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        where_ = f"{type(self).__name__}.rsample"
        rng = make_generator(seed, generator, where_)
        shape = self._extended_shape(sample_shape)
        return standard_gamma(self.concentration, shape, rng, where_) / self.rate

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        c, rate = self.concentration, self.rate
        return c.xlogy(rate) + (c - 1).xlogy(value) - rate * value - c.lgamma()

    def cdf(self, value: Any) -> Tensor:
        return Igamma.apply(self.concentration, self.rate * self._value(value, "cdf"))

    def entropy(self) -> Tensor:
        c = self.concentration
        return c - self.rate.log() + c.lgamma() + (1.0 - c) * c.digamma()

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return (x + 1).lgamma() + (x + 1) * (-y.reciprocal()).log()


class Chi2(Gamma):
    """The chi-squared distribution of df degrees of freedom: PyTorch's Chi2(df), that is
    Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}
    _given = ("df",)

    def __init__(self, df: Any, validate_args: bool | None = None) -> None:
        (self.df,) = broadcast_all("Chi2", df)
        rate = _named(constant(np.full(self.df.shape, 0.5), self.df.dtype), "rate 1/2")
        super().__init__(0.5 * self.df, rate, validate_args=validate_args)


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution on the simplex of vectors of length k (the last axis of
    concentration, every entry > 0): PyTorch's Dirichlet(concentration)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True
    _given = ("concentration",)

    def __init__(self, concentration: Any, validate_args: bool | None = None) -> None:
        (self.concentration,) = as_float_tensors("Dirichlet", concentration)
        if self.concentration.ndim < 1:
            raise ValueError("Dirichlet: concentration must have at least one axis (a vector "
                             "of k > 0 entries), got a single number; give concentration of "
                             "shape (..., k)")
        shape = self.concentration.shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(axis=-1, keepdims=True)

    @property
    def mode(self) -> Tensor:
        # every entry < 1: the density is largest at the corners; PyTorch's gives the first
        below = np.all(self.concentration._data < 1, axis=-1, keepdims=True)
        excess = (self.concentration - 1).clamp(min=0.0)
        total = where(below, 1.0, excess.sum(axis=-1, keepdims=True))
        corner = np.zeros(self.concentration.shape, dtype=self._dtype)
        corner[..., 0] = 1
        return where(np.broadcast_to(below, corner.shape),
                     _named(constant(corner), "the first corner"), excess / total)

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        total = c.sum(axis=-1, keepdims=True)
        return c * (total - c) / (total.square() * (total + 1))

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        where_ = f"{type(self).__name__}.rsample"
        rng = make_generator(seed, generator, where_)
        alpha, gammas = _gamma_draws(self.concentration, self._extended_shape(sample_shape),
                                     rng, where_)
        return DirichletDraw.apply(alpha, gammas / gammas.sum(axis=-1, keepdims=True))

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        c = self.concentration
        return ((c - 1.0).xlogy(value).sum(axis=-1) + c.sum(axis=-1).lgamma()
                - c.lgamma().sum(axis=-1))

    def entropy(self) -> Tensor:
        c = self.concentration
        k = c.shape[-1]
        total = c.sum(axis=-1)
        return (c.lgamma().sum(axis=-1) - total.lgamma() - (k - total) * total.digamma()
                - ((c - 1.0) * c.digamma()).sum(axis=-1))

    # (no _mean_carrier_measure, as PyTorch's: the entropy above is the one there is)
    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.concentration,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.lgamma().sum(axis=-1) - x.sum(axis=-1).lgamma()


class Beta(ExponentialFamily):
    """x**(c1 - 1) (1 - x)**(c0 - 1) / B(c1, c0) on [0, 1]: PyTorch's Beta(concentration1,
    concentration0), a Dirichlet of the two."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True
    _given = ("concentration1", "concentration0")

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all("Beta", concentration1,
                                                                 concentration0)
        super().__init__(self.concentration1.shape, validate_args=validate_args)
        self._dirichlet = Dirichlet(stack([self.concentration1, self.concentration0], -1),
                                    validate_args=False)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.square() * (total + 1))

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        return self._dirichlet.rsample(sample_shape, generator=generator, seed=seed)[..., 0]

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob")
        return self._dirichlet.log_prob(stack([value, 1.0 - value], -1))

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()

    # (no _mean_carrier_measure, as PyTorch's: the entropy above is the one there is)
    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return x.lgamma() + y.lgamma() - (x + y).lgamma()


class StudentT(Distribution):
    """Student's t distribution of df degrees of freedom, shifted by loc and scaled by scale:
    PyTorch's StudentT(df, loc=0.0, scale=1.0). Its mean is NaN for df <= 1; its variance
    inf for 1 < df <= 2 and NaN for df <= 1, as PyTorch's."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _given = ("df", "loc", "scale")

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0,
                 validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all("StudentT", df, loc, scale)
        super().__init__(self.df.shape, validate_args=validate_args)
        self._chi2 = Chi2(self.df, validate_args=False)

    @property
    def mean(self) -> Tensor:
        return where(self.df._data <= 1, np.nan, self.loc)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df._data
        above = df > 2
        safe_df = where(above, self.df, 3.0)  # (no 0 or negative divisor in the unused branch)
        finite = self.scale.square() * safe_df / (safe_df - 2)
        return where(above, finite, _named(constant(np.where(df > 1, np.inf, np.nan),
                                                    self._dtype), "inf (df > 1) or NaN"))

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        where_ = "StudentT.rsample"
        rng = make_generator(seed, generator, where_)
        shape = self._extended_shape(sample_shape)
        normal = draw(where_, rng, None, lambda r: r.standard_normal(shape), self._dtype)
        chi2 = self._chi2.rsample(sample_shape, generator=rng)
        return self.loc + self.scale * normal * (chi2 / self.df).rsqrt()

    def log_prob(self, value: Any) -> Tensor:
        y = (self._value(value, "log_prob") - self.loc) / self.scale
        df = self.df
        z = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi)
             + (0.5 * df).lgamma() - (0.5 * (df + 1.0)).lgamma())
        return -0.5 * (df + 1.0) * (y.square() / df).log1p() - z

    def entropy(self) -> Tensor:
        df = self.df
        lbeta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
        return (self.scale.log()
                + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma() - (0.5 * df).digamma())
                + 0.5 * df.log() + lbeta)

"""The op the gamma family needs beyond tg's: a gamma draw whose gradient with respect to
its concentration is the implicit reparameterization gradient. (Gamma's cdf, the
regularized lower incomplete gamma function P(a, x), is the op igamma of
ops/incomplete_gamma.py.)

A draw x of Gamma(a, 1) is held at its quantile u = P(a, x) while a moves, so
dx/da = -(dP/da) / (dP/dx), with dP/dx = x**(a - 1) e**-x / Gamma(a) the density. From
the series P(a, x) = e**-x x**a sum_n x**n / Gamma(a + n + 1), term by term,
dP/da = e**-x x**a / Gamma(a + 1) * S with
S = sum_n r_n (ln x - psi(a + n + 1)), r_0 = 1, r_(n+1) = r_n x / (a + n + 1),
so dx/da = -x S / a: no power of x and no Gamma(a) is formed (nothing under- or
overflows for a draw in the bulk of its distribution). The sum runs until its terms fall
below float64's resolution once they decrease (n > x - a), so it is exact to about 1e-14
(PyTorch's own is a fitted approximation; both are unbiased estimators' per-draw slopes).
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..ops.arguments import floating
from ..ops.gamma import digamma
from ..ops.pointwise import _QUIET

__all__ = ["standard_gamma_slope", "GammaDraw"]

_EPS = np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).tiny
_MAX_TERMS = 10 ** 6  # (the series needs about x - a + 9 sqrt(x) terms)


def standard_gamma_slope(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dx/dalpha of draws x of Gamma(alpha, 1) held at their quantile (float64)."""
    a, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.reshape(-1), np.maximum(x.reshape(-1), _TINY)
    with np.errstate(**_QUIET):
        log_x = np.log(x)
        psi = digamma(a + 1)
        ratio = np.ones_like(a)
        total = log_x - psi
        size = ratio.copy()
        active = np.arange(a.size)
        n = 0
        while active.size and n < _MAX_TERMS:
            n += 1
            aa, xx = a[active], x[active]
            ratio[active] *= xx / (aa + n)
            psi[active] += 1 / (aa + n)
            term = ratio[active] * (log_x[active] - psi[active])
            total[active] += term
            size[active] += ratio[active]
            done = (n > xx - aa) & (ratio[active] < _EPS * 1e-2 * size[active])
            active = active[~done]
        slope = -x * total / a
    return slope.reshape(shape)


class GammaDraw(Function, register=False, name="standard_gamma", elementwise=True):
    """Draws x of Gamma(alpha, 1), made elsewhere, as a function of alpha: the value is the
    draw, the gradient the implicit reparameterization one (module docstring).

    forward: `x` (the draw given)
    gradient: `g * dx/dalpha = -g * (dP/dalpha) / (dP/dx)` for alpha, none for x
    """

    def forward(ctx, alpha, x):
        alpha, x = floating(alpha), floating(x)
        ctx.save_for_backward(alpha, x)
        return np.array(x, copy=True)

    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        slope = standard_gamma_slope(alpha, x)
        return (g * slope).astype(g.dtype, copy=False), None

"""The ops the gamma family needs beyond tg's: a gamma draw whose gradient with respect to
its concentration is the implicit reparameterization gradient (`GammaDraw`), and a
Dirichlet draw whose gradient is PyTorch's formula built on the Beta marginals' implicit
gradients (`DirichletDraw`, below). (Gamma's cdf, the regularized lower incomplete gamma
function P(a, x), is the op igamma of ops/incomplete_gamma.py.)

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

__all__ = ["standard_gamma_slope", "GammaDraw", "beta_slope_over", "DirichletDraw"]

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


# -- Dirichlet ----------------------------------------------------------------------------
# A draw x of Dirichlet(alpha) has marginals x_j ~ Beta(alpha_j, b_j), b_j = sum(alpha) -
# alpha_j. Held at its quantile while alpha_j moves (b_j fixed), x_j moves by D_j, the Beta
# implicit slope, and the other entries shrink in proportion to keep the sum 1; so
# d loss/d alpha_j = D_j / (1 - x_j) * (g_j - sum_i x_i g_i): PyTorch's _Dirichlet backward,
# a function of the draw alone (Beta's rsample, a Dirichlet of two, gets the Beta implicit
# slope exactly). Normalizing gamma draws instead gives another unbiased per-draw slope,
# but not PyTorch's, and a noisier one (this is its expectation given x).
#
# The slope comes from I_x(a, b) = x**a (1 - x)**b T / (a B(a, b)), with the series of
# positive terms T = sum_n t_n, t_0 = 1, t_(n+1) = t_n x (a + b + n) / (a + 1 + n), used
# where x < (a + 1) / (a + b + 2) (it converges fast there); elsewhere on y = 1 - x, a draw
# of Beta(b, a), by I_x(a, b) = 1 - I_y(b, a). Dividing d I / d a by the density leaves
#   D / (1 - x) = -(x / a) (T (ln x - 1/a - psi(a) + psi(a + b)) + dT/da)     (direct)
#   D / (1 - x) = (x / b) (T (ln x - psi(a) + psi(a + b)) + dT/da)            (reflected,
# T over y with parameters (b, a)): no Beta function and no power is formed.


def beta_slope_over(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """D / (1 - x), D = dx/da of draws x of Beta(a, b) held at their quantile, b fixed
    (float64; 0 where b is 0, a Dirichlet of one entry)."""
    a, b, x = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, x)))
    shape = a.shape
    a, b, x = a.reshape(-1), b.reshape(-1), x.reshape(-1)
    with np.errstate(**_QUIET):
        flip = x >= (a + 1) / (a + b + 2)
        p, q = np.where(flip, b, a), np.where(flip, a, b)
        z = np.clip(np.where(flip, 1 - x, x), _TINY, 1.0)
        term, total, slope = np.ones_like(z), np.ones_like(z), np.zeros_like(z)
        d_term = np.zeros_like(z)  # d t_n / d a: a is q where flipped, else p
        active = np.flatnonzero(b > 0)
        n = 0
        while active.size and n < _MAX_TERMS:
            pp, qq, zz, ff = p[active], q[active], z[active], flip[active]
            step = zz * (pp + qq + n) / (pp + 1 + n)
            d_log = 1 / (pp + qq + n) - np.where(ff, 0.0, 1 / (pp + 1 + n))
            d_term[active] = (d_term[active] + term[active] * d_log) * step
            term[active] *= step
            total[active] += term[active]
            slope[active] += d_term[active]
            n += 1
            done = (step < 1) & (term[active] < _EPS * 1e-2 * total[active])
            active = active[~done]
        log_x = np.log(np.maximum(x, _TINY))
        psi = digamma(a + b) - digamma(a)
        direct = -(x / a) * (total * (log_x - 1 / a + psi) + slope)
        reflected = (x / b) * (total * (log_x + psi) + slope)
        result = np.where(b > 0, np.where(flip, reflected, direct), 0.0)
    return result.reshape(shape)


class DirichletDraw(Function, register=False, name="dirichlet_draw"):
    """Draws x of Dirichlet(alpha) (the last axis), made elsewhere, as a function of alpha
    (broadcast to x's shape): the value is the draw, the gradient PyTorch's (above).

    forward: `x` (the draw given)
    gradient: `D / (1 - x) * (g - sum(x * g))` for alpha, none for x
    """

    def forward(ctx, alpha, x):
        alpha, x = floating(alpha), floating(x)
        ctx.save_for_backward(alpha, x)
        return np.array(x, copy=True)

    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        rest = alpha.sum(axis=-1, keepdims=True) - alpha
        slope = beta_slope_over(alpha, rest, x)
        centred = g - (x * g).sum(axis=-1, keepdims=True)
        return (slope * centred).astype(g.dtype, copy=False), None

"""The two ops the gamma family needs beyond tg's: a gamma draw whose gradient with respect
to its concentration is the implicit reparameterization gradient, and the regularized
lower incomplete gamma function P(a, x) (PyTorch's special.gammainc), Gamma's cdf.

A draw x of Gamma(a, 1) is held at its quantile u = P(a, x) while a moves, so
dx/da = -(dP/da) / (dP/dx), with dP/dx = x**(a - 1) e**-x / Gamma(a) the density. From
the series P(a, x) = e**-x x**a sum_n x**n / Gamma(a + n + 1), term by term,
dP/da = e**-x x**a / Gamma(a + 1) * S with
S = sum_n r_n (ln x - psi(a + n + 1)), r_0 = 1, r_(n+1) = r_n x / (a + n + 1),
so dx/da = -x S / a: no power of x and no Gamma(a) is formed (nothing under- or
overflows for a draw in the bulk of its distribution). The sum runs until its terms fall
below float64's resolution once they decrease (n > x - a), so it is exact to about 1e-14
(PyTorch's own is a fitted approximation; both are unbiased estimators' per-draw slopes).
P(a, x) is that series for x < a + 1 and 1 - Q(a, x) by Q's continued fraction (Lentz's
method) above, computed in float64.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..ops.arguments import floating
from ..ops.gamma import digamma, lgamma
from ..ops.pointwise import _QUIET

__all__ = ["standard_gamma_slope", "gammainc", "GammaDraw", "Gammainc"]

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


def _lower_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(a, x) by its series (x < a + 1: fast)."""
    term = np.ones_like(a)
    total = term.copy()
    active = np.arange(a.size)
    n = 0
    while active.size and n < _MAX_TERMS:
        n += 1
        term[active] *= x[active] / (a[active] + n)
        total[active] += term[active]
        active = active[term[active] >= _EPS * 1e-2 * total[active]]
    return np.exp(a * np.log(x) - x - lgamma(a + 1)) * total


def _upper_fraction(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Q(a, x) = 1 - P(a, x) by its continued fraction (x >= a + 1), Lentz's method."""
    b = x + 1 - a
    c = np.full_like(a, 1 / _TINY)
    d = 1 / b
    h = d.copy()
    active = np.arange(a.size)
    i = 0
    while active.size and i < _MAX_TERMS:
        i += 1
        an = -i * (i - a[active])
        b[active] += 2
        dd = an * d[active] + b[active]
        dd = np.where(np.abs(dd) < _TINY, _TINY, dd)
        cc = b[active] + an / c[active]
        cc = np.where(np.abs(cc) < _TINY, _TINY, cc)
        d[active], c[active] = 1 / dd, cc
        delta = cc / dd
        h[active] *= delta
        active = active[np.abs(delta - 1) >= _EPS]
    return np.exp(a * np.log(x) - x - lgamma(a)) * h


def gammainc(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The regularized lower incomplete gamma function P(a, x), a > 0 and x >= 0 (float64;
    NaN elsewhere, as PyTorch's)."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.reshape(-1).copy(), x.reshape(-1).copy()
    out = np.full(a.shape, np.nan)
    with np.errstate(**_QUIET):
        valid = (a > 0) & (x >= 0)
        out[valid & (x == 0)] = 0.0
        out[valid & np.isposinf(x) & np.isfinite(a)] = 1.0
        finite = valid & (x > 0) & np.isfinite(x) & np.isfinite(a)
        low = finite & (x < a + 1)
        high = finite & ~low
        out[low] = _lower_series(a[low], x[low])
        out[high] = 1 - _upper_fraction(a[high], x[high])
    return out.reshape(shape)


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


class Gammainc(Function, register=False, name="gammainc", elementwise=True):
    """The regularized lower incomplete gamma function P(a, x) (PyTorch's special.gammainc).
    Its derivative with respect to a is not implemented, as in PyTorch.

    forward: `P(a, x) = integral from 0 to x of t**(a - 1) e**-t dt / Gamma(a)`
    gradient: none for a (NotImplementedError), `g * x**(a - 1) e**-x / Gamma(a)` for x
    """

    def forward(ctx, a, x):
        a, x = floating(a), floating(x)
        ctx.save_for_backward(a, x)
        return gammainc(a, x).astype(np.result_type(a, x), copy=False)

    def backward(ctx, g):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(
                "Gamma.cdf (gammainc): the derivative with respect to the concentration is "
                "not implemented, as in PyTorch; detach the concentration to differentiate "
                "with respect to the rate and the value")
        a64, x64 = a.astype(np.float64), x.astype(np.float64)
        with np.errstate(**_QUIET):
            density = np.exp((a64 - 1) * np.log(x64) - x64 - lgamma(a64))
        return None, (g * density).astype(g.dtype, copy=False)

"""The ops the gamma family needs beyond tg's: a gamma draw whose gradient with respect to
its concentration is the implicit reparameterization gradient (`GammaDraw`), and a
Dirichlet draw whose gradient is PyTorch's formula built on the Beta marginals' implicit
gradients (`DirichletDraw`, below). (Gamma's cdf, the regularized lower incomplete gamma
function P(a, x), is the op igamma of ops/incomplete_gamma.py.) Both are first order only,
as PyTorch's (their backward is @once_differentiable there).

A draw x of Gamma(a, 1) is held at its quantile u = P(a, x) while a moves, so
dx/da = -(dP/da) / (dP/dx), with dP/dx = x**(a - 1) e**-x / Gamma(a) the density. From
the series P(a, x) = e**-x x**a sum_n x**n / Gamma(a + n + 1), term by term,
dP/da = e**-x x**a / Gamma(a + 1) * S with
S = sum_n r_n (ln x - psi(a + n + 1)), r_0 = 1, r_(n+1) = r_n x / (a + n + 1),
so dx/da = -x S / a: no power of x and no Gamma(a) is formed (nothing under- or
overflows for a draw in the bulk of its distribution). The sum runs until its terms fall
below float64's resolution once they decrease (n > x - a), so it is exact to about 1e-14
(PyTorch's own is a fitted approximation; both are unbiased estimators' per-draw slopes).

The series needs about sqrt(150 a) terms for a large a (the draw is within a few sqrt(a)
of a), and far above the mean (P near 1) it would lose the digits of 1 - P: there, and
from a = 50 on, dx/da is computed from its integral instead,
dx/da = -integral_0^x (ln t - psi(a)) f(t) / f(x) dt = +integral_x^inf (the same), f the
density (the two halves sum to 0, as E[ln t] = psi(a)), taken on the side away from the
mode, where f(t) / f(x) falls from 1 (as fast as a Gaussian of ln f's least curvature
where ln f is concave, a >= 1), by Gauss-Legendre over the stretch where it is above
e**-46: as exact as the series (to about 1e-12; a draw's own rounding limits it near
a = 1e12), in one step for every entry.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..higher_order import NoSecondDerivative
from ..ops.arguments import floating
from ..ops.gamma import digamma
from ..ops.pointwise import _QUIET

__all__ = ["standard_gamma_slope", "GammaDraw", "beta_slope_over", "DirichletDraw"]

_EPS = np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).tiny
_MAX_TERMS = 10 ** 6  # (only a draw far in a tail comes near: an error says so if one does)
_INTEGRAL_FROM = 50.0  # the parameters from which the integral replaces the series
_CUT = 46.0  # the integral stops where f(t) / f(x) < e**-46
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(48)
_NODES, _WEIGHTS = (_NODES + 1) / 2, _WEIGHTS / 2  # (Gauss-Legendre's, moved onto [0, 1])


def _digamma_over_log(z: np.ndarray) -> np.ndarray:
    """psi(z) - ln z for z >= 50 (Stirling's series: exact to float64 there), so that
    ln x - psi(a) keeps its digits where the two nearly cancel."""
    w = 1 / (z * z)
    return -0.5 / z - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w * (1 / 240 - w / 132))))


def _integral(x: np.ndarray, side: np.ndarray, slope: np.ndarray, curvature_at,
              cap: np.ndarray, offset: np.ndarray, log_ratio) -> np.ndarray:
    """side * integral_0^reach (ln(t / x) + offset) f(t) / f(x) ds, t = x + side * s, with
    ln f(t) / f(x) = log_ratio(s, ln(t / x)) (the entries' parameters indexed [:, None]),
    reach where that falls below -_CUT (at most `cap`): first its bound by the tangent's
    `slope` and the least curvature over the stretch (`curvature_at(reach)`, a fixed point
    approached from below), then doubled while ln f is not that low there (it is convex
    near the draw where a concentration is < 1)."""
    reach = np.zeros_like(x)
    for _ in range(4):
        curvature = np.maximum(curvature_at(reach), 0)
        reach = np.minimum(2 * _CUT / (slope + np.sqrt(slope * slope + 2 * curvature * _CUT)),
                           cap)
    for _ in range(60):
        far = reach[:, None]
        short = (log_ratio(far, np.log1p(side[:, None] * far / x[:, None]))[:, 0] > -_CUT)
        short &= reach < cap
        if not short.any():
            break
        reach = np.where(short, np.minimum(2 * reach, cap), reach)
    s = reach[:, None] * _NODES
    log_t = np.log1p(side[:, None] * s / x[:, None])
    ratio = np.exp(log_ratio(s, log_t))
    return side * reach * (((log_t + offset[:, None]) * ratio) @ _WEIGHTS)


def _not_converged(what: str, values: dict, x: float) -> RuntimeError:
    pairs = ", ".join(f"{k}={v:.17g}" for k, v in values.items())
    return RuntimeError(
        f"{what}: the series of the implicit gradient did not converge in {_MAX_TERMS} "
        f"terms for {pairs} at the draw x={x:.17g} (far in a tail); report it with these "
        f"values, or detach this draw")


def standard_gamma_slope(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dx/dalpha of draws x of Gamma(alpha, 1) held at their quantile (float64)."""
    a, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.reshape(-1), np.maximum(x.reshape(-1), _TINY)
    slope = np.empty_like(a)
    with np.errstate(**_QUIET):
        # the series sums P(a, x): far above the mean, P near 1, it would lose the digits
        # of 1 - P; the integral there, and where the series needs many terms
        by_integral = (a >= _INTEGRAL_FROM) | (x > a + 3 * np.sqrt(a) + 3)
        if by_integral.any():
            slope[by_integral] = _gamma_integral(a[by_integral], x[by_integral])
        if not by_integral.all():
            slope[~by_integral] = _gamma_series(a[~by_integral], x[~by_integral])
    return slope.reshape(shape)


def _gamma_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    log_x = np.log(x)
    psi = digamma(a + 1)
    ratio = np.ones_like(a)
    total = log_x - psi
    size = ratio.copy()
    active = np.arange(a.size)
    n = 0
    while active.size:
        if n == _MAX_TERMS:
            k = active[0]
            raise _not_converged("the gradient of a gamma draw (Gamma, Chi2, StudentT, ... "
                                 "rsample)", {"concentration": a[k]}, x[k])
        n += 1
        aa, xx = a[active], x[active]
        ratio[active] *= xx / (aa + n)
        psi[active] += 1 / (aa + n)
        term = ratio[active] * (log_x[active] - psi[active])
        total[active] += term
        size[active] += ratio[active]
        done = (n > xx - aa) & (ratio[active] < _EPS * 1e-2 * size[active])
        active = active[~done]
    return -x * total / a


def _gamma_integral(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    side = np.where(x <= a - 1, -1.0, 1.0)  # (away from the mode a - 1)
    offset = np.where(a >= _INTEGRAL_FROM, np.log1p((x - a) / a) - _digamma_over_log(a),
                      np.log(x) - digamma(a))  # ln x - psi(a)
    return _integral(x, side, np.abs((a - 1) / x - 1),
                     lambda r: (a - 1) / (x + np.maximum(side, 0) * r) ** 2,
                     np.where(side < 0, x, np.inf), offset,
                     lambda s, log_t: (a - 1)[:, None] * log_t - side[:, None] * s)


class _ImplicitDraw:
    """A draw x made elsewhere, as a function of its concentration alpha: forward gives the
    draw (alpha and x kept for the gradient); the implicit gradient is computed in NumPy,
    first order only, as PyTorch's (@once_differentiable there): a derivative of it is
    refused in its own words."""

    distributions = ""

    def forward(ctx, alpha, x):  # noqa: N805
        alpha, x = floating(alpha), floating(x)
        ctx.save_for_backward(alpha, x)
        return np.array(x, copy=True)

    def backward_graph(ctx, out, g):  # noqa: N805
        raise NoSecondDerivative(
            f"op '{ctx.name}': the rsample gradient of {ctx.distributions} to the "
            f"concentration is first order only, as PyTorch's; differentiate it once "
            f"(create_graph=False), or for a derivative of an expectation of higher order "
            f"differentiate log_prob (a score-function estimator) or the first gradients' "
            f"finite differences")


class GammaDraw(_ImplicitDraw, Function, register=False, name="standard_gamma",
                elementwise=True):
    """Draws x of Gamma(alpha, 1), made elsewhere, as a function of alpha: the value is the
    draw, the gradient the implicit reparameterization one (module docstring).

    forward: `x` (the draw given)
    gradient: `g * dx/dalpha = -g * (dP/dalpha) / (dP/dx)` for alpha, none for x
    """

    distributions = "Gamma, Chi2, StudentT and the draws made of them"

    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        slope = standard_gamma_slope(alpha, x)
        return (g * slope).astype(g.dtype, copy=False), None

    def jvp(ctx, alpha_tangent, x_tangent):  # (forward-mode AD: the same slope)
        alpha, x = ctx.saved_tensors
        return standard_gamma_slope(alpha, x) * alpha_tangent


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
# positive terms T = sum_n t_n, t_0 = 1, t_(n+1) = t_n x (a + b + n) / (a + 1 + n), whose
# ratio falls to x: used where x <= 1/2, elsewhere on y = 1 - x, a draw of Beta(b, a), by
# I_x(a, b) = 1 - I_y(b, a) (ratio falling to y), so that it needs few terms. Dividing
# d I / d a by the density leaves
#   D / (1 - x) = -(x / a) (T (ln x - 1/a - psi(a) + psi(a + b)) + dT/da)     (direct)
#   D / (1 - x) = (x / b) (T (ln x - psi(a) + psi(a + b)) + dT/da)            (reflected,
# T over y with parameters (b, a)): no Beta function and no power is formed. A draw far
# in the tail across the mean from the series' side (above it with x <= 1/2) has I_x (or
# 1 - I_x) near 1, whose derivative that series gets as the difference of near-equal
# sums, and the other series needs many terms there (its ratio starts near 1); so do both
# series where a and b are >= 50 (about sqrt(150 min(a, b))). There D is the integral of
# the Gamma's kind (module docstring),
# D = -integral_0^x (ln t - psi(a) + psi(a + b)) f(t) / f(x) dt = +integral_x^1.


def beta_slope_over(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """D / (1 - x), D = dx/da of draws x of Beta(a, b) held at their quantile, b fixed
    (float64; 0 where b is 0, a Dirichlet of one entry, and at a draw rounded to 0)."""
    a, b, x = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, x)))
    shape = a.shape
    a, b, x = a.reshape(-1), b.reshape(-1), x.reshape(-1)
    result = np.zeros_like(a)
    with np.errstate(**_QUIET):
        above = x * (a + b) - a  # ((a + b) times the draw's distance above the mean)
        flip = x > 0.5
        # a draw far in the tail across the mean from the series' side: its I (or 1 - I)
        # near 1 would lose its digits there, and the other series needs many terms
        far = np.where(flip, -above, above) > 3 * np.sqrt(a * b / (a + b)) + 3
        # a draw rounded to 0 or 1: the slope's limits there, 0 and (psi(a + b) - psi(a)) / b
        # (PyTorch's; the formulas' ln x and 1 / (1 - x) give NaN at the ends)
        at_one = (b > 0) & (x >= 1)
        inside = (b > 0) & (x > 0) & ~at_one
        by_integral = inside & (((a >= _INTEGRAL_FROM) & (b >= _INTEGRAL_FROM)) | far)
        by_series = inside & ~by_integral
        if by_integral.any():
            aa, bb, xx = a[by_integral], b[by_integral], x[by_integral]
            slope = _beta_integral(aa, bb, xx) / (1 - xx)
            # a draw a few float64 steps below 1, its density's spread below a step (the
            # integral overflows there): its slope is the one at 1, as near as a draw gets
            unresolved = ~np.isfinite(slope) & (xx > 0.5)
            result[by_integral] = slope
            at_one[np.flatnonzero(by_integral)[unresolved]] = True
        if at_one.any():
            result[at_one] = _beta_offset(a[at_one], b[at_one], np.ones(at_one.sum())
                                          ) / b[at_one]
        if by_series.any():
            result[by_series] = _beta_series(a[by_series], b[by_series], x[by_series],
                                             flip[by_series])
    return result.reshape(shape)


def _beta_series(a: np.ndarray, b: np.ndarray, x: np.ndarray, flip: np.ndarray
                 ) -> np.ndarray:
    p, q = np.where(flip, b, a), np.where(flip, a, b)
    z = np.clip(np.where(flip, 1 - x, x), _TINY, 1.0)
    term, total, slope = np.ones_like(z), np.ones_like(z), np.zeros_like(z)
    d_term = np.zeros_like(z)  # d t_n / d a: a is q where flipped, else p
    active = np.arange(a.size)
    n = 0
    while active.size:
        if n == _MAX_TERMS:
            k = active[0]
            raise _not_converged("the gradient of a Dirichlet or Beta draw (rsample)",
                                 {"concentration": a[k], "the rest's sum": b[k]}, x[k])
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
    offset = _beta_offset(a, b, x)
    direct = -(x / a) * (total * (offset - 1 / a) + slope)
    reflected = (x / b) * (total * offset + slope)
    return np.where(flip, reflected, direct)


def _beta_offset(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """ln x - psi(a) + psi(a + b), its digits kept where it nearly vanishes (a large, x at
    the mean): ln(x (a + b) / a) with x (a + b) - a = b - (1 - x) (a + b) above 1/2."""
    above = np.where(x > 0.5, b - (1 - x) * (a + b), x * (a + b) - a) / a
    log_x = np.log(np.maximum(x, _TINY))
    # (ln(x (a + b) / a) by log1p near the mean; far below it, where log1p would round
    # to ln 0, as ln x + ln((a + b) / a))
    log_scaled = np.where(np.abs(above) < 0.5, np.log1p(above), log_x + np.log1p(b / a))
    return np.where(a >= _INTEGRAL_FROM,
                    log_scaled + _digamma_over_log(a + b) - _digamma_over_log(a),
                    log_x + digamma(a + b) - digamma(a))


def _beta_integral(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    mode = np.where(a < 1, 0.0, np.where(b < 1, 1.0, (a - 1) / (a + b - 2)))
    side = np.where(x <= mode, -1.0, 1.0)  # (away from the mode)
    left, right = np.minimum(side, 0), np.maximum(side, 0)
    return _integral(
        x, side, np.abs((a - 1) / x - (b - 1) / (1 - x)),
        lambda r: (a - 1) / (x + right * r) ** 2 + (b - 1) / (1 - x - left * r) ** 2,
        np.where(side < 0, x, 1 - x), _beta_offset(a, b, x), lambda s, log_t: (
            (a - 1)[:, None] * log_t
            + (b - 1)[:, None] * np.log1p(-side[:, None] * s / (1 - x)[:, None])))


class DirichletDraw(_ImplicitDraw, Function, register=False, name="dirichlet_draw"):
    """Draws x of Dirichlet(alpha) (the last axis), made elsewhere, as a function of alpha
    (broadcast to x's shape): the value is the draw, the gradient PyTorch's (above).

    forward: `x` (the draw given)
    gradient: `D / (1 - x) * (g - sum(x * g))` for alpha, none for x
    """

    distributions = "Dirichlet and Beta"

    def backward(ctx, g):
        slope, x = _dirichlet_slope(ctx)
        centred = g - (x * g).sum(axis=-1, keepdims=True)
        return (slope * centred).astype(g.dtype, copy=False), None

    def jvp(ctx, alpha_tangent, x_tangent):  # (forward-mode AD: the transposed formula)
        slope, x = _dirichlet_slope(ctx)
        moved = slope * alpha_tangent
        return moved - x * moved.sum(axis=-1, keepdims=True)


def _dirichlet_slope(ctx: DirichletDraw) -> tuple:
    alpha, x = ctx.saved_tensors
    rest = alpha.sum(axis=-1, keepdims=True) - alpha
    return beta_slope_over(alpha, rest, x), x

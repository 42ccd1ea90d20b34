"""The regularized incomplete gamma functions: P(a, x) (PyTorch's igamma, special.gammainc)
and Q(a, x) = 1 - P(a, x) (igammac, special.gammaincc).

P(a, x) = gamma(a, x) / Gamma(a), the integral of t**(a - 1) e**-t from 0 to x over
Gamma(a): the gamma distribution's cdf. Without SciPy: for x < a + 1 the series
x**a e**-x / Gamma(a + 1) * sum over n of x**n / ((a + 1)...(a + n)) gives P; from
x >= a + 1 the continued fraction of Q (modified Lentz), each the one that converges
fast there and is not 1 less a value near 1. The other function is 1 less it, but for
a < 1 below a + 1, where Q is small: there Q = 1 - x**a / Gamma(a + 1) (by expm1, with
lgamma(1 + a) from its series, not of 1 + a rounded) less the rest of P's power series.
The prefactor x**a e**-x / Gamma(a) is e**-x x**a / Gamma(a) below a = 10 and, from 10,
a (ln(x / a) - (x - a) / a) + ln(a / 2 pi) / 2 less Stirling's correction, exponentiated:
no lgamma(a) of thousands cancelled against a ln x. Accurate to about 1e-13 relatively
for a in [1e-3, 1e3] and x in [0, 1e4] (each is computed in float64 and given back in
its inputs' float dtype).

Edges as PyTorch's: NaN for a < 0, x < 0, a = x = 0 and a = x = inf; P is 1 for a = 0
(x > 0) and for x = inf, 0 for x = 0 (a > 0) and for a = inf. A NaN a or x gives NaN
(PyTorch tests its edges first: its P is 0 at a NaN a with x = 0 and at a = inf with a
NaN x, 1 at a NaN a with x = inf). Only x gets a
gradient, dP/dx = x**(a - 1) e**-x / Gamma(a) (dQ/dx its negative), as in PyTorch,
whose backward raises NotImplementedError for a; so does this one. Where PyTorch's
gradient is NaN from its formula (0 * ln 0 at a = 1, x = 0; x or a infinite) the limit
is given: 1 at a = 1, x = 0; 0 at x = inf and at a = inf. Second derivatives: the density
as an op (slopes.py), its derivative density * ((a - 1) / x - 1), with its limits at 0.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from .elementwise import Where
from .gamma import _HALF_LN_2PI, lgamma, lgamma_2_plus, stirling_correction
from .pointwise import _QUIET, _floats
from .slopes import Slope

_EPSILON = np.finfo(np.float64).eps
_TINY = 1e-300  # Lentz's stand-in for a 0 denominator
_MAX_TERMS = 100_000  # (x near a takes about 9 sqrt(a) terms: enough for a up to 1e8)
_STIRLING_FROM = 10.0


def _lgamma1p(a: np.ndarray) -> np.ndarray:
    """lgamma(1 + a) for 0 < a < 1, exact relatively near a = 0 (1 + a is not rounded):
    the series of lgamma(2 + t) at t = a - 1 (exact), or at t = a less ln(1 + a)."""
    t = np.where(a < 0.5, a, a - 1)
    series = lgamma_2_plus(t)
    return np.where(a < 0.5, series - np.log1p(a), series)


def _log_prefactor(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """ln(x**a e**-x / Gamma(a)) for a >= 10: a (ln(x / a) - t) + ln(a / 2 pi) / 2 - the
    Stirling correction, t = (x - a) / a (ln(1 + t) by log1p near x = a)."""
    t = (x - a) / a
    ratio = np.where(np.abs(t) < 0.5, np.log1p(t), np.log(x / a))
    return a * (ratio - t) + 0.5 * np.log(a) - _HALF_LN_2PI - stirling_correction(a)


def _prefactor(a: np.ndarray, x: np.ndarray, over_x: bool = False) -> np.ndarray:
    """x**a e**-x / Gamma(a) for finite a, x > 0 (e**-x apart while it does not underflow);
    `over_x`: divided by x in the exponent, the density (x**a / x would lose it where x**a
    underflows and x**(a - 1) does not: 0 for a = 1.5 at x = 1e-310)."""
    small = a < _STIRLING_FROM
    a_small, a_large = np.where(small, a, 1.0), np.where(small, _STIRLING_FROM, a)
    log_x = np.log(x)
    power = (a_small - over_x) * log_x - lgamma(a_small)  # (a - 1 is exact near a = 1)
    direct = np.where(x < 700, np.exp(power) * np.exp(-x), np.exp(power - x))
    return np.where(small, direct, np.exp(_log_prefactor(a_large, x) - over_x * log_x))


def _series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum over n >= 0 of x**n / ((a + 1)...(a + n)), 1-d; each entry until its term is
    below float64's rounding of the sum (those still adding are carried, the rest left)."""
    total, term, denominator = np.ones_like(a), np.ones_like(a), a.copy()
    going, x_going = np.arange(a.size), x
    for _ in range(_MAX_TERMS):
        if not going.size:
            break
        denominator = denominator + 1
        term = term * x_going / denominator
        total[going] += term
        left = term > _EPSILON * total[going]
        going, term, denominator, x_going = going[left], term[left], denominator[left], \
            x_going[left]
    return total


def _continued_fraction(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Q(a, x) / prefactor, 1-d, x >= a + 1: the continued fraction 1 / (x + 1 - a -
    1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))), by modified Lentz."""
    b = x + 1 - a
    c, d = np.full_like(a, 1 / _TINY), 1 / b
    h = d.copy()
    going, a_going = np.arange(a.size), a
    for i in range(1, _MAX_TERMS):
        if not going.size:
            break
        step = -i * (i - a_going)
        b = b + 2
        d = step * d + b
        d = 1 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = b + step / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        change = d * c
        h[going] *= change
        left = np.abs(change - 1) > _EPSILON
        going, a_going, b, c, d = going[left], a_going[left], b[left], c[left], d[left]
    return h


def _small_a_upper(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Q(a, x) for 0 < a < 1, x < a + 1, 1-d: 1 - x**a / Gamma(a + 1) (expm1) less
    a x**a / Gamma(a + 1) * sum over n >= 1 of (-x)**n / (n! (a + n))."""
    u = a * np.log(x) - _lgamma1p(a)
    total, term = np.zeros_like(a), np.ones_like(a)
    for n in range(1, 60):  # (x < 2: 2**60 / 60! is far below rounding)
        term = term * -x / n
        total += term / (a + n)
    return -np.expm1(u) - a * np.exp(u) * total


def incomplete_gamma(a: np.ndarray, x: np.ndarray, upper: bool) -> np.ndarray:
    """P(a, x), or Q(a, x) when `upper`, broadcast, in float64 (edges: the module's
    docstring)."""
    a, x = np.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    out = np.full(a.shape, np.nan)
    with np.errstate(**_QUIET):
        one = ((a == 0) & (x > 0) | (x == np.inf) & (a < np.inf)) & (a >= 0)
        zero = (x == 0) & (a > 0) | (a == np.inf) & (x < np.inf) & (x >= 0)
        out[one], out[zero] = (0.0, 1.0) if upper else (1.0, 0.0)
        regular = (a > 0) & (a < np.inf) & (x > 0) & (x < np.inf)
        a_r, x_r = a[regular], x[regular]
        prefactor = _prefactor(a_r, x_r)
        values = np.empty_like(a_r)
        low = x_r < a_r + 1
        lower = prefactor[low] / a_r[low] * _series(a_r[low], x_r[low])
        higher = prefactor[~low] * _continued_fraction(a_r[~low], x_r[~low])
        if upper:
            values[low], values[~low] = 1 - lower, higher
            small = low & (a_r < 1)
            values[small] = _small_a_upper(a_r[small], x_r[small])
        else:
            values[low], values[~low] = lower, 1 - higher
        out[regular] = np.clip(values, 0.0, 1.0)
    return out


def density(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dP/dx = x**(a - 1) e**-x / Gamma(a), broadcast, in float64; at x = 0 inf for a < 1,
    1 for a = 1, 0 above; 0 at x = inf and at a = inf; NaN where P is."""
    a, x = np.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    out = np.full(a.shape, np.nan)
    with np.errstate(**_QUIET):
        at_zero = (x == 0) & (a > 0)
        out[at_zero] = np.where(a[at_zero] < 1, np.inf, np.where(a[at_zero] == 1, 1.0, 0.0))
        flat = (x > 0) & ((a == 0) | (x == np.inf) & (a < np.inf)) | \
            (a == np.inf) & (x < np.inf) & (x >= 0)
        out[flat] = 0.0
        regular = (a > 0) & (a < np.inf) & (x > 0) & (x < np.inf)
        out[regular] = _prefactor(a[regular], x[regular], over_x=True)
    return out


class Igamma(Function, elementwise=True, methods=("igamma",), functions=("igamma",)):
    """The regularized lower incomplete gamma function P(a, x) of a (`input`) and x
    (`other`), broadcast (PyTorch's igamma and special.gammainc, `a.igamma(x)`): the
    gamma distribution's cdf, 0 at x = 0 and 1 at x = inf; NaN for a < 0 or x < 0. Only x
    gets a gradient: a's derivative is not implemented, as in PyTorch, whose backward
    raises NotImplementedError when a needs one; so does this one (detach a, or give it
    as a number).

    forward: `gamma(a, x) / Gamma(a)`, the integral of t**(a - 1) e**-t over [0, x] / Gamma(a)
    gradient: none for a (NotImplementedError), `g * x**(a - 1) e**-x / Gamma(a)` for x
    """

    upper, special_name = False, "gammainc"

    @classmethod
    def call(cls, input, other):  # noqa: A002  (PyTorch's argument names)
        return cls.apply(input, other)

    def forward(ctx, a, x):
        a, x = _floats(a, x)
        ctx.save_for_backward(a, x)
        return incomplete_gamma(a, x, ctx.upper).astype(np.result_type(a, x), copy=False)

    def backward(ctx, g):
        a, x = ctx.saved_tensors
        ctx.no_a_derivative()
        slope = density(a, x)
        return None, (-g * slope if ctx.upper else g * slope)

    def backward_graph(ctx, out, g):  # (the density as an op: its numerics, and its limits)
        ctx.no_a_derivative()
        slope = Slope.apply(*ctx.parents, op=Igamma)
        return None, (-g * slope if ctx.upper else g * slope)

    def no_a_derivative(ctx) -> None:  # noqa: N805
        """The derivative in a is not implemented (PyTorch's neither): refused."""
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(
                f"{ctx.name} (special.{ctx.special_name}): the derivative with respect to a "
                f"(input, the first argument) is not implemented, as in PyTorch; only x "
                f"(other) gets a gradient: give a as a number or a.detach()")

    derivative = staticmethod(density)

    @staticmethod
    def curvature(a, x, slope):
        """d/dx of the density x**(a - 1) e**-x / Gamma(a): slope * ((a - 1) / x - 1); its
        limits at x = 0 (-inf for a < 1, -1 at a = 1, inf below a = 2, 1 at 2, 0 above),
        0 where a = inf."""
        a_, x_ = np.broadcast_arrays(a._data, x._data)
        zero = (x_ == 0) & (a_ > 0)
        edge = np.select([a_ < 1, a_ == 1, a_ < 2, a_ == 2], [-np.inf, -1.0, np.inf, 1.0], 0.0)
        rate = (a - 1) / Where.call(zero, 1.0, x) - 1
        return Where.call(zero, edge, Where.call(a_ == np.inf, 0.0, slope * rate))


class Igammac(Igamma, elementwise=True, methods=("igammac",), functions=("igammac",)):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x) of a
    (`input`) and x (`other`), broadcast (PyTorch's igammac and special.gammaincc,
    `a.igammac(x)`), computed directly where it is small, not as 1 less P; 1 at x = 0, 0
    at x = inf. Only x gets a gradient, as in PyTorch (a's raises NotImplementedError).

    forward: `Gamma(a, x) / Gamma(a)`, the integral of t**(a - 1) e**-t over [x, inf) / Gamma(a)
    gradient: none for a (NotImplementedError), `-g * x**(a - 1) e**-x / Gamma(a)` for x
    """

    upper, special_name = True, "gammaincc"

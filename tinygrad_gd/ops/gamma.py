"""The gamma function's family: lgamma, digamma, polygamma and mvlgamma, and the Hurwitz
zeta function (PyTorch's special.zeta) that polygamma is made of.

Without SciPy: lgamma below 10 is the Taylor series of lgamma(2 + t), |t| <= 1/2, moved
there by lgamma(x + 1) = lgamma(x) + ln x (exact relatively at the roots 1 and 2, where
CPython's math.lgamma loses up to 1e-3 of the value), Stirling's series from 10, and
below 0 the reflection; digamma climbs by psi(x) = psi(x + 1) - 1/x to x >= 10, where
its asymptotic series (Bernoulli numbers up to B14) is exact to float64, and below 0
reflects, psi(x) = psi(1 - x) - pi / tan(pi x); the Hurwitz zeta, the sum of
(q + k)**-s over k >= 0, adds its first 9 terms and the rest by the Euler-Maclaurin
formula (a q below 0 is moved above it by whole steps, for a whole s); polygamma(n, x)
= (-1)**(n + 1) n! zeta(n + 1, x) for n >= 1. Each is computed in float64 and given back
in its input's float dtype (float32 stays float32).

At the poles and edges the values are PyTorch's: lgamma is inf at 0, the negative
integers and +-inf; digamma is -inf at 0, inf at -0.0, NaN at the negative integers and
-inf; polygamma(n >= 1) is +-inf at 0 and the negative integers (and at -inf, but
polygamma(1, -inf), digamma's slope there, is NaN as digamma is); zeta(x, q) is inf at
x = 1 and at q = 0, a negative integer or -inf, NaN for x < 1 and for q < 0 with x not
whole. Where PyTorch's value is an artefact of its algorithm the limit is given instead:
polygamma(1, x) is inf at the negative integers (PyTorch's is about 6.6e32 there, from
sin(pi x) rounded), and zeta(x, inf), polygamma(n >= 2, inf) and zeta(inf, q > 1) are
0 (PyTorch's are NaN). PyTorch's trigamma, polygamma(1, x) and so digamma's gradient, is
accurate to about 1e-9 only (a short series); these are accurate to about 1e-15 (lgamma
too, relatively, but near its roots below 0, where the reflection cancels). Each op's
derivative is the next one's op (lgamma' = digamma, digamma' = polygamma(1, x), ...), so
every order of derivative is recorded.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..engine import Function
from .arguments import Tensor, floating, integer
from .pointwise import _QUIET, _floats
from .unary import _Pointwise

# B2, B4, ..., B24, the Bernoulli numbers of both asymptotic series
_BERNOULLI = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30),
              Fraction(5, 66), Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510),
              Fraction(43867, 798), Fraction(-174611, 330), Fraction(854513, 138),
              Fraction(-236364091, 2730)]
# digamma(x) ~ ln x - 1/(2x) - sum B2k / (2k x**2k): from x >= 10 the first term left out,
# B16 / (16 x**16), is below 1e-16 of the value
_DIGAMMA_SERIES = [float(b / (2 * k)) for k, b in enumerate(_BERNOULLI[:7], 1)]
_EULER_MACLAURIN = [float(b / math.factorial(2 * k)) for k, b in enumerate(_BERNOULLI, 1)]
_DIRECT_TERMS = 9  # zeta's terms summed one by one before Euler-Maclaurin (from q + 9 > 9)
_HALF_LN_2PI, _LN_PI = math.log(2 * math.pi) / 2, math.log(math.pi)


def _digamma_positive(v: np.ndarray) -> np.ndarray:
    """digamma of values > 0 (or inf, NaN): the recurrence up to 10, then the series."""
    total = np.zeros_like(v)
    for _ in range(10):  # (v > 0: ten steps reach 10)
        low = v < 10
        if not low.any():
            break
        total -= np.where(low, 1 / np.where(low, v, 1.0), 0.0)
        v = np.where(low, v + 1, v)
    inverse_square = 1 / (v * v)
    series = np.zeros_like(v)
    for coefficient in reversed(_DIGAMMA_SERIES):
        series = (series + coefficient) * inverse_square
    return total + np.log(v) - 0.5 / v - series


def digamma(x: np.ndarray) -> np.ndarray:
    """digamma (psi), the derivative of lgamma, elementwise, in x's float dtype."""
    v = x.astype(np.float64)
    with np.errstate(**_QUIET):
        whole = v == np.floor(v)  # (+-inf too)
        pole = (v < 0) & whole | (v == 0)
        reflected = (v < 0) & ~whole
        out = _digamma_positive(np.where(reflected, 1 - v, np.where(pole, 1.0, v)))
        # tan has period pi: of the fractional part (exact), tan is accurate far from 0
        out = np.where(reflected, out - np.pi / np.tan(np.pi * (v - np.trunc(v))), out)
        out = np.where(pole, np.nan, out)
        out = np.where(v == 0, np.copysign(np.inf, -v), out)  # -inf at 0, inf at -0.0
    return out.astype(x.dtype, copy=False)


def _hurwitz(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """sum over k >= 0 of (q + k)**-s for finite s > 1 and q > 0 (or inf): 9 terms, then
    Euler-Maclaurin from w = q + 9 > 9 (its terms B2j / (2j)! s (s + 1)...(s + 2j - 2)
    w**(1 - s - 2j) fall fast there, and are far below the terms summed before them
    wherever they do not)."""
    total = np.zeros(np.broadcast_shapes(s.shape, q.shape))
    for k in range(_DIRECT_TERMS):
        total += (q + k) ** -s
    w = q + _DIRECT_TERMS
    total += w ** (1 - s) / (s - 1) + 0.5 * w ** -s
    rising, power = s, w ** (-s - 1)
    for j, coefficient in enumerate(_EULER_MACLAURIN, 1):
        # (a term whose power underflowed is 0, even where the rising factorial overflowed)
        total += np.where(power == 0, 0.0, coefficient * rising * power)
        rising = rising * (s + 2 * j - 1) * (s + 2 * j)
        power = power / (w * w)
    return total


def zeta(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The Hurwitz zeta function, broadcast, in float64 (the module's docstring: its edges)."""
    s, q = np.broadcast_arrays(s.astype(np.float64), q.astype(np.float64))
    with np.errstate(**_QUIET):
        usable = (s > 1) & (s < np.inf)
        s_usable = np.where(usable, s, 2.0)
        out = _hurwitz(s_usable, np.where(q > 0, q, 1.0))
        # q < 0, not whole, s whole: q = f - m (0 < f < 1, m >= 1); of the m terms below 0,
        # (f - i)**-s for i = 1..m, the one nearest 0 is taken as (q + m - 1)**-s (exact:
        # 1 - f is not, where q is near 0), the others are (-1)**s (zeta(s, 2 - f) -
        # zeta(s, m + 1 - f))
        pole = (q <= 0) & (q == np.floor(q))  # 0, a negative integer, -inf
        below = (q < 0) & ~pole
        f = np.where(below, q - np.floor(q), 0.5)
        m = np.where(below, -np.floor(q), 1.0)
        sign = np.where(np.fmod(s_usable, 2) == 0, 1.0, -1.0)
        moved = sign * (_hurwitz(s_usable, 2 - f) - _hurwitz(s_usable, m + 1 - f)) + \
            np.where(below, q + (m - 1), 1.0) ** -s_usable + _hurwitz(s_usable, f)
        out = np.where(below, np.where(s == np.floor(s), moved, np.nan), out)
        out = np.where(s == np.inf, np.where(q < 1, np.inf, np.where(q == 1, 1.0, 0.0)), out)
        out = np.where(np.isnan(s) | np.isnan(q), np.nan, out)
        out = np.where(pole, np.inf, out)
        out = np.where(s < 1, np.nan, out)
        return np.where(s == 1, np.inf, out)


# lgamma(2 + t) = (1 - Euler's gamma) t + sum over k >= 2 of (-1)**k (zeta(k) - 1) / k t**k:
# for |t| <= 1/2 its terms fall by 4 each (zeta(k) - 1 < 2**(1 - k)), 28 reach float64
_ORDERS = np.arange(2.0, 29.0)
_LGAMMA_SERIES = [1 - np.euler_gamma,
                  *((-1) ** _ORDERS * _hurwitz(_ORDERS, np.full(27, 2.0)) / _ORDERS)]
# lgamma(x) ~ (x - 1/2) ln x - x + ln(2 pi) / 2 + sum B2k / (2k (2k - 1) x**(2k - 1)): from
# x >= 10 the first term left out, B16 / (240 x**15), is below 1e-16 of the value
_STIRLING = [float(b / (2 * k * (2 * k - 1))) for k, b in enumerate(_BERNOULLI[:7], 1)]


def lgamma_2_plus(t: np.ndarray) -> np.ndarray:
    """lgamma(2 + t) for |t| <= 1/2, by the series above (exact relatively near its root 0)."""
    series = np.zeros_like(t)
    for coefficient in reversed(_LGAMMA_SERIES):
        series = (series + coefficient) * t
    return series


def stirling_correction(v: np.ndarray) -> np.ndarray:
    """The sum of Stirling's series above: lgamma(v) less (v - 1/2) ln v - v + ln(2 pi) / 2."""
    inverse = 1 / v
    correction = np.zeros_like(v)
    for coefficient in reversed(_STIRLING):
        correction = correction * inverse * inverse + coefficient
    return correction * inverse


def _lgamma_positive(v: np.ndarray) -> np.ndarray:
    """ln Gamma of values > 0 (or inf, NaN): below 10 the series of lgamma(2 + t), |t| <=
    1/2, exact relatively at its root t = 0, less ln x + ln(1 + x) below 1/2, less ln(1 + t)
    for x = 1 + t below 1.5 (the root 1), plus ln((x - 1)(x - 2)...) down to [1.5, 2.5)
    above 2.5; from 10 Stirling's series."""
    steps = np.clip(np.floor(v - 1.5), 0, 8)  # (1.5 <= x - steps < 2.5 for x < 10)
    product = np.ones_like(v)
    for j in range(1, 9):
        product = product * np.where(steps >= j, v - j, 1.0)
    t = np.where(v < 0.5, v, np.where(v < 1.5, v - 1, np.where(v < 10, v - steps - 2, 0.0)))
    series = lgamma_2_plus(t) + np.where(v < 0.5, -np.log(v) - np.log1p(v),
                                         np.where(v < 1.5, -np.log1p(t), np.log(product)))
    # (x - 1/2) ln x - x written so that it overflows only where lgamma does
    stirling = stirling_correction(v) + (v - 0.5) * (np.log(v) - 1) + (_HALF_LN_2PI - 0.5)
    return np.where(v < 10, series, stirling)


def lgamma(x: np.ndarray) -> np.ndarray:
    """ln|Gamma(x)| elementwise, in x's float dtype: inf at 0, the negative integers and
    +-inf; below 0 by the reflection Gamma(x) Gamma(1 - x) = pi / sin(pi x)."""
    v = x.astype(np.float64)
    with np.errstate(**_QUIET):
        negative = v < 0
        positive = _lgamma_positive(np.where(negative, 1 - v, v))
        # (sin of x's distance to the nearest whole number: exact, unlike pi x far out)
        reflected = _LN_PI - np.log(np.abs(np.sin(np.pi * (v - np.round(v))))) - positive
        out = np.where(negative, reflected, positive)
        out = np.where((v <= 0) & (v == np.floor(v)), np.inf, out)  # (0, -1, -2, ..., -inf)
    return out.astype(x.dtype, copy=False)


def polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma, elementwise, in x's float dtype."""
    if n == 0:
        return digamma(x)
    factorial = float(math.factorial(n)) if n <= 170 else math.inf
    with np.errstate(**_QUIET):
        out = (-1) ** (n + 1) * factorial * zeta(np.float64(n + 1), x)
    if n == 1:  # (digamma's slope at -inf, where digamma is NaN: NaN, as PyTorch's trigamma)
        out = np.where(x == -np.inf, np.nan, out)
    return out.astype(x.dtype, copy=False)


class Lgamma(_Pointwise, elementwise=True, methods=("lgamma",), functions=("lgamma",)):
    """ln|Gamma(x)|, the log of the gamma function's magnitude (PyTorch's lgamma and
    special.gammaln): inf at 0, at the negative integers (its poles) and at +-inf.

    forward: `ln(abs(Gamma(x)))`
    gradient: `g * digamma(x)`
    """

    fn = staticmethod(lgamma)
    derivative = staticmethod(digamma)

    def backward_graph(ctx, out, g):
        return g * Digamma.apply(ctx.parents[0])


class Digamma(_Pointwise, elementwise=True, methods=("digamma",), functions=("digamma",)):
    """The digamma function psi, the derivative of lgamma (PyTorch's digamma, special.psi
    and special.digamma): -inf at 0 and inf at -0.0, NaN at the negative integers and
    -inf, as PyTorch's.

    forward: `psi(x) = d/dx ln(abs(Gamma(x)))`
    gradient: `g * polygamma(1, x)`
    """

    fn = staticmethod(digamma)

    @staticmethod
    def derivative(x):
        return polygamma(1, x)

    def backward_graph(ctx, out, g):
        return g * Polygamma.apply(ctx.parents[0], n=1)


class Polygamma(Function, elementwise=True, reflected=("polygamma",), functions=("polygamma",)):
    """The n-th derivative of digamma (PyTorch's polygamma): `tg.polygamma(n, x)` and
    `x.polygamma(n)`, n an int >= 0; n = 0 is digamma. For n >= 1 it is +-inf at 0 and
    the negative integers (the sign of (-1)**(n + 1)), 0 at inf.

    forward: `digamma(x)` for n = 0, `(-1)**(n + 1) * n! * zeta(n + 1, x)` for n >= 1
    gradient: `g * polygamma(n + 1, x)`
    """

    @classmethod
    def call(cls, n, input):  # noqa: A002  (PyTorch's argument name)
        n = integer(cls.name, "n", n)
        if n < 0:
            raise RuntimeError(f"polygamma: n must be >= 0 (the order of the derivative of "
                               f"digamma), got n={n}")
        return cls.apply(input, n=n)

    def forward(ctx, x, *, n=0):
        x = floating(x)
        ctx.save_for_backward(x)
        ctx.n = n
        return polygamma(n, x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * polygamma(ctx.n + 1, x)

    def backward_graph(ctx, out, g):
        return g * Polygamma.apply(ctx.parents[0], n=ctx.n + 1)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return Polygamma.call(n, self)  # (the registered swapped method takes no keyword n=)


# x.polygamma(n), PyTorch's Tensor method: n by position or by keyword
_polygamma_method.__name__ = _polygamma_method.__qualname__ = "polygamma"
_polygamma_method.__doc__, _polygamma_method.op = Polygamma.__doc__, Polygamma
Tensor.polygamma = _polygamma_method


class Mvlgamma(Function, elementwise=True, methods=("mvlgamma",), functions=("mvlgamma",)):
    """The log of the multivariate gamma function of dimension p, an int >= 1 (PyTorch's
    mvlgamma and special.multigammaln): inf where some x - i/2 is a pole of lgamma
    (PyTorch 2 no longer refuses x <= (p - 1) / 2).

    forward: `sum over i < p of lgamma(x - i/2) + p (p - 1) / 4 * ln(pi)`
    gradient: `g * sum over i < p of digamma(x - i/2)`
    """

    @classmethod
    def call(cls, input, p):  # noqa: A002  (PyTorch's argument name)
        p = integer(cls.name, "p", p)
        if p < 1:
            raise RuntimeError(f"mvlgamma: p (the dimension) must be >= 1, got p={p}")
        return cls.apply(input, p=p)

    def forward(ctx, x, *, p=1):
        x = floating(x)
        ctx.save_for_backward(x)
        ctx.p = p
        v = x.astype(np.float64)  # (a float32 x: its terms added in float64)
        total = sum(lgamma(v - i / 2) for i in range(p)) + p * (p - 1) / 4 * math.log(math.pi)
        return total.astype(x.dtype, copy=False)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        v = x.astype(np.float64)
        return g * sum(digamma(v - i / 2) for i in range(ctx.p))

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        v = x if x.dtype == np.float64 else x.to(np.float64)
        return g * sum(Digamma.apply(v - i / 2) for i in range(ctx.p))


class Zeta(Function, elementwise=True):
    """The Hurwitz zeta function of x (`input`) and q (`other`), broadcast (PyTorch's
    special.zeta; no Tensor method, as PyTorch's): inf at x = 1 and where q is 0 or a
    negative integer, NaN for x < 1. Only q gets a gradient: x's derivative is not
    implemented, as in PyTorch, whose backward raises NotImplementedError when x needs
    one; so does this one (detach x, or give it as a number).

    forward: `sum over k >= 0 of (q + k)**-x`
    gradient: none for x (NotImplementedError), `-g * x * zeta(x + 1, q)` for q
    """

    @classmethod
    def call(cls, input, other):  # noqa: A002  (PyTorch's argument names)
        return cls.apply(input, other)

    def forward(ctx, x, q):
        x, q = _floats(x, q)
        ctx.save_for_backward(x, q)
        return zeta(x, q).astype(np.result_type(x, q), copy=False)

    def backward(ctx, g):
        x, q = ctx.saved_tensors
        _no_x_derivative(ctx)
        with np.errstate(**_QUIET):
            return None, -g * x * zeta(x + 1, q)

    def backward_graph(ctx, out, g):
        _no_x_derivative(ctx)
        x, q = ctx.parents
        return None, -g * x * Zeta.apply(x + 1, q)


def _no_x_derivative(ctx: Zeta) -> None:
    """Zeta's derivative in x is not implemented (PyTorch's neither): refused."""
    if ctx.needs_input_grad[0]:
        raise NotImplementedError(
            "zeta: the derivative with respect to x (input, the first argument) is not "
            "implemented, as in PyTorch; give x as a number or x.detach()")

"""Special functions of one input, with their own derivatives: the error function's family
(erf, erfc, erfinv, erfcx), the normal distribution's (ndtri, log_ndtr), the modified Bessel
functions (i0, i0e, i1, i1e), and entr (PyTorch's torch.special, xlog1py: pointwise.py; the
gamma family: gamma.py).

Without SciPy: erf and erfc are the C library's (math.erf, math.erfc, elementwise); erfinv
and ndtri start from erfinv's series near 0 (Halley steps on math.erf) and from Winitzki's
closed-form approximation in the tails (|x| > 0.5, where 1 - |x| is exact: Newton steps on
ln(erfc)), to full float64 precision; erfcx is e**(x**2) erfc(x) below 3 (x**2's rounding
put back) and Laplace's continued fraction above, where erfc underflows; i0 is NumPy's; up
to |x| = 20, i0e is NumPy's i0 times e**-|x| and i1 and i1e their power series, beyond it
the three take the asymptotic series. Each is computed in float64, given back in its input's
float dtype.

Edges: PyTorch's values, except where PyTorch's is an artefact of its algorithm: i0(+-inf)
is inf and i1(+-inf) +-inf (PyTorch's are NaN), i1's and i1e's gradients at NaN are NaN
(PyTorch's 0.5), i1's at +-inf inf (PyTorch's NaN), erfcx's at inf 0 (PyTorch's NaN), and
log_ndtr's gradient, taken as sqrt(2 / pi) / erfcx(-x / sqrt(2)), stays exact far below 0
and is inf at -inf (PyTorch's e**-(log_ndtr(x) + x**2 / 2) loses the rounding of x**2 / 2
below about -40, is inf below -1e8 and NaN at -inf). Second derivatives: each derivative in
Tensor ops, mostly of the family's own ops (i0' = i1), erfcx's by slopes.py.
"""
from __future__ import annotations

import math

import numpy as np

from .activations import erf
from .elementwise import Where
from .pointwise import _QUIET
from .slopes import through_slope
from .unary import _Pointwise

SQRT_PI = math.sqrt(math.pi)
TWO_OVER_SQRT_PI = 2 / SQRT_PI
SQRT_2, SQRT1_2 = math.sqrt(2.0), math.sqrt(0.5)
_erfc = np.frompyfunc(math.erfc, 1, 1)
_FAR = 20.0  # beyond it the Bessel functions take their asymptotic series
_WINITZKI = 0.147  # the constant of Winitzki's approximation of erf's inverse


def erfc(x: np.ndarray) -> np.ndarray:
    """1 - erf(x) without its cancellation, elementwise (the C library's, through math.erfc)."""
    return np.asarray(_erfc(x), dtype=np.result_type(x, 1.0))


def _erfinv_middle(y: np.ndarray) -> np.ndarray:
    """erf's inverse for |y| <= 0.5: its series' first four terms, then three Halley steps
    on erf(z) - y (derivative 2/sqrt(pi) e**(-z**2), second derivative -2z times that),
    each tripling the correct digits."""
    u = SQRT_PI / 2 * y
    u2 = u * u
    z = u * (1 + u2 * (1 / 3 + u2 * (7 / 30 + u2 * 127 / 630)))
    for _ in range(3):
        f = erf(z) - y
        z = z - f / (TWO_OVER_SQRT_PI * np.exp(-z * z) + z * f)
    return z


def _erfc_inverse(c: np.ndarray) -> np.ndarray:
    """The z > 0 with erfc(z) = c, for 0 < c <= 0.5: Winitzki's approximation, then Newton's
    steps on ln(erfc(z)) - ln(c) = ln(erfcx(z)) - z**2 - ln(c), nearly a parabola in z
    however small c is (c is exact where erf(z) would round to 1)."""
    log = np.log(c) + np.log(2 - c)  # ln(1 - x**2) for x = 1 - c
    a = 2 / (np.pi * _WINITZKI) + log / 2
    z = np.sqrt(np.maximum(np.sqrt(a * a - log / _WINITZKI) - a, 0.0))
    for _ in range(4):
        scaled = erfcx(z)
        z = z + (np.log(scaled) - z * z - np.log(c)) * SQRT_PI / 2 * scaled
    return z


def erfinv(x: np.ndarray) -> np.ndarray:
    """erf's inverse, elementwise, in x's float dtype: +-inf at +-1, NaN beyond."""
    v = x.astype(np.float64)
    size = np.abs(v)
    out = np.full_like(v, np.nan)  # (beyond +-1, and NaN)
    with np.errstate(**_QUIET):
        middle, tail = size <= 0.5, (size > 0.5) & (size < 1)
        out[middle] = _erfinv_middle(v[middle])
        out[tail] = np.copysign(_erfc_inverse(1 - size[tail]), v[tail])
        out[size == 1] = np.copysign(np.inf, v[size == 1])
    return out.astype(x.dtype, copy=False)


def ndtri(p: np.ndarray) -> np.ndarray:
    """The standard normal distribution's quantile function, elementwise, in p's dtype:
    -inf at 0, inf at 1, NaN outside [0, 1]. In the tails erfc(z) = 2p (or 2 (1 - p)) is
    solved for z, both exact; in the middle sqrt(2) erfinv(2p - 1)."""
    v = p.astype(np.float64)
    out = np.full_like(v, np.nan)  # (outside [0, 1], and NaN)
    with np.errstate(**_QUIET):
        low, high = (v > 0) & (v < 0.25), (v > 0.75) & (v < 1)
        middle = (v >= 0.25) & (v <= 0.75)
        out[low] = -SQRT_2 * _erfc_inverse(2 * v[low])
        out[high] = SQRT_2 * _erfc_inverse(2 * (1 - v[high]))
        out[middle] = SQRT_2 * _erfinv_middle(2 * v[middle] - 1)
        out[v == 0], out[v == 1] = -np.inf, np.inf
    return out.astype(p.dtype, copy=False)


def _fraction(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Laplace's continued fraction for erfc, from the bottom up (40 levels reach float64
    for x >= 3): f = x + (1/2) / g and g = x + 1 / (x + (3/2) / (x + ...)), so that
    erfcx(x) = 1 / (sqrt(pi) f) and its derivative is -1 / (sqrt(pi) f g)."""
    g = x
    for k in range(40, 1, -1):
        g = x + (k / 2) / g
    return x + 0.5 / g, g


def _exp_square(x: np.ndarray) -> np.ndarray:
    """e**(x**2) with the rounding of x**2 put back (e**(x * x) alone is off by about x**2
    ulps, 5e-14 at -26): Dekker's split, x = head + tail of 26 bits each, makes x * x =
    high + low exactly, and e**low is 1 + low."""
    high = x * x
    split = x * 134217729.0  # (2**27 + 1)
    head = split - (split - x)
    tail = x - head
    low = ((head * head - high) + 2 * head * tail) + tail * tail
    return np.exp(high) * (1 + np.where(np.isfinite(low), low, 0.0))  # (+-inf: e**inf)


def erfcx(x: np.ndarray) -> np.ndarray:
    """e**(x**2) erfc(x), elementwise, in x's float dtype: the continued fraction for
    x >= 3 (finite where erfc(x) underflows, 0 at inf), the product below (inf below about
    -26.6, where e**(x**2) overflows)."""
    v = x.astype(np.float64)
    with np.errstate(**_QUIET):
        near = v < 3  # (NaN goes to the fraction, which keeps it)
        f, _ = _fraction(np.where(near, 3.0, v))
        w = np.where(near, v, 0.0)
        out = np.where(near, _exp_square(w) * erfc(w), 1 / (SQRT_PI * f))
    return out.astype(x.dtype, copy=False)


def _erfcx_slope(x: np.ndarray) -> np.ndarray:
    """erfcx's derivative, 2x erfcx(x) - 2/sqrt(pi): from the fraction for x >= 3, where
    the difference cancels (-1 / (sqrt(pi) x**2) far out, 0 at inf)."""
    with np.errstate(**_QUIET):
        near = x < 3
        f, g = _fraction(np.where(near, 3.0, x))
        return np.where(near, 2 * x * erfcx(x) - TWO_OVER_SQRT_PI, -1 / (SQRT_PI * f * g))


def log_ndtr(x: np.ndarray) -> np.ndarray:
    """ln of the standard normal distribution function, elementwise, in x's float dtype:
    ln(erfcx(-x / sqrt(2)) / 2) - x**2 / 2 below -1 (finite where the distribution
    function underflows: about -804.6 at -40), ln(1 - erfc(x / sqrt(2)) / 2) above."""
    v = x.astype(np.float64)
    with np.errstate(**_QUIET):
        t = v * SQRT1_2
        low = v < -1
        tail = np.log(erfcx(np.where(low, -t, 0.0)) / 2) - v * v / 2
        out = np.where(low, tail, np.log1p(-erfc(np.where(low, 0.0, t)) / 2))
    return out.astype(x.dtype, copy=False)


def i0(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function of the first kind of order 0 (NumPy's i0), in x's
    float dtype; inf at +-inf."""
    v = x.astype(np.float64)
    with np.errstate(**_QUIET):
        out = np.where(np.isinf(v), np.inf, np.i0(np.where(np.isinf(v), 0.0, v)))
    return out.astype(x.dtype, copy=False)


def _scaled_asymptotic(a: np.ndarray, order: int) -> np.ndarray:
    """e**-a I_order(a) for a >= 20 by the asymptotic series, sum over k of the products
    of ((2j - 1)**2 - 4 order**2) / (8 j a) for j <= k, over sqrt(2 pi a): 30 terms, each
    ratio about k / (2a), reach float64."""
    term, total = np.ones_like(a), np.ones_like(a)
    for k in range(1, 31):
        term = term * ((2 * k - 1) ** 2 - 4 * order * order) / (8 * k * a)
        total = total + term
    return total / np.sqrt(2 * np.pi * a)


def _i1_series(a: np.ndarray) -> np.ndarray:
    """I1(a) for 0 <= a <= 20: (a/2) sum over k of (a**2 / 4)**k / (k! (k + 1)!), positive
    terms only (64 of them reach float64 at 20)."""
    term = a / 2
    total = term
    quarter = a * a / 4
    for k in range(1, 64):
        term = term * quarter / (k * (k + 1))
        total = total + term
    return total


def _bessel(x: np.ndarray, order: int, scaled: bool) -> np.ndarray:
    """I0 or I1 (`order`) of x, times e**-|x| when `scaled`, in float64."""
    v = x.astype(np.float64)
    a = np.abs(v)
    with np.errstate(**_QUIET):
        near = a <= _FAR
        small = np.where(near, a, 0.0)
        series = np.i0(small) if order == 0 else _i1_series(small)
        if scaled:
            series = series * np.exp(-small)
        far = _scaled_asymptotic(np.where(near, _FAR, a), order)
        if not scaled:
            far = far * np.exp(np.where(near, 0.0, a))
            far = np.where(np.isinf(a), np.inf, far)
        out = np.where(near, series, far)
    return np.where(v < 0, -out, out) if order == 1 else out


def i0e(x: np.ndarray) -> np.ndarray:
    """e**-|x| I0(x), elementwise, in x's float dtype."""
    return _bessel(x, 0, True).astype(x.dtype, copy=False)


def i1(x: np.ndarray) -> np.ndarray:
    """I1(x), the modified Bessel function of the first kind of order 1, in x's dtype."""
    return _bessel(x, 1, False).astype(x.dtype, copy=False)


def i1e(x: np.ndarray) -> np.ndarray:
    """e**-|x| I1(x), elementwise, in x's float dtype."""
    return _bessel(x, 1, True).astype(x.dtype, copy=False)


class Erf(_Pointwise, elementwise=True, methods=("erf",), functions=("erf",)):
    """The error function, 2/sqrt(pi) times the integral of e**(-t**2) from 0 to x
    (PyTorch's erf and special.erf): +-1 at +-inf.

    forward: `erf(x)`
    gradient: `g * 2 / sqrt(pi) * e**(-x**2)`
    """

    fn = staticmethod(erf)

    @staticmethod
    def derivative(x):
        with np.errstate(over="ignore"):  # (x**2 overflows far out: e**-inf is 0)
            return TWO_OVER_SQRT_PI * np.exp(-x * x)

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        return g * (TWO_OVER_SQRT_PI * (-x * x).exp())


class Erfc(_Pointwise, elementwise=True, methods=("erfc",), functions=("erfc",)):
    """The complementary error function, 1 - erf(x) without the cancellation (PyTorch's
    erfc and special.erfc): accurate where erf(x) rounds to 1.

    forward: `1 - erf(x)`
    gradient: `-g * 2 / sqrt(pi) * e**(-x**2)`
    """

    fn = staticmethod(erfc)

    @staticmethod
    def derivative(x):
        with np.errstate(over="ignore"):
            return -TWO_OVER_SQRT_PI * np.exp(-x * x)

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        return g * (-TWO_OVER_SQRT_PI * (-x * x).exp())


class Erfinv(_Pointwise, elementwise=True, methods=("erfinv",), functions=("erfinv",)):
    """erf's inverse, for -1 <= x <= 1 (PyTorch's erfinv and special.erfinv): +-inf at +-1,
    NaN beyond, to full float64 precision in the tails too.

    Its backward reads its input, as PyTorch's, and computes erfinv(x) again: a change
    of its output in place (`h.erfinv_()`, then `h.add_(1)`) leaves its gradient as it was.

    forward: `erfinv(x)`
    gradient: `g * sqrt(pi) / 2 * e**(erfinv(x)**2)`
    """

    fn = staticmethod(erfinv)

    @staticmethod
    def derivative(x):
        out = erfinv(x)
        with np.errstate(over="ignore"):
            return SQRT_PI / 2 * np.exp(out * out)

    def backward_graph(ctx, out, g):
        out = ctx.parents[0].erfinv()
        return g * (SQRT_PI / 2 * (out * out).exp())


class Erfcx(_Pointwise, elementwise=True):
    """The scaled complementary error function, e**(x**2) erfc(x) (PyTorch's special.erfcx,
    no Tensor method): finite and accurate where erfc(x) underflows (x up to inf, where it
    is 0); inf below about -26.6. Its gradient is taken from the continued fraction for
    x >= 3, where the formula cancels: 0 at inf (PyTorch's is NaN there).

    forward: `e**(x**2) * erfc(x)`
    gradient: `g * (2 * x * out - 2 / sqrt(pi))`
    """

    fn = staticmethod(erfcx)
    derivative = staticmethod(_erfcx_slope)
    backward_graph = through_slope  # (erfcx'' = 2 erfcx + 2x erfcx')

    @staticmethod
    def curvature(x, slope):
        return 2 * Erfcx.apply(x) + 2 * x * slope


class Ndtri(_Pointwise, elementwise=True):
    """The standard normal distribution's quantile function, the inverse of ndtr
    (PyTorch's special.ndtri, no Tensor method): -inf at 0, inf at 1, NaN outside [0, 1].

    forward: `sqrt(2) * erfinv(2 * p - 1)`
    gradient: `g * sqrt(2 pi) * e**(out**2 / 2)`
    """

    fn = staticmethod(ndtri)
    of_output, domain = True, True

    @staticmethod
    def derivative(out):
        return math.sqrt(2 * math.pi) * np.exp(out * out / 2)

    def backward_graph(ctx, out, g):
        return g * (math.sqrt(2 * math.pi) * (out * out / 2).exp())


class LogNdtr(_Pointwise, elementwise=True, name="log_ndtr"):
    """ln of the standard normal distribution function (PyTorch's special.log_ndtr, no
    Tensor method), finite far below 0 (about -804.6 at -40), -inf at -inf.

    forward: `ln((1 + erf(x / sqrt(2))) / 2)`
    gradient: `g * sqrt(2 / pi) / erfcx(-x / sqrt(2))`
    """

    fn = staticmethod(log_ndtr)
    domain = True

    @staticmethod
    def derivative(x):
        return math.sqrt(2 / math.pi) / erfcx(-x * SQRT1_2)

    def backward_graph(ctx, out, g):
        return g * (math.sqrt(2 / math.pi) / Erfcx.apply(-ctx.parents[0] * SQRT1_2))


class I0(_Pointwise, elementwise=True, methods=("i0",), functions=("i0",)):
    """The modified Bessel function of the first kind of order 0 (PyTorch's i0 and
    special.i0): inf beyond about +-713 and at +-inf (PyTorch's is NaN at +-inf).

    forward: `I0(x) = sum over k of (x**2 / 4)**k / k!**2`
    gradient: `g * i1(x)`
    """

    fn = staticmethod(i0)
    derivative = staticmethod(i1)

    def backward_graph(ctx, out, g):
        return g * I1.apply(ctx.parents[0])


class I0e(_Pointwise, elementwise=True):
    """The exponentially scaled modified Bessel function of order 0, e**-|x| I0(x)
    (PyTorch's special.i0e, no Tensor method): 0 at +-inf. Its gradient at 0 is 0, as
    PyTorch's (sign(0) is 0).

    forward: `e**(-abs(x)) * I0(x)`
    gradient: `g * (i1e(x) - sign(x) * out)`
    """

    fn = staticmethod(i0e)

    @staticmethod
    def derivative(x):
        return i1e(x) - np.sign(x) * i0e(x)

    def backward_graph(ctx, out, g):
        x = ctx.parents[0]
        return g * (I1e.apply(x) - out * np.sign(x._data))  # (sign: a step, constant)


class I1(_Pointwise, elementwise=True):
    """The modified Bessel function of the first kind of order 1 (PyTorch's special.i1,
    no Tensor method): +-inf beyond about +-713 and at +-inf (PyTorch's is NaN at +-inf).

    forward: `I1(x) = (x / 2) * sum over k of (x**2 / 4)**k / (k! (k + 1)!)`
    gradient: `g * (i0(x) - out / x)` (`g / 2` at 0, its series near 0)
    """

    fn = staticmethod(i1)
    domain = True

    @staticmethod
    def derivative(x):
        tiny = np.abs(x) < _SERIES  # (i0 - i1 / x cancels in its own derivative there)
        i0_x = i0(x)
        slope = i0_x - i1(x) / np.where(tiny, 1, x)
        # far out (i0 overflowed) the slope is inf, not inf - inf
        t = np.where(tiny, x, 0.0)
        return np.where(tiny, _i1_slope(t), np.where(np.isinf(i0_x), np.inf, slope))

    def backward_graph(ctx, out, g):  # (tiny: where x is, a constant mask, as isinf(i0))
        x, tiny = ctx.parents[0], np.abs(ctx.parents[0]._data) < _SERIES
        i0_x = I0.apply(x)
        slope = i0_x - out / Where.call(tiny, 1.0, x)
        t = Where.call(tiny, x, 0.0)
        return g * Where.call(tiny, _i1_slope(t), Where.call(np.isinf(i0_x._data), np.inf, slope))


_SERIES = 1e-2  # below it i1's and i1e's slopes are series, exact there to all orders (the
# formulas' derivatives cancel: 3e-5 at x = 5e-6); I1'(t) and I1(t) / t, arrays or Tensors:


def _i1_slope(t):
    return 0.5 + t * t * (3 / 16 + t * t * (5 / 384 + t * t * (7 / 18432)))


def _i1_over(t):
    return 0.5 + t * t * (1 / 16 + t * t * (1 / 384 + t * t * (1 / 18432)))


class I1e(_Pointwise, elementwise=True):
    """The exponentially scaled modified Bessel function of order 1, e**-|x| I1(x)
    (PyTorch's special.i1e, no Tensor method): +-0 at +-inf.

    forward: `e**(-abs(x)) * I1(x)`
    gradient: `g * (i0e(x) - out * (sign(x) + 1 / x))` (`g / 2` at 0, its series near 0)
    """

    fn = staticmethod(i1e)
    domain = True

    @staticmethod
    def derivative(x):
        tiny = np.abs(x) < _SERIES  # (its series there: e**-|x| (I1' - |x| I1 / x))
        slope = i0e(x) - i1e(x) * (np.sign(x) + 1 / np.where(tiny, 1, x))
        t = np.where(tiny, x, 0.0)
        return np.where(tiny, np.exp(-np.abs(t)) * (_i1_slope(t) - np.abs(t) * _i1_over(t)),
                        slope)

    def backward_graph(ctx, out, g):
        x, tiny = ctx.parents[0], np.abs(ctx.parents[0]._data) < _SERIES
        slope = I0e.apply(x) - out * (1 / Where.call(tiny, 1.0, x) + np.sign(x._data))
        t = Where.call(tiny, x, 0.0)
        return g * Where.call(tiny, (-t.abs()).exp() * (_i1_slope(t) - t.abs() * _i1_over(t)),
                              slope)


class Entr(_Pointwise, elementwise=True):
    """The entropy term -x ln(x) (PyTorch's special.entr, no Tensor method): 0 at 0, -inf
    below 0 (and at inf); its gradient inf at 0 and NaN below, as PyTorch's.

    forward: `-x * ln(x)` for x > 0, `0` at 0, `-inf` for x < 0
    gradient: `-g * (1 + ln(x))`
    """

    domain = True

    @staticmethod
    def fn(x):
        with np.errstate(**_QUIET):
            return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)),
                            np.where(x == 0, 0, np.where(x < 0, -np.inf, x))).astype(x.dtype)

    @staticmethod
    def derivative(x):
        return -(1 + np.log(x))

    def backward_graph(ctx, out, g):
        return g * -(1 + ctx.parents[0].log())

"""The Airy function Ai (PyTorch's special.airy_ai), an elementwise op whose gradient is
its derivative Ai' (PyTorch computes none); the Bessel functions are bessel.py's.

Without SciPy, in float64 (given back in the input's float dtype): below |x| = 12, Ai's
Taylor series about the nearest of the points -12, -11.75, ..., 12 (|x - point| <= 1/8,
22 terms), its coefficients from Ai'' = x Ai, (n + 1)(n + 2) c_(n+2) = point c_n +
c_(n-1); Ai and Ai' at the points come, on first use, from the Maclaurin series in
60-digit decimals (`decimal`), where its cancellation (about 1e24 at 12) costs nothing.
From |x| = 12 the asymptotic expansions in zeta = (2/3) |x|**(3/2) (DLMF 9.7.5 to
9.7.10, 36 terms: below 1e-20 there), with zeta's rounding carried as a second float:
e**-zeta and sin(zeta) alone would lose zeta times 1e-16 (1e-12 at |x| = 1000). Checked
against mpmath to about 1e-15 relatively over [-1e3, 1e2] (absolutely where Ai crosses
0 below 0); Ai underflows to 0 beyond about 104. Far below 0 the two floats hold zeta to
about 1e-32 relatively, so the error relative to Ai's envelope |x|**(-1/4) / sqrt(pi) is
about 1e-32 |x|**(3/2): 1e-15 to x = -1e11, 1e-10 at -1e15, 1e-4 at -1e19; beyond about
-1e21 the phase is lost and Ai (and Ai') only keep within their envelopes.

Edges: Ai is 0 at +-inf (its limits; PyTorch's are NaN), NaN at NaN; Ai' is 0 at inf and
NaN at -inf (it oscillates ever wider there). Its second derivative is Airy's equation,
Ai'' = x Ai (Ai' made by slopes.py's op).
"""
from __future__ import annotations

import decimal
import functools
import math
from fractions import Fraction

import numpy as np

from .pointwise import _QUIET
from .slopes import through_slope
from .unary import _Pointwise

# Ai(0) = 1 / (3**(2/3) Gamma(2/3)) and -Ai'(0) = 1 / (3**(1/3) Gamma(1/3)), to 60 digits
_AI_0 = "0.355028053887817239260063186004183176397979174199177240583327"
_MINUS_SLOPE_0 = "0.258819403792806798405183560189203963479091138354934582210002"
_SPACING, _REACH = 0.25, 12.0  # the Taylor series' points; the asymptotic expansions beyond
_TAYLOR_TERMS, _TERMS = 22, 36
_TWO_THIRDS = 2 / 3
_TWO_THIRDS_LOW = float(Fraction(2, 3) - Fraction(_TWO_THIRDS))  # what 2/3 rounded away
_SQRT_PI = math.sqrt(math.pi)


def _coefficients() -> tuple[np.ndarray, np.ndarray]:
    """u_k and v_k of the asymptotic expansions: u_0 = 1, u_k = u_(k-1) (6k - 5)(6k - 3)
    (6k - 1) / (216 k (2k - 1)), v_k = -(6k + 1) / (6k - 1) u_k."""
    u = [Fraction(1)]
    for k in range(1, _TERMS):
        u.append(u[-1] * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / (216 * k * (2 * k - 1)))
    v = [-Fraction(6 * k + 1, 6 * k - 1) * u_k for k, u_k in enumerate(u)]
    return np.array([float(c) for c in u]), np.array([float(c) for c in v])


_U, _V = _coefficients()


@functools.lru_cache(maxsize=None)
def _points() -> tuple[np.ndarray, np.ndarray]:
    """Ai and Ai' at -12, -11.75, ..., 12 from the Maclaurin series Ai(x) = Ai(0) f(x) +
    Ai'(0) g(x), f = sum of x**3k / (3k (3k - 1) ...) and g its companion, in decimals."""
    values, slopes = [], []
    count = int(_REACH / _SPACING)
    with decimal.localcontext() as context:
        context.prec = 60
        first, second = decimal.Decimal(_AI_0), -decimal.Decimal(_MINUS_SLOPE_0)
        for j in range(-count, count + 1):
            if j == 0:
                values.append(float(first))
                slopes.append(float(second))
                continue
            x = decimal.Decimal(j) * decimal.Decimal(_SPACING)
            cube = x ** 3
            f, g = decimal.Decimal(1), x  # the series' k-th terms
            f_sum, g_sum = f, g
            f_slope, g_slope = decimal.Decimal(0), decimal.Decimal(1)  # x times f', f'
            k = 0
            while abs(f) + abs(g) > decimal.Decimal("1e-50"):
                k += 1
                f = f * cube / (3 * k * (3 * k - 1))
                g = g * cube / ((3 * k + 1) * 3 * k)
                f_sum, g_sum = f_sum + f, g_sum + g
                f_slope, g_slope = f_slope + 3 * k * f, g_slope + (3 * k + 1) * g / x
            values.append(float(first * f_sum + second * g_sum))
            slopes.append(float(first * f_slope / x + second * g_slope))
    return np.array(values), np.array(slopes)


def _taylor(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ai and Ai' for |x| < 12 (the caller's other entries are 0) by the Taylor series about
    the nearest point."""
    values, slopes = _points()
    steps = np.rint(x / _SPACING)
    point = steps * _SPACING
    t = x - point  # (exact)
    index = (steps + round(_REACH / _SPACING)).astype(np.intp)
    before, current = np.zeros_like(t), values[index]  # c_(m-3), c_(m-2)
    previous = slopes[index]  # c_(m-1)
    value, slope = current + previous * t, previous.copy()
    power = t  # t**(m - 1)
    for m in range(2, _TAYLOR_TERMS):
        coefficient = (point * current + before) / (m * (m - 1))
        slope = slope + m * coefficient * power
        power = power * t
        value = value + coefficient * power
        before, current, previous = current, previous, coefficient
    return value, slope


def _two_product(a: np.ndarray, b: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """a * b as a float and the rounding error it made (Dekker: 26-bit halves, exact)."""
    product = a * b
    a_high = a * 134217729.0 - (a * 134217729.0 - a)
    b_high = b * 134217729.0 - (b * 134217729.0 - b)
    a_low, b_low = a - a_high, b - b_high
    error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    return product, np.where(np.isfinite(error), error, 0.0)


def _zeta(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(2/3) a**(3/2) as a float and the rest of it (a second float, about 1e-16 of it)."""
    root = np.sqrt(a)
    square, square_error = _two_product(root, root)
    root_low = ((a - square) - square_error) / (2 * root)  # sqrt(a) = root + root_low
    product, product_error = _two_product(a, root)
    zeta, zeta_error = _two_product(product, _TWO_THIRDS)
    low = zeta_error + _TWO_THIRDS * (product_error + a * root_low) + _TWO_THIRDS_LOW * product
    return zeta, np.where(np.isfinite(low), low, 0.0)


def _asymptotic(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ai and Ai' for |x| >= 12 (the caller's other entries are 12) by the asymptotic
    expansions."""
    a = np.abs(x)
    zeta, low = _zeta(a)
    quarter = np.sqrt(np.sqrt(a))
    inverse = 1 / zeta
    # the sums of (-1)**k u_k / zeta**k (decaying side), and of the even and odd k apart
    u_all, v_all = np.zeros_like(a), np.zeros_like(a)
    u_even, u_odd, v_even, v_odd = (np.zeros_like(a) for _ in range(4))
    power = np.ones_like(a)
    for k in range(_TERMS):
        sign = -1.0 if k % 2 else 1.0
        u_all, v_all = u_all + sign * _U[k] * power, v_all + sign * _V[k] * power
        alternate = 1.0 if k % 4 < 2 else -1.0  # (-1)**(k // 2)
        if k % 2:
            u_odd, v_odd = u_odd + alternate * _U[k] * power, v_odd + alternate * _V[k] * power
        else:
            u_even = u_even + alternate * _U[k] * power
            v_even = v_even + alternate * _V[k] * power
        power = power * inverse
    decay = np.exp(-zeta) * (1 - low)  # e**-(zeta + low) (low < 1e-13 until decay underflows)
    right = (decay / (2 * _SQRT_PI * quarter) * u_all, -quarter * decay / (2 * _SQRT_PI) * v_all)
    # of zeta + low by the angle sum: low reaches 0.5 at x = -1e11 and 1e4 at -1e18, where
    # sin + low cos (its first order) would leave [-1, 1] and Ai its envelope
    sin, cos, sin_low, cos_low = np.sin(zeta), np.cos(zeta), np.sin(low), np.cos(low)
    sin, cos = sin * cos_low + cos * sin_low, cos * cos_low - sin * sin_low
    lag_cos, lag_sin = (cos + sin) / math.sqrt(2), (sin - cos) / math.sqrt(2)  # zeta - pi/4
    left = ((lag_cos * u_even + lag_sin * u_odd) / (_SQRT_PI * quarter),
            quarter / _SQRT_PI * (lag_sin * v_even - lag_cos * v_odd))
    return np.where(x > 0, right[0], left[0]), np.where(x > 0, right[1], left[1])


def airy(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ai(x) and Ai'(x) in float64 (the module's docstring: edges)."""
    v = x.astype(np.float64)
    with np.errstate(**_QUIET):
        near = np.abs(v) < _REACH
        value, slope = _taylor(np.where(near, v, 0.0))
        far_value, far_slope = _asymptotic(np.where(near, _REACH, v))
        value, slope = np.where(near, value, far_value), np.where(near, slope, far_slope)
        value = np.where(np.isinf(v) | (~near & ~np.isfinite(value) & ~np.isnan(v)), 0.0, value)
        slope = np.where(v == np.inf, 0.0, np.where(v == -np.inf, np.nan, slope))
    return value, slope


def airy_ai(x: np.ndarray) -> np.ndarray:
    """Ai(x), elementwise, in x's float dtype."""
    return airy(x)[0].astype(x.dtype, copy=False)


class AiryAi(_Pointwise, elementwise=True, name="airy_ai"):
    """The Airy function Ai, the solution of y'' = x y that decays as x grows (PyTorch's
    special.airy_ai, no Tensor method): about e**(-(2/3) x**(3/2)) / (2 sqrt(pi) x**(1/4))
    above 0, oscillating below; 0 at +-inf (PyTorch's NaN).

    forward: `Ai(x) = integral over t > 0 of cos(t**3 / 3 + x t) / pi`
    gradient: `g * Ai'(x)` (`0` at inf, NaN at -inf)
    """

    fn = staticmethod(airy_ai)

    @staticmethod
    def derivative(x):
        return airy(x)[1].astype(x.dtype, copy=False)

    backward_graph = through_slope  # (Airy's equation: Ai'' = x Ai)

    @staticmethod
    def curvature(x, slope):
        return x * AiryAi.apply(x)

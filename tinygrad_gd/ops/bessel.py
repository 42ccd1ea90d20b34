"""The Bessel functions of orders 0 and 1 (PyTorch's torch.special: bessel_j0, bessel_j1,
bessel_y0, bessel_y1, modified_bessel_k0, modified_bessel_k1, scaled_modified_bessel_k0,
scaled_modified_bessel_k1) and the spherical spherical_bessel_j0, sin(x) / x, each an
elementwise op whose gradient is the function's derivative (PyTorch computes none); the
I's are special.py's i0 and i1, the Airy function airy.py's.

Without SciPy, in float64 (given back in the input's float dtype: float32 stays float32):
J and Y below x = 2 are their power series (Y's with ln(x / 2) and the harmonic numbers),
from 2 to 25 Miller's backward recurrence J_(n-1) = (2n / x) J_n - J_(n+1) from J_70,
scaled by J0 + 2 (J2 + J4 + ...) = 1, with Neumann's series of the J_2k for Y0 (and its
derivative for Y1), and from 25 Hankel's asymptotic expansions (30 terms; the phase from
sin(x) and cos(x), exact, not from x - pi/4, rounded). K below 1 is its power series,
from 1 to 25 the trapezoidal rule on e**x K_n(x) = integral over t > 0 of
e**(-2x sinh(t/2)**2) cosh(n t) (exponentially accurate: the integrand is analytic and
decays doubly exponentially), from 25 the asymptotic expansion, which gives e**x K_n(x)
itself (the scaled functions never overflow). Checked against mpmath to about 5e-15
relatively over [1e-300, 1e3] (and their negative arguments), absolutely where an
oscillating J or Y crosses 0 (there no rounded x gives more).

Edges: PyTorch's values (Y and K are NaN below 0, Y0 and Y1 -inf at 0, K0 and K1 inf; J0
and I0 even, J1 odd), except where PyTorch's is an artefact of its algorithm: J0, J1, Y0,
Y1 are 0 at inf (and J0, J1 at -inf), PyTorch's NaN. Gradients: J0' = -J1, J1' = J0 -
J1 / x (1/2 at 0), Y0' = -Y1, Y1' = Y0 - Y1 / x (inf at 0), K0' = -K1, K1' = -K0 - K1 / x
(-inf at 0), the scaled K's by the product rule, spherical j0' = (x cos x - sin x) / x**2
(its series below 1, 0 at 0). Second derivatives: J0's, J1's, Y0's and K0's derivatives
in Tensor ops of these ops; Y1's, K1's, the scaled K's and spherical j0's by slopes.py,
with their equations, and at 0 (and -0.0) their limits: -inf for Y1, inf for the K's.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .elementwise import Where
from .pointwise import _QUIET
from .slopes import through_slope
from .unary import _Pointwise

_NEAR, _FAR = 2.0, 25.0  # the power series below _NEAR, the asymptotic expansions from _FAR
_K_NEAR = 1.0  # K's series cancels (ln(x / 2) I0 against the rest) from about here
_MILLER_START = 70  # J_70(25) is below 1e-20: Miller's recurrence starts there
_TERMS = 30  # of the asymptotic expansions: their terms fall below 1e-17 from x = 25
_STEP, _NODES = 0.1, 46  # the trapezoidal rule's step and nodes: t up to 4.5
_TWO_OVER_PI, _GAMMA = 2 / math.pi, float(np.euler_gamma)
_LOG_GAMMA_OVER_2 = _GAMMA - math.log(2)  # ln(x / 2) + gamma = ln(x) + this


def _series(x: np.ndarray, sign: float) -> tuple[np.ndarray, ...]:
    """The power series in q = sign x**2 / 4 (sign -1: J and Y, +1: I and K) for |x| <= 2:
    A = sum q**k / k!**2, B = sum q**k / (k! (k + 1)!), C = sum H_k q**k / k!**2 and D =
    sum (H_k + H_(k+1)) q**k / (k! (k + 1)!), H_k the harmonic numbers; 18 terms reach
    float64 at |q| = 1."""
    q = sign * x * x / 4
    a_term, b_term = np.ones_like(x), np.ones_like(x)
    a, b, c, d = a_term, b_term, np.zeros_like(x), b_term.copy()  # (H_0 + H_1 = 1)
    harmonic = 0.0
    for k in range(1, 18):
        a_term = a_term * q / (k * k)
        b_term = b_term * q / (k * (k + 1))
        harmonic += 1 / k
        a, b = a + a_term, b + b_term
        c, d = c + harmonic * a_term, d + (2 * harmonic + 1 / (k + 1)) * b_term
    return a, b, c, d


def _miller(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """J0, J1 and Neumann's sums S0 = sum over k >= 1 of (-1)**k J_2k / k and S1 = sum of
    (-1)**k (J_(2k-1) - J_(2k+1)) / k, for 2 <= x <= 25, by the backward recurrence
    (from 1 at J_70: at most about 1e100 at J_0, no overflow)."""
    later, current = np.zeros_like(x), np.ones_like(x)  # J_(n+1), J_n, unscaled
    total, s0, s1 = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    for n in range(_MILLER_START, 0, -1):
        earlier = (2 * n / x) * current - later
        if n % 2 == 0:
            k = n // 2
            total = total + 2 * current
            s0 = s0 + (-1) ** k * current / k
            s1 = s1 + (-1) ** k * (earlier - later) / k
        later, current = current, earlier
    total = total + current
    return current / total, later / total, s0 / total, s1 / total


def _hankel(x: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """P and Q of Hankel's expansions for x >= 25: the sums of (-1)**k a_2k and of
    (-1)**k a_(2k+1), a_k = prod over j <= k of (4 order**2 - (2j - 1)**2) / (8 j x)."""
    term, p, q = np.ones_like(x), np.ones_like(x), np.zeros_like(x)
    for k in range(1, _TERMS):
        term = term * (4 * order * order - (2 * k - 1) ** 2) / (8 * k * x)
        sign = 1 if k % 4 < 2 else -1
        if k % 2:
            q = q + sign * term
        else:
            p = p + sign * term
    return p, q


def _j_and_y(x: np.ndarray, with_y: bool) -> tuple[np.ndarray, ...]:
    """J0, J1 (and, `with_y`, Y0, Y1) of x's float64 values: J0 even and J1 odd below 0, Y
    NaN there."""
    v = x.astype(np.float64)
    a = np.abs(v)
    with np.errstate(**_QUIET):
        near, far = a < _NEAR, a >= _FAR
        middle = ~near & ~far
        small = np.where(near, a, 0.0)
        series = _series(small, -1.0)
        j0, j1 = series[0], small / 2 * series[1]
        logarithm = np.log(small) + _LOG_GAMMA_OVER_2  # (x / 2 of 5e-324 is 0)
        y0 = _TWO_OVER_PI * (logarithm * j0 - series[2])
        y1 = -_TWO_OVER_PI / small + _TWO_OVER_PI * logarithm * j1 \
            - small / (2 * math.pi) * series[3]
        m = np.where(middle, a, _NEAR)
        mj0, mj1, s0, s1 = _miller(m)
        logarithm = np.log(m / 2) + _GAMMA
        my0 = _TWO_OVER_PI * (logarithm * mj0 - 2 * s0)
        my1 = _TWO_OVER_PI * (logarithm * mj1 - mj0 / m + s1)
        f = np.where(far & np.isfinite(a), a, _FAR)
        sin, cos = np.sin(f), np.cos(f)
        scale = np.sqrt(1 / (math.pi * f))  # sqrt(2 / (pi x)) / sqrt(2): the phase's halves
        p0, q0 = _hankel(f, 0)
        p1, q1 = _hankel(f, 1)
        # x - pi/4 for order 0, x - 3 pi/4 for order 1, as sums of sin(x) and cos(x)
        fj0 = scale * (p0 * (cos + sin) - q0 * (sin - cos))
        fy0 = scale * (p0 * (sin - cos) + q0 * (cos + sin))
        fj1 = scale * (p1 * (sin - cos) + q1 * (sin + cos))
        fy1 = -scale * (p1 * (sin + cos) - q1 * (sin - cos))
        out = [np.where(near, j0, np.where(middle, mj0, fj0)),
               np.where(near, j1, np.where(middle, mj1, fj1))]
        if with_y:
            out += [np.where(near, y0, np.where(middle, my0, fy0)),
                    np.where(near, y1, np.where(middle, my1, fy1))]
        out = [np.where(np.isinf(a), 0.0, o) for o in out]  # (NaN stays NaN)
        out[1] = np.copysign(1.0, v) * out[1]  # (odd: -0.0 at -0.0)
        if with_y:
            out[2:] = [np.where(v < 0, np.nan, o) for o in out[2:]]
            out[2:] = [np.where(v == 0, -np.inf, o) for o in out[2:]]
    return tuple(out)


def _scaled_k(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """e**x K0(x), e**x K1(x) and their difference e**x (K1(x) - K0(x)) (taken apart, not
    by subtracting: about e**x K0(x) / (2x) far out) for x's float64 values: NaN below
    0, inf at 0, 0 at inf."""
    v = x.astype(np.float64)
    with np.errstate(**_QUIET):
        near, far = v < _K_NEAR, v >= _FAR
        middle = ~near & ~far
        small = np.where(near & (v > 0), v, 1.0)
        a, b, c, d = _series(small, 1.0)
        i0, i1 = a, small / 2 * b
        logarithm = np.log(small) + _LOG_GAMMA_OVER_2  # (x / 2 of 5e-324 is 0)
        growth = np.exp(small)
        k0 = (c - logarithm * i0) * growth
        k1 = (1 / small + logarithm * i1 - small / 4 * d) * growth
        m = np.where(middle, v, _K_NEAR)
        t = np.arange(_NODES) * _STEP
        lift = 2 * np.sinh(t / 2) ** 2  # cosh(t) - 1, without its rounding near t = 0
        weights = np.where(t == 0, _STEP / 2, _STEP)
        mk0, mk1, m_gap = np.zeros_like(m), np.zeros_like(m), np.zeros_like(m)
        for node in range(_NODES):
            value = weights[node] * np.exp(-m * lift[node])
            mk0, m_gap = mk0 + value, m_gap + value * lift[node]
        mk1 = mk0 + m_gap
        f = np.where(far, v, _FAR)
        scale = np.sqrt(math.pi / (2 * f))
        # e**x K_n(x) ~ sqrt(pi / (2x)) (sum of a_k(n) / x**k): Hankel's a_k, no signs
        term0, term1 = np.ones_like(f), np.ones_like(f)
        sum0, sum1, gap = np.ones_like(f), np.ones_like(f), np.zeros_like(f)
        for k in range(1, _TERMS):
            term0 = term0 * -((2 * k - 1) ** 2) / (8 * k * f)
            term1 = term1 * (4 - (2 * k - 1) ** 2) / (8 * k * f)
            sum0, sum1, gap = sum0 + term0, sum1 + term1, gap + (term1 - term0)
        out = [np.where(near, k0, np.where(middle, mk0, scale * sum0)),
               np.where(near, k1, np.where(middle, mk1, scale * sum1)),
               np.where(near, k1 - k0, np.where(middle, m_gap, scale * gap))]
        out = [np.where(v == 0, np.inf, np.where(v < 0, np.nan, o)) for o in out]
    return out[0], out[1], out[2]


def _unscaled_k(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """K0(x) and K1(x) in float64 (e**-x times the scaled ones: 0 beyond about 745)."""
    k0e, k1e, _ = _scaled_k(x)
    with np.errstate(**_QUIET):
        decay = np.exp(-np.where(x > 0, x.astype(np.float64), 0.0))
        return k0e * decay, k1e * decay


def _dtype(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    return out.astype(x.dtype, copy=False)


def bessel_j0(x: np.ndarray) -> np.ndarray:
    """J0, the Bessel function of the first kind of order 0, in x's float dtype."""
    return _dtype(x, _j_and_y(x, False)[0])


def bessel_j1(x: np.ndarray) -> np.ndarray:
    """J1, the Bessel function of the first kind of order 1 (odd), in x's float dtype."""
    return _dtype(x, _j_and_y(x, False)[1])


def bessel_y0(x: np.ndarray) -> np.ndarray:
    """Y0, the Bessel function of the second kind of order 0, in x's float dtype."""
    return _dtype(x, _j_and_y(x, True)[2])


def bessel_y1(x: np.ndarray) -> np.ndarray:
    """Y1, the Bessel function of the second kind of order 1, in x's float dtype."""
    return _dtype(x, _j_and_y(x, True)[3])


def _over_x(value: np.ndarray, v: np.ndarray) -> np.ndarray:
    """value / v, quiet (0 / 0 and inf / inf are handled by the callers)."""
    with np.errstate(**_QUIET):
        return value / v


class BesselJ0(_Pointwise, elementwise=True, name="bessel_j0"):
    """The Bessel function of the first kind of order 0 (PyTorch's special.bessel_j0, no
    Tensor method), even, 1 at 0 and 0 at +-inf (PyTorch's NaN there).

    forward: `J0(x) = sum over k of (-x**2 / 4)**k / k!**2`
    gradient: `-g * J1(x)`
    """

    fn = staticmethod(bessel_j0)

    @staticmethod
    def derivative(x):
        return -_j_and_y(x, False)[1]

    def backward_graph(ctx, out, g):
        return g * -BesselJ1.apply(ctx.parents[0])


class BesselJ1(_Pointwise, elementwise=True, name="bessel_j1"):
    """The Bessel function of the first kind of order 1 (PyTorch's special.bessel_j1, no
    Tensor method), odd, 0 at 0 and at +-inf (PyTorch's NaN there).

    forward: `J1(x) = (x / 2) * sum over k of (-x**2 / 4)**k / (k! (k + 1)!)`
    gradient: `g * (J0(x) - J1(x) / x)` (`g / 2` at 0, its series near 0)
    """

    fn = staticmethod(bessel_j1)

    @staticmethod
    def derivative(x):
        v = x.astype(np.float64)
        j0, j1 = _j_and_y(v, False)
        tiny = np.abs(v) < 1e-4  # (J1(x) / x rounds badly for subnormal x: its series there)
        t = np.where(tiny, v, 0.0)
        slope = j0 - _over_x(j1, np.where(tiny, 1.0, v))
        return np.where(tiny, 0.5 - 3 * t * t / 16, slope).astype(x.dtype, copy=False)

    def backward_graph(ctx, out, g):
        x, tiny = ctx.parents[0], np.abs(ctx.parents[0]._data) < 1e-4
        t = Where.call(tiny, x, 0.0)
        slope = BesselJ0.apply(x) - out / Where.call(tiny, 1.0, x)
        return g * Where.call(tiny, 0.5 - 3 * t * t / 16, slope)


class BesselY0(_Pointwise, elementwise=True, name="bessel_y0"):
    """The Bessel function of the second kind of order 0 (PyTorch's special.bessel_y0, no
    Tensor method), for x >= 0: -inf at 0, 0 at inf (PyTorch's NaN there), NaN below 0.

    forward: `Y0(x) = (2 / pi) (ln(x / 2) + gamma) J0(x) + ...` (Euler's gamma)
    gradient: `-g * Y1(x)` (`inf` at 0)
    """

    fn = staticmethod(bessel_y0)
    domain = True

    @staticmethod
    def derivative(x):
        return -_j_and_y(x, True)[3]

    def backward_graph(ctx, out, g):
        return g * -BesselY1.apply(ctx.parents[0])


def _limit_at_zero(x: Any, limit: float, formula: Callable) -> Any:
    """A curvature's `formula` (Tensor ops, given x with 1 in place of its zeros), and its
    `limit` where x is 0 or -0.0: there the equation meets 1 / 0 or inf - inf."""
    zero = x._data == 0
    return Where.call(zero, limit, formula(Where.call(zero, 1.0, x)))


class BesselY1(_Pointwise, elementwise=True, name="bessel_y1"):
    """The Bessel function of the second kind of order 1 (PyTorch's special.bessel_y1, no
    Tensor method), for x >= 0: -inf at 0, 0 at inf (PyTorch's NaN there), NaN below 0.

    forward: `Y1(x) = -2 / (pi x) + (2 / pi) ln(x / 2) J1(x) + ...`
    gradient: `g * (Y0(x) - Y1(x) / x)` (`inf` at 0)
    """

    fn = staticmethod(bessel_y1)
    domain = True

    @staticmethod
    def derivative(x):
        v = x.astype(np.float64)
        _, _, y0, y1 = _j_and_y(v, True)
        return np.where(v == 0, np.inf, y0 - _over_x(y1, v)).astype(x.dtype, copy=False)

    backward_graph = through_slope  # (Bessel's equation: y'' = -y' / x - (1 - 1/x**2) y)

    @staticmethod
    def curvature(x, slope):
        return _limit_at_zero(x, -np.inf, lambda safe: -slope / safe - (1 - 1 / (safe * safe))
                              * BesselY1.apply(safe))


class ModifiedBesselK0(_Pointwise, elementwise=True, name="modified_bessel_k0"):
    """The modified Bessel function of the second kind of order 0 (PyTorch's
    special.modified_bessel_k0, no Tensor method), for x >= 0: inf at 0, 0 at inf (and
    beyond about 745, where it underflows), NaN below 0.

    forward: `K0(x) = integral over t > 0 of e**(-x cosh(t))`
    gradient: `-g * K1(x)` (`-inf` at 0)
    """

    fn = staticmethod(lambda x: _dtype(x, _unscaled_k(x)[0]))
    domain = True

    @staticmethod
    def derivative(x):
        return -_unscaled_k(x)[1]

    def backward_graph(ctx, out, g):
        return g * -ModifiedBesselK1.apply(ctx.parents[0])


class ModifiedBesselK1(_Pointwise, elementwise=True, name="modified_bessel_k1"):
    """The modified Bessel function of the second kind of order 1 (PyTorch's
    special.modified_bessel_k1, no Tensor method), for x >= 0: inf at 0, 0 at inf, NaN
    below 0.

    forward: `K1(x) = integral over t > 0 of e**(-x cosh(t)) cosh(t)`
    gradient: `-g * (K0(x) + K1(x) / x)` (`-inf` at 0)
    """

    fn = staticmethod(lambda x: _dtype(x, _unscaled_k(x)[1]))
    domain = True

    @staticmethod
    def derivative(x):
        v = x.astype(np.float64)
        k0, k1 = _unscaled_k(v)
        return np.where(v == 0, -np.inf, -k0 - _over_x(k1, v)).astype(x.dtype, copy=False)

    backward_graph = through_slope  # (the modified equation: y'' = -y' / x + (1 + 1/x**2) y)

    @staticmethod
    def curvature(x, slope):
        return _limit_at_zero(x, np.inf, lambda safe: -slope / safe + (1 + 1 / (safe * safe))
                              * ModifiedBesselK1.apply(safe))


class ScaledModifiedBesselK0(_Pointwise, elementwise=True, name="scaled_modified_bessel_k0"):
    """e**x K0(x) (PyTorch's special.scaled_modified_bessel_k0, no Tensor method), for
    x >= 0: finite where K0 underflows (about sqrt(pi / (2x)) far out), inf at 0, NaN
    below 0.

    forward: `e**x * K0(x)`
    gradient: `g * (out - e**x K1(x))` (`-inf` at 0)
    """

    fn = staticmethod(lambda x: _dtype(x, _scaled_k(x)[0]))
    domain = True

    @staticmethod
    def derivative(x):
        v = x.astype(np.float64)
        gap = _scaled_k(v)[2]
        return np.where(v == 0, -np.inf, -gap).astype(x.dtype, copy=False)

    backward_graph = through_slope  # (e**x K0's equation: y'' = (2 - 1/x) y' + y / x)

    @staticmethod
    def curvature(x, slope):
        return _limit_at_zero(x, np.inf, lambda safe: (2 - 1 / safe) * slope
                              + ScaledModifiedBesselK0.apply(safe) / safe)


class ScaledModifiedBesselK1(_Pointwise, elementwise=True, name="scaled_modified_bessel_k1"):
    """e**x K1(x) (PyTorch's special.scaled_modified_bessel_k1, no Tensor method), for
    x >= 0: inf at 0, NaN below 0.

    forward: `e**x * K1(x)`
    gradient: `g * (out * (1 - 1 / x) - e**x K0(x))` (`-inf` at 0)
    """

    fn = staticmethod(lambda x: _dtype(x, _scaled_k(x)[1]))
    domain = True

    @staticmethod
    def derivative(x):
        v = x.astype(np.float64)
        _, k1e, gap = _scaled_k(v)
        slope = gap - _over_x(k1e, v)  # (-inf where K1 overflowed: 1 / x of a subnormal x)
        return np.where(k1e == np.inf, -np.inf, slope).astype(x.dtype, copy=False)

    backward_graph = through_slope  # (e**x K1's: y'' = (2 - 1/x) y' + (1 + 1/x) y / x)

    @staticmethod
    def curvature(x, slope):
        return _limit_at_zero(x, np.inf, lambda safe: (2 - 1 / safe) * slope
                              + (1 + 1 / safe) * ScaledModifiedBesselK1.apply(safe) / safe)


def spherical_bessel_j0(x: np.ndarray) -> np.ndarray:
    """sin(x) / x, 1 at 0 and 0 at +-inf, in x's float dtype."""
    v = x.astype(np.float64)
    with np.errstate(**_QUIET):
        out = np.where(v == 0, 1.0, np.sin(v) / v)
        return _dtype(x, np.where(np.isinf(v), 0.0, out))


def _spherical_slope(x: np.ndarray) -> np.ndarray:
    """(x cos x - sin x) / x**2, from its series sum over k >= 1 of (-1)**k 2k x**(2k - 1)
    / (2k + 1)! below |x| = 1 (where the difference cancels): 0 at 0 and at +-inf."""
    v = x.astype(np.float64)
    with np.errstate(**_QUIET):
        near = np.abs(v) < 1
        t = np.where(near, v, 0.0)
        term, total = -t / 6, -t / 3  # term: (-1)**k t**(2k - 1) / (2k + 1)!, from k = 1
        for k in range(2, 12):
            term = term * -(t * t) / ((2 * k) * (2 * k + 1))
            total = total + 2 * k * term
        far = (v * np.cos(v) - np.sin(v)) / (v * v)
        out = np.where(near, total, np.where(np.isinf(v), 0.0, far))
    return out.astype(x.dtype, copy=False)


class SphericalBesselJ0(_Pointwise, elementwise=True, name="spherical_bessel_j0"):
    """The spherical Bessel function of the first kind of order 0, sin(x) / x (PyTorch's
    special.spherical_bessel_j0, no Tensor method): 1 at 0, 0 at +-inf.

    forward: `sin(x) / x` (`1` at 0)
    gradient: `g * (x cos(x) - sin(x)) / x**2` (`0` at 0; its series below |x| = 1)
    """

    fn = staticmethod(spherical_bessel_j0)
    derivative = staticmethod(_spherical_slope)
    backward_graph = through_slope  # (sin(x) / x's equation: y'' = -2 y' / x - y; -1/3 at 0)

    @staticmethod
    def curvature(x, slope):
        return _limit_at_zero(x, -1 / 3, lambda safe: -2 * slope / safe
                              - SphericalBesselJ0.apply(x))

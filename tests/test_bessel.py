"""tg.special's Bessel functions and Airy's Ai (ops/bessel.py, ops/airy.py): values against
mpmath over [1e-300, 1e3] (and below 0), against PyTorch 2.13, the gradients (the
derivatives; PyTorch computes none) by gradcheck, against mpmath's and against the same
formulas in torch, the edges (0, -0.0, below 0, +-inf, NaN), float32, empty tensors and
the bad-input errors.

Without torch and mpmath: references written here with NumPy alone (the trapezoidal rule
on Bessel's integrals, exponentially accurate; Neumann's series for Y; Ai's Maclaurin
series), which `bessel_spec` lends test_ops.py's table; `torch_bessel` lends test_fuzz.py
torch counterparts with the derivatives as gradients, made of accurate torch ops
(PyTorch's own J, Y and Ai are accurate to about 1e-6 only).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import testing

INF, NAN = np.inf, np.nan
NAMES = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
         "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
         "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
         "airy_ai"]
NEW_OPS = [n for n in NAMES if n not in ("modified_bessel_i0", "modified_bessel_i1")]
POSITIVE_ONLY = {"bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
                 "scaled_modified_bessel_k0", "scaled_modified_bessel_k1"}
OSCILLATING = {"bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "spherical_bessel_j0"}


def special(name):
    return getattr(tg.special, name)


# References with NumPy alone

_THETA = np.arange(128) * (2 * np.pi / 128)


def _j(n: int, x: np.ndarray) -> np.ndarray:
    """J_n(x) = the mean over a period of cos(n t - x sin t): the trapezoidal rule with 128
    points is exact to about 1e-16 for |x| <= 20 and n <= 60 (its error is about
    J_(128 - n)(x))."""
    x = np.asarray(x, dtype=np.float64)
    return np.cos(n * _THETA - x[..., None] * np.sin(_THETA)).mean(axis=-1)


def _y(n: int, x: np.ndarray) -> np.ndarray:
    """Y0 or Y1 by Neumann's series: Y0 = (2/pi)((ln(x/2) + gamma) J0 - 2 sum (-1)**k J_2k / k)
    and its derivative, negated, for Y1."""
    x = np.asarray(x, dtype=np.float64)
    log = np.log(x / 2) + np.euler_gamma
    ks = range(1, 31)
    if n == 0:
        total = sum((-1) ** k * _j(2 * k, x) / k for k in ks)
        return 2 / np.pi * (log * _j(0, x) - 2 * total)
    total = sum((-1) ** k * (_j(2 * k - 1, x) - _j(2 * k + 1, x)) / k for k in ks)
    return 2 / np.pi * (log * _j(1, x) - _j(0, x) / x + total)


def _k(n: int, x: np.ndarray, scaled: bool = False) -> np.ndarray:
    """K_n(x) = integral over t > 0 of e**(-x cosh t) cosh(n t), trapezoidal rule (step 1/32)."""
    x = np.asarray(x, dtype=np.float64)
    t = np.arange(0, 8, 1 / 32)
    weights = np.where(t == 0, 1 / 64, 1 / 32)
    lift = 2 * np.sinh(t / 2) ** 2
    out = (weights * np.exp(-x[..., None] * lift) * np.cosh(n * t)).sum(axis=-1)
    return out if scaled else out * np.exp(-x)


def _airy(x: np.ndarray) -> np.ndarray:
    """Ai by its Maclaurin series, summed exactly (math.fsum): accurate on [-3, 2]."""
    first, second = 0.355028053887817239, 0.258819403792806798  # Ai(0), -Ai'(0)

    def one(v: float) -> float:
        f, g, terms = 1.0, v, [first, -second * v]
        for k in range(1, 40):
            f *= v ** 3 / (3 * k * (3 * k - 1))
            g *= v ** 3 / ((3 * k + 1) * 3 * k)
            terms += [first * f, -second * g]
        return math.fsum(terms)
    return np.vectorize(one, otypes=[np.float64])(x)


REFERENCES = {
    "bessel_j0": lambda x: _j(0, x), "bessel_j1": lambda x: _j(1, x),
    "bessel_y0": lambda x: _y(0, x), "bessel_y1": lambda x: _y(1, x),
    "modified_bessel_k0": lambda x: _k(0, x), "modified_bessel_k1": lambda x: _k(1, x),
    "scaled_modified_bessel_k0": lambda x: _k(0, x, True),
    "scaled_modified_bessel_k1": lambda x: _k(1, x, True),
    "spherical_bessel_j0": lambda x: np.sin(x) / x,
    "airy_ai": _airy,
}
# each function's inputs for the table and gradcheck: inside its domain, away from the
# roots (where a relative comparison means nothing)
DOMAINS = {
    "bessel_j0": dict(min_value=-5, max_value=5, avoid=(-2.405, 2.405)),
    "bessel_j1": dict(min_value=-5, max_value=5, avoid=(-3.832, 3.832)),
    "bessel_y0": dict(min_value=0.3, max_value=5, avoid=(0.894, 3.958)),
    "bessel_y1": dict(min_value=0.3, max_value=5, avoid=(2.197,)),
    "modified_bessel_k0": dict(min_value=0.2, max_value=5, avoid=()),
    "modified_bessel_k1": dict(min_value=0.2, max_value=5, avoid=()),
    "scaled_modified_bessel_k0": dict(min_value=0.2, max_value=5, avoid=()),
    "scaled_modified_bessel_k1": dict(min_value=0.2, max_value=5, avoid=()),
    "spherical_bessel_j0": dict(min_value=-5, max_value=5, avoid=(-np.pi, 0.0, np.pi)),
    "airy_ai": dict(min_value=-3, max_value=2, avoid=(-2.338,)),
}


def bessel_spec(name: str):
    """test_ops.py's drawer for op `name`: (fn, input arrays, reference)."""
    def draw(data):
        return special(name), [data.draw(testing.tensors(**DOMAINS[name])).data], \
            REFERENCES[name]
    return draw


# test_fuzz.py's torch counterparts: values from accurate torch ops, gradients the derivatives

def _torch_j(torch, n, x):
    theta = torch.arange(128, dtype=x.dtype) * (2 * math.pi / 128)
    return torch.cos(n * theta - x[..., None] * torch.sin(theta)).mean(-1)


def _torch_y(torch, n, x):
    log = torch.log(x / 2) + float(np.euler_gamma)
    if n == 0:
        total = sum((-1) ** k * _torch_j(torch, 2 * k, x) / k for k in range(1, 31))
        return 2 / math.pi * (log * _torch_j(torch, 0, x) - 2 * total)
    total = sum((-1) ** k * (_torch_j(torch, 2 * k - 1, x) - _torch_j(torch, 2 * k + 1, x)) / k
                for k in range(1, 31))
    return 2 / math.pi * (log * _torch_j(torch, 1, x) - _torch_j(torch, 0, x) / x + total)


def _torch_airy(torch, x):
    first, second = 0.355028053887817239, 0.258819403792806798
    f, g = torch.ones_like(x), x
    total = first - second * x
    for k in range(1, 40):
        f = f * x ** 3 / (3 * k * (3 * k - 1))
        g = g * x ** 3 / ((3 * k + 1) * 3 * k)
        total = total + first * f - second * g
    return total


def torch_bessel(torch, name, x):
    """`name` in torch with a gradient (torch's own have none): J and Y by the trapezoidal
    rule and Neumann's series (|x| <= 20), Ai by its Maclaurin series ([-3, 2]), each
    differentiated by torch's autograd; K by torch's values (accurate) and their
    derivatives written out; sin(x) / x by torch's."""
    special_k = {"modified_bessel_k0": torch.special.modified_bessel_k0,
                 "modified_bessel_k1": torch.special.modified_bessel_k1,
                 "scaled_modified_bessel_k0": torch.special.scaled_modified_bessel_k0,
                 "scaled_modified_bessel_k1": torch.special.scaled_modified_bessel_k1}
    if name in ("bessel_j0", "bessel_j1"):
        return _torch_j(torch, int(name[-1]), x)
    if name in ("bessel_y0", "bessel_y1"):
        return _torch_y(torch, int(name[-1]), x)
    if name == "airy_ai":
        return _torch_airy(torch, x)
    if name == "spherical_bessel_j0":
        return torch.sin(x) / x
    v = x.detach()
    k0, k1 = (special_k[name.replace("_k1", "_k0")](v), special_k[name.replace("_k0", "_k1")](v))
    slope = {"modified_bessel_k0": -k1, "modified_bessel_k1": -k0 - k1 / v,
             "scaled_modified_bessel_k0": k0 - k1,
             "scaled_modified_bessel_k1": k1 - k1 / v - k0}[name]
    return special_k[name](v) + slope * (x - v)


# Values


def _mpmath_reference(mpmath, name):
    return {"bessel_j0": mpmath.j0, "bessel_j1": mpmath.j1,
            "bessel_y0": lambda x: mpmath.bessely(0, x),
            "bessel_y1": lambda x: mpmath.bessely(1, x),
            "modified_bessel_i0": lambda x: mpmath.besseli(0, x),
            "modified_bessel_i1": lambda x: mpmath.besseli(1, x),
            "modified_bessel_k0": lambda x: mpmath.besselk(0, x),
            "modified_bessel_k1": lambda x: mpmath.besselk(1, x),
            "scaled_modified_bessel_k0": lambda x: mpmath.exp(x) * mpmath.besselk(0, x),
            "scaled_modified_bessel_k1": lambda x: mpmath.exp(x) * mpmath.besselk(1, x),
            "spherical_bessel_j0": lambda x: mpmath.sin(x) / x,
            "airy_ai": mpmath.airyai}[name]


def _points(name):
    """x over [1e-300, 1e3], and below 0 where the function is defined (Ai: to -1e3)."""
    positive = np.concatenate([np.geomspace(1e-300, 1e-2, 8), np.linspace(0.01, 30, 91),
                               np.geomspace(30, 1e3, 17)])
    return positive if name in POSITIVE_ONLY else np.concatenate([-positive, positive])


def _envelope(name, x):
    """The size an oscillating function's errors are measured against (near its roots)."""
    a = np.abs(x)
    if name == "spherical_bessel_j0":
        return 1 / np.maximum(a, 1)
    if name in OSCILLATING:
        return 1 / np.sqrt(np.maximum(a, 1))
    return np.maximum(a, 1) ** -0.25 if name == "airy_ai" else 0


@pytest.mark.parametrize("name", NAMES)
def test_values_agree_with_mpmath_to_float64(name):
    mpmath = pytest.importorskip("mpmath")
    x = _points(name)
    ours = special(name)(x).numpy()
    reference = _mpmath_reference(mpmath, name)
    with mpmath.workdps(30):
        exact = np.array([float(reference(mpmath.mpf(float(v)))) for v in x])
    scale = np.maximum(np.abs(exact), _envelope(name, x) * (x < 0 if name == "airy_ai" else 1))
    finite = np.isfinite(exact) & (np.abs(exact) > 1e-290)  # (subnormal: fewer digits)
    error = np.abs(ours[finite] - exact[finite]) / scale[finite]
    assert error.max() < 1e-14, (name, x[finite][error.argmax()], error.max())


@pytest.mark.parametrize("name", NEW_OPS)
def test_values_agree_with_the_numpy_references(name):
    x = np.linspace(DOMAINS[name]["min_value"], DOMAINS[name]["max_value"], 41) + 0.0123
    np.testing.assert_allclose(special(name)(x).numpy(), REFERENCES[name](x), rtol=1e-13,
                               atol=1e-15)


def test_identities_hold_far_out():
    # the Wronskian J1 Y0 - J0 Y1 = 2 / (pi x), over all three methods' ranges
    x = np.concatenate([np.geomspace(1e-3, 2, 20), np.linspace(2, 25, 40), [30, 300, 700]])
    j0, j1, y0, y1 = (special(n)(x).numpy() for n in ("bessel_j0", "bessel_j1", "bessel_y0",
                                                       "bessel_y1"))
    np.testing.assert_allclose((j1 * y0 - j0 * y1) * np.pi * x / 2, 1, rtol=1e-14)
    # I0 K1 + I1 K0 = 1 / x
    i0, i1 = special("modified_bessel_i0")(x).numpy(), special("modified_bessel_i1")(x).numpy()
    k0e = special("scaled_modified_bessel_k0")(x).numpy()
    k1e = special("scaled_modified_bessel_k1")(x).numpy()
    np.testing.assert_allclose((i0 * k1e + i1 * k0e) * np.exp(-x) * x, 1, rtol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_values_agree_with_pytorch(name):
    torch = pytest.importorskip("torch")
    x = _points(name)
    x = x[(x > -200) & (x < 700)]  # (beyond: both underflow, or Ai's phase is PyTorch's own)
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    ours = special(name)(x).numpy()
    # PyTorch's J, Y (above 5) and Ai (near 0) are rational fits good to about 1e-6
    loose = name in OSCILLATING - {"spherical_bessel_j0"} or name == "airy_ai"
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if loose else 1e-13,
                               atol=1e-5 if loose else 1e-300)


# Gradients


@pytest.mark.parametrize("name", NEW_OPS)
def test_gradcheck(name):
    x = np.linspace(DOMAINS[name]["min_value"], DOMAINS[name]["max_value"], 9) + 0.0317
    assert tg.gradcheck(special(name), [tg.Tensor(x, requires_grad=True)])


@pytest.mark.parametrize("name", NEW_OPS)
def test_gradcheck_far_out(name):
    # each method's range: the series, the middle (Miller, trapezoid, Taylor) and beyond
    x = np.array([0.7, 3.3, 11.1, 26.5, 40.2]) if name != "airy_ai" else \
        np.array([-40.3, -13.1, -6.6, 0.4, 4.1, 13.2])
    assert tg.gradcheck(special(name), [tg.Tensor(x, requires_grad=True)], atol=1e-9,
                        rtol=1e-6)


def _mpmath_derivative(mpmath, name):
    return {"bessel_j0": lambda x: -mpmath.j1(x),
            "bessel_j1": lambda x: mpmath.besselj(1, x, derivative=1),
            "bessel_y0": lambda x: -mpmath.bessely(1, x),
            "bessel_y1": lambda x: mpmath.bessely(1, x, derivative=1),
            "modified_bessel_k0": lambda x: -mpmath.besselk(1, x),
            "modified_bessel_k1": lambda x: -mpmath.besselk(0, x) - mpmath.besselk(1, x) / x,
            "scaled_modified_bessel_k0": lambda x: mpmath.exp(x) * (
                mpmath.besselk(0, x) - mpmath.besselk(1, x)),
            "scaled_modified_bessel_k1": lambda x: mpmath.exp(x) * (
                mpmath.besselk(1, x) * (1 - 1 / x) - mpmath.besselk(0, x)),
            "spherical_bessel_j0": lambda x: (x * mpmath.cos(x) - mpmath.sin(x)) / x ** 2,
            "airy_ai": lambda x: mpmath.airyai(x, derivative=1)}[name]


@pytest.mark.parametrize("name", NEW_OPS)
def test_gradients_agree_with_mpmath(name):
    mpmath = pytest.importorskip("mpmath")
    x = _points(name)[::2]
    t = tg.Tensor(x, requires_grad=True)
    special(name)(t).sum().backward()
    slope = _mpmath_derivative(mpmath, name)
    with mpmath.workdps(30):
        exact = np.array([float(slope(mpmath.mpf(float(v)))) for v in x])
    finite = np.isfinite(exact) & (np.abs(exact) > 1e-290)
    envelope = _envelope(name, x) * (np.abs(x) * (x < 0) if name == "airy_ai" else 1) ** 0.5
    scale = np.maximum(np.abs(exact), envelope)
    error = np.abs(t.grad.numpy()[finite] - exact[finite]) / scale[finite]
    assert error.max() < 1e-13, (name, x[finite][error.argmax()], error.max())


@pytest.mark.parametrize("name", NEW_OPS)
def test_gradients_agree_with_the_formulas_in_torch(name):
    torch = pytest.importorskip("torch")
    low, high = DOMAINS[name]["min_value"], DOMAINS[name]["max_value"]
    x = np.linspace(low, high, 17) + 0.0217
    theirs = torch.tensor(x, requires_grad=True)
    torch_bessel(torch, name, theirs).sum().backward()
    ours = tg.Tensor(x, requires_grad=True)
    special(name)(ours).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-11, atol=1e-13)


# Edges


def _value_and_gradient(name, values, dtype=np.float64):
    x = tg.Tensor(np.array(values, dtype=dtype), requires_grad=True)
    out = special(name)(x)
    out.sum().backward()
    return out.numpy(), x.grad.numpy()


EDGES = {  # name: (inputs, values, gradients), the limits where PyTorch's are NaN at inf
    "bessel_j0": ([0.0, -0.0, INF, -INF, NAN], [1, 1, 0, 0, NAN], [0, 0, 0, 0, NAN]),
    "bessel_j1": ([0.0, -0.0, INF, -INF, NAN], [0, -0.0, 0, 0, NAN], [0.5, 0.5, 0, 0, NAN]),
    "bessel_y0": ([0.0, -0.0, -1.0, INF, NAN], [-INF, -INF, NAN, 0, NAN],
                  [INF, INF, NAN, 0, NAN]),
    "bessel_y1": ([0.0, -1.0, INF, NAN], [-INF, NAN, 0, NAN], [INF, NAN, 0, NAN]),
    "modified_bessel_k0": ([0.0, -1.0, INF, -INF, NAN], [INF, NAN, 0, NAN, NAN],
                           [-INF, NAN, 0, NAN, NAN]),
    "modified_bessel_k1": ([0.0, -1.0, INF, NAN], [INF, NAN, 0, NAN], [-INF, NAN, 0, NAN]),
    "scaled_modified_bessel_k0": ([0.0, -1.0, INF, NAN], [INF, NAN, 0, NAN],
                                  [-INF, NAN, 0, NAN]),
    "scaled_modified_bessel_k1": ([0.0, -1.0, INF, NAN], [INF, NAN, 0, NAN],
                                  [-INF, NAN, 0, NAN]),
    "spherical_bessel_j0": ([0.0, -0.0, INF, -INF, NAN], [1, 1, 0, 0, NAN], [0, 0, 0, 0, NAN]),
    "airy_ai": ([INF, -INF, NAN, 1e3, 200.0], [0, 0, NAN, 0, 0], [0, NAN, NAN, 0, 0]),
}


@pytest.mark.parametrize("name", NEW_OPS)
def test_edges(name):
    inputs, values, gradients = EDGES[name]
    value, gradient = _value_and_gradient(name, inputs)
    np.testing.assert_array_equal(value, values)
    np.testing.assert_array_equal(gradient, gradients)


def test_odd_and_even():
    x = np.array([0.3, 1.7, 4.2, 13.0, 33.3, 500.0])
    for name, sign in (("bessel_j0", 1), ("bessel_j1", -1), ("modified_bessel_i1", -1),
                       ("spherical_bessel_j0", 1), ("modified_bessel_i0", 1)):
        np.testing.assert_array_equal(special(name)(-x).numpy(), sign * special(name)(x).numpy())
    assert str(special("bessel_j1")(-0.0).item()) == "-0.0"


@pytest.mark.parametrize("name", NEW_OPS)
def test_edges_agree_with_pytorch_but_at_infinity(name):
    torch = pytest.importorskip("torch")
    inputs = np.array([0.0, -0.0, -1.0, NAN, 1e-300, 700.0])
    theirs = getattr(torch.special, name)(torch.tensor(inputs)).numpy()
    ours = special(name)(inputs).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if name == "airy_ai" else 1e-13,
                               atol=1e-15)
    # at +-inf the limit 0 where there is one (PyTorch's J, Y and Ai: NaN); K: NaN at -inf
    for end in (INF, -INF) if name not in POSITIVE_ONLY else (INF,):
        theirs = getattr(torch.special, name)(torch.tensor([end])).item()
        assert special(name)([end]).item() == 0 and (theirs == 0 or np.isnan(theirs))


def test_the_least_subnormal_keeps_the_leading_terms():
    # ln(x / 2) taken as ln(x) - ln(2): x / 2 of 5e-324 rounds to 0 (PyTorch's K0 is inf)
    x = np.array([5e-324])
    log = np.log(x) - np.log(2) + np.euler_gamma
    np.testing.assert_allclose(special("modified_bessel_k0")(x).numpy(), -log, rtol=1e-15)
    np.testing.assert_allclose(special("bessel_y0")(x).numpy(), 2 / np.pi * log, rtol=1e-15)
    assert special("modified_bessel_k1")(x).item() == INF  # (1 / x overflows; PyTorch: NaN)
    assert special("bessel_y1")(x).item() == -INF


def test_gradients_at_the_least_subnormal_are_the_limits():
    x = tg.Tensor([5e-324, -5e-324], requires_grad=True)
    tg.special.bessel_j1(x).sum().backward()
    assert x.grad.tolist() == [0.5, 0.5]  # (J1(x) / x: 2.5e-324 rounded to 0, over x)
    for name, limit in (("bessel_y0", INF), ("bessel_y1", INF), ("modified_bessel_k0", -INF),
                        ("modified_bessel_k1", -INF), ("scaled_modified_bessel_k1", -INF)):
        x = tg.Tensor([5e-324], requires_grad=True)
        special(name)(x).sum().backward()
        assert x.grad.item() == limit, name


def test_scaled_k_stays_finite_where_k_underflows():
    x = np.array([800.0, 1e5, 1e300])
    assert (special("modified_bessel_k0")(x).numpy() == 0).all()
    np.testing.assert_allclose(special("scaled_modified_bessel_k0")(x).numpy(),
                               np.sqrt(np.pi / (2 * x)), rtol=1e-3)  # (its leading term)


def test_airy_far_below_0_keeps_its_phase_then_its_envelope():
    # zeta = (2/3) |x|**(3/2) is carried as two floats, its second part reaching 0.5 at
    # x = -1e11: sin(zeta + low) by the angle sum, not sin + low cos (Ai was 69 at -1e15)
    x = -np.geomspace(1e6, 1e200, 40)
    t = tg.Tensor(x, requires_grad=True)
    value = tg.special.airy_ai(t)
    value.sum().backward()
    envelope = np.abs(x) ** -0.25 / np.sqrt(np.pi)
    assert (np.abs(value.numpy()) <= envelope * (1 + 1e-9)).all()
    assert (np.abs(t.grad.numpy()) <= np.abs(x) ** 0.5 * envelope * (1 + 1e-9)).all()
    mpmath = pytest.importorskip("mpmath")
    x = np.array([-1e7, -3.3e8, -1e10, -7.7e11])
    t = tg.Tensor(x, requires_grad=True)
    value = tg.special.airy_ai(t)
    value.sum().backward()
    with mpmath.workdps(40):
        exact = [float(mpmath.airyai(mpmath.mpf(v))) for v in x]
        slope = [float(mpmath.airyai(mpmath.mpf(v), derivative=1)) for v in x]
    envelope = np.abs(x) ** -0.25
    np.testing.assert_array_less(np.abs(value.numpy() - exact) / envelope, 1e-14)
    np.testing.assert_array_less(np.abs(t.grad.numpy() - slope) / (envelope * np.abs(x) ** 0.5),
                                 1e-14)


@pytest.mark.parametrize("name", NEW_OPS)
def test_float32_kept_integers_in_float64_and_empty(name):
    x32 = tg.Tensor(np.array([0.5, 1.5, 2.5], dtype=np.float32), requires_grad=True)
    out = special(name)(x32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), special(name)(x32.numpy().astype(np.float64)).numpy(),
                               rtol=1e-6)
    out.sum().backward()
    assert x32.grad.dtype == np.float32
    assert special(name)(tg.as_tensor([1, 2])).dtype == np.float64
    empty = tg.Tensor(np.zeros((0, 3)), requires_grad=True)
    special(name)(empty).sum().backward()
    assert special(name)(empty).shape == (0, 3) and empty.grad.shape == (0, 3)


def test_modified_bessel_i_are_the_i0_and_i1_ops():
    x = tg.Tensor([0.5, -3.0], requires_grad=True)
    assert tg.special.modified_bessel_i0(x).grad_fn.name == "i0"
    assert tg.special.modified_bessel_i1(x).grad_fn.name == "i1"
    np.testing.assert_array_equal(tg.special.modified_bessel_i0(x).numpy(), tg.i0(x).numpy())


def test_no_tensor_method_and_no_top_level_function_as_in_pytorch():
    for name in NAMES:
        assert not hasattr(tg.Tensor, name) and not hasattr(tg, name), name
        assert name in tg.special.__all__


# Bad input


@pytest.mark.parametrize("name", NEW_OPS)
def test_bad_input_is_refused_naming_the_function(name):
    fn = special(name)
    with pytest.raises(TypeError, match=f"^{name}: .*numeric"):
        fn("one")
    with pytest.raises(TypeError, match=f"^{name}: complex data is not supported"):
        fn(np.array([1 + 1j]))
    with pytest.raises(TypeError, match=rf"^{name}: takes 1 argument \(input\) but 2 were given$"):
        fn(tg.Tensor([1.0]), 2)
    np.testing.assert_array_equal(fn(input=tg.Tensor([1.5])).numpy(), fn([1.5]).numpy())

"""torch.special's orthogonal polynomials (special_polynomials.py) and the regularized
incomplete gamma functions (ops/incomplete_gamma.py: igamma, igammac, special.gammainc,
special.gammaincc): values against PyTorch 2.13, mpmath and references written here
(NumPy's polynomial classes, closed forms), gradients by gradcheck in float64 and against
derivative identities, the edges (n < 0, non-integer n, +-1, +-inf, NaN, x = 0, a = 0),
float32 kept, empty tensors, and the bad-input errors.

`incomplete_gamma_spec` lends test_ops.py's table a drawer for igamma and igammac (a
closed form for whole and half-whole a as the reference).
"""
from __future__ import annotations

import html
import math
import re

import numpy as np
import pytest
from hypothesis import strategies as st
from numpy.polynomial import chebyshev, hermite, hermite_e, laguerre, legendre

import tinygrad_gd as tg
from tinygrad_gd import testing

S = tg.special
INF, NAN = np.inf, np.nan
CHEBYSHEV = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
             "chebyshev_polynomial_w"]
POLYNOMIALS = CHEBYSHEV + ["shifted_" + name for name in CHEBYSHEV] + [
    "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p"]
X = np.array([-2.0, -1.5, -1.0, -0.7, -0.3, 0.0, 0.2, 0.5, 0.9, 1.0, 1.5, 2.0])


# References without torch: NumPy's basis polynomials, the trigonometric forms on (-1, 1)

def _numpy_basis(name: str, n: int):
    """The degree-n basis polynomial of NumPy's class for `name` (None where NumPy has none)."""
    family = {"chebyshev_polynomial_t": chebyshev.Chebyshev, "hermite_polynomial_h":
              hermite.Hermite, "hermite_polynomial_he": hermite_e.HermiteE,
              "laguerre_polynomial_l": laguerre.Laguerre,
              "legendre_polynomial_p": legendre.Legendre}.get(name)
    return None if family is None else family.basis(n)


def _trigonometric(name: str, n: int, x: np.ndarray) -> np.ndarray:
    """The Chebyshev polynomials on (-1, 1) by their angle forms (x = cos t)."""
    if name.startswith("shifted_"):
        return _trigonometric(name[len("shifted_"):], n, 2 * x - 1)
    t = np.arccos(x)
    return {"chebyshev_polynomial_t": lambda: np.cos(n * t),
            "chebyshev_polynomial_u": lambda: np.sin((n + 1) * t) / np.sin(t),
            "chebyshev_polynomial_v": lambda: np.cos((n + 0.5) * t) / np.cos(t / 2),
            "chebyshev_polynomial_w": lambda: np.sin((n + 0.5) * t) / np.sin(t / 2)}[name]()


def _close(ours, expected, rtol=1e-11):
    """Equal to rounding, relative to the value or to 1 (a recurrence's error is of the
    size of its terms, which are about 1 where the value passes 0)."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = np.maximum(np.abs(expected), 1.0)
    np.testing.assert_array_less(np.abs(np.asarray(ours, dtype=np.float64) - expected),
                                 rtol * scale + 1e-300)


@pytest.mark.parametrize("name", POLYNOMIALS)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, 11, 30])
def test_polynomials_match_numpy_and_the_angle_forms(name, n):
    ours = getattr(S, name)(tg.Tensor(X), n).data
    basis = _numpy_basis(name, n)
    if basis is not None:
        _close(ours, basis(X), rtol=1e-10)
    inside = (np.abs(X) < 1) if not name.startswith("shifted_") else (X > 0) & (X < 1)
    if "chebyshev" in name:
        _close(ours[inside], _trigonometric(name, n, X[inside]), rtol=1e-10)


@pytest.mark.parametrize("name", POLYNOMIALS)
@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 3, 2.5, 7, 30, 50, -0.5, 1.9])
def test_polynomials_match_pytorch_for_numbers_and_non_integer_n(name, n):
    torch = pytest.importorskip("torch")
    ours = getattr(S, name)(tg.Tensor(X), n)
    theirs = getattr(torch.special, name)(torch.tensor(X), n).numpy()
    assert ours.dtype == np.float64 and ours.shape == X.shape
    _close(ours.data, theirs, rtol=1e-11)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_a_tensor_of_degrees_broadcasts_with_input_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    x = np.linspace(-1.2, 1.2, 5).reshape(5, 1)
    n = np.array([-1.0, 0.0, 1.0, 2.0, 4.0, 9.0, 3.7])
    ours = getattr(S, name)(tg.Tensor(x), tg.Tensor(n))
    theirs = getattr(torch.special, name)(torch.tensor(x), torch.tensor(n)).numpy()
    assert ours.shape == (5, 7)
    _close(ours.data, theirs)
    ints = getattr(S, name)(tg.Tensor(x), tg.Tensor(n.astype(np.int64)))
    np.testing.assert_array_equal(ints.data[:, :6], ours.data[:, :6])  # (int n: no 3.7)


# The gradient with respect to input: PyTorch gives none; checked by finite differences
# and by the derivative identities

@pytest.mark.parametrize("name", POLYNOMIALS)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 12])
def test_polynomial_gradients_pass_gradcheck(name, n):
    x = tg.Tensor(np.array([-1.3, -0.6, 0.1, 0.45, 0.8, 1.2]), requires_grad=True)
    assert tg.gradcheck(lambda t: getattr(S, name)(t, n), [x])


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomial_gradients_with_a_tensor_of_degrees_pass_gradcheck(name):
    x = tg.Tensor(np.array([[-0.9], [0.3], [1.1]]), requires_grad=True)
    n = tg.Tensor(np.array([-2.0, 0.0, 1.0, 3.0, 8.0]))
    assert tg.gradcheck(lambda t: getattr(S, name)(t, n), [x])


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "hermite_polynomial_h",
                                  "hermite_polynomial_he", "laguerre_polynomial_l",
                                  "legendre_polynomial_p"])
@pytest.mark.parametrize("n", [1, 4, 9, 25])
def test_polynomial_gradients_are_numpys_derivatives(name, n):
    x = tg.Tensor(X, requires_grad=True)
    getattr(S, name)(x, n).sum().backward()
    _close(x.grad.data, _numpy_basis(name, n).deriv()(X), rtol=1e-9)


@pytest.mark.parametrize("n", [1, 2, 7, 20])
def test_chebyshev_gradients_are_the_identities_in_pytorchs_values(n):
    torch = pytest.importorskip("torch")
    x = tg.Tensor(X, requires_grad=True)
    t = torch.tensor(X)
    # T(n)' = n U(n - 1); H(n)' = 2n H(n - 1); He(n)' = n He(n - 1); shifted T: 2n U(n - 1)
    for name, other, factor, of in (
            ("chebyshev_polynomial_t", "chebyshev_polynomial_u", n, t),
            ("hermite_polynomial_h", "hermite_polynomial_h", 2 * n, t),
            ("hermite_polynomial_he", "hermite_polynomial_he", n, t),
            ("shifted_chebyshev_polynomial_t", "chebyshev_polynomial_u", 2 * n, 2 * t - 1)):
        x.grad = None
        getattr(S, name)(x, n).sum().backward()
        _close(x.grad.data, factor * getattr(torch.special, other)(of, n - 1).numpy(), 1e-10)


@pytest.mark.parametrize("n", [3, [0.0, 1.0, 3.0], [[2.0], [2.0]]])
def test_the_diagram_shows_no_placeholder_nan_and_no_unnamed_input(n):
    # entries yet to be filled start as 0, not NaN (drawn in red as "NaN in data"); one
    # degree for every entry is the last step itself; the start values are named
    x = tg.Tensor([[0.2], [0.7]], requires_grad=True)
    out = S.legendre_polynomial_p(x, n if isinstance(n, int) else tg.Tensor(n))
    source = html.unescape(tg.draw_graph(out.sum(), max_nodes=None).source)
    assert "NaN" not in source and not re.findall(r"<I>input</I>", source)
    assert (out.grad_fn.name == "where") == (n == [0.0, 1.0, 3.0])


def test_no_gradient_flows_to_n():
    x = tg.Tensor([0.3, 0.7], requires_grad=True)
    n = tg.Tensor([2.0, 3.0], requires_grad=True)
    S.legendre_polynomial_p(x, n).sum().backward()
    assert n.grad is None and x.grad is not None


# Edges

@pytest.mark.parametrize("name", POLYNOMIALS)
def test_negative_and_zero_degrees_give_0_and_1_with_gradient_0(name):
    x = tg.Tensor([-INF, -2.0, 0.5, 3.0, INF], requires_grad=True)
    for n, value in ((-1, 0.0), (-7, 0.0), (0, 1.0), (-0.5, 1.0)):
        x.grad = None
        out = getattr(S, name)(x, n)
        np.testing.assert_array_equal(out.data, np.full(5, value))
        out.sum().backward()
        np.testing.assert_array_equal(x.grad.data, np.zeros(5))


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_nan_input_and_nan_or_infinite_degree_give_nan(name):
    out = getattr(S, name)(tg.Tensor([NAN, 0.5, 0.5, 0.5]), tg.Tensor([2.0, NAN, INF, 1.0]))
    assert np.isnan(out.data[:3]).all() and np.isfinite(out.data[3])


def test_values_at_plus_minus_1_are_exact():
    n = np.arange(0, 40)
    one, minus = tg.Tensor(np.ones(40)), tg.Tensor(-np.ones(40))
    np.testing.assert_array_equal(S.chebyshev_polynomial_t(minus, tg.Tensor(n)).data,
                                  (-1.0) ** n)
    np.testing.assert_array_equal(S.chebyshev_polynomial_u(one, tg.Tensor(n)).data, n + 1.0)
    np.testing.assert_array_equal(S.chebyshev_polynomial_w(one, tg.Tensor(n)).data, 2 * n + 1.0)
    np.testing.assert_array_equal(S.legendre_polynomial_p(one, tg.Tensor(n)).data, np.ones(40))
    np.testing.assert_array_equal(S.legendre_polynomial_p(minus, tg.Tensor(n)).data,
                                  (-1.0) ** n)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_infinite_input_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    x = np.array([INF, -INF])
    for n in (1, 2, 3, 6):
        np.testing.assert_array_equal(getattr(S, name)(tg.Tensor(x), n).data,
                                      getattr(torch.special, name)(torch.tensor(x), n).numpy())


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_dtypes_empty_and_numbers_as_pytorchs(name):
    f = getattr(S, name)
    x32 = tg.Tensor(np.array([0.25, 0.5], dtype=np.float32), requires_grad=True)
    out = f(x32, 3)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x32.grad.dtype == np.float32
    _close(out.data, f(tg.Tensor([0.25, 0.5]), 3).data, rtol=1e-5)
    assert f(x32, tg.Tensor([3, 4], dtype=np.int64)).dtype == np.float32  # (integer n)
    assert f(x32, tg.Tensor([3.0, 4.0])).dtype == np.float64  # (a float64 tensor n)
    assert f(tg.Tensor([1, 2], dtype=np.int64), 2).dtype == np.float64  # (the default float)
    assert f(tg.Tensor(np.zeros((0, 3))), 4).shape == (0, 3)
    assert f(0.5, tg.Tensor([1.0, 2.0])).shape == (2,)


def test_fifty_steps_are_quick_and_accurate():
    x = tg.Tensor(np.linspace(-1, 1, 201), requires_grad=True)
    out = S.legendre_polynomial_p(x, 50)
    out.sum().backward()
    _close(out.data, legendre.Legendre.basis(50)(x.data), rtol=1e-12)
    _close(x.grad.data, legendre.Legendre.basis(50).deriv()(x.data), rtol=1e-10)


@pytest.mark.parametrize("call, error, message", [
    (lambda: S.chebyshev_polynomial_t(tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 2.0, 3.0])),
     ValueError, r"^chebyshev_polynomial_t: shapes \(2,\), \(3,\) do not broadcast"),
    (lambda: S.legendre_polynomial_p(tg.Tensor([1.0]), "2"), TypeError,
     r"^legendre_polynomial_p: n \(the degree\) must be a number or a tensor of real"),
    (lambda: S.hermite_polynomial_h("x", 2), TypeError,
     r"^hermite_polynomial_h: input must be a Tensor, got str 'x'; pass a tensor of "),
    (lambda: S.hermite_polynomial_he([[1.0, 2.0], [3.0]], 2), ValueError,
     r"^hermite_polynomial_he: input: the data is a ragged nested list"),
    (lambda: S.laguerre_polynomial_l(tg.Tensor([1.0]), None), TypeError,
     r"^laguerre_polynomial_l: n \(the degree\) must be .* got NoneType"),
])
def test_polynomials_refuse_bad_input_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call()


# The incomplete gamma functions

def _mpmath_reference(a: np.ndarray, x: np.ndarray, upper: bool) -> np.ndarray:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    bounds = (lambda v: (v, mpmath.inf)) if upper else (lambda v: (0, v))
    return np.array([float(mpmath.gammainc(mpmath.mpf(float(s)), *bounds(mpmath.mpf(float(v))),
                                           regularized=True)) for s, v in zip(a, x)])


def _poisson_terms(ks, v: float) -> list[float]:
    """e**-v v**k / Gamma(k + 1) for each k (1 for k = 0 at v = 0)."""
    return [math.exp(k * math.log(v) - v - math.lgamma(k + 1)) if v else float(k == 0)
            for k in ks]


def _closed_form(a: float, x: np.ndarray, upper: bool) -> np.ndarray:
    """Q for a whole or half-whole a: e**-x times the first terms of e**x's series (of
    k = a - 1, a - 2, ... down to 0 or 1/2), plus erfc(sqrt(x)) for a half-whole a; P as
    the rest of the series, e**-x times the sum of x**(a + k) / Gamma(a + k + 1) over k >= 0
    (not 1 - Q, which would lose P's digits where it is small)."""
    whole = float(a).is_integer()
    if not upper:
        return np.array([math.fsum(_poisson_terms([a + k for k in range(int(v) + 60)], v))
                         for v in np.ravel(x)]).reshape(np.shape(x))
    ks = range(int(a)) if whole else [k + 0.5 for k in range(int(a))]
    return np.array([math.fsum(_poisson_terms(ks, v) + ([] if whole else [math.erfc(
        math.sqrt(v))])) for v in np.ravel(x)]).reshape(np.shape(x))


def _sample(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """a log-uniform in [1e-3, 1e3]; x log-uniform in [1e-4, 1e4], near a, near a + 1
    (where the series meets the continued fraction) and in [0, 2.5] (small a's region)."""
    rng = np.random.default_rng(seed)
    a = 10 ** rng.uniform(-3, 3, size)
    q = size // 4
    x = np.abs(np.concatenate([10 ** rng.uniform(-4, 4, q), a[q:2 * q] * rng.normal(1, 0.1, q),
                               a[2 * q:3 * q] + 1 + rng.normal(0, 0.5, q),
                               rng.uniform(0, 2.5, size - 3 * q)]))
    return a, x


@pytest.mark.parametrize("upper", [False, True])
def test_gammainc_matches_mpmath_to_1e13_relatively(upper):
    a, x = _sample(240, seed=7 + upper)
    ours = (S.gammaincc if upper else S.gammainc)(tg.Tensor(a), tg.Tensor(x)).data
    expected = _mpmath_reference(a, x, upper)
    moderate = expected > 1e-100  # (below, e**-x x**a's exponent is rounded: 3e-13)
    np.testing.assert_allclose(ours[moderate], expected[moderate], rtol=1.5e-13, atol=0)
    normal = expected > 1e-300
    np.testing.assert_allclose(ours[normal], expected[normal], rtol=3e-13, atol=0)
    np.testing.assert_array_equal(ours[expected == 0], 0.0)


def test_gammainc_matches_the_closed_forms_and_p_plus_q_is_1():
    x = np.array([0.0, 1e-8, 0.3, 1.0, 2.5, 7.0, 30.0])
    for a in (0.5, 1.0, 1.5, 3.0, 4.5, 12.0):
        p, q = tg.igamma(a, tg.Tensor(x)).data, tg.igammac(a, tg.Tensor(x)).data
        np.testing.assert_allclose(p, _closed_form(a, x, False), rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(q, _closed_form(a, x, True), rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(p + q, 1.0, rtol=1e-15)


@pytest.mark.parametrize("upper", [False, True])
def test_gammainc_and_its_gradient_match_pytorch(upper):
    torch = pytest.importorskip("torch")
    a, x = _sample(200, seed=3)
    a, x = a[x > 0], x[x > 0]
    ours_x = tg.Tensor(x, requires_grad=True)
    name = "gammaincc" if upper else "gammainc"
    out = getattr(S, name)(tg.Tensor(a), ours_x)
    out.sum().backward()
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = getattr(torch.special, name)(torch.tensor(a), theirs_x)
    theirs.sum().backward()
    # (PyTorch's are accurate to 1e-9 only, for a > 20 near x = a: its asymptotic series)
    np.testing.assert_allclose(out.data, theirs.detach().numpy(), rtol=2e-9, atol=1e-300)
    np.testing.assert_allclose(ours_x.grad.data, theirs_x.grad.numpy(), rtol=1e-10, atol=1e-300)
    small = a < 20
    np.testing.assert_allclose(out.data[small], theirs.detach().numpy()[small], rtol=1e-12,
                               atol=1e-300)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_gradcheck_for_x_broadcast_against_a(name):
    a = tg.Tensor(np.array([[0.3], [1.0], [2.5], [40.0]]))
    x = tg.Tensor(np.array([0.2, 0.9, 3.0, 38.0, 45.0]), requires_grad=True)
    assert tg.gradcheck(lambda t: getattr(S, name)(a, t), [x])


def test_gammainc_spellings_are_one_op():
    a, x = tg.Tensor([0.7, 3.0]), tg.Tensor([0.5, 4.0])
    p = tg.igamma(a, x).data
    for other in (S.gammainc(a, x), a.igamma(x), S.gammainc(input=a, other=x)):
        np.testing.assert_array_equal(other.data, p)
    q = tg.igammac(a, x).data
    np.testing.assert_array_equal(S.gammaincc(a, x).data, q)
    np.testing.assert_array_equal(a.igammac(x).data, q)


EDGES_A = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 2.0, -1.0, 1.0, INF, INF, INF, NAN, 1.0, 2.0, -0.0])
EDGES_X = np.array([0.0, 1.0, INF, 0.0, INF, -0.0, 1.0, -1.0, 1.0, INF, 0.0, 1.0, NAN, 1e-300,
                    1.0])


def test_gammainc_edges():
    p = tg.igamma(tg.Tensor(EDGES_A), tg.Tensor(EDGES_X)).data
    q = tg.igammac(tg.Tensor(EDGES_A), tg.Tensor(EDGES_X)).data
    expected = np.array([NAN, 1, 1, 0, 1, 0, NAN, NAN, 0, NAN, 0, NAN, NAN, 0, 1])
    np.testing.assert_array_equal(p, expected)
    np.testing.assert_array_equal(q, np.where(np.isnan(expected), NAN, 1 - expected))


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_edges_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    ours = getattr(S, name)(tg.Tensor(EDGES_A), tg.Tensor(EDGES_X)).data
    theirs = getattr(torch.special, name)(torch.tensor(EDGES_A), torch.tensor(EDGES_X)).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_gammainc_of_nan_is_nan_where_pytorchs_edges_come_first():
    torch = pytest.importorskip("torch")
    a, x = np.array([NAN, NAN, INF]), np.array([0.0, INF, NAN])
    for name in ("gammainc", "gammaincc"):
        assert np.isnan(getattr(S, name)(tg.Tensor(a), tg.Tensor(x)).data).all()
        theirs = getattr(torch.special, name)(torch.tensor(a), torch.tensor(x)).numpy()
        assert not np.isnan(theirs).any()  # (0 or 1: the documented difference)


def test_gammainc_gradient_edges_are_the_limits():
    # x = 0: inf for a < 1, 1 for a = 1 (PyTorch: NaN, 0 * ln 0), 0 above; at x = inf and
    # a = inf 0 (PyTorch: NaN); a = 0 (P = 1 for x > 0): 0; NaN where P is NaN
    a = np.array([0.5, 1.0, 2.0, 2.0, INF, 0.0, -1.0, 1.0])
    x = tg.Tensor([0.0, 0.0, 0.0, INF, 3.0, 2.0, 1.0, NAN], requires_grad=True)
    tg.igamma(tg.Tensor(a), x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [INF, 1, 0, 0, 0, 0, NAN, NAN])
    x.grad = None
    tg.igammac(tg.Tensor(a), x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-INF, -1, 0, 0, 0, 0, NAN, NAN])


def test_gammainc_gradient_where_x_to_the_a_underflows():
    # dP/dx = x**(a - 1) e**-x / Gamma(a) formed as such, not as x**a / x: x**a underflows
    # (to 0 or a subnormal of few digits) where the density is a normal float
    a = np.array([1.5, 3.0, 10.0, 0.99, 2.0, 1 - 1e-12])
    x = np.array([1e-310, 1e-150, 1e-33, 1e-322, 1e-160, 5e-324])
    expected = [v ** (s - 1) / math.gamma(s) for s, v in zip(a, x)]
    for op, sign in ((tg.igamma, 1), (tg.igammac, -1)):
        t = tg.Tensor(x, requires_grad=True)
        op(tg.Tensor(a), t).sum().backward()
        np.testing.assert_allclose(t.grad.data, sign * np.array(expected), rtol=1e-13)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_refuses_a_gradient_for_a_as_pytorch_does(name):
    a = tg.Tensor([2.0], requires_grad=True)
    out = getattr(S, name)(a, tg.Tensor([1.5]))
    with pytest.raises(RuntimeError, match=rf"^igammac? \(special\.{name}\): the derivative "
                                           r"with respect to a .* only x \(other\) gets"):
        out.sum().backward()


def test_pytorch_refuses_a_gradient_for_a_too():
    torch = pytest.importorskip("torch")
    a = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="igamma"):
        torch.special.gammainc(a, torch.tensor([1.5], dtype=torch.float64)).backward()


def test_gammainc_dtypes_and_empty():
    a32, x32 = np.array([0.5, 3.0], dtype=np.float32), np.array([0.2, 2.0], dtype=np.float32)
    x = tg.Tensor(x32, requires_grad=True)
    out = tg.igamma(tg.Tensor(a32), x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(out.data, tg.igamma(a32.astype(np.float64), x32.astype(
        np.float64)).data, rtol=1e-6)
    ints = tg.Tensor([2, 3], dtype=np.int64), tg.Tensor([1, 2], dtype=np.int64)
    assert tg.igamma(*ints).dtype == np.float64  # (PyTorch refuses integers; as hypot here)
    assert tg.igammac(tg.Tensor(np.zeros((0, 2))), tg.Tensor(np.zeros((3, 1, 2)))).shape == \
        (3, 0, 2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: tg.igamma(tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 2.0, 3.0])), ValueError,
     r"^igamma: shapes \(2,\), \(3,\) do not broadcast"),
    (lambda: S.gammaincc(tg.Tensor([1.0]), "x"), TypeError, r"^gammaincc: expected numeric"),
    (lambda: S.gammainc(tg.Tensor([1.0])), TypeError, r"^gammainc: missing 1 required"),
])
def test_gammainc_refuses_bad_input_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call()


# test_ops.py's drawer: x in [0.05, 6] for an a with a closed form

def incomplete_gamma_spec(name: str):
    """test_ops.py's drawer for igamma or igammac: a (a number) drawn from whole and
    half-whole values, x the op's one differentiable input."""
    upper = name == "igammac"

    def draw(data):
        a = data.draw(st.sampled_from([0.5, 1.0, 2.5, 4.0]))
        x = data.draw(testing.tensors(min_value=0.05, max_value=6, avoid=())).data
        return (lambda t: (tg.igammac if upper else tg.igamma)(a, t), [x],
                lambda v: _closed_form(a, v, upper))
    return draw

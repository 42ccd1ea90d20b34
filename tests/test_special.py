"""tg.special and the special-function ops (ops/special.py, ops/gamma.py): values and
gradients against PyTorch 2.13 on wide ranges, gradcheck in float64, the edges (poles, 0,
+-inf, NaN), float32 kept, empty tensors, and the bad-input errors.

Without torch: references written here (direct sums, bisection on math.erf) and identities
(recurrences, reflections, inverses). `special_spec` lends the references to test_ops.py's
table; `torch_digamma` and `torch_polygamma` lend test_fuzz.py torch counterparts with
accurate gradients (PyTorch's trigamma, digamma's gradient, is accurate to 5e-10 only).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import strategies as st

import tinygrad_gd as tg
from tinygrad_gd import testing

RNG = np.random.default_rng(20240613)
INF, NAN = np.inf, np.nan


# References without torch
def _vectorized(fn):
    return lambda *arrays: np.vectorize(fn, otypes=[np.float64])(*arrays)


def _zeta_sum(s: float, q: float, terms: int = 64) -> float:
    """sum of (q + k)**-s, q > 0: 64 terms and Euler-Maclaurin's first terms after them."""
    w = q + terms
    tail = (w ** (1 - s) / (s - 1) + w ** -s / 2 + s * w ** (-s - 1) / 12
            - s * (s + 1) * (s + 2) * w ** (-s - 3) / 720
            + s * (s + 1) * (s + 2) * (s + 3) * (s + 4) * w ** (-s - 5) / 30240)
    return math.fsum([(q + k) ** -s for k in range(terms)] + [tail])


def _digamma_sum(x: float, terms: int = 64) -> float:
    """digamma(x), x > 0: psi(x + 64) by its asymptotic series, less 1/(x + k), k < 64."""
    w = x + terms
    tail = math.log(w) - 1 / (2 * w) - 1 / (12 * w ** 2) + 1 / (120 * w ** 4) \
        - 1 / (252 * w ** 6) + 1 / (240 * w ** 8)
    return math.fsum([tail] + [-1 / (x + k) for k in range(terms)])


def _polygamma_sum(n: int, x: float) -> float:
    return _digamma_sum(x) if n == 0 else \
        (-1) ** (n + 1) * math.factorial(n) * _zeta_sum(n + 1, x)


def _bisect(fn, target: float, low: float, high: float) -> float:
    """The z in [low, high] where the increasing fn(z) crosses target."""
    while True:
        middle = (low + high) / 2
        if middle in (low, high):
            return middle
        low, high = (middle, high) if fn(middle) < target else (low, middle)


def _i1_series(x: float) -> float:
    return x / 2 * math.fsum((x * x / 4) ** k / (math.factorial(k) * math.factorial(k + 1))
                             for k in range(60))


REFERENCES = {
    "erf": _vectorized(math.erf),
    "erfc": _vectorized(math.erfc),
    "erfinv": _vectorized(lambda y: _bisect(math.erf, y, -6.0, 6.0)),
    "erfcx": _vectorized(lambda x: math.exp(x * x) * math.erfc(x)),
    "ndtr": _vectorized(lambda x: math.erfc(-x / math.sqrt(2)) / 2),
    "ndtri": _vectorized(lambda p: _bisect(lambda z: math.erfc(-z / math.sqrt(2)) / 2, p,
                                           -40.0, 40.0)),
    "log_ndtr": _vectorized(lambda x: math.log1p(-math.erfc(x / math.sqrt(2)) / 2) if x > 0
                            else math.log(math.erfc(-x / math.sqrt(2)) / 2)),
    "i0": np.i0,
    "i0e": lambda a: np.i0(a) * np.exp(-np.abs(a)),
    "i1": _vectorized(_i1_series),
    "i1e": _vectorized(lambda x: _i1_series(x) * math.exp(-abs(x))),
    "entr": _vectorized(lambda x: -x * math.log(x)),
    "xlog1py": _vectorized(lambda x, y: x * math.log1p(y)),
    "lgamma": _vectorized(math.lgamma),
    "digamma": _vectorized(_digamma_sum),
}


def _reference_polygamma(n: int):
    return _vectorized(lambda x: _polygamma_sum(n, x))


def _reference_mvlgamma(p: int):
    return _vectorized(lambda x: math.fsum([math.lgamma(x - i / 2) for i in range(p)]
                                           + [p * (p - 1) / 4 * math.log(math.pi)]))


# test_ops.py's table: a drawer per op, (fn, input arrays, reference)


def _unary(fn, name, **options):
    def draw(data):
        return fn, [data.draw(testing.tensors(**options)).data], REFERENCES[name]
    return draw


def _parametrized(parameter, build, **options):
    """A drawer for an op with a parameter: `build(value)` gives its fn and reference."""
    def draw(data):
        fn, reference = build(data.draw(parameter))
        return fn, [data.draw(testing.tensors(**options)).data], reference
    return draw


def _xlog1py_spec(data):
    x, y = data.draw(testing.broadcastable_tensors(2, min_value=-0.5, max_value=2, avoid=()))
    return tg.special.xlog1py, [x.data, y.data], REFERENCES["xlog1py"]


_SPECS = {
    "erf": _unary(tg.erf, "erf", min_value=-3, max_value=3, avoid=()),
    "erfc": _unary(tg.erfc, "erfc", min_value=-3, max_value=3, avoid=()),
    "erfinv": _unary(tg.erfinv, "erfinv", min_value=-0.9, max_value=0.9, avoid=()),
    "erfcx": _unary(tg.special.erfcx, "erfcx", min_value=-2, max_value=2.9, avoid=()),
    "ndtri": _unary(tg.special.ndtri, "ndtri", min_value=0.05, max_value=0.95, avoid=(0.5,)),
    "log_ndtr": _unary(tg.special.log_ndtr, "log_ndtr", min_value=-5, max_value=5, avoid=()),
    "i0": _unary(tg.i0, "i0", min_value=-5, max_value=5, avoid=()),
    "i0e": _unary(tg.special.i0e, "i0e", min_value=-5, max_value=5, avoid=(0.0,)),  # (|x|)
    "i1": _unary(tg.special.i1, "i1", min_value=-5, max_value=5, avoid=()),
    "i1e": _unary(tg.special.i1e, "i1e", min_value=-5, max_value=5, avoid=(0.0,)),
    "entr": _unary(tg.special.entr, "entr", min_value=0.1, max_value=3, avoid=(1.0,)),
    "xlog1py": _xlog1py_spec,
    "lgamma": _unary(tg.lgamma, "lgamma", min_value=0.2, max_value=6, avoid=(1.0, 2.0)),
    # (digamma's root, 1.4616, kept away: the values compared relatively)
    "digamma": _unary(tg.digamma, "digamma", min_value=0.2, max_value=6, avoid=(1.4616,),
                      margin=0.2),
    "polygamma": _parametrized(st.integers(0, 3), lambda n: (
        lambda t: tg.polygamma(n, t), _reference_polygamma(n)), min_value=0.3, max_value=5,
        avoid=(1.4616,), margin=0.2),
    "mvlgamma": _parametrized(st.integers(1, 3), lambda p: (
        lambda t: t.mvlgamma(p), _reference_mvlgamma(p)), min_value=1.7, max_value=6,
        avoid=(2.0,)),  # (lgamma's roots at 1 and 2: the values compared relatively)
    "zeta": _parametrized(st.sampled_from([1.5, 2.0, 3.5]), lambda s: (
        lambda q: tg.special.zeta(s, q), _vectorized(lambda v: _zeta_sum(s, v))),
        min_value=0.3, max_value=5, avoid=()),
}


def special_spec(name: str):
    """test_ops.py's drawer for op `name` (its inputs inside the op's domain, away from
    the roots where a relative comparison means nothing)."""
    return _SPECS[name]


# test_fuzz.py's PyTorch counterparts


def torch_digamma(torch, x):
    """torch.digamma with the gradient zeta(2, x) (torch's special.zeta, accurate), not
    torch's trigamma (a short series, accurate to about 5e-10)."""
    slope = torch.special.zeta(torch.full_like(x, 2.0), x.detach())
    return torch.digamma(x.detach()) + (x - x.detach()) * slope


def torch_polygamma(torch, x, n: int):
    """torch.polygamma(n, x), for n >= 1 as (-1)**(n + 1) n! zeta(n + 1, x), whose values
    and gradients torch gives to float64 (its polygamma(1, x) is trigamma's series)."""
    if n == 0:
        return torch_digamma(torch, x)
    return (-1) ** (n + 1) * math.factorial(n) * torch.special.zeta(
        torch.full_like(x, n + 1.0), x)


# Against PyTorch on wide ranges
def _logs(*args) -> np.ndarray:
    """10**uniform(low, high, n), from RNG or from the generator given first."""
    rng, (low, high, n) = (args[0], args[1:]) if len(args) == 4 else (RNG, args)
    return 10 ** rng.uniform(low, high, n)


def _both_signs(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a, -a])


_NEGATIVE = np.array([v for v in RNG.uniform(-20, -0.05, 40) if abs(v - round(v)) > 0.05])
_POSITIVE = np.concatenate([_logs(-300, 300, 40), RNG.uniform(0, 20, 40)])
_ROOTS = (1.4616321449683622, -0.5040830082644554, -1.5734984731623904, -2.6107208684441446)

# name: (ours, torch's as text, inputs, value rtol, gradient rtol); the loss is
# (out * weights).sum(). Where the rtol is above 1e-12, the reason is beside it.
TORCH_CASES = {
    "erf": (tg.erf, "torch.erf", _both_signs(np.concatenate([RNG.uniform(0, 6, 40),
                                                            _logs(-300, 1, 20), [27, 1e300]])),
            1e-14, 1e-14),
    "erfc": (tg.erfc, "torch.erfc", _both_signs(np.concatenate([RNG.uniform(0, 27, 40),
                                                               _logs(-300, 1, 20)])), 1e-14, 1e-14),
    # (the gradient e**(out**2): out's last bit, magnified by out**2 near +-1)
    "erfinv": (tg.erfinv, "torch.erfinv", _both_signs(np.concatenate(
        [RNG.uniform(0, 1, 40), 1 - _logs(-16, -1, 20), _logs(-300, -1, 20)])), 1e-14, 1e-13),
    # (near its roots compared absolutely here; test_special_audit.py: relatively)
    "lgamma": (tg.lgamma, "torch.lgamma", np.concatenate([_POSITIVE, _NEGATIVE]), 1e-12, 1e-12),
    # (the gradient: PyTorch's trigamma is a short series, off by up to 5e-10)
    "digamma": (tg.digamma, "torch.digamma", np.concatenate([_POSITIVE, _NEGATIVE]), 1e-12, 1e-9),
    "polygamma(1, x)": (lambda x: tg.polygamma(1, x), "lambda x: torch.polygamma(1, x)",
                        np.concatenate([_logs(-3, 5, 40), _NEGATIVE]), 1e-9, 1e-13),
    "polygamma(3, x)": (lambda x: x.polygamma(3), "lambda x: x.polygamma(3)",
                        np.concatenate([_logs(-3, 5, 40), _NEGATIVE]), 1e-13, 1e-13),
    "mvlgamma(x, 3)": (lambda x: x.mvlgamma(3), "lambda x: x.mvlgamma(3)", 1 + _logs(-3, 3, 40),
                       1e-12, 1e-12),
    "i0": (tg.i0, "torch.i0", _both_signs(np.concatenate([RNG.uniform(0, 100, 40), [700, 1e-300]])),
           1e-14, 1e-14),
    # (the gradients i1e - sign(x) i0e and i0e - i1e (sign(x) + 1/x) cancel by |x|)
    "i0e": (tg.special.i0e, "torch.special.i0e", _both_signs(np.concatenate(
        [RNG.uniform(0, 100, 40), _logs(2, 300, 10)])), 1e-14, 1e-12),
    "i1": (tg.special.i1, "torch.special.i1", _both_signs(np.concatenate(
        [RNG.uniform(0, 100, 40), [700, 1e-300]])), 1e-14, 1e-14),
    "i1e": (tg.special.i1e, "torch.special.i1e", _both_signs(np.concatenate(
        [RNG.uniform(0, 100, 40), _logs(2, 300, 10), [1e-300]])), 1e-14, 1e-11),
    # (PyTorch's ndtr is (1 + erf(x / sqrt(2))) / 2, which cancels below 0: see below)
    "ndtr": (tg.special.ndtr, "torch.special.ndtr", np.concatenate(
        [RNG.uniform(-1, 40, 40), _logs(-300, 300, 10)]), 1e-13, 1e-14),
    # (the gradient e**(out**2 / 2): out's last bit, magnified by out**2 in the tails)
    "ndtri": (tg.special.ndtri, "torch.special.ndtri", np.concatenate(
        [_logs(-300, -1, 30), RNG.uniform(0, 1, 30), 1 - _logs(-16, -1, 20)]), 1e-14, 1e-12),
    # (PyTorch's gradient e**-(log_ndtr(x) + x**2 / 2) loses x**2 / 2's rounding below -40)
    "log_ndtr": (tg.special.log_ndtr, "torch.special.log_ndtr", np.concatenate(
        [RNG.uniform(-40, 10, 40), _logs(-300, 300, 10)]), 1e-14, 1e-12),
    "entr": (tg.special.entr, "torch.special.entr", np.concatenate([_logs(-300, 300, 40)]),
             1e-14, 1e-14),
    # (below 0 PyTorch's e**(x**2) takes x**2 rounded, 5e-14 off; above 3 its gradient cancels)
    "erfcx": (tg.special.erfcx, "torch.special.erfcx", np.concatenate(
        [RNG.uniform(-26, 30, 40), _logs(-300, 300, 20), -_logs(-300, 1.4, 20)]), 1e-13, None),
    "erfcx below 3": (tg.special.erfcx, "torch.special.erfcx", np.concatenate(
        [RNG.uniform(-26, 3, 40), -_logs(-300, 1.4, 20)]), 1e-13, 1e-12),
    "zeta(2, q)": (lambda q: tg.special.zeta(2.0, q), "lambda q: torch.special.zeta(2.0, q)",
                   np.concatenate([_logs(-3, 5, 40), _NEGATIVE]), 1e-13, 1e-13),
    "zeta(3.5, q)": (lambda q: tg.special.zeta(3.5, q), "lambda q: torch.special.zeta(3.5, q)",
                     _logs(-3, 5, 40), 1e-13, 1e-13),
}


def _near_roots(x: np.ndarray) -> np.ndarray:
    return np.min([np.abs(x - r) for r in _ROOTS + (1.0, 2.0)], axis=0) < 0.05


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_values_and_gradients_agree_with_pytorch(case):
    torch = pytest.importorskip("torch")
    ours, theirs, inputs, value_rtol, grad_rtol = TORCH_CASES[case]
    weights = np.random.default_rng(1).uniform(0.5, 1.5, inputs.shape)
    x = tg.Tensor(inputs, requires_grad=True)
    out = ours(x)
    out.backward(weights)
    t = torch.tensor(inputs, requires_grad=True)
    expected = eval(theirs, {"torch": torch})(t)  # noqa: S307  (our own table)
    expected.backward(torch.tensor(weights))
    near = _near_roots(inputs)  # (a value near 0: compared absolutely)
    np.testing.assert_allclose(out.data[~near], expected.detach().numpy()[~near], rtol=value_rtol)
    np.testing.assert_allclose(out.data[near], expected.detach().numpy()[near], atol=1e-14)
    if grad_rtol is not None:
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=grad_rtol)


@pytest.mark.torch
def test_float32_is_kept_and_agrees_with_pytorchs_float32():
    torch = pytest.importorskip("torch")
    x = np.linspace(0.1, 0.9, 9)
    for name in ("erf", "erfinv", "gammaln", "digamma", "i0", "i1e", "ndtri", "log_ndtr",
                 "erfcx", "entr", "zeta"):
        ours, theirs = getattr(tg.special, name), getattr(torch.special, name)
        if name == "zeta":  # (of q, x = 3)
            ours, theirs = (lambda v: tg.special.zeta(3.0, v)), \
                (lambda v: torch.special.zeta(3.0, v))
        a = tg.Tensor(x, dtype=np.float32, requires_grad=True)
        out = ours(a)
        out.sum().backward()
        t = torch.tensor(x, dtype=torch.float32, requires_grad=True)
        expected = theirs(t)
        expected.sum().backward()
        assert out.dtype == np.float32 and a.grad.dtype == np.float32
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=2e-5, atol=1e-7)


EDGE_CASES = {  # ours, torch's as text, inputs: PyTorch's values and gradients (test_edges.py
    # has the poles of lgamma, digamma, polygamma and zeta, erfinv at +-1, i0e and i1 at 0)
    "lgamma at its poles and infinities": (tg.lgamma, "torch.lgamma",
                                           [0.0, -0.0, -1.0, -3.0, INF, -INF, NAN]),
    "digamma at 0, -0.0, inf": (tg.digamma, "torch.digamma", [0.0, -0.0, INF, NAN]),
    "digamma's value at the negative integers and -inf": (
        lambda x: tg.digamma(x.detach()), "lambda x: torch.digamma(x.detach())", [-1.0, -INF]),
    "polygamma(1) at 0 and -0.0": (lambda x: tg.polygamma(1, x),
                                   "lambda x: torch.polygamma(1, x)", [0.0, -0.0]),
    "erf, erfc and erfinv at their ends": (
        lambda x: tg.erf(x) + tg.erfc(x) + tg.erfinv(tg.tanh(x)),
        "lambda x: torch.erf(x) + torch.erfc(x) + torch.erfinv(torch.tanh(x))", [INF, -INF]),
    "erfinv at +-1 and beyond": (tg.erfinv, "torch.erfinv", [1.0, -1.0, 1.5, NAN]),
    "ndtri at 0, 1 and beyond": (tg.special.ndtri, "torch.special.ndtri", [0.0, 1.0, -0.5, 2.0]),
    "log_ndtr at +-inf": (lambda x: tg.special.log_ndtr(x.detach()),
                          "lambda x: torch.special.log_ndtr(x.detach())", [INF, -INF]),
    "entr at 0, below and inf": (tg.special.entr, "torch.special.entr", [0.0, -0.0, -1.0, INF]),
    "erfcx at +-inf": (lambda x: tg.special.erfcx(x.detach()),
                       "lambda x: torch.special.erfcx(x.detach())", [INF, -INF, -30.0]),
    "i0e, i1 and i1e at 0, the least float and +-inf": (  # (i1(x) / x rounds away near 0)
        lambda x: tg.special.i0e(x) + tg.special.i1e(x) + tg.special.i1(x.clip(-1e-9, 1e-9)),
        "lambda x: torch.special.i0e(x) + torch.special.i1e(x) + torch.special.i1(x.clamp(-1e-9, "
        "1e-9))",
        [0.0, -0.0, 5e-324, -1e-310, INF, -INF]),
    "zeta's value at x = 1, below 1 and for q < 0 with x not whole": (
        lambda x: tg.special.zeta(x.detach(), tg.Tensor([2.0, 2.0, -1.5])),
        "lambda x: torch.special.zeta(x.detach(), torch.tensor([2.0, 2.0, -1.5], "
        "dtype=torch.float64))", [1.0, 0.5, 2.5]),
    "mvlgamma at a pole": (lambda x: x.mvlgamma(2), "lambda x: x.mvlgamma(2)", [0.5]),
    "xlog1py's conventions at x = 0, NaN and inf": (  # (x: the first 5 entries, y the rest)
        lambda v: tg.special.xlog1py(v[:5], v[5:]), "lambda v: torch.special.xlog1py(v[:5], v[5:])",
        [0.0, 0.0, 1.0, 2.0, NAN, 0.0, -1.0, -1.0, INF, 1.0]),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edges_agree_with_pytorch(case):
    torch = pytest.importorskip("torch")
    ours, theirs, inputs = EDGE_CASES[case]
    x = tg.Tensor(inputs, requires_grad=True)
    t = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ours(x)
        expected = eval(theirs, {"torch": torch})(t)  # noqa: S307  (our own table)
        if out.requires_grad:
            out.sum().backward()
            expected.sum().backward()
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    if out.requires_grad:
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12)


@pytest.mark.torch
def test_zeta_refuses_the_gradient_for_x_as_pytorch_does():
    torch = pytest.importorskip("torch")
    for library, message in ((torch, "zeta"), (tg, r"^zeta: the derivative with respect to x")):
        x = library.tensor([3.0], dtype=library.float64, requires_grad=True)
        with pytest.raises(NotImplementedError, match=message):
            library.special.zeta(x, library.tensor([2.0], dtype=library.float64)).sum().backward()


# Where PyTorch's values are artefacts: the limits, each stated and checked without torch
def test_the_limits_where_pytorchs_algorithms_give_artefacts():
    with np.errstate(all="ignore"):
        assert tg.polygamma(1, tg.Tensor([-1.0, -3.0])).tolist() == [INF, INF]  # (a pole)
        assert tg.special.zeta(2.0, tg.Tensor([INF])).item() == 0.0
        assert tg.polygamma(2, tg.Tensor([INF])).item() == 0.0
        assert tg.special.zeta(INF, tg.Tensor([0.5, 1.0, 2.0])).tolist() == [INF, 1.0, 0.0]
        assert tg.i0(tg.Tensor([INF, -INF])).tolist() == [INF, INF]
        assert tg.special.i1(tg.Tensor([INF, -INF])).tolist() == [INF, -INF]
    x = tg.Tensor([-40.0, -1e8], requires_grad=True)
    tg.special.log_ndtr(x).sum().backward()
    # d/dx ln Phi(x) = phi(x) / Phi(x), about -x - 1/x far below 0
    np.testing.assert_allclose(x.grad.data, [40.0 + 1 / 40, 1e8], rtol=1e-3)
    assert 0 < tg.special.ndtr(-12.0).item() < 1e-32  # (PyTorch's 1 + erf(x / sqrt(2)): 0)


# Without torch: references, identities, gradcheck
def test_the_gamma_family_equals_its_sums():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(0.05, 30, 40), [1e-3, 0.5, 100.0]])
    x = x[np.abs(x - _ROOTS[0]) > 0.05]
    np.testing.assert_allclose(tg.digamma(x).data, REFERENCES["digamma"](x), rtol=1e-13)
    for n in (1, 2, 5):
        np.testing.assert_allclose(tg.polygamma(n, x).data, _reference_polygamma(n)(x), rtol=1e-13)
    for s in (1.01, 2.5, 7.0):
        expected = _vectorized(lambda q: _zeta_sum(s, q))(x)
        np.testing.assert_allclose(tg.special.zeta(s, x).data, expected, rtol=1e-13)
    y = x + 2
    np.testing.assert_allclose(tg.mvlgamma(y, 4).data, _reference_mvlgamma(4)(y), rtol=1e-13)


def test_identities_hold_far_out_and_below_0():
    rng = np.random.default_rng(4)
    x = np.concatenate([_logs(rng, -200, 200, 30), rng.uniform(-30, 30, 30)])
    x = x[np.abs(x - np.round(x)) > 1e-3]
    with np.errstate(all="ignore"):
        # psi(x + 1) = psi(x) + 1/x; psi(1 - x) - psi(x) = pi / tan(pi x)
        psi = tg.digamma(x).data
        np.testing.assert_allclose(tg.digamma(x + 1).data, psi + 1 / x, rtol=1e-12, atol=1e-13)
        near = np.abs(x) < 30
        np.testing.assert_allclose(tg.digamma(1 - x[near]).data - psi[near],
                                   np.pi / np.tan(np.pi * x[near]), rtol=1e-10, atol=1e-11)
    # zeta(s, q) - zeta(s, q + 1) = q**-s, below 0 too for a whole s (up to the rounding of
    # the two terms, which may be far larger than their difference)
    for s in (2.0, 3.0, 6.0):
        q = x[np.abs(x) < 30]
        first, second = tg.special.zeta(s, q).data, tg.special.zeta(s, q + 1).data
        assert np.all(np.abs(first - second - q ** -s) <=
                      1e-12 * (np.abs(first) + np.abs(second))), s
    assert tg.special.zeta(2.0, 1.0).item() == pytest.approx(math.pi ** 2 / 6, rel=1e-15)
    assert tg.polygamma(1, 0.5).item() == pytest.approx(math.pi ** 2 / 2, rel=1e-15)


def test_the_inverses_invert_to_the_last_bits_in_the_tails():
    rng = np.random.default_rng(5)
    y = np.concatenate([rng.uniform(-1, 1, 40), 1 - _logs(rng, -16, -1, 20),
                        _logs(rng, -300, -1, 10)])
    z = tg.erfinv(y).data
    tail = np.abs(y) > 0.5
    np.testing.assert_allclose(REFERENCES["erf"](z[~tail]), y[~tail], rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(REFERENCES["erfc"](np.abs(z[tail])), 1 - np.abs(y[tail]),
                               rtol=1e-14)
    p = np.concatenate([_logs(rng, -300, -1, 30), rng.uniform(0.1, 0.9, 10)])
    q = tg.special.ndtri(p).data
    # (ndtr's slope magnifies q's last bit by |q| = 35 or so)
    np.testing.assert_allclose(REFERENCES["ndtr"](q), p, rtol=1e-12)
    assert tg.special.ndtri(0.5).item() == 0.0 and tg.erfinv(0.0).item() == 0.0


def test_erfcx_and_log_ndtr_stay_finite_where_erfc_underflows():
    x = np.array([30.0, 1e5, 1e150])
    np.testing.assert_allclose(tg.special.erfcx(x).data, 1 / (np.sqrt(np.pi) * x),
                               rtol=1 / (2 * 30.0 ** 2) + 1e-15)
    value = tg.special.log_ndtr(-40.0).item()
    # ln Phi(x) = -x**2/2 - ln(-x sqrt(2 pi)) + ln(1 - 1/x**2 + 3/x**4 - ...)
    asymptotic = -800 - math.log(40 * math.sqrt(2 * math.pi)) + math.log1p(-1 / 1600 + 3 / 40 ** 4)
    assert math.isfinite(value) and value == pytest.approx(asymptotic, rel=1e-10)


GRADCHECK_CASES = {  # (test_ops.py gradchecks every op near 0; these go farther out)
    "erfcx's continued fraction": (tg.special.erfcx, (3, 8)), "ndtr": (tg.special.ndtr, (-4, 4)),
    "log_ndtr far below 0": (tg.special.log_ndtr, (-30, -2)),
    "i0e and i1e far out": (lambda x: tg.special.i0e(x) + tg.special.i1e(x), (8, 40)),
    "digamma below 0": (tg.digamma, (-2.8, -2.2)), "lgamma below 0": (tg.lgamma, (-3.8, -3.2)),
    "polygamma below 0": (lambda x: tg.polygamma(3, x), (-1.8, -1.2)),
}


@pytest.mark.parametrize("case", sorted(GRADCHECK_CASES))
def test_gradcheck_in_float64(case):
    rng = np.random.default_rng(6)
    fn, (low, high) = GRADCHECK_CASES[case]
    x = tg.Tensor(rng.uniform(low, high, (2, 3)), requires_grad=True)
    assert tg.gradcheck(fn, [x])


def test_gradcheck_of_the_binary_ops_broadcast():
    rng = np.random.default_rng(7)
    x = tg.Tensor(rng.uniform(-2, 2, (2, 1)), requires_grad=True)
    y = tg.Tensor(rng.uniform(-0.5, 3, (3,)), requires_grad=True)
    assert tg.gradcheck(tg.special.xlog1py, [x, y])
    q = tg.Tensor(rng.uniform(0.5, 3, (2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda q: tg.special.zeta(np.array([2.0, 3.5, 5.0]), q), [q])


# Names, dtypes, shapes, errors
def test_the_namespace_matches_torch_special():
    for name in tg.special.__all__:
        assert callable(getattr(tg.special, name)), name
    assert tg.special.logsumexp is tg.logsumexp
    for alias, name in (("gammaln", "lgamma"), ("psi", "digamma"), ("multigammaln", "mvlgamma"),
                        ("expit", "sigmoid")):
        assert getattr(tg.special, alias).op is getattr(tg, name).op
    x = tg.Tensor([0.2, 0.7])
    for method in ("erf", "erfc", "erfinv", "lgamma", "digamma", "i0"):
        assert getattr(x, method)().tolist() == getattr(tg, method)(x).tolist()
    assert x.polygamma(2).tolist() == tg.polygamma(2, x).tolist()
    for only_special in ("i0e", "i1", "ndtri", "log_ndtr", "entr", "xlog1py", "erfcx", "zeta"):
        assert not hasattr(x, only_special) and not hasattr(tg, only_special), only_special
    m = tg.Tensor([[1.0, 2.0], [3.0, 5.0]])  # softmax: dim and dtype, as torch.special's
    assert tg.special.softmax(m, 1).tolist() == m.softmax(dim=1).tolist()
    assert tg.special.log_softmax(m, 0, dtype=np.float32).dtype == np.float32
    assert tg.lgamma(tg.as_tensor([1, 2, 3])).dtype == np.float64  # (integers: float64)
    assert tg.special.zeta(2, tg.as_tensor([1, 2])).dtype == np.float64


@pytest.mark.parametrize("shape", [(0,), (2, 0), ()])
def test_empty_and_0d_tensors(shape):
    x = tg.Tensor(np.full(shape, 0.5), requires_grad=True)
    for fn in (tg.erf, tg.erfinv, tg.lgamma, tg.digamma, lambda v: tg.polygamma(2, v),
               lambda v: v.mvlgamma(2), tg.i0, tg.special.i1e, tg.special.ndtri,
               tg.special.log_ndtr, tg.special.erfcx, tg.special.entr,
               lambda v: tg.special.zeta(2.0, v), lambda v: tg.special.xlog1py(v, v)):
        fn(x).sum().backward()
        assert fn(x).shape == x.grad.shape == shape
        x.grad = None


@pytest.mark.parametrize("call, error, message", [
    (lambda: tg.polygamma(-1, tg.Tensor([1.0])), RuntimeError, r"^polygamma: n must be >= 0"),
    (lambda: tg.polygamma(1.5, tg.Tensor([1.0])), TypeError, r"^polygamma: n must be an int"),
    (lambda: tg.Tensor([1.0]).polygamma(True), TypeError, r"^polygamma: n must be an int"),
    (lambda: tg.mvlgamma(tg.Tensor([2.0]), 0), RuntimeError, r"^mvlgamma: p .* must be >= 1"),
    (lambda: tg.Tensor([2.0]).mvlgamma(1.5), TypeError, r"^mvlgamma: p must be an int"),
    (lambda: tg.special.zeta(tg.Tensor([2.0, 3.0]), tg.Tensor([1.0, 2.0, 3.0])), ValueError,
     r"^zeta: .*\(2,\).*\(3,\)"),
    (lambda: tg.special.xlog1py("a", tg.Tensor([1.0])), TypeError, r"xlog1py"),
    (lambda: tg.erf(tg.Tensor([1.0]), 2), TypeError, r"^erf: "),
    (lambda: tg.special.softmax(tg.Tensor([1.0])), TypeError, r"dim"),
])
def test_bad_input_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "\n" not in str(info.value)

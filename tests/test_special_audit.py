"""The special functions' audit: lgamma exact relatively at its roots, erfcx with x**2's
rounding put back, the inverses' branches on 0-d tensors, and PyTorch's argument name
`input=` (the rest of tg.special's tests are in test_special.py).

References without torch: Taylor series at the roots and Python's `decimal` for e**(x**2).
"""
from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

import tinygrad_gd as tg

ZETA3 = 1.2020569031595942  # (Apery's constant)


def _lgamma_near_roots(t: np.ndarray, root: int) -> np.ndarray:
    """lgamma(root + t) for |t| <= 1e-6 by its Taylor series' first three terms (the fourth
    is below 1e-18 of the value): -euler t + zeta(2)/2 t**2 - zeta(3)/3 t**3 about 1, with
    zeta(k) - 1 for zeta(k) and 1 - euler for -euler about 2."""
    shift = root - 1
    return (shift - np.euler_gamma) * t + (math.pi ** 2 / 6 - shift) / 2 * t ** 2 \
        - (ZETA3 - shift) / 3 * t ** 3


def test_lgamma_is_exact_relatively_at_its_roots_1_and_2():
    t = np.concatenate([10 ** np.linspace(-15, -6, 10), -10 ** np.linspace(-15, -6, 10),
                        [2.0 ** -40, -(2.0 ** -45)]])
    for root in (1, 2):
        x = root + t
        exact_t = x - root  # (t as the float x holds it: the subtraction is exact)
        np.testing.assert_allclose(tg.lgamma(x).data, _lgamma_near_roots(exact_t, root),
                                   rtol=1e-15)


@pytest.mark.torch
def test_lgamma_agrees_with_pytorchs_to_float64_across_its_branches():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    # the series' ends (0.5, 1.5, 2.5), the move to Stirling (10), far out, below 0
    x = np.concatenate([rng.uniform(1e-3, 12, 200), [0.5, 1.5, 2.5, 10.0, 9.999999999999998],
                        np.nextafter([0.5, 1.5, 2.5, 10.0], 0), 10 ** rng.uniform(-300, 300, 30),
                        [2.5e305, 2.6e305, 1e306, 5e-324], -rng.uniform(0.01, 20, 100) - 1e-3])
    x = x[np.abs(x - np.round(x)) > 1e-3 * (x < 0)]
    expected = torch.lgamma(torch.tensor(x)).numpy()
    # below 0 the reflection cancels near lgamma's negative roots (as lgamma's sum does)
    away = (x > 0) | (np.abs(expected) > 0.1)
    np.testing.assert_allclose(tg.lgamma(x).data[away], expected[away], rtol=2e-15)
    np.testing.assert_allclose(tg.lgamma(x).data[~away], expected[~away], atol=1e-15)


def _erfcx_decimal(x: float) -> float:
    """e**(x**2) erfc(x) with e**(x**2) in 40 digits (x**2 exact) and math.erfc's erfc."""
    with localcontext() as context:
        context.prec = 40
        square = Decimal(x) ** 2
        erfc = 2 - Decimal(math.erfc(-x)) if x < 0 else Decimal(math.erfc(x))
        return float(square.exp() * erfc)


def test_erfcx_below_3_puts_back_the_rounding_of_x_squared():
    rng = np.random.default_rng(12)
    x = np.concatenate([rng.uniform(-26.5, -1, 40), rng.uniform(-1, 3, 20)])
    expected = np.array([_erfcx_decimal(v) for v in x])
    np.testing.assert_allclose(tg.special.erfcx(x).data, expected, rtol=1e-15)
    edges = tg.special.erfcx(tg.Tensor([-np.inf, -27.0, np.nan, np.inf, -0.0]))
    assert edges.data[0] == edges.data[1] == np.inf and np.isnan(edges.data[2])
    assert edges.data[3] == 0.0 and edges.data[4] == 1.0
    assert tg.special.erfcx(tg.Tensor([-2.0], dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("name", ["erfinv", "ndtri"])
def test_the_inverses_branches_on_0d_tensors_and_empty(name):
    fn = getattr(tg.special, name)
    values = [-2.0, -1.0, -0.9, -0.3, 0.0, -0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 2.0, np.nan]
    with np.errstate(all="ignore"):
        row = fn(tg.Tensor(values)).data
        for value, expected in zip(values, row):
            got = fn(tg.Tensor(value)).data
            assert got.shape == () and (got == expected or np.isnan(got) and np.isnan(expected))
    assert fn(tg.Tensor(np.zeros((2, 0)))).shape == (2, 0)


ONE_INPUT = ["erf", "erfc", "erfinv", "erfcx", "ndtri", "log_ndtr", "i0", "i0e", "i1", "i1e",
             "entr", "gammaln", "digamma", "psi"]


@pytest.mark.parametrize("name", ONE_INPUT)
def test_one_input_functions_take_pytorchs_argument_name_input(name):
    x = tg.Tensor([0.2, 0.6, 0.9], requires_grad=True)
    fn = getattr(tg.special, name)
    out = fn(input=x)
    assert out.tolist() == fn(x).tolist()
    out.sum().backward()
    assert x.grad.shape == (3,)
    with pytest.raises(TypeError, match=rf"^{name}: .*2 were given") as info:
        fn(x, 2)
    assert "\n" not in str(info.value)


def test_the_tg_functions_and_methods_take_input_too():
    x = tg.Tensor([0.2, 0.6])
    for name in ("erf", "erfc", "erfinv", "lgamma", "digamma", "i0"):
        assert getattr(tg, name)(input=x).tolist() == getattr(x, name)().tolist(), name
    with pytest.raises(TypeError, match=r"^gammaln: got an unexpected keyword argument 'x'"):
        tg.special.gammaln(x=x)

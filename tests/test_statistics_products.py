"""Statistics, integrals and products made of ops (statistics_more.py, numerical_calculus.py,
products.py): cov, corrcoef, quantile, nanquantile, mode, histogram, trapezoid,
cumulative_trapezoid, gradient, mv, inner, vdot, ger, addmv, addr, addbmm, baddbmm,
chain_matmul, renorm, logdet, slogdet, frexp, ldexp. Values and gradients against
PyTorch's, gradcheck in float64, float32 kept, edges, and the one-line errors.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

RNG = np.random.default_rng(11)
X = RNG.standard_normal((3, 6))
V6 = RNG.standard_normal(6)
M = RNG.standard_normal((3, 4))
V = RNG.standard_normal(4)
W = RNG.standard_normal(3)
B1, B2 = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 5))
Y = RNG.standard_normal((3, 5))
POINTS = np.sort(RNG.standard_normal(5))
TIES = np.array([[1.0, 2, 2, 1, 3, 2], [5, 5, 1, 1, 0, 0], [3, 1, 3, 1, 2, 2]])
NAN = float("nan")
WITH_NAN = np.array([[0.3, NAN, -1.0, 2.0], [NAN, NAN, NAN, NAN], [1.0, 4.0, -2.0, 0.5]])
SCALED = RNG.standard_normal((3, 4)) * np.array([[2.0], [0.1], [1.0]])  # norms above and below 1
SQUARES = RNG.standard_normal((2, 3, 3))
INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]
LEVELS = [0.0, 0.1, 0.5, 0.77, 1.0]


def _flat(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _compare(ours_fn, torch_fn, arrays, dtype=np.float64, tol=1e-10):
    """Values (indices too) and gradients of ours_fn and torch_fn on the same arrays."""
    torch = pytest.importorskip("torch")
    ours = [tg.Tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    got, expected = _flat(ours_fn(*ours)), _flat(torch_fn(*theirs))
    assert len(got) == len(expected)
    loss = torch_loss = None
    for mine, their in zip(got, expected):
        assert mine.shape == tuple(their.shape)
        assert mine.dtype == np.dtype(str(their.dtype).split(".")[1])
        np.testing.assert_allclose(mine.data, their.detach().numpy(), rtol=tol, atol=tol,
                                   equal_nan=True)
        if their.requires_grad:
            weight = RNG.standard_normal(mine.shape).astype(dtype)
            term = (mine * tg.Tensor(weight, dtype=dtype)).sum()
            torch_term = (their * torch.tensor(weight)).sum()
            loss = term if loss is None else loss + term
            torch_loss = torch_term if torch_loss is None else torch_loss + torch_term
    if torch_loss is None:
        return
    loss.backward()
    torch_loss.backward()
    for mine, their in zip(ours, theirs):
        expected_grad = torch.zeros_like(their) if their.grad is None else their.grad
        mine_grad = np.zeros(mine.shape) if mine.grad is None else mine.grad.data
        np.testing.assert_allclose(mine_grad, expected_grad.numpy(), rtol=tol, atol=tol,
                                   equal_nan=True)


def _t(name):
    """torch.NAME, looked up when a case runs (torch may be absent)."""
    return lambda *args, **kwargs: getattr(pytest.importorskip("torch"), name)(*args, **kwargs)


def _levels(values=LEVELS):
    """PyTorch's q: a float64 tensor of `values`, made when a case runs."""
    return lambda: _t("tensor")(values, dtype=pytest.importorskip("torch").float64)


# name: our function, PyTorch's, the inputs (float64, requiring gradients)
CASES = {
    "cov": (tg.cov, _t("cov"), [X]),
    "cov 1-d": (tg.cov, _t("cov"), [V6]),
    "cov one row": (tg.cov, _t("cov"), [X[:1]]),
    "cov correction 0": (lambda x: tg.cov(x, correction=0),
                         lambda x: _t("cov")(x, correction=0), [X]),
    "cov correction 2, aweights": (lambda x, a: tg.cov(x, correction=2, aweights=a),
                                   lambda x, a: _t("cov")(x, correction=2, aweights=a),
                                   [X, RNG.random(6)]),
    "cov fweights and aweights": (
        lambda x, a: tg.cov(x, fweights=tg.Tensor([1, 2, 0, 3, 1, 1], dtype="int64"),
                            aweights=a),
        lambda x, a: _t("cov")(x, fweights=_t("tensor")([1, 2, 0, 3, 1, 1]), aweights=a),
        [X, RNG.random(6)]),
    "cov correction past the count": (lambda x: tg.cov(x, correction=7),
                                      lambda x: _t("cov")(x, correction=7), [X]),
    "corrcoef": (tg.corrcoef, _t("corrcoef"), [X]),
    "corrcoef 1-d": (tg.corrcoef, _t("corrcoef"), [V6]),
    "corrcoef constant row": (tg.corrcoef, _t("corrcoef"), [np.array([[1.0, 1, 1],
                                                                      [1, 2, 4]])]),
    "trapezoid": (tg.trapezoid, _t("trapezoid"), [Y]),
    "trapezoid x 1-d": (tg.trapezoid, _t("trapezoid"), [Y, POINTS]),
    "trapezoid x as y": (tg.trapezoid, _t("trapezoid"), [Y, RNG.standard_normal((3, 5))]),
    "trapezoid x broadcast": (tg.trapezoid, _t("trapezoid"), [Y, POINTS[None, :]]),
    "trapezoid dx dim 0": (lambda y: tg.trapezoid(y, dx=0.3, dim=0),
                           lambda y: _t("trapezoid")(y, dx=0.3, dim=0), [Y]),
    "trapezoid one sample": (tg.trapezoid, _t("trapezoid"), [Y[:, :1]]),
    "trapezoid empty": (tg.trapezoid, _t("trapezoid"), [Y[:, :0]]),
    "trapz x": (tg.trapz, _t("trapz"), [Y, POINTS]),
    "trapz dx": (lambda y: tg.trapz(y, dx=2.0), lambda y: _t("trapz")(y, dx=2.0), [Y]),
    "cumulative_trapezoid": (tg.cumulative_trapezoid, _t("cumulative_trapezoid"), [Y]),
    "cumulative_trapezoid x": (tg.cumulative_trapezoid, _t("cumulative_trapezoid"),
                               [Y, POINTS]),
    "cumulative_trapezoid dx dim 0": (
        lambda y: tg.cumulative_trapezoid(y, dx=0.5, dim=0),
        lambda y: _t("cumulative_trapezoid")(y, dx=0.5, dim=0), [Y]),
    "cumulative_trapezoid one sample": (tg.cumulative_trapezoid, _t("cumulative_trapezoid"),
                                        [Y[:, :1]]),
    "mv": (tg.mv, _t("mv"), [M, V]),
    "inner": (tg.inner, _t("inner"), [B1, M]),
    "inner 1-d": (tg.inner, _t("inner"), [V, V[::-1].copy()]),
    "inner 0-d": (tg.inner, _t("inner"), [np.array(1.5), M]),
    "inner empty": (tg.inner, _t("inner"), [np.zeros((3, 0)), np.zeros((2, 0))]),
    "vdot": (tg.vdot, _t("vdot"), [V, 2 * V[::-1]]),
    "ger": (tg.ger, _t("ger"), [W, V]),
    "addmv": (lambda i, m, v: tg.addmv(i, m, v, beta=0.5, alpha=2.0),
              lambda i, m, v: _t("addmv")(i, m, v, beta=0.5, alpha=2.0), [W, M, V]),
    "addmv broadcast": (tg.addmv, _t("addmv"), [W[:1], M, V]),
    "addmv beta 0 NaN": (lambda i, m, v: tg.addmv(i, m, v, beta=0),
                         lambda i, m, v: _t("addmv")(i, m, v, beta=0),
                         [np.full(3, NAN), M, V]),
    "addr": (lambda i, a, b: tg.addr(i, a, b, beta=-1.5, alpha=0.5),
             lambda i, a, b: _t("addr")(i, a, b, beta=-1.5, alpha=0.5), [M, W, V]),
    "addr broadcast": (tg.addr, _t("addr"), [V, W, V]),
    "addbmm": (lambda i, a, b: tg.addbmm(i, a, b, beta=0.5, alpha=2.0),
               lambda i, a, b: _t("addbmm")(i, a, b, beta=0.5, alpha=2.0),
               [RNG.standard_normal((3, 5)), B1, B2]),
    "addbmm empty batch": (tg.addbmm, _t("addbmm"), [RNG.standard_normal((3, 5)),
                                                      B1[:0], B2[:0]]),
    "baddbmm": (lambda i, a, b: tg.baddbmm(i, a, b, beta=0.5, alpha=2.0),
                lambda i, a, b: _t("baddbmm")(i, a, b, beta=0.5, alpha=2.0),
                [RNG.standard_normal((3, 5)), B1, B2]),
    "chain_matmul": (tg.chain_matmul, _t("chain_matmul"), [M, M.T, M]),
    "chain_matmul one": (tg.chain_matmul, _t("chain_matmul"), [M]),
    "renorm p 2 dim 0": (lambda x: tg.renorm(x, 2, 0, 1.0),
                         lambda x: _t("renorm")(x, 2, 0, 1.0), [SCALED]),
    "renorm p 1 dim 1": (lambda x: tg.renorm(x, 1, 1, 1.0),
                         lambda x: _t("renorm")(x, 1, 1, 1.0), [SCALED]),
    "renorm p 3.5": (lambda x: tg.renorm(x, 3.5, 0, 0.5),
                     lambda x: _t("renorm")(x, 3.5, 0, 0.5), [SCALED]),
    "renorm p inf 3-d": (lambda x: tg.renorm(x, float("inf"), -1, 1.0),
                         lambda x: _t("renorm")(x, float("inf"), -1, 1.0), [B1]),
    "renorm maxnorm 0": (lambda x: tg.renorm(x, 2, 0, 0.0),
                         lambda x: _t("renorm")(x, 2, 0, 0.0), [SCALED]),
    "logdet": (tg.logdet, _t("logdet"), [SQUARES]),
    "logdet positive": (tg.logdet, _t("logdet"), [SQUARES @ SQUARES.transpose(0, 2, 1)]),
    "slogdet": (tg.slogdet, _t("slogdet"), [SQUARES]),
    "frexp": (tg.frexp, _t("frexp"),
              [np.array([0.0, 1.0, -3.0, 0.1, 3e-20, 5e30, -0.0, np.inf])]),  # (see below)
    "ldexp": (tg.ldexp, _t("ldexp"), [RNG.standard_normal(4), RNG.standard_normal(4)]),
    "ldexp broadcast": (tg.ldexp, _t("ldexp"), [M, RNG.standard_normal(4) * 3]),
}
for _e in (1, 2):
    CASES[f"gradient edge_order {_e}"] = (
        lambda y, e=_e: tg.gradient(y, edge_order=e),
        lambda y, e=_e: _t("gradient")(y, edge_order=e), [Y])
    CASES[f"gradient spacings edge_order {_e}"] = (
        lambda y, e=_e: tg.gradient(y, spacing=[0.5, 2.0], edge_order=e),
        lambda y, e=_e: _t("gradient")(y, spacing=[0.5, 2.0], edge_order=e), [Y])
    CASES[f"gradient coordinates edge_order {_e}"] = (
        lambda y, c, e=_e: tg.gradient(y, spacing=[c], dim=1, edge_order=e),
        lambda y, c, e=_e: _t("gradient")(y, spacing=[c], dim=1, edge_order=e), [Y, POINTS])
    CASES[f"gradient one dim edge_order {_e}"] = (
        lambda y, e=_e: tg.gradient(y, spacing=3.0, dim=0, edge_order=e),
        lambda y, e=_e: _t("gradient")(y, spacing=3.0, dim=0, edge_order=e), [Y])
for _how in INTERPOLATIONS:
    CASES[f"quantile {_how}"] = (
        lambda x, h=_how: tg.quantile(x, tg.Tensor(LEVELS), dim=1, keepdim=True,
                                      interpolation=h),
        lambda x, h=_how: _t("quantile")(x, _levels()(), dim=1, keepdim=True, interpolation=h),
        [X])
    CASES[f"quantile of all, {_how}"] = (
        lambda x, h=_how: tg.quantile(x, 0.33, interpolation=h),
        lambda x, h=_how: _t("quantile")(x, 0.33, interpolation=h), [X])
    CASES[f"quantile ties {_how}"] = (
        lambda x, h=_how: tg.quantile(x, tg.Tensor([0.2, 0.5, 0.7]), dim=1, interpolation=h),
        lambda x, h=_how: _t("quantile")(x, _levels([0.2, 0.5, 0.7])(), dim=1,
                                         interpolation=h), [TIES])
    CASES[f"quantile NaN {_how}"] = (
        lambda x, h=_how: tg.quantile(x, tg.Tensor([0.1, 0.9]), dim=0, interpolation=h),
        lambda x, h=_how: _t("quantile")(x, _levels([0.1, 0.9])(), dim=0, interpolation=h),
        [WITH_NAN])
    CASES[f"nanquantile {_how}"] = (
        lambda x, h=_how: tg.nanquantile(x, tg.Tensor([0.1, 0.5, 0.9]), dim=1,
                                         interpolation=h),
        lambda x, h=_how: _t("nanquantile")(x, _levels([0.1, 0.5, 0.9])(), dim=1,
                                            interpolation=h), [WITH_NAN])
CASES.update({
    "quantile keepdim without dim": (
        lambda x: tg.quantile(x, tg.Tensor([0.3, 0.6]), keepdim=True),
        lambda x: _t("quantile")(x, _levels([0.3, 0.6])(), keepdim=True), [X]),
    "quantile 0-d q tensor": (lambda x: tg.quantile(x, tg.Tensor(0.4), dim=0),
                              lambda x: _t("quantile")(x, _levels(0.4)(), dim=0), [X]),
    "quantile 0-d input": (lambda x: tg.quantile(x, 0.5, dim=0, keepdim=True),
                           lambda x: _t("quantile")(x, 0.5, dim=0, keepdim=True),
                           [np.array(2.0)]),
    "quantile empty q": (lambda x: tg.quantile(x, tg.Tensor(np.zeros(0)), dim=1),
                         lambda x: _t("quantile")(x, _levels([])(), dim=1), [X]),
    "quantile q gradient": (lambda x, q: tg.quantile(x, q, dim=1),
                            lambda x, q: _t("quantile")(x, q, dim=1), [X, np.array([0.2, 0.55])]),
    "nanquantile q gradient": (lambda x, q: tg.nanquantile(x, q, dim=1),
                               lambda x, q: _t("nanquantile")(x, q, dim=1),
                               [WITH_NAN, np.array(0.35)]),
    "nanquantile of all": (lambda x: tg.nanquantile(x, 0.3),
                           lambda x: _t("nanquantile")(x, 0.3), [WITH_NAN]),
    "mode ties": (lambda x: tg.mode(x, 1), lambda x: _t("mode")(x, 1), [TIES]),
    "mode dim 0 keepdim": (lambda x: tg.mode(x, 0, keepdim=True),
                           lambda x: _t("mode")(x, 0, keepdim=True), [TIES]),
    "mode default dim": (tg.mode, _t("mode"), [TIES]),
    "mode 0-d": (tg.mode, _t("mode"), [np.array(3.0)]),
    "mode empty rows": (lambda x: tg.mode(x, 1), lambda x: _t("mode")(x, 1), [np.zeros((0, 3))]),
})


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_pytorch(name):
    ours, theirs, arrays = CASES[name]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # (PyTorch's: chain_matmul deprecated)
        _compare(ours, theirs, arrays)


def _random_cases(seed):
    """(name, ours, PyTorch's, arrays) over random shapes, each dimension in turn."""
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
    values = rng.standard_normal(shape)
    yield "trapezoid", (lambda y: tg.trapezoid(y, dx=0.7, dim=0),
                        lambda y: _t("trapezoid")(y, dx=0.7, dim=0), [values])
    for dim in range(len(shape)):
        yield f"quantile dim {dim}", (
            lambda x, d=dim: tg.quantile(x, tg.Tensor([0.1, 0.6]), dim=d),
            lambda x, d=dim: _t("quantile")(x, _levels([0.1, 0.6])(), dim=d), [values])
        yield f"mode dim {dim}", (lambda x, d=dim: tg.mode(x.round(), d),
                                  lambda x, d=dim: _t("mode")(x.round(), d), [values])
        yield f"cumulative_trapezoid dim {dim}", (
            lambda y, d=dim: tg.cumulative_trapezoid(y, dim=d),
            lambda y, d=dim: _t("cumulative_trapezoid")(y, dim=d), [values])
        if len(shape) > 1:
            yield f"renorm dim {dim}", (lambda x, d=dim: tg.renorm(x, 2, d, 0.8),
                                        lambda x, d=dim: _t("renorm")(x, 2, d, 0.8), [values])
    long = [d for d in range(len(shape)) if shape[d] > 1]
    if long:
        yield "gradient", (lambda y: tg.gradient(y, dim=long),
                           lambda y: _t("gradient")(y, dim=long), [values])
    batch, n, m, p = (int(k) for k in rng.integers(0, 4, size=4))
    yield "baddbmm", (tg.baddbmm, _t("baddbmm"), [rng.standard_normal((n, p)),
                                                  rng.standard_normal((batch, n, m)),
                                                  rng.standard_normal((batch, m, p))])
    square = rng.standard_normal(shape[:-1] + (shape[-1],) * 2)
    yield "logdet", (tg.logdet, _t("logdet"), [square])


@pytest.mark.parametrize("seed", range(8))
def test_random_shapes_match_pytorch(seed):
    for name, (ours, theirs, arrays) in _random_cases(seed):
        with np.errstate(all="ignore"):
            try:
                _compare(ours, theirs, arrays)
            except AssertionError as err:
                raise AssertionError(f"{name}, shapes {[a.shape for a in arrays]}: {err}")


@pytest.mark.parametrize("name", ["cov", "corrcoef", "quantile q gradient",
                                  "nanquantile q gradient", "gradient coordinates edge_order 2",
                                  "trapezoid x 1-d",
                                  "baddbmm", "renorm p 3.5", "ldexp", "mode ties"])
def test_float32_values_and_gradients_match_pytorch(name):
    ours, theirs, arrays = CASES[name]
    _compare(ours, theirs, arrays, dtype=np.float32, tol=2e-5)


# name: the function of float64 tensors, the inputs to check the gradient for
GRADCHECKS = {
    "cov": (lambda x, a: tg.cov(x, aweights=a), [X, RNG.random(6) + 0.5]),
    "corrcoef": (tg.corrcoef, [X]),
    "quantile linear": (lambda x: tg.quantile(x, tg.Tensor([0.25, 0.6]), dim=1), [X]),
    "nanquantile midpoint": (lambda x: tg.nanquantile(x, 0.4, dim=1, interpolation="midpoint"),
                             [np.where(np.isnan(WITH_NAN), 5.0, WITH_NAN) + 0.01 * M]),
    "mode": (lambda x: tg.mode(x, 1).values, [X]),  # (ties: a step, no derivative)
    "trapezoid": (tg.trapezoid, [Y, POINTS]),
    "cumulative_trapezoid": (lambda y, x: tg.cumulative_trapezoid(y, x, dim=1), [Y, POINTS]),
    "gradient coordinates": (lambda y, c: tg.gradient(y, spacing=[c], dim=1, edge_order=2)[0],
                             [Y, POINTS]),
    "gradient spacing tensor": (lambda y, h: tg.gradient(y, spacing=h, dim=0)[0],
                                [Y, np.array(0.7)]),
    "mv": (tg.mv, [M, V]),
    "inner": (tg.inner, [B1, M]),
    "addr": (lambda i, a, b: tg.addr(i, a, b, beta=2.0, alpha=-1.0), [M, W, V]),
    "addbmm": (lambda i, a, b: tg.addbmm(i, a, b, alpha=0.5), [M[:, :1] @ V[None, 1:],
                                                                 B1[:, :, :3], B2[:, :3, :3]]),
    "baddbmm": (tg.baddbmm, [RNG.standard_normal((2, 3, 5)), B1, B2]),
    "renorm": (lambda x: tg.renorm(x, 3.0, 0, 1.0), [SCALED]),
    "logdet": (tg.logdet, [SQUARES @ SQUARES.transpose(0, 2, 1) + np.eye(3)]),
    "ldexp": (tg.ldexp, [RNG.standard_normal(4), RNG.standard_normal(4)]),
    "frexp": (lambda x: tg.frexp(x).mantissa, [np.array([0.3, -5.0, 1e3])]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck(name):
    fn, arrays = GRADCHECKS[name]
    assert tg.gradcheck(fn, [tg.Tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.parametrize("fn", [
    tg.cov, tg.corrcoef, lambda x: tg.quantile(x, 0.3, dim=1), lambda x: tg.nanquantile(x, 0.5),
    lambda x: tg.mode(x).values, tg.trapezoid, tg.cumulative_trapezoid,
    lambda x: tg.gradient(x)[1], lambda x: tg.inner(x, x), lambda x: tg.mv(x, x[0]),
    lambda x: tg.renorm(x, 2, 0, 1.0), lambda x: tg.frexp(x).mantissa,
    lambda x: tg.ldexp(x, tg.Tensor([1, -2, 3], dtype="int64")), lambda x: tg.ldexp(x, x),
    lambda x: tg.histogram(x, 4).hist, lambda x: tg.histogram(x, 4).bin_edges,
    lambda x: tg.logdet(x), lambda x: tg.addr(x, x[0], x[1]),
])
def test_float32_is_kept(fn):
    x = tg.Tensor(RNG.standard_normal((3, 3)).astype(np.float32), requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    if out.requires_grad:
        out.sum().backward()
        assert x.grad.dtype == np.float32


def test_integers_count_as_float64():
    ints = tg.Tensor([[1, 2, 4], [3, 3, 0]], dtype="int64")
    for out in (tg.cov(ints), tg.corrcoef(ints), tg.quantile(ints, 0.5), tg.trapezoid(ints),
                tg.gradient(ints)[0], tg.renorm(ints, 2, 0, 1.0), tg.histogram(ints, 3).hist,
                tg.ldexp(ints, ints)):
        assert out.dtype == np.float64
    assert tg.mode(ints).values.dtype == np.int64  # mode keeps the dtype, as PyTorch's


def test_mode_of_random_ties_matches_pytorch():
    torch = pytest.importorskip("torch")
    draws = np.random.default_rng(3).integers(0, 4, size=(200, 7))
    for dtype in (np.float64, np.int64):
        ours = tg.mode(tg.Tensor(draws, dtype=dtype), 1)
        theirs = torch.mode(torch.tensor(draws.astype(dtype)), 1)
        np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


@pytest.mark.parametrize("row", [[NAN, 1, 1], [NAN, NAN, 1, 1], [NAN, NAN, NAN, 1, 1],
                                 [NAN, 0, 0, NAN], [1, 1, NAN, NAN, 2, 2],
                                 [NAN, NAN], [0.0, -0.0, 1.0], [True, False, True]])
def test_mode_with_nan_and_signed_zero_matches_pytorch(row):
    torch = pytest.importorskip("torch")
    ours, theirs = tg.mode(tg.Tensor(row)), torch.mode(torch.tensor(row, dtype=torch.float64))
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    assert np.signbit(ours.values.data) == np.signbit(theirs.values.numpy())
    assert ours.indices.item() == theirs.indices.item()


HISTOGRAMS = {
    "bins 4": ((4,), {}),
    "default bins": ((), {}),
    "range": ((4,), {"range": (-1.0, 0.5)}),
    "weights and density": ((5,), {"weight": "w", "density": True}),
    "edges": (("edges",), {}),
    "edges weighted density": (("edges",), {"weight": "w", "density": True}),
}


@pytest.mark.parametrize("name", sorted(HISTOGRAMS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_histogram_matches_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    args, kwargs = HISTOGRAMS[name]
    values = np.concatenate([X.reshape(-1), [0.7, 0.7, 0.1, 0.3]]).astype(dtype)
    edges = np.array([-2.0, -0.5, 0.0, 0.1, 0.7, 2.5], dtype=dtype)
    weights = np.abs(values) + 0.5
    ours_args = [tg.Tensor(edges, dtype=dtype) if a == "edges" else a for a in args]
    torch_args = [torch.tensor(edges) if a == "edges" else a for a in args]
    ours_kwargs = {k: tg.Tensor(weights, dtype=dtype) if v == "w" else v
                   for k, v in kwargs.items()}
    torch_kwargs = {k: torch.tensor(weights) if v == "w" else v for k, v in kwargs.items()}
    ours = tg.histogram(tg.Tensor(values, dtype=dtype), *ours_args, **ours_kwargs)
    theirs = torch.histogram(torch.tensor(values), *torch_args, **torch_kwargs)
    for mine, their in zip(ours, theirs):
        assert mine.dtype == dtype and not mine.requires_grad
        np.testing.assert_allclose(mine.data, their.numpy(), rtol=1e-6)


def test_histogram_edges_of_even_bins_hold_their_values():
    torch = pytest.importorskip("torch")
    values = np.array([0.0, 0.1, 0.2, 0.3, 0.7, 1.0], dtype=np.float32)  # on the edges
    ours, theirs = tg.histogram(tg.Tensor(values), 10), torch.histogram(torch.tensor(values), 10)
    np.testing.assert_array_equal(ours.hist.data, theirs.hist.numpy())
    for values, kwargs in (([2.0, 2.0], {}), ([], {}), ([1.0, NAN, 2.0], {"range": (0, 3)}),
                           ([5.0], {"range": (1.0, 1.0)})):
        ours = tg.histogram(tg.Tensor(values), 4, **kwargs)
        theirs = torch.histogram(torch.tensor(values, dtype=torch.float64), 4, **kwargs)
        np.testing.assert_array_equal(ours.hist.data, theirs.hist.numpy())
        np.testing.assert_allclose(ours.bin_edges.data, theirs.bin_edges.numpy())


def test_methods_are_the_functions():
    x = tg.Tensor(X)
    assert np.array_equal(x.quantile(0.3, 1).data, tg.quantile(x, 0.3, 1).data)
    assert np.array_equal(x.nanquantile(0.3).data, tg.nanquantile(x, 0.3).data)
    assert np.array_equal(x.cov().data, tg.cov(x).data)
    assert np.array_equal(x.corrcoef().data, tg.corrcoef(x).data)
    assert np.array_equal(x.mode(0).indices.data, tg.mode(x, 0).indices.data)
    assert np.array_equal(x.histogram(3).hist.data, tg.histogram(x, 3).hist.data)
    m = tg.Tensor(M)
    assert np.array_equal(m.mv(tg.Tensor(V)).data, tg.mv(m, V).data)
    assert np.array_equal(m.inner(m).data, tg.inner(m, m).data)
    assert np.array_equal(m.renorm(2, 0, 1.0).data, tg.renorm(m, 2, 0, 1.0).data)
    assert np.array_equal(m.ldexp(m).data, tg.ldexp(m, m).data)
    assert np.array_equal(m.frexp().mantissa.data, tg.frexp(m).mantissa.data)
    v = tg.Tensor(V)
    assert np.array_equal(v.vdot(v).data, tg.vdot(v, v).data)
    assert np.array_equal(v.ger(v).data, tg.ger(v, v).data)
    s = tg.Tensor(SQUARES)
    assert np.array_equal(s.logdet().data, tg.logdet(s).data, equal_nan=True)
    assert np.array_equal(s.slogdet().logabsdet.data, tg.slogdet(s).logabsdet.data)
    assert np.array_equal(tg.Tensor(W).addmv(m, v).data, tg.addmv(W, m, v).data)
    assert np.array_equal(m.addr(tg.Tensor(W), v).data, tg.addr(m, W, v).data)
    i = tg.Tensor(np.zeros((3, 5)))
    assert np.array_equal(i.addbmm(B1, B2).data, tg.addbmm(i, B1, B2).data)
    assert np.array_equal(i.baddbmm(B1, B2).data, tg.baddbmm(i, B1, B2).data)


def test_numpy_spellings():
    x = tg.Tensor(X)
    assert np.array_equal(tg.quantile(x, 0.3, axis=1, keepdims=True, method="lower").data,
                          tg.quantile(x, 0.3, dim=1, keepdim=True, interpolation="lower").data)
    np.testing.assert_allclose(tg.quantile(x, [0.2, 0.9], axis=0).data,
                               np.quantile(X, [0.2, 0.9], axis=0))
    np.testing.assert_allclose(tg.trapz(tg.Tensor(Y), tg.Tensor(POINTS), axis=1).data,
                               np.trapezoid(Y, POINTS, axis=1) if hasattr(np, "trapezoid")
                               else np.trapz(Y, POINTS, axis=1))
    np.testing.assert_allclose(tg.gradient(tg.Tensor(Y), axis=1, edge_order=2)[0].data,
                               np.gradient(Y, axis=1, edge_order=2))
    np.testing.assert_allclose(tg.cov(x, correction=0).data, np.cov(X, bias=True))
    assert tg.mode(x, axis=0, keepdims=True).values.shape == (1, 6)


def test_frexp_splits_exactly_and_ldexp_joins():
    values = np.array([0.0, -0.0, 1.0, -3.0, 0.1, 5e-324, 1.7e308, np.inf, -np.inf, NAN])
    mantissa, exponent = tg.frexp(tg.Tensor(values))
    expected = np.frexp(values)
    np.testing.assert_array_equal(mantissa.data, expected[0])
    assert exponent.dtype == np.int32 and not exponent.requires_grad
    np.testing.assert_array_equal(exponent.data, expected[1])
    joined = tg.ldexp(mantissa, exponent)
    np.testing.assert_array_equal(joined.data, values)
    big = tg.ldexp(tg.Tensor(np.array([1e-30], dtype=np.float32)),
                   tg.Tensor([200], dtype="int64"))  # 2**200 alone overflows float32
    np.testing.assert_allclose(big.data, float(np.float32(1e-30)) * 2.0 ** 200, rtol=1e-6)
    with np.errstate(over="raise"):
        assert tg.ldexp(tg.Tensor([1.0]), tg.Tensor([1030], dtype="int64")).item() == np.inf



def test_ldexp_scales_exactly_by_numpy_and_python_integer_exponents_as_by_int_tensors():
    torch = pytest.importorskip("torch")
    x = np.array([0.5, 1e-3, 3.0])
    exponents = np.array([1024, 1030, -1080])  # (2**1024 alone overflows float64)
    theirs = torch.ldexp(torch.tensor(x), torch.tensor(exponents)).numpy()
    for other in (exponents, exponents.tolist(), tg.tensor(exponents)):
        np.testing.assert_array_equal(tg.ldexp(x, other).data, theirs)
    single = tg.ldexp(x.astype(np.float32), np.array([3, 3, 3]))
    assert single.dtype == np.float32  # (as PyTorch's for an int tensor)
    np.testing.assert_array_equal(single.data, x.astype(np.float32) * 8)

def test_empty_and_degenerate_edges():
    with np.errstate(all="raise"):  # no NumPy warning escapes
        assert np.isnan(tg.cov(tg.Tensor(np.zeros((2, 0)))).data).all()
        assert tg.cov(tg.Tensor(np.zeros((0, 3)))).shape == (0, 0)
        assert np.isnan(tg.corrcoef(tg.Tensor([[1.0, 1, 1], [1, 2, 3]])).data[0]).all()
        assert tg.trapezoid(tg.Tensor(np.zeros((2, 0)))).data.tolist() == [0.0, 0.0]
        assert tg.cumulative_trapezoid(tg.Tensor(np.zeros((2, 0)))).shape == (2, 0)
        assert tg.gradient(tg.Tensor(np.zeros((0, 3))), dim=1)[0].shape == (0, 3)
        assert tg.gradient(tg.Tensor(2.0)) == ()
        assert np.isinf(tg.gradient(tg.Tensor(Y), spacing=0.0, dim=1)[0].data).all()
        assert tg.logdet(tg.Tensor(np.ones((2, 2)))).item() == -np.inf
        assert tg.logdet(tg.Tensor(np.zeros((0, 0)))).item() == 0.0
        assert tg.renorm(tg.Tensor(np.zeros((0, 3))), 2, 0, 1.0).shape == (0, 3)
        assert tg.mode(tg.Tensor(np.zeros((0, 3))), 1).values.shape == (0,)
        assert np.isnan(tg.histogram(tg.Tensor([5.0]), 2, range=(0, 1), density=True)
                        .hist.data).all()


def test_logdet_of_a_negative_determinant_is_nan_with_gradient_zero():
    a = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = tg.logdet(a)
    assert np.isnan(out.item())
    out.backward()
    assert (a.grad.data == 0).all()


# name: the call, the exception type, words the one-line message must hold
ERRORS = {
    "cov 3-d": (lambda: tg.cov(tg.Tensor(B1)), RuntimeError, ["cov", "(2, 3, 4)"]),
    "cov bool": (lambda: tg.cov(tg.Tensor([True, False], dtype=bool)), RuntimeError,
                 ["cov", "bool"]),
    "cov correction float": (lambda: tg.cov(tg.Tensor(X), correction=1.5), TypeError,
                             ["cov", "correction"]),
    "cov fweights float": (lambda: tg.cov(tg.Tensor(X), fweights=tg.Tensor(np.ones(6))),
                           RuntimeError, ["cov", "fweights", "integral"]),
    "cov fweights negative": (lambda: tg.cov(tg.Tensor(X), fweights=tg.Tensor(
        [1, 2, -1, 1, 1, 1], dtype="int64")), RuntimeError, ["cov", "negative"]),
    "cov aweights length": (lambda: tg.cov(tg.Tensor(X), aweights=tg.Tensor(np.ones(5))),
                            RuntimeError, ["cov", "aweights", "5 != 6"]),
    "cov aweights 2-d": (lambda: tg.cov(tg.Tensor(X), aweights=tg.Tensor(np.ones((6, 1)))),
                         RuntimeError, ["cov", "aweights", "(6, 1)"]),
    "cov weights sum 0": (lambda: tg.cov(tg.Tensor(X), aweights=tg.Tensor(np.zeros(6))),
                          RuntimeError, ["cov", "sum to zero"]),
    "cov weights list": (lambda: tg.cov(tg.Tensor(X), fweights=[1] * 6), TypeError,
                         ["cov", "fweights", "tensor"]),
    "cov None": (lambda: tg.cov(None), TypeError, ["cov"]),
    "corrcoef 3-d": (lambda: tg.corrcoef(tg.Tensor(B1)), RuntimeError, ["corrcoef", "(2, 3, 4)"]),
    "quantile q > 1": (lambda: tg.quantile(tg.Tensor(X), 1.5), RuntimeError,
                       ["quantile", "[0, 1]", "1.5"]),
    "quantile q NaN": (lambda: tg.quantile(tg.Tensor(X), tg.Tensor([0.5, NAN])), RuntimeError,
                       ["quantile", "[0, 1]", "nan"]),
    "quantile q 2-d": (lambda: tg.quantile(tg.Tensor(X), tg.Tensor(np.full((2, 2), 0.5))),
                       RuntimeError, ["quantile", "1-D", "(2, 2)"]),
    "quantile empty": (lambda: tg.quantile(tg.Tensor(np.zeros((0, 3))), 0.5, dim=1),
                       RuntimeError, ["quantile", "non-empty", "(0, 3)"]),
    "quantile interpolation": (lambda: tg.quantile(tg.Tensor(X), 0.5, interpolation="cubic"),
                               RuntimeError, ["quantile", "linear", "'cubic'"]),
    "quantile dim": (lambda: tg.quantile(tg.Tensor(X), 0.5, dim=2), IndexError,
                     ["quantile", "axis 2"]),
    "quantile keepdim": (lambda: tg.quantile(tg.Tensor(X), 0.5, 1, "yes"), TypeError,
                         ["quantile", "keepdim"]),
    "nanquantile q string": (lambda: tg.nanquantile(tg.Tensor(X), "0.5"), TypeError,
                             ["nanquantile", "q"]),
    "mode empty": (lambda: tg.mode(tg.Tensor(np.zeros((2, 0)))), IndexError,
                   ["mode", "empty", "(2, 0)"]),
    "mode dim": (lambda: tg.mode(tg.Tensor(X), 3), IndexError, ["mode", "axis 3"]),
    "histogram bins 0": (lambda: tg.histogram(tg.Tensor(X), 0), RuntimeError,
                         ["histogram", "bins", "> 0"]),
    "histogram bins float": (lambda: tg.histogram(tg.Tensor(X), 2.5), TypeError,
                             ["histogram", "bins"]),
    "histogram NaN range": (lambda: tg.histogram(tg.Tensor([1.0, NAN]), 3), RuntimeError,
                            ["histogram", "not finite"]),
    "histogram range reversed": (lambda: tg.histogram(tg.Tensor(X), 3, range=(2, 1)),
                                 RuntimeError, ["histogram", "min", "max"]),
    "histogram range shape": (lambda: tg.histogram(tg.Tensor(X), 3, range=(1,)), TypeError,
                              ["histogram", "range", "pair"]),
    "histogram edges unsorted": (lambda: tg.histogram(tg.Tensor(X), tg.Tensor([0.0, 2, 1])),
                                 ValueError, ["histogram", "increase"]),
    "histogram edges 2-d": (lambda: tg.histogram(tg.Tensor(X), tg.Tensor([[0.0, 1]])),
                            RuntimeError, ["histogram", "1-D", "(1, 2)"]),
    "histogram edges and range": (lambda: tg.histogram(tg.Tensor(X), tg.Tensor([0.0, 1]),
                                                       range=(0, 1)), TypeError,
                                  ["histogram", "range"]),
    "histogram weight shape": (lambda: tg.histogram(tg.Tensor(X), 3, weight=tg.Tensor(V6)),
                               RuntimeError, ["histogram", "weight", "(3, 6)", "(6,)"]),
    "histogram density": (lambda: tg.histogram(tg.Tensor(X), 3, density=1), TypeError,
                          ["histogram", "density"]),
    "trapezoid 0-d": (lambda: tg.trapezoid(tg.Tensor(1.0)), IndexError, ["trapezoid", "0-d"]),
    "trapezoid x length": (lambda: tg.trapezoid(tg.Tensor(Y), tg.Tensor(POINTS[:3])),
                           RuntimeError, ["trapezoid", "one x value", "3", "5"]),
    "trapezoid x 2-d": (lambda: tg.trapezoid(tg.Tensor(Y), tg.Tensor(np.ones((3, 4)))),
                        RuntimeError, ["trapezoid", "(3, 4)", "5"]),
    "trapezoid x broadcast": (lambda: tg.trapezoid(tg.Tensor(Y), tg.Tensor(np.ones((2, 5)))),
                              ValueError, ["trapezoid", "broadcast"]),
    "trapezoid x and dx": (lambda: tg.trapezoid(tg.Tensor(Y), tg.Tensor(POINTS), dx=1.0),
                           TypeError, ["trapezoid", "not both"]),
    "trapz dx 1-d": (lambda: tg.trapz(tg.Tensor(Y), dx=tg.Tensor([1.0, 2.0])), TypeError,
                     ["trapz", "dx"]),
    "cumulative_trapezoid dim": (lambda: tg.cumulative_trapezoid(tg.Tensor(Y), dim=2),
                                 IndexError, ["cumulative_trapezoid", "axis 2"]),
    "gradient edge_order 3": (lambda: tg.gradient(tg.Tensor(Y), edge_order=3), RuntimeError,
                              ["gradient", "edge_order", "3"]),
    "gradient too short": (lambda: tg.gradient(tg.Tensor(Y[:2]), edge_order=2), RuntimeError,
                           ["gradient", "edge_order + 1", "dimension 0"]),
    "gradient spacing count": (lambda: tg.gradient(tg.Tensor(Y), spacing=[1.0]), RuntimeError,
                               ["gradient", "spacing", "2", "1"]),
    "gradient coordinates length": (lambda: tg.gradient(tg.Tensor(Y), spacing=[
        tg.Tensor(POINTS[:3])], dim=1), RuntimeError, ["gradient", "(3,)", "5"]),
    "gradient bare coordinates": (lambda: tg.gradient(tg.Tensor(Y), spacing=tg.Tensor(POINTS),
                                                      dim=1), TypeError,
                                  ["gradient", "spacing=[x]"]),
    "gradient dim twice": (lambda: tg.gradient(tg.Tensor(Y), dim=[1, 1]), ValueError,
                           ["gradient", "twice"]),
    "mv vector first": (lambda: tg.mv(tg.Tensor(V), tg.Tensor(V)), RuntimeError,
                        ["mv", "input", "2-D", "(4,)"]),
    "mv sizes": (lambda: tg.mv(tg.Tensor(M), tg.Tensor(W)), RuntimeError,
                 ["mv", "(3, 4)", "(3,)"]),
    "inner sizes": (lambda: tg.inner(tg.Tensor(M), tg.Tensor(M.T)), RuntimeError,
                    ["inner", "(3, 4)", "(4, 3)"]),
    "vdot 2-d": (lambda: tg.vdot(tg.Tensor(M), tg.Tensor(V)), RuntimeError,
                 ["vdot", "1-D", "(3, 4)"]),
    "vdot sizes": (lambda: tg.vdot(tg.Tensor(V), tg.Tensor(W)), RuntimeError,
                   ["vdot", "4", "3"]),
    "ger 2-d": (lambda: tg.ger(tg.Tensor(M), tg.Tensor(V)), RuntimeError, ["ger", "(3, 4)"]),
    "addmv input shape": (lambda: tg.addmv(tg.Tensor(np.ones(2)), tg.Tensor(M), tg.Tensor(V)),
                          ValueError, ["addmv", "(2,)", "(3,)"]),
    "addmv beta string": (lambda: tg.addmv(tg.Tensor(W), tg.Tensor(M), tg.Tensor(V),
                                           beta="1"), TypeError, ["addmv", "beta"]),
    "addr vec 2-d": (lambda: tg.addr(tg.Tensor(M), tg.Tensor(M), tg.Tensor(V)), RuntimeError,
                     ["addr", "vec1", "(3, 4)"]),
    "addbmm batches": (lambda: tg.addbmm(tg.Tensor(np.ones((3, 5))), tg.Tensor(B1),
                                         tg.Tensor(np.ones((3, 4, 5)))), RuntimeError,
                       ["addbmm", "batches", "(2, 3, 4)", "(3, 4, 5)"]),
    "addbmm 2-d": (lambda: tg.addbmm(tg.Tensor(np.ones((3, 5))), tg.Tensor(M),
                                     tg.Tensor(np.ones((4, 5)))), RuntimeError,
                   ["addbmm", "batch1", "3-D"]),
    "baddbmm inner": (lambda: tg.baddbmm(tg.Tensor(np.ones((2, 3, 5))), tg.Tensor(B1),
                                         tg.Tensor(np.ones((2, 3, 5)))), RuntimeError,
                      ["baddbmm", "cannot be multiplied", "4 columns", "3 rows"]),
    "baddbmm input": (lambda: tg.baddbmm(tg.Tensor(np.ones((3, 3, 5))), tg.Tensor(B1),
                                         tg.Tensor(B2)), ValueError,
                      ["baddbmm", "(3, 3, 5)", "(2, 3, 5)"]),
    "chain_matmul none": (lambda: tg.chain_matmul(), RuntimeError, ["chain_matmul", "one or more"]),
    "chain_matmul vector": (lambda: tg.chain_matmul(tg.Tensor(M), tg.Tensor(V)), RuntimeError,
                            ["chain_matmul", "matrix 1", "(4,)"]),
    "chain_matmul sizes": (lambda: tg.chain_matmul(tg.Tensor(M), tg.Tensor(M)), ValueError,
                           ["multi_dot", "cannot be multiplied"]),
    "renorm p 0": (lambda: tg.renorm(tg.Tensor(M), 0, 0, 1.0), RuntimeError,
                   ["renorm", "p", "positive"]),
    "renorm maxnorm": (lambda: tg.renorm(tg.Tensor(M), 2, 0, -1.0), RuntimeError,
                       ["renorm", "maxnorm", "-1"]),
    "renorm 1-d": (lambda: tg.renorm(tg.Tensor(V), 2, 0, 1.0), RuntimeError,
                   ["renorm", "2 dimensions", "(4,)"]),
    "renorm dim": (lambda: tg.renorm(tg.Tensor(M), 2, 2, 1.0), IndexError, ["renorm", "axis 2"]),
    "logdet not square": (lambda: tg.logdet(tg.Tensor(M)), ValueError, ["(3, 4)"]),
    "frexp integers": (lambda: tg.frexp(tg.Tensor([1, 2], dtype="int64")), RuntimeError,
                       ["frexp", "floating-point", "int64"]),
    "ldexp shapes": (lambda: tg.ldexp(tg.Tensor(M), tg.Tensor(W)), ValueError,
                     ["ldexp", "(3, 4)", "(3,)", "broadcast"]),
    "ldexp None": (lambda: tg.ldexp(tg.Tensor(M), None), TypeError, ["ldexp", "other"]),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input_is_refused_in_one_line(name):
    call, kind, words = ERRORS[name]
    with pytest.raises(kind) as caught:
        call()
    text = str(caught.value)
    assert "\n" not in text
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"


# each function with arguments that work; each argument in turn is then spoiled
SMALL, PAIR, CUBE = tg.Tensor([[0.5, 1.5], [2.0, 3.0]]), tg.Tensor([1.0, 2.0]), \
    tg.Tensor(np.ones((2, 2, 2)))
WORKING_CALLS = {
    "cov": (SMALL,), "corrcoef": (SMALL,), "quantile": (SMALL, 0.5),
    "nanquantile": (SMALL, 0.5), "mode": (SMALL,), "histogram": (SMALL, 3),
    "trapezoid": (SMALL, PAIR), "trapz": (SMALL, PAIR), "cumulative_trapezoid": (SMALL, PAIR),
    "gradient": (SMALL,), "mv": (SMALL, PAIR), "inner": (SMALL, SMALL), "vdot": (PAIR, PAIR),
    "ger": (PAIR, PAIR), "addmv": (PAIR, SMALL, PAIR), "addr": (SMALL, PAIR, PAIR),
    "addbmm": (SMALL, CUBE, CUBE), "baddbmm": (CUBE, CUBE, CUBE), "chain_matmul": (SMALL, SMALL),
    "renorm": (SMALL, 2, 0, 1.0), "logdet": (SMALL,), "slogdet": (SMALL,), "frexp": (SMALL,),
    "ldexp": (SMALL, SMALL),
}
SPOILED = {"None": None, "string": "3", "bytes": b"x", "complex": 1j,
           "object array": np.array([1.0, None], dtype=object),
           "ragged list": [[1.0, 2.0], [3.0]], "dict": {"a": 1}}


@pytest.mark.parametrize("name", sorted(WORKING_CALLS))
def test_each_argument_spoiled_is_refused_in_one_line_naming_the_function(name):
    fn, args = getattr(tg, name), WORKING_CALLS[name]
    fn(*args)
    for position in range(len(args)):
        for what, bad in SPOILED.items():
            if bad is None and name in ("trapezoid", "trapz", "cumulative_trapezoid"):
                continue  # (x=None: the default, even spacing)
            spoiled = list(args)
            spoiled[position] = bad
            with pytest.raises((TypeError, ValueError, RuntimeError, IndexError)) as caught:
                fn(*spoiled)
            text = str(caught.value)
            assert "\n" not in text and name in text, f"argument {position} = {what}: {text}"
    with pytest.raises(TypeError, match=name):
        fn(*args, bogus_keyword=1)

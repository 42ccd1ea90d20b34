"""PyTorch's and NumPy's further elementwise ops against torch: atan2, hypot, fmod, trunc
(fix), frac, logit, xlogy, nan_to_num, fmax, fmin, copysign, sinc, heaviside and sgn.

Values and gradients over broadcast shapes, with zeros, -0.0, ties, +-inf and NaN among
the inputs, compared with torch's; gradcheck away from the kinks; float32 kept; integer
inputs' result dtypes; the ops reached through NumPy's ufuncs; their one-line errors.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

INF, NAN = np.inf, np.nan
RNG = np.random.default_rng(14)

# name: (ours, torch's as text)
BINARY = {
    "atan2": (tg.atan2, "torch.atan2"),
    "arctan2": (lambda x, y: x.arctan2(y), "torch.arctan2"),
    "hypot": (tg.hypot, "torch.hypot"),
    "fmod": (tg.fmod, "torch.fmod"),
    "xlogy": (tg.xlogy, "torch.xlogy"),
    "fmax": (tg.fmax, "torch.fmax"),
    "fmin": (tg.fmin, "torch.fmin"),
    "copysign": (tg.copysign, "torch.copysign"),
}
UNARY = {
    "trunc": (tg.trunc, "torch.trunc"),
    "fix": (lambda x: x.fix(), "torch.fix"),
    "frac": (tg.frac, "torch.frac"),
    "logit": (tg.logit, "torch.logit"),
    "logit with eps": (lambda x: x.logit(eps=0.2), "lambda x: x.logit(eps=0.2)"),
    "nan_to_num": (tg.nan_to_num, "torch.nan_to_num"),
    "nan_to_num with replacements": (lambda x: tg.nan_to_num(x, nan=1.5, posinf=9.0),
                                     "lambda x: torch.nan_to_num(x, nan=1.5, posinf=9.0)"),
    "sinc": (tg.sinc, "torch.sinc"),
}
# the edges each pair of broadcast operands meets: 0 against 0, -0.0, ties, inf, NaN
EDGE_X = [[0.0, -0.0, 1.5, 0.2], [-2.0, INF, NAN, -INF]]
EDGE_Y = [0.0, 1.5, -INF, 0.2]
EDGES_ONE = [0.0, -0.0, 0.2, 0.8, 1.0, -1.5, 2.5, INF, -INF, NAN, 0.999]


def _is_minus_zero(v: float) -> bool:
    return v == 0 and np.signbit(v)


def _torch_run(torch, text, arrays, weights):
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = eval(text, {"torch": torch})(*leaves)  # noqa: S307  (our own table)
        (out * torch.from_numpy(weights)).sum().backward()
    return out.detach().numpy(), [leaf.grad.numpy() for leaf in leaves]


def _our_run(fn, arrays, weights):
    leaves = [tg.Tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning may escape an op, nor its backward
        # (but the engine's sum of a broadcast gradient may add inf and -inf: not the op's)
        warnings.filterwarnings("ignore", "invalid value encountered in reduce")
        out = fn(*leaves)
        with np.errstate(all="ignore"):  # (the loss may be inf - inf: not the op's warning)
            loss = (out * weights).sum()
        loss.backward()
    return out.data, [leaf.grad.data for leaf in leaves]


def _compare(fn, text, arrays):
    torch = pytest.importorskip("torch")
    shape = np.broadcast_shapes(*[np.shape(a) for a in arrays])
    weights = RNG.uniform(0.5, 2.0, size=shape)
    theirs, their_grads = _torch_run(torch, text, arrays, weights)
    ours, our_grads = _our_run(fn, arrays, weights)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)
    for i, (got, expected) in enumerate(zip(our_grads, their_grads)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-300,
                                   err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((2, 1), (1, 3)), ((), (4,)),
                                    ((0, 3), (3,))])
def test_binary_values_and_gradients_match_torch(name, shapes):
    fn, text = BINARY[name]
    arrays = [RNG.normal(scale=2.0, size=s) for s in shapes]
    _compare(fn, text, arrays)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_edges_match_torch(name):
    fn, text = BINARY[name]
    _compare(fn, text, [np.array(EDGE_X), np.array(EDGE_Y)])
    _compare(fn, text, [np.array(EDGE_Y), np.array(EDGE_X)])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_and_gradients_match_torch_at_edges(name):
    fn, text = UNARY[name]
    if name == "logit":  # torch's gradient at -0.0 is inf from its one-entry loop, -inf
        # from its vectorised one (11 entries on an AVX2 machine): ours is inf, as 0's
        _compare(fn, text, [np.array([v for v in EDGES_ONE if not _is_minus_zero(v)])])
        _compare(fn, text, [np.array([-0.0])])
    else:
        _compare(fn, text, [np.array(EDGES_ONE)])
    _compare(fn, text, [RNG.uniform(-3, 3, size=(2, 3))])
    _compare(fn, text, [np.zeros((0, 2))])


def test_sinc_gradient_near_zero_matches_torch_and_stays_finite():
    _compare(tg.sinc, "torch.sinc", [np.array([1e-2, -3e-3, 0.5])])
    # nearer 0 PyTorch's formula cancels (losing digits below 1e-6, exactly 0 from 1e-9
    # down; the true slope is -pi**2 x / 3): finite differences
    assert tg.gradcheck(tg.sinc, [tg.Tensor([2e-4, -1e-6, 3e-5], requires_grad=True)])
    t = tg.Tensor([1e-170, -1e-300], requires_grad=True)
    tg.sinc(t).sum().backward()
    np.testing.assert_allclose(t.grad.data, -np.pi ** 2 / 3 * t.data, rtol=1e-12)


SMOOTH = {  # away from kinks, cuts and ties: finite differences see the gradient
    "atan2": (tg.atan2, (0.3, 2.0), (0.3, 2.0)),
    "hypot": (tg.hypot, (0.3, 2.0), (-2.0, -0.3)),
    "fmod": (tg.fmod, (0.1, 0.9), (1.1, 1.9)),
    "xlogy": (tg.xlogy, (-2.0, 2.0), (0.2, 2.0)),
    "fmax": (tg.fmax, (0.1, 0.9), (1.1, 1.9)),
    "fmin": (lambda x, y: tg.fmin(y, x), (0.1, 0.9), (1.1, 1.9)),
    "copysign": (tg.copysign, (0.3, 2.0), (-2.0, -0.3)),
    "heaviside": (tg.heaviside, (0.3, 2.0), (-2.0, 2.0)),
    "frac": (lambda x, y: tg.frac(x) * y, (0.1, 0.9), (-2.0, 2.0)),
    "trunc": (lambda x, y: tg.trunc(x + 1) * y, (0.1, 0.9), (-2.0, 2.0)),
    "logit": (lambda x, y: tg.logit(x / 2, eps=0.01) * y, (0.1, 0.9), (-2.0, 2.0)),
    "nan_to_num": (lambda x, y: tg.nan_to_num(x) * y, (-2.0, 2.0), (-2.0, 2.0)),
    "sinc": (lambda x, y: tg.sinc(x - 0.5) * y, (0.1, 0.9), (-2.0, 2.0)),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((1, 3), (2, 1)), ((), (2,))])
def test_gradcheck_over_broadcast_shapes(name, shapes):
    fn, x_range, y_range = SMOOTH[name]
    sign = np.where(RNG.random(shapes[0]) < 0.5, -1.0, 1.0) if name == "atan2" else 1.0
    x = tg.Tensor(sign * RNG.uniform(*x_range, size=shapes[0]), requires_grad=True)
    y = tg.Tensor(RNG.uniform(*y_range, size=shapes[1]), requires_grad=True)
    assert tg.gradcheck(fn, [x, y])


def test_heaviside_values_match_torch_and_its_gradient_goes_to_values_where_x_is_0():
    torch = pytest.importorskip("torch")
    x = np.array([[-1.0, 0.0, -0.0, 2.0, NAN, INF]])
    values = np.array([[0.5], [-3.0]])
    expected = torch.heaviside(torch.tensor(x), torch.tensor(values)).numpy()
    out = tg.heaviside(tg.Tensor(x), tg.Tensor(values))
    np.testing.assert_array_equal(out.data, expected)  # NaN gives 0, as PyTorch's
    assert np.isnan(np.heaviside(x, 0.5)[0, 4])  # (NumPy's gives NaN there)
    learned = tg.Tensor(values, requires_grad=True)
    assert tg.gradcheck(lambda v: tg.heaviside(tg.Tensor(x), v), [learned])
    tg.heaviside(tg.Tensor(x), learned).sum().backward()
    np.testing.assert_array_equal(learned.grad.data, [[2.0], [2.0]])  # the two zeros
    t = tg.Tensor(x, requires_grad=True)
    t.heaviside(0.5).sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.zeros_like(x))  # a step: gradient 0


def test_sgn_is_sign():
    torch = pytest.importorskip("torch")
    values = [[-2.0, -0.0, 0.0, 3.0, INF, -INF]]
    t = tg.Tensor(values, requires_grad=True)
    out = t.sgn()
    np.testing.assert_array_equal(out.data, torch.sgn(torch.tensor(values)).numpy())
    assert out.grad_fn.name == "sign" and tg.sgn(t).grad_fn.name == "sign"
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.zeros((1, 6)))
    for ints in ([-2, 0, 5], [True, False]):
        np.testing.assert_array_equal(tg.sgn(tg.as_tensor(ints)).data,
                                      torch.sgn(torch.tensor(ints)).numpy())


ALL = {**{name: (getattr(tg, name), 2) for name in BINARY}, "heaviside": (tg.heaviside, 2),
       **{name: (fn, 1) for name, (fn, _) in UNARY.items()}, "sgn": (tg.sgn, 1)}


@pytest.mark.parametrize("name", sorted(ALL))
def test_float32_is_kept(name):
    fn, arity = ALL[name]
    arrays = [RNG.uniform(0.1, 0.9, size=(2, 3)).astype(np.float32) for _ in range(arity)]
    leaves = [tg.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(t.grad.dtype == np.float32 for t in leaves)
    if arity == 2:  # against a Python number, either side, and a 0-d float64 tensor
        assert fn(leaves[0], 0.5).dtype == np.float32 == fn(0.5, leaves[0]).dtype
        assert fn(leaves[0], tg.Tensor(0.5)).dtype == np.float32


INTEGER_INPUTS = [[-3, 0, 4], [True, False, True]]


@pytest.mark.parametrize("name", ["atan2", "copysign", "xlogy", "fmax", "fmin", "fmod",
                                  "heaviside"])
@pytest.mark.parametrize("kind", ["int64", "bool"])
def test_integer_inputs_give_torchs_dtype(name, kind):
    """PyTorch's result dtype, its default float (float32) read as the package's, float64."""
    torch = pytest.importorskip("torch")
    values = INTEGER_INPUTS[kind == "bool"]
    divisors = [2, -3, 5] if kind == "int64" else [True, True, True]
    try:
        theirs = getattr(torch, name)(torch.tensor(values), torch.tensor(divisors))
    except (RuntimeError, NotImplementedError):
        with pytest.raises(TypeError, match=f"{name}: not defined for booleans"):
            getattr(tg, name)(tg.as_tensor(values), tg.as_tensor(divisors))
        return
    ours = getattr(tg, name)(tg.as_tensor(values), tg.as_tensor(divisors))
    expected = np.float64 if theirs.dtype.is_floating_point else theirs.numpy().dtype
    assert ours.dtype == expected
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["trunc", "fix", "nan_to_num", "sinc", "logit"])
def test_integer_input_of_one_op_gives_torchs_dtype(name):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch, name)(torch.tensor([-3, 0, 4]))
    ours = getattr(tg, name)(tg.as_tensor([-3, 0, 4]))
    assert ours.dtype == (np.float64 if theirs.dtype.is_floating_point else np.int64)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6, atol=1e-6)


def test_integers_where_torch_refuses_them():
    """hypot and frac of integers: PyTorch refuses, NumPy's hypot gives float64."""
    a, b = tg.as_tensor([3, 5]), tg.as_tensor([4, 12])
    assert tg.hypot(a, b).dtype == np.float64
    np.testing.assert_array_equal(tg.hypot(a, b).data, [5.0, 13.0])
    assert tg.frac(a).dtype == np.int64 and not tg.frac(a).data.any()
    assert tg.trunc(tg.as_tensor([True, False])).dtype == np.bool_


@pytest.mark.parametrize("ufunc, name", [(np.arctan2, "atan2"), (np.hypot, "hypot"),
                                         (np.fmod, "fmod"), (np.fmax, "fmax"),
                                         (np.fmin, "fmin"), (np.copysign, "copysign"),
                                         (np.heaviside, "heaviside")])
def test_numpy_ufuncs_on_tensors_run_the_ops(ufunc, name):
    x = tg.Tensor([[1.5, -2.0, 0.5]], requires_grad=True)
    y = np.array([[0.7], [-1.3]])
    out = ufunc(x, y)
    assert isinstance(out, tg.Tensor) and out.grad_fn.name == name
    np.testing.assert_allclose(out.data, ufunc(x.data, y), rtol=1e-15)
    out.sum().backward()
    expected = tg.Tensor(x.data, requires_grad=True)
    getattr(tg, name)(expected, y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, expected.grad.data)


def test_numpy_trunc_and_sign_on_a_tensor_run_the_ops():
    x = tg.Tensor([1.7, -2.5], requires_grad=True)
    assert np.trunc(x).grad_fn.name == "trunc" and np.sign(x).grad_fn.name == "sign"
    np.testing.assert_array_equal(np.trunc(x).data, [1.0, -2.0])


@pytest.mark.parametrize("call, error, match", [
    (lambda x: tg.logit(x, eps="a"), TypeError, r"logit: eps must be a number, got str 'a'"),
    (lambda x: x.logit(0.1, 0.2), TypeError, r"logit: takes at most 1 argument \(eps\) but 2"),
    (lambda x: tg.nan_to_num(x, nan="a"), TypeError, r"nan_to_num: nan must be a number"),
    (lambda x: x.nan_to_num(posinf=[1.0]), TypeError, r"nan_to_num: posinf must be a number"),
    (lambda x: tg.nan_to_num(x, neginf=True), TypeError, r"nan_to_num: neginf must be a num"),
    (lambda x: tg.atan2(x, tg.ones(3)), ValueError,
     r"atan2: shapes \(2,\), \(3,\) do not broadcast together"),
    (lambda x: tg.hypot(x, "a"), TypeError, r"hypot: expected numeric data"),
    (lambda x: tg.heaviside(x), TypeError,
     r"heaviside: missing 1 required positional argument: 'values'"),
    (lambda x: x.fmax(), TypeError, r"fmax: missing 1 required positional argument"),
    (lambda x: tg.fmod(tg.as_tensor([4, 5]), tg.as_tensor([2, 0])), RuntimeError,
     r"fmod: integer division by zero"),
    (lambda x: tg.fmod(tg.as_tensor([True]), True), TypeError,
     r"fmod: not defined for booleans"),
    (lambda x: tg.xlogy(x, None), TypeError, r"xlogy: input 2 of 2 is None, not a tensor"),
])
def test_bad_arguments_get_one_line_errors(call, error, match):
    x = tg.Tensor([0.25, 0.5], requires_grad=True)
    with pytest.raises(error, match=match) as caught:
        call(x)
    assert "\n" not in str(caught.value)


def test_fmod_and_remainder_differ_in_sign_as_in_torch():
    torch = pytest.importorskip("torch")
    x, y = np.array([5.0, -5.0, 5.0, -5.0]), np.array([3.0, 3.0, -3.0, -3.0])
    np.testing.assert_array_equal(tg.fmod(x, y).data, torch.fmod(torch.tensor(x),
                                                                 torch.tensor(y)).numpy())
    assert (tg.fmod(x, y).data != tg.remainder(x, y).data).any()
    ints = tg.fmod(tg.as_tensor([7, -7]), tg.as_tensor([2, 2]))
    assert ints.dtype == np.int64
    np.testing.assert_array_equal(ints.data, [1, -1])


# Review fixes ------------------------------------------------------------------------------
@pytest.mark.parametrize("eps", [-0.1, -1e-300])
def test_logit_with_a_negative_eps_is_torchs_logit_without_eps(eps):
    torch = pytest.importorskip("torch")
    values = np.array([-0.5, 0.0, 0.05, 0.3, 0.5, 0.95, 1.0, 1.5])
    x = tg.tensor(values, requires_grad=True)
    tg.logit(x, eps).sum().backward()
    tx = torch.tensor(values, requires_grad=True)
    torch.logit(tx, eps).sum().backward()
    np.testing.assert_array_equal(tg.logit(values, eps).data, torch.logit(tx, eps).detach())
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())  # (NaN outside [0, 1])
    assert np.isnan(x.grad.data[[0, -1]]).all()


def test_sign_of_nan_stays_nan_as_numpys_not_pytorchs_0():
    """The one place sign departs from PyTorch (its docstring says so): a NaN is kept,
    as NumPy's np.sign keeps it, rather than hidden as 0."""
    for name in ("sign", "sgn"):
        out = getattr(tg, name)(tg.Tensor([float("nan"), -1.0]))
        assert np.isnan(out.data[0]) and out.data[1] == -1.0
    assert np.isnan(np.sign(np.nan))


# Second read fixes ---------------------------------------------------------------------------
def _prose(doc):
    """A docstring's text outside `code` spans."""
    return re.sub(r"`[^`]*`", "", doc)




@pytest.mark.parametrize("name", ["atan2", "hypot", "sinc"])
def test_pointwise_docstring_formulas_are_code_not_bold(name):
    assert "**" not in _prose(getattr(tg, name).__doc__)  # (Markdown would make it bold)


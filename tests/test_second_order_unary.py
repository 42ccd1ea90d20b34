"""Second derivatives of the unary, pointwise and activation ops (unary.py, pointwise.py,
activations.py) at the points their first-order tests keep away from.

`tests/test_second_order.py` gradient-checks each op's `backward_graph` on smooth drawn
inputs. Here: PyTorch's second derivatives (the gradient of the create_graph=True gradient,
with respect to the inputs and to the seed) at 0, kinks, ties of maximum/minimum, domain
edges and large |x|; where PyTorch's is an artefact (NaN where the first derivative it
gives is finite), the exact value instead; step functions with an infinite incoming
gradient; broadcasting, 0-d and empty shapes and the ops' options with `gradgradcheck`;
third derivatives against PyTorch's.
"""
from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

UNARY = ["square", "reciprocal", "rsqrt", "sin", "cos", "tan", "log1p", "expm1", "log2",
         "log10", "exp2", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
         "arctanh", "deg2rad", "rad2deg", "sign", "floor", "ceil", "trunc", "round", "frac",
         "logit", "nan_to_num", "sinc", "softplus", "elu", "gelu", "silu", "hardtanh", "relu6",
         "celu", "softsign", "mish", "hardswish", "quick_gelu"]
BINARY = ["atan2", "hypot", "fmod", "xlogy", "maximum", "minimum", "fmax", "fmin", "copysign",
          "heaviside", "logaddexp", "logaddexp2"]
STEPS = ["sign", "floor", "ceil", "trunc", "round"]


def _torch():
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)  # (undone after each test: _torch_default_kept)
    return torch


@pytest.fixture(autouse=True)
def _torch_default_kept():
    """torch's default dtype as it was before the test (float32 if torch was not loaded):
    set_default_dtype is global, and later tests' torch comparisons rely on its default."""
    torch = sys.modules.get("torch")
    before = torch.get_default_dtype() if torch is not None else None
    yield
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_default_dtype(before or torch.float32)


def second(fn, arrays, seed=None, weights=None, lib=tg):
    """fn's gradients (create_graph=True, seeded with `seed`) and the gradients of their
    weighted sum with respect to the inputs and the seed, as float64 arrays."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    shape = np.broadcast_shapes(*[a.shape for a in arrays])
    seed = np.ones(shape) if seed is None else np.asarray(seed, dtype=np.float64)
    weights = [np.ones(a.shape) for a in arrays] if weights is None else weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NaN and inf are answers here)
        if lib is tg:
            xs = [tg.Tensor(a, requires_grad=True) for a in arrays]
            u = tg.Tensor(seed, requires_grad=True)
            firsts = tg.autograd.grad(fn(*xs), xs, grad_outputs=u, create_graph=True)
            total = sum((g * w).sum() for g, w in zip(firsts, weights))
            seconds = tg.autograd.grad(total, xs + [u], materialize_grads=True)
            return [values(g) for g in firsts], [values(s) for s in seconds]
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        u = lib.tensor(seed, requires_grad=True)
        firsts = lib.autograd.grad(fn(*xs), xs, grad_outputs=u, create_graph=True)
        total = sum((g * lib.tensor(w)).sum() for g, w in zip(firsts, weights))
        seconds = lib.autograd.grad(total, xs + [u], allow_unused=True, materialize_grads=True)
        return [g.detach().numpy() for g in firsts], [s.detach().numpy() for s in seconds]


def values(t):
    """A gradient's values (through tolist: a 0-d leaf's gradient summed from two uses
    comes out of tg.autograd.grad holding a NumPy scalar, whose `.data` fails)."""
    return np.array(t.tolist(), dtype=np.float64).reshape(t.shape)


def assert_close(ours, theirs, rtol=1e-7):
    for k, (a, b) in enumerate(zip(ours[0] + ours[1], theirs[0] + theirs[1])):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12, equal_nan=True,
                                   err_msg=f"entry {k} (first derivatives, then seconds)")


def t_fn(name, **options):
    """PyTorch's function of that name (torch., then torch.nn.functional.)."""
    torch = _torch()
    spelled = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
               "arccosh": "acosh", "arctanh": "atanh"}.get(name, name)
    fn = getattr(torch, spelled, None) or getattr(torch.nn.functional, spelled)
    return lambda *ts: fn(*ts, **options)


def g_fn(name, **options):
    return lambda *ts: getattr(tg, name)(*ts, **options)


# (name, options, points): the unary ops at their edges, where PyTorch's second derivative
# is defined (NaN and inf agree too: at domain edges and beyond)
UNARY_EDGES = [
    ("square", {}, [0, -3, 1e200]),
    ("reciprocal", {}, [0, -2, 1e-200, 1e300]),
    ("rsqrt", {}, [0, -1, 1e-300, 4]),
    ("sin", {}, [0, 1e3, -2]),
    ("cos", {}, [0, 1e3, -2]),
    ("tan", {}, [0, 1.5, np.pi / 2]),
    ("log1p", {}, [0, -1, -0.5, -2, 1e300]),
    ("expm1", {}, [0, 30, -800, 710]),
    ("log2", {}, [0, 1, -1, 1e-300]),
    ("log10", {}, [0, 1, -1]),
    ("exp2", {}, [0, 50, -1100, 1025]),
    ("arcsin", {}, [0, 0.999, -1, 1, 2]),
    ("arccos", {}, [0, 0.999, -1, 1, 2]),
    ("arctan", {}, [0, 1e200, -3]),
    ("sinh", {}, [0, 30, -800]),
    ("cosh", {}, [0, 30, -800]),
    ("arcsinh", {}, [0, 1e200, -3]),
    ("arccosh", {}, [1, 1.001, 0.5, 1e200]),
    ("arctanh", {}, [0, 0.999, 1, -1, 2]),
    ("deg2rad", {}, [0, 1e3]),
    ("rad2deg", {}, [0, 1e3]),
    ("frac", {}, [0, 1.5, -1.25]),
    ("logit", {}, [0.5, 0.1, 0.0, 1.0]),  # (NaN at 0 and 1 without eps, as PyTorch's)
    ("logit", {"eps": 0.1}, [0.5, 0.1, 0.9, 0.05, 0.95]),
    ("nan_to_num", {}, [0, np.inf, -np.inf, np.nan, 2]),
    ("sinc", {}, [0.5, 1, -2.5, 0.01]),
    ("softplus", {}, [0, 30, -30, 800, -800]),
    ("softplus", {"beta": 2.0}, [0, 5, -5]),
    ("elu", {}, [0, -1, 1, -800]),  # (at 0: PyTorch's 0, its mask x < 0)
    ("elu", {"alpha": 2.0}, [0, -1, 1]),
    ("celu", {"alpha": 0.5}, [0, -1, 1, -800]),
    ("gelu", {}, [0, 10, -10, 40, -40, 1.3]),
    ("gelu", {"approximate": "tanh"}, [0, 10, -10, 1.3]),
    ("silu", {}, [0, 40, -40, 800, -800]),
    ("hardtanh", {}, [0, -1, 1, 2, -2]),  # (the bounds: no gradient)
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}, [-0.5, 2.0, 1.0]),
    ("relu6", {}, [0, 6, 3, -1, 7]),
    ("softsign", {}, [0, 1, -1, 1e200]),
    ("mish", {}, [0, 40, -40, -800]),
    ("hardswish", {}, [0, -3, 3, 1, -4, 4]),  # (0 at the kinks -3 and 3, as PyTorch's)
]


@pytest.mark.torch
@pytest.mark.parametrize("name, options, points", UNARY_EDGES,
                         ids=[f"{n}-{'-'.join(map(str, o.values())) or 'default'}"
                              for n, o, _ in UNARY_EDGES])
def test_unary_second_derivative_at_edges_matches_torch(name, options, points):
    torch = _torch()
    x = np.array(points, dtype=np.float64)
    seed = np.linspace(0.5, 1.5, x.size)  # (not all 1: the seed's derivative is checked)
    ours = second(g_fn(name, **options), [x], seed)
    assert_close(ours, second(t_fn(name, **options), [x], seed, lib=torch))


@pytest.mark.torch
def test_logit_outside_zero_to_one_has_a_nan_gradient_whose_seed_derivative_is_nan():
    # without eps the gradient outside [0, 1] is NaN, as PyTorch's; here it is g * NaN,
    # so its derivative in the seed g is NaN too, and forward mode's tangent NaN as
    # PyTorch's forward mode gives; PyTorch's double backward takes it as a constant (0)
    torch = _torch()
    x, seed = np.array([-0.5, 0.25, 1.5]), np.array([0.5, 1.0, 1.5])
    (first,), (in_x, in_seed) = second(g_fn("logit"), [x], seed)
    (t_first,), (t_in_x, t_in_seed) = second(t_fn("logit"), [x], seed, lib=torch)
    np.testing.assert_array_equal(first, t_first)  # (NaN, 1 / (x (1 - x)) * g, NaN)
    np.testing.assert_array_equal(np.isnan(in_x), np.isnan(t_in_x))
    np.testing.assert_array_equal(np.isnan(in_seed), [True, False, True])
    assert in_seed[1] == t_in_seed[1] and (t_in_seed[[0, 2]] == 0).all()
    with tg.autograd.forward_ad.dual_level():
        dual = tg.autograd.forward_ad.make_dual(tg.tensor(x), tg.tensor(seed))
        tangent = tg.autograd.forward_ad.unpack_dual(tg.logit(dual)).tangent
    np.testing.assert_array_equal(np.isnan(tangent.numpy()), [True, False, True])


@pytest.mark.torch
def test_quick_gelu_second_derivative_matches_torch_composition():
    torch = _torch()
    x = np.array([0, 40, -40, 800, -800, 1.1])
    theirs = second(lambda t: t * torch.sigmoid(1.702 * t), [x], lib=torch)
    assert_close(second(tg.quick_gelu, [x]), theirs)


# (name, x, y): ties, NaN, zeros, infinities; each pair of entries one case
BINARY_EDGES = [
    ("maximum", [1, 2, 0, np.nan, 1, -0.0], [1, 1, 3, 1, np.nan, 0.0]),  # ties: split evenly
    ("minimum", [1, 2, 0, np.nan, 1, -0.0], [1, 1, 3, 1, np.nan, 0.0]),
    ("fmax", [1, 2, 0, np.nan, 1, np.nan], [1, 1, 3, 1, np.nan, np.nan]),  # ties: all to x
    ("fmin", [1, 2, 0, np.nan, 1, np.nan], [1, 1, 3, 1, np.nan, np.nan]),
    ("atan2", [1, 0, -1, 3, 1e-3], [0, 1, 0, -2, -1e-3]),
    ("hypot", [0, 1, 0, 3, 1e200, 0], [0, 0, 1, 4, 1e200, -2]),  # (NaN at the origin)
    ("fmod", [3.0, -3.0, 2.5, 1, 0], [1.5, 1.5, -1, 0, 2]),  # (whole quotients, y = 0)
    ("xlogy", [0, 0, 0, 1, 2, 0, 1, 0], [0, -1, 2, 0, 3, np.inf, np.inf, np.nan]),
    ("copysign", [1, -2, 3, -0.5], [-1, -0.0, 0.0, np.inf]),
    ("logaddexp", [0, 1, 5, 30, -3], [0, 1, 5.5, -30, -3]),  # (ties x == y)
    ("logaddexp2", [0, 1, 5, 30, -3], [0, 1, 5.5, -30, -3]),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, x, y", BINARY_EDGES, ids=[c[0] for c in BINARY_EDGES])
def test_binary_second_derivative_at_edges_matches_torch(name, x, y):
    torch = _torch()
    seed = np.linspace(0.5, 1.5, len(x))
    weights = [np.full(len(x), 0.7), np.full(len(x), -1.3)]
    ours = second(g_fn(name), [x, y], seed, weights)
    assert_close(ours, second(t_fn(name), [x, y], seed, weights, lib=torch))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["atan2", "hypot", "xlogy", "maximum", "minimum", "fmax",
                                  "fmin", "copysign", "logaddexp", "logaddexp2", "fmod"])
@pytest.mark.parametrize("shapes", [((2, 1), (3,)), ((), (2, 3)), ((2, 3), ())],
                         ids=["column-row", "0d-matrix", "matrix-0d"])
def test_binary_second_derivative_broadcast_matches_torch(name, shapes):
    torch = _torch()
    rng = np.random.default_rng(7)
    x, y = (rng.uniform(0.3, 2, s) * rng.choice([-1, 1], s) for s in shapes)
    if name == "xlogy":
        y = np.abs(y)
    shape = np.broadcast_shapes(*shapes)
    seed, weights = rng.standard_normal(shape), [rng.standard_normal(s) for s in shapes]
    ours = second(g_fn(name), [x, y], seed, weights)
    assert_close(ours, second(t_fn(name), [x, y], seed, weights, lib=torch))


# ------------------------------------------------- where PyTorch's is an artefact: exact


def test_sinc_second_derivative_at_and_near_zero_is_exact():
    """-pi**2 / 3 at 0 and pi**2 (angle**2 / 10 - 1/3) near it (the series); PyTorch's is
    NaN at 0 (its first derivative there is 0) and loses digits near it."""
    x = np.array([0.0, 1e-4, -1e-5, 1e-9])
    (first,), (curvature, slope) = second(tg.sinc, [x])
    angle = np.pi * x
    np.testing.assert_allclose(curvature, np.pi ** 2 * (angle ** 2 / 10 - 1 / 3), rtol=1e-12)
    np.testing.assert_allclose(slope, first, rtol=1e-15)  # (d/dseed: the first derivative)
    assert first[0] == 0


def test_atan2_second_derivative_at_origin_is_zero():
    """The gradient is 0 where x**2 + y**2 is 0 (or underflows), as PyTorch's: so is its
    derivative (PyTorch's second derivative there is NaN)."""
    firsts, seconds = second(tg.atan2, [[0.0, 1e-200, 0.0], [0.0, 1e-200, -0.0]])
    for values in firsts + seconds:
        np.testing.assert_array_equal(values, 0.0)


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_second_derivative_far_apart_is_zero(name):
    """sigmoid's derivative underflows to 0 (PyTorch's is NaN for |x - y| = 2000, and
    for x = -inf)."""
    firsts, seconds = second(getattr(tg, name), [[1000.0, -1000.0, -np.inf],
                                                 [-1000.0, 1000.0, 0.0]])
    np.testing.assert_array_equal(firsts[0], [1, 0, 0])
    for values in seconds[:2]:
        np.testing.assert_array_equal(values, 0.0)


def test_mish_second_derivative_at_large_x_is_zero():
    (first,), (curvature, _) = second(tg.mish, [[800.0, 1e5]])  # (PyTorch's: NaN)
    np.testing.assert_array_equal(first, 1.0)
    np.testing.assert_array_equal(curvature, 0.0)


def test_copysign_second_derivative_at_zero_and_inf_is_zero():
    """The gradient is a sign (0 at x = 0, NaN at +-inf, as PyTorch's): constant, so its
    derivative is 0 (PyTorch's second derivative is NaN there)."""
    firsts, seconds = second(tg.copysign, [[0.0, -0.0, np.inf], [1.0, -1.0, -1.0]])
    np.testing.assert_array_equal(firsts[0], [0, 0, np.nan])
    np.testing.assert_array_equal(seconds[0], 0.0)


def test_logit_with_eps_second_derivative_beyond_the_bounds_is_zero():
    """With eps the gradient is 0 beyond [eps, 1 - eps] (PyTorch's too): so is its
    derivative (PyTorch's is NaN at 0 and 1)."""
    firsts, seconds = second(lambda t: tg.logit(t, eps=0.1), [[0.0, 1.0, 0.02, 0.99]])
    for values in firsts + seconds:
        np.testing.assert_array_equal(values, 0.0)


# ------------------------------------------------- steps and heaviside: exactly 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (sqrt at 0)
@pytest.mark.parametrize("name", STEPS)
def test_step_gradient_is_zero_even_from_an_infinite_gradient(name):
    """sqrt(floor(x)) at floor(x) = 0: sqrt's gradient is inf; floor's is still 0 (not
    0 * inf), in the create_graph=True pass as in the plain one, and so is its derivative."""
    x = tg.Tensor(np.array([0.25, 0.5, 2.7]), requires_grad=True)
    (g,) = tg.autograd.grad(getattr(tg, name)(x).sqrt().sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.data, 0.0)
    (h,) = tg.autograd.grad(g.sum(), [x], materialize_grads=True)
    np.testing.assert_array_equal(h.data, 0.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (sqrt at 0)
def test_heaviside_gradients_and_second_derivatives():
    """PyTorch refuses to differentiate heaviside: x's gradient is 0 (a step; 0 from an
    infinite gradient too), values' is the seed where x == 0; all second derivatives 0."""
    firsts, seconds = second(tg.heaviside, [[0.0, 1.0, -2.0], [0.5, 0.5, 0.5]], [2.0, 3, 4])
    np.testing.assert_array_equal(firsts[0], 0.0)
    np.testing.assert_array_equal(firsts[1], [2, 0, 0])
    np.testing.assert_array_equal(seconds[2], [1, 0, 0])  # (d/dseed: values' weight 1)
    x = tg.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    (g,) = tg.autograd.grad(tg.heaviside(x, 0.0).sqrt().sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.data, 0.0)


# ------------------------------------------------- shapes, options, third derivatives

OPTIONS = [("logit", {"eps": 0.3}, 0.05, 0.95), ("gelu", {"approximate": "tanh"}, -3, 3),
           ("softplus", {"beta": 2.0}, -3, 3), ("elu", {"alpha": 0.5}, -3, 3),
           ("celu", {"alpha": 2.0}, -3, 3), ("hardtanh", {"min_val": -0.5, "max_val": 1.5}, -3, 3),
           ("round", {"decimals": 1}, -3, 3), ("nan_to_num", {"nan": 1.0}, -3, 3)]
DOMAINS = {"rsqrt": (0.2, 2), "log1p": (0.1, 1), "log2": (0.2, 2), "log10": (0.2, 2),
           "arcsin": (-0.7, 0.7), "arccos": (-0.7, 0.7), "arccosh": (1.3, 3),
           "arctanh": (-0.7, 0.7), "logit": (0.2, 0.8), "tan": (-1, 1)}


@pytest.mark.parametrize("shape", [(), (0,), (2, 0), (2, 3)], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_gradgradcheck_on_every_shape(name, shape):
    low, high = DOMAINS.get(name, (-2, 2))
    x = np.random.default_rng(3).uniform(low, high, shape) + 0.013  # (clear of steps' jumps)
    assert tg.gradgradcheck(getattr(tg, name), [tg.Tensor(x, requires_grad=True)])


@pytest.mark.parametrize("name, options, low, high", OPTIONS, ids=[o[0] for o in OPTIONS])
def test_gradgradcheck_with_options(name, options, low, high):
    x = np.random.default_rng(4).uniform(low, high, (6,))
    assert tg.gradgradcheck(g_fn(name, **options), [tg.Tensor(x, requires_grad=True)])


@pytest.mark.parametrize("shapes", [((0,), ()), ((2, 0), (1, 1)), ((3,), (2, 1))], ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradgradcheck_on_broadcast_and_empty_shapes(name, shapes):
    rng = np.random.default_rng(5)
    x, y = (rng.uniform(0.3, 2, s) * rng.choice([-1, 1], s) for s in shapes)
    if name == "xlogy":
        y = np.abs(y)
    if name == "heaviside":
        x = np.where(np.arange(x.size).reshape(x.shape) % 2 == 0, 0.0, x)  # (the step itself)
    inputs = [tg.Tensor(x, requires_grad=True), tg.Tensor(y, requires_grad=True)]
    assert tg.gradgradcheck(getattr(tg, name), inputs)


THIRD = [("sin", [-1.3, 0.3, 1.6]), ("tan", [-1.0, 0.2, 1.1]), ("arcsin", [0.2, -0.5, 0.8]),
         ("rsqrt", [0.2, 0.5, 2.0]), ("reciprocal", [-1.3, 0.3, 1.6]), ("softplus", [-1.3, 0, 1.6]),
         ("gelu", [-1.3, 0.3, 1.6]), ("silu", [-1.3, 0.3, 1.6]), ("mish", [-1.3, 0.3, 1.6]),
         ("elu", [-1.3, -0.4, 1.6]), ("logit", [0.2, 0.5, 0.8]), ("sinc", [-1.3, 0.3, 1.6]),
         ("softsign", [-1.3, 0.3, 1.6]), ("arccosh", [1.2, 1.5, 3.0])]


@pytest.mark.torch
@pytest.mark.parametrize("name, points", THIRD, ids=[c[0] for c in THIRD])
def test_third_derivative_matches_torch(name, points):
    """The ops a backward_graph uses have one too: differentiable again."""
    torch = _torch()

    def third(fn, lib, x):
        if lib is tg:
            t = tg.Tensor(np.array(x), requires_grad=True)
            (g,) = tg.autograd.grad(fn(t).sum(), [t], create_graph=True)
            (h,) = tg.autograd.grad(g.sum(), [t], create_graph=True)
            return values(tg.autograd.grad(h.sum(), [t])[0])
        t = torch.tensor(x, requires_grad=True)
        (g,) = torch.autograd.grad(fn(t).sum(), [t], create_graph=True)
        (h,) = torch.autograd.grad(g.sum(), [t], create_graph=True)
        return torch.autograd.grad(h.sum(), [t])[0].numpy()

    np.testing.assert_allclose(third(g_fn(name), tg, points),
                               third(t_fn(name), torch, points), rtol=1e-8, atol=1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["atan2", "hypot", "xlogy", "logaddexp", "logaddexp2"])
def test_binary_third_derivative_matches_torch(name):
    torch = _torch()
    x, y = [-1.3, 0.3, 1.6], [0.9, 1.7, 0.4]

    def third(fn, lib):
        if lib is tg:
            ts = [tg.Tensor(np.array(v), requires_grad=True) for v in (x, y)]
            grad = tg.autograd.grad
        else:
            ts = [torch.tensor(v, requires_grad=True) for v in (x, y)]
            grad = torch.autograd.grad
        gs = grad(fn(*ts).sum(), ts, create_graph=True)
        hs = grad(sum(g.sum() for g in gs), ts, create_graph=True)
        return [values(k) if lib is tg else k.detach().numpy()
                for k in grad(sum(h.sum() for h in hs), ts)]

    for ours, theirs in zip(third(g_fn(name), tg), third(t_fn(name), torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


def test_pointwise_base_gives_no_backward_graph_without_derivative_graph():
    """unary._Pointwise's backward_graph needs `derivative_graph` (the derivative in Tensor
    ops): a user's subclass with neither that nor its own backward_graph is differentiated
    twice through its backward run on tensors, or, where its derivative reads values into
    NumPy, gives values whose derivative is refused in one line."""
    from tinygrad_gd.higher_order import has_backward_graph
    from tinygrad_gd.ops.unary import _Pointwise

    class Cube(_Pointwise, register=False):
        fn = staticmethod(lambda x: x ** 3)
        derivative = staticmethod(lambda x: 3 * x * x)

    class Cubed(Cube, register=False):
        derivative_graph = Cube.derivative

    class Read(Cube, register=False):
        derivative = staticmethod(lambda x: 3 * np.asarray(x) ** 2)

    assert not has_backward_graph(Cube) and has_backward_graph(Cubed)
    x = tg.Tensor(np.array([0.5, -2.0]), requires_grad=True)
    for op in (Cubed, Cube):
        (g,) = tg.autograd.grad(op.apply(x).sum(), [x], create_graph=True)
        np.testing.assert_allclose(tg.autograd.grad(g.sum(), [x])[0].data, [3.0, -12.0])
    (g,) = tg.autograd.grad(Read.apply(x).sum(), [x], create_graph=True)  # values
    with pytest.raises(NotImplementedError, match="read a tensor's values into NumPy"):
        tg.autograd.grad(g.sum(), [x])
    assert math.isclose(Read.apply(x).data[1], -8.0)

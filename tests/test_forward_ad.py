"""Forward-mode AD (`tinygrad_gd.forward_ad`, PyTorch's `torch.autograd.forward_ad`): the
tangents ops give their outputs against torch's and against finite differences, in float64
and float32; levels, what a dual tensor is to reverse mode, users' ops (their `jvp`, or
their backward_graph), and the errors, of the same types as torch's, in one line.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import forward_ad as fwAD

DTYPES = [np.float64, np.float32]
# (torch's own: its functorch imports torch.jit.script)
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

# name -> (function of (library, its nn.functional, *inputs), input shapes); each input is
# dual in turn, then all together (in torch too); the positive() ones keep x > 0
CASES = {
    "broadcast arithmetic": (lambda L, F, x, y: x * y + x / (y.abs() + 1) - 2 * y,
                             [(3, 4), (4,)]),
    "pow": (lambda L, F, x, y: x.abs() ** y + 2 ** x + x ** 3, [(3,), (3,)]),
    "matmul and tanh": (lambda L, F, x, y: (x @ y).tanh(), [(3, 4), (4, 2)]),
    "reductions": (lambda L, F, x: (x.exp().sum(1, keepdim=True) * x).mean(1)
                   + x.amax(1) + x.var(dim=1), [(3, 4)]),
    "softmax": (lambda L, F, x: F.log_softmax(x, dim=-1) + F.softmax(x, dim=0), [(3, 4)]),
    "shape and indexing": (lambda L, F, x: L.cat([x[1:, ::2].T.reshape(-1), x[0],
                                                   x.flip(0)[:, 1]]), [(3, 4)]),
    "where and clamp": (lambda L, F, x, y: L.where(x > 0, x, y) * L.maximum(x, y)
                        + x.clamp(-0.5, 0.5), [(4,), (4,)]),
    "conv2d and max_pool2d": (lambda L, F, x, w: F.max_pool2d(F.conv2d(x, w, padding=1), 2),
                              [(1, 2, 4, 4), (3, 2, 3, 3)]),
    "losses": (lambda L, F, x, y: F.mse_loss(x, y) + F.cross_entropy(x, L.tensor([0, 2, 1]))
               + F.binary_cross_entropy_with_logits(x, y.sigmoid()), [(3, 4), (3, 4)]),
    "linalg": (lambda L, F, x: L.linalg.inv(x @ x.T + L.eye(3, dtype=x.dtype)).sum(0)
               * L.linalg.det(x @ x.T), [(3, 3)]),
}


@pytest.fixture
def torch():
    """PyTorch, to compare with (never a dependency: skipped without it)."""
    return pytest.importorskip("torch")


def _tolerance(dtype):
    return dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-5)


def _arrays(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def _tangent(lib, ad, fn, arrays, tangents):
    """(output, its tangent) of fn at `arrays`, the inputs with a tangent given dual."""
    with ad.dual_level():
        inputs = [lib.tensor(a) if t is None else ad.make_dual(lib.tensor(a), lib.tensor(t))
                  for a, t in zip(arrays, tangents)]
        out = fn(lib, lib.nn.functional, *inputs)
        return ad.unpack_dual(out)


def _which_dual(count):
    """Each input alone dual, then all of them."""
    return [[k == j for k in range(count)] for j in range(count)] + [[True] * count]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.torch
def test_tangents_are_torchs(name, dtype, torch):
    torch_fwAD = torch.autograd.forward_ad
    fn, shapes = CASES[name]
    arrays, directions = _arrays(shapes, dtype), _arrays(shapes, dtype, seed=1)
    for dual in _which_dual(len(shapes)):
        tangents = [t if d else None for t, d in zip(directions, dual)]
        ours, our_tangent = _tangent(tg, fwAD, fn, arrays, tangents)
        theirs, their_tangent = _tangent(torch, torch_fwAD, fn, arrays, tangents)
        assert our_tangent.dtype == dtype and our_tangent.shape == tuple(their_tangent.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **_tolerance(dtype))
        np.testing.assert_allclose(our_tangent.numpy(), their_tangent.numpy(),
                                   **_tolerance(dtype))


@pytest.mark.parametrize("name", sorted(CASES))
def test_tangents_are_directional_derivatives(name):
    fn, shapes = CASES[name]
    arrays, tangents = _arrays(shapes, np.float64), _arrays(shapes, np.float64, seed=1)
    _, tangent = _tangent(tg, fwAD, fn, arrays, tangents)

    def at(step):  # fn along the direction, without forward AD
        return fn(tg, tg.nn.functional, *[tg.tensor(a + step * t)
                                          for a, t in zip(arrays, tangents)]).numpy()
    eps = 1e-6
    np.testing.assert_allclose(tangent.numpy(), (at(eps) - at(-eps)) / (2 * eps),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.torch
def test_a_kink_inf_and_nan_are_torchs(torch):
    torch_fwAD = torch.autograd.forward_ad
    fns = [lambda L, x: x.sqrt(), lambda L, x: x.relu() + x.abs(),
           lambda L, x: L.maximum(x, L.zeros_like(x)), lambda L, x: x.clamp(0, 1)]
    for fn in fns:
        for tangent in ([1.0, 1.0], [0.0, 1.0]):
            results = []
            for lib, ad in ((tg, fwAD), (torch, torch_fwAD)):
                with ad.dual_level():
                    x = ad.make_dual(lib.tensor([0.0, 1.0]), lib.tensor(tangent))
                    results.append(ad.unpack_dual(fn(lib, x)).tangent.numpy())
            np.testing.assert_array_equal(*results)


def test_a_tensor_without_a_tangent_counts_as_zeros_and_an_integer_result_has_none():
    with fwAD.dual_level():
        x = fwAD.make_dual(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 0.5]))
        plain = tg.tensor([3.0, 4.0])
        assert fwAD.unpack_dual(plain).tangent is None
        np.testing.assert_array_equal(fwAD.unpack_dual(x * plain).tangent.numpy(), [3.0, 2.0])
        assert fwAD.unpack_dual(plain * 2).tangent is None
        assert fwAD.unpack_dual(x > 1).tangent is None
        assert fwAD.unpack_dual(x.argmax()).tangent is None
        assert fwAD.unpack_dual(x.detach()).tangent is None  # as torch's detach
        with tg.no_grad():  # forward AD does not depend on grad mode, as torch's
            np.testing.assert_array_equal(fwAD.unpack_dual(x * 2).tangent.numpy(), [2.0, 1.0])


def test_levels_enter_exit_and_drop_the_tangents():
    assert fwAD.unpack_dual(tg.tensor([1.0])).tangent is None  # outside: none, no error
    assert fwAD.enter_dual_level() == 0
    try:
        y = fwAD.make_dual(tg.tensor([1.0]), tg.tensor([2.0])) * 3
        assert fwAD.unpack_dual(y).tangent is not None
    finally:
        fwAD.exit_dual_level()
    assert fwAD.unpack_dual(y).tangent is None
    with pytest.raises(ZeroDivisionError):  # the level ends with its block, however
        with fwAD.dual_level() as level:
            assert level == 0
            z = fwAD.make_dual(tg.tensor([1.0]), tg.tensor([2.0]))
            1 / 0
    assert fwAD.unpack_dual(z).tangent is None

    @fwAD.dual_level()
    def tangent_of_square(x, t):
        return fwAD.unpack_dual(fwAD.make_dual(x, t) ** 2).tangent
    assert tangent_of_square(tg.tensor([3.0]), tg.tensor([1.0])).item() == 6.0
    assert tangent_of_square(tg.tensor([1.0]), tg.tensor([1.0])).item() == 2.0


def test_the_tangent_is_kept_as_given_and_results_take_their_dtype():
    primal, tangent = tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0], dtype=tg.float32)
    with fwAD.dual_level():
        dual = fwAD.make_dual(primal, tangent)
        assert fwAD.unpack_dual(dual).tangent is tangent  # float32, as torch keeps it
        assert fwAD.unpack_dual(dual * 2).tangent.dtype == np.float64
        assert fwAD.unpack_dual(dual.float()).tangent.dtype == np.float32


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.torch
def test_a_dual_tensor_trains_by_reverse_mode_too(dtype, torch):
    torch_fwAD = torch.autograd.forward_ad
    (w0, x0), (t0,) = _arrays([(3, 2), (4, 3)], dtype), _arrays([(3, 2)], dtype, seed=1)
    results = []
    for lib, ad in ((tg, fwAD), (torch, torch_fwAD)):
        w = lib.tensor(w0, requires_grad=True)
        with ad.dual_level():
            dual = ad.make_dual(w, lib.tensor(t0))
            assert dual.requires_grad
            loss = (lib.tensor(x0) @ dual).tanh().pow(2).sum()
            primal, tangent = ad.unpack_dual(loss)
            assert primal.requires_grad
            primal.backward()
            results.append((loss, tangent, w.grad))
    for ours, theirs in zip(*results):
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                                   **_tolerance(dtype))


def test_a_tangent_never_makes_a_tensor_need_a_gradient():
    with fwAD.dual_level():
        dual = fwAD.make_dual(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0]))
        out = (dual * dual).exp()
        assert not dual.requires_grad and not out.requires_grad
        assert not fwAD.unpack_dual(out).tangent.requires_grad
        w = tg.tensor([1.0, 2.0], requires_grad=True)
        assert not fwAD.unpack_dual(fwAD.make_dual(w, tg.tensor([1.0, 1.0])) * w
                                    ).tangent.requires_grad


def test_unpack_dual_returns_a_named_tuple_whose_primal_carries_no_tangent():
    with fwAD.dual_level():
        dual = fwAD.make_dual(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0]))
        unpacked = fwAD.unpack_dual(dual)
        assert isinstance(unpacked, tuple) and unpacked._fields == ("primal", "tangent")
        assert fwAD.unpack_dual(unpacked.primal).tangent is None
        np.testing.assert_array_equal(unpacked.primal.numpy(), [1.0, 2.0])


class CubeAndDouble(tg.autograd.Function):
    """x ** 3 with its forward derivative on arrays, and a second output, 2x."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        return x ** 3, 2 * x

    @staticmethod
    def backward(ctx, g_cube, g_double):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * g_cube + 2 * g_double, None

    @staticmethod
    def jvp(ctx, x_t, scale_t):
        (x,) = ctx.saved_tensors
        assert scale_t is None  # (an input not given, as torch passes None)
        return 3 * x ** 2 * x_t, 2 * x_t


def test_a_users_jvp_gives_its_outputs_tangents():
    with fwAD.dual_level():
        x = fwAD.make_dual(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 0.5]))
        cube, double = CubeAndDouble.apply(x, None)
        np.testing.assert_allclose(fwAD.unpack_dual(cube).tangent.numpy(), [3.0, 6.0])
        np.testing.assert_allclose(fwAD.unpack_dual(double * 1).tangent.numpy(), [2.0, 1.0])


class SquareOnGraph(tg.autograd.Function):
    """x ** 2 with a backward_graph and no jvp: differentiated through its backward_graph."""

    @staticmethod
    def forward(ctx, x):
        return x ** 2

    @staticmethod
    def backward(ctx, g):
        raise AssertionError("not used by forward AD")

    @staticmethod
    def backward_graph(ctx, out, g):
        (x,) = ctx.parents
        return 2 * x * g


class NoForwardDerivative(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


class WrongShape(NoForwardDerivative):
    @staticmethod
    def jvp(ctx, t):
        return t[:1]


def test_a_users_op_without_jvp_uses_its_backward_graph_else_is_refused():
    with fwAD.dual_level():
        x = fwAD.make_dual(tg.tensor([1.0, 3.0]), tg.tensor([1.0, 1.0]))
        np.testing.assert_allclose(fwAD.unpack_dual(SquareOnGraph.apply(x)).tangent.numpy(), [2, 6])
        with pytest.raises(NotImplementedError, match=r"^forward-mode AD: op "
                           r"'noforwardderivative' has no jvp and no backward_graph.*jvp\("):
            NoForwardDerivative.apply(x)
        NoForwardDerivative.apply(tg.tensor([1.0]))  # (no tangent: nothing to compute)
        with pytest.raises(RuntimeError, match=r"jvp of op 'wrongshape' returned a tangent "
                           r"of shape \(1,\) for output 0 of shape \(2,\)"):
            WrongShape.apply(x)
    assert NoForwardDerivative.apply(tg.tensor([1.0])).item() == 2.0  # (outside: as before)


def _error(call):
    """The exception `call` raises (it must raise)."""
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


def _same_error_as_torch(ours, theirs, *words):
    """Both raise the same type; ours in one line with `words`."""
    error, their_error = _error(ours), _error(theirs)
    assert type(their_error) in type(error).__mro__, (error, their_error)
    message = str(error)
    assert "\n" not in message and all(word in message for word in words), message


@pytest.mark.torch
def test_bad_calls_are_refused_as_torch_refuses_them_in_one_line(torch):
    torch_fwAD = torch.autograd.forward_ad
    x, t = (tg.tensor([1.0, 2.0, 3.0]), tg.tensor([1.0, 1.0, 1.0]))
    tx, tt = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 1.0, 1.0])
    _same_error_as_torch(lambda: fwAD.make_dual(x, t), lambda: torch_fwAD.make_dual(tx, tt),
                         "make_dual", "no dual level", "dual_level()")
    _same_error_as_torch(fwAD.exit_dual_level, torch_fwAD.exit_dual_level,
                         "exit_dual_level", "no dual level")
    with fwAD.dual_level(), torch_fwAD.dual_level():
        _same_error_as_torch(lambda: fwAD.make_dual(x, t[:2]),
                             lambda: torch_fwAD.make_dual(tx, tt[:2]),
                             "make_dual", "(2,)", "(3,)")
        _same_error_as_torch(lambda: fwAD.make_dual(x, t[None]),
                             lambda: torch_fwAD.make_dual(tx, tt[None]),
                             "(1, 3)", "not broadcast")
        _same_error_as_torch(lambda: fwAD.make_dual(tg.tensor([1, 2, 3]), t),
                             lambda: torch_fwAD.make_dual(torch.tensor([1, 2, 3]), tt),
                             "make_dual", "floating point", "int64")
        _same_error_as_torch(lambda: fwAD.make_dual(x, tg.tensor([1, 2, 3])),
                             lambda: torch_fwAD.make_dual(tx, torch.tensor([1, 2, 3])),
                             "tangent must be floating point")
        _same_error_as_torch(lambda: fwAD.make_dual(fwAD.make_dual(x, t), t),
                             lambda: torch_fwAD.make_dual(torch_fwAD.make_dual(tx, tt), tt),
                             "make_dual", "has a tangent", "unpack_dual(tensor).primal")
        _same_error_as_torch(fwAD.enter_dual_level, torch_fwAD.enter_dual_level,
                             "enter_dual_level", "nested")
        _same_error_as_torch(lambda: fwAD.make_dual(x, t, level=3),
                             lambda: torch_fwAD.make_dual(tx, tt, level=3), "level=3")
        _same_error_as_torch(lambda: fwAD.unpack_dual(fwAD.make_dual(x, t), level=3),
                             lambda: torch_fwAD.unpack_dual(torch_fwAD.make_dual(tx, tt),
                                                            level=3), "level=3")
        _same_error_as_torch(lambda: fwAD.exit_dual_level(level=3),
                             lambda: torch_fwAD.exit_dual_level(level=3), "level 3")
        _same_error_as_torch(lambda: fwAD.unpack_dual([1.0]),
                             lambda: torch_fwAD.unpack_dual([1.0]), "unpack_dual", "list")
        error = _error(lambda: fwAD.make_dual([1.0, 2.0, 3.0], t))
        assert isinstance(error, TypeError) and "make_dual" in str(error)


def test_a_dual_tensor_changed_in_place_is_refused_not_silently_wrong():
    with fwAD.dual_level():
        x = tg.tensor([1.0, 2.0])
        dual = fwAD.make_dual(x, tg.tensor([1.0, 1.0]))
        x.mul_(2)  # (the dual tensor shares x's values)
        with pytest.raises(RuntimeError, match=r"^forward-mode AD through op 'mul': a dual "
                           r"tensor of shape \(2,\) was changed in place.*not x\.mul_\(2\)"):
            dual * 3
        out = fwAD.make_dual(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0])) * 1
        with pytest.raises(RuntimeError, match="does not follow in-place changes"):
            out[0] = 5.0  # (refused where it is made, out unchanged)
        assert fwAD.unpack_dual(out).primal.tolist() == [1.0, 2.0]

"""Second derivatives of the losses, the convolutions and pools and the special functions,
against PyTorch's, and third derivatives through the ops that make their gradients.

Each comparison is a Hessian-vector product: the inputs' gradients, seeded with v and
computed with create_graph=True, then the gradient of sum(u * gradient) for the inputs
and for v (the first gradients are compared too), in float64, at edge points: ties, -inf
logits, probabilities of 0 and 1, x = 0 where a derivative has its own series there.
Where PyTorch's double backward is an artefact of its formula (binary cross-entropy
within its clamp, where it differentiates another formula than its first derivative),
ours is checked to be the derivative of the first derivative instead.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.ops.losses import BinaryCrossEntropy

F = tg.nn.functional
RNG = np.random.default_rng(7)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _second(library, fn, arrays, v, us):
    """(first gradients, second gradients for the inputs and v) of fn in tg or torch."""
    ours = library is tg
    make = tg.Tensor if ours else (lambda a, **k: library.tensor(np.asarray(a), **k))
    xs = [make(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    seed = make(np.array(v, dtype=np.float64), requires_grad=True)
    grads = library.autograd.grad(fn(*xs), xs, grad_outputs=seed, create_graph=True,
                                  materialize_grads=True)
    total = sum((g * make(np.asarray(u, dtype=np.float64))).sum() for g, u in zip(grads, us))
    second = library.autograd.grad(total, xs + [seed], allow_unused=True,
                                   materialize_grads=True)
    # (np.asarray(t._data): a 0-d leaf's gradient summed over two uses is a NumPy scalar)
    values = [np.asarray(t._data) if ours else t.detach().numpy() for t in (*grads, *second)]
    return values[:len(xs)], values[len(xs):]


def _same_as_torch(torch, ours, theirs, arrays, v=None, rtol=1e-10, atol=1e-12):
    """ours(tg, *tensors) and theirs(torch, *tensors): equal first and second gradients."""
    out = ours(tg, *[tg.Tensor(np.array(a, dtype=np.float64)) for a in arrays])
    v = RNG.standard_normal(out.shape) if v is None else v
    us = [RNG.standard_normal(np.shape(a)) for a in arrays]
    mine = _second(tg, lambda *t: ours(tg, *t), arrays, v, us)
    other = _second(torch, lambda *t: theirs(torch, *t), arrays, v, us)
    for kind, got, expected in zip(("first", "second"), mine, other):
        for k, (a, b) in enumerate(zip(got, expected)):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                       err_msg=f"{kind} derivative, input {k}")


# ------------------------------------------------------------------ softmax, log_softmax

LOGITS = [np.array([[1.0, 1.0, -2.0, 0.5], [3.0, 3.0, 3.0, 3.0], [40.0, -40.0, 0.0, 1e-3]]),
          np.array([[1000.0, 999.0, -1000.0]]),  # (shifted by the maximum: no overflow)
          RNG.standard_normal((2, 3, 4))]


@pytest.mark.torch
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("case", range(len(LOGITS)))
@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_and_log_softmax_match_pytorchs_second_derivatives(torch, op, case, axis):
    _same_as_torch(torch, lambda lib, x: getattr(x, op)(axis),
                   lambda lib, x: getattr(x, op)(axis), [LOGITS[case]])


@pytest.mark.torch
def test_softmax_with_minus_infinite_logits_matches_pytorchs(torch):
    x = np.array([[0.5, -np.inf, 2.0], [-np.inf, 1.0, 1.0]])
    _same_as_torch(torch, lambda lib, t: t.softmax(-1), lambda lib, t: t.softmax(-1), [x])


# ------------------------------------------------------------------ cross-entropy

TARGETS = np.array([0, 3, 1, 3])


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_class_indices_matches_pytorchs(torch, reduction):
    x = RNG.standard_normal((4, 5)) * 3
    _same_as_torch(torch, lambda lib, t: F.cross_entropy(t, TARGETS, reduction=reduction),
                   lambda lib, t: torch.nn.functional.cross_entropy(
                       t, torch.tensor(TARGETS), reduction=reduction), [x])


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_one_sample_matches_pytorchs(torch, reduction):
    x = np.array([2.0, 2.0, -1.0])  # (a tie between the target and another class)
    _same_as_torch(torch, lambda lib, t: F.cross_entropy(t, 1, reduction=reduction),
                   lambda lib, t: torch.nn.functional.cross_entropy(
                       t, torch.tensor(1), reduction=reduction), [x])


OPTIONS = [dict(weight=True), dict(ignore_index=3), dict(label_smoothing=0.2),
           dict(weight=True, ignore_index=1, label_smoothing=0.1), dict(ignore_index=-100)]


@pytest.mark.torch
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_weight_ignore_index_and_smoothing_matches_pytorchs(
        torch, options, reduction):
    x, weight = RNG.standard_normal((4, 5)), RNG.uniform(0.5, 2.0, 5)
    keywords = {k: o for k, o in options.items() if k != "weight"}

    def loss(lib, t):
        functional = F if lib is tg else torch.nn.functional
        target = TARGETS if lib is tg else torch.tensor(TARGETS)
        w = (tg.Tensor(weight) if lib is tg else torch.tensor(weight)) \
            if "weight" in options else None
        return functional.cross_entropy(t, target, w, reduction=reduction, **keywords)

    _same_as_torch(torch, loss, loss, [x])


@pytest.mark.torch
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_probabilities_matches_pytorchs_in_input_and_target(
        torch, smoothing, reduction):
    x, p = RNG.standard_normal((3, 4)), RNG.dirichlet(np.ones(4), 3)
    p[0] = [0.0, 1.0, 0.0, 0.0]  # (a one-hot row)

    def loss(lib, t, target):
        functional = F if lib is tg else torch.nn.functional
        return functional.cross_entropy(t, target, reduction=reduction,
                                        label_smoothing=smoothing)

    _same_as_torch(torch, loss, loss, [x, p])


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_per_position_matches_pytorchs(torch, reduction):
    x, target = RNG.standard_normal((2, 3, 4)), np.array([[0, 2, 1, 2], [1, 1, 0, 2]])

    weight = RNG.uniform(0.5, 2.0, 3)

    def loss(lib, t):
        functional = F if lib is tg else torch.nn.functional
        y, w = (target, tg.Tensor(weight)) if lib is tg else (torch.tensor(target),
                                                                torch.tensor(weight))
        return functional.cross_entropy(t, y, w, reduction=reduction)

    _same_as_torch(torch, loss, loss, [x])


# ------------------------------------------------------------------ binary cross-entropy

def _bce(lib, x, y, *w, reduction="none"):
    functional = F if lib is tg else lib.nn.functional
    return functional.binary_cross_entropy(x, y, *w, reduction=reduction)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_matches_pytorchs_in_input_target_and_weight(torch, reduction):
    """Away from PyTorch's clamp (x (1 - x) >= 1e-12, and its 1e-12 added in the double
    backward negligible): x near 0 and 1, targets 0, 1 and between, x equal to its target
    (a gradient of 0)."""
    x = np.array([1e-3, 0.02, 0.3, 0.5, 0.7, 0.98, 1 - 1e-3, 0.4])
    y = np.array([0.0, 1.0, 0.3, 1.0, 0.0, 0.5, 1.0, 0.4])
    weight = RNG.uniform(0.5, 2, 8)

    def loss(lib, a, b):
        return _bce(lib, a, b, tg.Tensor(weight) if lib is tg else lib.tensor(weight),
                    reduction=reduction)

    _same_as_torch(torch, loss, loss, [x, y], rtol=1e-8, atol=1e-10)


@pytest.mark.torch
def test_binary_cross_entropy_at_0_and_1_matches_pytorchs_where_pytorchs_is_consistent(torch):
    """At x = 0 and 1 the target's gradient, -logit(x), is +-inf and its derivative in x
    -inf (not NaN), as PyTorch's; the target's second derivative -1 / max(x (1 - x), 1e-12)
    too (PyTorch's 1e-12 a double there, ours its float32, as its first derivative's: 4e-9
    apart). (The input's own second derivative there: the test below.)"""
    x, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.3, 0.3, 0.0, 1.0])
    v, us = np.ones(4), [np.ones(4), np.ones(4)]
    ours = _second(tg, lambda a, b: _bce(tg, a, b), [x, y], v, us)
    theirs = _second(torch, lambda a, b: _bce(torch, a, b), [x, y], v, us)
    for got, expected in zip(ours[0] + ours[1][:2], theirs[0] + theirs[1][:2]):
        np.testing.assert_allclose(got, expected, rtol=1e-8)
    assert np.all(ours[1][0] == -np.inf)


def test_binary_cross_entropy_second_derivative_in_the_clamp_is_its_gradients_derivative():
    """Within the clamp (x (1 - x) < 1e-12) the input's gradient is g (x - y) / 1e-12, so
    its derivative in x is g / 1e-12 and in g the gradient itself. (PyTorch's double
    backward differentiates (x - y) / ((x + 1e-12) (1 - x + 1e-12)) there instead: about
    y / 1e-24 at x = 0, and a derivative in g that is not its own gradient.)"""
    x, y, g = np.array([0.0, 1e-13, 1.0 - 1e-13]), np.array([0.3, 0.3, 1.0]), np.full(3, 2.0)
    xs, ys = tg.Tensor(x, requires_grad=True), tg.Tensor(y)
    seed = tg.Tensor(g, requires_grad=True)
    (dx,) = tg.autograd.grad(BinaryCrossEntropy.apply(xs, ys), [xs], grad_outputs=seed,
                             create_graph=True)
    second_x, second_g = tg.autograd.grad(dx.sum(), [xs, seed])
    np.testing.assert_allclose(second_x.data, g / 1e-12, rtol=1e-3)  # (1e-12 as a float32)
    np.testing.assert_array_equal(second_g.data * g, dx.data)


# ------------------------------------------------------------------ convolution and pools

CONVOLUTIONS = [dict(), dict(stride=2, padding=1), dict(padding=(1, 0), dilation=(1, 2)),
                dict(groups=2, stride=(1, 2)), dict(padding="same", dilation=2)]


@pytest.mark.torch
@pytest.mark.parametrize("options", CONVOLUTIONS, ids=str)
@pytest.mark.parametrize("bias", [False, True])
def test_conv2d_matches_pytorchs_second_derivatives(torch, options, bias):
    """Bilinear in input and weight: the second derivatives are their cross terms and
    those with the seed gradient."""
    x, w = RNG.standard_normal((2, 4, 5, 6)), RNG.standard_normal((6, 4 // options.get(
        "groups", 1), 3, 2))
    arrays = [x, w] + ([RNG.standard_normal(6)] if bias else [])
    conv = lambda lib, *t: lib.nn.functional.conv2d(*t, **options)  # noqa: E731
    _same_as_torch(torch, conv, conv, arrays)


@pytest.mark.torch
def test_conv3d_matches_pytorchs_second_derivatives(torch):
    arrays = [RNG.standard_normal((1, 2, 3, 4, 4)), RNG.standard_normal((3, 2, 2, 2, 2)),
              RNG.standard_normal(3)]
    conv = lambda lib, *t: lib.nn.functional.conv3d(*t, padding=1, stride=(1, 2, 1))  # noqa
    _same_as_torch(torch, conv, conv, arrays)


TIED = np.array([[[[1.0, 3.0, 3.0, 0.0, 2.0], [3.0, 1.0, 2.0, 2.0, 2.0],
                   [0.0, 0.0, 0.0, 0.0, 0.0], [5.0, -1.0, 5.0, 5.0, 1.0]]]])
POOLS = [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
         dict(kernel_size=(2, 3), stride=(1, 2), ceil_mode=True),
         dict(kernel_size=2, stride=1, dilation=(1, 2))]


@pytest.mark.torch
@pytest.mark.parametrize("options", POOLS, ids=str)
@pytest.mark.parametrize("tied", [True, False])
def test_max_pool2d_routes_the_second_derivative_through_pytorchs_maxima(torch, options, tied):
    """The gradient's derivative in the seed gradient takes each window's chosen entry
    (with tied maxima PyTorch's choice); in the input it is 0."""
    x = TIED if tied else RNG.standard_normal((2, 3, 5, 6))
    pool = lambda lib, t: lib.nn.functional.max_pool2d(t, **options)  # noqa: E731
    _same_as_torch(torch, pool, pool, [x])


@pytest.mark.torch
def test_max_pool2d_with_indices_and_max_pool3d_match_pytorchs(torch):
    x = RNG.standard_normal((1, 2, 4, 5, 4))
    pool = lambda lib, t: lib.nn.functional.max_pool3d(t, 2, 1, 1)  # noqa: E731
    _same_as_torch(torch, pool, pool, [x])
    pool = lambda lib, t: lib.nn.functional.max_pool2d(t, 2, return_indices=True)[0]  # noqa
    _same_as_torch(torch, pool, pool, [TIED])


AVERAGES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
            dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
            dict(kernel_size=(2, 3), divisor_override=3)]


@pytest.mark.torch
@pytest.mark.parametrize("options", AVERAGES, ids=str)
def test_avg_pool2d_matches_pytorchs_second_derivatives(torch, options):
    x = RNG.standard_normal((2, 3, 5, 6))
    pool = lambda lib, t: lib.nn.functional.avg_pool2d(t, **options)  # noqa: E731
    _same_as_torch(torch, pool, pool, [x])


@pytest.mark.torch
def test_avg_pool3d_matches_pytorchs_second_derivatives(torch):
    pool = lambda lib, t: lib.nn.functional.avg_pool3d(t, 2, 1, 1)  # noqa: E731
    _same_as_torch(torch, pool, pool, [RNG.standard_normal((1, 2, 3, 4, 4))])


# ------------------------------------------------------------------ special functions

def _special(name):
    return lambda lib, t: getattr(lib.special, name)(t)


SPECIAL = {  # name: (ours, torch's, points, rtol)
    "erf": (_special("erf"), [-3.0, -0.5, 0.0, 0.7, 2.5], 1e-10),
    "erfc": (_special("erfc"), [-3.0, 0.0, 0.7, 2.5], 1e-10),
    "erfinv": (_special("erfinv"), [-0.95, -0.3, 0.0, 0.6, 0.99], 1e-10),
    "erfcx": (_special("erfcx"), [-2.0, 0.0, 1.0, 2.9, 3.1, 8.0], 1e-9),
    "ndtri": (_special("ndtri"), [0.01, 0.2, 0.5, 0.8, 0.99], 1e-10),
    "log_ndtr": (_special("log_ndtr"), [-8.0, -1.5, -0.5, 0.0, 2.0, 6.0], 1e-9),
    "i0": (_special("i0"), [-6.0, -1.0, 0.0, 0.5, 3.0], 1e-10),
    "i0e": (_special("i0e"), [-6.0, -1.0, 0.0, 0.3, 3.0], 1e-10),  # (0: sign(0) = 0)
    "i1": (_special("i1"), [-6.0, -1.0, 0.0, 1e-3, 0.5, 3.0], 1e-9),  # (0: its series)
    "i1e": (_special("i1e"), [-6.0, -1.0, 0.0, 1e-3, 0.5, 3.0], 1e-9),
    "entr": (_special("entr"), [0.0, 0.05, 0.5, 1.0, 3.0], 1e-10),
    "lgamma": (lambda lib, t: t.lgamma(), [-2.5, -0.3, 0.2, 1.0, 1.5, 4.0, 12.0], 1e-8),
    "digamma": (lambda lib, t: t.digamma(), [-2.5, -0.3, 0.2, 1.0, 4.0, 12.0], 1e-8),
    "polygamma2": (lambda lib, t: lib.polygamma(2, t), [-2.5, 0.3, 1.0, 4.0, 12.0], 1e-8),
    "mvlgamma": (lambda lib, t: t.mvlgamma(3), [1.7, 2.5, 5.0], 1e-8),
    "zeta": (lambda lib, t: lib.special.zeta(2.5, t), [0.3, 1.0, 4.0, 12.0], 1e-9),
    "gammainc": (lambda lib, t: lib.special.gammainc(
        lib.tensor([0.5, 1.0, 2.5, 4.0, 30.0], dtype=lib.float64) if lib is not tg else
        tg.Tensor([0.5, 1.0, 2.5, 4.0, 30.0]), t), [0.2, 1.0, 3.0, 0.5, 28.0], 1e-9),
    "gammaincc": (lambda lib, t: lib.special.gammaincc(
        2.5 if lib is tg else lib.full_like(t, 2.5), t), [0.2, 1.0, 3.0, 9.0], 1e-9),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_functions_match_pytorchs_second_derivatives(torch, name):
    fn, points, rtol = SPECIAL[name]
    _same_as_torch(torch, fn, fn, [np.array(points)], rtol=rtol, atol=1e-12)


@pytest.mark.torch
def test_xlog1py_matches_pytorchs_second_derivatives_where_x_is_0(torch):
    """x = 0 with y <= -1: x's gradient is 0 there (PyTorch's masked_fill), so are its
    derivatives."""
    x, y = np.array([0.0, 0.0, -0.5, 2.0, 0.0]), np.array([-2.0, 0.5, 2.0, -0.5, -1.5])
    fn = lambda lib, a, b: lib.special.xlog1py(a, b)  # noqa: E731
    _same_as_torch(torch, fn, fn, [x, y])


# ------------------------------------------------------------------ third derivatives

def _third(fn, arrays):
    """gradgradcheck of (inputs, v) -> fn's gradients seeded with v (create_graph=True):
    the ops that make the gradients differentiated twice, so fn three times."""
    xs = [tg.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    v = tg.Tensor(RNG.standard_normal(fn(*xs).shape), requires_grad=True)

    def gradients(*args):
        *ins, seed = args
        found = tg.autograd.grad(fn(*ins), list(ins), grad_outputs=seed, create_graph=True,
                                 materialize_grads=True)
        return tg.concatenate([g.reshape(-1) for g in found])

    return tg.gradgradcheck(gradients, xs + [v])


S = tg.special
THIRD = {
    "conv2d": (lambda x, w, b: tg.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2),
                                         groups=2),
               [RNG.standard_normal((1, 4, 4, 5)), RNG.standard_normal((4, 2, 2, 2)),
                RNG.standard_normal(4)]),
    "max_pool2d": (lambda x: tg.max_pool2d(x, 3, 2, 1, ceil_mode=True),
                   [RNG.standard_normal((1, 2, 5, 5))]),
    "avg_pool2d": (lambda x: tg.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                   [RNG.standard_normal((1, 2, 5, 5))]),
    "softmax": (lambda x: x.softmax(-1), [RNG.standard_normal((2, 3))]),
    "log_softmax": (lambda x: x.log_softmax(0), [RNG.standard_normal((2, 3))]),
    "cross_entropy": (lambda x: F.cross_entropy(x, TARGETS[:3], reduction="none"),
                      [RNG.standard_normal((3, 4))]),
    "binary_cross_entropy": (lambda x, y: _bce(tg, x, y),
                             [[0.2, 0.5, 0.7], [0.1, 0.4, 0.9]]),
    "erfcx": (S.erfcx, [[-1.0, 0.5, 2.9, 3.5, 9.0]]),
    "i1": (S.i1, [[-3.0, 0.2, 4.0]]), "i1e": (S.i1e, [[-3.0, 0.2, 4.0]]),
    "bessel_j1": (S.bessel_j1, [[-3.0, 0.2, 4.0, 30.0]]),
    "bessel_y1": (S.bessel_y1, [[0.3, 4.0, 30.0]]),
    "modified_bessel_k1": (S.modified_bessel_k1, [[0.3, 4.0, 30.0]]),
    "scaled_modified_bessel_k0": (S.scaled_modified_bessel_k0, [[0.3, 1.5, 4.0, 30.0]]),
    "scaled_modified_bessel_k1": (S.scaled_modified_bessel_k1, [[0.3, 1.5, 4.0, 30.0]]),
    "spherical_bessel_j0": (S.spherical_bessel_j0, [[-3.0, -0.5, 0.0, 0.5, 4.0]]),
    "airy_ai": (S.airy_ai, [[-14.0, -2.0, 0.0, 1.0, 13.0]]),
    "igammac": (lambda x: S.gammaincc(2.5, x), [[0.3, 1.0, 4.0]]),
    "zeta": (lambda q: S.zeta(3.5, q), [[0.3, 1.0, 4.0]]),
    "mvlgamma": (lambda x: x.mvlgamma(2), [[1.7, 3.0]]),
    "xlog1py": (S.xlog1py, [[-0.5, 0.3, 2.0], [0.5, -0.4, 3.0]]),
}


@pytest.mark.parametrize("name", sorted(THIRD))
def test_third_derivatives_through_the_ops_that_make_the_gradients(name):
    fn, arrays = THIRD[name]
    assert _third(fn, arrays)


def test_an_unimplemented_derivative_is_refused_with_create_graph_too():
    """zeta's derivative in x and igamma's in a are not implemented (as in PyTorch): the
    pass with create_graph=True refuses them as the plain one does."""
    x, a = tg.Tensor([2.5], requires_grad=True), tg.Tensor([1.5], requires_grad=True)
    for out in (S.zeta(x, tg.Tensor([1.0])), S.gammainc(a, tg.Tensor([1.0]))):
        with pytest.raises(NotImplementedError, match="not implemented, as in PyTorch"):
            tg.autograd.grad(out.sum(), [out.grad_fn.parents[0]], create_graph=True)
    assert math.isfinite(float(S.zeta(2.5, tg.Tensor([1.0])).sum()))

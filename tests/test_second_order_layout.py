"""Second derivatives of the layout, statistics, contraction and padding ops at their edges.

The torch tests compare Hessian-vector products, `d/dx <v, d out/dx . w>` computed with
`create_graph=True` and then a second pass, with PyTorch's (`torch.autograd.grad` twice)
for the non-linear ops: var and std at ties and zero spread, prod and cumprod with zeros
(one, two, all), logsumexp at ties and -inf, norm at 0. The other tests run
`tg.gradgradcheck` (and a third derivative) where test_second_order.py's drawn inputs do
not reach: 0-d and empty tensors, repeats given per entry, broadcast indices, repeated
einsum letters, padding past the size, diagonals of non-square matrices.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from test_second_order import leaf, third_derivative_check

# ------------------------------------------------------------------ helpers


def values(t) -> np.ndarray:
    """A result's values as an array (np.asarray: a 0-d gradient may hold a NumPy scalar)."""
    return np.asarray(t._data)


def hessian_vector(fn, x: np.ndarray, v: np.ndarray, w: np.ndarray) -> tuple:
    """tinygrad_gd's gradient `v . J` (create_graph=True) and its derivative along `w`."""
    t = tg.Tensor(x, requires_grad=True)
    (g,) = tg.autograd.grad(fn(t), [t], grad_outputs=tg.Tensor(v), create_graph=True)
    if not g.requires_grad:  # (a gradient that does not depend on x: its derivative is 0)
        return values(g), np.zeros_like(x)
    (h,) = tg.autograd.grad(g, [t], grad_outputs=tg.Tensor(w))
    return values(g), values(h)


def torch_hessian_vector(fn, x: np.ndarray, v: np.ndarray, w: np.ndarray) -> tuple:
    """The same with PyTorch."""
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(fn(t), t, torch.tensor(v), create_graph=True)
    if not g.requires_grad:
        return g.detach().numpy(), np.zeros_like(x)
    (h,) = torch.autograd.grad(g, t, torch.tensor(w))
    return g.detach().numpy(), h.numpy()


def compare_with_torch(ours, theirs, x) -> tuple:
    """Both libraries' gradient and Hessian-vector product at x, seeded alike; asserts the
    gradients agree and returns the two products."""
    rng = np.random.default_rng(0)
    x = np.asarray(x, dtype=np.float64)
    v = rng.standard_normal(np.shape(ours(tg.Tensor(x))))
    w = rng.standard_normal(x.shape)
    g, h = hessian_vector(ours, x, v, w)
    tg_, th = torch_hessian_vector(theirs, x, v, w)
    np.testing.assert_allclose(g, tg_, rtol=1e-10, atol=1e-12)
    return h, th


def check_against_torch(ours, theirs, x) -> None:
    h, th = compare_with_torch(ours, theirs, x)
    np.testing.assert_allclose(h, th, rtol=1e-9, atol=1e-12)


ROWS = np.array([[1.0, 1.0, 1.0], [0.5, -2.0, 0.5], [3.0, 1.0, -1.0]])  # a constant row, ties

# ------------------------------------------------------------------ PyTorch's, non-linear ops


@pytest.mark.torch
@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_var_hessian_matches_torch_with_ties_and_a_constant_row(axis, ddof):
    check_against_torch(lambda t: t.var(axis=axis, ddof=ddof),
                        lambda t: t.var(dim=axis, correction=ddof), ROWS)


@pytest.mark.torch
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("ddof", [0, 1])
def test_std_hessian_matches_torch_with_ties_and_zero_spread(ddof, keepdims):
    # row 0 has no spread: the gradient is 0 there (a constant), so is its derivative
    check_against_torch(lambda t: t.std(axis=1, ddof=ddof, keepdims=keepdims),
                        lambda t: t.std(dim=1, correction=ddof, keepdim=keepdims), ROWS)


@pytest.mark.torch
def test_std_hessian_of_a_constant_tensor_is_zero_as_torch():
    h, th = compare_with_torch(lambda t: t.std(), lambda t: t.std(correction=0), [2.0] * 4)
    np.testing.assert_array_equal(h, 0.0)
    np.testing.assert_array_equal(th, 0.0)


ZEROS = [[2.0, 0.0, 3.0, -1.5], [0.0, 0.0, 3.0, -1.5], [0.0, 0.0, 0.0, 0.0],
         [0.0, 2.0, 0.5, 4.0], [1.5, 2.0, -0.5, 0.0], [0.0], [0.7]]


@pytest.mark.torch
@pytest.mark.parametrize("x", ZEROS, ids=str)
def test_prod_hessian_matches_torch_with_zeros(x):
    check_against_torch(lambda t: t.prod(), lambda t: t.prod(), x)


@pytest.mark.torch
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_prod_hessian_matches_torch_along_an_axis_with_zeros(axis, keepdims):
    x = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0], [2.0, -3.0, 0.5], [0.0, 0.0, 0.0]])
    check_against_torch(lambda t: t.prod(axis=axis, keepdims=keepdims),
                        lambda t: t.prod(dim=axis, keepdim=keepdims), x)


@pytest.mark.torch
def test_prod_hessian_of_a_0d_tensor_is_zero_as_torch():
    check_against_torch(lambda t: t.prod(), lambda t: t.prod(), 0.0)


@pytest.mark.torch
@pytest.mark.parametrize("x", ZEROS, ids=str)
def test_cumprod_hessian_matches_torch_with_zeros(x):
    check_against_torch(lambda t: t.cumprod(0), lambda t: t.cumprod(0), x)


@pytest.mark.torch
@pytest.mark.parametrize("axis", [0, 1, None])
def test_cumprod_hessian_matches_torch_along_an_axis_with_zeros(axis):
    x = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0], [2.0, -3.0, 0.5]])
    theirs = (lambda t: t.flatten().cumprod(0)) if axis is None else (lambda t: t.cumprod(axis))
    check_against_torch(lambda t: t.cumprod(axis), theirs, x)


@pytest.mark.torch
@pytest.mark.parametrize("x", [[1.0, 1.0, 1.0], [0.0, 0.0], [1.0, -np.inf, 0.0],
                               [[700.0, 700.0], [-700.0, 3.0]], [[2.0, 2.0, -1.0]]], ids=str)
def test_logsumexp_hessian_matches_torch_at_ties_large_values_and_minus_inf(x):
    check_against_torch(lambda t: t.logsumexp(axis=-1), lambda t: t.logsumexp(-1), x)


@pytest.mark.torch
@pytest.mark.parametrize("x", [[3.0, -4.0], [[1.0, 1.0], [1.0, -1.0]], -2.0], ids=str)
def test_norm_hessian_matches_torch_away_from_0(x):
    check_against_torch(lambda t: t.norm(axis=-1 if np.ndim(x) else None),
                        lambda t: t.norm(dim=-1 if np.ndim(x) else None), x)


@pytest.mark.torch
def test_norm_hessian_at_0_is_0_and_matches_torch_on_the_other_rows():
    # no second derivative at 0 (PyTorch's is NaN there): the gradient there is the
    # constant 0 of the first-order convention, so its derivative is 0, as std's
    x = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, -2.0]])
    h, th = compare_with_torch(lambda t: t.norm(axis=1), lambda t: t.norm(dim=1), x)
    np.testing.assert_array_equal(h[0], 0.0)
    np.testing.assert_allclose(h[1:], th[1:], rtol=1e-9, atol=1e-12)
    g, h = hessian_vector(lambda t: t.norm(), np.zeros(3), np.array(1.5), np.ones(3))
    np.testing.assert_array_equal(g, 0.0)
    np.testing.assert_array_equal(h, 0.0)

# ------------------------------------------------------------------ gradgradcheck at the edges


EDGES = {
    "prod with zeros": (lambda t: t.prod(axis=1), [[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]]),
    "prod of a 0-d": (lambda t: t.prod(), 1.5),
    "prod of an empty axis": (lambda t: t.prod(axis=0), np.zeros((0, 2))),
    "cumprod with zeros": (lambda t: t.cumprod(1), [[0.0, 2.0, 3.0], [1.0, 0.0, 0.0]]),
    "cumprod of a 0-d": (lambda t: t.cumprod(None), 0.5),
    "cumprod of an empty": (lambda t: t.cumprod(0), np.zeros((0, 2))),
    "cumsum of a 0-d": (lambda t: t.cumsum(), 0.5),
    "var with ties": (lambda t: t.var(axis=0, ddof=1), [[1.0, 2.0], [1.0, 2.0], [0.0, 3.0]]),
    "std with ties": (lambda t: t.std(axis=(0, 1)), [[1.0, 2.0], [1.0, 2.0]]),
    "logsumexp with ties": (lambda t: t.logsumexp(axis=0, keepdims=True), [[1.0], [1.0]]),
    "logsumexp of a 0-d": (lambda t: t.logsumexp(), 0.5),
    "norm of a 0-d": (lambda t: t.norm(), -2.0),
    "diff past its length": (lambda t: t.diff(4, 0), [1.0, 2.0, 4.0]),
    "diff with ends": (lambda t: t.diff(2, 1, prepend=1.0, append=[[2.0], [3.0]]),
                       [[1.0, 2.0], [0.5, 4.0]]),
    "pad reflected past the size": (lambda t: t.pad(((5, 4), (0, 3)), "reflect"),
                                    [[1.0, 2.0], [3.0, 4.0]]),
    "pad wrapped": (lambda t: t.pad(((3, 1),), "wrap"), [1.0, 2.0]),
    "pad of a 0-d": (lambda t: t.pad(2), 1.5),
    "pad of an empty": (lambda t: t.pad(((1, 2), (0, 1))), np.zeros((0, 2))),
    "tile with no copies": (lambda t: t.tile((0, 2)), [[1.0, 2.0]]),
    "tile of a 0-d": (lambda t: t.tile((2, 3)), 1.5),
    "repeat per entry": (lambda t: tg.repeat(t, np.array([2, 0, 3]), axis=1),
                         [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
    "repeat flattened": (lambda t: tg.repeat(t, np.array([1, 0, 2, 1])), [[1.0, 2.0], [3.0, 4.0]]),
    "take_along_axis, repeated and broadcast index":
        (lambda t: tg.take_along_axis(t, np.array([[0, 0, 2]]), axis=1),
         [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
    "gather, a smaller index": (lambda t: t.gather(0, np.array([[1], [1]])),
                                [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
    "split with an empty piece": (lambda t: t.split([0, 2], dim=1)[1], [[1.0, 2.0]]),
    "roll of several axes": (lambda t: t.roll((1, -2), (0, 1)), np.arange(6.0).reshape(2, 3)),
    "triu of a batch": (lambda t: t.triu(1), np.arange(12.0).reshape(2, 2, 3)),
    "einsum, a letter repeated": (lambda t: tg.einsum("iji->j", t * t),
                                  np.arange(12.0).reshape(2, 3, 2)),
    "einsum, a letter of size 1 broadcast": (lambda t: tg.einsum("ij,kj->ik", t, t.tile(1, 3)),
                                             [[1.0], [2.0]]),
    "trace of a wide matrix": (lambda t: t.trace(2), np.arange(8.0).reshape(2, 4)),
    "diag of a tall matrix": (lambda t: t.diag(-2), np.arange(8.0).reshape(4, 2)),
    "diag to a matrix": (lambda t: t.diag(1), [1.0, -2.0]),
    "outer of a 0-d": (lambda t: tg.outer(t, np.array([1.0, 2.0])), 3.0),
}


@pytest.mark.parametrize("name", list(EDGES))
def test_second_derivatives_at_the_edges(name):
    fn, x = EDGES[name]
    assert tg.gradgradcheck(fn, [leaf(x)])


@pytest.mark.parametrize("name", list(EDGES))
def test_third_derivatives_at_the_edges(name):
    fn, x = EDGES[name]
    assert third_derivative_check(fn, x)


def test_einsum_second_derivatives_of_both_operands_and_a_diagonal():
    a, b = np.arange(1.0, 10.0).reshape(3, 3), np.array([0.5, -1.0, 2.0])
    assert tg.gradgradcheck(lambda x, y: tg.einsum("ii,i,j->j", x, y, y), [leaf(a), leaf(b)])
    assert tg.gradgradcheck(lambda x, y: tg.tensordot(x, y * y, 1), [leaf(a), leaf(b)])


def test_a_float32_input_keeps_its_dtype_in_the_gradient_graph():
    x = tg.Tensor(np.array([[0.0, 2.0, 3.0], [1.0, -1.0, 0.5]], np.float32), requires_grad=True)
    for out in (x.prod(axis=1), x.cumprod(1), x.std(axis=0), x.norm(), x.logsumexp(1),
                tg.einsum("ij,ij->i", x, x), x.pad(((1, 1), (2, 0)), "reflect") * x.sum()):
        (g,) = tg.autograd.grad(out, [x], grad_outputs=np.ones(out.shape, np.float32),
                                create_graph=True)
        assert g.dtype == np.float32 and g.requires_grad

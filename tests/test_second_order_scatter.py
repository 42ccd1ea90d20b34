"""Second derivatives of the scatter ops (ops/scatter.py, ops/index_writes.py).

The torch tests compare, with PyTorch's (`torch.autograd.grad` twice), the gradients of
`<w, J^T v>`, the inputs' gradients seeded with v (computed with create_graph=True) and
weighted by w, with respect to the inputs and to v: Hessian-vector products for
scatter_reduce's prod, amax, amin and mean, the derivative along v for the linear ops;
repeated indices, ties of amax/amin and zeros of prod among the inputs. Where PyTorch
leaves the result open (scatter and index_copy at a repeated index) or refuses (prod's
double backward where two zeros of src land on one place), the tests check our
convention and `tg.gradgradcheck` (finite differences), and a third derivative.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from test_second_order import leaf, third_derivative_check

# ------------------------------------------------------------------ helpers


def second_order(lib, fn, arrays, v, ws) -> tuple:
    """`lib`'s (tinygrad_gd or torch) gradients of fn's inputs seeded with v (with
    create_graph=True), and the gradients of `sum(w * gradient)` for the inputs and v."""
    make = tg.Tensor if lib is tg else lib.tensor
    ts = [make(a, requires_grad=True) for a in arrays]
    seed = make(v, requires_grad=True)
    grads = lib.autograd.grad(fn(*ts), ts, seed, create_graph=True, materialize_grads=True)
    total = sum((g * make(w)).sum() for g, w in zip(grads, ws))
    seconds = lib.autograd.grad(total, ts + [seed], allow_unused=True, materialize_grads=True)
    as_array = (lambda t: np.asarray(t._data)) if lib is tg else (lambda t: t.detach().numpy())
    return [as_array(g) for g in grads], [as_array(h) for h in seconds]


def check_against_torch(ours, theirs, *arrays, seed: int = 0) -> None:
    """Both libraries' gradients and second derivatives at `arrays`, seeded alike."""
    torch = pytest.importorskip("torch")
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(ours(*[tg.Tensor(a) for a in arrays]).shape)
    ws = [rng.standard_normal(a.shape) for a in arrays]
    g, h = second_order(tg, ours, arrays, v, ws)
    tg_, th = second_order(torch, theirs, arrays, v, ws)
    for mine, its in zip(g + h, tg_ + th):
        np.testing.assert_allclose(mine, its, rtol=1e-9, atol=1e-12)


def torch_index(index):
    torch = pytest.importorskip("torch")
    return torch.as_tensor(np.asarray(index))


X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0], [2.5, 4.0, -0.5]])
SRC = np.array([[1.0, -2.0, 0.75, 3.0], [-0.5, 2.25, 1.25, -1.75], [3.5, 0.125, -4.0, 5.0]])
REPEATED = np.array([[0, 2, 2], [0, 0, 2]])  # along dim 0: rows 0 and 2 written twice


def src_for(index: np.ndarray) -> np.ndarray:
    """SRC cut to the index's shape: PyTorch's backward refuses a larger src (ours takes it)."""
    return SRC[:index.shape[0], :index.shape[1]]

# ------------------------------------------------------------------ scatter_reduce: non-linear


@pytest.mark.torch
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_reduce_hessian_matches_torch_with_repeated_indices(dim, reduce, include_self):
    index = REPEATED if dim == 0 else REPEATED.T.copy()
    check_against_torch(
        lambda t, s: t.scatter_reduce(dim, index, s, reduce, include_self=include_self),
        lambda t, s: t.scatter_reduce(dim, torch_index(index), s, reduce,
                                      include_self=include_self), X, src_for(index))


@pytest.mark.torch
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_ties_share_like_torch(reduce, include_self):
    # 2.0 lands twice on place 0, which holds 2.0 itself (a tie of three with include_self)
    x, src, index = [2.0, -1.0, 0.5], [2.0, 2.0, -1.0, 3.0, -3.0], [0, 0, 1, 2, 2]
    if not include_self:  # (PyTorch counts an excluded input in a tie, we do not: apart)
        x = [7.0, 5.0, 0.5] if reduce == "amin" else [-7.0, -5.0, 0.5]
        src[3] = -3.0  # (a tie of two src values at place 2)
    check_against_torch(
        lambda t, s: t.scatter_reduce(0, index, s, reduce, include_self=include_self),
        lambda t, s: t.scatter_reduce(0, torch_index(index), s, reduce,
                                      include_self=include_self), x, src)


PROD_ZEROS = {  # (x, src): index [0, 0, 1, 1, 2]
    "a zero in src": ([2.0, -1.5, 3.0], [0.0, 4.0, 1.5, -2.0, 0.5]),
    "a zero in x": ([0.0, -1.5, 3.0], [1.25, 4.0, 1.5, -2.0, 0.5]),
    "zeros in x and src at one place": ([0.0, -1.5, 0.0], [0.0, 4.0, 1.5, -2.0, 0.0]),
    "a zero in src alone at its place": ([2.0, -1.5, 3.0], [1.5, 4.0, 1.5, -2.0, 0.0]),
    "zeros in src at different places": ([2.0, 1.5, 3.0], [0.0, 4.0, 0.0, -2.0, 0.0]),
}


@pytest.mark.torch
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("case", PROD_ZEROS, ids=str)
def test_scatter_reduce_prod_hessian_matches_torch_with_zeros(case, include_self):
    index = [0, 0, 1, 1, 2]
    check_against_torch(
        lambda t, s: t.scatter_reduce(0, index, s, "prod", include_self=include_self),
        lambda t, s: t.scatter_reduce(0, torch_index(index), s, "prod",
                                      include_self=include_self), *PROD_ZEROS[case])


@pytest.mark.torch
def test_torch_refuses_prod_double_backward_where_two_zeros_meet():
    # the reason the next tests check against finite differences and by hand
    torch = pytest.importorskip("torch")
    s = torch.tensor([0.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    out = torch.ones(1, dtype=torch.float64).scatter_reduce(0, torch.tensor([0, 0, 0]), s,
                                                            "prod")
    (g,) = torch.autograd.grad(out.sum(), s, create_graph=True)
    with pytest.raises(RuntimeError, match="Double backward is unsupported"):
        torch.autograd.grad(g.sum(), s)


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_hessian_where_two_zeros_meet_is_the_product_of_the_rest(
        include_self):
    # out[0] = x0 * s0 * s1 * s2 with s0 = s1 = 0: d2 out / ds0 ds1 = x0 * s2, the rest 0
    fn = lambda t, s: t.scatter_reduce(0, [0, 0, 0, 1], s, "prod", include_self=include_self)
    x, s = leaf([1.5, 2.0]), leaf([0.0, 0.0, 3.0, 0.0])
    (gs,) = tg.autograd.grad(fn(x, s), [s], grad_outputs=tg.Tensor([1.0, 1.0]),
                             create_graph=True)
    np.testing.assert_array_equal(gs._data, [0.0, 0.0, 0.0, 2.0 if include_self else 1.0])
    hessian = np.stack([tg.autograd.grad(gs[k], [s], retain_graph=True,
                                         materialize_grads=True)[0]._data for k in range(4)])
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[1, 0] = 3.0 * (1.5 if include_self else 1.0)
    np.testing.assert_array_equal(hessian, expected)
    (hx,) = tg.autograd.grad(gs.sum(), [x], materialize_grads=True)
    np.testing.assert_array_equal(hx._data, [0.0, 1.0 if include_self else 0.0])


@pytest.mark.parametrize("src", [[0.0, 0.0, 3.0, 0.5], [0.0, 0.0, 0.0, 2.0],
                                 [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 2.0, 0.0]], ids=str)
def test_scatter_reduce_prod_second_and_third_derivatives_where_zeros_meet(src):
    fn = lambda t, s: t.scatter_reduce(0, [0, 0, 0, 1], s, "prod")
    assert tg.gradgradcheck(fn, [leaf([1.5, -2.0]), leaf(src)])
    assert third_derivative_check(fn, [1.5, -2.0], src)


def test_scatter_reduce_prod_third_derivative_of_three_zeros_is_1():
    s = leaf([0.0, 0.0, 0.0])
    out = tg.ones(1, dtype=np.float64).scatter_reduce(0, [0, 0, 0], s, "prod").sum()
    (g,) = tg.autograd.grad(out, [s], create_graph=True)
    (h0,) = tg.autograd.grad(g[0], [s], create_graph=True)
    (h01,) = tg.autograd.grad(h0[1], [s])
    np.testing.assert_array_equal(g._data, 0.0)
    np.testing.assert_array_equal(h0._data, 0.0)
    np.testing.assert_array_equal(h01._data, [0.0, 0.0, 1.0])  # d3 (s0 s1 s2) / ds0 ds1 ds2


@pytest.mark.torch
@pytest.mark.parametrize("x", [0.5, 1.5, 0.0], ids=str)
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_of_0d_tensors_hessian_matches_torch(reduce, x):
    check_against_torch(lambda t, s: t.scatter_reduce(0, 0, s, reduce),
                        lambda t, s: t.scatter_reduce(0, torch_index(0), s, reduce), x, 1.5)

# ------------------------------------------------------------------ the linear ops


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add_second_derivative_matches_torch_with_repeated_indices(dim):
    index = REPEATED if dim == 0 else REPEATED[:, :2]
    check_against_torch(lambda t, s: t.scatter_add(dim, index, s),
                        lambda t, s: t.scatter_add(dim, torch_index(index), s), X,
                        src_for(index))


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_second_derivative_matches_torch(dim):
    index = np.array([[2, 0, 1], [1, 2, 0]]) if dim == 0 else np.array([[2, 0], [1, 0], [0, 1]])
    check_against_torch(lambda t, s: t.scatter(dim, index, s),
                        lambda t, s: t.scatter(dim, torch_index(index), s), X,
                        src_for(index))


@pytest.mark.torch
def test_scatter_of_a_value_second_derivative_matches_torch():
    index = np.array([[2, 0, 0]])
    check_against_torch(lambda t: t.scatter(0, index, value=1.5),
                        lambda t: t.scatter(0, torch_index(index), 1.5), X)


def test_scatter_at_a_repeated_index_differentiates_the_last_write_twice():
    # PyTorch leaves which write stays open; ours is the last along dim, and only it has
    # a gradient, v read at its place: that gradient's derivative along v is w put there
    x, s = leaf(X), leaf(SRC)
    v = tg.Tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    _, gs = tg.autograd.grad(x.scatter(0, REPEATED, s), [x, s], grad_outputs=v,
                             create_graph=True)
    (hv,) = tg.autograd.grad((gs * SRC).sum(), [v])
    want, want_hv = np.zeros_like(SRC), np.zeros((3, 3))
    for (i, j), place in np.ndenumerate(REPEATED):
        if place not in REPEATED[i + 1:, j]:  # (the last entry writing its place)
            want[i, j], want_hv[place, j] = v._data[place, j], SRC[i, j]
    np.testing.assert_array_equal(gs._data, want)
    np.testing.assert_array_equal(hv._data, want_hv)
    assert tg.gradgradcheck(lambda a, b: a.scatter(0, REPEATED, b), [x, s])


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add_second_derivative_matches_torch_with_repeated_indices(dim):
    index = [2, 0, 2, 2]
    shape = list(X.shape)
    shape[dim] = len(index)
    source = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 7 - 1
    check_against_torch(lambda t, s: t.index_add(dim, index, s, alpha=0.5),
                        lambda t, s: t.index_add(dim, torch_index(index), s, alpha=0.5),
                        X, source)


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1])
def test_index_copy_second_derivative_matches_torch(dim):
    index = [2, 0]
    source = SRC[:2, :3] if dim == 0 else SRC[:3, :2]
    check_against_torch(lambda t, s: t.index_copy(dim, index, s),
                        lambda t, s: t.index_copy(dim, torch_index(index), s), X, source)


def test_index_copy_at_a_repeated_index_differentiates_the_last_slice_twice():
    x, s = leaf(X), leaf(SRC[:3, :3])
    fn = lambda a, b: a.index_copy(0, [1, 0, 1], b)
    v = np.arange(9.0).reshape(3, 3)
    gx, gs = tg.autograd.grad(fn(x, s), [x, s], grad_outputs=tg.Tensor(v), create_graph=True)
    np.testing.assert_array_equal(gs._data, [[0.0] * 3, v[0], v[1]])  # slice 0 overwritten
    np.testing.assert_array_equal(gx._data, [[0.0] * 3, [0.0] * 3, v[2]])
    assert tg.gradgradcheck(fn, [x, s])


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1])
def test_index_fill_with_a_tensor_value_second_derivative_matches_torch(dim):
    index = [2, 0, 2]  # (a repeat fills once: the value's gradient counts the slice once)
    check_against_torch(lambda t, v: t.index_fill(dim, index, v),
                        lambda t, v: t.index_fill(dim, torch_index(index), v), X, 1.5)


@pytest.mark.torch
@pytest.mark.parametrize("mask", [[[True, False, True]], [[True], [False], [True]],
                                  [[False] * 3] * 3], ids=str)
def test_masked_scatter_second_derivative_matches_torch_with_a_broadcast_mask(mask):
    torch = pytest.importorskip("torch")
    source = np.arange(1.0, 12.0) / 4  # (more entries than places: the rest get 0)
    check_against_torch(lambda t, s: t.masked_scatter(np.array(mask), s),
                        lambda t, s: t.masked_scatter(torch.tensor(mask), s), X, source)


@pytest.mark.torch
@pytest.mark.parametrize("dim, size, step", [(0, 2, 1), (1, 3, 1), (1, 2, 2), (-1, 1, 3),
                                             (0, 3, 5)])
def test_unfold_second_derivative_matches_torch_with_overlapping_windows(dim, size, step):
    check_against_torch(lambda t: t.unfold(dim, size, step),
                        lambda t: t.unfold(dim, size, step), X)


@pytest.mark.torch
@pytest.mark.parametrize("offset, dim1, dim2", [(0, -2, -1), (1, 0, 2), (-2, 2, 0),
                                                (2, 1, 0)])
def test_diag_embed_second_derivative_matches_torch(offset, dim1, dim2):
    check_against_torch(lambda t: t.diag_embed(offset, dim1, dim2),
                        lambda t: t.diag_embed(offset, dim1, dim2), X[:2])

# ------------------------------------------------------------------ gradgradcheck at the edges


EDGES = {
    "scatter into a 0-d": (lambda t, s: t.scatter(0, np.array(0), s), [1.5, [2.0, 3.0]]),
    "scatter of an empty index": (lambda t, s: t.scatter(0, np.zeros((0, 2), np.int64), s),
                                  [X, SRC]),
    "scatter_add into a 0-d": (lambda t, s: t.scatter_add(0, np.array([0, 0]), s),
                               [1.5, [2.0, 3.0]]),
    "scatter_reduce prod into a 0-d": (
        lambda t, s: t.scatter_reduce(0, np.array([0, 0]), s, "prod"), [1.5, [2.0, 0.0]]),
    "scatter_reduce mean of an empty index": (
        lambda t, s: t.scatter_reduce(1, np.zeros((3, 0), np.int64), s, "mean"), [X, SRC]),
    "scatter_reduce amax, src larger than the index": (
        lambda t, s: t.scatter_reduce(1, np.array([[1, 1], [0, 1]]), s, "amax"),
        [[[1.0, 2.0], [-1.0, 3.0]], [[1.5, -2.0, 7.0], [4.0, 2.5, 9.0], [5.0, 5.0, 5.0]]]),
    "scatter_reduce amin of inf": (
        lambda t, s: t.scatter_reduce(0, np.array([0, 1]), s, "amin", include_self=False),
        [[1.0, 2.0], [np.inf, -1.0]]),
    "index_add into a 0-d": (lambda t, s: t.index_add(0, [0], s, alpha=2.0), [1.5, 0.5]),
    "index_copy into a 0-d": (lambda t, s: t.index_copy(0, [0], s), [1.5, 0.5]),
    "index_fill of a 0-d": (lambda t, v: t.index_fill(0, [0, -1], v), [1.5, 0.5]),
    "index_fill of an empty": (lambda t, v: t.index_fill(1, [0], v), [np.zeros((0, 2)), 0.5]),
    "masked_scatter of an empty": (lambda t, s: t.masked_scatter(np.zeros((0, 2), bool), s),
                                   [np.zeros((0, 2)), [1.0, 2.0]]),
    "masked_scatter of a 0-d": (lambda t, s: t.masked_scatter(np.array(True), s),
                                [1.5, [2.0, 3.0]]),
    "unfold of a 0-d": (lambda t: t.unfold(0, 1, 1), [1.5]),
    "unfold of no entries": (lambda t: t.unfold(0, 0, 1), [1.5]),
    "unfold of an empty": (lambda t: t.unfold(1, 2, 1), [np.zeros((0, 3))]),
    "diag_embed of an empty": (lambda t: t.diag_embed(1), [np.zeros((2, 0))]),
}


@pytest.mark.parametrize("case", EDGES, ids=str)
def test_second_and_third_derivatives_at_the_edges(case):
    fn, arrays = EDGES[case]
    assert tg.gradgradcheck(fn, [leaf(a) for a in arrays])
    assert third_derivative_check(fn, *arrays)

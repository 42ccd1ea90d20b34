"""The scatter ops (ops/scatter.py) and the arrangements (arrangements.py).

scatter, scatter_add, scatter_reduce, index_add, index_copy, index_fill, masked_scatter,
unfold, diag_embed, block_diag, cartesian_prod and combinations: values and gradients
against PyTorch 2.13's (marked `torch`), gradcheck in float64 with repeated indices,
ties and zeros, float32 kept, empty and 0-d inputs, the in-place forms, and the
one-line errors (out-of-range indices, shapes that do not fit, bad arguments).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.ops.scatter import ScatterIndexError

RNG = np.random.default_rng(20261215)
X = RNG.standard_normal((3, 4))
SRC = RNG.standard_normal((3, 4))
# along dim 0: every column's places differ (no repeat) / repeat
INDEX0 = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
REPEATS0 = np.array([[0, 1, 2, 0], [0, 1, 0, 0], [2, 1, 0, 1]])
INDEX1 = np.array([[3, 0], [1, 2], [0, 3]])  # along dim 1, no repeat in a row
REPEATS1 = np.array([[1, 1, 3], [0, 2, 0], [3, 3, 3]])
MASK = np.array([[True, False, True, False], [False, True, True, False],
                 [True, False, False, True]])


def _index(torch, index):
    return torch.as_tensor(np.asarray(index), dtype=torch.long)


# name: (ours(*tensors), torch's(torch, *tensors), input arrays)
CASES = {
    "scatter along dim 0": (lambda x, s: x.scatter(0, INDEX0, s),
                            lambda t, x, s: x.scatter(0, _index(t, INDEX0), s),
                            [X, SRC[:2]]),
    "scatter along dim -1, a function": (lambda x, s: tg.scatter(x, -1, INDEX1, s),
                                         lambda t, x, s: t.scatter(x, -1, _index(t, INDEX1), s),
                                         [X, SRC[:, :2]]),
    "scatter of a value": (lambda x: x.scatter(1, INDEX1, 2.5),
                           lambda t, x: x.scatter(1, _index(t, INDEX1), 2.5), [X]),
    "scatter of value=": (lambda x: x.scatter(0, INDEX0, value=-1),
                          lambda t, x: x.scatter(0, _index(t, INDEX0), value=-1), [X]),
    "scatter reduce='add' is scatter_reduce's sum": (
        lambda x, s: x.scatter(0, REPEATS0, s, reduce="add"),
        lambda t, x, s: x.scatter_reduce(0, _index(t, REPEATS0), s, "sum"), [X, SRC]),
    "scatter reduce='multiply' is scatter_reduce's prod": (
        lambda x, s: x.scatter(0, REPEATS0, s, reduce="multiply"),
        lambda t, x, s: x.scatter_reduce(0, _index(t, REPEATS0), s, "prod"), [X, SRC]),
    "scatter_add with repeated indices": (
        lambda x, s: x.scatter_add(0, REPEATS0, s),
        lambda t, x, s: x.scatter_add(0, _index(t, REPEATS0), s), [X, SRC]),
    "scatter_add along dim 1, a function": (
        lambda x, s: tg.scatter_add(x, 1, REPEATS1, s),
        lambda t, x, s: t.scatter_add(x, 1, _index(t, REPEATS1), s), [X, SRC[:, :3]]),
    "index_add with repeats and alpha": (
        lambda x, s: x.index_add(0, [2, 0, 2, 2], s, alpha=-1.5),
        lambda t, x, s: x.index_add(0, _index(t, [2, 0, 2, 2]), s, alpha=-1.5),
        [X, RNG.standard_normal((4, 4))]),
    "index_add along dim 1, a function": (
        lambda x, s: tg.index_add(x, 1, [3, 1], s),
        lambda t, x, s: t.index_add(x, 1, _index(t, [3, 1]), s), [X, SRC[:, :2]]),
    "index_copy": (lambda x, s: x.index_copy(1, [2, 0, 3], s),
                   lambda t, x, s: x.index_copy(1, _index(t, [2, 0, 3]), s), [X, SRC[:, :3]]),
    "index_copy, a function": (lambda x, s: tg.index_copy(x, 0, [1], s),
                               lambda t, x, s: t.index_copy(x, 0, _index(t, [1]), s),
                               [X, SRC[:1]]),
    "index_fill with a learned value, repeats and a negative index": (
        lambda x, v: x.index_fill(1, [0, -1, 3, 0], v),  # (torch's backward fails at -1)
        lambda t, x, v: x.index_fill(1, _index(t, [0, 3, 3, 0]), v), [X, np.array(0.7)]),
    "index_fill of a number, a function": (
        lambda x: tg.index_fill(x, 0, [2], -3.0),
        lambda t, x: t.index_fill(x, 0, _index(t, [2]), -3.0), [X]),
    "masked_scatter": (lambda x, s: x.masked_scatter(MASK, s),
                       lambda t, x, s: x.masked_scatter(t.as_tensor(MASK), s),
                       [X, RNG.standard_normal((2, 5))]),
    "masked_scatter of a row broadcast against the mask": (
        lambda x, s: tg.masked_scatter(x, MASK, s),
        lambda t, x, s: t.masked_scatter(x, t.as_tensor(MASK), s),
        [X[0], RNG.standard_normal(9)]),
    "masked_scatter with a mask broadcast to the tensor": (
        lambda x, s: x.masked_scatter(MASK[1], s),
        lambda t, x, s: x.masked_scatter(t.as_tensor(MASK[1]), s), [X, SRC]),
    "unfold, overlapping windows": (lambda x: x.unfold(1, 3, 1),
                                    lambda t, x: x.unfold(1, 3, 1), [X]),
    "unfold, step past the size": (lambda x: x.unfold(0, 1, 2),
                                   lambda t, x: x.unfold(0, 1, 2), [X]),
    "unfold of a 3-d tensor": (lambda x: x.unfold(-2, 2, 1), lambda t, x: x.unfold(-2, 2, 1),
                               [RNG.standard_normal((2, 3, 2))]),
    "diag_embed": (tg.diag_embed, lambda t, x: t.diag_embed(x), [X]),
    "diag_embed above the diagonal, other dims": (
        lambda x: x.diag_embed(2, 0, 2), lambda t, x: x.diag_embed(2, 0, 2), [X]),
    "diag_embed below the diagonal, dims swapped": (
        lambda x: tg.diag_embed(x, -1, -1, 0), lambda t, x: t.diag_embed(x, -1, -1, 0), [X]),
    "block_diag": (lambda a, b, c: tg.block_diag(a, b, c),
                   lambda t, a, b, c: t.block_diag(a, b, c),
                   [X, RNG.standard_normal(3), np.array(1.5)]),
    "cartesian_prod": (lambda a, b, c: tg.cartesian_prod(a, b, c),
                       lambda t, a, b, c: t.cartesian_prod(a, b, c),
                       [X[0], X[1, :2], X[2, :3]]),
    "combinations": (lambda x: tg.combinations(x, 3), lambda t, x: t.combinations(x, 3), [X[0]]),
    "combinations with replacement": (
        lambda x: tg.combinations(x, with_replacement=True),
        lambda t, x: t.combinations(x, with_replacement=True), [X[0]]),
}

for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _include in (True, False):
        CASES[f"scatter_reduce {_reduce}, include_self={_include}"] = (
            lambda x, s, r=_reduce, i=_include: x.scatter_reduce(0, REPEATS0, s, r,
                                                                  include_self=i),
            lambda t, x, s, r=_reduce, i=_include: x.scatter_reduce(
                0, _index(t, REPEATS0), s, r, include_self=i), [X, SRC])
    CASES[f"scatter_reduce {_reduce} along dim 1, a function"] = (
        lambda x, s, r=_reduce: tg.scatter_reduce(x, 1, REPEATS1, s, r),
        lambda t, x, s, r=_reduce: t.scatter_reduce(x, 1, _index(t, REPEATS1), s, r),
        [X, SRC[:, :3]])

# ties and zeros: PyTorch's conventions (ties share the gradient; prod's gradient is the
# product of the others, zeros among them included)
TIED = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
EDGES = {
    "amax, ties between src entries and with the tensor's own value": (
        lambda x, s: x.scatter_reduce(0, [[0, 0, 1], [0, 1, 1]], s, "amax"),
        lambda t, x, s: x.scatter_reduce(0, _index(t, [[0, 0, 1], [0, 1, 1]]), s, "amax"),
        [TIED, np.array([[2.5, 2.0, 6.0], [2.5, 5.0, 6.0]])]),
    "amin, ties among src entries left out of the tensor": (
        lambda x, s: x.scatter_reduce(1, [[0, 0, 0], [2, 2, 1]], s, "amin", include_self=False),
        lambda t, x, s: x.scatter_reduce(1, _index(t, [[0, 0, 0], [2, 2, 1]]), s, "amin",
                                         include_self=False),
        [TIED, np.array([[0.5, 0.5, 0.5], [-1.0, -1.0, 7.0]])]),
    "prod with one zero, two zeros and a zero in the tensor": (
        lambda x, s: x.scatter_reduce(0, [[0, 1, 2], [0, 1, 2], [1, 1, 2]], s, "prod"),
        lambda t, x, s: x.scatter_reduce(0, _index(t, [[0, 1, 2], [0, 1, 2], [1, 1, 2]]), s,
                                         "prod"),
        [np.array([[2.0, 0.5, 3.0], [1.5, 2.0, 0.5], [0.0, 3.0, 0.0]]),
         np.array([[0.0, 2.0, 1.5], [3.0, 0.0, 2.0], [-1.0, 0.0, 4.0]])]),
    "prod with zeros, the tensor left out": (
        lambda x, s: x.scatter_reduce(0, [[0, 1, 2], [0, 1, 2], [1, 1, 2]], s, "prod",
                                      include_self=False),
        lambda t, x, s: x.scatter_reduce(0, _index(t, [[0, 1, 2], [0, 1, 2], [1, 1, 2]]), s,
                                         "prod", include_self=False),
        [np.array([[2.0, 0.5, 3.0], [1.5, 2.0, 0.5], [0.0, 3.0, 0.0]]),
         np.array([[0.0, 2.0, 1.5], [3.0, 0.0, 2.0], [-1.0, 0.0, 4.0]])]),
    "scatter_add of an empty index": (lambda x, s: x.scatter_add(0, np.zeros((0, 4), int), s),
                                      lambda t, x, s: x.scatter_add(
                                          0, t.zeros((0, 4), dtype=t.long), s),
                                      [X, np.zeros((0, 4))]),
    "index_add of an empty index": (lambda x, s: x.index_add(1, [], s),
                                    lambda t, x, s: x.index_add(1, t.zeros(0, dtype=t.long), s),
                                    [X, np.zeros((3, 0))]),
    "masked_scatter of an empty mask": (lambda x, s: x.masked_scatter(MASK & False, s),
                                        lambda t, x, s: x.masked_scatter(
                                            t.as_tensor(MASK & False), s), [X, np.zeros(0)]),
    "scatter_add into a 0-d tensor": (lambda x, s: x.scatter_add(0, np.array(0), s),
                                      lambda t, x, s: x.scatter_add(0, t.tensor(0), s),
                                      [np.array(2.0), np.array(0.5)]),
    "index_add into a 0-d tensor": (lambda x, s: x.index_add(-1, 0, s, alpha=2),
                                    lambda t, x, s: x.index_add(-1, t.tensor(0), s, alpha=2),
                                    [np.array(2.0), np.array(0.5)]),
    "index_fill of a 0-d tensor": (lambda x: x.index_fill(0, [0], 4.0),
                                   lambda t, x: x.index_fill(0, _index(t, [0]), 4.0),
                                   [np.array(2.0)]),
    "unfold of a 0-d tensor": (lambda x: x.unfold(0, 1, 3), lambda t, x: x.unfold(0, 1, 3),
                               [np.array(2.0)]),
    "unfold with windows of 0 entries": (lambda x: x.unfold(1, 0, 2),
                                         lambda t, x: x.unfold(1, 0, 2), [X]),
    "diag_embed of an empty last axis": (tg.diag_embed, lambda t, x: t.diag_embed(x),
                                         [np.zeros((2, 0))]),
    "block_diag of empty blocks": (lambda a, b: tg.block_diag(a, b),
                                   lambda t, a, b: t.block_diag(a, b),
                                   [np.zeros((0, 2)), np.zeros((2, 0))]),
    "cartesian_prod with an empty vector": (lambda a, b: tg.cartesian_prod(a, b),
                                            lambda t, a, b: t.cartesian_prod(a, b),
                                            [X[0], np.zeros(0)]),
    "combinations of 0 and of too many": (
        lambda x: tg.concatenate([tg.combinations(x, 0), tg.combinations(x, 5).reshape(-1)]),
        lambda t, x: t.cat([t.combinations(x, 0), t.combinations(x, 5).reshape(-1)]), [X[0]]),
}


def _leaves(arrays, dtype=np.float64):
    return [tg.Tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]


def _compare(case, dtype=np.float64, tol=1e-12):
    """Values and gradients (of a random weighting of the output) against torch's."""
    torch = pytest.importorskip("torch")
    ours, theirs, arrays = case
    mine = _leaves(arrays, dtype)
    ref = [torch.tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]
    out, expected = ours(*mine), theirs(torch, *ref)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=tol, atol=tol)
    weight = np.random.default_rng(0).standard_normal(out.shape).astype(dtype)
    (out * tg.Tensor(weight, dtype=dtype)).sum().backward()
    (expected * torch.from_numpy(weight)).sum().backward()
    for m, r in zip(mine, ref):
        expected_grad = np.zeros(m.shape) if r.grad is None else r.grad.numpy()
        got = np.zeros(m.shape) if m.grad is None else m.grad.data
        assert m.grad is None or m.grad.dtype == dtype
        np.testing.assert_allclose(got, expected_grad, rtol=tol, atol=tol)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES) + sorted(EDGES))
def test_values_and_gradients_are_pytorchs(name):
    _compare(CASES.get(name) or EDGES[name])


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_stays_float32_with_pytorchs_values(name):
    _compare(CASES[name], np.float32, tol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_inputs_give_float32_values_and_gradients(name):
    ours, _, arrays = CASES[name]
    leaves = _leaves(arrays, np.float32)
    out = ours(*leaves)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, ours(*_leaves(arrays)).data, rtol=1e-5, atol=1e-6)
    out.backward(np.ones(out.shape, np.float32))
    assert all(t.grad is None or t.grad.dtype == np.float32 for t in leaves)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    ours, _, arrays = CASES[name]
    assert tg.gradcheck(ours, _leaves(arrays))


# ------------------------------------------------------------------ repeated indices

def test_scatter_and_index_copy_write_the_last_repeat_and_give_it_the_gradient():
    # PyTorch leaves the order of repeated writes open (its CPU kernel writes the last);
    # its gradient goes to every repeat, which finite differences do not see
    x, src = _leaves([np.zeros(3), [1.0, 2.0, 3.0]])
    out = x.scatter(0, [0, 0, 1], src)
    assert out.tolist() == [2.0, 3.0, 0.0]
    out.backward(np.array([1.0, 10.0, 100.0]))
    assert x.grad.tolist() == [0.0, 0.0, 100.0] and src.grad.tolist() == [0.0, 1.0, 10.0]
    x, src = _leaves([np.zeros((3, 2)), [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])
    out = x.index_copy(0, [2, 2, 0], src)
    assert out.tolist() == [[5.0, 6.0], [0.0, 0.0], [3.0, 4.0]]
    out.backward(np.arange(6.0).reshape(3, 2))
    assert src.grad.tolist() == [[0.0, 0.0], [4.0, 5.0], [0.0, 1.0]]
    assert x.grad.tolist() == [[0.0, 0.0], [2.0, 3.0], [0.0, 0.0]]
    for fn, arrays in [(lambda x, s: x.scatter(0, REPEATS0, s), [X, SRC]),
                       (lambda x, s: x.scatter(1, REPEATS1, s), [X, SRC[:, :3]]),
                       (lambda x, s: x.index_copy(1, [1, 3, 1, 1], s), [X, SRC])]:
        assert tg.gradcheck(fn, _leaves(arrays))


def test_gradcheck_with_repeats_where_src_is_larger_than_the_index():
    # (PyTorch's backward fails here: its gradient of src has the index's shape)
    for fn in (lambda x, s: x.scatter(0, REPEATS0[:2, :3], s),
               lambda x, s: x.scatter_add(1, REPEATS1[:2], s),
               lambda x, s: x.scatter_reduce(0, REPEATS0[:, :2], s, "mean", include_self=False)):
        assert tg.gradcheck(fn, _leaves([X, SRC]))


def test_gradcheck_at_zeros_and_edges():
    # prod's gradient at zeros is the product of the others, which finite differences see
    # (at a tie of amax/amin they see none: test_amax_ties_share_the_gradient... below)
    for name, (fn, _, arrays) in EDGES.items():
        if "amax" not in name and "amin" not in name:
            assert tg.gradcheck(fn, _leaves(arrays)), name


def test_amax_ties_share_the_gradient_and_an_input_left_out_is_no_tie():
    x, src = _leaves([[5.0, 1.0], [5.0, 3.0, 5.0]])
    out = x.scatter_reduce(0, [0, 0, 0], src, "amax")
    out.backward(np.array([6.0, 1.0]))
    assert x.grad.tolist() == [2.0, 1.0] and src.grad.tolist() == [2.0, 0.0, 2.0]
    # left out (include_self=False), x's 5 is no tie: PyTorch counts it all the same and
    # hands the src entries half of the gradient; here they share all of it
    x, src = _leaves([[5.0, 1.0], [5.0, 3.0]])
    out = x.scatter_reduce(0, [0, 0], src, "amax", include_self=False)
    out.backward(np.array([4.0, 1.0]))
    assert x.grad.tolist() == [0.0, 1.0] and src.grad.tolist() == [4.0, 0.0]


@pytest.mark.torch
def test_integer_tensors_give_pytorchs_values():
    torch = pytest.importorskip("torch")
    x, src = np.array([[1, 2, 3], [4, 5, 6]]), np.array([[7, 8, 9], [3, 1, 2]])
    index = np.array([[0, 0, 1], [0, 1, 1]])
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include in (True, False):
            ours = tg.as_tensor(x).scatter_reduce(0, index, tg.as_tensor(src), reduce,
                                                   include_self=include)
            theirs = torch.as_tensor(x).scatter_reduce(0, torch.as_tensor(index),
                                                       torch.as_tensor(src), reduce,
                                                       include_self=include)
            assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist(), reduce
    ours = tg.as_tensor(x).index_fill(1, [1], 2.5)  # a value cast to the dtype, as torch
    assert ours.tolist() == torch.as_tensor(x).index_fill(1, torch.tensor([1]), 2.5).tolist()
    assert tg.as_tensor(x).scatter(0, index, 9).tolist() == torch.as_tensor(x).scatter(
        0, torch.as_tensor(index), 9).tolist()
    assert tg.as_tensor(x).index_add(0, [1, 1], tg.as_tensor(src), alpha=2).tolist() == \
        torch.as_tensor(x).index_add(0, torch.tensor([1, 1]), torch.as_tensor(src),
                                     alpha=2).tolist()


def test_results_need_no_gradient_where_no_input_does():
    out = tg.Tensor(X).scatter_add(0, REPEATS0, tg.Tensor(SRC))
    assert not out.requires_grad and out.grad_fn is None
    x = tg.Tensor(X, requires_grad=True)
    out = x.index_add(0, [0], tg.Tensor(SRC[:1]))
    out.sum().backward()
    assert out.grad_fn.name == "index_add" and x.grad.tolist() == np.ones((3, 4)).tolist()


def test_arrangements_of_nothing_one_vector_and_integers():
    empty = tg.block_diag()  # PyTorch's (1, 0), in the default float64
    assert empty.shape == (1, 0) and empty.dtype == np.float64
    v = tg.Tensor([1.0, 2.0], requires_grad=True)
    assert tg.cartesian_prod(v) is v  # one vector: itself, as PyTorch's
    ints = tg.combinations(tg.as_tensor([3, 1, 2]), 2)
    assert ints.dtype == np.int64 and ints.tolist() == [[3, 1], [3, 2], [1, 2]]
    mixed = tg.block_diag(tg.as_tensor([[1, 2]]), tg.Tensor([[0.5]], dtype=np.float32))
    assert mixed.dtype == np.float32 and mixed.tolist() == [[1, 2, 0], [0, 0, 0.5]]


# ------------------------------------------------------------------ in place

IN_PLACE = {  # name: (args after the tensor, the out-of-place method)
    "scatter_": ((0, INDEX0, SRC[:2]), "scatter"),
    "scatter_add_": ((0, REPEATS0, SRC), "scatter_add"),
    "scatter_reduce_": ((0, REPEATS0, SRC, "amax"), "scatter_reduce"),
    "index_add_": ((1, [0, 0], SRC[:, :2]), "index_add"),
    "index_copy_": ((1, [3, 0], SRC[:, :2]), "index_copy"),
    "index_fill_": ((0, [1], 0.5), "index_fill"),
    "masked_scatter_": ((MASK, SRC), "masked_scatter"),
}


def _as(library, value):
    """An argument as a library takes it: a float or boolean array as its tensor."""
    return library(value) if isinstance(value, np.ndarray) and value.dtype.kind in "fb" \
        else value


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_forms_write_the_ops_values(name):
    args, method = IN_PLACE[name]
    args = [_as(tg.as_tensor, a) for a in args]
    w = tg.Tensor(X, requires_grad=True)
    expected = getattr(tg.Tensor(X), method)(*args).data
    with tg.no_grad():
        assert getattr(w, name)(*args) is w
    np.testing.assert_array_equal(w.data, expected)
    with pytest.raises(RuntimeError, match=f"^{name}: writing into a leaf tensor"):
        getattr(w, name)(*args)  # outside no_grad()
    made = w * 2
    before = made.data.copy()
    with tg.no_grad():  # a tensor of a graph: its values change, as PyTorch's
        assert getattr(made, name)(*args) is made
    np.testing.assert_array_equal(made.data, getattr(tg.Tensor(before), method)(*args).data)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_forms_give_pytorchs_values(name):
    torch = pytest.importorskip("torch")
    args, _ = IN_PLACE[name]
    ours, theirs = tg.Tensor(X, dtype=np.float32), torch.tensor(X, dtype=torch.float32)
    getattr(ours, name)(*[_as(lambda a: tg.as_tensor(
        a.astype(np.float32) if a.dtype.kind == "f" else a), a) for a in args])
    getattr(theirs, name)(*[_as(lambda a: torch.as_tensor(
        a.astype(np.float32) if a.dtype.kind == "f" else a), a)
        if not isinstance(a, (list, np.ndarray)) or np.asarray(a).dtype.kind in "fb"
        else _index(torch, a) for a in args])
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_masked_scatter_in_place_keeps_the_tensors_shape():
    row = tg.Tensor(X[0])
    with pytest.raises(ValueError, match="^masked_scatter_: cannot write the result"):
        row.masked_scatter_(MASK, tg.Tensor(SRC))
    assert row.tolist() == X[0].tolist()


# ------------------------------------------------------------------ errors

def _one_line(error, *words):
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)
    return message


BAD_INDEX = {  # name: (call, exception types, words in the message)
    "scatter out of range": (lambda x: x.scatter(0, [[0, 3, 0, 0]], tg.Tensor(SRC)),
                             (RuntimeError, IndexError), ["scatter:", "index 3", "size 3"]),
    "scatter of a negative index": (lambda x: x.scatter_add(1, [[-1]], tg.Tensor(SRC)),
                                    (RuntimeError,), ["scatter_add:", "index -1", "from 0 to 3"]),
    "scatter of a float index": (lambda x: x.scatter(0, np.array([[0.0]]), 1.0),
                                 (RuntimeError,), ["scatter:", "integers", "float64"]),
    "scatter with an index of other axes": (lambda x: x.scatter(0, [0, 1], tg.Tensor(SRC)),
                                            (RuntimeError,), ["scatter:", "1 axes", "tensor 2"]),
    "scatter with an index larger than src": (
        lambda x: x.scatter(0, INDEX0, tg.Tensor(SRC[:1])), (RuntimeError,),
        ["scatter:", "(2, 4)", "src of shape (1, 4)"]),
    "scatter with an index wider than the tensor": (
        lambda x: x.scatter_reduce(0, np.zeros((1, 5), int), tg.Tensor(np.ones((1, 5))), "sum"),
        (RuntimeError,), ["scatter_reduce:", "axis 1", "(3, 4)"]),
    "scatter of src of another dtype": (
        lambda x: x.scatter(0, INDEX0, tg.Tensor(SRC, dtype=np.float32)), (RuntimeError,),
        ["scatter:", "float32", "float64"]),
    "index_add of a matrix index": (lambda x: x.index_add(0, [[0]], tg.Tensor(SRC[:1])),
                                    (IndexError,), ["index_add:", "vector", "(1, 1)"]),
    "index_add of a source that does not fit": (
        lambda x: x.index_add(0, [0, 1], tg.Tensor(SRC)), (RuntimeError,),
        ["index_add:", "(3, 4)", "(2, 4)"]),
    "index_copy out of range": (lambda x: x.index_copy(1, [4], tg.Tensor(SRC[:, :1])),
                                (IndexError,), ["index_copy:", "index 4", "size 4"]),
    "index_fill out of range": (lambda x: x.index_fill(0, [-4], 1.0), (IndexError,),
                                ["index_fill:", "index -4", "from -3 to 2"]),
}


@pytest.mark.parametrize("name", sorted(BAD_INDEX))
def test_indices_and_shapes_that_do_not_fit_are_one_line(name):
    call, kinds, words = BAD_INDEX[name]
    x = tg.Tensor(X)
    for kind in kinds:
        with pytest.raises(kind) as error:
            call(x)
        _one_line(error, *words)
    assert issubclass(ScatterIndexError, IndexError) and issubclass(ScatterIndexError,
                                                                    RuntimeError)


def test_a_value_the_dtype_cannot_hold_is_refused_as_pytorchs():
    # it was cast in silence: NaN into int64 wrote -2**63, 300 into uint8 wrote 44
    cases = [("int64", math.nan), ("int64", math.inf), ("uint8", 300), ("uint8", -256),
             ("float32", 1e300)]
    for dtype, value in cases:
        for name, call in (("scatter", lambda t: t.scatter(0, [[0]], value)),
                           ("scatter", lambda t: t.scatter(0, [[0]], value=value, reduce="add")),
                           ("index_fill", lambda t: t.index_fill(1, [0], value))):
            with pytest.raises(RuntimeError) as error:
                call(tg.zeros((2, 2), dtype=dtype))
            assert _one_line(error) == (f"{name}: value {value!r} does not fit the tensor's "
                                        f"dtype {dtype}; give a value within it, or convert "
                                        f"the tensor first (x.double())")
    # what fits is cast, as PyTorch casts it: 2.7 into int64 is 2, inf into float32 is inf,
    # -1 into uint8 is 255 (PyTorch's rule for unsigned integers: from -max to max)
    assert tg.zeros(2, dtype="int64").scatter(0, [1], -2.7).tolist() == [0, -2]
    assert tg.zeros(2, dtype="uint8").scatter(0, [1], -1).tolist() == [0, 255]
    assert tg.zeros(2, dtype="int64").index_fill(0, [0], 2.7).tolist() == [2, 0]
    assert tg.zeros(2, dtype="float32").index_fill(0, [0], math.inf).tolist() == [math.inf, 0]
    torch = pytest.importorskip("torch")
    for dtype, value in cases:
        with pytest.raises(RuntimeError, match="cannot be converted"):
            torch.zeros(2, 2, dtype=getattr(torch, dtype)).index_fill(1, torch.tensor([0]), value)
    assert torch.zeros(2, dtype=torch.long).scatter(0, torch.tensor([1]), -2.7).tolist() == \
        [0, -2]
    assert torch.zeros(2, dtype=torch.uint8).scatter(0, torch.tensor([1]), -1).tolist() == \
        [0, 255]


def test_bad_arguments_are_one_line():
    x, src = tg.Tensor(X), tg.Tensor(SRC)
    cases = [
        (lambda: x.scatter(0, INDEX0), TypeError, ["scatter:", "src", "value"]),
        (lambda: x.scatter(0, INDEX0, src[:2], reduce="sum"), RuntimeError,
         ["scatter:", "'add' or 'multiply'"]),
        (lambda: x.scatter_reduce(0, INDEX0, src, "max"), RuntimeError,
         ["scatter_reduce:", "'amax'"]),
        (lambda: x.scatter_reduce(0, INDEX0, src, "sum", include_self=1), TypeError,
         ["scatter_reduce:", "include_self", "True or False"]),
        (lambda: x.scatter_reduce(0, INDEX0, src, "sum", True), TypeError,
         ["scatter_reduce"]),  # include_self is keyword-only, as PyTorch's
        (lambda: x.scatter(2, INDEX0, src), IndexError, ["scatter:", "axis 2"]),
        (lambda: x.index_add(0, [0], src[:1], alpha="2"), TypeError, ["index_add:", "alpha"]),
        (lambda: tg.as_tensor([1, 2]).index_add(0, [0], tg.as_tensor([1]), alpha=0.5),
         TypeError, ["index_add:", "alpha must be an int"]),
        (lambda: x.index_fill(0, [0], src[0]), RuntimeError, ["index_fill:", "0 axes"]),
        (lambda: x.index_fill(0, [0], "1"), TypeError, ["index_fill:", "value"]),
        (lambda: x.masked_scatter(MASK.astype(int), src), RuntimeError,
         ["masked_scatter:", "boolean"]),
        (lambda: x.masked_scatter(MASK[:, :2], src), RuntimeError,
         ["masked_scatter:", "(3, 2)", "(3, 4)"]),
        (lambda: x.masked_scatter(MASK, src[0]), RuntimeError,
         ["masked_scatter:", "4 entries", "6 places"]),
        (lambda: x.unfold(1, 5, 1), RuntimeError, ["unfold:", "size=5", "from 0 to 4"]),
        (lambda: x.unfold(1, 2, 0), RuntimeError, ["unfold:", "step > 0"]),
        (lambda: x.unfold(1, 2.0, 1), TypeError, ["unfold:", "size must be an int"]),
        (lambda: x.diag_embed(0, 1, -2), RuntimeError, ["diag_embed:", "dimension 1"]),
        (lambda: tg.diag_embed(tg.Tensor(2.0)), IndexError, ["diag_embed:", "axis -2"]),
        (lambda: x.diag_embed(1.0), TypeError, ["diag_embed:", "offset"]),
        (lambda: tg.block_diag(tg.Tensor(np.ones((1, 1, 1)))), RuntimeError,
         ["block_diag:", "2 or fewer", "(1, 1, 1)"]),
        (lambda: tg.block_diag([x, x]), TypeError, ["block_diag:", "one by one"]),
        (lambda: tg.cartesian_prod(), RuntimeError, ["cartesian_prod:", "at least one"]),
        (lambda: tg.cartesian_prod(x), RuntimeError, ["cartesian_prod:", "1-D", "(3, 4)"]),
        (lambda: tg.cartesian_prod(x[0], tg.as_tensor([1, 2])), RuntimeError,
         ["cartesian_prod:", "float64", "int64"]),
        (lambda: tg.combinations(x), RuntimeError, ["combinations:", "1-D"]),
        (lambda: tg.combinations(x[0], -1), RuntimeError, ["combinations:", ">= 0"]),
        (lambda: tg.combinations(x[0], 2.0), TypeError, ["combinations:", "r must be an int"]),
        (lambda: tg.combinations(x[0], 2, 1), TypeError,
         ["combinations:", "with_replacement", "True or False"]),
    ]
    for call, kind, words in cases:
        with pytest.raises(kind) as error:
            call()
        _one_line(error, *words)


# the calls the registry-wide sweep of test_bad_input.py would make (its _working_call
# knows none of these argument lists): each argument replaced by what is no tensor
WORKING = {
    "scatter": lambda x, i: (x, 0, i, x), "scatter_add": lambda x, i: (x, 0, i, x),
    "scatter_reduce": lambda x, i: (x, 0, i, x, "sum"),
    "index_add": lambda x, i: (x, 0, i[0], x), "index_copy": lambda x, i: (x, 0, i[0], x),
    "index_fill": lambda x, i: (x, 0, i[0], 0.5),
    "masked_scatter": lambda x, i: (x, x > 1.0, x), "diag_embed": lambda x, i: (x,),
}
BAD = [None, "3", b"x", 1j, np.array([1.0, None], dtype=object), [[1.0, 2.0], [3.0]],
       {"a": 1}]


@pytest.mark.parametrize("name", sorted(WORKING))
def test_each_argument_replaced_by_what_is_no_tensor_is_one_line_naming_the_op(name):
    x, index = tg.Tensor([[0.5, 1.5], [2.0, 3.0]]), tg.Tensor([[0, 1], [1, 0]], dtype="int64")
    args = WORKING[name](x, index)
    method = (lambda t, *a, **k: getattr(t if isinstance(t, tg.Tensor) else tg.Tensor(t), name)(
        *a, **k))
    for fn in (getattr(tg, name), method):
        fn(*args)
        for position in range(len(args)):
            for bad in BAD:
                changed = list(args)
                changed[position] = bad
                try:
                    result = fn(*changed)
                except (TypeError, ValueError, IndexError, RuntimeError) as error:
                    text = str(error)
                    assert "\n" not in text and (f"{name}:" in text or "Tensor()" in text), \
                        (position, bad, text)
                else:
                    assert np.isfinite(np.asarray(result.data, dtype=float)).all()
        with pytest.raises(TypeError, match=f"^{name}: "):
            fn(*args, bogus_keyword=1)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_a_0d_tensor_scattered_into_by_a_1d_index_is_torchs(reduce):
    """A 0-d tensor and src count as one axis of size 1 (torch's rule): the check read
    src's shape at axis 0 and crashed with a bare IndexError."""
    torch = pytest.importorskip("torch")
    for include_self in (True, False):
        ours = tg.tensor(1.5, requires_grad=True), tg.tensor(2.0, requires_grad=True)
        theirs = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True)
                       for v in (1.5, 2.0))
        out = ours[0].scatter_reduce(0, tg.tensor([0]), ours[1], reduce,
                                     include_self=include_self)
        expected = theirs[0].scatter_reduce(0, torch.tensor([0]), theirs[1], reduce,
                                            include_self=include_self)
        out.backward()
        expected.backward()
        assert out.shape == () and float(out.item()) == expected.item()
        for mine, its in zip(ours, theirs):
            assert float(mine.grad.item()) == its.grad.item()
    assert tg.tensor(1.0).scatter_add(0, tg.tensor([0]), tg.tensor(2.0)).item() == 3.0

"""Strides as PyTorch's for a tensor with no entries, continued (thirtieth round): indexing
one with ints, slices and None (a view: an int drops its axis, a slice multiplies its
stride by its step, None is unsqueeze's new axis), unsqueeze and squeeze (unsqueeze's and
squeeze's rules, no longer view's), the storage offset of an `as_strided` view with no
entries past its storage's end (and of its views), and a leaf's `.grad` in the leaf's
strides on every axis (an axis of length 1's, an empty leaf's), whichever op the
gradient came from, as PyTorch's copy in the leaf's strides.

Not promised, so not compared: an axis of length 1 of a tensor with entries (NumPy's
stride, as the twenty-ninth round decided), which also leaves `x[[0], None]`'s new axis
NumPy's; an elementwise op's empty result of inputs of two shapes (`zeros(0, 3).T +
zeros(3, 1)`: PyTorch orders the result's axes by the inputs' strides, NumPy's result is
a new tensor's; no op records its inputs where it could be read without a cost on every
op). An index array's copy (`x[:, [0, 2]]`) keeps NumPy's layout, the picked axes
outermost (PyTorch's follows the input's: emulating its rule cost a slow path on every
index of a tensor not laid out row by row, and was taken back in the thirty-second round).

Without torch: the rules as independent formulas. With torch: a list of empty views, and
random chains of view ops, indexing, clones and index arrays (the twenty-ninth round's
ops and this round's in one generator, `_view_step`), where every empty result whose
input had torch's strides has torch's strides.
"""
from __future__ import annotations

import collections
import random

import numpy as np
import pytest

import tinygrad_gd as tg

from test_strides_round29 import _row_by_row  # (PyTorch's rule, an independent formula)


# -- indexing, unsqueeze and squeeze of a tensor with no entries ------------------------------
def test_an_int_drops_its_axis_and_a_slice_multiplies_its_stride():
    e = tg.zeros(2, 0, 3)
    steps = _row_by_row((2, 0, 3))
    assert e[:, :, 1].stride() == steps[:2]
    assert e[1].stride() == steps[1:]
    assert e[:, :, ::2].stride() == (steps[0], steps[1], 2 * steps[2])
    assert e[..., 1:2].stride() == steps
    t = tg.zeros(0, 3).T  # (3, 0), strides (1, 3)
    assert t[1].stride() == (3,) and t[::2].stride() == (2, 3)
    assert e[:, :, 1].storage_offset() == steps[2]  # (PyTorch's: the entry it starts at)
    assert e.narrow(2, 1, 2).stride() == steps and e.narrow(2, 1, 2).storage_offset() == 1


def test_none_and_unsqueeze_give_the_size_times_the_stride_of_the_axis_after():
    e, t = tg.zeros(2, 0, 3), tg.zeros(0, 3).T
    s, u = _row_by_row((2, 0, 3)), t.stride()
    for index, axis in (((None,), 0), ((slice(None), None), 1), ((Ellipsis, None), 3)):
        expected = list(s)
        expected.insert(axis, e.shape[axis] * s[axis] if axis < 3 else 1)
        assert e[index].stride() == e.unsqueeze(axis).stride() == tuple(expected), index
    assert t.unsqueeze(0).stride() == (3 * u[0], *u)
    assert t.unsqueeze(1).stride() == (u[0], 0 * u[1], u[1])  # (before the axis of length 0)
    assert t.unsqueeze(2).stride() == (*u, 1)
    assert tg.expand_dims(t, (0, 2)).stride() == (3 * u[0], u[0], 0, u[1])  # (one at a time)


def test_squeeze_keeps_the_other_axes_strides():
    t = tg.zeros(0, 3).T.unsqueeze(1)  # (3, 1, 0), strides (1, 0, 3)
    assert t.squeeze(1).stride() == t.squeeze().stride() == (1, 3)
    b = tg.zeros(0, 3).T.unsqueeze(0).unsqueeze(0)  # (1, 1, 3, 0), two axes of length 1
    assert b.stride() == (3, 3, 1, 3)
    assert b.squeeze(0).stride() == b.squeeze(1).stride() == (3, 1, 3)


def test_values_and_gradients_of_empty_views_are_unchanged():
    w = tg.zeros(2, 0, 3, requires_grad=True)
    out = w[:, None, :, 1].unsqueeze(0).squeeze(0)
    assert out.shape == (2, 1, 0)
    out.sum().backward()
    assert w.grad.shape == (2, 0, 3)


# -- as_strided's storage offset past the storage's end --------------------------------------
def test_an_empty_as_strided_view_past_the_end_reports_the_offset_asked_for():
    base = tg.zeros(3)
    for offset in (3, 4, 10):
        v = base.as_strided((0,), (1,), offset)
        assert v.storage_offset() == offset and v.stride() == (1,)
    v = base.as_strided((2, 0), (5, 1), 7)
    assert (v.storage_offset(), v.stride()) == (7, (5, 1))
    assert v[1:].storage_offset() == 7 + 5 and v.T.storage_offset() == 7
    assert v.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
    with pytest.raises(RuntimeError, match="as_strided"):  # (with entries: still refused)
        base.as_strided((1,), (1,), 3)


# -- a leaf's .grad in the leaf's strides ---------------------------------------------------
LOSSES = {"sum": lambda w: w.sum(), "mul": lambda w: (w * 2).sum(),
          "square": lambda w: (w * w).sum(), "exp": lambda w: w.exp().sum(),
          "mean": lambda w: w.mean(), "reshape": lambda w: w.reshape(-1).sum(),
          "permute": lambda w: (w.permute(2, 0, 1) * 3).sum()}


@pytest.mark.parametrize("loss", list(LOSSES))
def test_a_leafs_grad_has_the_leafs_strides_on_every_axis(loss):
    w = tg.arange(6.0).reshape(2, 3).T.unsqueeze(2).clone().requires_grad_()
    for _ in range(2):  # (the first .grad, then one added to)
        LOSSES[loss](w).backward()
        assert w.grad.stride() == w.stride(), loss
    np.testing.assert_allclose(w.grad.numpy(), 2 * _grad(loss, w.numpy()))  # (two passes)


def _grad(loss, values):
    """The gradient of LOSSES[loss] at `values`, of a row-by-row leaf."""
    w = tg.tensor(np.ascontiguousarray(values), requires_grad=True)
    LOSSES[loss](w).backward()
    return w.grad.numpy()


@pytest.mark.parametrize("leaf", ["empty.T", "empty_strided", "empty_strided 0s"])
def test_an_empty_leafs_grad_has_the_leafs_strides(leaf):
    w = {"empty.T": lambda: tg.zeros(2, 0).T.clone(),
         "empty_strided": lambda: tg.empty_strided((0, 3), (1, 5)),
         "empty_strided 0s": lambda: tg.empty_strided((0, 3), (0, 0))}[leaf]()
    w.requires_grad_()
    (w * 2).sum().backward()
    assert w.grad.stride() == w.stride() and w.grad.shape == w.shape


def test_a_leaf_not_dense_gets_a_row_by_row_grad():
    w = tg.zeros(2, 4)[:, ::2].requires_grad_()
    (w * 2).sum().backward()
    assert w.grad.stride() == _row_by_row((2, 2))
    np.testing.assert_array_equal(w.grad.numpy(), np.full((2, 2), 2.0))


# -- against torch ------------------------------------------------------------------------
VIEWS = {
    "[:, :, 1]": lambda m: m.zeros(2, 0, 3)[:, :, 1],
    "[:, None]": lambda m: m.zeros(2, 0, 3)[:, None],
    "[..., None]": lambda m: m.zeros(2, 0, 3)[..., None],
    "[:, :, ::2]": lambda m: m.zeros(2, 0, 3)[:, :, ::2],
    "[1, None, :, 1:]": lambda m: m.zeros(2, 0, 3)[1, None, :, 1:],
    "T[1]": lambda m: m.zeros(0, 3).T[1],
    "T.unsqueeze(0)": lambda m: m.zeros(0, 3).T.unsqueeze(0),
    "T.unsqueeze(1)": lambda m: m.zeros(0, 3).T.unsqueeze(1),
    "T.unsqueeze(-1)": lambda m: m.zeros(0, 3).T.unsqueeze(-1),
    "T.unsqueeze(1).squeeze(1)": lambda m: m.zeros(0, 3).T.unsqueeze(1).squeeze(1),
    "T.unsqueeze(1).squeeze()": lambda m: m.zeros(0, 3).T.unsqueeze(1).squeeze(),
    "narrow": lambda m: m.zeros(2, 0, 3).narrow(2, 1, 2),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(VIEWS))
def test_empty_views_have_torchs_strides_and_offset(name):
    torch = pytest.importorskip("torch")
    ours, theirs = VIEWS[name](tg), VIEWS[name](torch)
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    assert ours.storage_offset() == theirs.storage_offset()


@pytest.mark.torch
@pytest.mark.parametrize("offset", [3, 4, 10])
def test_as_strided_offsets_past_the_end_are_torchs(offset):
    torch = pytest.importorskip("torch")

    def offsets(m):
        v = m.zeros(3).as_strided((2, 0), (5, 1), offset)
        return v.storage_offset(), v[1:].storage_offset(), v.T.storage_offset(), v.stride()
    assert offsets(tg) == offsets(torch)


@pytest.mark.torch
@pytest.mark.parametrize("leaf", ["T.unsqueeze(2)", "empty.T", "empty_strided", "strided"])
def test_a_leafs_grad_strides_are_torchs(leaf):
    torch = pytest.importorskip("torch")
    make = {"T.unsqueeze(2)": lambda m: m.zeros(2, 3).T.unsqueeze(2).clone(),
            "empty.T": lambda m: m.zeros(2, 0).T.clone(),
            "empty_strided": lambda m: m.empty_strided((0, 3), (1, 5)),
            "strided": lambda m: m.zeros(2, 4)[:, ::2].clone()[:, :1].clone()}[leaf]
    grads = []
    for m in (tg, torch):
        w = make(m).requires_grad_()
        (w * w).sum().backward()
        grads.append((w.grad.shape, w.grad.stride(), w.stride()))
    (shape, ours, our_leaf), (_, theirs, their_leaf) = grads
    long = [a for a, n in enumerate(shape) if n != 1]  # (length 1: NumPy's, both sides)
    assert [ours[a] for a in long] == [theirs[a] for a in long] and ours == our_leaf


def _view_step(rng: random.Random, shape: list[int]):
    """A random view op, basic index, clone or index array fitting `shape`, as (op, text,
    function of a tensor): the twenty-ninth round's ops (views and clone) and the
    thirtieth's (indexing, unsqueeze, squeeze) in one generator, and the thirty-second's
    index array (a copy)."""
    nd, ops = len(shape), ["none", "unsqueeze", "expand", "clone", "reshape", "reshape 1"]
    ops += ["slice", "int", "narrow", "unfold", "array"] * (nd >= 1)
    ops += ["mT", "permute"] * (nd >= 2) + ["squeeze", "squeeze all"] * (1 in shape)
    op, d = rng.choice(ops), rng.randrange(nd) if nd else 0
    if op == "none":  # (None after some slices, `...` after it or not)
        index = (slice(None),) * rng.randint(0, nd) + (None,) + (
            (Ellipsis,) if rng.random() < 0.5 else ())
        return op, f"[{index}]", lambda t: t[index]
    if op == "unsqueeze":
        k = rng.randint(-nd - 1, nd)
        return op, f".unsqueeze({k})", lambda t: t.unsqueeze(k)
    if op == "expand":
        target = [rng.choice([1, 2]) for _ in range(rng.randint(0, 2))] + [
            rng.choice([1, 3, 0]) if n == 1 else -1 for n in shape]
        return op, f".expand{tuple(target)}", lambda t: t.expand(tuple(target))
    if op == "reshape":  # (axes of length 1 put in, or -1)
        new = list(shape)
        for _ in range(rng.randint(0, 2)):
            new.insert(rng.randint(0, len(new)), 1)
        new = [-1] if rng.random() < 0.3 else new
        return op, f".reshape{tuple(new)}", lambda t: t.reshape(tuple(new))
    if op == "reshape 1":  # (the axes of length 1 taken out, one put in)
        new = [n for n in shape if n != 1]
        new.insert(rng.randint(0, len(new)), 1)
        return op, f".reshape{tuple(new)}", lambda t: t.reshape(tuple(new))
    if op == "slice":  # (a stop past the end too)
        a = rng.randint(0, shape[d])
        index = (slice(None),) * d + (slice(a, rng.randint(a, shape[d] + 1), rng.randint(1, 3)),)
        return op, f"[{index}]", lambda t: t[index]
    if op == "int" and shape[d]:  # (None before it or after it, or neither)
        where = rng.choice(["", "before", "after"])
        index = (None,) * (where == "before") + (slice(None),) * d + (rng.randrange(shape[d]),) \
            + (None,) * (where == "after")
        return op, f"[{index}]", lambda t: t[index]
    if op == "narrow":
        a = rng.randint(0, shape[d])
        n = rng.randint(0, shape[d] - a)
        return op, f".narrow({d}, {a}, {n})", lambda t: t.narrow(d, a, n)
    if op == "unfold":
        size, step = rng.randint(0, shape[d]), rng.randint(1, 2)
        return op, f".unfold({d}, {size}, {step})", lambda t: t.unfold(d, size, step)
    if op == "array" and shape[d]:
        picks = [rng.randrange(shape[d]) for _ in range(rng.randint(1, 3))]
        index = (slice(None),) * d + (picks,)
        return op, f"[{index}]", lambda t: t[tuple(p if isinstance(p, slice) else
                                                  type(t)(p).long() for p in index)]
    if op == "mT":
        return op, ".mT", lambda t: t.mT
    if op == "permute":
        order = list(range(nd))
        rng.shuffle(order)
        return op, f".permute{tuple(order)}", lambda t: t.permute(*order)
    if op == "squeeze":
        k = shape.index(1)
        return op, f".squeeze({k})", lambda t: t.squeeze(k)
    if op == "squeeze all":
        return op, ".squeeze()", lambda t: t.squeeze()
    return "clone", ".clone()", lambda t: t.clone()


@pytest.mark.torch
@pytest.mark.parametrize("seed", [29, 30])
def test_random_chains_of_views_indexing_and_copies_have_torchs_strides(seed):
    """A view with entries has torch's strides on each axis longer than 1 (those read
    memory: the same entries in the same layout; an axis of length 1's may be NumPy's)
    and its storage offset; an empty result whose input had torch's strides and offset,
    all of torch's strides and its offset. The values always, an index array's copy's
    too (its layout is NumPy's: the picked axes outermost, where torch's follows the
    input's; not promised, api-guide)."""
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    checked, empty_checked, copies = collections.Counter(), collections.Counter(), 0
    for _ in range(600):
        copied = False  # (after an index array's copy: NumPy's layout, compared no more)
        shape = [rng.choice([0, 0, 1, 2, 3]) for _ in range(rng.randint(0, 3))]
        n = int(np.prod(shape))
        ours, theirs = tg.arange(float(n)).reshape(*shape), torch.arange(float(n)).reshape(shape)
        text = f"arange{tuple(shape)}"
        for _ in range(rng.randint(1, 5)):
            op, name, view = _view_step(rng, list(theirs.shape))
            try:
                after = view(theirs)
            except RuntimeError:  # (torch refuses it: a view needing a copy, a bad size)
                break
            same = ours.stride() == theirs.stride() and \
                ours.storage_offset() == theirs.storage_offset()
            ours, theirs, text = view(ours), after, text + name
            assert ours.shape == tuple(theirs.shape), text
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
            copied = copied or op == "array"
            if copied:
                copies += 1
            elif theirs.numel():
                long = [a for a, size in enumerate(theirs.shape) if size > 1]
                assert [ours.stride(a) for a in long] == [theirs.stride(a) for a in long], text
                assert ours.storage_offset() == theirs.storage_offset(), text
                checked[op] += 1
            elif not theirs.numel() and same:
                assert ours.stride() == theirs.stride(), text
                assert ours.storage_offset() == theirs.storage_offset(), text
                empty_checked[op] += 1
    assert sum(checked.values()) > 300 and sum(empty_checked.values()) > 300 and copies > 3
    every = {"none", "unsqueeze", "expand", "clone", "reshape", "reshape 1", "slice", "int",
             "narrow", "unfold", "mT", "permute", "squeeze", "squeeze all"}
    assert set(checked) >= every and set(empty_checked) >= every, (
        checked, empty_checked)

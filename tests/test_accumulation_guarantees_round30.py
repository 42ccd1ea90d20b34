"""What a user sees when backward() adds a gradient into `.grad` (thirtieth round), pinned
before the bookkeeping of that addition was taken apart for its pure loss: a tensor's
hooks see its whole gradient and may replace it; `retain_grad()` keeps a non-leaf's (the
one its hooks gave, before its node's pre-hooks); a post-accumulate-grad hook runs once per
pass on the whole sum and may update its leaf in place; backward makes a new `.grad`
tensor each time (a `.grad` kept by the user keeps its values) while `zero_grad(
set_to_none=False)` zeroes the same one; a leaf's new `.grad` has the leaf's strides and
one set by hand keeps its own; `backward(inputs=...)` fills those inputs only;
create_graph's `.grad` carries a graph; a gradient added after an update warns where the
`.grad` is read.

Without torch: NumPy formulas. With torch: the same values and strides as torch's.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

W, X = [1.0, -2.0, 3.0], [0.5, 4.0, -1.0]


def _hooked_pass(m):
    """Library `m` (tg or torch): y = w * x with a tensor hook (times 3), retain_grad and a
    node pre-hook (times 10) on y, a post-accumulate-grad hook on w that notes w.grad; two
    backward passes of sum(y**2 + w). Gives y.grad, w.grad, the notes."""
    w = m.tensor(W, dtype=m.float64, requires_grad=True)
    y = w * m.tensor(X, dtype=m.float64)
    y.retain_grad()
    y.register_hook(lambda g: g * 3)
    y.grad_fn.register_prehook(lambda grads: (grads[0] * 10,))
    seen = []
    w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.detach().clone()))
    z = (y ** 2 + w).sum()
    z.backward(retain_graph=True)
    z.backward()
    return y.grad, w.grad, seen


def test_hooks_retain_grad_and_post_accumulate_hooks_see_what_numpy_says():
    y_grad, w_grad, seen = _hooked_pass(tg)
    w, x = np.array(W), np.array(X)
    y_once = 3 * 2 * (w * x)  # (retain_grad keeps y's gradient after its hook, before the
    w_once = 10 * y_once * x + 1  # node's pre-hook, whose gradient reaches w)
    np.testing.assert_allclose(y_grad.numpy(), 2 * y_once, rtol=1e-15)
    np.testing.assert_allclose(w_grad.numpy(), 2 * w_once, rtol=1e-15)
    assert len(seen) == 2  # once per pass, each on the whole sum so far
    np.testing.assert_allclose(seen[0].numpy(), w_once, rtol=1e-15)
    np.testing.assert_allclose(seen[1].numpy(), 2 * w_once, rtol=1e-15)


@pytest.mark.torch
def test_hooks_retain_grad_and_post_accumulate_hooks_as_torchs():
    torch = pytest.importorskip("torch")
    ours, theirs = _hooked_pass(tg), _hooked_pass(torch)
    for a, b in zip(ours[:2] + tuple(ours[2]), theirs[:2] + tuple(theirs[2])):
        np.testing.assert_array_equal(a.numpy(), b.detach().numpy())


def test_a_post_accumulate_hook_updates_its_leaf_in_place_inside_the_pass():
    w = tg.tensor(W, requires_grad=True)

    def sgd(p):
        p.sub_(0.1 * p.grad)  # (grad mode is off in the pass: this records nothing)
    w.register_post_accumulate_grad_hook(sgd)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.numpy(), np.array(W) - 0.1 * 2 * np.array(W))
    assert w.grad_fn is None and w.requires_grad


@pytest.mark.parametrize("returned, kind", [(3, TypeError), ("x", TypeError),
                                            (tg.ones(3), RuntimeError)])
def test_a_post_accumulate_hook_returning_a_value_is_refused(returned, kind):
    w = tg.tensor(W, requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda p: returned)
    with pytest.raises(kind, match=r"^register_post_accumulate_grad_hook: a hook returned "
                                   rf"{type(returned).__name__} .*returns None"):
        (w * 2).sum().backward()


def test_backward_makes_a_new_grad_and_a_kept_one_keeps_its_values():
    w = tg.tensor(W, requires_grad=True)
    (w * 2).sum().backward()
    kept = w.grad
    (w * 3).sum().backward()
    assert w.grad is not kept
    np.testing.assert_array_equal(kept.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(w.grad.numpy(), [5.0, 5.0, 5.0])


def test_zero_grad_without_none_zeroes_the_same_grad_and_backward_adds_a_new_one():
    w = tg.tensor(W, requires_grad=True)
    optimizer = tg.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    kept = w.grad
    optimizer.zero_grad(set_to_none=False)
    assert w.grad is kept
    np.testing.assert_array_equal(kept.numpy(), [0.0, 0.0, 0.0])
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0, 3.0])
    optimizer.zero_grad()
    assert w.grad is None


def _transposed_leaf_grads(m):
    """A leaf of library `m` in column-major strides and one row by row whose `.grad` was
    set by hand column-major, after one backward: their `.grad` strides and values."""
    a = m.zeros(4, 3, dtype=m.float64).T.requires_grad_()  # (strides (1, 3))
    b = m.zeros(3, 4, dtype=m.float64, requires_grad=True)
    b.grad = m.zeros(4, 3, dtype=m.float64).T
    x = m.arange(12, dtype=m.float64).reshape(3, 4)
    with warnings.catch_warnings():  # (torch's: the layouts differ, "not an error")
        warnings.simplefilter("ignore" if m is not tg else "error")
        ((a * x).sum() + (b * x * 2).sum()).backward()
    return [(g.stride(), g.detach().numpy()) for g in (a.grad, b.grad)]


def test_a_leafs_new_grad_has_its_strides_and_one_set_by_hand_keeps_its_own():
    (a_stride, a_grad), (b_stride, b_grad) = _transposed_leaf_grads(tg)
    assert a_stride == (1, 3) and b_stride == (1, 3)
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(a_grad, x)
    np.testing.assert_array_equal(b_grad, 2 * x)


@pytest.mark.torch
def test_grad_strides_as_torchs():
    torch = pytest.importorskip("torch")
    for (ours, our_grad), (theirs, their_grad) in zip(_transposed_leaf_grads(tg),
                                                      _transposed_leaf_grads(torch)):
        assert ours == theirs
        np.testing.assert_array_equal(our_grad, their_grad)


def test_backward_inputs_fills_those_inputs_grad_only_in_their_strides():
    a = tg.zeros(4, 3).T.requires_grad_()
    b = tg.ones(3, 4, requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None and a.grad.stride() == (1, 3)
    np.testing.assert_array_equal(a.grad.numpy(), np.ones((3, 4)))


def _second_derivative(m):
    """w.grad made with create_graph=True in library `m`, then a backward through it: the
    first gradient's values and requires_grad, and w.grad after the second pass."""
    w = m.tensor(W, dtype=m.float64, requires_grad=True)
    with warnings.catch_warnings():  # (torch's: a reference cycle, "reset .grad after use")
        warnings.simplefilter("ignore" if m is not tg else "error")
        (w ** 3).sum().backward(create_graph=True)
    first = w.grad
    values, graph = first.detach().numpy().copy(), first.requires_grad
    first.sum().backward()
    return values, graph, w.grad.detach().numpy()


def test_create_graph_gives_a_grad_with_its_graph():
    first, graph, after = _second_derivative(tg)
    w = np.array(W)
    assert graph
    np.testing.assert_allclose(first, 3 * w ** 2, rtol=1e-15)
    np.testing.assert_allclose(after, 3 * w ** 2 + 6 * w, rtol=1e-15)


@pytest.mark.torch
def test_create_graph_grad_as_torchs():
    torch = pytest.importorskip("torch")
    for a, b in zip(_second_derivative(tg), _second_derivative(torch)):
        np.testing.assert_array_equal(a, b)


def test_a_gradient_added_after_an_update_warns_where_grad_is_read_and_not_after_zero_grad():
    w = tg.tensor(W, requires_grad=True)
    (w * 2).sum().backward()
    with tg.no_grad():
        w -= 0.1 * w.grad
    (w * 2).sum().backward()
    with pytest.warns(UserWarning, match=r"adds up gradients from before and after an update"):
        w.grad
    w.grad = None
    (w * 2).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


def test_gradients_accumulated_over_passes_after_an_update_and_zero_grad_do_not_warn():
    w = tg.tensor(W, requires_grad=True)
    optimizer = tg.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    optimizer.step()
    optimizer.zero_grad()
    with warnings.catch_warnings():  # (two micro-batches of one step: nothing mixed)
        warnings.simplefilter("error")
        (w * 2).sum().backward()
        (w * 3).sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), [5.0, 5.0, 5.0])
        optimizer.step()


def test_each_leafs_grad_is_its_own_array_though_an_op_handed_them_one():
    a, b = tg.tensor(W, requires_grad=True), tg.tensor(X, requires_grad=True)
    for y in ((a + b).sum(), a + b):  # (add hands its output's gradient to both inputs)
        y.backward(None if y.ndim == 0 else tg.ones(3))
        a.grad.data[0] = 99.0
        np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 1.0])
        np.testing.assert_array_equal(a.grad.numpy(), [99.0, 1.0, 1.0])
        a.grad = b.grad = None

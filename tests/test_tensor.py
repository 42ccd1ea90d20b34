"""The Tensor and its engine: the documents' numbers, graph mechanics, grad modes, custom ops."""
from __future__ import annotations

import copy
import operator
import subprocess
import sys
import threading
import weakref

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Function, Tensor, TrackedArray, engine
from tinygrad_gd.scope import scope

# ------------------------------------------------------------------ the documents' numbers


def test_grokking_multi_input_weight_deltas():
    x = Tensor([8.5, 0.65, 1.2])
    w = Tensor([0.1, 0.2, -0.1], requires_grad=True)
    pred = x @ w
    pred.retain_grad()
    loss = 0.5 * (pred - 1) ** 2  # its derivative is Grokking's delta = pred - true
    loss.backward()
    delta = 8.5 * 0.1 + 0.65 * 0.2 + 1.2 * -0.1 - 1  # the book's pred - true
    np.testing.assert_allclose(pred.item(), 0.86, atol=1e-12)
    np.testing.assert_allclose(pred.grad.item(), delta, atol=1e-12)
    np.testing.assert_allclose(w.grad.data, [-1.19, -0.091, -0.168], atol=1e-12)
    np.testing.assert_allclose(np.asarray(w.grad), delta * np.array([8.5, 0.65, 1.2]), atol=1e-15)


@pytest.mark.parametrize("form", ["matmul", "sum", "dot"])
def test_three_ways_to_write_the_weighted_sum_agree(form):
    x = Tensor([8.5, 0.65, 1.2])
    w = Tensor([0.1, 0.2, -0.1], requires_grad=True)
    pred = {"matmul": lambda: x @ w, "sum": lambda: (x * w).sum(), "dot": lambda: x.dot(w)}[form]()
    (0.5 * (pred - 1) ** 2).backward()
    np.testing.assert_allclose(w.grad.data, [-1.19, -0.091, -0.168], atol=1e-12)


def test_course_slides_one_weight_slope():
    weight = Tensor(2.0, requires_grad=True)
    pred = 3 * weight
    loss = (pred - 10) ** 2
    loss.backward()
    assert weight.grad.item() == pytest.approx(-24, abs=1e-12)  # 2 x (-4) x 3
    assert weight.item() - 0.01 * weight.grad.item() == pytest.approx(2.24, abs=1e-12)


def test_course_slides_two_inputs():
    weights = Tensor([1.0, 2.0], requires_grad=True)
    loss = (Tensor([3.0, 4.0]) @ weights - 6) ** 2
    loss.backward()
    assert loss.item() == pytest.approx(25)  # error 11 - 6 = 5
    np.testing.assert_allclose(weights.grad.data, [30, 40], atol=1e-12)

# ------------------------------------------------------------------ construction and API


def test_dtypes_default_to_float64_and_float32_on_request():
    assert Tensor(1).dtype == np.float64
    assert Tensor([1, 2]).dtype == np.float64
    assert Tensor([True, False]).dtype == np.float64
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32  # a float array keeps it
    assert Tensor([1, 2], dtype="int64").dtype == np.int64  # labels, indices


def test_attributes_and_conversions():
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], name="t")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.is_leaf and not t.requires_grad and t.grad is None
    # all three share the values; np.asarray(t) is read-only, t.data and t.numpy() count writes
    assert np.shares_memory(np.asarray(t), t.data) and np.shares_memory(t.numpy(), t.data)
    assert not np.asarray(t).flags.writeable and isinstance(t.numpy(), TrackedArray)
    assert Tensor(3.5).item() == 3.5 and float(Tensor([2.0])) == 2.0
    assert t.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert "name='t'" in repr(t) and "[4., 5., 6.]" in repr(t)
    w = Tensor([1.0], requires_grad=True)
    assert "requires_grad=True" in repr(w)
    assert "grad_fn=<mul>" in repr(w * 2)
    assert "dtype=float32" in repr(Tensor([1.0], dtype=np.float32))


def test_scalars_lists_and_arrays_on_either_side():
    w = Tensor([1.0, 2.0], requires_grad=True)
    results = [w + 1, 1 + w, w - [1, 1], [1, 1] - w, w * np.array([2.0, 3.0]),
               np.array([2.0, 3.0]) * w, w / 2, 2 / w, w ** 2, 2 ** w, np.array([1.0, 1.0]) @ w]
    assert all(isinstance(r, Tensor) and r.requires_grad for r in results)
    np.testing.assert_allclose((np.array([2.0, 3.0]) * w).data, [2, 6])
    np.testing.assert_allclose(([1, 1] - w).data, [0, -1])
    np.testing.assert_allclose((2 ** w).data, [2, 4])


def test_python_scalars_keep_float32():
    w = Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    out = (0.5 * (w - 1) ** 2 / 3.0).sum()
    assert out.dtype == np.float32
    out.backward()
    assert w.grad.dtype == np.float32


def test_comparisons_return_boolean_tensors_and_record_nothing():
    w = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    for result in (w > 0, w >= 1, w < 0, w <= 1, w == 3, w != 3, w > Tensor(0.0)):
        assert isinstance(result, Tensor) and result.dtype == bool
        assert not result.requires_grad and result.grad_fn is None
    np.testing.assert_array_equal(w > 0, [True, False, True])
    assert {w: 1}[w] == 1  # still hashable


def test_shape_methods():
    t = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    assert t.reshape(6, 4).shape == (6, 4) and t.reshape((4, -1)).shape == (4, 6)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    assert t.T.shape == (4, 3, 2) and t.transpose(1, 0, 2).shape == (3, 2, 4)
    assert Tensor([1.0, 2.0]).expand(3, -1).shape == (3, 2)
    assert tg.broadcast_to(Tensor([1.0]), (2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(t[1, :, ::2].data, t.data[1, :, ::2])
    np.testing.assert_array_equal(t[Tensor([0, 0], dtype=np.int64)].data, t.data[[0, 0]])


def test_module_functions_match_methods():
    x = Tensor([[0.5, -1.0], [2.0, 0.25]])
    for name in ("exp", "tanh", "sigmoid", "relu", "abs", "softmax", "log_softmax"):
        np.testing.assert_array_equal(getattr(tg, name)(x).data, getattr(x, name)().data)
    np.testing.assert_array_equal(tg.sum(x, axis=0).data, x.data.sum(axis=0))
    np.testing.assert_array_equal(tg.clip(x, 0, 1).data, np.clip(x.data, 0, 1))
    np.testing.assert_array_equal(tg.where(x.data > 0, x, 0.0).data, np.where(x.data > 0, x.data, 0))


def test_sigmoid_and_softmax_are_stable_at_extremes():
    x = Tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow anywhere
        s = x.sigmoid()
        s.sum().backward()
    np.testing.assert_allclose(s.data, [0.0, 1 / (1 + np.exp(30.0)), 0.5, 1 / (1 + np.exp(-30.0)), 1.0])
    assert np.isfinite(x.grad.data).all()
    logits = Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    with np.errstate(over="raise"):
        ls = logits.log_softmax(axis=1)
        sm = logits.softmax(axis=1)
    np.testing.assert_allclose(ls.data, [[0.0, -1000.0, -2000.0]])
    np.testing.assert_allclose(sm.data, [[1.0, 0.0, 0.0]])


def test_max_and_min_split_ties_evenly():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = Tensor([1.0, 1.0, 5.0], requires_grad=True)
    y.min().backward()
    np.testing.assert_allclose(y.grad.data, [0.5, 0.5, 0])
    a, b = Tensor([2.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    tg.maximum(a, b).backward(np.ones(1))
    assert a.grad.item() == b.grad.item() == 0.5


def test_getitem_repeated_indices_accumulate():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 0, 1])


def test_pow_does_not_take_log_of_a_negative_base_for_a_constant_exponent():
    x = Tensor([-2.0, 3.0], requires_grad=True)
    with np.errstate(invalid="raise", divide="raise"):
        (x ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-4, 6])

# ------------------------------------------------------------------ graph mechanics


def test_a_node_used_twice_accumulates():
    a = Tensor(3.0, requires_grad=True)
    b = a + a
    c = b * b  # c = 4a^2, dc/da = 8a
    c.backward()
    assert a.grad.item() == 24.0


def test_toposort_lists_each_tensor_once_before_its_inputs_constants_on_request():
    x = Tensor([1.0, 2.0], name="x")  # an input that needs no gradient
    w = Tensor([0.5, -1.0], requires_grad=True, name="w")
    h = x * w
    y = h * h + h  # h feeds two ops
    z = h.sum()  # a second output
    needing = engine.toposort(y)
    assert [t.grad_fn.name if t.grad_fn else t.name for t in needing] == \
        ["add", "mul", "mul", "w"]
    every = engine.toposort(y, z, every=True)
    assert len(every) == len({id(t) for t in every})  # once each
    assert {id(t) for t in every} >= {id(x), id(w), id(h), id(y), id(z)}
    place = {id(t): i for i, t in enumerate(every)}
    for t in every:  # every consumer before each of its inputs
        for parent in t.grad_fn.parents if t.grad_fn else ():
            assert place[id(t)] < place[id(parent)]
    assert {id(t) for t in every[-2:]} == {id(x), id(w)}  # the leaves last


def test_diamond():
    x = Tensor(2.0, requires_grad=True)
    left, right = x * 3, x ** 2
    out = left * right  # 3x^3, derivative 9x^2
    out.backward()
    assert x.grad.item() == pytest.approx(36.0)


def test_broadcast_gradient_is_reduced_to_each_input_shape():
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.ones((4, 1)), requires_grad=True)
    (x * b + c).sum().backward()
    assert b.grad.shape == (3,) and np.all(b.grad.data == 4)
    assert c.grad.shape == (4, 1) and np.all(c.grad.data == 3)


def test_deep_chain_runs_without_recursion():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001  # 100,000 recorded ops
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 100_000, rel=1e-9)
    del y  # freeing a deep graph must not overflow the C stack either


def test_gradients_accumulate_across_calls_until_cleared():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [6, 6])
    w.grad = None
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3, 3])


def test_grad_is_a_copy_the_user_may_edit():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()  # add hands the same array to both inputs
    x.grad.data[0] = 0.0  # the book's weight_deltas[0] = 0
    np.testing.assert_array_equal(y.grad.data, [1, 1])


def test_non_leaf_grad_only_when_retained():
    w = Tensor([1.0], requires_grad=True)
    hidden = w * 2
    kept = hidden * 3
    kept.retain_grad()
    (kept ** 2).sum().backward()
    with pytest.warns(UserWarning, match=r"\.grad of a tensor made by op 'mul' is None: "
                                         r"backward\(\) keeps the gradients of leaves"):
        assert hidden.grad is None  # (w = w - lr * w.grad leads here: PyTorch warns too)
    np.testing.assert_allclose(kept.grad.data, [12.0])


def test_a_gradient_added_into_one_from_before_an_update_is_warned_of_where_it_is_used():
    # the documents' loop with backward() in place of the hand-written weight_deltas,
    # but no clearing: iteration 2's weight_deltas were -1.498 where the book has -0.308;
    # told where .grad is read (the update), once
    x = Tensor([8.5, 0.65, 1.2])
    w = Tensor([0.1, 0.2, -0.1], requires_grad=True, name="w")
    (0.5 * (x @ w - 1) ** 2).backward()
    with tg.no_grad():
        w -= 0.01 * w.grad
    (0.5 * (x @ w - 1) ** 2).backward()
    with pytest.warns(UserWarning, match=r"^\.grad of w \(3,\) adds up gradients from before "
                                         r"and after an update: clear .grad .*w.grad = None"):
        with tg.no_grad():
            w -= 0.01 * w.grad
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # cleared (three ways), or no update: no warning
        for clear in (lambda: setattr(w, "grad", None), lambda: w.grad.zero_(),
                      lambda: setattr(w, "grad", np.zeros(3))):
            with tg.no_grad():
                w -= 0.01 * w.grad
            clear()
            (0.5 * (x @ w - 1) ** 2).backward()
        (0.5 * (x @ w - 1) ** 2).backward()  # accumulating two passes, no update between


@pytest.mark.parametrize("hook_first", [True, False])
def test_retained_grad_is_the_gradient_after_hooks_and_accumulates(hook_first):
    # As in PyTorch: retain_grad keeps the gradient the tensor passes on, after every
    # hook of it ran, whichever was registered first; a second backward adds to it.
    w = Tensor([1.0, 2.0], requires_grad=True)
    hidden = w * 3
    if hook_first:
        hidden.register_hook(lambda g: g.data * 10)
        hidden.retain_grad()
    else:
        hidden.retain_grad()
        hidden.register_hook(lambda g: g.data * 10)
    loss = (hidden * hidden).sum()  # d loss / d hidden = 2 * hidden = [6, 12]
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(hidden.grad.data, [60.0, 120.0])
    np.testing.assert_allclose(w.grad.data, [180.0, 360.0])  # 3 * the replaced gradient
    loss.backward()
    np.testing.assert_allclose(hidden.grad.data, [120.0, 240.0])
    w.retain_grad()  # a leaf keeps its gradient anyway: stored once, not twice
    w.grad = None
    (w * 1.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0])


def test_non_scalar_backward_needs_a_gradient():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\), so a gradient must be given"):
        (w * 2).backward()
    (w * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(w.grad.data, [2, 20])


def test_graph_is_released_after_backward_unless_retained():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        loss.backward()
    w.grad = None
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [4, 8])


def test_a_graph_whose_ops_saved_nothing_backwards_twice_as_pytorchs():
    # nothing was freed, yet the second backward() was refused as through freed arrays
    a = Tensor([1.0, 2.0], requires_grad=True)
    loss = (a + 1).sum()
    loss.backward()
    loss.backward()
    assert a.grad.tolist() == [2.0, 2.0]


def test_autograd_wants_one_starting_gradient_per_output():
    # a short list raised a raw IndexError; a long one dropped the extra seeds silently
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"grad: 2 outputs but 1 grad_outputs; give one per"):
        tg.autograd.grad([x * 3, x * 2], [x], grad_outputs=[np.ones(2)])
    with pytest.raises(ValueError, match=r"grad: 1 outputs but 2 grad_outputs"):
        tg.autograd.grad([x * 3], [x], grad_outputs=[np.ones(2), np.ones(2)])
    with pytest.raises(ValueError, match=r"backward: 2 tensors but 1 grad_tensors"):
        tg.autograd.backward([(x * 3).sum(), (x * 2).sum()], [None])
    assert tg.autograd.grad([x * 3, x * 2], [x], [np.ones(2), np.ones(2)])[0].tolist() == [5, 5]


def test_anomaly_mode_says_where_an_op_made_outside_it_was_not_recorded():
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt()  # made before the block: no line recorded (the message said "None")
    with pytest.raises(tg.AnomalyError, match=r"created at: unknown: the op ran outside "
                                              r"detect_anomaly\(\); run the forward pass"):
        with np.errstate(divide="ignore"), tg.detect_anomaly():
            y.sum().backward()


def test_no_grad_records_nothing_as_context_and_decorator():
    w = Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        y = w * 2
        assert not tg.is_grad_enabled()
        with tg.enable_grad():
            assert (w * 2).requires_grad
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @tg.no_grad()
    def evaluate(t):
        return t * 3

    assert not evaluate(w).requires_grad and tg.is_grad_enabled()


def test_a_grad_mode_decorator_holds_inside_a_generator_and_needs_no_parentheses():
    # `@tg.no_grad()` on a generator function switched the mode only while the generator
    # was made, not while its body ran: what it yielded was recorded (PyTorch's is not)
    w = Tensor([1.0], requires_grad=True)

    @tg.no_grad()
    def batches(t):
        scale = yield t * 2
        yield t * scale
        return "done"

    steps = batches(w)
    first = next(steps)
    assert not first.requires_grad and tg.is_grad_enabled()  # off inside, on between
    second = steps.send(3.0)
    assert second.tolist() == [3.0] and not second.requires_grad
    with pytest.raises(StopIteration) as end:
        next(steps)
    assert end.value.value == "done"

    @tg.no_grad  # PyTorch 2's bare decorator
    def evaluate(t):
        return t * 3

    @tg.enable_grad
    def record(t):
        return t * 3

    assert not evaluate(w).requires_grad
    with tg.no_grad():
        assert record(w).requires_grad
    assert tg.is_grad_enabled()


def test_iterating_a_0d_tensor_is_refused_and_rows_iterate_in_the_graph():
    # `sum(loss)` on a 0-d tensor gave 0: Python's fallback iteration met an IndexError
    with pytest.raises(TypeError, match=r"iteration over a 0-d tensor \(one value\): use "
                                        r"x.item\(\)"):
        sum(Tensor(5.0))
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    top, bottom = w
    (top * bottom).sum().backward()
    assert w.grad.tolist() == [[3.0, 4.0], [1.0, 2.0]] and list(tg.zeros(0)) == []


def _what_an_op_records(w):
    """(records a node, under anomaly mode, the scope tuple) for an op on w, seen from the node."""
    y = w * 2
    if y.grad_fn is None:
        return (False, None, None)
    return (True, y.grad_fn.created_at is not None, y.grad_fn.scope)


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (1, 3, 0, 2), (2, 0, 3, 1)])
def test_grad_anomaly_and_scope_modes_nest_in_any_order_and_restore(order):
    # Ops read one flag for "every mode at its default"; each block must set and restore it.
    w = Tensor([1.0], requires_grad=True)
    owner = object()
    blocks = [tg.no_grad, tg.enable_grad, tg.detect_anomaly, lambda: scope(owner)]
    state = {"grad": True, "anomaly": False, "scope": ()}

    def expected(state):
        return (True, state["anomaly"], state["scope"]) if state["grad"] else (False, None, None)

    stack = []
    try:
        for i in order:
            block = blocks[i]()
            block.__enter__()
            stack.append((block, dict(state)))
            if i < 2:
                state["grad"] = i == 1
            elif i == 2:
                state["anomaly"] = True
            else:
                state["scope"] = state["scope"] + (owner,)
            assert _what_an_op_records(w) == expected(state), (order, i)
        while stack:
            block, state = stack.pop()
            block.__exit__(None, None, None)
            assert _what_an_op_records(w) == expected(state)
    finally:
        for block, _ in reversed(stack):
            block.__exit__(None, None, None)
    assert _what_an_op_records(w) == (True, False, ())


def test_detach_and_requires_grad_():
    w = Tensor([1.0, 2.0], requires_grad=True)
    d = (w * 2).detach()
    assert not d.requires_grad and d.is_leaf
    out = (d * w).sum()
    out.backward()
    np.testing.assert_array_equal(w.grad.data, [2, 4])  # no gradient flowed through d
    t = Tensor([1.0]).requires_grad_()
    assert t.requires_grad


def test_grad_mode_is_thread_local():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with tg.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = tg.is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = (Tensor([1.0], requires_grad=True) * 2).requires_grad
    release.set()
    thread.join()
    assert seen == {"main": True, "worker": False}


def test_register_hook_replaces_the_gradient():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    remove = w.register_hook(lambda g: g.data * np.array([0.0, 1.0, 1.0]))
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0, 4, 6])
    remove()
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2, 4, 6])


def test_a_diagram_runs_no_hook_and_a_copy_has_no_hooks():
    # As documented in register_hook: a diagram runs no hook; it draws the gradients
    # before any hook, and .grad as backward() left it
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    h = x * 3
    h.name = "h"
    calls = []
    h.register_hook(lambda g: calls.append(1) or g.data * 10)
    loss = h.sum()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.data, [30, 30])
    source = tg.draw_graph(loss, mode="backward").source
    assert "grad [1, 1]" in source and "grad [3, 3]" in source  # h's and x's, before the hook
    assert ".grad [30, 30]" in source  # x's, as backward() left it
    assert len(calls) == 1  # (backward()'s call alone)
    w = Tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: g.data * 0)
    twin = copy.deepcopy(w)
    for t in (w, twin):
        (t * 1).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0, 0])
    np.testing.assert_array_equal(twin.grad.data, [1, 1])  # as in PyTorch: hooks stay behind


def test_a_hook_remover_keeps_neither_the_tensor_nor_its_graph_alive():
    w = Tensor([1.0, 2.0], requires_grad=True)
    hidden = w * 3
    remove = hidden.register_hook(lambda g: None)
    gone = weakref.ref(hidden)
    del hidden
    assert gone() is None  # freed as soon as it is dropped, though `remove` is kept
    remove()  # removing the hook of a tensor that is gone does nothing
    remove()


_HOOKS_SWITCHED_OFF = """
import numpy as np, tinygrad_gd as tg
from tinygrad_gd import engine
on = lambda: sorted(type(e).__name__ for e in engine.extensions)
w = tg.Tensor([1.0, 2.0], requires_grad=True)
hidden = w * 3
seen = []
remove = hidden.register_hook(lambda g: seen.append(g.sum().item()))
hidden.retain_grad()
loss = (hidden * hidden).sum()
loss.backward()
print(on(), seen, hidden.grad.data.tolist())
remove()
del loss, hidden  # no tensor has a hook or retains its gradient any more
(w * w).sum().backward()  # the first step that finds none switches hooks off
print(on())
again = w * 2
again.retain_grad()  # kept by backward() itself: no extension needed
again.sum().backward()
print(on(), again.grad.data.tolist())
hooked = w * 2
hooked.retain_grad()
hooked.register_hook(lambda g: g * 10)
hooked.sum().backward()
print(on(), hooked.grad.data.tolist())  # the hook's gradient, kept after it ran
"""


def test_hooks_cost_nothing_once_no_tensor_has_one():
    # A fresh process: in this one, other tests' tensors may still hold hooks.
    run = subprocess.run([sys.executable, "-c", _HOOKS_SWITCHED_OFF], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "['GradientHooks', 'VersionCheck'] [18.0] [6.0, 12.0]",
        "['VersionCheck']",  # off: the pass pays nothing for hooks
        "['VersionCheck'] [1.0, 1.0]",
        "['GradientHooks', 'VersionCheck'] [10.0, 10.0]"]  # on again when needed


class _Recorder(engine.Extension):
    """Notes each gradient the pass completes; switches itself off at the `leave_at`-th."""

    def __init__(self, leave_at: int | None = None) -> None:
        self.seen: list[float] = []
        self.leave_at = leave_at

    def gradient(self, tensor, grad):
        self.seen.append(float(np.sum(grad)))
        if len(self.seen) == self.leave_at:
            engine.switch(self, on=False)  # as another thread's module call ending would
        return grad


def test_an_extra_switched_off_during_a_pass_makes_no_other_miss_a_step():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = ((w * 3) ** 2).sum()  # four tensors get a gradient: loss, the square, w*3, w
    leaving = _Recorder(leave_at=1)  # it leaves at the first tensor, before `staying` runs
    staying = _Recorder()
    engine.switch(leaving)
    engine.switch(staying)
    try:
        loss.backward()
    finally:
        engine.switch(leaving, on=False)
        engine.switch(staying, on=False)
    assert len(leaving.seen) == 1
    assert staying.seen == [1.0, 2.0, 2 * 9.0, 2 * 9 * 3.0]  # every step, in the pass's order
    np.testing.assert_array_equal(w.grad.data, [18, 36])


def test_an_extra_switched_on_twice_runs_once_and_off_not_at_all():
    recorder = _Recorder()
    w = Tensor([1.0, 2.0], requires_grad=True)
    engine.switch(recorder)
    engine.switch(recorder)
    try:
        (w * w).sum().backward()
    finally:
        engine.switch(recorder, on=False)
    assert len(recorder.seen) == 3  # the sum, w * w and w: each once
    (w * w).sum().backward()
    assert len(recorder.seen) == 3
    assert recorder not in engine.extensions

# ------------------------------------------------------------------ users' own ops


class Cube(Function, register=False):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


class _Slotted(Function, register=False):
    __slots__ = ()  # a user's op may declare slots

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    def backward(ctx, grad):
        return grad * 2


class _EqualToAll(Function, register=False):
    def __eq__(self, other):  # and an op object need not hash (no __hash__ with __eq__)
        return True

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 3

    def backward(ctx, grad):
        return grad * 3


def test_users_ops_with_slots_or_their_own_eq_work_under_detect_anomaly():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with tg.detect_anomaly():
        (_Slotted.apply(w) + _EqualToAll.apply(w)).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [5.0, 5.0])


def test_custom_op_works_like_a_builtin():
    x = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name == "cube"
    (y * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data ** 2)
    assert tg.gradcheck(lambda t: Cube.apply(t), [x])
    with tg.no_grad():
        assert not Cube.apply(x).requires_grad


def test_subclassing_registers_an_op_by_name():
    class Twice(Function, name="twice_for_test"):
        def forward(ctx, x):
            return 2 * x

        def backward(ctx, grad):
            return 2 * grad

    try:
        assert tg.registered_ops()["twice_for_test"] is Twice
        assert Cube not in tg.registered_ops().values()  # register=False keeps an op out
    finally:
        from tinygrad_gd import registry
        registry._registry.pop("twice_for_test")


def test_an_op_whose_forward_returns_several_arrays_gives_several_tensors():
    # they were stacked into one tensor silently, and backward failed deep inside; then
    # refused; now several outputs, as PyTorch's, and a backward taking one gradient for
    # them is told in one line
    class Both(tg.Function, register=False):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g):
            return g

    doubled, tripled = Both.apply(Tensor([1.0, 5.0], requires_grad=True))
    assert doubled.tolist() == [2.0, 10.0] and tripled.tolist() == [3.0, 15.0]
    with pytest.raises(TypeError, match=r"^both: forward returned 2 outputs, so backward "
                                        r"gets 2 gradients, one per output: define "
                                        r"backward\(ctx, grad_0, \.\.\., grad_1\)"):
        (doubled + tripled).sum().backward()


class _ZeroNegatives(Function, register=False):
    """A user's relu written the NumPy way, in place: its forward gets read-only arrays."""

    def forward(ctx, x):
        x[x < 0] = 0
        return x

    def backward(ctx, grad):
        return grad


class _CubeInPlace(Function, register=False):
    """A user's cube whose backward writes into the gradient it was given."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        grad *= 3 * x ** 2
        return grad


def test_a_users_op_cannot_write_into_its_input_or_the_gradient_it_is_given():
    w = Tensor([-1.0, 2.0, -3.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"^_zeronegatives: forward wrote into an input array "
                       r"\(assignment destination is read-only\); the inputs are the caller's "
                       r"values: compute a new array") as caught:
        _ZeroNegatives.apply(w)
    assert caught.value.__cause__ is not None  # the user's own line stays in the traceback
    assert w.tolist() == [-1.0, 2.0, -3.0]
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 1.0], requires_grad=True)
    loss = ((b + _CubeInPlace.apply(a)) * Tensor([1.0, 1.0])).sum()
    with pytest.raises(ValueError, match=r"^backward of op '_cubeinplace': output array is "
                       r"read-only; grad and the saved arrays are shared with other ops: "
                       r"compute new arrays \(grad \* 2, not grad \*= 2\)$"):
        loss.backward()
    assert b.grad is None  # add gives both inputs one array: b's was never made 3 * a**2


def test_a_users_op_returning_its_input_returns_a_tensor_of_its_own():
    class Same(Function, register=False):
        def forward(ctx, x):
            return x

        def backward(ctx, grad):
            return grad

    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Same.apply(x)
    with tg.no_grad():
        y += 1  # a write into the output leaves the input alone
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [2.0, 3.0]


def test_a_users_forward_without_return_or_with_a_list_of_gradients():
    class NoReturn(Function, register=False):
        def forward(ctx, x):
            x * 2

        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match=r"^noreturn: forward returned None; return the "
                       r"output array \(a missing return\?\)$"):
        NoReturn.apply(Tensor([1.0], requires_grad=True))

    class Difference(Function, register=False):
        def forward(ctx, x, y):
            return x - y

        def backward(ctx, grad):
            return [grad, -grad]  # a list, not a tuple: one gradient each still

    x, y = Tensor([3.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    Difference.apply(x, y).sum().backward()
    assert x.grad.tolist() == [1.0] and y.grad.tolist() == [-1.0]


def test_a_number_given_to_a_users_op_positionally_reaches_forward_as_given():
    class Power(Function, register=False):
        def forward(ctx, x, p=2):
            ctx.save_for_backward(x)
            ctx.p = p
            return x ** p

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ctx.p * x ** (ctx.p - 1)

    x = Tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^backward of op 'power' returned 1 gradients "
                       r"for 2 inputs \(a number given to apply counts too: return None for "
                       r"it, as PyTorch's, or pass it as a keyword, p=3\)$"):
        Power.apply(x, 3.0).sum().backward()
    Power.apply(x, p=3.0).sum().backward()
    assert x.grad.tolist() == [12.0]

    class SumAlong(Function, register=False):
        def forward(ctx, x, dim=None):
            return x.sum(axis=dim)

        def backward(ctx, grad):
            return grad

    x = Tensor([[1.0, 2.0]], requires_grad=True)  # (dim reaches forward as the int 1, as
    assert SumAlong.apply(x, 1).tolist() == np.sum(x.numpy(), axis=1).tolist()  # PyTorch's)

    class Scaled(Function, register=False):  # (a gradient for the number: torch refuses it)
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        def backward(ctx, grad):
            return grad * ctx.k, grad.sum()

    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^backward of op 'scaled' returned a gradient for "
                       r"argument 1, float 3.0, which is no tensor and has none; return None"):
        Scaled.apply(x, 3.0).sum().backward()
    assert x.grad is None


def test_a_users_op_may_not_take_a_built_in_ops_name_method_or_function():
    before = tg.registered_ops()
    with pytest.raises(TypeError, match=r"^class Exp\(Function, \.\.\.\): the name 'exp' is "
                       r"the built-in op's; give yours another: class Exp\(Function, "
                       r"name='my_exp'\)$"):
        class Exp(Function):  # PyTorch's documentation example, under the built-in's name
            pass
    with pytest.raises(TypeError, match=r"^class MyExp\(Function, \.\.\.\): it would replace "
                       r"Tensor\.exp, the built-in op 'exp'; choose another name"):
        class MyExp(Function, methods=("exp",)):
            pass
    with pytest.raises(TypeError, match=r"it would replace tg\.relu, the built-in op 'relu'"):
        class MyRelu(Function, functions=("relu",)):
            pass
    with pytest.raises(TypeError, match=r"methods='backward' would replace Tensor\.backward"):
        class Backwards(Function, name="backwards_for_test", methods=("backward",)):
            pass
    assert tg.registered_ops() == before  # nothing registered by a refused op
    assert Tensor([0.0]).exp().tolist() == [1.0]


def test_a_users_op_defined_again_replaces_the_first():
    def define(factor, method):
        class Twice(Function, name="twice_again_for_test", methods=(method,),
                    functions=(method,)):
            def forward(ctx, x):
                return factor * x

            def backward(ctx, grad):
                return factor * grad
        return Twice

    from tinygrad_gd import functional, registry
    try:
        define(2.0, "twice_for_test_a")
        second = define(3.0, "twice_for_test_a")  # a notebook cell run again, changed
        assert tg.registered_ops()["twice_again_for_test"] is second
        assert Tensor([1.0]).twice_for_test_a().tolist() == [3.0]
        define(4.0, "twice_for_test_b")  # renamed: the old name no longer calls the old op
        assert not hasattr(Tensor, "twice_for_test_a") and "twice_for_test_a" not in dir(tg)
        assert Tensor([1.0]).twice_for_test_b().tolist() == [4.0]
        assert tg.twice_for_test_b(Tensor([1.0])).tolist() == [4.0]
    finally:
        registry._registry.pop("twice_again_for_test")
        for name in ("twice_for_test_a", "twice_for_test_b"):
            if hasattr(Tensor, name):
                delattr(Tensor, name)
            if name in functional.__all__:
                functional.__all__.remove(name)
                delattr(functional, name)


def test_a_users_op_function_is_in_tg_and_its_listing():
    class Halve(Function, name="halve_for_test", functions=("halve_for_test",)):
        def forward(ctx, x):
            return x / 2

        def backward(ctx, grad):
            return grad / 2

    from tinygrad_gd import functional, registry
    try:
        assert tg.halve_for_test(Tensor([4.0])).tolist() == [2.0]
        assert "halve_for_test" in dir(tg) and "exp" in dir(tg)  # (tab completion)
    finally:
        registry._registry.pop("halve_for_test")
        functional.__all__.remove("halve_for_test")
        delattr(functional, "halve_for_test")


def test_custom_op_with_static_methods_pytorch_style():
    class Scale(Function, register=False):
        @staticmethod
        def forward(ctx, x, *, factor):
            ctx.factor = factor
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.factor

    x = Tensor([1.0, 2.0], requires_grad=True)
    Scale.apply(x, factor=5.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5, 5])


def test_custom_op_returning_a_wrong_shape_is_named():
    class Broken(Function, register=False):
        def forward(ctx, x):
            return x.sum()

        def backward(ctx, grad):
            return np.ones(7)

    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"'broken' returned a gradient of shape \(7,\)"):
        Broken.apply(x).backward()

# ------------------------------------------------------------------ anomaly mode


def test_detect_anomaly_names_the_op_and_the_line():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(tg.AnomalyError, match=r"forward of op 'log' produced Inf.*test_tensor.py"):
            x.log()
    y = Tensor([0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        out = y.sqrt()  # finite forward, infinite derivative at 0
        with pytest.raises(tg.AnomalyError, match="backward of op 'sqrt' produced Inf"):
            out.sum().backward()


def test_without_anomaly_mode_nan_is_computed_as_numpy_would():
    with np.errstate(invalid="ignore"):
        out = Tensor([-1.0]).sqrt()
    assert np.isnan(out.item())

# ------------------------------------------------------------------ in-place changes


def test_inplace_change_before_backward_is_caught():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    x = Tensor([3.0, 4.0], requires_grad=True)  # (so mul keeps w: x's gradient needs it)
    loss = ((x * w) ** 2).sum()
    w.data -= 0.1 * np.ones(2)  # an update between forward and backward
    with pytest.raises(RuntimeError, match=r"input 1 'w' \(shape \(2,\)\) of op 'mul' was "
                                           r"changed in place.*optimizer.step\(\) after"):
        loss.backward()


IN_PLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
            "/=": operator.itruediv}


@pytest.mark.parametrize("spelling", list(IN_PLACE))
@pytest.mark.parametrize("operand", ["float", "int", "ndarray", "data of another tensor",
                                     "numpy scalar", "row to broadcast", "its own data",
                                     "into a row of .data"])
def test_every_inplace_operator_on_data_updates_like_numpy_and_is_caught(spelling, operand):
    in_place = IN_PLACE[spelling]  # `a -= b` is `a = operator.isub(a, b)`
    start = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    w = Tensor(start.copy(), requires_grad=True)
    loss = (w * w).sum()
    expected = start.copy()
    with tg.no_grad():
        if operand == "into a row of .data":
            row = w.data[0]  # a view of the values: its writes are the tensor's
            in_place(row, 2.0)
            in_place(expected[0], 2.0)
        else:
            other = {"float": 0.25, "int": 3, "ndarray": np.full((2, 3), 0.5),
                     "data of another tensor": Tensor(np.full((2, 3), 2.0)).data,
                     "numpy scalar": np.float64(1.5), "row to broadcast": np.array([1.0, 2.0, 4.0]),
                     "its own data": w.data}[operand]
            w.data = in_place(w.data, other)  # what `w.data -= other` does
            expected = in_place(expected, start if operand == "its own data" else other)
    np.testing.assert_array_equal(w.data, expected)
    with pytest.raises(RuntimeError, match="op 'mul' was changed in place"):
        loss.backward()


def test_inplace_operator_on_read_only_values_fails_and_writes_nothing():
    base = Tensor([1.0, 2.0, 3.0])
    rows = base.expand(2, 3)  # a broadcast view: its values are read-only
    with tg.no_grad():
        view = rows.data
        with pytest.raises(ValueError, match="read-only"):
            view -= 1.0
    np.testing.assert_array_equal(base.data, [1.0, 2.0, 3.0])


def test_pytorchs_manual_update_changes_the_weight_in_place():
    # PyTorch's idiom: `with torch.no_grad(): w -= lr * w.grad; w.grad.zero_()`. Before,
    # Python rebound w to a new tensor without gradient and training broke a step later.
    x = Tensor([8.5, 0.65, 1.2])
    w = Tensor([0.1, 0.2, -0.1], requires_grad=True)
    weight, twin = w, Tensor([0.1, 0.2, -0.1], requires_grad=True)
    for _ in range(3):
        for t in (w, twin):
            (0.5 * (x @ t - 1) ** 2).backward()
        with tg.no_grad():
            w -= 0.01 * w.grad
            w.grad.zero_()
            twin.data -= 0.01 * twin.grad.data  # the documents' spelling
            twin.grad = None
    assert w is weight and w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.data, twin.data)
    np.testing.assert_array_equal(w.grad.data, [0, 0, 0])
    w32 = Tensor([1.0, 2.0], dtype=np.float32)
    w32 *= 0.5  # in place: float32 stays float32
    assert w32.dtype == np.float32 and w32.tolist() == [0.5, 1.0]


def test_in_place_operators_refuse_what_the_graph_could_not_follow():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"-=: writing into a leaf tensor that requires a "
                                           r"gradient.*tg.no_grad\(\)"):
        w -= 1.0
    with pytest.raises(RuntimeError, match=r"\+=: writing into a leaf"):
        w += Tensor([1.0, 1.0], requires_grad=True)  # (not rebound to a new tensor)
    with pytest.raises(RuntimeError, match="zero_: writing into a leaf"):
        w.zero_()
    assert w.tolist() == [1.0, 2.0]
    labels = Tensor([1, 2], dtype=np.int64)
    with pytest.raises(TypeError, match=r"\+=: cannot write the result into a tensor of shape "
                                        r"\(2,\) and dtype int64"):
        labels += 0.5
    with pytest.raises(ValueError, match=r"\*=: .*shape \(2,\).*the other operand: shape \(3,\)"):
        labels *= np.ones(3, dtype=np.int64)
    labels += 1
    assert labels.tolist() == [2, 3] and labels.dtype == np.int64
    x = Tensor([3.0, 4.0])
    loss = (w * x).sum()
    x *= 2  # x was saved by mul: the graph refuses, as for a write through x.data
    with pytest.raises(RuntimeError, match="op 'mul' was changed in place"):
        loss.backward()


def test_pytorchs_in_place_methods_write_where_setitem_may_and_refuse_elsewhere():
    # `with torch.no_grad(): p.add_(p.grad, alpha=-lr)`, as hand-written optimizers do
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with tg.no_grad():
        assert w.add_(w.grad, alpha=-0.25) is w
        w.grad.zero_()
    assert w.tolist() == [0.5, 1.0] and w.grad.tolist() == [0.0, 0.0]
    x = Tensor([1.0, 2.0])
    x.mul_(3).sub_(1, alpha=2).div_(2)
    assert x.tolist() == [0.5, 2.0]
    x.copy_([4.0, 5.0])
    assert x.tolist() == [4.0, 5.0] and x.fill_(7.0).tolist() == [7.0, 7.0]
    loss = (w * x).sum()
    x.add_(1.0)  # x was saved by mul: counted, so the graph refuses
    with pytest.raises(RuntimeError, match="op 'mul' was changed in place"):
        loss.backward()
    with pytest.raises(RuntimeError, match=r"add_: writing into a leaf tensor that requires "
                                           r"a gradient.*or use t.add\(...\)"):
        w.add_(1.0)
    doubled = w * 2
    with tg.no_grad():
        doubled.mul_(2)  # (as PyTorch's: its values change, its node stays)
    assert doubled.tolist() == [2.0, 4.0] and doubled.grad_fn.name == "mul"
    x.add_(w)  # the other operand needs a gradient: recorded, as PyTorch's
    assert x.grad_fn is not None and x.grad_fn.name == "add"
    with pytest.raises(TypeError, match="mul_: alpha= is PyTorch's for add_ and sub_ only"):
        x.mul_(2, alpha=3)
    assert w.tolist() == [0.5, 1.0]


def test_a_value_that_requires_a_gradient_is_written_and_recorded():
    # `out[0] = (w * 3).sum()` once wrote the value and dropped its gradient silently (w.grad
    # came out [9, 5] where PyTorch's is [16, 16]); now setitem, copy_ and fill_ record it
    w = Tensor([1.0, 2.0], requires_grad=True)
    out = tg.zeros(2)
    out[0] = (w * 3).sum()
    out[1] = (w * w).sum()
    assert out.tolist() == [9.0, 5.0] and out.grad_fn.name == "setitem"
    (out * w).sum().backward()
    assert w.grad.tolist() == [16.0, 16.0]  # PyTorch's, through its CopySlices
    copied, filled = tg.zeros(2), tg.zeros(2)
    copied.copy_(w * 2)
    filled.fill_((w * 2).sum())
    w.grad = None
    (copied + filled).sum().backward()
    assert copied.tolist() == [2.0, 4.0] and filled.tolist() == [6.0, 6.0]
    assert w.grad.tolist() == [6.0, 6.0]
    constant = tg.zeros(2)
    with tg.no_grad():  # nothing recorded under no_grad(): the values alone
        constant[1] = w.sum()
    assert constant.tolist() == [0.0, 3.0] and constant.grad_fn is None


def test_comparisons_that_cannot_be_made_name_the_comparison_in_one_line():
    x = tg.zeros(2)
    with pytest.raises(ValueError, match=r"^lt: shapes \(2,\), \(3,\) do not broadcast"):
        x < tg.zeros(3)
    with pytest.raises(TypeError, match=r"^gt: .*got dtype <U1 from 'a'"):
        x > "a"
    assert (x >= [0, 1]).tolist() == [True, False] and x.ne(1).tolist() == [True, True]


def test_in_place_operators_on_a_graph_record_the_op():
    # `loss += penalty` on a tensor made by an op (or with a right side that needs a
    # gradient) is recorded, the op add, in place: the gradient flows through both
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * 3).sum()
    first = loss
    loss += (w ** 2).sum()
    assert loss is first and loss.grad_fn.name == "add"  # in place, as PyTorch's
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [5.0, 7.0])
    data = Tensor([1.0, 1.0])
    kept = data
    data *= w  # a constant times a parameter: recorded, in data itself
    assert data is kept and data.requires_grad and kept.tolist() == [1.0, 2.0]


def test_inplace_writes_with_setitem_are_caught_and_guarded():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(RuntimeError, match="setitem: writing into a leaf tensor that requires"):
        w[0] = 5.0
    with tg.no_grad():
        w[0] = 5.0
    assert w.data[0] == 5.0
    with pytest.raises(RuntimeError, match="op 'mul' was changed in place"):
        loss.backward()
    doubled = w * 2
    doubled[0] = 1.0  # a tensor made by an op: the write recorded, as PyTorch's
    assert doubled.grad_fn.name == "setitem" and doubled.tolist() == [1.0, 4.0]


def test_optimizer_step_between_forward_and_backward_is_caught():
    from tinygrad_gd import nn, optim
    layer = nn.Linear(2, 1, seed=0)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    layer(Tensor([[1.0, 2.0]])).sum().backward()
    x = Tensor([[1.0, 2.0]], requires_grad=True)  # (its gradient needs the weights: saved)
    loss = layer(x).sum()
    opt.step()  # moves the weights the new graph saved
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    layer.weight.freeze_(0)  # the masked update path counts as a change too
    loss = layer(x).sum()
    opt.step()
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_updating_after_backward_stays_allowed():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        w.data -= 0.1 * w.grad.data
        w.grad = None
    np.testing.assert_allclose(w.data, np.array([1.0, 2.0]) * 0.8 ** 3)


def test_an_op_that_saved_nothing_ignores_later_changes():
    w = Tensor([1.0, 2.0], requires_grad=True)
    out = (w + 1.0).sum()  # add and sum save no values: their gradients do not depend on w
    w.data = np.zeros(2)
    out.backward()
    np.testing.assert_array_equal(w.grad.data, [1, 1])


def test_a_view_shares_the_version_of_its_base():
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = Tensor([[1.0, 1.0]], requires_grad=True)
    loss = (x @ w.T).sum()  # matmul saved w.T, a view of w's values (for x's gradient)
    w.data -= 1.0
    with pytest.raises(RuntimeError, match="input 1 \\(shape \\(2, 2\\)\\) of op 'matmul'"):
        loss.backward()
    d = w.detach()
    loss = (x @ w).sum()
    d[0, 0] = 9.0  # the detached tensor shares w's memory, and so its version
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


# Every way of writing through what `.data` (or `.numpy()`) hands out, and the op it spoils.
_WRITES_THROUGH_DATA = {
    "item": lambda t: t.data.__setitem__(0, 9.0),
    "slice of a view": lambda t: t.data[1:].__setitem__(0, 9.0),
    "held before the forward pass": None,  # see the test: the view was taken earlier
    "in-place operator": lambda t: t.data.__imul__(2.0),
    "ufunc out=": lambda t: np.multiply(t.data, 2.0, out=t.data),
    "numpy function out=": lambda t: np.clip(t.data, 0.0, 1.5, out=t.data),
    "out given by position": lambda t: np.cumsum(np.ones(3), 0, None, t.data),
    "dot into it": lambda t: np.dot(np.eye(3), np.ones(3), t.data),
    "ufunc.at": lambda t: np.add.at(t.data, [0], 1.0),
    "ufunc.reduce out=": lambda t: np.add.reduce(np.ones((2, 3)), axis=0, out=t.data),
    "np.copyto": lambda t: np.copyto(t.data, 0.0),
    "np.put": lambda t: np.put(t.data, [0], [9.0]),
    "np.place": lambda t: np.place(t.data, t.data > 1.5, [0.0]),
    "np.putmask": lambda t: np.putmask(t.data, t.data > 1.5, 0.0),
    "fill": lambda t: t.data.fill(0.0),
    "sort": lambda t: t.data[::-1].sort(),
    "flat": lambda t: t.data.flat.__setitem__(0, 9.0),
    "numpy()": lambda t: t.numpy().__setitem__(0, 9.0),
    "transpose view": lambda t: t.data.T.__setitem__(0, 9.0),
}


@pytest.mark.parametrize("route", sorted(_WRITES_THROUGH_DATA))
def test_every_write_through_data_between_forward_and_backward_is_caught(route):
    # without detect_anomaly(): the writes are counted on the version counter
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="w")
    held = w.data
    loss = (Tensor([0.5, 0.25, 2.0], requires_grad=True) * w).sum()  # (mul keeps w)
    if route == "held before the forward pass":
        held[2] = 0.0
    else:
        _WRITES_THROUGH_DATA[route](w)
    with pytest.raises(RuntimeError, match=r"input 1 'w' \(shape \(3,\)\) of op 'mul' was "
                                           r"changed in place"):
        loss.backward()


def test_writes_to_other_tensors_between_forward_and_backward_leave_backward_alone():
    # Any counted write makes backward compare the saved inputs' versions one by one (it
    # skips that only when nothing at all was written): writes elsewhere must pass.
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    elsewhere = Tensor([4.0, 5.0], requires_grad=True)
    y = w * 2.0  # mul saved w
    loss = (y * y).sum() + (w + 1.0).sum()
    elsewhere.data[0] = 0.0
    elsewhere.data -= 1.0
    with tg.no_grad():
        elsewhere[1] = 7.0
    loss.backward()
    np.testing.assert_allclose(w.grad.data, 8 * np.array([1.0, 2.0, 3.0]) + 1)
    np.testing.assert_array_equal(elsewhere.data, [-1.0, 7.0])


def test_a_write_from_another_thread_between_forward_and_backward_is_caught():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="w")
    loss = (w * w).sum()
    thread = threading.Thread(target=lambda: w.data.__setitem__(0, 9.0))
    thread.start()
    thread.join()
    with pytest.raises(RuntimeError, match="'w' .* of op 'mul' was changed in place"):
        loss.backward()


def test_reading_through_data_between_forward_and_backward_changes_nothing():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (w * w).sum()
    seen = (w.data * 2, w.data.sum(), w.data[1:], w.data.T, w.data.copy(), w.numpy().max(),
            np.asarray(w), np.asarray(w.data), repr(w.data), w.data.tolist(), w.data == 2.0)
    assert seen[0].__class__ is np.ndarray and seen[4].__class__ is np.ndarray  # plain results
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0, 6.0])


def test_writing_an_ops_output_that_its_backward_reads_is_caught():
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()  # exp's backward multiplies by its own output
    loss = y.sum()
    y.data[0] = 0.0
    with pytest.raises(RuntimeError, match="the output of op 'exp' was changed in place"):
        loss.backward()
    y = x.exp()
    loss = (y * 1.0).sum()
    (y.data.copy())[0] = 0.0  # a copy: nothing changed
    loss.backward()
    np.testing.assert_allclose(x.grad.data, np.exp([0.0, 1.0]))


@pytest.mark.parametrize("op", [
    lambda x: x.exp(), lambda x: x.sqrt(), lambda x: x.tanh(), lambda x: x.sigmoid(),
    lambda x: x.std(axis=1), lambda x: x.tan(), lambda x: x.expm1(), lambda x: x.exp2(),
    lambda x: x.logsumexp(axis=1)])  # (it saves its output in the keepdims shape)
def test_every_op_whose_backward_reads_its_output_refuses_a_write_into_it(op):
    x = Tensor([[1.0, 2.0, 4.0], [3.0, 3.5, 1.0]], requires_grad=True)
    y = op(x)
    loss = y.sum()  # (sum's backward reads nothing of y)
    y.data[...] = 0.5  # the values its backward would read
    with pytest.raises(RuntimeError, match="the output of op '.*' was changed in place"):
        loss.backward()


@pytest.mark.parametrize("op, derivative", [
    (lambda x: x.sin(), np.cos), (lambda x: x.square(), lambda a: 2 * a),
    (lambda x: x.log1p(), lambda a: 1 / (1 + a))])
def test_a_write_into_an_output_that_backward_never_reads_is_allowed(op, derivative):
    # sin's backward reads its input only (as in PyTorch): the output is the user's to change
    a = np.array([0.5, 1.0, 2.0])
    x = Tensor(a, requires_grad=True)
    y = op(x)
    loss = y.sum()
    y.data[0] = 100.0
    loss.backward()
    np.testing.assert_allclose(x.grad.data, derivative(a))



@pytest.mark.parametrize("op, slope", [
    (lambda x: x.deg2rad(), np.pi / 180), (lambda x: tg.rad2deg(x), 180 / np.pi),
    (lambda x: -x, -1.0), (lambda x: x + 2.0, 1.0)])
def test_a_write_into_an_input_that_backward_never_reads_is_allowed(op, slope):
    # deg2rad's derivative is a constant: it keeps nothing of x, so x may change after it
    x = Tensor([10.0, 20.0], requires_grad=True)
    loss = op(x).sum()
    x.data[0] = 100.0
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [slope, slope])


# (the op, called on x and the caller's array; the change made to that array afterwards)
ARRAYS_AN_OP_WAS_GIVEN = {
    "an operand": (lambda x, a: x * a, np.array([1.0, 1.0, 1.0]), (0, 100.0)),
    "where's condition": (lambda x, a: tg.where(a, x, 0.0), np.array([True, False, True]),
                          (0, False)),
    "masked_fill's mask": (lambda x, a: x.masked_fill(a, 0.0), np.array([True, False, False]),
                           (1, True)),
    "repeat's counts": (lambda x, a: tg.repeat(x, a, axis=0), np.array([1, 1, 1]), (0, 2)),
    "an index array": (lambda x, a: x[a], np.array([0, 1]), (0, 2)),
    "an index list": (lambda x, a: x[a], [0, 1], (0, 2)),
    "take's indices": (lambda x, a: tg.take(x, a), np.array([0, 1]), (0, 2)),
    "gather's index": (lambda x, a: x[None].gather(1, a), np.array([[0, 1]]), ((0, 0), 2)),
    "cross_entropy's classes": (lambda x, a: tg.nn.functional.cross_entropy(x[None], a),
                                np.array([0]), (0, 2)),
}


@pytest.mark.parametrize("case", sorted(ARRAYS_AN_OP_WAS_GIVEN))
def test_changing_an_array_an_op_was_given_leaves_its_gradient_as_it_was(case):
    # an op keeps what backward reads: the caller's array changed afterwards (a NumPy
    # loop reusing a buffer) must not change the gradient, silently or otherwise
    fn, given, (where, value) = ARRAYS_AN_OP_WAS_GIVEN[case]
    expected = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    fn(expected, copy.deepcopy(given)).sum().backward()
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = fn(x, given)
    given[where] = value
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, expected.grad.data)

def test_tensors_copy_the_arrays_they_are_made_from_and_assigned():
    source = np.array([1.0, 2.0])
    w = Tensor(source, requires_grad=True)
    loss = (w * w).sum()
    source[0] = 100.0  # the caller's array: no longer the tensor's
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])
    new = np.array([3.0, 4.0])
    w.data = new
    new[0] = 100.0
    assert w.data[0] == 3.0
    before = w.data
    w.data -= 1.0  # in place: the same memory, no copy
    assert np.shares_memory(before, w.data) and w.data[0] == 2.0


def test_np_asarray_of_a_tensor_is_a_read_only_view():
    w = Tensor([1.0, 2.0], requires_grad=True)
    view = np.asarray(w)
    assert np.shares_memory(view, w.data) and not view.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 5.0
    assert np.asarray(w, dtype=np.float32).flags.writeable  # a converted copy is the caller's
    assert np.array(w).flags.writeable and not np.shares_memory(np.array(w), w.data)


def test_a_tracked_array_pickles_and_prints_as_a_plain_ndarray():
    import pickle
    w = Tensor([1.0, 2.0])
    assert isinstance(w.data, np.ndarray) and isinstance(w.data, TrackedArray)
    assert repr(w.data) == "array([1., 2.])" and str(w.data) == "[1. 2.]"
    restored = pickle.loads(pickle.dumps(w.data))
    assert restored.__class__ is np.ndarray and restored.tolist() == [1.0, 2.0]
    import copy
    for duplicate in (copy.deepcopy(w.data), w.data.astype(np.float32), w.data.copy()):
        assert duplicate.__class__ is np.ndarray and not np.shares_memory(duplicate, w.data)
    w.requires_grad_(True)
    loss = (w * w).sum()
    same = w.data.astype(np.float64, copy=False)  # no copy: still the tensor's, still counted
    same[0] = 5.0
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_anomaly_mode_is_thread_local():
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def worker():
        with tg.detect_anomaly():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    with np.errstate(divide="ignore"):
        seen["main"] = Tensor([0.0]).log().item()  # no anomaly mode here: computed as NumPy would
    release.set()
    thread.join()
    assert seen == {"main": -np.inf}


def in_threads(worker, *each_args):
    """`worker(*args)` in a thread for each of `each_args`, all at once, switching threads
    as often as Python can (races show up); returns when every one is done."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=args) for args in each_args]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)


def test_two_threads_accumulating_into_one_shared_leaf_lose_no_gradient():
    w = Tensor([1.0, 2.0], requires_grad=True)
    steps = 1500

    def worker():
        x = Tensor([1.0, 3.0])
        for _ in range(steps):
            (w * x).sum().backward()

    in_threads(worker, (), ())
    np.testing.assert_array_equal(w.grad.data, [2.0 * steps, 6.0 * steps])


def test_a_scalar_node_used_three_times_sums_its_gradients():
    # the engine sums a node's gradients in place once it owns the sum; NumPy returns a
    # scalar, not a 0-d array, from 0-d arithmetic, so the first sum must become an array
    x = Tensor(-1.5, requires_grad=True)

    def fn(x):
        y = x.abs()
        return y * y + (y + y) * 3.0  # add hands y one array twice; mul adds the third

    assert tg.gradcheck(fn, [x])
    fn(x).backward()
    np.testing.assert_allclose(x.grad.data, -(6.0 + 2 * 1.5))


@pytest.mark.parametrize("write", ["untracked view", "plain view of .data"])
def test_uncounted_writes_are_caught_under_detect_anomaly(write):
    # a write through an array that left the tracking on purpose (made writable again by
    # hand: plain views of .data are read-only) bypasses the version counter; under
    # detect_anomaly() the saved values themselves are compared
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="w")
    x = Tensor([0.5, 0.5, 0.5], requires_grad=True)  # (so mul keeps w: x's gradient needs it)
    with tg.detect_anomaly():
        loss = (x * w).sum()
    plain = w.data.view(np.ndarray) if write == "untracked view" else np.asarray(w.data)
    plain.flags.writeable = True
    plain[1:] *= 2.0
    with pytest.raises(RuntimeError, match=r"input 1 'w' \(shape \(3,\)\) of op 'mul' was changed "
                                           r"in place.*detect_anomaly\(\) compared"):
        loss.backward()


_ANOMALY_SWITCHED_OFF = """
import numpy as np, tinygrad_gd as tg
from tinygrad_gd import engine
on = lambda: "AnomalyChecks" in [type(e).__name__ for e in engine.extensions]
w = tg.Tensor([1.0, 2.0], requires_grad=True)
with tg.detect_anomaly():
    (w * w).sum().backward()
print(on())  # the block is closed and its graph is done: off
with tg.detect_anomaly():
    loss = (w * w).sum()
print(on())  # on: the graph recorded in the block still holds copies to compare
plain = np.asarray(w.data)
plain.flags.writeable = True
plain[0] = 7.0  # a write the version counter cannot see
try:
    loss.backward()
except RuntimeError as err:
    print("refused" if "detect_anomaly() compared" in str(err) else err)
del loss
(w * 3).sum().backward()
print(on())  # that graph is gone: the next op switched it off
"""


def test_anomaly_mode_costs_nothing_once_no_block_or_graph_of_one_is_left():
    run = subprocess.run([sys.executable, "-c", _ANOMALY_SWITCHED_OFF], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["False", "True", "refused", "False"]


def test_detect_anomaly_passes_unchanged_graphs_and_frees_its_copies():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with tg.detect_anomaly():
        loss = (w * w).sum()
        node = loss.grad_fn.parents[0].grad_fn
        assert node.saved_snapshots is not None
        loss.backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])
    assert node.saved_snapshots is None  # released with the saved arrays
    w.data[0] = 5.0  # after backward: allowed, the graph is done


def test_a_scalar_leafs_gradient_stays_an_array_across_backward_calls():
    x = Tensor(2.0, requires_grad=True)
    for expected in (4.0, 8.0):
        (x * x).backward()  # accumulates: 4, then 4 + 4
        assert x.grad._data.__class__ is np.ndarray and x.grad.shape == ()
        assert x.grad.item() == expected


@pytest.mark.parametrize("flag", [None, 0, 1, "yes", "no"])
def test_requires_grad_set_by_hand_takes_true_or_false_only_as_pytorchs(flag):
    # (it was read as a truth value: `requires_grad = "no"` turned gradients on; PyTorch
    # refuses anything but a bool)
    w = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^requires_grad: requires_grad must be True or "
                                        r"False, got "):
        w.requires_grad = flag
    assert w.requires_grad is False
    w.requires_grad = np.True_  # (NumPy's bool is a bool)
    assert (w * 3.0).requires_grad is True


def test_requires_grad_and_grad_set_by_hand_are_checked_as_pytorch_checks_them():
    # `i.requires_grad = True` on an int tensor gave an int64 gradient ([0, 0] for 0.5s),
    # `w.data = [0, 0]` made a float weight int64, and a .grad assigned as an array (or of
    # another shape) broke the next backward() deep inside
    i = tg.as_tensor([1, 2])
    with pytest.raises(TypeError, match=r"^requires_grad: only floating-point tensors can "
                                        r"require"):  # (at the assignment, as PyTorch's)
        i.requires_grad = True
    assert i.grad is None and i.requires_grad is False
    with pytest.raises(TypeError, match="requires_grad: only floating-point tensors"):
        tg.as_tensor([1, 2]).requires_grad_()
    w = Tensor([1.0, 2.0], requires_grad=True)
    w.data = [0, 0]  # values into the float weight, not an int64 weight
    (w * 0.5).sum().backward()
    assert w.dtype == np.float64 and w.grad.tolist() == [0.5, 0.5]
    w.grad = np.ones(2)  # an array becomes a tensor of w's dtype, then accumulates
    (w * 2).sum().backward()
    assert isinstance(w.grad, Tensor) and w.grad.tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match=r"grad: a gradient of shape \(3,\) for a tensor of "
                                         r"shape \(2,\)"):
        w.grad = tg.ones(3)
    kept = tg.ones(2)
    w.grad = kept
    assert w.grad is kept  # a tensor of the right shape and dtype is kept as it is
    w32 = Tensor([1.0], dtype=np.float32, requires_grad=True)
    w32.grad = np.ones(1)
    assert w32.grad.dtype == np.float32


# ------------------------------------------------------------------ tg.autograd


def test_autograd_grad_returns_the_gradients_backward_would_store_and_stores_none():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = Tensor([0.5, -1.0, 2.0])
    h = (w * x).tanh()
    loss = (h ** 2).sum()
    gw, gh = tg.autograd.grad(loss, [w, h], retain_graph=True)
    assert w.grad is None and gh.shape == (3,)  # .grad untouched; a non-leaf input too
    np.testing.assert_allclose(gh.data, 2 * np.tanh(w.data * x.data), rtol=1e-14)
    loss.backward()
    np.testing.assert_allclose(gw.data, w.grad.data, rtol=1e-14)
    with pytest.raises(RuntimeError, match="a second time"):
        tg.autograd.grad(loss, w)  # the graph was freed, as after backward()


def test_autograd_grad_sums_outputs_takes_grad_outputs_and_names_unused_inputs():
    w = Tensor([1.0, 2.0], requires_grad=True)
    unused = Tensor([5.0], requires_grad=True)
    (both,) = tg.autograd.grad([(w * w).sum(), (3 * w).sum()], w)
    assert both.tolist() == [5.0, 7.0]
    (weighted,) = tg.autograd.grad(w * 2, w, grad_outputs=np.array([1.0, 10.0]))
    assert weighted.tolist() == [2.0, 20.0]
    gw, none = tg.autograd.grad((w * w).sum(), [w, unused], allow_unused=True)
    assert gw.tolist() == [2.0, 4.0] and none is None
    with pytest.raises(RuntimeError, match=r"grad: input 0 \(shape \(1,\)\) was not used"):
        tg.autograd.grad((w * w).sum(), [unused])
    with pytest.raises(RuntimeError, match=r"grad: the tensor has shape \(2,\), so a gradient "
                                           r"must be given: grad_outputs="):
        tg.autograd.grad(w * 2, w)
    (graph,) = tg.autograd.grad((w * w).sum(), w, create_graph=True)  # a gradient with a graph
    assert graph.tolist() == [2 * v for v in w.tolist()] and graph.requires_grad
    assert tg.autograd.Function is tg.Function


# ------------------------------------------------------------------ autograd: several outputs,
# hook handles, anomaly mode's spellings, grad mode's and hooks' arguments


def test_autograd_grad_and_backward_of_several_outputs_run_each_hook_once_as_pytorch():
    torch = pytest.importorskip("torch")
    results = {}
    for lib in ("tg", "torch"):
        if lib == "tg":
            a, G, clamp = Tensor([1.0, 2.0], requires_grad=True), tg.autograd, "clip"
        else:
            a = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
            G, clamp = torch.autograd, "clamp"
        calls = []

        def hook(g):
            calls.append(g.detach().numpy().tolist())
            return getattr(g, clamp)(-1, 1)
        h = a * 2
        h.register_hook(hook)
        (got,) = G.grad([h.sum(), (h * h).sum()], [a])
        h = a * 2
        h.register_hook(hook)
        G.backward([h.sum(), (h * h).sum()])
        from_backward = a.grad.detach().numpy().tolist()
        a.grad = None
        a.register_hook(hook)  # a leaf's hook
        G.backward([(a * 3).sum(), (a * a).sum()])
        results[lib] = (calls, got.detach().numpy().tolist(), from_backward,
                        a.grad.detach().numpy().tolist())
    assert results["tg"] == results["torch"]
    assert results["tg"][0] == [[5.0, 9.0], [5.0, 9.0], [5.0, 7.0]]  # complete, once each


def test_autograd_grad_and_backward_of_several_outputs_keep_their_values():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    A, B, g2 = rng.standard_normal((3, 4)), rng.standard_normal(4), np.array([1.0, 2.0, 3.0])
    a, b = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (A, B))
    got = tg.autograd.grad([(a * b).tanh().sum(), (a @ b).exp(), a], [a, b],
                           [None, g2, np.ones((3, 4))])
    want = torch.autograd.grad([(ta * tb).tanh().sum(), (ta @ tb).exp(), ta], [ta, tb],
                               [None, torch.tensor(g2), torch.ones(3, 4, dtype=torch.float64)])
    for x, y in zip(got, want):
        np.testing.assert_allclose(x.data, y.numpy(), rtol=1e-12)
    assert a.grad is None and b.grad is None
    h = a * b
    tg.autograd.backward([h.sum(), (h * h).sum()], retain_graph=True)
    th = ta * tb
    torch.autograd.backward([th.sum(), (th * th).sum()])
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-12)
    tg.autograd.grad([h.sum(), (h * h).sum()], [a])  # retained above; freed now
    with pytest.raises(RuntimeError, match="a second time"):
        tg.autograd.grad([h.sum(), (h * 3).sum()], [a])
    with pytest.raises(RuntimeError, match=r"^backward: tensor 1 does not require a gradient"):
        tg.autograd.backward([(a * 2).sum(), Tensor(1.0)])


def test_autograd_grad_refuses_an_array_as_outputs_in_one_line():
    b = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"^grad: outputs must be a Tensor or a tuple/list of "
                                        r"Tensors, got ndarray array\(3\.\)$"):
        tg.autograd.grad(np.array(3.0), [b])


def test_a_tensor_hook_handle_removed_twice_removes_only_its_own_hook():
    x = Tensor([1.0, 2.0], requires_grad=True)
    calls = []

    def hook(g):
        calls.append(1)
    first = x.register_hook(hook)
    x.register_hook(hook)  # the same function again: a second hook
    first.remove()
    first.remove()  # does nothing
    (x * 1).sum().backward()
    assert len(calls) == 1


def test_a_module_hook_handle_removed_twice_leaves_a_later_hook_alone():
    model, log = tg.nn.Identity(), []
    model.register_forward_hook(lambda m, a, o: log.append("A"))
    removed = model.register_forward_hook(lambda m, a, o: log.append("B"))
    removed.remove()
    later = model.register_forward_hook(lambda m, a, o: log.append("C"))
    removed.remove()  # must not take off the hook registered after its first removal
    model(Tensor([1.0]))
    assert log == ["A", "C"] and later.id != removed.id


def test_detect_anomaly_is_a_decorator_and_has_pytorch_s_autograd_spellings():
    def backward_nan():
        x = Tensor([0.0, 1.0], requires_grad=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            (x.sqrt() * 0).sum().backward()  # backward: 0 * inf at 0
        return x.grad

    for decorated in (tg.detect_anomaly(backward_nan), tg.detect_anomaly()(backward_nan),
                      tg.autograd.detect_anomaly()(backward_nan)):
        with pytest.raises(RuntimeError, match="backward of op 'sqrt' produced NaN"):
            decorated()  # (an AnomalyError: a FloatingPointError and a RuntimeError)
    assert not tg.autograd.is_anomaly_enabled()
    with tg.detect_anomaly(check_nan=False):  # lines and saved values, no NaN check
        assert tg.autograd.is_anomaly_enabled()
        assert np.isnan(backward_nan().data[0])
    with pytest.raises(FloatingPointError):
        with tg.autograd.set_detect_anomaly(True):
            assert tg.autograd.is_anomaly_enabled()
            backward_nan()
    assert not tg.autograd.is_anomaly_enabled()
    tg.autograd.set_detect_anomaly(True)  # a plain call switches it, as PyTorch's
    try:
        assert tg.autograd.is_anomaly_enabled()
        with tg.autograd.set_detect_anomaly(False):
            assert np.isnan(backward_nan().data[0])
        assert tg.autograd.is_anomaly_enabled()
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert not tg.autograd.is_anomaly_enabled() and np.isnan(backward_nan().data[0])
    with pytest.raises(TypeError, match=r"^set_detect_anomaly: mode must be True or False, "
                                        r"got str 'False'$"):
        tg.autograd.set_detect_anomaly("False")
    with pytest.raises(TypeError, match="detect_anomaly: check_nan must be True or False"):
        tg.detect_anomaly(check_nan="no")


def test_set_grad_enabled_refuses_a_non_bool_mode():
    with pytest.raises(TypeError, match=r"^set_grad_enabled: mode must be True or False, "
                                        r"got str 'False'$"):
        tg.set_grad_enabled("False")
    assert tg.is_grad_enabled()
    with tg.set_grad_enabled(np.bool_(False)):
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_inference_mode_refuses_a_non_bool_mode():
    # inference_mode("False") recorded nothing: any truth value switched the graph off
    with pytest.raises(TypeError, match=r"^inference_mode: mode must be True or False, "
                                        r"got str 'False'$"):
        tg.inference_mode("False")
    with tg.inference_mode(False):
        assert tg.is_grad_enabled()

    @tg.inference_mode
    def plain(x):
        return x * 2
    assert not plain(tg.ones(1, requires_grad=True)).requires_grad


def test_a_forward_pre_hook_with_kwargs_returning_something_else_is_refused_in_one_line():
    class Scale(tg.nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    model = Scale()
    model.register_forward_pre_hook(lambda m, args, kwargs: (args, {"scale": 3.0}),
                                    with_kwargs=True)
    assert model(Tensor([1.0, 2.0])).tolist() == [3.0, 6.0]
    bad = Scale()
    bad.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"^Scale: a forward pre-hook registered with "
                       r"with_kwargs=True must return None or a tuple of \(new_args, new_kwargs\)"
                       r" \(a tuple and a dict\), but got tuple \(Tensor"):
        bad(Tensor([1.0, 2.0]))


# -- mend R2: one helper per check (argsort's kind, max_nodes' count, datasets, to) -------
def test_argsort_refuses_an_unknown_kind_by_its_keyword():
    x = Tensor([3.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"^argsort: kind='fast' is not one of NumPy's sort "
                                         r"kinds; pass one of 'quicksort', 'mergesort', "
                                         r"'heapsort', 'stable'"):
        tg.argsort(x, kind="fast")
    assert tg.argsort(x, -1, True, kind="stable").tolist() == [0, 2, 1]  # kind and descending
    with pytest.raises(TypeError, match=r"^sort: descending given twice, as the third argument "
                                        r"and by keyword; give it once$"):
        tg.sort(x, -1, True, descending=True)


def test_backward_steps_counts_the_nodes_as_max_nodes_does():
    x = tg.randn(4, 3, requires_grad=True)
    loss = tg.nn.functional.cross_entropy((x * 2).tanh(), np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"^backward_steps: the graph has (\d+) nodes") as caught:
        tg.backward_steps(loss, max_nodes=7)
    assert int(caught.value.args[0].split()[4]) > 7  # the target drawn beside its op counts


def test_dataloader_reads_a_sequence_beside_arrays_as_tensordataset_does():
    class Sequence:  # __len__ and __getitem__, no IndexError past the end, not a Dataset
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return float(i)

    x = np.arange(8.0).reshape(4, 2)
    (xb, yb), = tg.data.DataLoader(x, Sequence(), batch_size=4)
    _, ys = tg.data.TensorDataset(x, Sequence()).arrays
    np.testing.assert_array_equal(yb.numpy(), ys)
    np.testing.assert_array_equal(yb.numpy(), np.arange(4.0))


def test_module_to_an_integer_dtype_says_what_to_pass():
    with pytest.raises(TypeError, match=r"^Module.to: a model's parameters are floats, so the "
                                        r"dtype must be a float dtype, got int64; pass "
                                        r"np.float32, np.float64 or np.float16$"):
        tg.nn.Linear(2, 2).to(np.int64)


def test_a_gan_step_adding_into_the_discriminators_cleared_gradients_is_not_warned_of():
    """The generator's backward adds into the discriminator's .grad after its update; the
    next discriminator step clears them before use (torch's DCGAN loop): no warning."""
    import warnings
    d = Tensor([0.5, -0.5], requires_grad=True)
    g = Tensor([1.0, 2.0], requires_grad=True)
    opt_d, opt_g = tg.optim.SGD([d], lr=0.1), tg.optim.SGD([g], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt_d.zero_grad()
            (d * g.detach()).sum().backward()
            opt_d.step()
            opt_g.zero_grad()
            (d * g).sum().backward()  # (into d's .grad too, after its update)
            opt_g.step()
    with pytest.warns(UserWarning, match="adds up gradients from before and after an update"
                      ) as caught:
        opt_d.step()  # d's mixed .grad used now, not cleared: told, once, at this line
    assert [w.filename for w in caught] == [__file__]

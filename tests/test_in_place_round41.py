"""The forty-first round's leftovers of `detach_()` and in-place shape changes, as PyTorch
2.13's (each case run with torch too: values, gradients, or both refusing).

- after `h.detach_()`, a write the graph records into h, or into a view of h taken after
  (`h[1].mul_(v)`), reaches the views of h taken before (`c = h[:, 1]`), cut or not by an
  earlier write under no_grad() or an earlier `t_()` of h: their values and v's and x's
  gradients are torch's, with the views used before the detach_() too; gradchecked.
- a backward into the node of a tensor whose shape changed under no_grad(): summed back
  where torch sums it (`unsqueeze_(0)`, twice, `as_strided_` adding a leading axis in
  place), refused in one line where torch fails (`unsqueeze_(1)`, `squeeze_` of an axis
  the node had) or reads it in the old layout (`t_()` of a square: wrong numbers).
- `t.data = new` while an old version shares t's memory: the old version keeps the values
  the graph used through later writes, values and gradients torch's.
- a view of a constant (never in the graph, or detached in place) taken before its shape
  changed outside the graph follows a later recorded write where its entries lie, as
  torch's; one with entries the new layout left out is refused in one line at that write.
- a node whose output changed shape under no_grad() and whose old version is used too
  runs for both in one backward(), x.grad torch's; a second backward() refused as torch's.
- after `h.detach_()` and `h.data = new`, a view of h taken before (no longer sharing h's
  memory) is only cut at a recorded write into h, as torch's.
- two threads doing shape changes, in-place writes and backward at once get the
  gradients of the same program run alone.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_gd as tg

from test_in_place_round40 import _one_line
from test_tensor import in_threads


def _numbers(value):
    """A tensor's values as plain numbers (None stays None)."""
    return None if value is None else value.detach().numpy().tolist()


def _h(lib):
    """x (2, 2) = 1..4 and v = 1e5, both requiring a gradient; h = x * 2, made by an op."""
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
    v = lib.tensor(1e5, dtype=lib.float64, requires_grad=True)
    return x, v, x * 2


def _write_after_detach(lib, how):
    """A view of h taken before h.detach_(), then a recorded write (as `how` says) reaching
    it: the output's value, v.grad and x.grad after backward."""
    x, v, h = _h(lib)
    w = lib.tensor([1.0, 10.0], dtype=lib.float64)
    if how == "through a view taken after":
        c = h[:, 1]
        h.detach_()
        h[1].mul_(v)
        out = h.sum() + (c * w).sum()
    elif how == "with the view used before":
        c = h[:, 1]
        y = c * 3
        h.detach_()
        h[1].mul_(v)
        out = h.sum() + (c * w).sum() + y.sum()
    elif how == "after a write under no_grad()":
        r = h[0]
        h.detach_()
        with lib.no_grad():
            h.add_(1)
        h.mul_(v)
        out = h.sum() + (r * w).sum()
    elif how == "after t_()":
        r = h[0]
        h.detach_()
        h.t_()
        h.mul_(v)
        out = h.sum() + (r * w).sum()
    elif how == "a view of a view, after t_()":
        rr = h[0][1:]
        h.detach_()
        h.t_()
        h[0].mul_(v)
        out = h.sum() + 7 * rr.sum()
    elif how == "then a write into the view":
        r = h[0]
        y = r * 3
        h.detach_()
        with lib.no_grad():
            h[1].mul_(2)
        h.mul_(v)
        r.mul_(v)
        out = h.sum() + (r * w).sum() + y.sum()
    out.backward()
    return out.item(), _numbers(v.grad), _numbers(x.grad)


_WRITES = ["through a view taken after", "with the view used before",
           "after a write under no_grad()", "after t_()", "a view of a view, after t_()",
           "then a write into the view"]


@pytest.mark.torch
@pytest.mark.parametrize("how", _WRITES)
def test_a_recorded_write_after_detach_reaches_the_views_taken_before_as_torch(torch64, how):
    ours, theirs = _write_after_detach(tg, how), _write_after_detach(torch64, how)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    assert ours[1:] == theirs[1:]


def test_the_task_s_case_by_hand():
    # h = [[2, 4], [6, 8]]; h[1] *= v; h.sum() + c . [1, 10], c = h[:, 1] = [4, 8 v]:
    # d/dv = (6 + 8) + 10 * 8 (a write not reaching c gives 14)
    _, v_grad, _ = _write_after_detach(tg, "through a view taken after")
    assert v_grad == 6 + 8 + 10 * 8


@pytest.mark.parametrize("how", ["after a write under no_grad()", "after t_()",
                                 "through a view taken after"])
def test_a_recorded_write_after_detach_gradchecks_through_the_views(how):
    def f(v):
        h = tg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=tg.float64, requires_grad=True) * 2
        r = h[0] if how != "through a view taken after" else h[:, 1]
        h.detach_()
        if how == "after a write under no_grad()":
            with tg.no_grad():
                h.add_(1)
        elif how == "after t_()":
            h.t_()
        target = h[1] if how == "through a view taken after" else h
        target.mul_(v)
        return r * tg.tensor([1.0, 10.0], dtype=tg.float64) + h[0]

    assert tg.gradcheck(f, (tg.tensor([0.5, -1.5], dtype=tg.float64, requires_grad=True),))


def _view_outside(lib, size, write=True):
    """r = h[1], h.detach_(), h.as_strided_(size, (1,)), h.mul_(v) (if `write`), then
    r.sum() * 10 + h.sum() backward: the output, v.grad, x.grad and r (h and r unwritten)."""
    x, v, h = _h(lib)
    r = h[1]
    h.detach_()
    h.as_strided_(size, (1,))
    if not write:
        return h, r
    h.mul_(v)
    out = r.sum() * 10 + h.sum()
    out.backward()
    return [_numbers(t) for t in (out, v.grad, x.grad, r)]


@pytest.mark.torch
def test_a_recorded_write_after_detach_refused_where_a_view_lies_partly_outside(torch64):
    # (h.as_strided_((3,), (1,)) keeps r's first entry only; torch's r follows the write
    # there through the storage, where take on h cannot reach: refused, before any write)
    assert _view_outside(torch64, (3,))[1] == 2 + 4 + 6 + 10 * 6
    refused = r"^mul_: .*detach_\(\).* holds entries outside"
    with pytest.raises(RuntimeError, match=refused) as error:
        _view_outside(tg, (3,))
    _one_line(error)
    h, r = _view_outside(tg, (3,), write=False)
    with pytest.raises(RuntimeError):
        h.mul_(tg.tensor(1e5, requires_grad=True))
    assert h.tolist() == [2.0, 4.0, 6.0] and r.tolist() == [6.0, 8.0]  # (nothing written)


@pytest.mark.torch
def test_a_view_wholly_outside_after_as_strided_is_only_cut_as_torch(torch64):
    # (no entry of r = h[1] left in h: no write into h reaches r, in torch's neither)
    ours = _view_outside(tg, (2,))
    assert ours == _view_outside(torch64, (2,))[:3] + [[6.0, 8.0]]
    assert ours[1] == 2 + 4 and ours[2] is None  # (d/dv of sum([2 v, 4 v]); x: not reached)


def _old_layout_backward(lib, change, values=((1.0, 2.0), (3.0, 4.0))):
    """h = x * 2 changed in place under no_grad() by `change`, then (h * w).sum()
    backward, w = 1, 2, ... in h's new shape: x.grad, or the error's text."""
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    h = x * 2
    with lib.no_grad():
        eval(change, {"h": h})
    w = lib.tensor(np.arange(1.0, 1 + h.numel()).reshape(tuple(h.shape)), dtype=lib.float64)
    try:
        (h * w).sum().backward()
    except RuntimeError as error:
        return "refused", str(error)
    return _numbers(x.grad)


@pytest.mark.torch
@pytest.mark.parametrize("change", ["h.unsqueeze_(0)", "h.unsqueeze_(0).unsqueeze_(0)",
                                    "h.as_strided_((1, 2, 2), (4, 2, 1))",
                                    "h.unsqueeze_(0).squeeze_(0)"])
def test_a_backward_into_the_old_layout_node_is_summed_back_as_torch(torch64, change):
    ours, theirs = _old_layout_backward(tg, change), _old_layout_backward(torch64, change)
    assert ours == theirs
    assert ours == [[2.0, 4.0], [6.0, 8.0]]  # (d/dx of sum(2 x * w), w = 1..4 in x's order)


@pytest.mark.parametrize("shape", [(2, 2), (3,), (1, 3), (0, 2), ()])
def test_a_summed_back_gradient_gradchecks(shape):
    values = np.array([1.0, -2.0, 0.0, 4.0, 0.0, 5.0])[:int(np.prod(shape))].reshape(shape)
    weights = np.arange(1.0, 1 + values.size).reshape((1, 1) + shape)  # (h's new shape)

    def f(x):
        h = x * x
        with tg.no_grad():
            h.unsqueeze_(0).unsqueeze_(0)
        return h * tg.tensor(weights, dtype=tg.float64)

    assert tg.gradcheck(f, (tg.tensor(values, dtype=tg.float64, requires_grad=True),))


@pytest.mark.torch
@pytest.mark.parametrize("change, values", [
    ("h.unsqueeze_(1)", ((1.0, 2.0), (3.0, 4.0))),
    ("h.unsqueeze_(-1)", ((1.0, 2.0), (3.0, 4.0))),
    ("h.squeeze_()", ((1.0, 2.0),)), ("h.squeeze_()", ((1.0,), (2.0,))),
    ("h.t_()", ((1.0, 2.0, 3.0), (4.0, 5.0, 6.0)))])
def test_a_backward_into_the_old_layout_node_is_refused_where_torch_fails(torch64, change,
                                                                         values):
    assert _old_layout_backward(torch64, change, values)[0] == "refused"
    ours = _old_layout_backward(tg, change, values)
    assert ours[0] == "refused" and "\n" not in ours[1]
    name = change[2:].split("(")[0]
    assert ours[1].startswith(f"backward: a tensor made by op 'mul' of shape "
                              f"{np.array(values).shape} was changed by {name} in place")


@pytest.mark.torch
@pytest.mark.parametrize("change", ["h.t_()", "h.transpose_(0, 1)",
                                    "h.as_strided_((1, 2, 2), (4, 1, 2))"])
def test_a_backward_torch_reads_in_the_old_layout_is_refused(torch64, change):
    # (torch passes the gradient of h's new layout to the node as if of the old one: x.grad
    # = 2 w, where d/dx sum(2 x^T * w) = 2 w^T; here refused rather than wrong)
    theirs = _old_layout_backward(torch64, change)
    w = np.arange(1.0, 5.0).reshape(2, 2)
    assert theirs == (2 * w).tolist() and theirs != (2 * w.T).tolist()
    ours = _old_layout_backward(tg, change)
    assert ours[0] == "refused" and "\n" not in ours[1] and "in the old layout" in ours[1]


def _change(lib, h, change):
    """h changed as `change` says: after it an old version of h shares its memory."""
    if change == "detach_":
        h.detach_()
    elif change == "t_ under no_grad":
        with lib.no_grad():
            h.t_()
    else:
        h.unsqueeze_(0)


def _data_assigned(lib, change):
    """h = x * 2 used (early), changed as `change` says (an old version then shares h's
    memory), `kept = h.data`, `h.data = 5s`, then the old memory written through kept:
    h's values, x.grad after a backward through early, and early's values."""
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
    h = x * 2
    early = h.sum(0) * lib.tensor([1.0, 10.0, 100.0], dtype=lib.float64)  # (d/dx: 2 w)
    _change(lib, h, change)
    kept = h.data
    h.data = lib.full(tuple(h.shape), 5.0, dtype=lib.float64)
    with lib.no_grad():
        kept.mul_(7) if lib is not tg else kept.__imul__(7)
    early.sum().backward()
    return _numbers(h), _numbers(x.grad), _numbers(early)


@pytest.mark.torch
@pytest.mark.parametrize("change", ["detach_", "t_ under no_grad", "unsqueeze_"])
def test_data_assigned_after_a_shape_change_then_the_old_memory_written_as_torch(torch64,
                                                                                change):
    ours = _data_assigned(tg, change)
    assert ours == _data_assigned(torch64, change)
    assert ours[1] == [[2.0, 20.0, 200.0]] * 2 and ours[0] == np.full(np.shape(ours[0]),
                                                                      5.0).tolist()


def _words(loss):
    """The words of `loss`'s drawing (its DOT text, as rendered: no tags)."""
    source = tg.draw_graph(loss).source
    return " ".join(re.sub(r"<[^>]+>", " ", source).replace("&#160;", " ").split())


@pytest.mark.parametrize("change", ["detach_", "t_ under no_grad", "unsqueeze_"])
def test_the_drawing_after_data_assigned_shows_the_values_the_graph_used(change):
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    h = x * 2
    early = h * 1  # (x * 2 = 2 4 6 8 10 12, as the graph used it)
    _change(tg, h, change)
    kept = h.data
    h.data = np.full(h.shape, 5.0)
    kept *= 7  # (the old memory written: the old version's values copied first)
    words = _words(early.sum())
    assert "mul result #1 (2, 3) data 2 4 6 8 10 12" in words
    assert "output data 42" in words and h.numpy().tolist() == np.full(h.shape, 5.0).tolist()


def _shape_change_then_write(seed, change):
    """One program: h = x * 2 used, changed as `change` says, written under no_grad(),
    backward: x.grad, and the values of h the drawing shows for the graph."""
    x = tg.tensor(np.arange(6.0).reshape(2, 3) + seed, requires_grad=True)
    h = x * 2
    early = h * 1
    r = h[0]
    _change(tg, h, change)
    with tg.no_grad():
        h.mul_(3)
        r.add_(1)
    loss = early.sum() * 3
    loss.backward()
    return x.grad.numpy().tolist(), _words(loss)


@pytest.mark.parametrize("change", ["detach_", "t_ under no_grad", "unsqueeze_"])
def test_two_threads_changing_shapes_and_writing_get_a_lone_run_s_gradients(change):
    # (old versions share memory until a write copies them: the forms that copy are put
    # in and taken out as they come and go, from both threads at once here)
    alone = [_shape_change_then_write(seed, change) for seed in range(2)]
    assert all(f"data {' '.join(str(int(2 * v)) for v in np.arange(6.0) + seed)}" in words
               for seed, (_, words) in enumerate(alone))
    results, errors = [[], []], []

    def worker(seed):
        try:
            for _ in range(60):
                results[seed].append(_shape_change_then_write(seed, change))
        except Exception as error:  # (reported below, not lost in the thread)
            errors.append(error)

    in_threads(worker, (0,), (1,))
    assert not errors
    for seed in range(2):
        assert len(results[seed]) == 60 and all(got == alone[seed] for got in results[seed])


def _constant_view_follows(lib, base, change):
    """h (2, 2) = 2, 4, 6, 8, a constant (`base`: never in the graph, or x * 2 detached in
    place, with c = h[0] taken before the detach_()), r = h[1] taken next, h changed by
    `change` outside the graph, then h.mul_(v): the output, v.grad, r and c."""
    v = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
    w = lib.tensor([1.0, 10.0], dtype=lib.float64)
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
    h, c = (x * 2, None) if base == "detached" else (x.detach() * 2, None)
    if base == "detached":
        c = h[0]
        h.detach_()
    r = h[1]
    eval(change, {"h": h})
    h.mul_(v)
    out = (r * w).sum() * 10 + h.sum() + (0 if c is None else (c * w).sum())
    out.backward()
    return [_numbers(t) for t in (out, v.grad, r, c)]


@pytest.mark.torch
@pytest.mark.parametrize("base", ["plain", "detached"])
@pytest.mark.parametrize("change", ["h.t_()", "h.unsqueeze_(0)", "h.t_().t_()"])
def test_a_constant_s_view_follows_a_write_after_a_shape_change_as_torch(torch64, base,
                                                                         change):
    ours = _constant_view_follows(tg, base, change)
    assert ours == _constant_view_follows(torch64, base, change)
    # r = [6 v, 8 v]: d/dv of 10 r . (1, 10) + sum(h) (+ c . (1, 10), c = [2 v, 4 v]); 902
    # (r read as h's column after t_()) was the wrong number
    assert ours[1] == 10 * (6 + 80) + 20 + (42 if base == "detached" else 0)


@pytest.mark.parametrize("base", ["plain", "detached"])
def test_a_constant_s_view_partly_outside_the_new_layout_is_refused_at_the_write(base):
    # (torch's r follows the part of the write still inside it; here refused, not wrong)
    with pytest.raises(RuntimeError) as error:
        _constant_view_follows(tg, base, "h.as_strided_((3,), (1,))")
    message = _one_line(error)
    assert "as_strided_" in message and "(2,)" in message and "outside" in message


@pytest.mark.torch
@pytest.mark.parametrize("base", ["plain", "detached"])
def test_a_constant_s_view_wholly_outside_the_new_layout_is_left_as_torch(torch64, base):
    change = "h.as_strided_((2,), (1,))"
    ours = _constant_view_follows(tg, base, change)
    assert ours == _constant_view_follows(torch64, base, change)
    # r = [6, 8] unwritten: d/dv of sum([2 v, 4 v]) (+ c . (1, 10), c = [2 v, 4 v])
    assert ours[1] == 6 + (42 if base == "detached" else 0) and ours[2] == [6.0, 8.0]


def _used_then_unsqueezed(lib, change, view, retain):
    """h = x * x used (y = h * 10, or a view r = h[0] taken), changed by `change` under
    no_grad(), then (h * w).sum() plus y's (r's) backward: x.grad."""
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
    h = x * x
    used = h[0] if view else h * 10
    with lib.no_grad():
        exec(change, {"h": h})
    w = lib.tensor(np.arange(1.0, 5.0).reshape(tuple(h.shape)), dtype=lib.float64)
    ((h * w).sum() + used.sum()).backward(retain_graph=retain)
    return _numbers(x.grad)


_SHAPE_CHANGES = ["h.unsqueeze_(0)", "h.t_(); h.t_()", "h.unsqueeze_(0); h.squeeze_(0)"]


@pytest.mark.torch
@pytest.mark.parametrize("retain", [False, True])
@pytest.mark.parametrize("view", [False, True])
@pytest.mark.parametrize("change", _SHAPE_CHANGES)
def test_a_node_used_before_and_after_a_shape_change_runs_for_both_as_torch(torch64, change,
                                                                            view, retain):
    ours = _used_then_unsqueezed(tg, change, view, retain)
    assert ours == _used_then_unsqueezed(torch64, change, view, retain)
    x, w = np.array([[1.0, 2.0], [3.0, 4.0]]), np.arange(1.0, 5.0).reshape(2, 2)
    # d/dx of sum(x^2 w) + sum(10 x^2) (or of the first row's x^2): 2 x (w + 10, or [1, 0])
    assert ours == (2 * x * (w + ([[1.0], [0.0]] if view else 10))).tolist()


@pytest.mark.torch
@pytest.mark.parametrize("used", [False, True])
def test_a_second_backward_through_that_node_is_refused_as_torch(torch64, used):
    for lib in (torch64, tg):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        h = x * x
        y = h * 10
        with lib.no_grad():
            h.unsqueeze_(0)
        loss = h.sum() + (y.sum() if used else 0)
        loss.backward()
        with pytest.raises(RuntimeError, match="second time"):
            loss.backward()


@pytest.mark.parametrize("shape", [(2, 2), (3,), (0, 2), ()])
def test_a_node_run_for_both_gradchecks(shape):
    values = np.array([1.0, -2.0, 0.0, 4.0])[:int(np.prod(shape))].reshape(shape)
    weights = np.arange(1.0, 1 + values.size).reshape((1,) + shape)

    def f(x):
        h = x * x
        y = h * 10
        with tg.no_grad():
            h.unsqueeze_(0)
        return h * tg.tensor(weights, dtype=tg.float64) + y

    assert tg.gradcheck(f, (tg.tensor(values, dtype=tg.float64, requires_grad=True),))


def _data_replaced_after_detach(lib):
    """c = h[:, 1] used (y = c * 1), h.detach_(), h.data = zeros, h.mul_(v): the output,
    v.grad, x.grad and c."""
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
    v = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
    h = x * 2
    c = h[:, 1]
    y = c * 1
    h.detach_()
    h.data = lib.zeros((2, 2), dtype=lib.float64)
    h.mul_(v)
    out = (c * lib.tensor([1.0, 10.0], dtype=lib.float64)).sum() + h.sum() + y.sum()
    out.backward()
    return [_numbers(t) for t in (out, v.grad, x.grad, c)]


@pytest.mark.torch
def test_a_view_sharing_no_memory_after_data_assigned_is_only_cut_as_torch(torch64):
    ours = _data_replaced_after_detach(tg)
    assert ours == _data_replaced_after_detach(torch64)
    # c = [4, 8] keeps its values, out of every write; x.grad from y = 2 x[:, 1] alone
    assert ours[1:] == [0.0, [[0.0, 2.0], [0.0, 2.0]], [4.0, 8.0]]

"""PyTorch lines that did something else here, silently or with NumPy's error (an audit).

A write into one element (`w[0] -= step` under no_grad, `w.grad[0].zero_()`, `m[0, 1].mul_(2)`)
was lost: a full integer index gave a copy, a row a view. `tg.as_tensor(y)` cut y's graph;
`tg.Tensor([a, b])` of tensors that require a gradient cut theirs without a word; `t == None`
compared each entry; `y.requires_grad = False` on a tensor made by an op was accepted; NumPy
functions that write into their argument gave NumPy's "read-only" error. Each is compared
with torch 2.13 where torch has the line.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

W = [0.1, 0.2, -0.1]
X = [8.5, 0.65, 1.2]


def _step(lib, w, x):
    """loss = 0.5 (x.w - 1)^2, its backward, then the update written through each element."""
    loss = 0.5 * ((w * x).sum() - 1) ** 2
    loss.backward()
    with lib.no_grad():
        for wi, gi in zip(w, w.grad):
            wi -= 0.01 * gi
    return loss


@pytest.mark.torch
def test_a_write_into_one_element_reaches_the_tensor_as_pytorchs():
    torch = pytest.importorskip("torch")
    w, tw = tg.Tensor(W, requires_grad=True), torch.tensor(W, requires_grad=True)
    _step(tg, w, tg.Tensor(X))
    _step(torch, tw, torch.tensor(X, dtype=torch.float64))
    np.testing.assert_allclose(w.tolist(), tw.tolist(), rtol=1e-6)
    assert w.tolist() != W  # (moved, as torch's)
    w.grad[0].zero_()
    tw.grad[0].zero_()
    np.testing.assert_allclose(w.grad.tolist(), tw.grad.tolist(), rtol=1e-6)
    assert w.grad[0].item() == 0.0
    m, tm = tg.Tensor([[1.0, 2.0]]), torch.tensor([[1.0, 2.0]])
    m[0, 1].mul_(2)
    tm[0, 1].mul_(2)
    assert m.tolist() == tm.tolist() == [[1.0, 4.0]]
    v, tv = tg.Tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    v[np.int64(1)].fill_(7)  # a NumPy integer index too
    tv[1].fill_(7)
    assert v.tolist() == tv.tolist()


def test_a_write_through_an_element_is_an_in_place_change_as_through_a_row():
    # the graph saved w: a write through an element refuses its backward, as one through a row
    for shape, first in (((3,), lambda w: next(iter(w))), ((1, 3), lambda w: w[0, 1])):
        w = tg.Tensor(np.reshape(W, shape), requires_grad=True)
        loss = (w * w).sum()
        with tg.no_grad():
            first(w).sub_(1.0)
        with pytest.raises(RuntimeError, match=r"input 0 \(shape .*\) of op 'mul' was changed "
                                               r"in place"):
            loss.backward()


@pytest.mark.torch
def test_an_elements_gradient_is_as_before_and_pytorchs():
    torch = pytest.importorskip("torch")
    w, tw = tg.Tensor(W, requires_grad=True), torch.tensor(W, requires_grad=True,
                                                          dtype=torch.float64)
    m, tm = (tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True),
             torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, dtype=torch.float64))
    (w[1] * 3 + sum(w) * w[-1] + m[1, 0] ** 2 + m[(0, 1)]).backward()
    (tw[1] * 3 + sum(tw) * tw[-1] + tm[1, 0] ** 2 + tm[(0, 1)]).backward()
    np.testing.assert_allclose(w.grad.tolist(), tw.grad.tolist())
    np.testing.assert_allclose(m.grad.tolist(), tm.grad.tolist())
    assert w[1].shape == () and w[1].grad_fn is not None


@pytest.mark.torch
def test_as_tensor_of_a_tensor_keeps_it_and_its_graph_as_pytorchs():
    torch = pytest.importorskip("torch")
    p, tp = tg.Tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    y, ty = p * 2, tp * 2
    assert tg.as_tensor(y) is y and torch.as_tensor(ty) is ty
    assert tg.as_tensor(y, dtype=np.float64) is y
    (tg.as_tensor(y) * tg.as_tensor(y, dtype=np.float32)).sum().backward()
    (torch.as_tensor(ty) * torch.as_tensor(ty, dtype=torch.float32)).sum().backward()
    np.testing.assert_allclose(p.grad.tolist(), tp.grad.tolist())
    ints = tg.as_tensor(y, dtype=np.int64)  # to an integer dtype: a copy without gradient
    assert ints.dtype == np.int64 and not ints.requires_grad
    assert ints.tolist() == torch.as_tensor(ty, dtype=torch.int64).tolist()
    index = tg.as_tensor([0, 1])
    assert tg.as_tensor(index) is index and tg.as_tensor(index, dtype=np.int64) is index
    leaf = tg.as_tensor(index * 0.5, requires_grad=True)  # asked for: a new leaf of its own
    assert leaf.requires_grad and leaf.is_leaf


@pytest.mark.torch
def test_a_tensor_made_from_tensors_that_require_a_gradient_warns_as_pytorchs():
    torch = pytest.importorskip("torch")
    a, ta = tg.Tensor(1.0, requires_grad=True), torch.tensor(1.0, requires_grad=True)
    p = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="requires_grad=True to a scalar"):
        torch.tensor([ta, ta * 2])
    for make in (lambda: tg.Tensor([a, a * 2]), lambda: tg.tensor([[a], [a * 2]]),
                 lambda: tg.as_tensor([a, 3.0]), lambda: tg.Tensor(p * 2),
                 lambda: tg.Tensor([p, p.detach()])):
        with pytest.warns(UserWarning, match=r"(Tensor|tensor|as_tensor)\(\): a tensor in the "
                                             r"data requires a gradient: .* tg\.stack"):
            made = make()
        assert made.is_leaf and not made.requires_grad
    assert a.grad is None  # the warning's point: no gradient reaches a
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none where no gradient is lost
        tg.Tensor([a.detach(), 2.0])
        tg.Tensor([tg.Tensor(1.0), tg.Tensor(2.0)])
        tg.Tensor(np.ones(2))
        with tg.no_grad():  # (torch does not warn there either)
            tg.Tensor([a, a])
            torch.tensor([ta, ta])
    stacked = tg.stack([a, a * 2])  # the remedy the warning names keeps the graph
    stacked.sum().backward()
    assert a.grad.item() == 3.0


@pytest.mark.torch
def test_comparing_a_tensor_with_none_is_pytorchs():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        t = lib.zeros(3)
        assert (t == None) is False and (t != None) is True  # noqa: E711
        assert (None == t) is False and (None != t) is True  # noqa: E711
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    if w.grad == None:  # noqa: E711  (a PyTorch user's check: it raised "ambiguous")
        w.grad = tg.zeros(2)
    assert w.grad.tolist() == [0.0, 0.0]
    assert None not in [w] and (w == 1.0).tolist() == [True, False]


@pytest.mark.torch
def test_requires_grad_set_on_a_tensor_made_by_an_op_is_refused_as_pytorchs():
    torch = pytest.importorskip("torch")
    ty = torch.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        ty.requires_grad = False
    p = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = p * 2
    for switch_off in (lambda: setattr(y, "requires_grad", False), lambda: y.requires_grad_(False)):
        with pytest.raises(RuntimeError, match=r"^requires_grad: only a leaf's flag can change, "
                                               r"and this tensor was made by op 'mul'; use "
                                               r"y\.detach\(\)"):
            switch_off()
    assert y.requires_grad
    # switching it on is refused as well (it was accepted as a no-op); the method asks it
    # of a result as a no-op, as PyTorch's requires_grad_() does
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        ty.requires_grad = True
    assert ty.requires_grad_() is ty
    with pytest.raises(RuntimeError, match=r"^requires_grad: only a leaf's flag can change, and "
                                           r"this tensor was made by op 'mul'; it requires a "
                                           r"gradient already"):
        y.requires_grad = True
    assert y.requires_grad_() is y and y.requires_grad_(True).grad_fn.name() == "mul"
    y.sum().backward()  # the graph is intact
    assert p.grad.tolist() == [2.0, 2.0]
    p.requires_grad = False  # a leaf's flag changes, as in torch
    assert not (p * 2).requires_grad


@pytest.mark.parametrize("name, call", [
    ("copyto", lambda t: np.copyto(t, 1.0)),
    ("copyto", lambda t: np.copyto(dst=t, src=1.0)),
    ("fill_diagonal", lambda t: np.fill_diagonal(t, 1.0)),
    ("put", lambda t: np.put(t, [0], [1.0])),
    ("place", lambda t: np.place(t, np.ones((2, 2), bool), [1.0])),
    ("putmask", lambda t: np.putmask(t, np.ones((2, 2), bool), 1.0)),
    ("put_along_axis", lambda t: np.put_along_axis(t, np.zeros((2, 1), int), 1.0, 1)),
    ("round", lambda t: np.round(np.ones((2, 2)), 1, out=t)),
])
def test_numpy_functions_that_write_into_a_tensor_are_refused_in_one_line(name, call):
    t = tg.zeros((2, 2))
    with pytest.raises(TypeError) as info:
        call(t)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"np.{name} would write into a Tensor")
    assert "nothing was changed" in text and "t.copy_(v)" in text and "t.data" in text
    assert t.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    np.copyto(t.data, 1.0)  # the remedy it names
    assert t.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert np.median(t) == 1.0  # reading functions still read

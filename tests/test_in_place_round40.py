"""The fortieth round's leftovers of in-place changes and retained gradients, as PyTorch 2.13's
(each case run with torch too: values, gradients, or both refusing).

- `tg.autograd.grad(y, x)` fills the `.grad` of a tensor that called `retain_grad()` on the
  way (not x's): once, twice (it adds up), with `create_graph` (a `.grad` with a graph),
  with a hook, for a retained input itself, after a backward(), with several outputs; a
  retained tensor off the path, or below the input, gets none; `is_grads_batched` with
  one on the path gives torch's gradients and leaves `.grad` (torch's vmap leaves one that
  fails when read).
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

X = np.array([0.7, -1.2, 0.3])


def _one_line(error):
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def _numbers(value):
    """A result as plain numbers: a tensor's values (None stays None), a tuple's each."""
    if isinstance(value, (tuple, list)):
        return [_numbers(v) for v in value]
    return None if value is None else value.detach().numpy().tolist()


def _grad_then_retained(lib, how):
    """h = sin(x) * 2 retained, then tg/torch.autograd.grad as `how` says: what grad gave,
    h.grad, x.grad (None where untouched), and whether h.grad has a graph."""
    x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
    h = x.sin() * 2
    h.retain_grad()
    k = h * h * x
    y = k.sum()
    if how == "once":
        got = lib.autograd.grad(y, x)
    elif how == "twice":
        lib.autograd.grad(y, x, retain_graph=True)
        got = lib.autograd.grad(y, x)
    elif how == "create_graph":
        got = lib.autograd.grad(y, x, create_graph=True)
        got = got + lib.autograd.grad(h.grad.sum(), x)  # (h.grad differentiates again)
    elif how == "hook":
        h.register_hook(lambda g: g * 10)
        got = lib.autograd.grad(y, x)
    elif how == "the input itself":
        got = lib.autograd.grad(y, h)
    elif how == "after backward":
        y.backward(retain_graph=True)
        got = lib.autograd.grad(y, x)
    elif how == "several outputs":
        got = lib.autograd.grad([y, (h * 3).sum()], [x])
    elif how == "an input above it":  # (k's input: the pass stops at k, above h)
        got = lib.autograd.grad(y, k)
    elif how == "grad set before":
        h.grad = lib.ones(3, dtype=lib.float64)
        got = lib.autograd.grad(y, x)
    with_graph = h.grad is not None and h.grad.requires_grad
    return _numbers(got), _numbers(h.grad), _numbers(x.grad), with_graph


@pytest.mark.torch
@pytest.mark.parametrize("how", ["once", "twice", "create_graph", "hook", "the input itself",
                                 "after backward", "several outputs", "an input above it",
                                 "grad set before"])
def test_grad_fills_a_retained_tensors_grad_as_torch(torch64, how):
    theirs = _grad_then_retained(torch64, how)
    ours = _grad_then_retained(tg, how)
    assert ours[3] == theirs[3]
    for mine, torchs in zip(ours[:3], theirs[:3]):
        if torchs is None:
            assert mine is None
        else:
            np.testing.assert_allclose(np.array(mine, dtype=float),
                                       np.array(torchs, dtype=float), rtol=1e-14)
    if how not in ("an input above it",):
        assert theirs[1] is not None  # (the case is one where torch fills h.grad)


@pytest.mark.torch
def test_a_retained_tensor_off_the_path_gets_no_grad_as_torch(torch64):
    def program(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(X[::-1].copy(), dtype=lib.float64, requires_grad=True)
        side = w * 3  # (reached from y, but not on a path to x)
        side.retain_grad()
        got = lib.autograd.grad((x * side).sum(), x)
        return _numbers(got), side.grad is None, w.grad is None

    assert program(tg) == program(torch64)
    assert program(tg)[1]


@pytest.mark.torch
def test_batched_grad_through_a_retained_tensor_gives_torchs_gradients(torch64):
    def run(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        h = x * 2
        h.retain_grad()
        y = h * h * lib.ones(4, 1, dtype=lib.float64)
        rows = lib.tensor(np.arange(60.0).reshape(5, 4, 3), dtype=lib.float64)
        return lib.autograd.grad(y, x, rows, is_grads_batched=True), h

    (theirs,), _ = run(torch64)  # (torch's h.grad: a batched tensor leaked by vmap, which
    (ours,), h = run(tg)  # fails when read; ours stays None)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-14)
    assert h.grad is None


def test_grad_with_nothing_retained_leaves_every_grad_alone():
    x = tg.tensor(X, requires_grad=True)
    h = x * 2
    (g,) = tg.autograd.grad((h * h).sum(), x)
    np.testing.assert_allclose(g.numpy(), 8 * X)
    assert x.grad is None and h.grad is None

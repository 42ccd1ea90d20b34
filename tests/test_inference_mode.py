"""`inference_mode()` as PyTorch 2.13's: what is made inside is an inference tensor
(`t.is_inference()`), which outside may join no op that keeps it for backward, cannot be
changed in place nor asked for a gradient; views of one are inference tensors too.

Each test runs with both libraries (`lib`: tinygrad_gd always, torch where installed),
each held to one expectation written from PyTorch's documentation (its inference mode RFC
and `torch.inference_mode`'s docstring), gradients to a NumPy formula. One difference is
ours on purpose: an in-place change refused leaves the values as they were (PyTorch's
writes them, then raises): checked on tinygrad_gd only.
"""
from __future__ import annotations

import copy
import re
import threading

import numpy as np
import pytest

import tinygrad_gd as tg

LIBS = ["tinygrad_gd", pytest.param("torch", marks=pytest.mark.torch)]
SAVED = "Inference tensors cannot be saved for backward"
IN_PLACE = "Inplace update to inference tensor outside InferenceMode is not allowed"
REQUIRES_GRAD = "Setting requires_grad=True on inference tensor outside InferenceMode"


@pytest.fixture(params=LIBS)
def lib(request):
    if request.param == "torch":
        torch = pytest.importorskip("torch")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        yield torch
        # (given back: the files a worker runs after this one see torch's own count)
        torch.set_num_threads(threads)
    else:
        yield tg


def _np(t):
    return np.asarray(t.detach().numpy())


def _leaf(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


def _made_inside(lib, values=(1.0, 2.0, 3.0)):
    with lib.inference_mode():
        return lib.tensor(values, dtype=lib.float64)


# ------------------------------------------------------------------ which tensors are


def test_what_is_made_inside_is_an_inference_tensor_and_a_view_of_an_ordinary_one_is_not(lib):
    w, n = _leaf(lib, [1.0, 2.0, 3.0]), lib.ones(3, dtype=lib.float64)
    with lib.inference_mode():
        made = {"created": lib.ones(2), "from a list": lib.tensor([1.0]), "clone": n.clone(),
                "an op on a leaf": w * 2, "a sum": w.sum()}
        views = {"slice": n[0:2], "reshape": n.reshape(3, 1), "detach": w.detach()}
        assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
        with lib.inference_mode(False):
            ordinary = {"created": lib.ones(2), "an op": w * 2}
            assert ordinary["an op"].requires_grad
    after = lib.ones(2)
    assert all(t.is_inference() and lib.is_inference(t) for t in made.values()), made
    assert not made["an op on a leaf"].requires_grad and made["an op on a leaf"].grad_fn is None
    assert not any(t.is_inference() for t in views.values()), views
    assert not any(t.is_inference() for t in ordinary.values()), ordinary
    assert not after.is_inference() and not w.is_inference() and not n.is_inference()


def test_views_of_an_inference_tensor_are_inference_tensors_and_new_values_are_not(lib):
    inf = _made_inside(lib, [[1.0, 2.0], [3.0, 4.0]])
    views = [inf[0], inf[:, 1], inf.t(), inf.reshape(4), inf.view(4), inf.detach(),
             inf.contiguous(), inf[0].unsqueeze(0)]
    assert all(v.is_inference() for v in views)
    new = [inf.clone(), inf * 2, inf.exp(), inf + lib.ones(2, dtype=lib.float64),
           inf.float(), copy.deepcopy(inf), inf.sum()]
    assert not any(t.is_inference() for t in new)
    np.testing.assert_array_equal(_np(new[0]), [[1.0, 2.0], [3.0, 4.0]])


def test_nothing_is_recorded_inside_even_under_enable_grad(lib):
    w = _leaf(lib, [1.0, 2.0])
    with lib.inference_mode():
        with lib.enable_grad():
            assert lib.is_grad_enabled()
            z = w * 3
    assert not z.requires_grad and z.grad_fn is None and z.is_inference()
    np.testing.assert_array_equal(_np(z), [3.0, 6.0])


def test_no_grad_is_unchanged_its_tensors_join_a_graph_later(lib):
    w = _leaf(lib, [2.0, 5.0])
    with lib.no_grad():
        made = lib.tensor([3.0, 4.0], dtype=lib.float64)
        assert not lib.is_inference_mode_enabled()
    assert not made.is_inference()
    (made * w).sum().backward()
    made.add_(1)
    np.testing.assert_array_equal(_np(w.grad), [3.0, 4.0])


def test_in_other_threads_and_between_a_generators_steps_tensors_are_ordinary(lib):
    seen, started, checked = {}, threading.Event(), threading.Event()

    def other():
        started.wait()
        seen["made"] = lib.ones(2).is_inference()
        checked.set()
    thread = threading.Thread(target=other)
    thread.start()
    with lib.inference_mode():
        started.set()
        checked.wait()
        seen["here"] = lib.ones(2).is_inference()
    thread.join()
    assert seen == {"made": False, "here": True}

    @lib.inference_mode()
    def steps():
        yield lib.ones(1)
        yield lib.ones(1)
    walk = steps()
    first = next(walk)
    between = lib.ones(1)
    second = next(walk)
    assert first.is_inference() and second.is_inference() and not between.is_inference()


def test_is_inference_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match=r"^is_inference: expected a tensor, got int 3$"):
        tg.is_inference(3)


# ------------------------------------------------------------------ saved for backward


def _linear_on_an_output_made_inside(lib):
    layer = lib.nn.Linear(2, 2).double()
    with lib.inference_mode():
        out = layer(lib.ones(1, 2, dtype=lib.float64))
    return layer(out)


_KEPT = {  # (inf, w, n) -> a recorded op that keeps inf for backward: refused
    "inf * w": lambda lib, inf, w: inf * w,
    "w * inf": lambda lib, inf, w: w * inf,
    "inf / w": lambda lib, inf, w: inf / w,
    "w / inf": lambda lib, inf, w: w / inf,
    "inf @ w": lambda lib, inf, w: inf @ w,
    "w ** inf": lambda lib, inf, w: w ** inf,
    "a view: inf[0:2] * w[0:2]": lambda lib, inf, w: inf[0:2] * w[0:2],
    "an expanded view": lambda lib, inf, w: inf.expand(2, 3) * w,
    "a linear layer on what it gave inside": lambda lib, inf, w:
        _linear_on_an_output_made_inside(lib),
}


@pytest.mark.parametrize("program", list(_KEPT))
def test_an_op_that_keeps_an_inference_tensor_for_backward_refuses_it(lib, program):
    inf, w = _made_inside(lib), _leaf(lib, [1.0, 2.0, 4.0])
    with pytest.raises(RuntimeError, match=SAVED):
        _KEPT[program](lib, inf, w)
    with lib.inference_mode(), lib.inference_mode(False):  # the ordinary mode, inside too
        with pytest.raises(RuntimeError, match=SAVED):
            _KEPT[program](lib, inf, w)


def users_scaled_op(lib, cast=False):
    """A user's op of library `lib`: x * y, saving y for backward (`cast`: y as float64, a
    copy of its own)."""
    if lib is tg:
        class Scaled(tg.Function):
            def forward(ctx, x, y):
                ctx.save_for_backward(y.astype(np.float64) if cast else y)
                return x * y

            def backward(ctx, g):
                return g * ctx.saved_tensors[0], None
    else:
        class Scaled(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                ctx.save_for_backward(y.double() if cast else y)
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g * ctx.saved_tensors[0], None
    return Scaled


def test_a_users_op_that_saves_an_inference_tensor_refuses_it(lib):
    with pytest.raises(RuntimeError, match=SAVED):
        users_scaled_op(lib).apply(_leaf(lib, [1.0, 2.0, 4.0]), _made_inside(lib))


_NOT_KEPT = {  # (inf, w) -> (a recorded op that keeps no inference tensor, w's gradient)
    "inf + w": (lambda lib, inf, w: inf + w, lambda x, w: np.ones(3)),
    "w - inf": (lambda lib, inf, w: w - inf, lambda x, w: np.ones(3)),
    "where(inf > 1, inf, w)": (lambda lib, inf, w: lib.where(inf > 1, inf, w),
                               lambda x, w: (x <= 1).astype(float)),
    "inf.exp() * w": (lambda lib, inf, w: inf.exp() * w, lambda x, w: np.exp(x)),
    "inf.sum() * w": (lambda lib, inf, w: inf.sum() * w, lambda x, w: np.full(3, x.sum())),
    "cat([inf, w])": (lambda lib, inf, w: lib.cat([inf, w]), lambda x, w: np.ones(3)),
}


@pytest.mark.parametrize("program", list(_NOT_KEPT))
def test_an_op_that_keeps_no_inference_tensor_runs_with_its_gradient(lib, program):
    values = np.array([0.5, 2.0, 3.0])
    inf, w = _made_inside(lib, values), _leaf(lib, [1.0, 2.0, 4.0])
    run, gradient = _NOT_KEPT[program]
    out = run(lib, inf, w)
    assert not out.is_inference() and inf.is_inference()
    out.sum().backward()
    np.testing.assert_allclose(_np(w.grad), gradient(values, _np(w)), rtol=1e-12)


def test_a_leaf_made_inside_gets_its_gradient_where_nothing_keeps_it(lib):
    with lib.inference_mode():
        r = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    assert r.requires_grad and r.is_inference()
    c = lib.tensor([3.0, 5.0], dtype=lib.float64)
    (r * c + r).sum().backward()  # (mul keeps c for r's gradient, never r)
    np.testing.assert_array_equal(_np(r.grad), [4.0, 6.0])


def test_backward_inside_the_block_writes_an_inference_gradient(lib):
    w = _leaf(lib, [1.0, 3.0])
    y = (w * w).sum()
    with lib.inference_mode():
        y.backward()
    np.testing.assert_array_equal(_np(w.grad), [2.0, 6.0])
    assert w.grad.is_inference() and not w.is_inference()


# ------------------------------------------------------------------ in place and requires_grad


_CHANGES = {  # what -> (the name the refusal starts with here, the change)
    "add_": ("add_", lambda lib, t: t.add_(1)),
    "+=": ("+=", lambda lib, t: t.__iadd__(1)),
    "setitem": ("setitem", lambda lib, t: t.__setitem__(0, 5.0)),
    "zero_": ("zero_", lambda lib, t: t.zero_()),
    "fill_": ("fill_", lambda lib, t: t.fill_(2.0)),
    "copy_": ("copy_", lambda lib, t: t.copy_(lib.zeros(3, dtype=lib.float64))),
    "uniform_": ("uniform_", lambda lib, t: t.uniform_()),
    "normal_": ("normal_", lambda lib, t: t.normal_()),
    "clamp_": ("clamp_", lambda lib, t: t.clamp_(0, 1)),
    "relu(inplace=True)": ("relu(inplace=True)",
                           lambda lib, t: lib.nn.functional.relu(t, inplace=True)),
    "unsqueeze_": ("unsqueeze_", lambda lib, t: t.unsqueeze_(0)),
    "a view's add_": ("add_", lambda lib, t: t[0:2].add_(1)),
    "add_ of a leaf": ("add_", lambda lib, t: t.add_(_leaf(lib, [1.0, 1.0, 1.0]))),
    "mul_ of a leaf": ("mul_", lambda lib, t: t.mul_(_leaf(lib, [2.0, 2.0, 2.0]))),
    "under no_grad": ("add_", lambda lib, t: _under(lib.no_grad(), lambda: t.add_(1))),
    "in inference_mode(False)": ("add_", lambda lib, t: _under(
        lib.inference_mode(), lambda: _under(lib.inference_mode(False), lambda: t.add_(1)))),
    "nn.init.constant_": ("constant_", lambda lib, t: lib.nn.init.constant_(t, 3.0)),
}


def _under(block, change):
    with block:
        return change()


@pytest.mark.parametrize("change", list(_CHANGES))
def test_an_in_place_change_of_an_inference_tensor_outside_is_refused(lib, change):
    name, run = _CHANGES[change]
    inf = _made_inside(lib)
    start = "" if lib is not tg else "^" + re.escape(name)
    with pytest.raises(RuntimeError, match=start + ".*" + IN_PLACE):
        run(lib, inf)
    if lib is tg:  # (refused before any value is written: PyTorch's writes, then raises)
        assert inf.shape == (3,)
        np.testing.assert_array_equal(inf.numpy(), [1.0, 2.0, 3.0])


def test_in_place_changes_inside_the_block_of_copies_and_with_its_values_run(lib):
    inf, n = _made_inside(lib), lib.tensor([1.0, 1.0, 1.0], dtype=lib.float64)
    with lib.inference_mode():
        inf.add_(1)
        n.mul_(2)  # (an ordinary tensor, changed inside)
    copied = inf.clone()
    copied.add_(1)
    n.add_(inf)
    assert not copied.is_inference() and not n.is_inference() and inf.is_inference()
    np.testing.assert_array_equal(_np(inf), [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(_np(copied), [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(_np(n), [4.0, 5.0, 6.0])


def test_requires_grad_on_an_inference_tensor_is_refused_outside_only(lib):
    inf = _made_inside(lib)
    with pytest.raises(RuntimeError, match=REQUIRES_GRAD):
        inf.requires_grad_()
    with pytest.raises(RuntimeError, match=REQUIRES_GRAD):
        inf.requires_grad = True
    assert not inf.requires_grad_(False).requires_grad
    with lib.inference_mode():
        assert inf.requires_grad_().requires_grad
    usable = inf.detach().clone().requires_grad_()
    (usable * 2).sum().backward()
    np.testing.assert_array_equal(_np(usable.grad), [2.0, 2.0, 2.0])

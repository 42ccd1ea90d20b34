"""What a PyTorch user reached for and found missing (thirty-seventh round, part D):

- `tg.utils.checkpoint.checkpoint` and `checkpoint_sequential`: the same values and
  gradients as without them (parameters read by the function too, second derivatives, a
  random op's mask, keyword arguments, outputs of other kinds or computed from nothing
  that needs a gradient), the function's inner tensors not kept, run once more by
  backward() only (not by a drawing, which says why it shows no gradient), PyTorch
  2.13's warning without `use_reentrant` and its refusals with use_reentrant=True;
  and, after the review (part H), inside the function all as without checkpoint (a
  checkpoint nested in it, in-place changes, grad mode on, autograd.grad, hooks), the
  refusals of any op (an input changed in place, a second backward), forward-mode
  tangents through it; after the second review (part O), a constant the function changes
  in place refused, a tensor it returns twice one, two outputs sharing memory refused
  and a view of its argument kept, a leaf it makes given its gradient, its arguments
  named first in a refusal;
- the global module hooks (`tg.nn.modules.module.register_module_forward_pre_hook` and
  kin) in PyTorch's order around a module's own hooks, `always_call`, handles that
  remove them, the registration hooks (the containers' entries too), a registration
  racing a removal in another thread, a with_kwargs hook registered or removed during a
  call;
- `tg.autograd.functional.jacobian`, `hessian`, `hvp` and `vhp` with create_graph=True:
  a part for an input the output does not depend on is zeros that require a gradient,
  as PyTorch's, and differentiate again.
Checked against computed values (the same function without checkpoint, NumPy), and
(marked `torch`) against PyTorch."""
from __future__ import annotations

import gc
import re
import weakref

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential


def _model_and_input(seed: int = 0):
    tg.manual_seed(seed)
    model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.Tanh(), tg.nn.Linear(4, 2))
    x = tg.tensor(np.random.default_rng(seed).normal(size=(5, 3)), requires_grad=True)
    return model, x


def _grads(model, x):
    return [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]


# -- 1. checkpoint ----------------------------------------------------------------------------
@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_gives_the_values_and_gradients_of_the_plain_call(use_reentrant):
    model, x = _model_and_input()
    plain = model(x)
    (plain ** 2).sum().backward()
    expected = _grads(model, x)
    model.zero_grad()
    x.grad = None
    out = checkpoint(model, x, use_reentrant=use_reentrant)
    np.testing.assert_allclose(out.numpy(), plain.numpy(), rtol=1e-12)
    (out ** 2).sum().backward()
    for got, want in zip(_grads(model, x), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_function_runs_once_forward_once_backward_and_its_inner_tensors_are_not_kept():
    model, x = _model_and_input()
    calls, inner = [], []

    def block(t):
        calls.append(tg.is_grad_enabled())
        hidden = model[0](t)
        inner.append(weakref.ref(hidden))
        return model[2](model[1](hidden))

    out = checkpoint(block, x, use_reentrant=False)
    gc.collect()
    assert inner[0]() is None  # (a plain call's graph keeps it until backward)
    out.sum().backward()
    assert calls == [True, True]  # (gradients on both times, as PyTorch's use_reentrant=False)
    kept = block(x)  # without checkpoint, the graph holds the hidden layer
    gc.collect()
    assert inner[-1]() is not None and kept.requires_grad


def test_a_second_derivative_through_checkpoint_is_the_plain_one():
    x = tg.tensor([0.3, -1.2, 2.0], requires_grad=True)
    w = tg.tensor([1.5, 0.5, -0.7], requires_grad=True)

    def f(t):
        return (t ** 3 * w).sin()

    def second(out):
        g, = tg.autograd.grad(out.sum(), x, create_graph=True)
        return [h.numpy() for h in tg.autograd.grad((g ** 2).sum(), [x, w])] + [g.numpy()]

    for got, want in zip(second(checkpoint(f, x, use_reentrant=False)), second(f(x))):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_autograd_grad_through_checkpoint_reaches_parameters_and_runs_their_hook_once():
    model, x = _model_and_input()
    seen = []
    model[0].weight.register_hook(lambda g: seen.append(1))
    out = checkpoint(model, x, use_reentrant=False)
    gx, gw = tg.autograd.grad(out.sum(), [x, model[0].weight])
    plain_x, plain_w = tg.autograd.grad(model(x).sum(), [x, model[0].weight])
    np.testing.assert_allclose(gx.numpy(), plain_x.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw.numpy(), plain_w.numpy(), rtol=1e-12)
    assert seen == [1, 1]  # once per pass, checkpointed or not


def test_dropout_inside_draws_the_same_mask_again_and_backward_leaves_the_generator():
    x = tg.tensor(np.linspace(1.0, 2.0, 20), requires_grad=True)
    tg.manual_seed(3)
    out = checkpoint(lambda t: tg.nn.functional.dropout(t, 0.5, True), x, use_reentrant=False)
    after_forward = tg.rand(4).numpy()
    tg.manual_seed(3)
    out = checkpoint(lambda t: tg.nn.functional.dropout(t, 0.5, True), x, use_reentrant=False)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (out.numpy() != 0) * 2.0)
    np.testing.assert_array_equal(tg.rand(4).numpy(), after_forward)


def test_keyword_arguments_other_outputs_and_tensors_that_need_no_gradient():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = tg.tensor([4.0, 5.0, 6.0])

    def f(t, const, scale=1.0):
        return {"y": t * const * scale, "free": const * 2, "index": t.argmax(),
                "note": "kept", "none": None}

    out = checkpoint(f, x, c, use_reentrant=False, scale=3.0)
    assert out["note"] == "kept" and out["none"] is None
    assert out["y"].requires_grad and not out["free"].requires_grad
    assert not out["index"].requires_grad and int(out["index"].item()) == 2
    np.testing.assert_allclose(out["free"].numpy(), [8.0, 10.0, 12.0])
    out["y"].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), c.numpy() * 3.0)
    assert c.grad is None


def test_under_no_grad_checkpoint_just_calls_the_function():
    model, x = _model_and_input()
    with tg.no_grad():
        out = checkpoint(model, x, use_reentrant=False)
    assert not out.requires_grad
    np.testing.assert_allclose(out.numpy(), model(x).numpy())


def test_without_use_reentrant_it_warns_as_pytorch_2_13_and_reentrant_refuses_keywords():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda t: t * 2, x)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint_sequential([tg.nn.Tanh()], 1, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda t, scale: t * scale, x, use_reentrant=True, scale=2.0)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = checkpoint(lambda t: t * 2, tg.tensor([1.0]), use_reentrant=True)
    assert not out.requires_grad
    with pytest.raises(TypeError, match="checkpoint: function must be callable"):
        checkpoint(3, x, use_reentrant=False)


def test_a_function_that_computes_otherwise_the_second_time_is_named():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    runs = []

    def changing(t):
        runs.append(1)
        return t * 2 if len(runs) == 1 else (t * 2).sum()

    out = checkpoint(changing, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match=r"gave output 0 as shape \(\), .* first run "
                                              r"gave shape \(2,\)"):
        out.sum().backward()


def test_checkpoint_sequential_gives_the_plain_gradients():
    tg.manual_seed(1)
    model = tg.nn.Sequential(*[layer for _ in range(3)
                               for layer in (tg.nn.Linear(3, 3), tg.nn.Tanh())])
    x = tg.tensor(np.random.default_rng(1).normal(size=(4, 3)), requires_grad=True)
    model(x).sum().backward()
    expected = _grads(model, x)
    model.zero_grad()
    x.grad = None
    out = checkpoint_sequential(model, 3, x, use_reentrant=False)
    out.sum().backward()
    for got, want in zip(_grads(model, x), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(ValueError, match="segments must be an int from 1 to the number of "
                                         r"functions \(6\), got 0"):
        checkpoint_sequential(model, 0, x, use_reentrant=False)


def test_a_drawing_runs_no_checkpointed_function_and_says_why_it_shows_no_gradient():
    model, x = _model_and_input()
    calls = []

    def block(t):
        calls.append(1)
        return model(t)

    loss = checkpoint(block, x, use_reentrant=False).sum()
    text = " ".join(re.sub(r"<BR[^>]*>", " ", tg.graph.draw_graph(
        loss, mode="backward").source).split())
    assert calls == [1]
    # (since the thirty-eighth round the gradients above the checkpoint are drawn, and the
    # note says why those below are not: test_diagrams_round38.py)
    assert "the gradients below a checkpoint come from running its function again in " \
        "backward(), which a drawing does not do" in text
    loss.backward()
    assert calls == [1, 1]


@pytest.mark.torch
def test_checkpoint_matches_torch_values_gradients_and_requires_grad(torch64):
    torch = torch64
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    rng = np.random.default_rng(5)
    xs, ws = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))

    def body(x, w):
        h = (x @ w).tanh()
        return h * 2, (x * 0).sum(), x.detach() + 1

    x, w = tg.tensor(xs, requires_grad=True), tg.tensor(ws, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    tw = torch.tensor(ws, requires_grad=True)
    ours = checkpoint(lambda a: body(a, w), x, use_reentrant=False)
    theirs = torch_checkpoint(lambda a: body(a, tw), tx, use_reentrant=False)
    assert [o.requires_grad for o in ours] == [o.requires_grad for o in theirs]
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-12)
    g, = tg.autograd.grad((ours[0] ** 2).sum(), x, create_graph=True)
    tg_ = torch.autograd.grad((theirs[0] ** 2).sum(), tx, create_graph=True)[0]
    np.testing.assert_allclose(g.numpy(), tg_.detach().numpy(), rtol=1e-12)
    hx, hw = tg.autograd.grad(g.sum(), [x, w])
    thx, thw = torch.autograd.grad(tg_.sum(), [tx, tw])
    np.testing.assert_allclose(hx.numpy(), thx.numpy(), rtol=1e-10)
    np.testing.assert_allclose(hw.numpy(), thw.numpy(), rtol=1e-10)


# -- 1b. what the review of checkpoint found (thirty-seventh round, part H) -------------------
def _nested(lib, ck, t, w, b):
    return ck(lambda s: ck(lambda u: (u * w).sin(), s * 2, use_reentrant=False) * w, t,
              use_reentrant=False)


def _bias_in_place(lib, ck, t, w, b):
    def layer(s):
        h = s * w
        h += b  # (a bias added in place)
        return h.tanh()
    return ck(layer, t, use_reentrant=False)


def _written_into_zeros(lib, ck, t, w, b):
    def fill(s):
        z = lib.zeros(2, 3)
        z[0] = s * w
        return z
    return ck(fill, t, use_reentrant=False)


def _grad_mode(lib, ck, t, w, b):
    return ck(lambda s: s * w * (2.0 if lib.is_grad_enabled() else 3.0), t, use_reentrant=False)


def _requires_grad(lib, ck, t, w, b):
    def f(s):
        h = s * w
        return h * (2.0 if h.requires_grad else 3.0)
    return ck(f, t, use_reentrant=False)


def _grad_inside(lib, ck, t, w, b):
    return ck(lambda s: lib.autograd.grad((s ** 3 * w).sum(), s, create_graph=True)[0], t,
              use_reentrant=False)


def _hook_inside(lib, ck, t, w, b):
    def f(s):
        h = s * w
        h.register_hook(lambda g: g * 10)
        return h * 1
    return ck(f, t, use_reentrant=False)


_INSIDE = [_nested, _bias_in_place, _written_into_zeros, _grad_mode, _requires_grad,
           _grad_inside, _hook_inside]


def _run_case(lib, ck, case):
    """The loss (plus the leaves' sums, so that each has a gradient) and the gradients."""
    leaves = [lib.tensor(values, requires_grad=True)
              for values in ([0.3, -1.2, 2.0], [1.5, 0.5, -0.7], [0.1, -0.3, 0.2])]
    loss = case(lib, ck, *leaves).sum() + sum(leaf.sum() for leaf in leaves)
    loss.backward()
    return [np.asarray(loss.tolist())] + [np.asarray(leaf.grad.tolist()) for leaf in leaves]


def _no_checkpoint(fn, *args, use_reentrant=None):
    return fn(*args)


@pytest.mark.parametrize("case", _INSIDE, ids=lambda case: case.__name__)
def test_inside_the_function_all_is_as_without_checkpoint(case):
    """Nested checkpoints, in-place changes, grad mode, requires_grad, autograd.grad and a
    hook inside the function: the values and gradients of the same code without it."""
    for got, want in zip(_run_case(tg, checkpoint, case), _run_case(tg, _no_checkpoint, case)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("case", _INSIDE, ids=lambda case: case.__name__)
def test_inside_the_function_all_is_as_in_torchs_checkpoint(torch64, case):
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    for got, want in zip(_run_case(tg, checkpoint, case),
                         _run_case(torch64, torch_checkpoint, case)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def _changed_after(lib, ck, what):
    """The refusal (its message) of a backward through a checkpoint after `what`."""
    x = lib.tensor([0.3, -1.2, 2.0], requires_grad=True)
    w = lib.tensor([1.5, 0.5, -0.7], requires_grad=True)
    h = x * 1
    y = ck(lambda t: (t * w).sin(), h, use_reentrant=False)
    if what == "input changed":
        h.add_(1.0)
    elif what == "parameter changed":
        with lib.no_grad():
            w.mul_(2.0)
    else:
        y.sum().backward()
    with pytest.raises(RuntimeError) as refused:
        y.sum().backward()
    return str(refused.value)


def test_a_checkpoint_refuses_what_any_op_refuses():
    assert re.match(r"backward\(\): input 0 \(shape \(3,\)\) of op 'checkpoint' was changed "
                    r"in place after the op used it", _changed_after(tg, checkpoint,
                                                                      "input changed"))
    assert re.match(r"backward\(\): input 1 \(shape \(3,\)\) of op 'checkpoint' was changed",
                    _changed_after(tg, checkpoint, "parameter changed"))
    assert re.match(r"backward\(\): trying to backward through op 'checkpoint' a second time",
                    _changed_after(tg, checkpoint, "second backward"))


def _changing_its_argument(lib, ck):
    x = lib.tensor([0.3, -1.2, 2.0], requires_grad=True)
    w = lib.tensor([1.5, 0.5, -0.7], requires_grad=True)
    h = x * 1

    def scaled(t):
        t.mul_(w)  # (the caller's tensor, changed again by a second run)
        return t.sin()

    with pytest.raises(RuntimeError) as refused:
        (ck(scaled, h, use_reentrant=False) + h).sum().backward()
    return str(refused.value)


def test_a_function_that_changes_a_tensor_from_outside_in_place_is_refused_at_the_call():
    assert _changing_its_argument(tg, checkpoint).startswith(
        "checkpoint: the function changed in place a tensor it was given or read (shape (3,))")


@pytest.mark.torch
def test_torchs_checkpoint_refuses_a_changed_input_and_a_second_backward_too(torch64):
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    assert "modified by an inplace operation" in _changed_after(torch64, torch_checkpoint,
                                                                "input changed")
    assert "backward through the graph a second time" in _changed_after(
        torch64, torch_checkpoint, "second backward")
    assert "modified by an inplace operation" in _changing_its_argument(torch64,
                                                                          torch_checkpoint)


def test_retain_graph_lets_a_second_backward_through_and_the_first_lets_go_of_the_call():
    x = tg.tensor([0.3, -1.2, 2.0], requires_grad=True)
    values = np.array([2.0, 3.0, 4.0])
    scale = tg.tensor(values)  # a keyword argument that needs no gradient
    kept = weakref.ref(scale)
    y = checkpoint(lambda t, scale: t.sin() * scale, x, use_reentrant=False, scale=scale)
    del scale
    y.sum().backward(retain_graph=True)
    gc.collect()
    assert kept() is not None  # (kept for the next run)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(x.numpy()) * values)
    gc.collect()
    assert kept() is None and y.requires_grad


def _tangents(fa, lib, ck, x_requires_grad, w_requires_grad):
    w = lib.tensor([1.5, 0.5, -0.7], requires_grad=w_requires_grad)
    with fa.dual_level():
        x = fa.make_dual(lib.tensor([0.3, -1.2, 2.0], requires_grad=x_requires_grad),
                         lib.tensor([1.0, 0.5, -1.0]))
        out = ck(lambda t: ((t * w).sin(), t * 2), x, use_reentrant=False)
        return [np.asarray(fa.unpack_dual(o).tangent.tolist()) for o in out]


@pytest.mark.parametrize("x_requires_grad", [False, True])
@pytest.mark.parametrize("w_requires_grad", [False, True])
def test_forward_mode_tangents_come_through_a_checkpoint(x_requires_grad, w_requires_grad):
    xs, ws, tangent = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -0.7]), \
        np.array([1.0, 0.5, -1.0])
    got = _tangents(tg.autograd.forward_ad, tg, checkpoint, x_requires_grad, w_requires_grad)
    np.testing.assert_allclose(got[0], np.cos(xs * ws) * ws * tangent, rtol=1e-12)
    np.testing.assert_allclose(got[1], 2 * tangent, rtol=1e-12)


@pytest.mark.torch
def test_forward_mode_tangents_through_a_checkpoint_are_torchs(torch64):
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    for x_requires_grad in (False, True):
        for w_requires_grad in (False, True):
            ours = _tangents(tg.autograd.forward_ad, tg, checkpoint, x_requires_grad,
                             w_requires_grad)
            theirs = _tangents(torch64.autograd.forward_ad, torch64, torch_checkpoint,
                               x_requires_grad, w_requires_grad)
            for got, want in zip(ours, theirs):
                np.testing.assert_allclose(got, want, rtol=1e-12)


# -- 1c. what the second review of checkpoint found (thirty-seventh round, part O) ----------
def _constant_changed(lib, ck, how):
    """The function changes in place a constant it was `given` or `read`; x's gradient."""
    x = lib.tensor([0.3, -1.2, 2.0], requires_grad=True)
    c = lib.tensor([1.0, 1.0, 1.0])

    def given(t, s):
        s.mul_(2)
        return (t * s).sin()

    def read(t):
        c.mul_(2)
        return (t * c).sin()

    y = ck(given, x, c, use_reentrant=False) if how == "given" else ck(
        read, x, use_reentrant=False)
    y.sum().backward()
    return x.grad


def test_a_constant_changed_in_place_inside_the_function_is_refused():
    """Given: at the call (it gave a silently wrong x.grad); read: when backward() runs the
    function again and it changes the constant a second time."""
    with pytest.raises(RuntimeError, match=re.escape(
            "checkpoint: the function changed in place a tensor it was given or read "
            "(shape (3,)), which running it again for backward() would change a second "
            "time; change a copy inside it (t = t.clone())")):
        _constant_changed(tg, checkpoint, "given")
    with pytest.raises(RuntimeError, match=re.escape(
            "checkpoint: the function changed in place a tensor it read (shape (3,)), and "
            "running it again for backward() changed it a second time; change a copy")):
        _constant_changed(tg, checkpoint, "read")


def _made_and_filled_inside(lib, ck):
    """Tensors the function makes and fills in place, a BatchNorm1d in training, and a
    tensor it was given and only read: the gradients."""
    layers = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.BatchNorm1d(3))
    with lib.no_grad():
        layers[0].weight.copy_(lib.tensor(np.arange(9.0).reshape(3, 3) / 9 - 0.4))
        layers[0].bias.copy_(lib.tensor([0.1, -0.2, 0.3]))
    x = lib.tensor(np.random.default_rng(1).normal(size=(4, 3)), requires_grad=True)
    scale = lib.tensor([2.0, -1.0, 0.5])

    def f(t, s):
        mask = lib.zeros(3)
        mask[0] = 1.0
        mask.add_(2.0)
        doubled = mask * 2
        doubled.mul_(3.0)
        return layers(t * s) * mask * doubled

    (ck(f, x, scale, use_reentrant=False) ** 2).sum().backward()
    return [np.asarray(t.grad.tolist()) for t in (x, *layers.parameters())]


def test_tensors_the_function_makes_and_fills_in_place_and_batchnorm_still_run():
    for got, want in zip(_made_and_filled_inside(tg, checkpoint),
                         _made_and_filled_inside(tg, _no_checkpoint)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)


@pytest.mark.torch
def test_a_changed_constant_and_tensors_made_inside_as_in_torchs_checkpoint(torch64):
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _constant_changed(torch64, torch_checkpoint, "given")
    for got, want in zip(_made_and_filled_inside(tg, checkpoint),
                         _made_and_filled_inside(torch64, torch_checkpoint)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)


def _shared_outputs(lib, ck):
    """A tensor returned twice, then changed through one name; an output that is a view of
    the argument beside another, changed in place: what the caller sees, and x's gradient."""
    x = lib.tensor([0.3, -1.2, 2.0], requires_grad=True)

    def twice(t):
        h = t * 2
        return h, h

    a, b = ck(twice, x, use_reentrant=False)
    a.add_(1)
    seen = [a is b, np.asarray(b.tolist())]
    h = x * 1
    view, other = ck(lambda t: (t[0:2], t * 2), h, use_reentrant=False)
    view.mul_(10)  # (`other` saved h: backward() through it is refused, as for any op)
    (h.sum() + b.sum()).backward()
    return seen + [np.asarray(h.tolist()), np.asarray(other.tolist()),
                   np.asarray(x.grad.tolist())]


def test_a_tensor_returned_twice_is_one_and_a_view_of_the_argument_stays_one():
    ours = _shared_outputs(tg, checkpoint)
    assert ours[0] is True
    for got, want in zip(ours[1:], _shared_outputs(tg, _no_checkpoint)[1:]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(ours[2], np.array([3.0, -12.0, 2.0]))


def test_two_outputs_that_share_memory_are_refused_at_the_call():
    """(h, h[1:]) became two copies: a change to one was not seen in the other, and the
    gradient through it was lost."""
    x = tg.tensor([0.3, -1.2, 2.0], requires_grad=True)

    def and_its_view(t):
        h = t * 2
        return h, h[1:]

    with pytest.raises(RuntimeError, match=re.escape(
            "checkpoint: two outputs of the function share memory (shape (3,), one a view of "
            "the other), which the checkpoint would return as separate copies; return a copy "
            "(t[1:].clone()), or take the view of the output outside the function")):
        checkpoint(and_its_view, x, use_reentrant=False)


@pytest.mark.torch
def test_outputs_that_share_memory_as_torchs(torch64):
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    ours, theirs = _shared_outputs(tg, checkpoint), _shared_outputs(torch64, torch_checkpoint)
    assert ours[0] is theirs[0] is True
    for got, want in zip(ours[1:], theirs[1:]):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def _leaf_made_inside(lib, ck):
    """A tensor requiring a gradient made inside the function: each run's gradient."""
    x = lib.tensor([0.3, -1.2, 2.0], requires_grad=True)
    made = []

    def f(t):
        made.append(lib.tensor([2.0, 3.0, 4.0], requires_grad=True))
        return t * made[-1]

    ck(f, x, use_reentrant=False).sum().backward()
    return [None if p.grad is None else np.asarray(p.grad.tolist()) for p in made]


def test_a_leaf_made_inside_the_function_gets_its_gradient_on_the_first_runs_leaf():
    """It was None on both runs' leaves, silently."""
    first, second = _leaf_made_inside(tg, checkpoint)
    np.testing.assert_allclose(first, [0.3, -1.2, 2.0])
    assert second is None


@pytest.mark.torch
def test_a_leaf_made_inside_the_function_as_torchs(torch64):
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    ours, theirs = _leaf_made_inside(tg, checkpoint), _leaf_made_inside(
        torch64, torch_checkpoint)
    np.testing.assert_allclose(ours[0], theirs[0])
    assert ours[1] is None and theirs[1] is None


def test_a_second_run_that_reads_another_tensor_is_a_checkpoint_error():
    x = tg.tensor([0.3, -1.2, 2.0], requires_grad=True)
    weights = [tg.tensor([1.0, 2.0, 3.0], requires_grad=True),
               tg.tensor([1.0, 2.0], requires_grad=True)]
    y = checkpoint(lambda t: t * weights.pop(0).sum(), x, use_reentrant=False)
    with pytest.raises(CheckpointError, match=re.escape(
            "checkpoint: run again for backward(), the function read tensors that need a "
            "gradient of shapes [(3,), (2,)], where its first run read [(3,), (3,)]")):
        y.sum().backward()


def test_a_changed_argument_or_parameter_is_named_by_its_place_the_arguments_first():
    """A model's only argument was called input 2 of the checkpoint, behind a layer's
    parameters."""
    for changed, position, shape in [("x", 0, (5, 3)), ("bias", 2, (2,))]:
        model, x = _model_and_input()
        y = checkpoint(model, x, use_reentrant=False)
        with tg.no_grad():
            (x if changed == "x" else model[2].bias).add_(1.0)
        with pytest.raises(RuntimeError, match=re.escape(
                f"backward(): input {position} (shape {shape}) of op 'checkpoint' was "
                f"changed in place")):
            y.sum().backward()


def _reentrant_output_of_a_constant(lib, ck):
    x = lib.tensor([0.3, -1.2, 2.0], requires_grad=True)
    c = lib.tensor([1.0, 2.0, 3.0])
    return ck(lambda t, u: (t * 2, u * 2), x, c, use_reentrant=True)[1].requires_grad


def test_reentrant_an_output_of_constants_only_needs_no_gradient():
    assert _reentrant_output_of_a_constant(tg, checkpoint) is False


@pytest.mark.torch
def test_reentrant_an_output_of_constants_only_in_torch_requires_grad(torch64):
    """The difference the docstring of checkpoint admits."""
    from torch.utils.checkpoint import checkpoint as torch_checkpoint
    assert _reentrant_output_of_a_constant(torch64, torch_checkpoint) is True


# -- 2. the hooks of every module -------------------------------------------------------------
def _hooked_call(nn, module_hooks, lib):
    """The order a module's own hooks and the global ones ran in, through a call, its
    backward, a forward that raises, and a call after every global hook was removed."""
    log = []
    lin = nn.Linear(2, 2)
    lin.register_forward_pre_hook(lambda m, a: log.append("own pre"))
    lin.register_forward_hook(lambda m, a, o: log.append("own forward"))
    lin.register_full_backward_pre_hook(lambda m, g: log.append("own backward pre"))
    lin.register_full_backward_hook(lambda m, gi, go: log.append("own backward"))
    handles = [
        module_hooks.register_module_forward_pre_hook(lambda m, a: log.append("pre")),
        module_hooks.register_module_forward_hook(lambda m, a, o: log.append("forward")),
        module_hooks.register_module_forward_hook(
            lambda m, a, k, o: log.append(f"forward {sorted(k)}"), with_kwargs=True),
        module_hooks.register_module_full_backward_pre_hook(
            lambda m, g: log.append("backward pre")),
        module_hooks.register_module_full_backward_hook(
            lambda m, gi, go: log.append(f"backward {gi[0].shape}")),
        module_hooks.register_module_forward_hook(
            lambda m, a, o: log.append(f"always {o is None}"), always_call=True)]

    class Failing(nn.Module):
        def forward(self, x):
            raise ValueError("failing forward")

    x = lib.ones(1, 2, requires_grad=True)
    try:
        lin(x).sum().backward()
        with pytest.raises(ValueError, match="failing forward"):
            Failing()(x)
    finally:
        for handle in handles:
            handle.remove()
    lin(x)
    return log


def test_global_module_hooks_run_before_a_modules_own_and_go_with_their_handles():
    from tinygrad_gd.nn.modules import module as module_hooks
    log = _hooked_call(tg.nn, module_hooks, tg)
    assert log == ["pre", "own pre", "forward", "forward []", "always False", "own forward",
                   "backward pre", "own backward pre", "backward (1, 2)", "own backward",
                   "pre", "always True", "own pre", "own forward"]


def test_a_global_hook_replaces_arguments_and_output_and_refuses_a_non_callable():
    from tinygrad_gd.nn.modules.module import (register_module_forward_hook,
                                               register_module_forward_pre_hook)
    lin = tg.nn.Linear(2, 2)
    x = tg.tensor([[1.0, 2.0]])
    with register_module_forward_pre_hook(lambda m, a: a[0] * 2), \
            register_module_forward_hook(lambda m, a, o: o + 1):
        np.testing.assert_allclose(lin(x).numpy(), lin.forward(x * 2).numpy() + 1)
    np.testing.assert_allclose(lin(x).numpy(), lin.forward(x).numpy())
    with pytest.raises(TypeError, match="register_module_forward_hook: hook must be callable"):
        register_module_forward_hook("print")
    with pytest.raises(TypeError, match="always_call"):
        register_module_forward_hook(print, always_call="yes")


def test_a_failing_global_always_call_hook_is_a_warning_and_the_error_stays():
    from tinygrad_gd.nn.modules.module import register_module_forward_hook

    def broken(module, args, output):
        raise RuntimeError("hook broke")

    class Failing(tg.nn.Module):
        def forward(self, x):
            raise ValueError("failing forward")

    with register_module_forward_hook(broken, always_call=True):
        with pytest.warns(UserWarning, match="global module forward hook with ``always_call="
                                             "True`` raised .* hook broke"):
            with pytest.raises(ValueError, match="failing forward"):
                Failing()(tg.tensor([1.0]))


def _registrations(nn, module_hooks, lib):
    log = []
    handles = [module_hooks.register_module_parameter_registration_hook(
                   lambda m, n, p: log.append(("parameter", type(m).__name__, n))),
               module_hooks.register_module_buffer_registration_hook(
                   lambda m, n, b: log.append(("buffer", type(m).__name__, n))),
               module_hooks.register_module_module_registration_hook(
                   lambda m, n, s: log.append(("module", type(m).__name__, n)))]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.register_buffer("running", lib.zeros(1))
            self.w = nn.Parameter(lib.zeros(1))
            self.add_module("act", nn.Tanh())
            self.running = lib.ones(1)

    try:
        Net()
    finally:
        for handle in handles:
            handle.remove()
    Net()
    return log


def test_registration_hooks_see_every_parameter_buffer_and_module_assigned():
    from tinygrad_gd.nn.modules import module as module_hooks
    assert _registrations(tg.nn, module_hooks, tg) == [
        ("parameter", "Linear", "weight"), ("parameter", "Linear", "bias"),
        ("module", "Net", "lin"), ("buffer", "Net", "running"), ("parameter", "Net", "w"),
        ("module", "Net", "act"), ("buffer", "Net", "running")]
    holder = tg.nn.Module()
    with module_hooks.register_module_parameter_registration_hook(
            lambda m, n, p: tg.nn.Parameter(p.detach() + 1)):
        holder.w = tg.nn.Parameter(tg.zeros(1))
    assert float(holder.w.item()) == 1.0 and isinstance(holder.w, tg.nn.Parameter)
    holder.w = tg.nn.Parameter(tg.zeros(1))
    assert float(holder.w.item()) == 0.0  # (the hook removed: assigned as given)


def _containers(nn, module_hooks, lib):
    log = []
    handles = [module_hooks.register_module_parameter_registration_hook(
                   lambda m, n, p: log.append(("parameter", type(m).__name__, n))),
               module_hooks.register_module_module_registration_hook(
                   lambda m, n, s: log.append(("module", type(m).__name__, n)))]
    try:
        nn.Sequential(nn.Tanh(), nn.ReLU())
        nn.ModuleDict({"act": nn.Tanh()})
        nn.ParameterList([nn.Parameter(lib.zeros(1))])
        nn.ParameterDict({"w": nn.Parameter(lib.zeros(1))})
    finally:
        for handle in handles:
            handle.remove()
    return log


def test_containers_build_under_registration_hooks_which_see_their_entries():
    from tinygrad_gd.nn.modules import module as module_hooks
    assert _containers(tg.nn, module_hooks, tg) == [
        ("module", "Sequential", "0"), ("module", "Sequential", "1"),
        ("module", "ModuleDict", "act"), ("parameter", "ParameterList", "0"),
        ("parameter", "ParameterDict", "w")]


@pytest.mark.torch
def test_global_module_hooks_in_torchs_order(torch64):
    from torch.nn.modules import module as torch_module_hooks

    from tinygrad_gd.nn.modules import module as module_hooks
    ours = _hooked_call(tg.nn, module_hooks, tg)
    theirs = _hooked_call(torch64.nn, torch_module_hooks, torch64)
    assert ours == [entry.replace("torch.Size([1, 2])", "(1, 2)") for entry in theirs]
    assert _registrations(tg.nn, module_hooks, tg) == _registrations(
        torch64.nn, torch_module_hooks, torch64)
    assert _containers(tg.nn, module_hooks, tg) == _containers(
        torch64.nn, torch_module_hooks, torch64)


def test_a_hook_registered_while_another_thread_removes_one_still_runs():
    """The other thread is paused inside the flags' update, between reading the dicts and
    storing the flags, while this one registers: the hook must still run on a call."""
    import dis
    import sys
    import threading

    from tinygrad_gd.nn import global_hooks
    from tinygrad_gd.nn.modules.module import register_module_forward_hook
    other = register_module_forward_hook(lambda m, a, o: None)
    paused, registered, seen, handles = threading.Event(), threading.Event(), [], []

    def pause_before_the_flags_are_stored(frame, event, arg):
        if frame.f_code is not global_hooks._refresh.__code__:
            return None
        frame.f_trace_opcodes = True

        def opcode(frame, event, arg):
            code = frame.f_code.co_code[frame.f_lasti]
            if event == "opcode" and dis.opname[code] == "STORE_GLOBAL" and not paused.is_set():
                paused.set()
                registered.wait(0.5)  # (the registration waits for the lock meanwhile)
            return opcode
        return opcode

    def removing():
        sys.settrace(pause_before_the_flags_are_stored)
        try:
            other.remove()
        finally:
            sys.settrace(None)

    def registering():
        paused.wait(5)
        handles.append(register_module_forward_hook(lambda m, a, o: seen.append("ran")))
        registered.set()

    threads = [threading.Thread(target=removing), threading.Thread(target=registering)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        tg.nn.Linear(2, 2)(tg.ones(1, 2))
    finally:
        handles[0].remove()
    assert paused.is_set() and seen == ["ran"]


def _call_paused_at(line_text, meanwhile):
    """A module call whose thread pauses at the line of forward_with_hooks that starts with
    `line_text` while another thread runs `meanwhile`: what the call raised, if anything."""
    import inspect
    import sys
    import threading

    from tinygrad_gd.nn import module_hooks as hooked
    lines, first = inspect.getsourcelines(hooked.forward_with_hooks)
    target = first + next(k for k, line in enumerate(lines) if line.strip().startswith(
        line_text))
    paused, done, errors = threading.Event(), threading.Event(), []

    def pause(frame, event, arg):
        if frame.f_code is not hooked.forward_with_hooks.__code__:
            return None

        def line(frame, event, arg):
            if event == "line" and frame.f_lineno == target and not paused.is_set():
                paused.set()
                done.wait(5)
            return line
        return line

    def calling():
        sys.settrace(pause)
        try:
            tg.nn.Linear(2, 2)(tg.ones(1, 2))
        except Exception as error:  # (what the test reports)
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            sys.settrace(None)

    def other():
        paused.wait(5)
        meanwhile()
        done.set()

    threads = [threading.Thread(target=calling), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert paused.is_set()
    return errors


def test_a_hook_with_kwargs_registered_or_removed_during_a_call_gets_its_arguments():
    """Registered in another thread after the call read the flags (it ran with three
    arguments: TypeError), or removed after the call read the hooks."""
    from tinygrad_gd.nn.modules.module import register_module_forward_hook
    seen, handles = [], [register_module_forward_hook(lambda m, a, o: None)]

    def registering():
        handles.append(register_module_forward_hook(
            lambda m, a, k, o: seen.append(sorted(k)), with_kwargs=True))

    try:
        assert _call_paused_at("hooks = [", registering) == [] and seen == [[]]
        assert _call_paused_at("flags.update(G.", handles.pop().remove) == []
    finally:
        for handle in handles:
            handle.remove()
    assert seen == [[], []]


# -- 3. jacobian and hessian with create_graph=True and vectorize=True -----------------------
def _two_outputs(x, y):
    return x ** 2, y * 3


def _flags(blocks):
    return [[(b.requires_grad, b.grad_fn is not None) for b in row] for row in blocks]


def test_vectorized_jacobian_gives_an_independent_block_a_graph_whose_derivative_is_zero():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0], requires_grad=True)
    jac = tg.autograd.functional.jacobian(_two_outputs, (x, y), create_graph=True,
                                          vectorize=True)
    # output 1 does not depend on x, but output 0's block for x has a graph: one stack,
    # sliced; nothing in y's column has a graph (y * 3's derivative is a constant)
    assert _flags(jac) == [[(True, True), (False, False)], [(True, True), (False, False)]]
    np.testing.assert_array_equal(jac[1][0].numpy(), np.zeros((2, 2)))
    np.testing.assert_allclose(jac[0][0].numpy(), np.diag(2 * x.numpy()))
    np.testing.assert_allclose(jac[1][1].numpy(), 3 * np.eye(2))
    grad, = tg.autograd.grad(jac[1][0].sum(), x)
    np.testing.assert_array_equal(grad.numpy(), np.zeros(2))
    plain = tg.autograd.functional.jacobian(_two_outputs, (x, y), create_graph=True)
    assert _flags(plain) == [[(True, True), (False, False)], [(False, False), (False, False)]]


def test_vectorized_hessian_gives_every_block_of_a_column_with_a_graph_one():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0], requires_grad=True)
    hess = tg.autograd.functional.hessian(lambda a, b: (a ** 3).sum() + b.sum(), (x, y),
                                          create_graph=True, vectorize=True)
    assert _flags(hess) == [[(True, True), (False, False)], [(True, True), (False, False)]]
    np.testing.assert_allclose(hess[0][0].numpy(), np.diag(6 * x.numpy()))
    np.testing.assert_array_equal(hess[1][0].numpy(), np.zeros((2, 2)))
    third, = tg.autograd.grad(hess[0][0].sum() + hess[1][0].sum(), x)
    np.testing.assert_allclose(third.numpy(), np.full(2, 6.0))


@pytest.mark.torch
@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_hessian_hvp_vhp_graphs_as_torchs(torch64, vectorize):
    torch = torch64

    def scalar(a, b):
        return (a ** 3).sum() + (b ** 2).sum()

    def scalar_linear_in_b(a, b):
        return (a ** 3).sum() + b.sum()

    found = []
    for lib in (tg, torch):
        functional = lib.autograd.functional
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0], requires_grad=True)
        jac = functional.jacobian(_two_outputs, (x, y), create_graph=True, vectorize=vectorize)
        seen = [_flags(jac)]
        total = sum((block * block).sum() for row in jac for block in row)
        seen.append([None if g is None else np.asarray(g.tolist())
                     for g in lib.autograd.grad(total, (x, y), allow_unused=True)])
        for f in (scalar, scalar_linear_in_b):
            seen.append(_flags(functional.hessian(f, (x, y), create_graph=True,
                                                  vectorize=vectorize)))
        v = (lib.ones(2), lib.ones(2))
        for product in (functional.hvp, functional.vhp):
            seen.append(_flags([product(scalar, (x, y), v, create_graph=True)[1]]))
        found.append(seen)
    ours, theirs = found
    assert ours[0] == theirs[0] and ours[2:] == theirs[2:]
    for got, want in zip(ours[1], theirs[1]):
        assert (got is None) == (want is None)
        if got is not None:
            np.testing.assert_allclose(got, want, rtol=1e-12)

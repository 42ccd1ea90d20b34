"""What a model's forward pass and its loss guarantee, however cheaply they are computed:
each module call's scope tags for the diagrams (nested calls, two threads, the tagging off
once every call has returned), Sequential's layers run in order from their attributes at
each call, module hooks, and the checks of linear's, cross_entropy's and relu's arguments
(one line naming the function; a setting changed by hand on a loss module is checked at
its next call), and targets equal to ignore_index left out of the loss."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from tinygrad_gd import Tensor, engine, nn
from tinygrad_gd.engine import toposort
from tinygrad_gd.errors import ShapeError
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(12)
LOGITS = RNG.standard_normal((4, 3))
CLASSES = np.array([0, 2, 1, 0])


def _tagging_on() -> bool:
    return any(type(e).__name__ == "ScopeTags" for e in engine.extensions)


def _nodes(output: Tensor) -> list:
    return [t.grad_fn for t in toposort(output) if t.grad_fn is not None]


# ------------------------------------------------------------------ module calls' tags


def test_nested_module_calls_tag_their_nodes_and_leave_the_tagging_off():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    out = model(Tensor(np.ones((2, 4))))
    assert not _tagging_on()  # (a program calling no module pays nothing for it)
    after = (out * 2).sum()  # outside any module call: untagged
    scopes = [(node.name, node.scope) for node in reversed(_nodes(after))]
    assert scopes == [("linear", (model, model[0])), ("relu", (model, model[1])),
                      ("linear", (model, model[2])), ("mul", ()), ("sum", ())]
    calls = [node.scope_calls for node in reversed(_nodes(after))][:3]
    assert len({c[0] for c in calls}) == 1  # one call of the Sequential ...
    assert len({c[1] for c in calls}) == 3  # ... of three calls inside it
    again = model(Tensor(np.ones((2, 4))))
    assert _nodes(again)[0].scope_calls[0] != calls[0][0]  # each call numbered anew


class _Waiting(nn.Module):
    """Records a node, calls an inner module, waits for `go`, then records another."""

    def __init__(self, inside: threading.Event, go: threading.Event) -> None:
        self.inner, self.inside, self.go = nn.Tanh(), inside, go

    def forward(self, x: Tensor) -> Tensor:
        h = self.inner(x * 2)
        self.inside.set()
        assert self.go.wait(30)
        return h * 3  # recorded after the other thread's module call has returned


def test_a_module_call_ending_in_one_thread_leaves_another_threads_call_tagged():
    inside, go = threading.Event(), threading.Event()
    waiting, other = _Waiting(inside, go), nn.Sequential(nn.Tanh(), nn.Tanh())
    x = Tensor(np.ones(3), requires_grad=True)
    result: list = []
    worker = threading.Thread(target=lambda: result.append(waiting(x)))
    worker.start()
    try:
        assert inside.wait(30)
        other(x)  # a nested call, opened and closed here while the worker's is open
    finally:
        go.set()
        worker.join(30)
    (out,) = result
    assert [(n.name, n.scope) for n in reversed(_nodes(out))] == [
        ("mul", (waiting,)), ("tanh", (waiting, waiting.inner)), ("mul", (waiting,))]
    assert not _tagging_on()


def test_hooks_of_a_module_inside_a_sequential_run_and_go_when_removed():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    x = Tensor(RNG.standard_normal((3, 2)))
    plain = model(x).data.copy()
    pre = model[0].register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = model.register_forward_hook(lambda m, args, out: out + 1)
    expected = np.maximum(model[0].bias.data, 0) + 1  # the input zeroed, 1 added
    np.testing.assert_allclose(model(x).data, np.broadcast_to(expected, (3, 2)))
    pre.remove()
    post.remove()
    np.testing.assert_array_equal(model(x).data, plain)


# ------------------------------------------------------------------ Sequential


def test_sequential_runs_its_module_attributes_in_order_as_they_are_at_each_call():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    model.note, model.scale = "not a layer", nn.Parameter(np.ones(2))  # (not layers: skipped)
    x = Tensor(RNG.standard_normal((3, 2)))
    w, b = model[0].weight.data, model[0].bias.data
    np.testing.assert_allclose(model(x).data, np.maximum(x.data @ w.T + b, 0))
    model.append(nn.Sigmoid())  # added between calls: run by the next
    np.testing.assert_allclose(model(x).data, 1 / (1 + np.exp(-np.maximum(x.data @ w.T + b, 0))))

    class Growing(nn.Module):
        def forward(self, x):
            model.append(nn.Tanh())  # added during a call: run from the next one
            return x
    model.append(Growing())
    first = model(x)  # (a dict changed during the loop would raise here)
    np.testing.assert_array_equal(first.data, model[:3](x).data)
    np.testing.assert_array_equal(model(x).data, np.tanh(first.data))


# ------------------------------------------------------------------ linear's checks


def test_linear_matches_its_formula_and_refuses_shapes_in_one_line():
    x, w, b = RNG.standard_normal((2, 4)), RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w), Tensor(b)).data, x @ w.T + b)
    out = F.linear(x, Tensor(w.astype(np.float32)), b)  # arrays: in the weight's float dtype
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, x @ w.T + b, rtol=1e-5)
    with pytest.raises(ShapeError, match=r"^linear: weight must be 2-D \(out_features, "
                                         r"in_features\), got shape \(3, 4, 1\)$"):
        F.linear(Tensor(x), Tensor(w[..., None]))
    with pytest.raises(ShapeError, match=r"^linear: input of shape \(2, 5\) has last axis 5, "
                                         r"but the weight of shape \(3, 4\) expects 4 features$"):
        F.linear(Tensor(np.ones((2, 5))), Tensor(w))
    with pytest.raises(ShapeError, match=r"^linear: input of shape \(\) has last axis \(none\), "
                                         r"but the weight of shape \(3, 4\) expects 4"):
        F.linear(Tensor(1.0), Tensor(w))
    with pytest.raises(ShapeError, match=r"^linear: bias of shape \(2,\) does not fit a weight "
                                         r"of shape \(3, 4\); expected \(3,\)$"):
        F.linear(Tensor(x), Tensor(w), Tensor(np.ones(2)))


# ------------------------------------------------------------------ cross_entropy's checks


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.cross_entropy(Tensor(LOGITS), [0, 1, 2]), ShapeError,
     r"^cross_entropy: input of shape \(4, 3\) \(batch, classes\) needs a target of class "
     r"indices of shape \(4,\), or of class probabilities of shape \(4, 3\); got target "
     r"shape \(3,\)$"),
    (lambda: F.nll_loss(Tensor(LOGITS), [0, 1, 2]), ShapeError,
     r"^nll_loss: input of shape \(4, 3\) \(batch, classes\) needs a target of class "
     r"indices of shape \(4,\); got target shape \(3,\)$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), [0.5, 1, 1, 2]), ValueError,
     r"^cross_entropy: a target of class indices must hold whole numbers; for class "
     r"probabilities give shape \(4, 3\), the input's$"),
    (lambda: F.nll_loss(Tensor(LOGITS), [0.5, 1, 1, 2]), ValueError,
     r"^nll_loss: a target of class indices must hold whole numbers$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), np.array([True, False, True, True])), TypeError,
     r"^cross_entropy: class indices must be integers, got dtype bool$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), [0, -100, 5, -1]), ValueError,
     r"^cross_entropy: class indices must lie in \[0, 2\] for 3 classes, got \[-1, 5\]$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), [0, 7, 1, 1], ignore_index=3), ValueError,
     r"got \[7\]$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), CLASSES, ignore_index=True), TypeError,
     r"^cross_entropy: ignore_index must be an int, got True$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), CLASSES, ignore_index=1.0), TypeError,
     r"^cross_entropy: ignore_index must be an int, got 1.0$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), CLASSES, label_smoothing=True), ValueError,
     r"^cross_entropy: label_smoothing must be a number in \[0.0, 1.0\], got True$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), CLASSES, label_smoothing=float("nan")),
     ValueError, r"label_smoothing must be a number in \[0.0, 1.0\], got nan$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), CLASSES, label_smoothing=-0.1), ValueError,
     r"label_smoothing must be a number in \[0.0, 1.0\], got -0.1$"),
    (lambda: F.cross_entropy(Tensor(LOGITS), CLASSES, label_smoothing="0.1"), ValueError,
     r"label_smoothing must be a number in \[0.0, 1.0\], got '0.1'$"),
])
def test_cross_entropy_refuses_bad_targets_and_options_in_one_line(call, error, match):
    with pytest.raises(error, match=match):
        call()


def _ce_by_formula(logits, classes, keep, smoothing=0.0):
    """Mean over the kept samples of -log_softmax[target] (blended with the mean over the
    classes by `smoothing`), from NumPy."""
    log_p = logits - logits.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    picked = -log_p[np.arange(len(classes)), np.where(keep, classes, 0)]
    losses = (1 - smoothing) * picked + smoothing * -log_p.mean(-1)
    return losses[keep].mean()


def test_cross_entropy_takes_numbers_of_every_kind_and_leaves_ignored_targets_out():
    x = Tensor(LOGITS)
    expected = _ce_by_formula(LOGITS, CLASSES, np.ones(4, bool))
    for target in (CLASSES, CLASSES.tolist(), CLASSES.astype(float), Tensor(CLASSES)):
        assert F.cross_entropy(x, target).item() == pytest.approx(expected, rel=1e-12)
    assert F.cross_entropy(x, CLASSES, ignore_index=np.int64(-100)).item() == \
        pytest.approx(expected, rel=1e-12)
    for smoothing in (1, np.float32(0.25), 0.25):
        assert F.cross_entropy(x, CLASSES, label_smoothing=smoothing).item() == pytest.approx(
            _ce_by_formula(LOGITS, CLASSES, np.ones(4, bool), float(smoothing)), rel=1e-6)
    for target, ignore in (([0, -100, 1, -100], -100), ([0, 2, 1, 2], 2), ([0, 7, 1, 1], 7)):
        target = np.array(target)
        w = Tensor(LOGITS, requires_grad=True)
        loss = F.cross_entropy(w, target, ignore_index=ignore)
        assert loss.item() == pytest.approx(_ce_by_formula(LOGITS, target, target != ignore),
                                            rel=1e-12)
        loss.backward()
        assert not w.grad.data[target == ignore].any()  # an ignored sample: no gradient


@pytest.mark.torch
def test_cross_entropy_with_ignored_targets_is_pytorchs():
    torch = pytest.importorskip("torch")
    target = np.array([0, 2, 1, 2])
    ours = Tensor(LOGITS, requires_grad=True)
    theirs = torch.tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(ours, target, ignore_index=2)
    expected = torch.nn.functional.cross_entropy(theirs, torch.tensor(target), ignore_index=2)
    loss.backward()
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12)


def test_a_loss_modules_setting_changed_by_hand_is_checked_at_its_next_call():
    loss = nn.CrossEntropyLoss()
    x = Tensor(LOGITS)
    loss(x, CLASSES)
    for name, value, error, match in [
            ("label_smoothing", 2.0, ValueError, r"label_smoothing must be a number .* got 2.0"),
            ("ignore_index", "a", TypeError, r"ignore_index must be an int, got 'a'"),
            ("reduction", "avg", ValueError, r"reduction must be 'mean', 'sum' or 'none'")]:
        kept = getattr(loss, name)
        setattr(loss, name, value)
        with pytest.raises(error, match="^cross_entropy: " + match):
            loss(x, CLASSES)
        setattr(loss, name, kept)
    loss.ignore_index = 2  # a valid change is followed
    assert loss(x, CLASSES).item() == pytest.approx(
        _ce_by_formula(LOGITS, CLASSES, CLASSES != 2), rel=1e-12)


# ------------------------------------------------------------------ relu's flag


def test_relu_reads_its_inplace_flag_at_each_call_and_refuses_a_number():
    x = Tensor(np.array([-1.0, 2.0]))
    assert F.relu(x, inplace=np.bool_(False)) is not x
    with pytest.raises(TypeError, match=r"^relu: inplace must be True or False, got 0 "):
        F.relu(x, inplace=0)
    layer = nn.ReLU()
    np.testing.assert_array_equal(layer(x).data, [0.0, 2.0])
    layer.inplace = "no"
    with pytest.raises(TypeError, match=r"^relu: inplace must be True or False, got 'no'"):
        layer(x)
    layer.inplace = True
    assert layer(x) is x
    np.testing.assert_array_equal(x.data, [0.0, 2.0])

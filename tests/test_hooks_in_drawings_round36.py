"""A drawing runs no hook of the user's, and reads alike with or without retain_graph.

The static views (`draw_graph`, `Tensor.draw`, `render_graph`, `draw_anomaly`) ran the
engine's pass on the user's own graph while it kept its saved arrays, so a gradient hook
that counts, logs or changes state ran once more per drawing, and a frozen weight read
`grad [0, ...]` (freeze_'s hook had run) where after a plain backward() it read the
gradient its edge brings with `.grad [0, ...]` apart. The step-by-step page shows what
backward() does, hooks included: it calls each once, as its docstring says. Also
`python -m tinygrad_gd.cli --help`, which printed nothing.

The review of the drawing's twin: a user's random op packed by saved_tensors_hooks was
drawn as stale even after retain_graph=True, a forward that runs once under save_on_cpu()
was said to be freed before any backward, a drawing inside the block called the pack hook,
detect_anomaly's note lost the leaf's name, the step page ran a user's forward twice, a
backward appending to a ctx list grew the user's list, one deleting `ctx.x` drew no
gradient, and one output of a hooked module returning a tuple raised KeyError."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

REPO = Path(__file__).resolve().parents[1]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


class Scaled(nn.Module):
    """A module with a parameter, whose backward hooks the tests count."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter([2.0, -1.0, 0.5])

    def forward(self, x):
        return x * self.scale


def _hooked_program(calls: list[str], retain_graph: bool | None):
    """A graph with every kind of hook, each appending its kind to `calls`: a tensor's
    (register_hook), a node's (pre-hook and hook), a module's full backward hook and
    pre-hook, a leaf's post-accumulate-grad hook, and freeze_'s own. `retain_graph`: None
    draws before any backward()."""
    model = Scaled()
    model.register_full_backward_hook(lambda m, gi, go: calls.append("module"))
    model.register_full_backward_pre_hook(lambda m, go: calls.append("module pre"))
    w = nn.Parameter([0.1, 0.2, -0.1])
    w.freeze_(0)
    w.register_hook(lambda g: calls.append("tensor"))
    w.register_post_accumulate_grad_hook(lambda t: calls.append("accumulated"))
    x = tg.tensor([8.5, 0.65, 1.2], requires_grad=True)
    h = model(x) * w
    h.grad_fn.register_prehook(lambda go: calls.append("node pre"))
    h.grad_fn.register_hook(lambda gi, go: calls.append("node"))
    loss = (h.sum() - 1.0) ** 2
    if retain_graph is not None:
        loss.backward(retain_graph=retain_graph)
    return loss, model, w


@pytest.mark.parametrize("retain_graph", [None, True, False],
                         ids=["before backward", "retain_graph", "plain backward"])
def test_no_static_view_calls_a_hook_of_the_users(tmp_path, retain_graph):
    calls: list[str] = []
    loss, model, w = _hooked_program(calls, retain_graph)
    after_backward = list(calls)
    if retain_graph is not None:  # (the program is right: backward() ran every hook)
        assert sorted(set(after_backward)) == ["accumulated", "module", "module pre", "node",
                                               "node pre", "tensor"]
    views = {
        "forward": lambda: tg.draw_graph(loss).source,
        "backward": lambda: tg.draw_graph(loss, mode="backward").source,
        "backward, model=": lambda: tg.draw_graph(loss, mode="backward", model=model).source,
        "modules opened": lambda: tg.draw_graph(loss, mode="backward",
                                                open_modules=True).source,
        "modules folded": lambda: tg.draw_graph(loss, mode="backward", open_modules=False,
                                                max_nodes=4).source,
        "show_grad": lambda: tg.draw_graph(loss, show_grad=True).source,
        "Tensor.draw": lambda: loss.draw(mode="backward").source,
        "render_graph": lambda: tg.render_graph(loss, tmp_path / "g.gv", mode="backward"),
        "draw_anomaly": lambda: pytest.raises(ValueError, tg.draw_anomaly, loss),  # (finite)
    }
    for view, draw in views.items():
        draw()
        assert calls == after_backward, f"{view} called {calls[len(after_backward):]}"
    assert w.grad is None or w.grad.numpy()[0] == 0  # (freeze_'s hook ran in backward)


@needs_dot
def test_render_to_a_picture_calls_no_hook(tmp_path):
    calls: list[str] = []
    loss, _, _ = _hooked_program(calls, retain_graph=True)
    before = list(calls)
    for mode in ("forward", "backward"):
        tg.render_graph(loss, tmp_path / f"{mode}.svg", mode=mode)
    assert calls == before


@needs_dot
def test_the_step_page_calls_each_hook_once_as_backward_does_and_says_what_it_changed():
    # it shows what backward() does: each hook runs once in its pass (a documented call)
    calls: list[str] = []
    loss, _, _ = _hooked_program(calls, retain_graph=None)
    captions = tg.backward_steps(loss).captions
    assert sorted(calls) == ["module", "module pre", "node", "node pre", "tensor"]
    loss.backward()  # (the same hooks again, as the page said they would run)
    assert sorted(calls[5:]) == ["accumulated", "module", "module pre", "node", "node pre",
                                 "tensor"]
    # a doubling hook: the page's gradient is the hooked one, and says so
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(1) or g * 2)
    captions = tg.backward_steps((h * h).sum()).captions
    sent = 2 * h.numpy()
    hooked = "[" + ", ".join(f"{v:g}" for v in 2 * sent) + "]"
    assert f"complete: {hooked}, not " in captions[2] and "a hook changed it" in captions[2]
    assert seen == [1]
    tg.draw_graph((h * h).sum(), mode="backward")
    assert seen == [1]


def _frozen_weights(retain_graph: bool):
    weights = nn.Parameter([0.1, 0.2, -0.1])
    weights.freeze_(0)
    x = tg.Tensor([8.5, 0.65, 1.2], name="input")
    loss = 0.5 * ((x * weights).sum() - 1.0) ** 2
    loss.backward(retain_graph=retain_graph)
    return loss, weights, x


def _node_label(source: str, first: str) -> str:
    """The text of the node whose label starts with `first`, its lines joined by '|'."""
    for label in re.findall(r"label=<(.*?)>\s*(?:fillcolor|shape|style|peripheries)", source):
        lines = [re.sub(r"<[^>]+>", "", line).replace("&#160;", " ")
                 for line in label.split("<BR/>")]
        if lines[0].startswith(first):
            return "|".join(lines)
    raise AssertionError(f"no node {first!r} in {source}")


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_a_frozen_weight_reads_the_same_with_and_without_retain_graph(mode):
    kept, weights, x = _frozen_weights(retain_graph=True)
    plain, plain_weights, _ = _frozen_weights(retain_graph=False)
    kept_source = tg.draw_graph(kept, mode=mode, params={"weights": weights}).source
    plain_source = tg.draw_graph(plain, mode=mode, params={"weights": plain_weights}).source
    label = _node_label(kept_source, "weights")
    assert label == _node_label(plain_source, "weights")
    assert kept_source == plain_source
    # the gradient the edge brings, then .grad with its frozen entry zeroed, said so
    brought = (float((x.numpy() * weights.numpy()).sum()) - 1.0) * x.numpy()
    assert np.allclose(weights.grad.numpy(), np.where([True, False, False], 0, brought))
    assert "(its frozen entries zeroed" in label
    if mode == "backward":
        assert f"|grad [{brought[0]:.3g}, " in label, label
        assert "|.grad [0, " in label


class Noisy(tg.Function, register=False):
    """A user's random op: x plus fresh noise at every call, the noise kept for backward."""

    rng = np.random.default_rng(0)

    def forward(self, x):
        noise = Noisy.rng.normal(size=x.shape)
        self.save_for_backward(noise)
        return x + noise

    def backward(self, grad):
        return grad


def test_a_random_op_kept_by_retain_graph_draws_its_factors_and_no_hook_runs():
    # the drawing's pass copies the nodes, sharing their arrays: nothing runs again, so a
    # random op keeps what it drew (a rebuild for the hooks' sake would have lost it)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    w.register_hook(lambda g: calls.append(1))
    loss = (Noisy.apply(w) * 3.0).sum()
    loss.backward(retain_graph=True)
    source = " ".join(tg.draw_graph(loss, mode="backward").source.split())
    assert calls == [1]
    assert "gives other values" not in source and "not shown" not in source
    assert f"grad [{3.0:g}, {3.0:g}]" in source
    loss = (Noisy.apply(w) * 3.0).sum()
    loss.backward()  # freed: the op runs again, draws other noise, and is said to
    note = re.sub(r"<BR[^>]*>", " ", tg.draw_graph(loss, mode="backward").source)
    note = html.unescape(note)
    assert "op 'noisy' gives other values when run again" in " ".join(note.split())
    assert calls == [1, 1]


class NoisyNoSave(tg.Function, register=False):
    """A user's random op that saves nothing: x plus fresh noise, its backward the identity."""

    rng = np.random.default_rng(1)

    def forward(self, x):
        return x + NoisyNoSave.rng.normal(size=x.shape)

    def backward(self, grad):
        return grad


def _listed(values) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in np.asarray(values).ravel()) + "]"


def _words(source: str) -> str:
    """The DOT text with a label's line breaks as spaces, its entities decoded."""
    return " ".join(html.unescape(re.sub(r"<BR[^>]*>", " ", source)).split())


@pytest.mark.parametrize("retain_graph", [True, False], ids=["retain_graph", "plain"])
def test_random_ops_draw_every_gradient_with_retain_graph_and_no_hook_runs(retain_graph):
    # one op saves its draw (freed by a plain backward, it draws anew when run again: said
    # so), the other saves nothing (nothing freed: drawn either way)
    w = tg.Tensor([0.5, -1.0], requires_grad=True, name="w")
    u = tg.Tensor([2.0, 1.0], requires_grad=True, name="u")
    calls = []
    for leaf in (w, u):
        leaf.register_hook(lambda g: calls.append(1))
    x, v = tg.tensor([1.0, 2.0]), tg.tensor([3.0, -1.0])
    loss = ((Noisy.apply(w * x) + NoisyNoSave.apply(u * 2.0)) * v).sum()
    loss.backward(retain_graph=retain_graph)
    np.testing.assert_allclose(w.grad.numpy(), x.numpy() * v.numpy())
    source = tg.draw_graph(loss, mode="backward").source
    assert calls == [1, 1]
    words = _words(source)
    said = ("op 'noisy' gives other values when run again (a random op?); call "
            "backward(retain_graph=True) to draw it")
    assert (said in words) == (not retain_graph)
    assert "'noisynosave' gives other values" not in words
    assert f"|grad {_listed(u.grad.numpy())}" in _node_label(source, "u")
    w_label = _node_label(source, "w")
    assert (f"|grad {_listed(w.grad.numpy())}" in w_label) == retain_graph
    assert (f"|.grad {_listed(w.grad.numpy())}" in w_label) == (not retain_graph)


def test_a_module_with_backward_hooks_that_returns_the_loss_is_drawn_without_running_them():
    calls = []

    class Loss(nn.Module):
        def forward(self, x):
            return (x * x).sum()

    module = Loss()
    module.register_full_backward_hook(lambda m, gi, go: calls.append("full"))
    module.register_full_backward_pre_hook(lambda m, go: calls.append("pre"))
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = module(x)
    source = tg.draw_graph(loss, mode="backward").source
    assert calls == []
    assert f"grad [{2 * x.numpy()[0]:g}, {2 * x.numpy()[1]:g}]" in source
    loss.backward(retain_graph=True)
    assert calls == ["pre", "full"]
    assert tg.draw_graph(loss, mode="backward").source == source  # (.grad: these numbers)
    assert calls == ["pre", "full"]
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())


def test_saved_tensors_hooks_unpack_is_not_called_by_a_drawing():
    packed, unpacked = [], []

    def pack(t):
        packed.append(1)
        return t

    def unpack(t):
        unpacked.append(1)
        return t

    w = tg.tensor([0.5, -1.5], requires_grad=True)
    with tg.autograd.graph.saved_tensors_hooks(pack, unpack):
        loss = (w.exp() * w).sum()
    counts = (len(packed), len(unpacked))
    source = tg.draw_graph(loss, mode="backward").source
    assert (len(packed), len(unpacked)) == counts
    expected = np.exp(w.numpy()) * (w.numpy() + 1)
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), expected)
    assert "not shown" not in source


class _Counts:
    """saved_tensors_hooks' pack and unpack hooks, each counting its calls."""

    def __init__(self) -> None:
        self.pack = self.unpack = 0

    def hooks(self):
        def pack(t):
            self.pack += 1
            return t

        def unpack(t):
            self.unpack += 1
            return t
        return tg.autograd.graph.saved_tensors_hooks(pack, unpack)


class CountedNoisy(Noisy, register=False):
    """Noisy (it saves one array, its draw), counting the calls of its forward."""

    forwards = 0

    def forward(self, x):
        CountedNoisy.forwards += 1
        return super().forward(x)


def test_a_random_op_packed_by_saved_tensors_hooks_is_drawn_unpacked_once_not_run_again():
    counts = _Counts()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    with counts.hooks():
        loss = (CountedNoisy.apply(w) * 3.0).exp().sum()
        forwards, packed = CountedNoisy.forwards, counts.pack
        inside = tg.draw_graph(loss, mode="backward").source  # drawn inside the block
        assert (CountedNoisy.forwards, counts.pack, counts.unpack) == (forwards, packed, 1)
    before = tg.draw_graph(loss, mode="backward").source
    assert before == inside and counts.unpack == 2  # (the op's one array, once a drawing)
    loss.backward(retain_graph=True)  # (which unpacks the built-in ops' arrays too)
    unpacked = counts.unpack
    after = tg.draw_graph(loss, mode="backward").source
    assert (CountedNoisy.forwards, counts.pack, counts.unpack) == (forwards, packed,
                                                                   unpacked + 1)
    for source in (before, after):
        words = _words(source)
        assert "gives other values" not in words and "not shown" not in words
        drawn = re.search(r"\|grad \[([^\]]*)\]", _node_label(source, "w"))[1]
        np.testing.assert_allclose([float(v) for v in drawn.split(", ")], w.grad.numpy(),
                                   rtol=1e-3)  # (at the drawing's precision, whatever the draw)
    noisy = loss._ctx.parents[0]._ctx.parents[0]._ctx.parents[0]  # (sum, exp, mul, noisy)
    assert noisy._ctx is not None and noisy.shape == (2,)
    np.testing.assert_allclose(w.grad.numpy(), 3.0 * np.exp(3.0 * noisy.numpy()))


def test_built_in_ops_recorded_under_saved_tensors_hooks_call_no_hook_when_drawn_inside():
    counts = _Counts()
    with counts.hooks():
        w = tg.Tensor([0.5, -1.5], requires_grad=True, name="w")
        loss = (w.exp() * w).sum()
        calls = (counts.pack, counts.unpack)
        source = tg.draw_graph(loss, mode="backward").source
        assert (counts.pack, counts.unpack) == calls
    assert f"|grad {_listed(np.exp(w.numpy()) * (w.numpy() + 1))}" in _node_label(source, "w")


def _once():
    """A user's op whose forward refuses a second call (a stream read once)."""
    class Once(tg.Function, register=False):
        used = False

        def forward(ctx, x):
            if Once.used:
                raise ValueError("stream exhausted")
            Once.used = True
            ctx.save_for_backward(x)
            return x * x

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad
    return Once


def test_a_forward_that_runs_once_under_save_on_cpu_is_drawn_and_freed_only_once_freed():
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    with tg.autograd.graph.save_on_cpu():
        loss = _once().apply(w).sum()
    before = tg.draw_graph(loss, mode="backward").source
    assert "not shown" not in _words(before) and "freed" not in _words(before)
    assert f"|grad {_listed(2 * w.numpy())}" in _node_label(before, "w")
    loss.backward(retain_graph=True)
    assert tg.draw_graph(loss, mode="backward").source == before
    loss.backward()  # (freed: the op cannot run again, and the note says why)
    words = _words(tg.draw_graph(loss, mode="backward").source)
    assert ("gradients along the graph not shown: backward() freed its saved arrays and "
            "running the ops again failed (ValueError: ") in words
    assert "stream exhausted); call backward(retain_graph=True) to draw every gradient" in words


def test_an_anomaly_note_names_the_leaf_a_hidden_write_changed_as_backward_does():
    w = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="w")
    x = tg.tensor([0.5, 0.5, 0.5], requires_grad=True)
    with tg.detect_anomaly():
        loss = (x * w).sum()
    plain = w.data.view(np.ndarray)  # a write the version counter cannot see
    plain.flags.writeable = True
    plain[1:] *= 2.0
    words = _words(tg.draw_graph(loss, mode="backward").source)
    with pytest.raises(RuntimeError) as refused:
        loss.backward()
    said = str(refused.value)
    assert said.startswith("backward(): input 1 'w' (shape (3,)) of op 'mul' was changed")
    assert f"gradients not shown: RuntimeError: {said[:120]}" in words


class Logged(tg.Function, register=False):
    """A user's op whose backward appends to a list it keeps on ctx."""

    def forward(ctx, x):
        ctx.log = []
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, grad):
        ctx.log.append("backward")
        (x,) = ctx.saved_tensors
        return 2 * x * grad


class ForgetsItsInput(tg.Function, register=False):
    """A user's op whose backward deletes what it read (as saved arrays are freed)."""

    def forward(ctx, x):
        ctx.x = x.copy()
        return x * x

    def backward(ctx, grad):
        x = ctx.x
        del ctx.x
        return 2 * x * grad


def test_a_users_ctx_is_left_as_backward_left_it_and_a_backward_that_deletes_is_drawn():
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    y = Logged.apply(w)
    loss = (y * 3.0).sum()
    loss.backward(retain_graph=True)
    for _ in range(2):
        source = tg.draw_graph(loss, mode="backward").source
    assert y.grad_fn.log == ["backward"]
    assert f"|grad {_listed(w.grad.numpy())}" in _node_label(source, "w")
    v = tg.Tensor([1.0, 2.0], requires_grad=True, name="v")
    loss = (ForgetsItsInput.apply(v) * 3.0).sum()
    loss.backward()
    source = tg.draw_graph(loss, mode="backward").source
    assert "not shown" not in _words(source)
    assert f"|grad {_listed(v.grad.numpy())}" in _node_label(source, "v")


class CountedCube(tg.Function, register=False):
    """x cubed, counting the calls of its forward."""

    forwards = 0

    def forward(ctx, x):
        CountedCube.forwards += 1
        ctx.save_for_backward(x)
        return x ** 3

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x * x * grad


@needs_dot
def test_the_step_page_runs_a_users_forward_once_and_shows_a_packed_random_ops_step():
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = (CountedCube.apply(w) * 3.0).sum()
    loss.backward()
    forwards = CountedCube.forwards
    captions = tg.backward_steps(loss).captions
    assert CountedCube.forwards == forwards + 1  # (freed: run again, once a page)
    assert captions[-1].startswith(f"Step 4 of 4: the gradient of w is complete: "
                                   f"{_listed(w.grad.numpy())}")
    counts = _Counts()
    with counts.hooks():
        loss = (CountedNoisy.apply(w) * 3.0).sum()
    forwards = CountedNoisy.forwards
    captions = tg.backward_steps(loss).captions  # (before backward: the graph's own pass)
    assert CountedNoisy.forwards == forwards
    on_the_page = counts.unpack
    w.grad = None
    loss.backward()
    assert counts.unpack == 2 * on_the_page > 0  # each array unpacked as backward() does
    assert captions[-1].startswith(f"Step 4 of 4: the gradient of w is complete: "
                                   f"{_listed(w.grad.numpy())}")


class TwoLosses(nn.Module):
    def forward(self, x):
        return (x * x).sum(), x.exp().sum()


def test_one_output_of_a_hooked_module_returning_a_tuple_is_drawn_without_its_hooks():
    module = TwoLosses()
    calls = []
    module.register_full_backward_hook(lambda m, gi, go: calls.append("full"))
    module.register_full_backward_pre_hook(lambda m, go: calls.append("pre"))
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    outputs = module(x)
    expected = (2 * x.numpy(), np.exp(x.numpy()))
    for output, grad in zip(outputs, expected):
        source = tg.draw_graph(output, mode="backward").source  # (a KeyError)
        assert tg.draw_graph(output).source
        assert calls == []
        assert "not shown" not in _words(source)
        assert f"|grad {_listed(grad)}" in _node_label(source, "x")
    outputs[1].backward()
    assert calls == ["pre", "full"]
    np.testing.assert_allclose(x.grad.numpy(), expected[1])


def test_python_m_tinygrad_gd_cli_runs_the_command_line():
    runs = [subprocess.run([sys.executable, "-m", module, "--help"], cwd=REPO,
                           capture_output=True, text=True, timeout=120, check=False)
            for module in ("tinygrad_gd.cli", "tinygrad_gd")]
    assert [run.returncode for run in runs] == [0, 0]
    assert runs[0].stdout.startswith("usage: tinygrad-gd ")
    assert runs[0].stdout == runs[1].stdout
    bare = subprocess.run([sys.executable, "-m", "tinygrad_gd.cli"], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert bare.returncode == 2 and "give a COMMAND" in bare.stderr

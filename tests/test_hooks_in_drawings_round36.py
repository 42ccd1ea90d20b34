"""A drawing runs no hook of the user's, and reads alike with or without retain_graph.

The static views (`draw_graph`, `Tensor.draw`, `render_graph`, `draw_anomaly`) ran the
engine's pass on the user's own graph while it kept its saved arrays, so a gradient hook
that counts, logs or changes state ran once more per drawing, and a frozen weight read
`grad [0, ...]` (freeze_'s hook had run) where after a plain backward() it read the
gradient its edge brings with `.grad [0, ...]` apart. The step-by-step page shows what
backward() does, hooks included: it calls each once, as its docstring says. Also
`python -m tinygrad_gd.cli --help`, which printed nothing."""
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


def test_a_network_with_dropout_and_retain_graph_draws_every_gradient_and_no_hook_runs():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
    calls = []
    for p in model.parameters():
        p.register_hook(lambda g: calls.append(1))
    x = tg.tensor(np.random.default_rng(0).normal(size=(3, 4)))
    for retain_graph in (True, False):
        loss = model(x).sum()
        model.zero_grad()
        loss.backward(retain_graph=retain_graph)
        source = tg.draw_graph(loss, mode="backward", model=model, open_modules=True,
                               max_nodes=None).source
        assert calls == [1] * 4 * (1 + (not retain_graph))
        assert "gives other values" not in source and "not shown" not in source
        assert ".grad " not in source  # each parameter's .grad is this pass's gradient


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

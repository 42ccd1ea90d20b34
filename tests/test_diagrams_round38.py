"""Four things a diagram's reader read wrongly or not at all (thirty-eighth round), read from
the rendered SVG.

- A checkpoint (`tg.utils.checkpoint.checkpoint`) left a drawing with no gradient on any
  node and a note that none are shown, though those above it need no second run of the
  function: they are drawn, the checkpoint's node says `backward() runs f again:` /
  `gradients below not drawn`, its inputs show the `.grad` backward() left, and the note
  says why the rest is missing, in one sentence.
- Two results of one title (`linear result`, `mul result`) made two step captions read
  `sends ... to linear result` alike: each title that repeats is numbered from the inputs up
  (`linear result #1`, `#2`; side branches as the output's expression reaches them), in
  every place it appears (node, tooltip, op's `∂/∂`, caption, a hook's cause); one of a kind
  stays unnumbered, and so are two unnamed parameters (`parameter #1`, `#2`).
- A post-accumulate-grad hook whose change went into a `.grad` since cleared was still
  named as its cause; it is named only where the `.grad` drawn holds its change.
- A module's backward hook was named `a module's backward hook` whether or not it changed
  anything; it is named by its module as the module's box or frame is titled (`a backward
  hook of fc2: Linear(3 -> 1)`), and only where it changed a gradient `.grad` holds.

Numbers are checked against NumPy (a hand derivation written here) or against PyTorch.
"""
from __future__ import annotations

import gc
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.utils.checkpoint import checkpoint, checkpoint_sequential

from test_factors_round34 import _nodes
from test_graph_labels import needs_dot, png_size

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"
_LINK = "{http://www.w3.org/1999/xlink}title"
_OTHERS = "or from other backward() calls)"


def _svg(loss, tmp_path, tag: str, **options):
    return tg.render_graph(tg.draw_graph(loss, **options), tmp_path / f"{tag}.svg")


def _texts(path) -> str:
    """Every text of the picture, joined: what a reader can read anywhere on it."""
    return " ".join((t.text or "").strip() for t in ET.parse(path).getroot().iter(_SVG + "text"))


def _node_tooltips(path) -> dict[str, str]:
    """Each node's tooltip (what the pointer resting on it shows), by the node's first text."""
    found = {}
    for g in ET.parse(path).getroot().iter(_SVG + "g"):
        texts = [(t.text or "").strip() for t in g.iter(_SVG + "text")]
        links = [a.get(_LINK) for a in g.iter(_SVG + "a") if a.get(_LINK)]
        if g.get("class") == "node" and texts and links:
            found[texts[0]] = links[0]
    return found


def _edge_labels_into(path, node_title: str) -> list[str]:
    """The texts on the edges that end at the node whose first text is `node_title`."""
    root = ET.parse(path).getroot()
    ids = {g.find(_SVG + "title").text: [(t.text or "").strip() for t in g.iter(_SVG + "text")]
           for g in root.iter(_SVG + "g") if g.get("class") in ("node", "edge")}
    [unit] = [k for k, texts in ids.items() if "->" not in k and texts and texts[0] == node_title]
    return [" ".join(texts) for k, texts in ids.items() if k.endswith("->" + unit)]


def _list(a) -> str:
    """A vector as a label writes it: `[1, 4.5]` (-0 as 0)."""
    return "[" + ", ".join(f"{v + 0.0:.4g}" for v in np.asarray(a).reshape(-1)) + "]"


def _table(a) -> str:
    """A matrix's entries as a label's table reads, joined: `1 -1 0.5 2`."""
    return " ".join(f"{v + 0.0:.4g}" for v in np.asarray(a).reshape(-1))


# ---------------------------------------------------------------------------------------
# 1. A checkpoint: the gradients above it drawn, the node saying where they stop


def _checkpointed(backward: bool = True):
    """loss = sum(h * h), h = checkpoint(f, x), f(a) = relu(a * w): (loss, x, w, h)."""
    x = tg.Tensor([1.0, 2.0, -1.0], requires_grad=True, name="x")
    w = tg.Tensor([3.0, -1.0, 2.0], requires_grad=True, name="w")

    def f(a):
        return (a * w).relu()
    h = checkpoint(f, x, use_reentrant=False)
    loss = (h * h).sum()
    if backward:
        loss.backward()
    return loss, x, w, h


def test_a_checkpoint_draws_the_gradients_above_it_and_stops_there(tmp_path):
    loss, x, w, h = _checkpointed()
    xd, wd = np.array([1.0, 2.0, -1.0]), np.array([3.0, -1.0, 2.0])
    hd = np.maximum(xd * wd, 0)
    np.testing.assert_allclose(h.numpy(), hd)
    # by hand: d loss / d h = 2h; through relu(x * w): 2h w where x w > 0, 2h x for w
    np.testing.assert_allclose(x.grad.numpy(), 2 * hd * wd * (xd * wd > 0))
    np.testing.assert_allclose(w.grad.numpy(), 2 * hd * xd * (xd * wd > 0))
    path = _svg(loss, tmp_path, "checkpoint", mode="backward")
    nodes = _nodes(path)
    assert "grad 1" in nodes["output"], nodes["output"]
    assert f"grad {_list(np.ones(3))}" in nodes["mul result"], nodes["mul result"]
    assert f"grad {_list(2 * hd)}" in nodes["checkpoint result"], nodes["checkpoint result"]
    assert nodes["checkpoint"][1:] == ["backward() runs f again:", "gradients below not drawn"]
    for leaf, held in (("x", x.grad.numpy()), ("w", w.grad.numpy())):
        said = nodes[leaf]  # (backward()'s .grad, no `grad` of this pass and no cause)
        assert f".grad {_list(held)}" in said and not any(t.startswith("grad ") for t in said)
        assert not re.search(r"changed|accumulated|hook", " ".join(said)), said
        assert _edge_labels_into(path, leaf) == [""], leaf  # (no factor on its edge)
    text = _texts(path)
    assert "gradients not shown" not in text, text
    note = ("some factors not shown: the gradients below a checkpoint come from running its "
            "function again in backward(), which a drawing does not do")
    assert re.sub(r"\s+", " ", text).count(note) == 1 and text.count("not shown") == 1, text


def test_a_checkpoint_drawn_before_backward_and_on_the_step_page(tmp_path):
    loss, x, w, h = _checkpointed(backward=False)
    hd = h.numpy()
    nodes = _nodes(_svg(loss, tmp_path, "before", mode="backward"))
    assert f"grad {_list(2 * hd)}" in nodes["checkpoint result"], nodes["checkpoint result"]
    assert not any("grad" in t for t in nodes["x"] + nodes["w"]), (nodes["x"], nodes["w"])
    assert x.grad is None and w.grad is None  # (the drawing ran no backward())
    captions = tg.backward_steps(loss).captions
    assert captions[-1].endswith(
        f"the gradient of checkpoint result is complete: {_list(2 * hd)}; at checkpoint, "
        f"backward() runs f again, which this page does not do: the gradients below it are "
        f"not drawn"), captions[-1]


def test_a_step_page_says_a_checkpoints_rerun_adds_to_the_gradients_below_it():
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.Tensor([3.0, -1.0], requires_grad=True, name="w")

    def square(a):
        return a * a
    loss = checkpoint(square, x, use_reentrant=False).sum() + (x * w).sum()
    captions = tg.backward_steps(loss).captions
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + w.numpy())  # (d/dx: 2x + w)
    # x's gradient is not complete before the checkpoint's step: its rerun adds 2x
    [said] = [c for c in captions if "the gradient of x " in c]
    assert "the gradient of x from the ops drawn is" in said, said
    assert "backward() adds more when it runs square again" in said, said
    assert any("the gradient of w is complete: [1, 2]" in c for c in captions), captions


def test_a_sequentials_checkpointed_segment_names_its_layers(tmp_path):
    tg.manual_seed(38)
    layers = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.Tanh(), tg.nn.Linear(3, 1))
    x = tg.Tensor([[0.5, -1.0]], requires_grad=True, name="x")
    loss = checkpoint_sequential(layers, 2, x, use_reentrant=False).sum()
    loss.backward()
    nodes = _nodes(_svg(loss, tmp_path, "sequential", mode="backward", model=layers,
                        open_modules=True))
    [ckpt] = [lines for title, lines in nodes.items() if title == "checkpoint"]
    assert ckpt[1] == "backward() runs layer 0 again:", ckpt  # (a segment of one layer)
    # layer 2's weight lies above the checkpoint: its gradient drawn, d loss / d W = input
    a = np.tanh(x.numpy() @ layers[0].weight.numpy().T + layers[0].bias.numpy())
    assert f"grad {_table(a)}" in " ".join(nodes["2.weight"]), nodes["2.weight"]


def test_a_checkpoints_picture_renders_at_a_sane_size(tmp_path):
    loss, *_ = _checkpointed()
    path = tg.render_graph(tg.draw_graph(loss, mode="backward"), tmp_path / "checkpoint.png")
    width, height = png_size(path)
    assert 200 < width < 2000 and 200 < height < 2000, (width, height)


# ---------------------------------------------------------------------------------------
# 2. Two results of one title numbered, in every place the title appears


def _two_linears():
    """loss = sum(linear(relu(linear(x, w1)), w2) ** 2): (loss, x, w1, w2)."""
    F = tg.nn.functional
    x = tg.Tensor([[1.0, 2.0]], name="x")
    w1 = tg.Tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True, name="w1")
    w2 = tg.Tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True, name="w2")
    loss = (F.linear(F.linear(x, w1).relu(), w2) ** 2).sum()
    return loss, x, w1, w2


def test_two_results_of_one_title_are_numbered_from_the_inputs_up(tmp_path):
    loss, x, w1, w2 = _two_linears()
    first = x.numpy() @ w1.numpy().T
    second = np.maximum(first, 0) @ w2.numpy().T
    path = _svg(loss, tmp_path, "two", mode="backward")
    nodes = _nodes(path)
    titles = [title for title in nodes if "linear result" in title]
    assert sorted(titles) == ["linear result #1", "linear result #2"], list(nodes)
    # #1 is the one the other is made from
    assert f"data {_table(first)}" in " ".join(nodes["linear result #1"]), nodes
    assert f"data {_table(second)}" in " ".join(nodes["linear result #2"]), nodes
    # one of a kind stays as it was
    assert "relu result" in nodes and "pow result" in nodes, list(nodes)
    # the ops name their inputs as the nodes are titled
    assert any(t.startswith("∂/∂linear result #1 = ") for t in nodes["relu"]), nodes["relu"]
    assert any(t.startswith("∂/∂linear result #2 = ") for t in nodes["** 2"]), nodes["** 2"]
    tips = _node_tooltips(path)
    for title in titles:
        assert tips[title].startswith(title + " (1, 2)"), tips[title]


def test_side_branches_are_numbered_as_the_outputs_expression_reaches_them(tmp_path):
    x = tg.Tensor([1.0, 2.0], name="x")
    w1 = tg.Tensor([3.0, 4.0], requires_grad=True, name="w1")
    w2 = tg.Tensor([5.0, 6.0], requires_grad=True, name="w2")
    a = x * w2  # (computed first)
    b = x * w1
    loss = b.sum() + a.sum()  # (b reached first: the docs say so, not creation order)
    nodes = _nodes(_svg(loss, tmp_path, "branches", mode="backward"))
    assert f"data {_list(x.numpy() * w1.numpy())}" in " ".join(nodes["mul result #1"]), nodes
    assert f"data {_list(x.numpy() * w2.numpy())}" in " ".join(nodes["mul result #2"]), nodes


def test_two_unnamed_parameters_are_numbered_in_nodes_and_steps(tmp_path):
    x = tg.Tensor([1.0, 2.0])
    w = tg.Tensor([0.5, -1.0], requires_grad=True)
    v = tg.Tensor([2.0, 3.0], requires_grad=True)
    loss = ((x * w).relu() * v).sum()
    nodes = _nodes(_svg(loss, tmp_path, "parameters", mode="backward"))
    assert "parameter" not in nodes, list(nodes)  # (two alike: neither left unnumbered)
    title = {name: next(t for t in nodes if t.startswith("parameter #")
                        and f"data {_list(p.numpy())}" in " ".join(nodes[t]))
             for name, p in (("w", w), ("v", v))}
    assert sorted(title.values()) == ["parameter #1", "parameter #2"], title
    # d loss / dw = v x (x w > 0), d loss / dv = relu(x w): each caption names its node
    grads = {"w": v.numpy() * x.numpy() * (x.numpy() * w.numpy() > 0),
             "v": np.maximum(x.numpy() * w.numpy(), 0)}
    captions = tg.backward_steps(loss).captions
    for name in ("w", "v"):
        said = f"the gradient of {title[name]} is complete: {_list(grads[name])}"
        assert any(said in c for c in captions), (said, captions)


def test_a_step_page_names_each_numbered_result_as_its_node(tmp_path):
    loss, x, w1, w2 = _two_linears()
    steps = tg.backward_steps(loss)
    named = {m for c in steps.captions for m in re.findall(r"linear result(?: #\d)?", c)}
    assert named == {"linear result #1", "linear result #2"}, steps.captions
    for caption, frame in zip(steps.captions, steps.frames):
        said = re.search(r"the gradient of (.*?) is complete", caption)[1]
        frame_titles = {texts[0] for texts in _frame_nodes(frame)}
        assert said in frame_titles, (said, frame_titles)  # (a caption's name is a node's)
    sent_to = {m for c in steps.captions for m in re.findall(r"to (linear result #\d)", c)}
    assert sent_to == {"linear result #1", "linear result #2"}, steps.captions


def _frame_nodes(frame: str) -> list[list[str]]:
    return [[(t.text or "").strip() for t in g.iter(_SVG + "text")]
            for g in ET.fromstring(frame).iter(_SVG + "g")
            if (g.get("class") or "").split()[:1] == ["node"]]


def test_a_hooks_cause_names_the_numbered_result(tmp_path):
    a = tg.Tensor([1.0, 2.0], requires_grad=True, name="a")
    b = a * a
    c = b * a  # two `mul result` nodes: the hook is on the second one
    sent = []
    c.register_hook(lambda g: sent.append(g * 10) or sent[-1])
    loss = c.sum()
    loss.backward()
    ad = np.array([1.0, 2.0])
    np.testing.assert_allclose(a.grad.numpy(), 10 * 3 * ad ** 2)  # d(a³)/da, scaled by 10
    nodes = _nodes(_svg(loss, tmp_path, "hooked", mode="backward"))
    assert sorted(t for t in nodes if t.startswith("mul result")) == ["mul result #1",
                                                                       "mul result #2"]
    assert f"data {_list(ad ** 3)}" in " ".join(nodes["mul result #2"])
    assert "(its hook sent on" in " ".join(nodes["mul result #2"]), nodes["mul result #2"]
    assert "(changed by a hook on mul result #2, or from other backward() calls)" in \
        " ".join(nodes["a"]), nodes["a"]


# ---------------------------------------------------------------------------------------
# 3. A post-accumulate-grad hook named only where .grad holds its change


def _hookless_session() -> None:
    """What earlier tests left (tensors with hooks) freed, and one backward() without a hook
    run: a test then sees what a fresh session sees, whatever ran before it."""
    gc.collect()
    (tg.Tensor([1.0], requires_grad=True) * 2).sum().backward()


# the three ways to zero a tensor's .grad in place, which the hooks' change goes with
_ZEROINGS = {"zero_": lambda t: t.grad.zero_(), "fill_(0)": lambda t: t.grad.fill_(0),
             "through .data": lambda t: t.grad.data.__setitem__(Ellipsis, 0)}


@pytest.mark.parametrize("clearing", ["w.grad = None", *_ZEROINGS])
@pytest.mark.parametrize("hook", ["post-accumulate", "tensor"])
def test_a_hooks_change_since_cleared_is_not_named(tmp_path, clearing, hook):
    _hookless_session()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    runs = []

    def triple_once(p):  # triples the gradient in its first run only, then looks only
        runs.append(1)
        if hook == "tensor":
            return p * 3 if len(runs) == 1 else None
        if len(runs) == 1:
            p.grad = p.grad * 3
    (w.register_post_accumulate_grad_hook if hook == "post-accumulate"
     else w.register_hook)(triple_once)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(w.grad.numpy(), 3 * 2 * w.numpy())  # (d/dw sum w² = 2w)
    said = " ".join(_nodes(_svg(loss, tmp_path, "first", mode="backward"))["w"])
    assert "(changed by its hook" in said, said
    _ZEROINGS.get(clearing, lambda t: setattr(t, "grad", None))(w)  # (the tripled .grad goes)
    said = " ".join(_nodes(_svg(loss, tmp_path, "cleared", mode="backward"))["w"])
    assert "hook" not in said, said  # (nothing of the hook's held, before a pass)
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(w.grad.numpy(), 2 * 2 * w.numpy())
    for mode in ("backward", "forward"):
        said = " ".join(_nodes(_svg(loss, tmp_path, mode, mode=mode))["w"])
        assert "hook" not in said and "(accumulated" in said, said


def test_a_hooks_change_partly_overwritten_is_still_named(tmp_path):
    _hookless_session()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    w.register_post_accumulate_grad_hook(lambda p: setattr(p, "grad", p.grad * 3))
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    w.grad.data[0] = 0  # (entry 1 still holds the tripled gradient)
    loss.backward()
    # (2w added to [0, 12], tripled)
    np.testing.assert_allclose(w.grad.numpy(), [(0 + 2) * 3, (3 * 4 + 4) * 3])
    said = " ".join(_nodes(_svg(loss, tmp_path, "partly", mode="backward"))["w"])
    assert "(changed by its hook" in said, said


# ---------------------------------------------------------------------------------------
# 4. A module's backward hook named by its module, and only where it changed a gradient


class _Net(tg.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = tg.nn.Linear(2, 3), tg.nn.Linear(3, 1)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


_X = [[1.0, -2.0], [0.5, 1.0]]


def _net(hook: str, factor: float | None, runs: int = 1):
    """_Net with a hook on fc2 (`full` on grad_input, `pre` on grad_output) scaling by
    `factor` (None: returning None), backward() `runs` times: (loss, net)."""
    tg.manual_seed(38)
    net = _Net()
    if hook == "full":
        net.fc2.register_full_backward_hook(
            lambda m, gi, go: None if factor is None else tuple(g * factor for g in gi))
    else:
        net.fc2.register_full_backward_pre_hook(
            lambda m, go: None if factor is None else tuple(g * factor for g in go))
    loss = net(tg.Tensor(_X, name="x")).sum()
    for k in range(runs):
        loss.backward(retain_graph=k < runs - 1)
    return loss, net


@pytest.mark.torch
@pytest.mark.parametrize("hook", ["full", "pre"])
def test_a_modules_backward_hook_is_named_by_its_module(tmp_path, torch64, hook):
    loss, net = _net(hook, 3.0)
    torch = torch64
    tnet = torch.nn.Sequential()  # (the same layers in PyTorch, the same hook)
    tnet.fc1, tnet.fc2 = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)
    with torch.no_grad():
        for ours, theirs in ((net.fc1, tnet.fc1), (net.fc2, tnet.fc2)):
            theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
            theirs.bias.copy_(torch.tensor(ours.bias.numpy()))
    if hook == "full":
        tnet.fc2.register_full_backward_hook(lambda m, gi, go: tuple(g * 3 for g in gi))
    else:
        tnet.fc2.register_full_backward_pre_hook(lambda m, go: tuple(g * 3 for g in go))
    tnet.fc2(tnet.fc1(torch.tensor(_X)).relu()).sum().backward()
    for name in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
        np.testing.assert_allclose(net.get_parameter(name).grad.numpy(),
                                   tnet.get_parameter(name).grad.numpy(), rtol=1e-12)
    words = "(changed by a backward hook of fc2: Linear(3 -> 1), " + _OTHERS
    # a full hook changes what reaches fc2's inputs only; a pre-hook what reaches fc2 too
    changed = {"fc1.weight", "fc1.bias"} | ({"fc2.weight", "fc2.bias"} if hook == "pre"
                                            else set())
    for options in ({"model": net}, {}):  # (named in the model, or in the module called)
        nodes = _nodes(_svg(loss, tmp_path, f"{hook}-{len(options)}", mode="backward",
                            open_modules=True, **options))
        for name in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
            said = " ".join(nodes[name])
            assert (words in said) == (name in changed), (name, said)
            assert "a module's backward hook" not in said, said


@pytest.mark.parametrize("hook", ["full", "pre"])
def test_a_modules_look_only_backward_hook_is_named_nowhere(tmp_path, hook):
    loss, net = _net(hook, None, runs=2)
    once = _net(hook, None)[1].fc1.weight.grad.numpy()
    np.testing.assert_allclose(net.fc1.weight.grad.numpy(), 2 * once)  # (two runs, no change)
    for mode in ("backward", "forward"):
        text = _texts(_svg(loss, tmp_path, f"{hook}-{mode}", mode=mode, model=net,
                           open_modules=True))
        assert "hook" not in text and "(accumulated" in text, text


def _net_doubling_in_run(run: int):
    """_Net with a full backward hook on fc2 that doubles grad_input in its `run`-th run
    only and looks only in the others, in a fresh session: (loss, net)."""
    _hookless_session()
    tg.manual_seed(38)
    net = _Net()
    runs = []

    def hook(module, grad_input, grad_output):
        runs.append(1)
        return tuple(g * 2 for g in grad_input) if len(runs) == run else None
    net.fc2.register_full_backward_hook(hook)
    return net(tg.Tensor(_X, name="x")).sum(), net


@pytest.mark.parametrize("zeroing", ["zero_grad()", *_ZEROINGS])
def test_a_modules_hook_change_since_cleared_is_not_named(tmp_path, zeroing):
    loss, net = _net_doubling_in_run(1)  # (doubles in its first run only)
    loss.backward(retain_graph=True)
    said = " ".join(_nodes(_svg(loss, tmp_path, "first", mode="backward", model=net,
                                open_modules=True))["fc1.weight"])
    assert "a backward hook of fc2: Linear(3 -> 1)" in said, said
    if zeroing == "zero_grad()":
        net.zero_grad()  # (set_to_none: the doubled .grad goes)
    else:
        for p in net.parameters():
            _ZEROINGS[zeroing](p)
    loss.backward(retain_graph=True)
    loss.backward()
    said = " ".join(_nodes(_svg(loss, tmp_path, "later", mode="backward", model=net,
                                open_modules=True))["fc1.weight"])
    assert "hook" not in said and "(accumulated)" in said, said


def test_a_loss_modules_pre_hook_is_named_though_its_result_is_the_output(tmp_path):
    tg.manual_seed(38)
    layer, criterion = tg.nn.Linear(2, 2), tg.nn.MSELoss()
    criterion.register_full_backward_pre_hook(lambda m, go: tuple(g * 3 for g in go))
    x, target = tg.Tensor([[1.0, 2.0]], name="x"), tg.Tensor([[0.5, 0.5]], name="target")
    loss = criterion(layer(x), target)
    loss.backward()
    y = x.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
    delta = 3 * (y - target.numpy())  # (d mean((y - t)²) / dy = 2 (y - t) / 2, tripled)
    np.testing.assert_allclose(layer.weight.grad.numpy(), delta.T @ x.numpy())
    nodes = _nodes(_svg(loss, tmp_path, "loss-module", mode="backward", model=layer))
    for name in ("weight", "bias"):
        assert "(changed by a backward hook of MSELoss, " + _OTHERS in " ".join(nodes[name])

"""Where a hook changed a gradient, said on the diagram (thirty-seventh round), read from
the rendered SVG.

- A result with a `register_hook` hook drew the gradient before the hook and said nothing
  of it, while its inputs' `.grad` held what the hook sent on, with no cause. The hooked
  node now says so (`(its hook sent on [..])` since part G of this round: what it sent,
  tests/test_hook_sent_round37.py), and a `.grad` a hook on its way changed
  names it: `(changed by a hook on h, or from other backward() calls)`, in both views,
  folded and opened, and on the step page's caption where the page ran no hook.
- A box's input name was cut to a result line's width though a `.grad` line had already
  made the box wider: the width is measured with those lines.
- A step's caption named two ops of one name alike (`the sum of what linear and linear
  sent`): each is told apart as the picture shows it (`linear with w1`, `× 3`).

Numbers are checked against NumPy and against what the hook itself returned.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

from test_diagrams_round35 import _nodes, _widths
from test_graph_labels import needs_dot

pytestmark = needs_dot

_SENT_ON = "(its hook sent on "
_OTHERS = "or from other backward() calls)"


def _hooked(factor: float | None, retain: bool = False, runs: int = 1):
    """loss = sum(h * h), h = x * w, a hook on h scaling its gradient by `factor` (None: a
    hook that returns nothing): (loss, x, w, h, what the hook sent on each run)."""
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.Tensor([3.0, -1.0], requires_grad=True, name="w")
    h = x * w
    h.name = "h"
    sent: list[np.ndarray] = []

    def hook(g):
        sent.append(g.numpy() * (1 if factor is None else factor))
        return None if factor is None else g * factor
    h.register_hook(hook)
    if retain:
        h.retain_grad()
    loss = (h * h).sum()
    for k in range(runs):
        loss.backward(retain_graph=k < runs - 1)
    return loss, x, w, h, sent


def _drawn(loss, tmp_path, tag, **options) -> dict[str, list[str]]:
    return _nodes(tg.render_graph(tg.draw_graph(loss, **options), tmp_path / f"{tag}.svg"))


def _number_list(a: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:g}" for v in a) + "]"


def test_a_hooked_result_says_what_its_hook_sent_on(tmp_path):
    loss, x, w, h, sent = _hooked(10.0)
    hd = x.numpy() * w.numpy()
    plain = 2 * hd  # d loss / d h, before the hook (NumPy)
    np.testing.assert_allclose(sent[0], 10 * plain)
    np.testing.assert_allclose(x.grad.numpy(), sent[0] * w.numpy())  # what reached x
    for mode in ("backward", "forward"):
        nodes = _drawn(loss, tmp_path, mode, mode=mode)
        assert f"{_SENT_ON}{_number_list(sent[0])})" in nodes["h"], nodes["h"]
        for leaf, other in ((x, w), (w, x)):
            said = nodes[leaf.name]
            held = f".grad {_number_list(sent[0] * other.numpy())}"
            assert any(t.startswith(held) for t in said), said
            assert " ".join(said).count("(changed by a hook on h, or from other backward() "
                                        "calls") == 1, said
        if mode == "backward":  # the gradient before the hook, the one its edges carry
            assert f"grad {_number_list(plain)}" in nodes["h"], nodes["h"]
            assert f"grad {_number_list(plain * w.numpy())}" in nodes["x"], nodes["x"]
        else:  # this output's own gradient beside `.grad`
            assert f"(from this output alone: {_number_list(plain * w.numpy())})" \
                in nodes["x"], nodes["x"]
    assert not any(_SENT_ON in " ".join(lines) for name, lines in nodes.items() if name != "h")


def test_a_hook_that_changes_nothing_is_not_said_to(tmp_path):
    loss, x, w, h, sent = _hooked(None)
    np.testing.assert_allclose(x.grad.numpy(), sent[0] * w.numpy())
    for mode in ("backward", "forward"):
        nodes = _drawn(loss, tmp_path, mode, mode=mode)
        text = " ".join(line for lines in nodes.values() for line in lines)
        assert "hook" not in text and "backward() calls" not in text, nodes
        assert (".grad" in text) == (mode == "forward"), nodes  # (backward: none apart)


def test_a_retained_hooked_result_shows_what_flowed_on_as_its_grad(tmp_path):
    loss, x, w, h, sent = _hooked(3.0, retain=True, runs=2)
    np.testing.assert_allclose(h.grad.numpy(), sent[0] + sent[1])  # (what the hook returned)
    nodes = _drawn(loss, tmp_path, "retained", mode="backward")
    said = " ".join(nodes["h"])
    assert f".grad {_number_list(sent[0] + sent[1])} (changed by its hook, or from other " \
        "backward() calls)" in said, nodes["h"]
    assert "flows on" not in said  # (its `.grad` is what flowed on)
    assert "a hook on h" in " ".join(nodes["x"]), nodes["x"]


def _layers(hook: str):
    """Six Linear(8 -> 8) + ReLU calls from x; a hook halving layer 0's result's gradient
    (`result`), or a module's full backward pre-hook on layer 2 tripling it (`module`)."""
    tg.manual_seed(37)
    rng = np.random.default_rng(37)
    model = tg.nn.ModuleList([m for _ in range(6) for m in (tg.nn.Linear(8, 8),
                                                            tg.nn.ReLU())])
    if hook == "module":
        model[2].register_full_backward_pre_hook(lambda m, g: tuple(t * 3 for t in g))
    x = tg.Tensor(rng.normal(size=(6, 8)), name="x")
    y = first = model[0](x)
    if hook == "result":
        first.register_hook(lambda g: g * 0.5)
    for layer in list(model)[1:]:
        y = layer(y)
    loss = (y ** 2).mean()
    loss.backward()
    return loss, model


@pytest.mark.parametrize("hook, words", [("result", "a hook on 0: Linear(8 -> 8) result"),
                                         ("module", "a backward hook of 2: Linear(8 -> 8)")])
def test_a_hook_on_the_way_is_named_folded_and_opened(tmp_path, hook, words):
    loss, model = _layers(hook)
    for mode in ("backward", "forward"):
        box = _drawn(loss, tmp_path, f"box-{mode}", model=model, mode=mode)["0: Linear(8 -> 8)"]
        opened = _drawn(loss, tmp_path, f"open-{mode}", model=model, mode=mode,
                        open_modules=True)
        # (the box's: `its` would read as the module's)
        assert ("(a hook on its result sent on" in box) == (hook == "result"), box
        result = " ".join(opened["0: Linear(8 -> 8) result"])
        assert (_SENT_ON in result) == (hook == "result"), result
        if mode == "backward":  # a box's parameter lines: its cause on two lines, narrow
            start = box.index(f"(changed by {words},")
            assert box[start + 1] == _OTHERS, box
        for name in ("0.weight", "0.bias"):
            said = " ".join(opened[name])
            assert f"(changed by {words}, {_OTHERS}" in said, opened[name]


def test_a_step_page_says_what_a_hook_it_did_not_run_sent_on():
    loss, x, w, h, sent = _hooked(10.0)  # (a plain backward(): the page runs no hook)
    [step] = [c for c in tg.backward_steps(loss).captions if "gradient of h is" in c]
    assert f"{_SENT_ON}{_number_list(sent[0])}; this page does not run it again)" in step, step
    loss, h = _kept_graph(10.0)
    [step] = [c for c in tg.backward_steps(loss).captions if "gradient of h is" in c]
    # (the graph kept: the page runs the hook, as backward() does, and says what it sent)
    assert "sent on" not in step and f"complete: {_number_list(10 * 2 * h.numpy())}, not " \
        f"{_number_list(2 * h.numpy())} from mul: a hook changed it" in step, step


def _kept_graph(factor: float):
    """`_hooked`'s graph after `backward(retain_graph=True)`: (loss, h)."""
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.Tensor([3.0, -1.0], requires_grad=True, name="w")
    h = x * w
    h.name = "h"
    h.register_hook(lambda g: g * factor)
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    return loss, h


def test_two_hooks_on_the_way_each_tell_what_they_sent_on(tmp_path):
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    h = x * 3
    h.name = "h"
    sent = []
    h.register_hook(lambda g: sent.append(g * 10) or sent[-1])
    loss = (h * h).sum()
    loss.register_hook(lambda g: None)  # (a hook that looks only)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 10 * 2 * h.numpy() * 3)
    nodes = _drawn(loss, tmp_path, "two", mode="backward")
    # the hook that looks only changed nothing: not named (part L)
    assert "(changed by a hook on h, or from other backward() calls)" in \
        " ".join(nodes["x"]), nodes["x"]
    # each node tells what its own hook sent on (part G): the one that looks only, nothing
    assert f"{_SENT_ON}{_number_list(sent[0].numpy())})" in nodes["h"], nodes["h"]
    assert "hook" not in " ".join(nodes["output"]), nodes["output"]


def _box(tmp_path, tag: str, name: str, runs: int) -> tuple[float, list[str]]:
    """Layer 0's box, its input named `name`, after `runs` backward() calls of fresh data:
    (its width in points, its lines)."""
    rng = np.random.default_rng(36)
    tg.manual_seed(36)
    model = tg.nn.ModuleList([m for _ in range(6) for m in (tg.nn.Linear(8, 8),
                                                            tg.nn.ReLU())])
    for _ in range(runs):
        y = tg.Tensor(rng.normal(size=(6, 8)), name=name)
        for layer in model:
            y = layer(y)
        loss = (y ** 2).mean()
        loss.backward()
    path = tg.render_graph(tg.draw_graph(loss, model=model, mode="backward"),
                           tmp_path / f"{tag}.svg")
    return _widths(path)["0: Linear(8 -> 8)"], _nodes(path)["0: Linear(8 -> 8)"]


def test_a_boxs_input_name_is_cut_only_where_the_box_would_grow(tmp_path):
    plain, lines = _box(tmp_path, "x", "x", runs=2)
    assert any(t.startswith("0.bias .grad [") for t in lines), lines  # (the widest lines)
    name = "images_of_the_training_batch_number"  # (wider than a result line, not the box)
    width, lines = _box(tmp_path, "name", name, runs=2)
    assert f"(result grad)ᵀ @ {name}" in lines, lines  # (it read `images_of_the_trai...`)
    assert width <= plain * 1.01, (width, plain)
    longer = name + "_seventeen_and_more"  # wider than the box: cut as a title is
    width, lines = _box(tmp_path, "longer", longer, runs=2)
    [product] = [t for t in lines if t.startswith("(result grad)ᵀ @ ")]
    assert product.endswith("...") and longer.startswith(product[len("(result grad)ᵀ @ "):-3])
    assert len(product) > len(f"(result grad)ᵀ @ {name}"), product
    # (as many characters as the box's widest line: a name's letters are a little wider)
    assert width <= plain * 1.03, (width, plain)
    width, lines = _box(tmp_path, "once", name, runs=1)  # no `.grad` line: cut as before
    assert not any(name in t for t in lines) and any(t.endswith("...") for t in lines), lines


def test_a_caption_tells_two_ops_of_one_name_apart_as_the_picture_does():
    x = tg.Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    rng = np.random.default_rng(37)
    w1 = tg.Tensor(rng.normal(size=(4, 3)), requires_grad=True, name="w1")
    w2 = tg.Tensor(rng.normal(size=(4, 3)), requires_grad=True, name="w2")
    loss = tg.nn.functional.linear(x, w1).sum() * tg.nn.functional.linear(x, w2).sum()
    [step] = [c for c in tg.backward_steps(loss).captions if "gradient of x is" in c]
    assert "the sum of what linear with w2 and linear with w1 sent" in step, step
    tg.manual_seed(37)
    model = tg.nn.ModuleList([tg.nn.Linear(3, 4), tg.nn.Linear(3, 4)])
    loss = model[0](x).sum() + model[1](x).sum()
    [step] = [c for c in tg.backward_steps(loss, model=model).captions
              if "gradient of x is" in c]
    assert "the sum of what linear with 1.weight and linear with 0.weight sent" in step, step
    v = tg.Tensor([1.0, 2.0], requires_grad=True, name="v")
    loss = (v * 2 + v * 3).sum()  # two muls, titled `× 2` and `× 3` on their nodes
    [step] = [c for c in tg.backward_steps(loss).captions if "gradient of v is" in c]
    assert "= [3, 3] from × 3 + [2, 2] from × 2" in step, step
    loss.backward()
    np.testing.assert_allclose(v.grad.numpy(), [5.0, 5.0])


# --- A step's caption names ops by the titles their nodes write (thirty-seventh round, part I)
# Ops of one name were told apart only where every title differed: `(v * a) + (v * 2) +
# (v * 2).exp()` read `from mul + from mul + from mul` under nodes titled `mul`, `× 2`,
# `× 2`; and a title's no-break space (`sum over axis 1`) reached the caption as '\xa0'.

_SVG_NS = "{http://www.w3.org/2000/svg}"


def _svg_lines(g) -> list[str]:
    """A node's or an edge's lines as a reader reads them: its texts at one height run on,
    spaces as typed (a no-break space a space)."""
    rows: dict[str, str] = {}
    for t in g.iter(_SVG_NS + "text"):
        rows[t.get("y")] = rows.get(t.get("y"), "") + (t.text or "")
    return [" ".join(row.split()) for row in rows.values()]


def _sent_into(frame: str, name: str) -> list[tuple[str, str]]:
    """(the op's title, the gradient its edge writes after `=`) for each edge of an SVG
    frame that ends at the node titled `name`."""
    import xml.etree.ElementTree as ET
    groups = list(ET.fromstring(frame).iter(_SVG_NS + "g"))
    ids = {g.find(_SVG_NS + "title").text: _svg_lines(g) for g in groups
           if (g.get("class") or "").split()[:1] in (["node"], ["edge"])}  # (`node step`)
    [node] = [k for k, lines in ids.items() if "->" not in k and lines[0].split()[0] == name]
    return [(ids[k.split("->")[0]][0], " ".join(lines).rsplit("= ", 1)[-1])
            for k, lines in ids.items() if k.endswith("->" + node)]


def _terms(caption: str, name: str) -> list[tuple[str, str]]:
    """(the op, what it sent) for each `X from op` term of the caption saying `name`'s
    gradient is complete."""
    said = caption.split(f"the gradient of {name} is complete: ", 1)[1].split("; ")[0]
    return [tuple(reversed(term.split(" from ", 1)))
            for term in said.split(" = ", 1)[1].split(" + ")]


def test_a_caption_names_ops_of_one_name_by_the_titles_their_nodes_write():
    v = tg.Tensor([1.0, 2.0], requires_grad=True, name="v")
    a = tg.Tensor([1.0, 1.0], requires_grad=True, name="a")
    loss = (v * a).sum() + (v * 2).sum() + (v * 2).exp().sum()
    steps = tg.backward_steps(loss)
    caption, frame = steps.captions[-1], steps.frames[-1]
    assert "the gradient of v is complete" in caption, caption
    drawn = _sent_into(frame, "v")
    assert sorted(title for title, _ in drawn) == ["mul", "× 2", "× 2"], drawn
    # each term of the caption is an edge into v: its op's title and the gradient it wrote,
    # the two `× 2` told apart by the results they make (numbered since the 38th round)
    terms = _terms(caption, "v")
    assert sorted((op.split(" making ")[0], sent) for op, sent in terms) == sorted(drawn), \
        (caption, drawn)
    assert len({op for op, _ in terms}) == 3, terms
    loss.backward()
    vd = np.array([1.0, 2.0])
    np.testing.assert_allclose(v.grad.numpy(), 1.0 + 2.0 + 2.0 * np.exp(2.0 * vd))


def test_a_caption_says_a_reductions_axis_with_a_plain_space():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    loss = x.sum(0).sum() + (x.sum(1) * 2).sum()
    steps = tg.backward_steps(loss)
    caption = steps.captions[-1]
    assert "\xa0" not in caption, repr(caption)
    terms = _terms(caption, "x")
    assert sorted(op for op, _ in terms) == ["sum over axis 0", "sum over axis 1"], caption
    assert sorted(terms) == sorted(_sent_into(steps.frames[-1], "x")), caption
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 1.0 + 2.0))


# ---------------------------------------------------------------------------------------
# Part L: a hook is a cause only where it sent on other numbers than it got. A look-only
# hook on `error` turned a frozen parameter's `(its frozen entries zeroed)` into `(changed
# by a hook on error, ...)`, and a leaf's own hook was named with a look-only one on h; a
# chain fold's hook was `a hook on a tensor in (empty)`; two long names made a cause line
# of 127 characters in a box whose other lines were at most 70.

def _svg_nodes(path) -> dict[str, list[str]]:
    """The rendered SVG's nodes by their first line: their lines as a reader reads them."""
    import xml.etree.ElementTree as ET
    found = {}
    for g in ET.parse(path).getroot().iter(_SVG_NS + "g"):
        if g.get("class") == "node" and (lines := _svg_lines(g)):
            found[lines[0]] = lines
    return found


def _frozen_error(hook):
    """tutorial 3's step: weights frozen at entry 0, `hook` (None: none) on error."""
    weights = tg.nn.Parameter([0.1, 0.2, -0.1])
    weights.freeze_(0)
    data = tg.Tensor([8.5, 0.65, 1.2], name="input")
    error = (data * weights).sum() - 1.0
    error.name = "error"
    if hook is not None:
        error.register_hook(hook)
    loss = 0.5 * error ** 2
    loss.backward()
    return loss, weights, data, error


@pytest.mark.parametrize("hook, factor", [(None, 1), (lambda g: None, 1),
                                          (lambda g: g.clamp(-1, 1), 1), (lambda g: g * 2, 2)],
                         ids=["none", "look", "equal", "double"])
def test_a_hook_beside_freeze_is_a_cause_only_where_it_changed_numbers(tmp_path, hook, factor):
    loss, weights, data, error = _frozen_error(hook)
    e = float(np.dot([8.5, 0.65, 1.2], [0.1, 0.2, -0.1]) - 1.0)
    assert abs(e) < 1  # (so that clamp(-1, 1) returns the numbers it got)
    np.testing.assert_allclose(weights.grad.numpy(), factor * e * np.array([0, 0.65, 1.2]))
    for mode in ("backward", "forward"):
        nodes = _drawn(loss, tmp_path, mode, mode=mode)
        said = " ".join(nodes["parameter"])
        if factor == 1:  # (the mask tells `.grad`: no hook named, none said to have sent)
            assert "(its frozen entries zeroed" in said and "hook" not in said, said
            assert "hook" not in " ".join(nodes["error"]), nodes["error"]
        else:
            assert "(changed by a hook on error, " in said, said


@pytest.mark.parametrize("returned", ["none", "same"])
def test_look_only_hooks_name_no_cause_over_two_backward_calls(tmp_path, returned):
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.Tensor([3.0, -1.0], requires_grad=True, name="w")
    look = (lambda g: None) if returned == "none" else (lambda g: g * 1.0)
    w.register_hook(look)  # a leaf's own hook and a result's, both look only
    h = x * w
    h.name = "h"
    h.register_hook(look)
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    hd = np.array([1.0, 2.0]) * np.array([3.0, -1.0])
    np.testing.assert_allclose(w.grad.numpy(), 2 * 2 * hd * np.array([1.0, 2.0]))
    for mode in ("backward", "forward"):
        nodes = _drawn(loss, tmp_path, mode, mode=mode)
        text = " ".join(line for lines in nodes.values() for line in lines)
        assert "hook" not in text and "backward() calls" not in text, nodes
        if mode == "backward":
            assert f".grad {_number_list(w.grad.numpy())} (accumulated)" in nodes["w"], nodes
    loss = (x * 3).sum()  # a hook that changed numbers in an earlier pass only: still named
    runs = []
    x.register_hook(lambda g: runs.append(1) or (g * 5 if len(runs) == 1 else None))
    x.grad = None
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 18.0])
    said = " ".join(_drawn(loss, tmp_path, "earlier", mode="backward")["x"])
    assert "(changed by its hook, or from other backward() calls)" in said, said


def test_only_the_hooks_that_changed_numbers_are_named(tmp_path):
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.Tensor([3.0, -1.0], requires_grad=True, name="w")
    w.register_hook(lambda g: g * 2)  # the leaf's own hook changes its gradient
    h = x * w
    h.name = "h"
    h.register_hook(lambda g: None)  # h's looks only
    loss = (h * h).sum()
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * 2 * np.array([3.0, -2.0]) * [1.0, 2.0])
    for mode in ("backward", "forward"):
        nodes = _drawn(loss, tmp_path, mode, mode=mode)
        assert "(changed by its hook, or from other backward() calls)" in " ".join(nodes["w"])
        assert "hook" not in " ".join(nodes["x"] + nodes["h"]), (nodes["x"], nodes["h"])


def test_a_hook_inside_a_chain_fold_is_named_by_words_the_picture_shows(tmp_path):
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    y, mids = x, []
    for k in range(24):
        y = (y * 1.01).tanh() if k % 2 else y + 0.1
        mids.append(y)
    mids[12].register_hook(lambda g: g * 10)
    loss = y.sum()
    loss.backward()
    path = tg.render_graph(tg.draw_graph(loss, mode="backward"), tmp_path / "chain.svg")
    nodes = _svg_nodes(path)
    [fold] = [title for title in nodes if "nodes folded" in title]
    said = " ".join(nodes["x (2,)"])
    assert "(changed by a hook on a tensor in the folded nodes, or from other backward() " \
        "calls)" in said, said
    assert "(empty)" not in " ".join(line for lines in nodes.values() for line in lines)


_LONG = ("activations_after_the_first_linear_layer_scaled",
         "activations_after_the_first_linear_layer_scaled_again")


def _two_long_hooks(model=None):
    """Two hooked results of long names sharing a start, after layer 0 of `model` (or a
    leaf w's product): (loss, the model)."""
    tg.manual_seed(1)
    x = tg.Tensor(np.random.default_rng(0).normal(size=(6, 8)), name="x")
    w = tg.Tensor(np.random.default_rng(1).normal(size=(8,)), requires_grad=True, name="w")
    y = model[0](x) if model is not None else x * w
    for name, factor in zip(_LONG, (2.0, 3.0)):
        y = y * 1.0
        y.name = name
        y.register_hook(lambda g, factor=factor: g * factor)
    for layer in list(model or [])[1:]:
        y = layer(y)
    loss = (y ** 2).mean()
    loss.backward()
    return loss


def _cause_of(lines: list[str]) -> list[list[str]]:
    """Each `(changed by ...)` cause of a node's lines: its lines."""
    causes, open_ = [], None
    for line in lines:
        if "(changed by" in line:
            open_ = [line[line.index("(changed by"):]]
            causes.append(open_)
        elif open_ is not None:
            open_.append(line)
        if open_ is not None and line.endswith(")"):
            open_ = None
    return causes


def test_a_cause_naming_two_long_names_is_no_wider_than_its_box(tmp_path):
    tg.manual_seed(1)
    model = tg.nn.ModuleList([m for _ in range(3) for m in (tg.nn.Linear(8, 8), tg.nn.ReLU())])
    loss = _two_long_hooks(model)
    path = tg.render_graph(tg.draw_graph(loss, model=model, mode="backward"),
                           tmp_path / "box.svg")
    box = _svg_nodes(path)["0: Linear(8 -> 8)"]
    causes = _cause_of(box)
    assert len(causes) == 2, box  # (0.weight's and 0.bias's)
    cause_lines = {line for cause in causes for line in cause}
    widest = max(len(line) for line in box if line not in cause_lines)
    for cause in causes:
        assert all(len(line) <= widest for line in cause), (widest, cause)
        said = " ".join(cause)
        # both hooks named, each by as much of its name as tells the two apart
        named = said.split("hooks on ", 1)[1].split(", or from")[0].split(" and ")
        assert len(named) == 2 and named[0] != named[1], said
        for shown, name in zip(named, _LONG):
            assert shown == name or shown.endswith("...") and name.startswith(shown[:-3]), said


def test_a_nodes_cause_naming_two_long_names_is_at_most_80_characters(tmp_path):
    loss = _two_long_hooks()
    for mode in ("backward", "forward"):
        path = tg.render_graph(tg.draw_graph(loss, mode=mode), tmp_path / f"{mode}.svg")
        said = _svg_nodes(path)["w (8,)"]
        [cause] = _cause_of(said)
        assert " ".join(cause).startswith("(changed by hooks on "), said
        assert all(len(line) <= 80 for line in cause), cause

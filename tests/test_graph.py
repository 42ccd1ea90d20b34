"""Tests of tinygrad_gd.graph: DOT structure, labels with the documents' numbers, the
backward view's chain-rule factors, determinism, escaping, folding, NaN marking, rendering."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.graph import RenderError, draw_anomaly, draw_graph, render_graph
from tinygrad_gd.engine import toposort
from tinygrad_gd.scope import scope

# the graphs below compute log(-1) and sqrt(0)'s gradient on purpose
quiet_numpy = pytest.mark.filterwarnings("ignore:(invalid value|divide by zero):RuntimeWarning")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


# ---------------------------------------------------------------------------------------
# Reading the DOT text back: {id: (label text, attrs)} and [(source, target, label text)]


def _take_label(text: str) -> tuple[str | None, str]:
    """The HTML label of an attribute list, as plain text (lines joined by newlines)."""
    start = text.find("label=<")
    if start < 0:
        return None, text
    depth, k = 0, start + len("label=")
    for k in range(start + len("label="), len(text)):
        depth += {"<": 1, ">": -1}.get(text[k], 0)
        if depth == 0:
            break
    inner = text[start + len("label=<"):k]
    inner = re.sub(r"<BR[^>]*>", "\n", inner).replace("</TD>", " ").replace("</TR>", "\n")
    plain = html.unescape(re.sub(r"<[^>]*>", "", inner)).replace("\xa0", " ")  # (no-break: a space)
    plain = "\n".join(re.sub(r" +", " ", ln).strip() for ln in plain.split("\n") if ln.strip())
    plain = plain.replace("\\\\", "\\")  # Graphviz reads a doubled backslash as one
    return plain, text[:start] + text[k + 1:]


def parse(source: str) -> tuple[dict[str, tuple[str, dict[str, str]]], list[tuple]]:
    nodes, edges = {}, []
    for line in source.splitlines():
        line = line.strip()
        edge = re.match(r"^(\w+) -> (\w+)(?: \[(.*)\])?$", line)
        if edge:
            label, _ = _take_label(edge[3] or "")
            edges.append((edge[1], edge[2], label))
            continue
        node = re.match(r"^(\w+) \[(.*)\]$", line)
        if node and node[1] not in ("node", "edge", "graph") and not re.fullmatch(
                r"heading\d+", node[1]):  # (a module call's frame's title: text, no node)
            label, rest = _take_label(node[2])
            attrs = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', rest))
            nodes[node[1]] = (label, {k: v.strip('"') for k, v in attrs.items()})
    return nodes, edges


def by_first_line(nodes: dict) -> dict[str, str]:
    """First label line, less its shape and dtype, -> node id (unique in the small graphs)."""
    return {re.sub(r" \([\d, ]*\)( \w+)?$| float32$", "", label.split("\n")[0]): node
            for node, (label, _) in nodes.items() if not node.startswith("legend_")}


def graph_label(source: str) -> str:
    """The notes under the graph, their wrapped lines joined again by spaces."""
    line = [ln for ln in source.splitlines() if ln.strip().startswith("fontname")][-1]
    return _take_label(line)[0].replace("\n", " ")


# ---------------------------------------------------------------------------------------
# The documents' networks, built through the framework


def grokking(backward: bool = True):
    """Grokking ch. 5, multi-input: weights [0.1, 0.2, -0.1], input [8.5, 0.65, 1.2], true 1."""
    x = tg.Tensor([8.5, 0.65, 1.2], name="input")
    w = tg.Tensor([0.1, 0.2, -0.1], requires_grad=True, name="weights")
    pred = x @ w
    pred.name = "pred"
    delta = pred - 1.0
    delta.name = "delta"
    loss = 0.5 * delta ** 2  # its derivative with respect to pred is the book's delta
    loss.name = "loss"
    if backward:
        loss.backward()
    return x, w, pred, delta, loss


def slides():
    """The course slides: weight 2, input 3, target 10, loss (pred - target)**2."""
    w = tg.Tensor(2.0, requires_grad=True, name="weight")
    x = tg.Tensor(3.0, name="input")
    pred = w * x
    pred.name = "pred"
    error = pred - 10.0
    error.name = "error"
    loss = error ** 2
    loss.name = "loss"
    return w, x, pred, error, loss


def test_grokking_forward_graph_has_the_nodes_edges_and_the_books_numbers():
    x, w, pred, delta, loss = grokking()
    nodes, edges = parse(draw_graph(loss, constants=True).source)
    ops = [n for n in nodes if n.startswith("f")]
    tensors = [n for n in nodes if n.startswith("t")]
    # x, w, pred, 1, delta, 2, delta**2, 0.5, loss; matmul, sub, pow, mul
    assert len(tensors) == 9 and len(ops) == 4
    assert sorted(nodes[o][0] for o in ops) == ["matmul", "mul", "pow", "sub"]
    assert len(edges) == 12  # two inputs and one result per op
    names = by_first_line(nodes)
    assert "data 0.86" in nodes[names["pred"]][0].split("\n")
    assert "data -0.14" in nodes[names["delta"]][0].split("\n")
    assert ".grad [-1.19, -0.091, -0.168]" in nodes[names["weights"]][0].split("\n")
    assert np.allclose(w.grad.data, [-1.19, -0.091, -0.168])  # the autograd numbers shown
    assert nodes[names["weights"]][0].split("\n")[0] == "weights (3,)"  # float64: not said
    assert "scalar" not in draw_graph(loss).source
    # by default the constants 1, 2 and 0.5 are in their ops' labels, not nodes of their own
    folded, _ = parse(draw_graph(loss).source)
    assert sorted(lab for n, (lab, _) in folded.items() if n.startswith("f")) == \
        ["- 1", "0.5 ×", "matmul", "** 2"][:0] + sorted(["- 1", "0.5 ×", "matmul", "** 2"])
    assert len([n for n in folded if n.startswith("t")]) == 6
    # data flows input -> matmul -> pred
    assert (names["input"], "f" + names["pred"][1:], None) in edges
    assert ("f" + names["pred"][1:], names["pred"], None) in edges


def test_grokking_backward_view_shows_delta_times_input_as_weight_deltas():
    x, w, pred, delta, loss = grokking(backward=False)
    nodes, edges = parse(draw_graph(loss, mode="backward").source)
    names = by_first_line(nodes)
    assert "grad -0.14" in nodes[names["pred"]][0].split("\n")  # the book's delta
    matmul = "f" + names["pred"][1:]
    carried = {(s, t): lab for s, t, lab in edges}
    assert carried[(matmul, names["weights"])] == \
        "-0.14 × [8.5, 0.65, 1.2] = [-1.19, -0.091, -0.168]"
    # the local derivative as the book says it: the input, with its numbers
    assert "∂/∂weights = input = [8.5, 0.65, 1.2]" in nodes[matmul][0]
    assert carried[(names["pred"], matmul)] == "-0.14"
    assert w.grad is None  # drawing computed the gradients without touching .grad
    loss.backward()  # and left the graph intact for the real backward
    assert np.allclose(w.grad.data, [-1.19, -0.091, -0.168])


def test_slides_backward_view_holds_the_chain_rule_factors():
    w, x, pred, error, loss = slides()
    loss.backward(retain_graph=True)
    assert w.grad.item() == -24.0  # 2 x (-4) x 3, as on the slide
    nodes, edges = parse(draw_graph(loss, mode="backward").source)
    names = by_first_line(nodes)
    carried = {(s, t): lab for s, t, lab in edges}
    pow_op, sub_op, mul_op = ("f" + names[n][1:] for n in ("loss", "error", "pred"))
    # loss -> pow -> error -> sub -> pred -> mul -> weight, each edge with its gradient
    assert carried[(names["loss"], pow_op)] == "1"
    assert carried[(pow_op, names["error"])] == "1 × 2 × (-4) = -8"  # 2 * error, the slide's
    assert carried[(names["error"], sub_op)] == "-8"
    assert carried[(sub_op, names["pred"])] == "-8 × 1 = -8"
    assert carried[(names["pred"], mul_op)] == "-8"
    assert carried[(mul_op, names["weight"])] == "-8 × 3 = -24"  # x 3, the input's value
    assert "∂/∂error = 2 × error = 2 × (-4)" in nodes[pow_op][0]  # c × x^(c-1), c = 2
    assert "∂/∂weight = input = 3" in nodes[mul_op][0]  # the node feeding the weight
    assert "∂/∂pred = 1" in nodes[sub_op][0]
    assert "grad -24" in nodes[names["weight"]][0].split("\n")
    assert "data -4" in nodes[names["error"]][0].split("\n")
    # no gradient flows into the data: that edge is drawn dashed and unlabelled
    assert carried[(mul_op, names["input"])] is None


def test_slides_two_inputs_backward_view_shows_gradient_30_40():
    weights = tg.Tensor([1.0, 2.0], requires_grad=True, name="weights")
    input_data = tg.Tensor([3.0, 4.0], name="input_data")
    preds = (weights * input_data).sum()
    error = preds - 6.0
    error.name = "error"
    loss = error ** 2
    nodes, edges = parse(draw_graph(loss, mode="backward").source)
    names = by_first_line(nodes)
    carried = {(s, t): lab for s, t, lab in edges}
    mul_op = next(n for n, (lab, _) in nodes.items() if lab.startswith("mul"))
    # the sum copies 10 to both entries; the mul multiplies by the inputs
    assert carried[(mul_op, names["weights"])] == "[10, 10] × [3, 4] = [30, 40]"
    assert "data 5" in nodes[names["error"]][0].split("\n")


def test_the_same_computation_gives_byte_identical_dot():
    first = draw_graph(grokking()[-1], mode="backward", legend=True).source
    second = draw_graph(grokking()[-1], mode="backward", legend=True).source
    assert first == second
    assert "0x" not in first  # no memory address leaks into ids or labels
    w, x, pred, error, loss = slides()
    assert draw_graph(loss).source == draw_graph(loss).source


def test_node_kinds_each_look_different_and_the_legend_names_them():
    frozen = tg.Tensor([0.5, 0.5], name="frozen")  # named in params, needs no gradient

    class Param(tg.Tensor):
        frozen_mask = None

    partly = Param([1.0, 2.0], requires_grad=True)
    partly.frozen_mask = np.array([True, False])
    w = tg.Tensor([1.0, -1.0], requires_grad=True)
    x = tg.Tensor([2.0, 3.0])
    loss = ((x * w + frozen) * partly).sum() * 2.0
    nodes, _ = parse(draw_graph(loss, params={"w": w, "frozen": frozen, "part": partly},
                                legend=True, constants=True).source)
    names = by_first_line(nodes)
    looks = {}
    for key, node in (("input", names["input"]), ("parameter", names["w"]),
                      ("frozen", names["frozen"]), ("partly", names["part"]),
                      ("intermediate", names["mul result #1"]), ("output", names["output"]),
                      ("op", "f" + names["output"][1:]), ("constant", names["constant"])):
        attrs = nodes[node][1]
        looks[key] = (attrs.get("shape"), attrs.get("style"), attrs.get("fillcolor"),
                      attrs.get("peripheries"))
    assert len(set(looks.values())) == len(looks)
    assert "frozen" in nodes[names["frozen"]][0].split("\n")
    assert "frozen: [0] of 2" in nodes[names["part"]][0].split("\n")
    legend = nodes["legend"][0]  # one table of the kinds, in reading order
    entries = [ln.strip() for ln in legend.split("\n")[1:]]
    drawn = ("input", "constant", "parameter", "frozen", "partly_frozen", "intermediate",
             "output", "op")  # (no buffer, module box, NaN or highlight: not in the key)
    assert " ".join(entries) == " ".join(
        text for kind, text in tg.graph.labels._LEGEND if kind in drawn)
    assert "frozen parameter" in legend and "buffer" not in legend


def test_names_come_from_params_then_the_tensor_then_the_role():
    w = tg.Tensor([1.0], requires_grad=True, name="own name")
    b = tg.Tensor([0.0], requires_grad=True)

    class Model:
        def named_parameters(self):
            return iter([("layer.weight", w), ("layer.bias", b)])

    loss = (w * 3.0 + b).sum()
    first_lines = set(by_first_line(parse(draw_graph(loss, model=Model(),
                                                     constants=True).source)[0]))
    assert {"layer.weight", "layer.bias", "output", "mul result", "constant"} <= first_lines
    first_lines = set(by_first_line(parse(draw_graph(loss).source)[0]))
    assert {"own name", "parameter"} <= first_lines
    first_lines = set(by_first_line(parse(draw_graph(loss, params={"W": w}).source)[0]))
    assert "W" in first_lines and "own name" not in first_lines


def test_options_change_the_drawing():
    x, w, pred, delta, loss = grokking()
    plain = parse(draw_graph(loss, show_data=False, show_grad=False).source)[0]
    assert not any(ln.startswith(("data", "grad")) for lab, _ in plain.values()
                   for ln in lab.split("\n"))
    assert "rankdir=TB" in draw_graph(loss).source  # top to bottom by default
    assert "rankdir=LR" in draw_graph(loss, direction="LR").source
    big = tg.Tensor(np.arange(100.0), requires_grad=True)
    nodes = parse(draw_graph((big * 2.0).sum(), mode="backward").source)[0]
    assert "parameter (100,)" in nodes["t0"][0].split("\n")
    assert "data [0, 1, 2, …] min 0 max 99" in nodes["t0"][0].split("\n")
    assert "grad all 2 (100,)" in nodes["t0"][0].split("\n")  # every entry the same
    single = tg.Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    nodes = parse(draw_graph(single.sum()).source)[0]
    assert "parameter (2,) float32" in nodes["t0"][0].split("\n")


def test_highlight_marks_a_tensor_or_an_op_and_rejects_strangers():
    x, w, pred, delta, loss = grokking()
    nodes = parse(draw_graph(loss, highlight=[pred, delta.grad_fn]).source)[0]
    names = by_first_line(nodes)
    assert nodes[names["pred"]][1]["penwidth"] == "4"
    assert nodes["f" + names["delta"][1:]][1]["penwidth"] == "4"
    assert "penwidth" not in nodes[names["weights"]][1]
    with pytest.raises(ValueError, match=r"highlight \(a Tensor of shape \(\)\) is not part"):
        draw_graph(loss, highlight=tg.Tensor(1.0))


@pytest.mark.parametrize("call, message", [
    (lambda loss: draw_graph([1, 2]), "draw_graph: output must be a Tensor"),
    (lambda loss: draw_graph(loss, direction="up"), "direction must be one of"),
    (lambda loss: draw_graph(loss, mode="sideways"), "mode must be 'forward' or 'backward'"),
    (lambda loss: draw_graph(loss, max_nodes=1), "max_nodes must be None"),
    (lambda loss: draw_graph(loss, params=[1]), "params must be a dict"),
    (lambda loss: draw_graph(loss, params={"w": [1.0]}), r"params\['w'\] is a list"),
    (lambda loss: render_graph(loss, "x", format="bmpx"), "unknown format 'bmpx'"),
    (lambda loss: render_graph(3, "x"), "expected a Tensor or a graphviz.Digraph"),
])
def test_bad_arguments_get_clear_errors(call, message):
    loss = grokking()[-1]
    with pytest.raises((TypeError, ValueError), match=message):
        call(loss)


# ---------------------------------------------------------------------------------------
# Escaping

HOSTILE = ['say "hi"', "<b>bold</b>", "{a|b}", "back\\slash\\", "two\nlines",
           '"]; evil -> pwned [label="x', "&amp; &lt;", "tab\there", "nul\x00byte",
           "é ∂ 😀", ">", "<", "]", "\\N\\G", "'quote'"]


def hostile_graph(names):
    tensors = [tg.Tensor([float(i)], requires_grad=True, name=n) for i, n in enumerate(names)]
    total = tensors[0]
    for t in tensors[1:]:
        total = total + t
    total.name = names[-1]
    return total


def visible(name: str) -> list[str]:
    """What a name reads as in the picture: control characters spelt out, one line each."""
    spelt = "".join(f"\\x{ord(c):02x}" if ord(c) < 32 and c not in "\n\t" else c
                    for c in name.replace("\t", " "))
    return spelt.split("\n")


def test_hostile_names_are_escaped_and_cannot_change_the_graph():
    out = hostile_graph(HOSTILE)
    plain = hostile_graph([f"n{i}" for i in range(len(HOSTILE))])
    source = draw_graph(out).source
    nodes, edges = parse(source)
    plain_nodes, plain_edges = parse(draw_graph(plain).source)
    assert len(nodes) == len(plain_nodes) and len(edges) == len(plain_edges)
    assert "pwned" not in {s for s, _, _ in edges} | {t for _, t, _ in edges}
    first_lines = list(by_first_line(nodes))
    for name in HOSTILE[:-1]:
        assert visible(name)[0] in first_lines
    assert "\x00" not in source


def test_hostile_parameter_and_module_names_are_escaped_too():
    x = tg.Tensor([1.0, 2.0])
    w = tg.Tensor([3.0, 4.0], requires_grad=True)
    source = draw_graph((x * w).sum(), params={'w"><B>x</B>': w}).source
    nodes = parse(source)[0]
    assert 'w"><B>x</B>' in by_first_line(nodes)


@needs_dot
def test_hostile_names_parse_with_dot_and_show_literally_in_the_svg():
    source = draw_graph(hostile_graph(HOSTILE), mode="backward", legend=True).source
    svg = graphviz.Source(source).pipe(format="svg")  # raises if dot rejects the source
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    joined = "\n".join(texts)
    for name in HOSTILE:
        for line in visible(name):
            assert line.strip() in joined, line
    assert not any(t.attrib.get("id", "").startswith("pwned")
                   for t in ET.fromstring(svg).iter())


# ---------------------------------------------------------------------------------------
# Folding big graphs


class Linear:
    """Enough of a Module for the renderer: a forward run inside `scope(self)`."""

    def __init__(self, n_in: int, n_out: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.weight = tg.Tensor(rng.normal(size=(n_in, n_out)), requires_grad=True)
        self.bias = tg.Tensor(np.zeros(n_out), requires_grad=True)

    def __call__(self, x):
        with scope(self):
            return (x @ self.weight + self.bias).tanh()

    def named_parameters(self):
        return [("weight", self.weight), ("bias", self.bias)]

    def named_modules(self):
        return [("", self)]


class Block:
    def __init__(self, seed: int) -> None:
        self.fc1, self.fc2 = Linear(3, 3, seed), Linear(3, 3, seed + 1)

    def __call__(self, x):
        with scope(self):
            return self.fc2(self.fc1(x)) * 0.5


class Model:
    def __init__(self, blocks: int) -> None:
        self.blocks = [Block(2 * i) for i in range(blocks)]

    def __call__(self, x):
        for block in self.blocks:
            x = block(x)
        return x.sum()

    def named_modules(self):
        yield "", self
        for i, block in enumerate(self.blocks):
            yield f"blocks.{i}", block
            yield f"blocks.{i}.fc1", block.fc1
            yield f"blocks.{i}.fc2", block.fc2

    def named_parameters(self):
        for name, module in self.named_modules():
            if isinstance(module, Linear):
                yield f"{name}.weight", module.weight
                yield f"{name}.bias", module.bias


def folded_count(source: str) -> tuple[int, int]:
    match = re.search(r"(\d+) of (\d+) nodes folded", graph_label(source))
    return int(match[1]), int(match[2])


def test_module_calls_fold_innermost_first_and_state_the_count():
    model = Model(blocks=4)
    loss = model(tg.Tensor(np.ones((2, 3)), name="x"))
    full_nodes, _ = parse(draw_graph(loss, max_nodes=None, constants=True,
                                     open_modules=True).source)
    total = len(full_nodes)
    assert "nodes folded" not in draw_graph(loss, max_nodes=None, open_modules=True).source
    # by default a large graph built by modules draws one box per module call
    assert "one box per module call" in graph_label(draw_graph(loss, max_nodes=None).source)

    source = draw_graph(loss, model=model, max_nodes=40, constants=True,
                        open_modules=True).source  # Linear calls fold
    nodes, edges = parse(source)
    assert len(nodes) <= 40
    boxes = {n: lab for n, (lab, _) in nodes.items() if n.startswith("m")}
    assert len(boxes) == 8
    assert "blocks.2.fc1: Linear" in {lab.split("\n")[0] for lab in boxes.values()}
    inside = [int(re.search(r"module call: (\d+) nodes", lab)[1]) for lab in boxes.values()]
    folded, all_nodes = folded_count(source)
    assert all_nodes == total and folded == sum(inside)
    assert len(nodes) - len(boxes) + folded == total
    # each box lists its parameters; the input x stays a node of its own
    assert any("params: blocks.0.fc1.weight, blocks.0.fc1.bias" in lab
               for lab in boxes.values())
    assert "x" in by_first_line(nodes)

    source = draw_graph(loss, model=model, max_nodes=12, open_modules=True).source
    nodes, _ = parse(source)
    titles = {lab.split("\n")[0] for n, (lab, _) in nodes.items() if n.startswith("m")}
    assert titles == {f"blocks.{i}: Block" for i in range(4)}
    assert len(nodes) <= 12


def test_module_names_fall_back_to_class_names():
    model = Model(blocks=2)
    loss = model(tg.Tensor(np.ones((1, 3))))
    nodes, _ = parse(draw_graph(loss, max_nodes=30, constants=True).source)
    titles = {lab.split("\n")[0] for n, (lab, _) in nodes.items() if n.startswith("m")}
    assert titles == {"Block/Linear"}


def test_a_10000_op_chain_builds_its_dot_without_recursion():
    # deeper than Python's recursion limit: a recursive walk would fail here
    x = tg.Tensor(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    full = draw_graph(y, max_nodes=None, constants=True).source
    nodes, edges = parse(full)
    assert len(nodes) == 30_001 and len(edges) == 30_000  # x, 10,000 constants, results, ops
    assert len(parse(draw_graph(y, max_nodes=None).source)[0]) == 20_001  # constants folded

    # by default the middle of the chain folds into one box that says what it holds; x,
    # the output and their neighbours stay drawn, with their gradients
    source = draw_graph(y, mode="backward", constants=True).source
    nodes, _ = parse(source)
    assert len(nodes) <= 30
    chain = [lab for n, (lab, _) in nodes.items() if n.startswith("zc")]
    assert len(chain) == 1 and "ops: 99" in chain[0] and " × mul" in chain[0]
    assert "grad 1" in nodes["t20000"][0].split("\n")
    assert nodes["t0"][0].split("\n")[0] == "x" and "grad" in nodes["t0"][0]
    # max_nodes smaller still: the nodes farthest from the output fold as well
    source = draw_graph(y, mode="backward", constants=True, max_nodes=10).source
    nodes, _ = parse(source)
    assert len(nodes) == 10
    folded, total = folded_count(source)
    assert total == 30_001 and "more nodes folded" in nodes["rest"][0]
    assert "grad 1" in nodes["t20000"][0].split("\n")


# ---------------------------------------------------------------------------------------
# NaN and Inf


@quiet_numpy
def test_nan_and_inf_are_marked_on_values_and_gradients():
    x = tg.Tensor([1.0, -1.0], requires_grad=True, name="x")
    logs = x.log()
    logs.name = "logs"
    nodes, _ = parse(draw_graph(logs.sum()).source)
    names = by_first_line(nodes)
    assert "NaN in data" in nodes[names["logs"]][0]
    assert nodes[names["logs"]][1]["color"] == "#e03131"
    assert "NaN" not in nodes[names["x"]][0] and "color" not in nodes[names["x"]][1]

    z = tg.Tensor([0.0, 1.0], requires_grad=True, name="z")
    z.sqrt().sum().backward()
    nodes, _ = parse(draw_graph(z.sqrt().sum()).source)
    assert "Inf in grad" in nodes[by_first_line(nodes)["z"]][0]


@quiet_numpy
def test_draw_anomaly_highlights_the_op_that_made_the_first_nan():
    x = tg.Tensor([1.0, -1.0], requires_grad=True, name="x")
    loss = (x.log() * 2.0).sum()
    nodes, _ = parse(draw_anomaly(loss).source)
    marked = [lab for lab, attrs in nodes.values() if attrs.get("penwidth") == "4"]
    assert marked == ["log"]

    z = tg.Tensor([0.0, 1.0], requires_grad=True, name="z")
    nodes, edges = parse(draw_anomaly(z.sqrt().sum()).source)  # finite values, Inf gradient
    marked = [lab.split("\n")[0] for lab, attrs in nodes.values() if attrs.get("penwidth") == "4"]
    assert marked == ["sqrt"]
    assert any(lab and "inf" in lab for _, _, lab in edges)  # the backward view is drawn

    with pytest.raises(ValueError, match="no NaN or Inf"):
        draw_anomaly(grokking()[-1])


@quiet_numpy
def test_draw_anomaly_from_an_error_carrying_the_node_draws_it_on_its_inputs():
    x = tg.Tensor([1.0, -1.0], requires_grad=True, name="x")
    scaled = x * 2.0
    scaled.name = "scaled"
    culprit = scaled.log()  # stands for the op detect_anomaly stopped
    error = tg.AnomalyError("detect_anomaly: forward of op 'log' produced NaN")
    error.node, error.inputs = culprit.grad_fn, (scaled,)
    nodes, edges = parse(draw_anomaly(error).source)
    assert nodes["culprit"][0].startswith("log\n")
    assert nodes["culprit"][1]["penwidth"] == "4"
    assert (by_first_line(nodes)["scaled"], "culprit", None) in edges
    # with the output at hand, the op is highlighted inside its graph
    nodes, _ = parse(draw_anomaly(error, output=culprit.sum()).source)
    assert [lab for lab, a in nodes.values() if a.get("penwidth") == "4"] == ["log"]


@quiet_numpy
def test_draw_anomaly_with_a_real_anomaly_error():
    x = tg.Tensor([1.0, -1.0], requires_grad=True, name="x")
    with pytest.raises(tg.AnomalyError) as caught, tg.detect_anomaly():
        x.log()
    assert caught.value.node.name == "log" and caught.value.inputs == (x,)
    assert caught.value.phase == "forward"
    nodes, _ = parse(draw_anomaly(caught.value).source)
    assert nodes["culprit"][0].startswith("log")
    with pytest.raises(ValueError, match="carries no graph node"):
        draw_anomaly(ValueError("an error from elsewhere"))


# ---------------------------------------------------------------------------------------
# Rendering


@needs_dot
def test_rendered_svg_is_valid_xml_holding_every_node_label(tmp_path):
    x, w, pred, delta, loss = grokking(backward=False)
    graph = draw_graph(loss, mode="backward", legend=True)
    path = render_graph(graph, tmp_path / "grokking")
    assert path == tmp_path / "grokking.svg"
    root = ET.parse(path).getroot()  # valid XML
    svg = "{http://www.w3.org/2000/svg}"
    shown = {}  # each node's and edge's text, spaces left out (bold runs are texts of their own)
    for g in root.iter(svg + "g"):
        if g.get("class") in ("node", "edge"):
            shown[g.find(svg + "title").text] = "".join(
                "".join((t.text or "").split()) for t in g.iter(svg + "text"))
    nodes, edges = parse(graph.source)
    for node, (label, _) in nodes.items():
        for line in label.split("\n"):
            assert "".join(line.split()) in shown[node], line
    for source, target, label in edges:
        if label:
            assert "".join(label.split()) in shown[f"{source}->{target}"]


@needs_dot
@pytest.mark.parametrize("retain_graph", [True, False])
def test_drawing_changes_no_grad_and_shows_a_retained_gradient_once(tmp_path, retain_graph):
    # The diagrams read the engine's own pass; storing gradients is backward()'s job, so
    # drawing twice leaves every .grad as backward() left it, and the picture says so.
    x, w, pred, delta, loss = grokking(backward=False)
    pred.retain_grad()
    loss.backward(retain_graph=retain_graph)
    kept = {name: t.grad.data.copy() for name, t in (("pred", pred), ("weights", w))}
    for _ in range(2):
        path = render_graph(loss, tmp_path / "grokking.svg", mode="backward")
    assert pred.grad.item() == kept["pred"].item() == pytest.approx(-0.14)
    np.testing.assert_array_equal(w.grad.data, kept["weights"])
    texts = ["".join(t.itertext()) for t in ET.parse(path).getroot().iter()
             if t.tag.endswith("text")]
    assert texts.count("grad -0.14") == 2  # pred (retained) and delta, once each
    assert "grad -0.28" not in texts


@needs_dot
def test_render_graph_draws_a_tensor_with_options_and_other_formats(tmp_path):
    loss = slides()[-1]
    png = render_graph(loss, tmp_path / "slides.png", format="png", mode="backward")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(TypeError, match="apply to a Tensor"):
        render_graph(draw_graph(loss), tmp_path / "x", mode="backward")


@needs_dot
def test_render_graph_takes_the_format_from_the_paths_suffix(tmp_path):
    # `render_graph(loss, "loss.png")` wrote an SVG into loss.png before
    loss = slides()[-1]
    assert render_graph(loss, tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert render_graph(loss, tmp_path / "loss.PDF").read_bytes()[:5] == b"%PDF-"
    plain = render_graph(loss, tmp_path / "loss")
    assert plain.name == "loss.svg" and plain.read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match=r"render_graph: the path '.*mixed.png' names a .png "
                                         r"file but format='svg'"):
        render_graph(loss, tmp_path / "mixed.png", format="svg")
    assert not (tmp_path / "mixed.png").exists()


@pytest.mark.parametrize("name", ["graph.dot", "graph.gv", "graph.DOT"])
def test_render_graph_writes_the_dot_text_without_graphviz(monkeypatch, tmp_path, name):
    # render_graph("x.dot") ran `dot` (refused without it) and wrote a laid-out graph
    monkeypatch.setenv("PATH", "")
    loss = slides()[-1]
    path = render_graph(loss, tmp_path / name, mode="backward")
    assert path == tmp_path / name
    assert path.read_text() == draw_graph(loss, mode="backward").source  # no pos= in it
    assert render_graph(loss, tmp_path / "plain", format="gv").name == "plain.gv"


@pytest.mark.parametrize("name, error, said", [
    ("r.txt", ValueError, "names a .txt file, which is no format a graph is written in; give "
                          "it the suffix .svg, .png, .pdf or .dot"),
    ("r.html", ValueError, "backward_steps(loss, path)"),
    ("folder", IsADirectoryError, "is a folder; give the path of a file in it"),
    ("folder.svg", IsADirectoryError, "is a folder"),
    ("taken.png/x.png", NotADirectoryError, "'taken.png' is a file, not a folder"),
    ("pipe", OSError, "is a FIFO (named pipe), not a regular file; nothing was written"),
])
def test_render_graph_refuses_a_path_it_cannot_write_in_one_line(tmp_path, monkeypatch, name,
                                                                 error, said):
    # r.txt and r.html held an SVG; a folder got folder.svg beside it; a file in a
    # folder's place raised a raw FileExistsError from mkdir
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder.svg").mkdir()
    (tmp_path / "taken.png").write_bytes(b"a user's picture")
    (tmp_path / "r.txt").write_text("a user's notes")
    os.mkfifo(tmp_path / "pipe")  # not made pipe.svg
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(error) as caught:
        render_graph(slides()[-1], name)
    message = str(caught.value)
    assert message.startswith("render_graph: ") and "\n" not in message
    assert said in message and repr(name) in message  # what, and which path
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written
    assert (tmp_path / "r.txt").read_text() == "a user's notes"


def edge_label_boxes(graph: graphviz.Digraph) -> list[tuple[float, float, float, float]]:
    """Where Graphviz sets each edge label's text: (bottom, top, left, right) in points."""
    boxes = []
    for edge in json.loads(graph.pipe(format="json"))["edges"]:
        texts = [op for op in edge.get("_ldraw_", []) if op["op"] == "T"]
        if texts:
            lefts = [op["pt"][0] - {"l": 0, "c": op["width"] / 2, "r": op["width"]}[op["align"]]
                     for op in texts]
            size = max(op.get("size", 9) for op in edge["_ldraw_"] if op["op"] == "F")
            boxes.append((min(op["pt"][1] for op in texts) - size / 4,
                          max(op["pt"][1] for op in texts) + size,
                          min(lefts), max(x + op["width"] for x, op in zip(lefts, texts))))
    return boxes


@needs_dot
def test_labels_of_edges_leaving_one_node_keep_apart():
    # the three gradients under an MLP's top linear op read as one line ("…max 0.18[0, …")
    from tinygrad_gd import nn
    model = nn.Sequential(nn.Linear(4, 8, seed=0), nn.ReLU(), nn.Linear(8, 3, seed=1))
    x = tg.Tensor(np.random.default_rng(0).normal(size=(2, 4)))
    loss = nn.CrossEntropyLoss()(model(x), tg.Tensor(np.array([0, 2])))
    loss.backward()
    boxes = edge_label_boxes(draw_graph(loss, model=model, mode="backward"))
    gaps = [max(b[2] - a[3], a[2] - b[3]) for k, a in enumerate(boxes) for b in boxes[k + 1:]
            if a[0] < b[1] and b[0] < a[1]]  # side by side on one line
    assert len(gaps) >= 2 and min(gaps) >= 15, gaps


def test_without_dot_the_source_builds_and_rendering_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", "")
    loss = slides()[-1]
    graph = draw_graph(loss)
    assert "digraph" in graph.source and "weight" in graph.source
    with pytest.raises(RenderError, match=r"`dot` program was not found.*apt-get install "
                                          r"graphviz"):
        render_graph(graph, tmp_path / "out.svg")
    assert not (tmp_path / "out.svg").exists()
    with pytest.raises(RenderError, match=r"backward_steps: Graphviz's `dot` program was not "
                                          r"found.*apt-get install graphviz"):
        tg.backward_steps(loss)


@needs_dot
def test_a_graph_dot_rejects_gets_a_render_error_with_dots_message(tmp_path):
    broken = graphviz.Digraph(body=["\ta -> {\n"])
    with pytest.raises(RenderError, match="`dot` failed to render the graph to svg: .*syntax"):
        render_graph(broken, tmp_path / "broken.svg")


@needs_dot
def test_a_1000_node_graph_renders_every_node(tmp_path):
    y = tg.Tensor(1.0, requires_grad=True)
    for _ in range(333):
        y = y * 1.0001
    graph = draw_graph(y, max_nodes=None, mode="backward", constants=True)
    assert len(parse(graph.source)[0]) == 1000
    path = render_graph(graph, tmp_path / "chain.svg")
    titles = [t.text for t in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}title")]
    assert "t666" in titles and "f666" in titles  # the output and the op that made it


def test_each_call_of_one_module_gets_its_own_box():
    layer = Linear(3, 3, seed=0)
    hidden = layer(tg.Tensor(np.ones((1, 3)), name="x"))
    loss = layer(hidden).sum()  # the same weights used twice: two calls, two boxes
    calls = {t.grad_fn.scope_calls for t in toposort(loss)
             if t.grad_fn is not None and t.grad_fn.scope}
    assert len(calls) == 2  # the core numbers each module call
    nodes, _ = parse(draw_graph(loss, max_nodes=10, constants=True, open_modules=True).source)
    boxes = [lab for n, (lab, _) in nodes.items() if n.startswith("m")]
    assert len(nodes) == 7 and len(boxes) == 2  # x, 2 calls (each with its result), sum
    # the weight and bias are used by both calls: each box holds its ops and their results
    assert all("module call: 6 nodes" in lab for lab in boxes)


# ---------------------------------------------------------------------------------------
# After a plain backward(): the factors again, or why not


class StaticCube(tg.Function, register=False):
    """A user's op written with @staticmethod forward and backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def test_a_plain_backward_keeps_every_factor_even_of_a_staticmethod_op():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    y = StaticCube.apply(x)
    y.name = "y"
    loss = y * 0.5
    loss.backward()  # frees the saved arrays
    nodes, edges = parse(draw_graph(loss, mode="backward").source)
    names = by_first_line(nodes)
    carried = {(s, t): lab for s, t, lab in edges}
    assert carried[("f" + names["y"][1:], names["x"])] == "0.5 × 12 = 6"
    assert "gradients not shown" not in draw_graph(loss, mode="backward").source
    assert x.grad.item() == 6.0


def test_a_value_changed_in_place_after_backward_is_said_not_drawn_wrong():
    x, w, pred, delta, loss = grokking()  # a plain backward()
    with tg.no_grad():
        w.data -= 0.01 * w.grad.data  # the update
    source = draw_graph(loss, mode="backward").source
    nodes, edges = parse(source)
    names = by_first_line(nodes)
    matmul = "f" + names["pred"][1:]
    assert "changed in place" in nodes[matmul][0]
    assert "changed in place" in nodes[names["weights"]][0]
    assert not any(t == names["weights"] and lab for s, t, lab in edges if s == matmul)
    assert "weights' of op 'matmul' was changed in place" in graph_label(source)


def svg_nodes(path) -> dict[str, str]:
    """What a reader sees in each node and edge of a rendered SVG: id -> its text."""
    svg = "{http://www.w3.org/2000/svg}"
    return {g.find(svg + "title").text: " ".join(
        (t.text or "").strip() for t in g.iter(svg + "text"))
        for g in ET.parse(path).getroot().iter(svg + "g") if g.get("class") in ("node", "edge")}


def svg_size(path) -> tuple[float, float]:
    root = ET.parse(path).getroot()
    return float(root.get("width")[:-2]), float(root.get("height")[:-2])


@needs_dot
def test_an_update_after_backward_marks_only_the_op_whose_input_changed(tmp_path):
    # the course's update: every op was marked "changed in place", three called random
    x, w, pred, delta, loss = grokking()
    with tg.no_grad():
        w.data -= 0.01 * w.grad.data
    graph = draw_graph(loss, mode="backward")
    path = render_graph(graph, tmp_path / "update.svg")
    shown = svg_nodes(path)
    marked = [n for n, text in shown.items() if "changed in place since" in text]
    names = by_first_line(parse(graph.source)[0])
    assert sorted(marked) == sorted(["f" + names["pred"][1:], names["weights"]])
    everything = " ".join(shown.values()) + graph_label(graph.source)
    assert "random" not in everything
    # the ops after matmul show their factors, from the values the forward pass drew
    edges = [text for n, text in shown.items() if "->" in n]
    assert "1 × 0.5 = 0.5" in edges and "0.5 × 2 × (-0.14) = -0.14" in edges
    assert "-0.14 × 1 = -0.14" in edges
    assert "∂/∂delta = 2 × delta = 2 × (-0.14)" in shown["f" + names["pow result"][1:]]
    assert "from the forward pass that made the output, before the change" in graph_label(
        graph.source)
    # the note is wrapped to the picture: no wider than the picture without it
    bare = graphviz.Digraph(body=[ln for ln in graph.body if "labeljust" not in ln])
    bare.graph_attr.update(graph.graph_attr)
    plain = render_graph(bare, tmp_path / "bare.svg")
    assert svg_size(path)[0] <= svg_size(plain)[0] + 1


def test_an_update_of_every_weight_is_said_once_under_the_picture():
    # (the note repeated its sentence for each weight an optimizer's step changed: ten
    # times for a LeNet)
    sizes = [3, 4, 5, 6, 6, 6, 2]
    model = tg.nn.Sequential(*[tg.nn.Linear(a, b, seed=a) for a, b in zip(sizes, sizes[1:])])
    loss = model(tg.Tensor(np.ones((2, 3)))).sum()
    loss.backward()
    tg.optim.SGD(model.parameters(), lr=0.1).step()
    note = graph_label(draw_graph(loss, mode="backward", open_modules=True).source)
    assert note.count("changed in place") == 1, note
    assert re.search(r"an input of shape \(2, 6\) of op 'linear', an input of shape \(4, 3\) "
                     r"of op 'linear', an input of shape \(5, 4\) of op 'linear' and 2 more "
                     r"were changed in place after their ops ran \(an update after "
                     r"backward\(\)\?\); run the forward pass again to draw them", note), note
    alike = tg.nn.Sequential(*[tg.nn.Linear(3, 3, seed=k) for k in range(4)])
    loss = alike(tg.Tensor(np.ones((2, 3)))).sum()
    loss.backward()
    tg.optim.SGD(alike.parameters(), lr=0.1).step()
    note = graph_label(draw_graph(loss, mode="backward", open_modules=True).source)
    assert "an input of shape (3, 3) of op 'linear' (4 of them) were changed in place" in note


class Noisy(tg.Function, register=False):
    """A user's random op: x plus fresh noise at every call, kept for backward (which
    backward() frees: the drawing runs the op again; one that saved nothing is not run
    again, its node drawn as it is)."""

    rng = np.random.default_rng(0)

    def forward(self, x):
        noise = Noisy.rng.normal(size=x.shape)
        self.save_for_backward(noise)
        return x + noise

    def backward(self, grad):
        return grad


def test_after_a_random_op_only_it_is_marked_and_the_ops_after_it_keep_their_factors():
    # run again, the noise differs: the ops after it were called random too
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    noisy = Noisy.apply(w)
    noisy.name = "noisy"
    loss = (noisy * 3.0).sum()
    loss.backward()
    source = draw_graph(loss, mode="backward").source
    nodes, edges = parse(source)
    names = by_first_line(nodes)
    marked = [n for n, (lab, _) in nodes.items() if "gives other values when run again" in lab]
    assert marked == ["f" + names["noisy"][1:]]
    assert "op 'noisy' gives other values" in graph_label(source)
    assert "'mul'" not in graph_label(source) and "'sum'" not in graph_label(source)
    assert ("f" + names["mul result"][1:], names["noisy"], "[1, 1] × 3 = [3, 3]") in edges


def test_an_output_changed_in_place_is_named_as_such_not_called_a_random_op():
    w = tg.Tensor([0.5, 1.0], requires_grad=True)
    y = w.exp()  # exp's backward reads its output
    loss = y.sum()
    y.data[0] = 5.0  # before any backward: the graph still holds its arrays
    label = graph_label(draw_graph(loss, mode="backward").source)
    assert "the output of op 'exp' was changed in place after the op ran" in label
    assert "random" not in label


@needs_dot
def test_two_inputs_of_one_op_with_the_same_name_are_numbered_in_the_picture(tmp_path):
    # `∂/∂parameter = parameter` twice on mul, `∂/∂mul result = 1` twice on add
    a = tg.Tensor(np.arange(6.).reshape(2, 3), requires_grad=True)
    b = tg.Tensor([1., 2., 3.], requires_grad=True)
    s = tg.Tensor(3.0, requires_grad=True)
    for loss, name in [(((a * b + 1.0) ** 2).sum(), "parameter"), (s * s + 2 * s, "mul result")]:
        shown = svg_nodes(render_graph(loss, tmp_path / "same.svg", mode="backward"))
        per_op = [re.findall(r"∂/∂[^=]*=", text) for text in shown.values()]
        assert all(len(set(lines)) == len(lines) for lines in per_op), per_op  # none twice
        lines = [line for op in per_op for line in op]
        for k in (1, 2):
            assert f"∂/∂{name} #{k} =" in lines  # the op names each input ...
            assert sum(text.startswith(f"{name} #{k}") for text in shown.values()) == 1  # ...
    # names that do not collide stay as they were
    assert not re.search(r" #\d", draw_graph(grokking()[-1], mode="backward").source)


@pytest.mark.parametrize("make, value, node, edge", [
    (lambda x: x ** 3, 2.0, "∂/∂x = 3 × x² = 3 × 2²", "1 × 3 × 2² = 12"),
    (lambda x: x / 4, 2.0, "∂/∂x = 1 / 4", "1 × (1 / 4) = 0.25"),
    (lambda x: 4 / x, 2.0, "∂/∂x = -4 / x² = -4 / 2²", "1 × (-4 / 2²) = -1"),
    (lambda x: x * 3, 2.0, "∂/∂x = 3", "1 × 3 = 3"),
    (lambda x: 10 - x, 2.0, "∂/∂x = -1", "1 × (-1) = -1"),
    (lambda x: x.sigmoid(), 0.0, "∂/∂x = sigmoid × (1 - sigmoid) = 0.5 × (1 - 0.5)",
     "1 × 0.5 × (1 - 0.5) = 0.25"),
    (lambda x: x.tanh(), 0.5, "∂/∂x = 1 - tanh² = 1 - 0.4621²",
     "1 × (1 - 0.4621²) = 0.7864"),
    (lambda x: x.exp(), 1.0, "∂/∂x = exp(x) = 2.718", "1 × 2.718 = 2.718"),
    (lambda x: x.log(), 4.0, "∂/∂x = 1 / x = 1 / 4", "1 × (1 / 4) = 0.25"),
    (lambda x: x.relu(), 4.0, "∂/∂x = 1 where x > 0, else 0 = 1", "1 × 1 = 1"),
])
def test_local_derivatives_in_their_textbook_form(make, value, node, edge):
    x = tg.Tensor(value, requires_grad=True, name="x")
    nodes, edges = parse(draw_graph(make(x), mode="backward").source)
    op = next(n for n in nodes if n.startswith("f"))
    assert node in nodes[op][0].split("\n")
    assert (op, by_first_line(nodes)["x"], edge) in edges


def test_elementwise_products_show_a_scalar_factor_once_and_the_rule_in_the_op():
    w = tg.Tensor([0.3, 0.2, 0.9], requires_grad=True, name="weights")
    error = w * 0.65 - tg.Tensor([0.1, 1.0, 0.1], name="goal")
    error.name = "error"
    loss = (error ** 2).sum()
    nodes, edges = parse(draw_graph(loss, mode="backward").source)
    labels = [lab for _, _, lab in edges if lab]
    assert "[1, 1, 1] × 2 × [0.095, -0.87, 0.485] = [0.19, -1.74, 0.97]" in labels
    assert "[0.19, -1.74, 0.97] × 1 = [0.19, -1.74, 0.97]" in labels  # sub: × 1
    assert "[0.19, -1.74, 0.97] × 0.65 = [0.1235, -1.131, 0.6305]" in labels
    ops = {lab.split("\n")[0]: lab for n, (lab, _) in nodes.items() if n.startswith("f")}
    assert "∂/∂error = 2 × error" in ops["** 2"].split("\n")  # entry by entry: no numbers
    assert "∂/∂pow result = 1 to each entry" in ops["sum"].split("\n")


def test_one_folded_module_call_is_one_call_in_the_note():
    from tinygrad_gd import nn
    loss = nn.Linear(3, 2)(tg.Tensor(np.ones((2, 3)))).sum()
    note = graph_label(draw_graph(loss, max_nodes=4).source)
    assert "folded into 1 box (1 module call) as" in note


def test_blog_style_sequential_boxes_are_numbered_like_pytorchs_printed_model():
    from tinygrad_gd import nn
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(tg.Tensor(np.ones((2, 3)))).sum()
    for names in ({"params": dict(model.named_parameters())}, {"model": model}):
        nodes, _ = parse(draw_graph(loss, max_nodes=8, **names).source)
        titles = {lab.split("\n")[0] for n, (lab, _) in nodes.items() if n.startswith("m")}
        assert titles == {"0: Linear(3 -> 4)", "1: ReLU", "2: Linear(4 -> 2)"}, names


# ---------------------------------------------------------------------------------------
# Large graphs without modules, gradients as they are, the legend: read from the rendered SVG


def svg_text(path) -> str:
    """Every text a reader sees in a rendered SVG, in document order, spaces collapsed."""
    svg = "{http://www.w3.org/2000/svg}"
    return re.sub(r"\s+", " ", " ".join(
        (t.text or "") for t in ET.parse(path).getroot().iter(svg + "text")))


def tanh_chain():
    w = tg.Tensor(0.5, requires_grad=True, name="w")
    acc = w
    for k in range(30):
        acc = (acc * 1.1 + tg.Tensor(0.1 * k)).tanh()
    acc.name = "loss"
    acc.backward()
    return acc


def sum_of_squares():
    xs = [tg.Tensor(0.1 * i, requires_grad=True, name=f"x{i}") for i in range(40)]
    total = sum(x ** 2 for x in xs)
    total.backward()
    return total


@needs_dot
@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_a_long_chain_and_a_wide_sum_fit_a_page_by_default(tmp_path, mode):
    # 139 x 14232 px and 6070 x 8359 px (an empty staircase) before: nothing folded
    chain = render_graph(tanh_chain(), tmp_path / "chain.svg", mode=mode)
    width, height = svg_size(chain)
    assert width <= 600 and height <= 1200, (width, height)
    text = svg_text(chain)
    assert "nodes folded" in text and "ops: 28 × mul, 28 × add, 28 × tanh" in text
    assert re.search(r"\bw data 0\.5 \.?grad 2\.3e-46", text)  # the parameter, its gradient
    assert "loss data 0.9993" in text
    wide = render_graph(sum_of_squares(), tmp_path / "sum.svg", mode=mode)
    width, height = svg_size(wide)
    assert width <= 800 and height <= 500, (width, height)
    text = svg_text(wide)
    assert "sum of 40 terms" in text and "37 more terms like these" in text
    assert "37 parameters: x2 … x38" in text
    for name, grad in (("x0", 0), ("x1", 0.2), ("x39", 7.8)):
        assert re.search(rf"\b{name} data [\d.]+ \.?grad {grad}\b", text), name
    assert re.search(r"\.?grad \[0\.4, 0\.6, 0\.8, …\] min 0\.4 max 7\.6", text)


@needs_dot
def test_the_forward_view_shows_grad_as_it_is_and_says_when_it_accumulated(tmp_path):
    _, w, _, _, loss = grokking(backward=False)
    text = svg_text(render_graph(loss, tmp_path / "before.svg"))
    # before backward(): .grad is None, said so; no gradient of the pass passed off as it
    assert "weights (3,) data [0.1, 0.2, -0.1] .grad None" in text
    assert "-1.19" not in text and "-0.14" not in text.replace("data -0.14", "")
    loss.backward(retain_graph=True)
    loss.backward()  # .grad accumulates: twice this output's gradient
    text = svg_text(render_graph(loss, tmp_path / "twice.svg"))
    assert (".grad [-2.38, -0.182, -0.336] (accumulated; from this output alone: [-1.19, "
            "-0.091, -0.168])") in text
    back = svg_text(render_graph(loss, tmp_path / "back.svg", mode="backward"))
    # the backward view: this pass's gradient, as on the edges, and .grad labelled apart
    assert ("grad [-1.19, -0.091, -0.168] .grad [-2.38, -0.182, -0.336] (accumulated)"
            in back)
    np.testing.assert_allclose(w.grad.numpy(), [-2.38, -0.182, -0.336])


@needs_dot
def test_a_grad_written_by_a_second_derivative_is_not_called_accumulated(tmp_path):
    # y = x**3, then g = dy/dx with create_graph=True and g.backward(): x read ".grad 18
    # (accumulated)" beside y's "grad 27", though nothing of y's 27 was added into it
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    y = x ** 3
    y.name = "y"
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    g.backward()
    first, second = 3 * 3.0 ** 2, 6 * 3.0  # dy/dx = 3x², d²y/dx² = 6x
    assert x.grad.item() == pytest.approx(second)
    back = svg_text(render_graph(y, tmp_path / "back.svg", mode="backward"))
    assert f"grad {first:g} .grad {second:g} (from other backward() calls)" in back
    forward = svg_text(render_graph(y, tmp_path / "forward.svg"))
    assert (f".grad {second:g} (from other backward() calls; from this output alone: "
            f"{first:g})"
            in forward)
    assert "accumulated" not in back + forward
    y.backward()  # y's own gradient added in: neither a multiple of it nor its own
    back = svg_text(render_graph(y, tmp_path / "both.svg", mode="backward"))
    assert f".grad {first + second:g} (from other backward() calls)" in back
    x.grad = tg.zeros_like(x)  # zero_grad(set_to_none=False): zeroed, not from any call
    back = svg_text(render_graph(y, tmp_path / "zeroed.svg", mode="backward"))
    assert ".grad 0 (zeroed)" in back


@needs_dot
@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_the_legend_is_compact_and_in_reading_order(tmp_path, direction):
    loss = grokking()[-1]
    plain = svg_size(render_graph(loss, tmp_path / "plain.svg", direction=direction))
    path = render_graph(loss, tmp_path / "key.svg", direction=direction, legend=True)
    width, height = svg_size(path)
    if direction == "TB":  # was a row 2040 px wide beside a 391 px graph
        assert width <= 1.3 * plain[0], (width, plain)
    else:  # was a column 780 px tall beside a 133 px graph
        assert height <= 250 and width <= 1.4 * plain[0], (width, height, plain)
    svg = "{http://www.w3.org/2000/svg}"
    key = next(g for g in ET.parse(path).getroot().iter(svg + "g")
               if g.get("class") == "node" and g.find(svg + "title").text == "legend")
    placed = [(round(float(t.get("y"))), float(t.get("x")), t.text)
              for t in key.iter(svg + "text") if t.text != "legend"]
    assert [text for _, _, text in sorted(placed)] == [  # row by row, left to right
        "input / data (leaf)", "parameter (requires_grad)", "intermediate result", "output",
        "op"]  # (only the kinds drawn)



@needs_dot
def test_the_legend_keys_only_what_is_drawn_and_dots_the_constant(tmp_path):
    """A graph with a drawn constant (`constants=True`) and a NaN: the key has both, the
    constant's swatch dotted as its node is; no buffer, frozen or module entry."""
    x = tg.Tensor([1.0, np.nan])
    w = tg.Tensor([0.5, 0.25], requires_grad=True)
    path = render_graph((x * w * 3.0).sum(), tmp_path / "key.svg", legend=True,
                        constants=True)
    svg = "{http://www.w3.org/2000/svg}"
    key = next(g for g in ET.parse(path).getroot().iter(svg + "g")
               if g.get("class") == "node" and g.find(svg + "title").text == "legend")
    texts = [t.text for t in key.iter(svg + "text") if t.text != "legend"]
    assert "constant (0-d leaf)" in texts and "NaN or Inf" in texts
    assert not {"buffer (model state)", "frozen parameter", "module call (folded)"} & set(texts)
    assert any(e.get("stroke-dasharray") == "1,5" for e in key.iter())  # (rounded: no dots)


def model_then_chain(scale=None):
    """A small model, then 40 steps of a chain (each scaled by `scale` when given)."""
    from tinygrad_gd import nn
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x, y = tg.Tensor(np.random.randn(5, 3)), tg.Tensor(np.random.randn(5, 1))
    h = model(x)
    for _ in range(40):
        h = tg.tanh(h) * 1.05 + 0.01 if scale is None else tg.tanh(h) * scale
    loss = ((h - y) ** 2).mean()
    loss.backward()
    return model, loss


@needs_dot
def test_a_chain_after_a_model_folds_its_middle_not_the_model(tmp_path):
    # the chain's fold swallowed the model: "… 250 nodes folded … 4 parameters: 0.weight
    # … 2.bias", no weight, gradient or input drawn
    model, loss = model_then_chain()
    text = svg_text(render_graph(loss, tmp_path / "m.svg", mode="backward", model=model))
    assert "Sequential" in text and "params: 0.weight, 0.bias, 2.weight + 1 more" in text
    assert "parameters:" not in text  # no parameter inside the chain's box
    # (x and y are both unnamed data: numbered from the inputs up, x first)
    assert re.search(r"input #1 \(5, 3\) data \[1\.764, 0\.4002", text)
    assert re.search(r"… \d+ nodes folded … ops: 39 × tanh, 39 × mul, 39 × add", text)
    assert svg_size(tmp_path / "m.svg")[1] <= 3200


def squares_and_a_constant():
    ws = [tg.Tensor(0.1 * (i + 1), requires_grad=True, name=f"w{i}") for i in range(40)]
    terms = [w * w for w in ws]
    terms.insert(10, tg.Tensor(5.0) * tg.Tensor(5.0))  # a constant term: drawn in no node
    return terms


@needs_dot
def test_a_sums_constant_terms_are_counted_and_shown(tmp_path):
    # "sum of 40 terms / 41 add ops in one": the 25 was nowhere on the picture
    terms = squares_and_a_constant()
    text = svg_text(render_graph(sum(terms), tmp_path / "one.svg"))
    assert "sum of 41 terms (one a constant, 25) 41 add ops in one" in text
    text = svg_text(render_graph(sum(terms) + 3.0, tmp_path / "two.svg"))
    assert "sum of 42 terms (2 constants, together 28) 42 add ops in one" in text
    plain = svg_text(render_graph(sum(terms[:10] + terms[11:]), tmp_path / "none.svg"))
    assert "sum of 40 terms 40 add ops" in plain and "constant" not in plain  # sum()'s 0


@needs_dot
def test_only_inputs_that_read_alike_fold_as_alike(tmp_path):
    # squares and cubes (and x 3 and x 5) were folded as "37 more terms like these"
    ws = [tg.Tensor(0.1 * (i + 1), requires_grad=True, name=f"w{i}") for i in range(40)]
    mixed = sum(w ** 2 if i % 2 == 0 else w ** 3 for i, w in enumerate(ws))
    text = svg_text(render_graph(mixed, tmp_path / "mixed.svg"))
    assert "37 more" not in text and text.count("17 more terms like these") == 2
    assert "17 parameters: w4 … w36" in text and "17 parameters: w5 … w37" in text
    few = sum(w * 5 if i % 10 == 0 else w * 3 for i, w in enumerate(ws))
    text = svg_text(render_graph(few, tmp_path / "few.svg"))
    assert "33 more terms like these" in text and "33 parameters: w3 … w38" in text
    assert "37 more" not in text
    shapes = sum((tg.Tensor(np.ones(i % 2 + 1), requires_grad=True, name=f"v{i}") ** 2).sum()
                 for i in range(40))
    text = svg_text(render_graph(shapes, tmp_path / "shapes.svg"))
    assert "37 more" not in text and text.count("17 more terms like these") == 2


@needs_dot
def test_the_steps_of_a_folded_graph_draw_every_node():
    # the terms box showed its gradients from step 4 on, 113 of 120 frames alike, and
    # captions named nodes not drawn
    xs = [tg.Tensor(0.1 * i, requires_grad=True, name=f"x{i}") for i in range(14)]
    total = sum(x ** 2 for x in xs)
    assert "sum of 14 terms" in draw_graph(total).source  # the view folds
    steps = tg.backward_steps(total)
    assert len(set(steps.frames)) == len(steps.frames) == 42
    for frame in steps.frames:
        assert "sum of" not in frame and "like these" not in frame
        # x_i, x_i ** 2 and the 14 adds' results: each drawn in every frame
        assert len(re.findall(r"<title>t\d+</title>", frame)) == 14 * 3


@needs_dot
def test_a_terms_box_says_none_and_accumulated_as_its_siblings_do(tmp_path):
    # the box lacked "(accumulated …)" and dropped its grad line when one .grad was None
    xs = [tg.Tensor(0.1 * i, requires_grad=True, name=f"x{i}") for i in range(40)]
    total = sum(x ** 2 for x in xs)
    total.backward(retain_graph=True)
    total.backward()
    text = svg_text(render_graph(total, tmp_path / "f.svg"))
    # (the fold's words on lines of their own, as narrow as its numbers: round 36)
    assert (".grad [0.8, 1.2, 1.6, …] min 0.8 max 15.2 (accumulated) (from this output "
            "alone: [0.4, 0.6, 0.8, …] min 0.4 max 7.6)") in text
    assert ".grad 15.6 (accumulated; from this output alone: 7.8)" in text  # x39, the sibling
    back = svg_text(render_graph(total, tmp_path / "b.svg", mode="backward"))
    assert ("grad [0.4, 0.6, 0.8, …] min 0.4 max 7.6 .grad [0.8, 1.2, 1.6, …] min 0.8 max "
            "15.2 (accumulated)") in back
    xs[5].grad = None
    text = svg_text(render_graph(total, tmp_path / "n.svg"))
    assert "37 parameters: x2 … x38 data [0.2, 0.3, 0.4, …] min 0.2 max 3.8 .grad None: x5 " \
           ".grad of the others [0.8, 1.2, 1.6, …] min 0.8 max 15.2 (accumulated)" in text


@needs_dot
def test_a_parameter_used_at_every_step_of_a_chain_lets_the_chain_fold(tmp_path):
    # every node lay within reach of s: 2798 x 32767 px, nothing folded
    s = tg.Tensor(0.9, requires_grad=True, name="s")
    model, loss = model_then_chain(s)
    path = render_graph(loss, tmp_path / "s.svg", mode="backward", model=model)
    width, height = svg_size(path)
    assert width <= 1000 and height <= 3200, (width, height)
    text = svg_text(path)
    assert re.search(r"… \d+ nodes folded … ops: 39 × mul, 38 × tanh", text)
    assert re.search(r"\bs data 0\.9 grad -?\d", text)  # drawn, with its gradient
    assert "params: 0.weight, 0.bias" in text

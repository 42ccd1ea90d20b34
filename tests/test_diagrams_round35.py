"""The chain rule's step readable in the documents' own pictures, the thirty-fifth round,
read from the rendered SVG (each text as drawn, each node's outline, each edge's tooltip).

- The blog MLP's backward view folds each module call into one box, so nowhere did it say
  how a weight's gradient is formed. Each Linear's box now says it for its weight and its
  bias in the words its opened edge uses, its own result's gradient `(result grad)` (the
  box's `grad` line) and its input by name (`images`) or as `input` (the node its edge
  leads to): `4.weight grad = (result grad)ᵀ @ input`, `4.bias grad =` over `sum over the
  batch (axis 0) of (result grad)`, and the box no wider than the ReLU boxes beside it.
- An op node named an input by a slot number the user never saw (`∂/∂(input 2) = -1`,
  Graphviz drawing input 1 on the right) where other drawn nodes shared its name: each
  input is named as its node is again (`∂/∂sin result = -1`), its edge leading to it.

Numbers are checked against NumPy, never against the drawing code.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

import tinygrad_gd as tg

from test_factors_round34 import _nodes  # (the SVG's nodes: title -> texts)
from test_graph_labels import needs_dot

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"
_LINK = "{http://www.w3.org/1999/xlink}title"


def _widths(path) -> dict[str, float]:
    """Each node's outline width in points, by its title."""
    found = {}
    for g in ET.parse(path).getroot().iter(_SVG + "g"):
        texts = [(t.text or "").strip() for t in g.iter(_SVG + "text")]
        xs = [float(point.split(",")[0]) for p in g.iter(_SVG + "polygon")
              for point in p.get("points").split()]
        if g.get("class") == "node" and texts and xs:
            found[texts[0]] = max(xs) - min(xs)
    return found


def _tooltips(path) -> list[str]:
    """The edges' tooltips, as a reader hovering over them reads them."""
    return [a.get(_LINK) or "" for g in ET.parse(path).getroot().iter(_SVG + "g")
            if g.get("class") == "edge" for a in g.iter(_SVG + "a")]


def _blog_mlp():
    from tinygrad_gd.examples import blog_mlp

    loss, params = blog_mlp.graph_step(0)
    images, targets = (t for t in _leaves(loss) if t.name in ("images", "targets"))
    return loss, params, images.data, targets.data


def _leaves(loss) -> list:
    seen, stack, found = set(), [loss], []
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t._ctx is None:
            found.append(t)
        else:
            stack.extend(t._ctx.parents)
    return sorted(found, key=lambda t: t.name or "")


def _numpy_pass(params, images, targets):
    """The blog MLP's forward and backward in NumPy: each Linear's input and the gradient
    of its result (delta), by the Linear's number in the Sequential."""
    w = {k: (params[f"{k}.weight"].data, params[f"{k}.bias"].data) for k in (0, 2, 4)}
    inputs, results = {0: images}, {}
    for k in (0, 2, 4):
        results[k] = inputs[k] @ w[k][0].T + w[k][1]
        if k < 4:
            inputs[k + 2] = np.maximum(results[k], 0)
    deltas = {4: 2 * (results[4] - targets) / targets.size}  # d mean((out - t)²) / d out
    for k in (2, 0):
        deltas[k] = (deltas[k + 2] @ w[k + 2][0]) * (results[k] > 0)
    return inputs, deltas


def _agrees(shown: str, value: float) -> bool:
    """A number as the picture writes it (4 significant digits) is `value`."""
    return abs(float(shown) - value) <= 5e-4 * max(abs(value), 1e-12) + 1e-12


def test_the_blog_mlps_folded_linear_boxes_say_how_weight_and_bias_gradients_are_made(
        tmp_path):
    loss, params, images, targets = _blog_mlp()
    path = tg.render_graph(tg.draw_graph(loss, params=params, mode="backward"),
                           tmp_path / "folded.svg")
    nodes = _nodes(path)
    inputs, deltas = _numpy_pass(params, images, targets)
    titles = {0: "0: Linear(784 -> 128)", 2: "2: Linear(128 -> 64)", 4: "4: Linear(64 -> 10)"}
    for k, title in titles.items():
        texts = nodes[title]
        given = "images" if k == 0 else "input"  # (the data's own name; a ReLU's result)
        assert f"{k}.weight grad = (result grad)ᵀ @ {given}" in texts, texts
        said = texts.index(f"{k}.bias grad =")  # the product on a line of its own, under it
        assert texts[said + 1] == "sum over the batch (axis 0) of (result grad)", texts
        # the box's `grad` line is the result's gradient the product names: NumPy's delta
        grad = " ".join(texts[texts.index(next(t for t in texts if t.startswith("grad ["))):])
        first = re.match(r"grad \[([^…]*), …\]", grad)[1].split(", ")
        low, high = map(float, re.search(r"min (\S+) max (\S+)", grad).groups())
        delta = deltas[k]
        assert all(_agrees(s, v) for s, v in zip(first, delta.reshape(-1)))
        assert _agrees(low, delta.min()) and _agrees(high, delta.max())
        # what the words say is the gradient backward() gave: deltaᵀ @ input, summed delta
        np.testing.assert_allclose(deltas[k].T @ inputs[k], params[f"{k}.weight"].grad.data,
                                   rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(deltas[k].sum(axis=0), params[f"{k}.bias"].grad.data,
                                   rtol=1e-10, atol=1e-14)
    # `input`: what the node the box's edge leads to shows, the ReLU's result
    relu = " ".join(nodes["3: ReLU"])
    first = re.search(r"result \[([^…]*), …\]", relu)[1].split(", ")
    assert all(_agrees(s, v) for s, v in zip(first, inputs[4].reshape(-1)))
    # the products widen no box: each Linear's is no wider than the ReLU boxes beside it
    widths = _widths(path)
    assert max(widths[t] for t in titles.values()) <= max(widths["1: ReLU"],
                                                          widths["3: ReLU"])


def test_a_boxs_words_are_its_opened_edges_with_the_boxs_names(tmp_path):
    loss, params, _, _ = _blog_mlp()
    folded = _nodes(tg.render_graph(tg.draw_graph(loss, params=params, mode="backward"),
                                    tmp_path / "folded.svg"))
    opened = _tooltips(tg.render_graph(tg.draw_graph(loss, params=params, mode="backward",
                                                     open_modules=True), tmp_path / "open.svg"))
    for k, title, before in ((2, "2: Linear(128 -> 64)", "(1: ReLU result)"),
                             (4, "4: Linear(64 -> 10)", "(3: ReLU result)")):
        for name in ("weight", "bias"):
            tip, = [t for t in opened if t.startswith(f"gradient from op linear to {k}.{name}:")]
            product = " ".join(tip.split("\n")[1:]).split(" = ")[0].split("\n=")[0].strip()
            product = re.sub(r"\s+", " ", product).replace(f"{title} result grad", "result grad")
            texts = folded[title]
            said = next(t for t in texts if t.startswith(f"{k}.{name} grad ="))
            shown = said.split(" = ", 1)[1] if " = " in said else texts[texts.index(said) + 1]
            assert product.replace(before, "input") == shown, (tip, texts)


def test_the_forward_view_and_a_parameter_an_inner_op_uses_say_no_product(tmp_path):
    loss, params, _, _ = _blog_mlp()
    texts = [t for node in _nodes(tg.render_graph(
        tg.draw_graph(loss, params=params, mode="forward"), tmp_path / "f.svg")).values()
        for t in node]
    assert not any("weight grad =" in t or "bias grad =" in t for t in texts)

    class Block(tg.nn.Module):  # its weight's product names a result drawn in no node
        def __init__(self, seed):
            super().__init__()
            self.w = tg.nn.Parameter(np.random.default_rng(seed).normal(size=(4, 4)))

        def forward(self, x):
            return (x @ self.w).relu() * 2

    model = tg.nn.Sequential(*[Block(k) for k in range(6)])
    out = model(tg.Tensor(np.random.default_rng(9).normal(size=(3, 4)), name="x")).sum()
    out.backward()
    nodes = _nodes(tg.render_graph(tg.draw_graph(out, model=model, mode="backward"),
                                   tmp_path / "b.svg"))
    assert "0: Block" in nodes  # (folded)
    assert not any("grad =" in t for texts in nodes.values() for t in texts)


# ---------------------------------------------------------------------------------------
# An op's inputs named as their nodes are, never by a slot number


def _all_nodes(path) -> list[list[str]]:
    return [[(t.text or "").strip() for t in g.iter(_SVG + "text")]
            for g in ET.parse(path).getroot().iter(_SVG + "g") if g.get("class") == "node"]


def test_an_ops_inputs_are_named_as_their_nodes_not_by_a_slot_number(tmp_path):
    values = {"a": 0.5, "b": 1.5, "d": -3.0, "e": 1.2}
    a, b, d, e = (tg.Tensor(v, requires_grad=True, name=n) for n, v in values.items())
    p, q = e * d, (a * b).sin()  # drawn beside another `mul result` and `sin result`
    y = (p - q) + (a * e).sin()
    y.backward()
    path = tg.render_graph(tg.draw_graph(y, mode="backward"), tmp_path / "names.svg")
    nodes = _all_nodes(path)
    assert sum(texts[0] == "mul result" for texts in nodes) == 3
    sub, = [texts for texts in nodes if texts[0] == "sub"]
    # d(p - q)/dp = 1, d(p - q)/dq = -1, each said of the input by its node's name
    assert sub[1:] == ["∂/∂mul result = 1", "∂/∂sin result = -1"]
    assert not any("input" in t for texts in nodes for t in texts)
    # the -1 goes to sin(ab)'s node: the edge there carries -1 times the sum's gradient 1
    sin_ab = np.sin(values["a"] * values["b"])
    q_node, = [texts for texts in nodes if texts[0] == "sin result"
               and f"data {sin_ab:.4g}" in texts]
    assert "grad -1" in q_node

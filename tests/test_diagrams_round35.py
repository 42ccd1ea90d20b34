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
- A box's product is this pass's gradient; where `.grad` holds other numbers (a weight
  frozen in part, a hook on it, two backward() calls) the box said nothing of it. It now
  says what the opened picture says: `frozen [[0, 0], ...]: zeroed in .grad` and the
  `.grad` line with where it came from.
- That `.grad` line named `freeze_`'s own hook as the user's (`changed by its hook` after
  two backward() calls or a zero_grad), said `zeroed in .grad` from the mask where `.grad`
  was made before the freeze, and a count of runs where a hook on the path (which the
  drawing does not run) changed `.grad`: the reason is told only where it is true.
- An elementwise product in a box named its input by its node's title, `(0: Linear(4 -> 4)
  result)`, where a Linear box says `input`: it says `input` too.

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
    # (three `mul result` nodes, numbered since the thirty-eighth round: one title each)
    assert sorted(texts[0] for texts in nodes if texts[0].startswith("mul result")) == [
        "mul result #1", "mul result #2", "mul result #3"]
    sub, = [texts for texts in nodes if texts[0] == "sub"]
    # d(p - q)/dp = 1, d(p - q)/dq = -1, each said of the input by its node's name
    ed = values["e"] * values["d"]
    p_node, = [texts for texts in nodes if texts[0].startswith("mul result")
               and f"data {ed:.4g}" in texts]
    sin_ab = np.sin(values["a"] * values["b"])
    q_node, = [texts for texts in nodes if texts[0].startswith("sin result")
               and f"data {sin_ab:.4g}" in texts]
    assert sub[1:] == [f"∂/∂{p_node[0]} = 1", f"∂/∂{q_node[0]} = -1"]
    assert not any("input" in t for texts in nodes for t in texts)
    # the -1 goes to sin(ab)'s node: the edge there carries -1 times the sum's gradient 1
    assert "grad -1" in q_node


# ---------------------------------------------------------------------------------------
# A box's product beside what `.grad` holds, and an elementwise product in the box's words


def _layers(prep, runs: int = 1):
    """Six Linear(8 -> 8) + ReLU calls (folded into boxes), `prep` applied to the list
    first, the loss's backward() run `runs` times: (loss, model, the input, layer 0's
    result, its gradient from the last pass)."""
    rng = np.random.default_rng(4)
    tg.manual_seed(4)  # (the Linear layers' weights: the same whatever ran before)
    model = tg.nn.ModuleList([m for _ in range(6) for m in (tg.nn.Linear(8, 8),
                                                            tg.nn.ReLU())])
    prep(model)
    x = tg.Tensor(rng.normal(size=(6, 8)), name="x")
    for _ in range(runs):
        first = model[0](x)
        first.retain_grad()
        y = first
        for layer in list(model)[1:]:
            y = layer(y)
        loss = (y ** 2).mean()
        loss.backward()
    return loss, model, x, first


def _box(loss, model, path, title="0: Linear(8 -> 8)") -> list[str]:
    nodes = _nodes(tg.render_graph(tg.draw_graph(loss, model=model, mode="backward"), path))
    return nodes[title]


def _held(texts: list[str], name: str) -> tuple[list[float], str]:
    """The first entries a box's `<name> .grad [..]` line shows, and the words after it."""
    start = next(k for k, t in enumerate(texts) if t.startswith(f"{name} .grad ["))
    entries = re.match(rf"{re.escape(name)} \.grad \[([^…\]]*)", texts[start])[1]
    origin = next(t for t in texts[start:] if t.startswith("(") and t.endswith(")"))
    return [float(s) for s in entries.rstrip(", ").split(", ")], origin[1:-1]


def test_a_boxs_product_says_what_grad_holds_unlike_it(tmp_path):
    # this pass's product into the weight, and beside it .grad: frozen, hooked, accumulated
    cases = {"frozen": (lambda m: m[0].weight.freeze_((0,)), 1),
             "hooked": (lambda m: m[0].weight.register_hook(lambda g: g * 0.5), 1),
             "twice": (lambda m: None, 2)}
    for case, (prep, runs) in cases.items():
        loss, model, x, first = _layers(prep, runs)
        texts = _box(loss, model, tmp_path / f"{case}.svg")
        assert "0.weight grad = (result grad)ᵀ @ x" in texts, texts
        made = first.grad.data.T @ x.data  # the product's value, this pass's
        held = model[0].weight.grad.data
        assert not np.allclose(made, held)  # (what the box said alone was not .grad)
        shown, origin = _held(texts, "0.weight")
        assert all(_agrees(str(s), v) for s, v in zip(shown, held.reshape(-1))), texts
        if case == "frozen":
            np.testing.assert_allclose(held[1:], made[1:], rtol=1e-10, atol=1e-15)
            assert not held[0].any() and origin == "its frozen entries zeroed"
            said = texts.index("0.weight grad = (result grad)ᵀ @ x")
            # (a list wider than a result line counted, not cut: round 36's mend)
            count = int(model[0].weight.frozen_mask.sum())
            assert texts[said + 1] == f"frozen {count} entries: zeroed in .grad", texts
        elif case == "hooked":
            np.testing.assert_allclose(held, 0.5 * made, rtol=1e-10, atol=1e-15)
            assert origin == "changed by its hook, or from other backward() calls"
        else:
            np.testing.assert_allclose(held, 2 * made, rtol=1e-10, atol=1e-15)
            assert origin == "accumulated"
            assert _held(texts, "0.bias")[1] == "accumulated"
    loss, model, x, first = _layers(lambda m: None)  # .grad this pass's: nothing more said
    texts = _box(loss, model, tmp_path / "plain.svg")
    assert "0.weight grad = (result grad)ᵀ @ x" in texts
    assert not any(".grad" in t or "frozen" in t for t in texts), texts


def test_an_elementwise_product_in_a_box_names_its_input_as_a_linear_box_does(tmp_path):
    rng = np.random.default_rng(5)

    class Scale(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.g = tg.nn.Parameter(rng.normal(size=(4,)))

        def forward(self, x):
            return self.g * x

    tg.manual_seed(5)
    model = tg.nn.ModuleList([tg.nn.Linear(4, 4), Scale(), *[m for _ in range(4) for m in (
        tg.nn.Tanh(), tg.nn.Linear(4, 4))], tg.nn.Tanh()])
    x = tg.Tensor(rng.normal(size=(6, 4)), name="x")
    given = model[0](x)
    scaled = model[1](given)
    scaled.retain_grad()
    y = scaled
    for layer in list(model)[2:]:
        y = layer(y)
    loss = (y ** 2).mean()
    loss.backward()
    texts = _box(loss, model, tmp_path / "scale.svg", "1: Scale")
    said = texts.index("1.g grad =")
    # `input` as `4.weight grad = (result grad)ᵀ @ input` says it, not its node's title
    assert texts[said + 1] == "sum over axis 0 (the rows) of (result grad) × input", texts
    assert not any("Linear(4 -> 4) result" in t for t in texts)
    # what the words say is g's gradient: the rows of (result grad) × input, summed
    np.testing.assert_allclose((scaled.grad.data * given.data).sum(axis=0),
                               model[1].g.grad.data, rtol=1e-10, atol=1e-15)


# ---------------------------------------------------------------------------------------
# `.grad`'s reason true: freeze_'s own hook no hook of the user's, a hook on the path named
# (since the thirty-seventh round), `zeroed in .grad` only where .grad is 0


def _unfrozen(model):
    model[0].weight.freeze_((0,))
    model[0].weight.unfreeze_()


def test_freezes_own_hook_is_not_the_users_in_the_grad_line(tmp_path):
    for case, (prep, runs) in {"unfrozen": (_unfrozen, 2),
                               "frozen": (lambda m: m[0].weight.freeze_((0,)), 2)}.items():
        loss, model, x, first = _layers(prep, runs)
        texts = _box(loss, model, tmp_path / f"{case}.svg")
        made = first.grad.data.T @ x.data
        mask = model[0].weight.frozen_mask
        expected = 2 * (made if mask is None else np.where(mask, 0, made))
        np.testing.assert_allclose(model[0].weight.grad.data, expected, rtol=1e-10,
                                   atol=1e-15)  # (two runs added up, nothing else)
        assert _held(texts, "0.weight")[1] == "accumulated", texts
        assert _held(texts, "0.bias")[1] == "accumulated", texts
    loss, model, _, _ = _layers(lambda m: m[0].weight.freeze_((0,)))
    tg.optim.SGD(model.parameters(), lr=0.1).zero_grad(set_to_none=False)
    assert not model[0].weight.grad.data.any()
    texts = _box(loss, model, tmp_path / "zeroed.svg")
    assert "0.weight .grad all 0 (8, 8) (zeroed)" in texts, texts


def test_zeroed_in_grad_is_said_only_where_grad_is_zero(tmp_path):
    loss, model, x, first = _layers(lambda m: None)
    model[0].weight.freeze_((0,))  # after backward(): row 0 of .grad is this pass's
    assert model[0].weight.grad.data[0].all()
    texts = _box(loss, model, tmp_path / "later.svg")
    # (a list wider than a result line counted, not cut: round 36's mend)
    assert f"frozen {int(model[0].weight.frozen_mask.sum())} entries" in texts, texts
    assert not any("zeroed" in t for t in texts), texts
    opened = tg.render_graph(tg.draw_graph(loss, model=model, mode="backward",
                                           open_modules=True), tmp_path / "open.svg")
    assert not any("zeroed in .grad" in t for t in _tooltips(opened))


def _hooked_on_the_path(case):
    if case == "result":  # a hook on layer 0's result halves what reaches its weight
        tg.manual_seed(4)
        rng = np.random.default_rng(4)
        model = tg.nn.ModuleList([m for _ in range(6) for m in (tg.nn.Linear(8, 8),
                                                                tg.nn.ReLU())])
        x = tg.Tensor(rng.normal(size=(6, 8)), name="x")
        first = model[0](x)
        first.register_hook(lambda g: g * 0.5)
        y = first
        for layer in list(model)[1:]:
            y = layer(y)
        loss = (y ** 2).mean()
        loss.backward()
        return loss, model, 0.5
    loss, model, _, _ = _layers(lambda m: m[2].register_full_backward_pre_hook(
        lambda module, grads: tuple(g * 3 for g in grads)))
    return loss, model, 3.0


def test_a_hook_on_the_path_is_named_as_grads_cause(tmp_path):
    # (no cause was told before the thirty-seventh round: the hook is named since)
    hooks = {"result": "a hook on 0: Linear(8 -> 8) result",
             "module": "a backward hook of 2: Linear(8 -> 8)"}  # (named since round 38)
    for case in ("result", "module"):
        loss, model, factor = _hooked_on_the_path(case)
        held = model[0].weight.grad.data
        plain = _layers(lambda m: None)[1][0].weight.grad.data  # (no hook, one backward())
        # one backward(): the hook's factor, which a count of runs (x3) or a stray
        # backward() (x0.5) would read alike, is what changed .grad
        np.testing.assert_allclose(held, factor * plain, rtol=1e-10, atol=1e-15)
        texts = _box(loss, model, tmp_path / f"{case}.svg")
        start = next(k for k, t in enumerate(texts) if t.startswith("0.weight .grad ["))
        shown = re.match(r"0\.weight \.grad \[([^…\]]*)", texts[start])[1]
        assert all(_agrees(s, v) for s, v in zip(shown.rstrip(", ").split(", "),
                                                  held.reshape(-1))), texts
        assert texts[start + 2:start + 4] == [f"(changed by {hooks[case]},",
                                              "or from other backward() calls)"], texts
        assert not any("accumulated" in t for t in texts), texts
        opened = _nodes(tg.render_graph(tg.draw_graph(loss, model=model, mode="backward",
                                                      open_modules=True), tmp_path / "o.svg"))
        assert " ".join(opened["0.weight"]).endswith(
            f"(changed by {hooks[case]}, or from other backward() calls)"), opened["0.weight"]


def test_the_forward_view_tells_grads_cause_as_the_backward_view(tmp_path):
    loss, model, _, _ = _layers(lambda m: m[0].weight.freeze_((0,)))
    for mode in ("forward", "backward"):
        nodes = _nodes(tg.render_graph(tg.draw_graph(loss, model=model, mode=mode,
                                                     open_modules=True), tmp_path / "v.svg"))
        said = " ".join(nodes["0.weight"])
        assert "its frozen entries zeroed" in said and "other backward" not in said, said

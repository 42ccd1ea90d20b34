"""The chain rule's product on an edge whose arrays are too big to print (thirty-fourth
round), read from the rendered SVG's text.

On small arrays the backward view writes each edge's product in numbers (`[x]ᵀ @ all 1
(2, 2) = [..]`); on big ones (x (4, 30), w (30, 10), MNIST's 784 inputs) it wrote only the
gradient, `[2.291, 2.291, …] min 0.99 max 3.0`, and the product that made it was gone.
Now a product whose arrays (the result included) do not all show whole reads in the
nodes' names, `inputᵀ @ (matmul result grad)`, then `= [..] min .. max ..` on a line of its
own: an operand as its node's title, the gradient arriving as its node's title and word;
a local derivative in its textbook form (`× (1 - tanh²)`) or as its op's node writes it
(`× ∂/∂a`, that node saying `∂/∂a = [..]` for a one-number result); one number or an
array all one number (`all 1 (4, 10)`) still printed. The numbers are NumPy's.

After review: a name other drawn nodes share is not written (the edge shows its value
alone), an operand is named by its own node even where it shares its array, a step page
with `all 1 (4, 30)ᵀ @` is one size, the rest box past max_nodes says only how many
nodes, a formula that is a product has no brackets after a module's title, and a
derivative no node writes reads `∂(sin result)/∂x`. After the last review: a cut title
keeps its ` #1`, names cut alike are not written, a transpose in numbers keeps a step
page one size, `∂(sin result)/∂(mul result)`, and `x2` is not taken for `x`.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import nn

from test_graph_labels import needs_dot

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"


def _edges(path) -> dict[str, list[str]]:
    """The rendered SVG's edge labels by their title (`f2->t1`): their lines of text, in
    order (each <text> of the label's lines, the runs of one line joined)."""
    found = {}
    for g in ET.parse(path).getroot().iter(_SVG + "g"):
        if g.get("class") != "edge":
            continue
        title = next(g.iter(_SVG + "title")).text.replace("&#45;&gt;", "->")
        rows: dict[float, str] = {}
        for t in g.iter(_SVG + "text"):
            y = float(t.get("y"))
            rows[y] = rows.get(y, "") + (t.text or "")
        found[title] = [rows[y].strip() for y in sorted(rows)]
    return found


def _nodes(path) -> dict[str, list[str]]:
    """The rendered SVG's node labels by their first text: their lines of text."""
    found = {}
    for g in ET.parse(path).getroot().iter(_SVG + "g"):
        texts = [(t.text or "").strip() for t in g.iter(_SVG + "text")]
        if g.get("class") == "node" and texts:
            found[texts[0]] = texts
    return found


def _summary(a: np.ndarray) -> str:
    """A large array as the labels write it at precision 4: three entries and its range."""
    a = a + 0.0  # (-0 reads 0)
    first = ", ".join(f"{v:.4g}" for v in a.reshape(-1)[:3])
    return f"[{first}, …]", f"min {a.min():.4g} max {a.max():.4g}"


def _edge_to(edges: dict[str, list[str]], first: str) -> list[str]:
    [lines] = [lines for lines in edges.values() if lines and lines[0].startswith(first)]
    return lines


def _render(loss, tmp_path, name: str, **options):
    return tg.render_graph(loss, tmp_path / f"{name}.svg", mode="backward", **options)


def test_a_big_matmuls_weight_edge_reads_input_transposed_times_the_delta(tmp_path):
    rng = np.random.default_rng(0)
    x_np, w_np = rng.random((4, 30)), rng.random((30, 10))
    x, w = tg.Tensor(x_np), tg.Tensor(w_np, requires_grad=True)
    loss = ((x @ w) ** 2).sum()
    loss.backward()
    edges = _edges(_render(loss, tmp_path, "matmul"))
    delta = 2 * x_np @ w_np  # d loss / d (x @ w)
    lines = _edge_to(edges, "inputᵀ @ ")
    entries, kept = _summary(x_np.T @ delta)
    assert lines == ["inputᵀ @ (matmul result grad)", f"= {entries}", kept], lines
    # the delta's own edge: the gradient arriving at the square, times its derivative
    lines = _edge_to(edges, "all 1 (4, 10) × ")
    entries, kept = _summary(delta)
    assert lines == ["all 1 (4, 10) × 2 × (matmul result)", f"= {entries}", kept], lines
    # the node the names point at shows that gradient, word for word
    assert [f"grad {entries}", kept] == _nodes(tmp_path / "matmul.svg")["matmul result"][-2:]


def test_a_mixed_product_reads_in_names_and_a_small_one_in_numbers(tmp_path):
    rng = np.random.default_rng(1)
    x_np, w_np = rng.random((2, 3)), rng.random((3, 10))  # x small, the gradient not
    x, w = tg.Tensor(x_np), tg.Tensor(w_np, requires_grad=True)
    loss = ((x @ w) ** 2).sum()
    loss.backward()
    edges = _edges(_render(loss, tmp_path, "mixed"))
    entries, kept = _summary(x_np.T @ (2 * x_np @ w_np))
    assert _edge_to(edges, "inputᵀ") == ["inputᵀ @ (matmul result grad)", f"= {entries}", kept]
    # all 1 (2, 10) prints whole and stays a number; the result does not: x by its name
    loss = (x @ w).sum()
    loss.backward()
    edges = _edges(_render(loss, tmp_path, "ones"))
    entries, kept = _summary(x_np.T @ np.ones((2, 10)))
    lines = _edge_to(edges, "inputᵀ")
    assert lines[0] == "inputᵀ @ all 1 (2, 10)", lines
    assert " ".join(lines[1:]) == f"= {entries} {kept}", lines
    # all small: numbers, as before (x's matrix, the gradient's)
    w2 = tg.Tensor(w_np[:, :2], requires_grad=True)
    loss = ((x @ w2) ** 2).sum()
    loss.backward()
    text = " ".join(_edge_to(_edges(_render(loss, tmp_path, "small")), f"{x_np[0, 0]:.4g}"))
    grad = x_np.T @ (2 * x_np @ w_np[:, :2])
    assert "input" not in text and "grad)" not in text and "ᵀ @" in text, text
    assert all(f"{v:.4g}" in text for v in grad.reshape(-1)), text


def test_mnists_linear_weight_reads_its_results_gradient_transposed_times_images(tmp_path):
    layer = nn.Linear(30, 10, bias=False, seed=0)
    rng = np.random.default_rng(2)
    images_np, labels_np = rng.random((4, 30)), rng.random((4, 10))
    images, labels = tg.Tensor(images_np, name="images"), tg.Tensor(labels_np, name="labels")
    loss = ((layer(images) - labels) ** 2).sum() / 2
    loss.backward()
    edges = _edges(_render(loss, tmp_path, "mnist", model=layer))
    delta = images_np @ np.asarray(layer.weight.data).T - labels_np
    entries, kept = _summary(delta.T @ images_np)
    lines = _edge_to(edges, "(Linear(30 -> 10) result grad)ᵀ")
    assert lines[0] == "(Linear(30 -> 10) result grad)ᵀ @ images", lines
    assert " ".join(lines[1:]) == f"= {entries} {kept}", lines  # (its range on one line or two)
    np.testing.assert_allclose(layer.weight.grad.data, delta.T @ images_np)


def test_elementwise_ops_name_their_textbook_derivative(tmp_path):
    rng = np.random.default_rng(3)
    a_np = rng.normal(size=(4, 10))
    a = tg.Tensor(a_np, requires_grad=True, name="a")
    t = a.tanh()
    loss = (t.relu() * t).sum()
    loss.backward()
    edges = _edges(_render(loss, tmp_path, "elementwise"))
    th = np.tanh(a_np)
    upstream = 2 * np.maximum(th, 0)  # d loss / d tanh result: relu(t) * t, t used twice
    entries, kept = _summary(upstream * (1 - th ** 2))
    lines = _edge_to(edges, "(tanh result grad)")
    assert lines[0] == "(tanh result grad) × (1 - tanh²)", lines
    assert " ".join(lines[1:]) == f"= {entries} {kept}", lines
    lines = _edge_to(edges, "(relu result grad)")
    assert lines[0] == "(relu result grad) × (1 where (tanh result) > 0, else 0)", lines
    entries, kept = _summary(th * (th > 0))
    assert " ".join(lines[1:]) == f"= {entries} {kept}", lines


def test_a_one_number_results_big_derivative_is_on_its_node_and_named_on_its_edge(tmp_path):
    rng = np.random.default_rng(4)
    a_np = rng.normal(size=(4, 10))
    a = tg.Tensor(a_np, requires_grad=True, name="a")
    loss = a.norm()
    loss.backward()
    path = _render(loss, tmp_path, "norm")
    entries, kept = _summary(a_np / np.linalg.norm(a_np))
    assert _nodes(path)["norm"] == ["norm", f"∂/∂a = {entries}", kept]
    assert _edge_to(_edges(path), "1 × ") == ["1 × ∂/∂a", f"= {entries}", kept]


def test_a_step_by_step_pages_frames_are_one_size_with_products_in_names(tmp_path):
    # a frame hides what the pass has not reached in a colour the page hides, a piece of
    # text per run: Graphviz measured each run on its own and the frames differed in size
    model = nn.Sequential(nn.Linear(30, 8, seed=0), nn.ReLU(), nn.Linear(8, 10, seed=1))
    rng = np.random.default_rng(5)
    loss = ((model(tg.Tensor(rng.random((4, 30)))) - tg.Tensor(rng.random((4, 10)))) ** 2
            ).mean()
    loss.backward()
    steps = tg.backward_steps(loss, tmp_path / "steps.html", model=model)
    sizes = {re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', frame).groups()
             for frame in steps.frames}
    assert len(steps.frames) > 5 and len(sizes) == 1, sizes
    last = html.unescape(re.sub(r"<[^>]*>", "", steps.frames[-1]))
    assert "(2: Linear(8 -> 10) result grad)ᵀ @ (1: ReLU result)" in last


def test_a_name_other_drawn_nodes_share_is_not_written_in_a_product(tmp_path):
    # h = a * b and z = h * g are both "mul result": `(mul result grad) × (mul of
    # constants)` on h's edge read as h's own gradient times g, the upper node's meant
    rng = np.random.default_rng(5)
    a_np, b_np, c_np, d_np = (rng.random((4, 10)) for _ in range(4))
    a = tg.Tensor(a_np, requires_grad=True, name="a")
    b, c, d = (tg.Tensor(v, name=n) for v, n in ((b_np, "b"), (c_np, "c"), (d_np, "d")))
    loss = (((a * b) * (c * d)) ** 2).sum()
    loss.backward()
    path = _render(loss, tmp_path, "three_mul")
    edges = _edges(path)
    # (since the thirty-eighth round the three are numbered, `mul result #1` to `#3`, one
    # node each: a product may name one; the bare shared title, never)
    written = " ".join(" ".join(lines) for lines in edges.values())
    assert not re.search(r"mul result(?! #)", written), edges
    titles = _nodes(path)
    assert all(f"mul result #{k}" in titles for k in re.findall(r"mul result #(\d)", written))
    z = a_np * b_np * c_np * d_np
    for grad in (2 * z, 2 * z * c_np * d_np, 2 * z * c_np * d_np * b_np):  # z, h, a
        entries, kept = _summary(grad)
        assert [entries, kept] in edges.values() or any(
            lines[-2:] == [f"= {entries}", kept] for lines in edges.values()), (grad, edges)
    # two bare matmuls: neither "matmul result" named, the one relu result still is
    rng = np.random.default_rng(4)
    x_np, w1_np, w2_np = rng.random((4, 30)), rng.normal(size=(30, 8)), rng.normal(size=(8, 10))
    w1 = tg.Tensor(w1_np, requires_grad=True, name="w1")
    w2 = tg.Tensor(w2_np, requires_grad=True, name="w2")
    loss = ((tg.Tensor(x_np, name="x") @ w1).relu() @ w2).sum()
    loss.backward()
    path = _render(loss, tmp_path, "two_matmuls")
    edges = _edges(path)
    written = " ".join(" ".join(lines) for lines in edges.values())  # (numbered, as above)
    assert not re.search(r"matmul result(?! #)", written), edges
    assert {"matmul result #1", "matmul result #2"} <= set(_nodes(path)), edges
    delta = (x_np @ w1_np > 0) * (np.ones((4, 10)) @ w2_np.T)
    entries, kept = _summary(x_np.T @ delta)
    assert " ".join(_edge_to(edges, "xᵀ @ ")) == \
        f"xᵀ @ (matmul result #1 grad) = {entries} {kept}", edges
    entries, kept = _summary(np.maximum(x_np @ w1_np, 0).T @ np.ones((4, 10)))
    assert " ".join(_edge_to(edges, "(relu result)ᵀ @ ")) == \
        f"(relu result)ᵀ @ all 1 (4, 10) = {entries} {kept}"


def test_an_operand_sharing_its_array_with_the_other_is_named_by_its_own_node(tmp_path):
    # c = x.detach() holds x's array: matched by the array, x's edge read `@ xᵀ`
    x_np = np.random.default_rng(9).random((5, 5))
    x = tg.Tensor(x_np, requires_grad=True, name="x")
    c = x.detach()
    c.name = "frozen copy"
    loss = ((x @ c) ** 2).sum()
    loss.backward()
    entries, kept = _summary(2 * (x_np @ x_np) @ x_np.T)
    lines = _edge_to(_edges(_render(loss, tmp_path, "shared")), "(matmul result grad) @ ")
    assert lines == ["(matmul result grad) @ (frozen copy)ᵀ", f"= {entries}", kept], lines
    np.testing.assert_allclose(x.grad.data, 2 * (x_np @ x_np) @ x_np.T)


def test_a_step_pages_frames_are_one_size_with_a_transpose_beside_a_summary(tmp_path):
    # `all 1 (4, 30)ᵀ @ (matmul result grad)`: hidden, its ᵀ and ` @ ` ran in other pieces
    # than shown, and Graphviz drew the first two frames 1 pt wider than the last two
    x = tg.Tensor(np.ones((4, 30)), name="x")
    w_np = np.random.default_rng(0).random((30, 10))
    w = tg.Tensor(w_np, requires_grad=True, name="w")
    loss = ((x @ w) ** 2).sum()
    loss.backward()
    steps = tg.backward_steps(loss, tmp_path / "steps.html")
    sizes = {re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', frame).groups()
             for frame in steps.frames}
    assert len(steps.frames) > 2 and len(sizes) == 1, sizes
    last = html.unescape(re.sub(r"<[^>]*>", "", steps.frames[-1]))
    assert "all1(4,30)ᵀ@(matmulresultgrad)" in re.sub(r"\s+", "", last), last
    shown = re.search(r"= \[([^,]+), ([^,]+), ([^,]+), …\]", last).groups()
    want = (np.ones((30, 4)) @ (2 * np.ones((4, 30)) @ w_np)).reshape(-1)[:3]
    np.testing.assert_allclose([float(v) for v in shown], want, rtol=1e-3)


def test_past_max_nodes_the_rest_box_says_how_many_and_the_notes_how_to_draw_them(tmp_path):
    # the box said "pass max_nodes=None to draw all": with module calls folded that draws
    # every call as a box still; the notes say both options, once
    layers = [nn.Linear(2, 2, seed=k) for k in range(12)]
    h = tg.Tensor(np.ones((1, 2)), name="x")
    for layer in layers:
        h = layer(h).tanh()
    loss = h.sum()
    loss.backward()
    model = nn.ModuleList(layers)
    path = _render(loss, tmp_path, "rest", model=model, max_nodes=10)
    [rest] = [lines for first, lines in _nodes(path).items() if "more nodes folded" in first]
    assert re.fullmatch(r"\d+ more nodes folded", rest[0]), rest  # (then what it holds)
    assert all(re.fullmatch(r"holds \w+ result #\d+(-#\d+)?(, #\d+(-#\d+)?)*", line)
               for line in rest[1:]), rest
    said = " ".join(html.unescape(t.text or "")
                    for t in ET.parse(path).getroot().iter(_SVG + "text"))
    assert said.count("max_nodes=None") == 1
    assert "(max_nodes=None and open_modules=True draw every node)" in re.sub(r"\s+", " ", said)
    unfolded = tg.draw_graph(loss, model=model, max_nodes=None).source
    assert "module call:" in unfolded and "more nodes folded" not in unfolded


def test_a_formula_that_is_a_product_reads_without_parentheses_after_a_modules_title(tmp_path):
    # `× (2 × (Linear(30 -> 10) result))` where matmul's read `× 2 × (matmul result)`: the
    # title's own brackets were taken for more than a product
    layer = nn.Linear(30, 10, seed=0)
    x_np = np.random.default_rng(2).random((4, 30))
    loss = (layer(tg.Tensor(x_np, name="images")) ** 2).sum()
    loss.backward()
    edges = _edges(_render(loss, tmp_path, "square", model=layer, open_modules=True))
    result = x_np @ np.asarray(layer.weight.data).T + np.asarray(layer.bias.data)
    entries, kept = _summary(2 * result)
    assert _edge_to(edges, "all 1 (4, 10) × ") == [
        "all 1 (4, 10) × 2 × (Linear(30 -> 10) result)", f"= {entries}", kept]
    loss = layer(tg.Tensor(x_np, name="images")).exp().sum()
    loss.backward()
    edges = _edges(_render(loss, tmp_path, "exp", model=layer, open_modules=True))
    entries, kept = _summary(np.exp(result))
    assert _edge_to(edges, "all 1 (4, 10) × ") == [
        "all 1 (4, 10) × exp(Linear(30 -> 10) result)", f"= {entries}", kept]


def test_a_derivative_no_node_writes_names_the_result_it_is_of(tmp_path):
    # `(sin result grad) × ∂/∂x` under a node that says only "sin": ∂/∂x was defined nowhere
    rng = np.random.default_rng(6)
    x_np, e_np = rng.random((4, 10)) + 0.5, rng.random((4, 10)) + 1
    x = tg.Tensor(x_np, requires_grad=True, name="x")
    loss = (x.sin() * x.abs()).sum()
    loss.backward()
    edges = _edges(_render(loss, tmp_path, "sin"))
    entries, kept = _summary(np.abs(x_np) * np.cos(x_np))
    assert _edge_to(edges, "(sin result grad) × ") == [
        "(sin result grad) × ∂(sin result)/∂x", f"= {entries}", kept]
    # x ** e of a tensor exponent: a derivative for each input, no textbook form
    e = tg.Tensor(e_np, requires_grad=True, name="e")
    loss = (x ** e).exp().sum()
    loss.backward()
    edges = _edges(_render(loss, tmp_path, "pow"))
    upstream = np.exp(x_np ** e_np)
    for name, grad in (("x", upstream * e_np * x_np ** (e_np - 1)),
                       ("e", upstream * x_np ** e_np * np.log(x_np))):
        entries, kept = _summary(grad)
        assert [f"(pow result grad) × ∂(pow result)/∂{name}", f"= {entries}", kept] in \
            edges.values(), edges


class _Block(nn.Module):
    """One long-named projection applied twice: its results `... result #1` and `#2`."""

    def __init__(self):
        super().__init__()
        self.shared_projection = nn.Linear(10, 10, seed=0)

    def forward(self, x):
        return self.shared_projection(self.shared_projection(x).tanh())


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder_residual_block = _Block()

    def forward(self, x):
        return self.encoder_residual_block(x)


def test_a_cut_title_keeps_its_number_that_the_products_name(tmp_path):
    # the titles were cut at 60 characters, `... Linear(10 -> 10...` twice, while the edges
    # wrote `(... result #1 grad)` and `#2`: which node is #1 could not be seen
    net = _Net()
    x_np = np.random.default_rng(0).random((4, 10))
    loss = (net(tg.Tensor(x_np, name="x")) ** 2).sum()
    loss.backward()
    path = _render(loss, tmp_path, "twice", model=net, open_modules=True)
    title = "encoder_residual_block.shared_projection: Linear(10 -> 10) result"
    numbered = sorted(first for first in _nodes(path)  # (the results, not the box headings)
                      if first.startswith(title[:50]) and "..." in first)
    cut = title[:60 - 3 - 3] + "..."  # (60 characters in all, as any long name)
    assert numbered == [f"{cut} #1", f"{cut} #2"], numbered
    edges = _edges(path)
    for k in (1, 2):
        assert any(lines and lines[0].startswith(f"({title} #{k} grad)ᵀ @ ")
                   for lines in edges.values()), edges


def test_names_that_are_cut_alike_are_not_written_in_a_product(tmp_path):
    # two names alike in their first 57 characters draw one title, `..._normalisation_...`:
    # a product that names either would lead to both nodes
    rng = np.random.default_rng(4)
    base = "activations_of_the_second_hidden_layer_before_normalisation_"
    x_np, w_np = rng.random((4, 30)), rng.random((30, 10))
    x = tg.Tensor(x_np, name=base + "left")
    w = tg.Tensor(w_np, requires_grad=True, name="w")
    y = tg.Tensor(rng.random((4, 10)), requires_grad=True, name=base + "right")
    loss = (x @ w).sum() + (y * 2).sum()
    loss.backward()
    entries, kept = _summary(x_np.T @ np.ones((4, 10)))
    assert [entries, kept] in _edges(_render(loss, tmp_path, "alike")).values()
    y = tg.Tensor(y.data, requires_grad=True, name="y")
    loss = (x @ w).sum() + (y * 2).sum()
    loss.backward()
    assert [f"{base}leftᵀ @ all 1 (4, 10)", f"= {entries}", kept] in \
        _edges(_render(loss, tmp_path, "unlike")).values()


def test_a_step_pages_frames_are_one_size_with_a_transpose_in_numbers(tmp_path):
    # `all 1 (2, 3)ᵀ @ all 1 (2, 2) = all 2 (3, 2)`: its `ᵀ @ ` one piece where hidden and
    # shown alike, Graphviz drew the frames 1 pt apart (373 and 372 pt wide)
    w_np = np.random.default_rng(3).random((3, 2))
    w = tg.Tensor(w_np, requires_grad=True, name="w")
    loss = (tg.Tensor(np.ones((2, 3)), name="x") @ w).sum()
    loss.backward()
    layer = nn.Linear(30, 1, seed=0)
    square = (layer(tg.Tensor(np.ones((4, 30)), name="x")) ** 2).sum()
    square.backward()
    for name, drawn, options in (("matmul", loss, {}), ("linear", square, {"model": layer})):
        steps = tg.backward_steps(drawn, tmp_path / f"{name}.html", **options)
        sizes = {re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', frame).groups()
                 for frame in steps.frames}
        assert len(steps.frames) > 2 and len(sizes) == 1, (name, sizes)
    delta = 2 * (np.ones((4, 30)) @ np.asarray(layer.weight.data).T + layer.bias.data)
    weights = (delta.T @ np.ones((4, 30)))[0, 0]
    last = re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]*>", "", steps.frames[-1])))
    assert f"all{delta[0, 0]:.4g}(4,1)ᵀ@all1(4,30)=all{weights:.4g}(1,30)" in last, last


def test_a_derivative_no_node_writes_brackets_an_input_of_several_words(tmp_path):
    # `× ∂(sin result)/∂mul result` read as `∂(sin result)/∂mul` times `result`
    rng = np.random.default_rng(1)
    a_np, c_np = rng.random((4, 10)) + 0.5, rng.random((4, 10)) + 0.5
    a = tg.Tensor(a_np, requires_grad=True, name="a")
    loss = (a * tg.Tensor(c_np, name="c")).sin().sum()
    loss.backward()
    entries, kept = _summary(np.cos(a_np * c_np))
    assert ["all 1 (4, 10) × ∂(sin result)/∂(mul result)", f"= {entries}", kept] in \
        _edges(_render(loss, tmp_path, "sin")).values()


def test_a_formula_naming_x2_is_written_beside_another_node_named_x(tmp_path):
    # the names a formula uses were found by substring: `x` is in `x2`, and two nodes
    # named x made `all 1 (4, 10) × x2` look ambiguous: the edge showed its value alone
    rng = np.random.default_rng(1)
    x_np, other_np, x2_np = rng.random((4, 10)), rng.random((4, 10)), rng.random((4, 10))
    x = tg.Tensor(x_np, requires_grad=True, name="x")
    other = tg.Tensor(other_np, requires_grad=True, name="x")
    loss = (x * tg.Tensor(x2_np, name="x2")).sum() + (other * 3).sin().sum()
    loss.backward()
    entries, kept = _summary(x2_np)
    assert ["all 1 (4, 10) × x2", f"= {entries}", kept] in \
        _edges(_render(loss, tmp_path, "x2")).values()

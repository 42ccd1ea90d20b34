"""What a learner reads at a glance in a diagram, the thirty-fourth round, read from the
rendered SVG (where each text and each matrix's border is drawn) and the DOT text.

- A `data [..]` or `grad [..]` line whose small matrix is narrower than the node's title
  was stretched to the title's width: the matrix's columns spread across the node and the
  word sat far from its table. The line keeps its natural width, centred; a node's data
  and gradient matrices start at one x, each beside its word.
- A folded module call's box said `(open_modules=True draws them)`, the blog MLP's
  backward view five times: the option is said once, in the notes under the drawing, and
  each box says how many nodes it holds. What the notes say draws every node does.

Numbers are checked against NumPy, never against the drawing code.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

from test_graph_labels import needs_dot

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"
_MATRIX = "#868e96"  # the outline of a matrix's table in a label


def _nodes(path) -> dict[str, ET.Element]:
    """The rendered SVG's node groups by their first text (a tensor's name)."""
    found = {}
    for g in ET.parse(path).getroot().iter(_SVG + "g"):
        texts = [t.text for t in g.iter(_SVG + "text")]
        if g.get("class") == "node" and texts:
            found[texts[0]] = g
    return found


def _texts(g: ET.Element) -> list[tuple[str, float, float]]:
    """(text, x, y) of each text of a node: where its start is drawn."""
    return [(t.text or "", float(t.get("x")), float(t.get("y"))) for t in g.iter(_SVG + "text")]


def _matrices(g: ET.Element) -> list[tuple[float, float, float, float]]:
    """Each matrix's border in a node: left, top, right, bottom."""
    found = []
    for p in g.iter(_SVG + "polygon"):
        if p.get("stroke") == _MATRIX:
            xy = np.array([[float(v) for v in point.split(",")]
                           for point in p.get("points").split()])
            found.append((xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()))
    return sorted(found, key=lambda box: box[1])


def _in(box, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _read_matrix(g: ET.Element, box) -> np.ndarray:
    """The numbers drawn inside a matrix's border, row by row."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for text, x, y in _texts(g):
        if _in(box, x, y):
            rows.setdefault(y, []).append((x, text))
    return np.array([[float(t) for _, t in sorted(row)] for _, row in sorted(rows.items())])


def _word_and_matrix(path, name: str, word: str):
    """Where `word` (data, grad) starts in the node titled `name`, and the border and the
    numbers of the matrix on its line."""
    g = _nodes(path)[name]
    (x, y), = [(x, y) for text, x, y in _texts(g) if text.strip() == word]
    box, = [b for b in _matrices(g) if b[1] <= y <= b[3]]
    return x, box, _read_matrix(g, box)


def _drawn(tmp_path, title: str, x: np.ndarray, scale: np.ndarray):
    """`sum(w * scale)` for w = x named `title`, its backward view rendered: where the node
    of w draws its data and gradient, each word and its matrix."""
    w = tg.Tensor(x, requires_grad=True, name=title)
    loss = (w * tg.Tensor(scale, name="scale")).sum()
    loss.backward()
    path = tg.render_graph(tg.draw_graph(loss, mode="backward"), tmp_path / "w.svg")
    return {word: _word_and_matrix(path, title, word) for word in ("data", "grad")}


_X = np.array([[0.25, -1.5, 3.0], [0.125, 2.0, -0.75]])
_SCALE = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def test_a_matrix_under_a_long_title_stays_beside_its_word_at_its_own_width(tmp_path):
    long = "the weights of the first layer, as the slides name them"
    shown, short = _drawn(tmp_path, long, _X, _SCALE), _drawn(tmp_path, "w", _X, _SCALE)
    for word, values in (("data", _X), ("grad", _SCALE)):  # d sum(w * s) / dw = s
        (start, box, numbers), (start_short, box_short, _) = shown[word], short[word]
        np.testing.assert_allclose(numbers, values)
        # the word as far from its matrix, the matrix as wide, under either title
        assert box[0] - start == pytest.approx(box_short[0] - start_short, abs=0.5), word
        assert box[2] - box[0] == pytest.approx(box_short[2] - box_short[0], abs=0.5), word
    # the gradient's matrix starts where the data's does, each beside its word
    assert shown["data"][1][0] == pytest.approx(shown["grad"][1][0], abs=0.5)


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_a_modules_parameter_reads_data_beside_its_matrix(tmp_path, mode):
    model = nn.Sequential(nn.Linear(3, 2, bias=False))
    model[0].weight.data = _X.copy()
    inputs = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0], [2.0, 1.0, 4.0]])
    loss = (model(tg.Tensor(inputs, name="x")) * tg.Tensor(np.ones((3, 2)))).sum()
    loss.backward()
    path = tg.render_graph(tg.draw_graph(loss, model=model, mode=mode, open_modules=True),
                           tmp_path / "model.svg")
    short = _drawn(tmp_path, "w", _X, _SCALE)
    grad_word = ".grad" if mode == "forward" else "grad"
    for word, values in (("data", _X), (grad_word, np.ones((3, 2)).T @ inputs)):
        start, box, numbers = _word_and_matrix(path, "0.weight", word)
        np.testing.assert_allclose(numbers, values, rtol=1e-3)  # (4 digits drawn)
        start_short, box_short, _ = short["data"]
        # (".grad" is one character wider than "data": its matrix starts where data's does)
        if word == "data":
            assert box[0] - start == pytest.approx(box_short[0] - start_short, abs=0.5)
        else:
            assert box[0] == pytest.approx(_word_and_matrix(path, "0.weight", "data")[1][0],
                                           abs=0.5)


# ---------------------------------------------------------------------------------------
# A folded module call: its node count in every box, the option that opens it once


def _all_texts(path) -> list[str]:
    return [t.text or "" for t in ET.parse(path).getroot().iter(_SVG + "text")]


def _blog_mlp():
    from tinygrad_gd.examples import blog_mlp

    return blog_mlp.graph_step(0)


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_the_blog_mlps_boxes_say_their_node_counts_and_the_notes_say_once_what_opens_them(
        tmp_path, mode):
    loss, params = _blog_mlp()
    texts = _all_texts(tg.render_graph(tg.draw_graph(loss, params=params, mode=mode),
                                       tmp_path / "folded.svg"))
    counts = [int(m[1]) for t in texts for m in [re.fullmatch(r"module call: (\d+) nodes",
                                                              t.strip())] if m]
    assert len(counts) == 5  # Linear, ReLU, Linear, ReLU, Linear
    assert sum("open_modules=True" in t for t in texts) == 1, texts
    note = " ".join(t.strip() for t in texts if t.strip()).split(" nodes folded")[0]
    folded, total = map(int, re.search(r"(\d+) of (\d+)$", note).groups())
    assert sum(counts) == folded
    # what the notes say opens the boxes does: every node drawn, no box, no note
    opened = tg.render_graph(tg.draw_graph(loss, params=params, mode=mode, open_modules=True),
                             tmp_path / "open.svg")
    texts = _all_texts(opened)
    assert not any("module call" in t or "folded" in t for t in texts)
    drawn = [g for g in ET.parse(opened).getroot().iter(_SVG + "g") if g.get("class") == "node"
             and not g.find(_SVG + "title").text.startswith("heading")]  # (a frame's title)
    assert len(drawn) == total


def test_past_max_nodes_the_notes_say_both_options_and_both_draw_every_node(tmp_path):
    layers = [nn.Linear(2, 2, seed=k) for k in range(12)]
    h = tg.Tensor(np.ones((1, 2)), name="x")
    for layer in layers:
        h = layer(h).tanh()
    loss = h.sum()
    model = nn.ModuleList(layers)
    source = tg.draw_graph(loss, model=model, max_nodes=10).source
    said = re.sub(r"<BR[^>]*>", " ", source.splitlines()[-2])
    assert "(max_nodes=None and open_modules=True draw every node)" in said, said
    assert source.count("open_modules=True") == 1  # (not in each box)
    source = tg.draw_graph(loss, model=model, max_nodes=None, open_modules=True).source
    assert "folded" not in source and "module call" not in source
    # with open_modules=True alone the module calls fold only past max_nodes: it says so
    said = re.sub(r"<BR[^>]*>", " ", tg.draw_graph(loss, model=model, max_nodes=10,
                                                   open_modules=True).source.splitlines()[-2])
    assert "(max_nodes=None draws every node)" in said and "open_modules" not in said, said


# ---------------------------------------------------------------------------------------
# An edge's label that begins with a matrix


def _edge(path, tooltip_start: str) -> ET.Element:
    """The edge group of the rendered SVG whose tooltip begins with `tooltip_start`."""
    link = "{http://www.w3.org/1999/xlink}title"
    found = [g for g in ET.parse(path).getroot().iter(_SVG + "g") if g.get("class") == "edge"
             and any((a.get(link) or "").startswith(tooltip_start) for a in g.iter(_SVG + "a"))]
    assert len(found) == 1, tooltip_start
    return found[0]


def test_an_edges_matrix_stands_clear_of_the_edge_not_read_as_a_second_line(tmp_path):
    # the multi-in-out network's step: (weights * input).sum(axis=1), half the squared error
    weights = tg.Tensor([[0.1, 0.1, -0.3], [0.1, 0.2, 0.0], [0.0, 1.3, 0.1]],
                        requires_grad=True, name="weights")
    given = tg.Tensor([8.5, 0.65, 1.2], name="input")
    pred = (weights * given).sum(axis=1)
    error = pred - tg.Tensor([0.1, 1.0, 0.1], name="true")
    loss = (error ** 2).sum() * 0.5
    loss.backward()
    path = tg.render_graph(tg.draw_graph(loss, mode="backward"), tmp_path / "mio.svg")
    g = _edge(path, "gradient from mul result to op mul")
    box, = _matrices(g)  # the gradient d loss / d (weights * input): error copied along rows
    expected = np.repeat((weights.data @ given.data - [0.1, 1.0, 0.1])[:, None], 3, axis=1)
    np.testing.assert_allclose(_read_matrix(g, box), expected, atol=5e-4)
    numbers = [float(v) for v in re.findall(r"-?\d+\.?\d*", g.find(f".//{_SVG}path").get("d"))]
    beside = [x for x, y in zip(numbers[0::2], numbers[1::2]) if box[1] <= y <= box[3]]
    assert beside, numbers
    # the border a clear gap right of the edge (it was 4.5 points, a double line at a glance)
    assert min(box[0] - x for x in beside) >= 8, (box, beside)

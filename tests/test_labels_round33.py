"""What a reader sees of a text written beside a matrix in a label: in the backward view's
`× (1 - [..]²)`, the `²)` right after the matrix's border, clear of it and inside the label.

It was drawn on the border: the cell after a matrix's table began exactly at its border,
so a `²`, `)` or `ᵀ` touched the border's stroke (at 96 dpi `²)` merged into it), and where
Graphviz stretched a line to its label's width it shared the room among the line's
cells, so a text after a matrix drifted right of it.

Read from the SVG `render_graph` writes: where each text is anchored and each matrix's
border (its table's grey outline) is drawn; how wide a text is, the SVG does not say, so
its width is Graphviz's own measure, from Graphviz's JSON layout of the same DOT text, and
so is a label's own room: a node's box, or an edge label's size laid out alone around
the point the layout sets it at.
"""
from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

from test_graph_labels import needs_dot

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"
_MATRIX = "#868e96"  # the outline of a matrix's table in a label
_CLEAR = 1.0  # points from a border to a text that touches it: past the border's stroke
_NEAR = 3.0  # points from a border to the text after it: the text reads with its matrix
_CAP = 0.75  # a capital's height, of the font size: how far a text reaches above its baseline


@dataclass
class _Label:
    owner: str  # the node (`t0`) or the edge (`f1->t0`) it belongs to
    room: tuple[float, float, float, float]  # its own box: left, top, right, bottom
    texts: list[tuple[str, float, float, float, float]]  # text, left, right, baseline, size
    matrices: list[tuple[float, float, float, float]]  # each matrix's border


def _json(source: str) -> dict:
    return json.loads(subprocess.run(["dot", "-Tjson"], input=source.encode(),
                                     capture_output=True, check=True).stdout)


def _label_size(label: str) -> tuple[float, float]:
    """An edge label's width and height as Graphviz sizes it: laid out alone."""
    alone = _json(f'digraph {{ n [shape=plaintext margin=0 width=0 height=0 '
                  f'fontname=Helvetica fontsize=9 label=<{label}>] }}')["objects"][0]
    return float(alone["width"]) * 72, float(alone["height"]) * 72


def _labels(digraph, tmp_path, name: str) -> list[_Label]:
    """Every label of the drawing, rendered to SVG, with its texts and matrices."""
    source = digraph.source
    root = ET.parse(tg.render_graph(digraph, tmp_path / f"{name}.svg")).getroot()
    layout = _json(source)
    names = {o["_gvid"]: o["name"] for o in layout["objects"]}
    measured = {}  # owner -> (text widths in drawing order, its room in SVG coordinates)
    for o in layout["objects"]:
        if "pos" in o:  # (a node; a frame has none)
            w, h = float(o["width"]) * 72, float(o["height"]) * 72
            measured[o["name"]] = (o.get("_ldraw_", []), o["pos"], w, h)
    for e in layout.get("edges", []):
        if "lp" in e:
            owner = f"{names[e['tail']]}->{names[e['head']]}"
            assert owner not in measured
            measured[owner] = (e["_ldraw_"], e["lp"], *_label_size(e["label"]))
    labels = []
    for g in root.iter(_SVG + "g"):
        if g.get("class") not in ("node", "edge"):
            continue
        owner = g.find(_SVG + "title").text
        if owner not in measured:  # (an edge with no label)
            assert g.find(_SVG + "text") is None
            continue
        ops, centre, w, h = measured[owner]
        widths = [(op["text"], op["width"]) for op in ops if op["op"] == "T"]
        texts = []
        shown = list(g.iter(_SVG + "text"))
        assert [t.text for t in shown] == [text for text, _ in widths]
        for t, (_, width) in zip(shown, widths):
            x, y, size = float(t.get("x")), float(t.get("y")), float(t.get("font-size"))
            left = x - {"start": 0, "middle": width / 2, "end": width}[
                t.get("text-anchor", "start")]
            texts.append((t.text, left, left + width, y, size))
        matrices = []
        for shape in g.iter(_SVG + "polygon"):
            if shape.get("stroke") == _MATRIX and shape.get("fill") == "none":
                numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", shape.get("points"))]
                xs, ys = numbers[0::2], numbers[1::2]
                matrices.append((min(xs), min(ys), max(xs), max(ys)))
        cx, cy = (float(n) for n in centre.split(","))  # (the SVG's y runs downwards)
        labels.append(_Label(owner, (cx - w / 2, -cy - h / 2, cx + w / 2, -cy + h / 2),
                             texts, matrices))
    return labels


def _beside(label: _Label) -> list[tuple[str, str, float]]:
    """Each matrix's texts on its line: (which side, the text, points from the border) for
    the text right after it, each text following that one ("next": points from the text
    before it) up to the next matrix, and the text before it."""
    found = []
    for left, top, right, bottom in label.matrices:
        line = sorted((t for t in label.texts if top < t[3] < bottom
                       and not (left < t[1] < right)), key=lambda t: t[1])
        after = [t for t in line if t[1] >= right - 1]
        before = [t for t in line if t[2] <= left + 1]
        later = [m[0] for m in label.matrices if m[0] > right and m[1] < bottom and m[3] > top]
        for k, t in enumerate(after):
            if later and t[1] > min(later):
                break
            found.append(("after" if k == 0 else "next", t[0],
                          t[1] - (right if k == 0 else after[k - 1][2])))
        if before:
            found.append(("before", before[-1][0], left - before[-1][2]))
    return found


def _misdrawn(labels: list[_Label]) -> list[str]:
    """What a reader would see wrong: a text touching a matrix's border (closer than
    `_CLEAR` points, where it has no space of its own there), a text after a matrix more
    than `_NEAR` points from it or from the text before it, a text outside its label."""
    wrong = []
    for label in labels:
        for side, text, gap in _beside(label):
            edge = text[-1] if side == "before" else text[0]
            need = _CLEAR if side != "next" and not edge.isspace() else 0.0
            if gap < need - 0.01 or (side != "before" and gap > _NEAR):
                wrong.append(f"{label.owner}: {text!r} {gap:.1f} pt {side} a matrix")
        x0, y0, x1, y1 = label.room
        for text, left, right, baseline, size in label.texts:
            if left < x0 - 1 or right > x1 + 1 or baseline - _CAP * size < y0 - 1 \
                    or baseline > y1 + 1:
                wrong.append(f"{label.owner}: {text!r} outside its label")
    return wrong


def _texts_after(labels: list[_Label]) -> set[str]:
    return {text for label in labels for side, text, _ in _beside(label) if side != "before"}


# ---------------------------------------------------------------------------------------
# The case reported


def _tanh_program():
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.normal(size=(2, 2)), requires_grad=True)
    y = x.tanh().sum()
    y.backward()
    return x, y


@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_tanh_square_and_parenthesis_right_after_the_matrix(tmp_path, direction):
    x, y = _tanh_program()
    labels = _labels(tg.draw_graph(y, mode="backward", direction=direction), tmp_path, "tanh")
    edge = next(label for label in labels if label.owner == "f1->t0")
    left, top, right, bottom = edge.matrices[0]
    line = sorted((t for t in edge.texts if top < t[3] < bottom), key=lambda t: t[1])
    assert [t[0] for t in line if t[2] <= left + 1] == [" × ", "(", "1 - "]
    assert [t[0] for t in line if t[1] >= right - 1] == ["²", ")"]  # `× (1 - [..]²)`
    square, close = (t for t in line if t[0] in ("²", ")"))
    assert _CLEAR <= square[1] - right <= _NEAR  # clear of the border, beside it
    assert abs(close[1] - square[2]) <= 1  # `²)`, as written
    np.testing.assert_allclose(  # the matrix it follows: tanh's result, 1 - it² the factor
        [float(t[0]) for t in edge.texts if left < t[1] < right and top < t[3] < bottom],
        np.tanh(x.data).reshape(-1), rtol=1e-3)
    assert _misdrawn(labels) == []


# ---------------------------------------------------------------------------------------
# Each formula that writes a text beside a matrix


def _sigmoid():  # `× (1 - [s])` and `[s] × (1 - [s])`
    x = tg.Tensor(np.random.default_rng(1).normal(size=(2, 3)), requires_grad=True)
    return (x.sigmoid() ** 2).sum(), {")"}


def _transposes():  # `[u] @ [b]ᵀ` and `[a]ᵀ @ [u]`
    rng = np.random.default_rng(2)
    a = tg.Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = tg.Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    return ((a @ b) ** 2).sum(), {"ᵀ", " @ "}


def _pow():  # `[u] × 2 × [x] = [g]` on one line: 1x1 matrices
    x = tg.Tensor([[0.75]], requires_grad=True)
    return (x ** 2 * 3.0).sum(), {" = "}


def _quotients():  # `(-[x] / [y]²)`, `-1 / [x]²`, `[x] + [x]` in an op's node
    rng = np.random.default_rng(3)
    x = tg.Tensor(rng.uniform(1, 2, size=(1, 1)), requires_grad=True)
    y = tg.Tensor(rng.uniform(1, 2, size=(1, 1)), requires_grad=True)
    return ((x / (y * y + 1.5)) * x.reciprocal()).sum(), {"²", ")"}


def _frozen_note():  # a frozen entry's note below `× (1 - [..]²)`
    w = nn.Parameter(np.array([[0.3, -0.5], [0.2, 0.9]]))
    w.freeze_((0, 1))
    return w.tanh().sum(), {"²"}


def _under_a_long_line():  # `@ [b]ᵀ` under a gradient of 10 entries written out
    a = tg.Tensor(np.random.default_rng(4).normal(size=(5, 2)), requires_grad=True)
    b = tg.Tensor([[1.0, -0.5], [0.25, 2.0]], requires_grad=True)  # (short at any precision)
    return ((a @ b) ** 2).sum(), {"ᵀ"}


_PROGRAMS = {"sigmoid": _sigmoid, "transposes": _transposes, "pow": _pow,
             "quotients": _quotients, "frozen note": _frozen_note,
             "under a long line": _under_a_long_line}


@pytest.mark.parametrize("direction", ["TB", "LR"])
@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_every_text_beside_a_matrix_reads_with_it(tmp_path, name, direction):
    loss, expected = _PROGRAMS[name]()
    loss.backward()
    precision = 17 if name == "under a long line" else 4  # (its first line 60 characters)
    digraph = tg.draw_graph(loss, mode="backward", direction=direction, precision=precision)
    labels = _labels(digraph, tmp_path, name.replace(" ", "_"))
    assert expected <= _texts_after(labels)  # (the formulas this case is for are drawn)
    assert _misdrawn(labels) == []


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_an_accumulated_grad_reads_with_its_matrix(tmp_path, mode):
    """`.grad [..]` then `(accumulated; this output's own: [..])` in the forward view,
    `.grad [..] (accumulated)` in the backward view: backward() run twice."""
    x = tg.Tensor(np.random.default_rng(5).normal(size=(2, 2)), requires_grad=True)
    for _ in range(2):
        loss = (x.tanh() * 2.0).sum()
        loss.backward()
    labels = _labels(tg.draw_graph(loss, mode=mode), tmp_path, mode)
    node = next(label for label in labels if label.owner == "t0")
    after = {text for side, text, _ in _beside(node) if side == "after"}
    assert after == ({")"} if mode == "forward" else {" (accumulated)"})
    assert _misdrawn(labels) == []


# ---------------------------------------------------------------------------------------
# Random nn programs (test_frames_round33's): layers, Tanh and Sigmoid, losses, frames


@pytest.mark.parametrize("direction", ["TB", "LR"])
@pytest.mark.parametrize("seed", [0, 6, 9, 10])  # (each draws `²)`, `)` and `ᵀ`)
def test_random_programs_texts_beside_matrices(tmp_path, seed, direction):
    from test_frames_round33 import _random_program

    loss, model = _random_program(seed)
    digraph = tg.draw_graph(loss, model=model, mode="backward", open_modules=True,
                            direction=direction)
    labels = _labels(digraph, tmp_path, f"program{seed}")
    assert {"²", ")", "ᵀ"} <= _texts_after(labels)
    assert _misdrawn(labels) == []

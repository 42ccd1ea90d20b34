"""What a reader sees of a module call's frame in a backward diagram: each gradient label
of an edge whose two ends are drawn inside a frame lies inside that frame's dashed
border, read from the rendered SVG.

It ran past the frame's right side: in mnist-single-layer's HalfSSELoss frame,
`0.125 copied to each entry = all 0.125 (4, 10)` ended 68 points outside, and so did
labels in about half of the random `nn` programs drawn here. The label of an edge
between two frames (a layer's result going into the next layer) belongs to the frames
that hold both its ends, and is checked against those only.

Not checked: an edge whose two ends other edges hold apart (a result used twice) runs
diagonally, and dot still sets its label up to half that offset past its room; across a
drawing from left to right, where a label has no padding above it, that put a label's top
line past its frame's top in 2 or 3 of 40 random programs (none of 40 from top to bottom;
padding that fixes it makes those drawings about 11% taller: benchmarks/README.md).

Where a text is drawn (its anchor and baseline) and each frame's border are read from
the SVG `render_graph` writes; how wide a text is, the SVG does not say, so its width is
Graphviz's own measure of it, from Graphviz's JSON layout of the same DOT text.
"""
from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli, nn
from tinygrad_gd.nn import functional as F
from tinygrad_gd.scope import drawn_as_call

from test_graph_labels import needs_dot

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"


def _frames_holding(source: str) -> dict[str, tuple[str, ...]]:
    """Each node of the DOT text -> the frames (`cluster_N`) it is drawn in, outermost
    first, from the nesting of the `subgraph cluster_N {` blocks."""
    stack: list[str] = []
    holding: dict[str, tuple[str, ...]] = {}
    for line in source.splitlines():
        if frame := re.match(r"\s*subgraph (cluster_\d+) \{", line):
            stack.append(frame.group(1))
        elif line.strip() == "}" and stack:
            stack.pop()
        elif (node := re.match(r"\s*(\w+) \[", line)) and node.group(1) not in (
                "node", "edge", "graph"):
            holding[node.group(1)] = tuple(stack)
    return holding


def _borders(root: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    """Each frame's border in the SVG: (left, top, right, bottom) of its outline."""
    borders = {}
    for g in root.iter(_SVG + "g"):
        if g.get("class") != "cluster":
            continue
        shape = next(e for e in g.iter() if e.tag in (_SVG + "path", _SVG + "polygon"))
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?",
                                                 shape.get("d") or shape.get("points"))]
        xs, ys = numbers[0::2], numbers[1::2]
        borders[g.find(_SVG + "title").text] = (min(xs), min(ys), max(xs), max(ys))
    return borders


def _measured(source: str) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """Each edge's label texts as Graphviz measured them: (text, width) in drawing order."""
    layout = json.loads(subprocess.run(["dot", "-Tjson"], input=source.encode(),
                                       capture_output=True, check=True).stdout)
    names = {o["_gvid"]: o["name"] for o in layout["objects"]}
    return {(names[e["tail"]], names[e["head"]]):
            [(op["text"], op["width"]) for op in e.get("_ldraw_", []) if op["op"] == "T"]
            for e in layout.get("edges", [])}


def _labels_outside(digraph, tmp_path, name: str) -> tuple[list[str], int]:
    """Render the drawing to SVG; each text of a label, of an edge between two nodes of a
    frame, not inside every frame holding both ends (how far out, in points), and how
    many such texts there were."""
    source = digraph.source
    svg = tg.render_graph(digraph, tmp_path / f"{name}.svg")
    root = ET.parse(svg).getroot()
    holding, borders, widths = _frames_holding(source), _borders(root), _measured(source)
    outside, checked = [], 0
    for g in root.iter(_SVG + "g"):
        if g.get("class") != "edge":
            continue
        tail, head = g.find(_SVG + "title").text.split("->")
        shared = [f for f, other in zip(holding.get(tail, ()), holding.get(head, ()))
                  if f == other]
        texts = list(g.iter(_SVG + "text"))
        if not shared or not texts:
            continue
        measured = widths[(tail, head)]
        assert [t.text for t in texts] == [text for text, _ in measured]
        for text, (_, width) in zip(texts, measured):
            x, y, size = float(text.get("x")), float(text.get("y")), float(text.get(
                "font-size"))
            left = x - {"start": 0, "middle": width / 2, "end": width}[
                text.get("text-anchor", "start")]
            box = (left, y - size, left + width, y)  # (its baseline at y, its height a size)
            checked += 1
            for frame in shared:
                x0, y0, x1, y1 = borders[frame]
                out = max(x0 - box[0], box[2] - x1, y0 - box[1], box[3] - y1)
                if out > 0:
                    outside.append(f"{name}: {tail}->{head} {text.text!r} {out:.1f} pt "
                                   f"outside {frame}")
    return outside, checked


# ---------------------------------------------------------------------------------------
# The demo's networks


def _demo_step(name: str):
    module = cli.load_examples()[name]
    try:
        return module.graph_step(0)
    except Exception as err:  # the network's data is not here (MNIST's, the digits')
        pytest.skip(f"{name}'s data is not here: {err}")


@pytest.mark.parametrize("name", ["mnist-single-layer", "admissions", "blog-mlp",
                                  "multi-in-out", "multi-output", "slope"])
def test_demo_labels_lie_inside_their_frames(tmp_path, name):
    loss, params = _demo_step(name)
    outside, checked = _labels_outside(tg.draw_graph(loss, params=params, mode="backward"),
                                       tmp_path, name)
    assert outside == []
    if name != "blog-mlp":  # (drawn with its layers as boxes: no frame)
        assert checked > 0


def test_mnist_long_label_is_inside_the_loss_frame(tmp_path):
    """The case reported: the `sum` edge's label in the HalfSSELoss frame."""
    loss, params = _demo_step("mnist-single-layer")
    digraph = tg.draw_graph(loss, params=params, mode="backward")
    assert "0.125 copied to each entry = all 0.125 (4, 10)" in digraph.source
    outside, checked = _labels_outside(digraph, tmp_path, "mnist")
    assert outside == [] and checked > 0


# ---------------------------------------------------------------------------------------
# Random nn programs: layers, nested modules, a declared function, several losses


class _Block(nn.Module):
    def __init__(self, n: int, m: int, seed: int, activation) -> None:
        super().__init__()
        self.lin = nn.Linear(n, m, seed=seed)
        self.act = activation

    def forward(self, x):
        return self.act(self.lin(x))


class _Residual(nn.Module):
    def __init__(self, n: int, seed: int) -> None:
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(n, n, seed=seed), nn.Tanh())

    def forward(self, x):
        return self.inner(x) * 0.5 + x


@drawn_as_call("half_squares()")
def _half_squares(difference):
    return (difference ** 2).sum() * 0.5


def _random_program(seed: int):
    """A random network of 1 to 3 layers (a Linear, a Module of a Linear and an
    activation, a residual Module nesting a Sequential, a Sequential), its loss one of
    four (MSELoss, a declared function, BCE with logits, mse_loss), after backward()."""
    rng = np.random.default_rng(seed)
    n = width = int(rng.integers(2, 6))
    layers = []
    for k in range(int(rng.integers(1, 4))):
        kind, m = rng.choice(["linear", "block", "residual", "sequential"]), int(
            rng.choice([2, 3, 4, 6]))
        if kind == "linear":
            layers.append(nn.Linear(width, m, seed=seed + k))
        elif kind == "block":
            activation = [nn.ReLU(), nn.Sigmoid(), nn.Tanh()][int(rng.integers(3))]
            layers.append(_Block(width, m, seed + k, activation))
        elif kind == "residual":
            layers.append(_Residual(width, seed + k))
            m = width
        else:
            layers.append(nn.Sequential(nn.Linear(width, m, seed=seed + k), nn.ReLU()))
        width = m
    model = nn.Sequential(*layers)
    rows = int(rng.choice([1, 2, 4]))
    x = tg.Tensor(rng.normal(size=(rows, n)))
    target = tg.Tensor(rng.uniform(size=(rows, width)))
    out = model(x)
    loss = [lambda: nn.MSELoss()(out, target), lambda: _half_squares(out - target),
            lambda: F.binary_cross_entropy_with_logits(out, target),
            lambda: F.mse_loss(out, target)][int(rng.integers(4))]()
    loss.backward()
    return loss, model


@pytest.mark.parametrize("seed", range(12))
def test_random_program_labels_lie_inside_their_frames(tmp_path, seed):
    loss, model = _random_program(seed)
    digraph = tg.draw_graph(loss, model=model, mode="backward", open_modules=True)
    outside, checked = _labels_outside(digraph, tmp_path, f"program{seed}")
    assert outside == []
    assert checked > 0


@pytest.mark.parametrize("seed, direction", [(0, "BT"), (9, "LR"), (10, "RL")])
def test_labels_lie_inside_their_frames_in_every_direction(tmp_path, seed, direction):
    loss, model = _random_program(seed)
    digraph = tg.draw_graph(loss, model=model, mode="backward", open_modules=True,
                            direction=direction)
    outside, checked = _labels_outside(digraph, tmp_path, f"{direction}{seed}")
    assert outside == []
    assert checked > 0


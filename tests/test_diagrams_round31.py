"""What a learner sees in diagrams the thirty-first round's audit found misleading, read
from the DOT text and rendered SVGs.

- A module or declared call drawn open: a constant its forward made (`tg.full`,
  `tg.zeros`, an op of such) is drawn inside the call's dashed frame, the frame that made
  it, as its name says (`constant in 0: Scaled`); it stood outside, beside the model's
  input and parameters, as if the user had given it. So is the count a masked mean or
  variance divides by (`count kept by the mask`), inside `masked.mean()`'s frame. The call's parameters, the model's
  input and a constant also used outside the call stay outside, the call's inputs.
- `masked.log_softmax` where one row is left out whole and another only in part: its
  values are PyTorch's, NaN in the first row, -inf (the log of probability 0) at the entry
  left out of the other. It was marked red, `NaN and Inf in data`, though the output was
  finite, and `draw_anomaly` blamed it; it says what its NaN is now, `NaN where the mask
  keeps no entry`, as where no kept row leaves an entry out, and no op is blamed. Where its -inf does reach the output (summed in), the
  output is red, as it should be, and the node says which is which: `Inf in data, NaN
  where the mask keeps no entry`, no longer that the Inf is where the mask keeps none.
- A meant NaN gradient's words put which op stops it on a line of their own, `NaN in
  grad where the mask keeps no entry` over `(op where stops it)`: one long line widened
  the box, spreading its matrices.

Numbers are checked against NumPy formulas or PyTorch, never against the drawing code.
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.scope import drawn_as_call

from test_diagrams_round29 import _nodes, _red_nodes, _render
from test_graph_labels import needs_dot

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"
_EMPTY_ROW = "where the mask keeps no entry"


def _frames_of(source: str) -> dict[str, tuple[str, ...]]:
    """Each node's label text (tags dropped) -> the titles of the frames it is drawn in,
    outermost first, read from the DOT text's nested `subgraph cluster_N` blocks."""
    stack: list[str] = []
    found: dict[str, tuple[str, ...]] = {}
    for line in source.splitlines():
        if re.match(r"\s*subgraph cluster_\d+ \{", line):
            stack.append("")
        elif line.strip() == "}" and stack:
            stack.pop()
        elif heading := re.match(r"\s*heading\d+ \[label=<(.*?)> ", line):
            stack[-1] = re.sub(r"&gt;", ">", heading.group(1))
        elif node := re.match(r"\s*[tf]\d+ \[label=<(.*)> ", line):
            text = re.sub(r"<[^>]*>", " ", node.group(1)).replace("&#160;", " ")
            found[" ".join(text.split())] = tuple(stack)
    return found


def _frame_of(frames: dict[str, tuple[str, ...]], start: str) -> list[tuple[str, ...]]:
    return [where for text, where in frames.items() if text.startswith(start)]


class Scaled(nn.Module):
    """tanh(Linear(x) * 2 + 0), the 2 and the 0 made by tg.full and tg.zeros in forward."""

    def __init__(self, n: int, seed: int) -> None:
        super().__init__()
        self.lin = nn.Linear(n, n, seed=seed)

    def forward(self, x):
        scale, offset = tg.full((x.shape[-1],), 2.0), tg.zeros(x.shape[-1])
        return (self.lin(x) * scale + offset).tanh()


def _scaled_model():
    model = nn.Sequential(Scaled(3, 0), nn.Linear(3, 1, seed=9))
    x = tg.tensor(np.random.default_rng(0).normal(size=(2, 3)))
    out = model(x)
    lin, last = model[0].lin, model[1]
    hidden = np.tanh((x.numpy() @ lin.weight.numpy().T + lin.bias.numpy()) * 2.0)
    np.testing.assert_allclose(out.numpy(), hidden @ last.weight.numpy().T
                               + last.bias.numpy(), rtol=1e-12)
    return model, (out ** 2).mean()


# ------------------------------------------------------------------ constants in their frame


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_a_constant_a_module_call_made_is_drawn_inside_its_frame(mode):
    model, loss = _scaled_model()
    frames = _frames_of(tg.draw_graph(loss, model=model, mode=mode, open_modules=True,
                                      max_nodes=None).source)
    for values in ("[2, 2, 2]", "[0, 0, 0]"):
        assert _frame_of(frames, f"constant in 0: Scaled (3,) data {values}") == [
            ("Sequential", "0: Scaled")], frames
    # the call's inputs stay outside every frame: the model's input and the parameters
    for start in ("input (2, 3)", "0.lin.weight", "0.lin.bias", "1.weight", "1.bias"):
        assert _frame_of(frames, start) == [()], (start, frames)
    assert _frame_of(frames, "output") == [()]
    assert set(_frame_of(frames, "mul")) == {("Sequential", "0: Scaled")}  # its ops, as before


def test_the_constant_is_drawn_within_its_frames_outline_in_the_picture(tmp_path):
    model, loss = _scaled_model()
    path = tg.render_graph(loss, tmp_path / "open.svg", model=model, open_modules=True)
    root = ET.parse(path).getroot()

    def corners(g) -> np.ndarray:
        shape = next(e for e in g.iter() if e.tag in (_SVG + "polygon", _SVG + "path"))
        numbers = re.findall(r"-?\d+\.?\d*", shape.get("points") or shape.get("d"))
        points = np.array([float(v) for v in numbers]).reshape(-1, 2)
        return np.array([points.min(axis=0), points.max(axis=0)])

    frames = {a.get("{http://www.w3.org/1999/xlink}title"): corners(g)  # (its tooltip)
              for g in root.iter(_SVG + "g") if g.get("class") == "cluster"
              for a in g.iter(_SVG + "a")}
    nodes = {" ".join(" ".join((t.text or "").split()) for t in g.iter(_SVG + "text")
                      ).replace("\xa0", " "): corners(g)
             for g in root.iter(_SVG + "g") if g.get("class") == "node"
             and any(e.tag in (_SVG + "path", _SVG + "polygon") for e in g.iter())}
    scaled = frames["0: Scaled"]

    def inside(box) -> bool:
        return bool((box[0] >= scaled[0]).all() and (box[1] <= scaled[1]).all())

    constants = [box for text, box in nodes.items() if text.startswith("constant in 0: Scaled")]
    assert len(constants) == 2 and all(inside(box) for box in constants)
    assert not inside(next(box for text, box in nodes.items() if text.startswith("0.lin.weight")))
    assert not inside(next(box for text, box in nodes.items() if text.startswith("input")))


@drawn_as_call("shifted()")
def shifted(x):
    """x * 3 + a constant made inside: a function declared to be drawn as one call."""
    return x * 3 + tg.full(x.shape, 0.5)


def test_a_constant_a_declared_call_made_is_drawn_inside_its_frame():
    x = tg.tensor([1.0, -2.0, 0.25], requires_grad=True)
    loss = (shifted(x) ** 2).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (x.numpy() * 3 + 0.5) * 3, rtol=1e-15)
    frames = _frames_of(tg.draw_graph(loss, mode="backward").source)
    assert _frame_of(frames, "constant in shifted() (3,) data [0.5, 0.5, 0.5]") == [
        ("shifted()",)], frames
    assert _frame_of(frames, "parameter (3,)") == [()], frames  # what it was given: outside


@pytest.mark.parametrize("name", ["mean", "var"])
def test_a_masked_means_count_is_drawn_inside_its_calls_frame(name):
    # the count (the variance's divisor) masked.mean made stood outside its frame
    x = tg.tensor([[1.0, 2.0, 4.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = tg.tensor([[True, False, True], [True, True, True]])
    result = getattr(tg.masked, name)(x, 1, mask=mask)
    kept = [x.numpy()[0, [0, 2]], x.numpy()[1]]
    expected = [np.mean(k) if name == "mean" else np.var(k, ddof=1) for k in kept]
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-14)
    frames = _frames_of(tg.draw_graph(result.sum()).source)
    divisors = _frame_of(frames, "count kept")  # (the variance's: and count kept - 1)
    assert divisors and set(divisors) == {(f"masked.{name}()",)}, frames
    assert _frame_of(frames, "parameter (2, 3)") == [()]


class Halved(nn.Module):
    """x * half, returning half too: the constant it made is used outside it as well."""

    def forward(self, x):
        half = tg.full(x.shape, 0.5)
        return x * half, half


def test_a_constant_made_in_a_call_and_used_outside_it_stays_outside():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y, half = Halved()(x)
    loss = (y * half).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.25, 0.25])
    frames = _frame_of(_frames_of(tg.draw_graph(loss).source), "input (2,) data [0.5, 0.5]")
    assert frames == [()], frames  # an input of the call and of the mul after it
    assert "constant in" not in tg.draw_graph(loss).source


# ------------------------------------------------------------------ masked.log_softmax


def _rows():
    """Row 0 leaves an entry out, row 1 is left out whole, row 2 keeps every entry."""
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0.0, 1.0, 2.0]], requires_grad=True)
    return x, tg.tensor([[True, False, True], [False, False, False], [True, True, True]])


def _log_softmax_in_numpy(x: np.ndarray, kept: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        shifted = np.where(kept, x, -np.inf)
        top = shifted.max(axis=1, keepdims=True)
        return shifted - top - np.log(np.exp(shifted - top).sum(axis=1, keepdims=True))


def _node(path, start: str) -> str:
    return next(text for text, _, _ in _nodes(path) if text.startswith(start))


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_a_masked_log_softmax_with_a_row_left_out_and_one_in_part_says_what_its_nan_is(
        tmp_path, mode):
    x, mask = _rows()
    result = tg.masked.log_softmax(x, 1, mask=mask)
    expected = _log_softmax_in_numpy(x.numpy(), mask.numpy())
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-14)
    assert np.isneginf(result.numpy()[0, 1]) and np.isnan(result.numpy()[1]).all()
    loss = tg.nansum(tg.where(mask, result, 0.0))  # the kept entries' log-probabilities
    loss.backward()
    softmax = np.exp(expected[[0, 2]])  # d/dx of the kept sum: 1 - k * softmax, 0 left out
    kept = mask.numpy()[[0, 2]]
    np.testing.assert_allclose(x.grad.numpy()[[0, 2]], np.where(
        kept, 1 - kept.sum(axis=1, keepdims=True) * softmax, 0.0), rtol=1e-12)
    assert (x.grad.numpy()[1] == 0).all()
    path, text = _render(loss, tmp_path, mode, mode=mode)
    assert not _red_nodes(path), _red_nodes(path)  # it was red: `NaN and Inf in data`
    assert "in data" not in text
    assert _node(path, "masked.log_softmax() result").endswith(f"NaN {_EMPTY_ROW}")
    if mode == "backward":  # the where that read left-out entries as -inf stops the NaN
        assert any(n.startswith("where result") and "-inf" in n and n.endswith(
            f"NaN in grad {_EMPTY_ROW} (op where stops it)") for n, _, _ in _nodes(path))


def test_draw_anomaly_of_such_a_masked_log_softmax_points_at_nothing(tmp_path):
    # (it pointed at log_softmax, whose values are PyTorch's, in red)
    x, mask = _rows()
    loss = tg.nansum(tg.where(mask, tg.masked.log_softmax(x, 1, mask=mask), 0.0))
    assert math.isfinite(loss.item())
    path = tg.render_graph(tg.draw_anomaly(loss), tmp_path / "anomaly.svg")
    assert not [n for n, _, strokes in _nodes(path) if "#c92a2a" in strokes]
    assert not _red_nodes(path)
    assert any(n.endswith(f"NaN in grad {_EMPTY_ROW} (op where stops it)")
               for n, _, _ in _nodes(path))


def test_a_masked_log_softmax_whose_minus_inf_reaches_the_output_is_red_saying_which_is_which(
        tmp_path):
    x, mask = _rows()
    loss = tg.nansum(tg.masked.log_softmax(x, 1, mask=mask))  # log 0 summed in: -inf
    assert loss.item() == -math.inf
    path, text = _render(loss, tmp_path, "summed")
    red = _red_nodes(path)
    assert any(n.startswith("output data -inf") and n.endswith("Inf in data") for n in red)
    softmax = _node(path, "masked.log_softmax() result")
    assert softmax in red and softmax.endswith(f"Inf in data, NaN {_EMPTY_ROW}")
    assert f"NaN and Inf in data {_EMPTY_ROW}" not in text  # the Inf is not there


def test_a_nan_of_the_users_data_beside_the_minus_inf_is_still_red(tmp_path):
    x = tg.tensor([[math.nan, 2.0, 3.0], [4.0, 5.0, 6.0], [0.0, 1.0, 2.0]],
                  requires_grad=True)
    mask = tg.tensor([[True, True, True], [False, False, False], [True, False, True]])
    result = tg.masked.log_softmax(x, 1, mask=mask)  # row 0 keeps the user's NaN
    assert np.isnan(result.numpy()[:2]).all() and np.isneginf(result.numpy()[2, 1])
    path, text = _render(tg.nansum(tg.where(mask, result, 0.0)), tmp_path, "own")
    assert any(n.startswith("masked.log_softmax() result") and n.endswith(
        "NaN and Inf in data") for n in _red_nodes(path))
    assert _EMPTY_ROW not in text


def test_a_minus_inf_of_the_users_own_beside_a_meant_nan_is_still_red(tmp_path):
    """Only a mask's -inf fill, carried on, is judged apart: a log of 0 added to a masked
    mean's meant NaN read 'NaN where the mask keeps no entry' alone, nothing red (found in
    review)."""
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    mean = tg.masked.mean(x, 1, mask=tg.tensor([[False, False], [True, True]]))
    with np.errstate(divide="ignore"):
        y = mean + tg.log(tg.tensor([1.0, 0.0]))  # [NaN meant, -inf of the user's]
    assert np.isnan(y.numpy()[0]) and np.isneginf(y.numpy()[1])
    path, _ = _render(tg.where(tg.tensor(np.isfinite(y.numpy())), y, 0.0).sum(), tmp_path,
                      "own-inf")
    assert any(n.startswith("add result") and "Inf in data" in n for n in _red_nodes(path)), \
        _red_nodes(path)


def test_which_op_stops_a_meant_nan_gradient_is_a_line_of_its_own(tmp_path):
    # one line of 60 characters widened the box, its matrices spread across it
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = tg.tensor([[True, False, True], [False, False, False]])
    loss = tg.nansum(tg.masked.mean(x, 1, mask=mask))
    path = tg.render_graph(loss, tmp_path / "mean.svg", mode="backward")
    lines = [" ".join((t.text or "").split()) for t in ET.parse(path).iter(_SVG + "text")]
    assert lines.count("(op where stops it)") == 2  # the sum's and the where's
    assert lines.count(f"NaN in grad {_EMPTY_ROW}") == 2


@pytest.mark.torch
def test_the_masked_log_softmax_drawn_is_pytorchs():
    torch = pytest.importorskip("torch")
    x, mask = _rows()
    tx = torch.tensor(x.numpy(), requires_grad=True)
    tmask = torch.tensor(mask.numpy())
    ours = tg.masked.log_softmax(x, 1, mask=mask)
    theirs = torch.masked.log_softmax(tx, 1, mask=tmask)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), equal_nan=True)
    tg.nansum(tg.where(mask, ours, 0.0)).backward()
    torch.nansum(torch.where(tmask, theirs, 0.0)).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-15)

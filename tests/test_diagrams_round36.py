"""A tensor's `.grad` told the same way folded and opened, and a box no wider for a long name
(thirty-sixth round), read from the rendered SVG.

- A fold of many one-number parameters (folds.py) said where its `.grad` list came from by
  `_grad_origin` alone: `(from other backward() calls)` for a weight frozen by `freeze_` or
  changed by its hook, `(accumulated)` where a hook upstream had scaled every gradient. It
  now tells each parameter's cause as that parameter's own node does (held.py), naming the
  parameters it is true of where it is not true of all: `(w3: its frozen entries zeroed)`.
- A module call's box wrote its result's gradient and nothing of a retained `.grad` that
  holds other numbers (two backward() calls); its opened node said `(accumulated)`. The box
  says it too, in both views.
- A box's frozen entry list (up to 12 pairs) and a long input name in its product widened
  the box to twice its width and more; they are cut as a node's title is (`...`).
- The review's mends: a box's frozen list is whole or counted (`frozen 5 entries`), never
  cut inside an index; an input's name in a box's product is cut only past the box's
  result line and never where that would read as another drawn node's name; the causes of a
  box's result and of a fold go on lines of their own, a fold's one a line, the forward
  view's `from this output alone` no longer read as a parameter's name; a fold names the
  parameters whose `.grad` is None and still tells the others' `.grad` and cause.

Numbers are checked against NumPy, never against the drawing code.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

import tinygrad_gd as tg

from test_diagrams_round35 import _nodes, _widths
from test_graph_labels import needs_dot

pytestmark = needs_dot

_COUNT = 40  # one-number parameters: those but the first two and the last fold into a box
_CAUSES = {"frozen": "its frozen entries zeroed",
           "hooked": "changed by its hook, or from other backward() calls",
           "twice": "accumulated",  # (a hook on the sum named since the thirty-seventh round)
           "upstream": "changed by a hook on add result, or from other backward() calls"}


def _parameters(case: str):
    """`1.5 * sum(w_k ** 2)` over 40 one-number weights, w3 frozen or hooked (x0.5), a hook
    on the sum (x3: every weight's `.grad` changed on its way), or backward() run twice:
    (loss, names, weights, each weight's `.grad` from NumPy)."""
    rng = np.random.default_rng(36)
    weights = [tg.nn.Parameter(np.array(rng.normal())) for _ in range(_COUNT)]
    if case == "frozen":
        weights[3].freeze_()
    elif case == "hooked":
        weights[3].register_hook(lambda g: g * 0.5)
    runs = 2 if case == "twice" else 1
    for _ in range(runs):
        total = sum(w ** 2 for w in weights)
        if case == "upstream":
            total.register_hook(lambda g: g * 3)
        loss = total * 1.5
        loss.backward()
    values = np.array([w.data.item() for w in weights])
    held = 3.0 * values * runs * (3 if case == "upstream" else 1)
    if case == "frozen":
        held[3] = 0
    elif case == "hooked":
        held[3] *= 0.5
    return loss, {f"w{k}": w for k, w in enumerate(weights)}, weights, held


def _edges_text(path) -> list[str]:
    """Each text of the rendered SVG's edge labels."""
    svg = "{http://www.w3.org/2000/svg}"
    return [(t.text or "").strip() for g in ET.parse(path).getroot().iter(svg + "g")
            if g.get("class") == "edge" for t in g.iter(svg + "text")]


def _said(lines: list[str]) -> str:
    """The words in parentheses a label's lines say, joined."""
    return " ".join(re.findall(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)", " ".join(lines)))


def _words(lines: list[str]) -> list[str]:
    """The words of lines, as a reader reads them, whatever lines and brackets hold them."""
    return re.sub(r"[();]", " ", " ".join(lines)).split()


def _first_entries(text: str) -> list[float]:
    return [float(s) for s in re.match(r"\.grad \[([^…\]]*)", text)[1].rstrip(", ").split(", ")]


def test_a_fold_of_parameters_tells_each_grads_cause_as_its_node_does(tmp_path):
    for case, cause in _CAUSES.items():
        loss, names, weights, held = _parameters(case)
        np.testing.assert_allclose([w.grad.data.item() for w in weights], held, rtol=1e-12)
        for mode in ("backward", "forward"):
            folded = _nodes(tg.render_graph(tg.draw_graph(loss, params=names, mode=mode),
                                            tmp_path / f"{case}-{mode}.svg"))
            [fold] = [lines for title, lines in folded.items() if "terms like" in title]
            opened = _nodes(tg.render_graph(tg.draw_graph(loss, params=names, mode=mode,
                                                          max_nodes=None),
                                            tmp_path / f"{case}-{mode}-open.svg"))
            assert "37 parameters: w2 … w38" in fold, fold
            # the fold's `.grad` list: w2, w3, w4 ... as backward() left them
            shown = next(t for t in fold if t.startswith(".grad ["))
            np.testing.assert_allclose(_first_entries(shown), held[2:5], rtol=1e-3, atol=1e-9)
            told = _said(fold)
            if case in ("twice", "upstream"):  # true of every parameter: said once, unnamed
                # (the hooked sum is the last of the _COUNT adds, numbered among them since
                # the thirty-eighth round, and folded or opened alike since the thirty-ninth)
                own = cause.replace("add result", f"add result #{_COUNT}")
                assert told.startswith(own), fold
                assert f"add result #{_COUNT}" in opened or case != "upstream", list(opened)
                assert all(_said(opened[f"w{k}"]).startswith(own)
                           for k in (2, 3, 20, 38)), opened["w20"]
            else:  # true of w3 alone: named, in the words of w3's own node
                assert told.startswith(f"w3: {cause}"), fold
                assert _said(opened["w3"]).startswith(cause), opened["w3"]
                assert _said(opened["w4"]) == "", opened["w4"]


def _retained_twice():
    """Six Linear(8 -> 8) + ReLU calls, layer 0's result retained, backward() twice."""
    rng = np.random.default_rng(36)
    tg.manual_seed(36)
    model = tg.nn.ModuleList([m for _ in range(6) for m in (tg.nn.Linear(8, 8),
                                                            tg.nn.ReLU())])
    x = tg.Tensor(rng.normal(size=(6, 8)), name="x")
    first = model[0](x)
    first.retain_grad()
    y = first
    for layer in list(model)[1:]:
        y = layer(y)
    loss = (y ** 2).mean()
    loss.backward(retain_graph=True)
    once = first.grad.data.copy()
    loss.backward()
    return loss, model, first, once


def test_a_boxs_result_tells_its_retained_grad_as_its_opened_node(tmp_path):
    loss, model, first, once = _retained_twice()
    np.testing.assert_allclose(first.grad.data, 2 * once, rtol=1e-12)
    for mode in ("backward", "forward"):
        box = _nodes(tg.render_graph(tg.draw_graph(loss, model=model, mode=mode),
                                     tmp_path / f"box-{mode}.svg"))["0: Linear(8 -> 8)"]
        node = _nodes(tg.render_graph(tg.draw_graph(loss, model=model, mode=mode,
                                                    open_modules=True),
                                      tmp_path / f"open-{mode}.svg"))["0: Linear(8 -> 8) result"]
        start = box.index(next(t for t in box if t.startswith(".grad [")))
        end = next((k for k in range(start, len(box)) if box[k].startswith("0.")), len(box))
        at = node.index(box[start])
        ends = next(k for k in range(at, len(node)) if node[k].endswith(")")) + 1
        # the .grad lines and what they say: the same words in the box as on the node,
        # the box's cause on a line of its own (so that it does not widen the box)
        assert _words(box[start:end]) == _words(node[at:ends]), (box, node)
        assert "(accumulated)" in box[start:end], box
        np.testing.assert_allclose(_first_entries(box[start]),
                                   first.grad.data.reshape(-1)[:3], rtol=1e-3, atol=1e-9)
        assert _said(box[start:end]).startswith("accumulated"), box
        assert "own" not in " ".join(box), box  # (`this output's own` read as a name)


def _linear_box(tmp_path, tag: str, name: str = "x", frozen: int = 0) -> tuple[float, list]:
    """Layer 0's box, its first `frozen` weights frozen and its input named `name`: (its
    width in points, its lines)."""
    rng = np.random.default_rng(36)
    tg.manual_seed(36)
    model = tg.nn.ModuleList([m for _ in range(6) for m in (tg.nn.Linear(8, 8),
                                                            tg.nn.ReLU())])
    if frozen:
        model[0].weight.freeze_(np.arange(64).reshape(8, 8) < frozen)
    y = tg.Tensor(rng.normal(size=(6, 8)), name=name)
    for layer in model:
        y = layer(y)
    loss = (y ** 2).mean()
    loss.backward()
    path = tg.render_graph(tg.draw_graph(loss, model=model, mode="backward"),
                           tmp_path / f"{tag}.svg")
    return _widths(path)["0: Linear(8 -> 8)"], _nodes(path)["0: Linear(8 -> 8)"]


def test_a_long_frozen_list_or_input_name_does_not_widen_a_box(tmp_path):
    plain, lines = _linear_box(tmp_path, "plain")
    assert "0.weight grad = (result grad)ᵀ @ x" in lines, lines
    width, lines = _linear_box(tmp_path, "frozen", frozen=12)
    # (counted, not cut: `frozen [[0, 0], ... [1...` hid the count and cut an index)
    assert "frozen 12 entries: zeroed in .grad" in lines, lines
    assert width <= plain * 1.02, (width, plain)  # (it was 441 points beside 235)
    name = "images_of_the_training_batch_" * 5
    width, lines = _linear_box(tmp_path, "long", name=name)
    product = lines[lines.index("0.weight grad =") + 1]
    assert product.startswith("(result grad)ᵀ @ images_of_the") and product.endswith("..."), \
        lines
    assert name.startswith(product[len("(result grad)ᵀ @ "):-3])
    # (cut at a result line's characters: a name's letters are wider glyphs than its
    # digits; it was 865 points)
    assert width <= plain * 1.06, (width, plain)


def test_a_one_number_weight_frozen_whole_reads_frozen_without_empty_brackets(tmp_path):
    w, v = tg.nn.Parameter(np.array(0.7)), tg.nn.Parameter(np.array(0.2))
    w.freeze_()
    loss = (w * v) * 3
    loss.backward()
    path = tg.render_graph(tg.draw_graph(loss, params={"w": w, "v": v}, mode="backward"),
                           tmp_path / "w.svg")
    assert "frozen: zeroed in .grad" in _edges_text(path), _edges_text(path)  # ([[]] before)
    assert "3 × 0.2 = 0.6" in _edges_text(path)  # (this pass's, 3 × v)
    assert _nodes(path)["w"][-2:] == [".grad 0 (its frozen entries zeroed)", "frozen"]


# the review's mends (thirty-sixth round, part G)

def _frozen_box(tmp_path, tag: str, entries: list) -> tuple[float, list, np.ndarray]:
    """Layer 0's box (backward view) with `entries` of its weight frozen: (width, lines,
    mask)."""
    rng = np.random.default_rng(36)
    tg.manual_seed(36)
    model = tg.nn.ModuleList([m for _ in range(6) for m in (tg.nn.Linear(8, 8),
                                                            tg.nn.ReLU())])
    mask = np.zeros((8, 8), bool)
    for entry in entries:
        mask[entry] = True
    if entries:
        model[0].weight.freeze_(mask)
    y = tg.Tensor(rng.normal(size=(6, 8)), name="x")
    for layer in model:
        y = layer(y)
    loss = (y ** 2).mean()
    loss.backward()
    path = tg.render_graph(tg.draw_graph(loss, model=model, mode="backward"),
                           tmp_path / f"{tag}.svg")
    return _widths(path)["0: Linear(8 -> 8)"], _nodes(path)["0: Linear(8 -> 8)"], mask


def test_a_boxs_frozen_list_is_whole_or_counted_never_cut_inside_an_index(tmp_path):
    # (as wide as its `.grad` line: its first entries none of them 0, as [7, 0] alone leaves)
    plain, _, _ = _frozen_box(tmp_path, "one", [(7, 0)])
    for count in range(1, 14):  # the wording the same on either side of 12 and 13
        entries = [(k % 8, (3 * k + 1) % 8) for k in range(count)]
        entries[-1] = (7, 0)  # (the review's case: the last entry's index cut in half)
        width, lines, mask = _frozen_box(tmp_path, f"f{count}", entries)
        [said] = [t for t in lines if t.startswith("frozen ")]
        listed = str(np.argwhere(mask).tolist())
        assert said in (f"frozen {listed}: zeroed in .grad", f"frozen {listed}:",
                        f"frozen {mask.sum()} entries: zeroed in .grad"), said
        assert "..." not in said and width <= plain * 1.02, (said, width, plain)
        if count <= 2:  # a short list is shown whole
            assert said.startswith(f"frozen {listed}"), said


def test_two_inputs_whose_names_share_a_start_read_apart_in_their_boxes(tmp_path):
    rng = np.random.default_rng(0)
    tg.manual_seed(0)
    model = tg.nn.ModuleList([m for _ in range(8) for m in (tg.nn.Linear(4, 4),
                                                            tg.nn.ReLU())])
    for base in ("encoder_hidden_states_layer_", "activations_of_the_encoder_hidden_layer_"):
        u = tg.Tensor(rng.normal(size=(5, 4)), name=base + "1")
        v = tg.Tensor(rng.normal(size=(5, 4)), name=base + "2")
        for k in range(0, 8):
            u, v = model[k](u), model[k + 8](v)
        loss = ((u + v) ** 2).mean()
        loss.backward()
        nodes = _nodes(tg.render_graph(tg.draw_graph(loss, model=model, mode="backward"),
                                       tmp_path / "names.svg"))
        for k, name in ((0, base + "1"), (8, base + "2")):
            lines = nodes[f"{k}: Linear(4 -> 4)"]
            product = lines[lines.index(f"{k}.weight grad =") + 1]
            assert product == f"(result grad)ᵀ @ {name}", lines  # (`..._la...` twice)


def _causes(lines: list[str]) -> list[str]:
    return [t for t in lines if t.startswith("(")]


def test_a_folds_causes_stand_one_a_line_and_no_wider_than_its_numbers(tmp_path):
    rng = np.random.default_rng(36)
    weights = [tg.nn.Parameter(np.array(rng.normal())) for _ in range(_COUNT)]
    weights[3].freeze_()
    weights[7].register_hook(lambda g: g * 2)
    for _ in range(2):
        loss = sum(w ** 2 for w in weights) * 1.5
        loss.backward()
    names = {f"w{k}": w for k, w in enumerate(weights)}
    for mode in ("backward", "forward"):
        path = tg.render_graph(tg.draw_graph(loss, params=names, mode=mode),
                               tmp_path / f"three-{mode}.svg")
        [(title, fold)] = [(t, lines) for t, lines in _nodes(path).items()
                           if "terms like" in t]
        causes = _causes(fold)
        assert causes[:3] == ["(w2, w4 and 33 more: accumulated)",
                              "(w3: its frozen entries zeroed)",
                              f"(w7: {_CAUSES['hooked']})"], fold
        if mode == "forward":  # this output's gradient: in words no reader takes for a name
            assert causes[3] == "(from this output alone:", fold
            assert not any("own" in t for t in fold), fold
        # (one line for all three was about 960 px wide)
        assert _widths(path)[title] <= 1.5 * max(len(t) for t in causes) * 5, fold


def test_a_fold_names_the_parameters_whose_grad_is_none_and_tells_the_others(tmp_path):
    loss, names, weights, held = _parameters("twice")
    weights[5].grad = None
    others = np.delete(held, 5)
    for mode in ("backward", "forward"):
        path = tg.render_graph(tg.draw_graph(loss, params=names, mode=mode),
                               tmp_path / f"none-{mode}.svg")
        [fold] = [lines for title, lines in _nodes(path).items() if "terms like" in title]
        assert ".grad None: w5" in fold, fold
        shown = next(t for t in fold if t.startswith(".grad of the others ["))
        np.testing.assert_allclose(_first_entries(shown.replace(" of the others", "")),
                                   others[2:5], rtol=1e-3, atol=1e-9)
        assert _said(fold).startswith("accumulated"), fold  # (said nothing before)


def test_a_fold_of_vector_parameters_counts_those_whose_grad_is_none(tmp_path):
    # the forward view's fold of vector parameters said nothing of a .grad set to None (its
    # `.grad None for 1 of 37` line was lost with the one-number list)
    weights = [tg.nn.Parameter(np.array([float(k + 1), 1.0])) for k in range(40)]
    names = {f"w{k}": w for k, w in enumerate(weights)}
    total = (weights[0] ** 2).sum()
    for w in weights[1:]:
        total = total + (w ** 2).sum()
    loss = 1.5 * total
    loss.backward()
    weights[5].grad = None
    path = tg.render_graph(tg.draw_graph(loss, params=names, mode="forward"),
                           tmp_path / "vectors.svg")
    [fold] = [lines for title, lines in _nodes(path).items() if "terms like" in title]
    folded = int(next(t for t in fold if t.endswith("more terms like these")).split()[0])
    assert f".grad None for 1 of {folded}" in fold, fold

"""What a diagram's reader read wrongly or not at all (fortieth round), read from the
rendered SVG.

- A fold's or module box's `holds add result #1-#7, ...` line grew with interleaved chains
  (148 characters, a box 837 points wide where the widest other node is 324): it is cut
  as other box lines are, `#1-#8, #10-#11 and 34 more`, the results left counted, so that
  no box grows wider than the widest node without such a line; a list that fits is
  written whole, and the box's tooltip lists every number of a cut one.
- A tensor hook (`register_hook`) that tripled a gradient and was removed before the
  drawing was named nowhere (`w`'s `.grad [12, 24]` read `(accumulated)`): it is named
  `changed by its hook, now removed` on its own leaf and `a hook on h, now removed` below
  a hooked result, as long as `.grad` holds its change (a later backward() adds to it;
  none after `w.grad = None`). A `.grad` the user set after a backward() with a live hook
  read as the hook's: it reads `(set by hand)` until a pass with the hook adds into it;
  clipping it keeps the hook named, and so does `w.grad += 1` (the same tensor assigned
  back); a removed one of two changing hooks reads `its hook and one now removed`.
- A learner's two-layer MLP, `mse_loss(model(x), y)` with x and y unnamed, drew two nodes
  titled `input`, and so the edge into the first layer's weight wrote a bare matrix where
  the second's writes `(.. result grad)ᵀ @ (1: Tanh result) =`: data leaves sharing a
  title are numbered as results and parameters are (`input #1`, `input #2`, from the
  inputs up), and the edge reads `(0: Linear(3 -> 4) result grad)ᵀ @ (input #1) =`.

Numbers are checked against a hand derivation written here and against PyTorch.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET


import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.graph import boxes

from test_diagrams_round38 import _hookless_session
from test_factors_round34 import _nodes
from test_graph_labels import needs_dot

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"


def _node_boxes(svg: str) -> list[tuple[list[str], float]]:
    """Each node's lines of text and its width in points (from its outline's corners)."""
    found = []
    for g in ET.fromstring(svg).iter(_SVG + "g"):
        if (g.get("class") or "").split()[:1] != ["node"]:
            continue
        xs = [float(x) for shape in g.iter() if shape.tag in (_SVG + "polygon", _SVG + "path")
              for x in re.findall(r"(-?[\d.]+),-?[\d.]+", shape.get("points") or
                                  shape.get("d") or "")]
        found.append(([(t.text or "").strip() for t in g.iter(_SVG + "text")],
                      max(xs) - min(xs) if xs else 0.0))
    return found


# ---------------------------------------------------------------------------------------
# 1. A box's `holds` line cut as the other lines of a box are


def _interleaved(links: int = 30):
    """s = a + a + ..., t = b + b + ..., one add of each a link, s * t summed every third
    link: the adds of the two chains numbered alternately, some drawn, most folded."""
    tg.manual_seed(0)
    a = tg.Tensor(tg.randn(10).numpy(), requires_grad=True, name="a")
    b = tg.Tensor(tg.randn(10).numpy(), requires_grad=True, name="b")
    s, t, products = a, b, []
    for k in range(links):
        s, t = s + a, t + b
        if k % 3 == 0:
            products.append(s * t)
    loss = products[0].sum()
    for p in products[1:]:
        loss = loss + p.sum()
    return loss, 2 * links  # (the adds of the chains; the loss's own adds come after)


def _count(listed: str) -> int:
    """How many results `#1-#8, #10, #12-#13 and 34 more` names: runs by hand, plus the rest."""
    runs, _, more = listed.partition(" and ")
    total = int(more.split()[0]) if more else 0
    for run in runs.split(", "):
        first, _, last = run.partition("-")
        total += int((last or first)[1:]) - int(first[1:]) + 1
    return total


def test_a_holds_line_is_cut_and_no_box_grows_wider_for_it():
    loss, adds = _interleaved()
    svg = tg.draw_graph(loss, mode="backward", max_nodes=30).pipe(format="svg").decode()
    nodes = _node_boxes(svg)
    holding = [(lines, width) for lines, width in nodes
               if any(line.startswith("holds ") for line in lines)]
    others = [width for lines, width in nodes
              if not any(line.startswith("holds ") for line in lines)]
    assert holding, nodes
    lines = [line for texts, _ in holding for line in texts if line.startswith("holds add ")]
    assert any(line.endswith(" more") for line in lines), lines  # (one is cut)
    for texts, width in holding:
        assert width <= max(others), (texts, width, max(others))
    # every add result not drawn is counted once among the boxes' lines: as many as the
    # drawing of every node shows, less those drawn here
    everything = tg.draw_graph(loss, mode="backward", max_nodes=None).pipe(format="svg")
    total = _add_results(_node_boxes(everything.decode()))
    assert total >= adds, total  # (the chains' adds at least)
    listed = sum(_count(line.removeprefix("holds add result ")) for line in lines)
    assert listed == total - _add_results(nodes), (lines, total)


def test_a_cut_holds_lines_tooltip_lists_every_number():
    """The pointer on a box shows its `holds` line whole: every result the cut line counts
    (`... and 34 more`) is named in the box's tooltip."""
    loss, _ = _interleaved()
    svg = tg.draw_graph(loss, mode="backward", max_nodes=30).pipe(format="svg").decode()
    cut = 0
    for g in ET.fromstring(svg).iter(_SVG + "g"):
        if (g.get("class") or "").split()[:1] != ["node"]:
            continue
        texts = [(t.text or "").strip() for t in g.iter(_SVG + "text")]
        tips = [a.get("{http://www.w3.org/1999/xlink}title") or "" for a in g.iter(_SVG + "a")]
        for line in (line for line in texts if line.startswith("holds add result ")):
            said = line.removeprefix("holds add result ")
            whole = list({tip_line.removeprefix("holds add result ") for tip in tips
                          for tip_line in tip.split("\n") if tip_line.startswith("holds add ")})
            assert len(whole) == 1 and " more" not in whole[0], (line, tips)
            assert _count(whole[0]) == _count(said), (line, whole)
            assert whole[0].startswith(said.partition(" and ")[0]), (line, whole)
            cut += " more" in said
    assert cut, svg  # (one line at least is cut: the test reads one)


@pytest.mark.parametrize("numbers", [[1, 3, 5, 7], [1, 2, 3, 5, 8, 9], [4]])
def test_a_holds_list_that_fits_is_written_whole(numbers):
    """`holds add result #1, #3, #5, #7` (31 characters) in a room of 31 or more: the whole
    list, not `#1, #3 and 2 more`; one character less: cut, the rest counted."""
    said = "holds add result "
    runs, k = [], 0
    while k < len(numbers):  # (runs by hand: #1-#3 for 1, 2, 3)
        end = k
        while end + 1 < len(numbers) and numbers[end + 1] == numbers[end] + 1:
            end += 1
        runs.append(f"#{numbers[k]}" if end == k else f"#{numbers[k]}-#{numbers[end]}")
        k = end + 1
    whole = said + ", ".join(runs)
    for room in (len(whole), len(whole) + 1, 10**6):
        assert boxes._runs(said, numbers, room) == whole
    if len(runs) > 1:
        cut = boxes._runs(said, numbers, len(whole) - 1)
        assert cut != whole and " more" in cut and _count(cut.removeprefix(said)) == len(numbers)


def _add_results(nodes: list[tuple[list[str], float]]) -> int:
    return sum(bool(re.fullmatch(r"add result #\d+", texts[0])) for texts, _ in nodes)


# ---------------------------------------------------------------------------------------
# 2. A tensor hook removed since, and a `.grad` the user set over a live hook's change


_OWN_REMOVED = "changed by its hook, now removed, or from other backward() calls"
_UPSTREAM_REMOVED = "changed by a hook on h, now removed, or from other backward() calls"


def _hooked(where: str):
    """loss = sum(2 h), h = w * w, a hook tripling the gradient of w (`leaf`) or of h
    (`result`): (loss, w, the hook's handle), before backward()."""
    _hookless_session()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    h = w * w
    h.name = "h"
    handle = (w if where == "leaf" else h).register_hook(lambda g: g * 3)
    return (h * 2).sum(), w, handle


def _w_said(loss, tmp_path, tag: str, mode: str = "backward") -> str:
    svg = tg.render_graph(tg.draw_graph(loss, mode=mode), tmp_path / f"{tag}.svg")
    return re.sub(r"\s+", " ", " ".join(_nodes(svg)["w"]))


_WORDS = {"leaf": _OWN_REMOVED, "result": _UPSTREAM_REMOVED}


@pytest.mark.parametrize("where", ["leaf", "result"])
def test_a_removed_tensor_hooks_change_is_named_as_removed(tmp_path, where):
    loss, w, handle = _hooked(where)
    loss.backward(retain_graph=True)
    handle.remove()
    np.testing.assert_allclose(w.grad.numpy(), 3 * 4 * w.numpy())  # (d/dw 2w² = 4w, tripled)
    for mode in ("backward", "forward"):
        said = _w_said(loss, tmp_path, mode, mode)
        assert _WORDS[where] in said and "accumulated" not in said, said
    loss.backward(retain_graph=True)  # (no hook now: 4w added to the tripled .grad)
    np.testing.assert_allclose(w.grad.numpy(), 3 * 4 * w.numpy() + 4 * w.numpy())
    assert _WORDS[where] in _w_said(loss, tmp_path, "again")


@pytest.mark.parametrize("clearing", ["w.grad = None", "zero_grad()", "w.grad.zero_()"])
@pytest.mark.parametrize("where", ["leaf", "result"])
def test_a_removed_tensor_hooks_change_since_cleared_is_not_named(tmp_path, where, clearing):
    loss, w, handle = _hooked(where)
    loss.backward(retain_graph=True)
    handle.remove()
    if clearing == "w.grad = None":
        w.grad = None
    elif clearing == "zero_grad()":
        tg.optim.SGD([w], lr=0.1).zero_grad()
    else:
        w.grad.zero_()
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)  # (two passes, neither tripled: 2 × 4w)
    np.testing.assert_allclose(w.grad.numpy(), 2 * 4 * w.numpy())
    said = _w_said(loss, tmp_path, "cleared")
    assert "hook" not in said and "(accumulated)" in said, said


def test_a_hook_that_removed_itself_is_named_as_removed(tmp_path):
    _hookless_session()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    handles = []

    def once(g):  # (triples the gradient once, then takes itself off)
        handles[0].remove()
        return g * 3
    handles.append(w.register_hook(once))
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(w.grad.numpy(), 3 * 2 * w.numpy())
    assert _OWN_REMOVED in _w_said(loss, tmp_path, "once")


@pytest.mark.torch
@pytest.mark.parametrize("cleared", [False, True])
@pytest.mark.parametrize("where", ["leaf", "result"])
def test_a_removed_hook_is_named_where_torchs_grad_holds_its_change(tmp_path, torch64, where,
                                                                    cleared):
    """The same calls on PyTorch: where torch's `.grad` is no whole number of hookless
    passes' gradients (d/dw 2w² = 4w), a hook's change is in it and the drawing names the
    removed hook; where it is one (cleared since), the drawing names none."""
    torch = torch64
    loss, w, handle = _hooked(where)
    t_w = torch.tensor([1.0, 2.0], requires_grad=True)
    t_h = t_w * t_w
    t_handle = (t_w if where == "leaf" else t_h).register_hook(lambda g: g * 3)
    t_loss = (t_h * 2).sum()
    for first in (True, False):
        loss.backward(retain_graph=True)
        t_loss.backward(retain_graph=True)
        if first:
            handle.remove()
            t_handle.remove()
            if cleared:
                w.grad, t_w.grad = None, None
    np.testing.assert_allclose(w.grad.numpy(), t_w.grad.numpy())
    passes = (t_w.grad / (4 * t_w.detach())).numpy()  # (16w: 4 passes' worth, 3 + 1)
    holds_change = not cleared  # (a whole number either way: the history tells, not the ratio)
    assert np.allclose(passes, 4 if holds_change else 1)
    said = _w_said(loss, tmp_path, "drawn")
    assert (_WORDS[where] in said) == holds_change and ("hook" in said) == holds_change, said


@pytest.mark.parametrize("where", ["leaf", "result"])
def test_a_grad_set_by_hand_over_a_live_hooks_change_reads_set_by_hand(tmp_path, where):
    loss, w, _ = _hooked(where)
    loss.backward(retain_graph=True)
    assert "hook" in _w_said(loss, tmp_path, "hooked")  # (the hook's change: named)
    w.grad = tg.Tensor([5.0, 5.0])
    for mode in ("backward", "forward"):
        said = _w_said(loss, tmp_path, "set", mode)
        assert "(set by hand" in said and "hook" not in said, said
    loss.backward(retain_graph=True)  # (the hook's change added into the user's .grad)
    np.testing.assert_allclose(w.grad.numpy(), 5 + 3 * 4 * w.numpy())
    said = _w_said(loss, tmp_path, "added")
    assert "hook" in said and "set by hand" not in said, said


_SAME_GRAD = {"w.grad += 1": (lambda g: g.__iadd__(1), 1.0, 1.0),
              "w.grad *= 0.5": (lambda g: g.__imul__(0.5), 0.0, 0.5),
              "w.grad.add_(1)": (lambda g: g.add_(1), 1.0, 1.0)}


@pytest.mark.parametrize("removed", [False, True])
@pytest.mark.parametrize("change", list(_SAME_GRAD))
@pytest.mark.parametrize("where", ["leaf", "result"])
def test_a_grad_changed_in_place_by_hand_still_names_the_hook(tmp_path, where, change,
                                                              removed):
    """`w.grad += 1` is Python's in-place add, then `w.grad =` the same tensor: `.grad`
    still holds the hook's change, and the drawing names the hook (live or removed)."""
    loss, w, handle = _hooked(where)
    loss.backward(retain_graph=True)
    if removed:
        handle.remove()
    run, add, scale = _SAME_GRAD[change]
    before = w.grad
    w.grad = run(w.grad)  # (what `w.grad += 1` does: the in-place result assigned back)
    assert w.grad is before
    np.testing.assert_allclose(w.grad.numpy(), 3 * 4 * w.numpy() * scale + add)
    said = _w_said(loss, tmp_path, "changed")
    assert "changed by" in said and ("now removed" in said) == removed, said
    assert "set by hand" not in said, said


@pytest.mark.parametrize("setting", ["w.grad.clone()", "a hand value"])
@pytest.mark.parametrize("where", ["leaf", "result"])
def test_a_grad_set_to_a_copy_or_equal_values_reads_set_by_hand(tmp_path, where, setting):
    """`w.grad = w.grad.clone()` and `w.grad = [12, 24]` (the hook's numbers, typed in)
    read `(set by hand)`, not `(accumulated)` (false after one pass), hook removed or not."""
    loss, w, handle = _hooked(where)
    loss.backward(retain_graph=True)
    w.grad = w.grad.clone() if setting == "w.grad.clone()" else tg.Tensor([12.0, 24.0])
    np.testing.assert_allclose(w.grad.numpy(), 3 * 4 * w.numpy())  # (4w tripled)
    for tag in ("live", "removed"):
        said = _w_said(loss, tmp_path, tag)
        assert "(set by hand)" in said and "accumulated" not in said, said
        handle.remove()


@pytest.mark.parametrize("hook_ran_before", [False, True])
def test_a_grad_set_by_hand_reads_so_whatever_ran_before(tmp_path, hook_ran_before):
    """The words for `w.grad = [5, 5]` depend on w only: `(set by hand)` in a session where
    no hook ran (a fresh notebook) and where an unrelated tensor's hook ran first."""
    _hookless_session()
    if hook_ran_before:
        other = tg.Tensor([1.0, 2.0], requires_grad=True)
        other.register_hook(lambda g: g * 3)
        (other * other).sum().backward()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    w.grad = tg.Tensor([5.0, 5.0])
    said = _w_said(loss, tmp_path, "hand")
    assert "(set by hand)" in said and "hook" not in said, said
    loss.backward(retain_graph=True)  # (a pass adds 2w into it: no longer as set)
    np.testing.assert_allclose(w.grad.numpy(), 5 + 2 * w.numpy())
    assert "set by hand" not in _w_said(loss, tmp_path, "added"), said


def test_two_changing_hooks_one_removed_names_both(tmp_path):
    """Two hooks on w, each changing its gradient (x3, x2), one removed: `its hook and one
    now removed`, whichever was removed; both removed: `now removed` only."""
    for first in (True, False):
        loss, w, handle = _hooked("leaf")
        other = w.register_hook(lambda g: g * 2)
        loss.backward(retain_graph=True)
        np.testing.assert_allclose(w.grad.numpy(), 6 * 4 * w.numpy())
        (handle if first else other).remove()
        said = _w_said(loss, tmp_path, "one")
        assert "changed by its hook and one now removed" in said, said
        (other if first else handle).remove()
        said = _w_said(loss, tmp_path, "both")
        assert "now removed" in said and "its hook and" not in said, said


def test_a_clipped_grad_still_names_the_hook():
    """clip_grad_norm_ and clip_grad_value_ change the hook's `.grad`, which still holds its
    change: the hook stays named (a `.grad` the user sets does not)."""
    for clip in (lambda p: tg.nn.utils.clip_grad_norm_([p], 1.0),
                 lambda p: tg.nn.utils.clip_grad_value_([p], 5.0)):
        loss, w, _ = _hooked("leaf")
        loss.backward(retain_graph=True)
        clip(w)
        assert not np.allclose(w.grad.numpy(), 12 * w.numpy())  # (clipped: 12, 24 before)
        svg = tg.draw_graph(loss, mode="backward").pipe(format="svg").decode()
        said = " ".join(line for lines, _ in _node_boxes(svg) for line in lines)
        assert "changed by its hook, or from other backward() calls" in said, said


# ---------------------------------------------------------------------------------------
# 3. Two unnamed data leaves: numbered, so that a weight's product can name its input


def test_two_unnamed_inputs_are_numbered_and_the_first_weights_product_names_one():
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.Tanh(), tg.nn.Linear(4, 1))
    x, y = tg.randn(5, 3), tg.randn(5, 1)
    loss = tg.nn.functional.mse_loss(model(x), y)
    loss.backward()
    root = ET.fromstring(tg.draw_graph(loss, mode="backward", model=model)
                         .pipe(format="svg").decode())
    texts = {g.get("class"): [] for g in root.iter(_SVG + "g")}
    for g in root.iter(_SVG + "g"):
        texts[g.get("class")].append(" ".join((t.text or "").strip()
                                              for t in g.iter(_SVG + "text")))
    titles = [t.split(" (")[0] for t in texts["node"]]
    assert "input" not in titles, titles  # (no two nodes of one title a reader can mix up)
    [first] = [t for t in texts["node"] if t.startswith("input #1 ")]
    [second] = [t for t in texts["node"] if t.startswith("input #2 ")]
    assert first.startswith("input #1 (5, 3)") and second.startswith("input #2 (5, 1)")
    grad = model[0].weight.grad.numpy()  # (the edge into it: its only use, so its .grad)
    [edge] = [t for t in texts["edge"] if "result grad)ᵀ @" in t and "Tanh" not in t]
    words, _, matrix = edge.partition(" = ")
    assert words == "(0: Linear(3 -> 4) result grad)ᵀ @ (input #1)", edge
    np.testing.assert_allclose([float(v) for v in matrix.split()], grad.reshape(-1),
                               rtol=1e-3, atol=1e-5)

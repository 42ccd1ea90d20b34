"""What a diagram's reader read wrongly (thirty-ninth round), read from the rendered views.

- One tensor, the chain's last mul (`h * h`), was `mul result #3` in the folded graph
  and `#15` on the step page: the folded view numbered the results it drew, the step page
  all. A tensor's number is now one thing, counted over every result of the graph in one
  order each view shares (from the inputs up), so the folded view's last `mul result` is
  `#15` as on the step page, the results a folded making hides counted too; a title that
  is one of a kind in the whole graph stays unnumbered.
- A post-accumulate-grad hook's change still in `.grad` after the hook was removed read
  `(accumulated)`: it is named `changed by its hook, now removed, ...`, as long as `.grad`
  holds it (a later backward() adds to it), and no longer once `.grad` was cleared.
- A module's look-only backward hooks no longer make every pass note where each `.grad`
  starts (that starts with the first pass they change numbers in): a hook that changes
  numbers only in its second run is named as before.
- Mends: a hook that removed itself in its own run read `(accumulated)`; a removed hook
  beside a look-only one read `changed by its hook`; a `.grad` the user set since read as
  the hook's; a fold or module box hiding `add result #1-#7` beside a drawn `#8` said not
  where they were: it says `holds add result #1-#7`.

Numbers are checked against NumPy (a hand derivation written here).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg

from test_diagrams_round38 import (_ZEROINGS, _hookless_session, _list, _net_doubling_in_run,
                                   _svg)
from test_factors_round34 import _nodes
from test_graph_labels import needs_dot

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"


def _frame_nodes(svg: str) -> dict[str, list[str]]:
    """A step page frame's nodes by their first text: their lines of text."""
    found = {}
    for g in ET.fromstring(svg).iter(_SVG + "g"):
        texts = [(t.text or "").strip() for t in g.iter(_SVG + "text")]
        if (g.get("class") or "").split()[:1] == ["node"] and texts:
            found[texts[0]] = texts
    return found


# ---------------------------------------------------------------------------------------
# 1. One number per tensor, in the folded view and on the step page


_LINKS = 14


def _chain():
    """loss = sum(exp(h * h)), h = tanh(... tanh(x * w) ... * w), 14 links: a graph the
    folded view folds in the middle, the step page draws whole. (loss, mul values, tanh
    values, exp's), each list from the inputs up."""
    x = tg.Tensor([1.0, 2.0], name="x")
    w = tg.Tensor([0.9, 1.1], requires_grad=True, name="w")
    h, muls, tanhs = x, [], []
    hd, wd = x.numpy(), w.numpy()
    for _ in range(_LINKS):
        h = (h * w).tanh()
        muls.append(hd * wd)
        hd = np.tanh(muls[-1])
        tanhs.append(hd)
    loss = (h * h).exp().sum()
    return loss, muls + [hd * hd], tanhs, np.exp(hd * hd)


def _numbered(nodes: dict[str, list[str]]) -> dict[str, str]:
    """`mul result #k` and `tanh result #k` titles -> their `data [..]` line."""
    return {title: next(t for t in lines if t.startswith("data "))
            for title, lines in nodes.items() if re.fullmatch(r"(mul|tanh) result #\d+", title)}


def test_a_tensor_has_one_number_in_the_folded_view_and_on_the_step_page(tmp_path):
    loss, muls, tanhs, exp = _chain()
    path = _svg(loss, tmp_path, "folded", mode="backward")
    assert "nodes folded" in " ".join(t for lines in _nodes(path).values() for t in lines)
    folded = _numbered(_nodes(path))
    steps = tg.backward_steps(loss)
    paged = _numbered(_frame_nodes(steps.frames[-1]))
    assert len(paged) == 2 * _LINKS + 1 and set(folded) < set(paged), (folded, paged)
    # by hand: the k-th mul (from x up) is `mul result #k`, the last one h * h's, #15
    for k, value in enumerate(muls, start=1):
        assert paged[f"mul result #{k}"] == f"data {_list(value)}", k
    for k, value in enumerate(tanhs, start=1):
        assert paged[f"tanh result #{k}"] == f"data {_list(value)}", k
    for title, data in folded.items():  # (the same tensor, the same title in both views)
        assert paged[title] == data, (title, data, paged[title])
    assert {"mul result #1", f"mul result #{_LINKS + 1}", f"tanh result #{_LINKS}"} \
        <= set(folded), folded  # (both ends drawn; the folded view's last read `#3`)
    last = f"mul result #{_LINKS + 1}"
    assert any(f"the gradient of {last} is complete" in c for c in steps.captions)
    # one of a kind in the whole graph: unnumbered in both views
    for nodes in (_nodes(path), _frame_nodes(steps.frames[-1])):
        assert f"data {_list(exp)}" in nodes["exp result"], nodes["exp result"]
        assert not any(t.startswith("exp result #") for t in nodes), list(nodes)


def test_a_result_after_a_folded_making_keeps_its_step_page_number(tmp_path):
    """Two chains of 13 ops joined by `sub`: the folded view draws each as one box titled by
    the input it makes (`input 1 of sub`), whose last `mul result` it does not show; the
    `mul result` after them is counted with those all the same, #15 as on the step page
    (in the folded view it read `mul result`, unnumbered, at the round's start)."""
    x = tg.Tensor([1.0, 2.0], name="x")
    w1 = tg.Tensor([0.9, 1.1], requires_grad=True, name="w1")
    w2 = tg.Tensor([0.8, 1.2], requires_grad=True, name="w2")
    w3 = tg.Tensor([0.5, -1.0], requires_grad=True, name="w3")

    def chain(w):  # 7 muls, 6 tanhs
        h = x
        for _ in range(6):
            h = (h * w).tanh()
        return h * w

    def by_hand(w):
        h = x.numpy()
        for _ in range(6):
            h = np.tanh(h * w.numpy())
        return h * w.numpy()
    loss = ((chain(w1) - chain(w2)) * w3).sum()
    last = (by_hand(w1) - by_hand(w2)) * w3.numpy()  # (the 15th mul from the inputs up)
    folded = _nodes(_svg(loss, tmp_path, "makings", mode="backward"))
    assert {"input 1 of sub", "input 2 of sub"} <= set(folded), list(folded)
    paged = _frame_nodes(tg.backward_steps(loss).frames[-1])
    for nodes in (folded, paged):
        [title] = [t for t, lines in nodes.items() if f"data {_list(last)}" in lines]
        assert title == "mul result #15", (title, list(nodes))


# ---------------------------------------------------------------------------------------
# 2. A removed post-accumulate-grad hook's change named as long as .grad holds it


_REMOVED = "(changed by its hook, now removed, or from other backward() calls)"


def _tripled_then_removed():
    """w's post-accumulate-grad hook triples .grad once, then is removed: (loss, w)."""
    _hookless_session()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    handle = w.register_post_accumulate_grad_hook(lambda p: setattr(p, "grad", p.grad * 3))
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    handle.remove()
    return loss, w


def _said(loss, tmp_path, tag: str, mode: str) -> str:
    return re.sub(r"\s+", " ", " ".join(_nodes(_svg(loss, tmp_path, tag, mode=mode))["w"]))


def test_a_removed_hooks_change_is_named_as_removed(tmp_path):
    loss, w = _tripled_then_removed()
    np.testing.assert_allclose(w.grad.numpy(), 3 * 2 * w.numpy())  # (d/dw sum w² = 2w, tripled)
    for mode in ("backward", "forward"):
        said = _said(loss, tmp_path, mode, mode)
        assert _REMOVED in said and "(accumulated" not in said, said
    loss.backward(retain_graph=True)  # (no hook now: 2w added to the tripled .grad)
    np.testing.assert_allclose(w.grad.numpy(), 3 * 2 * w.numpy() + 2 * w.numpy())
    for mode in ("backward", "forward"):
        said = _said(loss, tmp_path, "again-" + mode, mode)
        assert _REMOVED in said, said


@pytest.mark.parametrize("clearing", ["w.grad = None", *_ZEROINGS])
def test_a_removed_hooks_change_since_cleared_is_not_named(tmp_path, clearing):
    loss, w = _tripled_then_removed()
    _ZEROINGS.get(clearing, lambda t: setattr(t, "grad", None))(w)
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(w.grad.numpy(), 2 * 2 * w.numpy())  # (two passes of 2w)
    for mode in ("backward", "forward"):
        said = _said(loss, tmp_path, mode, mode)
        assert "hook" not in said and "(accumulated" in said, said


def test_a_removed_look_only_hook_is_named_nowhere(tmp_path):
    _hookless_session()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.numpy()))
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    handle.remove()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(seen[0], 2 * w.numpy())
    np.testing.assert_allclose(w.grad.numpy(), 2 * 2 * w.numpy())
    said = _said(loss, tmp_path, "look-only", "backward")
    assert "hook" not in said and "(accumulated)" in said, said


# ---------------------------------------------------------------------------------------
# 3. A module's hook that changes numbers only in a later pass: named as it was


@pytest.mark.parametrize("clearing", [None, "zero_grad()"])
def test_a_modules_hook_that_first_changes_in_a_later_pass_is_named(tmp_path, clearing):
    loss, net = _net_doubling_in_run(2)  # (looks only in its first run)
    loss.backward(retain_graph=True)
    once = net.fc1.weight.grad.numpy().copy()
    said = " ".join(_nodes(_svg(loss, tmp_path, "first", mode="backward", model=net,
                                open_modules=True))["fc1.weight"])
    assert "hook" not in said, said  # (it changed nothing yet)
    if clearing:
        net.zero_grad()
    loss.backward(retain_graph=True)  # (doubled: fc1's gradients from what fc2 sends it)
    np.testing.assert_allclose(net.fc1.weight.grad.numpy(), (0 if clearing else 1) * once
                               + 2 * once)
    for mode in ("backward", "forward"):
        said = " ".join(_nodes(_svg(loss, tmp_path, mode, mode=mode, model=net,
                                    open_modules=True))["fc1.weight"])
        assert "(changed by a backward hook of fc2: Linear(3 -> 1), or from other " \
            "backward() calls)" in re.sub(r"\s+", " ", said), said
    net.zero_grad()  # (the doubled .grad gone: later passes change nothing)
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(net.fc1.weight.grad.numpy(), 2 * once)
    said = " ".join(_nodes(_svg(loss, tmp_path, "later", mode="backward", model=net,
                                open_modules=True))["fc1.weight"])
    assert "hook" not in said and "(accumulated)" in said, said


# ---------------------------------------------------------------------------------------
# 4. Which of a leaf's post-accumulate-grad hooks its .grad holds a change of, and whether
#    the user set .grad since (mends of this round's removed-hook wording)


def _look(w, loss, tmp_path, tag: str) -> list[str]:
    """What w's node says in both views, its .grad against 3 × 2w (d/dw sum w² tripled)."""
    np.testing.assert_allclose(w.grad.numpy(), 3 * 2 * w.numpy())
    return [_said(loss, tmp_path, f"{tag}-{mode}", mode) for mode in ("backward", "forward")]


def test_a_hook_that_removes_itself_is_named_as_removed(tmp_path):
    """A one-shot hook: it triples .grad, then removes itself inside its own run (it read
    `(accumulated)`: nothing was added up)."""
    _hookless_session()
    w, box = tg.Tensor([1.0, 2.0], requires_grad=True, name="w"), {}

    def once(p):
        p.grad = p.grad * 3
        box["handle"].remove()
    box["handle"] = w.register_post_accumulate_grad_hook(once)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    for said in _look(w, loss, tmp_path, "once"):
        assert _REMOVED in said and "(accumulated" not in said, said


@pytest.mark.parametrize("after", ["stays", "registered"])
def test_a_removed_hook_is_named_so_beside_a_look_only_one(tmp_path, after):
    """The tripling hook removed, a look-only one on w (kept, or registered after): the
    change is the removed one's (it read `changed by its hook`, naming the look-only one)."""
    _hookless_session()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    seen = []
    tripling = w.register_post_accumulate_grad_hook(lambda p: setattr(p, "grad", p.grad * 3))
    if after == "stays":
        w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.numpy()))
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    tripling.remove()
    if after == "registered":
        w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.numpy()))
    for said in _look(w, loss, tmp_path, after):
        assert _REMOVED in said, said
    loss.backward(retain_graph=True)  # (the look-only hook sees 6w + 2w; the change still held)
    np.testing.assert_allclose(seen[-1], 4 * 2 * w.numpy())
    said = _said(loss, tmp_path, after + "-again", "backward")
    assert _REMOVED in said, said


def test_a_live_hook_and_a_removed_one_are_both_named(tmp_path):
    _hookless_session()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    tripling = w.register_post_accumulate_grad_hook(lambda p: setattr(p, "grad", p.grad * 3))
    loss = (w * w).sum()
    loss.backward(retain_graph=True)  # (.grad 6w)
    tripling.remove()
    w.register_post_accumulate_grad_hook(lambda p: setattr(p, "grad", p.grad * 2))
    loss.backward(retain_graph=True)  # (.grad (6w + 2w) × 2)
    np.testing.assert_allclose(w.grad.numpy(), (3 * 2 + 2) * 2 * w.numpy())
    said = _said(loss, tmp_path, "both", "backward")
    assert "(changed by its hook and one now removed, or from other backward() calls)" \
        in said, said


@pytest.mark.parametrize("removed", [True, False])
def test_a_grad_the_user_set_is_not_the_hooks(tmp_path, removed):
    """`w.grad = [5, 5]` after a tripling hook's pass: the hook's change is not in it, live
    or removed; it reads `(set by hand)`, as a `.grad` set by hand with no hook ever does
    (the fortieth round's words), and `(from other backward() calls)` after another pass adds
    2w to it (a removed hook)."""
    _hookless_session()
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    handle = w.register_post_accumulate_grad_hook(lambda p: setattr(p, "grad", p.grad * 3))
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    if removed:
        handle.remove()
    w.grad = tg.Tensor([5.0, 5.0])
    for mode in ("backward", "forward"):
        said = _said(loss, tmp_path, mode, mode)  # (the forward view's adds this output's)
        assert "(set by hand" in said and "hook" not in said, said
    if removed:
        loss.backward(retain_graph=True)
        np.testing.assert_allclose(w.grad.numpy(), 5 + 2 * w.numpy())
        said = _said(loss, tmp_path, "again", "backward")
        assert "(from other backward() calls)" in said and "hook" not in said, said


# ---------------------------------------------------------------------------------------
# 5. A box that hides numbered results says which, where their title is drawn outside it


def test_a_fold_says_which_numbered_results_it_holds(tmp_path):
    """s = a + a + ... (8 adds), (s * s).sum() at max_nodes=6: `add result #8` is drawn,
    #1-#7 folded away (the fold said only `16 more nodes folded`)."""
    a = tg.Tensor([1.0, 2.0], requires_grad=True, name="a")
    s = a
    for _ in range(8):
        s = s + a
    nodes = _nodes(_svg((s * s).sum(), tmp_path, "adds", mode="backward", max_nodes=6))
    np.testing.assert_allclose(s.numpy(), 9 * a.numpy())
    assert "data [9, 18]" in nodes["add result #8"], nodes["add result #8"]  # (a × 9)
    [fold] = [lines for title, lines in nodes.items() if title.endswith("more nodes folded")]
    assert "holds add result #1-#7" in fold, fold


def test_a_chain_fold_says_which_numbered_results_it_holds(tmp_path):
    loss, muls, tanhs, _ = _chain()
    nodes = _nodes(_svg(loss, tmp_path, "folded", mode="backward"))
    [fold] = [lines for title, lines in nodes.items() if "nodes folded" in title]
    drawn = {int(t.rsplit("#", 1)[1]) for t in nodes if t.startswith("mul result #")}
    hidden = sorted(set(range(1, len(muls) + 1)) - drawn)  # (by hand: the muls not drawn)
    assert hidden == list(range(hidden[0], hidden[-1] + 1)), hidden  # (one run, the middle)
    assert f"holds mul result #{hidden[0]}-#{hidden[-1]}" in fold, fold
    assert not any(line.startswith("holds exp") for line in fold), fold  # (none hidden)


def test_module_boxes_say_which_numbered_results_they_hold(tmp_path):
    """Three RNNCell calls folded, ((h + 1) * h).sum() after them: each call's box holds the
    add inside it (#1, #2, #3 from the inputs up); the drawn `h + 1` is `add result #4`."""
    tg.manual_seed(3)
    cell = tg.nn.RNNCell(3, 4)
    h, xs = tg.zeros(1, 4), tg.randn(3, 1, 3)
    for t in range(3):
        h = cell(xs[t], h)
    loss = ((h + 1) * h).sum()
    svg = tg.draw_graph(loss, mode="backward", model=cell).pipe(format="svg").decode()
    nodes = _frame_nodes(svg)
    entries = _list(h.numpy() + 1)[1:-1].replace(",", "")  # (a row drawn as a table)
    assert f"data {entries}" in " ".join(nodes["add result #4"]), nodes["add result #4"]
    boxes = [lines for lines in _all_nodes(svg) if lines[0] == "RNNCell"]
    assert len(boxes) == 3, boxes
    held = sorted(line for lines in boxes for line in lines if line.startswith("holds "))
    assert held == ["holds add result #1", "holds add result #2", "holds add result #3"], held


def _all_nodes(svg: str) -> list[list[str]]:
    """Every node's lines of text (boxes of one title are several)."""
    return [[(t.text or "").strip() for t in g.iter(_SVG + "text")]
            for g in ET.fromstring(svg).iter(_SVG + "g")
            if (g.get("class") or "").split()[:1] == ["node"]]


def test_a_box_whose_title_is_drawn_nowhere_else_says_nothing_more(tmp_path):
    """The 14-link chain at max_nodes=None: nothing folded, no `holds` line anywhere."""
    loss, *_ = _chain()
    svg = tg.draw_graph(loss, mode="backward", max_nodes=None).pipe(format="svg").decode()
    assert not any(line.startswith("holds ") for lines in _all_nodes(svg) for line in lines)


def test_a_fold_lists_no_title_a_box_gives(tmp_path):
    """Five calls of a module returning two results, h = p * q after each, cut at
    max_nodes=14: the drawn calls' `Two result #k` are numbered among the drawn ones only,
    so the fold lists the muls it hides (by hand: those not drawn) and no `Two result`."""
    class Two(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = tg.nn.Linear(2, 2)

        def forward(self, x):
            a = self.fc(x)
            return a.tanh(), a.sigmoid()
    tg.manual_seed(0)
    model, h = Two(), tg.randn(1, 2)
    for _ in range(5):
        p, q = model(h)
        h = p * q
    svg = tg.draw_graph(h.sum(), mode="backward", model=model, max_nodes=14) \
        .pipe(format="svg").decode()
    [fold] = [lines for lines in _all_nodes(svg) if lines[0].endswith("more nodes folded")]
    drawn = {int(lines[0].rsplit("#", 1)[1]) for lines in _all_nodes(svg)
             if lines[0].startswith("mul result #")}
    hidden = sorted(set(range(1, 6)) - drawn)
    assert hidden and hidden == list(range(1, len(hidden) + 1)), (drawn, hidden)
    expected = "#1" if len(hidden) == 1 else f"#1-#{len(hidden)}"
    assert f"holds mul result {expected}" in fold, fold
    assert not any(line.startswith("holds Two") for line in fold), fold

"""What a hook on a result sent on, shown on its node (thirty-seventh round, part G), read
from the rendered SVG.

A drawing runs no hook of the user's, so a hooked result's node shows the gradient before
its hook; it said `(its hook changed what flows on)`, and the numbers the hook sent on were
nowhere unless the user called retain_grad(). backward() now keeps, per hooked result, what
its hooks sent on in the last pass that ran them, and the node says it, `(its hook sent on
[..])`, in both views, folded and opened, and on the step page's caption: the numbers are
compared with what the test's own hook returned. A hook that returns None is said nothing
of; one that has not run yet says so; numbers from a pass of another output say so.

Part N: a leaf's `.grad` names a hook as its cause only where the hook's change is in that
`.grad`: one changing its gradient in place, not a look-only node hook, not one whose
change was made before `x.grad = None` or in an autograd.grad pass, nor a look-only
post-accumulate-grad hook.
"""
from __future__ import annotations

import gc
import re
import weakref
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg

from test_factors_round34 import _nodes
from test_graph_labels import needs_dot

pytestmark = needs_dot

_SENT = "its hook sent on "
_NUMBER = r"-?\d+(?:\.\d*)?(?:e[+-]?\d+)?"


def _inputs():
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.Tensor([3.0, -1.2], requires_grad=True, name="w")
    return x, w


def _returning(fn, returned: list):
    """A hook giving `fn(g)`, each returned gradient's numbers kept in `returned`."""
    def hook(g):
        out = fn(g)
        returned.append(None if out is None else out.numpy().copy())
        return out
    return hook


def _drawn(output, tmp_path, tag: str, **options) -> dict[str, list[str]]:
    return _nodes(tg.render_graph(tg.draw_graph(output, **options), tmp_path / f"{tag}.svg"))


def _sent_numbers(lines: list[str], words: str = _SENT) -> np.ndarray | None:
    """The numbers a node writes after `words`, up to the parenthesis that closes them (a
    value broken over lines, a summary's range left out); None where it writes no such
    words."""
    text = " ".join(lines)
    start = text.find(words)
    if start < 0:
        return None
    start += len(words)
    said = text[start:text.index(")", start)]
    said = said.split(" min ")[0]  # (a summary: its first entries, then its range)
    return np.array([float(s) for s in re.findall(_NUMBER, said.replace("…", ""))])


def _agrees(shown: np.ndarray | None, returned: np.ndarray, precision: int = 4) -> None:
    """`shown` is what the hook returned, written at `precision` significant digits (its
    first entries where the node writes a summary)."""
    assert shown is not None, "no numbers were said"
    want = np.asarray(returned, dtype=np.float64).reshape(-1)
    assert 0 < shown.size <= want.size, (shown, want)
    want = want[:shown.size]
    np.testing.assert_allclose(shown, want, rtol=0.6 * 10.0 ** (1 - precision), atol=1e-300)


@pytest.mark.parametrize("mode", ["backward", "forward"])
def test_a_doubling_hook_shows_what_it_sent_on(tmp_path, mode):
    x, w = _inputs()
    h = x * w
    h.name = "h"
    returned: list = []
    h.register_hook(_returning(lambda g: g * 2, returned))
    loss = (h * h).sum()
    before = _drawn(loss, tmp_path, "before", mode=mode)["h"]
    assert "(its hook has not run yet)" in before, before  # (no backward() ran it)
    loss.backward()
    np.testing.assert_allclose(returned[0], 2 * 2 * x.numpy() * w.numpy())  # (NumPy's)
    nodes = _drawn(loss, tmp_path, "after", mode=mode)
    _agrees(_sent_numbers(nodes["h"]), returned[0])
    assert "has not run" not in " ".join(nodes["h"])
    for name in ("x", "w", "output"):  # (the hook's words on its own node only)
        assert _SENT not in " ".join(nodes[name]), nodes[name]
    if mode == "backward":  # the drawing's own pass: the gradient before the hook
        assert f"grad [{2 * 3.0:g}, {2 * -2.4:g}]" in nodes["h"], nodes["h"]


def test_precision_is_the_drawings():
    x, w = _inputs()
    h = x * w / 7.0
    h.name = "h"
    returned: list = []
    h.register_hook(_returning(lambda g: g * np.pi, returned))
    loss = (h * h).sum()
    loss.backward()
    for precision in (2, 6):
        text = tg.draw_graph(loss, mode="backward", precision=precision).source
        written = ", ".join(f"{v:.{precision}g}" for v in returned[0])
        assert f"{_SENT}[{written}])" in text, text


def test_a_hook_returning_none_makes_no_claim(tmp_path):
    x, w = _inputs()
    h = x * w
    h.name = "h"
    seen: list = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    loss = (h * h).sum()
    loss.backward()
    assert len(seen) == 1
    for mode in ("backward", "forward"):
        nodes = _drawn(loss, tmp_path, mode, mode=mode)
        text = " ".join(line for lines in nodes.values() for line in lines)
        assert "hook" not in text, nodes
    [step] = [c for c in tg.backward_steps(loss).captions if "gradient of h is" in c]
    assert "hook" not in step, step


def test_two_hooks_on_one_tensor_show_what_the_last_sent_on(tmp_path):
    x, w = _inputs()
    h = x * w
    h.name = "h"
    first: list = []
    last: list = []
    h.register_hook(_returning(lambda g: g * 3, first))
    h.register_hook(_returning(lambda g: g + 1, last))  # (gets what the first returned)
    loss = (h * h).sum()
    loss.backward()
    np.testing.assert_allclose(last[0], first[0] + 1)
    np.testing.assert_allclose(x.grad.numpy(), last[0] * w.numpy())  # (what reached x)
    nodes = _drawn(loss, tmp_path, "two", mode="backward")
    _agrees(_sent_numbers(nodes["h"]), last[0])
    assert " ".join(nodes["h"]).count(_SENT) == 1, nodes["h"]


def test_a_hook_on_a_tensor_used_twice_shows_what_it_sent_on_the_sum(tmp_path):
    x, w = _inputs()
    h = x * w
    h.name = "h"
    got: list = []
    returned: list = []

    def hook(g):
        got.append(g.numpy().copy())
        return g * -0.5
    h.register_hook(_returning(hook, returned))
    loss = (h * h).sum() + (h * 3.0).sum()  # h's gradient: 2h + 3, both uses added
    loss.backward()
    hd = x.numpy() * w.numpy()
    np.testing.assert_allclose(got[0], 2 * hd + 3)  # (the hook ran once, on the sum)
    assert len(returned) == 1
    for mode in ("backward", "forward"):
        _agrees(_sent_numbers(_drawn(loss, tmp_path, mode, mode=mode)["h"]), returned[0])
    [step] = [c for c in tg.backward_steps(loss).captions if "gradient of h is" in c]
    _agrees(_sent_numbers([step]), returned[0])
    assert "this page does not run it again" in step, step


def test_two_backward_calls_show_the_last_ones(tmp_path):
    x, w = _inputs()
    h = x * w
    h.name = "h"
    returned: list = []
    calls = iter([10.0, -1.0])
    h.register_hook(_returning(lambda g: g * next(calls), returned))
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert not np.allclose(returned[0], returned[1])
    np.testing.assert_allclose(x.grad.numpy(), (returned[0] + returned[1]) * w.numpy())
    for mode in ("backward", "forward"):
        nodes = _drawn(loss, tmp_path, mode, mode=mode)
        _agrees(_sent_numbers(nodes["h"]), returned[1])
        assert "another output" not in " ".join(nodes["h"]), nodes["h"]  # (this output's)


def test_numbers_from_a_pass_of_another_output_say_so(tmp_path):
    x, w = _inputs()
    h = x * w
    h.name = "h"
    returned: list = []
    h.register_hook(_returning(lambda g: g * 2, returned))
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    other = (h * 5.0).sum()
    other.backward()  # the last pass that ran the hook: not loss's
    np.testing.assert_allclose(returned[1], [10.0, 10.0])
    nodes = _drawn(loss, tmp_path, "loss", mode="backward")
    words = "in a backward() from another output, " + _SENT
    _agrees(_sent_numbers(nodes["h"], words), returned[1])
    nodes = _drawn(other, tmp_path, "other", mode="backward")  # (its own output's pass)
    _agrees(_sent_numbers(nodes["h"]), returned[1])
    assert "another output" not in " ".join(nodes["h"]), nodes["h"]
    [step] = [c for c in tg.backward_steps(loss).captions if "gradient of h is" in c]
    assert "(in a backward() from another output, its hook sent on [10, 10]; this page " \
        "does not run it again)" in step, step


def test_autograd_grad_runs_the_hook_too(tmp_path):
    x, w = _inputs()
    h = x * w
    h.name = "h"
    returned: list = []
    h.register_hook(_returning(lambda g: g * 4, returned))
    loss = (h * h).sum()
    [gx] = tg.autograd.grad(loss, [x])
    np.testing.assert_allclose(gx.numpy(), returned[0] * w.numpy())
    _agrees(_sent_numbers(_drawn(loss, tmp_path, "grad", mode="backward")["h"]), returned[0])


def test_a_folded_box_and_its_opened_node_show_what_the_hook_sent_on(tmp_path):
    tg.manual_seed(37)  # (six layers: drawn as one box a call)
    model = tg.nn.Sequential(*[m for _ in range(6) for m in (tg.nn.Linear(8, 8),
                                                             tg.nn.Tanh())])
    x = tg.Tensor(np.random.default_rng(37).normal(size=(6, 8)), name="x")
    y = first = model[0](x)
    returned: list = []
    first.register_hook(_returning(lambda g: g * 0.5 + 0.25, returned))
    for layer in list(model)[1:]:
        y = layer(y)
    loss = (y ** 2).mean()
    loss.backward()
    for mode in ("backward", "forward"):
        box = _drawn(loss, tmp_path, f"box-{mode}", model=model, mode=mode)["0: Linear(8 -> 8)"]
        _agrees(_sent_numbers(box, "a hook on its result sent on "), returned[0])
        opened = _drawn(loss, tmp_path, f"open-{mode}", model=model, mode=mode,
                        open_modules=True)["0: Linear(8 -> 8) result"]
        _agrees(_sent_numbers(opened), returned[0])


def test_the_step_page_that_ran_the_hook_says_nothing_more():
    x, w = _inputs()
    h = x * w
    h.name = "h"
    h.register_hook(lambda g: g * 2)
    loss = (h * h).sum()
    loss.backward(retain_graph=True)  # (the graph kept: the page runs the hook itself)
    [step] = [c for c in tg.backward_steps(loss).captions if "gradient of h is" in c]
    assert "sent on" not in step and "a hook changed it" in step, step


def test_a_removed_hook_is_said_nothing_of(tmp_path):
    x, w = _inputs()
    h = x * w
    h.name = "h"
    handle = h.register_hook(lambda g: g * 2)
    loss = (h * h).sum()
    loss.backward()
    handle.remove()
    text = " ".join(_drawn(loss, tmp_path, "removed", mode="backward")["h"])
    assert "hook" not in text, text


def test_what_was_kept_holds_no_graph_alive():
    x, w = _inputs()
    h = x * w
    h.register_hook(lambda g: g * 2)
    loss = (h * h).sum()
    loss.backward()
    kept_loss, kept_h = weakref.ref(loss), weakref.ref(h)
    del loss
    gc.collect()
    assert kept_loss() is None  # (the output the pass started from: not kept)
    del h
    gc.collect()
    assert kept_h() is None


def test_tutorial_3s_hook_on_pred_reads_as_the_page_says(tmp_path):
    page = " ".join((Path(__file__).resolve().parents[1] / "docs" / "tutorial"
                     / "3-freezing-a-weight.md").read_text().split())
    weights = tg.nn.Parameter([0.1, 0.2, -0.1])
    weights.freeze_(0)
    inputs = tg.Tensor([8.5, 0.65, 1.2])
    pred = (inputs * weights).sum()
    returned: list = []
    pred.register_hook(_returning(lambda g: g.clamp(-0.1, 0.1), returned))
    loss = 0.5 * (pred - 1) ** 2
    params = {"weights": weights}
    before = _drawn(loss, tmp_path, "before", params=params, mode="backward")
    loss.backward()
    nodes = _drawn(loss, tmp_path, "after", params=params, mode="backward")
    delta = pred.item() - 1  # (d loss / d pred, before the hook)
    assert returned[0] == max(-0.1, min(0.1, delta)) == -0.1
    np.testing.assert_allclose(weights.grad.numpy(), [0, -0.1 * 0.65, -0.1 * 1.2])
    quoted = [(before, "sum result", "(its hook has not run yet)"),
              (nodes, "sum result", f"grad {delta:.4g}"),
              (nodes, "sum result", f"({_SENT}{returned[0]:g})"),
              (nodes, "weights", ".grad [0, -0.065, -0.12]"),
              (nodes, "weights", "(changed by a hook on sum result, or from other "
                                 "backward() calls)")]
    for drawn, node, line in quoted:
        assert line in drawn[node], (line, drawn[node])
        assert f"`{line}`" in page, line


# -- a hook named as a `.grad`'s cause only where its change is in that `.grad` (part N) --

_BY_H = "(changed by a hook on h, or from other backward() calls)"


def _x_h_loss():
    """x, h = 3x and loss = sum(h * h): d loss / dh = 2h, d loss / dx = 18x."""
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    h = x * 3.0
    h.name = "h"
    return x, h, (h * h).sum()


def test_a_hook_that_changes_its_gradient_in_place_is_named(tmp_path):
    x, h, loss = _x_h_loss()
    h.register_hook(lambda g: (g.mul_(2), None)[1])  # (doubles in place, returns None)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 18 * x.numpy())  # (one pass, doubled)
    torch = pytest.importorskip("torch")
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    th = tx * 3.0
    th.register_hook(lambda g: (g.mul_(2), None)[1])
    (th * th).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    nodes = _drawn(loss, tmp_path, "in-place", mode="backward")
    said = " ".join(nodes["x"])
    assert _BY_H in said and "accumulated" not in said, nodes["x"]
    _agrees(_sent_numbers(nodes["h"]), 2 * 2 * h.numpy())


@pytest.mark.parametrize("where", ["prehook", "hook"])
def test_a_look_only_node_hook_is_no_cause(tmp_path, where):
    x, h, loss = _x_h_loss()
    seen: list = []
    if where == "prehook":
        h.grad_fn.register_prehook(lambda go: seen.append(go) and None)
    else:
        h.grad_fn.register_hook(lambda gi, go: seen.append(gi) and None)
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)  # (two passes: .grad twice this pass's)
    assert len(seen) == 2
    np.testing.assert_allclose(x.grad.numpy(), 2 * 18 * x.numpy())
    for mode in ("backward", "forward"):
        nodes = _drawn(loss, tmp_path, f"{where}-{mode}", mode=mode)
        said = " ".join(nodes["x"]) + " ".join(nodes["h"])
        assert "hook" not in said and "accumulated" in said, (nodes["x"], nodes["h"])


def test_a_changing_node_prehook_is_still_named(tmp_path):
    x, h, loss = _x_h_loss()
    h.grad_fn.register_prehook(lambda go: (go[0] * 5,))
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 5 * 18 * x.numpy())
    nodes = _drawn(loss, tmp_path, "pre", mode="backward")
    assert _BY_H in " ".join(nodes["x"]), nodes["x"]
    assert "(its hook changed what flows on)" in " ".join(nodes["h"]), nodes["h"]


def _clamped():
    """h = x * w with a hook clamping h's gradient to [-1, 1]; `big` (100 h) is clamped,
    `small` (0.01 h) is not."""
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = tg.Tensor([3.0, -1.0], requires_grad=True, name="w")
    h = x * w
    h.name = "h"
    h.register_hook(lambda g: g.clamp(-1, 1))
    return x, w, h, (h * 100).sum(), (h * 0.01).sum()


@pytest.mark.parametrize("cleared", [False, "none", "zeroed"])
def test_a_change_before_grad_was_cleared_is_not_named(tmp_path, cleared):
    x, w, h, big, small = _clamped()
    big.backward(retain_graph=True)  # the hook changes [100, 100] into [1, 1]
    np.testing.assert_allclose(x.grad.numpy(), w.numpy())
    if cleared:  # (x.grad = None, or zeroed in place)
        tg.optim.SGD([x, w], lr=0.1).zero_grad(set_to_none=cleared == "none")
    small.backward(retain_graph=True)
    small.backward(retain_graph=True)  # (the hook changes nothing: 0.01 is within [-1, 1])
    own = 2 * 0.01 * w.numpy()
    np.testing.assert_allclose(x.grad.numpy(), own if cleared else own + w.numpy())
    said = " ".join(_drawn(small, tmp_path, f"cleared-{cleared}", mode="backward")["x"])
    assert (_BY_H in said) == (not cleared), said
    assert ("(accumulated)" in said) == bool(cleared), said


def test_a_change_in_an_autograd_grad_pass_is_in_no_grad(tmp_path):
    x, w, h, big, small = _clamped()
    [gx] = tg.autograd.grad(big, [x], retain_graph=True)  # (clamped; writes no .grad)
    np.testing.assert_allclose(gx.numpy(), w.numpy())
    assert x.grad is None
    small.backward(retain_graph=True)
    small.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * 0.01 * w.numpy())
    said = " ".join(_drawn(small, tmp_path, "grad", mode="backward")["x"])
    assert "hook" not in said and "(accumulated)" in said, said


def test_a_changing_hook_removed_beside_a_look_only_one_is_no_cause(tmp_path):
    x, h, loss = _x_h_loss()
    doubling = h.register_hook(lambda g: g * 2)
    h.register_hook(lambda g: None)
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * 18 * x.numpy())
    doubling.remove()
    x.grad = None
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * 18 * x.numpy())  # (two passes, none doubled)
    said = " ".join(_drawn(loss, tmp_path, "removed", mode="backward")["x"])
    assert "hook" not in said and "(accumulated)" in said, said


@pytest.mark.parametrize("factor", [None, 3.0])
def test_a_post_accumulate_hook_is_named_where_it_changed_grad(tmp_path, factor):
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    seen: list = []

    def hook(p):  # (looks, or triples p.grad)
        seen.append(p.grad.numpy().copy())
        if factor is not None:
            p.grad = p.grad * factor
    w.register_post_accumulate_grad_hook(hook)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)
    assert len(seen) == 2
    f = 1.0 if factor is None else factor
    np.testing.assert_allclose(w.grad.numpy(), (f * f + f) * 2 * w.numpy())  # ((2w f + 2w) f)
    said = " ".join(_drawn(loss, tmp_path, f"post-{factor}", mode="backward")["w"])
    assert ("(changed by its hook, or from other backward() calls)" in said) == (
        factor is not None), said
    assert ("(accumulated)" in said) == (factor is None), said

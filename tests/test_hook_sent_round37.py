"""What a hook on a result sent on, shown on its node (thirty-seventh round, part G), read
from the rendered SVG.

A drawing runs no hook of the user's, so a hooked result's node shows the gradient before
its hook; it said `(its hook changed what flows on)`, and the numbers the hook sent on were
nowhere unless the user called retain_grad(). backward() now keeps, per hooked result, what
its hooks sent on in the last pass that ran them, and the node says it, `(its hook sent on
[..])`, in both views, folded and opened, and on the step page's caption: the numbers are
compared with what the test's own hook returned. A hook that returns None is said nothing
of; one that has not run yet says so; numbers from a pass of another output say so.
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

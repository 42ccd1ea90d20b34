"""What a reader sees in diagrams the twenty-ninth round left misleading, read from
rendered SVGs.

- A masked mean over a slice the mask leaves out whole, in the backward view: the NaN its
  gradient carries inside the mean (0 x 1/NaN) stops at the mean's `where`, and the
  parameter's gradient is finite; it was red, "NaN in grad". It says what it is now, in
  plain text: `NaN in grad where the mask keeps no entry (op where stops it)`. A NaN
  gradient that reaches a leaf, or that a user's own NaN made, stays red.
- `masked.median`, `masked.softmax` and `masked.softmin` over such a slice give NaN on
  purpose (PyTorch's docs: the median of no entry is undefined, NaN; the softmax of a row
  left out whole is NaN): drawn red before, they say what their NaN is now, and a NaN of
  the user's data in a kept entry is still red.
- The Bi-LSTM CRF tutorial's `_forward_alg` drawn alone (no `sub` joining two scores)
  drew ten boxes, `input k of cat`, one per tag of each word. Its steps are alike: it
  draws one box now, `steps joined by cat`, saying the same 16 ops ran ten times, with
  the forward variables it makes (checked against the recursion in NumPy) and, in the
  backward view, their gradient (the softmax of the last scores).
- Constants a module's forward makes with `tg.full`, `tg.zeros`, `tg.ones`, `tg.tensor`
  stood outside its box as loose inputs: they fold into it now, and drawn open are named
  `constant in 0: Scaled`; a tensor the user made outside any call is still an input.

Numbers are checked against NumPy formulas or PyTorch, never against the drawing code.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.scope import nan_on_purpose

from test_diagram_bilstm_crf import SENTENCE, _model
from test_diagrams_round29 import _nodes, _red_nodes, _render, _shown
from test_graph_labels import needs_dot
from test_port_blitz_nlp import CRF_TAGS, START_TAG, STOP_TAG

pytestmark = needs_dot

_EMPTY_ROW = "where the mask keeps no entry"


def _masked_input():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = tg.tensor([[True, False, True], [False, False, False]])  # row 1 left out whole
    return x, mask


def _node(path, start: str) -> str:
    return next(text for text, _, _ in _nodes(path) if text.startswith(start))


# ------------------------------------------------------------------ a gradient's NaN


def test_a_masked_means_nan_gradient_that_stops_at_its_where_says_so(tmp_path):
    x, mask = _masked_input()
    loss = tg.nansum(tg.masked.mean(x, 1, mask=mask))
    loss.backward()
    kept = mask.numpy()
    expected = kept / np.maximum(kept.sum(axis=1, keepdims=True), 1)  # 1/count where kept
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    path, text = _render(loss, tmp_path, "mean", mode="backward")
    assert not _red_nodes(path)  # the sum's and the where's gradient were red
    assert "NaN in grad" in _node(path, "sum result") and "NaN in grad" in _node(
        path, "where result")
    for start in ("sum result", "where result"):
        assert _node(path, start).endswith(f"NaN in grad {_EMPTY_ROW} (op where stops it)")
    assert "grad 0.5 0 0.5 0 0 0" in _node(path, "parameter (2, 3)")


def test_a_nan_gradient_that_reaches_a_leaf_stays_a_fault(tmp_path):
    y = tg.tensor([1.0, 2.0], requires_grad=True)
    meant = nan_on_purpose(tg.tensor([math.nan, 1.0]), "where nothing was kept")
    path, text = _render(tg.nansum((y * 2) * meant), tmp_path, "leaf", mode="backward")
    red = _red_nodes(path)
    assert any(n.startswith("parameter (2,)") and n.endswith("NaN in grad") for n in red)
    assert any(n.startswith("mul result") and n.endswith("NaN in grad") for n in red)
    assert "stops it" not in text


def test_a_users_own_nan_gradient_stays_a_fault_even_where_a_where_stops_it(tmp_path):
    x, mask = _masked_input()
    divisor = tg.tensor([[2.0, 2.0, 2.0], [math.nan, 2.0, 2.0]])  # the user's data
    loss = tg.nansum(tg.where(mask, x, 0.0) / divisor)  # 1/NaN at an entry left out
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()
    path, text = _render(loss, tmp_path, "own", mode="backward")
    assert "stops it" not in text
    red = _red_nodes(path)
    assert any(n.startswith("input (2, 3)") and "NaN in data" in n for n in red)
    assert any(n.startswith("where result") and n.endswith("NaN in grad") for n in red)


def test_a_nan_gradient_of_its_own_beside_a_meant_one_stays_a_fault(tmp_path):
    # sqrt(0)'s infinite slope at an entry the mask leaves out of a kept row (0 x inf is
    # NaN there) beside a masked softmax's meant NaN in the row left out whole: the first is
    # a fault, red, and draw_anomaly's culprit is sqrt
    x, mask = _masked_input()
    meant = tg.masked.softmax(tg.tensor([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]), 1, mask=mask)
    loss = tg.nansum(tg.where(mask, (tg.where(mask, x, 0.0) * meant).sqrt(), 0.0))
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()
    path, text = _render(loss, tmp_path, "sqrt", mode="backward")
    assert "stops it" not in text
    assert any(n.startswith("where result") and n.endswith("NaN in grad")
               for n in _red_nodes(path))
    culprit = tg.render_graph(tg.draw_anomaly(loss), tmp_path / "anomaly.svg")
    assert [n for n, _, strokes in _nodes(culprit) if "#c92a2a" in strokes][0].startswith(
        "sqrt"), "draw_anomaly points at sqrt"


# ------------------------------------------------------------------ median and softmax


@pytest.mark.parametrize("name", ["median", "softmax", "softmin"])
@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_a_masked_median_or_softmax_of_a_slice_left_out_whole_says_what_its_nan_is(
        tmp_path, name, mode):
    x, mask = _masked_input()
    result = getattr(tg.masked, name)(x, 1, mask=mask)
    assert np.isnan(result.numpy()[1]).all() and np.isfinite(result.numpy()[0]).all()
    path, text = _render(tg.nansum(result), tmp_path, f"{name}-{mode}", mode=mode)
    assert not _red_nodes(path), _red_nodes(path)
    assert "NaN in data" not in text
    assert _node(path, f"masked.{name}() result").endswith(f"NaN {_EMPTY_ROW}")


@pytest.mark.parametrize("name", ["median", "softmax"])
def test_a_nan_of_the_users_data_in_a_kept_entry_is_still_red(tmp_path, name):
    x = tg.tensor([[math.nan, math.nan, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = tg.tensor([[True, False, False], [False, False, False]])  # row 0 keeps its NaN
    result = getattr(tg.masked, name)(x, 1, mask=mask)
    assert np.isnan(result.numpy()).all()
    path, text = _render(tg.nansum(result), tmp_path, name)
    assert any(n.startswith(f"masked.{name}() result") and "NaN in data" in n
               for n in _red_nodes(path))
    assert _EMPTY_ROW not in text


@pytest.mark.torch
@pytest.mark.parametrize("name", ["median", "softmax", "softmin"])
def test_the_masked_nan_drawn_is_pytorchs(name):
    torch = pytest.importorskip("torch")
    x, mask = _masked_input()
    tx = torch.tensor(x.numpy(), requires_grad=True)
    ours = getattr(tg.masked, name)(x, 1, mask=mask)
    theirs = getattr(torch.masked, name)(tx, 1, mask=torch.tensor(mask.numpy()))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), equal_nan=True)
    tg.nansum(ours).backward()
    torch.nansum(theirs).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-15)


# ------------------------------------------------------------------ a loop drawn alone


def _alphas_in_numpy(model) -> tuple[np.ndarray, float]:
    """The forward algorithm's variables after the last word and log Z, by its recursion
    in NumPy on the model's emission scores."""
    feats = model._get_lstm_features(tg.tensor(SENTENCE)).numpy()
    trans = model.transitions.numpy()
    alpha = np.full(len(CRF_TAGS), -10000.0)
    alpha[CRF_TAGS[START_TAG]] = 0.0
    for feat in feats:  # alpha_j = log sum_i exp(alpha_i + trans[j, i] + feat[j])
        scores = alpha[None, :] + trans + feat[:, None]
        top = scores.max(axis=1)
        alpha = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
    last = alpha + trans[CRF_TAGS[STOP_TAG]]
    return alpha, float(last.max() + np.log(np.exp(last - last.max()).sum()))


def _listed(text: str, word: str) -> list[float]:
    """The numbers of the list drawn after `word` (`result [0.8256, 2.321, ...]`)."""
    found = re.search(re.escape(word) + r" \[([^\]]*)\]", text)
    assert found, (word, text)
    return [float(v) for v in found.group(1).split(", ")]


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_the_forward_algorithm_drawn_alone_draws_its_loop_as_one_box(tmp_path, mode):
    model = _model(declared=False)
    feats = model._get_lstm_features(tg.tensor(SENTENCE))
    log_z = model._forward_alg(feats)
    alpha, expected = _alphas_in_numpy(model)
    assert log_z.item() == pytest.approx(expected, rel=1e-12)
    path, text = _render(log_z, tmp_path, mode, mode=mode, model=model)
    nodes = _nodes(path)
    assert len(nodes) <= 40, len(nodes)  # it was 55: ten boxes, `input k of cat`
    assert "of cat made by" not in text
    steps = [n for n, _, _ in nodes if n.startswith("steps joined by cat")]
    assert len(steps) == 1, steps
    # one step per word and tag: emit_score, trans_score, two adds, log_sum_exp's eight
    # ops, `.view(1)` and the step's share of the cat
    assert f"{len(SENTENCE) * len(CRF_TAGS)} × the same 16 ops (a loop?)" in steps[0]
    # what the loop makes: the forward variables after the last word
    np.testing.assert_allclose(_listed(steps[0], "result"), alpha, rtol=1e-3)
    assert f"output data {_shown(expected)}" in text
    assert "transitions (5, 5)" in text and "hidden2tag: Linear(4 -> 5)" in text
    if mode == "backward":  # d log Z / d alpha: the softmax of the last scores
        last = alpha + model.transitions.numpy()[CRF_TAGS[STOP_TAG]]
        share = np.exp(last - last.max()) / np.exp(last - last.max()).sum()
        np.testing.assert_allclose(_listed(steps[0], "grad"), share, rtol=1e-3, atol=1e-6)



def test_a_loops_steps_that_feed_a_second_join_too_stay_a_box_each(tmp_path):
    # each step's result also goes into a second cat: no one box holds the steps, so the
    # loop is not drawn as one (it was a box of the cat alone, titled by steps outside it)
    x = tg.Tensor([0.1, 0.2, 0.3], requires_grad=True, name="x")
    steps = [((x * k).exp().sum() + 1).log().reshape(1) * 2 + 0.5 for k in (1, 2, 3)]
    out = tg.cat(steps).sum() * tg.cat([s * 1 for s in steps]).sum()
    path, text = _render(out, tmp_path, "two-joins")
    titles = [n for n, _, _ in _nodes(path)]
    assert not any(t.startswith("steps joined by") for t in titles), titles
    assert sum(t.startswith(f"input {k} of cat") for t in titles for k in (1, 2, 3)) == 3


def test_two_alike_computations_joined_stay_two_boxes(tmp_path):
    def score(w):  # 6 steps of log(sum(exp(w * k))) added up: 24 ops
        return sum(((w * k).exp().sum()).log() for k in range(1, 7))

    x = tg.Tensor([0.1, 0.2, 0.3], requires_grad=True, name="x")
    y = tg.Tensor([0.3, -0.2, 0.5], requires_grad=True, name="y")
    loss = score(x) - score(y)
    path, text = _render(loss, tmp_path, "two", mode="backward")
    nodes = _nodes(path)
    first = next(n for n, _, _ in nodes if n.startswith("input 1 of sub"))
    second = next(n for n, _, _ in nodes if n.startswith("input 2 of sub"))
    for box, w in ((first, x), (second, y)):
        value = sum(np.log(np.exp(w.numpy() * k).sum()) for k in range(1, 7))
        assert f"result {_shown(value)}" in box
    assert "steps joined by" not in text

# ------------------------------------------------------------------ constants made in forward


class Scaled(nn.Module):
    """tanh(Linear(x) * 2 + 0) with the 2 and the 0 made by tg.full and tg.zeros inside
    forward, and a mask by tg.ones and tg.tensor."""

    def __init__(self, n: int, seed: int) -> None:
        super().__init__()
        self.lin = nn.Linear(n, n, seed=seed)

    def forward(self, x):
        n = x.shape[-1]
        scale, offset = tg.full((n,), 2.0), tg.zeros(n)
        kept = tg.ones(n) * tg.tensor([1.0] * n)
        return (self.lin(x) * scale + offset).tanh() * kept


def test_constants_made_by_creation_functions_in_forward_are_drawn_in_the_calls_box(tmp_path):
    model = nn.Sequential(*[Scaled(3, seed) for seed in range(4)], nn.Linear(3, 1, seed=9))
    x = tg.tensor(np.random.default_rng(0).normal(size=(2, 3)))  # the user's: an input
    out = model(x)
    expected = x.numpy()
    for layer in list(model)[:4]:
        w, b = layer.lin.weight.numpy(), layer.lin.bias.numpy()
        expected = np.tanh((expected @ w.T + b) * 2.0)
    last = list(model)[4]
    expected = expected @ last.weight.numpy().T + last.bias.numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    loss = (out ** 2).mean()
    path, text = _render(loss, tmp_path, "folded", model=model)
    assert "input (3,)" not in text  # eight of them stood outside the boxes, two per call
    assert "of constants" not in text  # (tg.ones(n) * tg.tensor(...): made inside too)
    assert "input (2, 3)" in text  # the model's input stays one
    for k in range(4):
        assert f"{k}: Scaled module call" in text
    _, text = _render(loss, tmp_path, "open", model=model, open_modules=True, max_nodes=None)
    for k in range(4):
        for values in ("[2, 2, 2]", "[0, 0, 0]"):
            assert f"constant in {k}: Scaled (3,) data {values}" in text, (k, values)
    assert text.count("mul of constants (3,) data [1, 1, 1]") == 4
    assert "input (3,)" not in text and "input (2, 3)" in text


def test_a_tensor_made_outside_any_call_is_still_an_input(tmp_path):
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    made = tg.full((3,), 2.0)  # the user's, made before any call
    layer = nn.Linear(3, 3, seed=0)
    _, text = _render((layer(x * made) ** 2).sum(), tmp_path, "outside", open_modules=True)
    # (x, needing a gradient beside a model, is an `input` too: the two numbered)
    assert "input #2 (3,) data [2, 2, 2]" in text and "constant in" not in text

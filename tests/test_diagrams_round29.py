"""What a reader sees in two diagrams the twenty-eighth round's notes called misleading or
unreadable, read from rendered SVGs.

- PyTorch's Bi-LSTM CRF tutorial as written (its helpers not declared with
  `drawn_as_call`): its loss drew 86 nodes, the forward algorithm one anonymous box of
  292 nodes among twenty dangling getitem and view nodes. It draws the loss as the
  tutorial explains it now, `forward_score - gold_score`: each of the two results `sub`
  takes is one box (`input 1 of sub`, `input 2 of sub`) holding what makes it and
  nothing else, with its value and gradient, and the forward algorithm's box says that
  one step ran ten times (two words × five tags); its `init_alphas`, drawn as the user's
  `input (1, 5)`, is inside that box, and with the helpers declared, inside
  `_forward_alg()`'s, named `constant in _forward_alg()` when drawn open.
- A masked mean's count over a slice the mask leaves out whole holds NaN on purpose (it
  keeps backward free of NumPy's warnings and gives PyTorch's NaN): it was marked red,
  "NaN in data", as a fault. It says what it is now, `NaN where the mask keeps no entry`,
  and so does the mean's result while the output is finite; a NaN output still is marked
  red, with those words where the mean's NaN reached it, `draw_anomaly` blames the mean's
  `div` (it blamed the count), and a user's own NaN is marked as before.

Numbers are checked against independent NumPy computations (the CRF by enumerating every
tag path) or PyTorch, never against the drawing code.
"""
from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.scope import drawn_as_call

from test_diagram_bilstm_crf import SENTENCE, TAGS, _loss, _model
from test_graph_labels import needs_dot, svg_texts
from test_port_blitz_nlp import CRF_TAGS, START_TAG, STOP_TAG

pytestmark = needs_dot

_SVG = "{http://www.w3.org/2000/svg}"
_RED = "#e03131"  # a fault's colour: the stroke of a node holding NaN or Inf
_HIGHLIGHT = "#ffc9c9"  # draw_anomaly's culprit


def _render(output, tmp_path, name: str, **options):
    path = tg.render_graph(output, tmp_path / f"{name}.svg", **options)
    return path, svg_texts(path)


def _nodes(path) -> list[tuple[str, set[str], set[str]]]:
    """Each node of a rendered SVG: its text, its shapes' fill and stroke colours."""
    found = []
    for g in ET.parse(path).getroot().iter(_SVG + "g"):
        if g.get("class") != "node":
            continue
        text = " ".join(" ".join((t.text or "").split()) for t in g.iter(_SVG + "text"))
        shapes = [e for e in g.iter() if e.tag in (_SVG + "polygon", _SVG + "ellipse",
                                                   _SVG + "path")]
        found.append((text.replace("\xa0", " "), {e.get("fill") for e in shapes},
                      {e.get("stroke") for e in shapes}))
    return found


def _shown(number: float) -> str:
    return f"{number:.4g}"


# ------------------------------------------------------------------ the Bi-LSTM CRF


def _crf_by_paths(model) -> tuple[float, float, np.ndarray]:
    """log Z, the gold path's score and each word's tag marginals (d log Z / d emission
    scores), by enumerating every tag path of the sentence: no recursion of the
    tutorial's."""
    feats = model._get_lstm_features(tg.tensor(SENTENCE)).numpy()
    trans = model.transitions.numpy()
    start, stop = CRF_TAGS[START_TAG], CRF_TAGS[STOP_TAG]
    words, tags = feats.shape
    scores = {}
    for path in itertools.product(range(tags), repeat=words):
        before = (start, *path)
        scores[path] = sum(trans[before[k + 1], before[k]] + feats[k, before[k + 1]]
                           for k in range(words)) + trans[stop, path[-1]]
    values = np.array(list(scores.values()))
    log_z = values.max() + np.log(np.exp(values - values.max()).sum())
    marginals = np.zeros((words, tags))
    for path, score in scores.items():
        marginals[np.arange(words), path] += np.exp(score - log_z)
    return float(log_z), float(scores[tuple(TAGS)]), marginals


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_the_tutorial_as_written_draws_its_loss_as_the_two_scores_it_subtracts(tmp_path, mode):
    model = _model(declared=False)
    loss = _loss(model)
    log_z, gold, marginals = _crf_by_paths(model)
    assert loss.item() == pytest.approx(log_z - gold, rel=1e-12)
    path, text = _render(loss, tmp_path, mode, mode=mode, model=model)
    nodes = _nodes(path)
    assert len(nodes) <= 20, len(nodes)  # it was 86
    assert "nodes folded …" not in text  # no anonymous box left
    first = next(n for n, _, _ in nodes if n.startswith("input 1 of sub"))
    second = next(n for n, _, _ in nodes if n.startswith("input 2 of sub"))
    assert f"result {_shown(log_z)}" in first and f"result [{_shown(gold)}]" in second
    # one step of the loops over 2 words and 5 tags, run ten times: the 16 ops of
    # `emit_score`, `trans_score`, two adds, log_sum_exp's eight and `.view(1)`
    steps = len(SENTENCE) * len(CRF_TAGS)
    assert f"{steps} × the same 16 ops (a loop?)" in first and "exp, sum, log" in first
    for kept in ("lstm: LSTM", "hidden2tag: Linear(4 -> 5)", "word_embeds: Embedding",
                 "transitions (5, 5)"):
        assert kept in text, kept
    assert "input (1, 5)" not in text  # init_alphas: in the box that uses it
    assert "drawn_as_call" in text  # how to title the boxes by the functions' names
    if mode == "backward":
        assert "∂/∂input 1 of sub = 1" in text and "∂/∂input 2 of sub = -1" in text
        assert "grad 1" in first and "grad [-1]" in second
        # what each score sends back to the emission scores: log Z's tag marginals, and
        # -1 at each word's gold tag
        assert " ".join(_shown(v) for v in marginals.ravel()) in text
        one_hot = np.zeros_like(marginals)
        one_hot[np.arange(len(SENTENCE)), TAGS] = -1
        assert " ".join(f"{v:g}" for v in one_hot.ravel()) in text


def test_the_declared_helpers_draw_init_alphas_inside_the_call_that_made_it(tmp_path):
    model = _model(declared=True)
    loss = _loss(model)
    _, text = _render(loss, tmp_path, "declared", model=model)
    assert "_forward_alg()" in text and "input (1, 5)" not in text  # it was beside the box
    _, text = _render(loss, tmp_path, "open", model=model, open_modules=True, max_nodes=None)
    init_alphas = np.full(len(CRF_TAGS), -10000.0)
    init_alphas[CRF_TAGS[START_TAG]] = 0
    values = " ".join(f"{v:g}" for v in init_alphas)
    assert f"constant in _forward_alg() (1, 5) data {values}" in text
    assert "input (1, 5)" not in text


def test_a_declared_function_draws_what_it_was_given_as_input_and_what_it_made_as_its_own(
        tmp_path):
    @drawn_as_call("scaled()")
    def scaled(x, c):
        made = tg.full((3,), 2.0)  # made inside: no input of the call
        return (x * c * made).sum()

    x = tg.Tensor([0.5, -1.0, 2.0], requires_grad=True, name="x")
    c = tg.tensor([1.0, 2.0, 3.0])  # given: the caller's data
    loss = scaled(x, c)
    assert loss.item() == pytest.approx(float(np.sum(x.numpy() * c.numpy() * 2.0)))
    _, text = _render(loss, tmp_path, "scaled")
    assert "c (3,) data [1, 2, 3]" in text  # (named as the argument it was: round 31)
    assert "constant in scaled() (3,) data [2, 2, 2]" in text
    # a tensor the call read from outside, used outside it too: an input there
    shared = tg.tensor([1.0, 1.0, 1.0])
    used = drawn_as_call("used()")(lambda x: (x * shared).sum())
    used(x)
    _, text = _render((x * shared).sum(), tmp_path, "later")
    assert "input (3,) data [1, 1, 1]" in text and "used()" not in text


def _two_loops(x):
    """Two computations of one parameter joined by a subtraction: 6 steps of
    log(sum(exp(x * k))) added up, minus 6 of sum(|x - k|) ** 2 added up."""
    left = sum(((x * k).exp().sum()).log() for k in range(1, 7))
    right = sum(((x - k).abs().sum()) ** 2 for k in range(1, 7))
    return left - right


def test_an_op_joining_two_large_computations_draws_each_as_the_input_it_makes(tmp_path):
    x = tg.Tensor([0.1, 0.2, 0.3], requires_grad=True, name="x")
    loss = _two_loops(x)
    xs = x.numpy()
    left = sum(np.log(np.exp(xs * k).sum()) for k in range(1, 7))
    right = sum(np.abs(xs - k).sum() ** 2 for k in range(1, 7))
    path, text = _render(loss, tmp_path, "two", mode="backward")
    nodes = _nodes(path)
    first = next(n for n, _, _ in nodes if n.startswith("input 1 of sub"))
    second = next(n for n, _, _ in nodes if n.startswith("input 2 of sub"))
    assert f"result {_shown(left)}" in first and f"result {_shown(right)}" in second
    assert "6 × the same 4 ops (a loop?): mul, exp, sum, log" in first
    assert "6 × the same 4 ops (a loop?): sub, abs, sum, pow" in second
    assert "∂/∂input 1 of sub = 1" in text and "∂/∂input 2 of sub = -1" in text
    assert any(n.startswith("x (3,)") for n, _, _ in nodes)  # the parameter stays drawn
    # one large computation alone joins nothing: no such box
    _, text = _render(_two_loops(x) + 0 * x.sum(), tmp_path, "one")
    assert "input 2 of add" not in text


# ------------------------------------------------------------------ masked NaN


def _masked_input():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = tg.tensor([[True, False, True], [False, False, False]])  # row 1 left out whole
    return x, mask


def _red_nodes(path) -> list[str]:
    return [text for text, _, strokes in _nodes(path) if _RED in strokes]


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_a_masked_means_count_of_an_empty_slice_says_what_its_nan_is(tmp_path, mode):
    x, mask = _masked_input()
    mean = tg.masked.mean(x, 1, mask=mask)
    kept = mask.numpy().sum(axis=1)
    expected = np.where(kept > 0, (x.numpy() * mask.numpy()).sum(axis=1) / np.maximum(kept, 1),
                        np.nan)
    np.testing.assert_array_equal(mean.numpy(), expected)
    loss = tg.nansum(mean)  # the user's own answer to the empty slice: a finite loss
    path, text = _render(loss, tmp_path, mode, mode=mode)
    assert "count kept by the mask (2,) data [2, nan] NaN where the mask keeps no entry" in text
    assert "masked.mean() result (2,) data [2, nan]" in text
    assert "NaN in data" not in text  # it was on the count and the mean's result
    assert not [n for n in _red_nodes(path) if "data [2, nan]" in n]
    if mode == "forward":
        assert not _red_nodes(path)


def test_a_nan_output_is_still_marked_and_draw_anomaly_blames_the_mean_not_its_count(
        tmp_path):
    x, mask = _masked_input()
    loss = tg.masked.mean(x, 1, mask=mask).sum()
    assert math.isnan(loss.item())
    path, text = _render(loss, tmp_path, "nan")
    red = _red_nodes(path)
    assert any(n.startswith("output") and "NaN in data" in n for n in red)
    assert any(n.startswith("masked.mean() result") and
               n.endswith("NaN in data where the mask keeps no entry") for n in red)
    assert not [n for n in red if n.startswith("count kept by the mask")]
    culprit = tg.render_graph(tg.draw_anomaly(loss), tmp_path / "culprit.svg")
    blamed = [text for text, fills, _ in _nodes(culprit) if _HIGHLIGHT in fills]
    assert blamed == ["div"], blamed  # the mean's own op: it blamed the count constant


def test_a_users_own_nan_is_marked_as_before(tmp_path):
    x = tg.tensor([[math.nan, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    _, mask = _masked_input()  # the NaN is kept by the mask: the mean of row 0 is NaN
    path, text = _render(tg.nansum(tg.masked.mean(x, 1, mask=mask)), tmp_path, "own")
    red = _red_nodes(path)
    assert any(n.startswith("parameter (2, 3)") and "NaN in data" in n for n in red)
    assert any(n.startswith("masked.mean() result (2,) data [nan, nan]") for n in red)
    assert "count kept by the mask (2,) data [2, nan] NaN where the mask keeps no entry" in text
    # a divisor of the user's own with NaN: a fault as before
    y = tg.tensor([1.0, 2.0], requires_grad=True)
    path, text = _render(tg.nansum(y / tg.tensor([2.0, math.nan])), tmp_path, "divisor")
    assert any(n.startswith("input (2,) data [2, nan]") and n.endswith("NaN in data")
               for n in _red_nodes(path))
    # NaN declared meant, then moved by a write: no longer what was meant, a fault
    from tinygrad_gd.scope import nan_on_purpose
    z = nan_on_purpose(tg.tensor([math.nan, 1.0]), "where nothing was kept")
    z.data[1] = math.nan
    path, text = _render(tg.nansum(y * z), tmp_path, "written")
    assert "where nothing was kept" not in text
    assert any(n.startswith("input (2,) data [nan, nan]") for n in _red_nodes(path))


@pytest.mark.parametrize("name", ["var", "std"])
def test_masked_var_and_std_say_which_slices_keep_too_few_entries(tmp_path, name):
    x, empty = _masked_input()
    mask = tg.tensor([[True, False, False], [True, True, False]])  # one entry: no variance
    spread = getattr(tg.masked, name)(x, 1, mask=mask)
    expected = np.var([4.0, 5.0], ddof=1)
    np.testing.assert_allclose(spread.numpy(), [np.nan, expected ** (0.5 if name == "std"
                                                                     else 1)])
    _, text = _render(tg.nansum(spread), tmp_path, name)
    assert ("count kept - correction (2,) data [nan, 1] NaN where the mask keeps no more "
            "entries than the correction") in text
    assert "NaN in data" not in text
    # a slice left out whole: its mean's NaN, then the distances from it, then the spread
    spread = getattr(tg.masked, name)(x, 1, mask=empty)
    _, text = _render(tg.nansum(spread), tmp_path, f"{name}-empty")
    assert "NaN in data" not in text  # (the distances from the mean of nothing were red)
    assert "mul result (2, 3) data 1 0 1 nan nan nan NaN where the mask keeps no entry" in text


@pytest.mark.torch
def test_the_masked_values_drawn_are_pytorchs():
    torch = pytest.importorskip("torch")
    x, mask = _masked_input()
    tx, tmask = torch.tensor(x.numpy()), torch.tensor(mask.numpy())
    np.testing.assert_array_equal(tg.masked.mean(x, 1, mask=mask).numpy(),
                                  torch.masked.mean(tx, 1, mask=tmask).numpy())
    partial = tg.tensor([[True, False, False], [True, True, False]])
    tpartial = torch.tensor(partial.numpy())
    np.testing.assert_allclose(tg.masked.var(x, 1, mask=partial).numpy(),
                               torch.masked.var(tx, 1, mask=tpartial).numpy(), equal_nan=True)

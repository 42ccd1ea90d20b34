"""What a reader sees in the diagram of the Bi-LSTM CRF's loss (PyTorch's "Advanced: Making
Dynamic Decisions and the Bi-LSTM CRF", ported in tests/test_port_blitz_nlp.py), read from
rendered SVGs.

The loss of a two-word sentence is 541 nodes: the CRF's forward algorithm (a log-sum-exp
over the five tags for each tag of each word, and one at the end) makes most of them, then
the LSTM, then the gold path's score. Drawn as the tutorial writes it (its helpers are plain
methods, no module call), the two results the loss subtracts fold into one box each, titled
by the input they make, `input 1 of sub` and `input 2 of sub`, in no more nodes than the
declared picture. A user who declares the model's own helpers with
`scope.drawn_as_call` (here `_forward_alg` and `_score_sentence`, decorated as a user
would decorate them in the class) sees the loss as the tutorial explains it: the LSTM's
features, the partition function `_forward_alg()` minus the gold score
`_score_sentence()`, each one box with its result and gradient, the transitions beside
them, in under 20 nodes; the values and gradients are unchanged by the declaration.

The numbers are checked against an independent NumPy computation of the CRF (the forward
algorithm's recursion, the gold path's sum), never against the drawing code.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.scope import drawn_as_call

from test_graph_labels import needs_dot, svg_texts
from test_port_blitz_nlp import CRF_TAGS, STOP_TAG, START_TAG, _bilstm_crf, _Fixed

pytestmark = needs_dot

SENTENCE, TAGS = [0, 2], [0, 1]  # a two-word sentence and its gold tags (B, I)


def _model(declared: bool):
    """The tutorial's model (vocabulary 3, embedding 5, hidden 4), its helpers declared
    as calls when `declared` (the class is made anew by each `_bilstm_crf` call)."""
    tg.manual_seed(0)
    model = _bilstm_crf(tg, 3, CRF_TAGS, 5, 4, _Fixed())
    if declared:
        crf = type(model)
        crf._forward_alg = drawn_as_call("_forward_alg()")(crf._forward_alg)
        crf._score_sentence = drawn_as_call("_score_sentence()")(crf._score_sentence)
    return model


def _loss(model):
    return model.neg_log_likelihood(tg.tensor(SENTENCE), tg.tensor(TAGS))


def _crf_in_numpy(model) -> tuple[float, float]:
    """The partition function's log and the gold path's score, by the CRF's formulas on
    the model's emission scores (the features its LSTM and Linear give)."""
    feats = model._get_lstm_features(tg.tensor(SENTENCE)).numpy()
    trans = model.transitions.numpy()
    start, stop = CRF_TAGS[START_TAG], CRF_TAGS[STOP_TAG]
    alpha = np.full(len(CRF_TAGS), -10000.0)
    alpha[start] = 0.0
    for feat in feats:  # alpha_j = log sum_i exp(alpha_i + trans[j, i] + feat[j])
        scores = alpha[None, :] + trans + feat[:, None]
        top = scores.max(axis=1)
        alpha = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
    last = alpha + trans[stop]
    partition = last.max() + np.log(np.exp(last - last.max()).sum())
    path = [start, *TAGS]
    gold = sum(trans[path[k + 1], path[k]] + feats[k, path[k + 1]] for k in range(len(feats)))
    return float(partition), float(gold + trans[stop, path[-1]])


def _picture(loss, model, tmp_path, name, mode) -> tuple[str, int]:
    """The text of the rendered SVG and the number of nodes drawn on it."""
    path = tg.render_graph(loss, tmp_path / f"{name}.svg", mode=mode, model=model)
    return svg_texts(path), path.read_text().count('class="node"')


def _shown(number: float) -> str:
    return f"{number:.4g}"


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_declared_helpers_draw_the_loss_as_the_tutorial_explains_it(tmp_path, mode):
    model = _model(declared=True)
    loss = _loss(model)
    partition, gold = _crf_in_numpy(model)
    assert loss.item() == pytest.approx(partition - gold, rel=1e-12)
    text, nodes = _picture(loss, model, tmp_path, "declared", mode)
    assert nodes <= 20, nodes
    for title in ("_forward_alg()", "_score_sentence()", "lstm: LSTM",
                  "hidden2tag: Linear(4 -> 5)", "word_embeds: Embedding", "transitions"):
        assert title in text, title
    assert re.search(r"_forward_alg\(\) function call: \d+ nodes", text), text
    assert "nodes folded …" not in text  # no anonymous fold left
    assert f"data [{_shown(partition - gold)}]" in text  # the loss, on the output node
    assert f"result {_shown(partition)}" in text
    assert f"result [{_shown(gold)}]" in text
    if mode == "backward":  # loss = partition - gold: the chain rule's two factors
        assert "sum of [1] × 1 = 1" in text and "[1] × (-1) = [-1]" in text
        # d(-gold)/d(emission scores): -1 at each word's gold tag, 0 elsewhere
        one_hot = np.zeros((len(SENTENCE), len(CRF_TAGS)))
        one_hot[np.arange(len(SENTENCE)), TAGS] = -1
        assert " ".join(f"{v:g}" for v in one_hot.ravel()) in text


def test_the_tutorial_as_written_draws_as_few_nodes_and_the_same_numbers(tmp_path):
    declared, plain = _model(declared=True), _model(declared=False)
    loss, plain_loss = _loss(declared), _loss(plain)
    assert loss.item() == plain_loss.item()
    loss.backward()
    plain_loss.backward()
    for (name, p), (_, q) in zip(declared.named_parameters(), plain.named_parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=name)
    text, nodes = _picture(plain_loss, plain, tmp_path, "plain", "forward")
    _, declared_nodes = _picture(loss, declared, tmp_path, "declared", "forward")
    assert "_forward_alg()" not in text and "input 1 of sub" in text and "input 2 of sub" in text
    assert nodes <= declared_nodes, (nodes, declared_nodes)

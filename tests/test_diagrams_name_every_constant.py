"""No nn layer or nn function draws a tensor it made for itself as one of the user's inputs.

A leaf that needs no gradient is drawn as "input" unless it has a name. An op of
constants only is folded by the engine into a new leaf, and a function can make an array
for itself (a mask, zeros, a weight per target): only the function knows that such a leaf
is not the user's data, so it names it where it makes it. This sweep proves none is
missed: every entry of `test_nn_coverage.py`'s tables (every layer of `nn.__all__` and
every function of `F.__all__`) runs with each input the user gives named, and its drawn
graph, every node open, must show no unnamed "input". Read from the drawn graph's source
(no Graphviz needed)."""
from __future__ import annotations

import html
import re

import numpy as np
import pytest
from test_nn_coverage import FUNCTIONS, LAYERS, build, flat

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")


def _named_leaves(arrays) -> list[Tensor]:
    """The user's inputs, each named: the float ones need a gradient, the others do not."""
    given = [Tensor(a, requires_grad=True) if a.dtype.kind == "f" else tg.as_tensor(a)
             for a in arrays]
    for i, tensor in enumerate(given):
        tensor.name = f"given {i}"
    return given


def _unnamed_inputs(output: Tensor) -> list[str]:
    """The shapes of the leaves the drawn graph shows as an unnamed "input"."""
    source = html.unescape(tg.draw_graph(output, max_nodes=None, open_modules=True).source)
    return re.findall(r"<I>input</I>\xa0(\([0-9, ]*\))", source)


@pytest.mark.parametrize("key", sorted(LAYERS))
def test_a_layer_draws_as_inputs_only_what_it_was_given(key):
    layer = build(LAYERS, key, nn)
    assert _unnamed_inputs(flat(layer(*_named_leaves(LAYERS[key].inputs)))) == []


@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_a_function_draws_as_inputs_only_what_it_was_given(key):
    function = build(FUNCTIONS, key, F)
    assert _unnamed_inputs(flat(function(*_named_leaves(FUNCTIONS[key].inputs)))) == []


def test_an_unnamed_array_of_the_users_is_drawn_as_an_input():
    """The check above could not fail if nothing were ever drawn as "input"."""
    x = tg.as_tensor([[1.0, 2.0], [3.0, 4.0]])
    w = Tensor([[0.5], [0.25]], requires_grad=True)
    assert _unnamed_inputs((x @ w).sum()) == ["(2, 2)"]


@pytest.mark.parametrize("training", [True, False])
def test_a_batch_norm_of_constant_data_draws_its_constants_by_name(training):
    """A batch norm as a network's first layer normalises the user's data, a constant: the
    statistics and the normalised data are constants made inside, named; the result a
    user gets back is never named."""
    layer = nn.BatchNorm1d(3).train(training)
    x = Tensor(np.random.default_rng(0).normal(size=(4, 3)), name="x")
    assert _unnamed_inputs(layer(x).sum()) == []
    assert F.batch_norm(x, tg.zeros(3), tg.ones(3), training=training).name is None

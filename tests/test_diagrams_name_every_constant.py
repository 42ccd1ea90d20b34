"""No nn layer, nn function or distribution draws a tensor it made as one of the user's inputs.

A leaf that needs no gradient is drawn as "input" unless it has a name. An op of
constants only is folded by the engine into a new leaf, and a function can make an array
for itself (a mask, zeros, a weight per target): only the function knows that such a leaf
is not the user's data, so it names it where it makes it. This sweep proves none is
missed: every entry of `test_nn_coverage.py`'s tables (every layer of `nn.__all__` and
every function of `F.__all__`) runs with each input the user gives named, and its drawn
graph, every node open, must show no unnamed "input"; so does every method of every
distribution of `tg.distributions.__all__` (`DISTRIBUTIONS` below, checked complete).
Read from the drawn graph's source (no Graphviz needed)."""
from __future__ import annotations

import html
import re

import numpy as np
import pytest
from test_nn_coverage import FUNCTIONS, LAYERS, build, flat

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

pytestmark = [pytest.mark.filterwarnings(f"ignore:{message}") for message in (
    "Using padding='same' with even kernel:UserWarning",
    "`nn.functional.upsample.* is deprecated:UserWarning",
    "`nn.Container` is deprecated:FutureWarning", "`NLLLoss2d` has been deprecated:FutureWarning")]


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


def test_a_constant_an_op_made_is_drawn_as_made_by_that_op_not_as_an_input():
    """An op whose inputs need no gradient is not recorded: the engine folds it into a new
    leaf. Drawn, that leaf says which op made it (data, in the inputs' style: it may be
    the user's own, `x / 255`), not "input"."""
    x = tg.as_tensor([1.0, 2.0])
    w = Tensor([0.5, 0.25], requires_grad=True, name="w")
    source = html.unescape(tg.draw_graph((x.exp() * w).sum()).source)
    node = re.search(r"\n\s*(\w+) \[label=<[^\n]*<I>exp of constants</I>[^\n]*", source)
    plain = re.search(r"\n\s*(\w+) \[label=<[^\n]*<I>input</I>[^\n]*",
                      html.unescape(tg.draw_graph((x * w).sum()).source))
    assert node is not None and plain is not None, source
    style = re.compile(r'fillcolor="[^"]*" shape=\w+ style="[^"]*"')
    assert style.search(node.group(0)).group(0) == style.search(plain.group(0)).group(0)
    assert _unnamed_inputs((x.exp() * w).sum()) == [] and "<I>input</I>" not in source


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


def _p(*values) -> Tensor:
    """A distribution's parameter: a leaf that needs a gradient."""
    return Tensor(np.array(values, dtype=float), requires_grad=True)


D, T = tg.distributions, tg.distributions.transforms
# name -> (the distribution, built anew per test; a value in its support, shape (2,) or
# its event's)
DISTRIBUTIONS = {
    "Normal": (lambda: D.Normal(_p(0.0, 1.0), _p(1.0, 2.0)), [0.5, -1.0]),
    "Uniform": (lambda: D.Uniform(_p(0.0, 1.0), _p(2.0, 3.0)), [0.5, 1.5]),
    "Exponential": (lambda: D.Exponential(_p(1.0, 2.0)), [0.5, 1.5]),
    "Laplace": (lambda: D.Laplace(_p(0.0, 1.0), _p(1.0, 2.0)), [0.5, -1.0]),
    "Cauchy": (lambda: D.Cauchy(_p(0.0, 1.0), _p(1.0, 2.0)), [0.5, -1.0]),
    "Gumbel": (lambda: D.Gumbel(_p(0.0, 1.0), _p(1.0, 2.0)), [0.5, -1.0]),
    "HalfNormal": (lambda: D.HalfNormal(_p(1.0, 2.0)), [0.5, 1.0]),
    "LogNormal": (lambda: D.LogNormal(_p(0.0, 1.0), _p(1.0, 2.0)), [0.5, 1.0]),
    "Bernoulli": (lambda: D.Bernoulli(probs=_p(0.3, 0.6)), [0.0, 1.0]),
    "Geometric": (lambda: D.Geometric(probs=_p(0.3, 0.6)), [0.0, 3.0]),
    "Categorical": (lambda: D.Categorical(logits=_p(0.3, 0.6, -1.0)), [2.0, 0.0]),
    "OneHotCategorical": (lambda: D.OneHotCategorical(logits=_p(0.3, 0.6, -1.0)),
                          [0.0, 0.0, 1.0]),
    "MultivariateNormal": (lambda: D.MultivariateNormal(
        _p(0.0, 1.0), scale_tril=_p([1.0, 0.0], [0.5, 2.0])), [0.5, -1.0]),
    "Independent": (lambda: D.Independent(D.Normal(_p(0.0, 1.0), _p(1.0, 2.0)), 1),
                    [0.5, -1.0]),
    "Poisson": (lambda: D.Poisson(_p(1.0, 2.0)), [0.0, 3.0]),
    "Binomial": (lambda: D.Binomial(5, probs=_p(0.3, 0.6)), [0.0, 3.0]),
    "NegativeBinomial": (lambda: D.NegativeBinomial(5.0, probs=_p(0.3, 0.6)), [0.0, 3.0]),
    "Gamma": (lambda: D.Gamma(_p(1.5, 2.0), _p(1.0, 2.0)), [0.5, 1.0]),
    "Chi2": (lambda: D.Chi2(_p(1.5, 2.0)), [0.5, 1.0]),
    "Beta": (lambda: D.Beta(_p(1.5, 2.0), _p(1.0, 2.0)), [0.5, 0.2]),
    "Dirichlet": (lambda: D.Dirichlet(_p(1.5, 2.0, 3.0)), [0.2, 0.3, 0.5]),
    "StudentT": (lambda: D.StudentT(_p(3.0, 4.0), _p(0.0, 1.0), _p(1.0, 2.0)), [0.5, -1.0]),
    "TransformedDistribution": (lambda: D.TransformedDistribution(
        D.Normal(_p(0.0, 1.0), _p(1.0, 2.0)), [T.ExpTransform()]), [0.5, 1.0]),
    "Weibull": (lambda: D.Weibull(_p(1.0, 2.0), _p(1.5, 0.8)), [0.5, 1.0]),
    "Pareto": (lambda: D.Pareto(_p(1.0, 2.0), _p(1.5, 3.0)), [1.5, 2.5]),
    "HalfCauchy": (lambda: D.HalfCauchy(_p(1.0, 2.0)), [0.5, 1.0]),
    "InverseGamma": (lambda: D.InverseGamma(_p(1.5, 3.0), _p(1.0, 2.0)), [0.5, 1.0]),
    "Kumaraswamy": (lambda: D.Kumaraswamy(_p(1.5, 3.0), _p(1.0, 2.0)), [0.5, 0.2]),
    "LogisticNormal": (lambda: D.LogisticNormal(_p(0.0, 1.0), _p(1.0, 2.0)), [0.2, 0.3, 0.5]),
    "VonMises": (lambda: D.VonMises(_p(0.0, 1.0), _p(1.0, 2.0)), [0.5, -1.0]),
    "FisherSnedecor": (lambda: D.FisherSnedecor(_p(3.0, 5.0), _p(4.0, 6.0)), [0.5, 1.0]),
    "GeneralizedPareto": (lambda: D.GeneralizedPareto(_p(0.0, 1.0), _p(1.0, 2.0),
                                                      _p(0.2, 0.5)), [0.5, 1.5]),
    "ContinuousBernoulli": (lambda: D.ContinuousBernoulli(probs=_p(0.3, 0.6)), [0.2, 0.7]),
    "LowRankMultivariateNormal": (lambda: D.LowRankMultivariateNormal(  # (rank 2: matrices)
        _p(0.0, 1.0), _p([0.5, 0.1], [1.0, -0.3]), _p(1.0, 2.0)), [0.5, -1.0]),
    "LKJCholesky": (lambda: D.LKJCholesky(2, _p(0.5, 2.0)), [[1.0, 0.0], [0.6, 0.8]]),
    "Wishart": (lambda: D.Wishart(_p(3.0, 4.0), scale_tril=_p([1.0, 0.0], [0.5, 2.0])),
                [[2.0, 0.5], [0.5, 1.0]]),
    "Multinomial": (lambda: D.Multinomial(3, probs=_p(0.2, 0.3, 0.5)), [1.0, 0.0, 2.0]),
    "OneHotCategoricalStraightThrough": (lambda: D.OneHotCategoricalStraightThrough(
        logits=_p(0.3, 0.6, -1.0)), [0.0, 0.0, 1.0]),
    "RelaxedBernoulli": (lambda: D.RelaxedBernoulli(0.5, probs=_p(0.3, 0.6)), [0.2, 0.7]),
    "RelaxedOneHotCategorical": (lambda: D.RelaxedOneHotCategorical(
        0.5, logits=_p(0.3, 0.6, -1.0)), [0.2, 0.3, 0.5]),
    "MixtureSameFamily": (lambda: D.MixtureSameFamily(
        D.Categorical(logits=_p(0.1, 0.2)), D.Normal(_p(0.0, 1.0), _p(1.0, 2.0))), [0.5, -1.0]),
}
_BASES = {"Distribution", "ExponentialFamily"}  # (no distribution of their own)


def _results(distribution, value):
    """What each method gives that needs a gradient: log_prob, cdf, icdf, rsample,
    entropy, mean, variance (those the distribution has)."""
    named, p = Tensor(np.array(value, dtype=float), name="value"), Tensor([0.3, 0.6], name="p")
    calls = {"log_prob": lambda: distribution.log_prob(named),
             "cdf": lambda: distribution.cdf(named),
             "icdf": lambda: distribution.icdf(p),
             "rsample": lambda: distribution.rsample(seed=0),
             "entropy": distribution.entropy,
             "mean": lambda: distribution.mean, "variance": lambda: distribution.variance,
             "mode": lambda: distribution.mode, "stddev": lambda: distribution.stddev}
    for method, call in calls.items():
        try:
            result = call()
        except NotImplementedError:  # (what PyTorch's has not either)
            continue
        if isinstance(result, Tensor) and result.requires_grad:
            yield method, result


def test_every_distribution_has_an_entry():
    classes = {name for name in D.__all__ if isinstance(getattr(D, name), type)
               and issubclass(getattr(D, name), D.Distribution)}
    assert classes - _BASES == set(DISTRIBUTIONS)


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_a_distribution_draws_as_inputs_only_what_it_was_given(name):
    make, value = DISTRIBUTIONS[name]
    drawn = {method: _unnamed_inputs(result.sum())
             for method, result in _results(make(), value)}
    assert drawn and not any(drawn.values()), drawn


def _unnamed_constants(output: Tensor) -> list[str]:
    """The leaves drawn as an unnamed "input" or "<op> of constants", with their shapes."""
    source = html.unescape(tg.draw_graph(output, max_nodes=None, open_modules=True).source)
    return re.findall(r"<I>(input|[^<]* of constants)</I>\xa0?(\([0-9, ]*\))?", source)


def _data_leaves(arrays, needing_grad: int | None = None) -> list[Tensor]:
    """The user's inputs, each named, as data: no gradient (but the one `needing_grad`)."""
    given = [Tensor(a, requires_grad=i == needing_grad) if a.dtype.kind == "f"
             else tg.as_tensor(a) for i, a in enumerate(arrays)]
    for i, tensor in enumerate(given):
        tensor.name = f"given {i}"
    return given


# (a network's first layer gets the data, which needs no gradient: what it makes of it is a
# constant, named by the layer, not a "swapaxes of constants" the user never wrote)
DATA_LAYERS = ["LayerNorm", "RMSNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
               "MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer",
               "TransformerEncoder", "TransformerDecoder", "Transformer"]
DATA_FUNCTIONS = ["batch_norm", "batch_norm eval", "group_norm", "instance_norm",
                  "cross_entropy per position", "scaled_dot_product_attention"]


@pytest.mark.parametrize("key", DATA_LAYERS)
def test_a_layer_given_data_draws_what_it_makes_of_it_by_name(key):
    layer = build(LAYERS, key, nn)
    output = flat(layer(*_data_leaves(LAYERS[key].inputs)))
    assert output.requires_grad and _unnamed_constants(output) == []


@pytest.mark.parametrize("key", DATA_FUNCTIONS)
def test_a_function_given_constant_weights_draws_them_by_name(key):
    function = build(FUNCTIONS, key, F)
    output = flat(function(*_data_leaves(FUNCTIONS[key].inputs, needing_grad=0)))
    assert output.requires_grad and _unnamed_constants(output) == []


def test_self_attention_of_data_draws_the_data_once_by_its_name():
    """query, key and value are one tensor: one node, "tokens (batch first)", not three."""
    layer = nn.MultiheadAttention(4, 2, seed=0)
    tokens = Tensor(np.random.default_rng(1).normal(size=(3, 2, 4)), name="tokens")
    out, _ = layer(tokens, tokens, tokens)
    source = html.unescape(tg.draw_graph(out.sum(), max_nodes=None, open_modules=True).source)
    assert source.count("<B>tokens (batch first)</B>") == 1 and "of constants" not in source
    unnamed = Tensor(tokens._data)  # (unnamed: its roles name it)
    out, _ = layer(unnamed, unnamed, unnamed)
    assert "<B>query = key = value (batch first)</B>" in html.unescape(
        tg.draw_graph(out.sum()).source)


def test_a_constant_class_weight_keeps_the_users_name():
    logits = Tensor(np.random.default_rng(2).normal(size=(2, 3, 4)), requires_grad=True)
    weight = Tensor([1.0, 2.0, 0.5], name="class weight")
    loss = F.cross_entropy(logits, np.array([[0, 1, 2, 1], [2, 0, 1, 1]]), weight=weight,
                           label_smoothing=0.1)
    assert _unnamed_constants(loss) == [] and "<B>class weight</B>" in html.unescape(
        tg.draw_graph(loss).source)
    assert weight.name == "class weight"  # (the user's tensor itself is left as it was)

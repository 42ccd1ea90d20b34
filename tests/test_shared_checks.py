"""The helpers several modules share, seen from outside: each rule is one helper, so the
layers and functions that use it behave and refuse alike.

`_constant` (a constant a function makes, named for the diagrams unless it is one number,
in its input's float dtype), `_padding_idx` (Embedding, EmbeddingBag), `_norm_state`
(BatchNorm and InstanceNorm layers), `_equation` (solve, solve_triangular),
`_check_layer_arguments` and `_clones` (the transformer layers and stacks). Values and
gradients are compared with PyTorch and with finite differences (`tg.gradcheck`).
"""
from __future__ import annotations

import html

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(7)


def _source(output: Tensor) -> str:
    """The diagram's Graphviz source, every op drawn (a constant a module call makes folds
    into its box otherwise), its HTML labels unescaped (no Graphviz program needed)."""
    return html.unescape(tg.draw_graph(output.sum(), open_modules=True).source)


# ------------------------------------------------------------------ named constants


def test_constants_that_functions_make_are_named_in_diagrams():
    q = Tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)
    assert "attn_mask" in _source(F.scaled_dot_product_attention(
        q, q, q, attn_mask=RNG.standard_normal((3, 3))))
    attention = nn.MultiheadAttention(4, 2, add_zero_attn=True, seed=0)
    assert "zero attention (zeros)" in _source(attention(q, q, q)[0])
    blocks = Tensor(RNG.standard_normal((1, 4, 4)), requires_grad=True)
    assert "fold output (zeros)" in _source(F.fold(blocks, (3, 3), 2))
    rnn = nn.RNN(4, 3, seed=0)
    assert "h0[0] (zeros)" in _source(rnn(q)[0])
    image = Tensor(RNG.standard_normal((1, 1, 2, 3)), requires_grad=True)
    assert "bilinear weights" in _source(F.interpolate(image, size=(3, 5), mode="bilinear"))


def test_a_one_number_constant_is_left_unnamed_for_its_ops_label():
    x = Tensor(np.array([2.0]), requires_grad=True)
    kept = F.dropout(x, 0.5, generator=np.random.default_rng(1))
    assert "dropout mask" not in _source(kept)  # (folded into the op's label)
    many = F.dropout(Tensor(np.ones(4), requires_grad=True), 0.5,
                     generator=np.random.default_rng(1))
    assert "dropout mask" in _source(many)


def test_a_constant_a_function_makes_keeps_float32():
    q = Tensor(RNG.standard_normal((2, 3, 4)).astype(np.float32), requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=RNG.standard_normal((3, 3)))
    assert out.dtype == np.float32
    assert F.dropout(q, 0.5, generator=np.random.default_rng(0)).dtype == np.float32
    out = F.fold(Tensor(np.ones((1, 4, 4), np.float32)), (3, 3), 2)
    assert out.dtype == np.float32


def test_an_attention_mask_array_changed_later_leaves_the_result_alone():
    torch = pytest.importorskip("torch")
    q = RNG.standard_normal((2, 3, 4))
    mask = RNG.standard_normal((3, 3))
    x = Tensor(q, requires_grad=True)
    out = F.scaled_dot_product_attention(x, x, x, attn_mask=mask)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(q, requires_grad=True),) * 3, attn_mask=torch.tensor(mask))
    mask[:] = 1e9  # (the constant is a copy of the caller's array)
    out.sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10)
    assert np.isfinite(x.grad.data).all()


# ------------------------------------------------------------------ padding_idx


@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1, -5])
def test_embedding_layers_keep_padding_idx_as_pytorch(padding_idx):
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(5, 3, padding_idx=padding_idx, seed=0)
    theirs = torch.nn.Embedding(5, 3, padding_idx=padding_idx)
    assert ours.padding_idx == theirs.padding_idx
    assert repr(ours) == repr(theirs)
    bag = nn.EmbeddingBag(5, 3, padding_idx=padding_idx, seed=0)
    assert bag.padding_idx == torch.nn.EmbeddingBag(5, 3, padding_idx=padding_idx).padding_idx
    if padding_idx is not None:
        assert (ours.weight.data[padding_idx] == 0).all()


def test_embedding_with_a_negative_padding_idx_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(5, 3, padding_idx=-2, seed=0)
    theirs = torch.nn.Embedding(5, 3, padding_idx=-2)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
    index = np.array([[0, 3, 3], [4, 1, 3]])
    weights = RNG.standard_normal((2, 3, 3))
    out, expected = ours(index), theirs(torch.tensor(index))
    np.testing.assert_allclose(out.data, expected.detach().numpy())
    (out * Tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy())
    assert (ours.weight.grad.data[3] == 0).all()


@pytest.mark.parametrize("layer", ["Embedding", "EmbeddingBag"])
@pytest.mark.parametrize("padding_idx, error, match", [
    ("a", TypeError, r"padding_idx must be an int.*, got str 'a'$"),
    (1.0, TypeError, r"padding_idx must be an int.*, got float 1.0$"),
    (True, TypeError, r"padding_idx must be an int.*, got bool True$"),
    (5, ValueError, r"padding_idx 5 is not a row of 5$"),
    (-6, ValueError, r"padding_idx -6 is not a row of 5$"),
])
def test_embedding_layers_refuse_a_padding_idx_alike(layer, padding_idx, error, match):
    with pytest.raises(error, match=f"^{layer}: {match}"):
        getattr(nn, layer)(5, 3, padding_idx=padding_idx)


# ------------------------------------------------------------------ norm layers


@pytest.mark.parametrize("layer", ["BatchNorm1d", "BatchNorm2d", "InstanceNorm1d",
                                   "InstanceNorm2d"])
@pytest.mark.parametrize("affine, track", [(True, True), (False, True), (True, False),
                                           (False, False)])
def test_norm_layers_set_up_their_state_as_pytorch(layer, affine, track):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, layer)(3, affine=affine, track_running_stats=track)
    theirs = getattr(torch.nn, layer)(3, affine=affine, track_running_stats=track)
    assert (ours.affine, ours.track_running_stats) == (theirs.affine, theirs.track_running_stats)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name].data, value.numpy())


@pytest.mark.parametrize("layer", ["BatchNorm1d", "InstanceNorm1d"])
@pytest.mark.parametrize("options, error, match", [
    ({"affine": "no"}, TypeError, r"affine must be True or False, got str 'no'$"),
    ({"track_running_stats": 1}, TypeError,
     r"track_running_stats must be True or False, got int 1$"),
    ({"eps": -1.0}, ValueError, r"eps must be >= 0, got -1.0$"),
    ({"momentum": "a"}, TypeError, r"momentum must be a number, got str 'a'$"),
])
def test_norm_layers_refuse_their_settings_alike(layer, options, error, match):
    with pytest.raises(error, match=f"^{layer}: {match}"):
        getattr(nn, layer)(3, **options)
    with pytest.raises(ValueError, match=rf"^{layer}: num_features must be a non-negative int"):
        getattr(nn, layer)(-1)


def test_batch_norm_still_trains_as_pytorch_and_passes_gradcheck():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((4, 3, 2))
    ours, theirs = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(RNG.standard_normal(3)))
    ours.weight.data = theirs.weight.detach().numpy().copy()
    leaf, reference = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(leaf), theirs(reference)
    weights = RNG.standard_normal(x.shape)
    (out * Tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(), rtol=1e-10)
    layer = nn.BatchNorm1d(3)
    assert tg.gradcheck(lambda t, w: F.batch_norm(t, None, None, w, layer.bias, training=True),
                        [Tensor(x, requires_grad=True), layer.weight])


# ------------------------------------------------------------------ A X = B


@pytest.mark.parametrize("solve, hint", [
    (lambda a, b: tg.linalg.solve(a, b), r"B needs 3 rows \(a vector: 3 entries\)$"),
    (lambda a, b: tg.linalg.solve_triangular(a, b, upper=True),
     r"B must be a matrix \(or a batch of them\) of 3 rows \(a vector b: b\[:, None\]\)$"),
])
def test_solvers_refuse_a_b_that_does_not_fit_in_the_same_words(solve, hint):
    a = np.triu(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    with pytest.raises(ValueError, match=r"incompatible shapes of A and B for the equation "
                                         r"AX = B: A of shape \(3, 3\), B of shape \(4, 2\); "
                       + hint):
        solve(a, RNG.standard_normal((4, 2)))
    with pytest.raises(ValueError, match=r"the batch axes of A \(2, 3, 3\) and B \(3, 3, 1\) "
                                         r"do not broadcast together \(the axes before"):
        solve(np.stack([a, a]), RNG.standard_normal((3, 3, 1)))


def test_solvers_still_agree_with_finite_differences():
    a = np.triu(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2))
    leaves = [Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)]
    assert tg.gradcheck(tg.linalg.solve, leaves)
    assert tg.gradcheck(lambda x, y: tg.linalg.solve_triangular(x, y, upper=True), leaves)


# ------------------------------------------------------------------ transformer layers


@pytest.mark.parametrize("kind", ["Encoder", "Decoder"])
def test_transformer_layers_and_stacks_refuse_their_arguments_alike(kind):
    layer_class = getattr(nn, f"Transformer{kind}Layer")
    stack_class = getattr(nn, f"Transformer{kind}")
    where = f"Transformer{kind}Layer"
    with pytest.raises(ValueError, match=rf"^{where}: d_model 4 must be divisible by nhead 3"):
        layer_class(4, 3)
    with pytest.raises(RuntimeError, match=rf"^{where}: activation should be 'relu' or 'gelu'"):
        layer_class(4, 2, activation="tanh")
    with pytest.raises(TypeError, match=rf"^{where}: norm_first must be True or False"):
        layer_class(4, 2, norm_first="yes")
    argument = f"{kind.lower()}_layer"
    with pytest.raises(TypeError, match=rf"^Transformer{kind}: {argument} must be a Module "
                                        rf"\(a {where}\), got str$"):
        stack_class("layer", 2)
    layer = layer_class(4, 2, dim_feedforward=8, seed=0)
    with pytest.raises(TypeError, match=rf"^Transformer{kind}: norm must be a Module \(a "
                                        rf"LayerNorm\) or None, got int$"):
        stack_class(layer, 2, norm=3)
    with pytest.raises(ValueError, match=rf"^Transformer{kind}: num_layers must be a "
                                         rf"non-negative int, got -1$"):  # (0: PyTorch's)
        stack_class(layer, -1)
    stack = stack_class(layer, np.int64(2))
    assert stack.num_layers == 2 and type(stack.num_layers) is int and len(stack.layers) == 2
    assert stack.layers[0] is not layer and stack.layers[0] is not stack.layers[1]


def test_batch_norm_of_an_empty_batch_or_no_feature_is_empty_as_pytorchs():
    # (an empty batch was refused as "one value per feature", no feature a ZeroDivisionError)
    torch = pytest.importorskip("torch")
    out = nn.functional.batch_norm(tg.zeros((2, 0, 3)), None, None, training=True)
    assert out.shape == tuple(torch.nn.functional.batch_norm(
        torch.zeros(2, 0, 3), None, None, training=True).shape) == (2, 0, 3)
    for shape in ((0, 3), (0, 3, 4)):
        ours, theirs = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3).double()
        x, tx = tg.zeros(shape, requires_grad=True), torch.zeros(shape, requires_grad=True,
                                                                dtype=torch.float64)
        ours(x).sum().backward()
        theirs(tx).sum().backward()
        assert ours(x).shape == tuple(theirs(tx).shape) == shape
        np.testing.assert_array_equal(ours.running_mean.numpy(), theirs.running_mean.numpy())
        np.testing.assert_array_equal(ours.running_var.numpy(), theirs.running_var.numpy())
        np.testing.assert_array_equal(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    with pytest.raises(ValueError, match="more than one value per feature"):
        nn.functional.batch_norm(tg.zeros((1, 3)), None, None, training=True)

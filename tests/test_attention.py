"""Attention: `F.scaled_dot_product_attention`, `nn.MultiheadAttention`,
`nn.TransformerEncoderLayer` and `nn.TransformerEncoder`.

Gradients by `tg.gradcheck` (float64, central differences) with respect to the inputs,
float masks and every parameter; outputs, attention weights and every gradient against
torch 2.13 (its weights loaded from ours through the shared state_dict names), masks,
rows that every mask shuts and causal attention included; PyTorch's initialisation,
float32 kept, dropout, and the one-line errors.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(21)
Q, K, V = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 5, 4)), \
    RNG.standard_normal((2, 5, 6))  # (batch, L, E), (batch, S, E), (batch, S, Ev)
ALLOWED = RNG.random((3, 5)) > 0.4  # SDPA's boolean mask: True takes part
ALLOWED[1] = False  # a query no key is allowed for
BIAS = RNG.standard_normal((3, 5))  # a float mask, added
SHUT_ROW = BIAS.copy()
SHUT_ROW[2] = -np.inf


def leaves(*arrays):
    return [Tensor(a, requires_grad=True) for a in arrays]


def twins(*arrays):
    torch = pytest.importorskip("torch")
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def as_torch(value):
    torch = pytest.importorskip("torch")
    return torch.tensor(value) if isinstance(value, np.ndarray) else value


def assert_same(ours, theirs, what="output"):
    """Values equal to torch's (NaN where torch has NaN), shape and float64 alike."""
    assert ours.shape == tuple(theirs.shape), what
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12,
                               err_msg=what)


def backward_both(ours, theirs, seed=0):
    """One backward pass in each library, seeded with the same random output weights."""
    torch = pytest.importorskip("torch")
    weights = np.random.default_rng(seed).standard_normal(ours.shape)
    (ours * weights).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()


def assert_grads(mine, references):
    for i, (leaf, reference) in enumerate(zip(mine, references)):
        assert reference.grad is not None
        np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=f"gradient of input {i}")


# ------------------------------------------------------------------ scaled_dot_product_attention

SDPA_CASES = {
    "plain": ((Q, K, V), {}),
    "boolean mask": ((Q, K, V), {"attn_mask": ALLOWED}),
    "boolean mask per batch": ((Q, K, V), {"attn_mask": RNG.random((2, 1, 5)) > 0.3}),
    "float mask": ((Q, K, V), {"attn_mask": BIAS}),
    "float mask shutting a row": ((Q, K, V), {"attn_mask": SHUT_ROW}),
    "causal, more keys": ((Q, K, V), {"is_causal": True}),
    "causal, more queries": ((K, Q, Q[..., :3]), {"is_causal": True}),
    "scale": ((Q, K, V), {"scale": -0.7}),
    "heads": ((RNG.standard_normal((2, 3, 3, 2)), RNG.standard_normal((2, 3, 5, 2)),
               RNG.standard_normal((2, 3, 5, 3))), {"attn_mask": ALLOWED}),
    "grouped query heads": ((RNG.standard_normal((1, 4, 3, 2)), RNG.standard_normal((1, 2, 5, 2)),
                             RNG.standard_normal((1, 1, 5, 3))), {"enable_gqa": True}),
    "batch broadcast": ((Q, K[:1], V), {}),
    "unbatched": ((Q[0], K[0], V[0]), {"attn_mask": ALLOWED}),
    "no keys": ((Q, K[:, :0], V[:, :0]), {}),
    "no queries": ((Q[:, :0], K, V), {}),
    "no features": ((Q[..., :0], K[..., :0], V), {}),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SDPA_CASES))
def test_sdpa_outputs_and_gradients_are_torchs(name):
    torch = pytest.importorskip("torch")
    arrays, options = SDPA_CASES[name]
    mine, references = leaves(*arrays), twins(*arrays)
    out = F.scaled_dot_product_attention(*mine, **options)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *references, **{k: as_torch(v) for k, v in options.items()})
    assert_same(out, expected)
    assert out.dtype == np.float64
    if out.size:
        backward_both(out, expected)
        assert_grads(mine, references)


@pytest.mark.torch
@pytest.mark.parametrize("mask", [BIAS, SHUT_ROW], ids=["float mask", "shutting a row"])
def test_sdpa_float_mask_gets_torchs_gradient(mask):
    torch = pytest.importorskip("torch")
    mine, references = leaves(Q, K, V, mask), twins(Q, K, V, mask)
    out = F.scaled_dot_product_attention(*mine[:3], attn_mask=mine[3])
    expected = torch.nn.functional.scaled_dot_product_attention(*references[:3],
                                                                attn_mask=references[3])
    backward_both(out, expected)
    assert_grads(mine, references)


def test_sdpa_a_shut_row_gives_zeros_and_no_gradient():
    q, k, v = leaves(Q, K, V)
    for mask in (ALLOWED, np.where(ALLOWED, 0.0, -np.inf)):
        out = F.scaled_dot_product_attention(q, k, v, mask)
        assert not np.isnan(out.data).any() and (out.data[:, 1] == 0).all()
        out.sum().backward()
        assert np.isfinite(q.grad.data).all() and (q.grad.data[:, 1] == 0).all()
        q.grad = k.grad = v.grad = None


def test_sdpa_is_the_formula():
    """softmax(q k^T / sqrt(E)) v over the allowed keys, written out in NumPy."""
    allowed = RNG.random((2, 1, 5)) > 0.3
    allowed[:, :, 0] = True  # (no shut row here)
    out = F.scaled_dot_product_attention(Q, K, V, allowed)
    scores = Q @ K.swapaxes(1, 2) / math.sqrt(4)
    weights = np.where(allowed, np.exp(scores - scores.max(-1, keepdims=True)), 0.0)
    np.testing.assert_allclose(out.data, weights / weights.sum(-1, keepdims=True) @ V,
                               rtol=1e-12)
    causal = F.scaled_dot_product_attention(Q, K, V, is_causal=True)
    np.testing.assert_allclose(causal.data, F.scaled_dot_product_attention(
        Q, K, V, np.tril(np.ones((3, 5), bool))).data, rtol=1e-15)


@pytest.mark.parametrize("options", [{}, {"attn_mask": BIAS}, {"attn_mask": SHUT_ROW},
                                     {"is_causal": True, "scale": 0.3}],
                         ids=["plain", "float mask", "shut row", "causal"])
def test_sdpa_passes_gradcheck(options):
    inputs = leaves(Q[:, :2], K[:, :3], V[:, :3, :2])
    mask = options.get("attn_mask")
    if mask is not None:
        inputs.append(Tensor(mask[:2, :3], requires_grad=True))
        options = {}
    assert tg.gradcheck(lambda *t: F.scaled_dot_product_attention(*t[:3], *t[3:], **options),
                        inputs)


def test_sdpa_dropout_zeroes_weights_from_the_generator():
    p = 0.4
    dropped = F.scaled_dot_product_attention(Q, K, V, dropout_p=p,
                                             generator=np.random.default_rng(5))
    weights = F.softmax(Tensor(Q @ K.swapaxes(1, 2) / 2.0), -1).data
    keep = np.random.default_rng(5).random(weights.shape) >= p
    np.testing.assert_allclose(dropped.data, (weights * keep / (1 - p)) @ V, rtol=1e-12)
    assert (F.scaled_dot_product_attention(Q, K, V, dropout_p=1.0).data == 0).all()
    fixed = leaves(Q, K, V)
    assert tg.gradcheck(lambda *t: F.scaled_dot_product_attention(
        *t, dropout_p=p, generator=np.random.default_rng(5)), fixed)


def test_sdpa_keeps_float32():
    q, k, v = (a.astype(np.float32) for a in (Q, K, V))
    for mask in (None, ALLOWED, BIAS, BIAS.astype(np.float32)):
        out = F.scaled_dot_product_attention(q, k, v, mask)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.data, F.scaled_dot_product_attention(
            Q, K, V, mask).data, rtol=1e-4, atol=1e-5)


def test_sdpa_names_the_float_mask_it_makes_a_tensor_of():
    pytest.importorskip("graphviz")
    q = Tensor(Q, requires_grad=True, name="q")
    source = tg.draw_graph(F.scaled_dot_product_attention(q, q, q, BIAS[:, :3]).sum()).source
    assert "attn_mask" in source
    assert "<B>input</B>" not in source and "<I>input</I>" not in source


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.scaled_dot_product_attention(Q, K[..., :3], V), RuntimeError, "last axis"),
    (lambda: F.scaled_dot_product_attention(Q, K, V[:, :4]), RuntimeError, "same length"),
    (lambda: F.scaled_dot_product_attention(Q[0, 0], K[0, 0], V[0, 0]), RuntimeError,
     "at least 2-D"),
    (lambda: F.scaled_dot_product_attention(Tensor(Q.astype(np.float32)), Tensor(K),
                                            Tensor(V)), RuntimeError, "same dtype"),
    (lambda: F.scaled_dot_product_attention(*[tg.as_tensor(np.ones((2, 2), int))] * 3),
     RuntimeError, "floating point"),
    (lambda: F.scaled_dot_product_attention(Q, K, V, np.ones((3, 5), int)), RuntimeError,
     "boolean"),
    (lambda: F.scaled_dot_product_attention(Q, K, V, np.ones((4, 5), bool)), RuntimeError,
     "does not broadcast"),
    (lambda: F.scaled_dot_product_attention(Q, K, V, ALLOWED, is_causal=True), RuntimeError,
     "not both"),
    (lambda: F.scaled_dot_product_attention(Q, K, V, dropout_p=1.5), RuntimeError, "[0, 1]"),
    (lambda: F.scaled_dot_product_attention(Q, K, V, is_causal=1), TypeError, "is_causal"),
    (lambda: F.scaled_dot_product_attention(Q, K, V, scale="a"), TypeError, "scale"),
    (lambda: F.scaled_dot_product_attention(Q.reshape(1, 3, 2, 4), K[None].repeat(2, 1), V[None]
                                            .repeat(2, 1), enable_gqa=True), RuntimeError,
     "divide"),
    (lambda: F.scaled_dot_product_attention(Q, K[:1].repeat(3, 0), V[:1].repeat(3, 0)),
     RuntimeError, "do not broadcast"),
])
def test_sdpa_bad_input_is_one_line_naming_it(call, error, words):
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert message.startswith("scaled_dot_product_attention: ") and words in message
    assert "\n" not in message


# ------------------------------------------------------------------ MultiheadAttention

E, HEADS = 4, 2
QUERY, KEY, VALUE = RNG.standard_normal((3, 2, E)), RNG.standard_normal((5, 2, 3)), \
    RNG.standard_normal((5, 2, 5))  # (L, N, E), (S, N, kdim 3), (S, N, vdim 5)
KEY_E = RNG.standard_normal((5, 2, E))  # (S, N, E)
PADDING = np.zeros((2, 5), bool)
PADDING[1, [0, 3]] = True  # MultiheadAttention's boolean masks: True is NOT allowed
BLOCKED = RNG.random((3, 5)) > 0.7
SHUT = np.zeros((2, 5), bool)
SHUT[0] = True  # every key of sample 0 padded
CAUSAL = np.triu(np.ones((3, 3), bool), 1)


def mha_pair(**options):
    """Our layer and torch's with our weights, generic (not PyTorch's zero biases)."""
    torch = pytest.importorskip("torch")
    ours = nn.MultiheadAttention(E, HEADS, **options, seed=3)
    theirs = torch.nn.MultiheadAttention(E, HEADS, **options).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())  # PyTorch's names and order
    rng = np.random.default_rng(4)
    state = {name: rng.uniform(-1, 1, value.shape) for name, value in ours.state_dict().items()}
    ours.load_state_dict(state)
    theirs.load_state_dict({name: torch.tensor(value) for name, value in state.items()})
    return ours, theirs


def inputs_for(options):
    """(query, key, value) for a layer built with `options` (kdim, vdim, batch_first)."""
    key = KEY if options.get("kdim") else KEY_E
    arrays = [QUERY, key, VALUE if options.get("vdim") else key]
    if options.get("batch_first"):
        arrays = [a.swapaxes(0, 1) for a in arrays]
    return arrays


MHA_CASES = {
    "plain": ({}, {}),
    "padding and attention masks": ({}, {"key_padding_mask": PADDING, "attn_mask": BLOCKED}),
    "float masks": ({}, {"key_padding_mask": np.where(PADDING, -2.0, 0.5),
                         "attn_mask": RNG.standard_normal((3, 5))}),
    "3-d mask per head": ({}, {"attn_mask": RNG.random((2 * HEADS, 3, 5)) > 0.6}),
    "weights per head": ({}, {"key_padding_mask": PADDING, "average_attn_weights": False}),
    "no weights": ({}, {"key_padding_mask": PADDING, "attn_mask": BLOCKED,
                        "need_weights": False}),
    "bias_kv and zero attention": ({"add_bias_kv": True, "add_zero_attn": True},
                                   {"key_padding_mask": PADDING, "attn_mask": BLOCKED}),
    "bias_kv and zero attention, no weights": (
        {"add_bias_kv": True, "add_zero_attn": True},
        {"key_padding_mask": PADDING, "need_weights": False}),
    "kdim and vdim": ({"kdim": 3, "vdim": 5}, {"attn_mask": BLOCKED}),
    "batch_first without bias": ({"batch_first": True, "bias": False},
                                 {"key_padding_mask": PADDING}),
    "shut rows with weights (NaN)": ({}, {"key_padding_mask": SHUT}),
    "shut rows without weights (0)": ({}, {"key_padding_mask": SHUT, "need_weights": False}),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(MHA_CASES))
def test_multihead_attention_is_torchs(name):
    options, call = MHA_CASES[name]
    ours, theirs = mha_pair(**options)
    arrays = inputs_for(options)
    mine, references = leaves(*arrays), twins(*arrays)
    out, weights = ours(*mine, **call)
    expected, expected_weights = theirs(*references, **{k: as_torch(v) for k, v in call.items()})
    assert_same(out, expected)
    if expected_weights is None:
        assert weights is None
    else:
        assert_same(weights, expected_weights, "weights")
    backward_both(out, expected)
    assert_grads(mine, references)
    grads = dict(ours.named_parameters())
    for parameter_name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(grads[parameter_name].grad.data, parameter.grad.numpy(),
                                   rtol=1e-9, atol=1e-12, err_msg=parameter_name)


@pytest.mark.torch
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_unbatched_and_causal_are_torchs(need_weights):
    ours, theirs = mha_pair()
    for call in ({"key_padding_mask": PADDING[1, :3]},
                 {"attn_mask": RNG.random((HEADS, 3, 3)) > 0.5},
                 {"attn_mask": CAUSAL, "is_causal": True}):
        mine, references = leaves(QUERY[:, 0]), twins(QUERY[:, 0])
        out, weights = ours(mine[0], mine[0], mine[0], need_weights=need_weights, **call)
        expected, expected_weights = theirs(references[0], references[0], references[0],
                                            need_weights=need_weights,
                                            **{k: as_torch(v) for k, v in call.items()})
        assert_same(out, expected)
        if need_weights:
            assert_same(weights, expected_weights, "weights")
        backward_both(out, expected)
        assert_grads(mine, references)


def test_multihead_attention_shut_rows_are_nan_with_weights_and_bias_without():
    layer = nn.MultiheadAttention(E, HEADS, seed=0)
    query = QUERY
    out, weights = layer(query, query[[0, 1, 2, 0, 1]], query[[0, 1, 2, 0, 1]],
                         key_padding_mask=SHUT)
    assert np.isnan(out.data[:, 0]).all() and np.isnan(weights.data[0]).all()
    assert np.isfinite(out.data[:, 1]).all()
    out, _ = layer(query, query[[0, 1, 2, 0, 1]], query[[0, 1, 2, 0, 1]],
                   key_padding_mask=SHUT, need_weights=False)
    np.testing.assert_array_equal(out.data[:, 0], np.broadcast_to(layer.out_proj.bias.data,
                                                                  (3, E)))


def through_parameters(module, count, **call):
    """The module as a function of its inputs and then of its parameters (the tensors given
    are put in the parameters' places for the call), its outputs concatenated flat."""
    owners = dict(module.named_modules())
    names = [name for name, _ in module.named_parameters()]

    def function(*arguments):
        kept = []
        for name, value in zip(names, arguments[count:]):
            prefix, _, attribute = name.rpartition(".")
            kept.append((owners[prefix], attribute, getattr(owners[prefix], attribute)))
            delattr(owners[prefix], attribute)
            setattr(owners[prefix], attribute, value)
        try:
            out = module(*arguments[:count], **call)
        finally:
            for owner, attribute, parameter in kept:
                delattr(owner, attribute)
                setattr(owner, attribute, parameter)
        parts = [part for part in (out if isinstance(out, tuple) else (out,)) if part is not None]
        return tg.cat([part.reshape(-1) for part in parts])
    return function


@pytest.mark.parametrize("options, call", [
    ({"add_bias_kv": True, "add_zero_attn": True, "kdim": 3, "vdim": 5},
     {"key_padding_mask": PADDING[1:], "attn_mask": BLOCKED, "average_attn_weights": False}),
    ({"batch_first": True}, {"attn_mask": np.where(BLOCKED, -1.5, 0.25), "need_weights": False}),
], ids=["masks, bias_kv, zero attention, kdim, vdim", "float mask, no weights"])
def test_multihead_attention_passes_gradcheck_for_inputs_and_parameters(options, call):
    layer = nn.MultiheadAttention(E, HEADS, **options, seed=1)
    inputs = leaves(*(a[:, :1] if not options.get("batch_first") else a[:1]
                      for a in inputs_for(options)))
    parameters = [Tensor(p.data + 0.1, requires_grad=True) for p in layer.parameters()]
    assert tg.gradcheck(through_parameters(layer, 3, **call), inputs + parameters)


def test_multihead_attention_is_initialised_as_pytorchs():
    layer = nn.MultiheadAttention(8, 2, add_bias_kv=True, seed=0)
    assert np.abs(layer.in_proj_weight.data).max() <= math.sqrt(6 / (8 + 24))
    assert layer.in_proj_weight.data.std() > 0.5 * math.sqrt(6 / 32) / math.sqrt(3)
    assert not layer.in_proj_bias.data.any() and not layer.out_proj.bias.data.any()
    assert np.abs(layer.out_proj.weight.data).max() <= 1 / math.sqrt(8)
    assert layer.bias_k.shape == layer.bias_v.shape == (1, 1, 8)
    again = nn.MultiheadAttention(8, 2, add_bias_kv=True, seed=0)
    for (name, value), other in zip(layer.state_dict().items(), again.state_dict().values()):
        np.testing.assert_array_equal(value, other, err_msg=name)
    separate = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, bias=False)
    assert [name for name, _ in separate.named_parameters()] == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]
    assert separate.in_proj_weight is None and separate.k_proj_weight.shape == (4, 3)


def test_multihead_attention_dropout_in_training_only():
    layer = nn.MultiheadAttention(E, HEADS, dropout=0.5, seed=0)
    tg.manual_seed(0)
    _, weights = layer(QUERY, QUERY, QUERY, average_attn_weights=False)
    assert (weights.data == 0).any() and (weights.data > 1 / 3).any()  # zeroed and scaled up
    layer.eval()
    _, weights = layer(QUERY, QUERY, QUERY, average_attn_weights=False)
    np.testing.assert_allclose(weights.data.sum(-1), 1.0)


def test_multihead_attention_keeps_float32_and_names_what_it_makes():
    layer = nn.MultiheadAttention(E, HEADS, add_zero_attn=True, dtype=np.float32, seed=0)
    query = QUERY.astype(np.float32)
    out, weights = layer(query, query, query, key_padding_mask=PADDING[:, :3])
    assert out.dtype == weights.dtype == np.float32
    source = tg.draw_graph(out.sum(), open_modules=True).source
    assert "key_padding_mask (-inf where True)" in source and "zero attention (zeros)" in source


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.MultiheadAttention(5, 2), ValueError, "divisible"),
    (lambda: nn.MultiheadAttention(0, 2), ValueError, "embed_dim"),
    (lambda: nn.MultiheadAttention(4, 2.0), TypeError, "num_heads"),
    (lambda: nn.MultiheadAttention(4, 2, dropout=2), ValueError, "dropout is"),
    (lambda: nn.MultiheadAttention(4, 2)(QUERY[0, 0], QUERY[0, 0], QUERY[0, 0]), ValueError,
     "3-D"),
    (lambda: nn.MultiheadAttention(4, 2)(QUERY, KEY, KEY), ValueError, "features"),
    (lambda: nn.MultiheadAttention(4, 2)(QUERY, QUERY, QUERY[:2]), ValueError, "same length"),
    (lambda: nn.MultiheadAttention(4, 2)(QUERY, QUERY[:, :1], QUERY[:, :1]), ValueError,
     "batch size"),
    (lambda: nn.MultiheadAttention(4, 2)(QUERY, QUERY, QUERY, key_padding_mask=PADDING),
     ValueError, "key_padding_mask of shape (2, 5)"),
    (lambda: nn.MultiheadAttention(4, 2)(QUERY, QUERY, QUERY, attn_mask=BLOCKED),
     RuntimeError, "attn_mask of shape (3, 5)"),
    (lambda: nn.MultiheadAttention(4, 2)(QUERY, QUERY, QUERY, attn_mask=np.ones((3, 3), int)),
     TypeError, "boolean"),
    (lambda: nn.MultiheadAttention(4, 2)(QUERY, QUERY, QUERY, is_causal=True), RuntimeError,
     "attn_mask"),
    (lambda: nn.MultiheadAttention(4, 2)(QUERY, QUERY, QUERY, need_weights="no"), TypeError,
     "need_weights"),
])
def test_multihead_attention_bad_input_is_one_line_naming_it(call, error, words):
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert message.startswith("MultiheadAttention: ") and words in message
    assert "\n" not in message


def test_an_empty_batch_gives_empty_outputs_as_pytorch():
    layer = nn.MultiheadAttention(E, HEADS, add_bias_kv=True, add_zero_attn=True, seed=0)
    encoder = nn.TransformerEncoderLayer(E, HEADS, 6, seed=0)
    for need_weights in (True, False):
        out, weights = layer(QUERY[:, :0], KEY_E[:, :0], KEY_E[:, :0],
                             need_weights=need_weights)
        assert out.shape == (3, 0, E)
        assert (weights.shape == (0, 3, 7)) if need_weights else weights is None
    assert encoder(QUERY[:, :0]).shape == (3, 0, E)
    pytest.importorskip("torch")
    ours, theirs = mha_pair()
    mine, references = leaves(QUERY[:, :0], KEY_E[:, :0]), twins(QUERY[:, :0], KEY_E[:, :0])
    out, weights = ours(mine[0], mine[1], mine[1])
    expected, expected_weights = theirs(references[0], references[1], references[1])
    assert_same(out, expected)
    assert_same(weights, expected_weights, "weights")
    out.sum().backward()
    assert mine[0].grad.shape == mine[0].shape


def test_mismatched_mask_types_warn_as_pytorch():
    layer = nn.MultiheadAttention(E, HEADS, seed=0)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        layer(QUERY, QUERY, QUERY, key_padding_mask=PADDING[:, :3],
              attn_mask=np.zeros((3, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(QUERY, QUERY, QUERY, key_padding_mask=PADDING[:, :3], attn_mask=CAUSAL)


# ------------------------------------------------------------------ TransformerEncoder

def encoder_pair(make):
    """`make(nn)` in both libraries, torch's with our weights (generic values)."""
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn), make(torch.nn).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(6)
    state = {name: rng.uniform(0.5, 1.5, value.shape) * rng.choice([-1, 1], value.shape)
             for name, value in ours.state_dict().items()}
    ours.load_state_dict(state)
    theirs.load_state_dict({name: torch.tensor(value) for name, value in state.items()})
    return ours.eval(), theirs.eval()


ENCODER_CASES = {
    "relu post-norm": (lambda nn: nn.TransformerEncoderLayer(4, 2, 6), {}),
    "gelu pre-norm batch_first": (lambda nn: nn.TransformerEncoderLayer(
        4, 2, 6, 0.1, "gelu", batch_first=True, norm_first=True), {}),
    "no bias, padding": (lambda nn: nn.TransformerEncoderLayer(4, 2, 6, bias=False,
                                                              layer_norm_eps=1e-3),
                         {"src_key_padding_mask": PADDING[:, :3]}),
    "causal": (lambda nn: nn.TransformerEncoderLayer(4, 2, 6),
               {"src_mask": CAUSAL, "is_causal": True}),
    "encoder": (lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6), 2,
                                                 nn.LayerNorm(4), enable_nested_tensor=False),
                {"mask": np.where(CAUSAL, -np.inf, 0.0)}),
    "encoder, padding, batch_first": (lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(
        4, 2, 6, batch_first=True), 2, enable_nested_tensor=False),
                         {"src_key_padding_mask": PADDING[:, :3]}),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(ENCODER_CASES))
def test_transformer_encoder_in_eval_mode_is_torchs(name):
    """Gradients on: torch's fast path is off, its result the math path's, as ours."""
    make, call = ENCODER_CASES[name]
    ours, theirs = encoder_pair(make)
    src = QUERY.swapaxes(0, 1) if "batch_first" in name else QUERY
    mine, references = leaves(src), twins(src)
    torch_call = {k: as_torch(v) for k, v in call.items()}
    out, expected = ours(mine[0], **call), theirs(references[0], **torch_call)
    assert_same(out, expected)
    backward_both(out, expected)
    assert_grads(mine, references)
    grads = dict(ours.named_parameters())
    for parameter_name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(grads[parameter_name].grad.data, parameter.grad.numpy(),
                                   rtol=1e-9, atol=1e-12, err_msg=parameter_name)


@pytest.mark.torch
def test_torchs_nested_fast_path_zeroes_padded_positions_where_ours_computes():
    """torch's encoder in eval mode without gradients packs padded batches into nested
    tensors and returns 0 at the padded positions; with gradients (its math path) it
    gives the values ours gives there. Elsewhere the two paths agree."""
    torch = pytest.importorskip("torch")
    ours, theirs = encoder_pair(lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(4, 2, 6, batch_first=True), 2))
    src, padding = QUERY.swapaxes(0, 1), np.zeros((2, 3), bool)
    padding[1, 2] = True  # (padded at the end: torch's condition for nested tensors)
    out = ours(src, src_key_padding_mask=padding).data
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (its nested tensors' prototype warning)
        fast = theirs(torch.tensor(src), src_key_padding_mask=torch.tensor(padding)).numpy()
    np.testing.assert_allclose(out[~padding], fast[~padding], rtol=1e-10, atol=1e-12)
    assert (fast[padding] == 0).all() and (out[padding] != 0).all()
    math_path = theirs(torch.tensor(src, requires_grad=True),
                       src_key_padding_mask=torch.tensor(padding))
    np.testing.assert_allclose(out, math_path.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda: nn.TransformerEncoderLayer(4, 2, 3, 0.0, "gelu", norm_first=True),
    lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 3, 0.0), 2, nn.LayerNorm(4)),
], ids=["layer", "encoder"])
def test_transformer_encoder_passes_gradcheck_for_inputs_and_parameters(make):
    model = make()
    inputs = leaves(QUERY[:2, :1])
    parameters = [Tensor(p.data, requires_grad=True) for p in model.parameters()]
    assert tg.gradcheck(through_parameters(model, 1, src_key_padding_mask=PADDING[:1, :2]),
                        inputs + parameters)


def test_encoder_layers_are_copies_starting_alike():
    layer = nn.TransformerEncoderLayer(4, 2, 6, seed=0)
    encoder = nn.TransformerEncoder(layer, 3)
    first, *others = encoder.layers
    for other in others:
        for (name, a), b in zip(first.named_parameters(), other.parameters()):
            assert a is not b and np.array_equal(a.data, b.data), name
    assert not any(p is q for p in layer.parameters() for q in encoder.parameters())


def test_transformer_encoder_layer_dropout_in_training_only():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.5, seed=0)
    tg.manual_seed(1)
    trained = layer(QUERY).data
    assert not np.allclose(trained, layer(QUERY).data)  # a new mask per call
    layer.eval()
    np.testing.assert_array_equal(layer(QUERY).data, layer(QUERY).data)


def test_transformer_keeps_float32():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, dtype=np.float32), 2)
    assert encoder(QUERY.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.TransformerEncoderLayer(4, 3), ValueError, "divisible by nhead"),
    (lambda: nn.TransformerEncoderLayer(4, 2, activation="tanh"), RuntimeError, "activation"),
    (lambda: nn.TransformerEncoderLayer(4, 2, activation=3), TypeError, "activation"),
    (lambda: nn.TransformerEncoderLayer(4, 2, dropout=-0.1), ValueError, "dropout is"),
    (lambda: nn.TransformerEncoderLayer(4, 2, batch_first="yes"), TypeError, "batch_first"),
    (lambda: nn.TransformerEncoderLayer(4, 2, 6)(QUERY[..., :3]), ValueError, "src"),
    (lambda: nn.TransformerEncoder("layer", 2), TypeError, "encoder_layer"),
    (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), -1), ValueError,
     "num_layers"),  # (0 is built, as PyTorch's)
])
def test_transformer_bad_input_is_one_line_naming_it(call, error, words):
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert message.split(":")[0] in ("TransformerEncoderLayer", "TransformerEncoder")
    assert words in message and "\n" not in message

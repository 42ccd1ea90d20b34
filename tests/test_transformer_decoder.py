"""The transformer decoder and the whole transformer: `nn.TransformerDecoderLayer`,
`nn.TransformerDecoder`, `nn.Transformer` and `Transformer.generate_square_subsequent_mask`.

Outputs and the gradients of every input, float mask and parameter against torch 2.13
(its weights loaded from ours through the shared state_dict names), masks, causal hints,
unbatched and empty sequences included; `tg.gradcheck` (float64, central differences)
with respect to the inputs, a float mask and every parameter of tiny models; PyTorch's
initialisation, causality, copies, dropout, float32 kept, and the one-line errors.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn

RNG = np.random.default_rng(23)
TGT, MEMORY = RNG.standard_normal((3, 2, 4)), RNG.standard_normal((5, 2, 4))  # (T|S, N, E)
CAUSAL = np.triu(np.full((3, 3), -np.inf), 1)  # tgt's causal mask, float
BLOCKED = RNG.random((3, 5)) > 0.6  # memory_mask, boolean: True is not allowed
BLOCKED[:, 0] = False  # (every query sees a key)
PADDED = np.array([[False, False, True], [False, False, False]])  # tgt_key_padding_mask
MEMORY_PADDED = np.array([[False, True, False, False, True], [False] * 4 + [True]])
SHUT = np.array([[False] * 5, [True] * 5])  # batch entry 1 sees no memory at all
HEAD_BIAS = RNG.standard_normal((2 * 2, 3, 5))  # memory_mask per (batch, head), float
SRC_BLOCKED = RNG.random((5, 5)) > 0.5  # src_mask, boolean
SRC_BLOCKED[:, 0] = False


def leaves(*arrays):
    return [Tensor(a, requires_grad=True) for a in arrays]


def twins(*arrays):
    torch = pytest.importorskip("torch")
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def as_torch(value):
    torch = pytest.importorskip("torch")
    return torch.tensor(value) if isinstance(value, np.ndarray) else value


def pair(make):
    """`make(nn)` in both libraries, torch's with our weights (generic values), in eval
    mode (no dropout)."""
    torch = pytest.importorskip("torch")
    ours = make(nn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's notes on its nested-tensor fast path)
        theirs = make(torch.nn).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())  # PyTorch's names, order
    rng = np.random.default_rng(8)
    state = {name: rng.uniform(0.5, 1.5, value.shape) * rng.choice([-1, 1], value.shape)
             for name, value in ours.state_dict().items()}
    ours.load_state_dict(state)
    theirs.load_state_dict({name: torch.tensor(value) for name, value in state.items()})
    return ours.eval(), theirs.eval()


def assert_all_alike(ours, theirs, mine, references, out, expected):
    """Output, then (one backward pass each, seeded with the same output weights) the
    gradients of the inputs and of every parameter equal to torch's."""
    torch = pytest.importorskip("torch")
    assert out.shape == tuple(expected.shape) and out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for i, (leaf, reference) in enumerate(zip(mine, references)):
        np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=f"gradient of input {i}")
    grads = dict(ours.named_parameters())
    for name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(grads[name].grad.data, parameter.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


# key: a name -> (make(nn), inputs, call); the inputs (tgt, memory) or (src, tgt)
CASES = {
    "layer relu post-norm": (lambda nn: nn.TransformerDecoderLayer(4, 2, 6), (TGT, MEMORY),
                             {}),
    "layer gelu pre-norm batch_first, causal hint": (
        lambda nn: nn.TransformerDecoderLayer(4, 2, 6, 0.1, "gelu", batch_first=True,
                                              norm_first=True),
        (TGT.swapaxes(0, 1), MEMORY.swapaxes(0, 1)), {"tgt_mask": CAUSAL, "tgt_is_causal": True}),
    "layer boolean masks and padding, no bias": (
        lambda nn: nn.TransformerDecoderLayer(4, 2, 6, bias=False, layer_norm_eps=1e-3),
        (TGT, MEMORY), {"tgt_mask": CAUSAL == -np.inf, "memory_mask": BLOCKED,
                        "tgt_key_padding_mask": PADDED,
                        "memory_key_padding_mask": MEMORY_PADDED}),
    "layer float memory mask per head, padded tgt": (
        lambda nn: nn.TransformerDecoderLayer(4, 2, 6), (TGT, MEMORY),
        {"memory_mask": HEAD_BIAS, "tgt_mask": CAUSAL,
         "tgt_key_padding_mask": np.where(PADDED, -np.inf, 0.0)}),
    "layer memory shut for a batch entry": (lambda nn: nn.TransformerDecoderLayer(4, 2, 6),
                                            (TGT, MEMORY), {"memory_key_padding_mask": SHUT}),
    "layer unbatched": (lambda nn: nn.TransformerDecoderLayer(4, 2, 6, norm_first=True),
                        (TGT[:, 0], MEMORY[:, 0]),
                        {"tgt_mask": CAUSAL, "memory_key_padding_mask": MEMORY_PADDED[0]}),
    "layer empty memory": (lambda nn: nn.TransformerDecoderLayer(4, 2, 6), (TGT, MEMORY[:0]),
                           {}),
    "decoder with norm, causal mask found": (
        lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 6), 2, nn.LayerNorm(4)),
        (TGT, MEMORY), {"tgt_mask": CAUSAL, "memory_key_padding_mask": MEMORY_PADDED}),
    "decoder batch_first pre-norm": (
        lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(
            4, 2, 6, batch_first=True, norm_first=True), 2),
        (TGT.swapaxes(0, 1), MEMORY.swapaxes(0, 1)),
        {"tgt_key_padding_mask": PADDED, "memory_mask": BLOCKED}),
    "transformer": (lambda nn: nn.Transformer(4, 2, 2, 2, 6), (MEMORY, TGT),
                    {"src_mask": SRC_BLOCKED, "tgt_mask": CAUSAL,
                     "src_key_padding_mask": MEMORY_PADDED,
                     "memory_key_padding_mask": MEMORY_PADDED}),
    "transformer batch_first pre-norm gelu, no bias": (
        lambda nn: nn.Transformer(4, 2, 1, 2, 6, activation="gelu", batch_first=True,
                                  norm_first=True, bias=False),
        (MEMORY.swapaxes(0, 1), TGT.swapaxes(0, 1)),
        {"tgt_mask": CAUSAL, "tgt_is_causal": True, "memory_mask": BLOCKED}),
    "transformer unbatched": (lambda nn: nn.Transformer(4, 2, 1, 1, 6),
                              (MEMORY[:, 1], TGT[:, 1]), {"tgt_mask": CAUSAL}),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_and_every_gradient_are_torchs(name):
    """Gradients on: torch's encoder fast path is off, its result the math path's."""
    make, arrays, call = CASES[name]
    ours, theirs = pair(make)
    mine, references = leaves(*arrays), twins(*arrays)
    out = ours(*mine, **call)
    expected = theirs(*references, **{k: as_torch(v) for k, v in call.items()})
    assert_all_alike(ours, theirs, mine, references, out, expected)


@pytest.mark.torch
def test_a_float_mask_gets_torchs_gradient():
    torch = pytest.importorskip("torch")
    ours, theirs = pair(lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 6),
                                                         2))
    arrays = (TGT, MEMORY, HEAD_BIAS)
    mine, references = leaves(*arrays), twins(*arrays)
    out = ours(mine[0], mine[1], memory_mask=mine[2])
    expected = theirs(references[0], references[1], memory_mask=references[2])
    assert_all_alike(ours, theirs, mine, references, out, expected)
    assert np.abs(mine[2].grad.data).max() > 0 and torch.is_tensor(references[2].grad)


def through_parameters(module, count, **call):
    """The module as a function of its inputs and then of its parameters (the tensors given
    are put in the parameters' places for the call)."""
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
            return module(*arguments[:count], **call)
        finally:
            for owner, attribute, parameter in kept:
                delattr(owner, attribute)
                setattr(owner, attribute, parameter)
    return function


# (three features: LayerNorm of two gives +-1 whatever its input, a gradient of ~0)
TINY_TGT, TINY_MEMORY = TGT[:2, :1, :3], MEMORY[:3, :1, :3]  # (2, 1, 3), (3, 1, 3)


@pytest.mark.parametrize("make, call", [
    (lambda: nn.TransformerDecoderLayer(3, 3, 2, 0.0, seed=1),
     {"tgt_mask": CAUSAL[:2, :2] == -np.inf, "memory_key_padding_mask": MEMORY_PADDED[:1, :3]}),
    (lambda: nn.TransformerDecoderLayer(3, 3, 2, 0.0, "gelu", norm_first=True, seed=2),
     {"memory_mask": BLOCKED[:2, :3], "tgt_key_padding_mask": PADDED[:1, 1:]}),
    (lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(3, 3, 2, 0.0, seed=3), 2,
                                   nn.LayerNorm(3)), {"tgt_mask": CAUSAL[:2, :2]}),
], ids=["layer, boolean masks", "pre-norm layer, gelu", "decoder"])
def test_decoder_passes_gradcheck_for_inputs_and_parameters(make, call):
    model = make()
    parameters = [Tensor(p.data, requires_grad=True) for p in model.parameters()]
    assert tg.gradcheck(through_parameters(model, 2, **call),
                        leaves(TINY_TGT, TINY_MEMORY) + parameters)


def test_a_float_mask_passes_gradcheck():
    layer = nn.TransformerDecoderLayer(3, 3, 2, 0.0, seed=4)
    assert tg.gradcheck(lambda t, m, mask: layer(t, m, memory_mask=mask),
                        leaves(TINY_TGT, TINY_MEMORY, HEAD_BIAS[:3, :2, :3]))


def test_transformer_passes_gradcheck_for_inputs_and_parameters():
    model = nn.Transformer(3, 3, 1, 1, 2, 0.0, seed=5)
    parameters = [Tensor(p.data, requires_grad=True) for p in model.parameters()]
    function = through_parameters(model, 2, tgt_mask=CAUSAL[:2, :2],
                                  src_key_padding_mask=MEMORY_PADDED[:1, :3])
    assert tg.gradcheck(function, leaves(TINY_MEMORY, TINY_TGT) + parameters)


@pytest.mark.torch
@pytest.mark.parametrize("size, dtype", [(4, None), (1, "float32"), (0, None), (3, "bool")])
def test_square_subsequent_mask_is_torchs(size, dtype):
    torch = pytest.importorskip("torch")
    mask = nn.Transformer.generate_square_subsequent_mask(size, dtype=dtype)
    expected = torch.nn.Transformer.generate_square_subsequent_mask(
        size, dtype=torch.float64 if dtype is None else getattr(torch, dtype))
    assert mask.dtype == np.dtype(dtype or np.float64) and not mask.requires_grad
    np.testing.assert_array_equal(mask.data, expected.numpy())


def test_square_subsequent_mask_makes_the_decoder_causal():
    """With the mask, tgt position i's output depends on tgt positions 0..i only."""
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 6, seed=6), 2)
    decoder.eval()
    tgt = Tensor(TGT, requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.data[0, 1] == -np.inf and mask.data[1, 0] == 0 and mask.data[1, 1] == 0
    out = decoder(tgt, MEMORY, tgt_mask=mask)
    (out[1] * RNG.standard_normal((2, 4))).sum().backward()  # (a plain sum: LayerNorm's 0)
    assert not tgt.grad.data[2].any() and tgt.grad.data[0].any() and tgt.grad.data[1].any()
    for boolean in (mask.data == -np.inf, nn.Transformer.generate_square_subsequent_mask(
            3, dtype=bool)):  # the same mask as booleans
        np.testing.assert_allclose(decoder(TGT, MEMORY, tgt_mask=boolean).data, out.data,
                                   rtol=1e-12)


def test_transformer_is_initialised_as_pytorchs():
    """After the layers' own draws, xavier_uniform_ on every parameter of 2+ axes."""
    model = nn.Transformer(16, 4, 1, 1, 8, seed=0)
    for name, p in model.named_parameters():
        if p.ndim > 1:
            bound = math.sqrt(6 / sum(p.shape))
            assert np.abs(p.data).max() <= bound, name
    out_proj = model.decoder.layers[0].multihead_attn.out_proj.weight  # Linear's: 1/4
    assert np.abs(out_proj.data).max() > 0.3
    layer = model.encoder.layers[0]
    assert not layer.self_attn.in_proj_bias.data.any() and (layer.norm1.weight.data == 1).all()
    assert 0 < np.abs(layer.linear1.bias.data).max() <= 1 / 4  # (1-D: Linear's draw kept)
    again = nn.Transformer(16, 4, 1, 1, 8, seed=0)
    for (name, value), other in zip(model.state_dict().items(), again.state_dict().values()):
        np.testing.assert_array_equal(value, other, err_msg=name)


@pytest.mark.torch
def test_custom_modules_are_used_and_drawn_again_as_in_pytorch():
    torch = pytest.importorskip("torch")
    for library in (nn, torch.nn):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (torch's note on its nested-tensor fast path)
            encoder = library.TransformerEncoder(library.TransformerEncoderLayer(4, 2, 6), 1)
        decoder = library.TransformerDecoder(library.TransformerDecoderLayer(4, 2, 6), 1)
        for module in (encoder, decoder):
            module.load_state_dict({name: value * 0 for name, value in
                                    module.state_dict().items()})
        model = library.Transformer(4, 2, custom_encoder=encoder, custom_decoder=decoder)
        assert model.encoder is encoder and model.decoder is decoder
        weight = encoder.layers[0].linear1.weight
        assert np.asarray(weight.detach() if library is torch.nn else weight.data).any()
        assert not np.asarray(encoder.layers[0].linear1.bias.detach()).any()


def test_decoder_layers_are_copies_starting_alike():
    layer = nn.TransformerDecoderLayer(4, 2, 6, seed=0)
    decoder = nn.TransformerDecoder(layer, 3)
    first, *others = decoder.layers
    for other in others:
        for (name, a), b in zip(first.named_parameters(), other.parameters()):
            assert a is not b and np.array_equal(a.data, b.data), name
    assert not any(p is q for p in layer.parameters() for q in decoder.parameters())
    assert len(decoder.layers) == decoder.num_layers == 3


def test_dropout_in_training_only():
    layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.5, seed=0)
    tg.manual_seed(1)
    assert not np.allclose(layer(TGT, MEMORY).data, layer(TGT, MEMORY).data)  # new masks
    layer.eval()
    np.testing.assert_array_equal(layer(TGT, MEMORY).data, layer(TGT, MEMORY).data)


def test_float32_is_kept():
    model = nn.Transformer(4, 2, 1, 1, 6, dtype=np.float32, seed=0)
    src, tgt = Tensor(MEMORY.astype(np.float32), requires_grad=True), TGT.astype(np.float32)
    out = model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(
        3, dtype=np.float32))
    assert out.dtype == np.float32
    out.sum().backward()
    assert src.grad.dtype == np.float32
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 6, dtype="float32"), 1)
    assert decoder(TGT.astype(np.float32), MEMORY.astype(np.float32)).dtype == np.float32
    assert nn.TransformerDecoderLayer(4, 2, 6)(TGT, MEMORY).dtype == np.float64


def test_empty_target_gives_an_empty_output():
    model = nn.Transformer(4, 2, 1, 1, 6, seed=0)
    src = Tensor(MEMORY, requires_grad=True)
    out = model(src, TGT[:0])
    assert out.shape == (0, 2, 4)
    out.sum().backward()
    assert src.grad is None or not src.grad.data.any()


LAYER = nn.TransformerDecoderLayer(4, 2, 6)
DECODER = nn.TransformerDecoder(LAYER, 2)
MODEL = nn.Transformer(4, 2, 1, 1, 6)
MASK = nn.Transformer.generate_square_subsequent_mask


@pytest.mark.parametrize("call, error, where, words", [
    (lambda: nn.TransformerDecoderLayer(4, 3), ValueError, "TransformerDecoderLayer",
     "divisible by nhead"),
    (lambda: nn.TransformerDecoderLayer(4, 2, activation="tanh"), RuntimeError,
     "TransformerDecoderLayer", "activation"),
    (lambda: nn.TransformerDecoderLayer(4, 2, dropout=1.5), ValueError,
     "TransformerDecoderLayer", "dropout is"),
    (lambda: nn.TransformerDecoderLayer(4, 2, norm_first="yes"), TypeError,
     "TransformerDecoderLayer", "norm_first"),
    (lambda: nn.TransformerDecoderLayer(4, 2, layer_norm_eps=-1.0), ValueError,
     "TransformerDecoderLayer", "layer_norm_eps"),
    (lambda: LAYER(TGT[..., :3], MEMORY), ValueError, "TransformerDecoderLayer",
     "tgt must be (length, batch, 4)"),
    (lambda: LAYER(TGT, MEMORY[:, :1]), ValueError, "TransformerDecoderLayer",
     "same batch size"),
    (lambda: LAYER(TGT, MEMORY[:, 0]), ValueError, "TransformerDecoderLayer",
     "must both be batched (3-D) or both unbatched (2-D)"),
    (lambda: LAYER(TGT, MEMORY, tgt_mask=np.zeros((3, 5))), RuntimeError,
     "TransformerDecoderLayer", "tgt_mask of shape (3, 5) must be (3, 3) or (4, 3, 3)"),
    (lambda: LAYER(TGT, MEMORY, memory_mask=CAUSAL), RuntimeError, "TransformerDecoderLayer",
     "memory_mask of shape (3, 3) must be (3, 5)"),
    (lambda: LAYER(TGT, MEMORY, memory_key_padding_mask=PADDED), ValueError,
     "TransformerDecoderLayer", "memory_key_padding_mask of shape (2, 3) must be (2, 5)"),
    (lambda: LAYER(TGT, MEMORY, tgt_mask=np.zeros((3, 3), int)), TypeError,
     "TransformerDecoderLayer", "tgt_mask must be boolean"),
    (lambda: LAYER(TGT, MEMORY, tgt_mask=[[True], [False, True]]), TypeError,
     "TransformerDecoderLayer", "tgt_mask must be an array or Tensor of one shape"),
    (lambda: LAYER(TGT, MEMORY, tgt_is_causal=True), RuntimeError, "TransformerDecoderLayer",
     "give that mask too (tgt_mask="),
    (lambda: LAYER(TGT, MEMORY, memory_is_causal=1), TypeError, "TransformerDecoderLayer",
     "memory_is_causal must be True or False"),
    (lambda: nn.TransformerDecoder("layer", 2), TypeError, "TransformerDecoder",
     "decoder_layer must be a Module"),
    (lambda: nn.TransformerDecoder(LAYER, -1), ValueError, "TransformerDecoder", "num_layers"),
    (lambda: nn.TransformerDecoder(LAYER, 2, norm="ln"), TypeError, "TransformerDecoder",
     "norm must be"),
    (lambda: DECODER(TGT, MEMORY, tgt_key_padding_mask=MEMORY_PADDED), ValueError,
     "TransformerDecoder", "tgt_key_padding_mask of shape (2, 5) must be (2, 3)"),
    (lambda: nn.Transformer(5, 2), ValueError, "Transformer", "divisible by nhead"),
    (lambda: nn.Transformer(4, 2, -1), ValueError, "Transformer", "num_encoder_layers"),
    (lambda: nn.Transformer(4, 2, custom_decoder="decoder"), TypeError, "Transformer",
     "custom_decoder must be a Module"),
    (lambda: MODEL(MEMORY, TGT[..., :3]), RuntimeError, "Transformer", "tgt must be"),
    (lambda: MODEL(MEMORY, TGT[:, :1]), RuntimeError, "Transformer",
     "the batch number of src (5, 2, 4) and tgt (3, 1, 4) must be equal"),
    (lambda: MODEL(MEMORY, TGT, src_mask=CAUSAL), RuntimeError, "Transformer",
     "src_mask of shape (3, 3) must be (5, 5)"),
    (lambda: MODEL(MEMORY, TGT, memory_mask=CAUSAL), RuntimeError, "Transformer",
     "memory_mask of shape (3, 3) must be (3, 5)"),
    (lambda: MODEL(MEMORY, TGT, src_is_causal=True), RuntimeError, "Transformer",
     "src_mask"),
    (lambda: MASK(-1), RuntimeError, "Transformer.generate_square_subsequent_mask", "sz"),
    (lambda: MASK(2.0), TypeError, "Transformer.generate_square_subsequent_mask",
     "sz must be an int"),
    (lambda: MASK(2, dtype=np.int64), RuntimeError,
     "Transformer.generate_square_subsequent_mask", "cannot hold -inf"),
    (lambda: MASK(2, device="cuda"), TypeError, "Transformer.generate_square_subsequent_mask",
     "CPU"),
])
def test_bad_input_is_one_line_naming_it(call, error, where, words):
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(where + ": ") and words in message, message
    assert "\n" not in message

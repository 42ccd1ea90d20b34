"""Every nn layer as a PyTorch user sees it: print, state_dict, zero sizes, empty batches
(thirty-ninth round).

Marked `torch`: each layer below built by ours and by PyTorch 2.13 with the same
arguments (zero sizes where PyTorch builds them: in/out features 0, channels 0,
num_embeddings 0, hidden_size 0, ...) prints the same text, has the same state_dict keys,
shapes and dtypes and the same order of named_parameters()/named_buffers(); with
PyTorch's state_dict loaded, its forward values and float64 input and parameter gradients
are PyTorch's on a batch of 3 and on an EMPTY batch (0 samples), in train and eval mode.
MultiheadAttention's out_proj prints as PyTorch's NonDynamicallyQuantizableLinear.
Without torch: a zero-size layer against its definition (Linear(0, 3) and Conv1d(0, 2, 2)
give their bias; PyTorch's conv there gives 0 channels, left out), negative sizes refused
in one line, seeded nonzero layers unchanged, a lazy norm's reset_running_stats before its
first call refused, and scale_grad_by_freq (embedding, embedding_bag's 'sum' and 'mean')
against central finite differences (float64) of its definition: each row's gradient
divided by how often its index occurs (PyTorch 2.13's CPU embedding_bag divides some rows
by another index's count, pytorch#190063: compared with torch's embedding summed by bag),
with per_sample_weights, include_last_offset, a 2-D input, empty bags, float32, a non-leaf
weight and max_norm. The review's mends: lazy layers built or loaded at size 0 (as torch's),
one zero-fan rule for every init, the seeded bound at fans 2, 3, 7 against 1/math.sqrt(fan),
zero sizes of attention and transformers, bilinear with 0 features, an optimizer's step on
zero-size parameters.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.errors import ShapeError
from tinygrad_gd.nn import functional as F
from tinygrad_gd.nn.layers import INITS

RNG = np.random.default_rng(39)


def _x(*shape):
    return ("f", shape)


def _i(*shape):
    return ("i", shape)


# (class name, args, kwargs, inputs with "B" the batch axis, forward compared with torch)
CASES = [
    ("Linear", (0, 3), {}, [_x("B", 0)], True),
    ("Linear", (4, 0), {}, [_x("B", 4)], True),
    ("Linear", (0, 3), {"bias": False}, [_x("B", 0)], True),
    ("Linear", (4, 3), {}, [_x("B", 4)], True),
    ("Bilinear", (2, 0, 4), {}, [_x("B", 2), _x("B", 0)], False),  # (torch: no reshape; below)
    ("Bilinear", (2, 3, 0), {}, [_x("B", 2), _x("B", 3)], True),
    ("LayerNorm", (0,), {}, [_x("B", 0)], True),
    ("LayerNorm", ((2, 0),), {"bias": False}, [_x("B", 2, 0)], True),
    ("LayerNorm", (4,), {}, [_x("B", 4)], True),
    ("RMSNorm", (0,), {}, [_x("B", 0)], True),
    ("GroupNorm", (2, 0), {}, [_x("B", 0, 3)], True),
    ("GroupNorm", (2, 4), {}, [_x("B", 4, 3)], True),
    ("BatchNorm1d", (0,), {}, [_x("B", 0, 3)], False),  # (PyTorch's forward refuses)
    ("BatchNorm2d", (0,), {"affine": False}, [_x("B", 0, 2, 2)], False),
    ("BatchNorm1d", (4,), {}, [_x("B", 4, 3)], True),
    ("BatchNorm2d", (3,), {"momentum": None}, [_x("B", 3, 2, 2)], True),
    ("InstanceNorm1d", (0,), {}, [_x("B", 0, 3)], False),
    ("Conv1d", (0, 2, 2), {}, [_x("B", 0, 5)], False),  # (PyTorch's gives 0 channels)
    ("Conv2d", (4, 0, 2), {}, [_x("B", 4, 3, 3)], False),  # (PyTorch's forward refuses)
    ("Conv2d", (4, 2, 2), {"groups": 2}, [_x("B", 4, 3, 3)], True),
    ("ConvTranspose1d", (0, 2, 2), {}, [_x("B", 0, 3)], False),  # (PyTorch's refuses)
    ("ConvTranspose2d", (4, 0, 2), {}, [_x("B", 4, 3, 3)], False),
    ("ConvTranspose1d", (4, 2, 2), {"stride": 2, "output_padding": 1}, [_x("B", 4, 3)], True),
    ("RNNCell", (0, 4), {}, [_x("B", 0)], True),
    ("RNNCell", (3, 0), {"nonlinearity": "relu"}, [_x("B", 3)], True),
    ("LSTMCell", (3, 0), {}, [_x("B", 3)], True),
    ("GRUCell", (0, 4), {"bias": False}, [_x("B", 0)], True),
    ("GRU", (3, 4), {"bidirectional": True}, [_x(2, "B", 3)], True),
    ("LSTM", (3, 4), {"proj_size": 2, "batch_first": True}, [_x("B", 2, 3)], True),
    ("Embedding", (0, 3), {}, [_i("B", 0)], True),
    ("Embedding", (5, 0), {}, [_i("B", 2)], True),
    ("Embedding", (5, 3), {"scale_grad_by_freq": True}, [_i("B", 4)], True),
    ("EmbeddingBag", (5, 0), {"mode": "sum"}, [_i("B", 2)], True),
    ("EmbeddingBag", (0, 3), {}, [_i("B", 0)], False),  # (PyTorch's: "step must be nonzero")
    ("EmbeddingBag", (5, 3), {"mode": "max"}, [_i("B", 4)], True),
    ("PReLU", (0,), {}, [_x("B", 0)], True),
    ("PReLU", (3,), {}, [_x("B", 3)], True),
    ("MultiheadAttention", (4, 2), {}, [_x(2, "B", 4)] * 3, True),
    ("MultiheadAttention", (4, 2), {"kdim": 3, "vdim": 5, "batch_first": True},
     [_x("B", 2, 4), _x("B", 2, 3), _x("B", 2, 5)], True),
    ("TransformerEncoderLayer", (4, 2, 8), {"dropout": 0.0}, [_x(2, "B", 4)], True),
    ("MultiheadAttention", (4, 1), {"kdim": 0, "vdim": 0},
     [_x(2, "B", 4), _x(3, "B", 0), _x(3, "B", 0)], True),
    ("TransformerEncoderLayer", (4, 2, 0), {"dropout": 0.0}, [_x(2, "B", 4)], True),
    ("TransformerDecoderLayer", (4, 2, 0), {"dropout": 0.0}, [_x(2, "B", 4), _x(3, "B", 4)],
     True),
    ("Transformer", (4, 2, 1, 1, 0), {"dropout": 0.0}, [_x(3, "B", 4), _x(2, "B", 4)], True),
    # (built as PyTorch's, whose forward refuses: no first layer to look at; ours below)
    ("Transformer", (4, 2, 0, 1, 8), {}, [], False),
    ("Transformer", (4, 2, 1, 0, 8), {}, [], False),
    ("LocalResponseNorm", (0,), {}, [], False),
    ("ChannelShuffle", (0,), {}, [], False),
    # a cluster of hidden size 4 // 16 = 0, and no input features at all
    ("AdaptiveLogSoftmaxWithLoss", (4, 10, [3, 6]), {}, [_x("B", 4), _i("B")], True),
    ("AdaptiveLogSoftmaxWithLoss", (0, 10, [3, 6]), {}, [_x("B", 0), _i("B")], True),
]


def _case_id(case):
    name, args, kwargs = case[:3]
    options = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}{args}{'{' + options + '}' if options else ''}"


def _inputs(specs, batch):
    """Float64 inputs (rows of 3 indices < 3 for the embeddings) with the batch axis `batch`."""
    arrays = []
    for kind, shape in specs:
        shape = tuple(batch if size == "B" else size for size in shape)
        arrays.append(RNG.standard_normal(shape) if kind == "f" else RNG.integers(0, 3, shape))
    return arrays


def _both(torch, name, args, kwargs):
    """PyTorch's layer (float64) and ours with PyTorch's state_dict loaded."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    return theirs, ours


def _floating(outputs):
    """The float tensors among a layer's outputs (LSTM's (h, c) and MHA's weights too)."""
    flat = []
    for out in outputs if isinstance(outputs, tuple) else (outputs,):
        flat.extend(_floating(out) if isinstance(out, tuple) else [] if out is None else [out])
    return flat


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_a_layer_prints_and_saves_as_pytorchs(torch64, case):
    name, args, kwargs = case[:3]
    torch64.manual_seed(0)
    theirs, ours = getattr(torch64.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    mine, pytorchs = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(pytorchs)
    for key, value in pytorchs.items():
        assert tuple(mine[key].shape) == tuple(value.shape), key
        assert str(mine[key].dtype) == str(value.dtype).replace("torch.", ""), key
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("batch", [3, 0])
@pytest.mark.parametrize("case", [c for c in CASES if c[4]], ids=_case_id)
def test_a_layer_computes_as_pytorchs_on_a_batch_and_on_an_empty_one(torch64, case, batch,
                                                                     mode):
    name, args, kwargs, specs = case[:4]
    theirs, ours = _both(torch64, name, args, kwargs)
    getattr(theirs, mode)(), getattr(ours, mode)()
    arrays = _inputs(specs, batch)
    floats = [a.dtype == np.float64 for a in arrays]
    t_in = [torch64.tensor(a, requires_grad=f) for a, f in zip(arrays, floats)]
    o_in = [tg.tensor(a, requires_grad=f) for a, f in zip(arrays, floats)]
    t_out, o_out = _floating(theirs(*t_in)), _floating(ours(*o_in))
    assert len(t_out) == len(o_out)
    for a, b in zip(t_out, o_out):
        np.testing.assert_allclose(b.numpy(), a.detach().numpy(), rtol=1e-10, atol=1e-12)
    # a different weight for each output, so that one swapped with another is seen
    sum(t.sum() * (k + 1.5) for k, t in enumerate(t_out)).backward()
    sum(o.sum() * (k + 1.5) for k, o in enumerate(o_out)).backward()
    for a, b in zip(t_in, o_in):
        if a.requires_grad:
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-10, atol=1e-12)
    mine = dict(ours.named_parameters())
    for key, value in theirs.named_parameters():
        expected = np.zeros(value.shape) if value.grad is None else value.grad.numpy()
        got = np.zeros(value.shape) if mine[key].grad is None else mine[key].grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=key)
    mine = dict(ours.named_buffers())
    for key, value in theirs.named_buffers():
        np.testing.assert_allclose(mine[key].numpy(), value.numpy(), rtol=1e-12, err_msg=key)


# ------------------------------------------------------------------ zero sizes, without torch


@pytest.mark.parametrize("layer, x", [
    (lambda: nn.Linear(0, 3), np.zeros((2, 0))),
    (lambda: nn.Conv1d(0, 2, 2), np.zeros((2, 0, 5))),
])
def test_a_layer_of_no_inputs_gives_its_bias_and_the_bias_its_gradient(layer, x):
    module = layer()
    np.testing.assert_array_equal(module.bias.numpy(), 0.0)  # (PyTorch's bound: 0 at fan 0)
    module.bias.data = tg.tensor([0.5, -1.0, 2.0][:module.bias.shape[0]])
    out = module(tg.tensor(x))
    bias_axis = 1 if out.ndim == 3 else -1
    shape = [1] * out.ndim
    shape[bias_axis] = -1
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(
        module.bias.numpy().reshape(shape), out.shape))
    out.sum().backward()  # d(sum)/d(bias_c) = how many outputs channel c has
    np.testing.assert_array_equal(module.bias.grad.numpy(), out.size // module.bias.shape[0])
    assert module.weight.grad.shape == module.weight.shape and module.weight.size == 0


@pytest.mark.torch
@pytest.mark.parametrize("name, args, shape", [
    ("LazyLinear", (3,), (2, 0)), ("LazyBatchNorm1d", (), (2, 0)),
    ("LazyInstanceNorm1d", (), (2, 0, 3)), ("LazyLinear", (0,), (2, 4)),
])
def test_a_lazy_layer_reads_a_size_of_0_from_its_input_as_pytorchs(torch64, name, args, shape):
    ours, theirs = getattr(nn, name)(*args), getattr(torch64.nn, name)(*args)
    ours(tg.zeros(*shape))
    try:
        theirs(torch64.zeros(*shape))
    except (RuntimeError, IndexError):  # (a norm of 0 features: built, its forward refused)
        pass
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}


@pytest.mark.parametrize("batch", [(3,), (2, 3), (0,)])
def test_bilinear_of_no_second_features_is_its_definition_its_bias(batch):
    weight, bias = tg.zeros(4, 2, 0, requires_grad=True), tg.tensor([0.5, -1.0, 2.0, 3.0],
                                                                     requires_grad=True)
    x1 = tg.tensor(RNG.standard_normal(batch + (2,)), requires_grad=True)
    x2 = tg.zeros(*batch, 0, requires_grad=True)
    layer = nn.Bilinear(2, 0, 4)
    layer.weight.data, layer.bias.data = weight.data, bias.data
    out = layer(x1, x2)  # (PyTorch's fails to reshape its empty rows)
    definition = np.einsum("...i,oij,...j->...o", x1.numpy(), weight.numpy(), x2.numpy())
    np.testing.assert_array_equal(out.numpy(), definition + bias.numpy())
    assert tg.gradcheck(F.bilinear, [x1, x2, weight, bias])


def test_a_stack_of_no_layers_is_its_final_norm_of_the_input():
    norm = nn.LayerNorm(4)
    norm.weight.data = tg.tensor([1.0, 2.0, -1.0, 0.5])
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 0, norm=norm)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8), 0, norm=norm)
    src = tg.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    memory = tg.tensor(RNG.standard_normal((5, 2, 4)))
    np.testing.assert_array_equal(encoder(src).numpy(), norm(src).numpy())
    np.testing.assert_array_equal(decoder(src, memory).numpy(), norm(src).numpy())
    assert tg.gradcheck(lambda x: encoder(x), [src])
    bare = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 0)
    np.testing.assert_array_equal(bare(src).numpy(), src.numpy())
    model = nn.Transformer(4, 2, 0, 1, 8, dropout=0.0)  # (its encoder: the norm alone)
    tgt = tg.tensor(RNG.standard_normal((2, 2, 4)))
    np.testing.assert_array_equal(model(src, tgt).numpy(),
                                  model.decoder(tgt, model.encoder.norm(src)).numpy())
    model = nn.Transformer(4, 2, 1, 0, 8, dropout=0.0)  # (its decoder: the norm alone)
    np.testing.assert_array_equal(model(src, tgt).numpy(), model.decoder.norm(tgt).numpy())


@pytest.mark.torch
@pytest.mark.parametrize("name, message", [
    ("LocalResponseNorm", r"^local_response_norm: size is the number of channels in each "
                          r"window and must be at least 1, got 0$"),
    ("ChannelShuffle", r"^channel_shuffle: groups is the number of groups .* got 0$"),
])
def test_a_layer_of_size_0_that_pytorch_builds_refuses_its_forward_in_one_line(torch64, name,
                                                                              message):
    x = RNG.standard_normal((2, 4, 3))
    with pytest.raises(RuntimeError):
        getattr(torch64.nn, name)(0)(torch64.tensor(x))
    with pytest.raises(RuntimeError, match=message):
        getattr(nn, name)(0)(tg.tensor(x))


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Linear(-1, 3), r"^Linear: in_features must be a non-negative int, got -1$"),
    (lambda: nn.Conv2d(2, -2, 3), r"^Conv2d: out_channels must be a non-negative int, got -2$"),
    (lambda: nn.Embedding(-5, 3), r"^Embedding: num_embeddings must be a non-negative int"),
    (lambda: nn.GRUCell(3, -1), r"^GRUCell: hidden_size must be a non-negative int, got -1$"),
    (lambda: nn.RNN(3, 0), r"^RNN: hidden_size must be a positive int, got 0$"),  # (as torch)
])
def test_a_negative_size_is_refused_in_one_line(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make, fan_in", [
    (lambda **k: nn.Linear(2, 3, **k), 2), (lambda **k: nn.Linear(3, 2, **k), 3),
    (lambda **k: nn.Linear(7, 2, **k), 7), (lambda **k: nn.Conv1d(3, 2, 1, **k), 3),
    (lambda **k: nn.Conv2d(7, 2, 1, **k), 7), (lambda **k: nn.ConvTranspose1d(2, 7, 1, **k), 7),
    (lambda **k: nn.GRUCell(4, 2, **k), 2), (lambda **k: nn.Bilinear(3, 2, 2, **k), 3),
])
def test_a_seeded_layer_of_nonzero_fan_draws_from_one_over_the_root_of_its_fan(make, fan_in):
    # PyTorch's bound written out (its bias's, and its weight's kaiming_uniform_(a=sqrt(5))):
    # at fans 2, 3 and 7 it differs in the last bit from fan_in ** -0.5, so that another
    # arithmetic of the bound is seen (the weight, then the bias, from the seed's generator)
    bound = 1 / math.sqrt(fan_in)
    assert bound != fan_in ** -0.5
    layer, rng = make(seed=7), np.random.default_rng(7)
    for name, parameter in layer.named_parameters():
        expected = tg.zeros(*parameter.shape, dtype=parameter.dtype)
        nn.init.uniform_(expected, -bound, bound, generator=rng)
        np.testing.assert_array_equal(parameter.numpy(), expected.numpy(), err_msg=name)


@pytest.mark.parametrize("init", sorted(INITS))
@pytest.mark.parametrize("n_in, n_out", [(0, 0), (0, 3), (3, 0)])
def test_a_linear_layer_of_zero_fan_builds_under_every_init(init, n_in, n_out):
    layer = nn.Linear(n_in, n_out, init=init, seed=1)
    assert layer.weight.shape == (n_out, n_in)
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(n_out))  # (a bound of 0)
    out = layer(tg.ones(2, n_in))
    np.testing.assert_array_equal(out.numpy(), np.zeros((2, n_out)))


@pytest.mark.parametrize("init, draw", [
    ("xavier", lambda t, rng: nn.init.uniform_(t, -math.sqrt(6 / 5), math.sqrt(6 / 5),
                                                generator=rng)),
    ("he", lambda t, rng: t.normal_(0.0, math.sqrt(2 / 3), generator=rng)),
    ("normal", lambda t, rng: t.normal_(0.0, 1 / math.sqrt(3), generator=rng)),
])
def test_a_seeded_linear_layer_draws_its_inits_definition(init, draw):
    layer = nn.Linear(3, 2, init=init, seed=4)  # fan_in 3, fan_out 2
    expected = tg.zeros(2, 3)
    draw(expected, np.random.default_rng(4))
    np.testing.assert_array_equal(layer.weight.numpy(), expected.numpy())
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(2))


LAZY_AT_ZERO = [("LazyLinear", (3,), (2, 0), (2, 5)), ("LazyConv1d", (4, 2), (2, 0, 5), (2, 5, 5))]


@pytest.mark.parametrize("name, args, shape", [
    ("LazyLinear", (4,), (2, 3)), ("LazyConv1d", (4, 2), (2, 3, 5)),
    ("LazyBatchNorm1d", (), (2, 3))])
def test_a_lazy_layers_own_state_saved_to_a_file_loads_into_a_lazy_layer(tmp_path, name, args,
                                                                          shape):
    # (the file keeps plain empty arrays: a norm built at 0 features reads the same, and loads
    # as lazy too, where PyTorch's would take size 0)
    path = str(tmp_path / "lazy.npz")
    tg.save(getattr(nn, name)(*args).state_dict(), path)
    layer = getattr(nn, name)(*args)
    layer.load_state_dict(tg.load(path))
    assert layer.has_uninitialized_params()
    out = layer(tg.randn(*shape, seed=0))  # (its first call builds it on the input's size)
    assert type(layer).__name__ == name[len("Lazy"):] and out.shape[:2] == (2, 4 if args else 3)


@pytest.mark.torch
@pytest.mark.parametrize("name, args, shape, other", LAZY_AT_ZERO)
def test_a_lazy_layer_loads_the_state_of_one_built_at_size_0_as_pytorchs(torch64, name, args,
                                                                         shape, other):
    built = getattr(nn, name)(*args)
    built(tg.zeros(*shape))
    ours, theirs = getattr(nn, name)(*args), getattr(torch64.nn, name)(*args)
    assert ours.load_state_dict(built.state_dict()) == ([], [])
    theirs.load_state_dict({k: torch64.tensor(v) for k, v in built.state_dict().items()})
    assert not ours.has_uninitialized_params() and not theirs.has_uninitialized_params()
    assert repr(ours) == repr(theirs)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    with pytest.raises((RuntimeError, AssertionError)):  # (theirs: the loaded size holds)
        theirs(torch64.zeros(*other))
    with pytest.raises(ShapeError, match=rf"^{name}: \w+ is 0 \(inferred or loaded before\), "
                                         rf"but the input has 5; give it inputs of 0"):
        ours(tg.zeros(*other))
    assert ours.state_dict()["weight"].shape == theirs.state_dict()["weight"].shape


@pytest.mark.torch
def test_a_lazy_linear_initialized_at_size_0_runs_and_keeps_its_size_as_pytorchs(torch64):
    ours, theirs = nn.LazyLinear(3), torch64.nn.LazyLinear(3)
    ours.initialize_parameters(tg.zeros(2, 0))
    theirs.initialize_parameters(torch64.zeros(2, 0))
    with torch64.no_grad():
        theirs.bias.copy_(torch64.tensor([1.0, -2.0, 0.5]))  # (theirs starts uninitialized)
    ours.bias.data = tg.tensor([1.0, -2.0, 0.5])
    np.testing.assert_array_equal(ours.forward(tg.zeros(2, 0)).numpy(),
                                  theirs.forward(torch64.zeros(2, 0)).detach().numpy())
    with pytest.raises(AssertionError, match="5"):
        theirs.initialize_parameters(torch64.zeros(2, 5))
    with pytest.raises(ShapeError, match=r"^LazyLinear: in_features is 0 .*the input has 5"):
        ours.initialize_parameters(tg.zeros(2, 5))
    assert ours.in_features == theirs.in_features == 0
    assert ours.weight.shape == tuple(theirs.weight.shape) == (3, 0)
    ours.reset_parameters(seed=0)  # (built: a fan of 0 draws nothing, the bias starts at 0)
    np.testing.assert_array_equal(ours.bias.numpy(), np.zeros(3))


@pytest.mark.parametrize("name", ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyInstanceNorm3d"])
def test_a_lazy_norms_reset_running_stats_before_its_first_call_is_refused(name):
    layer = getattr(nn, name)()
    with pytest.raises(ValueError, match=rf"^{name}.reset_running_stats: the running "
                                         r"statistics are uninitialized .*call it on an "
                                         r"input first \(m\(x\)\)$"):
        layer.reset_running_stats()
    getattr(nn, name)(track_running_stats=False).reset_running_stats()  # (nothing to reset)


# ------------------------------------------------------------------ scale_grad_by_freq


INDICES = np.array([1, 1, 3, 0, 1, 3, 4])  # row 1 three times, row 3 twice, 0 and 4 once
OFFSETS = np.array([0, 3, 5])  # bags [1 1 3], [0 1], [3 4]
WEIGHT = RNG.standard_normal((6, 2))


def _bag_definition(weight, mode, padding_idx=None):
    """embedding_bag written out: each bag's rows summed (or averaged over the rows kept),
    the rows at padding_idx left out."""
    ends = list(OFFSETS[1:]) + [len(INDICES)]
    bags = []
    for start, end in zip(OFFSETS, ends):
        kept = [i for i in INDICES[start:end] if i != padding_idx]
        total = sum((weight[i] for i in kept), np.zeros(weight.shape[1]))
        bags.append(total / max(len(kept), 1) if mode == "mean" else total)
    return np.stack(bags)


def _central_differences(function, weight, cotangent, eps=1e-6):
    """d(sum(cotangent * function(w)))/dw by central differences, entry by entry."""
    grad = np.zeros_like(weight)
    for index in np.ndindex(weight.shape):
        step = np.zeros_like(weight)
        step[index] = eps
        grad[index] = np.sum(cotangent * (function(weight + step) - function(weight - step)))
        grad[index] /= 2 * eps
    return grad


def _per_count(grad, indices):
    """The rule: each row's gradient divided by its index's count (rows absent: as they are)."""
    counts = np.bincount(indices, minlength=grad.shape[0])
    return grad / np.maximum(counts, 1)[:, None]


@pytest.mark.parametrize("padding_idx", [None, 1, 3])
@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq_divides_each_rows_gradient_by_its_count(mode,
                                                                                 padding_idx):
    weight = tg.tensor(WEIGHT, requires_grad=True)
    out = F.embedding_bag(tg.as_tensor(INDICES), weight, tg.as_tensor(OFFSETS), mode=mode,
                          scale_grad_by_freq=True, padding_idx=padding_idx)
    np.testing.assert_allclose(out.numpy(), _bag_definition(WEIGHT, mode, padding_idx),
                               rtol=1e-14)  # (the values are not scaled)
    cotangent = RNG.standard_normal(out.shape)
    out.backward(tg.tensor(cotangent))
    plain = _central_differences(lambda w: _bag_definition(w, mode, padding_idx), WEIGHT,
                                 cotangent)
    np.testing.assert_allclose(weight.grad.numpy(), _per_count(plain, INDICES), atol=1e-8)


def test_embedding_scale_grad_by_freq_against_central_differences():
    weight = tg.tensor(WEIGHT, requires_grad=True)
    rows = INDICES.reshape(1, -1)
    out = F.embedding(tg.as_tensor(rows), weight, scale_grad_by_freq=True)
    cotangent = RNG.standard_normal(out.shape)
    out.backward(tg.tensor(cotangent))
    plain = _central_differences(lambda w: w[rows], WEIGHT, cotangent)
    np.testing.assert_allclose(weight.grad.numpy(), _per_count(plain, INDICES), atol=1e-8)
    torch_style = tg.tensor(WEIGHT, requires_grad=True)  # torch.embedding's argument order
    tg.embedding(torch_style, tg.as_tensor(rows), -1, True).backward(tg.tensor(cotangent))
    np.testing.assert_array_equal(torch_style.grad.numpy(), weight.grad.numpy())


def test_embedding_bag_scale_grad_by_freq_in_the_layer_and_its_refusal_with_max():
    bag = nn.EmbeddingBag(6, 2, mode="sum", scale_grad_by_freq=True)
    assert repr(bag) == "EmbeddingBag(6, 2, scale_grad_by_freq=True, mode='sum')"
    bag.weight.data = tg.tensor(WEIGHT)
    bag(tg.as_tensor(INDICES), tg.as_tensor(OFFSETS)).sum().backward()
    ones = np.ones((len(OFFSETS), 2))
    plain = _central_differences(lambda w: _bag_definition(w, "sum"), WEIGHT, ones)
    np.testing.assert_allclose(bag.weight.grad.numpy(), _per_count(plain, INDICES), atol=1e-8)
    biggest = nn.EmbeddingBag(6, 2, mode="max", scale_grad_by_freq=True)  # (built, as torch)
    with pytest.raises(ValueError, match=r"^embedding_bag: mode='max' does not support "
                                         r"scaling the gradient by the frequency"):
        biggest(tg.as_tensor(INDICES), tg.as_tensor(OFFSETS))


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq_is_torchs_embedding_summed_by_bag(torch64, mode):
    # torch's embedding (whose rule is right) reduced bag by bag: the reference
    theirs = torch64.tensor(WEIGHT, requires_grad=True)
    rows = torch64.nn.functional.embedding(torch64.tensor(INDICES), theirs,
                                           scale_grad_by_freq=True)
    ends = list(OFFSETS[1:]) + [len(INDICES)]
    reduce = torch64.mean if mode == "mean" else torch64.sum
    torch64.stack([reduce(rows[s:e], 0) for s, e in zip(OFFSETS, ends)]).sum().backward()
    ours = tg.tensor(WEIGHT, requires_grad=True)
    F.embedding_bag(tg.as_tensor(INDICES), ours, tg.as_tensor(OFFSETS), mode=mode,
                    scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-14)


def _bags_definition(weight, indices, offsets, mode, per_sample_weights=None,
                     include_last_offset=False):
    """embedding_bag written out for any cut: bag b is indices[starts[b]:ends[b]], each row
    times its per-sample weight, summed (or averaged; an empty bag gives zeros)."""
    starts = list(offsets[:-1] if include_last_offset else offsets)
    ends = list(offsets[1:]) + ([] if include_last_offset else [len(indices)])
    scale = np.ones(len(indices)) if per_sample_weights is None else per_sample_weights
    bags = []
    for start, end in zip(starts, ends):
        total = sum((scale[k] * weight[indices[k]] for k in range(start, end)),
                    np.zeros(weight.shape[1]))
        bags.append(total / max(end - start, 1) if mode == "mean" else total)
    return np.stack(bags)


SCALED_BAGS = {  # name: (indices, offsets, mode, per_sample_weights, include_last_offset)
    "per_sample_weights": (INDICES, OFFSETS, "sum", RNG.standard_normal(len(INDICES)), False),
    "include_last_offset": (INDICES, np.array([0, 3, 5, 7]), "mean", None, True),
    "empty bags in mean": (INDICES, np.array([0, 3, 3, 5, 7]), "mean", None, False),
    "2-D input": (INDICES[:6], np.array([0, 3]), "mean", None, False),
}


@pytest.mark.parametrize("case", sorted(SCALED_BAGS))
def test_embedding_bag_scale_grad_by_freq_with_each_option(case):
    indices, offsets, mode, weights, last = SCALED_BAGS[case]
    weight = tg.tensor(WEIGHT, requires_grad=True)
    given = tg.as_tensor(indices.reshape(2, 3)) if case == "2-D input" else tg.as_tensor(indices)
    out = F.embedding_bag(given, weight, None if case == "2-D input" else tg.as_tensor(offsets),
                          mode=mode, scale_grad_by_freq=True, include_last_offset=last,
                          per_sample_weights=None if weights is None else tg.tensor(weights))
    definition = lambda w: _bags_definition(w, indices, offsets, mode, weights, last)  # noqa
    np.testing.assert_allclose(out.numpy(), definition(WEIGHT), rtol=1e-13, atol=1e-15)
    cotangent = RNG.standard_normal(out.shape)
    out.backward(tg.tensor(cotangent))
    plain = _central_differences(definition, WEIGHT, cotangent)
    np.testing.assert_allclose(weight.grad.numpy(), _per_count(plain, indices), atol=1e-8)


def test_embedding_bag_scale_grad_by_freq_in_float32_through_a_non_leaf_and_max_norm():
    leaf = tg.tensor(WEIGHT.astype(np.float32), requires_grad=True)
    out = F.embedding_bag(tg.as_tensor(INDICES), leaf * 2.0, tg.as_tensor(OFFSETS), mode="sum",
                          scale_grad_by_freq=True)
    assert out.dtype == np.float32
    out.sum().backward()  # (d(2w)/dw = 2: the non-leaf's gradient reaches the leaf scaled)
    ones = np.ones((len(OFFSETS), 2))
    plain = _central_differences(lambda w: _bag_definition(w, "sum"), WEIGHT, ones)
    assert leaf.grad.dtype == np.float32
    np.testing.assert_allclose(leaf.grad.numpy(), 2 * _per_count(plain, INDICES), rtol=1e-6)
    renormed = tg.tensor(WEIGHT * 3, requires_grad=True)  # (rows of norm above 1, one below)
    out = F.embedding_bag(tg.as_tensor(INDICES), renormed, tg.as_tensor(OFFSETS), max_norm=1.0,
                          mode="mean", scale_grad_by_freq=True)
    used = np.unique(INDICES)
    np.testing.assert_allclose(np.linalg.norm(renormed.numpy()[used], axis=1), np.minimum(
        np.linalg.norm(WEIGHT[used] * 3, axis=1), 1.0), rtol=1e-6)
    np.testing.assert_allclose(out.numpy(), _bag_definition(renormed.numpy(), "mean"),
                               rtol=1e-13)  # (the rows as rescaled in place)
    out.sum().backward()
    plain = _central_differences(lambda w: _bag_definition(w, "mean"), WEIGHT, ones)
    np.testing.assert_allclose(renormed.grad.numpy(), _per_count(plain, INDICES), atol=1e-8)


def test_torch_style_embedding_bag_scale_grad_by_freq_is_the_functional_ones():
    weight, theirs = (tg.tensor(WEIGHT, requires_grad=True) for _ in range(2))
    tg.embedding_bag(weight, tg.as_tensor(INDICES), tg.as_tensor(OFFSETS), True, 1)[0].sum() \
        .backward()
    F.embedding_bag(tg.as_tensor(INDICES), theirs, tg.as_tensor(OFFSETS), mode="mean",
                    scale_grad_by_freq=True).sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy(), theirs.grad.numpy())
    unscaled = tg.tensor(WEIGHT, requires_grad=True)  # (the flag is passed: row 1, 3 times)
    tg.embedding_bag(unscaled, tg.as_tensor(INDICES), tg.as_tensor(OFFSETS), False, 1)[0].sum() \
        .backward()
    np.testing.assert_allclose(weight.grad.numpy()[1] * 3, unscaled.grad.numpy()[1], rtol=1e-14)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_an_optimizer_steps_on_zero_size_parameters_as_pytorchs(torch64, name):
    ours, theirs = nn.Linear(0, 3), torch64.nn.Linear(0, 3)
    ours.bias.data = tg.tensor([0.5, -1.0, 2.0])
    with torch64.no_grad():
        theirs.bias.copy_(torch64.tensor([0.5, -1.0, 2.0]))
    mine = getattr(tg.optim, name)(ours.parameters(), lr=0.1, weight_decay=0.01)
    pytorchs = getattr(torch64.optim, name)(theirs.parameters(), lr=0.1, weight_decay=0.01)
    for _ in range(2):
        mine.zero_grad(), pytorchs.zero_grad()
        (ours(tg.ones(2, 0)) ** 2).sum().backward()
        (theirs(torch64.ones(2, 0)) ** 2).sum().backward()
        mine.step(), pytorchs.step()
    assert ours.weight.shape == tuple(theirs.weight.shape) == (3, 0)
    np.testing.assert_allclose(ours.bias.numpy(), theirs.bias.detach().numpy(), rtol=1e-12)


def test_non_dynamically_quantizable_linear_is_at_pytorchs_path():
    from tinygrad_gd.nn.modules.linear import Linear, NonDynamicallyQuantizableLinear
    out_proj = nn.MultiheadAttention(4, 2).out_proj
    assert type(out_proj) is NonDynamicallyQuantizableLinear and isinstance(out_proj, Linear)
    assert Linear is nn.Linear

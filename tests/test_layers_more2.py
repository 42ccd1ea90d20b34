"""Tests of the layers and functions of nn/layers_more.py, nn/layer_functions_more.py,
nn/random_functions.py and nn/in_place_functions.py: InstanceNorm1d/2d/3d, BatchNorm3d,
Dropout3d, LocalResponseNorm, Bilinear, EmbeddingBag, ChannelShuffle, Softmax2d,
AlphaDropout, FeatureAlphaDropout, RReLU, F.gumbel_softmax, F.pdist and F's in-place
activations.

Gradients are checked with `tg.gradcheck` in float64 (the random ones with a fixed
generator, the same draw at every finite difference); outputs and gradients are compared
with PyTorch's, its layers given our weights; then the edges (empty, ties, zeros,
float32) and the errors of bad input.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.engine import toposort
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(21)
SEQ = RNG.standard_normal((2, 3, 5))  # (batch, channels, length)
IMG = RNG.standard_normal((2, 4, 3, 2))  # (batch, channels, height, width)
VOL = RNG.standard_normal((2, 3, 2, 3, 2))  # (batch, channels, depth, height, width)
W3, B3 = RNG.uniform(0.5, 1.5, 3), RNG.standard_normal(3)
X1, X2 = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 2))  # bilinear's pairs
WB, BB = RNG.standard_normal((5, 4, 2)), RNG.standard_normal(5)
TABLE = RNG.standard_normal((6, 3))  # an embedding table: 6 rows of 3
BAG = np.array([1, 2, 4, 4, 3, 0, 5, 2])  # entries, cut at OFFSETS: bags 0-1, -, 2-4, 5-7
OFFSETS = np.array([0, 2, 2, 5])
SAMPLE_WEIGHTS = RNG.uniform(0.5, 1.5, BAG.shape)


def leaf(array) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def as_torch(*arrays):
    torch = pytest.importorskip("torch")
    return [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in map(np.asarray, arrays)]


def agree(ours, theirs, rtol=1e-10):
    np.testing.assert_allclose(np.asarray(ours.data), theirs.detach().numpy(), rtol=rtol,
                               atol=1e-12)


def compare(function, torch_function, *arrays, rtol=1e-10):
    """function(*tensors) and torch_function(*torch tensors): the outputs, and the gradients
    of every float input of one backward pass seeded with the same random weights."""
    torch = pytest.importorskip("torch")
    ours = [leaf(a) if np.asarray(a).dtype.kind == "f" else tg.as_tensor(a) for a in arrays]
    theirs = as_torch(*arrays)
    out, expected = function(*ours), torch_function(*theirs)
    assert out.shape == tuple(expected.shape) and out.dtype == np.float64
    agree(out, expected, rtol)
    seed = np.random.default_rng(0).standard_normal(out.shape)
    (out * seed).sum().backward()
    (expected * torch.tensor(seed)).sum().backward()
    for mine, reference in zip(ours, theirs):
        if reference.requires_grad:
            agree(mine.grad, reference.grad, rtol)


def layer_pair(make, *args):
    """Our layer and PyTorch's built by `make(library)`, PyTorch's given our weights."""
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn), make(torch.nn).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if not isinstance(ours, nn.BatchNorm1d):  # (torch 2.13's batch norms show bias=: ours not)
        assert repr(ours) == repr(theirs)
    theirs.load_state_dict({name: torch.tensor(np.asarray(value))
                            for name, value in ours.state_dict().items()})
    return ours, theirs


def compare_layers(ours, theirs, *arrays, rtol=1e-10):
    """Outputs, input and parameter gradients, and the state after the call, of two layers."""
    compare(ours, theirs, *arrays, rtol=rtol)
    for (name, parameter), (_, reference) in zip(ours.named_parameters(),
                                                 theirs.named_parameters()):
        agree(parameter.grad, reference.grad, rtol)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(np.asarray(ours.state_dict()[name]), value.numpy(),
                                   rtol=1e-12, err_msg=name)


# ------------------------------------------------------------------ gradcheck


GRADCHECKED = {
    "instance_norm": (lambda x, w, b: F.instance_norm(x, None, None, w, b), (IMG[:, :3], W3, B3)),
    "instance_norm 3-d": (lambda x: F.instance_norm(x, eps=0.1), (VOL,)),
    "instance_norm running": (lambda x, m, v, w: F.instance_norm(x, m, v, w, None, False),
                              (SEQ, B3, W3, W3)),
    "local_response_norm": (lambda x: F.local_response_norm(x, 3, 0.5, 0.75, 1.5), (IMG,)),
    "local_response_norm even": (lambda x: F.local_response_norm(x, 2, 2.0, 0.4), (VOL,)),
    "bilinear": (F.bilinear, (X1, X2, WB, BB)),
    "channel_shuffle": (lambda x: F.channel_shuffle(x, 2), (IMG,)),
    "pdist": (F.pdist, (SEQ[0].T,)),
    "pdist 0.5": (lambda x: F.pdist(x, 0.5), (SEQ[0].T,)),
    "pdist inf": (lambda x: F.pdist(x, float("inf")), (SEQ[0].T,)),
    "embedding_bag sum": (lambda w, s: F.embedding_bag(
        BAG, w, OFFSETS, mode="sum", per_sample_weights=s), (TABLE, SAMPLE_WEIGHTS)),
    "embedding_bag mean": (lambda w: F.embedding_bag(BAG, w, OFFSETS, padding_idx=4),
                           (TABLE,)),
    "embedding_bag max": (lambda w: F.embedding_bag(BAG.reshape(2, 4), w, mode="max"),
                          (TABLE,)),
    "dropout3d": (lambda x: F.dropout3d(x, 0.5, generator=np.random.default_rng(2)), (VOL,)),
    "alpha_dropout": (lambda x: F.alpha_dropout(
        x, 0.3, True, generator=np.random.default_rng(2)), (SEQ,)),
    "feature_alpha_dropout": (lambda x: F.feature_alpha_dropout(
        x, 0.3, True, generator=np.random.default_rng(2)), (IMG,)),
    "rrelu": (lambda x: F.rrelu(x, 0.1, 0.4, True, generator=np.random.default_rng(2)),
              (SEQ,)),
    "rrelu eval": (lambda x: F.rrelu(x, 0.1, 0.4), (SEQ,)),
    "gumbel_softmax": (lambda x: F.gumbel_softmax(
        x, 0.7, dim=1, generator=np.random.default_rng(2)), (IMG,)),
}  # (hard gumbel_softmax: a step, whose straight-through gradient is the soft one's, below)


@pytest.mark.parametrize("key", sorted(GRADCHECKED))
def test_function_passes_gradcheck(key):
    function, arrays = GRADCHECKED[key]
    assert tg.gradcheck(function, [leaf(a) for a in arrays])


# each layer checked with respect to its inputs and then its parameters (given in their
# place for the call)
LAYERS = {
    "InstanceNorm1d": (lambda: nn.InstanceNorm1d(3, affine=True), (SEQ,)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(4, affine=True, bias=False), (IMG,)),
    "InstanceNorm3d": (lambda: nn.InstanceNorm3d(3, affine=True, track_running_stats=True),
                       (VOL,)),
    "BatchNorm3d": (lambda: nn.BatchNorm3d(3), (VOL,)),
    "Bilinear": (lambda: nn.Bilinear(4, 2, 3, seed=0), (X1, X2)),
    "EmbeddingBag": (lambda: nn.EmbeddingBag(6, 3, mode="sum", seed=0), ()),
    "RReLU": (lambda: nn.RReLU(0.2, 0.3, seed=4), (SEQ,)),
}


@pytest.mark.parametrize("key", sorted(LAYERS))
def test_layer_passes_gradcheck_for_inputs_and_parameters(key):
    make, arrays = LAYERS[key]
    names = [name for name, _ in make().named_parameters()]

    def call(*tensors):
        layer = make()  # (fresh: the same random draw, running statistics, each call)
        for name, value in zip(names, tensors[len(arrays):]):
            delattr(layer, name)
            setattr(layer, name, value)
        inputs = tensors[:len(arrays)] or (tg.as_tensor(BAG), tg.as_tensor(OFFSETS))
        return layer(*inputs)
    parameters = [leaf(p.data) for p in make().parameters()]
    assert tg.gradcheck(call, [leaf(a) for a in arrays] + parameters)


# ------------------------------------------------------------------ against PyTorch


@pytest.mark.torch
@pytest.mark.parametrize("make, array", [
    pytest.param(lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), SEQ,
                 id="InstanceNorm1d affine running"),
    pytest.param(lambda nn: nn.InstanceNorm1d(3, momentum=None, track_running_stats=True),
                 SEQ, id="InstanceNorm1d momentum None"),
    pytest.param(lambda nn: nn.InstanceNorm1d(3, affine=True), SEQ[0],
                 id="InstanceNorm1d unbatched"),
    pytest.param(lambda nn: nn.InstanceNorm2d(4, eps=0.1, affine=True, bias=False), IMG,
                 id="InstanceNorm2d no bias"),
    pytest.param(lambda nn: nn.InstanceNorm3d(3, momentum=0.3, track_running_stats=True),
                 VOL[0], id="InstanceNorm3d unbatched running"),
    pytest.param(lambda nn: nn.BatchNorm3d(3, momentum=0.2), VOL, id="BatchNorm3d"),
    pytest.param(lambda nn: nn.LocalResponseNorm(3, 0.5, 0.6, 2.0), VOL,
                 id="LocalResponseNorm 3-d"),
    pytest.param(lambda nn: nn.LocalResponseNorm(4, 0.5, 0.6, 2.0), SEQ,
                 id="LocalResponseNorm 1-d"),
    pytest.param(lambda nn: nn.ChannelShuffle(2), IMG, id="ChannelShuffle"),
    pytest.param(lambda nn: nn.Softmax2d(), IMG, id="Softmax2d"),
    pytest.param(lambda nn: nn.Softmax2d(), IMG[0], id="Softmax2d unbatched"),
    pytest.param(lambda nn: nn.Dropout3d(0.4).eval(), VOL, id="Dropout3d eval"),
    pytest.param(lambda nn: nn.AlphaDropout(0.4).eval(), SEQ, id="AlphaDropout eval"),
    pytest.param(lambda nn: nn.FeatureAlphaDropout(0.4).eval(), IMG,
                 id="FeatureAlphaDropout eval"),
    pytest.param(lambda nn: nn.RReLU(0.1, 0.3).eval(), SEQ, id="RReLU eval"),
])
def test_layer_agrees_with_pytorch(make, array):
    ours, theirs = layer_pair(make)
    compare_layers(ours, theirs, array)


@pytest.mark.torch
def test_instance_norms_in_eval_mode_use_the_running_statistics_as_pytorch():
    ours, theirs = layer_pair(lambda nn: nn.InstanceNorm2d(4, affine=True,
                                                           track_running_stats=True))
    compare_layers(ours, theirs, IMG)  # (training: moves the statistics)
    ours.eval(), theirs.eval()
    compare_layers(ours, theirs, IMG * 2 + 1)
    assert int(ours.num_batches_tracked.item()) == 0  # (PyTorch's instance norms: not counted)


@pytest.mark.torch
def test_bilinear_agrees_with_pytorch():
    ours, theirs = layer_pair(lambda nn: nn.Bilinear(4, 2, 5))
    compare_layers(ours, theirs, X1, X2)
    ours, theirs = layer_pair(lambda nn: nn.Bilinear(4, 2, 5, bias=False))
    compare_layers(ours, theirs, X1[0, 0], X2[0, 0])  # (one pair, no batch axis)
    compare(F.bilinear, pytest.importorskip("torch").nn.functional.bilinear, X1, X2, WB, BB)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4, -1])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_agrees_with_pytorch(mode, padding_idx, include_last_offset):
    torch = pytest.importorskip("torch")
    offsets = np.append(OFFSETS, BAG.size) if include_last_offset else OFFSETS
    options = dict(mode=mode, padding_idx=padding_idx, include_last_offset=include_last_offset)
    compare(lambda w: F.embedding_bag(BAG, w, offsets, **options),
            lambda w: torch.nn.functional.embedding_bag(
                torch.tensor(BAG), w, torch.tensor(offsets), **options), TABLE)
    compare(lambda i, w: F.embedding_bag(i, w, **options),  # (2-d: a bag per row)
            lambda i, w: torch.nn.functional.embedding_bag(i, w, **options),
            BAG.reshape(2, 4), TABLE)
    make = (lambda nn: nn.EmbeddingBag(6, 3, mode=mode, padding_idx=padding_idx,
                                       include_last_offset=include_last_offset))
    ours, theirs = layer_pair(make)
    compare_layers(ours, theirs, BAG, offsets)


@pytest.mark.torch
def test_embedding_bag_per_sample_weights_and_ties_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    compare(lambda w, s: F.embedding_bag(BAG, w, OFFSETS, mode="sum", per_sample_weights=s,
                                         padding_idx=2),
            lambda w, s: torch.nn.functional.embedding_bag(
                torch.tensor(BAG), w, torch.tensor(OFFSETS), mode="sum",
                per_sample_weights=s, padding_idx=2), TABLE, SAMPLE_WEIGHTS)
    # ties: a row twice in a bag, and rows with equal entries; the first in the bag wins
    tied = np.array([[1.0, 2.0], [1.0, 0.0], [3.0, 2.0]])
    compare(lambda w: F.embedding_bag(np.array([1, 1, 0, 2, 0]), w, np.array([0, 3]),
                                      mode="max"),
            lambda w: torch.nn.functional.embedding_bag(
                torch.tensor([1, 1, 0, 2, 0]), w, torch.tensor([0, 3]), mode="max"), tied)


@pytest.mark.torch
@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_local_response_norm_agrees_with_pytorch_for_any_window(size):
    torch = pytest.importorskip("torch")
    compare(lambda x: F.local_response_norm(x, size, 0.3, 0.75, 1.2),
            lambda x: torch.nn.functional.local_response_norm(x, size, 0.3, 0.75, 1.2), IMG)


@pytest.mark.torch
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 2.0, 3.0, float("inf")])
def test_pdist_agrees_with_pytorch(p):
    torch = pytest.importorskip("torch")
    rows = np.concatenate([SEQ[0].T, SEQ[0].T[:1]])  # a repeated row: a zero distance
    compare(lambda x: F.pdist(x, p), lambda x: torch.nn.functional.pdist(x, p), rows)


@pytest.mark.torch
def test_instance_norm_function_agrees_with_pytorch_and_moves_running_statistics():
    torch = pytest.importorskip("torch")
    mean, var = tg.zeros(3), tg.ones(3)
    their_mean, their_var = torch.zeros(3, dtype=torch.float64), torch.ones(3,
                                                                           dtype=torch.float64)
    compare(lambda x, w, b: F.instance_norm(x, mean, var, w, b, momentum=0.3),
            lambda x, w, b: torch.nn.functional.instance_norm(x, their_mean, their_var, w, b,
                                                              momentum=0.3), VOL, W3, B3)
    agree(mean, their_mean), agree(var, their_var)


@pytest.mark.torch
def test_rrelu_in_eval_mode_and_at_zero_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    at_kinks = np.array([-2.0, 0.0, -0.0, 3.0])
    compare(lambda x: F.rrelu(x, 0.1, 0.5), lambda x: torch.nn.functional.rrelu(x, 0.1, 0.5),
            at_kinks)
    compare(lambda x: F.rrelu(x), lambda x: torch.nn.functional.rrelu(x), SEQ)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["relu_", "elu_", "selu_", "celu_", "leaky_relu_",
                                  "hardtanh_", "threshold_", "rrelu_"])
def test_in_place_activations_write_pytorchs_values_into_the_input(name):
    torch = pytest.importorskip("torch")
    arguments = {"threshold_": (0.2, -3.0), "celu_": (0.7,), "leaky_relu_": (0.2,),
                 "hardtanh_": (-0.5, 0.8), "elu_": (1.5,)}.get(name, ())
    ours, theirs = Tensor(SEQ.copy()), torch.tensor(SEQ.copy())
    result = getattr(F, name)(ours, *arguments)
    getattr(torch.nn.functional, name)(theirs, *arguments)
    assert result is ours
    agree(ours, theirs)
    out_of_place = getattr(F, name[:-1])(Tensor(SEQ), *arguments)
    np.testing.assert_array_equal(ours.data, out_of_place.data)


# ------------------------------------------------------------------ the random layers


def test_random_layers_repeat_with_a_seed_and_are_the_identity_or_mean_in_eval():
    for make in (lambda: nn.Dropout3d(0.5, seed=1), lambda: nn.AlphaDropout(0.5, seed=1),
                 lambda: nn.FeatureAlphaDropout(0.5, seed=1), lambda: nn.RReLU(seed=1)):
        first, second = make(), make()
        drawn = first(VOL).data
        np.testing.assert_array_equal(drawn, second(VOL).data)
        assert not np.array_equal(drawn, first(VOL).data)  # (a new draw per call)
        if not isinstance(first, nn.RReLU):
            np.testing.assert_array_equal(first.eval()(VOL).data, VOL)
    eval_rrelu = nn.RReLU(0.1, 0.3).eval()(VOL).data
    np.testing.assert_allclose(eval_rrelu, np.where(VOL > 0, VOL, 0.2 * VOL))


def test_channel_dropouts_drop_whole_channels():
    channels = VOL.reshape(6, -1)  # (batch * C, voxels)
    dropped = F.dropout3d(VOL, 0.5, generator=np.random.default_rng(5)).data.reshape(6, -1)
    zeroed = (dropped == 0).all(axis=1)
    assert zeroed.any() and (~zeroed).any()
    np.testing.assert_allclose(dropped[~zeroed], 2 * channels[~zeroed])
    out = F.feature_alpha_dropout(VOL, 0.5, True, generator=np.random.default_rng(5))
    out = out.data.reshape(6, -1)
    a = ((1.7580993408473766 ** 2 * 0.5 + 1) * 0.5) ** -0.5  # the map's slope
    constant = np.ptp(out, axis=1) == 0  # a dropped channel: one value
    assert constant.any() and (~constant).any()
    np.testing.assert_allclose(np.ptp(out[~constant] - a * channels[~constant], axis=1), 0,
                               atol=1e-12)  # a kept channel: a * x + b


def test_alpha_dropout_keeps_mean_zero_and_variance_one():
    x = np.random.default_rng(6).standard_normal(400_000)
    for p in (0.1, 0.5, 0.8):
        out = F.alpha_dropout(x, p, True, generator=np.random.default_rng(7)).data
        assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01
    zeros = F.alpha_dropout(np.zeros(1000), 0.3, True, generator=np.random.default_rng(7))
    alpha = 1.7580993408473766  # SELU's -scale * alpha: a dropped entry before the map
    a = ((alpha ** 2 * 0.3 + 1) * 0.7) ** -0.5
    np.testing.assert_allclose(np.unique(zeros.data), sorted([a * alpha * 0.3,
                                                              -a * alpha * 0.7]))
    assert (F.alpha_dropout(SEQ, 1.0, True).data == 0).all()
    np.testing.assert_array_equal(F.alpha_dropout(SEQ, 0.5).data, SEQ)  # training=False


def test_rrelu_in_training_draws_slopes_between_lower_and_upper():
    x = -np.abs(np.random.default_rng(8).standard_normal(10_000)) - 0.1
    slopes = F.rrelu(x, 0.2, 0.6, True, generator=np.random.default_rng(0)).data / x
    assert slopes.min() >= 0.2 and slopes.max() <= 0.6 and np.ptp(slopes) > 0.3
    inputs = leaf([-1.0, 0.0, 2.0])
    out = F.rrelu(inputs, 0.2, 0.6, True, generator=np.random.default_rng(0))
    out.sum().backward()  # the slope at 0 too (PyTorch's), 1 above
    assert 0.2 <= inputs.grad.data[1] <= 0.6 and inputs.grad.data[2] == 1.0
    assert inputs.grad.data[0] == -out.data[0]


def test_gumbel_softmax_samples_and_hard_one_hot_straight_through():
    logits = leaf(np.log([[0.7, 0.2, 0.1]] * 20_000))
    soft = F.gumbel_softmax(logits, 0.5, generator=np.random.default_rng(1))
    np.testing.assert_allclose(soft.data.sum(axis=1), 1.0)
    picks = np.bincount(soft.data.argmax(axis=1), minlength=3) / 20_000
    np.testing.assert_allclose(picks, [0.7, 0.2, 0.1], atol=0.02)  # Gumbel-max: the softmax
    hard = F.gumbel_softmax(logits, 0.5, True, generator=np.random.default_rng(1))
    np.testing.assert_allclose(hard.data, np.eye(3)[soft.data.argmax(axis=1)], atol=1e-15)
    weights = np.random.default_rng(3).standard_normal(hard.shape)
    g_hard = tg.autograd.grad((hard * weights).sum(), [logits])[0]
    g_soft = tg.autograd.grad((soft * weights).sum(), [logits])[0]
    np.testing.assert_allclose(g_hard.data, g_soft.data)
    even = F.gumbel_softmax(tg.zeros(2, 3), 1.0, True, generator=np.random.default_rng(0))
    assert sorted(even.data.ravel().tolist()) == [0.0] * 4 + [1.0] * 2  # exactly one-hot


# ------------------------------------------------------------------ edges


def test_empty_inputs():
    assert F.instance_norm(np.zeros((0, 3, 4))).shape == (0, 3, 4)
    mean, var = tg.zeros(3), tg.ones(3)
    F.instance_norm(np.zeros((2, 3, 0)), mean, var)  # nothing to move toward: unchanged
    assert (mean.data == 0).all() and (var.data == 1).all()
    assert F.local_response_norm(np.zeros((0, 3, 2)), 2).shape == (0, 3, 2)
    assert F.channel_shuffle(np.zeros((0, 4, 2)), 2).shape == (0, 4, 2)
    assert F.bilinear(np.zeros((0, 4)), np.zeros((0, 2)), WB, BB).shape == (0, 5)
    for rows in (np.zeros((0, 3)), np.zeros((1, 3))):
        assert F.pdist(rows).shape == (0,)
    for p in (2.0, float("inf")):  # rows of no features: distances 0 (PyTorch's)
        np.testing.assert_array_equal(F.pdist(np.zeros((3, 0)), p).data, np.zeros(3))
    table = leaf(TABLE)
    for mode in ("sum", "mean", "max"):
        out = F.embedding_bag(np.array([], dtype=np.int64), table, np.array([0, 0]),
                              mode=mode)
        np.testing.assert_array_equal(out.data, np.zeros((2, 3)))
        out.sum().backward()  # (in the graph: gradient zero)
        assert (table.grad.data == 0).all()
        assert F.embedding_bag(np.zeros((2, 0), np.int64), table, mode=mode).shape == (2, 3)
    assert F.embedding_bag(np.array([1]), TABLE, np.array([], dtype=np.int64)).shape == (0, 3)
    assert F.gumbel_softmax(tg.zeros(()), generator=np.random.default_rng(0)).item() == 1.0
    assert F.gumbel_softmax(np.zeros((0, 3)), hard=True).shape == (0, 3)


def test_zero_distances_and_constant_channels_have_finite_gradients():
    rows = leaf(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]]))
    for p in (0.5, 1.0, 2.0, 3.0, float("inf")):
        gradient = tg.autograd.grad(F.pdist(rows, p).sum(), [rows])[0]
        assert np.isfinite(gradient.data).all()
    constant = leaf(np.ones((1, 2, 3)))
    out = F.instance_norm(constant)
    assert (out.data == 0).all()
    out.sum().backward()
    assert np.isfinite(constant.grad.data).all()


def test_float32_is_kept():
    x32, table32 = SEQ.astype(np.float32), TABLE.astype(np.float32)
    outputs = [F.instance_norm(x32), F.local_response_norm(x32, 2), F.pdist(x32[0]),
               F.channel_shuffle(x32, 3), F.alpha_dropout(x32, 0.5, True),
               F.feature_alpha_dropout(x32, 0.5, True), F.rrelu(x32, training=True),
               F.dropout3d(x32[None], 0.5), F.gumbel_softmax(x32, hard=True),
               F.bilinear(x32[..., :4], x32[..., :2], WB.astype(np.float32)),
               F.embedding_bag(BAG, table32, OFFSETS, mode="max"),
               F.embedding_bag(BAG, table32, OFFSETS),
               nn.InstanceNorm1d(3, dtype=np.float32, affine=True)(x32),
               nn.Bilinear(5, 5, 2, dtype=np.float32)(x32, x32),
               nn.EmbeddingBag(6, 3, dtype=np.float32)(BAG, OFFSETS)]
    assert [out.dtype for out in outputs] == [np.float32] * len(outputs)
    x = Tensor(x32.copy())
    assert F.elu_(x).dtype == np.float32


def test_made_tensors_are_named_for_diagrams_and_nothing_returned_is():
    x = Tensor(IMG, requires_grad=True, name="x")
    table = Tensor(TABLE, requires_grad=True, name="table")
    for out, inputs in ((F.local_response_norm(x, 3), {"x"}),
                        (F.alpha_dropout(x, 0.5, True), {"x"}),
                        (F.rrelu(x, training=True), {"x"}),
                        (F.gumbel_softmax(x, hard=True), {"x"}),
                        (F.pdist(x[0, 0]), {"x"}),
                        (F.embedding_bag(BAG, table, OFFSETS), {"table"}),
                        (F.embedding_bag(BAG, table, OFFSETS, mode="max"), {"table"})):
        leaves = {t.name for t in toposort(out, every=True) if t.is_leaf and t.size > 1}
        assert None not in leaves and inputs <= leaves  # (one number: folded in diagrams)
        assert out.name is None


def test_embedding_bag_layer_starts_padding_row_at_zero_and_takes_a_weight():
    bags = nn.EmbeddingBag(5, 3, padding_idx=-2, seed=0)
    assert bags.padding_idx == 3 and (bags.weight.data[3] == 0).all()
    assert (bags.weight.data[:3] != 0).all()
    table32 = TABLE.astype(np.float32)
    given = nn.EmbeddingBag(6, 3, _weight=table32, mode="sum")
    assert given.weight.dtype == np.float32
    np.testing.assert_array_equal(given(BAG[:2][None]).data[0], table32[1] + table32[2])


def test_instance_norm_warns_but_normalises_when_channels_differ_without_affine():
    with pytest.warns(UserWarning, match=r"InstanceNorm1d\(4.*has 3 channels.*unused"):
        out = nn.InstanceNorm1d(4)(SEQ)
    np.testing.assert_allclose(out.data, F.instance_norm(SEQ).data)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.instance_norm(SEQ[:, :, :1]), ValueError,
     r"instance_norm: expected more than 1 spatial element when training, got input of "
     r"shape \(2, 3, 1\)"),
    (lambda: F.instance_norm(SEQ, use_input_stats=False), RuntimeError,
     r"instance_norm: use_input_stats=False .* running_mean and running_var"),
    (lambda: F.instance_norm(SEQ, weight=np.ones(4)), RuntimeError,
     r"instance_norm: weight of shape \(4,\) does not fit input of shape \(2, 3, 5\); "
     r"expected \(3,\)"),
    (lambda: F.instance_norm(SEQ, np.zeros(3), tg.ones(3)), TypeError,
     r"instance_norm: running_mean must be a Tensor"),
    (lambda: nn.InstanceNorm1d(3)(IMG), ValueError,
     r"InstanceNorm1d\(3.*expected input of shape \(batch, C, length\) or \(C, length\), "
     r"got shape \(2, 4, 3, 2\)"),
    (lambda: nn.InstanceNorm2d(3, affine=True)(IMG), ValueError,
     r"InstanceNorm2d\(3.*axis 1 has 4 channels .*num_features=3"),
    (lambda: nn.InstanceNorm1d(3, affine=1), TypeError,
     r"InstanceNorm1d: affine must be True or False, got int 1"),
    (lambda: nn.BatchNorm3d(3)(IMG), ValueError,
     r"BatchNorm3d\(3.*expected input of shape \(batch, C, depth, height, width\)"),
    (lambda: F.local_response_norm(SEQ[0], 2), ValueError,
     r"local_response_norm: expected input of shape \(batch, C, \.\.\.\) .* got shape \(3, 5\)"),
    (lambda: F.local_response_norm(SEQ, 0), RuntimeError,
     r"local_response_norm: size .* at least 1, got 0"),
    (lambda: F.local_response_norm(SEQ, 2.5), TypeError,
     r"local_response_norm: size must be an int, got float 2.5"),
    (lambda: nn.LocalResponseNorm(-1), ValueError,  # (0 is built, as PyTorch's)
     r"LocalResponseNorm: size must be a non-negative int, got -1"),
    (lambda: F.bilinear(X1, X2[0], WB), RuntimeError,
     r"bilinear: input1 of shape \(2, 3, 4\) and input2 of shape \(3, 2\) must have as many "
     r"dimensions"),
    (lambda: F.bilinear(X1, X2[:1], WB), RuntimeError,
     r"bilinear: the batch axes of input1 \(2, 3, 4\) and input2 \(1, 3, 2\)"),
    (lambda: F.bilinear(X2, X2, WB), RuntimeError,
     r"bilinear: input1 has 2 features \(shape \(2, 3, 2\)\), but the weight of shape "
     r"\(5, 4, 2\) takes 4"),
    (lambda: F.bilinear(X1, X2, WB, BB[:2]), RuntimeError,
     r"bilinear: bias of shape \(2,\) does not fit a weight of shape \(5, 4, 2\); "
     r"expected \(5,\)"),
    (lambda: F.bilinear(X1, X2, WB[0]), RuntimeError, r"bilinear: weight must be 3-D"),
    (lambda: nn.Bilinear(4, 2, 3)(X1, X1), RuntimeError,
     r"bilinear: input2 has 4 features .* takes 2"),
    (lambda: F.channel_shuffle(IMG, 3), RuntimeError,
     r"channel_shuffle: the number of channels must be divisible by groups; got 4 channels "
     r"\(input shape \(2, 4, 3, 2\)\) and 3 groups"),
    (lambda: F.channel_shuffle(IMG, 0), RuntimeError,
     r"channel_shuffle: groups .* must be positive, got 0"),
    (lambda: F.channel_shuffle(IMG[0, 0], 1), RuntimeError,
     r"channel_shuffle: expected input .* more than 2 dimensions, got shape \(3, 2\)"),
    (lambda: F.channel_shuffle(IMG, 2.0), TypeError, r"channel_shuffle: groups must be an int"),
    (lambda: nn.ChannelShuffle(-1), ValueError,  # (0 is built, as PyTorch's)
     r"ChannelShuffle: groups must be a non-negative int, got -1"),
    (lambda: nn.Softmax2d()(SEQ[0]), ValueError,
     r"Softmax2d\(\): expected input of shape \(batch, C, height, width\) or \(C, height, "
     r"width\), got shape \(3, 5\)"),
    (lambda: F.pdist(SEQ), RuntimeError,
     r"pdist: expected input of shape \(N, M\), .* got shape \(2, 3, 5\)"),
    (lambda: F.pdist(SEQ[0], -1), RuntimeError, r"pdist: p must be >= 0, got -1.0"),
    (lambda: F.pdist(tg.as_tensor(np.ones((2, 2), int))), RuntimeError,
     r"pdist: expected a floating-point input, got dtype int64"),
    (lambda: F.embedding_bag(BAG, TABLE), ValueError,
     r"embedding_bag: a 1-D input needs offsets"),
    (lambda: F.embedding_bag(BAG.reshape(2, 4), TABLE, OFFSETS), ValueError,
     r"embedding_bag: a 2-D input \(shape \(2, 4\)\) .* offsets must be None"),
    (lambda: F.embedding_bag(BAG.reshape(2, 2, 2), TABLE), ValueError,
     r"embedding_bag: input must be 1-D .* or 2-D .*, got shape \(2, 2, 2\)"),
    (lambda: F.embedding_bag(BAG, TABLE[0], OFFSETS), ValueError,
     r"embedding_bag: weight must be 2-D"),
    (lambda: F.embedding_bag(BAG, tg.as_tensor(np.ones((6, 3), int)), OFFSETS), RuntimeError,
     r"embedding_bag: weight must be floating point, got dtype int64"),
    (lambda: F.embedding_bag(BAG, TABLE, OFFSETS, mode="prod"), ValueError,
     r"embedding_bag: mode must be 'sum', 'mean' or 'max', got 'prod'"),
    (lambda: F.embedding_bag(BAG * 1.0, TABLE, OFFSETS), RuntimeError,
     r"embedding_bag: the input \(indices\) must be integers .* got dtype float64"),
    (lambda: F.embedding_bag(BAG + 3, TABLE, OFFSETS), RuntimeError,
     r"embedding_bag: the input takes value 7, not a row of the weight: indices must lie in "
     r"\[0, 6\)"),
    (lambda: F.embedding_bag(BAG, TABLE, np.array([1, 2])), RuntimeError,
     r"embedding_bag: offsets\[0\] must be 0 .* got 1"),
    (lambda: F.embedding_bag(BAG, TABLE, np.array([0, 3, 2])), RuntimeError,
     r"embedding_bag: offsets must not decrease .* got \[0, 3, 2\]"),
    (lambda: F.embedding_bag(BAG, TABLE, np.array([0, 9])), RuntimeError,
     r"embedding_bag: offsets\[-1\] is 9, beyond the input's length 8"),
    (lambda: F.embedding_bag(BAG, TABLE, np.array([[0, 2]])), ValueError,
     r"embedding_bag: offsets must be 1-D"),
    (lambda: F.embedding_bag(BAG, TABLE, OFFSETS, include_last_offset=True), ValueError,
     r"embedding_bag: with include_last_offset=True the last offset is where the last bag "
     r"ends, the input's length 8; got 5"),
    (lambda: F.embedding_bag(BAG, TABLE, OFFSETS, per_sample_weights=SAMPLE_WEIGHTS),
     NotImplementedError, r"embedding_bag: per_sample_weights is supported only for "
                          r"mode='sum' .* got mode='mean'"),
    (lambda: F.embedding_bag(BAG, TABLE, OFFSETS, mode="sum",
                             per_sample_weights=SAMPLE_WEIGHTS[1:]), ValueError,
     r"embedding_bag: per_sample_weights of shape \(7,\) must have the input's shape \(8,\)"),
    (lambda: F.embedding_bag(BAG, Tensor(TABLE), OFFSETS, mode="sum",
                             per_sample_weights=Tensor(SAMPLE_WEIGHTS, dtype=np.float32)),
     RuntimeError, r"embedding_bag: per_sample_weights of dtype float32 must have the "
                   r"weight's dtype float64"),
    (lambda: F.embedding_bag(BAG, TABLE, OFFSETS, padding_idx=6), RuntimeError,
     r"embedding_bag: padding_idx must be a row of the weight, -6 through 5, got 6"),
    (lambda: F.embedding_bag(BAG, TABLE, OFFSETS, max_norm=0.0), ValueError,
     r"embedding_bag: max_norm must be positive \(the rows' largest norm\) or None, got 0.0"),
    (lambda: F.embedding_bag(BAG, TABLE, OFFSETS, sparse=True), ValueError,
     r"embedding_bag: sparse=True is not supported"),
    (lambda: nn.EmbeddingBag(5, 3, mode="max", scale_grad_by_freq=True)(BAG, OFFSETS),
     ValueError, r"embedding_bag: mode='max' does not support scaling the gradient by the "
     r"frequency"),
    (lambda: nn.EmbeddingBag(5, 3, mode="min"), ValueError,
     r"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got 'min'"),
    (lambda: nn.EmbeddingBag(5, 3, padding_idx=5), ValueError,
     r"EmbeddingBag: padding_idx 5 is not a row of 5"),
    (lambda: nn.EmbeddingBag(5, 3, _weight=TABLE), ValueError,
     r"EmbeddingBag: _weight of shape \(6, 3\) must have shape .* \(5, 3\)"),
    (lambda: F.dropout3d(SEQ, 0.5), ValueError,
     r"dropout3d: expected input of shape \(C, depth, height, width\) or \(batch, C, depth, "
     r"height, width\), got shape \(2, 3, 5\)"),
    (lambda: F.alpha_dropout(SEQ, 1.5, True), ValueError,
     r"alpha_dropout: p is the probability .* in \[0, 1\]; got 1.5"),
    (lambda: F.feature_alpha_dropout(SEQ[0, 0], 0.5, True), RuntimeError,
     r"feature_alpha_dropout: .* at least 2 dimensions, got input of shape \(5,\)"),
    (lambda: nn.AlphaDropout(0.5, 1), TypeError, r"AlphaDropout: inplace must be True or "
                                                 r"False"),
    (lambda: F.rrelu(SEQ, 0.5, 0.2, True), RuntimeError,
     r"rrelu: lower 0.5 is above upper 0.2; .* give lower <= upper"),
    (lambda: nn.RReLU(0.5, 0.2), RuntimeError, r"RReLU: lower 0.5 is above upper 0.2"),
    (lambda: F.rrelu(SEQ, training="yes"), TypeError,
     r"rrelu: training must be True or False, got str 'yes'"),
    (lambda: F.gumbel_softmax(SEQ, 0), ValueError, r"gumbel_softmax: tau must be > 0, got 0"),
    (lambda: F.gumbel_softmax(SEQ, dim=3), IndexError,
     r"gumbel_softmax: dim 3 is out of range for an input with 3 dimension\(s\)"),
    (lambda: F.gumbel_softmax(tg.as_tensor([1, 2])), TypeError,
     r"gumbel_softmax: logits must be floating point, got dtype int64"),
    (lambda: F.relu_([1.0, -2.0]), TypeError,
     r"relu_: the input must be a Tensor \(it is changed in place\), got list"),
    (lambda: F.elu_(leaf(SEQ)), RuntimeError,
     r"elu_: writing into a leaf tensor that requires a gradient would not be recorded"),
    (lambda: F.selu_((leaf(SEQ) * 2)[:1].expand(3, 3, 5)), RuntimeError,  # (torch's too)
     r"selu_: this tensor is a view of another tensor of the graph .* x = F.selu\(x, "
     r"\.\.\.\)"),
    (lambda: F.elu_(tg.as_tensor([1, -2])), TypeError,
     r"elu_: its values have dtype float64, which the input's dtype int64 cannot hold"),
    (lambda: F.hardtanh_(Tensor(SEQ.copy()), 1.0, -1.0), ValueError,
     r"hardtanh: min_val 1.0 is above max_val -1.0"),
])
def test_bad_input_is_refused_in_one_line(call, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (InstanceNorm's mismatch warning: tested above)
        with pytest.raises(error, match=message) as caught:
            call()
    assert "\n" not in str(caught.value)


def test_in_place_activations_write_a_leaf_under_no_grad_and_int_values_that_fit():
    weight = leaf(SEQ)
    with tg.no_grad():
        assert F.leaky_relu_(weight, 0.3) is weight
    np.testing.assert_allclose(weight.data, np.where(SEQ > 0, SEQ, 0.3 * SEQ))
    ints = tg.as_tensor([3, -2, 0])
    assert F.relu_(ints) is ints and ints.data.tolist() == [3, 0, 0]
    ints = tg.as_tensor([3, -2, 0])
    assert F.hardtanh_(ints, -1, 1).data.tolist() == [1, -1, 0]


# ------------------------------------------------------------------ found in the audit


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # (inf / inf: NaN)
def test_local_response_norm_keeps_a_nan_or_inf_in_its_window():
    """A NaN or inf reaches only the channels whose window holds it (a 0/1 window matrix
    times NaN spread it over every channel); values and gradients as PyTorch's."""
    x = IMG.copy()
    x[0, 0, 0, 0], x[1, 3, 1, 1] = np.nan, np.inf
    out = F.local_response_norm(x, 2).data  # channel c's window: c - 1 and c
    assert np.isfinite(out[0, 2:, 0, 0]).all() and np.isnan(out[0, :2, 0, 0]).all()
    assert np.isfinite(out[1, :3, 1, 1]).all()
    torch = pytest.importorskip("torch")
    for size in (1, 2, 3, 6):
        ours, theirs = leaf(x), torch.tensor(x, requires_grad=True)
        out = F.local_response_norm(ours, size, 0.3, 0.75, 1.2)
        expected = torch.nn.functional.local_response_norm(theirs, size, 0.3, 0.75, 1.2)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10)
        seed = np.random.default_rng(0).standard_normal(out.shape)
        (out * seed).sum().backward()
        (expected * torch.tensor(seed)).sum().backward()
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("options, shown", [
    ({"norm_type": 3.0}, "EmbeddingBag(6, 3, norm_type=3.0, mode='mean')"),
    ({"norm_type": 1, "mode": "sum", "padding_idx": 0},
     "EmbeddingBag(6, 3, norm_type=1, mode='sum', padding_idx=0)"),
    ({}, "EmbeddingBag(6, 3, mode='mean')")])
def test_embedding_bag_repr_shows_norm_type_as_pytorchs(options, shown):
    assert repr(nn.EmbeddingBag(6, 3, **options)) == shown
    torch = pytest.importorskip("torch")
    assert repr(torch.nn.EmbeddingBag(6, 3, **options)) == shown


@pytest.mark.parametrize("shape", [(4,), (), (0,)])
def test_feature_alpha_dropout_refuses_few_axes_only_where_it_draws(shape):
    """As PyTorch's: the input as it is in eval mode, at p = 0 and when empty, zeros at
    p = 1; the 2-axis rule applies only to a draw."""
    x = np.random.default_rng(4).standard_normal(shape)
    for p, training in ((0.5, False), (0.0, True)):
        np.testing.assert_array_equal(F.feature_alpha_dropout(x, p, training).data, x)
    np.testing.assert_array_equal(F.feature_alpha_dropout(x, 1.0, True).data, 0 * x)
    np.testing.assert_array_equal(nn.FeatureAlphaDropout(0.5).eval()(x).data, x)
    if x.size:
        with pytest.raises(RuntimeError, match="at least 2 dimensions"):
            F.feature_alpha_dropout(x, 0.5, True)
    torch = pytest.importorskip("torch")
    for p, training in ((0.5, False), (0.0, True), (1.0, True)):
        expected = torch.nn.functional.feature_alpha_dropout(torch.tensor(x), p, training)
        np.testing.assert_array_equal(F.feature_alpha_dropout(x, p, training).data,
                                      expected.numpy())


def test_instance_norm_centres_once_and_eval_mode_is_batch_norms():
    x = Tensor(SEQ, requires_grad=True)
    ops = [t._ctx.name for t in toposort(F.instance_norm(x, eps=0.1), every=True) if t._ctx]
    assert ops.count("sub") == 1  # (x - mean, used by the variance and the output)
    mean, var = Tensor(B3), Tensor(W3)
    np.testing.assert_array_equal(
        F.instance_norm(SEQ, mean, var, W3, B3, False, eps=0.1).data,
        F.batch_norm(SEQ, mean, var, W3, B3, False, eps=0.1).data)


def test_in_place_activations_follow_the_tensor_methods_rules():
    """F.relu_ and t.relu_() alike: a graph that saved the tensor refuses to backward
    after the write (the version counter), a leaf that needs a gradient is refused."""
    for write in (lambda t: F.relu_(t), lambda t: t.relu_(), lambda t: F.elu_(t, 0.5)):
        weight, x = leaf(W3), Tensor(np.array([-1.0, 0.5, 2.0]))
        saved = (weight * x).sum()
        assert write(x) is x
        with pytest.raises(RuntimeError, match="changed in place after the op used it"):
            saved.backward()
        with pytest.raises(RuntimeError, match="leaf tensor that requires a gradient"):
            write(leaf(W3))


def test_instance_norm_of_a_constant_channel_without_eps_is_zero_as_pytorchs():
    x = SEQ.copy()
    x[1, 2] = 3.0  # one constant instance: variance 0, and eps 0
    ours = leaf(x)
    out = F.instance_norm(ours, weight=W3, bias=B3, eps=0)
    np.testing.assert_array_equal(out.data[1, 2], B3[2])  # (0 * weight + bias)
    weights = np.random.default_rng(1).standard_normal(x.shape)
    (out * weights).sum().backward()
    assert np.isfinite(ours.grad.data).all() and not ours.grad.data[1, 2].any()
    np.testing.assert_allclose(out.data[0], F.instance_norm(x[:1], eps=0).data[0] * W3[:, None]
                               + B3[:, None])
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.instance_norm(theirs, weight=torch.tensor(W3),
                                                 bias=torch.tensor(B3), eps=0)
    (expected * torch.tensor(weights)).sum().backward()
    agree(out, expected)
    agree(ours.grad, theirs.grad)

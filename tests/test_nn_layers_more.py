"""Tests of the nn layers added beside the first ones, and their functions: channel dropout
(Dropout1d/2d), the adaptive pools, Conv1d and the 1-d pools, Unflatten and the constant
paddings, GroupNorm and RMSNorm, Threshold/Hardshrink/Softshrink, CosineSimilarity and
PairwiseDistance, RNNCell and RNN.

Each case is written once for both libraries (`make(nn, F)`), built in tinygrad_gd and in
PyTorch with PyTorch's weights copied into ours; the outputs and the gradients of the
inputs and of every parameter must agree, and gradcheck checks ours in float64."""
from __future__ import annotations

import html
import re
import shutil
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
SEQ = RNG.standard_normal((2, 3, 7))  # (batch, channels, length)
IMG = RNG.standard_normal((2, 4, 5, 7))  # (batch, channels, height, width)
TIES = np.array([[[[1.0, 1.0, 0.0], [1.0, -2.0, 3.0], [3.0, 0.5, 3.0]]]])  # tied maxima
W1, B1 = RNG.standard_normal((5, 3, 3)), RNG.standard_normal(5)
GW, GB = RNG.standard_normal(4), RNG.standard_normal(4)
X, Y = RNG.standard_normal((4, 6)), RNG.standard_normal((4, 6))

# name: (make(nn, F) -> the callable, the input arrays); the same code in both libraries
CASES = {
    "AdaptiveAvgPool2d divisible": (lambda nn, F: nn.AdaptiveAvgPool2d((5, 1)), (IMG,)),
    "AdaptiveAvgPool2d (3, 2)": (lambda nn, F: nn.AdaptiveAvgPool2d((3, 2)), (IMG,)),
    "AdaptiveAvgPool2d (2, None)": (lambda nn, F: nn.AdaptiveAvgPool2d((2, None)), (IMG,)),
    "AdaptiveAvgPool2d larger": (lambda nn, F: nn.AdaptiveAvgPool2d(6), (IMG,)),
    "adaptive_avg_pool2d unbatched": (lambda nn, F: lambda x: F.adaptive_avg_pool2d(x, 3),
                                      (IMG[0],)),
    "AdaptiveMaxPool2d (3, 2)": (lambda nn, F: nn.AdaptiveMaxPool2d((3, 2)), (IMG,)),
    "AdaptiveMaxPool2d (None, 4)": (lambda nn, F: nn.AdaptiveMaxPool2d((None, 4)), (IMG,)),
    "AdaptiveMaxPool2d divisible": (lambda nn, F: nn.AdaptiveMaxPool2d(1), (IMG,)),
    "adaptive_max_pool2d unbatched": (lambda nn, F: lambda x: F.adaptive_max_pool2d(x, (2, 3)),
                                      (IMG[1],)),
    "Conv1d": (lambda nn, F: nn.Conv1d(3, 5, 3), (SEQ,)),
    "Conv1d stride padding": (lambda nn, F: nn.Conv1d(3, 2, 4, 2, 1), (SEQ,)),
    "Conv1d same even kernel": (lambda nn, F: nn.Conv1d(3, 2, 4, padding="same", bias=False),
                                (SEQ,)),
    "conv1d": (lambda nn, F: lambda x, w, b: F.conv1d(x, w, b, padding=1), (SEQ, W1, B1)),
    "MaxPool1d": (lambda nn, F: nn.MaxPool1d(2), (SEQ,)),
    "MaxPool1d stride padding": (lambda nn, F: nn.MaxPool1d(3, 2, 1), (SEQ,)),
    "AvgPool1d": (lambda nn, F: nn.AvgPool1d(3), (SEQ,)),
    "avg_pool1d padding": (lambda nn, F: lambda x: F.avg_pool1d(x, 3, 1, 1), (SEQ,)),
    "Unflatten": (lambda nn, F: nn.Unflatten(1, (2, 2)), (X[:, :4],)),
    "Unflatten -1": (lambda nn, F: nn.Unflatten(-1, (3, -1)), (X,)),
    "ZeroPad2d": (lambda nn, F: nn.ZeroPad2d((1, 0, 2, 3)), (IMG,)),
    "ConstantPad1d": (lambda nn, F: nn.ConstantPad1d(2, 3.5), (SEQ,)),
    "ConstantPad2d": (lambda nn, F: nn.ConstantPad2d((0, 1, 1, 0), -1.0), (IMG[0],)),
    "GroupNorm": (lambda nn, F: nn.GroupNorm(2, 4), (IMG,)),
    "GroupNorm one group no affine": (lambda nn, F: nn.GroupNorm(1, 4, affine=False), (IMG,)),
    "GroupNorm per channel 2-d": (lambda nn, F: nn.GroupNorm(6, 6, eps=0.1), (X,)),
    "group_norm": (lambda nn, F: lambda x, w, b: F.group_norm(x, 2, w, b), (IMG, GW, GB)),
    "RMSNorm": (lambda nn, F: nn.RMSNorm(7), (IMG,)),
    "RMSNorm two axes eps": (lambda nn, F: nn.RMSNorm([5, 7], eps=0.5), (IMG,)),
    "rms_norm": (lambda nn, F: lambda x, w: F.rms_norm(x, (4,), w), (X[:, :4], GW)),
    "Threshold": (lambda nn, F: nn.Threshold(0.1, 20.0), (X,)),
    "threshold": (lambda nn, F: lambda x: F.threshold(x, -0.5, -2.0), (X,)),
    "Hardshrink": (lambda nn, F: nn.Hardshrink(), (X,)),
    "Softshrink": (lambda nn, F: nn.Softshrink(0.3), (X,)),
    "CosineSimilarity": (lambda nn, F: nn.CosineSimilarity(dim=0), (X, Y)),
    "PairwiseDistance": (lambda nn, F: nn.PairwiseDistance(), (X, Y)),
    "PairwiseDistance p=1 keepdim": (lambda nn, F: nn.PairwiseDistance(1.0, keepdim=True),
                                     (X, Y)),
    "pairwise_distance p=3 broadcast": (lambda nn, F: lambda a, b: F.pairwise_distance(
        a, b, 3.0), (X, Y[0])),
    "pairwise_distance inf": (lambda nn, F: lambda a, b: F.pairwise_distance(a, b, np.inf),
                              (X, Y)),
    "RNNCell": (lambda nn, F: nn.RNNCell(6, 3), (X, Y[:, :3])),
    "RNNCell relu unbatched": (lambda nn, F: nn.RNNCell(6, 2, nonlinearity="relu"), (X[0],)),
    "RNN": (lambda nn, F: _picked(nn, nn.RNN(3, 4), 0), (SEQ.transpose(2, 0, 1),)),
    "RNN state": (lambda nn, F: _picked(nn, nn.RNN(3, 2, 2, bias=False), 1),
                  (SEQ.transpose(2, 0, 1), RNG.standard_normal((2, 2, 2)))),
    "RNN relu batch_first unbatched": (lambda nn, F: _picked(nn, nn.RNN(
        7, 2, 2, "relu", batch_first=True), 0), (SEQ[0],)),
    "RNN batch_first": (lambda nn, F: _picked(nn, nn.RNN(7, 3, batch_first=True), 0), (SEQ,)),
}


def _picked(nn, rnn, index):
    """A Module of `nn`'s library around an RNN: its output (index 0) or last states (1)."""
    class Picked(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnn

        def forward(self, *inputs):
            return self.rnn(*inputs)[index]
    return Picked()


def _both(case):
    """(ours, torch's) callables of the case, torch's weights copied into ours."""
    make, _ = CASES[case]
    ours, theirs = make(nn, F), make(torch.nn, torch.nn.functional)
    if isinstance(ours, nn.Module):
        theirs.double()
        state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
        assert list(state) == list(ours.state_dict())  # PyTorch's names, in its order
        ours.load_state_dict({k: Tensor(v) for k, v in state.items()})
    return ours, theirs


def _agree_with_pytorch(ours, theirs, arrays, seed):
    """ours(*arrays) and theirs(*arrays) agree (rtol 1e-10), and so do the gradients of
    (out * weights).sum(), weights drawn with `seed`: of the inputs, and of each named
    parameter when ours is a Module. Returns (out, expected)."""
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    references = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*leaves), theirs(*references)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for leaf, reference in zip(leaves, references):
        np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)
    if isinstance(ours, nn.Module):
        mine = dict(ours.named_parameters())
        for name, parameter in theirs.named_parameters():
            np.testing.assert_allclose(mine[name].grad.data, parameter.grad.numpy(),
                                       rtol=1e-9, atol=1e-12, err_msg=name)
    return out, expected


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # (PyTorch's, about its speed)
@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_gradients_agree_with_pytorch(case):
    ours, theirs = _both(case)
    arrays = CASES[case][1]
    _agree_with_pytorch(ours, theirs, arrays, seed=1)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradcheck_in_float64(case):
    ours, _ = _both(case)
    leaves = [Tensor(a, requires_grad=True) for a in CASES[case][1]]
    assert tg.gradcheck(ours, leaves)
    if type(ours).__name__ in ("Conv1d", "GroupNorm", "RMSNorm", "RNNCell") and any(
            True for _ in ours.parameters()):
        names = [name for name, _ in ours.named_parameters()]

        def through_parameters(*values):
            with_parameters = {**dict(ours.named_parameters()), **dict(zip(names, values))}
            return torch_free_call(ours, with_parameters, leaves)
        assert tg.gradcheck(through_parameters, [Tensor(p.data, requires_grad=True)
                                                 for p in ours.parameters()])


def torch_free_call(module, parameters, leaves):
    """The module's function of its parameters: the layer's F function with these values."""
    kind = type(module).__name__
    x = leaves[0]
    if kind == "Conv1d":
        padding = module.padding if isinstance(module.padding, str) else module.padding[0]
        return F.conv1d(x, parameters["weight"], parameters.get("bias"), module.stride[0],
                        padding)
    if kind == "GroupNorm":
        return F.group_norm(x, module.num_groups, parameters["weight"], parameters["bias"],
                            module.eps)
    if kind == "RNNCell":
        h = leaves[1] if len(leaves) > 1 else np.zeros(module.hidden_size)
        step = F.linear(x, parameters["weight_ih"], parameters["bias_ih"]) + F.linear(
            h, parameters["weight_hh"], parameters["bias_hh"])
        return F.tanh(step) if module.nonlinearity == "tanh" else F.relu(step)
    assert kind == "RMSNorm", kind
    return F.rms_norm(x, module.normalized_shape, parameters["weight"], module.eps)


@pytest.mark.parametrize("case", ["Conv1d", "AdaptiveAvgPool2d (3, 2)",
                                  "AdaptiveMaxPool2d (3, 2)", "MaxPool1d", "AvgPool1d",
                                  "GroupNorm", "RMSNorm", "Softshrink", "Threshold",
                                  "ZeroPad2d", "PairwiseDistance", "RNN", "RNNCell"])
def test_float32_is_kept(case):
    ours, _ = _both(case)
    if isinstance(ours, nn.Module):
        ours.float()
    leaves = [Tensor(a.astype(np.float32), requires_grad=True) for a in CASES[case][1]]
    out = ours(*leaves)
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(leaf.grad.dtype == np.float32 for leaf in leaves)


# ------------------------------------------------------------------ edges


def test_max_pools_give_the_gradient_of_tied_maxima_to_pytorchs_index():
    x, tx = Tensor(TIES, requires_grad=True), torch.tensor(TIES, requires_grad=True)
    F.adaptive_max_pool2d(x, (2, 2)).sum().backward()  # overlapping windows of 2 x 2
    expected = torch.nn.functional.adaptive_max_pool2d(tx, (2, 2))
    expected.sum().backward()
    np.testing.assert_array_equal(F.adaptive_max_pool2d(TIES, (2, 2)).data,
                                  expected.detach().numpy())
    # each window's 1 goes to the first of its tied maxima, as PyTorch's index names it
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    assert x.grad.data[0, 0, 0, 0] == 1.0  # the first window's first 1
    apart = Tensor(TIES + np.arange(9.0).reshape(3, 3) / 10, requires_grad=True)  # no ties
    assert tg.gradcheck(lambda t: F.adaptive_max_pool2d(t, 2), [apart])


def test_adaptive_pools_of_inf_and_empty_batches():
    x = IMG.copy()
    x[0, 0, 0, 0] = np.inf
    ours = F.adaptive_max_pool2d(x, (3, 2)).data
    np.testing.assert_array_equal(
        ours, torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), (3, 2)).numpy())
    empty = Tensor(np.zeros((0, 4, 5, 7)), requires_grad=True)
    out = F.adaptive_avg_pool2d(empty, (3, 2))
    assert out.shape == (0, 4, 3, 2)
    out.sum().backward()
    assert empty.grad.shape == (0, 4, 5, 7)


def test_shrinks_and_threshold_have_no_gradient_at_their_edges():
    at = np.array([-0.5, 0.5, 0.1, 0.0, 1.0])
    for name, fn in (("hardshrink", F.hardshrink), ("softshrink", F.softshrink)):
        x = Tensor(at, requires_grad=True)
        fn(x).sum().backward()
        reference = torch.tensor(at, requires_grad=True)
        getattr(torch.nn.functional, name)(reference).sum().backward()
        np.testing.assert_array_equal(x.grad.data, reference.grad.numpy())
    x = Tensor(at, requires_grad=True)
    F.threshold(x, 0.1, 7.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 0, 0, 1])


def test_rms_norm_eps_none_is_the_dtype_s_epsilon():
    tiny = np.full((2, 3), 1e-5)
    for dtype in (np.float64, np.float32):
        ours = F.rms_norm(tiny.astype(dtype), 3).data
        theirs = torch.nn.functional.rms_norm(torch.tensor(tiny.astype(dtype)), (3,))
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6)
    assert nn.RMSNorm(3, elementwise_affine=False)(tiny.astype(np.float32)).dtype == np.float32


def test_pairwise_distance_of_equal_vectors_has_torch_s_gradient():
    a = Tensor(X, requires_grad=True)
    F.pairwise_distance(a, X, eps=0.0).sum().backward()
    reference = torch.tensor(X, requires_grad=True)
    torch.nn.functional.pairwise_distance(reference, torch.tensor(X), eps=0.0).sum().backward()
    np.testing.assert_array_equal(a.grad.data, reference.grad.numpy())
    np.testing.assert_array_equal(F.pairwise_distance(X, Y, 0.0).data,
                                  torch.nn.functional.pairwise_distance(
                                      torch.tensor(X), torch.tensor(Y), 0.0).numpy())
    assert F.pairwise_distance(X[0], Y[0]).shape == ()


# ------------------------------------------------------------------ channel dropout


@pytest.mark.parametrize("layer, shape", [(nn.Dropout1d, (3, 4, 5)), (nn.Dropout1d, (4, 5)),
                                          (nn.Dropout2d, (3, 4, 5, 6)),
                                          (nn.Dropout2d, (3, 4, 5))])
def test_channel_dropout_zeroes_whole_channels_and_scales_the_rest(layer, shape):
    model = layer(0.4, seed=0)
    x = Tensor(np.ones(shape), requires_grad=True)
    out = model(x)
    channels = out.data.reshape(shape[:1 if len(shape) == 2 else 2] + (-1,))
    assert set(np.unique(channels)) <= {0.0, 1 / 0.6}
    assert (channels == channels[..., :1]).all()  # one draw per channel
    assert 0 < (channels[..., 0] == 0).sum() < channels[..., 0].size
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, out.data)  # the mask, scaled
    assert tg.gradcheck(lambda t: layer(0.5, seed=1)(t), [Tensor(np.ones(shape),
                                                                  requires_grad=True)])
    model.eval()
    assert model(x) is x or np.array_equal(model(x).data, x.data)


def test_channel_dropout_is_seeded_as_dropout_is():
    x = np.ones((4, 6, 3))
    first, second = nn.Dropout1d(seed=5), nn.Dropout1d(seed=5)
    masks = [first(x).data for _ in range(2)]
    assert np.array_equal(masks[0], second(x).data) and np.array_equal(masks[1], second(x).data)
    assert not np.array_equal(*masks)
    tg.manual_seed(7)
    a = F.dropout2d(np.ones((4, 6, 2, 2))).data
    tg.manual_seed(7)
    assert np.array_equal(a, nn.Dropout2d()(np.ones((4, 6, 2, 2))).data)
    generator = np.random.default_rng(2)
    assert np.array_equal(F.dropout1d(x, 0.5, generator=np.random.default_rng(2)).data,
                          F.dropout1d(x, 0.5, generator=generator).data)
    assert not F.dropout1d(x, 1.0).data.any()
    assert F.dropout2d(x, 0.9, False) is not None
    np.testing.assert_array_equal(F.dropout2d(x, 0.9, False).data, x)
    assert F.dropout1d(x.astype(np.float32), 0.5).dtype == np.float32


def test_dropout2d_reads_3d_input_as_pytorch_does():
    # PyTorch treats (N, C, L) as batched channels and warns; so does its mask's shape
    out = F.dropout2d(np.ones((8, 5, 3)), 0.5).data
    assert (out == out[..., :1]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.functional.dropout2d(torch.ones(8, 5, 3), 0.5).numpy()
    assert (theirs == theirs[..., :1]).all()


# ------------------------------------------------------------------ reprs and parameters


def test_reprs_and_parameter_names_are_pytorch_s():
    def shown(make):
        with warnings.catch_warnings():  # (PyTorch's, about dropout with one layer)
            warnings.simplefilter("ignore")
            return repr(make(nn)), repr(make(torch.nn))

    for make in (lambda m: m.Dropout1d(), lambda m: m.Dropout2d(0.2, True),
                 lambda m: m.AdaptiveAvgPool2d((2, None)), lambda m: m.AdaptiveMaxPool2d(3),
                 lambda m: m.Conv1d(2, 3, 3), lambda m: m.Conv1d(2, 3, 3, 2, 1, bias=False),
                 lambda m: m.Conv1d(2, 3, 4, padding="same"), lambda m: m.MaxPool1d(2),
                 lambda m: m.MaxPool1d(3, 1, 1), lambda m: m.AvgPool1d(2),
                 lambda m: m.AvgPool1d(3, 1, 1), lambda m: m.Unflatten(1, (2, 5)),
                 lambda m: m.ZeroPad2d(1), lambda m: m.ZeroPad2d((1, 2, 3, 4)),
                 lambda m: m.ConstantPad1d(2, 3.5), lambda m: m.ConstantPad2d((1, 2, 3, 4), 0),
                 lambda m: m.GroupNorm(2, 4), lambda m: m.GroupNorm(2, 4, bias=False),
                 lambda m: m.GroupNorm(1, 2, 0.1, False), lambda m: m.RMSNorm(4),
                 lambda m: m.RMSNorm([2, 3], eps=1e-3, elementwise_affine=False),
                 lambda m: m.Threshold(0.1, 20), lambda m: m.Threshold(0.1, 20, True),
                 lambda m: m.Hardshrink(), lambda m: m.Softshrink(0.3),
                 lambda m: m.CosineSimilarity(), lambda m: m.PairwiseDistance(),
                 lambda m: m.RNNCell(3, 4), lambda m: m.RNNCell(3, 4, False, "relu"),
                 lambda m: m.RNN(3, 4, 2, batch_first=True, dropout=0.5),
                 lambda m: m.RNN(3, 4, nonlinearity="relu", bias=False),
                 lambda m: m.BatchNorm1d(3), lambda m: m.BatchNorm1d(3, bias=False),
                 lambda m: m.BatchNorm2d(2, affine=False), lambda m: m.LayerNorm((2, 3)),
                 lambda m: m.BatchNorm1d(3, 1e-3, 0.2, True, False, None, None, bias=False),
                 lambda m: m.LayerNorm(3, 1e-3, True, False, None, None)):
        ours, theirs = shown(make)
        assert ours == theirs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert list(make(nn).state_dict()) == list(make(torch.nn).state_dict())


def test_conv1d_starts_in_pytorch_s_range_and_repeats_with_a_seed():
    layer = nn.Conv1d(4, 6, 5, seed=0)
    bound = 1 / (4 * 5) ** 0.5
    assert layer.weight.shape == (6, 4, 5) and layer.bias.shape == (6,)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.array_equal(layer.weight.data, nn.Conv1d(4, 6, 5, seed=0).weight.data)
    assert nn.Conv1d(4, 6, 5, dtype=np.float32).weight.dtype == np.float32
    rnn, hidden = nn.RNN(3, 16, 2, seed=1), 16
    for name, parameter in rnn.named_parameters():  # PyTorch's U(-1/sqrt(h), 1/sqrt(h))
        assert np.abs(parameter.data).max() <= 1 / hidden ** 0.5, name
        assert np.abs(parameter.data).max() > 0.8 / hidden ** 0.5, name
    assert np.array_equal(rnn.weight_hh_l1.data, nn.RNN(3, 16, 2, seed=1).weight_hh_l1.data)


def test_normalization_layers_start_at_ones_and_zeros_and_learn():
    norm = nn.GroupNorm(2, 4)
    assert np.array_equal(norm.weight.data, np.ones(4)) and not norm.bias.data.any()
    assert nn.RMSNorm((2, 3), dtype=np.float32).weight.dtype == np.float32
    norm(IMG).sum().backward()
    assert norm.weight.grad is not None and norm.bias.grad is not None
    norm.eval()  # no running statistics: eval gives the same
    np.testing.assert_array_equal(norm(IMG).data, nn.GroupNorm(2, 4)(IMG).data)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.GroupNorm(3, 4), ValueError, r"GroupNorm: num_channels=4 must be divisible "
                                             r"by num_groups=3"),
    (lambda: nn.GroupNorm(2, 4)(np.ones((2, 6, 3))), ValueError,
     r"GroupNorm\(2, 4.*expected input of shape \(batch, C, \.\.\.\) with C = 4, got \(2, 6, 3\)"),
    (lambda: F.group_norm(np.ones((2, 6)), 4), ValueError,
     r"group_norm: .*C divisible by num_groups=4, got shape \(2, 6\)"),
    (lambda: F.group_norm(np.ones((2, 4)), 2, np.ones(3)), ValueError,
     r"group_norm: weight of shape \(3,\) does not fit input of shape \(2, 4\)"),
    (lambda: nn.RMSNorm(3)(np.ones((2, 4))), ValueError,
     r"rms_norm: the input's last axes \(4,\) .* must be \(3,\)"),
    (lambda: nn.RMSNorm(3, eps=-1.0), ValueError, r"RMSNorm: eps must be >= 0"),
    (lambda: F.adaptive_avg_pool2d(np.ones((2, 3)), 2), ValueError,
     r"adaptive_avg_pool2d: expected input of shape \(batch, C, height, width\)"),
    (lambda: nn.AdaptiveMaxPool2d((2, 0)), ValueError,
     r"AdaptiveMaxPool2d: output_size must be an int >= 1 or a pair"),
    (lambda: nn.AdaptiveMaxPool2d(2, return_indices=1), TypeError,
     r"AdaptiveMaxPool2d: return_indices must be True or False, got int 1"),
    (lambda: nn.Conv1d(3, 2, 3)(np.ones((2, 4, 9))), ValueError,
     r"Conv1d\(3, 2.*axis 1 has 4 channels .*in_channels=3"),
    (lambda: nn.Conv1d(3, 2, 3)(np.ones(9)), ValueError,
     r"conv1d: expected input of shape \(batch, channels, length\) or unbatched \(channels, "
     r"length\), got shape \(9,\)"),
    (lambda: nn.Conv1d(3, 2, 3, groups=3), ValueError, r"Conv1d: groups=3 must be >= 1 and "
                                                       r"divide in_channels=3 and out_channels=2"),
    (lambda: nn.Conv1d(3, 2, (3, 3)), TypeError, r"Conv1d: kernel_size must be an int or a "
                                                 r"tuple of one int"),
    (lambda: nn.Conv1d(3, 2, 3, padding="full"), ValueError, r"Conv1d: padding 'full'"),
    (lambda: nn.Conv1d(3, 2, 3, 2, padding="same"), ValueError, r"padding='same' needs "
                                                                r"stride 1"),
    (lambda: F.conv1d(SEQ, np.ones((2, 3, 3, 1))), ValueError, r"conv1d: weight of shape "
                                                                 r"\(2, 3, 3, 1\)"),
    (lambda: nn.MaxPool1d(2, ceil_mode=1), TypeError, r"MaxPool1d: ceil_mode must be True or "
                                                      r"False, got int 1"),
    (lambda: nn.AvgPool1d(0), ValueError, r"AvgPool1d: kernel_size must be >= 1, got 0"),
    (lambda: F.max_pool1d(SEQ, 3, padding=2), ValueError, r"max_pool1d: padding 2 must be at "
                                                          r"most half the kernel_size 3"),
    (lambda: nn.Dropout2d(1.5), ValueError, r"Dropout2d: p is the probability"),
    (lambda: F.dropout1d(np.ones((2, 3, 4, 5))), ValueError,
     r"dropout1d: expected input of shape \(C, length\) or \(batch, C, length\), got shape "
     r"\(2, 3, 4, 5\)"),
    (lambda: F.dropout2d(np.ones(3), 0.5, "yes"), TypeError,
     r"dropout2d: training must be True or False"),
    (lambda: nn.Unflatten(1, (2, 2))(np.ones((3, 5))), ValueError,
     r"unflatten: sizes \(2, 2\) do not multiply up to 5, the length of axis 1"),
    (lambda: nn.Unflatten(1, 2), TypeError, r"Unflatten: unflattened_size must be a tuple"),
    (lambda: nn.Unflatten(1, (-1, -1)), ValueError, r"one may be -1"),
    (lambda: nn.ZeroPad2d((1, 2)), ValueError, r"ZeroPad2d: padding must be an int or 4 ints"),
    (lambda: nn.ConstantPad1d((1, 2, 3), 0.0), ValueError, r"ConstantPad1d: padding must be an "
                                                           r"int or 2 ints"),  # (-1: crops)
    (lambda: nn.ConstantPad1d(1, "zero"), TypeError, r"ConstantPad1d: value must be a number"),
    (lambda: nn.Softshrink(-0.1), ValueError, r"Softshrink: lambd must be >= 0"),
    (lambda: F.threshold(X, "0", 1.0), TypeError, r"threshold: threshold must be a number"),
    (lambda: F.pairwise_distance(X, Y[:3]), ValueError,
     r"pairwise_distance: x1 of shape \(4, 6\) and x2 of shape \(3, 6\) do not broadcast"),
    (lambda: nn.PairwiseDistance("2"), TypeError, r"PairwiseDistance: p must be a number"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError,
     r"RNN: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"),
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError,
     r"LSTM: proj_size must be smaller than hidden_size"),
    (lambda: nn.RNN(3, 4)(np.ones((5, 2, 2))), ValueError,
     r"RNN\(3, 4\): expected input of shape \(length, batch, 3\).*got \(5, 2, 2\)"),
    (lambda: nn.RNN(3, 4)(np.ones((5, 2, 3)), np.zeros((1, 3, 4))), ValueError,
     r"RNN\(3, 4\): hx of shape \(1, 3, 4\) does not fit .*expected \(1, 2, 4\)"),
    (lambda: nn.RNNCell(3, 4)(np.ones((2, 3)), np.zeros(4)), ValueError,
     r"RNNCell\(3, 4\): hx of shape \(4,\) .*expected \(2, 4\)"),
    (lambda: nn.RNNCell(-1, 4), ValueError, r"RNNCell: input_size must be a non-negative int"),
])
def test_bad_arguments_get_one_line_errors(call, error, match):
    with pytest.raises(error, match=match) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_rnn_dropout_acts_between_layers_in_training_only():
    rnn = nn.RNN(3, 4, 2, dropout=0.5, seed=0)
    plain = nn.RNN(3, 4, 2, seed=0)
    x = SEQ.transpose(2, 0, 1)
    tg.manual_seed(0)
    assert not np.allclose(rnn(x)[0].data, plain(x)[0].data)
    rnn.eval()
    np.testing.assert_array_equal(rnn(x)[0].data, plain(x)[0].data)


# Review fixes


@pytest.mark.parametrize("where, name, call", [
    ("GroupNorm", "affine", lambda v: nn.GroupNorm(2, 4, affine=v)),
    ("GroupNorm", "bias", lambda v: nn.GroupNorm(2, 4, bias=v)),
    ("RMSNorm", "elementwise_affine", lambda v: nn.RMSNorm(3, elementwise_affine=v)),
    ("RNNCell", "bias", lambda v: nn.RNNCell(3, 4, bias=v)),
    ("RNN", "bias", lambda v: nn.RNN(3, 4, bias=v)),
    ("RNN", "batch_first", lambda v: nn.RNN(3, 4, batch_first=v)),
    ("RNN", "bidirectional", lambda v: nn.RNN(3, 4, bidirectional=v)),
    ("PairwiseDistance", "keepdim", lambda v: nn.PairwiseDistance(keepdim=v)),
    ("pairwise_distance", "keepdim", lambda v: F.pairwise_distance(X, Y, keepdim=v)),
    ("AdaptiveMaxPool2d", "return_indices", lambda v: nn.AdaptiveMaxPool2d(2, v)),
])
def test_flags_must_be_true_or_false_not_a_string(where, name, call):
    with pytest.raises(TypeError, match=rf"^{where}: {name} must be True or False, got str "
                                        r"'False'$"):
        call("False")  # (bool("False") is True)
    call(np.False_)  # NumPy's bool is a bool


def test_flags_given_as_numpy_bools_take_effect():
    assert nn.GroupNorm(2, 4, affine=np.False_).weight is None
    assert nn.RMSNorm(3, elementwise_affine=np.False_).weight is None
    assert nn.RNNCell(3, 4, bias=np.False_).bias_ih is None
    assert nn.RNN(3, 4, batch_first=np.True_).batch_first is True
    assert nn.PairwiseDistance(keepdim=np.True_)(X, Y).shape == (4, 1)


_SHORT = np.ones((1, 4, 5))  # (batch, channels, length)


@pytest.mark.parametrize("call, match", [
    (lambda: F.conv1d(_SHORT, np.ones((4, 3, 3))),
     r"conv1d: weight of shape \(4, 3, 3\) takes 3 input channels, but the input of shape "
     r"\(1, 4, 5\) has 4 \(axis 1\)"),
    (lambda: nn.Conv1d(3, 2, 3)(np.ones((1, 3, 2))),
     r"conv1d: a kernel of length 3 does not fit the input's length 2 padded by 0 \(input "
     r"shape \(1, 3, 2\)\); use a kernel of at most 2"),
    (lambda: F.conv1d(_SHORT, np.ones((2, 4, 9)), padding=1),
     r"conv1d: a kernel of length 9 does not fit the input's length 5 padded by 1"),
    (lambda: F.conv1d(_SHORT, np.ones((2, 4, 3)), padding="full"),
     r"conv1d: padding 'full' is not one of PyTorch's strings; use 'valid', 'same' or an int"),
    (lambda: F.conv1d(_SHORT, np.ones((2, 4, 3)), stride=2, padding="same"),
     r"conv1d: padding='same' needs stride 1 \(as in PyTorch\), got stride=2;"),
    (lambda: nn.Conv1d(3, 2, 3, 2, padding="same"),
     r"Conv1d: padding='same' needs stride 1 \(as in PyTorch\), got stride=2;"),
    (lambda: F.conv1d(_SHORT, np.ones((2, 4, 3)), np.ones(3)),
     r"conv1d: bias of shape \(3,\) does not fit a weight of shape \(2, 4, 3\); expected "
     r"\(2,\)"),
    (lambda: F.max_pool1d(_SHORT, 3, 1, 2),
     r"max_pool1d: padding 2 must be at most half the kernel_size 3"),
    (lambda: F.avg_pool1d(_SHORT, 3, 1, 2),
     r"avg_pool1d: padding 2 must be at most half the kernel_size 3"),
    (lambda: nn.MaxPool1d(7)(_SHORT),
     r"max_pool1d: a kernel of length 7 does not fit the input's length 5 padded by 0 "
     r"\(input shape \(1, 4, 5\)\)"),
    (lambda: nn.AvgPool1d(8, padding=1)(_SHORT),
     r"avg_pool1d: a kernel of length 8 does not fit the input's length 5 padded by 1"),
])
def test_1d_conv_and_pool_errors_name_the_1d_function_and_shapes(call, match):
    with pytest.raises(ValueError, match=match) as caught:
        call()
    text = str(caught.value)
    assert "2d" not in text and ", 1, " not in text and "\n" not in text


@pytest.mark.parametrize("call, zeroed", [
    (lambda: nn.Dropout2d(1.5), "Dropout2d: p is the probability of zeroing a channel"),
    (lambda: nn.Dropout1d(-0.5), "Dropout1d: p is the probability of zeroing a channel"),
    (lambda: F.dropout2d(IMG, 1.5), "dropout2d: p is the probability of zeroing a channel"),
    (lambda: F.dropout1d(SEQ, "half"), "dropout1d: p is the probability of zeroing a channel"),
    (lambda: nn.Dropout(1.5), "Dropout: p is the probability of zeroing an entry"),
    (lambda: F.dropout(X, 1.5), "dropout: p is the probability of zeroing an entry"),
    (lambda: nn.RNN(3, 4, dropout=2.0), "RNN: dropout is the probability of zeroing an entry"),
])
def test_dropout_probabilities_are_checked_once_with_words_for_what_is_zeroed(call, zeroed):
    with pytest.raises(ValueError, match=rf"^{zeroed}, a number in \[0, 1\]; got "):
        call()


def test_channel_dropout_flags_are_checked_as_every_flag_is():
    for name, call in (("training", lambda: F.dropout1d(SEQ, 0.5, "no")),
                       ("inplace", lambda: F.dropout2d(IMG, 0.5, True, "no"))):
        with pytest.raises(TypeError, match=rf"^dropout\dd: {name} must be True or False, "
                                            r"got str 'no'$"):
            call()


@pytest.mark.parametrize("dim, sizes", [(1, (2, 2)), (1, (4, -1)), (-1, (5, -1)), (3, (2, 3)),
                                       (1, (2, -1))])
def test_unflatten_layer_is_tg_unflatten(dim, sizes):
    x = Tensor(np.arange(18.0).reshape(3, 6))
    try:
        expected = tg.unflatten(x, dim, sizes)
    except Exception as error:  # the same error, word for word
        with pytest.raises(type(error)) as caught:
            nn.Unflatten(dim, sizes)(x)
        assert str(caught.value) == str(error)
    else:
        np.testing.assert_array_equal(nn.Unflatten(dim, sizes)(x).data, expected.data)


def test_1d_pools_and_conv_take_the_defaults_as_1_tuples_and_numpy_bools():
    x, w = torch.tensor(SEQ), torch.tensor(W1)
    # (NumPy's bools as the package's flags take them everywhere; PyTorch's take only bool)
    theirs = torch.nn.functional.max_pool1d(x, 2, dilation=(1,), ceil_mode=False)
    for ours in (F.max_pool1d(SEQ, 2, dilation=(1,), ceil_mode=np.False_,
                              return_indices=np.False_),
                 nn.MaxPool1d(2, dilation=(1,), ceil_mode=np.False_)(SEQ)):
        np.testing.assert_allclose(ours.data, theirs.numpy())
    theirs = torch.nn.functional.avg_pool1d(x, 2, ceil_mode=False, count_include_pad=True)
    for ours in (F.avg_pool1d(SEQ, 2, ceil_mode=np.False_, count_include_pad=np.True_),
                 nn.AvgPool1d(2, ceil_mode=np.False_, count_include_pad=np.True_)(SEQ)):
        np.testing.assert_allclose(ours.data, theirs.numpy())
    np.testing.assert_allclose(F.conv1d(SEQ, W1, dilation=(1,)).data,
                               torch.nn.functional.conv1d(x, w, dilation=(1,)).numpy())
    assert nn.Conv1d(3, 5, 3, dilation=(1,)).weight.shape == (5, 3, 3)
    with pytest.raises(TypeError, match=r"max_pool1d: ceil_mode must be True or False, got "
                                        r"int 0"):  # (PyTorch's TypeError too)
        F.max_pool1d(SEQ, 2, ceil_mode=0)
    # the options beyond the defaults, as 1-tuples and NumPy's bools too, are PyTorch's
    np.testing.assert_allclose(F.max_pool1d(SEQ, 2, dilation=(2,)).data,
                               torch.nn.functional.max_pool1d(x, 2, dilation=(2,)).numpy())
    np.testing.assert_allclose(nn.MaxPool1d(2, ceil_mode=np.True_)(SEQ).data,
                               torch.nn.functional.max_pool1d(x, 2, ceil_mode=True).numpy())


@pytest.mark.parametrize("size", [[2, 3], [2, None], (2, 3), 2])
def test_adaptive_pool_reprs_keep_output_size_as_given_as_pytorchs(size):
    for name in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        ours, theirs = getattr(nn, name)(size), getattr(torch.nn, name)(size)
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(ours(IMG).data, theirs(torch.tensor(IMG)).numpy())


_PAIRS = (np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, 2.0, -1.0], [2.0, 2.0, 2.0, 2.0]]),
          np.array([[0.5, -2.0, 1.5, 1.0], [0.0, 1.0, 2.0, -1.0], [1.0, 3.0, 2.0, 0.0]]))


@pytest.mark.parametrize("eps", [1e-6, 0.0])  # (0: some differences and a whole row are 0)
@pytest.mark.parametrize("p", [0, 0.5, 1, 2, 3, np.inf])
def test_pairwise_distance_values_and_gradients_are_pytorchs(p, eps):
    ours = [Tensor(a, requires_grad=True) for a in _PAIRS]
    theirs = [torch.tensor(a, requires_grad=True) for a in _PAIRS]
    out = F.pairwise_distance(*ours, p, eps)
    expected = torch.nn.functional.pairwise_distance(*theirs, p, eps)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    (out * np.arange(1.0, 4.0)).sum().backward()
    (expected * torch.arange(1.0, 4.0, dtype=torch.float64)).sum().backward()
    for a, b in zip(ours, theirs):  # (p = 0: PyTorch's backward leaves grad None, ours 0)
        expected_grad = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        np.testing.assert_allclose(a.grad.data, expected_grad, rtol=1e-12, atol=1e-12)
    layer = nn.PairwiseDistance(p, eps, keepdim=True)(*_PAIRS)
    np.testing.assert_allclose(layer.data, expected.detach().numpy()[:, None], rtol=1e-12)


# ------------------------------------------------------------------ User audit fixes


# name: (make(nn, F) -> the callable, the input arrays): unbatched (C, length), as PyTorch's
UNBATCHED = {
    "Conv1d": (lambda nn, F: nn.Conv1d(3, 5, 3), (SEQ[0],)),
    "Conv1d stride padding": (lambda nn, F: nn.Conv1d(3, 2, 4, 2, 1), (SEQ[1],)),
    "conv1d same": (lambda nn, F: lambda x, w, b: F.conv1d(x, w, b, padding="same"),
                    (SEQ[0], W1, B1)),
    "MaxPool1d": (lambda nn, F: nn.MaxPool1d(3, 2, 1), (SEQ[0],)),
    "max_pool1d": (lambda nn, F: lambda x: F.max_pool1d(x, 2), (SEQ[1],)),
    "AvgPool1d": (lambda nn, F: nn.AvgPool1d(3, 1, 1), (SEQ[0],)),
    "avg_pool1d": (lambda nn, F: lambda x: F.avg_pool1d(x, 2), (SEQ[1],)),
}


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", sorted(UNBATCHED))
def test_conv1d_and_1d_pools_take_unbatched_input_as_pytorch(case):
    make, arrays = UNBATCHED[case]
    ours, theirs = make(nn, F), make(torch.nn, torch.nn.functional)
    if isinstance(ours, nn.Module) and list(ours.parameters()):
        theirs.double()
        ours.load_state_dict({k: Tensor(v.detach().numpy().copy())
                              for k, v in theirs.state_dict().items()})
    out, expected = _agree_with_pytorch(ours, theirs, arrays, seed=2)
    assert out.shape == tuple(expected.shape) and out.ndim == 2  # (C, length) out
    assert tg.gradcheck(ours, [Tensor(a, requires_grad=True) for a in arrays])


def test_unbatched_conv1d_channels_and_other_ranks_are_refused_in_one_line():
    with pytest.raises(ValueError, match=r"^Conv1d\(3, 2, .*\): the input's axis 0 has 4 "
                                         r"channels \(input shape \(4, 9\)\), but the layer "
                                         r"takes in_channels=3$"):
        nn.Conv1d(3, 2, 3)(np.ones((4, 9)))
    with pytest.raises(ValueError, match=r"^conv1d: weight of shape \(5, 3, 3\) takes 3 input "
                                         r"channels, but the input of shape \(4, 9\) has 4 "
                                         r"\(axis 0\)$"):
        F.conv1d(np.ones((4, 9)), W1)
    for call in (lambda: F.max_pool1d(np.ones(9), 2), lambda: nn.AvgPool1d(2)(np.ones(9)),
                 lambda: F.conv1d(np.ones((1, 1, 3, 9)), W1)):
        with pytest.raises(ValueError) as caught:
            call()
        assert "\n" not in str(caught.value)
        assert "expected input of shape (batch, channels, length) or unbatched (channels, " \
               "length), got shape" in str(caught.value)
    with pytest.raises(ValueError, match=r"^max_pool1d: a kernel of length 5 does not fit the "
                                         r"input's length 4 padded by 0 \(input shape \(3, 4\)\)"):
        F.max_pool1d(np.ones((3, 4)), 5)


def _rendered(loss, tmp_path, **options):
    """The text a reader sees in the rendered SVG of `loss`, and its nodes' titles."""
    from test_graph_labels import svg_texts
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    path = tg.render_graph(loss, tmp_path / "graph.svg", **options)
    titles = [html.unescape(t).replace("\xa0", " ").strip()
              for t in re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())]
    return svg_texts(path), titles


def test_diagrams_name_the_zero_states_and_steps_an_rnn_makes(tmp_path):
    # the audit's example: 7 "input" nodes, 2 of them the layers' all-zero h0
    r = nn.RNN(3, 4, 2, batch_first=True, seed=0)
    out, _ = r(tg.randn(2, 5, 3))
    zeros = ("h0[0] (zeros)", "h0[1] (zeros)")
    titles = _rendered(out.sum(), tmp_path, model=r)[1]  # the zero states in the RNN's box
    assert titles.count("input") == 0 and not set(zeros) & set(titles), titles
    for name in tuple(f"input[:, {t}]" for t in range(5)):
        assert titles.count(name) == 1, (name, titles)
    titles = _rendered(out.sum(), tmp_path, model=r, open_modules=True)[1]  # drawn open
    assert titles.count("input") == 0, titles
    for name in zeros + tuple(f"input[:, {t}]" for t in range(5)):
        assert titles.count(name) == 1, (name, titles)
    x = tg.Tensor(RNG.standard_normal((5, 3)), name="x")  # a named input: its steps x[t]
    out, _ = nn.RNN(3, 4, seed=0)(x)
    titles = _rendered(out.sum(), tmp_path, open_modules=True)[1]
    assert sorted(t for t in titles if t.startswith("x[")) == [f"x[{t}]" for t in range(5)]
    assert titles.count("input") == 0 and titles.count("h0[0] (zeros)") == 1, titles
    cell = nn.RNNCell(3, 4, seed=0)
    titles = _rendered(cell(tg.randn(2, 3)).sum(), tmp_path, model=cell)[1]
    assert titles.count("input") == 1 and titles.count("hx (zeros)") == 1, titles  # the user's


def test_diagrams_name_the_averaging_matrices_masks_and_shifts_layers_make(tmp_path):
    x = tg.Tensor(IMG[:1], requires_grad=True, name="x")
    pool = nn.AdaptiveAvgPool2d((3, 2))  # uneven windows: taken and averaged axis by axis
    out = pool(x)
    np.testing.assert_allclose(out.data, torch.nn.functional.adaptive_avg_pool2d(
        torch.tensor(IMG[:1]), (3, 2)).numpy(), rtol=1e-12)  # (values unchanged)
    titles = _rendered(out.sum(), tmp_path, model=pool)[1]
    assert titles.count("input") == 0 and "window sizes" not in titles, titles  # (in its box)
    titles = _rendered(out.sum(), tmp_path, model=pool, open_modules=True)[1]
    assert titles.count("input") == 0 and "window sizes" in titles, titles
    x = tg.Tensor(np.linspace(-1, 1, 6), requires_grad=True, name="x")
    titles = _rendered(nn.Softshrink(0.5)(x).sum(), tmp_path)[1]
    assert titles.count("input") == 0 and "0.5 × sign(input)" in titles, titles
    text, titles = _rendered(F.softshrink(tg.Tensor(2.0, requires_grad=True, name="s")),
                             tmp_path)
    assert "sign(input)" not in text and "- 0.5" in titles, text  # one number: in the title
    for layer in (nn.Hardshrink(), nn.Threshold(0.1, 20.0)):  # their constant: in the title
        assert _rendered(layer(x).sum(), tmp_path)[1].count("input") == 0
    seq = tg.Tensor(SEQ, requires_grad=True, name="seq")
    drop = nn.Dropout1d(0.5, generator=np.random.default_rng(0))
    titles = _rendered(drop(seq).sum(), tmp_path, model=drop)[1]
    assert titles.count("input") == 0 and "dropout1d mask" in titles, titles
    drop = nn.Dropout(0.5, generator=np.random.default_rng(0))  # (F.dropout's mask too)
    out = drop(seq)
    assert out.dtype == seq.dtype and set(np.unique(out.data / SEQ)) <= {0.0, 2.0}
    titles = _rendered(out.sum(), tmp_path, model=drop)[1]
    assert titles.count("input") == 0 and "dropout mask" in titles, titles


def test_rnn_warns_as_pytorch_of_dropout_with_one_layer():
    with pytest.warns(UserWarning, match=r"non-zero dropout expects num_layers greater than 1"):
        torch.nn.RNN(3, 4, num_layers=1, dropout=0.5)
    with pytest.warns(UserWarning) as caught:
        nn.RNN(3, 4, num_layers=1, dropout=0.5)
    (warning,) = caught
    assert str(warning.message) == (
        "RNN: dropout option adds dropout after all but last recurrent layer, so non-zero "
        "dropout expects num_layers greater than 1, but got dropout=0.5 and num_layers=1")
    assert warning.filename == __file__  # (the user's line)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.RNN(3, 4, num_layers=2, dropout=0.5)
        nn.RNN(3, 4, num_layers=1, dropout=0.0)


# Second read fixes


@pytest.mark.parametrize("p", [-1.0, -2.5, -np.inf])
def test_pairwise_distance_takes_a_negative_p_as_pytorch(p):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    ours = tg.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    out = F.pairwise_distance(ours, b, p)
    expected = torch.nn.functional.pairwise_distance(theirs, torch.tensor(b), p)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10)
    module = nn.PairwiseDistance(p=p, keepdim=True)
    np.testing.assert_allclose(module(a, b).numpy(), torch.nn.PairwiseDistance(p=p, keepdim=True)(
        torch.tensor(a), torch.tensor(b)).numpy(), rtol=1e-12)


def test_pairwise_distance_names_itself_in_the_norms_errors():
    with pytest.raises(ValueError, match=r"^pairwise_distance: the inf norm of no entries is "
                                         r"undefined \(the tensor of shape \(2, 0\) is empty"):
        F.pairwise_distance(np.ones((2, 0)), np.ones((2, 0)), np.inf)


def test_conv_padding_reads_any_number_of_axes():
    from tinygrad_gd.nn import spatial_functions
    from tinygrad_gd.ops.convolution import conv_padding
    assert not hasattr(spatial_functions, "_conv_padding")  # one copy of the rules
    assert conv_padding("conv1d", "same", (4,), (1,)) == ((1, 2),)
    assert conv_padding("conv1d", (2,), (4,), (3,)) == ((2, 2),)
    assert conv_padding("conv2d", "same", (2, 3), (1, 1)) == ((0, 1), (1, 1))
    assert conv_padding("conv3d", "valid", (2, 3, 4), (2, 2, 2)) == ((0, 0),) * 3
    assert conv_padding("conv3d", "same", (2, 3, 4), (1, 1, 1)) == ((0, 1), (1, 1), (1, 2))
    with pytest.raises(ValueError, match=r"^conv3d: padding='same' needs stride 1 \(as in "
                                         r"PyTorch\), got stride=\(1, 2, 1\); give the "
                                         r"padding as numbers"):
        conv_padding("conv3d", "same", (3, 3, 3), (1, 2, 1))
    with pytest.raises(ValueError, match=r"^conv3d: padding 'full' is not one of PyTorch's "
                                         r"strings; use 'valid', 'same', an int or 3 ints$"):
        conv_padding("conv3d", "full", (3, 3, 3), (1, 1, 1))
    # the 1-d functions name a 1-d stride as PyTorch's conv1d takes it: an int
    with pytest.raises(ValueError, match=r"^conv1d: padding='same' needs stride 1 \(as in "
                                         r"PyTorch\), got stride=2; give the padding as an "
                                         r"int"):
        F.conv1d(SEQ, W1, stride=(2,), padding="same")
    out = F.conv1d(SEQ, W1, B1, padding="same")
    expected = torch.nn.functional.conv1d(torch.tensor(SEQ), torch.tensor(W1), torch.tensor(B1),
                                          padding="same")
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)
    assert conv_padding("conv1d", "same", (4,), (1,), (3,)) == ((4, 5),)  # dilated: 3 * 3
    F.max_pool1d(SEQ, 2, dilation=(1,))  # a 1-tuple, as PyTorch takes it
    with pytest.raises(TypeError, match=r"^max_pool1d: ceil_mode must be True or False"):
        F.max_pool1d(SEQ, 2, ceil_mode=0)


def test_conv1d_bias_must_be_true_or_false():
    with pytest.raises(TypeError, match=r"^Conv1d: bias must be True or False, got str "
                                        r"'False'"):
        nn.Conv1d(3, 5, 3, bias="False")
    assert nn.Conv1d(3, 5, 3, bias=np.bool_(False)).bias is None
    assert nn.Conv1d(3, 5, 3).bias.shape == (5,)




def test_tied_maxima_give_the_gradient_of_max_pool1d_to_the_first_as_documented():
    x = tg.tensor([[[1.0, 3.0, 3.0, 0.0]]], requires_grad=True)
    F.max_pool1d(x, 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[0.0, 1.0, 0.0, 0.0]]])  # PyTorch's index


# Final read fixes: convolution arguments


@pytest.mark.parametrize("call, name", [
    (lambda f, x, w: f.max_pool2d(x, kernel_size=True), "max_pool2d: kernel_size"),
    (lambda f, x, w: f.avg_pool2d(x, 2, stride=True), "avg_pool2d: stride"),
    (lambda f, x, w: f.conv2d(x, w, stride=True), "conv2d: stride"),
    (lambda f, x, w: f.conv2d(x, w, padding=False), "conv2d: padding"),
])
def test_a_bool_size_is_refused_as_pytorch_refuses_it(call, name):
    tx, tw = torch.ones(1, 1, 4, 4), torch.ones(1, 1, 1, 1)
    with pytest.raises(TypeError):
        call(torch.nn.functional, tx, tw)
    with pytest.raises(TypeError, match=rf"^{name} must be an int or a pair of ints, got bool "
                                        r"(True|False)$"):
        call(F, tg.ones(1, 1, 4, 4), tg.ones(1, 1, 1, 1))

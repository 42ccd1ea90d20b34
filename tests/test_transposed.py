"""Transposed convolutions and patches: `F.conv_transpose1d`, `F.conv_transpose2d`,
`F.unfold`, `F.fold` and the layers `ConvTranspose1d`, `ConvTranspose2d`, `Unfold`, `Fold`.

Outputs and the gradients of inputs, weights and biases equal PyTorch's across stride,
padding, output_padding, groups and dilation, batched and unbatched; `tg.gradcheck` in
float64 agrees with finite differences; the edges (an empty batch, float32, integers,
zeros, gaps between strided kernels) and the refusals, each one line naming the function.
"""
from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(2024)


def _leaves(*arrays: np.ndarray) -> list[Tensor]:
    return [Tensor(a, requires_grad=True) for a in arrays]


def _agree(ours, theirs, arrays, rtol=1e-10):
    """ours(*tensors) equals theirs(*torch tensors), and so do the gradients of every
    input after one backward pass seeded with the same random weights."""
    torch = pytest.importorskip("torch")
    mine = _leaves(*arrays)
    references = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*mine), theirs(*references)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=1e-12)
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for i, (leaf, reference) in enumerate(zip(mine, references)):
        np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=rtol,
                                   atol=1e-12, err_msg=f"input {i}")


# (stride, padding, output_padding, groups, dilation, kernel): gaps, trimming, both axes apart
CASES_2D = [
    (1, 0, 0, 1, 1, (3, 3)),
    (2, 1, 1, 1, 1, (3, 3)),
    ((2, 3), (1, 0), (1, 2), 1, 1, (2, 3)),
    (1, 1, 1, 1, 2, (3, 2)),  # output_padding below the dilation, not the stride
    (2, (0, 1), 0, 2, (2, 1), (3, 3)),
    (3, 0, 2, 3, 1, (1, 2)),  # a stride beyond the kernel: gaps of bias alone
    (1, 2, 0, 1, 1, (3, 3)),  # padding trims the output
]


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("stride, padding, output_padding, groups, dilation, kernel",
                         CASES_2D)
def test_conv_transpose2d_agrees_with_pytorch(stride, padding, output_padding, groups,
                                              dilation, kernel, batched):
    torch = pytest.importorskip("torch")
    in_channels = 2 * groups
    x = RNG.standard_normal((2, in_channels, 3, 4) if batched else (in_channels, 3, 4))
    w, b = RNG.standard_normal((in_channels, 2) + kernel), RNG.standard_normal(2 * groups)
    arguments = (stride, padding, output_padding, groups, dilation)
    _agree(lambda x, w, b: F.conv_transpose2d(x, w, b, *arguments),
           lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, *arguments),
           (x, w, b))


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("stride, padding, output_padding, groups, dilation, kernel", [
    (1, 0, 0, 1, 1, 3), (2, 1, 1, 1, 1, 3), (3, 0, 2, 2, 1, 2), (1, 2, 1, 1, 2, 3),
    ((2,), (1,), (1,), 2, (2,), 4)])
def test_conv_transpose1d_agrees_with_pytorch(stride, padding, output_padding, groups,
                                              dilation, kernel, batched):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 2 * groups, 5) if batched else (2 * groups, 5))
    w, b = RNG.standard_normal((2 * groups, 3, kernel)), RNG.standard_normal(3 * groups)
    arguments = (stride, padding, output_padding, groups, dilation)
    _agree(lambda x, w, b: F.conv_transpose1d(x, w, b, *arguments),
           lambda x, w, b: torch.nn.functional.conv_transpose1d(x, w, b, *arguments),
           (x, w, b))


@pytest.mark.parametrize("kernel, dilation, padding, stride", [
    (2, 1, 0, 1), ((2, 3), (1, 2), 1, (2, 1)), (3, 2, 2, 3), (1, 1, 0, 2), ((4, 5), 1, 0, 1)])
def test_unfold_and_fold_agree_with_pytorch(kernel, dilation, padding, stride):
    torch = pytest.importorskip("torch")
    image = RNG.standard_normal((2, 3, 4, 5))
    arguments = (kernel, dilation, padding, stride)
    _agree(lambda x: F.unfold(x, *arguments),
           lambda x: torch.nn.functional.unfold(x, *arguments), (image,))
    _agree(lambda x: F.unfold(x, *arguments),
           lambda x: torch.nn.functional.unfold(x, *arguments), (image[0],))  # unbatched
    columns = torch.nn.functional.unfold(torch.tensor(image), *arguments).numpy()
    _agree(lambda c: F.fold(c, (4, 5), *arguments),
           lambda c: torch.nn.functional.fold(c, (4, 5), *arguments), (columns,))
    _agree(lambda c: F.fold(c, (4, 5), *arguments),
           lambda c: torch.nn.functional.fold(c, (4, 5), *arguments), (columns[1],))


def test_gradcheck_of_the_functions_in_float64():
    x2, w2 = RNG.standard_normal((2, 4, 2, 3)), RNG.standard_normal((4, 1, 2, 3))
    b2 = RNG.standard_normal(2)
    assert tg.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, (2, 1), (0, 1), (1, 0),
                                                           2, (1, 2)), _leaves(x2, w2, b2))
    assert tg.gradcheck(lambda x, w: F.conv_transpose2d(x, w, padding=1), _leaves(x2[0], w2))
    x1, w1 = RNG.standard_normal((2, 2, 4)), RNG.standard_normal((2, 3, 2))
    assert tg.gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 1, 2),
                        _leaves(x1, w1, RNG.standard_normal(3)))
    assert tg.gradcheck(lambda x: F.unfold(x, 2, 2, 1, (1, 2)), _leaves(x2))
    columns = RNG.standard_normal((2, 8, 12))
    assert tg.gradcheck(lambda c: F.fold(c, (4, 5), 2), _leaves(columns))


def test_conv_transpose2d_is_the_gradient_of_conv2d_with_respect_to_its_input():
    x, w = RNG.standard_normal((2, 3, 7, 7)), RNG.standard_normal((4, 3, 3, 2))
    g = RNG.standard_normal(F.conv2d(x, w, None, 2, 1).shape)
    image = Tensor(x, requires_grad=True)
    (F.conv2d(image, w, None, 2, 1) * g).sum().backward()
    # stride 2 maps widths 6 and 7 alike (to 4): output_padding 1 picks 7
    np.testing.assert_allclose(F.conv_transpose2d(g, w, None, 2, 1, (0, 1)).data,
                               image.grad.data, rtol=1e-12, atol=1e-12)


def test_fold_of_unfold_counts_each_pixel_once_per_block_that_covers_it():
    image = RNG.standard_normal((1, 2, 5, 5))
    arguments = ((2, 3), 1, 1, (2, 1))
    coverage = F.fold(F.unfold(np.ones_like(image), *arguments), (5, 5), *arguments)
    np.testing.assert_array_equal(F.fold(F.unfold(image, *arguments), (5, 5),
                                         *arguments).data, image * coverage.data)
    blocks = F.unfold(image, 5, stride=5)  # one block, no overlap: back exactly
    np.testing.assert_array_equal(F.fold(blocks, 5, 5, stride=5).data, image)


# ------------------------------------------------------------------ layers


LAYERS = [
    lambda nn: nn.ConvTranspose2d(2, 4, 3),
    lambda nn: nn.ConvTranspose2d(4, 6, (2, 3), stride=(2, 1), padding=(1, 0),
                                  output_padding=(1, 0), groups=2, dilation=(1, 2)),
    lambda nn: nn.ConvTranspose2d(3, 2, 2, 2, bias=False),
    lambda nn: nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1, output_padding=1),
    lambda nn: nn.ConvTranspose1d(4, 2, 2, groups=2, dilation=3, bias=False),
]


@pytest.mark.parametrize("make", LAYERS)
def test_conv_transpose_layers_agree_with_pytorch_with_their_weights(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn), make(torch.nn).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        assert ours.state_dict()[name].shape == tuple(value.shape), name
    theirs.load_state_dict({name: torch.tensor(value)
                            for name, value in ours.state_dict().items()})
    shape = (2, ours.in_channels) + (3, 4)[:ours.dims]
    for batched in (True, False):
        x = RNG.standard_normal(shape if batched else shape[1:])
        _agree(lambda x: ours(x), lambda x: theirs(x), (x,))
    out, expected = ours(Tensor(x)), theirs(torch.tensor(x))
    (out * out.data).sum().backward()
    (expected * expected.detach()).sum().backward()
    for name, parameter in theirs.named_parameters():  # the weight's and bias's gradients
        np.testing.assert_allclose(getattr(ours, name).grad.data, parameter.grad.numpy(),
                                   rtol=1e-10, err_msg=name)


def test_output_size_picks_the_output_padding_as_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1, seed=1)
    theirs = _torch_twin(torch, ours)
    x = RNG.standard_normal((1, 2, 4, 3))
    for size in ((7, 7), (8, 9), [1, 3, 8, 8], None):
        _agree(lambda x: ours(x, size), lambda x: theirs(x, size), (x,))
    layer1 = nn.ConvTranspose1d(2, 2, 3, stride=3, seed=0)
    assert layer1(RNG.standard_normal((2, 4)), output_size=[14]).shape == (2, 14)


def _torch_twin(torch, ours):
    """PyTorch's ConvTranspose2d with our layer's settings and weights."""
    theirs = torch.nn.ConvTranspose2d(ours.in_channels, ours.out_channels, ours.kernel_size,
                                      ours.stride, ours.padding, ours.output_padding,
                                      ours.groups, ours.bias is not None,
                                      ours.dilation).double()
    theirs.load_state_dict({name: torch.tensor(value)
                            for name, value in ours.state_dict().items()})
    return theirs


def test_weights_start_in_pytorchs_range_and_a_seed_repeats_them():
    layer = nn.ConvTranspose2d(6, 8, (3, 2), groups=2, seed=5)
    # PyTorch's documented bound: sqrt(groups / (out_channels * prod(kernel_size)))
    bound = math.sqrt(2 / (8 * 3 * 2))
    assert layer.weight.shape == (6, 4, 3, 2) and layer.bias.shape == (8,)
    for parameter in (layer.weight, layer.bias):
        assert np.abs(parameter.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.8 * bound  # spread over the whole range
    again = nn.ConvTranspose2d(6, 8, (3, 2), groups=2, seed=5)
    np.testing.assert_array_equal(again.weight.data, layer.weight.data)
    drawn = [nn.ConvTranspose1d(2, 2, 2, generator=np.random.default_rng(5)) for _ in "ab"]
    np.testing.assert_array_equal(drawn[0].bias.data, drawn[1].bias.data)
    assert nn.ConvTranspose1d(2, 2, 2, dtype=np.float32).weight.dtype == np.float32


@pytest.mark.parametrize("name", ["ConvTranspose1d", "ConvTranspose2d"])
def test_constructor_arguments_are_pytorchs_in_its_order(name):
    layer = getattr(nn, name)(2, 3, 3, 1, 0, 0, 1, True, 1, "zeros", "cpu", np.float32)
    assert layer.weight.dtype == np.float32  # (device and dtype where PyTorch has them)
    torch = pytest.importorskip("torch")
    ours = list(inspect.signature(getattr(nn, name)).parameters.values())
    theirs = list(inspect.signature(getattr(torch.nn, name)).parameters.values())
    assert [(p.name, p.default) for p in ours[:len(theirs)]] == \
        [(p.name, p.default) for p in theirs]


def test_unfold_and_fold_layers_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    for ours, theirs in ((nn.Unfold((2, 3), 1, 1, (2, 1)), torch.nn.Unfold((2, 3), 1, 1, (2, 1))),
                         (nn.Unfold(2), torch.nn.Unfold(2))):
        assert repr(ours) == repr(theirs)
        _agree(ours, theirs, (RNG.standard_normal((2, 3, 4, 5)),))
    ours, theirs = nn.Fold((4, 5), 2, padding=1), torch.nn.Fold((4, 5), 2, padding=1)
    assert repr(ours) == repr(theirs)
    _agree(ours, theirs, (RNG.standard_normal((2, 12, 30)),))


@pytest.mark.parametrize("layer", [nn.ConvTranspose2d(4, 2, 2, 2, 1, 1, groups=2, seed=0),
                                   nn.ConvTranspose1d(2, 3, 3, dilation=2, seed=0)])
def test_gradcheck_of_a_layer_with_respect_to_its_input_and_parameters(layer):
    x = RNG.standard_normal((2, layer.in_channels) + (3,) * layer.dims)

    def through_parameters(x, weight, bias):  # the layer's formula, its parameters given
        return type(layer).function(x, weight, bias, layer.stride, layer.padding,
                                    layer.output_padding, layer.groups, layer.dilation)
    np.testing.assert_array_equal(layer(x).data, through_parameters(
        x, layer.weight, layer.bias).data)
    assert tg.gradcheck(through_parameters, _leaves(x, layer.weight.data, layer.bias.data))


# ------------------------------------------------------------------ edges


def test_an_empty_batch_gives_an_empty_output_and_gradient():
    torch = pytest.importorskip("torch")
    x = Tensor(np.zeros((0, 2, 3, 3)), requires_grad=True)
    out = F.conv_transpose2d(x, np.ones((2, 1, 2, 2)), None, 2, groups=2)
    expected = torch.nn.functional.conv_transpose2d(torch.zeros(0, 2, 3, 3),
                                                    torch.ones(2, 1, 2, 2), None, 2, groups=2)
    assert out.shape == tuple(expected.shape)
    out.sum().backward()
    assert x.grad.shape == x.shape
    assert F.unfold(x, 2).shape == (0, 8, 4)
    assert F.fold(np.zeros((0, 8, 4)), 3, 2).shape == (0, 2, 3, 3)


def test_float32_stays_float32_and_integers_compute_in_float64():
    x = Tensor(RNG.standard_normal((1, 2, 3, 3)).astype(np.float32), requires_grad=True)
    w = Tensor(RNG.standard_normal((2, 2, 2, 2)).astype(np.float32), requires_grad=True)
    out = F.conv_transpose2d(x, w, np.ones(2, np.float32), 2, 1, 1)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == np.float32
    assert F.fold(F.unfold(x, 2), 3, 2).dtype == np.float32
    layer = nn.ConvTranspose1d(2, 2, 2, dtype=np.float32, seed=0)
    assert layer(x.data[0, :, 0]).dtype == np.float32
    integers = np.arange(18).reshape(1, 2, 3, 3)
    out = F.conv_transpose2d(integers, np.ones((2, 1, 2, 2), np.int64), None, 2)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.data, F.conv_transpose2d(
        integers.astype(float), np.ones((2, 1, 2, 2)), None, 2).data)
    np.testing.assert_array_equal(F.unfold(integers, 2).data,
                                  F.unfold(integers.astype(float), 2).data)


def test_zeros_in_give_the_bias_out_and_gaps_hold_the_bias_alone():
    bias = np.array([0.5, -1.5])
    out = F.conv_transpose2d(np.zeros((1, 3, 2, 2)), RNG.standard_normal((3, 2, 1, 1)), bias,
                             stride=3)
    np.testing.assert_array_equal(out.data, np.broadcast_to(bias[:, None, None], (2, 4, 4))[None])
    out = F.conv_transpose1d(np.ones((1, 1, 2)), np.ones((1, 1, 1)), None, stride=3)
    np.testing.assert_array_equal(out.data, [[[1.0, 0.0, 0.0, 1.0]]])


def test_diagrams_name_the_zeros_the_blocks_are_added_into():
    pytest.importorskip("graphviz")
    x = Tensor(np.ones((1, 2, 3, 3)), requires_grad=True, name="x")
    w = Tensor(np.ones((2, 1, 2, 2)), requires_grad=True, name="w")
    out = F.conv_transpose2d(x, w, None, 2, padding=1, groups=2)
    assert out.name is None  # (what the user gets is not named)
    source = tg.draw_graph(out.sum()).source
    assert "conv_transpose2d" in source  # (one op: no zeros the blocks are added into)
    assert "<B>input</B>" not in source and "<I>input</I>" not in source
    source = tg.draw_graph(F.fold(F.unfold(x, 2, padding=1), 3, 2, padding=1).sum()).source
    assert "fold output (zeros)" in source
    assert "<B>input</B>" not in source and "<I>input</I>" not in source


def _reach(function, shape, at):
    """Where `function` of an input with one nonzero entry, at `at`, is nonzero: the
    outputs that entry reaches (with weights of ones)."""
    indicator = np.zeros(shape)
    indicator[at] = 1.0
    return function(indicator).data != 0


FUNCTIONS = {  # name: (the function of one input, that input's shape)
    "conv_transpose2d": (lambda x: F.conv_transpose2d(x, np.ones((2, 3, 2, 3)), None, 2, 1, 1,
                                                      dilation=(1, 2)), (1, 2, 4, 4)),
    "conv_transpose1d": (lambda x: F.conv_transpose1d(x, np.ones((2, 3, 3)), None, 2, 1),
                         (2, 2, 5)),
    "unfold": (lambda x: F.unfold(x, (2, 3), 1, 1, (1, 2)), (1, 2, 4, 5)),
    "fold": (lambda x: F.fold(x, (4, 5), (2, 3), 1, 1, (1, 2)), (1, 12, 15)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_a_nan_or_inf_reaches_only_the_outputs_the_entry_reaches(name):
    function, shape = FUNCTIONS[name]
    at = (0, 1) + tuple(n // 2 for n in shape[2:])
    reach = _reach(function, shape, at)
    assert 0 < reach.sum() < reach.size
    for bad in (np.nan, np.inf):
        x = np.zeros(shape)
        x[at] = bad
        out = function(x).data
        np.testing.assert_array_equal(np.isnan(out) | np.isinf(out), reach)
        if bad == np.inf:  # (inf times a weight of 1, not inf * 0 = NaN)
            assert not np.isnan(out).any()
    # backward: a NaN in the output's gradient reaches only the inputs that made that entry
    x = Tensor(np.ones(shape), requires_grad=True)
    out = function(x)
    upstream = np.zeros(out.shape)
    upstream[np.unravel_index(np.flatnonzero(reach)[0], out.shape)] = np.nan
    (out * upstream).sum().backward()
    assert 0 < np.isnan(x.grad.data).sum() < x.size


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_nan_and_inf_agree_with_pytorch(name):
    torch = pytest.importorskip("torch")
    function, shape = FUNCTIONS[name]
    theirs = {"conv_transpose2d": lambda x: torch.nn.functional.conv_transpose2d(
        x, torch.ones(2, 3, 2, 3, dtype=x.dtype), None, 2, 1, 1, dilation=(1, 2)),
        "conv_transpose1d": lambda x: torch.nn.functional.conv_transpose1d(
            x, torch.ones(2, 3, 3, dtype=x.dtype), None, 2, 1),
        "unfold": lambda x: torch.nn.functional.unfold(x, (2, 3), 1, 1, (1, 2)),
        "fold": lambda x: torch.nn.functional.fold(x, (4, 5), (2, 3), 1, 1, (1, 2))}[name]
    x = RNG.standard_normal(shape)
    x[0, 1, 1] = np.nan
    x.reshape(-1)[-1] = -np.inf
    np.testing.assert_allclose(function(x).data, theirs(torch.tensor(x)).numpy(), rtol=1e-12)


# ------------------------------------------------------------------ refusals


def _refused(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)


X4, W4 = np.ones((1, 2, 3, 3)), np.ones((2, 1, 2, 2))


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.conv_transpose2d(np.ones((2, 3)), W4), ValueError,
     r"conv_transpose2d: expected input of shape \(batch, in_channels, height, width\).*"
     r"got shape \(2, 3\)"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 0, 3)), W4), ValueError,
     r"conv_transpose2d: .*no size 0 but the batch's; got shape \(1, 2, 0, 3\)"),
    (lambda: F.conv_transpose2d(np.ones((1, 3, 3, 3)), W4), ValueError,
     r"conv_transpose2d: weight of shape \(2, 1, 2, 2\) takes 2 input channels, but the "
     r"input of shape \(1, 3, 3, 3\) has 3 \(axis 1\)"),
    (lambda: F.conv_transpose2d(X4, np.ones((2, 1, 2))), ValueError,
     r"conv_transpose2d: weight of shape \(2, 1, 2\) must be \(in_channels, out_channels / "
     r"groups, height, width"),
    (lambda: F.conv_transpose2d(X4, np.ones((2, 0, 2, 2))), ValueError,
     r"conv_transpose2d: weight of shape \(2, 0, 2, 2\) .*no size 0"),
    (lambda: F.conv_transpose2d(X4, W4, groups=3), ValueError,
     r"conv_transpose2d: groups=3 must be >= 1 and divide the weight's in_channels"),
    (lambda: F.conv_transpose2d(X4, W4, groups=1.0), TypeError,
     r"conv_transpose2d: groups must be an int, got float 1.0"),
    (lambda: F.conv_transpose2d(X4, W4, np.ones(2)), ValueError,
     r"conv_transpose2d: bias of shape \(2,\) must be \(1,\)"),
    (lambda: F.conv_transpose2d(X4, W4, stride=2, output_padding=2), ValueError,
     r"conv_transpose2d: output_padding \(2, 2\) must be smaller than the stride \(2, 2\) "
     r"or the dilation \(1, 1\)"),
    (lambda: F.conv_transpose2d(X4, W4, padding=3), ValueError,
     r"conv_transpose2d: the output's height, width would be \(-2, -2\) .*less padding"),
    (lambda: F.conv_transpose2d(X4, W4, padding="same"), TypeError,
     r"conv_transpose2d: padding must be an int or a pair of ints, got str 'same'"),
    (lambda: F.conv_transpose2d(X4, W4, stride=0), ValueError,
     r"conv_transpose2d: stride must be an int or a pair of ints >= 1, got 0"),
    (lambda: F.conv_transpose1d(np.ones((2,)), np.ones((2, 1, 2))), ValueError,
     r"conv_transpose1d: expected input of shape \(batch, in_channels, length\)"),
    (lambda: F.conv_transpose1d(np.ones((1, 2, 3)), np.ones((2, 1, 2)), stride=(2, 1)),
     TypeError, r"conv_transpose1d: stride must be an int or a tuple of one int"),
    (lambda: F.unfold(np.ones((4, 5)), 2), ValueError,
     r"unfold: expected input of shape \(batch, C, height, width\) .*got shape \(4, 5\)"),
    (lambda: F.unfold(X4, 4), ValueError,
     r"unfold: a kernel of \(4, 4\) with dilation \(1, 1\) does not fit an image of "
     r"\(3, 3\) padded by \(0, 0\)"),
    (lambda: F.unfold(X4, (2, 2, 2)), ValueError,
     r"unfold: kernel_size must be an int or a pair of ints >= 1, got \(2, 2, 2\)"),
    (lambda: F.unfold(X4, 2, padding=-1), ValueError,
     r"unfold: padding must be an int or a pair of ints >= 0, got -1"),
    (lambda: F.unfold(X4, 2.5), TypeError,
     r"unfold: kernel_size must be an int or a pair of ints, got float 2.5"),
    (lambda: F.fold(np.ones((1, 9, 4)), 3, 2), ValueError,
     r"fold: expected input of shape \(batch, C \* 2 \* 2, blocks\) .*got shape \(1, 9, 4\)"),
    (lambda: F.fold(np.ones((1, 8, 5)), 3, 2), ValueError,
     r"fold: output_size \(3, 3\) holds 2 \* 2 = 4 blocks .* has 5 on its last axis"),
    (lambda: F.fold(np.ones((1, 8, 1)), 1, 2), ValueError,
     r"fold: a kernel of \(2, 2\) .* does not fit an image of \(1, 1\)"),
])
def test_functions_refuse_bad_input_in_one_line(call, error, match):
    _refused(call, error, match)


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=4), ValueError,
     r"ConvTranspose2d: groups=4 must divide in_channels=4 and out_channels=6"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"), ValueError,
     r"ConvTranspose2d: padding_mode='reflect' is not supported, only padding_mode='zeros'"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2), ValueError,
     r"ConvTranspose2d: output_padding \(2, 2\) must be smaller than the stride"),
    (lambda: nn.ConvTranspose1d(-1, 2, 3), ValueError,
     r"ConvTranspose1d: in_channels must be a non-negative int, got -1"),
    (lambda: nn.ConvTranspose1d(2, 2, 3, bias="yes"), TypeError,
     r"ConvTranspose1d: bias must be True or False"),
    (lambda: nn.ConvTranspose1d(2, 2, (3, 3)), TypeError,
     r"ConvTranspose1d: kernel_size must be an int or a tuple of one int"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, stride=2)(X4, output_size=(9, 9)), ValueError,
     r"ConvTranspose2d\(2, 2, .*\): output_size \(9, 9\) is out of reach for an input of "
     r"shape \(1, 2, 3, 3\): each size must lie between \(7, 7\) and \(8, 8\)"),
    (lambda: nn.ConvTranspose2d(2, 2, 3)(X4, output_size=(5, 5, 5)), ValueError,
     r"ConvTranspose2d\(.*\): output_size must be 2 ints \(or 4, the whole output's shape\)"),
    (lambda: nn.Fold(0, 2), ValueError, r"Fold: output_size must be an int or a pair of ints"),
    (lambda: nn.Unfold(2, stride=(1, 0)), ValueError,
     r"Unfold: stride must be an int or a pair of ints >= 1, got \(1, 0\)"),
])
def test_layers_refuse_bad_settings_in_one_line(call, error, match):
    _refused(call, error, match)

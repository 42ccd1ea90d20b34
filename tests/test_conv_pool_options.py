"""The convolution and pooling options PyTorch has: conv2d/conv1d `dilation` and `groups`
(functions and layers, weight (out, in / groups, k...)), the layers' `padding_mode`;
max pools' `dilation`, `ceil_mode`, `return_indices` (PyTorch's flat indices per plane);
average pools' `ceil_mode`, `count_include_pad`, `divisor_override`; adaptive max pools'
indices; AdaptiveAvgPool1d, AdaptiveMaxPool1d, LPPool1d/2d, MaxUnpool1d/2d and the
`*_with_indices` functions.

Outputs, indices and the gradients of inputs, weights and biases equal PyTorch's (its
weights loaded from ours); `tg.gradcheck` in float64 agrees with finite differences; ties
send the gradient where PyTorch's index points, NaN and -inf windows pick its entries; the
edges (an empty batch, float32, integers) and the refusals, one line naming the function.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(2027)
IMG = RNG.uniform(-2, 2, (2, 4, 6, 7))  # (batch, channels, height, width): no ties
SEQ = RNG.uniform(-2, 2, (2, 4, 9))  # (batch, channels, length)
TIES = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, -2.0, 3.0, 2.0], [3.0, 0.5, 3.0, 3.0]]]])


def _leaves(*arrays: np.ndarray) -> list[Tensor]:
    return [Tensor(a, requires_grad=True) for a in arrays]


def _parts(out) -> list:
    return list(out) if isinstance(out, tuple) else [out]


def _agree(ours, theirs, arrays, rtol=1e-10):
    """ours(*tensors) equals theirs(*torch tensors), indices too, and so do the gradients
    of every input after one backward pass seeded with the same random weights."""
    torch = pytest.importorskip("torch")
    mine = _leaves(*arrays)
    references = [torch.tensor(a, requires_grad=True) for a in arrays]
    outs, expected = _parts(ours(*mine)), _parts(theirs(*references))
    assert len(outs) == len(expected)
    for out, reference in zip(outs, expected):
        assert out.shape == tuple(reference.shape)
        assert out.dtype == (np.int64 if reference.dtype == torch.int64 else np.float64)
        np.testing.assert_allclose(out.data, reference.detach().numpy(), rtol=rtol, atol=1e-12)
    weights = np.random.default_rng(0).standard_normal(outs[0].shape)
    (outs[0] * weights).sum().backward()
    (expected[0] * torch.tensor(weights)).sum().backward()
    for i, (leaf, reference) in enumerate(zip(mine, references)):
        np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=rtol,
                                   atol=1e-12, err_msg=f"input {i}")


def _layers_agree(ours: nn.Module, theirs, x: np.ndarray, *extra) -> None:
    """A layer and PyTorch's with our weights: outputs and every gradient alike."""
    torch = pytest.importorskip("torch")
    theirs = theirs.double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    tx, mine = torch.tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    out, expected = ours(mine, *extra), theirs(tx, *[torch.tensor(e) for e in extra])
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(mine.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(dict(ours.named_parameters())[name].grad.data,
                                   parameter.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


# ------------------------------------------------------------------ convolutions


CONV2D = [  # (groups, weight's kernel, stride, padding, dilation)
    (1, (3, 2), 1, 1, 2),
    (2, (2, 3), (2, 1), (1, 0), (1, 2)),
    (4, (3, 3), 1, "same", 2),
    (2, (2, 2), 1, "same", (1, 3)),
    (2, (3, 1), 2, "valid", (2, 1)),
]


@pytest.mark.torch
@pytest.mark.parametrize("groups, kernel, stride, padding, dilation", CONV2D)
def test_conv2d_with_dilation_and_groups_is_pytorchs(groups, kernel, stride, padding,
                                                     dilation):
    torch = pytest.importorskip("torch")
    weight = RNG.uniform(-1, 1, (2 * groups, 4 // groups) + kernel)
    bias = RNG.uniform(-1, 1, 2 * groups)
    with warnings.catch_warnings():  # (torch's note on "same" with an even kernel: a copy)
        warnings.filterwarnings("ignore", "Using padding='same'", UserWarning)
        _agree(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
               lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride, padding, dilation,
                                                          groups), [IMG, weight, bias])


@pytest.mark.parametrize("groups, kernel, stride, padding, dilation", CONV2D[:3])
def test_conv2d_with_dilation_and_groups_passes_gradcheck(groups, kernel, stride, padding,
                                                          dilation):
    weight = RNG.uniform(-1, 1, (groups, 4 // groups) + kernel)
    assert tg.gradcheck(lambda x, w, b: tg.conv2d(x, w, b, stride, padding, dilation, groups),
                        _leaves(IMG[:1, :, :5, :5], weight, RNG.uniform(-1, 1, groups)))


@pytest.mark.torch
@pytest.mark.parametrize("groups, kernel, stride, padding, dilation", [
    (1, 3, 1, 2, 2), (2, 2, 2, 1, 3), (4, 4, 1, "same", 2), (2, 3, 1, "valid", 1)])
def test_conv1d_with_dilation_and_groups_is_pytorchs(groups, kernel, stride, padding,
                                                     dilation):
    torch = pytest.importorskip("torch")
    weight = RNG.uniform(-1, 1, (2 * groups, 4 // groups, kernel))
    _agree(lambda x, w: F.conv1d(x, w, None, stride, padding, dilation, groups),
           lambda x, w: torch.nn.functional.conv1d(x, w, None, stride, padding, dilation,
                                                   groups), [SEQ, weight])
    _agree(lambda x, w: F.conv1d(x, w, None, stride, padding, dilation, groups),  # unbatched
           lambda x, w: torch.nn.functional.conv1d(x, w, None, stride, padding, dilation,
                                                   groups), [SEQ[0], weight])


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding, dilation, groups", [(1, 1, 1), ((2, 1), (1, 2), 2),
                                                       ("same", 2, 4), ("same", (1, 1), 2)])
def test_conv2d_layer_options_are_pytorchs(mode, padding, dilation, groups):
    torch = pytest.importorskip("torch")
    options = dict(padding=padding, dilation=dilation, groups=groups, padding_mode=mode)
    ours = nn.Conv2d(4, 6 if groups != 4 else 4, (2, 3), **options, seed=3)
    theirs = torch.nn.Conv2d(4, 6 if groups != 4 else 4, (2, 3), **options)
    assert ours.weight.shape == tuple(theirs.weight.shape)  # (out, in / groups, kh, kw)
    assert (ours.dilation, ours.groups, ours.padding_mode) == \
        (theirs.dilation, theirs.groups, theirs.padding_mode)
    _layers_agree(ours, theirs, IMG)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding, dilation, groups", [(2, 2, 2), ("same", 3, 1),
                                                       ("same", 1, 4)])
def test_conv1d_layer_options_are_pytorchs(mode, padding, dilation, groups):
    torch = pytest.importorskip("torch")
    options = dict(padding=padding, dilation=dilation, groups=groups, padding_mode=mode)
    ours, theirs = nn.Conv1d(4, 8, 4, **options), torch.nn.Conv1d(4, 8, 4, **options)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    _layers_agree(ours, theirs, SEQ)
    ours.zero_grad()
    out = ours(SEQ[0])  # unbatched, padded by the mode too
    expected = theirs(torch.tensor(SEQ[0]))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10)


@pytest.mark.torch
def test_convolution_layers_print_their_options_as_pytorchs():
    torch = pytest.importorskip("torch")
    for make in (lambda m: m.Conv1d(4, 4, 3, dilation=2, groups=2, padding_mode="circular"),
                 lambda m: m.Conv1d(4, 2, 3, padding="same", bias=False)):
        assert repr(make(nn)) == repr(make(torch.nn))
    for make in (lambda m: m.Conv2d(4, 4, 3, dilation=2, groups=2, padding_mode="reflect"),
                 lambda m: m.Conv2d(1, 3, 3, padding=1), lambda m: m.Conv2d(2, 2, 1, bias=False),
                 lambda m: m.Conv2d(2, 2, 3, padding="same")):
        assert repr(make(nn)) == repr(make(torch.nn))  # (PyTorch's: defaults left out)
    for make in (lambda m: m.MaxPool2d(2), lambda m: m.MaxPool2d(3, 1, 1, 2, ceil_mode=True),
                 lambda m: m.AvgPool2d(2), lambda m: m.AvgPool2d(3, 1, 1, True, False, 2)):
        ours, theirs = make(nn), make(torch.nn)
        assert repr(ours) == repr(theirs) and ours.stride == theirs.stride


def test_convolution_layers_draw_with_the_fan_in_of_a_group():
    layer = nn.Conv2d(6, 4, (2, 3), groups=2, seed=0)  # fan_in = 6 / 2 * 2 * 3 = 18
    assert layer.weight.shape == (4, 3, 2, 3)
    assert np.abs(layer.weight.data).max() <= 1 / 18 ** 0.5
    again = nn.Conv2d(6, 4, (2, 3), groups=2, seed=0)
    np.testing.assert_array_equal(layer.weight.data, again.weight.data)
    assert nn.Conv1d(6, 4, 3, groups=2).weight.shape == (4, 3, 3)


def test_conv_layers_gradcheck_through_padding_modes_and_groups():
    for layer, x in ((nn.Conv2d(4, 2, 3, 1, 1, 2, 2, True, "reflect", seed=0), IMG[:1, :, :5]),
                     (nn.Conv1d(4, 4, 2, 1, "same", 3, 4, True, "circular", seed=0), SEQ[:1])):
        parameters = [Tensor(p.data, requires_grad=True) for p in layer.parameters()]

        def call(x, weight, bias, layer=layer):
            conv = F.conv2d if isinstance(layer, nn.Conv2d) else F.conv1d
            padded, padding = layer._padded(x)
            return conv(padded, weight, bias, layer.stride, padding, layer.dilation,
                        layer.groups)
        assert tg.gradcheck(call, _leaves(x) + parameters)


def test_conv2d_keeps_float32_and_takes_an_empty_batch():
    x, w = IMG.astype(np.float32), RNG.uniform(-1, 1, (4, 2, 2, 2)).astype(np.float32)
    assert F.conv2d(x, w, None, 1, 1, 2, 2).dtype == np.float32
    empty = Tensor(np.zeros((0, 4, 5, 5)), requires_grad=True)
    out = F.conv2d(empty, Tensor(w.astype(np.float64), requires_grad=True), None, 1, 0, 2, 2)
    assert out.shape == (0, 4, 3, 3)
    out.sum().backward()
    assert empty.grad.shape == (0, 4, 5, 5)


# ------------------------------------------------------------------ max pools


MAX_POOL2D = [  # (kernel, stride, padding, dilation, ceil_mode)
    (2, None, 0, 1, True),
    (3, 2, 1, 1, True),
    ((2, 3), (2, 1), (1, 1), (2, 1), False),
    (2, 3, 1, 2, True),
    ((3, 2), 2, (1, 0), (1, 3), True),
]


@pytest.mark.torch
@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", MAX_POOL2D)
def test_max_pool2d_options_and_indices_are_pytorchs(kernel, stride, padding, dilation,
                                                     ceil_mode):
    torch = pytest.importorskip("torch")
    arguments = (kernel, stride, padding, dilation, ceil_mode)
    _agree(lambda x: F.max_pool2d(x, *arguments, True),
           lambda x: torch.nn.functional.max_pool2d(x, *arguments, True), [IMG])
    _agree(lambda x: F.max_pool2d_with_indices(x, *arguments),
           lambda x: torch.nn.functional.max_pool2d_with_indices(x, *arguments), [IMG])
    _agree(lambda x: nn.MaxPool2d(kernel, stride, padding, dilation, True, ceil_mode)(x),
           lambda x: torch.nn.MaxPool2d(kernel, stride, padding, dilation, True, ceil_mode)(x),
           [IMG])


@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", MAX_POOL2D)
def test_max_pool2d_options_pass_gradcheck(kernel, stride, padding, dilation, ceil_mode):
    assert tg.gradcheck(lambda x: tg.max_pool2d(x, kernel, stride, padding, dilation,
                                                ceil_mode), _leaves(IMG[:1, :2]))


@pytest.mark.torch
@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", [
    (2, None, 0, 1, True), (3, 2, 1, 2, True), (4, 1, 2, 1, False), (2, 3, 1, 3, True)])
def test_max_pool1d_options_and_indices_are_pytorchs(kernel, stride, padding, dilation,
                                                     ceil_mode):
    torch = pytest.importorskip("torch")
    arguments = (kernel, stride, padding, dilation, ceil_mode)
    for x in (SEQ, SEQ[1]):  # batched and unbatched
        _agree(lambda x: F.max_pool1d(x, *arguments, return_indices=True),
               lambda x: torch.nn.functional.max_pool1d(x, *arguments, return_indices=True),
               [x])
        _agree(lambda x: F.max_pool1d_with_indices(x, *arguments),
               lambda x: torch.nn.functional.max_pool1d_with_indices(x, *arguments), [x])
        _agree(lambda x: nn.MaxPool1d(kernel, stride, padding, dilation, True, ceil_mode)(x),
               lambda x: torch.nn.MaxPool1d(kernel, stride, padding, dilation, True,
                                            ceil_mode)(x), [x])
    assert tg.gradcheck(lambda x: F.max_pool1d(x, *arguments), _leaves(SEQ[:1]))


@pytest.mark.torch
@pytest.mark.parametrize("call", [
    lambda f, x: f.max_pool2d(x, 2, 1, return_indices=True),
    lambda f, x: f.max_pool2d(x, 2, 2, 1, 2, True, True),
    lambda f, x: f.max_pool2d(x, (3, 2), 1, 1, return_indices=True),
    lambda f, x: f.adaptive_max_pool2d(x, (2, 3), True),
    lambda f, x: f.adaptive_max_pool2d(x, (2, 2), True),
    lambda f, x: f.max_pool1d(x[0], 3, 1, 1, return_indices=True),
    lambda f, x: f.adaptive_max_pool1d(x[0], 3, True),
])
def test_tied_maxima_get_the_gradient_where_pytorchs_index_points(call):
    torch = pytest.importorskip("torch")
    _agree(lambda x: call(F, x), lambda x: call(torch.nn.functional, x), [TIES])
    _agree(lambda x: call(F, x), lambda x: call(torch.nn.functional, x), [np.zeros_like(TIES)])


@pytest.mark.torch
def test_max_pools_pick_pytorchs_nan_and_the_first_entry_of_an_all_inf_window():
    torch = pytest.importorskip("torch")
    x = TIES.copy()
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = x[0, 0, 2, 3] = np.nan  # the last NaN of a window wins
    for call in (lambda f, t: f.max_pool2d(t, 2, 1, return_indices=True),
                 lambda f, t: f.max_pool2d(t, 3, 1, 1, 1, True, True),
                 lambda f, t: f.adaptive_max_pool2d(t, (2, 3), True)):
        values, indices = call(F, Tensor(x))
        expected = call(torch.nn.functional, torch.tensor(x))
        np.testing.assert_array_equal(values.data, expected[0].numpy())
        np.testing.assert_array_equal(indices.data, expected[1].numpy())
    infs = np.full((1, 1, 3, 3), -np.inf)  # every entry ties with the padding's -inf
    for arguments in ((2, 1, 1), (3, 1, 1, 2, True)):
        values, indices = F.max_pool2d(Tensor(infs), *arguments, return_indices=True)
        expected = torch.nn.functional.max_pool2d(torch.tensor(infs), *arguments,
                                                  return_indices=True)
        np.testing.assert_array_equal(indices.data, expected[1].numpy())
        np.testing.assert_array_equal(values.data, expected[0].numpy())


@pytest.mark.torch
def test_max_pool_of_integers_pads_with_their_smallest_value_and_finds_pytorchs_indices():
    torch = pytest.importorskip("torch")
    x = np.arange(-20, 22).reshape(1, 2, 3, 7) % 5 - 9  # ties, all below 0
    values, indices = F.max_pool2d(tg.as_tensor(x), 3, 2, 1, 1, True, True)
    expected = torch.nn.functional.max_pool2d(torch.tensor(x, dtype=torch.float64), 3, 2, 1,
                                              1, True, True)
    assert values.dtype == x.dtype and indices.dtype == np.int64
    np.testing.assert_array_equal(values.data, expected[0].numpy())
    np.testing.assert_array_equal(indices.data, expected[1].numpy())


def test_max_pools_keep_float32_and_take_an_empty_batch():
    values, indices = F.max_pool2d(IMG.astype(np.float32), 3, 2, 1, 2, True, True)
    assert values.dtype == np.float32 and indices.dtype == np.int64
    empty = Tensor(np.zeros((0, 2, 4, 5)), requires_grad=True)
    values, indices = F.max_pool2d(empty, 2, 1, 1, 1, True, True)
    assert values.shape == indices.shape == (0, 2, 5, 6)
    values.sum().backward()
    assert empty.grad.shape == (0, 2, 4, 5)
    assert F.adaptive_max_pool2d(np.zeros((0, 2, 4, 5)), 3, True)[1].shape == (0, 2, 3, 3)


# ------------------------------------------------------------------ average pools


AVG_POOL2D = [  # (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    (2, None, 0, True, True, None),
    (3, 2, 1, True, True, None),
    (3, 2, 1, True, False, None),
    ((2, 3), (2, 1), (1, 1), False, False, None),
    ((3, 2), 3, (1, 1), True, True, 4),
    (2, 1, 1, False, False, -2),
]


@pytest.mark.torch
@pytest.mark.parametrize("options", AVG_POOL2D)
def test_avg_pool2d_options_are_pytorchs(options):
    torch = pytest.importorskip("torch")
    _agree(lambda x: F.avg_pool2d(x, *options), lambda x: torch.nn.functional.avg_pool2d(
        x, *options), [IMG])
    _agree(lambda x: nn.AvgPool2d(*options)(x), lambda x: torch.nn.AvgPool2d(*options)(x),
           [IMG])


@pytest.mark.parametrize("options", AVG_POOL2D)
def test_avg_pool2d_options_pass_gradcheck(options):
    assert tg.gradcheck(lambda x: tg.avg_pool2d(x, *options), _leaves(IMG[:1, :2]))


@pytest.mark.torch
@pytest.mark.parametrize("options", [(2, None, 0, True, True), (3, 2, 1, True, False),
                                     (4, 3, 2, False, False), (4, 3, 2, True, True)])
def test_avg_pool1d_options_are_pytorchs(options):
    torch = pytest.importorskip("torch")
    for x in (SEQ, SEQ[0]):
        _agree(lambda x: F.avg_pool1d(x, *options),
               lambda x: torch.nn.functional.avg_pool1d(x, *options), [x])
        _agree(lambda x: nn.AvgPool1d(*options)(x), lambda x: torch.nn.AvgPool1d(*options)(x),
               [x])
    assert tg.gradcheck(lambda x: F.avg_pool1d(x, *options), _leaves(SEQ[:1]))


def test_avg_pools_keep_float32():
    assert F.avg_pool2d(IMG.astype(np.float32), 3, 2, 1, True, False, 3).dtype == np.float32
    assert F.avg_pool1d(SEQ.astype(np.float32), 3, 2, 1, True, False).dtype == np.float32


# ------------------------------------------------------------------ adaptive pools


@pytest.mark.torch
@pytest.mark.parametrize("size", [(2, 3), (3, 7), (4, 5), 1, (None, 3)])
def test_adaptive_max_pool2d_indices_are_pytorchs(size):
    torch = pytest.importorskip("torch")
    for x in (IMG, IMG[0]):
        _agree(lambda x: F.adaptive_max_pool2d(x, size, True),
               lambda x: torch.nn.functional.adaptive_max_pool2d(x, size, True), [x])
        _agree(lambda x: F.adaptive_max_pool2d_with_indices(x, size),
               lambda x: torch.nn.functional.adaptive_max_pool2d_with_indices(x, size), [x])
        _agree(lambda x: nn.AdaptiveMaxPool2d(size, True)(x),
               lambda x: torch.nn.AdaptiveMaxPool2d(size, True)(x), [x])


@pytest.mark.torch
@pytest.mark.parametrize("size", [1, 3, 4, 9, (2,)])
def test_adaptive_1d_pools_are_pytorchs(size):
    torch = pytest.importorskip("torch")
    for x in (SEQ, SEQ[1]):
        _agree(lambda x: F.adaptive_avg_pool1d(x, size),
               lambda x: torch.nn.functional.adaptive_avg_pool1d(x, size), [x])
        _agree(lambda x: F.adaptive_max_pool1d(x, size, True),
               lambda x: torch.nn.functional.adaptive_max_pool1d(x, size, True), [x])
        _agree(lambda x: F.adaptive_max_pool1d_with_indices(x, size),
               lambda x: torch.nn.functional.adaptive_max_pool1d_with_indices(x, size), [x])
        _agree(lambda x: nn.AdaptiveAvgPool1d(size)(x),
               lambda x: torch.nn.AdaptiveAvgPool1d(size)(x), [x])
        _agree(lambda x: nn.AdaptiveMaxPool1d(size)(x),
               lambda x: torch.nn.AdaptiveMaxPool1d(size)(x), [x])
    assert repr(nn.AdaptiveMaxPool1d(size, True)) == repr(torch.nn.AdaptiveMaxPool1d(size, True))


def test_adaptive_pools_pass_gradcheck():
    for call in (lambda x: F.adaptive_max_pool2d(x, (4, 5)),
                 lambda x: F.adaptive_avg_pool1d(x.reshape(1, 2, -1), 4),
                 lambda x: F.adaptive_max_pool1d(x.reshape(2, -1), 5)):
        assert tg.gradcheck(call, _leaves(IMG[:1, :2]))


# ------------------------------------------------------------------ LP pools


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [1, 2, 3.5, np.inf, -np.inf])
@pytest.mark.parametrize("kernel, stride, ceil_mode", [(2, None, False), ((2, 3), 2, True),
                                                       (3, (1, 2), False)])
def test_lp_pools_are_pytorchs(norm_type, kernel, stride, ceil_mode):
    torch = pytest.importorskip("torch")
    positive = np.abs(IMG) + 0.1  # (a fractional power of a negative sum is NaN in both)
    arguments = (norm_type, kernel, stride, ceil_mode)
    _agree(lambda x: F.lp_pool2d(x, *arguments),
           lambda x: torch.nn.functional.lp_pool2d(x, *arguments), [positive])
    _agree(lambda x: nn.LPPool2d(*arguments)(x), lambda x: torch.nn.LPPool2d(*arguments)(x),
           [positive])
    length = kernel if isinstance(kernel, int) else kernel[1]
    step = stride if stride is None or isinstance(stride, int) else stride[1]
    for x in (positive[:, :, 0], positive[0, :, 0]):
        _agree(lambda x: F.lp_pool1d(x, norm_type, length, step, ceil_mode),
               lambda x: torch.nn.functional.lp_pool1d(x, norm_type, length, step, ceil_mode),
               [x])
        _agree(lambda x: nn.LPPool1d(norm_type, length, step, ceil_mode)(x),
               lambda x: torch.nn.LPPool1d(norm_type, length, step, ceil_mode)(x), [x])


@pytest.mark.torch
def test_lp_pool_of_a_zero_window_has_pytorchs_zero_gradient():
    torch = pytest.importorskip("torch")
    x = IMG[:1, :1, :4, :4].copy()
    x[..., :2, :2] = 0.0
    _agree(lambda t: F.lp_pool2d(t, 2, 2), lambda t: torch.nn.functional.lp_pool2d(t, 2, 2),
           [x])
    _agree(lambda t: F.lp_pool2d(t, 3, 2), lambda t: torch.nn.functional.lp_pool2d(t, 3, 2),
           [x])  # (odd: a negative sum's root is NaN in both)


def test_lp_pools_pass_gradcheck_and_keep_float32():
    positive = np.abs(IMG[:1, :2]) + 0.1
    assert tg.gradcheck(lambda x: F.lp_pool2d(x, 3, (2, 3), 2, True), _leaves(positive))
    assert tg.gradcheck(lambda x: F.lp_pool1d(x, 2, 3), _leaves(SEQ[:1]))
    assert F.lp_pool2d(positive.astype(np.float32), 2, 2).dtype == np.float32


# ------------------------------------------------------------------ unpooling


# (windows that do not overlap: overlapping ones repeat an index, where PyTorch's backward
# gives every repeat the gradient its forward wrote once; ours the last: see below)
@pytest.mark.torch
@pytest.mark.parametrize("kernel, stride, padding, output_size", [
    (2, None, 0, None), (2, None, 0, (6, 7)), (3, 3, 1, (6, 7)), ((2, 3), (2, 3), (1, 1), None),
    ((2, 3), None, 1, (1, 4, 6, 7))])
def test_max_unpool2d_is_pytorchs(kernel, stride, padding, output_size):
    torch = pytest.importorskip("torch")
    image = IMG if output_size or padding else IMG[:, :, :, :6]  # (the default size fits)
    values, indices = F.max_pool2d(image, kernel, stride, padding, return_indices=True)
    torch_indices = torch.tensor(indices.data)
    for x, at, their_at in ((values.data, indices, torch_indices),
                            (values.data[0], indices[0], torch_indices[0])):
        _agree(lambda v: F.max_unpool2d(v, at, kernel, stride, padding, output_size),
               lambda v: torch.nn.functional.max_unpool2d(v, their_at, kernel, stride, padding,
                                                          output_size), [x])
        _agree(lambda v: nn.MaxUnpool2d(kernel, stride, padding)(v, at, output_size),
               lambda v: torch.nn.MaxUnpool2d(kernel, stride, padding)(v, their_at,
                                                                       output_size), [x])


def _repeated_indices_keep_the_last_write():
    x = Tensor(np.array([[[1.0, 2.0, 3.0]]]), requires_grad=True)
    out = F.max_unpool1d(x, np.array([[[1, 1, 0]]]), 2, 1)
    np.testing.assert_array_equal(out.data, [[[3.0, 2.0, 0.0, 0.0]]])  # as PyTorch's
    (out * tg.tensor([[[10.0, 20.0, 30.0, 40.0]]])).sum().backward()
    # the entry overwritten gets none (PyTorch's backward gives it 20 too)
    np.testing.assert_array_equal(x.grad.data, [[[0.0, 20.0, 10.0]]])


@pytest.mark.torch
@pytest.mark.parametrize("kernel, stride, padding, output_size", [
    (2, None, 0, (9,)), (3, None, 0, None), (2, 3, 1, None), (3, 3, 1, (1, 1, 9))])
def test_max_unpool1d_is_pytorchs(kernel, stride, padding, output_size):
    torch = pytest.importorskip("torch")
    values, indices = F.max_pool1d(SEQ, kernel, stride, padding, return_indices=True)
    torch_indices = torch.tensor(indices.data)
    for x, at, their_at in ((values.data, indices, torch_indices),
                            (values.data[1], indices[1], torch_indices[1])):
        _agree(lambda v: F.max_unpool1d(v, at, kernel, stride, padding, output_size),
               lambda v: torch.nn.functional.max_unpool1d(v, their_at, kernel, stride, padding,
                                                          output_size), [x])
        _agree(lambda v: nn.MaxUnpool1d(kernel, stride, padding)(v, at, output_size),
               lambda v: torch.nn.MaxUnpool1d(kernel, stride, padding)(v, their_at,
                                                                       output_size), [x])


def test_max_unpool_undoes_a_max_pool_and_passes_gradcheck():
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    values, indices = pool(IMG[:, :, :6, :6])
    restored = unpool(values, indices)
    kept = restored.data != 0
    np.testing.assert_array_equal(restored.data[kept], IMG[:, :, :6, :6][kept])
    assert kept.sum() == values.size
    assert tg.gradcheck(lambda v: F.max_unpool2d(v, indices, 2), _leaves(values.data))
    assert repr(unpool) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert F.max_unpool2d(values.data.astype(np.float32), indices, 2).dtype == np.float32
    _repeated_indices_keep_the_last_write()


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv2d(IMG, np.ones((3, 2, 2, 2)), groups=2), ValueError,
     r"^conv2d: groups=2 must be >= 1 and divide the weight's out_channels \(axis 0 of weight "
     r"shape \(3, 2, 2, 2\)\)$"),
    (lambda: F.conv2d(IMG, np.ones((4, 3, 2, 2)), groups=2), ValueError,
     r"^conv2d: weight of shape \(4, 3, 2, 2\) must be \(out_channels, in_channels / groups, "
     r"kh, kw\) with in_channels = the input's 4 \(input shape \(2, 4, 6, 7\), groups=2\)$"),
    (lambda: F.conv2d(IMG, np.ones((4, 4, 2, 2)), groups=1.0), TypeError,
     r"^conv2d: groups must be an int, got float 1.0$"),
    (lambda: F.conv2d(IMG, np.ones((4, 4, 2, 2)), dilation=0), ValueError,
     r"^conv2d: dilation must be an int or a pair of ints >= 1, got 0$"),
    (lambda: F.conv2d(IMG, np.ones((4, 4, 4, 4)), dilation=2), ValueError,
     r"^conv2d: a kernel of \(4, 4\) dilated by \(2, 2\) \(spanning \(7, 7\)\) does not fit an "
     r"image of \(6, 7\) padded by \(\(0, 0\), \(0, 0\)\)$"),
    (lambda: F.conv2d(IMG, np.ones((4, 4, 2, 2)), np.ones(3)), ValueError,
     r"^conv2d: bias of shape \(3,\) must be \(4,\), one per output channel"),
    (lambda: F.conv1d(SEQ, np.ones((4, 2, 3)), groups=3), ValueError,
     r"^conv1d: groups=3 must be >= 1 and divide the weight's out_channels"),
    (lambda: F.conv1d(SEQ, np.ones((4, 1, 5)), None, 1, 0, 3, 4), ValueError,
     r"^conv1d: a kernel of length 5 dilated by 3 \(spanning 13\) does not fit the input's "
     r"length 9 padded by 0 \(input shape \(2, 4, 9\)\); use a smaller dilation or more "
     r"padding$"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError,
     r"^Conv2d: groups=4 must be >= 1 and divide in_channels=4 and out_channels=6$"),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, r"^Conv2d: groups=0 must be >= 1"),
    (lambda: nn.Conv1d(4, 4, 3, padding_mode="mirror"), ValueError,
     r"^Conv1d: padding_mode must be one of \['zeros', 'reflect', 'replicate', 'circular'\], "
     r"got 'mirror'$"),
    (lambda: nn.Conv2d(4, 4, 3, dilation=(1, 0)), ValueError,
     r"^Conv2d: dilation must be an int or a pair of ints >= 1, got \(1, 0\)$"),
    (lambda: F.max_pool2d(np.zeros((1, 1, 2, 2)), 2, 1, 1, 3), ValueError,
     r"^max_pool2d: with dilation \(3, 3\) and padding \(1, 1\), a window of the kernel "
     r"\(2, 2\) holds only padding \(input shape \(1, 1, 2, 2\)\); use less padding or a "
     r"smaller dilation$"),
    (lambda: F.max_pool2d(IMG, 4, 1, 0, 2), ValueError,
     r"^max_pool2d: a kernel of \(4, 4\) dilated by \(2, 2\) \(spanning \(7, 7\)\) does not "
     r"fit an image of \(6, 7\) padded by \(0, 0\)$"),
    (lambda: F.max_pool2d(IMG, 2, return_indices="yes"), TypeError,
     r"^max_pool2d: return_indices must be True or False, got str 'yes'$"),
    (lambda: F.max_pool1d(SEQ, 2, dilation=0), ValueError,
     r"^max_pool1d: dilation must be >= 1, got 0$"),
    (lambda: F.avg_pool2d(IMG, 2, ceil_mode=1), TypeError,
     r"^avg_pool2d: ceil_mode must be True or False, got int 1$"),
    (lambda: F.avg_pool2d(IMG, 2, divisor_override=0), ValueError,
     r"^avg_pool2d: divisor_override must not be 0; give None for the window's size$"),
    (lambda: F.avg_pool2d(IMG, 2, divisor_override=1.5), TypeError,
     r"^avg_pool2d: divisor_override must be an int, got float 1.5$"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), ValueError,
     r"^AvgPool2d: divisor_override must not be 0"),
    (lambda: F.avg_pool1d(SEQ, 2, count_include_pad="no"), TypeError,
     r"^avg_pool1d: count_include_pad must be True or False, got str 'no'$"),
    (lambda: F.adaptive_max_pool1d(IMG, 2), ValueError,
     r"^adaptive_max_pool1d: expected input of shape \(batch, C, length\) or \(C, length\)"),
    (lambda: nn.AdaptiveAvgPool1d((2, 2)), TypeError,
     r"^AdaptiveAvgPool1d: output_size must be an int or a tuple of one int"),
    (lambda: F.lp_pool2d(IMG, 0, 2), ValueError,
     r"^lp_pool2d: norm_type must be a non-zero number, got 0$"),
    (lambda: F.lp_pool2d(IMG[0, 0], 2, 2), ValueError,
     r"^lp_pool2d: expected a batch of images of shape \(batch, channels, height, width\) or "
     r"one image \(channels, height, width\), got shape \(6, 7\)$"),
    (lambda: nn.LPPool1d("2", 3), TypeError, r"^LPPool1d: norm_type must be a number"),
    (lambda: F.max_unpool2d(IMG, np.zeros(IMG.shape), 2), RuntimeError,
     r"^max_unpool2d: indices must be integers of the input's shape \(2, 4, 6, 7\) \(the max "
     r"pool's\), got dtype float64 and shape \(2, 4, 6, 7\)$"),
    (lambda: F.max_unpool2d(IMG, np.zeros(IMG.shape[1:], int), 2), RuntimeError,
     r"^max_unpool2d: indices must be integers of the input's shape"),
    (lambda: F.max_unpool1d(SEQ, np.full(SEQ.shape, 18), 2), RuntimeError,
     r"^max_unpool1d: index 18 is outside the output of length \(18,\) \(0 to 17\)$"),
    (lambda: F.max_unpool1d(SEQ, np.full(SEQ.shape, -1), 2), RuntimeError,
     r"^max_unpool1d: index -1 is outside"),
    (lambda: F.max_unpool2d(IMG, np.zeros(IMG.shape, int), 2, output_size=(14, 14)),
     ValueError, r"^max_unpool2d: output size \(14, 14\) is not possible for input sizes "
                 r"\(6, 7\): give 2 \(or 4\) sizes >= 1, each less than the stride \(2, 2\) "
                 r"from \(12, 14\)$"),
    (lambda: F.max_unpool1d(SEQ, np.zeros(SEQ.shape, int), 2, output_size=(1, 2)),
     ValueError, r"^max_unpool1d: output size \(1, 2\) is not possible"),
    (lambda: F.max_unpool1d(IMG, np.zeros(IMG.shape, int), 2), ValueError,
     r"^max_unpool1d: expected input of shape \(batch, C, length\) or \(C, length\), got "
     r"shape \(2, 4, 6, 7\)$"),
])
def test_bad_options_are_refused_in_one_line_naming_the_function(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)

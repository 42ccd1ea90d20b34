"""Volumes and unbatched convolutions: `F.conv3d`, `F.conv_transpose3d`, `F.max_pool3d`,
`F.avg_pool3d`, the 3-d adaptive pools, `F.lp_pool3d`, `F.max_unpool3d` and their layers,
and conv1d/2d/3d and the transposed ones of one input without the batch axis.

Values, indices and the gradients of every input, weight and bias against PyTorch 2.13's
(layers' weights loaded through state_dict); `tg.gradcheck` in float64 on small volumes;
float32 kept; empty batches, tied maxima and NaN; reprs as PyTorch's; one-line errors.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(53)
VOL = RNG.uniform(-2, 2, (2, 4, 3, 4, 5))  # (batch, channels, depth, height, width): no ties
SMALL = RNG.uniform(-2, 2, (1, 2, 3, 3, 4))  # for the finite differences
W3 = RNG.uniform(-1, 1, (6, 2, 2, 3, 2))  # conv3d's (out, in / 2 groups, kd, kh, kw)
B6 = RNG.uniform(-1, 1, 6)
WT3 = RNG.uniform(-1, 1, (4, 3, 2, 2, 3))  # conv_transpose3d's (in, out / groups, k...)


def tensors(arrays: tuple, dtype: Any = None) -> list[Tensor]:
    """The float arrays as leaves needing a gradient; integer ones (indices) as they are."""
    return [Tensor(a.astype(dtype or a.dtype), requires_grad=True) if a.dtype.kind == "f"
            else tg.as_tensor(a) for a in arrays]


def outputs(out: Any) -> list:
    return list(out) if isinstance(out, tuple) else [out]


def agree(ours: Callable, theirs: Callable, *arrays: np.ndarray) -> list[Tensor]:
    """Both run on the arrays: outputs (values, and indices exactly) equal, then the
    gradients of every float input of one backward pass seeded with random weights."""
    torch = pytest.importorskip("torch")
    mine = tensors(arrays)
    references = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    got, expected = outputs(ours(*mine)), outputs(theirs(*references))
    assert len(got) == len(expected)
    rng = np.random.default_rng(0)
    our_loss, their_loss = 0.0, 0.0
    for part, reference in zip(got, expected):
        assert part.shape == tuple(reference.shape)
        if reference.dtype == torch.int64:
            np.testing.assert_array_equal(part.data, reference.numpy())
            continue
        np.testing.assert_allclose(part.data, reference.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        weights = rng.standard_normal(part.shape)
        our_loss = our_loss + (part * weights).sum()
        their_loss = their_loss + (reference * torch.tensor(weights)).sum()
    our_loss.backward()
    their_loss.backward()
    for i, (leaf, reference) in enumerate(zip(mine, references)):
        if reference.requires_grad:
            np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=1e-10,
                                       atol=1e-12, err_msg=f"input {i}")
    return got


def both(call: Callable) -> tuple[Callable, Callable]:
    """`call(F)` for our functional and PyTorch's."""
    torch = pytest.importorskip("torch")
    return call(F), call(torch.nn.functional)


# ------------------------------------------------------------------ convolutions


CONV3D = [
    dict(),
    dict(stride=(1, 2, 1), padding=(1, 0, 2), dilation=(2, 1, 1), groups=2),
    dict(padding="same", dilation=(1, 2, 1), groups=2),  # even kernels: the odd zero after
    dict(padding="valid", stride=2, groups=2),
    dict(padding=1, stride=(2, 3, 2), groups=2),
]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")  # (PyTorch's note on its speed)
@pytest.mark.parametrize("options", CONV3D)
@pytest.mark.parametrize("batched", [True, False])
def test_conv3d_agrees_with_pytorch(options, batched):
    x = VOL if batched else VOL[1]
    groups = options.get("groups", 1)
    weight = W3 if groups == 2 else RNG.uniform(-1, 1, (3, 4, 2, 2, 3))
    ours, theirs = both(lambda F: lambda *a: F.conv3d(*a, **options))
    agree(ours, theirs, x, weight, B6[:weight.shape[0]])
    agree(ours, theirs, x, weight)  # no bias


def test_conv3d_passes_gradcheck_for_input_weight_and_bias():
    weight, bias = RNG.uniform(-1, 1, (2, 1, 2, 2, 3)), RNG.uniform(-1, 1, 2)
    assert tg.gradcheck(lambda x, w, b: F.conv3d(x, w, b, (1, 2, 1), (1, 0, 1), (1, 1, 2), 2),
                        tensors((SMALL, weight, bias)))
    assert tg.gradcheck(lambda x, w: F.conv3d(x, w, padding="same"),
                        tensors((SMALL[0], weight[:, :, :, :, :2].repeat(2, axis=1))))


@pytest.mark.torch
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (1, 0, 2), "same"])
def test_conv3d_layer_agrees_with_pytorch_with_its_weights(padding_mode, padding):
    torch = pytest.importorskip("torch")
    ours = nn.Conv3d(4, 6, (2, 3, 2), padding=padding, groups=2, padding_mode=padding_mode,
                     seed=1)
    theirs = torch.nn.Conv3d(4, 6, (2, 3, 2), padding=padding, groups=2,
                             padding_mode=padding_mode).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    for x in (VOL, VOL[0]):  # a batch, and one volume
        ours.zero_grad()
        theirs.zero_grad()
        agree(ours, theirs, x)
        for name, parameter in theirs.named_parameters():
            np.testing.assert_allclose(dict(ours.named_parameters())[name].grad.data,
                                       parameter.grad.numpy(), rtol=1e-10, err_msg=name)


def test_conv3d_layer_starts_in_pytorchs_range_and_repeats_with_a_seed():
    layer = nn.Conv3d(4, 6, (2, 3, 2), groups=2, seed=3)
    bound = 1 / (2 * 2 * 3 * 2) ** 0.5  # fan_in = in_channels / groups * kd * kh * kw
    assert layer.weight.shape == (6, 2, 2, 3, 2) and layer.bias.shape == (6,)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    np.testing.assert_array_equal(layer.weight.data, nn.Conv3d(4, 6, (2, 3, 2), groups=2,
                                                               seed=3).weight.data)
    assert nn.Conv3d(4, 6, 2, dtype=tg.float32)(VOL.astype(np.float32)).dtype == np.float32


TRANSPOSED3D = [
    dict(),
    dict(stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 0)),
    dict(stride=2, dilation=(1, 2, 1), output_padding=1, groups=2),
]


@pytest.mark.torch
@pytest.mark.parametrize("options", TRANSPOSED3D)
@pytest.mark.parametrize("batched", [True, False])
def test_conv_transpose3d_agrees_with_pytorch(options, batched):
    x = VOL if batched else VOL[0]
    groups = options.get("groups", 1)
    weight = WT3[:, :2] if groups == 2 else RNG.uniform(-1, 1, (4, 3, 2, 3, 2))
    ours, theirs = both(lambda F: lambda *a: F.conv_transpose3d(*a, **options))
    agree(ours, theirs, x, weight, B6[:weight.shape[1] * groups])
    agree(ours, theirs, x, weight)


@pytest.mark.torch
def test_conv_transpose3d_layer_agrees_with_pytorch_and_takes_output_size():
    torch = pytest.importorskip("torch")
    ours = nn.ConvTranspose3d(4, 6, (2, 3, 2), 2, 1, groups=2, dilation=(1, 1, 2), seed=2)
    theirs = torch.nn.ConvTranspose3d(4, 6, (2, 3, 2), 2, 1, groups=2,
                                      dilation=(1, 1, 2)).double()
    assert repr(ours) == repr(theirs)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    for size in (None, (5, 7, 10), (2, 6, 5, 8, 9)):
        ours.zero_grad()
        theirs.zero_grad()
        agree(lambda x: ours(x, size), lambda x: theirs(x, size), VOL)
        np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(),
                                   rtol=1e-10)
        np.testing.assert_allclose(ours.bias.grad.data, theirs.bias.grad.numpy(), rtol=1e-10)
    assert ours(VOL[0], (5, 7, 10)).shape == (6, 5, 7, 10)  # one volume


def test_conv_transpose3d_passes_gradcheck():
    weight, bias = RNG.uniform(-1, 1, (2, 1, 2, 2, 2)), RNG.uniform(-1, 1, 2)
    assert tg.gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, (1, 2, 1), (0, 1, 0), (0, 1, 0),
                                                           2, (2, 1, 1)),
                        tensors((SMALL, weight, bias)))


UNBATCHED = [  # (function, input, weight, options): one input without the batch axis
    ("conv1d", VOL[:, :, 0, 0], RNG.uniform(-1, 1, (3, 4, 2)), dict(stride=2, padding=1)),
    ("conv2d", VOL[:, :, 0], RNG.uniform(-1, 1, (6, 2, 2, 3)), dict(padding="same", groups=2)),
    ("conv3d", VOL, W3, dict(stride=(1, 1, 2), dilation=(2, 1, 1), groups=2)),
    ("conv_transpose1d", VOL[:, :, 0, 0], RNG.uniform(-1, 1, (4, 3, 2)), dict(stride=2)),
    ("conv_transpose2d", VOL[:, :, 0], RNG.uniform(-1, 1, (4, 1, 2, 3)), dict(groups=2)),
    ("conv_transpose3d", VOL, WT3, dict(padding=(1, 0, 1))),
]


@pytest.mark.parametrize("name, x, weight, options", UNBATCHED, ids=[u[0] for u in UNBATCHED])
def test_a_convolution_of_one_unbatched_input_is_its_batch_of_one(name, x, weight, options):
    function = getattr(F, name)
    one, w = tensors((x[1], weight))
    out = function(one, w, **options)
    np.testing.assert_allclose(out.data, function(x, weight, **options).data[1], rtol=1e-12)
    out.sum().backward()
    assert one.grad.shape == one.shape and w.grad is not None
    assert tg.gradcheck(lambda a, b: function(a, b, **options), tensors((x[1, ..., :3], weight)))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name, x, weight, options", UNBATCHED, ids=[u[0] for u in UNBATCHED])
def test_a_convolution_of_one_unbatched_input_agrees_with_pytorch(name, x, weight, options):
    agree(*both(lambda F: lambda *a: getattr(F, name)(*a, **options)), x[0], weight)


def test_conv2d_layer_takes_one_image():
    layer = nn.Conv2d(4, 3, 3, padding=1, padding_mode="reflect", seed=0)
    np.testing.assert_allclose(layer(VOL[0, :, 0]).data, layer(VOL[:1, :, 0]).data[0],
                               rtol=1e-12)


# ------------------------------------------------------------------ pools


MAX3D = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=1, dilation=(2, 1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(1, 2, 3), stride=1, dilation=(1, 3, 2)),
]


@pytest.mark.torch
@pytest.mark.parametrize("options", MAX3D)
@pytest.mark.parametrize("batched", [True, False])
def test_max_pool3d_agrees_with_pytorch_values_indices_and_gradient(options, batched):
    x = VOL if batched else VOL[1]
    agree(*both(lambda F: lambda a: F.max_pool3d(a, **options, return_indices=True)), x)
    agree(*both(lambda F: lambda a: F.max_pool3d_with_indices(a, **options)), x)
    agree(*both(lambda F: lambda a: F.max_pool3d(a, **options)), x)


@pytest.mark.torch
def test_max_pool3d_ties_and_nan_choose_pytorchs_entry():
    x = np.zeros((1, 1, 2, 3, 4))  # all tied: the first of each window
    x[0, 0, 1, 1, 1] = np.nan  # a NaN wins its windows
    x[0, 0, 0, 2, 3] = -1.0
    for options in (dict(kernel_size=2, stride=1), dict(kernel_size=2, padding=1)):
        agree(*both(lambda F: lambda a: F.max_pool3d(a, **options, return_indices=True)), x)


AVG3D = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=1, ceil_mode=True,
         count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2, 3), stride=1, padding=(1, 1, 0), divisor_override=5),
]


@pytest.mark.torch
@pytest.mark.parametrize("options", AVG3D)
@pytest.mark.parametrize("batched", [True, False])
def test_avg_pool3d_agrees_with_pytorch(options, batched):
    agree(*both(lambda F: lambda a: F.avg_pool3d(a, **options)), VOL if batched else VOL[0])


@pytest.mark.torch
@pytest.mark.parametrize("size", [1, 2, (2, 3, 2), (None, 3, 5), (3, 4, 5), (3, 1, 4)])
@pytest.mark.parametrize("batched", [True, False])
def test_adaptive_pools_3d_agree_with_pytorch(size, batched):
    x = VOL if batched else VOL[1]
    agree(*both(lambda F: lambda a: F.adaptive_avg_pool3d(a, size)), x)
    agree(*both(lambda F: lambda a: F.adaptive_max_pool3d(a, size, True)), x)
    agree(*both(lambda F: lambda a: F.adaptive_max_pool3d_with_indices(a, size)), x)
    agree(*both(lambda F: lambda a: F.adaptive_max_pool3d(a, size)), x)


@pytest.mark.torch
@pytest.mark.parametrize("norm_type, options", [
    (2, dict(kernel_size=2)), (1.5, dict(kernel_size=(2, 3, 2), stride=1)),
    (3, dict(kernel_size=(3, 2, 2), stride=(1, 2, 3), ceil_mode=True))])
def test_lp_pool3d_agrees_with_pytorch(norm_type, options):
    x = np.abs(VOL) + 0.1  # (PyTorch's root of a negative sum is NaN)
    agree(*both(lambda F: lambda a: F.lp_pool3d(a, norm_type, **options)), x)
    agree(*both(lambda F: lambda a: F.lp_pool3d(a, norm_type, **options)), x[0])


@pytest.mark.torch
@pytest.mark.parametrize("x, kernel, stride, padding, size", [
    (VOL[..., :2, :4, :4], 2, None, 0, None),  # (the default size: the pooled volume's)
    (VOL, 2, None, 0, VOL.shape[2:]), (VOL, (2, 3, 2), None, 1, VOL.shape),
    (VOL, 2, 2, 0, (3, 5, 5))])
def test_max_unpool3d_agrees_with_pytorch(x, kernel, stride, padding, size):
    values, indices = F.max_pool3d(x, kernel, stride, padding, return_indices=True)
    for x, at in ((values.data, indices.data), (values.data[0], indices.data[0])):
        agree(*both(lambda F: lambda a, i: F.max_unpool3d(a, i, kernel, stride, padding, size)),
              x, at)


@pytest.mark.torch
def test_max_unpool3d_of_overlapping_windows_writes_pytorchs_values():
    torch = pytest.importorskip("torch")
    values, indices = F.max_pool3d(VOL, (2, 3, 2), (1, 2, 2), 1, return_indices=True)
    assert len(np.unique(indices.data)) < indices.size  # a maximum in two windows
    # (the gradient: to the entry written, of a repeated index, as in max_unpool2d, where
    # PyTorch's backward reads it for every entry)
    np.testing.assert_array_equal(
        F.max_unpool3d(values, indices, (2, 3, 2), (1, 2, 2), 1, VOL.shape).data,
        torch.nn.functional.max_unpool3d(torch.tensor(values.data), torch.tensor(indices.data),
                                         (2, 3, 2), (1, 2, 2), 1, VOL.shape).numpy())


def test_pools_3d_pass_gradcheck():
    x = SMALL
    checks = [
        lambda a: F.max_pool3d(a, 2, 1, 1, (1, 1, 2), True),
        lambda a: F.avg_pool3d(a, (2, 2, 3), (1, 2, 1), 1, True, False),
        lambda a: F.adaptive_avg_pool3d(a, (2, 2, 3)),
        lambda a: F.adaptive_max_pool3d(a, (2, 3, 3)),
        lambda a: F.lp_pool3d(a, 2, (2, 2, 2), 1),
        lambda a: F.max_unpool3d(*F.max_pool3d(a, (1, 2, 2), return_indices=True), (1, 2, 2),
                                 output_size=(3, 3, 5)),
    ]
    for check in checks:
        assert tg.gradcheck(check, tensors((x,)))
        assert tg.gradcheck(check, tensors((x[0],)))  # one volume


@pytest.mark.torch
@pytest.mark.parametrize("make, x", [
    (lambda nn: nn.MaxPool3d(2, (1, 2, 1), 1, ceil_mode=True), VOL),
    (lambda nn: nn.MaxPool3d((2, 1, 2), dilation=2, return_indices=True), VOL[0]),
    (lambda nn: nn.AvgPool3d(3, 2, 1, ceil_mode=True, count_include_pad=False), VOL),
    (lambda nn: nn.AvgPool3d((2, 3, 2), divisor_override=4), VOL[0]),
    (lambda nn: nn.AdaptiveAvgPool3d((2, None, 3)), VOL),
    (lambda nn: nn.AdaptiveMaxPool3d(2, return_indices=True), VOL[0]),
    (lambda nn: nn.LPPool3d(2, (2, 2, 3), 1), np.abs(VOL)),
], ids=["MaxPool3d", "MaxPool3d indices", "AvgPool3d", "AvgPool3d divisor", "AdaptiveAvgPool3d",
        "AdaptiveMaxPool3d", "LPPool3d"])
def test_pool_layers_3d_agree_with_pytorch_and_show_its_repr(make, x):
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    agree(ours, theirs, x)


@pytest.mark.torch
def test_max_unpool3d_layer_inverts_the_max_pool_layer_as_pytorchs():
    torch = pytest.importorskip("torch")
    values, indices = nn.MaxPool3d(2, return_indices=True)(VOL)
    ours, theirs = nn.MaxUnpool3d(2), torch.nn.MaxUnpool3d(2)
    assert repr(ours) == repr(theirs) == ("MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), "
                                          "padding=(0, 0, 0))")
    agree(lambda a, i: ours(a, i, VOL.shape), lambda a, i: theirs(a, i, VOL.shape),
          values.data, indices.data)
    kept = ours(values, indices, VOL.shape[2:]).data  # each maximum back in its place
    np.testing.assert_array_equal(kept[kept != 0], VOL[kept != 0])
    values, indices = nn.MaxPool3d(2, return_indices=True)(VOL[0, :, :2, :, :4])  # one volume
    agree(ours, theirs, values.data, indices.data)


# ------------------------------------------------------------------ dtypes, edges, diagrams


FUNCTIONS = {  # name: (call, inputs)
    "conv3d": (lambda x, w, b: F.conv3d(x, w, b, 1, "same", groups=2), (VOL, W3, B6)),
    "conv_transpose3d": (lambda x, w: F.conv_transpose3d(x, w, None, 2), (VOL, WT3)),
    "max_pool3d": (lambda x: F.max_pool3d(x, 2, 1, 1), (VOL,)),
    "avg_pool3d": (lambda x: F.avg_pool3d(x, 2, 1, 1, True), (VOL,)),
    "adaptive_avg_pool3d": (lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)), (VOL,)),
    "adaptive_max_pool3d": (lambda x: F.adaptive_max_pool3d(x, (2, 3, 2)), (VOL,)),
    "lp_pool3d": (lambda x: F.lp_pool3d(x, 2, 2), (VOL,)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_float32_is_kept_and_an_empty_batch_gives_an_empty_result(name):
    call, arrays = FUNCTIONS[name]
    inputs = tensors(arrays, np.float32)
    out = call(*inputs)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, call(*arrays).data, rtol=1e-4, atol=1e-5)
    out.sum().backward()
    assert all(t.grad.dtype == np.float32 for t in inputs)
    empty = tensors((arrays[0][:0],) + arrays[1:])
    out = call(*empty)
    assert out.shape[0] == 0 and out.shape[1:] == call(*arrays).shape[1:]
    out.sum().backward()
    assert empty[0].grad.shape == empty[0].shape


def test_integer_volumes_pool_as_pytorchs_kinds():
    x = tg.as_tensor(np.arange(2 * 3 * 4 * 5).reshape(1, 2, 3, 4, 5))
    assert F.max_pool3d(x, 2, padding=1).dtype == np.int64  # (the integer kept)
    assert F.avg_pool3d(x, 2).dtype == np.float64
    np.testing.assert_allclose(F.max_pool3d(x, 2, padding=1).data,
                               F.max_pool3d(x.data.astype(float), 2, padding=1).data)
    np.testing.assert_allclose(F.avg_pool3d(x, 2).data, F.avg_pool3d(x.data.astype(float), 2).data)


def leaves_named(out: Tensor) -> list[str | None]:
    """The names of the leaves of out's graph (constants included), as a diagram draws
    (one number it folds into its op's label: left out)."""
    seen, stack, names = set(), [out], []
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t._ctx is None:
            if t.size != 1:
                names.append(t.name)
        else:
            stack.extend(t._ctx.parents)
    return names


def test_diagrams_name_the_tensors_the_functions_make():
    x = Tensor(VOL, requires_grad=True, name="x")
    names = leaves_named(F.adaptive_avg_pool3d(x, (2, 3, 2)).sum())
    assert names.count("window sizes") == 3 and None not in names, names  # (one per axis)
    w = Tensor(W3, requires_grad=True, name="w")
    for out in (F.conv3d(VOL[0], w, groups=2), F.conv_transpose3d(VOL[0], Tensor(
            WT3, requires_grad=True, name="w"))):  # a constant input: a batch of one made
        assert {"input (as a batch of one)", "input (positions as columns)"} & set(
            leaves_named(out.sum()))
    padded = nn.Conv3d(4, 2, 3, padding=1, padding_mode="circular")(VOL)
    assert "input padded (circular)" in leaves_named(padded.sum())


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv3d(VOL[0, 0], W3), ValueError,
     r"^conv3d: expected a batch of volumes of shape \(batch, channels, depth, height, width\) "
     r"or one volume \(channels, depth, height, width\), got shape \(3, 4, 5\)$"),
    (lambda: F.conv3d(VOL, W3), ValueError,
     r"^conv3d: weight of shape \(6, 2, 2, 3, 2\) must be \(out_channels, in_channels, kd, "
     r"kh, kw\) with in_channels = the input's 4 \(input shape \(2, 4, 3, 4, 5\)\)$"),
    (lambda: F.conv3d(VOL, W3, groups=2, stride=(1, 2)), ValueError,
     r"^conv3d: stride must be an int or 3 ints >= 1, got \(1, 2\)$"),
    (lambda: F.conv3d(VOL, W3, groups=2, dilation=3), ValueError,
     r"^conv3d: a kernel of \(2, 3, 2\) dilated by \(3, 3, 3\) \(spanning \(4, 7, 4\)\) does "
     r"not fit a volume of \(3, 4, 5\)"),
    (lambda: F.conv3d(VOL, W3, np.ones(5), groups=2), ValueError,
     r"^conv3d: bias of shape \(5,\) must be \(6,\), one per output channel"),
    (lambda: F.conv3d(VOL, W3, padding="same", stride=2, groups=2), ValueError,
     r"^conv3d: padding='same' needs stride 1"),
    (lambda: F.conv2d(VOL[0, 0, 0], W3[:, :, 0]), ValueError,
     r"^conv2d: expected a batch of images .* or one image \(channels, height, width\), got "
     r"shape \(4, 5\)$"),
    (lambda: F.max_pool3d(VOL, 4), ValueError,
     r"^max_pool3d: a kernel of \(4, 4, 4\) does not fit a volume of \(3, 4, 5\)"),
    (lambda: F.max_pool3d(VOL, 2, padding=(1, 2, 1)), ValueError,
     r"^max_pool3d: padding \(1, 2, 1\) must be at most half the kernel \(2, 2, 2\)"),
    (lambda: F.max_pool3d(VOL, 2, return_indices=1), TypeError,
     r"^max_pool3d: return_indices must be True or False"),
    (lambda: F.avg_pool3d(VOL, (2, 2)), ValueError,
     r"^avg_pool3d: kernel_size must be an int or 3 ints >= 1, got \(2, 2\)$"),
    (lambda: F.avg_pool3d(VOL, 2, divisor_override=0), ValueError,
     r"^avg_pool3d: divisor_override must not be 0"),
    (lambda: F.adaptive_avg_pool3d(VOL, (2, 2)), ValueError,
     r"^adaptive_avg_pool3d: output_size must be an int >= 1 or 3 of them \(None keeps the "
     r"input's size\), got \(2, 2\)$"),
    (lambda: F.adaptive_max_pool3d(VOL[0, 0], 2), ValueError,
     r"^adaptive_max_pool3d: expected input of shape \(batch, C, depth, height, width\) or "
     r"\(C, depth, height, width\)"),
    (lambda: F.lp_pool3d(VOL[0, 0], 2, 2), ValueError,
     r"^lp_pool3d: expected a batch of volumes"),
    (lambda: F.max_unpool3d(VOL, np.full(VOL.shape, 480), 2), RuntimeError,
     r"^max_unpool3d: index 480 is outside the output of depth, height, width \(6, 8, 10\) "
     r"\(0 to 479\)$"),
    (lambda: F.max_unpool3d(VOL, np.zeros(VOL.shape, int), 2, output_size=(6, 8)),
     ValueError, r"^max_unpool3d: output size \(6, 8\) is not possible"),
    (lambda: F.conv_transpose3d(VOL, WT3, output_padding=1), ValueError,
     r"^conv_transpose3d: output_padding \(1, 1, 1\) must be smaller than the stride"),
    (lambda: F.conv_transpose3d(VOL, WT3[:3]), ValueError,
     r"^conv_transpose3d: weight of shape \(3, 3, 2, 2, 3\) takes 3 input channels, but the "
     r"input of shape \(2, 4, 3, 4, 5\) has 4 \(axis 1\)$"),
    (lambda: nn.Conv3d(4, 6, 2.5), TypeError,
     r"^Conv3d: kernel_size must be an int or 3 ints, got float 2.5$"),
    (lambda: nn.Conv3d(4, 6, 2, groups=4), ValueError,
     r"^Conv3d: groups=4 must be >= 1 and divide in_channels=4 and out_channels=6$"),
    (lambda: nn.Conv3d(4, 6, 2, stride=2, padding="same"), ValueError,
     r"^Conv3d: padding='same' needs stride 1"),
    (lambda: nn.Conv3d(3, 6, 2)(VOL), ValueError,
     r"^conv3d: weight of shape \(6, 3, 2, 2, 2\) must be .* the input's 4"),
    (lambda: nn.MaxPool3d((2, 2)), ValueError,
     r"^MaxPool3d: kernel_size must be an int or 3 ints >= 1, got \(2, 2\)$"),
    (lambda: nn.AvgPool3d("a"), TypeError,
     r"^AvgPool3d: kernel_size must be an int or 3 ints, got str 'a'$"),
    (lambda: nn.AdaptiveAvgPool3d((1, 2)), ValueError,
     r"^AdaptiveAvgPool3d: output_size must be an int >= 1 or 3 of them"),
    (lambda: nn.AdaptiveMaxPool3d(2, return_indices="yes"), TypeError,
     r"^AdaptiveMaxPool3d: return_indices must be True or False"),
    (lambda: nn.LPPool3d(0, 2), ValueError, r"^LPPool3d: norm_type must be a non-zero number"),
    (lambda: nn.MaxUnpool3d((2, 2)), ValueError,
     r"^MaxUnpool3d: kernel_size must be an int or 3 ints >= 1, got \(2, 2\)$"),
    (lambda: nn.ConvTranspose3d(4, 2, 2)(VOL, output_size=(9, 9, 9)), ValueError,
     r"^ConvTranspose3d\(4, 2, .*\): output_size \(9, 9, 9\) is out of reach"),
])
def test_bad_input_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message) as raised:
        call()
    assert "\n" not in str(raised.value)

"""The audit of the convolution, pooling and padding options, mended: what a user porting
PyTorch code met.

Conv1d/Conv2d take `device` and `dtype` in PyTorch's positions; ConstantPad1d/2d and
ZeroPad2d crop by negative padding as PyTorch's (and as the other padding layers), and
the zero pads are constant pads, as PyTorch's classes; the 2-d pools take an unbatched
(channels, height, width) image; conv2d and the 2-d pools take PyTorch's `input=`; the
errors of max_pool1d and the LP pools name the function called, in its own terms; an LP
pool's norm_type of 0 is refused when the layer is built. Against torch 2.13 where it
is installed, gradcheck in float64 and float32 kept without it.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(2029)
IMG = RNG.uniform(-2, 2, (2, 3, 5, 6))  # (batch, channels, height, width): no ties


def _agree(ours, theirs, x: np.ndarray) -> None:
    """ours(x) equals theirs(torch x), indices too, and so does x's gradient."""
    torch = pytest.importorskip("torch")
    mine, reference = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(mine), theirs(reference)
    outs = out if isinstance(out, tuple) else (out,)
    expecteds = expected if isinstance(expected, tuple) else (expected,)
    for part, other in zip(outs, expecteds, strict=True):
        assert part.shape == tuple(other.shape)
        np.testing.assert_allclose(part.data, other.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(0).standard_normal(outs[0].shape)
    (outs[0] * weights).sum().backward()
    (expecteds[0] * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ device and dtype


@pytest.mark.torch
@pytest.mark.parametrize("name", ["Conv1d", "Conv2d"])
def test_conv_layers_take_pytorchs_arguments_in_its_order(name):
    torch = pytest.importorskip("torch")
    theirs = list(inspect.signature(getattr(torch.nn, name)).parameters.values())
    ours = [p for p in inspect.signature(getattr(nn, name)).parameters.values()
            if p.kind is not p.KEYWORD_ONLY]  # (seed=, generator=: ours, by keyword only)
    assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]


def test_conv_layers_read_a_device_and_a_dtype_given_by_position():
    for layer in (nn.Conv2d(2, 4, 3, 1, 0, 1, 1, True, "zeros", "cpu", np.float32),
                  nn.Conv1d(2, 4, 3, 1, 0, 1, 1, False, "zeros", None, "float32", seed=0)):
        assert all(p.dtype == np.float32 for p in layer.parameters())
    with pytest.raises(TypeError, match=r"^Conv2d: expected the device 'cpu', got str 'cuda'"):
        nn.Conv2d(2, 4, 3, 1, 0, 1, 1, True, "zeros", "cuda")


# ------------------------------------------------------------------ constant padding layers


CONSTANT_PADS = [("ConstantPad1d", ((1, -2), 2.5), (2, 3, 5)), ("ConstantPad1d", (-1, 0.0), (4,)),
                 ("ConstantPad2d", (-1, -1.0), (2, 3, 4)),
                 ("ConstantPad2d", ((2, -1, -3, 1), 0.5), (3, 4, 5)),
                 ("ZeroPad2d", ((1, -1, 2, -2),), (2, 2, 5, 4)), ("ZeroPad2d", (-2,), (5, 6))]


@pytest.mark.torch
@pytest.mark.parametrize("name, arguments, shape", CONSTANT_PADS)
def test_constant_pad_layers_crop_by_negative_padding_as_pytorchs(name, arguments, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*arguments), getattr(torch.nn, name)(*arguments)
    assert repr(ours) == repr(theirs) and ours.padding == theirs.padding
    _agree(ours, theirs, RNG.uniform(-2, 2, shape))


@pytest.mark.parametrize("name, arguments, shape", CONSTANT_PADS)
def test_constant_pad_layers_pass_gradcheck_and_keep_float32(name, arguments, shape):
    layer = getattr(nn, name)(*arguments)
    assert tg.gradcheck(layer, [Tensor(RNG.uniform(-2, 2, shape), requires_grad=True)])
    assert layer(RNG.uniform(-2, 2, shape).astype(np.float32)).dtype == np.float32


PAD_LAYERS = [f"{kind}Pad{n}d" for kind in ("Reflection", "Replication", "Circular",
                                            "Constant", "Zero") for n in (1, 2, 3)]


def test_zero_pads_are_constant_pads_as_pytorchs_classes():
    for n in (1, 2, 3):
        zero, constant = getattr(nn, f"ZeroPad{n}d"), getattr(nn, f"ConstantPad{n}d")
        assert isinstance(zero(1), constant) and zero(1).value == 0.0
        assert not isinstance(constant(1, 2.0), zero)
    assert not isinstance(nn.ReflectionPad2d(1), nn.ReflectionPad1d)  # 2-d is not 1-d


@pytest.mark.torch
def test_padding_layers_subclass_each_other_as_pytorchs():
    torch = pytest.importorskip("torch")
    for name in PAD_LAYERS:
        for other in PAD_LAYERS:
            assert issubclass(getattr(nn, name), getattr(nn, other)) == issubclass(
                getattr(torch.nn, name), getattr(torch.nn, other)), (name, other)


@pytest.mark.parametrize("call, message", [
    (lambda: nn.ConstantPad2d(1, 0.0)(np.ones(3)),
     r"^ConstantPad2d\(padding=\(1, 1, 1, 1\), value=0.0\): pads 2 axes, but the input of "
     r"shape \(3,\) has 1$"),
    (lambda: nn.ZeroPad2d((1, -3, 0, 0))(np.ones((2, 2))),
     r"^pad: negative pads crop more than the whole axis: pads \(1, -3\) for axis 1 of size 2"),
])
def test_constant_pad_layers_refuse_as_pytorch_does(call, message):
    with pytest.raises(RuntimeError, match=message) as caught:  # (PyTorch's type)
        call()
    assert "\n" not in str(caught.value)


# ------------------------------------------------------------------ unbatched images, input=


@pytest.mark.torch
@pytest.mark.parametrize("call", [  # (f: F or torch's, m: nn or torch.nn)
    lambda f, m, x: f.max_pool2d(x, 2, 1, 1, 2, True, True),
    lambda f, m, x: f.max_pool2d_with_indices(x, (2, 3)),
    lambda f, m, x: f.avg_pool2d(x, 3, 2, 1, True, False, None),
    lambda f, m, x: f.lp_pool2d(x.abs() + 0.1, 2.5, (2, 3), 1, True),
    lambda f, m, x: m.MaxPool2d(2, return_indices=True)(x),
    lambda f, m, x: m.AvgPool2d(2, 1, 1, count_include_pad=False)(x),
    lambda f, m, x: m.LPPool2d(2, 2)(x.abs() + 0.1),
])
def test_2d_pools_take_an_unbatched_image_as_pytorchs(call):
    torch = pytest.importorskip("torch")
    _agree(lambda x: call(F, nn, x), lambda x: call(torch.nn.functional, torch.nn, x), IMG[0])


def test_2d_pools_of_an_unbatched_image_are_those_of_a_batch_of_one():
    for pool in (lambda x: tg.max_pool2d(x, 2, 1, 1), lambda x: tg.avg_pool2d(x, (2, 3), 2),
                 lambda x: F.lp_pool2d(x.abs() + 0.1, 3, 2)):
        single = pool(Tensor(IMG[0]))
        np.testing.assert_array_equal(single.data, pool(Tensor(IMG[:1])).data[0])
        assert tg.gradcheck(pool, [Tensor(IMG[0, :2], requires_grad=True)])
        assert pool(Tensor(IMG[0].astype(np.float32))).dtype == np.float32


@pytest.mark.torch
@pytest.mark.parametrize("call", [
    lambda f, x, w: f.conv2d(input=x, weight=w, stride=2),
    lambda f, x, w: f.max_pool2d(input=x, kernel_size=2, padding=1),
    lambda f, x, w: f.avg_pool2d(input=x, kernel_size=3, stride=1),
])
def test_conv2d_and_the_2d_pools_take_pytorchs_input_keyword(call):
    torch = pytest.importorskip("torch")
    weight = RNG.uniform(-1, 1, (4, 3, 2, 2))
    _agree(lambda x: call(F, x, weight),
           lambda x: call(torch.nn.functional, x, torch.tensor(weight)), IMG)


# ------------------------------------------------------------------ errors naming the function


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.max_pool1d(np.zeros((2, 3, 1)), 3, 3, 1, 2, True), ValueError,
     r"^max_pool1d: with dilation 2 and padding 1, a window of the kernel_size 3 holds only "
     r"padding \(input shape \(2, 3, 1\)\); use less padding or a smaller dilation$"),
    (lambda: F.max_pool2d(np.zeros((1, 1, 2, 2)), 2, 1, 1, 3), ValueError,
     r"^max_pool2d: with dilation \(3, 3\) and padding \(1, 1\), a window of the kernel "
     r"\(2, 2\) holds only padding \(input shape \(1, 1, 2, 2\)\); use less padding or a "
     r"smaller dilation$"),
    (lambda: F.lp_pool2d(np.ones((1, 1, 3, 3)), 2, 4), ValueError,
     r"^lp_pool2d: a kernel of \(4, 4\) does not fit an image of \(3, 3\) padded by \(0, 0\)$"),
    (lambda: F.lp_pool1d(np.ones((1, 1, 3)), 2, 4), ValueError,
     r"^lp_pool1d: a kernel of length 4 does not fit the input's length 3 padded by 0"),
    (lambda: F.lp_pool2d(np.ones((1, 1, 3, 3)), 2, 2, ceil_mode="no"), TypeError,
     r"^lp_pool2d: ceil_mode must be True or False, got str 'no'$"),
    (lambda: F.lp_pool2d(np.ones((3, 3)), 2, 2), ValueError,
     r"^lp_pool2d: expected a batch of images of shape \(batch, channels, height, width\) or "
     r"one image \(channels, height, width\), got shape \(3, 3\)$"),
    (lambda: nn.LPPool2d(0, 2), ValueError,
     r"^LPPool2d: norm_type must be a non-zero number, got 0$"),
    (lambda: nn.LPPool1d(float("nan"), 2), ValueError,
     r"^LPPool1d: norm_type must be a non-zero number, got nan$"),
    (lambda: F.max_unpool2d(np.ones((1, 1, 2, 2)), [[[[0, 1], [2]]]], 2), ValueError,
     r"^max_unpool2d: indices '\[\[\[\[0, 1\], \[2\]\]\]\]' is a ragged list"),
    (lambda: F.avg_pool2d(np.ones((2, 2)), 2), ValueError,
     r"^avg_pool2d: expected a batch of images of shape \(batch, channels, height, width\) or "
     r"one image \(channels, height, width\), got shape \(2, 2\)$"),
])
def test_errors_name_the_function_called_in_its_own_terms(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_an_input_padded_by_the_layers_padding_mode_is_named_in_the_diagram():
    # the pad of an input without a graph is a new leaf: unnamed, it was drawn as the
    # user's "input" with the padded shape (1, 1, 6, 6) beside the 4 x 4 image given
    for layer, shape in ((nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), (1, 1, 4, 4)),
                         (nn.Conv1d(1, 2, 3, padding=1, padding_mode="circular"), (1, 1, 5))):
        x = tg.tensor(np.arange(float(np.prod(shape))).reshape(shape))
        source = tg.draw_graph(layer(x).sum()).source
        mode = layer.padding_mode
        assert f"input padded ({mode})" in source
        x.name = "image"
        assert f"image padded ({mode})" in tg.draw_graph(layer(x).sum()).source
        assert x.name == "image"  # the user's own tensor keeps its name
        y = tg.tensor(np.ones(shape), requires_grad=True)
        assert layer(y).grad_fn is not None and y.name is None  # in the graph: not renamed


def test_a_sequence_a_1d_layer_runs_as_an_image_is_named_with_its_unit_height():
    # (from earlier notes: a Conv1d's input without a gradient was drawn as "input" of
    # shape (batch, C, 1, length), the unit height the 2-d op needs)
    x = tg.tensor(np.arange(10.0).reshape(1, 2, 5))
    source = tg.draw_graph(nn.Conv1d(2, 3, 3)(x).sum()).source
    assert "input (as an image of height 1)</B>&#160;(1, 2, 1, 5)" in source
    assert "<I>input</I>&#160;(1, 2, 1, 5)" not in source

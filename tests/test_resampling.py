"""Resampling (nn/resampling.py): `F.interpolate` in every mode, `F.pixel_shuffle`,
`F.pixel_unshuffle` and the layers `Upsample`, `UpsamplingNearest2d`,
`UpsamplingBilinear2d`, `PixelShuffle`, `PixelUnshuffle`.

Outputs and input gradients equal PyTorch's over many sizes and scales (up and down,
non-integer scales, sizes of 1, align_corners both ways, recomputed scales), float32 kept
(and rounded as PyTorch rounds it); gradients equal finite differences (`tg.gradcheck`,
float64); the edges (an empty batch, one-entry axes, an unchanged size, inf); and each bad
argument refused in one line naming the function.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.engine import toposort
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(23)
SCALES = (0.5, 0.6, 1.0, 1.1, 4 / 3, 1.5, 2.0, 2.2, 2.5, 3.0, 1 / 3)


def interpolated(x, weights=None, torch=None, **options):
    """(output, input gradient) of interpolate on the array x, by tinygrad_gd or by
    PyTorch (`torch` the module), the output weighted by `weights` (default: random)."""
    if torch is None:
        leaf = Tensor(x, requires_grad=True)
        out = F.interpolate(leaf, **options)
        w = RNG.standard_normal(out.shape).astype(x.dtype) if weights is None else weights
        (out * Tensor(w)).sum().backward()
        return out.data, leaf.grad.data, w
    leaf = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.interpolate(leaf, **options)
    (out * torch.tensor(weights)).sum().backward()
    return out.detach().numpy(), leaf.grad.numpy(), weights


def bicubic_backward_copies(x, out, options):
    """PyTorch's bicubic backward copies the gradient where no size changes, though its
    forward interpolates there when a scale_factor other than 1 is given (5 * 1.1 -> 5):
    its gradient is not its output's there; ours is (test_gradient_where_pytorch_...)."""
    scale = options.get("scale_factor")
    return (options.get("mode") == "bicubic" and x.shape == out.shape and scale is not None
            and not options.get("recompute_scale_factor") and np.any(np.array(scale) != 1))


def agree_with_torch(x, rtol=1e-10, **options):
    torch = pytest.importorskip("torch")
    out, grad, w = interpolated(x, **options)
    expected, expected_grad, _ = interpolated(x, w, torch, **options)
    assert out.shape == expected.shape and out.dtype == x.dtype == grad.dtype, options
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol, err_msg=str(options))
    if options.get("mode", "nearest").startswith("nearest"):
        # PyTorch's 1-d and 3-d nearest backward kernels pick entries by other rules than
        # its forward kernels (an unchanged size copied, float32 positions): the gradient
        # of its output is each output's weight added to the entry it copies
        numbered = np.arange(x.size, dtype=x.dtype).reshape(x.shape)
        copied = interpolated(numbered, w, torch, **options)[0].astype(np.int64)
        expected_grad = np.zeros(x.size, x.dtype)
        np.add.at(expected_grad, copied.ravel(), w.ravel())
        expected_grad = expected_grad.reshape(x.shape)
    if not bicubic_backward_copies(x, out, options):
        np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=rtol,
                                   err_msg=str(options))


def one_axis_cases(mode):
    """(length, options) pairs: sizes and scales up and down, lengths 1 to 8."""
    aligns = (False, True) if mode == "linear" else (None,)
    for n, align in itertools.product((1, 2, 3, 5, 8), aligns):
        for size in (1, 2, 3, 4, 7, 13):
            yield n, dict(size=size, mode=mode, align_corners=align)
        for s in SCALES:
            if math.floor(n * s) >= 1:
                yield n, dict(scale_factor=s, mode=mode, align_corners=align)
                if mode != "area":
                    yield n, dict(scale_factor=s, mode=mode, align_corners=align,
                                  recompute_scale_factor=True)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "area"])
def test_1d_interpolate_agrees_with_pytorch_on_many_lengths_and_scales(mode):
    for n, options in one_axis_cases(mode):
        agree_with_torch(RNG.standard_normal((2, 3, n)), **options)


def two_axis_cases(mode):
    aligns = (False, True) if mode in ("bilinear", "bicubic") else (None,)
    shapes = ((1, 1), (1, 4), (4, 5), (3, 2), (6, 6))
    for (h, w), align in itertools.product(shapes, aligns):
        for size in ((1, 1), (2, 9), (7, 3), (h, w), (2 * h, w + 1)):
            yield (h, w), dict(size=size, mode=mode, align_corners=align)
        for scale in ((1.5, 0.6), (2.0, 2.0), 1.1, (1 / 3, 2.5), 0.5, 2.2):
            pair = scale if isinstance(scale, tuple) else (scale, scale)
            if min(math.floor(n * s) for n, s in zip((h, w), pair)) >= 1:
                yield (h, w), dict(scale_factor=scale, mode=mode, align_corners=align)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
def test_2d_interpolate_agrees_with_pytorch_on_many_sizes_and_scales(mode):
    for (h, w), options in two_axis_cases(mode):
        agree_with_torch(RNG.standard_normal((2, 2, h, w)), **options)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "trilinear", "area"])
def test_3d_interpolate_agrees_with_pytorch(mode):
    align = (None,) if mode != "trilinear" else (False, True)
    for a in align:
        for options in (dict(size=(2, 5, 3)), dict(scale_factor=(1.5, 0.7, 2.0)),
                        dict(size=1), dict(scale_factor=1.0), dict(size=(3, 1, 7))):
            agree_with_torch(RNG.standard_normal((2, 1, 3, 4, 5)), mode=mode,
                             align_corners=a, **options)


@pytest.mark.torch
def test_float32_stays_float32_and_is_rounded_as_pytorch_rounds_it():
    torch = pytest.importorskip("torch")
    # nearest: float32 positions pick other entries than float64 ones at some sizes
    # (4 -> 41 for nearest-exact, 6 -> 74 for nearest, among these), and PyTorch's 2-d
    # kernel rounds otherwise than its 1-d one: equal to PyTorch's
    for mode, n, ones in itertools.product(("nearest", "nearest-exact"), (2, 4, 6, 8),
                                           ((), (1,))):
        x = np.arange(n, dtype=np.float32).reshape((1, 1) + ones + (n,))
        for size in range(30, 80):
            out = F.interpolate(Tensor(x), ones + (size,), mode=mode)
            assert out.dtype == np.float32
            expected = torch.nn.functional.interpolate(torch.tensor(x), ones + (size,),
                                                       mode=mode)
            np.testing.assert_array_equal(out.data, expected.numpy(), err_msg=f"{mode} {size}")
    for mode, shape in (("linear", (2, 3, 5)), ("bilinear", (2, 2, 4, 5)),
                        ("bicubic", (2, 2, 4, 5)), ("trilinear", (1, 2, 3, 2, 4)),
                        ("area", (2, 2, 4, 5)), ("nearest", (2, 2, 4, 5))):
        x = RNG.standard_normal(shape).astype(np.float32)
        for options in (dict(scale_factor=1.7), dict(scale_factor=0.6),
                        dict(size=(7,) * (len(shape) - 2))):
            agree_with_torch(x, rtol=1e-5, mode=mode, **options)


def small_cases():
    """One case per mode and kind of resampling, for the finite differences."""
    yield (2, 3, 4), dict(size=7, mode="linear")
    yield (2, 3, 4), dict(scale_factor=0.6, mode="linear", align_corners=True)
    yield (1, 2, 3, 4), dict(scale_factor=(1.5, 0.7), mode="bilinear")
    yield (1, 2, 3, 4), dict(size=(5, 2), mode="bilinear", align_corners=True)
    yield (1, 1, 4, 3), dict(scale_factor=1.7, mode="bicubic")
    yield (1, 1, 4, 3), dict(size=(2, 6), mode="bicubic", align_corners=True)
    yield (1, 1, 2, 3, 2), dict(size=(3, 2, 3), mode="trilinear")
    yield (2, 2, 5), dict(size=3, mode="area")
    yield (1, 2, 5, 3), dict(scale_factor=(0.7, 1.0), mode="area")
    yield (1, 1, 3, 2, 3), dict(size=(2, 1, 2), mode="area")
    yield (1, 2, 3, 5), dict(scale_factor=(1.7, 0.4), mode="nearest")
    yield (1, 2, 3, 5), dict(size=(4, 9), mode="nearest-exact")
    yield (1, 1, 2, 2, 3), dict(scale_factor=1.5, mode="nearest")


@pytest.mark.parametrize("shape, options", list(small_cases()))
def test_interpolate_passes_gradcheck(shape, options):
    x = Tensor(RNG.standard_normal(shape), requires_grad=True)
    assert tg.gradcheck(lambda t: F.interpolate(t, **options), [x])


@pytest.mark.parametrize("shape, options", [
    ((1, 2, 5), dict(scale_factor=1.1, mode="nearest")),
    ((1, 2, 3), dict(scale_factor=2.2, mode="nearest")),
    ((1, 1, 5, 5), dict(scale_factor=1.1, mode="bicubic"))])
def test_gradient_where_pytorch_copies_is_the_gradient_of_the_output(shape, options):
    # 5 * 1.1 -> 5 (and 3 * 2.2 -> 6): PyTorch's forward reads positions i / 1.1 (i / 2.2)
    # there, its backward i (i // 2); ours differentiates the output as it is
    x = Tensor(RNG.standard_normal(shape), requires_grad=True)
    out = F.interpolate(x, **options)
    assert out.shape[2:] == tuple(math.floor(n * options["scale_factor"]) for n in shape[2:])
    assert tg.gradcheck(lambda t: F.interpolate(t, **options), [x])


# ------------------------------------------------------------------ edges


def test_an_empty_batch_gives_an_empty_output_and_gradient():
    for mode in ("nearest", "bilinear", "bicubic", "area"):
        x = Tensor(np.zeros((0, 2, 3, 4)), requires_grad=True)
        out = F.interpolate(x, scale_factor=2.5, mode=mode)
        assert out.shape == (0, 2, 7, 10)
        out.sum().backward()
        assert x.grad.shape == (0, 2, 3, 4)


def test_one_entry_axes_are_spread_and_size_1_outputs_read_the_right_entry():
    x = RNG.standard_normal((1, 2, 1, 1))
    for mode in ("nearest", "nearest-exact", "bilinear", "bicubic", "area"):
        out = F.interpolate(Tensor(x), size=(3, 4), mode=mode)
        np.testing.assert_allclose(out.data, np.broadcast_to(x, (1, 2, 3, 4)), rtol=1e-12)
    x = np.arange(5.0).reshape(1, 1, 5)
    for mode, align, entry in (("nearest", None, 0), ("nearest-exact", None, 2),
                               ("linear", True, 0), ("linear", False, 2), ("area", None, 2)):
        out = F.interpolate(Tensor(x), 1, mode=mode, align_corners=align)
        assert out.data.item() == entry, mode


def test_an_unchanged_size_gives_a_copy_not_the_input():
    x = Tensor(RNG.standard_normal((1, 2, 3, 4)), requires_grad=True)
    for mode in ("nearest", "bilinear", "bicubic"):
        out = F.interpolate(x, size=(3, 4), mode=mode)
        assert out is not x
        np.testing.assert_allclose(out.data, x.data, rtol=1e-15)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_inf_and_nan_spread_as_in_pytorch_only_to_the_outputs_that_read_them():
    torch = pytest.importorskip("torch")
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    x[0, 0, 1, 2], x[0, 0, 3, 0] = np.inf, np.nan
    for mode, align in (("nearest", None), ("bilinear", False), ("bilinear", True),
                        ("bicubic", False)):
        out = F.interpolate(Tensor(x), size=(6, 7), mode=mode, align_corners=align).data
        expected = torch.nn.functional.interpolate(torch.tensor(x), size=(6, 7), mode=mode,
                                                   align_corners=align).numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-14)  # (inf and NaN where PyTorch's)
        assert np.isfinite(out).any() and not np.isfinite(out).all()
    # align_corners=True from 5 to 3 columns reads every second column alone: no tap
    # weighted 0 adds an inf times 0 (PyTorch's: NaN there)
    out = F.interpolate(Tensor(x), size=(4, 3), mode="bicubic", align_corners=True)
    np.testing.assert_array_equal(out.data, x[..., ::2])


def test_nearest_keeps_an_integer_dtype_and_the_interpolating_modes_refuse_it():
    x = np.arange(12).reshape(1, 1, 3, 4)
    out = F.interpolate(tg.as_tensor(x), scale_factor=2)
    assert out.dtype == np.int64 and (out.data == x.repeat(2, 2).repeat(2, 3)).all()
    with pytest.raises(NotImplementedError, match=r"interpolate: mode='bilinear' needs a "
                       r"floating point input, got dtype int64; .*double\(\)"):
        F.interpolate(tg.as_tensor(x), scale_factor=2, mode="bilinear")


def test_the_weights_are_named_for_diagrams_and_nothing_returned_is():
    x = Tensor(RNG.standard_normal((1, 1, 3, 4)), requires_grad=True, name="x")
    out = F.interpolate(x, scale_factor=1.5, mode="bilinear")
    leaves = {t.name for t in toposort(out, every=True) if t.is_leaf}
    assert leaves == {"x"} | {f"bilinear weights, {axis}, tap {j}" for axis in
                              ("height", "width") for j in (0, 1)}
    assert out.name is None
    out = F.pixel_shuffle(Tensor(RNG.standard_normal((1, 4, 2, 2)), requires_grad=True,
                                 name="y"), 2)
    assert {t.name for t in toposort(out, every=True) if t.is_leaf} == {"y"}


# ------------------------------------------------------------------ pixel shuffle


@pytest.mark.torch
@pytest.mark.parametrize("shape, r", [((2, 8, 3, 2), 2), ((9, 2, 3), 3), ((1, 2, 4, 1, 2), 2),
                                      ((2, 3, 2, 2), 1)])
def test_pixel_shuffle_and_unshuffle_agree_with_pytorch_and_undo_each_other(shape, r):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    for ours, theirs, arr in (
            (F.pixel_shuffle, torch.nn.functional.pixel_shuffle, x),
            (F.pixel_unshuffle, torch.nn.functional.pixel_unshuffle,
             torch.nn.functional.pixel_shuffle(torch.tensor(x), r).numpy())):
        leaf, reference = Tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
        out, expected = ours(leaf, r), theirs(reference, r)
        np.testing.assert_array_equal(out.data, expected.detach().numpy())
        w = RNG.standard_normal(out.shape)
        (out * w).sum().backward()
        (expected * torch.tensor(w)).sum().backward()
        np.testing.assert_array_equal(leaf.grad.data, reference.grad.numpy())
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, r), r).data, x)


@pytest.mark.parametrize("shape", [(0, 4, 2, 3), (2, 0, 2, 3)])
def test_pixel_shuffle_of_an_empty_input_is_empty_of_the_shape_it_would_have(shape):
    # (PyTorch's pixel_unshuffle returns these unchanged, and its backward raises)
    x = Tensor(np.zeros(shape), requires_grad=True)
    out = F.pixel_shuffle(x, 2)
    assert out.shape == shape[:1] + (shape[1] // 4, 4, 6)
    back = F.pixel_unshuffle(out, 2)
    assert back.shape == shape
    back.sum().backward()
    assert x.grad.shape == shape


def test_pixel_shuffle_passes_gradcheck_and_keeps_dtypes():
    x = Tensor(RNG.standard_normal((1, 4, 2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda t: F.pixel_shuffle(t, 2), [x])
    assert tg.gradcheck(lambda t: F.pixel_unshuffle(t, 1), [x])
    assert F.pixel_shuffle(tg.as_tensor(np.arange(8).reshape(2, 2, 2)), 1).dtype == np.int64
    assert F.pixel_unshuffle(x.float(), 2 - 1).dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.pixel_shuffle(np.zeros((4, 2)), 2), RuntimeError,
     r"pixel_shuffle: expected input of at least 3 dimensions \(\*, C \* upscale_factor\*\*2,"
     r" H, W\), got shape \(4, 2\)"),
    (lambda: F.pixel_shuffle(np.zeros((1, 8, 2, 2)), 3), RuntimeError,
     r"pixel_shuffle: the input's channels \(8, axis -3 of shape \(1, 8, 2, 2\)\) must be "
     r"divisible by upscale_factor\*\*2 = 9"),
    (lambda: F.pixel_shuffle(np.zeros((1, 4, 2, 2)), 0), RuntimeError,
     r"pixel_shuffle: upscale_factor must be a positive int, got 0"),
    (lambda: F.pixel_shuffle(np.zeros((1, 4, 2, 2)), 2.0), TypeError,
     r"pixel_shuffle: upscale_factor must be an int, got float 2.0"),
    (lambda: F.pixel_unshuffle(np.zeros((1, 1, 3, 4)), 2), RuntimeError,
     r"pixel_unshuffle: the input's height \(3, shape \(1, 1, 3, 4\)\) must be divisible by "
     r"downscale_factor 2"),
    (lambda: F.pixel_unshuffle(np.zeros((1, 1, 4, 3)), 2), RuntimeError,
     r"pixel_unshuffle: the input's width \(3"),
    (lambda: F.pixel_unshuffle(np.zeros((1, 1, 4, 4)), True), TypeError,
     r"pixel_unshuffle: downscale_factor must be an int, got bool True"),
    (lambda: nn.PixelShuffle(-1), RuntimeError,
     r"PixelShuffle: upscale_factor must be a positive int, got -1"),
    (lambda: nn.PixelUnshuffle(2.5), TypeError,
     r"PixelUnshuffle: downscale_factor must be an int, got float 2.5"),
])
def test_pixel_shuffle_refuses_bad_input_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------ layers


@pytest.mark.torch
@pytest.mark.parametrize("make, shape", [
    (lambda nn: nn.Upsample(scale_factor=2), (1, 2, 3, 4)),
    (lambda nn: nn.Upsample(size=(5, 3), mode="bilinear"), (1, 2, 3, 4)),
    (lambda nn: nn.Upsample(scale_factor=(1.5, 0.5), mode="bicubic", align_corners=True),
     (1, 2, 3, 4)),
    (lambda nn: nn.Upsample(scale_factor=2.5, mode="linear", recompute_scale_factor=True),
     (2, 3, 4)),
    (lambda nn: nn.Upsample(size=[2, 3, 4], mode="trilinear"), (1, 1, 2, 2, 2)),
    (lambda nn: nn.Upsample(scale_factor=0.5, mode="area"), (1, 2, 4, 6)),
    (lambda nn: nn.UpsamplingNearest2d(size=3), (1, 2, 3, 4)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=(2, 3)), (1, 2, 3, 4)),
    (lambda nn: nn.UpsamplingBilinear2d(scale_factor=1.5), (1, 2, 3, 4)),
    (lambda nn: nn.PixelShuffle(2), (2, 4, 2, 3)),
    (lambda nn: nn.PixelUnshuffle(3), (2, 1, 3, 6)),
])
def test_layers_agree_with_pytorch_in_output_gradient_and_repr(make, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    x = RNG.standard_normal(shape)
    leaf, reference = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(leaf), theirs(reference)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    w = RNG.standard_normal(out.shape)
    (out * w).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert not list(ours.parameters())


def test_layers_keep_their_settings_as_pytorch_and_check_them_when_built():
    up = nn.Upsample(scale_factor=(2, 3))
    assert up.scale_factor == (2.0, 3.0) and up.size is None and up.mode == "nearest"
    bilinear = nn.UpsamplingBilinear2d(size=(4, 5))
    assert bilinear.align_corners is True and bilinear.mode == "bilinear"
    assert nn.Upsample(scale_factor=[2, 3]).scale_factor == (2.0, 3.0)  # (PyTorch: an error)
    for make, error, message in (
            (lambda: nn.Upsample(), ValueError, r"Upsample: either size or scale_factor"),
            (lambda: nn.Upsample(3, 2), ValueError, r"Upsample: only one of size or "),
            (lambda: nn.Upsample(scale_factor=0), RuntimeError,
             r"Upsample: scale_factor must be a finite number > 0, got 0"),
            (lambda: nn.Upsample(2, mode="nearest", align_corners=True), ValueError,
             r"Upsample: align_corners=True can only be set with the interpolating modes"),
            (lambda: nn.Upsample(2, mode="cubic"), NotImplementedError,
             r"Upsample: mode='cubic' is not a mode; use one of 'nearest'"),
            (lambda: nn.UpsamplingBilinear2d(size="3"), TypeError,
             r"UpsamplingBilinear2d: size must be an int or a tuple of them, got str '3'")):
        with pytest.raises(error, match=message):
            make()
    with pytest.raises(NotImplementedError, match=r"UpsamplingBilinear2d: mode='bilinear' "
                       r"needs 4-d input \(batch, channels, height, width\), got shape "):
        bilinear(np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match=r"Upsample: size=\(3, 3, 3\) has 3 entries, but the "
                       r"input has 2 spatial axes"):
        nn.Upsample((3, 3, 3))(np.zeros((1, 1, 2, 2)))


# ------------------------------------------------------------------ bad arguments

IMAGE = np.zeros((1, 1, 4, 5))


@pytest.mark.parametrize("options, error, message", [
    (dict(), ValueError, r"interpolate: either size or scale_factor should be defined"),
    (dict(size=3, scale_factor=2), ValueError,
     r"interpolate: only one of size or scale_factor should be defined, got size=3 and "
     r"scale_factor=2"),
    (dict(size=(3, 3, 3)), ValueError,
     r"interpolate: size=\(3, 3, 3\) has 3 entries, but the input has 2 spatial axes"),
    (dict(scale_factor=[2.0]), ValueError, r"interpolate: scale_factor=\[2.0\] has 1 entry, but"),
    (dict(size=3.0), TypeError, r"interpolate: size must be an int or a tuple of them, got "
                                r"float 3.0$"),
    (dict(size=(3, None)), TypeError, r"got NoneType None in \(3, None\)"),
    (dict(scale_factor="2"), TypeError, r"interpolate: scale_factor must be a number or a "
                                        r"tuple of them, got str '2'"),
    (dict(size=0), RuntimeError, r"interpolate: output sizes should be greater than 0, got "
                                 r"size=0"),
    (dict(scale_factor=-1.0), RuntimeError,
     r"interpolate: scale_factor must be a finite number > 0, got -1.0"),
    (dict(scale_factor=float("nan")), RuntimeError, r"finite number > 0, got nan"),
    (dict(scale_factor=0.1), RuntimeError,
     r"interpolate: input and output sizes should be greater than 0, but got input spatial "
     r"size \(4, 5\) and output size \(0, 0\) \(scale_factor=0.1\)"),
    (dict(scale_factor=1e300), RuntimeError, r"interpolate: the output size .* is too large"),
    (dict(size=3, recompute_scale_factor=True), ValueError,
     r"interpolate: recompute_scale_factor=True is not meaningful with an explicit size"),
    (dict(scale_factor=2, recompute_scale_factor=1), TypeError,
     r"interpolate: recompute_scale_factor must be True or False, got int 1"),
    (dict(size=3, align_corners=False), ValueError,
     r"interpolate: align_corners=False can only be set with the interpolating modes: "
     r"linear \| bilinear \| bicubic \| trilinear; leave it None for mode='nearest'"),
    (dict(size=3, mode="bilinear", align_corners=1), TypeError,
     r"interpolate: align_corners must be True or False, got int 1"),
    (dict(size=3, mode="cubic"), NotImplementedError,
     r"interpolate: mode='cubic' is not a mode; use one of 'nearest', 'nearest-exact', "
     r"'area', 'linear', 'bilinear', 'bicubic', 'trilinear'"),
    (dict(size=3, mode=None), TypeError, r"interpolate: mode must be a string, got NoneType"),
    (dict(size=3, mode="lanczos"), ValueError, r"interpolate: mode='lanczos' \(antialiased\) "
                                               r"is not supported"),
    (dict(size=3, mode="linear"), NotImplementedError,
     r"interpolate: mode='linear' needs 3-d input \(batch, channels, length\), got shape "
     r"\(1, 1, 4, 5\)"),
    (dict(size=3, mode="trilinear"), NotImplementedError,
     r"interpolate: mode='trilinear' needs 5-d input \(batch, channels, depth, height, "
     r"width\)"),
    (dict(size=3, antialias=True), ValueError,
     r"interpolate: antialias=True is restricted to the bilinear and bicubic modes and a "
     r"4-d input, got mode='nearest'"),
    (dict(size=3, mode="bilinear", antialias="no"), TypeError,
     r"interpolate: antialias must be True or False"),
])
def test_interpolate_refuses_bad_arguments_in_one_line(options, error, message):
    with pytest.raises(error, match=message):
        F.interpolate(IMAGE, **options)


def test_interpolate_refuses_bad_inputs_in_one_line():
    with pytest.raises(NotImplementedError, match=r"interpolate: expected 3-d, 4-d or 5-d "
                       r"input \(batch, channels, \*spatial\), got shape \(4, 5\); one "
                       r"\(height, width\) image needs input\[None, None\]"):
        F.interpolate(IMAGE[0, 0], size=3)
    with pytest.raises(NotImplementedError, match=r"got shape \(1, 1, 1, 1, 4, 5\)$"):
        F.interpolate(IMAGE[None, None], size=3)
    with pytest.raises(RuntimeError, match=r"interpolate: input and output sizes should be "
                       r"greater than 0, but got input spatial size \(0, 5\) and output size "
                       r"\(3, 3\)$"):
        F.interpolate(IMAGE[:, :, :0], size=3, mode="bilinear")
    with pytest.raises(NotImplementedError, match=r"interpolate: mode='bicubic' needs 4-d "):
        F.interpolate(IMAGE[0], size=3, mode="bicubic")

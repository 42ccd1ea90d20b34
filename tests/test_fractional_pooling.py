"""Tests of nn/fractional_pooling.py and nn/deprecated_functions.py: FractionalMaxPool2d/3d,
F.fractional_max_pool2d/3d (and the _with_indices forms), F.upsample, F.upsample_nearest,
F.upsample_bilinear.

The pools' windows, values, indices and gradients are compared with PyTorch's given the
same `_random_samples` (float64 and float32, batched and unbatched, NaN and tied maxima),
gradients checked with `tg.gradcheck` in float64; then the samples drawn from a
generator, the layers' buffer and state_dict, the edges and the errors of bad input.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(53)
IMG = RNG.standard_normal((2, 3, 9, 8))
VOL = RNG.standard_normal((2, 2, 6, 7, 6))
S2, S3 = RNG.random((2, 3, 2)), RNG.random((2, 2, 3))

POOLS = {2: F.fractional_max_pool2d, 3: F.fractional_max_pool3d}


def _torch_pool(torch, n: int):
    return {2: torch.nn.functional.fractional_max_pool2d,
            3: torch.nn.functional.fractional_max_pool3d}[n]


def _random_case(rng, n: int):
    """A shape, kernel, output size (PyTorch's 3-d pool asks output + kernel - 1 < input)
    and samples."""
    spatial = tuple(int(m) for m in rng.integers(3, 10, n))
    kernel = tuple(int(rng.integers(1, min(3, m - 1) + 1)) for m in spatial)
    out = tuple(int(rng.integers(1, m - k + 1 + (n == 2))) for m, k in zip(spatial, kernel))
    return spatial, kernel, out


@pytest.mark.torch
@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_windows_values_indices_and_gradients_are_pytorchs(n, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(n)
    for _ in range(25):
        spatial, kernel, out = _random_case(rng, n)
        x = rng.standard_normal((2, 3) + spatial).astype(dtype)
        x[0, 1].flat[rng.integers(x[0, 1].size)] = np.nan  # (a NaN is its window's maximum)
        x[1] = np.round(x[1])  # (tied maxima: the first, as PyTorch's)
        samples = rng.random((2, 3, n)).astype(dtype)
        ours = Tensor(x, requires_grad=True)
        values, indices = POOLS[n](ours, kernel, out, return_indices=True,
                                   _random_samples=samples)
        theirs = torch.tensor(x, requires_grad=True)
        expected, expected_indices = _torch_pool(torch, n)(
            theirs, kernel, out, return_indices=True, _random_samples=torch.tensor(samples))
        assert values.dtype == dtype and indices.dtype == np.int64
        np.testing.assert_array_equal(indices.data, expected_indices.numpy())
        np.testing.assert_array_equal(values.data, expected.detach().numpy())
        weights = rng.standard_normal(values.shape)
        (values * weights).sum().backward()
        (expected * torch.tensor(weights.astype(dtype))).sum().backward()
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-6)


@pytest.mark.torch
def test_unbatched_input_and_output_ratio_are_pytorchs():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    ours = F.fractional_max_pool2d_with_indices(IMG[0], (2, 3), output_ratio=(0.5, 0.75),
                                                _random_samples=S2[:1])
    theirs = TF.fractional_max_pool2d_with_indices(
        torch.tensor(IMG[0]), (2, 3), output_ratio=(0.5, 0.75),
        _random_samples=torch.tensor(S2[:1]))
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.data, b.numpy())
    ours = F.fractional_max_pool3d(VOL[1], 2, output_ratio=0.5, _random_samples=S3)
    theirs = TF.fractional_max_pool3d(torch.tensor(VOL[1]), 2, output_ratio=(0.5, 0.5, 0.5),
                                      _random_samples=torch.tensor(S3))
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    # output_size wins where both are given, as PyTorch's function has it
    both = F.fractional_max_pool2d(IMG, 2, 4, 0.5, _random_samples=S2)
    np.testing.assert_array_equal(both.data, TF.fractional_max_pool2d(
        torch.tensor(IMG), 2, 4, 0.5, _random_samples=torch.tensor(S2)).numpy())


@pytest.mark.torch
@pytest.mark.parametrize("n", [2, 3])
def test_layer_is_pytorchs_with_its_samples_buffer(n):
    torch = pytest.importorskip("torch")
    x, samples = (IMG, S2) if n == 2 else (VOL, S3)
    layer = getattr(nn, f"FractionalMaxPool{n}d")(2, 3, return_indices=True,
                                                   _random_samples=samples)
    twin = getattr(torch.nn, f"FractionalMaxPool{n}d")(
        2, 3, return_indices=True, _random_samples=torch.tensor(samples))
    assert list(layer.state_dict()) == list(twin.state_dict()) == ["_random_samples"]
    for a, b in zip(layer(x), twin(torch.tensor(x))):
        np.testing.assert_array_equal(a.data, b.numpy())
    empty = getattr(nn, f"FractionalMaxPool{n}d")(2, output_ratio=0.5)
    assert list(empty.state_dict()) == [] and empty.output_ratio == (0.5,) * n
    assert layer.kernel_size == (2,) * n and layer.output_size == (3,) * n


@pytest.mark.parametrize("n", [2, 3])
def test_gradcheck_through_overlapping_windows(n):
    x, samples = (IMG[:, :2, :6, :5], S2[:, :2]) if n == 2 else (VOL[:1, :, :4, :5, :4],
                                                                  S3[:1])
    kernel, out = (3, (3, 2)) if n == 2 else (2, (2, 3, 2))  # (windows overlapping)
    assert tg.gradcheck(lambda t: POOLS[n](t, kernel, out, _random_samples=samples),
                        [Tensor(x, requires_grad=True)])
    layer = getattr(nn, f"FractionalMaxPool{n}d")(kernel, out, _random_samples=samples)
    assert tg.gradcheck(layer, [Tensor(x, requires_grad=True)])


def test_tied_maxima_send_the_gradient_to_the_indexed_one():
    x = Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    values, indices = F.fractional_max_pool2d(x, 2, 2, return_indices=True,
                                              _random_samples=np.zeros((1, 1, 2)))
    values.sum().backward()
    expected = np.zeros(16)
    np.add.at(expected, indices.data.ravel(), 1.0)
    np.testing.assert_array_equal(x.grad.data.ravel(), expected)


def test_samples_drawn_from_the_generator_repeat_with_its_seed():
    first = F.fractional_max_pool2d(IMG, 2, 4, generator=np.random.default_rng(5))
    again = F.fractional_max_pool2d(IMG, 2, 4, generator=np.random.default_rng(5))
    np.testing.assert_array_equal(first.data, again.data)
    drawn = np.random.default_rng(5).random((2, 3, 2))  # (the draw: batch, C, axes)
    np.testing.assert_array_equal(
        first.data, F.fractional_max_pool2d(IMG, 2, 4, _random_samples=drawn).data)
    layer = nn.FractionalMaxPool3d(2, 3, seed=7)
    calls = [layer(VOL).data for _ in range(2)]
    twin = nn.FractionalMaxPool3d(2, 3, seed=7)
    np.testing.assert_array_equal(calls[1], [twin(VOL).data for _ in range(2)][1])
    tg.manual_seed(3)
    seeded = F.fractional_max_pool2d(IMG, 3, 5).data
    tg.manual_seed(3)
    np.testing.assert_array_equal(seeded, F.fractional_max_pool2d(IMG, 3, 5).data)


def test_edges_empty_batch_float32_and_a_window_per_position():
    empty = F.fractional_max_pool2d(np.zeros((0, 3, 5, 5)), 2, 3)
    assert empty.shape == (0, 3, 3, 3)
    nothing = F.fractional_max_pool2d(IMG, 2, (0, 3), _random_samples=S2)
    assert nothing.shape == (2, 3, 0, 3)
    small = F.fractional_max_pool2d(IMG.astype(np.float32), 2, 3)
    assert small.dtype == np.float32
    # a kernel of 1 and the input's size: the identity, whatever the samples
    np.testing.assert_array_equal(F.fractional_max_pool3d(VOL, 1, VOL.shape[2:]).data, VOL)
    # output + kernel - 1 == input (PyTorch's 3-d pool asks one less): windows one apart
    values = F.fractional_max_pool3d(VOL, 2, (5, 6, 5), _random_samples=S3)
    np.testing.assert_array_equal(values.data, F.max_pool3d(Tensor(VOL), 2, 1).data)


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.fractional_max_pool2d(IMG, 2), ValueError, "either an output_size or an "),
    (lambda: F.fractional_max_pool2d(IMG[0, 0], 2, 2), RuntimeError, "(batch, C, height, "),
    (lambda: F.fractional_max_pool3d(IMG[0], 2, 2), RuntimeError, "depth, height, width"),
    (lambda: F.fractional_max_pool2d(tg.ones((1, 1, 4, 4), dtype=tg.int64), 2, 2),
     RuntimeError,
     "floating point"),
    (lambda: F.fractional_max_pool2d(np.ones((1, 0, 4, 4)), 2, 2), RuntimeError,
     "non-empty channel"),
    (lambda: F.fractional_max_pool2d(IMG, 3, (8, 4)), RuntimeError,
     "a kernel of 3 and an output of 8 along the height need 10 entries, the input has 9"),
    (lambda: F.fractional_max_pool2d(IMG, 0, 2), ValueError, "kernel_size"),
    (lambda: F.fractional_max_pool2d(IMG, (2, 2, 2), 2), ValueError, "kernel_size"),
    (lambda: F.fractional_max_pool2d(IMG, 2.5, 2), TypeError, "got float 2.5"),
    (lambda: F.fractional_max_pool2d(IMG, 2, -1), ValueError, "output_size"),
    (lambda: F.fractional_max_pool2d(IMG, 2, output_ratio=(0.5, 0.5, 0.5)), ValueError,
     "output_ratio must be a number or 2 numbers"),
    (lambda: F.fractional_max_pool2d(IMG, 2, output_ratio=-0.5), ValueError, "output_ratio"),
    (lambda: F.fractional_max_pool2d(IMG, 2, 3, _random_samples=np.ones((2, 3, 3))),
     RuntimeError, "(at least 2, 3, 2)"),
    (lambda: F.fractional_max_pool2d(IMG, 2, 3, _random_samples=np.ones((1, 3, 2))),
     RuntimeError, "_random_samples of shape (1, 3, 2)"),
    (lambda: F.fractional_max_pool2d(IMG, 2, 3, _random_samples=S2.astype(np.float32)),
     RuntimeError, "the input's dtype float64"),
    (lambda: F.fractional_max_pool2d(IMG, 2, 3, _random_samples=S2 + 1.5), ValueError,
     "must lie in [0, 1]"),
    (lambda: F.fractional_max_pool2d(IMG, 2, 3, _random_samples=S2 * np.nan), ValueError,
     "must lie in [0, 1]"),
    (lambda: F.fractional_max_pool2d(IMG, 2, 3, return_indices=1), TypeError,
     "return_indices"),
    (lambda: nn.FractionalMaxPool2d(2), ValueError, "either an output size, or a pooling"),
    (lambda: nn.FractionalMaxPool2d(2, 3, 0.5), ValueError, "only one of output_size and "),
    (lambda: nn.FractionalMaxPool3d(2, output_ratio=(0.5, 1.0, 0.5)), ValueError,
     "between 0 and 1"),
])
def test_bad_input_is_refused_in_one_line(call, error, words):
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert words in message and "\n" not in message
    assert message.startswith(("fractional_max_pool", "FractionalMaxPool"))


# ------------------------------------------------------------------ the deprecated upsamples


@pytest.mark.torch
@pytest.mark.parametrize("name, call, options", [
    ("upsample", lambda F, x: F.upsample(x, scale_factor=2, mode="bilinear"),
     dict(scale_factor=2, mode="bilinear")),
    ("upsample", lambda F, x: F.upsample(x, (5, 7)), dict(size=(5, 7))),
    ("upsample_nearest", lambda F, x: F.upsample_nearest(x, scale_factor=2),
     dict(scale_factor=2, mode="nearest")),
    ("upsample_bilinear", lambda F, x: F.upsample_bilinear(x, (4, 6)),
     dict(size=(4, 6), mode="bilinear", align_corners=True)),
])
def test_upsample_warns_as_pytorch_and_gives_interpolates_values(name, call, options):
    torch = pytest.importorskip("torch")
    x = Tensor(IMG[:, :, :3, :4], requires_grad=True)
    with pytest.warns(UserWarning, match=rf"`nn.functional.{name}` is deprecated. Use "
                                         rf"`nn.functional.interpolate` instead.") as caught:
        out = call(F, x)
    assert caught[0].filename == __file__  # (the warning points at the caller)
    np.testing.assert_array_equal(out.data, F.interpolate(x, **options).data)
    theirs = torch.tensor(IMG[:, :, :3, :4], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = call(torch.nn.functional, theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.data, theirs.grad.numpy(), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tg.gradcheck(lambda t: call(F, t), [Tensor(IMG[:1, :1, :3, :4],
                                                          requires_grad=True)])

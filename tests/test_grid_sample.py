"""Sampling at arbitrary positions (nn/grid_sampling.py): `F.affine_grid` and
`F.grid_sample`, the spatial transformer network's sampler.

Outputs and the gradients of the input, the grid and theta equal PyTorch's in every mode,
padding mode and align_corners, on random grids inside, outside and on the border, 4-d
and 5-d; `tg.gradcheck` in float64 agrees with finite differences (away from the kinks);
a spatial transformer step trains theta by backward(); the edges (empty batch, channels
and grid, float32 kept, far outside, NaN and inf positions, the warnings); and each bad
argument refused in one line naming the function.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor
from tinygrad_gd.engine import toposort
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(41)
MODES_2D = list(itertools.product(("bilinear", "nearest", "bicubic"),
                                  ("zeros", "border", "reflection"), (False, True)))
MODES_3D = list(itertools.product(("bilinear", "nearest"), ("zeros", "border", "reflection"),
                                  (False, True)))


def random_grid(shape, spread=1.6):
    """A grid inside and outside [-1, 1], with the exact border values -1, 1 and the
    centre 0 among its entries (no tie of 'nearest' at these: they map exactly)."""
    grid = RNG.uniform(-spread, spread, shape)
    edges = [-1.0, 1.0, 0.0, -1.0, 1.0, 1.0, 0.0, -1.0, 1.0]
    grid.reshape(-1)[:len(edges)] = edges[:grid.size]
    return grid


def sampled(library, x, grid, weights, *args):
    """(output, input gradient, grid gradient) of grid_sample in `library` (tg or torch),
    the output weighted by `weights` before the sum."""
    if library is tg:
        leaf, where = Tensor(x, requires_grad=True), Tensor(grid, requires_grad=True)
        out = F.grid_sample(leaf, where, *args)
        (out * Tensor(weights)).sum().backward()
        return out.data, leaf.grad.data, where.grad.data
    leaf = library.tensor(x, requires_grad=True)
    where = library.tensor(grid, requires_grad=True)
    out = library.nn.functional.grid_sample(leaf, where, *args)
    (out * library.tensor(weights)).sum().backward()
    return out.detach().numpy(), leaf.grad.numpy(), where.grad.numpy()


def agree(x, grid, *args, rtol=1e-10, atol=1e-12, input_gradient=True):
    torch = pytest.importorskip("torch")
    out = F.grid_sample(Tensor(x), Tensor(grid), *args)
    weights = RNG.standard_normal(out.shape).astype(x.dtype)
    ours, theirs = sampled(tg, x, grid, weights, *args), sampled(torch, x, grid, weights, *args)
    for name, mine, expected in zip(("output", "input gradient", "grid gradient"), ours,
                                    theirs):
        if name == "input gradient" and not input_gradient:
            continue
        assert mine.shape == expected.shape and mine.dtype == x.dtype, name
        np.testing.assert_allclose(mine, expected, rtol=rtol, atol=atol,
                                   err_msg=f"{name} {args}")
    return ours


# ------------------------------------------------------------------ against PyTorch


@pytest.mark.torch
@pytest.mark.parametrize("mode, padding_mode, align_corners", MODES_2D)
def test_grid_sample_4d_agrees_with_pytorch(mode, padding_mode, align_corners):
    x = RNG.standard_normal((2, 3, 4, 5))
    for grid_shape in ((2, 3, 6, 2), (2, 7, 2, 2), (2, 1, 1, 2)):
        agree(x, random_grid(grid_shape), mode, padding_mode, align_corners)
    # far outside (folded many times by 'reflection'), and a one-entry axis
    agree(x, random_grid((2, 4, 4, 2), spread=9.0), mode, padding_mode, align_corners)
    agree(x[:, :, :1], random_grid((2, 3, 3, 2)), mode, padding_mode, align_corners)


@pytest.mark.torch
@pytest.mark.parametrize("mode, padding_mode, align_corners", MODES_3D)
def test_grid_sample_5d_agrees_with_pytorch(mode, padding_mode, align_corners):
    x = RNG.standard_normal((2, 2, 3, 4, 5))
    for grid_shape in ((2, 2, 3, 4, 3), (2, 1, 5, 1, 3)):
        agree(x, random_grid(grid_shape), mode, padding_mode, align_corners)
    agree(x, random_grid((2, 2, 2, 2, 3), spread=7.0), mode, padding_mode, align_corners)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_float32_is_kept_and_agrees_with_pytorch(mode):
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    grid = random_grid((2, 3, 4, 2)).astype(np.float32)
    out, x_grad, grid_grad = agree(x, grid, mode, "reflection", False, rtol=1e-5, atol=1e-5)
    assert out.dtype == x_grad.dtype == grid_grad.dtype == np.float32
    agree(RNG.standard_normal((1, 2, 2, 3, 4)).astype(np.float32),
          random_grid((1, 2, 2, 2, 3)).astype(np.float32), "bilinear", "border", True,
          rtol=1e-5, atol=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("size, align_corners", [((2, 3, 4, 5), False), ((2, 3, 4, 5), True),
                                                 ((3, 1, 1, 6), False), ((2, 1, 3, 4, 5), False),
                                                 ((2, 1, 3, 4, 5), True), ((1, 2, 2, 1, 3), False)])
def test_affine_grid_agrees_with_pytorch(size, align_corners):
    torch = pytest.importorskip("torch")
    dims = len(size) - 2
    theta = RNG.standard_normal((size[0], dims, dims + 1))
    ours, theirs = Tensor(theta, requires_grad=True), torch.tensor(theta, requires_grad=True)
    out = F.affine_grid(ours, size, align_corners)
    expected = torch.nn.functional.affine_grid(theirs, size, align_corners)
    assert out.shape == tuple(expected.shape) == (size[0], *size[2:], dims)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    weights = RNG.standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    float32 = F.affine_grid(Tensor(theta.astype(np.float32)), size, align_corners)
    assert float32.dtype == np.float32
    np.testing.assert_allclose(float32.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_affine_grid_of_the_identity_is_the_entries_centres():
    grid = F.affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 2, 4), align_corners=False)
    np.testing.assert_allclose(grid.data[0, :, :, 0], [[-0.75, -0.25, 0.25, 0.75]] * 2)
    np.testing.assert_allclose(grid.data[0, :, :, 1], [[-0.5] * 4, [0.5] * 4])
    corners = F.affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 2, 4), align_corners=True)
    np.testing.assert_allclose(corners.data[0, 0, :, 0], np.linspace(-1, 1, 4))
    # sampling through it gives the image back, in every mode
    image = RNG.standard_normal((1, 2, 2, 4))
    for mode, align in itertools.product(("bilinear", "nearest", "bicubic"), (False, True)):
        grid = F.affine_grid(Tensor(np.eye(2, 3)[None]), (1, 2, 2, 4), align_corners=align)
        np.testing.assert_allclose(F.grid_sample(Tensor(image), grid, mode,
                                                 align_corners=align).data, image, atol=1e-12)


# ------------------------------------------------------------------ gradients


@pytest.mark.parametrize("mode, padding_mode, align_corners", MODES_2D)
def test_gradcheck_4d_input_and_grid(mode, padding_mode, align_corners):
    # random positions: none within eps of an entry or a bound (the kinks)
    x = Tensor(RNG.standard_normal((2, 2, 3, 4)), requires_grad=True)
    grid = Tensor(RNG.uniform(-1.4, 1.4, (2, 2, 3, 2)), requires_grad=True)
    assert tg.gradcheck(lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
                        [x, grid])


@pytest.mark.parametrize("mode, padding_mode, align_corners", MODES_3D)
def test_gradcheck_5d_input_and_grid(mode, padding_mode, align_corners):
    x = Tensor(RNG.standard_normal((1, 2, 2, 3, 3)), requires_grad=True)
    grid = Tensor(RNG.uniform(-1.4, 1.4, (1, 2, 2, 1, 3)), requires_grad=True)
    assert tg.gradcheck(lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
                        [x, grid])


@pytest.mark.parametrize("dims, align_corners", [(2, False), (2, True), (3, False)])
def test_gradcheck_theta_through_affine_grid_and_grid_sample(dims, align_corners):
    image = Tensor(RNG.standard_normal((2, 2) + (4, 5, 3)[3 - dims:]), requires_grad=True)
    theta = Tensor(np.eye(dims, dims + 1) * 0.8 + RNG.uniform(-0.2, 0.2, (2, dims, dims + 1)),
                   requires_grad=True)
    size = (2, 2) + (3, 2, 4)[3 - dims:]

    def transformed(t, x):
        return F.grid_sample(x, F.affine_grid(t, size, align_corners), "bilinear",
                             "border", align_corners)
    assert tg.gradcheck(transformed, [theta, image])
    assert tg.gradcheck(lambda t: F.affine_grid(t, size, align_corners), [theta])


def test_spatial_transformer_step_trains_theta_by_backward():
    """A spatial transformer's sampler: theta learns the shift and zoom that made the
    target (the image is smooth, so the loss is too)."""
    rows, cols = np.meshgrid(np.linspace(-1, 1, 8), np.linspace(-1, 1, 8), indexing="ij")
    image = Tensor(np.exp(-2 * ((rows - 0.2) ** 2 + (cols + 0.1) ** 2))[None, None])
    true_theta = Tensor(np.array([[[0.8, 0.0, 0.15], [0.0, 0.8, -0.1]]]))
    target = F.grid_sample(image, F.affine_grid(true_theta, (1, 1, 6, 6), False),
                           align_corners=False)
    theta = Tensor(np.eye(2, 3)[None], requires_grad=True)
    optimizer = tg.optim.SGD([theta], lr=0.5)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        grid = F.affine_grid(theta, (1, 1, 6, 6), align_corners=False)
        loss = F.mse_loss(F.grid_sample(image, grid, align_corners=False), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 * losses[0]
    np.testing.assert_allclose(theta.data, true_theta.data, atol=0.02)


@pytest.mark.torch
def test_spatial_transformer_gradient_of_theta_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    image, target = RNG.standard_normal((2, 3, 5, 6)), RNG.standard_normal((2, 3, 4, 4))
    theta = np.eye(2, 3) + RNG.uniform(-0.3, 0.3, (2, 2, 3))
    ours = Tensor(theta, requires_grad=True)
    grid = F.affine_grid(ours, (2, 3, 4, 4), align_corners=False)
    F.mse_loss(F.grid_sample(Tensor(image), grid, "bicubic", "reflection", False),
               Tensor(target)).backward()
    theirs = torch.tensor(theta, requires_grad=True)
    functional = torch.nn.functional
    grid = functional.affine_grid(theirs, (2, 3, 4, 4), align_corners=False)
    functional.mse_loss(functional.grid_sample(torch.tensor(image), grid, "bicubic",
                                               "reflection", False),
                        torch.tensor(target)).backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10)


def test_nearest_gives_the_grid_a_zero_gradient_not_none():
    grid = Tensor(RNG.uniform(-1, 1, (1, 2, 2, 2)), requires_grad=True)
    x = Tensor(RNG.standard_normal((1, 1, 3, 3)), requires_grad=True)
    F.grid_sample(x, grid, "nearest", align_corners=False).sum().backward()
    assert grid.grad is not None and not grid.grad.data.any()
    assert x.grad.data.sum() == 4  # each output read one entry


def test_outside_reads_zero_and_passes_no_gradient_in_zeros_mode():
    x = Tensor(RNG.standard_normal((1, 2, 3, 3)), requires_grad=True)
    grid = Tensor(np.array([[[[3.0, 0.2], [-2.5, -4.0], [0.3, 2.9]]]]), requires_grad=True)
    for mode in ("bilinear", "nearest", "bicubic"):
        x.grad, grid.grad = None, None
        out = F.grid_sample(x, grid, mode, "zeros", align_corners=False)
        out.sum().backward()
        assert not out.data.any() and not x.grad.data.any() and not grid.grad.data.any(), mode
    # 'border' reads the edge there instead, with no gradient for the clamped position
    out = F.grid_sample(x, Tensor(np.array([[[[3.0, -4.0]]]])), "nearest", "border",
                        align_corners=True)
    np.testing.assert_array_equal(out.data[0, :, 0, 0], x.data[0, :, 0, 2])


@pytest.mark.parametrize("dims", [2, 3])
def test_empty_batch_channels_and_grid(dims):
    spatial = (3, 4, 2)[:dims]
    for x_shape, grid_shape, out_shape in (
            ((0, 2, *spatial), (0, *(2,) * dims, dims), (0, 2, *(2,) * dims)),
            ((2, 0, *spatial), (2, *(2,) * dims, dims), (2, 0, *(2,) * dims)),
            ((2, 2, *spatial), (2, 0, *(2,) * (dims - 1), dims), (2, 2, 0, *(2,) * (dims - 1)))):
        x = Tensor(RNG.standard_normal(x_shape), requires_grad=True)
        grid = Tensor(RNG.uniform(-1, 1, grid_shape), requires_grad=True)
        out = F.grid_sample(x, grid, align_corners=False)
        assert out.shape == out_shape
        out.sum().backward()
        assert x.grad.shape == x_shape and grid.grad.shape == grid_shape


@pytest.mark.torch
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_positions_as_pytorch(value):
    """As PyTorch's 2-d kernels: NaN out of 'bilinear' and 'bicubic' ('border' clamps an
    infinite position for 'bilinear'), and 'nearest' reads 0 ('zeros') or the first entry
    ("NaN is -1"). (PyTorch's own 2-d bilinear kernel crashes on NaN with 'border' or
    'reflection' and on inf with 'reflection': not called there, ours gives NaN. Its
    bicubic kernel puts NaN into the input's gradient at the entries it clamps a NaN
    position to; ours reads no entry there: that gradient is not compared.)"""
    x = np.arange(24.0).reshape(1, 2, 3, 4)
    grid = np.array([[[[value, 0.0], [0.0, value], [value, value], [0.3, -0.2]]]])
    for mode, padding_mode in itertools.product(("bilinear", "nearest", "bicubic"),
                                                ("zeros", "border", "reflection")):
        crashes = mode == "bilinear" and (padding_mode == "reflection" or
                                          padding_mode == "border" and np.isnan(value))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # (no NumPy warning for inf - inf either)
            out = F.grid_sample(Tensor(x), Tensor(grid), mode, padding_mode, False).data
        if crashes:
            assert np.isnan(out[..., :3]).all() and np.isfinite(out[..., 3]).all()
        else:
            agree(x, grid, mode, padding_mode, False, input_gradient=mode != "bicubic")


# ------------------------------------------------------------------ warnings and names


@pytest.mark.parametrize("call", [
    lambda: F.grid_sample(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.zeros((1, 1, 1, 2)))),
    lambda: F.affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 2, 2))])
def test_align_corners_none_is_false_with_pytorchs_warning(call):
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0") as record:
        call()
    assert len(record) == 1 and record[0].filename == __file__
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning) as theirs:
        torch.nn.functional.affine_grid(torch.eye(2, 3)[None], (1, 1, 2, 2))
    assert str(record[0].message) == str(theirs[0].message)


def test_no_warning_when_align_corners_is_given_and_pytorchs_for_unit_size():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 2, 2), align_corners=False)
        F.affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 1, 3), align_corners=False)
        F.grid_sample(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.zeros((1, 1, 1, 2))),
                      align_corners=True)
    with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
        grid = F.affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 1, 3), align_corners=True)
    np.testing.assert_array_equal(grid.data[0, 0, :, 1], 0)  # (the unit axis at its centre)


def test_constants_are_named_for_diagrams_and_nothing_returned_is():
    theta = Tensor(np.eye(2, 3)[None] * 0.9, requires_grad=True, name="theta")
    x = Tensor(RNG.standard_normal((1, 1, 3, 3)), requires_grad=True, name="x")
    grid = F.affine_grid(theta, (1, 1, 2, 2), align_corners=False)
    assert grid.name is None
    for mode, padding_mode in itertools.product(("bilinear", "nearest", "bicubic"),
                                                ("zeros", "border", "reflection")):
        out = F.grid_sample(x, grid * 1.3, mode, padding_mode, align_corners=False)
        leaves = [t for t in toposort(out, every=True) if t.is_leaf and t.size > 1]
        assert {t.name for t in leaves if t.name and not t.name.startswith("grid_sample ")} \
            == {"x", "theta", "affine_grid base grid (x, y, 1)"}, (mode, padding_mode)
        assert all(t.name for t in leaves) and out.name is None


# ------------------------------------------------------------------ bad input


IMAGE, GRID = np.ones((2, 1, 3, 3)), np.zeros((2, 2, 2, 2))
GRID_SAMPLE_ERRORS = [
    ((IMAGE, GRID), {"mode": "trilinear"}, ValueError, "expected mode to be 'bilinear', "),
    ((IMAGE, GRID), {"padding_mode": "reflect"}, ValueError, "'zeros', 'border', or "),
    ((IMAGE, GRID), {"align_corners": 1}, TypeError, "align_corners must be True or False"),
    ((IMAGE[0], GRID[0]), {}, RuntimeError, "a batch axis: input[None]"),
    ((IMAGE, GRID[..., None, :]), {}, RuntimeError, "got input shape (2, 1, 3, 3) and grid"),
    ((IMAGE, GRID[:1]), {}, RuntimeError, "the same batch size"),
    ((IMAGE, GRID[..., :1]), {}, RuntimeError, "2 positions per entry (size 2 in its last"),
    ((IMAGE[:, :, :0], GRID), {}, RuntimeError, "non-empty spatial dimensions"),
    ((IMAGE[..., None], np.zeros((2, 1, 1, 1, 3))), {"mode": "bicubic"}, RuntimeError,
     "'bicubic' supports only 4-d input"),
    ((IMAGE.astype(np.int64), GRID), {}, NotImplementedError, "floating point input and"),
    ((IMAGE, GRID.astype(np.float32)), {}, RuntimeError, "float64 and float32; convert one"),
]


@pytest.mark.parametrize("arrays, options, error, message", GRID_SAMPLE_ERRORS)
def test_grid_sample_refuses_bad_input_in_one_line(arrays, options, error, message):
    options = {"align_corners": False, **options}
    with pytest.raises(error) as caught:
        F.grid_sample(*(tg.as_tensor(a) for a in arrays), **options)
    text = str(caught.value)
    assert text.startswith("grid_sample: ") and message in text and "\n" not in text
    torch = pytest.importorskip("torch")
    with pytest.raises(error):  # (PyTorch's exception type)
        torch.nn.functional.grid_sample(*(torch.tensor(a) for a in arrays), **options)


THETA = np.eye(2, 3)[None].repeat(2, axis=0)
AFFINE_GRID_ERRORS = [
    (THETA.astype(np.int32), (2, 1, 3, 3), ValueError, "floating point type, but got int"),
    (THETA, (2, 1, 3, 3, 3), ValueError, "(N, 3, 4) for size (2, 1, 3, 3, 3), got shape"),
    (THETA[0], (2, 1, 3, 3), ValueError, "(N, 2, 3) for size (2, 1, 3, 3), got shape (2, 3)"),
    (THETA, (2, 1, 3), NotImplementedError, "only 4-d and 5-d sizes"),
    (THETA, (2, 1, 0, 3), ValueError, "non-zero, positive output size, got (2, 1, 0, 3)"),
    (THETA, (3, 1, 2, 3), RuntimeError, "theta holds 2 matrices but size asks for a batch of 3"),
    (THETA, (2, 1, 3.0, 3), TypeError, "size must be an int, got float 3.0"),
    (THETA, 5, TypeError, "size must be a tuple of ints"),
]


@pytest.mark.parametrize("theta, size, error, message", AFFINE_GRID_ERRORS)
def test_affine_grid_refuses_bad_input_in_one_line(theta, size, error, message):
    with pytest.raises(error) as caught:
        F.affine_grid(tg.as_tensor(theta), size, align_corners=False)
    text = str(caught.value)
    assert text.startswith("affine_grid: ") and message in text and "\n" not in text
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        torch.nn.functional.affine_grid(torch.tensor(theta), size, align_corners=False)


def test_bicubic_weights_are_one_helper_for_arrays_and_tensors():
    # grid_sample's weights (tensors: the grid's gradient runs through them) and
    # interpolate's (arrays) come from one helper, PyTorch's order of operations
    from tinygrad_gd.nn.grid_sampling import cubic_weights
    t = RNG.uniform(0, 1, 50)
    for dtype in (np.float32, np.float64):
        on_arrays = cubic_weights(t.astype(dtype))
        on_tensors = cubic_weights(Tensor(t.astype(dtype)))
        for weights, tensor in zip(on_arrays, on_tensors, strict=True):
            assert weights.dtype == tensor.dtype == dtype
            np.testing.assert_array_equal(weights, tensor.data)
        np.testing.assert_allclose(sum(on_arrays), 1, rtol=1e-6)
    first, second, third, fourth = cubic_weights(np.array([0.0]))  # (at an entry: itself)
    assert (first, second, third, fourth) == (0, 1, 0, 0)

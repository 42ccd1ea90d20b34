"""What PyTorch's OpInfo samples found in the linear algebra and contractions: shapes torch
accepts that were refused here. linalg.tensorsolve took A's leading axes to be B's shape,
where torch and NumPy need only their product to be B's size (the equations in the order
of B's entries); tensordot refused a contracted axis of size 1 against a larger one, which
torch broadcasts (sums the other side's axis). Each checked against an independent NumPy
formula and finite differences, and against torch where it is installed.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

RNG = np.random.default_rng(20260526)


def _tensors(*arrays: np.ndarray) -> list:
    return [tg.Tensor(a, requires_grad=True) for a in arrays]


# ------------------------------------------------------------------ tensorsolve

# (A's shape, B's shape, dims): A's first B.ndim axes (after dims moved last) hold B's size
# in another shape than B's
TENSORSOLVE_CASES = [((2, 3, 6), (2, 3), (0, 2)), ((3, 4, 4, 3), (3, 4), (0, 2)),
                     ((3, 2, 2, 3), (2, 3), None), ((1, 6, 6), (6, 1), None)]


def _system(shape: tuple, b_shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    n = int(np.prod(b_shape))
    return ((RNG.normal(size=(n, n)) + 3 * np.eye(n)).reshape(shape),
            RNG.normal(size=b_shape))


@pytest.mark.parametrize("shape, b_shape, dims", TENSORSOLVE_CASES)
def test_tensorsolve_takes_leading_axes_that_hold_bs_size_in_another_shape(shape, b_shape,
                                                                         dims):
    a, b = _system(shape, b_shape)
    X = tg.linalg.tensorsolve(a, b, dims=dims)  # noqa: N806
    moved = a if dims is None else np.moveaxis(a, dims, range(a.ndim - len(dims), a.ndim))
    assert X.shape == moved.shape[len(b_shape):]
    n = b.size  # the defining equation, in the order of B's entries
    np.testing.assert_allclose(moved.reshape(n, n) @ X.data.reshape(n), b.reshape(n),
                               atol=1e-12)
    np.testing.assert_allclose(X.data, np.linalg.tensorsolve(a, b, axes=dims), rtol=1e-12,
                               atol=1e-13)
    assert tg.gradcheck(lambda s, t: tg.linalg.tensorsolve(s, t, dims=dims), _tensors(a, b))


def test_tensorsolve_still_refuses_axes_whose_products_do_not_match_b():
    with pytest.raises(ValueError, match=r"tensorsolve: A of shape \(3, 3, 4\) does not fit B "
                                         r"of shape \(2, 2\): the products of A's first 2 "
                                         r"axes \(9\) and of the rest \(4\) must each equal "
                                         r"B's size \(4\)"):
        tg.linalg.tensorsolve(np.ones((3, 3, 4)), np.ones((2, 2)))


@pytest.mark.torch
@pytest.mark.parametrize("shape, b_shape, dims", TENSORSOLVE_CASES)
def test_tensorsolve_with_leading_axes_reshaped_is_torchs(shape, b_shape, dims):
    torch = pytest.importorskip("torch")
    a, b = _system(shape, b_shape)
    A, B = _tensors(a, b)  # noqa: N806
    tA, tB = (torch.tensor(v, requires_grad=True) for v in (a, b))  # noqa: N806
    _assert_torchs(tg.linalg.tensorsolve(A, B, dims=dims), (A, B),
                   torch.linalg.tensorsolve(tA, tB, dims), (tA, tB), rtol=1e-10, atol=1e-12)


def _assert_torchs(out, leaves, theirs, their_leaves, rtol, atol):
    """out's values, and its leaves' gradients for one random cotangent, are torch's."""
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(out.data, theirs.detach().numpy(), rtol=rtol, atol=atol)
    g = RNG.normal(size=out.shape)
    (out * tg.Tensor(g)).sum().backward()
    (theirs * torch.tensor(g)).sum().backward()
    for ours, their in zip(leaves, their_leaves):
        np.testing.assert_allclose(ours.grad.data, their.grad.numpy(), rtol=rtol, atol=atol)


# ------------------------------------------------------------------ tensordot

# (x's shape, y's shape, dims): some contracted axes of size 1 against a larger one
TENSORDOT_CASES = [((1, 1, 1), (2, 1, 2), ([0, 1], [2, 0])), ((1, 3), (2, 3), ([0], [0])),
                   ((4, 3, 1), (5, 3), ([1, 2], [1, 0])), ((2, 4), (1, 2), 1)]


def _broadcast_tensordot(x: np.ndarray, y: np.ndarray, dims) -> np.ndarray:
    """tensordot with a size-1 contracted axis standing for the sum over the other side's:
    that side summed first (keeping the axis), then NumPy's tensordot."""
    a, b = (list(range(x.ndim - dims, x.ndim)), list(range(dims))) if isinstance(
        dims, int) else dims
    for i, j in zip(a, b):
        if x.shape[i] == 1 and y.shape[j] != 1:
            y = y.sum(axis=j, keepdims=True)
        elif y.shape[j] == 1 and x.shape[i] != 1:
            x = x.sum(axis=i, keepdims=True)
    return np.tensordot(x, y, axes=(a, b))


@pytest.mark.parametrize("shape, other, dims", TENSORDOT_CASES)
def test_tensordot_broadcasts_a_contracted_axis_of_size_one(shape, other, dims):
    x, y = RNG.normal(size=shape), RNG.normal(size=other)
    out = tg.tensordot(x, y, dims=dims)
    np.testing.assert_allclose(out.data, _broadcast_tensordot(x, y, dims), rtol=1e-12,
                               atol=1e-14)
    pair = _tensors(x, y)
    assert tg.gradcheck(lambda s, t: tg.tensordot(s, t, dims=dims), pair)
    assert tg.gradgradcheck(lambda s, t: tg.tensordot(s, t, dims=dims), pair)


def test_tensordot_still_refuses_contracted_axes_of_different_sizes_above_one():
    with pytest.raises(tg.ShapeError, match=r"tensordot: axes \[0\] of shape \(2, 3\) and "
                                            r"\[0\] of shape \(3, 3\) must be as many and of "
                                            r"equal sizes \(or size 1\)"):
        tg.tensordot(np.ones((2, 3)), np.ones((3, 3)), dims=([0], [0]))


@pytest.mark.torch
@pytest.mark.parametrize("shape, other, dims", TENSORDOT_CASES)
def test_tensordot_with_a_contracted_axis_of_size_one_is_torchs(shape, other, dims):
    torch = pytest.importorskip("torch")
    x, y = RNG.normal(size=shape), RNG.normal(size=other)
    X, Y = _tensors(x, y)  # noqa: N806
    tX, tY = (torch.tensor(v, requires_grad=True) for v in (x, y))  # noqa: N806
    _assert_torchs(tg.tensordot(X, Y, dims=dims), (X, Y), torch.tensordot(tX, tY, dims=dims),
                   (tX, tY), rtol=1e-12, atol=1e-14)

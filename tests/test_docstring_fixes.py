"""What PyTorch's docstring examples found missing or wrong here (see
tests/test_torch_docstring_examples.py), each checked against NumPy or a formula."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg

A = np.array([-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0])


def test_unravel_index_of_one_index_gives_0d_tensors_one_can_read():
    rows, cols = tg.unravel_index(tg.tensor(4), (3, 2))
    assert (rows.shape, cols.shape) == ((), ())
    assert (rows.data.item(), cols.data.item()) == np.unravel_index(4, (3, 2))
    assert rows.dtype == np.int64


def test_pytorchs_constants_and_size():
    assert (tg.pi, tg.e, tg.inf) == (math.pi, math.e, math.inf)
    assert math.isnan(tg.nan)
    assert np.isnan(tg.tensor([3, tg.nan]).data[1])
    size = tg.Size([2, 5, 5])
    assert size == (2, 5, 5) and isinstance(size, tuple) and size.numel() == 50
    out = tg.nn.Unflatten(1, tg.Size([2, 5, 5]))(tg.zeros(3, 50))
    assert out.shape == (3, 2, 5, 5)
    with pytest.raises(TypeError, match="Size"):
        tg.Size([2.5])


def test_full_takes_size_and_linspace_takes_end():
    assert np.array_equal(tg.full(size=(2, 3), fill_value=7, dtype=tg.long).data,
                          np.full((2, 3), 7))
    assert np.allclose(tg.linspace(start=-10, end=10, steps=5).data, np.linspace(-10, 10, 5))
    assert np.allclose(tg.linspace(start=-10, end=10, steps=1).data, [-10.0])
    with pytest.raises(TypeError, match="full: give shape= or size="):
        tg.full((2,), 1.0, size=(2,))
    with pytest.raises(TypeError, match="linspace: give stop= or end="):
        tg.linspace(0, 1, 3, end=1)


@pytest.mark.parametrize("order", [np.inf, -np.inf, 0, 1, 3, 0.5])
def test_norm_of_a_vector_in_other_orders(order):
    assert np.isclose(tg.norm(tg.tensor(A), order).item(), np.linalg.norm(A, order))
    assert np.isclose(tg.tensor(A).norm(p=order).item(), np.linalg.norm(A, order))


def test_norm_with_p_over_a_matrix_is_the_norm_of_its_entries():
    b = A.reshape(3, 3)
    assert np.allclose(tg.norm(tg.tensor(b), p=1, dim=1).data, np.abs(b).sum(1))
    assert np.isclose(tg.norm(tg.tensor(b), p=np.inf).item(), np.abs(b).max())
    with pytest.raises(ValueError, match=r"norm: ord=inf of shape \(3, 3\).*give p="):
        tg.norm(tg.tensor(b), np.inf)  # NumPy's matrix norm or PyTorch's: not guessed


@pytest.mark.parametrize("order", [np.inf, 1, 3])
def test_norm_orders_have_the_gradient_of_finite_differences(order):
    x = tg.tensor([0.5, -1.5, 2.0, -0.25], requires_grad=True)
    assert tg.gradcheck(lambda t: tg.norm(t, order), (x,))


def test_repeat_interleave_of_counts_alone_and_output_size():
    counts = np.array([1, 2, 3])
    out = tg.repeat_interleave(tg.tensor(counts))
    assert np.array_equal(out.data, np.repeat(np.arange(3), counts))
    y = tg.tensor([[1, 2], [3, 4]])
    picked = tg.repeat_interleave(y, tg.tensor([1, 2]), dim=0, output_size=3)
    assert np.array_equal(picked.data, np.repeat(y.data, [1, 2], axis=0))
    with pytest.raises(ValueError, match="output_size=7 is not the result's length, 8"):
        tg.repeat_interleave(y, 2, output_size=7)
    with pytest.raises(TypeError, match="the counts"):
        tg.repeat_interleave(tg.tensor([1.0, 2.0]))


def test_narrow_takes_a_0d_integer_tensor_as_start():
    x = tg.arange(9).reshape(3, 3)
    assert np.array_equal(tg.narrow(x, -1, tg.tensor(-1), 1).data, x.data[:, -1:])
    assert np.array_equal(x.narrow(0, tg.tensor(1), 2).data, x.data[1:3])
    with pytest.raises(TypeError, match="narrow"):
        x.narrow(0, tg.tensor(1.5), 1)


def test_embedding_bag_from_pretrained():
    weight = np.arange(12.0).reshape(4, 3)
    bag = tg.nn.EmbeddingBag.from_pretrained(tg.tensor(weight), padding_idx=2, mode="sum")
    out = bag(tg.tensor([[0, 2, 3], [1, 1, 2]]))
    assert np.allclose(out.data, [weight[0] + weight[3], 2 * weight[1]])  # row 2 left out
    assert not bag.weight.requires_grad
    trained = tg.nn.EmbeddingBag.from_pretrained(tg.tensor(weight), freeze=False)
    assert trained.weight.requires_grad
    with pytest.raises(ValueError, match="from_pretrained: embeddings must be 2-D"):
        tg.nn.EmbeddingBag.from_pretrained(tg.zeros(4))


def test_set_printoptions_profile():
    before = np.get_printoptions()
    try:
        tg.set_printoptions(profile="short")
        assert (np.get_printoptions()["precision"], np.get_printoptions()["edgeitems"]) == (2, 2)
        tg.set_printoptions(profile="full", precision=3)
        assert np.get_printoptions()["precision"] == 3
        assert np.get_printoptions()["threshold"] > 10 ** 9
        tg.set_printoptions(profile="default")  # back to what printing here starts with
        assert {k: np.get_printoptions()[k] for k in ("precision", "threshold", "edgeitems",
                                                      "linewidth")} == {
            "precision": 8, "threshold": 1000, "edgeitems": 3, "linewidth": 75}
        with pytest.raises(ValueError, match="set_printoptions: profile must be one of"):
            tg.set_printoptions(profile="long")
    finally:
        np.set_printoptions(**before)


def test_einsum_with_axis_numbers():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    out = tg.einsum(tg.tensor(a), [..., 0, 1], tg.tensor(b), [..., 1, 2], [..., 0, 2])
    assert np.allclose(out.data, a @ b)
    implicit = tg.einsum(tg.tensor(a[0]), [0, 1], tg.tensor(b[0]), [1, 2])
    assert np.allclose(implicit.data, np.einsum(a[0], [0, 1], b[0], [1, 2]))
    x = tg.tensor(a[0], requires_grad=True)
    assert tg.gradcheck(lambda t: tg.einsum(t, [0, 1], tg.tensor(b[0]), [1, 2], [0]), (x,))
    with pytest.raises(TypeError, match="einsum: without a subscripts string"):
        tg.einsum(tg.tensor(a), [0, 52, 1])

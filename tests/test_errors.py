"""Bad input gets a clear error naming the op, the shapes or values, and what to do."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor


def test_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\), \(4,\) do not broadcast"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"mul: shapes \(3,\), \(2,\) do not broadcast"):
        Tensor([1.0, 2.0, 3.0], requires_grad=True) * [1.0, 2.0]


def test_matmul_inner_sizes_differ():
    with pytest.raises(ValueError, match=r"matmul: inner sizes differ: \(2, 3\) @ \(2, 3\) "
                                         r"contracts 3 with 2.*transpose"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dot: inner sizes differ: \(3,\) @ \(4,\)"):
        Tensor(np.ones(3)).dot(np.ones(4))
    with pytest.raises(ValueError, match="matmul: both operands need at least 1 dimension"):
        Tensor(2.0) @ Tensor([1.0])


@pytest.mark.parametrize("dtype, name", [(np.int64, "int64"), (np.int32, "int32"), (bool, "bool")])
def test_requires_grad_on_integer_data(dtype, name):
    with pytest.raises(TypeError, match=r"only floating-point tensors can require a gradient, "
                                        rf"got dtype {name}"):
        Tensor([1, 0], dtype=dtype, requires_grad=True)


def test_backward_on_a_tensor_that_needs_no_gradient():
    with pytest.raises(RuntimeError, match="does not require a gradient.*requires_grad=True"):
        (Tensor([1.0]) * 2).sum().backward()


@pytest.mark.parametrize("data, message", [
    ("abc", r"expected numeric data.*got dtype <U3"),
    ([1.0, "two"], r"expected numeric data.*dtype <U32"),
    ([[1.0, 2.0], [3.0]], r"the data is a ragged nested list.*\[\[1.0, 2.0\], \[3.0\]\]"),
    ([1 + 2j], r"complex data is not supported"),
    ({"a": 1}, r"expected numeric data"),
])
def test_data_that_is_not_numeric(data, message):
    with pytest.raises((TypeError, ValueError), match=r"Tensor\(\): " + message):
        Tensor(data)


def test_backward_gradient_of_the_wrong_shape():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the tensor has shape \(2,\)"):
        (w * 2).backward(np.ones(3))


def test_axis_out_of_range():
    with pytest.raises(ValueError, match=r"sum: axis 2 is out of range for a tensor with 2 "
                                         r"dimension\(s\); use an axis in \[-2, 1\]"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ValueError, match="softmax: axis -3 is out of range"):
        Tensor(np.ones((2, 3))).softmax(axis=-3)
    with pytest.raises(ValueError, match="tensordot: axis 3 is out of range"):
        tg.tensordot(Tensor(np.ones((2, 3))), Tensor(np.ones((3, 4))), axes=([3], [0]))


def test_reshape_to_a_wrong_size():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) "
                                         r"\(6 elements\) into shape \(4,\)"):
        Tensor(np.ones((2, 3))).reshape(4)


def test_transpose_with_bad_axes():
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 0\) are not a permutation"):
        Tensor(np.ones((2, 3))).transpose((0, 0))  # (transpose(0, 0) swaps axis 0 with itself)
    # an axis out of range is refused, not wrapped around into a valid-looking permutation
    with pytest.raises(ValueError, match=r"transpose: axes \(3, 0\) are not a permutation"):
        Tensor(np.ones((2, 3))).transpose((3, 0))
    with pytest.raises(ValueError, match=r"permute: dims \(0, 3\) are not a permutation"):
        Tensor(np.ones((2, 3))).permute(0, 3)


def test_broadcast_to_an_incompatible_shape():
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(3,\) to \(2, 2\)"):
        Tensor(np.ones(3)).broadcast_to((2, 2))


def test_item_of_a_tensor_with_many_elements():
    with pytest.raises(ValueError, match=r"only a tensor with one element.*shape \(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_concatenate_nothing():
    with pytest.raises(ValueError, match="concatenate: needs at least one tensor"):
        tg.concatenate([])


def test_clip_without_bounds():
    with pytest.raises(ValueError, match="clip: give min, max or both"):
        Tensor([1.0]).clip()


def test_a_result_too_large_to_allocate_names_the_op_and_shapes():
    column, row = Tensor(np.ones((1_000_000, 1))), Tensor(np.ones((1, 1_000_000)))
    with pytest.raises(MemoryError, match=r"mul: not enough memory for the result of inputs of "
                                          r"shapes \(1000000, 1\), \(1, 1000000\)"):
        column * row  # 8 TB: an unintended broadcast


def test_backward_gradient_that_is_not_numeric():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"backward\(gradient\): expected numeric data"):
        (w * 2).backward(np.array(["a", "b"]))
    with pytest.raises(TypeError, match=r"backward\(gradient\): complex data is not supported"):
        (w * 2).backward(np.array([1j, 2j]))


def test_diagonal_offsets_are_whole_numbers_given_once():
    v, m = Tensor([1.0, 2.0]), Tensor(np.eye(3))
    with pytest.raises(TypeError, match="diag: .*got float 1.7"):
        v.diag(1.7)  # refused, as tril's is, not truncated to diagonal 1
    with pytest.raises(TypeError, match="diag: give k= or diagonal="):
        v.diag(k=1, diagonal=0)
    with pytest.raises(TypeError, match="trace: .*got float 1.5"):
        m.trace(1.5)
    assert v.diag(diagonal=1).shape == (3, 3) and m.trace(np.int64(1)).item() == 0.0

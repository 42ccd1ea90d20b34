"""What PyTorch's OpInfo error inputs found (test_torch_opinfo_errors.py), checked without torch.

Each input below was computed silently here where torch refuses it, or refused in NumPy's
words, or with a hint that does not work: mean's integer dtype= gave the mean of the
entries cast to integers first; concatenate and stack of shapes that do not fit, gather
past the end of an axis and the negative of a bool tensor answered in NumPy's words; an
out= that is a broadcast view was refused in the name of copy_, not of the function
called; an axis of a 0-d tensor was refused with "use axis=None", which those ops refuse
too. Each must now be one line naming the function, what was given and what to do.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

NUMPY_WORDS = ("all the input array", "all input arrays", "the array at index",
               "out of bounds for", "numpy boolean", "use the `~` operator")


def refusal(kind: type, call, starts: str) -> str:
    """The one-line message of `call()`'s refusal (an error of `kind`), which starts with
    `starts` and holds none of NumPy's words."""
    with pytest.raises(kind) as caught:
        call()
    text = str(caught.value)
    assert "\n" not in text and text.startswith(starts), text
    assert not any(words in text.lower() for words in NUMPY_WORDS), text
    return text


@pytest.mark.parametrize("dtype", [tg.int64, "int32", bool])
def test_mean_refuses_a_dtype_that_is_no_float(dtype):
    x = tg.tensor([[1.5, 2.5], [3.5, 4.5]])
    for call in (lambda: tg.mean(x, dtype=dtype), lambda: x.mean(0, dtype=dtype),
                 lambda: x.mean(dim=1, dtype=dtype)):
        text = refusal(RuntimeError, call, "mean: dtype=")
        assert str(np.dtype(dtype)) in text and "float dtype" in text


def test_mean_with_a_float_dtype_averages_the_values_cast_to_it():
    x = tg.tensor([[1.5, 2.5], [3.5, 4.5]])
    out = tg.mean(x, 0, dtype=tg.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [(1.5 + 3.5) / 2, (2.5 + 4.5) / 2])
    assert tg.mean(tg.tensor([1, 2])).item() == 1.5  # (integers: a float64 mean, NumPy's)


def test_concatenate_names_the_shapes_and_the_axis_that_do_not_fit():
    a, b = tg.zeros((5, 5, 20, 20)), tg.zeros((5, 0, 19, 20))
    for name, call in (("cat", lambda: tg.cat([a, b], dim=1)),
                       ("concatenate", lambda: tg.concatenate([a, b], axis=1)),
                       ("cat", lambda: tg.cat([tg.zeros((4, 0)), b], dim=1))):
        text = refusal(ValueError, call, f"{name}: tensor 1 of shape ")
        assert "(5, 0, 19, 20)" in text and "axis 1" in text
    with pytest.raises(RuntimeError):  # (PyTorch's type of it too)
        tg.cat([a, b], dim=1)
    joined = tg.cat([tg.ones((2, 3)), tg.zeros((2, 4))], dim=-1)  # (what fits still joins)
    np.testing.assert_array_equal(joined.data, [[1, 1, 1, 0, 0, 0, 0]] * 2)


def test_stack_names_the_shapes_that_differ():
    text = refusal(ValueError, lambda: tg.stack([tg.zeros(3), tg.zeros(4)]),
                   "stack: tensor 1 has shape (4,), tensor 0 (3,)")
    assert "one shape" in text
    assert tg.stack([tg.zeros(3), tg.ones(3)], -1).shape == (3, 2)


def test_gather_names_the_index_past_the_axis():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    text = refusal(IndexError, lambda: tg.gather(x, 1, tg.tensor([[0, 23], [1, 0]])),
                   "gather: index 23 is out of range for axis 1 of size 2")
    assert "below 2" in text
    text = refusal(IndexError, lambda: tg.take_along_axis(x, tg.tensor([[0, -3], [1, 0]]), 1),
                   "take_along_axis: index -3 is out of range for axis 1 of size 2")
    assert "at least -2" in text
    picked = tg.take_along_axis(x, tg.tensor([[0, -2], [1, 0]]), 1)  # (NumPy's -2: 0)
    np.testing.assert_array_equal(picked.data, [[1.0, 1.0], [4.0, 3.0]])


def test_the_negative_of_a_bool_tensor_says_how_to_flip_a_mask():
    mask = tg.tensor([True, False])
    for name, call in (("neg", lambda: -mask), ("neg", lambda: tg.neg(mask)),
                       ("negative", lambda: tg.negative(mask)), ("neg", lambda: mask.neg())):
        text = refusal(TypeError, call, f"{name}: the negative of a bool tensor (shape (2,))")
        assert "~x" in text and "logical_not" in text
    np.testing.assert_array_equal((-tg.tensor([1, -2])).data, [-1, 2])


@pytest.mark.parametrize("name", ["take", "gather", "cat"])
def test_an_out_that_is_a_broadcast_view_is_refused_by_the_function_called(name):
    source, index = tg.tensor([5.0, 6.0, 7.0, 8.0]), tg.tensor([2, 1, 0])
    calls = {"take": lambda out: tg.take(source, index, out=out),
             "gather": lambda out: tg.gather(source, 0, index, out=out),
             "cat": lambda out: tg.cat([source[:2], source[3:]], out=out)}
    out = tg.zeros(1).expand(3)
    text = refusal(ValueError, lambda: calls[name](out), f"{name}: cannot write into out=")
    assert "read-only" in text and "out.clone()" in text
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 0.0])
    written = tg.zeros(3)  # (an out of its own values is written)
    calls[name](written)
    expected = {"take": [7.0, 6.0, 5.0], "gather": [7.0, 6.0, 5.0], "cat": [5.0, 6.0, 8.0]}
    np.testing.assert_array_equal(written.data, expected[name])


def test_an_axis_of_a_0_d_tensor_is_refused_with_a_hint_that_works():
    x = tg.tensor(3.0)
    for name, call in (("cat", lambda: tg.cat([x, x])),
                       ("narrow", lambda: tg.narrow(x, 0, 0, 1)),
                       ("unbind", lambda: tg.unbind(x, 0))):
        text = refusal(IndexError, call, f"{name}: axis 0 is out of range for a 0-d tensor")
        assert "axis=None" not in text and "reshape(1)" in text
    assert tg.cat([x.reshape(1), x.reshape(1)]).shape == (2,)  # (the hint, followed)


def test_unsqueeze_out_of_range_counts_the_tensors_own_axes():
    # it said "a tensor with 4 dimension(s)" of a 3-d tensor (the result's count)
    with pytest.raises(IndexError, match=r"^unsqueeze: axis 5 is out of range for a new axis "
                       r"of a tensor of 3 dimension\(s\), which has 4 after; use an axis in "
                       r"\[-4, 3\]$"):
        tg.zeros(2, 3, 4).unsqueeze(5)
    assert tg.zeros(2, 3, 4).unsqueeze(-4).shape == (1, 2, 3, 4)

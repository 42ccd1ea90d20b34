"""Functions whose results are indices or counts, without gradient (tinygrad_gd/indices.py).

`unique`, `unique_consecutive`, `bincount`, `histc`, `searchsorted`, `bucketize`, `isin`,
`tril_indices`, `triu_indices` (and logic's `argwhere`): values, dtypes and shapes against
PyTorch's (marked `torch`) over ordinary, empty, NaN, tied, integer and boolean inputs,
float32 kept; their results carry no gradient; their errors are one line naming them.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

NAN, INF = float("nan"), float("inf")


def assert_same(ours, theirs):
    """ours (a Tensor or a tuple of them) equals torch's: type, shape, dtype, values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for mine, expected in zip(ours, theirs):
            assert_same(mine, expected)
        return
    assert isinstance(ours, tg.Tensor) and not ours.requires_grad
    expected = theirs.numpy()
    assert ours.shape == expected.shape and ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours.numpy(), expected)


def both(torch, data):
    """data as our tensor and as torch's, from one NumPy array (its dtype in both)."""
    array = np.asarray(data)
    return tg.tensor(array), torch.from_numpy(array.copy())


FLAGS = [(False, False), (True, False), (False, True), (True, True)]

UNIQUE_INPUTS = {
    "ints with ties": np.array([3, 1, 3, 2, 1, 3]),
    "floats 2-D": np.array([[2.5, -1.0, 2.5], [0.0, -1.0, 7.0]]),
    "float32": np.array([1.5, 0.5, 1.5], dtype=np.float32),
    "bool": np.array([True, False, True, True]),
    "inf and -0": np.array([INF, -0.0, 1.0, -INF, 0.0, INF]),
    "empty": np.zeros(0),
    "empty 2-D": np.zeros((0, 3), dtype=np.int64),
    "0-d": np.array(4.0),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", UNIQUE_INPUTS)
@pytest.mark.parametrize("inverse, counts", FLAGS)
def test_unique_and_unique_consecutive_match_torch(name, inverse, counts):
    torch = pytest.importorskip("torch")
    ours, theirs = both(torch, UNIQUE_INPUTS[name])
    flags = {"return_inverse": inverse, "return_counts": counts}
    assert_same(tg.unique(ours, **flags), torch.unique(theirs, **flags))
    assert_same(ours.unique(True, inverse, counts), theirs.unique(True, inverse, counts))
    assert_same(ours.unique(sorted=False, **flags), theirs.unique(sorted=False, **flags))
    assert_same(tg.unique_consecutive(ours, **flags), torch.unique_consecutive(theirs, **flags))
    assert_same(ours.unique_consecutive(**flags), theirs.unique_consecutive(**flags))


@pytest.mark.torch
def test_unique_takes_each_nan_as_distinct_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = both(torch, [3.0, NAN, 1.0, NAN, 3.0])
    values, inverse, counts = tg.unique(ours, return_inverse=True, return_counts=True)
    expected_values, expected_inverse, expected_counts = torch.unique(
        theirs, return_inverse=True, return_counts=True)
    assert_same(values, expected_values)
    assert_same(counts, expected_counts)
    np.testing.assert_array_equal(values.numpy()[inverse.numpy()], ours.numpy())  # NaN too
    assert inverse.tolist()[::2] == expected_inverse.tolist()[::2]  # (not NaN's: any order)
    assert_same(tg.unique_consecutive(ours, return_inverse=True, return_counts=True),
                torch.unique_consecutive(theirs, return_inverse=True, return_counts=True))


DIM_INPUTS = [
    (np.array([[1, 2], [0, 5], [1, 2], [0, 5]]), 0),
    (np.array([[1, 2, 1], [0, 5, 0]]), 1),
    (np.array([[1, 2, 1], [0, 5, 0]]), -1),
    (np.array([[[1, 2], [1, 2]], [[0, 2], [1, 2]], [[1, 2], [1, 2]]]), 0),
    (np.array([[[1, 2], [1, 2]], [[0, 2], [1, 2]]]), 2),
    (np.array([3.0, 1.0, 3.0]), 0),
    (np.array([[NAN, 1.0], [NAN, 1.0]]), 0),
    (np.array([[True, False], [True, False], [False, False]]), 0),
    (np.zeros((0, 3), dtype=np.float32), 0),
    (np.zeros((3, 0)), 1),
]


@pytest.mark.torch
@pytest.mark.parametrize("data, dim", DIM_INPUTS)
@pytest.mark.parametrize("inverse, counts", FLAGS)
def test_unique_along_dim_matches_torch(data, dim, inverse, counts):
    torch = pytest.importorskip("torch")
    ours, theirs = both(torch, data)
    flags = {"return_inverse": inverse, "return_counts": counts, "dim": dim}
    if data.size:  # (torch's unique refuses an empty axis the consecutive one takes)
        assert_same(tg.unique(ours, **flags), torch.unique(theirs, **flags))
        assert_same(ours.unique(axis=dim, return_inverse=inverse, return_counts=counts),
                    torch.unique(theirs, **flags))
    assert_same(tg.unique_consecutive(ours, **flags), torch.unique_consecutive(theirs, **flags))


def test_unique_values_have_no_gradient_and_the_rest_of_the_graph_keeps_its_own():
    x = tg.tensor([2.0, 1.0, 2.0], requires_grad=True)
    values, inverse = tg.unique(x, return_inverse=True)
    assert not values.requires_grad and not inverse.requires_grad and values.grad_fn is None
    (x * values.sum()).sum().backward()  # values a constant here: d/dx = values.sum()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])


@pytest.mark.parametrize("call, error, match", [
    (lambda: tg.unique(tg.zeros((2, 3)), dim=2), IndexError, r"unique: axis 2 is out of range"),
    (lambda: tg.unique(tg.tensor(1.0), dim=0), IndexError, r"unique: axis 0 .* 0-d tensor"),
    (lambda: tg.unique(tg.zeros((2, 0)), dim=0), ValueError,
     r"unique: the tensor of shape \(2, 0\) has an empty axis other than dim=0"),
    (lambda: tg.unique(tg.zeros(2), sorted=1), TypeError, r"unique: sorted must be True or Fa"),
    (lambda: tg.unique(tg.zeros(2), dim=0, axis=0), TypeError, r"unique: give axis= or dim="),
    (lambda: tg.unique(tg.zeros(2), dim=0.0), TypeError, r"unique: axis must be an int"),
    (lambda: tg.unique_consecutive(tg.zeros(2), return_counts=1), TypeError,
     r"unique_consecutive: return_counts must be True or False, got int 1"),
    (lambda: tg.unique_consecutive(tg.zeros((2, 0)), dim=0), ValueError,
     r"unique_consecutive: the tensor of shape \(2, 0\) has an empty axis"),
])
def test_unique_errors_are_one_line(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ bincount and histc


@pytest.mark.torch
@pytest.mark.parametrize("data, weights, minlength", [
    ([0, 2, 2, 5], None, 0),
    ([0, 2], None, 5),
    ([1, 1, 0], [0.5, 2.0, -1.0], 0),
    ([1, 1, 0], np.array([0.5, 2.0, -1.0], dtype=np.float32), 4),
    ([1, 1, 0], [1, 2, 3], 0),
    ([1, 1, 0], [True, False, True], 0),
    ([0, 1, 1], [NAN, 1.0, 2.0], 0),
    (np.zeros(0, dtype=np.int64), None, 0),
    (np.zeros(0, dtype=np.int64), None, 3),
    (np.array([3, 0, 3], dtype=np.uint8), None, 0),
])
def test_bincount_matches_torch(data, weights, minlength):
    torch = pytest.importorskip("torch")
    ours, theirs = both(torch, data)
    their_weights = None if weights is None else torch.from_numpy(np.array(weights))
    expected = torch.bincount(theirs, their_weights, minlength)
    assert_same(tg.bincount(ours, weights, minlength), expected)
    assert_same(ours.bincount(weights=weights, minlength=minlength), expected)


def test_bincount_counts_booleans_and_weighs_an_empty_input_in_a_float_dtype():
    assert tg.bincount(tg.tensor([True, False, True])).tolist() == [1, 2]  # as NumPy's
    empty = tg.bincount(tg.zeros(0, dtype="int64"), tg.zeros(0), minlength=2)
    assert empty.dtype == np.float64 and empty.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("args, kwargs, error, match", [
    (([0, -1],), {}, ValueError, r"bincount: the values must be >= 0, got -1"),
    (([0.0, 1.0],), {}, TypeError, r"bincount: counts non-negative integers .* float64"),
    (([[0, 1]],), {}, ValueError, r"bincount: the input must be 1-D, got shape \(1, 2\)"),
    (([0, 1], [1.0]), {}, ValueError, r"bincount: weights must hold one number per entry"),
    (([0, 1],), {"minlength": -1}, ValueError, r"bincount: minlength must be >= 0, got -1"),
    (([0, 1],), {"minlength": 1.5}, TypeError, r"bincount: minlength must be an int"),
])
def test_bincount_errors_are_one_line(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        tg.bincount(*[np.array(a) for a in args], **kwargs)


@pytest.mark.torch
@pytest.mark.parametrize("data, args", [
    ([1.0, 2.0, 1.0, 5.0], ()),
    ([1.0, 2.0, 1.0], (4, 0, 3)),
    ([-1.0, 0.0, 3.0, 4.0, NAN, 1.5], (3, 0, 3)),
    ([0.0, 1.0, 2.0, 3.0], (3, 0, 3)),
    ([0.3, 0.6, 0.9, 0.1], (3, 0, 0.9)),
    ([1.0, 2.0], (2, 1, 1)),
    ([2.0, 2.0], (4,)),
    ([[1.0, 2.0], [3.0, 3.0]], (3,)),
    (np.array([0.1, 0.7, 0.7, 0.35], dtype=np.float32), (7, 0.1, 0.8)),
    (np.zeros(0), (3,)),
    (np.zeros(0, dtype=np.float32), (3, 1, 2)),
])
def test_histc_matches_torch(data, args):
    torch = pytest.importorskip("torch")
    ours, theirs = both(torch, data)
    assert_same(tg.histc(ours, *args), torch.histc(theirs, *args))
    names = dict(zip(("bins", "min", "max"), args))
    assert_same(ours.histc(**names), theirs.histc(**names))


def test_histc_counts_integers_as_float64_and_gives_no_gradient():
    x = tg.tensor([0.5, 1.5, 1.5], requires_grad=True)
    assert not tg.histc(x, bins=2).requires_grad
    ints = tg.histc(tg.tensor([0, 1, 1, 3]), bins=3)
    assert ints.dtype == np.float64
    np.testing.assert_array_equal(ints.numpy(), tg.histc(tg.tensor([0.0, 1, 1, 3]), 3).numpy())


@pytest.mark.parametrize("args, error, match", [
    (([1.0, NAN], 3), ValueError, r"histc: the range \[nan, nan\] is not finite"),
    (([1.0, 2.0], 3, 0, INF), ValueError, r"histc: the range \[0.0, inf\] is not finite"),
    (([1.0, 2.0], 3, 3, 1), ValueError, r"histc: max must be larger than min, got min=3"),
    (([1.0, 2.0], 0), ValueError, r"histc: bins must be > 0, got 0"),
    (([1.0, 2.0], 2.0), TypeError, r"histc: bins must be an int, got float 2.0"),
    (([1.0, 2.0], 2, "0"), TypeError, r"histc: min must be a number"),
])
def test_histc_errors_are_one_line(args, error, match):
    with pytest.raises(error, match=match):
        tg.histc(tg.tensor(args[0]), *args[1:])


# ------------------------------------------------------------------ searchsorted, bucketize

SEQUENCE = np.array([1.0, 3.0, 3.0, 5.0])


@pytest.mark.torch
@pytest.mark.parametrize("sequence, values", [
    (SEQUENCE, np.array([0.0, 3.0, 4.0, 6.0])),
    (SEQUENCE, np.array([[1.0, 4.0], [6.0, 0.0]])),
    (SEQUENCE, np.array(3.0)),
    (SEQUENCE, np.zeros(0)),
    (np.zeros(0), np.array([1.0, 2.0])),
    (np.array([1.0, 2.0, NAN]), np.array([NAN, 2.0, 5.0, -INF])),
    (np.array([3.0, 1.0, 2.0]), np.array([2.5, 0.0])),  # unsorted: the same search as torch
    (np.array([1, 3, 5]), np.array([2.5, 3.0])),
    (np.array([1.5, 3.0]), np.array([2, 3])),
    (np.array([1.0, 2.0], dtype=np.float32), np.array([1.5, 2.0], dtype=np.float32)),
    (np.array([[1.0, 3.0], [2.0, 4.0]]), np.array([[2.0, 5.0, 3.0], [3.0, 0.0, 4.0]])),
    (np.zeros((2, 0)), np.zeros((2, 3))),
])
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_matches_torch(sequence, values, right):
    torch = pytest.importorskip("torch")
    (ours, theirs), (our_values, their_values) = both(torch, sequence), both(torch, values)
    expected = torch.searchsorted(theirs, their_values, right=right)
    side = "right" if right else "left"
    assert_same(tg.searchsorted(ours, our_values, right=right), expected)
    assert_same(tg.searchsorted(ours, our_values, side=side), expected)
    assert_same(tg.searchsorted(ours, our_values, side), expected)  # NumPy's third argument
    assert_same(ours.searchsorted(our_values, side=side, out_int32=True),
                torch.searchsorted(theirs, their_values, side=side, out_int32=True))
    if sequence.ndim == 1:
        assert_same(tg.bucketize(our_values, ours, right=right),
                    torch.bucketize(their_values, theirs, right=right))
        assert_same(tg.bucketize(our_values, ours, out_int32=True, right=right),
                    torch.bucketize(their_values, theirs, out_int32=True, right=right))


@pytest.mark.torch
@pytest.mark.parametrize("sequence, sorter, values", [
    ([3.0, 1.0, 2.0], [1, 2, 0], [2.5, 0.0, 3.0]),
    ([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0]], [[1, 2, 0], [0, 2, 1]], [[2.5], [0.5]]),
])
def test_searchsorted_with_sorter_matches_torch(sequence, sorter, values):
    torch = pytest.importorskip("torch")
    (ours, theirs), (our_values, their_values) = both(torch, sequence), both(torch, values)
    for side in ("left", "right"):
        assert_same(tg.searchsorted(ours, our_values, side, sorter),
                    torch.searchsorted(theirs, their_values, side=side,
                                       sorter=torch.tensor(sorter)))


@pytest.mark.torch
def test_searchsorted_and_bucketize_take_a_number_as_torch():
    torch = pytest.importorskip("torch")
    assert_same(tg.searchsorted(tg.tensor([1, 2, 3]), 2.5),
                torch.searchsorted(torch.tensor([1, 2, 3]), 2.5))
    assert_same(tg.bucketize(3.0, tg.tensor(SEQUENCE), right=True),
                torch.bucketize(3.0, torch.tensor(SEQUENCE), right=True))


@pytest.mark.parametrize("call, error, match", [
    (lambda: tg.searchsorted(SEQUENCE, [1.0], side="middle"), ValueError,
     r"searchsorted: side must be 'left' or 'right', got 'middle'"),
    (lambda: tg.searchsorted(SEQUENCE, [1.0], side="left", right=True), ValueError,
     r"searchsorted: side='left' and right=True contradict each other"),
    (lambda: tg.searchsorted(np.array(1.0), [1.0]), ValueError,
     r"searchsorted: the sorted sequence must have at least one axis"),
    (lambda: tg.searchsorted(np.zeros((2, 2)), np.zeros((1, 2))), ValueError,
     r"searchsorted: a sorted sequence of shape \(2, 2\) .* got \(1, 2\)"),
    (lambda: tg.searchsorted(SEQUENCE, [1.0], sorter=[0.0, 1, 2, 3]), TypeError,
     r"searchsorted: sorter must hold integer indices, got dtype float64"),
    (lambda: tg.searchsorted(SEQUENCE, [1.0], sorter=[0, 1]), ValueError,
     r"searchsorted: sorter must have the sequence's shape \(4,\), got \(2,\)"),
    (lambda: tg.searchsorted(SEQUENCE, [1.0], sorter=[0, 1, 2, 4]), IndexError,
     r"searchsorted: sorter holds an index out of range for rows of length 4"),
    (lambda: tg.searchsorted(SEQUENCE, [1.0], out_int32=1), TypeError,
     r"searchsorted: out_int32 must be True or False"),
    (lambda: tg.bucketize([1.0], np.zeros((1, 2))), ValueError,
     r"bucketize: the boundaries must be 1-D, got shape \(1, 2\)"),
    (lambda: tg.bucketize([1.0], SEQUENCE, right="yes"), TypeError,
     r"bucketize: right must be True or False"),
])
def test_searchsorted_and_bucketize_errors_are_one_line(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ isin, triangles, argwhere


@pytest.mark.torch
@pytest.mark.parametrize("elements, test_elements", [
    (np.array([1, 2, 3, 4]), np.array([2, 4, 4])),
    (np.array([[1, 2], [3, 4]]), np.array([[4]])),
    (np.array([NAN, 1.0, INF, -0.0]), np.array([NAN, 1.0, INF, 0.0])),
    (np.array([1, 2]), np.array([1.5, 2.0])),
    (np.array([1.5, 2.0], dtype=np.float32), np.array([2])),
    (np.zeros(0), np.array([1.0])),
    (np.array([1.0]), np.zeros(0)),
    (np.array(2), np.array([2])),
])
@pytest.mark.parametrize("invert", [False, True])
def test_isin_matches_torch(elements, test_elements, invert):
    torch = pytest.importorskip("torch")
    (ours, theirs), (our_test, their_test) = both(torch, elements), both(torch, test_elements)
    expected = torch.isin(theirs, their_test, invert=invert)
    assert_same(tg.isin(ours, our_test, invert=invert), expected)
    assert_same(tg.isin(ours, our_test, assume_unique=True, invert=invert), expected)


@pytest.mark.torch
def test_isin_takes_a_number_either_side_and_booleans():
    torch = pytest.importorskip("torch")
    assert_same(tg.isin(tg.tensor([1, 2, 3]), 2), torch.isin(torch.tensor([1, 2, 3]), 2))
    assert_same(tg.isin(2, tg.tensor([1, 2])), torch.isin(2, torch.tensor([1, 2])))
    assert tg.isin(tg.tensor([True, False]), [True]).tolist() == [True, False]  # NumPy's
    with pytest.raises(TypeError, match="isin: invert must be True or False"):
        tg.isin([1], [1], invert=None)


@pytest.mark.torch
@pytest.mark.parametrize("function", ["tril_indices", "triu_indices"])
def test_triangle_indices_match_torch(function):
    torch = pytest.importorskip("torch")
    for row in range(5):
        for col in range(5):
            for offset in range(-6, 7):
                assert_same(getattr(tg, function)(row, col, offset),
                            getattr(torch, function)(row, col, offset))
    assert_same(getattr(tg, function)(3, 4, offset=1, dtype=tg.int32),
                getattr(torch, function)(3, 4, offset=1, dtype=torch.int32))
    with pytest.raises(ValueError, match=f"{function}: row and col must be >= 0, got row=-1"):
        getattr(tg, function)(-1, 3)
    with pytest.raises(TypeError, match=f"{function}: row must be an int, got float 2.0"):
        getattr(tg, function)(2.0, 3)
    with pytest.raises(TypeError, match=f"{function}: dtype must be an integer dtype"):
        getattr(tg, function)(2, 3, dtype=tg.float32)


@pytest.mark.torch
@pytest.mark.parametrize("data", [np.array([[0, 1], [2, 0]]), np.array(5.0), np.array(0.0),
                                  np.array([NAN, 0.0]), np.zeros((0, 3)),
                                  np.array([True, False, True])])
def test_argwhere_matches_torch(data):
    torch = pytest.importorskip("torch")
    ours, theirs = both(torch, data)
    assert_same(tg.argwhere(ours), torch.argwhere(theirs))
    assert_same(ours.argwhere(), theirs.argwhere())

"""Reductions and selections at an empty or nearly empty slice, as PyTorch's: kthvalue,
median, nanmedian, mode and the inf and negative norms over an axis of length 0 raise
`EmptyReductionError` (PyTorch's IndexError, or RuntimeError for a norm, and NumPy's
ValueError); topk's and kthvalue's k out of range `KOutOfRangeError` (PyTorch's
RuntimeError and still ValueError), a k that is not an int TypeError; tg.masked's
functions keep the class of the error raised inside them (masked.amax over an empty axis
is an IndexError, as torch.masked's, no longer a plain one); tg.masked's var and std over
a slice that keeps no more entries than the correction, and std over a slice of equal
entries, give PyTorch's values (inf or NaN; 0) and NaN gradients with NumPy's warnings an
error, forward and backward. Checked against hand-written reasoning and NumPy formulas,
and (marked `torch`) against PyTorch."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.ops.reductions import EmptyReductionError, KOutOfRangeError

INF, NAN = math.inf, math.nan


def _raised(call):
    """The exception `call()` raises (the test fails when it raises none)."""
    with pytest.raises(Exception) as info:
        call()
    return info.value


# --- kthvalue and topk ---------------------------------------------------------------

@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((0, 3), 0), ((0,), 0), ((2, 0), -1)])
@pytest.mark.parametrize("k", [1, 0, 3])
def test_kthvalue_over_an_empty_axis_is_an_indexerror_and_a_valueerror(shape, dim, k):
    error = _raised(lambda: tg.kthvalue(tg.zeros(shape), k, dim))
    assert isinstance(error, EmptyReductionError)
    assert isinstance(error, IndexError) and isinstance(error, ValueError)
    axis = dim % len(shape)
    assert str(error) == (f"kthvalue: axis {axis} of the tensor of shape {shape} is empty, so it "
                          f"has no k-th value; reduce over an axis of non-zero length")


@pytest.mark.parametrize("k", [0, 4, -1])
def test_kthvalue_k_out_of_range_is_a_runtimeerror_and_a_valueerror(k):
    with pytest.raises(RuntimeError, match=r"^kthvalue: k must be a whole number from 1 to 3 "
                                           r"\(the length of axis 1 of a tensor of shape "
                                           rf"\(2, 3\)\), got {k}$") as info:
        tg.kthvalue(tg.zeros((2, 3)), k, 1)
    assert isinstance(info.value, ValueError) and not isinstance(info.value, IndexError)
    # an empty tensor, its axis not: k out of range, as PyTorch's
    assert isinstance(_raised(lambda: tg.kthvalue(tg.zeros((0, 3)), 5, 1)), KOutOfRangeError)


@pytest.mark.parametrize("shape, k", [((2, 3), 4), ((2, 3), -1), ((2, 0), 1), ((), 2)])
def test_topk_k_out_of_range_is_a_runtimeerror_and_a_valueerror(shape, k):
    error = _raised(lambda: tg.topk(tg.zeros(shape), k))
    assert isinstance(error, RuntimeError) and isinstance(error, ValueError)
    assert not isinstance(error, IndexError)
    assert str(error).startswith("topk: k must be ") and f"got {k}" in str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize("k", [1.0, True, "2", None])
def test_a_k_that_is_not_an_int_is_a_typeerror(k):
    with pytest.raises(TypeError, match=r"^topk: k must be an int, got "):
        tg.topk(tg.zeros((2, 3)), k)
    with pytest.raises(TypeError, match=r"^kthvalue: k must be an int, got "):
        tg.kthvalue(tg.zeros((2, 3)), k)


def test_topk_and_kthvalue_in_range_still_select():
    data = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    assert tg.topk(tg.tensor(data), 2).values.tolist() == np.sort(data)[:, ::-1][:, :2].tolist()
    assert tg.kthvalue(tg.tensor(data), 2).values.tolist() == np.sort(data)[:, 1].tolist()
    assert tg.topk(tg.zeros((2, 0)), 0).values.shape == (2, 0)
    assert tg.kthvalue(tg.zeros((0, 3)), 2, 1).values.shape == (0,)


# --- median, mode, norms -------------------------------------------------------------

@pytest.mark.parametrize("call, start", [
    (lambda: tg.median(tg.zeros((2, 0)), 1), "median: axis 1 of the tensor of shape (2, 0)"),
    (lambda: tg.nanmedian(tg.zeros((0, 3)), 0), "nanmedian: axis 0 of the tensor of shape"),
    (lambda: tg.mode(tg.zeros((2, 0)), 1), "mode: dimension 1 of the tensor of shape (2, 0)"),
    (lambda: tg.zeros((2, 0)).median(dim=-1), "median: axis 1 of the tensor"),
])
def test_median_and_mode_over_an_empty_axis_raise_the_same_class_as_max(call, start):
    error = _raised(call)
    assert isinstance(error, EmptyReductionError) and isinstance(error, ValueError)
    assert str(error).startswith(start) and "non-zero length" in str(error)


@pytest.mark.parametrize("p", [INF, -INF, -1.0, -0.5])
def test_a_norm_with_no_identity_over_an_empty_axis_is_a_runtimeerror_and_a_valueerror(p):
    for call in (lambda: tg.linalg.vector_norm(tg.zeros((2, 0)), p, dim=1),
                 lambda: tg.zeros((2, 0)).norm(p=p, dim=1),
                 lambda: tg.masked.norm(tg.zeros((2, 0)), p, 1)):
        error = _raised(call)
        assert isinstance(error, RuntimeError) and isinstance(error, ValueError)
        assert f"the {p} norm of no entries is undefined" in str(error)
    assert tg.linalg.vector_norm(tg.zeros((2, 0)), 0.5, dim=1).tolist() == [0.0, 0.0]


# --- tg.masked keeps the class raised inside ----------------------------------------

@pytest.mark.parametrize("name", ["amax", "amin", "argmax", "argmin", "median"])
def test_a_masked_reduction_over_an_empty_axis_keeps_the_error_class(name):
    error = _raised(lambda: getattr(tg.masked, name)(tg.zeros((2, 0)), 1))
    assert isinstance(error, EmptyReductionError)  # IndexError, RuntimeError, ValueError
    assert str(error).startswith(f"masked.{name}: ") and "is empty" in str(error)
    assert "\n" not in str(error) and f": {name}: " not in str(error)  # (named once)


def test_a_masked_functions_other_errors_keep_their_class_and_message():
    with pytest.raises(TypeError, match=r"^masked\.sum: dim must be an int"):
        tg.masked.sum(tg.zeros(3), dim="a")
    with pytest.raises(IndexError, match=r"^masked\.amax: "):
        tg.masked.amax(tg.zeros(3), dim=4)


# --- tg.masked var and std at no more entries than the correction --------------------

DATA = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 7.0], [2.0, 2.0, 9.0], [6.0, 6.0, 1.0],
                 [1.0, -2.0, 0.5]])
# rows keep 1, 2, 0, 2 equal and 3 entries
KEPT = np.array([[True, False, False], [True, True, False], [False, False, False],
                 [True, True, False], [True, True, True]])
SEED = np.array([1.5, -2.0, 0.75, 3.0, -0.5])


def _quietly(fn, x, **keywords):
    """fn(x, 1, mask=KEPT, **keywords) and its backward under SEED, NumPy's warnings (and
    any other) an error throughout."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(x, 1, mask=tg.tensor(KEPT), **keywords)
        out.backward(tg.tensor(SEED.astype(out.dtype)))
    return out


def _expected(correction, root):
    """Each row's variance (std) and gradient, written out: a row keeping no more entries
    than the correction gives sum / 0 (inf, NaN for 0 / 0) and NaN at its kept entries,
    as PyTorch's composed x - mean, square, sum, divide; a std of 0 the slope of sqrt at 0
    (inf) times distances 0: NaN at the kept entries too; left-out entries 0."""
    values, grads = np.zeros(len(DATA)), np.zeros(DATA.shape)
    for row, (data, kept) in enumerate(zip(DATA, KEPT)):
        entries = data[kept]
        if entries.size == 0:  # (a slice left out whole: the earlier round's edge)
            values[row] = NAN if correction >= 0 else 0.0
            grads[row] = NAN
            continue
        distances = entries - entries.mean()
        squares, divisor = (distances ** 2).sum(), max(entries.size - correction, 0)
        if divisor == 0:
            values[row] = INF if squares > 0 else NAN
            grads[row, kept] = NAN
            continue
        values[row] = squares / divisor
        grads[row, kept] = SEED[row] * 2 * distances / divisor
        if root:
            values[row] = math.sqrt(values[row])
            grads[row, kept] = NAN if squares == 0 else grads[row, kept] / (2 * values[row])
    return values, grads


@pytest.mark.parametrize("correction", [1, 2, 3, 0.5, 0, -1])
@pytest.mark.parametrize("root", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_masked_var_and_std_with_no_more_entries_than_the_correction_are_silent(
        correction, root, dtype):
    x = tg.tensor(DATA.astype(dtype), requires_grad=True)
    out = _quietly(tg.masked.std if root else tg.masked.var, x, correction=correction)
    values, grads = _expected(correction, root)
    assert out.dtype == dtype and x.grad.dtype == dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out.data, values, rtol=tolerance)
    np.testing.assert_allclose(x.grad.data, grads, rtol=tolerance)


def test_masked_std_gradient_checks_where_the_slices_spread():
    x = tg.tensor(DATA[[1, 4]], requires_grad=True)
    assert tg.gradcheck(lambda t: tg.masked.std(t, 1, mask=tg.tensor(KEPT[[1, 4]])), (x,))
    assert tg.gradcheck(lambda t: tg.masked.var(t, 1, correction=0.5,
                                                mask=tg.tensor(KEPT[[1, 4]])), (x,))


# --- against PyTorch -----------------------------------------------------------------

TORCH_CALLS = {
    "kthvalue empty": lambda L: L.kthvalue(L.zeros((2, 0)), 1, 1),
    "kthvalue empty k 0": lambda L: L.kthvalue(L.zeros((0, 3)), 0, 0),
    "kthvalue 1-d empty": lambda L: L.kthvalue(L.zeros((0,)), 1),
    "kthvalue k > n": lambda L: L.kthvalue(L.zeros((2, 3)), 4, 1),
    "kthvalue k 0": lambda L: L.kthvalue(L.zeros((2, 3)), 0, 1),
    "kthvalue empty tensor, k > n": lambda L: L.kthvalue(L.zeros((0, 3)), 5, 1),
    "kthvalue 0-d k 2": lambda L: L.kthvalue(L.zeros(()), 2),
    "kthvalue bool k": lambda L: L.kthvalue(L.zeros((2, 3)), True),
    "topk empty": lambda L: L.topk(L.zeros((2, 0)), 1),
    "topk k > n": lambda L: L.topk(L.zeros((2, 3)), 4),
    "topk k < 0": lambda L: L.topk(L.zeros((2, 3)), -1),
    "topk 0-d k 2": lambda L: L.topk(L.zeros(()), 2),
    "topk float k": lambda L: L.topk(L.zeros((2, 3)), 1.0),
    "topk bool k": lambda L: L.topk(L.zeros((2, 3)), True),
    "median empty": lambda L: L.median(L.zeros((2, 0)), 1),
    "nanmedian empty": lambda L: L.nanmedian(L.zeros((0, 3)), 0),
    "mode empty": lambda L: L.mode(L.zeros((2, 0)), 1),
    "quantile empty": lambda L: L.quantile(L.zeros((2, 0)), 0.5, 1),
    "nanquantile empty": lambda L: L.nanquantile(L.zeros((2, 0)), 0.5),
    "norm inf empty": lambda L: L.linalg.vector_norm(L.zeros((2, 0)), INF, 1),
    "norm -1 empty": lambda L: L.zeros((2, 0)).norm(p=-1, dim=1),
    "masked.amax empty": lambda L: L.masked.amax(L.zeros((2, 0)), 1),
    "masked.amin empty": lambda L: L.masked.amin(L.zeros((0, 3)), 0),
    "masked.argmax empty": lambda L: L.masked.argmax(L.zeros((2, 0)), 1),
    "masked.argmin empty": lambda L: L.masked.argmin(L.zeros((2, 0)), 1),
    "masked.median empty": lambda L: L.masked.median(L.zeros((2, 0)), 1),
    "masked.norm inf empty": lambda L: L.masked.norm(L.zeros((2, 0)), INF, 1),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(TORCH_CALLS))
def test_refusals_at_an_empty_axis_are_pytorchs_class(case):
    torch = pytest.importorskip("torch")
    theirs = _raised(lambda: TORCH_CALLS[case](torch))
    ours = _raised(lambda: TORCH_CALLS[case](tg))
    assert isinstance(ours, type(theirs)), (type(ours), type(theirs))
    assert "\n" not in str(ours)


def _zeros(lib, shape):
    """Zeros of `shape` in float64 (PyTorch's default is float32, ours float64)."""
    return lib.zeros(shape, dtype=lib.float64)


VALUE_CALLS = {
    "sort": lambda L: L.sort(_zeros(L, (2, 0)), dim=1).values,
    "argsort": lambda L: L.argsort(_zeros(L, (2, 0)), dim=1),
    "cummax": lambda L: L.cummax(_zeros(L, (2, 0)), 1).values,
    "cummin indices": lambda L: L.cummin(_zeros(L, (2, 0)), 1).indices,
    "logcumsumexp": lambda L: L.logcumsumexp(_zeros(L, (2, 0)), 1),
    "prod": lambda L: L.prod(_zeros(L, (2, 0)), 1),
    "logsumexp": lambda L: L.logsumexp(_zeros(L, (2, 0)), 1),
    "norm": lambda L: _zeros(L, (2, 0)).norm(dim=1),
    "norm 0.5": lambda L: L.linalg.vector_norm(_zeros(L, (2, 0)), 0.5, 1),
    "median whole": lambda L: L.median(_zeros(L, (2, 0))),
    "nanmedian whole": lambda L: L.nanmedian(_zeros(L, (0,))),
    "topk 0 of empty": lambda L: L.topk(_zeros(L, (2, 0)), 0).values,
    "kthvalue of empty, axis not": lambda L: L.kthvalue(_zeros(L, (0, 3)), 2, 1).values,
    "masked.sum": lambda L: L.masked.sum(_zeros(L, (2, 0)), 1),
    "masked.logsumexp": lambda L: L.masked.logsumexp(_zeros(L, (2, 0)), 1),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(VALUE_CALLS))
def test_values_at_an_empty_axis_are_pytorchs(case):
    torch = pytest.importorskip("torch")
    theirs, ours = VALUE_CALLS[case](torch), VALUE_CALLS[case](tg)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(np.asarray(ours.data), theirs.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("correction", [1, 2, 3, 0.5, 0, -1])
@pytest.mark.parametrize("name", ["var", "std"])
def test_masked_var_and_std_near_empty_slices_as_pytorchs(correction, name):
    torch = pytest.importorskip("torch")
    t = torch.tensor(DATA, requires_grad=True)
    theirs = getattr(torch.masked, name)(t, 1, correction=correction, mask=torch.tensor(KEPT))
    theirs.backward(torch.tensor(SEED))
    x = tg.tensor(DATA, requires_grad=True)
    ours = _quietly(getattr(tg.masked, name), x, correction=correction)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12)

"""The functions made of several ops (compositions.py, composed_reductions.py): hstack,
median, kthvalue, nansum, cross, cdist, ... Their values, indices and gradients against
PyTorch's, gradcheck in float64, float32 kept, and their one-line errors.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from test_statistics_products import _compare, _flat  # (values and gradients against torch)

torch = pytest.importorskip("torch")  # every test compares with PyTorch

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))  # no ties: indices are PyTorch's too
B = RNG.standard_normal((3, 4))
C = RNG.standard_normal((2, 4))
V = RNG.standard_normal(4)
W = RNG.standard_normal(4)
S = np.array(0.7)
CUBE = RNG.standard_normal((2, 3, 4))
THREE = RNG.standard_normal((4, 3))
THREE2 = RNG.standard_normal((4, 3))
TIES = np.array([[1.0, 2.0, 2.0, 2.0, 3.0], [5.0, 5.0, 1.0, 1.0, 0.0]])
NAN = float("nan")
WITH_NAN = np.array([[1.0, NAN, 2.0, 0.5], [NAN, NAN, NAN, NAN], [3.0, -1.0, 4.0, 2.0]])


# name: our function, PyTorch's, the inputs (float64, requiring gradients)
CASES = {
    "hstack matrices": (lambda a, b: tg.hstack([a, b]), lambda a, b: torch.hstack([a, b]),
                        [A, B]),
    "hstack 1-d and 0-d": (lambda v, s: tg.hstack((v, s, v)),
                           lambda v, s: torch.hstack((v, s, v)), [V, S]),
    "vstack 1-d": (lambda v, w: tg.vstack([v, w]), lambda v, w: torch.vstack([v, w]), [V, W]),
    "vstack matrix and 1-d": (lambda a, v: tg.vstack([a, v]), lambda a, v: torch.vstack([a, v]),
                              [A, V]),
    "vstack 0-d": (lambda s: tg.vstack([s, s]), lambda s: torch.vstack([s, s]), [S]),
    "dstack 1-d": (lambda v, w: tg.dstack([v, w]), lambda v, w: torch.dstack([v, w]), [V, W]),
    "dstack matrices and 3-d": (lambda a, b, c: tg.dstack([a, b, c]),
                                lambda a, b, c: torch.dstack([a, b, c]),
                                [A, B, RNG.standard_normal((3, 4, 2))]),
    "dstack 0-d": (lambda s: tg.dstack([s, s]), lambda s: torch.dstack([s, s]), [S]),
    "column_stack": (lambda v, w, m: tg.column_stack([v, m, w]),
                     lambda v, w, m: torch.column_stack([v, m, w]),
                     [V, W, RNG.standard_normal((4, 2))]),
    "column_stack 0-d": (lambda s: tg.column_stack([s, s]),
                         lambda s: torch.column_stack([s, s]), [S]),
    "fliplr": (tg.fliplr, torch.fliplr, [CUBE]),
    "flipud": (tg.flipud, torch.flipud, [V]),
    "fliplr method": (lambda a: a.fliplr(), lambda a: a.fliplr(), [A]),
    "flipud method": (lambda a: a.flipud(), lambda a: a.flipud(), [CUBE]),
    "swapdims": (lambda x: tg.swapdims(x, 0, -1), lambda x: torch.swapdims(x, 0, -1), [CUBE]),
    "swapdims method": (lambda x: x.swapdims(1, 2), lambda x: x.swapdims(1, 2), [CUBE]),
    "unflatten": (lambda x: tg.unflatten(x, 1, (2, -1)), lambda x: torch.unflatten(x, 1, (2, -1)),
                  [A]),
    "unflatten method": (lambda x: x.unflatten(-1, (2, 1, 2)), lambda x: x.unflatten(-1, (2, 1, 2)),
                         [CUBE]),
    "amax": (lambda x: tg.amax(x, 1), lambda x: torch.amax(x, 1), [CUBE]),
    "amax dims keepdim": (lambda x: tg.amax(x, (0, 2), True),
                          lambda x: torch.amax(x, (0, 2), True), [CUBE]),
    "amin axis=": (lambda x: tg.amin(x, axis=0), lambda x: torch.amin(x, dim=0), [A]),
    "amin all": (tg.amin, torch.amin, [A]),
    "diagonal": (lambda x: tg.diagonal(x, 1), lambda x: torch.diagonal(x, 1), [A]),
    "diagonal dims swapped": (lambda x: tg.diagonal(x, -1, 1, 0),
                              lambda x: torch.diagonal(x, -1, 1, 0), [A]),
    "median": (tg.median, torch.median, [A]),
    "median even count": (lambda x: x.median(), lambda x: x.median(), [V]),
    "median ties share": (tg.median, torch.median, [np.array([1.0, 2.0, 2.0, 3.0, 2.0])]),
    "median with NaN": (tg.median, torch.median, [WITH_NAN]),
    "median empty": (tg.median, torch.median, [np.zeros((0, 3))]),
    "median dim": (lambda x: tg.median(x, 1), lambda x: torch.median(x, 1), [A]),
    "median dim= keepdim": (lambda x: x.median(dim=0, keepdim=True),
                            lambda x: x.median(dim=0, keepdim=True), [A]),
    "median dim with NaN": (lambda x: x.median(dim=1), lambda x: x.median(dim=1), [WITH_NAN]),
    "median 0-d": (lambda x: x.median(dim=0), lambda x: x.median(dim=0), [S]),
    "nanmedian": (tg.nanmedian, torch.nanmedian, [WITH_NAN]),
    "nanmedian dim": (lambda x: x.nanmedian(1), lambda x: x.nanmedian(1), [WITH_NAN[[0, 2]]]),
    "kthvalue": (lambda x: tg.kthvalue(x, 2), lambda x: torch.kthvalue(x, 2), [A]),
    "kthvalue dim keepdim": (lambda x: x.kthvalue(3, 0, True), lambda x: x.kthvalue(3, 0, True),
                             [A]),
    "kthvalue NaN largest": (lambda x: x.kthvalue(4, dim=1), lambda x: x.kthvalue(4, dim=1),
                             [WITH_NAN[[0, 2]]]),
    "nansum": (tg.nansum, torch.nansum, [WITH_NAN]),
    "nansum dim keepdim": (lambda x: x.nansum(1, True), lambda x: x.nansum(1, True), [WITH_NAN]),
    "nanmean": (tg.nanmean, torch.nanmean, [WITH_NAN[[0, 2]]]),
    "nanmean dim": (lambda x: x.nanmean(dim=0), lambda x: x.nanmean(dim=0), [WITH_NAN[[0, 2]]]),
    "aminmax": (tg.aminmax, torch.aminmax, [A]),
    "aminmax dim": (lambda x: x.aminmax(dim=1, keepdim=True),
                    lambda x: x.aminmax(dim=1, keepdim=True), [CUBE]),
    "aminmax ties": (lambda x: tg.aminmax(x), torch.aminmax, [TIES]),
    "std_mean": (tg.std_mean, torch.std_mean, [A]),
    "std_mean dim unbiased": (lambda x: tg.std_mean(x, 1, False, True),
                              lambda x: torch.std_mean(x, 1, False, True), [A]),
    "std_mean correction": (lambda x: tg.std_mean(x, dim=(0, 2), correction=0),
                            lambda x: torch.std_mean(x, dim=(0, 2), correction=0), [CUBE]),
    "std_mean unbiased only": (lambda x: tg.std_mean(x, False),
                               lambda x: torch.std_mean(x, False), [A]),
    "var_mean": (tg.var_mean, torch.var_mean, [A]),
    "var_mean dim": (lambda x: tg.var_mean(x, 0, keepdim=True),
                     lambda x: torch.var_mean(x, 0, keepdim=True), [A]),
    "tensor_split sections": (lambda x: tg.tensor_split(x, 3, 1),
                              lambda x: torch.tensor_split(x, 3, 1), [RNG.standard_normal((2, 7))]),
    "tensor_split indices": (lambda x: x.tensor_split([3, 1, -2, 10]),
                             lambda x: x.tensor_split([3, 1, -2, 10]), [RNG.standard_normal(7)]),
    "tensor_split tensor": (lambda x: x.tensor_split(tg.as_tensor([1, 2]), dim=1),
                            lambda x: x.tensor_split(torch.tensor([1, 2]), dim=1), [A]),
    "take_along_dim": (lambda x: tg.take_along_dim(x, np.array([[0, 3], [1, 1], [2, 0]]), 1),
                       lambda x: torch.take_along_dim(x, torch.tensor([[0, 3], [1, 1], [2, 0]]),
                                                      1), [A]),
    "take_along_dim broadcast": (
        lambda x: x.take_along_dim(tg.as_tensor([[[0], [2]]]), dim=2),
        lambda x: x.take_along_dim(torch.tensor([[[0], [2]]]), dim=2),
        [RNG.standard_normal((2, 1, 4))]),
    "take_along_dim flat": (lambda x: tg.take_along_dim(x, tg.as_tensor([0, 11, 11])),
                            lambda x: torch.take_along_dim(x, torch.tensor([0, 11, 11])), [A]),
    "masked_select": (lambda x: tg.masked_select(x, x.data > 0),
                      lambda x: torch.masked_select(x, x > 0), [A]),
    "masked_select broadcast": (lambda v: v.masked_select(tg.as_tensor(A > 0)),
                                lambda v: v.masked_select(torch.tensor(A > 0)), [V]),
    "addcmul": (lambda a, b, c: tg.addcmul(a, b, c, value=-0.5),
                lambda a, b, c: torch.addcmul(a, b, c, value=-0.5), [A, V, B]),
    "addcmul method": (lambda a, b: a.addcmul(b, b), lambda a, b: a.addcmul(b, b), [A, B]),
    "addcdiv": (lambda a, b, c: tg.addcdiv(a, b, c, value=2),
                lambda a, b, c: torch.addcdiv(a, b, c, value=2), [A, V, B + 3]),
    "cross": (tg.cross, lambda a, b: torch.linalg.cross(a, b), [THREE, THREE2]),
    "cross dim broadcast": (lambda a, b: a.cross(b, dim=0),
                            lambda a, b: torch.linalg.cross(a, b, dim=0),
                            [THREE.T, THREE2[0].reshape(3, 1)]),
    "kron": (tg.kron, torch.kron, [A, C]),
    "kron of other ranks": (lambda a, b: a.kron(b), lambda a, b: a.kron(b), [V, CUBE]),
    "rot90": (tg.rot90, torch.rot90, [A]),
    "rot90 k dims": (lambda x: tg.rot90(x, -1, (2, 0)), lambda x: torch.rot90(x, -1, (2, 0)),
                     [CUBE]),
    "rot90 twice": (lambda x: x.rot90(2, [1, 2]), lambda x: x.rot90(2, [1, 2]), [CUBE]),
    "rot90 thrice": (lambda x: x.rot90(3), lambda x: x.rot90(3), [A]),
    "rot90 zero": (lambda x: x.rot90(4), lambda x: x.rot90(4), [A]),
    "dist": (tg.dist, torch.dist, [A, B]),
    "dist broadcast p": (lambda a, b: a.dist(b, 3), lambda a, b: a.dist(b, 3), [A, V]),
    "dist p=1": (lambda a, b: tg.dist(a, b, 1), lambda a, b: torch.dist(a, b, 1), [A, B]),
    "dist p=inf": (lambda a, b: tg.dist(a, b, math.inf), lambda a, b: torch.dist(a, b, math.inf),
                   [A, B]),
    "dist at zero": (tg.dist, torch.dist, [A, A]),
    "cdist": (tg.cdist, torch.cdist, [A, C]),
    "cdist batch": (tg.cdist, torch.cdist, [CUBE, RNG.standard_normal((1, 5, 4))]),
    "cdist p=1": (lambda a, b: tg.cdist(a, b, 1.0), lambda a, b: torch.cdist(a, b, 1.0), [A, C]),
    "cdist p=3 at zero": (lambda a, b: tg.cdist(a, b, 3), lambda a, b: torch.cdist(a, b, 3),
                          [A, np.vstack([A[:1], C])]),
    "cdist at zero": (tg.cdist, torch.cdist, [A, np.vstack([A[1:], C])]),
    "logcumsumexp": (lambda x: tg.logcumsumexp(x, 1), lambda x: torch.logcumsumexp(x, 1),
                     [RNG.standard_normal((2, 11))]),
    "logcumsumexp far apart": (lambda x: x.logcumsumexp(0), lambda x: x.logcumsumexp(0),
                               [np.array([-1000.0, 0.0, 800.0, -5.0, 1000.0])]),
    "logcumsumexp 0-d": (lambda x: x.logcumsumexp(0), lambda x: x.logcumsumexp(0), [S]),
    "cummax": (lambda x: tg.cummax(x, 1), lambda x: torch.cummax(x, 1), [A]),
    "cummax ties and NaN": (lambda x: x.cummax(0), lambda x: x.cummax(0),
                            [np.array([1.0, 3.0, 3.0, 2.0, NAN, 5.0, NAN])]),
    "cummin": (lambda x: tg.cummin(x, dim=0), lambda x: torch.cummin(x, dim=0), [CUBE]),
    "cummin ties": (lambda x: x.cummin(-1), lambda x: x.cummin(-1), [TIES]),
    "cummax 0-d": (lambda x: x.cummax(0), lambda x: x.cummax(0), [S]),
    # edges: empty tensors and infinities
    "hstack empty piece": (lambda a, b: tg.hstack([a, b]), lambda a, b: torch.hstack([a, b]),
                           [np.zeros((2, 0)), C]),
    "kron empty": (tg.kron, torch.kron, [np.zeros((0, 2)), C]),
    "masked_select empty": (lambda x: tg.masked_select(x, x.data > 10),
                            lambda x: torch.masked_select(x, x > 10), [A]),
    "tensor_split empty": (lambda x: tg.tensor_split(x, 3), lambda x: torch.tensor_split(x, 3),
                           [np.zeros(0)]),
    "cdist empty": (tg.cdist, torch.cdist, [np.zeros((0, 4)), C]),
    "cummax empty": (lambda x: x.cummax(1), lambda x: x.cummax(1), [np.zeros((2, 0))]),
    "logcumsumexp empty": (lambda x: x.logcumsumexp(1), lambda x: x.logcumsumexp(1),
                           [np.zeros((2, 0))]),
    "nanmean empty": (lambda x: x.nanmean(0), lambda x: x.nanmean(0), [np.zeros((0, 2))]),
    "cummax inf": (lambda x: x.cummax(0), lambda x: x.cummax(0),
                   [np.array([-1.0, 0.0, -2.0, math.inf])]),
    "cummin -inf": (lambda x: x.cummin(0), lambda x: x.cummin(0),
                    [np.array([1.0, 0.0, 2.0, -math.inf])]),
    "median inf": (tg.median, torch.median, [np.array([math.inf, -math.inf, 1.0])]),
    "kthvalue inf": (lambda x: x.kthvalue(3), lambda x: x.kthvalue(3),
                     [np.array([math.inf, -math.inf, 1.0])]),
    "nansum inf": (tg.nansum, torch.nansum, [np.array([math.inf, NAN, 1.0])]),
}


def test_every_function_made_of_ops_has_a_case():
    """The table above compares each differentiable function of compositions.py with
    PyTorch's (the first word of a case names its function): one added without a case
    fails here. any and all give masks, no gradient (test_any_all_as_functions)."""
    from tinygrad_gd import compositions
    covered = {case.split()[0] for case in CASES}
    assert set(compositions.__all__) - {"any", "all"} - covered == set()


@pytest.mark.parametrize("case", CASES)
def test_values_and_gradients_are_pytorchs(case):
    ours, theirs, arrays = CASES[case]
    _compare(ours, theirs, arrays)


@pytest.mark.parametrize("case", CASES)
def test_float32_is_kept(case):
    ours, theirs, arrays = CASES[case]
    _compare(ours, theirs, arrays, dtype=np.float32, tol=1e-4)  # dtypes compared there too


# gradcheck in float64: the differentiable cases away from ties and NaN
SMOOTH = [case for case in CASES if not any(word in case for word in (
    "NaN", "ties", "zero", "empty", "inf", "p=1", "aminmax", "nanmedian", "nansum",
    "nanmean"))]


@pytest.mark.parametrize("case", SMOOTH)
def test_gradcheck(case):
    ours, _, arrays = CASES[case]

    def fn(*xs):
        outs = [out for out in _flat(ours(*xs)) if out.dtype.kind == "f"]
        return tg.concatenate([out.reshape(-1) for out in outs]) if len(outs) > 1 else outs[0]

    assert tg.gradcheck(fn, [tg.Tensor(a, requires_grad=True) for a in arrays])


def test_gradcheck_of_the_nan_functions_at_their_numbers():
    data = tg.Tensor(WITH_NAN[[0, 2]], requires_grad=True)
    assert tg.gradcheck(lambda x: tg.nanmean(x, 1), [data])
    assert tg.gradcheck(lambda x: x.nansum(0), [data])
    assert tg.gradcheck(lambda x: x.nanmedian(1).values, [data])
    assert tg.gradcheck(lambda x: tg.aminmax(x, dim=0).max, [tg.Tensor(A, requires_grad=True)])


def test_median_without_dim_shares_the_gradient_of_ties_and_with_dim_gives_it_to_one():
    x = tg.Tensor(TIES, requires_grad=True)
    tg.median(x).backward()  # the median is 2.0; three entries are 2.0
    assert x.grad.tolist() == (np.where(TIES == 2.0, 1 / 3, 0.0)).tolist()
    x.grad = None
    values, indices = x.median(dim=1)
    values.sum().backward()
    assert values.tolist() == [2.0, 1.0]
    rows = np.zeros_like(TIES)
    rows[[0, 1], indices.data] = 1.0
    assert x.grad.tolist() == rows.tolist() and TIES[[0, 1], indices.data].tolist() == [2.0, 1.0]


def test_nanmedian_and_nanmean_of_a_row_of_nan():
    values, indices = tg.nanmedian(tg.Tensor(WITH_NAN), dim=1)
    expected = torch.nanmedian(torch.tensor(WITH_NAN), dim=1)
    np.testing.assert_array_equal(values.data, expected.values.numpy())
    # a row of NaN only: the first (PyTorch's index there is whichever its selection left)
    assert indices.tolist()[1] == 0 and np.isnan(tg.nanmedian(tg.Tensor(WITH_NAN[1])).item())
    x = tg.Tensor(WITH_NAN, requires_grad=True)
    means = tg.nanmean(x, 1)
    assert np.isnan(means.data[1]) and not np.isnan(means.data[[0, 2]]).any()
    means[[0, 2]].sum().backward()
    assert x.grad.data[1].tolist() == [0.0] * 4 and x.grad.data[0, 1] == 0.0


def test_logcumsumexp_at_infinite_entries_gives_the_limits_gradient():
    data = np.array([-math.inf, 0.0, 1.0, math.inf, 2.0])
    x = tg.Tensor(data, requires_grad=True)
    out = x.logcumsumexp(0)
    np.testing.assert_array_equal(out.data, torch.tensor(data).logcumsumexp(0).numpy())
    out.backward(np.ones(5))  # PyTorch's is NaN at the infinite entries (inf - inf inside)
    np.testing.assert_allclose(x.grad.data, [1.0, 1 + 1 / (1 + math.e), math.e / (1 + math.e),
                                             2.0, 0.0])


def test_dist_p0_counts_the_differing_entries_with_gradient_0():
    x = tg.Tensor(A, requires_grad=True)
    count = tg.dist(x, tg.Tensor(np.where(A > 0, A, 0.0)), 0)
    assert count.item() == torch.dist(torch.tensor(A), torch.tensor(np.where(A > 0, A, 0.0)),
                                      0).item() == (A <= 0).sum()
    count.backward()
    assert x.grad.tolist() == np.zeros_like(A).tolist()


def test_results_are_named_as_pytorchs():
    values, indices = tg.kthvalue(tg.Tensor(A), 1, 1)
    assert tg.Tensor(A).kthvalue(1).values.tolist() == values.tolist()
    both = tg.aminmax(tg.Tensor(A))
    assert both.min.item() == A.min() and both.max.item() == A.max()
    assert tg.cummax(tg.Tensor(V), 0).indices.dtype == np.int64
    assert tg.median(tg.Tensor(A), axis=0).values.tolist() == \
        torch.median(torch.tensor(A), 0).values.tolist()


def test_any_all_as_functions():
    mask = A > 0
    assert tg.any(tg.Tensor(A) > 0).item() and not tg.all(tg.Tensor(A) > 0).item()
    assert tg.any(mask, 1).tolist() == torch.any(torch.tensor(mask), 1).tolist()
    assert tg.all(mask, dim=0, keepdim=True).tolist() == \
        torch.all(torch.tensor(mask), dim=0, keepdim=True).tolist()
    assert tg.all(tg.Tensor(A), axis=1, keepdims=True).shape == (3, 1)
    assert not tg.any(tg.Tensor(A) > 0).requires_grad


def test_numpy_calls_run_these_functions_in_the_graph():
    x = tg.Tensor(A, requires_grad=True)
    for result, expected in ((np.hstack([x, x]), np.hstack([A, A])),
                             (np.vstack([x, x]), np.vstack([A, A])),
                             (np.dstack([x, x]), np.dstack([A, A])),
                             (np.column_stack([x[0], x[1]]), np.column_stack([A[0], A[1]])),
                             (np.fliplr(x), np.fliplr(A)), (np.flipud(x), np.flipud(A)),
                             (np.rot90(x, 1, (1, 0)), np.rot90(A, 1, (1, 0))),
                             (np.kron(x, x), np.kron(A, A)),
                             (np.diagonal(x, 1), np.diagonal(A, 1)),
                             (np.amax(x, axis=1), np.amax(A, axis=1)),
                             (np.nansum(x, 0), np.nansum(A, 0)),
                             (np.nanmean(x, axis=1), np.nanmean(A, axis=1))):
        assert isinstance(result, tg.Tensor) and result.requires_grad
        np.testing.assert_allclose(result.data, expected, rtol=1e-12)
    pieces = np.array_split(x, 3, axis=1)
    assert [p.data.tolist() for p in pieces] == [p.tolist() for p in np.array_split(A, 3, 1)]
    assert isinstance(np.any(x > 0, axis=0), tg.Tensor) and bool(np.all(x == x))
    assert type(np.median(x)) is not tg.Tensor  # NumPy's averages the middle two: its own


ERRORS = [
    (lambda: tg.hstack([]), ValueError, r"hstack: needs at least one tensor, got an empty"),
    (lambda: tg.vstack(tg.Tensor(A)), TypeError, r"vstack: expected a list or tuple of tensors, "
                                                 r"got Tensor; wrap them in a list: "
                                                 r"vstack\(\[a, b\]\)"),
    (lambda: tg.vstack([tg.Tensor(V), tg.Tensor(A[:, :3])]), ValueError,
     r"vstack: tensor 1 \(as shape \(3, 3\)\) does not fit tensor 0 \(as shape \(1, 4\)\)"),
    (lambda: tg.column_stack([tg.Tensor(V), tg.Tensor(A)]), ValueError,
     r"column_stack: tensor 1 \(as shape \(3, 4\)\) does not fit tensor 0"),
    (lambda: tg.fliplr(tg.Tensor(V)), ValueError,
     r"fliplr: needs a tensor of at least 2 axes, got shape \(4,\); use x.flip\(0\)"),
    (lambda: tg.flipud(tg.Tensor(S)), ValueError, r"flipud: needs a tensor of at least 1 axis"),
    (lambda: tg.swapdims(tg.Tensor(A), 0, 2), IndexError, r"swapdims: axis 2 is out of range"),
    (lambda: tg.Tensor(A).unflatten(1, (3, -1)), ValueError,
     r"unflatten: sizes \(3, -1\) do not multiply up to 4, the length of axis 1 of a tensor "
     r"of shape \(3, 4\)"),
    (lambda: tg.Tensor(A).unflatten(1, ()), ValueError, r"unflatten: sizes must be a non-empty"),
    (lambda: tg.Tensor(A).unflatten(1, (-1, -1)), ValueError, r"at most one -1, got \(-1, -1\)"),
    (lambda: tg.Tensor(A).unflatten(2, (2, 2)), IndexError, r"unflatten: axis 2 is out of range"),
    (lambda: tg.any(tg.Tensor(A), 0, 3), TypeError, r"any: keepdims must be True or False"),
    (lambda: tg.amax(tg.Tensor(A), 5), IndexError, r"amax: axis 5 is out of range"),
    (lambda: tg.diagonal(tg.Tensor(A), 0, 0, 0, axis1=1), TypeError,
     r"diagonal: give axis1= or dim1="),
    (lambda: tg.median(tg.Tensor(np.zeros((2, 0))), 1), IndexError,
     r"median: axis 1 of the tensor of shape \(2, 0\) is empty, so it has no median"),
    (lambda: tg.median(tg.Tensor(A), keepdim=True), TypeError, r"median: keepdim= needs dim="),
    (lambda: tg.median(tg.Tensor(A), 2), IndexError, r"median: axis 2 is out of range"),
    (lambda: tg.median(tg.Tensor(A), 0, axis=0), TypeError, r"median: give axis= or dim="),
    (lambda: tg.kthvalue(tg.Tensor(A), 5), ValueError,
     r"kthvalue: k must be a whole number from 1 to 4 \(the length of axis 1 of a tensor of "
     r"shape \(3, 4\)\), got 5"),
    (lambda: tg.kthvalue(tg.Tensor(A), 0), ValueError, r"from 1 to 4 .*got 0"),
    (lambda: tg.nansum(tg.Tensor(A), 0, np.float32), TypeError,
     r"nansum: keepdims must be True or False, got the type float32"),
    (lambda: tg.nanmean(tg.Tensor(A), dim=3), IndexError, r"nanmean: axis 3 is out of range"),
    (lambda: tg.aminmax(tg.Tensor(np.zeros((0, 2))), dim=0), ValueError,
     r"aminmax: the tensor of shape \(0, 2\) has no entries along axis 0"),
    (lambda: tg.aminmax(tg.Tensor(np.zeros((0, 2)))), ValueError, r"along its axes"),
    (lambda: tg.aminmax(tg.Tensor(A), dim=1, axis=1), TypeError, r"aminmax: give axis= or dim="),
    (lambda: tg.std_mean(tg.Tensor(A), 0, True, correction=0), TypeError,
     r"std_mean: give correction= or unbiased=, not both"),
    (lambda: tg.var_mean(tg.Tensor(A), False, True), TypeError,
     r"var_mean: unbiased given twice"),
    (lambda: tg.var_mean(tg.Tensor(A), 0, "yes"), TypeError,
     r"var_mean: unbiased must be True or False, got str 'yes'"),
    (lambda: tg.tensor_split(tg.Tensor(A), 0), ValueError,
     r"tensor_split: the number of sections must be > 0, got 0"),
    (lambda: tg.tensor_split(tg.Tensor(S), 2), ValueError, r"tensor_split: a 0-d tensor"),
    (lambda: tg.tensor_split(tg.Tensor(A), [[1]]), ValueError,
     r"tensor_split: indices must be a 1-d list of ints, got shape \(1, 1\)"),
    (lambda: tg.tensor_split(tg.Tensor(A), 1.5), TypeError,
     r"tensor_split: expected ints or a tuple of ints, got float 1.5"),
    (lambda: tg.take_along_dim(tg.Tensor(A), tg.Tensor([1.0]), 0), TypeError,
     r"take_along_dim: indices must be integers, got dtype float64; convert with .long\(\)"),
    (lambda: tg.take_along_dim(tg.Tensor(A), np.zeros(2, dtype=int), 0), ValueError,
     r"take_along_dim: the indices have 1 axes but x has 2 \(shape \(3, 4\)\)"),
    (lambda: tg.take_along_dim(tg.Tensor(A), np.zeros((2, 2), dtype=int), 0), ValueError,
     r"take_along_dim: x of shape \(3, 4\) and indices of shape \(2, 2\) do not broadcast "
     r"together on the axes other than 0"),
    (lambda: tg.take_along_dim(tg.Tensor(A), np.array([[5]]), 1), IndexError,
     r"take_along_dim: indices from 5 to 5 do not fit axis 1 of a tensor of shape \(3, 4\)"),
    (lambda: tg.masked_select(tg.Tensor(A), np.ones(4)), TypeError,
     r"masked_select: the mask must be boolean .*got dtype float64"),
    (lambda: tg.masked_select(tg.Tensor(A), np.ones(3, dtype=bool)), ValueError,
     r"masked_select: shapes \(3, 4\), \(3,\) do not broadcast together"),
    (lambda: tg.addcmul(tg.Tensor(A), tg.Tensor(A), tg.Tensor(A), value="2"), TypeError,
     r"addcmul: value must be a number, got str '2'"),
    (lambda: tg.addcdiv(tg.Tensor(A), tg.Tensor(V[:3]), tg.Tensor(A)), ValueError,
     r"addcdiv: shapes \(3, 4\), \(3,\), \(3, 4\) do not broadcast together"),
    (lambda: tg.cross(tg.Tensor(V), tg.Tensor(V)), ValueError,
     r"cross: axis 0 must have length 3 in both, got shapes \(4,\) and \(4,\)"),
    (lambda: tg.cross(tg.Tensor(np.eye(3)), tg.Tensor(np.eye(3))), ValueError,
     r"cross: several axes of shape \(3, 3\) have length 3; give dim="),
    (lambda: tg.rot90(tg.Tensor(V)), ValueError, r"rot90: needs a tensor of at least 2 axes"),
    (lambda: tg.rot90(tg.Tensor(A), 1, (0, 0)), ValueError,
     r"rot90: dims \(0, 0\) name one axis twice"),
    (lambda: tg.rot90(tg.Tensor(A), 1, (0, 1, 2)), ValueError, r"rot90: dims must be two axes"),
    (lambda: tg.rot90(tg.Tensor(A), 1.0), TypeError,
     r"rot90: expected ints or a tuple of ints, got float 1.0"),
    (lambda: tg.dist(tg.Tensor(A), tg.Tensor(V[:3])), ValueError,
     r"dist: shapes \(3, 4\), \(3,\) do not broadcast together"),
    (lambda: tg.cdist(tg.Tensor(V), tg.Tensor(V)), ValueError,
     r"cdist: x1 and x2 need at least 2 axes \(rows, features\), got shapes \(4,\) and \(4,\)"),
    (lambda: tg.cdist(tg.Tensor(A), tg.Tensor(THREE)), ValueError,
     r"cdist: x1 and x2 must have as many columns, got shapes \(3, 4\) and \(4, 3\)"),
    (lambda: tg.cdist(tg.Tensor(A), tg.Tensor(C), -1), ValueError, r"cdist: p must be >= 0"),
    (lambda: tg.logcumsumexp(tg.Tensor(A)), TypeError, r"logcumsumexp: give dim="),
    (lambda: tg.logcumsumexp(tg.Tensor(A), 2), IndexError, r"logcumsumexp: axis 2 is out"),
    (lambda: tg.cummax(tg.Tensor(S), 1), IndexError, r"cummax: axis 1 is out of range"),
]


@pytest.mark.parametrize("call, kind, message", ERRORS)
def test_errors_are_one_line(call, kind, message):
    with pytest.raises(kind, match=message) as info:
        call()
    assert "\n" not in str(info.value)


# Review fixes

ZEROS = np.array([[1.0, -2.0, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0], [3.0, -3.0, 1.0, 0.0]])


@pytest.mark.parametrize("p", [0.5, 1, 2, 3, math.inf, -math.inf, 0, -1])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), (1, True), (0, False)])
def test_vector_norm_is_torchs_also_at_zeros(p, axis, keepdims):
    from tinygrad_gd.composed_reductions import vector_norm
    x = tg.Tensor(ZEROS, requires_grad=True)
    y = vector_norm(x, p, axis, keepdims)
    (y * tg.Tensor(np.arange(1.0, y.size + 1).reshape(y.shape))).sum().backward()
    t = torch.tensor(ZEROS, requires_grad=True)
    u = torch.linalg.vector_norm(t, p, dim=axis, keepdim=keepdims)
    (u * torch.arange(1.0, u.numel() + 1, dtype=u.dtype).reshape(u.shape)).sum().backward()
    expected = np.zeros(ZEROS.shape) if t.grad is None else t.grad.numpy()  # (p=0: no grad)
    assert y.shape == tuple(u.shape)
    np.testing.assert_allclose(y.numpy(), u.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), expected)
    assert x.grad.numpy().dtype == np.float64 and np.isfinite(x.grad.numpy()).all()


def test_vector_norm_refuses_the_norms_of_no_entries_that_torch_refuses():
    from tinygrad_gd.composed_reductions import vector_norm
    with pytest.raises(ValueError, match=r"vector_norm: the -1.0 norm of no entries is undef"):
        vector_norm(tg.zeros(0, 3), -1, 0)
    assert vector_norm(tg.zeros(0, 3), 0.5, 0).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("p", [0.5, -1, 3, 0])
def test_dist_and_cdist_gradients_are_torchs_at_zero_differences(p):
    x = tg.Tensor([1.0, -2.0, 0.5], requires_grad=True)
    tg.dist(x, tg.Tensor([1.0, 0.0, 2.0]), p=p).backward()
    t = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    torch.dist(t, torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64), p=p).backward()
    np.testing.assert_allclose(x.grad.numpy(), 0 if t.grad is None else t.grad.numpy())
    if p < 0:
        return  # (cdist takes p >= 0)
    a = tg.Tensor(C, requires_grad=True)
    tg.cdist(a, a, p=p).sum().backward()
    b = torch.tensor(C, requires_grad=True)
    torch.cdist(b, b, p=p).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 0 if b.grad is None else b.grad.numpy(),
                               atol=1e-12)


def test_cdist_broadcasts_batch_axes_and_refuses_others_in_its_own_words():
    x1, x2 = RNG.standard_normal((5, 1, 3, 2)), RNG.standard_normal((2, 5, 7, 4, 2))
    out = tg.cdist(tg.Tensor(x1), tg.Tensor(x2))
    expected = torch.cdist(torch.tensor(x1), torch.tensor(x2))
    assert out.shape == (2, 5, 7, 3, 4)
    np.testing.assert_allclose(out.numpy(), expected.numpy())
    with pytest.raises(ValueError, match=r"^cdist: the batch axes of x1 \(4, 3, 2\) and x2 "
                                         r"\(5, 3, 2\) do not broadcast together"):
        tg.cdist(tg.randn(4, 3, 2), tg.randn(5, 3, 2))


def test_cdist_takes_torchs_compute_modes_and_refuses_others():
    for mode in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                 "donot_use_mm_for_euclid_dist"):
        np.testing.assert_allclose(tg.cdist(tg.Tensor(A), tg.Tensor(B), compute_mode=mode)
                                   .numpy(), torch.cdist(torch.tensor(A), torch.tensor(B))
                                   .numpy())
    with pytest.raises(ValueError, match=r"cdist: compute_mode must be None or one of "
                                         r"use_mm_for_euclid_dist_if_necessary, .*got 'junk'"):
        tg.cdist(tg.Tensor(A), tg.Tensor(B), compute_mode="junk")


def test_tensor_split_takes_a_0d_integer_tensor():
    pieces = tg.tensor_split(tg.Tensor(np.arange(7.0)), tg.tensor(np.array(3)))
    expected = torch.tensor_split(torch.arange(7.0), torch.tensor(3))
    assert [p.tolist() for p in pieces] == [p.tolist() for p in expected]
    with pytest.raises(TypeError, match=r"tensor_split: expected ints .*got float 3.0"):
        tg.tensor_split(tg.Tensor(np.arange(7.0)), tg.Tensor(np.array(3.0)))


@pytest.mark.parametrize("join", [tg.cat, tg.concatenate, tg.stack, tg.hstack, tg.vstack])
@pytest.mark.parametrize("whole", [np.ones((2, 2)), tg.ones(2, 2)])
def test_joins_refuse_one_array_or_tensor_as_the_sequence(join, whole):
    with pytest.raises(TypeError, match=r"^\w+: expected a list or tuple of tensors, got "
                                        r"(ndarray|Tensor); wrap them in a list: \w+\(\[a, b\]\)$"):
        join(whole)
    with pytest.raises(TypeError):
        getattr(torch, join.__name__ if join is not tg.concatenate else "cat")(torch.ones(2, 2))


def test_error_messages_and_types_are_torchs():
    with pytest.raises(IndexError, match=r"^take_along_dim: indices from 5 to 5 do not fit"):
        tg.take_along_dim(tg.Tensor(A), [[5]], 1)
    with pytest.raises(IndexError, match=r"^take_along_dim: indices from -13 to -13 do not fit "
                                         r"the 12 entries"):
        tg.take_along_dim(tg.Tensor(A), np.array([-13]))
    with pytest.raises(TypeError, match=r"^kthvalue: k must be an int, got float 1.0$"):
        tg.kthvalue(tg.Tensor(A), 1.0)
    with pytest.raises(TypeError):
        torch.kthvalue(torch.tensor(A), 1.0)
    with pytest.raises(TypeError, match=r"^std_mean: unbiased must be True or False, got str"):
        tg.std_mean(tg.Tensor(A), unbiased="no")


# Second read fixes ---------------------------------------------------------------------------
@pytest.mark.parametrize("join", ["cat", "stack", "hstack", "vstack"])
@pytest.mark.parametrize("make", [lambda a, b: {a, b}, lambda a, b: {0: a, 1: b}],
                         ids=["set", "dict"])
def test_joins_refuse_a_set_or_dict_as_torch(join, make):
    a, b = tg.Tensor(np.arange(3.0)), tg.Tensor(np.arange(3.0) + 3)
    group = make(a, b)
    kind = type(group).__name__
    with pytest.raises(TypeError, match=rf": expected a list or tuple of tensors, got {kind}; "):
        getattr(tg, join)(group)
    with pytest.raises(TypeError, match=rf"must be tuple of Tensors, not {kind}"):
        getattr(torch, join)(make(torch.arange(3.0), torch.arange(3.0) + 3))
    assert getattr(tg, join)((a, b)).tolist() == getattr(torch, join)(
        (torch.arange(3.0, dtype=torch.float64), torch.arange(3.0) + 3)).tolist()


@pytest.mark.parametrize("p", [math.inf, 0.0, 0.5, 1.0, 2.0, 3.0])
@pytest.mark.parametrize("shapes", [((3, 0), (4, 0)), ((2, 3, 0), (4, 0))])
def test_cdist_of_no_features_is_zeros_as_torch(p, shapes):
    x1 = tg.zeros(*shapes[0], requires_grad=True)
    ours = tg.cdist(x1, tg.zeros(*shapes[1]), p)
    theirs = torch.cdist(torch.zeros(*shapes[0], dtype=torch.float64, requires_grad=True),
                         torch.zeros(*shapes[1], dtype=torch.float64), p)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float64
    assert ours.tolist() == theirs.tolist()  # all 0.0
    assert ours.requires_grad
    ours.sum().backward()
    assert x1.grad.shape == shapes[0]


def test_norm_errors_name_the_function_called():
    with pytest.raises(ValueError, match=r"^dist: the inf norm of no entries is undefined"):
        tg.dist(tg.ones(0), tg.ones(0), math.inf)
    with pytest.raises(RuntimeError, match="cannot compute the inf norm"):
        torch.dist(torch.ones(0), torch.ones(0), math.inf)  # (dist keeps refusing, as torch)
    from tinygrad_gd.composed_reductions import vector_norm
    with pytest.raises(ValueError, match=r"^pairwise_distance: the -1.0 norm of no entries"):
        vector_norm(tg.ones(3, 0), -1, -1, op="pairwise_distance")
    with pytest.raises(TypeError, match=r"^clip_grad_norm_: keepdims must be True or False"):
        vector_norm(tg.ones(3), 2, None, "no", op="clip_grad_norm_")


@pytest.mark.parametrize("p", [0, 1, math.inf, -math.inf])
@pytest.mark.parametrize("axis", [None, -1])
def test_vector_norm_gradient_is_torchs_at_nan_entries(p, axis):
    from tinygrad_gd.composed_reductions import vector_norm
    data = np.array([[np.nan, 1.0, 0.0, -2.0], [3.0, np.nan, np.nan, -3.0]])
    x = tg.Tensor(data, requires_grad=True)
    ours = vector_norm(x, p, axis)
    ours.sum().backward()
    t = torch.tensor(data, requires_grad=True)
    theirs = torch.linalg.vector_norm(t, p, dim=axis)
    theirs.sum().backward()
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    expected = np.zeros_like(data) if t.grad is None else t.grad.numpy()  # (p=0: none)
    np.testing.assert_array_equal(x.grad.data, expected)  # (was NaN at the NaN entries)

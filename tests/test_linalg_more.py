"""`tg.linalg` beyond the first six: qr, eigh, svd, svdvals, pinv, matrix_rank, lstsq,
solve_triangular, inv_ex, cholesky_ex, matrix_power, multi_dot, cross, diagonal, vander,
cond, and the matrix norms 2, -2 and 'nuc'.

Gradients: `tg.gradcheck` in float64 (well-separated singular values and eigenvalues),
and torch's for values and gradients. Eigenvectors and singular vectors are compared
with torch's up to sign, and differentiated through functions that do not depend on the
signs. Then edges (empty, singular, repeated eigenvalues, NaN), float32, and the refusals.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume
from hypothesis import strategies as st

import tinygrad_gd as tg
from tinygrad_gd import testing

RNG = np.random.default_rng(11)
SHAPES = [(3, 3), (4, 2), (2, 4), (2, 3, 2), (2, 1, 2, 3)]


def spread(shape, gap=3.0) -> np.ndarray:
    """Matrices with singular values well apart: random entries plus gap * (k + 1) on the
    diagonal (k: its position)."""
    a = RNG.normal(size=shape)
    k = min(shape[-2:])
    a[..., range(k), range(k)] += gap * np.arange(1, k + 1)
    return a


def symmetric(shape, gap=3.0) -> np.ndarray:
    """Symmetric matrices with eigenvalues well apart."""
    a = RNG.normal(size=shape)
    return a + np.swapaxes(a, -1, -2) + np.diag(gap * np.arange(shape[-1]))


def compare(ours, theirs, *arrays, check=True, rtol=1e-8):
    """ours(*tensors) against theirs(*torch tensors): values, the gradients of a weighted
    sum, and (`check`) tg.gradcheck in float64."""
    torch = pytest.importorskip("torch")
    inputs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    out = ours(*inputs)
    weights = RNG.normal(size=out.shape)
    (out * weights).sum().backward()
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = theirs(*leaves)
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-11)
    for t, leaf in zip(inputs, leaves):
        np.testing.assert_allclose(t.grad.data, leaf.grad.numpy(), rtol=rtol, atol=1e-9)
    if check:
        assert tg.gradcheck(ours, [tg.Tensor(a, requires_grad=True) for a in arrays])


def same_up_to_sign(ours, theirs):
    """Each column of ours is the column of theirs or its negative."""
    signs = np.sign(np.sum(ours * theirs, axis=-2, keepdims=True))
    np.testing.assert_allclose(ours, theirs * signs, atol=1e-9)


# ------------------------------------------------------------------ gradcheck, without torch

def _sym(x):
    return x + x.mT


GRADCHECKS = {
    "qr Q, tall batch": (lambda x: tg.linalg.qr(x).Q, [spread((2, 4, 2))]),
    "qr R, wide": (lambda x: tg.linalg.qr(x).R, [spread((2, 4))]),
    "qr Q and R, complete, wide": (lambda x: tg.linalg.qr(x, "complete").Q
                                   @ tg.linalg.qr(x, "complete").R, [spread((2, 3))]),
    "eigh": (lambda x: tg.linalg.eigh(_sym(x)).eigenvalues.sum() * tg.linalg.eigh(
        _sym(x)).eigenvectors, [symmetric((2, 3, 3)) / 2]),
    "eigh U": (lambda x: tg.linalg.eigh(_sym(x), "U").eigenvectors, [symmetric((3, 3)) / 2]),
    "svd, full_matrices": (lambda x: (tg.linalg.svd(x).U[..., :2] * tg.linalg.svd(x).S[
        ..., None, :]) @ tg.linalg.svd(x).Vh[..., :2, :] * 2, [spread((2, 4, 2))]),
    "svdvals": (tg.linalg.svdvals, [spread((3, 4))]),
    "pinv": (tg.linalg.pinv, [spread((2, 3, 2))]),
    "pinv, hermitian": (lambda x: tg.linalg.pinv(_sym(x), hermitian=True),
                        [symmetric((3, 3)) / 2]),
    "lstsq": (lambda a, b: tg.linalg.lstsq(a, b).solution, [spread((4, 3)), RNG.normal(size=4)]),
    "lstsq residuals": (lambda a, b: tg.linalg.lstsq(a, b, driver="gelsd").residuals,
                        [spread((4, 2)), RNG.normal(size=(4, 2))]),
    "solve_triangular, X A = B": (lambda a, b: tg.linalg.solve_triangular(
        a, b, upper=True, left=False), [spread((3, 3)), RNG.normal(size=(2, 2, 3))]),
    "solve_triangular, unitriangular": (lambda a, b: tg.linalg.solve_triangular(
        a, b, upper=False, unitriangular=True), [RNG.normal(size=(3, 3)), RNG.normal(size=(3, 2))]),
    "inv_ex": (lambda x: tg.linalg.inv_ex(x).inverse, [spread((2, 3, 3))]),
    "cholesky_ex": (lambda x: tg.linalg.cholesky_ex(x @ x.mT + np.eye(3)).L,
                    [RNG.normal(size=(3, 3))]),
    "matrix_power": (lambda x: tg.linalg.matrix_power(x, 3) + tg.linalg.matrix_power(x, -2),
                     [spread((2, 2, 2))]),
    "multi_dot": (lambda *xs: tg.linalg.multi_dot(list(xs)),
                  [RNG.normal(size=s) for s in [(3,), (3, 4), (4, 2), (2,)]]),
    "cross": (tg.linalg.cross, [RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))]),
    "diagonal": (lambda x: tg.linalg.diagonal(x, offset=-1, dim1=0, dim2=2),
                 [RNG.normal(size=(3, 2, 4))]),
    "vander": (lambda x: tg.linalg.vander(x, N=4), [np.array([0.0, 0.5, -1.5])]),
    "cond": (lambda x: tg.linalg.cond(x) + tg.linalg.cond(x, -2) + tg.linalg.cond(x, "fro")
             + tg.linalg.cond(x, "nuc") + tg.linalg.cond(x, 1) + tg.linalg.cond(x, -math.inf),
             [spread((2, 3, 3))]),
    "matrix_norm 2, -2, nuc": (lambda x: tg.linalg.matrix_norm(x, 2, dim=(0, 2))
                               + tg.linalg.matrix_norm(x, -2, dim=(0, 2))
                               + tg.linalg.matrix_norm(x, "nuc", dim=(0, 2)),
                               [spread((3, 2, 4))]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradients_against_finite_differences(name):
    fn, arrays = GRADCHECKS[name]
    assert tg.gradcheck(fn, [tg.tensor(a, requires_grad=True) for a in arrays])


# ------------------------------------------------------------------ qr

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_gives_pytorchs_values(shape, mode):
    torch = pytest.importorskip("torch")
    a = RNG.normal(size=shape)
    q, r = tg.linalg.qr(a, mode=mode)
    expected = torch.linalg.qr(torch.tensor(a), mode=mode)
    np.testing.assert_allclose(r.numpy(), expected.R.numpy(), atol=1e-12)
    np.testing.assert_allclose(q.numpy(), expected.Q.numpy(), atol=1e-12)
    assert q.shape == tuple(expected.Q.shape) and type(q).__name__ == "Tensor"


@pytest.mark.parametrize("shape", SHAPES)
def test_qr_gradients_match_pytorch(shape):
    torch = pytest.importorskip("torch")
    a = spread(shape)
    compare(lambda x: tg.linalg.qr(x).Q, lambda x: torch.linalg.qr(x).Q, a)
    compare(lambda x: tg.linalg.qr(x).R, lambda x: torch.linalg.qr(x).R, a)
    compare(lambda x: tg.linalg.qr(x).Q @ tg.linalg.qr(x).R[..., :1],
            lambda x: torch.linalg.qr(x).Q @ torch.linalg.qr(x).R[..., :1], a, check=False)


def test_qr_complete_of_a_wide_matrix_has_a_gradient():
    torch = pytest.importorskip("torch")
    compare(lambda x: tg.linalg.qr(x, "complete").Q * 2 + 1,
            lambda x: torch.linalg.qr(x, "complete").Q * 2 + 1, spread((2, 3)))


@pytest.mark.parametrize("mode, shape, words", [
    ("r", (3, 2), "depends on Q, which is not computed when mode='r'"),
    ("complete", (3, 2), "not differentiable when mode='complete'")])
def test_qr_backward_is_refused_where_pytorchs_is(mode, shape, words):
    x = tg.Tensor(RNG.normal(size=shape), requires_grad=True)
    with pytest.raises(RuntimeError, match="^qr: .*" + words) as info:
        tg.linalg.qr(x, mode).R.sum().backward()
    assert "\n" not in str(info.value)
    torch = pytest.importorskip("torch")
    leaf = torch.tensor(x.data, requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.linalg.qr(leaf, mode).R.sum().backward()


def test_qr_signs_jump_where_a_column_below_the_diagonal_is_zero_as_lapacks():
    # the identity's R is I, a matrix next to it has R[0, 0] = -1: PyTorch's LAPACK too
    near = np.eye(3)
    near[1, 0] = 1e-9
    assert tg.linalg.qr(np.eye(3)).R.numpy()[0, 0] == 1
    assert tg.linalg.qr(near).R.numpy()[0, 0] == pytest.approx(-1)
    torch = pytest.importorskip("torch")
    assert torch.linalg.qr(torch.tensor(near)).R[0, 0].item() == pytest.approx(-1)


# ------------------------------------------------------------------ eigh

@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_matches_pytorch_up_to_sign(shape, uplo):
    torch = pytest.importorskip("torch")
    a = RNG.normal(size=shape)  # not symmetric: only one triangle is read
    values, vectors = tg.linalg.eigh(a, UPLO=uplo)
    expected = torch.linalg.eigh(torch.tensor(a), UPLO=uplo)
    np.testing.assert_allclose(values.numpy(), expected.eigenvalues.numpy(), atol=1e-12)
    same_up_to_sign(vectors.numpy(), expected.eigenvectors.numpy())
    # each eigenvector's entry of largest magnitude is positive
    lead = np.take_along_axis(vectors.numpy(), np.abs(vectors.numpy()).argmax(-2)[..., None, :],
                              axis=-2)
    assert (lead > 0).all()


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4)])
def test_eigh_gradients_of_sign_invariant_functions_match_pytorch(shape):
    torch = pytest.importorskip("torch")
    # x + x.mT: the gradient is PyTorch's symmetric one, and only one triangle is read
    a = symmetric(shape) / 2
    weights = RNG.normal(size=shape[-1])

    def ours(x):
        values, vectors = tg.linalg.eigh(x + x.mT)
        return (vectors * weights) @ vectors.mT + values.reshape(values.shape + (1,)) * 0.5

    def theirs(x):
        values, vectors = torch.linalg.eigh(x + x.mT)
        return (vectors * torch.tensor(weights)) @ vectors.mT + values.unsqueeze(-1) * 0.5

    compare(ours, theirs, a)
    compare(lambda x: tg.linalg.eigh(x + x.mT, "U").eigenvectors ** 2,
            lambda x: torch.linalg.eigh(x + x.mT, "U").eigenvectors ** 2, a)
    compare(lambda x: tg.linalg.eigh(x).eigenvectors ** 2,  # one triangle read: no gradcheck
            lambda x: torch.linalg.eigh(x).eigenvectors ** 2, a, check=False)


def test_eigh_gradcheck_of_the_eigenvectors_themselves():
    # the signs are a smooth choice away from ties of the largest entry: the vectors
    # themselves have finite-difference gradients
    a = symmetric((2, 3, 3))
    assert tg.gradcheck(lambda x: tg.linalg.eigh(x + x.mT).eigenvectors, [tg.tensor(
        a, requires_grad=True)])


def test_eigh_with_repeated_eigenvalues_as_pytorch():
    # the eigenvalues' gradient stays finite; the eigenvectors' divides by 0: NaN, as
    # PyTorch's (they are not unique there)
    x = tg.tensor(np.eye(3), requires_grad=True)
    tg.linalg.eigh(x).eigenvalues.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.eye(3))
    x.grad = None
    with np.errstate(all="ignore"):
        (tg.linalg.eigh(x).eigenvectors ** 2).sum().backward()
    assert np.isnan(x.grad.numpy()).all()
    torch = pytest.importorskip("torch")
    leaf = torch.eye(3, dtype=torch.float64, requires_grad=True)
    (torch.linalg.eigh(leaf).eigenvectors ** 2).sum().backward()
    assert torch.isnan(leaf.grad).all()


# ------------------------------------------------------------------ svd

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_matches_pytorch_up_to_sign(shape, full_matrices):
    torch = pytest.importorskip("torch")
    a = RNG.normal(size=shape)
    u, s, vh = tg.linalg.svd(a, full_matrices=full_matrices)
    expected = torch.linalg.svd(torch.tensor(a), full_matrices=full_matrices)
    assert (u.shape, s.shape, vh.shape) == tuple(tuple(t.shape) for t in expected)
    np.testing.assert_allclose(s.numpy(), expected.S.numpy(), atol=1e-12)
    k = s.shape[-1]
    same_up_to_sign(u.numpy()[..., :k], expected.U.numpy()[..., :k])
    np.testing.assert_allclose((u.numpy()[..., :k] * s.numpy()[..., None, :]) @ vh.numpy()[
        ..., :k, :], a, atol=1e-12)
    np.testing.assert_allclose(tg.linalg.svdvals(a).numpy(), expected.S.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_gradients_of_sign_invariant_functions_match_pytorch(shape, full_matrices):
    torch = pytest.importorskip("torch")
    a = spread(shape)
    k = min(shape[-2:])
    c = RNG.normal(size=k)

    def ours(x):
        u, s, vh = tg.linalg.svd(x, full_matrices=full_matrices)
        return (u[..., :k] * (s * c)[..., None, :]) @ vh[..., :k, :] + (u[..., :k] ** 2).sum() \
            + (vh[..., :k, :] ** 3).abs().sum()

    def theirs(x):
        u, s, vh = torch.linalg.svd(x, full_matrices=full_matrices)
        return (u[..., :k] * (s * torch.tensor(c))[..., None, :]) @ vh[..., :k, :] \
            + (u[..., :k] ** 2).sum() \
            + (vh[..., :k, :] ** 3).abs().sum()

    compare(ours, theirs, a, check=not full_matrices)
    compare(tg.linalg.svdvals, torch.linalg.svdvals, a)


@pytest.mark.parametrize("part", ["U", "S", "Vh"])
def test_svd_gradcheck_of_each_result_itself(part):
    for shape in [(3, 3), (4, 2), (2, 4)]:
        x = tg.tensor(spread(shape), requires_grad=True)
        assert tg.gradcheck(lambda t: getattr(tg.linalg.svd(t, full_matrices=False), part), [x])


def test_svdvals_of_a_zero_matrix_has_pytorchs_gradient():
    torch = pytest.importorskip("torch")
    compare(tg.linalg.svdvals, torch.linalg.svdvals, np.zeros((3, 2)), check=False)
    compare(lambda x: tg.linalg.matrix_norm(x, "nuc"), lambda x: torch.linalg.matrix_norm(
        x, "nuc"), np.zeros((2, 3)), check=False)


def test_svd_singular_vectors_gradient_at_repeated_singular_values_is_nan_as_pytorchs():
    x = tg.tensor(np.eye(2), requires_grad=True)
    with np.errstate(all="ignore"):
        (tg.linalg.svd(x).U ** 3).sum().backward()
    assert np.isnan(x.grad.numpy()).any()
    x.grad = None
    tg.linalg.svd(x).S.sum().backward()  # the singular values alone: finite
    np.testing.assert_array_equal(x.grad.numpy(), np.eye(2))


# ------------------------------------------------------------------ pinv, matrix_rank, lstsq

@pytest.mark.parametrize("shape", SHAPES)
def test_pinv_matches_pytorch(shape):
    torch = pytest.importorskip("torch")
    compare(tg.linalg.pinv, torch.linalg.pinv, spread(shape))
    compare(tg.pinverse, torch.pinverse, spread(shape), check=False)
    compare(lambda x: x.pinverse(), lambda x: x.pinverse(), spread(shape), check=False)
    compare(lambda x: tg.pinverse(input=x, rcond=0.1),  # (PyTorch's keyword names)
            lambda x: torch.pinverse(input=x, rcond=0.1), spread(shape), check=False)


def test_pinv_hermitian_and_tolerances_match_pytorch():
    torch = pytest.importorskip("torch")
    a = symmetric((2, 3, 3))
    compare(lambda x: tg.linalg.pinv(x, hermitian=True),
            lambda x: torch.linalg.pinv(x, hermitian=True), a, check=False)
    low = np.diag([4.0, 1.0, 1e-3])
    for options in ({"atol": 0.01}, {"rtol": 0.1}, {"atol": 0.5, "rtol": 0.0},
                    {"rtol": 1e-6, "hermitian": True}):
        compare(lambda x: tg.linalg.pinv(x, **options),
                lambda x: torch.linalg.pinv(x, **options), low, check=False)
    per_matrix = np.array([0.01, 2.0])
    np.testing.assert_allclose(
        tg.linalg.pinv(np.stack([low, low]), atol=tg.tensor(per_matrix)).numpy(),
        torch.linalg.pinv(torch.tensor(np.stack([low, low])),
                          atol=torch.tensor(per_matrix)).numpy())


def test_pinv_of_a_rank_deficient_matrix_has_pytorchs_finite_gradient():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    compare(tg.linalg.pinv, torch.linalg.pinv, a, check=False)
    compare(tg.linalg.pinv, torch.linalg.pinv, np.ones((3, 2)), check=False)


@pytest.mark.parametrize("hermitian", [False, True])
def test_matrix_rank_matches_pytorch(hermitian):
    torch = pytest.importorskip("torch")
    a = np.stack([np.diag([3.0, 1.0, 1e-9]), np.eye(3), np.zeros((3, 3)),
                  np.diag([1.0, 0.05, 0.2])])
    for options in ({}, {"atol": 0.1}, {"rtol": 0.1}, {"atol": 0.01, "rtol": 0.1}):
        ours = tg.linalg.matrix_rank(a, hermitian=hermitian, **options)
        expected = torch.linalg.matrix_rank(torch.tensor(a), hermitian=hermitian, **options)
        np.testing.assert_array_equal(ours.numpy(), expected.numpy())
        assert ours.dtype == np.int64 and not ours.requires_grad
    assert tg.linalg.matrix_rank(np.zeros((0, 3))).item() == 0


@pytest.mark.parametrize("a_shape, b_shape", [
    ((4, 3), (4, 2)), ((4, 3), (4,)), ((2, 3, 4), (2, 3, 2)), ((2, 4, 3), (2, 4)),
    ((3, 3), (3, 1)), ((2, 4, 3), (1, 4, 2))])
def test_lstsq_solution_and_gradients_match_pytorch(a_shape, b_shape):
    torch = pytest.importorskip("torch")
    a, b = spread(a_shape), RNG.normal(size=b_shape)
    compare(lambda x, y: tg.linalg.lstsq(x, y).solution,
            lambda x, y: torch.linalg.lstsq(x, y).solution, a, b)


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_gives_pytorchs_outputs_for_each_driver(driver):
    torch = pytest.importorskip("torch")
    a, b = spread((2, 5, 3)), RNG.normal(size=(2, 5, 2))
    ours = tg.linalg.lstsq(a, b, driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    for got, expected in zip(ours, theirs):
        assert got.shape == tuple(expected.shape) and got.dtype == expected.numpy().dtype
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-9, atol=1e-12)
    if driver not in (None, "gelsy"):  # the residuals have a gradient, as PyTorch's
        compare(lambda x, y: tg.linalg.lstsq(x, y, driver=driver).residuals,
                lambda x, y: torch.linalg.lstsq(x, y, driver=driver).residuals, a, b)


def test_lstsq_of_a_rank_deficient_matrix_is_the_least_norm_solution_as_gelsd():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    b = np.array([[1.0], [2.0], [2.0]])
    ours = tg.linalg.lstsq(a, b, driver="gelsd")
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver="gelsd")
    np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), atol=1e-12)
    assert ours.rank.item() == theirs.rank.item() == 1 and ours.residuals.shape == (0,)
    np.testing.assert_allclose(ours.solution.numpy(), np.linalg.pinv(a) @ b, atol=1e-12)


# ------------------------------------------------------------------ solve_triangular

@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_solve_triangular_matches_pytorch(upper, left, unitriangular):
    torch = pytest.importorskip("torch")
    a = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)  # both triangles: only one is read
    b = RNG.normal(size=(3, 2) if left else (2, 3))
    options = dict(upper=upper, left=left, unitriangular=unitriangular)
    compare(lambda x, y: tg.linalg.solve_triangular(x, y, **options),
            lambda x, y: torch.linalg.solve_triangular(x, y, **options), a, b)


def test_solve_triangular_with_a_zero_on_the_diagonal_gives_inf_as_pytorch():
    torch = pytest.importorskip("torch")
    a, b = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[1.0], [1.0]])
    ours = tg.linalg.solve_triangular(a, b, upper=False).numpy()
    theirs = torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b), upper=False)
    np.testing.assert_array_equal(ours, theirs.numpy())


# ------------------------------------------------------------------ inv_ex, cholesky_ex

def test_inv_ex_gives_pytorchs_info_and_nan_for_a_singular_matrix():
    a = np.stack([2 * np.eye(2), [[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]]])
    x = tg.tensor(a, requires_grad=True)
    inverse, info = tg.linalg.inv_ex(x)
    inverse.sum().backward()
    assert info.dtype == np.int32 and info.tolist() == [0, 2, 1]
    np.testing.assert_allclose(inverse.numpy()[0], 0.5 * np.eye(2))
    assert np.isnan(inverse.numpy()[1:]).all() and np.isnan(x.grad.numpy()[1:]).all()
    np.testing.assert_allclose(x.grad.numpy()[0], -0.25 * np.ones((2, 2)))
    with pytest.raises(np.linalg.LinAlgError, match=r"^inv: a matrix of the batch"):
        tg.linalg.inv_ex(a, check_errors=True)
    torch = pytest.importorskip("torch")
    assert torch.linalg.inv_ex(torch.tensor(a)).info.tolist() == [0, 2, 1]


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0)])
def test_inv_ex_and_cholesky_ex_of_empty_matrices_as_pytorch(shape):
    # inv_ex's LU reshaped a batch of 0 x 0 matrices to (-1, 0, 0): NumPy's ValueError
    torch = pytest.importorskip("torch")
    for ours, theirs in [(tg.linalg.inv_ex(np.zeros(shape)), torch.linalg.inv_ex(torch.zeros(
            shape, dtype=torch.float64))), (tg.linalg.cholesky_ex(np.zeros(shape)),
                                            torch.linalg.cholesky_ex(torch.zeros(
                                                shape, dtype=torch.float64)))]:
        for got, expected in zip(ours, theirs):
            assert got.shape == tuple(expected.shape) and got.dtype == expected.numpy().dtype
            np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_cholesky_ex_gives_pytorchs_info():
    torch = pytest.importorskip("torch")
    a = np.stack([[[4.0, 2.0, 1.0], [2.0, 1.0, 0.0], [1.0, 0.0, 3.0]], 2 * np.eye(3),
                  [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                  [[1.0, math.nan, 0.0], [math.nan, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    low, info = tg.linalg.cholesky_ex(a)
    expected = torch.linalg.cholesky_ex(torch.tensor(a))
    assert info.tolist() == expected.info.tolist() == [2, 0, 1, 2]
    np.testing.assert_allclose(low.numpy()[1], expected.L.numpy()[1])
    assert np.isnan(low.numpy()[[0, 2, 3]]).all()
    compare(lambda x: tg.linalg.cholesky_ex(x @ x.mT + np.eye(3), upper=True).L,
            lambda x: torch.linalg.cholesky_ex(x @ x.mT + torch.eye(3, dtype=x.dtype),
                                               upper=True).L, RNG.normal(size=(2, 3, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="^cholesky: a matrix of the batch"):
        tg.linalg.cholesky_ex(a, check_errors=True)


# ------------------------------------------------------------------ products and the rest

@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -2])
def test_matrix_power_matches_pytorch(n):
    torch = pytest.importorskip("torch")
    compare(lambda x: tg.linalg.matrix_power(x, n), lambda x: torch.linalg.matrix_power(x, n),
            RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3), check=n != 0)


@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (3, 4)], [(3,), (3, 4), (4, 2)],
                                    [(5, 2), (2, 6), (6, 3), (3,)],
                                    [(4,), (4, 1), (1, 5), (5, 2), (2,)]])
def test_multi_dot_matches_pytorch(shapes):
    torch = pytest.importorskip("torch")
    arrays = [RNG.normal(size=s) for s in shapes]
    compare(lambda *xs: tg.linalg.multi_dot(list(xs)),
            lambda *xs: torch.linalg.multi_dot(list(xs)), *arrays)


def test_cross_diagonal_and_vander_match_pytorch():
    torch = pytest.importorskip("torch")
    compare(tg.linalg.cross, torch.linalg.cross, RNG.normal(size=(2, 4, 3)),
            RNG.normal(size=(1, 4, 3)))
    compare(lambda a, b: tg.linalg.cross(a, b, dim=0),
            lambda a, b: torch.linalg.cross(a, b, dim=0), RNG.normal(size=(3, 3)),
            RNG.normal(size=(3, 3)))
    z = RNG.normal(size=(2, 3, 4, 5))
    for offset, (dim1, dim2) in [(0, (-2, -1)), (1, (0, 2)), (-2, (3, 1)), (9, (-2, -1))]:
        compare(lambda a: tg.linalg.diagonal(a, offset=offset, dim1=dim1, dim2=dim2),
                lambda a: torch.linalg.diagonal(a, offset=offset, dim1=dim1, dim2=dim2), z)
    x = np.array([[0.0, 1.5, -2.0], [0.5, -1.0, 3.0]])  # a 0: the gradient there is exact
    compare(tg.linalg.vander, torch.linalg.vander, x)
    compare(lambda a: tg.linalg.vander(a, N=5), lambda a: torch.linalg.vander(a, N=5), x)
    ints = tg.linalg.vander(tg.tensor([1, 2, 3], dtype="int64"))
    assert ints.dtype == np.int64 and ints.tolist() == [[1, 1, 1], [1, 2, 4], [1, 3, 9]]


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", math.inf, -math.inf, 1, -1])
def test_cond_matches_pytorch(p):
    torch = pytest.importorskip("torch")
    a = spread((2, 3, 3))
    if p in (None, 2, -2, "nuc"):
        compare(lambda x: tg.linalg.cond(x, p), lambda x: torch.linalg.cond(x, p), a)
    else:  # PyTorch's backward fails there (its masked_fill_ of inv_ex's output): values
        np.testing.assert_allclose(tg.linalg.cond(a, p).numpy(),
                                   torch.linalg.cond(torch.tensor(a), p).numpy())
        assert tg.gradcheck(lambda x: tg.linalg.cond(x, p), [tg.tensor(a, requires_grad=True)])
    singular = np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]], np.zeros((2, 2))])
    with np.errstate(all="ignore"):
        ours = tg.linalg.cond(singular, p).numpy()
    theirs = torch.linalg.cond(torch.tensor(singular), p).numpy()
    np.testing.assert_allclose(ours[[0, 2]], theirs[[0, 2]])  # (NaN for 0 / 0 in both)
    if p in (None, 2, -2, "nuc"):  # (the SVD's rounding decides how large)
        assert ours[1] > 1e15 or ours[1] < 1e-15
    else:  # inf: LU finds the singular matrices
        np.testing.assert_array_equal(ours, theirs)
    assert tg.linalg.cond(np.zeros((0, 3, 3)), p).shape == (0,)
    assert tg.linalg.cond(np.zeros((2, 0, 0)), p).tolist() == [0.0, 0.0]


def _drawn_inputs(output) -> int:
    """How many boxes the diagram of `output` labels as the user's unnamed inputs."""
    return tg.draw_graph(output).source.count("<I>input</I>")


def test_diagrams_draw_no_constant_a_function_makes_as_the_users_input():
    # vander's column of ones, matrix_power's identity and inv_ex's / cholesky_ex's fill-ins
    # were drawn as inputs: named now (and nothing returned is named)
    a = tg.tensor(spread((3, 2)), requires_grad=True)
    square = tg.tensor(np.stack([np.eye(2), np.ones((2, 2))]), requires_grad=True)
    with np.errstate(all="ignore"):
        outputs = [tg.linalg.vander(a[:, 0]), tg.linalg.matrix_power(square, 0),
                   tg.linalg.inv_ex(square).inverse, tg.linalg.cholesky_ex(square).L,
                   tg.linalg.cond(square, "fro"), tg.linalg.matrix_norm(a, "nuc"),
                   tg.linalg.lstsq(a, a).solution, tg.linalg.diagonal(square),
                   *tg.linalg.svd(a), *tg.linalg.qr(a), *tg.linalg.eigh(square)]
        assert [_drawn_inputs(out.sum()) for out in outputs] == [0] * len(outputs)
    assert all(out.name is None for out in outputs)
    assert "<B>identity</B>" in tg.draw_graph(outputs[1].sum()).source
    single = tg.tensor(square.numpy().astype(np.float32))  # (the fill-ins keep float32)
    assert tg.linalg.inv_ex(single).inverse.dtype == tg.linalg.cholesky_ex(single).L.dtype \
        == tg.linalg.matrix_power(single, 0).dtype == np.float32


def test_cond_of_a_rectangular_matrix_with_the_2_norms():
    torch = pytest.importorskip("torch")
    compare(tg.linalg.cond, torch.linalg.cond, spread((4, 2)))
    compare(lambda a: tg.linalg.cond(a, -2), lambda a: torch.linalg.cond(a, -2), spread((2, 4)))


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize("dim, keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm_2_minus_2_and_nuc_match_pytorch(ord, dim, keepdim):
    torch = pytest.importorskip("torch")
    compare(lambda a: tg.linalg.matrix_norm(a, ord, dim, keepdim),
            lambda a: torch.linalg.matrix_norm(a, ord, dim, keepdim), spread((3, 2, 4)))
    compare(lambda a: tg.linalg.norm(a, ord), lambda a: torch.linalg.norm(a, ord),
            spread((3, 4)))


def test_matrix_norm_2_ties_share_the_gradient_as_pytorchs_amax():
    torch = pytest.importorskip("torch")
    compare(lambda a: tg.linalg.matrix_norm(a, 2), lambda a: torch.linalg.matrix_norm(a, 2),
            np.zeros((3, 2)), check=False)


@pytest.mark.parametrize("shape", [(0, 0), (2, 0), (0, 3), (2, 0, 0)])
def test_empty_matrices_as_pytorch(shape):
    torch = pytest.importorskip("torch")
    a = np.zeros(shape)
    t = torch.tensor(a)
    for ours, theirs in [(tg.linalg.svd(a), torch.linalg.svd(t)),
                         (tg.linalg.svd(a, False), torch.linalg.svd(t, False)),
                         (tg.linalg.qr(a), torch.linalg.qr(t)),
                         (tg.linalg.qr(a, "complete"), torch.linalg.qr(t, "complete")),
                         ([tg.linalg.pinv(a), tg.linalg.svdvals(a), tg.linalg.matrix_rank(a)],
                          [torch.linalg.pinv(t), torch.linalg.svdvals(t),
                           torch.linalg.matrix_rank(t)])]:
        for got, expected in zip(ours, theirs):
            np.testing.assert_array_equal(got.numpy(), expected.numpy())
    for ord in (2, "nuc"):
        x = tg.zeros(shape, requires_grad=True)
        out = tg.linalg.matrix_norm(x, ord)
        out.sum().backward()
        np.testing.assert_array_equal(out.numpy(), torch.linalg.matrix_norm(t, ord).numpy())
        assert x.grad.shape == shape
    with pytest.raises(ValueError, match=r"^matrix_norm: ord=-2 of an empty matrix"):
        tg.linalg.matrix_norm(a, -2)


@pytest.mark.parametrize("fn", [
    lambda t: tg.linalg.qr(t).Q, lambda t: tg.linalg.qr(t).R,
    lambda t: tg.linalg.eigh(t).eigenvalues, lambda t: tg.linalg.eigh(t).eigenvectors,
    lambda t: tg.linalg.svd(t).U, tg.linalg.svdvals, lambda t: tg.linalg.svd(t).Vh,
    tg.linalg.pinv, lambda t: tg.linalg.pinv(t, hermitian=True), lambda t: t.pinverse(),
    lambda t: tg.linalg.solve_triangular(t, t, upper=True),
    lambda t: tg.linalg.lstsq(t, t).solution, lambda t: tg.linalg.matrix_power(t, -2),
    lambda t: tg.linalg.multi_dot([t[0], t[1], t[0]]), lambda t: tg.linalg.cond(t, "nuc"),
    lambda t: tg.linalg.matrix_norm(t, -2), lambda t: tg.linalg.inv_ex(t).inverse,
    lambda t: tg.linalg.cholesky_ex(t @ t.mT).L, lambda t: tg.linalg.diagonal(t),
    lambda t: tg.linalg.vander(t), lambda t: tg.linalg.cross(t, t)])
def test_float32_is_kept(fn):
    x = tg.Tensor(spread((2, 3, 3)).astype(np.float32), requires_grad=True)
    out = fn(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_float16_is_computed_in_float32_and_kept():
    x = tg.tensor(spread((3, 3)), dtype=tg.float16, requires_grad=True)
    u, s, vh = tg.linalg.svd(x)
    (u.sum() + s.sum() + vh.sum() + tg.linalg.eigh(x).eigenvectors.sum()).backward()
    assert s.dtype == np.float16 and x.grad.dtype == np.float16
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(x.numpy().astype(np.float32),
                                                        compute_uv=False), rtol=1e-3)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_matrix_with_a_nan_or_inf_entry_gives_nan_the_others_their_values(bad):
    a = np.stack([[[bad, 1.0], [1.0, 2.0]], [[2.0, 1.0], [1.0, 3.0]]])
    for result in [*tg.linalg.qr(a), *tg.linalg.eigh(a), *tg.linalg.svd(a),
                   tg.linalg.pinv(a), tg.linalg.pinv(a, hermitian=True)]:
        assert np.isnan(result.numpy()[0]).all() and np.isfinite(result.numpy()[1]).all()
    np.testing.assert_allclose(tg.linalg.svdvals(a).numpy()[1],
                               np.linalg.svd(a[1], compute_uv=False))
    with pytest.raises(np.linalg.LinAlgError, match="^matrix_rank: A .* has a NaN or inf"):
        tg.linalg.matrix_rank(a)


def test_the_upper_triangle_hermitian_pinv_and_eigh_do_not_read_may_hold_nan():
    a = np.array([[2.0, math.nan], [1.0, 3.0]])
    assert np.isfinite(tg.linalg.eigh(a).eigenvectors.numpy()).all()
    assert np.isfinite(tg.linalg.pinv(a, hermitian=True).numpy()).all()


@pytest.mark.parametrize("call, error, match", [
    (lambda: tg.linalg.qr(np.ones(3)), ValueError, r"^qr: A must have at least 2 dimensions"),
    (lambda: tg.linalg.qr(np.eye(2), "full"), ValueError, r"^qr: mode must be 'reduced'"),
    (lambda: tg.linalg.eigh(np.ones((2, 3))), ValueError, r"^eigh: A must be square"),
    (lambda: tg.linalg.eigh(np.eye(2), "X"), ValueError, r"^eigh: UPLO must be 'L' or 'U'"),
    (lambda: tg.linalg.svd(np.eye(2), "yes"), TypeError,
     r"^svd: full_matrices must be True or False"),
    (lambda: tg.linalg.svd(np.eye(2), driver="gesvd"), ValueError,
     r"^svd: driver='gesvd' is only for CUDA"),
    (lambda: tg.linalg.svdvals(np.ones(2)), ValueError, r"^svd: A must have at least 2"),
    (lambda: tg.linalg.pinv(np.eye(2), atol="x"), TypeError,
     r"^pinv: atol must be a number or a tensor"),
    (lambda: tg.linalg.pinv(np.ones((2, 3)), hermitian=True), ValueError,
     r"^pinv: A must be square"),
    (lambda: tg.linalg.matrix_rank(np.ones((2, 3, 3)), rtol=tg.tensor([0.1, 0.2, 0.3])),
     ValueError, r"^matrix_rank: rtol of shape \(3,\) must broadcast to A's batch shape \(2,\)"),
    (lambda: tg.pinverse(np.eye(2), rcond="x"), TypeError, r"^pinverse: rcond must be a number"),
    (lambda: tg.linalg.matrix_rank(np.ones(3)), ValueError,
     r"^matrix_rank: A must have at least 2 dimensions"),
    (lambda: tg.linalg.lstsq(np.eye(3), np.ones(4)), ValueError,
     r"^lstsq: incompatible shapes .* 3 rows, B of shape \(4,\) has 4 entries"),
    (lambda: tg.linalg.lstsq(np.eye(3), np.ones((2, 2, 3, 1))), ValueError,
     r"^lstsq: B must have as many dimensions as A .* or one fewer"),
    (lambda: tg.linalg.lstsq(np.eye(3), np.ones(3), driver="gelsx"), ValueError,
     r"^lstsq: driver must be None or one of gels, gelsy, gelsd, gelss"),
    (lambda: tg.linalg.solve_triangular(np.eye(3), np.ones(3), upper=True), ValueError,
     r"^solve_triangular: incompatible shapes .* B must be a matrix"),
    (lambda: tg.linalg.solve_triangular(np.eye(3), np.ones((3, 1)), upper=None), TypeError,
     r"^solve_triangular: upper must be True or False"),
    (lambda: tg.linalg.solve_triangular(np.ones((2, 3, 3)), np.ones((4, 3, 1)), upper=True),
     ValueError, r"^solve_triangular: the batch axes of A .* do not broadcast"),
    (lambda: tg.linalg.inv_ex(np.ones((2, 3))), ValueError, r"^inv_ex: A must be square"),
    (lambda: tg.linalg.cholesky_ex(np.ones(3)), ValueError, r"^cholesky_ex: A must be square"),
    (lambda: tg.linalg.matrix_power(np.eye(2), 1.5), TypeError,
     r"^matrix_power: n must be an int"),
    (lambda: tg.linalg.matrix_power(np.ones((2, 3)), 2), ValueError,
     r"^matrix_power: A must be square"),
    (lambda: tg.linalg.matrix_power([[1.0, 2.0], [2.0, 4.0]], -1), ValueError,
     r"^inv: the matrix of shape \(2, 2\) is singular"),
    (lambda: tg.linalg.multi_dot([np.eye(2)]), ValueError,
     r"^multi_dot: expected at least 2 tensors, got 1"),
    (lambda: tg.linalg.multi_dot(np.eye(2)), TypeError, r"^multi_dot: expected a list"),
    (lambda: tg.linalg.multi_dot([np.ones((2, 3)), np.ones((2, 3))]), ValueError,
     r"^multi_dot: tensors 0 and 1 cannot be multiplied \(3 columns, 2 rows\)"),
    (lambda: tg.linalg.multi_dot([np.ones((2, 3)), np.ones((2, 3, 3))]), ValueError,
     r"^multi_dot: tensor 1 must be a matrix"),
    (lambda: tg.linalg.cross(np.ones(2), np.ones(2)), ValueError, r"^cross: axis 0 must"),
    (lambda: tg.linalg.diagonal(np.ones(3)), ValueError, r"^diagonal: axis -2 is out of range"),
    (lambda: tg.linalg.diagonal(np.ones((2, 3, 3)), dim1=1, dim2=-2), RuntimeError,
     r"^diagonal: dim1 and dim2 name one axis \(1, -2\); give two different axes$"),
    (lambda: tg.linalg.vander(np.ones(3), N=1), ValueError, r"^vander: N must be greater than 1"),
    (lambda: tg.linalg.vander(tg.tensor([True])), TypeError, r"^vander: x must be a float"),
    (lambda: tg.linalg.cond(np.eye(2), 3), ValueError, r"^cond: p=3 is not a norm cond takes"),
    (lambda: tg.linalg.cond(np.ones((2, 3)), "fro"), ValueError,
     r"^cond \(p='fro'\): A must be square"),
    (lambda: tg.linalg.matrix_norm(np.eye(2), 3), ValueError, r"^matrix_norm: ord=3 is not a"),
])
def test_refusals_are_one_line(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_pytorch_refuses_the_same():
    torch = pytest.importorskip("torch")
    for call in (lambda: torch.linalg.qr(torch.ones(3)),
                 lambda: torch.linalg.eigh(torch.ones(2, 3)),
                 lambda: torch.linalg.svd(torch.eye(2), driver="gesvd"),
                 lambda: torch.linalg.lstsq(torch.eye(3), torch.ones(4)),
                 lambda: torch.linalg.solve_triangular(torch.eye(3), torch.ones(3), upper=True),
                 lambda: torch.linalg.matrix_power(torch.ones(2, 3), 2),
                 lambda: torch.linalg.multi_dot([torch.eye(2)]),
                 lambda: torch.linalg.vander(torch.ones(3), N=1),
                 lambda: torch.linalg.cond(torch.eye(2), 3),
                 lambda: torch.linalg.cond(torch.ones(2, 3), "fro"),
                 lambda: torch.linalg.matrix_norm(torch.zeros(0, 0), -2),
                 lambda: torch.linalg.diagonal(torch.ones(2, 3, 3), dim1=1, dim2=-2)):
        with pytest.raises((RuntimeError, IndexError)):
            call()


# ------------------------------------------------------------------ for test_ops and test_fuzz
# The decompositions' sign conventions and where they are smooth, and OP_SPECS drawers for
# the ops of ops/decompositions.py (test_ops.py and test_fuzz.py import these).

def lead_signed(vectors: np.ndarray) -> np.ndarray:
    """The columns of `vectors` scaled so that each one's entry of largest magnitude is
    positive: the signs tg.linalg gives eigenvectors and U's columns."""
    if vectors.size == 0:
        return vectors
    lead = np.take_along_axis(vectors, np.abs(vectors).argmax(-2)[..., None, :], axis=-2)
    return vectors * np.where(lead < 0, -1.0, 1.0)


def clear_leads(vectors: np.ndarray, margin: float) -> bool:
    """Whether each column's largest |entry| beats the next largest by `margin`: the sign
    choice of `lead_signed` is smooth there."""
    if vectors.shape[-2] < 2 or vectors.size == 0:
        return True
    ordered = np.sort(np.abs(vectors), axis=-2)
    return bool((ordered[..., -1, :] - ordered[..., -2, :] >= margin).all())


def householder_steady(a: np.ndarray, margin: float) -> bool:
    """Whether LAPACK's Householder QR of each matrix of `a` keeps its signs nearby: each
    step's first entry is `margin` or more from 0, and so is the column below it (where it
    is all 0 the step reflects nothing, and R's sign jumps)."""
    if a.ndim < 2 or a.size == 0:
        return False
    work = np.array(a, dtype=np.float64)
    m, n = work.shape[-2:]
    for k in range(min(m, n)):
        x = work[..., k:, k]
        below = np.linalg.norm(x[..., 1:], axis=-1)
        if np.abs(x[..., 0]).min() < margin or (k < m - 1 and below.min() < margin):
            return False
        v = x.copy()
        v[..., 0] += np.copysign(np.linalg.norm(x, axis=-1), x[..., 0])
        v /= np.linalg.norm(v, axis=-1, keepdims=True)
        work[..., k:, k:] -= 2 * v[..., :, None] * (v[..., None, :] @ work[..., k:, k:])
    return True


def _svd_signed(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NumPy's reduced SVD with tg.linalg's signs (U's columns lead-signed, Vh's rows with them)."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    signed = lead_signed(u)
    flips = np.sum(signed * u, axis=-2)  # (+1 or -1 per column)
    return signed, s, vh * flips[..., :, None]


def torch_part(torch, name: str, a, part: str):
    """torch.linalg's qr, eigh or svd (reduced) of `a`, result `part`, with tg.linalg's signs
    (for PyTorch's values and gradients: the sign flips are constants)."""
    if name == "qr":
        return getattr(torch.linalg.qr(a), part)
    if name == "eigh":
        values, vectors = torch.linalg.eigh(a)
        if part == "eigenvalues":
            return values
        lead = vectors.gather(-2, vectors.abs().argmax(-2, keepdim=True))
        return vectors * torch.where(lead < 0, -1.0, 1.0)
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    lead = u.gather(-2, u.abs().argmax(-2, keepdim=True))
    flips = torch.where(lead < 0, -1.0, 1.0)
    return {"U": u * flips, "S": s, "Vh": vh * flips.mT}[part]


def _spread(m: int, n: int) -> np.ndarray:
    """30, 60, 90 on the diagonal of an m x n matrix: singular values (eigenvalues of a
    symmetric one) far apart and from 0, Householder steps far from a sign change."""
    d = np.zeros((m, n))
    k = min(m, n)
    d[range(k), range(k)] = 30.0 * np.arange(1, k + 1)
    return d


def decomposition_spec(name: str):
    """test_ops.OP_SPECS's drawer for the op `name` of ops/decompositions.py: (fn, input
    arrays, NumPy's reference), drawn where the op is smooth (a part of qr, eigh and svd
    drawn too)."""
    def draw(data):
        lead = tuple(data.draw(st.lists(st.integers(1, 2), max_size=2)))
        n = data.draw(st.integers(1, 3))
        m = n if name in ("eigh", "solve_triangular") else data.draw(st.integers(1, 3))
        x = data.draw(testing.tensors(lead + (m, n))).data + _spread(m, n)
        if name == "qr":
            part = data.draw(st.sampled_from(["Q", "R"]))
            assume(householder_steady(x, 0.1))
            return (lambda t: getattr(tg.linalg.qr(t), part), [x],
                    lambda a: getattr(np.linalg.qr(a), part))
        if name == "eigh":  # (of x + x.mT: eigenvalues 60, 120, 180, give or take 12)
            part = data.draw(st.sampled_from(["eigenvalues", "eigenvectors"]))

            def reference(a):
                values, vectors = np.linalg.eigh(a + np.swapaxes(a, -1, -2))
                return values if part == "eigenvalues" else lead_signed(vectors)

            assume(clear_leads(np.linalg.eigh(x + np.swapaxes(x, -1, -2))[1], 0.1))
            return lambda t: getattr(tg.linalg.eigh(t + t.mT), part), [x], reference
        if name == "svd":
            part = data.draw(st.sampled_from(["U", "S", "Vh"]))
            assume(clear_leads(np.linalg.svd(x, full_matrices=False)[0], 0.1))
            return (lambda t: getattr(tg.linalg.svd(t, full_matrices=False), part), [x],
                    lambda a: _svd_signed(a)[("U", "S", "Vh").index(part)])
        if name == "pinv":
            return tg.linalg.pinv, [x], np.linalg.pinv
        upper = data.draw(st.booleans())  # solve_triangular: B a matrix, batch broadcast
        b = data.draw(testing.tensors(data.draw(st.sampled_from(
            [(n, 1), (n, 2), (2, n, 1), (1,) * len(lead) + (n, 2)])))).data
        return (lambda s, t: tg.linalg.solve_triangular(s, t, upper=upper), [x, b],
                lambda a, y: np.linalg.solve(np.triu(a) if upper else np.tril(a), y))
    return draw

"""PyTorch's LDL factorization (linalg_ldl.py: `tg.linalg.ldl_factor_ex`, `ldl_factor`,
`ldl_solve`), LAPACK's raw QR (`tg.geqrf`) and the randomized low-rank decompositions
(lowrank.py: `tg.svd_lowrank`, `tg.pca_lowrank`).

Without torch: LD and pivots rebuild A by LAPACK's own definition of sytrf's output
(L = P(1) L(1) P(2) L(2) ..., A = L D L.T), ldl_solve against np.linalg.solve, geqrf
against NumPy's LAPACK (np.linalg.qr(mode="raw")) and feeding householder_product and
ormqr, the low-rank SVD of a matrix of rank <= q against np.linalg.svd (exact whatever
is drawn), PCA's variances against np.cov, gradients by tg.gradcheck with the draw
seeded, no gradient where PyTorch has none, and one-line errors naming the function.
With torch: pivots and info equal, LD, X, a and tau within rounding, inf and NaN where
torch gives them, the low-rank results and their gradients, float32 kept.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import creation, linalg_ldl, lowrank

RNG = np.random.default_rng(20260611)


def _symmetric(a: np.ndarray) -> np.ndarray:
    """The symmetric matrix whose lower triangle is a's (the triangle sytrf reads)."""
    return np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)


def _rebuilt(ld: np.ndarray, pivots: np.ndarray) -> np.ndarray:
    """L @ D @ L.T of one matrix from LAPACK's documented form of sytrf's output (lower):
    L = P(1) L(1) P(2) L(2) ..., P(k) swapping rows k and pivots[k] (1 x 1 block) or k + 1
    and -pivots[k] (2 x 2), L(k) the identity with the block's columns of LD below it."""
    n = len(pivots)
    product, d, k = np.eye(n), np.zeros((n, n)), 0
    while k < n:
        size = 1 if pivots[k] > 0 else 2
        row, other = k + size - 1, abs(int(pivots[k])) - 1
        swap = np.eye(n)
        swap[[row, other]] = swap[[other, row]]
        step = np.eye(n)
        step[k + size:, k:k + size] = ld[k + size:, k:k + size]
        d[k:k + size, k:k + size] = _symmetric(ld[k:k + size, k:k + size])
        product = product @ swap @ step
        k += size
    return product @ d @ product.T


def _random_symmetric(n: int, *batch: int) -> np.ndarray:
    a = RNG.standard_normal(batch + (n, n))
    return a + np.swapaxes(a, -1, -2)


# name -> matrix (or batch) ldl_factor takes: every kind of pivot
LDL_CASES = {
    "positive definite (1 x 1 blocks)": np.array([[4.0, 2, 1], [2, 5, 3], [1, 3, 6]]),
    "zero diagonal (2 x 2 blocks)": np.array([[0.0, 1, 2], [1, 0, 3], [2, 3, 0]]),
    "swap into a 1 x 1 block": np.array([[1.0, 2, 3], [2, 4, 5], [3, 5, 6]]),
    "indefinite 6 x 6": _random_symmetric(6),
    "batch (2, 3)": _random_symmetric(5, 2, 3),
    "upper triangle ignored": np.tril(_random_symmetric(4)) + np.triu(np.full((4, 4), 9.0), 1),
    "one entry": np.array([[-3.0]]),
    "integers": np.array([[2, 1], [1, -3]]),
    "large (40 x 40)": _random_symmetric(40),
}


@pytest.mark.parametrize("name", LDL_CASES)
def test_ld_and_pivots_rebuild_a_by_lapacks_definition(name):
    a = LDL_CASES[name]
    LD, pivots, info = tg.linalg.ldl_factor_ex(a)
    assert LD.shape == a.shape and pivots.shape == info.shape + (a.shape[-1],)
    assert (LD.dtype, pivots.dtype, info.dtype) == (np.float64, np.int32, np.int32)
    assert not info.data.any()
    assert not np.triu(LD.data, 1).any()  # (zeros above the diagonal, as PyTorch's)
    flat_ld = LD.data.reshape((-1,) + a.shape[-2:])
    for ld, p, matrix in zip(flat_ld, pivots.data.reshape(len(flat_ld), -1),
                             _symmetric(a).reshape(flat_ld.shape)):
        np.testing.assert_allclose(_rebuilt(ld, p), matrix, rtol=1e-10, atol=1e-10)
    again = tg.linalg.ldl_factor(a)  # (the same factorization, without info)
    np.testing.assert_array_equal(again.LD.data, LD.data)
    np.testing.assert_array_equal(again.pivots.data, pivots.data)


def test_bunch_kaufman_takes_2_x_2_blocks_where_the_diagonal_cannot_pivot():
    LD, pivots = tg.linalg.ldl_factor([[0.0, 1.0], [1.0, 0.0]])
    assert pivots.data.tolist() == [-2, -2]  # (one 2 x 2 block, no swap)
    np.testing.assert_array_equal(LD.data, [[0.0, 0.0], [1.0, 0.0]])
    LD, pivots = tg.linalg.ldl_factor(np.diag([1.0, 2.0, 3.0]))
    assert pivots.data.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(LD.data, np.diag([1.0, 2.0, 3.0]))


def test_ldl_solve_solves_with_batches_broadcast():
    a = _random_symmetric(4, 2) + 0.1 * np.eye(4)
    LD, pivots = tg.linalg.ldl_factor(a)
    for b, expected in [(RNG.standard_normal((2, 4, 3)), None),
                        (RNG.standard_normal((4, 2)), (2, 4, 2)),
                        (RNG.standard_normal((3, 1, 4, 1)), (3, 2, 4, 1)),
                        (np.zeros((2, 4, 0)), (2, 4, 0))]:
        x = tg.linalg.ldl_solve(LD, pivots, b)
        assert x.shape == (expected or b.shape) and x.dtype == np.float64
        np.testing.assert_allclose(x.data, np.linalg.solve(a, np.broadcast_to(b, x.shape)),
                                   rtol=1e-9, atol=1e-11)
    single = tg.linalg.ldl_factor(a[0])
    b = RNG.standard_normal((3, 4, 2))
    np.testing.assert_allclose(tg.linalg.ldl_solve(*single, b).data, np.linalg.solve(a[0], b),
                               rtol=1e-9, atol=1e-11)


def test_empty_matrices_and_batches():
    for shape in [(0, 0), (3, 0, 0), (0, 2, 2)]:
        LD, pivots, info = tg.linalg.ldl_factor_ex(np.zeros(shape))
        assert (LD.shape, pivots.shape, info.shape) == (shape, shape[:-1], shape[:-2])
        assert tg.linalg.ldl_solve(LD, pivots, np.zeros(shape[:-1] + (5,))).shape == \
            shape[:-1] + (5,)
    a, tau = tg.geqrf(np.zeros((0, 3)))
    assert (a.shape, tau.shape) == ((0, 3), (0,))
    a, tau = tg.geqrf(np.zeros((2, 4, 0)))
    assert (a.shape, tau.shape) == ((2, 4, 0), (2, 0))


def test_a_singular_matrix_sets_info_and_is_refused_where_asked():
    LD, pivots, info = tg.linalg.ldl_factor_ex(np.diag([1.0, 0.0, 2.0]))
    assert info.item() == 2 and pivots.data.tolist() == [1, 2, 3]
    assert tg.linalg.ldl_factor_ex(np.zeros((3, 3))).info.item() == 1
    with pytest.raises(tg.linalg.LinAlgError, match=r"^ldl_factor: D\[2,2\] is zero .*"
                                                    r"ldl_factor_ex"):
        tg.linalg.ldl_factor(np.diag([1.0, 0.0, 2.0]))
    batch = np.stack([np.eye(2), np.zeros((2, 2))])
    with pytest.raises(RuntimeError, match=r"^ldl_factor_ex: \(batch element \(1,\)\) "
                                           r"D\[1,1\] is zero"):
        tg.linalg.ldl_factor_ex(batch, check_errors=True)
    assert tg.linalg.ldl_factor_ex(batch).info.data.tolist() == [0, 1]
    x = tg.linalg.ldl_solve(LD, pivots, np.ones((3, 1)))  # (a division by D's zero)
    assert not np.isfinite(x.data[1]).any() and x.data[2, 0] == 0.5


def test_no_gradient_as_in_pytorch():
    a = tg.Tensor(_random_symmetric(3), requires_grad=True)
    b = tg.Tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    result = tg.linalg.ldl_factor_ex(a)
    assert not any(t.requires_grad for t in result)
    assert not tg.linalg.ldl_solve(result.LD, result.pivots, b).requires_grad
    assert not any(t.requires_grad for t in tg.geqrf(a))


def test_dtypes_float32_kept_integers_in_the_default_float():
    a32 = _random_symmetric(3).astype(np.float32)
    LD, pivots = tg.linalg.ldl_factor(a32)
    assert LD.dtype == np.float32 and pivots.dtype == np.int32
    assert tg.linalg.ldl_solve(LD, pivots, np.ones((3, 1), np.float32)).dtype == np.float32
    assert tg.linalg.ldl_solve(LD, pivots, np.ones((3, 1))).dtype == np.float64
    half = tg.linalg.ldl_factor(a32.astype(np.float16)).LD
    assert half.dtype == np.float16
    assert tg.geqrf(a32)[0].dtype == tg.geqrf(a32)[1].dtype == np.float32
    assert tg.geqrf(tg.tensor([[1, 2], [3, 4]]))[0].dtype == np.float64
    U, S, V = tg.svd_lowrank(a32, q=2)  # noqa: N806
    assert U.dtype == S.dtype == V.dtype == np.float32
    assert tg.pca_lowrank(tg.tensor([[1, 2], [3, 5], [0, 1]]))[1].dtype == np.float64


# ------------------------------------------------------------------------------ geqrf

GEQRF_SHAPES = [(5, 3), (3, 5), (4, 4), (2, 3, 2), (1, 1), (6, 1), (1, 6)]


@pytest.mark.parametrize("shape", GEQRF_SHAPES)
def test_geqrf_is_lapacks_and_feeds_householder_product_and_ormqr(shape):
    a = RNG.standard_normal(shape)
    out, tau = tg.geqrf(a)
    raw, raw_tau = np.linalg.qr(a, mode="raw")  # (NumPy's LAPACK geqrf, rows as columns)
    np.testing.assert_allclose(out.data, np.swapaxes(raw, -1, -2), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(tau.data, raw_tau, rtol=1e-12, atol=1e-13)
    m, n = shape[-2:]
    k = min(m, n)
    q = tg.linalg.householder_product(out[..., :, :k], tau)  # Q's first k columns
    np.testing.assert_allclose((q @ out[..., :k, :].triu()).data, a, rtol=1e-12, atol=1e-12)
    c = RNG.standard_normal(shape[:-2] + (m, 2))
    full_q = tg.ormqr(out, tau, np.broadcast_to(np.eye(m), shape[:-2] + (m, m)))
    np.testing.assert_allclose(full_q.data @ np.swapaxes(full_q.data, -1, -2),
                               np.broadcast_to(np.eye(m), full_q.shape), atol=1e-12)
    np.testing.assert_allclose(tg.ormqr(out, tau, c).data, full_q.data @ c, atol=1e-12)
    method = tg.tensor(a).geqrf()
    np.testing.assert_array_equal(method.a.data, out.data)


def test_geqrf_skips_a_reflection_where_the_column_below_is_zero():
    out, tau = tg.geqrf([[-2.0, 1.0], [0.0, 3.0]])
    np.testing.assert_array_equal(out.data, [[-2.0, 1.0], [0.0, 3.0]])  # (R kept, negative)
    np.testing.assert_array_equal(tau.data, [0.0, 0.0])
    out, tau = tg.geqrf(np.array([[1e200, 0.0], [1e200, 1.0]]))  # (no overflow in the norm)
    assert np.isfinite(out.data).all() and np.isclose(abs(out.data[0, 0]), 2 ** 0.5 * 1e200)


# -------------------------------------------------------------- svd_lowrank, pca_lowrank


def _rank(k: int, m: int, n: int, *batch: int) -> np.ndarray:
    return RNG.standard_normal(batch + (m, k)) @ RNG.standard_normal(batch + (k, n))


def _exact_svd_check(U, S, V, a, q):  # noqa: N803
    """U, S, V of a matrix of rank <= q: A's singular values and A itself, orthonormal U
    and V (k = min(q, m, n) columns)."""
    k = min(q, *a.shape[-2:])
    assert U.shape == a.shape[:-1] + (k,) and V.shape == a.shape[:-2] + (a.shape[-1], k)
    np.testing.assert_allclose(S.data, np.linalg.svd(a, compute_uv=False)[..., :k],
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose((U * S[..., None, :] @ V.mT).data, a, rtol=1e-9, atol=1e-9)
    for basis in (U.data, V.data):
        np.testing.assert_allclose(np.swapaxes(basis, -1, -2) @ basis,
                                   np.broadcast_to(np.eye(k), S.shape + (k,)), atol=1e-9)


# (rank, shape, q, niter): tall, wide, batched, q beyond the rank and the size
LOWRANK_CASES = [(2, (6, 4), 2, 2), (3, (4, 7), 3, 2), (2, (2, 5, 3), 2, 1), (1, (5, 5), 3, 0),
                 (2, (3, 4), 6, 2), (0, (4, 3), 2, 2)]


@pytest.mark.parametrize("rank, shape, q, niter", LOWRANK_CASES)
def test_svd_lowrank_of_a_matrix_of_rank_at_most_q_is_its_svd(rank, shape, q, niter):
    a = _rank(rank, shape[-2], shape[-1], *shape[:-2])
    _exact_svd_check(*tg.svd_lowrank(a, q=q, niter=niter), a, q)
    mean = RNG.standard_normal(shape[-1:])  # M broadcast: the SVD of (a + M) - M
    _exact_svd_check(*tg.svd_lowrank(a + mean, q, niter, M=mean), a, q)


@pytest.fixture
def own_seed(monkeypatch):
    """tg.manual_seed's generator put back as it was after the test."""
    monkeypatch.setattr(creation, "_seeded", [None, None])


def test_svd_lowrank_draws_from_manual_seeds_generator(own_seed):
    a = RNG.standard_normal((6, 5))  # (full rank: the result depends on the draw)
    tg.manual_seed(11)
    first = tg.svd_lowrank(a, q=2, niter=0)
    tg.manual_seed(11)
    again = tg.svd_lowrank(a, q=2, niter=0)
    other = tg.svd_lowrank(a, q=2, niter=0)
    np.testing.assert_array_equal(first[1].data, again[1].data)
    assert not np.allclose(first[1].data, other[1].data, rtol=1e-12)
    graph = tg.draw_graph(tg.svd_lowrank(tg.Tensor(a, requires_grad=True), q=2)[1].sum())
    assert "R (random)" in graph.source  # (the draw named, not drawn as the user's input)


def test_pca_lowrank_gives_the_variances_of_the_centered_data():
    data = _rank(2, 8, 5) + RNG.standard_normal(5)  # (rank 2 about its mean)
    U, S, V = tg.pca_lowrank(data, q=3)  # noqa: N806
    covariance = np.cov(data, rowvar=False)
    np.testing.assert_allclose(S.data ** 2 / 7, np.linalg.eigvalsh(covariance)[::-1][:3],
                               atol=1e-9)
    _exact_svd_check(U, S, V, data - data.mean(axis=0), 3)
    np.testing.assert_allclose(tg.pca_lowrank(data, 3, center=False)[1].data,
                               np.linalg.svd(data, compute_uv=False)[:3], rtol=1e-6)
    assert tg.pca_lowrank(np.zeros((3, 9)))[0].shape == (3, 3)  # (q: min(6, m, n))


def _seeded(fn):
    """fn with the draw fixed: each call of gradcheck sees the same test matrix R."""
    def call(*args):
        tg.manual_seed(5)
        U, S, V = fn(*args)  # noqa: N806
        return tg.cat([(U @ V.mT).reshape(-1), S.reshape(-1)])  # (free of the signs)
    return call


def test_gradients_pass_gradcheck_with_the_draw_fixed(own_seed):
    a = tg.Tensor(_rank(2, 5, 3), requires_grad=True)
    mean = tg.Tensor(RNG.standard_normal(3), requires_grad=True)
    assert tg.gradcheck(_seeded(lambda x: tg.svd_lowrank(x, q=2)), [a])
    assert tg.gradcheck(_seeded(lambda x, m: tg.svd_lowrank(x + m, q=2, M=m)), [a, mean])
    wide = tg.Tensor(_rank(2, 3, 6), requires_grad=True)
    assert tg.gradcheck(_seeded(lambda x: tg.pca_lowrank(x, q=2)), [wide])
    assert tg.gradcheck(_seeded(lambda x: tg.pca_lowrank(x, 2, center=False, niter=1)), [wide])


# ------------------------------------------------------------------------------ errors

LD1, PIVOTS1 = linalg_ldl.ldl_factor(np.eye(3))
ERRORS = [
    (lambda: tg.linalg.ldl_factor(np.ones((2, 3))), ValueError,
     r"^ldl_factor: A must be square matrices .* got shape \(2, 3\)$"),
    (lambda: tg.linalg.ldl_factor_ex(np.ones(3)), RuntimeError,
     r"^ldl_factor_ex: A must be square matrices .* got shape \(3,\)$"),
    (lambda: tg.linalg.ldl_factor_ex(np.eye(2), check_errors=1), TypeError,
     "^ldl_factor_ex: check_errors must be True or False"),
    (lambda: tg.linalg.ldl_factor(np.eye(2), hermitian="no"), TypeError,
     "^ldl_factor: hermitian must be True or False"),
    (lambda: tg.linalg.ldl_solve(LD1, PIVOTS1.double(), np.ones((3, 1))), TypeError,
     "^ldl_solve: pivots must be an integer tensor"),
    (lambda: tg.linalg.ldl_solve(LD1, PIVOTS1[:2], np.ones((3, 1))), ValueError,
     r"^ldl_solve: pivots of shape \(2,\) do not fit: expected shape \(3,\) \(one per "
     r"row of LD\)"),
    (lambda: tg.linalg.ldl_solve(LD1, PIVOTS1 * 0 + 4, np.ones((3, 1))), ValueError,
     r"^ldl_solve: pivots\[\.\.\., 0\] = 4 is not one ldl_factor gives"),
    (lambda: tg.linalg.ldl_solve(LD1, tg.tensor([1, 2, -3], dtype=np.int32), np.ones((3, 1))),
     ValueError, r"^ldl_solve: pivots\[\.\.\., 2\] = -3 is not one"),
    (lambda: tg.linalg.ldl_solve(LD1, PIVOTS1, np.ones(3)), RuntimeError,
     r"^ldl_solve: B of shape \(3,\) does not fit LD .* b\[:, None\]"),
    (lambda: tg.linalg.ldl_solve(LD1, PIVOTS1, np.ones((2, 1))), ValueError,
     r"^ldl_solve: B of shape \(2, 1\) does not fit LD of shape \(3, 3\)"),
    (lambda: tg.linalg.ldl_solve(np.ones((3, 2)), PIVOTS1, np.ones((3, 1))), ValueError,
     r"^ldl_solve: LD must be square matrices"),
    (lambda: tg.linalg.ldl_solve(np.stack([np.eye(3)] * 2), np.tile(PIVOTS1.data, (2, 1)),
                                 np.ones((3, 3, 1))), ValueError,
     r"^ldl_solve: the batch axes of LD \(2, 3, 3\) and B \(3, 3, 1\) do not broadcast"),
    (lambda: tg.geqrf(np.ones(3)), ValueError,
     r"^geqrf: input must have at least 2 dimensions .* got shape \(3,\)$"),
    (lambda: tg.svd_lowrank(np.ones(3)), RuntimeError,
     r"^svd_lowrank: A must have at least 2 dimensions"),
    (lambda: tg.svd_lowrank(np.ones((3, 2)), q=-1), ValueError,
     "^svd_lowrank: q must be a non-negative int"),
    (lambda: tg.svd_lowrank(np.ones((3, 2)), q=2.0), TypeError,
     "^svd_lowrank: q must be an int, got float"),
    (lambda: tg.svd_lowrank(np.ones((3, 2)), niter=-1), ValueError,
     "^svd_lowrank: niter must be a non-negative int"),
    (lambda: tg.svd_lowrank(np.ones((3, 2)), M=np.ones(4)), ValueError,
     r"^svd_lowrank: M of shape \(4,\) does not broadcast to A's shape \(3, 2\)$"),
    (lambda: tg.pca_lowrank(np.ones((3, 2)), q=3), ValueError,
     r"^pca_lowrank: q must lie in 0\.\.min\(m, n\) = 2 for A of shape \(3, 2\), got q=3$"),
    (lambda: tg.pca_lowrank(np.ones((3, 2)), niter=-2), ValueError,
     "^pca_lowrank: niter must be a non-negative int"),
    (lambda: tg.pca_lowrank(np.ones((3, 2)), center=None), TypeError,
     "^pca_lowrank: center must be True or False"),
]


@pytest.mark.parametrize("call, kind, message", ERRORS)
def test_bad_input_is_refused_in_one_line_naming_the_function(call, kind, message):
    with pytest.raises(kind, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


# ------------------------------------------------------------------------------ coverage

# every public name -> the tests (tables) that cover it
COVERED = {
    "ldl_factor_ex": LDL_CASES, "ldl_factor": LDL_CASES, "ldl_solve": LDL_CASES,
    "LDLFactorResult": LDL_CASES, "LDLFactorExResult": LDL_CASES, "geqrf": GEQRF_SHAPES,
    "GeqrfResult": GEQRF_SHAPES, "svd_lowrank": LOWRANK_CASES, "pca_lowrank": LOWRANK_CASES,
}


def _given_out(function):
    """The function a namespace's name wraps to give it PyTorch's out= (out_keyword.py)
    and, for tg.linalg's, PyTorch's argument names and messages (torch_keywords.py)."""
    if hasattr(function, "torch_keywords"):
        function = function.__wrapped__
    code = getattr(function, "__code__", None)  # (a result class has none)
    return function.__wrapped__ if code and code.co_name == "with_out" else function


def test_every_public_name_has_cases_a_docstring_and_its_place():
    names = linalg_ldl.__all__ + lowrank.__all__
    assert sorted(COVERED) == sorted(names)
    for name in names:
        assert COVERED[name], name
        assert name[0].isupper() or any(name in call.__code__.co_names
                                        for call, _, _ in ERRORS), f"{name}: no error case"
    for name in linalg_ldl.__all__:
        # (tg.linalg's name is the function given out= as PyTorch's: out_keyword.py)
        assert _given_out(getattr(tg.linalg, name)) is getattr(linalg_ldl, name) and \
            name in tg.linalg.__all__
    for name in lowrank.__all__:
        assert _given_out(getattr(tg, name)) is getattr(lowrank, name) and name in tg.__all__
    for module in (linalg_ldl, lowrank):
        assert "being written" not in module.__doc__
        for name in module.__all__:
            assert getattr(module, name).__doc__.strip()


# ------------------------------------------------------------------------------ with torch


def _torch_ldl_cases():
    cases = [np.round(RNG.standard_normal((3, n, n)) * 2) for n in range(1, 7)]  # (ties, 0s)
    cases += [_random_symmetric(n, 4) for n in range(1, 9)]
    cases += [RNG.standard_normal((2, 5, 5)), _random_symmetric(70)]  # (70: LAPACK's blocks)
    sparse = np.round(RNG.standard_normal((4, 6, 6)))
    sparse[:, ::2] = 0  # (zero columns: info > 0)
    return cases + [sparse, np.array([[-0.0, 2.0], [0.0, -0.0]])]


@pytest.mark.torch
def test_ldl_factor_ex_and_ldl_solve_match_pytorch():
    torch = pytest.importorskip("torch")
    for a in _torch_ldl_cases():
        ours = tg.linalg.ldl_factor_ex(a)
        theirs = torch.linalg.ldl_factor_ex(torch.tensor(a))
        assert ours._fields == ("LD", "pivots", "info")  # (torch's names)
        assert [getattr(theirs, field).shape for field in ours._fields]
        np.testing.assert_array_equal(ours.pivots.data, theirs.pivots.numpy())
        np.testing.assert_array_equal(ours.info.data, theirs.info.numpy())
        np.testing.assert_allclose(ours.LD.data, theirs.LD.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(np.signbit(ours.LD.data), np.signbit(theirs.LD.numpy()))
        b = RNG.standard_normal(a.shape[:-1] + (2,))
        x = tg.linalg.ldl_solve(ours.LD, ours.pivots, b).data
        y = torch.linalg.ldl_solve(theirs.LD, theirs.pivots, torch.tensor(b)).numpy()
        well = np.linalg.cond(_symmetric(a)) < 1e8  # (else rounding decides: torch's too)
        np.testing.assert_allclose(x[well], y[well], rtol=1e-8, atol=1e-10)


@pytest.mark.torch
def test_singular_and_nan_matrices_give_pytorchs_info_inf_and_nan():
    torch = pytest.importorskip("torch")
    for a in ([[np.nan, 1.0], [1.0, 2.0]], [[1.0, np.nan], [np.nan, 2.0]],
              [[1.0, np.inf], [np.inf, 2.0]], np.zeros((3, 3)), np.diag([0.0, 1.0, 0.0])):
        a = np.array(a)
        ours, theirs = tg.linalg.ldl_factor_ex(a), torch.linalg.ldl_factor_ex(torch.tensor(a))
        np.testing.assert_array_equal(ours.pivots.data, theirs.pivots.numpy())
        np.testing.assert_array_equal(ours.info.data, theirs.info.numpy())
        np.testing.assert_array_equal(ours.LD.data, theirs.LD.numpy())
        b = np.ones((len(a), 1))
        np.testing.assert_array_equal(
            tg.linalg.ldl_solve(ours.LD, ours.pivots, b).data,
            torch.linalg.ldl_solve(theirs.LD, theirs.pivots, torch.tensor(b)).numpy())


@pytest.mark.torch
def test_nan_and_inf_entries_land_where_pytorchs_do():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for _ in range(300):
        n, m = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        a = rng.standard_normal((n, n))
        spots = rng.random((n, n)) < 0.15
        a[spots] = rng.choice([np.nan, np.inf, -np.inf, 0.0], size=spots.sum())
        ours, theirs = tg.linalg.ldl_factor_ex(a), torch.linalg.ldl_factor_ex(torch.tensor(a))
        np.testing.assert_array_equal(ours.pivots.data, theirs.pivots.numpy())
        np.testing.assert_array_equal(ours.info.data, theirs.info.numpy())
        np.testing.assert_allclose(ours.LD.data, theirs.LD.numpy(), rtol=1e-9, atol=1e-12)
        b = rng.standard_normal((n, 2))
        np.testing.assert_allclose(  # (assert_allclose: NaN where torch's is NaN)
            tg.linalg.ldl_solve(ours.LD, ours.pivots, b).data,
            torch.linalg.ldl_solve(theirs.LD, theirs.pivots, torch.tensor(b)).numpy(),
            rtol=1e-7, atol=1e-9)
        q = rng.standard_normal((m, n))  # (NaN only: with an infinite entry LAPACK's NaNs
        q[rng.random((m, n)) < 0.1] = np.nan  # spread by rounding choices of its own)
        for mine, its in zip(tg.geqrf(q), torch.geqrf(torch.tensor(q))):
            np.testing.assert_allclose(mine.data, its.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.torch
def test_signatures_are_pytorchs():
    torch = pytest.importorskip("torch")
    import inspect

    def described(parameters):
        return [(p.name, p.kind is p.KEYWORD_ONLY, None if p.default is p.empty else p.default)
                for p in parameters]

    for schema, first, ours in [("linalg_ldl_factor_ex", "A", tg.linalg.ldl_factor_ex),
                                ("linalg_ldl_factor", "A", tg.linalg.ldl_factor),
                                ("linalg_ldl_solve", "LD", tg.linalg.ldl_solve),
                                ("geqrf", "input", tg.geqrf)]:
        arguments = torch._C._jit_get_schemas_for_operator(f"aten::{schema}")[0].arguments
        theirs = [(first if a.name == "self" else a.name, a.kwarg_only, a.default_value)
                  for a in arguments]
        given = inspect.signature(ours).parameters  # (out=: PyTorch's .out overload's)
        assert "out" in given and torch._C._jit_get_schemas_for_operator(f"aten::{schema}")[1]
        assert described(p for name, p in given.items() if name != "out") == theirs
    for name in ("svd_lowrank", "pca_lowrank"):
        assert described(inspect.signature(getattr(tg, name)).parameters.values()) == \
            described(inspect.signature(getattr(torch, name)).parameters.values())


@pytest.mark.torch
def test_pytorch_has_no_gradient_for_ldl_nor_geqrf():
    torch = pytest.importorskip("torch")
    a = torch.tensor(_random_symmetric(3), requires_grad=True)
    for out in (torch.linalg.ldl_factor(a).LD, torch.geqrf(a).a,
                torch.linalg.ldl_solve(*torch.linalg.ldl_factor(a.detach()),
                                       torch.ones(3, 1, dtype=torch.float64,
                                                  requires_grad=True))):
        with pytest.raises((RuntimeError, NotImplementedError), match="not implemented"):
            out.sum().backward()


@pytest.mark.torch
def test_geqrf_matches_pytorch():
    torch = pytest.importorskip("torch")
    shapes = GEQRF_SHAPES + [(0, 3), (3, 0), (2, 0, 4), (40, 35)]
    arrays = [RNG.standard_normal(s) for s in shapes]
    arrays += [np.array([[0.0, 1.0], [0.0, 3.0]]), np.array([[-3.0, 1.0], [4.0, 3.0]]),
               np.array([[np.nan, 1.0], [0.0, 3.0]]), np.array([[np.inf, 1.0], [1.0, 3.0]]),
               np.array([[1.0, 1.0], [np.inf, 3.0]]), np.round(RNG.standard_normal((5, 4)))]
    for a in arrays:
        ours, theirs = tg.geqrf(a), torch.geqrf(torch.tensor(a))
        assert ours._fields == ("a", "tau")
        for mine, its in zip(ours, theirs):
            assert mine.shape == tuple(its.shape) and mine.dtype == np.float64
            np.testing.assert_allclose(mine.data, its.numpy(), rtol=1e-10, atol=1e-12)
    a32 = RNG.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(tg.geqrf(a32).a.data, torch.geqrf(torch.tensor(a32)).a.numpy(),
                               rtol=1e-5, atol=1e-6)


def _invariant(result):
    """U @ V.mT and S: what the signs of singular vectors do not change."""
    U, S, V = result  # noqa: N806
    return U @ V.mT, S


@pytest.mark.torch
@pytest.mark.parametrize("which", ["svd_lowrank", "pca_lowrank"])
@pytest.mark.parametrize("rank, shape, q, niter", LOWRANK_CASES[:3])  # (q = rank: no ties)
def test_lowrank_values_and_gradients_match_pytorch(which, rank, shape, q, niter):
    torch = pytest.importorskip("torch")
    a = _rank(rank, shape[-2], shape[-1], *shape[:-2])
    if which == "pca_lowrank":
        a = a - a.mean(axis=-2, keepdims=True)  # (rank <= q once centered too)
        args = (q, True, niter)
    else:
        args = (q, niter)
    ours_a = tg.Tensor(a, requires_grad=True)
    theirs_a = torch.tensor(a, requires_grad=True)
    ours = _invariant(getattr(tg, which)(ours_a, *args))
    theirs = _invariant(getattr(torch, which)(theirs_a, *args))
    weights = [RNG.standard_normal(t.shape) for t in ours]
    for mine, its in zip(ours, theirs):
        assert mine.shape == tuple(its.shape)
        np.testing.assert_allclose(mine.data, its.detach().numpy(), rtol=1e-8, atol=1e-9)
    sum((t * w).sum() for t, w in zip(ours, weights)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(theirs, weights)).backward()
    np.testing.assert_allclose(ours_a.grad.data, theirs_a.grad.numpy(), rtol=1e-6, atol=1e-8)


@pytest.mark.torch
def test_svd_lowranks_mean_gets_pytorchs_gradient_and_float32_is_kept():
    torch = pytest.importorskip("torch")
    a, mean = _rank(2, 5, 4), RNG.standard_normal((5, 4))
    ours_m, theirs_m = tg.Tensor(mean, requires_grad=True), torch.tensor(mean,
                                                                         requires_grad=True)
    ours = _invariant(tg.svd_lowrank(a + mean, q=2, M=ours_m))
    theirs = _invariant(torch.svd_lowrank(torch.tensor(a + mean), q=2, M=theirs_m))
    (ours[0].sum() + ours[1].sum()).backward()
    (theirs[0].sum() + theirs[1].sum()).backward()
    np.testing.assert_allclose(ours_m.grad.data, theirs_m.grad.numpy(), rtol=1e-6, atol=1e-8)
    a32 = _rank(2, 6, 3).astype(np.float32)
    mine, its = tg.svd_lowrank(a32, q=2)[1], torch.svd_lowrank(torch.tensor(a32), q=2)[1]
    assert mine.dtype == np.float32 and its.dtype == torch.float32
    np.testing.assert_allclose(mine.data, its.numpy(), rtol=1e-4)

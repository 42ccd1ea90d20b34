"""`tg.linalg`: PyTorch's torch.linalg (inv, det, slogdet, solve, norms, cholesky, eigvalsh).

Values and gradients against torch's over single matrices and batches, `tg.gradcheck` in
float64, float32 kept, empty matrices, singular ones and the one-line refusals.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
SHAPES = [(1, 1), (3, 3), (2, 3, 3), (2, 1, 2, 2)]


def regular(shape) -> np.ndarray:
    """Well-conditioned square matrices: random entries plus 4 on the diagonal."""
    return RNG.normal(size=shape) + 4 * np.eye(shape[-1])


def symmetric_input(shape) -> np.ndarray:
    return RNG.normal(size=shape)


def compare(ours, theirs, *arrays, check=True):
    """ours(*tensors) against theirs(*torch tensors): values, the gradients of a weighted
    sum, and (`check`) tg.gradcheck in float64."""
    inputs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    out = ours(*inputs)
    weights = RNG.normal(size=out.shape)
    (out * weights).sum().backward()
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = theirs(*leaves)
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    for t, leaf in zip(inputs, leaves):
        np.testing.assert_allclose(t.grad.data, leaf.grad.numpy(), rtol=1e-8, atol=1e-10)
    if check:
        assert tg.gradcheck(ours, [tg.Tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["inv", "det"])
def test_inv_and_det_match_pytorch(name, shape):
    compare(getattr(tg.linalg, name), getattr(torch.linalg, name), regular(shape))


@pytest.mark.parametrize("shape", SHAPES)
def test_slogdet_gives_the_sign_and_a_gradient_through_logabsdet(shape):
    a = regular(shape)
    a[..., 0, :] *= -1  # negative determinants too
    compare(lambda x: tg.linalg.slogdet(x).logabsdet,
            lambda x: torch.linalg.slogdet(x).logabsdet, a)
    sign, logabsdet = tg.linalg.slogdet(a)
    np.testing.assert_array_equal(sign.data, torch.linalg.slogdet(torch.tensor(a)).sign)
    assert not sign.requires_grad and sign.shape == logabsdet.shape


def test_the_pytorch_spellings_of_inverse_and_det():
    a = regular((2, 3, 3))
    x = tg.Tensor(a)
    for value in (tg.inverse(a), x.inverse()):
        np.testing.assert_allclose(value.data, torch.inverse(torch.tensor(a)), rtol=1e-12)
    for value in (tg.det(a), x.det()):
        np.testing.assert_allclose(value.data, torch.det(torch.tensor(a)), rtol=1e-12)
    assert x.det().shape == (2,) and tg.linalg.det(a).grad_fn is None


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3)), ((2, 3, 3), (3,)),
    ((2, 3, 3), (3, 2)), ((2, 3, 3), (3, 3)), ((3, 3), (2, 3, 1)), ((2, 1, 3, 3), (4, 3, 2)),
])
def test_solve_follows_pytorchs_vector_rule_and_broadcasts(a_shape, b_shape):
    compare(tg.linalg.solve, torch.linalg.solve, regular(a_shape), RNG.normal(size=b_shape))


def test_solve_with_left_false_solves_x_a_equal_b():
    compare(lambda a, b: tg.linalg.solve(a, b, left=False),
            lambda a, b: torch.linalg.solve(a, b, left=False),
            regular((2, 3, 3)), RNG.normal(size=(4, 3)))


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_cholesky_matches_pytorch(shape, upper):
    n = shape[-1]

    def ours(x):
        return tg.linalg.cholesky(x @ x.mT + np.eye(n), upper=upper)

    def theirs(x):
        return torch.linalg.cholesky(x @ x.mT + torch.eye(n, dtype=x.dtype), upper=upper)

    compare(ours, theirs, symmetric_input(shape))
    # A itself as the input: PyTorch's symmetric gradient, though only one triangle is read
    a = symmetric_input(shape)
    compare(lambda x: tg.linalg.cholesky(x, upper=upper),
            lambda x: torch.linalg.cholesky(x, upper=upper), a @ np.swapaxes(a, -1, -2) + 1,
            check=False)


@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("shape", SHAPES)
def test_eigvalsh_matches_pytorch(shape, uplo):
    compare(lambda x: tg.linalg.eigvalsh(x + x.mT, uplo),
            lambda x: torch.linalg.eigvalsh(x + x.mT, uplo), symmetric_input(shape))
    compare(lambda x: tg.linalg.eigvalsh(x, UPLO=uplo),
            lambda x: torch.linalg.eigvalsh(x, UPLO=uplo), symmetric_input(shape), check=False)


@pytest.mark.parametrize("name, fn", [
    ("inv", lambda t: t.inverse()), ("det", lambda t: t.det()),
    ("slogdet", lambda t: tg.linalg.slogdet(t).logabsdet),
    ("solve", lambda t: tg.linalg.solve(t, np.ones(3, dtype=np.float32))),
    ("cholesky", lambda t: tg.linalg.cholesky(t @ t.mT)),
    ("eigvalsh", lambda t: tg.linalg.eigvalsh(t)),
    ("matrix_norm", lambda t: tg.linalg.matrix_norm(t, 1)),
    ("vector_norm", lambda t: tg.linalg.vector_norm(t, 3, dim=-1)),
])
def test_float32_is_kept(name, fn):
    x = tg.Tensor(regular((2, 3, 3)).astype(np.float32), requires_grad=True)
    out = fn(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32, name


def test_integer_matrices_are_computed_in_float64():
    assert tg.linalg.det([[1, 2], [3, 4]]).item() == pytest.approx(-2.0)
    assert tg.linalg.inv([[2, 0], [0, 4]]).dtype == np.float64
    assert tg.linalg.det([[2.0, 0.0], [0.0, 4.0]]).item() == 8.0  # the product of the pivots


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (0, 3, 3)])
def test_empty_matrices_and_batches(shape):
    a = np.zeros(shape)
    for name in ("inv", "det"):
        x = tg.Tensor(a, requires_grad=True)
        out = getattr(tg.linalg, name)(x)
        out.sum().backward()
        expected = getattr(torch.linalg, name)(torch.tensor(a))
        np.testing.assert_array_equal(out.data, expected.numpy())
        assert x.grad.shape == shape
    sign, logabsdet = tg.linalg.slogdet(a)
    np.testing.assert_array_equal(logabsdet.data, torch.linalg.slogdet(torch.tensor(a))[1])


def test_det_of_a_singular_matrix_has_pytorchs_gradient_0():
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[3.0, 1.0], [1.0, 2.0]]])
    compare(tg.linalg.det, torch.linalg.det, a, check=False)
    x = tg.Tensor(a, requires_grad=True)
    tg.linalg.det(x).sum().backward()
    assert not x.grad.data[0].any()


def test_slogdet_of_a_singular_matrix_is_minus_inf_with_a_non_finite_gradient():
    x = tg.Tensor([[1.0, 0.0], [0.0, 0.0]], requires_grad=True)
    sign, logabsdet = tg.linalg.slogdet(x)
    with np.errstate(all="ignore"):
        logabsdet.backward()
    assert sign.item() == 0 and logabsdet.item() == -math.inf
    leaf = torch.tensor(x.data, requires_grad=True)
    torch.linalg.slogdet(leaf).logabsdet.backward()
    np.testing.assert_array_equal(x.grad.data, leaf.grad.numpy())


@pytest.mark.parametrize("call, error, match", [
    (lambda: tg.linalg.inv([[1.0, 2.0], [2.0, 4.0]]), np.linalg.LinAlgError,
     r"^inv: the matrix of shape \(2, 2\) is singular"),
    (lambda: tg.linalg.inv(np.stack([np.eye(2), np.zeros((2, 2))])), ValueError,
     r"^inv: a matrix of the batch of shape \(2, 2, 2\) is singular"),
    (lambda: tg.linalg.solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 1.0]), np.linalg.LinAlgError,
     r"^solve: the matrix of shape \(2, 2\) is singular"),
    (lambda: tg.inverse(np.ones((2, 3))), ValueError,
     r"^inverse: A must be square matrices .* 2 by 3"),
    (lambda: tg.linalg.det(np.ones(3)), ValueError, r"^det: A must have at least 2 dimensions"),
    (lambda: tg.linalg.slogdet(np.ones((3, 2))), ValueError, r"^slogdet: A must be square"),
    (lambda: tg.linalg.solve(np.eye(3), np.ones(4)), ValueError,
     r"^solve: incompatible shapes of A and B .* B needs 3 rows"),
    (lambda: tg.linalg.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1))), ValueError,
     r"^solve: the batch axes of A .* do not broadcast"),
    (lambda: tg.linalg.solve(np.eye(3), np.ones(3), left=False), ValueError,
     r"^solve: with left=False, B must be a matrix"),
    (lambda: tg.linalg.cholesky([[1.0, 2.0], [2.0, 1.0]]), np.linalg.LinAlgError,
     r"^cholesky: the matrix of shape \(2, 2\) is not positive-definite"),
    (lambda: tg.linalg.eigvalsh(np.eye(2), "X"), ValueError, r"^eigvalsh: UPLO must be 'L' or"),
    (lambda: tg.linalg.matrix_norm(np.eye(2), "max"), ValueError,
     r"^matrix_norm: ord='max' is not a matrix norm"),
    (lambda: tg.linalg.matrix_norm(np.eye(2), 3), ValueError, r"^matrix_norm: ord=3 is not a"),
    (lambda: tg.linalg.matrix_norm(np.ones(3)), ValueError,
     r"^matrix_norm: A must have at least 2 dimensions"),
    (lambda: tg.linalg.matrix_norm(np.eye(2), dim=0), ValueError,
     r"^matrix_norm: dim must be a pair of axes"),
    (lambda: tg.linalg.vector_norm(np.eye(2), "fro"), TypeError,
     r"^vector_norm: ord must be a number"),
    (lambda: tg.linalg.norm(np.ones((2, 2, 2)), 1), ValueError,
     r"^norm: with ord=1 and no dim, A must be 1-D or 2-D"),
    (lambda: tg.linalg.norm(np.ones((2, 2)), "fro", dim=0), ValueError,
     r"^norm: ord='fro' is a matrix norm"),
])
def test_refusals_are_one_line(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_pytorch_refuses_the_same():
    for call in (lambda: torch.linalg.inv(torch.tensor([[1.0, 2.0], [2.0, 4.0]])),
                 lambda: torch.linalg.det(torch.ones(3)),
                 lambda: torch.linalg.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]])),
                 lambda: torch.linalg.solve(torch.eye(3), torch.ones(3), left=False)):
        with pytest.raises(RuntimeError):
            call()


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf])
@pytest.mark.parametrize("dim, keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm_matches_pytorch(ord, dim, keepdim):
    compare(lambda a: tg.linalg.matrix_norm(a, ord, dim, keepdim),
            lambda a: torch.linalg.matrix_norm(a, ord, dim, keepdim), RNG.normal(size=(2, 3, 4)))


@pytest.mark.parametrize("ord", [1, math.inf])
def test_matrix_norm_ties_share_the_gradient_as_pytorchs(ord):
    a = np.array([[1.0, -2.0], [2.0, 1.0]])  # equal column sums and equal row sums
    compare(lambda x: tg.linalg.matrix_norm(x, ord), lambda x: torch.linalg.matrix_norm(x, ord),
            a, check=False)


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, math.inf, -math.inf])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
def test_vector_norm_matches_pytorch(ord, dim):
    compare(lambda a: tg.linalg.vector_norm(a, ord, dim),
            lambda a: torch.linalg.vector_norm(a, ord, dim), RNG.normal(size=(2, 3, 4)))


@pytest.mark.parametrize("ord, dim, shape", [
    (None, None, (2, 3, 4)), (None, 1, (2, 3, 4)), (3, -1, (2, 3, 4)), (None, (0, 1), (3, 4)),
    ("fro", None, (3, 4)), (1, None, (3, 4)), (-math.inf, None, (3, 4)), (2, None, (5,)),
    (math.inf, (1,), (2, 3)),
])
def test_norm_picks_the_vector_or_matrix_norm_as_pytorchs(ord, dim, shape):
    compare(lambda a: tg.linalg.norm(a, ord, dim), lambda a: torch.linalg.norm(a, ord, dim),
            RNG.normal(size=shape))


def test_norms_take_a_dtype_and_integers():
    x = tg.Tensor(RNG.normal(size=(3, 3)))
    assert tg.linalg.norm(x, dtype=np.float32).dtype == np.float32
    assert tg.linalg.matrix_norm(x, 1, dtype=tg.float32).dtype == np.float32
    np.testing.assert_allclose(tg.linalg.matrix_norm([[1, -2], [3, 4]], 1).item(), 6.0)
    assert tg.linalg.vector_norm([3, 4]).item() == 5.0


# Final read fixes

def test_det_backward_at_a_rank_deficient_matrix_does_not_crash():
    # the LU det of [[1, 2, 3], [4, 5, 6], [7, 8, 9]] rounds to 6.7e-16 where LAPACK's
    # inverse finds an exact zero pivot: the gradient is the cofactor matrix (rank n-1),
    # the exact derivative, which PyTorch's is too where its LU det is not 0
    x = tg.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]], requires_grad=True)
    tg.linalg.det(x).backward()
    np.testing.assert_allclose(x.grad.data, [[-3, 6, -3], [6, -12, 6], [-3, 6, -3]],
                               atol=1e-12)
    for a in ([[1.0, 1, 1], [1, 1, 1], [1, 1, 1]], [[0.0, 0], [0, 0]]):  # rank < n-1: 0
        compare(tg.linalg.det, torch.linalg.det, np.array(a), check=False)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_det_of_a_batch_with_a_singular_matrix_keeps_every_gradient(dtype):
    a = np.stack([2 * np.eye(3), [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]]).astype(dtype)
    for fn in (tg.linalg.det, lambda t: t.det()):
        x = tg.Tensor(a, requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad.data[0], 4 * np.eye(3))
        assert x.grad.dtype == dtype and np.isfinite(x.grad.data).all()


def test_det_gradient_near_singular_matrices_matches_pytorchs_where_both_dets_are_not_0():
    rng = np.random.default_rng(1)
    for _ in range(300):
        n = rng.integers(3, 6)
        a = rng.integers(-5, 6, size=(n, n)).astype(float)
        a[-1] = a[0] + 2 * a[1]
        x, leaf = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        ours, theirs = tg.linalg.det(x), torch.linalg.det(leaf)
        ours.backward()
        theirs.backward()
        if ours.item() != 0 and theirs.item() != 0:  # (else rounding decides which is 0)
            np.testing.assert_allclose(x.grad.data, leaf.grad.numpy(), atol=1e-12)


def test_a_matrix_with_a_nan_entry_gives_pytorchs_results():
    a = [[math.nan, 1.0], [1.0, 2.0]]
    t = torch.tensor(a)
    for m in (a, [[math.nan, 0.0], [0.0, 0.0]]):
        assert np.isnan(tg.linalg.inv(m).data).all()
        assert np.isnan(tg.linalg.solve(m, [1.0, 1.0]).data).all()
        sign, logabsdet = tg.linalg.slogdet(m)
        expected = torch.linalg.slogdet(torch.tensor(m))
        assert sign.item() == expected.sign.item() == 0 and math.isnan(logabsdet.item())
        assert math.isnan(tg.linalg.det(m).item())
    batch = np.stack([np.array(a), 2 * np.eye(2)])
    np.testing.assert_array_equal(tg.linalg.inv(batch).data,
                                  torch.linalg.inv(torch.tensor(batch)).numpy())
    assert np.isnan(torch.linalg.solve(t, torch.ones(2)).numpy()).all()
    x = tg.tensor(a, requires_grad=True)
    tg.linalg.solve(x, [1.0, 1.0]).sum().backward()
    assert np.isnan(x.grad.data).all()


@pytest.mark.parametrize("a", [[[4.0, math.nan], [math.nan, 4.0]], [[math.inf, 0.0], [0.0, 4.0]]])
def test_cholesky_refuses_a_nan_or_inf_in_the_triangle_it_reads_as_pytorch(a):
    with pytest.raises(RuntimeError):
        torch.linalg.cholesky(torch.tensor(a))
    with pytest.raises(np.linalg.LinAlgError, match=r"^cholesky: the matrix of shape \(2, 2\) "
                                                    r"is not positive-definite"):
        tg.linalg.cholesky(a)
    upper_nan = [[4.0, math.nan], [1.0, 4.0]]  # (the upper triangle is not read)
    np.testing.assert_allclose(tg.linalg.cholesky(upper_nan).data,
                               torch.linalg.cholesky(torch.tensor(upper_nan)).numpy())


def test_cholesky_of_a_batch_names_a_matrix_of_the_batch():
    with pytest.raises(np.linalg.LinAlgError, match=r"^cholesky: a matrix of the batch of "
                                                    r"shape \(2, 2, 2\) is not positive-def"):
        tg.linalg.cholesky(np.stack([np.eye(2), -np.eye(2)]))


def test_cholesky_backward_in_float16():
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    weights = np.array([[1.0, 0.0], [2.0, 3.0]])
    x = tg.tensor(a, dtype=tg.float16, requires_grad=True)
    low = tg.linalg.cholesky(x)
    (low * weights).sum().backward()
    leaf = torch.tensor(a, requires_grad=True)
    (torch.linalg.cholesky(leaf) * torch.tensor(weights)).sum().backward()
    assert low.dtype == np.float16 and x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.data, leaf.grad.numpy(), rtol=2e-3)


@pytest.mark.parametrize("shape", [(0, 0), (2, 0), (0, 2), (3, 2, 0), (3, 0, 2)])
@pytest.mark.parametrize("ord", [1, math.inf])
def test_matrix_norm_of_empty_matrices_is_0_as_pytorchs(shape, ord):
    x = tg.zeros(shape, requires_grad=True)
    out = tg.linalg.matrix_norm(x, ord)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, torch.linalg.matrix_norm(torch.zeros(shape), ord))
    assert out.grad_fn is not None and x.grad.shape == shape
    assert tg.linalg.norm(tg.zeros((0, 0)), ord).item() == 0.0


@pytest.mark.parametrize("ord", [-1, -math.inf])
def test_matrix_norm_refuses_negative_ords_of_empty_matrices_as_pytorch(ord):
    with pytest.raises(IndexError):
        torch.linalg.matrix_norm(torch.zeros(0, 0), ord)
    with pytest.raises(ValueError, match=r"^matrix_norm: ord=-\w+ of an empty matrix is "
                                         r"undefined .* shape \(0, 0\)") as info:
        tg.linalg.matrix_norm(tg.zeros((0, 0)), ord)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("dim", [(), []])
def test_vector_norm_over_no_dims_reduces_every_axis_as_pytorchs(dim):
    a = RNG.normal(size=(2, 3))
    compare(lambda x: tg.linalg.vector_norm(x, 3, dim),
            lambda x: torch.linalg.vector_norm(x, 3, dim), a)
    assert tg.linalg.vector_norm(a, dim=dim, keepdim=True).shape == (1, 1)


@pytest.mark.parametrize("call, error, match", [
    (lambda: tg.linalg.norm(np.ones((2, 3)), dim=()), ValueError,
     r"^norm: dim must be one axis or two .* got \(\)"),
    (lambda: tg.linalg.norm(np.ones((2, 2, 2)), dim=(0, 1, 2)), ValueError,
     r"^norm: dim must be one axis or two .* got \(0, 1, 2\)"),
    (lambda: tg.linalg.vector_norm(np.ones(3), keepdim="yes"), TypeError,
     r"^vector_norm: keepdim must be True or False"),
    (lambda: tg.linalg.norm(np.ones(3), keepdim="yes"), TypeError,
     r"^norm: keepdim must be True or False"),
    (lambda: tg.linalg.eigvalsh(np.eye(2), 1), TypeError, r"^eigvalsh: UPLO must be a str"),
])
def test_norm_dims_and_flags_are_refused_as_pytorch_refuses_them(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)
    for theirs in (lambda: torch.linalg.norm(torch.ones(2, 3), dim=()),
                   lambda: torch.linalg.norm(torch.ones(2, 2, 2), dim=(0, 1, 2))):
        with pytest.raises(RuntimeError):
            theirs()


@pytest.mark.parametrize("uplo", ["u", "l"])
def test_eigvalsh_takes_lowercase_uplo_as_pytorch(uplo):
    a = np.array([[1.0, 5.0], [2.0, 1.0]])
    compare(lambda x: tg.linalg.eigvalsh(x, uplo), lambda x: torch.linalg.eigvalsh(x, uplo), a,
            check=False)


# Last read fixes

@pytest.mark.parametrize("entries", [[[0.0]], np.zeros((3, 1, 1)), [[[2.0]], [[0.0]]]])
def test_det_gradient_of_a_1x1_matrix_is_1_even_at_0_as_pytorch(entries):
    a = np.asarray(entries, dtype=np.float64)
    x = tg.tensor(a, requires_grad=True)
    tg.linalg.det(x).sum().backward()
    t = torch.tensor(a, requires_grad=True)
    torch.linalg.det(t).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


INF_MATRICES = [[[-math.inf, 0.397], [-math.inf, 0.362]], [[1.0, 2.0], [math.inf, 4.0]],
                [[math.inf, 0.0], [0.0, 1.0]]]


@pytest.mark.parametrize("a", INF_MATRICES)
def test_a_matrix_with_an_inf_entry_gives_nan(a):
    assert np.isnan(tg.linalg.inv(a).numpy()).all()
    assert np.isnan(tg.linalg.solve(a, [1.0, 2.0]).numpy()).all()
    assert np.isnan(tg.linalg.det(a).item())
    sign, logabsdet = tg.linalg.slogdet(a)
    assert sign.item() == 0 and np.isnan(logabsdet.item())


def test_inf_matrix_where_pytorch_gives_nan_too():
    a = INF_MATRICES[0]
    assert np.isnan(torch.linalg.inv(torch.tensor(a)).numpy()).all()
    sign, logabsdet = torch.linalg.slogdet(torch.tensor(a))
    assert sign.item() == 0 and np.isnan(logabsdet.item())


def test_a_batch_keeps_its_finite_matrices_beside_an_inf_one():
    a = np.array([INF_MATRICES[1], [[2.0, 1.0], [1.0, 3.0]]])
    out = tg.linalg.inv(a).numpy()
    assert np.isnan(out[0]).all()
    np.testing.assert_allclose(out[1], np.linalg.inv(a[1]))
    np.testing.assert_allclose(tg.linalg.det(a).numpy()[1], 5.0)




@pytest.mark.parametrize("dim, error, words", [
    (3, np.exceptions.AxisError, "axis 3 is out of range"),
    (-4, np.exceptions.AxisError, "axis -4 is out of range"),
    (True, TypeError, "got bool True")])
def test_norm_checks_an_int_dim_under_its_own_name(dim, error, words):
    with pytest.raises(error, match="^norm: .*" + words):
        tg.linalg.norm(tg.tensor(np.ones((2, 3, 4))), dim=dim)


def test_norm_with_an_int_dim_still_matches_pytorch():
    a = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(tg.linalg.norm(a, dim=-1).numpy(),
                               torch.linalg.norm(torch.tensor(a), dim=-1).numpy())
    np.testing.assert_allclose(tg.linalg.norm(a, ord=1, dim=np.int64(1)).numpy(),
                               torch.linalg.norm(torch.tensor(a), ord=1, dim=1).numpy())


def test_a_matrix_linalg_cannot_handle_is_pytorchs_linalg_error():
    # torch.linalg.LinAlgError is a RuntimeError; ours is that and NumPy's LinAlgError too
    singular, indefinite = np.ones((2, 2)), -np.eye(2)
    for call in (lambda: tg.linalg.inv(singular), lambda: tg.inverse(singular),
                 lambda: tg.linalg.solve(singular, np.ones(2)),
                 lambda: tg.linalg.cholesky(indefinite), lambda: tg.linalg.lu_factor(singular),
                 lambda: tg.linalg.matrix_rank(np.array([[np.nan, 1.0], [1.0, 1.0]]))):
        with pytest.raises(tg.linalg.LinAlgError) as caught:
            call()
        assert isinstance(caught.value, RuntimeError)
        assert isinstance(caught.value, np.linalg.LinAlgError)
        assert "\n" not in str(caught.value)

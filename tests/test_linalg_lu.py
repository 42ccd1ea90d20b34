"""The ops lu and matrix_exp and what is made of lu (lu_factor, lu_factor_ex, lu, lu_solve,
lu_unpack, solve_ex): values and gradients against PyTorch's, gradcheck in float64, edges
and refusals. (The composed linear algebra, tensorinv ... ormqr and torch's top-level
forms, is test_linalg_toplevel.py's.)

`lu_spec` and `matrix_exp_spec` are test_ops.OP_SPECS's drawers for the ops `lu` and
`matrix_exp`, with references written here independently of the package (elimination
one matrix at a time; a Taylor series); `pivots_clear` is test_fuzz's guard for lu.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import strategies as st

import tinygrad_gd as tg
from tinygrad_gd import testing

RNG = np.random.default_rng(20240613)


def matrices(*shape: int, diagonal: float = 0.0) -> np.ndarray:
    return RNG.normal(size=shape) + diagonal * np.eye(shape[-2], shape[-1])


# ------------------------------------------------------------------ independent references


def lu_reference(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Packed LU and 1-based pivots of each matrix, by plain loops (first largest |entry|)."""
    out = np.array(a, dtype=np.result_type(a.dtype, np.float32))
    m, n = a.shape[-2:]
    pivots = np.zeros(a.shape[:-2] + (min(m, n),), dtype=np.int32)
    for k in np.ndindex(a.shape[:-2]):
        w = out[k]
        for j in range(min(m, n)):
            p = j + int(np.argmax(np.abs(w[j:, j])))
            pivots[k + (j,)] = p + 1
            w[[j, p]] = w[[p, j]]
            if w[j, j] != 0:
                w[j + 1:, j] /= w[j, j]
            w[j + 1:, j + 1:] -= np.outer(w[j + 1:, j], w[j, j + 1:])
    return out, pivots


def pivots_clear(v: np.ndarray, margin: float) -> bool:
    """Whether LU with partial pivoting is smooth at each matrix of `v` (test_fuzz's
    guard): at every column the largest |entry| at or below the diagonal is `margin` above
    the next (no pivot changes under a small step) and at least `margin` itself."""
    if v.ndim < 2 or v.size == 0:
        return False
    m, n = v.shape[-2:]
    for k in np.ndindex(v.shape[:-2]):
        w = np.array(v[k], dtype=np.float64)
        for j in range(min(m, n)):
            sizes = np.sort(np.abs(w[j:, j]))[::-1]
            if sizes[0] < margin or (len(sizes) > 1 and sizes[0] - sizes[1] < margin):
                return False
            p = j + int(np.argmax(np.abs(w[j:, j])))
            w[[j, p]] = w[[p, j]]
            w[j + 1:, j] /= w[j, j]
            w[j + 1:, j + 1:] -= np.outer(w[j + 1:, j], w[j, j + 1:])
    return True


def expm_reference(a: np.ndarray) -> np.ndarray:
    """exp(A): a Taylor series of A / 2^s (1-norm <= 1/4) to 30 terms, squared s times, in
    NumPy's long double (80-bit on x86-64): in float64 the squarings' rounding reached
    1e-11 of an entry that cancels to 1.8e-4 (an exact exp(A) agrees with tg's there)."""
    out = np.empty(a.shape, dtype=np.float64)
    for k in np.ndindex(a.shape[:-2]):
        x = a[k].astype(np.longdouble)
        norm = float(np.abs(x).sum(axis=0).max(initial=0.0))
        s = max(0, math.ceil(math.log2(norm / 0.25))) if norm > 0.25 else 0
        x = x / np.longdouble(2.0) ** s
        term = total = np.eye(x.shape[0], dtype=np.longdouble)
        for j in range(1, 31):
            term = term @ x / j
            total = total + term
        for _ in range(s):
            total = total @ total
        out[k] = total
    return out.astype(a.dtype if a.dtype.kind == "f" else np.float64)


def lu_spec(data):
    """test_ops.OP_SPECS's drawer for the op lu: the packed LU (its one output; lu's L and U
    are its triangles) of an m x n matrix (a batch too) whose pivots are clear, so that a
    small step changes none: a diagonal of +-8 beside entries in [-2, 2], the rows then
    shuffled (pivoting undoes it)."""
    lead = tuple(data.draw(st.lists(st.integers(1, 2), max_size=2)))
    m, n = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    (x,) = [data.draw(testing.tensors(lead + (m, n), avoid=())).data]
    x = x + 8 * np.eye(m, n) * np.where(np.arange(m) % 2, -1, 1)[:, None]
    x = x[..., data.draw(st.permutations(range(m))), :]
    return (lambda t: tg.linalg.lu_factor_ex(t).LU), [x], (lambda a: lu_reference(a)[0])


def matrix_exp_spec(data):
    """test_ops.OP_SPECS's drawer for the op matrix_exp: square matrices (a batch too),
    entries in [-2, 2] (several squarings for the larger ones)."""
    lead = tuple(data.draw(st.lists(st.integers(1, 2), max_size=2)))
    n = data.draw(st.integers(1, 3))
    (x,) = [data.draw(testing.tensors(lead + (n, n), avoid=())).data]
    return tg.linalg.matrix_exp, [x], expm_reference


# ------------------------------------------------------------------ lu_factor, lu


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 3), (2, 1, 3, 2), (1, 1)])
def test_lu_factor_and_lu_match_pytorch_exactly_in_pivots(shape):
    torch = pytest.importorskip("torch")
    a = matrices(*shape)
    LU, pivots = tg.linalg.lu_factor(a) if shape[-1] == shape[-2] else \
        tg.linalg.lu_factor_ex(a)[:2]
    theirs = torch.linalg.lu_factor_ex(torch.tensor(a))
    np.testing.assert_array_equal(pivots.data, theirs.pivots.numpy())
    assert pivots.dtype == np.int32
    np.testing.assert_allclose(LU.data, theirs.LU.numpy(), rtol=1e-12, atol=1e-14)
    P, L, U = tg.linalg.lu(a)
    tP, tL, tU = torch.linalg.lu(torch.tensor(a))
    np.testing.assert_array_equal(P.data, tP.numpy())
    np.testing.assert_allclose(L.data, tL.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(U.data, tU.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose((P @ L @ U).data, a, atol=1e-12)
    np.testing.assert_allclose(LU.data, lu_reference(a)[0], rtol=1e-12, atol=1e-14)


def test_lu_pivots_take_the_first_of_equal_entries_as_lapack():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, 1.0], [1.0, -3.0, 2.0]])  # |1| three times
    ours = tg.linalg.lu_factor(a)
    theirs = torch.linalg.lu_factor(torch.tensor(a))
    np.testing.assert_array_equal(ours.pivots.data, theirs.pivots.numpy())
    np.testing.assert_allclose(ours.LU.data, theirs.LU.numpy(), atol=1e-15)


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 5), (5, 3), (4, 2)])
def test_lu_gradients_match_pytorch_and_finite_differences(shape):
    torch = pytest.importorskip("torch")
    a = matrices(*shape, diagonal=3.0)
    x = tg.Tensor(a, requires_grad=True)
    P, L, U = tg.linalg.lu(x)
    wl, wu = RNG.normal(size=L.shape), RNG.normal(size=U.shape)
    ((L * wl).sum() + (U * wu).sum()).backward()
    t = torch.tensor(a, requires_grad=True)
    _, tL, tU = torch.linalg.lu(t)
    ((tL * torch.tensor(wl)).sum() + (tU * torch.tensor(wu)).sum()).backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    x.grad, t.grad = None, None
    w = RNG.normal(size=shape)
    (tg.linalg.lu_factor_ex(x).LU * w).sum().backward()
    (torch.linalg.lu_factor_ex(t).LU * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    for part in ("L", "U"):
        assert tg.gradcheck(lambda z: getattr(tg.linalg.lu(z), part), [x])
    assert tg.gradcheck(lambda z: tg.linalg.lu_factor_ex(z).LU, [x])


def test_lu_keeps_float32_and_gives_empty_results_for_empty_matrices():
    a = matrices(2, 3, 3).astype(np.float32)
    x = tg.Tensor(a, requires_grad=True)
    LU, pivots = tg.linalg.lu_factor(x)
    P, L, U = tg.linalg.lu(x)
    assert LU.dtype == L.dtype == U.dtype == P.dtype == np.float32
    (L.sum() + U.sum()).backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose((P @ L @ U).data, a, atol=1e-5)
    P, L, U = tg.linalg.lu(np.zeros((2, 0, 3)))
    assert (P.shape, L.shape, U.shape) == ((2, 0, 0), (2, 0, 0), (2, 0, 3))
    LU, pivots = tg.linalg.lu_factor(np.zeros((0, 0)))
    assert LU.shape == (0, 0) and pivots.shape == (0,)


def test_a_singular_matrix_lu_factor_refuses_and_lu_factor_ex_reports_as_pytorch():
    torch = pytest.importorskip("torch")
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]])
    batch = np.stack([np.eye(3), singular, np.zeros((3, 3))])
    LU, pivots, info = tg.linalg.lu_factor_ex(batch)
    theirs = torch.linalg.lu_factor_ex(torch.tensor(batch))
    np.testing.assert_array_equal(info.data, theirs.info.numpy())
    np.testing.assert_array_equal(pivots.data, theirs.pivots.numpy())
    np.testing.assert_allclose(LU.data, theirs.LU.numpy(), atol=1e-15)
    assert info.dtype == np.int32
    with pytest.raises(RuntimeError, match=r"lu_factor: \(batch element \(1,\)\) U\[3,3\] is "
                                           r"zero.*lu_factor_ex"):
        tg.linalg.lu_factor(batch)
    with pytest.raises(tg.linalg.LinAlgError, match=r"lu_factor_ex: U\[2,2\] is zero"):
        tg.linalg.lu_factor_ex([[1.0, 2.0], [2.0, 4.0]], check_errors=True)
    P, L, U = tg.linalg.lu(singular)  # (factored, not refused)
    np.testing.assert_allclose((P @ L @ U).data, singular, atol=1e-14)


def test_lu_refusals_name_the_function_and_what_to_do():
    with pytest.raises(ValueError, match="lu_factor: A must have at least 2 dimensions"):
        tg.linalg.lu_factor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="lu: LU without pivoting.*pivot=True"):
        tg.linalg.lu(np.eye(2), pivot=False)
    with pytest.raises(TypeError, match="lu_factor_ex: pivot must be True or False"):
        tg.linalg.lu_factor_ex(np.eye(2), pivot="yes")
    with pytest.raises(TypeError, match="check_errors must be True or False"):
        tg.linalg.lu_factor_ex(np.eye(2), check_errors=1)


# ------------------------------------------------------------------ lu_solve, lu_unpack


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_matches_pytorch_in_values_and_gradients(left, adjoint):
    torch = pytest.importorskip("torch")
    a = matrices(2, 3, 3, diagonal=2.0)
    b = matrices(2, 3, 2) if left else matrices(2, 2, 3)
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    LU = tg.Tensor(tLU.numpy(), requires_grad=True)
    B = tg.Tensor(b, requires_grad=True)
    pivots = tg.Tensor(tpiv.numpy(), dtype=np.int32)
    X = tg.linalg.lu_solve(LU, pivots, B, left=left, adjoint=adjoint)
    tLU.requires_grad_(True)
    tB = torch.tensor(b, requires_grad=True)
    tX = torch.linalg.lu_solve(tLU, tpiv, tB, left=left, adjoint=adjoint)
    np.testing.assert_allclose(X.data, tX.detach().numpy(), rtol=1e-12, atol=1e-13)
    w = RNG.normal(size=X.shape)
    (X * w).sum().backward()
    (tX * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(LU.grad.data, tLU.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(B.grad.data, tB.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(lambda f, y: tg.linalg.lu_solve(f, pivots, y, left=left,
                                                         adjoint=adjoint), [LU, B])


def test_lu_solve_solves_a_through_its_factors_with_broadcast_batches_and_float32():
    a = matrices(3, 3, diagonal=2.0)
    b = matrices(4, 3, 2)
    LU, pivots = tg.linalg.lu_factor(a)
    np.testing.assert_allclose(tg.linalg.lu_solve(LU, pivots, b).data, np.linalg.solve(a, b),
                               rtol=1e-12, atol=1e-13)
    LU32, pivots32 = tg.linalg.lu_factor(a.astype(np.float32))
    X = tg.linalg.lu_solve(LU32, pivots32, b.astype(np.float32))
    assert X.dtype == np.float32
    np.testing.assert_allclose(X.data, np.linalg.solve(a, b), rtol=1e-4, atol=1e-5)


def test_lu_solve_refuses_what_does_not_fit():
    LU, pivots = tg.linalg.lu_factor(matrices(3, 3, diagonal=2.0))
    with pytest.raises(ValueError, match=r"lu_solve: B must have at least 2 dimensions.*"
                                         r"b\[:, None\]"):
        tg.linalg.lu_solve(LU, pivots, np.ones(3))
    with pytest.raises(ValueError, match="lu_solve: incompatible shapes.*B needs 3 rows"):
        tg.linalg.lu_solve(LU, pivots, np.ones((4, 2)))
    with pytest.raises(TypeError, match="lu_solve: pivots must be an integer tensor"):
        tg.linalg.lu_solve(LU, pivots.data.astype(float), np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"lu_solve: pivots must lie in 1\.\.3"):
        tg.linalg.lu_solve(LU, [0, 2, 3], np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"lu_solve: pivots of shape \(2,\) do not fit"):
        tg.linalg.lu_solve(LU, [1, 2], np.ones((3, 2)))
    with pytest.raises(ValueError, match="lu_solve: A must be square"):
        tg.linalg.lu_solve(np.ones((3, 4)), [1, 2, 3], np.ones((3, 2)))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 2), (2, 4)])
def test_lu_unpack_matches_pytorch_with_gradients(shape):
    torch = pytest.importorskip("torch")
    a = matrices(*shape)
    tLU, tpiv = torch.linalg.lu_factor_ex(torch.tensor(a))[:2]
    LU = tg.Tensor(tLU.numpy(), requires_grad=True)
    tLU.requires_grad_(True)
    ours, theirs = tg.lu_unpack(LU, tpiv.numpy()), torch.lu_unpack(tLU, tpiv)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-14, atol=1e-15)
    wl, wu = RNG.normal(size=ours.L.shape), RNG.normal(size=ours.U.shape)
    ((ours.L * wl).sum() + (ours.U * wu).sum()).backward()
    ((theirs.L * torch.tensor(wl)).sum() + (theirs.U * torch.tensor(wu)).sum()).backward()
    np.testing.assert_allclose(LU.grad.data, tLU.grad.numpy())
    P, L, U = tg.lu_unpack(LU, tpiv.numpy(), unpack_data=False)
    assert P.shape == theirs.P.shape and L.shape == U.shape == (0,)
    assert tg.lu_unpack(LU, tpiv.numpy(), unpack_pivots=False).P.shape == (0,)


# ------------------------------------------------------------------ solve_ex


def test_solve_ex_matches_pytorch_and_gives_nan_for_a_singular_matrix():
    torch = pytest.importorskip("torch")
    a = np.stack([matrices(2, 2, diagonal=2.0), np.array([[1.0, 2.0], [2.0, 4.0]])])
    b = matrices(2, 2, 3)
    result, info = tg.linalg.solve_ex(a, b)
    theirs = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b))
    np.testing.assert_array_equal(info.data, theirs.info.numpy())
    np.testing.assert_allclose(result.data[0], theirs.result.numpy()[0], rtol=1e-12)
    assert np.isnan(result.data[1]).all()
    x = tg.Tensor(a, requires_grad=True)
    tg.linalg.solve_ex(x, b).result.sum().backward()
    assert np.isfinite(x.grad.data[0]).all() and np.isnan(x.grad.data[1]).all()
    with pytest.raises(tg.linalg.LinAlgError, match="solve_ex: .*singular"):
        tg.linalg.solve_ex(a, b, check_errors=True)
    with pytest.raises(RuntimeError):  # (a LinAlgError is PyTorch's RuntimeError)
        tg.linalg.solve_ex(a, b, check_errors=True)


@pytest.mark.parametrize("left", [True, False])
def test_solve_ex_of_an_invertible_matrix_is_solve_with_its_gradients(left):
    torch = pytest.importorskip("torch")
    a = matrices(2, 3, 3, diagonal=2.0)
    b = matrices(2, 3) if left else matrices(4, 3)  # (a batch of vectors; a matrix)
    A, B = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    result, info = tg.linalg.solve_ex(A, B, left=left)
    tA, tB = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tr = torch.linalg.solve_ex(tA, tB, left=left).result
    np.testing.assert_allclose(result.data, tr.detach().numpy(), rtol=1e-12)
    assert (info.data == 0).all()
    w = RNG.normal(size=result.shape)
    (result * w).sum().backward()
    (tr * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(A.grad.data, tA.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(B.grad.data, tB.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(lambda s, t: tg.linalg.solve_ex(s, t, left=left).result, [A, B])


# ------------------------------------------------------------------ matrix_exp


@pytest.mark.parametrize("scale", [0.01, 0.5, 1.5, 4.0, 30.0])
def test_matrix_exp_matches_pytorch_and_a_taylor_series(scale):
    torch = pytest.importorskip("torch")
    a = scale * matrices(2, 4, 4)
    ours = tg.linalg.matrix_exp(a)
    theirs = torch.linalg.matrix_exp(torch.tensor(a)).numpy()
    np.testing.assert_allclose(ours.data, theirs, rtol=1e-11, atol=1e-14 * np.abs(theirs).max())
    np.testing.assert_allclose(ours.data, expm_reference(a), rtol=1e-10,
                               atol=1e-13 * np.abs(theirs).max())


def test_matrix_exp_gradient_matches_pytorch_and_finite_differences():
    torch = pytest.importorskip("torch")
    a = matrices(2, 3, 3)
    x = tg.Tensor(a, requires_grad=True)
    w = RNG.normal(size=a.shape)
    (tg.matrix_exp(x) * w).sum().backward()
    t = torch.tensor(a, requires_grad=True)
    (torch.matrix_exp(t) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(tg.linalg.matrix_exp, [x])
    assert tg.gradcheck(lambda z: z.matrix_exp(), [tg.Tensor(3 * a, requires_grad=True)])


def test_matrix_exp_edges():
    np.testing.assert_array_equal(tg.linalg.matrix_exp(np.zeros((2, 3, 3))).data,
                                  np.broadcast_to(np.eye(3), (2, 3, 3)))
    assert tg.linalg.matrix_exp(np.zeros((2, 0, 0))).shape == (2, 0, 0)
    np.testing.assert_allclose(tg.linalg.matrix_exp([[2.0]]).data, [[np.exp(2.0)]])
    d = np.diag([1.0, -2.0, 0.5])
    np.testing.assert_allclose(tg.matrix_exp(d).data, np.diag(np.exp([1.0, -2.0, 0.5])),
                               rtol=1e-15)
    x = tg.Tensor(matrices(2, 2).astype(np.float32), requires_grad=True)
    out = x.matrix_exp()
    out.sum().backward()
    assert out.dtype == x.grad.dtype == np.float32
    nan = tg.linalg.matrix_exp(np.stack([np.eye(2), [[np.nan, 0.0], [0.0, 1.0]]]))
    assert np.isfinite(nan.data[0]).all() and np.isnan(nan.data[1]).all()
    with pytest.raises(ValueError, match="matrix_exp: A must be square matrices"):
        tg.linalg.matrix_exp(np.ones((2, 3)))


# ------------------------------------------------------------------ one elimination, constants


def test_lu_is_one_lu_node_whose_triangles_are_l_and_u():
    x = tg.Tensor(matrices(3, 3, diagonal=2.0), requires_grad=True, name="A")
    P, L, U = tg.linalg.lu(x)
    assert tg.draw_graph(L.sum() + U.sum()).source.count("<B>lu</B>") == 1
    LU = tg.linalg.lu_factor(x).LU
    np.testing.assert_array_equal(L.data, np.tril(LU.data, -1) + np.eye(3))
    np.testing.assert_array_equal(U.data, np.triu(LU.data))


def test_det_info_and_lu_agree_as_one_elimination():
    a = np.stack([matrices(4, 4), np.array([[1.0, 2, 3, 4], [2, 4, 6, 8], [1, 0, 1, 0],
                                             [0, 1, 0, 1]]), np.zeros((4, 4))])
    LU, pivots, info = tg.linalg.lu_factor_ex(a)
    swaps = (pivots.data != np.arange(1, 5)).sum(axis=-1)
    np.testing.assert_array_equal(tg.linalg.det(a).data, np.prod(np.diagonal(
        LU.data, axis1=-2, axis2=-1), axis=-1) * (-1.0) ** swaps)
    np.testing.assert_array_equal(tg.linalg.inv_ex(a).info.data, info.data)
    np.testing.assert_array_equal(tg.linalg.solve_ex(a, np.ones((3, 4, 1))).info.data,
                                  info.data)


def test_lu_solve_draws_its_permutation_as_a_named_constant_not_an_input():
    LU = tg.Tensor(tg.linalg.lu_factor(matrices(3, 3, diagonal=2.0)).LU.data,
                   requires_grad=True, name="LU")
    pivots = tg.Tensor(np.array([3, 3, 3]), dtype=np.int32)
    B = tg.Tensor(matrices(3, 2), requires_grad=True, name="B")
    for adjoint, name in ((False, "P.T"), (True, "P")):
        X = tg.linalg.lu_solve(LU, pivots, B, adjoint=adjoint)
        source = tg.draw_graph(X.sum()).source
        assert "<I>input</I>" not in source and f"<B>{name}</B>" in source


def test_lu_unpack_gives_three_tensors_where_it_unpacks_nothing():
    LU, pivots = tg.linalg.lu_factor(matrices(3, 3, diagonal=2.0))
    P, L, U = tg.lu_unpack(LU, pivots, unpack_data=False, unpack_pivots=False)
    assert P is not L and L is not U and P.shape == L.shape == U.shape == (0,)


def test_lu_solve_with_left_false_names_the_equation_and_b_as_given():
    LU, pivots = tg.linalg.lu_factor(matrices(3, 3, diagonal=2.0))
    with pytest.raises(ValueError, match=r"lu_solve: incompatible shapes of LU \(3, 3\) and B "
                                         r"\(2, 4\) for X @ A = B: B needs 3 columns"):
        tg.linalg.lu_solve(LU, pivots, np.ones((2, 4)), left=False)
    with pytest.raises(ValueError, match=r"b\[None, :\]"):
        tg.linalg.lu_solve(LU, pivots, np.ones(3), left=False)


@pytest.mark.parametrize("left", [True, False])
def test_solve_ex_broadcasts_b_over_a_batch_holding_a_singular_a(left):
    torch = pytest.importorskip("torch")
    a = np.stack([matrices(3, 3, diagonal=2.0), np.ones((3, 3))])
    b = matrices(4, 1, 3, 2) if left else matrices(4, 1, 2, 3)
    A = tg.Tensor(a, requires_grad=True)
    result, info = tg.linalg.solve_ex(A, b, left=left)
    theirs = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b), left=left)
    assert result.shape == tuple(theirs.result.shape)
    np.testing.assert_array_equal(info.data, theirs.info.numpy())
    np.testing.assert_allclose(result.data[:, 0], theirs.result.numpy()[:, 0], rtol=1e-12)
    assert np.isnan(result.data[:, 1]).all()
    result.sum().backward()
    assert np.isfinite(A.grad.data[0]).all() and np.isnan(A.grad.data[1]).all()
    vector = tg.linalg.solve_ex(a, matrices(2, 3)).result  # (a batch of vectors)
    assert vector.shape == (2, 3) and np.isnan(vector.data[1]).all()


def test_matrix_exp_past_the_float_range_is_inf_without_a_numpy_warning():
    torch = pytest.importorskip("torch")
    big = np.array([[1000.0, 0.0], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = tg.linalg.matrix_exp(big)
        x = tg.Tensor(np.array([[100.0, 0.0], [0.0, 1.0]], dtype=np.float32),
                      requires_grad=True)
        out = tg.linalg.matrix_exp(x)
        out.sum().backward()
    np.testing.assert_allclose(ours.data, torch.linalg.matrix_exp(torch.tensor(big)).numpy(),
                               rtol=1e-12)
    t = torch.tensor(x.data, requires_grad=True)
    tout = torch.linalg.matrix_exp(t)
    tout.sum().backward()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-4)  # (torch: 1e-5 off)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-4)

"""tg.linalg's functions composed of ops (tensorinv, tensorsolve, vecdot,
householder_product, ormqr) and torch's top-level linear algebra (tg.svd, tg.qr, tg.lu,
tg.lu_solve, tg.cholesky_solve, tg.cholesky_inverse, tg.triangular_solve, ...): values and
gradients against PyTorch's, gradcheck in float64, edges and refusals naming the function
called. (The ops lu and matrix_exp are test_linalg_lu.py's.)
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

RNG = np.random.default_rng(20240614)

# torch warns that its old top-level forms (torch.qr, torch.lu, ...) are deprecated: they are
# what these tests compare with
pytestmark = pytest.mark.filterwarnings("ignore:torch\\.\\w+ is deprecated:UserWarning")


def matrices(*shape: int, diagonal: float = 0.0) -> np.ndarray:
    return RNG.normal(size=shape) + diagonal * np.eye(shape[-2], shape[-1])


# ------------------------------------------------------------------ tensorinv, tensorsolve, vecdot


def test_tensorinv_and_tensorsolve_match_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    a = matrices(6, 6, diagonal=3.0).reshape(2, 3, 6)
    ours, theirs = tg.linalg.tensorinv(a, ind=2), torch.linalg.tensorinv(torch.tensor(a), 2)
    assert ours.shape == tuple(theirs.shape) == (6, 2, 3)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-14)
    b = RNG.normal(size=(2, 3))
    ours = tg.linalg.tensorsolve(a, b)
    np.testing.assert_allclose(ours.data, torch.linalg.tensorsolve(
        torch.tensor(a), torch.tensor(b)).numpy(), rtol=1e-12, atol=1e-14)
    moved = np.moveaxis(a, -1, 0)  # (6, 2, 3): dims=(0,) moves it back
    np.testing.assert_allclose(tg.linalg.tensorsolve(moved, b, dims=(0,)).data, ours.data)
    A, B = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    assert tg.gradcheck(lambda s, t: tg.linalg.tensorsolve(s, t), [A, B])
    assert tg.gradcheck(lambda s: tg.linalg.tensorinv(s, ind=2), [A])
    with pytest.raises(ValueError, match=r"tensorinv: A of shape \(2, 3, 6\) is not square "
                                         r"over ind=1"):
        tg.linalg.tensorinv(a, ind=1)
    with pytest.raises(ValueError, match="tensorinv: ind must be a positive int"):
        tg.linalg.tensorinv(a, ind=0)
    with pytest.raises(ValueError, match=r"tensorsolve: A of shape \(2, 3, 6\) does not fit "
                                         r"B of shape \(3,\)"):
        tg.linalg.tensorsolve(a, np.ones(3))


def test_vecdot_matches_pytorch_with_broadcasting_and_gradients():
    torch = pytest.importorskip("torch")
    x, y = RNG.normal(size=(2, 1, 3)), RNG.normal(size=(4, 3))
    X, Y = tg.Tensor(x, requires_grad=True), tg.Tensor(y, requires_grad=True)
    out = tg.linalg.vecdot(X, Y)
    tX, tY = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    tout = torch.linalg.vecdot(tX, tY)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-14)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(X.grad.data, tX.grad.numpy())
    np.testing.assert_allclose(Y.grad.data, tY.grad.numpy())
    np.testing.assert_allclose(tg.linalg.vecdot(x, x, dim=0).data, (x * x).sum(axis=0))
    assert tg.linalg.vecdot(np.zeros((2, 0)), np.zeros((2, 0))).data.tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match="vecdot: x must be a float tensor"):
        tg.linalg.vecdot(tg.Tensor([1, 2], dtype=np.int64), np.ones(2))
    with pytest.raises(ValueError, match=r"vecdot: x of shape \(3,\) and y of shape \(4,\)"):
        tg.linalg.vecdot(np.ones(3), np.ones(4))


# ------------------------------------------------------------------ householder_product, ormqr


def test_householder_product_and_ormqr_match_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    geqrf, tau = torch.geqrf(torch.tensor(matrices(2, 4, 3)))
    A = tg.Tensor(geqrf.numpy(), requires_grad=True)
    T = tg.Tensor(tau.numpy(), requires_grad=True)
    Q = tg.linalg.householder_product(A, T)
    tA, tT = geqrf.clone().requires_grad_(True), tau.clone().requires_grad_(True)
    tQ = torch.linalg.householder_product(tA, tT)
    np.testing.assert_allclose(Q.data, tQ.detach().numpy(), rtol=1e-12, atol=1e-14)
    w = RNG.normal(size=Q.shape)
    (Q * w).sum().backward()
    (tQ * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(A.grad.data, tA.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(T.grad.data, tT.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(tg.linalg.householder_product, [A, T])
    np.testing.assert_allclose(tg.orgqr(A, T).data, Q.data)
    for left in (True, False):
        for transpose in (False, True):
            c = RNG.normal(size=(2, 4, 2) if left else (2, 2, 4))
            ours = tg.ormqr(A, T, c, left, transpose)
            np.testing.assert_allclose(ours.data, torch.ormqr(geqrf, tau, torch.tensor(c), left,
                                                              transpose).numpy(), atol=1e-13)
    C = tg.Tensor(RNG.normal(size=(2, 4, 2)), requires_grad=True)
    assert tg.gradcheck(lambda s, t, c: s.ormqr(t, c, transpose=True), [A, T, C])


def test_householder_product_edges_and_refusals():
    assert tg.linalg.householder_product(np.ones((3, 0)), np.ones(0)).shape == (3, 0)
    np.testing.assert_array_equal(tg.linalg.householder_product(np.ones((3, 2)),
                                                                np.zeros(2)).data, np.eye(3, 2))
    with pytest.raises(ValueError, match="householder_product: A .* at least as many rows"):
        tg.linalg.householder_product(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="householder_product: 3 reflectors"):
        tg.linalg.householder_product(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match=r"householder_product: tau of shape \(1, 2\)"):
        tg.linalg.householder_product(np.ones((2, 3, 2)), np.ones((1, 2)))


# ------------------------------------------------------------------ torch's top-level forms


def test_svd_and_qr_in_torch_top_level_form():
    torch = pytest.importorskip("torch")
    a = matrices(2, 4, 3)
    for some in (True, False):
        U, S, V = tg.svd(a, some=some)
        tU, tS, tV = torch.svd(torch.tensor(a), some=some)
        assert U.shape == tuple(tU.shape) and V.shape == tuple(tV.shape)
        np.testing.assert_allclose(S.data, tS.numpy(), rtol=1e-12)
        k = S.shape[-1]
        np.testing.assert_allclose((U[..., :k] * S[..., None, :]) @ V[..., :k].mT, a,
                                   atol=1e-12)
        Q, R = tg.qr(a, some=some)
        tQ, tR = torch.qr(torch.tensor(a), some=some)
        np.testing.assert_allclose(Q.data, tQ.numpy(), atol=1e-12)
        np.testing.assert_allclose(R.data, tR.numpy(), atol=1e-12)
    U, S, V = tg.Tensor(a).svd(compute_uv=False)
    assert U.shape == (2, 4, 4) and V.shape == (2, 3, 3) and not U.data.any()
    x = tg.Tensor(a, requires_grad=True)
    assert tg.gradcheck(lambda z: z.svd(compute_uv=False).S, [x])
    assert tg.gradcheck(lambda z: z.qr().R, [x])


def test_lu_in_torch_top_level_form():
    torch = pytest.importorskip("torch")
    a = matrices(2, 3, 3, diagonal=2.0)
    b = matrices(2, 3, 2)
    LU, pivots = tg.Tensor(a).lu()
    tLU, tpiv, tinfo = torch.lu(torch.tensor(a), get_infos=True)
    np.testing.assert_array_equal(pivots.data, tpiv.numpy())
    np.testing.assert_allclose(LU.data, tLU.numpy(), atol=1e-14)
    assert tg.lu(a, get_infos=True)[2].data.tolist() == tinfo.tolist()
    X = tg.lu_solve(b, LU, pivots)
    np.testing.assert_allclose(X.data, torch.lu_solve(torch.tensor(b), tLU, tpiv).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(tg.Tensor(b).lu_solve(LU, pivots).data, X.data)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_family_matches_pytorch_through_the_factor(upper):
    torch = pytest.importorskip("torch")
    m = matrices(2, 3, 3)
    a = m @ np.swapaxes(m, -1, -2) + 3 * np.eye(3)
    b = matrices(2, 3, 2)
    A, B = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    tA, tB = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    L = tg.cholesky(A, upper)
    tL = torch.cholesky(tA, upper)
    np.testing.assert_allclose(A.cholesky(upper=upper).data, tL.detach().numpy(), rtol=1e-12)
    X, tX = tg.cholesky_solve(B, L, upper), torch.cholesky_solve(tB, tL, upper)
    inverse, tinverse = L.cholesky_inverse(upper), torch.cholesky_inverse(tL, upper)
    np.testing.assert_allclose(X.data, tX.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(inverse.data, tinverse.detach().numpy(), rtol=1e-12,
                               atol=1e-14)
    w, v = RNG.normal(size=X.shape), RNG.normal(size=inverse.shape)
    ((X * w).sum() + (inverse * v).sum()).backward()
    ((tX * torch.tensor(w)).sum() + (tinverse * torch.tensor(v)).sum()).backward()
    np.testing.assert_allclose(A.grad.data, tA.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(B.grad.data, tB.grad.numpy(), rtol=1e-10, atol=1e-12)
    low = tg.Tensor(np.linalg.cholesky(a), requires_grad=True)
    factor = low.mT if upper else low
    assert tg.gradcheck(lambda f, y: tg.cholesky_solve(y, f.mT if upper else f, upper),
                        [low, B])
    assert tg.gradcheck(lambda f: tg.cholesky_inverse(f.mT if upper else f, upper), [low])
    np.testing.assert_allclose((tg.cholesky_inverse(factor, upper) @ a).data,
                               np.broadcast_to(np.eye(3), a.shape), atol=1e-12)


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_triangular_solve_matches_pytorch(upper, transpose, unitriangular):
    torch = pytest.importorskip("torch")
    a, b = matrices(2, 3, 3, diagonal=3.0), matrices(3, 2)
    A, B = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    X, copy = tg.triangular_solve(B, A, upper, transpose, unitriangular)
    tA, tB = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tX, tcopy = torch.triangular_solve(tB, tA, upper, transpose, unitriangular)
    np.testing.assert_allclose(X.data, tX.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(copy.data, a)
    w = RNG.normal(size=X.shape)
    ((X * w).sum() + copy.sum()).backward()
    ((tX * torch.tensor(w)).sum() + tcopy.sum()).backward()
    np.testing.assert_allclose(A.grad.data, tA.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(B.grad.data, tB.grad.numpy(), rtol=1e-10, atol=1e-12)
    if upper and not transpose:
        assert tg.gradcheck(lambda s, t: t.triangular_solve(s, unitriangular=unitriangular)
                            .solution, [A, B])


def test_top_level_names_and_methods_are_pytorchs():
    a = matrices(3, 3, diagonal=2.0)
    x = tg.Tensor(a)
    np.testing.assert_allclose(tg.matrix_power(a, 3).data, a @ a @ a)
    np.testing.assert_allclose(x.matrix_power(-1).data, np.linalg.inv(a), rtol=1e-12)
    np.testing.assert_allclose(x.inverse().data, tg.inverse(a).data)
    np.testing.assert_allclose(x.det().data, np.linalg.det(a), rtol=1e-12)
    np.testing.assert_allclose(tg.pinverse(a).data, np.linalg.inv(a), rtol=1e-10)
    assert tg.linalg.matmul is tg.matmul
    assert issubclass(tg.linalg.LinAlgError, RuntimeError)
    assert issubclass(tg.linalg.LinAlgError, np.linalg.LinAlgError)
    for name in ("svd", "qr", "lu", "lu_solve", "lu_unpack", "cholesky", "cholesky_solve",
                 "cholesky_inverse", "triangular_solve", "matrix_power", "matrix_exp",
                 "orgqr", "ormqr"):
        assert name in tg.__all__, name
    with pytest.raises(TypeError, match="svd: some must be True or False"):
        tg.svd(a, some=None)
    with pytest.raises(TypeError, match="cholesky_inverse: upper must be True or False"):
        tg.cholesky_inverse(a, upper="no")
    with pytest.raises(ValueError, match="cholesky_inverse: L must be square"):
        tg.cholesky_inverse(np.ones((2, 3)))


def test_solve_refusals_name_the_function_called_not_solve_triangular():
    with pytest.raises(ValueError, match=r"cholesky_solve: incompatible shapes .*B of shape "
                                         r"\(3, 2\).*2 rows"):
        tg.cholesky_solve(np.ones((3, 2)), np.eye(2))
    with pytest.raises(ValueError, match="cholesky_solve: L must be square matrices"):
        tg.cholesky_solve(np.ones((2, 1)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"triangular_solve: incompatible shapes .*\(3, 2\)"):
        tg.triangular_solve(np.ones((3, 2)), np.eye(2))
    with pytest.raises(ValueError, match=r"triangular_solve: the batch axes of A"):
        tg.Tensor(np.ones((3, 2, 1))).triangular_solve(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="cholesky_inverse: L must have at least 2 dimensions"):
        tg.cholesky_inverse(np.ones(3))

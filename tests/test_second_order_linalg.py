"""Second derivatives of the linear algebra ops (ops/linalg.py, decompositions.py,
linalg_more.py) compared with PyTorch's: Hessian-vector products, single matrices and
batches.

For a function f of the inputs, w a random weight of its output and v a random
direction per input, the gradient of sum(f * w) is taken with create_graph=True, then
the gradient of sum(gradient * v): the Hessian of sum(f * w) times v. Both libraries'
must agree, and the first gradients too. Eigenvectors and singular vectors are compared
through V * V (their signs differ between LAPACKs; a column's square does not). Then the
edges: singular and 1x1 determinants (this package keeps backward's gradient there),
repeated eigenvalues, matrix_exp at 0, the refusals; options the drawn specs of
test_second_order.py leave out, gradient-checked; float32 equal to backward's; third
derivatives.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import linalg as L

torch = pytest.importorskip("torch")
TL = torch.linalg
RNG = np.random.default_rng(21)
SPREAD = np.diag([0.0, 10.0, 20.0])  # (eigenvalues and singular values well apart)
LEADS = [(), (2,)]  # a single matrix, a batch of two


def matrices(lead, m, n=None, gap=5.0):
    """Well-conditioned m x n matrices: random entries plus gap * (k + 1) on the diagonal."""
    n = m if n is None else n
    a = RNG.standard_normal(lead + (m, n))
    k = min(m, n)
    a[..., range(k), range(k)] += gap * np.arange(1, k + 1)
    return a


def hessian_vector(fn, arrays, w, vs, library):
    """(the inputs' gradients of sum(fn * w), their Hessian times vs), as NumPy arrays."""
    if library == "torch":
        xs = [torch.tensor(a, requires_grad=True) for a in arrays]
        grads = torch.autograd.grad((fn(*xs) * torch.tensor(w)).sum(), xs, create_graph=True)
        total = sum((g * torch.tensor(v)).sum() for g, v in zip(grads, vs))
        grads = [g.detach().numpy() for g in grads]
        grad = torch.autograd.grad
    else:
        xs = [tg.Tensor(a, requires_grad=True) for a in arrays]
        grads = tg.autograd.grad((fn(*xs) * w).sum(), xs, create_graph=True)
        total = sum((g * v).sum() for g, v in zip(grads, vs))
        grads, grad = [g.data for g in grads], tg.autograd.grad
    if not total.requires_grad:  # (gradients that are constants: a zero Hessian)
        return grads, [np.zeros(np.shape(a)) for a in arrays]
    second = grad(total, xs, allow_unused=True, materialize_grads=True)
    return grads, [h.numpy() if library == "torch" else h.data for h in second]


def assert_as_torch(ours, theirs, arrays, rtol=1e-7, atol=1e-9):
    """ours (tinygrad_gd) and theirs (torch) give the same gradients and Hessian-vector
    products of sum(f * w) at `arrays`."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    w = RNG.standard_normal(ours(*[tg.Tensor(a) for a in arrays]).shape)
    vs = [RNG.standard_normal(a.shape) for a in arrays]
    mine, torchs = (hessian_vector(f, arrays, w, vs, lib)
                    for f, lib in ((ours, "tg"), (theirs, "torch")))
    for a, b in zip(mine[0] + mine[1], torchs[0] + torchs[1]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def squared(fn):
    """fn's result squared entrywise: what a sign flip of a vector does not change."""
    return lambda *xs: fn(*xs) ** 2


# ------------------------------------------------------------------ against PyTorch

@pytest.mark.parametrize("lead", LEADS)
def test_inv_second_derivative_as_torch(lead):
    assert_as_torch(L.inv, TL.inv, [matrices(lead, 3)])


@pytest.mark.parametrize("lead", LEADS)
def test_det_second_derivative_as_torch(lead):
    a = matrices(lead, 3)
    a[..., 0, :] *= -1  # (a negative determinant too)
    assert_as_torch(L.det, TL.det, [a])


@pytest.mark.parametrize("lead", LEADS)
def test_slogdet_second_derivative_as_torch(lead):
    a = matrices(lead, 3)
    a[..., 0, :] *= -1
    assert_as_torch(lambda t: L.slogdet(t).logabsdet, lambda t: TL.slogdet(t).logabsdet, [a])


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("b_shape", [(3,), (3, 2), (2, 3, 2)])
def test_solve_second_derivative_as_torch(lead, b_shape):
    """B a vector, a matrix, or a batch broadcast against A's."""
    assert_as_torch(L.solve, TL.solve, [matrices(lead, 3), RNG.standard_normal(b_shape)])


def test_solve_left_false_and_one_input_constant_as_torch():
    a, b = matrices((), 3), RNG.standard_normal((2, 3))
    assert_as_torch(lambda s, t: L.solve(s, t, left=False),
                    lambda s, t: TL.solve(s, t, left=False), [a, b])
    assert_as_torch(lambda s: L.solve(s, tg.Tensor(b.T)),
                    lambda s: TL.solve(s, torch.tensor(b.T)), [a])
    assert_as_torch(lambda t: L.solve(tg.Tensor(a), t),
                    lambda t: TL.solve(torch.tensor(a), t), [b.T])


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("unit", [True, False])
@pytest.mark.parametrize("left", [True, False])
def test_solve_triangular_second_derivative_as_torch(lead, upper, unit, left):
    b = RNG.standard_normal((3, 2) if left else (2, 3))
    assert_as_torch(
        lambda s, t: L.solve_triangular(s, t, upper=upper, left=left, unitriangular=unit),
        lambda s, t: TL.solve_triangular(s, t, upper=upper, left=left, unitriangular=unit),
        [matrices(lead, 3), b])


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_second_derivative_as_torch(lead, upper):
    """Of A A.T + I (positive-definite: the gradient is PyTorch's symmetric one)."""
    eye = np.eye(3)
    assert_as_torch(lambda t: L.cholesky(t @ t.mT + eye, upper=upper),
                    lambda t: TL.cholesky(t @ t.mT + torch.tensor(eye), upper=upper),
                    [RNG.standard_normal(lead + (3, 3))])


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3)])
def test_pinv_second_derivative_as_torch(lead, shape):
    assert_as_torch(L.pinv, TL.pinv, [matrices(lead, *shape)])


@pytest.mark.parametrize("lead", LEADS)
def test_pinv_hermitian_second_derivative_as_torch(lead):
    assert_as_torch(lambda t: L.pinv(t + t.mT + SPREAD, hermitian=True),
                    lambda t: TL.pinv(t + t.mT + torch.tensor(SPREAD), hermitian=True),
                    [RNG.standard_normal(lead + (3, 3))])


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigvalsh_second_derivative_as_torch(lead, uplo):
    spread = torch.tensor(SPREAD)
    assert_as_torch(lambda t: L.eigvalsh(t + t.mT + SPREAD, UPLO=uplo),
                    lambda t: TL.eigvalsh(t + t.mT + spread, UPLO=uplo),
                    [RNG.standard_normal(lead + (3, 3))])


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("part", ["eigenvalues", "eigenvectors"])
def test_eigh_second_derivative_as_torch(lead, part):
    spread = torch.tensor(SPREAD)
    assert_as_torch(squared(lambda t: getattr(L.eigh(t + t.mT + SPREAD), part)),
                    squared(lambda t: getattr(TL.eigh(t + t.mT + spread), part)),
                    [RNG.standard_normal(lead + (3, 3))])


def test_eigh_both_results_in_one_function_as_torch():
    def f(eigh, t, spread):
        w, v = eigh(t + t.mT + spread)
        return (v * v) * w[..., None, :]
    assert_as_torch(lambda t: f(L.eigh, t, SPREAD),
                    lambda t: f(TL.eigh, t, torch.tensor(SPREAD)),
                    [RNG.standard_normal((2, 3, 3))])


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3)])
@pytest.mark.parametrize("part", ["U", "S", "Vh"])
def test_svd_second_derivative_as_torch(lead, shape, part):
    assert_as_torch(squared(lambda t: getattr(L.svd(t, full_matrices=False), part)),
                    squared(lambda t: getattr(TL.svd(t, full_matrices=False), part)),
                    [matrices(lead, *shape)])


def test_svd_of_all_three_results_as_torch():
    def f(svd, t):
        u, s, vh = svd(t, full_matrices=False)
        return (u * u).sum(-2) * s + (vh * vh).sum(-1) * s ** 2
    assert_as_torch(lambda t: f(L.svd, t), lambda t: f(TL.svd, t), [matrices((2,), 4, 3)])


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3)])
@pytest.mark.parametrize("part", ["Q", "R"])
def test_qr_second_derivative_as_torch(lead, shape, part):
    """LAPACK's Householder QR in both: the same signs, compared directly."""
    assert_as_torch(lambda t: getattr(L.qr(t), part), lambda t: getattr(TL.qr(t), part),
                    [matrices(lead, *shape)])


def test_qr_complete_of_a_wide_matrix_and_both_results_as_torch():
    a = matrices((), 2, 4)
    assert_as_torch(lambda t: L.qr(t, mode="complete").Q,
                    lambda t: TL.qr(t, mode="complete").Q, [a])
    assert_as_torch(lambda t: (lambda r: r.Q.sum() * r.R)(L.qr(t)),
                    lambda t: (lambda r: r.Q.sum() * r.R)(TL.qr(t)), [matrices((2,), 4, 3)])


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_lu_second_derivative_as_torch(lead, shape):
    """The packed LU (PyTorch's lu_factor_ex: the same pivots); and lu's L and U."""
    a = RNG.standard_normal(lead + shape)
    assert_as_torch(lambda t: L.lu_factor_ex(t).LU, lambda t: TL.lu_factor_ex(t).LU, [a])
    assert_as_torch(lambda t: (lambda r: r.L.sum() * r.U)(L.lu(t)),
                    lambda t: (lambda r: r.L.sum() * r.U)(TL.lu(t)), [a])


@pytest.mark.parametrize("lead", LEADS)
def test_matrix_exp_second_derivative_as_torch(lead):
    assert_as_torch(L.matrix_exp, TL.matrix_exp, [RNG.standard_normal(lead + (3, 3))])


# ------------------------------------------------------------------ edges


def test_matrix_exp_at_zero_and_at_a_nilpotent_matrix_as_torch():
    assert_as_torch(L.matrix_exp, TL.matrix_exp, [np.zeros((3, 3))])
    assert_as_torch(L.matrix_exp, TL.matrix_exp, [np.triu(RNG.standard_normal((3, 3)), 1)])


def test_inv_and_cholesky_at_the_identity_as_torch():
    assert_as_torch(L.inv, TL.inv, [np.eye(3)])
    assert_as_torch(L.cholesky, TL.cholesky, [np.eye(3)])


def test_det_where_lapack_finds_the_matrix_singular_but_its_det_rounds_off_0():
    """A rank-2 matrix whose LU det is 1e-17, not 0: the gradient is the cofactor matrix
    (dets of the minors), its derivative det's exact Hessian, as PyTorch's."""
    odd = np.array([[0.5, 0.5, -0.5], [1.5, 5 / 6, 1 / 6], [-1 / 3, 0.0, -0.5]])
    assert L.det(odd).item() != 0
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.inv(odd)
    assert_as_torch(L.det, TL.det, [odd])
    assert_as_torch(L.det, TL.det, [np.stack([odd, matrices((), 3)])])  # (one of a batch)
    assert tg.gradgradcheck(L.det, [tg.Tensor(odd, requires_grad=True)])


def test_det_of_a_1x1_matrix_has_a_zero_second_derivative_as_torch():
    assert_as_torch(L.det, TL.det, [np.array([[3.0]])])
    assert_as_torch(L.det, TL.det, [np.array([[[0.0]], [[-2.0]]])])


def grads_both_ways(fn, arrays):
    """The inputs' gradients of fn, by backward() and with create_graph=True."""
    xs = [tg.Tensor(np.asarray(a), requires_grad=True) for a in arrays]
    out = fn(*xs)
    v = RNG.standard_normal(out.shape).astype(out.dtype)
    plain = tg.autograd.grad(fn(*xs), xs, grad_outputs=v)
    graph = tg.autograd.grad(fn(*xs), xs, grad_outputs=v, create_graph=True)
    return [g.data for g in plain], [g.data for g in graph], graph


def test_det_at_a_singular_matrix_keeps_backwards_zero_gradient():
    """det exactly 0: backward's gradient is 0 (PyTorch's backward's too), and so is the
    one made with create_graph=True (PyTorch's is the cofactor matrix there: its two
    backwards disagree, ours agree); the regular matrix of the batch is differentiated."""
    a = np.stack([[[1.0, 2.0], [2.0, 4.0]], [[3.0, 1.0], [1.0, 2.0]]])
    (plain,), (graph,), (tensor,) = grads_both_ways(L.det, [a])
    np.testing.assert_array_equal(graph, plain)
    assert not graph[0].any() and graph[1].all()
    x = tg.Tensor(a, requires_grad=True)
    (g,) = tg.autograd.grad(L.det(x).sum(), [x], create_graph=True)
    (h,) = tg.autograd.grad((g * g).sum(), [x])
    assert not h.data[0].any() and h.data[1].any()


def test_slogdet_at_a_singular_matrix_keeps_backwards_inf_and_nan():
    """logabsdet -inf: backward's inf and NaN gradient, the same with create_graph=True
    (PyTorch's refuses it: its solve finds the matrix singular)."""
    a = np.stack([[[1.0, 2.0], [2.0, 4.0]], [[3.0, 1.0], [1.0, 2.0]]])
    (plain,), (graph,), _ = grads_both_ways(lambda t: L.slogdet(t).logabsdet, [a])
    np.testing.assert_array_equal(graph, plain)
    assert not np.isfinite(graph[0]).all() and np.isfinite(graph[1]).all()


@pytest.mark.parametrize("name", ["det", "slogdet", "inv"])
def test_a_nan_matrix_gives_nan_as_backward_and_its_neighbour_its_own(name):
    fn = {"det": L.det, "inv": L.inv, "slogdet": lambda t: L.slogdet(t).logabsdet}[name]
    a = np.stack([[[np.nan, 2.0], [2.0, 4.0]], [[3.0, 1.0], [1.0, 2.0]]])
    (plain,), (graph,), _ = grads_both_ways(fn, [a])
    np.testing.assert_array_equal(graph, plain)
    assert np.isnan(graph[0]).all() and np.isfinite(graph[1]).all()


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # (eigh's backward's NaN)
def test_eigvalsh_with_a_repeated_eigenvalue_first_finite_then_nan_as_torch():
    """Eigenvalues are not differentiable twice where two are equal: the first derivative
    is finite, the second NaN, in both libraries."""
    w = np.arange(3.0)
    vs = [RNG.standard_normal((3, 3))]
    for lib, fn in (("tg", lambda t: L.eigvalsh(t + t.mT)),
                    ("torch", lambda t: TL.eigvalsh(t + t.mT))):
        grads, second = hessian_vector(fn, [np.eye(3)], w, vs, lib)
        assert np.isfinite(grads[0]).all() and np.isnan(second[0]).all()


@pytest.mark.parametrize("mode, shape", [("r", (3, 2)), ("complete", (4, 2))])
def test_qr_refuses_create_graph_where_backward_refuses(mode, shape):
    x = tg.Tensor(RNG.standard_normal(shape), requires_grad=True)
    out = getattr(L.qr(x, mode=mode), "R")
    messages = []
    for create_graph in (False, True):
        with pytest.raises(RuntimeError) as err:
            tg.autograd.grad(out.sum(), [x], retain_graph=True, create_graph=create_graph)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "mode=" in messages[0]


# ------------------------------------------------------------------ gradgradcheck, float32,
# ------------------------------------------------------------------ third derivatives

OPTIONS = {  # what test_ops.OP_SPECS does not draw
    "svd full_matrices U": (lambda t: L.svd(t).U[..., :2], (4, 2)),
    "svd full_matrices Vh": (lambda t: L.svd(t).Vh[..., :2, :], (2, 4)),
    "qr complete, wide": (lambda t: L.qr(t, mode="complete").R, (2, 4)),
    "eigh UPLO=U": (lambda t: L.eigh(t + t.mT + SPREAD, UPLO="U").eigenvectors, (3, 3)),
    "pinv hermitian": (lambda t: L.pinv(t + t.mT + SPREAD, hermitian=True), (2, 3, 3)),
    "pinverse rcond": (lambda t: t.pinverse(rcond=1e-10), (2, 3)),
    "cholesky_ex": (lambda t: L.cholesky_ex(t @ t.mT + np.eye(3)).L, (3, 3)),
    "lu_solve": (lambda t: L.lu_solve(*L.lu_factor(t + 5 * np.eye(3)), t[..., :2]), (3, 3)),
    "inv 0x0": (L.inv, (0, 0)),
    "det of an empty batch": (L.det, (0, 2, 2)),
    "matrix_exp 0x0": (L.matrix_exp, (0, 0)),
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_gradgradcheck_of_options_the_specs_do_not_draw(name):
    fn, shape = OPTIONS[name]
    a = RNG.standard_normal(shape)
    if shape[-2:] in ((4, 2), (2, 4)):
        a = matrices(shape[:-2], *shape[-2:])
    assert tg.gradgradcheck(fn, [tg.Tensor(a, requires_grad=True)])


FUNCTIONS = {
    "inv": L.inv, "det": L.det, "slogdet": lambda t: L.slogdet(t).logabsdet,
    "solve": lambda t: L.solve(t, t[..., :1]),
    "solve_triangular": lambda t: L.solve_triangular(t, t[..., :2], upper=True),
    "cholesky": lambda t: L.cholesky(t @ t.mT + np.eye(3, dtype=t.dtype)),
    "pinv": lambda t: L.pinv(t[..., :2]),
    "eigvalsh": lambda t: L.eigvalsh(t + t.mT + SPREAD.astype(t.dtype)),
    "eigh": lambda t: L.eigh(t + t.mT + SPREAD.astype(t.dtype)).eigenvectors,
    "qr": lambda t: L.qr(t[..., :2]).Q,
    "svd": lambda t: L.svd(t[..., :2, :], full_matrices=False).Vh,
    "lu": lambda t: L.lu_factor_ex(t[..., :2]).LU, "matrix_exp": lambda t: L.matrix_exp(t / 4),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_float32_create_graph_gradient_equals_backwards(name):
    a = matrices((2,), 3).astype(np.float32)
    (plain,), (graph,), (tensor,) = grads_both_ways(FUNCTIONS[name], [a])
    assert tensor.dtype == np.float32
    np.testing.assert_array_equal(graph, plain)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_third_derivatives(name):
    """gradgradcheck of the create_graph gradient itself."""
    fn = FUNCTIONS[name]
    w = RNG.standard_normal(fn(tg.Tensor(matrices((), 3))).shape)

    def gradient(t):
        (g,) = tg.autograd.grad((fn(t) * w).sum(), [t], create_graph=True)
        return g
    assert tg.gradgradcheck(gradient, [tg.Tensor(matrices((), 3), requires_grad=True)])

"""Linear algebra: inv, det, slogdet's log|det|, solve and cholesky (eigvalsh: decompositions.py).

Each works on a square matrix or a batch of them (the last two axes), as PyTorch's
`torch.linalg` does; `tg.linalg` (linalg.py) gives them PyTorch's names there. NumPy's
LAPACK routines compute the forward pass; float32 stays float32 (float16 is computed in
float32, integers in float64). A singular matrix is refused where PyTorch refuses it
(inv, solve) with a `LinAlgError` in one line: PyTorch's torch.linalg.LinAlgError (a
RuntimeError), also NumPy's LinAlgError (a ValueError), so either `except` catches it. A matrix with
a NaN entry gives what PyTorch's gives: all NaN (inv, solve, det, slogdet), a refusal
(cholesky); so does one with an infinite entry (PyTorch's LU sometimes gives finite values
there: inv([[1, 2], [inf, 4]]) has the row [0.5, 0]).

The gradients are the classic matrix identities: for out = inv(A), grad_A = -out.T @ g @
out.T; d det(A) = det(A) inv(A).T : dA, so det's gradient is g * det * inv(A).T and
log|det|'s is g * inv(A).T; for X = solve(A, B), grad_B = solve(A.T, g) and grad_A =
-grad_B @ X.T. cholesky's is PyTorch's formula (each op's docstring).
Each op's `backward_graph` is its backward in Tensor ops (inv, solve, ... of the inputs and
the output: second derivatives, higher_order.py), with the same conventions at a singular A.
Also here, no op: `lu_factors`, LU with partial pivoting, the one elimination that det,
the op lu (ops/linalg_more.py) and LU's `info` (lu_factor_ex, inv_ex, solve_ex) share.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..errors import ShapeError
from ..values import default_float
from .arguments import batch_axes, floating, same_dtype
from .elementwise import Where


def _matrices(name: str, a: np.ndarray, what: str = "A") -> np.ndarray:
    """`a` checked to be square matrices (or a batch of them), in a dtype LAPACK takes."""
    if a.ndim < 2:
        raise ShapeError(f"{name}: {what} must have at least 2 dimensions (a matrix or a batch "
                         f"of them), got shape {a.shape}")
    if a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{name}: {what} must be square matrices (or a batch of them), but "
                         f"they are {a.shape[-2]} by {a.shape[-1]} (shape {a.shape})")
    if a.dtype == np.float16:
        return a.astype(np.float32)  # (NumPy's linalg has no float16)
    return floating(a)


def _equation(name: str, a: np.ndarray, b: np.ndarray, rhs: np.ndarray, need: str) -> None:
    """Refuse, in one line, a B that does not fit the square matrices A of AX = B (solve,
    solve_triangular): `rhs` (B, a vector as a column) must have A's rows (`need` says how
    B must be given) and batch axes that broadcast with A's."""
    if rhs.ndim < 2 or rhs.shape[-2] != a.shape[-1]:
        raise ShapeError(f"{name}: incompatible shapes of A and B for the equation AX = B: A of "
                         f"shape {a.shape}, B of shape {b.shape}; {need}")
    batch_axes(name, "A", a.shape, "B", b.shape, rhs.shape[:-2])


def _dtype(x: np.ndarray) -> np.dtype:
    """The dtype of an op's result for an input `x`: its own float dtype, else the default
    float (float64 unless tg.set_default_dtype changed it)."""
    return x.dtype if x.dtype.kind == "f" else default_float()


def _which(shape: tuple) -> str:
    """The matrix an error is about: "the matrix of shape ..." or one of a batch."""
    return f"a matrix of the batch of shape {shape}" if len(shape) > 2 else \
        f"the matrix of shape {shape}"


class LinAlgError(np.linalg.LinAlgError, RuntimeError):
    """A matrix the routine cannot handle (singular, not positive-definite): PyTorch's
    torch.linalg.LinAlgError, a RuntimeError; also NumPy's LinAlgError (a ValueError)."""


def _singular(name: str, shape: tuple, hint: str) -> LinAlgError:
    return LinAlgError(f"{name}: {_which(shape)} is singular (not invertible); {hint}")


def zero_pivot_error(name: str, info: np.ndarray, factor: str, solver: str, remedy: str,
                     zero: str = "zero") -> LinAlgError:
    """A factorization's refusal of a singular matrix (lu_factor's, ldl_factor's), naming
    the first zero `factor` entry (`info`: LAPACK's 1-based index of it, per matrix)."""
    where = np.argwhere(info > 0)[0]
    which = f"(batch element {tuple(int(i) for i in where)}) " if info.ndim else ""
    k = int(info[tuple(where)])
    return LinAlgError(f"{name}: {which}{factor}[{k},{k}] is {zero}, and {solver} would divide "
                       f"by it (A is singular); to factor it anyway use {remedy}")


def _non_finite(a: np.ndarray) -> np.ndarray:
    """Which matrices of `a` have a NaN or infinite entry: their inv, solve, det and log|det|
    are NaN (an infinite entry's result depends on the pivots' order)."""
    return ~np.isfinite(a).all(axis=(-1, -2))


def _nan_safe(routine, a: np.ndarray, *rest: np.ndarray) -> np.ndarray:
    """routine(a, *rest), NumPy's inv or solve, with all NaN for each matrix of `a` that has a
    NaN or infinite entry, as PyTorch's LU gives for NaN: LAPACK here may keep finite entries
    there (inv([[nan, 1], [1, 2]]) has the row [-1, 1]) or call the matrix singular."""
    nan = _non_finite(a)[..., None, None]
    if not nan.any():
        return routine(a, *rest)
    out = routine(np.where(nan, np.eye(a.shape[-1], dtype=a.dtype), a), *rest)
    return np.where(nan, np.nan, out).astype(out.dtype, copy=False)


def lu_factors(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LU with partial pivoting of each m x n matrix of `a`, LAPACK's getrf written out, in
    a's dtype: the packed factors (L's multipliers below the diagonal, U on and above it),
    the pivots (int32, 1-based: row j was swapped with row pivots[j], the first largest
    |entry| at or below the diagonal) and info (int32: the position of the first zero
    pivot, 0 where none is). The one elimination behind lu, det, lu_factor_ex's and
    inv_ex's info."""
    m, n = a.shape[-2:]
    k = min(m, n)
    count = int(np.prod(a.shape[:-2]))  # (not -1: a batch of 0 x 0 leaves it undetermined)
    work = a.reshape((count, m, n)).copy()
    pivots = np.zeros((count, k), dtype=np.int32)
    info = np.zeros(count, dtype=np.int32)
    batch = np.arange(count)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j in range(k):
            row = j + np.argmax(np.abs(work[:, j:, j]), axis=-1)  # (the first largest)
            pivots[:, j] = row + 1
            swapped = work[batch, row].copy()
            work[batch, row] = work[batch, j]
            work[batch, j] = swapped
            pivot = work[:, j, j]
            zero = pivot == 0
            info[zero & (info == 0)] = j + 1
            factors = np.where(zero[:, None], work[:, j + 1:, j], work[:, j + 1:, j]
                               / pivot[:, None])  # (a zero pivot: its column is all 0)
            work[:, j + 1:, j] = factors
            work[:, j + 1:, j + 1:] -= factors[:, :, None] * work[:, None, j, j + 1:]
    batch_shape = a.shape[:-2]
    return (work.reshape(a.shape), pivots.reshape(batch_shape + (k,)),
            info.reshape(batch_shape))


def _lu_det(a: np.ndarray) -> np.ndarray:
    """det(A) by LU with partial pivoting (`lu_factors`), as PyTorch's, up to rounding: the
    product of U's diagonal and the permutation's sign. (NumPy's det is sign * exp(log|det|),
    a few ulps off: det([[2, 0], [0, 4]]) is not 8.)"""
    packed, pivots, _ = lu_factors(a)
    swaps = np.count_nonzero(pivots != np.arange(1, a.shape[-1] + 1, dtype=np.int32), axis=-1)
    sign = np.where(swaps % 2, -1, 1).astype(a.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.prod(np.diagonal(packed, axis1=-2, axis2=-1), axis=-1) * sign


def _transposed_inverse(a: np.ndarray, regular: np.ndarray) -> np.ndarray:
    """inv(A).T for each matrix of `a` where `regular` holds, 0 where it does not."""
    out = np.zeros(a.shape, dtype=a.dtype)
    regular = np.broadcast_to(regular, a.shape[:-2])
    if regular.any():
        out[regular] = np.swapaxes(_nan_safe(np.linalg.inv, a[regular]), -1, -2)
    return out


def _det_gradient(a: np.ndarray, det: np.ndarray) -> np.ndarray:
    """adj(A).T, the cofactor matrix, of each matrix of `a` as det(A) inv(A).T, both from
    NumPy's one LU, so that their rounding cancels as PyTorch's does near a singular matrix.
    0 where `det` is 0, as PyTorch's, but for a 1x1 matrix, whose cofactor is 1 whatever its
    entry (PyTorch's too); the cofactors themselves where `det` is not 0 but LAPACK
    finds A singular (rank n-1 and a det of rounding error: the exact derivative, which
    PyTorch's is too where its LU det is not 0; at a lower rank it is 0)."""
    if a.shape[-1] == 1:  # (det(A) is A's entry: no inverse needed, none refused)
        return np.ones(a.shape, dtype=a.dtype)
    regular = np.broadcast_to(np.asarray(det) != 0, a.shape[:-2])
    with np.errstate(invalid="ignore"):  # (a NaN entry: NaN, as PyTorch's)
        scale = np.where(regular, np.linalg.det(a), 0).astype(a.dtype)[..., None, None]
    try:
        return scale * _transposed_inverse(a, regular)
    except np.linalg.LinAlgError:  # (one matrix of the batch: the others keep their inverse)
        pass
    grad = np.zeros(a.shape, dtype=a.dtype)
    for k in np.ndindex(regular.shape):
        try:
            if regular[k]:
                grad[k] = scale[k] * np.swapaxes(_nan_safe(np.linalg.inv, a[k]), -1, -2)
        except np.linalg.LinAlgError:
            grad[k] = _cofactors(a[k])
    return grad


def _cofactors(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix of one square matrix: (-1)**(i+j) times the determinant of `a`
    without row i and column j (adj(A).T; inv(A).T is it over det(A))."""
    n = a.shape[-1]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                      for j in range(n)] for i in range(n)], dtype=a.dtype).reshape(a.shape)


def _inverse_graph(x, regular: np.ndarray):
    """`_transposed_inverse` in Tensor ops: inv(A).T of each matrix of the Tensor x where
    `regular` holds, 0 where it does not (inverted there: I, not A)."""
    if regular.all():
        return Inv.apply(x).mT
    regular = regular[..., None, None]
    eye = np.eye(x.shape[-1])
    return Where.call(regular, Inv.apply(Where.call(regular, x, eye)).mT, 0.0)


def _det_gradient_graph(x, a: np.ndarray, out, det: np.ndarray):
    """`_det_gradient` in Tensor ops, its cases kept: out * inv(A).T, 0 where det is 0, 1
    for a 1x1 matrix, the cofactors (dets of the minors) where LAPACK finds A singular."""
    n = a.shape[-1]
    if n == 1:
        return np.ones(a.shape, dtype=a.dtype)
    regular = np.broadcast_to(np.asarray(det) != 0, a.shape[:-2])
    with np.errstate(divide="ignore", invalid="ignore"):  # 1 but for rounding: the det of
        ratio = np.where(regular, np.linalg.det(a) / det, 0)  # backward's LU, whose rounding
    scale = (out * ratio)[..., None, None]  # cancels its inverse's near a singular A
    try:
        return scale * _inverse_graph(x, regular)
    except np.linalg.LinAlgError:  # (LAPACK finds some singular: which, as _det_gradient)
        invertible = regular.copy()
    for k in np.ndindex(regular.shape):
        try:
            if regular[k]:
                _nan_safe(np.linalg.inv, a[k])
        except np.linalg.LinAlgError:
            invertible[k] = False
    grad = scale * _inverse_graph(x, invertible)
    odd = (regular & ~invertible)[..., None, None]
    others = [np.delete(np.arange(n), i) for i in range(n)]  # minor (i, j): x[rows i, cols j]
    minors = x[..., np.array(others)[:, None, :, None], np.array(others)[None, :, None, :]]
    signs = (-1.0) ** np.add.outer(np.arange(n), np.arange(n))
    return Where.call(odd, Det.apply(minors) * signs, grad)


class Inv(Function, name="inv", methods=("inverse",), functions=("inverse",)):
    """The inverse of a square matrix, or of each of a batch (PyTorch's linalg.inv, also
    `torch.inverse` and `x.inverse()`). A singular matrix is refused with a LinAlgError
    (a RuntimeError as PyTorch's, and NumPy's, a ValueError), as PyTorch refuses it. A matrix
    with a NaN or infinite entry gives all NaN (PyTorch's may give numbers for an inf).

    forward: `inv(A)`
    gradient: `-out.T @ g @ out.T`
    """

    def forward(ctx, x):
        a = _matrices(ctx.name, x)
        try:
            out = _nan_safe(np.linalg.inv, a).astype(_dtype(x), copy=False)
        except np.linalg.LinAlgError:
            raise _singular(ctx.name, x.shape, "check it with det, or solve a least-squares "
                                               "problem instead") from None
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        transposed = np.swapaxes(out, -1, -2)
        return -(transposed @ g @ transposed)

    def backward_graph(ctx, out, g):
        transposed = out.mT
        return -(transposed @ g @ transposed)


class Det(Function, methods=("det",), functions=("det",)):
    """The determinant of a square matrix, or of each of a batch (PyTorch's linalg.det,
    also `torch.det` and `x.det()`). At a singular matrix (det exactly 0) the gradient is
    0, as PyTorch's is; where det is not 0 but the inverse fails (rounding), it is the
    cofactor matrix, the exact derivative (`_det_gradient`); of a 1x1 matrix it is 1. A
    matrix with a NaN or infinite entry gives NaN (PyTorch's may give inf for an inf).

    forward: `det(A)`
    gradient: `g * out * inv(A).T`, which is `g * adj(A).T` (0 where out is 0)
    """

    def forward(ctx, x):
        a = _matrices(ctx.name, x)
        out = _lu_det(a).astype(_dtype(x), copy=False)
        out = np.where(_non_finite(a), np.nan, out).astype(out.dtype, copy=False)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        return np.asarray(g, dtype=a.dtype)[..., None, None] * _det_gradient(a, out)

    def backward_graph(ctx, out, g):
        a, det = ctx.saved_tensors
        return g[..., None, None] * _det_gradient_graph(ctx.parents[0], a, out, det)


class Slogdet(Function, name="slogdet"):
    """log|det(A)| of a square matrix, or of each of a batch: the `logabsdet` of PyTorch's
    linalg.slogdet, which `tg.linalg.slogdet` returns with the sign. A singular matrix
    gives -inf, and a gradient of inf and NaN entries, as PyTorch's (which entries are
    inf may differ: PyTorch's come out of its LU solve); one with a NaN or infinite entry
    gives NaN (PyTorch's may give a number for an inf).

    forward: `log(abs(det(A)))`
    gradient: `g * inv(A).T`
    """

    def forward(ctx, x):
        a = _matrices(ctx.name, x)
        with np.errstate(invalid="ignore"):  # (a NaN or inf entry: its NaN below)
            out = np.asarray(np.linalg.slogdet(a)[1]).astype(_dtype(x), copy=False)
        out = np.where(_non_finite(a), np.nan, out).astype(out.dtype)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        regular = np.broadcast_to(out != -np.inf, a.shape[:-2])  # (-inf: det(A) is 0)
        grad = _transposed_inverse(a, regular)
        with np.errstate(divide="ignore", invalid="ignore"):
            for k in np.ndindex(regular.shape):  # inv(A).T = cofactors / det(A), det 0
                if not regular[k]:
                    grad[k] = _cofactors(a[k]) / 0.0
        return np.asarray(g, dtype=a.dtype)[..., None, None] * grad

    def backward_graph(ctx, out, g):
        a, logdet = ctx.saved_tensors
        regular = np.broadcast_to(logdet != -np.inf, a.shape[:-2])
        grad = _inverse_graph(ctx.parents[0], regular)
        if not regular.all():  # (det(A) 0: backward's inf and NaN, constants)
            singular = Slogdet.backward(ctx, np.ones(np.shape(logdet), dtype=a.dtype))
            grad = Where.call(regular[..., None, None], grad, singular)
        return g[..., None, None] * grad


class Solve(Function, name="solve"):
    """X with A @ X = B, for square A (or a batch of them) and B a matrix or, with
    `vector=True`, a vector (the batch axes broadcast): PyTorch's linalg.solve, which
    decides `vector` by its rule (see `tg.linalg.solve`). A singular A is refused with a
    LinAlgError, as PyTorch refuses it. An A with a NaN or infinite
    entry gives all NaN (PyTorch's may give numbers for an inf).

    forward: `inv(A) @ B`, computed by LU
    gradient: `-solve(A.T, g) @ out.T` for A, `solve(A.T, g)` for B
    """

    def forward(ctx, a, b, *, vector=False):
        a, b = same_dtype(a, b)
        dtype = np.result_type(_dtype(a), _dtype(b))
        a = _matrices(ctx.name, a)
        rhs = b[..., None] if vector else b
        _equation(ctx.name, a, b, rhs, f"B needs {a.shape[-1]} rows (a vector: {a.shape[-1]} "
                                       f"entries)")
        try:
            out = _nan_safe(np.linalg.solve, a, rhs.astype(a.dtype, copy=False))
            out = out.astype(dtype, copy=False)
        except np.linalg.LinAlgError:
            raise _singular(ctx.name, a.shape, "the system has no unique solution") from None
        ctx.vector = vector
        ctx.save_for_backward(a, out)  # (out: the result, or the array it is a view of)
        return out[..., 0] if vector else out

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        g = g[..., None] if ctx.vector else g
        g = g.astype(a.dtype, copy=False)
        grad_b = _nan_safe(np.linalg.solve, np.swapaxes(a, -1, -2), g)
        grad_a = -(grad_b @ np.swapaxes(out, -1, -2)) if ctx.needs_input_grad[0] else None
        return grad_a, (grad_b[..., 0] if ctx.vector else grad_b)

    def backward_graph(ctx, out, g):
        a, _ = ctx.parents
        grad_b = Solve.apply(a.mT, g, vector=ctx.vector)
        if not ctx.needs_input_grad[0]:
            return None, grad_b
        if ctx.vector:  # (a vector as a column, out as a row)
            return -(grad_b[..., :, None] * out[..., None, :]), grad_b
        return -(grad_b @ out.mT), grad_b


class Cholesky(Function, name="cholesky"):
    """The lower Cholesky factor L of a symmetric positive-definite matrix A = L @ L.T (or
    of each of a batch), reading A's lower triangle only: PyTorch's linalg.cholesky. A
    matrix that is not positive-definite is refused with a LinAlgError, as PyTorch
    refuses it, also one with a NaN or infinite entry in that
    triangle (LAPACK here would give NaN or inf). The gradient is PyTorch's, symmetric.

    forward: `L` with `L @ L.T = A`, L lower triangular
    gradient: `inv(L).T @ P @ inv(L)`, `P = (S + tril(S, -1).T) / 2`, `S = tril(L.T @ g)`
    """

    def forward(ctx, x):
        a = _matrices(ctx.name, x)
        try:
            low = np.linalg.cholesky(a)
            if not (np.isfinite(np.tril(a)).all() and np.isfinite(low).all()):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            raise LinAlgError(
                f"{ctx.name}: {_which(x.shape)} is not positive-definite, so it has no "
                f"Cholesky factor; A @ A.mT + eps * I is, for any A") from None
        ctx.save_for_backward(low)  # (float32 for float16: NumPy's inv has no float16)
        return low.astype(_dtype(x), copy=False)

    def backward(ctx, g):
        (low,) = ctx.saved_tensors
        s = np.tril(np.swapaxes(low, -1, -2) @ g)
        p = 0.5 * (s + np.swapaxes(np.tril(s, -1), -1, -2))  # (the diagonal halved)
        inverse = np.linalg.inv(low)
        return np.swapaxes(inverse, -1, -2) @ p @ inverse

    def backward_graph(ctx, out, g):
        s = (out.mT @ g).tril()
        p = 0.5 * (s + s.tril(-1).mT)
        inverse = Inv.apply(out)
        return inverse.mT @ p @ inverse

"""`tg.linalg`'s remaining real-valued functions, under PyTorch's names.

`matrix_exp` is the op of ops/linalg_more.py (also `tg.matrix_exp`, `x.matrix_exp()`);
the rest is made of ops, so gradients come from `backward()`: `tensorinv` and
`tensorsolve` reshape to a square matrix for inv and solve; `vecdot` is a product and a
sum; `householder_product` (torch's `orgqr` too) and `ormqr` apply LAPACK's Householder
reflectors H = I - tau v v.T one after another (matmul), their gradients for both A and
tau; `matmul` is tg.matmul under torch.linalg's name. `LinAlgError` is PyTorch's
torch.linalg.LinAlgError (a RuntimeError, and NumPy's LinAlgError too). `tg.linalg`
(linalg.py) re-exports every name here.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import functional
from .grad_mode import check_flag
from .ops.arguments import integer, ints
from .ops.linalg import Inv, Solve
from .ops.linalg import LinAlgError
from .ops.linalg_more import MatrixExp
from .tensor import Tensor, to_tensor

__all__ = ["matrix_exp", "tensorinv", "tensorsolve", "vecdot", "householder_product",
           "ormqr", "matmul", "LinAlgError"]

matmul = functional.matmul  # (torch.linalg.matmul is torch.matmul)


def matrix_exp(A: Any) -> Tensor:  # noqa: N803  (PyTorch's argument name)
    """exp(A) = I + A + A @ A / 2 + ... of a square matrix (or of each of a batch):
    PyTorch's linalg.matrix_exp (the op matrix_exp: scaling and squaring, a Pade
    approximant, float64 accuracy; its gradient exact). Integers are computed in float64."""
    return MatrixExp.apply(to_tensor(A))


def tensorinv(A: Any, ind: int = 2) -> Tensor:  # noqa: N803
    """The inverse of A for tensordot over `ind` axes: A's first `ind` axes and the rest
    taken as a square matrix (their products of sizes equal), inverted (the op inv), and
    shaped A.shape[ind:] + A.shape[:ind]: PyTorch's linalg.tensorinv. A singular one is
    refused as inv refuses it."""
    ind = integer("tensorinv", "ind", ind)
    A = to_tensor(A)  # noqa: N806
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive int (how many leading axes index "
                         f"the rows), got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise ValueError(f"tensorinv: A of shape {A.shape} is not square over ind={ind}: "
                         f"prod(shape[:{ind}]) = {rows}, prod(shape[{ind}:]) = {cols}; they "
                         f"must be equal")
    return Inv.apply(A.reshape((rows, cols))).reshape(A.shape[ind:] + A.shape[:ind])


def tensorsolve(A: Any, B: Any, dims: Any = None) -> Tensor:  # noqa: N803
    """X with tensordot(A, X, X.ndim) = B: A's first B.ndim axes index the equations (the
    rest X's entries; A's axes `dims` moved last first), A reshaped to a square matrix for
    the op solve: PyTorch's linalg.tensorsolve. As PyTorch's and NumPy's, those axes need
    only hold B's size, the equations taken in the order of B's entries (B.ravel()). A
    singular one is refused as solve refuses it."""
    A, B = to_tensor(A), to_tensor(B)  # noqa: N806
    if dims is not None:
        axes = ints("tensorsolve", tuple(dims) if isinstance(dims, (list, tuple)) else (dims,))
        if any(not -A.ndim <= d < A.ndim for d in axes):
            raise ValueError(f"tensorsolve: dims {tuple(axes)} out of range for A of shape "
                             f"{A.shape}")
        axes = tuple(d % A.ndim for d in axes)
        A = A.moveaxis(axes, tuple(range(A.ndim - len(axes), A.ndim)))  # noqa: N806
    equations, unknown = A.shape[:B.ndim], A.shape[B.ndim:]
    if math.prod(equations) != B.size or math.prod(unknown) != B.size:
        raise ValueError(f"tensorsolve: A of shape {A.shape} does not fit B of shape "
                         f"{B.shape}: the products of A's first {B.ndim} axes "
                         f"({math.prod(equations)}) and of the rest ({math.prod(unknown)}) "
                         f"must each equal B's size ({B.size})")
    square = A.reshape((B.size, B.size))
    return Solve.apply(square, B.reshape((B.size,)), vector=True).reshape(unknown)


def vecdot(x: Any, y: Any, *, dim: int = -1) -> Tensor:
    """The dot product of x's and y's vectors along `dim`, the other axes broadcast:
    sum(x * y, dim), PyTorch's linalg.vecdot (real: no conjugate). Float tensors, as
    PyTorch's."""
    x, y = to_tensor(x), to_tensor(y)
    for name, t in (("x", x), ("y", y)):
        if t.dtype.kind != "f":
            raise TypeError(f"vecdot: {name} must be a float tensor (as in PyTorch), got "
                            f"dtype {t.dtype}; cast it with .double()")
    integer("vecdot", "dim", dim)
    try:
        shape = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"vecdot: x of shape {x.shape} and y of shape {y.shape} do not "
                         f"broadcast together") from None
    if not -len(shape) <= dim < max(len(shape), 1):
        raise IndexError(f"vecdot: dim {dim} out of range for the broadcast shape {shape}")
    return (x * y).sum(axis=dim)


def _reflectors(name: str, A: Tensor, tau: Tensor, rows: int) -> Tensor:  # noqa: N803
    """The Householder vectors v_i (columns, v_i[i] = 1, A's entries below it) of LAPACK's
    geqrf output A (..., rows, >= k), for tau's k reflectors, checked."""
    if A.ndim < 2:
        raise ValueError(f"{name}: A must have at least 2 dimensions (a matrix or a batch of "
                         f"them), got shape {A.shape}")
    if tau.ndim != A.ndim - 1 or tau.shape[:-1] != A.shape[:-2]:
        raise ValueError(f"{name}: tau of shape {tau.shape} must have A's batch shape "
                         f"{A.shape[:-2]} and one axis more (one scalar per reflector)")
    k = tau.shape[-1]
    if A.shape[-1] < k or rows < k:
        raise ValueError(f"{name}: {k} reflectors (tau of shape {tau.shape}) need A (shape "
                         f"{A.shape}) of at least {k} columns and {k} rows")
    unit = Tensor(np.eye(rows, k, dtype=A.dtype), name="identity")  # (named: not an input)
    return A[..., :, :k].tril(-1) + unit


def householder_product(A: Any, tau: Any) -> Tensor:  # noqa: N803
    """The first n columns of Q = H_1 @ ... @ H_k, H_i = I - tau_i v_i v_i.T, v_i LAPACK's
    Householder vector stored in A's column i below the diagonal (1 on it) for an m x n A,
    m >= n >= k: PyTorch's linalg.householder_product (and torch.orgqr), each H applied
    in turn, so the gradient (for A and tau) is the composition's."""
    A, tau = to_tensor(A), to_tensor(tau)  # noqa: N806
    m, n = A.shape[-2:] if A.ndim >= 2 else (0, 0)
    if A.ndim >= 2 and m < n:
        raise ValueError(f"householder_product: A (shape {A.shape}) must have at least as "
                         f"many rows as columns")
    vectors = _reflectors("householder_product", A, tau, m)
    out = Tensor(np.broadcast_to(np.eye(m, n, dtype=vectors.dtype), A.shape), name="identity")
    for i in reversed(range(tau.shape[-1])):  # (H_1 @ (H_2 @ ... (H_k @ I)))
        v = vectors[..., :, i:i + 1]
        out = out - (tau[..., i, None, None] * v) @ (v.mT @ out)
    return out


def ormqr(input: Any, tau: Any, other: Any, left: bool = True,  # noqa: A002
          transpose: bool = False) -> Tensor:
    """Q @ other (`left`, else other @ Q; `transpose`: Q.T) for the full Q = H_1 @ ... @
    H_k of LAPACK's Householder reflectors stored in `input` (as householder_product's):
    PyTorch's ormqr, each H applied in turn (gradients for input, tau and other)."""
    left = check_flag("ormqr", "left", left)
    transpose = check_flag("ormqr", "transpose", transpose)
    A, tau, C = to_tensor(input), to_tensor(tau), to_tensor(other)  # noqa: N806
    if C.ndim < 2:
        raise ValueError(f"ormqr: other must have at least 2 dimensions (a matrix or a batch "
                         f"of them), got shape {C.shape}")
    size = C.shape[-2] if left else C.shape[-1]
    if A.ndim >= 2 and A.shape[-2] != size:
        raise ValueError(f"ormqr: input of shape {A.shape} needs {A.shape[-2]} "
                         f"{'rows' if left else 'columns'} in other, got shape {C.shape}")
    vectors = _reflectors("ormqr", A, tau, size)
    steps = range(tau.shape[-1])
    # Q @ C applies H_k first; Q.T @ C, H_1 first; C @ Q, H_1 first; C @ Q.T, H_k first
    for i in (reversed(steps) if left != transpose else steps):
        v, t = vectors[..., :, i:i + 1], tau[..., i, None, None]
        C = C - (t * v) @ (v.mT @ C) if left else C - ((C @ v) * t) @ v.mT  # noqa: N806
    return C

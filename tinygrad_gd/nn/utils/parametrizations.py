"""PyTorch's `nn.utils.parametrizations`: weight norm, spectral norm and orthogonal weights,
each a parametrization registered by `parametrize.register_parametrization`.

`weight_norm(layer)`: weight = g * v / ||v||, the norm over every axis but `dim` (over all
of them for dim=None); `original0` is g, `original1` is v. `spectral_norm(layer)`: weight
divided by its largest singular value sigma, estimated by power iteration on the weight as
a matrix (axis `dim` its rows); the vectors `_u` and `_v` are buffers, refined at each
access in training mode only, and sigma = u . (W v) carries the gradient. `orthogonal`:
an orthogonal weight (orthonormal rows or columns for a non-square one) from an
unconstrained original through 'matrix_exp', 'cayley' (the skew-symmetric matrix made of
the original's lower triangle, mapped by exp or by (I - A/2)^-1 (I + A/2)) or
'householder' (a product of reflections); with use_trivialization (the default) the
original starts at the neutral point and the weight is `base @ map(original)`, `base` the
weight made orthogonal (a buffer), as PyTorch's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ... import functional as tg
from ... import linalg
from ...creation import eye, make_generator, zeros
from ...grad_mode import check_flag
from ...ops.arguments import check_axis, integer, number
from ...tensor import Tensor
from .. import functional as F
from ..layer_arguments import _named
from ..module import Module
from ..transposed import ConvTranspose1d, ConvTranspose2d
from .parametrize import register_parametrization

__all__ = ["weight_norm", "spectral_norm", "orthogonal"]

_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def norm_except_dim(v: Tensor, dim: int, where: str) -> Tensor:
    """The 2-norm of `v` over every axis but `dim`, kept as size-1 axes (PyTorch's
    norm_except_dim); dim=-1 means over every axis, a 0-d result, as PyTorch's."""
    if dim == -1:
        return v.norm()
    dim = check_axis(where, dim, v.ndim) % v.ndim
    return v.norm(axis=tuple(a for a in range(v.ndim) if a != dim), keepdims=True)


def _tensor_named(module: Module, name: Any, where: str) -> Tensor:
    if not isinstance(name, str):
        raise TypeError(f"{where}: name must be a string, got {type(name).__name__}")
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"{where}: {type(module).__name__} has no parameter or buffer named "
                         f"{name!r}")
    return weight


class _WeightNorm(Module):
    """weight = g * v / norm_except_dim(v, dim): forward(g, v); right_inverse gives (g, v)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else integer("weight_norm", "dim", dim)

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, self.dim, "weight_norm"))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, self.dim, "weight_norm"), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize `module.name` as g * v / ||v|| (PyTorch's parametrizations.weight_norm):
    g (`parametrizations.weight.original0`) holds the norms over every axis but `dim`
    (0: one per output row or channel; None: one for the whole tensor), v
    (`original1`) the direction. Returns the module."""
    _tensor_named(module, name, "weight_norm")
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


def weight_matrix(weight: Tensor, dim: int) -> Tensor:
    """The weight as a matrix whose rows run along axis `dim` (spectral norm's view)."""
    if dim:
        weight = weight.permute(dim, *(a for a in range(weight.ndim) if a != dim))
    return weight.reshape(weight.shape[0], -1)


def unit(x: np.ndarray, eps: float) -> np.ndarray:
    """x / max(||x||, eps) (F.normalize of a vector, on arrays: no graph)."""
    return x / np.maximum(np.linalg.norm(x), np.asarray(eps, x.dtype))


def spectral_dim(module: Module, dim: Any) -> int:
    """dim=None: 1 for a transposed convolution (its weight is (in, out, ...)), else 0."""
    if dim is None:
        return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    return integer("spectral_norm", "dim", dim)


def check_power_iterations(n_power_iterations: Any, where: str) -> int:
    n = integer(where, "n_power_iterations", n_power_iterations)
    if n <= 0:
        raise ValueError(f"{where}: n_power_iterations must be positive, got {n}")
    return n


class _SpectralNorm(Module):
    """weight / sigma, sigma = u . (W v) with W the weight as a matrix (rows along `dim`);
    a 1-d weight is normalized. u and v (buffers `_u`, `_v`) are refined by power
    iteration at each forward in training mode, without a graph."""

    _positional_tensors = 1  # (its constructor takes the weight)

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        where = "spectral_norm"
        ndim = weight.ndim
        self.dim = check_axis(where, dim, max(ndim, 1)) % max(ndim, 1)  # (an IndexError too)
        self.n_power_iterations = check_power_iterations(n_power_iterations, where)
        self.eps = number(where, "eps", eps, 0)
        if ndim > 1:
            matrix = weight_matrix(weight, self.dim)._data
            rng = make_generator(None, None, where)
            dtype = matrix.dtype
            self.register_buffer("_u", unit(rng.standard_normal(matrix.shape[0]).astype(dtype),
                                            self.eps))
            self.register_buffer("_v", unit(rng.standard_normal(matrix.shape[1]).astype(dtype),
                                            self.eps))
            self._power_method(matrix, 15)

    def _power_method(self, matrix: np.ndarray, iterations: int) -> None:
        u, v = self._u._data, self._v._data
        for _ in range(iterations):
            u = unit(matrix @ v, self.eps)
            v = unit(matrix.T @ u, self.eps)
        self._u[...] = u  # (in place, counted: the buffers keep their identity)
        self._v[...] = v

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        matrix = weight_matrix(weight, self.dim)
        if self.training:
            self._power_method(matrix._data, self.n_power_iterations)
        # copies: a later update of the buffers must not change what backward uses
        u = Tensor(self._u._data.copy(), name="spectral_norm u")
        v = Tensor(self._v._data.copy(), name="spectral_norm v")
        sigma = (u * (matrix @ v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide `module.name` by its spectral norm (largest singular value), estimated by
    power iteration (PyTorch's parametrizations.spectral_norm): `n_power_iterations` steps
    per access in training mode, from vectors drawn at registration (tg.manual_seed's
    generator if seeded) and refined by 15 steps then. `dim`: the axis of the matrix's
    rows (None: 0, or 1 for ConvTranspose). Returns the module."""
    weight = _tensor_named(module, name, "spectral_norm")
    register_parametrization(module, name, _SpectralNorm(
        weight, n_power_iterations, spectral_dim(module, dim), eps))
    return module


def _householder(X: Tensor) -> Tensor:  # noqa: N803
    """The first k columns of H_1 ... H_k (X tall, n x k): H_i = I - tau_i v_i v_i^T with
    v_i = e_i + the entries of X's column i below the diagonal, tau_i = 2 / ||v_i||^2 (a
    reflection: linalg.householder_product), times the sign of X's diagonal entries cut to
    integers (PyTorch's map)."""
    below = X.tril(-1)
    tau = 2.0 / (1.0 + (below * below).sum(axis=-2))
    signs = np.trunc(linalg.diagonal(X)._data)  # (no gradient through the diagonal)
    return linalg.householder_product(X, tau) * Tensor(signs[..., None, :],
                                                       name="orthogonal signs")


def _make_orthogonal(A: np.ndarray) -> np.ndarray:  # noqa: N803
    """Q of A = QR (A tall) with R's diagonal made non-negative (0 where it is 0)."""
    Q, R = np.linalg.qr(A)  # noqa: N806
    return Q * np.sign(np.diagonal(R, axis1=-2, axis2=-1))[..., None, :]


def _is_orthogonal(Q: np.ndarray) -> bool:  # noqa: N803
    n, k = Q.shape[-2:]
    eps = 10.0 * n * np.finfo(Q.dtype).eps
    return bool(np.allclose(np.swapaxes(Q, -1, -2) @ Q, np.eye(k), atol=eps))


def _householder_vectors(Q: np.ndarray) -> np.ndarray:  # noqa: N803
    """LAPACK's geqrf of each matrix (reflectors below the diagonal), the diagonal set to
    R's signs, flipped where a reflection was skipped (tau 0): the inverse of the map."""
    flat = Q.reshape(-1, *Q.shape[-2:])
    result = np.empty_like(flat)
    for i, matrix in enumerate(flat):
        h, tau = np.linalg.qr(matrix, mode="raw")
        vectors = h.T.copy()
        diagonal = np.sign(np.diagonal(vectors))
        diagonal = np.where(tau == 0.0, -diagonal, diagonal)
        np.fill_diagonal(vectors, diagonal)
        result[i] = vectors
    return result.reshape(Q.shape).astype(Q.dtype)


class _Orthogonal(Module):
    """An orthogonal matrix (or batch) from an unconstrained one, PyTorch's map (see the
    module's docstring); `base` (a buffer) is set by right_inverse with trivialization."""

    _positional_tensors = 1  # (its constructor takes the weight)

    def __init__(self, weight: Tensor, orthogonal_map: str, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n  # noqa: N806  (a tall matrix from here)
        if self.orthogonal_map == "householder":
            Q = _householder(X)  # noqa: N806
        else:  # a skew-symmetric n x n matrix from the lower triangle
            X = X.tril()  # noqa: N806
            if n != k:
                padding = _named(zeros((*X.shape[:-2], n, n - k), dtype=X.dtype),
                                 "orthogonal padding")
                X = tg.cat([X, padding], axis=-1)  # noqa: N806
            A = X - X.mT  # noqa: N806
            if self.orthogonal_map == "matrix_exp":
                Q = linalg.matrix_exp(A)  # noqa: N806
            else:  # Cayley: (I - A/2)^-1 (I + A/2)
                identity = _named(eye(n, dtype=A.dtype), "cayley identity")
                Q = linalg.solve(identity - 0.5 * A, identity + 0.5 * A)  # noqa: N806
            Q = Q[..., :k] if n != k else Q  # noqa: N806
        if "base" in vars(self):
            Q = self.base @ Q  # noqa: N806
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803
        """With trivialization: base = Q made orthogonal (completed to a square one), and
        the original the neutral point (-I); without: the Householder vectors of Q."""
        where = "orthogonal"
        if Q.shape != self.shape:
            raise ValueError(f"{where}: expected a matrix (or batch) of shape {self.shape}, "
                             f"got shape {Q.shape}")
        values = Q._data
        n, k = values.shape[-2:]
        transposed = n < k
        if transposed:
            values, n, k = np.swapaxes(values, -1, -2), k, n
        if "base" not in vars(self):
            if self.orthogonal_map != "householder":
                raise NotImplementedError(f"{where}: a {self.orthogonal_map} parametrization "
                                          f"with use_trivialization=False cannot be assigned")
            vectors = _householder_vectors(values)
            return Tensor(np.swapaxes(vectors, -1, -2) if transposed else vectors)
        if n == k and _is_orthogonal(values):
            base = values.copy()
        else:
            if n != k:  # completed with random columns to a square matrix
                rng = make_generator(None, None, where)
                extra = rng.standard_normal((*values.shape[:-2], n, n - k)).astype(values.dtype)
                values = np.concatenate([values, extra], axis=-1)
            base = _make_orthogonal(values)
        self.base = Tensor(base.astype(Q.dtype))
        neutral = np.zeros(Q.shape, Q.dtype)  # -I: every map gives the identity from it
        neutral[..., range(min(Q.shape[-2:])), range(min(Q.shape[-2:]))] = -1.0
        return Tensor(neutral)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Keep `module.name` an orthogonal matrix (or a batch; orthonormal rows or columns
    when not square): PyTorch's parametrizations.orthogonal. `orthogonal_map`:
    'matrix_exp', 'cayley' or 'householder' (None: 'matrix_exp' for a square weight,
    'householder' otherwise). Returns the module."""
    where = "orthogonal"
    weight = _tensor_named(module, name, where)
    if weight.ndim < 2:
        raise ValueError(f"{where}: expected a matrix or a batch of matrices, got a tensor of "
                         f"shape {weight.shape}")
    use_trivialization = check_flag(where, "use_trivialization", use_trivialization)
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError(f"{where}: orthogonal_map must be one of 'matrix_exp', 'cayley', "
                         f"'householder' (or None), got {orthogonal_map!r}")
    register_parametrization(module, name, _Orthogonal(
        weight, orthogonal_map, use_trivialization=use_trivialization), unsafe=True)
    return module

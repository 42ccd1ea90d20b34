"""Distributions of vectors: `MultivariateNormal` and `Independent` (PyTorch's).

MultivariateNormal(loc, covariance_matrix= | precision_matrix= | scale_tril=) works
through the lower Cholesky factor L of the covariance (L L^T = Sigma): log_prob solves
L z = x - loc (tg.linalg.solve_triangular) for the Mahalanobis term z.z, log det Sigma is
2 sum(log diag L), rsample is loc + L eps. A precision matrix P gives L as PyTorch's does:
the Cholesky factor of P with its rows and columns reversed, flipped back, transposed and
inverted (no inverse of P itself); Wishart (matrix_distributions.py) takes Sigma the same
three ways, through the same helpers. `Independent(base, k)` reads the last k batch axes of
`base` as one event: log_prob and entropy summed over them.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import linalg
from ..linalg_toplevel import cholesky_inverse
from ..nn.layer_arguments import _named
from ..ops.arguments import integer
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, as_float_tensors, constant, draw

__all__ = ["MultivariateNormal", "Independent"]

_MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril")


def _lower_solve(scale_tril: Tensor, vectors: Tensor) -> Tensor:
    """L^-1 x for each vector x (the last axis), L broadcast over x's other axes."""
    shape = np.broadcast_shapes(scale_tril.shape[:-2], vectors.shape[:-1])
    n = vectors.shape[-1]
    return linalg.solve_triangular(scale_tril.broadcast_to(shape + (n, n)),
                                   vectors.broadcast_to(shape + (n,))[..., None],
                                   upper=False)[..., 0]


def _identity(n: int, dtype: Any) -> Tensor:
    """The n x n identity in `dtype`, named (unnamed, a diagram would draw it as an input)."""
    return _named(constant(np.eye(n), dtype), "identity")


def _one_matrix(where: str, covariance_matrix: Any, precision_matrix: Any,
                scale_tril: Any) -> tuple[str, Any]:
    """(name, matrix) of the one of covariance_matrix, precision_matrix and scale_tril
    given (MultivariateNormal's and Wishart's Sigma); none or two are one line."""
    given = [(name, value) for name, value in zip(
        _MATRICES, (covariance_matrix, precision_matrix, scale_tril)) if value is not None]
    if len(given) != 1:
        raise ValueError(f"{where}: give exactly one of covariance_matrix=, "
                         f"precision_matrix= or scale_tril=, got "
                         f"{', '.join(n for n, _ in given) or 'none'}")
    return given[0]


def _scale_tril(name: str, matrix: Tensor) -> Tensor:
    """The lower Cholesky factor L of Sigma (L L^T = Sigma) from the matrix given as `name`.
    Of a precision matrix P = Sigma^-1, PyTorch's way: the Cholesky factor of P with its
    rows and columns reversed, flipped back, transposed and inverted (no inverse of P)."""
    if name == "scale_tril":
        return matrix
    if name == "covariance_matrix":
        return linalg.cholesky(matrix)
    inverse_l = linalg.cholesky(matrix.flip((-2, -1))).flip((-2, -1)).mT
    return linalg.solve_triangular(inverse_l, _identity(matrix.shape[-1], inverse_l.dtype),
                                   upper=False)


class _GivenSigma:
    """Sigma's three matrices as PyTorch's properties, for a distribution given one of them
    (MultivariateNormal, Wishart): its constructor sets `_name` (the one given), `_matrix`
    (it, broadcast to the batch) and `_unbroadcasted_scale_tril` (Sigma's L)."""

    _name: str
    _matrix: Tensor
    _unbroadcasted_scale_tril: Tensor

    def _shaped(self, name: str, compute: Any) -> Tensor:
        """The matrix `name`: the one given, or `compute()` broadcast to the batch."""
        if name == self._name:
            return self._matrix
        out, shape = compute(), self._matrix.shape
        return out if out.shape == shape else out.broadcast_to(shape)

    @property
    def scale_tril(self) -> Tensor:
        return self._shaped("scale_tril", lambda: self._unbroadcasted_scale_tril)

    @property
    def covariance_matrix(self) -> Tensor:
        def compute() -> Tensor:
            low = self._unbroadcasted_scale_tril
            return low @ low.mT
        return self._shaped("covariance_matrix", compute)

    @property
    def precision_matrix(self) -> Tensor:
        return self._shaped("precision_matrix",
                            lambda: cholesky_inverse(self._unbroadcasted_scale_tril))


class MultivariateNormal(_GivenSigma, Distribution):
    """N(loc, Sigma) of vectors of length n (the last axis of loc): PyTorch's
    MultivariateNormal, Sigma given as covariance_matrix=, precision_matrix= (its inverse)
    or scale_tril= (its lower Cholesky factor), exactly one."""

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Any, covariance_matrix: Any = None, precision_matrix: Any = None,
                 scale_tril: Any = None, validate_args: bool | None = None) -> None:
        where = "MultivariateNormal"
        name, matrix = _one_matrix(where, covariance_matrix, precision_matrix, scale_tril)
        loc, matrix = as_float_tensors(where, loc, matrix)
        if loc.ndim < 1:
            raise ValueError(f"{where}: loc must have at least one axis (a vector of length "
                             f"n), got a single number; give loc of shape (n,)")
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2] or \
                matrix.shape[-1] != loc.shape[-1]:
            raise ValueError(f"{where}: {name} must be square matrices of size n = "
                             f"{loc.shape[-1]} (loc's last axis), of shape (..., n, n), got "
                             f"shape {matrix.shape}")
        try:
            batch_shape = np.broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
        except ValueError:
            raise ValueError(f"{where}: the batch axes of loc (shape {loc.shape}) and {name} "
                             f"(shape {matrix.shape}) do not broadcast together") from None
        n = loc.shape[-1]
        self.loc = loc.broadcast_to(batch_shape + (n,)) if loc.shape[:-1] != batch_shape \
            else loc
        self._given, self._name = ("loc", name), name
        self._matrix = matrix.broadcast_to(batch_shape + (n, n)) \
            if matrix.shape[:-2] != batch_shape else matrix
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        self._unbroadcasted_scale_tril = _scale_tril(name, matrix)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        out = self._unbroadcasted_scale_tril.square().sum(axis=-1)
        shape = self._batch_shape + self._event_shape
        return out if out.shape == shape else out.broadcast_to(shape)

    def _half_log_det(self) -> Tensor:
        """log det(L) = log sqrt(det Sigma)."""
        return linalg.diagonal(self._unbroadcasted_scale_tril).log().sum(axis=-1)

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = draw("MultivariateNormal.rsample", generator, seed,
                   lambda rng: rng.standard_normal(shape), self._dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps[..., None])[..., 0]

    def log_prob(self, value: Any) -> Tensor:
        diff = self._value(value, "log_prob") - self.loc
        mahalanobis = _lower_solve(self._unbroadcasted_scale_tril, diff).square().sum(axis=-1)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + mahalanobis) - self._half_log_det()

    def entropy(self) -> Tensor:
        n = self._event_shape[0]
        out = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return out if out.shape == self._batch_shape else out.broadcast_to(self._batch_shape)


class Independent(Distribution):
    """`base_distribution` with its last `reinterpreted_batch_ndims` batch axes read as
    event axes: PyTorch's Independent (a diagonal Normal as one distribution of vectors)."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"Independent: base_distribution must be a Distribution, got "
                            f"{type(base_distribution).__name__}")
        k = integer("Independent", "reinterpreted_batch_ndims", reinterpreted_batch_ndims)
        batch = base_distribution.batch_shape
        if not 0 <= k <= len(batch):
            raise ValueError(f"Independent: reinterpreted_batch_ndims must be in [0, "
                             f"{len(batch)}] (the batch axes of {base_distribution!r}), got "
                             f"{k}")
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, k
        shape = batch + base_distribution.event_shape
        cut = len(batch) - k
        super().__init__(shape[:cut], shape[cut:], validate_args=validate_args)

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self) -> bool:  # type: ignore[override]
        return self.reinterpreted_batch_ndims == 0 and self.base_dist.has_enumerate_support

    @property
    def support(self) -> constraints.Constraint:
        return constraints.independent(self.base_dist.support, self.reinterpreted_batch_ndims)

    @property
    def _dtype(self) -> np.dtype:
        return self.base_dist._dtype

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def _summed(self, values: Tensor) -> Tensor:
        k = self.reinterpreted_batch_ndims
        return values.sum(axis=tuple(range(-k, 0))) if k else values

    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        return self.base_dist.sample(sample_shape, generator=generator, seed=seed)

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        return self.base_dist.rsample(sample_shape, generator=generator, seed=seed)

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value if isinstance(value, Tensor) else constant(value),
                                  "log_prob")
        return self._summed(self.base_dist.log_prob(value))

    def entropy(self) -> Tensor:
        return self._summed(self.base_dist.entropy())

    def enumerate_support(self, expand: bool = True) -> Tensor:
        if self.reinterpreted_batch_ndims:
            raise NotImplementedError("Independent: enumerate_support of an event of more "
                                      "than one value is not defined (as in PyTorch)")
        return self.base_dist.enumerate_support(expand)

    def expand(self, batch_shape: Any, _instance: Any = None) -> "Independent":
        shape = tuple(batch_shape) if isinstance(batch_shape, (tuple, list)) else batch_shape
        k = self.reinterpreted_batch_ndims
        base_batch = self.base_dist.batch_shape
        new = Independent(self.base_dist.expand(
            tuple(shape) + base_batch[len(base_batch) - k:]), k, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"

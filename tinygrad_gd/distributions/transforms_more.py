"""More of PyTorch's torch.distributions.transforms: `SoftplusTransform`,
`ReshapeTransform`, `IndependentTransform`, `CatTransform`, `StackTransform`,
`StickBreakingTransform`, `LowerCholeskyTransform`, `PositiveDefiniteTransform`,
`CorrCholeskyTransform`, `CumulativeDistributionTransform` (the base and the first ones
are in transforms_basic.py; the module `transforms` has them all).

Each is made of Tensor ops, so gradients reach the values and any parameters, with
PyTorch's formulas: softplus's inverse log(-expm1(-y)) + y; the stick-breaking map of n
reals to the simplex of n + 1 entries, its k-th piece sigmoid(x_k - ln(n - k)) of what is
left (its inverse kept > 0 by the dtype's tiny, as PyTorch's); the correlation Cholesky
factor of D(D - 1)/2 reals (tanh, then a signed stick-breaking of each row's squares:
rows of unit length); the lower Cholesky factor's diagonal by exp (Lower/PositiveDefinite
are not bijective in PyTorch's words: no log_abs_det_jacobian). Cat/Stack apply a
transform to each piece of an axis, as tg.cat/tg.stack join them; their domains are
constraints.cat/stack. A shape that does not fit is a one-line ValueError naming the
transform (an axis out of range an IndexError), where PyTorch's asserts.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import linalg
from ..creation import _sizes
from ..functional import cat, stack
from ..nn.functional import logsigmoid, pad
from ..nn.layer_arguments import _named
from ..ops.arguments import integer
from ..tensor import Tensor, to_tensor
from . import constraints
from .distribution import Distribution, constant
from .transforms_basic import Transform, _Stateless, _clipped_sigmoid, sum_rightmost

__all__ = ["SoftplusTransform", "ReshapeTransform", "IndependentTransform", "CatTransform",
           "StackTransform", "StickBreakingTransform", "LowerCholeskyTransform",
           "PositiveDefiniteTransform", "CorrCholeskyTransform",
           "CumulativeDistributionTransform"]


def _transforms(where: str, tseq: Any, cache_size: int) -> list[Transform]:
    tseq = list(tseq)
    for k, part in enumerate(tseq):
        if not isinstance(part, Transform):
            raise TypeError(f"{where}: tseq[{k}] must be a Transform, got "
                            f"{type(part).__name__}")
    return [part.with_cache(cache_size) for part in tseq] if cache_size else tseq


def _at_least(where: str, shape: tuple, ndim: int, what: str) -> None:
    if len(shape) < ndim:
        raise ValueError(f"{where}: {what} of shape {tuple(shape)} has fewer than {ndim} "
                         f"axes (the event's); give values of at least {ndim} axes")


class SoftplusTransform(_Stateless):
    """y = softplus(x) = ln(1 + e**x): PyTorch's SoftplusTransform."""

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = 1

    def _call(self, x: Tensor) -> Tensor:
        return x.softplus()

    def _inverse(self, y: Tensor) -> Tensor:
        return (-(-y).expm1()).log() + y

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return -(-to_tensor(x)).softplus()


class ReshapeTransform(Transform):
    """The last axes of shape in_shape reshaped to out_shape (as many entries): PyTorch's
    ReshapeTransform(in_shape, out_shape, cache_size=0); its Jacobian's log is 0."""

    bijective = True

    def __init__(self, in_shape: Any, out_shape: Any, cache_size: int = 0) -> None:
        self.in_shape = _sizes("ReshapeTransform", (in_shape,))
        self.out_shape = _sizes("ReshapeTransform", (out_shape,))
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError(f"ReshapeTransform: in_shape {self.in_shape} and out_shape "
                             f"{self.out_shape} have different numbers of elements "
                             f"({math.prod(self.in_shape)} and {math.prod(self.out_shape)}); "
                             f"give shapes of as many entries")
        super().__init__(cache_size=cache_size)

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.out_shape))

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else ReshapeTransform(
            self.in_shape, self.out_shape, cache_size)

    def _swap(self, shape: Any, old: tuple, new: tuple) -> tuple[int, ...]:
        shape = tuple(shape)
        cut = len(shape) - len(old)
        if cut < 0 or shape[cut:] != old:
            raise ValueError(f"ReshapeTransform: a value of shape {shape} does not end in "
                             f"the event shape {old}; give values of shape (..., "
                             f"{', '.join(map(str, old))})")
        return shape[:cut] + new

    def _call(self, x: Tensor) -> Tensor:
        return x.reshape(self._swap(x.shape, self.in_shape, self.out_shape))

    def _inverse(self, y: Tensor) -> Tensor:
        return y.reshape(self._swap(y.shape, self.out_shape, self.in_shape))

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = to_tensor(x)
        return _named(constant(np.zeros(self._swap(x.shape, self.in_shape, ())), x.dtype),
                      "0 (a reshape's log|det J|)")

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        return self._swap(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        return self._swap(shape, self.out_shape, self.in_shape)


class IndependentTransform(Transform):
    """base_transform with its last reinterpreted_batch_ndims more axes read as the event
    (log_abs_det_jacobian summed over them): PyTorch's IndependentTransform."""

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int,
                 cache_size: int = 0) -> None:
        if not isinstance(base_transform, Transform):
            raise TypeError(f"IndependentTransform: base_transform must be a Transform, got "
                            f"{type(base_transform).__name__}")
        count = integer("IndependentTransform", "reinterpreted_batch_ndims",
                        reinterpreted_batch_ndims)
        if count < 0:
            raise ValueError(f"IndependentTransform: reinterpreted_batch_ndims must be >= 0, "
                             f"got {count}")
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = count

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else IndependentTransform(
            self.base_transform, self.reinterpreted_batch_ndims, cache_size)

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(self.base_transform.domain,
                                       self.reinterpreted_batch_ndims)

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(self.base_transform.codomain,
                                       self.reinterpreted_batch_ndims)

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return self.base_transform.bijective

    @property
    def sign(self) -> Any:
        return self.base_transform.sign

    def _call(self, x: Tensor) -> Tensor:
        _at_least("IndependentTransform", x.shape, self.domain.event_dim, "x")
        return self.base_transform(x)

    def _inverse(self, y: Tensor) -> Tensor:
        _at_least("IndependentTransform", y.shape, self.codomain.event_dim, "y")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y),
                             self.reinterpreted_batch_ndims)

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        return self.base_transform.inverse_shape(shape)

    def __repr__(self) -> str:
        return f"IndependentTransform({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class _ByPieces(Transform):
    """A transform made of one transform per piece of axis `dim` (Cat's and Stack's)."""

    transforms: list[Transform]
    dim: int

    def _axis(self, value: Tensor, what: str) -> int:
        name = type(self).__name__
        if not -value.ndim <= self.dim < value.ndim:
            raise IndexError(f"{name}: dim {self.dim} is out of range for {what} of shape "
                             f"{value.shape}; give values with that axis")
        axis = self.dim % value.ndim
        if value.shape[axis] != self._length:
            raise ValueError(f"{name}: {what} has {value.shape[axis]} entries along dim "
                             f"{self.dim} (shape {value.shape}), the transforms need "
                             f"{self._length}; give values of that length")
        return axis

    @property
    def _length(self) -> int:
        return len(self.transforms)

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(t.bijective for t in self.transforms)


class CatTransform(_ByPieces):
    """tseq[k] applied to the k-th piece of axis `dim`, lengths[k] entries long (1 each
    by default), the results joined by tg.cat: PyTorch's CatTransform(tseq, dim=0,
    lengths=None, cache_size=0)."""

    def __init__(self, tseq: Any, dim: int = 0, lengths: Any = None,
                 cache_size: int = 0) -> None:
        transforms = _transforms("CatTransform", tseq, cache_size)
        super().__init__(cache_size=cache_size)
        self.transforms = transforms
        self.lengths = [1] * len(transforms) if lengths is None else [
            integer("CatTransform", "lengths", n) for n in lengths]
        if len(self.lengths) != len(self.transforms):
            raise ValueError(f"CatTransform: {len(self.lengths)} lengths for "
                             f"{len(self.transforms)} transforms; give one length each")
        self.dim = integer("CatTransform", "dim", dim)

    @property
    def event_dim(self) -> int:
        return max((t.event_dim for t in self.transforms), default=0)

    @property
    def length(self) -> int:
        """The total length of the pieces along dim."""
        return sum(self.lengths)

    _length = length

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else CatTransform(
            self.transforms, self.dim, self.lengths, cache_size)

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def _pieces(self, value: Tensor, what: str) -> list[Tensor]:
        axis = self._axis(value, what)
        starts = np.cumsum([0] + self.lengths[:-1])
        return [value.narrow(axis, int(s), n) for s, n in zip(starts, self.lengths)]

    def _call(self, x: Tensor) -> Tensor:
        return cat([t(p) for t, p in zip(self.transforms, self._pieces(x, "x"))],
                   dim=self.dim)

    def _inverse(self, y: Tensor) -> Tensor:
        return cat([t.inv(p) for t, p in zip(self.transforms, self._pieces(y, "y"))],
                   dim=self.dim)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x, y = to_tensor(x), to_tensor(y)
        event_dim = self.event_dim
        terms = [sum_rightmost(t.log_abs_det_jacobian(a, b), event_dim - t.event_dim)
                 for t, a, b in zip(self.transforms, self._pieces(x, "x"),
                                    self._pieces(y, "y"))]
        # dim inside the event: the pieces' terms add up; else they sit side by side
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + event_dim
        if dim < 0:
            return cat(terms, dim=dim)
        return sum(terms[1:], terms[0])


class StackTransform(_ByPieces):
    """tseq[k] applied to entry k of axis `dim`, the results joined by tg.stack: PyTorch's
    StackTransform(tseq, dim=0, cache_size=0)."""

    def __init__(self, tseq: Any, dim: int = 0, cache_size: int = 0) -> None:
        transforms = _transforms("StackTransform", tseq, cache_size)
        super().__init__(cache_size=cache_size)
        self.transforms, self.dim = transforms, integer("StackTransform", "dim", dim)

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else StackTransform(
            self.transforms, self.dim, cache_size)

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def _slices(self, value: Tensor, what: str) -> list[Tensor]:
        axis = self._axis(value, what)
        return [value.select(axis, k) for k in range(value.shape[axis])]

    def _call(self, x: Tensor) -> Tensor:
        return stack([t(p) for t, p in zip(self.transforms, self._slices(x, "x"))],
                     dim=self.dim)

    def _inverse(self, y: Tensor) -> Tensor:
        return stack([t.inv(p) for t, p in zip(self.transforms, self._slices(y, "y"))],
                     dim=self.dim)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x, y = to_tensor(x), to_tensor(y)
        return stack([t.log_abs_det_jacobian(a, b) for t, a, b in zip(
            self.transforms, self._slices(x, "x"), self._slices(y, "y"))], dim=self.dim)


def _log_offsets(n: int, dtype: Any) -> Tensor:
    """ln(n), ..., ln(1): the stick-breaking shifts (x = 0 maps to the simplex's centre)."""
    return _named(constant(np.log(np.arange(n, 0, -1, dtype=np.float64)), dtype),
                  "ln(n), ..., ln(1) (the shifts)")


class StickBreakingTransform(_Stateless):
    """n reals to a point of the simplex of n + 1 entries by breaking a stick: PyTorch's
    StickBreakingTransform (bijective, for HMC; mixes the coordinates)."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def _call(self, x: Tensor) -> Tensor:
        _at_least("StickBreakingTransform", x.shape, 1, "x")
        z = _clipped_sigmoid(x - _log_offsets(x.shape[-1], x.dtype))
        left = (1 - z).cumprod(-1)
        return pad(z, (0, 1), value=1.0) * pad(left, (1, 0), value=1.0)

    def _inverse(self, y: Tensor) -> Tensor:
        _at_least("StickBreakingTransform", y.shape, 1, "y")
        crop = y[..., :-1]
        rest = (1 - crop.cumsum(-1)).clamp(min=float(np.finfo(y.dtype).tiny))
        return crop.log() - rest.log() + _log_offsets(crop.shape[-1], y.dtype)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x, y = to_tensor(x), to_tensor(y)
        shifted = x - _log_offsets(x.shape[-1], x.dtype)
        # 1 - sigmoid(s) = e**-s sigmoid(s)
        return (-shifted + logsigmoid(shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        _at_least("StickBreakingTransform", shape, 1, "x")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        _at_least("StickBreakingTransform", shape, 1, "y")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


def _with_diagonal(where: str, matrices: Tensor, diagonal: Any) -> Tensor:
    """The strictly lower part of square `matrices` with diagonal(their diagonal) on it."""
    if matrices.ndim < 2 or matrices.shape[-1] != matrices.shape[-2]:
        raise ValueError(f"{where}: values must be square matrices (..., n, n), got shape "
                         f"{matrices.shape}")
    return matrices.tril(-1) + diagonal(linalg.diagonal(matrices)).diag_embed()


class LowerCholeskyTransform(_Stateless):
    """Square matrices to lower-triangular ones with a positive diagonal (the strictly
    lower part kept, the diagonal exp'd): PyTorch's LowerCholeskyTransform."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x: Tensor) -> Tensor:
        return _with_diagonal("LowerCholeskyTransform", x, Tensor.exp)

    def _inverse(self, y: Tensor) -> Tensor:
        return _with_diagonal("LowerCholeskyTransform", y, Tensor.log)


class PositiveDefiniteTransform(_Stateless):
    """Square matrices to positive-definite ones, L L^T of LowerCholeskyTransform's L:
    PyTorch's PositiveDefiniteTransform (inv by the Cholesky factor)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x: Tensor) -> Tensor:
        low = LowerCholeskyTransform()(x)
        return low @ low.mT

    def _inverse(self, y: Tensor) -> Tensor:
        return LowerCholeskyTransform().inv(linalg.cholesky(y))


def _lower_positions(size: int) -> np.ndarray:
    """The flat positions (row * size + column) of the strictly lower triangle of a
    size x size matrix, row by row (PyTorch's vec_to_tril_matrix order)."""
    rows, cols = np.tril_indices(size, -1)
    return rows * size + cols


class CorrCholeskyTransform(Transform):
    """D(D - 1)/2 reals to the lower Cholesky factor of a D x D correlation matrix (rows of
    unit length, positive diagonal): PyTorch's CorrCholeskyTransform; log_abs_det_jacobian
    is that of x and y's strictly lower part (its intermediates= unused, as PyTorch's)."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _tril(self, vectors: Tensor) -> Tensor:
        """Vectors of D(D - 1)/2 entries as strictly lower-triangular D x D matrices."""
        size = self.forward_shape(vectors.shape)[-1]
        index = np.zeros(size * size, dtype=np.int64)  # (0: the zero put in front)
        index[_lower_positions(size)] = np.arange(1, vectors.shape[-1] + 1)
        padded = pad(vectors, (1, 0), value=0.0)
        return padded[..., index].reshape(vectors.shape[:-1] + (size, size))

    @staticmethod
    def _vec(matrices: Tensor, diagonal: int) -> Tensor:
        size = matrices.shape[-1]
        rows, cols = np.tril_indices(size, diagonal)
        return matrices.reshape(matrices.shape[:-2] + (size * size,))[..., rows * size + cols]

    def _call(self, x: Tensor) -> Tensor:
        eps = float(np.finfo(x.dtype).eps)
        r = self._tril(x.tanh().clamp(min=-1 + eps, max=1 - eps))
        # y = r sqrt(prod of (1 - r**2) to its left): each row a signed stick-breaking
        left = (1 - r.square()).sqrt().cumprod(-1)
        diagonal = _named(constant(np.eye(r.shape[-1]), x.dtype), "identity (the diagonal)")
        return (r + diagonal) * pad(left[..., :-1], (1, 0), value=1.0)

    def _inverse(self, y: Tensor) -> Tensor:
        self.inverse_shape(y.shape)
        left = pad((1 - y.square().cumsum(-1))[..., :-1], (1, 0), value=1.0)
        t = self._vec(y, -1) / self._vec(left, -1).sqrt()
        return 0.5 * (t.log1p() - (-t).log1p())

    def log_abs_det_jacobian(self, x: Any, y: Any, intermediates: Any = None) -> Tensor:
        x, y = to_tensor(x), to_tensor(y)
        left = 1 - y.square().cumsum(-1)
        stick_breaking = 0.5 * self._vec(left, -2).log().sum(-1)
        tanh = -2 * (x + (-2 * x).softplus() - math.log(2.0)).sum(-1)
        return stick_breaking + tanh

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        _at_least("CorrCholeskyTransform", shape, 1, "x")
        n = shape[-1]
        size = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if size * (size - 1) // 2 != n:
            raise ValueError(f"CorrCholeskyTransform: x's last axis has {n} entries, not "
                             f"D(D - 1)/2 for any D (the strictly lower triangle of a D x D "
                             f"matrix); give 1, 3, 6, 10, ... entries")
        return tuple(shape[:-1]) + (size, size)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError(f"CorrCholeskyTransform: y must be square matrices (..., D, D), "
                             f"got shape {tuple(shape)}")
        return tuple(shape[:-2]) + (shape[-1] * (shape[-1] - 1) // 2,)


class CumulativeDistributionTransform(Transform):
    """y = distribution.cdf(x), inv by its icdf, log|dy/dx| its log_prob: PyTorch's
    CumulativeDistributionTransform(distribution, cache_size=0) (a copula's margin)."""

    bijective = True
    codomain = constraints.unit_interval
    sign = 1

    def __init__(self, distribution: Distribution, cache_size: int = 0) -> None:
        if not isinstance(distribution, Distribution):
            raise TypeError(f"CumulativeDistributionTransform: distribution must be a "
                            f"Distribution, got {type(distribution).__name__}")
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return self.distribution.support

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else CumulativeDistributionTransform(
            self.distribution, cache_size)

    def _call(self, x: Tensor) -> Tensor:
        return self.distribution.cdf(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return self.distribution.log_prob(x)

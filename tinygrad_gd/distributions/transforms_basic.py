"""Invertible maps of values, for `TransformedDistribution` (the first part of PyTorch's
torch.distributions.transforms; the module `transforms` has them all): `Transform` (the
base), `ComposeTransform`, `identity_transform`, `ExpTransform`, `PowerTransform`,
`SigmoidTransform`, `TanhTransform`, `AbsTransform`, `AffineTransform`,
`SoftmaxTransform`.

`t(x)` is y, `t.inv(y)` is x (`t.inv` is a transform too, `t.inv.inv` is t), and
`t.log_abs_det_jacobian(x, y)` is ln|dy/dx| (summed over an event of `event_dim` axes),
all made of Tensor ops, so gradients reach the parameters and the values. `domain` and
`codomain` are the constraints x and y live in, `bijective` whether t is invertible,
`sign` the sign of dy/dx where it has one. AbsTransform and SoftmaxTransform are not
bijective (their inv gives one preimage; no log_abs_det_jacobian), as PyTorch's. The
sigmoid is kept within [tiny, 1 - eps] (its inverse too), as PyTorch's; tanh's
log-derivative is 2 (ln 2 - x - softplus(-2x)), exact for large |x|. `cache_size=1`
keeps the last pair (x, y): the inverse of a value just made is that x, exactly.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..ops.arguments import integer
from ..tensor import Tensor, to_tensor
from . import constraints

__all__ = ["Transform", "ComposeTransform", "identity_transform", "ExpTransform",
           "PowerTransform", "SigmoidTransform", "TanhTransform", "AbsTransform",
           "AffineTransform", "SoftmaxTransform"]


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its last `dim` axes (none when dim <= 0)."""
    return value.sum(axis=tuple(range(-dim, 0))) if dim > 0 else value


class Transform:
    """An invertible (or not: `bijective`) map of values: PyTorch's Transform. Subclasses
    define _call, _inverse and log_abs_det_jacobian, and their domain and codomain."""

    bijective = False
    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real

    def __init__(self, cache_size: int = 0) -> None:
        cache_size = integer(type(self).__name__, "cache_size", cache_size)
        if cache_size not in (0, 1):
            raise ValueError(f"{type(self).__name__}: cache_size must be 0 or 1, got "
                             f"{cache_size}")
        self._cache_size = cache_size
        self._cached_x_y: tuple[Any, Any] = (None, None)
        self._inv: Transform | None = None

    @property
    def event_dim(self) -> int:
        """The number of last axes that make one event (domain's, equal to codomain's)."""
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError(f"{type(self).__name__}: domain and codomain events differ; use "
                         f".domain.event_dim or .codomain.event_dim")

    @property
    def inv(self) -> "Transform":
        """The inverse transform: inv(t(x)) is x."""
        if self._inv is None:
            self._inv = _InverseTransform(self)
        return self._inv

    @property
    def sign(self) -> Any:
        """The sign of dy/dx (+1 or -1; a tensor where parameters decide it)."""
        raise NotImplementedError(f"{type(self).__name__} has no sign (it is not monotone)")

    def with_cache(self, cache_size: int = 1) -> "Transform":
        """This transform with cache_size (a new one where it differs)."""
        if self._cache_size == cache_size:
            return self
        return type(self)(cache_size=cache_size)

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def __call__(self, x: Any) -> Tensor:
        x = to_tensor(x)
        if self._cache_size and x is self._cached_x_y[0]:
            return self._cached_x_y[1]
        y = self._call(x)
        self._cached_x_y = (x, y) if self._cache_size else (None, None)
        return y

    def _inv_call(self, y: Any) -> Tensor:
        y = to_tensor(y)
        if self._cache_size and y is self._cached_x_y[1]:
            return self._cached_x_y[0]
        x = self._inverse(y)
        self._cached_x_y = (x, y) if self._cache_size else (None, None)
        return x

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no forward map")

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no inverse")

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        """ln|det dy/dx| at x (y = t(x)), summed over an event."""
        raise NotImplementedError(f"{type(self).__name__} defines no log_abs_det_jacobian "
                                  f"(it is not bijective)")

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        """The shape of t(x) for x of `shape`."""
        return tuple(shape)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        """The shape of t.inv(y) for y of `shape`."""
        return tuple(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    """The inverse of a transform (what `t.inv` gives)."""

    def __init__(self, transform: Transform) -> None:
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return self._inv.codomain

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return self._inv.domain

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return self._inv.bijective

    @property
    def sign(self) -> Any:
        return self._inv.sign

    @property
    def inv(self) -> Transform:
        return self._inv

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self._inv.with_cache(cache_size).inv

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    __hash__ = object.__hash__

    def __call__(self, x: Any) -> Tensor:
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        return self._inv.forward_shape(shape)

    def __repr__(self) -> str:
        return f"_InverseTransform({self._inv!r})"


class ComposeTransform(Transform):
    """parts[0], then parts[1], ...: PyTorch's ComposeTransform(parts, cache_size=0); with
    no parts, the identity."""

    def __init__(self, parts: Any, cache_size: int = 0) -> None:
        parts = list(parts)
        for k, part in enumerate(parts):
            if not isinstance(part, Transform):
                raise TypeError(f"ComposeTransform: parts[{k}] must be a Transform, got "
                                f"{type(part).__name__}")
        if cache_size:
            parts = [part.with_cache(cache_size) for part in parts]
        super().__init__(cache_size=cache_size)
        self.parts = parts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = object.__hash__

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        if not self.parts:
            return constraints.real
        domain = self.parts[0].domain
        event_dim = self.parts[-1].codomain.event_dim  # the widest event any part needs
        for part in reversed(self.parts):
            event_dim += part.domain.event_dim - part.codomain.event_dim
            event_dim = max(event_dim, part.domain.event_dim)
        if event_dim > domain.event_dim:
            domain = constraints.independent(domain, event_dim - domain.event_dim)
        return domain

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        if not self.parts:
            return constraints.real
        codomain = self.parts[-1].codomain
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim += part.codomain.event_dim - part.domain.event_dim
            event_dim = max(event_dim, part.codomain.event_dim)
        if event_dim > codomain.event_dim:
            codomain = constraints.independent(codomain, event_dim - codomain.event_dim)
        return codomain

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(part.bijective for part in self.parts)

    @property
    def sign(self) -> Any:
        sign = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    @property
    def inv(self) -> Transform:
        if self._inv is None:
            self._inv = ComposeTransform([part.inv for part in reversed(self.parts)])
            self._inv._inv = self
        return self._inv

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else ComposeTransform(self.parts,
                                                                            cache_size)

    def __call__(self, x: Any) -> Tensor:
        x = to_tensor(x)
        for part in self.parts:
            x = part(x)
        return x

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x, y = to_tensor(x), to_tensor(y)
        if not self.parts:
            return x * 0
        xs = [x]
        for part in self.parts[:-1]:
            xs.append(part(xs[-1]))
        xs.append(y)
        total: Any = None
        event_dim = self.domain.event_dim
        for part, before, after in zip(self.parts, xs[:-1], xs[1:]):
            term = sum_rightmost(part.log_abs_det_jacobian(before, after),
                                 event_dim - part.domain.event_dim)
            total = term if total is None else total + term
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return total

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        for part in self.parts:
            shape = part.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape: Any) -> tuple[int, ...]:
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return tuple(shape)

    def __repr__(self) -> str:
        inner = ",\n    ".join(repr(part) for part in self.parts)
        return f"ComposeTransform(\n    {inner}\n)" if self.parts else "ComposeTransform(\n)"


identity_transform = ComposeTransform([])


class _Stateless(Transform):
    """A transform without parameters: any two of one class are equal."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    __hash__ = object.__hash__


class ExpTransform(_Stateless):
    """y = exp(x): PyTorch's ExpTransform."""

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = 1

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return to_tensor(x)


class PowerTransform(Transform):
    """y = x**exponent for x > 0: PyTorch's PowerTransform(exponent)."""

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent: Any, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.exponent = to_tensor(exponent)

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else PowerTransform(self.exponent,
                                                                          cache_size)

    @property
    def sign(self) -> Any:
        return self.exponent.sign()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PowerTransform) and bool(
            np.all(self.exponent._data == other.exponent._data))

    __hash__ = object.__hash__

    def _call(self, x: Tensor) -> Tensor:
        return x.pow(self.exponent)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.pow(self.exponent.reciprocal())

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return (self.exponent * to_tensor(y) / to_tensor(x)).abs().log()

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        return tuple(np.broadcast_shapes(tuple(shape), self.exponent.shape))

    inverse_shape = forward_shape


def _clipped_sigmoid(x: Tensor) -> Tensor:
    info = np.finfo(x.dtype)
    return x.sigmoid().clamp(min=float(info.tiny), max=float(1 - info.eps))


class SigmoidTransform(_Stateless):
    """y = sigmoid(x), kept within [tiny, 1 - eps]: PyTorch's SigmoidTransform."""

    domain = constraints.real
    codomain = constraints.unit_interval
    bijective = True
    sign = 1

    def _call(self, x: Tensor) -> Tensor:
        return _clipped_sigmoid(x)

    def _inverse(self, y: Tensor) -> Tensor:
        info = np.finfo(y.dtype)
        y = y.clamp(min=float(info.tiny), max=float(1 - info.eps))
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = to_tensor(x)
        return -(-x).softplus() - x.softplus()


class TanhTransform(_Stateless):
    """y = tanh(x): PyTorch's TanhTransform."""

    domain = constraints.real
    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = 1

    def _call(self, x: Tensor) -> Tensor:
        return x.tanh()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.arctanh()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = to_tensor(x)  # ln(1 - tanh(x)**2), without 1 - (a number rounded to 1)
        return 2.0 * (math.log(2.0) - x - (-2.0 * x).softplus())


class AbsTransform(_Stateless):
    """y = |x|: PyTorch's AbsTransform (not bijective: inv(y) is y)."""

    domain = constraints.real
    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return x.abs()

    def _inverse(self, y: Tensor) -> Tensor:
        return y


class AffineTransform(Transform):
    """y = loc + scale * x: PyTorch's AffineTransform(loc, scale, event_dim=0); event_dim
    axes make one event (the log-determinant summed over them)."""

    bijective = True

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.loc, self.scale = loc, scale
        self._event_dim = integer("AffineTransform", "event_dim", event_dim)
        if self._event_dim < 0:
            raise ValueError(f"AffineTransform: event_dim must be >= 0, got {self._event_dim}")

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else AffineTransform(
            self.loc, self.scale, self._event_dim, cache_size)

    @property
    def event_dim(self) -> int:
        return self._event_dim

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.real if self._event_dim == 0 else constraints.independent(
            constraints.real, self._event_dim)

    codomain = domain

    @property
    def sign(self) -> Any:
        if isinstance(self.scale, Tensor):
            return self.scale.sign()
        return int(np.sign(self.scale))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AffineTransform):
            return False
        return all(bool(np.all(np.asarray(getattr(a, "_data", a)) ==
                               np.asarray(getattr(b, "_data", b))))
                   for a, b in ((self.loc, other.loc), (self.scale, other.scale)))

    __hash__ = object.__hash__

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = to_tensor(x)
        if isinstance(self.scale, Tensor):
            result = self.scale.abs().log()
        else:
            result = to_tensor(np.asarray(np.log(np.abs(self.scale)), dtype=x.dtype))
        # each entry of an event counts (a scale broadcast over the event included)
        shape = tuple(np.broadcast_shapes(x.shape, result.shape))
        result = result if result.shape == shape else result.broadcast_to(shape)
        return sum_rightmost(result, self._event_dim)

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        return tuple(np.broadcast_shapes(tuple(shape), np.shape(getattr(self.loc, "_data",
                                                                        self.loc)),
                                         np.shape(getattr(self.scale, "_data", self.scale))))

    inverse_shape = forward_shape


class SoftmaxTransform(_Stateless):
    """y = softmax(x) over the last axis: PyTorch's SoftmaxTransform (not bijective: inv(y)
    is ln(y), one of the preimages)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x: Tensor) -> Tensor:
        return x.softmax(axis=-1)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def forward_shape(self, shape: Any) -> tuple[int, ...]:
        if len(shape) < 1:
            raise ValueError(f"SoftmaxTransform: values need at least one axis (the vector), "
                             f"got shape {tuple(shape)}")
        return tuple(shape)

    inverse_shape = forward_shape

"""The rest of PyTorch's torch.distributions.constraints, built on constraints.py's
classes: `less_than`, `positive_integer`, matrices' `lower_triangular`, `square`,
`symmetric`, `positive_semidefinite`; `MixtureSameFamilyConstraint` (a mixture's support);
`is_dependent` and `dependent_property` (a property that is `dependent` on its class).

constraints.py cannot import this module back: `tg.distributions.constraints` takes these
names from here when `tg.distributions` is imported (distributions/__init__.py), so
`constraints.less_than` is PyTorch's spelling here too.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .constraints import Constraint, _array, _Dependent, _IntegerGreaterThan, _shown

__all__ = ["less_than", "positive_integer", "lower_triangular", "square", "symmetric",
           "positive_semidefinite", "MixtureSameFamilyConstraint", "is_dependent",
           "dependent_property"]


class _LessThan(Constraint):
    """value < upper_bound."""

    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def check(self, value: Any) -> np.ndarray:
        return _array(value) < _array(self.upper_bound)

    def __repr__(self) -> str:
        return f"LessThan(upper_bound={_shown(self.upper_bound)})"


class _LowerTriangular(Constraint):
    """Matrices (the last two axes) with zeros above the diagonal."""

    event_dim = 2

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        return np.all(np.tril(data) == data, axis=(-2, -1))


class _Square(Constraint):
    """Matrices (the last two axes) with as many rows as columns."""

    event_dim = 2

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        return np.full(data.shape[:-2], data.shape[-2] == data.shape[-1])


class _Symmetric(_Square):
    """Square matrices equal to their transpose (within 1e-6, as PyTorch's)."""

    def check(self, value: Any) -> np.ndarray:
        square = super().check(value)
        if not square.all():
            return square
        data = _array(value)
        return np.all(np.isclose(data, np.swapaxes(data, -1, -2), atol=1e-6), axis=(-2, -1))


class _PositiveSemidefinite(_Symmetric):
    """Symmetric matrices whose eigenvalues are all >= 0. Each matrix is judged alone
    (PyTorch's judges none by its eigenvalues when one of a batch is not symmetric)."""

    def check(self, value: Any) -> np.ndarray:
        symmetric = super().check(value)
        if not symmetric.any():
            return symmetric
        return symmetric & np.all(np.linalg.eigvalsh(_array(value)) >= 0, axis=-1)


class MixtureSameFamilyConstraint(Constraint):
    """The support of a MixtureSameFamily: the component distribution's, checked for a
    value against each component (the axis of the components put back)."""

    def __init__(self, base_constraint: Constraint) -> None:
        if not isinstance(base_constraint, Constraint):
            raise TypeError(f"MixtureSameFamilyConstraint: base_constraint must be a "
                            f"Constraint, got {type(base_constraint).__name__}")
        self.base_constraint = base_constraint
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        if data.ndim < self.event_dim:
            raise ValueError(f"MixtureSameFamilyConstraint: a value of {data.ndim} axes, the "
                             f"event needs {self.event_dim}; give values of at least that "
                             f"many axes")
        result = np.asarray(self.base_constraint.check(
            np.expand_dims(data, -1 - self.event_dim)))
        kept = data.ndim - self.event_dim
        return result.reshape(result.shape[:kept] + (-1,)).all(-1)

    def __repr__(self) -> str:
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


class _DependentProperty(property, _Dependent):
    """`@constraints.dependent_property` (PyTorch's): on an instance the property it
    decorates, on the class a `dependent` constraint (`is_dependent(Uniform.support)`).
    `is_discrete` and `event_dim`, where given, are the constraint's."""

    def __init__(self, fn: Any = None, *, is_discrete: Any = None,
                 event_dim: Any = None) -> None:
        super().__init__(fn)
        self._is_discrete, self._event_dim = is_discrete, event_dim

    def __call__(self, fn: Any) -> "_DependentProperty":
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        return _given(self._is_discrete, "is_discrete")

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return _given(self._event_dim, "event_dim")


def _given(value: Any, name: str) -> Any:
    if value is None:
        raise NotImplementedError(f"dependent_property: .{name} cannot be determined "
                                  f"statically; give it: dependent_property({name}=...)")
    return value


def less_than(upper_bound: Any) -> Constraint:
    """value < upper_bound."""
    return _LessThan(upper_bound)


def is_dependent(constraint: Any) -> bool:
    """Whether `constraint` is `dependent` (or a dependent_property): one its distribution
    checks itself."""
    return isinstance(constraint, _Dependent)


dependent_property = _DependentProperty
positive_integer = _IntegerGreaterThan(1)
lower_triangular = _LowerTriangular()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()

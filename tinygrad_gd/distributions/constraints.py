"""The sets a distribution's parameters and values live in (PyTorch's
torch.distributions.constraints): `real`, `positive`, `nonnegative`, `unit_interval`,
`boolean`, `simplex`, `nonnegative_integer`, `one_hot`, `lower_cholesky`,
`positive_definite`, `real_vector`, and the makers `greater_than`, `greater_than_eq`,
`interval`, `integer_interval`, `independent`; `dependent` (a parameter its distribution
checks itself: its check is refused, as PyTorch's). The rest of PyTorch's (`less_than`,
the matrices' `square`, `symmetric`, `lower_triangular`, `positive_semidefinite`, ...)
are constraints_more.py's, and are this module's names too (distributions/__init__.py
adds them).

`constraint.check(value)` takes a Tensor, an array or a number and gives a bool array, one
entry per event (an `event_dim` of 1 reads the last axis as one event): the validation of
a distribution's parameters and of the values given to its log_prob, cdf and entropy.
Bounds may be tensors (Uniform's support is `interval(low, high)`), and broadcast. The
reprs are PyTorch's (`GreaterThan(lower_bound=0.0)`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Constraint", "real", "positive", "nonnegative", "unit_interval", "boolean",
           "simplex", "nonnegative_integer", "one_hot", "lower_cholesky",
           "positive_definite", "real_vector", "greater_than", "greater_than_eq", "interval",
           "half_open_interval", "integer_interval", "independent", "dependent"]


def _array(value: Any) -> np.ndarray:
    """A Tensor's values (or an array's, a number's) as an ndarray, without a copy."""
    return np.asarray(getattr(value, "_data", value))


def _shown(bound: Any) -> str:
    """A bound as PyTorch's repr shows it: a number as a float, a tensor as its shape."""
    data = _array(bound)
    return repr(float(data)) if data.size == 1 else f"tensor of shape {data.shape}"


class Constraint:
    """A set of values: `check(value)` gives, for each event of value, whether it is in it.
    `is_discrete` (whole numbers), `event_dim` (how many last axes make one event)."""

    is_discrete = False
    event_dim = 0

    def check(self, value: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} defines no check")

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_')}()"


class _Dependent(Constraint):
    """A placeholder for a parameter checked by its distribution itself (Uniform's low and
    high, each against the other): its check refuses to answer, a ValueError as PyTorch's,
    and a distribution's validation skips it."""

    def check(self, value: Any) -> np.ndarray:
        raise ValueError("dependent.check: cannot determine the validity of a dependent "
                         "constraint: the distribution checks such a parameter itself (as "
                         "Uniform checks low < high); skip the constraints for which "
                         "constraints.is_dependent(c) is True")


class _Real(Constraint):
    """Every number but NaN (infinities included, as PyTorch's)."""

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        return data == data


class _GreaterThan(Constraint):
    """value > lower_bound (`greater_than_eq`: >=)."""

    def __init__(self, lower_bound: Any, inclusive: bool = False) -> None:
        self.lower_bound, self.inclusive = lower_bound, inclusive

    def check(self, value: Any) -> np.ndarray:
        data, low = _array(value), _array(self.lower_bound)
        return data >= low if self.inclusive else data > low

    def __repr__(self) -> str:
        name = "GreaterThanEq" if self.inclusive else "GreaterThan"
        return f"{name}(lower_bound={_shown(self.lower_bound)})"


class _Interval(Constraint):
    """lower_bound <= value <= upper_bound (closed, as PyTorch's); `half_open`: < upper."""

    def __init__(self, lower_bound: Any, upper_bound: Any, half_open: bool = False) -> None:
        self.lower_bound, self.upper_bound, self.half_open = lower_bound, upper_bound, half_open

    def check(self, value: Any) -> np.ndarray:
        data, upper = _array(value), _array(self.upper_bound)
        below = data < upper if self.half_open else data <= upper
        return (_array(self.lower_bound) <= data) & below

    def __repr__(self) -> str:
        return (f"{'HalfOpenInterval' if self.half_open else 'Interval'}(lower_bound="
                f"{_shown(self.lower_bound)}, upper_bound={_shown(self.upper_bound)})")


class _Boolean(Constraint):
    """0 or 1."""

    is_discrete = True

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        return (data == 0) | (data == 1)


class _IntegerInterval(Constraint):
    """Whole numbers from lower_bound to upper_bound, both included."""

    is_discrete = True

    def __init__(self, lower_bound: int, upper_bound: int) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        return (data % 1 == 0) & (self.lower_bound <= data) & (data <= self.upper_bound)

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    """Whole numbers >= lower_bound (PyTorch's name, though it includes the bound)."""

    is_discrete = True

    def __init__(self, lower_bound: int) -> None:
        self.lower_bound = lower_bound

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        return (data % 1 == 0) & (data >= self.lower_bound)

    def __repr__(self) -> str:
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Simplex(Constraint):
    """Vectors (the last axis) of non-negative entries that sum to 1 (within 1e-6)."""

    event_dim = 1

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        return np.all(data >= 0, axis=-1) & (np.abs(data.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    """Vectors (the last axis) of 0s and 1s with exactly one 1."""

    is_discrete = True
    event_dim = 1

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        return np.all((data == 0) | (data == 1), axis=-1) & (data.sum(-1) == 1)


class _LowerCholesky(Constraint):
    """Lower-triangular matrices (the last two axes) with a positive diagonal."""

    event_dim = 2

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        lower = np.all(np.triu(data, 1) == 0, axis=(-2, -1))
        return lower & np.all(np.diagonal(data, axis1=-2, axis2=-1) > 0, axis=-1)


class _PositiveDefinite(Constraint):
    """Symmetric (within 1e-6) positive-definite matrices (the last two axes): those
    NumPy's Cholesky factorization accepts."""

    event_dim = 2

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        symmetric = np.all(np.isclose(data, np.swapaxes(data, -1, -2), atol=1e-6),
                           axis=(-2, -1))
        matrices = data.reshape((-1,) + data.shape[-2:])
        factored = np.empty(len(matrices), dtype=bool)
        for k, matrix in enumerate(matrices):
            try:
                np.linalg.cholesky(matrix)
                factored[k] = np.isfinite(matrix).all()
            except np.linalg.LinAlgError:
                factored[k] = False
        return symmetric & factored.reshape(data.shape[:-2])


class _Independent(Constraint):
    """`base` on each entry, with the last `reinterpreted_batch_ndims` axes read as one
    event: an event is in the set when all its entries are."""

    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base_constraint = base
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.is_discrete = base.is_discrete
        self.event_dim = base.event_dim + reinterpreted_batch_ndims

    def check(self, value: Any) -> np.ndarray:
        result = self.base_constraint.check(value)
        count = self.reinterpreted_batch_ndims
        return np.all(result, axis=tuple(range(-count, 0))) if count else result

    def __repr__(self) -> str:
        return (f"IndependentConstraint({self.base_constraint!r}, "
                f"{self.reinterpreted_batch_ndims})")


dependent = _Dependent()
real = _Real()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThan(0.0, inclusive=True)
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
simplex = _Simplex()
nonnegative_integer = _IntegerGreaterThan(0)
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
real_vector = _Independent(real, 1)


def greater_than(lower_bound: Any) -> Constraint:
    """value > lower_bound."""
    return _GreaterThan(lower_bound)


def greater_than_eq(lower_bound: Any) -> Constraint:
    """value >= lower_bound."""
    return _GreaterThan(lower_bound, inclusive=True)


def interval(lower_bound: Any, upper_bound: Any) -> Constraint:
    """lower_bound <= value <= upper_bound."""
    return _Interval(lower_bound, upper_bound)


def half_open_interval(lower_bound: Any, upper_bound: Any) -> Constraint:
    """lower_bound <= value < upper_bound."""
    return _Interval(lower_bound, upper_bound, half_open=True)


def with_bounds(constraint: Constraint) -> Constraint:
    """`constraint` with the bounds it leaves out included: the values cdf takes (P(X <= x)
    is defined at the bound of an open support, 0 for LogNormal at 0, as PyTorch's)."""
    if isinstance(constraint, _GreaterThan) and not constraint.inclusive:
        return _GreaterThan(constraint.lower_bound, inclusive=True)
    if isinstance(constraint, _Interval) and constraint.half_open:
        return _Interval(constraint.lower_bound, constraint.upper_bound)
    return constraint


def integer_interval(lower_bound: int, upper_bound: int) -> Constraint:
    """The whole numbers lower_bound, ..., upper_bound."""
    return _IntegerInterval(lower_bound, upper_bound)


def independent(base: Constraint, reinterpreted_batch_ndims: int) -> Constraint:
    """`base`, its last `reinterpreted_batch_ndims` axes read as one event."""
    return _Independent(base, reinterpreted_batch_ndims)


# -- multinomial counts, correlation factors and constraints by parts (PyTorch's) -----------
__all__ += ["multinomial", "corr_cholesky", "cat", "stack"]


class _Multinomial(Constraint):
    """Vectors (the last axis) of counts >= 0 summing to at most upper_bound (PyTorch's
    weaker check than a sum equal to it)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        return np.all(data >= 0, axis=-1) & (data.sum(-1) <= _array(self.upper_bound))


class _CorrCholesky(Constraint):
    """Lower Cholesky factors of correlation matrices: lower_cholesky with rows of unit
    length (within 10 eps n)."""

    event_dim = 2

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        tol = np.finfo(data.dtype if data.dtype.kind == "f" else np.float64).eps \
            * data.shape[-1] * 10
        unit_rows = np.all(np.abs(np.linalg.norm(data, axis=-1) - 1.0) <= tol, axis=-1)
        return lower_cholesky.check(data) & unit_rows


def _constraints(where: str, cseq: Any) -> list[Constraint]:
    """cseq as a list, each entry checked to be a Constraint (PyTorch's assert)."""
    cseq = list(cseq)
    for k, constraint in enumerate(cseq):
        if not isinstance(constraint, Constraint):
            raise TypeError(f"{where}: cseq[{k}] must be a Constraint, got "
                            f"{type(constraint).__name__}; give constraints such as "
                            f"constraints.real")
    return cseq


def _axis_of(where: str, dim: int, ndim: int) -> int:
    if not -ndim <= dim < ndim:
        raise IndexError(f"{where}: dim {dim} is out of range for a value of {ndim} axes; "
                         f"give dim in [{-ndim}, {ndim - 1}]")
    return dim % ndim


class _Cat(Constraint):
    """constraints `cseq` on consecutive pieces of axis `dim`, of `lengths` (1 each by
    default), as tg.cat joins them."""

    def __init__(self, cseq: Any, dim: int = 0, lengths: Any = None) -> None:
        self.cseq, self.dim = _constraints("constraints.cat", cseq), dim
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise ValueError(f"constraints.cat: {len(self.lengths)} lengths for "
                             f"{len(self.cseq)} constraints; give one length each")
        self.is_discrete = any(c.is_discrete for c in self.cseq)
        self.event_dim = max((c.event_dim for c in self.cseq), default=0)

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        axis = _axis_of("constraints.cat", self.dim, data.ndim)
        bounds = np.cumsum([0] + self.lengths)
        return np.concatenate([c.check(np.take(data, range(a, b), axis=axis))
                               for c, a, b in zip(self.cseq, bounds[:-1], bounds[1:])],
                              axis=self.dim)


class _Stack(Constraint):
    """constraints `cseq`, one on each entry of axis `dim`, as tg.stack joins them."""

    def __init__(self, cseq: Any, dim: int = 0) -> None:
        self.cseq, self.dim = _constraints("constraints.stack", cseq), dim
        self.is_discrete = any(c.is_discrete for c in self.cseq)
        event_dim = max((c.event_dim for c in self.cseq), default=0)
        self.event_dim = event_dim + 1 if dim + event_dim < 0 else event_dim

    def check(self, value: Any) -> np.ndarray:
        data = _array(value)
        axis = _axis_of("constraints.stack", self.dim, data.ndim)
        return np.stack([c.check(np.take(data, k, axis=axis))
                         for k, c in enumerate(self.cseq)], axis=self.dim)


corr_cholesky = _CorrCholesky()


def multinomial(upper_bound: Any) -> Constraint:
    """Counts >= 0 (the last axis) summing to at most upper_bound."""
    return _Multinomial(upper_bound)


def cat(cseq: Any, dim: int = 0, lengths: Any = None) -> Constraint:
    """`cseq[k]` on the k-th piece (of lengths[k] entries) of axis `dim`."""
    return _Cat(cseq, dim, lengths)


def stack(cseq: Any, dim: int = 0) -> Constraint:
    """`cseq[k]` on entry k of axis `dim`."""
    return _Stack(cseq, dim)

"""`biject_to` and `transform_to`: the transform from unconstrained reals onto a constraint's
set (PyTorch's torch.distributions.constraint_registry).

`biject_to(constraint)` is a bijection (for HMC: its log_abs_det_jacobian is defined, it
keeps the dimension where it can); `transform_to(constraint)` need not be one (for
optimization: SoftmaxTransform onto the simplex). Both look a constraint up by its class,
as PyTorch's, so `positive` (a GreaterThan(0.0)) gets greater_than's exp then shift by
the bound, and `unit_interval` the interval's sigmoid (bounds 0 and 1: no affine after
it). `register(constraint, factory)` adds a class (or an instance's class): a decorator
without factory. A constraint without a rule is NotImplementedError, as PyTorch's;
lower_cholesky and positive_definite have none in biject_to (PyTorch's have none either).
"""
from __future__ import annotations

import inspect
from numbers import Number
from typing import Any, Callable

from . import constraints, constraints_more
from .transforms_basic import (AffineTransform, ComposeTransform, ExpTransform,
                               SigmoidTransform, SoftmaxTransform, Transform, identity_transform)
from .transforms_more import (CatTransform, CorrCholeskyTransform, IndependentTransform,
                              LowerCholeskyTransform, PositiveDefiniteTransform,
                              StackTransform, StickBreakingTransform)

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


def _called(constraint: Any) -> Any:
    """The parameters of a registry's call (biject_to(constraint)), to which Python binds a
    call's arguments."""
    return constraint


def _registered(constraint: Any, factory: Any = None) -> tuple[Any, Any]:
    """The parameters of a registry's register(constraint, factory=None)."""
    return constraint, factory


def _method_signature(parameters: Callable) -> inspect.Signature:
    """`parameters`' signature with `self` first, without annotations, as PyTorch's: what
    help() shows of the method (biject_to's: `(constraint)`)."""
    self = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return inspect.Signature([self] + [p.replace(annotation=p.empty) for p in
                                       inspect.signature(parameters).parameters.values()])


class ConstraintRegistry:
    """Constraint classes to factories of transforms: PyTorch's ConstraintRegistry."""

    def __init__(self, name: str = "ConstraintRegistry") -> None:
        self._registry: dict[type, Callable[[Any], Transform]] = {}
        self._name = name

    def register(self, *args: Any, **kwargs: Any) -> Any:
        """`register(constraint, factory=None)`: register `factory(constraint) ->
        Transform` for a Constraint subclass (or an instance's class); without factory, a
        decorator."""
        constraint, factory = self._bound(_registered, ".register", args, kwargs, (
            "give the constraint and, unless used as a decorator, the factory"))
        if factory is None:
            return lambda fn: self.register(constraint, fn)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint,
                                                             constraints.Constraint)):
            raise TypeError(f"{self._name}.register: constraint must be a Constraint "
                            f"subclass or instance, got {constraint!r}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, *args: Any, **kwargs: Any) -> Transform:
        """`biject_to(constraint)`: the transform onto `constraint`'s set from unconstrained
        reals."""
        constraint = self._bound(_called, "", args, kwargs, (
            f"give the constraint alone: {self._name}(constraints.positive)"))
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            raise NotImplementedError(f"{self._name}: cannot transform "
                                      f"{type(constraint).__name__.lstrip('_')} constraints "
                                      f"({constraint!r}); register a factory with "
                                      f"{self._name}.register") from None
        return factory(constraint)

    def _bound(self, parameters: Callable, method: str, args: tuple, kwargs: dict,
               instead: str) -> Any:
        """The call's arguments bound to the function `parameters` by Python, as what it
        returns; a call they do not fit refused in one line naming `self._name + method`
        (biject_to and transform_to share these methods), Python's reason, and what to do
        `instead`."""
        try:
            return parameters(*args, **kwargs)
        except TypeError as err:
            reason = str(err).partition("() ")[2]
            raise TypeError(f"{self._name}{method}(): {reason}; {instead}") from None

    def __repr__(self) -> str:
        return f"{self._name}({len(self._registry)} constraints)"

    # what help() and inspect.signature show: the parameters the arguments are bound to
    register.__signature__ = _method_signature(_registered)  # type: ignore
    __call__.__signature__ = _method_signature(_called)  # type: ignore


biject_to = ConstraintRegistry("biject_to")
transform_to = ConstraintRegistry("transform_to")


@biject_to.register(constraints.real)
@transform_to.register(constraints.real)
def _to_real(constraint: Any) -> Transform:
    return identity_transform


@biject_to.register(constraints.real_vector)  # (the class of independent's constraints)
def _biject_to_independent(constraint: Any) -> Transform:
    return IndependentTransform(biject_to(constraint.base_constraint),
                                constraint.reinterpreted_batch_ndims)


@transform_to.register(constraints.real_vector)
def _transform_to_independent(constraint: Any) -> Transform:
    return IndependentTransform(transform_to(constraint.base_constraint),
                                constraint.reinterpreted_batch_ndims)


@biject_to.register(constraints.positive)  # (greater_than's class, nonnegative's too)
@transform_to.register(constraints.positive)
def _to_greater_than(constraint: Any) -> Transform:
    return ComposeTransform([ExpTransform(), AffineTransform(constraint.lower_bound, 1)])


@biject_to.register(constraints_more.less_than(0.0))
@transform_to.register(constraints_more.less_than(0.0))
def _to_less_than(constraint: Any) -> Transform:
    return ComposeTransform([ExpTransform(), AffineTransform(constraint.upper_bound, -1)])


@biject_to.register(constraints.unit_interval)  # (interval's and half_open_interval's)
@transform_to.register(constraints.unit_interval)
def _to_interval(constraint: Any) -> Transform:
    low, high = constraint.lower_bound, constraint.upper_bound
    if isinstance(low, Number) and isinstance(high, Number) and low == 0 and high == 1:
        return SigmoidTransform()
    return ComposeTransform([SigmoidTransform(), AffineTransform(low, high - low)])


@biject_to.register(constraints.simplex)
def _biject_to_simplex(constraint: Any) -> Transform:
    return StickBreakingTransform()


@transform_to.register(constraints.simplex)
def _transform_to_simplex(constraint: Any) -> Transform:
    return SoftmaxTransform()


@transform_to.register(constraints.lower_cholesky)
def _transform_to_lower_cholesky(constraint: Any) -> Transform:
    return LowerCholeskyTransform()


@transform_to.register(constraints.positive_definite)
@transform_to.register(constraints_more.positive_semidefinite)
def _transform_to_positive_definite(constraint: Any) -> Transform:
    return PositiveDefiniteTransform()


@biject_to.register(constraints.corr_cholesky)
@transform_to.register(constraints.corr_cholesky)
def _to_corr_cholesky(constraint: Any) -> Transform:
    return CorrCholeskyTransform()


@biject_to.register(constraints.cat([constraints.real]))
def _biject_to_cat(constraint: Any) -> Transform:
    return CatTransform([biject_to(c) for c in constraint.cseq], constraint.dim,
                        constraint.lengths)


@transform_to.register(constraints.cat([constraints.real]))
def _transform_to_cat(constraint: Any) -> Transform:
    return CatTransform([transform_to(c) for c in constraint.cseq], constraint.dim,
                        constraint.lengths)


@biject_to.register(constraints.stack([constraints.real]))
def _biject_to_stack(constraint: Any) -> Transform:
    return StackTransform([biject_to(c) for c in constraint.cseq], constraint.dim)


@transform_to.register(constraints.stack([constraints.real]))
def _transform_to_stack(constraint: Any) -> Transform:
    return StackTransform([transform_to(c) for c in constraint.cseq], constraint.dim)

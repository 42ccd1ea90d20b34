"""`Distribution`, the base of every distribution (PyTorch's torch.distributions.Distribution),
and the helpers the distributions share: `broadcast_all` (parameters as tensors of one
float dtype and one shape), `draw` (an array of random numbers from the package's
generator) and `constant` (an array as a tensor outside any graph).

A distribution has a `batch_shape` (independent distributions side by side, the
parameters' broadcast shape) and an `event_shape` (the shape of one draw: () for a number,
(n,) for a vector); `sample(sample_shape)` gives `sample_shape + batch_shape +
event_shape`. `rsample` is reparameterized: the draw is a function of the parameters,
so a loss of the samples sends gradients back to them through backward(); `sample` is
detached. Draws come from `generator=` or `seed=` where given, else from tg.manual_seed's
generator (as every draw of the package: creation.make_generator).

Validation is on by default, as PyTorch's (`Distribution.set_default_validate_args`
changes it for every distribution made afterwards, `validate_args=` for one): a
parameter outside `arg_constraints` or a value outside `support` is a one-line ValueError
naming the distribution and the parameter.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import _sizes, fits, make_generator
from ..engine import no_grad
from ..grad_mode import check_flag
from ..tensor import Tensor
from ..nn.layer_arguments import _named
from ..values import _as_array, default_float
from . import constraints

__all__ = ["Distribution", "as_float_tensors", "broadcast_all", "draw", "constant"]


def constant(values: Any, dtype: Any = None) -> Tensor:
    """`values` (an array, a number) as a tensor no gradient flows to, in `dtype` if given."""
    array = np.asarray(values) if dtype is None else np.asarray(values, dtype=dtype)
    return Tensor.from_op(array, None)


def _float_dtype(values: tuple) -> np.dtype:
    """The dtype of parameters: the float tensors' among them, as the ops promote (float32
    when every one is float32); numbers alone take the default dtype (float64 unless
    tg.set_default_dtype changed it)."""
    floats = [np.dtype(v.dtype) for v in values
              if isinstance(v, (Tensor, np.ndarray)) and np.dtype(v.dtype).kind == "f"]
    return np.result_type(*floats) if floats else default_float()


def as_float_tensors(where: str, *values: Any, dtype: Any = None) -> list[Tensor]:
    """`values` (Tensors, arrays, lists, numbers) as tensors of one float dtype: float32 when
    the float tensors among them are float32, else float64 (`dtype` when given). A Tensor
    keeps its graph (cast by an op); anything else becomes a constant."""
    dtype = _float_dtype(values) if dtype is None else np.dtype(dtype)
    return [(value if value.dtype == dtype else value.to(dtype)) if isinstance(value, Tensor)
            else Tensor.from_op(_as_array(value, dtype, where), None) for value in values]


def broadcast_all(where: str, *values: Any, dtype: Any = None) -> list[Tensor]:
    """`values` as `as_float_tensors` makes them, broadcast to one shape (by an op where a
    shape changes: gradients are summed back), as PyTorch's broadcast_all. Shapes that do
    not broadcast are one line naming `where`."""
    tensors = as_float_tensors(where, *values, dtype=dtype)
    try:
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        shapes = " and ".join(str(t.shape) for t in tensors)
        raise ValueError(f"{where}: the parameters' shapes {shapes} do not broadcast together; "
                         f"give shapes that do (equal, or 1 where they differ)") from None
    return [t if t.shape == shape else t.broadcast_to(shape) for t in tensors]


def draw(where: str, generator: Any, seed: Any, make: Any, dtype: Any) -> Tensor:
    """`make(rng)` (an array drawn from the generator `make_generator` gives) as a constant
    tensor in `dtype`, named for diagrams ("Normal.rsample draws": not a user's input)."""
    rng = make_generator(seed, generator, where)
    return _named(constant(np.asarray(make(rng)).astype(dtype, copy=False)), f"{where} draws")


def _first_bad(ok: np.ndarray, values: np.ndarray) -> str:
    """The first value (or event) where `ok` is False, and where it is, for a message."""
    index = tuple(int(i) for i in np.argwhere(~ok)[0]) if ok.ndim else ()
    bad = values[index] if values.ndim >= len(index) else values
    shown = repr(float(bad)) if np.ndim(bad) == 0 else np.array2string(
        np.asarray(bad), threshold=6, separator=", ").replace("\n", "")
    return f"{shown}" + (f" at index {index}" if index else "")


class Distribution:
    """The base of every distribution: shapes, validation, sampling and the statistics'
    names, as PyTorch's Distribution; each subclass says what it can compute."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict[str, constraints.Constraint] = {}
    support: Any = None
    _validate_args = True  # PyTorch's default (validation on)
    _given: tuple[str, ...] = ()  # the parameters the constructor was given, by name

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Validation on (True, the default) or off for every distribution made afterwards
        without validate_args=."""
        Distribution._validate_args = check_flag("Distribution.set_default_validate_args",
                                                 "value", value)

    def __init__(self, batch_shape: Any = (), event_shape: Any = (),
                 validate_args: bool | None = None) -> None:
        name = type(self).__name__
        self._batch_shape = _sizes(name, (batch_shape,))
        self._event_shape = _sizes(name, (event_shape,))
        if validate_args is not None:
            self._validate_args = check_flag(name, "validate_args", validate_args)
        if self._validate_args:
            for param in self._given:
                self._check_parameter(param, getattr(self, param))

    def _check_parameter(self, param: str, value: Tensor) -> None:
        """A one-line ValueError unless `value` satisfies arg_constraints[param]."""
        constraint = self.arg_constraints.get(param)
        if constraint is None or constraints.is_dependent(constraint):
            return  # (dependent: the distribution checks it itself, as Uniform its low < high)
        ok = np.asarray(constraint.check(value))
        if not ok.all():
            data = np.asarray(value._data)
            raise ValueError(f"{type(self).__name__}: parameter {param} (of shape {value.shape}) "
                             f"must satisfy {constraint!r}, got {_first_bad(ok, data)}; "
                             f"give valid values, or validate_args=False to skip the check")

    # -- shapes ----------------------------------------------------------------------------
    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The shape of the independent distributions side by side (the parameters')."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        """The shape of one draw of one distribution: () for a number, (n,) for a vector."""
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> tuple[int, ...]:
        """sample_shape + batch_shape + event_shape: the shape of sample(sample_shape)."""
        return self._sample_shape(sample_shape) + self._batch_shape + self._event_shape

    def _sample_shape(self, sample_shape: Any) -> tuple[int, ...]:
        return _sizes(f"{type(self).__name__}.sample", (sample_shape,))

    @property
    def _dtype(self) -> np.dtype:
        """The float dtype of the parameters, and of draws and results."""
        return np.dtype(getattr(self, self._given[0]).dtype) if self._given else np.dtype(
            np.float64)

    # -- sampling --------------------------------------------------------------------------
    def sample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
               ) -> Tensor:
        """Values drawn from the distribution, of shape sample_shape + batch_shape +
        event_shape; no gradient flows back from them."""
        if not self.has_rsample:
            raise NotImplementedError(f"{type(self).__name__} defines no sample")
        with no_grad():
            return self.rsample(sample_shape, generator=generator, seed=seed).detach()

    def rsample(self, sample_shape: Any = (), *, generator: Any = None, seed: Any = None
                ) -> Tensor:
        """Reparameterized draws: a function of the parameters, so a loss of them sends
        gradients back to the parameters (has_rsample says whether there is one)."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample: its draws are not a "
                                  f"differentiable function of its parameters (has_rsample "
                                  f"is False); use sample(), or a score-function estimator "
                                  f"with log_prob")

    def sample_n(self, n: int, *, generator: Any = None, seed: Any = None) -> Tensor:
        """sample((n,))."""
        return self.sample((n,), generator=generator, seed=seed)

    # -- what each subclass may define -----------------------------------------------------
    def _missing(self, what: str) -> NotImplementedError:
        return NotImplementedError(f"{type(self).__name__} defines no {what}")

    def log_prob(self, value: Any) -> Tensor:
        """The log of the density (or of the probability mass) at `value`."""
        raise self._missing("log_prob")

    def cdf(self, value: Any) -> Tensor:
        """The cumulative distribution function at `value`: P(X <= value)."""
        raise self._missing("cdf")

    def icdf(self, value: Any) -> Tensor:
        """The inverse of cdf: the x with cdf(x) = value, value a probability."""
        raise self._missing("icdf")

    def entropy(self) -> Tensor:
        """The entropy, of shape batch_shape (in nats)."""
        raise self._missing("entropy")

    def perplexity(self) -> Tensor:
        """exp(entropy())."""
        return self.entropy().exp()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete distribution's support along a new first axis."""
        raise self._missing("enumerate_support")

    @property
    def mean(self) -> Tensor:
        """The mean, of shape batch_shape + event_shape."""
        raise self._missing("mean")

    @property
    def mode(self) -> Tensor:
        """The mode (the most likely value)."""
        raise self._missing("mode")

    @property
    def variance(self) -> Tensor:
        """The variance."""
        raise self._missing("variance")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation: variance.sqrt()."""
        return self.variance.sqrt()

    # -- values, parameters ----------------------------------------------------------------
    def _value(self, value: Any, where: str, dtype: Any = None, check: bool = True) -> Tensor:
        """A value given to log_prob, cdf, ...: a tensor (in the distribution's float dtype
        unless it is one already, or in `dtype`), checked against the support and the
        shapes when validation is on and `check` (not icdf's probabilities: PyTorch's
        icdf gives NaN outside [0, 1])."""
        dtype = self._dtype if dtype is None else np.dtype(dtype)
        if not isinstance(value, Tensor):  # (whole numbers for a discrete one: checked first)
            value = Tensor.from_op(_as_array(value, dtype if dtype.kind == "f" else None,
                                             f"{type(self).__name__}.{where}", default=None),
                                   None)
        if self._validate_args and check:
            self._validate_sample(value, where)
        if (value.dtype.kind != "f") if dtype.kind == "f" else (value.dtype != dtype):
            value = value.to(dtype)
        return value

    def _probability(self, value: Any) -> Tensor:
        """icdf's argument, a probability, as a tensor (not checked against the support)."""
        return self._value(value, "icdf", check=False)

    def _validate_sample(self, value: Tensor, where: str) -> None:
        """PyTorch's checks of a value: its last axes are event_shape, the rest broadcast
        with batch_shape, and it lies in the support; one line each."""
        name = f"{type(self).__name__}.{where}"
        event, shape = self._event_shape, value.shape
        if len(shape) < len(event) or shape[len(shape) - len(event):] != event:
            raise ValueError(f"{name}: the last axes of value (shape {shape}) must be the "
                             f"event_shape {event}; give values of shape (..., "
                             f"{', '.join(map(str, event))})")
        expected = self._batch_shape + event
        for have, want in zip(reversed(shape), reversed(expected)):
            if have != 1 and want != 1 and have != want:
                raise ValueError(f"{name}: value of shape {shape} does not broadcast with "
                                 f"batch_shape + event_shape {expected}; give a value whose "
                                 f"shape does")
        support = self.support
        if support is None:
            return
        # (cdf is defined at the bound an open support leaves out: LogNormal's cdf(0) is 0)
        taken = constraints.with_bounds(support) if where == "cdf" else support
        ok = np.asarray(taken.check(value))
        if not ok.all():
            side = "upper" if hasattr(support, "upper_bound") else "lower"
            also, at = ("", "") if taken is support else (
                f" (cdf also takes its {side} bound)", " or at that bound")
            raise ValueError(f"{name}: value {_first_bad(ok, np.asarray(value._data))} is outside "
                             f"the support {support!r} of {self!r}{also}; give values in the "
                             f"support{at}, or validate_args=False to skip the check")

    def _parameters(self) -> dict[str, Tensor]:
        """The parameters the constructor was given, by name (for expand and repr)."""
        return {name: getattr(self, name) for name in self._given}

    def _expanded_shape(self, batch_shape: Any) -> tuple[int, ...]:
        """`batch_shape` (expand's argument) as a tuple, refused in one line unless the
        current batch_shape broadcasts to it: the check of every expand."""
        name = type(self).__name__
        shape, old = _sizes(f"{name}.expand", (batch_shape,)), self._batch_shape
        if not fits(old, shape):
            raise ValueError(f"{name}.expand: batch_shape {old} cannot expand to {shape}; give "
                             f"a shape whose last axes equal it (or where it has 1)")
        return shape

    def expand(self, batch_shape: Any, _instance: Any = None) -> "Distribution":
        """The distribution with its parameters broadcast to `batch_shape` (each axis equal,
        or 1 in the current batch_shape): a new distribution, gradients flowing back."""
        shape, old = self._expanded_shape(batch_shape), self._batch_shape
        params = {key: value.broadcast_to(shape + value.shape[len(old):])
                  for key, value in self._parameters().items()}
        new = type(self)(**params, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def __repr__(self) -> str:
        parts = []
        for key, value in self._parameters().items():
            data = np.asarray(value._data)
            parts.append(f"{key}: {float(data.reshape(-1)[0])!r}" if data.size == 1
                         else f"{key}: {data.shape}")
        return f"{type(self).__name__}({', '.join(parts)})"

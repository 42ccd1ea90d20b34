"""The random fills in place: `uniform_`, `normal_`, `exponential_`, `bernoulli_`,
`random_` (and, through `_draw` and `_drawn`, tensor_methods_more.py's `cauchy_`,
`log_normal_`, `geometric_` and nn.init's draws).

Each writes draws from `generator=`, else `tg.manual_seed`'s generator, else fresh entropy,
counted as any other in-place change: a leaf that requires a gradient only under
`no_grad()` (an initialisation), a tensor that needs none at any time. On a tensor of the
graph (made by an op, or a view of one: `h.uniform_()`, `h[0].normal_()`) the fill is
recorded as fill_ is (in_place_recorded.py's `rebase`), as PyTorch's: the new values do
not depend on the old ones, so the gradient into those is 0 (`_drawn`), and an op that
saved the old values refuses its backward. Their checks and draws are shared with
random.py's new tensors (`tg.bernoulli`, `tg.randint_like`): `probabilities`,
`coin_flips` and `whole_numbers`.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .creation import fits, make_generator
from .in_place import _number, shown
from .in_place_recorded import rebase, recorded, writeable
from .ops.arguments import finite
from .tensor import Tensor, _as_array, _raw
from .values import _fitted, uniform_draws


# where a draw in place cannot write (a leaf that requires a gradient): the new tensor to draw
_NEW_DRAW = {"uniform_": "tg.rand_like(t)", "normal_": "tg.randn_like(t)",
             "exponential_": "tg.zeros_like(t).exponential_()",
             "bernoulli_": "tg.bernoulli(tg.full_like(t, p))",
             "random_": "tg.randint_like(t, low, high)",
             "trunc_normal_": "nn.init.trunc_normal_(tg.zeros_like(t), ...)",
             "orthogonal_": "nn.init.orthogonal_(tg.zeros_like(t), ...)"}


def _new_draw(where: str) -> str:
    """The new tensor to draw instead of the fill `where` (in its refusals)."""
    return _NEW_DRAW.get(where, f"tg.zeros_like(t).{where}(...)")  # (tensor_methods_more's)


def _fillable(t: Tensor, where: str) -> None:
    """Refuse the fill `where` of a leaf that requires a gradient, outside no_grad(), before
    it draws (a tensor of the graph is changed through the graph: `_drawn`)."""
    if t._ctx is None:
        t._check_writable(where, f"draw a new tensor ({_new_draw(where)})")


def _draw(self: Tensor, where: str, kinds: str = "f", **numbers: Any) -> list[float]:
    """A fill's numbers, each finite, checked with its target before it draws (`kinds`)."""
    _fillable(self, where)
    if self.dtype.kind not in kinds:
        raise TypeError(f"{where}: draws {'floats' if kinds == 'f' else 'numbers'}, but the "
                        f"tensor's dtype is {self.dtype}; use a float tensor "
                        f"(t.to(tg.float64)), or tg.randint for integers")
    return [finite(where, name, _number(where, name, value)) for name, value in numbers.items()]


def _drawn(t: Tensor, where: str, draw: Callable[[], np.ndarray], *operands: Any) -> Tensor:
    """A fill's draws, `draw()` (in t's dtype), written into t, returns t; called once the
    write is known to be allowed, so that a refused fill leaves the generator as it was.
    Where the graph must follow (t made by an op, a view of one: `recorded`), the change is
    recorded as fill_'s (`rebase`, which refuses first), its values without a slope:
    gradient 0 into t's old values and into `operands` that need one (bernoulli_'s p), as
    PyTorch's UniformBackward0 and the like."""
    if recorded(t, *operands, what=where):
        return rebase(t, where, lambda *old: Tensor.from_op(draw(), None), _new_draw(where),
                      *operands)
    writeable(t, where)  # (read-only values, a constant's expand: refused before the draw)
    t._write_at(..., draw(), where)
    return t


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Draw every value from U(a, b) in place and return the tensor (PyTorch's uniform_):
    from `generator=`, else `tg.manual_seed`'s generator, else fresh entropy."""
    a, b = _draw(self, "uniform_", a=a, b=b)
    if a > b:
        raise ValueError(f"uniform_: expects a <= b (values come from [a, b)), got a={a} > "
                         f"b={b}; give the bounds in order")
    for name, bound in (("a=", a), ("b=", b)):  # (as PyTorch's: no bound that becomes inf)
        _fitted(bound, self.dtype, "uniform_", "draw into a float64 tensor (t.to(tg.float64))",
                name)
    if math.isinf(b - a):  # (as PyTorch's: b - a beyond the largest float)
        raise ValueError(f"uniform_: the range from a={a} to b={b} is wider than the largest "
                         f"float; give narrower bounds")
    rng = make_generator(None, generator, "uniform_")
    return _drawn(self, "uniform_", lambda: uniform_draws(rng, self.shape, self.dtype, a, b))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Any = None) -> Tensor:
    """Draw every value from N(mean, std**2) in place and return the tensor (PyTorch's
    normal_), from the same generators as uniform_. A draw beyond the dtype's range (a huge
    std in float32) is written as inf, as PyTorch's, where fill_ and uniform_ refuse."""
    mean, std = _draw(self, "normal_", mean=mean, std=std)
    std = std + 0.0  # (-0.0 + 0.0 is 0.0: NumPy's normal refuses -0.0)
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got std={std}; give the spread as a "
                         f"standard deviation (the square root of the variance)")
    rng = make_generator(None, generator, "normal_")
    with np.errstate(over="ignore"):  # (a huge std may give inf in float32, as PyTorch's)
        return _drawn(self, "normal_", lambda: rng.normal(mean, std, self.shape).astype(
            self.dtype, copy=False))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Draw every value from the exponential distribution of rate `lambd` (density
    lambd * exp(-lambd * x), mean 1 / lambd) in place and return the tensor (PyTorch's
    exponential_), from the same generators as uniform_."""
    (lambd,) = _draw(self, "exponential_", lambd=lambd)
    if lambd <= 0:
        raise ValueError(f"exponential_: expects lambd > 0 (the rate: the mean is 1 / lambd), "
                         f"got lambd={lambd}")
    rng = make_generator(None, generator, "exponential_")
    with np.errstate(over="ignore"):  # (a tiny rate may give inf in float32, as normal_'s)
        return _drawn(self, "exponential_", lambda: rng.exponential(1 / lambd, self.shape)
                      .astype(self.dtype, copy=False))


def probabilities(where: str, p: Any, shape: tuple[int, ...], name: str = "p") -> np.ndarray:
    """`p` (a number, or values that broadcast to `shape`) as float64 probabilities, each
    in [0, 1]; one line otherwise."""
    values = _as_array(_raw(p), None, where, copy=False, default=None)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} must be probabilities (numbers in [0, 1]), got "
                        f"{shown(p)}")
    if not fits(values.shape, shape):
        raise ValueError(f"{where}: {name} of shape {values.shape} does not broadcast to the "
                         f"shape {shape}; give one probability or one for each value")
    values = values.astype(np.float64, copy=False)
    outside = values[~((values >= 0) & (values <= 1))]  # (NaN is outside too)
    if outside.size:
        raise ValueError(f"{where}: {name} must hold probabilities in [0, 1], got "
                         f"{outside.flat[0].item()!r}; give values from 0 to 1")
    return values


def coin_flips(rng: np.random.Generator, chances: np.ndarray, shape: tuple[int, ...],
               dtype: np.dtype) -> np.ndarray:
    """1 with probability `chances` (broadcast to `shape`), else 0, in `dtype`."""
    return (rng.random(shape) < chances).astype(dtype)


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Set every value to 1 with probability `p`, else 0, in place and return the tensor
    (PyTorch's bernoulli_): `p` one number or a tensor of probabilities that broadcasts to
    t's shape; any numeric dtype (ints and bool too), from the same generators as uniform_."""
    _fillable(self, "bernoulli_")
    chances = probabilities("bernoulli_", p, self.shape)
    rng = make_generator(None, generator, "bernoulli_")
    # (p's gradient, 0, is recorded into a float tensor: an integer one takes no gradient)
    return _drawn(self, "bernoulli_", lambda: coin_flips(rng, chances, self.shape, self.dtype),
                  *([p] if self.dtype.kind == "f" else []))


def _bound(where: str, name: str, value: Any) -> int:
    """A bound of a draw of whole numbers: an int (or a 0-d integer tensor); one line else."""
    value = _number(where, name, value, "; give a whole number")
    if not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an int, got {shown(value)}; give a whole "
                        f"number")
    return int(value)


def whole_numbers(where: str, rng: Any, shape: tuple[int, ...], dtype: np.dtype, low: Any,
                  high: Any, names: tuple[str, str] = ("low", "high")) -> Callable[[], Any]:
    """The bounds checked, a function drawing whole numbers uniformly from [low, high) in
    `dtype` (`rng`: a callable making the generator, called by it); high None: up to the
    largest whole number the dtype holds exactly, included (2**53 in float64, 2**24 in
    float32)."""
    digits = np.finfo(dtype).nmant + 1 if dtype.kind == "f" else None
    least, most = ((0, 1) if dtype.kind == "b" else (-2 ** digits, 2 ** digits) if digits
                   else (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)))
    low = _bound(where, names[0], low)
    high = most + 1 if high is None else _bound(where, names[1], high)
    if low >= high:
        raise ValueError(f"{where}: expects {names[0]} < {names[1]} (values come from "
                         f"[{names[0]}, {names[1]})), got {names[0]}={low} >= "
                         f"{names[1]}={high}")
    if low < least or high - 1 > most:
        exact = " exactly" if digits else ""
        raise ValueError(f"{where}: values in [{low}, {high}) do not fit dtype {dtype} "
                         f"(whole numbers from {least} to {most}{exact}); give bounds within "
                         f"it, or a wider dtype (int64, float64)")
    drawn = dtype if dtype.kind in "iu" else np.dtype(np.int64)
    return lambda: rng().integers(low, high - 1, shape, dtype=drawn, endpoint=True).astype(
        dtype)


def random_(self: Tensor, *bounds: Any, generator: Any = None, **named: Any) -> Tensor:
    """Draw whole numbers uniformly in place and return the tensor (PyTorch's random_):
    `t.random_(to)` and `t.random_(to=to)` from [0, to), `t.random_(from, to)` from
    [from, to); `t.random_()` from 0 up to the largest whole number t's dtype holds
    exactly (2**53 in float64, 2**24 in float32, the int dtype's largest, bool's 1).
    `from` is a Python keyword: give it positionally, or as `**{"from": 2}`."""
    unknown = set(named) - {"from", "to"}
    if unknown or len(bounds) > 2 or len(bounds) + len(named) > 2 or (
            len(bounds) == 2 and named) or (len(bounds) == 1 and "from" in named):
        raise TypeError(f"random_: takes random_(), random_(to), random_(from, to) or "
                        f"random_(from, to=to), got {len(bounds)} positional bounds and "
                        f"keywords {sorted(named)}")
    low, high = named.get("from", 0), named.get("to")
    if len(bounds) == 2 or (len(bounds) == 1 and "to" in named):
        low, high = bounds[0], bounds[1] if len(bounds) == 2 else high
    elif bounds:
        high = bounds[0]  # (one bound: the end, as PyTorch's random_(to))
    _fillable(self, "random_")
    return _drawn(self, "random_", whole_numbers(
        "random_", lambda: make_generator(None, generator, "random_"), self.shape, self.dtype,
        low, high, ("from", "to")))


for _function in (uniform_, normal_, exponential_, bernoulli_, random_):
    setattr(Tensor, _function.__name__, _function)

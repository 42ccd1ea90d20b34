"""Making tensors: `zeros ones full eye arange linspace rand randn`, the `*_like` forms, `tensor`.

Each takes `dtype=` and `requires_grad=` (PyTorch's keywords; a gradient needs a float
dtype) and gives a leaf tensor: creation is not an op, so nothing is recorded. Shapes
are given as `zeros(2, 3)` (PyTorch) or `zeros((2, 3))` (NumPy).

The dtype rule, written once (see the docs' page on dtypes):

- `tg.Tensor(data)` gives float64 for numbers and lists, ints included: a learner's
  `tg.Tensor([1, 2], requires_grad=True)` is a weight, and must be able to learn.
- `tg.as_tensor(data)` is PyTorch's `torch.as_tensor`: whole numbers give int64
  (indices, labels), booleans stay bool, floats float64.
- `arange` gives int64 when start, stop and step are ints (as NumPy and PyTorch), else
  float64; every other creation function gives float64 unless `dtype=` says otherwise.

The random ones draw from `generator=` (a `np.random.Generator`) or a fresh
`np.random.default_rng(seed)`: `tg.randn(2, 3, seed=0)` is the same every run. Given
neither, they draw fresh entropy, unless `tg.manual_seed(seed)` (PyTorch's) was called:
then every unseeded draw of the package (these functions, nn's layers and dropout, the
DataLoader's shuffling) comes from the one generator it seeded, and a run repeats.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .ops.arguments import either, ints, number
from .tensor import Tensor, _as_array

__all__ = ["as_tensor", "zeros", "ones", "full", "empty", "eye", "arange", "linspace", "rand",
           "randn", "randint", "zeros_like", "ones_like", "full_like", "rand_like",
           "randn_like", "manual_seed"]


def _leaf(array: np.ndarray, requires_grad: bool, where: str) -> Tensor:
    out = Tensor.from_op(array, None)
    if requires_grad:
        if array.dtype.kind != "f":
            raise TypeError(f"{where}: requires_grad=True needs a float dtype, got "
                            f"{array.dtype}; pass dtype='float64' (or leave dtype out)")
        out.requires_grad_(True)
    return out


def _dtype(dtype: Any, where: str, default: Any = np.float64) -> np.dtype:
    try:
        return np.dtype(default if dtype is None else dtype)
    except TypeError as err:
        raise TypeError(f"{where}: unknown dtype {dtype!r}: {err}") from None


def as_tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's `torch.as_tensor`/`torch.tensor`: ints give int64, bools bool, floats float64.

    A copy. `tg.tensor(data)` calls it too (the module `tinygrad_gd.tensor`, callable)."""
    array = _as_array(data, dtype, "as_tensor()", default=None)
    if dtype is None and array.dtype.kind in "iu":
        if array.dtype == np.uint64 and array.size and array.max() > np.iinfo(np.int64).max:
            raise ValueError(f"as_tensor(): {array.max()} does not fit int64, the dtype whole "
                             f"numbers get; pass dtype=np.uint64 to keep them unsigned")
        array = array.astype(np.int64)  # whole numbers: int64, as PyTorch's
    return _leaf(array, requires_grad, "as_tensor()")


def _filled(where: str, shape: tuple, value: Any, dtype: Any, requires_grad: bool) -> Tensor:
    return _leaf(np.full(ints(where, shape), value, dtype=_dtype(dtype, where)),
                 requires_grad, where)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`, float64 by default."""
    return _filled("zeros", shape, 0, dtype, requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: `ones(2, 3)` or `ones((2, 3))`, float64 by default."""
    return _filled("ones", shape, 1, dtype, requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor to be filled (zeros here: never uninitialised memory)."""
    return _filled("empty", shape, 0, dtype, requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `shape` (an int or a tuple) filled with `fill_value`, float64 by default."""
    fill_value = _as_array(fill_value, None, "full", copy=False, default=None)
    return _filled("full", ints("full", (shape,)), fill_value, dtype, requires_grad)


def eye(n: int, m: int | None = None, k: int = 0, dtype: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n x m identity (ones on diagonal k), NumPy's and PyTorch's eye."""
    n, *rest = ints("eye", (n,) if m is None else (n, m))
    return _leaf(np.eye(n, rest[0] if rest else None, k=k, dtype=_dtype(dtype, "eye")),
                 requires_grad, "eye")


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, ... below stop (`arange(n)`: 0..n-1); int64 for ints, else float64."""
    if stop is None:
        start, stop = 0, start
    for name, value in (("start", start), ("stop", stop), ("step", step)):
        number("arange", name, value)
    whole = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                for v in (start, stop, step))
    if step == 0:
        raise ValueError("arange: step must not be 0")
    default = np.int64 if whole else np.float64
    return _leaf(np.arange(start, stop, step, dtype=_dtype(dtype, "arange", default)),
                 requires_grad, "arange")


def linspace(start: float, stop: float, num: int | None = None, dtype: Any = None,
             requires_grad: bool = False, *, steps: int | None = None) -> Tensor:
    """`num` (NumPy) or `steps` (PyTorch) evenly spaced values from start to stop, both included."""
    (count,) = ints("linspace", (either("linspace", "num", num, "steps", steps, 50),))
    number("linspace", "start", start), number("linspace", "stop", stop)
    return _leaf(np.linspace(start, stop, count, dtype=_dtype(dtype, "linspace")),
                 requires_grad, "linspace")


_seeded: list[np.random.Generator | None] = [None]  # the generator manual_seed made


def manual_seed(seed: int) -> np.random.Generator:
    """Make every later draw given neither seed nor generator repeatable (PyTorch's
    torch.manual_seed): they all come from one `np.random.default_rng(seed)`, returned."""
    if seed is None:
        raise TypeError("manual_seed: give a non-negative int seed, e.g. tg.manual_seed(0)")
    _seeded[0] = make_generator(seed, None, "manual_seed")
    return _seeded[0]


def make_generator(seed: Any, generator: Any, where: str) -> np.random.Generator:
    """The Generator to draw from (the random functions here, nn's layers, dropout, the
    DataLoader): `generator`, else `default_rng(seed)`; with neither, manual_seed's
    generator if it was called, else a fresh one."""
    if seed is None and generator is None and _seeded[0] is not None:
        return _seeded[0]
    if generator is not None:
        if seed is not None:
            raise ValueError(f"{where}: give seed or generator, not both")
        if not isinstance(generator, np.random.Generator):
            raise TypeError(f"{where}: generator must be a numpy.random.Generator such as "
                            f"np.random.default_rng(0), got {type(generator).__name__}")
        return generator
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{where}: seed must be a non-negative int or None, got {seed!r} "
                        f"({err})") from None


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False, seed: Any = None,
         generator: Any = None) -> Tensor:
    """Uniform values in [0, 1): `rand(2, 3, seed=0)`; from `generator=` if given."""
    values = make_generator(seed, generator, "rand").random(ints("rand", shape))
    return _leaf(values.astype(_dtype(dtype, "rand"), copy=False), requires_grad, "rand")


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False, seed: Any = None,
          generator: Any = None) -> Tensor:
    """Standard normal values: `randn(2, 3, seed=0)`; from `generator=` if given."""
    values = make_generator(seed, generator, "randn").standard_normal(ints("randn", shape))
    return _leaf(values.astype(_dtype(dtype, "randn"), copy=False), requires_grad, "randn")


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None, *,
            seed: Any = None, generator: Any = None) -> Tensor:
    """Random integers in [low, high) (`randint(10, size=(3,))`: 0..9), int64 by default."""
    if high is None:
        low, high = 0, low
    low, high = ints("randint", (low, high))
    values = make_generator(seed, generator, "randint").integers(low, high,
                                                                 ints("randint", (size,)))
    return _leaf(values.astype(_dtype(dtype, "randint", np.int64), copy=False), False,
                 "randint")


def _like(x: Any, where: str) -> tuple[tuple[int, ...], np.dtype]:
    data = _as_array(x, None, where, copy=False, default=None)
    return data.shape, data.dtype


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of x's shape and dtype (or `dtype=`)."""
    shape, like = _like(x, "zeros_like")
    return zeros(shape, dtype=like if dtype is None else dtype, requires_grad=requires_grad)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of x's shape and dtype (or `dtype=`)."""
    shape, like = _like(x, "ones_like")
    return ones(shape, dtype=like if dtype is None else dtype, requires_grad=requires_grad)


def full_like(x: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """`fill_value` in x's shape and dtype (or `dtype=`)."""
    shape, like = _like(x, "full_like")
    fill_value = _as_array(fill_value, None, "full_like", copy=False, default=None)
    return full(shape, fill_value, dtype=like if dtype is None else dtype,
                requires_grad=requires_grad)


def _float_like(like: np.dtype, dtype: Any) -> Any:
    return dtype if dtype is not None else like if like.kind == "f" else np.float64


def rand_like(x: Any, dtype: Any = None, requires_grad: bool = False, seed: Any = None,
              generator: Any = None) -> Tensor:
    """Uniform [0, 1) values in x's shape (x's float dtype, or float64)."""
    shape, like = _like(x, "rand_like")
    return rand(shape, dtype=_float_like(like, dtype), requires_grad=requires_grad, seed=seed,
                generator=generator)


def randn_like(x: Any, dtype: Any = None, requires_grad: bool = False, seed: Any = None,
               generator: Any = None) -> Tensor:
    """Standard normal values in x's shape (x's float dtype, or float64)."""
    shape, like = _like(x, "randn_like")
    return randn(shape, dtype=_float_like(like, dtype), requires_grad=requires_grad, seed=seed,
                 generator=generator)


# PyTorch's `x.new_zeros(2, 3)` and the like: a new tensor with x's dtype (or dtype=), not
# x's shape; no gradient unless asked, as in PyTorch.
def _new(name: str, make: Any) -> Any:
    def method(self: Tensor, *args: Any, dtype: Any = None, requires_grad: bool = False
               ) -> Tensor:
        return make(*args, dtype=self.dtype if dtype is None else dtype,
                    requires_grad=requires_grad)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"PyTorch's `x.{name}(...)`: `tg.{name[4:]}(...)` with x's dtype "
                      f"(or dtype=); no gradient unless requires_grad=True.")
    return method


def _new_tensor(self: Tensor, data: Any, dtype: Any = None, requires_grad: bool = False
                ) -> Tensor:
    """PyTorch's `x.new_tensor(data)`: a copy of `data` with x's dtype (or dtype=)."""
    return Tensor(data, dtype=self.dtype if dtype is None else dtype,
                  requires_grad=requires_grad)


for _name, _make in (("new_zeros", zeros), ("new_ones", ones), ("new_empty", empty),
                     ("new_full", full)):
    setattr(Tensor, _name, _new(_name, _make))
Tensor.new_tensor = _new_tensor

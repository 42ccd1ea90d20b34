"""Making tensors: `zeros ones full eye arange linspace logspace rand randn randint
randperm`, the `*_like` forms, `tensor`.

Each takes `dtype=` and `requires_grad=` (PyTorch's keywords; a gradient needs a float
dtype), `device=` the CPU and `layout=` torch.strided (`creation_arguments`), the `*_like`
forms `memory_format=` too (`memory_formats`), and gives a leaf tensor: creation is not an
op, so nothing is recorded. Shapes are given as `zeros(2, 3)` (PyTorch) or `zeros((2, 3))`
(NumPy).

The dtype rule, written once (see the docs' page on dtypes):

- `tg.Tensor(data)` gives float64 for numbers and lists, ints included: a learner's
  `tg.Tensor([1, 2], requires_grad=True)` is a weight, and must be able to learn.
- `tg.as_tensor(data)` is PyTorch's `torch.as_tensor`: whole numbers give int64
  (indices, labels), booleans stay bool, floats float64.
- `arange` gives int64 when start, stop and step are ints (as NumPy and PyTorch), else
  float64; every other creation function gives float64 unless `dtype=` says otherwise.

float64 here is the default dtype: after `tg.set_default_dtype(tg.float32)` each of these
gives float32 instead (float arrays keep their dtype; values.default_float holds it).

The random ones draw from `generator=` (a `np.random.Generator`) or a fresh
`np.random.default_rng(seed)`: `tg.randn(2, 3, seed=0)` is the same every run. Given
neither, they draw fresh entropy, unless `tg.manual_seed(seed)` (PyTorch's) was called:
then every unseeded draw of the package (these functions, nn's layers and dropout, the
DataLoader's shuffling) comes from the one generator it seeded, and a run repeats.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .creation_arguments import on_the_cpu, range_bound
from .errors import GradientDtypeError
from .grad_mode import check_flag
from .memory_formats import new_laid_out, taking_memory_format
from .ops.arguments import either, finite, integer, ints
from .scope import made_here
from .tensor import Tensor, _as_array, _new_values
from .values import _fit_whole, _fitted, default_float, numeric_dtype, uniform_draws

__all__ = ["as_tensor", "zeros", "ones", "full", "empty", "eye", "arange", "linspace", "rand",
           "randn", "randint", "randperm", "zeros_like", "ones_like", "full_like", "rand_like",
           "randn_like", "logspace"]


# what to do instead of requires_grad=True on an integer dtype, by where that dtype came from
_GIVEN = "pass dtype='float64' (or leave dtype out)"  # (dtype=, where the default is float)
_INFERRED = "pass dtype='float64' or give float data (1.0)"  # (whole numbers give int64)


def _leaf(array: np.ndarray, requires_grad: bool, where: str, hint: str = _GIVEN) -> Tensor:
    """A creation's tensor; made in a module's forward, drawn in its box (scope.made_here)."""
    if requires_grad and array.dtype.kind != "f":
        raise GradientDtypeError(f"{where}: requires_grad=True needs a float dtype, "
                                 f"got {array.dtype}; {hint}")
    out = Tensor.from_op(np.asarray(array), None)  # (a 0-d draw may be a NumPy scalar)
    return made_here(out.requires_grad_(True) if requires_grad else out)


def _dtype(dtype: Any, where: str, default: Any = None) -> np.dtype:
    """A creation's dtype (`default`, else the default dtype, without one): numbers only."""
    return numeric_dtype((default or default_float()) if dtype is None else dtype, where)


def as_tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's `torch.as_tensor`: ints give int64, bools bool, floats float64.

    Data that is not a tensor is copied. A Tensor is returned itself when `dtype` is None
    or its own, else as `t.to(dtype)` (in the graph to a float dtype), as PyTorch's: its
    graph is kept. `requires_grad=True` on one that needs no gradient gives a new leaf."""
    if isinstance(data, Tensor):
        wanted = None if dtype is None else _dtype(dtype, "as_tensor()")
        if wanted is not None and wanted != data.dtype:
            data = data.to(wanted)
        if not requires_grad or data.requires_grad:
            return data
    return _whole(data, dtype, requires_grad, "as_tensor()")


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's `torch.tensor`: a new leaf, always a copy of the data (a tensor's too),
    with as_tensor's dtypes. A tensor that requires a gradient is copied with a warning, as
    PyTorch's: no gradient flows back through the copy."""
    return _whole(data, dtype, requires_grad, "tensor()")


def _whole(data: Any, dtype: Any, requires_grad: bool, where: str) -> Tensor:
    """A new leaf of `data`, whole numbers as int64 unless `dtype` was given (PyTorch's
    rule); a NumPy array or scalar of another integer dtype keeps it (uint8 images stay
    uint8, as PyTorch keeps them), uint64 excepted (PyTorch refuses it)."""
    array = _new_values(data, dtype, where, default=None)
    if isinstance(data, (np.ndarray, np.generic)) and array.dtype.kind in "iu" \
            and array.dtype != np.uint64:
        return _leaf(array, requires_grad, where, _GIVEN if dtype is not None else _INFERRED)
    if dtype is None and array.dtype.kind in "iu":
        if array.dtype == np.uint64 and array.size and array.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{where}: {array.max()} does not fit int64, the dtype whole "
                             f"numbers get; pass dtype=np.uint64 to keep them unsigned")
        array = array.astype(np.int64)  # whole numbers: int64, as PyTorch's
    return _leaf(array, requires_grad, where, _GIVEN if dtype is not None else _INFERRED)


def _sizes(where: str, sizes: tuple) -> tuple[int, ...]:
    """`f(2, 3)` or `f((2, 3))` as a shape: ints, each >= 0 (the check every maker shares)."""
    shape = ints(where, sizes)
    if any(n < 0 for n in shape):
        raise ValueError(f"{where}: sizes must be >= 0, got {shape}; give each axis's length "
                         f"(0 for an empty axis)")
    return shape


def fits(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether values of `shape` broadcast to `target` (full's fill_value, copy_'s source)."""
    return len(shape) <= len(target) and all(n in (1, m) for n, m in zip(shape[::-1], target[::-1]))


def _array(where: str, shape: tuple[int, ...], make: Callable[[], np.ndarray]) -> np.ndarray:
    """`make()`, with NumPy's refusal of a shape too big for one array in one line."""
    try:
        return make()
    except ValueError as err:
        raise ValueError(f"{where}: cannot make a tensor of shape {shape}: "
                         f"{str(err).splitlines()[0].rstrip('.')}; give a smaller shape") from None


def _filled(where: str, shape: tuple, value: Any, dtype: Any, requires_grad: bool,
            hint: str = _GIVEN) -> Tensor:
    shape, dtype = _sizes(where, shape), _dtype(dtype, where)
    if not fits(np.shape(value), shape):
        raise ValueError(f"{where}: fill_value of shape {np.shape(value)} does not broadcast to "
                         f"the shape {shape}; give one number (or values of a shape that "
                         f"broadcasts)")
    if dtype.kind == "f":  # (1e300 as float32: refused, never inf; the advice is `hint`,
        value = _fitted(value, dtype, where, hint)  # which knows where the dtype came from)
    elif dtype.kind in "iu" and np.size(value):  # (300 as uint8 wrapped to 44: refused)
        _fit_whole(np.asarray(value), dtype, where)
    return _leaf(_array(where, shape, lambda: np.full(shape, value, dtype=dtype)),
                 requires_grad, where, hint)


def _shape(where: str, shape: tuple, size: Any) -> tuple:
    """The sizes given positionally, or as PyTorch's keyword `size=` (`zeros(size=(2, 3))`)."""
    if size is None:
        return shape
    if shape:
        raise TypeError(f"{where}: got the shape twice, {shape} and size={size!r}; give it "
                        f"once: {where}(2, 3), {where}((2, 3)) or {where}(size=(2, 3))")
    return (size,)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False, size: Any = None
          ) -> Tensor:
    """A tensor of zeros: `zeros(2, 3)`, `zeros((2, 3))` or `zeros(size=(2, 3))`, float64 by
    default."""
    return _filled("zeros", _shape("zeros", shape, size), 0, dtype, requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False, size: Any = None
         ) -> Tensor:
    """A tensor of ones: `ones(2, 3)`, `ones((2, 3))`, `ones(size=(2, 3))`; float64 by default."""
    return _filled("ones", _shape("ones", shape, size), 1, dtype, requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False, size: Any = None,
          memory_format: Any = None) -> Tensor:
    """A tensor to be filled (zeros here: never uninitialised memory); shapes as zeros';
    PyTorch's `memory_format=` lays it out (tg.channels_last: NHWC strides)."""
    return new_laid_out("empty", _filled("empty", _shape("empty", shape, size), 0, dtype,
                                         requires_grad), memory_format)


def full(shape: Any = None, fill_value: Any = None, dtype: Any = None,
         requires_grad: bool = False, *, size: Any = None) -> Tensor:
    """A tensor of `shape` (an int, a tuple; PyTorch's size=) of fill_value; float64 by default."""
    return _full("full", either("full", "shape", shape, "size", size, None), fill_value, dtype,
                 requires_grad)


def _full(where: str, shape: Any, fill_value: Any, dtype: Any, requires_grad: bool,
          hint: str = _GIVEN) -> Tensor:
    fill_value = _as_array(fill_value, None, where, copy=False, default=None)
    return _filled(where, (shape,), fill_value, dtype, requires_grad, hint)


def eye(n: int, m: int | None = None, k: int = 0, dtype: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n x m identity (ones on diagonal k), NumPy's and PyTorch's eye."""
    sizes = _sizes("eye", (n,) if m is None else (n, m))
    n, m = sizes[0], sizes[-1]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"eye: k (the diagonal: 0 the main one, 1 above it, -1 below) must be "
                        f"an int, got {type(k).__name__} {k!r}")
    out = _dtype(dtype, "eye")
    return _leaf(_array("eye", (n, m), lambda: np.eye(n, m, k=int(k), dtype=out)),
                 requires_grad, "eye")


def arange(start: Any = None, stop: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False, *, end: Any = None) -> Tensor:
    """start, start + step, ... below stop (PyTorch's `end=`; `arange(n)`: 0..n-1); int64
    for ints (and bools, 0 and 1, as NumPy's and PyTorch's), else float64; 0-d tensors
    are their values."""
    stop = either("arange", "stop", stop, "end", end, None)
    if start is None and stop is None:
        raise TypeError("arange: give the end: arange(5), arange(0, 5) or arange(end=5)")
    start, stop = (0, start) if stop is None else (0 if start is None else start, stop)
    start, stop, step = (range_bound("arange", name, value, "; give finite bounds and step")
                         for name, value in (("start", start), ("stop", stop), ("step", step)))
    whole = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                for v in (start, stop, step))
    if step == 0:
        raise ValueError("arange: step must not be 0")
    out = _dtype(dtype, "arange", np.int64 if whole else None)
    if out.kind in "iub" and not float(step).is_integer():
        raise ValueError(f"arange: step={step!r} is not a whole number, which dtype {out} cannot "
                         f"step by; leave dtype out (float64) or give a whole step")
    count = max(math.ceil((stop - start) / step), 0)
    return _leaf(_array("arange", (count,), lambda: np.arange(start, stop, step, dtype=out)),
                 requires_grad, "arange", _GIVEN if dtype is not None and not whole else
                 "pass dtype='float64' or give a float bound (arange(5.0))")


def linspace(start: Any, stop: Any = None, num: Any = None, dtype: Any = None,
             requires_grad: bool = False, *, steps: Any = None, end: Any = None) -> Tensor:
    """`num` (NumPy's) or `steps` (PyTorch's) values evenly spaced from start to `stop`
    (NumPy's) or `end` (PyTorch's), both included; bounds may be 0-d tensors (PyTorch's)."""
    stop = either("linspace", "stop", stop, "end", end, None)
    count = either("linspace", "num", num, "steps", steps, 50)
    count = integer("linspace", "the number of values (num= or steps=)", count)
    if count < 0:
        raise ValueError(f"linspace: the number of values (num= or steps=) must be >= 0, got "
                         f"{count}")
    start, stop = (range_bound("linspace", name, value, "; give finite bounds")
                   for name, value in (("start", start), ("stop", stop)))
    out = _dtype(dtype, "linspace")
    return _leaf(_array("linspace", (int(count),),
                        lambda: np.linspace(start, stop, int(count), dtype=out)),
                 requires_grad, "linspace")


def logspace(start: float, end: float, steps: int | None = None, base: float = 10.0, *,
             dtype: Any = None, requires_grad: bool = False, num: int | None = None) -> Tensor:
    """base ** v for `steps` (PyTorch) or `num` (NumPy) values v evenly spaced from start to
    end, both included; float64 by default. Powers beyond the dtype's range are inf, as
    PyTorch's; an integer dtype takes them cut toward 0, as PyTorch's, and refuses one it
    cannot hold (PyTorch's wrap around)."""
    count = either("logspace", "num", num, "steps", steps, 50)
    base = finite("logspace", "base", base, "; give a finite base (10.0, 2.0, math.e)")
    out = _dtype(dtype, "logspace")
    try:  # (linspace's checks of the exponents and count, in logspace's name)
        powers = linspace(start, end, count, dtype=np.float64)._data
    except (TypeError, ValueError) as err:
        raise type(err)(str(err).replace("linspace", "logspace", 1)) from None
    with np.errstate(over="ignore", invalid="ignore"):  # (inf and NaN as PyTorch's)
        values = np.power(base, powers).astype(out if out.kind == "f" else np.float64)
    if out.kind in "iub":
        least, most = (0, 1) if out.kind == "b" else (np.iinfo(out).min, np.iinfo(out).max)
        whole = np.trunc(values)  # (NaN and inf fail the test below)
        if not ((whole >= least) & (whole < most + 1.0)).all():
            raise ValueError(f"logspace: {base} ** v for v from {start} to {end} does not fit "
                             f"dtype {out} ({least} to {most}); give a float dtype or "
                             f"exponents whose powers fit")
    return _leaf(values.astype(out), requires_grad, "logspace")


# tg.default_generator once tg.manual_seed (random.py's) or tg.seed seeded it, else None
_seeded: list[Any] = [None]


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
            kind = type(generator)  # its module too: torch's Generator is not ours
            named = (kind.__name__ if kind.__module__ == "builtins"
                     else f"{kind.__module__}.{kind.__name__}")
            raise TypeError(f"{where}: generator must be a numpy.random.Generator such as "
                            f"tg.Generator().manual_seed(0) or np.random.default_rng(0), got "
                            f"{named}")
        return generator
    return _rng(seed, where, " (or None: fresh entropy)")


def _rng(seed: Any, where: str, none: str) -> np.random.Generator:
    """`np.random.default_rng(seed)`; its refusal in words that say what `where` accepts
    (`none`: what None means there, where it is accepted)."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError):
        whole = isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
        if whole and seed < 0:
            raise ValueError(f"{where}: seed must be a non-negative int{none}, got {seed}; "
                             f"negative seeds are refused: give 0 or more, e.g. seed=0") from None
        raise TypeError(f"{where}: seed must be a non-negative int{none}, got "
                        f"{type(seed).__name__} {seed!r}; floats and other types are refused: "
                        f"give a whole number, e.g. seed=0") from None


def _floats(dtype: Any, where: str) -> np.dtype:
    """The dtype of a draw of floats (rand, randn): a float dtype, the default one unless
    given."""
    out = _dtype(dtype, where)
    if out.kind != "f":
        raise TypeError(f"{where}: draws floats, so dtype must be a float dtype, got {out}; "
                        f"leave dtype out (float64), or use tg.randint for integers")
    return out


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False, seed: Any = None,
         generator: Any = None, size: Any = None) -> Tensor:
    """Uniform values in [0, 1): `rand(2, 3, seed=0)`; from `generator=` if given. In
    float32 and float16, multiples of 2**-24 as PyTorch's; float16's rounded down to its
    own values (PyTorch rounds to the nearest and sends a 1 to 0), never 1."""
    return _drawn("rand", _shape("rand", shape, size), dtype, requires_grad, seed, generator,
                  uniform=True)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False, seed: Any = None,
          generator: Any = None, size: Any = None) -> Tensor:
    """Standard normal values: `randn(2, 3, seed=0)`; from `generator=` if given."""
    return _drawn("randn", _shape("randn", shape, size), dtype, requires_grad, seed, generator,
                  uniform=False)


def _drawn(where: str, shape: tuple, dtype: Any, requires_grad: bool, seed: Any,
           generator: Any, *, uniform: bool) -> Tensor:
    """rand's draw (`uniform`) or randn's; `where` names the function called (the *_like
    ones too)."""
    shape, out = _sizes(where, shape), _floats(dtype, where)
    rng = make_generator(seed, generator, where)
    values = _array(where, shape, lambda: uniform_draws(rng, shape, out) if uniform else
                    rng.standard_normal(shape))
    return _leaf(values.astype(out, copy=False), requires_grad, where)


def randint(low: Any = None, high: Any = None, size: Any = (), dtype: Any = None, *,
            seed: Any = None, generator: Any = None) -> Tensor:
    """Random integers in [low, high) (`randint(10, size=(3,))`: 0..9), int64 by default;
    PyTorch's `randint(high, (3,))`, `randint(low, high, (3,))` and `randint(high=10,
    size=(3,))` (low 0) too."""
    if low is None:
        if high is None:
            raise TypeError("randint: give high (values come from [0, high)), e.g. "
                            "randint(10, size=(3,)) or randint(high=10, size=(3,))")
        low = 0
    if isinstance(high, (tuple, list)):  # PyTorch's randint(high, size)
        if not (isinstance(size, tuple) and size == ()):
            raise TypeError(f"randint: got two sizes, {high!r} and {size!r}; give "
                            f"randint(high, size) or randint(low, high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    low, high = integer("randint", "low", low), integer("randint", "high", high)
    shape, out = _sizes("randint", (size,)), _dtype(dtype, "randint", np.int64)
    if low >= high:
        raise ValueError(f"randint: low must be less than high (values come from [low, high)), "
                         f"got low={low} >= high={high}; e.g. randint(0, 10, size) for 0..9")
    drawn = out if out.kind in "iub" else np.dtype(np.int64)  # (float dtypes: int64 drawn)
    least, most = (0, 1) if drawn.kind == "b" else (np.iinfo(drawn).min, np.iinfo(drawn).max)
    if low < least or high - 1 > most:
        raise ValueError(f"randint: values in [{low}, {high}) do not fit dtype {drawn} "
                         f"({least} to {most}); give bounds within it, or a wider dtype")
    if out.kind == "f":  # (a bound that would become inf: refused, as PyTorch's)
        for name, bound in (("low=", low), ("high - 1 = ", high - 1)):
            _fitted(bound, out, "randint", "give a wider dtype (float64, int64)", name)
    values = make_generator(seed, generator, "randint")
    return _leaf(_array("randint", shape, lambda: values.integers(low, high, shape)).astype(
        out, copy=False), False, "randint")


def randperm(n: int, *, dtype: Any = None, requires_grad: bool = False, seed: Any = None,
             generator: Any = None) -> Tensor:
    """A random permutation of 0..n-1 (PyTorch's torch.randperm), int64 by default."""
    n = integer("randperm", "n", n)
    if n < 0:
        raise ValueError(f"randperm: n must be >= 0, got {n}; give how many values to permute")
    out = _dtype(dtype, "randperm", np.int64)
    exact = 2 ** (np.finfo(out).nmant + 1) if out.kind == "f" else None  # (whole floats)
    most = exact if exact else 1 if out.kind == "b" else int(np.iinfo(out).max)
    if n - 1 > most:
        raise ValueError(f"randperm: the values 0..{n - 1} do not fit dtype {out} (whole "
                         f"numbers up to {most}); give a wider dtype (int64)")
    values = make_generator(seed, generator, "randperm")
    return _leaf(_array("randperm", (n,), lambda: values.permutation(n)).astype(
        out, copy=False), requires_grad, "randperm", "pass dtype='float64' (int64 unless given)")


def _like(x: Any, where: str) -> tuple[tuple[int, ...], np.dtype]:
    data = _as_array(x, None, where, copy=False, default=None)
    return data.shape, data.dtype


def _hint(dtype: Any, like: np.dtype) -> str:
    """requires_grad's hint for a tensor of x's dtype (`like`) unless `dtype` is given
    (then leaving it out helps only where x's is a float one)."""
    if dtype is None:
        return f"pass dtype='float64' (the dtype is x's, {like})"
    return _GIVEN if like.kind == "f" else f"pass dtype='float64' (x's dtype is {like} too)"


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of x's shape and dtype (or `dtype=`)."""
    shape, like = _like(x, "zeros_like")
    return _filled("zeros_like", (shape,), 0, like if dtype is None else dtype, requires_grad,
                   _hint(dtype, like))


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of x's shape and dtype (or `dtype=`)."""
    shape, like = _like(x, "ones_like")
    return _filled("ones_like", (shape,), 1, like if dtype is None else dtype, requires_grad,
                   _hint(dtype, like))


def full_like(x: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """`fill_value` in x's shape and dtype (or `dtype=`)."""
    shape, like = _like(x, "full_like")
    return _full("full_like", shape, fill_value, like if dtype is None else dtype,
                 requires_grad, _hint(dtype, like))


def _float_like(like: np.dtype, dtype: Any) -> Any:
    return dtype if dtype is not None else like if like.kind == "f" else default_float()


def rand_like(x: Any, dtype: Any = None, requires_grad: bool = False, seed: Any = None,
              generator: Any = None) -> Tensor:
    """Uniform [0, 1) values in x's shape (x's float dtype, or float64)."""
    shape, like = _like(x, "rand_like")
    return _drawn("rand_like", (shape,), _float_like(like, dtype), requires_grad, seed,
                  generator, uniform=True)


def randn_like(x: Any, dtype: Any = None, requires_grad: bool = False, seed: Any = None,
               generator: Any = None) -> Tensor:
    """Standard normal values in x's shape (x's float dtype, or float64)."""
    shape, like = _like(x, "randn_like")
    return _drawn("randn_like", (shape,), _float_like(like, dtype), requires_grad, seed,
                  generator, uniform=False)


# PyTorch's `x.new_zeros(2, 3)` and the like: a new tensor with x's dtype (or dtype=), not
# x's shape; no gradient unless asked, as in PyTorch.
def _new(name: str, value: Any) -> Any:
    def method(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False
               ) -> Tensor:
        return _filled(name, size, value, self.dtype if dtype is None else dtype,
                       requires_grad, _hint(dtype, self.dtype))
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"PyTorch's `x.{name}(...)`: `tg.{name[4:]}(...)` with x's dtype "
                      f"(or dtype=); no gradient unless requires_grad=True.")
    return method


def new_full(self: Tensor, size: Any, fill_value: Any, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """PyTorch's `x.new_full(size, fill_value)`: `tg.full(...)` with x's dtype (or dtype=);
    no gradient unless requires_grad=True."""
    return _full("new_full", size, fill_value, self.dtype if dtype is None else dtype,
                 requires_grad, _hint(dtype, self.dtype))


def new_tensor(self: Tensor, data: Any, dtype: Any = None, requires_grad: bool = False
               ) -> Tensor:
    """PyTorch's `x.new_tensor(data)`: a copy of `data` with x's dtype (or dtype=); its
    warnings and refusals name new_tensor()."""
    where = "new_tensor()"
    array = _new_values(data, self.dtype if dtype is None else dtype, where)
    return _leaf(array, check_flag(where, "requires_grad", requires_grad), where,
                 _hint(dtype, self.dtype))


for _name, _value in (("new_zeros", 0), ("new_ones", 1), ("new_empty", 0)):
    setattr(Tensor, _name, _new(_name, _value))
Tensor.new_full, Tensor.new_tensor = new_full, new_tensor


for _name in (*__all__, "tensor"):
    _made = on_the_cpu(globals()[_name])  # (the *_like forms: PyTorch's memory_format= too)
    globals()[_name] = taking_memory_format(_made) if _name.endswith("_like") else _made
for _name in ("new_zeros", "new_ones", "new_empty", "new_full", "new_tensor"):
    setattr(Tensor, _name, on_the_cpu(getattr(Tensor, _name)))

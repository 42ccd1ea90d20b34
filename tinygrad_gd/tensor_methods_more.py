"""PyTorch's remaining Tensor methods (and their `tg.` functions), as a real-valued, CPU-only
framework on NumPy answers them, so a PyTorch user's guess runs or is refused in one line.

Where the values are: `x.is_cpu` True; `is_meta`, `is_nested`, `is_quantized`,
`is_sparse`, `x.is_pinned()`, `x.is_shared()` False; `x.get_device()` -1 (PyTorch's for
the CPU), `x.layout` `tg.strided`, `x.output_nr` 0 (every op here makes one output),
`x.const_data_ptr()` is `data_ptr()`, `x.dim_order()` the axes from the largest stride
to the smallest. Refused in one line: `imag` (the values are real), `pin_memory` and
`share_memory_` (no GPU, no shared memory), `storage` and `storage_type` (PyTorch's
deprecated TypedStorage: `untyped_storage()`); other devices and dtypes (`cuda`,
`bfloat16`, ...) are tensor_devices.py's. Casts (the op `to`): `byte` uint8, `char` int8,
`short` int16.

In the graph, made of ops (their gradients are theirs, as PyTorch's): `angle` (0, or pi
for a negative value, NaN kept; gradient 0), `conj_physical` (x itself: real values),
`narrow_copy` (narrow, clone), `unsafe_chunk`, `unsafe_split`, `unsafe_split_with_sizes`
(chunk, split, split_with_sizes), `select_scatter`, `slice_scatter`, `as_strided_scatter`
and `put` (scatter on the flattened input, as diagonal_scatter), `index_reduce`
(scatter_reduce); `nextafter` is the op of ops/elementwise.py (its gradient PyTorch's: g
for input, 0 where input == other, and 0 for other). In place: `put_`,
`index_reduce_`, `nextafter_`, `conj_physical_`, a Python function's values (`apply_`,
`map_`, `map2_`: no gradient passes through one), the random fills `cauchy_`,
`log_normal_`, `geometric_` (on a tensor of the graph recorded as uniform_ is: in_place_draws.py),
and `resize_`, `resize_as_` (new entries 0: PyTorch's are whatever was in memory).
`x.new(...)`: PyTorch's legacy constructor, x's dtype (sizes give zeros).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import functional
from .alias_methods import respell_in_place_forms
from .creation import fits, make_generator, zeros
from .grad_mode import check_flag
from .in_place import _from_op, shown
from .in_place_draws import _draw, _drawn
from .memory import positions, strides
from .memory_formats import cast, dim_order as memory_dim_order, resize_format, resized
from .nn.layer_arguments import _as_tensor, _floated
from .op_errors import methods_counting_self, refusing_as
from .ops.arguments import integer, one_axis
from .tensor import Tensor, _raw
from .tensor_devices import refusal
from .torch_functions_more import _flat_write, _method

__all__ = ["angle", "conj_physical", "conj_physical_", "narrow_copy", "select_scatter",
           "slice_scatter", "as_strided_scatter", "put", "index_reduce", "unsafe_chunk",
           "unsafe_split", "unsafe_split_with_sizes", "resize_as_", "imag", "strided"]


class _Layout(str):
    """How a tensor's values are laid out: `tg.strided` (PyTorch's torch.strided), the only
    layout here (a str: `x.layout == "strided"`)."""

    def __repr__(self) -> str:
        return "tinygrad_gd.strided"

    def __reduce__(self) -> Any:
        return str, ("strided",)


strided = _Layout("strided")


# -- refusals -----------------------------------------------------------------------------
_REFUSALS = {
    "pin_memory": (RuntimeError, "pinned memory speeds copies to a GPU, and there is none "
                   "here; use the tensor as it is"),
    "share_memory_": (RuntimeError, "tinygrad_gd has no shared-memory tensors (no "
                      "torch.multiprocessing); give each process its own copy"),
    "storage": (RuntimeError, "PyTorch's TypedStorage is deprecated there and absent here; "
                "use x.untyped_storage() (data_ptr(), nbytes())"),
    "storage_type": (RuntimeError, "PyTorch's typed storages (torch.FloatStorage, ...) are "
                     "absent here; x.dtype names the values' type"),
}


def imag(input: Any) -> Tensor:  # noqa: A002  (PyTorch's name)
    """Refused: the values here are real, so there is no imaginary part (PyTorch's
    torch.imag refuses a real tensor too); `x.real` is x."""
    raise RuntimeError("imag: the values are real (tinygrad_gd has no complex dtype), so "
                       "there is no imaginary part; for zeros of x's shape use "
                       "tg.zeros_like(x)")


# -- facts about where the values are -----------------------------------------------------
def _dim_order(self: Tensor, *, ambiguity_check: Any = False) -> tuple[int, ...]:
    """The axes from the outermost in memory to the innermost, as PyTorch's dim_order()
    orders them (memory_formats.dim_order); `ambiguity_check` refuses an order that is not
    unique (True, or unless one of a list of memory formats fits), as PyTorch's."""
    return memory_dim_order(self._data, ambiguity_check)


def _new(self: Tensor, *args: Any) -> Tensor:
    """PyTorch's legacy `x.new(...)`: of x's dtype, needing no gradient. `x.new(2, 3)`:
    zeros of that shape (PyTorch's values are whatever was in memory); `x.new(data)`: the
    data's values; `x.new()`: an empty tensor."""
    if not args:
        return zeros(0, dtype=self.dtype)
    if all(isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))
           for n in args):
        if min(args) < 0:
            raise ValueError(f"new: sizes must be >= 0, got {tuple(int(n) for n in args)}")
        return zeros(*(int(n) for n in args), dtype=self.dtype)
    if len(args) > 1:
        raise TypeError(f"new: expected sizes (ints, as x.new(2, 3)) or one piece of data (as "
                        f"x.new([1, 2])), got {len(args)} arguments: "
                        f"{', '.join(shown(a) for a in args)}")
    return Tensor(np.array(_raw(args[0]), copy=True), dtype=self.dtype)


# -- in the graph ---------------------------------------------------------------------------
def angle(input: Any) -> Tensor:  # noqa: A002
    """The argument of each value as a complex number (PyTorch's angle): 0 for a value >= 0,
    pi for a negative one, NaN kept; integers and bools as the default float. Its gradient
    is 0 (the angle is constant between the jumps), in the graph: where, mul, add."""
    x = _floated(_as_tensor("angle", input))
    steps = Tensor.from_op(np.where(x._data < 0, np.pi, 0).astype(x.dtype), None)
    nan = Tensor.from_op(np.isnan(x._data), None)  # (NaN * 0 is NaN; inf * 0 would be too)
    return functional.where(nan, x, 0.0) * 0 + steps


def conj_physical(input: Any) -> Tensor:  # noqa: A002
    """x itself: the values are real (PyTorch's conj_physical of a real tensor)."""
    return _as_tensor("conj_physical", input)


def conj_physical_(input: Any) -> Tensor:  # noqa: A002
    """x itself, unchanged: the conjugate of real values is themselves (PyTorch's)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"conj_physical_: expected a tensor, got {shown(input)}")
    return input


def narrow_copy(input: Any, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    """`length` entries from `start` along `dim`, a copy (PyTorch's narrow_copy): the ops
    narrow and clone."""
    return _as_tensor("narrow_copy", input).narrow(dim, start, length).clone()


@refusing_as("unsafe_chunk", "chunk")
def unsafe_chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """chunk (PyTorch's unsafe_chunk skips a check of views that this graph needs not)."""
    return _as_tensor("unsafe_chunk", input).chunk(chunks, dim)


@refusing_as("unsafe_split", "split")
def unsafe_split(input: Any, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """split (PyTorch's unsafe_split skips a check of views that this graph needs not)."""
    return _as_tensor("unsafe_split", input).split(split_size, dim)


@refusing_as("unsafe_split_with_sizes", "split_with_sizes")
def unsafe_split_with_sizes(input: Any, split_sizes: Any,  # noqa: A002
                            dim: int = 0) -> tuple[Tensor, ...]:
    """split_with_sizes (PyTorch's unsafe_ form skips a check this graph needs not)."""
    return _as_tensor("unsafe_split_with_sizes", input).split_with_sizes(split_sizes, dim)


# the op NextAfter (ops/elementwise.py), importable from here as before
nextafter = functional.nextafter


def _axis(name: str, x: Tensor, dim: Any) -> int:
    if x.ndim == 0:
        raise IndexError(f"{name}: a 0-d tensor has no axis; reshape it first (x.reshape(1))")
    return one_axis(name, dim, x.ndim) % x.ndim


def _written(name: str, x: Tensor, src: Any, positions: np.ndarray, what: str) -> Tensor:
    """x with src (exactly of `positions`' shape, cast to x's dtype) at those flat places."""
    src = _as_tensor(name, src, x, "src")
    if src.shape != positions.shape:
        raise RuntimeError(f"{name}: src has shape {src.shape}, {what} has shape "
                           f"{positions.shape}; give src of that shape")
    return _flat_write(x, positions, src if src.dtype == x.dtype else src.to(x.dtype))


def select_scatter(input: Any, src: Any, dim: int, index: int) -> Tensor:  # noqa: A002
    """input with `input.select(dim, index)` replaced by src (PyTorch's select_scatter);
    gradients for input (elsewhere) and for src."""
    name = "select_scatter"
    x = _as_tensor(name, input)
    axis = _axis(name, x, dim)
    i, n = integer(name, "index", index), x.shape[axis]
    if not -n <= i < n:
        raise IndexError(f"{name}: index {i} is out of range for axis {axis} of length {n} "
                         f"(shape {x.shape}); give an index in [{-n}, {n - 1}]")
    places = np.arange(x.size).reshape(x.shape)[(slice(None),) * axis + (i,)]
    return _written(name, x, src, places, f"the selection (axis {axis}, index {i})")


def slice_scatter(input: Any, src: Any, dim: int = 0, start: Any = None,  # noqa: A002
                  end: Any = None, step: int = 1) -> Tensor:
    """input with `start:end:step` along `dim` replaced by src (PyTorch's slice_scatter);
    gradients for input (elsewhere) and for src."""
    name = "slice_scatter"
    x = _as_tensor(name, input)
    axis = _axis(name, x, dim)
    bounds = [None if b is None else integer(name, what, b)
              for what, b in (("start", start), ("end", end))]
    step = integer(name, "step", step)
    if step <= 0:
        raise RuntimeError(f"{name}: step must be positive, got {step}")
    cut = slice(*bounds, step)
    places = np.arange(x.size).reshape(x.shape)[(slice(None),) * axis + (cut,)]
    return _written(name, x, src, places, f"the slice {start}:{end}:{step} of axis {axis}")


def as_strided_scatter(input: Any, src: Any, size: Any, stride: Any,  # noqa: A002
                       storage_offset: Any = None) -> Tensor:
    """input with the entries `input.as_strided(size, stride, storage_offset)` reads
    replaced by src (PyTorch's as_strided_scatter: strides over a copy of input laid out as
    input is, from offset 0); gradients for input (elsewhere) and for src."""
    name = "as_strided_scatter"
    x = _as_tensor(name, input)
    size, stride = (tuple(integer(name, what, n) for n in (
        value if isinstance(value, (tuple, list)) else (value,)))
        for what, value in (("size", size), ("stride", stride)))
    offset = 0 if storage_offset is None else integer(name, "storage_offset", storage_offset)
    if len(size) != len(stride) or min(size + stride + (offset,), default=0) < 0:
        raise RuntimeError(f"{name}: size {size} and stride {stride} need one stride per size, "
                           f"and they and storage_offset {offset} must be >= 0")
    places = positions(size, stride, offset)
    if places.size and places.max() >= x.size:
        raise RuntimeError(f"{name}: size {size} and stride {stride} from storage_offset "
                           f"{offset} reach entry {places.max()} of {x.size}; stay within them")
    if len(np.unique(places)) != places.size:
        raise RuntimeError(f"{name}: size {size} and stride {stride} reach some entries more "
                           f"than once, which cannot each take one of src's values; give "
                           f"strides that reach each entry once")
    layout = strides(np.empty_like(x._data))  # (PyTorch's copy keeps a dense layout)
    entry_at = np.empty(x.size, np.int64)  # storage place -> x's entry (C order) there
    entry_at[positions(x.shape, layout, 0).ravel()] = np.arange(x.size)
    return _written(name, x, src, entry_at[places], f"the view (size {size})")


def put(input: Any, index: Any, source: Any, accumulate: bool = False) -> Tensor:  # noqa: A002
    """input, taken as one axis, with source's values at `index` (PyTorch's put; negative
    indices from the end; accumulate=True adds them), input's shape kept; gradients for
    input (where not overwritten) and source."""
    name = "put"
    x = _as_tensor(name, input)
    index = _raw(index) if isinstance(index, Tensor) else np.asarray(index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got dtype {index.dtype}")
    source = _as_tensor(name, source, x, "source")
    if source.size != index.size:
        raise RuntimeError(f"{name}: source has {source.size} values and index {index.size}; "
                           f"give one value per index")
    if source.dtype != x.dtype:
        raise RuntimeError(f"{name}: source has dtype {source.dtype}, input {x.dtype}; "
                           f"convert it first (source.to({x.dtype}))")
    n = x.size
    if index.size and not (-n <= index.min() and index.max() < n):
        bad = index.min() if index.min() < -n else index.max()
        raise IndexError(f"{name}: index {bad} is out of range for a tensor of {n} entries; "
                         f"give indices in [{-n}, {n - 1}]")
    return _flat_write(x, index % max(n, 1), source,
                       check_flag(name, "accumulate", accumulate))


_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


def index_reduce(input: Any, dim: int, index: Any, source: Any, reduce: str,  # noqa: A002
                 *, include_self: bool = True) -> Tensor:
    """input with source's slices along `dim` reduced into the slices `index` names
    (PyTorch's index_reduce: 'prod', 'mean', 'amax' or 'amin'; input's own values among
    them unless include_self=False): the op scatter_reduce, with its gradients."""
    name = "index_reduce"
    x = _as_tensor(name, input)
    source = _as_tensor(name, source, x, "source")
    if not isinstance(reduce, str) or reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"{name}: reduce must be one of 'prod', 'mean', 'amax', 'amin', "
                           f"got {reduce!r:.40}")
    scalar = x.ndim == 0
    if scalar:  # (a 0-d tensor as one entry along axis 0, as PyTorch's)
        x, source = x.reshape(1), source.reshape(-1)
    axis = _axis(name, x, dim)
    index = _raw(index) if isinstance(index, Tensor) else np.asarray(index)
    if index.dtype.kind not in "iu" or index.ndim > 1:
        raise TypeError(f"{name}: index must be a 1-D integer tensor, got {shown(index)}")
    index = index.reshape(-1)
    expected = x.shape[:axis] + (index.size,) + x.shape[axis + 1:]
    if source.shape != expected:
        raise RuntimeError(f"{name}: source has shape {source.shape}; with {index.size} "
                           f"indices along axis {axis} of input's shape {x.shape} it must "
                           f"have shape {expected}")
    if index.size and (index.min() < 0 or index.max() >= x.shape[axis]):
        raise IndexError(f"{name}: index {index.min() if index.min() < 0 else index.max()} "
                         f"is out of range for axis {axis} of length {x.shape[axis]}; give "
                         f"indices in [0, {x.shape[axis] - 1}]")
    spread = index.reshape((-1,) + (1,) * (x.ndim - axis - 1))
    places = Tensor.from_op(np.broadcast_to(spread, source.shape).astype(np.int64), None)
    out = x.scatter_reduce(axis, places, source, reduce, include_self=include_self)
    return out.reshape(()) if scalar else out


# -- in place: a Python function's values, random draws, a new size ------------------------
def _python_values(name: str, self: Tensor, function: Any, *arrays: np.ndarray) -> Tensor:
    """`function` called on each entry (with the others' entries), written into self."""
    if self.requires_grad:
        raise RuntimeError(f"{name}: a Python function's values carry no gradient, and this "
                           f"tensor requires one; use x.detach().{name}(...) (its values) "
                           f"or ops (x.exp(), tg.where(...)) to stay in the graph")
    if not callable(function):
        raise TypeError(f"{name}: expected a function of {len(arrays) + 1} number(s), got "
                        f"{shown(function)}")
    for other in arrays:
        if not fits(other.shape, self.shape):
            raise RuntimeError(f"{name}: a tensor of shape {other.shape} does not broadcast "
                               f"to this tensor's shape {self.shape}")
    operands = [self._data] + [np.broadcast_to(a, self.shape) for a in arrays]
    values = np.asarray(np.frompyfunc(function, len(operands), 1)(*operands), dtype=object)
    try:
        values = values.astype(self.dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: the function must return numbers (for dtype "
                        f"{self.dtype}), got {type(values.flat[0]).__name__}") from None
    self._write_at(..., values, name)
    return self


def _apply_(self: Tensor, callable: Any) -> Tensor:  # noqa: A002  (PyTorch's name)
    """Each value replaced by `callable(value)`, a Python number, in place (PyTorch's
    apply_: slow, no gradient); returns x."""
    return _python_values("apply_", self, callable)


def _map_(self: Tensor, tensor: Any, callable: Any) -> Tensor:  # noqa: A002
    """Each value replaced by `callable(value, other)`, tensor broadcast to x's shape, in
    place (PyTorch's map_); returns x."""
    return _python_values("map_", self, callable, _values("map_", tensor))


def _map2_(self: Tensor, x: Any, y: Any, callable: Any) -> Tensor:  # noqa: A002
    """Each value replaced by `callable(value, x_value, y_value)`, in place (PyTorch's
    map2_); returns self."""
    return _python_values("map2_", self, callable, _values("map2_", x), _values("map2_", y))


def _values(name: str, value: Any) -> np.ndarray:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: expected a tensor, got {shown(value)}")
    return value._data


def _cauchy_(self: Tensor, median: float = 0, sigma: float = 1, *,
             generator: Any = None) -> Tensor:
    """Every value drawn from the Cauchy distribution (median, scale sigma > 0) in place
    (PyTorch's cauchy_), from `generator=`, else tg.manual_seed's, else fresh entropy."""
    median, sigma = _draw(self, "cauchy_", median=median, sigma=sigma)
    if sigma <= 0:
        raise ValueError(f"cauchy_: expects sigma > 0 (the scale), got sigma={sigma}")
    rng = make_generator(None, generator, "cauchy_")
    return _drawn(self, "cauchy_", lambda: (median + sigma * rng.standard_cauchy(self.shape))
                  .astype(self.dtype))


def _log_normal_(self: Tensor, mean: float = 1, std: float = 2, *,
                 generator: Any = None) -> Tensor:
    """Every value drawn as exp(N(mean, std**2)) in place, std > 0 (PyTorch's log_normal_),
    from the same generators as cauchy_."""
    mean, std = _draw(self, "log_normal_", mean=mean, std=std)
    if std <= 0:
        raise ValueError(f"log_normal_: expects std > 0, got std={std}")
    rng = make_generator(None, generator, "log_normal_")
    with np.errstate(over="ignore"):
        return _drawn(self, "log_normal_",
                      lambda: rng.lognormal(mean, std, self.shape).astype(self.dtype))


def _geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Every value drawn as the number of trials up to the first success, each succeeding
    with probability p in (0, 1) (PyTorch's geometric_: 1, 2, ...; integer tensors too)."""
    (p,) = _draw(self, "geometric_", "iuf", p=p)
    if not 0 < p < 1:
        raise ValueError(f"geometric_: expects p in (0, 1), got p={p}")
    rng = make_generator(None, generator, "geometric_")
    return _drawn(self, "geometric_", lambda: rng.geometric(p, self.shape).astype(self.dtype))


def _resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """x given the shape `sizes` in place (PyTorch's resize_): its memory (its values in
    the order they lie in memory), cut, or followed by zeros (PyTorch's: whatever was in
    memory), read row by row or in `memory_format=`'s strides; x of its own shape without
    a format is left as it is (`memory_formats.resized`); returns x."""
    shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) \
        else sizes
    shape = tuple(integer("resize_", "size", n) for n in shape)
    if min(shape, default=0) < 0:
        raise ValueError(f"resize_: sizes must be >= 0, got {shape}")
    return _resized(self, shape, resize_format("resize_", memory_format, len(shape)), "resize_")


def _resized(self: Tensor, shape: tuple, fmt: Any, what: str) -> Tensor:
    """x given `shape` in place in the format `fmt`, by `what` (resize_, resize_as_)."""
    if self.requires_grad:
        raise RuntimeError(f"{what}: cannot resize a tensor that requires a gradient; use "
                           f"x.reshape(...) (in the graph), or resize x.detach().clone()")
    self._check_writable(what, "use t = t.reshape(...)")
    values = resized(self._data, shape, fmt)
    if values is not None:
        self._data = values
        self._mark_changed()
    return self


def resize_as_(input: Any, the_template: Any, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    """input resized in place to the_template's shape (PyTorch's resize_as_;
    preserve_format: the layout the template's strides suggest); returns it."""
    for what, value in (("input", input), ("the_template", the_template)):
        if not isinstance(value, Tensor):
            raise TypeError(f"resize_as_: {what} must be a tensor, got {shown(value)}")
    fmt = resize_format("resize_as_", memory_format, the_template.ndim, the_template._data)
    return _resized(input, the_template.shape, fmt, "resize_as_")


_METHODS = {
    "is_pinned": lambda self: False, "is_shared": lambda self: False,
    "get_device": lambda self: -1, "const_data_ptr": lambda self: self.data_ptr(),
    "dim_order": _dim_order, "new": _new, "byte": cast(np.uint8, "byte"),
    "char": cast(np.int8, "char"), "short": cast(np.int16, "short"),
    "apply_": _apply_, "map_": _map_, "map2_": _map2_, "cauchy_": _cauchy_,
    "log_normal_": _log_normal_, "geometric_": _geometric_, "resize_": _resize_,
    "resize_as_": resize_as_, "conj_physical_": conj_physical_,
}
for _name, _method_of in _METHODS.items():
    _method_of.__name__ = _method_of.__qualname__ = _name
    setattr(Tensor, _name, _method_of)
for _name, (_error, _why) in _REFUSALS.items():
    setattr(Tensor, _name, refusal(_name, _error, f"{_name}: {_why}"))
for _function in (angle, conj_physical, narrow_copy, unsafe_chunk, unsafe_split,
                  unsafe_split_with_sizes, select_scatter, slice_scatter,
                  as_strided_scatter, put, index_reduce):
    setattr(Tensor, _function.__name__, _method(_function))
for _name in ("put_", "index_reduce_"):  # (nextafter_: torch_functions.py, from the op)
    setattr(Tensor, _name, _from_op(_name))
for _name, _value, _why in (
        ("is_cpu", True, "the values are NumPy arrays, in the CPU's memory"),
        ("is_meta", False, "every tensor here holds its values"),
        ("is_nested", False, "no nested (ragged) tensors here"),
        ("is_quantized", False, "no quantized dtypes here"),
        ("is_sparse", False, "every tensor here is dense"),
        ("layout", strided, "the only layout here"), ("output_nr", 0, "each op makes one output")):
    setattr(Tensor, _name, property(lambda self, value=_value: value,
                                    doc=f"{_value!r}: {_why} (PyTorch's x.{_name})."))
Tensor.imag = property(imag)
respell_in_place_forms()  # (the last in-place forms are made above: each refuses as called)
methods_counting_self(Tensor)  # (x.lerp(y, w, 1): "takes 2 arguments", tg.lerp's 3 not said)

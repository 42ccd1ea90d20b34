"""PyTorch's memory formats and the `memory_format=` keyword that takes them.

`tg.preserve_format`, `tg.contiguous_format`, `tg.channels_last` and `tg.channels_last_3d`
are PyTorch's `torch.preserve_format`, ... (each a `tg.memory_format`); PyTorch's own
objects are read as these. `x.to(...)`, the casts (`x.float()`, `x.double()`, `x.half()`,
`x.int()`, `x.long()`, `x.short()`, `x.char()`, `x.byte()`, `x.bool()`, `x.type(dtype)`),
`x.clone()`, `x.contiguous()`, `x.is_contiguous()`, the `*_like` functions and
`model.to(...)` take `memory_format=` as PyTorch's do, and lay the values out as its do
(a tensor's values are a NumPy array: its strides are the layout, `x.stride()`):

- `preserve_format` (the default of every copy): a copy of values that are dense and
  without overlaps keeps their strides (`x.T.clone().stride() == x.T.stride()`, so its
  `view(-1)` is refused, as PyTorch's); other values (a slice with steps, an expand) get
  dense strides in the order of theirs (`copy_strides`).
- `contiguous_format`: row by row (C order). `channels_last`: a 4-d (N, C, H, W) tensor's
  channels innermost (NHWC in memory, the shape kept); `channels_last_3d` the same for a
  5-d (N, C, D, H, W) one (NDHWC); another number of axes refused in one line.

`x.to(memory_format=f)` (and a cast to x's own dtype) is x itself where PyTorch's is: f is
preserve_format or the format x's strides suggest (`suggested_format`), a 2-d x.T too;
`x.contiguous(memory_format=f)` is x where x is laid out so (`is_contiguous_as`), and
refuses preserve_format, as PyTorch's. `model.to(memory_format=f)` lays out each 4-d
(channels_last) or 5-d parameter, gradient and buffer in place. A copy's gradient comes
back in its input's layout, and a leaf's `.grad` in the leaf's strides (grad_layout.py,
PyTorch's layout contract). `tg.save` keeps a layout, as torch.save (`saved_strides`);
`x.resize_(..., memory_format=f)` lays out as PyTorch's (`resized`); pickle and
copy.deepcopy keep a layout too (memory.py's `LaidOut`), as does `model.state_dict()`.
The casts are made here (`cast`), each `x.to(dtype, memory_format=...)`: the op `to`, in
the graph to a float dtype, a new tensor without gradient to an integer or bool one.
"""
from __future__ import annotations

import functools
import reprlib
import weakref
from typing import Any, Callable

import numpy as np

from .grad_starts import replace_grad

__all__ = ["memory_format", "preserve_format", "contiguous_format", "channels_last",
           "channels_last_3d"]


class memory_format:  # noqa: N801  (PyTorch's name: isinstance(f, tg.memory_format))
    """How a tensor's values are laid out in memory (PyTorch's torch.memory_format): one of
    `tg.preserve_format`, `tg.contiguous_format`, `tg.channels_last`, `tg.channels_last_3d`."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"tinygrad_gd.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # (pickled and copied as the module's constant: `is` keeps working)


preserve_format = memory_format("preserve_format")
"""The layout of the input where a copy is made (PyTorch's default): its strides where its
values are dense without overlaps, else dense strides in the order of its strides."""
contiguous_format = memory_format("contiguous_format")
"""Values laid out row by row (C order) without gaps: `x.contiguous()`'s layout."""
channels_last = memory_format("channels_last")
"""PyTorch's NHWC layout of a 4-d (N, C, H, W) tensor: the channels innermost."""
channels_last_3d = memory_format("channels_last_3d")
"""PyTorch's NDHWC layout of a 5-d (N, C, D, H, W) tensor: the channels innermost."""

_FORMATS = {f.name: f for f in (preserve_format, contiguous_format, channels_last,
                                channels_last_3d)}
# the channels-last formats: their number of axes, and the axes from innermost to outermost
_CHANNELS_LAST = {channels_last: (4, (1, 3, 2, 0)), channels_last_3d: (5, (1, 4, 3, 2, 0))}
_LETTERS = {channels_last: "(N, C, H, W)", channels_last_3d: "(N, C, D, H, W)"}
# id -> the buffer under each array a copy here laid out otherwise than row by row (what
# `pytorchs_layout` recognises; weak: a buffer goes with the last array that uses it)
_BUFFERS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def check_memory_format(where: str, value: Any, ndim: int | None = None) -> memory_format:
    """The format `memory_format=value` asks `where` for, ours or PyTorch's (None, the
    default: preserve_format); any other value refused in one line (TypeError), as is a
    channels-last format for a tensor of `ndim` axes it does not fit (RuntimeError)."""
    if value is None:
        return preserve_format
    found = value if isinstance(value, memory_format) else None
    if type(value).__name__ == "memory_format" and type(value).__module__ == "torch":
        found = _FORMATS.get(str(value).removeprefix("torch."))  # (torch's, read by name)
    if found is None:
        raise TypeError(f"{where}: memory_format must be tg.preserve_format, "
                        f"tg.contiguous_format, tg.channels_last or tg.channels_last_3d, got "
                        f"{type(value).__name__} {reprlib.repr(value)}; leave the keyword out "
                        f"for the default")
    if ndim is not None and found in _CHANNELS_LAST and ndim != _CHANNELS_LAST[found][0]:
        raise RuntimeError(f"{where}: memory_format=tg.{found.name} needs a "
                           f"{_CHANNELS_LAST[found][0]}-d tensor {_LETTERS[found]}, got one of "
                           f"{ndim} axes; use it on such a tensor, or tg.contiguous_format")
    return found


def contiguous_copy_format(value: Any, array: np.ndarray) -> memory_format | None:
    """The format of the copy `x.contiguous(memory_format=value)` makes of x's `array`, or
    None where x is laid out so already (x itself); preserve_format, where a copy is
    needed, refused in one line, as PyTorch's (contiguous() lays out in a format it names)."""
    fmt = contiguous_format if value is None else check_memory_format("contiguous", value,
                                                                      array.ndim)
    if is_contiguous_as(array, fmt):
        return None
    if fmt is preserve_format:
        raise RuntimeError("contiguous: memory_format=tg.preserve_format is not supported for "
                           "values that are not contiguous, as in PyTorch (contiguous() lays "
                           "out in a format it names); use x.clone() for a copy in x's "
                           "layout, or leave the keyword out")
    return fmt


# -- what a layout is -----------------------------------------------------------------------
def _steps(array: np.ndarray) -> tuple[int, ...]:
    return tuple(s // array.itemsize for s in array.strides)


def _row_by_row(shape: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's strides (in entries) of a new C-ordered array of `shape` (all 0 where it
    is empty)."""
    if 0 in shape:
        return (0,) * len(shape)
    steps, step = [], 1
    for n in reversed(shape):
        steps.append(step)
        step *= n
    return tuple(reversed(steps))


def _channels_last_steps(shape: tuple[int, ...], order: tuple[int, ...]) -> tuple[int, ...]:
    """Dense strides of `shape` with the axes of `order` from innermost to outermost."""
    steps, step = [0] * len(shape), 1
    for axis in order:
        steps[axis] = step
        step *= shape[axis]
    return tuple(steps)


def _dense(shape: tuple[int, ...], steps: tuple[int, ...]) -> bool:
    """Whether each entry has memory of its own and no memory is skipped (PyTorch's
    non-overlapping and dense): the axes longer than 1, by stride, each the product of the
    inner ones' lengths. An empty tensor counts as dense, as PyTorch's does."""
    if 0 in shape:
        return True
    step = 1
    for stride, n in sorted((s, n) for s, n in zip(steps, shape) if n > 1):
        if stride != step:
            return False
        step *= n
    return True


def _inner_first(shape: tuple[int, ...], steps: tuple[int, ...]) -> list[int]:
    """The axes from the innermost in memory to the outermost, as PyTorch orders them for a
    copy: smaller stride inside, an equal one the shorter axis inside; an axis of stride 0
    (an expand) stays where it is among the last axis first, as does one it ties with."""
    order = list(range(len(shape)))[::-1]

    def outside(a: int, b: int) -> int:  # 1: a lies outside b, -1: inside, 0: undecided
        if steps[a] == 0 or steps[b] == 0:
            return 0
        if abs(steps[a]) != abs(steps[b]):
            return 1 if abs(steps[a]) > abs(steps[b]) else -1
        return 1 if shape[a] > shape[b] else 0

    return _insertion_sorted(order, outside)


def _insertion_sorted(order: list[int], outside: Callable[[int, int], int]) -> list[int]:
    """`order` sorted in place as PyTorch sorts axes, an insertion sort that passes over
    undecided pairs (`outside(a, b)`: 1 swaps a and b, -1 stops, 0 passes over)."""
    for k in range(1, len(order)):
        moving = k
        for j in range(k - 1, -1, -1):
            verdict = outside(order[j], order[moving])
            if verdict > 0:
                order[j], order[moving] = order[moving], order[j]
                moving = j
            elif verdict < 0:
                break
    return order


def copy_strides(where: str, array: np.ndarray, fmt: memory_format) -> tuple[int, ...]:
    """The strides (in entries) of a copy of `array` laid out in `fmt`, PyTorch's; a
    channels-last format on another number of axes refused in one line."""
    shape = array.shape
    if fmt in _CHANNELS_LAST:
        check_memory_format(where, fmt, array.ndim)
        return _channels_last_steps(shape, _CHANNELS_LAST[fmt][1])
    if fmt is preserve_format:
        steps = _steps(array)
        if _dense(shape, steps):
            return steps
        step, result = 1, [0] * array.ndim
        for axis in _inner_first(shape, steps):
            result[axis] = step
            step *= max(shape[axis], 1)
        return tuple(result)
    return _row_by_row(shape)


def laid_out(array: np.ndarray, steps: tuple[int, ...], dtype: Any = None) -> np.ndarray:
    """A copy of `array`'s values (in `dtype`, as astype converts) with strides `steps`
    (in entries, a dense layout): a C-ordered array of its own where `steps` are NumPy's
    row by row, else an array over a buffer of its own."""
    dtype = array.dtype if dtype is None else np.dtype(dtype)
    if steps == _row_by_row(array.shape):
        return np.array(array, dtype=dtype, order="C")
    buffer = np.empty(array.size, dtype)
    _BUFFERS[id(buffer)] = buffer
    out = np.ndarray(array.shape, dtype, buffer=buffer,
                     strides=tuple(s * dtype.itemsize for s in steps))
    np.copyto(out, array, casting="unsafe")
    return out


def copied(where: str, array: np.ndarray, fmt: memory_format, dtype: Any = None) -> np.ndarray:
    """A copy of `array` (in `dtype`) laid out in `fmt`, PyTorch's strides."""
    if fmt is contiguous_format or fmt is preserve_format and _row_by_row_already(array):
        return array.copy() if dtype is None else array.astype(dtype, order="C")  # (common)
    return laid_out(array, copy_strides(where, array, fmt), dtype)


def _row_by_row_already(array: np.ndarray) -> bool:
    """Whether `array` has NumPy's own row-by-row strides (an axis of length 1 may have
    any stride in a contiguous array: PyTorch's copy keeps it)."""
    return array.flags.c_contiguous and 1 not in array.shape and bool(
        array.size or not any(array.strides))  # (no entries: strides given, PyTorch's)


def pytorchs_layout(array: np.ndarray) -> bool:
    """Whether `array` is a copy laid out here in PyTorch's strides other than row by row
    (`x.T.clone()`, `x.to(memory_format=tg.channels_last)`), whose reshape to a shape its
    strides cannot take is a copy where PyTorch's view() refuses."""
    base = array.base
    return base is not None and _BUFFERS.get(id(base)) is base


# -- what a layout answers --------------------------------------------------------------------
def is_contiguous_as(array: np.ndarray, fmt: memory_format) -> bool:
    """PyTorch's `x.is_contiguous(memory_format=fmt)`: row by row for contiguous_format (and
    preserve_format); for a channels-last format, each axis longer than 1 from the channels
    out has the product of the inner ones' lengths as its stride (False on another number
    of axes)."""
    if fmt not in _CHANNELS_LAST:
        return bool(array.flags.c_contiguous)
    ndim, order = _CHANNELS_LAST[fmt]
    if array.ndim != ndim:
        return False
    steps, step = _steps(array), 1
    for axis in order:
        if array.shape[axis] != 1:
            if steps[axis] != step:
                return False
            step *= array.shape[axis]
    return True


def _strides_like(shape: tuple[int, ...], steps: tuple[int, ...], order: tuple) -> bool:
    """Whether strides read as channels-last ones (PyTorch's rule, gaps allowed): growing
    from the channels out, no axis empty; an ambiguous N111 or a channels' stride 0 is not."""
    if steps[1] == 0:
        return False
    least = 0
    for axis in order:
        if shape[axis] == 0 or steps[axis] < least:
            return False
        if axis == 0 and least == steps[1]:
            return False
        least = steps[axis] * (shape[axis] if shape[axis] > 1 else 1)
    return True


def suggested_format(array: np.ndarray) -> memory_format:
    """The format `array`'s strides suggest (PyTorch's suggest_memory_format): a
    channels-last one where a 4-d or 5-d array's strides read so, else contiguous_format."""
    for fmt, (ndim, order) in _CHANNELS_LAST.items():
        if array.ndim == ndim and _strides_like(array.shape, _steps(array), order):
            return fmt
    return contiguous_format


def kept_by_to(array: np.ndarray, fmt: memory_format) -> bool:
    """Whether `x.to(memory_format=fmt)` that changes no dtype is x itself, as PyTorch's."""
    return fmt is preserve_format or suggested_format(array) is fmt


# -- the calls that take the keyword ------------------------------------------------------
def taking_memory_format(function: Callable) -> Callable:
    """`function` (a `*_like` function of a tensor `x`, or `input`) taking PyTorch's
    `memory_format=` too: its values (as without the keyword) laid out in that format of
    x's layout (`copy_strides`: x's strides by default, x's strides are dense)."""
    @functools.wraps(function)
    def taking_memory_format(*args: Any, memory_format: Any = None, **kwargs: Any) -> Any:
        fmt = check_memory_format(function.__name__, memory_format)
        source = args[0] if args else kwargs.get("x", kwargs.get("input"))
        like = getattr(source, "_data", source)
        steps = None  # (refused before the draws, where the format does not fit)
        if isinstance(like, np.ndarray) and not (fmt is contiguous_format or fmt is
                                                 preserve_format and _row_by_row_already(like)):
            steps = copy_strides(function.__name__, like, fmt)
        result = function(*args, **kwargs)
        if steps is not None and steps != _steps(result._data):
            result._data = laid_out(result._data, steps)  # (a new leaf: nothing views it)
        return result
    return taking_memory_format


def cast(dtype: Any, name: str, note: str = "") -> Callable:
    """PyTorch's cast method `name` (`x.float()`, `x.long()`, ...): `x.to(dtype)`, taking
    `memory_format=` (checked in one line naming `name`); `note` ends its docstring."""
    def method(self: Any, *, memory_format: Any = None) -> Any:
        return self.to(dtype, memory_format=check_memory_format(name, memory_format, self.ndim))
    method.__name__ = method.__qualname__ = name
    how = "in the graph (the op `to`, " if np.dtype(dtype).kind == "f" else "without gradient ("
    method.__doc__ = f"The values as {np.dtype(dtype).name}, {how}PyTorch's {name}()){note}."
    return method


def new_laid_out(where: str, tensor: Any, value: Any) -> Any:
    """A new tensor (`tg.empty`'s) laid out in `memory_format=value` (None: row by row, as
    PyTorch's; preserve_format refused, there being nothing to preserve)."""
    fmt = contiguous_format if value is None else check_memory_format(where, value,
                                                                      tensor.ndim)
    if fmt is preserve_format:
        raise RuntimeError(f"{where}: memory_format=tg.preserve_format is not supported for a "
                           f"new tensor (there is no input whose layout it keeps), as in "
                           f"PyTorch; give tg.contiguous_format or tg.channels_last")
    if fmt is not contiguous_format:
        tensor._data = laid_out(tensor._data, copy_strides(where, tensor._data, fmt))
    return tensor


def dim_order(array: np.ndarray, check: Any = False) -> tuple[int, ...]:
    """PyTorch's `x.dim_order(ambiguity_check=check)`: the axes from the outermost in memory
    to the innermost, as PyTorch orders them (row by row or channels-last where the strides
    are exactly so, else by stride, a shorter axis inside an equal stride). `check` True,
    or a list of memory formats, refuses (one line) an order that is not unique (an axis
    of length 1, two neighbouring equal strides) unless exactly one format listed fits,
    and an order the strides leave undecided."""
    formats = check if isinstance(check, list) else []
    if not isinstance(check, (bool, list)) or not all(
            isinstance(f, memory_format) or type(f).__name__ == "memory_format"
            for f in formats):
        raise TypeError(f"dim_order: ambiguity_check must be a bool or a list of memory "
                        f"formats, got {reprlib.repr(check)}")
    steps, shape = _steps(array), array.shape
    several = 1 in shape or any(a == b for a, b in zip(steps, steps[1:]))
    fitting = sum(is_contiguous_as(array, check_memory_format("dim_order", f))
                  for f in formats)
    if check is not False and several and fitting != 1:
        raise RuntimeError(f"dim_order: the tensor of shape {shape} and strides {steps} has no "
                           f"unique dim order (an axis of length 1 or two equal strides), "
                           f"and fits {fitting} of the formats given, not one; leave "
                           f"ambiguity_check out for one of its orders")
    if array.ndim < 2:
        return tuple(range(array.ndim))
    rows, nhwc = is_contiguous_as(array, contiguous_format), is_contiguous_as(array,
                                                                              channels_last)
    if rows != nhwc:
        return tuple(range(array.ndim)) if rows else (0, 2, 3, 1)

    def outside(a: int, b: int) -> int:  # 1: axis a lies inside b (swap), -1: outside, 0: tie
        if steps[a] == 0 or steps[b] == 0:
            return 0
        if steps[a] == steps[b]:
            return 0 if _at_least(shape[b], shape[a]) else 1
        return -1 if _at_least(steps[b], steps[a]) else 1

    order = _insertion_sorted(list(range(array.ndim))[::-1], outside)  # (innermost first)
    if check is not False and any(outside(a, b) != -1 for a, b in zip(order, order[1:])):
        raise RuntimeError(f"dim_order: the strides {steps} of the tensor of shape {shape} "
                           f"leave its dim order undecided; leave ambiguity_check out for "
                           f"one of its orders")
    return tuple(order[::-1])


def _at_least(a: int, b: int) -> bool:
    """PyTorch's comparison of two strides or lengths in dim_order: b is 0, or a is not 0
    and a >= b or a multiple of b."""
    return b == 0 or a != 0 and (a >= b or a % b == 0)


def module_memory_format(module: Any, value: Any) -> memory_format:
    """The format `module.to(memory_format=value)` asks for, checked in one line naming
    Module.to, each 4-d or 5-d tensor it lays out included, before anything changes."""
    fmt = check_memory_format("Module.to", value)
    if fmt is not preserve_format:
        for t in (*module.parameters(), *module.buffers()):
            if t.ndim in (4, 5):
                copy_strides("Module.to", t._data, fmt)
    return fmt


def lay_out_module(module: Any, fmt: memory_format) -> Any:
    """PyTorch's `model.to(memory_format=fmt)`: each 4-d or 5-d parameter (and its
    gradient) and buffer laid out in `fmt`, in place (the same objects, counted as in-place
    changes); those already laid out so, and every tensor for preserve_format, kept.
    Returns the module."""
    for t in (*module.parameters(), *module.buffers()):
        if fmt is preserve_format or t.ndim not in (4, 5) or kept_by_to(t._data, fmt):
            continue
        t._data = copied("Module.to", t._data, fmt)
        t._mark_changed()
        grad = getattr(t, "grad", None)
        if grad is not None:
            replace_grad(t, type(grad).from_op(copied("Module.to", grad._data, fmt), None))
    return module


# -- layouts kept: a saved array's, a resized tensor's (a leaf's gradient's: grad_layout.py) ------
def _same_layout(array: np.ndarray, steps: tuple[int, ...]) -> bool:
    """Whether `array` has the strides `steps` (in entries) on each axis longer than 1."""
    return all(s == t for s, t, n in zip(_steps(array), steps, array.shape) if n > 1)


def saved_strides(array: np.ndarray) -> tuple[int, ...] | None:
    """The strides (in entries) `tg.save` keeps beside `array`'s values, as torch.save keeps
    a tensor's: those of its copy (`copy_strides`: its own where dense without overlaps,
    else dense in the order of its strides); None where the values lie row by row (an
    empty array's too): nothing to keep."""
    if array.flags.c_contiguous:
        return None
    steps = copy_strides("save", array, preserve_format)
    return None if steps == _row_by_row(array.shape) else steps


def in_saved_strides(array: np.ndarray, steps: tuple[int, ...]) -> np.ndarray | None:
    """`array`, loaded, laid out in the strides `steps` that `saved_strides` gave (itself
    where it has them); None where `steps` are no dense layout of its shape."""
    if len(steps) != array.ndim or any(abs(s) > 2 ** 40 for s in steps) \
            or not _dense(array.shape, steps):
        return None
    return array if _same_layout(array, steps) else laid_out(array, steps)


def resized(array: np.ndarray, shape: tuple[int, ...],
            fmt: memory_format | None) -> np.ndarray | None:
    """PyTorch's `x.resize_(shape, memory_format=fmt)` of x's values `array`: x's memory
    (its values in the order they lie in memory; a view's with gaps or repeats in the
    order of its strides), cut, or followed by zeros, read in the strides of `fmt` (None
    and contiguous_format: row by row; a channels-last format fitting `shape`). None
    where x stays as it is: its own shape, and no format or the one it is laid out in."""
    if shape == array.shape and (fmt is None or is_contiguous_as(array, fmt)):
        return None
    if array.flags.c_contiguous:
        memory = array.reshape(-1)
    else:
        steps = copy_strides("resize_", array, preserve_format)
        outer_first = sorted(range(array.ndim), key=lambda axis: -steps[axis])
        memory = array.transpose(outer_first).reshape(-1)
    values = np.zeros(int(np.prod(shape)), array.dtype)
    kept = min(values.size, memory.size)
    values[:kept] = memory[:kept]
    if fmt not in _CHANNELS_LAST:
        return values.reshape(shape)
    _BUFFERS[id(values)] = values
    steps = _channels_last_steps(shape, _CHANNELS_LAST[fmt][1])
    return np.ndarray(shape, values.dtype, buffer=values,
                      strides=tuple(s * values.itemsize for s in steps))


def resize_format(where: str, value: Any, ndim: int,
                  template: np.ndarray | None = None) -> memory_format | None:
    """The format `resize_` (`resize_as_` with its template's values `template`) lays out
    in for `memory_format=value`: None where the keyword is left out (the values' memory
    read row by row, a tensor of the same shape left as it is); preserve_format refused
    by resize_, read by resize_as_ as the format the template's strides suggest, as
    PyTorch's; a channels-last format refused in one line unless the shape has its axes."""
    if value is None:
        return None
    fmt = check_memory_format(where, value, ndim)
    if fmt is not preserve_format:
        return fmt
    if template is None:
        raise RuntimeError(f"{where}: memory_format=tg.preserve_format is not supported, as "
                           f"in PyTorch (a resized tensor keeps no layout); give "
                           f"tg.contiguous_format or tg.channels_last, or leave it out")
    return suggested_format(template)


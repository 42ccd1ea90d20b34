"""`TrackedArray`: the ndarray a tensor's `.data` hands out, whose writes are counted.

`t.data` (and `t.numpy()`) is a view of the tensor's values of type `TrackedArray`, a
NumPy ndarray subclass that behaves as an ndarray in every way but one: a write through
it, or through any view of it, adds one to the tensor's version counter. A graph that
saved the old values then refuses to backward, naming the tensor and the op, instead of
computing a gradient from values its forward pass never saw.

Counted as writes: item assignment (`t.data[0] = 1`, `t.data[:, 1] *= 2`), in-place
operators (`t.data -= lr * g`), ufuncs given it as `out` (by keyword or position) in every
method (`np.add(a, b, out=...)`, `.reduce`, `.accumulate`, `.reduceat`, `.outer`) and as
the target of `ufunc.at`, NumPy functions given it as `out` or writing into it
(`np.copyto`, `np.put`, `np.place`, `np.putmask`, `np.put_along_axis`,
`np.fill_diagonal`, and any function built on those), the methods `fill`, `sort`,
`partition`, `put`, `setfield` and `byteswap(inplace=True)`, and taking `.flat` (it can
write through, so it counts whether or not it does). Arithmetic on it gives plain
ndarrays, and so do `copy()`, `astype()`, deepcopy and pickling.

Every other write is refused at once: the view is read-only to NumPy's C code, and only
the routes above, which NumPy announces to the subclass (`__array_ufunc__`,
`__array_function__`, the overridden methods), write through a writable twin after
counting. So a write NumPy does not announce, `rng.standard_normal(out=t.data)`,
`a.take(i, out=t.data)` on a plain `a`, `np.random.shuffle(t.data)`, fails loudly with
NumPy's "read-only" error instead of changing saved values unseen.

Not seen: an array made writable on purpose (`a = np.asarray(t.data)` then
`a.flags.writeable = True`), and raw pointers (ctypes). `read_only_view` (what
`np.asarray(t)` hands out) cannot be made writable at all. Under `tg.detect_anomaly()`
every saved array is also compared byte for byte, which catches even those.
"""
from __future__ import annotations

import inspect
import sys
import threading
from typing import Any, Callable

import numpy as np

__all__ = ["TrackedArray", "read_only_view", "written_into", "values_read"]

# The write clock: every counted write, to any tensor, moves it one on, and the tensor's
# counter takes its time. A node notes the clock when it is recorded (versions.py).
writes = [0]
# id(t) -> the array a change wrote into, for `t` an old version of a tensor changed in
# place (in_place_recorded.py: its own values are a copy, or, a shape change's, that array
# until a write copies them; the ops that used it before may have saved the array written)
written_arrays: dict[int, np.ndarray] = {}


# id(a version counter) -> (the counter, weak references to old versions of tensors whose
# values are that memory, kept uncopied: in_place_shapes.py's), copied before the next
# write into it (`copy_before_write`, which old_versions.py puts where every write goes)
shared_until_written: dict[int, tuple[list, list]] = {}


def copy_before_write(counter: list[int] | None) -> None:
    """A write into the memory whose version counter is `counter` is about to happen: each
    old version that shares that memory takes a copy of its values first, so that it keeps
    the values the graph used (a shape change wrote none: it needed none till now)."""
    kept, olds = shared_until_written.pop(id(counter), (None, ()))
    if kept is counter:
        for old in (ref() for ref in olds):
            if old is not None:
                old._data = old._data.copy()


def count_write(counter: list[int]) -> None:
    """One more write on a tensor's version counter (and on `writes`)."""
    counter[0] = writes[0] = writes[0] + 1  # the tensor's version: the time of its last write


def _writable(array: Any) -> Any:
    """A write into `array` is about to happen: count it, and return the plain ndarray
    view it goes through (writable again when the read-only flag was ours, `_locked`).
    Values that are read-only themselves (a broadcast view, where one memory location is
    several entries) are refused first, counting nothing."""
    if array.__class__ is not TrackedArray:
        return array
    plain = array.view(np.ndarray)
    if array._locked:
        plain.setflags(write=True)
    elif not plain.flags.writeable:
        raise read_only_error("cannot write into this array", array.shape,
                              "t.data.copy() or tg.Tensor(t.data)")
    if array._counter is not None:  # (old_versions.py's form copies old versions first)
        count_write(array._counter)
    return plain


def read_only_error(what: str, shape: tuple[int, ...], copy: str) -> ValueError:
    """The refusal of a write into values read-only themselves (through t.data, or t[i] = v)."""
    return ValueError(
        f"{what} of shape {shape}: its values are read-only (a broadcast view, such as "
        f"expand() or broadcast_to() make, where one value stands for several entries, or "
        f"overlapping windows, as unfold() and as_strided() can make); write into a copy, "
        f"{copy}")


def _plain(value: Any) -> Any:
    """A TrackedArray read by a ufunc, as a plain ndarray view (results are then plain)."""
    return value.view(np.ndarray) if value.__class__ is TrackedArray else value


class TrackedArray(np.ndarray):
    """An ndarray view of a tensor's values; every write through it counts as an in-place change.

    `_counter` is the tensor's version counter (a one-item list shared by the tensor, its
    views and detach()); None for an array that shares no memory with a tensor (a copy).
    `_source` is the tensor's own array, set only on the view `.data` returned, so that
    `t.data -= x` (get, write in place, assign back) is known to need no new array.
    `_locked` is True when the array is read-only only to keep NumPy's C code from
    writing unseen: counted writes go through a writable twin (`_writable`).
    """

    __slots__ = ("_counter", "_source", "_locked")

    @property
    def base(self) -> Any:  # type: ignore[override]
        """NumPy's `base`, read-only: it is the tensor's own array, one attribute away, and
        a write through it (`t.numpy().base[0] = 10`) would not be counted."""
        base = np.ndarray.base.__get__(self)
        return read_only_view(base) if isinstance(base, np.ndarray) else base

    def __array_finalize__(self, obj: Any) -> None:
        # A view of a tracked array writes the same memory: it counts on the same counter.
        counter = getattr(obj, "_counter", None)
        if counter is not None and np.may_share_memory(self, obj):
            self._counter = counter
            self._locked = getattr(obj, "_locked", False) and not self.flags.writeable
        else:
            self._counter = None
            self._locked = False
        self._source = None

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if not kwargs and method == "__call__":
            # Optimization (benchmarks/README.md, "The documents' update", with `_in_place`):
            # a plain call writes nothing (`lr * w.grad.data`): straight to the ufunc (each
            # input as `_plain` gives it, written out: no call per input)
            return ufunc(*[x.view(np.ndarray) if x.__class__ is TrackedArray else x
                           for x in inputs])
        out = kwargs.get("out")  # always a tuple here, given by keyword or position
        if out is not None:
            kwargs["out"] = tuple(_writable(array) for array in out)
        if method == "at":  # np.add.at(t.data, i, v) writes into its first input
            inputs = (_writable(inputs[0]),) + tuple(_plain(x) for x in inputs[1:])
        else:
            inputs = tuple(_plain(x) for x in inputs)
        where = kwargs.get("where")
        if where is not None:
            kwargs["where"] = _plain(where)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is None:
            return result
        # NumPy hands back the out arrays: give the caller's own (`t.data -= x` needs it)
        if isinstance(result, tuple):
            return tuple(mine if mine is not None else r for mine, r in zip(out, result))
        return out[0] if out[0] is not None else result

    def __array_wrap__(self, array: Any, context: Any = None,
                       return_scalar: bool | None = None) -> Any:
        if array.__class__ is TrackedArray:
            if array._counter is not None:  # written in place by a route NumPy reports here
                count_write(array._counter)
                return array
            array = array.view(np.ndarray)  # of our type but no tensor's
        if return_scalar is None:  # NumPy 1.x does not say: as for an ndarray, 0-d is a scalar
            return_scalar = array.ndim == 0
        return array[()] if return_scalar else array  # a new result: a plain ndarray

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        substitutes: list[tuple[Any, Any]] = []  # (the caller's array, its writable twin)

        def target(array: Any) -> Any:
            if array.__class__ is not TrackedArray:
                return array
            twin = _writable(array)
            substitutes.append((array, twin))
            return twin

        args, kwargs = written_into(func, args, kwargs, target)
        result = super().__array_function__(func, types, args, kwargs)
        for mine, twin in substitutes:
            if result is twin:
                return mine  # the function returned its `out`: the caller's own array
        if result.__class__ is TrackedArray and result._counter is None:
            return result.view(np.ndarray)  # a new array (a sort, a concatenation)
        return result

    def __setitem__(self, index: Any, value: Any) -> None:
        np.ndarray.__setitem__(_writable(self), index, value)

    def byteswap(self, inplace: bool = False) -> Any:
        if inplace:
            np.ndarray.byteswap(_writable(self), True)
            return self
        return np.ndarray.byteswap(self, False)

    @property
    def flat(self) -> Any:  # type: ignore[override]
        if not self._locked and not self.flags.writeable:
            return np.ndarray.flat.__get__(self.view(np.ndarray))  # read-only values: reads only
        # a flatiter writes through; whether it will is unknown here: counted
        return np.ndarray.flat.__get__(_writable(self))

    def copy(self, order: str = "C") -> np.ndarray:  # type: ignore[override]
        return np.ndarray.copy(self.view(np.ndarray), order)

    def __deepcopy__(self, memo: Any) -> np.ndarray:
        return self.copy("K")

    def astype(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        result = np.ndarray.astype(self, *args, **kwargs)
        return result if result is self else result.view(np.ndarray)  # a copy is plain

    def __reduce__(self) -> Any:
        return self.view(np.ndarray).__reduce__()  # unpickles as a plain ndarray

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))

    def __getattr__(self, name: str) -> Any:
        # Only for a missing attribute (no cost to the others): PyTorch's `.data` is a
        # Tensor, so its idioms (`w.grad.data.zero_()`) reach a NumPy array here.
        # Tensor's module imports this one: it is looked up (loaded, as a tensor made the
        # array), not imported, which would make an import cycle
        tensor = sys.modules.get(__package__ + ".tensor")
        if not name.startswith("_") and tensor is not None:
            if hasattr(tensor.Tensor, name):
                numpy = _NUMPY_SPELLINGS.get(name)
                raise AttributeError(
                    f"'{name}' is a Tensor's, but .data is a NumPy array here (a Tensor in "
                    f"PyTorch): use the tensor itself, t.{name} for t.data.{name}"
                    + (" (a parameter changed in place under tg.no_grad())"
                       if name.endswith("_") else "")
                    + (f", or NumPy's {numpy}" if numpy else ""), name=name, obj=self)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'",
                             name=name, obj=self)


def _counting(name: str) -> Any:
    """ndarray's in-place method `name`, counting the write first."""
    method = getattr(np.ndarray, name)

    def counted(self: TrackedArray, *args: Any, **kwargs: Any) -> Any:
        return method(_writable(self), *args, **kwargs)

    counted.__name__ = counted.__qualname__ = name
    counted.__doc__ = method.__doc__
    return counted


for _name in ("fill", "sort", "partition", "put", "setfield"):  # methods that write in place
    setattr(TrackedArray, _name, _counting(_name))


def _in_place(name: str, ufunc: Any) -> Any:
    """The operator `name` (`__isub__`, ...): the write counted, then `ufunc` into the twin.

    Optimization (benchmarks/README.md, "The documents' update", with the plain call in
    `__array_ufunc__`): `w.data -= lr * g` is the update of every network in the
    documents; this path spares it NumPy's dispatch to `__array_ufunc__` and that
    method's general handling of `out`. Other operands take the general route."""
    fallback = getattr(np.ndarray, name)

    def operator(self: TrackedArray, other: Any) -> Any:
        if other.__class__ not in _PLAIN_OPERANDS:
            return fallback(self, other)  # anything else: the general route
        twin = _writable(self)  # (other as `_plain` gives it, written out: no call)
        ufunc(twin, other.view(np.ndarray) if other.__class__ is TrackedArray else other, out=twin)
        return self

    operator.__name__ = operator.__qualname__ = name
    return operator


_PLAIN_OPERANDS = (np.ndarray, TrackedArray, float, int)
for _name, _ufunc in (("__iadd__", np.add), ("__isub__", np.subtract),
                      ("__imul__", np.multiply), ("__itruediv__", np.true_divide)):
    setattr(TrackedArray, _name, _in_place(_name, _ufunc))

_OUT_POSITIONS: dict[Any, int | None] = {}


def written_into(func: Any, args: Any, kwargs: dict, target: Callable[[Any], Any]
                 ) -> tuple[tuple, dict]:
    """`func`'s arguments with `target(a)` in place of each array `a` it writes into: its
    `out` (by keyword, or by position as `np.dot(a, b, t.data)`), and the first argument of
    the functions that fill it (`_WRITES_FIRST_ARGUMENT`: np.copyto, np.put, ...)."""
    args = tuple(args)
    name = _WRITES_FIRST_ARGUMENT.get(func)
    if name is not None:
        if args:
            args = (target(args[0]),) + args[1:]
        elif name in kwargs:
            kwargs = {**kwargs, name: target(kwargs[name])}
    out = kwargs.get("out")
    if out is not None:
        kwargs = {**kwargs, "out": (tuple(target(a) for a in out) if isinstance(out, tuple)
                                    else target(out))}
    else:
        position = _out_position(func)
        if position is not None and len(args) > position and args[position] is not None:
            args = (*args[:position], target(args[position]), *args[position + 1:])
    return args, kwargs


def _out_position(func: Any) -> int | None:
    """Where `func` takes `out` positionally (np.dot: 2, np.cumsum: 3), or None."""
    try:
        return _OUT_POSITIONS[func]
    except KeyError:
        pass
    position = None
    try:
        for i, parameter in enumerate(inspect.signature(func).parameters.values()):
            if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
                break  # after *args (np.einsum) out can only be a keyword
            if parameter.name == "out":
                position = i
                break
    except (TypeError, ValueError):  # no signature to read
        pass
    _OUT_POSITIONS[func] = position
    return position


# Tensor methods' NumPy spellings on `.data`, for the message of a missing attribute.
_NUMPY_SPELLINGS = {
    "zero_": "t.data[...] = 0", "fill_": "t.data[...] = value", "copy_": "t.data[...] = src",
    "add_": "t.data += x", "sub_": "t.data -= x", "mul_": "t.data *= x", "div_": "t.data /= x",
    "clamp_": "np.clip(t.data, lo, hi, out=t.data)", "norm": "np.linalg.norm(t.data)",
    "clone": "t.data.copy()", "detach": "t.data itself", "numpy": "t.data itself",
    "numel": "t.data.size", "dim": "t.data.ndim", "normal_": "nn.init.normal_(t)",
    "uniform_": "nn.init.uniform_(t)",
}

# NumPy functions that write into their first argument, and that argument's keyword name.
_WRITES_FIRST_ARGUMENT = {
    np.copyto: "dst", np.put: "a", np.place: "arr", np.putmask: "a",
    np.put_along_axis: "arr", np.fill_diagonal: "a",
}


def tracked_view(data: np.ndarray, counter: list[int]) -> TrackedArray:
    """The view `.data` hands out: `data`'s memory, writes counted on `counter`.

    It is read-only to NumPy's C code (`_locked`): a write NumPy does not announce to the
    subclass fails loudly instead of going uncounted. `data` that is read-only itself (a
    broadcast view, a shared constant) stays so for counted writes too.
    """
    view = data.view(TrackedArray)
    view._counter = counter
    view._source = data
    if data.flags.writeable:
        view.setflags(write=False)
        view._locked = True
    return view


def read_only_view(data: np.ndarray) -> np.ndarray:
    """A plain ndarray view of `data` that nothing can make writable (`np.asarray(t)`).

    A view's `flags.writeable` can be set back to True whenever an array in its chain
    of bases is writable, as the tensor's own array is. This view's base is a read-only
    memoryview instead, which NumPy cannot write through, so the flag stays False.
    Reading it costs what reading any view costs; no values are copied.
    """
    try:
        view = np.asarray(memoryview(data).toreadonly())
    except (TypeError, ValueError, BufferError):  # a dtype the buffer protocol cannot carry
        view = data.copy()  # a copy instead: writes to it never reach the tensor
        view.flags.writeable = False
        return view
    if view.dtype != data.dtype:  # the buffer format lost detail (e.g. an alignment flag)
        view = view.view(data.dtype)
    return view


# .cut: a tensor that needs a gradient handed out its values (`Tensor.__array__`: np.asarray,
# a NumPy function without an op), which no gradient flows back through: tensor.py warns
# when they became a new leaf; higher_order.py refuses a user's backward that read them
values_read = threading.local()

"""`TrackedArray`: the ndarray a tensor's `.data` hands out, whose writes are counted.

`t.data` (and `t.numpy()`) is a view of the tensor's values of type `TrackedArray`, a
NumPy ndarray subclass that behaves as an ndarray in every way but one: a write through
it, or through any view of it, adds one to the tensor's version counter. A graph that
saved the old values then refuses to backward, naming the tensor and the op, instead of
computing a gradient from values its forward pass never saw.

Counted as writes: item assignment (`t.data[0] = 1`, `t.data[:, 1] *= 2`), in-place
operators (`t.data -= lr * g`), ufuncs and NumPy functions given it as `out` (by keyword
or position), `np.copyto`, `np.put`, `np.place`, `np.putmask`, `np.put_along_axis`,
`np.fill_diagonal`, the methods `fill`, `sort`, `partition`, `put`, `setfield` and
`byteswap(inplace=True)`, and taking `.flat` (it can write through, so it counts whether
or not it does). Arithmetic on it gives plain ndarrays, and so do `copy()`, `astype()`,
deepcopy and pickling.

Not seen: `ufunc.at`, and an array that leaves the tracking on purpose,
`np.asarray(t.data)`, `t.data.view(np.ndarray)`, a memoryview or a ctypes pointer.
`np.asarray(t)` is a read-only view, so writes through it fail loudly. Under
`tg.detect_anomaly()` every saved array is also compared byte for byte, which catches
even those.
"""
from __future__ import annotations

import inspect
from typing import Any

import numpy as np

__all__ = ["TrackedArray"]

# Every counted write, to any tensor, also adds one here: a backward pass that finds it
# unchanged since a node was recorded knows that none of the node's saved values can have
# changed, and skips comparing their version counters one by one.
writes = [0]


def count_write(counter: list[int]) -> None:
    """One more write on a tensor's version counter (and on `writes`)."""
    counter[0] += 1
    writes[0] += 1


def _count_write(array: Any) -> None:
    counter = getattr(array, "_counter", None)
    if counter is not None:
        count_write(counter)


class TrackedArray(np.ndarray):
    """An ndarray view of a tensor's values; every write through it counts as an in-place change.

    `_counter` is the tensor's version counter (a one-item list shared by the tensor, its
    views and detach()); None for an array that shares no memory with a tensor (a copy).
    `_source` is the tensor's own array, set only on the view `.data` returned, so that
    `t.data -= x` (get, write in place, assign back) is known to need no new array.
    """

    __slots__ = ("_counter", "_source")

    def __array_finalize__(self, obj: Any) -> None:
        # A view of a tracked array writes the same memory: it counts on the same counter.
        counter = getattr(obj, "_counter", None)
        self._counter = counter if counter is not None and np.may_share_memory(self, obj) else None
        self._source = None

    def __array_wrap__(self, array: Any, context: Any = None,
                       return_scalar: bool | None = None) -> Any:
        if array.__class__ is TrackedArray:
            if array._counter is not None:  # a ufunc wrote into it: `out=` or `t.data += 1`
                count_write(array._counter)
                return array
            array = array.view(np.ndarray)  # of our type but no tensor's (NumPy 1.x's results)
        if return_scalar is None:  # NumPy 1.x does not say: as for an ndarray, 0-d is a scalar
            return_scalar = array.ndim == 0
        return array[()] if return_scalar else array  # a new result: a plain ndarray

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        target = _WRITES_FIRST_ARGUMENT.get(func)
        if target is not None:
            _count_write(args[0] if args else kwargs.get(target))
        out = kwargs.get("out")
        if out is None:
            position = _out_position(func)  # `np.dot(a, b, t.data)`: out given positionally
            if position is not None and len(args) > position:
                out = args[position]
        if out is not None:
            for array in out if isinstance(out, tuple) else (out,):
                _count_write(array)
        result = super().__array_function__(func, types, args, kwargs)
        if result.__class__ is TrackedArray and result._counter is None:
            return result.view(np.ndarray)  # a new array (a sort, a concatenation)
        return result

    def __setitem__(self, index: Any, value: Any) -> None:
        _count_write(self)
        np.ndarray.__setitem__(self, index, value)

    def byteswap(self, inplace: bool = False) -> Any:
        if inplace:
            _count_write(self)
        return np.ndarray.byteswap(self, inplace)

    @property
    def flat(self) -> Any:  # type: ignore[override]
        _count_write(self)  # a flatiter writes through; which it will do is unknown here
        return np.ndarray.flat.__get__(self)

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


def _counting(name: str) -> Any:
    """ndarray's in-place method `name`, counting the write first."""
    method = getattr(np.ndarray, name)

    def counted(self: TrackedArray, *args: Any, **kwargs: Any) -> Any:
        _count_write(self)
        return method(self, *args, **kwargs)

    counted.__name__ = counted.__qualname__ = name
    counted.__doc__ = method.__doc__
    return counted


for _name in ("fill", "sort", "partition", "put", "setfield"):  # methods that write in place
    setattr(TrackedArray, _name, _counting(_name))

_OUT_POSITIONS: dict[Any, int | None] = {}


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


# NumPy functions that write into their first argument, and that argument's keyword name.
_WRITES_FIRST_ARGUMENT = {
    np.copyto: "dst", np.put: "a", np.place: "arr", np.putmask: "a",
    np.put_along_axis: "arr", np.fill_diagonal: "a",
}


def tracked_view(data: np.ndarray, counter: list[int]) -> TrackedArray:
    """The view `.data` hands out: `data`'s memory, writes counted on `counter`."""
    view = data.view(TrackedArray)
    view._counter = counter
    view._source = data
    return view

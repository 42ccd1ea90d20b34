"""A tensor's memory as PyTorch speaks of it. For NumPy arrays: the storage (the array that
owns the memory), where an array starts in it and its strides, in entries, and whether
each entry of a view is in memory of its own (the ops that make strided views, unfold and
as_strided, and the in-place checks read them here). The Tensor methods that answer the
same: `x.stride()` (`x.stride(dim)`; an empty tensor's as PyTorch's: empty_strides.py),
`x.storage_offset()` (an empty view's past its storage's end too, as as_strided gives),
`x.data_ptr()` (the address of x's first entry) and
`x.untyped_storage()` (its `data_ptr()`, `nbytes()`: two views of one memory share it), as
PyTorch's. Reshaping, expanding, transposing, unfolding, squeezing, unsqueezing or
indexing (ints, slices, None) a tensor with no entries (NumPy's strides: all 0) gives
PyTorch's strides (`restrided`, by PyTorch's rules: `reshaped`, view's; `expanded_strides`;
`squeezed`, `unsqueezed`, `indexed`), which a copy of it keeps; an index array's copy gets
a new tensor's. An axis of length 1 of a tensor with entries keeps
NumPy's stride, which reads no other memory (`x[None]`'s is 0, PyTorch's the next axis's
size times its stride). And PyTorch's complex-number views, for values that are real:
`x.is_conj()` and `x.is_neg()` are False, `x.resolve_conj()`, `x.resolve_neg()` are x (and
`tg.is_conj(x)`, ...), `x.H` a matrix's transpose, `x.mH` the last two axes swapped.

A tensor pickled or copied (`pickle`, `copy.deepcopy`, `copy.copy`) keeps its strides, as
PyTorch's: values not laid out row by row (`row_by_row`: an axis of length 1's strides,
an empty tensor's, too) travel with their strides (`LaidOut`; NumPy pickles values row by
row) and come back in them (`laid_out_values`). Its last write's time (`_version`, on
this process's write clock) does not travel (`_Stamp`): pickle's and deepcopy's copy is
new memory, never written, as PyTorch's; copy.copy's, the same memory, shares it.
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .empty_strides import contiguous_strides, pytorch_strides, storage, strides, strides_given
from .memory_formats import _BUFFERS, copy_strides, preserve_format
from .ops.arguments import one_axis
from .tensor import Tensor

__all__ = ["is_conj", "resolve_conj", "resolve_neg"]  # (tg.'s; the rest: the package's)


def storage_offset(x: np.ndarray) -> int:
    """Where x's first entry is in its storage, in entries."""
    return (x.__array_interface__["data"][0]
            - storage(x).__array_interface__["data"][0]) // x.itemsize


def strided_view(x: np.ndarray, shape: tuple, steps: tuple, start: int,
                 given: bool = False) -> np.ndarray:
    """x's storage read as `shape` with strides `steps` (in bytes) from entry `start`, as a
    NumPy view of the array that owns it (as a slice is: the in-place checks follow
    `.base`); a copy where the owner is no array (NumPy's `as_strided` would hide it).
    `given`: the strides were asked for (as_strided's), so an empty view reports them."""
    owner = storage(x)
    if owner is x and x.base is not None:  # (x wraps a buffer, as np.frombuffer's: flat)
        return np.lib.stride_tricks.as_strided(x.reshape(-1)[start:], shape, steps).copy()
    if not (owner.flags.c_contiguous or owner.flags.f_contiguous):
        # an owner laid out in another order (a copy of a permuted array keeps its layout)
        # is still one block from its first entry: read as such, NumPy's buffer wants one
        # (its axes in memory order, flattened: a view, so the result's base is the owner)
        flat = owner.transpose(sorted(range(owner.ndim), key=lambda a: -owner.strides[a]))
        flat = flat.reshape(-1)
        owner = flat if flat.base is owner else np.lib.stride_tricks.as_strided(
            owner, (owner.size,), (owner.itemsize,))
    if 0 in shape and start > owner.size:  # (no entries past the storage's end, as PyTorch
        # allows: NumPy's buffer refuses the offset, so entry `start - size` of an axis of none)
        past = start - owner.size
        view = np.ndarray((past + 1, *shape), x.dtype, buffer=owner, offset=owner.nbytes,
                          strides=(x.itemsize, *steps))[past]
    else:
        view = np.ndarray(shape, x.dtype, buffer=owner, offset=start * x.itemsize,
                          strides=steps)
    return strides_given(view) if given else view


def restrided(view: np.ndarray, steps: tuple[int, ...]) -> np.ndarray:
    """`view` read with PyTorch's strides `steps` (in entries) where they are not NumPy's
    but read no other memory: an empty view's (NumPy's are all 0; noted as asked for,
    `strides_given`, so `stride()` reports them even all 0), a loaded tensor's axis of
    length 1's; the same memory, read-only where `view` is."""
    if steps == strides(view):
        return view if view.size or any(steps) else strides_given(view)
    steps = tuple(s * view.itemsize for s in steps)
    if view.size and (view.flags.c_contiguous or view.flags.f_contiguous):  # (one block: read
        out = np.ndarray(view.shape, view.dtype, buffer=view, strides=steps)  # from its start)
    else:
        out = strided_view(view, view.shape, steps, storage_offset(view), given=True)
    if not view.flags.writeable:
        out.flags.writeable = False
    return out


def expanded_strides(shape: tuple, steps: tuple, target: tuple) -> tuple[int, ...]:
    """PyTorch's strides of `expand(target)` of a view of `shape` and strides `steps` (for
    a result with no entries, whose NumPy strides are all 0): 0 on an axis repeated, an
    axis kept its own, a new axis of length 1 the next one's size times its stride; all 0
    for a 0-d tensor, as PyTorch's."""
    out, lead = [0] * len(target), len(target) - len(shape)
    for i in reversed(range(len(target)) if shape else ()):
        if i >= lead:
            out[i] = steps[i - lead] if shape[i - lead] == target[i] else 0
        elif target[i] == 1:
            out[i] = target[i + 1] * out[i + 1]
    return tuple(out)


def reshaped(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`out`, NumPy's reshape of x, an array with no entries, in PyTorch's strides (view's
    rule for no entries): x's own for the same shape, else a new tensor's of out's shape
    (`contiguous_strides`)."""
    return restrided(out, pytorch_strides(x) if out.shape == x.shape
                     else contiguous_strides(out.shape))


def unsqueezed(x: np.ndarray, out: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """`out`, x (an array with no entries) with new axes of length 1 at `axes` (of out,
    negative from its end), in PyTorch's strides: unsqueeze's rule, an axis at a time from
    the first, a new axis's stride the size times the stride of the axis it goes before
    (1 at the end)."""
    sizes, steps = list(x.shape), list(pytorch_strides(x))
    for axis in sorted(a % out.ndim for a in axes):
        steps.insert(axis, sizes[axis] * steps[axis] if axis < len(sizes) else 1)
        sizes.insert(axis, 1)
    return restrided(out, tuple(steps))


def squeezed(x: np.ndarray, out: np.ndarray, dropped: Any) -> np.ndarray:
    """`out`, x (an array with no entries) without its axes `dropped` (a set of axes,
    0 to x.ndim - 1), in PyTorch's strides: the others keep theirs."""
    return restrided(out, tuple(s for a, s in enumerate(pytorch_strides(x)) if a not in dropped))


def indexed(x: np.ndarray, index: Any, out: np.ndarray) -> np.ndarray:
    """`out`, NumPy's x[index] with no entries, in PyTorch's strides and storage offset
    where the index is basic (ints, slices with steps > 0, None, ...: a view): an int drops
    its axis, a slice multiplies its stride by its step, None is unsqueeze's new axis;
    else (an index array or mask: a copy) out itself, a new tensor's."""
    parts = index if isinstance(index, tuple) else (index,)
    sizes, steps, start = list(x.shape), list(pytorch_strides(x)), storage_offset(x)
    dim = 0
    for part in parts:
        if part is None:
            steps.insert(dim, sizes[dim] * steps[dim] if dim < len(sizes) else 1)
            sizes.insert(dim, 1)
            dim += 1
        elif part is Ellipsis:
            dim += x.ndim - sum(p is not None and p is not Ellipsis for p in parts)
        elif isinstance(part, slice) and (part.step is None or part.step > 0):
            first, _, step = part.indices(sizes[dim])
            start, steps[dim] = start + first * steps[dim], steps[dim] * step
            dim += 1
        elif isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_)):
            start += part % sizes[dim] * steps[dim]
            del sizes[dim], steps[dim]
        else:
            return out
    return strided_view(out, out.shape, tuple(s * out.itemsize for s in steps), start,
                        given=True)


def positions(shape: tuple, steps: tuple, offset: int) -> np.ndarray:
    """The storage position of each entry of an array of `shape` laid out with `steps` (in
    entries) from `offset`."""
    places = np.full(shape, offset, dtype=np.int64)
    for axis, (n, stride) in enumerate(zip(shape, steps)):
        places += (np.arange(n) * stride).reshape((n,) + (1,) * (len(shape) - axis - 1))
    return places


def addresses(array: np.ndarray) -> np.ndarray:
    """The address (in bytes) of each entry of `array`."""
    return positions(array.shape, array.strides, array.__array_interface__["data"][0])


def distinct_entries(view: np.ndarray) -> bool:
    """Whether each entry of `view` is in memory of its own: each stride past the extent
    of the smaller ones (none 0, as expand's; none negative, as flip's)."""
    extent = view.itemsize  # (the bytes the axes with smaller strides span)
    for stride, n in sorted(zip(view.strides, view.shape)):
        if n > 1:
            if stride < extent:
                return False
            extent += (n - 1) * stride
    return True


class UntypedStorage:
    """The memory a tensor's values are in (PyTorch's x.untyped_storage()): its address
    and size in bytes; the tensors that share it give equal `data_ptr()`s."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = storage(array)

    def data_ptr(self) -> int:
        return self._array.__array_interface__["data"][0]

    def nbytes(self) -> int:
        return self._array.nbytes

    size = nbytes  # (PyTorch's UntypedStorage.size() counts bytes)

    def __repr__(self) -> str:
        return f"UntypedStorage(data_ptr={self.data_ptr():#x}, nbytes={self.nbytes()})"


def _stride(self: Tensor, dim: Any = None) -> Any:
    """The step in entries from one entry to the next along each axis (or along `dim`)."""
    steps = pytorch_strides(self._data)
    return steps if dim is None else steps[one_axis("stride", dim, self.ndim)]


def _matrix(name: str, batches: bool) -> Any:
    def conjugate_transpose(self: Tensor) -> Tensor:
        if self.ndim == 0 and not batches:
            return self  # (PyTorch's x.H of a number: deprecated there, x itself)
        if self.ndim < 2 or self.ndim > 2 and not batches:
            raise RuntimeError(
                f"{name}: needs a matrix{' or a batch of matrices' * batches}, got shape "
                f"{self.shape}" + ("; for a batch of matrices use x.mH" * (self.ndim > 2))
                + f" (the values here are real: x.{name} is {'x.mT' if batches else 'x.T'})")
        return self.swapaxes(-2, -1)
    return property(conjugate_transpose)


# -- a tensor pickled or copied keeps its strides ------------------------------------------
class LaidOut:
    """A tensor's values, in its pickled or copied state, that are not laid out row by row:
    pickled as the values (NumPy pickles them row by row) with their strides, which
    `laid_out_values` lays them out in again (`copy.copy` takes the array itself back)."""

    __slots__ = ("values", "steps", "kept", "__weakref__")

    def __init__(self, values: np.ndarray) -> None:
        steps = pytorch_strides(values)
        if min(steps, default=0) < 0:  # (a flip's: PyTorch's are a copy's, dense)
            steps = copy_strides("pickle", values, preserve_format)
        # a view's layout or one made as PyTorch's (a copy, not one NumPy chose for an op's
        # result) refuses view() as PyTorch's: kept so
        self.values, self.steps, self.kept = values, steps, values.base is not None

    def __reduce__(self) -> tuple:
        return laid_out_values, (self.values, self.steps, self.kept)

    def __deepcopy__(self, memo: Any) -> np.ndarray:
        return laid_out_values(self.values, self.steps, self.kept)


# id -> the LaidOut of an array while a pickle or copy holds it: tensors sharing the array
# share one LaidOut, so pickle's (and deepcopy's) memo gives them one array again
_LAID_OUT: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class _Stamp:
    """A tensor's `_version` (the time of its last write on this process's write clock, a
    list shared with its views) in its pickled or copied state: pickle and deepcopy give a
    new one, never written, as their copy is memory of its own (another process's clock
    means nothing here: a later time there refused the copy's backward); copy.copy, the
    same memory, the list itself, so a write through either is seen by the other's graphs."""

    __slots__ = ("version", "__weakref__")

    def __init__(self, version: list) -> None:
        self.version = version

    def __reduce__(self) -> tuple:
        return list, ((0,),)

    def __deepcopy__(self, memo: Any) -> list:
        return [0]


# id -> the _Stamp of a `_version` list while a pickle or copy holds it: tensors sharing
# the list (a tensor and its detach()) share one, so the memo gives them one new list
_STAMPS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def laid_out_values(values: np.ndarray, steps: Any, kept: bool) -> np.ndarray:
    """`values` laid out again in the strides `steps` (in entries, >= 0) a tensor had when
    pickled or copied, in memory of their own just large enough (gaps read 0); entries
    sharing memory (a stride 0, an expand's) read-only, as the tensor's were."""
    steps = tuple(int(s) for s in steps)
    if len(steps) != values.ndim or min(steps, default=0) < 0:
        raise ValueError(f"unpickling a tensor: strides {steps} do not fit its values of "
                         f"shape {values.shape}; the pickle is damaged")
    room = 1 + sum((n - 1) * s for n, s in zip(values.shape, steps)) if values.size else 0
    buffer = np.zeros(room, values.dtype)
    out = np.ndarray(values.shape, values.dtype, buffer=buffer,
                     strides=tuple(s * values.itemsize for s in steps))
    np.copyto(out, values)
    if kept:
        _BUFFERS[id(buffer)] = buffer  # (memory_formats.pytorchs_layout: view() refuses)
    if not distinct_entries(out):
        out.flags.writeable = False
    return strides_given(out)  # (an empty one's, even all 0)


def _slot_names(cls: type) -> list[str]:
    """The slots of `cls` and its bases that hold state, as Python names them."""
    names: list[str] = []
    for klass in cls.__mro__:
        declared = klass.__dict__.get("__slots__", ())
        for name in [declared] if isinstance(declared, str) else declared:
            if name.startswith("__") and not name.endswith("__"):
                name = f"_{klass.__name__.lstrip('_')}{name}"  # (Python's name mangling)
            if name not in ("__weakref__", "__dict__") and name not in names:
                names.append(name)
    return names


def _getstate(self: Tensor) -> tuple:
    """A tensor's state for pickle and copy (Python's own: its __dict__ and slots), its
    values with their strides where they are not laid out row by row (`LaidOut`)."""
    slots = {}
    for name in _slot_names(type(self)):
        try:
            slots[name] = getattr(self, name)
        except AttributeError:
            pass  # (a slot never set)
    data = slots.get("_data")
    if isinstance(data, np.ndarray) and not row_by_row(data):
        kept = _LAID_OUT.get(id(data))
        if kept is None or kept.values is not data:
            kept = _LAID_OUT[id(data)] = LaidOut(data)
        slots["_data"] = kept
    version = slots.get("_version")
    if version is not None:
        stamp = _STAMPS.get(id(version))
        if stamp is None or stamp.version is not version:
            stamp = _STAMPS[id(version)] = _Stamp(version)
        slots["_version"] = stamp
    return getattr(self, "__dict__", None) or None, slots


def row_by_row(x: np.ndarray) -> bool:
    """Whether x's strides are PyTorch's of a new tensor (`contiguous_strides`), those of
    its axes of length 1 too (NumPy's C order leaves them be), what NumPy writes and reads
    back (pickle, np.save)."""
    return x.flags.c_contiguous and (x.size and 1 not in x.shape
                                     or pytorch_strides(x) == contiguous_strides(x.shape))


def _setstate(self: Tensor, state: Any) -> None:
    """A tensor's state put back (`_getstate`'s, or Python's own from an earlier pickle)."""
    attributes, slots = state if isinstance(state, tuple) else (state, None)
    if attributes:
        vars(self).update(attributes)
    for name, value in (slots or {}).items():
        if isinstance(value, LaidOut):
            value = value.values
        elif isinstance(value, _Stamp):  # (copy.copy's: the same memory, the same counter)
            value = value.version
        elif name == "_version" and value and value[0]:  # (a pickle's made before _Stamp)
            value = [0]
        setattr(self, name, value)


_METHODS = {
    "stride": _stride,
    "storage_offset": lambda self: storage_offset(self._data),
    "data_ptr": lambda self: self._data.__array_interface__["data"][0],
    "untyped_storage": lambda self: UntypedStorage(self._data),
    "is_conj": lambda self: False, "is_neg": lambda self: False,
    "resolve_conj": lambda self: self, "resolve_neg": lambda self: self,
}
for _name, _method in _METHODS.items():
    _method.__name__ = _method.__qualname__ = _name
    setattr(Tensor, _name, _method)
Tensor.H, Tensor.mH = _matrix("H", batches=False), _matrix("mH", batches=True)
for _name, _method in (("__getstate__", _getstate), ("__setstate__", _setstate)):
    _method.__name__, _method.__qualname__ = _name, f"Tensor.{_name}"
    setattr(Tensor, _name, _method)


def is_conj(input: Tensor) -> bool:  # noqa: A002  (PyTorch's name)
    """False: the values here are real (PyTorch's torch.is_conj)."""
    return _tensor("is_conj", input).is_conj()


def resolve_conj(input: Tensor) -> Tensor:  # noqa: A002
    """The tensor itself: the values here are real (PyTorch's torch.resolve_conj)."""
    return _tensor("resolve_conj", input)


def resolve_neg(input: Tensor) -> Tensor:  # noqa: A002
    """The tensor itself: no negation is pending here (PyTorch's torch.resolve_neg)."""
    return _tensor("resolve_neg", input)


def _tensor(where: str, value: Any) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{where}: expected a Tensor, got {type(value).__name__} "
                        f"{value!r:.40}")
    return value

"""A tensor's memory as PyTorch speaks of it. For NumPy arrays: the storage (the array that
owns the memory), where an array starts in it and its strides, in entries, and whether
each entry of a view is in memory of its own (the ops that make strided views, unfold and
as_strided, and the in-place checks read them here). The Tensor methods that answer the
same: `x.stride()` (`x.stride(dim)`; an empty tensor's row by row, as PyTorch gives a
new one, where NumPy's are 0: `pytorch_strides`), `x.storage_offset()`, `x.data_ptr()` (the address
of x's first entry) and `x.untyped_storage()` (its `data_ptr()`, `nbytes()`: two views of
one memory share it), as PyTorch's; and PyTorch's complex-number views, for values that
are real: `x.is_conj()` and `x.is_neg()` are False, `x.resolve_conj()`,
`x.resolve_neg()` are x (and `tg.is_conj(x)`, ...), `x.H` a matrix's transpose, `x.mH`
the last two axes swapped.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .ops.arguments import one_axis
from .tensor import Tensor

__all__ = ["is_conj", "resolve_conj", "resolve_neg"]  # (tg.'s; the rest: the package's)


def storage(x: np.ndarray) -> np.ndarray:
    """The array that owns x's memory (x itself when x owns it, or when its owner is no
    array, such as the bytes np.frombuffer read)."""
    return x.base if isinstance(x.base, np.ndarray) else x


def storage_offset(x: np.ndarray) -> int:
    """Where x's first entry is in its storage, in entries."""
    return (x.__array_interface__["data"][0]
            - storage(x).__array_interface__["data"][0]) // x.itemsize


def strides(x: np.ndarray) -> tuple[int, ...]:
    """x's strides in entries, not bytes."""
    return tuple(s // x.itemsize for s in x.strides)


def strided_view(x: np.ndarray, shape: tuple, steps: tuple, start: int) -> np.ndarray:
    """x's storage read as `shape` with strides `steps` (in bytes) from entry `start`, as a
    NumPy view of the array that owns it (as a slice is: the in-place checks follow
    `.base`); a copy where the owner is no array (NumPy's `as_strided` would hide it)."""
    owner = storage(x)
    if owner is x and x.base is not None:  # (x wraps a buffer, as np.frombuffer's: flat)
        return np.lib.stride_tricks.as_strided(x.reshape(-1)[start:], shape, steps).copy()
    if not (owner.flags.c_contiguous or owner.flags.f_contiguous):
        # an owner laid out in another order (a copy of a permuted array keeps its layout)
        # is still one block from its first entry: read as such, NumPy's buffer wants one
        owner = np.lib.stride_tricks.as_strided(owner, (owner.size,), (owner.itemsize,))
    return np.ndarray(shape, x.dtype, buffer=owner, offset=start * x.itemsize, strides=steps)


def positions(shape: tuple, steps: tuple, offset: int) -> np.ndarray:
    """The storage position of each entry of an array of `shape` laid out with `steps` (in
    entries) from `offset`."""
    places = np.full(shape, offset, dtype=np.int64)
    for axis, (n, stride) in enumerate(zip(shape, steps)):
        places += (np.arange(n) * stride).reshape((n,) + (1,) * (len(shape) - axis - 1))
    return places


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


def pytorch_strides(x: np.ndarray) -> tuple[int, ...]:
    """x's strides in entries as PyTorch's: an empty array's, which NumPy makes all 0 (its
    views too), are row by row ones of its shape (each axis at least 1 long), as PyTorch
    gives a new empty tensor; other strides, a view's of memory, as they are."""
    steps = strides(x)
    if x.size or not x.ndim or any(steps):
        return steps
    steps, step = [], 1
    for n in reversed(x.shape):
        steps.append(step)
        step *= max(n, 1)
    return tuple(reversed(steps))


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

"""What `x.stride()` reports, in entries as PyTorch's (`pytorch_strides`): NumPy's strides
in entries, but for an array with no entries, whose NumPy strides are all 0 (its views'
too), PyTorch's: a new tensor's row-by-row ones (`contiguous_strides`), or those asked
for or set by PyTorch's rules (`strides_given` notes them, all 0 too). Apart from
memory.py (views and their layouts) so that memory_formats.py, which memory.py builds
on, reads them too (a leaf's `.grad` with no entries, laid out in the leaf's strides).
"""
from __future__ import annotations

import weakref

import numpy as np

# id -> an empty array whose strides were asked for (empty_strided's storage, as_strided's
# view), which stride() reports as they are where they are all 0 (NumPy's for a new one)
_GIVEN: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def storage(x: np.ndarray) -> np.ndarray:
    """The array that owns x's memory (x itself when x owns it, or when its owner is no
    array, such as the bytes np.frombuffer read)."""
    return x.base if isinstance(x.base, np.ndarray) else x


def strides(x: np.ndarray) -> tuple[int, ...]:
    """x's strides in entries, not bytes."""
    return tuple(s // x.itemsize for s in x.strides)


def strides_given(array: np.ndarray) -> np.ndarray:
    """`array`, its strides noted as asked for where it is empty: `stride()` reports them
    even all 0, and, where `array` is a storage (empty_strided's), its views' too."""
    if not array.size:
        _GIVEN[id(array)] = array
    return array


def pytorch_strides(x: np.ndarray) -> tuple[int, ...]:
    """x's strides in entries as PyTorch's: an empty array's, which NumPy makes all 0 (its
    views too), are row by row ones of its shape (each axis at least 1 long), as PyTorch
    gives a new empty tensor; other strides, a view's of memory or those asked for
    (`strides_given`), as they are."""
    steps = strides(x)
    if x.size or not x.ndim or any(steps) or _GIVEN.get(id(x)) is x \
            or _GIVEN.get(id(storage(x))) is storage(x):
        return steps
    return contiguous_strides(x.shape)


def contiguous_strides(shape: tuple) -> tuple[int, ...]:
    """PyTorch's strides of a new tensor of `shape`: row by row, each axis at least 1 long
    (NumPy's: 0s where it is empty)."""
    steps, step = [], 1
    for n in reversed(shape):
        steps.append(step)
        step *= max(n, 1)
    return tuple(reversed(steps))

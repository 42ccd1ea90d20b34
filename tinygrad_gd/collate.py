"""PyTorch's `default_collate`: a list of samples made into one batch, field by field;
and `default_convert`, what an unbatched loader (batch_size=None) does to each sample.

What `DataLoader` does with the samples of a batch unless given `collate_fn=`, as torch
2.13's `torch.utils.data.default_collate`, dispatching on the batch's first sample:
Tensors and NumPy arrays are stacked along a new first axis (their dtypes promoted as
`tg.stack`'s); NumPy scalars, Python ints and bools become one Tensor of their dtype
(ints int64, bools bool), Python floats float64; str and bytes are kept as they came;
a Mapping is collated key by key (the first sample's keys) into a mapping of its type; a
namedtuple field by field into its type; any other Sequence (a list, a tuple) position
by position, into a list (a tuple too, as PyTorch's; a list's own type is kept).
Anything else (None, a set) is refused with PyTorch's TypeError, ragged sequences and
shapes that do not stack with its RuntimeError (ShapeError), missing keys with its
KeyError; each in one line naming the field.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence
from functools import reduce
from typing import Any, NoReturn

import numpy as np

from .errors import ShapeError
from .functional import stack
from .properties import promote_types
from .tensor import Tensor, _as_array
from .values import default_float

__all__ = ["default_collate", "default_convert"]

_FOUND = "batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
_NOT_NUMBERS = set("SaUO")  # (dtype.str letters of bytes, strings, objects: PyTorch's set)


def _to_tensor(batch: np.ndarray) -> Tensor:
    """Wrap one batch array as a Tensor, keeping its dtype (integer labels stay integers)."""
    # no copy: fancy indexing or stacking made the batch, so nobody else holds it
    return Tensor.from_op(_as_array(batch, batch.dtype, "DataLoader", copy=False), None)


def default_collate(batch: Any) -> Any:
    """Make a list of samples one batch, as PyTorch's `torch.utils.data.default_collate`:
    Tensors and arrays stacked along a new first axis; numbers one Tensor (Python ints
    int64, floats float64, bools bool, NumPy scalars their dtype); str and bytes kept as
    given; Mappings key by key and namedtuples field by field, in their own type; other
    sequences (lists, tuples) position by position into a list: `[(1, 'a'), (2, 'b')]`
    gives `[tensor([1, 2]), ('a', 'b')]`.

    Errors are PyTorch's types, in one line naming the field: TypeError for what cannot
    be collated (None, sets, strings in a NumPy array), ShapeError (a RuntimeError, and a
    ValueError) for sequences of different lengths and for shapes that do not stack,
    KeyError for a key a later sample lacks (keys only later samples have are dropped, as
    PyTorch's), ValueError for an int beyond int64, IndexError for an empty batch.

    Departures from PyTorch: complex numbers are refused (no complex dtypes here); ints
    then floats (`[1, 2.5]`) take the default float dtype as torch.tensor does, float64
    here (PyTorch's float32). Tensors that require grad are stacked in the graph, so
    backward() reaches them (as torch.stack's)."""
    if not (hasattr(batch, "__len__") and hasattr(batch, "__getitem__")) \
            or isinstance(batch, (str, bytes)):
        raise TypeError(f"default_collate: batch must be a list of samples, got "
                        f"{type(batch).__name__}; e.g. default_collate([sample0, sample1])")
    return _collate(batch, "default_collate")


def _collate(batch: Any, where: str, field: str = "") -> Any:
    """`default_collate` of `batch` (a list or tuple of samples), its errors naming `where`
    (the caller) and `field`: where in the sample these values sit (e.g. "['name'][1]")."""
    samples = list(batch)
    if not samples:
        raise IndexError(f"{where}: got an empty list of samples{_in(field)}; a batch needs "
                         f"at least one")
    first = samples[0]
    if isinstance(first, Tensor):
        return _stacked_tensors(samples, where, field)
    if isinstance(first, np.ndarray):
        if _NOT_NUMBERS & set(first.dtype.str):
            _refuse(first, first.dtype, where, field)
        arrays = [_array(sample, position, where, field)
                  for position, sample in enumerate(samples)]
        return _to_tensor(_stacked(arrays, where, field))
    if isinstance(first, (np.bool_, np.number, np.object_)) or isinstance(first, int):
        return _numbers(samples, None, where, field)
    if isinstance(first, float):
        return _numbers(samples, np.dtype(np.float64), where, field)
    if isinstance(first, (str, bytes)):
        return batch  # (as given: a list at the top, a tuple inside a sequence)
    if isinstance(first, Mapping):
        for position, sample in enumerate(samples):
            _check_keys(first, sample, position, where, field)
        return _same_mapping(first, {
            key: _collate([sample[key] for sample in samples], where, f"{field}[{key!r}]")
            for key in first})
    if isinstance(first, Sequence):
        _check_lengths(samples, where, field)
        fields = [_collate(values, where, f"{field}[{k}]")
                  for k, values in enumerate(zip(*samples))]
        return _same_sequence(first, fields)
    _refuse(first, type(first), where, field)


def _in(field: str) -> str:
    return f" in field {field} of the samples" if field else ""


def _refuse(first: Any, found: Any, where: str, field: str) -> NoReturn:
    """PyTorch's TypeError for a sample it cannot collate (found: its type or dtype)."""
    place = f"field {field} of the samples" if field else "the samples"
    raise TypeError(f"{where}: cannot stack {place} into a Tensor: got "
                    f"{type(first).__name__} values ({_FOUND.format(found)}); give numbers, "
                    f"arrays, Tensors, str, or dicts, lists and tuples of them")


def _check_keys(first: Mapping, sample: Any, position: int, where: str, field: str) -> None:
    """Each sample must have the first's keys (more are dropped, as PyTorch's)."""
    if not isinstance(sample, Mapping):
        raise TypeError(f"{where}: sample {position} of the batch is a "
                        f"{type(sample).__name__}, but sample 0 is a mapping "
                        f"({type(first).__name__}){_in(field)}; give samples of one structure")
    missing = [key for key in first if key not in sample]
    if missing:
        where_in = f" in field {field}" if field else ""
        raise KeyError(f"{where}: sample {position} of the batch has keys "
                       f"{sorted(sample, key=repr)}, but sample 0 has keys "
                       f"{sorted(first, key=repr)}{where_in} (no key {missing[0]!r}); every "
                       f"sample must have sample 0's keys to be collated")


def _check_lengths(samples: list, where: str, field: str) -> None:
    """Sequences collated position by position must all be of the first's length."""
    expected = len(samples[0])
    for position, sample in enumerate(samples):
        if not hasattr(sample, "__len__") or isinstance(sample, (str, bytes, Mapping)):
            raise TypeError(f"{where}: sample {position} of the batch is a "
                            f"{type(sample).__name__}, but sample 0 is a sequence "
                            f"({type(samples[0]).__name__}){_in(field)}; give samples of one "
                            f"structure")
        if len(sample) != expected:  # (ShapeError: PyTorch's RuntimeError)
            where_in = f" in field {field}" if field else ""
            raise ShapeError(f"{where}: sample {position} of the batch has length "
                             f"{len(sample)}, but sample 0 has length {expected}{where_in}; "
                             f"each element in list of batch should be of equal size (pad "
                             f"them, or pass a collate_fn)")


def _same_mapping(first: Mapping, collated: dict) -> Any:
    """The collated fields in a mapping of the first sample's type (PyTorch's rule: a
    copy of it updated for a mutable one, else its type built from a dict, else a dict)."""
    try:
        if isinstance(first, MutableMapping):
            clone = copy.copy(first)
            clone.update(collated)
            return clone
        return type(first)(collated)
    except TypeError:
        return collated


def _same_sequence(first: Sequence, fields: list) -> Any:
    """The collated fields in PyTorch's container for the first sample's type: a
    namedtuple's type; a list for a tuple; a copy of a mutable sequence (a list, a list
    subclass, a deque) holding the fields; another sequence's type built from a list,
    else a list."""
    if isinstance(first, tuple):
        return type(first)(*fields) if hasattr(first, "_fields") else fields
    try:
        if isinstance(first, MutableSequence):
            clone = copy.copy(first)
            for position, value in enumerate(fields):
                clone[position] = value
            return clone
        return type(first)(fields)
    except TypeError:
        return fields


def _stacked_tensors(samples: list, where: str, field: str) -> Tensor:
    """Tensor samples stacked as torch.stack: in the graph when one requires grad."""
    for position, sample in enumerate(samples):
        if not isinstance(sample, Tensor):
            raise TypeError(f"{where}: expected Tensor as element {position} of the batch, "
                            f"but got {type(sample).__name__}{_in(field)}, as sample 0 is a "
                            f"Tensor; give samples of one type")
    _same_shapes([sample.shape for sample in samples], where, field)
    if any(sample.requires_grad for sample in samples):
        return stack(samples)  # (so backward() reaches the samples, as torch.stack's)
    return _to_tensor(_stacked([sample._data for sample in samples], where, field))


def _array(sample: Any, position: int, where: str, field: str) -> np.ndarray:
    """A sample after a first NumPy array, as an array (torch.as_tensor's reading)."""
    if isinstance(sample, np.ndarray):
        if sample.dtype.kind not in "fiub":
            raise TypeError(f"{where}: cannot collate sample {position}{_in(field)}, an "
                            f"array of dtype {sample.dtype}; give arrays of real numbers")
        return sample
    return _as_array(sample, None, f"{where}: sample {position}{_in(field)}", copy=False,
                     default=None)


def _same_shapes(shapes: list, where: str, field: str) -> None:
    for position, shape in enumerate(shapes):
        if shape != shapes[0]:
            place = f"field {field} of the samples" if field else "the samples"
            raise ShapeError(f"{where}: the samples of a batch have different shapes "
                             f"{sorted(set(map(tuple, shapes)), key=str)} in {place} (stack "
                             f"expects each tensor to be equal size, but got {tuple(shapes[0])}"
                             f" at entry 0 and {tuple(shape)} at entry {position}); pad or crop"
                             f" them to one shape, or pass a collate_fn")


def _stacked(arrays: list, where: str, field: str) -> np.ndarray:
    """Arrays of one shape stacked along a new first axis, in their promoted dtype."""
    _same_shapes([array.shape for array in arrays], where, field)
    kinds = {array.dtype for array in arrays}
    if any(dtype.kind not in "fiub" for dtype in kinds):  # (complex: no complex dtypes here)
        raise TypeError(f"{where}: cannot stack arrays of dtype "
                        f"{', '.join(sorted(map(str, kinds)))}{_in(field)}; only real "
                        f"numbers are supported (keep real and imaginary parts apart)")
    return np.stack(arrays, dtype=reduce(promote_types, kinds))


def _number_dtype(value: Any, position: int, where: str, field: str) -> np.dtype:
    """The dtype torch.tensor infers for one number: bools bool, ints int64, floats the
    default float dtype (float64 here: PyTorch's is float32), NumPy scalars their own."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(value, np.generic) and value.dtype.kind in "fiu":
        return value.dtype
    if isinstance(value, int):
        return np.dtype(np.int64)
    if isinstance(value, float):
        return default_float()
    if isinstance(value, Tensor) and value.ndim == 0:
        return value.dtype
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f"{where}: sample {position}{_in(field)} is the complex number "
                        f"{value!r:.40}; complex dtypes are not supported here, keep the real "
                        f"and imaginary parts apart")
    raise TypeError(f"{where}: sample {position}{_in(field)} is {type(value).__name__} "
                    f"{value!r:.40}, but sample 0 is a number; the samples must all be numbers")


def _numbers(samples: list, dtype: np.dtype | None, where: str, field: str) -> Tensor:
    """Number samples as one Tensor: of `dtype`, else their promoted inferred dtype."""
    kinds = {_number_dtype(value, position, where, field)
             for position, value in enumerate(samples)}
    target = dtype if dtype is not None else reduce(promote_types, kinds)
    try:
        values = np.array([getattr(v, "_data", v) for v in samples], dtype=target)
    except OverflowError:
        raise ValueError(f"{where}: Overflow when unpacking long long: a Python int"
                         f"{_in(field)} does not fit int64 (from -2**63 to 2**63 - 1); give "
                         f"floats, or smaller ints") from None
    return _to_tensor(values)


def default_convert(data: Any) -> Any:
    """PyTorch's `default_convert`, what a DataLoader with batch_size=None does to each
    sample: NumPy arrays and scalars become Tensors (arrays of strings, bytes and objects
    are kept); Mappings and namedtuples are converted field by field in their own type,
    tuples into lists, other sequences into their own type (else a list); Tensors, Python
    numbers, strings and anything else are kept. Departure from PyTorch: the Tensor made
    of an array is a copy (PyTorch's shares the array's memory)."""
    if isinstance(data, Tensor):
        return data
    kind = type(data)
    if kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_"):
        if isinstance(data, np.ndarray) and _NOT_NUMBERS & set(data.dtype.str):
            return data
        return _to_tensor(_as_array(data, None, "default_convert", default=None))
    if isinstance(data, Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return _same_sequence(data, [default_convert(value) for value in data])
    return data

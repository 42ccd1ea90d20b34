"""PyTorch's `default_collate`: a list of samples stacked into one batch, field by field;
and `default_convert`, what an unbatched loader does to each sample alone.

What `DataLoader` does with the samples of a batch unless given `collate_fn=`: numbers,
arrays and Tensors are stacked along a new first axis into one Tensor (keeping their
dtype: Python floats become float64, ints int64); strings and bytes are gathered into a
list; tuples, lists, namedtuples and dicts are collated field by field into the same kind
of container (a namedtuple of batches, a dict of batches). Samples whose structure
differs (a dict missing a key, tuples of different lengths) are refused in one line.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np

from .functional import stack
from .tensor import Tensor, _as_array

__all__ = ["default_collate", "default_convert"]


def _to_tensor(batch: np.ndarray) -> Tensor:
    """Wrap one batch array as a Tensor, keeping its dtype (integer labels stay integers)."""
    # no copy: fancy indexing or stacking made the batch, so nobody else holds it
    return Tensor.from_op(_as_array(batch, batch.dtype, "DataLoader", copy=False), None)


def default_collate(batch: Any) -> Any:
    """Stack a list of samples into one batch, as PyTorch's
    `torch.utils.data.default_collate`: Tensors, arrays and numbers into one Tensor along a
    new first axis (dtype kept; Python floats float64, ints int64); str and bytes into a
    list; tuples, lists, namedtuples and dicts (any Mapping) field by field, into the same
    kind of container.

    Departures from PyTorch: a tuple of fields stays a tuple (PyTorch's returns a list);
    samples whose keys or lengths differ raise a one-line ValueError (PyTorch's a KeyError
    or RuntimeError, and it drops keys only later samples have); Tensors that require grad
    are stacked in the graph (`tg.stack`), so backward() reaches them."""
    try:
        samples = list(batch)
    except TypeError:
        raise TypeError(f"default_collate: batch must be a list of samples, got "
                        f"{type(batch).__name__}") from None
    return _collate(samples, "default_collate")


def _collate(samples: list, where: str, field: str = "") -> Any:
    """`default_collate` of `samples`, its errors naming `where` (the caller, e.g.
    "DataLoader") and `field`: where in the sample these values sit (e.g. "['name'][1]")."""
    if not samples:
        raise IndexError(f"{where}: got an empty list of samples; a batch needs at least one")
    first = samples[0]
    if isinstance(first, Mapping):
        _same_structure(samples, where, field, Mapping, lambda s: set(s), "keys")
        collated = {key: _collate([sample[key] for sample in samples], where, f"{field}[{key!r}]")
                    for key in first}
        return _same_mapping(first, collated)
    if isinstance(first, (tuple, list)):
        _same_structure(samples, where, field, (tuple, list), len, "length")
        fields = [_collate([sample[k] for sample in samples], where, f"{field}[{k}]")
                  for k in range(len(first))]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    if isinstance(first, (str, bytes)):
        return list(samples)
    return _stacked(samples, where, field)


def _same_structure(samples: list, where: str, field: str, kind: Any, measure: Any,
                    what: str) -> None:
    """Refuse samples that are not all containers of `kind` with the same `measure` (keys
    or length) as the first: collating them field by field would lose or miss fields."""
    expected = measure(samples[0])
    for position, sample in enumerate(samples[1:], 1):
        got = measure(sample) if isinstance(sample, kind) else None
        if got != expected:
            shown = (sorted(got, key=repr) if isinstance(got, set) else got) if got is not None \
                else type(sample).__name__
            wanted = sorted(expected, key=repr) if isinstance(expected, set) else expected
            where_in = f" in field {field}" if field else ""
            raise ValueError(f"{where}: sample {position} of the batch has {what} {shown}, but "
                             f"sample 0 has {what} {wanted}{where_in}; every sample must have "
                             f"the same structure to be collated")


def _same_mapping(first: Mapping, collated: dict) -> Any:
    """The collated fields in a mapping of the first sample's type (PyTorch's rule: a
    copy of it updated for a mutable one, else its type built from a dict, else a dict)."""
    if isinstance(first, MutableMapping):
        clone = copy.copy(first)
        clone.update(collated)
        return clone
    try:
        return type(first)(collated)
    except TypeError:
        return collated


def _stacked(samples: list, where: str, field: str) -> Tensor:
    """Number, array or Tensor samples stacked into one Tensor along a new first axis."""
    place = f"field {field} of the samples" if field else "the samples"
    values = [np.asarray(getattr(sample, "_data", sample)) for sample in samples]
    shapes = {v.shape for v in values}
    if len(shapes) > 1:
        raise ValueError(f"{where}: the samples of a batch have different shapes "
                         f"{sorted(shapes, key=str)} in {place}; each field must have one "
                         f"shape to be stacked")
    stacked = np.stack(values)
    if stacked.dtype.kind not in "fiub":  # (complex, None, objects, arrays of strings)
        raise TypeError(f"{where}: cannot stack {place} into a Tensor: got "
                        f"{type(samples[0]).__name__} values (dtype {stacked.dtype}); a field "
                        f"must hold real numbers or arrays of them (strings are gathered into "
                        f"a list)")
    if any(isinstance(sample, Tensor) and sample.requires_grad for sample in samples):
        # in the graph, so backward() reaches the samples (as torch.stack's would)
        return stack([s if isinstance(s, Tensor) else _to_tensor(np.asarray(s)) for s in samples])
    return _to_tensor(stacked)


def default_convert(data: Any) -> Any:
    """PyTorch's default_convert, what a loader of an IterableDataset with batch_size=None
    does to each sample: NumPy arrays and scalars become Tensors (arrays of strings stay),
    containers are converted field by field into the same kind (a tuple stays a tuple:
    PyTorch's makes it a list, as default_collate's departure), anything else is kept."""
    if isinstance(data, (np.ndarray, np.generic)):  # (copied: a batch never aliases)
        return data if data.dtype.kind in "OSUV" else _to_tensor(np.array(data))
    if isinstance(data, Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, (tuple, list)):
        return type(data)(default_convert(value) for value in data)
    return data

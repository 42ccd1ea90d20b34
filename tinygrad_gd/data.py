"""Mini-batches: `DataLoader`, and PyTorch's datasets `Dataset`, `TensorDataset`, `Subset`
and `random_split`.

`DataLoader(x, y, batch_size=32, shuffle=True, seed=0)` is an iterable in the manner of
PyTorch's: each `for` loop over it is one epoch, yielding `(x_batch, y_batch)` tuples of
`Tensor`s cut from the same rows of every array (a single array yields bare batches).
With `shuffle=True` each epoch draws a fresh permutation from one
`numpy.random.default_rng(seed)`, so a fixed seed replays the same sequence of epochs
(without a seed, from `tg.manual_seed`'s generator as each epoch starts).

PyTorch's spelling works too: `DataLoader(TensorDataset(x, y), batch_size=32)` batches
the dataset's arrays the same way (a TensorDataset of one array yields 1-tuples, as
PyTorch's: `for (xb,) in loader`), and a dataset of your own (a `Dataset` subclass, or
any object with `__len__` and `__getitem__`) is read sample by sample and its samples
stacked into batches, field by field (tuples, lists and dicts of numbers and arrays;
strings gathered into lists). Options go by keyword: `DataLoader(dataset, batch_size=32)`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
from numpy.typing import ArrayLike

from .creation import make_generator

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["DataLoader", "Dataset", "TensorDataset", "Subset", "random_split"]


def _to_tensor(batch: np.ndarray) -> "Tensor":
    """Wrap one batch array as a Tensor, keeping its dtype (integer labels stay integers)."""
    # Imported here, not at module top, so that loading this module never depends on the
    # autograd core (and so tests can swap this one function out).
    from .tensor import Tensor, _as_array

    # no copy: fancy indexing made the batch, so nobody else holds it
    return Tensor.from_op(_as_array(batch, batch.dtype, "DataLoader", copy=False), None)


def _sample_arrays(arrays: tuple, where: str) -> tuple[np.ndarray, ...]:
    """The arrays as ndarrays with one number of samples along axis 0, or one line.

    The one rule for a dataset among arrays (TensorDataset's, and DataLoader's given more
    than one): a `Dataset` is refused; any other object with `__len__` and `__getitem__`
    is a sequence of samples, read up to its length."""
    converted = []
    for position, array in enumerate(arrays):
        if isinstance(array, Dataset):
            raise TypeError(f"{where}: array {position} is a dataset ({type(array).__name__}), "
                            f"not an array of samples; give arrays or Tensors, or the dataset "
                            f"alone to DataLoader(dataset, batch_size=32)")
        if _is_dataset(array) and not hasattr(array, "__array__"):
            # read up to its length: np.asarray would read until an IndexError, maybe never
            array = [array[i] for i in range(len(array))]
        array = np.asarray(array)  # also unwraps Tensors, through their __array__
        if array.ndim == 0:
            raise ValueError(
                f"{where}: array {position} is 0-d (a single scalar), but every array "
                f"needs a first axis of samples; pass a 1-d or higher array, e.g. "
                f"np.atleast_1d(value)")
        converted.append(array)
    lengths = [len(array) for array in converted]
    if len(set(lengths)) > 1:
        listed = ", ".join(f"array {i}: {n}" for i, n in enumerate(lengths))
        raise ValueError(f"{where}: all arrays must have the same number of samples "
                         f"along axis 0, got lengths {listed}; slice them to a common "
                         f"length or check that features and targets belong together")
    return tuple(converted)


class DataLoader:
    """Iterate over mini-batches of one or more arrays that share their first axis.

    Args:
        *arrays: arrays (ndarrays, nested lists or Tensors) with the same number of
            samples along axis 0, e.g. features and targets; or one dataset (then alone).
            Every other argument goes by keyword (PyTorch's `DataLoader(ds, 32)` is
            refused: write `batch_size=32`).
        batch_size: samples per batch (an int >= 1). The last batch of an epoch may be
            smaller unless `drop_last` is set.
        shuffle: visit the samples in a new random order each epoch.
        seed: seed of the loader's `numpy.random.default_rng`; two loaders built with the
            same seed yield the same sequence of epochs. Without it, each epoch's order
            is drawn when the epoch starts, from `tg.manual_seed`'s generator of that
            moment (else a fresh one). Ignored without `shuffle`.
        generator: PyTorch's keyword: the `np.random.Generator` the shuffling draws from
            (each epoch continues its stream), instead of `seed` (not both).
        drop_last: skip the last batch of an epoch when it is smaller than `batch_size`.
        num_workers: PyTorch's, accepted at its default 0 only: this loader is
            single-process, each batch is cut in the loop that reads it.
        pin_memory: PyTorch's, accepted at its default False only (CPU-only).
        dataset: PyTorch's keyword for the dataset, instead of the first argument.

    `loader.dataset` is the dataset given (PyTorch's attribute), or, when arrays were
    given, a `TensorDataset` over them (sharing their memory).

    Iterating yields one epoch: a `Tensor` per batch when one array was given, otherwise a
    tuple with one `Tensor` per array, all cut from the same sample indices. A dataset
    yields its samples stacked field by field: a tuple per batch from a `TensorDataset`,
    even of one array (as PyTorch's, so `for (xb,) in loader` works); strings are
    gathered into a list (PyTorch's default collate).
    `len(loader)` is the number of batches per epoch.
    """

    def __init__(self, *arrays: ArrayLike, batch_size: int = 1, shuffle: bool = False,
                 seed: int | None = None, drop_last: bool = False, num_workers: int = 0,
                 pin_memory: bool = False, dataset: Any = None, generator: Any = None) -> None:
        if dataset is not None:  # (PyTorch's keyword)
            if arrays:
                raise TypeError("DataLoader: dataset= given beside positional arrays; give the "
                                "dataset alone: DataLoader(dataset=ds, batch_size=32)")
            arrays = (dataset,)
        if not arrays:
            raise ValueError("DataLoader() got no arrays: pass at least one array of "
                             "samples, e.g. DataLoader(x, y, batch_size=32)")
        _check_positionals(arrays)
        _check_single_process(num_workers, pin_memory)
        self._by_sample = None  # a dataset read sample by sample (PyTorch's map-style)
        given = arrays[0] if len(arrays) == 1 and _is_dataset(arrays[0]) else None
        if isinstance(given, TensorDataset):
            arrays = given.arrays  # its arrays, batched as arrays are
        elif given is not None:
            self._by_sample = given
            arrays = (np.arange(len(given)),)  # the sample indices stand in
        # bool is an int subclass, but batch_size=True is surely a mistake.
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int >= 1, got "
                            f"{batch_size!r} of type {type(batch_size).__name__}; "
                            f"pass a whole number such as batch_size=32")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be an int >= 1, got {batch_size}; "
                             f"pass a positive number such as batch_size=32")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)) and not (name == "shuffle" and flag is None):
                # (PyTorch's words and type; a string such as 'no' would count as True)
                raise ValueError(f"DataLoader: {name} should be a boolean value, True or False, "
                                 f"but got {name}={flag!r}")

        self.arrays: tuple[np.ndarray, ...] = _sample_arrays(arrays, "DataLoader")
        self.dataset: Any = given if given is not None else TensorDataset._sharing(self.arrays)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self._num_samples = len(self.arrays[0])
        # Only arrays given bare yield bare batches; a dataset (a TensorDataset of one
        # array too) yields a sequence per batch, as PyTorch's: `for (xb,) in loader`.
        self._bare = given is None and len(self.arrays) == 1
        # A seed (or generator) gives one generator for the loader's lifetime: each epoch
        # continues its stream, so epochs differ yet the whole sequence is fixed by `seed`.
        # Without one, each epoch draws from the global generator of that moment
        # (tg.manual_seed's, as PyTorch's), so a manual_seed called after building the
        # loader still rules.
        self._rng = (make_generator(seed, generator, "DataLoader")
                     if seed is not None or generator is not None else None)

    @property
    def num_samples(self) -> int:
        """Number of samples (rows along axis 0) in each array."""
        return self._num_samples

    def __len__(self) -> int:
        full, rest = divmod(self._num_samples, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self) -> Iterator[Any]:
        # The permutation is drawn here, at iter() time, not at the first next(): the
        # epoch's order is fixed the moment the epoch starts.
        if self.shuffle:
            rng = self._rng if self._rng is not None else make_generator(None, None,
                                                                         "DataLoader")
            order = rng.permutation(self._num_samples)
        else:
            order = np.arange(self._num_samples)
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, self._num_samples), self.batch_size):
            indices = order[start:start + self.batch_size]
            # Fancy indexing copies, so a batch never aliases the caller's arrays.
            if self._by_sample is not None:
                yield _collate([self._by_sample[int(i)] for i in indices])
                continue
            batch = tuple(_to_tensor(array[indices]) for array in self.arrays)
            yield batch[0] if self._bare else batch

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return (f"DataLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last})")


def _check_positionals(arrays: tuple) -> None:
    """PyTorch's `DataLoader(dataset, 32)`: here every positional argument is an array (or
    the one dataset), so a number after the first is refused (a dataset beside arrays:
    `_sample_arrays`)."""
    for position, array in enumerate(arrays[1:], 1):
        if isinstance(array, (int, np.integer)) and not isinstance(array, (bool, np.bool_)):
            raise TypeError(f"DataLoader: positional argument {position + 1} is the number "
                            f"{array}, but here every positional argument is an array of "
                            f"samples (PyTorch's second is batch_size); pass it by keyword: "
                            f"DataLoader(dataset, batch_size={array})")


def _check_single_process(num_workers: Any, pin_memory: Any) -> None:
    """PyTorch's worker and pinning options, accepted at the values this loader runs with."""
    if isinstance(num_workers, bool) or num_workers != 0:
        raise ValueError(f"DataLoader: num_workers={num_workers!r} is not supported: this loader "
                         f"is single-process (each batch is cut in the loop that reads it); "
                         f"use num_workers=0 or leave it out")
    if pin_memory:
        raise ValueError(f"DataLoader: pin_memory={pin_memory!r} is not supported: tinygrad_gd "
                         f"runs on the CPU, there is no device memory to pin; use "
                         f"pin_memory=False or leave it out")


# ------------------------------------------------------------------ PyTorch's datasets


class Dataset:
    """Base class of a dataset read sample by sample (PyTorch's map-style Dataset): define
    `__len__` and `__getitem__(i)`, which returns one sample (a number, an array, a
    Tensor, or a tuple, list or dict of them); `DataLoader(dataset, batch_size=...)`
    stacks samples into batches."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} defines no __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no __getitem__")


class TensorDataset(Dataset):
    """Arrays (or Tensors) that share their first axis, as one dataset: `dataset[i]` is
    the tuple of row i of each (PyTorch's TensorDataset). `DataLoader(dataset, ...)`
    batches its arrays directly."""

    def __init__(self, *arrays: ArrayLike) -> None:
        if not arrays:
            raise ValueError("TensorDataset() got no arrays: pass at least one, e.g. "
                             "TensorDataset(x, y)")
        self.arrays = tuple(a.copy() for a in _sample_arrays(arrays, "TensorDataset"))

    @classmethod
    def _sharing(cls, arrays: tuple[np.ndarray, ...]) -> "TensorDataset":
        """A TensorDataset over checked arrays, without copying them (a DataLoader's)."""
        dataset = cls.__new__(cls)
        dataset.arrays = arrays
        return dataset

    @property
    def tensors(self) -> tuple["Tensor", ...]:
        """The arrays as Tensors (PyTorch's attribute)."""
        return tuple(_to_tensor(array.copy()) for array in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple["Tensor", ...]:
        try:
            return tuple(_to_tensor(np.array(array[index])) for array in self.arrays)
        except IndexError as err:
            raise _index_error("TensorDataset", index, len(self), err) from None


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order (PyTorch's Subset)."""

    def __init__(self, dataset: Any, indices: Any) -> None:
        try:
            values = indices if hasattr(indices, "__array__") else list(indices)
            data = np.asarray(getattr(values, "_data", values))
        except (TypeError, ValueError):
            data = np.asarray(None)  # (refused below)
        if data.ndim != 1 or data.size and data.dtype.kind not in "iu":
            raise TypeError(f"Subset: indices must be a sequence of ints (positions in the "
                            f"dataset), got {repr(indices)[:60]}")
        try:
            n = len(dataset)
        except (TypeError, NotImplementedError):
            n = None  # (a dataset without a length: its own __getitem__ checks)
        if n is not None and data.size and not (-n <= data.min() and data.max() < n):
            # (an index out of range would end a for loop over the subset early, unseen)
            raise IndexError(f"Subset: indices must lie in [{-n}, {n - 1}] for a dataset of "
                             f"{n} samples, got {data.min()} to {data.max()}")
        self.dataset, self.indices = dataset, [int(i) for i in data]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        try:  # (a list of positions: PyTorch's too)
            position = [self.indices[i] for i in index] if isinstance(index, list) \
                else self.indices[index]
        except (IndexError, TypeError) as err:
            raise _index_error("Subset", index, len(self), err) from None
        return self.dataset[position]


def _index_error(where: str, index: Any, n: int, err: Exception) -> Exception:
    """NumPy's or a list's complaint about a dataset index, restated in one line: out of
    range stays an IndexError (a for loop over the dataset ends at it), else a TypeError."""
    if "out of" in str(err):
        return IndexError(f"{where}: index {repr(index)[:40]} is out of range for {n} samples; "
                          f"use 0 to {n - 1} (or -{n} to -1)")
    return TypeError(f"{where}: an index must be an int, a slice or a list of ints, got "
                     f"{type(index).__name__} {repr(index)[:40]}")


def random_split(dataset: Any, lengths: Any, generator: Any = None,
                 seed: int | None = None) -> list[Subset]:
    """The dataset's samples shuffled and cut into Subsets of the given lengths (whole
    numbers summing to len(dataset), or fractions summing to 1, as PyTorch's); the
    shuffle draws from `generator` or `seed` (or tg.manual_seed's generator)."""
    n = len(dataset)
    given = lengths
    try:
        lengths = list(lengths)
    except TypeError:
        lengths = [None]  # (refused below)
    if any(isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating))
           for k in lengths):
        raise TypeError(f"random_split: lengths must be a sequence of whole numbers, or of "
                        f"fractions summing to 1, got {repr(given)[:60]}")
    if lengths and all(0 <= f <= 1 for f in lengths) and abs(sum(lengths) - 1) < 1e-9 \
            and not all(isinstance(f, (int, np.integer)) for f in lengths):
        counts = [int(np.floor(n * f)) for f in lengths]
        for k in range(n - sum(counts)):  # the rest, one each, round robin (PyTorch's)
            counts[k % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n or any(int(k) != k or k < 0 for k in lengths):
        raise ValueError(f"random_split: lengths {lengths} must be whole numbers >= 0 summing "
                         f"to the dataset's {n} samples, or fractions summing to 1")
    order = make_generator(seed, generator, "random_split").permutation(n)
    cuts = np.cumsum([0] + [int(k) for k in lengths])
    return [Subset(dataset, order[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]


def _is_dataset(obj: Any) -> bool:
    """A dataset read sample by sample: a Dataset, or any object with __len__ and
    __getitem__ that is not itself array data (a list, tuple, array or Tensor)."""
    from .tensor import Tensor
    if isinstance(obj, Dataset):
        return True
    return (hasattr(obj, "__len__") and hasattr(obj, "__getitem__")
            and not isinstance(obj, (list, tuple, np.ndarray, Tensor, str, bytes)))


def _collate(samples: list, field: str = "") -> Any:
    """Samples stacked into a batch along a new first axis, field by field; strings (str,
    bytes) gathered into a list, as PyTorch's default_collate. `field` is where in the
    sample these values sit (e.g. "['name']" or "[1]"), for the errors."""
    first = samples[0]
    if isinstance(first, dict):
        return {key: _collate([sample[key] for sample in samples], f"{field}[{key!r}]")
                for key in first}
    if isinstance(first, (tuple, list)):
        fields = [_collate([sample[k] for sample in samples], f"{field}[{k}]")
                  for k in range(len(first))]
        return tuple(fields) if isinstance(first, tuple) else fields
    if isinstance(first, (str, bytes)):
        return list(samples)
    where = f"field {field} of the samples" if field else "the samples"
    values = [np.asarray(getattr(sample, "_data", sample)) for sample in samples]
    try:
        stacked = np.stack(values)
    except ValueError:
        shapes = sorted({v.shape for v in values}, key=str)
        raise ValueError(f"DataLoader: the samples of a batch have different shapes "
                         f"{shapes} in {where}; each field must have one shape to be "
                         f"stacked") from None
    if stacked.dtype.kind not in "fiub":  # (complex, None, objects, arrays of strings)
        raise TypeError(f"DataLoader: cannot stack {where} into a Tensor: got "
                        f"{type(first).__name__} values (dtype {stacked.dtype}); a field must "
                        f"hold real numbers or arrays of them (strings are gathered into "
                        f"a list)")
    return _to_tensor(stacked)

"""Mini-batches: `DataLoader`, and PyTorch's datasets `Dataset`, `TensorDataset`, `Subset`,
`ConcatDataset`, `StackDataset` and `random_split`.

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
stacked into batches by `default_collate` (tinygrad_gd.collate), or by your `collate_fn`.
Options go by keyword: `DataLoader(dataset, batch_size=32)`; PyTorch's `sampler=` and
`batch_sampler=` choose the indices (tinygrad_gd.samplers). PyTorch's names for those
two modules' contents are here too: `tg.data.RandomSampler`, `tg.data.default_collate`.
"""
from __future__ import annotations

import bisect
import operator
from typing import Any, Callable, Iterator

import numpy as np
from numpy.typing import ArrayLike

from .collate import _collate, _to_tensor, default_collate
from .creation import make_generator
from .samplers import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                       SubsetRandomSampler, WeightedRandomSampler)
from .tensor import Tensor

__all__ = ["DataLoader", "Dataset", "TensorDataset", "Subset", "ConcatDataset", "StackDataset",
           "random_split", "default_collate", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]


def _sample_arrays(arrays: tuple, where: str) -> tuple[np.ndarray, ...]:
    """The arrays as ndarrays with one number of samples along axis 0, or one line.

    The one rule for a dataset among arrays (TensorDataset's, and DataLoader's given more
    than one): a `Dataset` is refused; any other object with `__len__` and `__getitem__`
    is a sequence of samples, read up to its length."""
    converted = []
    for position, array in enumerate(arrays):
        if hasattr(array, "__iter__") and not (hasattr(array, "__len__")
                                               or hasattr(array, "__getitem__")):
            raise TypeError(f"{where}: {type(array).__name__} has neither __len__ nor __getitem__; "
                            f"iterable-style datasets are not supported: give a map-style dataset")
        if isinstance(array, Dataset):
            raise TypeError(f"{where}: array {position} is a dataset ({type(array).__name__}), "
                            f"not an array of samples; give arrays or Tensors, or the dataset "
                            f"alone to DataLoader(dataset, batch_size=32)")
        if _is_dataset(array) and not hasattr(array, "__array__"):
            # read up to its length: np.asarray would read until an IndexError, maybe never
            array = [array[i] for i in range(len(array))]
        array = np.asarray(array)  # also unwraps Tensors, through their __array__
        if array.ndim == 0:
            raise ValueError(f"{where}: array {position} is 0-d (a single scalar), but every "
                             f"array needs a first axis of samples; pass a 1-d or higher array, "
                             f"e.g. np.atleast_1d(value)")
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
            moment (else a fresh one). Ignored without `shuffle`; refused beside a
            `sampler` or `batch_sampler` (give the seed to the sampler).
        generator: PyTorch's keyword: the `np.random.Generator` the shuffling draws from
            (each epoch continues its stream), instead of `seed` (not both); accepted but
            unused beside a `sampler` or `batch_sampler`, as PyTorch's.
        drop_last: skip the last batch of an epoch when it is smaller than `batch_size`.
        sampler: the sample indices of an epoch, in order (a sampler such as
            `WeightedRandomSampler`, or any iterable of indices); not with `shuffle`.
        batch_sampler: the batches of an epoch, each a list of indices (`BatchSampler`,
            or any iterable of lists); not with `batch_size`, `shuffle`, `sampler` or
            `drop_last`.
        collate_fn: a function given the list of a batch's samples (`dataset[i]` each)
            that returns the batch; default: `default_collate`'s stacking.
        num_workers: PyTorch's, accepted at its default 0 only: this loader is
            single-process, each batch is cut in the loop that reads it.
        pin_memory: PyTorch's, accepted at its default False only (CPU-only).
        dataset: PyTorch's keyword for the dataset, instead of the first argument.

    `loader.dataset` is the dataset given (PyTorch's attribute), or, when arrays were
    given, a `TensorDataset` over them (sharing their memory); `loader.sampler`,
    `loader.batch_sampler` and `loader.collate_fn` are PyTorch's attributes too (the
    defaults made when none was given; `batch_size` is None with a `batch_sampler`).

    Iterating yields one epoch: a `Tensor` per batch when one array was given, otherwise a
    tuple with one `Tensor` per array, all cut from the same sample indices. A dataset
    yields its samples stacked field by field: a tuple per batch from a `TensorDataset`,
    even of one array (as PyTorch's, so `for (xb,) in loader` works; PyTorch's is a
    list); strings are gathered into a list (PyTorch's default collate).
    `len(loader)` is the number of batches per epoch.
    """

    def __init__(self, *arrays: ArrayLike, batch_size: int = 1, shuffle: bool = False,
                 seed: int | None = None, drop_last: bool = False, num_workers: int = 0,
                 pin_memory: bool = False, dataset: Any = None, generator: Any = None,
                 sampler: Any = None, batch_sampler: Any = None,
                 collate_fn: Callable[[list], Any] | None = None) -> None:
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
            if not hasattr(given, "__len__"):
                raise TypeError(f"DataLoader: the dataset ({type(given).__name__}) defines no "
                                f"__len__, the number of its samples; define __len__")
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
        _check_samplers(sampler, batch_sampler, collate_fn, batch_size, bool(shuffle),
                        bool(drop_last))
        if (sampler is not None or batch_sampler is not None) and seed is not None:
            # (this library's seed=; PyTorch's generator= is accepted there, unused)
            raise ValueError("DataLoader: seed= is for shuffle=True, but a sampler sets the "
                             "order here; give the seed to the sampler: RandomSampler(ds, seed=0)")

        self.arrays: tuple[np.ndarray, ...] = _sample_arrays(arrays, "DataLoader")
        self.dataset: Any = given if given is not None else TensorDataset._sharing(self.arrays)
        self.batch_size: int | None = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self._collate_given = collate_fn is not None
        self._num_samples = len(self.arrays[0])
        # Only arrays given bare yield bare batches; a dataset (a TensorDataset of one
        # array too) yields a sequence per batch, as PyTorch's: `for (xb,) in loader`.
        self._bare = given is None and len(self.arrays) == 1
        # A seed (or generator) gives one generator for the loader's lifetime: each epoch
        # continues its stream, so epochs differ yet the whole sequence is fixed by `seed`.
        # Without one, each epoch draws from the global generator of that moment (tg.manual_seed's,
        # as PyTorch's), so a manual_seed called after building the loader still rules.
        self._rng = (make_generator(seed, generator, "DataLoader")
                     if seed is not None or generator is not None else None)
        self.generator = generator
        own = sampler is None and batch_sampler is None  # (then __iter__ slices their order)
        if sampler is None:  # (an empty dataset shuffles to nothing: no RandomSampler)
            sampler = (RandomSampler(self.dataset, generator=self._rng)
                       if self.shuffle and self._num_samples else SequentialSampler(self.dataset))
        if batch_sampler is None:
            batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
        else:
            self.batch_size = None  # (PyTorch's: the batch sampler decides)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self._own_batches = batch_sampler if own else None

    @property
    def num_samples(self) -> int:
        """Number of samples (rows along axis 0) in each array."""
        return self._num_samples

    def __len__(self) -> int:
        if not hasattr(self.batch_sampler, "__len__"):
            raise TypeError(f"DataLoader: its batch_sampler or sampler "
                            f"({type(self.batch_sampler).__name__}) has no length, so the "
                            f"number of batches is unknown until an epoch ends")
        return len(self.batch_sampler)

    def __iter__(self) -> Iterator[Any]:
        # The epoch's order is fixed (drawn, if random) now, not at the first next(); the
        # loader's own samplers give one index array, sliced per batch, its indices unchecked.
        if self._own_batches is not None and self.batch_sampler is self._own_batches:
            return self._batches(self._own_batches._slices(), checked=True)
        return self._batches(iter(self.batch_sampler))

    def _batches(self, batches: Iterator[Any], checked: bool = False) -> Iterator[Any]:
        for indices in batches:
            if not (checked or hasattr(indices, "__iter__")) or isinstance(indices, (str, bytes)):
                raise TypeError(f"DataLoader: each batch of the batch_sampler must be a list of "
                                f"indices, got {repr(indices)[:40]}; e.g. batch_sampler=[[0, 1]]")
            if self._by_sample is not None or self._collate_given:
                samples = [self._sample(i) for i in indices]
                yield (self.collate_fn(samples) if self._collate_given
                       else _collate(samples, "DataLoader"))
                continue
            positions, n = np.asarray(indices), self._num_samples
            if not checked and positions.size and positions.dtype.kind not in "iu":
                raise TypeError(f"DataLoader: the sampler gave indices {repr(indices)[:60]}; "
                                f"sample indices must be ints")
            outside = positions[:0] if checked else positions[(positions < -n) | (positions >= n)]
            if outside.size:
                raise IndexError(f"DataLoader: the sampler gave index {outside[0]}, out of range "
                                 f"for {n} samples; indices must lie in 0 to {n - 1}")
            # (fancy indexing copies: a batch never aliases the caller's arrays)
            batch = tuple(_to_tensor(array[positions.astype(np.intp)]) for array in self.arrays)
            yield batch[0] if self._bare else batch

    def _sample(self, index: Any) -> Any:
        """Sample `index` of the dataset: `dataset[index]`, or a bare array's row."""
        index = int(index) if isinstance(index, np.integer) else index
        if self._by_sample is not None:
            return self._by_sample[index]
        return _to_tensor(np.array(self.arrays[0][index])) if self._bare \
            else self.dataset[index]

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return (f"DataLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last})")


def _check_samplers(sampler: Any, batch_sampler: Any, collate_fn: Any, batch_size: int,
                    shuffle: bool, drop_last: bool) -> None:
    """PyTorch's rules for sampler= and batch_sampler= (each excludes the options it
    decides), and the types of the two and of collate_fn, in one line each."""
    if sampler is not None and shuffle:
        raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle; the "
                         "sampler sets the order: leave shuffle out, or use RandomSampler")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                      or drop_last):
        raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                         "batch_size, shuffle, sampler, and drop_last; the batch sampler sets "
                         "them: give those to BatchSampler(sampler, batch_size, drop_last)")
    for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value is not None and not (hasattr(value, "__iter__") or hasattr(value, "__getitem__")):
            raise TypeError(f"DataLoader: {name} must be a sampler or an iterable of indices, "
                            f"got {type(value).__name__}")
    if collate_fn is not None and not callable(collate_fn):
        raise TypeError(f"DataLoader: collate_fn must be a function taking the list of a "
                        f"batch's samples, got {type(collate_fn).__name__}")


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

    # (no __len__, as PyTorch's: one raising here would hide a mixin's; DataLoader asks)
    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no __getitem__")

    def __add__(self, other: Any) -> "ConcatDataset":
        """`a + b`: the samples of `a`, then those of `b` (PyTorch's: a ConcatDataset)."""
        return ConcatDataset([self, other])


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
    def tensors(self) -> tuple[Tensor, ...]:
        """The arrays as Tensors (PyTorch's attribute)."""
        return tuple(_to_tensor(array.copy()) for array in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
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
        except (TypeError, NotImplementedError):  # (torch's Subset never asks for a length)
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


class ConcatDataset(Dataset):
    """The samples of each of `datasets` in turn, as one dataset (PyTorch's ConcatDataset):
    `cumulative_sizes[k]` is the number of samples in the first k + 1. An index out of
    range is an IndexError, a negative one too (PyTorch's raises ValueError for that)."""

    def __init__(self, datasets: Any) -> None:
        try:
            self.datasets = list(datasets)
        except TypeError:
            raise TypeError(f"ConcatDataset: datasets must be a list of datasets, got "
                            f"{type(datasets).__name__}") from None
        if not self.datasets:  # (PyTorch's raises AssertionError)
            raise ValueError("ConcatDataset: datasets should not be an empty iterable; give a "
                             "list of at least one dataset")
        for position, dataset in enumerate(self.datasets):
            if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
                raise TypeError(f"ConcatDataset: dataset {position} is a "
                                f"{type(dataset).__name__}, which has no __len__ and "
                                f"__getitem__; give datasets (or sequences) of samples")
        self.cumulative_sizes = [int(n) for n in np.cumsum([len(d) for d in self.datasets])]

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n, given = len(self), index
        try:  # (what operator.index takes: a 0-d integer Tensor too, as a sampler yields)
            index = operator.index(index) if not isinstance(index, (bool, np.bool_)) else None
        except TypeError:
            index = None
        if index is None:
            raise TypeError(f"ConcatDataset: an index must be an int, got "
                            f"{type(given).__name__} {repr(given)[:40]}; a 0-d integer "
                            f"Tensor serves too")
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples; "
                             f"use 0 to {n - 1} (or -{n} to -1)")
        index = int(index) % n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        return self.datasets[which][index - (self.cumulative_sizes[which - 1] if which else 0)]


class StackDataset(Dataset):
    """Datasets of one length side by side (PyTorch's StackDataset): `StackDataset(a, b)[i]`
    is `(a[i], b[i])`, `StackDataset(x=a, y=b)[i]` is `{"x": a[i], "y": b[i]}`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError("StackDataset: give datasets either by position (samples are "
                             "tuples) or by keyword (samples are dicts), not both")
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        named = dict(enumerate(args)) if args else kwargs
        lengths = {}
        for name, dataset in named.items():
            if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
                raise TypeError(f"StackDataset: dataset {name!r} is a {type(dataset).__name__}, "
                                f"which has no __len__ and __getitem__; give datasets")
            lengths[name] = len(dataset)
        if len(set(lengths.values())) > 1:
            raise ValueError(f"StackDataset: size mismatch between datasets: lengths "
                             f"{lengths}; every dataset must have as many samples")
        self.datasets: tuple | dict = args if args else kwargs
        self._length = next(iter(lengths.values()))

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: Any) -> Any:
        if isinstance(self.datasets, dict):
            return {name: dataset[index] for name, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)


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
    if not hasattr(dataset, "__len__"):
        raise TypeError(f"random_split: the dataset ({type(dataset).__name__}) defines no "
                        f"__len__, the number of its samples; define __len__")
    n, given = len(dataset), lengths
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
    if isinstance(obj, Dataset):
        return True
    return (hasattr(obj, "__len__") and hasattr(obj, "__getitem__")
            and not isinstance(obj, (list, tuple, np.ndarray, Tensor, str, bytes)))

"""PyTorch's dataset classes, reached as `tg.data.Dataset` and so on (data.py gathers them
beside `DataLoader`).

Map-style datasets are read sample by sample, `dataset[i]`: the base class `Dataset`,
`TensorDataset` (arrays sharing their first axis), `Subset`, `ConcatDataset` (`a + b`),
`StackDataset` and `random_split`. Iterable-style datasets are read as a stream, in the
order their iterator gives: the base class `IterableDataset` (define `__iter__`) and
`ChainDataset` (`a + b` of two of them). `get_worker_info()` is None: loading runs in the
main process, there are no workers.
"""
from __future__ import annotations

import bisect
import operator
from abc import ABCMeta, abstractmethod
from typing import Any, Iterable, Iterator

import numpy as np
from numpy.typing import ArrayLike

from .collate import _to_tensor
from .creation import make_generator
from .tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "StackDataset",
           "random_split", "IterableDataset", "ChainDataset", "get_worker_info"]


def _sample_arrays(arrays: tuple, where: str) -> tuple[np.ndarray, ...]:
    """The arrays as ndarrays with one number of samples along axis 0, or one line.

    The one rule for a dataset among arrays (TensorDataset's, and DataLoader's given more
    than one): a `Dataset` is refused; any other object with `__len__` and `__getitem__`
    is a sequence of samples, read up to its length."""
    converted = []
    for position, array in enumerate(arrays):
        if hasattr(array, "__iter__") and not (hasattr(array, "__len__")
                                               or hasattr(array, "__getitem__")):
            raise TypeError(f"{where}: {type(array).__name__} has neither __len__ nor "
                            f"__getitem__; subclass tg.data.IterableDataset to stream it, or "
                            f"give a map-style dataset")
        if array is None:  # (NumPy's 0-d object array otherwise: "a single scalar")
            raise TypeError(f"{where}: array {position} is None; give arrays or Tensors of "
                            f"samples" + ", or a dataset" * (where == "DataLoader"))
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
            if isinstance(dataset, IterableDataset):  # (PyTorch's: an AssertionError)
                raise TypeError(f"ConcatDataset: dataset {position} is an IterableDataset "
                                f"({type(dataset).__name__}), read as a stream, not by index; "
                                f"ConcatDataset does not support IterableDataset: chain "
                                f"streams with ChainDataset")
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


# ------------------------------------------------------------------ iterable-style datasets


class IterableDataset(Dataset, metaclass=ABCMeta):
    """Base class of a dataset read as a stream (PyTorch's IterableDataset): define
    `__iter__`, returning an iterator over the samples (a class without one cannot be
    instantiated, a TypeError, as PyTorch's), and `__len__` too if their number is known
    (`len(loader)` needs it). `DataLoader(dataset, batch_size=...)` batches the samples
    in the order the iterator yields them, from a fresh iterator each epoch; the order
    is the dataset's own business, so the loader takes no shuffle= or sampler=."""

    # (no __len__, as PyTorch's: a stream's length may be unknown; DataLoader asks)
    @abstractmethod
    def __iter__(self) -> Iterator[Any]:
        """The samples, one by one, in the order a loader batches them."""

    def __add__(self, other: Any) -> "ChainDataset":
        """`a + b`: the samples of `a`, then those of `b` (PyTorch's: a ChainDataset)."""
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Iterable datasets read one after another, as one stream (PyTorch's ChainDataset):
    each is iterated when the previous one ends. `len()` is the sum of their lengths.

    Departure from PyTorch: `datasets` is read into a list when given (PyTorch's reads it
    at each pass, so a generator of datasets served one pass there), and one that is not
    an IterableDataset is refused then, a TypeError (PyTorch's: an AssertionError at the
    first pass that reaches it)."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        try:
            self.datasets = list(datasets)
        except TypeError:
            raise TypeError(f"ChainDataset: datasets must be a list of IterableDatasets, got "
                            f"{type(datasets).__name__}") from None
        for position, dataset in enumerate(self.datasets):
            if not isinstance(dataset, IterableDataset):
                raise TypeError(f"ChainDataset: dataset {position} is a "
                                f"{type(dataset).__name__}, not an IterableDataset; "
                                f"ChainDataset only supports IterableDataset (join map-style "
                                f"datasets with ConcatDataset)")

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            yield from dataset

    def __len__(self) -> int:
        for position, dataset in enumerate(self.datasets):
            if not hasattr(dataset, "__len__"):
                raise TypeError(f"ChainDataset: dataset {position} "
                                f"({type(dataset).__name__}) defines no __len__, so the "
                                f"chain's length is unknown; define __len__ on each dataset")
        return sum(len(dataset) for dataset in self.datasets)


def get_worker_info() -> None:
    """PyTorch's get_worker_info(): in a DataLoader's worker process, which worker it is
    (to split a stream among workers in `IterableDataset.__iter__`); None in the main
    process, and so always None here: every loader reads in the main process
    (num_workers=0), and a dataset's `__iter__` that asks yields its whole stream."""
    return None

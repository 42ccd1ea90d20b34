"""Mini-batches: `DataLoader`, and PyTorch's datasets `Dataset`, `TensorDataset`, `Subset`,
`ConcatDataset`, `StackDataset`, `random_split`, `IterableDataset` and `ChainDataset`
(tinygrad_gd.dataset_classes), with `get_worker_info`.

`DataLoader(x, y, batch_size=32, shuffle=True, seed=0)` is an iterable in the manner of
PyTorch's: each `for` loop over it is one epoch, yielding `(x_batch, y_batch)` tuples of
`Tensor`s cut from the same rows of every array (a single array or Tensor yields bare
batches, as PyTorch's DataLoader over a tensor).
With `shuffle=True` each epoch draws a fresh permutation from one
`numpy.random.default_rng(seed)`, so a fixed seed replays the same sequence of epochs
(without a seed, from `tg.manual_seed`'s generator as each epoch starts).

PyTorch's spelling works too: `DataLoader(TensorDataset(x, y), batch_size=32)` batches
the dataset's arrays the same way into lists, as PyTorch's (`[x_batch, y_batch]`; of one
array `[x_batch]`: `for (xb,) in loader`), and a dataset of your own (a `Dataset`
subclass, or any object with `__len__` and `__getitem__`) is read sample by sample and
its samples made batches by `default_collate` (tinygrad_gd.collate), or by your
`collate_fn`. So is a list or tuple given alone, as PyTorch reads one: its items are the
samples (`[[1, 2], [3, 4]]` yields `[tensor([1, 3]), tensor([2, 4])]`, position by
position, as torch's default_collate). `batch_size=None` yields the samples one at a time,
each through `default_convert` (NumPy arrays made Tensors, no batch axis).
An `IterableDataset` is read as a stream instead, its samples batched in the order its
iterator yields them. Options go by keyword: `DataLoader(dataset, batch_size=32)`;
PyTorch's `sampler=` and `batch_sampler=` choose the indices (tinygrad_gd.samplers).
PyTorch's names for those modules' contents are here too: `tg.data.RandomSampler`,
`tg.data.default_collate`.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Iterator

import numpy as np
from numpy.typing import ArrayLike

from .collate import _collate, _to_tensor, default_collate, default_convert
from .creation import make_generator
from .dataset_classes import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                              StackDataset, Subset, TensorDataset, _is_dataset, _sample_arrays,
                              get_worker_info, random_split)
from .samplers import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                       SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["DataLoader", "Dataset", "TensorDataset", "Subset", "ConcatDataset", "StackDataset",
           "random_split", "default_collate", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "IterableDataset",
           "ChainDataset", "get_worker_info", "default_convert"]


class DataLoader:
    """Iterate over mini-batches of one or more arrays that share their first axis.

    Args:
        *arrays: arrays (ndarrays, nested lists or Tensors) with the same number of
            samples along axis 0, e.g. features and targets; or one dataset (then alone),
            or one list (or tuple) alone, read as PyTorch reads it: a dataset whose items
            are the samples (`loader.dataset` is the list).
            Every other argument goes by keyword (PyTorch's `DataLoader(ds, 32)` is
            refused: write `batch_size=32`).
        batch_size: samples per batch (an int >= 1). The last batch of an epoch may be
            smaller unless `drop_last` is set. None yields the samples one by one,
            unbatched (each given to `collate_fn`, by default `default_convert`: NumPy
            arrays made Tensors), in the sampler's order, as PyTorch's.
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
            With batch_size=None, given each sample instead.
        num_workers: PyTorch's, accepted at its default 0 only: this loader is
            single-process, each batch is cut in the loop that reads it.
        pin_memory: PyTorch's, accepted at its default False only (CPU-only).
        dataset: PyTorch's keyword for the dataset, instead of the first argument.

    PyTorch's options for worker processes are taken as PyTorch's DataLoader takes them
    with num_workers=0: `worker_init_fn`, `pin_memory_device` and `in_order` unused,
    `timeout`, `multiprocessing_context`, `prefetch_factor` and `persistent_workers` at
    their defaults only (a ValueError otherwise).

    `loader.dataset` is the dataset given (PyTorch's attribute), or, when arrays were
    given, a `TensorDataset` over them (sharing their memory); `loader.sampler`,
    `loader.batch_sampler` and `loader.collate_fn` are PyTorch's attributes too (the
    defaults made when none was given; `batch_size` is None with a `batch_sampler`, and
    `batch_sampler` None with batch_size=None, as PyTorch's).

    Iterating yields one epoch: a `Tensor` per batch when one array was given, otherwise a
    tuple with one `Tensor` per array, all cut from the same sample indices. A dataset
    yields its samples collated as PyTorch's `default_collate` does: a list per batch from
    a `TensorDataset`, even of one array (so `for (xb,) in loader` works); strings kept as
    they come, lists and tuples position by position into lists.
    `len(loader)` is the number of batches per epoch.

    An `IterableDataset` is read as PyTorch reads one: each epoch calls `iter(dataset)`
    and batches the samples in the order the iterator yields them (the last batch
    smaller, or dropped with `drop_last`); the order is the dataset's, so shuffle=True,
    sampler= and batch_sampler= are refused (PyTorch's ValueErrors), and seed= too.
    `len(loader)` needs the dataset's `__len__` (a TypeError without it): its length
    over batch_size, rounded up (down with `drop_last`). `loader.sampler` and
    `loader.batch_sampler` are None there (PyTorch's are placeholders that yield None).
    """

    def __init__(self, *arrays: ArrayLike, batch_size: int = 1, shuffle: bool = False,
                 seed: int | None = None, drop_last: bool = False, num_workers: int = 0,
                 pin_memory: bool = False, dataset: Any = None, generator: Any = None,
                 sampler: Any = None, batch_sampler: Any = None,
                 collate_fn: Callable[[list], Any] | None = None, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if dataset is not None:  # (PyTorch's keyword)
            if arrays:
                raise TypeError("DataLoader: dataset= given beside positional arrays; give the "
                                "dataset alone: DataLoader(dataset=ds, batch_size=32)")
            arrays = (dataset,)
        if not arrays:
            raise ValueError("DataLoader() got no arrays: pass at least one array of "
                             "samples, e.g. DataLoader(x, y, batch_size=32)")
        _check_positionals(arrays)
        _check_single_process(num_workers, pin_memory, timeout=timeout,
                              multiprocessing_context=multiprocessing_context,
                              prefetch_factor=prefetch_factor,
                              persistent_workers=persistent_workers)
        self._by_sample = None  # a dataset read sample by sample (PyTorch's map-style)
        # (a list alone is a dataset of samples, as PyTorch's: rows of lists are transposed)
        given = arrays[0] if len(arrays) == 1 and (
            _is_dataset(arrays[0]) or isinstance(arrays[0], (list, tuple))) else None
        self._stream = given if isinstance(given, IterableDataset) else None
        if self._stream is not None:
            self._read_stream(batch_size, shuffle, seed, drop_last, generator, sampler,
                              batch_sampler, collate_fn)
            return
        if isinstance(given, TensorDataset) and \
                type(given).__getitem__ is TensorDataset.__getitem__:
            arrays = given.arrays  # its arrays, batched as arrays are (each batch a list)
        elif given is not None:
            if not hasattr(given, "__len__"):
                raise TypeError(f"DataLoader: the dataset ({type(given).__name__}) defines no "
                                f"__len__, the number of its samples; define __len__")
            self._by_sample = given
            arrays = (np.arange(len(given)),)  # the sample indices stand in
        if batch_size is not None:
            _check_batch_size(batch_size)
        _check_flag("shuffle", shuffle)
        _check_flag("drop_last", drop_last)
        _check_unbatched(batch_size, drop_last)
        _check_samplers(sampler, batch_sampler, collate_fn, batch_size, bool(shuffle),
                        bool(drop_last))
        if (sampler is not None or batch_sampler is not None) and seed is not None:
            # (this library's seed=; PyTorch's generator= is accepted there, unused)
            raise ValueError("DataLoader: seed= is for shuffle=True, but a sampler sets the "
                             "order here; give the seed to the sampler: RandomSampler(ds, seed=0)")

        self.arrays: tuple[np.ndarray, ...] = _sample_arrays(arrays, "DataLoader")
        self.dataset: Any = given if given is not None else TensorDataset._sharing(self.arrays)
        self.batch_size: int | None = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn if collate_fn is not None \
            else default_collate if batch_size is not None else default_convert
        self._collate_given = collate_fn is not None
        self._listed = isinstance(given, TensorDataset)  # (its batches lists, as PyTorch's)
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
        if batch_sampler is None and self.batch_size is not None:
            batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
        elif batch_sampler is not None:
            self.batch_size = None  # (PyTorch's: the batch sampler decides)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self._own_batches = batch_sampler if own else None

    def _read_stream(self, batch_size: Any, shuffle: Any, seed: Any, drop_last: Any,
                     generator: Any, sampler: Any, batch_sampler: Any, collate_fn: Any) -> None:
        """Take the options for an IterableDataset, with PyTorch's rules: its iterator sets
        the order, so no shuffle, sampler or batch sampler; batch_size=None: no batching."""
        if not (shuffle is None or isinstance(shuffle, (bool, np.bool_)) and not shuffle):
            raise ValueError(f"DataLoader: with an IterableDataset, expected unspecified "
                             f"shuffle option, but got shuffle={shuffle!r}; the dataset's "
                             f"iterator sets the order (shuffle inside its __iter__)")
        for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if value is not None:
                raise ValueError(f"DataLoader: with an IterableDataset, expected unspecified "
                                 f"{name} option, but got {name}={repr(value)[:40]}; the "
                                 f"dataset's iterator sets the order")
        if batch_size is not None:
            _check_batch_size(batch_size)
        _check_flag("drop_last", drop_last)
        _check_unbatched(batch_size, drop_last)
        if seed is not None:  # (PyTorch's generator= is accepted, unused, as beside a sampler)
            raise ValueError("DataLoader: seed= is for shuffle=True, but an IterableDataset's "
                             "iterator sets the order; seed the dataset's own shuffling")
        _check_collate(collate_fn)
        self.arrays, self.dataset, self.seed, self.generator = (), self._stream, None, generator
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle, self.drop_last = False, bool(drop_last)
        self._collate_given = collate_fn is not None
        self.collate_fn = collate_fn if collate_fn is not None \
            else default_collate if batch_size is not None else default_convert
        self.sampler = self.batch_sampler = None

    @property
    def num_samples(self) -> int:
        """Number of samples (rows along axis 0) in each array (an IterableDataset's
        length, if it has one)."""
        return self._num_samples if self._stream is None else self._stream_length()

    def _stream_length(self) -> int:
        if not hasattr(self._stream, "__len__"):
            raise TypeError(f"DataLoader: the IterableDataset ({type(self._stream).__name__}) "
                            f"defines no __len__, so the number of batches is unknown until an "
                            f"epoch ends; define __len__ to take len()")
        return len(self._stream)

    def __len__(self) -> int:
        if self._stream is not None:
            n, size = self._stream_length(), self.batch_size
            return n if size is None else n // size if self.drop_last else -(-n // size)
        batches = self.sampler if self.batch_sampler is None else self.batch_sampler
        if not hasattr(batches, "__len__"):
            raise TypeError(f"DataLoader: its batch_sampler or sampler "
                            f"({type(batches).__name__}) has no length, so the "
                            f"number of batches is unknown until an epoch ends")
        return len(batches)

    def __iter__(self) -> Iterator[Any]:
        if self._stream is not None:  # (its iterator made now, as PyTorch's)
            return self._stream_batches(iter(self._stream))
        if self.batch_sampler is None:  # batch_size=None: each sample alone, converted
            return (self.collate_fn(self._sample(index)) for index in self.sampler)
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
                yield self._collated([self._sample(i) for i in indices])
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
            yield batch[0] if self._bare else list(batch) if self._listed else batch

    def _stream_batches(self, samples: Iterator[Any]) -> Iterator[Any]:
        """An IterableDataset's samples, batch_size at a time, in the iterator's order."""
        if self.batch_size is None:
            for sample in samples:
                yield self.collate_fn(sample)
            return
        while True:
            batch = list(itertools.islice(samples, self.batch_size))
            if not batch or self.drop_last and len(batch) < self.batch_size:
                return
            yield self._collated(batch)
            if len(batch) < self.batch_size:  # the stream ended (not asked again, as PyTorch)
                return

    def _collated(self, samples: list) -> Any:
        """A batch's samples through collate_fn (default_collate's errors naming DataLoader)."""
        return self.collate_fn(samples) if self._collate_given \
            else _collate(samples, "DataLoader")

    def _sample(self, index: Any) -> Any:
        """Sample `index` of the dataset: `dataset[index]`, or a bare array's row."""
        index = int(index) if isinstance(index, np.integer) else index
        if self._by_sample is not None:
            return self._by_sample[index]
        return _to_tensor(np.array(self.arrays[0][index])) if self._bare \
            else self.dataset[index]

    def __repr__(self) -> str:
        if self._stream is not None:
            return (f"DataLoader({type(self._stream).__name__}, batch_size={self.batch_size}, "
                    f"drop_last={self.drop_last})")
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return (f"DataLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last})")


def _check_unbatched(batch_size: Any, drop_last: Any) -> None:
    if batch_size is None and drop_last:
        raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                         "mutually exclusive with drop_last")


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
    _check_collate(collate_fn)


def _check_collate(collate_fn: Any) -> None:
    if collate_fn is not None and not callable(collate_fn):
        raise TypeError(f"DataLoader: collate_fn must be a function taking the list of a "
                        f"batch's samples, got {type(collate_fn).__name__}")


def _check_batch_size(batch_size: Any) -> None:
    """batch_size must be an int >= 1 (bool is an int subclass, but True is surely a slip)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"DataLoader: batch_size must be an int >= 1, got "
                        f"{batch_size!r} of type {type(batch_size).__name__}; "
                        f"pass a whole number such as batch_size=32")
    if batch_size < 1:
        raise ValueError(f"DataLoader: batch_size must be an int >= 1, got {batch_size}; "
                         f"pass a positive number such as batch_size=32")


def _check_flag(name: str, flag: Any) -> None:
    """shuffle (None too) and drop_last must be True or False: a string such as 'no' would
    count as True (PyTorch's words and type)."""
    if not isinstance(flag, (bool, np.bool_)) and not (name == "shuffle" and flag is None):
        raise ValueError(f"DataLoader: {name} should be a boolean value, True or False, "
                         f"but got {name}={flag!r}")


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


def _check_single_process(num_workers: Any, pin_memory: Any, timeout: Any = 0,
                          multiprocessing_context: Any = None, prefetch_factor: Any = None,
                          persistent_workers: Any = False) -> None:
    """PyTorch's worker and pinning options, accepted at the values this loader runs with
    (the worker processes' at their defaults: PyTorch's DataLoader with num_workers=0
    refuses the others too)."""
    if isinstance(num_workers, bool) or num_workers != 0:
        raise ValueError(f"DataLoader: num_workers={num_workers!r} is not supported: this loader "
                         f"is single-process (each batch is cut in the loop that reads it); "
                         f"use num_workers=0 or leave it out")
    if pin_memory:
        raise ValueError(f"DataLoader: pin_memory={pin_memory!r} is not supported: tinygrad_gd "
                         f"runs on the CPU, there is no device memory to pin; use "
                         f"pin_memory=False or leave it out")
    for name, value, given in (
            ("timeout", timeout, timeout != 0),
            ("multiprocessing_context", multiprocessing_context,
             multiprocessing_context is not None),
            ("prefetch_factor", prefetch_factor, prefetch_factor is not None),
            ("persistent_workers", persistent_workers, bool(persistent_workers))):
        if given:
            raise ValueError(f"DataLoader: {name}={repr(value)[:40]} needs worker processes "
                             f"(PyTorch's too: num_workers > 0), but this loader is "
                             f"single-process; leave {name} out")

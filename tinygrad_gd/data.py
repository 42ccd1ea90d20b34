"""Mini-batches over in-memory arrays: `DataLoader`.

`DataLoader(x, y, batch_size=32, shuffle=True, seed=0)` is an iterable in the manner of
PyTorch's: each `for` loop over it is one epoch, yielding `(x_batch, y_batch)` tuples of
`Tensor`s cut from the same rows of every array (a single array yields bare batches).
With `shuffle=True` each epoch draws a fresh permutation from one
`numpy.random.default_rng(seed)`, so a fixed seed replays the same sequence of epochs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
from numpy.typing import ArrayLike

from .creation import make_generator

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["DataLoader"]


def _to_tensor(batch: np.ndarray) -> "Tensor":
    """Wrap one batch array as a Tensor, keeping its dtype (integer labels stay integers)."""
    # Imported here, not at module top, so that loading this module never depends on the
    # autograd core (and so tests can swap this one function out).
    from .tensor import Tensor, _as_array

    # no copy: fancy indexing made the batch, so nobody else holds it
    return Tensor.from_op(_as_array(batch, batch.dtype, "DataLoader", copy=False), None)


class DataLoader:
    """Iterate over mini-batches of one or more arrays that share their first axis.

    Args:
        *arrays: arrays (ndarrays, nested lists or Tensors) with the same number of
            samples along axis 0, e.g. features and targets.
        batch_size: samples per batch (an int >= 1). The last batch of an epoch may be
            smaller unless `drop_last` is set.
        shuffle: visit the samples in a new random order each epoch.
        seed: seed of the loader's `numpy.random.default_rng`; two loaders built with the
            same seed yield the same sequence of epochs. Ignored without `shuffle`.
        drop_last: skip the last batch of an epoch when it is smaller than `batch_size`.

    Iterating yields one epoch: a `Tensor` per batch when one array was given, otherwise a
    tuple with one `Tensor` per array, all cut from the same sample indices.
    `len(loader)` is the number of batches per epoch.
    """

    def __init__(self, *arrays: ArrayLike, batch_size: int = 1, shuffle: bool = False,
                 seed: int | None = None, drop_last: bool = False) -> None:
        if not arrays:
            raise ValueError("DataLoader() got no arrays: pass at least one array of "
                             "samples, e.g. DataLoader(x, y, batch_size=32)")
        # bool is an int subclass, but batch_size=True is surely a mistake.
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int >= 1, got "
                            f"{batch_size!r} of type {type(batch_size).__name__}; "
                            f"pass a whole number such as batch_size=32")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be an int >= 1, got {batch_size}; "
                             f"pass a positive number such as batch_size=32")

        converted = []
        for position, array in enumerate(arrays):
            array = np.asarray(array)  # also unwraps Tensors, through their __array__
            if array.ndim == 0:
                raise ValueError(
                    f"DataLoader: array {position} is 0-d (a single scalar), but every array "
                    f"needs a first axis of samples; pass a 1-d or higher array, e.g. "
                    f"np.atleast_1d(value)")
            converted.append(array)
        lengths = [len(array) for array in converted]
        if len(set(lengths)) > 1:
            listed = ", ".join(f"array {i}: {n}" for i, n in enumerate(lengths))
            raise ValueError(f"DataLoader: all arrays must have the same number of samples "
                             f"along axis 0, got lengths {listed}; slice them to a common "
                             f"length or check that features and targets belong together")

        self.arrays: tuple[np.ndarray, ...] = tuple(converted)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self._num_samples = lengths[0]
        # One generator for the loader's lifetime: each epoch continues its stream, so
        # epochs differ from one another yet the whole sequence is fixed by `seed`.
        self._rng = make_generator(seed, None, "DataLoader")  # (or tg.manual_seed's)

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
            order = self._rng.permutation(self._num_samples)
        else:
            order = np.arange(self._num_samples)
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, self._num_samples), self.batch_size):
            indices = order[start:start + self.batch_size]
            # Fancy indexing copies, so a batch never aliases the caller's arrays.
            batch = tuple(_to_tensor(array[indices]) for array in self.arrays)
            yield batch[0] if len(batch) == 1 else batch

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return (f"DataLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last})")

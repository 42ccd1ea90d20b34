"""PyTorch's samplers: which samples a `DataLoader` reads, and in which order.

`SequentialSampler`, `RandomSampler`, `SubsetRandomSampler` and `WeightedRandomSampler`
yield sample indices one by one; `BatchSampler` groups another sampler's indices into
lists, one per batch. Give one to `DataLoader(dataset, sampler=...)` (or a batch sampler
to `batch_sampler=...`); `Sampler` is the base class of your own.

The random ones draw from `generator=` (a `np.random.Generator`, whose stream each pass
continues) or `seed=` (one `np.random.default_rng(seed)` for the sampler's lifetime); with
neither, each pass draws from `tg.manual_seed`'s generator of the moment it starts (else a
fresh one), as the DataLoader's shuffling does. A pass's indices are drawn whole when
`iter()` is called (PyTorch's draw at the first `next()`).
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .creation import make_generator, tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _positive_int(value: Any, name: str, where: str) -> int:
    """`value` as an int > 0, or PyTorch's ValueError (bool refused: True is surely a slip)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{where}: {name} should be a positive integer value, but got "
                         f"{name}={value!r}")
    return int(value)


def _flag(value: Any, name: str, where: str, error: type = ValueError) -> bool:
    """`value` as a bool, or PyTorch's error (a string such as 'no' would count as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise error(f"{where}: {name} should be a boolean value, but got {name}={value!r}")
    return bool(value)


def _sized(obj: Any, what: str, where: str) -> Any:
    """`obj`, refused in one line unless it has a length (a sampler counts its samples)."""
    if not hasattr(obj, "__len__"):
        raise TypeError(f"{where}: {what} must have a length (a dataset or a sequence), got "
                        f"{type(obj).__name__}")
    return obj


class Sampler:
    """Base class of samplers (PyTorch's `torch.utils.data.Sampler`): define `__iter__`,
    yielding sample indices (or, for a batch sampler, one list of indices per batch), and
    `__len__` if the count is known. `data_source` is accepted and ignored, as PyTorch's."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} defines no __iter__")


class _Drawing(Sampler):
    """A sampler drawing at random: `generator` or `seed` held, else tg.manual_seed's
    generator fetched as each pass starts."""

    def _hold(self, generator: Any, seed: Any) -> None:
        self.generator = generator
        self._rng = (make_generator(seed, generator, type(self).__name__)
                     if seed is not None or generator is not None else None)

    def _draw(self) -> np.random.Generator:
        return self._rng if self._rng is not None else make_generator(None, None,
                                                                      type(self).__name__)


class SequentialSampler(Sampler):
    """The indices 0, 1, ..., len(data_source) - 1 in order (PyTorch's SequentialSampler);
    the length is read as each pass starts."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = _sized(data_source, "data_source", "SequentialSampler")

    def __iter__(self) -> Iterator[int]:
        return iter(self._order().tolist())

    def _order(self) -> np.ndarray:
        """This pass's indices as one array (the DataLoader slices it into batches)."""
        return np.arange(len(self.data_source))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(_Drawing):
    """The indices of `data_source` in a random order (PyTorch's RandomSampler).

    Without `replacement`, each pass is a permutation of all indices; `num_samples` larger
    than the dataset chains fresh permutations, cut at `num_samples` (as PyTorch's). With
    `replacement`, `num_samples` (default: the dataset's length) independent uniform
    draws. `seed` is this library's addition beside `generator` (not both)."""

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
                 generator: Any = None, *, seed: int | None = None) -> None:
        self.data_source = _sized(data_source, "data_source", "RandomSampler")
        self.replacement = _flag(replacement, "replacement", "RandomSampler", TypeError)
        self._num_samples = num_samples
        if num_samples is None and len(data_source) == 0:
            raise ValueError("RandomSampler: num_samples should be a positive integer value, but "
                             "got num_samples=0 (the dataset is empty); give a non-empty dataset")
        if num_samples is not None:
            self._num_samples = _positive_int(num_samples, "num_samples", "RandomSampler")
        self._hold(generator, seed)

    @property
    def num_samples(self) -> int:
        """Indices per pass: `num_samples` if given, else the dataset's length now."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        return iter(self._order().tolist())

    def _order(self) -> np.ndarray:
        """This pass's indices as one array, drawn now (the DataLoader slices it)."""
        n, count, rng = len(self.data_source), self.num_samples, self._draw()
        if n == 0:
            raise ValueError("RandomSampler: the dataset is empty, there is no index to draw; "
                             "give a non-empty dataset")
        if self.replacement:
            return rng.integers(0, n, size=count)
        whole, rest = divmod(count, n)
        orders = [rng.permutation(n) for _ in range(whole)]
        if rest:
            orders.append(rng.permutation(n)[:rest])
        return np.concatenate(orders)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(_Drawing):
    """The given `indices`, in a random order each pass (PyTorch's SubsetRandomSampler):
    e.g. a validation split's indices into one dataset; it yields `indices[i]`, as
    PyTorch's (a 0-d Tensor from a Tensor of indices). `seed` is this library's addition
    beside `generator` (not both)."""

    def __init__(self, indices: Any, generator: Any = None, *, seed: int | None = None) -> None:
        if not (hasattr(indices, "__len__") and hasattr(indices, "__getitem__")):
            raise TypeError(f"SubsetRandomSampler: indices must be a sequence of indices (a "
                            f"list, range or array), got {type(indices).__name__}")
        self.indices = indices
        self._hold(generator, seed)

    def __iter__(self) -> Iterator[Any]:
        order = self._draw().permutation(len(self.indices))
        return iter([self.indices[i] for i in order.tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(_Drawing):
    """`num_samples` indices into `weights`, index i drawn with probability weights[i] /
    sum(weights) (PyTorch's WeightedRandomSampler); with `replacement=False` each index at
    most once per pass, later draws among the indices left.

    Weights that are negative, infinite or NaN, or that sum to 0, are refused as the
    sampler is made (PyTorch's refuses them at the first draw); so are more draws without
    replacement than there are nonzero weights (PyTorch's then draws zero-weight indices).
    `seed` is this library's addition beside `generator` (not both)."""

    def __init__(self, weights: Any, num_samples: int, replacement: bool = True,
                 generator: Any = None, *, seed: int | None = None) -> None:
        where = "WeightedRandomSampler"
        self.num_samples = _positive_int(num_samples, "num_samples", where)
        self.replacement = _flag(replacement, "replacement", where)
        try:
            values = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{where}: weights must be a 1d sequence of numbers, got "
                            f"{repr(weights)[:60]}") from None
        if values.ndim != 1:
            raise ValueError(f"{where}: weights should be a 1d sequence but given weights have "
                             f"shape {values.shape}")
        if not np.isfinite(values).all() or (values < 0).any() or values.sum() <= 0:
            raise ValueError(f"{where}: weights must be finite and >= 0 with a positive sum, "
                             f"got {repr(values.tolist())[:60]}")
        nonzero = int(np.count_nonzero(values))
        if not self.replacement and self.num_samples > nonzero:
            raise ValueError(f"{where}: cannot draw num_samples={self.num_samples} without "
                             f"replacement from {nonzero} nonzero weights; draw fewer or set "
                             f"replacement=True")
        self.weights = tensor(values)
        self._p = values / values.sum()
        self._hold(generator, seed)

    def __iter__(self) -> Iterator[int]:
        return iter(self._draw().choice(len(self._p), size=self.num_samples,
                                        replace=self.replacement, p=self._p).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Another sampler's indices (or any iterable of them) grouped into lists of
    `batch_size`, one per batch (PyTorch's BatchSampler); `drop_last` skips a last list
    shorter than `batch_size`."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if not (hasattr(sampler, "__iter__") or hasattr(sampler, "__getitem__")):
            raise TypeError(f"BatchSampler: sampler must be a sampler or an iterable of indices, "
                            f"got {type(sampler).__name__}")
        self.sampler = sampler
        self.batch_size = _positive_int(batch_size, "batch_size", "BatchSampler")
        self.drop_last = _flag(drop_last, "drop_last", "BatchSampler")

    def __iter__(self) -> Iterator[list]:
        return self._batches(iter(self.sampler))  # (iter() now: a pass is drawn as it starts)

    def _batches(self, indices: Iterator[Any]) -> Iterator[list]:
        batch: list = []
        for index in indices:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def _slices(self) -> Iterator[np.ndarray]:
        """A pass as slices of the sampler's index array, drawn now (for a sampler with
        `_order`, as the DataLoader's own: its indices need no checks)."""
        order, size = self.sampler._order(), self.batch_size
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        return (order[i:i + size] for i in range(0, stop, size))

    def __len__(self) -> int:
        n = len(_sized(self.sampler, "its sampler", "BatchSampler"))
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

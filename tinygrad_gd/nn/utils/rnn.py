"""PyTorch's `nn.utils.rnn`: batches of sequences of different lengths, padded or packed.

`pad_sequence` stacks sequences (length_i, *) into one tensor (length, batch, *) (or
(batch, length, *)), filling the missing steps with `padding_value` on the right or the
left; `unpad_sequence` cuts them out again. A `PackedSequence` holds the same steps
without the padding, time-major: first every sequence's step 0, then step 1 of those
that have one, ...; `batch_sizes[t]` says how many sequences have step t, the sequences
ordered longest first (`sorted_indices` the order taken from the batch,
`unsorted_indices` its inverse). `pack_padded_sequence` and `pack_sequence` make one,
`pad_packed_sequence` and `unpack_sequence` undo it; RNN, LSTM and GRU run over one
(nn/recurrent.py) and return one. `invert_permutation` inverts an order.

Each moves entries by one indexing op of the input (the padding a constant row
concatenated to it), so backward() reaches every input sequence; lengths, batch sizes and
indices are int64 tensors without a graph.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from typing import Any

import numpy as np

from ... import functional as tg
from ...grad_mode import check_flag
from ...ops.arguments import array_argument, integer, number
from ...scope import drawn_as_call
from ...tensor import Tensor
from ..layer_arguments import _as_tensor, _constant

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]

_SORTED_MESSAGE = ("`lengths` array must be sorted in decreasing order when `enforce_sorted` "
                   "is True. You can pass `enforce_sorted=False` to pack_padded_sequence "
                   "and/or pack_sequence to sidestep this requirement if you do not need "
                   "ONNX exportability.")


def _int64(values: Any) -> Tensor:
    """Integers (lengths, batch sizes, indices) as an int64 tensor without a graph."""
    return Tensor.from_op(np.asarray(values, dtype=np.int64), None)


def _kept(given: Any, values: np.ndarray) -> Tensor:
    """`given` itself when it is an int64 tensor (of `values`), else `values` as one."""
    return given if isinstance(given, Tensor) and given.dtype == np.int64 else _int64(values)


def _integers(where: str, what: str, values: Any) -> np.ndarray:
    """A 1-D list, array or tensor of whole numbers (whole floats too, as PyTorch
    converts them) as an int64 array, or one line naming `where` and `what`."""
    array = array_argument(where, what, values, "a 1-D integer")
    if array.ndim != 1:
        raise RuntimeError(f"{where}: {what} must be 1-D, got shape {array.shape}")
    if array.dtype.kind not in "iuf" or array.dtype.kind == "f" and \
            not np.array_equal(array, np.floor(array)):
        raise TypeError(f"{where}: {what} must be integers, got {array.tolist()} (dtype "
                        f"{array.dtype})")
    return array.astype(np.int64)


class PackedSequence(namedtuple("PackedSequence",
                                "data batch_sizes sorted_indices unsorted_indices")):
    """A batch of sequences packed time-major without padding, as PyTorch's: `data`
    (sum(batch_sizes), *) holds step 0 of every sequence, then step 1 of those that have
    one, ...; `batch_sizes[t]` (non-increasing: the sequences are ordered longest first)
    how many have step t; `sorted_indices` the batch's order taken for that (None: the
    batch was sorted already), `unsorted_indices` its inverse (made from it when not
    given). Made by `pack_padded_sequence` and `pack_sequence`; `PackedSequence(data,
    batch_sizes)` and `PackedSequence((data, batch_sizes))` are read too. The numbers
    are int64 tensors; `.to(...)`, `.float()`, `.double()`, ... convert `data` (in the
    graph), keeping them."""

    __slots__ = ()

    def __new__(cls, data: Any, batch_sizes: Any = None, sorted_indices: Any = None,
                unsorted_indices: Any = None) -> "PackedSequence":
        where = "PackedSequence"
        if batch_sizes is None:
            if not (isinstance(data, (tuple, list)) and len(data) == 2):
                raise TypeError(f"{where}: give data and batch_sizes, or the pair (data, "
                                f"batch_sizes); got {type(data).__name__} alone")
            data, batch_sizes = data
        data = _as_tensor(where, data, what="data")
        sizes = _integers(where, "batch_sizes", batch_sizes)
        if (sizes <= 0).any() or (np.diff(sizes) > 0).any() or data.ndim == 0 or \
                sizes.sum() != data.shape[0]:
            raise ValueError(f"{where}: batch_sizes {sizes.tolist()} do not fit data of shape "
                             f"{data.shape}; they must be positive, non-increasing and sum to "
                             f"its first dimension (make it with pack_padded_sequence)")
        indices = [None if i is None else _kept(i, _permutation(where, name, i))
                   for i, name in ((sorted_indices, "sorted_indices"),
                                   (unsorted_indices, "unsorted_indices"))]
        for index, name in zip(indices, ("sorted_indices", "unsorted_indices")):
            if index is not None and index.shape[0] != (sizes[0] if sizes.size else 0):
                raise ValueError(f"{where}: {name} orders {index.shape[0]} sequences, "
                                 f"batch_sizes[0] says {sizes[0] if sizes.size else 0}")
        if indices[1] is None:
            indices[1] = invert_permutation(indices[0])
        return super().__new__(cls, data, _kept(batch_sizes, sizes), *indices)

    def to(self, *args: Any, **kwargs: Any) -> "PackedSequence":
        """The same batch with `data.to(...)` (PyTorch's forms: a dtype, a device, both);
        itself when data is unchanged."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(
            data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> "PackedSequence":
        return self.to("cpu")

    def double(self) -> "PackedSequence":
        return self.to(np.float64)

    def float(self) -> "PackedSequence":
        return self.to(np.float32)

    def half(self) -> "PackedSequence":
        return self.to(np.float16)

    def long(self) -> "PackedSequence":
        return self.to(np.int64)

    def int(self) -> "PackedSequence":
        return self.to(np.int32)

    @property
    def is_cuda(self) -> bool:
        return False


def _permutation(where: str, what: str, values: Any) -> np.ndarray:
    """A permutation of 0..n-1 (given as a list, array or tensor) as an int64 array."""
    order = _integers(where, what, values)
    if not np.array_equal(np.sort(order), np.arange(order.size)):
        raise ValueError(f"{where}: {what} must be a permutation of 0..{order.size - 1}, got "
                         f"{order.tolist()}")
    return order


def invert_permutation(permutation: Any) -> Tensor | None:
    """The inverse of a permutation of 0..n-1: `inverse[permutation[i]] = i` (PyTorch's
    invert_permutation; None gives None). An int64 tensor."""
    if permutation is None:
        return None
    order = _permutation("invert_permutation", "permutation", permutation)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return _int64(inverse)


def _padding(where: str, value: Any, like: Tensor) -> Tensor:
    """The padding row (1, *) of `like`'s rows, `value` in its dtype (named for diagrams)."""
    value = number(where, "padding_value", value)
    if like.dtype.kind != "f" and not np.isfinite(value):
        raise ValueError(f"{where}: padding_value {value} has no {like.dtype} value; give a "
                         f"finite number for integer sequences")
    return _constant(np.full((1,) + like.shape[1:], value).astype(like.dtype), "padding_value")


def _time_major(where: str, lengths: np.ndarray, enforce_sorted: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Tensor | None]:
    """(sequence, step) of each packed row, time-major (every sequence's step 0, then step
    1 of those that have one, ...), the batch sizes and sorted_indices, from the lengths."""
    if (lengths <= 0).any():
        raise RuntimeError(f"{where}: every length must be at least 1, got lengths "
                           f"{lengths.tolist()}; leave empty sequences out of the batch")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError(f"{where}: {_SORTED_MESSAGE} Got lengths {lengths.tolist()}")
        order, sorted_indices = np.arange(lengths.size), None
    else:  # (stable: sequences of equal length keep their order, as PyTorch's sort does)
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = _int64(order)
    sorted_lengths = lengths[order]
    has_step = sorted_lengths[None, :] > np.arange(sorted_lengths[0])[:, None]  # (t, row)
    t, row = np.nonzero(has_step)
    return order[row], t, has_step.sum(axis=1), sorted_indices


def _batch_and_steps(where: str, what: str, padded: Tensor, batch_first: bool
                     ) -> tuple[int, int]:
    """The batch size and step count of a padded batch (`what`: the argument's name), of
    at least 2 axes (PyTorch's IndexError otherwise)."""
    if padded.ndim < 2:
        raise IndexError(f"{where}: {what} must be (length, batch, *) ((batch, length, *) "
                         f"with batch_first=True), got shape {padded.shape}")
    return padded.shape[:2] if batch_first else padded.shape[1::-1]


def _pack(where: str, input: Any, lengths: Any, batch_first: bool,
          enforce_sorted: bool) -> PackedSequence:
    input = _as_tensor(where, input)
    batch_first = check_flag(where, "batch_first", batch_first)
    enforce_sorted = check_flag(where, "enforce_sorted", enforce_sorted)
    batch, steps = _batch_and_steps(where, "input", input, batch_first)
    lengths = _integers(where, "lengths", lengths)
    if lengths.size != batch:
        raise RuntimeError(f"{where}: got {lengths.size} lengths for a batch of {batch} "
                           f"sequences (input of shape {input.shape}, batch_first="
                           f"{batch_first}); give one length per sequence")
    if input.size == 0:
        raise RuntimeError(f"{where}: cannot pack an empty input (shape {input.shape})")
    if lengths.max() > steps:
        raise RuntimeError(f"{where}: length {lengths.max()} is longer than the input's "
                           f"{steps} steps (shape {input.shape}, batch_first={batch_first})")
    sequence, t, sizes, sorted_indices = _time_major(where, lengths, enforce_sorted)
    data = input[sequence, t] if batch_first else input[t, sequence]
    return PackedSequence(data, sizes, sorted_indices)


@drawn_as_call("pack_padded_sequence()")
def pack_padded_sequence(input: Any, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch `input` (length, batch, *) ((batch, length, *) with
    batch_first=True) of sequences of the given `lengths` (a list or tensor, one per
    sequence, each at least 1) into a PackedSequence, dropping the padding. With
    enforce_sorted=True the lengths must not increase along the batch; with False the
    sequences are ordered longest first (equal lengths keep their order) and
    `sorted_indices` records it."""
    return _pack("pack_padded_sequence", input, lengths, batch_first, enforce_sorted)


def _packed(where: str, sequence: Any) -> PackedSequence:
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{where}: expected a PackedSequence (from pack_padded_sequence or "
                        f"pack_sequence), got {type(sequence).__name__}")
    return sequence


def _pad_packed(where: str, sequence: Any, batch_first: bool, padding_value: Any,
                total_length: Any) -> tuple[Tensor, Tensor]:
    sequence = _packed(where, sequence)
    batch_first = check_flag(where, "batch_first", batch_first)
    padding = _padding(where, padding_value, sequence.data)
    sizes = sequence.batch_sizes._data
    steps, batch = sizes.size, int(sizes[0]) if sizes.size else 0
    if total_length is not None:
        total_length = integer(where, "total_length", total_length)
        if total_length < steps:
            raise ValueError(f"{where}: Expected total_length to be at least the length of "
                             f"the longest sequence in input, but got total_length="
                             f"{total_length} and max sequence length being {steps}")
        steps = total_length
    data = sequence.data
    # each (step, sorted sequence)'s row of data, or the padding row after data's
    active = sizes[:, None] > np.arange(batch)[None, :]
    rows = np.full((steps, batch), data.shape[0])
    rows[:sizes.size] = np.where(active, (np.cumsum(sizes) - sizes)[:, None] + np.arange(batch),
                                 data.shape[0])
    lengths = active.sum(axis=0)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices._data
        rows, lengths = rows[:, order], lengths[order]
    padded = tg.cat([data, padding], axis=0)[rows.T if batch_first else rows]
    return padded, _int64(lengths)


@drawn_as_call("pad_packed_sequence()")
def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None
                        ) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: (padded, lengths), padded (length, batch, *) ((batch,
    length, *) with batch_first=True), the steps past a sequence's end `padding_value`,
    length the longest sequence's or `total_length` (no shorter); the sequences in the
    batch's own order (unsorted by `unsorted_indices`), lengths an int64 tensor."""
    return _pad_packed("pad_packed_sequence", sequence, batch_first, padding_value,
                       total_length)


def _sequences(where: str, sequences: Any) -> list[Tensor]:
    """The sequences (length_i, *) of a batch as tensors: a list or tuple of them (any
    iterable; a tensor is the sequence of its rows, as PyTorch reads it), not empty, each
    of one trailing shape; all in the first's dtype (PyTorch's)."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    elif not isinstance(sequences, Iterable) or isinstance(sequences, (str, bytes)):
        raise RuntimeError(f"{where}: expected a list of tensors (length_i, *), got "
                           f"{type(sequences).__name__}")
    tensors = [_as_tensor(where, s, what=f"sequences[{i}]") for i, s in enumerate(sequences)]
    if not tensors:
        raise RuntimeError(f"{where}: received an empty list of sequences; give at least one")
    for i, s in enumerate(tensors):
        if s.ndim == 0 or s.shape[1:] != tensors[0].shape[1:]:
            raise RuntimeError(f"{where}: sequences[{i}] has shape {s.shape}, sequences[0] "
                               f"{tensors[0].shape}; each must be (length_i, *) with the same "
                               f"trailing shape *")
    dtype = tensors[0].dtype
    return [s if s.dtype == dtype else s.to(dtype) for s in tensors]


def _pad(where: str, tensors: list[Tensor], batch_first: bool, padding_value: Any,
         padding_side: Any) -> Tensor:
    batch_first = check_flag(where, "batch_first", batch_first)
    padding = _padding(where, padding_value, tensors[0])
    if padding_side not in ("right", "left"):
        raise RuntimeError(f"{where}: Expected padding_side to be one of left or right, but "
                           f"got {padding_side!r}")
    lengths = np.array([s.shape[0] for s in tensors])
    steps, starts = int(lengths.max()), np.cumsum(lengths) - lengths
    # each (sequence, step)'s row of the sequences joined, or the padding row after them
    t = np.arange(steps)[None, :] - (steps - lengths[:, None] if padding_side == "left" else 0)
    rows = np.where((t >= 0) & (t < lengths[:, None]), starts[:, None] + t, lengths.sum())
    return tg.cat(tensors + [padding], axis=0)[rows if batch_first else rows.T]


@drawn_as_call("pad_sequence()")
def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences (length_i, *) into one tensor (length, batch, *) ((batch, length,
    *) with batch_first=True), length the longest's, each shorter one filled with
    `padding_value` after its steps (padding_side='right') or before them ('left'). In
    the first sequence's dtype, as PyTorch's."""
    where = "pad_sequence"
    return _pad(where, _sequences(where, sequences), batch_first, padding_value,
                padding_side)


def _unpad(where: str, padded: Any, lengths: Any, batch_first: bool) -> list[Tensor]:
    padded = _as_tensor(where, padded, what="padded_sequences")
    batch_first = check_flag(where, "batch_first", batch_first)
    batch, steps = _batch_and_steps(where, "padded_sequences", padded, batch_first)
    lengths = _integers(where, "lengths", lengths)
    if lengths.size != batch or (lengths < 0).any() or (lengths > steps).any():
        raise ValueError(f"{where}: lengths {lengths.tolist()} do not fit padded_sequences of "
                         f"shape {padded.shape} (batch_first={batch_first}); give one length "
                         f"in [0, {steps}] per sequence")
    return [padded[b, :n] if batch_first else padded[:n, b] for b, n in enumerate(lengths)]


@drawn_as_call("unpad_sequence()")
def unpad_sequence(padded_sequences: Any, lengths: Any, batch_first: bool = False
                   ) -> list[Tensor]:
    """Undo `pad_sequence`: the list of sequences, sequence b the first lengths[b] steps
    of padded_sequences' b-th (each in the graph). Unlike PyTorch's, padded_sequences is
    not transposed in place."""
    return _unpad("unpad_sequence", padded_sequences, lengths, batch_first)


@drawn_as_call("pack_sequence()")
def pack_sequence(sequences: Any, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (length_i, *), each at least one step long, into a
    PackedSequence (as `pad_sequence` then `pack_padded_sequence` would, with one
    indexing op of the sequences joined). With enforce_sorted=True they must be given
    longest first."""
    where = "pack_sequence"
    tensors = _sequences(where, sequences)
    enforce_sorted = check_flag(where, "enforce_sorted", enforce_sorted)
    lengths = np.array([s.shape[0] for s in tensors])
    sequence, t, sizes, sorted_indices = _time_major(where, lengths, enforce_sorted)
    starts = np.cumsum(lengths) - lengths  # (each sequence's first row in the joined ones)
    return PackedSequence(tg.cat(tensors, axis=0)[starts[sequence] + t], sizes, sorted_indices)


@drawn_as_call("unpack_sequence()")
def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Undo `pack_sequence`: the list of sequences, in the batch's own order."""
    where = "unpack_sequence"
    padded, lengths = _pad_packed(where, packed_sequences, True, 0.0, None)
    return _unpad(where, padded, lengths, True)

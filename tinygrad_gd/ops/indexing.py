"""Indexing ops: `t[index]` (getitem), `t[index] = v` where the graph follows it (setitem),
narrow, take and index_select; and `add_at`, getitem's gradient as an op (NumPy's
np.add.at: values added at an index, repeats adding), for second derivatives. Their
refusals write the index on one line (index_text.py).

Their backward moves the gradient back where each value came from: a picked element's
gradient is scattered into its place, adding where an index repeats. A result with no
entries of ints, slices and None has PyTorch's strides and offset (memory.indexed), where
NumPy's strides are all 0.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Function, unbroadcast
from ..higher_order import sum_to
from ..index_text import index_text
from ..memory import indexed
from ..tensor import _raw_index
from .arguments import (Tensor, array_argument, either, ints, on_a_scalars_axis, one_axis,
                        to_tensor)


class GetItem(Function, name="getitem", methods=("__getitem__",)):
    """Indexing `t[...]`: slices, integer and boolean arrays; a repeated index adds up.

    forward: `x[index]`
    gradient: zeros of `x`'s shape with `g` added at `index` (repeats add up)
    """

    @classmethod
    def call(cls, x, index):
        return cls.apply(x, index=_index_kept("getitem", index))

    def forward(ctx, x, *, index):
        ctx.in_shape, ctx.index = x.shape, index
        try:
            out = x[_as_view(index)]
            if out.size:
                return out
        except (IndexError, TypeError) as err:
            raise IndexError(f"getitem: index [{index_text(index)}] does not fit a tensor of "
                             f"shape {x.shape}: {str(err).splitlines()[0].strip()}") from None
        return indexed(x, index, out)  # (no entries: PyTorch's strides, NumPy's are 0s)

    def backward(ctx, g):
        full = np.zeros(ctx.in_shape, dtype=g.dtype)
        np.add.at(full, ctx.index, g)  # repeated indices accumulate, as they must
        return full

    def backward_graph(ctx, out, g):
        return added_at(ctx.in_shape, g, ctx.index)


class SetItem(Function, name="setitem"):
    """`t[index] = value` where the graph follows it (t made by an op, or a value that needs
    a gradient): in_place_recorded.py records the write as this op, t its output. Where an
    index repeats, the last value written there stays (NumPy's order), and only it has a
    gradient, the others being overwritten.

    forward: x's values with `value` (broadcast, in x's dtype) at `index`
    gradient: x: `g` with 0 at `index` (replaced); value: `g[index]` where it stayed, else 0
    """

    @classmethod
    def call(cls, x, index, value):
        return cls.apply(x, value, index=_index_kept("setitem", index))

    def forward(ctx, x, value, *, index):
        ctx.value_shape = value.shape  # (NumPy writes a value with extra leading 1s too)
        try:  # the flat position each written value goes to
            positions = np.arange(x.size).reshape(x.shape)[index]
            value = value.reshape(value.shape[max(value.ndim - positions.ndim, 0):])
            values = np.broadcast_to(value, positions.shape).reshape(-1)
        except (IndexError, ValueError, TypeError) as err:
            raise type(err)(f"setitem: cannot write a value of shape {ctx.value_shape} at "
                            f"index [{index_text(index)}] of a tensor of shape {x.shape}: "
                            f"{str(err).splitlines()[0].strip()}") from None
        ctx.region, ctx.kept, ctx.index = positions.shape, value.shape, index
        ctx.positions, ctx.last = positions.reshape(-1), _last_of_each(positions.reshape(-1))
        out = np.array(x, order="C")
        out.reshape(-1)[ctx.positions[ctx.last]] = values[ctx.last]
        return out

    def backward(ctx, g):
        g_x = np.array(g, order="C")
        g_x.reshape(-1)[ctx.positions] = 0
        g_value = np.where(ctx.last, g.reshape(-1)[ctx.positions], 0).reshape(ctx.region)
        return g_x, unbroadcast(g_value, ctx.kept).reshape(ctx.value_shape)

    def backward_graph(ctx, out, g):
        g_x = SetItem.apply(g, np.zeros((), g.dtype), index=ctx.index)
        g_value = (g.reshape(-1)[ctx.positions] * ctx.last).reshape(ctx.region)
        return g_x, sum_to(g_value, ctx.kept).reshape(ctx.value_shape)


def _last_of_each(positions: np.ndarray) -> np.ndarray:
    """A mask of `positions`: True at the last entry of each position (the write that stays)."""
    last = np.zeros(positions.shape, dtype=bool)
    _, first_from_end = np.unique(positions[::-1], return_index=True)
    last[positions.size - 1 - first_from_end] = True
    return last


def _index_kept(op: str, index: Any) -> Any:
    """An index as getitem and setitem keep it: a copy of each array or list in it (backward
    reads it, and a later change to the caller's array must not move the gradient);
    float index tensors refused."""
    index = _raw_index(index)
    try:
        index = tuple(map(_kept, index)) if isinstance(index, tuple) else _kept(index)
    except ValueError:  # (NumPy's "inhomogeneous shape", of a list it cannot make an array)
        refuse_mixed_lists(op, index)
        raise
    for part in index if isinstance(index, tuple) else (index,):
        if isinstance(part, np.ndarray) and part.dtype.kind == "f":
            raise IndexError(
                f"{op}: index tensors must be integer (or boolean masks), got dtype "
                f"{part.dtype}; build them with tg.as_tensor([0, 2]) or "
                f"tg.Tensor([0, 2], dtype='int64') or tg.arange(n), or convert with "
                f"index.long()")
    return index


class Narrow(GetItem, name="narrow", methods=("narrow",), functions=("narrow",)):
    """`length` entries from `start` along `dim` (PyTorch's narrow; a negative start counts
    from the end; start a 0-d integer tensor too, as PyTorch's): `x[..., start:start +
    length, ...]`.

    forward: `x[start:start + length]` along `dim`
    gradient: zeros of `x`'s shape with `g` in the entries taken
    """

    @classmethod
    def call(cls, x, dim, start, length):
        x = to_tensor(x)
        dim = one_axis(cls.name, dim, x.ndim) % x.ndim
        if isinstance(start, Tensor) and start.ndim == 0 and start.dtype.kind in "iu":
            start = int(start.item())  # (PyTorch's narrow(x, 0, torch.tensor(1), 2))
        start, length = ints(cls.name, (start, length))
        n = x.shape[dim]
        begin = start + n if -n <= start < 0 else start
        if not 0 <= begin <= n or length < 0 or begin + length > n:
            raise IndexError(f"narrow: start {start} and length {length} do not fit axis {dim} "
                             f"of size {n} (start in [-{n}, {n}], start + length <= {n})")
        return cls.apply(x, index=(slice(None),) * dim + (slice(begin, begin + length),))


class Take(Function, methods=("take",), functions=("take",)):
    """Entries picked by integer `indices` along `axis` (None: of the flattened tensor), as
    NumPy's take and PyTorch's take; the result has the indices' shape in axis's place.

    forward: `take(x, indices, axis)`
    gradient: zeros of `x`'s shape with `g` added at the indices (repeats add up)
    """

    @classmethod
    def call(cls, x, indices, axis=None, *, dim=None):
        x = to_tensor(x)
        axis = one_axis(cls.name, either(cls.name, "axis", axis, "dim", dim), x.ndim,
                        none_ok=True)
        axis = None if axis is None else axis % x.ndim
        return cls.apply(x, indices=_indices(cls.name, indices, x, axis), axis=axis)

    def forward(ctx, x, *, indices, axis=None):
        ctx.in_shape, ctx.indices, ctx.axis = x.shape, indices, axis
        return np.take(x, indices, axis)

    def backward(ctx, g):
        full = np.zeros(ctx.in_shape, dtype=g.dtype)
        if ctx.axis is None:
            np.add.at(full.reshape(-1), ctx.indices, g)  # (a view: it writes into full)
        else:
            np.add.at(full, (slice(None),) * ctx.axis + (ctx.indices,), g)
        return full

    def backward_graph(ctx, out, g):
        if ctx.axis is None:
            return added_at((int(np.prod(ctx.in_shape)),), g, ctx.indices).reshape(ctx.in_shape)
        return added_at(ctx.in_shape, g, (slice(None),) * ctx.axis + (ctx.indices,))


class IndexSelect(Take, name="index_select", methods=("index_select",),
                  functions=("index_select",)):
    """The entries at a 1-D integer `index` along `dim`, in its order (PyTorch's
    index_select; NumPy's `take(x, index, axis)`).

    forward: `take(x, index, dim)`
    gradient: zeros of `x`'s shape with `g` added at the indices (repeats add up)
    """

    @classmethod
    def call(cls, x, dim, index):
        x = to_tensor(x)
        if on_a_scalars_axis(cls.name, x, dim):  # (PyTorch's: one index, a 0-d result)
            one = index.reshape(-1) if isinstance(index, Tensor) else np.reshape(index, -1)
            if len(one) != 1:
                raise IndexError(f"index_select: a 0-d tensor has one entry along its axis; "
                                 f"give one index, got {len(one)}")
            return cls.call(x.reshape(1), 0, one).reshape(())
        dim = one_axis(cls.name, dim, x.ndim) % x.ndim
        index = _indices(cls.name, index, x, dim, negative_ok=False)
        if index.ndim == 0:  # (PyTorch's: a 0-d index picks one entry, the axis kept)
            index = index.reshape(1)
        if index.ndim != 1:
            raise ValueError(f"index_select: the index must be 1-D, got shape {index.shape}; "
                             f"use take(x, index, axis) for an index of any shape")
        return cls.apply(x, indices=index, axis=dim)


def not_negative(op: str, index: np.ndarray, where: str, n: int) -> None:
    """Refuse a negative entry of `index` into `where` (of size `n`), as PyTorch's
    index_select and take_along_dim without dim refuse it (where x[index] wraps it)."""
    if index.size and index.min() < 0:
        bad = int(index.min())
        raise IndexError(f"{op}: index {bad} is out of range for {where} of size {n}: "
                         f"PyTorch's {op} takes indices in [0, {n}), no negative ones; "
                         f"add {n} to a negative index (index % {n})")


def _indices(op: str, indices, x, axis, negative_ok: bool = True) -> np.ndarray:
    """Integer indices into `axis` of x (None: the flattened x), each in [-n, n) (in [0, n)
    where not `negative_ok`: PyTorch's index_select), as an array."""
    indices = array_argument(op, "indices", indices)
    n = x.size if axis is None else x.shape[axis]
    if indices.dtype.kind not in "iu" and indices.size:
        raise TypeError(f"{op}: indices must be integers, got dtype {indices.dtype}; convert "
                        f"with .long() or build them with tg.as_tensor([0, 2])")
    if not negative_ok:
        not_negative(op, indices, f"dim {axis}", n)
    if indices.size and not (-n <= indices.min() and indices.max() < n):
        raise IndexError(f"{op}: indices from {indices.min()} to {indices.max()} do not fit "
                         f"{'the ' + str(n) + ' entries' if axis is None else f'axis {axis}'} "
                         f"of a tensor of shape {x.shape} (each must be in [-{n}, {n}))")
    return indices.astype(np.intp, copy=False)


def refuse_mixed_lists(op: str, index: Any) -> None:
    """Refuse, in one line, a list in `index` that is no array of indices: one that mixes
    numbers and sequences (`x[[0, (1, 2)]]`), or whose lists differ in length (`x[[[0, 1],
    [2]]]`, ragged), at any depth. NumPy refuses it; PyTorch 2.13 reads a whole index list
    of sequences as a tuple, one index per axis, with a deprecation warning (its next
    reading is the array): that rewrite is offered where it is itself an index."""
    for part in index if isinstance(index, tuple) else (index,):
        if not isinstance(part, list) or _an_array(part):
            continue
        instead = ""
        if part is index and _an_index(tuple(part)):
            each = ", ".join(map(_as_written, part))
            instead = f"x[{each}] or x[({each})] for one index per axis, or "
        raise IndexError(f"{op}: indexing with the list {_as_written(part)}, which "
                         f"{_flaw(part)}, is no array of indices; write {instead}a list of "
                         f"one shape, numbers throughout (x[[0, 1]]), or a tensor of them "
                         f"(x[tg.tensor([[0, 1], [1, 2]])]) for an array of indices") from None


def _an_array(value: Any) -> bool:
    """Whether NumPy makes one array of `value` (a list of one shape)."""
    try:
        np.asarray(value)
    except ValueError:
        return False
    return True


def _an_index(parts: tuple) -> bool:
    """Whether `parts`, one index per axis, is an index: each sequence in it an array of
    one shape, and those arrays broadcast together."""
    sequences = [part for part in parts if _a_sequence(part)]
    if not all(map(_an_array, sequences)):
        return False
    try:
        np.broadcast_shapes(*(np.shape(np.asarray(part)) for part in sequences))
    except ValueError:
        return False
    return True


def _a_sequence(value: Any) -> bool:
    """Whether `value` holds several values (a list, a tuple, an array or tensor of 1 or
    more dimensions), not one number."""
    return isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) > 0


def _flaw(items: list | tuple) -> str:
    """Why `items`, a sequence NumPy makes no array of, is none ("[...], which" + it): it
    mixes numbers and sequences, its sequences differ in length or shape, or it holds a
    sequence that is none (its own flaw then)."""
    sequences = [item for item in items if _a_sequence(item)]
    if len(sequences) < len(items):
        return "mixes numbers and sequences"
    for item in sequences:
        if not _an_array(item):
            return f"holds {_as_written(item)}, which {_flaw(item)}"
    lengths = [len(item) for item in sequences]
    if len(set(lengths)) > 1:
        return f"holds sequences of different lengths ({', '.join(map(str, lengths))}: ragged)"
    return "holds sequences of different shapes (ragged)"


def _as_written(value: Any) -> str:
    """An index list or tuple as written, a tensor or array in it as its list of values."""
    if isinstance(value, list):
        return "[" + ", ".join(map(_as_written, value)) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_as_written, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        return repr(np.asarray(value).tolist())
    return repr(value)


def _as_view(index: Any) -> Any:
    """An index of integers alone with `...` added: NumPy's `x[0, 1]` is a copy (a scalar),
    `x[0, 1, ...]` a 0-d view, as PyTorch's `t[0, 1]`: a write into it (`w[0] -= step`
    under no_grad, `w.grad[0].zero_()`) reaches t, as a write into a row does."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if not isinstance(part, (int, np.integer)) or isinstance(part, bool):
            return index  # (a slice, array, mask, None or ...: NumPy's result is a view or a copy)
    return parts + (Ellipsis,)


def _kept(part: Any) -> Any:
    """An index part as the op keeps it: arrays and lists copied, slices and ints as they are
    (an empty list selects nothing, as in NumPy: integer, not NumPy's float64 default)."""
    if isinstance(part, list) and not part:
        return np.array(part, dtype=np.intp)
    if isinstance(part, np.ndarray) and part.ndim == 0 and part.dtype.kind in "iu":
        return int(part)  # (a 0-d integer tensor is its number: `t[:, i]` a view, as torch's)
    return np.array(part) if isinstance(part, (np.ndarray, list)) else part


def added_at(shape: tuple, values: Any, index: Any) -> Any:
    """Zeros of `shape` with the Tensor `values` added at `index`, a repeat adding each time,
    recorded (`AddAt`): a picked value's gradient sent back to its place, for a backward_graph."""
    return AddAt.apply(np.zeros(shape, values.dtype), values, index=index)


class AddAt(Function, register=False, name="add_at"):
    """x with `values` added at `index`, a repeated index adding each time (NumPy's
    np.add.at): getitem's and take's gradient as an op, so that it is differentiated again
    (higher_order.py); its own gradient is getitem's, the pair closed under both.

    forward: `x` with `values` added at `index` (repeats add up)
    gradient: `g` for x, `g[index]` for values
    """

    def forward(ctx, x, values, *, index):
        ctx.index, ctx.value_shape = index, values.shape
        out = x.copy()
        np.add.at(out, index, values)
        return out

    def backward(ctx, g):
        taken = g[ctx.index]
        return g, unbroadcast(taken, ctx.value_shape) if taken.shape != ctx.value_shape else taken

    def backward_graph(ctx, out, g):
        return g, g[ctx.index]

"""Shape and indexing ops: the same values moved, copied or picked out.

Their backward moves the gradient back where each value came from: reshape it back,
transpose it back, sum the copies a broadcast made, scatter a picked element's gradient
into its place (adding where an index repeats), split a concatenation's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Function, unbroadcast
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..tensor import _raw_index
from ..values import check_cpu, is_device, numeric_dtype
from .arguments import (to_tensor, array_argument, check_axis, either, ints, one_axis,
                        permutation, same_dtype, tensor_sequence)


class Reshape(Function, methods=("reshape", "view"), functions=("reshape",)):
    """The same values in a new shape: `t.reshape(2, 3)` or `t.reshape((2, 3))`, -1 inferred
    (`t.view(...)`, PyTorch's spelling, is the same op).

    forward: `x.reshape(shape)`
    gradient: `g.reshape(x.shape)`
    """

    @classmethod
    def call(cls, x, *shape):
        shape = ints(cls.name, shape)
        if any(n < -1 for n in shape) or shape.count(-1) > 1:
            raise ValueError(f"{cls.name}: sizes must be >= 0, with at most one -1 (a size "
                             f"inferred from the others), got {shape}")
        return cls.apply(x, shape=shape)

    def forward(ctx, x, *, shape):
        ctx.in_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ShapeError(f"{ctx.name}: cannot reshape a tensor of shape {x.shape} "
                             f"({x.size} elements) into shape {tuple(shape)}") from None

    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Flatten(Reshape, methods=("flatten",), functions=("flatten",)):
    """Axes start_dim..end_dim merged into one (PyTorch's flatten): a reshape.

    forward: `x` with axes `start_dim..end_dim` merged into one
    gradient: `g.reshape(x.shape)`
    """

    @classmethod
    def call(cls, x, start_dim=0, end_dim=-1):
        x = to_tensor(x)
        if x.ndim == 0:
            return cls.apply(x, shape=(1,))
        start = check_axis(cls.name, start_dim, x.ndim) % x.ndim
        end = check_axis(cls.name, end_dim, x.ndim) % x.ndim
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for a tensor of shape {x.shape}; give start_dim <= end_dim")
        return cls.apply(x, shape=x.shape[:start] + (-1,) + x.shape[end + 1:])


class Transpose(Function, methods=("transpose",), functions=("transpose",)):
    """Axes permuted: reversed by default; `t.transpose(0, 1)` swaps two (PyTorch), a
    tuple or `axes=` is a full permutation (NumPy): `t.transpose((0, 1))` keeps a matrix.

    forward: `x.transpose(axes)`
    gradient: `g.transpose(the inverse permutation)`
    """

    @classmethod
    def call(cls, x, *axes, **keywords):
        x = to_tensor(x)
        if "dim0" in keywords or "dim1" in keywords:  # PyTorch's transpose(x, dim0=, dim1=)
            if axes or {"dim0", "dim1"} - set(keywords):
                raise TypeError(f"transpose: give the two axes to swap both as keywords, "
                                f"dim0= and dim1=, or both by position, got {len(axes)} by "
                                f"position and {sorted(keywords)}")
            axes = (keywords.pop("dim0"), keywords.pop("dim1"))
        if set(keywords) - {"axes"}:
            raise TypeError(f"transpose: unknown keyword(s) {sorted(set(keywords) - {'axes'})}; "
                            f"the permutation is axes= (two axes to swap: dim0=, dim1=)")
        if keywords.get("axes") is not None:
            axes = (keywords["axes"],)
        pair = len(axes) == 2  # two ints, not one tuple: PyTorch's transpose(dim0, dim1)
        axes = ints(cls.name, axes) if axes and axes != (None,) else ()
        if pair:  # PyTorch's transpose(dim0, dim1): swap two axes, a matrix's too
            first, second = (check_axis(cls.name, a, x.ndim) % x.ndim for a in axes)
            order = list(range(x.ndim))
            order[first], order[second] = second, first
            axes = tuple(order)
        return cls.apply(x, axes=permutation(cls.name, "axes", axes, x.shape) if axes else None)

    def forward(ctx, x, *, axes=None):
        ctx.axes = axes
        return np.transpose(x, axes)

    def backward(ctx, g):
        return np.transpose(g, None if ctx.axes is None else np.argsort(ctx.axes))


class BroadcastTo(Function, name="broadcast_to", methods=("broadcast_to", "expand"),
                  functions=("broadcast_to",)):
    """The tensor broadcast to a larger shape (NumPy's rule; -1 keeps a size, as PyTorch's
    expand); the gradient is summed back.

    forward: `x` repeated to `shape`
    gradient: `g` summed over the repeated axes
    """

    @classmethod
    def call(cls, x, *shape):
        x = to_tensor(x)
        shape = ints(cls.name, shape)
        lead = len(shape) - x.ndim
        shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n
                      for i, n in enumerate(shape))
        return cls.apply(x, shape=shape)

    def forward(ctx, x, *, shape):
        ctx.in_shape = x.shape
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to "
                             f"{tuple(shape)}") from None

    def backward(ctx, g):
        return unbroadcast(g, ctx.in_shape)


def target_dtype(where: str, args: tuple, dtype: Any = None, device: Any = None) -> Any:
    """The dtype PyTorch's `to(...)` arguments ask for (None: only a device, "cpu"): read
    from `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other)` and the keywords; a
    device other than the CPU refused, as two dtypes are."""
    if len(args) > 2:
        raise TypeError(f"{where}: takes a device and a dtype (or another tensor), got "
                        f"{len(args)} positional arguments")
    for arg in args:
        if is_device(arg):
            device = arg
        elif dtype is None:
            dtype = arg.dtype if hasattr(arg, "_data") else arg  # to(other): its dtype
        else:
            raise TypeError(f"{where}: got two dtypes, {dtype!r} and {arg!r}; give one")
    check_cpu(device, where, "a dtype (np.float32, \"float64\") or the device 'cpu'")
    return None if dtype is None else numeric_dtype(dtype, where)


class To(Function, name="to", elementwise=True, methods=("to",)):
    """The values in another float dtype, in the graph (PyTorch's `x.to(torch.float32)`;
    `x.float()` and `x.double()` are this op). To an integer or boolean dtype it is
    NumPy's `astype`, without gradient, as in PyTorch. PyTorch's forms are read:
    `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(device=, dtype=)`, `to(other)`
    (other's dtype); the device is "cpu" (tinygrad_gd's only one), the dtype NumPy's, its
    name, or PyTorch's (`torch.float32` is NumPy's float32). `non_blocking` is accepted
    (one device: nothing to wait for); `copy=True` gives a copy (`clone`) even where the
    dtype is the same, as PyTorch's.

    forward: `x.astype(dtype)`
    gradient: `g.astype(x.dtype)`
    """

    @classmethod
    def call(cls, x, *args, dtype=None, device=None, non_blocking=False, copy=False):
        x = to_tensor(x)
        check_flag(cls.name, "non_blocking", non_blocking)
        copy = check_flag(cls.name, "copy", copy)
        dtype = target_dtype(cls.name, args, dtype, device)
        if dtype is None or dtype.kind == "f" and dtype == x.dtype:
            # PyTorch's x.to("cpu"): tinygrad_gd's tensors are there already
            return x.clone() if copy else x
        if dtype.kind != "f":
            return x.astype(dtype)  # (logic.py: a new tensor without gradient)
        return cls.apply(x, dtype=dtype)

    def forward(ctx, x, *, dtype):
        return x.astype(dtype)

    def backward(ctx, g):
        return g  # (the engine gives it the input's dtype)


class Clone(Function, elementwise=True, methods=("clone", "copy"), functions=("clone",)):
    """A copy of the values, in the graph (PyTorch's clone, NumPy's copy): the copy's
    gradient is the original's.

    forward: a copy of `x`
    gradient: `g`
    """

    def forward(ctx, x):
        return x.copy()

    def backward(ctx, g):
        return g


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
            return x[_as_view(index)]
        except (IndexError, TypeError) as err:
            raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape "
                             f"{x.shape}: {err}") from None

    def backward(ctx, g):
        full = np.zeros(ctx.in_shape, dtype=g.dtype)
        np.add.at(full, ctx.index, g)  # repeated indices accumulate, as they must
        return full


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
        try:  # the flat position each written value goes to
            positions = np.arange(x.size).reshape(x.shape)[index]
            ctx.value_shape = value.shape  # (NumPy writes a value with extra leading 1s too)
            value = value.reshape(value.shape[max(value.ndim - positions.ndim, 0):])
            values = np.broadcast_to(value, positions.shape).reshape(-1)
        except (IndexError, ValueError, TypeError) as err:
            raise type(err)(f"setitem: cannot write a value of shape {ctx.value_shape} at "
                            f"index {index!r} of a tensor of shape {x.shape}: "
                            f"{str(err).splitlines()[0]}") from None
        ctx.region, ctx.kept = positions.shape, value.shape
        ctx.positions, ctx.last = positions.reshape(-1), _last_of_each(positions.reshape(-1))
        out = np.array(x, order="C")
        out.reshape(-1)[ctx.positions[ctx.last]] = values[ctx.last]
        return out

    def backward(ctx, g):
        g_x = np.array(g, order="C")
        g_x.reshape(-1)[ctx.positions] = 0
        g_value = np.where(ctx.last, g.reshape(-1)[ctx.positions], 0).reshape(ctx.region)
        return g_x, unbroadcast(g_value, ctx.kept).reshape(ctx.value_shape)


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
    index = tuple(map(_kept, index)) if isinstance(index, tuple) else _kept(index)
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
    from the end): `x[..., start:start + length, ...]`.

    forward: `x[start:start + length]` along `dim`
    gradient: zeros of `x`'s shape with `g` in the entries taken
    """

    @classmethod
    def call(cls, x, dim, start, length):
        x = to_tensor(x)
        dim = one_axis(cls.name, dim, x.ndim) % x.ndim
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
        dim = one_axis(cls.name, dim, x.ndim) % x.ndim
        index = _indices(cls.name, index, x, dim)
        if index.ndim != 1:
            raise ValueError(f"index_select: the index must be 1-D, got shape {index.shape}; "
                             f"use take(x, index, axis) for an index of any shape")
        return cls.apply(x, indices=index, axis=dim)


def _indices(op: str, indices, x, axis) -> np.ndarray:
    """Integer indices into `axis` of x (None: the flattened x), each in [-n, n), as an array."""
    indices = array_argument(op, "indices", indices)
    n = x.size if axis is None else x.shape[axis]
    if indices.dtype.kind not in "iu" and indices.size:
        raise TypeError(f"{op}: indices must be integers, got dtype {indices.dtype}; convert "
                        f"with .long() or build them with tg.as_tensor([0, 2])")
    if indices.size and not (-n <= indices.min() and indices.max() < n):
        raise IndexError(f"{op}: indices from {indices.min()} to {indices.max()} do not fit "
                         f"{'the ' + str(n) + ' entries' if axis is None else f'axis {axis}'} "
                         f"of a tensor of shape {x.shape} (each must be in [-{n}, {n}))")
    return indices.astype(np.intp, copy=False)


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
    return np.array(part) if isinstance(part, (np.ndarray, list)) else part


class _Join(Function, register=False):
    """What concatenate and stack share: a sequence of tensors and an axis (or dim)."""

    @classmethod
    def call(cls, tensors, axis=None, *, dim=None):
        tensors = tensor_sequence(cls.name, tensors)
        first = to_tensor(next((t for t in tensors if hasattr(t, "_data")), tensors[0]))
        ndim = first.ndim + (cls is Stack)
        axis = one_axis(cls.name, either(cls.name, "axis", axis, "dim", dim, 0), ndim)
        return cls.apply(*tensors, axis=axis)


def _joined(xs: tuple) -> list:
    """The inputs of a join in one dtype: the elementwise ops' promotion (same_dtype,
    PyTorch's: a float beside an integer or bool keeps its dtype, float32 + int64 is
    float32), not NumPy's, which would widen to float64. Gradients return in each input's."""
    dtype = xs[0].dtype
    for x in xs[1:]:
        if x.dtype != dtype:
            dtype = np.result_type(*same_dtype(np.empty(0, dtype), np.empty(0, x.dtype)))
    return [x.astype(dtype, copy=False) for x in xs]


class Concatenate(_Join, functions=("concatenate", "cat")):
    """Tensors joined along an existing axis (NumPy's concatenate, PyTorch's cat).

    forward: inputs joined along `axis`
    gradient: `g` cut back into the inputs' pieces
    """

    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(_joined(xs), axis=axis)

    def backward(ctx, g):
        return tuple(np.split(g, ctx.splits, axis=ctx.axis))


class Stack(_Join, functions=("stack",)):
    """Tensors of one shape joined along a new axis (NumPy's stack).

    forward: inputs stacked along a new `axis`
    gradient: slice `i` of `g` along `axis` for input `i`
    """

    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return np.stack(_joined(xs), axis=axis)

    def backward(ctx, g):
        return tuple(np.moveaxis(g, ctx.axis, 0))

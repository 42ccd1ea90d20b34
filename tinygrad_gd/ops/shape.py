"""Shape ops: the same values moved or copied (reshape, transpose, broadcast_to, to,
clone, concatenate, stack; picking values out by index: indexing.py).

Their backward moves the gradient back where each value came from: reshape it back,
transpose it back, sum the copies a broadcast made, split a concatenation's. Each is a
linear map, so its `backward_graph` is the same move in Tensor ops (higher_order.py).
A view or copy of a tensor with no entries has PyTorch's strides, where NumPy's are all 0
(memory.restrided).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine import Function, unbroadcast
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..memory import expanded_strides, pytorch_strides, reshaped, restrided
from ..memory_formats import check_memory_format, copied, copy_strides, kept_by_to, \
    laid_out, preserve_format
from ..tensor import Tensor
from ..values import check_cpu, is_device, numeric_dtype
from .arguments import (to_tensor, check_axis, either, ints, one_axis,
                        permutation, same_dtype, tensor_sequence)


class Reshape(Function, methods=("reshape",), functions=("reshape",)):
    """The same values in a new shape: `t.reshape(2, 3)` or `t.reshape((2, 3))`, -1 inferred
    (`t.view(...)`, PyTorch's, is the same op, refused where the values need a copy).

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
            out = x.reshape(shape)
        except ValueError:
            raise ShapeError(f"{ctx.name}: cannot reshape a tensor of shape {x.shape} "
                             f"({x.size} elements) into shape {tuple(shape)}") from None
        return out if x.size else reshaped(x, out)  # (no entries: PyTorch's, NumPy's are 0s)

    def backward(ctx, g):
        return g.reshape(ctx.in_shape)

    def backward_graph(ctx, out, g):
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
        merged = math.prod(x.shape[start:end + 1])  # (not -1: an empty tensor leaves it open)
        return cls.apply(x, shape=x.shape[:start] + (merged,) + x.shape[end + 1:])


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
        if pair and not x.ndim:  # (PyTorch gives a 0-d tensor one axis, 0 or -1)
            for a in axes:
                check_axis(cls.name, a, 0, scalar_axis=True)
            return cls.apply(x, axes=None)
        if pair:  # PyTorch's transpose(dim0, dim1): swap two axes, a matrix's too
            first, second = (check_axis(cls.name, a, x.ndim) % x.ndim for a in axes)
            order = list(range(x.ndim))
            order[first], order[second] = second, first
            axes = tuple(order)
        return cls.apply(x, axes=permutation(cls.name, "axes", axes, x.shape) if axes else None)

    def forward(ctx, x, *, axes=None):
        ctx.axes = axes
        if x.size:
            return np.transpose(x, axes)
        steps = pytorch_strides(x)  # (NumPy's of an empty array are 0s: PyTorch's permuted)
        return restrided(np.transpose(x, axes), tuple(
            steps[a] for a in (range(x.ndim)[::-1] if axes is None else axes)))

    def backward(ctx, g):
        return np.transpose(g, None if ctx.axes is None else np.argsort(ctx.axes))

    def backward_graph(ctx, out, g):
        return g.transpose(*(() if ctx.axes is None else (tuple(np.argsort(ctx.axes)),)))


def _not_broadcast(have: tuple[int, ...], sizes: tuple[int, ...]) -> str:
    """Why broadcast_to (expand) cannot make the `sizes` the user gave (-1s as given) of a
    tensor of shape `have`: a size below -1, too few sizes, a -1 (keep the size) for a new
    leading dimension, or a dimension whose size is neither the tensor's there nor 1 in the
    tensor, numbered in `sizes` as PyTorch's, with what to do."""
    start = f"broadcast_to: cannot broadcast shape {have} to {sizes}"
    lead = len(sizes) - len(have)
    negative = next((i for i, n in enumerate(sizes) if n < -1), None)
    if negative is not None:
        return (f"{start}: size {sizes[negative]} at dimension {negative} is negative; give "
                f"sizes >= 0, or -1 to keep the tensor's size")
    if lead < 0:
        axes = "1 axis" if len(have) == 1 else f"{len(have)} axes"
        given = f"{len(sizes)} size was" if len(sizes) == 1 else f"{len(sizes)} sizes were"
        return (f"{start}: the tensor has {axes} but {given} given; give a size for each "
                f"axis (-1 keeps one) and any new ones before them")
    if -1 in sizes[:lead]:
        return (f"{start}: -1 keeps an axis's size, but dimension {sizes.index(-1)} is a new "
                f"leading one, which has none; give its size")
    for axis, n in enumerate(have):
        want = sizes[lead + axis]
        if n != 1 and want not in (-1, n):
            return (f"{start}: dimension {lead + axis} asks for size {want}, but the tensor's "
                    f"size there is {n}, not 1; only an axis of size 1 is repeated (repeat() "
                    f"tiles one)")
    return start


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
        given = ints(cls.name, shape)
        lead = len(given) - x.ndim
        shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n
                      for i, n in enumerate(given))
        try:
            return cls.apply(x, shape=shape)
        except ShapeError:  # (said of the sizes given, not of those -1 was filled in by)
            raise ShapeError(_not_broadcast(x.shape, given)) from None

    def forward(ctx, x, *, shape):
        ctx.in_shape = x.shape
        if len(shape) >= x.ndim and tuple(shape[len(shape) - x.ndim:]) == x.shape and all(
                n == 1 for n in shape[:len(shape) - x.ndim]):  # (nothing repeats: a view a
            out = x.reshape(shape)  # write goes through, as PyTorch's; NumPy's is read-only)
        else:
            try:
                out = np.broadcast_to(x, shape)
            except ValueError:
                raise ShapeError(_not_broadcast(x.shape, tuple(shape))) from None
        if out.size:
            return out
        steps = expanded_strides(x.shape, pytorch_strides(x), out.shape)  # (NumPy's: 0s)
        return restrided(out, steps)

    def backward(ctx, g):
        return unbroadcast(g, ctx.in_shape)

    def backward_graph(ctx, out, g):
        return g  # (the engine sums a broadcast input's gradient back, as recorded sums)


def target_dtype(where: str, args: tuple, dtype: Any = None, device: Any = None) -> Any:
    """The dtype PyTorch's `to(...)` arguments ask for (None: only a device, "cpu"): read
    from `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other)` and the keywords; a
    device other than the CPU refused, as two dtypes are."""
    if len(args) > 2:
        raise TypeError(f"{where}: takes a device and a dtype (or another tensor), got "
                        f"{len(args)} positional arguments")
    for arg in args:
        if is_device(arg) or isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
            # (an int: PyTorch's cuda:N; a bool, after a dtype: positional_flags' non_blocking)
            device = arg
        elif dtype is None:
            dtype = arg.dtype if hasattr(arg, "_data") else arg  # to(other): its dtype
        else:
            raise TypeError(f"{where}: got two dtypes, {_shown_dtype(dtype)} and "
                            f"{_shown_dtype(arg)}; give one")
    check_cpu(device, where, "a dtype (np.float32, \"float64\") or the device 'cpu'")
    return None if dtype is None else numeric_dtype(dtype, where)


def _shown_dtype(dtype: Any) -> str:
    """A dtype as a user reads it: float32, not <class 'numpy.float32'>."""
    try:
        return str(numeric_dtype(dtype, ""))
    except (TypeError, ValueError):  # (NumPy's ValueError: a malformed dtype tuple)
        return repr(dtype)


def positional_flags(where: str, args: tuple, non_blocking: Any, copy: Any) -> tuple:
    """(args, non_blocking, copy) of PyTorch's `to(dtype, non_blocking, copy)`: up to two
    bools after the dtype, device or other tensor are those flags, in that order; a flag
    given both ways refused."""
    first = next((k for k, arg in enumerate(args) if isinstance(arg, (bool, np.bool_))),
                 len(args))
    flags = args[first:]
    if not first or len(flags) > 2 or not all(isinstance(f, (bool, np.bool_)) for f in flags):
        return args, non_blocking, copy  # (as given: target_dtype names what is wrong)
    given = {"non_blocking": non_blocking, "copy": copy}
    for name, flag in zip(given, flags):
        if given[name] is not False:
            raise TypeError(f"{where}: got {name} both by position and as {name}=; give it once")
        given[name] = flag
    return args[:first], given["non_blocking"], given["copy"]


class To(Function, name="to", elementwise=True, methods=("to",)):
    """The values in another float dtype, in the graph (PyTorch's `x.to(torch.float32)`;
    `x.float()` and `x.double()` are this op). To an integer or boolean dtype it is
    NumPy's `astype`, without gradient, as in PyTorch. PyTorch's forms are read:
    `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(device=, dtype=)`, `to(other)`
    (other's dtype); the device is "cpu" (tinygrad_gd's only one), the dtype NumPy's, its
    name, or PyTorch's (`torch.float32` is NumPy's float32). `non_blocking` is accepted
    (one device: nothing to wait for); `copy=True` gives a copy (`clone`) even where the
    dtype is the same; both may be given by position (`to(dtype, False, True)`), and
    `memory_format=` lays a copy out in that format (memory_formats.py: x's own layout by
    default), all as PyTorch's: x itself where the dtype is x's and the format is
    preserve_format or the one x's strides suggest (`x.T.to(memory_format=
    tg.contiguous_format)` of a matrix is x.T); a copy to a float dtype is in the graph,
    its gradient in x's layout.

    forward: `x.astype(dtype)`, laid out in `memory_format`
    gradient: `g.astype(x.dtype)`, in x's layout
    """

    @classmethod
    def call(cls, x, *args, dtype=None, device=None, non_blocking=False, copy=False,
             memory_format=None):
        x = to_tensor(x)
        args, non_blocking, copy = positional_flags(cls.name, args, non_blocking, copy)
        check_flag(cls.name, "non_blocking", non_blocking)
        copy = check_flag(cls.name, "copy", copy)
        fmt = check_memory_format(cls.name, memory_format, x.ndim)
        dtype = target_dtype(cls.name, args, dtype, device)
        if dtype is None or dtype == x.dtype:  # (PyTorch's x.to("cpu"): it is there already)
            return x if not copy and kept_by_to(x._data, fmt) else x.clone(memory_format=fmt)
        if dtype.kind != "f":  # (a new tensor without gradient)
            return Tensor.from_op(_copied(cls.name, x._data, fmt, dtype), None)
        return cls.apply(x, dtype=dtype, **({} if fmt is preserve_format else {
            "memory_format": fmt}))

    def forward(ctx, x, *, dtype, memory_format=preserve_format):
        ctx.layout = None if memory_format is preserve_format else copy_strides(
            "to", x, preserve_format)  # (the gradient's, in x's layout)
        return _copied("to", x, memory_format, dtype)

    def backward(ctx, g):  # (the engine gives it the input's dtype)
        return g if ctx.layout is None else laid_out(g, ctx.layout)

    def backward_graph(ctx, out, g):
        return g


def _copied(where: str, x: np.ndarray, fmt: Any, dtype: Any = None) -> np.ndarray:
    """memory_formats.copied's copy of x; an empty x's in x's strides as PyTorch's (it
    counts as dense there), which NumPy's copy of no entries has not (0s)."""
    out = copied(where, x, fmt, dtype)
    return out if x.size or fmt is not preserve_format else restrided(out, pytorch_strides(x))


class Clone(Function, elementwise=True, methods=("clone", "copy"), functions=("clone",)):
    """A copy of the values, in the graph (PyTorch's clone, NumPy's copy): the copy's
    gradient is the original's, in its layout. The copy is laid out as PyTorch's, in
    `memory_format=` (memory_formats.py): x's own layout by default (`x.T.clone().stride()
    == x.T.stride()`), `tg.contiguous_format` row by row, `tg.channels_last` NHWC.

    forward: a copy of `x`, laid out in `memory_format`
    gradient: `g`, in x's layout
    """

    @classmethod
    def call(cls, x, *, memory_format=None):
        fmt = check_memory_format(cls.name, memory_format, getattr(x, "ndim", None))
        return cls.apply(x) if fmt is preserve_format else cls.apply(x, memory_format=fmt)

    def forward(ctx, x, *, memory_format=preserve_format):
        ctx.layout = None if memory_format is preserve_format else copy_strides(
            "clone", x, preserve_format)  # (the gradient's, in x's layout)
        return _copied("clone", x, memory_format)

    def backward(ctx, g):
        return g if ctx.layout is None else laid_out(g, ctx.layout)

    def backward_graph(ctx, out, g):
        return g


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


def _check_fit(name: str, xs: tuple, axis: int | None) -> None:
    """The inputs of a join fit: one shape for stack (`axis` None), else as many axes and
    equal sizes on every axis but `axis`; refused in one line naming the shapes."""
    first = xs[0].shape
    for k, x in enumerate(xs[1:], 1):
        if axis is None and x.shape != first:
            raise ShapeError(f"{name}: tensor {k} has shape {x.shape}, tensor 0 {first}; "
                             f"stacked tensors must have one shape (concatenate joins "
                             f"tensors along an axis they have)")
        if axis is not None and (x.ndim != len(first) or any(
                a != b for i, (a, b) in enumerate(zip(x.shape, first)) if i != axis)):
            raise ShapeError(f"{name}: tensor {k} of shape {x.shape} does not fit tensor 0 of "
                             f"shape {first}: they must have as many axes and the same sizes "
                             f"on every axis but axis {axis}, the one joined; reshape or "
                             f"unsqueeze one first")


class Concatenate(_Join, functions=("concatenate", "cat")):
    """Tensors joined along an existing axis (NumPy's concatenate, PyTorch's cat).

    forward: inputs joined along `axis`
    gradient: `g` cut back into the inputs' pieces
    """

    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        _check_fit(ctx.name, xs, axis % max(xs[0].ndim, 1))
        ctx.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(_joined(xs), axis=axis)

    def backward(ctx, g):
        return tuple(np.split(g, ctx.splits, axis=ctx.axis))

    def backward_graph(ctx, out, g):
        axis, bounds = ctx.axis % g.ndim, [0, *ctx.splits, g.shape[ctx.axis]]
        return tuple(g[(slice(None),) * axis + (slice(a, b),)] for a, b in zip(bounds, bounds[1:]))


class Stack(_Join, functions=("stack",)):
    """Tensors of one shape joined along a new axis (NumPy's stack).

    forward: inputs stacked along a new `axis`
    gradient: slice `i` of `g` along `axis` for input `i`
    """

    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        _check_fit(ctx.name, xs, None)
        return np.stack(_joined(xs), axis=axis)

    def backward(ctx, g):
        return tuple(np.moveaxis(g, ctx.axis, 0))

    def backward_graph(ctx, out, g):
        axis = ctx.axis % g.ndim
        return tuple(g[(slice(None),) * axis + (i,)] for i in range(g.shape[axis]))

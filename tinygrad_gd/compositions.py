"""Functions PyTorch and NumPy have as one name that are several registered ops here.

Each is made of ops in the graph, so its gradient comes from `backward()` and its
diagram shows those ops. Joins: `hstack`, `vstack`, `dstack`, `column_stack`
(reshape and concatenate, PyTorch's and NumPy's rules for 0-d and 1-d inputs); layout:
`fliplr`, `flipud`, `rot90` (flip, swapaxes), `swapdims` (PyTorch's swapaxes),
`unflatten` and `view` (reshape), `tensor_split` and `masked_select` (getitem), `take_along_dim`
(broadcast_to, take_along_axis); arithmetic: `addcmul`, `addcdiv`, `cross`, `kron`,
`dist`, `cdist`. `tg.any`, `tg.all`, `tg.amax`, `tg.amin` and `tg.diagonal` call the
methods of those names. The reductions made of ops (`median`, `kthvalue`, `nansum`,
`cummax`, ...) are in `composed_reductions.py`, and are `tg.` functions from here too.
Each name that PyTorch's Tensor has as a method is also a method here (`x.fliplr()`,
`x.median(dim=0)`, `x.nansum()`). A diagram draws the joins, `take_along_dim` and the
arithmetic ones as the call written (`addcmul()` around mul and add:
`scope.drawn_as_call`); one op of a kindred name (fliplr's flip) is drawn as that op.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from . import composed_reductions, functional
from .composed_reductions import (aminmax, axis_slice, cummax, cummin, kthvalue, logcumsumexp,
                                  median, nanmean, nanmedian, nansum, std_mean, var_mean,
                                  vector_norm)
from .errors import ShapeError
from .in_place_recorded import a_view
from .memory_formats import pytorchs_layout
from .op_errors import refusing_as, spell
from .ops.arguments import (batch_axes, broadcast, either, ints, number, one_axis,
                            tensor_sequence)
from .ops.indexing import not_negative
from .ops.reductions import keep_flag
from .ops.shape import Reshape
from .scope import drawn_as_call
from .tensor import Tensor, to_tensor

__all__ = ["hstack", "vstack", "dstack", "column_stack", "fliplr", "flipud", "swapdims",
           "unflatten", "any", "all", "amax", "amin", "diagonal", "tensor_split",
           "take_along_dim", "masked_select", "addcmul", "addcdiv", "cross", "kron", "rot90",
           "dist", "cdist", "median", "nanmedian", "kthvalue", "nansum", "nanmean", "aminmax",
           "std_mean", "var_mean", "logcumsumexp", "cummax", "cummin"]


def _tensors(name: str, tensors: Any) -> list[Tensor]:
    """A join's list or tuple of tensors (`tensor_sequence`'s rule, cat's), as tensors."""
    return [to_tensor(t) for t in tensor_sequence(name, tensors)]


def _at_least(x: Tensor, ndim: int, where: tuple[int, ...]) -> Tensor:
    """x with axes of length 1 added to reach `ndim` axes: `where[x.ndim]` is the position
    of x's own axes (NumPy's atleast_2d puts a vector in a row, atleast_3d in the middle)."""
    if x.ndim >= ndim:
        return x
    start = where[x.ndim]
    return x.reshape((1,) * start + x.shape + (1,) * (ndim - x.ndim - start))


def _joined(name: str, pieces: list[Tensor], axis: int) -> Tensor:
    """The pieces concatenated along `axis`, their shapes checked first (the error names
    `name` and the pieces' shapes as the join made them)."""
    first = pieces[0].shape
    for k, piece in enumerate(pieces[1:], 1):
        if piece.ndim != len(first) or builtins.any(
                a != b for d, (a, b) in enumerate(zip(first, piece.shape)) if d != axis):
            raise ShapeError(f"{name}: tensor {k} (as shape {piece.shape}) does not fit tensor "
                             f"0 (as shape {first}): they must match on every axis but axis "
                             f"{axis}")
    return functional.concatenate(pieces, axis=axis)


@drawn_as_call("hstack()")
def hstack(tensors: Any) -> Tensor:
    """The tensors joined along axis 1, or along axis 0 when they are 1-d (a 0-d one counts
    as 1-d): NumPy's and PyTorch's hstack, the ops reshape and concatenate."""
    pieces = [_at_least(x, 1, (0,)) for x in _tensors("hstack", tensors)]
    return _joined("hstack", pieces, 0 if pieces[0].ndim == 1 else 1)


@drawn_as_call("vstack()")
def vstack(tensors: Any) -> Tensor:
    """The tensors joined along axis 0, a 1-d one of length n as a row (1, n): NumPy's and
    PyTorch's vstack, the ops reshape and concatenate."""
    return _joined("vstack", [_at_least(x, 2, (0, 1)) for x in _tensors("vstack", tensors)], 0)


@drawn_as_call("dstack()")
def dstack(tensors: Any) -> Tensor:
    """The tensors joined along axis 2 (depth), a 1-d one of length n as (1, n, 1) and a
    matrix (m, n) as (m, n, 1): NumPy's and PyTorch's dstack, reshape and concatenate."""
    pieces = [_at_least(x, 3, (0, 1, 0)) for x in _tensors("dstack", tensors)]
    return _joined("dstack", pieces, 2)


@drawn_as_call("column_stack()")
def column_stack(tensors: Any) -> Tensor:
    """The tensors joined along axis 1, a 1-d (or 0-d) one as a column (n, 1): NumPy's
    and PyTorch's column_stack, the ops reshape and concatenate."""
    pieces = [x.reshape(-1, 1) if x.ndim <= 1 else x
              for x in _tensors("column_stack", tensors)]
    return _joined("column_stack", pieces, 1)


def fliplr(input: Any) -> Tensor:  # noqa: A002  (PyTorch's name)
    """The entries reversed along axis 1, left to right (NumPy's and PyTorch's fliplr): the
    op `flip`. Needs 2 axes or more."""
    x = to_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"fliplr: needs a tensor of at least 2 axes, got shape {x.shape}; "
                         f"use x.flip(0) for a vector")
    return x.flip(1)


def flipud(input: Any) -> Tensor:  # noqa: A002
    """The entries reversed along axis 0, up to down (NumPy's and PyTorch's flipud): the op
    `flip`. Needs 1 axis or more."""
    x = to_tensor(input)
    if x.ndim < 1:
        raise ValueError("flipud: needs a tensor of at least 1 axis, got a 0-d tensor")
    return x.flip(0)


@refusing_as("swapdims", "swapaxes")
def swapdims(input: Any, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """Two axes exchanged (PyTorch's swapdims, its other name of swapaxes): the op
    `swapaxes`."""
    return functional.swapaxes(input, dim0, dim1)


def unflatten(input: Any, dim: int, sizes: Any) -> Tensor:  # noqa: A002
    """Axis `dim` split into axes of `sizes` (one of them may be -1, inferred), PyTorch's
    unflatten: the op `reshape`."""
    x = to_tensor(input)
    axis = one_axis("unflatten", dim, x.ndim) % x.ndim
    sizes = ints("unflatten", (sizes,))
    n, known = x.shape[axis], math.prod(s for s in sizes if s != -1)
    if not sizes or sizes.count(-1) > 1 or builtins.any(s < -1 for s in sizes):
        raise ValueError(f"unflatten: sizes must be a non-empty tuple of sizes >= 0 with at "
                         f"most one -1, got {sizes}")
    if -1 in sizes and known and n % known == 0:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != n:
        raise ShapeError(f"unflatten: sizes {sizes} do not multiply up to {n}, the length of "
                         f"axis {axis} of a tensor of shape {x.shape}")
    return x.reshape(x.shape[:axis] + sizes + x.shape[axis + 1:])


def any(input: Any, axis: Any = None, keepdims: Any = None, *,  # noqa: A001,A002
        dim: Any = None, keepdim: Any = None) -> Tensor:
    """True where some entry along `axis` (or dim; all axes by default) is non-zero, a mask
    without gradient (NumPy's and PyTorch's any; `x.any()` is the method)."""
    keep = keep_flag("any", keepdims, keepdim)
    return to_tensor(input).any(axis, keep, dim=dim)


def all(input: Any, axis: Any = None, keepdims: Any = None, *,  # noqa: A001,A002
        dim: Any = None, keepdim: Any = None) -> Tensor:
    """True where every entry along `axis` (or dim; all axes by default) is non-zero, a
    mask without gradient (NumPy's and PyTorch's all; `x.all()` is the method)."""
    keep = keep_flag("all", keepdims, keepdim)
    return to_tensor(input).all(axis, keep, dim=dim)


def amax(input: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,  # noqa: A002
         keepdims: Any = None) -> Tensor:
    """The maxima over `dim` (or axis; all axes by default), the values only, tied maxima
    sharing the gradient (PyTorch's and NumPy's amax): the op `max`."""
    return to_tensor(input).amax(dim, keepdim, axis=axis, keepdims=keepdims)


def amin(input: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,  # noqa: A002
         keepdims: Any = None) -> Tensor:
    """The minima over `dim` (or axis; all axes by default), the values only, tied minima
    sharing the gradient (PyTorch's and NumPy's amin): the op `min`."""
    return to_tensor(input).amin(dim, keepdim, axis=axis, keepdims=keepdims)


def diagonal(input: Any, offset: int = 0, dim1: Any = None, dim2: Any = None, *,  # noqa: A002
             axis1: Any = None, axis2: Any = None) -> Tensor:
    """The diagonal `offset` of the matrices over two axes (PyTorch's dim1=/dim2=, NumPy's
    axis1=/axis2=), as a last axis: the op `diagonal`, as `x.diagonal()` (a view)."""
    first = either("diagonal", "axis1", axis1, "dim1", dim1, 0)
    second = either("diagonal", "axis2", axis2, "dim2", dim2, 1)
    return to_tensor(input).diagonal(offset, first, second)


def tensor_split(input: Any, indices_or_sections: Any, dim: Any = None, *,  # noqa: A002
                 axis: Any = None) -> tuple[Tensor, ...]:
    """x cut along `dim` (default 0) into `indices_or_sections` pieces (an int: the first
    n % sections one longer) or at the given indices (Python's slicing: x[:i], x[i:j], ...):
    PyTorch's tensor_split, NumPy's array_split. Each piece is the op `getitem`."""
    x = to_tensor(input)
    if x.ndim == 0:
        raise ValueError("tensor_split: a 0-d tensor has no axis to split; give a tensor of "
                         "1 axis or more")
    axis = one_axis("tensor_split", either("tensor_split", "axis", axis, "dim", dim, 0),
                    x.ndim) % x.ndim
    cuts = getattr(indices_or_sections, "_data", indices_or_sections)
    if isinstance(cuts, np.ndarray) and cuts.ndim == 0:  # a 0-d tensor: its number
        cuts = cuts.item()
    if np.ndim(cuts) == 0:
        (sections,) = ints("tensor_split", (cuts,))
        if sections <= 0:
            raise ValueError(f"tensor_split: the number of sections must be > 0, got {sections}")
        size, longer = divmod(x.shape[axis], sections)
        ends = np.cumsum([size + (k < longer) for k in range(sections)])
        return tuple(axis_slice(x, axis, int(end - size - (k < longer)), int(end))
                     for k, end in enumerate(ends))
    if np.ndim(cuts) != 1:
        raise ValueError(f"tensor_split: indices must be a 1-d list of ints, got shape "
                         f"{np.shape(cuts)}")
    cuts = ints("tensor_split", (list(np.asarray(cuts).tolist()),))
    bounds = (0,) + cuts + (None,)
    return tuple(axis_slice(x, axis, start, stop) for start, stop in zip(bounds, bounds[1:]))


@drawn_as_call("take_along_dim()")
def take_along_dim(input: Any, indices: Any, dim: Any = None) -> Tensor:  # noqa: A002
    """Entries picked along `dim` by integer `indices`, x and the indices broadcast on the
    other axes (PyTorch's take_along_dim; dim=None: both flattened): the ops broadcast_to
    and take_along_axis."""
    x, index = to_tensor(input), np.asarray(getattr(indices, "_data", indices))
    if index.dtype.kind not in "iu":
        raise TypeError(f"take_along_dim: indices must be integers, got dtype {index.dtype}; "
                        f"convert with .long()")
    axis = None if dim is None else one_axis("take_along_dim", dim, x.ndim) % x.ndim
    n = x.size if axis is None else x.shape[axis]
    if index.size and not (-n <= index.min() and index.max() < n):
        raise IndexError(f"take_along_dim: indices from {index.min()} to {index.max()} do not "
                         f"fit {'the ' + str(n) + ' entries' if axis is None else f'axis {axis}'}"
                         f" of a tensor of shape {x.shape} (each must be in "
                         f"[{0 if axis is None else -n}, {n}))")  # (no dim: none negative)
    if axis is None:
        not_negative("take_along_dim", index, "the flattened input (no dim given)", n)
        return functional.take_along_axis(x.reshape(-1), index.reshape(-1), axis=0)
    if index.ndim != x.ndim:
        raise ShapeError(f"take_along_dim: the indices have {index.ndim} axes but x has "
                         f"{x.ndim} (shape {x.shape}); give them as many")
    others = [(a, b) for k, (a, b) in enumerate(zip(x.shape, index.shape)) if k != axis]
    if builtins.any(a != b and 1 not in (a, b) for a, b in others):
        raise ShapeError(f"take_along_dim: x of shape {x.shape} and indices of shape "
                         f"{index.shape} do not broadcast together on the axes other than "
                         f"{axis} (each pair of sizes must be equal or one of them 1)")
    shape = [builtins.max(a, b) if a != 1 and b != 1 else a * b for a, b in others]
    shape.insert(axis, -1)
    x_shape, index_shape = list(shape), list(shape)
    x_shape[axis], index_shape[axis] = x.shape[axis], index.shape[axis]
    if tuple(x_shape) != x.shape:
        x = x.broadcast_to(tuple(x_shape))
    return functional.take_along_axis(x, np.broadcast_to(index, index_shape), axis=axis)


def masked_select(input: Any, mask: Any) -> Tensor:  # noqa: A002
    """The entries where the boolean `mask` holds, in a 1-d tensor, x and the mask broadcast
    together (PyTorch's masked_select): the ops broadcast_to and getitem."""
    x, mask = to_tensor(input), np.asarray(getattr(mask, "_data", mask))
    if mask.dtype != bool:
        raise TypeError(f"masked_select: the mask must be boolean (a comparison such as "
                        f"x > 0), got dtype {mask.dtype}")
    broadcast("masked_select", x, mask)
    shape = np.broadcast_shapes(x.shape, mask.shape)
    if x.shape != shape:
        x = x.broadcast_to(shape)
    return x[np.broadcast_to(mask, shape)]


@drawn_as_call("addcmul()")
@refusing_as("addcmul", "mul", "add")
def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 * tensor2, broadcast (PyTorch's addcmul): the ops mul and
    add."""
    value = number("addcmul", "value", value)
    broadcast("addcmul", input, tensor1, tensor2)
    product = functional.mul(tensor1, tensor2)
    return functional.add(input, product if value == 1 else value * product)


@drawn_as_call("addcdiv()")
@refusing_as("addcdiv", "div", "mul", "add")
def addcdiv(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 / tensor2, broadcast (PyTorch's addcdiv): the ops div, mul
    and add."""
    value = number("addcdiv", "value", value)
    broadcast("addcdiv", input, tensor1, tensor2)
    ratio = functional.div(tensor1, tensor2)
    return functional.add(input, ratio if value == 1 else value * ratio)


@drawn_as_call("cross()")
def cross(input: Any, other: Any, dim: Any = None, *, axis: Any = None) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim`, broadcast (PyTorch's cross; ops getitem,
    mul, sub, stack). Without dim, torch.cross's rule: the first axis of length 3
    (torch.linalg.cross and NumPy take the last); where that differs from the last axis
    of length 3, dim must be given rather than guessed."""
    a, b = to_tensor(input), to_tensor(other)
    broadcast("cross", a, b)
    shape = np.broadcast_shapes(a.shape, b.shape)
    dim = either("cross", "axis", axis, "dim", dim)
    if dim is None:
        threes = [k for k, n in enumerate(shape) if n == 3]
        if len(threes) > 1 and threes[0] != len(shape) - 1:
            raise ValueError(f"cross: several axes of shape {shape} have length 3; give dim= "
                             f"(torch.cross takes the first, torch.linalg.cross and NumPy the "
                             f"last)")
        dim = threes[0] if threes else -1
    axis = one_axis("cross", dim, len(shape)) % len(shape)
    # each has the axis, of length 3 (a length 1 broadcast along it is no vector: refused,
    # as PyTorch's and NumPy's refuse it)
    for t in (a, b):
        if t.ndim < len(shape) - axis or t.shape[axis - len(shape)] != 3:
            raise ValueError(f"cross: axis {axis} must have length 3 in both, got shapes "
                             f"{a.shape} and {b.shape}")
    a, b = (t if t.shape == shape else t.broadcast_to(shape) for t in (a, b))
    x0, x1, x2 = (a[(slice(None),) * axis + (k,)] for k in range(3))
    y0, y1, y2 = (b[(slice(None),) * axis + (k,)] for k in range(3))
    return functional.stack([x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0],
                            axis=axis)


@drawn_as_call("kron()")
def kron(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The Kronecker product: each entry of input times the whole of other, the blocks laid
    out as input's entries are (NumPy's and PyTorch's kron): reshape, mul and reshape."""
    a, b = to_tensor(input), to_tensor(other)
    n = builtins.max(a.ndim, b.ndim)
    a_shape, b_shape = (1,) * (n - a.ndim) + a.shape, (1,) * (n - b.ndim) + b.shape
    spread_a = a.reshape(tuple(s for m in a_shape for s in (m, 1)))
    spread_b = b.reshape(tuple(s for m in b_shape for s in (1, m)))
    return (spread_a * spread_b).reshape(tuple(p * q for p, q in zip(a_shape, b_shape)))


@drawn_as_call("rot90()")
def rot90(input: Any, k: int = 1, dims: Any = None, *, axes: Any = None) -> Tensor:  # noqa: A002
    """x turned by 90 degrees k times, from axis dims[0] towards dims[1] (PyTorch's dims=,
    NumPy's axes=; default (0, 1)): the ops flip and swapaxes."""
    x = to_tensor(input)
    (k,) = ints("rot90", (k,))
    pair = ints("rot90", (either("rot90", "axes", axes, "dims", dims, (0, 1)),))
    if len(pair) != 2:
        raise ValueError(f"rot90: dims must be two axes, got {pair}")
    if x.ndim < 2:
        raise ValueError(f"rot90: needs a tensor of at least 2 axes, got shape {x.shape}")
    first, second = (one_axis("rot90", d, x.ndim) % x.ndim for d in pair)
    if first == second:
        raise ValueError(f"rot90: dims {pair} name one axis twice; give two different axes")
    k %= 4
    if k == 1:
        return x.flip(second).swapaxes(first, second)
    if k == 2:
        return x.flip((first, second))
    if k == 3:
        return x.flip(first).swapaxes(first, second)
    return x.clone()


@drawn_as_call("dist()")
@refusing_as("dist", "sub")
def dist(input: Any, other: Any, p: Any = 2) -> Tensor:  # noqa: A002
    """The p-norm of input - other, broadcast, over every entry (PyTorch's dist): sub, then
    `vector_norm` (p=2 the op norm; the gradient at 0 is 0, as PyTorch's)."""
    p = number("dist", "p", p)
    broadcast("dist", input, other)
    return vector_norm(functional.sub(input, other), p, op="dist")


# torch.cdist's compute_mode values: its matrix-product shortcut for p=2 or not
_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                  "donot_use_mm_for_euclid_dist")


@drawn_as_call("cdist()")
def cdist(x1: Any, x2: Any, p: Any = 2.0, compute_mode: Any = None) -> Tensor:
    """The p-norm distance between each row of x1 (P, M) and each row of x2 (R, M), a
    (P, R) tensor, batch axes broadcast in front (PyTorch's cdist): sub, then
    `vector_norm` over the last axis (all 0 with no features, M = 0, for every p). Always
    exact: compute_mode takes PyTorch's three values, but none switches to its faster,
    less exact matrix-product shortcut."""
    p = number("cdist", "p", p, low=0)
    if compute_mode is not None and (not isinstance(compute_mode, str)
                                     or compute_mode not in _COMPUTE_MODES):
        raise ValueError(f"cdist: compute_mode must be None or one of {', '.join(_COMPUTE_MODES)}"
                         f" (all computed exactly here), got {compute_mode!r:.40}")
    a, b = to_tensor(x1), to_tensor(x2)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"cdist: x1 and x2 need at least 2 axes (rows, features), got shapes "
                         f"{a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"cdist: x1 and x2 must have as many columns, got shapes {a.shape} "
                         f"and {b.shape}")
    batch_axes("cdist", "x1", a.shape, "x2", b.shape)
    diff = a.reshape(a.shape[:-1] + (1, a.shape[-1])) - b.reshape(
        b.shape[:-2] + (1,) + b.shape[-2:])
    if not a.shape[-1]:  # no features: every distance 0, as PyTorch's (also p=inf)
        return vector_norm(diff, 1.0, -1, op="cdist")
    return vector_norm(diff, p, -1, op="cdist")


@refusing_as("view", "reshape")
def view(input: Any, *shape: Any) -> Tensor:  # noqa: A002
    """x in a new shape sharing its values (PyTorch's `x.view(2, 3)`): the op `reshape`,
    refused, as PyTorch's, where x is a view of another tensor (a transpose, a slice with
    steps) or a copy laid out in PyTorch's strides (`x.T.clone()`, channels_last) whose
    layout needs a copy, which reshape() makes. (An op's result, contiguous in PyTorch, may
    be laid out otherwise here: reshape copies it.)"""
    x = to_tensor(input)
    if len(shape) == 1 and isinstance(shape[0], (type, np.dtype, str)):
        raise TypeError(f"view: PyTorch's view(dtype) (the bytes read as another dtype) is not "
                        f"supported; convert the values with x.to({np.dtype(shape[0]).name}) "
                        f"(a copy)")
    out = x.reshape(*shape)
    if out._data.size and (a_view(x) or pytorchs_layout(x._data)) and not np.shares_memory(
            out._data, x._data):
        raise RuntimeError(f"view: a tensor of shape {x.shape} with strides {x.stride()} (a "
                           f"transpose, a slice with steps, channels_last) cannot be viewed as "
                           f"shape {out.shape} without a copy; use reshape(), which copies "
                           f"here, or contiguous().view()")
    spell(out, Reshape, "view")  # (drawn as the user wrote it)
    return out


_METHODS = {"fliplr": fliplr, "flipud": flipud, "swapdims": swapdims, "unflatten": unflatten,
            "tensor_split": tensor_split, "take_along_dim": take_along_dim,
            "masked_select": masked_select, "addcmul": addcmul, "addcdiv": addcdiv,
            "cross": cross, "kron": kron, "rot90": rot90, "dist": dist, "view": view,
            **composed_reductions.METHODS}
for _name, _method in _METHODS.items():
    setattr(Tensor, _name, _method)

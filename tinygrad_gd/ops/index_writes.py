"""Index writes: slices of a copy of a tensor written at a 1-D index along a dim (PyTorch's
`index_add`, `index_copy`, `index_fill`) or values written under a mask (`masked_scatter`),
and the reads whose backward is such a write: `unfold` (sliding windows) and `diag_embed`.
Each backward sends `g` back where each value went; where an index repeats, index_copy
writes (and differentiates) the last slice. Each `backward_graph` is the same in Tensor
ops (higher_order.py): getitem and `add_at` at constant indices, `where` with constant
masks. The checks they share with scatter, scatter_add and scatter_reduce are
scatter.py's; the in-place forms (`index_add_`, ...) are in_place.py's.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function, is_grad_enabled
from .. import memory
from ..tensor import _NUMBERS  # (one number: bool, int, float, NumPy's)
from .arguments import (Tensor, to_tensor, array_argument, integer, no_gradient_into,
                        number, one_axis)
from .elementwise import Where
from .indexing import added_at
from .scatter import (ScatterIndexError, _dim, _in_range, _index, _last, _number, _placed,
                      _source)


def _one(a):
    """`a` (an array or a Tensor), 0-d as one entry along dim 0 (an array's: a view);
    else `a` itself (an empty array's strides asked for stay noted: empty_strides.py)."""
    return a if a.ndim else a.reshape((1,))


def _at(dim: int, index) -> tuple:
    """The index tuple of `index` along `dim`."""
    return (slice(None),) * dim + (index,)


def _cleared(g: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    """A copy of `g` with the slices at `index` along `dim` set to 0 (those overwritten)."""
    g = g.copy()
    _one(g)[_at(dim, index)] = 0
    return g


def _cleared_graph(ctx, g: Tensor) -> Tensor:
    """_cleared in Tensor ops: `g` where no slice at ctx.index along ctx.dim was written."""
    return Where.call(_cleared(np.ones(g.shape, bool), ctx.dim, ctx.index), g, 0.0)


def _slice_checks(op: str, x: Tensor, dim, index, source=None, negative=False) -> tuple:
    """source (unless None) as a tensor of x's dtype, dim and the 1-D index of slices of x,
    checked: source must have x's shape with len(index) along dim; each index points into x."""
    dim, index = _dim(op, dim, x), _index(op, index, vector=True).reshape(-1)
    source, shape = None if source is None else _source(op, x, source, "source"), x.shape or (1,)
    want = shape[:dim] + (index.size,) + shape[dim + 1:] if x.ndim or index.size != 1 else ()
    if source is not None and source.shape != want:
        raise ScatterIndexError(f"{op}: source of shape {source.shape} does not fit: a "
                                f"tensor of shape {x.shape} with {index.size} indices along "
                                f"dim {dim} takes a source of shape {want}")
    return source, dim, _in_range(op, index, shape[dim], dim, negative)


class IndexAdd(Function, name="index_add", methods=("index_add",), functions=("index_add",)):
    """source's slices along dim added, times alpha, into a copy of input at index
    (PyTorch's index_add): `out[index[i]] += alpha * source[i]` along dim; a repeated
    index adds up.

    forward: `out = x; out[index] += alpha * source` along dim
    gradient: `g` for x; `alpha * g[index]` along dim for source
    """

    @classmethod
    def call(cls, input, dim, index, source, *, alpha=1):  # noqa: A002
        x = to_tensor(input)
        source, dim, index = _slice_checks(cls.name, x, dim, index, source)
        alpha = (number if x.dtype.kind == "f" else integer)(cls.name, "alpha", alpha)
        return cls.apply(x, source, dim=dim, index=index, alpha=alpha)

    def forward(ctx, x, source, *, dim, index, alpha=1):
        ctx.along, ctx.alpha, ctx.shape = (dim, index), alpha, source.shape
        out = x.copy()
        np.add.at(_one(out), _at(dim, index), _one(source) * alpha)
        return out

    def backward(ctx, g):
        return g, (np.take(_one(g), ctx.along[1], ctx.along[0]) * ctx.alpha).reshape(ctx.shape)

    def backward_graph(ctx, out, g):
        (dim, index), needs_source = ctx.along, ctx.needs_input_grad[1]
        return g, ((_one(g)[_at(dim, index)] * ctx.alpha).reshape(ctx.shape) if needs_source
                   else None)


class IndexCopy(Function, name="index_copy", methods=("index_copy",),
                functions=("index_copy",)):
    """source's slices along dim written into a copy of input at index (PyTorch's
    index_copy): `out[index[i]] = source[i]`; a repeated index writes its last slice.

    forward: `out = x; out[index] = source` along dim
    gradient: `g` with the written slices 0 for x; `g[index]` along dim for source
    """

    @classmethod
    def call(cls, input, dim, index, source):  # noqa: A002
        x = to_tensor(input)
        source, dim, index = _slice_checks(cls.name, x, dim, index, source)
        return cls.apply(x, source, dim=dim, index=index)

    def forward(ctx, x, source, *, dim, index):
        kept = np.flatnonzero(_last(index))
        ctx.dim, ctx.index, ctx.kept, ctx.shape = dim, index, kept, source.shape
        out = x.copy()
        _one(out)[_at(dim, index[kept])] = np.take(_one(source), kept, dim)
        return out

    def backward(ctx, g):
        gsource = np.zeros(ctx.shape or (1,), g.dtype)
        gsource[_at(ctx.dim, ctx.kept)] = np.take(_one(g), ctx.index[ctx.kept], ctx.dim)
        return _cleared(g, ctx.dim, ctx.index), gsource.reshape(ctx.shape)

    def backward_graph(ctx, out, g):  # (the kept slices' places differ: added, not written)
        if not ctx.needs_input_grad[1]:
            return _cleared_graph(ctx, g), None
        taken = _one(g)[_at(ctx.dim, ctx.index[ctx.kept])]
        gsource = added_at(ctx.shape or (1,), taken, _at(ctx.dim, ctx.kept))
        return _cleared_graph(ctx, g), gsource.reshape(ctx.shape)


class IndexFill(Function, name="index_fill", methods=("index_fill",),
                functions=("index_fill",)):
    """The slices of input along dim at index (negative: from the end) set to value, a
    number or a 0-d tensor that gets the sum of g over them (PyTorch's index_fill).

    forward: `out = x; out[index] = value` along dim
    gradient: `g` with the filled slices 0 for x; `sum(g[index])` for value
    """

    @classmethod
    def call(cls, input, dim, index, value):  # noqa: A002
        x = to_tensor(input)
        if not isinstance(value, (Tensor, *_NUMBERS)) or isinstance(value, Tensor) and value.ndim:
            raise (RuntimeError if isinstance(value, Tensor) else TypeError)(
                f"{cls.name}: value must be a number or a tensor of one element (0 axes), got "
                f"{type(value).__name__} {getattr(value, 'shape', value)!r:.40}")
        _, dim, index = _slice_checks(cls.name, x, dim, index, negative=True)
        no_gradient_into(cls.name, x.dtype, value)
        value = value if isinstance(value, Tensor) else _number(cls.name, value, x.dtype)
        return cls.apply(x, value, dim=dim, index=index)

    def forward(ctx, x, value, *, dim, index):
        ctx.dim, ctx.index = dim, np.unique(index)
        out = x.copy()
        _one(out)[_at(dim, ctx.index)] = value
        return out

    def backward(ctx, g):
        return _cleared(g, ctx.dim, ctx.index), _one(g)[_at(ctx.dim, ctx.index)].sum()

    def backward_graph(ctx, out, g):
        return _cleared_graph(ctx, g), (
            _one(g)[_at(ctx.dim, ctx.index)].sum() if ctx.needs_input_grad[1] else None)


class MaskedScatter(Function, name="masked_scatter", methods=("masked_scatter",),
                    functions=("masked_scatter",)):
    """source's values, in order, written where mask holds (PyTorch's masked_scatter;
    input and mask broadcast together): the k-th place where mask is True, in C order,
    gets source's k-th entry (source flattened, at least as many entries as places).

    forward: `out = x; out[mask] = source.flatten()[:mask.sum()]`
    gradient: `where(mask, 0, g)` for x; `g[mask]` into source's first entries
    """

    @classmethod
    def call(cls, input, mask, source):  # noqa: A002
        x = to_tensor(input)
        mask = array_argument(cls.name, "the mask", mask, "a boolean")
        if mask.dtype != bool:
            raise RuntimeError(f"{cls.name}: the mask must be boolean (a comparison such as "
                               f"x > 0), got dtype {mask.dtype}")
        source = _source(cls.name, x, source, "source")
        try:  # (broadcast here, once: forward reads it as it is)
            mask = np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))
        except ValueError:
            raise RuntimeError(f"{cls.name}: a mask of shape {mask.shape} does not broadcast "
                               f"with the tensor's shape {x.shape}") from None
        if source.size < mask.sum():
            raise RuntimeError(f"{cls.name}: source has {source.size} entries but the mask "
                               f"holds at {mask.sum()} places; give at least as many")
        return cls.apply(x, source, mask=mask)

    def forward(ctx, x, source, *, mask):
        ctx.mask, ctx.shape, ctx.count = mask, source.shape, int(mask.sum())
        out = np.array(np.broadcast_to(x, mask.shape))
        out[ctx.mask] = source.reshape(-1)[:ctx.count]
        return out

    def backward(ctx, g):
        gsource = np.zeros(int(np.prod(ctx.shape)), g.dtype)
        gsource[:ctx.count] = g[ctx.mask]
        return np.where(ctx.mask, 0, g), gsource.reshape(ctx.shape)

    def backward_graph(ctx, out, g):
        return Where.call(ctx.mask, 0.0, g), (_placed(g[ctx.mask], np.arange(ctx.count), ctx.shape)
                                              if ctx.needs_input_grad[1] else None)


class Unfold(Function, methods=("unfold",)):
    """Every slice of `size` entries along `dimension`, `step` apart, as a new last axis
    (PyTorch's Tensor.unfold): dimension's n becomes the `(n - size) // step + 1` windows.
    A view, as PyTorch's: a change of x shows in it; overlapping windows cannot be written.

    forward: `out[..., i, ..., j] = x[..., i * step + j, ...]` along dimension
    gradient: `g`'s windows added back where they were read (overlaps add up)
    """

    @classmethod
    def call(cls, x, dimension, size, step):
        x = to_tensor(x)
        dim = _dim(cls.name, dimension, x)
        size, step = integer(cls.name, "size", size), integer(cls.name, "step", step)
        n = x.shape[dim] if x.ndim else 1
        if not 0 <= size <= n or step <= 0:
            raise RuntimeError(f"{cls.name}: takes a size from 0 to {n} (the entries of "
                               f"dimension {dim}) and a step > 0, got size={size}, step={step}")
        return cls.apply(x, dim=dim, size=size, step=step)

    def forward(ctx, x, *, dim, size, step):
        one = _one(x)  # (a 0-d tensor: one window, as PyTorch's)
        n, steps = one.shape[dim], one.strides
        if not one.size:  # (PyTorch's strides: NumPy's are 0s)
            steps = tuple(s * one.itemsize for s in memory.pytorch_strides(one))
        ctx.starts = np.arange((n - size) // step + 1) * step
        ctx.dim, ctx.shape = dim, x.shape
        ctx.moved = one.shape[:dim] + one.shape[dim + 1:] + (n,)
        shape = one.shape[:dim] + (ctx.starts.size,) + one.shape[dim + 1:] + (size,)
        out = memory.strided_view(one, shape, steps[:dim] + (step * steps[dim],)
                                  + steps[dim + 1:] + (steps[dim],), memory.storage_offset(one),
                                  given=True)  # (no entries: stride() reports these, even 0s)
        if size > step and ctx.starts.size > 1:  # (overlapping windows: a write into one
            out.flags.writeable = False  # would change the others, refused as expand's is)
        return out if x.ndim else out.reshape(size)

    def backward(ctx, g):
        g = np.moveaxis(g.reshape(g.shape if ctx.shape else (ctx.starts.size, -1)), ctx.dim, -2)
        gx = np.zeros(ctx.moved, g.dtype)
        for j in range(g.shape[-1]):  # (the starts differ: no place twice in one +=)
            gx[..., ctx.starts + j] += g[..., j]
        return np.moveaxis(gx, -1, ctx.dim).reshape(ctx.shape)

    def backward_graph(ctx, out, g):  # (add_at adds the overlaps up, as the loop does)
        g = g.reshape(g.shape if ctx.shape else (ctx.starts.size, -1)).moveaxis(ctx.dim, -2)
        read = ctx.starts[:, None] + np.arange(g.shape[-1])  # (each window's places)
        gx = added_at(ctx.moved, g, (Ellipsis, read))
        return gx.moveaxis(-1, ctx.dim).reshape(ctx.shape)


class AsStrided(Function, name="as_strided", methods=("as_strided",),
                functions=("as_strided",)):
    """x's storage read as `size` with `stride` (in entries) from `storage_offset` (x's own
    by default), PyTorch's as_strided: a view. Reading an entry of the storage that is none
    of x's (x a slice of it) is refused when x needs a gradient (PyTorch's gives that entry
    none: silently wrong); overlapping entries cannot be written.

    forward: `out[i] = storage[offset + sum_k i_k * stride_k]`
    gradient: `g` added at the x entry each out entry reads (repeats add up)
    """

    @classmethod
    def call(cls, x, size, stride, storage_offset=None):  # noqa: A002
        x = to_tensor(x)
        size, stride = (tuple(integer(cls.name, name, n) for n in (
            value if isinstance(value, (tuple, list)) else (value,)))
            for name, value in (("size", size), ("stride", stride)))
        offset = (memory.storage_offset(x._data) if storage_offset is None
                  else integer(cls.name, "storage_offset", storage_offset))
        room = memory.storage(x._data).size
        if len(size) != len(stride):
            raise RuntimeError(f"{cls.name}: size {size} and stride {stride} differ in length; "
                               f"give one stride per size")
        if min(size + stride + (offset,), default=0) < 0:
            raise RuntimeError(f"{cls.name}: size {size}, stride {stride} and storage_offset "
                               f"{offset} must be >= 0")
        last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else -1
        if last >= room:
            raise RuntimeError(f"{cls.name}: size {size} and stride {stride} from storage_offset "
                               f"{offset} reach entry {last} of a storage of {room} entries; "
                               f"give a size, stride and offset that stay within it")
        return cls.apply(x, size=size, stride=stride, offset=offset)

    def forward(ctx, x, *, size, stride, offset):
        ctx.shape, ctx.dtype = x.shape, x.dtype
        owned = memory.positions(x.shape, memory.strides(x), memory.storage_offset(x))
        at = np.full(memory.storage(x).size, -1)  # storage position -> the x entry there
        at[owned.ravel()] = np.arange(x.size)
        ctx.read = at[memory.positions(size, stride, offset)]  # (-1: none of x's)
        if ctx.needs_input_grad[0] and is_grad_enabled() and (ctx.read < 0).any():
            raise RuntimeError(f"{ctx.name}: reads entries of the memory that are none of this "
                               f"tensor's (a view of a larger one, such as x[1:]), which its "
                               f"gradient cannot reach; call it on the tensor that owns the "
                               f"memory, or on x.clone()")
        out = memory.strided_view(x, size, tuple(s * x.itemsize for s in stride), offset,
                                  given=True)
        if not memory.distinct_entries(out):
            out.flags.writeable = False  # (a write into one entry would change another)
        return out

    def backward(ctx, g):
        return np.bincount(ctx.read.ravel(), g.ravel(), minlength=int(np.prod(ctx.shape))
                           ).astype(ctx.dtype, copy=False).reshape(ctx.shape)

    def backward_graph(ctx, out, g):
        return added_at((int(np.prod(ctx.shape)),), g.reshape(-1), ctx.read.ravel()
                        ).reshape(ctx.shape)


class DiagEmbed(Function, name="diag_embed", methods=("diag_embed",),
                functions=("diag_embed",)):
    """input's last axis laid on the `offset` diagonal (above the main one if > 0) of new
    matrices in output dims dim1 (rows) and dim2 (columns), zeros elsewhere (PyTorch's).

    forward: `out[..., i, i + offset] = x[..., i]` in dims (dim1, dim2), 0 elsewhere
    gradient: `g`'s `offset` diagonal in dims (dim1, dim2)
    """

    @classmethod
    def call(cls, input, offset=0, dim1=-2, dim2=-1):  # noqa: A002
        x = to_tensor(input)
        offset, ndim = integer(cls.name, "offset", offset), x.ndim + 1
        first, second = (one_axis(cls.name, d, ndim) % ndim for d in (dim1, dim2))
        if first == second:
            raise RuntimeError(f"{cls.name}: dim1 and dim2 both name dimension {first}; give "
                               f"two different dimensions")
        return cls.apply(x, offset=offset, dim1=first, dim2=second)

    def forward(ctx, x, *, offset=0, dim1=-2, dim2=-1):
        n = x.shape[-1]
        ctx.rows, ctx.cols = np.arange(n) + max(-offset, 0), np.arange(n) + max(offset, 0)
        ctx.dims = dim1, dim2
        out = np.zeros(x.shape[:-1] + (n + abs(offset),) * 2, x.dtype)
        out[..., ctx.rows, ctx.cols] = x
        return np.moveaxis(out, (-2, -1), ctx.dims)

    def backward(ctx, g):
        return np.moveaxis(g, ctx.dims, (-2, -1))[..., ctx.rows, ctx.cols]

    def backward_graph(ctx, out, g):
        return g.moveaxis(ctx.dims, (-2, -1))[..., ctx.rows, ctx.cols]

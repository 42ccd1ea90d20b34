"""Scatter ops: values written into a copy of a tensor at integer indices or under a mask:
PyTorch's `scatter`, `scatter_add`, `scatter_reduce` (sum, prod, mean, amax or amin of
what lands on each place), `index_add`, `index_copy`, `index_fill` (slices at a 1-D
index), `masked_scatter`, and `unfold` and `diag_embed`, whose backward is a scatter.
Each backward sends `g` back where each value went. Where an index repeats, scatter and
index_copy write the last entry along `dim` (PyTorch leaves that order open) and only it
gets a gradient. The in-place forms (`scatter_`, `index_add_`, ...) are in_place.py's.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..grad_mode import check_flag
from ..tensor import _NUMBERS  # (one number: bool, int, float, NumPy's)
from ..values import _as_array
from .arguments import Tensor, to_tensor, array_argument, integer, number, one_axis


class ScatterIndexError(IndexError, RuntimeError):
    """An index or shape that does not fit: PyTorch's RuntimeError or IndexError (by op)."""


def _dim(op: str, dim, x: Tensor) -> int:
    """`dim` checked against x's axes (a 0-d tensor's one place is dim 0 or -1, as PyTorch)."""
    return one_axis(op, dim, max(x.ndim, 1)) % max(x.ndim, 1)


def _index(op: str, index, vector: bool = False) -> np.ndarray:
    """`index` as intp integers (an empty one of any dtype too), a vector if `vector`."""
    index = array_argument(op, "index", index)
    if index.dtype.kind not in "iu" and index.size:
        raise ScatterIndexError(f"{op}: index must hold integers, got dtype {index.dtype}; "
                                f"build it with tg.as_tensor([0, 2]) or convert it with .long()")
    if vector and index.ndim > 1:
        raise ScatterIndexError(f"{op}: index must be a vector (1 axis) or one number, got "
                                f"shape {index.shape}")
    return index.astype(np.intp)


def _in_range(op: str, index: np.ndarray, n: int, dim: int, negative: bool = False):
    """index, each entry in [0, n) (in [-n, n) when `negative`, then counted from 0)."""
    low = -n if negative else 0
    if index.size and (index.min() < low or index.max() >= n):
        bad = index.min() if index.min() < low else index.max()
        raise ScatterIndexError(f"{op}: index {bad} is out of range for dim {dim} of size "
                                f"{n}; give indices from {low} to {n - 1}")
    return index % n if negative and n else index


def _source(op: str, x: Tensor, src, name: str = "src") -> Tensor:
    """src as a tensor of x's dtype: data converted, a tensor of another dtype refused."""
    if isinstance(src, Tensor):
        if src.dtype != x.dtype:
            raise RuntimeError(f"{op}: {name} has dtype {src.dtype} but the tensor has dtype "
                               f"{x.dtype}; convert {name} first ({name}.to({x.dtype}))")
        return src
    return Tensor.from_op(_as_array(src, x.dtype, f"{op}: {name}"), None)


def _number(op: str, value, dtype: np.dtype) -> np.ndarray:
    """A number that scatter or index_fill writes, in the tensor's dtype (2.7 into int64 is
    2, as PyTorch's), or refused as PyTorch's "cannot be converted without overflow": NaN,
    inf or out of range for an integer dtype, a finite value a float dtype makes inf."""
    if dtype.kind in "iu" and not isinstance(value, (bool, np.bool_)):
        info = np.iinfo(dtype)  # (unsigned: from -max, wrapped around, as PyTorch's; NaN fails)
        fits = (-info.max if dtype.kind == "u" else info.min) <= value <= info.max
    else:
        with np.errstate(over="ignore"):
            fits = dtype.kind != "f" or np.isinf(value) or not np.isinf(dtype.type(value))
    if not fits:
        raise RuntimeError(f"{op}: value {value!r} does not fit the tensor's dtype {dtype}; "
                           f"give a value within it, or convert the tensor first (x.double())")
    return np.asarray(value).astype(dtype)


def _scatter_checks(op: str, x: Tensor, dim, index, src_shape) -> tuple:
    """dim and index of a scatter into x by PyTorch's rules (an empty index unchecked):
    x's axes, no larger than src (`src_shape`; None: a value) nor than x off dim, in x."""
    dim, index = _dim(op, dim, x), _index(op, index)
    if not index.size:
        return dim, index
    axes = max(index.ndim, 1)  # (PyTorch's: a 0-d index, tensor or src counts as one axis)
    if axes != max(x.ndim, 1) or src_shape is not None and max(len(src_shape), 1) != axes:
        sizes = "" if src_shape is None else f" and src {len(src_shape)}"
        raise ScatterIndexError(f"{op}: index has {index.ndim} axes, the tensor {x.ndim}"
                                f"{sizes}; give an index with as many axes as the tensor")
    for k, n in enumerate(index.shape):
        if k != dim and n > x.shape[k] or src_shape is not None and n > src_shape[k]:
            src = "" if src_shape is None else f" or than src of shape {src_shape}"
            raise ScatterIndexError(
                f"{op}: index of shape {index.shape} is larger on axis {k} than the tensor of "
                f"shape {x.shape} (off dim {dim}){src}; it may be smaller there, not larger")
    return dim, _in_range(op, index, x.shape[dim] if x.ndim else 1, dim)


def _places(shape: tuple, index: np.ndarray, dim: int, src_shape: tuple) -> tuple:
    """Where each entry of index writes (a flat position in a tensor of `shape`) and what
    it reads (the flat position of src's entry at the same place; a 0-d src's one value)."""
    if not index.size:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    index = index.reshape(index.shape or (1,))
    grids = np.indices(index.shape, sparse=True)
    target = np.ravel_multi_index(tuple(index if a == dim else grids[a]
                                        for a in range(index.ndim)), shape or (1,))
    source = np.ravel_multi_index(tuple(grids), src_shape) if src_shape else 0
    return target.reshape(-1), np.broadcast_to(source, index.shape).reshape(-1)


def _last(target: np.ndarray) -> np.ndarray:
    """True at the last entry that writes each place (the later one along dim wins)."""
    keep = np.zeros(target.size, bool)
    _, first = np.unique(target[::-1], return_index=True)
    keep[target.size - 1 - first] = True
    return keep


def _one(a: np.ndarray) -> np.ndarray:
    """`a`, a 0-d array as one entry along dim 0 (a view)."""
    return a.reshape(a.shape or (1,))


def _at(dim: int, index) -> tuple:
    """The index tuple of `index` along `dim`."""
    return (slice(None),) * dim + (index,)


def _cleared(g: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    """A copy of `g` with the slices at `index` along `dim` set to 0 (those overwritten)."""
    g = g.copy()
    _one(g)[_at(dim, index)] = 0
    return g


class Scatter(Function, methods=("scatter",), functions=("scatter",)):
    """src's entries written into a copy of input along dim at index (PyTorch's scatter):
    `out[index[i][j]][j] = src[i][j]` for dim 0; `scatter(input, dim, index, value)` writes
    one number. A repeated index writes (and differentiates) its last entry along dim;
    `reduce='add'` or `'multiply'` is scatter_reduce's 'sum' or 'prod' (with gradients).

    forward: `out = x; out[index] = src` along dim
    gradient: `g` with the written places 0 for x; `g[index]` along dim for src
    """

    @classmethod
    def call(cls, input, dim, index, src=None, *, value=None, reduce=None):  # noqa: A002
        x = to_tensor(input)
        if (src is None) == (value is None):
            raise TypeError("scatter: give src (a tensor) or value (a number), one of them")
        if reduce is not None and reduce not in ("add", "multiply"):
            raise RuntimeError(f"scatter: reduce must be 'add' or 'multiply' (scatter_reduce: "
                               f"'sum', 'prod', 'mean', 'amax', 'amin'), got {reduce!r:.40}")
        given = value if src is None else src
        one = isinstance(given, _NUMBERS)  # a value: PyTorch casts it to input's dtype
        src = Tensor.from_op(_number(cls.name, given, x.dtype), None) if one else \
            _source(cls.name, x, given)
        dim, index = _scatter_checks(cls.name, x, dim, index, None if one else src.shape)
        if reduce is not None:
            return ScatterReduce.apply(x, src, dim=dim, index=index, include_self=True,
                                       reduce="sum" if reduce == "add" else "prod")
        return cls.apply(x, src, dim=dim, index=index)

    def forward(ctx, x, src, *, dim, index):
        ctx.shapes = x.shape, src.shape
        target, source = _places(x.shape, index, dim, src.shape)
        keep = _last(target)
        ctx.target, ctx.source = target[keep], source[keep]
        out = x.copy()
        out.reshape(-1)[ctx.target] = src.reshape(-1)[ctx.source]
        return out

    def backward(ctx, g):
        gx = g.copy()
        gx.reshape(-1)[ctx.target] = 0
        gsrc = np.zeros(ctx.shapes[1], g.dtype)
        gsrc.reshape(-1)[ctx.source] = g.reshape(-1)[ctx.target]
        return gx, gsrc


_UFUNCS = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum,
           "amin": np.minimum}


def _identity(reduce: str, dtype: np.dtype):
    """The value that leaves `reduce` unchanged, in `dtype` (where the input is left out)."""
    if reduce in ("amax", "amin") and dtype.kind != "f":  # (bool: uint8's 0 and 255)
        info = np.iinfo(dtype if dtype.kind in "iu" else np.uint8)
        return info.min if reduce == "amax" else info.max
    return {"prod": 1, "amax": -np.inf, "amin": np.inf}.get(reduce, 0)


def _reduced(x: np.ndarray, values: np.ndarray, target: np.ndarray, reduce: str,
             include_self: bool) -> np.ndarray:
    """x's values, flat, with `values` reduced into the places `target` (the forward pass;
    backward runs it again on masked values). An integer mean is floored, as PyTorch's."""
    out = x.reshape(-1).copy()
    hit = np.zeros(out.size, bool)
    hit[target] = True
    if not include_self:
        out[hit] = _identity(reduce, out.dtype)
    _UFUNCS[reduce].at(out, target, values)
    if reduce == "mean":
        count = np.bincount(target, minlength=out.size)[hit] + include_self
        out[hit] = (np.true_divide if out.dtype.kind == "f" else np.floor_divide)(out[hit], count)
    return out


class ScatterReduce(Function, name="scatter_reduce", methods=("scatter_reduce",),
                    functions=("scatter_reduce",)):
    """src's entries reduced into a copy of input along dim at index (PyTorch's): each
    place holds the 'sum', 'prod', 'mean', 'amax' or 'amin' of the values landing on it,
    input's own among them unless include_self=False (then it gets no gradient, and is in
    no tie). amax/amin's ties share the gradient; prod's is the others' product (0s too).

    forward: `out = x; out[index] = reduce(out[index], src)` along dim
    gradient: sum: `g`, `g[index]`; mean: those / count; prod: * the others' product; amax: / ties
    """

    @classmethod
    def call(cls, input, dim, index, src, reduce, *, include_self=True):  # noqa: A002
        if not isinstance(reduce, str) or reduce not in _UFUNCS:
            raise RuntimeError(f"{cls.name}: reduce must be one of 'sum', 'prod', 'mean', "
                               f"'amax', 'amin', got {reduce!r:.40}")
        return cls._scatter(input, dim, index, src, reduce,
                            check_flag(cls.name, "include_self", include_self))

    @classmethod
    def _scatter(cls, input, dim, index, src, reduce, include_self):  # noqa: A002
        x = to_tensor(input)
        src = _source(cls.name, x, src)
        dim, index = _scatter_checks(cls.name, x, dim, index, src.shape)
        return cls.apply(x, src, dim=dim, index=index, reduce=reduce, include_self=include_self)

    def forward(ctx, x, src, *, dim, index, reduce, include_self=True):
        target, source = _places(x.shape, index, dim, src.shape)
        ctx.places, ctx.shapes, ctx.how = (target, source), (x.shape, src.shape), (
            reduce, include_self)
        out = _reduced(x, src.reshape(-1)[source], target, reduce, include_self).reshape(x.shape)
        if reduce in ("prod", "amax", "amin"):  # (their gradients read the values)
            ctx.save_for_backward(x, src, out)
        return out

    def backward(ctx, g):
        (target, source), (shape, src_shape), (reduce, include_self) = \
            ctx.places, ctx.shapes, ctx.how
        g = g.reshape(-1)
        hit = np.zeros(g.size, bool)
        hit[target] = True
        with np.errstate(divide="ignore", invalid="ignore"):  # (NaN in, NaN out: PyTorch's)
            if reduce in ("sum", "mean"):  # (mean: each value's share, 1 / its place's count)
                gx = g.copy() if reduce == "sum" else g / np.maximum(
                    np.bincount(target, minlength=g.size) + include_self, 1)
                gvalues = gx[target]
            else:
                x, src, out = (a.reshape(-1) for a in ctx.saved_tensors)
                values = src[source]
                if reduce == "prod":
                    gx, gvalues = _prod_gradients(g, x, values, out, target, include_self)
                else:  # amax, amin: each place's gradient shared among its ties
                    own = (x == out) & (include_self | ~hit)
                    won = values == out[target]
                    share = g / (own + np.bincount(target, won, g.size))
                    gx, gvalues = own * share, won * share[target]
        if not include_self:
            gx[hit] = 0
        if src_shape:
            gsrc = np.zeros(int(np.prod(src_shape)), gvalues.dtype)
            gsrc[source] = gvalues
        else:  # (a value broadcast to every place: the sum)
            gsrc = gvalues.sum()
        return gx.reshape(shape), gsrc.reshape(src_shape)


def _prod_gradients(g, x, values, out, target, include_self):
    """prod's gradients, PyTorch's way: the product of the others, a zero among them too
    (x's zeros and a lone zero of src taken out as 1, the rest divided out)."""
    ones = np.where(x == 0, 1, x)
    gx = g * _reduced(ones, values, target, "prod", include_self) / ones
    zero = values == 0
    single = zero & (np.bincount(target, zero, g.size)[target] == 1)
    without = _reduced(x, np.where(single, 1, values), target, "prod", include_self)
    return gx, np.where(single, (g * without)[target],
                        (g * out)[target] / np.where(zero, 1, values))


class ScatterAdd(ScatterReduce, name="scatter_add", methods=("scatter_add",),
                 functions=("scatter_add",)):
    """src's entries added into a copy of input along dim at index (PyTorch's
    scatter_add, scatter_reduce's 'sum'): `out[index[i][j]][j] += src[i][j]` for dim 0; a
    repeated index adds up.

    forward: `out = x; out[index] += src` along dim
    gradient: `g` for x; `g[index]` along dim for src
    """

    @classmethod
    def call(cls, input, dim, index, src):  # noqa: A002
        return cls._scatter(input, dim, index, src, "sum", True)


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
        value = value if isinstance(value, Tensor) else _number(cls.name, value, x.dtype)
        return cls.apply(x, value, dim=dim, index=index)

    def forward(ctx, x, value, *, dim, index):
        ctx.dim, ctx.index = dim, np.unique(index)
        out = x.copy()
        _one(out)[_at(dim, ctx.index)] = value
        return out

    def backward(ctx, g):
        return _cleared(g, ctx.dim, ctx.index), _one(g)[_at(ctx.dim, ctx.index)].sum()


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


class Unfold(Function, methods=("unfold",)):
    """Every slice of `size` entries along `dimension`, `step` apart, as a new last axis
    (PyTorch's Tensor.unfold): dimension's n becomes the `(n - size) // step + 1` windows.

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
        moved = np.moveaxis(x.reshape(x.shape or (1,)), dim, -1)
        ctx.starts = np.arange((moved.shape[-1] - size) // step + 1) * step
        ctx.dim, ctx.moved, ctx.shape = dim, moved.shape, x.shape
        out = np.moveaxis(moved[..., ctx.starts[:, None] + np.arange(size)], -2, dim)
        return out if x.ndim else out.reshape(size)  # (a 0-d tensor: one window, as PyTorch)

    def backward(ctx, g):
        g = np.moveaxis(g.reshape(g.shape if ctx.shape else (ctx.starts.size, -1)), ctx.dim, -2)
        gx = np.zeros(ctx.moved, g.dtype)
        for j in range(g.shape[-1]):  # (the starts differ: no place twice in one +=)
            gx[..., ctx.starts + j] += g[..., j]
        return np.moveaxis(gx, -1, ctx.dim).reshape(ctx.shape)


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

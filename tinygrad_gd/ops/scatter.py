"""Scatter ops: src's entries written into a copy of a tensor at integer indices along a
dim: PyTorch's `scatter`, `scatter_add` and `scatter_reduce` (sum, prod, mean, amax or
amin of what lands on each place), and the checks and helpers index_writes.py's ops share.
Each backward sends `g` back where each value went. Where an index repeats, scatter
writes the last entry along `dim` (PyTorch leaves that order open) and only it gets a
gradient. Each `backward_graph` is the same in Tensor ops (higher_order.py): where each
value went is a constant, gathered with getitem and placed back with `add_at`. The
in-place forms (`scatter_`, `scatter_add_`, ...) are in_place.py's.
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..grad_mode import check_flag
from ..tensor import _NUMBERS  # (one number: bool, int, float, NumPy's)
from ..values import _as_array
from .arguments import Tensor, to_tensor, array_argument, one_axis
from .elementwise import Where
from .indexing import added_at


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
    shape = x.shape or (1,)  # (a 0-d tensor or src counts as one axis of size 1, PyTorch's)
    src_sizes = None if src_shape is None else src_shape or (1,)
    for k, n in enumerate(index.shape):
        if k != dim and n > shape[k] or src_sizes is not None and n > src_sizes[k]:
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


def _hit(size: int, target: np.ndarray) -> np.ndarray:
    """True at the flat places `target` writes (of `size`)."""
    hit = np.zeros(size, bool)
    hit[target] = True
    return hit


def _placed(values: Tensor, positions: np.ndarray, shape: tuple) -> Tensor:
    """The Tensor `values` added into zeros of `shape` at the flat `positions` (a repeat
    adds up), as recorded ops: a gradient sent back where each value came from."""
    return added_at((int(np.prod(shape)),), values, positions).reshape(shape)


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

    def backward_graph(ctx, out, g):
        flat, needs_x, needs_src = g.reshape(-1), *ctx.needs_input_grad
        gx = Where.call(_hit(flat.size, ctx.target).reshape(ctx.shapes[0]), 0.0, g)
        return (gx if needs_x else None), (
            _placed(flat[ctx.target], ctx.source, ctx.shapes[1]) if needs_src else None)


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
    hit = _hit(out.size, target)
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
        hit = _hit(g.size, target)
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
                    own, won, ties = _ties(x, values, out, target, hit, include_self)
                    share = g / ties
                    gx, gvalues = own * share, won * share[target]
        if not include_self:
            gx[hit] = 0
        if src_shape:
            gsrc = np.zeros(int(np.prod(src_shape)), gvalues.dtype)
            gsrc[source] = gvalues
        else:  # (a value broadcast to every place: the sum)
            gsrc = gvalues.sum()
        return gx.reshape(shape), gsrc.reshape(src_shape)

    def backward_graph(ctx, out, g):  # (which value is an extreme, a count: constants)
        (target, source), (shape, src_shape), (reduce, include_self) = \
            ctx.places, ctx.shapes, ctx.how
        g = g.reshape(-1)
        hit = _hit(g.size, target)
        if reduce in ("sum", "mean"):
            gx = g if reduce == "sum" else g / np.maximum(
                np.bincount(target, minlength=g.size) + include_self, 1)
            gvalues = gx[target]
        elif reduce == "prod":
            gx, gvalues = _prod_graph(ctx, out, g)
        else:
            x, src, result = (a.reshape(-1) for a in ctx.saved_tensors)
            own, won, ties = _ties(x, src[source], result, target, hit, include_self)
            with np.errstate(divide="ignore", invalid="ignore"):  # (as backward's)
                share = g / ties
                gx, gvalues = share * own, share[target] * won
        if not include_self:
            gx = Where.call(hit, 0.0, gx)
        return gx.reshape(shape), _placed(gvalues, source, src_shape)


def _ties(x, values, out, target, hit, include_self) -> tuple:
    """amax's and amin's masks: x where it is its place's extreme (and included), the
    values that are theirs, and how many share each place's gradient."""
    own = (x == out) & (include_self | ~hit)
    won = values == out[target]
    return own, won, own + np.bincount(target, won, x.size)


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


def _prod_graph(ctx, out, g) -> tuple:
    """_prod_gradients in Tensor ops (flat), the products of the others computed by
    scatter_reduce itself, so differentiated again; which values are 0 is a constant. A
    value 0 gets the product of the others not 0, times that of the other zeros at its
    place (none: 1; `_zeros_others`): right where two zeros meet, which PyTorch refuses."""
    (target, source), (_, include_self) = ctx.places, ctx.how
    xs, vs, out = ctx.parents[0].reshape(-1), ctx.parents[1].reshape(-1)[source], out.reshape(-1)
    x, values = ctx.saved_tensors[0].reshape(-1), ctx.saved_tensors[1].reshape(-1)[source]

    def reduced(base, v):  # (dim 0 of the flat tensors: a value's place is its target)
        return ScatterReduce.apply(base, v, dim=0, index=target, reduce="prod",
                                   include_self=include_self)
    ones, zero = Where.call(x == 0, 1.0, xs), values == 0
    masked = Where.call(zero, 1.0, vs)
    gx, lone = g * reduced(ones, vs) / ones, (g * reduced(xs, masked))[target]
    others = _zeros_others(vs, zero, target)
    return gx, Where.call(zero, lone if others is None else lone * others,
                          (g * out)[target] / masked)


def _zeros_others(values: Tensor, zero: np.ndarray, target: np.ndarray):
    """For each value 0, the product of the other zeros at its place: 0 where it has some,
    but not its derivatives. A scatter_reduce over the pairs of zeros that meet (n * (n - 1)
    at a place with n); None where no two meet (each such product is 1)."""
    at = np.flatnonzero(zero)
    at = at[np.argsort(target[at], kind="stable")]  # the zeros, grouped by place
    places = target[at]
    first, end = np.searchsorted(places, places), np.searchsorted(places, places, "right")
    if not at.size or (end - first).max() < 2:
        return None
    sizes = end - first  # each zero paired with each of its group (itself dropped after)
    member = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    rows, cols = np.repeat(at, sizes), at[np.repeat(first, sizes) + member]
    apart = rows != cols
    return ScatterReduce.apply(np.ones(values.shape, values.dtype), values[cols[apart]],
                               dim=0, index=rows[apart], reduce="prod")


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

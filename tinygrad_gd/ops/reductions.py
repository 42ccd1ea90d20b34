"""Reductions: sum, mean, max and min over axes; topk (the k largest) and sort.

The backward of a reduction gives each input element the gradient of the output element
it went into: a sum copies it to each, a mean shares it out (1/n each), a max or min
sends it to the elements that were the extreme (shared evenly by ties, or all to the
index returned with the values: `x.max(dim=1)`, as PyTorch's). An extreme over an axis of
length 0 raises `EmptyReductionError` (PyTorch's IndexError and NumPy's ValueError at once);
topk's k out of range `KOutOfRangeError` (PyTorch's RuntimeError, and ValueError); k an
int or, as PyTorch's, an integer tensor of one element (`whole_k`).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..engine import Function
from ..op_errors import respelled
from ..tensor import Tensor
from ..values import default_float, numeric_dtype
from .arguments import (as_scalars, check_axis, either, on_a_scalars_axis, one_axis, reduced_axes,
                        signed, tensor_int, to_tensor)
from .layout import TakeAlongAxis


def accumulator(x: np.ndarray | np.dtype) -> Any:
    """The dtype a sum over `x` (an array, or its dtype) adds up in: float64 for float16 and
    float32 (NumPy adds an outer axis up naively in the array's own precision, PyTorch in a
    wider one), else None (the array's own)."""
    dtype = np.dtype(getattr(x, "dtype", x))
    return np.float64 if dtype.kind == "f" and dtype.itemsize < 8 else None


def accumulated(add_up: Any, x: np.ndarray, **kwargs: Any) -> np.ndarray:
    """`add_up(x, dtype=..., **kwargs)` (np.add.reduce, numpy_mean, np.cumsum) in
    `accumulator(x)`, the result in x's own dtype again."""
    wide = accumulator(x)
    out = add_up(x, dtype=wide, **kwargs)
    return out if wide is None else out.astype(x.dtype)


def numpy_mean(x: np.ndarray, dtype: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """`np.mean(x, axis, dtype, keepdims=keepdims)` of an `x` with entries, computed as
    np.mean computes it, bit for bit: the sum (np.add.reduce; in float64 for integers and
    bools, float32 for float16), divided by the count as a NumPy integer (float32's sum of
    2**24 + 1 entries is divided in float64, then rounded), without np.mean's layers of
    Python, which a mean per training step would pay each time. Integers and bools give
    the default float (float64 unless tg.set_default_dtype changed it)."""
    if dtype is None and x.dtype.kind in "biu":  # (np.mean's rule, then the default float)
        return numpy_mean(x, np.float64, axis, keepdims).astype(default_float(), copy=False)
    half = dtype is None and x.dtype == np.float16
    if half:
        dtype = np.float32
    total = np.add.reduce(x, axis, dtype, keepdims=keepdims)
    count = np.intp(x.size // total.size)
    if isinstance(total, np.ndarray):
        out = np.true_divide(total, count, out=total, casting="unsafe")
    else:  # (a NumPy scalar: divided, then back in its own dtype)
        out = total.dtype.type(total / count)
    return out.astype(np.float16) if half else out


def expand_reduced(g: np.ndarray, shape: tuple[int, ...], axis: Any, keepdims: bool) -> np.ndarray:
    """Give a reduced gradient back the axes the reduction removed, ready to broadcast."""
    if keepdims:
        return g
    if axis is None:
        return g.reshape((1,) * len(shape))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return np.expand_dims(g, tuple(a % len(shape) for a in axes))


def reduced_to_kept(g: Any, shape: tuple[int, ...], axis: Any) -> Any:
    """`expand_reduced` for a Tensor `g`: reshaped to keep the reduced axes (as 1s)."""
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    axes = {a % len(shape) for a in axes}
    return g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


class EmptyReductionError(IndexError, RuntimeError, ValueError):
    """A reduction with no identity over an axis of length 0 (or of a tensor with no
    entries): max, min, argmax, argmin, aminmax, median, nanmedian, mode, kthvalue, and the
    inf and negative norms. PyTorch raises IndexError (RuntimeError for a whole tensor's
    max and min, and for a norm), NumPy ValueError; this is all three, so code written for
    either catches it."""


class KOutOfRangeError(RuntimeError, ValueError):
    """topk's or kthvalue's k outside what the axis holds: PyTorch's RuntimeError, and the
    ValueError it was here, so code written for either catches it."""


def whole_k(op: str, k: Any) -> int:
    """topk's or kthvalue's k as an int: an int, or what PyTorch takes for one, an integer
    tensor of one element (a count worked out in tensors: `x.topk(mask.sum())`) or a NumPy
    0-d array; a bool, a float, or several numbers refused in one line."""
    data = k._data if isinstance(k, Tensor) else k if isinstance(k, np.ndarray) else None
    if data is not None and data.dtype.kind in "iu" and data.size == 1 and \
            (isinstance(k, Tensor) or data.ndim == 0):  # (PyTorch's: a 1-element array no)
        return int(data.reshape(()))
    if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
        return int(k)
    if data is None:
        raise TypeError(f"{op}: k must be an int, got {type(k).__name__} {k!r:.40}")
    raise TypeError(f"{op}: k must be an int, got {type(k).__name__} of shape {k.shape} and "
                    f"dtype {k.dtype}; an integer tensor of one element serves too (an array: 0-d)")


def keep_flag(op: str, keepdims: Any, keepdim: Any) -> bool:
    """keepdims= (NumPy's) or keepdim= (PyTorch's): True or False. Anything else is refused
    in one line: NumPy's third argument of sum, mean and prod is dtype
    (`np.sum(x, 0, np.float32)`), which would otherwise count as keepdims=True."""
    keep = either(op, "keepdims", keepdims, "keepdim", keepdim, False)
    if isinstance(keep, (bool, np.bool_)):
        return bool(keep)
    what = f"the type {keep.__name__}" if isinstance(keep, type) else \
        f"{type(keep).__name__} {keep!r}"
    numpy = ("NumPy's is dtype: cast first (x.to(np.float32)." + op + "(0)) or pass "
             if op in ("sum", "mean", "prod") else "pass ")
    raise TypeError(f"{op}: keepdims must be True or False, got {what}; the third argument "
                    f"here is keepdims (PyTorch's keepdim), {numpy}keepdims=True/False")


def cast_first(op: str, x: Tensor, dtype: Any) -> Tensor:
    """x in `dtype` before the op (PyTorch's and NumPy's `dtype=` of sum, prod, cumsum,
    softmax, ...: the input cast first, in the graph; to an integer dtype without gradient,
    as `to`), or x as it is where dtype is None."""
    return x if dtype is None else x.to(numeric_dtype(dtype, op))


def in_asked_dtype(op: str, out: Tensor, dtype: Any) -> Tensor:
    """A sum's or product's result in the `dtype=` asked for: NumPy adds small integers up
    in int64, where PyTorch's `sum(dtype=torch.int32)` gives int32 (no gradient to keep)."""
    if dtype is None or out.dtype == numeric_dtype(dtype, op):
        return out
    return out.to(numeric_dtype(dtype, op))


class _Reduction(Function, register=False):
    """What the reductions share: `x.op(axis=None, keepdims=False)`, or dim=/keepdim=;
    `dtype=`: x cast to it first (`cast_first`)."""

    @classmethod
    def call(cls, x, axis=None, keepdims=None, *, dim=None, keepdim=None, dtype=None):
        x = cast_first(cls.name, to_tensor(x), dtype)
        axis = reduced_axes(cls.name, axis, dim, x.ndim)
        return in_asked_dtype(cls.name, cls.apply(
            x, axis=axis, keepdims=keep_flag(cls.name, keepdims, keepdim)), dtype)


class Sum(_Reduction, methods=("sum",), functions=("sum",)):
    """Sum over `axis` (None: all), as NumPy's sum; the gradient is copied to each element.

    forward: `sum(x, axis)`
    gradient: `g` copied back along the summed axes
    """

    def forward(ctx, x, *, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        # (the ufunc's reduce, as np.sum's result: called from here, its inf - inf warning
        # is the package filter's, where np.sum's Python body would own it)
        return accumulated(np.add.reduce, signed(x), axis=axis, keepdims=keepdims)

    def backward(ctx, g):
        return np.broadcast_to(expand_reduced(g, ctx.shape, ctx.axis, ctx.keepdims), ctx.shape)

    def backward_graph(ctx, out, g):
        return reduced_to_kept(g, ctx.shape, ctx.axis).broadcast_to(ctx.shape)


class Mean(_Reduction, methods=("mean",), functions=("mean",)):
    """Mean over `axis` (None: all); each element gets 1/n of the gradient.

    forward: `mean(x, axis)`
    gradient: `g / n` copied back along the averaged axes (n entries averaged)
    """

    @classmethod
    def call(cls, x, axis=None, keepdims=None, *, dim=None, keepdim=None, dtype=None):
        if dtype is not None and numeric_dtype(dtype, cls.name).kind != "f":
            # (PyTorch refuses it; NumPy's mean of the entries cast first is another mean)
            raise RuntimeError(f"{cls.name}: dtype={numeric_dtype(dtype, cls.name)} is no "
                               f"float dtype: the entries would be cast to it before they "
                               f"are averaged (1.5 as 1); give a float dtype, or convert the "
                               f"mean afterwards (x.mean().long())")
        return super().call(x, axis, keepdims, dim=dim, keepdim=keepdim, dtype=dtype)

    def forward(ctx, x, *, axis=None, keepdims=False):
        if x.size == 0:  # the mean of nothing is NaN, as PyTorch's, without NumPy's warning
            out = np.sum(x, axis=axis, keepdims=keepdims) * np.nan
        else:
            out = accumulated(numpy_mean, x, axis=axis, keepdims=keepdims)
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        ctx.count = x.size // max(out.size, 1) if x.size else 1
        return out

    def backward(ctx, g):
        g = expand_reduced(g, ctx.shape, ctx.axis, ctx.keepdims) / ctx.count
        return np.broadcast_to(g, ctx.shape)

    def backward_graph(ctx, out, g):
        return (reduced_to_kept(g, ctx.shape, ctx.axis) / ctx.count).broadcast_to(ctx.shape)


class ValuesAndIndices(NamedTuple):
    """What `x.max(dim=1)`, `x.min(dim=1)`, `x.topk(k)` and `x.sort(dim=1)` give, as in
    PyTorch: the values (recorded ops) and the indices where they are (int64, no
    gradient); `values, indices = ...`."""

    values: Any
    indices: Any


class _FromOutput(_Reduction, register=False):
    """A reduction whose gradient is read from its input and its output: `out =
    reduce(x, axis, keepdims)` keeps both; backward gives `out` and `g` their reduced axes
    back and `chain(ctx, g, x, out)` makes the input's gradient (max, min, norm)."""

    def forward(ctx, x, *, axis=None, keepdims=False):
        out = type(ctx).reduce(x, axis=axis, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        out = expand_reduced(out, x.shape, ctx.axis, ctx.keepdims)
        g = expand_reduced(g, x.shape, ctx.axis, ctx.keepdims)
        return type(ctx).chain(ctx, g, x, out)


class _Extremum(_FromOutput, register=False):
    """max or min over axes; tied extremes share the gradient evenly, except where the
    indices are returned too (`dim=`): the gradient goes to the index given, as PyTorch's.

    PyTorch's `x.max(1)`, `x.max(dim=1)`, `x.max(1, keepdim=True)`, `tg.max(x, 1)` give
    values and indices (`ValuesAndIndices`); NumPy's `x.max(axis=1)` (and axes given as a
    tuple) the values. A position alone is read as PyTorch's: read as NumPy's axis,
    `out.max(1)[1]` (the predicted classes) would be silently a row of values, while a
    NumPy reader's `x.max(1) + 1` fails at once on the pair (`np.max(x, 1)` stays NumPy's).
    A tensor as the second argument (or `other=`) is PyTorch's `torch.max(a, b)`: the
    elementwise maximum, `tg.maximum(a, b)` (the minimum for min); a 0-d integer one given
    as `dim=`, or by position with keepdim, is an axis, as PyTorch's."""

    reduce = staticmethod(np.max)
    find = staticmethod(np.argmax)

    @classmethod
    def call(cls, x, dim=None, /, keepdim=None, *, axis=None, keepdims=None, other=None,
             **by_name):
        # dim by position may be torch's other (a tensor); dim= by name (`by_name`: a
        # keyword of a positional-only parameter's name) is an axis, as is a 0-d integer
        # tensor by position with keepdim: torch's
        if by_name:
            dim = cls._dim_by_name(dim, by_name)
        elif isinstance(dim, Tensor) and dim.ndim == 0 and keepdim is not None:
            dim = tensor_int(cls.name, "dim", dim, "an int")
        if isinstance(dim, (Tensor, np.ndarray)) or other is not None:
            return cls._elementwise(x, dim, other, keepdim, axis, keepdims)
        if isinstance(dim, (tuple, list)) and dim:  # several axes: NumPy's (torch has none)
            axis, dim = either(cls.name, "axis", axis, "dim", dim), None
        if dim is None or isinstance(dim, (tuple, list)):  # (dim=(): refused there)
            return super().call(x, axis, keepdims, dim=dim, keepdim=keepdim)
        x = to_tensor(x)
        axis = either(cls.name, "axis", axis, "dim", dim)
        keep = keep_flag(cls.name, keepdims, keepdim)
        if on_a_scalars_axis(cls.name, x, axis):  # (its one entry, at index 0; 0-d both)
            return as_scalars(cls.call(x.reshape(1), 0))
        axis = check_axis(cls.name, axis, x.ndim)
        indices = cls.find(x._data, axis=axis, keepdims=True) if x.shape[axis] else None
        values = cls.apply(x, axis=axis, keepdims=keep, at=indices)  # (an empty axis: refused)
        indices = indices if keep else np.squeeze(indices, axis)
        return ValuesAndIndices(values, Tensor.from_op(indices.astype(np.int64), None))

    @classmethod
    def _dim_by_name(cls, dim, by_name):
        """`dim=`, given by name (`by_name`), as an axis (a 0-d integer tensor's int); any
        other keyword, or dim given by position too, refused as Python refuses them."""
        unknown = sorted(set(by_name) - {"dim"})
        if unknown:  # (as Python's own words: restated by the name called)
            raise TypeError(f"{cls.__name__}.call() got an unexpected keyword argument "
                            f"{unknown[0]!r}")
        if dim is not None:
            raise TypeError(f"{cls.name}: got dim both by position and as dim=; give it once")
        dim = by_name["dim"]
        if isinstance(dim, np.ndarray):  # (refused as an axis everywhere, as torch's)
            raise TypeError(f"{cls.name}: dim must be an int, got ndarray {dim!r}; give the "
                            f"int itself (int(d))")
        return tensor_int(cls.name, "dim", dim, "an int") if isinstance(dim, Tensor) else dim

    @classmethod
    def _elementwise(cls, x, dim, other, *rest):
        """PyTorch's `torch.max(a, b)` (or `other=b`), b a tensor: the elementwise maximum,
        `tg.maximum(a, b)` (the minimum for min), gradient and all."""
        if dim is not None and other is not None or any(v is not None for v in rest):
            raise TypeError(f"{cls.name}: with a tensor as the second argument (or other=) it "
                            f"is the elementwise {cls.name}imum of two tensors, which takes no "
                            f"axis or keepdim; call tg.{cls.name}(a, b) alone")
        other = dim if other is None else other
        try:
            return getattr(to_tensor(x), f"{cls.name}imum")(other)
        except Exception as err:  # (a refusal of maximum's: said of max, the name called)
            raise respelled(err, f"{cls.name}imum", cls.name)

    def forward(ctx, x, *, axis=None, keepdims=False, at=None):
        # at: the indices along `axis` (kept) returned with the values, where the gradient goes
        ctx.at = at
        # an axis of length 0 has no extreme; the others may be empty (PyTorch's rule)
        axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
        empty = [a % x.ndim for a in axes if x.shape[a] == 0]
        if empty:  # (an empty tensor has an axis of length 0: no dim refuses it too)
            where = "the tensor" if axis is None else f"axis {empty[0]} of the tensor"
            raise EmptyReductionError(f"{ctx.name}: {where} of shape {x.shape} is empty, so it "
                                      f"has no {ctx.name}imum; reduce over axes of non-zero "
                                      f"length")
        return super().forward(x, axis=axis, keepdims=keepdims)

    def chain(ctx, g, x, out):
        if ctx.at is not None:  # PyTorch's rule with indices: the one returned gets it all
            hit = np.zeros(x.shape, bool)
            np.put_along_axis(hit, ctx.at, True, ctx.axis)
            return g * hit
        hit = x == out
        if out.dtype.kind == "f":  # a NaN is the extreme (NumPy's and PyTorch's): it gets g
            hit |= np.isnan(x) & np.isnan(out)
        return g * hit / hit.sum(axis=ctx.axis, keepdims=True)

    def backward_graph(ctx, out, g):  # (which entries are extreme is a step: constant shares)
        x, _ = ctx.saved_tensors
        shares = type(ctx).backward(ctx, np.ones(out.shape, x.dtype))
        return reduced_to_kept(g, x.shape, ctx.axis) * shares


class Max(_Extremum, methods=("max",), functions=("max",)):
    """Maximum over `axis` (NaN where a NaN is); tied maxima share the gradient evenly,
    except with `dim=` (values and indices): there the index returned gets it, as PyTorch's.

    forward: `max(x, axis)`
    gradient: `g` at the maximum, shared evenly by ties (with `dim=`: at the index returned)
    """


class Min(_Extremum, methods=("min",), functions=("min",)):
    """Minimum over `axis` (NaN where a NaN is); tied minima share the gradient evenly,
    except with `dim=` (values and indices): there the index returned gets it, as PyTorch's.

    forward: `min(x, axis)`
    gradient: `g` at the minimum, shared evenly by ties (with `dim=`: at the index returned)
    """

    reduce = staticmethod(np.min)
    find = staticmethod(np.argmin)


_SORT_KINDS = ("quicksort", "quick", "mergesort", "merge", "heapsort", "heap", "stable")


def sort_direction(op: str, third: Any, descending: Any = None) -> bool:
    """Whether sort or argsort puts the largest first, from its third positional argument
    (PyTorch's `descending`, a bool, or NumPy's `kind`, a string: every kind gives the
    same order here, ties in their order) or the keyword `descending=`."""
    if _is_sort_kind(third):
        third = None  # NumPy's kind: ascending, unless descending= says otherwise
    if third is not None and descending is not None:
        raise TypeError(f"{op}: descending given twice, as the third argument and by keyword; "
                        f"give it once")
    given = descending if third is None else third
    if given is None or isinstance(given, (bool, np.bool_)):
        return bool(given)
    raise TypeError(f"{op}: the third argument is PyTorch's descending (True or False) or "
                    f"NumPy's kind ({_KINDS_SHOWN}), got {type(given).__name__} {given!r}")


def check_sort_kind(op: str, kind: Any) -> None:
    """NumPy's `kind=` keyword: None or one of its sort kinds (all give the stable order)."""
    if kind is not None and not _is_sort_kind(kind):
        raise ValueError(f"{op}: kind={kind!r} is not one of NumPy's sort kinds; pass one of "
                         f"{_KINDS_SHOWN} (each gives the same stable order here)")


def _is_sort_kind(value: Any) -> bool:
    return isinstance(value, str) and value.lower() in _SORT_KINDS


_KINDS_SHOWN = "'quicksort', 'mergesort', 'heapsort', 'stable'"


def stable_order(data: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """The int64 indices that sort `data` along `axis`, ties in their order, also when
    descending, and NaN as the largest value (first when descending), as PyTorch's."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable").astype(np.int64)
    # the ascending order of the entries back to front, read backwards: ties keep their
    # order (no negation: -x keeps NaN last, and overflows the smallest integer)
    backwards = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return (data.shape[axis] - 1 - np.flip(backwards, axis)).astype(np.int64)


class Topk(TakeAlongAxis, methods=("topk",), functions=("topk",)):
    """The k largest entries along `dim` (the last by default), largest first, and where
    they are: values and indices (PyTorch's topk; `largest=False`: the k smallest,
    smallest first). Of tied entries the first comes first.

    forward: `take_along_axis(x, the indices of the k largest, dim)`
    gradient: `g` added into the positions read
    """

    @classmethod
    def call(cls, x, k, dim=None, largest=True, sorted=True, *, axis=None):  # noqa: A002
        x = to_tensor(x)
        dim = either(cls.name, "axis", axis, "dim", dim, -1)
        k = whole_k(cls.name, k)
        if on_a_scalars_axis(cls.name, x, dim):  # (k 0 too: a 0-d result holds one entry,
            if k not in (0, 1):  # as PyTorch's)
                raise KOutOfRangeError(f"topk: k must be 0 or 1 for a 0-d tensor (one entry), "
                                       f"got {k!r}")
            return as_scalars(cls.call(x.reshape(1), 1, 0))
        dim = one_axis(cls.name, dim, x.ndim) % x.ndim
        n = x.shape[dim]
        if not 0 <= k <= n:
            raise KOutOfRangeError(f"topk: k must be a whole number from 0 to {n} (the size of "
                                   f"axis {dim} of a tensor of shape {x.shape}), got {k!r}")
        indices = np.take(stable_order(x._data, dim, descending=largest), np.arange(k), axis=dim)
        return ValuesAndIndices(cls._gather(x, indices, dim), Tensor.from_op(indices, None))


class Sort(TakeAlongAxis, functions=("sort",)):
    """The entries sorted along `axis` (the last by default; None: the flattened tensor).
    NumPy's `np.sort(x, axis)` gives the sorted values; with PyTorch's keywords (`dim=`,
    `descending=`, `stable=`) the result is PyTorch's too: values and indices. The third
    argument is NumPy's `kind` (a string) or PyTorch's `descending` (a bool; the values
    only, as any call without those keywords). Ties keep their order (a stable sort,
    whatever `kind` says), descending too. The method `x.sort(dim=...)` is PyTorch's
    (see `spellings.py`: NumPy's sorts in place, which a tensor in a graph cannot).

    forward: `take_along_axis(x, argsort(x, axis), axis)`
    gradient: `g` added into the positions read
    """

    @classmethod
    def call(cls, x, axis=-1, kind=None, order=None, *, dim=None, descending=None,
             stable=None):
        x = to_tensor(x)
        if order is not None:
            raise ValueError("sort: order= sorts structured arrays by field; tensors have none")
        pytorch = dim is not None or descending is not None or stable is not None
        if dim is not None:
            if axis != -1:
                raise TypeError("sort: give axis= or dim=, not both")
            axis = dim
        if on_a_scalars_axis(cls.name, x, axis):
            return as_scalars(cls.call(x.reshape(1), kind=kind, dim=0, descending=descending,
                                       stable=stable) if pytorch else cls.call(x.reshape(1)))
        axis = one_axis(cls.name, axis, x.ndim, none_ok=True)
        if axis is None or x.ndim == 0:
            x, axis = x.reshape(-1), 0
        descending = sort_direction(cls.name, kind, descending)
        positions = stable_order(x._data, axis, descending=descending)
        values = cls._gather(x, positions, axis % x.ndim)
        return ValuesAndIndices(values, Tensor.from_op(positions, None)) if pytorch else values

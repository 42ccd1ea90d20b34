"""More reductions: var, std, prod, logsumexp, the Euclidean norm, the running sum cumsum
and its inverse, diff (differences of neighbours), and the running product cumprod.

All take `axis=`/`dim=` and `keepdims=`/`keepdim=` as sum does; prod, cumsum and cumprod
`dtype=` as sum does too (x cast to it first, PyTorch's and NumPy's). var and std divide by
n - ddof: NumPy's `ddof=` (default 0) or PyTorch's `correction=` (or `unbiased=`, also
as the second argument: `x.var(True)`; a negative correction divides by more than n).
The default follows the spelling: PyTorch's keywords (`dim=`, `keepdim=`,
`correction=`, `unbiased=`) give PyTorch's default (n - 1), otherwise NumPy's (n).
Where n - ddof <= 0 (an empty axis too) they give PyTorch's NaN or inf and its UserWarning,
in one line, not NumPy's RuntimeWarnings; with PyTorch's keywords so does a tensor with no
entries, as PyTorch's (its n: the entries per result, 0 there; NumPy's is silent), and
var_mean and std_mean say it under their own names (`warning_as`).
Each `backward_graph` (second derivatives) is its backward in Tensor ops on x and the
output: prod's and cumprod's without division too; where std's and norm's gradient is
the constant 0 (no spread, the norm 0: PyTorch's convention), its derivative is 0.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

import numpy as np

from ..engine import Function
from ..errors import ShapeError, user_stacklevel
from ..values import default_float
from .arguments import (Tensor, as_scalars, either, floating, ints, on_a_scalars_axis, one_axis,
                        reduced_axes, signed, tensor_number, to_tensor)
from .elementwise import Where
from .layout import Flip, Split
from .padding import Pad
from .reductions import (_FromOutput, _Reduction, accumulated, accumulator, cast_first,
                         expand_reduced, in_asked_dtype, keep_flag, reduced_to_kept)
from .shape import BroadcastTo, Concatenate


def _reduced_count(shape: tuple[int, ...], axis) -> int:
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


# the name a function made of var or std is called by (var_mean), for their warning
_called_as: ContextVar[str | None] = ContextVar("called_as", default=None)


@contextmanager
def warning_as(name: str) -> Iterator[None]:
    """var's and std's warning of no degrees of freedom said as `name`'s, the function the
    user called (var_mean, std_mean), inside this block."""
    token = _called_as.set(name)
    try:
        yield
    finally:
        _called_as.reset(token)


def _warn_no_freedom(name: str, shape: tuple[int, ...], axis: Any, n: int, ddof: Any) -> None:
    """PyTorch's UserWarning where n - correction <= 0 (its "degrees of freedom is <= 0"),
    in one line, said at the user's line (the innermost frame outside this package). `n`
    is the count of entries per result, PyTorch's: 0 in a tensor with no entries, whatever
    the length of the axes reduced."""
    where = ("all axes" if axis is None or len(shape) == 0 else f"dim {axis}"
             if isinstance(axis, int) else f"dims {tuple(axis)}")
    if n == 0 and _reduced_count(shape, axis):  # (an empty result, over axes of some length)
        said = (f"0 - {ddof:g} <= 0 over {where} of shape {tuple(shape)}, which has no entries "
                f"(n: the entries per result, as PyTorch counts), so the result is empty; give "
                f"a tensor with entries, or a correction below 0")
    else:
        said = (f"{n} - {ddof:g} <= 0 over {where} of shape {tuple(shape)}, so the result is NaN "
                f"or inf; reduce over more entries than the correction, or lower it")
    warnings.warn(f"{_called_as.get() or name}: degrees of freedom n - correction = {said}",
                  UserWarning, stacklevel=user_stacklevel())


def _narrowed(out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """`out`, worked out in `accumulator(x)`, in x's own dtype again (integers' and bools'
    in the default float, as their mean's)."""
    if accumulator(x) is None:
        return out if x.dtype.kind == "f" else out.astype(default_float(), copy=False)
    return out.astype(x.dtype)


class Var(Function, methods=("var",), functions=("var",)):
    """Variance over `axis`: mean of squared deviations, divided by n - ddof. Where
    n - ddof <= 0 the divisor is 0 (NumPy's max(n - ddof, 0), PyTorch's too): inf where
    there is spread, its gradient +-inf by the sign of x - mean, the limit as n - ddof
    falls to 0. PyTorch's (over a dim) divides by the negative n - ddof instead: finite
    numbers of the opposite sign, the derivative of no value its forward returns.

    forward: `sum((x - mean(x))**2, axis) / (n - ddof)`
    gradient: `2 * g * (x - mean(x)) / (n - ddof)`
    """

    @classmethod
    def call(cls, x, axis=None, ddof=None, keepdims=None, *, dim=None, keepdim=None,
             correction=None, unbiased=None):
        x = to_tensor(x)
        if isinstance(axis, (bool, np.bool_)):  # torch.var(x, True): the unbiased flag
            if unbiased is not None:
                raise TypeError(f"{cls.name}: unbiased given twice, as the second argument "
                                f"and by keyword; give it once")
            axis, unbiased = None, axis
        # (a tensor as the dim is PyTorch's spelling only: its correction of 1 by default)
        torch_style = isinstance(axis, Tensor) or any(
            v is not None for v in (dim, keepdim, correction, unbiased)) or isinstance(
            axis, (tuple, list)) and any(isinstance(a, Tensor) for a in axis)
        if unbiased is not None:
            if correction is not None:
                raise TypeError(f"{cls.name}: give correction= or unbiased=, not both")
            correction = 1 if unbiased else 0
        ddof = either(cls.name, "ddof", ddof, "correction", correction, 1 if torch_style else 0)
        if isinstance(ddof, Tensor):  # (a 0-d tensor for the number: torch's correction=)
            ddof = tensor_number(cls.name, "correction", ddof)
        if not isinstance(ddof, (int, float, np.number)):  # (a bool is PyTorch's unbiased)
            raise TypeError(f"{cls.name}: ddof (the third argument here; PyTorch's unbiased) "
                            f"must be a number, got {getattr(ddof, '__name__', repr(ddof))}; "
                            f"NumPy's third argument is dtype: cast first "
                            f"(x.to(np.float64).{cls.name}(0))")
        axis = reduced_axes(cls.name, axis, dim, x.ndim)
        keepdims = keep_flag(cls.name, keepdims, keepdim)
        return cls.apply(x, axis=axis, keepdims=keepdims, ddof=ddof, pytorch_n=torch_style)

    def forward(ctx, x, *, axis=None, keepdims=False, ddof=0, pytorch_n=False):
        return _narrowed(ctx.variance(x, axis=axis, keepdims=keepdims, ddof=ddof,
                                      pytorch_n=pytorch_n), x)

    def variance(ctx, x, *, axis=None, keepdims=False, ddof=0, pytorch_n=False):
        """The variance in `accumulator(x)` (float64 for float32 data), not cast back; saves
        `centred` (x less its mean) and sets ctx.divisor, ctx.axis and ctx.keepdims, which
        backward here and Std's rely on. `pytorch_n` (PyTorch's keywords): the warning of no
        degrees of freedom counts n as PyTorch's, 0 in a tensor with no entries."""
        wide = accumulator(x)  # float32 data: the deviations in float64, as PyTorch's
        work = x if wide is None else x.astype(wide)
        n = _reduced_count(x.shape, axis)
        counted = n if x.size or not pytorch_n else 0  # (NumPy's is silent for no entries)
        if counted - ddof <= 0:
            _warn_no_freedom(type(ctx).name, x.shape, axis, counted, ddof)
        if n:
            # the corrected two-pass: the mean's own rounding taken out (data far from 0,
            # such as 1e8 + noise, and a constant, whose deviations are then exactly 0); not
            # where it is not finite (an inf among the data: PyTorch's x - mean, inf kept)
            # (np.mean's Python body owns its overflow past 1e308: inf, as PyTorch's)
            with np.errstate(over="ignore", invalid="ignore"):
                centred = work - np.mean(work, axis=axis, keepdims=True)
                again = np.mean(centred, axis=axis, keepdims=True)
            centred -= np.where(np.isfinite(again), again, 0.0)
        else:  # (an empty axis: no mean to take out, nor NumPy's "Mean of empty slice" warning)
            centred = work.copy()
        # NumPy's max(n - ddof, 0): fewer values than ddof give NaN, not a sign flipped
        ctx.divisor = max(n - ddof, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.sum(centred * centred, axis=axis, keepdims=keepdims) / ctx.divisor
        if n == 0:  # PyTorch's NaN whatever the correction (a negative one: not NumPy's 0)
            out = np.full_like(out, np.nan)
        ctx.save_for_backward(centred)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out

    def backward(ctx, g):
        (centred,) = ctx.saved_tensors
        g = expand_reduced(g, centred.shape, ctx.axis, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2 * g * centred / ctx.divisor

    def backward_graph(ctx, out, g):
        (x,) = ctx.parents
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2 * reduced_to_kept(g, x.shape, ctx.axis) * ctx.centred(x) / ctx.divisor

    def centred(ctx, x):  # noqa: N805
        """`centred` of `variance` in Tensor ops: x less its mean, the mean's rounding taken
        out again (mathematically a no-op, so its derivative is the same)."""
        centred = x - x.mean(axis=ctx.axis, keepdims=True)
        again = centred.mean(axis=ctx.axis, keepdims=True)
        return centred - Where.call(np.isfinite(again._data), again, 0.0)


class Std(Var, methods=("std",), functions=("std",)):
    """Standard deviation over `axis`: the square root of var (same ddof rule).

    forward: `sqrt(var(x, axis, ddof))`
    gradient: `g * (x - mean(x)) / ((n - ddof) * out)` (0 where out is 0)
    """

    def forward(ctx, x, *, axis=None, keepdims=False, ddof=0, pytorch_n=False):
        # the root taken before the cast: float32's variance of data near 1e20 (or 1e-23)
        # overflows (underflows) where its square root does not
        out = _narrowed(np.sqrt(ctx.variance(x, axis=axis, keepdims=keepdims, ddof=ddof,
                                             pytorch_n=pytorch_n)), x)
        ctx.save_for_backward(*ctx.saved_tensors, out)  # (centred, out): writes to out are seen
        return out

    def backward(ctx, g):
        centred, out = ctx.saved_tensors
        out = expand_reduced(out.astype(centred.dtype, copy=False), centred.shape, ctx.axis,
                             ctx.keepdims)  # (float32's (n - ddof) * out could overflow)
        g = expand_reduced(g, centred.shape, ctx.axis, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            # no spread (every entry the mean): PyTorch's gradient 0, not 0/0
            return np.where(out == 0, 0, g * centred / (ctx.divisor * out))

    def backward_graph(ctx, out, g):
        (x,) = ctx.parents
        out, g = (reduced_to_kept(t, x.shape, ctx.axis) for t in (out, g))
        zero = out._data == 0  # (out as 1 there: no 0/0 in the next derivative either)
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = ctx.divisor * Where.call(zero, 1.0, out)
            return Where.call(zero, 0.0, g * ctx.centred(x) / spread)


def _exclusive_products(x, axis):
    """Per element, the product of the others along `axis` (no division: zeros are fine):
    the product of those before it times that of those after it. Of an array, or of a
    Tensor in recorded ops (Prod's backward_graph: cumprod's gives the next derivative)."""
    axes = tuple(range(x.ndim)) if axis is None else \
        ((axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % x.ndim for a in axes)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = x.transpose(tuple(kept + list(axes)))
    flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
    reverse = (lambda t: Flip.apply(t, axis=-1)) if isinstance(x, Tensor) else \
        (lambda a: a[..., ::-1])
    others = _products_before(flat) * reverse(_products_before(reverse(flat)))
    return others.reshape(moved.shape).transpose(tuple(np.argsort(kept + list(axes))))


def _products_before(flat):
    """The running product along the last axis, each entry's without itself (1 first)."""
    if isinstance(flat, Tensor):
        widths = ((0, 0),) * (flat.ndim - 1) + ((1, 0),)
        return Cumprod.apply(Pad.apply(flat[..., :-1], widths=widths, value=1.0), axis=-1)
    ones = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
    return np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)


class Prod(_Reduction, methods=("prod",), functions=("prod",)):
    """Product over `axis`; exact where some entries are 0 (no division by x).

    forward: `prod(x, axis)`
    gradient: `g * (product of the other entries)`
    """

    def forward(ctx, x, *, axis=None, keepdims=False):
        x = signed(x)
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdims = axis, keepdims
        return np.prod(x, axis=axis, keepdims=keepdims)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if x.size == 0:
            return np.zeros(x.shape, dtype=g.dtype)
        if x.ndim == 0 or ctx.axis == ():  # nothing multiplied: the identity
            return g
        g = expand_reduced(g, x.shape, ctx.axis, ctx.keepdims)
        return g * _exclusive_products(x, ctx.axis)

    def backward_graph(ctx, out, g):
        (x,) = ctx.parents
        if x.ndim == 0 or ctx.axis == ():  # nothing multiplied: the identity
            return g
        g = reduced_to_kept(g, x.shape, ctx.axis)
        return g * (_exclusive_products(x, ctx.axis) if x.size else np.zeros(x.shape, g.dtype))


class Logsumexp(_Reduction, methods=("logsumexp",), functions=("logsumexp",)):
    """ln(sum(e**x, axis)), shifted by the maximum so it never overflows.

    forward: `ln(sum(e**x, axis))`
    gradient: `g * e**(x - out)` (softmax of x along axis)
    """

    def forward(ctx, x, *, axis=None, keepdims=False):
        x = floating(x)  # (integers: float64; their max has no -inf to start from)
        top = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
        top = np.where(np.isfinite(top), top, 0)  # all -inf (or an inf): no shift
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out if keepdims else np.squeeze(out, axis=axis)

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        g = expand_reduced(g, x.shape, ctx.axis, ctx.keepdims)
        with np.errstate(invalid="ignore"):
            return g * np.exp(x - out)

    def backward_graph(ctx, out, g):
        (x,) = ctx.parents
        g, out = (reduced_to_kept(t, x.shape, ctx.axis) for t in (g, out))
        with np.errstate(invalid="ignore"):
            return g * (x - out).exp()


# The p-norm of other orders: composed_reductions.vector_norm, which sets it (it is made of
# ops composed above this module, as tg.linalg.vector_norm)
p_norm: Any = None


class Norm(_FromOutput, methods=("norm",), functions=("norm",)):
    """The Euclidean norm over `axis` (None: of every entry, a matrix's Frobenius norm):
    NumPy's `np.linalg.norm(x, ord=None, axis)`, PyTorch's `x.norm(p=2, dim)`. At 0,
    where it has no derivative, the gradient is 0 (PyTorch's). Other orders of a vector
    (inf, -inf, 0, 1, any p), or PyTorch's `p=` over any axes (the entries as one vector,
    as `torch.norm`), are `tg.linalg.vector_norm`'s, made of ops (`p_norm`). A matrix's
    other orders positionally or as `ord=` are refused: NumPy's matrix norm and PyTorch's
    are different numbers.

    forward: `sqrt(sum(x**2, axis))`
    gradient: `g * x / out` (0 where out is 0)
    """

    @classmethod
    def call(cls, x, ord=None, axis=None, keepdims=None, *, p=None, dim=None, keepdim=None):
        x = to_tensor(x)
        order = either(cls.name, "ord", ord, "p", p, None)
        axis = reduced_axes(cls.name, axis, dim, x.ndim)
        keepdims = bool(keep_flag(cls.name, keepdims, keepdim))
        vectors = x.ndim <= 1 or isinstance(axis, int)  # (ord=2 of a matrix is its largest
        if order in (None, "fro") or order == 2 and vectors:  # singular value in NumPy)
            return cls.apply(x, axis=axis, keepdims=keepdims)
        number = isinstance(order, (int, float, np.integer, np.floating)) and not isinstance(
            order, (bool, np.bool_))
        if not number or not (vectors or p is not None):
            raise ValueError(f"norm: ord={order!r} of shape {x.shape} over axis {axis} is "
                             f"NumPy's matrix norm or PyTorch's norm of the entries as one "
                             f"vector, different numbers; give p= for PyTorch's, or use "
                             f"tg.linalg.matrix_norm / tg.linalg.vector_norm")
        return p_norm(x, float(order), axis, keepdims, op=cls.name)

    @staticmethod
    def reduce(x, axis=None, keepdims=False):
        x = floating(x)  # (an integer's x * x would overflow its dtype: int8 100 * 100)
        # float16 and float32 squared and added up in float64 (`accumulator`), as PyTorch's
        # wider sum: float16 300**2 would be inf, 1e-4**2 zero; the result in x's dtype
        work = x.astype(accumulator(x) or x.dtype, copy=False)
        out = np.sqrt(np.sum(work * work, axis=axis, keepdims=keepdims))
        return out.astype(x.dtype, copy=False)

    def chain(ctx, g, x, out):
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * np.where(out == 0, 0.0, x / out)

    def backward_graph(ctx, out, g):
        (x,) = ctx.parents
        out, g = (reduced_to_kept(t, x.shape, ctx.axis) for t in (out, g))
        zero = out._data == 0  # (out as 1 there: no 0/0 in the next derivative, as Std's)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * Where.call(zero, 0.0, x / Where.call(zero, 1.0, out))


class Cumsum(Function, methods=("cumsum",), functions=("cumsum",)):
    """Running sum along `axis` (None: of the flattened tensor, as NumPy's).

    forward: `cumsum(x, axis)`
    gradient: the running sum of `g` from the end, along `axis`
    """

    @classmethod
    def call(cls, x, axis=None, dtype=None, *, dim=None):
        x = cast_first(cls.name, to_tensor(x), dtype)  # (NumPy's third argument, PyTorch's
        axis = either(cls.name, "axis", axis, "dim", dim)  # dtype=)
        if on_a_scalars_axis(cls.name, x, axis):
            return in_asked_dtype(cls.name, as_scalars(cls.apply(x.reshape(1), axis=0)), dtype)
        return in_asked_dtype(cls.name, cls.apply(
            x, axis=one_axis(cls.name, axis, x.ndim, none_ok=True)), dtype)

    def forward(ctx, x, *, axis=None):
        ctx.shape, ctx.axis = x.shape, axis
        return accumulated(np.cumsum, signed(x), axis=axis)

    def backward(ctx, g):
        axis = -1 if ctx.axis is None else ctx.axis
        reversed_sum = np.flip(np.cumsum(np.flip(g, axis), axis=axis, dtype=accumulator(g)),
                               axis)
        return reversed_sum.reshape(ctx.shape)

    def backward_graph(ctx, out, g):
        axis = -1 if ctx.axis is None else ctx.axis
        reversed_sum = Flip.apply(Cumsum.apply(Flip.apply(g, axis=axis), axis=axis), axis=axis)
        return reversed_sum.reshape(ctx.shape)


class Cumprod(Cumsum, methods=("cumprod",), functions=("cumprod",)):
    """Running product along `axis` (None: of the flattened tensor, as NumPy's).

    d out_j / d x_i (i <= j) is the product of x up to j without x_i: the product before
    i times the product after i up to j. So entry i of the gradient is the product before
    i times `t_i = g_i + x_(i+1) * t_(i+1)`, summed from the end: no division, so zeros
    (and tiny values) need no special case.

    forward: `cumprod(x, axis)`
    gradient: `prod(x before i) * sum over j >= i of g_j * prod(x after i up to j)`
    """

    def forward(ctx, x, *, axis=None):
        ctx.shape, ctx.axis = x.shape, axis
        out = accumulated(np.cumprod, signed(x), axis=axis)  # (float32: in float64, as
        ctx.save_for_backward(x, out)  # PyTorch's; its backward's recurrence too)
        return out

    def backward(ctx, g):
        wide = accumulator(g) or g.dtype
        x, out = (a.astype(wide, copy=False) for a in ctx.saved_tensors)
        axis = -1 if ctx.axis is None else ctx.axis
        x, out, g = (np.moveaxis(a.reshape(-1) if ctx.axis is None else a, axis, -1)
                     for a in (x, out, g.astype(wide, copy=False)))
        before = np.concatenate([np.ones_like(out[..., :1]), out[..., :-1]], axis=-1)
        from_end = np.empty_like(g)
        running = np.zeros_like(g[..., :1])
        for i in reversed(range(g.shape[-1])):
            following = x[..., i + 1:i + 2] * running if i + 1 < g.shape[-1] else 0
            running = g[..., i:i + 1] + following
            from_end[..., i:i + 1] = running
        return np.moveaxis(before * from_end, -1, axis).reshape(ctx.shape)  # (the engine
        # casts the gradient to x's dtype)

    def backward_graph(ctx, out, g):  # (the same recurrence, one piece along the axis at a time)
        (x,) = ctx.parents
        x = x.reshape(-1) if ctx.axis is None else x
        axis, n = (0, g.size) if ctx.axis is None else (ctx.axis % x.ndim, g.shape[ctx.axis])
        if n == 0:
            return g.reshape(ctx.shape)
        xs, gs = Split.call(x, 1, axis=axis), Split.call(g, 1, axis=axis)
        from_end = [gs[-1]]
        for i in reversed(range(n - 1)):
            from_end.append(gs[i] + xs[i + 1] * from_end[-1])
        widths = [(0, 0)] * x.ndim
        widths[axis] = (1, 0)
        before = Pad.apply(Split.apply(out, axis=axis, start=0, stop=n - 1),
                           widths=tuple(widths), value=1.0)
        return (before * Concatenate.call(from_end[::-1], axis=axis)).reshape(ctx.shape)


class Diff(Function, methods=("diff",), functions=("diff",)):
    """Differences of neighbours along `axis`, `x[1:] - x[:-1]`, taken `n` times (NumPy's
    diff(n, axis), PyTorch's diff(n, dim); cumsum undone). `prepend` and `append` (numbers
    or tensors) are joined on first, in the graph (unless n = 0).

    forward: `x[1:] - x[:-1]` along `axis`, `n` times
    gradient: `g[:-1] - g[1:]` along `axis` with a 0 at each end, `n` times
    """

    @classmethod
    def call(cls, x, n=1, axis=None, prepend=None, append=None, *, dim=None):
        x = to_tensor(x)
        if x.ndim == 0:
            raise ShapeError("diff: needs a tensor with at least one axis, got a scalar")
        axis = one_axis(cls.name, either(cls.name, "axis", axis, "dim", dim, -1), x.ndim) % x.ndim
        (n,) = ints(cls.name, (n,))
        if n < 0:
            raise ValueError(f"diff: n is how often to take differences, >= 0; got {n}")
        edge = x.shape[:axis] + (1,) + x.shape[axis + 1:]
        joined = [x]
        for name, part in (("prepend", prepend), ("append", append)):
            if part is None or n == 0:  # (no differences: x as it is, as NumPy and PyTorch)
                continue
            if not hasattr(part, "_data"):  # numbers and lists take x's float dtype (float32
                part = np.asarray(part, dtype=x.dtype if x.dtype.kind == "f"  # stays), else
                                  else default_float())  # the default float (of bools too)
            shape = np.shape(getattr(part, "_data", part))
            if len(shape) != x.ndim:  # a number: one per row
                try:
                    part = BroadcastTo.call(part, *edge)
                except ValueError:
                    raise ShapeError(f"diff: {name} of shape {shape} does not broadcast to "
                                     f"{edge} (x's shape, 1 along axis {axis})") from None
            joined.insert(0 if name == "prepend" else len(joined), part)
        if len(joined) > 1:
            x = Concatenate.call(joined, axis=axis)
        return cls.apply(x, n=n, axis=axis)

    def forward(ctx, x, *, n=1, axis=-1):
        ctx.n, ctx.axis = min(n, x.shape[axis]), axis  # (no differences left after that)
        return np.diff(x, n=n, axis=axis) if n else x.copy()  # (n = 0: NumPy's gives x)

    def backward(ctx, g):
        widths = [(0, 0)] * g.ndim
        widths[ctx.axis] = (1, 1)
        for _ in range(ctx.n):
            g = -np.diff(np.pad(g, widths), axis=ctx.axis)
        return g

    def backward_graph(ctx, out, g):
        widths = [(0, 0)] * g.ndim
        widths[ctx.axis] = (1, 1)
        for _ in range(ctx.n):
            g = -Diff.apply(Pad.apply(g, widths=tuple(widths)), n=1, axis=ctx.axis)
        return g

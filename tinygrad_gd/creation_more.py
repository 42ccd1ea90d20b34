"""PyTorch's remaining ways of making a tensor: `tg.empty_like`, `empty_permuted`,
`empty_strided` (and the Tensor method `new_empty_strided`), `asarray`, `vander`,
`nonzero_static` (also a Tensor method), `fill`, `zero_` and the random draws `poisson`
and `binomial`.

The empty ones are zeros here, as `tg.empty` is (never memory that was not written;
PyTorch's hold whatever was there), laid out as PyTorch lays them out: `empty_strided`
with the strides given (`x.stride()`), `empty_permuted` with its axes in memory in the
order given, `empty_like` as its input (memory_format=tg.preserve_format) or row by row
(tg.contiguous_format). They take PyTorch's `dtype=`, `device=` (the CPU), `layout=`
(tg.strided) and `requires_grad=`; `pin_memory=True` is refused (no GPU here).

In the graph (their gradients are those ops'): `fill(x, value)` is x's shape and dtype
filled with value, the op `where` (a gradient of zero for x, and the sum of the incoming
one for a 0-d value tensor that needs one, as PyTorch's); `vander(x)` is NumPy's and
PyTorch's Vandermonde matrix, powers decreasing unless `increasing=True` (the cumprod of
tg.linalg.vander, whose powers increase, then flip). `asarray` gives a tensor itself where
no copy is needed (its graph kept, as tg.as_tensor does; `requires_grad=` given sets that
tensor's own flag, as PyTorch's) and copies other data (a NumPy array too: tinygrad_gd
never shares an array's memory, so `copy=False` there is refused).
`zero_(x)` is `x.zero_()`; `nonzero_static` the indices of the nonzero entries as rows,
cut or padded to `size` rows; `poisson` a count drawn for each rate and `binomial` one
for each count and probability, from `generator=` or tg.manual_seed's generator, a new
leaf without gradient (PyTorch's gradient is zero).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import functional
from .creation import _GIVEN, _INFERRED, _dtype, _filled, _hint, _leaf, _sizes, _whole, \
    make_generator
from .creation_arguments import check_layout
from .errors import GradientDtypeError
from .grad_mode import check_flag
from .in_place import scalar, shown
from .linalg import vander as _increasing_vander
from .memory import distinct_entries, strides_given
from .memory_formats import check_memory_format, copy_strides, laid_out
from .nn.layer_arguments import _as_tensor
from .ops.arguments import integer
from .tensor import Tensor, _raw
from .torch_functions_more import _method
from .values import check_cpu

__all__ = ["empty_like", "empty_permuted", "empty_strided", "zero_", "fill", "nonzero_static",
           "vander", "asarray", "poisson", "binomial"]


# -- empty tensors: zeros, laid out as PyTorch's ---------------------------------------------
def _placed(where: str, device: Any, layout: Any, pin_memory: Any) -> None:
    """The keywords that say where the values live: the CPU, strided, not pinned."""
    check_cpu(device, f"{where}()")
    check_layout(layout, f"{where}()")
    if check_flag(where, "pin_memory", pin_memory):
        raise RuntimeError(f"{where}: pin_memory=True pins memory for copies to a GPU, and "
                           f"there is none here; leave pin_memory out")


def empty_like(input: Any, *, dtype: Any = None, layout: Any = None,  # noqa: A002
               device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    """A tensor of input's shape and dtype (or `dtype=`) to be filled (PyTorch's
    empty_like): zeros here, never memory that was not written. Laid out as input is
    (memory_format=tg.preserve_format, the default: a transposed input gives transposed
    strides) or row by row (tg.contiguous_format); a new leaf."""
    _placed("empty_like", device, layout, False)
    data = _raw(_as_tensor("empty_like", input))
    form = check_memory_format("empty_like", memory_format, data.ndim)
    out = _dtype(data.dtype if dtype is None else dtype, "empty_like")
    values = laid_out(np.zeros(data.shape, out), copy_strides("empty_like", data, form))
    return _leaf(values, check_flag("empty_like", "requires_grad", requires_grad),
                 "empty_like", _hint(dtype, data.dtype))


def empty_permuted(size: Any, physical_layout: Any, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, requires_grad: bool = False,
                   pin_memory: bool = False) -> Tensor:
    """A tensor of shape `size` to be filled, its axes laid out in memory in the order
    `physical_layout` (outermost first: (0, 2, 3, 1) is NHWC for NCHW sizes), PyTorch's
    empty_permuted: `x.stride(physical_layout[i])` is the i-th stride of a row-by-row
    array of the permuted sizes. Zeros here (PyTorch's hold whatever was in memory); the
    default float unless `dtype=`; a new leaf."""
    name = "empty_permuted"
    _placed(name, device, layout, pin_memory)
    shape = _sizes(name, (size,))
    order = tuple(integer(name, "physical_layout", d) for d in (
        physical_layout if isinstance(physical_layout, (tuple, list)) else (physical_layout,)))
    if sorted(order) != list(range(len(shape))):
        raise RuntimeError(f"{name}: physical_layout {order} must name each of the "
                           f"{len(shape)} axes of size {shape} once (0 to {len(shape) - 1}, "
                           f"outermost first), e.g. {tuple(range(len(shape)))}")
    physical = np.zeros(tuple(shape[d] for d in order), _dtype(dtype, name))
    return _leaf(physical.transpose(np.argsort(order)), check_flag(
        name, "requires_grad", requires_grad), name)


def _strided(where: str, size: Any, stride: Any, dtype: np.dtype,
             requires_grad: bool) -> Tensor:
    """Zeros of `size` with the strides `stride` (in entries) over a storage just large
    enough, as PyTorch's empty_strided lays them out; where strides overlap (a stride 0)
    the values cannot be written, as as_strided's."""
    shape = _sizes(where, (size,))
    steps = tuple(integer(where, "stride", s) for s in (
        stride if isinstance(stride, (tuple, list)) else (stride,)))
    if len(steps) != len(shape):
        raise RuntimeError(f"{where}: size {shape} has {len(shape)} axes and stride {steps} "
                           f"{len(steps)}; give one stride per axis")
    if min(steps, default=0) < 0:
        raise RuntimeError(f"{where}: strides must be >= 0, got {steps}")
    room = 1 + sum((n - 1) * s for n, s in zip(shape, steps)) if all(shape) else 0
    storage = strides_given(np.zeros(room, dtype))  # (empty: its views keep the strides)
    values = np.ndarray(shape, dtype, buffer=storage,
                        strides=tuple(s * storage.itemsize for s in steps))
    if not distinct_entries(values):
        values.flags.writeable = False  # (a write into one entry would change another)
    return _leaf(values, check_flag(where, "requires_grad", requires_grad), where)


def empty_strided(size: Any, stride: Any, *, dtype: Any = None, layout: Any = None,
                  device: Any = None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """A tensor of shape `size` whose entries lie `stride` entries apart along each axis
    (PyTorch's empty_strided: `x.stride()` is `stride`), to be filled: zeros here (PyTorch's
    hold whatever was in memory), the default float unless `dtype=`; a new leaf. Strides
    that reach one entry from several places (a stride 0) make values that cannot be
    written (PyTorch's writes there are undefined)."""
    _placed("empty_strided", device, layout, pin_memory)
    return _strided("empty_strided", size, stride, _dtype(dtype, "empty_strided"),
                    requires_grad)


def _new_empty_strided(self: Tensor, size: Any, stride: Any, *, dtype: Any = None,
                       device: Any = None, requires_grad: bool = False, layout: Any = None,
                       pin_memory: bool = False) -> Tensor:
    """PyTorch's `x.new_empty_strided(size, stride)`: `tg.empty_strided(size, stride)` of
    x's dtype (or dtype=); zeros here; no gradient unless requires_grad=True."""
    _placed("new_empty_strided", device, layout, pin_memory)
    return _strided("new_empty_strided", size, stride,
                    _dtype(self.dtype if dtype is None else dtype, "new_empty_strided"),
                    requires_grad)


# -- filled, in the graph ----------------------------------------------------------------------
def zero_(input: Any) -> Tensor:  # noqa: A002  (PyTorch's names)
    """Every value of input set to 0 in place; returns input (PyTorch's torch.zero_, which
    is `input.zero_()`: refused for a leaf that requires a gradient, outside no_grad)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"zero_: expected a tensor to write into, got {shown(input)}")
    return input.zero_()


def fill(input: Any, value: Any) -> Tensor:  # noqa: A002
    """A new tensor of input's shape and dtype with every entry `value` (PyTorch's
    torch.fill, out of place; `x.fill(v)` is NumPy's, in place). value is one number or a
    0-d tensor, cast to input's dtype (2.7 gives 2 in an integer tensor; a value the dtype
    cannot hold is refused). In the graph: where(True, value, input), so input gets a
    gradient of zero and a 0-d value that requires a gradient the sum of the incoming one."""
    x = _as_tensor("fill", input)
    value = scalar("fill", "value", value)
    if isinstance(value, Tensor) and value.requires_grad:
        filler = value if value.dtype == x.dtype else value.to(x.dtype)
    else:
        filler = _filled("fill", ((),), np.asarray(_raw(value)), x.dtype, False,
                         "fill a float64 tensor (input.to(tg.float64))")
    everywhere = Tensor.from_op(np.broadcast_to(np.True_, x.shape), None)
    return functional.where(everywhere, filler, x)


def vander(x: Any, N: Any = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of a 1-d x (NumPy's and PyTorch's torch.vander): row i holds
    x[i] ** (N - 1), ..., x[i], 1 (N columns, default len(x)), or 1, x[i], ..., x[i] **
    (N - 1) with increasing=True. Integers and bools give int64, floats keep their dtype,
    as PyTorch's. In the graph: tg.linalg.vander's cumprod (exact at 0), flipped unless
    increasing. (tg.linalg.vander is PyTorch's other one: powers increasing, any batch.)"""
    name = "vander"
    x = _as_tensor(name, x)
    if x.ndim != 1:
        raise RuntimeError(f"{name}: x must be a 1-d tensor, got shape {x.shape}; give a "
                           f"vector (x.reshape(-1))")
    count = x.shape[0] if N is None else integer(name, "N", N)
    if count < 0:
        raise ValueError(f"{name}: N (the number of columns) must be >= 0, got {count}")
    if x.dtype.kind != "f":
        x = x.to(np.int64)  # (PyTorch's: integers and bools as int64)
    if count <= 1:  # (no column but the ones: a constant, as PyTorch's)
        return Tensor.from_op(np.ones((x.shape[0], count), x.dtype), None)
    powers = _increasing_vander(x, N=count)
    return powers if check_flag(name, "increasing", increasing) else powers.flip(-1)


# -- indices, conversions, draws ---------------------------------------------------------------
def nonzero_static(input: Any, *, size: Any, fill_value: Any = -1) -> Tensor:  # noqa: A002
    """The indices of input's nonzero entries (NaN counts), one row each in C order
    (PyTorch's nonzero_static): exactly `size` rows, the first ones if there are more,
    padded with rows of fill_value if fewer; int64 of shape (size, input.ndim), no
    gradient."""
    name = "nonzero_static"
    x = _as_tensor(name, input)
    rows = integer(name, "size", size)
    if rows < 0:
        raise RuntimeError(f"{name}: size (the number of rows) must be >= 0, got {rows}")
    fill_value = integer(name, "fill_value", fill_value)
    found = np.argwhere(_raw(x)).astype(np.int64)  # (n, ndim): a 0-d input (n, 0)
    out = np.full((rows, x.ndim), fill_value, np.int64)
    out[:min(rows, len(found))] = found[:rows]
    return Tensor.from_op(out, None)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: Any = None,
            requires_grad: Any = None) -> Tensor:
    """obj as a tensor (PyTorch's torch.asarray). A tensor is returned itself where no copy
    is needed (its graph kept); with another `dtype` it is cast (in the graph to a float
    dtype), with copy=True cloned. `requires_grad` None (PyTorch 2.13's default) keeps a
    tensor's (so an integer `dtype` of a tensor that requires a gradient is refused, as
    PyTorch's); given, it is PyTorch's: where no copy is needed, False turns a leaf's own
    flag off (obj itself returned) and gives a non-leaf detached, sharing its values, and
    True turns obj's own flag on; a copy given False is detached, a copy given True keeps
    obj's graph, or is a new leaf that requires a gradient where obj needs none. Other data
    (numbers, lists, NumPy arrays) is copied with tg.as_tensor's dtypes (whole numbers
    int64, floats the default float, an array its own); copy=False is refused for them
    (tinygrad_gd never shares a NumPy array's memory, where PyTorch's does)."""
    name = "asarray"
    check_cpu(device, f"{name}()")
    copy = None if copy is None else check_flag(name, "copy", copy)
    grad = None if requires_grad is None else check_flag(name, "requires_grad",
                                                         requires_grad)
    if not isinstance(obj, Tensor):
        if copy is False and isinstance(obj, np.ndarray):
            raise ValueError(f"{name}: copy=False asks to share the NumPy array's memory, "
                             f"which tinygrad_gd never does (a tensor's values are its own, "
                             f"so a later write into the array cannot bypass the graph); "
                             f"leave copy out for a copy")
        if copy is False:
            raise ValueError(f"{name}: copy=False, but {shown(obj)} is no tensor: its values "
                             f"must be copied into a new one; leave copy out")
        return _whole(obj, dtype, bool(grad), f"{name}()")
    wanted = obj.dtype if dtype is None else _dtype(dtype, name)
    if copy is False and wanted != obj.dtype:
        raise ValueError(f"{name}: copy=False, but dtype {wanted} differs from the tensor's "
                         f"{obj.dtype}, which takes a copy; leave copy out, or the dtype")
    if grad and wanted.kind != "f":
        raise GradientDtypeError(f"{name}: requires_grad=True needs a float dtype, got "
                                 f"{wanted}; {_GIVEN if dtype is not None else _INFERRED}")
    if grad is None and obj.requires_grad and wanted.kind != "f":  # (PyTorch's refusal too)
        raise GradientDtypeError(f"{name}: requires_grad left out keeps obj's (True), which a "
                                 f"{wanted} result cannot carry; pass requires_grad=False for a "
                                 f"copy without gradient")
    if wanted == obj.dtype and not copy:  # obj itself, its own flag set as PyTorch's
        if grad is None or grad == obj.requires_grad:
            return obj
        return obj.requires_grad_(grad) if grad or obj.is_leaf else obj.detach()
    out = obj.detach() if grad is False else obj
    out = out.to(wanted) if wanted != out.dtype else out.clone()
    return out.requires_grad_(True) if grad and not out.requires_grad else out


def poisson(input: Any, generator: Any = None) -> Tensor:  # noqa: A002
    """A count drawn from the Poisson distribution of each rate in input (PyTorch's
    torch.poisson), in input's shape and float dtype, from `generator=` (a
    np.random.Generator, tg.Generator), else tg.manual_seed's generator, else fresh
    entropy. Rates must be >= 0 and within NumPy's draw (below about 9.2e18; PyTorch's
    gives garbage there). A new leaf: no gradient (PyTorch's is zero)."""
    name = "poisson"
    x = _as_tensor(name, input)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: input holds the rates, so it must be a float tensor, got "
                        f"dtype {x.dtype}; give floats (x.to(tg.float64))")
    rates = _raw(x).astype(np.float64)
    bad = rates[~(rates >= 0)]  # (NaN fails the test too)
    if bad.size:
        raise ValueError(f"{name}: rates must be >= 0, got {bad.flat[0].item()!r}")
    rng = make_generator(None, generator, name)
    try:
        counts = np.asarray(rng.poisson(rates))
    except ValueError:
        raise ValueError(f"{name}: a rate of {rates.max().item()!r} is too large to draw from "
                         f"(NumPy's limit is about 9.2e18); give smaller rates") from None
    return _leaf(counts.astype(x.dtype), False, name)



def binomial(count: Any, prob: Any, generator: Any = None) -> Tensor:
    """The number of successes in `count` trials of probability `prob`, for each pair of
    entries (broadcast; PyTorch's torch.binomial), in count's float dtype, from
    `generator=` (a np.random.Generator, tg.Generator), else tg.manual_seed's generator,
    else fresh entropy. Counts must be whole numbers >= 0 and probabilities in [0, 1]
    (PyTorch's draws garbage outside them). A new leaf: no gradient."""
    name = "binomial"
    counts, chances = _as_tensor(name, count, what="count"), _as_tensor(name, prob,
                                                                         what="prob")
    if counts.dtype.kind != "f" or chances.dtype.kind != "f":
        raise TypeError(f"{name}: count and prob must be float tensors (PyTorch's), got "
                        f"dtypes {counts.dtype} and {chances.dtype}; convert them first "
                        f"(count.to(tg.float64))")
    n, p = _raw(counts).astype(np.float64), _raw(chances).astype(np.float64)
    try:
        shape = np.broadcast_shapes(n.shape, p.shape)
    except ValueError:
        raise ValueError(f"{name}: count of shape {n.shape} and prob of shape {p.shape} do "
                         f"not broadcast; give matching shapes") from None
    bad = n[~((n >= 0) & (n == np.floor(n)) & (n < 2 ** 63))]
    if bad.size:
        raise ValueError(f"{name}: counts must be whole numbers >= 0, got "
                         f"{bad.flat[0].item()!r}")
    bad = p[~((p >= 0) & (p <= 1))]
    if bad.size:
        raise ValueError(f"{name}: probabilities must be in [0, 1], got "
                         f"{bad.flat[0].item()!r}")
    rng = make_generator(None, generator, name)
    drawn = np.asarray(rng.binomial(np.broadcast_to(n, shape).astype(np.int64),
                                    np.broadcast_to(p, shape)))
    return _leaf(drawn.astype(counts.dtype), False, name)


Tensor.nonzero_static = _method(nonzero_static)
_new_empty_strided.__name__ = _new_empty_strided.__qualname__ = "new_empty_strided"
Tensor.new_empty_strided = _new_empty_strided

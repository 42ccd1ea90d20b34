"""Images: `conv2d`, `max_pool2d` and `avg_pool2d` over (batch, channels, height, width).

Each slides a kernel-sized window over the padded image with a stride; a `dilation` d puts
the kernel's entries d apart (a window spans d * (k - 1) + 1 positions). A convolution's
output at a window is the sum of the window times the weight (one filter per output
channel; with `groups`, each output channel sees only its group's input channels), so its
backward gives the weight the sum over windows of g times the window, and gives each
window's input positions g times the weight, added up where windows overlap. A max pool's
output is each window's largest entry, the one PyTorch's index names (the first of tied
maxima in row-major order, the last NaN where there is one), and its backward gives g to
that entry. An average pool's is the window's sum over PyTorch's divisor, and its backward
gives g / divisor to every entry of the window; both add up where windows overlap.
`ceil_mode` adds a last window that runs past the padding (where it starts inside the
image or its left padding), as PyTorch's. The pools also take one image (channels, height,
width), as PyTorch's: a batch of one, added and removed in the graph. `single`, `pair`,
`conv_padding`, `conv_groups` and `divisor_or_none` read PyTorch's arguments, for `nn`'s 1-d
functions and layers too; `pool_count` its number of windows, `padding_only` whether a
dilated window holds nothing but padding, and `window_argmax` its choice among tied maxima.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..engine import Function
from ..grad_mode import check_flag
from .arguments import Tensor, integer, ints, to_tensor


def sizes(op: str, name: str, value: Any, n: int, low: int = 1) -> tuple[int, ...]:
    """An int (each of the n axes alike) or n ints, as PyTorch's kernel_size, stride,
    padding of an n-d op: each at least `low` (1; 0 for a padding)."""
    if isinstance(value, (bool, np.bool_)):  # (an int to Python, surely a slip: as `single`)
        raise TypeError(f"{op}: {name} must be an int or {_n_ints(n)}, got bool {value!r}")
    values = ints(op, (value,)) if not isinstance(value, (int, np.integer)) else (int(value),)
    if len(values) == 1:
        values = values * n
    if len(values) != n or min(values) < low:
        raise ValueError(f"{op}: {name} must be an int or {_n_ints(n)} >= {low}, got "
                         f"{value!r}")
    return values


def _n_ints(n: int) -> str:
    return "a pair of ints" if n == 2 else f"{n} ints"


def pair(op: str, name: str, value: Any, low: int = 1) -> tuple[int, int]:
    """An int or a pair of ints (height, width): `sizes` of a 2-d op."""
    height, width = sizes(op, name, value, 2, low)
    return height, width


def single(op: str, name: str, value: Any, low: int = 1) -> int:
    """An int, or a 1-tuple of one (PyTorch's 1-d kernel_size, stride, padding), >= low."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        try:
            values = ints(op, (value,))
        except TypeError:
            values = ()
        if len(values) != 1:
            raise TypeError(f"{op}: {name} must be an int or a tuple of one int, got "
                            f"{type(value).__name__} {value!r}")
        value = values[0]
    if value < low:
        raise ValueError(f"{op}: {name} must be >= {low}, got {value!r}")
    return int(value)


def spans(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[int, ...]:
    """How many positions a kernel spans on each axis: d * (k - 1) + 1."""
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))


def conv_padding(op: str, padding: Any, kernel: tuple[int, ...], stride: tuple[int, ...],
                 dilation: tuple[int, ...] | None = None) -> tuple[tuple[int, int], ...]:
    """The zeros a convolution over len(kernel) axes adds before and after each: numbers
    (each side alike; 1 axis: an int, `single`; n: an int or n ints, `sizes`: (height,
    width) for 2), or PyTorch's strings "valid" (none) and "same" (the output keeps the
    input's size; stride 1 only; d * (k - 1) zeros per axis, the odd one after: bottom and
    right, as PyTorch's). The messages name a 1-d stride as an int, as PyTorch's conv1d
    takes it."""
    n, one = len(kernel), len(kernel) == 1
    if not isinstance(padding, str):
        pads = (single(op, "padding", padding, low=0),) if one else \
            sizes(op, "padding", padding, n, low=0)
        return tuple((p, p) for p in pads)
    if padding not in ("valid", "same"):
        numbers = " or an int" if one else f", an int or {_n_ints(n)}"
        raise ValueError(f"{op}: padding {padding!r} is not one of PyTorch's strings; use "
                         f"'valid', 'same'{numbers}")
    if padding == "same" and any(step != 1 for step in stride):
        raise ValueError(f"{op}: padding='same' needs stride 1 (as in PyTorch), got "
                         f"stride={stride[0] if one else stride}; give the padding as "
                         f"{'an int' if one else 'numbers'} for a strided convolution")
    if padding == "valid":
        return ((0, 0),) * n
    totals = [span - 1 for span in spans(kernel, dilation or (1,) * n)]
    return tuple((total // 2, total - total // 2) for total in totals)


def conv_groups(op: str, groups: Any, weight_shape: tuple[int, ...]) -> int:
    """A convolution's `groups`: an int >= 1 dividing the weight's out_channels (axis 0)."""
    groups = integer(op, "groups", groups)
    if groups < 1 or weight_shape and weight_shape[0] % groups:
        raise ValueError(f"{op}: groups={groups} must be >= 1 and divide the weight's "
                         f"out_channels (axis 0 of weight shape {weight_shape})")
    return groups


def divisor_or_none(op: str, divisor_override: Any) -> int | None:
    """An average pool's `divisor_override`: None (the window's size), or a non-zero int."""
    if divisor_override is None:
        return None
    if integer(op, "divisor_override", divisor_override) == 0:
        raise ValueError(f"{op}: divisor_override must not be 0; give None for the window's "
                         f"size")
    return int(divisor_override)


def pool_count(size: int, kernel: int, stride: int, padding: int, dilation: int = 1,
               ceil_mode: bool = False) -> int:
    """PyTorch's number of windows of a pool along an axis (below 1: none fits). With
    ceil_mode the last, partial window counts, unless it would start past the image and
    its left padding."""
    reach = size + 2 * padding - spans((kernel,), (dilation,))[0]
    count = (reach + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return count


def padding_only(size: int, kernel: int, stride: int, padding: int, dilation: int,
                 count: int) -> bool:
    """Whether one of the `count` windows along an axis holds nothing but padding: a
    dilated kernel may step over an image smaller than its gaps (PyTorch's max pool gives
    -inf there, and an index outside the image)."""
    positions = (np.arange(count) * stride - padding)[:, None] + np.arange(kernel) * dilation
    return not ((positions >= 0) & (positions < size)).any(axis=1).all()


class _Grid(NamedTuple):
    """Where the windows of an op lie: per axis (height, width) the kernel, stride and
    dilation, the number of windows `counts`, and the padding (before, after) `sides`,
    the after side long enough for every window (ceil_mode's last one too)."""
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    counts: tuple[int, int]
    sides: tuple[tuple[int, int], tuple[int, int]]


def _grid(kernel: tuple, stride: tuple, dilation: tuple, counts: tuple, before: tuple,
          size: tuple) -> _Grid:
    after = tuple(max(0, (c - 1) * s + span - n - b) for c, s, span, n, b in
                  zip(counts, stride, spans(kernel, dilation), size, before))
    return _Grid(kernel, stride, dilation, counts, tuple(zip(before, after)))


def _windows(padded: np.ndarray, grid: _Grid) -> np.ndarray:
    """Every window of the padded image, (N, C, out_h, out_w, kh, kw): views."""
    views = sliding_window_view(padded, spans(grid.kernel, grid.dilation), axis=(2, 3))
    views = views[:, :, ::grid.stride[0], ::grid.stride[1]]
    if grid.dilation != (1, 1):
        views = views[..., ::grid.dilation[0], ::grid.dilation[1]]
    return views[:, :, :grid.counts[0], :grid.counts[1]]


def _add_windows(target: np.ndarray, per_window: np.ndarray, grid: _Grid) -> None:
    """Add each window's values (N, C, out_h, out_w, kh, kw) back where the window lies."""
    (out_h, out_w), (sh, sw), (dh, dw) = grid.counts, grid.stride, grid.dilation
    for i in range(grid.kernel[0]):
        for j in range(grid.kernel[1]):
            target[:, :, i * dh:i * dh + sh * out_h:sh,
                   j * dw:j * dw + sw * out_w:sw] += per_window[..., i, j]


def _padded(x: np.ndarray, sides: tuple, value: Any = 0.0) -> np.ndarray:
    """x with (before, after) entries of `value` around its height and width."""
    return np.pad(x, ((0, 0), (0, 0)) + sides, constant_values=value) \
        if any(sides[0] + sides[1]) else x


def _check_image(op: str, x: Any, one: bool = True) -> None:
    """A batch of images, or (`one`: a pool's) one image too."""
    if x.ndim == 4 or one and x.ndim == 3:
        return
    if one:
        raise ValueError(f"{op}: expected a batch of images of shape (batch, channels, height, "
                         f"width) or one image (channels, height, width), got shape {x.shape}")
    raise ValueError(f"{op}: expected a batch of images of shape (batch, channels, height, "
                     f"width), got shape {x.shape}; add the batch axis with x.unsqueeze(0)")


def _batched(x: Tensor, run: Any) -> Any:
    """run(x) of a batch of images; of one image (channels, height, width), as PyTorch's:
    run on a batch of one, the batch axis removed again from the result (from values and
    indices), in the graph."""
    if x.ndim == 4:
        return run(x)
    out = run(x.unsqueeze(0))
    return tuple(part.squeeze(0) for part in out) if isinstance(out, tuple) else out.squeeze(0)


def _check_counts(op: str, x: Any, counts: tuple, kernel: tuple, dilation: tuple,
                  padding: Any) -> None:
    if min(counts) < 1:
        dilated = "" if dilation == (1, 1) else \
            f" dilated by {dilation} (spanning {spans(kernel, dilation)})"
        raise ValueError(f"{op}: a kernel of {kernel}{dilated} does not fit an image of "
                         f"{x.shape[-2:]} padded by {padding}")


def _einsum(spec: str, a: np.ndarray, b: np.ndarray, groups: int) -> np.ndarray:
    """np.einsum of a convolution's terms (n: batch, c: input channels, o: output
    channels), each term's channel axis split into `groups` where groups > 1: the result
    of each group from its own channels, the groups joined again."""
    if groups == 1:
        return np.einsum(spec, a, b, optimize=True)

    def split(term: str) -> int:  # the channel axis: o of a weight (ocij), else c or o
        return min(term.index(letter) for letter in "oc" if letter in term)

    terms, result = spec.split("->")
    operands, grouped = [], []
    for term, array in zip(terms.split(","), (a, b)):
        at = split(term)
        grouped.append(term[:at] + "g" + term[at:])
        operands.append(array.reshape(array.shape[:at] + (groups, array.shape[at] // groups)
                                      + array.shape[at + 1:]))
    at = split(result)
    out = np.einsum(",".join(grouped) + "->" + result[:at] + "g" + result[at:], *operands,
                    optimize=True)
    return out.reshape(out.shape[:at] + (out.shape[at] * out.shape[at + 1],)
                       + out.shape[at + 2:])


class Conv2d(Function, name="conv2d", functions=("conv2d",)):
    """2-D convolution (PyTorch's F.conv2d, a cross-correlation): weight of shape
    (out_channels, in_channels / groups, kh, kw), bias of (out_channels,), `stride` and
    `dilation` an int or a (height, width) pair, `padding` (zeros) too, or PyTorch's
    "valid" or "same" (see `conv_padding`); `groups` splits the channels, output channel o
    seeing only its group's in_channels / groups inputs.

    forward: `out[n, o] = sum over c, i, j of window[n, c, i, j] * w[o, c, i, j] (+ b[o])`
    gradient: `sum of g * window` for w, `g @ w` added back over the windows for x, `sum(g)` for b
    """

    @classmethod
    def call(cls, input, weight, bias=None, stride=1, padding=0, dilation=1,  # noqa: A002
             groups=1):  # (PyTorch's names)
        x, weight = to_tensor(input), to_tensor(weight)
        stride = pair(cls.name, "stride", stride)
        dilation = pair(cls.name, "dilation", dilation)
        groups = conv_groups(cls.name, groups, weight.shape)
        channels = x.shape[1] if x.ndim == 4 else "?"
        if weight.ndim != 4 or x.ndim == 4 and weight.shape[1] * groups != channels:
            per_group = "" if groups == 1 else " / groups"
            raise ValueError(f"conv2d: weight of shape {weight.shape} must be (out_channels, "
                             f"in_channels{per_group}, kh, kw) with in_channels = the "
                             f"input's {channels} (input shape {x.shape}"
                             + ("" if groups == 1 else f", groups={groups}") + ")")
        if bias is not None:
            bias = to_tensor(bias)
            if bias.shape != weight.shape[:1]:
                raise ValueError(f"conv2d: bias of shape {bias.shape} must be "
                                 f"({weight.shape[0]},), one per output channel (weight "
                                 f"shape {weight.shape})")
        padding = conv_padding(cls.name, padding, weight.shape[2:], stride, dilation)
        _check_image(cls.name, x, one=False)
        span, size = spans(weight.shape[2:], dilation), x.shape[2:]
        counts = tuple((n + b + a - s) // step + 1 for n, (b, a), s, step in
                       zip(size, padding, span, stride))
        _check_counts(cls.name, x, counts, weight.shape[2:], dilation, padding)
        inputs = (x, weight) if bias is None else (x, weight, bias)
        grid = _Grid(weight.shape[2:], stride, dilation, counts, padding)
        return cls.apply(*inputs, grid=grid, groups=groups)

    def forward(ctx, x, w, *bias, grid, groups=1):
        ctx.grid, ctx.groups, ctx.shape = grid, groups, x.shape
        padded = _padded(x, grid.sides)
        ctx.save_for_backward(padded, w)
        out = _einsum("nchwij,ocij->nohw", _windows(padded, ctx.grid), w, groups)
        return out + bias[0][None, :, None, None] if bias else out

    def backward(ctx, g):
        padded, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        gw = _einsum("nohw,nchwij->ocij", g, _windows(padded, ctx.grid), ctx.groups) \
            if needs[1] else None
        gx = None
        if needs[0]:
            full = np.zeros(padded.shape, dtype=g.dtype)
            _add_windows(full, _einsum("nohw,ocij->nchwij", g, w, ctx.groups), ctx.grid)
            ((top, _), (left, _)), (height, width) = ctx.grid.sides, ctx.shape[2:]
            gx = full[:, :, top:top + height, left:left + width]
        if len(needs) == 2:
            return gx, gw
        return gx, gw, (g.sum(axis=(0, 2, 3)) if needs[2] else None)


def pool_grid(op: str, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: Any) -> _Grid:
    """A pool's windows over the last two axes of `x` (an image or a batch of them) from
    PyTorch's arguments (stride the kernel's by default), checked, in `op`'s name; a
    dilated window of padding alone is refused (see `padding_only`)."""
    kernel = pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None else pair(op, "stride", stride)
    padding = pair(op, "padding", padding, low=0)
    dilation = pair(op, "dilation", dilation)
    ceil_mode = check_flag(op, "ceil_mode", ceil_mode)
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel {kernel} "
                         f"(as PyTorch's), or a window could see only padding")
    _check_image(op, x)
    size = x.shape[-2:]
    counts = tuple(map(pool_count, size, kernel, stride, padding, dilation, (ceil_mode,) * 2))
    _check_counts(op, x, counts, kernel, dilation, padding)
    if any(map(padding_only, size, kernel, stride, padding, dilation, counts)):
        raise ValueError(f"{op}: with dilation {dilation} and padding {padding}, a window of "
                         f"the kernel {kernel} holds only padding (input shape {x.shape}); use "
                         f"less padding or a smaller dilation")
    return _grid(kernel, stride, dilation, counts, padding, size)


def _inside(grid: _Grid, size: tuple) -> np.ndarray | None:
    """(out_h, out_w, kh * kw): True where a window's entry lies in the image, not in its
    padding; None where no window reaches the padding."""
    if not any(grid.sides[0] + grid.sides[1]):
        return None
    axes = [((np.arange(c) * s - b)[:, None] + np.arange(k) * d, n) for c, s, (b, _), k, d, n
            in zip(grid.counts, grid.stride, grid.sides, grid.kernel, grid.dilation, size)]
    (rows, height), (columns, width) = axes
    rows, columns = (rows >= 0) & (rows < height), (columns >= 0) & (columns < width)
    inside = rows[:, None, :, None] & columns[None, :, None, :]
    return inside.reshape(inside.shape[:2] + (-1,))


def window_argmax(values: np.ndarray, inside: np.ndarray | None = None) -> np.ndarray:
    """The position along the last axis of each row's maximum, as PyTorch's max pools
    choose it: the first of tied maxima, the last NaN where a row holds one; never a
    position `inside` (broadcast against values) marks False."""
    if inside is None:  # (argmax: the first of tied maxima; of NaNs the first: see below)
        position = values.argmax(axis=-1)
    else:  # (a padding's -inf or smallest int may tie with the maximum: not it)
        position = ((values == values.max(axis=-1, keepdims=True)) & inside).argmax(axis=-1)
    if values.dtype.kind in "fc":
        nan = np.isnan(values)  # (padding is never NaN)
        if nan.any():
            last = values.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
            position = np.where(nan.any(axis=-1), last, position)
    return position


def _smallest(dtype: np.dtype) -> Any:
    """The padding of a max pool: -inf, or an integer dtype's smallest value (False)."""
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf


def max_pool_indices(x: np.ndarray, grid: _Grid) -> np.ndarray:
    """PyTorch's indices of a max pool: for each window, row * width + column of its
    maximum within its (batch, channel) plane (`window_argmax`'s choice)."""
    windows = _windows(_padded(x, grid.sides, _smallest(x.dtype)), grid)
    (kh, kw), (out_h, out_w) = grid.kernel, grid.counts
    position = window_argmax(windows.reshape(windows.shape[:4] + (kh * kw,)),
                             _inside(grid, x.shape[2:]))
    row, column = np.divmod(position, kw)
    (top, _), (left, _) = grid.sides
    row = row * grid.dilation[0] + (np.arange(out_h) * grid.stride[0] - top)[:, None]
    column = column * grid.dilation[1] + np.arange(out_w) * grid.stride[1] - left
    return (row * x.shape[3] + column).astype(np.int64)


class MaxPool2d(Function, name="max_pool2d", functions=("max_pool2d",)):
    """The largest entry of each window (PyTorch's F.max_pool2d): `kernel_size`, `stride`
    (the kernel's by default), `padding` (-inf; for integers their smallest value) and
    `dilation` an int or a (height, width) pair, `ceil_mode` as PyTorch's;
    `return_indices=True` gives (values, indices), each index row * width + column of
    the maximum in its plane. Tied maxima: the gradient goes to the entry PyTorch's
    index names (the first in row-major order), as PyTorch's does. One image (channels,
    height, width) is pooled as a batch of one.

    forward: `out[n, c] = max of window[n, c]`
    gradient: `g` to each window's largest entry (the one its index names), added up
    """

    @classmethod
    def call(cls, input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
             ceil_mode=False, return_indices=False):  # (PyTorch's names)
        x = to_tensor(input)
        grid = pool_grid(cls.name, x, kernel_size, stride, padding, dilation, ceil_mode)
        with_indices = check_flag(cls.name, "return_indices", return_indices)
        return _batched(x, lambda batch: cls._pool(batch, grid, with_indices))

    @classmethod
    def _pool(cls, x: Tensor, grid: _Grid, with_indices: bool) -> Any:
        if not with_indices:
            return cls.apply(x, grid=grid)
        indices = max_pool_indices(x._data, grid)  # (backward's too: found once)
        return cls.apply(x, grid=grid, indices=indices), Tensor.from_op(indices, None)

    def forward(ctx, x, *, grid, indices=None):
        ctx.grid, ctx.shape, ctx.found = grid, x.shape, indices is not None
        if ctx.needs_input_grad[0]:  # the indices where given, else x to find them
            ctx.save_for_backward(x if indices is None else indices)
        return _windows(_padded(x, grid.sides, _smallest(x.dtype)), grid).max(axis=(-2, -1))

    def backward(ctx, g):
        (saved,), (n, c, height, width) = ctx.saved_tensors, ctx.shape
        at, plane = saved if ctx.found else max_pool_indices(saved, ctx.grid), height * width
        flat = at.reshape(n * c, g.shape[2] * g.shape[3]) \
            + (np.arange(n * c) * plane)[:, None]
        grad = np.bincount(flat.ravel(), weights=g.ravel(), minlength=n * c * plane)
        return grad.astype(g.dtype, copy=False).reshape(ctx.shape)


def _divisors(grid: _Grid, size: tuple, count_include_pad: bool) -> np.ndarray:
    """(out_h, out_w): PyTorch's divisor of each window of an average pool, the entries
    of the window within the image and its padding (or the image alone)."""
    axes = []
    for c, s, k, (p, _), n in zip(grid.counts, grid.stride, grid.kernel, grid.sides, size):
        start = np.arange(c) * s - p
        end = np.minimum(start + k, n + p)
        axes.append(end - start if count_include_pad else
                    np.minimum(end, n) - np.maximum(start, 0))
    return np.outer(*axes)


class AvgPool2d(Function, name="avg_pool2d", functions=("avg_pool2d",)):
    """The mean of each window (PyTorch's F.avg_pool2d): `kernel_size`, `stride` (the
    kernel's by default) and `padding` (zeros) an int or a (height, width) pair; the
    divisor PyTorch's: the window's entries within the image and its padding (kh * kw,
    fewer where ceil_mode's last window runs past the padding), the image's alone with
    count_include_pad=False, or `divisor_override`. One image (channels, height, width)
    is pooled as a batch of one.

    forward: `out[n, c] = sum of window[n, c] / divisor`
    gradient: `g / divisor` to every entry of each window, added up over windows
    """

    @classmethod
    def call(cls, input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
             count_include_pad=True, divisor_override=None):  # (PyTorch's names)
        x = to_tensor(input)
        grid = pool_grid(cls.name, x, kernel_size, stride, padding, 1, ceil_mode)
        include = check_flag(cls.name, "count_include_pad", count_include_pad)
        override = divisor_or_none(cls.name, divisor_override)
        return _batched(x, lambda batch: cls.apply(batch, grid=grid, count_include_pad=include,
                                                   divisor_override=override))

    def forward(ctx, x, *, grid, count_include_pad=True, divisor_override=None):
        divisor = _divisors(grid, x.shape[2:], count_include_pad) \
            if divisor_override is None else divisor_override
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
        ctx.grid, ctx.shape, ctx.divisor = grid, x.shape, np.asarray(divisor, dtype)
        return _windows(_padded(x, grid.sides), grid).sum(axis=(-2, -1)) / ctx.divisor

    def backward(ctx, g):
        grid, (height, width) = ctx.grid, ctx.shape[2:]
        ((top, bottom), (left, right)) = grid.sides
        full = np.zeros(ctx.shape[:2] + (height + top + bottom, width + left + right),
                        dtype=g.dtype)
        share = np.broadcast_to((g / ctx.divisor)[..., None, None], g.shape + grid.kernel)
        _add_windows(full, share, grid)
        return full[:, :, top:top + height, left:left + width]

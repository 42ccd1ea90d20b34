"""Images: `conv2d`, `max_pool2d` and `avg_pool2d` over (batch, channels, height, width).

Each slides a kernel-sized window over the padded image with a stride. A convolution's
output at a window is the sum of the window times the weight (one filter per output
channel), so its backward gives the weight the sum over windows of g times the window,
and gives each window's input positions g times the weight, added up where windows
overlap. A max pool's output is each window's largest entry, and its backward gives g to
that entry (shared evenly by tied maxima, as `max` does); an average pool's gives g / (kh
* kw) to every entry of the window; both add up where windows overlap. `single`, `pair`
and `conv_padding` read PyTorch's kernel_size, stride and padding, for the 1-d functions
of `nn.functional` too.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..engine import Function
from .arguments import ints, to_tensor


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


def conv_padding(op: str, padding: Any, kernel: tuple[int, ...], stride: tuple[int, ...]
                 ) -> tuple[tuple[int, int], ...]:
    """The zeros a convolution over len(kernel) axes adds before and after each: numbers
    (each side alike; 1 axis: an int, `single`; n: an int or n ints, `sizes`: (height,
    width) for 2), or PyTorch's strings "valid" (none) and "same" (the output keeps the
    input's size; stride 1 only; k - 1 zeros per axis, the odd one after: bottom and
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
    return tuple(((k - 1) // 2, k // 2) for k in kernel)


def _windows(padded: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]
             ) -> np.ndarray:
    """Every kernel-sized window of the padded image, (N, C, out_h, out_w, kh, kw): views."""
    return sliding_window_view(padded, kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]


def _add_windows(target: np.ndarray, per_window: np.ndarray, stride: tuple[int, int]) -> None:
    """Add each window's values (N, C, out_h, out_w, kh, kw) back where the window lies."""
    out_h, out_w, kh, kw = per_window.shape[2:]
    for i in range(kh):
        for j in range(kw):
            target[:, :, i:i + stride[0] * out_h:stride[0],
                   j:j + stride[1] * out_w:stride[1]] += per_window[..., i, j]


def _sides(padding: tuple) -> tuple[tuple[int, int], tuple[int, int]]:
    """(before, after) for the height and the width: a pair of ints means each side alike."""
    height, width = padding
    return (height if isinstance(height, tuple) else (height, height),
            width if isinstance(width, tuple) else (width, width))


def _padded(x: np.ndarray, padding: tuple, value: float = 0.0) -> np.ndarray:
    """x with `padding` (a (height, width) pair, or (before, after) pairs) of `value`."""
    sides = _sides(padding)
    return np.pad(x, ((0, 0), (0, 0)) + sides, constant_values=value) \
        if any(sides[0] + sides[1]) else x


def _check_image(op: str, x: Any, kernel: tuple[int, int], padding: tuple) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a batch of images of shape (batch, channels, "
                         f"height, width), got shape {x.shape}; add the batch axis with "
                         f"x.unsqueeze(0)")
    (top, bottom), (left, right) = _sides(padding)
    height, width = x.shape[2] + top + bottom, x.shape[3] + left + right
    if kernel[0] > height or kernel[1] > width or min(kernel) < 1:
        raise ValueError(f"{op}: a kernel of {kernel} does not fit an image of {x.shape[2:]} "
                         f"padded by {padding}")


class Conv2d(Function, name="conv2d", functions=("conv2d",)):
    """2-D convolution (PyTorch's F.conv2d, a cross-correlation): weight of shape
    (out_channels, in_channels, kh, kw), bias of (out_channels,), `stride` an int or a
    (height, width) pair, `padding` (zeros) too, or PyTorch's "valid" or "same" (see
    `conv_padding`).

    forward: `out[n, o] = sum over c, i, j of window[n, c, i, j] * w[o, c, i, j] (+ b[o])`
    gradient: `sum of g * window` for w, `g @ w` added back over the windows for x, `sum(g)` for b
    """

    @classmethod
    def call(cls, x, weight, bias=None, stride=1, padding=0):
        x, weight = to_tensor(x), to_tensor(weight)
        stride = pair(cls.name, "stride", stride)
        if weight.ndim != 4 or x.ndim == 4 and weight.shape[1] != x.shape[1]:
            raise ValueError(f"conv2d: weight of shape {weight.shape} must be (out_channels, "
                             f"in_channels, kh, kw) with in_channels = the input's "
                             f"{x.shape[1] if x.ndim == 4 else '?'} (input shape {x.shape})")
        padding = conv_padding(cls.name, padding, weight.shape[2:], stride)
        _check_image(cls.name, x, weight.shape[2:], padding)
        inputs = (x, weight) if bias is None else (x, weight, bias)
        return cls.apply(*inputs, stride=stride, padding=padding)

    def forward(ctx, x, w, *bias, stride=(1, 1), padding=((0, 0), (0, 0))):
        ctx.stride, ctx.padding, ctx.shape = stride, padding, x.shape
        padded = _padded(x, padding)
        ctx.save_for_backward(padded, w)
        out = np.einsum("nchwij,ocij->nohw", _windows(padded, w.shape[2:], stride), w,
                        optimize=True)
        return out + bias[0][None, :, None, None] if bias else out

    def backward(ctx, g):
        padded, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        gw = np.einsum("nohw,nchwij->ocij", g, _windows(padded, w.shape[2:], ctx.stride),
                       optimize=True) if needs[1] else None
        gx = None
        if needs[0]:
            full = np.zeros(padded.shape, dtype=g.dtype)
            _add_windows(full, np.einsum("nohw,ocij->nchwij", g, w, optimize=True), ctx.stride)
            ((top, _), (left, _)), (height, width) = ctx.padding, ctx.shape[2:]
            gx = full[:, :, top:top + height, left:left + width]
        if len(needs) == 2:
            return gx, gw
        return gx, gw, (g.sum(axis=(0, 2, 3)) if needs[2] else None)


def _pool_arguments(op: str, x: Any, kernel_size: Any, stride: Any, padding: Any) -> tuple:
    """A pool's kernel, stride (the kernel's by default) and padding, checked."""
    kernel = pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None else pair(op, "stride", stride)
    padding = pair(op, "padding", padding, low=0)
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel {kernel} "
                         f"(as PyTorch's), or a window could see only padding")
    _check_image(op, x, kernel, padding)
    return kernel, stride, padding


class _Pool2d(Function, register=False):
    """What the pools share: their arguments, the windows of the image padded with `fill`,
    and a backward that adds each window's share of g (`share`) back where it lies."""

    fill = 0.0

    @classmethod
    def call(cls, x, kernel_size, stride=None, padding=0):
        x = to_tensor(x)
        kernel, stride, padding = _pool_arguments(cls.name, x, kernel_size, stride, padding)
        return cls.apply(x, kernel=kernel, stride=stride, padding=padding)

    def windows(ctx, x):  # noqa: N805
        """The padded image's windows, (N, C, out_h, out_w, kh, kw)."""
        fill = type(ctx).fill
        if fill == -np.inf and x.dtype.kind in "biu":  # no -inf: the dtype's smallest value
            fill = np.iinfo(x.dtype).min if x.dtype.kind != "b" else False
        return _windows(_padded(x, ctx.padding, fill), ctx.kernel, ctx.stride)

    def forward(ctx, x, *, kernel, stride, padding=(0, 0)):
        ctx.kernel, ctx.stride, ctx.padding, ctx.shape = kernel, stride, padding, x.shape
        return type(ctx).pool(ctx, x)

    def backward(ctx, g):
        (ph, pw), (height, width) = ctx.padding, ctx.shape[2:]
        full = np.zeros(ctx.shape[:2] + (height + 2 * ph, width + 2 * pw), dtype=g.dtype)
        _add_windows(full, type(ctx).share(ctx, g), ctx.stride)
        return full[:, :, ph:ph + height, pw:pw + width]


class AvgPool2d(_Pool2d, name="avg_pool2d", functions=("avg_pool2d",)):
    """The mean of each window (PyTorch's F.avg_pool2d, zero padding counted in the
    mean): `kernel_size`, `stride` (the kernel's by default) and `padding`.

    forward: `out[n, c] = mean of window[n, c]`
    gradient: `g / (kh * kw)` to every entry of each window, added up over windows
    """

    def pool(ctx, x):  # noqa: N805
        return ctx.windows(x).mean(axis=(-2, -1))

    def share(ctx, g):  # noqa: N805
        return np.broadcast_to(g[..., None, None] / (ctx.kernel[0] * ctx.kernel[1]),
                               g.shape + ctx.kernel)


class MaxPool2d(_Pool2d, name="max_pool2d", functions=("max_pool2d",)):
    """The largest entry of each window (PyTorch's F.max_pool2d): `kernel_size`, `stride`
    (the kernel's by default) and `padding` (-inf; for integers their smallest value) an
    int or a (height, width) pair.
    Tied maxima share the gradient evenly, as `max`'s do (PyTorch gives it to one).

    forward: `out[n, c] = max of window[n, c]`
    gradient: `g` to each window's largest entry (shared by ties), added up over windows
    """

    fill = -np.inf

    def pool(ctx, x):  # noqa: N805
        out = ctx.windows(x).max(axis=(-2, -1))
        ctx.save_for_backward(x, out)
        return out

    def share(ctx, g):  # noqa: N805
        x, out = ctx.saved_tensors
        hit = ctx.windows(x) == out[..., None, None]
        return g[..., None, None] * hit / hit.sum(axis=(-2, -1), keepdims=True)

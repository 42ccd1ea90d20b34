"""PyTorch's arguments of the sliding-window ops (convolutions, pools, their layers and
`nn`'s 1-d and 3-d functions), read and checked in the caller's name: `sizes` (an int or
n ints: kernel_size, stride, padding, dilation), `pair` and `single` (its 2-d and 1-d
forms), `conv_padding` (numbers, or "valid" and "same"), `conv_groups`,
`divisor_or_none`; `spans` (a dilated kernel's reach), `pool_count` (PyTorch's number of
windows of a pool along an axis) and `padding_only` (whether a dilated window holds
nothing but padding).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from .arguments import integer, ints


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
        raise ShapeError(f"{op}: groups={groups} must be >= 1 and divide the weight's "
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

"""Power-average pooling and max unpooling, as PyTorch's: `lp_pool1d`, `lp_pool2d`,
`lp_pool3d`, `max_unpool1d`, `max_unpool2d`, `max_unpool3d` (in `nn.functional`) and the
layers `LPPool1d`, `LPPool2d`, `LPPool3d`, `MaxUnpool1d`, `MaxUnpool2d`, `MaxUnpool3d`.

An LP pool is (sum of x ** p over each window) ** (1 / p): PyTorch's formula made of the
average pool, the window's average times its size (a window summing to 0 gives 0 and a
gradient of 0, as PyTorch's says, by `where`); p = inf is the max pool of |x|. An
unpooling writes each entry of its input at its max pool's index (row * width + column
of its plane; (depth * height + row) * width + column of a volume) into zeros of the
pooled input's size: `scatter` into a tensor of zeros
(named, so diagrams draw it as one), whose gradient reads g back at the indices. The
gradients come from `backward()`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as tg
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import array_argument, ints, number
from ..ops.convolution import pool_grid, single, sizes
from ..tensor import Tensor
from .layer_arguments import _as_tensor
from .module import Module
from .spatial_functions import _AXES, _avg_pool2d, _pool1d, _sequences
from .volumetric_functions import _avg_pool3d, max_pool3d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d",
           "max_unpool3d", "LPPool1d", "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d",
           "MaxUnpool3d"]

# an n-d LP pool's max and average pools (called as tg.max_pool2d); 1-d: the 2-d ones
# over a unit height (`_pool1d`)
_POOLS = {1: (tg.max_pool2d, _avg_pool2d), 2: (tg.max_pool2d, _avg_pool2d),
          3: (max_pool3d, _avg_pool3d)}


def _norm_type(where: str, norm_type: Any) -> float:
    """An LP pool's p: a number, not 0 and not NaN."""
    p = number(where, "norm_type", norm_type)
    if p == 0 or p != p:
        raise ValueError(f"{where}: norm_type must be a non-zero number, got {norm_type!r}")
    return p


def _lp_pool(where: str, n: int, input: Any, norm_type: Any, kernel_size: Any, stride: Any,
             ceil_mode: Any) -> Tensor:
    """PyTorch's power-average pool: (the sum of x ** p over each window) ** (1 / p), made
    of the average pool (times the kernel's size, as PyTorch's: ceil_mode's partial
    windows too); p = inf: the max pool of |x|. The arguments are checked in `where`'s
    name first (an n-d pool's checks, no padding)."""
    p = _norm_type(where, norm_type)
    if n == 1:
        input, kernel = _sequences(where, input), (single(where, "kernel_size", kernel_size),)

        def pool(x: Tensor, pool2d: Any) -> Tensor:  # (tg.max_pool2d's arguments)
            return _pool1d(where, pool2d, x, kernel_size, stride, 0, 1, ceil_mode)
    else:
        input = _as_tensor(where, input)
        kernel = pool_grid(where, input, kernel_size, stride, 0, 1, ceil_mode, n).kernel

        def pool(x: Tensor, pool2d: Any) -> Tensor:
            return pool2d(x, kernel_size, stride, 0, 1, ceil_mode)
    max_pool, avg_pool = _POOLS[n]
    if p in (np.inf, -np.inf):  # the largest |x| (-inf: the smallest)
        sign = 1.0 if p > 0 else -1.0
        return pool(input.abs() * sign, max_pool) * sign
    total = pool(input ** p, avg_pool) * math.prod(kernel)
    # a window summing to 0: 0 ** (1 / p), and a gradient of 0 (PyTorch's, through its
    # relu), not the power's infinite one; named: a diagram would draw it as an input
    zero = Tensor.from_op(total._data == 0, None)
    zero.name = f"{where} windows summing to 0"
    root = tg.where(zero, 1.0, total) ** (1.0 / p)
    return tg.where(zero, 0.0 if p > 0 else np.inf, root)


def lp_pool1d(input: Any, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """PyTorch's lp_pool1d: (sum of x ** norm_type over each window) ** (1 / norm_type)
    along the length of (batch, C, length) or (C, length) input; no padding."""
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Any, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """PyTorch's lp_pool2d: (sum of x ** norm_type over each window) ** (1 / norm_type)
    of (batch, C, height, width) images or one (C, height, width); no padding."""
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input: Any, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """PyTorch's lp_pool3d: (sum of x ** norm_type over each window) ** (1 / norm_type)
    of (batch, C, depth, height, width) volumes or one (C, depth, height, width); no
    padding."""
    return _lp_pool("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


def _unpool_size(where: str, sizes: tuple, kernel: tuple, stride: tuple, padding: tuple,
                 output_size: Any) -> tuple[int, ...]:
    """PyTorch's output size of an unpooling: (size - 1) * stride + kernel - 2 * padding
    per axis, or `output_size` (n sizes, or n + 2 with the batch and channels first),
    each less than a stride from that."""
    usual = tuple((n - 1) * s + k - 2 * p for n, s, k, p in zip(sizes, stride, kernel, padding))
    given = usual if output_size is None else ints(where, (output_size,))
    given = given[2:] if len(given) == len(usual) + 2 else given
    if len(given) != len(usual) or min(given) < 1 or any(
            abs(n - u) >= s for n, u, s in zip(given, usual, stride)):
        raise ValueError(f"{where}: output size {output_size or given!r} is not possible for "
                         f"input sizes {sizes}: give {len(usual)} (or {len(usual) + 2}) sizes "
                         f">= 1, each less than the stride {stride} from {usual}")
    return given


def _max_unpool(where: str, n: int, input: Any, indices: Any, kernel_size: Any, stride: Any,
                padding: Any, output_size: Any) -> Tensor:
    """Each input entry written at its index (row * width + column) in a plane of zeros,
    made of `scatter`: its gradient is g read back at the indices. A repeated index keeps
    the last entry written and its gradient (PyTorch's backward reads it for every one)."""
    input = _as_tensor(where, input)
    axes = _AXES[n]
    if input.ndim not in (n + 1, n + 2):
        raise ValueError(f"{where}: expected input of shape (batch, C, {axes}) or (C, "
                         f"{axes}), got shape {input.shape}")
    at = array_argument(where, "indices", indices)
    if at.dtype.kind not in "iu" or at.shape != input.shape:
        raise ShapeError(f"{where}: indices must be integers of the input's shape "
                         f"{input.shape} (the max pool's), got dtype {at.dtype} and shape "
                         f"{at.shape}")
    kernel = _pool_sizes(where, "kernel_size", kernel_size, n)
    stride = kernel if stride is None else _pool_sizes(where, "stride", stride, n)
    padding = _pool_sizes(where, "padding", padding, n, low=0)
    size = _unpool_size(where, input.shape[-n:], kernel, stride, padding, output_size)
    plane = math.prod(size)
    if at.size and (at.min() < 0 or at.max() >= plane):
        bad = at.min() if at.min() < 0 else at.max()
        raise RuntimeError(f"{where}: index {bad} is outside the output of {axes} {size} "
                           f"(0 to {plane - 1})")
    x = input if input.ndim == n + 2 else input.unsqueeze(0)
    batch = x.shape[:2]
    zeros = Tensor.from_op(np.zeros(batch + (plane,), x.dtype), None)
    zeros.name = f"{where} zeros"  # a diagram would draw it as the user's input
    flat = x.reshape(batch + (math.prod(x.shape[2:]),))
    out = zeros.scatter(-1, at.reshape(flat.shape), flat).reshape(batch + size)
    return out if input.ndim == n + 2 else out.squeeze(0)


def _pool_sizes(where: str, name: str, value: Any, n: int, low: int = 1) -> tuple[int, ...]:
    return (single(where, name, value, low),) if n == 1 else sizes(where, name, value, n, low)


def max_unpool1d(input: Any, indices: Any, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """PyTorch's max_unpool1d, a partial inverse of max_pool1d: each entry of (batch, C,
    length) or (C, length) input written at its index into zeros of length (length - 1) *
    stride + kernel_size - 2 * padding (or `output_size`)."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input: Any, indices: Any, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """PyTorch's max_unpool2d, a partial inverse of max_pool2d: each entry of (batch, C,
    height, width) or (C, height, width) input written at its index (row * width +
    column) into zeros of (size - 1) * stride + kernel_size - 2 * padding per axis (or
    `output_size`)."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input: Any, indices: Any, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """PyTorch's max_unpool3d, a partial inverse of max_pool3d: each entry of (batch, C,
    depth, height, width) or (C, depth, height, width) input written at its index
    ((depth * height + row) * width + column) into zeros of (size - 1) * stride +
    kernel_size - 2 * padding per axis (or `output_size`)."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)


# ------------------------------------------------------------------ layers


class LPPool1d(Module):
    """PyTorch's LPPool1d: `lp_pool1d` of the input, (sum of x ** norm_type over each
    `kernel_size` window, stepping by `stride`, the kernel's by default) ** (1 /
    norm_type); `ceil_mode` adds a last partial window."""

    n = 1
    function = staticmethod(lp_pool1d)

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        name = type(self).__name__  # (checked now; kept as given, as PyTorch shows them)
        _norm_type(name, norm_type)
        _pool_sizes(name, "kernel_size", kernel_size, self.n)
        if stride is not None and stride not in ((), []):  # (empty: the kernel's, as None)
            _pool_sizes(name, "stride", stride, self.n)
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.ceil_mode = check_flag(name, "ceil_mode", ceil_mode)

    def forward(self, input: Any) -> Tensor:
        return type(self).function(input, self.norm_type, self.kernel_size, self.stride,
                                   self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool2d(LPPool1d):
    """PyTorch's LPPool2d: `lp_pool2d` of (batch, C, height, width) images or one (C,
    height, width)."""

    n = 2
    function = staticmethod(lp_pool2d)


class MaxUnpool1d(Module):
    """PyTorch's MaxUnpool1d: `max_unpool1d(input, indices, ...)`, each entry written at
    its index (a max pool's, `return_indices=True`) into zeros; forward(input, indices,
    output_size=None)."""

    n = 1
    function = staticmethod(max_unpool1d)

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__  # PyTorch's: tuples, stride None the kernel's
        self.kernel_size = _pool_sizes(name, "kernel_size", kernel_size, self.n)
        self.stride = self.kernel_size if stride is None else \
            _pool_sizes(name, "stride", stride, self.n)
        self.padding = _pool_sizes(name, "padding", padding, self.n, low=0)

    def forward(self, input: Any, indices: Any, output_size: Any = None) -> Tensor:
        return type(self).function(input, indices, self.kernel_size, self.stride,
                                   self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(MaxUnpool1d):
    """PyTorch's MaxUnpool2d: `max_unpool2d(input, indices, ...)` of (batch, C, height,
    width) or (C, height, width) input; forward(input, indices, output_size=None)."""

    n = 2
    function = staticmethod(max_unpool2d)


class LPPool3d(LPPool1d):
    """PyTorch's LPPool3d: `lp_pool3d` of (batch, C, depth, height, width) volumes or one
    (C, depth, height, width)."""

    n = 3
    function = staticmethod(lp_pool3d)


class MaxUnpool3d(MaxUnpool1d):
    """PyTorch's MaxUnpool3d: `max_unpool3d(input, indices, ...)` of (batch, C, depth,
    height, width) or (C, depth, height, width) input; forward(input, indices,
    output_size=None)."""

    n = 3
    function = staticmethod(max_unpool3d)

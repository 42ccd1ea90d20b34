"""Fractional max pooling (Graham, 2014), as PyTorch's: `FractionalMaxPool2d`,
`FractionalMaxPool3d` and `F.fractional_max_pool2d/3d` (and their `_with_indices` forms).

Each window is `kernel_size` wide, and the windows' starts step by pseudo-random amounts
of floor(alpha) or ceil(alpha), alpha = (input - kernel) / (output - 1), so that the
output has `output_size` (or input * `output_ratio`) entries along each axis: PyTorch's
sequence, start_i = int((i + u) * alpha) - int(u * alpha), the last window at the end,
computed in the input's dtype (float32 as float32) from one sample u in [0, 1] per
(sample, channel, axis): `_random_samples`, the same values as PyTorch's when given the
same samples, else drawn from `generator` (tg.manual_seed's, or fresh entropy). The
maxima are taken with `gather` at PyTorch's indices (the first of tied maxima, the last
NaN), as the adaptive max pools of spatial_functions.py take them: gradients come from
`backward()`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..creation import make_generator
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..ops.convolution import window_argmax
from ..ops.window_arguments import sizes
from ..tensor import Tensor
from .layer_arguments import _as_tensor
from .module import Module
from .spatial_functions import _AXES, _unbatched

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d", "fractional_max_pool2d",
           "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]

# the column of _random_samples each spatial axis reads (PyTorch's: width first in 2-d)
_SAMPLE_COLUMN = {2: (1, 0), 3: (0, 1, 2)}


def _ratios(where: str, output_ratio: Any, n: int) -> tuple[float, ...]:
    """A number or n numbers, each > 0 (PyTorch's module asks for (0, 1); its function
    takes any, a too large output then refused by `_check_fits`)."""
    many = isinstance(output_ratio, (tuple, list))
    values = tuple(output_ratio) if many else (output_ratio,) * n
    if len(values) != n:
        raise ValueError(f"{where}: output_ratio must be a number or {n} numbers, got "
                         f"{output_ratio!r}")
    return tuple(number(where, "output_ratio", r, 0, strict=True) for r in values)


def _output_size(where: str, output_size: Any, output_ratio: Any,
                 spatial: tuple[int, ...]) -> tuple[int, ...]:
    """The output's size along each axis: `output_size` (an int or n ints >= 0), else
    int(input * ratio) per axis (PyTorch's)."""
    n = len(spatial)
    if output_size is not None:
        return sizes(where, "output_size", output_size, n, low=0)
    if output_ratio is None:
        raise ValueError(f"{where} requires specifying either an output_size or an "
                         f"output_ratio")
    return tuple(int(m * r) for m, r in zip(spatial, _ratios(where, output_ratio, n)))


def _check_input(where: str, input: Tensor, n: int) -> None:
    axes = _AXES[n]
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{where}: expected input of shape (batch, C, {axes}) or (C, "
                           f"{axes}), got shape {input.shape}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"{where}: input must be floating point, got dtype {input.dtype}")
    if 0 in input.shape[-n - 1:]:
        raise ShapeError(f"{where}: expected input with non-empty channel and {axes} axes "
                         f"(only the batch may be empty), got shape {input.shape}")


def _check_fits(where: str, input: Tensor, kernel: tuple[int, ...],
                size: tuple[int, ...]) -> None:
    """Each axis holds output - 1 steps of at least 0 and a last window: output + kernel - 1
    <= input (PyTorch's 'pool ... too large relative to input')."""
    n = len(kernel)
    for axis, k, out, m in zip(_AXES[n].split(", "), kernel, size, input.shape[-n:]):
        if out + k - 1 > m:
            raise ShapeError(f"{where}: a kernel of {k} and an output of {out} along the "
                             f"{axis} need {out + k - 1} entries, the input has {m} (input "
                             f"shape {input.shape}); use a smaller kernel_size or "
                             f"output_size")


def _samples(where: str, given: Any, x: Tensor, n: int, generator: Any) -> np.ndarray:
    """(batch, C, n) samples in [0, 1] in x's dtype: `given` (PyTorch's `_random_samples`,
    checked as PyTorch checks them, and their range, which it does not), else drawn."""
    batch, channels = x.shape[:2]
    if given is None:
        rng = make_generator(None, generator, where)
        drawn = rng.random((batch, channels, n), np.float32 if x.dtype == np.float32 else
                           np.float64)
        return drawn.astype(x.dtype, copy=False)
    data = np.asarray(getattr(given, "_data", given))
    if isinstance(given, (Tensor, np.ndarray)) and data.dtype != x.dtype:
        raise RuntimeError(f"{where}: _random_samples must have the input's dtype {x.dtype}, "
                           f"got {data.dtype}")
    data = data.astype(x.dtype, copy=False)
    if data.ndim != 3 or data.shape[0] < batch or data.shape[1:] != (channels, n):
        raise ShapeError(f"{where}: _random_samples of shape {data.shape} must be (batch, C, "
                         f"{n}) = (at least {batch}, {channels}, {n}) for input of shape "
                         f"{x.shape}")
    outside = ~((data >= 0) & (data <= 1))  # (NaN too)
    if outside.any():
        raise ValueError(f"{where}: _random_samples must lie in [0, 1], got "
                         f"{float(data[outside].flat[0])!r} among them")
    return data[:batch]


def _starts(u: np.ndarray, size: int, out: int, kernel: int) -> np.ndarray:
    """(..., out): PyTorch's pseudo-random window starts along an axis of `size` entries,
    one sequence per sample u (u's dtype is the arithmetic's, as PyTorch's scalar_t)."""
    starts = np.full(u.shape + (out,), size - kernel, np.int64)
    if out > 1:
        dtype = u.dtype.type
        alpha = dtype(size - kernel) / dtype(out - 1)
        steps = np.arange(out - 1).astype(u.dtype)
        # (C's static_cast<int> truncates; all of these are >= 0)
        starts[..., :-1] = ((steps + u[..., None]) * alpha).astype(np.int64) - \
            (u * alpha).astype(np.int64)[..., None]
    return starts


def _fractional_indices(data: np.ndarray, samples: np.ndarray, kernel: tuple[int, ...],
                        size: tuple[int, ...]) -> np.ndarray:
    """(batch, C, out...): the flat position (row * width + column of an image) of each
    window's maximum in its plane or volume, `window_argmax`'s choice among ties and NaN."""
    n, spatial = len(kernel), data.shape[2:]
    lead = data.shape[:2]
    flat = np.zeros(lead + (1,) * 2 * n, np.int64)  # (batch, C, out..., kernel...)
    for k, column in enumerate(_SAMPLE_COLUMN[n]):
        positions = _starts(samples[..., column], spatial[k], size[k], kernel[k])[
            ..., None] + np.arange(kernel[k])
        shape = [*lead] + [1] * 2 * n
        shape[2 + k], shape[2 + n + k] = size[k], kernel[k]
        flat = flat * spatial[k] + positions.reshape(shape)
    windows = flat.reshape(lead + (math.prod(size), math.prod(kernel)))
    values = np.take_along_axis(data.reshape(lead + (math.prod(spatial), 1)),
                                windows.reshape(lead + (windows.shape[2] * windows.shape[3], 1)),
                                axis=2).reshape(windows.shape)
    at = window_argmax(values)
    return np.take_along_axis(windows, at[..., None], axis=-1).reshape(lead + size)


def _fractional_max(where: str, n: int, input: Any, kernel_size: Any, output_size: Any,
                    output_ratio: Any, return_indices: Any, _random_samples: Any,
                    generator: Any) -> Any:
    """An n-d fractional max pool (values, and indices with return_indices=True)."""
    indices = check_flag(where, "return_indices", return_indices)
    input = _as_tensor(where, input)
    _check_input(where, input, n)
    kernel = sizes(where, "kernel_size", kernel_size, n)
    size = _output_size(where, output_size, output_ratio, input.shape[-n:])
    _check_fits(where, input, kernel, size)
    batched = input.ndim == n + 2
    x = input if batched else input.unsqueeze(0)
    samples = _samples(where, _random_samples, x, n, generator)
    at = _fractional_indices(x._data, samples, kernel, size)
    lead = x.shape[:2]
    values = x.reshape(lead + (math.prod(x.shape[2:]),)).gather(
        -1, at.reshape(lead + (math.prod(size),))).reshape(at.shape)
    return _unbatched((values, Tensor.from_op(at, None)) if indices else values, batched)


def fractional_max_pool2d(input: Any, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None, *,
                          generator: np.random.Generator | None = None) -> Any:
    """The largest entry of each `kernel_size` window of an image ((batch, C, height,
    width) or (C, height, width)), the windows stepping by pseudo-random amounts so that
    the output is `output_size` (an int or (height, width)), or int(input * output_ratio)
    (a number or a pair; output_size wins where both are given, as PyTorch's): PyTorch's
    fractional_max_pool2d. `_random_samples` (batch, C, 2) in [0, 1], column 0 for the
    width and 1 for the height, gives PyTorch's windows exactly; None: drawn from
    `generator` (a NumPy Generator, by keyword; else tg.manual_seed's or fresh). (values,
    indices) with return_indices=True, each index row * width + column in its plane.
    Tied maxima: the gradient goes to the one the index names, as PyTorch's."""
    return _fractional_max("fractional_max_pool2d", 2, input, kernel_size, output_size,
                           output_ratio, return_indices, _random_samples, generator)


def fractional_max_pool2d_with_indices(input: Any, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Any = None, *,
                                       generator: np.random.Generator | None = None
                                       ) -> tuple[Tensor, Tensor]:
    """`fractional_max_pool2d` with return_indices=True, whatever return_indices says
    (PyTorch's)."""
    check_flag("fractional_max_pool2d_with_indices", "return_indices", return_indices)
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples, generator=generator)


def fractional_max_pool3d(input: Any, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None, *,
                          generator: np.random.Generator | None = None) -> Any:
    """`fractional_max_pool2d` over volumes ((batch, C, depth, height, width) or (C, depth,
    height, width)): kernel_size, output_size and output_ratio a number or three;
    `_random_samples` (batch, C, 3), columns 0, 1, 2 for depth, height, width; each index
    (depth * height + row) * width + column in its volume (PyTorch's
    fractional_max_pool3d)."""
    return _fractional_max("fractional_max_pool3d", 3, input, kernel_size, output_size,
                           output_ratio, return_indices, _random_samples, generator)


def fractional_max_pool3d_with_indices(input: Any, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Any = None, *,
                                       generator: np.random.Generator | None = None
                                       ) -> tuple[Tensor, Tensor]:
    """`fractional_max_pool3d` with return_indices=True, whatever return_indices says
    (PyTorch's)."""
    check_flag("fractional_max_pool3d_with_indices", "return_indices", return_indices)
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples, generator=generator)


class _FractionalMaxPoolNd(Module):
    """FractionalMaxPool2d and 3d: PyTorch's arguments and attributes (kernel_size,
    output_size, output_ratio as n-tuples or None, return_indices, the buffer
    _random_samples: None unless given), and `seed` or `generator` (by keyword) for the
    samples drawn on each call when none are given."""

    _n = 2
    _function: Any = None

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Any = None, *,
                 seed: int | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__()
        where, n = type(self).__name__, self._n
        self.kernel_size = sizes(where, "kernel_size", kernel_size, n)
        self.return_indices = check_flag(where, "return_indices", return_indices)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{where} requires specifying either an output size, or a pooling "
                             f"ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{where}: only one of output_size and output_ratio may be "
                             f"specified")
        self.output_size = None if output_size is None else \
            sizes(where, "output_size", output_size, n, low=0)
        self.output_ratio = None if output_ratio is None else _ratios(where, output_ratio, n)
        if self.output_ratio is not None and not all(r < 1 for r in self.output_ratio):
            raise ValueError(f"{where}: output_ratio must be between 0 and 1 (got "
                             f"{output_ratio})")
        self.register_buffer("_random_samples", _random_samples)
        # (neither: None, so that each call looks up the global generator, as Dropout's)
        self.generator = None if seed is None and generator is None \
            else make_generator(seed, generator, where)

    def forward(self, input: Any) -> Any:
        return type(self)._function(input, self.kernel_size, self.output_size,
                                    self.output_ratio, self.return_indices,
                                    self._random_samples, generator=self.generator)

    def extra_repr(self) -> str:
        size = f"output_size={self.output_size}" if self.output_size is not None else \
            f"output_ratio={self.output_ratio}"
        return f"kernel_size={self.kernel_size}, {size}" + (
            ", return_indices=True" if self.return_indices else "")


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling of images (see `fractional_max_pool2d`), PyTorch's layer:
    give output_size or output_ratio (in (0, 1)), not both; `_random_samples` (batch, C,
    2), a buffer, fixes the windows, else each call draws new samples (from the layer's
    `seed` or `generator` if given)."""

    _function = staticmethod(fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling of volumes (see `fractional_max_pool3d`), PyTorch's layer:
    as `FractionalMaxPool2d`, with three sizes and samples (batch, C, 3)."""

    _n = 3
    _function = staticmethod(fractional_max_pool3d)

"""PyTorch's `torch.fft`, the part of it that stays real: `fftshift` and `ifftshift` (the
entries rolled so that the zero frequency sits in the middle, and back; the op `roll`, so
gradients flow) and the sample frequencies `fftfreq` and `rfftfreq`.

The transforms themselves (`fft`, `rfft`, `ifft`, `fft2`, `fftn`, `hfft`, ... and their
inverses) give or take complex numbers, which tinygrad_gd does not have (real values
only): they are not here, and asking for one (`tg.fft.rfft`) raises an AttributeError
that says so and names NumPy's `np.fft`, outside the graph, instead.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .ops.arguments import check_axis, finite
from .out_keyword import into_out
from .tensor import Tensor, to_tensor
from .window_functions import checked_length, float_leaf

__all__ = ["fftshift", "ifftshift", "fftfreq", "rfftfreq"]

# torch.fft's names that give or take complex numbers (not here: see __getattr__)
COMPLEX_TRANSFORMS = ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2",
                      "irfft2", "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn",
                      "ihfftn")


def _shifted(where: str, input: Any, dim: Any, sign: int) -> Tensor:  # noqa: A002
    """input rolled by sign * (size // 2) along each axis of `dim` (None: every axis)."""
    x = to_tensor(input)
    axes = check_axis(where, dim, x.ndim)
    axes = tuple(range(x.ndim)) if axes is None else (axes,) if isinstance(axes, int) else axes
    if not axes:  # (a 0-d tensor, or dim=(): nothing to move; still a new tensor, an op)
        return x.roll(0)
    return x.roll(tuple(sign * (x.shape[a] // 2) for a in axes), axes)


def fftshift(input: Any, dim: Any = None) -> Tensor:  # noqa: A002  (PyTorch's names)
    """The entries of an FFT's output reordered so that the zero frequency is in the middle,
    the negative frequencies before it, as PyTorch's torch.fft.fftshift (NumPy's
    np.fft.fftshift): along each axis of `dim` (an int or a tuple; None: every axis).

    roll(input, size // 2) along each of those axes; the gradient is rolled back. A 0-d
    tensor comes back as it is (PyTorch refuses it)."""
    return _shifted("fftshift", input, dim, 1)


def ifftshift(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    """The inverse of fftshift, as PyTorch's torch.fft.ifftshift: the zero frequency back
    at index 0 along each axis of `dim` (an int or a tuple; None: every axis).

    roll(input, -(size // 2)) along each of those axes (for an odd size it differs from
    fftshift); the gradient is rolled back."""
    return _shifted("ifftshift", input, dim, -1)


def _spacing(where: str, d: Any) -> float:
    spacing = finite(where, "d", d.item() if isinstance(d, Tensor) and d.ndim == 0 else d)
    if spacing == 0:
        raise ValueError(f"{where}: d, the spacing between samples, must not be 0 (the "
                         f"frequencies would be infinite); give the sample spacing, d=1.0 "
                         f"by default")
    return spacing


def fftfreq(n: int, d: float = 1.0, *, out: Any = None, dtype: Any = None, layout: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """The frequencies of an FFT of `n` samples spaced `d` apart, in the order the FFT gives
    them (zero, the positive frequencies, then the negative ones), as PyTorch's
    torch.fft.fftfreq (NumPy's np.fft.fftfreq); a float dtype (None: the default float).

    [0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (d n). No gradient."""
    where = "fftfreq"
    n = checked_length(where, "n", n)  # (an int >= 0)
    values = np.fft.fftfreq(n, _spacing(where, d)) if n else np.zeros(0)
    return into_out("fft.fftfreq", float_leaf(where, values, dtype, layout, device,
                                              requires_grad), out)


def rfftfreq(n: int, d: float = 1.0, *, out: Any = None, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The non-negative frequencies of a real FFT (rfft) of `n` samples spaced `d` apart, as
    PyTorch's torch.fft.rfftfreq (NumPy's np.fft.rfftfreq): n // 2 + 1 of them.

    [0, 1, ..., n // 2] / (d n). No gradient."""
    where = "rfftfreq"
    n = checked_length(where, "n", n)  # (an int >= 0)
    values = np.fft.rfftfreq(n, _spacing(where, d)) if n else np.zeros(1)
    return into_out("fft.rfftfreq", float_leaf(where, values, dtype, layout, device,
                                               requires_grad), out)


def __getattr__(name: str) -> Any:
    """torch.fft's transforms are not here (complex numbers): the AttributeError says so."""
    if name in COMPLEX_TRANSFORMS:
        raise AttributeError(
            f"tinygrad_gd.fft.{name}: not available; torch.fft.{name} gives or takes complex "
            f"numbers, and tinygrad_gd's tensors hold real values only; compute it outside "
            f"the graph with NumPy: np.fft.{name}(x.numpy())")
    raise AttributeError(f"module 'tinygrad_gd.fft' has no attribute {name!r}")

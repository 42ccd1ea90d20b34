"""PyTorch's top-level window functions, `hann_window`, `hamming_window`, `blackman_window`,
`bartlett_window` and `kaiser_window`, and the window formulas `tg.signal.windows` shares.

A window is a 1-D tensor of `window_length` weights that taper a signal at its ends. Each
takes PyTorch's arguments (`window_length, periodic=True`, the window's own parameters,
then keyword-only `dtype=`, `layout=`, `device=` and `requires_grad=`) and gives a leaf
tensor in a float dtype (the default float unless `dtype=` says otherwise): making one is
no op, so nothing is recorded. `periodic=True` gives the first `window_length` entries of
the symmetric window one longer, the form a spectral analysis repeats; False the
symmetric window itself. A length of 1 gives [1], a length of 0 an empty tensor.

The formulas, in float64 (then cast), of n = 0 ... M - 1 over the span D (M - 1 for a
symmetric window, M for a periodic one): `cosine_sum` (sum over k of (-1)^k a_k cos(2 pi
k n / D): Hann, Hamming, Blackman, Nuttall), `triangle` (1 - |2n / D - 1|: Bartlett) and
`kaiser` (I0(beta sqrt(1 - (2n / D - 1)^2)) / I0(beta), through the scaled I0 so that a
large beta stays finite where PyTorch's overflows to NaN).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .creation import _leaf
from .creation_arguments import check_layout
from .grad_mode import check_flag
from .ops.arguments import finite, integer
from .ops.special import i0e
from .tensor import Tensor
from .values import check_cpu, default_float, numeric_dtype

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]

# the dtypes a window may take: PyTorch's top-level ones, and torch.signal.windows' fewer
TOP_LEVEL_DTYPES = ("float16", "float32", "float64")
SIGNAL_DTYPES = ("float32", "float64")


# -- the formulas, shared with signal/windows.py ----------------------------------------------
def _span(length: int, symmetric: bool) -> int:
    """D: the distance from the first point to the one where the window repeats."""
    return length - 1 if symmetric else length


def cosine_sum(length: int, coefficients: Any, symmetric: bool) -> np.ndarray:
    """sum over k of (-1)^k a_k cos(2 pi k n / D), n = 0 ... length - 1, in float64
    ([1] for a length of 1)."""
    if length <= 1:
        return np.ones(length)
    z = 2 * np.pi * np.arange(length) / _span(length, symmetric)
    return sum((-1) ** k * a * np.cos(k * z) for k, a in enumerate(coefficients))


def triangle(length: int, symmetric: bool) -> np.ndarray:
    """1 - |2n / D - 1|, n = 0 ... length - 1: the Bartlett window, in float64."""
    if length <= 1:
        return np.ones(length)
    return 1 - np.abs(2 * np.arange(length) / _span(length, symmetric) - 1)


def kaiser(length: int, beta: float, symmetric: bool) -> np.ndarray:
    """I0(beta sqrt(1 - (2n / D - 1)^2)) / I0(beta), n = 0 ... length - 1, in float64: as
    i0e(b) / i0e(beta) * exp(b - beta), finite for any finite beta."""
    if length <= 1:
        return np.ones(length)
    ratio = 2 * np.arange(length) / _span(length, symmetric) - 1
    b = abs(beta) * np.sqrt(np.maximum(1 - ratio * ratio, 0.0))
    beta_array = np.array(abs(beta))
    return i0e(b) / i0e(beta_array) * np.exp(b - abs(beta))


# -- the arguments every window takes -----------------------------------------------------------
def checked_length(where: str, name: str, value: Any, error: type = RuntimeError) -> int:
    """A window's length: an int >= 0 (a bool, float or string refused with TypeError, a
    negative one with `error`, PyTorch's type for the function)."""
    length = integer(where, name, value)
    if length < 0:
        raise error(f"{where}: requires a non-negative window length, got {name}={length}")
    return length


def float_leaf(where: str, values: np.ndarray, dtype: Any, layout: Any, device: Any,
               requires_grad: Any, dtypes: tuple[str, ...] = TOP_LEVEL_DTYPES,
               error: type = RuntimeError) -> Tensor:
    """Values computed in float64 (a window, fft's frequencies) as a leaf tensor of `dtype`
    (None: the default float), one of `dtypes` (another refused with `error`), on the
    CPU, strided: PyTorch's creation keywords."""
    check_cpu(device, where)
    check_layout(layout, where)
    requires_grad = check_flag(where, "requires_grad", requires_grad)
    wanted = default_float() if dtype is None else numeric_dtype(dtype, where)
    if wanted.name not in dtypes:
        raise error(f"{where}: expects a floating-point dtype ({', '.join(dtypes)}), got "
                    f"{wanted}; leave dtype out for the default float")
    return _leaf(values.astype(wanted), requires_grad, where)


# -- PyTorch's top-level window functions -------------------------------------------------------
def _periodic(where: str, periodic: Any) -> bool:
    return check_flag(where, "periodic", periodic)


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hann window, PyTorch's hann_window: a raised cosine that is 0 at its ends and 1
    in the middle, as torch.signal.windows.hann with sym = not periodic.

    w[n] = 0.5 - 0.5 cos(2 pi n / D), D = window_length - 1 (symmetric) or window_length
    (periodic). No gradient."""
    where = "hann_window"
    length = checked_length(where, "window_length", window_length)
    values = cosine_sum(length, (0.5, 0.5), not _periodic(where, periodic))
    return float_leaf(where, values, dtype, layout, device, requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hamming window, PyTorch's hamming_window: a raised cosine that stays above 0 at
    its ends (0.08 with the defaults), `alpha` and `beta` its two coefficients.

    w[n] = alpha - beta cos(2 pi n / D), D = window_length - 1 (symmetric) or window_length
    (periodic). No gradient."""
    where = "hamming_window"
    length = checked_length(where, "window_length", window_length)
    coefficients = (finite(where, "alpha", alpha), finite(where, "beta", beta))
    values = cosine_sum(length, coefficients, not _periodic(where, periodic))
    return float_leaf(where, values, dtype, layout, device, requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None,
                    requires_grad: bool = False) -> Tensor:
    """The Blackman window, PyTorch's blackman_window: a sum of three cosines whose side
    lobes fall off faster than Hann's.

    w[n] = 0.42 - 0.5 cos(2 pi n / D) + 0.08 cos(4 pi n / D), D = window_length - 1
    (symmetric) or window_length (periodic). No gradient."""
    where = "blackman_window"
    length = checked_length(where, "window_length", window_length)
    values = cosine_sum(length, (0.42, 0.5, 0.08), not _periodic(where, periodic))
    return float_leaf(where, values, dtype, layout, device, requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None,
                    requires_grad: bool = False) -> Tensor:
    """The Bartlett window, PyTorch's bartlett_window: a triangle from 0 at the ends to 1 in
    the middle.

    w[n] = 1 - |2n / D - 1|, D = window_length - 1 (symmetric) or window_length (periodic).
    No gradient."""
    where = "bartlett_window"
    length = checked_length(where, "window_length", window_length)
    values = triangle(length, not _periodic(where, periodic))
    return float_leaf(where, values, dtype, layout, device, requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: Any = None, layout: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """The Kaiser window, PyTorch's kaiser_window: a bell whose width `beta` sets (0 gives
    all ones; a larger beta a narrower bell).

    w[n] = I0(beta sqrt(1 - (2n / D - 1)^2)) / I0(beta), I0 the modified Bessel function
    of order 0, D = window_length - 1 (symmetric) or window_length (periodic); a negative
    beta gives the window of |beta|, as PyTorch's. No gradient."""
    where = "kaiser_window"
    length = checked_length(where, "window_length", window_length)
    values = kaiser(length, finite(where, "beta", beta), not _periodic(where, periodic))
    return float_leaf(where, values, dtype, layout, device, requires_grad)

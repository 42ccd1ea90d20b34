"""PyTorch's `torch.signal.windows`: the window functions of signal processing, `bartlett`,
`blackman`, `cosine`, `exponential`, `gaussian`, `general_cosine`, `general_hamming`,
`hamming`, `hann`, `kaiser` and `nuttall`.

Each takes the window's length `M` and, keyword-only, its own parameters, `sym=True` (a
symmetric window, for filter design; False a periodic one, for spectral analysis: the
first M entries of the symmetric window one longer), `dtype=` (float32 or float64; None
the default float), `layout=`, `device=` and `requires_grad=`, and gives a 1-D leaf tensor
of M entries: making one is no op, so nothing is recorded. M = 0 gives an empty tensor,
M = 1 [1]. The cosine sums, the triangle and Kaiser's bell are the formulas of the
top-level `tg.hann_window`, ... (window_functions.py); the others are written here, of
n = 0 ... M - 1. A bad argument is refused in one line, with PyTorch's ValueError where
it raises one (a negative M, std or tau, a dtype other than float32 and float64).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..grad_mode import check_flag
from ..ops.arguments import finite
from ..tensor import Tensor
from ..window_functions import SIGNAL_DTYPES, checked_length, cosine_sum, float_leaf
from ..window_functions import kaiser as bell, triangle

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]

NUTTALL = (0.3635819, 0.4891775, 0.1365995, 0.0106411)  # (PyTorch's and SciPy's, to 7 places)


def _length(where: str, M: Any) -> int:  # noqa: N803  (PyTorch's name)
    return checked_length(where, "M", M, ValueError)


def _symmetric(where: str, sym: Any) -> bool:
    return check_flag(where, "sym", sym)


def _made(where: str, values: np.ndarray, dtype: Any, layout: Any, device: Any,
          requires_grad: Any) -> Tensor:
    return float_leaf(where, values, dtype, layout, device, requires_grad, SIGNAL_DTYPES,
                      ValueError)


def _positive(where: str, name: str, value: Any) -> float:
    number = finite(where, name, value)
    if number <= 0:
        raise ValueError(f"{where}: {name} must be positive, got {name}={value!r}")
    return number


def _offsets(M: int, symmetric: bool, center: float | None = None) -> np.ndarray:  # noqa: N803
    """n - c for n = 0 ... M - 1, c the centre: (M - 1) / 2 for a symmetric window, M / 2
    for a periodic one (of M > 1), or `center`."""
    if center is None:
        center = (M - 1 if symmetric or M <= 1 else M) / 2
    return np.arange(M) - center


def general_cosine(M: int, *, a: Sequence, sym: bool = True, dtype: Any = None,  # noqa: N803
                   layout: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
    """A sum of cosines with coefficients `a` (a list or tuple of numbers), PyTorch's
    torch.signal.windows.general_cosine: Hann, Hamming, Blackman and Nuttall are such sums.

    w[n] = sum over k of (-1)^k a[k] cos(2 pi k n / D), D = M - 1 (sym) or M."""
    where = "general_cosine"
    if not isinstance(a, (list, tuple)):
        raise TypeError(f"{where}: the coefficients a must be a list or tuple of numbers, got "
                        f"{type(a).__name__}")
    if not a:
        raise ValueError(f"{where}: the coefficients a cannot be empty; give at least one")
    coefficients = [finite(where, f"a[{k}]", value) for k, value in enumerate(a)]
    values = cosine_sum(_length(where, M), coefficients, _symmetric(where, sym))
    return _made(where, values, dtype, layout, device, requires_grad)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True,  # noqa: N803
                    dtype: Any = None, layout: Any = None, device: Any = None,
                    requires_grad: bool = False) -> Tensor:
    """The generalized Hamming window, PyTorch's torch.signal.windows.general_hamming: a
    raised cosine of coefficient `alpha` (0.54 Hamming's, 0.5 Hann's).

    w[n] = alpha - (1 - alpha) cos(2 pi n / D), D = M - 1 (sym) or M."""
    where = "general_hamming"
    alpha = finite(where, "alpha", alpha)
    values = cosine_sum(_length(where, M), (alpha, 1.0 - alpha), _symmetric(where, sym))
    return _made(where, values, dtype, layout, device, requires_grad)


def hamming(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hamming window, PyTorch's torch.signal.windows.hamming (and tg.hamming_window's
    with periodic = not sym).

    w[n] = 0.54 - 0.46 cos(2 pi n / D), D = M - 1 (sym) or M."""
    where = "hamming"
    values = cosine_sum(_length(where, M), (0.54, 0.46), _symmetric(where, sym))
    return _made(where, values, dtype, layout, device, requires_grad)


def hann(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hann window, PyTorch's torch.signal.windows.hann (and tg.hann_window's with
    periodic = not sym).

    w[n] = 0.5 - 0.5 cos(2 pi n / D) = sin^2(pi n / D), D = M - 1 (sym) or M."""
    where = "hann"
    values = cosine_sum(_length(where, M), (0.5, 0.5), _symmetric(where, sym))
    return _made(where, values, dtype, layout, device, requires_grad)


def blackman(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Blackman window, PyTorch's torch.signal.windows.blackman (and
    tg.blackman_window's with periodic = not sym).

    w[n] = 0.42 - 0.5 cos(2 pi n / D) + 0.08 cos(4 pi n / D), D = M - 1 (sym) or M."""
    where = "blackman"
    values = cosine_sum(_length(where, M), (0.42, 0.5, 0.08), _symmetric(where, sym))
    return _made(where, values, dtype, layout, device, requires_grad)


def nuttall(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """The minimum 4-term Blackman-Harris window according to Nuttall, PyTorch's
    torch.signal.windows.nuttall.

    w[n] = 0.3635819 - 0.4891775 cos(z) + 0.1365995 cos(2z) - 0.0106411 cos(3z),
    z = 2 pi n / D, D = M - 1 (sym) or M."""
    where = "nuttall"
    values = cosine_sum(_length(where, M), NUTTALL, _symmetric(where, sym))
    return _made(where, values, dtype, layout, device, requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Bartlett (triangular) window, PyTorch's torch.signal.windows.bartlett (and
    tg.bartlett_window's with periodic = not sym).

    w[n] = 1 - |2n / D - 1|, D = M - 1 (sym) or M."""
    where = "bartlett"
    values = triangle(_length(where, M), _symmetric(where, sym))
    return _made(where, values, dtype, layout, device, requires_grad)


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype: Any = None,  # noqa: N803
           layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Kaiser window, PyTorch's torch.signal.windows.kaiser: a bell whose width `beta`
    (>= 0) sets (and tg.kaiser_window's with periodic = not sym).

    w[n] = I0(beta sqrt(1 - (2n / D - 1)^2)) / I0(beta), I0 the modified Bessel function
    of order 0, D = M - 1 (sym) or M."""
    where = "kaiser"
    beta = finite(where, "beta", beta)
    if beta < 0:
        raise ValueError(f"{where}: beta must be non-negative, got beta={beta!r}")
    values = bell(_length(where, M), beta, _symmetric(where, sym))
    return _made(where, values, dtype, layout, device, requires_grad)


def cosine(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """The cosine (sine) window, PyTorch's torch.signal.windows.cosine: half a period of a
    sine, its peak in the middle.

    w[n] = sin(pi (n + 0.5) / L), L = M (sym) or M + 1 (periodic, M > 1)."""
    where = "cosine"
    M, symmetric = _length(where, M), _symmetric(where, sym)  # noqa: N806
    span = M if symmetric or M <= 1 else M + 1
    values = np.sin(np.pi * (np.arange(M) + 0.5) / max(span, 1))
    return _made(where, values, dtype, layout, device, requires_grad)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype: Any = None,  # noqa: N803
             layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Gaussian window, PyTorch's torch.signal.windows.gaussian: a bell of standard
    deviation `std` (> 0) points about the centre c ((M - 1) / 2, or M / 2 when periodic).

    w[n] = exp(-(n - c)^2 / (2 std^2))."""
    where = "gaussian"
    std = _positive(where, "std", std)
    offsets = _offsets(_length(where, M), _symmetric(where, sym))
    values = np.exp(-(offsets / (std * math.sqrt(2))) ** 2)
    return _made(where, values, dtype, layout, device, requires_grad)


def exponential(M: int, *, center: float | None = None, tau: float = 1.0,  # noqa: N803
                sym: bool = True, dtype: Any = None, layout: Any = None, device: Any = None,
                requires_grad: bool = False) -> Tensor:
    """The exponential (Poisson) window, PyTorch's torch.signal.windows.exponential: a peak
    at `center` falling off by e every `tau` (> 0) points. `center` may be given for a
    periodic window only (sym=False); by default it is (M - 1) / 2, or M / 2 when periodic.

    w[n] = exp(-|n - center| / tau)."""
    where = "exponential"
    tau = _positive(where, "tau", tau)
    symmetric = _symmetric(where, sym)
    if center is not None:
        if symmetric:
            raise ValueError(f"{where}: center must be None for a symmetric window (sym=True), "
                             f"got center={center!r}; give sym=False to place the centre")
        center = finite(where, "center", center)
    offsets = _offsets(_length(where, M), symmetric, center)
    values = np.exp(-np.abs(offsets) / tau)
    return _made(where, values, dtype, layout, device, requires_grad)

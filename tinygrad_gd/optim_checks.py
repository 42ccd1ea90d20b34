"""The argument checks `tg.optim`'s optimizers share (optim_base.py, optim.py,
optim_variants.py...): a setting that must be a number in a range, Adam's pair of betas,
and PyTorch's capturable= and differentiable=, taken at False only. Each refusal is one
line naming the optimizer, the setting and the value given.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .grad_mode import check_flag

__all__: list[str] = []
_FLOAT_INT = (float, int)


def _check_number(where: str, name: str, value: Any, low: float = 0.0,
                  high: float | None = None) -> None:
    """value must be a real number in [low, high) (high None: no upper bound)."""
    if type(value) not in _FLOAT_INT and (isinstance(value, bool) or not isinstance(
            value, (int, float, np.integer, np.floating))):  # (fast path: a float, an int)
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    if not (low <= value and (high is None or value < high)):  # NaN fails both tests
        if low == -math.inf and high is None:  # (no bound: only NaN fails)
            raise ValueError(f"{where}: {name} must be a number, not NaN, got {name}={value!r}")
        bound = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{where}: {name} must be {bound}, got {value!r}")


def _check_betas(where: str, betas: Any) -> None:
    """betas must be a pair (beta1, beta2) of numbers in [0, 1), as Adam's. A bool is a
    ValueError, as PyTorch's True is (out of its range) and its False in Adam's and
    AdamW's (not a float); a string or None a TypeError, as PyTorch's comparison gives."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
    try:
        _check_number(where, "betas[0]", betas[0], 0.0, 1.0)
        _check_number(where, "betas[1]", betas[1], 0.0, 1.0)
    except TypeError:  # (the first entry that is no number: a bool said as a ValueError)
        i, beta = next((i, b) for i, b in enumerate(betas) if isinstance(b, (bool, np.bool_))
                       or not isinstance(b, (int, float, np.integer, np.floating)))
        if isinstance(beta, (bool, np.bool_)):
            raise ValueError(f"{where}: betas[{i}] must be a float in [0.0, 1.0), got "
                             f"{beta!r}, a bool; give a float (PyTorch's default betas: "
                             f"(0.9, 0.999))") from None
        raise


def _check_modes(where: str, capturable: Any, differentiable: Any) -> None:
    """PyTorch's capturable= and differentiable=, accepted at False only: the first is its
    CUDA-graph mode, refused on CPU tensors there too; the second records the step in the
    graph, and these steps run in NumPy, outside it."""
    if check_flag(where, "capturable", capturable):
        raise ValueError(f"{where}: capturable=True is PyTorch's mode for CUDA graphs, which "
                         f"its CPU tensors refuse too; tinygrad_gd steps on the CPU: leave it "
                         f"False")
    if check_flag(where, "differentiable", differentiable):
        raise ValueError(f"{where}: differentiable=True (autograd through the step) is not "
                         f"supported: tinygrad_gd's optimizers step outside the graph; leave "
                         f"it False")

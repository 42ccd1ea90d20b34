"""PyTorch's deprecated resampling functions, kept for old code: `F.upsample`,
`F.upsample_nearest`, `F.upsample_bilinear`. Each warns as PyTorch's does (a
UserWarning naming `nn.functional.interpolate`) and returns `interpolate`'s values
(resampling.py): the same numbers and gradients.
"""
from __future__ import annotations

import warnings
from typing import Any

from ..errors import user_stacklevel
from ..tensor import Tensor
from .resampling import interpolate

__all__ = ["upsample", "upsample_nearest", "upsample_bilinear"]


def _deprecated(name: str) -> None:
    # (stacklevel 3: the line that called F.<name>, as PyTorch's warning points there)
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  f"instead.", UserWarning, stacklevel=user_stacklevel())


def upsample(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """`interpolate(input, size, scale_factor, mode, align_corners)`, with PyTorch's
    deprecation warning."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Any, size: Any = None, scale_factor: Any = None) -> Tensor:
    """`interpolate(input, size, scale_factor, mode="nearest")`, with PyTorch's deprecation
    warning."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Any, size: Any = None, scale_factor: Any = None) -> Tensor:
    """`interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)` of
    (batch, C, height, width) images, with PyTorch's deprecation warning."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

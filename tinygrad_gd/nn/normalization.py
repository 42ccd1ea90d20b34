"""Normalisation layers beside `LayerNorm` and the batch norms, under PyTorch's names,
constructor arguments, parameters and reprs: `GroupNorm` (channels normalised in groups,
per sample) and `RMSNorm` (divided by the root mean square, no centring). Each calls its
function in `nn.functional` (layer_functions.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor
from .layer_arguments import _as_tensor, _normalized_shape
from .layer_functions import group_norm, rms_norm
from .layers import _check_features
from .module import Module, Parameter
from .parameter_reset import ones_zeros_reset
from .registration import _float_dtype

__all__ = ["GroupNorm", "RMSNorm"]


class GroupNorm(Module):
    """Each sample's `num_channels` channels (axis 1 of (batch, C, ...)) split into
    `num_groups` groups, each normalised over its channels and positions, then times
    `weight` plus `bias` per channel (ones and zeros at first; none with affine=False,
    no bias with bias=False), as PyTorch's GroupNorm (see `functional.group_norm`). The
    same in training and eval mode: no running statistics."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_groups = _check_features(num_groups, "num_groups", "GroupNorm")
        self.num_channels = _check_features(num_channels, "num_channels", "GroupNorm",
                                            empty=True)
        if self.num_channels % self.num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        number("GroupNorm", "eps", eps, 0)
        self.eps, self.affine = eps, check_flag("GroupNorm", "affine", affine)
        bias = check_flag("GroupNorm", "bias", bias)
        resolved = _float_dtype(dtype, "GroupNorm", device)
        self.register_parameter("weight", Parameter(np.zeros(self.num_channels, resolved))
                                if self.affine else None)
        self.register_parameter("bias", Parameter(np.zeros(self.num_channels, resolved))
                                if self.affine and bias else None)
        self.reset_parameters()

    reset_parameters = ones_zeros_reset

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ShapeError(f"{self!r}: expected input of shape (batch, C, ...) with C = "
                             f"{self.num_channels}, got {input.shape}")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """Each sample divided by its root mean square over its last axes
    (`normalized_shape`), then times `weight` (ones at first; none with
    elementwise_affine=False), as PyTorch's RMSNorm (see `functional.rms_norm`). eps
    None (PyTorch's default): the input dtype's machine epsilon."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        shape = _normalized_shape("RMSNorm", normalized_shape)
        self.normalized_shape = tuple(_check_features(n, "normalized_shape", "RMSNorm", empty=True)
                                      for n in shape)
        if eps is not None:
            number("RMSNorm", "eps", eps, 0)
        self.eps = eps
        self.elementwise_affine = check_flag("RMSNorm", "elementwise_affine",
                                             elementwise_affine)
        resolved = _float_dtype(dtype, "RMSNorm", device)
        self.register_parameter("weight", Parameter(np.zeros(self.normalized_shape, resolved))
                                if self.elementwise_affine else None)
        self.reset_parameters()

    reset_parameters = ones_zeros_reset

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")

"""PyTorch's in-place spellings of `F`'s activations: `relu_`, `elu_`, `selu_`, `celu_`,
`leaky_relu_`, `hardtanh_`, `threshold_`, `rrelu_`. Each writes the values of its
out-of-place function (`F.elu(x, alpha)`, with its argument checks and errors) into the
input and returns the input, as the Tensor methods of in_place.py do (`x.relu_()`): where
`t[...] = v` may write, a tensor that needs no gradient, or a leaf under `tg.no_grad()`;
on a tensor made by a recorded op, the change is recorded, as PyTorch's
(in_place_recorded.py; `_written`, in activation_functions.py, which `inplace=True`
shares): elu_, selu_, celu_, leaky_relu_ and rrelu_ by ops that keep their output, as
PyTorch's (activations_from_output.py), so a later change of it refuses their backward.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .activation_functions import _written, celu, elu, hardtanh, leaky_relu, relu, selu
from .activation_functions import threshold as _threshold  # (threshold_'s argument's name)
from .activations_from_output import (CeluFromOutput, EluFromOutput, LeakyReluFromOutput,
                                      SeluFromOutput)
from .random_functions import rrelu_written

__all__ = ["relu_", "elu_", "selu_", "celu_", "leaky_relu_", "hardtanh_", "threshold_",
           "rrelu_"]


def relu_(input: Tensor) -> Tensor:
    """`F.relu`'s values written into the input, which is returned (PyTorch's relu_)."""
    return _written("relu_", relu, input)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """`F.elu`'s values written into the input, which is returned (PyTorch's elu_)."""
    return _written("elu_", elu, input, alpha, recorded_as=EluFromOutput.call)


def selu_(input: Tensor) -> Tensor:
    """`F.selu`'s values written into the input, which is returned (PyTorch's selu_)."""
    return _written("selu_", selu, input, recorded_as=SeluFromOutput.call)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """`F.celu`'s values written into the input, which is returned (PyTorch's celu_)."""
    return _written("celu_", celu, input, alpha, recorded_as=CeluFromOutput.call)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """`F.leaky_relu`'s values written into the input, which is returned (PyTorch's
    leaky_relu_)."""
    return _written("leaky_relu_", leaky_relu, input, negative_slope,
                    recorded_as=LeakyReluFromOutput.call)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """`F.hardtanh`'s values written into the input, which is returned (PyTorch's
    hardtanh_)."""
    return _written("hardtanh_", hardtanh, input, min_val, max_val)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """`F.threshold`'s values written into the input, which is returned (PyTorch's
    threshold_)."""
    return _written("threshold_", _threshold, input, threshold, value)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False, *, generator: np.random.Generator | None = None) -> Tensor:
    """`F.rrelu`'s values (random slopes in training, from `generator=` as rrelu's) written
    into the input, which is returned (PyTorch's rrelu_)."""
    return rrelu_written("rrelu_", input, lower, upper, training, generator)


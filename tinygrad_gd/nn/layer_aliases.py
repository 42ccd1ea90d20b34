"""PyTorch's other names for layers tg.nn has: `RNNBase` and `RNNCellBase` (the base
classes of RNN, LSTM, GRU and of their cells: recurrent.py's `_RecurrentLayer` and
`_RecurrentCell`, so that `isinstance(layer, nn.RNNBase)` holds as in PyTorch), and the
deprecated `NLLLoss2d` (NLLLoss, over (batch, classes, height, width) too) and
`Container` (a Module holding the modules given by keyword), each with PyTorch's
FutureWarning when made.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..tensor import Tensor
from .layer_functions import _as_tensor
from .loss import NLLLoss
from .module import Module
from .recurrent import _RecurrentCell, _RecurrentLayer

__all__ = ["RNNBase", "RNNCellBase", "NLLLoss2d", "Container"]

# the same classes, not subclasses: RNN, LSTM, GRU (and their cells) derive from them.
# Their constructors are ours (input_size, hidden_size, ...), not PyTorch's RNNBase(mode,
# ...): PyTorch's base is not meant to be built either, only its subclasses.
RNNBase = _RecurrentLayer
RNNCellBase = _RecurrentCell


class NLLLoss2d(NLLLoss):
    """PyTorch's deprecated NLLLoss2d: `NLLLoss` (its arguments, weight, ignore_index,
    reduction), warning when made. Input (batch, classes) as NLLLoss's, or (batch,
    classes, d1, ...) of log-probabilities with a target (batch, d1, ...): each position
    a sample (reduction 'none' keeps the target's shape), as PyTorch's NLLLoss takes
    them."""

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a "
                      "drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.",
                      FutureWarning, stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)

    def forward(self, input: Any, target: Any) -> Tensor:
        input = _as_tensor(self, input)
        if input.ndim <= 2:
            return super().forward(input, target)
        classes = np.asarray(getattr(target, "_data", target))
        expected = input.shape[:1] + input.shape[2:]
        if classes.shape != expected:
            raise ValueError(f"NLLLoss2d: input of shape {input.shape} (batch, classes, "
                             f"d1, ...) needs a target of class indices of shape {expected}, "
                             f"got {classes.shape}")
        # each position a row of class log-probabilities
        rows = input.movedim(1, -1).reshape(-1, input.shape[1])
        losses = super().forward(rows, classes.reshape(-1))
        return losses.reshape(expected) if self.reduction == "none" else losses


class Container(Module):
    """PyTorch's deprecated Container: a Module holding the modules given by keyword
    (`Container(conv=nn.Conv2d(...))`: self.conv), warning when made; subclass Module
    instead."""

    def __init__(self, **kwargs: Any) -> None:
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now "
                      "implemented in `nn.Module`. Subclass that instead.", FutureWarning,
                      stacklevel=2)
        super().__init__()
        for name, module in kwargs.items():
            self.add_module(name, module)

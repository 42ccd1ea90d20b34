"""PyTorch's bases and deprecated names of layers tg.nn has: `RNNBase` and `RNNCellBase`
(the base classes of RNN, LSTM, GRU and of their cells, recurrent.py's, exported from
here, so that `isinstance(layer, nn.RNNBase)` holds as in PyTorch), and the
deprecated `NLLLoss2d` (NLLLoss, over (batch, classes, height, width) too) and
`Container` (a Module holding the modules given by keyword), each with PyTorch's
FutureWarning when made.
"""
from __future__ import annotations

import warnings
from typing import Any

from ..errors import user_stacklevel
from .loss import NLLLoss
from .module import Module
# the bases' constructors are ours (input_size, hidden_size, ...), not PyTorch's
# RNNBase(mode, ...): PyTorch's base is not meant to be built either, only its subclasses
from .recurrent import RNNBase, RNNCellBase

__all__ = ["RNNBase", "RNNCellBase", "NLLLoss2d", "Container"]


class NLLLoss2d(NLLLoss):
    """PyTorch's deprecated NLLLoss2d: `NLLLoss` (its arguments, weight, ignore_index,
    reduction; (batch, classes, height, width) log-probabilities with (batch, height,
    width) targets as NLLLoss takes them), warning when made."""

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a "
                      "drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.",
                      FutureWarning, stacklevel=user_stacklevel())
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class Container(Module):
    """PyTorch's deprecated Container: a Module holding the modules given by keyword
    (`Container(conv=nn.Conv2d(...))`: self.conv), warning when made; subclass Module
    instead."""

    def __init__(self, **kwargs: Any) -> None:
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now "
                      "implemented in `nn.Module`. Subclass that instead.", FutureWarning,
                      stacklevel=user_stacklevel())
        super().__init__()
        for name, module in kwargs.items():
            if module is not None and not isinstance(module, Module):
                raise TypeError(f"Container: every keyword must give a Module, got {name}= "
                                f"of type {type(module).__name__}; as Container({name}="
                                f"nn.Linear(2, 3))")
            self.add_module(name, module)

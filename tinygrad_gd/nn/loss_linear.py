"""LinearCrossEntropyLoss: PyTorch 2.13's layer of a Linear and cross-entropy in one, the
module of `F.linear_cross_entropy` (functional_more2.py).

It owns a `Linear(in_features, num_classes * prod(out_features))` (`linear.weight`, and
`linear.bias` with `bias=True`, stored flat as PyTorch stores them) and reshapes them to
(C, d1, ..., dK, in_features) and (C, d1, ..., dK) for each call; the class `weight` is a
buffer, as CrossEntropyLoss's. The loss is `cross_entropy(linear(input), target)`, so
backward() reaches the Linear's weight and bias through `linear` and `cross_entropy`.
"""
from __future__ import annotations

import math
from typing import Any

from ..ops.arguments import integer
from ..tensor import Tensor
from . import functional as F
from .layers import Linear
from .loss import _keep
from .loss_checks import _check_reduction, _check_weight
from .module import Module

__all__ = ["LinearCrossEntropyLoss"]


class LinearCrossEntropyLoss(Module):
    """Cross-entropy of `target` and the logits a Linear layer makes of `input` (PyTorch's
    `nn.LinearCrossEntropyLoss`): `LinearCrossEntropyLoss(in_features, num_classes)` holds
    `linear = Linear(in_features, num_classes, bias=False)` and returns
    `F.cross_entropy(linear(input), target)`.

    Keyword-only, as PyTorch's: `out_features=(d1, ..., dK)` for a K-dimensional loss (the
    logits (N, C, d1, ..., dK)), `bias=False`, `device`, `dtype` (the Linear's), `reduction`,
    `weight` (one number per class, a buffer), `ignore_index` (None: -100 for class
    indices), `label_smoothing`, and `options` (PyTorch's chunked computation, a memory
    saving: the same loss, so taken and changing nothing here).
    """

    def __init__(self, in_features: int, num_classes: int, *, out_features: tuple = (),
                 bias: bool = False, device: Any = None, dtype: Any = None,
                 reduction: str = "mean", weight: Any = None, ignore_index: int | None = None,
                 label_smoothing: float = 0.0, options: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        sizes = out_features if isinstance(out_features, (tuple, list)) else [out_features]
        for size in sizes:  # (in_features and num_classes: the Linear's own checks)
            if integer(name, "out_features", size) < 0:
                raise ValueError(f"{name}: out_features {tuple(sizes)} holds a negative size; "
                                 f"give sizes of 0 or more")
        _check_reduction(name, reduction)
        _check_weight(name, weight)
        self.in_features, self.num_classes = in_features, num_classes
        self.out_features = tuple(int(size) for size in sizes)
        self.linear = Linear(in_features, num_classes * math.prod(self.out_features), bias=bias,
                             device=device, dtype=dtype)
        _keep(self, "weight", weight)
        self.reduction, self.ignore_index = reduction, ignore_index
        self.label_smoothing, self.options = label_smoothing, options

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002  (PyTorch's)
        weight, bias = self.linear.weight, self.linear.bias
        if self.out_features:  # (the flat weight as (C, d1, ..., dK, in); (C, in) as it is)
            logits = (self.num_classes, *self.out_features)
            weight = weight.reshape(logits + (self.in_features,))
            bias = None if bias is None else bias.reshape(logits)
        return F.linear_cross_entropy(
            input, weight, target, linear_bias=bias, weight=self.weight,
            reduction=self.reduction, ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing, options=self.options)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")

"""PyTorch's margin, embedding, likelihood and CTC losses as Modules:
`loss_fn = nn.TripletMarginLoss(margin=0.5); loss = loss_fn(anchor, positive, negative)`.

Each calls the function of the same meaning in `nn.functional` (margin_losses.py,
likelihood_losses.py, ctc.py), where the formulas are; PyTorch's constructor arguments,
order and defaults, its deprecated size_average and reduce too (see loss.py's
`_ReducedLoss`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..grad_mode import check_flag
from ..ops.arguments import integer, number
from ..tensor import Tensor, _raw
from . import functional as F
from .distance import PairwiseDistance
from .loss import _keep, _ReducedLoss
from .loss_checks import _check_weight
from .margin_losses import _check_p, _positive_margin

__all__ = ["MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
           "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "MultiMarginLoss",
           "MultiLabelMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
           "GaussianNLLLoss", "PoissonNLLLoss", "CTCLoss"]


class _MarginLoss(_ReducedLoss):
    """A loss with PyTorch's `margin` (any number; 0.0 by default) before `size_average`,
    `reduce` and `reduction`."""

    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = number(type(self).__name__, "margin", margin)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, " + super().extra_repr()


class MarginRankingLoss(_MarginLoss):
    """max(0, -y (x1 - x2) + margin), y 1 or -1 (see `functional.margin_ranking_loss`);
    called as loss_fn(input1, input2, target)."""

    def forward(self, input1: Any, input2: Any, target: Any) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """x where y is 1, max(0, margin - x) where y is -1 (margin 1.0; see
    `functional.hinge_embedding_loss`)."""

    def __init__(self, margin: float = 1.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """1 - cos(x1, x2) where y is 1, max(0, cos - margin) where y is -1 (see
    `functional.cosine_embedding_loss`); called as loss_fn(input1, input2, target)."""

    def forward(self, input1: Any, input2: Any, target: Any) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, self.margin,
                                       reduction=self.reduction)


class SoftMarginLoss(_ReducedLoss):
    """log(1 + exp(-y x)), y 1 or -1 (see `functional.soft_margin_loss`)."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelMarginLoss(_ReducedLoss):
    """The multi-label hinge loss, target classes listed first, then -1 (see
    `functional.multilabel_margin_loss`)."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_ReducedLoss):
    """Binary cross-entropy of sigmoid(x) per class, averaged over the classes (see
    `functional.multilabel_soft_margin_loss`); `weight` (broadcast to the input's shape,
    one number per class as a rule) kept as a Buffer, as PyTorch's."""

    _positional_tensors = 1  # (PyTorch's weight)

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        _check_weight("MultiLabelSoftMarginLoss", weight)
        super().__init__(size_average, reduce, reduction)
        _keep(self, "weight", weight)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, self.weight,
                                             reduction=self.reduction)


class MultiMarginLoss(_ReducedLoss):
    """The multi-class hinge loss (p 1 or 2, margin 1.0, see `functional.multi_margin_loss`);
    `weight` (one number per class) kept as a Buffer, as PyTorch's."""

    _positional_tensors = 1  # (PyTorch's weight)

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None,
                 size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        _check_weight("MultiMarginLoss", weight)
        super().__init__(size_average, reduce, reduction)
        _check_p("MultiMarginLoss", p)
        if weight is not None and np.ndim(_raw(weight)) != 1:
            raise ValueError(f"MultiMarginLoss: weight must be one-dimensional (one number "
                             f"per class), got shape {np.shape(_raw(weight))}")
        self.p, self.margin = p, number("MultiMarginLoss", "margin", margin)
        _keep(self, "weight", weight)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                   reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"p={self.p}, margin={self.margin}, " + super().extra_repr()


class TripletMarginLoss(_ReducedLoss):
    """max(0, d(a, p) - d(a, n) + margin), d the p-norm distance (see
    `functional.triplet_margin_loss`); called as loss_fn(anchor, positive, negative)."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = _positive_margin("TripletMarginLoss", margin)
        self.p, self.eps = number("TripletMarginLoss", "p", p), number("TripletMarginLoss",
                                                                      "eps", eps)
        self.swap = check_flag("TripletMarginLoss", "swap", swap)

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p,
                                     self.eps, self.swap, reduction=self.reduction)

    def extra_repr(self) -> str:
        return (f"margin={self.margin}, p={self.p}, eps={self.eps}, swap={self.swap}, "
                + super().extra_repr())


class TripletMarginWithDistanceLoss(_ReducedLoss):
    """The triplet loss with the caller's `distance_function(x1, x2)` (None: the Euclidean
    distance, kept as PyTorch's, a `PairwiseDistance()` sub-module; see
    `functional.triplet_margin_with_distance_loss`); keywords only, as PyTorch's."""

    def __init__(self, *, distance_function: Callable | None = None, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        where = "TripletMarginWithDistanceLoss"
        if distance_function is not None and not callable(distance_function):
            raise TypeError(f"{where}: distance_function must be a function of two tensors "
                            f"or None, got {type(distance_function).__name__}")
        self.distance_function = (PairwiseDistance() if distance_function is None
                                  else distance_function)
        self.margin = _positive_margin(where, margin)
        self.swap = check_flag(where, "swap", swap)

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, swap={self.swap}, " + super().extra_repr()


class GaussianNLLLoss(_ReducedLoss):
    """The Gaussian negative log-likelihood of the target, given mean and variance (see
    `functional.gaussian_nll_loss`); called as loss_fn(input, target, var); keywords
    only, as PyTorch's."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full = check_flag("GaussianNLLLoss", "full", full)
        self.eps = number("GaussianNLLLoss", "eps", eps, 0)

    def forward(self, input: Any, target: Any, var: Any) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)

    def extra_repr(self) -> str:
        return f"full={self.full}, eps={self.eps}, " + super().extra_repr()


class PoissonNLLLoss(_ReducedLoss):
    """The Poisson negative log-likelihood of counts, given log-rates (`log_input`) or
    rates (see `functional.poisson_nll_loss`)."""

    def __init__(self, log_input: bool = True, full: bool = False,
                 size_average: bool | None = None, eps: float = 1e-8,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = check_flag("PoissonNLLLoss", "log_input", log_input)
        self.full = check_flag("PoissonNLLLoss", "full", full)
        self.eps = number("PoissonNLLLoss", "eps", eps, 0)

    def forward(self, log_input: Any, target: Any) -> Tensor:
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full,
                                  eps=self.eps, reduction=self.reduction)

    def extra_repr(self) -> str:
        return (f"log_input={self.log_input}, full={self.full}, eps={self.eps}, "
                + super().extra_repr())


class CTCLoss(_ReducedLoss):
    """The connectionist temporal classification loss (see `functional.ctc_loss`); called
    as loss_fn(log_probs, targets, input_lengths, target_lengths)."""

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = integer("CTCLoss", "blank", blank)
        if self.blank < 0:
            raise RuntimeError(f"CTCLoss: blank must be a class index >= 0, got {blank}")
        self.zero_infinity = check_flag("CTCLoss", "zero_infinity", zero_infinity)

    def forward(self, log_probs: Any, targets: Any, input_lengths: Any,
                target_lengths: Any) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)

    def extra_repr(self) -> str:
        return (f"blank={self.blank}, " + super().extra_repr()
                + f", zero_infinity={self.zero_infinity}")

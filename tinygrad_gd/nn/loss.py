"""The losses as Modules: `loss_fn = nn.MSELoss(); loss = loss_fn(prediction, target)`.

Each calls the function of the same meaning in `nn.functional`, where the formulas are.
"""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from ..ops.arguments import number
from .loss_checks import _check_reduction
from .module import Buffer, Module

__all__ = ["SSELoss", "HalfSSELoss", "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss",
           "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "KLDivLoss"]


class SSELoss(Module):
    """Sum of squared errors: sum((input - target)**2)."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.sse_loss(input, target)


class HalfSSELoss(Module):
    """0.5 * sum((input - target)**2): its gradient wrt input is input - target, the delta."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.half_sse_loss(input, target)


class _ReducedLoss(Module):
    """A loss with PyTorch's `reduction`: 'mean' (default), 'sum' or 'none' (one per entry).
    `_weight_first`: PyTorch's first argument is weight (the cross-entropies'), here
    reduction; a tensor there is refused with a message that says so."""

    _weight_first = False

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(type(self).__name__, reduction, "first" if self._weight_first else "")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_ReducedLoss):
    """Mean squared error (see `functional.mse_loss`)."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class BCELoss(_ReducedLoss):
    """Binary cross-entropy on probabilities (see `functional.binary_cross_entropy`);
    PyTorch's `weight` by keyword (kept as a Buffer, see `_keep`)."""

    _weight_first = True
    _positional_tensors = 1  # (that tensor reaches _check_reduction, whose message says why)

    def __init__(self, reduction: str = "mean", *, weight: Any = None) -> None:
        super().__init__(reduction)
        _keep(self, "weight", weight)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.reduction, weight=self.weight)


class BCEWithLogitsLoss(_ReducedLoss):
    """Binary cross-entropy on raw scores, stable for any size (sigmoid built in);
    PyTorch's `weight` and `pos_weight` by keyword (see
    `functional.binary_cross_entropy_with_logits`; kept as Buffers, see `_keep`)."""

    _weight_first = True
    _positional_tensors = 1  # (that tensor reaches _check_reduction, whose message says why)

    def __init__(self, reduction: str = "mean", *, weight: Any = None,
                 pos_weight: Any = None) -> None:
        super().__init__(reduction)
        _keep(self, "weight", weight)
        _keep(self, "pos_weight", pos_weight)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction,
                                                  weight=self.weight, pos_weight=self.pos_weight)


def _keep(loss: Module, name: str, weight: Any) -> None:
    """A loss's weight kept as PyTorch's, a buffer (in the loss's state_dict; None: the
    name registered, a Tensor assigned later becomes the buffer): numbers, or a copy of a
    Tensor's values in its dtype (as `register_buffer`: a later change to the caller's
    tensor leaves the loss as it was; change `loss_fn.weight` instead). A weight that
    requires a gradient is kept as it is, so that gradients reach it."""
    if isinstance(weight, Tensor) and weight.requires_grad:
        setattr(loss, name, weight)
    else:
        loss.register_buffer(name, weight if weight is None or isinstance(weight, Tensor)
                             else Buffer(weight))


class _WeightedLoss(_ReducedLoss):
    """A loss over class indices with PyTorch's `weight` (one number per class) and
    `ignore_index`, given by keyword: the first argument here is `reduction`. The weight
    is kept as a Buffer (`weight` in the model's state_dict, as in PyTorch; see `_keep`)."""

    _weight_first = True
    _positional_tensors = 1  # (that tensor reaches _check_reduction, whose message says why)

    def __init__(self, reduction: str = "mean", *, weight: Any = None,
                 ignore_index: int = -100) -> None:
        super().__init__(reduction)
        _keep(self, "weight", weight)
        self.ignore_index = ignore_index

    def extra_repr(self) -> str:
        options = "" if self.weight is None else ", weight=..."
        if self.ignore_index != -100:
            options += f", ignore_index={self.ignore_index}"
        return super().extra_repr() + options


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of the target classes, from log-probabilities (see
    `functional.nll_loss`): `NLLLoss()(LogSoftmax(dim=1)(x), y)` is cross-entropy; its
    `weight` and `ignore_index` (keywords) are PyTorch's, as `CrossEntropyLoss`'s."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.reduction, weight=self.weight,
                          ignore_index=self.ignore_index)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy from logits and class indices or probabilities (softmax built in).

    PyTorch's `weight` (one number per class), `ignore_index` and `label_smoothing`, with
    its semantics (see `functional.cross_entropy`), given by keyword: the first argument
    here is `reduction`. The weight is kept as a Buffer (`weight` in the model's
    state_dict, as in PyTorch; see `_keep`).
    """

    def __init__(self, reduction: str = "mean", *, weight: Any = None, ignore_index: int = -100,
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.reduction, weight=self.weight,
                               ignore_index=self.ignore_index,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        options = f", label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
        return super().extra_repr() + options


class L1Loss(_ReducedLoss):
    """Mean absolute error (see `functional.l1_loss`)."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_ReducedLoss):
    """Squared error near the target, absolute error beyond `delta` (see
    `functional.huber_loss`)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        number("HuberLoss", "delta", delta, 0, strict=True)
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_ReducedLoss):
    """Huber's loss divided by `beta` (see `functional.smooth_l1_loss`)."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        number("SmoothL1Loss", "beta", beta, 0)
        self.beta = beta

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)


class KLDivLoss(Module):
    """Kullback-Leibler divergence from log-probabilities (see `functional.kl_div`);
    reduction 'mean' (PyTorch's default), 'batchmean', 'sum' or 'none'."""

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        if reduction not in ("mean", "batchmean", "sum", "none"):
            raise ValueError(f"KLDivLoss: reduction must be 'batchmean', 'mean', 'sum' or "
                             f"'none', got {reduction!r}")
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.kl_div(input, target, self.reduction, self.log_target)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, log_target={self.log_target}"

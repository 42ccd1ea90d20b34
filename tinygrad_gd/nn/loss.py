"""The losses as Modules: `loss_fn = nn.MSELoss(); loss = loss_fn(prediction, target)`.

Each calls the function of the same meaning in `nn.functional`, where the formulas are.
"""
from __future__ import annotations

from typing import Any

from ..grad_mode import check_flag
from ..tensor import Tensor
from . import functional as F
from ..ops.arguments import number
from .loss_checks import _check_reduction, _check_weight, _legacy_reduction
from .layer_arguments import _as_tensor
from .module import Module

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
    """A loss with PyTorch's `reduction`: 'mean' (default), 'sum' or 'none' (one per entry),
    and its deprecated `size_average` and `reduce` before it (PyTorch's _Loss): given,
    they decide the reduction by its legacy rule, with its warning (loss_checks'
    `_legacy_reduction`; a string there is refused: pass reduction= by keyword)."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        where = type(self).__name__
        reduction = _legacy_reduction(where, size_average, reduce, reduction)
        _check_reduction(where, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_ReducedLoss):
    """Mean squared error (see `functional.mse_loss`)."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class BCELoss(_ReducedLoss):
    """Binary cross-entropy on probabilities (see `functional.binary_cross_entropy`);
    PyTorch's `weight` (kept as a Buffer, see `_keep`)."""

    _positional_tensors = 1  # (PyTorch's weight)

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        _check_weight(type(self).__name__, weight)
        super().__init__(size_average, reduce, reduction)
        _keep(self, "weight", weight)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_ReducedLoss):
    """Binary cross-entropy on raw scores, stable for any size (sigmoid built in);
    PyTorch's `weight` and `pos_weight` (see `functional.binary_cross_entropy_with_logits`;
    kept as Buffers, see `_keep`)."""

    _positional_tensors = 1  # (PyTorch's weight; its pos_weight, fifth, goes by keyword)

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        _check_weight(type(self).__name__, weight)
        super().__init__(size_average, reduce, reduction)
        _keep(self, "weight", weight)
        _keep(self, "pos_weight", pos_weight)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


def _keep(loss: Module, name: str, weight: Any) -> None:
    """A loss's weight kept as PyTorch's, a buffer (in the loss's state_dict; None: the
    name registered, a Tensor assigned later becomes the buffer): numbers, or a copy of a
    Tensor's values in its dtype (as `register_buffer`: a later change to the caller's
    tensor leaves the loss as it was; change `loss_fn.weight` instead). A weight that
    requires a gradient is kept as it is, so that gradients reach it."""
    if isinstance(weight, Tensor) and weight.requires_grad:
        setattr(loss, name, weight)
    else:  # (numbers checked here: an error names the loss)
        loss.register_buffer(name, weight if weight is None else
                             _as_tensor(type(loss).__name__, weight, None, name))


class _WeightedLoss(_ReducedLoss):
    """A loss over class indices with PyTorch's `weight` (one number per class, kept as a
    Buffer: `weight` in the model's state_dict, as in PyTorch; see `_keep`) and
    `ignore_index`, in PyTorch's order (weight, size_average, ignore_index, reduce,
    reduction)."""

    _positional_tensors = 1  # (PyTorch's weight)

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        _check_weight(type(self).__name__, weight)
        super().__init__(size_average, reduce, reduction)
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
    `weight` and `ignore_index` are PyTorch's, as `CrossEntropyLoss`'s."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy from logits and class indices or probabilities (softmax built in).

    PyTorch's arguments, order and semantics (see `functional.cross_entropy`): `weight`
    (one number per class, kept as a Buffer, see `_WeightedLoss`), `ignore_index`,
    `label_smoothing`, and the deprecated `size_average` and `reduce`.
    """

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        options = f", label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
        return super().extra_repr() + options


class L1Loss(_ReducedLoss):
    """Mean absolute error (see `functional.l1_loss`)."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_ReducedLoss):
    """Squared error near the target, absolute error beyond `delta` (see
    `functional.huber_loss`); PyTorch's arguments (no deprecated ones)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        number("HuberLoss", "delta", delta, 0, strict=True)
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_ReducedLoss):
    """Huber's loss divided by `beta` (see `functional.smooth_l1_loss`)."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        number("SmoothL1Loss", "beta", beta, 0)
        self.beta = beta

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class KLDivLoss(Module):
    """Kullback-Leibler divergence from log-probabilities (see `functional.kl_div`);
    reduction 'mean' (PyTorch's default), 'batchmean', 'sum' or 'none'; the deprecated
    `size_average` and `reduce` as `_ReducedLoss`'s."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        reduction = _legacy_reduction("KLDivLoss", size_average, reduce, reduction)
        _check_reduction("KLDivLoss", reduction, ("batchmean",))
        self.reduction = reduction
        self.log_target = check_flag("KLDivLoss", "log_target", log_target)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, log_target={self.log_target}"

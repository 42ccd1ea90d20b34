"""What the loss functions of `nn.functional` share: the checks of their arguments (a
prediction and a target of one shape, a reduction, values in [0, 1], class indices,
PyTorch's class-weight options), each refusing bad input in one line naming the loss,
and PyTorch's weights applied (`_weighted`, and `_weighted_nll` for the class losses);
PyTorch's deprecated size_average and reduce mapped to a reduction (`_legacy_reduction`).
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import functional as tg_functional
from ..errors import ShapeError, user_stacklevel
from ..tensor import Tensor, _raw
from .layer_arguments import _as_tensor, _named
from .tensor_settings import held_int

_REDUCTIONS = ("mean", "sum", "none")


def _pair(where: str, input: Any, target: Any) -> tuple[Tensor, Tensor]:
    """Prediction and target as Tensors of one shape, or an error naming both shapes; an
    integer or bool target beside a float input in the input's dtype (float32 beside int64
    is float32, the dtype rule, also where a loss adds a number to the target)."""
    input = _as_tensor(where, input)
    target = _as_tensor(where, target, input, "target")
    if input.dtype.kind == "f" and target.dtype.kind in "biu":
        target = target.to(input.dtype)
    if input.shape != target.shape:
        hint = (f"; reshape one of them, e.g. target.reshape{input.shape}"
                if input.size == target.size else "")
        raise ShapeError(
            f"{where}: input (prediction) has shape {input.shape} but target has shape "
            f"{target.shape}; they must be equal (broadcasting them would compare every "
            f"prediction with every target){hint}")
    return input, target


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    return losses.mean() if reduction == "mean" else losses.sum() if reduction == "sum" \
        else losses


def _check_reduction(where: str, reduction: Any, also: tuple[str, ...] = ()) -> None:
    """'mean', 'sum' or 'none' (or one of `also`: kl_div's 'batchmean'), else a one-line
    ValueError, PyTorch's type whatever was given."""
    allowed = also + _REDUCTIONS
    if not isinstance(reduction, str) or reduction not in allowed:
        names = ", ".join(repr(name) for name in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"{where}: reduction must be {names}, got {reduction!r:.40}")


def _legacy_reduction(where: str, size_average: Any, reduce: Any, reduction: Any) -> Any:
    """`reduction`, or, where PyTorch's deprecated `size_average` or `reduce` is given (not
    None), its legacy rule with its UserWarning: reduce False 'none', else size_average
    False 'sum', else 'mean'. A string there is refused: PyTorch would read a reduction
    given in that place (`MSELoss("sum")`) as size_average=True, 'mean', silently."""
    if size_average is None and reduce is None:
        return reduction
    for name, value in (("size_average", size_average), ("reduce", reduce)):
        if isinstance(value, str):
            raise TypeError(f"{where}: got {value!r} for {name}, PyTorch's deprecated flag "
                            f"(before reduction in its order); pass reduction={value!r} by "
                            f"keyword")
        if value is not None and not isinstance(value, (bool, np.bool_, int, np.integer)):
            raise TypeError(f"{where}: {name} (deprecated) must be True, False or None, got a "
                            f"{type(value).__name__}; pass reduction= by keyword instead")
    reduce = True if reduce is None else reduce
    legacy = "none" if not reduce else "sum" if size_average is not None and not size_average \
        else "mean"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{legacy}' instead.", UserWarning, stacklevel=user_stacklevel())
    return legacy


def _check_weight(where: str, weight: Any) -> None:
    """PyTorch's weight comes before reduction: a reduction's name there is misplaced (other
    strings meet the weight's own check: not numbers)."""
    if isinstance(weight, str) and weight in _REDUCTIONS + ("batchmean",):
        raise TypeError(f"{where}: weight must be a tensor or None, got the string {weight!r}; "
                        f"pass the reduction by keyword, reduction={weight!r}")


def _check_unit_interval(where: str, what: str, t: Tensor, hint: str) -> None:
    data = t._data
    if data.size and not ((data >= 0) & (data <= 1)).all():  # (NaN is refused too)
        nans = int((data != data).sum())
        raise ValueError(f"{where}: {what} must lie in [0, 1], got " + (
            f"{nans} NaN(s); find the step that made them with tg.detect_anomaly()" if nans
            else f"values from {data.min():.4g} to {data.max():.4g}{hint}"))


def _weighted(where: str, name: str, values: Tensor, weight: Any) -> Tensor:
    """`values * weight`, the weight (a Tensor that may learn, or numbers in the values'
    dtype: a list, or a constant Tensor such as a loss Module's Buffer, as PyTorch's)
    broadcast to the values' shape, or a one-line error."""
    if weight is None:
        return values
    if not isinstance(weight, Tensor) or not weight.requires_grad and weight.dtype != values.dtype:
        weight = _as_tensor(where, _raw(weight), values, name)
    try:
        shape = np.broadcast_shapes(weight.shape, values.shape)
    except ValueError:
        shape = None
    if shape != values.shape:  # more axes would spread the losses over more entries
        raise ShapeError(
            f"{where}: {name} of shape {weight.shape} does not broadcast to the input's "
            f"shape {values.shape}" + ("" if shape is None else f" (it would make {shape})"))
    return values * weight


def _target_named(target: Any) -> str:
    """A target of no integer dtype, as a message names it: None, or its dtype."""
    return "None" if target is None else f"dtype {np.asarray(_raw(target)).dtype}"


def _class_indices(target: Any, input: Tensor, where: str = "cross_entropy",
                   ignore_index: int | None = None) -> np.ndarray:
    """Integer class indices of shape input.shape[:-1], each in [0, n_classes) or equal to
    `ignore_index`."""
    data = np.array(_raw(target))  # a copy: backward reads it (the caller may change theirs)
    shape = input.shape
    n_classes = shape[-1]
    probabilities = where == "cross_entropy"  # (the one that also takes class probabilities)
    if data.shape != shape[:-1]:
        or_probabilities = f", or of class probabilities of shape {shape}" if probabilities else ""
        if data.dtype.kind not in "iufb":  # (None, strings: their shape is beside the point)
            raise TypeError(f"{where}: target must be a tensor of class indices (integers) of "
                            f"shape {shape[:-1]}{or_probabilities}; got {_target_named(target)}")
        raise ShapeError(
            f"{where}: input of shape {shape} (batch, classes) needs a target of class "
            f"indices of shape {shape[:-1]}{or_probabilities}; got target shape {data.shape}")
    kind = data.dtype.kind
    if kind not in "iuf":  # (a bool's kind, "b", too)
        raise TypeError(f"{where}: class indices must be integers, got {_target_named(target)}")
    if kind == "f":
        if not np.array_equal(data, np.round(data)):
            raise ValueError(f"{where}: a target of class indices must hold whole numbers"
                             + (f"; for class probabilities give shape {shape}, the input's"
                                if probabilities else ""))
        data = data.astype(np.int64)
    bad = (data < 0) | (data >= n_classes)
    if np.count_nonzero(bad):  # (count_nonzero: cheaper than any() on a small array)
        if ignore_index is not None:  # (out of range, unless the ignored class)
            bad &= data != ignore_index
        if bad.any():
            raise ValueError(f"{where}: class indices must lie in [0, {n_classes - 1}] for "
                             f"{n_classes} classes, got {np.unique(data[bad]).tolist()}")
    return data


def _check_class_options(where: str, input: Tensor, reduction: Any, weight: Any,
                         ignore_index: Any, label_smoothing: Any) -> tuple[Tensor | None, int]:
    """PyTorch's class-weight options checked; the weight as a Tensor of the input's dtype,
    and ignore_index (an integer tensor of one entry as its int, as PyTorch reads it)."""
    _check_reduction(where, reduction)
    # (fast path: an int ignore_index, a float label_smoothing skip the general type tests)
    if type(ignore_index) is not int:
        ignore_index = held_int(where, "ignore_index", ignore_index)
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
            raise TypeError(f"{where}: ignore_index must be an int, got {ignore_index!r}")
    if type(label_smoothing) is not float and (isinstance(label_smoothing, bool) or not isinstance(
            label_smoothing, (int, float, np.integer, np.floating))) \
            or not 0 <= label_smoothing <= 1:
        raise ValueError(f"{where}: label_smoothing must be a number in [0.0, 1.0], got "
                         f"{label_smoothing!r}")
    if weight is None:
        return None, ignore_index
    if not (isinstance(weight, Tensor) and weight.requires_grad):  # a constant: input's dtype
        given = getattr(weight, "name", None)  # (the copy keeps the user's name for diagrams)
        weight = _named(_as_tensor(where, _raw(weight), input, "weight"), given or "weight")
    classes = input.shape[1:2] if input.ndim > 1 else input.shape[-1:]  # ((N, C, d1, ...))
    if weight.shape != classes:
        raise ShapeError(f"{where}: weight must hold one number per class, shape {classes} "
                         f"for input of shape {input.shape}; got shape {weight.shape}")
    return weight, ignore_index


def _weighted_nll(log_p: Tensor, classes: np.ndarray, ignored: np.ndarray,
                  weight: Tensor | None, smoothing: float, reduction: str) -> Tensor:
    """The negative log-likelihood with weights, ignored targets or label smoothing, from
    Tensor ops (cross_entropy's, on log_softmax(input), and nll_loss's)."""
    safe = np.where(ignored, 0, classes)  # any class: its term is multiplied by 0
    picked = tg_functional.take_along_axis(log_p, np.expand_dims(safe, -1), axis=-1)
    # a mask only where a target is ignored: one of all 1s, drawn, reads as the target
    keep = (_named(Tensor((~ignored).astype(log_p.dtype)), "target not ignored")
            if ignored.any() else None)
    sample_weight = keep if weight is None else _named(
        weight[safe] if keep is None else weight[safe] * keep, "weight[target]")
    losses = -picked.reshape(classes.shape)
    if sample_weight is not None:
        losses = losses * sample_weight
    if smoothing:
        spread = -(log_p if weight is None else log_p * weight).sum(axis=-1)
        spread = spread if keep is None else spread * keep
        losses = (1.0 - smoothing) * losses + (smoothing / log_p.shape[-1]) * spread
    if reduction == "mean":
        total = classes.size if sample_weight is None else sample_weight.sum()
        if not (total if sample_weight is None else total.item()):
            # every target ignored (or none): PyTorch's NaN, and gradients 0 (not 0/0)
            return losses.sum() * 0.0 + np.nan
        return losses.sum() / total
    return losses.sum() if reduction == "sum" else losses


def _per_position(loss: Any, where: str, input: Tensor, target: Any, reduction: Any,
                  **options: Any) -> Tensor:
    """`loss` (cross_entropy, nll_loss) of an input (batch, classes, d1, ..., dK), as
    PyTorch's: the class axis moved last and each of the batch * d1 * ... * dK positions a
    sample ('mean' over them; with a weight, over their weights), the target class indices
    (batch, d1, ..., dK) or (cross_entropy's) class probabilities of the input's shape;
    'none' gives (batch, d1, ..., dK)."""
    if input.ndim == 0:
        raise ValueError(f"{where}: input must have a classes axis, (batch, classes), "
                         f"(classes,) or (batch, classes, d1, ...); got a 0-d tensor")
    classes, positions = input.shape[1], input.shape[:1] + input.shape[2:]
    count = math.prod(positions)  # (not -1: ambiguous where there are 0 classes)
    given = target if isinstance(target, Tensor) else np.asarray(target)
    probabilities = where == "cross_entropy"
    if given.shape == input.shape and probabilities:  # (their class axis last too)
        moved = given.movedim(1, -1) if isinstance(given, Tensor) else np.moveaxis(given, 1, -1)
        flat_target = moved.reshape(count, classes)
    elif given.shape == positions:
        flat_target = given.reshape(-1)
    else:
        # (a target of the input's shape but its last axis: the classes were left last, as
        # a Linear over (batch, length, features) gives them)
        move = "transpose(1, 2)" if input.ndim == 3 else "movedim(-1, 1)"
        hint = f"; if the classes are the last axis, move them to axis 1: input.{move}" \
            if given.shape == input.shape[:-1] else ""
        raise ShapeError(f"{where}: input of shape {input.shape} (batch, classes, d1, ...) "
                         f"needs a target of class indices of shape {positions}"
                         f"{', or of class probabilities of its shape' * probabilities}, got "
                         f"shape {given.shape}{hint}")
    losses = loss(input.movedim(1, -1).reshape(count, classes), flat_target,
                  reduction=reduction, **options)
    return losses.reshape(positions) if reduction == "none" else losses


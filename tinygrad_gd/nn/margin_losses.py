"""PyTorch's margin and embedding losses as functions (`nn.functional` re-exports them; the
Modules of the same meaning are in loss_more.py), composed of Tensor ops:

    margin_ranking_loss          max(0, -y (x1 - x2) + margin), y = 1: x1 should rank higher
    hinge_embedding_loss         x where y = 1, max(0, margin - x) where y = -1
    soft_margin_loss             log(1 + exp(-y x)), computed without overflow
    multilabel_soft_margin_loss  binary cross-entropy of sigmoid(x) per class, mean over classes
    cosine_embedding_loss        1 - cos(x1, x2) where y = 1, max(0, cos - margin) where y = -1
    multi_margin_loss            sum over j != y of max(0, margin - x[y] + x[j])**p / C
    multilabel_margin_loss       the same over every (target class, other class) pair, margin 1
    triplet_margin_loss          max(0, d(a, p) - d(a, n) + margin), d the p-norm distance
    triplet_margin_with_distance_loss   the same with the caller's distance function

Targets of 1 and -1 (the first, second, third and fifth) are checked: any other value is a
one-line error (PyTorch computes a meaningless number from a 0/1 label). Prediction and
target are of one shape (loss_checks.py's rule: no broadcasting; the triplets' anchor,
positive and negative broadcast, as PyTorch's). `reduction` 'mean',
'sum' or 'none', as PyTorch's, and its deprecated size_average and reduce in its places
(loss_checks' `_legacy_reduction`).

Beside them, what the Modules of loss_more.py check too (`_check_p`, `_positive_margin`);
the constants a loss makes for itself are named for diagrams (layer_functions' `_named`,
`_constant`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import functional as tg
from ..composed_reductions import vector_norm
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor, _raw
from .layer_arguments import _as_tensor, _constant, _named
from .loss_checks import (_check_class_options, _check_reduction, _check_unit_interval,
                          _check_weight, _class_indices, _legacy_reduction, _pair, _reduce,
                          _weighted)

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss",
           "multilabel_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"]


def _check_p(where: str, p: Any) -> None:
    if number(where, "p", p) not in (1, 2):
        raise ValueError(f"{where}: only p == 1 and p == 2 are supported, got p={p!r}")


def _positive_margin(where: str, margin: Any) -> float:
    """The triplet losses' margin: a number > 0, as PyTorch's."""
    if number(where, "margin", margin) <= 0:
        raise ValueError(f"{where}: margin must be greater than 0, got {margin!r}")
    return float(margin)


def _signs(where: str, target: Any, like: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The target of 1s and -1s, of `shape`, as a Tensor (the input's float dtype for
    numbers), or a one-line error naming the values that are neither."""
    target = _as_tensor(where, target, like, "target")
    if target.shape != shape:
        raise ShapeError(f"{where}: target of shape {target.shape} does not fit input of shape "
                         f"{like.shape}; expected target shape {shape}")
    data = target._data
    bad = (data != 1) & (data != -1)
    if bad.any():
        values = np.unique(data[bad])
        hint = ("; labels 0 and 1? pass 2 * y - 1" if np.isin(values, (0, 1)).all() else "")
        raise ValueError(f"{where}: target must hold 1 or -1 in every entry, got "
                         f"{values[:5].tolist()}{hint}")
    return target


def _same_shape(where: str, x1: Any, x2: Any, names: tuple[str, str]) -> tuple[Tensor, Tensor]:
    """Two inputs compared entry by entry: Tensors of one shape (the second in the first's
    float dtype, for numbers), or a one-line error naming both shapes."""
    x1 = _as_tensor(where, x1, None, names[0])
    x2 = _as_tensor(where, x2, x1, names[1])
    if x1.shape != x2.shape:
        raise ShapeError(f"{where}: {names[0]} of shape {x1.shape} and {names[1]} of shape "
                         f"{x2.shape} must have the same shape")
    return x1, x2


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin) per entry: target 1 says input1 should
    rank higher (by at least `margin`), -1 that input2 should. The three of one shape."""
    where = "margin_ranking_loss"
    reduction = _legacy_reduction(where, size_average, reduce, reduction)
    _check_reduction(where, reduction)
    margin = number(where, "margin", margin)
    x1, x2 = _same_shape(where, input1, input2, ("input1", "input2"))
    y = _signs(where, target, x1, x1.shape)
    # y (x2 - x1), not -y (x1 - x2): -y of a constant target is a new, unnamed constant
    return _reduce((y * (x2 - x1) + margin).clamp_min(0.0), reduction)


def hinge_embedding_loss(input: Any, target: Any, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where it is -1 (input: a distance,
    small for similar pairs, at least `margin` for dissimilar ones)."""
    where = "hinge_embedding_loss"
    reduction = _legacy_reduction(where, size_average, reduce, reduction)
    _check_reduction(where, reduction)
    margin = number(where, "margin", margin)
    input = _as_tensor(where, input)
    similar = _signs(where, target, input, input.shape)._data == 1
    return _reduce(tg.where(similar, input, (margin - input).clamp_min(0.0)), reduction)


def soft_margin_loss(input: Any, target: Any, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), target 1 or -1: the logistic loss. Computed as
    softplus, so a large -target * input gives its value, not PyTorch's inf."""
    reduction = _legacy_reduction("soft_margin_loss", size_average, reduce, reduction)
    _check_reduction("soft_margin_loss", reduction)
    input = _as_tensor("soft_margin_loss", input)
    target = _signs("soft_margin_loss", target, input, input.shape)
    return _reduce((-(target * input)).softplus(), reduction)


def multilabel_soft_margin_loss(input: Any, target: Any, weight: Any = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """Per sample, the mean over the classes (the last axis) of the binary cross-entropy
    of sigmoid(input) against the target (1: the class applies, 0: it does not; values
    between are soft labels), each class's term times `weight` (broadcast to the input's
    shape) before the mean. Without overflow: -log(sigmoid(x)) is softplus(-x)."""
    where = "multilabel_soft_margin_loss"
    _check_weight(where, weight)
    reduction = _legacy_reduction(where, size_average, reduce, reduction)
    _check_reduction(where, reduction)
    input, target = _pair(where, input, target)
    if input.ndim == 0:
        raise ValueError(f"{where}: input must have a class axis (the last), shape (batch, "
                         f"classes) or (classes,); got a 0-d input")
    _check_unit_interval(where, "target", target, "")
    negative = _named(1.0 - target, "1 - target")
    losses = target * (-input).softplus() + negative * input.softplus()
    losses = _weighted(where, "weight", losses, weight)
    return _reduce(losses.sum(axis=-1) / input.shape[-1], reduction)


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1; the
    cosine along the last axis, PyTorch's: (x1 . x2) / sqrt((|x1|^2 + 1e-12)(|x2|^2 +
    1e-12)), so zero vectors have cosine 0. Inputs (batch, features) with target (batch,),
    or (features,) with a 0-d target."""
    where = "cosine_embedding_loss"
    reduction = _legacy_reduction(where, size_average, reduce, reduction)
    _check_reduction(where, reduction)
    margin = number(where, "margin", margin)
    x1, x2 = _same_shape(where, input1, input2, ("input1", "input2"))
    if x1.ndim not in (1, 2):
        raise ShapeError(f"{where}: inputs must be (batch, features) or (features,), got "
                         f"shape {x1.shape}")
    similar = _signs(where, target, x1, x1.shape[:-1])._data == 1
    # (an input without a graph gives a constant: named)
    squares = (_named((x1 * x1).sum(axis=-1) + 1e-12, "|input1|^2 + 1e-12")
               * _named((x2 * x2).sum(axis=-1) + 1e-12, "|input2|^2 + 1e-12"))
    cos = (x1 * x2).sum(axis=-1) / squares.sqrt()
    return _reduce(tg.where(similar, 1.0 - cos, (cos - margin).clamp_min(0.0)), reduction)


def _scores(where: str, input: Any) -> Tensor:
    """A classifier's scores: (batch, classes) or (classes,), at least one class; a 0-d
    input is one class's score (PyTorch's), returned as shape (1,)."""
    input = _as_tensor(where, input)
    if input.ndim > 2 or (input.ndim and input.shape[-1] == 0):
        raise ShapeError(f"{where}: input must be scores of shape (batch, classes) or "
                         f"(classes,) with at least one class, got shape {input.shape}")
    return input.reshape((1,)) if input.ndim == 0 else input


def _one_per_sample(target: Any, samples: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
    """multi_margin_loss's target as PyTorch reads it: 0-d or 1-d, one entry per sample
    (`samples`: () or (N,)), so (1,) for one sample and () for a batch of one too. The
    target reshaped to `samples` (others as given, for the shape error), and its shape."""
    data = np.asarray(_raw(target))
    fits = data.ndim <= 1 and data.size == (samples[0] if samples else 1)
    return (data.reshape(samples) if fits else target), data.shape


def multi_margin_loss(input: Any, target: Any, p: int = 1, margin: float = 1.0,
                      weight: Any = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The multi-class hinge loss: per sample, the sum over the classes j other than the
    target y of max(0, margin - x[y] + x[j])**p (p 1 or 2), times weight[y] if given (one
    number per class), divided by the number of classes. Its gradient is 0 where the
    hinge is exactly 0, as PyTorch's. Input (batch, classes), (classes,) or 0-d (one
    class); target one class index per sample, 0-d or 1-d ('none' gives its shape)."""
    where = "multi_margin_loss"
    _check_p(where, p)
    _check_weight(where, weight)
    reduction = _legacy_reduction(where, size_average, reduce, reduction)
    margin = number(where, "margin", margin)
    input = _scores(where, input)
    weight = _check_class_options(where, input, reduction, weight, -100, 0.0)[0]
    target, target_shape = _one_per_sample(target, input.shape[:-1])
    classes = _class_indices(target, input, where)
    picked = tg.take_along_axis(input, classes[..., None], axis=-1)
    hinge = (margin - picked + input).relu()  # (relu: PyTorch's gradient 0 at the kink)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * _named(weight[classes][..., None], "weight[target]")
    others = np.arange(input.shape[-1]) != classes[..., None]
    losses = tg.where(others, hinge, 0.0).mean(axis=-1)
    # ('none': the target's shape, as PyTorch's)
    return _reduce(losses, reduction) if reduction != "none" else losses.reshape(target_shape)


def multilabel_margin_loss(input: Any, target: Any, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The multi-label hinge loss: per sample, the sum over its target classes j and its
    other classes i of max(0, 1 - (x[j] - x[i])), divided by the number of classes.
    `target` (integer, the input's shape) lists the target classes first, then -1; what
    follows the first -1 is not read, but must be -1 or a class too, as PyTorch's: [3, 0,
    -1, 1] means classes 3 and 0. Its gradient is 0 where the hinge is exactly 0, as
    PyTorch's. A 0-d input is one class's score, its target 0-d or of shape (1,)."""
    where = "multilabel_margin_loss"
    reduction = _legacy_reduction(where, size_average, reduce, reduction)
    _check_reduction(where, reduction)
    input = _as_tensor(where, input)
    one_sample = input.ndim < 2  # (0-d or (C,))
    input = _scores(where, input)
    data = np.array(getattr(target, "_data", target))
    if one_sample and data.ndim <= 1 and data.size == input.size:  # (0-d or (1,) for one)
        data = data.reshape(input.shape)
    if data.shape != input.shape:
        raise ShapeError(f"{where}: target of shape {data.shape} must have the input's shape "
                         f"{input.shape} (the target classes, then -1)")
    if data.dtype.kind not in "iu":
        raise TypeError(f"{where}: target must hold integer class indices (and -1), got "
                        f"dtype {data.dtype}")
    n_classes = input.shape[-1]
    bad = (data < -1) | (data >= n_classes)
    if bad.any():
        raise ValueError(f"{where}: target entries must be class indices in [0, "
                         f"{n_classes - 1}] or -1 (the end of the list), got "
                         f"{np.unique(data[bad])[:5].tolist()}")
    listed = np.cumsum(data == -1, axis=-1) == 0  # the entries before the first -1
    # counts[..., j]: how often class j is listed (twice listed, its pairs count twice)
    counts = (listed[..., None] & (data[..., None] == np.arange(n_classes))).sum(axis=-2)
    pairs = counts[..., :, None] * (counts[..., None, :] == 0)  # (target j, non-target i)
    weights = _constant(pairs.astype(input.dtype), "target pairs")
    hinge = (1.0 - input[..., :, None] + input[..., None, :]).relu()
    # the pairs chosen before the weights multiply: 0 * an inf hinge of another pair is NaN
    hinge = tg.where(pairs > 0, hinge, 0.0) * weights
    return _reduce(hinge.sum(axis=(-2, -1)) / n_classes, reduction)


def _pairwise_distance(where: str, p: float, eps: float) -> Callable[[Tensor, Tensor], Tensor]:
    """PyTorch's pairwise_distance(x1, x2, p, eps): the p-norm of x1 - x2 + eps along the
    last axis."""
    return lambda x1, x2: vector_norm(x1 - x2 + eps, p, axis=-1, op=where)


def _triplet(where: str, anchor: Any, positive: Any, negative: Any,
             distance: Callable[[Any, Any], Any], margin: Any, swap: Any,
             reduction: Any) -> Tensor:
    """max(0, distance(a, p) - distance(a, n) + margin), with `swap` the smaller of
    distance(a, n) and distance(p, n) in place of distance(a, n)."""
    _check_reduction(where, reduction)
    margin = _positive_margin(where, margin)
    swap = check_flag(where, "swap", swap)
    anchor = _as_tensor(where, anchor, None, "anchor")
    positive = _as_tensor(where, positive, anchor, "positive")
    negative = _as_tensor(where, negative, anchor, "negative")
    shapes = (anchor.shape, positive.shape, negative.shape)
    try:
        common = np.broadcast_shapes(*shapes)
    except ValueError:
        common = None
    if len({len(s) for s in shapes}) != 1 or common is None or not anchor.ndim:
        raise ShapeError(f"{where}: anchor, positive and negative must have the same number "
                         f"of dimensions, at least 1 (the last: the features), and shapes that "
                         f"broadcast together; got {shapes[0]}, {shapes[1]} and {shapes[2]}")
    d_positive = distance(anchor, positive)
    d_negative = distance(anchor, negative)
    if swap:  # (of a constant positive and negative: a constant, named)
        d_swap = _named(distance(positive, negative), "distance(positive, negative)")
        d_negative = tg.minimum(d_negative, d_swap)
    return _reduce((margin + d_positive - d_negative).clamp_min(0.0), reduction)


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, d(anchor, positive) - d(anchor, negative) + margin), d the p-norm of the
    difference (+ eps) along the last axis (pairwise_distance's); `swap`: the negative's
    distance is the smaller of its distances to the anchor and to the positive. Inputs
    of one number of axes, at least 1 (the last: the features; (batch, features) as a
    rule), of shapes that broadcast together."""
    where = "triplet_margin_loss"
    reduction = _legacy_reduction(where, size_average, reduce, reduction)
    p, eps = number(where, "p", p), number(where, "eps", eps)
    return _triplet(where, anchor, positive, negative, _pairwise_distance(where, p, eps), margin,
                    swap, reduction)


def triplet_margin_with_distance_loss(anchor: Any, positive: Any, negative: Any, *,
                                      distance_function: Callable | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """`triplet_margin_loss` with `distance_function(x1, x2)` (a Tensor of distances, one
    per sample) in place of the p-norm; None: pairwise_distance's Euclidean distance."""
    where = "triplet_margin_with_distance_loss"
    if distance_function is None:
        distance_function = _pairwise_distance(where, 2.0, 1e-6)
    elif not callable(distance_function):
        raise TypeError(f"{where}: distance_function must be a function of two tensors or "
                        f"None, got {type(distance_function).__name__}")
    return _triplet(where, anchor, positive, negative, distance_function, margin, swap,
                    reduction)

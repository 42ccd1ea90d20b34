"""Loss functions, `linear`, `dropout` and the activations as functions (PyTorch's `nn.functional`).

Everything is made of registered ops, so `backward()` differentiates it like any other
expression: `linear` and `cross_entropy` with class indices are one fused op each (as
PyTorch's `addmm` and fused cross-entropy), the rest composed of Tensor ops. The `nn`
Modules of the same names call these. Losses take `(input, target)`,
where `input` is the prediction, and refuse pairs of different shapes instead of
broadcasting them.

    sse_loss       sum((input - target)**2)
    half_sse_loss  0.5 * sum((input - target)**2): its gradient is input - target, the
                   "delta" of Grokking Deep Learning
    mse_loss       mean((input - target)**2)            reduction 'mean' | 'sum' | 'none'
    binary_cross_entropy              on probabilities
    binary_cross_entropy_with_logits  on raw scores, stable for any size
    cross_entropy                     on logits, with class indices or class probabilities
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import make_generator
from ..ops.losses import CrossEntropy
from ..ops.matmul import Linear
# the activations as PyTorch's F has them: the tg. functions their ops register (no second copy)
from ..functional import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh  # noqa: F401
from ..tensor import Tensor, _raw

__all__ = [
    "linear", "dropout", "relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax",
    "sse_loss", "half_sse_loss", "mse_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy",
]

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """A Tensor as is; anything else as a constant, in `like`'s float dtype if given."""
    if isinstance(x, Tensor):
        return x
    if like is not None and like.dtype.kind == "f":
        return Tensor(x, dtype=like.dtype)
    return Tensor(x)


# ------------------------------------------------------------------ layers as functions


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """`input @ weight.T + bias`, weight of shape (out_features, in_features) as in PyTorch.

    One graph node (op `linear`), as PyTorch's addmm: no transposed copy of the weight,
    and the bias's gradient is a sum over the batch.
    """
    input = _tensor(input, weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {input.shape} has last axis "
                         f"{input.shape[-1] if input.ndim else '(none)'}, but the weight of shape "
                         f"{weight.shape} expects {weight.shape[1]} features")
    if bias is None:
        return Linear.apply(input, weight)
    bias = _tensor(bias, weight)  # an array: a constant of the weight's float dtype
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias of shape {bias.shape} does not fit a weight of shape "
                         f"{weight.shape}; expected ({weight.shape[0]},)")
    return Linear.apply(input, weight, bias)


def dropout(input: Any, p: float = 0.5, training: bool = True,
            generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each entry with probability p and scale the rest by 1/(1-p).

    The scaling keeps each entry's expected value, so evaluation (training=False) is the
    identity. `generator` (a NumPy Generator) draws the mask; None: a fresh unseeded one
    (or `tg.manual_seed`'s generator).
    """
    input = _tensor(input)
    _check_probability("dropout", p)
    if not training or p == 0:
        return input
    rng = make_generator(None, generator, "dropout")
    if p == 1:
        keep = np.zeros(input.shape, dtype=input.dtype)
    else:
        keep = (rng.random(input.shape) >= p) / (1.0 - p)
    return input * keep


def _check_probability(where: str, p: Any) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0 <= p <= 1:
        raise ValueError(f"{where}: p is the probability of zeroing an entry, a number in "
                         f"[0, 1]; got {p!r}")


# ------------------------------------------------------------------ checks shared by the losses


def _pair(where: str, input: Any, target: Any) -> tuple[Tensor, Tensor]:
    """Prediction and target as Tensors of one shape, or an error naming both shapes."""
    input = _tensor(input)
    target = _tensor(target, input)
    if input.shape != target.shape:
        hint = (f"; reshape one of them, e.g. target.reshape{input.shape}"
                if input.size == target.size else "")
        raise ValueError(
            f"{where}: input (prediction) has shape {input.shape} but target has shape "
            f"{target.shape}; they must be equal (broadcasting them would compare every "
            f"prediction with every target){hint}")
    return input, target


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_reduction(where: str, reduction: Any) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# ------------------------------------------------------------------ squared errors


def sse_loss(input: Any, target: Any) -> Tensor:
    """Sum of squared errors: sum((input - target)**2). Its gradient is 2 * (input - target)."""
    input, target = _pair("sse_loss", input, target)
    return ((input - target) ** 2).sum()


def half_sse_loss(input: Any, target: Any) -> Tensor:
    """Half the sum of squared errors: its gradient wrt input is exactly input - target."""
    input, target = _pair("half_sse_loss", input, target)
    return 0.5 * ((input - target) ** 2).sum()


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean of squared errors ('mean'), their sum ('sum') or each of them ('none')."""
    _check_reduction("mse_loss", reduction)
    input, target = _pair("mse_loss", input, target)
    return _reduce((input - target) ** 2, reduction)


# ------------------------------------------------------------------ binary classification


def _check_unit_interval(where: str, what: str, t: Tensor, hint: str) -> None:
    data = t._data
    if data.size and ((data < 0) | (data > 1)).any():
        raise ValueError(f"{where}: {what} must lie in [0, 1], got values from "
                         f"{data.min():.4g} to {data.max():.4g}{hint}")


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """-(target * log(input) + (1 - target) * log(1 - input)), input a probability.

    The input is clipped to [eps, 1 - eps] (eps: the dtype's machine epsilon) so that
    a probability of exactly 0 or 1 gives a large finite loss, not inf; at the clipped
    entries the gradient is 0. Prefer `binary_cross_entropy_with_logits` on raw scores.
    """
    _check_reduction("binary_cross_entropy", reduction)
    input, target = _pair("binary_cross_entropy", input, target)
    _check_unit_interval("binary_cross_entropy", "input (probabilities)", input,
                         "; apply sigmoid first, or pass raw scores to "
                         "binary_cross_entropy_with_logits")
    _check_unit_interval("binary_cross_entropy", "target", target, "")
    eps = float(np.finfo(input.dtype).eps) if input.dtype.kind == "f" else 1e-12
    p = input.clip(eps, 1.0 - eps)
    losses = -(target * p.log() + (1.0 - target) * (1.0 - p).log())
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed without ever forming sigmoid.

    max(x, 0) - x*y + log(1 + exp(-|x|)): exp only sees non-positive numbers, so it
    never overflows, and logits of +-1000 give exact, finite losses.
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    input, target = _pair("binary_cross_entropy_with_logits", input, target)
    _check_unit_interval("binary_cross_entropy_with_logits", "target", target, "")
    # maximum, not relu: at x == 0 it passes half the gradient, and abs passes none, so the
    # gradient there is 0.5 - y = sigmoid(0) - y exactly (relu would give -y).
    losses = input.maximum(0.0) - input * target + (1.0 + (-input.abs()).exp()).log()
    return _reduce(losses, reduction)


# ------------------------------------------------------------------ multi-class classification


def _class_indices(target: Any, input: Tensor) -> np.ndarray:
    """Integer class indices of shape input.shape[:-1], each in [0, n_classes)."""
    data = np.asarray(_raw(target))
    n_classes = input.shape[-1]
    expected = input.shape[:-1]
    if data.shape != expected:
        raise ValueError(
            f"cross_entropy: input of shape {input.shape} (batch, classes) needs a target of "
            f"class indices of shape {expected}, or of class probabilities of shape "
            f"{input.shape}; got target shape {data.shape}")
    if data.dtype.kind == "b" or data.dtype.kind not in "iuf":
        raise TypeError(f"cross_entropy: class indices must be integers, got dtype {data.dtype}")
    if data.dtype.kind == "f":
        if not np.array_equal(data, np.round(data)):
            raise ValueError("cross_entropy: a target of class indices must hold whole "
                             "numbers; for class probabilities give shape "
                             f"{input.shape}, the input's")
        data = data.astype(np.int64)
    bad = (data < 0) | (data >= n_classes)
    if bad.any():
        raise ValueError(f"cross_entropy: class indices must lie in [0, {n_classes - 1}] for "
                         f"{n_classes} classes, got {np.unique(data[bad]).tolist()}")
    return data


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy of softmax(input) against the target classes: -log_softmax(input)[target].

    `input`: logits of shape (batch, classes), or (classes,) for one sample. `target`:
    class indices of shape (batch,) (or a scalar), or class probabilities (e.g. one-hot
    rows) of the input's shape. log_softmax subtracts the largest logit first, so logits
    of +-1000 stay finite.
    """
    _check_reduction("cross_entropy", reduction)
    input = _tensor(input)
    if input.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: input must be logits of shape (batch, classes) or "
                         f"(classes,), got shape {input.shape}")
    target_shape = target.shape if isinstance(target, Tensor) else np.shape(target)
    if target_shape == input.shape:
        log_p = input.log_softmax(axis=-1)
        probabilities = _tensor(target, input)
        return _reduce(-(probabilities * log_p).sum(axis=-1), reduction)
    classes = _class_indices(target, input)
    # one node (op `cross_entropy`): exp once, gradient (softmax - onehot) * g
    return CrossEntropy.apply(input, target=classes, reduction=reduction)

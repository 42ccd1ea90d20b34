"""Two more of PyTorch's `F` functions, composed of `F`'s own: `native_channel_shuffle`
(PyTorch's kernel-level spelling of `channel_shuffle`, the same result) and
`linear_cross_entropy` (PyTorch 2.13's `cross_entropy(linear(input, linear_weight,
linear_bias), target, ...)` in one call, its reference path: gradients reach the input,
the weights, the bias and class-probability targets through `linear` and
`cross_entropy`).

This module imports `functional` (for `linear` and `cross_entropy`), so functional.py
cannot import it back: `tg.nn.functional` takes these names from here when `tg.nn` is
imported (nn/__init__.py).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..scope import drawn_as_call
from ..tensor import Tensor
from .functional import cross_entropy, linear
from .layer_arguments import _as_tensor
from .layer_functions_more import channel_shuffle

__all__ = ["native_channel_shuffle", "linear_cross_entropy"]


def native_channel_shuffle(input: Any, groups: int) -> Tensor:  # noqa: A002  (PyTorch's)
    """PyTorch's native_channel_shuffle, its kernel-level channel_shuffle: the channels (axis
    1 of (batch, C, ...)) split into `groups` groups and interleaved, as channel_shuffle.

    channel g * (C / groups) + i goes to i * groups + g."""
    return channel_shuffle(input, groups)


def _check_shapes(where: str, input: Tensor, linear_weight: Tensor,  # noqa: A002
                  linear_bias: Tensor | None) -> tuple:
    """input (in_features,) or (N, in_features), linear_weight (C, d1, ..., dK,
    in_features), linear_bias (C, d1, ..., dK): the logits' shape (..., C, d1, ..., dK)."""
    if input.ndim not in (1, 2):
        raise ShapeError(f"{where}: expected input of 1 or 2 dimensions, (in_features,) or "
                         f"(N, in_features), got shape {input.shape}")
    if linear_weight.ndim < 2:
        raise ShapeError(f"{where}: expected linear_weight of at least 2 dimensions, (C, "
                         f"in_features) or (C, d1, ..., dK, in_features), got shape "
                         f"{linear_weight.shape}")
    if input.shape[-1] != linear_weight.shape[-1]:
        raise ShapeError(f"{where}: input of shape {input.shape} has {input.shape[-1]} "
                         f"features, but linear_weight of shape {linear_weight.shape} takes "
                         f"{linear_weight.shape[-1]} (its last axis, in_features)")
    outputs = linear_weight.shape[:-1]  # (C, d1, ..., dK)
    if linear_bias is not None and linear_bias.shape != outputs:
        raise ShapeError(f"{where}: expected linear_bias of shape {outputs} for linear_weight "
                         f"of shape {linear_weight.shape}, got {linear_bias.shape}")
    if len(outputs) > 1 and input.ndim == 1:
        raise ShapeError(f"{where}: the K-dimensional loss of linear_weight of shape "
                         f"{linear_weight.shape} needs a batch of inputs, (N, "
                         f"{input.shape[0]}); got an input of shape {input.shape}: "
                         f"input.reshape(1, -1)")
    return input.shape[:-1] + outputs


@drawn_as_call("F.linear_cross_entropy()")
def linear_cross_entropy(input: Any, linear_weight: Any, target: Any, *,  # noqa: A002
                         linear_bias: Any = None, weight: Any = None, reduction: str = "mean",
                         ignore_index: int | None = None, label_smoothing: float = 0.0,
                         options: Any = None) -> Tensor:
    """The cross-entropy of the logits a linear layer makes of `input`, as PyTorch's
    linear_cross_entropy (its reference path, `options=None`): `input` (in_features,) or
    (N, in_features), `linear_weight` (C, in_features), or (C, d1, ..., dK, in_features)
    for a K-dimensional loss of logits (N, C, d1, ..., dK); `linear_bias` of the weight's
    shape without its last axis. `target`, `weight`, `reduction` and `label_smoothing` are
    cross_entropy's; `ignore_index` too (None: -100), refused with class probabilities.
    `options` (PyTorch's LinearCrossEntropyOptions: a chunked computation that saves memory
    for large vocabularies, the same loss) is taken and changes nothing here.

    loss = cross_entropy(linear(input, linear_weight, linear_bias), target, ...)."""
    where = "linear_cross_entropy"
    input = _as_tensor(where, input)
    linear_weight = _as_tensor(where, linear_weight, input, "linear_weight")
    if linear_bias is not None:
        linear_bias = _as_tensor(where, linear_bias, input, "linear_bias")
    logits_shape = _check_shapes(where, input, linear_weight, linear_bias)
    target_shape = target.shape if isinstance(target, Tensor) else np.shape(target)
    if tuple(target_shape) == logits_shape and ignore_index is not None:
        raise RuntimeError(f"{where}: ignore_index cannot be given with a target of class "
                           f"probabilities (the logits' shape {logits_shape}); leave it out")
    outputs = linear_weight.shape[:-1]
    if len(outputs) > 1:  # (C, d1, ..., dK): one linear of C * d1 * ... * dK outputs
        linear_weight = linear_weight.reshape((math.prod(outputs), input.shape[-1]))
        linear_bias = None if linear_bias is None else linear_bias.reshape(-1)
    logits = linear(input, linear_weight, linear_bias)  # (..., C): the logits' shape, or
    if len(outputs) > 1:  # (..., C * d1 * ... * dK), to unfold
        logits = logits.reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         label_smoothing=label_smoothing)

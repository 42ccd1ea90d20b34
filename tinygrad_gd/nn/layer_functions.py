"""The formulas of `LayerNorm`, `BatchNorm1d`/`BatchNorm2d` and `Embedding` as PyTorch's
functions (`F.layer_norm`, `F.batch_norm`, `F.embedding`); the layers call these, so each
formula is written once. Composed of Tensor ops: gradients come from `backward()`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as tg
from ..engine import no_grad
from ..tensor import Tensor

__all__ = ["layer_norm", "batch_norm", "embedding"]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def layer_norm(input: Any, normalized_shape: int | tuple[int, ...], weight: Any = None,
               bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Each sample normalised over its last axes (`normalized_shape`): (x - mean) /
    sqrt(var + eps) (the biased variance), then times `weight` plus `bias` (each of shape
    normalized_shape, or None), as PyTorch's layer_norm."""
    input = _tensor(input)
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(normalized_shape)
    n = len(shape)
    if input.ndim < n or input.shape[input.ndim - n:] != shape:
        raise ValueError(f"layer_norm: the input's last axes {input.shape[input.ndim - n:]} "
                         f"(shape {input.shape}) must be {shape}, the normalized_shape")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(np.shape(getattr(t, "_data", t))) != shape:
            raise ValueError(f"layer_norm: {name} of shape {np.shape(getattr(t, '_data', t))} "
                             f"must have normalized_shape {shape}")
    axes = tuple(range(input.ndim - n, input.ndim))
    centred = input - input.mean(axis=axes, keepdims=True)
    out = centred / ((centred ** 2).mean(axis=axes, keepdims=True) + eps).sqrt()
    if weight is not None:
        out = out * weight
    return out + bias if bias is not None else out


def batch_norm(input: Any, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Any = None, bias: Any = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Each feature (axis 1 of (batch, C, ...)) normalised: (x - mean) / sqrt(var + eps),
    then times `weight` plus `bias` (each of shape (C,), or None), as PyTorch's batch_norm.

    training=True: the batch's mean and (biased) variance over every axis but 1, and
    `running_mean` and `running_var`, if given, are moved toward them in place (values,
    outside any graph): `running = (1 - momentum) * running + momentum * batch`, with the
    unbiased variance. training=False: the running estimates are used instead.
    """
    input = _tensor(input)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (batch, C, ...), got shape "
                         f"{input.shape}")
    features = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"batch_norm: {name} must be a Tensor (it is updated in place) or "
                            f"None, got a {type(t).__name__}; wrap it: tg.Tensor(array)")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(np.shape(getattr(t, "_data", t))) != (features,):
            raise ValueError(f"batch_norm: {name} of shape {np.shape(getattr(t, '_data', t))} "
                             f"does not fit input of shape {input.shape}; expected "
                             f"({features},), one per feature of axis 1")
    axes = (0,) + tuple(range(2, input.ndim))  # all but the features' axis
    shape = (1, -1) + (1,) * (input.ndim - 2)  # a feature's values broadcast
    if training:
        count = input.size // features
        if count < 2:
            raise ValueError(f"batch_norm: training needs more than one value per feature "
                             f"to take a variance, got input of shape {input.shape}")
        mean = input.mean(axis=axes, keepdims=True)
        var = ((input - mean) ** 2).mean(axis=axes, keepdims=True)
        with no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean._data.reshape(-1) * momentum)
            if running_var is not None:
                unbiased = var._data.reshape(-1) * count / (count - 1)
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm: training=False normalises with running_mean and "
                         "running_var, and one of them is None; pass both, or training=True")
    else:
        mean = _tensor(running_mean).reshape(shape)
        var = _tensor(running_var).reshape(shape)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * _tensor(weight).reshape(shape)
    return out + _tensor(bias).reshape(shape) if bias is not None else out


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """`weight[input]`: row i of `weight` (num_embeddings, embedding_dim) for each index i,
    as PyTorch's embedding. The row at `padding_idx` (negative: from the end) gets no
    gradient (its values are looked up as they are)."""
    index = np.asarray(getattr(input, "_data", input))
    weight = _tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    rows = weight.shape[0]
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: the input must be integer indices, got dtype "
                        f"{index.dtype}; build them with tg.as_tensor([0, 2])")
    if index.size and not (0 <= index.min() and index.max() < rows):
        raise IndexError(f"embedding: indices must lie in [0, {rows - 1}], got {index.min()} "
                         f"to {index.max()}")
    if padding_idx is None:
        return weight[index]
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) \
            or not -rows <= padding_idx < rows:
        raise ValueError(f"embedding: padding_idx must be an int in [{-rows}, {rows - 1}] "
                         f"(a row of the weight), got {padding_idx!r}")
    learned = (index != padding_idx % rows)[..., None]
    return tg.where(learned, weight[index], weight.detach()[index])

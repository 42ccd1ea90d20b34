"""The formulas of `LayerNorm`, `BatchNorm1d`/`BatchNorm2d`, `GroupNorm` and `RMSNorm` as
PyTorch's functions (`F.layer_norm`, `F.batch_norm`, `F.group_norm`, `F.rms_norm`); the
layers call these, so each formula is written once. Composed of Tensor ops: gradients
come from `backward()`.

`F.embedding` (importable here too, as before) and the embedding layers' checks live in
embedding_functions.py; the argument checks and constants `nn`'s functions and layers
share in layer_arguments.py.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine import no_grad
from ..errors import ShapeError
from ..inference import refuse_changes, refuse_kept_by
from ..ops.arguments import number
from ..ops.reductions import accumulator
from ..tensor import Tensor
from .embedding_functions import embedding
from .layer_arguments import _as_tensor, _constant, _given_shape, _named, _normalized_shape

__all__ = ["layer_norm", "batch_norm", "group_norm", "rms_norm", "embedding"]


def _widened(input: Tensor) -> Tensor:
    """A float16 or float32 input in float64 (`accumulator`'s), in the graph: their squares
    overflow (float16's at 256, float32's at 1.8e19, where the variance would be inf and
    every output 0). float64 as it is. The normalised result goes back to the input's
    dtype (`.to`), as PyTorch's: float64's values and gradients, rounded."""
    wide = accumulator(input.dtype)
    return input if wide is None else input.to(wide)


def _standardized(work: Tensor, axis: Any, eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps) over `axis`, the biased variance: layer_norm's and
    group_norm's formula."""
    centred = work - work.mean(axis=axis, keepdims=True)
    return centred / ((centred ** 2).mean(axis=axis, keepdims=True) + eps).sqrt()


def _affine(out: Tensor, work: Tensor, input: Tensor, weight: Tensor | None,
            bias: Tensor | None) -> Tensor:
    """A norm's `out`, normalised from `work`, back in the input's dtype where `work` is
    `_widened`'s copy of it (an integer input's float64 stays), then times `weight` plus
    `bias` (either None: left out), as every norm here ends."""
    if work is not input:
        out = out.to(input.dtype)
    if weight is not None or bias is not None:  # (a constant of a constant input: named;
        out = _named(out, "normalised input")  # what is returned never is)
    if weight is not None:
        out = out * weight
    return out + bias if bias is not None else out


def layer_norm(input: Any, normalized_shape: int | tuple[int, ...], weight: Any = None,
               bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Each sample normalised over its last axes (`normalized_shape`): (x - mean) /
    sqrt(var + eps) (the biased variance), then times `weight` plus `bias` (each of shape
    normalized_shape, or None), as PyTorch's layer_norm."""
    input = _as_tensor("layer_norm", input)
    shape = _normalized_shape("layer_norm", normalized_shape)
    eps = number("layer_norm", "eps", eps, 0)
    n = len(shape)
    if input.ndim < n or input.shape[input.ndim - n:] != shape:
        raise ShapeError(f"layer_norm: the input's last axes {input.shape[input.ndim - n:]} "
                         f"(shape {input.shape}) must be {shape}, the normalized_shape")
    for name, t in (("weight", weight), ("bias", bias)):
        given = shape if t is None else _given_shape("layer_norm", name, t)
        if given != shape:
            raise ShapeError(f"layer_norm: {name} of shape {given} must have normalized_shape "
                             f"{shape}")
    refuse_kept_by("layer_norm", (("input", input), ("weight", weight), ("bias", bias)),
                   (input, weight, bias))
    axes = tuple(range(input.ndim - n, input.ndim))
    work = _widened(input)
    return _affine(_standardized(work, axes, eps), work, input, weight, bias)


_BOTH_OR_NEITHER = ("running_mean and running_var must either both be None or neither be None; "
                    "give both (running_var starts as ones) or neither (the batch's statistics "
                    "alone)")  # (PyTorch's words, then what to do)


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
    input = _as_tensor("batch_norm", input)
    momentum = number("batch_norm", "momentum", momentum)
    # PyTorch's: a variance of 0 (a constant feature) would be divided by eps
    eps = number("batch_norm", "eps in training" if training else "eps", eps, 0,
                  strict=bool(training))
    if input.ndim < 2 and input.shape != (0,):  # (PyTorch's: an empty vector comes back)
        raise ShapeError(f"batch_norm: expected input of shape (batch, C, ...), got shape "
                         f"{input.shape}")
    features = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"batch_norm: {name} must be a Tensor (it is updated in place) or "
                            f"None, got a {type(t).__name__}; wrap it: tg.Tensor(array)")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        given = (features,) if t is None else _given_shape("batch_norm", name, t)
        if given != (features,):
            raise ShapeError(f"batch_norm: {name} of shape {given} does not fit input of shape "
                             f"{input.shape}; expected ({features},), one per feature of axis 1")
    if training and (running_mean is None) != (running_var is None):  # (one alone moved)
        raise ValueError(f"batch_norm: {_BOTH_OR_NEITHER}")
    if training:  # (moved in place below: refused before anything moves, as PyTorch's
        # BatchNorm refuses at its step counter, before its kernel keeps anything)
        refuse_changes("batch_norm", (running_mean, running_var), "clone them (t.clone()), "
                       "or use training=False", lambda i, t: ("running_mean", "running_var")[i])
    refuse_kept_by("batch_norm", (("input", input), ("weight", weight), ("running_mean",
                   running_mean), ("running_var", running_var)), (input, weight, bias))
    axes = (0,) + tuple(range(2, input.ndim))  # all but the features' axis
    shape = (1, -1) + (1,) * (input.ndim - 2)  # a feature's values broadcast
    if input.ndim == 1:  # (0,): as (0, 0), no feature
        return batch_norm(input.reshape((0, 0)), running_mean, running_var, weight, bias,
                          training, momentum, eps).reshape((0,))
    work = _widened(input)
    if training:
        count = input.size // features if features else 0
        if count == 1:
            raise ValueError(f"batch_norm: training needs more than one value per feature "
                             f"to take a variance, got input of shape {input.shape}")
    if training and not count:  # an empty batch or no feature: nothing to normalise (as
        zeros = np.zeros((1, features) + (1,) * (input.ndim - 2), work.dtype)  # PyTorch's,
        mean, var = _constant(zeros, "0"), _constant(zeros + 1, "1")  # stats unchanged)
    elif training:  # (each statistic named where it is a constant: of a constant input)
        mean = _named(work.mean(axis=axes, keepdims=True), "batch mean")
        centred = work - mean  # (once: the variance's and the output's)
        var = _named((centred ** 2).mean(axis=axes, keepdims=True), "batch variance")
        with no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean._data.reshape(-1) * momentum)
            if running_var is not None:
                unbiased = var._data.reshape(-1) * count / (count - 1)
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm: training=False normalises with running_mean and "
                         "running_var, and one of them is None; pass both, or training=True")
    else:  # (constants: named, or a diagram would draw them as the user's inputs)
        mean = _named(running_mean.reshape(shape), "running_mean")
        var = _named(running_var.reshape(shape), "running_var")
    if not (training and count):
        centred = work - mean
    out = centred / _named((var + eps).sqrt(), f"sqrt({var.name or 'var'} + eps)")
    weight, bias = (None if t is None else
                    _by_channel(_as_tensor("batch_norm", t, input, name), name, input.ndim)
                    for name, t in (("weight", weight), ("bias", bias)))
    return _affine(out, work, input, weight, bias)


def _channels(where: str, input: Tensor, name: str, t: Any,
              error: type[Exception] = ShapeError) -> Tensor | None:
    """A (C,) tensor (weight, bias, running statistic) checked against axis 1 of `input`;
    `error`: the type PyTorch's function raises for one that does not fit."""
    if t is None:
        return None
    t = _as_tensor(where, t, input, name)
    if t.shape != (input.shape[1],):
        raise error(f"{where}: {name} of shape {t.shape} does not fit input of shape "
                    f"{input.shape}; expected ({input.shape[1]},), one per channel")
    return t


def _per_channel(where: str, input: Tensor, name: str, t: Any) -> Tensor | None:
    """A (C,) weight or bias as a Tensor shaped to broadcast over axis 1 of `input`."""
    t = _channels(where, input, name, t, ShapeError)
    return None if t is None else _by_channel(t, name, input.ndim)


def _by_channel(t: Tensor, name: str, ndim: int) -> Tensor:
    """A (C,) tensor reshaped (1, C, 1, ...) to broadcast over axis 1 of an input of `ndim`
    axes (a constant one named: the user's weight, not a "reshape of constants")."""
    return _named(t.reshape((1, -1) + (1,) * (ndim - 2)), f"{t.name or name} per channel")


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Each sample's channels (axis 1 of (batch, C, ...)) split into `num_groups` groups,
    each normalised over its channels and positions: (x - mean) / sqrt(var + eps) (the
    biased variance), then times `weight` plus `bias` (each (C,) or None), as PyTorch's
    group_norm."""
    input = _as_tensor("group_norm", input)
    eps = number("group_norm", "eps", eps, 0)
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)) \
            or num_groups < 1:
        raise TypeError(f"group_norm: num_groups must be a positive int, got {num_groups!r}")
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ShapeError(f"group_norm: expected input of shape (batch, C, ...) with C "
                         f"divisible by num_groups={num_groups}, got shape {input.shape}")
    refuse_kept_by("group_norm", (("input", input), ("weight", weight)), (input, weight, bias))
    weight, bias = (_per_channel("group_norm", input, name, t)
                    for name, t in (("weight", weight), ("bias", bias)))
    work = _widened(input)
    # (the group's size spelled out: -1 is ambiguous in an empty batch)
    grouped = work.reshape((input.shape[0], int(num_groups),
                            math.prod(input.shape[1:]) // int(num_groups)))
    out = _standardized(grouped, -1, eps).reshape(input.shape)
    return _affine(out, work, input, weight, bias)


def rms_norm(input: Any, normalized_shape: int | tuple[int, ...], weight: Any = None,
             eps: float | None = None) -> Tensor:
    """Each sample divided by its root mean square over its last axes (`normalized_shape`):
    x / sqrt(mean(x**2) + eps), then times `weight` (of shape normalized_shape, or None),
    as PyTorch's rms_norm; eps None: the input dtype's machine epsilon (PyTorch's)."""
    input = _as_tensor("rms_norm", input)
    shape = _normalized_shape("rms_norm", normalized_shape)
    if eps is None:
        eps = float(np.finfo(input.dtype if input.dtype.kind == "f" else np.float64).eps)
    eps = number("rms_norm", "eps", eps, 0)
    n = len(shape)
    if input.ndim < n or input.shape[input.ndim - n:] != shape:
        raise ShapeError(f"rms_norm: the input's last axes {input.shape[input.ndim - n:]} "
                         f"(shape {input.shape}) must be {shape}, the normalized_shape")
    given = shape if weight is None else _given_shape("rms_norm", "weight", weight)
    if given != shape:
        raise ShapeError(f"rms_norm: weight of shape {given} must have normalized_shape {shape}")
    axes = tuple(range(input.ndim - n, input.ndim))
    work = _widened(input)
    out = work / ((work ** 2).mean(axis=axes, keepdims=True) + eps).sqrt()
    return _affine(out, work, input, weight, None)

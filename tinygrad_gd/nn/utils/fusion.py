"""PyTorch's `nn.utils.fuse_conv_bn_eval` and kin: a convolution (or linear layer) followed
by a batch norm in eval mode, folded into one layer for inference.

In eval mode a batch norm is affine per channel: y = (x - mean) * gamma / sqrt(var + eps)
+ beta with its running statistics. Applied after conv(x) = W * x + b, it is a conv with
weight W * s (s = gamma / sqrt(var + eps) per output channel) and bias (b - mean) * s +
beta. The `*_weights` functions compute those two as new Parameters (no graph, as
PyTorch's); the `*_eval` functions return a copy of the layer holding them, the layers
given left unchanged.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ...grad_mode import check_flag
from ...tensor import Tensor
from ..module import Module, Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


class FusionError(ValueError, AssertionError):
    """A fusion refused (a layer in training mode, no running statistics, sizes that do not
    match): PyTorch's assert there raises an AssertionError, so it is one too."""


def _values(where: str, name: str, value: Any, like: np.ndarray | None = None) -> np.ndarray:
    """An argument's array (a Tensor, an array, or for eps a number); None: `like`'s
    ones (a weight) or zeros (a bias) as PyTorch's, else refused."""
    if value is None and like is not None:
        return np.ones_like(like) if name.endswith("_w") else np.zeros_like(like)
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (np.ndarray, float, int, np.floating)) and not isinstance(value, bool):
        return np.asarray(value)
    raise TypeError(f"{where}: {name} must be a Tensor, got {type(value).__name__}")


def _scale(where: str, bn_rm: Any, bn_rv: Any, bn_eps: Any, bn_w: Any, bn_b: Any
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The batch norm's (mean, scale gamma / sqrt(var + eps), beta), checked alike."""
    mean = _values(where, "bn_rm", bn_rm)
    var = _values(where, "bn_rv", bn_rv)
    gamma, beta = _values(where, "bn_w", bn_w, mean), _values(where, "bn_b", bn_b, mean)
    eps = _values(where, "bn_eps", bn_eps)
    if not (mean.shape == var.shape == gamma.shape == beta.shape) or mean.ndim != 1:
        raise FusionError(f"{where}: the batch norm's running mean {mean.shape}, running var "
                          f"{var.shape}, weight {gamma.shape} and bias {beta.shape} must be "
                          f"vectors of one length (its channels)")
    return mean, gamma / np.sqrt(var + eps), beta


def _parameters(weight: np.ndarray, bias: np.ndarray, weight_like: Any, bias_like: Any
                ) -> tuple[Parameter, Parameter]:
    """The fused weight and bias as Parameters, in the layer's dtypes, learning where the
    layer's did (a bias the layer lacked does not, as PyTorch's)."""
    weight_dtype = _values("", "w", weight_like).dtype
    bias_dtype = weight_dtype if bias_like is None else _values("", "b", bias_like).dtype
    grads = [getattr(t, "requires_grad", False) for t in (weight_like, bias_like)]
    return (Parameter(weight.astype(weight_dtype), requires_grad=grads[0], dtype=weight_dtype),
            Parameter(bias.astype(bias_dtype), requires_grad=grads[1], dtype=bias_dtype))


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """The weight and bias of a convolution fused with the batch norm after it (bn_w and
    bn_b None: 1 and 0; conv_b None: 0). `transpose=True` for a ConvTranspose's weight
    (in, out, ...), whose axis 1 holds the output channels."""
    where = "fuse_conv_bn_weights"
    transpose = check_flag(where, "transpose", transpose)
    weight = _values(where, "conv_w", conv_w)
    mean, scale, beta = _scale(where, bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    bias = _values(where, "conv_b", conv_b, mean)
    axis = 1 if transpose else 0
    if weight.ndim < 2 or weight.shape[axis] != len(mean) or bias.shape != mean.shape:
        raise FusionError(f"{where}: the conv's weight {weight.shape} (output channels on "
                          f"axis {axis}) and bias {bias.shape} do not match the batch norm's "
                          f"{len(mean)} channels")
    shape = [1] * weight.ndim
    shape[axis] = -1
    return _parameters(weight * scale.reshape(shape), (bias - mean) * scale + beta,
                       conv_w, conv_b)


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor,
                           bn_rv: Tensor, bn_eps: float, bn_w: Tensor,
                           bn_b: Tensor) -> tuple[Parameter, Parameter]:
    """The weight and bias of a linear layer fused with the batch norm after it (its
    features the linear's outputs, or one feature for all; linear_b None: 0)."""
    where = "fuse_linear_bn_weights"
    weight = _values(where, "linear_w", linear_w)
    mean, scale, beta = _scale(where, bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    bias = _values(where, "linear_b", linear_b, mean)
    if weight.ndim != 2 or len(mean) not in (weight.shape[0], 1):
        raise FusionError(f"{where}: the linear weight {weight.shape} has {weight.shape[0]} "
                          f"outputs, the batch norm {len(mean)} features; they must be equal "
                          f"(or the batch norm have 1)")
    return _parameters(weight * scale[:, None], (bias - mean) * scale + beta,
                       linear_w, linear_b)


def _check_eval(where: str, layer: Module, bn: Module) -> None:
    for module in (layer, bn):
        if not isinstance(module, Module):
            raise TypeError(f"{where}: expected nn modules, got {type(module).__name__}")
    if layer.training or bn.training:
        raise FusionError(f"{where}: fusion is for eval mode only; call .eval() on both "
                          f"layers first")
    if getattr(bn, "running_mean", None) is None or getattr(bn, "running_var", None) is None:
        raise FusionError(f"{where}: the batch norm keeps no running statistics "
                          f"(track_running_stats=False), so there is nothing to fuse")


def fuse_conv_bn_eval(conv: Module, bn: Module, transpose: bool = False) -> Module:
    """A copy of `conv` (eval mode) whose output is bn(conv(x)) of `bn` in eval mode:
    PyTorch's fuse_conv_bn_eval (`transpose=True` for a ConvTranspose)."""
    where = "fuse_conv_bn_eval"
    _check_eval(where, conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_linear_bn_eval(linear: Module, bn: Module) -> Module:
    """A copy of `linear` (eval mode) whose output is bn(linear(x)) of `bn` in eval mode
    (bn's features the linear's outputs, or 1): PyTorch's fuse_linear_bn_eval."""
    where = "fuse_linear_bn_eval"
    _check_eval(where, linear, bn)
    if bn.num_features not in (linear.out_features, 1):
        raise FusionError(f"{where}: linear.out_features ({linear.out_features}) and "
                          f"bn.num_features ({bn.num_features}) must be equal, or "
                          f"bn.num_features 1")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused

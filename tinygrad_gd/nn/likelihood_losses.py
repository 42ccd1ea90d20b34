"""PyTorch's negative log-likelihoods of a Gaussian and of a Poisson distribution as
functions (`nn.functional` re-exports them; the Modules are in loss_more.py), composed of
Tensor ops:

    gaussian_nll_loss  0.5 * (log(var) + (input - target)**2 / var), var kept from eps
    poisson_nll_loss   exp(input) - target * input (log_input), or
                       input - target * log(input + eps); full: Stirling's term too

`reduction` 'mean', 'sum' or 'none', as PyTorch's (poisson_nll_loss takes its deprecated
size_average and reduce too, in its places). Values that make no distribution (a
negative variance, count or rate) are refused in one line, where PyTorch gives NaN for
the last two.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as tg
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor
from .layer_arguments import _as_tensor, _constant, _named
from .loss_checks import _check_reduction, _legacy_reduction, _pair, _reduce

__all__ = ["gaussian_nll_loss", "poisson_nll_loss"]


def _refuse_negative(where: str, what: str, t: Tensor, hint: str) -> None:
    data = t._data
    if data.size and not (data >= 0).all():  # (NaN is refused too)
        nans = int(np.isnan(data).sum())
        if nans:  # (loss_checks' words for a NaN where a number was checked)
            raise ValueError(f"{where}: {what} must be >= 0, got {nans} NaN(s); find the step "
                             f"that made them with tg.detect_anomaly()")
        raise ValueError(f"{where}: {what} must be >= 0, got a smallest value of "
                         f"{data.min():.4g}{hint}")


def _var_for(where: str, var: Tensor, shape: tuple[int, ...]) -> Tensor:
    """PyTorch's shapes for the variance: the input's; the input's without its last axis
    (one variance per sample, unsqueezed); or the input's with one axis of size 1."""
    if var.shape == shape:
        return var
    if var.shape == shape[:-1] and shape:
        return _named(var.reshape(var.shape + (1,)), "var")
    differ = [i for i, (a, b) in enumerate(zip(shape, var.shape)) if a != b]
    if var.ndim == len(shape) and len(differ) == 1 and var.shape[differ[0]] == 1:
        return var
    raise ValueError(f"{where}: var of shape {var.shape} does not fit input of shape {shape}; "
                     f"give the input's shape, {shape[:-1]} (one variance per sample) or the "
                     f"input's shape with one axis of size 1")


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of `target` under a Gaussian of mean `input` and
    variance `var`: 0.5 * (log(max(var, eps)) + (input - target)**2 / max(var, eps)),
    plus 0.5 * log(2 pi) with `full`.

    `var`: a number, or a Tensor of the input's shape, of the input's shape without its
    last axis, or of the input's shape with one axis of size 1 (broadcast); no entry
    negative. As PyTorch's, the variance is kept from eps for the value, and its gradient
    passes to var unchanged (the clamp is not differentiated). `target` has the input's
    shape (or one that broadcasts to it without enlarging it).
    """
    where = "gaussian_nll_loss"
    _check_reduction(where, reduction)
    full = check_flag(where, "full", full)
    eps = number(where, "eps", eps, 0)
    input = _as_tensor(where, input)
    target = _as_tensor(where, target, input, "target")
    try:
        broadcast = np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        broadcast = None
    if broadcast != input.shape:
        raise ShapeError(f"{where}: target of shape {target.shape} must have the input's "
                         f"shape {input.shape}")
    if isinstance(var, (int, float, np.number)) and not isinstance(var, bool):
        if not var >= 0:
            raise ValueError(f"{where}: var must be >= 0, got {var!r}")
        var = _as_tensor(where, max(float(var), eps), input, "var")
    else:
        var = _as_tensor(where, var, input, "var")
        _refuse_negative(where, "var (the variance)", var, "")
        var = _var_for(where, var, input.shape)
        low = var._data < eps
        if low.any():  # raised to eps: a constant added, the gradient passes unchanged
            raise_by = _constant(np.where(low, eps - var._data, 0).astype(var.dtype),
                                 "raise to eps")
            var = _named(var + raise_by, "var raised to eps")  # (a constant var: folded)
    # (a constant var gives a constant log: named)
    losses = 0.5 * (_named(var.log(), "log(var)") + (input - target) ** 2 / var)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction)


def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of the counts `target` under a Poisson distribution of
    rate exp(input) (`log_input`, the default): exp(input) - target * input; or of rate
    `input` itself: input - target * log(input + eps). The constant log(target!) is left
    out unless `full`, which adds Stirling's approximation of it, target * log(target) -
    target + 0.5 * log(2 pi target), where target > 1 (0 elsewhere, as PyTorch's; its
    gradient to a target of at most 1 is 0, where PyTorch's is NaN at 0).

    Counts must be >= 0, and so must a rate given as itself (log_input=False).
    """
    where = "poisson_nll_loss"
    reduction = _legacy_reduction(where, size_average, reduce, reduction)
    _check_reduction(where, reduction)
    log_input = check_flag(where, "log_input", log_input)
    full = check_flag(where, "full", full)
    eps = number(where, "eps", eps, 0)
    input, target = _pair(where, input, target)
    if target.dtype.kind != "f" and input.dtype.kind == "f":
        target = target.to(input.dtype)  # (integer counts: the input's float dtype)
    _refuse_negative(where, "target (the counts)", target, "")
    if log_input:
        losses = input.exp() - target * input
    else:
        _refuse_negative(where, "input (the rate, log_input=False)", input,
                         "; for log-rates pass log_input=True")
        losses = input - target * (input + eps).log()
    if full:
        above = target._data > 1
        safe = tg.where(above, target, 1.0)  # (log(0) where it is not chosen: no NaN gradient)
        stirling = tg.where(above, safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log(),
                            0.0)
        losses = losses + _named(stirling, "Stirling's term")  # (constant counts: constant)
    return _reduce(losses, reduction)

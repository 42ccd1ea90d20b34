"""PyTorch's `nn.utils` for training loops: clipping gradients before the optimizer's step.

`clip_grad_norm_(model.parameters(), max_norm)` scales every gradient by one factor so
that their joint Euclidean norm is at most `max_norm`, keeping the step's direction;
`clip_grad_value_` clamps each entry. Both change `.grad` in place (a new array each:
a `.grad` held elsewhere is not changed) and run no graph.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters: Any, where: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: expected tensors (model.parameters()), got "
                            f"{type(p).__name__}")
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients so that their joint norm is at most `max_norm` (the 2-norm, or
    `norm_type=float("inf")`: the largest entry); returns the norm before clipping."""
    params = _with_grads(parameters, "clip_grad_norm_")
    if isinstance(norm_type, str) and norm_type.strip().lower() in ("inf", "infinity"):
        norm_type = float("inf")  # (PyTorch reads the string "inf" too)
    if norm_type not in (2, 2.0, float("inf")):
        raise ValueError(f"clip_grad_norm_: norm_type must be 2 or inf, got {norm_type!r}")
    grads = [p.grad._data for p in params]
    if norm_type == 2:
        total = float(np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads)))
    else:
        total = max((float(np.abs(g).max()) for g in grads if g.size), default=0.0)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the gradients' norm is {total}; pass "
                           f"error_if_nonfinite=False to clip anyway")
    scale = min(max_norm / (total + 1e-6), 1.0)  # (PyTorch's 1e-6 keeps it finite at 0)
    for p in params:
        p.grad = Tensor(p.grad._data * np.asarray(scale, dtype=p.grad.dtype))
    return Tensor(total)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value]."""
    for p in _with_grads(parameters, "clip_grad_value_"):
        p.grad = Tensor(np.clip(p.grad._data, -clip_value, clip_value).astype(p.grad.dtype))

"""`Muon` (Keller Jordan's MomentUm Orthogonalized by Newton-Schulz), PyTorch's
torch.optim.Muon, reached as `tg.optim.Muon`: for the weight matrices of hidden layers, a
momentum step whose direction is the momentum made (nearly) orthogonal, every singular
value pushed towards 1, by a few Newton-Schulz iterations (`orthogonalized`).
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .grad_mode import check_flag
from .optim_adafactor import _lerp
from .optim_base import Optimizer
from .optim_checks import _check_number
from .tensor import Tensor

__all__ = ["Muon"]

# the quintic's coefficients and the step count of Keller Jordan's Muon, PyTorch's defaults
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
NS_STEPS = 5
ADJUST_LR_FNS = (None, "original", "match_rms_adamw")


def orthogonalized(matrix: np.ndarray, coefficients: tuple[float, float, float],
                   steps: int, eps: float) -> np.ndarray:
    """`matrix` with its singular values moved towards 1 (near U V^T of its SVD U S V^T):
    scaled to Frobenius norm at most 1 (so every singular value is in [0, 1]), then
    `steps` times X <- a X + (b X X^T + c (X X^T)^2) X, with (a, b, c) = coefficients. The
    quintic is steep at 0 and does not settle at exactly 1: the values end near 1 (about
    0.7 to 1.2 with PyTorch's coefficients; a very small one lower). Worked on the wide
    side (X X^T the smaller Gram matrix), so a tall matrix is transposed there and back."""
    a, b, c = coefficients
    tall = matrix.shape[0] > matrix.shape[1]
    x = matrix.T if tall else matrix
    x = x / max(float(np.linalg.norm(x)), eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


class Muon(Optimizer):
    """Muon (PyTorch's torch.optim.Muon), for 2-d parameters only (give biases, embeddings
    and the like to another optimizer, AdamW say). With g the gradient, mu = momentum,
    B the momentum buffer (from zeros), lr and weight_decay:

        B <- mu B + (1 - mu) g                         ("momentum_buffer", a lerp)
        M = mu B + (1 - mu) g  with nesterov=True, else B
        O = orthogonalized(M, ns_coefficients, ns_steps, eps)
        p <- p (1 - lr weight_decay)                    (decoupled, as AdamW's)
        p <- p - lr' O

    lr' is lr scaled for the matrix's shape (A, B) by adjust_lr_fn: None or "original"
    (Keller Jordan's) sqrt(max(1, A / B)), "match_rms_adamw" (Moonshot's) 0.2 sqrt(max(A, B)).
    PyTorch's runs the Newton-Schulz iteration in bfloat16 (fast on its GPUs); here it
    runs in the parameter's dtype, float64 by default: a step agrees with PyTorch's to
    bfloat16's precision (a few per cent of the step), with PyTorch's arithmetic run in
    float64 to 1e-12.
    PyTorch refuses a parameter that is not 2-d when the optimizer is made and one added
    later only at its step; here both when they are given, and ns_steps from 100 and
    ns_coefficients not three numbers when the group is set, not at the step.
    """

    _decoupled_weight_decay = True

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 weight_decay: float = 0.1, momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
                 eps: float = 1e-7, ns_steps: int = NS_STEPS,
                 adjust_lr_fn: str | None = None) -> None:
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                      nesterov=nesterov, ns_coefficients=ns_coefficients,
                                      eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn))

    def _check_param(self, p: Any, i: int, known: set[int]) -> None:
        super()._check_param(p, i, known)
        if p.ndim != 2:  # (PyTorch's ValueError)
            raise ValueError(f"{self._name}: parameter {i} has shape {p.shape}; Muon trains "
                             f"2-d parameters (weight matrices) only: give this one to "
                             f"another optimizer, such as AdamW")

    def _check_settings(self, group: dict[str, Any]) -> None:
        super()._check_settings(group)
        name = self._name
        _check_number(name, "momentum", group["momentum"])
        _check_number(name, "eps", group["eps"])
        check_flag(name, "nesterov", group["nesterov"])
        coefficients = group["ns_coefficients"]
        if not isinstance(coefficients, (tuple, list)) or len(coefficients) != 3:
            raise ValueError(f"{name}: ns_coefficients must be three numbers (a, b, c), got "
                             f"{coefficients!r}")
        for k, value in enumerate(coefficients):
            _check_number(name, f"ns_coefficients[{k}]", value, -math.inf)
        steps = group["ns_steps"]
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
            raise TypeError(f"{name}: ns_steps must be a whole number, got {steps!r}")
        if not 0 <= steps < 100:
            raise ValueError(f"{name}: ns_steps must be in [0, 100) (PyTorch's bound), got "
                             f"{steps}")
        if group["adjust_lr_fn"] not in ADJUST_LR_FNS:
            raise ValueError(f"{name}: adjust_lr_fn must be None, 'original' or "
                             f"'match_rms_adamw', got {group['adjust_lr_fn']!r}")

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        if not state:
            state["momentum_buffer"] = np.zeros_like(grad)
        buffer, momentum = state["momentum_buffer"], group["momentum"]
        _lerp(buffer, grad, 1 - momentum)
        if group["nesterov"]:
            direction = grad.copy()
            _lerp(direction, buffer, momentum)
        else:
            direction = buffer
        direction = orthogonalized(direction, group["ns_coefficients"], group["ns_steps"],
                                   group["eps"])
        rows, cols = grad.shape
        if group["adjust_lr_fn"] == "match_rms_adamw":
            ratio = 0.2 * math.sqrt(max(rows, cols))
        else:
            ratio = math.sqrt(max(1, rows / cols)) if cols else 1.0
        return group["lr"] * ratio, direction

"""`Adafactor` (Shazeer & Stern), PyTorch's torch.optim.Adafactor, reached as
`tg.optim.Adafactor`: Adam-like steps whose second-moment estimate of a matrix is kept
as a row and a column factor, so its state is O(rows + columns), not O(rows * columns).
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import numpy as np

from .grad_mode import check_flag
from .optim_base import Optimizer, _as_numpy, _next_step, _scalar
from .optim_checks import _check_number
from .tensor import Tensor

__all__ = ["Adafactor"]


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """start <- start + weight * (end - start) in place, in PyTorch's two forms (exact at
    weight 1, where the first step takes the new value as it is)."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


class Adafactor(Optimizer):
    """Adafactor (PyTorch's torch.optim.Adafactor). With G the gradient (negated with
    maximize=True), t the step (from 1), tau = beta2_decay, lr, d, and eps = (eps1, eps2)
    (eps1 None: the machine epsilon of the parameter's dtype):

        beta2_hat = 1 - t**tau,   rho = min(lr, 1 / sqrt(t))
        alpha = max(eps2, RMS(p)) * rho                    (p before the weight decay)
        p <- p * (1 - lr * weight_decay)                   (decoupled, as AdamW's)
        matrix (2 or more axes; the last two factored):
            R <- lerp(R, mean(G**2, last axis), 1 - beta2_hat)          ("row_var")
            C <- lerp(C, mean(G**2, next-to-last axis), 1 - beta2_hat)  ("col_var")
            V = R @ C / max(mean(R), eps1)
        vector or number:
            V <- lerp(V, G**2, 1 - beta2_hat)                           ("variance")
        U = G / sqrt(max(V, eps1**2)),   p <- p - alpha / max(1, RMS(U) / d) * U

    RMS(x) = ||x|| / sqrt(x.size). foreach= is accepted, kept in the group and ignored
    (PyTorch's switch between two equal ways of computing). A parameter with no entries is
    left as it is (PyTorch's step divides by its size). The constructor's d must be >= 1,
    as PyTorch's; a param group's own d (given, added or changed later) only > 0, as
    PyTorch checks it nowhere else (0 divides by zero there, below 0 turns clipping off).
    """

    _decoupled_weight_decay = True

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 beta2_decay: float = -0.8, eps: tuple[float | None, float] = (None, 1e-3),
                 d: float = 1.0, weight_decay: float = 0.0, *, foreach: Any = None,
                 maximize: bool = False) -> None:
        if isinstance(d, (int, float, np.integer, np.floating)) and not d >= 1:
            raise ValueError(f"{type(self).__name__}: d (the clipping threshold) must be >= 1, "
                             f"got {d!r}; a param group may set its own smaller d")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize))

    def _check_settings(self, group: dict[str, Any]) -> None:
        super()._check_settings(group)
        name = self._name
        _check_number(name, "beta2_decay", group["beta2_decay"], -math.inf)
        if group["beta2_decay"] > 0:
            raise ValueError(f"{name}: beta2_decay must be <= 0 (beta2 = 1 - t**beta2_decay), "
                             f"got {group['beta2_decay']!r}")
        eps = group["eps"]
        if not isinstance(eps, (tuple, list)) or len(eps) != 2:
            raise ValueError(f"{name}: eps must be a pair (eps1, eps2), eps1 a number or "
                             f"None, got {eps!r}")
        if eps[0] is not None:
            _check_number(name, "eps[0]", eps[0])
        _check_number(name, "eps[1]", eps[1])
        _check_number(name, "d", group["d"], -math.inf)
        if not group["d"] > 0:
            raise ValueError(f"{name}: a param group's d (the clipping threshold) must be > 0, "
                             f"got {group['d']!r}")
        check_flag(name, "maximize", group["maximize"])

    def _load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Optimizer's load_state_dict; the factors "row_var" and "col_var" are checked
        against their parameter's shape (the last axis, or the next-to-last, of size 1)."""
        saved = state_dict.get("state") if isinstance(state_dict, Mapping) else None
        if not (isinstance(saved, Mapping) and all(isinstance(s, Mapping)
                                                   for s in saved.values())):
            super()._load_state_dict(state_dict)  # (refused there, in its words)
            return
        params = self._all_params()
        factors: dict[Any, dict[str, np.ndarray]] = {}
        for i, entries in saved.items():
            found = {key: _as_numpy(f"{self._name}.load_state_dict: state '{key}'", entries[key])
                     for key in ("row_var", "col_var") if key in entries}
            if not found or not isinstance(i, (int, np.integer)) or not 0 <= i < len(params):
                continue
            shape = params[i].shape
            expected = {"row_var": shape[:-1] + (1,),
                        "col_var": shape[:-2] + (1,) + shape[-1:]}
            for key, value in found.items():
                if len(shape) < 2 or np.shape(value) != expected[key]:
                    raise ValueError(f"{self._name}.load_state_dict: state '{key}' of "
                                     f"parameter {i} has shape {np.shape(value)}; a "
                                     f"parameter of shape {shape} takes "
                                     f"{expected[key] if len(shape) >= 2 else 'none'}")
            factors[i] = found
        stripped = {i: {k: v for k, v in entries.items() if k not in factors.get(i, ())}
                    for i, entries in saved.items()}
        super()._load_state_dict({**state_dict, "state": stripped})
        for i, found in factors.items():  # (in the parameter's dtype, as PyTorch casts them)
            self.state[params[i]].update({k: np.array(v, params[i].dtype)
                                          for k, v in found.items()})

    def _step_param(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        # alpha needs the parameter's RMS before the weight decay, which the base applies
        # before _update: read it here
        self._param_rms = (float(np.linalg.norm(p._data)) / math.sqrt(p._data.size)
                           if p._data.size else 0.0)
        super()._step_param(p, grad, group)

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        factored = grad.ndim > 1
        if not state:
            state["step"] = _scalar(0, grad.dtype)
            if factored:
                state["row_var"] = np.zeros(grad.shape[:-1] + (1,), grad.dtype)
                state["col_var"] = np.zeros(grad.shape[:-2] + (1,) + grad.shape[-1:],
                                            grad.dtype)
            else:
                state["variance"] = np.zeros_like(grad)
        t = _next_step(state)
        if grad.size == 0:
            return 0.0, grad
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(grad.dtype).eps)
        weight = t ** group["beta2_decay"]  # 1 - beta2_hat
        alpha = max(eps2, self._param_rms) * min(group["lr"], 1 / t ** 0.5)
        squared = grad * grad
        with np.errstate(divide="ignore", invalid="ignore"):  # eps 0, a zero gradient: 0 / 0
            if factored:  # is NaN, as PyTorch's, without NumPy's warning
                row, col = state["row_var"], state["col_var"]
                _lerp(row, squared.mean(axis=-1, keepdims=True), weight)
                _lerp(col, squared.mean(axis=-2, keepdims=True), weight)
                variance = row @ col / np.maximum(row.mean(axis=-2, keepdims=True), eps1)
            else:
                _lerp(state["variance"], squared, weight)
                variance = state["variance"]
            update = grad / np.sqrt(np.maximum(variance, eps1 * eps1))
        rms = float(np.linalg.norm(update)) / math.sqrt(update.size)
        return alpha / max(1.0, rms / group["d"]), update

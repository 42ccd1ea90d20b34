"""The rest of PyTorch's optimizers, reached as `tg.optim.NAdam` and so on: Adam's variants
`NAdam` (Nesterov momentum), `RAdam` (rectified) and `Adamax` (infinity norm), and the
older rules `Adadelta`, `Rprop` (sign-based steps) and `ASGD` (averaged SGD). Each has
PyTorch's update rule, names, positional order, defaults, state keys and maximize=, and
takes its capturable= and differentiable= at False (True is refused in one line); its
groups keep them and foreach= as PyTorch's do.

Each is an `Optimizer` (optim_base.py): parameter groups, state_dict, frozen entries and
skipped gradient-less parameters behave as SGD's and Adam's. Their per-parameter scalars
(the steps, NAdam's mu_product, ASGD's eta and mu) are 0-d arrays of float64 for a
float64 parameter, float32 otherwise; PyTorch keeps them as 0-d tensors of its default
dtype (float32 unless `torch.set_default_dtype` changes it), so a float64 model agrees
with PyTorch's to float64's precision where that default is float64, to float32's
otherwise.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .grad_mode import check_flag
from .optim_base import Optimizer, _check_tensor_betas, _next_step, _scalar
from .optim_checks import _check_betas, _check_modes, _check_number
from .tensor import Tensor

__all__ = ["NAdam", "RAdam", "Adamax", "Adadelta", "Rprop", "ASGD"]

_Params = Iterable[Tensor] | Iterable[dict[str, Any]]


def _check_pair(where: str, name: str, pair: Any, spelled: str) -> None:
    """pair must be a tuple or list of two numbers (Rprop's etas and step_sizes)."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{where}: {name} must be a pair {spelled}, got {pair!r}")
    for value in pair:
        _check_number(where, name, value, -math.inf)


class NAdam(Optimizer):
    """Adam with Nesterov momentum (PyTorch's torch.optim.NAdam; Dozat 2016).

    With g the gradient (+ weight_decay * p), t the step (from 1), the momentum
    mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay)) and P_t = mu_1 * ... * mu_t:
        m_t = beta1 * m_(t-1) + (1 - beta1) * g      v_t = beta2 * v_(t-1) + (1 - beta2) * g**2
        d = sqrt(v_t / (1 - beta2**t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - P_t) * g / d
               - lr * mu_(t+1) / (1 - P_t * mu_(t+1)) * m_t / d
    decoupled_weight_decay=True shrinks p by (1 - lr * weight_decay) first instead, as
    AdamW; maximize=True ascends (g is the negated gradient). foreach= is accepted and
    ignored (PyTorch's switch between two equal ways of computing).
    """

    _scalar_state = ("step", "mu_product")

    def __init__(self, params: _Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: Any = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_modes("NAdam", capturable, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def _check_settings(self, group: dict[str, Any]) -> None:
        _check_tensor_betas(self._name, group, strict=False)
        super()._check_settings(group)
        _check_betas(self._name, group["betas"])
        _check_number(self._name, "eps", group["eps"])
        _check_number(self._name, "momentum_decay", group["momentum_decay"])
        for name in ("decoupled_weight_decay", "maximize"):
            check_flag(self._name, name, group[name])

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=_scalar(0, grad.dtype), mu_product=_scalar(1.0, grad.dtype),
                         exp_avg=np.zeros_like(grad), exp_avg_sq=np.zeros_like(grad))
        t, psi = _next_step(state), group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu  # (in its dtype, then read as a number: PyTorch's order)
        product = float(state["mu_product"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (grad - m)  # (PyTorch's lerp)
        v *= beta2
        v += (1 - beta2) * grad * grad
        denom = np.sqrt(v / (1 - beta2 ** t)) + group["eps"]
        lr = group["lr"]
        return 1.0, ((lr * (1 - mu) / (1 - product)) * grad / denom
                     + (lr * mu_next / (1 - product * mu_next)) * m / denom)


class RAdam(Optimizer):
    """Rectified Adam (PyTorch's torch.optim.RAdam; Liu et al. 2019): Adam whose adaptive
    step is switched on only once the variance of v's estimate is tractable.

    With g the gradient (+ weight_decay * p), t the step (from 1), m_t and v_t as Adam's,
    rho_inf = 2 / (1 - beta2) - 1 and rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t):
        rho_t > 5:  r = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    p <- p - lr * m_t / (1 - beta1**t) * r * sqrt(1 - beta2**t) / (sqrt(v_t) + eps)
        otherwise:  p <- p - lr * m_t / (1 - beta1**t)                (SGD with momentum)
    decoupled_weight_decay=True shrinks p by (1 - lr * weight_decay) first instead, as
    AdamW; maximize=True ascends. foreach= is accepted and ignored.
    """

    def __init__(self, params: _Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 decoupled_weight_decay: bool = False, *, foreach: Any = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_modes("RAdam", capturable, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def _check_settings(self, group: dict[str, Any]) -> None:
        _check_tensor_betas(self._name, group, strict=False)
        super()._check_settings(group)
        _check_betas(self._name, group["betas"])
        _check_number(self._name, "eps", group["eps"])
        for name in ("decoupled_weight_decay", "maximize"):
            check_flag(self._name, name, group[name])

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=_scalar(0, grad.dtype), exp_avg=np.zeros_like(grad),
                         exp_avg_sq=np.zeros_like(grad))
        t = _next_step(state)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (grad - m)  # (PyTorch's lerp)
        v *= beta2
        v += (1 - beta2) * grad * grad
        corrected = m / (1 - beta1 ** t)
        correction2 = 1 - beta2 ** t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / correction2
        if rho_t <= 5.0:
            return group["lr"], corrected
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                         / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return group["lr"], corrected * (math.sqrt(correction2) / (np.sqrt(v) + group["eps"])
                                         ) * rect


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm (PyTorch's torch.optim.Adamax; Kingma & Ba 2014).

    With g the gradient (+ weight_decay * p) and t the step (from 1):
        m_t = beta1 * m_(t-1) + (1 - beta1) * g        u_t = max(beta2 * u_(t-1), |g| + eps)
        p <- p - lr / (1 - beta1**t) * m_t / u_t
    maximize=True ascends. foreach= is accepted and ignored.
    """

    def __init__(self, params: _Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, foreach: Any = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_modes("Adamax", capturable, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _check_settings(self, group: dict[str, Any]) -> None:
        _check_tensor_betas(self._name, group, strict=False)
        super()._check_settings(group)
        _check_betas(self._name, group["betas"])
        _check_number(self._name, "eps", group["eps"])
        check_flag(self._name, "maximize", group["maximize"])

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=_scalar(0, grad.dtype), exp_avg=np.zeros_like(grad),
                         exp_inf=np.zeros_like(grad))
        t = _next_step(state)
        m, u = state["exp_avg"], state["exp_inf"]
        m += (1 - beta1) * (grad - m)  # (PyTorch's lerp)
        u *= beta2
        np.maximum(u, np.abs(grad) + group["eps"], out=u)
        return group["lr"] / (1 - beta1 ** t), m / u


class Adadelta(Optimizer):
    """Adadelta (PyTorch's torch.optim.Adadelta; Zeiler 2012): each entry's step is the
    ratio of two running RMS, of past steps and of gradients, so lr = 1 needs no tuning.

    With g the gradient (+ weight_decay * p):
        v_t = rho * v_(t-1) + (1 - rho) * g**2                          (square_avg, from 0)
        d = sqrt(u_(t-1) + eps) / sqrt(v_t + eps) * g
        u_t = rho * u_(t-1) + (1 - rho) * d**2                          (acc_delta, from 0)
        p <- p - lr * d
    maximize=True ascends. foreach= is accepted and ignored (PyTorch's switch between two
    equal ways of computing); capturable=True is refused, as on PyTorch's CPU tensors.
    """

    def __init__(self, params: _Params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach: Any = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_modes("Adadelta", capturable, differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable,
                                      foreach=foreach, differentiable=differentiable))

    def _check_settings(self, group: dict[str, Any]) -> None:
        super()._check_settings(group)
        _check_number(self._name, "rho", group["rho"])
        if group["rho"] > 1:  # (1 itself is taken, as PyTorch takes it: v and u stay 0)
            raise ValueError(f"{self._name}: rho must be in [0, 1], got {group['rho']!r}")
        _check_number(self._name, "eps", group["eps"])
        check_flag(self._name, "maximize", group["maximize"])

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        rho, eps = group["rho"], group["eps"]
        if not state:
            state.update(step=_scalar(0, grad.dtype), square_avg=np.zeros_like(grad),
                         acc_delta=np.zeros_like(grad))
        _next_step(state)
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * grad * grad
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * grad
        u *= rho
        u += (1 - rho) * delta * delta
        return group["lr"], delta


class Rprop(Optimizer):
    """Resilient backpropagation (PyTorch's torch.optim.Rprop; Riedmiller & Braun 1993):
    each entry moves by its own step size in the direction of the gradient's sign.

    With g the gradient, s each entry's step size (from lr) and g' the previous step's g:
        g * g' > 0:  s <- min(s * etaplus, max_step)
        g * g' < 0:  s <- max(s * etaminus, min_step), and g counts as 0 (no move now, and
                     no sign change seen at the next step)
        p <- p - sign(g) * s
    with (etaminus, etaplus) = etas and (min_step, max_step) = step_sizes. maximize=True
    ascends. There is no weight decay, as in PyTorch. foreach= is accepted and ignored,
    capturable=True refused (as on PyTorch's CPU tensors). Departs from PyTorch in refusing
    step_sizes whose min exceeds its max, or a negative one (PyTorch would set every step
    size to the max, or step backwards).
    """

    def __init__(self, params: _Params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: Any = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_modes("Rprop", capturable, differentiable)
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _check_settings(self, group: dict[str, Any]) -> None:
        super()._check_settings(group)
        etas, sizes = group["etas"], group["step_sizes"]
        _check_pair(self._name, "etas", etas, "(etaminus, etaplus)")
        if not 0 < etas[0] < 1 < etas[1]:
            raise ValueError(f"{self._name}: etas must be (etaminus, etaplus) with 0 < etaminus "
                             f"< 1 < etaplus, got {tuple(etas)!r}")
        _check_pair(self._name, "step_sizes", sizes, "(min_step, max_step)")
        if not 0 <= sizes[0] <= sizes[1]:
            raise ValueError(f"{self._name}: step_sizes must be (min_step, max_step) with "
                             f"0 <= min_step <= max_step, got {tuple(sizes)!r}")
        check_flag(self._name, "maximize", group["maximize"])

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        (etaminus, etaplus), (low, high) = group["etas"], group["step_sizes"]
        if not state:
            state.update(step=_scalar(0, grad.dtype), prev=np.zeros_like(grad),
                         step_size=np.full_like(grad, group["lr"]))
        _next_step(state)
        turn = np.sign(grad * state["prev"])
        # (a factor in the gradient's dtype, as PyTorch's, so float32 steps agree to the bit)
        factor = np.ones_like(grad)
        factor[turn > 0] = etaplus
        factor[turn < 0] = etaminus
        size = state["step_size"]
        size *= factor
        np.clip(size, low, high, out=size)
        grad = np.where(turn < 0, np.zeros((), grad.dtype), grad)
        state["prev"][...] = grad
        return 1.0, np.sign(grad) * size


class ASGD(Optimizer):
    """Averaged SGD (PyTorch's torch.optim.ASGD; Polyak & Juditsky 1992): SGD with a
    decaying step, keeping the running average of the parameter from step t0 on.

    With g the gradient (+ weight_decay * p), t the step (from 1), eta_1 = lr, mu_1 = 1:
        p <- p * (1 - lambd * eta_t) - eta_t * g
        ax <- ax + mu_t * (p - ax)                        (ax: the average, state "ax")
        eta_(t+1) = lr / (1 + lambd * lr * t)**alpha      mu_(t+1) = 1 / max(1, t - t0)
    The average is `optimizer.state[p]["ax"]`: copy it into the parameter to use it.
    maximize=True ascends. foreach= is accepted and ignored.
    """

    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params: _Params, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0.0,
                 foreach: Any = None, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_modes("ASGD", capturable, differentiable)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _check_settings(self, group: dict[str, Any]) -> None:
        super()._check_settings(group)
        _check_number(self._name, "lambd", group["lambd"])
        _check_number(self._name, "alpha", group["alpha"], -math.inf)
        _check_number(self._name, "t0", group["t0"], -math.inf)
        check_flag(self._name, "maximize", group["maximize"])

    def _step_param(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=_scalar(0, p.dtype), eta=_scalar(group["lr"], p.dtype),
                         mu=_scalar(1.0, p.dtype), ax=np.zeros_like(p._data))
        # p * (1 - lambd * eta) - eta * g is p - eta * (g + lambd * p): lambd decays p as
        # weight decay does (frozen entries included, which stay as they are)
        super()._step_param(p, grad, {**group,
                                      "weight_decay": group["weight_decay"] + group["lambd"]})
        ax, mu = state["ax"], float(state["mu"])
        if mu != 1:
            ax += mu * (p._data - ax)
        else:
            ax[...] = p._data
        t, lr = _next_step(state), group["lr"]
        state["eta"] = _scalar(lr / (1 + group["lambd"] * lr * t) ** group["alpha"], p.dtype)
        state["mu"] = _scalar(1 / max(1, t - group["t0"]), p.dtype)

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        return float(state["eta"]), grad

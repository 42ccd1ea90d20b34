"""`tg.optim`: the optimizers `SGD`, `Adam`, `AdamW`, `RMSprop` and `Adagrad` (here), and
`NAdam`, `RAdam`, `Adamax`, `Adadelta`, `Rprop` and `ASGD` (optim_variants.py),
`Adafactor` (optim_adafactor.py), `Muon` (optim_muon.py) and `LBFGS` (optim_lbfgs.py), with
PyTorch's update rules, names and defaults (Adam's and AdamW's amsgrad=, and maximize= on
all but LBFGS, too), their groups holding PyTorch's settings (foreach= and fused= kept and
ignored, capturable= and differentiable= at False); their base class `Optimizer` is in
optim_base.py; learning-rate schedules live in `tg.optim.lr_scheduler`.

An optimizer holds the parameters to train (`SGD(model.parameters(), lr=0.01)`; PyTorch's
`model.named_parameters()` too, the names kept as the group's "param_names");
`step()` moves each by its `.grad`, `zero_grad()` clears the gradients. The update is
plain NumPy on the parameter's values, in place, recording no graph. Entries frozen with
`Parameter.freeze_()` are left exactly unchanged: their gradient (weight decay included)
counts as zero, and the update skips them even when momentum, running averages or
AdamW's decoupled weight decay would still move them.

Parameters may come in groups with their own settings, as in PyTorch:
`SGD([{"params": model[0].parameters(), "lr": 0.1}, {"params": model[2].parameters()}], lr=0.01)`;
`optimizer.param_groups[0]["lr"] = ...` changes a setting between steps (a number, or as
in PyTorch a 1-element tensor, read as its value: lr, betas and the others), and a scheduler
such as `tg.optim.lr_scheduler.StepLR(optimizer, step_size=10)` does it for you. A group
may carry keys of your own (`{"params": ..., "name": "head"}`), kept as PyTorch keeps them
(a key spelled almost like a setting, `"momentun"`, is refused as a typo).

As in PyTorch, `step()` skips every parameter whose `.grad` is None, so parameters with
`requires_grad=False` may be passed too: `Adam(model.parameters())` after
`model[0].requires_grad_(False)` trains all but the frozen first layer.
"""
from __future__ import annotations

import math
import sys
from typing import Any, Iterable

import numpy as np

from . import lr_scheduler  # tg.optim.lr_scheduler.StepLR, as torch.optim.lr_scheduler.StepLR
from . import optim_swa as swa_utils  # tg.optim.swa_utils.AveragedModel, SWALR, update_bn
from .grad_mode import check_flag
from .optim_base import Optimizer, _check_tensor_betas, _next_step, _scalar
from .optim_checks import _check_betas, _check_modes, _check_number
from .optim_adafactor import Adafactor
from .optim_lbfgs import LBFGS
from .optim_muon import Muon
from .optim_variants import ASGD, NAdam, RAdam, Adadelta, Adamax, Rprop
from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam",
           "Adamax", "Adadelta", "Rprop", "ASGD", "lr_scheduler", "LBFGS", "Adafactor",
           "Muon", "swa_utils"]

# PyTorch's import line works too: `from tinygrad_gd.optim.lr_scheduler import StepLR`
# (optim is one file, not a package; os.path is reached the same way)
sys.modules[__name__ + ".lr_scheduler"] = lr_scheduler


def _check_float_betas(where: str, betas: Any) -> None:
    """Adam's and AdamW's betas as PyTorch's constructors take them: two floats or two
    tensors, never a whole number (0, 1, True) among them."""
    whole = [b for b in betas if isinstance(b, (bool, int, np.integer))]
    if whole:
        floats = tuple(float(b) if isinstance(b, (bool, int, np.integer)) else b for b in betas)
        raise ValueError(f"{where}: betas must be two floats or two 1-element tensors, as "
                         f"PyTorch's {where} takes them, got {tuple(betas)!r} (whole numbers: "
                         f"{whole!r}); write them as floats: betas={floats!r}")


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's torch.optim.SGD).

    With g the gradient (+ weight_decay * p), mu the momentum and t the step:
        b_1 = g_1,  b_t = mu * b_(t-1) + (1 - dampening) * g_t     (only if mu != 0)
        d = g + mu * b_t  (nesterov)  or  b_t  (momentum)  or  g  (plain)
        p <- p - lr * d
    maximize=True ascends: g is the negated gradient (+ weight_decay * p), as PyTorch's.
    Plain SGD with lr is the documents' `weight -= alpha * weight_delta`. PyTorch's
    foreach= and fused= are accepted (ways of computing the same step), differentiable=
    at False.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 momentum: float = 0, dampening: float = 0, weight_decay: float = 0,
                 nesterov: bool = False, *, maximize: bool = False, foreach: Any = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        # foreach, fused: PyTorch's switches between equal ways of computing; accepted, ignored
        _check_modes(self._name, False, differentiable)
        if fused is not None:
            check_flag(self._name, "fused", fused)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _check_settings(self, group: dict[str, Any]) -> None:
        super()._check_settings(group)
        if not isinstance(group["nesterov"], (bool, np.bool_)):
            raise TypeError(f"{self._name}: nesterov must be True or False, got "
                            f"{group['nesterov']!r} (PyTorch's order: SGD(params, lr, momentum, "
                            f"dampening, weight_decay, nesterov))")
        if group["maximize"] is not False:  # (fast path: False, the default, is a flag)
            check_flag(self._name, "maximize", group["maximize"])
        _check_number(self._name, "momentum", group["momentum"])
        _check_number(self._name, "dampening", group["dampening"], 0.0, math.inf)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{self._name}: nesterov=True needs momentum > 0 and dampening = 0, "
                             f"got momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        mu = group["momentum"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # (np.array: a 0-d parameter's grad + decay is a NumPy scalar,
                # which `buf *= mu` would replace instead of updating the state's buffer)
                buf = state["momentum_buffer"] = np.array(grad)
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * grad
            grad = grad + mu * buf if group["nesterov"] else buf
        return group["lr"], grad


class Adam(Optimizer):
    """Adam with bias correction (PyTorch's torch.optim.Adam; weight decay added to the gradient).

    With g the gradient (+ weight_decay * p) and t the step (from 1):
        m_t = beta1 * m_(t-1) + (1 - beta1) * g           v_t = beta2 * v_(t-1) + (1 - beta2) * g**2
        p <- p - lr / (1 - beta1**t) * m_t / (sqrt(v_t) / sqrt(1 - beta2**t) + eps)
    amsgrad=True (AMSGrad) divides by the largest v so far instead of v_t (state
    "max_exp_avg_sq"); maximize=True ascends (g is the negated gradient), as PyTorch's;
    decoupled_weight_decay=True is AdamW's decay. capturable= and differentiable= at False.
    betas are two floats or two 1-element tensors: whole numbers, (0, 0), and bools are
    refused, as PyTorch's Adam and AdamW refuse them; NumPy's floats and 1-element arrays
    are read as their numbers (PyTorch's Adam refuses them, but for float64, a float).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, foreach: Any = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        # foreach, fused: PyTorch's switches between equal ways of computing; accepted, ignored
        _check_modes(self._name, capturable, differentiable)
        if fused is not None:
            check_flag(self._name, "fused", fused)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused, decoupled_weight_decay=decoupled_weight_decay))
        if isinstance(betas, (tuple, list)):  # (after their range, checked above: PyTorch's
            _check_float_betas(self._name, betas)  # order; a group's own betas go unchecked)

    def _check_settings(self, group: dict[str, Any]) -> None:
        _check_tensor_betas(self._name, group, strict=True)
        super()._check_settings(group)
        _check_betas(self._name, group["betas"])
        _check_number(self._name, "eps", group["eps"])
        for name in ("amsgrad", "maximize", "decoupled_weight_decay"):
            if group[name] is not False:  # (fast path: False, the default, is a flag)
                check_flag(self._name, name, group[name])

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=_scalar(0, grad.dtype), exp_avg=np.zeros_like(grad),
                         exp_avg_sq=np.zeros_like(grad))
        t = _next_step(state)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        if group["amsgrad"]:  # (setdefault: switched on mid-training, it starts then)
            v = state.setdefault("max_exp_avg_sq", np.zeros_like(grad))
            np.maximum(v, state["exp_avg_sq"], out=v)
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + group["eps"]
        return 1.0, (group["lr"] / (1 - beta1 ** t)) * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's torch.optim.AdamW; Loshchilov & Hutter).

    The decay shrinks the parameter itself instead of entering the gradient, so it
    reaches neither the running averages nor the division by sqrt(v):
        p <- p * (1 - lr * weight_decay),  then Adam's step with the plain gradient g.
    Frozen entries do not shrink. amsgrad= and maximize= as Adam's.
    """

    _decoupled_weight_decay = True

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: Any = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """RMSprop (PyTorch's torch.optim.RMSprop): each entry's step divided by its recent RMS.

    With g the gradient (+ weight_decay * p), a = alpha:
        v_t = a * v_(t-1) + (1 - a) * g**2                    (square_avg, from 0)
        centered: m_t = m_(t-1) + (1 - a) * (g - m_(t-1)),  d = sqrt(v_t - m_t**2) + eps
        otherwise:                                           d = sqrt(v_t) + eps
        momentum mu > 0: b_t = mu * b_(t-1) + g / d,  p <- p - lr * b_t       (b from 0)
        otherwise:                                    p <- p - lr * g / d
    maximize=True ascends (g is the negated gradient); foreach= is accepted and ignored,
    capturable= and differentiable= taken at False.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, capturable: bool = False,
                 foreach: Any = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_modes(self._name, capturable, differentiable)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _check_settings(self, group: dict[str, Any]) -> None:
        super()._check_settings(group)
        check_flag(self._name, "maximize", group["maximize"])
        # PyTorch takes alpha = 1 too, but then v stays 0 and every step is lr * g / eps
        _check_number(self._name, "alpha", group["alpha"], 0.0, 1.0)
        _check_number(self._name, "eps", group["eps"])
        _check_number(self._name, "momentum", group["momentum"])

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        alpha, mu = group["alpha"], group["momentum"]
        if not state:
            state.update(step=_scalar(0, grad.dtype), square_avg=np.zeros_like(grad))
        _next_step(state)
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * grad * grad
        if group["centered"]:
            # setdefault: a setting switched on mid-training starts its average then
            m = state.setdefault("grad_avg", np.zeros_like(grad))
            m += (1 - alpha) * (grad - m)
            denom = np.sqrt(v - m * m) + group["eps"]
        else:
            denom = np.sqrt(v) + group["eps"]
        if mu > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(grad))
            buf *= mu
            buf += grad / denom
            return group["lr"], buf
        return group["lr"], grad / denom


class Adagrad(Optimizer):
    """Adagrad (PyTorch's torch.optim.Adagrad): each entry's step divided by its gradients' norm.

    With g the gradient (+ weight_decay * p) and t the step (from 1):
        s_t = s_(t-1) + g**2             (sum, from initial_accumulator_value)
        p <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s_t) + eps)
    maximize=True ascends (g is the negated gradient); foreach= and fused= are accepted
    and ignored, differentiable= taken at False. A param group's own
    initial_accumulator_value starts its sums, as every other option of a group does
    (PyTorch's starts every group's from the constructor's value, its own ignored).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10,
                 foreach: Any = None, *, maximize: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        _check_modes(self._name, False, differentiable)
        if fused is not None:
            check_flag(self._name, "fused", fused)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:  # (as PyTorch's: the sums exist before a step, so
            for p in group["params"]:    # state_dict() saves them; added groups' at their first)
                self.state[p] = self._first_state(p.dtype, p.shape, group)

    @staticmethod
    def _first_state(dtype: Any, shape: tuple, group: dict[str, Any]) -> dict[str, Any]:
        return dict(step=_scalar(0, dtype),
                    sum=np.full(shape, group["initial_accumulator_value"], dtype))

    def _check_settings(self, group: dict[str, Any]) -> None:
        super()._check_settings(group)
        check_flag(self._name, "maximize", group["maximize"])
        _check_number(self._name, "lr_decay", group["lr_decay"])
        _check_number(self._name, "initial_accumulator_value",
                      group["initial_accumulator_value"])
        _check_number(self._name, "eps", group["eps"])

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        if not state:
            state.update(self._first_state(grad.dtype, grad.shape, group))
        t = _next_step(state)
        s = state["sum"]
        s += grad * grad
        lr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        return lr, grad / (np.sqrt(s) + group["eps"])

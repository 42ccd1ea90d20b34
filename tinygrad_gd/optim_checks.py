"""The argument checks `tg.optim`'s optimizers share (optim_base.py, optim.py,
optim_variants.py...): the parameters given (`param_groups`, `group_params`), a setting
that must be a number in a range, Adam's pair of betas, PyTorch's capturable= and
differentiable=, taken at False only, and a step's closure (`check_closure`,
`closure_loss`). Each refusal is one line naming the optimizer, the argument and the value
given.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .engine import enable_grad
from .grad_mode import check_flag
from .tensor import Tensor

__all__: list[str] = []
_FLOAT_INT = (float, int)


def _check_number(where: str, name: str, value: Any, low: float = 0.0,
                  high: float | None = None) -> None:
    """value must be a real number in [low, high) (high None: no upper bound)."""
    if type(value) not in _FLOAT_INT and (isinstance(value, bool) or not isinstance(
            value, (int, float, np.integer, np.floating))):  # (fast path: a float, an int)
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    if not (low <= value and (high is None or value < high)):  # NaN fails both tests
        if low == -math.inf and high is None:  # (no bound: only NaN fails)
            raise ValueError(f"{where}: {name} must be a number, not NaN, got {name}={value!r}")
        bound = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{where}: {name} must be {bound}, got {value!r}")


def _check_betas(where: str, betas: Any) -> None:
    """betas must be a pair (beta1, beta2) of numbers in [0, 1), as Adam's. A bool is a
    ValueError, as PyTorch's True is (out of its range) and its False in Adam's and
    AdamW's (not a float); a string or None a TypeError, as PyTorch's comparison gives."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
    try:
        _check_number(where, "betas[0]", betas[0], 0.0, 1.0)
        _check_number(where, "betas[1]", betas[1], 0.0, 1.0)
    except TypeError:  # (the first entry that is no number: a bool said as a ValueError)
        i, beta = next((i, b) for i, b in enumerate(betas) if isinstance(b, (bool, np.bool_))
                       or not isinstance(b, (int, float, np.integer, np.floating)))
        if isinstance(beta, (bool, np.bool_)):
            raise ValueError(f"{where}: betas[{i}] must be a float in [0.0, 1.0), got "
                             f"{beta!r}, a bool; give a float (PyTorch's default betas: "
                             f"(0.9, 0.999))") from None
        raise


def _check_modes(where: str, capturable: Any, differentiable: Any) -> None:
    """PyTorch's capturable= and differentiable=, accepted at False only: the first is its
    CUDA-graph mode, refused on CPU tensors there too; the second records the step in the
    graph, and these steps run in NumPy, outside it."""
    if check_flag(where, "capturable", capturable):
        raise ValueError(f"{where}: capturable=True is PyTorch's mode for CUDA graphs, which "
                         f"its CPU tensors refuse too; tinygrad_gd steps on the CPU: leave it "
                         f"False")
    if check_flag(where, "differentiable", differentiable):
        raise ValueError(f"{where}: differentiable=True (autograd through the step) is not "
                         f"supported: tinygrad_gd's optimizers step outside the graph; leave "
                         f"it False")


def param_groups(where: str, params: Any) -> list[dict[str, Any]]:
    """An optimizer's `params` as its parameter groups: tensors (one group), or dicts (one
    group each: `group_params` reads them); a model, a tensor alone, anything else and a
    list mixing the two kinds refused."""
    if isinstance(params, Tensor):
        raise TypeError(f"{where}: params must be an iterable of tensors; got a single "
                        f"Tensor, wrap it in a list: {where}([w], ...)")
    if hasattr(params, "parameters") and callable(params.parameters):
        raise TypeError(f"{where}: got a model; pass its parameters: "
                        f"{where}(model.parameters(), ...)")
    try:
        items = list(params)
    except TypeError:
        raise TypeError(f"{where}: params must be an iterable of tensors (such as "
                        f"model.parameters() or [w, b]), got {type(params).__name__}") from None
    if not items:
        raise ValueError(f"{where}: got an empty parameter list; nothing to optimize "
                         f"(does the model have parameters? was a generator used up?)")
    groups = [isinstance(item, dict) for item in items]
    if all(groups):
        return [dict(item) for item in items]
    if any(groups):
        raise TypeError(f"{where}: params mixes parameter groups (dicts) with tensors: item "
                        f"{groups.index(True)} is a dict, item {groups.index(False)} a "
                        f"{type(items[groups.index(False)]).__name__}; give a list of tensors, "
                        f"or of dicts ({{'params': [w], 'lr': 0.01}})")
    return [{"params": items}]


def group_params(where: str, group: Any) -> list[Any]:
    """The parameters of a parameter group (add_param_group's): a dict whose 'params' are a
    tensor or an iterable of them (checked one by one later), each refused in one line."""
    if not isinstance(group, dict):
        raise TypeError(f"{where}.add_param_group: a parameter group must be a dict such as "
                        f"{{'params': [w], 'lr': 0.01}}, got {type(group).__name__}")
    if "params" not in group:
        raise ValueError(f"{where}: a parameter group needs a 'params' entry")
    params = group["params"]
    if isinstance(params, Tensor):
        return [params]
    try:
        return list(params)
    except TypeError:
        raise TypeError(f"{where}: a parameter group's 'params' must be a tensor or an "
                        f"iterable of tensors, got {type(params).__name__} {params!r}") from None


def check_closure(where: str, closure: Any, needed: bool = False) -> None:
    """A step's `closure` refused in one line where it cannot be called: one message for
    every optimizer, whose advice is LBFGS's where the step `needed` one (it evaluates the
    loss several times a step), which then refuses None too."""
    if callable(closure):
        return
    if needed and closure is None:
        raise TypeError(f"{where}.step needs a closure (got None): a function that calls "
                        f"optimizer.zero_grad(), computes the loss, calls loss.backward() and "
                        f"returns the loss; then optimizer.step(closure)")
    then = (f"{where} evaluates the loss several times a step: give one, then "
            f"optimizer.step(closure)" if needed else "after loss.backward() call step() "
            "without it")
    shown = " ".join(repr(closure).split())  # (a tensor's repr on one line)
    raise TypeError(f"{where}.step: closure must be a function that recomputes the loss, "
                    f"calls loss.backward() and returns the loss, got "
                    f"{type(closure).__name__} {shown:.60}; {then}")


def closure_loss(where: str, closure: Any, needed: bool = False) -> Any:
    """What a step's `closure` returns (the loss, recomputed with its backward), called
    with gradients on (`check_closure` first), for every optimizer's step."""
    check_closure(where, closure, needed)
    with enable_grad():
        return closure()

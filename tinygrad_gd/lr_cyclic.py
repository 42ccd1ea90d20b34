"""`CyclicLR`, part of `tg.optim.lr_scheduler`: the lr goes up and down between two bounds
again and again (Smith's cyclical learning rates), stepped once per batch, with the
momentum (SGD's, or Adam's beta1) cycled the other way.
"""
from __future__ import annotations

import math
import types
from typing import Any, Callable

from .lr_scheduler_base import LRScheduler, _check_number, _param_groups, _set_lr
from .lr_warmup import _MomentumCycle, _per_group

__all__ = ["CyclicLR"]

_MODES = ("triangular", "triangular2", "exp_range")


class CyclicLR(_MomentumCycle, LRScheduler):
    """The lr climbs from base_lr to max_lr over step_size_up batches and falls back over
    step_size_down (step_size_up if None), cycle after cycle (PyTorch's CyclicLR). Call
    `step()` after every batch. At batch t, with T = step_size_up + step_size_down:

        cycle = floor(1 + t / T),  x = 1 + t / T - cycle           (where in the cycle)
        s = x / (up / T)  while climbing,  (x - 1) / (up / T - 1)  while falling
        lr = base_lr + (max_lr - base_lr) * s * scale(cycle or t)

    scale by mode: "triangular" 1; "triangular2" 1 / 2**(cycle - 1) (halved each cycle);
    "exp_range" gamma**t. A scale_fn of your own replaces the mode and is called with the
    cycle (scale_mode "cycle") or the batch (scale_mode "iterations"). base_lr and max_lr
    (and the momenta) are numbers or one per parameter group; base_lr is written into the
    groups at the start (last_epoch=-1), as PyTorch does.

    With cycle_momentum (the default) the momentum moves the other way, from max_momentum
    down to base_momentum at max_lr: SGD's "momentum", or beta1 of an optimizer with
    betas (Adam); an optimizer with neither is refused, as PyTorch does (pass
    cycle_momentum=False). `state_dict()` keeps no plain scale_fn (it could not be
    saved); a callable object's attributes are kept, as in PyTorch.
    """

    def __init__(self, optimizer: Any, base_lr: float | list[float],
                 max_lr: float | list[float], step_size_up: float = 2000,
                 step_size_down: float | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.8,
                 max_momentum: float | list[float] = 0.9, last_epoch: int = -1) -> None:
        where = self._name
        groups = _param_groups(where, optimizer)
        base_lrs = _per_group(where, "base_lr", base_lr, groups)
        self.max_lrs = _per_group(where, "max_lr", max_lr, groups)
        _check_number(where, "step_size_up", step_size_up, 0)
        if step_size_up == 0:
            raise ValueError(f"{where}: step_size_up must be > 0 (the climb's number of "
                             f"batches), got {step_size_up!r}")
        _check_number(where, "step_size_down",
                      step_size_up if step_size_down is None else step_size_down, 0)
        up = float(step_size_up)
        self.total_size = up + (up if step_size_down is None else float(step_size_down))
        self.step_ratio = up / self.total_size
        if scale_fn is None and mode not in _MODES:
            raise ValueError(f"{where}: mode must be one of {list(_MODES)} (or give a "
                             f"scale_fn), got {mode!r}")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"{where}: scale_fn must be a function of the cycle or the "
                            f"batch, got {scale_fn!r}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"{where}: scale_mode must be 'cycle' or 'iterations', got "
                             f"{scale_mode!r}")
        _check_number(where, "gamma", gamma, 0)
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom = scale_fn
        # a mode decides its own scale_mode (PyTorch's); a scale_fn takes the one given
        self.scale_mode = scale_mode if scale_fn is not None else (
            "iterations" if mode == "exp_range" else "cycle")
        if self._check_cycle_momentum(where, optimizer, cycle_momentum):
            self.base_momentums = _per_group(where, "base_momentum", base_momentum, groups)
            self.max_momentums = _per_group(where, "max_momentum", max_momentum, groups)
        if last_epoch == -1:
            for group, lr in zip(groups, base_lrs):
                _set_lr(group, lr)
            if self.cycle_momentum:
                for group, top, bottom in zip(groups, self.max_momentums,
                                              self.base_momentums):
                    self._set_momentum(group, top)
                    group["max_momentum"], group["base_momentum"] = top, bottom
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs  # (after the first step, which used the groups' initial_lr)

    def scale_fn(self, x: float) -> float:
        """The amplitude's scale at cycle or batch x: scale_fn's, or the mode's."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self) -> list[float]:
        """Each group's lr at batch last_epoch (with cycle_momentum, the momentum or beta1
        is written into the group too)."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base_lr + (max_lr - base_lr) * scale_factor * scale
               for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, bottom, top in zip(self.optimizer.param_groups, self.base_momentums,
                                          self.max_momentums):
                self._set_momentum(group, top - (top - bottom) * scale_factor * scale)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """As `LRScheduler.state_dict`; "_scale_fn_custom" holds None for a plain function
        and a copy of the attributes of a callable object, as PyTorch's."""
        saved = super().state_dict()
        fn = self._scale_fn_custom
        saved["_scale_fn_custom"] = (None if fn is None or isinstance(fn, types.FunctionType)
                                     else dict(fn.__dict__))
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As `LRScheduler.load_state_dict`; a callable scale_fn gets its saved attributes."""
        state_dict = dict(state_dict)  # (the caller's keeps its "_scale_fn_custom")
        attributes = state_dict.pop("_scale_fn_custom", None)
        super().load_state_dict(state_dict)
        if attributes is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(attributes)

"""Schedules that start low and climb, part of `tg.optim.lr_scheduler`: `ConstantLR` and
`LinearLR` (a warm-up of a few epochs, often followed by another schedule through
`SequentialLR`) and `OneCycleLR` (up to max_lr and down again, stepped once per batch).
"""
from __future__ import annotations

import math
from typing import Any

from .grad_mode import check_flag
from .lr_scheduler_base import LRScheduler, _check_number, _param_groups

__all__ = ["ConstantLR", "LinearLR", "OneCycleLR"]


def _check_factor(where: str, name: str, value: Any, zero_allowed: bool) -> None:
    """value must be a number in [0, 1] ((0, 1] unless zero_allowed)."""
    _check_number(where, name, value, 0.0)
    if value > 1 or (value == 0 and not zero_allowed):
        bound = "[0, 1]" if zero_allowed else "(0, 1]"
        raise ValueError(f"{where}: {name} must be in {bound}, got {value!r}")


class ConstantLR(LRScheduler):
    """lr = initial_lr * factor for the first total_iters epochs, then initial_lr
    (PyTorch's ConstantLR), applied to the current lr as PyTorch does.

    factor must be in (0, 1]: PyTorch accepts 0, then divides by it at total_iters.
    """

    def __init__(self, optimizer: Any, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        _check_factor(self._name, "factor", factor, zero_allowed=False)
        _check_number(self._name, "total_iters", total_iters, 0, integer=True)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr times factor at epoch 0, divided by it at total_iters, else kept."""
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in groups]
        if self.last_epoch != self.total_iters:
            return [group["lr"] for group in groups]
        return [group["lr"] * (1.0 / self.factor) for group in groups]

    def _closed_form_lr(self) -> list[float]:
        return [base_lr * (self.factor + (self.last_epoch >= self.total_iters)
                           * (1 - self.factor)) for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """The lr's factor goes linearly from start_factor to end_factor over total_iters
    epochs, then stays (PyTorch's LinearLR):

        lr = initial_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)

    applied recursively to the current lr as PyTorch does. start_factor in (0, 1],
    end_factor in [0, 1], total_iters >= 1 (PyTorch's 0 divides by zero).
    """

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        _check_factor(self._name, "start_factor", start_factor, zero_allowed=False)
        _check_factor(self._name, "end_factor", end_factor, zero_allowed=True)
        _check_number(self._name, "total_iters", total_iters, 1, integer=True)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr times the ratio of consecutive factors (PyTorch's recursion)."""
        groups, e = self.optimizer.param_groups, self.last_epoch
        if e == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or e > self.total_iters:
            return [group["lr"] for group in groups]
        rise = self.end_factor - self.start_factor
        ratio = 1.0 + rise / (self.total_iters * self.start_factor + (e - 1) * rise)
        return [group["lr"] * ratio for group in groups]

    def _closed_form_lr(self) -> list[float]:
        rise = self.end_factor - self.start_factor
        return [base_lr * (self.start_factor + rise * min(self.total_iters, self.last_epoch)
                           / self.total_iters) for base_lr in self.base_lrs]


def _per_group(where: str, name: str, value: Any, groups: list[dict[str, Any]]) -> list[Any]:
    """One value per parameter group: a list of them, or one number for all."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(f"{where}: got {len(value)} values of {name} for {len(groups)} "
                             f"parameter groups; give one per group, or one number")
        values = list(value)
    else:
        values = [value] * len(groups)
    for v in values:
        _check_number(where, name, v, 0.0)
    return values


def _check_warm_up(where: str, pct_start: float, total_steps: int) -> None:
    """Refuse a warm-up phase of zero steps: step 0 falls in it, and get_lr (PyTorch's too)
    divides by its length. A later phase of zero steps is reached only at step total_steps,
    which get_lr refuses (PyTorch's divides by zero there); before it, PyTorch's lrs."""
    if float(pct_start * total_steps) - 1 == 0:
        raise ValueError(f"{where}: pct_start={pct_start!r} with total_steps={total_steps} "
                         f"makes the warm-up zero steps long (pct_start * total_steps == 1, "
                         f"its lr would divide by zero); give a pct_start other than "
                         f"1 / {total_steps}")


class _MomentumCycle:
    """What CyclicLR and OneCycleLR share with cycle_momentum=True: the optimizer's
    momentum (SGD's) or betas[0] (Adam's) set at each step, as PyTorch's."""

    def _check_cycle_momentum(self, where: str, optimizer: Any, cycle_momentum: Any) -> bool:
        """cycle_momentum kept as a flag; when True, the optimizer must have a momentum
        (`use_beta1`: which one)."""
        self.cycle_momentum = check_flag(where, "cycle_momentum", cycle_momentum)
        if self.cycle_momentum:
            defaults = getattr(optimizer, "defaults", {})
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError(f"{where}: cycle_momentum=True needs an optimizer with "
                                 f"momentum (SGD) or betas (Adam); pass cycle_momentum=False")
            self.use_beta1 = "betas" in defaults
        return self.cycle_momentum

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value


class OneCycleLR(_MomentumCycle, LRScheduler):
    """The 1cycle policy (PyTorch's OneCycleLR; Smith & Topin): the lr climbs from
    max_lr / div_factor to max_lr over the first pct_start of total_steps, then falls to
    max_lr / (div_factor * final_div_factor); three_phase=True comes back down to the
    start first and then falls. Call `step()` after every batch.

    anneal_strategy "cos" (the default) or "linear" shapes each phase. With
    cycle_momentum (the default) the momentum moves the other way, between max_momentum
    and base_momentum: SGD's "momentum", or Adam's and AdamW's beta1 (betas[0]); an
    optimizer with neither is refused, as PyTorch does. The groups keep "initial_lr",
    "max_lr", "min_lr" (and "max_momentum", "base_momentum") as PyTorch's do. Stepping
    past total_steps raises ValueError.
    """

    def __init__(self, optimizer: Any, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        where = self._name
        groups = _param_groups(where, optimizer)
        if total_steps is not None:
            _check_number(where, "total_steps", total_steps, 1, integer=True)
        elif epochs is not None and steps_per_epoch is not None:
            _check_number(where, "epochs", epochs, 1, integer=True)
            _check_number(where, "steps_per_epoch", steps_per_epoch, 1, integer=True)
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{where}: give total_steps, or both epochs and steps_per_epoch")
        self.total_steps = total_steps
        _check_factor(where, "pct_start", pct_start, zero_allowed=True)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{where}: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        _check_number(where, "div_factor", div_factor, 0.0)
        _check_number(where, "final_div_factor", final_div_factor, 0.0)
        if div_factor == 0 or final_div_factor == 0:
            raise ValueError(f"{where}: div_factor and final_div_factor must be > 0, got "
                             f"{div_factor!r} and {final_div_factor!r}")
        up = float(pct_start * total_steps) - 1
        if check_flag(where, "three_phase", three_phase):
            self._schedule_phases = [
                dict(end_step=up, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=float(2 * pct_start * total_steps) - 2, start_lr="max_lr",
                     end_lr="initial_lr", start_momentum="base_momentum",
                     end_momentum="max_momentum"),
                dict(end_step=total_steps - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum")]
        else:
            self._schedule_phases = [
                dict(end_step=up, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=total_steps - 1, start_lr="max_lr", end_lr="min_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum")]
        _check_warm_up(where, pct_start, total_steps)
        self.anneal_strategy = anneal_strategy
        max_lrs = _per_group(where, "max_lr", max_lr, groups)
        if last_epoch == -1:
            for group, top in zip(groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if self._check_cycle_momentum(where, optimizer, cycle_momentum):
            tops = _per_group(where, "max_momentum", max_momentum, groups)
            bottoms = _per_group(where, "base_momentum", base_momentum, groups)
            if last_epoch == -1:
                for group, top, bottom in zip(groups, tops, bottoms):
                    self._set_momentum(group, top)
                    group["max_momentum"] = top
                    group["base_momentum"] = bottom
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        """Each group's lr at step last_epoch, found in its phase (and, with cycle_momentum,
        the momentum or beta1 written into the group)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"{self._name}: tried to step {step} times; total_steps is "
                             f"{self.total_steps} (build it with more steps)")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == len(self._schedule_phases) - 1:
                    if end_step == start_step:  # the last phase, at step total_steps
                        raise ValueError(f"{self._name}: tried to step {step} times; at this "
                                         f"pct_start the last phase is zero steps long, so "
                                         f"the schedule ends at step {step - 1} (build it "
                                         f"with more total_steps)")
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]],
                                            pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct))
                    break
                start_step = end_step
        return lrs

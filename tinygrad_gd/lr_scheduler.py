"""`tg.optim.lr_scheduler`: PyTorch's learning-rate schedulers, which change an optimizer's lr.

A scheduler wraps an optimizer and, at each `step()` (once per epoch, after the epoch's
`optimizer.step()` calls), writes the next learning rate into every
`optimizer.param_groups[i]["lr"]`:

    scheduler = tg.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        scheduler.step()

As PyTorch's, a scheduler whose first `step()` comes before any `optimizer.step()` (since
the optimizer's first scheduler was built) warns, once, with a UserWarning: that order
skips the schedule's first lr.

As in PyTorch, building a scheduler records each group's starting lr as
`group["initial_lr"]` (the `base_lrs`), sets `last_epoch` to 0 and leaves the lr as it
is; StepLR, MultiStepLR, ExponentialLR and CosineAnnealingLR then change the group's
current lr step by step (PyTorch's recursive form), so a change made by hand, or by a
second scheduler on the same optimizer, carries on into later epochs; LambdaLR sets
base_lr * lr_lambda(epoch) outright. `get_last_lr()` gives the lrs the last step set;
`state_dict()` / `load_state_dict()` save and restore the schedule's progress.

MultiplicativeLR, PolynomialLR and CosineAnnealingWarmRestarts live here too; the
others are gathered from their modules: `LRScheduler` (lr_scheduler_base.py), the
warm-ups `LinearLR`, `ConstantLR` and `OneCycleLR` (lr_warmup.py), `ReduceLROnPlateau`
(lr_plateau.py, stepped with the metric) and `SequentialLR` / `ChainedScheduler`
(lr_composed.py, schedulers run one after another or together), `CyclicLR` (lr_cyclic.py,
the lr, and the momentum, cycling between two bounds).

This module uses an optimizer only through its `param_groups`, so it imports nothing
from `optim`; `optim` makes it reachable as `tg.optim.lr_scheduler`.
"""
from __future__ import annotations

import copy
import math
import types
from collections import Counter, abc
from typing import Any, Callable, Iterable

from .lr_composed import ChainedScheduler, SequentialLR
from .lr_cyclic import CyclicLR
from .lr_plateau import ReduceLROnPlateau
from .lr_scheduler_base import LRScheduler, _check_number, _milestones, _param_groups
from .lr_warmup import ConstantLR, LinearLR, OneCycleLR

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
           "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR",
           "ChainedScheduler", "CyclicLR"]


# LambdaLR's and MultiplicativeLR's shared part (functions, not a base class: the two are
# LRSchedulers as in PyTorch, and the docs show that base): one lr_lambda per group, and
# state dicts that keep no plain function (it could not be saved) but a callable object's
# attributes, as in PyTorch.

def _lr_lambdas(where: str, optimizer: Any, lr_lambda: Any) -> list[Callable[[int], float]]:
    """One function of the epoch per parameter group: a list of them, or one for all."""
    groups = _param_groups(where, optimizer)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != len(groups):
            raise ValueError(f"{where}: got {len(lr_lambda)} lr_lambdas for {len(groups)} "
                             f"parameter groups; give one per group")
        lr_lambdas = list(lr_lambda)
    else:
        lr_lambdas = [lr_lambda] * len(groups)
    for fn in lr_lambdas:
        if not callable(fn):
            raise TypeError(f"{where}: lr_lambda must be a function of the epoch, got {fn!r}")
    return lr_lambdas


def _lambdas_state(scheduler: Any) -> dict[str, Any]:
    saved = {key: copy.copy(value) for key, value in scheduler.__dict__.items()
             if key not in ("optimizer", "lr_lambdas")}
    saved["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                           for fn in scheduler.lr_lambdas]
    return saved


def _load_lambdas_state(scheduler: Any, state_dict: dict[str, Any],
                        load: Callable[[dict[str, Any]], None]) -> None:
    state_dict = dict(state_dict)  # the caller's dict keeps its "lr_lambdas"
    saved = state_dict.pop("lr_lambdas", [None] * len(scheduler.lr_lambdas))
    if len(saved) != len(scheduler.lr_lambdas):
        raise ValueError(f"{scheduler._name}.load_state_dict: {len(saved)} saved lr_lambdas, "
                         f"this scheduler has {len(scheduler.lr_lambdas)}")
    load(state_dict)
    for fn, attributes in zip(scheduler.lr_lambdas, saved):
        if attributes is not None:
            fn.__dict__.update(attributes)


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch) (PyTorch's LambdaLR); one function, or one per group.

    `state_dict()` keeps no plain function (it could not be saved); a callable object's
    attributes are kept, as in PyTorch.
    """

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float]
                 | list[Callable[[int], float]], last_epoch: int = -1) -> None:
        self.lr_lambdas = _lr_lambdas(self._name, optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """base_lr * lr_lambda(last_epoch) for each group."""
        return [base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas,
                                                                     self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """As `LRScheduler.state_dict`; "lr_lambdas" holds None for each plain function and
        a copy of the attributes of each callable object."""
        return _lambdas_state(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As `LRScheduler.load_state_dict`; a callable object gets its saved attributes."""
        _load_lambdas_state(self, state_dict, super().load_state_dict)


class MultiplicativeLR(LRScheduler):
    """Multiply the lr by lr_lambda(epoch) every epoch after the first (PyTorch's
    MultiplicativeLR); one function, or one per group.

    From a fixed start: lr = initial_lr * lr_lambda(1) * ... * lr_lambda(epoch). State
    dicts as LambdaLR's.
    """

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float]
                 | list[Callable[[int], float]], last_epoch: int = -1) -> None:
        self.lr_lambdas = _lr_lambdas(self._name, optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr times lr_lambda(last_epoch) (kept by the constructor's step)."""
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * fn(self.last_epoch) for fn, group in zip(self.lr_lambdas, groups)]

    def state_dict(self) -> dict[str, Any]:
        """As LambdaLR's."""
        return _lambdas_state(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As LambdaLR's."""
        _load_lambdas_state(self, state_dict, super().load_state_dict)


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs (PyTorch's StepLR).

    From a fixed start: lr = initial_lr * gamma ** (epoch // step_size). step_size is a
    number >= 1 (an epoch count: a float too, as PyTorch takes one: the tutorials'
    `StepLR(optimizer, 1.0, gamma=0.95)`); step by step the lr changes at each epoch that
    is a multiple of it (`epoch % step_size == 0`: 1.5 at epochs 3, 6, 9, ...), as PyTorch's.
    """

    def __init__(self, optimizer: Any, step_size: float, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        # (>= 1: the lr changes at most once an epoch, so a shorter step means nothing;
        # PyTorch's takes 0.5 as 1, and 0.3 never changes the lr: 1 % 0.3 != 0)
        _check_number(self._name, "step_size", step_size, 1)
        _check_number(self._name, "gamma", gamma, 0.0)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr, times gamma when last_epoch is a nonzero multiple of step_size."""
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]

    def _closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


def _whole_epochs(milestones: Any) -> Any:
    """Milestones with each whole float (3.0) made that int (PyTorch's counts 3.0 as epoch
    3); anything else as given, for `_milestones` to check."""
    if not isinstance(milestones, abc.Iterable) or isinstance(milestones, (str, bytes)):
        return milestones
    return [int(m) if isinstance(m, float) and m.is_integer() else m for m in milestones]


class MultiStepLR(LRScheduler):
    """Multiply the lr by gamma at each epoch in milestones (PyTorch's MultiStepLR).

    From a fixed start: lr = initial_lr * gamma ** (number of milestones <= epoch); a
    milestone given twice counts twice. A whole float (3.0) is that epoch, as PyTorch
    counts it; 2.5 is refused (PyTorch's never reaches it: no epoch equals it).
    """

    def __init__(self, optimizer: Any, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        milestones = _milestones(self._name, _whole_epochs(milestones))
        _check_number(self._name, "gamma", gamma, 0.0)
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr, times gamma ** (times last_epoch is a milestone)."""
        groups = self.optimizer.param_groups
        if self.last_epoch not in self.milestones:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma ** self.milestones[self.last_epoch]
                for group in groups]

    def _closed_form_lr(self) -> list[float]:
        passed = sum(n for m, n in self.milestones.items() if m <= self.last_epoch)
        return [base_lr * self.gamma ** passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch (PyTorch's ExponentialLR).

    From a fixed start: lr = initial_lr * gamma ** epoch.
    """

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        _check_number(self._name, "gamma", gamma, 0.0)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr times gamma (kept as it is by the step the constructor makes)."""
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]

    def _closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the initial lr down to eta_min over T_max epochs (PyTorch's).

    From a fixed start the lr follows

        lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    and rises again after T_max (period 2 * T_max; no restarts). The lr is updated
    recursively, as PyTorch does, so a change made by hand is annealed from.
    """

    def __init__(self, optimizer: Any, T_max: float, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        _check_number(self._name, "T_max", T_max, 1)  # (a number of epochs; 10.0 as PyTorch)
        _check_number(self._name, "eta_min", eta_min, 0.0)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """PyTorch's recursive step: the current lr's distance to eta_min scaled by the ratio
        of consecutive cosine factors (at the trough, where that ratio is 0/0, the first
        step up)."""
        groups, e, T = self.optimizer.param_groups, self.last_epoch, self.T_max
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (e - 1 - T) % (2 * T) == 0:
            return [group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (group["lr"] - self.eta_min) + self.eta_min for group in groups]

    def _closed_form_lr(self) -> list[float]:
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the lr polynomially to 0 over total_iters epochs (PyTorch's PolynomialLR).

    From a fixed start: lr = initial_lr * (1 - min(epoch, total_iters) / total_iters) ** power,
    applied recursively as PyTorch does. total_iters must be >= 1 and power >= 0 (PyTorch
    accepts others, and then divides by zero).
    """

    def __init__(self, optimizer: Any, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        _check_number(self._name, "total_iters", total_iters, 1, integer=True)
        _check_number(self._name, "power", power, 0.0)
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current lr times the ratio of consecutive decay factors (kept after
        total_iters)."""
        groups, e, n = self.optimizer.param_groups, self.last_epoch, self.total_iters
        if self._is_initial or e > n:
            return [group["lr"] for group in groups]
        factor = ((1.0 - e / n) / (1.0 - (e - 1) / n)) ** self.power
        return [group["lr"] * factor for group in groups]

    def _closed_form_lr(self) -> list[float]:
        return [base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing restarted every T_i epochs, T_i = T_0 * T_mult ** restart
    (PyTorch's CosineAnnealingWarmRestarts, SGDR):

        lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    T_cur counting the epochs since the last restart. As in PyTorch (and unlike the other
    schedulers here), `step(epoch)` takes a fractional epoch too, for steps within an
    epoch: `scheduler.step(epoch + i / batches)`.
    """

    def __init__(self, optimizer: Any, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        _check_number(self._name, "T_0", T_0, 1, integer=True)
        _check_number(self._name, "T_mult", T_mult, 1, integer=True)
        _check_number(self._name, "eta_min", eta_min, 0.0)
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2 for each group."""
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base_lr in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch (or go to `epoch`, a number >= 0, fractional allowed) and write
        the lrs."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            _check_number(f"{self._name}.step", "epoch", epoch, 0)
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:  # (PyTorch's arithmetic, to agree to the last bit)
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self._step_count += 1
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())

"""`tg.optim.lr_scheduler`: PyTorch's learning-rate schedulers, which change an optimizer's lr.

A scheduler wraps an optimizer and, at each `step()` (once per epoch, after the epoch's
`optimizer.step()` calls), writes the next learning rate into every
`optimizer.param_groups[i]["lr"]`:

    scheduler = tg.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        scheduler.step()

As in PyTorch, building a scheduler records each group's starting lr as
`group["initial_lr"]` (the `base_lrs`), sets `last_epoch` to 0 and leaves the lr as it
is; StepLR, MultiStepLR, ExponentialLR and CosineAnnealingLR then change the group's
current lr step by step (PyTorch's recursive form), so a change made by hand, or by a
second scheduler on the same optimizer, carries on into later epochs; LambdaLR sets
base_lr * lr_lambda(epoch) outright. `get_last_lr()` gives the lrs the last step set;
`state_dict()` / `load_state_dict()` save and restore the schedule's progress.

This module uses an optimizer only through its `param_groups`, so it imports nothing
from `optim`; `optim` makes it reachable as `tg.optim.lr_scheduler`.
"""
from __future__ import annotations

import copy
import math
import numbers
import types
from collections import Counter
from typing import Any, Callable, Iterable

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR"]


def _check_number(where: str, name: str, value: Any, low: float,
                  integer: bool = False) -> None:
    """value must be a real number (an integer if asked) >= low; NaN and inf refused."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{where}: {name} must be {'an integer' if integer else 'a number'}, "
                        f"got {value!r}")
    if not (low <= value < math.inf):  # NaN fails the test too
        raise ValueError(f"{where}: {name} must be >= {low}, got {value!r}")


def _param_groups(where: str, optimizer: Any) -> list[dict[str, Any]]:
    """The optimizer's param_groups, or a one-line error when it is no optimizer."""
    groups = getattr(optimizer, "param_groups", None)
    if not (isinstance(groups, list) and groups
            and all(isinstance(g, dict) and "lr" in g for g in groups)):
        raise TypeError(f"{where}: {type(optimizer).__name__} is not an Optimizer; pass one "
                        f"such as tg.optim.SGD(model.parameters(), lr=0.1)")
    return groups


class LRScheduler:
    """Base class: keeps `optimizer`, `base_lrs`, `last_epoch`; `step()` applies `get_lr()`.

    A subclass sets its own settings, then calls `LRScheduler.__init__`, and defines
    `get_lr()`: the lr of each parameter group for the epoch `last_epoch`, which
    `step()` has just advanced. `last_epoch=-1` (the default) starts a schedule; a
    saved epoch resumes one, and then each group must already hold its "initial_lr"
    (as an optimizer loaded with `load_state_dict` does).
    """

    def __init__(self, optimizer: Any, last_epoch: int = -1) -> None:
        groups = _param_groups(self._name, optimizer)
        _check_number(self._name, "last_epoch", last_epoch, -1, integer=True)
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            missing = [i for i, g in enumerate(groups) if "initial_lr" not in g]
            if missing:
                raise ValueError(f"{self._name}: last_epoch={last_epoch} resumes a schedule, but "
                                 f"param_groups {missing} have no 'initial_lr'; load the "
                                 f"optimizer's saved state_dict first, or use last_epoch=-1")
        self.optimizer = optimizer
        self.base_lrs: list[float] = [g["initial_lr"] for g in groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        # The first step only sets last_epoch to 0 (or resumes): the recursive forms of
        # ExponentialLR and CosineAnnealingLR must then keep the lr, as PyTorch's do.
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    @property
    def _name(self) -> str:
        return type(self).__name__

    def get_lr(self) -> list[float]:
        """The lr of each parameter group at `last_epoch` (called by `step()`; to read the
        current lrs use `get_last_lr()`)."""
        raise NotImplementedError(f"{self._name} defines no get_lr()")

    def step(self, epoch: Any = None) -> None:
        """Advance `last_epoch` by one and write the new lrs into the optimizer's groups.

        Call it after the epoch's `optimizer.step()`. PyTorch's deprecated `step(epoch)`
        is refused: build the scheduler with `last_epoch=` to resume at an epoch instead.
        """
        if epoch is not None:
            raise TypeError(f"{self._name}.step() takes no epoch (PyTorch deprecated "
                            f"step(epoch)); call step() once per epoch, or resume with "
                            f"last_epoch= when building the scheduler")
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(f"{self._name}: the optimizer has {len(groups)} parameter groups, "
                             f"the scheduler was built for {len(self.base_lrs)}; build it after "
                             f"add_param_group()")
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self) -> list[float]:
        """The lrs the last `step()` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything the scheduler keeps except the optimizer (copies): `last_epoch`,
        `base_lrs`, the settings, ..."""
        return {key: copy.copy(value) for key, value in self.__dict__.items()
                if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` saved, from a scheduler of the same kind."""
        where = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or "last_epoch" not in state_dict:
            raise ValueError(f"{where}: expected the dict of state_dict(), with 'last_epoch'")
        unknown = sorted(set(state_dict) - set(self.__dict__))
        if unknown:
            raise ValueError(f"{where}: unknown entries {unknown}; was it saved by another "
                             f"kind of scheduler?")
        if len(state_dict.get("base_lrs", self.base_lrs)) != len(self.base_lrs):
            raise ValueError(f"{where}: the saved schedule has {len(state_dict['base_lrs'])} "
                             f"parameter groups, this one {len(self.base_lrs)}")
        self.__dict__.update({key: copy.copy(value) for key, value in state_dict.items()})

    def __repr__(self) -> str:
        return f"{self._name}(last_epoch={self.last_epoch}, last_lr={self.get_last_lr()})"


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch) (PyTorch's LambdaLR); one function, or one per group.

    `state_dict()` keeps no plain function (it could not be saved); a callable object's
    attributes are kept, as in PyTorch.
    """

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float]
                 | list[Callable[[int], float]], last_epoch: int = -1) -> None:
        groups = _param_groups(self._name, optimizer)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(groups):
                raise ValueError(f"{self._name}: got {len(lr_lambda)} lr_lambdas for "
                                 f"{len(groups)} parameter groups; give one per group")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(groups)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"{self._name}: lr_lambda must be a function of the epoch, "
                                f"got {fn!r}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """base_lr * lr_lambda(last_epoch) for each group."""
        return [base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas,
                                                                     self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """As `LRScheduler.state_dict`; "lr_lambdas" holds None for each plain function and
        a copy of the attributes of each callable object."""
        saved = {key: copy.copy(value) for key, value in self.__dict__.items()
                 if key not in ("optimizer", "lr_lambdas")}
        saved["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As `LRScheduler.load_state_dict`; a callable object gets its saved attributes."""
        state_dict = dict(state_dict)  # the caller's dict keeps its "lr_lambdas"
        saved = state_dict.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        if len(saved) != len(self.lr_lambdas):
            raise ValueError(f"{self._name}.load_state_dict: {len(saved)} saved lr_lambdas, "
                             f"this scheduler has {len(self.lr_lambdas)}")
        super().load_state_dict(state_dict)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                fn.__dict__.update(attributes)


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs (PyTorch's StepLR).

    From a fixed start: lr = initial_lr * gamma ** (epoch // step_size).
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _check_number(self._name, "step_size", step_size, 1, integer=True)
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


class MultiStepLR(LRScheduler):
    """Multiply the lr by gamma at each epoch in milestones (PyTorch's MultiStepLR).

    From a fixed start: lr = initial_lr * gamma ** (number of milestones <= epoch); a
    milestone given twice counts twice.
    """

    def __init__(self, optimizer: Any, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        try:
            milestones = list(milestones)
        except TypeError:
            raise TypeError(f"{self._name}: milestones must be a list of epochs, "
                            f"got {milestones!r}") from None
        for milestone in milestones:
            _check_number(self._name, "each milestone", milestone, 0, integer=True)
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


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the initial lr down to eta_min over T_max epochs (PyTorch's).

    From a fixed start:
        lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2,
    which rises again after T_max (period 2 * T_max; no restarts). The lr is updated
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

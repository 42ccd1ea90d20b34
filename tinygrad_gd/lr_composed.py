"""Schedulers made of schedulers, part of `tg.optim.lr_scheduler`: `SequentialLR` runs
them one after another (a warm-up, then a decay), `ChainedScheduler` steps them all
together (their changes multiply, each being applied to the current lr).
"""
from __future__ import annotations

import bisect
import copy
from typing import Any, Iterable

from .lr_plateau import ReduceLROnPlateau
from .lr_scheduler_base import (LRScheduler, _check_number, _lrs, _milestones, _param_groups,
                                _set_lr)

__all__ = ["SequentialLR", "ChainedScheduler"]


def _check_schedulers(where: str, schedulers: Any, optimizer: Any) -> list[Any]:
    """The schedulers as a list: at least one, each a scheduler of `optimizer` (which is
    the first one's when None), none a ReduceLROnPlateau."""
    try:
        schedulers = list(schedulers)
    except TypeError:
        raise TypeError(f"{where}: schedulers must be a list of schedulers, got "
                        f"{type(schedulers).__name__}") from None
    if not schedulers:
        raise ValueError(f"{where}: got no scheduler; give at least one")
    if optimizer is None:
        optimizer = getattr(schedulers[0], "optimizer", None)
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{where}: schedulers[{i}] is a {type(scheduler).__name__}, not "
                            f"a scheduler (it has no optimizer)")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{where}: schedulers[{i}] is a ReduceLROnPlateau, which needs "
                             f"the metric at each step; step it yourself")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{where}: schedulers[{i}] ({type(scheduler).__name__}) "
                             f"belongs to another optimizer; all must share one")
    return schedulers


class _Composed(LRScheduler):
    """The state dicts of a scheduler holding `_schedulers`: its own entries, and one
    state dict per scheduler under "_schedulers", as PyTorch's."""

    _schedulers: list[Any]

    def state_dict(self) -> dict[str, Any]:
        """This scheduler's entries (copies), and each scheduler's `state_dict()` under
        "_schedulers"."""
        saved = {key: copy.copy(value) for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_schedulers")}
        saved["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` saved, each scheduler from its own entry."""
        where = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or "_schedulers" not in state_dict:
            raise ValueError(f"{where}: expected the dict of state_dict(), with '_schedulers'")
        saved = state_dict["_schedulers"]
        if len(saved) != len(self._schedulers):
            raise ValueError(f"{where}: {len(saved)} saved schedulers, this one has "
                             f"{len(self._schedulers)}")
        unknown = sorted(set(state_dict) - set(self.__dict__))
        if unknown:
            raise ValueError(f"{where}: unknown entries {unknown}; was it saved by another "
                             f"kind of scheduler?")
        self.__dict__.update({key: copy.copy(value) for key, value in state_dict.items()
                              if key != "_schedulers"})
        for scheduler, entries in zip(self._schedulers, saved):
            scheduler.load_state_dict(entries)


class SequentialLR(_Composed):
    """Run schedulers one after another (PyTorch's SequentialLR): schedulers[i] takes over
    at epoch milestones[i - 1], starting again from the base lrs (its epoch 0).

    Build the schedulers on the same optimizer first; as in PyTorch, this undoes the
    first step each made and restarts only the first at epoch 0.
    """

    def __init__(self, optimizer: Any, schedulers: Iterable[Any], milestones: Iterable[int],
                 last_epoch: int = -1) -> None:
        groups = _param_groups(self._name, optimizer)
        schedulers = _check_schedulers(self._name, schedulers, optimizer)
        milestones = _milestones(self._name, milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{self._name}: {len(schedulers)} schedulers need "
                             f"{len(schedulers) - 1} milestones, got {len(milestones)}")
        if milestones != sorted(milestones):
            raise ValueError(f"{self._name}: milestones must be in increasing order, got "
                             f"{milestones}")
        _check_number(self._name, "last_epoch", last_epoch, -1, integer=True)
        missing = [i for i, g in enumerate(groups) if "initial_lr" not in g]
        if missing:
            raise ValueError(f"{self._name}: param_groups {missing} have no 'initial_lr'; "
                             f"build the schedulers on this optimizer first")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in groups:  # back to the start, as PyTorch
            _set_lr(group, group["initial_lr"])
        self._undo_first_steps(self)
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _undo_first_steps(self, scheduler: Any) -> None:
        if hasattr(scheduler, "_schedulers"):
            for inner in scheduler._schedulers:
                self._undo_first_steps(inner)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def get_lr(self) -> list[float]:
        """The lrs of the scheduler in charge (as the last `step()` left them)."""
        return self.get_last_lr()

    def step(self, epoch: Any = None) -> None:
        """Advance one epoch: the scheduler in charge steps, or, at a milestone, the next
        one starts from its epoch 0."""
        if epoch is not None:
            raise TypeError(f"{self._name}.step() takes no epoch; call step() once per epoch")
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._restart()
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composed):
    """Step several schedulers together (PyTorch's ChainedScheduler): each `step()` steps
    every one in order, so recursive schedules multiply their changes. The optimizer is
    the first scheduler's unless given.
    """

    def __init__(self, schedulers: Iterable[Any], optimizer: Any = None) -> None:
        self._schedulers = _check_schedulers(self._name, schedulers, optimizer)
        self.optimizer = optimizer if optimizer is not None else self._schedulers[0].optimizer
        self._last_lr = _lrs(self.optimizer.param_groups)

    def get_lr(self) -> list[float]:
        """The lrs as the last `step()` left them."""
        return self.get_last_lr()

    def step(self, epoch: Any = None) -> None:
        """Step every scheduler, in order."""
        if epoch is not None:
            raise TypeError(f"{self._name}.step() takes no epoch; call step() once per epoch")
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _lrs(self.optimizer.param_groups)

    def __repr__(self) -> str:
        inner = ", ".join(type(s).__name__ for s in self._schedulers)
        return f"{self._name}([{inner}], last_lr={self.get_last_lr()})"

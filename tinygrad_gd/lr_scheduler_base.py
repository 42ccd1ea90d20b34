"""The base of `tg.optim.lr_scheduler`: `LRScheduler` and the argument checks its
schedulers share (the schedulers themselves are in lr_scheduler.py, lr_warmup.py,
lr_plateau.py and lr_composed.py; lr_scheduler.py gathers them all).

An lr given to the optimizer as a tensor stays that tensor: a scheduler writes each new lr
into it in place (`_set_lr`), and keeps copies of it ("initial_lr", `base_lrs`,
`get_last_lr()`), as PyTorch's schedulers do.
"""
from __future__ import annotations

import copy
import math
import numbers
import warnings
from typing import Any

from .errors import user_stacklevel
from .optim_base import _copied  # (an lr kept apart from its group: a tensor cloned)
from .tensor import Tensor

__all__ = ["LRScheduler"]


def _check_number(where: str, name: str, value: Any, low: float,
                  integer: bool = False) -> None:
    """value must be a real number (an integer if asked) >= low; NaN and inf refused."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{where}: {name} must be {'an integer' if integer else 'a number'}, "
                        f"got {value!r}")
    if not (low <= value < math.inf):  # NaN fails the test too
        raise ValueError(f"{where}: {name} must be >= {low}, got {value!r}")


def _milestones(where: str, milestones: Any) -> list[int]:
    """The milestones as a list of epochs, each an integer >= 0; one line otherwise."""
    try:
        milestones = list(milestones)
    except TypeError:
        raise TypeError(f"{where}: milestones must be a list of epochs, got "
                        f"{milestones!r}") from None
    for milestone in milestones:
        _check_number(where, "each milestone", milestone, 0, integer=True)
    return milestones


def _lrs(groups: list[dict[str, Any]]) -> list[Any]:
    """Each group's lr, kept apart from it (what `get_last_lr()` gives)."""
    return [_copied(group["lr"]) for group in groups]


def _set_lr(group: dict[str, Any], lr: Any) -> None:
    """Write lr into the group: into its lr tensor in place where it holds one (PyTorch's
    fill_: the tensor the optimizer was given follows the schedule), else as it is."""
    if isinstance(group["lr"], Tensor):
        group["lr"].fill_(lr.item() if isinstance(lr, Tensor) else lr)
    else:
        group["lr"] = lr


def _param_groups(where: str, optimizer: Any) -> list[dict[str, Any]]:
    """The optimizer's param_groups, or a one-line error when it is no optimizer."""
    groups = getattr(optimizer, "param_groups", None)
    if not (isinstance(groups, list) and groups
            and all(isinstance(g, dict) and "lr" in g for g in groups)):
        raise TypeError(f"{where}: {type(optimizer).__name__} is not an Optimizer; pass one "
                        f"such as tg.optim.SGD(model.parameters(), lr=0.1)")
    return groups


def _track_optimizer_steps(optimizer: Any) -> None:
    """From the first scheduler built on a tg.optim optimizer on, count whether it steps
    (its `_stepped`, which its step() sets): PyTorch wraps the optimizer's step() then, so
    steps taken before do not count there either. An object that is no tg.optim optimizer
    says nothing of its steps, and is never warned of."""
    if getattr(optimizer, "_stepped", None) is not None \
            and not getattr(optimizer, "_steps_tracked", False):
        optimizer._stepped, optimizer._steps_tracked = False, True


def _warn_if_optimizer_never_stepped(name: str, optimizer: Any) -> None:
    """PyTorch's warning, once per scheduler (at its first step() after the one made when
    built), when its optimizer has not stepped since the first scheduler was built on it:
    the schedule's first lr went unused. It opens with PyTorch's words, so a filter
    written for PyTorch's silences it too."""
    if getattr(optimizer, "_stepped", None) is False:
        warnings.warn(f"Detected call of `lr_scheduler.step()` before `optimizer.step()`: "
                      f"{name}'s first learning rate was never used; in each epoch call "
                      f"optimizer.step() first, then scheduler.step()", UserWarning,
                      stacklevel=user_stacklevel())


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
                group.setdefault("initial_lr", _copied(group["lr"]))
        else:
            missing = [i for i, g in enumerate(groups) if "initial_lr" not in g]
            if missing:
                raise ValueError(f"{self._name}: last_epoch={last_epoch} resumes a schedule, but "
                                 f"param_groups {missing} have no 'initial_lr'; load the "
                                 f"optimizer's saved state_dict first, or use last_epoch=-1")
        self.optimizer = optimizer
        self.base_lrs: list[float] = [_copied(g["initial_lr"]) for g in groups]
        self.last_epoch = last_epoch
        _track_optimizer_steps(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's step (SequentialLR makes it again when a scheduler takes over)."""
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
        if self._step_count == 1:
            _warn_if_optimizer_never_stepped(self._name, self.optimizer)
        self._step_count += 1
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _set_lrs(self, lrs: list[float]) -> None:
        groups = self.optimizer.param_groups
        for group, lr in zip(groups, lrs):
            _set_lr(group, lr)
        self._last_lr = _lrs(groups)

    def _restart(self) -> None:
        """Epoch 0 again, from the base lrs (how SequentialLR hands over at a milestone,
        PyTorch's `_update_lr(0)`): the closed form where the schedule has one."""
        self.last_epoch = 0
        closed_form = getattr(self, "_closed_form_lr", None)
        self._set_lrs(closed_form() if closed_form is not None else self.get_lr())

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
        base_lrs = getattr(self, "base_lrs", None)  # (ReduceLROnPlateau has none)
        if base_lrs is not None and len(state_dict.get("base_lrs", base_lrs)) != len(base_lrs):
            raise ValueError(f"{where}: the saved schedule has {len(state_dict['base_lrs'])} "
                             f"parameter groups, this one {len(self.base_lrs)}")
        self.__dict__.update({key: copy.copy(value) for key, value in state_dict.items()})

    def __repr__(self) -> str:
        return f"{self._name}(last_epoch={self.last_epoch}, last_lr={self.get_last_lr()})"

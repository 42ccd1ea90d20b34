"""`ReduceLROnPlateau`, part of `tg.optim.lr_scheduler`: the one schedule driven by a
measured metric (a validation loss, an accuracy) instead of the epoch count.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

from .lr_scheduler_base import LRScheduler, _check_number, _lrs, _param_groups, _set_lr

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by factor when the metric has stopped improving for more than
    `patience` epochs (PyTorch's ReduceLROnPlateau): `scheduler.step(val_loss)`.

    mode "min" (a loss) or "max" (an accuracy). An epoch improves on the best so far when
    the metric beats it by threshold: relatively (threshold_mode "rel": below
    best * (1 - threshold) in "min" mode) or absolutely ("abs": below best - threshold).
    After a reduction, `cooldown` epochs pass before bad epochs count again. No lr goes
    below min_lr (a number, or one per group), and a reduction smaller than eps is not
    made. Unlike the other schedulers it leaves the lrs as they are when built, and records
    no "initial_lr". factor must be < 1 (ValueError, as PyTorch), and >= 0.
    """

    def __init__(self, optimizer: Any, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0, eps: float = 1e-8) -> None:
        where = self._name
        _check_number(where, "factor", factor, 0.0)
        if factor >= 1.0:
            raise ValueError(f"{where}: factor must be < 1.0 (the lr is multiplied by it), "
                             f"got {factor!r}")
        groups = _param_groups(where, optimizer)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"{where}: got {len(min_lr)} min_lrs for {len(groups)} "
                                 f"parameter groups; give one per group, or one number")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(groups)
        for value in self.min_lrs:
            _check_number(where, "min_lr", value, 0.0)
        _check_number(where, "patience", patience, 0, integer=True)
        _check_number(where, "cooldown", cooldown, 0, integer=True)
        _check_number(where, "threshold", threshold, 0.0)
        _check_number(where, "eps", eps, 0.0)
        self._check_modes(mode, threshold_mode)
        self.optimizer = optimizer
        self.factor = factor
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = _lrs(groups)
        self._reset()

    def _check_modes(self, mode: Any, threshold_mode: Any) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"{self._name}: mode must be 'min' (a loss) or 'max' (an "
                             f"accuracy), got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{self._name}: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """True while the epochs after a reduction are not counted as bad."""
        return self.cooldown_counter > 0

    def _is_better(self, current: float) -> bool:
        best, threshold = self.best, self.threshold
        if self.mode == "min":
            return current < (best * (1.0 - threshold) if self.threshold_mode == "rel"
                              else best - threshold)
        return current > (best * (threshold + 1.0) if self.threshold_mode == "rel"
                          else best + threshold)

    def get_lr(self) -> list[float]:
        """The lrs as they are: this schedule changes them only in `step(metrics)`."""
        return _lrs(self.optimizer.param_groups)

    def step(self, metrics: Any, epoch: Any = None) -> None:  # type: ignore[override]
        """Record one epoch's metric (a number or a 1-element tensor) and reduce the lrs
        if it has not improved for more than `patience` epochs."""
        if epoch is not None:
            raise TypeError(f"{self._name}.step() takes no epoch (PyTorch deprecated it); "
                            f"call step(metric) once per epoch")
        if isinstance(metrics, numbers.Real) and not isinstance(metrics, bool):
            current = float(metrics)
        else:
            try:
                current = float(metrics)  # (a 1-element tensor or array, as PyTorch reads)
            except (TypeError, ValueError):
                raise TypeError(f"{self._name}.step: metrics must be a number or a 1-element "
                                f"tensor (the epoch's loss or accuracy), got "
                                f"{type(metrics).__name__}") from None
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _lrs(self.optimizer.param_groups)

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise ValueError(f"{self._name}: the optimizer has {len(groups)} parameter "
                                 f"groups, min_lr was given for {len(self.min_lrs)}; set "
                                 f"scheduler.min_lrs to one value per group")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                _set_lr(group, new_lr)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` saved, from a ReduceLROnPlateau."""
        super().load_state_dict(state_dict)
        self._check_modes(self.mode, self.threshold_mode)

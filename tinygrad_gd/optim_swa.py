"""`tg.optim.swa_utils`: weight averaging, as PyTorch's torch.optim.swa_utils: stochastic
weight averaging (SWA, Izmailov et al. 2018) and exponential moving averages (EMA).

`AveragedModel(model)` keeps a copy of the model whose parameters are the running average
of the model's, one more each `update_parameters(model)` (the first call copies them);
`multi_avg_fn=get_ema_multi_avg_fn(0.999)` (or `avg_fn=`, one parameter at a time) makes it
an EMA instead. `SWALR(optimizer, swa_lr=0.05)` anneals each group's lr to swa_lr over
anneal_epochs epochs ("cos" or "linear") and keeps it there. `update_bn(loader, swa_model)`
recomputes the BatchNorm running statistics of the averaged weights in one pass over the
data (plain averages over the batches, as PyTorch's momentum=None).

As in PyTorch: the averaged model's buffers follow the model's (copied at each update)
unless `use_buffers=True` averages them too; an integer buffer (num_batches_tracked) is
then averaged in floating point and truncated. The averages are written in place, with
no graph recorded.
"""
from __future__ import annotations

import copy
import math
import sys
from typing import Any, Callable, Iterable

import numpy as np

from .engine import no_grad
from .grad_mode import check_flag
from .lr_scheduler_base import LRScheduler, _param_groups
from .nn.layers import BatchNorm1d
from .nn.module import Buffer, Module
from .tensor import Tensor

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _write(target: Tensor, values: Any) -> None:
    """Write values into target in place, recording nothing (copy_: a float into an integer
    buffer truncates toward 0, as PyTorch's)."""
    with no_grad():
        target.copy_(values)


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """start + weight * (end - start), in PyTorch's two forms (the one near the end for a
    weight >= 0.5, where it is exact at weight 1)."""
    diff = end - start
    if abs(weight) < 0.5:
        return start + weight * diff
    return end - diff * (1 - weight)


def _check_decay(where: str, decay: Any) -> None:
    if isinstance(decay, bool) or not isinstance(decay, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: decay must be a number in [0, 1], got {decay!r}")
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"{where}: invalid decay value {decay}; give a value in [0, 1] "
                         f"(close to 1, such as 0.999)")


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[list, list, Any], None]:
    """The EMA update of lists of parameters, in place (for `AveragedModel(multi_avg_fn=)`):
    W_ema <- decay * W_ema + (1 - decay) * W_model."""
    _check_decay("get_ema_multi_avg_fn", decay)

    def ema_update(ema_param_list: list, current_param_list: list, _: Any) -> None:
        for p_ema, p_model in zip(ema_param_list, current_param_list):
            if p_ema.dtype.kind in "fc":
                _write(p_ema, _lerp(p_ema._data, p_model._data, 1 - decay))
            else:
                _write(p_ema, p_ema._data * decay + p_model._data * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn() -> Callable[[list, list, Any], None]:
    """The equal-weight (SWA) update of lists of parameters, in place:
    W_avg <- W_avg + (W_model - W_avg) / (n_averaged + 1)."""

    def swa_update(averaged_param_list: list, current_param_list: list, num_averaged: Any
                   ) -> None:
        n = int(num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged)
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            if p_avg.dtype.kind in "fc":
                _write(p_avg, _lerp(p_avg._data, p_model._data, 1 / (n + 1)))
            else:
                _write(p_avg, p_avg._data + (p_model._data - p_avg._data) / (n + 1))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The EMA of one parameter (for `AveragedModel(avg_fn=)`): returns
    decay * W_ema + (1 - decay) * W_model."""
    _check_decay("get_ema_avg_fn", decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The equal-weight average of one parameter: returns
    W_avg + (W_model - W_avg) / (n_averaged + 1)."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def _swa_default(averaged: list[Tensor], current: list[Tensor], n: int) -> None:
    """PyTorch's CPU default: each parameter W_avg + (W_model - W_avg) / (n + 1)."""
    for p_avg, p_model in zip(averaged, current):
        _write(p_avg, p_avg._data + (p_model._data - p_avg._data) / (n + 1))


class AveragedModel(Module):
    """A copy of `model` (`.module`) holding the average of the model's parameters
    (PyTorch's torch.optim.swa_utils.AveragedModel): SWA by default, an EMA with
    `multi_avg_fn=get_ema_multi_avg_fn(decay)`, any average with `avg_fn(averaged, current,
    num_averaged)` (returns the new average of one parameter) or `multi_avg_fn(averaged_list,
    current_list, num_averaged)` (writes them in place). `n_averaged` (a Buffer) counts
    the updates; calling it runs the copy: `swa_model(x)`.
    """

    def __init__(self, model: Module, device: Any = None,
                 avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
                 multi_avg_fn: Callable[[list, list, Any], None] | None = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be a Module, got "
                            f"{type(model).__name__}")
        # (PyTorch raises AssertionError here; a wrong argument is a ValueError elsewhere)
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give only one of avg_fn and multi_avg_fn")
        for name, fn in (("avg_fn", avg_fn), ("multi_avg_fn", multi_avg_fn)):
            if fn is not None and not callable(fn):
                raise TypeError(f"AveragedModel: {name} must be a function, got {fn!r}")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.n_averaged = Buffer(np.array(0), dtype=np.int64)
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = check_flag("AveragedModel", "use_buffers", use_buffers)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The averaged copy's forward: `self.module(*args, **kwargs)`."""
        return self.module(*args, **kwargs)

    def _pairs(self, model: Module) -> tuple[list[Tensor], list[Tensor]]:
        if self.use_buffers:
            return ([*self.module.parameters(), *self.module.buffers()],
                    [*model.parameters(), *model.buffers()])
        return self.module.parameters(), model.parameters()

    def update_parameters(self, model: Module) -> None:
        """Average `model`'s parameters (and buffers, with use_buffers=True) into this copy:
        the first call copies them; the buffers are copied as they are otherwise."""
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel.update_parameters: expected the model being "
                            f"trained (a Module), got {type(model).__name__}")
        averaged, current = self._pairs(model)
        n = int(self.n_averaged.item())
        pairs = list(zip(averaged, current))  # (as PyTorch's, the shorter list decides)
        for p_avg, p_model in pairs:
            if p_avg.shape != p_model.shape:
                raise ValueError(f"AveragedModel.update_parameters: a parameter of shape "
                                 f"{p_model.shape} for an average of shape {p_avg.shape}; "
                                 f"give the model this AveragedModel was built from")
            if n == 0:
                _write(p_avg, p_model._data)
        if n > 0 and self.avg_fn is not None and self.multi_avg_fn is None:
            for p_avg, p_model in pairs:
                with no_grad():
                    result = self.avg_fn(p_avg.detach(), p_model.detach(),
                                         Tensor(np.array(n, np.int64)))
                _write(p_avg, result)
        elif n > 0:
            by_dtype: dict[Any, tuple[list[Tensor], list[Tensor]]] = {}
            for p_avg, p_model in pairs:
                lists = by_dtype.setdefault(p_avg.dtype, ([], []))
                lists[0].append(p_avg)
                lists[1].append(p_model.detach())
            for averaged_list, current_list in by_dtype.values():
                if self.multi_avg_fn is not None:
                    with no_grad():
                        self.multi_avg_fn(averaged_list, current_list,
                                          Tensor(np.array(n, np.int64)))
                else:
                    _swa_default(averaged_list, current_list, n)
        if not self.use_buffers:  # the buffers follow the model's
            for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                _write(b_avg, b_model._data)
        with no_grad():
            self.n_averaged += 1


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running mean and variance of every BatchNorm layer in `model` in one
    pass over `loader` (its batches are tensors, or lists/tuples whose first entry is
    the input), as plain averages; the model's mode and momenta are restored."""
    if not isinstance(model, Module):
        raise TypeError(f"update_bn: model must be a Module, got {type(model).__name__}")
    momenta = {}
    for module in model.modules():
        if isinstance(module, BatchNorm1d):  # (BatchNorm2d and 3d derive from it)
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


def _anneal_cos(t: float) -> float:
    return (1 - math.cos(math.pi * t)) / 2


def _anneal_linear(t: float) -> float:
    return t


class SWALR(LRScheduler):
    """Anneal each group's lr to `swa_lr` (one for all groups, or a list) over
    `anneal_epochs` epochs, then keep it there (PyTorch's torch.optim.swa_utils.SWALR).

    With t = min(1, epoch / anneal_epochs) and a = anneal_func(t) ((1 - cos(pi t)) / 2 for
    "cos", t for "linear"): lr = a * swa_lr + (1 - a) * lr_start, where lr_start is worked
    back from the current lr (PyTorch's recursive form, so another scheduler's changes
    carry on). Each group keeps its "swa_lr".
    """

    def __init__(self, optimizer: Any, swa_lr: float | list[float], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        groups = _param_groups("SWALR", optimizer)
        swa_lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(groups)
        if len(swa_lrs) != len(groups):
            raise ValueError(f"SWALR: swa_lr must have the same length as "
                             f"optimizer.param_groups: {len(groups)} groups, got "
                             f"{len(swa_lrs)} swa_lr")
        for value in swa_lrs:
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                                 np.floating)):
                raise TypeError(f"SWALR: swa_lr must be a number (or one per group), "
                                f"got {value!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy!r}")
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) \
                or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be an integer >= 0, got "
                             f"{anneal_epochs!r}")
        for value, group in zip(swa_lrs, groups):
            group["swa_lr"] = value
        self._anneal_strategy = anneal_strategy
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @property
    def anneal_func(self) -> Callable[[float], float]:
        """The annealing curve of t in [0, 1] (the strategy's, as PyTorch's attribute)."""
        return _anneal_cos if self._anneal_strategy == "cos" else _anneal_linear

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        """The start lr that the previous step's alpha would have blended into lr."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        """Each group's lr for the step just taken (step counting from the constructor's)."""
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        groups = self.optimizer.param_groups
        return [group["swa_lr"] * alpha
                + self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha) * (1 - alpha)
                for group in groups]


# PyTorch's import line works too: `from tinygrad_gd.optim.swa_utils import AveragedModel`
# (optim is one file, not a package: this module stands in as its swa_utils)
sys.modules[__name__.rpartition(".")[0] + ".optim.swa_utils"] = sys.modules[__name__]

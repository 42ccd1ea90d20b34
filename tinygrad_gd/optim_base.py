"""The base of `tg.optim`: `Optimizer` (parameter groups, step, zero_grad, state_dict and
load_state_dict, frozen entries, maximize= and weight decay) and the reading of settings
given as tensors; the argument checks the optimizers share are in optim_checks.py, the
hooks (OptimizerHooks, a base: step and state-dict hooks) in optim_hooks.py. The
optimizers themselves are in optim.py (SGD, Adam, AdamW, RMSprop, Adagrad) and
optim_variants.py (NAdam, RAdam, Adamax, Adadelta, Rprop, ASGD); optim.py gathers them all
as `tg.optim`.

A setting may be given as a 1-element tensor, as PyTorch takes lr, weight_decay and
Adam's betas. Our tensor stays in the group as given (`group["lr"] is lr_t`, as PyTorch's
groups keep theirs) and is read at every step, so a change in place (`lr_t.fill_(0.01)`,
a scheduler's) counts; a NumPy array or scalar or another library's tensor is read once,
as its number. PyTorch's refusals are kept (Adam's betas as whole numbers or bools;
tensor betas, and Adam's tensor lr, with foreach=True). The state's numbers that PyTorch
keeps as 0-d tensors (every "step", NAdam's "mu_product", ASGD's "eta" and "mu") are 0-d
arrays here, float64 for a float64 parameter and float32 otherwise. `load_state_dict`
takes PyTorch's own `torch_optimizer.state_dict()` too: its tensors become arrays (told
apart by their `.detach().cpu().numpy()`; torch is never imported), each checked against
its parameter's shape and cast to its dtype, as PyTorch casts them.
"""
from __future__ import annotations

import difflib
import functools
from itertools import chain, compress, repeat
from typing import Any, Callable, Mapping

import numpy as np

from . import versions
from .optim_checks import _check_modes, _check_number, closure_loss, group_params, \
    param_groups
from .optim_hooks import (OptimizerHooks, run_load_state_dict_post_hooks,
                          run_load_state_dict_pre_hooks, run_state_dict_post_hooks,
                          run_state_dict_pre_hooks, run_step_hooks, running)
from .tensor import Tensor, zero_grads

__all__ = ["Optimizer"]
step_checks: list[Callable[[Any, bool], None]] = []  # inference.py's: (optimizer, every parameter?)
_PLAIN = frozenset({float, int, bool, str, type(None)})  # settings `_number` keeps as they are
_PAIRS = (tuple, list)  # (betas, etas: a pair of plain settings is kept as it is too)
_PLAIN_OR_PAIR = _PLAIN.union(_PAIRS)


# -- numbers given as tensors, and tensors of other libraries ----------------------------
def _is_tensor(value: Any) -> bool:
    """A tensor: ours, or another library's (PyTorch's, known by its `numpy()` method:
    torch is never imported here)."""
    return isinstance(value, Tensor) or (not isinstance(value, (np.ndarray, np.generic))
                                         and callable(getattr(value, "numpy", None)))


def _as_numpy(where: str, value: Any) -> Any:
    """A tensor (ours; PyTorch's by `.detach().cpu().numpy()`, another's by `.numpy()`) as
    a new NumPy array, lists and tuples of them entry by entry; anything else as it is."""
    if isinstance(value, (list, tuple)):
        entries = [_as_numpy(where, v) for v in value]
        return tuple(entries) if isinstance(value, tuple) else entries
    if not _is_tensor(value):
        return value
    if isinstance(value, Tensor):
        return np.array(value._data)
    try:
        for name in ("detach", "cpu"):
            method = getattr(value, name, None)
            value = method() if callable(method) else value
        array = np.array(value.numpy())  # (a copy: PyTorch's numpy() shares its memory)
    except Exception as err:  # noqa: BLE001  (whatever the library raises: said in one line)
        reason = (str(err).splitlines() or [type(err).__name__])[0][:120]
        raise TypeError(f"{where}: a {type(value).__name__} could not be read as a NumPy "
                        f"array ({reason}); convert it to float32 or float64 first (PyTorch: "
                        f"t.detach().double())") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: a {type(value).__name__} of dtype {array.dtype}; only "
                        f"real numbers (bool, integer, float) are kept")
    return array


def _number(where: str, name: str, value: Any) -> Any:
    """A setting given as a 1-element tensor or array or as a NumPy scalar, read as its
    number (PyTorch takes lr, weight_decay and Adam's betas as tensors; a float32 beta would
    make a float64 model's bias correction float32's); anything else as it is."""
    if not (_is_tensor(value) or isinstance(value, (np.ndarray, np.generic))):
        return value
    array = _as_numpy(where, value)
    if array.size != 1:
        kind = "a tensor" if _is_tensor(value) else "an array"
        raise ValueError(f"{where}: {name} must be a number or a 1-element tensor, got "
                         f"{kind} of shape {array.shape}")
    return array.item()


def _numbers(where: str, name: str, value: Any) -> Any:
    """_number of a setting, or of each entry of a pair of them (betas, etas, eps)."""
    if type(value) is tuple and _PLAIN.issuperset(map(type, value)):  # (fast path: numbers)
        return value
    if isinstance(value, (tuple, list)) and any(
            _is_tensor(v) or isinstance(v, (np.ndarray, np.generic)) for v in value):
        entries = [_number(where, f"{name}[{i}]", v) for i, v in enumerate(value)]
        return tuple(entries) if isinstance(value, tuple) else entries
    return _number(where, name, value)


def _plain_pairs(values: list[Any]) -> bool:
    """Whether settings not all plain are plain or pairs of plain ones (Adam's betas), which
    `_numbers` too keeps as they are. (Counted in C, element by element: no Python loop.)"""
    types = list(map(type, values))
    return _PLAIN_OR_PAIR.issuperset(types) and _PLAIN.issuperset(map(type, chain(
        *compress(values, map(issubclass, types, repeat(_PAIRS))))))


def _kept(where: str, name: str, value: Any) -> Any:
    """A setting as its group keeps it: our tensors as given (read again at each step, so
    a change in place counts, as in PyTorch's groups), a NumPy array or scalar or another
    library's tensor as its number; in a pair (betas) entry by entry."""
    if isinstance(value, (tuple, list)):
        entries = [_kept(where, f"{name}[{i}]", v) for i, v in enumerate(value)]
        return tuple(entries) if isinstance(value, tuple) else entries
    return value if isinstance(value, Tensor) else _number(where, name, value)


def _copied(value: Any) -> Any:
    """A loaded setting's tensors as new tensors of their own (PyTorch's load_state_dict
    deep-copies the saved groups: two optimizers loaded from one state share no lr)."""
    if isinstance(value, (tuple, list)):
        return type(value)(_copied(v) for v in value)
    return value.detach().clone() if isinstance(value, Tensor) else value


def _check_tensor_betas(where: str, group: dict[str, Any], strict: bool) -> None:
    """PyTorch's refusals of settings given as tensors, before they are read as numbers:
    betas as tensors with foreach=True (its foreach kernels take numbers only) and, where
    strict (Adam and AdamW, which check it when made), a tensor lr with foreach=True and
    betas mixing a tensor and a number."""
    betas, foreach = group.get("betas"), group.get("foreach") is True
    tensors = [_is_tensor(b) for b in betas] if isinstance(betas, (tuple, list)) and not \
        _PLAIN.issuperset(map(type, betas)) else []  # (fast path: numbers, no tensor)
    if strict and any(tensors) and not all(tensors):
        raise ValueError(f"{where}: betas must be two numbers or two 1-element tensors, got "
                         f"({', '.join(type(b).__name__ for b in betas)}); give both the same way")
    if foreach and any(tensors):
        raise ValueError(f"{where}: betas given as tensors are refused with foreach=True, as "
                         f"PyTorch's foreach kernels refuse them; give numbers (b.item()) or "
                         f"leave foreach=None")
    if strict and foreach and _is_tensor(group.get("lr")):
        raise ValueError(f"{where}: lr given as a tensor is refused with foreach=True, as "
                         f"PyTorch's foreach kernels refuse it; give a number (lr.item()) or "
                         f"leave foreach=None")


# -- the numbers of the state -------------------------------------------------------------
def _scalar(value: Any, dtype: Any) -> np.ndarray:
    """A number of an optimizer's state (a step count, NAdam's mu_product, ASGD's eta and
    mu) as PyTorch keeps it, a 0-d tensor: a 0-d array, float64 for a float64 parameter
    and float32 otherwise. (PyTorch's follow its default dtype, float32 unless set to
    float64: its float32 models keep float32 ones, and float64 ones agree with ours.)"""
    return np.array(value, np.float64 if np.dtype(dtype) == np.float64 else np.float32)


def _next_step(state: dict[str, Any]) -> float:
    """Count one more step in state["step"] and return the count as a number (a 0-d array
    in the arithmetic would make a float32 parameter's step float64)."""
    state["step"] += 1
    return float(state["step"])


# the settings PyTorch added after a state could have been saved without them, and what
# its __setstate__ fills in for them: foreach= and fused= choose between equal ways of
# computing (kept, as PyTorch keeps them, and ignored); capturable= and differentiable=
# are taken at False only
_LATER_SETTINGS = {"amsgrad": False, "maximize": False, "decoupled_weight_decay": False,
                   "foreach": None, "capturable": False, "differentiable": False, "fused": None}


class Optimizer(OptimizerHooks):
    """Base class: keeps `param_groups` (dicts of "params" and settings) and per-parameter `state`.

    A subclass defines `_check_settings(group)` and `_update(grad, group, state)`, which
    returns (scale, direction) for the gradient `grad`: the step subtracts
    scale * direction from the parameter. Weight decay is added to the gradient, unless
    the subclass sets `_decoupled_weight_decay` (AdamW) or the group its
    "decoupled_weight_decay" (NAdam, RAdam): then the parameter itself shrinks. An
    optimizer without "weight_decay" in its defaults (Rprop) decays nothing.
    """

    _decoupled_weight_decay = False
    _name = "Optimizer"  # (the messages' prefix: each optimizer's own, set by __new__)
    # the state's numbers PyTorch keeps as 0-d tensors, kept as 0-d arrays (`_scalar`)
    _scalar_state: tuple[str, ...] = ("step",)

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._stepped = False  # (read by lr schedulers: one stepping first warns)
        for group in self._groups(params):
            self.add_param_group(group)

    def __new__(cls, *args: Any, **kwargs: Any) -> Optimizer:
        """An optimizer whose messages name its class as it is called when made (`_name`;
        a class renamed after its statement, `cls.__name__ = ...`, by its new name)."""
        optimizer = super().__new__(cls)
        optimizer._name = cls.__name__
        return optimizer

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass's own step() (LBFGS's, a user's) runs the step hooks, marks it stepped."""
        super().__init_subclass__(**kwargs)
        cls._name = cls.__name__  # (a subclass whose own __new__ skips Optimizer's: its name)
        step = cls.__dict__.get("step")
        if callable(step) and not getattr(step, "_marks_stepped", False):
            @functools.wraps(step)
            def marked_step(self: Optimizer, *args: Any, **kw: Any) -> Any:
                if self._step_hooks_due and id(self) not in running.ids:
                    return run_step_hooks(marked_step, (self, *args), kw)
                self._stepped = True
                for check in step_checks: check(self, True)  # noqa: E701  (writes any parameter)
                return step(self, *args, **kw)
            marked_step._marks_stepped = marked_step.hooked = True  # type: ignore[attr-defined]
            cls.step = marked_step  # type: ignore[method-assign]

    def _groups(self, params: Any) -> list[dict[str, Any]]:
        return param_groups(self._name, params)

    def _named(self, params: list[Any]) -> tuple[list[Any], list[str] | None]:
        """PyTorch's (name, tensor) pairs (`model.named_parameters()`): the tensors, and
        the names, which the group keeps as "param_names" (as PyTorch keeps them)."""
        if not all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
                   for p in params):
            if any(isinstance(p, tuple) for p in params):
                i = next(i for i, p in enumerate(params) if isinstance(p, tuple))
                raise TypeError(f"{self._name}: parameter {i} is a tuple, not a Tensor; give "
                                f"tensors (model.parameters()) or only (name, tensor) pairs "
                                f"(model.named_parameters())")
            return params, None
        return [p for _, p in params], [name for name, _ in params]

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add parameters with their own settings; missing settings take the defaults."""
        params = group_params(self._name, group)
        # (an empty group is kept, as PyTorch keeps it: a filter such as "no decay" that
        # matched nothing; it names no parameter, so it is refused beside named groups)
        params, names = self._named(params) if params else (params, None)
        if self.param_groups and ("param_names" in self.param_groups[0]) != (names is not None):
            # (state_dict() would name the parameters of some groups only)
            given, before = ("(name, tensor) pairs", "tensors") if names is not None \
                else ("no parameter" if not params else "tensors", "(name, tensor) pairs")
            empty = " (add an empty one once it has parameters)" * (not params)
            raise ValueError(f"{self._name}: parameter group {len(self.param_groups)} gives "
                             f"{given}, the groups before it {before}; give every group's "
                             f"params with names (model.named_parameters()) or none{empty}")
        if names is not None:
            group = {**group, "param_names": names}
        known = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            self._check_param(p, i, known)
            known.add(id(p))
        # other keys are kept, as PyTorch keeps them ({"params": ..., "name": "head"}), but
        # one spelled almost like a setting is surely a typo
        typos = {key: close[0] for key in group if key not in self.defaults and key != "params"
                 for close in [difflib.get_close_matches(str(key), self.defaults, 1, 0.85)]
                 if close}
        if typos:
            raise ValueError(f"{self._name}: unknown settings {sorted(typos)} in a parameter "
                             f"group (did you mean {sorted(set(typos.values()))}?); known: "
                             f"{sorted(self.defaults)}")
        full = {**self.defaults, **group, "params": params}
        self._settings(full)  # (checked as given, before tensors of other kinds are read)
        full.update({key: _kept(self._name, key, full[key]) for key in self.defaults})
        self.param_groups.append(full)

    def _check_param(self, p: Any, i: int, known: set[int]) -> None:
        if not isinstance(p, Tensor):
            raise TypeError(f"{self._name}: parameter {i} is a {type(p).__name__}, not a Tensor")
        label = f"parameter {i}" + (f" '{p.name}'" if p.name else "") + f" (shape {p.shape})"
        if p.grad_fn is not None:
            raise ValueError(f"{self._name}: {label} was computed by an op ('{p.grad_fn.name}'); "
                             f"only leaf tensors (created directly) can be optimized")
        if id(p) in known:
            raise ValueError(f"{self._name}: {label} appears twice; give each parameter once")
        if p.dtype.kind != "f":  # (a step, lr * grad, is fractional: NumPy cannot write it)
            raise TypeError(f"{self._name}: {label} has dtype {p.dtype}; only floating-point "
                            f"tensors can be optimized: create it with dtype=np.float64 or "
                            f"np.float32")

    def _settings(self, group: dict[str, Any]) -> dict[str, Any]:
        """The group's settings as numbers, checked: a copy, each setting kept as a tensor
        read as its value now (the group keeps the tensor)."""
        numbers = dict(group)
        self._check_settings(numbers)
        return numbers

    def _check_settings(self, group: dict[str, Any]) -> None:
        """Check the settings of `group`, a copy of a group (`_settings`), reading each one
        given as a 1-element tensor or array as its number there."""
        values = list(map(group.get, self.defaults))  # (a missing setting: None)
        if not _PLAIN.issuperset(map(type, values)) and not _plain_pairs(values):  # (fast
            for key, value in zip(self.defaults, values):  # path: all plain, as most are)
                if type(value) not in _PLAIN:  # (fast path: read as it is)
                    group[key] = _numbers(self._name, key, value)
        _check_number(self._name, "lr", group["lr"])
        if "weight_decay" in self.defaults:  # (Rprop has no weight decay)
            _check_number(self._name, "weight_decay", group["weight_decay"])
        # (set by hand, or loaded from PyTorch's state_dict, they would be ignored silently)
        modes = group.get("capturable", False), group.get("differentiable", False)
        if modes[0] is not False or modes[1] is not False:  # (fast path: both off)
            _check_modes(self._name, *modes)

    def _update(self, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> tuple[float, np.ndarray]:
        """(scale, direction): the step moves the parameter by -scale * direction."""
        raise NotImplementedError(f"{self._name} defines no _update()")

    # -- the training-loop calls ------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: `.grad = None` (or zeroed in place with
        set_to_none=False); a parameter without one keeps None (`tensor.zero_grads`)."""
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    @OptimizerHooks.profile_hook_step  # (between the step hooks, where it has any)
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient (those whose .grad is None are skipped).

        `closure`, if given, recomputes and returns the loss (with backward); its result
        is returned.
        """
        loss = None
        self._stepped = True
        if closure is not None:
            loss = closure_loss(self._name, closure)
        for check in step_checks: check(self, False)  # noqa: E701  (those with a gradient)
        mixed = bool(versions.mixed)  # (a gradient mixing steps is said; only backward adds one)
        for group in self.param_groups:
            # read now: a setting may have been changed by hand since, a tensor in place
            settings = self._settings(group)
            for p in group["params"]:
                grad = p._grad  # (the attribute itself: .grad's property, per parameter)
                if grad is not None:
                    if mixed:
                        versions.tell_if_mixed(p)
                    self._step_param(p, grad._data, settings)
        return loss

    def _step_param(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        if grad.shape != p._data.shape:
            raise ValueError(f"{self._name}: the gradient of a parameter of shape {p.shape} has "
                             f"shape {grad.shape}; was .grad assigned by hand?")
        if p._data.dtype.kind != "f" or grad.dtype.kind != "f":
            raise TypeError(f"{self._name}: a parameter of shape {p.shape} and dtype "
                            f"{p._data.dtype} has a gradient of dtype {grad.dtype}; both must "
                            f"be floating point (was .data or .grad assigned by hand?)")
        if group.get("maximize"):  # ascend: the negated gradient, before weight decay
            grad = -grad
        decay = group["weight_decay"] if "weight_decay" in self.defaults else 0.0
        decoupled = decay and (self._decoupled_weight_decay or group.get("decoupled_weight_decay"))
        if decay and not decoupled:
            grad = grad + decay * p._data
        mask = getattr(p, "frozen_mask", None)
        if mask is not None:
            grad = np.where(mask, np.zeros((), grad.dtype), grad)
        free = True if mask is None else ~mask  # frozen entries keep their exact value
        p._mark_changed()  # (before the write): a graph that used the old values refuses
        if decay and decoupled:  # p <- p * (1 - lr * wd) first, as PyTorch
            np.multiply(p._data, 1 - group["lr"] * decay, out=p._data, where=free,
                        casting="same_kind")
        scale, direction = self._update(grad, group, self.state.setdefault(p, {}))
        np.subtract(p._data, scale * direction, out=p._data, where=free, casting="same_kind")

    # -- saving and loading -------------------------------------------------------------
    def _all_params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict[str, Any]:
        """Settings (a tensor setting itself, as PyTorch's) and state (copies), parameters
        referred to by their position; between the state-dict hooks (optim_hooks.py)."""
        run_state_dict_pre_hooks(self)
        return run_state_dict_post_hooks(self, self._state_dict())

    def _state_dict(self) -> dict[str, Any]:
        index = {id(p): i for i, p in enumerate(self._all_params())}
        # (as PyTorch's: a parameter whose step keeps nothing, plain SGD's, has no entry)
        state = {index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index and s}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` saved, into an optimizer over same-shaped parameters,
        between the load_state_dict hooks (optim_hooks.py)."""
        self._load_state_dict(run_load_state_dict_pre_hooks(self, state_dict))
        run_load_state_dict_post_hooks(self)

    def _load_state_dict(self, state_dict: dict[str, Any]) -> None:
        where = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where}: expected the dict of optimizer.state_dict() (with 'state' "
                            f"and 'param_groups'), got {type(state_dict).__name__}")
        groups, saved = state_dict.get("param_groups"), state_dict.get("state")
        if groups is None or saved is None:
            raise ValueError(f"{where}: expected the dict of state_dict(), "
                             f"with 'state' and 'param_groups'")
        if not (isinstance(saved, Mapping) and all(isinstance(s, Mapping) for s in saved.values())
                and isinstance(groups, (list, tuple)) and all(
                    isinstance(g, Mapping)
                    and isinstance(g.get("params"), (list, tuple, np.ndarray)) for g in groups)):
            raise ValueError(f"{where}: 'state' must be a dict of dicts and 'param_groups' a "
                             f"list of dicts with a 'params' list, as state_dict() gives them")
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError(f"{where}: the saved groups hold {[len(g['params']) for g in groups]} "
                             f"parameters, this optimizer's "
                             f"{[len(g['params']) for g in self.param_groups]}; they must match")
        params = self._all_params()
        names = [n for g in self.param_groups for n in g.get("param_names", ())]
        state = {}
        for i, entries in saved.items():
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) \
                    or not 0 <= i < len(params):
                raise ValueError(f"{where}: state for parameter {i!r}, but this optimizer has "
                                 f"{len(params)} parameters (numbered from 0)")
            name = names[i] if len(names) == len(params) else params[i].name
            label = f"parameter {i}" + (f" '{name}'" if name else "")
            state[params[i]] = {key: self._loaded(where, key, value, params[i], label)
                                for key, value in entries.items()}
        settings = [{k: v for k, v in g.items() if k != "params"} for g in groups]
        for group, saved_settings in zip(self.param_groups, settings):
            # (a state saved before those settings existed: as PyTorch's __setstate__ fills them in)
            for key, value in _LATER_SETTINGS.items():
                if key in self.defaults:
                    saved_settings.setdefault(key, value)
            missing = sorted(self.defaults.keys() - saved_settings.keys())
            if missing:  # (another optimizer's state: step() would fail on it later)
                raise ValueError(f"{where}: the saved settings {sorted(saved_settings)} lack "
                                 f"{self._name}'s {missing}; load the state_dict() of the same "
                                 f"kind of optimizer")
            for key, value in saved_settings.items():
                # another library's tensor (PyTorch's initial_lr of a tensor lr) as ours
                if key not in self.defaults and _is_tensor(value) and not isinstance(value, Tensor):
                    array = _as_numpy(where, value)
                    saved_settings[key] = array.item() if array.size == 1 else array
            self._settings({**group, **saved_settings})
            saved_settings.update({key: _copied(_kept(where, key, value) if key in
                                                self.defaults else value)
                                   for key, value in saved_settings.items()})
        for group, saved_settings in zip(self.param_groups, settings):
            group.update(saved_settings)
        self.state = state

    def _loaded(self, where: str, key: str, value: Any, p: Tensor, label: str) -> Any:
        """A saved state entry as this optimizer keeps it: a tensor (ours, PyTorch's) as an
        array, the numbers of `_scalar_state` as 0-d arrays, the others of p's shape and,
        where floating point, its dtype (as PyTorch's load_state_dict casts them)."""
        value = _as_numpy(f"{where}: state '{key}' of {label}", value)
        if key in self._scalar_state:
            if isinstance(value, bool) or not isinstance(value, (int, float, np.ndarray,
                                                                 np.generic)) \
                    or np.size(value) != 1 or np.asarray(value).dtype.kind not in "iuf":
                got = (f"shape {np.shape(value)}" if isinstance(value, np.ndarray)
                       else repr(value)[:40])
                raise ValueError(f"{where}: state '{key}' of {label} must be one number, got "
                                 f"{got}; load the state_dict() of the same kind of optimizer")
            return _scalar(np.asarray(value).reshape(()), p.dtype)
        if not isinstance(value, np.ndarray):
            return value
        if value.shape != p.shape:
            raise ValueError(f"{where}: state '{key}' of {label} has shape {value.shape}, the "
                             f"parameter {p.shape}; load the state of an optimizer over the "
                             f"same parameters")
        if value.dtype.kind == "f" and value.dtype != p.dtype:
            return value.astype(p.dtype)
        return value.copy()

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]  # (its name now, as PyTorch's repr)
        for i, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} parameters, {settings}")
        return "\n".join(lines) + "\n)"

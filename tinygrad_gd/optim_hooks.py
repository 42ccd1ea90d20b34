"""`OptimizerHooks`, a base of `tg.optim.Optimizer`: PyTorch's optimizer hooks, kept and run
as PyTorch's, with its signatures, order and return values.

- `register_step_pre_hook(hook)`: `hook(optimizer, args, kwargs)` before each `step()`,
  where args are step's positional arguments with the optimizer first (PyTorch's); what
  it returns, when not None, must be a pair (new_args, new_kwargs), which step is then
  called with. `register_step_post_hook(hook)`: `hook(optimizer, args, kwargs)` after it;
  what it returns is ignored.
- `register_state_dict_pre_hook(hook, prepend=False)`: `hook(optimizer)` before
  `state_dict()`; `register_state_dict_post_hook`: `hook(optimizer, state_dict)` after,
  what it returns (not None) being the state_dict returned.
- `register_load_state_dict_pre_hook(hook, prepend=False)`: `hook(optimizer, state_dict)`
  before loading, given a shallow copy of the state_dict; what it returns (not None) is
  loaded instead. `register_load_state_dict_post_hook`: `hook(optimizer)` after.

Each registration returns a handle whose `remove()` takes its hook off. The hooks are kept
in PyTorch's dicts (`_optimizer_step_pre_hooks`, ...: {handle id: hook}, each made on first
use) and, as PyTorch's, left out of a pickled or deep-copied optimizer. The hooks run in
the class's step, as PyTorch's (a `step` taken or wrapped before a registration runs
them too): `Optimizer.step` is decorated with `profile_hook_step` (PyTorch's decorator of
a step function, which a subclass may use on its own step too) and a subclass's own step
is wrapped alike (optim_base.py); each runs them through `run_step_hooks`, once per call
even where one step calls another (`super().step()`).
"""
from __future__ import annotations

import functools
import threading
import types
from collections import OrderedDict
from typing import Any, Callable, Mapping

from .grad_mode import check_flag
from .hooks import RemovableHandle

__all__ = ["OptimizerHooks"]

_STEP_HOOKS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks")
_HOOKS = _STEP_HOOKS + (
    "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
    "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks")
_Args = tuple[Any, ...]
_Kwargs = dict[str, Any]


def _hooks(optimizer: Any, kind: str) -> list[Callable]:
    """The hooks in the optimizer's `kind` dict, in order (a list: one may remove another)."""
    return list(vars(optimizer).get(kind, {}).values())


def run_state_dict_pre_hooks(optimizer: Any) -> None:
    """The state_dict pre-hooks, `hook(optimizer)`, in order (called by state_dict)."""
    for hook in _hooks(optimizer, "_optimizer_state_dict_pre_hooks"):
        hook(optimizer)


def _passed_through(hooks: list[Callable], optimizer: Any, state_dict: Any) -> Any:
    """`state_dict` as `hooks` leave it, each called `hook(optimizer, state_dict)`: each
    may return a new one (not None)."""
    for hook in hooks:
        result = hook(optimizer, state_dict)
        state_dict = state_dict if result is None else result
    return state_dict


def run_state_dict_post_hooks(optimizer: Any, state_dict: dict) -> dict:
    """state_dict as the post-hooks leave it: each may return a new one (not None)."""
    return _passed_through(_hooks(optimizer, "_optimizer_state_dict_post_hooks"), optimizer,
                           state_dict)


def run_load_state_dict_pre_hooks(optimizer: Any, state_dict: Any) -> Any:
    """The state to load as the pre-hooks leave it, given a shallow copy of state_dict
    (PyTorch's); each may return a new one (not None)."""
    hooks = _hooks(optimizer, "_optimizer_load_state_dict_pre_hooks")
    if hooks and isinstance(state_dict, Mapping):  # (another is refused by the loading)
        state_dict = dict(state_dict)
    return _passed_through(hooks, optimizer, state_dict)


def run_load_state_dict_post_hooks(optimizer: Any) -> None:
    """The load_state_dict post-hooks, `hook(optimizer)`, in order."""
    for hook in _hooks(optimizer, "_optimizer_load_state_dict_post_hooks"):
        hook(optimizer)


def run_step_hooks(step: Callable[..., Any], args: _Args, kwargs: _Kwargs) -> Any:
    """`step(*args, **kwargs)` between the step hooks of `args[0]`, the optimizer, with
    PyTorch's arguments (args with the optimizer first); a pre-hook may return new
    (args, kwargs). Meanwhile the optimizer is `running` its hooks in this thread: `step`
    called again, or a step it calls (`super().step()`), runs as it is; another thread's
    step runs them too."""
    optimizer = args[0]
    running.ids.add(id(optimizer))
    try:
        for hook in _hooks(optimizer, "_optimizer_step_pre_hooks"):
            result = hook(optimizer, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{type(optimizer).__name__}.step: a step pre-hook must return None "
                        f"or a pair (new_args, new_kwargs), got {type(result).__name__} "
                        f"{result!r:.60}")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in _hooks(optimizer, "_optimizer_step_post_hooks"):
            hook(optimizer, args, kwargs)
    finally:
        running.ids.discard(id(optimizer))
    return out


class _Running(threading.local):
    """The ids of the optimizers whose step hooks this thread is running."""

    def __init__(self) -> None:
        self.ids: set[int] = set()


running = _Running()


class OptimizerHooks:
    """PyTorch's hooks of an optimizer (see the module's docstring)."""

    OptimizerPreHook = Callable[[Any, _Args, _Kwargs], tuple[_Args, _Kwargs] | None]
    OptimizerPostHook = Callable[[Any, _Args, _Kwargs], None]
    # PyTorch's hook dicts, each made in the optimizer on first use (read-only till then)
    _optimizer_step_pre_hooks = _optimizer_step_post_hooks = \
        _optimizer_state_dict_pre_hooks = _optimizer_state_dict_post_hooks = \
        _optimizer_load_state_dict_pre_hooks = _optimizer_load_state_dict_post_hooks = \
        types.MappingProxyType({})
    # whether a step runs the step hooks: True once one is registered (the one test a step
    # without them makes: `profile_hook_step`, optim_base.py's marked_step)
    _step_hooks_due = False

    @staticmethod
    def profile_hook_step(func: Callable[..., Any]) -> Callable[..., Any]:
        """PyTorch's decorator of a step function `func(optimizer, *args, **kwargs)`: the
        optimizer's step pre-hooks before it (each may return (new_args, new_kwargs), args
        with the optimizer first) and its step post-hooks after (`run_step_hooks`)."""
        if getattr(func, "hooked", False):
            return func

        @functools.wraps(func)
        def hooked_step(self: Any, *args: Any, **kwargs: Any) -> Any:
            if self._step_hooks_due and id(self) not in running.ids:
                return run_step_hooks(hooked_step, (self, *args), kwargs)
            return func(self, *args, **kwargs)
        hooked_step.hooked = True  # type: ignore[attr-defined]
        return hooked_step

    def _add_optimizer_hook(self, kind: str, hook: Callable, prepend: bool,
                            where: str) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}.{where}: hook must be callable, got "
                            f"{type(hook).__name__} {hook!r:.40}")
        check_flag(f"{type(self).__name__}.{where}", "prepend", prepend)
        hooks = vars(self).setdefault(kind, OrderedDict())
        if kind in _STEP_HOOKS:  # (registered by a running hook: run from the next step)
            vars(self)["_step_hooks_due"] = True
        handle = RemovableHandle(lambda: hooks.pop(handle.id, None))
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: OptimizerPreHook) -> RemovableHandle:
        """Call `hook(optimizer, args, kwargs)` before each step (args: the optimizer, then
        step's positional arguments); what it returns (not None), a pair (new_args,
        new_kwargs), is what step is called with. Returns a handle (`remove()`)."""
        return self._add_optimizer_hook("_optimizer_step_pre_hooks", hook, False,
                                        "register_step_pre_hook")

    def register_step_post_hook(self, hook: OptimizerPostHook) -> RemovableHandle:
        """Call `hook(optimizer, args, kwargs)` after each step. Returns a handle (`remove()`)."""
        return self._add_optimizer_hook("_optimizer_step_post_hooks", hook, False,
                                        "register_step_post_hook")

    def register_state_dict_pre_hook(self, hook: Callable[[Any], None],
                                     prepend: bool = False) -> RemovableHandle:
        """Call `hook(optimizer)` before each state_dict() (prepend=True: before the hooks
        registered already). Returns a handle (`remove()`)."""
        return self._add_optimizer_hook("_optimizer_state_dict_pre_hooks", hook, prepend,
                                        "register_state_dict_pre_hook")

    def register_state_dict_post_hook(self, hook: Callable[[Any, dict], dict | None],
                                      prepend: bool = False) -> RemovableHandle:
        """Call `hook(optimizer, state_dict)` after each state_dict(): it may change it in
        place or return another (not None), which state_dict() returns. Returns a handle."""
        return self._add_optimizer_hook("_optimizer_state_dict_post_hooks", hook, prepend,
                                        "register_state_dict_post_hook")

    def register_load_state_dict_pre_hook(self, hook: Callable[[Any, dict], dict | None],
                                          prepend: bool = False) -> RemovableHandle:
        """Call `hook(optimizer, state_dict)` before each load_state_dict(), given a shallow
        copy of the state: what it returns (not None) is loaded instead. Returns a handle."""
        return self._add_optimizer_hook("_optimizer_load_state_dict_pre_hooks", hook,
                                        prepend, "register_load_state_dict_pre_hook")

    def register_load_state_dict_post_hook(self, hook: Callable[[Any], None],
                                           prepend: bool = False) -> RemovableHandle:
        """Call `hook(optimizer)` after each load_state_dict(). Returns a handle (`remove()`)."""
        return self._add_optimizer_hook("_optimizer_load_state_dict_post_hooks", hook,
                                        prepend, "register_load_state_dict_post_hook")

    def __getstate__(self) -> dict[str, Any]:
        """The optimizer's attributes without its hooks, as PyTorch's leaves them out of a
        pickled or copied optimizer (and so no `_step_hooks_due`)."""
        return {key: value for key, value in vars(self).items()
                if key not in _HOOKS and key != "_step_hooks_due"}

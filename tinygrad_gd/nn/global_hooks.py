"""The hooks of every module at once, kept as PyTorch keeps them: OrderedDicts {handle id:
hook} under `torch.nn.modules.module`'s names, filled by its `register_module_*`
functions (nn/modules/module.py). `Module.__call__` and `Module.__setattr__` read one flag
each, `call_hooks_on` and `registration_hooks_on`, and take their short way while it is
False: `add` and `discard` change a dict and set both flags from the dicts under one lock,
so that two threads' changes cannot leave a flag False with a hook registered.

A module call runs the global forward pre-hooks before the module's own, the global
forward hooks before its own forward hooks, the global backward (pre-)hooks before its
own (module_hooks.forward_with_hooks reads them here). Assigning a parameter, a buffer or
a sub-module, by attribute or by `register_parameter`, `register_buffer`, `add_module`,
runs the registration hooks of its kind (`registered`): what one returns, not None,
is assigned instead.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["call_hooks_on", "registration_hooks_on", "add", "discard", "registered"]

_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()  # {id: True}
_global_forward_hooks_always_called: OrderedDict = OrderedDict()  # {id: True}
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
_global_parameter_registration_hooks: OrderedDict = OrderedDict()
_global_buffer_registration_hooks: OrderedDict = OrderedDict()
_global_module_registration_hooks: OrderedDict = OrderedDict()


call_hooks_on = False  # whether a module call has global hooks to run
registration_hooks_on = False  # whether an assignment to a module has hooks to run


_changing = threading.Lock()  # held from a dict's change to the flags' (see the docstring)


def add(key: int, hook: Any, hooks: OrderedDict, *flags: OrderedDict) -> None:
    """`hook` kept in `hooks` under `key` (and `key` marked in each of `flags`), the flags
    set."""
    with _changing:
        for entries in flags:  # (first, so that a call in another thread that sees the
            entries[key] = True  # hook sees its flags: module_hooks.forward_with_hooks)
        hooks[key] = hook
        _refresh()


def discard(key: int, *dicts: OrderedDict) -> None:
    """`key`'s entries taken out of `dicts` (where present), in their order (the hooks, then
    their flags: module_hooks.forward_with_hooks reads flags on both sides of the hooks),
    the flags set."""
    with _changing:
        for entries in dicts:
            entries.pop(key, None)
        _refresh()


def _refresh() -> None:
    """Set the two flags from the dicts (under `_changing`)."""
    global call_hooks_on, registration_hooks_on
    call_hooks_on = bool(_global_forward_pre_hooks or _global_forward_hooks
                         or _global_backward_pre_hooks or _global_backward_hooks)
    registration_hooks_on = bool(_global_parameter_registration_hooks
                                 or _global_buffer_registration_hooks
                                 or _global_module_registration_hooks)


def registered(module: Any, name: str, value: Any, kind: str | None) -> Any:
    """`value`, about to be assigned as `module.name`, after the registration hooks of its
    `kind` ('parameter', 'buffer', 'module'; None: no hook) ran on it: each gets
    `(module, name, value)`, and what it returns (not None) replaces the value."""
    hooks = {"parameter": _global_parameter_registration_hooks,
             "buffer": _global_buffer_registration_hooks,
             "module": _global_module_registration_hooks}.get(kind or "", {})
    for hook in list(hooks.values()):
        result = hook(module, name, value)
        if result is not None:
            value = result
    return value

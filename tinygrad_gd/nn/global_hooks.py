"""The hooks of every module at once, kept as PyTorch keeps them: OrderedDicts {handle id:
hook} under `torch.nn.modules.module`'s names, filled by its `register_module_*`
functions (nn/modules/module.py). `Module.__call__` and `Module.__setattr__` read one flag
each, `call_hooks_on` and `registration_hooks_on`, and take their short way while it is
False (`refresh()` sets both after a hook is added or removed).

A module call runs the global forward pre-hooks before the module's own, the global
forward hooks before its own forward hooks, the global backward (pre-)hooks before its
own (module_hooks.forward_with_hooks reads them here). Assigning a parameter, a buffer or
a sub-module, by attribute or by `register_parameter`, `register_buffer`, `add_module`,
runs the registration hooks of its kind (`registered`): what one returns, not None,
is assigned instead.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = ["call_hooks_on", "registration_hooks_on", "refresh", "registered"]

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


def refresh() -> None:
    """Set the two flags from the dicts, after a hook was added or removed."""
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

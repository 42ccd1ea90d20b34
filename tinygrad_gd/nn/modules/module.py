"""PyTorch's `torch.nn.modules.module`: `Module`, and the hooks of every module at once.

`register_module_forward_pre_hook(hook)` calls `hook(module, args)` before every module's
forward, before the module's own pre-hooks; `register_module_forward_hook(hook,
with_kwargs=False, always_call=False)` `hook(module, args, output)` after it, before
the module's own forward hooks; `register_module_full_backward_pre_hook` and
`register_module_full_backward_hook` are the backward hooks of every module, run before
its own. What a hook returns (not None) replaces the arguments, the output or the
gradients, as a module's own hook's does. The registration hooks,
`register_module_parameter_registration_hook`, `..._buffer_...` and `..._module_...`,
call `hook(module, name, value)` when a parameter, a buffer or a sub-module is
assigned (as an attribute, or by `register_parameter`, `register_buffer`,
`add_module`; not None); what one returns is assigned instead. Each returns a handle
whose `remove()` takes the hook away. As PyTorch says, they are global state, meant for
debugging and profiling.

They are kept in nn/global_hooks.py, whose two flags `Module.__call__` and
`Module.__setattr__` read.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any, Callable

from ...errors import user_stacklevel
from ...grad_mode import check_flag
from ...hooks import RemovableHandle
from .. import global_hooks as G
from ..global_hooks import (_global_backward_hooks, _global_backward_pre_hooks,  # noqa: F401
                            _global_buffer_registration_hooks, _global_forward_hooks,
                            _global_forward_hooks_always_called,
                            _global_forward_hooks_with_kwargs, _global_forward_pre_hooks,
                            _global_module_registration_hooks,
                            _global_parameter_registration_hooks)
from ..module import Module

__all__ = ["Module", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
           "register_module_backward_hook", "register_module_parameter_registration_hook",
           "register_module_buffer_registration_hook",
           "register_module_module_registration_hook"]


def _registered(where: str, hook: Any, hooks: OrderedDict, *flags: OrderedDict
                ) -> RemovableHandle:
    """`hook` kept in `hooks` (its id in each of `flags` too), the flags set; its handle."""
    if not callable(hook):
        raise TypeError(f"{where}: hook must be callable, got {type(hook).__name__} "
                        f"{hook!r:.40}")

    handle = RemovableHandle(lambda: G.discard(handle.id, hooks, *flags))
    G.add(handle.id, hook, hooks, *flags)
    return handle


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """Call `hook(module, args)` before every module's forward, before its own pre-hooks
    (PyTorch's): a value returned (not None; one value, or a tuple) replaces `args`."""
    return _registered("register_module_forward_pre_hook", hook, _global_forward_pre_hooks)


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Call `hook(module, args, output)` after every module's forward, before its own forward
    hooks (PyTorch's): a value returned (not None) replaces the output. `with_kwargs=True`:
    `hook(module, args, kwargs, output)`; `always_call=True`: it runs even when forward
    raises (as `hook(module, args, output)`, the output None if forward raised)."""
    where = "register_module_forward_hook"
    flags = [_global_forward_hooks_with_kwargs] * check_flag(where, "with_kwargs", with_kwargs)
    flags += [_global_forward_hooks_always_called] * check_flag(where, "always_call",
                                                                always_call)
    return _registered(where, hook, _global_forward_hooks, *flags)


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """Every module's `register_full_backward_pre_hook(hook)`, run before its own."""
    return _registered("register_module_full_backward_pre_hook", hook,
                       _global_backward_pre_hooks)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """Every module's `register_full_backward_hook(hook)`, run before its own."""
    return _registered("register_module_full_backward_hook", hook, _global_backward_hooks)


def register_module_backward_hook(hook: Callable) -> RemovableHandle:
    """PyTorch's deprecated global backward hook, here `register_module_full_backward_hook`
    (with a FutureWarning saying so), as a module's `register_backward_hook` is."""
    warnings.warn("register_module_backward_hook is deprecated (as in PyTorch); it registers "
                  "register_module_full_backward_hook here, whose grad_input holds the "
                  "modules' inputs' gradients", FutureWarning, stacklevel=user_stacklevel())
    return register_module_full_backward_hook(hook)


def register_module_parameter_registration_hook(hook: Callable) -> RemovableHandle:
    """Call `hook(module, name, param)` when a Parameter is assigned to any module: what it
    returns (not None) is assigned instead."""
    return _registered("register_module_parameter_registration_hook", hook,
                       _global_parameter_registration_hooks)


def register_module_buffer_registration_hook(hook: Callable) -> RemovableHandle:
    """Call `hook(module, name, buffer)` when a buffer is assigned to any module: what it
    returns (not None) is assigned instead."""
    return _registered("register_module_buffer_registration_hook", hook,
                       _global_buffer_registration_hooks)


def register_module_module_registration_hook(hook: Callable) -> RemovableHandle:
    """Call `hook(module, name, submodule)` when a Module is assigned to any module: what it
    returns (not None) is assigned instead."""
    return _registered("register_module_module_registration_hook", hook,
                       _global_module_registration_hooks)

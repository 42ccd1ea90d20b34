"""A Module's forward hooks, kept and run as PyTorch's, and its printed form.

The hooks live in the module's `_forward_pre_hooks` and `_forward_hooks`, PyTorch's
OrderedDicts {handle id: hook}, made on first use (a module without hooks reads an empty,
read-only mapping: the class's). Which of them take the keyword arguments too is
PyTorch's `_forward_pre_hooks_with_kwargs` / `_forward_hooks_with_kwargs`, {handle id:
True}; a handle's `remove()` pops the hook from both. So code written for PyTorch that
reads the hooks, as the pruning tutorial's `for hook in module._forward_pre_hooks.values()`,
finds the hooks themselves.

`module_repr` is PyTorch's `Module.__repr__`: the extra_repr on the first line when it is
one line and there are no children, else each of its lines and each child on its own
indented line (an extra_repr starting with a line break, without children, is printed as
it is: containers.py lays out ParameterList's that way). (It does not import module.py.)
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

from ..hooks import RemovableHandle, forward_pre_hook_result

__all__ = ["add_forward_hook", "forward_with_hooks", "module_repr"]


def _hook_dict(module: Any, kind: str) -> OrderedDict:
    own = vars(module)
    if kind not in own:
        own[kind] = OrderedDict()
    return own[kind]


def add_forward_hook(module: Any, kind: str, hook: Callable, prepend: bool,
                     with_kwargs: bool) -> RemovableHandle:
    """Register `hook` in `module`'s `kind` (_forward_pre_hooks or _forward_hooks), with
    its with_kwargs flag in `kind + "_with_kwargs"`, as PyTorch's register_forward_*hook."""
    if not callable(hook):
        raise TypeError(f"register_{kind[1:-1]}: hook must be callable, got "
                        f"{type(hook).__name__}")
    hooks = _hook_dict(module, kind)
    flags = _hook_dict(module, kind + "_with_kwargs")

    def remove() -> None:
        hooks.pop(handle.id, None)
        flags.pop(handle.id, None)
    handle = RemovableHandle(remove)  # (an id never reused)
    hooks[handle.id] = hook
    if with_kwargs:
        flags[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def remove_forward_pre_hook(module: Any, key: int) -> None:
    """The forward pre-hook `key` taken off `module`, with its with_kwargs flag (what its
    handle's `remove()` does; for a hook found by what it is: prune's, weight_norm's)."""
    own = vars(module)
    own.get("_forward_pre_hooks", {}).pop(key, None)
    own.get("_forward_pre_hooks_with_kwargs", {}).pop(key, None)


def forward_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """`module.forward(*args, **kwargs)` between its forward pre-hooks and forward hooks,
    each in registration order: what a hook returns (not None) replaces the arguments, or
    the output (PyTorch's `_call_impl`)."""
    own = vars(module)
    flags = own.get("_forward_pre_hooks_with_kwargs", {})
    for key, hook in list(own.get("_forward_pre_hooks", {}).items()):
        result = hook(module, args, kwargs) if key in flags else hook(module, args)
        if result is not None and key in flags:
            args, kwargs = forward_pre_hook_result(module, result)
        elif result is not None:
            args = result if isinstance(result, tuple) else (result,)
    output = module.forward(*args, **kwargs)
    flags = own.get("_forward_hooks_with_kwargs", {})
    for key, hook in list(own.get("_forward_hooks", {}).items()):
        result = (hook(module, args, kwargs, output) if key in flags
                  else hook(module, args, output))
        output = output if result is None else result
    return output


def module_repr(module: Any) -> str:
    """PyTorch's repr of a module: `Name(extra)` when its extra_repr is one line and it has
    no children, `Name()` with neither, else `Name(` then each line of the extra_repr and
    each child `(name): repr` (its lines indented by two more) on lines of their own."""
    extra = module.extra_repr()
    lines = extra.split("\n") if extra else []
    children = [f"({name}): " + repr(child).replace("\n", "\n  ")
                for name, child in module.named_children()]
    name = type(module).__name__
    if len(lines) == 1 and not children or extra.startswith("\n") and not children:
        return f"{name}({extra})"  # (one line; or lines laid out by the extra_repr itself)
    if not lines and not children:
        return f"{name}()"
    return f"{name}(\n  " + "\n  ".join(lines + children) + "\n)"

"""A Module's hooks, kept and run as PyTorch's, and its printed form.

The forward hooks live in the module's `_forward_pre_hooks` and `_forward_hooks`,
PyTorch's OrderedDicts {handle id: hook}, made on first use (a module without hooks reads
an empty, read-only OrderedDict, `NO_HOOKS`: the class's, printed as PyTorch's). Which of
them take the keyword arguments too is PyTorch's `_forward_pre_hooks_with_kwargs` /
`_forward_hooks_with_kwargs`, and which run even when forward raises
`_forward_hooks_always_called`, {handle id: True}; a handle's `remove()` pops the hook
from all of them. So code written for PyTorch that reads the hooks, as the pruning
tutorial's `for hook in module._forward_pre_hooks.values()`, finds the hooks themselves.
The hooks of every module at once (global_hooks.py) run before a module's own.
`ModuleHooks`, a base class of Module, registers the others, kept the same way: the
backward hooks (run by module_backward_hooks.py) and the state-dict hooks (run by
module_state.py).

`module_repr` is PyTorch's `Module.__repr__`: the extra_repr on the first line when it is
one line and there are no children, else each of its lines and each child on its own
indented line (`indented`: PyTorch's _addindent). (It does not import module.py.)
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any, Callable

from ..errors import user_stacklevel
from ..grad_mode import check_flag, is_grad_enabled
from ..hooks import RemovableHandle, forward_pre_hook_result
from ..scope import given_instead
from . import global_hooks as G
from .module_backward_hooks import HookedCall

__all__ = ["ModuleHooks", "CALL_HOOKS", "NO_HOOKS", "add_forward_hook", "forward_with_hooks",
           "module_repr", "indented"]

# the hook dicts that make a call run `forward_with_hooks` (Module.__call__ checks them)
CALL_HOOKS = frozenset({"_forward_pre_hooks", "_forward_hooks", "_backward_hooks",
                        "_backward_pre_hooks"})


class _NoHooks(OrderedDict):
    """The empty OrderedDict every module without hooks reads (PyTorch's type, so it prints
    `OrderedDict()`), read-only: a write would reach every module's hooks at once."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Module hooks: this empty OrderedDict is shared by every module "
                        "without hooks; add a hook with the module's register_*_hook methods")

    __setitem__ = setdefault = update = __ior__ = _refuse  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "OrderedDict()"


NO_HOOKS = _NoHooks()


def _hook_dict(module: Any, kind: str) -> OrderedDict:
    own = vars(module)
    if kind not in own:
        own[kind] = OrderedDict()
    return own[kind]


def _add_hook(module: Any, kind: str, hook: Callable, prepend: bool, where: str,
              flags: tuple[str, ...] = ()) -> RemovableHandle:
    """Register `hook` in `module`'s `kind` dict (PyTorch's {handle id: hook}), first with
    `prepend`, its id also in each of the `flags` dicts ({id: True}); returns its handle."""
    if not callable(hook):
        raise TypeError(f"{where}: hook must be callable, got {type(hook).__name__} "
                        f"{hook!r:.40}")
    check_flag(where, "prepend", prepend)
    hooks = _hook_dict(module, kind)
    marks = [_hook_dict(module, flag) for flag in flags]

    def remove() -> None:
        for entries in [hooks, *marks]:
            entries.pop(handle.id, None)
    handle = RemovableHandle(remove)  # (an id never reused)
    hooks[handle.id] = hook
    for entries in marks:
        entries[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def add_forward_hook(module: Any, kind: str, hook: Callable, prepend: bool,
                     with_kwargs: bool, always_call: bool = False) -> RemovableHandle:
    """Register `hook` in `module`'s `kind` (_forward_pre_hooks or _forward_hooks), with
    its with_kwargs flag in `kind + "_with_kwargs"` (and always_call's in
    `_forward_hooks_always_called`), as PyTorch's register_forward_*hook."""
    where = f"register_{kind[1:-1]}"
    flags = [kind + "_with_kwargs"] * check_flag(where, "with_kwargs", with_kwargs)
    flags += ["_forward_hooks_always_called"] * check_flag(where, "always_call", always_call)
    return _add_hook(module, kind, hook, prepend, where, tuple(flags))


def remove_forward_pre_hook(module: Any, key: int) -> None:
    """The forward pre-hook `key` taken off `module`, with its with_kwargs flag (what its
    handle's `remove()` does; for a hook found by what it is: prune's, weight_norm's)."""
    own = vars(module)
    own.get("_forward_pre_hooks", {}).pop(key, None)
    own.get("_forward_pre_hooks_with_kwargs", {}).pop(key, None)


def forward_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """`module.forward(*args, **kwargs)` between its forward pre-hooks and forward hooks,
    each in registration order, those of every module (global_hooks.py) first: what a
    hook returns (not None) replaces the arguments, or the output (PyTorch's
    `_call_impl`). With backward hooks, the tensors go in and out through the nodes that
    run them (module_backward_hooks.py). When forward or a hook
    raises, the forward hooks registered with always_call=True that have not run yet run
    (with the output None if forward raised; an error of theirs becomes a warning), and
    the error is raised again, as PyTorch's."""
    own = vars(module)
    output, called = None, set()
    try:
        flags = own.get("_forward_pre_hooks_with_kwargs", {})  # (the global ones: never)
        for key, hook in [*G._global_forward_pre_hooks.items(),
                          *own.get("_forward_pre_hooks", {}).items()]:
            result = hook(module, args, kwargs) if key in flags else hook(module, args)
            if result is not None and key in flags:
                args, kwargs = forward_pre_hook_result(module, result)
            elif result is not None:
                args = result if isinstance(result, tuple) else (result,)
            if result is not None:  # (a diagram names what forward gets)
                given_instead(args, kwargs)
        full = [*G._global_backward_hooks.values(), *own.get("_backward_hooks", {}).values()]
        pre = [*G._global_backward_pre_hooks.values(),
               *own.get("_backward_pre_hooks", {}).values()]
        call = HookedCall(module, full, pre) if (full or pre) and is_grad_enabled() else None
        if call is not None:
            args = call.setup_inputs(args)
        output = module.forward(*args, **kwargs)
        # (the global flags read before and after the hooks: add() sets a hook's flag
        # before the hook, discard() takes it out after, in another thread meanwhile;
        # test_checkpoint_round37's race test pauses at the next two lines by their text)
        flags = dict(G._global_forward_hooks_with_kwargs)
        hooks = [*G._global_forward_hooks.items(), *own.get("_forward_hooks", {}).items()]
        flags.update(G._global_forward_hooks_with_kwargs)
        flags.update(own.get("_forward_hooks_with_kwargs", {}))
        for key, hook in hooks:
            called.add(key)
            result = (hook(module, args, kwargs, output) if key in flags
                      else hook(module, args, output))
            output = output if result is None else result
        return output if call is None else call.setup_outputs(output)
    except Exception:
        _always_called(module, args, kwargs, output, called)
        raise


def _always_called(module: Any, args: tuple, kwargs: dict, output: Any, called: set) -> None:
    """The forward hooks registered with always_call=True that have not run, after an
    error, the global ones first (`hook(module, args, output)`): each gets the output so
    far; an error of theirs is a warning (PyTorch's)."""
    for key, hook in list(G._global_forward_hooks.items()):
        if key not in G._global_forward_hooks_always_called or key in called:
            continue
        try:
            result = hook(module, args, output)
            output = output if result is None else result
        except Exception as err:
            warnings.warn(f"global module forward hook with ``always_call=True`` raised an "
                          f"exception that was silenced as another error was raised in "
                          f"forward: {err}", stacklevel=user_stacklevel())
    own = vars(module)
    always, flags = own.get("_forward_hooks_always_called", {}), own.get(
        "_forward_hooks_with_kwargs", {})
    for key, hook in list(own.get("_forward_hooks", {}).items()):
        if key not in always or key in called:
            continue
        try:
            result = (hook(module, args, kwargs, output) if key in flags
                      else hook(module, args, output))
            output = output if result is None else result
        except Exception as err:
            warnings.warn(f"{type(module).__name__}: a forward hook with always_call=True "
                          f"raised an exception that was silenced as another error was "
                          f"raised in forward: {err}", stacklevel=user_stacklevel())


class ModuleHooks:
    """Module's hooks beyond the forward ones (a base class of Module): the backward hooks
    and the state-dict hooks, under PyTorch's names, each registration returning a
    handle whose `remove()` takes the hook away. They are kept as PyTorch keeps them, in
    OrderedDicts {handle id: hook} made on first use (`_backward_hooks`,
    `_backward_pre_hooks`, `_state_dict_pre_hooks`, `_state_dict_hooks`,
    `_load_state_dict_pre_hooks`, `_load_state_dict_post_hooks`)."""

    # (read-only and empty until a hook is registered: each made in the instance then)
    _backward_hooks = _backward_pre_hooks = _forward_hooks_always_called = \
        _state_dict_pre_hooks = _state_dict_hooks = _load_state_dict_pre_hooks = \
        _load_state_dict_post_hooks = NO_HOOKS

    def register_full_backward_hook(self, hook: Callable,
                                    prepend: bool = False) -> RemovableHandle:
        """Call `hook(module, grad_input, grad_output)` when the gradients with respect to
        the module's inputs are computed, as PyTorch's: tuples, `grad_input` one entry per
        positional argument (None for one that is no tensor, zeros for a tensor that needs
        no gradient; the keyword arguments are left out), `grad_output` one per output. A tuple
        returned (not None) replaces `grad_input`. When no input needs a gradient the hook
        runs with the output's gradient, grad_input all None (and warns, as PyTorch's);
        when no output needs one it does not run. `prepend=True` runs it before those
        registered already. The module's forward gets, and its caller receives, new
        tensors of the same values (made by `backward_hook` nodes of the graph, as
        PyTorch's views: module_backward_hooks.py)."""
        return _add_hook(self, "_backward_hooks", hook, prepend, "register_full_backward_hook")

    def register_full_backward_pre_hook(self, hook: Callable,
                                        prepend: bool = False) -> RemovableHandle:
        """Call `hook(module, grad_output)` when the gradient of the module's output is
        computed, before the module's own backward, as PyTorch's: a tuple returned (not
        None; one Tensor for one output) replaces `grad_output`. `prepend=True` runs it
        before those registered already."""
        return _add_hook(self, "_backward_pre_hooks", hook, prepend,
                         "register_full_backward_pre_hook")

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """PyTorch's deprecated backward hook, here `register_full_backward_hook` (with a
        FutureWarning saying so): PyTorch's gives `grad_input` of the module's last op
        (a Linear's addmm: bias, input and weight), which depends on how the module is
        built; this gives the module's inputs' gradients, as the full hook does."""
        warnings.warn(f"{type(self).__name__}.register_backward_hook is deprecated (as in "
                      f"PyTorch); it registers register_full_backward_hook here, whose "
                      f"grad_input holds the module's inputs' gradients, not those of its last "
                      f"op's inputs as PyTorch's old hook gave", FutureWarning,
                      stacklevel=user_stacklevel())
        return self.register_full_backward_hook(hook)

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call `hook(module, prefix, keep_vars)` at the start of `state_dict()` for this
        module (before its own entries are saved), as PyTorch's."""
        return _add_hook(self, "_state_dict_pre_hooks", hook, False,
                         "register_state_dict_pre_hook")

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call `hook(module, state_dict, prefix, local_metadata)` once `state_dict()` has
        saved this module's entries and its sub-modules', as PyTorch's: it may change
        `state_dict` in place and must return None; `local_metadata` is PyTorch's
        `{"version": 1}`."""
        return _add_hook(self, "_state_dict_hooks", hook, False,
                         "register_state_dict_post_hook")

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call `hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)` before `load_state_dict` loads this module, as
        PyTorch's: `state_dict` is a copy holding the names under `prefix` (the hook may
        rename or add entries), `strict` is True (PyTorch passes True), `local_metadata`
        the state's `_metadata` for this module or {}; a message appended to
        `error_msgs` makes `load_state_dict` raise, nothing loaded."""
        return _add_hook(self, "_load_state_dict_pre_hooks", hook, False,
                         "register_load_state_dict_pre_hook")

    def _register_load_state_dict_pre_hook(self, hook: Callable,
                                           with_module: bool = False) -> RemovableHandle:
        """PyTorch's private spelling, which its spectral_norm and some libraries call:
        `hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`, given the module first only `with_module=True`."""
        called = hook if with_module or not callable(hook) else (
            lambda module, *args: hook(*args))  # (not callable: refused by _add_hook)
        return _add_hook(self, "_load_state_dict_pre_hooks", called, False,
                         "_register_load_state_dict_pre_hook")

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call `hook(module, incompatible_keys)` after `load_state_dict` loaded the
        matching entries, as PyTorch's: it may change `incompatible_keys.missing_keys` /
        `.unexpected_keys` in place (strict=True then checks what is left) and must
        return None."""
        return _add_hook(self, "_load_state_dict_post_hooks", hook, False,
                         "register_load_state_dict_post_hook")


def module_repr(module: Any) -> str:
    """PyTorch's repr of a module: `Name(extra)` when its extra_repr is one line and it has
    no children, `Name()` with neither, else `Name(` then each line of the extra_repr and
    each child `(name): repr` (its lines indented by two more) on lines of their own."""
    extra = module.extra_repr()
    lines = extra.split("\n") if extra else []
    children = [f"({name}): " + indented(repr(child))
                for name, child in module.named_children()]
    name = type(module).__name__
    if len(lines) == 1 and not children:
        return f"{name}({extra})"
    if not lines and not children:
        return f"{name}()"
    return f"{name}(\n  " + "\n  ".join(lines + children) + "\n)"


def indented(text: str, spaces: int = 2) -> str:
    """`text`'s lines after the first indented by `spaces`, blank ones left empty (PyTorch's
    _addindent: a child's repr inside its parent's)."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line if line.strip() else "" for line in rest])

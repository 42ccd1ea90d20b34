"""Putting a sub-module at a dotted path: the work of `Module.set_submodule` (PyTorch's),
which replaces the module there or adds a new one, refusing in one line a path through
something else, a name held by no Module, a new entry in a list or tuple attribute, or
(strict=True) a name not there. Module's method calls it with the Module class, so this
module does not import module.py.
"""
from __future__ import annotations

from typing import Any

from ..grad_mode import check_flag
from .module_state import replace_member

__all__ = ["set_submodule"]


def set_submodule(owner: Any, target: str, module: Any, strict: Any, module_class: type) -> None:
    """Put `module` at the dotted path `target` below `owner` (see Module.set_submodule)."""
    strict = check_flag("set_submodule", "strict", strict)
    if not isinstance(target, str) or not target:
        raise ValueError(f"set_submodule: target must be the dotted path of a sub-module "
                         f"(such as 'block.0'), got {target!r:.40}")
    if not isinstance(module, module_class):
        raise ValueError(f"set_submodule: module must be an nn.Module, got "
                         f"{type(module).__name__} (for {target!r})")
    head, _, name = target.rpartition(".")
    try:
        parent = owner.get_submodule(head)
    except AttributeError as err:  # (one kept in a list, `layers.0`: one member)
        above, _, kept_in = head.rpartition(".")
        name = f"{kept_in}.{name}"
        parent = owner.get_submodule(above) if above in dict(owner.named_modules()) else owner
        if name not in dict(parent._members()):
            _refuse_new_entry(parent, above, kept_in, target, module_class)
            raise AttributeError("set_submodule" + str(err)[len("get_submodule"):]) from None
    members = dict(parent._members())
    held = members.get(name) if "." in name else getattr(parent, name, members)
    if strict and held is members:
        raise AttributeError(f"set_submodule: {type(parent).__name__} has no attribute "
                             f"{name!r} (in {target!r}); strict=True only replaces an "
                             f"existing sub-module")
    if held is not members and not isinstance(held, module_class):
        raise AttributeError(f"set_submodule: {name!r} of {type(parent).__name__} is a "
                             f"{type(held).__name__}, not a Module (in {target!r})")
    if "." in name:
        replace_member(parent, name, module)
    else:
        setattr(parent, name, module)


def _refuse_new_entry(parent: Any, above: str, kept_in: str, target: str,
                      module_class: type) -> None:
    """Refuse `target`, a new entry of `parent`'s list or tuple attribute `kept_in`, naming
    what it holds (its entries are members, `layers.0`, which set_submodule replaces)."""
    items = vars(parent).get(kept_in)
    if not isinstance(items, (list, tuple)):
        return  # (no such attribute: get_submodule's message says so)
    prefix = f"{above}.{kept_in}" if above else kept_in
    entries = [(name, m) for name, m in parent._members() if name.startswith(f"{kept_in}.")]
    shown = ", ".join(f"{prefix}.{name.rpartition('.')[2]}" for name, _ in entries[:4])
    shown += ", ..." * (len(entries) > 4)
    kind = "module" if all(isinstance(m, module_class) for _, m in entries) else "member"
    holds = f"{len(entries)} {kind}{'s' * (len(entries) != 1)} ({shown})" if entries \
        else "no module"
    instead = "append to the list itself" if isinstance(items, list) \
        else "assign a longer tuple to it"
    instead += ", or replace one of its entries" * bool(entries)
    raise AttributeError(f"set_submodule: {prefix!r} holds {holds}; set_submodule cannot add "
                         f"{target!r} to a {type(items).__name__}: {instead}") from None

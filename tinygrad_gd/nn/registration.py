"""What `Module`'s registration methods share (PyTorch's names): the handle a hook's
registration returns, and the rules for a registered name."""
from __future__ import annotations

from typing import Any

__all__ = ["RemovableHandle", "check_name"]


class RemovableHandle:
    """What `register_forward_hook` and `register_forward_pre_hook` return, as PyTorch's:
    `handle.remove()` takes the hook away (also on leaving `with handle:`)."""

    def __init__(self, hooks: dict[int, Any], key: int) -> None:
        self.hooks, self.id = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def check_name(where: str, module: Any, name: Any, kind: type) -> None:
    """PyTorch's rules for a registered name: a non-empty string without '.', not already
    an attribute, unless one of the same kind (or None) is to be replaced."""
    if not isinstance(name, str):
        raise TypeError(f"{where}: the name must be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{where}: the name must be a non-empty string without '.', got "
                       f"{name!r}")
    if hasattr(module, name) and not (name in vars(module) and isinstance(
            vars(module)[name], (kind, type(None)))):
        raise KeyError(f"{where}: attribute {name!r} already exists in "
                       f"{type(module).__name__}; choose another name")

"""`ByIdentity`: values kept per tensor (or node), keyed by the object itself, not its value.

A tensor's `==` compares values and a dict keyed by it would keep it alive: this map keys by
`id`, checks the object is still the one it was set for, and drops the entry with it. The
hooks' bookkeeping (hooks.py, grad_starts.py) and scope.py's notes use it.
"""
from __future__ import annotations

import weakref
from typing import Any


class ByIdentity:
    """Per-tensor values, keyed by identity (a tensor's == compares values), dropped with it."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref, Any]] = {}

    def get(self, tensor: Any, default: Any = None) -> Any:
        entry = self._entries.get(id(tensor))
        return entry[1] if entry is not None and entry[0]() is tensor else default

    def set(self, tensor: Any, value: Any) -> None:
        key = id(tensor)
        self._entries[key] = (weakref.ref(tensor, lambda _: self._entries.pop(key, None)), value)

    def setdefault(self, tensor: Any, default: Any) -> Any:
        """The value kept for `tensor`, `default` set first where there is none."""
        if self.get(tensor) is None:
            self.set(tensor, default)
        return self.get(tensor)

    def discard(self, tensor: Any) -> None:
        if self.get(tensor) is not None:
            del self._entries[id(tensor)]

"""Grad mode: whether ops record the graph, per thread (`no_grad`, `enable_grad`).

Below the engine: `Function.apply` asks `is_grad_enabled()` before recording a node.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable

__all__ = ["no_grad", "enable_grad", "is_grad_enabled"]



class _GradMode(threading.local):
    enabled = True  # per thread: one thread's no_grad() does not stop another's recording


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default); False inside `no_grad()`."""
    return _grad_mode.enabled


class _SetGradMode:
    enabled: bool

    def __enter__(self) -> None:
        self._previous, _grad_mode.enabled = _grad_mode.enabled, self.enabled

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_SetGradMode):
    """Record nothing: ops inside compute values only (evaluation, weight updates).

    Use as `with tg.no_grad(): ...` or as a decorator `@tg.no_grad()`.
    """

    enabled = False


class enable_grad(_SetGradMode):
    """Record the graph again inside a `no_grad()` block."""

    enabled = True

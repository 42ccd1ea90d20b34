"""Old versions that share a tensor's memory until a write (in_place_shapes.py's): a shape
change in place, or detach_(), writes no value, so the version the graph used keeps t's
array itself (`old_version`), copied only before the next write into that memory, so that
a drawing still shows the values the graph used.

Every write into a tensor's memory goes through one of two places first: `t._mark_changed()`
(called just before a writer writes `t._data`: in-place ops, `t[i] = v`, nn.init, optimizer
steps, vector_to_parameters) or `tracked._writable` (a write through `t.data`). While an old
version shares some memory, both are swapped for forms that copy the old versions of the
memory about to be written first (`tracked.copy_before_write`); when none does, the plain
forms are put back, so a program that never changes a shape in place pays nothing. The
swaps, and what decides them, hold a lock (`_swapping`), so that two threads cannot leave the
plain forms in place while an old version shares memory; the plain forms never take it.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

from . import tracked
from .in_place_recorded import supersede
from .tensor import Tensor
from .tracked import copy_before_write, count_write, shared_until_written

__all__ = ["old_version", "keep_until_written"]

_PLAIN_MARK_CHANGED = Tensor._mark_changed
_PLAIN_WRITABLE = tracked._writable
# held while the forms are swapped and while what decides a swap changes (an RLock: a weak
# reference's callback, `gone`, may run inside a held block of the same thread)
_swapping = threading.RLock()


def old_version(t: Tensor, node: Any, counter: list | None = None) -> Tensor:
    """t's old version made by `node`, for the nodes that used t (`supersede`): t's array
    itself, shared until a write into its memory (`counter`: t's, by default) copies it."""
    old = Tensor.from_op(t._data, node)
    old._requires_grad, old.name = True, t.name
    supersede(t, old, t._data)
    keep_until_written(counter if counter is not None else t._stamp(), old)
    return old


def keep_until_written(counter: list, old: Tensor) -> None:
    """Keep `old`, an old version whose values are the memory counted by `counter`,
    uncopied until a write into that memory (the module's docstring)."""
    key = id(counter)

    def gone(ref: weakref.ref) -> None:  # (old freed: the entry with its last one)
        with _swapping:
            olds.remove(ref)
            if not olds and shared_until_written.get(key, (None, None))[1] is olds:
                del shared_until_written[key]
                _plain_when_none()

    with _swapping:
        olds = shared_until_written.setdefault(key, (counter, []))[1]
        olds.append(weakref.ref(old, gone))
        Tensor._mark_changed = _mark_changed_copying
        tracked._writable = _writable_copying


def _mark_changed_copying(self: Tensor) -> None:
    """`Tensor._mark_changed` while an old version shares some memory: the old versions of
    t's copied first (a write into t's memory comes next), then the change counted."""
    with _swapping:
        copy_before_write(self._version)
        _plain_when_none()
    count_write(self._version or self._stamp())


def _writable_copying(array: Any) -> Any:
    """`tracked._writable` while an old version shares some memory: those of `array`'s
    memory copied first (through `.data`, a write comes next)."""
    counter = getattr(array, "_counter", None)
    if counter is not None:
        with _swapping:
            copy_before_write(counter)
            _plain_when_none()
    return _PLAIN_WRITABLE(array)


def _plain_when_none() -> None:
    """The plain forms back, once no old version shares memory."""
    with _swapping:
        if not shared_until_written:
            Tensor._mark_changed = _PLAIN_MARK_CHANGED
            tracked._writable = _PLAIN_WRITABLE

"""Old versions that share a tensor's memory until a write (in_place_shapes.py's): a shape
change in place, or detach_(), writes no value, so the version the graph used keeps t's
array itself (`old_version`), copied only before the next write into that memory, so that
a drawing still shows the values the graph used.

Every write into a tensor's memory goes through one of two places first: `t._mark_changed()`
(called just before a writer writes `t._data`: in-place ops, `t[i] = v`, nn.init, optimizer
steps, vector_to_parameters) or `tracked._writable` (a write through `t.data`). While an old
version shares some memory, both are swapped for forms that copy the old versions of the
memory about to be written first (`tracked.copy_before_write`); when none does, the plain
forms are put back, so a program that never changes a shape in place pays nothing. And the
checks an extra adds to every in-place op that remove themselves when their entry goes
(`until_done`).
"""
from __future__ import annotations

import weakref
from typing import Any, Callable

from . import tracked
from .in_place_recorded import in_place_checks, supersede
from .tensor import Tensor
from .tracked import copy_before_write, count_write, shared_until_written

__all__ = ["old_version", "keep_until_written", "until_done", "watch"]

_PLAIN_MARK_CHANGED = Tensor._mark_changed
_PLAIN_WRITABLE = tracked._writable


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
    olds = shared_until_written.setdefault(key, (counter, []))[1]

    def gone(ref: weakref.ref) -> None:  # (old freed: the entry with its last one)
        olds.remove(ref)
        if not olds and shared_until_written.get(key, (None, None))[1] is olds:
            del shared_until_written[key]
            _plain_when_none()

    olds.append(weakref.ref(old, gone))
    Tensor._mark_changed = _mark_changed_copying
    tracked._writable = _writable_copying


def _mark_changed_copying(self: Tensor) -> None:
    """`Tensor._mark_changed` while an old version shares some memory: the old versions of
    t's copied first (a write into t's memory comes next), then the change counted."""
    copy_before_write(self._version)
    _plain_when_none()
    count_write(self._version or self._stamp())


def _writable_copying(array: Any) -> Any:
    """`tracked._writable` while an old version shares some memory: those of `array`'s
    memory copied first (through `.data`, a write comes next)."""
    counter = getattr(array, "_counter", None)
    if counter is not None:
        copy_before_write(counter)
        _plain_when_none()
    return _PLAIN_WRITABLE(array)


def _plain_when_none() -> None:
    """The plain forms back, once no old version shares memory."""
    if not shared_until_written:
        Tensor._mark_changed = _PLAIN_MARK_CHANGED
        tracked._writable = _PLAIN_WRITABLE


def until_done(entries: dict, check: Callable[[Tensor, tuple, str, Any], bool]
               ) -> Callable[[Tensor, tuple, str], None]:
    """A check of every in-place op (`in_place_checks`) that acts on an op writing the
    memory of an entry of `entries` (keyed by its version counter's id, the counter first
    in each): `check(t, operands, what, entry)`, which says whether the entry stays; it
    removes itself once `entries` is empty (`watch` puts it back)."""

    def checked(t: Tensor, operands: tuple, what: str) -> None:
        if not entries:
            in_place_checks.remove(checked)
            return
        key = id(t._version)
        entry = entries.get(key) if t._version is not None else None
        if entry is not None and entry[0] is t._version \
                and not check(t, operands, what, entry):
            entries.pop(key, None)

    checked.__name__ = checked.__qualname__ = check.__name__
    return checked


def watch(checked: Callable[[Tensor, tuple, str], None]) -> None:
    """`checked` (an `until_done` check) run by every in-place op from now on, once."""
    if checked not in in_place_checks:
        in_place_checks.append(checked)

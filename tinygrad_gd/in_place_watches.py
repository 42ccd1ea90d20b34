"""Checks of every in-place op that remove themselves once nothing is left for them to
watch (in_place_shapes.py's: the views of a tensor detached in place, cut at a later write;
those of a tensor whose layout changed under no_grad(), taken again at a later write).
`until_done(entries, check)` makes one from a dict of entries keyed by a version counter's
id: it acts on an op writing the memory of an entry, drops the entries its `check` is done
with, and leaves `in_place_checks` (in_place_recorded.py's list, which every in-place op
runs) when none is left, so that in-place ops pay nothing for it then; `watch` puts it
back when an entry is added.
"""
from __future__ import annotations

from contextlib import suppress
from typing import Any, Callable

from .in_place_recorded import in_place_checks
from .tensor import Tensor

__all__ = ["until_done", "watch"]


def until_done(entries: dict, check: Callable[[Tensor, tuple, str, Any], bool]
               ) -> Callable[[Tensor, tuple, str], None]:
    """A check of every in-place op (`in_place_checks`) that acts on an op writing the
    memory of an entry of `entries` (keyed by its version counter's id, the counter first
    in each): `check(t, operands, what, entry)`, which says whether the entry stays; it
    removes itself once `entries` is empty (`watch` puts it back)."""

    def checked(t: Tensor, operands: tuple, what: str) -> None:
        if not entries:
            with suppress(ValueError):  # (another thread's in-place op took it off first)
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

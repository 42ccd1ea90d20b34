"""`retain_grad()`'s registry: which non-leaf tensors keep their gradient in `.grad`.

`t.retain_grad()` marks t (`retain_grad`); the backward pass asks `retains(t)` before
adding a non-leaf's gradient into `.grad` (hooks.py's `accumulate_grads`, and the passes
of `tg.autograd.grad` and tg.autograd.functional, as PyTorch's: retained_passes.py). A
tensor whose shape changed in place, or that was detached in place (in_place_shapes.py),
gives the mark to its old version, as PyTorch's retain_grad stays with the version it was
asked on (`retain_with`): the old version then holds a weak reference to the tensor whose
`.grad` keeps its gradient (`kept_for`), and the tensor itself is marked as asked, kept
elsewhere.
"""
from __future__ import annotations

import weakref
from typing import Any

from .by_identity import ByIdentity

# tensor -> True when retain_grad() was called; after `retain_with`, the old version -> a
# weak reference to the tensor whose .grad keeps its gradient, the tensor -> _ELSEWHERE
retained = ByIdentity()
_ELSEWHERE = "its old version's"


def retain_grad(tensor: Any) -> None:
    """Keep `tensor`'s gradient in `.grad` after backward, though it is not a leaf (asked
    again after `retain_with`, nothing: PyTorch's keeps the old version's)."""
    if not tensor.requires_grad:
        raise RuntimeError("retain_grad() on a tensor that does not require a gradient")
    if retained.get(tensor) is not _ELSEWHERE:
        retained.set(tensor, True)


def retains(tensor: Any) -> bool:
    """Whether backward keeps this tensor's gradient for a `.grad` (`retain_grad()`'s)."""
    kept = bool(retained._entries) and retained.get(tensor, False)
    return kept is True or isinstance(kept, weakref.ref)


def asked_to_retain(tensor: Any) -> bool:
    """Whether `retain_grad()` was called on this tensor (its old version's kept since, too)."""
    return bool(retained._entries) and retained.get(tensor) is not None


def retain_with(tensor: Any, before: Any) -> None:
    """`tensor` changed shape in place, or detached (old version `before`): a retain_grad()
    asked before keeps the old version's gradient in its `.grad`, as PyTorch's, as hooks."""
    if retained._entries and retained.get(tensor) is True:
        retained.set(before, weakref.ref(tensor))
        retained.set(tensor, _ELSEWHERE)


def kept_for(tensor: Any) -> weakref.ref | None:
    """The weak reference to the tensor whose `.grad` keeps this old version's gradient
    (`retain_with`), or None where the tensor keeps its own."""
    owner = retained.get(tensor)
    return owner if isinstance(owner, weakref.ref) else None

"""What a tensor's `.grad` holds unlike the drawing's own pass, and where it came from.

The drawing works out each gradient again with no hook (so that it changes no `.grad`);
`.grad` is what backward() left. Where the two differ, `grad_apart` says why where it can
tell: `_grad_origin`'s words (accumulated, zeroed, from other backward() calls) read
against this pass's gradient with `freeze_`'s entries zeroed, "its frozen entries zeroed",
or a hook of the user's on the tensor. Where a hook the drawing does not run changed the
gradient on its way (`hooked_upstream`: a hook on a later tensor or node, a module's
backward hooks), no cause is named: `.grad`'s values alone. `held_line` writes it in the
backward view, for a tensor's node and a module call's box; the forward view's node reads
the same cause (labels.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import hooks
from .text import _font, _grad_origin, _value

_HOOKED = "changed by its hook, or from other backward() calls"  # (a factor reads as a count)


def hooked_upstream(graph: Any) -> frozenset[int]:
    """The drawn tensors whose gradient in backward() passed through a hook: those before
    a tensor or node with the user's hook, and those a module's backward hooks' nodes
    (dropped from the drawing) sent a gradient to, with all before them."""
    reached: list[int] = []
    for j, tensor in enumerate(graph.tensors):
        node = tensor._ctx
        if node is None:
            continue
        if hooks.has_user_hooks(tensor) or hooks.node_has_hooks(node):
            reached.extend(graph.parents[j])
        reached.extend(q for p, q in zip(node.parents, graph.parents[j])
                       if p is not graph.tensors[q])  # (through a module's hooks' node)
    seen: set[int] = set()
    while reached:
        q = reached.pop()
        if q not in seen:
            seen.add(q)
            reached.extend(graph.parents[q])
    return frozenset(seen)


def grad_apart(drawing: Any, i: int) -> tuple[Any, Any, str] | None:
    """(`.grad`'s array, this pass's gradient, where `.grad` came from: "" where that cannot
    be told) for tensor i where the two differ; None where they agree or either is missing."""
    tensor = drawing.graph.tensors[i]
    held = None if tensor._grad is None else tensor._grad._data
    passed = None if i in drawing.grads.stale_inputs else drawing.grads.tensor[i]
    origin = _grad_origin(held, passed)  # (a second derivative's: not added up from this)
    if not origin:
        return None
    if i in drawing.hooked_upstream:
        return held, passed, ""
    mask = getattr(tensor, "frozen_mask", None)
    if mask is not None and np.shape(held) == np.shape(passed):
        origin = _grad_origin(held, np.where(mask, 0, passed)) or "its frozen entries zeroed"
    if origin != "zeroed" and hooks.has_user_hooks(tensor):
        origin = _HOOKED
    return held, passed, origin


def held_line(drawing: Any, i: int, color: str | None) -> list[str] | None:
    """`.grad [..] (accumulated)`: tensor i's `.grad` in the backward view where it is
    unlike this pass's gradient, the one a node's `grad` line and its edges show, with where
    it came from where that can be told (`grad_apart`); None where they agree."""
    apart = grad_apart(drawing, i)
    if apart is None:
        return None
    held, _, origin = apart
    line = [_font(".grad ", color), _value(held, drawing.options.precision, color)]
    return line + ([_font(f" ({origin})", color)] if origin else [])

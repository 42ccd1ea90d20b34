"""What a tensor's `.grad` holds unlike the drawing's own pass, and where it came from.

The drawing works out each gradient again with no hook (so that it changes no `.grad`);
`.grad` is what backward() left. Where the two differ, `grad_apart` says why where it can
tell: `_grad_origin`'s words (accumulated, zeroed, from other backward() calls) read
against this pass's gradient with `freeze_`'s entries zeroed, "its frozen entries zeroed",
or a hook of the user's on the tensor. Where a hook the drawing does not run changed the
gradient on its way (`hooked_upstream`: a hook on a later tensor or node, a module's
backward hooks), no cause is named: `.grad`'s values alone. `held_lines` writes it under
a gradient, for a tensor's node and a box's result (`held_line` in the backward view, the
cause and this pass's gradient in the forward view), and a module call's box under a
parameter's product; `folded_held_lines` for the one-number parameters a fold of folds.py
lists together, each parameter's cause as its own node tells it.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import hooks
from .text import _escape, _font, _grad_origin, _value

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


class Told(NamedTuple):
    """A line in two parts: what it shows (`.grad [..]`, `frozen [0]:`) and what it says of
    that (` (accumulated)`, ` zeroed in .grad`; empty where nothing), which a narrow box
    puts on a line of its own under the first (`boxes._fitted`)."""

    shown: list[str]
    said: list[str]

    @property
    def line(self) -> list[str]:
        return self.shown + self.said


def held_line(drawing: Any, i: int, color: str | None) -> Told | None:
    """`.grad [..] (accumulated)`: tensor i's `.grad` in the backward view where it is
    unlike this pass's gradient, the one a node's `grad` line and its edges show, with where
    it came from where that can be told (`grad_apart`); None where they agree."""
    apart = grad_apart(drawing, i)
    if apart is None:
        return None
    held, _, origin = apart
    return Told([_font(".grad ", color), _value(held, drawing.options.precision, color)],
                [_font(f" ({origin})", color)] if origin else [])


def held_lines(drawing: Any, i: int, color: str | None) -> list[list[str]]:
    """What a node or a box's result says of tensor i's `.grad` under its gradient line:
    in the backward view `held_line`; in the forward view, whose line is `.grad` itself,
    where it came from and this pass's gradient, where the cause can be told."""
    if drawing.options.mode != "forward":
        held = held_line(drawing, i, color)
        return [] if held is None else [held.line]
    apart = grad_apart(drawing, i)
    if apart is None or not apart[2]:
        return []
    return [[_font(f"({apart[2]}; this output's own: ", color),
             _value(apart[1], drawing.options.precision, color), _font(")", color)]]


def folded_held_lines(drawing: Any, leaves: list[int]) -> list[list[str]]:
    """Under a fold's gradient list of one-number parameters, what their `.grad` holds unlike
    this pass's where any does: the `.grad` list (backward view), and each cause as the
    parameter's node would tell it (`grad_apart`), naming the parameters it is true of
    where it is not true of all: `(w5: its frozen entries zeroed; w9: accumulated)`."""
    graph, precision = drawing.graph, drawing.options.precision
    held = [graph.tensors[i]._grad for i in leaves]
    if any(h is None or h._data.size != 1 for h in held):
        return []
    apart = {i: grad_apart(drawing, i) for i in leaves}
    causes: dict[str, list[int]] = {}
    for i, found in apart.items():
        if found is not None and found[2]:
            causes.setdefault(found[2], []).append(i)
    if all(found is None for found in apart.values()):
        return []
    if len(causes) == 1 and len(next(iter(causes.values()))) == len(leaves):
        words = next(iter(causes))  # (true of every parameter: said once, as a node says it)
    else:
        words = "; ".join(f"{_who(drawing, told)}: {cause}" for cause, told in causes.items())
    if drawing.options.mode != "forward":
        line = [".grad ", _value(np.array([h._data.item() for h in held]), precision)]
        return [line + ([f" ({words})"] if words else [])]
    passed = [drawing.grads.tensor[i] for i in leaves]
    if not words or any(p is None for p in passed):
        return []
    own = np.array([np.asarray(p).item() for p in passed])
    return [[f"({words}; this output's own: ", _value(own, precision), ")"]]


def _who(drawing: Any, told: list[int]) -> str:
    """The parameters a cause is true of, by name: `w5`, `w5, w9`, `w5, w9 and 3 more`."""
    shown = ", ".join(_escape(drawing.name(i)[0]) for i in told[:2])
    return shown + (f" and {len(told) - 2} more" if len(told) > 2 else "")

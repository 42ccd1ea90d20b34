"""What a tensor's `.grad` holds unlike the drawing's own pass, and where it came from.

The drawing works out each gradient again with no hook (so that it changes no `.grad`);
`.grad` is what backward() left. Where the two differ, `grad_apart` says why where it can
tell: `_grad_origin`'s words (accumulated, zeroed, from other backward() calls) read against
this pass's gradient with `freeze_`'s entries zeroed, "its frozen entries zeroed", or a hook
of the user's on the tensor (a post-accumulate-grad hook removed since whose change `.grad`
holds: `its hook, now removed`, `hooks.removed_post_changes`, beside one on it `its hook and
one now removed`; a `.grad` the user set since a hook ran reads `set by hand`, grad_starts.py's
`set_by_hand`, until a pass adds into it; a tensor hook removed since,
hook_changes.py's `removed_changed_into`, alike, or `a hook on h, now removed`). Where a
hook the drawing does not run changed the gradient on its way (`hooked_upstream`: a hook on
a later tensor or node, a module's backward hooks), that hook is named as drawn, its name
cut as short as tells it apart (`changed by a hook on h, or from other backward() calls`: a
hook's factor and a count of runs read alike; a module's by its box's title, `a backward
hook of fc2: Linear(3 -> 1)`), only where it sent on other numbers than it got
(`hooks.changed_into`, `node_changed_into`: one that looks only is no cause, nor one whose
change went into a `.grad` since cleared), and the hooked result, which has no `.grad` to
show what it sent on, says what it sent on in the last backward() that ran it, `its hook
sent on [..]`, as hooks.py kept it (`hook_said`; a node's hooks: `its hook changed what
flows on` where a `.grad` before it tells so). `held_lines` writes it under a gradient, for
a tensor's node and a box's result (`.grad [..] (accumulated)` in the backward view,
`(accumulated; from this output alone: [..])` in the forward view), and a module call's box
under a parameter's product; `folded_held_lines` for the one-number parameters a fold of
folds.py lists together, each parameter's cause as its own node tells it, and those whose
`.grad` is None by name. Both write the words in parentheses with one helper (`_told`):
beside the value where the line fits a box, else each cause on a line of its own (a long one
broken before its `or`), so that no cause widens a box. `fitted` breaks a box's other
two-part lines.
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

import numpy as np

from .. import grad_starts, hook_changes, hooks
from ..scope import owners_of
from .calls import _module_title
from .text import _BOX_LINE, _NAME_LIMIT, _cut, _escape, _font, _grad_origin, _value, _width



_FLOWS_ON = "changed what flows on"  # (a node's hook: its inputs' .grad tell)


def hooked_upstream(graph: Any) -> dict[int, frozenset]:
    """The drawn tensors whose gradient in backward() passed through a hook, each with
    where the hooks it passed through are: the position of a tensor or node with the
    user's hook (an int), for those before it; a module's backward hooks' node (dropped
    from the drawing, `_module_hooks_between`), for those it sent a gradient to and all
    before them."""
    hookers: dict[int, set] = {}

    def reach(start: list[int], hooker: Any) -> None:
        while start:
            q = start.pop()
            if hooker not in hookers.setdefault(q, set()):
                hookers[q].add(hooker)
                start.extend(graph.parents[q])

    for j, tensor in enumerate(graph.tensors):
        node = tensor._ctx
        if node is None:
            continue
        if hooks.has_user_hooks(tensor) or hooks.node_has_hooks(node) \
                or hook_changes.removed_change(tensor):  # (one removed: still a cause)
            reach(list(graph.parents[j]), j)
        for p, q in zip(node.parents, graph.parents[j]):
            for hooked in _module_hooks_between(p, graph.tensors[q]):
                reach([q], hooked)
        if hasattr(node, "stands_for") and graph.parents[j]:  # (the output, a module with
            drawn = graph.tensors[graph.parents[j][0]]  # backward hooks returned: the loss)
            for hooked in _module_hooks_between(tensor, drawn):
                reach(list(graph.parents[j]), hooked)
    return {q: frozenset(found) for q, found in hookers.items()}


def _module_hooks_between(tensor: Any, drawn: Any) -> list:
    """The module backward hooks' nodes (`hooked_module`: nn's) on the way from an op's
    input `tensor` down to `drawn`, the tensor drawn for it: the pass-through nodes between
    (`stands_for`), each one's or, a part of several gathered, its gathering node's."""
    found: list = []
    while tensor is not drawn and hasattr(tensor._ctx, "stands_for"):
        node = tensor._ctx
        for hooked in (node, *(parent._ctx for parent in node.parents[:1])):
            if hasattr(hooked, "hooked_module") and hooked not in found:
                found.append(hooked)
        tensor = node.stands_for(tensor)
        if tensor is None:
            break
    return found


def grad_apart(drawing: Any, i: int) -> tuple[Any, Any, str] | None:
    """(`.grad`'s array, this pass's gradient, where `.grad` came from: "" where that cannot
    be told) for tensor i where the two differ; None where they agree or either is missing."""
    tensor = drawing.graph.tensors[i]
    held = None if tensor._grad is None else tensor._grad._data
    passed = None if i in drawing.grads.stale_inputs else drawing.grads.tensor[i]
    origin = _grad_origin(held, passed)  # (a second derivative's: not added up from this)
    if not origin:
        return None
    mask = getattr(tensor, "frozen_mask", None)
    if mask is not None and np.shape(held) == np.shape(passed):
        origin = _grad_origin(held, np.where(mask, 0, passed)) or "its frozen entries zeroed"
    if origin not in ("zeroed", "its frozen entries zeroed"):  # (told by a hook's change)
        origin = "set by hand" if grad_starts.set_by_hand(tensor) \
            else _hooked_words(drawing, i) or origin
    return held, passed, origin


def _hooked_words(drawing: Any, i: int) -> str:
    """Where a hook may have changed tensor i's `.grad`: `changed by its hook, or from other
    backward() calls` (a hook's factor and a count of runs read alike), or by the hooks on
    its way that the drawing does not run, `a hook on mul result`, named as drawn, and a
    module's, `a backward hook of fc2: Linear(3 -> 1)`, as its box is titled; only those
    that sent on other numbers than they got in a pass that `.grad` holds (`changed_into`,
    `node_changed_into`: not one before `x.grad = None`), those removed since too (`a hook
    on h, now removed`, hook_changes.py's `removed_changed_into`). "" where none did."""
    tensors, hookers = drawing.graph.tensors, drawing.hooked_upstream.get(i, frozenset())
    upstream = sorted(j for j in hookers if isinstance(j, int))
    live = [j for j in upstream if hooks.changed_into(tensors[j], tensors[i])
            or hooks.node_changed_into(tensors[j]._ctx, tensors[i])]
    removed = [j for j in upstream  # (those removed since: named so)
               if hook_changes.removed_changed_into(tensors[j], tensors[i])]
    named = [_hook_place(drawing, j) for j in live if j not in removed]
    gone = [_hook_place(drawing, j) for j in removed if j not in live]
    # a tensor with both: one phrase, not its name twice (`a hook on h, a hook on h, now
    # removed` read as two tensors)
    both = [_live_and_removed(drawing, tensors[j], j) for j in live if j in removed]
    modules = sorted({_module_place(drawing, node) for node in hookers if not isinstance(
        node, int) and hooks.node_changed_into(node, tensors[i])})
    own = _own_hooks(hooks.changed_into(tensors[i], tensors[i]),
                     hooks.removed_post_changes(tensors[i])
                     + hook_changes.removed_changed_into(tensors[i], tensors[i]))
    places = [*([own] if own else []),
              *([f"{'a hook' if len(named) == 1 else 'hooks'} on {_listed(named)}"]
                if named else []),
              *([f"{'a hook' if len(gone) == 1 else 'hooks'} on {_listed(gone)}, now removed"]
                if gone else []),
              *both,
              *([f"{'a backward hook' if len(modules) == 1 else 'backward hooks'} of "
                 f"{_listed(modules)}"] if modules else [])]
    return f"changed by {', '.join(places)}, or from other backward() calls" if places else ""


def _live_and_removed(drawing: Any, tensor: Any, j: int) -> str:
    """Tensor j's hooks as one cause where some that changed its gradient are on it still and
    some removed since: `two hooks on h, one now removed` (those that changed numbers in the
    last pass one did, hook_changes.py's `changers`; at least one of each)."""
    sent, keys = hook_changes.sent_on(tensor), hooks.user_hook_keys(tensor)
    changers = sent.changers if sent is not None else frozenset()
    on, off = len(changers & keys), max(1, len(changers - keys))
    if not on and changers:  # (the live ones sent on what they got: the removed ones only)
        return f"{'a hook' if off == 1 else _counted(off) + ' hooks'} on " \
               f"{_hook_place(drawing, j)}, now removed"
    return f"{_counted(max(1, on) + off)} hooks on {_hook_place(drawing, j)}, " \
           f"{_counted(off)} now removed"


def _counted(number: int) -> str:
    """A small count in words, as a sentence says it (`two`), a larger one in digits."""
    words = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[number - 1] if 0 < number <= len(words) else str(number)


def _own_hooks(live: bool, removed: int) -> str:
    """A tensor's own hooks that changed its `.grad`, as a cause names them: `its hook`, one
    since removed `its hook, now removed`, both `its hook and one now removed`; "" for none."""
    gone = "one" if removed == 1 else "some"
    if live:
        return f"its hook and {gone} now removed" if removed else "its hook"
    return ("its hook, now removed" if removed == 1 else "its hooks, now removed") \
        if removed else ""


def _module_place(drawing: Any, node: Any) -> str:
    """The module whose backward hooks `node` runs, as its box or frame is titled (`fc2:
    Linear(3 -> 1)`: its name in the model, else in the module called), cut as titles are."""
    module, owners = node.hooked_module(), owners_of(node)
    title = _module_title(owners if owners and owners[-1] is module else (module,),
                          drawing.names)
    return _escape(title, _CAUSE_NAME)


# characters of a name in a cause: with its `a tensor in ` and comma, a line of `_CAUSE_LINE`
_CAUSE_NAME = 40


def _hook_place(drawing: Any, j: int) -> str:
    """The hooked tensor j as a reader finds it: its node's title, or its box's (a chain's
    fold, which has none, by its `nodes folded`), cut as titles are."""
    unit = drawing.layout.tensor_unit[j]
    box = drawing.layout.boxes.get(unit or "")
    if box is None or drawing.box_of_result(j) is not None:
        return _escape(drawing.name(j)[0], apart_length(drawing, j, _CAUSE_NAME))
    if box.kind == "chain" or not box.title:
        return "a tensor in the folded nodes"
    return f"a tensor in {_escape(box.title, _CAUSE_NAME)}"


def apart_length(drawing: Any, q: int, limit: int) -> int:
    """The characters to cut tensor q's name to where a title must be short: `limit`, or as
    few more as tell it apart from every other drawn node's title cut alike (`..._layer_1`,
    `..._layer_2`), so that it names one node (up to a title's own `_NAME_LIMIT`)."""
    shown = drawing.name(q)[0]
    others = [drawing.name(i)[0] for i in range(len(drawing.graph.tensors))
              if i != q and drawing.drawn(i)]
    for length in range(min(limit, _NAME_LIMIT), _NAME_LIMIT):
        if all(_cut(other, length) != _cut(shown, length) for other in others):
            return length
    return _NAME_LIMIT


def _listed(names: list[str]) -> str:
    """Names as a list in words: `w5`, `w5 and w9`, `w5, w9 and 3 more`."""
    if len(names) <= 2:
        return " and ".join(names)
    return f"{names[0]}, {names[1]} and {len(names) - 2} more"


class HookSaid(NamedTuple):
    """What a hooked result's node says of its hook: `words`, then, where it ran, what it
    sent on (`sent`, the numbers a drawing writes after them)."""

    words: str
    sent: np.ndarray | None = None


def hook_said(drawing: Any, i: int, whose: str = "its hook") -> HookSaid | None:
    """What a hook on tensor i (not a leaf), which the drawing's pass does not run, did to
    what flows on from it (`whose`: its hook): `its hook sent on [..]` in the last backward()
    that ran it (`hooks.sent_on`; `in a backward() from another output, ...` where that pass
    was not from the drawn output), `its hook has not run yet` where none did; None where it
    sent on what it was given, where the pass drawn ran it (the step page's, which shows what
    it sent), or where i's `.grad`, retained, tells it as a leaf's does. One removed since
    is said nothing of here: a `.grad` holding its change names it (`a hook on h, now
    removed`). A node's hooks
    (`grad_fn.register_prehook`, `register_hook`) are told as the `.grad` of the tensors
    before it tell (`_changed_what_flows_on`)."""
    tensor = drawing.graph.tensors[i]
    if tensor._ctx is None or drawing.grads.hooks_ran:
        return None
    if hooks.node_has_hooks(tensor._ctx):
        changed = _changed_what_flows_on(drawing, i, whose)
        return None if changed is None else HookSaid(changed)
    if tensor._grad is not None or not hooks.has_user_hooks(tensor):
        return None
    sent = hooks.sent_on(tensor)
    if sent is None:
        return HookSaid(f"{whose} has not run yet")
    if not sent.changed:
        return None
    elsewhere = sent.output() is not drawing.graph.tensors[drawing.graph.output]
    return HookSaid(f"{_ELSEWHERE if elsewhere else ''}{whose} sent on ", sent.array)


_ELSEWHERE = "in a backward() from another output, "  # (its numbers: not this drawing's pass's)


def _changed_what_flows_on(drawing: Any, i: int, whose: str) -> str | None:
    """`its hook changed what flows on` where the `.grad` of a tensor before i that no other
    hook's change reached holds other numbers than this pass's and a change of i's node's
    hooks (`node_changed_into`), `..., or another on the way did` where each such also
    passed another hook; None where none does."""
    node, tensors = drawing.graph.tensors[i]._ctx, drawing.graph.tensors
    apart = [hookers for q, hookers in drawing.hooked_upstream.items()
             if i in hookers and grad_apart(drawing, q) is not None
             and hooks.node_changed_into(node, tensors[q])]
    if not apart:
        return None
    return f"{whose} {_FLOWS_ON}" + ("" if any(hookers == {i} for hookers in apart)
                                     else ", or another on the way did")


class Told(NamedTuple):
    """A line in two parts: what it shows (`.grad [..]`, `frozen [0]:`) and what it says of
    that (` (accumulated)`, ` zeroed in .grad`; empty where nothing), which a narrow box
    puts on a line of its own under the first (`fitted`)."""

    shown: list[str]
    said: list[str]

    @property
    def line(self) -> list[str]:
        return self.shown + self.said


def fitted(start: list[str], rest: list[str], width: int) -> list[list[str]]:
    """A line of a box, or two where it would be wider than `width` characters: `4.bias
    grad =` over its product, `.grad [..]` over `(accumulated)`, so that what is said of a
    line does not widen the box (no second line where there is nothing more to say)."""
    if not rest or _width(start + rest) <= width:
        return [start + rest]
    return [start, rest]


def _told(start: list[str], causes: list[str], color: str | None, width: int,
          valued: tuple[str, str] | None = None) -> list[list[str]]:
    """`start` (`.grad [..]`, or nothing) and what is said of it in parentheses: its causes
    and (`valued`: words and a value) the forward view's gradient of this output, `from this
    output alone: [..]`, or what a result's hook sent on, `its hook sent on [..]`, in words
    no reader takes for a parameter's name. `; `-joined on start's line where that fits
    `width` characters, else each on a line of its own under it (`(w3: its frozen entries
    zeroed)`), a value under its words where both do not fit, so that no cause widens a box."""
    words, own = valued if valued is not None else ("", None)
    said = "; ".join(causes if own is None else [*causes, words])
    line = start + ([_font(f"{' ' if start else ''}({said}", color), own, _font(")", color)]
                    if own is not None else [_font(f"{' ' if start else ''}({said})", color)])
    if _width(line) <= width:
        return [line]
    lines = ([start] if start else []) + [
        part for cause in causes for part in _cause_lines(cause, color, width)]
    return lines if own is None else lines + _valued_lines(words, own, color, width)


def _valued_lines(words: str, own: str, color: str | None, width: int) -> list[list[str]]:
    """`(from this output alone: [..])` on a line of its own, or its words over its value
    where wider than `width` characters, words longer than `_CAUSE_LINE` broken after their
    comma (`(in a backward() from another output,` over `a hook on its result sent on`)."""
    one = [_font(f"({words}", color), own, _font(")", color)]
    if _width(one) <= width:
        return [one]
    words = words.rstrip()
    head, comma, tail = words.partition(", ")
    said = [[_font(f"({head},", color)], [_font(tail, color)]] \
        if comma and len(words) + 1 > max(width, _CAUSE_LINE) else [[_font(f"({words}", color)]]
    return said + [[own, _font(")", color)]]


# characters: a cause as long as a leaf's own hook's words, a fold's `(w7: ...)` too, stays
# on one line, as boxes have always written it; a longer one, naming the hook on its way
# (`a hook on 0: Linear(8 -> 8) result`), breaks (`_cause_lines`)
_CAUSE_LINE = 60


def _cause_lines(cause: str, color: str | None, width: int) -> list[list[str]]:
    """A cause in parentheses on lines of their own, none wider than `width` or `_CAUSE_LINE`
    characters, the larger: broken after a comma, `on` or `and`, before `or` (`(changed by
    hooks on` over `h1 and h2,` over `or from other backward() calls)`)."""
    lines: list[str] = []
    for piece in _BREAKS.split(f"({cause})"):
        if lines and _width([f"{lines[-1]} {piece}"]) <= max(width, _CAUSE_LINE):
            lines[-1] += f" {piece}"
        else:
            lines.append(piece)
    return [[_font(line, color)] for line in lines]


_BREAKS = re.compile(r"(?<=,) |(?<= on) |(?<= and) | (?=or )")  # (where a cause may break)


def held_lines(drawing: Any, i: int, color: str | None, width: int = 10**3,
               title: str = "", whose: str = "its hook") -> list[list[str]]:
    """What a node, a box's result or (`title`: `0.weight `) a box's parameter says of
    tensor i's `.grad` under its gradient line where it is unlike this pass's gradient, the
    one a node's `grad` line and its edges show: in the backward view `.grad [..]` with where
    it came from where that can be told (`grad_apart`); in the forward view, whose line is
    `.grad` itself, where it came from and this output's gradient, where the cause can be
    told. Each cause on a line of its own where the line would be wider than `width`
    characters. A hooked result with no `.grad` says what `whose` (a box's: `a hook on its
    result`) sent on, or that it has not run yet (`hook_said`)."""
    apart = grad_apart(drawing, i)
    precision = drawing.options.precision
    if apart is None:  # (a hook on a result: no `.grad` shows what it sent on)
        said = hook_said(drawing, i, whose)
        if said is None:
            return []
        if said.sent is None:
            return _told([], [said.words], color, width)
        return _told([], [], color, width, (said.words, _value(said.sent, precision, color)))
    held, passed, origin = apart
    if drawing.options.mode != "forward":
        start = [_font(f"{title}.grad ", color), _value(held, precision, color)]
        return _told(start, [origin], color, width) if origin else [start]
    if not origin:
        return []
    return _told([], [origin], color, width,
                 ("from this output alone: ", _value(passed, precision, color)))


def folded_held_lines(drawing: Any, leaves: list[int]) -> list[list[str]]:
    """Under a fold's gradient list of one-number parameters, what their `.grad` holds unlike
    this pass's where any does: the parameters whose `.grad` is None, by name; the `.grad`
    list of the others (backward view), and each cause as the parameter's node would tell
    it (`grad_apart`), naming the parameters it is true of where it is not true of all:
    `(w5: its frozen entries zeroed)`, one a line where there are several."""
    graph, precision = drawing.graph, drawing.options.precision
    held = {i: graph.tensors[i]._grad for i in leaves}
    if any(h is not None and h._data.size != 1 for h in held.values()):
        return []
    missing = [i for i in leaves if held[i] is None]
    kept = [i for i in leaves if held[i] is not None]
    if not kept:
        return []
    values = _value(np.array([held[i]._data.item() for i in kept]), precision)
    start = [".grad of the others " if missing else ".grad ", values]
    lines = [[f".grad None: {_who(drawing, missing)}"]] if missing else []
    forward = drawing.options.mode == "forward"
    if missing and forward:  # (the fold's own `.grad` line is this list where none is None)
        lines.append(start)
    apart = {i: grad_apart(drawing, i) for i in kept}
    causes: dict[str, list[int]] = {}
    for i, found in apart.items():
        if found is not None and found[2]:
            causes.setdefault(found[2], []).append(i)
    if all(found is None for found in apart.values()):
        return lines
    if len(causes) == 1 and len(next(iter(causes.values()))) == len(kept):
        words = list(causes)  # (true of every parameter: said once, as a node says it)
    else:
        words = [f"{_who(drawing, told)}: {cause}" for cause, told in causes.items()]
    width = _BOX_LINE if len(words) <= 1 else 0  # (several causes: one a line)
    if not forward:
        return lines + (_told(start, words, None, width) if words else [start])
    passed = [drawing.grads.tensor[i] for i in kept]
    if not words or any(p is None for p in passed):
        return lines
    own = _value(np.array([np.asarray(p).item() for p in passed]), precision)
    return lines + _told([], words, None, width, ("from this output alone: ", own))


def _who(drawing: Any, told: list[int]) -> str:
    """The parameters a cause is true of, by name: `w5`, `w5 and w9`, `w5, w9 and 3 more`."""
    return _listed([_escape(drawing.name(i)[0]) for i in told])

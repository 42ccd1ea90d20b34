"""Folding a large graph's structure, where no module call explains it, so it fits a page.

Applied (`_fold_structure`) when a graph still has more than `_STRUCTURE_ABOVE` drawn
nodes ("units") after its module calls fold, and max_nodes is not None, in this order:

- `_fold_sums`: a run of adds, each result used only by the next add (Python's `sum()`
  builds a left-deep chain of them, drawn as a staircase), becomes one "sum" node with
  every term an input of it: it reads as a sum.
- `_fold_alike`: many inputs of one node made alike (x_i ** 2 for 40 parameters): the
  first two and the last stay drawn, the others fold into one box that names the
  parameters it holds and shows their values and gradients as arrays. Alike module calls
  (boxes of one title and the same ops inside: 30 CrossEntropyLoss calls of an unrolled
  RNN) fold so in a graph of any size, each box being as wide as three nodes; the fold
  says which module they called.
- `_fold_makings`: an op joining two or more results each made by many units of their
  own (the Bi-LSTM CRF tutorial's `forward_score - gold_score`, outside any module call)
  draws each making as one box titled by the input it makes, `input 1 of sub`
  (`makings.py`), rather than one anonymous fold among the loose ends of both.
- `_fold_middle`: what lies farther than `_NEAR` units from the output and from every
  parameter (the middle of a long chain) folds into one box per connected run, which
  says which ops it holds and what it holds many times over (`makings.repeated`: a
  loop's steps); the parameters, the output and the nodes next to them, with
  their gradients, stay drawn. A module box holding a parameter, and the model's input,
  stay drawn as parameters do: a chain after a model folds its middle, never the model.
  A parameter feeding more than `_HUB` units (a scale at each step of a chain) stays
  drawn beside the fold, but keeps nothing near it drawn: else nothing would fold.

Module calls fold first (`walk._layout`), one box each, above `_modules_fold_above` units.

Inputs are alike when their ops read alike on the picture (`** 2` is not `** 3`) and their
shapes match. A sum's hidden constant terms are counted and shown in its label. The
step-by-step frames (`steps.py`) apply none of these folds. `_structure_lines`: the text
of a fold's box (which option draws its nodes is said once, in the notes under the drawing).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from .held import folded_held_lines
from .makings import joined_makings, making_lines, repeated_lines
from .text import _array, _escape, _value
from .titles import op_name
from .walk import _Box, _edges, _Graph, _Layout, _Names, _unit_count

_STRUCTURE_ABOVE = 40  # units: a larger graph folds its long sums, alike inputs, long chains
_FOLD_ABOVE = 20  # units: a larger graph folds its module calls unless open_modules
_SMALL_MODEL = 100  # parameter entries: a network this small folds them above
_SMALL_FOLD_ABOVE = 30  # units only (two or three hidden layers, its loss's ops)
_SUM_ADDS = 4  # a run of at least this many adds is drawn as one sum
_ALIKE = 6  # at least this many alike inputs of one node fold, all but the first 2 and last
_NEAR = 6  # units kept drawn around the output and each parameter
_MIN_FOLD = 5  # a fold of the middle holds at least this many units
_HUB = 4  # a parameter feeding more units than this keeps no units near it drawn


def _modules_fold_above(graph: _Graph) -> int:
    """The units above which module calls fold: 20, or 30 when the parameters hold at most
    100 numbers in all (a textbook's network of two hidden layers of 4 shows every weight,
    its gradient and `deltaᵀ @ input`; a 784 -> 128 -> 64 -> 10 one reads better as boxes)."""
    entries = sum(t.size for t in graph.tensors if t._ctx is None and t.requires_grad)
    return _SMALL_FOLD_ABOVE if entries <= _SMALL_MODEL else _FOLD_ABOVE


def _fold_structure(graph: _Graph, names: _Names, layout: _Layout, small: bool) -> _Layout:
    """The layout with long sums, alike inputs and the middle of long chains folded; in a
    `small` graph or one within `_STRUCTURE_ABOVE`, only alike inputs that are module calls
    (each box as wide as three nodes: six side by side are wider than a page)."""
    if small or _unit_count(graph, layout) <= _STRUCTURE_ABOVE:
        return _fold_alike(graph, names, layout, modules_only=True)
    for fold in (_fold_sums, _fold_alike, _fold_makings, _fold_middle):
        if _unit_count(graph, layout) <= _STRUCTURE_ABOVE:
            break
        layout = fold(graph, names, layout)
    return layout


def _merged(graph: _Graph, layout: _Layout, into: dict[str, str],
            boxes: dict[str, _Box]) -> _Layout:
    """The layout with each unit of `into` drawn by the new box it names."""
    def unit(u: str | None, i: int, what: str) -> str | None:
        if u is None or u not in into:
            return u
        getattr(boxes[into[u]], what).append(i)
        return into[u]

    op_unit = [unit(u, i, "ops") for i, u in enumerate(layout.op_unit)]
    tensor_unit = [unit(u, i, "tensors") for i, u in enumerate(layout.tensor_unit)]
    kept = {u: b for u, b in layout.boxes.items() if u not in into}
    merged = _Layout(op_unit, tensor_unit, {**kept, **boxes}, {}, layout.culprit)
    merged.edges = _edges(graph, merged)
    return merged


def _neighbours(layout: _Layout) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(producers, consumers) of each unit, in the edges' order."""
    producers: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = {}
    for source, target in layout.edges:
        producers.setdefault(target, []).append(source)
        consumers.setdefault(source, []).append(target)
    return producers, consumers


def _fixed(graph: _Graph, names: _Names, layout: _Layout) -> set[str]:
    """Units never folded: the output, the culprit, the nodes of the roots."""
    units = {layout.tensor_unit[i] for i in graph.roots} | {layout.culprit}
    return {u for u in units if u is not None}


def _fold_sums(graph: _Graph, names: _Names, layout: _Layout) -> _Layout:
    """Runs of at least `_SUM_ADDS` adds, each result used only by the next, as one sum."""
    group: dict[int, int] = {}  # add op -> the first add of its run (union-find, flat)

    def find(i: int) -> int:
        while group.get(i, i) != i:
            i = group[i]
        return i

    roots = set(graph.roots)
    for i, tensor in enumerate(graph.tensors):
        if not _plain_add(graph, layout, i):
            continue
        group.setdefault(i, i)
        for p in graph.parents[i]:
            if (p in group and graph.consumers[p] == [i] and p not in roots
                    and not graph.tensors[p].name and id(graph.tensors[p]) not in names.tensors
                    and layout.tensor_unit[p] == f"t{p}"):
                group[find(p)] = find(i)
    runs: dict[int, list[int]] = {}
    for i in group:
        runs.setdefault(find(i), []).append(i)
    into: dict[str, str] = {}
    boxes: dict[str, _Box] = {}
    for last, ops in runs.items():
        if len(ops) < _SUM_ADDS:
            continue
        unit = f"zs{len(boxes)}"
        inside = set(ops)
        terms = sum(1 for i in ops for p in graph.parents[i] if p not in inside and (
            layout.tensor_unit[p] is not None or _sum_constant(graph, p)))
        boxes[unit] = _Box(f"sum of {terms} terms", "sum")
        for i in ops:
            into[f"f{i}"] = unit
            if i != last:
                into[f"t{i}"] = unit  # the partial sums; the sum itself stays a node
    return _merged(graph, layout, into, boxes) if boxes else layout


def _sum_constant(graph: _Graph, p: int) -> bool:
    """A hidden constant that is a term of a sum: one not 0 (`sum()` starts from a 0)."""
    return graph.tensors[p]._ctx is None and bool(np.any(graph.tensors[p]._data != 0))


def _plain_add(graph: _Graph, layout: _Layout, i: int) -> bool:
    ctx = graph.tensors[i]._ctx
    return ctx is not None and ctx.name == "add" and layout.op_unit[i] == f"f{i}"


def _fold_alike(graph: _Graph, names: _Names, layout: _Layout,
                modules_only: bool = False) -> _Layout:
    """Of `_ALIKE` or more inputs of one node made alike, all but the first two and the last
    fold into one box, which says which module they called when they are module calls."""
    producers, consumers = _neighbours(layout)
    fixed = _fixed(graph, names, layout)
    into: dict[str, str] = {}
    boxes: dict[str, _Box] = {}
    for target, sources in producers.items():
        alike: dict[tuple, list[set[str]]] = {}
        for source in dict.fromkeys(sources):
            branch = _branch(source, target, producers, consumers)
            if branch is None or branch & fixed or any(u in into for u in branch) or (
                    modules_only and layout.boxes.get(source, _Box("", "")).kind != "module"):
                continue
            alike.setdefault(_signature(graph, layout, branch), []).append(branch)
        for branches in alike.values():
            if len(branches) < _ALIKE:
                continue
            unit = f"za{len(boxes)}"
            word = "terms" if layout.boxes.get(target, _Box("", "")).kind == "sum" else "inputs"
            boxes[unit] = _Box(f"{len(branches) - 3} more {word} like these", "alike")
            called = {layout.boxes[u].title for b in branches[2:-1] for u in b
                      if u in layout.boxes and layout.boxes[u].kind == "module"}
            if len(called) == 1:
                boxes[unit].note = f"{len(branches) - 3} calls of {called.pop()}"
            for branch in branches[2:-1]:
                for u in branch:
                    into[u] = unit
    return _merged(graph, layout, into, boxes) if boxes else layout


def _branch(source: str, target: str, producers: dict[str, list[str]],
            consumers: dict[str, list[str]]) -> set[str] | None:
    """`source` and every unit above it that feeds only them: what `target` alone gets
    from it; None when `source` feeds another unit too."""
    if consumers.get(source) != [target]:
        return None
    branch = {source}
    frontier = [source]
    while frontier and len(branch) < 50:
        following = []
        for unit in frontier:
            for above in producers.get(unit, ()):
                if above not in branch and all(c in branch for c in consumers[above]):
                    branch.add(above)
                    following.append(above)
        frontier = following
    return branch


def _signature(graph: _Graph, layout: _Layout, branch: set[str]) -> tuple:
    """What a branch is made of, as a multiset: ops as their labels show them (name,
    constants, keywords) with their results' shapes, leaf kinds and shapes, boxes as their
    titles and the ops inside (a loss of reduction="sum" is no mean's like)."""
    tokens = []
    for u in branch:
        if u in layout.boxes:
            inside = sorted(repr(_op_signature(graph, layout, i)) for i in layout.boxes[u].ops)
            tokens.append(("box", layout.boxes[u].title, *inside))
        elif u.startswith("f"):
            i = int(u[1:])
            tokens.append(("op", *_op_signature(graph, layout, i)))
        elif u.startswith("t"):
            t = graph.tensors[int(u[1:])]
            tokens.append(("tensor", t._ctx is None, t.requires_grad, t.shape))
        else:
            return (u,)  # anything else is its own kind
    return tuple(sorted(tokens, key=repr))


def _op_signature(graph: _Graph, layout: _Layout, i: int) -> tuple:
    """Op i as its label tells it apart: `** 2` is not `** 3`, `× 3` not `× 5`; a keyword
    array (cross_entropy's target) is drawn as a node of its own, so not part of it."""
    ctx = graph.tensors[i]._ctx
    constants = tuple((slot, graph.tensors[p]._data.tobytes())
                      for slot, p in enumerate(graph.parents[i]) if layout.tensor_unit[p] is None)
    keywords = [(k, v) for k, v in getattr(ctx, "params", {}).items()
                if not isinstance(v, np.ndarray)]
    return (ctx.name, constants, repr(sorted(keywords)), graph.tensors[i].shape)


def _fold_middle(graph: _Graph, names: _Names, layout: _Layout) -> _Layout:
    """What lies farther than `_NEAR` units from the output and every parameter folds."""
    producers, consumers = _neighbours(layout)
    anchors = _anchors(graph, names, layout)
    # a parameter that feeds many units (one scale at every step of a chain) stays drawn,
    # but what lies near it is not kept for that: else nothing of the chain would fold
    hubs = {u for u in anchors - _fixed(graph, names, layout)
            if len(set(consumers.get(u, ()))) > _HUB}
    every = set(producers) | set(consumers) | anchors
    near = _within(anchors - hubs, producers, consumers, _NEAR, among=every - hubs) | hubs
    units = [u for u in dict.fromkeys([*layout.op_unit, *layout.tensor_unit])
             if u is not None and u not in near]
    into: dict[str, str] = {}
    boxes: dict[str, _Box] = {}
    seen: set[str] = set()
    for start in units:
        if start in seen:
            continue
        run = _within({start}, producers, consumers, None, among=set(units))
        seen |= run
        if len(run) < _MIN_FOLD:
            continue
        unit = f"zc{len(boxes)}"
        boxes[unit] = _Box("", "chain")
        into.update((u, unit) for u in run)
    return _merged(graph, layout, into, boxes) if boxes else layout


def _anchors(graph: _Graph, names: _Names, layout: _Layout) -> set[str]:
    """Units a fold keeps drawn: the output's, the parameters, named tensors, the boxes of
    alike inputs, of makings and of a user's function's calls, the model's boxes and input."""
    anchors = set(_fixed(graph, names, layout))
    for i, tensor in enumerate(graph.tensors):
        unit = layout.tensor_unit[i]
        if tensor._ctx is None and unit is not None and unit.startswith("t") and (
                tensor.requires_grad or tensor.name or id(tensor) in names.tensors):
            anchors.add(unit)
    anchors.update(u for u, box in layout.boxes.items()
                   if box.kind in ("alike", "making") or box.function)
    return anchors | _model_anchors(graph, layout)


def _fold_makings(graph: _Graph, names: _Names, layout: _Layout) -> _Layout:
    """Two or more inputs of one op each made by many units of their own: each making as one
    box titled by the input it makes (`input 1 of sub`; see makings.py)."""
    if graph.output is None or layout.culprit is not None:
        return layout
    producers, consumers = _neighbours(layout)
    found = joined_makings(producers, consumers, layout.tensor_unit[graph.output],
                           _anchors(graph, names, layout), lambda u: u.startswith("t"),
                           lambda making: _computes(graph, layout, making))
    into: dict[str, str] = {}
    boxes: dict[str, _Box] = {}
    for joint, result, making in found:
        i, r = int(joint[1:]), int(result[1:])
        unit = f"zm{len(boxes)}"
        op = op_name(graph.tensors[i]._ctx)
        boxes[unit] = _Box(f"steps joined by {op}" if r == i else  # (a loop's: joined_makings)
                           f"input {graph.parents[i].index(r) + 1} of {op}", "making")
        into.update((u, unit) for u in making)
    return _merged(graph, layout, into, boxes) if boxes else layout


def _computes(graph: _Graph, layout: _Layout, making: set[str]) -> tuple:
    """What a making computes: its ops' names and result shapes, its boxes' titles; alike
    for a loop's steps, whatever indices each takes."""
    return tuple(sorted(
        (op_name(graph.tensors[int(u[1:])]._ctx), graph.tensors[int(u[1:])].shape)
        if u.startswith("f") else (layout.boxes[u].title, ()) if u in layout.boxes
        else ("", graph.tensors[int(u[1:])].shape) for u in making))


def _model_anchors(graph: _Graph, layout: _Layout) -> set[str]:
    """Module boxes holding a parameter, and the leaves fed to a module box (the model's
    input): a chain after a model folds its middle, never the model."""
    found = set()
    for unit, box in layout.boxes.items():
        if box.kind == "module" and any(graph.tensors[i]._ctx is None
                                        and graph.tensors[i].requires_grad
                                        for i in box.tensors):
            found.add(unit)
    for i, tensor in enumerate(graph.tensors):
        unit = layout.tensor_unit[i]
        if tensor._ctx is None and unit is not None and unit not in layout.boxes and any(
                layout.boxes.get(layout.op_unit[c] or "", _Box("", "")).kind == "module"
                for c in graph.consumers[i]):
            found.add(unit)
    return found


def _within(start: set[str], producers: dict[str, list[str]], consumers: dict[str, list[str]],
            steps: int | None, among: set[str] | None = None) -> set[str]:
    """The units at most `steps` edges (either way) from `start`, walking only `among`."""
    found = set(start)
    frontier = list(start)
    while frontier and (steps is None or steps > 0):
        following = []
        for unit in frontier:
            for other in (*producers.get(unit, ()), *consumers.get(unit, ())):
                if other not in found and (among is None or other in among):
                    found.add(other)
                    following.append(other)
        frontier = following
        steps = None if steps is None else steps - 1
    return found


def _ops_inside(graph: _Graph, box: _Box) -> str:
    """What a fold holds, in words: `28 × mul, 28 × add, 28 × tanh`."""
    counts = Counter(op_name(graph.tensors[i]._ctx) for i in box.ops)  # (as spelled: `view`)
    return ", ".join(f"{n} × {name}" for name, n in counts.items())


# ---------------------------------------------------------------------------------------
# The text of a fold (`boxes._box_lines` draws the box)


def _structure_lines(drawing: Any, box: Any, count: int) -> list[list[str]]:
    """A fold of `folds.py`: what it holds, and the values and gradients of its parameters."""
    graph = drawing.graph
    if box.kind == "sum":
        return [[f"<B>{_escape(box.title)}</B>" + _sum_constants(drawing, box)],
                [f"{len(box.ops)} add ops in one"]]
    if box.kind == "making":
        return making_lines(drawing, box, count, _ops_inside(graph, box))
    if box.kind == "chain":
        lines = [[f"<B>… {count} nodes folded …</B>"],
                 ["ops: " + _escape(_ops_inside(graph, box))], *repeated_lines(graph, box.ops)]
    else:
        lines = [[f"<B>{_escape(box.title)}</B>"]] + ([[_escape(box.note)]] if box.note else [])
    leaves = [i for i in box.tensors if graph.tensors[i]._ctx is None
              and graph.tensors[i].requires_grad]
    if leaves:
        shown = [drawing.name(i)[0] for i in leaves]
        named = shown[0] if len(shown) == 1 else f"{shown[0]} … {shown[-1]}"
        lines.append([f"{len(leaves)} parameter{'s' if len(leaves) > 1 else ''}: "
                      f"{_escape(named)}"])
        options = drawing.options
        if options.show_data and all(graph.tensors[i].size == 1 for i in leaves):
            values = np.array([graph.tensors[i]._data.item() for i in leaves])
            lines.append(["data ", _value(values, options.precision)])
        if options.show_grad:
            lines += _box_grad_lines(drawing, leaves)
    return lines


def _box_grad_lines(drawing: Any, leaves: list[int]) -> list[list[str]]:
    """The gradients of a fold's parameters, as `_grad_lines` gives a node's: None said
    (in the forward view, where some `.grad` is None, those named and the others listed), a
    `.grad` unlike this output's gradient said, with each cause as the parameter's node
    tells it (`held.folded_held_lines`)."""
    precision = drawing.options.precision
    word = ".grad " if drawing.options.mode == "forward" else "grad "
    grads = [drawing.grad(i) for i in leaves]
    missing = sum(g is None for g in grads)
    if missing and (missing == len(grads) or word == "grad "):
        return [[word + "None" + (f" for {missing} of {len(grads)}" if missing < len(grads)
                                  else "")]]
    if any(np.size(g) != 1 for g in grads):  # (arrays: no list of values, a None counted)
        return [[f"{word}None for {missing} of {len(grads)}"]] if missing else []
    if missing:  # (the forward view's `.grad`: those None named, the others' listed)
        return folded_held_lines(drawing, leaves)
    lines = [[word, _value(np.array([np.asarray(g).item() for g in grads]), precision)]]
    return lines + folded_held_lines(drawing, leaves)


def _sum_constants(drawing: Any, box: Any) -> str:
    """` (one a constant, 25)`: the terms of a sum drawn in no node, so its terms add up."""
    graph = drawing.graph
    values = [graph.tensors[p]._data for i in box.ops for p in graph.parents[i]
              if p in drawing.hidden and _sum_constant(graph, p)]
    if not values:
        return ""
    precision = drawing.options.precision
    if len(values) == 1:
        return f" (one a constant, {_escape(_array(values[0], precision))})"
    total = _array(np.sum(values, axis=0), precision)
    return f" ({len(values)} constants, together {_escape(total)})"

"""The making of one result: the nodes of a graph that feed nothing but it, and what a fold
holds many times over (a loop's steps).

A node's immediate post-dominator (`post_dominators`) is the nearest node every path from
it to the output passes through; the making of a result is its subtree in that tree, what
computes the result and nothing else. Two uses, both in folds of a large graph:

- `joined_makings`: where one op joins two or more results each made by `_MAKING` units or
  more of their own (the Bi-LSTM CRF tutorial's `forward_score - gold_score`: its forward
  algorithm, some 340 nodes outside any module call, and the gold path's score), each
  making is one box titled by the input it makes (`input 1 of sub`), with the result's
  value and gradient (`folds._fold_makings`); no parameter, named tensor, module call
  with parameters or the model's input goes into one (`folds._anchors`). Where the
  results joined, three or more, are made alike (the forward algorithm drawn alone: `cat`
  of one log-sum-exp per tag, at each word), they are a loop's steps: the joint's result and its
  making, every step, is the one box (`steps joined by cat`).
- `repeated`: the alike parts a fold holds, each the making of one result inside it
  (`10 × the same 16 ops`: a loop's body run ten times), said in the fold's box.

`making_lines`: the text of a making's box; `result_lines`, a box's result (`box_results`)
with its value and gradient (a module call's box's too), the gradient said with the word a
tensor node says it with (`grad_word`, labels.py's too), and a retained `.grad` that holds
other numbers said as its opened node says it (`held.held_lines`).
"""
from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from .held import held_lines
from .text import _BOX_LINE, _escape, _font, _value
from .titles import op_name
from .tooltips import unless_reached

_MAKING = 10  # units: an input of a join made by this many of its own folds into one box
_PART = (3, 40)  # ops: the sizes of the alike parts a fold's box says it repeats
_REPEATS = 3  # a part said to repeat is found at least this many times
_SINK = object()  # what the results leaving a fold flow into


def post_dominators(producers: dict, consumers: dict, sink: Hashable) -> tuple[dict, list]:
    """Each node's immediate post-dominator (the sink's is None), for a graph whose edges run
    from producers to consumers towards `sink`, and the nodes in the order met, consumers
    before their producers; a node with a path that never reaches the sink (a cycle among
    folded boxes) is left out."""
    waiting = {u: len(set(cs)) for u, cs in consumers.items()}
    ipdom: dict = {sink: None}
    depth = {sink: 0}
    order = [sink]
    for u in order:  # (grows while it is walked: a breadth-first walk, no recursion)
        for p in dict.fromkeys(producers.get(u, ())):
            waiting[p] -= 1
            if waiting[p]:
                continue
            found = None
            for c in dict.fromkeys(consumers[p]):
                found = c if found is None else _meet(found, c, ipdom, depth)
            ipdom[p], depth[p] = found, depth[found] + 1
            order.append(p)
    return ipdom, order


def _meet(a: Hashable, b: Hashable, ipdom: dict, depth: dict) -> Hashable:
    """The nearest node that post-dominates both a and b."""
    while a != b:
        if depth[a] >= depth[b]:
            a = ipdom[a]
        else:
            b = ipdom[b]
    return a


def _children(ipdom: dict) -> dict:
    tree: dict = {}
    for u, d in ipdom.items():
        if d is not None:
            tree.setdefault(d, []).append(u)
    return tree


def _subtree(tree: dict, root: Hashable, stop: set, limit: int | None = None) -> set:
    """`root` and every node below it in the post-dominator tree, not below a `stop` (nor
    one); at most `limit` nodes (more: the first limit + 1 found)."""
    found, frontier = {root}, [root]
    while frontier and (limit is None or len(found) <= limit):
        u = frontier.pop()
        for c in tree.get(u, ()):
            if c not in stop and c not in found:
                found.add(c)
                frontier.append(c)
    return found


def joined_makings(producers: dict, consumers: dict, sink: str, anchors: set,
                   is_result: Any, alike: Any) -> list[tuple[str, str, set]]:
    """(joint, result, making): for each op unit joining two or more results (units for
    which `is_result` holds) made by `_MAKING` units or more each, every such result and its
    making, which only the result leaves; the joints nearest the output first. Where the
    makings of a joint, `_REPEATS` or more, are all alike (`alike` gives one key for each:
    a loop's steps, `cat` of one step per tag), the joint's own result and its making
    instead (every step of the loop, the earlier joints of it too): one box, not one per
    step (two alike, `f(a) - f(b)`, stay two: each its own value)."""
    ipdom, order = post_dominators(producers, consumers, sink)
    tree = _children(ipdom)
    size: dict = {}  # each making's units, anchors' makings left out (producers first)
    for u in reversed(order):
        size[u] = 1 + sum(size[c] for c in tree.get(u, ()) if c not in anchors)
    taken: set = set()
    found: list[tuple[str, str, set]] = []
    for joint in order:
        if joint in taken or not str(joint).startswith("f"):
            continue
        made = []
        results = [r for r in dict.fromkeys(producers.get(joint, ())) if r in size
                   and size[r] >= _MAKING and r not in anchors and is_result(r)]
        for result in results if len(results) >= 2 else ():
            making = _subtree(tree, result, anchors)
            if len(making) >= _MAKING and all(c in making for u in making - {result}
                                              for c in consumers.get(u, ())):
                made.append((joint, result, making))
        if len(made) >= _REPEATS and len({alike(making) for _, _, making in made}) == 1:
            result = consumers[joint][0]  # (a loop's step: what the loop makes, as one)
            whole = _subtree(tree, result, anchors) \
                if result not in anchors and result in ipdom else set()
            if all(making <= whole for _, _, making in made):  # (the steps feed it alone)
                made = [(joint, result, whole)]
        if len(made) >= 2 or made and made[0][1] == consumers[joint][0]:
            found += made
            taken.update(*(making for _, _, making in made))
    return found


def repeated(graph: Any, ops: list[int]) -> tuple[int, list[int]] | None:
    """The alike parts a fold of `ops` holds most entries of: (how many, one part's ops in
    graph order). A part is the making of one result inside the fold, of 3 to 40 ops; parts
    are alike when their ops have the same names and result shapes (the indices a loop
    takes may differ); None when no part is found `_REPEATS` times."""
    inside = set(ops)
    roots = set(graph.roots)
    producers: dict = {o: [p for p in graph.parents[o] if p in inside] for o in ops}
    consumers: dict = {}
    for o in ops:
        within = [c for c in graph.consumers[o] if c in inside]
        leaves = o in roots or len(within) < len(graph.consumers[o]) or not within
        consumers[o] = within + ([_SINK] if leaves else [])
        if leaves:
            producers.setdefault(_SINK, []).append(o)
    tree = _children(post_dominators(producers, consumers, _SINK)[0])
    alike: dict[tuple, list[set]] = {}
    for o in ops:
        part = _subtree(tree, o, set(), _PART[1])
        if _PART[0] <= len(part) <= _PART[1]:
            shape = tuple(sorted((graph.tensors[q]._ctx.name, graph.tensors[q].shape)
                                 for q in part))
            alike.setdefault(shape, []).append(part)
    best = max((parts for parts in alike.values() if len(parts) >= _REPEATS),
               key=lambda parts: len(parts) * len(parts[0]), default=None)
    return None if best is None else (len(best), sorted(best[0]))


def repeated_lines(graph: Any, ops: list[int]) -> list[list[str]]:
    """`10 × the same 16 ops: getitem, view, expand, ...`, wrapped; none when nothing repeats."""
    found = repeated(graph, ops)
    if found is None:
        return []
    count, part = found
    return _wrapped(f"{count} × the same {len(part)} ops (a loop?): ",
                    [op_name(graph.tensors[q]._ctx) for q in part])


def _wrapped(start: str, items: list[str], width: int = 60) -> list[list[str]]:
    """`start` and the items, comma-separated, as lines of about `width` characters, no
    item broken (`11 × sub` stays on one line)."""
    lines = [start]
    for k, item in enumerate(items):
        piece = item + (", " if k < len(items) - 1 else "")
        if len(lines[-1]) + len(piece.rstrip()) > width and lines[-1].strip():
            lines.append("")
        lines[-1] += piece
    return [[_escape(line.rstrip(), 10**3)] for line in lines]


def making_lines(drawing: Any, box: Any, count: int, ops: str) -> list[list[str]]:
    """A making's box: the input it makes, how many nodes, which `ops`, what repeats, and
    the result with its value and gradient, as a module call's box shows its result."""
    graph = drawing.graph
    lines = [[f"<B>{_escape(box.title)}</B>"],
             [f"made by {count} nodes"],
             *_wrapped("ops: ", ops.split(", "))]
    return lines + repeated_lines(graph, box.ops) + result_lines(drawing, box)


def box_results(drawing: Any, box: Any) -> list[int]:
    """The tensors made inside a box that something outside it uses: its results."""
    graph = drawing.graph
    return [i for i in box.tensors if graph.tensors[i]._ctx is not None
            and any(c not in box.ops for c in graph.consumers[i])]


def result_lines(drawing: Any, box: Any) -> list[list[str]]:
    """A box's result (its one tensor used outside it) with its value and gradient; none
    where it has several (a module call's box shows its result the same way)."""
    graph, options = drawing.graph, drawing.options
    results = box_results(drawing, box)
    if len(results) != 1:
        return []
    r, lines = results[0], []
    if options.show_data:
        lines.append(["result ", _value(graph.tensors[r]._data, options.precision)])
    grad = drawing.grad(r)
    if options.show_grad:
        color = drawing.color(r)
        said = [] if grad is None else [[_font(grad_word(drawing, r), color),
                                         _value(grad, options.precision, color)]]
        # (what `.grad` holds unlike it, a retained result's, or what its hook sent on, as
        # its opened node says)
        said += held_lines(drawing, r, color if options.mode == "backward" else None,
                           _BOX_LINE, whose="a hook on its result")
        lines += unless_reached(color is None, said)
    return lines


def grad_word(drawing: Any, i: int) -> str:
    """How a node or box says the gradient `drawing.grad(i)` gives: `grad ` where it is
    this backward pass's (as the edges carry), `.grad ` where it is the attribute (the
    forward view's, an input's changed in place since, one the pass gave none)."""
    grads = drawing.grads
    passed = drawing.options.mode == "backward" and i not in grads.stale_inputs \
        and grads.tensor[i] is not None
    return "grad " if passed else ".grad "

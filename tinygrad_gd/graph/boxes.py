"""The text of a box: a module or function call folded into one node, or a fold of folds.py.

`_box_lines` writes a call's box: its title, how many nodes it holds, its parameters and
buffers by name, its result with its value and gradient (`makings.result_lines`), and in
the backward view how each parameter's gradient is made (`_parameter_products`), in the
words of the product its edge writes where the call is drawn open (`products._product`):
`4.weight grad = (result grad)ᵀ @ input`, `4.bias grad = sum over the batch (axis 0) of
(result grad)`, `1.g grad = (result grad) × input` for a module's `g * x`, the result's
gradient being the box's `grad` line and the input the node its one edge in comes from.
The product is this pass's gradient; where `.grad` holds other numbers, what the opened
picture says of them follows it: the entries `freeze_` zeroes (`products.frozen_line`,
the opened edge's words) and the `.grad` line of the parameter's node (`held.held_lines`:
accumulated over backward() calls, changed by a hook). A fold's box is written by folds.py
(`_structure_lines`).
"""
from __future__ import annotations

import numpy as np

from .derivatives import _grouped
from .folds import _structure_lines
from .labels import _Drawing, _drawn
from .held import apart_length, fitted, held_lines
from .makings import box_results, grad_word, result_lines
from .nans import _bad_data, _red
from .products import _Operand, _product, frozen_line
from .text import _BOX_LINE, _cut, _escape, _font, _pieces, _width
from .tooltips import Cut, unless_reached
from .walk import _Box



def _box_lines(drawing: _Drawing, unit: str) -> tuple[list[list[str]], bool]:
    """(lines, anomaly) of a box: what it holds, and whether a NaN or Inf is inside."""
    box = drawing.layout.boxes[unit]
    graph = drawing.graph
    count = _drawn(drawing, [box])
    if box.kind == "rest":
        # (how to draw them is said once, in the notes: with module calls folded,
        # max_nodes=None alone would not)
        lines = [[f"<B>{count} more nodes folded</B>"]]
    elif box.kind in ("sum", "alike", "chain", "making"):
        lines = _structure_lines(drawing, box, count)
    else:
        call = "function call" if box.function else "module call"  # (the option that
        # draws its nodes is said once, in the notes under the drawing: `_notes`)
        lines = [[f"<B>{_escape(box.title)}</B>"], [f"{call}: {count} nodes"]]
        for word, state in (("params", False), ("buffers", True)):  # state: not learned
            named = _named_leaves(drawing, box, state)
            if named:  # (the first three, then how many more)
                more = f" + {len(named) - 3} more" if len(named) > 3 else ""
                lines.append([f"{word}: " + ", ".join(_escape(drawing.name(i)[0])
                                                      for i in named[:3]) + more])
        lines += result_lines(drawing, box)  # the module call's result: value and gradient
        lines += _parameter_products(drawing, box, unit, max(map(_width, lines)))
    at = 2 if box.kind == "module" else len(lines)  # (a call's: before its values)
    lines[at:at] = _hidden_numbers(drawing, box, max(_BOX_LINE, *map(_width, lines)))
    anomaly = any(_bad_data(graph, i) for i in box.tensors + box.ops)
    if anomaly:
        lines.append([_red("NaN or Inf inside")])
    return lines, anomaly


def _hidden_numbers(drawing: _Drawing, box: _Box, room: int) -> list[list[str]]:
    """`holds add result #1-#3`, a line per title: the numbered results a box hides whose
    title is drawn numbered outside it (an `add result #4` drawn alone: where #1-#3 are).
    Not a title a box gives (`Two result #2`): those drawn are numbered among themselves.
    A line is cut to `room` characters (`#1-#7, #9 and 4 more`, results counted), the
    box's widest other line or a result line's: interleaved chains leave many runs; the
    box's tooltip lists them all (`Cut`)."""
    inside = set(box.tensors)
    outside = {found[0] for j in range(len(drawing.graph.tensors)) if j not in inside
               and drawing.drawn(j) and drawing.box_of_result(j) is None
               and (found := drawing.numbered(j))}
    held: dict[str, list[int]] = {}
    for i in box.tensors:
        found = None if drawing.drawn(i) else drawing.numbered(i)
        if found and found[0] in outside:
            held.setdefault(found[0], []).append(found[1])
    return [Cut([_runs(f"holds {_escape(title)} ", sorted(numbers), room)],
                whole=_runs(f"holds {_escape(title)} ", sorted(numbers), 10**9))
            for title, numbers in held.items()]


def _runs(said: str, numbers: list[int], room: int) -> str:
    """`said` and sorted numbers as runs, `#1-#3, #5`, in `room` characters: as many runs as
    fit with the count of the numbers left, `#1-#3, #5 and 4 more` (one run at least);
    all of them where they fit, and with `room` unbounded (a tooltip's line)."""
    runs: list[list[int]] = []
    for k in numbers:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    written = [f"#{run[0]}" if len(run) == 1 else f"#{run[0]}-#{run[-1]}" for run in runs]
    if len(said + ", ".join(written)) <= room:  # (all of them fit: no count in their place)
        return said + ", ".join(written)
    shown, left = 1, len(numbers) - len(runs[0])
    while shown < len(runs):
        left -= len(runs[shown])
        more = f" and {left} more" if left else ""
        if len(said + ", ".join(written[:shown + 1]) + more) > room:
            left += len(runs[shown])
            break
        shown += 1
    return said + ", ".join(written[:shown]) + (f" and {left} more" if left else "")


def _named_leaves(drawing: _Drawing, box: _Box, state: bool) -> list[int]:
    """The leaves of a call's box that have a name: its parameters, or (`state`) buffers."""
    graph = drawing.graph
    return [i for i in box.tensors if graph.tensors[i]._ctx is None and drawing.name(i)[1]
            and getattr(graph.tensors[i], "_made_in", None) is None
            and (id(graph.tensors[i]) in drawing.names.buffers) == state]


def _parameter_products(drawing: _Drawing, box: _Box, unit: str,
                        widest: int) -> list[list[str]]:
    """`4.weight grad = (result grad)ᵀ @ input`: for each parameter the box names (the first
    three) that only the op making the box's one result uses, the product that makes its
    gradient as the opened edge writes it, in names (`products._product`): the gradient
    arriving is the box's `grad` line, `(result grad)`; an input by its name where the user
    gave it one drawn once (`images`), else `input` where it is the one tensor coming into
    the box. None said where the product has no such names (an op inside the box), and
    none in the forward view, which shows no factors. An input's name is cut as its node's
    title is (`_input_name`) where the product would be wider than the box's `widest` other
    line. Under a product, what `.grad` holds unlike it (frozen entries, `.grad` accumulated
    or hooked), as the opened picture says."""
    graph, grads, options = drawing.graph, drawing.grads, drawing.options
    results = box_results(drawing, box)
    if options.mode != "backward" or not options.show_grad or len(results) != 1 \
            or drawing.grad(results[0]) is None:
        return []
    op = results[0]
    parents = graph.parents[op]
    coming = {q for i in box.ops for q in graph.parents[i]
              if drawing.layout.tensor_unit[q] != unit and q not in drawing.hidden}

    named = [p for p in _named_leaves(drawing, box, False)[:3]
             if p in parents and graph.consumers[p] == [op]
             and all(grads.edge.get((op, slot)) is not None
                     for slot, q in enumerate(parents) if q == p)]
    # what `.grad` holds unlike the product, as the opened picture's edge and node say: the
    # frozen entries (cut to a result line's width) and the `.grad` line, each its words
    # (`zeroed in .grad`, `(accumulated)`) under it where the box is narrow; measured
    # first, so that an input's name is cut only where the box would otherwise grow (a
    # parameter whose product turns out unsaid counted too: each product is made once)
    held = {p: [*(fitted(frozen.shown, frozen.said, _BOX_LINE)
                  if (frozen := frozen_line(drawing, p, drawing.color(p),
                                            _BOX_LINE - len(":"))) else []),
                *held_lines(drawing, p, drawing.color(p), _BOX_LINE,
                            f"{_escape(drawing.name(p)[0])} ")] for p in named}
    widest = max([widest, *(_width(line) for said in held.values() for line in said)])
    limit = max(_BOX_LINE, widest) - len("(result grad)ᵀ @ ")
    lines = []
    for p in named:
        slots = [slot for slot, q in enumerate(parents) if q == p]
        made = _product(drawing, op, p, slots, np.sum([grads.edge[op, s] for s in slots], 0),
                        lambda operand: _operand_name(drawing, op, coming, limit, operand))
        if made is None:  # (an operand with no name a reader can find)
            continue
        color, title = drawing.color(p), _escape(drawing.name(p)[0])
        said = [_font(f"{title} {grad_word(drawing, p)}= ", color)]
        product = _pieces(made.pieces, options.precision, color)
        lines += unless_reached(color is None, [*fitted(said, product, _BOX_LINE), *held[p]])
    return lines


def _operand_name(drawing: _Drawing, op: int, coming: set[int], limit: int,
                  operand: _Operand) -> str | None:
    """An operand of op, the op making a box's one result, in its product's words: the
    gradient arriving as `(result grad)`, an input by its name where the user gave it one
    drawn once, cut to `limit` characters (`_input_name`), else `input` where it is the one
    tensor `coming` into the box; None where a reader finds no such name."""
    if operand < 0:
        return "(result grad)"
    q = drawing.graph.parents[op][operand]
    if drawing.name(q)[1] and drawing.drawn_once(q):
        return _grouped(_input_name(drawing, q, limit))
    return "input" if coming == {q} else None


def _input_name(drawing: _Drawing, q: int, limit: int) -> str:
    """Input q's name in a box's product: cut as a node's title is (`_cut`: its end, a ` #2`
    kept) to `limit` characters, or to as few more as tell it apart (`apart_length`)."""
    return _cut(drawing.name(q)[0], apart_length(drawing, q, limit))

"""Frames: the module calls of a drawing drawn open, each a dashed box around its ops and
the tensors they made, titled with the call (`0: Linear(3 -> 4)`), nested as the calls
are (a model's frame holds its layers' frames).

The title is a small text node inside its frame, beside the frame's first node, not the
frame's own label: Graphviz routes edges around nodes, but over a cluster's label (an
arrow into a layer ran through `1: ReLU`).

Only where no call is folded: a drawing with boxes (a large graph) shows the calls as
the boxes. A leaf the user gave (a parameter, the data) stays outside every frame, an
input of the calls that use it; a constant a call made for itself (`tg.full`, `tg.zeros`
in a forward: `scope.made_here`), used only there, is drawn inside the frame that made
it, as it is named (`constant in 0: Scaled`); the output stays outside, at the top.

`frame_paths` finds the calls each drawn node is inside, and `framed` writes the frames,
nested, with their titles.

An edge's label stays inside the frames that hold both its ends (`label_inside`). dot
keeps a label's room inside the frame, right of a point it places on the edge, but then
sets the label right of wherever it routed the edge's line; with the frame pulled narrow
that point sat left of a line running straight between the edge's ends, and the label
ran past the frame's right side (its top, across a drawing from left to right). An edge
weighted to stay straight keeps the two together; one that other edges hold slanting (its
ends a result used twice and one of its uses) can still set its label past its room, by
up to half its slant.

Where two parameters or more from outside every frame feed a framed op (a layer's weight
and bias), their edges leave their boxes from the side facing the op (`into_frame`) and
the forward view spaces its ranks wider (`rank_gap`): routed in the narrow gap between
their rank and the frame's top, the bias ran along the bottom of the weight's box.
"""
from __future__ import annotations

from typing import Any

import graphviz

from ..scope import owners_of
from .calls import _call_key, _common_prefix_length, _made_in_call, _module_title
from .text import _escape
from .tooltips import tooltip

__all__ = ["frame_paths", "framed", "label_inside", "into_frame", "rank_gap"]

_FRAME = {"style": "rounded,dashed", "color": "#adb5bd", "margin": "12"}
# dot pulls each frame's sides together with weight 128: an edge's pull to stay straight
# must beat that, per frame that would widen, for its label to keep beside the line
_STRAIGHT = 256
_TITLE = {"shape": "plaintext", "fontname": "Helvetica", "fontsize": "9",
          "fontcolor": "#868e96", "margin": "0", "width": "0", "height": "0"}


def frame_paths(drawing: Any) -> dict[str, tuple]:
    """Each unit drawn inside a module call: its calls, outermost first, as (key, title)
    pairs; {} when the drawing folds any call (or anything else) into a box."""
    graph, layout = drawing.graph, drawing.layout
    if layout.boxes:
        return {}
    roots = set(graph.roots)
    paths: dict[str, tuple] = {}
    for i, tensor in enumerate(graph.tensors):
        ctx = tensor._ctx if tensor._ctx is not None else _made_in_call(graph, i)
        # (a constant made in a call: its owners and call numbers, drawn in its frame)
        scope = ctx[0] if isinstance(ctx, tuple) else owners_of(ctx)
        if not scope:
            continue
        path = tuple((key, _module_title(scope[:level + 1], drawing.names))
                     for level in range(len(scope))
                     if (key := _call_key(ctx, level)) is not None)
        for unit in (layout.op_unit[i], None if i in roots else layout.tensor_unit[i]):
            if unit is not None and path:
                paths[unit] = path
    return paths


def framed(dot: graphviz.Digraph, units: dict[str, tuple],
           emit: Any) -> None:
    """Emit every unit (`emit(graph, unit)` writes its node into `graph`) into `dot`, those
    of `units` inside their frames, nested; the others as they come."""
    frames: dict[tuple, graphviz.Digraph] = {}
    order: list[tuple] = []  # the frames' paths, in the order first met
    for unit, path in units.items():
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix not in frames:
                frame = graphviz.Digraph(name=f"cluster_{len(frames)}")
                title = path[depth - 1][1]
                frame.attr(tooltip=tooltip(title), **_FRAME)  # (a name's `\N` expands nothing)
                # a node with no edge: ranked first in its frame, beside the frame's top node
                frame.node(f"heading{len(frames)}", f"<{_escape(title, 10**6)}>",
                           tooltip=tooltip(title), **_TITLE)
                frames[prefix], order = frame, order + [prefix]
        emit(frames[path], unit)
    for prefix in sorted(order, key=len, reverse=True):  # (a child copied into its parent)
        parent = frames[prefix[:-1]] if len(prefix) > 1 else dot
        parent.subgraph(frames[prefix])


def label_inside(paths: dict[str, tuple], tail: str, head: str) -> dict[str, str]:
    """The attributes that keep the label of an edge between `tail` and `head` inside the
    frames that hold both (`paths`, as `frame_paths` gives them): a weight that holds the
    edge straight; {} where no frame holds both."""
    shared = _common_prefix_length(paths.get(tail, ()), paths.get(head, ()))
    return {"weight": str(_STRAIGHT * shared)} if shared else {}


_FACING = {"TB": "s", "BT": "n", "LR": "e", "RL": "w"}  # the side of a box toward the next rank


def _parameters_into(drawing: Any, paths: dict[str, tuple], head: str) -> int:
    """How many parameters from outside every frame feed the framed node `head` (a layer's
    weight and bias: side by side in one rank, the farther one's edge runs past the other)."""
    tensors = drawing.graph.tensors
    return sum(1 for source, target in drawing.layout.edges if target == head
               and source not in paths and source[:1] == "t" and source[1:].isdigit()
               and tensors[int(source[1:])]._ctx is None
               and tensors[int(source[1:])].requires_grad)


def into_frame(drawing: Any, paths: dict[str, tuple], tail: str, head: str) -> dict[str, str]:
    """The port an edge from outside every frame into a framed node fed two parameters or
    more leaves its box by, facing the node (`paths`: the framed units, as `frame_paths`
    gives them); {} for any other edge."""
    if head not in paths or tail in paths or _parameters_into(drawing, paths, head) < 2:
        return {}
    return {"tailport": _FACING[drawing.options.direction]}


def rank_gap(drawing: Any, paths: dict[str, tuple]) -> str:
    """Graphviz's ranksep (inches): wider in a forward view where a framed node is fed two
    parameters or more from outside (`into_frame`), their edges run between their rank and
    the frame's top."""
    crowded = drawing.options.mode == "forward" and any(
        _parameters_into(drawing, paths, unit) >= 2 for unit in paths)
    return "0.4" if crowded else "0.3"

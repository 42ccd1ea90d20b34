"""Tooltips: what a browser shows where the pointer rests on a node or an edge of an SVG
(dot.py sets them; the drawing they read is `labels._Drawing`, passed in).

Without them it showed Graphviz's ids (`t3`, `f4->t3`). A node's tooltip is its label as
plain text; a tensor whose label shows a few entries and the range (more than 12, not
all equal) lists its values and gradient in full in its tooltip, up to `_LISTED` entries.
An edge's says what flows along it: a value forward, a gradient backward. In a frame of
the step-by-step page, a tooltip leaves out what the frame hides (the gradients the pass
has not reached yet), as the picture does: the label's writers mark those lines
`Unreached` (`unless_reached`), and a tooltip is made of the others (`shown`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .text import _cut, _nested, _shown_whole, plain
from .titles import op_name

_LISTED = 100  # entries a tooltip lists in full: a 10x10 matrix, not a 784x10 weight


class Unreached(list):
    """A label's line that a step-by-step frame has not reached (a gradient the pass has
    not computed yet): drawn in the colour the page hides, so every frame keeps one
    layout, and left out of the tooltip, where it would give the gradient away."""


class Cut(list):
    """A label's line cut to the box's width (a box's `holds add result #1, #3 and 4 more`):
    its tooltip tells it `whole`, so what the label leaves out is somewhere in the picture."""

    def __init__(self, line: list[str], whole: str) -> None:
        super().__init__(line)
        self.whole = whole


def unless_reached(reached: bool, lines: list[list[str]]) -> list[list[str]]:
    """`lines` as they are where the frame has `reached` them, else each one `Unreached`."""
    return lines if reached else [Unreached(line) for line in lines]


def shown(lines: list[list[str]]) -> list[list[str]]:
    """The lines of a label a tooltip tells: those the frame has reached, a `Cut` one whole."""
    return [[line.whole] if isinstance(line, Cut) else line for line in lines
            if not isinstance(line, Unreached)]


def tooltip(text: str) -> str:
    """`text` as Graphviz's tooltip attribute: its lines kept, nothing in it expanded (a
    backslash would start Graphviz's escapes, `\\N` the node's id), a name's control
    characters shown as the labels show them (`⧵x00`)."""
    return text.replace("\\", "⧵").translate(_CONTROLS).replace("\n", "\\n")


_CONTROLS = {c: f"⧵x{c:02x}" for c in [*range(32), *range(127, 160)] if c != ord("\n")}


def named(name: str) -> str:
    """A node's name in a tooltip: cut as the labels cut it (`_cut`)."""
    return _cut(name)


def node_tip(label: str, values: Any = None, grad: Any = None, precision: int = 4) -> str:
    """A node's tooltip: its label's text, and the values and gradient of a tensor whose
    label shows only some of them, in full."""
    lines = [plain(label)]
    for what, array in (("data", values), ("grad", grad)):
        if array is not None and not _shown_whole(array) and np.size(array) <= _LISTED:
            lines.append(f"{what} in full: {_nested(np.asarray(array), precision)}")
    return tooltip("\n".join(lines))


def tensor_tip(drawing: Any, i: int, label: str) -> str:
    """The tooltip of tensor i of a `labels._Drawing`: its values and gradient as drawn."""
    options = drawing.options
    return node_tip(label, drawing.graph.tensors[i]._data if options.show_data else None,
                    drawing.grads.tensor[i] if options.mode == "backward"
                    and drawing.reached(i) else None, options.precision)


def edge_tip(drawing: Any, source: str, target: str, label: str | None, flow: str) -> str:
    """An edge's tooltip: what flows from the node `source` draws to `target`'s (`flow`:
    "gradient", "input" into an op, an op's "result"), and what its label shows."""
    source, target = named(unit_name(drawing, source)), named(unit_name(drawing, target))
    words = {"gradient": f"gradient from {source} to {target}",
             "input": f"{source} into {target}", "result": f"{source} gives {target}"}[flow]
    said = plain(label) if label else ""  # (nothing in a frame the gradient has not reached)
    return tooltip(words + (f":\n{said}" if said else ""))


def unit_name(drawing: Any, unit: str) -> str:
    """What a reader calls the node `unit` draws: a tensor's name, an op's, a box's title."""
    if unit in drawing.layout.boxes:  # (a folded chain's box has no title: its label counts)
        return drawing.layout.boxes[unit].title or "the folded nodes"
    if unit[0] in "tf" and unit[1:].isdigit():
        i = int(unit[1:])
        if unit[0] == "t":
            return drawing.name(i)[0]
        return f"op {op_name(drawing.graph.tensors[i]._ctx)}"
    return unit

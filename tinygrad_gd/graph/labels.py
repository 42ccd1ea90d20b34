"""Labels and layout: what each node and edge says, and how it looks.

- the options every drawing takes (`_Options`), the node styles and the legend's words;
- numbers and arrays as text (`_number`, `_array`), escaping of user text (`_escape`);
- `_Drawing`: what the node and edge writers need, computed once (names, kinds,
  gradients, local derivatives);
- the text of an edge in the backward view (`_carried_label`) and the notes under a
  drawing (`_notes`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Function
from .walk import _Gradients, _Graph, _Layout, _local_derivatives, _Names


_DIRECTIONS = ("LR", "RL", "TB", "BT")
_MODES = ("forward", "backward")
_SHOWN_ENTRIES = 8  # arrays up to this size show every entry, larger ones min/mean/max
_NAME_LIMIT = 60  # characters of a name shown before it is cut

_STYLES: dict[str, dict[str, str]] = {
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e9ecef"},
    "constant": {"shape": "box", "style": "rounded,filled,dotted", "fillcolor": "#f8f9fa"},
    "parameter": {"shape": "box", "style": "filled,bold", "fillcolor": "#cfe2ff"},
    "frozen": {"shape": "box", "style": "filled,dashed", "fillcolor": "#dee2e6"},
    "partly_frozen": {"shape": "box", "style": "filled,dashed,bold", "fillcolor": "#cfe2ff"},
    "intermediate": {"shape": "box", "style": "rounded"},
    "output": {"shape": "box", "style": "filled,bold", "fillcolor": "#ffd8a8",
               "peripheries": "2"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fff3bf"},
    "module": {"shape": "box3d", "style": "filled", "fillcolor": "#d3f9d8"},
    "rest": {"shape": "note", "style": "filled", "fillcolor": "#f1f3f5"},
}
_ANOMALY_STYLE = {"color": "#e03131", "penwidth": "3"}
_HIGHLIGHT_STYLE = {"color": "#c92a2a", "penwidth": "4", "fillcolor": "#ffc9c9"}
_NO_GRAD_EDGE = {"style": "dashed", "color": "#adb5bd"}

_LEGEND = (
    ("input", "input / data (leaf)"),
    ("constant", "constant (0-d leaf)"),
    ("parameter", "parameter (requires_grad)"),
    ("frozen", "frozen parameter"),
    ("partly_frozen", "partly frozen (frozen_mask)"),
    ("intermediate", "intermediate result"),
    ("output", "output"),
    ("op", "op"),
    ("module", "module call (folded)"),
    ("anomaly", "NaN or Inf"),
    ("highlight", "highlighted"),
)


@dataclass
class _Options:
    show_data: bool
    show_grad: bool
    direction: str
    max_nodes: int | None
    mode: str
    legend: bool
    precision: int

    @classmethod
    def checked(cls, where: str, show_data: bool = True, show_grad: bool = True,
                direction: str = "LR", max_nodes: int | None = 200, mode: str = "forward",
                legend: bool = False, precision: int = 4, **_names_and_highlight: Any,
                ) -> _Options:
        unknown = set(_names_and_highlight) - {"params", "model", "highlight"}
        if unknown:
            raise TypeError(f"{where}: unknown option(s) {sorted(unknown)}")
        if direction not in _DIRECTIONS:
            raise ValueError(f"{where}: direction must be one of {_DIRECTIONS} (Graphviz's "
                             f"rankdir), got {direction!r}")
        if mode not in _MODES:
            raise ValueError(f"{where}: mode must be 'forward' or 'backward', got {mode!r}")
        if max_nodes is not None and (isinstance(max_nodes, bool)
                                      or not isinstance(max_nodes, (int, np.integer))
                                      or max_nodes < 2):
            raise ValueError(f"{where}: max_nodes must be None (draw every node) or an "
                             f"integer >= 2, got {max_nodes!r}")
        if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)) \
                or not 1 <= precision <= 17:
            raise ValueError(f"{where}: precision must be an integer from 1 to 17 "
                             f"(significant digits), got {precision!r}")
        return cls(bool(show_data), bool(show_grad), direction,
                   None if max_nodes is None else int(max_nodes), mode, bool(legend),
                   int(precision))


# ---------------------------------------------------------------------------------------
# Text: numbers, arrays, escaping


def _escape(text: str, limit: int = _NAME_LIMIT) -> str:
    """User text made safe inside an HTML-like label: entities, no control characters."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    # Graphviz rejects an empty <B></B> and a text that is only "]" between tags, and
    # expands \N, \G ... even in HTML labels: a backslash is doubled to stay one backslash
    return text.translate(_ESCAPES) if text else "(empty)"


_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;",
            ord("'"): "&#39;", ord("]"): "&#93;", ord("\\"): "\\\\",
            ord("\n"): "<BR/>", ord("\t"): " "}
_ESCAPES.update({c: f"\\x{c:02x}" for c in [*range(32), *range(127, 160)] if c not in _ESCAPES})


def _number(value: Any, precision: int) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if value.is_integer() and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.{precision}g}"


def _array(a: Any, precision: int) -> str:
    """All entries of a small array, min/mean/max of a large one (label-safe as it is)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _number(a.item(), precision)
    if a.size <= _SHOWN_ENTRIES:
        return _nested(a, precision)
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    bad = a.size - finite.size
    text = ("min {} mean {} max {}".format(*(_number(f(finite), precision) for f in
                                              (np.min, np.mean, np.max)))
            if finite.size else "no finite entry")
    return text + (f" ({bad} NaN/Inf)" if bad else "")


def _nested(a: np.ndarray, precision: int) -> str:
    if a.ndim == 1:
        return "[" + ", ".join(_number(v, precision) for v in a.tolist()) + "]"
    return "[" + ", ".join(_nested(row, precision) for row in a) + "]"


def _nonfinite(a: np.ndarray | None) -> str | None:
    """'NaN', 'Inf' or 'NaN and Inf' when a float array holds them."""
    if a is None or a.dtype.kind not in "fc" or np.isfinite(a).all():
        return None
    nan, inf = bool(np.isnan(a).any()), bool(np.isinf(a).any())
    return " and ".join(w for w, has in (("NaN", nan), ("Inf", inf)) if has)


def _html(lines: list[str]) -> str:
    return "<" + "<BR/>".join(lines) + ">"


def _red(text: str) -> str:
    return f'<FONT COLOR="{_ANOMALY_STYLE["color"]}">{text}</FONT>'


# ---------------------------------------------------------------------------------------
# Drawing


@dataclass
class _Drawing:
    """Everything the node and edge writers need, computed once."""

    graph: _Graph
    layout: _Layout
    names: _Names
    options: _Options
    grads: _Gradients
    highlighted: set[str]
    culprit: Function | None
    _locals: dict[int, dict] = field(default_factory=dict)

    def local(self, i: int) -> dict[int, tuple[np.ndarray, bool]]:
        """The local derivatives of op i (see `_local_derivatives`), computed once."""
        if i not in self._locals:
            self._locals[i] = _local_derivatives(self.graph, i)
        return self._locals[i]

    def name(self, i: int) -> tuple[str, bool]:
        """The tensor's display name, and whether it is a real name (not a role)."""
        tensor = self.graph.tensors[i]
        given = self.names.tensors.get(id(tensor)) or tensor.name
        if given:
            return str(given), True
        if i == self.graph.output:
            return "output", False
        if tensor._ctx is not None:
            return f"{tensor._ctx.name} result", False
        if tensor.requires_grad:
            return "parameter", False
        return ("input" if tensor.ndim else "constant"), False

    def kind(self, i: int) -> str:
        tensor = self.graph.tensors[i]
        if i == self.graph.output:
            return "output"
        if tensor._ctx is not None:
            return "intermediate"
        mask = getattr(tensor, "frozen_mask", None)
        if mask is not None and np.any(mask):
            return "frozen" if np.all(mask) else "partly_frozen"
        if tensor.requires_grad:
            return "parameter"
        if id(tensor) in self.names.tensors:
            return "frozen"
        return "input" if tensor.ndim or tensor.name else "constant"

    def grad(self, i: int) -> np.ndarray | None:
        tensor = self.graph.tensors[i]
        if tensor.grad is not None:
            return tensor.grad._data
        return self.grads.tensor[i]


def _styled(base: dict[str, str], unit: str, drawing: _Drawing, anomaly: bool) -> dict:
    style = dict(base)
    if anomaly:
        style.update(_ANOMALY_STYLE)
    if unit in drawing.highlighted:
        style.update(_HIGHLIGHT_STYLE)
        if "filled" not in style.get("style", ""):
            style["style"] = (style.get("style", "") + ",filled").lstrip(",")
    return style


def _carried_label(drawing: _Drawing, p: int, target: str,
                   parts: list[tuple[int, int | None]]) -> str | None:
    grads = drawing.grads
    sent = [grads.edge.get((i, slot)) for i, slot in parts if slot is not None]
    if not sent or any(g is None for g in sent):
        return None
    carried = np.sum(sent, axis=0)  # x * x: both slots send a share
    precision = drawing.options.precision
    text = _array(carried, precision)
    op = parts[0][0]
    upstream = grads.tensor[op]
    if target == f"f{op}" and upstream is not None and upstream.size == 1:
        local = drawing.local(op).get(p)
        if local is not None and not local[1]:
            # the chain rule made visible: gradient arriving at the op x its local derivative
            text = f"{_array(upstream, precision)} × {_array(local[0], precision)} = {text}"
    return text


def _notes(drawing: _Drawing) -> list[str]:
    notes = []
    graph, layout = drawing.graph, drawing.layout
    folded = sum(len(b.ops) + len(b.tensors) for b in layout.boxes.values())
    if folded:
        modules = sum(1 for b in layout.boxes.values() if b.kind == "module")
        notes.append(f"{folded} of {graph.node_count} nodes folded into {len(layout.boxes)} "
                     f"box{'es' if len(layout.boxes) != 1 else ''}"
                     f"{f' ({modules} module calls)' if modules else ''} "
                     f"to stay within max_nodes={drawing.options.max_nodes}")
    if drawing.grads.note and (drawing.options.show_grad or drawing.options.mode == "backward"):
        notes.append(_escape(drawing.grads.note, 10**6))
    return notes

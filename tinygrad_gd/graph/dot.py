"""DOT output: building the `graphviz.Digraph`, rendering it, and `draw_anomaly`.

`draw_graph(output)` returns a `graphviz.Digraph` of everything that made `output`;
`render_graph(output_or_digraph, path)` renders it with a clear error when Graphviz's
`dot` program is missing; `draw_anomaly(error_or_output)` highlights where NaN or Inf
appeared. The walking of the graph is in `walk.py`, the text of its labels in
`labels.py`; this module writes nodes and edges.
"""
from __future__ import annotations

from pathlib import Path
from collections.abc import Sequence
from typing import Any, Union

import graphviz
import numpy as np

from .. import engine
from ..engine import Function
from ..tensor import Tensor
from .labels import (_ANOMALY_STYLE, _HIGHLIGHT_STYLE, _LEGEND, _NO_GRAD_EDGE, _SHOWN_ENTRIES,
                     _STYLES, _Drawing, _Options, _array, _carried_label, _escape, _html,
                     _nested, _nonfinite, _notes, _red, _styled)
from .walk import _collect, _Gradients, _gradients, _Graph, _Layout, _layout, _Names, _names

__all__ = ["draw_graph", "render_graph", "draw_anomaly", "RenderError"]

# what `highlight=` takes: a tensor, an op node, or several of them
Highlight = Union[Tensor, Function, Sequence[Union[Tensor, Function]], None]  # noqa: UP007


class RenderError(RuntimeError):
    """Rendering failed: Graphviz's `dot` program is missing, or it rejected the graph."""


# ---------------------------------------------------------------------------------------
# Public API


def draw_graph(output: Tensor, *, show_data: bool = True, show_grad: bool = True,
               direction: str = "LR", params: Any = None, max_nodes: int | None = 200,
               mode: str = "forward", legend: bool = False, model: Any = None,
               highlight: Highlight = None, precision: int = 4) -> graphviz.Digraph:
    """Draw the computation graph that made `output` as a `graphviz.Digraph`.

    `params`: a dict name -> Tensor, or a Module (anything with `named_parameters()`),
    naming the parameters; `model`: a Module, naming parameters and module calls.
    Otherwise a tensor shows its `.name`, or its role (input, constant, parameter,
    output, `<op> result`). `direction`: Graphviz's rankdir, "LR", "RL", "TB" or "BT".
    `mode`: "forward" (inputs to output) or "backward" (gradients, output to inputs; see
    the module docstring). `max_nodes`: beyond it module calls and then the nodes
    farthest from the output fold into boxes; None draws every node. `legend`: add a
    key of node styles. `highlight`: a Tensor or op node (`t.grad_fn`), or several, to
    mark. `precision`: significant digits of the numbers shown.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw_graph: output must be a Tensor (the result to draw, e.g. the "
                        f"loss), got {type(output).__name__}")
    options = _Options.checked("draw_graph", show_data, show_grad, direction, max_nodes, mode,
                               legend, precision)
    return _draw([output], None, options, _names(params, model), highlight)


def render_graph(output_or_digraph: Tensor | graphviz.Digraph, path: str | Path,
                 format: str = "svg", **draw_options: Any) -> Path:  # noqa: A002
    """Render a graph (a Digraph, or a Tensor drawn with `draw_graph(**draw_options)`).

    Writes `path` (the format's suffix is added when `path` has none) and returns it.
    Raises `RenderError` saying how to install Graphviz when its `dot` program is
    missing; the DOT text (`draw_graph(...).source`) needs no Graphviz program at all.
    """
    if isinstance(output_or_digraph, graphviz.Digraph):
        if draw_options:
            raise TypeError(f"render_graph: options {sorted(draw_options)} apply to a Tensor, "
                            f"but a Digraph was given (already drawn); pass them to "
                            f"draw_graph instead")
        graph = output_or_digraph
    elif isinstance(output_or_digraph, Tensor):
        graph = draw_graph(output_or_digraph, **draw_options)
    else:
        raise TypeError(f"render_graph: expected a Tensor or a graphviz.Digraph, got "
                        f"{type(output_or_digraph).__name__}")
    if format not in graphviz.FORMATS:
        raise ValueError(f"render_graph: unknown format {format!r}; use one of Graphviz's "
                         f"formats, e.g. 'svg', 'png' or 'pdf'")
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix("." + format)
    try:
        image = graph.pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise RenderError(
            f"render_graph: Graphviz's `dot` program was not found on PATH, so the graph "
            f"cannot be rendered to {format}. Install Graphviz (Debian/Ubuntu: "
            f"`sudo apt-get install graphviz`; macOS: `brew install graphviz`; conda: "
            f"`conda install -c conda-forge graphviz`; Windows: `winget install graphviz`), "
            f"check that `dot -V` runs, and try again. The DOT text needs no Graphviz "
            f"program: use graph.source, or graph.save('graph.gv').") from None
    except graphviz.CalledProcessError as err:
        said = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else err.stderr
        raise RenderError(f"render_graph: Graphviz's `dot` failed to render the graph to "
                          f"{format}: {str(said).strip()}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(image)
    return target


def draw_anomaly(error_or_output: BaseException | Tensor, *, output: Tensor | None = None,
                 **draw_options: Any) -> graphviz.Digraph:
    """Draw a graph with the op that first produced NaN or Inf highlighted.

    Give the output (e.g. a loss computed without `detect_anomaly()`): the culprit is the
    first node, inputs to output, whose value holds NaN or Inf while its inputs do not,
    else the first op whose backward turns a finite gradient into NaN or Inf.
    Or give the `AnomalyError` raised under `detect_anomaly()`, when it carries the op
    (`error.node`) and its inputs (`error.inputs`): with `output=` holding the op (an
    anomaly in backward) the op is highlighted in that graph; otherwise the op, which
    never produced a result, is drawn on top of its inputs' graph.
    """
    if isinstance(error_or_output, Tensor):
        culprit, mode = _find_anomaly(error_or_output)
        draw_options.setdefault("mode", mode)
        return draw_graph(error_or_output, highlight=culprit, **draw_options)
    if not isinstance(error_or_output, BaseException):
        raise TypeError(f"draw_anomaly: expected the AnomalyError raised under "
                        f"detect_anomaly() or an output Tensor, got "
                        f"{type(error_or_output).__name__}")
    node = getattr(error_or_output, "node", None)
    if not isinstance(node, Function):
        raise ValueError(
            "draw_anomaly: this error carries no graph node (no `.node` attribute), so the "
            "culprit cannot be drawn from it; compute the output again without "
            "detect_anomaly() and call draw_anomaly(output): the first NaN or Inf is found "
            "from the values")
    if output is not None and any(t._ctx is node for t in engine.toposort(output)):
        return draw_graph(output, highlight=node, **draw_options)
    # A forward anomaly stops the op before its result exists: draw the op on its inputs
    inputs = getattr(error_or_output, "inputs", None) or getattr(node, "parents", None)
    if not inputs or not all(isinstance(t, Tensor) for t in inputs):
        raise ValueError(f"draw_anomaly: the error's op '{node.name}' carries no input "
                         f"tensors (`error.inputs`); pass output= to draw the graph it is in")
    options = _Options.checked("draw_anomaly", **draw_options)
    names = _names(draw_options.get("params"), draw_options.get("model"))
    return _draw(list(inputs), node, options, names, draw_options.get("highlight"))


def _draw(roots: list[Tensor], culprit: Function | None, options: _Options, names: _Names,
          highlight: Highlight) -> graphviz.Digraph:
    graph = _collect(roots, with_output=culprit is None)
    layout = _layout(graph, names, options.max_nodes, culprit is not None)
    want_grads = options.show_grad or options.mode == "backward"
    grads = _gradients(graph) if want_grads else _Gradients([None] * len(graph.tensors), {})
    drawing = _Drawing(graph, layout, names, options, grads,
                       _highlighted_units(graph, layout, highlight, culprit), culprit)

    dot = graphviz.Digraph(name="computation_graph")
    dot.attr(rankdir=options.direction)
    dot.attr("node", fontname="Helvetica", fontsize="10")
    dot.attr("edge", fontname="Helvetica", fontsize="9")
    emitted: set[str] = set()
    for i in range(len(graph.tensors)):
        for unit in (layout.op_unit[i], layout.tensor_unit[i]):
            if unit is None or unit in emitted:
                continue
            emitted.add(unit)
            if unit in layout.boxes:
                _box_node(dot, drawing, unit)
            elif unit.startswith("f"):
                _op_node(dot, drawing, i)
            else:
                _tensor_node(dot, drawing, i)
    if culprit is not None:
        _culprit_node(dot, drawing)
    for (source, target), parts in layout.edges.items():
        _edge(dot, drawing, source, target, parts)
    if options.legend:
        _legend(dot)
    notes = _notes(drawing)
    if notes:
        dot.attr(label=_html(notes), labelloc="b", labeljust="l", fontname="Helvetica",
                 fontsize="10")
    return dot


def _highlighted_units(graph: _Graph, layout: _Layout, highlight: Highlight,
                       culprit: Function | None) -> set[str]:
    if highlight is None:
        items: list = []
    elif isinstance(highlight, (Tensor, Function)):
        items = [highlight]
    else:
        items = list(highlight)
    units = {"culprit"} if culprit is not None else set()
    ops = {id(t._ctx): i for i, t in enumerate(graph.tensors) if t._ctx is not None}
    for item in items:
        if isinstance(item, Tensor) and id(item) in graph.position:
            units.add(layout.tensor_unit[graph.position[id(item)]])
        elif isinstance(item, Function) and id(item) in ops:
            units.add(layout.op_unit[ops[id(item)]])
        elif item is not culprit:
            what = (f"a Tensor of shape {item.shape}" if isinstance(item, Tensor) else
                    f"op '{item.name}'" if isinstance(item, Function) else
                    f"a {type(item).__name__}")
            raise ValueError(f"draw_graph: highlight ({what}) is not part of the drawn graph; "
                             f"pass a Tensor of the graph or an op node (tensor.grad_fn)")
    return units


def _tensor_node(dot: graphviz.Digraph, drawing: _Drawing, i: int) -> None:
    tensor = drawing.graph.tensors[i]
    options = drawing.options
    name, real = drawing.name(i)
    kind = drawing.kind(i)
    lines = [f"<B>{_escape(name)}</B>" if real else f"<I>{_escape(name)}</I>"]
    shape = "scalar" if tensor.ndim == 0 else str(tensor.shape)
    lines.append(f"{shape} {tensor.dtype}")
    if options.show_data:
        lines.append("data " + _array(tensor._data, options.precision))
    grad = drawing.grad(i) if tensor.requires_grad else None
    if options.show_grad and grad is not None:
        lines.append("grad " + _array(grad, options.precision))
    if kind == "partly_frozen":
        mask = np.asarray(getattr(tensor, "frozen_mask", None), dtype=bool)
        where = (_nested(np.argwhere(mask).reshape(-1) if mask.ndim == 1 else
                         np.argwhere(mask), options.precision)
                 if mask.sum() <= _SHOWN_ENTRIES else f"{int(mask.sum())} entries")
        lines.append(f"frozen: {where} of {mask.size}")
    elif kind == "frozen":
        lines.append("frozen")
    bad_data, bad_grad = _nonfinite(tensor._data), _nonfinite(grad)
    for bad, where in ((bad_data, "data"), (bad_grad, "grad")):
        if bad:
            lines.append(_red(f"{bad} in {where}"))
    unit = drawing.layout.tensor_unit[i]
    dot.node(unit, _html(lines), **_styled(_STYLES[kind], unit, drawing,
                                           bool(bad_data or bad_grad)))


def _op_node(dot: graphviz.Digraph, drawing: _Drawing, i: int) -> None:
    ctx = drawing.graph.tensors[i]._ctx
    lines = [f"<B>{_escape(ctx.name)}</B>"]
    if drawing.options.mode == "backward":
        for p, (local, per_element) in drawing.local(i).items():
            which = " (each element)" if per_element else ""
            lines.append(f"∂/∂{_escape(drawing.name(p)[0])}{which} = "
                         f"{_array(local, drawing.options.precision)}")
    unit = f"f{i}"
    dot.node(unit, _html(lines), **_styled(_STYLES["op"], unit, drawing, False))


def _box_node(dot: graphviz.Digraph, drawing: _Drawing, unit: str) -> None:
    box = drawing.layout.boxes[unit]
    count = len(box.ops) + len(box.tensors)
    if box.kind == "rest":
        lines = [f"<B>{count} more nodes folded</B>",
                 f"max_nodes={drawing.options.max_nodes}: pass max_nodes=None to draw all"]
    else:
        lines = [f"<B>{_escape(box.title)}</B>", f"module call: {count} nodes folded"]
        named = [drawing.name(i)[0] for i in box.tensors
                 if drawing.graph.tensors[i]._ctx is None and drawing.name(i)[1]]
        if named:
            shown = ", ".join(_escape(n) for n in named[:3])
            lines.append("params: " + shown + (f" + {len(named) - 3} more" if len(named) > 3
                                               else ""))
    anomaly = any(_nonfinite(drawing.graph.tensors[i]._data) for i in box.tensors + box.ops)
    if anomaly:
        lines.append(_red("NaN or Inf inside"))
    dot.node(unit, _html(lines), **_styled(_STYLES[box.kind], unit, drawing, anomaly))


def _culprit_node(dot: graphviz.Digraph, drawing: _Drawing) -> None:
    lines = [f"<B>{_escape(drawing.culprit.name)}</B>", _red("produced NaN or Inf")]
    dot.node("culprit", _html(lines), **_styled(_STYLES["op"], "culprit", drawing, True))


def _edge(dot: graphviz.Digraph, drawing: _Drawing, source: str, target: str,
          parts: list[tuple[int, int | None]]) -> None:
    """One edge, reversed and labelled with its gradient in the backward view."""
    if drawing.options.mode == "forward":
        dot.edge(source, target)
        return
    graph, layout = drawing.graph, drawing.layout
    attrs: dict[str, str] = {}
    label = None
    if source.startswith("t") and parts[0][1] is not None:  # a tensor feeding an op
        p = int(source[1:])
        if not graph.tensors[p].requires_grad:
            attrs.update(_NO_GRAD_EDGE)  # no gradient flows back into data or constants
        else:
            label = _carried_label(drawing, p, target, parts)
    elif target.startswith("t"):  # an op's result: carries that tensor's gradient
        grad = drawing.grads.tensor[int(target[1:])]
        if grad is not None:
            label = _array(grad, drawing.options.precision)
    if label is not None:
        attrs["label"] = _html([label])
    if target == layout.culprit:
        dot.edge(source, target, **attrs)  # nothing came back from the culprit yet
    else:
        dot.edge(target, source, **attrs)


def _legend(dot: graphviz.Digraph) -> None:
    with dot.subgraph(name="cluster_legend") as key:
        key.attr(label="legend", fontname="Helvetica", fontsize="10", style="dashed",
                 rank="same")  # one column (or row, for TB) beside the graph
        key.attr("node", fontsize="9", height="0.3", margin="0.08,0.03")
        for kind, text in _LEGEND:
            if kind == "anomaly":
                style = {**_STYLES["intermediate"], **_ANOMALY_STYLE}
            elif kind == "highlight":
                style = {**_STYLES["op"], **_HIGHLIGHT_STYLE}
            else:
                style = _STYLES[kind]
            key.node(f"legend_{kind}", _html([text]), **style)


def _find_anomaly(output: Tensor) -> tuple[Tensor | Function, str]:
    """The first NaN/Inf in the values (inputs to output), else in the gradients."""
    graph = _collect([output], with_output=True)
    for i, tensor in enumerate(graph.tensors):
        if _nonfinite(tensor._data) and not any(_nonfinite(graph.tensors[p]._data)
                                               for p in graph.parents[i]):
            return (tensor._ctx if tensor._ctx is not None else tensor), "forward"
    grads = _gradients(graph)
    for i in range(len(graph.tensors) - 1, -1, -1):
        if grads.tensor[i] is None or _nonfinite(grads.tensor[i]):
            continue
        ctx = graph.tensors[i]._ctx
        if ctx is not None and any(_nonfinite(grads.edge.get((i, slot)))
                                   for slot in range(len(graph.parents[i]))):
            return ctx, "backward"
    for tensor in graph.tensors:
        if tensor.grad is not None and _nonfinite(tensor.grad._data):
            return tensor, "backward"
    reason = f" ({grads.note})" if grads.note else ""
    raise ValueError(f"draw_anomaly: no NaN or Inf in the values or gradients of this "
                     f"graph{reason}")

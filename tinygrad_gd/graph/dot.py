"""DOT output: building the `graphviz.Digraph`, rendering it, and `draw_anomaly`.

`draw_graph(output)` returns a `graphviz.Digraph` of everything that made `output`;
`render_graph(output_or_digraph, path)` renders it with a clear error when Graphviz's
`dot` program is missing; `draw_anomaly(error_or_output)` highlights where NaN or Inf
appeared. The walking of the graph is in `walk.py`, the text of its labels in
`labels.py` and `text.py`; this module writes nodes and edges.
"""
from __future__ import annotations

from pathlib import Path
from collections.abc import Sequence
from typing import Any, Union

import graphviz
import numpy as np

from ..files import atomic_write_bytes, check_replaceable, short_repr
from .. import engine
from ..engine import Function
from ..tensor import Tensor
from .boxes import _box_lines
from .labels import (_ANOMALY_STYLE, _HIGHLIGHT_STYLE, _LEGEND, _NO_GRAD_EDGE, _STYLES,
                     _Drawing, _hidden_constants, _notes, _red, _styled, _tensor_lines)
from .calls import _called_model
from .folds import _fold_structure, _modules_fold_above
from .frames import frame_paths, framed, into_frame, label_inside, rank_gap
from .formats import SOURCE, check_folder, file_path, format_of, make_folder, suffix_help
from .options import _Options
from .partials import _op_lines
from .products import _edge_lines
from .nans import _bad_data, _find_anomaly
from .text import (_escape, _html, _is_table, _label, _line_width, _paragraph, _spaced,
                   _value)
from .tooltips import edge_tip, node_tip, shown, tensor_tip, unless_reached
from .walk import (_collect, _Gradients, _gradients, _Graph, _Layout, _layout, _Names, _names,
                   _class_target)

__all__ = ["draw_graph", "render_graph", "draw_anomaly", "RenderError"]

_ARRIVING_EDGE = {"color": "#c92a2a", "penwidth": "3", "fontcolor": "#c92a2a"}

# what `highlight=` takes: a tensor, an op node, or several of them
Highlight = Union[Tensor, Function, Sequence[Union[Tensor, Function]], None]  # noqa: UP007


class RenderError(RuntimeError):
    """Rendering failed: Graphviz's `dot` program is missing, or it rejected the graph."""


class _InlineDigraph(graphviz.Digraph):
    """draw_graph's Digraph: shown in Jupyter where Graphviz's `dot` is missing, it raises
    render_graph's one line saying what to install, not graphviz's traceback from deep
    inside its subprocess call."""

    def _repr_image_svg_xml(self) -> str:
        return rendered(self, "svg", "draw_graph").decode("utf-8")

    def __repr__(self) -> str:  # in a terminal: what it is (not this class's name), its use
        return (f"<graphviz.Digraph {self.name!r} at {id(self):#x}: a notebook shows it; "
                f"tg.render_graph(this graph, 'graph.svg') writes it to a file>")


# ---------------------------------------------------------------------------------------
# Public API


def draw_graph(output: Tensor, *, show_data: bool = True, show_grad: bool = True,
               direction: str = "TB", params: Any = None, max_nodes: int | None = 200,
               mode: str = "forward", legend: bool = False, model: Any = None,
               highlight: Highlight = None, precision: int = 4, constants: bool = False,
               open_modules: bool = False) -> graphviz.Digraph:
    """Draw the computation graph that made `output` as a `graphviz.Digraph`.

    `params`: a dict name -> Tensor, or a Module (anything with `named_parameters()`),
    naming the parameters; `model`: a Module, naming parameters and module calls.
    Otherwise a tensor shows its `.name`, or its role (input, constant, parameter,
    output, `<op> result`, `<op> of constants`: data an op made of constants only, the
    user's `x / 255` or a function's own, drawn as data). `direction`:
    Graphviz's rankdir, "TB" (top to bottom, the default: it fits a page), "LR", "RL" or
    "BT". `mode`: "forward" (inputs to output) or "backward" (gradients, output to
    inputs, each edge with the product that makes its gradient; see the module
    docstring). `constants`: draw each unnamed one-number
    constant as a node of its own instead of in its op's label (`× 3`, `** 2`).
    `open_modules`: draw every op of a large graph built by `nn` modules (or functions
    drawn as calls: `svd_lowrank()`) instead of one box per call. `max_nodes`: beyond it
    module calls and then the nodes farthest from the output fold into boxes; None draws
    every node (module calls stay boxes unless `open_modules`). `legend`: add a key of node
    styles. `highlight`: a Tensor or op node (`t.grad_fn`), or several, to mark.
    `precision`: significant digits of the numbers shown.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw_graph: output must be a Tensor (the result to draw, e.g. the "
                        f"loss), got {type(output).__name__}")
    options = _Options.checked("draw_graph", show_data, show_grad, direction, max_nodes, mode,
                               legend, precision, constants, open_modules)
    return _draw([output], None, options, _names(params, model), highlight)


def render_graph(output_or_digraph: Tensor | graphviz.Digraph, path: str | Path,
                 format: str | None = None, **draw_options: Any) -> Path:  # noqa: A002
    """Render a graph (a Digraph, or a Tensor drawn with `draw_graph(**draw_options)`).

    Writes `path` and returns it. The format is `format`, else the one the path's suffix
    names: `loss.png` is a PNG, `loss.pdf` a PDF (any of Graphviz's formats), `loss.dot`
    or `loss.gv` the DOT text, which needs no Graphviz program. A path without a suffix
    gets the format's (SVG unless `format` says otherwise); `~` is the home folder, and a
    missing folder is made. Refused before anything is drawn or written: a suffix that
    names no format (`.txt`, `.html`), one naming another format than `format`, a folder
    as the path, no path at all (42, None, "", `.png` alone). Raises `RenderError` saying
    how to install Graphviz when its `dot` program is missing for a picture.
    """
    if isinstance(output_or_digraph, graphviz.Digraph):
        if draw_options:
            raise TypeError(f"render_graph: options {sorted(draw_options)} apply to a Tensor, "
                            f"but a Digraph was given (already drawn); pass them to "
                            f"draw_graph instead")
    elif not isinstance(output_or_digraph, Tensor):
        raise TypeError(f"render_graph: expected a Tensor or a graphviz.Digraph, got "
                        f"{type(output_or_digraph).__name__}")
    unknown = sorted(set(draw_options) - set(draw_graph.__kwdefaults__))
    if unknown:  # named here, not as "draw_graph() got an unexpected keyword argument"
        raise TypeError(f"render_graph: unknown option(s) {unknown}; the options are "
                        f"draw_graph's: {', '.join(draw_graph.__kwdefaults__)}")
    target, format = _target(path, format)
    if isinstance(output_or_digraph, Tensor):
        graph = draw_graph(output_or_digraph, **draw_options)
    else:
        graph = output_or_digraph
    image = graph.source.encode() if format == SOURCE else rendered(graph, format, "render_graph")
    make_folder(target, "render_graph")
    atomic_write_bytes(target, image, "render_graph")  # complete or absent, never a part
    return target


def _target(path: str | Path, format: str | None) -> tuple[Path, str]:  # noqa: A002
    """render_graph's file and format, or one line saying why not (nothing written)."""
    target = file_path(path, "render_graph", "graph.svg")  # `~` expanded, as a shell does
    path = str(target)
    if target.is_dir():
        raise IsADirectoryError(f"render_graph: {str(path)!r} is a folder; give the path of "
                                f"a file in it, e.g. {str(target / 'graph.svg')!r}")
    # a FIFO, /dev/null, a link to one or through /proc (/dev/stdout): refused, not made
    # /dev/null.svg beside it
    check_replaceable(target, "render_graph", example="graph.svg")
    suffix = target.suffix
    named = format_of(suffix) if suffix else None  # the format the name promises
    if suffix and named is None:
        raise ValueError(f"render_graph: the path {str(path)!r} names a {suffix} file, which "
                         f"is no format a graph is written in; "
                         f"{suffix_help(suffix, 'backward_steps(loss, path)')}")
    if format is not None:
        if not isinstance(format, str) or format_of(format) is None:
            raise ValueError(f"render_graph: unknown format {format!r}; use one of "
                             f"Graphviz's formats, e.g. 'svg', 'png' or 'pdf', or 'dot' "
                             f"(the DOT text)")
        added, format = format.lower(), format_of(format)  # `format="gv"` adds .gv
    else:
        added = None
    if named is not None and format is not None and named != format:
        raise ValueError(f"render_graph: the path {str(path)!r} names a {suffix} file but "
                         f"format={format!r}; give the path the suffix .{format}, or drop "
                         f"format= (the suffix then chooses it)")
    format = format or named or "svg"
    if not suffix:
        target = target.with_suffix("." + (added or format))
        if target.is_dir():
            raise IsADirectoryError(f"render_graph: {str(target)!r} is a folder; give the "
                                    f"path of a file")
    check_folder(target, "render_graph")
    return target, format


_DOT_TEXT = ("The DOT text needs no Graphviz program: use graph.source, or "
             "render_graph(graph, 'graph.gv').")


def rendered(graph: graphviz.Digraph, format: str, where: str,  # noqa: A002
             without_dot: str = _DOT_TEXT) -> bytes:
    """The graph rendered by Graphviz's `dot`, or a `RenderError` that says what to do
    (`dot`'s own complaints are in it, not printed beside it; `without_dot`: what the
    caller can have without the program)."""
    try:
        image = graph.pipe(format=format, quiet=True)
    except graphviz.ExecutableNotFound:
        raise RenderError(
            f"{where}: Graphviz's `dot` program was not found on PATH, so the graph "
            f"cannot be rendered to {format}. Install Graphviz (Debian/Ubuntu: "
            f"`sudo apt-get install graphviz`; macOS: `brew install graphviz`; conda: "
            f"`conda install -c conda-forge graphviz`; Windows: `winget install graphviz`), "
            f"check that `dot -V` runs, and try again. {without_dot}") from None
    except graphviz.CalledProcessError as err:
        said = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else err.stderr
        said = " ".join(str(said).split()).split(". ")[0][:200]  # its list of formats: long
        raise RenderError(f"{where}: Graphviz's `dot` failed to render the graph to "
                          f"{format}: {said}; use .svg, .png or .pdf, which every Graphviz "
                          f"writes") from None
    if not image:  # a format this Graphviz was built without ("gd"): it writes nothing
        raise RenderError(f"{where}: Graphviz's `dot` wrote nothing for the format {format} "
                          f"(this Graphviz was built without it); nothing was written. Use "
                          f".svg, .png or .pdf, which every Graphviz writes")
    return image


def draw_anomaly(error_or_output: BaseException | Tensor, *, output: Tensor | None = None,
                 **draw_options: Any) -> graphviz.Digraph:
    """Draw a graph with the op that first produced NaN or Inf highlighted.

    Give the output (e.g. a loss computed without `detect_anomaly()`): the culprit is the
    first node, inputs to output, whose value holds NaN or Inf while its inputs do not,
    else the first op whose backward turns a finite gradient into NaN or Inf; none where
    those are NaN a function put there on purpose that stop before any leaf (masked.mean
    of a row left out whole: the backward view, no op pointed at).
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
    return _emit(_prepare(roots, culprit, options, names, highlight))


def _prepare(roots: list[Tensor], culprit: Function | None, options: _Options, names: _Names,
             highlight: Highlight, structure: bool = True, hooked: bool = False) -> _Drawing:
    """The graph walked, folded and its gradients read: what every frame of it shares.

    `structure`: fold long sums, alike inputs and long chains (`folds.py`); the step-by-step
    frames do not, since each step's gradient belongs to a node of its own, and their
    gradients are `hooked` (`walk._gradients`: the hooks run, as backward() runs them)."""
    graph = _collect(roots, with_output=culprit is None)
    if not names.tensors and not names.modules:  # (no model= or params=: the model called)
        names = _names(None, _called_model(graph))
    names.add_views(graph.tensors)
    hidden = _hidden_constants(graph, names, options)
    refine = (None if options.max_nodes is None or not structure else
              lambda folded, small: _fold_structure(graph, names, folded, small))
    layout = _layout(graph, names, options.max_nodes, culprit is not None, hidden,
                     None if options.open_modules else _modules_fold_above(graph), refine)
    want_grads = options.show_grad or options.mode == "backward"
    grads = _gradients(graph, hooked) if want_grads else _Gradients([None] * len(graph.tensors), {})
    return _Drawing(graph, layout, names, options, grads,
                    _highlighted_units(graph, layout, highlight, culprit), culprit, hidden)


def _emit(drawing: _Drawing) -> graphviz.Digraph:
    """The Digraph of a prepared drawing (of its step, in a step-by-step frame)."""
    graph, layout, options = drawing.graph, drawing.layout, drawing.options
    dot, paths, inside = _InlineDigraph(name="computation_graph"), frame_paths(drawing), {}
    dot.attr(rankdir=options.direction, nodesep="0.25", ranksep=rank_gap(drawing, paths))
    # a margin wide enough that a renderer's font a little wider than Graphviz's estimate
    # still keeps the text inside its box
    dot.attr("node", fontname="Helvetica", fontsize="10", margin="0.14,0.05")
    dot.attr("edge", fontname="Helvetica", fontsize="9")
    def emit(into: graphviz.Digraph, unit: str) -> None:
        if unit in layout.boxes:
            return _box_node(into, drawing, unit)
        (_op_node if unit[0] == "f" else _tensor_node)(into, drawing, int(unit[1:]))

    for unit in dict.fromkeys(u for i in range(len(graph.tensors))
                              for u in (layout.op_unit[i], layout.tensor_unit[i]) if u):
        if unit in paths:
            inside[unit] = paths[unit]
        else:
            emit(dot, unit)
    framed(dot, inside, emit)
    if drawing.culprit is not None:
        _culprit_node(dot, drawing)
    for (source, target), parts in layout.edges.items():
        _edge(dot, drawing, source, target, parts, inside)
    _targets(dot, drawing)
    if options.legend:
        _legend(dot, drawing)
    notes = _notes(drawing)
    if notes:  # wrapped to the widest label's text, so the page is no wider for them
        width = max((_line_width(_label_of(line)) for line in dot.body if "label=<" in line),
                    default=0)
        dot.attr(label=_paragraph(notes, max(width, 60)), labelloc="b", labeljust="l",
                 fontname="Helvetica", fontsize="10")
    return dot


def _label_of(line: str) -> str:
    """The HTML-like label of a line of DOT, without the attributes after it."""
    start = line.find("label=<") + len("label=")
    depth = 0
    for end in range(start, len(line)):
        depth += {"<": 1, ">": -1}.get(line[end], 0)
        if depth == 0:
            return line[start:end + 1]
    return line[start:]


def _highlighted_units(graph: _Graph, layout: _Layout, highlight: Highlight,
                       culprit: Function | None) -> set[str]:
    if highlight is None:
        items: list = []
    elif isinstance(highlight, (list, tuple, set, frozenset)):
        items = list(highlight)
    else:
        items = [highlight]
    units = {"culprit"} if culprit is not None else set()
    ops = {id(t._ctx): i for i, t in enumerate(graph.tensors) if t._ctx is not None}
    for item in items:
        if isinstance(item, Tensor) and id(item) in graph.position:
            units.add(layout.tensor_unit[graph.position[id(item)]])
        elif isinstance(item, Function) and id(item) in ops:
            units.add(layout.op_unit[ops[id(item)]])
        elif not isinstance(item, (Tensor, Function)):
            raise TypeError(f"draw_graph: highlight must be a Tensor of the graph, an op node "
                            f"(tensor.grad_fn) or a list of them, got {type(item).__name__} "
                            f"{short_repr(item)}")
        elif item is not culprit:
            what = (f"a Tensor of shape {item.shape}" if isinstance(item, Tensor) else
                    f"op '{item.name}'")
            raise ValueError(f"draw_graph: highlight ({what}) is not part of the drawn graph; "
                             f"pass a Tensor of the graph or an op node (tensor.grad_fn)")
    return units


def _targets(dot: graphviz.Digraph, drawing: _Drawing) -> None:
    """The class indices an op took as its `target` keyword (cross_entropy's): no tensor
    of the graph, since no gradient flows to them, but drawn as an input of the op all the
    same, as the target of a squared error is (a dashed edge in the backward view)."""
    graph, layout, options = drawing.graph, drawing.layout, drawing.options
    for i, tensor in enumerate(graph.tensors):
        target = _class_target(tensor)
        unit = layout.op_unit[i]
        if target is None or unit is None or (
                unit in layout.boxes and layout.boxes[unit].kind != "module"):
            continue
        title = "<I>target</I>" + (f" {target.shape}" if target.ndim else "")
        lines = [[title + (f" {target.dtype}" if target.dtype != np.float64 else "")]]
        if options.show_data:
            lines.append(["data ", _value(target, options.precision)])
        dot.node(f"k{i}", _label(lines), tooltip=node_tip(_label(lines)), **_STYLES["input"])
        if options.mode == "forward":
            dot.edge(f"k{i}", unit)
        else:
            dot.edge(unit, f"k{i}", **_NO_GRAD_EDGE)


def _tensor_node(dot: graphviz.Digraph, drawing: _Drawing, i: int) -> None:
    lines, kind, anomaly = _tensor_lines(drawing, i)
    unit = drawing.layout.tensor_unit[i]
    dot.node(unit, _label(lines), tooltip=tensor_tip(drawing, i, _label(shown(lines))),
             **_styled(_STYLES[kind], unit, drawing, anomaly))


def _op_node(dot: graphviz.Digraph, drawing: _Drawing, i: int) -> None:
    unit, label = f"f{i}", _label(_op_lines(drawing, i))
    dot.node(unit, label, tooltip=node_tip(label),
             **_styled(_STYLES["op"], unit, drawing, False))


def _box_node(dot: graphviz.Digraph, drawing: _Drawing, unit: str) -> None:
    lines, anomaly = _box_lines(drawing, unit)
    kind = drawing.layout.boxes[unit].kind
    dot.node(unit, _label(lines), tooltip=node_tip(_label(shown(lines))),
             **_styled(_STYLES[kind], unit, drawing, anomaly))


def _culprit_node(dot: graphviz.Digraph, drawing: _Drawing) -> None:
    lines = [f"<B>{_escape(drawing.culprit.name)}</B>", _red("produced NaN or Inf")]
    dot.node("culprit", _html(lines), **_styled(_STYLES["op"], "culprit", drawing, True))


def _edge(dot: graphviz.Digraph, drawing: _Drawing, source: str, target: str,
          parts: list[tuple[int, int | None]], frames: dict[str, tuple]) -> None:
    """One edge, reversed and labelled with its gradient in the backward view (`frames`:
    the units drawn in module calls' frames, their paths, which the label stays inside)."""
    if drawing.options.mode == "forward":
        flows = "result" if target in drawing.layout.tensor_unit else "input"
        dot.edge(source, target, tooltip=edge_tip(drawing, source, target, None, flows),
                 **into_frame(drawing, frames, source, target))
        return
    graph, layout = drawing.graph, drawing.layout
    attrs: dict[str, str] = {}
    lines = None
    inputs = {graph.parents[i][slot] for i, slot in parts if slot is not None}
    if len(inputs) == 1:  # a tensor (or a box's result) feeding an op
        p = inputs.pop()
        if not graph.tensors[p].requires_grad:
            attrs.update(_NO_GRAD_EDGE)  # no gradient flows back into data or constants
        else:
            with np.errstate(all="ignore"):  # NaN and Inf are marked, not warned about
                lines = _edge_lines(drawing, p, target, parts)
            if drawing.step is not None and drawing.grads.order \
                    and drawing.grads.order[drawing.step] == p:
                attrs.update(_ARRIVING_EDGE)  # the gradient arriving at this frame's tensor
    elif target.startswith("t") and not inputs:  # an op's result: that tensor's gradient
        i = int(target[1:])
        grad = drawing.grads.tensor[i]
        if grad is not None:
            color = drawing.color(i)
            lines = unless_reached(color is None,
                                   [[_value(grad, drawing.options.precision, color)]])
    if lines is not None:
        first = next((piece for piece in lines[0] if piece), "") if lines else ""
        attrs["label"] = _spaced(_label(lines), _is_table(first))
        attrs.update(label_inside(frames, source, target))
    dashed = "style" in attrs  # (no gradient flows along it: what goes into the op instead)
    attrs["tooltip"] = (edge_tip(drawing, source, target, None, "input") if dashed else
                        edge_tip(drawing, target, source, lines and _label(shown(lines)),
                                 "gradient"))
    if target == layout.culprit:
        dot.edge(source, target, **attrs)  # nothing came back from the culprit yet
    else:
        dot.edge(target, source, **attrs)


def _drawn_kinds(drawing: _Drawing) -> set[str]:
    """The kinds of node the drawing shows (a tensor's, a box's, an op, a highlight, NaN)."""
    graph, layout = drawing.graph, drawing.layout
    units = [(i, layout.tensor_unit[i]) for i in range(len(graph.tensors))]
    kinds = {"op"} | {drawing.kind(i) for i, unit in units
                      if unit is not None and unit not in layout.boxes}
    kinds |= {"function" if box.function else box.kind for box in layout.boxes.values()}
    if drawing.highlighted - {"culprit"}:  # (the culprit is marked as NaN or Inf)
        kinds.add("highlight")
    marks = [drawing.grad_marks(i) for i, unit in units if unit is not None]
    if drawing.culprit is not None or any(_bad_data(graph, i) for i, _ in units) \
            or any(bad and not meant for bad, meant in marks):  # (a mask's fill: no fault)
        kinds.add("anomaly")
    return kinds


def _legend(dot: graphviz.Digraph, drawing: _Drawing) -> None:
    """The key: one table of swatches in reading order (rows of two), under the output
    in a top-to-bottom layout (beside it in a left-to-right one), not a row or a column of
    nodes that would widen or lengthen the picture; only the kinds of node drawn."""
    cells, drawn = [], _drawn_kinds(drawing)
    for kind, text in [(kind, text) for kind, text in _LEGEND if kind in drawn]:
        style = dict(_STYLES["intermediate" if kind == "anomaly" else
                            "op" if kind == "highlight" else kind])
        style.update(_ANOMALY_STYLE if kind == "anomaly" else
                     _HIGHLIGHT_STYLE if kind == "highlight" else {})
        border = "2" if "bold" in style.get("style", "") or "penwidth" in style else "1"
        line = next((w for w in ("dashed", "dotted") if w in style.get("style", "")), None)
        # (Graphviz draws no dashes on a rounded table: a dotted swatch stays square)
        rounded = (style.get("shape") == "ellipse" or "rounded" in style.get("style", "")) \
            and line is None
        look = (f'BGCOLOR="{style.get("fillcolor", "white")}" BORDER="{border}" '
                f'COLOR="{style.get("color", "black")}"')
        size = 'WIDTH="26" HEIGHT="12"'
        if rounded:  # a rounded swatch: a table of that style around an empty cell
            swatch = (f'<TABLE STYLE="rounded" CELLPADDING="0" CELLSPACING="0" {look}>'
                      f'<TR><TD {size}></TD></TR></TABLE>')
        else:
            dashes = f' STYLE="{line}"' if line else ""
            swatch = (f'<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR>'
                      f'<TD {look}{dashes} {size}></TD></TR></TABLE>')
        cells.append(f'<TD>{swatch}</TD><TD ALIGN="LEFT">{_escape(text)}</TD>')
    columns = 2
    rows = ["<TR>" + "".join(cells[k:k + columns]) + "</TR>"
            for k in range(0, len(cells), columns)]
    label = (f'<<TABLE BORDER="1" STYLE="dashed" CELLBORDER="0" CELLSPACING="3" '
             f'CELLPADDING="1" COLOR="#868e96"><TR><TD COLSPAN="{2 * columns}" ALIGN="LEFT">'
             f'<B>legend</B></TD></TR>{"".join(rows)}</TABLE>>')
    dot.node("legend", label, shape="plaintext", fontsize="9", margin="0")
    layout = drawing.layout
    anchor = layout.culprit or layout.tensor_unit[drawing.graph.roots[0]]
    if anchor is None:
        return
    if drawing.options.direction in ("TB", "BT"):
        dot.edge(anchor, "legend", style="invis")  # one rank past the output
    else:
        with dot.subgraph() as same:  # in the output's rank: above or below it
            same.attr(rank="same")
            same.node(anchor)
            same.node("legend")

"""Computation graphs drawn with Graphviz: `draw_graph`, `render_graph`, `draw_anomaly`.

`draw_graph(output)` returns a `graphviz.Digraph` of everything that made `output`:
tensor nodes (name, shape, dtype, value, gradient) and op nodes (the op's name). In
Jupyter it displays inline; `.source` is the DOT text, `.render(...)` writes a file.
`render_graph(output_or_digraph, path)` renders with a clear error when Graphviz's `dot`
program is missing. `draw_anomaly(error_or_output)` highlights where NaN or Inf appeared.

Two views:

* `mode="forward"`: edges run as the data flows, inputs to output.
* `mode="backward"`: edges run from the output (the loss) back to the parameters. Each
  edge carries the gradient that flows along it; each op node shows its local derivative
  with respect to each input, and an edge out of an op whose output is a scalar reads
  `upstream x local = carried`, so the chain rule's product for a weight can be read off
  the picture (the course slides' weight: -8 x 3 = -24).

How gradients are found (the engine knows nothing of drawing, and this module knows no
particular op):

* A tensor's gradient is its `.grad` when `backward()` stored one (leaves, and tensors
  that called `retain_grad()`); otherwise the renderer computes d output / d tensor itself
  by calling each node's `backward` on arrays, output to inputs, while the graph's saved
  arrays still exist (draw before `backward()`, or after `backward(retain_graph=True)`).
  This re-run changes no `.grad` and runs no hooks, so an edge shows the gradient before
  any hook changed it. It needs a scalar output (a loss).
* An op's local derivative with respect to an input is its `backward` applied to a
  gradient of ones: exact when the op's output is a scalar; for a non-scalar output it is
  shown only for elementwise ops (the built-in ones by name, or a user's `Function`
  subclass with the class attribute `elementwise = True`), as one derivative per output
  element. Other ops (matmul, softmax, reductions) have a full Jacobian: not shown.

Big graphs stay readable: beyond `max_nodes` drawn nodes, module calls (the `scope` of
each op node, innermost modules first) fold into one box each; if that is still too many,
the nodes farthest from the output fold into one "more nodes" box. Every fold states how
many nodes it holds. Node ids number the nodes in a deterministic traversal, so the same
computation gives byte-identical DOT. Every piece of user text goes into HTML-like labels
with escaping, so no name can break or inject into the DOT source.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

import graphviz
import numpy as np

from . import engine
from .engine import Function, unbroadcast
from .tensor import Tensor, _raw

__all__ = ["draw_graph", "render_graph", "draw_anomaly", "RenderError"]

# what `highlight=` takes: a tensor, an op node, or several of them
Highlight = Union[Tensor, Function, Sequence[Union[Tensor, Function]], None]  # noqa: UP007

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


# ---------------------------------------------------------------------------------------
# Options and names


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


@dataclass
class _Names:
    tensors: dict[int, str] = field(default_factory=dict)  # id(tensor) -> parameter name
    modules: dict[int, str] = field(default_factory=dict)  # id(module) -> module name


def _names(params: Any, model: Any) -> _Names:
    """Parameter names from `model` then `params` (which wins), module names from either."""
    names = _Names()
    for source, what in ((model, "model"), (params, "params")):
        if source is None:
            continue
        if isinstance(source, Mapping):
            pairs: Iterable = source.items()
        elif callable(getattr(source, "named_parameters", None)):
            pairs = source.named_parameters()
        else:
            raise TypeError(f"draw_graph: {what} must be a dict name -> Tensor or a Module "
                            f"(with named_parameters()), got {type(source).__name__}")
        for name, tensor in pairs:
            if not isinstance(tensor, Tensor):
                raise TypeError(f"draw_graph: {what}[{name!r}] is a "
                                f"{type(tensor).__name__}, not a Tensor")
            names.tensors[id(tensor)] = str(name)
        if callable(getattr(source, "named_modules", None)):
            for name, module in source.named_modules():
                names.modules.setdefault(id(module), str(name))
    return names


# ---------------------------------------------------------------------------------------
# The graph as lists, in topological order


@dataclass
class _Graph:
    """The tensors that made the roots, inputs first, and how they connect.

    Positions in `tensors` are the graph's stable numbering: they follow the parents'
    order from the roots, never memory addresses. `position` maps id(tensor) to it, for
    lookups only.
    """

    tensors: list[Tensor]
    parents: list[tuple[int, ...]]  # per tensor: positions of its op's inputs; () for a leaf
    consumers: list[list[int]]  # per tensor: positions of the tensors whose op used it
    position: dict[int, int]
    roots: list[int]  # the output, or a culprit op's inputs in order
    output: int | None  # the drawn output; None when drawing a culprit op's inputs

    @property
    def node_count(self) -> int:
        return len(self.tensors) + sum(1 for p in self.tensors if p._ctx is not None)


def _collect(roots: Sequence[Tensor], with_output: bool) -> _Graph:
    """Depth-first post-order from the roots with an explicit stack (no recursion)."""
    tensors: list[Tensor] = []
    position: dict[int, int] = {}
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack: list[tuple[Tensor, int]] = [(root, 0)]
        while stack:
            tensor, k = stack[-1]
            inputs = tensor._ctx.parents if tensor._ctx is not None else ()
            if k < len(inputs):
                stack[-1] = (tensor, k + 1)
                parent = inputs[k]
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append((parent, 0))
            else:
                stack.pop()
                position[id(tensor)] = len(tensors)
                tensors.append(tensor)
    parents: list[tuple[int, ...]] = [
        tuple(position[id(p)] for p in t._ctx.parents) if t._ctx is not None else ()
        for t in tensors]
    consumers: list[list[int]] = [[] for _ in tensors]
    for i, inputs in enumerate(parents):
        for p in dict.fromkeys(inputs):  # x * x uses x once as far as consumers go
            consumers[p].append(i)
    root_positions = list(dict.fromkeys(position[id(r)] for r in roots))
    output = root_positions[0] if with_output else None
    return _Graph(tensors, parents, consumers, position, root_positions, output)


# ---------------------------------------------------------------------------------------
# Gradients, computed generically by calling each node's backward on arrays


@dataclass
class _Gradients:
    tensor: list[np.ndarray | None]  # d output / d tensor, by position
    edge: dict[tuple[int, int], np.ndarray]  # (op's position, input slot) -> gradient sent
    note: str | None = None


def _gradients(graph: _Graph) -> _Gradients:
    """Reverse pass like the engine's, keeping every edge's gradient; changes no `.grad`."""
    n = len(graph.tensors)
    none = _Gradients([None] * n, {})
    if graph.output is None:
        return none
    root = graph.tensors[graph.output]
    if root._ctx is None:
        return none
    if root.size != 1:
        none.note = (f"gradients along the graph are computed for a scalar output only (this "
                     f"one has shape {root.shape}): draw the loss")
        return none
    if any(t._ctx is not None and t._ctx.saved_tensors is None for t in graph.tensors):
        none.note = ("only the gradients backward() stored in .grad are shown: it freed the "
                     "graph's saved arrays (draw before backward(), or call "
                     "backward(retain_graph=True), to see every gradient)")
        return none
    grads: list[np.ndarray | None] = [None] * n
    edges: dict[tuple[int, int], np.ndarray] = {}
    try:  # the engine's own pass, kept from writing any .grad (it yields; we record)
        with np.errstate(all="ignore"):  # NaN and Inf are marked in the picture
            for tensor, grad, input_grads in engine.backward(root, np.ones_like(root._data),
                                                             retain_graph=True):
                i = graph.position[id(tensor)]
                grads[i] = grad
                for slot, (p, g) in enumerate(zip(graph.parents[i], input_grads)):
                    if g is not None and graph.tensors[p].requires_grad:
                        edges[(i, slot)] = g
    except Exception as err:  # a broken user op, or values changed in place: a note
        none.note = f"gradients not shown: {type(err).__name__}: {err}"
        return none
    return _Gradients(grads, edges)


def _call_backward(ctx: Function, grad: np.ndarray) -> tuple:
    with np.errstate(all="ignore"):  # NaN and Inf are marked in the picture, not warned about
        sent = type(ctx).backward(ctx, grad)  # a @staticmethod backward too
    return sent if isinstance(sent, tuple) else (sent,)


def _fit(grad: Any, tensor: Tensor) -> np.ndarray:
    """An op's gradient summed back to its input's shape and dtype, as the engine does."""
    grad = np.asarray(_raw(grad))
    if grad.shape != tensor.shape:
        grad = unbroadcast(grad, tensor.shape)
    return grad.astype(tensor.dtype, copy=False)


def _local_derivatives(graph: _Graph, i: int) -> dict[int, tuple[np.ndarray, bool]]:
    """d(op output)/d(input) for each input needing a gradient: {position: (array, per element)}.

    The op's backward applied to ones: for a scalar output that is the exact derivative
    (shaped like the input); for an elementwise op, one derivative per output element.
    """
    tensor = graph.tensors[i]
    ctx = tensor._ctx
    assert ctx is not None, "only ops have local derivatives"
    scalar = tensor.size == 1
    elementwise = type(ctx).elementwise
    if ctx.saved_tensors is None or not (scalar or elementwise):
        return {}
    try:
        sent = _call_backward(ctx, np.ones_like(tensor._data))
    except Exception:
        return {}
    local: dict[int, tuple[np.ndarray, bool]] = {}
    for p, d in zip(graph.parents[i], sent):
        parent = graph.tensors[p]
        if d is None or not parent.requires_grad:
            continue
        d = _fit(d, parent) if scalar else np.asarray(d)
        if p in local:  # the same tensor in two slots (x * x): derivatives add up
            if local[p][0].shape != d.shape:
                del local[p]
                continue
            d = local[p][0] + d
        local[p] = (d, not scalar)
    return local


# ---------------------------------------------------------------------------------------
# Folding: which drawn node ("unit") shows each op and each tensor


@dataclass
class _Box:
    """A folded module call, or the rest of a graph cut at max_nodes."""

    title: str
    kind: str  # "module" or "rest"
    ops: list[int] = field(default_factory=list)  # positions of the ops inside
    tensors: list[int] = field(default_factory=list)  # positions of the tensors inside


@dataclass
class _Layout:
    op_unit: list[str | None]  # per position: the unit drawing its op; None for a leaf
    tensor_unit: list[str]  # per position: the unit drawing the tensor
    boxes: dict[str, _Box]
    edges: dict[tuple[str, str], list[tuple[int, int | None]]]  # (i, slot) in, (i, None) out
    culprit: str | None  # unit of an op drawn on top of the graph (draw_anomaly)


def _layout(graph: _Graph, names: _Names, max_nodes: int | None, culprit: bool) -> _Layout:
    n = len(graph.tensors)
    op_unit: list[str | None] = [f"f{i}" if t._ctx is not None else None
                                 for i, t in enumerate(graph.tensors)]
    tensor_unit = [f"t{i}" for i in range(n)]
    layout = _Layout(op_unit, tensor_unit, {}, {}, "culprit" if culprit else None)
    layout.edges = _edges(graph, layout)
    if max_nodes is None or _unit_count(layout) <= max_nodes:
        return layout
    depth = max((len(getattr(t._ctx, "scope", ())) for t in graph.tensors
                 if t._ctx is not None), default=0)
    for level in range(depth - 1, -1, -1):  # innermost module calls first
        layout = _fold_modules(graph, names, level, culprit)
        if _unit_count(layout) <= max_nodes:
            return layout
    return _fold_far_nodes(graph, layout, max_nodes)


def _unit_count(layout: _Layout) -> int:
    units = {u for u in layout.op_unit if u is not None}
    units.update(layout.tensor_unit)
    return len(units) + (layout.culprit is not None)


def _edges(graph: _Graph, layout: _Layout) -> dict[tuple[str, str], list]:
    """Edges between units in data-flow direction, each with the graph edges it stands for."""
    edges: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
    for i, inputs in enumerate(graph.parents):
        unit = layout.op_unit[i]
        if unit is None:
            continue
        for slot, p in enumerate(inputs):
            source = layout.tensor_unit[p]
            if source != unit:
                edges.setdefault((source, unit), []).append((i, slot))
        target = layout.tensor_unit[i]
        if target != unit:
            edges.setdefault((unit, target), []).append((i, None))
    if layout.culprit is not None:
        for i in graph.roots:
            edges.setdefault((layout.tensor_unit[i], layout.culprit), []).append((i, None))
    return edges


def _call_key(ctx: Function, level: int) -> tuple | None:
    """The module call at nesting `level` an op ran in; None when it ran outside one.

    Calls of the same module are told apart when the core records per-call numbers
    (`ctx.scope_calls`); without them, every call of one module shares one box.
    """
    scope = getattr(ctx, "scope", ())
    if len(scope) <= level:
        return None
    key = tuple(id(owner) for owner in scope[:level + 1])  # grouping only, never an id shown
    calls = getattr(ctx, "scope_calls", None)
    return key + tuple(calls[:level + 1]) if calls else key


def _fold_modules(graph: _Graph, names: _Names, level: int, culprit: bool) -> _Layout:
    n = len(graph.tensors)
    op_unit: list[str | None] = [None] * n
    boxes: dict[str, _Box] = {}
    unit_of_call: dict[tuple, str] = {}
    for i, tensor in enumerate(graph.tensors):
        ctx = tensor._ctx
        if ctx is None:
            continue
        key = _call_key(ctx, level)
        if key is None:
            op_unit[i] = f"f{i}"
            continue
        if key not in unit_of_call:
            unit_of_call[key] = unit = f"m{len(boxes)}"
            boxes[unit] = _Box(_module_title(ctx.scope[:level + 1], names), "module")
        op_unit[i] = unit_of_call[key]
        boxes[op_unit[i]].ops.append(i)
    roots = set(graph.roots)
    tensor_unit = []
    for i in range(n):
        # A tensor folds into a box when only that box uses it and the box made it, or it
        # is a parameter or scalar constant of the box; data fed in stays visible.
        users = {op_unit[c] for c in graph.consumers[i]}
        unit = next(iter(users)) if len(users) == 1 and i not in roots else None
        tensor = graph.tensors[i]
        inside = (op_unit[i] == unit if tensor._ctx is not None else
                  tensor.requires_grad or tensor.ndim == 0 or id(tensor) in names.tensors
                  or getattr(tensor, "frozen_mask", None) is not None)
        if unit in boxes and inside:
            boxes[unit].tensors.append(i)
            tensor_unit.append(unit)
        else:
            tensor_unit.append(f"t{i}")
    layout = _Layout(op_unit, tensor_unit, boxes, {}, "culprit" if culprit else None)
    layout.edges = _edges(graph, layout)
    return layout


def _module_title(owners: tuple, names: _Names) -> str:
    owner = owners[-1]
    kind = type(owner).__name__
    name = names.modules.get(id(owner))
    if name:
        return f"{name}: {kind}"
    return "/".join(type(o).__name__ for o in owners)


def _fold_far_nodes(graph: _Graph, layout: _Layout, max_nodes: int) -> _Layout:
    """Keep the max_nodes - 1 units nearest the output (breadth first); fold the rest."""
    producers: dict[str, list[str]] = {}
    for source, target in layout.edges:
        producers.setdefault(target, []).append(source)
    start = layout.culprit or layout.tensor_unit[graph.output]
    kept = {start: None}
    frontier = [start]
    while frontier and len(kept) < max_nodes - 1:
        following = []
        for unit in frontier:
            for source in producers.get(unit, ()):
                if source not in kept and len(kept) < max_nodes - 1:
                    kept[source] = None
                    following.append(source)
        frontier = following
    rest = _Box("", "rest")
    boxes = {u: b for u, b in layout.boxes.items() if u in kept}
    boxes["rest"] = rest
    op_unit = list(layout.op_unit)
    for i, unit in enumerate(op_unit):
        if unit is not None and unit not in kept:
            op_unit[i] = "rest"
            rest.ops.append(i)
    tensor_unit = list(layout.tensor_unit)
    for i, unit in enumerate(tensor_unit):
        if unit not in kept:
            tensor_unit[i] = "rest"
            rest.tensors.append(i)
    folded = _Layout(op_unit, tensor_unit, boxes, {}, layout.culprit)
    folded.edges = _edges(graph, folded)
    return folded


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


def _styled(base: dict[str, str], unit: str, drawing: _Drawing, anomaly: bool) -> dict:
    style = dict(base)
    if anomaly:
        style.update(_ANOMALY_STYLE)
    if unit in drawing.highlighted:
        style.update(_HIGHLIGHT_STYLE)
        if "filled" not in style.get("style", ""):
            style["style"] = (style.get("style", "") + ",filled").lstrip(",")
    return style


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


def _draw_method(self: Tensor, **options: Any) -> graphviz.Digraph:
    """Draw the graph that made this tensor: `tg.draw_graph(self, **options)`."""
    return draw_graph(self, **options)


Tensor.draw = _draw_method  # the drawing joins Tensor from above: tensor.py imports nothing of it

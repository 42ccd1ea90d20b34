"""Walking the graph: which tensors made the output, their gradients, folded module calls.

- `_names`: parameter, buffer and module names from `params=` / `model=`.
- `_collect`: every tensor that made the roots, inputs first (`engine.toposort`'s order
  reversed), with parents and consumers by position.
- `_gradients`: d output / d tensor for every tensor and the gradient sent along every
  edge, read from the engine's own backward pass (`engine.backward`), never a copy of it,
  run on the graph's twin (`twin.py`): no hook of the user's runs in a drawing.
- `_layout`: which drawn node ("unit") shows each op and tensor: module calls, and beyond
  `max_nodes` the nodes farthest from the output, fold into boxes.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .. import engine
from ..engine import Function
from ..scope import owners_of
from ..tensor import Tensor
from .calls import FunctionCall, _call_key, _module_title
from .twin import twin
from .unshown import (changed_inputs, changed_positions, misdeclared, reruns_a_function,
                      together)


@dataclass
class _Names:
    tensors: dict[int, str] = field(default_factory=dict)  # id(tensor) -> parameter name
    modules: dict[int, str] = field(default_factory=dict)  # id(module) -> module name
    buffers: set[int] = field(default_factory=set)  # id(tensor) of a module's buffers
    arrays: dict[int, tuple[str, int]] = field(default_factory=dict)  # a buffer's array

    def add_views(self, tensors: Iterable[Tensor]) -> None:
        """Name a leaf holding a whole buffer's array as the buffer: batch_norm's eval reads
        `running_mean.reshape(...)`, a new tensor (no op records it) on the same values."""
        for t in tensors:
            found = self.arrays.get(id(t._data)) or self.arrays.get(id(getattr(t._data, "base", 0)))
            if t._ctx is None and id(t) not in self.tensors and found and found[1] == t.size:
                self.tensors[id(t)] = found[0]
                self.buffers.add(id(t))


def _names(params: Any, model: Any) -> _Names:
    """Parameter and buffer names from `model` then `params` (which wins), module names
    from either."""
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
        for name, buffer in (source.named_buffers() if callable(
                getattr(source, "named_buffers", None)) else ()):
            if isinstance(buffer, Tensor) and id(buffer) not in names.tensors:
                names.tensors[id(buffer)] = str(name)
                names.buffers.add(id(buffer))
                names.arrays[id(buffer._data)] = (str(name), buffer.size)
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

    @cached_property  # (asked of every label: the output's values read once a drawing)
    def finite(self) -> bool:
        """Whether the drawn output is finite: a -inf inside is then a mask's (exp gave 0)."""
        return self.output is not None and bool(np.isfinite(self.tensors[self.output]._data).all())


def _passes_through(tensor: Tensor) -> bool:
    """Whether an op that passes its input on unchanged made `tensor` (a module's backward
    hooks' nodes, `stands_for`): the diagrams draw the input in its place."""
    return tensor._ctx is not None and hasattr(tensor._ctx, "stands_for")


def _drawn(tensor: Tensor) -> Tensor:
    """The tensor drawn for `tensor`: itself, or what a pass-through op's output stands for."""
    while _passes_through(tensor) and tensor._ctx.stands_for(tensor) is not None:
        tensor = tensor._ctx.stands_for(tensor)
    return tensor


def _collect(roots: Sequence[Tensor], with_output: bool) -> _Graph:
    """Every tensor that made the roots, inputs first: the engine's own order, reversed."""
    tensors: list[Tensor] = [t for t in engine.toposort(*roots, every=True)[::-1]
                             if any(t is r for r in roots) or not _passes_through(t)]
    position = {id(tensor): i for i, tensor in enumerate(tensors)}
    parents: list[tuple[int, ...]] = [  # (a root a pass-through op made: what it holds)
        () if t._ctx is None else (position[id(_drawn(t))],) if _drawn(t) is not t
        else tuple(position[id(_drawn(p))] for p in t._ctx.parents) for t in tensors]
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
    order: list[int] = field(default_factory=list)  # positions in the engine's step order
    nodes: dict[int, Function] = field(default_factory=dict)  # op position -> node with arrays
    stale: dict[int, str] = field(default_factory=dict)  # op position -> why no factor
    stale_inputs: set[int] = field(default_factory=set)  # tensors changed in place since
    hooks_ran: bool = False  # the graph's own pass, which ran its hooks (the step page's)

    def step(self, i: int) -> int | None:
        """The backward step (0-based) at which tensor i's gradient was complete."""
        if not hasattr(self, "_steps"):
            self._steps = {p: k for k, p in enumerate(self.order)}
        return self._steps.get(i)


def _gradients(graph: _Graph, hooked: bool = False) -> _Gradients:
    """Every gradient of the graph, read from the engine's own pass; changes no `.grad`,
    and calls no hook of the user's: the pass runs on the graph's twin (`twin.py`), fresh
    tensors that carry none, its nodes copies sharing the saved arrays (or, after a plain
    `backward()` freed them, the ops run again on the values the graph keeps), so a
    drawing reads alike with or without retain_graph=True, random ops apart (run again,
    they draw anew). `hooked` (the step-by-step page, which shows what backward() does):
    while the graph keeps its arrays, the pass runs on the graph itself, calling its hooks
    as backward() would. A node whose input changed in place since it ran
    (`versions.written_since`), or whose op now gives another value (a random op run
    again), or whose backward would run a function of the user's again (a checkpoint's,
    `unshown.py`), is listed in `stale`: its factors, and the gradients of its inputs
    (which pass through it), are not shown. The ops after it run on the values the graph
    kept (what the forward pass computed), so their factors are those of the drawn values.
    """
    n = len(graph.tensors)
    none = _Gradients([None] * n, {})
    if graph.output is None:
        return none
    root = graph.tensors[graph.output]
    if root._ctx is None:  # one bare box: say why nothing is behind it
        none.note = ("no graph to draw: the output was made by no op that records one (it is a "
                     "leaf tensor, or was computed under no_grad() or detached); draw a result "
                     "computed outside no_grad() from tensors with requires_grad=True")
        return none
    if root.size != 1:
        none.note = (f"gradients along the graph are computed for a scalar output only (this "
                     f"one has shape {root.shape}): draw the loss")
        return none
    changed = {**reruns_a_function(graph), **{  # (a checkpoint: its ops' pass ends there)
        i: why for i, t in enumerate(graph.tensors) if t._ctx is not None
        for why in [changed_inputs(graph, i)] if why}}
    freed = any(t._ctx is not None and t._ctx.saved_tensors is None for t in graph.tensors)
    stale, doubles = dict(changed), graph.tensors
    try:
        if not (hooked and not changed and not freed):  # (else the graph's own pass)
            doubles = twin(graph, stale)
    except Exception as err:  # a user's op that cannot run again: say so
        none.note = (f"gradients along the graph not shown: backward() freed its saved "
                     f"arrays and running the ops again failed ({type(err).__name__}: "
                     f"{err}); call backward(retain_graph=True) to draw every gradient"
                     if freed else f"gradients not shown: {type(err).__name__}: {err}")
        return none
    try:
        grads, edges, order = _pass(graph, doubles, root)
    except Exception as err:  # a broken user op: a note
        none.note = f"gradients not shown: {type(err).__name__}: {err}"
        if doubles is graph.tensors:  # (the graph's own pass: nothing to run again)
            return none
        try:  # (a copy's backward may miss what backward() deleted, `del ctx.x`: the ops
            # run again, where they give the graph's values)
            stale = dict(changed)
            doubles = twin(graph, stale, again=True)
            grads, edges, order = _pass(graph, doubles, root)
        except Exception:
            return none
        if stale != changed:
            return none
    result = _Gradients(grads, edges, order=order, stale=stale,
                        nodes={i: t._ctx for i, t in enumerate(doubles)
                               if t._ctx is not None and doubles is not graph.tensors},
                        stale_inputs={p for i in stale for p in changed_positions(graph, i)},
                        hooks_ran=doubles is graph.tensors)
    if stale:
        tainted = _depending_on(graph, stale)
        for i in tainted | set(stale):
            if i in tainted:
                result.tensor[i] = None
            for slot in range(len(graph.parents[i])):
                result.edge.pop((i, slot), None)
    whys = together(sorted(stale.values())) + sorted(
        set(filter(None, map(misdeclared, graph.tensors))))
    result.note = "some factors not shown: " + "; ".join(whys) if whys else None
    if result.stale_inputs:
        result.note += (". The other numbers are from the forward pass that made the "
                        "output, before the change")
    return result


def _pass(graph: _Graph, run_on: list[Tensor], root: Tensor) -> tuple[list, dict, list]:
    """The engine's own pass from the output of `run_on` (the graph or its twin), kept
    from writing any .grad (it yields; this records): gradients by position, by edge, and
    the positions in the engine's step order."""
    grads: list[np.ndarray | None] = [None] * len(graph.tensors)
    edges: dict[tuple[int, int], np.ndarray] = {}
    order: list[int] = []
    position = {id(t): i for i, t in enumerate(run_on)}
    with np.errstate(all="ignore"):  # NaN and Inf are marked in the picture
        for tensor, grad, input_grads in engine.backward(
                run_on[graph.output], np.ones_like(root._data), retain_graph=True):
            i = position.get(id(tensor))
            if i is None:
                continue  # (a pass-through op's output: not drawn)
            grads[i] = grad
            order.append(i)
            for slot, (p, g) in enumerate(zip(graph.parents[i], input_grads)):
                parent = graph.tensors[p]  # (the shape: not a hidden node's input's)
                if g is not None and parent.requires_grad and g.shape == parent.shape:
                    edges[(i, slot)] = g
    return grads, edges, order


def _depending_on(graph: _Graph, stale: dict[int, str]) -> set[int]:
    """Positions of the stale ops' inputs and of every tensor whose gradient passes through
    one (a stale op's own result keeps the gradient its consumers send it)."""
    tainted: set[int] = set()
    for i in range(len(graph.tensors) - 1, -1, -1):  # consumers before their inputs
        if i in tainted or i in stale:
            tainted.update(graph.parents[i])
    return tainted - {graph.output}


# ---------------------------------------------------------------------------------------
# Folding: which drawn node ("unit") shows each op and each tensor


@dataclass
class _Box:
    """A folded module call, a fold of a large graph's structure (`folds.py`), or the rest
    of a graph cut at max_nodes."""

    title: str
    kind: str  # "module", "sum", "alike", "chain" or "rest"
    ops: list[int] = field(default_factory=list)  # positions of the ops inside
    tensors: list[int] = field(default_factory=list)  # positions of the tensors inside
    note: str = ""  # a line under the title: the module an alike fold's calls called
    function: bool = False  # a module box of a function's call (`scope.drawn_as_call`)


@dataclass
class _Layout:
    op_unit: list[str | None]  # per position: the unit drawing its op; None for a leaf
    tensor_unit: list[str | None]  # per position: the unit drawing it; None: hidden
    boxes: dict[str, _Box]
    edges: dict[tuple[str, str], list[tuple[int, int | None]]]  # (i, slot) in, (i, None) out
    culprit: str | None  # unit of an op drawn on top of the graph (draw_anomaly)


def _layout(graph: _Graph, names: _Names, max_nodes: int | None, culprit: bool,
            hidden: frozenset[int] = frozenset(), fold_above: int | None = None,
            refine: Callable[[_Layout, bool], _Layout] | None = None) -> _Layout:
    """Which unit draws each op and tensor.

    `hidden`: constants drawn inside their op's label instead of as nodes of their own.
    Module calls fold into one box each when the graph has more than `fold_above` units
    (None: never for that reason) or more than `max_nodes`, innermost calls first; beyond
    `max_nodes` after that, the nodes farthest from the output fold into one box.
    `refine`: applied after the module calls fold, before that (`folds._fold_structure`),
    told whether the folded graph is small already.
    """
    n = len(graph.tensors)
    op_unit: list[str | None] = [f"f{i}" if t._ctx is not None else None
                                 for i, t in enumerate(graph.tensors)]
    tensor_unit: list[str | None] = [None if i in hidden else f"t{i}" for i in range(n)]
    layout = _Layout(op_unit, tensor_unit, {}, {}, "culprit" if culprit else None)
    layout.edges = _edges(graph, layout)

    def small(candidate: _Layout) -> bool:
        count = _unit_count(graph, candidate)
        return ((max_nodes is None or count <= max_nodes)
                and (fold_above is None or count <= fold_above))

    if small(layout):
        return layout
    depth = max((len(getattr(t._ctx, "scope_calls", ())) for t in graph.tensors
                 if t._ctx is not None), default=0)
    for level in range(depth - 1, -1, -1):  # innermost module calls first
        layout = _fold_modules(graph, names, level, culprit, hidden)
        if small(layout):
            return layout if refine is None else refine(layout, True)
    if refine is not None:
        layout = refine(layout, False)
    if max_nodes is None or _unit_count(graph, layout) <= max_nodes:
        return layout
    return _fold_far_nodes(graph, layout, max_nodes)


def _unit_count(graph: _Graph, layout: _Layout) -> int:
    """The nodes drawn: units, the culprit, and the targets drawn beside their ops."""
    units = {u for u in layout.op_unit if u is not None}
    units.update(u for u in layout.tensor_unit if u is not None)
    targets = sum(1 for i, u in enumerate(layout.op_unit) if u is not None
                  and _class_target(graph.tensors[i]) is not None
                  and (u not in layout.boxes or layout.boxes[u].kind == "module"))
    return len(units) + (layout.culprit is not None) + targets


def _class_target(tensor: Tensor) -> np.ndarray | None:
    """The class indices an op took as its `target` keyword (cross_entropy's): no tensor
    of the graph, but drawn as a node beside an op or module box (`dot._targets`)."""
    target = getattr(tensor._ctx, "params", {}).get("target")
    return target if isinstance(target, np.ndarray) else None


def _edges(graph: _Graph, layout: _Layout) -> dict[tuple[str, str], list]:
    """Edges between units in data-flow direction, each with the graph edges it stands for."""
    edges: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
    for i, inputs in enumerate(graph.parents):
        unit = layout.op_unit[i]
        if unit is None:
            continue
        for slot, p in enumerate(inputs):
            source = layout.tensor_unit[p]
            if source is not None and source != unit:
                edges.setdefault((source, unit), []).append((i, slot))
        target = layout.tensor_unit[i]
        if target != unit:
            edges.setdefault((unit, target), []).append((i, None))
    if layout.culprit is not None:
        for i in graph.roots:
            edges.setdefault((layout.tensor_unit[i], layout.culprit), []).append((i, None))
    return edges


def _fold_modules(graph: _Graph, names: _Names, level: int, culprit: bool,
                  hidden: frozenset[int] = frozenset()) -> _Layout:
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
            owners = owners_of(ctx)[:level + 1]  # (fewer for a leaf module's call: `_call_key`)
            boxes[unit] = _Box(_module_title(owners, names), "module",
                               function=isinstance(owners[-1], FunctionCall))
        op_unit[i] = unit_of_call[key]
        boxes[op_unit[i]].ops.append(i)
    roots = set(graph.roots)
    tensor_unit = []
    for i in range(n):
        # A tensor folds into a box when the box made it (the module call's result: the
        # box shows it), or when only that box uses it and it is a Parameter or constant of
        # the box; data fed in (a user's tensor that needs a gradient too), the output not.
        tensor = graph.tensors[i]
        if tensor._ctx is not None:
            unit = op_unit[i] if i not in roots else None
            inside = True
        else:
            users = {op_unit[c] for c in graph.consumers[i]}
            unit = next(iter(users)) if len(users) == 1 and i not in roots else None
            made = getattr(tensor, "_made_in", None)  # (a constant made in a module call)
            inside = (tensor.requires_grad and hasattr(type(tensor), "frozen_mask")  # (nn's)
                      or tensor.ndim == 0 or id(tensor) in names.tensors
                      or getattr(tensor, "frozen_mask", None) is not None
                      or made is not None and unit_of_call.get(_call_key(made, level)) == unit)
        if unit in boxes and inside:
            boxes[unit].tensors.append(i)
            tensor_unit.append(unit)
        else:
            tensor_unit.append(None if i in hidden else f"t{i}")
    layout = _Layout(op_unit, tensor_unit, boxes, {}, "culprit" if culprit else None)
    layout.edges = _edges(graph, layout)
    return layout


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
        if unit is not None and unit not in kept:
            tensor_unit[i] = "rest"
            rest.tensors.append(i)
    folded = _Layout(op_unit, tensor_unit, boxes, {}, layout.culprit)
    folded.edges = _edges(graph, folded)
    return folded

"""NaN and Inf in a drawing's values: which a node marks as a fault, which it says are meant.

- `_bad_data`: the NaN or Inf a node marks in red (`NaN in data`): not a mask's fill, a
  `where` that put a constant NaN or inf where a mask leaves entries out, while the output
  is finite (`_filled`); not NaN a function of the package put into a constant of its own
  on purpose (`scope.nan_on_purpose`: masked.mean's count over a slice the mask leaves out
  whole, which gives PyTorch's NaN without NumPy's warnings), or into a result
  (masked.median's and softmax's over such a slice); and, while the output is finite, not
  the result of an op whose NaN are exactly such a tensor's (the mean of no entry), since
  the NaN the package means went no further.
- `_meant`: what NaN put on purpose say (`where the mask keeps no entry`), written on the
  node in plain text, or after `NaN in data` where they reach a NaN output; any other NaN
  (a user's data, a log of a negative number) is marked as before. A -inf beside them
  (masked.log_softmax's log of 0 at an entry left out of a kept row) is judged apart, as
  a mask's -inf: not marked while the output is finite, else `Inf in data, NaN where
  the mask keeps no entry`. NaN a learner gave a declared function's call that it left
  out (`tg.nansum`'s, `nanmean`'s: `calls._nan_left_out`) read `NaN left out by
  nansum()`, not marked.
- `_meant_grad`: the same for NaN in a gradient (backward view) that such NaN made and
  that an op stops before any leaf (masked.mean's `where`): plain text, `NaN in grad where
  the mask keeps no entry (op where stops it)`; one reaching a leaf stays a fault.
- `_data_marks`: the lines under a tensor's values saying so; `_red`: a fault's colour.
- `_find_anomaly`: the culprit `draw_anomaly` points at, a fault only (none where the
  gradient's only NaN are meant and stop before any leaf).
"""
from __future__ import annotations

import numpy as np

from ..engine import Function
from ..scope import nan_meaning
from .calls import _nan_left_out
from ..tensor import Tensor
from .text import _escape, _nonfinite
from .titles import op_name
from .walk import _collect, _Gradients, _gradients, _Graph

_ANOMALY_STYLE = {"color": "#e03131", "penwidth": "3"}


def _red(text: str) -> str:
    return f'<FONT COLOR="{_ANOMALY_STYLE["color"]}">{text}</FONT>'


def _bad_data(graph: _Graph, i: int) -> str | None:
    """The NaN or Inf tensor i's values hold as a fault (`_nonfinite`): none where the
    output is finite and tensor i is a mask's fill (`_filled`) or the constant filled in,
    nor for NaN a function put there on purpose (`_meant`; in a result: while the output
    is finite)."""
    bad = _nonfinite(graph.tensors[i]._data, graph.finite)
    if bad and graph.finite and (_filled(graph, i) or graph.tensors[i]._ctx is None and (
            graph.consumers[i] and all(_filled(graph, c) for c in graph.consumers[i]))):
        return None
    if bad and (graph.finite or graph.tensors[i]._ctx is None) and _meant(graph, i):
        return None
    return None if bad == "NaN" and _left_out(graph, i) else bad


def _left_out(graph: _Graph, i: int) -> str | None:
    """`left out by nansum()` for NaN (no Inf) in tensor i's values that a declared call
    was given and left out (`calls._nan_left_out`); no meaning a gradient's NaN inherit
    (a NaN divisor the user gave, left out by nansum, still makes a faulty gradient)."""
    return _nan_left_out(graph, i) if _nan_only(graph.tensors[i]._data) is not None else None


def _filled(graph: _Graph, i: int) -> bool:
    """Whether tensor i is the result of a `where` that chose a constant NaN or inf over a
    finite value (masked.median's NaN, masked.amin's inf where the mask leaves entries out)."""
    if getattr(graph.tensors[i]._ctx, "name", None) != "where":
        return False
    values = [graph.tensors[p] for p in graph.parents[i]]
    fills = [v for v in values if v._ctx is None and not v.requires_grad and v.size
             and not np.isfinite(v._data).any()]
    finite = [v for v in values if np.isfinite(v._data).all()]
    return len(values) == 2 and len(fills) == 1 and len(finite) == 1


def _meant(graph: _Graph, i: int) -> str | None:
    """What the NaN in tensor i's values say where a function put them there on purpose:
    a tensor's own words (`scope.nan_meaning`: a constant's, or a result's, masked.median's
    over a slice left out whole), or, for an op's result, those of an input whose NaN are
    meant and, broadcast to the result, are exactly the result's (masked.var's distances
    from the mean of no entry), or those of the results it alone makes, its NaN exactly
    theirs reshaped (the median's entries before the squeeze); None where any other entry
    is NaN or +Inf (-inf beside them is judged apart: masked.log_softmax's log of 0)."""
    data = graph.tensors[i]._data
    if data.dtype.kind != "f" or not np.isnan(data).any():
        return None
    found = graph.__dict__.get("_meanings")  # (read once a drawing)
    if found is None:
        found = graph.__dict__["_meanings"] = {}
        for k in range(len(graph.tensors)):  # inputs first
            words = _meant_here(graph, k, found)
            if words is not None:
                found[k] = words
        for k in range(len(graph.tensors) - 1, -1, -1):  # results first
            words = _meant_before(graph, k, found)
            if words is not None:
                found[k] = words
    return found.get(i)


def _nan_only(data: np.ndarray, beside_minus_inf: bool = False) -> np.ndarray | None:
    """Where a float array is NaN, if it holds NaN and no Inf (`beside_minus_inf`: no +Inf;
    -inf, a mask's fill or masked.log_softmax's log of 0, is judged apart, `_nonfinite`)."""
    if data.dtype.kind != "f" or (data == np.inf if beside_minus_inf
                                  else np.isinf(data)).any():
        return None
    nan = np.isnan(data)
    return nan if nan.any() else None


def _minus_inf_filled(graph: _Graph, i: int) -> bool:
    """Whether each -inf in tensor i's values is a mask's -inf fill (`_filled`) carried on:
    -inf there in an input whose -inf are such (masked.log_softmax's, at a left-out entry),
    never a -inf of the user's data or an op's own (log of 0)."""
    filled = graph.__dict__.get("_minus_inf_filled")
    if filled is None:
        filled = graph.__dict__["_minus_inf_filled"] = {}
        for k, tensor in enumerate(graph.tensors):  # inputs first
            minus = tensor._data == -np.inf
            if not minus.any() or _filled(graph, k):
                filled[k] = True
                continue
            for p in graph.parents[k]:
                if filled.get(p) and minus.shape == np.shape(graph.tensors[p]._data):
                    minus &= graph.tensors[p]._data != -np.inf
            filled[k] = tensor._ctx is not None and not minus.any()
    return filled[i]


def _meant_here(graph: _Graph, i: int, found: dict[int, str]) -> str | None:
    """`_meant` of tensor i from its own words or its inputs', those before it `found`."""
    tensor = graph.tensors[i]
    nan = _nan_only(tensor._data, beside_minus_inf=True)
    if nan is None or tensor._ctx is not None and not _minus_inf_filled(graph, i):
        return None
    words = nan_meaning(tensor)
    if words is not None:
        return words
    for p in graph.parents[i]:
        if p not in found:
            continue
        try:
            where = np.broadcast_to(np.isnan(graph.tensors[p]._data), nan.shape)
        except ValueError:
            continue
        if np.array_equal(where, nan):
            return found[p]
    return None


def _meant_before(graph: _Graph, i: int, found: dict[int, str]) -> str | None:
    """`_meant` of op result i from the results it makes, those after it `found`: every
    one meant, its NaN exactly i's, reshaped."""
    if i in found or graph.tensors[i]._ctx is None or not graph.consumers[i]:
        return None
    nan = _nan_only(graph.tensors[i]._data, beside_minus_inf=True)
    if nan is None or not _minus_inf_filled(graph, i) or any(
            c not in found or graph.tensors[c].size != nan.size
            or not np.array_equal(np.isnan(graph.tensors[c]._data).ravel(), nan.ravel())
            for c in graph.consumers[i]):
        return None
    return found[graph.consumers[i][0]]


def _meant_grad(graph: _Graph, grads: _Gradients, i: int) -> str | None:
    """What the NaN in tensor i's gradient (this backward pass's) say where they come from
    NaN put on purpose and stop before any leaf: made at an op whose result or an input
    holds such NaN (masked.mean's division by the count of no entry, 0 x 1/NaN), passed on
    to tensor i, and kept by an op from its inputs (`where`, at the entries the mask leaves
    out); None for any other (a NaN that reaches a parameter stays a fault)."""
    found = grads.__dict__.get("_meanings")  # (read once a drawing)
    if found is None:
        found = grads.__dict__["_meanings"] = _meant_grads(graph, grads)
    return found.get(i)


def _meant_grads(graph: _Graph, grads: _Gradients) -> dict[int, str]:
    """`_meant_grad` of every tensor: where its gradient's NaN came from (results first),
    then whether they go on to a leaf and which op keeps them (inputs first)."""
    came: dict[int, str] = {}
    for i in range(len(graph.tensors) - 1, -1, -1):
        if grads.tensor[i] is None or _nan_only(grads.tensor[i]) is None:
            continue
        why = []
        for c, slot in ((c, s) for c in graph.consumers[i]
                        for s, p in enumerate(graph.parents[c]) if p == i):
            edge = grads.edge.get((c, slot))
            if edge is not None and np.isnan(edge).any():
                nan = np.isnan(edge)  # (each NaN where a meant NaN is: else it is a fault)
                why.append(came.get(c) if c in came and _covers(
                    np.isnan(grads.tensor[c]), nan) else next(filter(None, (
                        _meant(graph, k) for k in (c, *graph.parents[c])
                        if _covers(np.isnan(graph.tensors[k]._data), nan))), None))
        if why and all(why):
            came[i] = why[0]
    stops: dict[int, str | None] = {}  # tensor -> the op its gradient's NaN stop at
    for i in range(len(graph.tensors)):
        if grads.tensor[i] is None or not np.isnan(grads.tensor[i]).any():
            continue
        on = [p for slot, p in enumerate(graph.parents[i])
              if (edge := grads.edge.get((i, slot))) is not None and np.isnan(edge).any()]
        ctx = graph.tensors[i]._ctx
        stops[i] = None if ctx is None or any(stops.get(p) is None for p in on) else (
            stops[on[0]] if on else op_name(ctx))
    return {i: f"{words} (op {stops[i]} stops it)" for i, words in came.items()
            if stops.get(i)}


def _covers(meant: np.ndarray, nan: np.ndarray) -> bool:
    """Whether every NaN of a gradient (`nan`, where it is NaN) lies where a tensor's meant
    NaN are (`meant`), broadcast to it, with axes of length 1 put where a reduction took
    them (a sum's gradient copied along its axis); False where the shapes do not align."""
    shape, sizes = [], list(meant.shape)
    for n in nan.shape:  # (each of meant's axes matched in order, a new one where it is not)
        shape.append(sizes.pop(0) if sizes and sizes[0] in (n, 1) else 1)
    if sizes or int(np.prod(shape)) != meant.size:
        return False
    return bool(np.all(np.broadcast_to(meant.reshape(shape), nan.shape) | ~nan))


def _data_marks(graph: _Graph, i: int, bad_grad: str | None,
                grad_meant: str | None = None) -> tuple[list[list[str]], bool]:
    """The lines under tensor i's values: `NaN in data` and `Inf in grad` in red for a
    fault, NaN meant by the function that put them there said in its words (in red after
    `NaN in data` where they reach a NaN output; `grad_meant`, a gradient's, in plain
    text: `_meant_grad`); and whether any is a fault."""
    bad_data, meant = _bad_data(graph, i), _meant(graph, i) or _left_out(graph, i)
    lines = []
    if bad_data and meant and bad_data == "NaN and Inf":  # (the words are the NaN's only:
        # masked.log_softmax's -inf, log 0, beside its NaN of a slice left out whole)
        lines.append([_red(f"Inf in data, NaN {_escape(meant)}")])
    elif bad_data:
        lines.append([_red(f"{bad_data} in data" + (f" {_escape(meant)}" if meant else ""))])
    elif meant:
        lines.append([f"NaN {_escape(meant)}"])
    if bad_grad and grad_meant:  # (which op stops them on a line of its own: a narrower box)
        words, stops, op = grad_meant.partition(" (op ")
        lines += [[f"NaN in grad {_escape(words)}"]] + ([[_escape(f"(op {op}")]] if stops else [])
    elif bad_grad:
        lines.append([_red(f"{bad_grad} in grad")])
    return lines, bool(bad_data or bad_grad and not grad_meant)


def _find_anomaly(output: Tensor) -> tuple[Tensor | Function | None, str]:
    """The first NaN/Inf in the values (inputs to output), else in the gradients: a fault
    only. An op whose backward makes NaN that are meant and stop before any leaf
    (`_meant_grad`) is none: where those are all there is, no culprit (None), drawn in
    the backward view."""
    graph = _collect([output], with_output=True)
    for i, tensor in enumerate(graph.tensors):
        if _bad_data(graph, i) and not any(_bad_data(graph, p) for p in graph.parents[i]):
            return (tensor._ctx if tensor._ctx is not None else tensor), "forward"
    grads, meant = _gradients(graph), False
    for i in range(len(graph.tensors) - 1, -1, -1):
        if grads.tensor[i] is None or _nonfinite(grads.tensor[i]):
            continue
        ctx = graph.tensors[i]._ctx
        bad = [] if ctx is None else [(slot, p) for slot, p in enumerate(graph.parents[i])
                                      if _nonfinite(grads.edge.get((i, slot)))]
        if any(_nan_only(grads.edge[i, slot]) is None or _meant_grad(graph, grads, p) is None
               for slot, p in bad):
            return ctx, "backward"
        meant = meant or bool(bad)
    for tensor in graph.tensors:
        if tensor._grad is not None and _nonfinite(tensor._grad._data):
            return tensor, "backward"
    if meant:
        return None, "backward"
    reason = f" ({grads.note})" if grads.note else ""
    raise ValueError(f"draw_anomaly: no NaN or Inf in the values or gradients of this "
                     f"graph{reason}")

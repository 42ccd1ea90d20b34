"""An op node's title: the op's name, or its symbol with a constant folded in (`× 3`,
`** 2`, `- 10`); getitem's and setitem's index (`setitem [0] = 0`); and the axis a
reduction or softmax runs over (`sum over axis 1`), which decides where its backward copies
each entry of the gradient (one number to every entry, or a row's to that row). A step
page's caption names ops by these titles where two share a name (`ops_told_apart`).
"""
from __future__ import annotations

from typing import Any

from ..index_text import index_text
from .text import _array, _escape, plain

__all__ = ["_op_title"]

_SYMBOLS = {"add": "+", "sub": "-", "mul": "×", "div": "/", "pow": "**"}

# ops whose `axis` says which entries one result combines: `sum` and `sum over axis 1` send
# back different copies of the gradient, so the title says which it is
_OVER_AXIS = frozenset({"sum", "mean", "max", "min", "prod", "var", "std", "logsumexp",
                        "norm", "softmax", "log_softmax", "cumsum", "cumprod"})


def _axes(axis: Any, ndim: int) -> list[int]:
    """An op's `axis` parameter as the axes it names of an input of `ndim` axes, sorted and
    counted from the front (the node's title and its edges say them so); none for None."""
    if axis is None or not ndim:
        return []
    return sorted(a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))


def _axis_words(name: str, params: dict, ndim: int) -> str:
    """`over axis 1`, `over axes 0, 1`; '' for an op over every entry, over none
    (`axis=()`) or without an axis."""
    axes = _axes(params.get("axis"), ndim) if name in _OVER_AXIS else []
    return "" if not axes else f"over axis {axes[0]}" if len(axes) == 1 else \
        "over axes " + ", ".join(str(a) for a in axes)


def op_name(ctx: Any) -> str:
    """An op as a diagram names it: as the user spelled it (`unsqueeze`, `cat`, `view`),
    where that was another of its names, else its own (`expand_dims`, `concatenate`)."""
    return ctx.__dict__.get("_spelled") or ctx.name


def _op_title(drawing: Any, i: int) -> str:
    """The op's name, or its symbol with the constant folded in (`× 3`, `** 2`, `- 10`),
    and the axis it runs over (`sum over axis 1`)."""
    graph = drawing.graph
    ctx = graph.tensors[i]._ctx
    folded = [(slot, p) for slot, p in enumerate(graph.parents[i]) if p in drawing.hidden]
    if ctx.name in ("getitem", "setitem") and "index" in ctx.params:  # `setitem [1] = 0`
        # (at most 4 entries of an index list: a node's title stays narrow)
        where = f"{ctx.name} [{index_text(ctx.params['index'], longest=4)}]"
        value = graph.parents[i][-1]
        if ctx.name == "setitem" and folded == [(1, value)]:  # (the value a constant)
            where += f" = {_array(graph.tensors[value]._data, drawing.options.precision)}"
        return f"<B>{_escape(where)}</B>"
    first = graph.tensors[graph.parents[i][0]]._data if graph.parents[i] else None
    axis = _axis_words(ctx.name, getattr(ctx, "params", None) or {}, getattr(first, "ndim", 0))
    # (a no-break space: an SVG drops the leading space of the text after </B>)
    axis = "&#160;" + _escape(axis) if axis else ""
    if not folded:
        return f"<B>{_escape(op_name(ctx))}</B>{axis}"
    precision = drawing.options.precision
    symbol = _SYMBOLS.get(ctx.name)
    if symbol is not None and len(graph.parents[i]) == 2 and len(folded) == 1:
        slot, p = folded[0]
        number = _array(graph.tensors[p]._data, precision)
        if slot == 1:  # `- (-2)`, `× (-1)`: a negative number after an operator, as by hand
            return f"<B>{symbol} {f'({number})' if number.startswith('-') else number}</B>"
        return f"<B>{number} {symbol}</B>"
    constants = ", ".join(_array(graph.tensors[p]._data, precision) for _, p in folded)
    return f"<B>{_escape(op_name(ctx))} {constants}</B>{axis}"


def ops_told_apart(drawing: Any, i: int, ops: list[int]) -> list[str]:
    """The ops (by their results' positions) that sent tensor i a gradient, named as a
    caption names them: by name (`mul`), those sharing one by their titles as their nodes
    write them (`mul`, `× 2`, `sum over axis 1`), those sharing a title told apart by what
    the reader sees beside their nodes: another input drawn under a name none of the others
    has (`linear with w1`, `linear with 0.weight`), else their results' titles where those
    differ (`mul making mul result #2`)."""
    names = [op_name(drawing.graph.tensors[op]._ctx) for op in ops]
    shared = [k for k, name in enumerate(names) if names.count(name) > 1]
    for k in shared:  # (the label's form: an HTML-like one in brackets)
        names[k] = plain(f"<{_op_title(drawing, ops[k])}>")
    for title in {names[k] for k in shared}:
        alike = [k for k in shared if names[k] == title]
        if len(alike) < 2:
            continue
        inputs = [[drawing.name(p)[0] for p in drawing.graph.parents[ops[k]]
                   if p != i and drawing.drawn(p)] for k in alike]  # (in the op's order)
        results = [drawing.name(ops[k])[0] for k in alike]
        for k, own, result in zip(alike, inputs, results):
            others = {n for other in inputs if other is not own for n in other}
            apart = [n for n in own if n not in others]
            if apart:
                names[k] = f"{title} with {apart[0]}"
            elif results.count(result) == 1:
                names[k] = f"{title} making {result}"
    return names

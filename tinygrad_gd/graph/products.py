"""The text of an edge in the backward view: the chain rule's product that makes its gradient.

`_edge_lines` writes what an edge from an op back to one of its inputs carries, as
`factors = gradient` where the factors can be shown and checked (`_product`): a sum's or
mean's copy of the gradient to each entry, matmul's outer product, and for any other op
the gradient arriving times the op's local derivative; frozen entries are marked.
"""
from __future__ import annotations

import numpy as np

from ..engine import unbroadcast
from .labels import _Drawing, _frozen_entries
from .text import _SHOWN_ENTRIES, _font, _pieces, _value


def _edge_lines(drawing: _Drawing, p: int, target: str,
                parts: list[tuple[int, int | None]]) -> list[list[str]] | None:
    """What an edge from an op back to its input p carries, as the product that makes it."""
    grads = drawing.grads
    sent = [grads.edge.get((i, slot)) for i, slot in parts if slot is not None]
    if not sent or any(g is None for g in sent):
        return None
    carried = np.sum(sent, axis=0)  # x * x: both slots send a share
    op = parts[0][0]
    color = drawing.color(op)
    precision = drawing.options.precision
    slots = [slot for i, slot in parts if slot is not None and i == op]
    product = (_product(drawing, op, p, slots, carried)
               if target == f"f{op}" and len({i for i, _ in parts}) == 1 else None)
    if product is None:
        line = [_value(carried, precision, color)]
    else:
        line = _pieces(product, precision, color) + [_font(" = ", color),
                                                     _value(carried, precision, color)]
    lines = [line]
    mask = getattr(drawing.graph.tensors[p], "frozen_mask", None)
    if mask is not None and np.any(mask):
        lines.append([_font(f"frozen {_frozen_entries(np.asarray(mask), precision)}: "
                            f"zeroed in .grad", color)])
    return lines


def _product(drawing: _Drawing, op: int, p: int, slots: list[int], carried: np.ndarray
             ) -> list | None:
    """The factors whose product is `carried` (arrays and words), or None when none is shown.

    Shown when every factor has at most 12 entries (a sum's or mean's result may be
    larger: it shows as a summary) and the product is checked to give
    what the engine's pass sent: a sum's or mean's copy of the gradient to each entry,
    matmul's outer product (or matrix-vector product), and for any other op the gradient
    arriving times the op's local derivative (scalar outputs and elementwise ops).
    """
    graph = drawing.graph
    upstream = drawing.grads.tensor[op]
    node = drawing.grads.nodes.get(op) or graph.tensors[op]._ctx
    if upstream is None or node is None or len(slots) != 1:
        return None
    small = lambda *arrays: all(np.asarray(a).size <= _SHOWN_ENTRIES for a in arrays)  # noqa: E731
    name, slot = node.name, slots[0]
    values = [graph.tensors[q]._data for q in graph.parents[op]]
    factors: list | None = None
    expected: np.ndarray | None = None
    if name in ("matmul", "dot") and len(values) == 2 and small(upstream, carried, *values):
        a, b = values
        u = np.asarray(upstream)
        if a.ndim == 1 and b.ndim == 1:
            factors, expected = [u, " × ", b if slot == 0 else a], u * (b if slot == 0 else a)
        elif slot == 0 and a.ndim == 2 and b.ndim == 1:
            factors, expected = [u, " ⊗ ", b], np.outer(u, b)
        elif slot == 0 and a.ndim == 1 and b.ndim == 2:
            factors, expected = [b, " @ ", u], b @ u
        elif slot == 0 and a.ndim == 2 and b.ndim == 2:
            factors, expected = [u, " @ ", b, "ᵀ"], u @ b.T
        elif slot == 1 and a.ndim == 1 and b.ndim == 2:
            factors, expected = [a, " ⊗ ", u], np.outer(a, u)
        elif slot == 1 and a.ndim == 2:
            factors, expected = [a, "ᵀ @ ", u], a.T @ u
    elif name in ("sum", "mean") and small(upstream) and carried.size > 1:
        count = carried.size // max(np.asarray(upstream).size, 1)
        scale = " / " + str(count) if name == "mean" else ""
        factors = [np.asarray(upstream), f"{scale} copied to each entry"]
        expected = carried
    else:
        local = drawing.local(op).get(p)
        if local is not None and small(upstream, local[0], carried):
            book = drawing.textbook(op, p)  # the local derivative as a textbook writes it
            numbers = book.numbers if book is not None else None
            if numbers is None or not small(*[a for a in numbers if isinstance(a, np.ndarray)]):
                numbers = [local[0]]
            elif book is not None and book.compound:
                numbers = ["(", *numbers, ")"]
            factors = [np.asarray(upstream), " × ", *numbers]
            expected = np.asarray(upstream) * local[0]
    if factors is None or expected is None:
        return None
    try:
        if expected.shape != carried.shape:
            expected = unbroadcast(expected, carried.shape)
            factors = ["sum of ", *factors]
        if not np.allclose(expected, carried, equal_nan=True):
            return None
    except ValueError:
        return None
    return factors

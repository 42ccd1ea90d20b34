"""The text of an edge in the backward view: the chain rule's product that makes its gradient.

`_edge_lines` writes what an edge from an op back to one of its inputs carries, as
`factors = gradient` where the factors can be shown and checked (`_product`): a sum's or
mean's copy of the gradient to each entry, matmul's outer product, linear's (nn.Linear's)
`deltaᵀ @ input` and its bias's sum over the batch, and for any other op the gradient
arriving times the op's local derivative (`h + h` for an input used twice); a broadcast
input's product is summed over the axes named (`sum over axis 1 (the columns) of`);
frozen entries are marked. Where an array of the product is too big to show whole, the
product reads in the nodes' names, `inputᵀ @ (matmul result grad)`, its value under it; a
name that other drawn nodes share, or a node not drawn, would lead a reader to the wrong
node: that product is not written, the edge shows its value alone.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..engine import broadcast_axes, unbroadcast
from .labels import _Drawing, _frozen_entries
from .derivatives import Textbook, _grouped, _partial, _textbook
from .held import Told
from .text import _all_equal, _escape, _font, _pieces, _shown_whole, _value
from .titles import _axes
from .tooltips import unless_reached

# the transpose beside a matrix's table: full size and bold, where a superscript's ᵀ in the
# edges' 9-point text was a speck by the table's border. In a line of text it is a piece of
# its own, a run as Graphviz measures it: a step page's hidden `ᵀ @ ` ran in other pieces
# than shown, the frames 1 pt apart (beside a table, `ᵀ @ ` is one cell)
_T = '<FONT POINT-SIZE="16"><B>ᵀ</B></FONT>'


class _Operand(int):
    """A factor that is one of the op's inputs (its slot), or the gradient arriving (-1):
    its array where the product shows in numbers, its node's name where in names (by slot,
    as two operands may share one array: `x @ x.detach()`)."""


_GRAD, _A, _B = _Operand(-1), _Operand(0), _Operand(1)


class _Product(NamedTuple):
    """The factors that make a gradient (`_product`): text and arrays, and whether they are
    the gradient arriving times a local derivative written in numbers alone (`× 1`, `× 2 ×
    [..]`: no formula, name or word), whose value a reader works out from them."""

    pieces: list
    times_numbers: bool = False


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
    first = None if product is None else product.pieces[0]  # (the gradient, or words)
    if product is None:
        lines = [[_value(carried, precision, color)]]
    elif carried.ndim > 1 and product.times_numbers and isinstance(first, np.ndarray) \
            and first.shape == carried.shape and np.array_equal(first, carried):
        lines = [_pieces(product.pieces, precision, color)]  # (times 1: a matrix once)
    elif not _shown_whole(carried):  # a summary: `= [..] min .. max ..` under its product
        lines = [_pieces(product.pieces, precision, color),
                 [_font("= ", color), _value(carried, precision, color)]]
    else:
        lines = [_pieces(product.pieces, precision, color)
                 + [_font(" = ", color), _value(carried, precision, color)]]
    frozen = frozen_line(drawing, p, color)
    return unless_reached(color is None, lines + ([frozen.line] if frozen else []))


def frozen_line(drawing: _Drawing, p: int, color: str | None,
                limit: int = 10**3) -> Told | None:
    """`frozen [0]: zeroed in .grad`: the entries of tensor p that backward() leaves 0 in
    its `.grad` (`freeze_`), said under a product that makes them; `frozen [0]` alone where
    `.grad` is not 0 there (frozen since, or no `.grad`); None where none is frozen. The
    entries listed where `frozen [..]` fits `limit` characters, else counted, `frozen 5
    entries`, as a node says more than it lists (`labels._frozen_entries`)."""
    tensor = drawing.graph.tensors[p]
    mask = getattr(tensor, "frozen_mask", None)
    if mask is None or not np.any(mask):
        return None
    listed = _frozen_entries(np.asarray(mask), drawing.options.precision,
                             limit - len("frozen "))
    entries = f"frozen {listed}".rstrip()  # (a one-number tensor: `frozen: zeroed in .grad`)
    held = None if tensor._grad is None else np.asarray(tensor._grad._data)
    if held is None or held.shape != mask.shape or np.any(held[mask] != 0):
        return Told([_font(entries, color)], [])
    return Told([_font(f"{entries}:", color)], [_font(" zeroed in .grad", color)])


def _product(drawing: _Drawing, op: int, p: int, slots: list[int], carried: np.ndarray,
             names: Callable[[_Operand], str | None] | None = None) -> _Product | None:
    """The factors whose product is `carried` (arrays and words), or None when none is shown.

    The product is checked to give what the engine's pass sent: a sum's or mean's copy of
    the gradient to each entry, matmul's and linear's products (outer, matrix-vector,
    `deltaᵀ @ input`, the bias's sum over the batch), and for any other op the gradient
    arriving times the op's local derivative (scalar outputs and elementwise ops; an input
    used twice, `h * h`, one term per use). A broadcast input's product is summed over the
    axes it was copied along, which are named. Where an array of the product, the result
    included, is too big to show whole, the product reads in names (`_named`); with
    `names` (how a module call's box names an operand: `boxes.py`), always.
    """
    graph = drawing.graph
    upstream = drawing.grads.tensor[op]
    node = drawing.grads.nodes.get(op) or graph.tensors[op]._ctx
    if upstream is None or node is None or not slots:
        return None
    name, slot = node.name, (slots[0] if len(slots) == 1 else None)
    values = [graph.tensors[q]._data for q in graph.parents[op]]
    u = np.asarray(upstream)
    factors: list | None = None
    expected: np.ndarray | None = None
    local: np.ndarray | None = None  # times u: the product expected
    times_numbers = False  # (see _Product)
    wordy = names is not None or not (_shown_whole(u) and _shown_whole(carried))  # in names
    if name in ("matmul", "dot", "linear") and slot is not None:
        factors, expected = (_linear if name == "linear" else _matmul)(values, slot, u)
        wordy = wordy or not all(_shown_whole(values[a]) for a in factors or []
                                 if isinstance(a, _Operand) and a >= 0)
    elif name in ("sum", "mean") and carried.size > 1:
        count = carried.size // max(u.size, 1)
        scale = " / " + str(count) if name == "mean" else ""
        factors, expected = [_GRAD, f"{scale} {_copied(carried.shape, node, u.size)}"], carried
    else:
        derivative = drawing.local(op).get(p)
        if derivative is not None:
            local = np.asarray(derivative[0])
            book, told = (_textbook_drawn(drawing, op, p) if names is None
                          else _textbook_named(drawing, op, p, names))
            # (∂/∂x is on the op's node for a one-number result only: else `∂(sin result)/∂x`)
            of = drawing.name(op)[0] if derivative[1] else ""
            partial = _partial(drawing.name(p)[0], of)
            pieces, written = _local_factors(book, local, partial, wordy)
            factors = [_GRAD, " × ", *pieces]
            times_numbers = written == "numbers"
            # (a partial names the op's result: a node a box does not draw)
            if wordy and (written == "formula" and not told or written == "partial" and (
                    names is not None or of and not drawing.drawn_once(op))):
                return None
    if factors is None or (expected is None and local is None):
        return None
    try:  # a user's op declared elementwise=True that is not: shapes that do not fit
        if local is not None:
            expected = u * local
        if expected.shape != carried.shape:
            summed = unbroadcast(expected, carried.shape)
            factors = [_summed_over(expected.shape, carried.shape), *factors]
            expected = summed
        if not np.allclose(expected, carried, equal_nan=True):
            return None
    except ValueError:
        return None
    if wordy:
        shown = _named(drawing, op, factors, u, values,
                       names or (lambda operand: _edge_name(drawing, op, operand)))
        return None if shown is None else _Product(shown, times_numbers)
    return _Product(_transposes([(u if piece < 0 else values[piece])
                                 if isinstance(piece, _Operand) else piece
                                 for piece in factors], drawing.options.precision),
                    times_numbers)


def _short(a: np.ndarray) -> bool:
    """Whether an array is as short written out as by name: one number, or all one number
    (`all 0.125 (4, 10)`)."""
    return a.size <= 1 or _all_equal(a) is not None


def _local_factors(book: Textbook | None, local: np.ndarray, partial: str,
                   wordy: bool) -> tuple[list, str]:
    """An op's local derivative as a factor, and how it is written ("numbers", "formula" or
    "partial"): its textbook numbers (`2 × [..]`) where each array shows whole, else the
    derivative's value, or where the product reads in names (`wordy`; the arrays shown only
    where they are `_short`) the textbook's formula in the inputs' names (`2 × (sub
    result)`), in parentheses where it is more than a product (`Textbook.product`: `× (1 -
    tanh²)`, `× (1 where positive, else 0)`), else as the op's node writes it, or with the
    result's name where its node does not (`partial`: `∂/∂x`, `∂(sin result)/∂x`)."""
    fits = _short if wordy else _shown_whole
    numbers = book.numbers if book is not None else None
    if numbers is not None and all(fits(a) for a in numbers if isinstance(a, np.ndarray)):
        return (["(", *numbers, ")"] if book.compound else numbers), "numbers"
    if fits(local):
        return [local], "numbers"
    if book is None:
        return [partial], "partial"
    formula = _escape(book.formula, 10**3)
    return [formula if book.product and not book.compound else f"({formula})"], "formula"


def _named(drawing: _Drawing, op: int, factors: list, u: np.ndarray,
           values: list[np.ndarray], names: Callable[[_Operand], str | None]) -> list | None:
    """A product too big to show whole in names: each operand or gradient that is not
    `_short` by its name (`names`: an edge's are `_edge_name`), the transpose after a name
    a superscript letter: `inputᵀ @ (matmul result grad)`. None where an operand has none."""
    shown: list = []
    named: set[int] = set()
    for piece in factors:
        array = (u if piece < 0 else values[piece]) if isinstance(piece, _Operand) else piece
        if isinstance(piece, _Operand) and not _short(array):
            name = names(piece)
            if name is None:
                return None
            named.add(len(shown))
            shown.append(_escape(name, 10**3))
        else:
            shown.append(array)
    return _transposes(shown, drawing.options.precision, named)


def _edge_name(drawing: _Drawing, op: int, operand: _Operand) -> str | None:
    """An operand as an edge names it: the gradient arriving by its node's title and word,
    `(matmul result grad)`, an input as its node's title, `input`; None where the name
    would not lead to its one node (`drawn_once`)."""
    q = op if operand < 0 else drawing.graph.parents[op][operand]
    if not drawing.drawn_once(q):
        return None
    return f"({drawing.name(op)[0]} grad)" if operand < 0 \
        else _grouped(drawing._formula_name(q))


def _transposes(shown: list, precision: int, names: set[int] = frozenset()) -> list:
    """A product's pieces with each `ᵀ @ ` as it is drawn: after a name a superscript
    letter, `inputᵀ @ `, one piece; after a matrix's table one cell; else `_T` a piece of
    its own, a run as Graphviz measures it (see _T)."""
    out: list = []
    for k, piece in enumerate(shown):
        if not (isinstance(piece, str) and piece.startswith(_T) and piece != _T and k):
            out.append(piece)
        elif k - 1 in names:
            out[-1] += "ᵀ" + piece[len(_T):]
        elif isinstance(shown[k - 1], np.ndarray) \
                and _value(shown[k - 1], precision, None).startswith("<TABLE"):
            out.append(piece)
        else:
            out += [_T, piece[len(_T):]]
    return out


def _textbook_drawn(drawing: _Drawing, op: int, p: int) -> tuple[Textbook | None, bool]:
    """Op's derivative wrt p in its textbook form in its nodes' names, and whether each
    input the formula names (`Textbook.named`: the mul result of `2 × (mul result)`) is
    `drawn_once`, so that its name leads to its node; a constant drawn in its op's label,
    named by its value, aside."""
    book = drawing.textbook(op, p)
    parents = drawing.graph.parents[op]
    return book, book is None or all(drawing.drawn_once(parents[slot]) for slot in book.named
                                     if parents[slot] not in drawing.hidden)


def _textbook_named(drawing: _Drawing, op: int, p: int,
                    names: Callable[[_Operand], str | None]) -> tuple[Textbook | None, bool]:
    """Op's derivative wrt p in its textbook form in the words `names` gives its inputs (a
    box's: `(result grad) × input`, as its Linear's `(result grad)ᵀ @ input`), and whether
    each input the formula names has such a name."""
    parents, local = drawing.graph.parents[op], drawing.local(op).get(p)
    said = {q: drawing._formula_name(q) if q in drawing.hidden else names(_Operand(slot))
            for slot, q in enumerate(parents)}
    if local is None:
        return None, True
    with np.errstate(all="ignore"):  # (as Drawing.textbook)
        book = _textbook(drawing.graph, op, p, lambda q: said[q] or "?", local[0])
    return book, book is None or all(said[parents[slot]] for slot in book.named)


def _matmul(values: list[np.ndarray], slot: int, u: np.ndarray
            ) -> tuple[list | None, np.ndarray | None]:
    """x @ y's factors for one operand: the gradient arriving times the other operand."""
    a, b = values
    if a.ndim == 1 and b.ndim == 1:
        return [_GRAD, " × ", _B if slot == 0 else _A], u * (b if slot == 0 else a)
    if slot == 0 and a.ndim == 2 and b.ndim == 1:
        return [_GRAD, " ⊗ ", _B], np.outer(u, b)
    if slot == 0 and a.ndim == 1 and b.ndim == 2:
        return [_B, " @ ", _GRAD], b @ u
    if slot == 0 and a.ndim == 2 and b.ndim == 2:
        return [_GRAD, " @ ", _B, _T], u @ b.T
    if slot == 1 and a.ndim == 1 and b.ndim == 2:
        return [_A, " ⊗ ", _GRAD], np.outer(a, u)
    if slot == 1 and a.ndim == 2:
        return [_A, _T + " @ ", _GRAD], a.T @ u
    return None, None


def _linear(values: list[np.ndarray], slot: int, u: np.ndarray
            ) -> tuple[list | None, np.ndarray | None]:
    """linear(x, w, b) = x @ wᵀ + b: delta @ w for x, deltaᵀ @ x (delta ⊗ x for one
    sample) for w, delta summed over the batch for b."""
    x = values[0]
    if x.ndim > 2:
        return None, None
    if slot == 0:
        return [_GRAD, " @ ", _B], u @ values[1]
    if slot == 1:
        return (([_GRAD, " ⊗ ", _A], np.outer(u, x)) if x.ndim == 1
                else ([_GRAD, _T + " @ ", _A], u.T @ x))
    if x.ndim == 1:
        return [_GRAD, " × 1"], u
    return ["sum over the batch (axis 0) of ", _GRAD], u.sum(axis=0)


def _copied(shape: tuple[int, ...], node, count: int) -> str:
    """Where a sum's or mean's backward copies its gradient: one number to each entry, or
    each entry of a gradient of several along the axes summed (`copied along axis 1 (the
    columns)`), where "to each entry" would read as the whole gradient in every entry."""
    axes = _axes((getattr(node, "params", None) or {}).get("axis"), len(shape))
    if count == 1:
        return "copied to each entry"
    if not axes:  # (`sum(axis=())` sums nothing)
        return "passed on as it is"
    if len(axes) > 1:
        return "copied along axes " + ", ".join(map(str, axes))
    words = {(2, 0): " (the rows)", (2, 1): " (the columns)"}.get((len(shape), axes[0]), "")
    return f"copied along axis {axes[0]}{words}"


def _summed_over(shape: tuple[int, ...], target: tuple[int, ...]) -> str:
    """What a broadcast input's product is summed over to its shape: every entry (`sum of`),
    or the axes it was copied along (`sum over axis 1 (the columns) of`)."""
    axes = broadcast_axes(shape, target)
    if int(np.prod(target)) == 1:
        return "sum of "
    words = {(2, 0): " (the rows)", (2, 1): " (the columns)"}.get((len(shape), axes[0]), "")
    if len(axes) > 1:
        return "sum over axes " + ", ".join(map(str, axes)) + " of "
    return f"sum over axis {axes[0]}{words} of "

"""Local derivatives in their textbook form: `2 × error`, then with the numbers `2 × (-4)`.

An op's local derivative d(result)/d(input) is computed by the op's own backward
(`_local_derivatives`: the backward applied to ones); the rest of this module writes it
the way a textbook does, for the ops whose derivative has a well-known form:

    x ** c (constant c)   c × x^(c-1)      (`2 × error`: the squared error's 2 × error)
    x * y                 y for x, x for y (`input`: the value of the node feeding it)
    x + y, x - y          1, and -1 for the y of x - y
    x / y                 1 / y for x, -x / y² for y
    -x                    -1
    exp(x), log(x)        exp(x) (the result), 1 / x
    sqrt(x), x², 1 / x    1 / (2 √x), 2 × x, -1 / x²
    tanh, sigmoid         1 - tanh², sigmoid × (1 - sigmoid) (of x: the result)
    relu                  1 where x > 0, else 0 (`where positive` after a call's title)
    where (tg.masked's)   1 where mask, else 0 (x of where(mask, x, fill): the argument)
    sum, mean, matmul     1 (to each entry), 1 / n, the other operand
    linear (one output)   the input for the weight, the weight for the input, 1 for the bias
    h * h (one input      one term per use, added: h + h
      in two slots)

`_textbook(graph, i, p, names)` returns a `Textbook`: the formula in the inputs' names
and, where the numbers read better than the bare derivative, the same formula with the
inputs' values (pieces: text and arrays, which the caller formats). The numbers are
checked against the derivative the op's backward gave; a rule that does not give the
same numbers is not shown (the bare derivative is).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..engine import Function, _fit
from ..scope import argument_of
from ..tensor import _raw
from .text import _NOISE, _escape
from .unshown import misdeclared
from .walk import _Graph

Pieces = list  # of str (text) and np.ndarray (a value, formatted by the caller)

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@dataclass
class Textbook:
    """d(op result)/d(one input), written as a textbook does.

    `formula`: in words, the inputs by name (`2 × error`). `numbers`: the formula with
    the inputs' values (`2 × (-4)`), or None when it would only repeat the derivative's
    value (`1`, or a mul's other operand, which is its value already). `named`: the slots
    of the inputs whose names the formula holds (`(0,)` for `2 × error`; none for `1`,
    `1 - tanh²`: the result's, `1 where mask, else 0`: an argument drawn in no node).
    """

    formula: str
    numbers: Pieces | None = None
    named: tuple[int, ...] = ()
    compound: bool = False  # the numbers need parentheses in a product: (1 - 0.46²)
    complete: bool = False  # the formula says every number (`1 to each entry`)
    product: bool = True  # the formula is factors, `2 × x`, `exp(x)`, written after `×` as it
    # is; else (`1 where x > 0, else 0`), like a compound's, in parentheses


def _power(c: float) -> str:
    """`²` for 2, `^2.5` for 2.5: an exponent written after its base."""
    if float(c).is_integer() and abs(c) < 100:
        return str(int(c)).translate(_SUPERSCRIPTS)
    return f"^{c:g}" if c >= 0 else f"^({c:g})"  # x^(-1.5), as x - (-2)


def _grouped(name: str) -> str:
    """A name inside a formula: a name of several words, or a negative number (a constant
    drawn in its op's label: `1 / (-2)`), in parentheses."""
    return f"({name})" if " " in name or name.startswith("-") else name


def _bare(name: str) -> str:
    """A name inside a function's parentheses: no parentheses of its own."""
    return name[1:-1] if name.startswith("(") and name.endswith(")") else name


def _partial(name: str, of: str = "") -> str:
    """d(an op's result)/d(its input `name`) as an op's node writes it, escaped for a label:
    `∂/∂x`, a module call's result (`4: Linear(64 -> 10) result`) in parentheses; with `of`,
    the result's name, where no node writes the derivative: `∂(sin result)/∂x`, an input
    of several words in parentheses as the result is, `∂(sin result)/∂(mul result)`."""
    result = _escape(_grouped(of)) if of else ""
    grouped = ": " in name or "(" in name or (of and " " in name)
    return f"∂{result}/∂" + _escape(f"({name})" if grouped else name)


def _textbook(graph: _Graph, i: int, p: int, name: Callable[[int], str],
              local: np.ndarray) -> Textbook | None:
    """d(op i's result)/d(input p) in its textbook form, or None when it has none here.

    `name(q)`: the drawn name of tensor q; `local`: the derivative the op's backward gave
    (the numbers are checked against it).
    """
    node = graph.tensors[i]._ctx
    if node is None:
        return None
    parents = graph.parents[i]
    slots = [slot for slot, q in enumerate(parents) if q == p]
    values = [graph.tensors[q]._data for q in parents]
    out = graph.tensors[i]._data
    names = [_grouped(name(q)) for q in parents]
    rule = _RULES.get(node.name)
    if rule is None or not slots:
        return None
    try:
        found = [rule(slot, values, out, names, node) for slot in slots]
        if any(use is None for use in found):
            return None
        textbook, value = found[0] if len(found) == 1 else _uses(found)
        if re.fullmatch(r"\(-[^ ()]+\)", textbook.formula):  # a negative number alone: `-3`
            textbook.formula = textbook.formula[1:-1]
    except (IndexError, ValueError, TypeError, ZeroDivisionError):
        return None
    try:
        with np.errstate(all="ignore"):
            same = np.allclose(np.broadcast_to(value, np.shape(local)), local, equal_nan=True)
    except ValueError:
        return None
    return textbook if same else None


def _uses(found: list[tuple[Textbook, np.ndarray]]) -> tuple[Textbook, np.ndarray]:
    """An input used in several slots (`h * h`): one term per use, added (`h + h`); a term
    with a minus sign in parentheses (`1 + (-1)` for x - x)."""
    terms, numbers, value, named = [], [], 0, ()
    for book, term in found:
        named += tuple(slot for slot in book.named if slot not in named)
        pieces = book.numbers if book.numbers is not None else [np.asarray(term)]
        if book.formula.startswith("-"):
            terms.append(f"({book.formula})")
            pieces = ["(", *pieces, ")"] if isinstance(pieces[0], str) else pieces
        else:
            terms.append(book.formula)
        numbers += [" + ", *pieces] if numbers else pieces
        value = value + term
    if all(re.fullmatch(r"-?\d+", book.formula) for book, _ in found):
        numbers = None  # `1 + 1`: the formula has the numbers already
    return Textbook(" + ".join(terms), numbers, named, compound=True), value


# Each rule: (slot, input values, result value, input names, node) -> (Textbook, value)
# or None; the value is what the formula gives, checked against the op's backward.


def _pow(slot, values, out, names, node):
    if slot != 0 or len(values) != 2 or np.size(values[1]) != 1:
        return None
    x, c = values[0], float(np.asarray(values[1]).reshape(-1)[0])
    if c == 0:
        return None
    if c == 1:
        return Textbook("1"), np.ones_like(x)
    if c == 2:
        return Textbook(f"2 × {names[0]}", ["2 × ", x], (0,)), 2 * x
    number = str(int(c)) if c.is_integer() else f"{c:g}"
    power = _power(c - 1)
    with np.errstate(all="ignore"):
        value = c * x ** (c - 1)
    return Textbook(f"{number} × {names[0]}{power}", [f"{number} × ", x, power], (0,)), value


def _mul(slot, values, out, names, node):
    if len(values) != 2:
        return None
    other = 1 - slot
    value = values[other]
    if np.size(value) == 1 and np.size(out) > 1:  # a scalar: `× 0.65`, not `× [0.65, 0.65]`
        return Textbook(names[other], [np.asarray(value).reshape(())], (other,)), value
    if np.size(value) < np.size(out):  # broadcast: each row times the input, as it is
        return Textbook(names[other], [np.asarray(value)], (other,)), value
    return Textbook(names[other], named=(other,)), value


def _add(slot, values, out, names, node):
    return Textbook("1", [np.array(1)]), np.ones_like(out)


def _sub(slot, values, out, names, node):
    one = 1 if slot == 0 else -1
    return Textbook(str(one), [np.array(one)]), np.full_like(out, one)


def _div(slot, values, out, names, node):
    x, y = values
    if slot == 0:
        return Textbook(f"1 / {names[1]}", ["1 / ", y], (1,), True), 1 / y
    return (Textbook(f"-{names[0]} / {names[1]}²", ["-", x, " / ", y, "²"], (0, 1), True),
            -x / y ** 2)


def _neg(slot, values, out, names, node):
    return Textbook("-1", [np.array(-1)]), -np.ones_like(out)


def _exp(slot, values, out, names, node):
    return Textbook(f"exp({_bare(names[0])})", named=(0,)), out


def _log(slot, values, out, names, node):
    return Textbook(f"1 / {names[0]}", ["1 / ", values[0]], (0,), True), 1 / values[0]


def _sqrt(slot, values, out, names, node):
    return (Textbook(f"1 / (2 √{names[0]})", ["1 / (2 × ", out, ")"], (0,), True),
            1 / (2 * out))


def _square(slot, values, out, names, node):
    return Textbook(f"2 × {names[0]}", ["2 × ", values[0]], (0,)), 2 * values[0]


def _reciprocal(slot, values, out, names, node):
    return (Textbook(f"-1 / {names[0]}²", ["-1 / ", values[0], "²"], (0,), True),
            -1 / values[0] ** 2)


def _tanh(slot, values, out, names, node):
    numbers = None if _whole_by_noise(out) else ["1 - ", out, "²"]
    return Textbook("1 - tanh²", numbers, compound=True), 1 - out * out


def _sigmoid(slot, values, out, names, node):
    numbers = None if _whole_by_noise(out) else [out, " × (1 - ", out, ")"]
    return Textbook("sigmoid × (1 - sigmoid)", numbers), out * (1 - out)


def _whole_by_noise(out: np.ndarray) -> bool:
    """Whether a result a hair from ±1 (sigmoid(31): 1 - 3e-14) prints as `1`, as float
    noise does (`text._number`): its `(1 - 1)` would read 0 beside a gradient that is not,
    so the derivative's value is shown instead."""
    near = np.abs(np.asarray(out, dtype=np.float64))
    return bool(np.any((near != 1) & (np.abs(1 - near) <= _NOISE)))


def _relu(slot, values, out, names, node):
    # (a module call's long title, said twice, made the widest label of an open network)
    title = ": " in names[0] or "(" in _bare(names[0])  # (as labels' ∂/∂(...) brackets)
    where, named = ("positive", ()) if title else (f"{names[0]} > 0", (0,))
    return (Textbook(f"1 where {where}, else 0", named=named, product=False),
            (values[0] > 0).astype(out.dtype))


def _where(slot, values, out, names, node):
    # only where the condition is an argument of the user's call (tg.masked's `mask`): a
    # condition drawn in no node has no name to write
    name = argument_of(node)
    if name is None or slot != 0:
        return None
    kept = np.broadcast_to(node.params["condition"], np.shape(out))
    return Textbook(f"1 where {name}, else 0", product=False), kept.astype(out.dtype)


def _sum(slot, values, out, names, node):
    if np.size(values[0]) == 1:
        return Textbook("1"), np.ones_like(values[0])
    return Textbook("1 to each entry", complete=True), np.ones_like(values[0])


def _mean(slot, values, out, names, node):
    if np.size(values[0]) == 1:
        return Textbook("1"), np.ones_like(values[0])
    count = getattr(node, "count", None) or max(np.size(values[0]) // max(np.size(out), 1), 1)
    return (Textbook(f"1 / {count} to each entry", complete=True),
            np.full(np.shape(values[0]), 1 / count))


def _matmul(slot, values, out, names, node):
    a, b = values
    if a.ndim != 1 or b.ndim != 1:  # a vector's dot product: the other vector
        return None
    return Textbook(names[1 - slot], named=(1 - slot,)), values[1 - slot]


def _linear(slot, values, out, names, node):
    x, w = values[:2]
    if np.size(out) != 1:  # one derivative per output: the edges' products show them
        return None
    if slot == 2:
        return Textbook("1", complete=True), np.ones_like(values[2])
    if slot == 1:
        return Textbook(names[0], named=(0,)), np.reshape(x, np.shape(w))
    return Textbook(names[1], named=(1,)), np.reshape(w, np.shape(x))


_RULES: dict[str, Callable] = {
    "pow": _pow, "mul": _mul, "add": _add, "sub": _sub, "div": _div, "neg": _neg,
    "exp": _exp, "log": _log, "sqrt": _sqrt, "square": _square, "reciprocal": _reciprocal,
    "tanh": _tanh, "sigmoid": _sigmoid, "relu": _relu, "sum": _sum, "mean": _mean,
    "matmul": _matmul, "dot": _matmul, "linear": _linear, "where": _where,
}


def _local_derivatives(graph: _Graph, i: int, node: Function | None = None
                       ) -> dict[int, tuple[np.ndarray, bool]]:
    """d(op output)/d(input) for each input needing a gradient: {position: (array, per element)}.

    The op's backward (of `node`: the graph's own, or its throwaway twin after backward()
    freed the arrays) applied to ones: for a scalar output that is the exact derivative
    (shaped like the input); for an elementwise op, one derivative per output element.
    """
    tensor = graph.tensors[i]
    ctx = node if node is not None else tensor._ctx
    assert ctx is not None, "only ops have local derivatives"
    scalar = tensor.size == 1
    elementwise = type(ctx).elementwise and not misdeclared(tensor)
    if ctx.saved_tensors is None or not (scalar or elementwise) or getattr(
            ctx, "saved_specs", None) is not None:  # (packed by saved_tensors_hooks: not arrays)
        return {}
    try:
        with np.errstate(all="ignore"):  # NaN and Inf are marked in the picture, not warned
            sent = type(ctx).backward(ctx, np.ones_like(tensor._data))  # a @staticmethod too
    except Exception:
        return {}
    local: dict[int, tuple[np.ndarray, bool]] = {}
    for p, d in zip(graph.parents[i], sent if isinstance(sent, tuple) else (sent,)):
        parent = graph.tensors[p]
        if d is None or not parent.requires_grad:
            continue
        d = _fit(d, parent._data, ctx.name) if scalar else np.asarray(_raw(d))  # as vjp does
        if p in local:  # the same tensor in two slots (x * x): derivatives add up
            if local[p][0].shape != d.shape:
                del local[p]
                continue
            d = local[p][0] + d
        local[p] = (d, not scalar)
    return local

"""The text of an op's node: its title, and in the backward view its local derivatives.

`_op_lines`: the op's title (`titles.py`), then d(result)/d(input) for each input that
needs a gradient, in its textbook form where the op has one (`∂/∂error = 2 × error = 2 ×
(-4)`, `derivatives.py`), with the numbers for a one-number result; or, for a one-number
result, its value. An input is named as its node is (`∂/∂error`): the names of an op's own
inputs are told apart already (`mul result #1`, `#2`), and its edges lead to them. A stale
op (an input changed in place since it ran) says so instead, and a checkpoint that the
gradients drawn stop there (`unshown.rerun_words`).
"""
from __future__ import annotations

import numpy as np

from .derivatives import _partial
from .labels import _Drawing
from .nans import _red
from .text import _SHOWN_ENTRIES, _array, _escape, _pieces, _plain, _value
from .titles import _op_title
from .unshown import RERUN, rerun_words


def _op_lines(drawing: _Drawing, i: int) -> list[list[str]]:
    """The op's title, and in the backward view its local derivative wrt each input.

    In its textbook form where the op has one (`∂/∂error = 2 × error = 2 × (-4)`), with
    the numbers for a scalar result; otherwise, for a scalar result, its value.
    """
    lines = [[_op_title(drawing, i)]]
    if drawing.grads.stale.get(i) == RERUN:  # (a checkpoint: no fault, the drawing stops)
        if drawing.options.mode == "backward":
            lines += [[_escape(words)] for words in rerun_words(drawing.graph.tensors[i]._ctx)]
    elif i in drawing.grads.stale:
        words = _stale_words(drawing.grads.stale[i], drawing.options.mode)
        if words:
            lines.append([_red(_escape(words))])
    elif drawing.options.mode == "backward":
        precision = drawing.options.precision
        for p, (local, per_element) in drawing.local(i).items():
            start = _partial(drawing.name(p)[0]) + " = "
            book = drawing.textbook(i, p)
            if book is not None:
                line = [start + _escape(book.formula, 10**3)]
                numbers = book.numbers
                if per_element or book.complete:
                    pass  # entry by entry: the numbers are on the edge
                elif numbers is not None and all(np.size(a) <= _SHOWN_ENTRIES
                                                 for a in numbers if isinstance(a, np.ndarray)):
                    if _plain(numbers, precision) != book.formula:
                        line += [" = ", *_pieces(numbers, precision)]
                elif numbers is None and local.size <= _SHOWN_ENTRIES \
                        and book.formula != _array(local, precision):
                    line += [" = ", _value(local, precision)]
                lines.append(line)
            elif not per_element:  # a scalar output's (a large one's a summary)
                lines.append([start, _value(local, precision)])
    return lines


def _stale_words(why: str, mode: str) -> str | None:
    """What the node of an op listed as stale (`_Gradients.stale`, `why` its reason) says:
    in the backward view why its factors are not shown; in the forward view, which shows no
    factors, only that a value it used changed since (a random op's values are right)."""
    if why.startswith("the output of op"):
        words = "its result changed in place since it ran"
    elif "gives other values when run again" in why:
        if mode == "forward":
            return None
        words = "gives other values when run again (a random op?)"
    else:
        words = "an input changed in place since it ran"
    return words + (": factors not shown" if mode == "backward" else "")

"""Labels and layout: what each node and edge says, and how it looks.

- the node styles and the legend's words (the options every drawing takes are in
  `options.py`; numbers and arrays as text, and label pieces, in `text.py`);
- `_Drawing`: what the node and edge writers need, computed once (names, kinds,
  gradients, local derivatives, which backward step a frame shows);
- the text of a tensor's node (`_tensor_lines`) and the notes under a drawing (`_notes`);
  the text of an op's node is in `partials.py`, of a box in `boxes.py`, of an edge in the
  backward view in `products.py`.

A label is a list of lines, a line a list of pieces: HTML-like text, or a table (a
matrix). Without tables the lines are joined with <BR/>; with one, the label is a table
of rows.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..engine import Function
from .calls import _argument_names, _call_result, _made_in_call, _module_title
from .derivatives import Textbook, _local_derivatives, _textbook
from .text import (_LINE, _SHOWN_ENTRIES, _array, _cut, _escape, _font, _nested,
                   _nonfinite, _opens, _value)
from .held import held_lines, hooked_upstream
from .makings import grad_word
from .nans import _ANOMALY_STYLE, _data_marks, _meant_grad, _red
from .options import _Options
from .titles import op_name
from .tooltips import unless_reached
from .walk import _Box, _Gradients, _Graph, _Layout, _layout, _Names, _unit_count

_HIDDEN = "#fffffe"  # what a step-by-step frame has not reached yet: its page hides it

_STYLES: dict[str, dict[str, str]] = {
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e9ecef"},
    "constant": {"shape": "box", "style": "rounded,filled,dotted", "fillcolor": "#f8f9fa"},
    "parameter": {"shape": "box", "style": "filled,bold", "fillcolor": "#cfe2ff"},
    "frozen": {"shape": "box", "style": "filled,dashed", "fillcolor": "#dee2e6"},
    "partly_frozen": {"shape": "box", "style": "filled,dashed,bold", "fillcolor": "#cfe2ff"},
    "buffer": {"shape": "box", "style": "filled", "fillcolor": "#e5dbff"},
    "intermediate": {"shape": "box", "style": "rounded"},
    "output": {"shape": "box", "style": "filled,bold", "fillcolor": "#ffd8a8",
               "peripheries": "2"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fff3bf"},
    "module": {"shape": "box3d", "style": "filled", "fillcolor": "#d3f9d8",
               "margin": "0.16,0.1"},  # room for the 3-d edge above the title
    "rest": {"shape": "note", "style": "filled", "fillcolor": "#f1f3f5"},
    "sum": {"shape": "ellipse", "style": "filled", "fillcolor": "#fff3bf", "peripheries": "2"},
    "alike": {"shape": "note", "style": "filled", "fillcolor": "#e7f5ff"},
    "chain": {"shape": "note", "style": "filled", "fillcolor": "#f1f3f5"},
}
_STYLES["function"] = _STYLES["module"]  # a function's call folded (`scope.drawn_as_call`)
_STYLES["making"] = _STYLES["chain"]  # the nodes making one input of a join (`makings.py`)
_HIGHLIGHT_STYLE = {"color": "#c92a2a", "penwidth": "4", "fillcolor": "#ffc9c9"}
_NO_GRAD_EDGE = {"style": "dashed", "color": "#adb5bd"}

_LEGEND = (
    ("input", "input / data (leaf)"),
    ("constant", "constant (0-d leaf)"),
    ("parameter", "parameter (requires_grad)"),
    ("frozen", "frozen parameter"),
    ("partly_frozen", "partly frozen (frozen_mask)"),
    ("buffer", "buffer (model state)"),
    ("intermediate", "intermediate result"),
    ("output", "output"),
    ("op", "op"),
    ("module", "module call (folded)"),
    ("function", "function call (folded)"),
    ("rest", "folded nodes"),
    ("anomaly", "NaN or Inf"),
    ("highlight", "highlighted"),
)


# ---------------------------------------------------------------------------------------
# What the writers share


@dataclass
class _Drawing:
    """Everything the node and edge writers need, computed once.

    `step`: in a step-by-step frame, the backward step shown (0-based): gradients the
    pass has not reached yet are drawn in a colour the page hides, so every frame has the
    same layout; None shows every gradient.
    """

    graph: _Graph
    layout: _Layout
    names: _Names
    options: _Options
    grads: _Gradients
    highlighted: set[str]
    culprit: Function | None
    hidden: frozenset[int] = frozenset()  # constants drawn inside their op's label
    step: int | None = None
    _locals: dict[int, dict] = field(default_factory=dict)
    _textbooks: dict[tuple[int, int], Textbook | None] = field(default_factory=dict)
    _numbers: dict[int, int] | None = None  # tensor position -> its number among namesakes
    _drawn_names: Counter | None = None  # name -> drawn nodes so named (`drawn_once`)

    @cached_property
    def call_results(self) -> dict[int, str]:
        """What module calls returned: tensor position -> the call's title (`_call_result`),
        read once a drawing (names and their numbering both ask)."""
        return {i: title for i in range(len(self.graph.tensors))
                if (title := _call_result(self.graph, i, self.names))}

    @cached_property
    def arguments(self) -> dict[int, str]:
        """Leaves a call was given: position -> the argument's name (`_argument_names`)."""
        return _argument_names(self.graph)

    @cached_property
    def hooked_upstream(self) -> dict[int, frozenset[int]]:
        """Tensors whose gradient passed through a hook in backward(), each with the
        hooked tensors it passed (`held.py`)."""
        return hooked_upstream(self.graph)

    def local(self, i: int) -> dict[int, tuple[np.ndarray, bool]]:
        """The local derivatives of op i (see `_local_derivatives`), computed once."""
        if i not in self._locals:
            self._locals[i] = _local_derivatives(self.graph, i, self.grads.nodes.get(i))
        return self._locals[i]

    def textbook(self, i: int, p: int) -> Textbook | None:
        """Op i's local derivative wrt input p in its textbook form (`2 × error`), if any."""
        if (i, p) not in self._textbooks:
            local = self.local(i).get(p)
            with np.errstate(all="ignore"):  # log(0)'s 1 / 0: Inf, marked in the picture
                self._textbooks[(i, p)] = None if local is None else _textbook(
                    self.graph, i, p, self._formula_name, local[0])
        return self._textbooks[(i, p)]

    def _formula_name(self, q: int) -> str:
        """A tensor in a formula: its name, or a constant drawn in its op's label its value."""
        if q in self.hidden:
            return _array(self.graph.tensors[q]._data, self.options.precision)
        return self.name(q)[0]

    @cached_property
    def mixed_dtypes(self) -> bool:
        """Whether the drawn tensors hold numbers of several float (or complex) dtypes: then
        each label says its dtype, float64 too, which otherwise goes without saying."""
        return len({t.dtype for i, t in enumerate(self.graph.tensors)
                    if t.dtype.kind in "fc" and i not in self.hidden}) > 1

    def reached(self, i: int) -> bool:
        """Whether tensor i's gradient is complete in the frame drawn."""
        if self.step is None:
            return True
        step = self.grads.step(i)
        return step is not None and step <= self.step

    def color(self, i: int) -> str | None:
        return None if self.reached(i) else _HIDDEN

    def node_total(self) -> int:
        """The nodes `max_nodes=None` draws, counted as max_nodes counts them (`_unit_count`)."""
        every = _layout(self.graph, self.names, None, self.layout.culprit is not None, self.hidden)
        return _unit_count(self.graph, every)

    def name(self, i: int) -> tuple[str, bool]:
        """The tensor's display name, and whether it is a real name (not a role).

        Two inputs of one op that need a gradient and would show the same name (`a * b`,
        both "parameter") are numbered, `parameter #1` and `parameter #2`, in every label,
        so that the op's `∂/∂parameter #1` names one of them.
        """
        name, real = self._base_name(i, self.box_of_result(i))
        number = self.numbers().get(i)
        return (name if number is None else f"{name} #{number}"), real

    def numbers(self) -> dict[int, int]:
        """Each numbered tensor's number (`_colliding`), worked out once."""
        if self._numbers is None:
            self._numbers = _colliding(self)
        return self._numbers

    def numbered(self, i: int) -> tuple[str, int] | None:
        """(title, number) of tensor i where its title is numbered (`add result`, 4)."""
        number = self.numbers().get(i)
        return None if number is None else (self._base_name(i, self.box_of_result(i))[0],
                                            number)

    def _base_name(self, i: int, box: _Box | None) -> tuple[str, bool]:
        """The name before numbering; `box`: the box titling tensor i, the one that returned
        it (`box_of_result`), or None: the name it has in every view, which its number
        counts by (`_colliding`)."""
        tensor = self.graph.tensors[i]
        given = self.names.tensors.get(id(tensor)) or tensor.name
        if given:
            return str(given), True
        if i == self.graph.output:
            return "output", False
        if box is not None:  # a module call's result: as its box (a making's: its title)
            return _box_result_name(box), False
        if tensor._ctx is not None:  # (what an opened module call returned: as its box)
            return f"{self.call_results.get(i) or op_name(tensor._ctx)} result", False
        if tensor.requires_grad:  # (a plain tensor beside a model's Parameters is data being
            # optimised, FGSM's image; without a model, the documents' weights are plain)
            plain = self.names.modules and not hasattr(type(tensor), "frozen_mask")
            return (self.arguments.get(i, "input") if plain else "parameter"), False
        # (an op's result of constants only: data, made by that op, maybe the user's own,
        # or a part of a buffer's values: `self.scale[:2]` reads `getitem of scale`)
        made = getattr(tensor, "_made_by", None)
        if made:
            return f"{made} of {self.viewed_buffer(i) or 'constants'}", False
        made_in = _made_in_call(self.graph, i)  # (no input: a call made or used it)
        if made_in:
            return f"constant in {_module_title(made_in[0], self.names)}", False
        return self.arguments.get(i) or ("input" if tensor.ndim else "constant"), False

    def drawn_once(self, q: int) -> bool:
        """Whether tensor q is drawn, as a node or as its module box's result, and no other
        drawn node has its title, the name as drawn (`_cut`): only then does a name in a
        formula lead to it (three "mul result" nodes: `(mul result grad)` would read as any)."""
        if self._drawn_names is None:
            self._drawn_names = Counter(_cut(self.name(i)[0])
                                        for i in range(len(self.graph.tensors)) if self.drawn(i))
        return self.drawn(q) and self._drawn_names[_cut(self.name(q)[0])] == 1

    def drawn(self, i: int) -> bool:
        """Whether tensor i is drawn: as a node of its own, or as its module box's result."""
        return i not in self.hidden and (self.layout.tensor_unit[i] == f"t{i}"
                                         or self.box_of_result(i) is not None)

    def viewed_buffer(self, i: int) -> str | None:
        """The buffer whose values leaf i views (a slice of it, an op of constants), if any."""
        base = getattr(self.graph.tensors[i]._data, "base", None)
        found = self.names.arrays.get(id(base)) if base is not None else None
        return found[0] if found else None

    def box_of_result(self, i: int) -> _Box | None:
        """The module box (or making's box) that returned tensor i (made inside, used
        outside), if any."""
        box = self.layout.boxes.get(self.layout.tensor_unit[i] or "")
        if self.graph.tensors[i]._ctx is not None and box is not None \
                and box.kind in ("module", "making") \
                and any(self.layout.op_unit[c] != self.layout.tensor_unit[i]
                        for c in self.graph.consumers[i]):
            return box
        return None

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
            return "buffer" if id(tensor) in self.names.buffers else "frozen"
        if getattr(tensor, "_made_by", None) and self.viewed_buffer(i):
            return "buffer"
        return "input" if tensor.ndim or tensor.name else "constant"

    def grad(self, i: int) -> np.ndarray | None:
        """The gradient a node shows. Backward view: this pass's d output / d tensor, what
        the edges carry (`.grad` where the pass gives none). Forward view: `.grad`,
        exactly as it is (None before any backward(); accumulated after several)."""
        tensor = self.graph.tensors[i]
        held = None if tensor._grad is None else tensor._grad._data
        if self.options.mode == "forward":
            return held
        if i in self.grads.stale_inputs:  # .grad, from the pass before the change: the
            return held  # weight_delta a reader looks for after an update
        passed = self.grads.tensor[i]
        return held if passed is None else passed

    def grad_marks(self, i: int) -> tuple[str | None, str | None]:
        """The NaN or Inf in the gradient node i shows, and what they say where they are
        not a fault (`nans._meant_grad`: this pass's, stopped before any leaf)."""
        grad = self.grad(i)
        bad = _nonfinite(grad)
        meant = _meant_grad(self.graph, self.grads, i) if bad and grad is not None \
            and grad is self.grads.tensor[i] else None
        return bad, meant


def _colliding(drawing: _Drawing) -> dict[int, int]:
    """Numbers for the inputs of one op that need a gradient and share a name, and for the
    results and leaves needing a gradient that share a title (two `parameter` nodes a step's
    caption names alike), and for two data leaves titled `input` by their role (a weight's
    product `ᵀ @ input` could name neither): two ops' (`linear result #1`, `#2`: a caption's
    `sends [..] to linear result` names one node), the calls of one module (`Linear(3 -> 3)
    result`, a layer applied twice): position -> 1, 2, ... among the tensors of that title,
    in graph order (from the inputs towards the output, each after those it is made from;
    side branches as the output's expression reaches them, not in the order they were
    computed). Counted over the whole graph, drawn or folded away, by the title no box of
    this drawing gives (`_base_name(i, None)`), so that a tensor has one number in every
    view, folded or step by step; a title only a box gives (a folded LSTM's output and its
    states, a making's `input 1 of sub`) is numbered among the drawn results so titled. A
    name the user gave stays as given (the versions of `h` changed in place)."""
    graph = drawing.graph
    plain: dict[str, set[int]] = {}  # title no box gives -> positions (ranked over all)
    box_titled: dict[str, set[int]] = {}  # a box's title -> the drawn results it titles
    for i in range(len(graph.tensors)):  # (a leaf needing a gradient too: two `parameter`)
        if i in drawing.hidden:
            continue
        if graph.tensors[i]._ctx is None and not graph.tensors[i].requires_grad:
            if drawing._base_name(i, None) == ("input", False):  # (data, as a role: two
                plain.setdefault("input", set()).add(i)  # read alike in a product)
            continue
        box, (title, real) = drawing.box_of_result(i), drawing._base_name(i, None)
        if not real or i in drawing.call_results or box is not None:
            plain.setdefault(title, set()).add(i)
        if box is not None and not real and i != graph.output and drawing.drawn(i):
            box_titled.setdefault(_box_result_name(box), set()).add(i)
    clashing = {title: positions for title, positions in plain.items() if len(positions) > 1}
    for inputs in graph.parents:
        by_name: dict[str, set[int]] = {}
        for p in inputs:
            if graph.tensors[p].requires_grad and p not in drawing.hidden:
                by_name.setdefault(drawing._base_name(p, drawing.box_of_result(p))[0],
                                   set()).add(p)
        for name, positions in by_name.items():
            if len(positions) > 1:
                clashing.setdefault(name, set()).update(positions)
    titled_by_box = set().union(*box_titled.values())
    numbers = {p: k for positions in clashing.values()
               for k, p in enumerate(sorted(positions), start=1) if p not in titled_by_box}
    numbers.update((p, k) for positions in box_titled.values() if len(positions) > 1
                   for k, p in enumerate(sorted(positions), start=1))
    return numbers


def _box_result_name(box: _Box) -> str:
    """The title of what a box returned: a module call's `Linear(3 -> 3) result`, a
    making's its own title (`input 1 of sub`)."""
    return box.title if box.kind == "making" else f"{box.title} result"


def _hidden_constants(graph: _Graph, names: _Names, options: _Options) -> frozenset[int]:
    """Unnamed one-number constants (`0.5`, `2`, `1`): drawn in their op's label instead."""
    if options.constants:
        return frozenset()
    roots = set(graph.roots)
    return frozenset(
        i for i, t in enumerate(graph.tensors)
        if t._ctx is None and not t.requires_grad and t.size == 1 and not t.name
        and id(t) not in names.tensors and i not in roots and graph.consumers[i]
        and getattr(t, "frozen_mask", None) is None)


# ---------------------------------------------------------------------------------------
# The text of nodes


def _tensor_lines(drawing: _Drawing, i: int) -> tuple[list[list[str]], str, bool]:
    """(lines, kind, anomaly) of tensor i's node: name, shape, value, gradient."""
    tensor = drawing.graph.tensors[i]
    options = drawing.options
    name, real = drawing.name(i)
    kind = drawing.kind(i)
    title = f"<B>{_escape(name)}</B>" if real else f"<I>{_escape(name)}</I>"
    if tensor.ndim:  # (a no-break space: an SVG drops the leading space of the text after </B>)
        title += "&#160;" + str(tensor.shape)
    if tensor.dtype != np.float64 or drawing.mixed_dtypes:
        title += f" {tensor.dtype}"
    lines = [[title]]
    if options.show_data:
        lines.append(["data ", _value(tensor._data, options.precision)])
    grad = drawing.grad(i) if tensor.requires_grad else None
    if options.show_grad:
        lines += _grad_lines(drawing, i, grad)
    if i in drawing.grads.stale_inputs:
        lines.append([_red("changed in place since the forward pass used it (data: the new "
                           "values)")])
        if options.mode == "backward":  # the forward view shows its .grad as it is
            lines.append([_red("run the forward pass again to draw the gradient its "
                               "edges carry")])
    if kind == "partly_frozen":
        mask = np.asarray(getattr(tensor, "frozen_mask", None), dtype=bool)
        lines.append([f"frozen: {_frozen_entries(mask, options.precision)} of {mask.size}"])
    elif kind == "frozen":
        lines.append(["frozen"])
    marks, anomaly = _data_marks(drawing.graph, i, *drawing.grad_marks(i))
    return lines + marks, kind, anomaly


def _grad_lines(drawing: _Drawing, i: int, grad: np.ndarray | None) -> list[list[str]]:
    """A tensor's gradient: `grad` (this pass's, as on the edges) in the backward view,
    `.grad` (the attribute) in the forward view; a `.grad` unlike this output's own
    gradient says where it came from where that can be told, and a hooked result what its
    hook sent on (`held.held_lines`), each cause on a line of its own past `_LINE`
    characters."""
    tensor, options, color = drawing.graph.tensors[i], drawing.options, drawing.color(i)
    if options.mode == "forward":
        if tensor._grad is None:  # (a result's: what its hook sent on, where it changed)
            return [[".grad None"]] if tensor._ctx is None and tensor.requires_grad \
                else held_lines(drawing, i, None, _LINE)
        return [[".grad ", _value(tensor._grad._data, options.precision)],
                *held_lines(drawing, i, None, _LINE)]
    if grad is None:
        return []
    lines = [[_font(grad_word(drawing, i), color), _value(grad, options.precision, color)]]
    return unless_reached(color is None, lines + held_lines(drawing, i, color, _LINE))


def _frozen_entries(mask: np.ndarray, precision: int, limit: int = 10**3) -> str:
    """The frozen entries' indices, `[0, 2]`, or how many, `13 entries`, where there are
    more than a label shows or their list is longer than `limit` characters (a box's line:
    a list cut would end inside an index and hide the count); "" for a one-number tensor."""
    if mask.ndim == 0:
        return ""
    listed = _nested(np.argwhere(mask).reshape(-1) if mask.ndim == 1 else np.argwhere(mask),
                     precision) if mask.sum() <= _SHOWN_ENTRIES else ""
    return listed if listed and len(listed) <= limit else f"{int(mask.sum())} entries"


def _forward_note(drawing: _Drawing) -> str | None:
    """The forward view's note on values changed in place since the forward pass used them
    (the backward view's note speaks of factors, which the forward view never shows)."""
    graph, grads = drawing.graph, drawing.grads
    changed = [drawing.name(i)[0] for i in sorted(grads.stale_inputs)]
    changed += [f"the result of op '{graph.tensors[i]._ctx.name}'" for i, why in
                sorted(grads.stale.items()) if why.startswith("the output of op")]
    if not changed:
        return None
    return (f"changed in place after the forward pass used them (an update after "
            f"backward()?): {', '.join(changed)}; their data shows the new values, the nodes "
            f"after them the values the forward pass computed before the change. Run the "
            f"forward pass again to draw them alike")


def _notes(drawing: _Drawing) -> list[str]:
    """The notes under a drawing, as plain text (escaped and wrapped where drawn)."""
    notes, layout = [], drawing.layout
    folded = _drawn(drawing, layout.boxes.values())
    if folded:
        kinds = Counter("function" if b.function else "module" for b in layout.boxes.values()
                        if b.kind == "module")
        per = "module call" if set(kinds) == {"module"} else "call"
        others = len(layout.boxes) - sum(kinds.values())  # (a sum, a chain, a making)
        opens = f"{_opens(drawing.options)} draws {'them' if others else 'every node'}"
        both = "draws" if drawing.options.open_modules else "and open_modules=True draw"
        past = f"to stay within max_nodes={drawing.options.max_nodes} (max_nodes=None " + (
            f"{both} every node)" if kinds else "draws every node)")
        why = (past if "rest" in layout.boxes
               else f"as one box per {per} ({opens})" + (
                   f" and {others} to fit a page (max_nodes=None draws them)" if others else "")
               if kinds
               else "to fit a page (max_nodes=None draws every node)")
        calls = ", ".join(f"{n} {kind} call{'s' if n != 1 else ''}"
                          for kind, n in sorted(kinds.items(), reverse=True))
        calls = f" ({calls})" if calls else ""
        notes.append(f"{folded} of {drawing.node_total()} nodes folded into {len(layout.boxes)} "
                     f"box{'es' if len(layout.boxes) != 1 else ''}{calls} {why}")
        if any(b.kind == "making" for b in layout.boxes.values()):  # (makings.py)
            notes[-1] += ("; a function of yours decorated with tinygrad_gd.scope.drawn_as_call "
                          "draws as one box titled with its name")
    note = drawing.grads.note
    if drawing.options.mode == "forward" and drawing.grads.stale:
        note = _forward_note(drawing)
    if note and (drawing.options.show_grad or drawing.options.mode == "backward"):
        notes.append(note)
    return notes


def _drawn(drawing: _Drawing, boxes) -> int:
    """The nodes folded into `boxes` as they would be drawn: constants in op labels not."""
    return sum(len(b.ops) + sum(t not in drawing.hidden for t in b.tensors) for b in boxes)


def _styled(base: dict[str, str], unit: str, drawing: _Drawing, anomaly: bool) -> dict:
    style = dict(base)
    if anomaly:
        style.update(_ANOMALY_STYLE)
    if unit in drawing.highlighted:
        style.update(_HIGHLIGHT_STYLE)
        if "filled" not in style.get("style", ""):
            style["style"] = (style.get("style", "") + ",filled").lstrip(",")
    return style

"""Random programs drawn: every number a diagram shows is the number backward() gave
(thirty-second round).

The gradient fuzzers (test_fuzz*.py) check the numbers; this one checks the pictures a
learner reads them from. `build(seed)` makes, from a fixed seed, a small program:
parameters and data of shapes from 0-d to 5 x 3 (on both sides of the labels' limits: 12
entries shown whole, a matrix of 4 rows as a table, 4 equal entries as `all v (shape)`), a few of
them empty; elementwise ops, Python numbers and 0-d constants (drawn in their op's label),
broadcasting, reductions over all or one axis, matmul of vectors and matrices, reshapes,
transposes, indexing, a tensor used twice (`h * h`, `h + h`), Python's `sum()` of many
terms, `tg.stack` of many one-number parameters, `nn.Linear`, `nn.ReLU`, `nn.Tanh`, an
`nn.Sequential` of them, MSE loss as the function or the layer, a log that makes NaN;
float64, or a quarter of them float32; a sixth of them long enough to fold. It runs
`backward()` (a third drawn before it too) and draws both views (`draw_graph` or `x.draw`,
with random options: precision, `model=`, `open_modules`, `max_nodes`, `constants`,
`legend`, `direction`).

`check_drawing` reads each DOT text as a reader reads the picture: every number is parsed
back from the label (a number is right when the true one rounds to it at the drawing's
precision, to its last digit where it shows more, and is never printed whole when it is
not), and

- every tensor of the graph is drawn once (a one-number constant in its op's title), its
  name, shape and dtype in its title, its value on `data`, its gradient on `grad`
  (backward view: d loss / d tensor, as `tg.autograd.grad` gives it) or `.grad` (forward
  view: the attribute, `None` before backward), each in the documented form (whole, `all
  v`, or first entries and range);
- in the backward view each edge's product, evaluated from its printed numbers (`×`, `@`,
  `⊗`, `ᵀ`, `sum over ... of`, `copied along ...`) and the nodes' names it holds (`inputᵀ @
  (matmul result grad)`: that node's data, that node's gradient), gives the gradient
  printed after its `=` (a product with a formula in words, `× (1 - tanh²)`, its value);
  the edges into a tensor add up to its gradient (a tensor used twice shows the sum of
  its uses); the edge from a result to its op carries the result's gradient; an op of
  one-number result, its `∂/∂x = ... = numbers` times the gradient arriving, what its
  edge to x carries;
- a folded drawing's counts add up (the boxes' nodes, the note's total, the nodes
  `open_modules=True, max_nodes=None` draws), each box's result is a tensor with its
  gradient (`grad`, backward view) or what its `.grad` holds (forward view, or a retained
  one), a fold of alike parameters lists each one's value and gradient;
- no note says gradients are not shown; drawing changes no `.grad` and no value, and the
  same drawing twice is the same DOT text; NaN is printed only where the tensor holds NaN;
- for every `SVG_EVERY`-th drawing the SVG Graphviz's `dot` renders holds each node's
  numbers in order.

From the seed, apart from the program's own draws (`held_apart`, thirty-sixth round), some
programs freeze entries of a module's parameter, hook a tensor (its gradient scaled) or
run backward() twice, so that `.grad` holds other numbers than this pass's gradient: the
`.grad` lines the backward view writes beside a node's, a box's product's, a box's result's
and a fold's `grad` are checked against the `.grad` backward() left, as the forward view's
are, and an edge's `frozen [..]` line only under a product into a frozen tensor; a box's
`frozen` line only under a parameter with frozen entries, those entries in `np.argwhere`'s
order or their count. A hooked result whose `.grad` is None (node or box) says what its
hook sent on in the last run, `(its hook sent on [..])`, checked against what the hook
returned, or, drawn before backward(), `(its hook has not run yet)` (thirty-seventh
round); no other node says either. A third of the hooks return the gradient they got: where
every hook does, no label says a hook changed a gradient or sent one on (part L); and so
where a leaf's post-accumulate-grad hook reads its `.grad` only (thirty-eighth round).

`test_planted_*` show the fuzzer catching bugs put in on purpose (a gradient of the wrong
node, a factor of the wrong input, a sum missing a use, a `.grad` line of this pass's
numbers, a box's `frozen` line under every parameter, numbers rounded too far, a hook's
`sent on` numbers those it was given, a hook's words dropped).

Examples per run: PROGRAMS programs (environment variable TINYGRAD_GD_DRAWN_EXAMPLES,
default 60), and 40 more checking the programs reach every form a label takes.
"""
from __future__ import annotations

import html
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

PROGRAMS = int(os.environ.get("TINYGRAD_GD_DRAWN_EXAMPLES", "60"))
# the first seed: 0, or where tests/conftest.py's explore profile or TINYGRAD_GD_FUZZ_SEED puts it
FIRST_SEED = int(os.environ.get("TINYGRAD_GD_FUZZ_SEED", "0"))
SVG_EVERY = 8
COVERED: Counter = Counter()  # what the drawings checked held: label forms, products
SHAPES = [(), (), (1,), (3,), (4,), (12,), (13,), (2, 3), (3, 4), (4, 3), (2, 6), (5, 2),
          (4, 4), (5, 3), (2, 2, 3), (0,), (2, 0)]


# ---------------------------------------------------------------------------------------
# Programs


@dataclass
class Program:
    seed: int
    loss: tg.Tensor
    tensors: list[tg.Tensor]          # every tensor of the graph, the loss first
    model: Any
    options: list[dict]               # one drawing each
    retained: list[tg.Tensor]         # intermediates whose .grad backward() kept
    code: list[str] = field(default_factory=list)
    # a tensor whose hook scaled its gradient: (tensor, what the hook returned each run)
    hooked: list[tuple[tg.Tensor, list[np.ndarray]]] = field(default_factory=list)
    looking: set[int] = field(default_factory=set)  # ids of those whose hook returns its input
    # leaves with a post-accumulate-grad hook that reads .grad only (thirty-eighth round)
    watched: list[tg.Tensor] = field(default_factory=list)
    called: list[tg.Tensor] = field(default_factory=list)  # what a module call returned


class Builder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.dtype = np.float32 if self.rng.random() < 0.25 else np.float64
        self.nodes: list[tg.Tensor] = []
        self.code: list[str] = []
        self.modules: list[Any] = []
        self.count = 0
        self.called: list[tg.Tensor] = []

    def coin(self, p: float = 0.5) -> bool:
        return bool(self.rng.random() < p)

    def values(self, shape: tuple) -> np.ndarray:
        kind = self.rng.integers(4)
        if kind == 0:  # halves and whole numbers: printed exactly
            a = self.rng.integers(-6, 7, size=shape) / 2
        elif kind == 1 and int(np.prod(shape)) >= 4:  # all equal: `all v`
            a = np.full(shape, self.rng.choice([0.5, -1.25, 0.1]))
        else:
            a = self.rng.normal(size=shape) * self.rng.choice([1.0, 0.01, 300.0])
        return np.asarray(a, dtype=self.dtype)

    def leaf(self, shape: tuple | None = None, grad: bool = True) -> tg.Tensor:
        if shape is None:
            shape = SHAPES[self.rng.integers(len(SHAPES))]
        named = grad or self.coin(0.5)
        name = f"{'w' if grad else 'x'}{self.count}" if named else None
        self.count += 1
        t = tg.Tensor(self.values(shape), requires_grad=grad, name=name)
        self.code.append(f"{name or '_'} = {t.shape} grad={grad}")
        return self.add(t)

    def add(self, t: tg.Tensor) -> tg.Tensor:
        self.nodes.append(t)
        return t

    def pick(self) -> tg.Tensor:
        """The latest node mostly, else any earlier one (paths split and join)."""
        if self.coin(0.6):
            return self.nodes[-1]
        return self.nodes[self.rng.integers(len(self.nodes))]

    def partner(self, a: tg.Tensor) -> tg.Tensor:
        """A second operand: a node of a's shape, else a fresh leaf broadcasting with a."""
        same = [t for t in self.nodes if t.shape == a.shape and t is not a]
        if same and self.coin(0.4):
            return same[self.rng.integers(len(same))]
        shape = a.shape
        if shape and self.coin(0.5):
            shape = shape[1:] if self.coin() else (1,) + shape[1:]
        return self.leaf(shape, grad=self.coin(0.7))

    def step(self) -> None:
        a = self.pick()
        kind = self.rng.choice(["unary", "number", "binary", "reduce", "shape", "matmul",
                                "twice", "module", "constant", "terms", "stack"],
                               p=[0.16, 0.12, 0.16, 0.12, 0.1, 0.1, 0.07, 0.1, 0.03, 0.02,
                                  0.02])
        op = ""
        if kind == "unary":
            op = str(self.rng.choice(["neg", "tanh", "sigmoid", "relu", "exp", "square",
                                      "log", "sqrt", "reciprocal", "pow3", "log_raw"]))
            safe = lambda: (a * a + 1.0)  # noqa: E731  (positive: log, sqrt, 1 / x)
            out = {"neg": lambda: -a, "tanh": lambda: a.tanh(), "sigmoid": lambda: a.sigmoid(),
                   "relu": lambda: a.relu(), "exp": lambda: (a * 0.01).exp(),
                   "square": lambda: a.square(), "log": lambda: safe().log(),
                   "sqrt": lambda: safe().sqrt(), "reciprocal": lambda: safe().reciprocal(),
                   "log_raw": lambda: a.log(),  # (NaN where a < 0: drawn as NaN)
                   "pow3": lambda: a ** 3}[op]()
        elif kind == "number":
            c = float(self.rng.choice([2.0, 0.5, -3.0, 1.5, 10.0]))
            op = str(self.rng.choice(["mul", "add", "sub", "rsub", "div", "pow2"]))
            out = {"mul": lambda: a * c, "add": lambda: a + c, "sub": lambda: a - c,
                   "rsub": lambda: c - a, "div": lambda: a / c, "pow2": lambda: a ** 2}[op]()
        elif kind == "constant":  # a 0-d tensor: unnamed (drawn in the label) or named
            c = tg.Tensor(np.asarray(self.rng.choice([2.0, -0.5]), dtype=self.dtype),
                          name="c" if self.coin(0.3) else None)
            op = "const"
            out = a * c if self.coin() else c - a
        elif kind == "binary":
            b = self.partner(a)
            op = str(self.rng.choice(["add", "sub", "mul", "div"]))
            out = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                   "div": lambda: a / (b * b + 1.0)}[op]()
        elif kind == "reduce":
            op = str(self.rng.choice(["sum", "mean", "sum_axis", "mean_axis"]))
            if op.endswith("axis") and a.ndim:
                axis = int(self.rng.integers(a.ndim))
                keep = self.coin(0.3)
                out = (a.sum if op.startswith("sum") else a.mean)(axis=axis, keepdims=keep)
            elif op.startswith("mean") and a.size == 0:
                out = a.sum()
            else:
                out = a.sum() if op.startswith("sum") else a.mean()
        elif kind == "shape":
            op = str(self.rng.choice(["reshape", "T", "unsqueeze", "index", "slice", "view"]))
            if op == "T" and a.ndim == 2:
                out = a.T
            elif op == "unsqueeze":
                out = a.unsqueeze(0)
            elif op == "index" and a.ndim and a.shape[0]:
                out = a[int(self.rng.integers(a.shape[0]))]
            elif op == "slice" and a.ndim:
                out = a[1:]
            elif op == "view":
                out = a.view(*a.shape)
            else:
                out = a.reshape(-1)
        elif kind == "matmul":
            op = "matmul"
            if a.ndim == 0 or a.ndim > 2 or a.shape[-1] == 0:
                a = self.leaf((3,), grad=True)
            n = a.shape[-1]
            out_shape = (n,) if self.coin(0.4) else (n, int(self.rng.integers(1, 4)))
            w = self.leaf(out_shape, grad=self.coin(0.8))
            out = a @ w if self.coin(0.8) or a.ndim != 1 or w.ndim != 2 else w.T @ a
        elif kind == "twice":
            op = str(self.rng.choice(["hh", "h+h", "h*sum"]))
            out = {"hh": lambda: a * a, "h+h": lambda: a + a,
                   "h*sum": lambda: a * a.sum()}[op]()
        elif kind == "terms":  # Python's sum() of many terms: a long run of adds
            op = "terms"
            out = sum(a * float(k + 1) for k in range(int(self.rng.integers(5, 14))))
        elif kind == "stack":  # many alike inputs of one op
            op = "stack"
            out = tg.stack([self.leaf((), grad=True) for _ in range(int(
                self.rng.integers(4, 16)))]) * a.sum()
        else:
            op, out = self.module(a)
        self.code.append(f"{op}({len(self.nodes)})")
        if self.coin(0.15):
            out.name = f"h{len(self.nodes)}"
        self.add(out)

    def module(self, a: tg.Tensor) -> tuple[str, tg.Tensor]:
        if a.ndim == 0 or a.ndim > 2 or a.shape[-1] == 0:
            a = self.leaf((2, 3) if self.coin() else (3,), grad=False)
        n = a.shape[-1]
        which = str(self.rng.choice(["linear", "sequential", "relu", "tanh"]))
        if which == "linear":
            layer = nn.Linear(n, int(self.rng.integers(1, 4)), bias=self.coin(0.8))
        elif which == "sequential":
            layer = nn.Sequential(nn.Linear(n, 3), nn.ReLU() if self.coin() else nn.Tanh(),
                                  nn.Linear(3, int(self.rng.integers(1, 3))))
        else:
            layer = nn.ReLU() if which == "relu" else nn.Tanh()
        layer.to(dtype=self.dtype)
        for p in layer.parameters():
            with tg.no_grad():
                p.data[...] = self.values(p.shape)
        self.modules.append(layer)
        self.called.append(layer(a))
        return which, self.called[-1]

    def loss(self) -> tg.Tensor:
        last = self.nodes[-1]
        if last.size == 1 and last.requires_grad and self.coin(0.5):
            return last.reshape(()) if last.ndim else last
        if self.modules and last.requires_grad and self.coin(0.3):
            target = tg.Tensor(self.values(last.shape))
            if self.coin():
                return nn.MSELoss()(last, target)
            return F.mse_loss(last, target)
        live = [t for t in self.nodes[-3:] if t.requires_grad] or [last]
        terms = [(t * tg.Tensor(self.values(t.shape))).sum() for t in live]
        loss = terms[0]
        for term in terms[1:]:
            loss = loss + term
        return loss


def build(seed: int) -> Program:
    tg.manual_seed(seed)
    b = Builder(seed)
    b.leaf(grad=True)
    if b.coin(0.5):
        b.leaf(grad=True)
    for _ in range(int(b.rng.integers(1, 9) if b.coin(0.85) else b.rng.integers(12, 30))):
        b.step()
    loss = b.loss()
    if not loss.requires_grad:
        loss = loss + (b.leaf((), grad=True) * 2.0)
    tensors = _graph_tensors(loss)
    retained = [t for t in tensors if t.grad_fn is not None and t is not loss
                and t.requires_grad and b.coin(0.2)]
    for t in retained:
        t.retain_grad()
    model = None
    if b.modules:
        model = b.modules[0] if len(b.modules) == 1 else nn.ModuleList(b.modules)
    options = []
    for mode in ("forward", "backward"):
        opts: dict[str, Any] = {"mode": mode}
        if b.coin(0.3):
            opts["precision"] = int(b.rng.choice([2, 3, 6, 17]))
        if model is not None and b.coin(0.7):
            opts["model"] = model
        if b.coin(0.3):
            opts["open_modules"] = True
        if b.coin(0.2):
            opts["max_nodes"] = None
        if b.coin(0.15):
            opts["constants"] = True
        if b.coin(0.1):
            opts["legend"] = True
        if b.coin(0.1):
            opts["direction"] = "LR"
        options.append(opts)
    return Program(seed, loss, tensors, model, options, retained, b.code, called=b.called)


def held(t: tg.Tensor) -> np.ndarray | None:
    """`t.grad`'s values, or None (no warning for an intermediate's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return None if t.grad is None else t.grad.data


def _graph_tensors(loss: tg.Tensor) -> list[tg.Tensor]:
    """Every tensor that made `loss`, the loss first (through `grad_fn.parents`)."""
    found, todo, seen = [], [loss], set()
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        found.append(t)
        if t.grad_fn is not None:
            todo.extend(p for p in t.grad_fn.parents if isinstance(p, tg.Tensor))
    return found


# ---------------------------------------------------------------------------------------
# Reading a label as a reader does


_MATRIX = re.compile(r'<TABLE BORDER="1"[^>]*>(.*?)</TABLE>')


def label_of(rest: str) -> tuple[str, str]:
    """The HTML-like label at the start of `rest` (`<...>`, balanced) and what follows."""
    depth = 0
    for k, ch in enumerate(rest):
        depth += (ch == "<") - (ch == ">")
        if depth == 0:
            return rest[1:k], rest[k + 1:]
    raise AssertionError(f"unbalanced label: {rest[:200]}")


def parse_dot(source: str) -> tuple[dict[str, str], dict[tuple[str, str], str],
                                   list[tuple[str, str]]]:
    """(node id -> label, (source, target) -> label, unlabelled edges' ids) of DOT text."""
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str], str] = {}
    bare: list[tuple[str, str]] = []
    for line in source.splitlines():
        m = re.match(r"\s*(\w+)(?: -> (\w+))? \[(label=)?", line)
        if not m:
            continue
        if m[3] is None:
            if m[2]:
                bare.append((m[1], m[2]))
            continue
        label, _ = label_of(line[m.end():])
        if m[2]:
            edges[(m[1], m[2])] = label
        else:
            nodes[m[1]] = label
    return nodes, edges, bare


def lines_of(label: str) -> tuple[list[str], list[np.ndarray]]:
    """The lines of text a label shows, each matrix (a table) as a mark `⟦k⟧` into the list
    of matrices (their cells' text)."""
    matrices: list[np.ndarray] = []

    def table(m: re.Match) -> str:
        rows = [[html.unescape(re.sub(r"<[^>]*>", "", cell)) for cell in
                 re.findall(r"<TD[^>]*>(.*?)</TD>", row)]
                for row in re.findall(r"<TR>(.*?)</TR>", m[1])]
        matrices.append(np.array(rows, dtype=object))
        return f"⟦{len(matrices) - 1}⟧"

    text = _MATRIX.sub(table, label)
    text = re.sub(r"<BR[^>]*>|</TR>", "\n", text)
    text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return [line.strip() for line in text.split("\n") if line.strip()], matrices


def agrees(text: str, v: float, precision: int, rtol: float = 0.0) -> bool:
    """Whether a printed number is `v` to its precision: the true value rounds to it at
    `precision` significant digits (or `rtol` more), and a whole number is printed only for
    a whole value (0.99999999 is not "1")."""
    text = text.strip()
    if text in ("True", "False"):
        return text == str(bool(v))
    try:
        f = float(text)
    except ValueError:
        return False
    v = float(v)
    if math.isnan(f) or math.isnan(v):
        return math.isnan(f) and math.isnan(v)
    if math.isinf(f) or math.isinf(v):
        return f == v
    if f == v:
        return True
    if re.fullmatch(r"-?\d+", text) and rtol == 0.0 \
            and abs(f - v) > 1e-12 * max(1.0, abs(v)):
        return False
    scale = max(abs(f), abs(v))
    tol = 0.5 * 10.0 ** (math.floor(math.log10(scale)) - precision + 1)
    digits = re.fullmatch(r"-?\d*\.?(\d*)(?:e([+-]?\d+))?", text)
    if digits:  # (more digits than the precision, "1.0001": right to the last one)
        tol = min(tol, 0.5 * 10.0 ** (int(digits[2] or 0) - len(digits[1])))
    return abs(f - v) <= tol * (1 + 1e-9) + rtol * scale


class _All(str):
    """The number of an `all v (shape)` text, with the shape it says."""
    shape: tuple


def _all(number: str, shape: str) -> _All:
    shown = _All(number)
    shown.shape = tuple(int(n) for n in re.findall(r"\d+", shape))
    return shown


_ALL = re.compile(r"all (\S+) (\((?:\d+, )*\d*,?\))")
_EMPTY = re.compile(r"empty (\((?:\d+, )+\d+\))")
_SUMMARY = re.compile(r"\[([^\[\]]*), …\](?:\s*min (\S+) max (\S+))?(?: \((\d+) NaN/Inf\))?")


def parse_value(text: str, matrices: list[np.ndarray]) -> tuple[str, Any]:
    """What a value's text shows: ("matrix"|"array", cells; `empty (r, c)` none, of its
    shape), ("all", v), ("summary", (first entries, min, max, bad)) or ("number", text)."""
    text = text.strip()
    m = re.fullmatch(r"⟦(\d+)⟧", text)
    if m:
        return "array", matrices[int(m[1])]
    m = _ALL.fullmatch(text)
    if m:
        return "all", _all(m[1], m[2])
    m = _EMPTY.fullmatch(text)
    if m:
        return "array", np.zeros(_all("0", m[1]).shape, dtype=object)
    m = _SUMMARY.fullmatch(text)
    if m:
        return "summary", ([s.strip() for s in m[1].split(",")], m[2], m[3], int(m[4] or 0))
    if text.startswith("["):
        quoted = re.sub(r"[^\[\],\s]+", lambda n: json.dumps(n[0]), text)
        quoted = re.sub(r"\s+", "", quoted)
        return "array", np.array(json.loads(quoted), dtype=object)
    return "number", text


def shows(shown: tuple[str, Any], a: Any, precision: int, rtol: float = 0.0) -> str | None:
    """None when `shown` (parse_value's) reads as array `a`, else what differs."""
    a = np.asarray(a)
    kind, what = shown
    flat = a.reshape(-1).astype(np.float64) if a.dtype.kind in "fiu" else a.reshape(-1)
    if kind == "number":
        if a.size != 1:
            return f"one number {what!r} for an array of shape {a.shape}"
        return None if agrees(what, flat[0], precision, rtol) else f"{what} is not {flat[0]!r}"
    if kind == "all":
        if what.shape != a.shape:
            return f"'all {what}' says shape {what.shape} for an array of shape {a.shape}"
        if a.size < 4 or not (flat == flat[0]).all() and rtol == 0.0:
            return f"'all {what}' for {a.reshape(-1)[:6]}"
        bad = [v for v in flat if not agrees(what, v, precision, rtol)]
        return f"'all {what}' is not {bad[:3]}" if bad else None
    if kind == "array":
        cells = what  # (`[]` reads as any empty shape; `empty (r, c)` says its own)
        if cells.shape != a.shape and not (cells.size == a.size == 0 and cells.ndim == 1):
            return f"{cells.shape} entries shown for a shape {a.shape}"
        bad = [(s, v) for s, v in zip(cells.reshape(-1), flat)
               if not agrees(s, v, precision, rtol)]
        return f"entries {bad[:3]} differ" if bad else None
    first, low, high, nonfinite = what
    if a.size <= 12:
        return f"a summary for {a.size} entries (up to 12 show whole)"
    bad = [(s, v) for s, v in zip(first, flat) if not agrees(s, v, precision, rtol)]
    finite = flat[np.isfinite(flat)]
    if low is not None and finite.size:
        bad += [(s, v) for s, v in ((low, finite.min()), (high, finite.max()))
                if not agrees(s, v, precision, rtol)]
    if nonfinite != flat.size - finite.size:
        bad.append(("NaN/Inf count", nonfinite))
    return f"summary {what} is not {flat[:3]}...: {bad[:3]}" if bad else None


def layout_rule(shown: tuple[str, Any], a: np.ndarray) -> str | None:
    """The documented forms: up to 12 entries whole, 4 or more equal (finite) as `all v
    (shape)`, more than 12 as a summary; a 0-d tensor as one number."""
    a = np.asarray(a)
    flat = a.reshape(-1)
    equal = a.size >= 4 and a.dtype.kind in "fiu" and bool(np.isfinite(flat).all()) \
        and bool((flat == flat[0]).all())
    want = "number" if a.ndim == 0 else "all" if equal else "array" if a.size <= 12 \
        else "summary"
    return None if shown[0] == want else f"shown as {shown[0]}, documented as {want}"


# ---------------------------------------------------------------------------------------
# Reading a product on an edge


_SUPERSCRIPT = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-"))
_NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[+-]?\d+)?|nan|inf)")


def tokens(text: str, matrices: list[np.ndarray]) -> list[tuple[str, Any]]:
    """A product's text as tokens: ("value", parse_value's), ("op", python), ("pow", n)."""
    out: list[tuple[str, Any]] = []
    k = 0
    while k < len(text):
        ch = text[k]
        if ch.isspace():
            k += 1
            continue
        previous = out[-1] if out else ("op", "(")
        operand_next = previous[0] == "op" and previous[1] != ")"
        if ch == "⟦":
            end = text.index("⟧", k)
            out.append(("value", ("array", matrices[int(text[k + 1:end])])))
            k = end + 1
        elif ch == "[":
            depth, end = 0, k
            for end in range(k, len(text)):
                depth += (text[end] == "[") - (text[end] == "]")
                if depth == 0:
                    break
            out.append(("value", parse_value(text[k:end + 1], matrices)))
            k = end + 1
        elif text.startswith("all ", k):
            m = _ALL.match(text, k)
            out.append(("value", ("all", _all(m[1], m[2]))))
            k = m.end()
        elif text.startswith("empty ", k):
            m = _EMPTY.match(text, k)
            out.append(("value", ("array", np.zeros(_all("0", m[1]).shape, dtype=object))))
            k = m.end()
        elif operand_next and _NUMBER.match(text, k):
            m = _NUMBER.match(text, k)
            out.append(("value", ("number", m[0])))
            k = m.end()
        elif ch in _SUPERSCRIPT:
            m = re.match("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", text[k:])
            out.append(("pow", float("".join(_SUPERSCRIPT[c] for c in m[0]))))
            k += len(m[0])
        elif ch == "^":
            m = re.match(r"\^\(?(-?[\d.]+)\)?", text[k:])
            out.append(("pow", float(m[1])))
            k += len(m[0])
        elif ch == "ᵀ":
            out.append(("op", ".T"))
            k += 1
        else:
            python = {"×": "*", "@": "@", "/": "/", "+": "+", "-": "-", "(": "(", ")": ")"}
            if ch not in python:
                raise ValueError(f"unreadable {text[k:k + 20]!r} in {text!r}")
            out.append(("op", python[ch]))
            k += 1
    return out


def evaluate(toks: list[tuple[str, Any]], shapes: list[tuple], bound: bool
             ) -> list[np.ndarray]:
    """Every value the tokens give, one per way of giving the empty `[]` entries a shape from
    `shapes` (an `all v (shape)` and an `empty (shape)` have their own); `bound`: each
    number's magnitude, each minus a plus (an upper bound of the magnitude of each entry of
    the product)."""
    fills = [k for k, (kind, what) in enumerate(toks) if kind == "value" and (
        what[0] == "all" or what[0] == "array" and what[1].size == 0 and what[1].ndim == 1)]
    empty = [shape for shape in shapes if 0 in shape] or [(0,)]
    results = []
    for choice in itertools.product(*[[toks[k][1][1].shape] if toks[k][1][0] == "all"
                                      else empty for k in fills]):
        names, expression = {}, []
        for k, (kind, what) in enumerate(toks):
            if kind == "op":
                expression.append("+" if bound and what == "-" else what)
            elif kind == "pow":
                expression.append(f"**({what!r})")
            else:
                if k in fills:
                    value = np.full(choice[fills.index(k)],
                                    float(what[1]) if what[0] == "all" else 0.0)
                elif what[0] == "number":
                    value = np.array(float(what[1]))
                else:
                    value = np.vectorize(float, otypes=[float])(what[1]) if what[1].size \
                        else np.zeros(what[1].shape)
                names[f"v{k}"] = np.abs(value) if bound else value
                expression.append(f"v{k}")
        try:
            with np.errstate(all="ignore"):
                results.append(np.asarray(eval(" ".join(expression), {}, names)))
        except (ValueError, TypeError, SyntaxError):
            continue
    return results


def product_of(text: str, matrices: list[np.ndarray], target: tuple, shapes: list[tuple]
               ) -> tuple[list[tuple[np.ndarray, np.ndarray]], tuple[str, Any]] | None:
    """An edge's `factors = gradient`: the candidate (value, bound) pairs its factors give,
    shaped as `target`, and what it shows after `=`; None when the edge shows a gradient
    alone."""
    left, equals, right = text.rpartition(" = ")
    if not equals:
        left, right = text, ""
    sum_over = re.match(r"sum over (the batch \(axis 0\)|axis \d+(?: \(the \w+\))?|axes [\d, ]+)"
                        r" of |sum of ", left)
    summed = None
    if sum_over:
        left = left[sum_over.end():]
        summed = sum_over[0]
    copied = re.search(r"( / (\d+))? (copied to each entry|copied along ax[ie]s ([\d, ]+)"
                       r"(?: \(the \w+\))?|passed on as it is)$", left)
    if copied:
        left = left[:copied.start()]
    if _SUMMARY.fullmatch(left.strip()):
        return None  # the gradient alone, summarised
    toks = [] if "⊗" in left else tokens(left, matrices)
    if not right and (summed is None and copied is None and "⊗" not in left
                      and not any(kind in ("op", "pow") for kind, _ in toks)):
        return None  # the gradient alone
    pairs = []
    for bound in (False, True):
        if "⊗" in left:
            a_text, _, b_text = left.partition("⊗")
            values = [np.multiply.outer(x, y) for x in evaluate(tokens(a_text, matrices),
                                                                shapes, bound)
                      for y in evaluate(tokens(b_text, matrices), shapes, bound)]
        else:
            values = evaluate(toks, shapes, bound)
        shaped = []
        for v in values:
            if copied:
                v = v / float(copied[2]) if copied[2] else v
                axes = [int(x) for x in copied[4].split(",")] \
                    if copied[4] and v.ndim < len(target) else []
                try:
                    v = np.broadcast_to(np.expand_dims(v, axes) if axes else v, target)
                except (ValueError, np.exceptions.AxisError):
                    continue
            if summed is not None:
                try:
                    v = _summed(v, summed, target)
                except (ValueError, IndexError):
                    continue
            if v.size == 0 == math.prod(target):  # (`[]`: NumPy's text of any empty array)
                v = v.reshape(target)
            if v.shape == tuple(target):
                shaped.append(v)
        pairs.append(shaped)
    values, bounds = pairs
    # (no `=`: a matrix times 1, or copied as it is, shows the product once, its first factor)
    shown = parse_value(right, matrices) if right else tokens(left, matrices)[0][1]
    return list(zip(values, bounds)), shown


_KNOWN_WORDS = re.compile(r"sum over .*? of |sum of |copied .*$|passed on as it is|all \S+ \(|"
                         r"empty \(|\bnan\b|\binf\b|\d+e[+-]?\d|\bmin\b|\bmax\b|NaN/Inf")


def named(text: str, matrices: list[np.ndarray], nodes: dict[str, Node],
          match: dict[str, int], tensors: list[tg.Tensor], truth: dict[int, Any]
          ) -> list[tuple[str, list[np.ndarray]]]:
    """An edge's product with the nodes' names it holds (`inputᵀ @ (matmul result grad)`)
    read as their tensors' values (`(name grad)`: the gradient d loss / d tensor); none
    where words are left that name no drawn node (a formula, `1 - tanh²`, or a folded
    call's result). A name several drawn nodes share fails: a reader cannot tell which
    node it means (three "mul result" nodes: `(mul result grad)` led to the wrong one)."""
    left, equals, right = text.rpartition(" = ")
    if not equals:
        left, right = text, ""
    owners: dict[str, list[int]] = {}
    for node, k in match.items():
        owners.setdefault(nodes[node].name, []).append(k)
    found: list[list[np.ndarray]] = []

    def mark(arrays: list[np.ndarray]) -> str:
        found.append(arrays)
        return f"⟪{len(found) - 1}⟫"

    for name in sorted(owners, key=len, reverse=True):
        grads = [np.asarray(truth[id(tensors[k])]) for k in owners[name]
                 if truth.get(id(tensors[k])) is not None]
        datas = [np.asarray(tensors[k].data) for k in owners[name]]
        pattern = r"(?<![\w.#⟦⟪])" + re.escape(name) + r"(?![\w.#⟧⟫])"
        assert len(owners[name]) == 1 or not re.search(pattern, left), \
            f"{text!r} names {name!r}, which {len(owners[name])} drawn nodes share"
        if grads:
            left = left.replace(f"({name} grad)", mark(grads)) if f"({name} grad)" in left \
                else left
        if re.search(pattern, left):
            left = re.sub(pattern, mark(datas), left)
    if re.search(r"[A-Za-z_∂√]", _KNOWN_WORDS.sub("", left)):
        return []
    readings = []
    for choice in itertools.islice(itertools.product(*found), 16):
        marks = {f"⟪{k}⟫": f"⟦{len(matrices) + k}⟧" for k in range(len(found))}
        shown = re.sub(r"⟪\d+⟫", lambda m: marks[m[0]], left)
        readings.append((shown + (" = " + right if equals else ""),
                         matrices + [np.asarray(a, dtype=np.float64) for a in choice]))
    return readings


def _summed(v: np.ndarray, words: str, target: tuple) -> np.ndarray:
    """A broadcast input's product summed as its words say (`sum of`, `sum over the batch
    (axis 0) of`, `sum over axis 1 (the columns) of`) back to the input's shape."""
    if words.startswith("sum of"):
        return np.asarray(v.sum()).reshape(target)
    if "batch" in words:
        return v.sum(axis=0)
    extra = v.ndim - len(target)
    if extra < 0:
        raise ValueError("fewer axes than the input")
    axes = tuple(range(extra)) + tuple(extra + k for k, n in enumerate(target)
                                       if n == 1 and v.shape[extra + k] != 1)
    named = [int(a) for a in re.findall(r"\d+", words.split("(the")[0])]
    if sorted(named) != list(axes):
        raise ValueError(f"summed over {axes}, the edge says {words!r}")
    return v.sum(axis=axes).reshape(target)


# ---------------------------------------------------------------------------------------
# The checks


@dataclass
class Node:
    name: str
    real: bool
    shape: tuple
    dtype: str
    values: dict[str, tuple[str, Any]]   # "data", "grad", ".grad" -> parse_value's
    lines: list[str]


# where a `.grad` unlike this pass's gradient came from, after its value: `(accumulated)`,
# a fold's `(w3: its frozen entries zeroed; w9: accumulated)`
_CAUSE = re.compile(r" \((?:[^():;]*: )?(?:accumulated|zeroed|from other backward\(\) calls|"
                    r"its frozen entries zeroed|changed by .*, or from other backward"
                    r"\(\) calls)(?:; .*)?\)$")
# what a hooked result's node or box says its hook did (the drawing does not run it)
_HOOK_SAID = re.compile(r"\((?:its hook|a hook on its result) (?:(has not run yet)\)|sent on )")


def hook_said(label: str) -> tuple[str, Any] | None:
    """What a label says a hook on its tensor did: ("not run", None), ("sent on", the value
    as parse_value reads it), or None where it says neither."""
    if "hook" not in label:
        return None
    lines, matrices = lines_of(label)
    text = " ".join(lines)
    m = _HOOK_SAID.search(text)
    if m is None:
        return None
    if m[1]:
        return "not run", None
    depth, end = 1, m.end()  # (to the parenthesis closing the words: `all 2 (4, 3)` inside)
    while depth:
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        end += 1
    return "sent on", parse_value(text[m.end():end - 1], matrices)


def hook_fits(program: Program, t: tg.Tensor, said: tuple[str, Any], precision: int) -> bool:
    """Whether `said` (hook_said's) is true of `t`: a result hooked by the program, its
    `.grad` None, its hook not run yet or its last run's gradient the one said."""
    flowed = {id(h): f for h, f in program.hooked}.get(id(t))  # (the last hook's: it ran last)
    if flowed is None or t.grad_fn is None or held(t) is not None:
        return False
    if said[0] == "not run":
        return not flowed
    return bool(flowed) and shows(said[1], flowed[-1], precision) is None


def rejoined(lines: list[str]) -> list[str]:
    """Lines with a wrapped array's lines, and a summary's range, joined again."""
    joined: list[str] = []
    for line in lines:
        if joined and (joined[-1].count("[") > joined[-1].count("]")
                       or line.startswith("min ") and joined[-1].endswith("…]")):
            joined[-1] += " " + line
        else:
            joined.append(line)
    return joined


def read_tensor_node(label: str) -> Node:
    lines, matrices = lines_of(label)
    real = label.lstrip("<").startswith("<B>") or re.match(r"(<[^>]*>)*<B>", label) is not None
    title = lines[0]
    m = re.fullmatch(r"(.*?)(?:\xa0\(([\d, ]*)\))?(?: (\w+))?", title)
    name, shape_text, dtype = m[1], m[2], m[3] or "float64"
    if dtype not in ("float32", "float64", "int64", "bool"):
        name, dtype = title if shape_text is None else name, "float64"
    shape = tuple(int(s) for s in shape_text.split(",") if s.strip()) if shape_text else ()
    joined = rejoined(lines[1:])
    values = {}
    for line in joined:
        word, _, rest = line.partition(" ")
        if word in ("data", "grad", ".grad") and word not in values:
            rest = _CAUSE.sub("", rest)
            values[word] = ("none", None) if rest == "None" else parse_value(rest, matrices)
    shown = [re.sub(r"⟦(\d+)⟧", lambda m: str(matrices[int(m[1])].tolist()), line)
             for line in joined]  # (a matrix's cells in a failure's message)
    return Node(html.unescape(name), real, shape, dtype, values, shown)


def _match(nodes: dict[str, Node], tensors: list[tg.Tensor], fits) -> dict[str, int]:
    """A one-to-one match of drawn nodes to tensors (`fits(node id, k)`), every node matched
    (augmenting paths)."""
    owner: dict[int, str] = {}

    def place(node: str, seen: set[int]) -> bool:
        for k in range(len(tensors)):
            if k not in seen and fits(node, k):
                seen.add(k)
                if k not in owner or place(owner[k], seen):
                    owner[k] = node
                    return True
        return False

    for node in nodes:
        assert place(node, set()), \
            f"node {node} ({nodes[node].name}) fits no tensor: it shows {nodes[node].lines}"
    return {node: k for k, node in owner.items()}


def check_drawing(program: Program, options: dict, source: str, truth: dict[int, Any]) -> None:
    """One drawing's DOT text read as a reader reads the picture (see the module's
    docstring); `truth`: d loss / d tensor by id, for the backward view."""
    precision = options.get("precision", 4)
    backward = options["mode"] == "backward"
    labels, edges, bare = parse_dot(source)
    tensors = program.tensors
    tnodes = {n: read_tensor_node(label) for n, label in labels.items()
              if re.fullmatch(r"t\d+", n)}
    ops = {n: " ".join(lines_of(label)[0]) for n, label in labels.items()
           if re.fullmatch(r"f\d+", n)}
    boxes = {n: " ".join(lines_of(label)[0]) for n, label in labels.items()
             if not re.fullmatch(r"[tf]\d+|heading\d+|legend.*", n)}
    names = {id(p): n for n, p in (program.model.named_parameters()
                                   if program.model is not None else [])}
    rtol = 1e-6 if any(t.dtype == np.float32 for t in tensors) else 1e-12

    def fits(node: str, k: int) -> bool:
        shown, t = tnodes[node], tensors[k]
        if shown.shape != t.shape or shown.dtype != str(t.dtype):
            return False
        made = "f" + node[1:] in ops  # (a result is drawn below its op, a leaf alone)
        if made != (t.grad_fn is not None) and not boxes:
            return False
        if shown.real and shown.name != t.name and not (
                id(t) in names and (names[id(t)] + ".").endswith(
                    shown.name.split(".")[-1] + ".")):
            return False
        if "data" in shown.values and shows(shown.values["data"], t.data, precision):
            return False
        word = "grad" if backward else ".grad"
        want = truth.get(id(t)) if backward else held(t)
        if word in shown.values:
            got = shown.values[word]
            if got[0] == "none":
                return held(t) is None and not backward
            if want is None or shows(got, want, precision):
                return False
        elif backward and want is not None and t.requires_grad and not boxes:
            return False
        elif not backward and held(t) is not None and not boxes:
            return False
        if backward and ".grad" in shown.values:  # beside this pass's `grad` (frozen, hooked,
            apart = held(t)  # run twice): what backward() left in .grad
            return apart is not None and shows(shown.values[".grad"], apart, precision) is None
        return True

    match = _match(tnodes, tensors, fits)
    for node in match:  # (of the tensors a node fits: tanh(1e-8) is 1e-8, its input's value)
        alike = [t for k, t in enumerate(tensors) if fits(node, k)]
        for word, shown in tnodes[node].values.items():
            problems = [layout_rule(shown, np.asarray(
                t.data if word == "data" else truth.get(id(t)) if backward else held(t)))
                for t in alike]
            assert shown[0] == "none" or None in problems, f"{node} {word}: {problems[0]}"
    COVERED["node .grad apart"] += sum(backward and ".grad" in tnodes[node].values
                                       for node in match)
    flowed = {id(t): f for t, f in program.hooked}
    def unsaid(t: tg.Tensor) -> bool:  # (a hooked result whose .grad is None says it, but
        return id(t) in flowed and t.grad_fn is not None and held(t) is None and not (
            id(t) in program.looking and flowed[id(t)])  # one that looks only, once run)

    for node, k in match.items():  # (a hooked result's own words: none on another node)
        said = hook_said(labels[node])
        if said is not None or unsaid(tensors[k]):  # (of the tensors the node fits)
            alike = [t for j, t in enumerate(tensors) if fits(node, j)]
            assert said is not None or not all(map(unsaid, alike)), \
                f"{node}: a hooked result says nothing of its hook"
        if said is not None:
            assert any(hook_fits(program, t, said, precision) for t in alike), \
                f"{node} says its hook {said}: no hooked result's last run sent that"
            COVERED[f"hook {said[0]}"] += 1
        if id(tensors[k]) in flowed and ".grad" in tnodes[node].values:
            COVERED["hook sent on, retained"] += 1  # (its `.grad`: checked as every node's)
    drawn = {id(tensors[k]) for k in match.values()}
    if not boxes:  # every tensor drawn, or its one number in its op's title
        titles = " ".join(ops.values())
        for t in tensors:
            if id(t) in drawn:
                continue
            assert t.size == 1 and t.grad_fn is None and not t.requires_grad \
                and not options.get("constants"), f"{t.name or t.shape} is not drawn"
            number = float(np.asarray(t.data, dtype=np.float64).reshape(-1)[0])
            numbers = re.findall(r"-?[\d.]+(?:e[+-]?\d+)?|-?\b(?:nan|inf)\b", titles)
            assert any(agrees(s, number, precision) for s in numbers), \
                f"the constant {number} is in no op's title: {titles}"
    assert "not shown" not in source, "a note says gradients are not shown"
    COVERED.update(["drawing", "folded" if boxes else "open", options["mode"]])
    COVERED.update(word for word, seen in (
        ("float32", "float32" in source), ("NaN shown", re.search(r"\bnan\b", source)),
        ("table", 'BORDER="1"' in source)) if seen)
    COVERED.update(f"value {kind}" for node in tnodes.values() for kind, _ in
                   node.values.values())
    if boxes:
        check_boxes(program, options, source, labels, boxes, tnodes, ops, truth, precision)
    if backward:
        check_edges(program, options, tnodes, match, edges, bare, labels, truth, precision,
                    rtol)


def check_boxes(program, options, source, labels, boxes, tnodes, ops, truth, precision):
    """A folded drawing's counts add up, and each box's result is a tensor of the graph
    with its gradient."""
    note = " ".join(lines_of(re.findall(r"label=<(.*)> labeljust", source)[-1])[0])
    m = re.search(r"(\d+) of (\d+) nodes folded into (\d+) box", note)
    assert m, f"no count of the folded nodes under a folded drawing: {note!r}"
    folded, total, count = map(int, m.groups())
    assert count == len(boxes), f"{count} boxes said, {len(boxes)} drawn"
    held_counts = [re.search(r"(?:: |made by |… |^)(\d+) (?:more )?nodes", text)
                   for text in boxes.values()]
    COVERED.update("box " + kind for text in boxes.values() for kind in (
        "module call", "function call", "made by", "nodes folded", "add ops", "parameters",
        "calls of")
        if kind in text)
    if all(held_counts):
        assert sum(int(c[1]) for c in held_counts) == folded, \
            f"the boxes hold {[c[1] for c in held_counts]}, the note says {folded}"
    every = dict(options, open_modules=True, max_nodes=None)
    shown = parse_dot(tg.draw_graph(program.loss, **every).source)[0]
    drawn = sum(bool(re.fullmatch(r"[tf]\d+", n)) for n in shown)
    assert drawn == total, f"the note counts {total} nodes, every node drawn is {drawn}"
    assert len(tnodes) + len(ops) + folded == total, \
        f"{len(tnodes) + len(ops)} drawn and {folded} folded of {total}"
    backward = options["mode"] == "backward"
    for box, label in labels.items():
        if box not in boxes:
            continue
        lines, matrices = lines_of(label)
        values = dict(line.split(" ", 1) for line in rejoined(lines)
                      if line.startswith(("result ", "grad ", ".grad ", "data ")))
        if "data" in values:  # many alike parameters: each one's value and gradient
            check_alike(program, values, matrices, truth if backward else None, precision)
        if "result" not in values:
            continue
        COVERED["box result"] += 1
        # `grad`: this pass's (backward view only); `.grad`: the attribute, what it holds
        assert backward or "grad" not in values, f"box {box} says grad in the forward view"
        result = parse_value(values["result"], matrices)

        def gradients_fit(t) -> bool:  # (`.grad` where the box shows it: what backward() left)
            return all(values.get(word) is None or (
                (want := held(t) if word == ".grad" else truth.get(id(t))) is not None
                and shows(parse_value(_CAUSE.sub("", values[word]), matrices), want,
                          precision) is None) for word in ("grad", ".grad"))

        results = [t for t in program.tensors if t.grad_fn is not None  # (made in the box)
                   and shows(result, t.data, precision) is None and gradients_fit(t)]
        assert results, f"box {box} shows a result no tensor has: {lines}"
        said = hook_said(label)  # (`a hook on its result sent on [..]`)
        if said is not None:
            assert any(hook_fits(program, t, said, precision) for t in results), \
                f"box {box} says its result's hook {said}: no hooked result's run sent that"
            COVERED[f"box hook {said[0]}"] += 1
        if backward:
            check_box_products(program, box, lines, matrices, results, truth, precision)


def check_box_products(program, box, lines, matrices, results, truth, precision):
    """Each `<param> grad = <product>` line of a module call's box (the product on the line
    under `<param> grad =` where it is wide), read with `(result grad)` the gradient of the
    box's result (a tensor its result and grad lines fit), `input` an input of the op that
    made it, a name the tensor so named, gives the parameter's gradient of this pass; and
    its `.grad` where the box says nothing of `.grad` under it."""
    names = {id(p): n for n, p in (program.model.named_parameters()
                                   if program.model is not None else [])}
    shapes = sorted({(), *[t.shape for t in program.tensors]})
    tol = 3 * 10.0 ** (1 - precision) + 1e-6
    for k, line in enumerate(lines):
        m = re.fullmatch(r"(\S+) grad =(?: (.*))?", line)
        if not m:
            continue
        text = m[2] or lines[k + 1]
        params = [t for t in program.tensors if t.grad_fn is None and t.requires_grad
                  and (("." + names.get(id(t), "")).endswith("." + m[1]) or t.name == m[1])]
        assert params, f"box {box} says the product of {m[1]}, no parameter so named"
        readings = []
        for r in results:  # (the tensors its result and grad lines fit)
            for given in [q for q in r.grad_fn.parents
                          if all(q is not p for p in params)] or [None]:
                arrays, shown = list(matrices), text.replace("(result grad)", "⟦r⟧")
                shown = re.sub(r"(?<![\w.])input(?![\w.])", "⟦i⟧", shown)
                for name in sorted({t.name for t in program.tensors if t.name}, key=len,
                                   reverse=True):
                    owner = next(t for t in program.tensors if t.name == name)
                    shown, count = re.subn(rf"(?<![\w.⟦]){re.escape(name)}(?![\w.⟧])",
                                           f"⟦{len(arrays)}⟧", shown)
                    arrays += [np.asarray(owner.data, dtype=np.float64)] if count else []
                if given is None and "⟦i⟧" in shown or truth.get(id(r)) is None:
                    continue
                shown = shown.replace("⟦r⟧", f"⟦{len(arrays)}⟧").replace(
                    "⟦i⟧", f"⟦{len(arrays) + 1}⟧")
                arrays += [np.asarray(truth[id(r)], dtype=np.float64),
                           np.asarray(given.data if given is not None else 0.0,
                                      dtype=np.float64)]
                readings.append((shown, arrays))
        if re.search(r"[A-Za-z_∂√]", _KNOWN_WORDS.sub("", readings[0][0] if readings
                                                          else text)):
            COVERED["box product in words"] += 1  # (a formula: `(1 - tanh²)`)
            continue
        COVERED["box product"] += 1
        after = next((j for j in range(k + 1, len(lines)) if " grad =" in lines[j]), len(lines))
        frozen = [t for t in lines[k + 1:after] if t.startswith("frozen")]
        assert frozen or not any(np.any(getattr(p, "frozen_mask", None)) for p in params), \
            f"box {box}: no frozen line under {m[1]}, which has frozen entries"
        if frozen:  # the entries freeze_ zeroes: listed in np.argwhere's order, or counted
            COVERED["box product frozen"] += 1
            masks = [np.asarray(p.frozen_mask) for p in params
                     if np.any(getattr(p, "frozen_mask", None))]
            assert masks, f"box {box}: {frozen} under {m[1]}, which has no frozen entry"
            entries = re.fullmatch(r"frozen ?(.*?):?(?: zeroed in \.grad)?", frozen[0])[1]
            assert any(entries in ("" if mask.ndim == 0 else str(
                (np.argwhere(mask).reshape(-1) if mask.ndim == 1 else np.argwhere(mask))
                .tolist()), f"{int(mask.sum())} entries") for mask in masks), \
                f"box {box}: {frozen[0]!r} are not {m[1]}'s frozen entries"
        said = rejoined([t for t in lines[k + 1:after] if not t.startswith("frozen ")])
        seen = [t[len(m[1]) + 1:] for t in said if t.startswith(f"{m[1]} .grad ")]
        if seen:  # `.grad` under the product: its numbers what backward() left in .grad
            COVERED["box product .grad"] += 1
            grad = parse_value(_CAUSE.sub("", seen[0].split(" ", 1)[1]), matrices)
            assert any(held(p) is not None and shows(grad, held(p), precision) is None
                       for p in params), f"box {box}: {m[1]} {seen[0]!r} is no .grad it has"

        def gives(want) -> bool:
            return want is not None and any(
                _close(("array", np.asarray(want, dtype=object)), value, bound, precision, tol)
                for shown, arrays in readings for value, bound in (product_of(
                    shown + " = 0", arrays, np.shape(want), shapes) or ([], None))[0])

        # (of the parameters so named, `1.0.weight` too for `0.weight`: one it is)
        assert any(gives(truth.get(id(p))) and (seen or gives(held(p))) for p in params), \
            f"box {box}: {m[1]} grad = {text!r} gives no gradient {m[1]} has"


def check_alike(program, values, matrices, truth, precision):
    """A fold of many alike one-number parameters: its `data` and gradient lists, entry by
    entry, are one parameter's value and gradient (`.grad` in the forward view)."""
    data = parse_value(values["data"], matrices)
    grads = parse_value(_CAUSE.sub("", values.get("grad", values.get(".grad", ""))), matrices)
    if data[0] == "array" and grads[0] == "all":
        grads = ("array", np.full(data[1].shape, grads[1], dtype=object))
    if data[0] != "array" or grads[0] != "array" or data[1].size != grads[1].size:
        return
    COVERED["box parameters each"] += 1
    leaves = [t for t in program.tensors if t.grad_fn is None and t.size == 1
              and t.requires_grad]
    apart = parse_value(_CAUSE.sub("", values[".grad"]), matrices) \
        if truth is not None and ".grad" in values else None  # (backward view: .grad too)
    if apart is not None and apart[0] == "all":
        apart = ("array", np.full(data[1].shape, apart[1], dtype=object))
    helds = apart[1].reshape(-1) if apart is not None and apart[0] == "array" \
        and apart[1].size == data[1].size else [None] * data[1].size
    COVERED["box parameters .grad"] += apart is not None
    for value, grad, kept in zip(data[1].reshape(-1), grads[1].reshape(-1), helds):
        assert any(agrees(value, t.data.reshape(-1)[0], precision) and agrees(
            grad, (held(t) if truth is None else truth[id(t)]).reshape(-1)[0], precision)
            and (kept is None or agrees(kept, held(t).reshape(-1)[0], precision))
            for t in leaves), f"a folded parameter shows {value}, gradient {grad} and " \
                              f".grad {kept}: none has"


def check_edges(program, options, tnodes, match, edges, bare, labels, truth, precision,
                rtol):
    tensors = program.tensors
    into: dict[str, list[tuple[str, Any]]] = {}
    sent: dict[tuple[str, str], tuple[str, Any]] = {}  # op -> input: what the edge shows
    shapes = sorted({(), *[t.shape for t in tensors]})  # what `[]` may stand for
    for (source, target), label in edges.items():
        lines, matrices = lines_of(label)
        frozen = [line for line in lines if line.startswith("frozen")]  # (under the product)
        assert not frozen or target in match and np.any(getattr(
            tensors[match[target]], "frozen_mask", None)), f"{source} -> {target}: {frozen}"
        COVERED["product frozen"] += bool(frozen)
        text = " ".join(line for line in lines if not line.startswith(("frozen", "zeroed in")))
        if source in match and target == "f" + source[1:]:  # a result's gradient to its op
            want = truth.get(id(tensors[match[source]]))
            assert want is not None and shows(parse_value(text, matrices), want,
                                              precision) is None, \
                f"{source} -> {target} carries {text}, not {source}'s gradient"
            continue
        if target not in match:
            continue
        if not re.fullmatch(r"f\d+", source):  # from a box: the gradient alone
            into.setdefault(target, []).append(parse_value(text, matrices))
            continue
        t = tensors[match[target]]
        readings = named(text, matrices, tnodes, match, tensors, truth)
        if not readings:  # a formula in words (`1 - tanh²`): its value checked below
            COVERED["product in words"] += 1
            assert " = " in text, f"{source} -> {target}: {text!r} says no value"
            right = text.rpartition(" = ")[2]
            sent[(source, target)] = parse_value(right, matrices)
            into.setdefault(target, []).append(sent[(source, target)])
            continue
        products = [product_of(text, matrices, t.shape, shapes) for text, matrices in readings]
        product = products[0] if products[0] is None else (
            [pair for each in products for pair in each[0]], products[0][1])
        if product is None:
            sent[(source, target)] = parse_value(text, matrices)
            into.setdefault(target, []).append(sent[(source, target)])
            continue
        candidates, shown = product
        tol = 3 * 10.0 ** (1 - precision) + rtol
        COVERED.update("product " + word for word in ("×", "@", "⊗", "ᵀ", "sum over", "sum of",
                                                       "copied along", "copied to", " + ",
                                                       " grad)")
                       if word in text)
        assert any(_close(shown, value, bound, precision, tol) for value, bound in candidates), \
            f"{source} -> {target}: {text!r}: its factors do not give what it shows"
        into.setdefault(target, []).append(shown)
        sent[(source, target)] = shown
    to_boxes = {f for f, n in [*edges, *bare] if n not in tnodes}  # (labelled or not)
    check_op_lines(labels, tnodes, match, sent, to_boxes, tensors, truth, precision, rtol)
    for target, shares in into.items():
        want = truth.get(id(tensors[match[target]]))
        assert want is not None, f"{target} is sent a gradient it has not"
        if len(shares) == 1:
            assert shows(shares[0], want, precision, rtol) is None, \
                f"{target} is sent {shares[0]}, its gradient is {want}"
            continue
        COVERED["uses added"] += 1
        if any(kind == "summary" for kind, _ in shares):
            continue  # (a sum of summaries: their entries are not all shown)
        total, scale = np.zeros(np.shape(want)), np.zeros(np.shape(want))
        for kind, what in shares:
            v = _as_array(kind, what, np.shape(want))
            total, scale = total + v, scale + np.abs(v)
        tol = 10.0 ** (1 - precision) + rtol
        with np.errstate(invalid="ignore"):
            close = (np.abs(total - want) <= tol * scale + 1e-300) | (
                np.isnan(total) & np.isnan(want)) | (total == want)
        assert np.all(close), \
            f"{target}'s uses add up to {total}, its gradient is {want}"


def check_op_lines(labels, tnodes, match, sent, to_boxes, tensors, truth, precision, rtol):
    """An op of one-number result: each `∂/∂input = ... = numbers` on its node, times the
    gradient arriving, is what its edge to that input carries."""
    shapes = sorted({(), *[t.shape for t in tensors]})
    for op, label in labels.items():
        result = "t" + op[1:]
        if not re.fullmatch(r"f\d+", op) or result not in match \
                or tensors[match[result]].size != 1:
            continue
        lines, matrices = lines_of(label)
        upstream = truth.get(id(tensors[match[result]]))
        for line in rejoined(lines[1:]):
            m = re.fullmatch(r"∂/∂(.*?) = (?:.* = )?([^=]*)", line)
            if not m or upstream is None or re.search(r"[a-zA-Z√]", m[2].replace("all ", "")
                                                      .replace("nan", "").replace("inf", "")
                                                      .replace("e-", "").replace("e+", "")):
                continue  # (names only, or words: `1 to each entry`)
            inputs = [n for (f, n) in sent if f == op and tnodes[n].name in (m[1], m[1][1:-1])]
            if not inputs and op in to_boxes:
                continue  # (the input is a box's result: `input 1 of add`)
            u = float(np.asarray(upstream).reshape(-1)[0])
            toks = tokens(m[2], matrices)
            with np.errstate(all="ignore"):  # 0 × NaN: NaN (a mul's), or 0 (getitem's)
                local = [(product, b * abs(u)) for v, b in zip(evaluate(toks, shapes, False),
                                                               evaluate(toks, shapes, True))
                         for product in (v * u, np.where(v == 0, 0.0, v * u))]
            COVERED["local derivative"] += 1
            tol = 3 * 10.0 ** (1 - precision) + rtol
            assert any(_close(sent[(op, n)], w, bound, precision, tol)
                       for n in inputs for v, b in local
                       for w, bound in zip(_fitted(v, tensors[match[n]].shape),
                                           _fitted(b, tensors[match[n]].shape))), \
                f"{op}: {line!r} times the gradient {upstream} is not what its edge carries"


def _fitted(v: np.ndarray, shape: tuple) -> list[np.ndarray]:
    """`v` as an array of `shape` (one number: for every entry), or none."""
    if v.shape == shape:
        return [v]
    return [np.full(shape, v.reshape(-1)[0])] if v.size == 1 else []


def _as_array(kind: str, what: Any, shape: tuple) -> np.ndarray:
    if kind == "array" and what.size == 0:
        return np.zeros(shape)
    if kind == "all":
        return np.full(shape, float(what))
    if kind == "number":
        return np.full(shape, float(what))
    return np.vectorize(float, otypes=[float])(what).reshape(shape)


def _close(shown, value, bound, precision, tol) -> bool:
    """Whether a product's value (from rounded factors, `bound` its entries' magnitude
    bound) agrees with the gradient it shows, printed at `precision`."""
    kind, what = shown
    if kind == "summary":
        first, low, high, _ = what
        flat, scale = value.reshape(-1), bound.reshape(-1)
        return all(abs(float(s) - v) <= tol * (b + abs(float(s))) + 1e-300
                   or agrees(s, v, precision) for s, v, b in zip(first, flat, scale))
    try:
        printed = _as_array(kind, what, value.shape)
    except ValueError:
        return False
    with np.errstate(all="ignore"):
        ok = np.abs(printed - value) <= tol * (bound + np.abs(printed)) + 1e-300
    return bool(np.all(ok | (printed == value) | (np.isnan(printed) & np.isnan(value))
                       | (np.isinf(printed) & (printed == value))))


# ---------------------------------------------------------------------------------------
# One program: backward(), drawings, checks


def run(seed: int, svg_dir=None) -> Program:
    """Build program `seed`, run backward() and check each of its drawings."""
    with np.errstate(all="ignore"):  # (log of a negative number: NaN on purpose)
        program = build(seed)
        loss, tensors = program.loss, program.tensors
        wanting = [t for t in tensors if t.requires_grad]
        grads = tg.autograd.grad(loss, wanting, retain_graph=True, allow_unused=True)
        truth = {id(t): (None if g is None else g.data) for t, g in zip(wanting, grads)}
        for t in program.retained:  # (autograd.grad fills a retained .grad, as PyTorch's:
            t.grad = None           # the oracle's pass is not one of the program's)
        runs = held_apart(program, seed)
        if seed % 3 == 0:  # before any backward(): `.grad None` on each parameter, a hooked
            drawn(program, {"mode": "forward"}, {}, None)  # result's hook not run yet
        for run_k in range(runs):
            loss.backward(retain_graph=run_k < runs - 1)
    for t, flowed in program.hooked:  # what the hook sent on, a retained `.grad` too
        assert len(flowed) == runs, (seed, program.code)
        if held(t) is not None:
            np.testing.assert_allclose(held(t), sum(flowed), rtol=1e-12, err_msg=str(seed))
    before = [(t.data.copy(), None if held(t) is None else held(t).copy()) for t in tensors]
    for k, options in enumerate(program.options):
        svg = svg_dir / f"draw{seed}_{k}.svg" if svg_dir and (seed + k) % SVG_EVERY == 0 \
            else None
        drawn(program, options, truth, svg, method=bool((seed + k) % 2))
    for t, (data, grad) in zip(tensors, before):
        assert np.array_equal(t.data, data, equal_nan=True), "drawing changed a value"
        assert (held(t) is None) == (grad is None) and (
            grad is None or np.array_equal(held(t), grad, equal_nan=True)), \
            "drawing changed a .grad"
    return program


def _scaling(factor: float, flowed: list) -> Any:
    """A hook scaling a gradient by `factor`, keeping in `flowed` what it sent on; by 1, one
    that returns the gradient it got, itself (it looks only: no change said)."""
    def hook(g: tg.Tensor) -> tg.Tensor:
        flowed.append((g * factor).data.copy())
        return g if factor == 1 else g * factor
    return hook


def _hook(program: Program, t: tg.Tensor, factor: float, flowed: list) -> float:
    """`_scaling(factor)` put on t, noted in `program`; returns `factor`."""
    t.register_hook(_scaling(factor, flowed))
    program.hooked.append((t, flowed))
    if factor == 1:
        program.looking.add(id(t))
    return factor


def held_apart(program: Program, seed: int) -> int:
    """`.grad` made unlike this pass's gradient, drawn from the seed (beside the program's
    own draws, which stay as they were): entries of a module's parameter frozen
    (`freeze_`), a hook scaling a tensor's gradient, backward() run twice; returns how many
    times to run it. The drawing's `grad` stays this pass's, `.grad` what backward() left."""
    rng = np.random.default_rng([seed, 36])
    parameters = [] if program.model is None else [
        p for p in program.model.parameters() if p.size]
    if parameters and rng.random() < 0.3:
        p = parameters[rng.integers(len(parameters))]
        mask = rng.random(p.shape) < 0.4
        mask.reshape(-1)[rng.integers(p.size)] = True
        p.freeze_(mask)
        program.code.append(f"freeze_ {int(mask.sum())} of {p.shape}")
    wanting = [t for t in program.tensors if t.requires_grad]
    looks = np.random.default_rng([seed, 37])  # (the others' draws stay as they were)
    # (a graph whose ops saved no arrays is drawn from itself after backward(), the hook run
    # again in the drawing's pass, its `grad` the hooked one: not this check's case)
    freed = any(t.grad_fn is not None and t.grad_fn.saved_tensors for t in program.tensors)
    if freed and rng.random() < 0.25:
        t = wanting[rng.integers(len(wanting))]
        factor, flowed = float(rng.choice([0.5, 3.0])), []
        factor = _hook(program, t, 1.0 if looks.random() < 0.3 else factor, flowed)
        program.code.append(f"hook x{factor} on {t.name or t.shape}")
    results = [t for t in wanting if t.grad_fn is not None and t is not program.loss]
    if freed and results and rng.random() < 0.3:  # (thirty-seventh round)
        t = results[rng.integers(len(results))]
        factor, flowed = float(rng.choice([0.5, 3.0])), []
        factor = _hook(program, t, 1.0 if looks.random() < 0.3 else factor, flowed)
        kept = rng.random() < 0.5
        if kept:  # its `.grad` then what flowed on
            t.retain_grad()
            program.retained.append(t)
        program.code.append(f"hook x{factor} on result {t.name or t.shape}"
                            f"{', retained' if kept else ''}")
    alike = sum(t.size == 1 and t.grad_fn is None for t in wanting) >= 6  # (a fold's list)
    runs = 2 if rng.random() < (0.75 if alike else 0.25) else 1
    if runs > 1:
        program.code.append("backward() twice")
    drawn, hooked = {id(t) for t in program.tensors}, {id(t) for t, _ in program.hooked}
    called = [t for t in program.called if id(t) in drawn and id(t) not in hooked
              and t.requires_grad and t is not program.loss]
    if freed and called and rng.random() < 0.7:  # (a box's result: what its hook sent on)
        t = called[rng.integers(len(called))]
        factor, flowed = float(rng.choice([0.5, 3.0])), []
        factor = _hook(program, t, 1.0 if looks.random() < 0.3 else factor, flowed)
        program.code.append(f"hook x{factor} on a module's result {t.name or t.shape}")
    watch = np.random.default_rng([seed, 38])  # (thirty-eighth round; the others' draws stay)
    leaves = [t for t in wanting if t.grad_fn is None]
    if leaves and watch.random() < 0.4:  # (it reads .grad, changes nothing: named nowhere)
        t = leaves[watch.integers(len(leaves))]
        t.register_post_accumulate_grad_hook(lambda p: (p.grad.data.copy(), None)[1])
        program.watched.append(t)
        program.code.append(f"post-accumulate hook looking on {t.name or t.shape}")
    return runs


def drawn(program: Program, options: dict, truth: dict, svg, method: bool = False) -> None:
    """One drawing (`loss.draw` or `tg.draw_graph`), twice, checked; a failure names the
    seed, the options, the program and the DOT text."""
    loss = program.loss
    source = (loss.draw(**options) if method else tg.draw_graph(loss, **options)).source
    try:
        assert tg.draw_graph(loss, **options).source == source, "drawing twice differs"
        check_drawing(program, options, source, truth)
        check_no_change_claimed(program, source)
        if svg is not None:
            check_svg(source, svg)
    except AssertionError as err:
        raise AssertionError(f"seed {program.seed}, {options}: {err}\nprogram: "
                             f"{'; '.join(program.code)}\n{source}") from None


def check_no_change_claimed(program: Program, source: str) -> None:
    """Where every hook of the program returns the gradient it got (a post-accumulate-grad
    hook reads `.grad` only), no label says a hook changed one (`changed by ... hook`, `sent
    on`, `changed what flows on`)."""
    if not (program.hooked or program.watched) or any(
            id(t) not in program.looking for t, _ in program.hooked):
        return
    for node, label in parse_dot(source)[0].items():
        said = " ".join(lines_of(label)[0])
        claimed = re.search(r"changed by [^()]*hook|sent on|flows on", said)
        assert claimed is None, f"{node} says a hook that looks only changed a gradient: {said}"
    COVERED["hook looks only" if program.hooked else "post-accumulate hook looks only"] += 1


def check_svg(source: str, path) -> None:
    """The picture Graphviz renders holds each node's numbers, in order."""
    svg = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True,
                         check=True).stdout
    path.write_bytes(svg)
    ns = "{http://www.w3.org/2000/svg}"
    shown = {g.find(ns + "title").text: " ".join((t.text or "") for t in g.iter(ns + "text"))
             for g in ET.fromstring(svg).iter(ns + "g") if g.get("class") == "node"}
    labels, _, _ = parse_dot(source)
    number = r"-?\d+\.?\d*(?:e[+-]?\d+)?|nan|inf"
    for node, label in labels.items():
        lines, matrices = lines_of(label)
        words = " ".join(lines)
        for k, cells in enumerate(matrices):
            words = words.replace(f"⟦{k}⟧", " ".join(cells.reshape(-1)))
        assert re.findall(number, shown[node]) == re.findall(number, words), \
            f"the SVG's node {node} reads {shown[node]!r}, the label {words!r}"


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


@needs_dot
@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + PROGRAMS))
def test_every_number_a_random_diagram_shows_is_the_one_backward_gave(seed, tmp_path):
    run(seed, tmp_path)


def test_the_programs_reach_every_form_a_label_takes():
    COVERED.clear()
    for seed in range(10**6, 10**6 + 40):  # (seeds of their own, beside the test above's)
        run(seed)
    forms = ["folded", "box result", "uses added", "value none", "value all", "value array",
             "value number", "value summary", "product ×", "product @", "product ⊗",
             "product ᵀ", "product sum over", "product sum of", "product copied along",
             "product  grad)", "product in words",
             "product copied to", "product  + ", "local derivative", "box module call",
             "box add ops", "box made by", "box nodes folded", "box parameters each",
             "box product", "float32", "NaN shown", "table", "node .grad apart",
             "box product .grad", "box parameters .grad", "product frozen",
             "box product frozen", "hook sent on", "hook not run", "hook sent on, retained",
             "box hook sent on", "hook looks only", "post-accumulate hook looks only"]
    assert [form for form in forms if not COVERED[form]] == [], COVERED


# ---------------------------------------------------------------------------------------
# Bugs planted on purpose: the fuzzer finds each within its first programs


def _caught(seeds) -> int | None:
    """The first seed whose drawings fail a check."""
    for seed in seeds:
        try:
            run(seed)
        except AssertionError:
            return seed
    return None


def test_planted_gradient_of_the_wrong_node_is_caught(monkeypatch):
    from tinygrad_gd.graph import labels
    shown = labels._Drawing.grad

    def wrong(self, i):  # another tensor's of the same shape
        tensors = self.graph.tensors
        alike = [j for j in range(len(tensors)) if j != i and tensors[j].requires_grad
                 and tensors[j].shape == tensors[i].shape]
        return shown(self, alike[0] if alike else i)

    monkeypatch.setattr(labels._Drawing, "grad", wrong)
    assert _caught(range(20)) is not None


def test_planted_factor_of_the_wrong_input_is_caught(monkeypatch):
    from tinygrad_gd.graph import derivatives
    mul = derivatives._RULES["mul"]

    def wrong(slot, values, out, names, node):  # the right value, the wrong input's numbers
        book, value = mul(slot, values, out, names, node)
        book.numbers = [np.asarray(values[slot])]
        return book, value

    monkeypatch.setitem(derivatives._RULES, "mul", wrong)
    assert _caught(range(20)) is not None


def test_planted_sum_missing_a_use_is_caught(monkeypatch):
    from tinygrad_gd.graph import dot
    lines = dot._edge_lines
    monkeypatch.setattr(dot, "_edge_lines", lambda drawing, p, target, parts:
                        lines(drawing, p, target, parts[:1]))  # (h * h: one use of two)
    assert _caught(range(30)) is not None


def test_planted_box_product_of_swapped_operands_is_caught(monkeypatch):
    from tinygrad_gd.graph import boxes
    product = boxes._product

    def swapped(*args):  # `inputᵀ @ (result grad)` for `(result grad)ᵀ @ input`
        made = product(*args)
        return made and made._replace(pieces=[piece.replace("(result grad)", "⟨⟩").replace(
            "input", "(result grad)").replace("⟨⟩", "input") if isinstance(piece, str)
            else piece for piece in made.pieces])

    monkeypatch.setattr(boxes, "_product", swapped)
    assert _caught(range(10**6, 10**6 + 40)) is not None


def test_planted_grad_line_of_this_pass_is_caught(monkeypatch):
    from tinygrad_gd.graph import held
    apart = held.grad_apart

    def wrong(drawing, i):  # `.grad` said unlike this pass's, its numbers this pass's
        found = apart(drawing, i)
        return found and (found[1], *found[1:])

    monkeypatch.setattr(held, "grad_apart", wrong)
    assert _caught(range(10**6, 10**6 + 40)) is not None


def test_planted_box_frozen_line_under_every_parameter_is_caught(monkeypatch):
    from tinygrad_gd.graph import boxes, held

    def everywhere(drawing, p, color, limit=10**3):  # (the review's plant: it passed 60 seeds)
        return held.Told([f"frozen [{p % 3}]"], [])

    monkeypatch.setattr(boxes, "frozen_line", everywhere)
    assert _caught(range(10**6, 10**6 + 40)) is not None


def test_planted_box_frozen_line_dropped_is_caught(monkeypatch):
    from tinygrad_gd.graph import boxes
    monkeypatch.setattr(boxes, "frozen_line", lambda drawing, p, color, limit=10**3: None)
    assert _caught(range(10**6, 10**6 + 40)) is not None  # (it passed: the line was optional)


def test_planted_hook_sent_on_numbers_of_the_gradient_before_it_are_caught(monkeypatch):
    from tinygrad_gd.graph import held
    said = held.hook_said

    def before(drawing, i, whose="its hook"):  # what reached the hook, not what it sent on
        found = said(drawing, i, whose)
        return found if found is None or found.sent is None \
            else found._replace(sent=drawing.grads.tensor[i])

    monkeypatch.setattr(held, "hook_said", before)
    assert _caught(range(10**6, 10**6 + 40)) is not None


def test_planted_hook_words_dropped_are_caught(monkeypatch):
    from tinygrad_gd.graph import held
    monkeypatch.setattr(held, "hook_said", lambda drawing, i, whose="its hook": None)
    assert _caught(range(10**6, 10**6 + 40)) is not None


def test_planted_look_only_post_accumulate_hook_named_is_caught(monkeypatch):
    from tinygrad_gd import hooks
    changed = hooks.changed_into

    def named(tensor, holder):  # (a leaf's post-accumulate hook named whether it changed or not)
        return changed(tensor, holder) or tensor is holder and bool(
            hooks._post_accumulate.get(tensor))

    monkeypatch.setattr(hooks, "changed_into", named)
    assert _caught(range(10**6, 10**6 + 40)) is not None


def test_planted_numbers_rounded_too_far_are_caught(monkeypatch):
    from tinygrad_gd.graph import text
    number = text._number
    monkeypatch.setattr(text, "_number", lambda value, precision:
                        number(value, max(1, precision - 2)))
    assert _caught(range(10)) is not None


# ---------------------------------------------------------------------------------------
# What the fuzzer found


@pytest.mark.parametrize("function, at", [("sigmoid", 31.0), ("tanh", 16.0)])
def test_a_result_a_hair_from_1_shows_factors_that_give_its_gradient(function, at):
    # sigmoid(31) = 1 - 3.4e-14 prints "1" (float noise): its edge read
    # `2 × 1 × (1 - 1) = 6.9e-14`, factors whose product is 0
    x = tg.Tensor(at, requires_grad=True, name="x")
    y = getattr(x, function)() * 2.0
    y.backward()
    labels, edges, _ = parse_dot(tg.draw_graph(y, mode="backward").source)
    node = next(n for n, label in labels.items() if lines_of(label)[0][0] == "x")
    (text, matrices), = [lines_of(label) for (_, target), label in edges.items()
                         if target == node]
    text = " ".join(text)
    (value, _), = product_of(text, matrices, (), [()])[0]
    shown = float(text.rpartition(" = ")[2])
    assert shown == pytest.approx(x.grad.item(), rel=1e-3, abs=0)
    assert float(value) == pytest.approx(shown, rel=1e-3, abs=0), text

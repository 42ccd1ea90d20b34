"""Module and function calls in a diagram: which call an op ran in, its title, what it returned.

A public function made of several ops (`tg.svd_lowrank`, the `*_copy` functions,
`F.linear_cross_entropy`) is drawn as one call titled as the user called it
(`svd_lowrank()`): a frame around its ops, or one box in a large graph, as a module call
is drawn (it declares so with scope.py's `drawn_as_call` or `function_call`).
- `_call_key`: the module call at a nesting level that an op (or a constant made inside
  a call) belongs to, the key the boxes of `walk._fold_modules` are grouped by.
- `_module_title`: `0: Linear(784 -> 128)`, the module's name in the model and its kind,
  the title of its box.
- `_call_result`: that title for a tensor a module call returned (made inside the call,
  used outside it), so a drawing names `0: Linear(3 -> 4) result`, not `linear result`,
  whether the call is drawn as a box or opened.
- `_made_in_call`: the call a constant was made in (`scope.made_here`), where only that
  call's ops use it: it is drawn as that call's (`constant in 0: Scaled`, in its frame).
- `_called_model`: the model whose calls made the graph, which names its parameters
  (`0.weight`) when a drawing is given no `model=`.
- `_argument_names`: a leaf the user gave a call (the data a loss compares with) named
  as the parameter it was passed as, `target` (MSELoss's `forward(input, target)`): what
  the call was given (scope.py records it) bound, when drawing, to the forward's signature.
- `_nan_left_out`: the NaN in data a learner gave a function's call on purpose
  (`tg.nansum`'s very point), which it left out: none of its results holds a NaN. A
  diagram says so, `NaN left out by nansum()`, instead of marking that data red.
- `_common_prefix_length`: how many calls (or frames) two ops (or units) share, outermost first.
"""
from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..scope import FunctionCall, owners_of


def _call_key(ctx: Any, level: int) -> tuple | None:
    """The module call at nesting `level` an op ran in (`ctx` a constant's `_made_in`: it
    was made in); None when it ran outside one. Calls of the same module are told apart
    by the record each entry of a call made (`_entry`), two entries of one `scope` too;
    without them (a constant's owners only), they share one box."""
    scope, calls = ctx if isinstance(ctx, tuple) else (owners_of(ctx),
                                                       getattr(ctx, "scope_calls", None))
    if len(scope) <= level:
        # a leaf module (a Linear) called shallower inside a model folds at its own level,
        # as its siblings deeper down do; a loss module (called outside) stays open
        children = getattr(scope[-1], "children", None) if len(scope) > 1 else None
        if not callable(children) or list(children()):
            return None
        level = len(scope) - 1
    key = tuple(id(owner) for owner in scope[:level + 1])  # grouping only, never an id shown
    return key + (id(_entry(calls, level)),) if calls else key


def _entry(calls: tuple, level: int) -> tuple:
    """The record scope.py made when `calls[level]` was entered (the calls running then,
    with it, a tuple of its own each entry), reached from the innermost call's through the
    calls each entry found (`outer`): a `scope` entered twice, or inside itself, is two
    calls, as a function called twice. Its identity is the entry's, kept alive by the
    records of the entries inside it."""
    for _ in range(len(calls) - 1 - level):
        calls = calls.outer
    return calls


def _module_title(owners: tuple, names: Any) -> str:
    """`0: Linear(784 -> 128)`: the module's name (as PyTorch's printed model numbers a
    Sequential's layers) and kind; the enclosing kinds (`Block/Linear`) when unnamed.

    The name comes from `model=`, else from the outermost module of the call, whose
    `named_modules()` names every module inside it.
    """
    owner = owners[-1]
    if isinstance(owner, FunctionCall):  # (a function's call: as the user wrote it)
        return owner.title
    kind = type(owner).__name__
    n_in, n_out = getattr(owner, "in_features", None), getattr(owner, "out_features", None)
    if isinstance(n_in, int) and isinstance(n_out, int):
        kind += f"({n_in} -> {n_out})"
    name = names.modules.get(id(owner)) or _name_inside(owners)
    if name:
        return f"{name}: {kind}"
    return "/".join([*(o.title if isinstance(o, FunctionCall) else type(o).__name__
                       for o in owners[:-1]), kind])  # (`step()/Linear`: a function's call)


def _name_inside(owners: tuple) -> str | None:
    """The name of the innermost module within the outermost one (`0`, `block.fc1`)."""
    if len(owners) < 2 or not callable(getattr(owners[0], "named_modules", None)):
        return None
    try:
        found = {id(module): name for name, module in owners[0].named_modules()}
    except Exception:  # a user's module that cannot list its modules: no name
        return None
    return found.get(id(owners[-1])) or None


def _call_result(graph: Any, i: int, names: Any) -> str | None:
    """The title of the innermost module call that returned tensor `i` of `graph` (made by
    an op of that call and used by an op outside it); None when it is no call's result."""
    ctx = graph.tensors[i]._ctx
    scope = owners_of(ctx)
    if not scope:
        return None
    level = len(scope) - 1
    key = _call_key(ctx, level)
    if any(_call_key(graph.tensors[c]._ctx, level) != key for c in graph.consumers[i]):
        return _module_title(scope, names)
    return None


def _made_in_call(graph: Any, i: int) -> tuple | None:
    """The calls (owners, call numbers) that made constant `i` of `graph`, where every op
    using it ran inside the innermost of them; None otherwise (made outside any call, or
    used outside the call too: an input of what uses it)."""
    made_in = getattr(graph.tensors[i], "_made_in", None)
    if not made_in:
        return None
    level = len(made_in[0]) - 1
    key = _call_key(made_in, level)
    if key is None or any(_call_key(graph.tensors[c]._ctx, level) != key
                          for c in graph.consumers[i]):
        return None
    return made_in


def _called_model(graph: Any) -> Any:
    """The one outermost module with parameters that ops of `graph` ran in (`model(x)`;
    a loss module holds none), or None: none, or several (which would name alike)."""
    called = {id(owners[0]): owners[0] for owners in (owners_of(t._ctx) for t in graph.tensors)
              if owners}
    with_parameters = [m for m in called.values() if callable(getattr(m, "parameters", None))
                       and any(True for _ in m.parameters())]
    return with_parameters[0] if len(with_parameters) == 1 else None


def _argument_names(graph: Any) -> dict[int, str]:
    """Leaf position -> the parameter it was passed to a call as (`target`), for each leaf
    of `graph` that only ops of one outermost call use: the outermost of the calls all
    those ops ran in that was given it, by identity (a tensor passed twice, `f(x, x)`, is
    named by both: `input and target`)."""
    names: dict[Any, dict[int, str]] = {}  # a call (scope.py's record) -> id -> name
    named: dict[int, str] = {}
    for i, tensor in enumerate(graph.tensors):
        if tensor._ctx is not None or not graph.consumers[i]:
            continue
        shared = _shared_calls([graph.tensors[c]._ctx for c in graph.consumers[i]])
        for call in shared:
            if call not in names:
                names[call] = _parameter_names(call)
            if id(tensor) in names[call]:
                named[i] = names[call][id(tensor)]
                break
    return named


def _shared_calls(nodes: list) -> tuple:
    """The calls every one of `nodes` ran in, outermost first."""
    shared = getattr(nodes[0], "scope_calls", ())
    for node in nodes[1:]:
        shared = shared[:_common_prefix_length(shared, getattr(node, "scope_calls", ()))]
    return shared


def _common_prefix_length(first: Sequence, second: Sequence) -> int:
    """How many entries `first` and `second` share from their start: the calls two ops ran
    in (a `scope` equals only itself), the frames two units are drawn in."""
    length = 0
    for mine, theirs in zip(first, second):
        if mine != theirs:
            break
        length += 1
    return length


def _parameter_names(call: Any) -> dict[int, str]:
    """Id of what `call` was given -> the parameter of its forward (a module's) or of the
    function declared it was passed as, `input[1]` for a `*input`'s second (or a list's
    given to a declared function: hstack's `tensors[1]`); none where its
    signature cannot be read (a built-in) or does not take what it was given."""
    owner = call.owner
    function = owner.function if isinstance(owner, FunctionCall) else getattr(owner, "forward",
                                                                                None)
    args, kwargs = call.given
    try:
        signature = inspect.signature(function)
        bound = signature.bind_partial(*args, **(kwargs or {})).arguments
    except (TypeError, ValueError):  # (not a function, a built-in, or a call that failed)
        return {}
    found: dict[int, list[str]] = {}
    for name, value in bound.items():
        kind = signature.parameters[name].kind
        if kind == inspect.Parameter.VAR_POSITIONAL:
            pairs = [(f"{name}[{k}]", v) for k, v in enumerate(value)]
        elif kind == inspect.Parameter.VAR_KEYWORD:
            pairs = [(key, v) for key, v in value.items()]
        else:
            pairs = [(name, value)]
        for label, ident in pairs:
            if isinstance(ident, tuple):  # (the entries of a list given: `tensors[1]`)
                for k, entry in enumerate(ident):
                    found.setdefault(entry, []).append(f"{label}[{k}]")
            else:
                found.setdefault(ident, []).append(label)
    return {ident: " and ".join(labels) for ident, labels in found.items()}


def _nan_left_out(graph: Any, i: int) -> str | None:
    """`left out by nansum()`: what a diagram says of the NaN in leaf i's values (data the
    user gave) where only ops of one declared function's call use it (the innermost such
    call) and none of the call's results holds a NaN (a tensor its ops made that the
    graph outputs or an op outside it uses); else None. A NaN an op made stays a fault
    to be seen where it was made, whatever took it later."""
    consumers = graph.consumers[i]
    if not consumers or graph.tensors[i]._ctx is not None:
        return None
    declared = [c for c in _shared_calls([graph.tensors[c]._ctx for c in consumers])
                if isinstance(c, FunctionCall)]
    if not declared:
        return None
    call, roots = declared[-1], set(graph.roots)
    for k, tensor in enumerate(graph.tensors):
        if call not in getattr(tensor._ctx, "scope_calls", ()):
            continue
        if (k in roots or any(call not in getattr(graph.tensors[c]._ctx, "scope_calls", ())
                              for c in graph.consumers[k])) \
                and tensor._data.dtype.kind in "fc" and np.isnan(tensor._data).any():
            return None
    return f"left out by {call.title}"

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
  as the argument it was passed as, `target` (MSELoss's `forward(input, target)`), read
  when drawing from the forward's signature; a call records nothing of its arguments.
"""
from __future__ import annotations

import dis
import inspect
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from ..scope import FunctionCall


def _call_key(ctx: Any, level: int) -> tuple | None:
    """The module call at nesting `level` an op ran in (`ctx` a constant's `_made_in`: it
    was made in); None when it ran outside one. Calls of the same module are told apart
    by the per-call numbers (`ctx.scope_calls`); without them, they share one box."""
    ctx = SimpleNamespace(scope=ctx[0], scope_calls=ctx[1]) if isinstance(ctx, tuple) else ctx
    scope = getattr(ctx, "scope", ())
    if len(scope) <= level:
        # a leaf module (a Linear) called shallower inside a model folds at its own level,
        # as its siblings deeper down do; a loss module (called outside) stays open
        children = getattr(scope[-1], "children", None) if len(scope) > 1 else None
        if not callable(children) or list(children()):
            return None
        level = len(scope) - 1
    key = tuple(id(owner) for owner in scope[:level + 1])  # grouping only, never an id shown
    calls = getattr(ctx, "scope_calls", None)
    return key + tuple(calls[:level + 1]) if calls else key


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
    return "/".join([*(type(o).__name__ for o in owners[:-1]), kind])


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
    scope = getattr(ctx, "scope", ())
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
    called = {id(ctx.scope[0]): ctx.scope[0] for ctx in (t._ctx for t in graph.tensors)
              if getattr(ctx, "scope", ())}
    with_parameters = [m for m in called.values() if callable(getattr(m, "parameters", None))
                       and any(True for _ in m.parameters())]
    return with_parameters[0] if len(with_parameters) == 1 else None


def _argument_names(graph: Any) -> dict[int, str]:
    """Leaf position -> the name of the argument it was passed to the call as (`target`),
    for each leaf of `graph` that only ops of one outermost call use. Since a call keeps
    nothing of its arguments, the tensors it was given (those its ops used that it did not
    make, less its own parameters, buffers and one-number constants), in the order its
    ops first used them, are taken as its forward's positional parameters in turn. Names
    none where that order may not be the arguments': a call given more tensors than those
    (a tensor read from elsewhere, or made inside from the data, would shift them); one
    whose ops used a tensor without gradient before one with (KLDivLoss's `target *
    (log(target) - input)`: the prediction comes first, a loss's or a layer's data before
    its weight); a forward whose code reads its parameters out of their order (`mask *
    self.lin(x)`), or whose parameters cannot be read (`*args`)."""
    given: dict[tuple, tuple[Any, list[int]]] = {}  # call key -> (owner, given in order)
    for i, tensor in enumerate(graph.tensors):
        ctx = tensor._ctx
        key = _call_key(ctx, 0) if getattr(ctx, "scope", ()) else None
        if key is None:
            continue
        owner, found = given.setdefault(key, (ctx.scope[0], []))
        for p in graph.parents[i]:
            if p not in found and _key_of(graph.tensors[p]) != key:
                found.append(p)
    named: dict[int, str] = {}
    for key, (owner, found) in given.items():
        own = _owned_tensors(owner)
        found = [p for p in found if id(graph.tensors[p]) not in own
                 and not _one_number(graph.tensors[p])]
        traced = [graph.tensors[p].requires_grad for p in found]
        parameters = _positional_parameters(owner)
        if parameters is None or len(found) > len(parameters) or traced != sorted(traced)[::-1]:
            continue
        for p, parameter in zip(found, parameters):
            if graph.tensors[p]._ctx is None and graph.consumers[p] and all(
                    _call_key(graph.tensors[c]._ctx, 0) == key for c in graph.consumers[p]):
                named[p] = parameter
    return named


def _key_of(tensor: Any) -> tuple | None:
    """The outermost call that made `tensor` (an op of it, or a constant `made_here`)."""
    made = tensor._ctx if tensor._ctx is not None else getattr(tensor, "_made_in", None)
    if made is None or not (made[0] if isinstance(made, tuple) else getattr(made, "scope", ())):
        return None
    return _call_key(made, 0)


def _one_number(tensor: Any) -> bool:
    """An unnamed one-number constant (`x * 2`'s 2), made by the op that used it."""
    return tensor._ctx is None and tensor.size == 1 and not tensor.requires_grad \
        and not tensor.name


def _owned_tensors(owner: Any) -> set[int]:
    """The ids of the tensors a module holds (parameters, buffers, tensor attributes),
    its submodules' too; none for a function's call."""
    modules = getattr(owner, "modules", None)
    if not callable(modules):
        return set()
    try:
        return {id(value) for module in modules() for value in vars(module).values()} | {
            id(t) for t in (*owner.parameters(), *owner.buffers())}
    except Exception:  # a user's module that cannot list its parts: names none
        return set()


def _positional_parameters(owner: Any) -> list[str] | None:
    """The names of the parameters a call's arguments fill by position (a module's
    forward's, a declared function's), or None where they cannot be told (`*args`)."""
    function = owner.function if isinstance(owner, FunctionCall) else getattr(owner, "forward",
                                                                                None)
    try:
        parameters = list(inspect.signature(function).parameters.values())
        code = inspect.unwrap(function).__code__
    except (TypeError, ValueError, AttributeError):  # (a built-in, a callable object)
        return None
    positional = [p.name for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return None
    read = [name for name in dict.fromkeys(_names_read(code)) if name in positional]
    return positional if read == [name for name in positional if name in read] else None


def _names_read(code: Any) -> Iterator[str]:
    """The local names `code` reads, in the order its instructions do."""
    for instruction in dis.get_instructions(code):
        if instruction.opname.startswith(("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE")):
            value = instruction.argval  # (a pair where two loads are one instruction)
            yield from (value if isinstance(value, tuple) else (value,))

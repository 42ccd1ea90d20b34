"""Module scope: which `nn.Module` call recorded each graph node, for the diagrams.

`with scope(owner, args, kwargs):` (what calling a module does) tags every node recorded
inside with the calls running, outermost first, one `scope` each (`node.scope_calls`), and
so with their owners (`node.scope`; the diagrams read them by `owners_of`, never a `scope`
a user's op sets), so the renderer can fold each module call's nodes into one box and name
a tensor the call was given by its parameter (`target`; a forward pre-hook's replacements
by `given_instead`);
an array a function made for itself inside (`made_here`: creation's `tg.full`, `tg.zeros`
and kin, nn's masks), and an op's result of such arrays only, gets both as
`tensor._made_in`, so that it folds into that box too. The tagging joins the engine as
an extension switched on only while a block runs.

A constant a function made that holds NaN on purpose (masked.mean's count over a slice
the mask leaves out whole: PyTorch's NaN without NumPy's warnings) is declared so with
`nan_on_purpose`, and `nan_meaning` gives a diagram the words to say instead of marking a
fault, while its NaN entries are still those.

A public function made of several ops declares with `drawn_as_call` (or a
`function_call` block) that its ops are tagged with a `FunctionCall` as owner, so that a
diagram draws them as one call titled as the user called it (`svd_lowrank()`), as a
module call is drawn: the call is a `scope` block, each op tagged as it runs. Called from
inside one of the package's own modules or functions, it tags nothing of its own (the
user called that one). A constant its ops used that it was not given (made inside it:
the Bi-LSTM CRF's `init_alphas`) is tagged as made in it. A copy such a call makes of
what it was given (the bool mask a `tg.masked` function makes of the user's `mask`) is
named as that argument (`made_of_argument`), and so is the op that reads it (`passed_on`:
the `where` of the mask, whose local derivative a diagram writes `1 where mask, else 0`);
`argument_of` gives a diagram that name.
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import Extension, Function, switch
from .by_identity import ByIdentity


class _Calls(tuple):
    """The calls running in a thread (`scope` objects), outermost first, as one entry of
    the innermost made them: a tuple of its own each entry, so that its identity is the
    entry's (a `scope` entered twice, or inside itself, is two calls: graph/calls.py's
    `_entry`), linked to the calls that entry found running (`outer`), which its exit
    restores."""

    outer: tuple


class _Stack(threading.local):
    calls: tuple = ()  # the calls running in this thread (`scope` blocks), outermost first


_stack = _Stack()


class ScopeTags(Extension):
    """Tags each recorded node with the module calls running in its thread, and a constant
    an op made of constants all made in this call (`made_here`) as made in it too."""

    def applied(self, node: Function, inputs: tuple, output: Any) -> None:
        if node.parents:  # (another thread's block may have switched this on: no calls)
            node.scope_calls = _stack.calls
        elif _stack.calls and inputs and all(
                getattr(t, "_made_in", (None, None))[1] is _stack.calls for t in inputs):
            made_here(output)


def made_here(tensor: Any) -> Any:
    """`tensor` (an array a function made for itself: zeros, a mask), tagged with the
    module calls running in this thread, if any, so that it folds into their box (an op's
    result is, where all its inputs were made so in this call: `ScopeTags`; an op of other
    constants is not, being perhaps the user's data reshaped); returns it."""
    if _stack.calls:
        tensor._made_in = (_owners(_stack.calls), _stack.calls)
    return tensor


_meanings = ByIdentity()  # constant -> (where its NaN are meant, what they say)


def nan_on_purpose(tensor: Any, meaning: str) -> Any:
    """`tensor` (a constant a function made), its NaN entries put there on purpose, saying
    `meaning` ("where the mask keeps no entry"): a diagram says so instead of marking a
    fault (`nan_meaning`); returns it."""
    _meanings.set(tensor, (np.isnan(tensor._data), meaning))
    return tensor


def nan_meaning(tensor: Any) -> str | None:
    """What the NaN of a constant declared with `nan_on_purpose` say, while its NaN entries
    are still those it was made with (a write since: None, its NaN a fault as any)."""
    entry = _meanings.get(tensor)
    if entry is None:
        return None
    nan = np.isnan(tensor._data)
    return entry[1] if nan.shape == entry[0].shape and (nan == entry[0]).all() else None


_tags = ScopeTags()
# threads running a scope block, each counted by its outermost one: the tagging is on while
# any is
_open_blocks = 0
_lock = threading.Lock()


class scope:
    """Tag the graph nodes recorded inside this block with `owner` (an nn.Module call) and
    with this block, the call, which keeps the ids of what it was `given` (its positional
    and keyword arguments), for a diagram to bind to the forward's parameters. Each entry
    is one call: a `scope` entered twice is drawn as two calls, as a function called
    twice, or one entered inside itself (each entry's record, `_Calls`, tells them apart:
    graph/calls.py's `_entry`)."""

    def __init__(self, owner: Any, args: tuple = (), kwargs: dict | None = None) -> None:
        self.owner = owner
        # ids, not the objects: nothing kept alive with a graph; a tensor the call's ops used
        # lived during the call, as what it was given did, so the same id is the same tensor
        self.given = [*map(id, args)], kwargs and {k: id(v) for k, v in kwargs.items()}

    def __getstate__(self) -> dict:
        # a copy (pickle, deepcopy) forgets what it was given: its ids are of objects of
        # this process's, which new ones may take
        return {**vars(self), "given": ((), None)}

    def __enter__(self) -> None:
        global _open_blocks
        calls = _stack.calls
        _stack.calls = entry = _Calls(calls + (self,))
        entry.outer = calls
        if calls:  # (fast path: a block inside another leaves the count to the outermost)
            return
        with _lock:
            _open_blocks += 1
            if _open_blocks == 1:
                switch(_tags)

    def __exit__(self, *exc: object) -> None:
        global _open_blocks
        _stack.calls = calls = _stack.calls.outer  # (what this block's entry found)
        if calls:  # (fast path: as in __enter__)
            return
        with _lock:
            _open_blocks -= 1
            if not _open_blocks:
                switch(_tags, on=False)


def _owners(calls: tuple) -> tuple:
    """The owners of `calls` (modules, `FunctionCall`s), outermost first."""
    return tuple(call.owner for call in calls)


def given_instead(args: tuple, kwargs: dict) -> None:
    """What the innermost call running in this thread was given, replaced (by a module's
    forward pre-hook: the arguments its forward gets)."""
    if _stack.calls:
        _stack.calls[-1].given = scope(None, args, kwargs).given


def owners_of(node: Any) -> tuple:
    """The owners of the calls `node` was recorded in, outermost first, read from its
    calls: what the diagrams fold by, never an attribute `scope` a user's op defines."""
    return _owners(getattr(node, "scope_calls", ()))


def _keep_users_value(node: Function, value: Any) -> None:
    vars(node)["scope"] = value  # (a user's forward setting ctx.scope: op_errors refuses it)


Function.scope_calls = ()  # set on a node recorded inside a module call
# the owners of its calls, read from them (a module call pushes one stack, not two)
Function.scope = property(lambda node: _owners(node.scope_calls), _keep_users_value)


# ------------------------------------------------------------------ a function's call

_PACKAGE = __name__.split(".")[0] + "."  # tinygrad_gd's modules, FunctionCall's too


def _inside_the_package() -> bool:
    """Whether the innermost call running in this thread is one of the package's own (a
    module, a declared function): a function it calls is part of that call, the user's."""
    calls = _stack.calls
    return bool(calls) and type(calls[-1].owner).__module__.startswith(_PACKAGE)


def _ids(value: Any) -> Any:
    """The id of `value`, or a tuple of the ids of its entries where it is a list, tuple or
    other sequence (not a string): hstack's tensors, each named by its place, `tensors[1]`."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return (*map(id, value),)
    return id(value)


class FunctionCall(scope):
    """A call of a function declared with `drawn_as_call` (or a `function_call` block),
    titled `title` (`nansum()`): a `scope` block whose owner is the call itself, so that
    the ops recorded inside are drawn as one call, as a module call's are. `function` is
    the function declared, if any, whose parameters name what the call was given (kept
    as ids, as a scope keeps them; a list, tuple or other sequence given by its entries',
    hstack's `tensors[1]`)."""

    def __init__(self, title: str, function: Callable | None = None, args: tuple = (),
                 kwargs: dict | None = None) -> None:
        # (not scope's __init__: the owner is the call itself, the property below)
        self.title, self.function = title, function
        self.given = [*map(_ids, args)], kwargs and {k: _ids(v) for k, v in kwargs.items()}

    @property
    def owner(self) -> FunctionCall:
        """The call itself: its own owner (one object a call, not two)."""
        return self

    def __getstate__(self) -> dict:
        # a copy (pickle, deepcopy) forgets, besides what a scope forgets, the function
        # declared: found by no name
        return {**super().__getstate__(), "function": None}


class function_call:
    """A block whose ops are drawn as one call titled `title` (`view_copy()`) of `function`
    given `args` and `kwargs`, unless one of the package's own modules or functions runs
    it: the user called that one. `with function_call(...) as call:` gives the call (a
    `FunctionCall`), or None where it tags nothing."""

    def __init__(self, title: str, function: Callable | None = None, args: tuple = (),
                 kwargs: dict | None = None) -> None:
        self._arguments = (title, function, args, kwargs)
        self._call: FunctionCall | None = None

    def __enter__(self) -> FunctionCall | None:
        if not _inside_the_package():
            self._call = FunctionCall(*self._arguments)
            self._call.__enter__()
        return self._call

    def __exit__(self, *exc: object) -> None:
        if self._call is not None:
            self._call.__exit__()


def drawn_as_call(title: str) -> Callable[[Callable], Callable]:
    """Decorate a function so that a diagram draws the ops it records as one call titled
    `title` (`svd_lowrank()`, see `function_call`); its values and gradient unchanged. A
    constant its ops used that it was not given (the Bi-LSTM CRF's `init_alphas`, made
    inside) is drawn as part of the call, not as another input (`_claim_constants`)."""
    def declare(function: Callable) -> Callable:
        @functools.wraps(function)
        def called(*args: Any, **kwargs: Any) -> Any:
            if _inside_the_package():
                return function(*args, **kwargs)
            call = FunctionCall(title, function, args, kwargs)
            with call:
                result = function(*args, **kwargs)
                _claim_constants(call, result, (*args, *kwargs.values()))
            return result
        return called
    return declare


def _claim_constants(call: FunctionCall, result: Any, arguments: tuple) -> None:
    """Tag as made in `call` (`made_here`, while the call runs) each unnamed constant that
    an op of the call used on the way to its `result` and that was not given to it (an
    argument, or an entry of a sequence given) nor made of given data (an array or list
    among the `arguments`, which the function turned into a tensor): made inside, or read
    from elsewhere, but no input. The walk goes back from the result through the call's
    ops only."""
    nodes = [t._ctx for t in (result if isinstance(result, (list, tuple)) else (result,))
             if getattr(t, "_ctx", None) is not None and call in t._ctx.scope_calls]
    seen = {*map(id, nodes)}  # (a node two ops used: walked once)
    given: set[int] | None = None  # (the ids given: read at the first constant met)
    while nodes:
        for parent in nodes.pop().parents:
            node = parent._ctx
            if node is not None:
                if call in node.scope_calls and id(node) not in seen:
                    seen.add(id(node))
                    nodes.append(node)
            elif not (parent._requires_grad or parent.name
                      or hasattr(type(parent), "frozen_mask")  # (a Parameter, frozen)
                      or getattr(parent, "_made_in", None) is not None):
                if given is None:
                    given = _given_ids(call)
                if id(parent) not in given and not _of_given_data(parent, arguments):
                    made_here(parent)


def _of_given_data(constant: Any, arguments: tuple) -> bool:
    """Whether `constant` holds the values of an array or list among `arguments` (or of one
    inside a list or tuple given): the user's data, converted by the function."""
    for argument in arguments:
        for data in (argument, *argument) if isinstance(argument, (list, tuple)) else (argument,):
            if isinstance(data, (np.ndarray, list)):
                try:
                    values = np.asarray(data)
                except (ValueError, TypeError):  # (a list of arrays of several shapes)
                    continue
                if values.shape == constant.shape and np.array_equal(values, constant._data):
                    return True
    return False


_arguments = ByIdentity()  # what a declared call made of an argument -> the argument's name


def made_of_argument(made: Any, given: Any, name: str) -> Any:
    """`made` (a declared call's own copy of what it was given as keyword `name`: the bool
    mask a `tg.masked` function makes of the user's `mask`, a copy so that the user's
    array is never among the recorded ops' inputs), named as that argument where the
    innermost call running is the user's, given `given` so (a list by its entries, as the
    call keeps it: `_ids`); returns `made`."""
    calls = _stack.calls
    if calls and isinstance(calls[-1], FunctionCall):
        kwargs = calls[-1].given[1]
        if kwargs and kwargs.get(name) == _ids(given):
            _arguments.set(made, name)
    return made


def passed_on(made: Any, to: Any) -> Any:
    """`to` (a node whose op read `made`, a `where` of the mask) named as `made` is
    (`made_of_argument`), so that a diagram names what the op read; returns `to`."""
    name = _arguments.get(made)
    if name is not None and to is not None:
        _arguments.set(to, name)
    return to


def argument_of(made: Any) -> str | None:
    """The argument `made` stands for (`made_of_argument`, `passed_on`), else None."""
    return _arguments.get(made)


def _given_ids(call: FunctionCall) -> set[int]:
    """The ids of what `call` was given, a sequence's entries among them."""
    args, kwargs = call.given
    ids: set[int] = set()
    for ident in [*args, *kwargs.values()] if kwargs else args:
        if isinstance(ident, tuple):
            ids.update(ident)
        else:
            ids.add(ident)
    return ids

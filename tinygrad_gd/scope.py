"""Module scope: which `nn.Module` call recorded each graph node, for the diagrams.

`with scope(owner, args, kwargs):` (what calling a module does) tags every node recorded
inside with the calls running, outermost first, one `scope` each (`node.scope_calls`), and
so with their owners (`node.scope`), so the renderer can fold each module call's nodes into
one box and name a tensor the call was given by its parameter (`target`);
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
module call is drawn; called from inside one of the package's own modules or functions, it
tags nothing of its own (the user called that one). A declared function runs no work
per op and switches no extension on, so that a small composed function (`addcmul`,
`nansum`) can be declared at little cost: when it returns, its results' nodes are tagged
(`_tag_results`); its other nodes when a diagram reads the graph (`complete_calls`, or a
copy of the graph is made), walking back from the results to what it was given; until
then `node.scope` of those says nothing of the call. A constant its ops used that it was
not given (made inside it: the Bi-LSTM CRF's `init_alphas`) is tagged as made in it on
that walk.
"""
from __future__ import annotations

import functools
import itertools
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .engine import Extension, Function, switch
from .hooks import ByIdentity


class _Stack(threading.local):
    calls: tuple = ()  # the calls running in this thread (`scope` blocks), outermost first
    # this thread's innermost running call of a function declared with `drawn_as_call`
    # (None: none runs): one called right inside it is part of it
    declared: Any = None


_stack = _Stack()


class ScopeTags(Extension):
    """Tags each recorded node with the module calls running in its thread, and a constant
    an op made of constants all made in this call (`made_here`) as made in it too."""

    def applied(self, node: Function, inputs: tuple, output: Any) -> None:
        if node.parents:
            if _stack.calls:
                node.scope_calls = _stack.calls
        elif _stack.calls and inputs and all(
                getattr(t, "_made_in", (None, None))[1] == _stack.calls for t in inputs):
            made_here(output)


def made_here(tensor: Any) -> Any:
    """`tensor` (an array a function made for itself: zeros, a mask), tagged with the
    module calls running in this thread, if any, so that it folds into their box (an op's
    result is, where all its inputs were made so in this call: `ScopeTags`; an op of other
    constants is not, being perhaps the user's data reshaped), and with the call of a
    function declared with `drawn_as_call` that runs right around it; returns it."""
    calls, declared = _stack.calls, _stack.declared
    if declared is not None and declared.outer is calls:
        calls = (*calls, declared)
    if calls:
        tensor._made_in = (_owners(calls), calls)
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
_open_blocks = [0]
_lock = threading.Lock()


class scope:
    """Tag the graph nodes recorded inside this block with `owner` (an nn.Module call) and
    with this block, the call, which keeps the ids of what it was `given` (its positional
    and keyword arguments), for a diagram to bind to the forward's parameters. One block
    is one call: a `scope` entered again is drawn as the same call."""

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
        calls = self._previous = _stack.calls
        _stack.calls = calls + (self,)
        if calls:  # (fast path: a block inside another leaves the count to the outermost)
            return
        with _lock:
            _open_blocks[0] += 1
            if _open_blocks[0] == 1:
                switch(_tags)

    def __exit__(self, *exc: object) -> None:
        _stack.calls = self._previous
        if _stack.calls:  # (fast path: as in __enter__)
            return
        with _lock:
            _open_blocks[0] -= 1
            if not _open_blocks[0]:
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


class FunctionCall(scope):
    """A call of a function declared with `drawn_as_call`, titled `title`: the call's own
    record among a node's calls (`scope_calls`, as a `scope` is a module call's, keeping
    the ids of what it was `given`, as `scope` does) and the owner its ops are tagged with;
    `function` the function declared (a diagram names what it was given by its
    parameters), if any; `outer` the calls running around it. Until `complete`, only its
    results' nodes carry it (`_pending`: what stops the walk to the others, `_results`
    its results' nodes, weakly, `_ended` when it ended)."""

    # (slots: one is made at each call of a declared function, and no dict with it)
    __slots__ = ("title", "function", "given", "outer", "_pending", "_results", "_ended")

    def __init__(self, title: str, function: Callable | None = None,
                 given: tuple = ((), None), outer: tuple = ()) -> None:
        self.title, self.function, self.given, self.outer = title, function, given, outer
        self._pending = None

    @property
    def owner(self) -> "FunctionCall":
        """The call itself: its own owner (one object a call, not two)."""
        return self

    def __getstate__(self) -> tuple:
        # a copy (pickle, deepcopy) keeps the call's ops tagged, forgets the function (found
        # by no name) and the ids given (this process's); (no dict, the slots' values)
        complete(self)
        return None, {"title": self.title, "function": None, "given": ((), None),
                      "outer": (), "_pending": None}


def _users_call(calls: tuple) -> bool:
    """Whether a function declared as a call, called now (`calls` running in this thread),
    is the user's call: not one the package's own modules or functions make (the user
    called that one), nor one made straight inside another declared call."""
    declared = _stack.declared
    return (declared is None or declared.outer is not calls) and not (
        calls and type(calls[-1].owner).__module__.startswith(_PACKAGE))


class function_call:
    """The ops recorded inside this block, drawn as one call titled `title` (`view_copy()`)
    of `function` given `args` and `kwargs`, unless one of the package's own modules or
    functions runs this: the user called that one. Gives the call's owner (None where it
    tags nothing). Each op is tagged as it runs (the module calls' tagging, switched on
    for the block): a function declared with `drawn_as_call` costs less."""

    def __init__(self, title: str, function: Callable | None = None, args: tuple = (),
                 kwargs: dict | None = None) -> None:
        self._call = (title, function, args, kwargs)
        self._scope: FunctionCall | None = None

    def __enter__(self) -> FunctionCall | None:
        if not _users_call(_stack.calls):
            return None
        title, function, args, kwargs = self._call
        self._scope = FunctionCall(title, function, scope(None, args, kwargs).given)
        self._scope.__enter__()
        return self._scope

    def __exit__(self, *exc: object) -> None:
        if self._scope is not None:
            self._scope.__exit__()


def drawn_as_call(title: str) -> Callable[[Callable], Callable]:
    """Decorate a function so that a diagram draws the ops it records as one call titled
    `title` (`svd_lowrank()`), as a module call is drawn; its values and gradient
    unchanged. Called from inside one of the package's own modules or functions (another
    declared call among them), it tags nothing of its own: the user called that one.

    Nothing runs per op: when the function returns, its results' nodes are tagged with
    the call (`_tag_results`); the others are found when a diagram reads the graph
    (`complete`), walking back from the results to what it was given (its arguments, the
    entries of a list or tuple given). A tensor with a graph that it read from elsewhere
    (a global) is drawn as part of the call: give it as an argument to have it drawn as
    an input. A constant its ops used that it was not given (the Bi-LSTM CRF's
    `init_alphas`, made inside) is drawn as part of the call too, not as another input."""
    def declare(function: Callable) -> Callable:
        @functools.wraps(function)
        def called(*args: Any, **kwargs: Any) -> Any:
            stack = _stack
            calls, outside = stack.calls, stack.declared
            if outside is not None and outside.outer is calls or calls and type(
                    calls[-1].owner).__module__.startswith(_PACKAGE):  # (`_users_call`)
                return function(*args, **kwargs)
            call = stack.declared = FunctionCall(title, function, ((), None), calls)
            try:
                result = function(*args, **kwargs)
            finally:
                stack.declared = outside
            _tag_results(call, result, args, kwargs)
            return result
        return called
    return declare


_SEQUENCES = (list, tuple)  # an argument whose entries are given too (hstack's tensors)
_EACH_A_SEQUENCE = itertools.repeat(_SEQUENCES)
_ends = itertools.count()  # the order calls ended in: an inner one completes first


def _tag_results(call: FunctionCall, result: Any, args: tuple, kwargs: dict) -> None:
    """Tag the nodes that made `result` (a tensor, or a list or tuple of them) with the
    `call` that returned it given `args` and `kwargs`, which keeps what it was given and
    how to find its other nodes (`complete`): no result that it was given back, no
    constant (no gradient needed): nothing to tag."""
    ids = [*map(id, args)]
    if isinstance(result, _SEQUENCES):
        nodes = [t._ctx for t in result
                 if getattr(t, "_ctx", None) is not None and id(t) not in ids]
        if not nodes:
            return
    elif getattr(result, "_ctx", None) is None or id(result) in ids:
        return
    else:
        nodes = [result._ctx]
    keywords = kwargs and {k: id(v) for k, v in kwargs.items()}
    call.given = ids, keywords
    outer = call.outer
    inner = (*outer, call)
    for node in nodes:
        calls = node.scope_calls
        node.scope_calls = inner if calls == outer else _around(calls, outer, call) or calls
    stops = [*ids, *keywords.values()] if keywords else ids  # (a list: a few, by identity)
    if True in map(isinstance, args, _EACH_A_SEQUENCE):  # (hstack's list: its entries too,
        ids = [*ids]  # named `tensors[1]`)
        for k, argument in enumerate(args):
            if isinstance(argument, _SEQUENCES):
                ids[k] = (*map(id, argument),)
                stops = [*stops, *ids[k]]
        call.given = ids, keywords
    call._pending, call._results, call._ended = stops, [*map(weakref.ref, nodes)], next(_ends)


def _around(calls: tuple, outer: tuple, call: FunctionCall) -> tuple | None:
    """A node's `calls` with `call` put around those inside the `outer` calls (a module
    called inside it); None for a node no call inside `outer` made, or one a declared
    call has already (recorded before)."""
    depth = len(outer)
    if len(calls) <= depth or calls[:depth] != outer or isinstance(calls[depth], FunctionCall):
        return None
    return (*outer, call, *calls[depth:])


def complete(call: FunctionCall) -> None:
    """Tag the other nodes of a declared `call` (see `_tag_results`): each recorded since it
    began, found by walking back from its results to what it was given (by identity), or
    to a node another declared call has (recorded before it); a module called inside
    keeps its nesting. Each unnamed constant those ops used that was not given is made
    in the call (`made_here`), as a constant a module call made is. Done once."""
    stops, call._pending = call._pending, None
    if stops is None:
        return
    outer = call.outer
    nodes = [node for node in (ref() for ref in call._results) if node is not None]
    inner = (*outer, call)
    made_in = (_owners(inner), inner)
    while nodes:
        for parent in nodes.pop().parents:
            if parent._ctx is not None:
                node = parent._ctx
                if id(parent) in stops:
                    continue
                calls = node.scope_calls
                tagged = inner if calls == outer else _around(calls, outer, call)
                if tagged is not None:
                    node.scope_calls = tagged
                    nodes.append(node)
            elif not (parent._requires_grad or parent.name or id(parent) in stops
                      or hasattr(type(parent), "frozen_mask")):  # (a Parameter, frozen)
                made = getattr(parent, "_made_in", None)
                if made is None or made[1] == outer:  # (made_here tags a constant so)
                    parent._made_in = made_in
                elif (calls := _around(made[1], outer, call)) is not None:
                    parent._made_in = (_owners(calls), calls)


def complete_calls(nodes: Iterable[Any]) -> None:
    """`complete` each declared call that tagged one of `nodes` (a graph's, as a diagram
    reads them), those that ended first first (a call inside a module called inside
    another is put inside that module before the other puts the module inside itself)."""
    pending = {id(call): call for node in nodes for call in getattr(node, "scope_calls", ())
               if getattr(call, "_pending", None) is not None}
    for call in sorted(pending.values(), key=lambda c: c._ended):
        complete(call)

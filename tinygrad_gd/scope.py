"""Module scope: which `nn.Module` call recorded each graph node, for the diagrams.

`with scope(owner):` (what calling a module does) tags every node recorded inside with
the tuple of enclosing owners, outermost first (`node.scope`), and a number per call
(`node.scope_calls`), so the renderer can fold each module call's nodes into one box;
an array a function made for itself inside (`made_here`) gets both as
`tensor._made_in`, so that it folds into that box too. The tagging joins the engine as
an extension switched on only while a block runs.

A public function made of several ops declares with `drawn_as_call` (or a
`function_call` block) that its ops are tagged with a `FunctionCall` as owner, so that a
diagram draws them as one call titled as the user called it (`svd_lowrank()`), as a
module call is drawn; called from inside one of the package's own modules or functions, it
tags nothing of its own (the user called that one).
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .engine import Extension, Function, switch


class _Stack(threading.local):
    owners: tuple = ()  # the modules whose forward is running in this thread, outermost first
    calls: tuple = ()


_stack = _Stack()
_call_numbers = itertools.count()


class ScopeTags(Extension):
    """Tags each recorded node with the module calls running in its thread."""

    def applied(self, node: Function, inputs: tuple, output: Any) -> None:
        if node.parents and _stack.owners:
            node.scope, node.scope_calls = _stack.owners, _stack.calls


def made_here(tensor: Any) -> Any:
    """`tensor` (an array a function made for itself: zeros, a mask), tagged with the
    module calls running in this thread, if any, so that it folds into their box (an op
    of constants is not: it may be the user's data, reshaped); returns it."""
    if _stack.owners:
        tensor._made_in = (_stack.owners, _stack.calls)
    return tensor


_tags = ScopeTags()
# threads running a scope block, each counted by its outermost one: the tagging is on while
# any is
_open_blocks = [0]
_lock = threading.Lock()


class scope:
    """Tag the graph nodes recorded inside this block with `owner` (an nn.Module call)."""

    def __init__(self, owner: Any) -> None:
        self.owner = owner

    def __enter__(self) -> None:
        owners, calls = self._previous = (_stack.owners, _stack.calls)
        _stack.owners = owners + (self.owner,)
        _stack.calls = calls + (next(_call_numbers),)
        if owners:  # (fast path: a block inside another leaves the count to the outermost)
            return
        with _lock:
            _open_blocks[0] += 1
            if _open_blocks[0] == 1:
                switch(_tags)

    def __exit__(self, *exc: object) -> None:
        _stack.owners, _stack.calls = self._previous
        if _stack.owners:  # (fast path: as in __enter__)
            return
        with _lock:
            _open_blocks[0] -= 1
            if not _open_blocks[0]:
                switch(_tags, on=False)


Function.scope = ()  # set on a node recorded inside a module call
Function.scope_calls = ()


# ------------------------------------------------------------------ a function's call

_PACKAGE = __name__.split(".")[0] + "."  # tinygrad_gd's modules, FunctionCall's too


class FunctionCall:
    """A call of a function declared with `drawn_as_call`: the owner its ops are tagged
    with (as a module call's ops are with the module), titled `title`."""

    def __init__(self, title: str) -> None:
        self.title = title


@contextlib.contextmanager
def function_call(title: str) -> Iterator[None]:
    """The ops recorded inside, drawn as one call titled `title` (`view_copy()`), unless
    one of the package's own modules or functions runs this: the user called that one."""
    owners = _stack.owners
    if owners and type(owners[-1]).__module__.startswith(_PACKAGE):
        yield
        return
    with scope(FunctionCall(title)):
        yield


def drawn_as_call(title: str) -> Callable[[Callable], Callable]:
    """Decorate a function so that a diagram draws the ops it records as one call titled
    `title` (`svd_lowrank()`, see `function_call`); its values and gradient unchanged."""
    def declare(function: Callable) -> Callable:
        @functools.wraps(function)
        def called(*args: Any, **kwargs: Any) -> Any:
            with function_call(title):
                return function(*args, **kwargs)
        return called
    return declare

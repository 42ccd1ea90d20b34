"""The backward pass a thread runs (`BackwardPass`, `running_pass`), and the stamps by which
hooks.py tells which passes a hook's change went into a `.grad`.

`accumulate_grads` and `gradients_to` (hooks.py) note the pass they run, for the hooks that
watch several tensors in one pass (PyTorch's register_multi_grad_hook), and for hooks.py to
keep what a hook sent on. A pass that adds into `.grad` (backward(), backward(inputs=...))
is a `BackwardPass`; one that writes none (autograd.grad, autograd.functional) a
`PassKeepingNoGrad`. `grad_stamp` numbers the first, on first asking only (a pass no hook
asks of costs nothing), in the order they are asked: a hook's change in a pass stamped at or
after the one that started a `.grad` is held in it (hooks.py's `changed_into`). `leading_to`:
the tensors a pass for some tensors' gradients only runs through.
"""
from __future__ import annotations

import itertools
import threading
from typing import Any

from . import engine


class BackwardPass:
    """A backward pass in progress (`accumulate_grads`, `gradients_to`): from `output`,
    through `only` (None: every tensor that needs a gradient); it adds into `.grad`."""

    __slots__ = ("output", "only", "stamp", "__weakref__")  # (stamp: set by grad_stamp)

    def __init__(self, output: object, only: set | None) -> None:
        self.output, self.only = output, only

    def __enter__(self) -> "BackwardPass":  # (noted as running while the pass runs)
        _running.passes = [*_running.passes, self]
        return self

    def __exit__(self, *exc: object) -> None:
        _running.passes = _running.passes[:-1]


class PassKeepingNoGrad(BackwardPass):
    """A pass that gives gradients back and adds into no `.grad` (autograd.grad's)."""

    __slots__ = ()


class _Running(threading.local):
    passes: list = []  # this thread's passes, the innermost last (a hook may run another)


_running = _Running()
_stamps = itertools.count(1)  # (next() on a count is thread-safe)


def running_pass() -> BackwardPass | None:
    """The innermost backward pass this thread runs (None outside one, or in a drawing's)."""
    return _running.passes[-1] if _running.passes else None


def grad_stamp() -> int:
    """The number of the running pass where it adds into `.grad`, 0 where it adds into none
    (or none runs); passes are numbered as first asked, each once."""
    running = running_pass()
    if running is None or isinstance(running, PassKeepingNoGrad):
        return 0
    try:
        return running.stamp
    except AttributeError:  # (not asked yet in this pass)
        running.stamp = next_stamp()
        return running.stamp


def next_stamp() -> int:
    """A number after every pass's so far (a change made outside a pass is stamped so)."""
    return next(_stamps)


def leading_to(start: Any, targets: Any) -> set:
    """The tensors of `start`'s graph with a path to one of `targets` (those included):
    the nodes PyTorch runs to compute the targets' gradients, and no others."""
    targets, leading = set(targets), set()
    for tensor in reversed(engine.toposort(start)):  # each tensor after its inputs
        if tensor in targets or tensor._ctx is not None and any(
                parent in leading for parent in tensor._ctx.parents):
            leading.add(tensor)
    return leading

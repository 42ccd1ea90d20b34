"""The drawing's own copy of the graph, whose backward pass calls no hook of the user's.

`twin(graph, stale)`: the drawn tensors again as fresh tensors with nodes of their own.
Hooks are kept by the identity of a tensor or node (hooks.py), so none is on the twin:
the drawing's pass (walk.py's `_gradients`) runs no `register_hook` hook, no `freeze_`
hook, no node hook, and no module's backward hooks (their pass-through nodes are left out,
as the drawing leaves them out), whether or not backward() freed the saved arrays. A leaf
shares its array, read-only, and keeps its name. Each node is made so as to call as few
functions of the user's as can give the graph's own numbers:

- a node that still holds its arrays (`backward(retain_graph=True)`, or before any
  backward) is copied, sharing them: nothing runs, and a random op keeps what it drew.
  Its list, dict and set attributes are copied too (a backward appending to `ctx.log`
  grows the copy's); other values (an array kept as `ctx.x`) are shared.
- one whose arrays saved_tensors_hooks packed: a built-in op runs again (no function of
  the user's: its values are the same); a user's op is copied, its arrays unpacked once
  by the user's unpack hook (its forward, which may draw random numbers or refuse a
  second call, does not run).
- one whose arrays backward() freed runs again on the values the graph kept; where that
  gives other values (a random op) it is listed in `stale`. A stale op's result is a leaf
  holding the value it kept.

No pack hook runs: the twin is built with this thread's saved_tensors_hooks set aside.
With `again=True` every op runs again (walk.py's fallback where a copy's backward fails:
a user's backward that deleted what it read, `del ctx.x`, once backward() ran it).
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .. import engine
from ..autograd_graph import SavedTensorsHooks, _hooks
from ..engine import Function
from ..forward_ad import _Identity
from ..tensor import Tensor
from ..tracked import read_only_view


class _PassedOn(_Identity, register=False, name="backward_hook"):
    """A module's backward hooks' node as the twin has it, where it made the drawn output
    (a module with backward hooks returned the loss): the identity, calling no hook."""


_unpacking = SavedTensorsHooks()  # (its before_backward: the user's unpack hook, checked)


def twin(graph: Any, stale: dict[int, str], again: bool = False) -> list[Tensor]:
    """The graph's tensors again, by position, as fresh tensors and nodes (above)."""
    fresh: list[Tensor] = []
    hooks, _hooks.stack = _hooks.stack, ()  # (no pack hook: the twin's arrays stay its own)
    try:
        with engine.enable_grad():
            for i, tensor in enumerate(graph.tensors):
                node = tensor._ctx
                if node is None or i in stale:  # a stale op's result: the value it kept
                    fresh.append(_leaf(tensor))
                    continue
                inputs = [fresh[p] for p in graph.parents[i]]
                if hasattr(node, "stands_for") and len(inputs) == 1:  # (only an output kept)
                    fresh.append(_PassedOn.apply(inputs[0]))
                elif again or node.saved_tensors is None or (
                        node.saved_specs is not None and node.built_in):
                    fresh.append(_again(node, tensor, inputs, stale, i))
                else:
                    fresh.append(_copied(node, tensor, inputs))
    finally:
        _hooks.stack = hooks
    return fresh


def _leaf(tensor: Tensor) -> Tensor:
    """`tensor` as a leaf of the twin: its array shared (read-only: the drawing writes none),
    its name and requires_grad kept (an error of the pass names it as the graph's)."""
    leaf = Tensor.from_op(read_only_view(tensor._data), None)
    leaf._requires_grad, leaf.name = tensor.requires_grad, tensor.name
    return leaf


def _copied(node: Function, tensor: Tensor, inputs: list[Tensor]) -> Tensor:
    """`tensor` made by a copy of `node` (its saved arrays shared; packed ones unpacked)
    from `inputs`."""
    double = copy.copy(node)
    double.parents = tuple(inputs)
    attributes = vars(double)  # (copy.copy gave the copy a dict of its own)
    for key, value in list(attributes.items()):
        if type(value) in (list, dict, set):
            attributes[key] = copy.copy(value)
    if node.saved_specs is not None:  # packed: unpacked once, the copy's arrays as kept ones
        _unpacking.before_backward(double)
        double.saved_specs = double.saved_packed = double.saved_unpack = None
    return Tensor.from_op(tensor._data, double)


def _again(node: Function, tensor: Tensor, inputs: list[Tensor], stale: dict[int, str],
           i: int) -> Tensor:
    """`node`'s op run again on `inputs`, or, where it gives other values, the value the
    graph kept (the ops after it run on that), op i listed in `stale`."""
    with np.errstate(all="ignore"):
        again = type(node).apply(*inputs, **getattr(node, "params", {}))
    if again.shape != tensor.shape or not np.allclose(again._data, tensor._data,
                                                      equal_nan=True):
        stale[i] = (f"op '{node.name}' gives other values when run again (a random op?)"
                    + ("; call backward(retain_graph=True) to draw it"
                       if node.saved_tensors is None else ""))
        again = _leaf(tensor)
    return again

"""The drawing's own copy of the graph, whose backward pass calls no hook of the user's.

`twin(graph, stale)`: the drawn tensors again as fresh tensors with nodes of their own.
Hooks are kept by the identity of a tensor or node (hooks.py), so none is on the twin:
the drawing's pass (walk.py's `_gradients`) runs no `register_hook` hook, no `freeze_`
hook, no node hook, and no module's backward hooks (their pass-through nodes are left out,
as the drawing leaves them out), whether or not backward() freed the saved arrays. A node
that still holds them (`backward(retain_graph=True)`, or before any backward) is copied,
sharing its arrays: a random op keeps the values it drew. One whose arrays backward()
freed, or saved_tensors_hooks packed (their unpack hook is the user's too), runs again
on the values the graph kept; where that gives other values (a random op) it is listed
in `stale`. A stale op's result is a leaf holding the value it kept.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .. import engine
from ..engine import Function
from ..tensor import Tensor


class _PassedOn(Function, register=False, name="backward_hook"):
    """A module's backward hooks' node as the twin has it, where it made the drawn output
    (a module with backward hooks returned the loss): the identity, calling no hook."""

    def forward(ctx, array: np.ndarray) -> np.ndarray:  # noqa: N805
        return array

    def backward(ctx, grad: np.ndarray) -> np.ndarray:  # noqa: N805
        return grad


def twin(graph: Any, stale: dict[int, str]) -> list[Tensor]:
    """The graph's tensors again, by position, as fresh tensors and nodes (above)."""
    fresh: list[Tensor] = []
    with engine.enable_grad():
        for i, tensor in enumerate(graph.tensors):
            node = tensor._ctx
            if node is None or i in stale:  # a stale op's result: the value it kept
                fresh.append(Tensor(tensor._data, requires_grad=tensor.requires_grad))
                continue
            inputs = [fresh[p] for p in graph.parents[i]]
            if hasattr(node, "stands_for") and len(inputs) == 1:  # (only an output is kept)
                fresh.append(_PassedOn.apply(inputs[0]))
            elif node.saved_tensors is not None and getattr(node, "saved_specs", None) is None:
                fresh.append(_copied(node, tensor, inputs))
            else:
                fresh.append(_again(node, tensor, inputs, stale, i))
    return fresh


def _copied(node: Function, tensor: Tensor, inputs: list[Tensor]) -> Tensor:
    """`tensor` made by a copy of `node` (its saved arrays shared) from `inputs`."""
    double = copy.copy(node)
    double.parents = tuple(inputs)
    return Tensor.from_op(tensor._data, double)


def _again(node: Function, tensor: Tensor, inputs: list[Tensor], stale: dict[int, str],
           i: int) -> Tensor:
    """`node`'s op run again on `inputs`, or, where it gives other values, the value the
    graph kept (the ops after it run on that), op i listed in `stale`."""
    with np.errstate(all="ignore"):
        again = type(node).apply(*inputs, **getattr(node, "params", {}))
    if again.shape != tensor.shape or not np.allclose(again._data, tensor._data,
                                                      equal_nan=True):
        stale[i] = (f"op '{node.name}' gives other values when run again (a random op?); "
                    f"call backward(retain_graph=True) to draw it")
        again = Tensor(tensor._data, requires_grad=tensor.requires_grad)
    return again

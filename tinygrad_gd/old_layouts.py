"""A tensor of the graph whose shape or layout changed in place under no_grad() (or
inference_mode()): `h.unsqueeze_(0)`, `h.t_()` (in_place_shapes.py's). Its node stays, of
the old layout, as PyTorch's; a gradient into that node through t, of t's new layout, is
read as PyTorch's engine reads it where that is right: summed over the axes of length 1
added in front (`h.unsqueeze_(0)`, the node's shape expanding to t's, each entry where it
was). Anywhere else it is refused in one line (`_OldLayout`): PyTorch's fails there, or,
where the shapes agree (`h.t_()` of a square h), reads it in the old layout, wrong numbers.
The node then made two tensors, t and its old version (the nodes that used t before take
it); a pass that gives both a gradient runs the node for each, its saved arrays kept for the
second (`_SharedNode`): the sum of the two is PyTorch's, which runs it once on their sum.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from . import engine
from .grad_mode import is_inference_mode_enabled
from .memory import addresses, positions
from .tensor import Tensor

__all__ = ["keeps_old_layout"]

engine.Function.old_layout = None  # (what, its output's shape then, the mode, ...): `_OldLayout`
engine.Function.made_twice = None  # ([weakrefs to t and its old versions], ids run): `_SharedNode`


def keeps_old_layout(node: Any, name: str, t: Tensor, before: Tensor,
                     values: np.ndarray) -> None:
    """Note on `node` that its output t changed layout outside the graph to `values`'
    (`_OldLayout`): `before`, its old version, still takes its gradient in the node's
    layout. A change back to the node's layout (`h.t_()` twice) takes the note away: t's
    gradient is read as the node reads it, as PyTorch's."""
    node.made_twice = node.made_twice or ([weakref.ref(t)], set())
    node.made_twice[0].append(weakref.ref(before))
    _SHARED_NODE.nodes.add(node)
    engine.switch(_SHARED_NODE)
    mode = "inference_mode()" if is_inference_mode_enabled() else "no_grad()"
    # (the first change counts: the node's layout is the version's before it)
    node.old_layout = node.old_layout or (name, t.shape, mode, weakref.ref(before),
                                          _layout(t._data))
    if _layout(values) == node.old_layout[4]:
        node.old_layout = None
        _OLD_LAYOUT.nodes.discard(node)
        return
    _OLD_LAYOUT.nodes.add(node)
    engine.switch(_OLD_LAYOUT)


def _layout(array: np.ndarray) -> tuple:
    """Where `array`'s entries lie: its shape, strides and first entry's address."""
    return array.shape, array.strides, array.__array_interface__["data"][0]


class _OldLayout(engine.Extension):
    """Refuses a gradient into a node whose output changed its shape or layout in place
    under no_grad() (`h.squeeze_(1)`): it would read it in the old one. Switched on at such
    a change, off at the first gradient after the last such node is gone."""

    def __init__(self) -> None:
        self.nodes: weakref.WeakSet = weakref.WeakSet()

    def gradient(self, tensor: Any, grad: Any) -> Any:
        if not self.nodes:
            engine.switch(self, on=False)
            return grad
        node = tensor._ctx
        if node is not None and node.old_layout is not None \
                and node.old_layout[3]() is not tensor:  # (its old version's: as recorded)
            name, shape, mode, _, layout = node.old_layout
            if _summed_back(tensor._data, layout):
                return grad.reshape(shape)
            raise RuntimeError(f"backward: a tensor made by op '{node.name}' of shape {shape} "
                               f"was changed by {name} in place under {mode} (now of shape "
                               f"{tensor.shape}), which its node did not record, so its "
                               f"gradient would be read in the old layout; change it with "
                               f"gradients on (recorded), or take t.{name[:-1]}(...) (a new "
                               f"tensor) for what you differentiate")
        return grad


_OLD_LAYOUT = _OldLayout()


class _SharedNode(engine.Extension):
    """Keeps the saved arrays of a node that made both a tensor changed in layout under
    no_grad() and its old version (`keeps_old_layout`) after it ran for one of them, while
    another, alive, may still take a gradient through it in the pass; a run for one that ran
    since they were last freed is refused, as the engine refuses a second pass. Switched on
    at such a change, off at the first gradient after the last such node is gone."""

    def __init__(self) -> None:
        self.nodes: weakref.WeakSet = weakref.WeakSet()
        self.running = threading.local()  # (the tensor whose node runs next, per thread)

    def gradient(self, tensor: Any, grad: Any) -> Any:
        if not self.nodes:
            engine.switch(self, on=False)
        self.running.tensor = weakref.ref(tensor)  # (weak: no graph kept alive past its pass)
        return grad

    def before_backward(self, node: Any) -> None:
        ref = getattr(self.running, "tensor", None)
        tensor, self.running.kept = ref and ref(), None
        if node.made_twice is None or tensor is None or tensor._ctx is not node:
            return  # (or switched on by another thread since this tensor's gradient)
        if id(tensor) in node.made_twice[1]:
            raise RuntimeError(f"backward(): trying to backward through op '{node.name}' a "
                               f"second time, but its saved arrays were freed after the first "
                               f"backward(); pass retain_graph=True to the first backward() "
                               f"if you need to call it twice")
        self.running.kept = (node, tensor, node.saved_tensors)

    def after_backward(self, node: Any, grad: Any, input_grads: tuple) -> None:
        kept, self.running.kept = getattr(self.running, "kept", None), None
        if kept is None or kept[0] is not node:
            return
        made, ran = node.made_twice
        if node.saved_tensors is not None:  # (retain_graph: it may run again for any)
            ran.clear()
            return
        ran.add(id(kept[1]))
        if any(t is not None and id(t) not in ran for t in (ref() for ref in made)):
            node.saved_tensors = kept[2]  # (freed at the last one's run)
        else:
            ran.clear()


_SHARED_NODE = _SharedNode()


def _summed_back(values: np.ndarray, layout: tuple) -> bool:
    """Whether a gradient of `values`' shape is read in the node's `layout` (`_layout`) by
    summing its leading axes away, as PyTorch's engine does where the node's shape expands
    to it (`h.unsqueeze_(0)`): only axes of length 1 were added in front, and each entry
    lies where it did. Elsewhere PyTorch's refuses, or (`h.t_()` of a square h) reads
    the gradient in the old layout, wrong numbers: refused here."""
    shape = layout[0]
    extra = values.ndim - len(shape)
    if extra < 0 or values.shape != (1,) * extra + shape:
        return False
    return bool((addresses(values).reshape(shape) == positions(*layout)).all())

"""In-place changes: a graph refuses to backward when values it saved have changed since.

Every counted write to a tensor's values (`tracked.py` counts those through `t.data`;
`t[...] = v`, assigning `t.data` and optimizer steps count too) moves one global clock,
`tracked.writes`, and stamps the tensor with the time: `t._version[0]` is the time of
its last write, a list shared by the tensor, its views and `detach()` (None for a tensor
nothing could have written yet: most never need one; a second item once views were
taken: the views, alive, by id, which in_place_recorded.py takes again after a change).
A node notes the clock when it is recorded; before its backward runs, `VersionCheck`
refuses, naming the tensor and the op, when the node saved arrays for backward and one of
its inputs (or its output, when it saved that) was written after that time.

This extension is always on: it is the guarantee that a gradient is never computed
from values the forward pass never saw.

The same clock tells when backward adds into a `.grad` set before the tensor's last write
(an update not followed by `w.grad = None` or `optimizer.zero_grad()`): that gradient
mixes the steps, and is said where it is used (`tell_if_mixed`: reading `.grad`,
`optimizer.step()`), not where it is made, as a GAN's generator step adds into the
discriminator's gradients, which are cleared before they are used.
"""
from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy as np

from .by_identity import ByIdentity
from .engine import Extension, Function, switch
from .errors import user_stacklevel
from .tracked import writes, written_arrays

Function.recorded_at = 0  # the write clock when the node was recorded
Function.output_version = None  # the output's stamp, when the node saved its output
Function.written_in_place = None  # an in-place op that saved its output: in_place_recorded.py
Function.out_of_place = None  # such an op's out-of-place call, where no method is (F.selu({}))


# the old versions `t.detach_()` left to the nodes that used t (in_place_shapes.py): a node
# that saved t refuses, saying so
detached_in_place = ByIdentity()


class NoGradView(str):
    """The `_made_by` (an op's name) of a view taken under no_grad() of a tensor that
    requires a gradient: in_place_recorded.py refuses its change with gradients on, as
    PyTorch's, since the graph of what it views would not see it."""


class ConstantView(str):
    """The `_made_by` (an op's name) of a view of a constant, with how it was taken (`op`,
    its `params` and `inputs`; not the node, which may hold arrays), for in_place_recorded.py
    to take it again when a change that needs a gradient makes the constant part of a
    graph; pickled as the name alone."""

    def __new__(cls, node: Function, inputs: tuple) -> "ConstantView":
        made = super().__new__(cls, node.name)
        made.name, made.op, made.params, made.inputs = node.name, type(node), node.params, inputs
        return made

    @classmethod
    def taken_by(cls, op: type, params: dict, inputs: tuple) -> "ConstantView":
        """The `_made_by` of a view taken by `op` with `params` of `inputs`, no node at hand
        (in_place_shapes.py's: a view cut from a tensor detached in place, now of it)."""
        made = super().__new__(cls, op.name)
        made.name, made.op, made.params, made.inputs = op.name, op, params, inputs
        return made

    def __reduce__(self) -> tuple:
        return str, (str(self),)


class _Views(weakref.WeakValueDictionary):
    """The views of one memory, alive, by id: the graph's, and a constant's; a copy of a
    tensor (pickle, deepcopy) has a memory of its own and none of them."""

    def __reduce__(self) -> tuple:
        return _Views, ()

    def __copy__(self) -> "_Views":
        return _Views()

    def __deepcopy__(self, memo: Any) -> "_Views":
        return _Views()


def written_since(node: Function) -> list[int]:
    """The positions of `node`'s inputs whose values were written after it was recorded
    (an input that is the old version of a tensor changed in place holds the values the
    node saw, its own copy: counted only when the node saved the array then written)."""
    return [i for i, parent in enumerate(node.parents)
            if parent._version is not None and parent._version[0] > node.recorded_at
            and (id(parent) not in written_arrays or saved_from(node, parent))]


def saved_from(node: Function, parent: Any) -> bool:
    """Whether `node` saved for backward an array that the last write into `parent`
    changed (the array, or one sharing its memory): an op that saved other arrays only
    (`x.exp()` its output) computes its gradient from the values it saw. Values packed by
    saved_tensors_hooks (not arrays) may hold anything: they count."""
    written = written_arrays.get(id(parent), parent._data)
    return any(not isinstance(value, _UNCHANGEABLE) and (
        not isinstance(value, np.ndarray) or np.may_share_memory(value, written))
        for value in node.saved_tensors or ())


_UNCHANGEABLE = (type(None), bool, int, float, complex, np.generic)  # (a NumPy scalar too)


def output_written(node: Function) -> bool:
    """Whether `node` saved its output and the output was written after it was recorded."""
    return node.output_version is not None and node.output_version[0] > node.recorded_at


class VersionCheck(Extension):
    """Notes the write clock when a node is recorded; refuses its backward when the node
    saved arrays and an input (or the saved output) was written after that."""

    def applied(self, node: Function, inputs: tuple, output: Any) -> None:
        data = output._data
        base = data.base
        if base is not None:  # a view (transpose, reshape, ...) shares its input's counter
            for t in inputs:
                if base is t._data or base is t._data.base:
                    output._version = counter = t._stamp()
                    if len(counter) == 1:  # views of it were taken: listed (a mark too),
                        counter.append(_Views())  # for in_place_recorded.py to take again
                    if node.parents:  # a view of the graph
                        counter[1][id(output)] = output
                    elif t._requires_grad or isinstance(getattr(t, "_made_by", None),
                                                        NoGradView):  # (under no_grad())
                        output._made_by = NoGradView(output._made_by)
                    else:  # a constant's view: taken again if the constant joins a graph
                        output._made_by = ConstantView(node, inputs)
                        counter[1][id(output)] = output
                    base = None  # (an input's memory: the saved-output test below is not its)
                    break
        if node.parents:
            node.recorded_at = writes[0]
            # backward reads the output, or the array the output is a view of (logsumexp
            # keeps the keepdims shape of what it returns): the output's writes count
            for array in node.saved_tensors:
                if array is data or base is not None and array is base:
                    node.output_version = output._stamp()

    def before_backward(self, node: Function) -> None:
        if not node.saved_tensors:
            return  # nothing saved: nothing an in-place change can spoil
        if output_written(node):
            raise _changed_output(node)
        for position in written_since(node):  # (mostly none: the pass's per-node cost)
            if saved_from(node, node.parents[position]):
                raise _changed_input(node, position)


def _changed_output(node: Function) -> RuntimeError:
    """The refusal of a backward through `node`, whose output (saved for backward) changed
    in place after it; for an op that wrote a tensor in place (`h.exp_()`), naming it, its
    shape and that op, and advising to make one of the two changes out of place."""
    said = (f"backward(): the output of op '{node.name}' was changed in place after the op "
            f"saved it for backward")
    why = "so the gradient would be computed from values the forward pass never made"
    if node.written_in_place is None:
        return RuntimeError(
            f"{said} (by an in-place op such as mul_ or y[...] = ..., or through its .data), "
            f"{why}. Make a new tensor instead (y = y.mul(2)), change a copy (y.clone()), or "
            f"run the forward pass again")
    what, tensor, viewed = node.written_in_place
    if viewed is None:
        alive, name = tensor(), _named(tensor)
        who = f"{name or 'the tensor'}{'' if alive is None else f' {alive.shape}'}"
        copied = name or "t"
        arguments = "..." if getattr(node, "params", None) else ""  # (exp_ takes none)
        flag = ", or inplace=False" if what.endswith("(inplace=True)") else ""  # (a layer's)
        call = getattr(node, "out_of_place", None)  # (F's, where no method is: F.selu(h))
        spelled = call.format(copied) if call else f"{copied}.{node.name}({arguments})"
        instead, again = f" ({copied} = {spelled}{flag})", ""
    else:  # (h[0].exp_(): the view's counter is its base's)
        copied = _named(viewed[0]) or "t"
        who = f"a view {viewed[2]} of {copied if copied != 't' else 'a tensor'} {viewed[1]}"
        again, instead = " (a view shares its base's count)", ""
    return RuntimeError(
        f"{said}: {who} was written in place by {what} and changed again after{again}, "
        f"{why}. Make one of them out of place{instead}, or change a copy ({copied} = "
        f"{copied}.clone() before the second change)")


def _named(tensor: Any) -> str:
    """A tensor's name from a weak reference to it ("": unnamed, or gone)."""
    alive = tensor()
    return alive.name if alive is not None and alive.name else ""


def _changed_input(node: Function, position: int) -> RuntimeError:
    """The refusal of a backward through `node`, whose input `position` changed in place
    after the node saved (a view of) its array."""
    parent = node.parents[position]
    name = f"'{parent.name}' " if parent.name else ""
    if detached_in_place.get(parent):
        return RuntimeError(f"backward(): input {position} {name}(shape {parent.shape}) of op "
                            f"'{node.name}' was detached in place (detach_()) after the op "
                            f"saved it, as PyTorch's refuses; use t.detach() (a new tensor) "
                            f"where the graph still needs t")
    if parent._ctx is not None:  # (a tensor made by an op: changed in the forward pass)
        how = "by an in-place op such as add_, div_ or t[...] = ..."
        instead = ("Write the change out of place (h = h / n, not h.div_(n)), or change a "
                   "copy (h = h.clone())")
    else:
        how = ("written through .data, e.g. `w.data -= lr * w.grad.data` or `t.data[0] = "
               "1`, .data assigned, written with t[...] = ..., an in-place method such as "
               "add_, fill_ or uniform_, nn.init, or an optimizer step")
        instead = ("Update after backward() (optimizer.step() after loss.backward()), or run "
                   "the forward pass again after the change")
    return RuntimeError(
        f"backward(): input {position} {name}(shape {parent.shape}) of op '{node.name}' was "
        f"changed in place after the op used it ({how}), so the gradient would be computed "
        f"from values the forward pass never saw. {instead}")


switch(VersionCheck())


class MixedGrads(dict):
    """The `.grad` tensors that mix steps, each kept by a weak reference under its id and
    dropped with it. A plain dict underneath, so that `if mixed:`, asked at each `step()`
    and each read of `.grad`, runs no Python (a WeakValueDictionary's `len` does)."""

    def add(self, grad: Any) -> None:
        key = id(grad)
        self[key] = weakref.ref(grad, lambda _: self.pop(key, None))

    def take(self, grad: Any) -> bool:
        """Whether `grad` was listed (it no longer is); an id listed is a live `.grad`'s,
        so this one's."""
        return self.pop(id(grad), None) is not None


mixed = MixedGrads()


def grad_mixed(tensor: Any) -> bool:
    """Whether a gradient added into `tensor.grad` now mixes steps: it was set before the
    tensor's last write (or already mixed)."""
    grad = tensor._grad
    last = max(getattr(tensor, "_grad_at", 0),  # (0: unpickled from before this slot)
               grad._version[0] if grad._version is not None else 0)
    return tensor._version is not None and tensor._version[0] > last or mixed.take(grad)


def tell_if_mixed(tensor: Any) -> None:
    """Warn, once, where a `.grad` that mixes gradients from before and after an update is
    used (at the user's line)."""
    if tensor._grad is not None and mixed and mixed.take(tensor._grad):
        warnings.warn(f".grad of {tensor.name or 'a tensor'} {tensor.shape} adds up gradients "
                      f"from before and after an update: clear .grad after each update "
                      f"(w.grad = None, w.grad.zero_(), optimizer.zero_grad())",
                      stacklevel=user_stacklevel())

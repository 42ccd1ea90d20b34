"""In-place shape changes, as PyTorch's: `t.unsqueeze_(dim)`, `squeeze_`, `t_`,
`transpose_`, `swapaxes_`, `swapdims_`, `as_strided_` give t the op's view of its own
memory (no copy, no value written), counted as a change: a graph that saved t refuses
backward, as PyTorch's.

On a tensor of the graph (made by an op, or a view of one) the change is recorded, as
PyTorch records it: t's old version moves to a new tensor (its node, the same memory,
stamped as in_place_recorded.py stamps one), t takes the node of the op out of place on
it (`h.unsqueeze_(0)`: h's node is unsqueeze's), and the nodes that used t before are
pointed at the old version (`redirect`). A view of the graph changes alone (its base
keeps its shape and node), as PyTorch's: its node is the op on the view taken again. The
views of t taken before the change keep their values and memory; each takes a node of t's
new version, as PyTorch regenerates one (its as_strided; here take at the same entries),
so a later change of t in place reaches them. Hooks registered on t before stay
with its old version, as PyTorch's; retain_grad stays with t (its new shape).

Refused, as PyTorch refuses: a leaf that requires a gradient, a view of one, a view taken
under no_grad() of a tensor that requires a gradient (in_place_recorded.py's `recorded`),
all with gradients on. Under no_grad() a tensor of the graph is refused too (PyTorch's
keeps its node, of the old shape, and its backward then gives wrong numbers), and so is
as_strided_ of a view whose base changed shape after it was taken (its node reads the
base through take; PyTorch's runs it).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import hooks
from .engine import is_grad_enabled, no_grad
from .in_place_recorded import _remember, _shared, _stamped, recorded, view_of_graph
from .memory import positions
from .ops.indexing import Take
from .tensor import Tensor
from .tracked import writes

__all__ = ["unsqueeze_", "squeeze_", "t_", "transpose_", "swapaxes_", "swapdims_",
           "as_strided_"]


def _reshape_in_place(self: Tensor, name: str, reshaped: Callable[[Tensor], Tensor]) -> Tensor:
    """t's values replaced by `reshaped(t)`'s (a view, with that op's checks and errors),
    recorded where the graph must follow (`_recorded`); t's gradient, if it has one, takes
    the new shape too (PyTorch's keeps the old one, and its next backward fails); returns
    t."""
    instead = f"use t = t.{name[:-1]}(...) (a new tensor)"
    if recorded(self, what=name):  # (its checks: inference_mode, forward AD, no_grad views)
        return _recorded(self, name, reshaped, instead)
    if self._ctx is not None and not is_grad_enabled():
        raise RuntimeError(f"{name}: this tensor was made by op '{self._ctx.name}' and is part "
                           f"of a graph whose node keeps its shape {self.shape}, so under "
                           f"no_grad() a change of its shape would spoil its backward; change "
                           f"it with gradients on (recorded), or {instead}")
    self._check_writable(name, instead)
    with no_grad():
        values = reshaped(self)._data
        if self._grad is not None:
            self._grad = Tensor.from_op(reshaped(self._grad)._data, None)
    self._data = values
    self._mark_changed()
    return self


def _recorded(t: Tensor, name: str, reshaped: Callable[[Tensor], Tensor],
              instead: str) -> Tensor:
    """The shape change of t, a tensor of the graph, recorded (the module's docstring)."""
    node, counter, start = t._ctx, t._version, writes[0]
    viewed = None
    if view_of_graph(t):  # (it changes alone: its base keeps its shape and node)
        if any(base._ctx is None and base._requires_grad for base in _shared(t)):
            raise RuntimeError(f"{name}: this tensor is a view (op '{node.name}') of a leaf "
                               f"tensor that requires a gradient, which an in-place change "
                               f"would change outside the graph; {instead}, or change the "
                               f"leaf under `with tg.no_grad():`")
        viewed = _taken_again(t, name, instead)
    before = Tensor.from_op(t._data, node)  # (the same memory: no value changes)
    before._requires_grad, before.name = True, t.name
    result = reshaped(before if viewed is None else viewed)  # (its checks: nothing changed)
    if viewed is not None:  # (its values: a view of t's own memory, as the node's are not
        with no_grad():     # where t was taken again by take, a copy)
            result._data = reshaped(before)._data
    _stamped(before, t._data)
    t._data, t._ctx, t._requires_grad = result._data, result._ctx, True
    t._version = counter
    t._mark_changed()
    hooks.move_hooks(t, before)
    _remember(t, before)
    if counter is not None and len(counter) > 1:
        _regenerate(t, counter[1], start)
    return t


def _taken_again(t: Tensor, name: str, instead: str) -> Tensor:
    """t, a view of the graph, taken again (the same op on what it views), for the op of a
    shape change to be recorded on. A view given take by `_regenerate` is taken again as a
    copy: it is listed among its memory's views all the same, so that a later change of
    what it views takes it again too; as_strided_ of it, which reads the memory, refused."""
    node, counter = t._ctx, t._version
    viewed = type(node).apply(*node.parents, **node.params)
    if viewed._version is not counter:
        if name == "as_strided_":
            raise RuntimeError(f"{name}: this tensor is a view whose base changed its shape in "
                               f"place after the view was taken, so its memory is read through "
                               f"op '{node.name}'; call as_strided_ on a view taken again from "
                               f"the base, or {instead}")
        viewed._version = counter
        counter[1][id(viewed)] = viewed
    return viewed


def _regenerate(t: Tensor, views: Any, start: int) -> None:
    """Each view of t taken before the change (`views`: its memory's, by id; `start`: the
    write clock then) given a node as PyTorch regenerates one (its as_strided of t): take of
    t's new version at the view's entries (`_entries_in`), which, unlike as_strided, reads
    an old version's copy alike. Its old version keeps the old node, for the nodes that used
    it."""
    stale = [view for view in list(views.values())
             if view is not t and view._ctx is not None and view._ctx.recorded_at <= start]
    of_t: dict[int, bool] = {id(t): True}
    for view in stale:
        at = _descends(view, of_t) and _entries_in(view._data, t._data)
        if at is None or at is False:
            continue
        before = Tensor.from_op(view._data, view._ctx)
        before._requires_grad = True
        _stamped(before, view._data)
        view._ctx = Take.apply(t, indices=at, axis=None)._ctx
        hooks.move_hooks(view, before)
        _remember(view, before)


def _entries_in(view: np.ndarray, array: np.ndarray) -> np.ndarray | None:
    """For each entry of `view`, the position in `array` (flattened, row by row) of the
    entry at the same address; None if one is none of array's, or of another dtype."""
    if view.dtype != array.dtype:
        return None
    own = _addresses(array).ravel()
    order = np.argsort(own, kind="stable")
    ranked, wanted = own[order], _addresses(view)
    k = np.minimum(np.searchsorted(ranked, wanted), max(own.size - 1, 0))
    if wanted.size and (own.size == 0 or (ranked[k] != wanted).any()):
        return None
    return order[k] if own.size else np.zeros(view.shape, np.int64)


def _addresses(array: np.ndarray) -> np.ndarray:
    """The address of each entry of `array`."""
    return positions(array.shape, array.strides, array.__array_interface__["data"][0])


def _descends(view: Tensor, of_t: dict) -> bool:
    """Whether `view` was taken of t, or of a view taken of t (`of_t`: known answers)."""
    if id(view) not in of_t:
        of_t[id(view)] = view._ctx is not None and any(
            _descends(parent, of_t) for parent in view._ctx.parents
            if parent._version is view._version)
    return of_t[id(view)]


def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    """`t.unsqueeze_(dim)`: t takes a new axis of length 1 at `dim`, in place (PyTorch's);
    returns t."""
    return _reshape_in_place(self, "unsqueeze_", lambda x: x.unsqueeze(dim))


def squeeze_(self: Tensor, dim: Any = None, *more_dims: Any) -> Tensor:
    """`t.squeeze_(dim=None)`: t loses its axes of length 1 (those of `dim`, an int or a
    tuple, or its axes one by one, `t.squeeze_(0, 2)`, if given), in place (PyTorch's);
    returns t."""
    return _reshape_in_place(self, "squeeze_", lambda x: x.squeeze(dim, *more_dims))


def t_(self: Tensor) -> Tensor:
    """`t.t_()`: a matrix t transposed in place (PyTorch's: at most 2 axes); returns t."""
    return _reshape_in_place(self, "t_", lambda x: x.t())


def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """`t.transpose_(dim0, dim1)`: t's axes dim0 and dim1 swapped in place (PyTorch's);
    returns t."""
    return _reshape_in_place(self, "transpose_", lambda x: x.transpose(dim0, dim1))


def swapaxes_(self: Tensor, axis0: int, axis1: int) -> Tensor:
    """`t.swapaxes_(axis0, axis1)`: PyTorch's name of transpose_; returns t."""
    return _reshape_in_place(self, "swapaxes_", lambda x: x.swapaxes(axis0, axis1))


def swapdims_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """`t.swapdims_(dim0, dim1)`: PyTorch's name of transpose_; returns t."""
    return _reshape_in_place(self, "swapdims_", lambda x: x.swapdims(dim0, dim1))


def as_strided_(self: Tensor, size: Any, stride: Any, storage_offset: Any = None) -> Tensor:
    """`t.as_strided_(size, stride, storage_offset)`: t takes that view of its memory."""
    return _reshape_in_place(self, "as_strided_",
                             lambda x: x.as_strided(size, stride, storage_offset))


for _function in (unsqueeze_, squeeze_, t_, transpose_, swapaxes_, swapdims_, as_strided_):
    setattr(Tensor, _function.__name__, _function)

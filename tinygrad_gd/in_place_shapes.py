"""In-place shape changes, as PyTorch's: `t.unsqueeze_(dim)`, `squeeze_`, `t_`,
`transpose_`, `swapaxes_`, `swapdims_`, `as_strided_` give t the op's view of its own
memory (no copy, no value written), counted as a change: a graph that saved t refuses
backward, as PyTorch's. And `t.detach_()`.

On a tensor of the graph (made by an op, or a view of one) the change is recorded, as
PyTorch records it: t's old version moves to a new tensor (its node, and t's array itself,
stamped as in_place_recorded.py stamps one: a shape change writes no value, so no copy is
made until a write into that memory, which copies the old version's values first, for the
drawings, old_versions.py), t takes the node of the op out of place on it
(`h.unsqueeze_(0)`: h's node is unsqueeze's), and the nodes that used t before are
pointed at the old version (`redirect`). A view of the graph changes alone
(its base keeps its shape and node), as PyTorch's: its node is the op on the view taken
again. The views of t taken before the change keep their values and memory; each takes a
node of t's new version, as PyTorch regenerates one (its as_strided; here take at the same
entries), so a later change of t in place reaches them. Hooks and a retain_grad()
registered on t before stay with its old version, as PyTorch's (`hooks.retain_with`: t's
`.grad` is the old version's gradient, of the old shape).

Refused, as PyTorch refuses: a leaf that requires a gradient, a view of one, a view taken
under no_grad() of a tensor that requires a gradient (in_place_recorded.py's `recorded`),
all with gradients on; as_strided_ of a view whose base changed shape after it was taken
(its node reads the base through take; PyTorch's runs it), and as_strided_ that leaves out
entries of a view of t taken before (PyTorch's regenerated view would miss them, and its
gradient with them). Under no_grad() (or inference_mode()) a tensor of the graph changes
and keeps its node, of the old layout, as PyTorch's; the nodes that used it before take
its old version (its memory in the old layout, copied before a write), so their backward
is PyTorch's; a later backward that gives t's node a gradient through t is summed back, or
refused in one line, as old_layouts.py says. A view of t taken before,
alive (the user's, or one only a graph holds), keeps its node on t's old version, its
gradient PyTorch's, until a write with gradients on into that memory, which would take it
again through its op on t's new layout: it takes take on t at its entries first
(`_retaken_at_a_write`), as a recorded change gives it at once.

`t.detach_()` (PyTorch's): t becomes a leaf that needs no gradient, its values and version
kept. A tensor made by an op leaves its old version, by the same steps, to the nodes that
used it (graphs built on t keep reaching their leaves; one that saved t refuses backward,
as PyTorch's); a view is refused, as PyTorch's. Its views taken before stay in the graph
until a write into their memory (of values, or of t's shape), which cuts them
(`_cut_views`), as PyTorch's regenerates them from the detached t; so does detach_() itself
for a view whose node a shape change of t regenerated and no op used since (`_Unused`: as
PyTorch's, which regenerates it at its first use). A cut view needs no gradient (PyTorch's
keeps requires_grad, on a node that reaches nothing: here that would be a leaf with a
`.grad` of its own). A write the graph records into t, or into a view of t taken after
(`h.mul_(v)`, `h[1].mul_(v)`, v needing a gradient), cut or not before, and whatever
shape t took since: they are cut, then taken again on t's new version (take at their
entries), as PyTorch's regenerates them (v's gradient reaches them). With gradients on, a
write into a view taken before, or a view of one, is refused until then, as PyTorch's.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from . import engine, hooks, versions
from .engine import enable_grad, no_grad
from .grad_mode import is_grad_enabled
from .in_place_recorded import leaf_view_refused, recorded, taken_before, view_of_graph
from .memory import addresses
from .ops.indexing import Take
from .tensor import Tensor
from .old_layouts import keeps_old_layout
from .in_place_watches import until_done, watch
from .old_versions import old_version
from .tracked import count_write, writes

__all__ = ["unsqueeze_", "squeeze_", "t_", "transpose_", "swapaxes_", "swapdims_",
           "as_strided_", "detach_"]


def _reshape_in_place(self: Tensor, name: str, reshaped: Callable[[Tensor], Tensor]) -> Tensor:
    """t's values replaced by `reshaped(t)`'s (a view, with that op's checks and errors),
    recorded where the graph must follow (`_recorded`); t's gradient, if it has one, takes
    the new shape too (PyTorch's keeps the old one, and its next backward fails); returns
    t."""
    instead = f"use t = t.{name[:-1]}(...) (a new tensor)"
    if recorded(self, what=name):  # (its checks: inference_mode, forward AD, no_grad views)
        return _recorded(self, name, reshaped, instead)
    self._check_writable(name, instead)
    with no_grad():
        values = reshaped(self)._data
        if self._grad is not None:
            self._grad = Tensor.from_op(reshaped(self._grad)._data, None)
    if self._ctx is not None and (values.shape, values.strides) != (self.shape,
                                                                   self._data.strides):
        _retaken_at_a_write(self, values, name, instead)
        before = old_version(self, self._ctx)  # (the nodes that used t: `redirect`)
        hooks.retain_with(self, before)
        keeps_old_layout(self._ctx, name, self, before, values)  # (not recorded: no_grad())
    elif self._ctx is None:
        _constant_views_follow(self, values, name)
    self._data = values
    count_write(self._stamp())  # (a change, but no value written: old versions kept)
    return self


def _constant_views_follow(t: Tensor, values: np.ndarray, name: str) -> None:
    """t, a constant (never in the graph, or detached in place), takes `values`' layout
    outside the graph: its views taken before (`r = h[1]`) are described again as take at
    their entries' positions in it, so that a later recorded write into t takes them again
    where they lie, as PyTorch's as_strided does; one with none of its entries in the new
    layout leaves t (no write into t reaches it, as PyTorch's); one with some outside it
    (as_strided_ left them out) is refused at that write (`_LostEntries`)."""
    counter = t._version
    views = counter[1] if counter is not None and len(counter) > 1 else {}
    of_t = {id(t): True}
    taken = [view for view in list(views.values()) if view is not t and view._ctx is None
             and isinstance(getattr(view, "_made_by", None), versions.ConstantView)
             and _viewed_in(view, of_t)]
    positions_of = _positions_in(values) if taken else None
    for view in taken:
        if _no_entry_in(view._data, values):  # (no write into t reaches it: as PyTorch's)
            view._made_by = str(view._made_by)
            continue
        at = positions_of(view._data) if view.dtype == values.dtype else None
        op, params = (Take, {"indices": at, "axis": None}) if at is not None else (
            _LostEntries, {"change": name, "shape": view.shape, "now": values.shape})
        view._made_by = versions.ConstantView.taken_by(op, params, (t,))


class _LostEntries:
    """How a constant's view was taken when a shape change of its base in place left some
    of its entries outside the base's new layout: taking it again on the base, at a later
    recorded write, is refused (it would follow part of that write, as PyTorch's does)."""

    name = "as_strided"

    @staticmethod
    def apply(*_: Any, change: str, shape: tuple, now: tuple) -> Tensor:
        raise RuntimeError(f"in-place write: a view (shape {shape}) of this tensor, taken "
                           f"before {change} changed it in place (now of shape {now}), holds "
                           f"entries outside its new layout, so it cannot follow this write "
                           f"as PyTorch's would; del that view first, or take it again from "
                           f"the tensor after the change")


def _recorded(t: Tensor, name: str, reshaped: Callable[[Tensor], Tensor],
              instead: str) -> Tensor:
    """The shape change of t, a tensor of the graph, recorded (the module's docstring)."""
    node, counter, start = t._ctx, t._stamp(), writes[0]
    viewed = None
    if view_of_graph(t):  # (it changes alone: its base keeps its shape and node)
        leaf_view_refused(t, name, instead)
        viewed = _taken_again(t, name, instead)
    with no_grad():  # (t's memory in the new layout; the op's checks, before any change)
        values = reshaped(Tensor.from_op(t._data, None))._data
    views = counter[1] if counter is not None and len(counter) > 1 else {}
    regenerated = _regenerated(t, views, start, values, name, instead)
    before = old_version(t, node, counter)  # (its memory: copied before a write)
    result = reshaped(before if viewed is None else viewed)
    hooks.retain_with(t, before)
    t._data, t._ctx, t._requires_grad = values, result._ctx, True
    t._version = counter
    count_write(t._stamp())  # (a change, but no value written: old versions kept)
    for view, at in regenerated:  # (as PyTorch regenerates one: its as_strided of t)
        _retaken_by_take(view, t, at)
        _UNUSED.views[id(view)] = weakref.ref(view, _forget(_UNUSED.views, id(view)))
    if regenerated:
        engine.switch(_UNUSED)
    return t


def _retaken_by_take(view: Tensor, t: Tensor, at: np.ndarray) -> None:
    """`view`, a view of t taken before t's layout changed, given the node of take on t at
    its entries' positions `at` (t's new version); its old version, which shares its
    memory until a write (old_versions.py), for the nodes that used it before."""
    old_version(view, view._ctx)
    with enable_grad():  # (after a change under no_grad(): `_retake_stale`)
        view._ctx = Take.apply(t, indices=at, axis=None)._ctx


class _Unused(engine.Extension):
    """The views whose node a shape change of what they view regenerated (`_recorded`), by
    id, until an op uses one: PyTorch's regenerates a view's node when it is first used
    after the change, so a detach_() of the base before that cuts it (`detach_`). On while
    one is listed."""

    def __init__(self) -> None:
        self.views: dict[int, weakref.ref] = {}

    def applied(self, node: Any, inputs: tuple, output: Any) -> None:
        if not self.views:
            engine.switch(self, on=False)
        for t in inputs:
            self.views.pop(id(t), None)

    def unused_views_of(self, t: Tensor) -> list:
        """The views of t listed (no longer, as they are cut), alive."""
        found, of_t = [], {id(t): True}
        for key, ref in list(self.views.items()):
            view = ref()
            if view is None or view._version is t._version and _descends(view, of_t):
                del self.views[key]
                found += [] if view is None else [view]
        return found


_UNUSED = _Unused()


def _retaken_at_a_write(t: Tensor, values: np.ndarray, name: str, instead: str) -> None:
    """t's layout changes under no_grad() (to `values`'): its live views of the graph taken
    before keep their nodes, on t's old version (their gradients PyTorch's, where its own
    are defined), until a write with gradients on into that memory, which would take them
    again through their ops on t's new layout: they are given take on t at their entries'
    positions first (`_retake_stale`), as a recorded change gives them at once."""
    counter = t._version
    views = counter[1] if counter is not None and len(counter) > 1 else {}
    found = _regenerated(t, views, writes[0], values, name, instead)
    if found:  # (a later change under no_grad() finds them again, in its own layout)
        _STALE[id(counter)] = (counter, weakref.ref(t, _forget(_STALE, id(counter))),
                               [(weakref.ref(view), at) for view, at in found])
        watch(_retake_stale)
    else:
        _STALE.pop(id(counter), None)


# a tensor whose layout changed under no_grad() while views of it taken before lived (its
# version counter's id: the counter, t, each view with its entries' positions in t's new
# layout): a write with gradients on into that memory first gives them take on t; dropped
# with t
_STALE: dict[int, tuple[list, weakref.ref, list]] = {}


def _retake(t: Tensor, operands: tuple, what: str, entry: tuple) -> bool:
    """A write into t's memory: with gradients on, the views noted by `_retaken_at_a_write`
    take their node of take on the tensor whose layout changed (the entry then done)."""
    if not is_grad_enabled():
        return True
    _, base, views = entry
    if (base := base()) is not None:
        for view, at in views:
            if (view := view()) is not None and view._ctx is not None:
                _retaken_by_take(view, base, at)
    return False


_retake_stale = until_done(_STALE, _retake)


def _forget(entries: dict, key: int) -> Callable[[Any], None]:
    """A weak reference's callback: `entries`' entry `key` dropped with what it refers to."""
    return lambda _: entries.pop(key, None)


def _taken_again(t: Tensor, name: str, instead: str) -> Tensor:
    """t, a view of the graph, taken again (the same op on what it views), for the op of a
    shape change to be recorded on. A view given take by `_recorded` is taken again as a
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


def _regenerated(t: Tensor, views: Any, start: int, values: np.ndarray, name: str,
                 instead: str) -> list:
    """Each view of t taken before the change (`views`: its memory's, by id; `start`: the
    write clock then), with the positions of its entries among t's new ones (`values`), for
    a node of take on t's new version, which, unlike as_strided, reads an old version's copy
    alike. A view with an entry t no longer holds (as_strided_ left it out) refused."""
    stale = [view for view in taken_before(views, start).values()
             if view is not t and view._ctx is not None]
    if not stale:
        return []
    of_t, found, positions_of = {id(t): True}, [], _positions_in(values)
    for view in stale:
        if not _descends(view, of_t) or view.dtype != values.dtype or not np.may_share_memory(
                view._data, t._data):  # (a copy: `_taken_again`'s, taken again as it is)
            continue
        at = positions_of(view._data)
        if at is None:
            raise RuntimeError(f"{name}: a view of this tensor taken before (op "
                               f"'{view._ctx.name}', shape {view.shape}) holds entries outside "
                               f"its new layout (shape {values.shape}), whose gradient it "
                               f"would lose; take that view again after the change (or del "
                               f"it first), or {instead}")
        found.append((view, at))
    return found


def _positions_in(values: np.ndarray) -> Callable[[np.ndarray], np.ndarray | None]:
    """A lookup of the position of each entry of a view among `values`' entries (flat, in
    their order), by address (None if one is not among them); `values`' sorted once."""
    own = addresses(values).ravel()
    order = np.argsort(own, kind="stable")
    ranked = own[order]

    def positions_of(view: np.ndarray) -> np.ndarray | None:
        wanted = addresses(view)
        if not own.size:
            return None if wanted.size else np.zeros(view.shape, np.int64)
        k = np.minimum(np.searchsorted(ranked, wanted), own.size - 1)
        return None if (ranked[k] != wanted).any() else order[k]
    return positions_of


def _no_entry_in(view: np.ndarray, values: np.ndarray) -> bool:
    """Whether none of `view`'s entries is one of `values`' (by address)."""
    return not np.isin(addresses(view), addresses(values)).any()


def _descends(view: Tensor, of_t: dict) -> bool:
    """Whether `view` was taken of t, or of a view taken of t (`of_t`: known answers)."""
    if id(view) not in of_t:
        of_t[id(view)] = view._ctx is not None and any(
            _descends(parent, of_t) for parent in view._ctx.parents
            if parent._version is view._version)
    return of_t[id(view)]


def detach_(self: Tensor) -> Tensor:
    """`t.detach_()`: t becomes a leaf that needs no gradient, in place (PyTorch's); its
    values and version stay. Made by an op, its old version is left to the nodes that used
    it (the module's docstring); a view is refused, as PyTorch's. Returns t."""
    made_by = getattr(self, "_made_by", None)
    if view_of_graph(self) or isinstance(made_by, (versions.ConstantView, versions.NoGradView)):
        made_by = self._ctx.name if self._ctx is not None else made_by
        raise RuntimeError(f"detach_: this tensor is a view (op '{made_by}' took it from "
                           f"another tensor's values), and a view cannot be detached in place "
                           f"(PyTorch's refuses it too); use t = t.detach() (a new tensor "
                           f"sharing the values, needing no gradient)")
    if self._ctx is not None:
        _detached_with(self)
        if _UNUSED.views:  # (their node, regenerated from t, not yet used: as PyTorch's)
            _cut(_UNUSED.unused_views_of(self))
        before = old_version(self, self._ctx)  # (stamped: a node that saved t refuses)
        self._ctx = None
        versions.detached_in_place.set(before, True)  # (and says why)
        hooks.retain_with(self, before)
    self.requires_grad = False
    return self


# a tensor detached in place whose views taken before live (its version counter's id:
# the counter, those views, t): a later write cuts them from the graph, or is refused with
# gradients on where it writes one of them (`_cut_views`); dropped with t or its last view
_DETACHED_VIEWS: dict[int, tuple[list, list, weakref.ref]] = {}


def _detached_with(t: Tensor) -> None:
    """Note t's live views of the graph taken before its detach_(), for `_cut_views`."""
    counter = t._version
    views = counter[1] if counter is not None and len(counter) > 1 else {}
    of_t = {id(t): True}
    taken = [weakref.ref(view) for view in list(views.values())
             if view is not t and view._ctx is not None and _descends(view, of_t)]
    if taken:  # (dropped when t goes, or when its last view does)
        forget = _forget(_DETACHED_VIEWS, id(counter))
        _DETACHED_VIEWS[id(counter)] = (counter, taken, weakref.ref(t, forget))
        alive = [len(taken)]

        def one_gone(_: Any) -> None:
            alive[0] -= 1
            if not alive[0]:
                forget(None)

        taken[:] = [weakref.ref(view, one_gone) for view in (ref() for ref in taken)]
        watch(_cut_views)


def _cut_or_refuse(t: Tensor, operands: tuple, what: str, entry: tuple) -> bool:
    """A write into the memory of a tensor detached in place: with gradients on, into one
    of its views taken before (or a view of one), refused, as PyTorch's; else those views
    leave the graph, as PyTorch regenerates them from the detached base (no gradient to
    what it was made of); the nodes that used them before keep their old versions. A
    write the graph records into the detached tensor, or into a view of it taken after
    (`h.mul_(v)`, `h[1].mul_(v)`, v needing a gradient), cuts them too, then makes them
    its views (`_viewing`), which in_place_recorded.py takes again on its new version, as
    PyTorch regenerates them (v's gradient through them), and the entry goes. Otherwise
    the entry stays: a later write into a view is refused as well."""
    alive = [view for view in (ref() for ref in entry[1]) if view is not None]
    grad_on = is_grad_enabled()
    if grad_on and _viewed_in(t, {id(view): True for view in alive}):
        raise RuntimeError(f"{what}: this tensor (shape {t.shape}) is a view, or a view of "
                           f"one, taken before its base was detached in place (detach_()), "
                           f"and PyTorch refuses to write it with gradients on too; write it "
                           f"under `with tg.no_grad():`, or take the view again from the "
                           f"detached tensor and write that")
    base = entry[2]()
    followed = grad_on and base is not None and _viewed_in(t, {id(base): True}) and (
        t._ctx is not None or any(isinstance(x, Tensor) and x._requires_grad for x in operands))
    taken = _viewing(base, alive, what) if followed else []  # (refused before any is cut)
    _cut(alive)
    for view, made_by in zip(alive, taken):
        if made_by is not None:
            view._made_by = made_by
    return not followed


def _viewing(base: Tensor, views: list, what: str) -> list:
    """For each of `views`, how it is a view of `base` (a constant, about to take part in
    the graph): take at its entries' positions, as PyTorch's as_strided, for
    in_place_recorded.py to take it again on base's new version once it is cut. One that
    shares no entry with base any more (`h.data = ...`, or as_strided_ leaving its entries
    out, since) is only cut (None), as PyTorch's, whose view no write of base reaches then."""
    positions_of, taken = _positions_in(base._data), []
    for view in views:
        if _no_entry_in(view._data, base._data):
            taken.append(None)
            continue
        at = positions_of(view._data)
        if at is None or view.dtype != base.dtype:
            raise RuntimeError(
                f"{what}: this tensor (shape {base.shape}) was detached in place (detach_()), "
                f"and a view of it taken before (shape {view.shape}) holds entries outside its "
                f"present layout, so it cannot follow this change, as PyTorch's would: del it "
                f"first, or write this under `with tg.no_grad():`")
        taken.append(versions.ConstantView.taken_by(Take, {"indices": at, "axis": None},
                                                    (base,)))
    return taken


_cut_views = until_done(_DETACHED_VIEWS, _cut_or_refuse)


def _viewed_in(t: Tensor, views: dict) -> bool:
    """Whether t is one of `views` (by id: True), or a view of one, taken before it left
    the graph (a node's input) or after (a constant's view: `ConstantView.inputs`)."""
    if id(t) not in views:
        made_by = getattr(t, "_made_by", None)
        views[id(t)] = t._ctx is not None and _descends(t, views) or isinstance(
            made_by, versions.ConstantView) and any(_viewed_in(x, views) for x in made_by.inputs)
    return views[id(t)]


def _cut(views: list) -> None:
    """Each of `views` leaves the graph, needing no gradient (PyTorch's keeps requires_grad,
    on a node that reaches nothing, which here would make it a leaf with a `.grad` of its
    own); the nodes that used it before keep its old version."""
    for view in views:
        if view._ctx is not None:
            old_version(view, view._ctx)
            view._ctx, view._requires_grad = None, False


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


for _function in (unsqueeze_, squeeze_, t_, transpose_, swapaxes_, swapdims_, as_strided_,
                  detach_):
    setattr(Tensor, _function.__name__, _function)

"""In-place changes the graph records, as PyTorch's: `h[mask] = 0`, `h.relu_()`, `out +=
identity` on a tensor made by an op, or a value that needs a gradient written into a
constant (`out[i] = f(x[i])`, `buffer.copy_(w)`).

The graph links tensors, not versions of them, so a change in place makes a new version
of the tensor itself. `rebase(t, what, change)` moves t's old version into a new tensor
(`before`: t's node, and a copy of t's values) and applies `change(before)`, the op out of
place (`before.add(y)`, `before.relu()`, the op setitem), recorded as any op; t then takes
that op's node and its values, written into t's own array so that its views and
`detach()`s see them, as PyTorch's do.

A node that used t before the change still names t among its inputs. `redirect` points
each such node at the version it used: the engine's sort calls it (`engine.redirect`,
set here at the first such change) before any pass or drawing walks the graph. The write
clock of versions.py orders them: `before` is stamped with the change's time, so a node
that used t earlier and saved t's array (the one written) for backward refuses, as any
in-place change makes it refuse, and the op that made the change (recorded after the
stamp) does not.

A view of a tensor of the graph changed in place changes its base, as PyTorch's: a view
`t = base[index]` (`h[1].zero_()`, `h[:, 0].mul_(3)`) through the op setitem at index
(base rebased), t then base's new `[index]`; a view that holds each of base's entries
once, in another layout (`h.T.mul_(3)`, `h.view(-1)[0] = y`, `h.reshape(6).relu_()`:
reshape, transpose, permute, unsqueeze, ..., told by the arrays' strides and bounds, not
by the op's name) through its op's vector-Jacobian product, the inverse permutation
(base takes the changed view's values put back in its own layout), t then the op again
on base's new version; a view of a part of base's entries, each once (`h.diagonal()`,
`h.narrow(0, 1, 2)`), through the same product of the change (`result - before`, put
back where those entries are), added to base; a constant's view the same way (`c[index]`
through the op setitem of c; `c.T` through the product of a node taken on a stand-in of
c, `_stand_in`), c then part of the graph. Refused, in one line, before anything changes
(`changeable`): a change of another view (`h.expand(2, 3)`, whose entries repeat), of a
view of a leaf that requires a gradient (its expand too), and of a view taken under
no_grad() of a tensor that requires a gradient (`recorded`).

The other views of the memory a change wrote, taken before it (versions.py lists them,
alive, with the counter they share: the graph's, and a constant's, `ConstantView`), are
taken again, as PyTorch regenerates a view's node (`_retake_views`): each the same op on
the new version of what it viewed, its old version the same op on the old one, for the
nodes that used it before. A tensor's hooks stay with the version they were registered
on (`hooks.move_hooks`), as PyTorch's. A change whose values have no slope (a mask:
`h.eq_(0.5)`, `h.logical_not_()`) keeps t in the graph through a node of gradient 0
(`_without_slope`), as PyTorch's comparisons do.
"""
from __future__ import annotations

import bisect
import weakref
from typing import Any, Callable

import numpy as np
from numpy.lib.array_utils import byte_bounds

from . import engine, hooks
from .autograd_function import OpName
from .engine import is_grad_enabled
from .errors import ShapeError
from .higher_order import recorded_vjp
from .memory import distinct_entries
from .ops.arguments import no_gradient_into
from .ops.indexing import GetItem, SetItem
from .tensor import Tensor, _raw_index
from .tracked import count_write, read_only_error, writes, written_arrays
from .versions import ConstantView, NoGradView

__all__ = ["recorded", "view_of_graph", "a_view", "changes_its_base", "written_already", "rebase",
           "changeable", "writeable", "redirect", "shape_kept", "leaf_view_refused", "supersede",
           "taken_before"]

# id(t) -> [(the time of a change, t's version before it), ...], oldest first, while t
# lives (by id: a WeakKeyDictionary would compare tensors with ==, which is elementwise)
_versions: dict[int, list] = {}


# what an extra refuses of every in-place change, `check(t, operands, what)` (forward_ad.py
# adds its own while a dual level is entered: it does not follow in-place changes)
in_place_checks: list[Callable[[Tensor, tuple, str], None]] = []


def recorded(t: Tensor, *operands: Any, what: str = "in-place change") -> bool:
    """Whether an in-place change of t with these operands is one the graph must follow:
    gradients are on, and t was made by an op or an operand needs a gradient. A view
    taken under no_grad() of a tensor that requires a gradient is refused, as PyTorch's
    (and what `in_place_checks` refuse)."""
    for check in tuple(in_place_checks):  # (a check may remove itself: none is skipped)
        check(t, operands, what)
    if not is_grad_enabled():
        return False
    if isinstance(getattr(t, "_made_by", None), NoGradView):
        raise RuntimeError(f"{what}: this tensor is a view (op '{t._made_by}') taken "
                           f"under no_grad() of a tensor that requires a gradient, whose graph "
                           f"would not see the change; change it under no_grad() too, or take "
                           f"the view with gradients on")
    return t._ctx is not None or any(isinstance(x, Tensor) and x._requires_grad
                                     for x in operands)


def view_of_graph(t: Tensor) -> bool:
    """Whether t is a view of another tensor of a graph (made by an op from that tensor's
    values, sharing its memory: a reshape, a transpose, `h[1]`; versions.py lists them)."""
    return t._ctx is not None and t._version is not None and len(t._version) > 1 and (
        t._version[1].get(id(t)) is t)


def a_view(t: Tensor) -> bool:
    """Whether t is a view of another tensor, of the graph (`view_of_graph`) or of a constant
    (an op made it from the constant's memory, which views were taken of)."""
    return view_of_graph(t) or (t._ctx is None and t._version is not None and len(
        t._version) > 1 and t._data.base is not None and getattr(t, "_made_by", None) is not None)


def rebase(t: Tensor, what: str, change: Callable[..., Tensor], instead: str,
           *operands: Any) -> Tensor:
    """t changed in place to `change(before, *operands)`, recorded (`before`: t's old
    version, which stands for t among the operands too: `h *= h`); returns t. `instead`
    says what to write for a new tensor, in the errors. A view `t = base[index]` of a
    tensor of the graph, or a reshape or transpose of one, is changed through its base
    (`_rebase_view`). The other views of the memory changed are then taken again
    (`_retake_views`). What it refuses is refused before `change` runs (`changeable`)."""
    changeable(t, what, instead)
    start = writes[0]
    _rebase(t, what, change, instead, operands)
    if len(t._version) > 1:
        _retake_views(t._version[1], start)
    return t


def _rebase(t: Tensor, what: str, change: Callable[..., Tensor], instead: str,
            operands: tuple) -> Tensor:
    """`rebase` without taking the other views again (`_rebase_view` calls it for the base:
    the views are taken again once, when the whole change is made)."""
    if view_of_graph(t) or isinstance(getattr(t, "_made_by", None), ConstantView):
        return _rebase_view(t, what, change, instead, operands)  # (c[1], c.T: through c)
    before, result = _changed(t, what, change, instead, operands)
    supersede(t, before)
    t._mark_changed()  # (before the write): a node that saved t's values, its output, refuses
    np.copyto(t._data, result._data)
    t._ctx, t._requires_grad = result._ctx, result._requires_grad
    changed_by = result._ctx
    if changed_by is not None and changed_by.output_version is not None:  # (most: None)
        _output_saved_in(t, changed_by, result, what)
    return t


def changeable(t: Tensor, what: str, instead: str) -> None:
    """Refuse, in one line, a change of t that `rebase` cannot make, before anything is
    changed or drawn (a refused `h[0].uniform_()` leaves the generator as it was): of a
    leaf that requires a gradient (a constant's view made one by requires_grad_() too), of
    a view of one, of a view whose entries repeat or overlap (an expand), of read-only
    values; t, then what it views, in turn."""
    while True:
        made_by = getattr(t, "_made_by", None)
        if t._requires_grad and t._ctx is None:
            t._check_writable(what, f"write {instead} (a new tensor)")
        if view_of_graph(t):
            t = _viewed(t, what, instead)
        elif isinstance(made_by, ConstantView):
            if made_by.name != "getitem":  # (a layout view: through a stand-in of c)
                _standing_in_refused(t, what, instead)
            t = made_by.inputs[0]
        else:
            writeable(t, what)  # (a view's writes go to its base: checked there)
            return


def writeable(t: Tensor, what: str) -> None:
    """Refuse, in one line, a write into t's values where they are read-only (an expand's
    of a constant, whose entries repeat)."""
    if not t._data.flags.writeable:
        raise read_only_error(f"{what}: cannot write into this tensor", t.shape,
                              "t = t.clone() (values of its own), then write")


def _output_saved_in(t: Tensor, node: Any, result: Tensor, what: str,
                     base: tuple | None = None) -> None:
    """PyTorch's op writes t itself, so an op that saved its output (`h.exp_()`,
    `h.relu_()`) saved t: a later change of t, recorded or not (`h.add_(1)`, under
    no_grad() too), refuses its backward, as PyTorch's and as after `h = x.exp()`. Its
    record time moves to t's stamp, unless an input shares t's memory (`h.pow_(h[0])`,
    whose write just now counts already). The node keeps, for that refusal's message
    (versions.py), the in-place op (`what`), t (a weak reference) and the `base` t is a
    view of (a weak reference, its shape and t's)."""
    if node.output_version is not result._version:
        return
    counter = t._version
    for parent in node.parents:
        if parent._version is counter:
            return
    node.output_version = counter
    node.recorded_at = counter[0]
    node.written_in_place = (what, weakref.ref(t), base)


def written_already(t: Tensor, index: Any, value: Any) -> bool:
    """Whether `value` is t's own view `t[index]`, exactly: `h[1] += y` changed it in
    place (through h, recorded), and Python's write of it back into h changes nothing."""
    if not (isinstance(value, Tensor) and value._ctx is not None
            and value._ctx.name == "getitem" and value._ctx.parents[0] is t):
        return False
    try:
        region = t._data[_raw_index(index)]
    except (IndexError, TypeError, ValueError):
        return False
    view = value._data
    return (region.base is not None and region.shape == view.shape
            and region.strides == view.strides
            and region.__array_interface__["data"][0] == view.__array_interface__["data"][0])


def _rebase_view(t: Tensor, what: str, change: Callable[..., Tensor], instead: str,
                 operands: tuple) -> Tensor:
    """A view of a tensor of the graph changed in place, as PyTorch changes one: `t =
    base[index]` through the op setitem at index (base rebased), a layout view (`h.T`,
    `h.view(-1)`: `holds_each_entry_once`) through its op's vector-Jacobian product, the
    inverse permutation (base rebased to the changed view's values in its own layout), a
    view of a part (`h.diagonal()`) through that product of the change, added to base.
    t then takes a node of the same op on base's new version; its values are already
    those (a view of base's array). A constant's view (`c[index]`, `c.T`) is changed
    through c so, c then part of the graph."""
    if t._ctx is None:  # (a constant's view: how it was taken, its name and params)
        base = t._made_by.inputs[0]
        node = t._made_by if t._made_by.name == "getitem" else _stand_in(t)
    else:
        node, base = t._ctx, _shared(t)[0]
    before, result = _changed(t, what, change, instead, operands)
    if node.name == "getitem":
        index = node.params["index"]
        _rebase(base, what, lambda old_base, values: SetItem.call(old_base, index, values),
                instead, (result,))
        t._ctx = GetItem.call(base, index)._ctx
    else:
        position = next(k for k, parent in enumerate(node.parents) if parent is base
                        or parent is getattr(node, "stands_for", None))
        if holds_each_entry_once(t._data, base._data):  # (its vjp is its inverse: the
            in_base_layout = recorded_vjp(node, t, result)[position]  # values in base's)
            _rebase(base, what, lambda old_base, values: values, instead, (in_base_layout,))
        else:  # a part of base's entries (h.diagonal()): the change added back at them
            change = recorded_vjp(node, t, result - before)[position]
            _rebase(base, what, lambda old_base, added: old_base + added, instead, (change,))
        t._ctx = type(node).apply(base, **node.params)._ctx
    t._requires_grad = True
    changed_by = result._ctx  # (t's counter is its base's: a change of either counts)
    if changed_by is not None and changed_by.output_version is not None:
        _output_saved_in(t, changed_by, result, what,  # (a view: often gone by then)
                         (weakref.ref(base), base._data.shape, t._data.shape))
    supersede(t, before)
    return t


def _standing_in_refused(t: Tensor, what: str, instead: str) -> None:
    """Refuse a change of a constant's layout view t whose entries repeat or overlap, or
    of another dtype: `_stand_in` cannot write it back into the constant."""
    made = t._made_by
    if t.dtype != made.inputs[0].dtype or not distinct_entries(t._data):
        raise RuntimeError(f"{what}: this tensor is a view of a constant (op '{made}' made "
                           f"it) whose entries repeat or overlap, so a change that needs a "
                           f"gradient cannot be written back into the constant; write "
                           f"{instead} (a new tensor), or change a copy (t = t.clone())")


def _stand_in(t: Tensor) -> Any:
    """For a constant's layout view t (`c.T`, `c.diagonal()`), which has no node: a node of
    the op that took it, recorded on a copy of c that needs a gradient (`stands_for` c), whose
    vector-Jacobian product puts a change of t back in c's layout."""
    made = t._made_by
    copy = Tensor.from_op(made.inputs[0]._data.copy(), None)
    copy._requires_grad = True
    node = made.op.apply(copy, **made.params)._ctx
    node.stands_for = copy
    return node


def _shared(t: Tensor) -> list[Tensor]:
    """The inputs of the op that made t, a view of the graph, that share t's memory."""
    return [parent for parent in t._ctx.parents if parent._version is t._version]


def _viewed(t: Tensor, what: str, instead: str) -> Tensor:
    """The tensor that the view t of the graph views, checked to be one an in-place change
    of t can change (else refused in one line): no leaf that requires a gradient (its
    expand too, as PyTorch's), each entry of t one of its own."""
    node, shared = t._ctx, _shared(t)
    leaf_view_refused(t, what, f"write {instead} (a new tensor)")
    if not changes_its_base(t):
        raise RuntimeError(f"{what}: this tensor is a view of another tensor of the graph (op "
                           f"'{node.name}' made it from that tensor's values) whose entries "
                           f"repeat, overlap or run backwards, so the change cannot be "
                           f"written back into that tensor; write {instead} (a new tensor), "
                           f"or change a copy (t = t.clone())")
    return shared[0]


def leaf_view_refused(t: Tensor, what: str, instead: str) -> None:
    """Refuse, in one line, a change of t, a view of the graph, where what it views is a leaf
    that requires a gradient (as PyTorch's); `instead`: what to write for a new tensor."""
    if any(base._ctx is None and base._requires_grad for base in _shared(t)):
        raise RuntimeError(f"{what}: this tensor is a view (op '{t._ctx.name}') of a leaf tensor "
                           f"that requires a gradient, which an in-place change would change "
                           f"outside the graph; {instead}, or change the leaf under `with "
                           f"tg.no_grad():` (an update)")


def changes_its_base(t: Tensor) -> bool:
    """Whether an in-place change of t, a view of one tensor of the graph, can be written
    into that tensor: t is `base[index]`, or each of its entries is one of base's."""
    node, shared = t._ctx, _shared(t)
    return len(shared) == 1 and (node.name == "getitem" and shared[0] is node.parents[0]
                                 or t.dtype == shared[0].dtype and distinct_entries(t._data))


def holds_each_entry_once(view: np.ndarray, array: np.ndarray) -> bool:
    """Whether `view` (sharing `array`'s memory) holds each of array's entries once, in
    another layout: as many entries of the same dtype within the same bytes, each stride
    past the extent of the smaller ones (no entry repeats: no 0 stride, as expand's; none
    negative, as flip's, which is a copy in PyTorch)."""
    if view.size != array.size or view.dtype != array.dtype:
        return False
    if view.size == 0 or byte_bounds(view) != byte_bounds(array):  # (no entries: none lost)
        return view.size == 0
    return distinct_entries(view)


def _old_version(t: Tensor, what: str) -> Tensor:
    """t's version before a change: its node and a copy of its values, stamped with the
    change's time (the nodes that used t had recorded earlier)."""
    no_gradient_into(what, t.dtype)
    before = Tensor.from_op(t._data.copy(), t._ctx)
    before._requires_grad, before.name = t._requires_grad, t.name
    for slot in ("_made_by", "_made_in"):  # (a constant's: the diagrams name its origin)
        if hasattr(t, slot):
            setattr(before, slot, getattr(t, slot))
    return _stamped(before, t._data)


def _stamped(before: Tensor, written: np.ndarray) -> Tensor:
    """`before`, an old version, stamped with the change's time (after the nodes that used
    it, the change's own among them) and naming the array the change wrote (`written`:
    what those nodes may have saved), for versions.py's check."""
    before._version = [0]
    count_write(before._version)
    written_arrays[id(before)] = written
    weakref.finalize(before, written_arrays.pop, id(before), None)
    return before


def _changed(t: Tensor, what: str, change: Callable[..., Tensor], instead: str,
             operands: tuple) -> tuple[Tensor, Tensor]:
    """t's old version, and `change(before, *operands)` (before standing for t among the
    operands) checked to fit t in place."""
    before = _old_version(t, what)
    given = [before if x is t else x for x in operands]
    result = change(before, *given)
    if result._ctx is None:  # (a comparison's or a logical op's mask: values without a slope)
        result = _without_slope(what, result, before, given)
    return before, _result(t, what, result, instead)


class _Flat(engine.Function, register=False, name="no_gradient"):
    """Values that do not change with the inputs (a mask `h.eq_(0)`, `h.logical_not_()`
    wrote into h): gradient 0 for each input, as PyTorch's eq_, lt_, ... give. Each node is
    named after the op called (`_without_slope`)."""

    def forward(ctx, *inputs, values):  # noqa: N805
        ctx.shapes = [x.shape for x in inputs]
        return values

    def backward(ctx, g):  # noqa: N805
        return tuple(np.zeros(shape, g.dtype) for shape in ctx.shapes)

    def backward_graph(ctx, out, g):  # noqa: N805
        return tuple(Tensor.from_op(np.zeros(shape, g.dtype), None) for shape in ctx.shapes)


def _without_slope(what: str, result: Tensor, before: Tensor, given: list) -> Tensor:
    """`result`, values computed without a graph (a mask) from t's old version `before` and
    the operands `given`, as a node of theirs that needs a gradient (0), as PyTorch's: t
    stays in the graph, where it would have stopped needing one."""
    inputs = [x for x in (before, *given) if isinstance(x, Tensor) and x._requires_grad]
    if not inputs:
        return result
    values = result._data
    if np.can_cast(values.dtype, before.dtype, "same_kind"):  # (else refused by _result)
        values = values.astype(before.dtype)
    flat = _Flat.apply(*inputs, values=values)
    flat._ctx.name = OpName(what.rstrip("_"))  # (as called, eq, logical_not: in repr, errors)
    return flat


def _result(t: Tensor, what: str, result: Tensor, instead: str) -> Tensor:
    """The change's result, checked to fit t in place: its shape, its dtype (cast)."""
    if result.shape != t.shape:
        raise shape_kept(t, what, result.shape, instead)
    if result.dtype != t.dtype:
        if not np.can_cast(result.dtype, t.dtype, "same_kind"):
            raise TypeError(f"{what}: the result has dtype {result.dtype}, which a tensor of "
                            f"dtype {t.dtype} cannot hold in place; write {instead} for a new "
                            f"tensor")
        result = result.to(t.dtype)
    return result


def shape_kept(t: Tensor, what: str, shape: tuple, instead: str) -> ShapeError:
    """The refusal of a result of `shape` for t changed in place (which keeps its shape)."""
    return ShapeError(f"{what}: the result has shape {shape}, but in place the tensor keeps "
                      f"its shape {t.shape}; write {instead} for a new tensor")


def supersede(t: Tensor, before: Tensor, written: np.ndarray | None = None) -> None:
    """`before`, t's old version, kept for the nodes that used t (`redirect`) with the hooks
    registered on t, as PyTorch's; stamped first with the change's time (`_stamped`) where
    `written` (the array the change wrote) is given."""
    if written is not None:
        _stamped(before, written)
    hooks.move_hooks(t, before)
    _remember(t, before)


def _remember(t: Tensor, before: Tensor) -> None:
    """Keep t's old version for the nodes that used it (`redirect`)."""
    if id(t) not in _versions:
        _versions[id(t)] = []
        weakref.finalize(t, _versions.pop, id(t), None)
    _versions[id(t)].append((before._version[0], before))
    engine.redirect = redirect


def redirect(outputs: tuple) -> None:
    """Point every node of the graph behind `outputs` that used a tensor before it was
    changed in place at the version it used."""
    if not _versions:
        return
    stack, seen = list(outputs), set()
    while stack:
        tensor = stack.pop()
        node = tensor._ctx
        if node is None or id(tensor) in seen:
            continue
        seen.add(id(tensor))
        parents, changed = list(node.parents), False
        for i, parent in enumerate(parents):
            versions = _versions.get(id(parent), ())
            # the first change after the node used the tensor (a list in time order)
            k = bisect.bisect_right(versions, node.recorded_at, key=lambda entry: entry[0])
            if k < len(versions):
                parents[i], changed = versions[k][1], True
        if changed:
            node.parents = tuple(parents)
        stack.extend(parents)


def _retake_views(views: Any, start: int) -> None:
    """Each view of the memory a change wrote (`views`: versions.py's, by id, the graph's
    and a constant's) taken before the change (`start`, the write clock then), taken again,
    as PyTorch regenerates a view's node: the same op on the new versions of what it
    viewed."""
    stale = taken_before(views, start)
    while stale:
        _retake(next(iter(stale.values())), stale, start)


def taken_before(views: Any, start: int) -> dict:
    """The views of a memory (`views`: versions.py's, by id) taken before a change (`start`:
    the write clock then), by id: the graph's recorded by then, and a constant's (older too)."""
    return {id(view): view for view in list(views.values())
            if (view._ctx.recorded_at <= start if view._ctx is not None
                else isinstance(getattr(view, "_made_by", None), ConstantView))}


def _retake(view: Tensor, stale: dict, start: int) -> None:
    """`view` taken again (the views it was taken of first). Its old version, for the nodes
    that used it before (`redirect`), is the same op on what it viewed then."""
    del stale[id(view)]
    if view._ctx is not None:
        op, params, parents = type(view._ctx), view._ctx.params, view._ctx.parents
    else:  # (a constant's view: how it was taken)
        op, params, parents = view._made_by.op, view._made_by.params, view._made_by.inputs
    for parent in parents:
        if id(parent) in stale:  # (a view of a view)
            _retake(parent, stale, start)
    before = op.apply(*[_version_before(p, start) for p in parents], **params)
    taken = op.apply(*parents, **params)
    view._ctx, view._requires_grad = taken._ctx, taken._requires_grad
    supersede(view, before, view._data)


def _version_before(t: Tensor, start: int) -> Tensor:
    """t's version before the change made since `start` (t itself if it did not change)."""
    versions = _versions.get(id(t), ())
    return versions[-1][1] if versions and versions[-1][0] > start else t

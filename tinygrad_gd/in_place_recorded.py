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

A view `t = base[index]` changed in place (`h[1].zero_()`, `h[:, 0].mul_(3)`) changes
its base, as PyTorch's: the change is written into base at index (the op setitem, base
rebased), and t becomes base's new `[index]`. Refused, in one line: a change of another
view of a tensor of the graph (`h.T.relu_()`: the tensor it views would change outside
the graph), of a view taken before its base changed, of a constant of which views were
taken (versions.py marks a counter its views share), and, when the pass starts, a graph
that uses, after a change, a view taken of the tensor before it (its values changed too).
"""
from __future__ import annotations

import bisect
import math
import weakref
from typing import Any, Callable

import numpy as np

from . import engine
from .engine import is_grad_enabled
from .errors import ShapeError
from .ops.indexing import GetItem, SetItem
from .tensor import Tensor, _raw_index
from .tracked import count_write, read_only_error, written_arrays

__all__ = ["recorded", "view_of_graph", "written_already", "rebase", "redirect"]

# id(t) -> [(the time of a change, t's version before it), ...], oldest first, while t
# lives (by id: a WeakKeyDictionary would compare tensors with ==, which is elementwise)
_versions: dict[int, list] = {}


def recorded(t: Tensor, *operands: Any) -> bool:
    """Whether an in-place change of t with these operands is one the graph must follow:
    gradients are on, and t was made by an op or an operand needs a gradient."""
    return is_grad_enabled() and (t._ctx is not None or any(
        isinstance(x, Tensor) and x._requires_grad for x in operands))


def view_of_graph(t: Tensor) -> bool:
    """Whether t is a view of another tensor of a graph (made by an op from that tensor's
    values, sharing its memory: a reshape, a transpose, `h[1]`)."""
    return t._ctx is not None and t._version is not None and any(
        parent._version is t._version for parent in t._ctx.parents)


def rebase(t: Tensor, what: str, change: Callable[..., Tensor], instead: str,
           *operands: Any) -> Tensor:
    """t changed in place to `change(before, *operands)`, recorded (`before`: t's old
    version, which stands for t among the operands too: `h *= h`); returns t. `instead`
    says what to write for a new tensor, in the errors. A view `t = base[index]` of a
    tensor of the graph is changed through its base (`_rebase_view`)."""
    node = t._ctx
    if view_of_graph(t):
        return _rebase_view(t, what, change, instead, operands)
    if node is None and t._version is not None and t._data.base is not None and getattr(
            t, "_made_by", None) is not None:  # (a view of a constant: its base unknown)
        raise RuntimeError(f"{what}: this tensor is a view of a constant (op "
                           f"'{t._made_by}' made it), which a change that needs a gradient "
                           f"would change outside the graph; write into the constant itself "
                           f"(c[index] = value)")
    if t._requires_grad and node is None:
        t._check_writable(what, f"write {instead} (a new tensor)")  # (a leaf: refused)
    if node is None and t._version is not None and len(t._version) > 1:
        raise RuntimeError(f"{what}: views of this constant were taken (c[1:], c.T, ...), "
                           f"which would keep showing its values outside the graph after a "
                           f"change that needs a gradient; change a copy first (c = "
                           f"c.clone()), or take the views after the change")
    before, result = _changed(t, what, change, instead, operands)
    np.copyto(t._data, result._data)
    t._ctx, t._requires_grad = result._ctx, result._requires_grad
    t._mark_changed()  # (a node that saved t's values, its output, refuses now)
    _remember(t, before)
    return t


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
    """A view `t = base[index]` changed in place, as PyTorch changes one: the change
    written into base at index (the op setitem, base rebased), t then base's new
    `[index]`, which its values are already (a view of base's array)."""
    node, base = t._ctx, t._ctx.parents[0]
    if node.name != "getitem" or base._version is not t._version:
        raise RuntimeError(f"{what}: this tensor is a view of another tensor of the graph (op "
                           f"'{node.name}' made it from that tensor's values), which an "
                           f"in-place change would change too, outside the graph; write "
                           f"{instead} (a new tensor), or change a copy (t = t.clone())")
    if any(time > node.recorded_at for time, _ in _versions.get(id(base), ())):
        raise RuntimeError(f"{what}: this view (op 'getitem') was taken before the tensor it "
                           f"views was changed in place, so its graph is of the old values; "
                           f"take the view again after the change (v = h[index]), then "
                           f"change it")
    index = node.params["index"]
    before, result = _changed(t, what, change, instead, operands)
    rebase(base, what, lambda old_base, values: SetItem.call(old_base, index, values),
           instead, result)
    t._ctx, t._requires_grad = GetItem.call(base, index)._ctx, True
    _remember(t, before)
    return t


def _old_version(t: Tensor, what: str) -> Tensor:
    """t's version before a change: its node and a copy of its values, stamped with the
    change's time (the nodes that used t had recorded earlier)."""
    if t._data.dtype.kind not in "fc":
        raise TypeError(f"{what}: a value that needs a gradient cannot be written into a "
                        f"tensor of dtype {t.dtype} (gradients are of floats); convert it "
                        f"first (t = t.to(tg.float64)), or write value.detach()")
    if not t._data.flags.writeable:
        raise read_only_error(f"{what}: cannot write into this tensor", t.shape,
                              "t = t.clone() (values of its own), then write")
    before = Tensor.from_op(t._data.copy(), t._ctx)
    before._requires_grad, before.name = t._requires_grad, t.name
    for slot in ("_made_by", "_made_in"):  # (a constant's: the diagrams name its origin)
        if hasattr(t, slot):
            setattr(before, slot, getattr(t, slot))
    before._version = [0]
    count_write(before._version)
    written_arrays[id(before)] = t._data  # (what they may have saved: the array written)
    weakref.finalize(before, written_arrays.pop, id(before), None)
    return before


def _changed(t: Tensor, what: str, change: Callable[..., Tensor], instead: str,
             operands: tuple) -> tuple[Tensor, Tensor]:
    """t's old version, and `change(before, *operands)` (before standing for t among the
    operands) checked to fit t in place."""
    before = _old_version(t, what)
    result = change(before, *[before if x is t else x for x in operands])
    return before, _result(t, what, result, instead)


def _result(t: Tensor, what: str, result: Tensor, instead: str) -> Tensor:
    """The change's result, checked to fit t in place: its shape, its dtype (cast)."""
    if result.shape != t.shape:
        raise ShapeError(f"{what}: the result has shape {result.shape}, but in place the "
                         f"tensor keeps its shape {t.shape}; write {instead} for a new tensor")
    if result.dtype != t.dtype:
        if not np.can_cast(result.dtype, t.dtype, "same_kind"):
            raise TypeError(f"{what}: the result has dtype {result.dtype}, which a tensor of "
                            f"dtype {t.dtype} cannot hold in place; write {instead} for a new "
                            f"tensor")
        result = result.to(t.dtype)
    return result


def _remember(t: Tensor, before: Tensor) -> None:
    """Keep t's old version for the nodes that used it (`redirect`)."""
    if id(t) not in _versions:
        _versions[id(t)] = []
        weakref.finalize(t, _versions.pop, id(t), None)
    _versions[id(t)].append((before._version[0], before))
    engine.redirect = redirect


def redirect(outputs: tuple) -> None:
    """Point every node of the graph behind `outputs` that used a tensor before it was
    changed in place at the version it used; refuse a view taken before such a change
    and used after it (its values changed with its base's, outside the graph)."""
    if not _versions:
        return
    stack, seen = list(outputs), set()
    used_at = {id(output): math.inf for output in outputs}  # id -> its last use's time
    views = []  # (a view, the op that made it, its base, the time of the base's change)
    sharing: dict[int, list] = {}  # id(a version counter) -> the tensors sharing it
    while stack:
        tensor = stack.pop()
        node = tensor._ctx
        if node is None or id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if tensor._version is not None:
            sharing.setdefault(id(tensor._version), []).append(tensor)
        parents, changed = list(node.parents), False
        for i, parent in enumerate(parents):
            versions = _versions.get(id(parent), ())
            # the first change after the node used the tensor (a list in time order)
            k = bisect.bisect_right(versions, node.recorded_at, key=lambda entry: entry[0])
            if k < len(versions):
                time, before = versions[k]
                if tensor._version is not None and tensor._version is parent._version:
                    views.append((tensor, node, parent, time))
                parents[i], changed = before, True
        if changed:
            node.parents = tuple(parents)
        for parent in parents:
            used_at[id(parent)] = max(used_at.get(id(parent), -1), node.recorded_at)
        stack.extend(parents)
    for view, node, base, time in views:  # (a view of the view, made before, counts too)
        if any(used_at.get(id(u), -1) >= time for u in sharing.get(id(view._version), [view])
               if u._ctx is not None and u._ctx.recorded_at < time):
            raise RuntimeError(
                f"backward(): op '{node.name}' made a view of a tensor {_named(base)}that "
                f"was changed in place afterwards, and the view was used after the change, "
                f"so the values read changed outside the graph; take the view after the "
                f"change, or of a copy (t.clone())")


def _named(t: Tensor) -> str:
    return f"'{t.name}' (shape {t.shape}) " if t.name else f"of shape {t.shape} "

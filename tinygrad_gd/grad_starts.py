"""Where a `.grad` starts: whether a hook's change to a gradient is held in the `.grad` drawn.

A hook that sent on other numbers than it got (a tensor's, a node's, a module's backward
hooks', a leaf's post-accumulate-grad hook) is a cause a diagram names for a `.grad` only
where that `.grad` holds its change. The pass a change was made in is stamped
(backward_passes.py's `grad_stamp`: `keep_node_change`, `keep_post_change`,
hook_changes.py's `keep_sent`), and so is the pass that started the `.grad` (`note_start`):
a change from a pass at or after the start is held (`held_by`). A `.grad` starts again where
it was set to None (`x.grad = None`, zero_grad()) or zeroed in place
(zero_grad(set_to_none=False), `x.grad.zero_()`, `fill_(0)`, a write through `.data` that
leaves zeros only: `zeroed_since`), and where the user set another (`assigned`, read as
set by hand until a pass adds into it: `set_by_hand`; the
package's own clipping or conversion of a `.grad` keeps its start, `replace_grad`). That is
asked where a pass notes a start, which only tensors near a hook do, at drawing time, and
where `.grad` is set by hand: nothing on the common path.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from .backward_passes import grad_stamp, next_stamp
from .by_identity import ByIdentity
from .tracked import writes

# Two threads' passes may run one tensor's hooks: reading what was kept and keeping more
# must not interleave, or one pass's change is lost.
keeping = threading.Lock()
_started = ByIdentity()  # tensor -> grad_stamp of the pass that started its .grad
_hand_set = ByIdentity()  # tensor -> a reference to the `.grad` the user set (`assigned`)
_node_changed = ByIdentity()  # node -> grad_stamp of the last pass its hooks changed numbers in
# leaf with post-accumulate hooks -> (stamp its .grad started at, the write clock after its
# hooks last ran: a write into .grad later is the user's, a reference to the .grad they left:
# another is one the user set, `w.grad = ...`, which holds no change of theirs)
_post_started = ByIdentity()
# leaf -> (stamp of the last .grad its post-accumulate hooks changed, the keys of the hooks that
# changed it since it started: those removed since are named so)
_post_changed = ByIdentity()


def differs(got: Any, sent: Any) -> bool:
    """Whether a hook's replacement holds other numbers than the gradient it got."""
    return not np.array_equal(getattr(got, "_data", got), getattr(sent, "_data", sent),
                              equal_nan=True)


def written(tensor: Any) -> bool:
    """Whether `tensor`'s values were written in place since it was made (`x.mul_(2)`,
    `x.data[0] = 1`: its version counter moved; reading `.data` moves none)."""
    return tensor._version is not None and tensor._version[0] > 0


def zeroed_since(grad: Any, clock: int) -> bool:
    """Whether the `.grad` tensor `grad` was written in place after the write clock read
    `clock` and holds zeros only: no gradient from before is in it."""
    return grad is not None and grad._version is not None and grad._version[0] > clock \
        and not grad._data.any()


def note_start(tensor: Any, stamp: int) -> None:
    """A pass stamped `stamp` is about to add into `tensor.grad`: its start, where it has
    none noted, or was set to None or zeroed in place since (`zeroed_since`)."""
    grad = tensor._grad
    if grad is None or _started.get(tensor) is None \
            or zeroed_since(grad, getattr(tensor, "_grad_at", 0)):
        _started.set(tensor, stamp)


def grad_restarted(tensor: Any) -> None:
    """`tensor.grad` was zeroed in place (zero_grad(set_to_none=False)): the next pass that
    adds into it starts it again, and no earlier hook's change is held in it."""
    _started.discard(tensor)
    _post_started.discard(tensor)


def assigned(tensor: Any, grad: Any) -> None:
    """The user set `tensor.grad` to another tensor, `grad` (`x.grad = ...`; the same one,
    `x.grad += 1`, or None are no new start: `note_start` tells None): a `.grad` no earlier
    hook's change is in starts here (in a pass, a post-accumulate-grad hook's: this pass's),
    and, set outside a pass, it reads as set by hand until a pass adds into it
    (`set_by_hand`), whatever ran before (the words depend on this tensor only). Its start
    is noted where a pass noted one anywhere (none noted: no hook ever ran, no hook's
    change to tell apart from it)."""
    stamp = grad_stamp()
    if _started._entries:
        _started.set(tensor, stamp or next_stamp())
    if not stamp:  # (in a pass: a post-accumulate-grad hook's, named as the hook's)
        _hand_set.set(tensor, weakref.ref(grad))


def set_by_hand(tensor: Any) -> bool:
    """Whether `tensor.grad` is the tensor the user set (`assigned`): every
    pass adds into a new `.grad`, so it is that one until a pass adds into it."""
    kept = _hand_set.get(tensor) if _hand_set._entries else None
    return kept is not None and tensor._grad is not None and kept() is tensor._grad


def replace_grad(tensor: Any, grad: Any) -> None:
    """The package's own new `.grad` for `tensor`, the same gradient changed (clipped,
    converted, laid out anew): where it starts is kept, unlike the user's `x.grad = ...`."""
    tensor._grad, tensor._grad_at = grad, writes[0]


def held_by(stamp: int, holder: Any) -> bool:
    """Whether a change stamped `stamp` is held in `holder.grad`: from the pass that started
    it on, and the `.grad` not zeroed in place since it was set."""
    # A stamp, not a flag kept true: after `x.grad = None` the passes that change nothing
    # start a `.grad` no earlier change is in (its start unknown: from before any hook)
    return stamp > 0 and stamp >= _started.get(holder, 0) \
        and not zeroed_since(holder._grad, getattr(holder, "_grad_at", 0))


def keep_node_change(node: Any, changed: bool) -> None:
    """A node's hooks sent on other numbers than they got in this pass: its stamp kept
    (a module's backward hooks' node, nn's, says so too: hooks.py's `watch_grad_starts`)."""
    if changed and (stamp := grad_stamp()):
        with keeping:
            _node_changed.set(node, max(stamp, _node_changed.get(node, 0)))


def node_changed_at(node: Any) -> int:
    """The stamp of the last pass in which `node`'s hooks changed numbers (0: none)."""
    return _node_changed.get(node, 0)


def post_start(leaf: Any, earlier: Any) -> int:
    """The stamp `leaf.grad`, before this addition `earlier`, starts at for its own
    post-accumulate-grad hooks: this pass's where it was None, none was noted, the user set
    another `.grad` or zeroed it in place since the hooks last ran (outside a pass,
    backward(inputs=...)'s: after every one so far)."""
    noted = _post_started.get(leaf)
    if earlier is None or noted is None or zeroed_since(earlier, noted[1]) \
            or noted[2] is None or noted[2]() is not earlier:
        return grad_stamp() or next_stamp()
    return noted[0]


def keep_post_change(leaf: Any, start: int, added: Any, touched: frozenset = frozenset()) -> None:
    """`leaf`'s post-accumulate-grad hooks ran on `added`, its new `.grad` from `start` on:
    kept whether they changed it (set another `.grad` of other numbers, or wrote into it;
    compared without a copy), which of them did (`touched`: the keys of those that set or
    wrote `.grad`), when they ran and the `.grad` they left."""
    now = leaf._grad
    if now is not None and (now is not added and differs(added, now) or written(added)):
        with keeping:
            last = _post_changed.get(leaf)
            before = last[1] if last is not None and last[0] >= start else frozenset()
            _post_changed.set(leaf, (grad_stamp() or next_stamp(), before | touched))
    _post_started.set(leaf, (start, writes[0], None if now is None else weakref.ref(now)))


def keep_removed_change(leaf: Any, stamp: int, keys: frozenset) -> None:
    """`leaf`'s tensor hooks `keys`, removed, changed its gradient in the pass stamped
    `stamp`: kept as a removed post-accumulate-grad hook's change is (`post_changers` names
    them while the `.grad` they left, from where it started, `note_start`'s, goes on)."""
    with keeping:
        last = _post_changed.get(leaf)
        _post_changed.set(leaf, (stamp, keys) if last is None
                          else (max(stamp, last[0]), last[1] | keys))
        if _post_started.get(leaf) is None:
            grad = leaf._grad
            _post_started.set(leaf, (_started.get(leaf, stamp), getattr(leaf, "_grad_at", 0),
                                     None if grad is None else weakref.ref(grad)))


def post_changers(leaf: Any) -> frozenset:
    """The keys of `leaf`'s post-accumulate-grad hooks (on it or removed since) whose change
    its `.grad` as it is now holds: empty where none does (set by the user since, cleared)."""
    noted, (stamp, keys) = _post_started.get(leaf), _post_changed.get(leaf, (0, frozenset()))
    held = noted is not None and stamp > 0 and stamp >= noted[0] and noted[2] is not None \
        and noted[2]() is leaf._grad and not zeroed_since(leaf._grad, noted[1])
    return keys if held else frozenset()

"""What a tensor's hooks sent on in a backward pass, kept for the diagrams, also once removed.

hooks.py's extension runs a tensor's hooks (`t.register_hook(fn)`) and keeps here what they
sent on in the last pass that ran them (`keep_sent`, `sent_on`: a `Sent` per hooked tensor,
with no reference to the pass's graph) and whether that was other numbers than they got,
stamped with the pass (backward_passes.py's `grad_stamp`), so that a diagram names a hook as
the cause of a `.grad` only where that `.grad` holds its change (grad_starts.py's
`held_by`). Where a hook of a result is removed (`handle.remove()`, or in its own run)
after it changed numbers, the pass it last did so in is kept (`keep_removed`,
`removed_change`, `removed_changed_into`): a `.grad` it tripled, drawn after the removal,
would otherwise read as accumulated. While one is kept the extension stays on
(`kept_removed`), so that passes note where `.grad` starts and a `.grad` cleared since holds
no change of it (set to None, or zeroed in place by any op: only a pass sees that); it is
dropped with the result. A leaf's is kept as a removed post-accumulate-grad hook's change
is (hooks.py's `_keep_removed`), with no extension on.
Nothing is kept where no hook was ever registered: nothing on the common path.
"""
from __future__ import annotations

import weakref
from typing import Any, NamedTuple

import numpy as np

from .backward_passes import grad_stamp, next_stamp, running_pass
from .by_identity import ByIdentity
from .grad_starts import held_by, keeping

_sent = ByIdentity()  # result -> Sent: what its hooks sent on in the last pass that ran them
_removed = ByIdentity()  # tensor -> stamp of the last pass its hooks, all removed, changed


class Sent(NamedTuple):
    """What a result's hooks sent on in the last backward pass that ran them (`sent_on`), or
    a leaf's where one changed its gradient."""

    array: np.ndarray  # the gradient after them (a copy: a later change to it is not seen)
    # whether a hook sent on other numbers than it got, in this pass or an earlier one;
    # returning None or its input (changed in place or not) changes none
    changed: bool
    output: weakref.ref  # the output the pass started from (a reference that keeps no graph)
    # the last pass adding into .grad in which one did (`grad_stamp`; 0: none): a `.grad`
    # started later, after `x.grad = None`, holds no change of theirs (`changed_into`)
    changed_at: int = 0
    changers: frozenset = frozenset()  # the keys of the hooks that did in that pass
    # the last autograd.grad pass in which one did (0: none): it adds into the `.grad` of
    # retain_grad() tensors only, as PyTorch's, so only theirs hold that change
    retained_at: int = 0


def keep_sent(tensor: Any, grad: Any, changers: frozenset) -> None:
    """What `tensor`'s hooks sent on in the running pass kept (none: a pass no backward()
    runs, the step page's), and which of them (`changers`, their keys) sent on other numbers
    than they got."""
    running = running_pass()
    if running is not None:
        stamp, array = grad_stamp() if changers else 0, np.array(getattr(grad, "_data", grad))
        retained = next_stamp() if changers and not stamp else 0  # (autograd.grad's pass)
        with keeping:
            earlier = _sent.get(tensor)
            _sent.set(tensor, Sent(array, bool(changers) or earlier is not None
                                   and earlier.changed, weakref.ref(running.output),
                                   stamp or earlier is not None and earlier.changed_at or 0,
                                   changers if stamp or earlier is None else earlier.changers,
                                   retained or earlier is not None and earlier.retained_at or 0))


def sent_on(tensor: Any) -> Sent | None:
    """What `tensor`'s hooks (`register_hook`, on a result) sent on in the last backward()
    or autograd.grad pass that ran them; None where none has (a drawing's pass runs none).
    The diagrams show it: the drawing's own pass gives the gradient before the hooks."""
    return _sent.get(tensor)


def move_sent(tensor: Any, before: Any) -> None:
    """`tensor` changed in place: what its hooks sent, or removed ones changed, is its old
    version's, `before`'s (hooks.py's `move_hooks`)."""
    for kept in (_sent, _removed):
        sent = kept.get(tensor)
        if sent is not None:
            kept.discard(tensor)
            kept.set(before, sent)


def keep_removed(tensor: Any, key: int | None = None, keep: bool = True) -> None:
    """The last hook of the result `tensor` was removed: what its hooks sent is no longer
    kept as theirs; the pass in which they last changed numbers is, as a removed hook's
    change (not `keep`: a leaf's, kept by hooks.py's `_keep_removed`). One of several
    removed (`key`, its key): kept so where it was one that changed them (`its hook and one
    now removed`), what the others sent kept."""
    sent = _sent.get(tensor)
    if key is None:
        _sent.discard(tensor)
    if keep and sent is not None and sent.changed_at and (key is None or key in sent.changers):
        _removed.set(tensor, sent.changed_at)


def kept_removed() -> bool:
    """Whether a removed hook's change is kept (the extension then stays on)."""
    return bool(_removed._entries)


def removed_change(tensor: Any) -> int:
    """The stamp of the last pass in which a hook of `tensor` removed since changed numbers
    (`grad_stamp`; all of them, or one of several); 0 where none did."""
    return _removed.get(tensor, 0) if _removed._entries else 0


def removed_changed_into(tensor: Any, holder: Any) -> bool:
    """Whether a hook of `tensor` removed since changed numbers in a pass whose
    gradient `holder`'s `.grad` holds (hooks.py's `changed_into`, for hooks now gone)."""
    stamp = removed_change(tensor)
    return stamp > 0 and held_by(stamp, holder)


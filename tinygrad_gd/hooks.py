"""Gradient hooks and `retain_grad()`: seeing, or replacing, a gradient as the pass computes it.

`t.register_hook(fn)` calls `fn(grad)` when `t`'s gradient is complete, before it is
used (PyTorch's Tensor.register_hook), and returns a `RemovableHandle` (`.remove()`),
also what a module's hook registration returns (what hooks return is checked by
hook_results.py).
Hooks join the backward pass through one extension, `GradientHooks`, on while some live
tensor has a hook and switched off by the first step that finds none (it then costs
nothing). A tensor changed in place gives its hooks to its old version (`move_hooks`):
PyTorch's hooks belong to the version they were registered on. The same extension runs a
node's hooks, PyTorch's Node hooks (`y.grad_fn.register_prehook`, `register_hook`), and
`accumulate_grads` a leaf's post-accumulate-grad hooks, after its `.grad` is added to.
`t.retain_grad()` marks a non-leaf tensor (retained_grads.py) whose gradient
`Tensor.backward` keeps in `.grad` (`retains`), as it keeps a leaf's: the gradient after the
tensor's hooks ran (as PyTorch does, retain_grad is a hook that runs last). The pass itself
writes no `.grad`, so the diagrams, which read the same pass, change none:
`accumulate_grads` does, for `backward()`, into the leaves' and the retained tensors'
`.grad`, or (`backward(inputs=...)`, checked by backward_args.py) into those inputs' only.
Each addition (`_accumulated`, PyTorch's AccumulateGrad) makes a new `.grad` tensor under
one lock, so that two threads' passes into a shared leaf lose no gradient, laid out as
grad_layout.py says. A pass that wants some tensors' gradients only (those inputs',
`tg.autograd.grad`'s and `tg.autograd.functional`'s) is `gradients_to`: the engine's pass
over the tensors on a path to them only (`leading_to`), as PyTorch's, which runs no other
node, and so no other hook. Both note the pass they run (backward_passes.py). The diagrams
ask whether a hook of the user's is on a tensor (`has_user_hooks`: `freeze_`'s is none) or a
node (`node_has_hooks`; a module's backward hooks' node, `watch_grad_starts`), whose change
to a gradient their hook-free pass does not show, and what a result's hooks sent on in the
last pass of a backward() or autograd.grad that ran them (`sent_on`: kept per hooked result,
with no reference to the pass's graph, until the result is freed or its last hook removed,
then as a removed hook's change: hook_changes.py),
and whether a hook of a tensor or node sent on other numbers than it got (one that returns
None or its input changes none) in a pass that `.grad` holds (`changed_into`,
`node_changed_into`).
"""
from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any, Callable

import numpy as np

from . import engine, grad_starts, hook_changes, versions
from . import higher_order  # noqa: F401  (create_graph's backward)
from .backward_args import backward_inputs, tensor_list  # noqa: F401  (autograd's, tensor's)
from .backward_passes import (BackwardPass, PassKeepingNoGrad, grad_stamp,  # noqa: F401
                              leading_to)  # (leading_to: autograd_functional's)
from .by_identity import ByIdentity
from .grad_starts import differs, held_by, keep_node_change, note_start
from .grad_mode import enable_grad, no_grad
from .grad_layout import contracted_grad
from .hook_changes import keep_sent, sent_on
from .hook_results import (forward_pre_hook_result, hook_replacement,  # noqa: F401  (nn's)
                           node_hook_result)
from .op_errors import named
from .retained_grads import (asked_to_retain, kept_for, retain_grad,  # noqa: F401  (tensor's)
                             retain_with, retained, retains)
from .tracked import writes


_hooks = ByIdentity()  # tensor -> its hooks, {handle id: hook} in registration order
_post_accumulate = ByIdentity()  # leaf -> {handle id: hook(leaf)}, after its .grad is added
# leaf -> True: its post-accumulate-grad hooks, all removed, left a change its .grad holds;
# its passes go on noting where .grad starts until the change is gone (`removed_post_changes`)
_post_removed = ByIdentity()
_node_hooks = ByIdentity()  # node -> ({id: pre-hook(grad_outputs)}, {id: hook(gI, gO)})
_watched = ByIdentity()  # node -> True: it runs hooks kept elsewhere (`watch_grad_starts`)
_before_node_prehooks: dict = {}  # id(a retained tensor) -> its gradient before them, in a pass
# Held while a hook is registered and while the extension is switched off, so that it is
# never switched off between a registration and its switching on.
_registering = threading.Lock()


class GradientHooks(engine.Extension):
    """Runs a tensor's hooks on its complete gradient, then its node's pre-hooks; a hook may
    replace it. After the node's backward, its hooks, which may replace its inputs'. Each
    notes whether its hooks sent on other numbers than they got (`keep_sent`,
    `keep_node_change`), and where a `.grad` this pass adds into starts (`note_start`)."""

    def gradient(self, tensor: Any, grad: Any) -> Any:
        if not (_hooks._entries or _node_hooks._entries or _watched._entries
                or hook_changes.kept_removed()):  # (no `_hooked_somewhere` call per tensor)
            _switch_off_unless_needed()  # every one that had a hook is gone
            return grad
        own, changers = _hooks._entries and _hooks.get(tensor), set()
        hooked = bool(own)  # (a hook may remove itself: its change is kept as a removed one's)
        for key, hook in list(own.items()) if own else ():
            got = np.array(getattr(grad, "_data", grad))  # (a hook may change it in place)
            grad = _hooked(grad, hook(_as_tensor(grad)), tensor)
            if _users(tensor, hook) and differs(got, grad):
                changers.add(key)
        if hooked and (changers or tensor._ctx is not None):  # (a leaf's: kept where changed)
            keep_sent(tensor, grad, frozenset(changers))
            if not own:  # (the last removed itself in its run: kept as a removed hook's)
                _keep_removed(tensor)
        if (tensor._ctx is None or retained._entries and retains(tensor)) \
                and (stamp := grad_stamp()):
            note_start(tensor, stamp)  # (the .grad this pass adds into starts here, or earlier)
        before = grad
        for hook in list(_node_hooks.get(tensor._ctx, _NONE)[0].values()) \
                if _node_hooks._entries else ():
            got = np.array(getattr(grad, "_data", grad))
            replaced = hook((_as_tensor(grad),))  # (grad_outputs: one output per node here)
            grad = grad if replaced is None else _hooked(grad, node_hook_result(replaced, 1)[0],
                                                         tensor)
            keep_node_change(tensor._ctx, differs(got, grad))
        if grad is not before and retains(tensor):  # (retain_grad keeps the gradient its
            _before_node_prehooks[id(tensor)] = (weakref.ref(tensor), before)  # hooks gave)
        return grad

    def after_backward(self, node: Any, grad: Any, input_grads: list) -> None:
        for hook in list(_node_hooks.get(node, _NONE)[1].values()) if _node_hooks._entries \
                else ():
            got = [None if g is None else np.array(getattr(g, "_data", g)) for g in input_grads]
            replaced = hook(tuple(None if g is None else _as_tensor(g) for g in input_grads),
                            (_as_tensor(grad),))
            given = () if replaced is None else node_hook_result(replaced, len(input_grads))
            for k, g in enumerate(given):
                if input_grads[k] is not None and g is not None:  # (vjp's list: the pass reads it)
                    input_grads[k] = _hooked(input_grads[k], g, node.parents[k])
            keep_node_change(node, any(old is not None and differs(old, new)
                                        for old, new in zip(got, input_grads)))


_NONE: tuple = ({}, {})  # (a node with no hooks: none before, none after)


def changed_into(tensor: Any, holder: Any) -> bool:
    """Whether a hook of the user's on `tensor` changed numbers in a pass whose gradient
    `holder`'s `.grad` holds: one from the pass that started it (`_started`) on. A hook
    run after `tensor`'s `.grad` is added to counts for its own where it changed `.grad`
    and is on it still (one removed since: `removed_post_changes`); one in an autograd.grad
    pass, for a retain_grad() tensor's `.grad` only (`retained_at`)."""
    sent = sent_on(tensor)
    return has_user_hooks(tensor) and (
        sent is not None and (held_by(sent.changed_at, holder) or holder._ctx is not None
                              and retains(holder) and held_by(sent.retained_at, holder))
        or tensor is holder and bool(grad_starts.post_changers(tensor)
                                     & (_post_accumulate.get(tensor) or {}).keys()))


def removed_post_changes(leaf: Any) -> int:
    """How many post-accumulate-grad hooks removed since (from `leaf`; others may be on it)
    changed the `.grad` it holds: the diagrams name them, `its hook, now removed`."""
    changers = grad_starts.post_changers(leaf) if _post_removed._entries \
        or _post_accumulate.get(leaf) else frozenset()
    return len(changers - (_post_accumulate.get(leaf) or {}).keys())


def node_changed_into(node: Any, holder: Any) -> bool:
    """Whether a hook on `node` changed numbers in a pass whose gradient `holder`'s `.grad`
    holds (`changed_into`'s, for a node's hooks)."""
    return node is not None and (node_has_hooks(node) or _watched.get(node) is not None) \
        and held_by(grad_starts.node_changed_at(node), holder)


def _as_tensor(grad: Any) -> Any:
    """A gradient as a hook gets it: a Tensor (a copy's worth: its own array object)."""
    return grad if isinstance(grad, engine.Tensor) else engine.Tensor.from_op(np.asarray(grad),
                                                                              None)


def _hooked(grad: Any, replaced: Any, tensor: Any) -> Any:
    """`grad`, or the gradient a hook returned in its place (checked to fit `tensor`); in a
    pass with create_graph=True a Tensor returned keeps its graph."""
    if replaced is None:
        return grad
    array = hook_replacement(replaced, tensor)
    if not isinstance(grad, engine.Tensor):
        return array
    return replaced if isinstance(replaced, engine.Tensor) and replaced.dtype == tensor.dtype \
        else engine.Tensor.from_op(array, None)


_extension = GradientHooks()


def _switch_off_unless_needed() -> None:
    with _registering:
        if not _hooked_somewhere():
            engine.switch(_extension, on=False)


def _hooked_somewhere() -> bool:
    """Whether a hook the extension runs is live, or a module's, judged by where `.grad`
    starts, which it notes (`watch_grad_starts`; a post-accumulate-grad hook's leaf notes
    its own in `_accumulated`)."""
    return bool(_hooks._entries or _node_hooks._entries or _watched._entries
                or hook_changes.kept_removed())


def watch_grad_starts(node: Any) -> None:
    """`node` runs hooks kept elsewhere (a module's backward hooks, nn's; `keep_node_change`)
    that changed numbers in this pass: from here on, while it lives, passes note where `.grad`
    starts, for `node_changed_into` (a change it does not make needs none noted)."""
    with _registering:
        _watched.set(node, True)
        if _extension not in engine.extensions:  # (a module call each: no second switching)
            engine.switch(_extension)


_ids = itertools.count()  # hook keys: never reused (next() on a count is thread-safe)


class RemovableHandle:
    """What a hook's registration returns (`t.register_hook(fn)`, a module's
    `register_forward_hook`), as PyTorch's: `handle.remove()` takes the hook off (also on
    leaving `with handle:`); calling it, `handle()`, does the same. It keeps neither the
    tensor nor its graph alive; a second removal does nothing. `id`: the hook's key among
    its tensor's or module's hooks, given to no other hook ever (so a removal, however
    late or repeated, takes off its own hook only)."""

    def __init__(self, remove: Callable[[], None], id: int | None = None) -> None:  # noqa: A002
        self._remove, self.id = remove, next(_ids) if id is None else id

    def remove(self) -> None:
        self._remove()

    def __call__(self) -> None:
        self._remove()

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._remove()


def register_hook(tensor: Any, hook: Callable) -> RemovableHandle:
    """Call `hook(grad)` when `tensor`'s gradient is complete; returns a handle whose
    `remove()` takes the hook off."""
    if not tensor.requires_grad:
        raise RuntimeError("register_hook() on a tensor that does not require a gradient")
    if not callable(hook):
        raise TypeError(f"register_hook: expected a function hook(grad), got "
                        f"{type(hook).__name__}")
    return _registered(_hooks, tensor, hook)


def _registered(kept: ByIdentity, tensor: Any, hook: Callable) -> RemovableHandle:
    """`hook` added to `tensor`'s in `kept`, the extension switched on; `remove()` takes it
    off by its own key (a function registered twice is two hooks), and the tensor's entry
    with its last hook, keeping neither the tensor nor its graph alive."""
    hooked, key = weakref.ref(tensor), next(_ids)
    with _registering:
        hooks = kept.setdefault(tensor, {})  # (its old version's after a change: move_hooks)
        hooks[key] = hook
        if kept is not _post_accumulate:  # (run by `_accumulated`, on its leaf only)
            engine.switch(_extension)

    def remove() -> None:
        with _registering:
            hooks.pop(key, None)
            tensor = hooked()
            if tensor is not None and not hooks and kept.get(tensor) is hooks:
                kept.discard(tensor)
                if kept is _hooks:  # (what they sent: kept where it changed numbers)
                    _keep_removed(tensor)
                elif kept is _post_accumulate:  # (its change may outlive it in .grad)
                    _note_removed_change(tensor)
            elif tensor is not None and kept is _hooks and hooks:  # (one of several: its
                _keep_removed(tensor, key)  # change kept, the others' sent kept)
    return RemovableHandle(remove, key)


def register_post_accumulate_grad_hook(tensor: Any, hook: Callable) -> RemovableHandle:
    """Call `hook(tensor)` after backward() added the leaf `tensor`'s whole gradient into its
    `.grad` (PyTorch's Tensor.register_post_accumulate_grad_hook: an optimizer step per
    parameter inside the pass); returns a handle whose `remove()` takes it off."""
    where = "register_post_accumulate_grad_hook"
    if not tensor.requires_grad or tensor._ctx is not None:
        raise RuntimeError(f"{where}: only a leaf that requires a gradient gets one (this "
                           f"tensor {'was made by an op' if tensor._ctx else 'needs none'}); "
                           f"register it on the parameter itself")
    if not callable(hook):
        raise TypeError(f"{where}: expected a function hook(tensor), got {type(hook).__name__}")
    return _registered(_post_accumulate, tensor, hook)


# Two threads' passes may reach one leaf (a shared weight): reading .grad and setting the
# sum must not interleave, or one thread's gradient is lost.
_grad_lock = threading.Lock()


def _accumulated(tensor: Any, grad: Any) -> None:
    """`grad` (an array; with create_graph=True a Tensor, its graph kept) added into
    `tensor.grad` as a new tensor, a leaf's laid out as PyTorch's (`contracted_grad`: in the
    leaf's strides), then its post-accumulate-grad hooks run. Backward never writes into a
    `.grad` the user kept (`zero_grad(set_to_none=False)` does: it zeroes it in place, as
    PyTorch's)."""
    if _before_node_prehooks:  # (a node pre-hook replaced a retained tensor's gradient)
        grad = _prehooked(tensor, grad)
    # `i.requires_grad = True` on an integer tensor (refused when set too) is caught here
    if tensor._data.dtype.kind != "f":
        tensor._check_float("backward(): a leaf with requires_grad set by hand")
    graph = isinstance(grad, engine.Tensor)
    with _grad_lock:
        earlier = tensor._grad
        if earlier is None:  # a copy: an op may hand one gradient to several inputs
            added = grad.clone() if graph else engine.Tensor.from_op(np.array(grad), None)
        else:  # (a gradient from before an update mixed in: said where .grad is used)
            mixed = versions.grad_mixed(tensor)
            added = earlier + grad if graph else engine.Tensor.from_op(
                np.asarray(earlier._data + grad), None)
            if mixed:
                versions.mixed.add(added)
        if tensor._ctx is None:  # (a new array: .grad is a new tensor each time it is added to)
            laid_out = contracted_grad(tensor._data, None if earlier is None else earlier._data,
                                       added._data)
            if laid_out is not None:
                added._data = laid_out
        tensor._grad = added
        tensor._grad_at = writes[0]  # the write clock: when .grad was last set
    if _post_accumulate._entries or _post_removed._entries:  # (a removed hook's change: kept
        hooked = _post_accumulate.get(tensor)  # while this .grad goes on from the one it changed)
        if hooked or _post_removed.get(tensor):
            start = grad_starts.post_start(tensor, earlier)  # (a hook's change: `changed_into`)
            touched = _post_hooks_run(tensor, added, hooked) if hooked else frozenset()
            grad_starts.keep_post_change(tensor, start, added, touched)
            if not _post_accumulate.get(tensor):  # (none on it now: one may have removed itself)
                _note_removed_change(tensor)


def _keep_removed(tensor: Any, key: int | None = None) -> None:
    """A tensor hook of `tensor` removed (`key`; None: its last): what it changed kept as a
    removed hook's change. A result's in hook_changes.py (`keep_removed`, the extension on
    while it lives); a leaf's as a removed post-accumulate-grad hook's is (`_post_removed`,
    grad_starts.py's `keep_removed_change`): the passes adding into its `.grad` tell whether
    it still holds it (`_accumulated`), so no extension stays on for a leaf never used again."""
    if tensor._ctx is not None:
        hook_changes.keep_removed(tensor, key)
        return
    sent = sent_on(tensor)
    if key is None:
        hook_changes.keep_removed(tensor, key, keep=False)  # (what they sent: no longer theirs)
    if sent is not None and sent.changed_at and (key is None or key in sent.changers):
        grad_starts.keep_removed_change(tensor, sent.changed_at,
                                        sent.changers if key is None else frozenset((key,)))
        _post_removed.set(tensor, True)


def _post_hooks_run(leaf: Any, added: Any, hooked: dict) -> frozenset:
    """`leaf`'s post-accumulate-grad hooks run after `added` became its `.grad`: the keys of
    those that set `.grad` or wrote into it (whose change, if any, is theirs)."""
    touched = set()
    for key, hook in list(hooked.items()):
        before = leaf._grad
        versions_before = _versions(before, added)
        returned = hook(leaf)  # (the tensor itself is let through, as PyTorch lets
        if returned is not None and returned is not leaf:  # `p.add_(...)` through)
            raise (RuntimeError if isinstance(returned, engine.Tensor) else TypeError)(
                f"register_post_accumulate_grad_hook: a hook returned "
                f"{type(returned).__name__} {returned!r:.40}; it gets the tensor, reads "
                f"or updates it, and returns None (PyTorch's rule)")
        if leaf._grad is not before or _versions(before, added) != versions_before:
            touched.add(key)
    return frozenset(touched)


def _versions(*tensors: Any) -> tuple:
    """The version counters' values of `tensors` (0 for one never read or written, or None:
    its counter is made at the first read)."""
    return tuple(0 if t is None or t._version is None else t._version[0] for t in tensors)


def _note_removed_change(leaf: Any) -> None:
    """`leaf` has no post-accumulate-grad hook now: its passes go on noting where `.grad`
    starts while it holds a change of one removed (`_post_removed`), and stop once not."""
    if grad_starts.post_changers(leaf):
        _post_removed.set(leaf, True)
    else:
        _post_removed.discard(leaf)


def register_prehook(node: Any, hook: Callable) -> RemovableHandle:
    """`grad_fn.register_prehook(hook)`, PyTorch's: `hook(grad_outputs)` (a tuple of the
    output's gradient) runs before the node's backward, after its output's tensor hooks;
    it may return a tuple of replacements. Returns a handle whose remove() takes it off."""
    return _register_node_hook(node, hook, False)


def register_node_hook(node: Any, hook: Callable) -> RemovableHandle:
    """`grad_fn.register_hook(hook)`, PyTorch's: `hook(grad_inputs, grad_outputs)` runs after
    the node's backward (an input needing no gradient: None); it may return a tuple of
    replacements of grad_inputs. Returns a handle whose remove() takes it off."""
    return _register_node_hook(node, hook, True)


def _register_node_hook(node: Any, hook: Callable, after: bool) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"grad_fn.register_{'' if after else 'pre'}hook: expected a function, "
                        f"got {type(hook).__name__}")
    key = next(_ids)
    with _registering:
        hooks = _node_hooks.setdefault(node, ({}, {}))[after]
        hooks[key] = hook
        engine.switch(_extension)
    return RemovableHandle(lambda: hooks.pop(key, None), key)


engine.Function.register_prehook = register_prehook  # (methods of every node: grad_fn's)
engine.Function.register_hook = named(register_node_hook, "register_hook", engine.Function)


def move_hooks(tensor: Any, before: Any) -> None:
    """`tensor` changed in place: its hooks are its old version's, `before`'s (PyTorch's
    hooks belong to the version they were registered on; retain_grad to the newest)."""
    with _registering:
        hooks = _hooks.get(tensor)
        if hooks is not None:
            _hooks.discard(tensor)
            _hooks.set(before, hooks)
        hook_changes.move_sent(tensor, before)  # (what they sent on: the old version's too)


def _prehooked(tensor: Any, grad: Any) -> Any:
    """`grad`, or what a node pre-hook replaced it with for `tensor`."""
    hooked, replaced = _before_node_prehooks.pop(id(tensor), (None, None))
    return replaced if hooked is not None and hooked() is tensor else grad


def retained_accumulated(tensor: Any, grad: Any) -> None:
    """`_accumulated` of a retained non-leaf's gradient; an old version's into the `.grad`
    of the tensor it was kept for (`retain_with`), out of the leaves' path."""
    owner = kept_for(tensor)
    if owner is None:
        return _accumulated(tensor, grad)
    grad = _prehooked(tensor, grad) if _before_node_prehooks else grad
    if (owner := owner()) is not None:
        _accumulated(owner, grad)


def has_user_hooks(tensor: Any) -> bool:
    """Whether a gradient hook of the user's is on this tensor (`register_hook`, or after
    its `.grad` is added to): `freeze_`'s own, which zeroes the frozen entries, is none."""
    return any(_users(tensor, hook) for hook in (_hooks.get(tensor) or {}).values()) \
        or bool(_post_accumulate.get(tensor))


def user_hook_keys(tensor: Any) -> set:
    """The keys of the user's gradient hooks on this tensor now (`freeze_`'s is none)."""
    return {key for key, hook in (_hooks.get(tensor) or {}).items() if _users(tensor, hook)}


def _users(tensor: Any, hook: Callable) -> bool:
    """Whether `hook`, on `tensor`, is the user's: `freeze_`'s own is not."""
    return hook != getattr(tensor, "_zero_frozen_entries", None)


def node_has_hooks(node: Any) -> bool:
    """Whether a hook is on this node (`grad_fn.register_prehook`, `register_hook`)."""
    return any(_node_hooks.get(node, _NONE))


def accumulate_grads(start: Any, seed: Any, retain_graph: bool,
                     inputs: list | None = None, create_graph: bool = False) -> None:
    """One backward pass from `start`, gradients added into `.grad` (`t.backward()` and
    `tg.autograd.backward`): every leaf's and retain_grad() tensor's; with `inputs`, as
    PyTorch's backward(inputs=...), those tensors' only (leaves or not) and the retained
    tensors' on a path to one of them (`gradients_to`: the nodes PyTorch runs).
    `create_graph`: `seed` is a Tensor and so is each gradient, with its graph."""
    _before_node_prehooks.clear()  # (what an earlier pass, a drawing's, left)
    # grad mode during the pass is create_graph, as in PyTorch's engine: with it, .grad's
    # sums are recorded too; without, a hook's ops (p.add_(...) on a leaf) record nothing
    with enable_grad() if create_graph else no_grad():
        if inputs is not None:
            for tensor, grad in gradients_to(start, seed, retain_graph, inputs, None,
                                             create_graph, keeping_grad=True).items():
                (_accumulated if tensor._ctx is None else retained_accumulated)(tensor, grad)
            return
        any_retained = retained._entries  # (empty mostly: then no call per tensor to ask)
        with BackwardPass(start, None):
            for tensor, grad, _ in engine.backward(start, seed, retain_graph,
                                                   create_graph=create_graph):
                if tensor._ctx is None:
                    _accumulated(tensor, grad)
                elif any_retained and retains(tensor):
                    retained_accumulated(tensor, grad)


def gradients_to(start: Any, seed: Any, retain_graph: bool, wanted: Any,
                 leading: set | None = None, create_graph: bool = False,
                 keeping_grad: bool = False) -> dict:
    """One backward pass from `start` for the gradients of `wanted` only (PyTorch's
    backward(inputs=...), autograd.grad, autograd.functional): {tensor: its gradient} for
    each of `wanted` that the pass reaches, and each retain_grad() tensor on a path to one
    of them. The pass runs the nodes on such a path only (`leading`: `leading_to`'s, given
    when the caller has it), so only their hooks run, and the graph off those paths (below
    a non-leaf input, or a side branch) is neither run nor freed: a later pass may need it,
    as PyTorch's. `keeping_grad`: the caller adds them into `.grad` (backward(inputs=...))."""
    leading = leading_to(start, wanted) if leading is None else leading
    wanted, found = set(wanted), {}  # (an unused input gets no gradient)
    running = (BackwardPass if keeping_grad else PassKeepingNoGrad)(start, leading)
    with enable_grad() if create_graph else no_grad(), running:  # (above)
        for tensor, grad, _ in engine.backward(start, seed, retain_graph, leading, create_graph):
            if tensor in wanted or tensor._ctx is not None and retains(tensor):
                found[tensor] = grad
    return found

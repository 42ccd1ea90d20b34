"""Activation checkpointing, as PyTorch's `torch.utils.checkpoint`: memory traded for a
second forward.

To compute gradients, backward() needs what the forward pass computed in between (the
activations): every op keeps its inputs until the backward pass has used them, so a deep
model holds all its layers' intermediate tensors at once. `checkpoint(fn, *args,
use_reentrant=False)` runs `fn` as usual, graph and all, then keeps only its outputs'
values: the graph inside `fn`, and every tensor in it, is let go. In the graph, one node
stands for the whole call, its inputs the tensors from outside `fn` that the outputs were
computed from (the arguments, and what `fn` reads besides: a layer's parameters, a tensor
it closes over). When backward() reaches it, `fn` runs a second time, its graph recorded
again, and the gradients go back through that one to those inputs. Same values, same
gradients; the price is running `fn` twice. While `fn` runs, its graph is held as
without checkpoint: the saving is in what is kept after it returns, until backward().
`checkpoint_sequential` does it for the segments of a sequence of layers (all but the
last), so that only the segments' boundaries are kept.

Inside `fn` everything is as without checkpoint, both times (PyTorch's use_reentrant=False):
gradients are on, its tensors require a gradient, in-place changes are recorded, and a
hook it registers on one of them runs in the backward pass (on the second run's), and a
leaf it makes with requires_grad=True gets its gradient (the first run's leaf, as
PyTorch's: the second run's tensors are matched to the first's by position). Only an
in-place change of a tensor from outside `fn` is refused, since the second run would
change it again: one `fn` was given, or read needing a gradient, at the call (where
PyTorch's refuses at backward()); one it read needing none, when backward() runs `fn`
again (until then it cannot be told from a tensor `fn` made and filled in place), and
only where an op that records a gradient reads it directly: read through another op
first (`c * 2`), its change is not seen and the gradient is computed from the changed
values, as PyTorch's is. The
outputs are parts of the node's one output, so a tensor returned twice is one; with
several, one that is a view of an argument or of what `fn` read is returned as `fn` made
it (its view ops kept, as PyTorch's), and two that share memory are refused at the call.
The second run's graph is cut where it reaches the tensors from outside `fn` (`_cut`),
so its pass stops there and runs no hook of theirs: the outer pass runs them, once. The
node's inputs are the arguments first, then what `fn` read; it saves their arrays as
any op does, so what any op refuses it refuses too: a second backward() without
retain_graph=True (the first lets go of `fn` and what it was called with), and a
backward after an input or a parameter was changed in place (where PyTorch's checkpoint
runs `fn` again on a parameter's new values). A random op draws the same
numbers the second time (`preserve_rng_state=True`, the default: the generator's state is
put back for the rerun, and restored after it). With `create_graph=True` the second run's
graph starts at the inputs themselves, through an identity op, so the gradients
differentiate again (a second derivative). In forward mode (`forward_ad`), an output's
tangent is the one the first run computed.
"""
from __future__ import annotations

import threading
import warnings
import weakref
from typing import Any, Callable, Iterator

import numpy as np

from ..errors import user_stacklevel
from .. import autograd, forward_ad
from .. import random as tg_random
from ..engine import Extension, Function, switch
from ..grad_mode import enable_grad, is_grad_enabled, no_grad
from ..backward_passes import running_pass
from ..tensor import Tensor
from ..tracked import writes
from ._pytree import tree_flatten, tree_unflatten

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError"]


class CheckpointError(RuntimeError):
    """The second run of a checkpointed function did not compute what the first did
    (PyTorch's name): an output of another shape or dtype, or a tensor fewer."""


class _Made(Extension):
    """While `fn` runs: the nodes recorded in its thread, which tell the tensors `fn` made
    from those it was given or read (weakly held: a tensor `fn` drops goes, as usual)."""

    def __init__(self) -> None:
        self.nodes: weakref.WeakSet = weakref.WeakSet()
        self.thread = threading.get_ident()

    def applied(self, node: Any, inputs: tuple, output: Any) -> None:
        if node.parents and threading.get_ident() == self.thread:
            self.nodes.add(node)


def _called(fn: Callable, args: tuple, kwargs: dict) -> tuple[Any, weakref.WeakSet]:
    """`fn(*args, **kwargs)`, and the nodes it recorded."""
    made = _Made()
    switch(made)
    try:
        output = fn(*args, **kwargs)
    finally:
        switch(made, on=False)
    return output, made.nodes


def _edges_out(tensors: list, made: weakref.WeakSet) -> Iterator[tuple]:
    """Where the graph behind `tensors`, recorded by `fn` (`made`), meets the tensors from
    outside `fn` that need a gradient: `(node, position, tensor)`, `tensor` the node's
    input at `position`, in the order met."""
    stack, seen = [t._ctx for t in tensors if t._ctx in made], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for position, parent in enumerate(node.parents):
            if not parent._requires_grad:
                continue
            if parent._ctx in made:
                stack.append(parent._ctx)
            else:
                yield node, position, parent


def _cut(edges: list, stand_ins: dict) -> None:
    """The graph `fn` recorded made to end at `stand_ins` (by the id of the tensor from
    outside `fn` each stands for) where its `edges` (`_edges_out`) leave it."""
    for node, position, parent in edges:
        stand_in = stand_ins.get(id(parent))
        if stand_in is not None:
            parents = list(node.parents)
            parents[position] = stand_in
            node.parents = tuple(parents)


def _met(edges: Any) -> list:
    """The tensors `edges` reach, each once, in the order met."""
    return list({id(tensor): tensor for _, _, tensor in edges}.values())


class _Alias(forward_ad._Identity, register=False, name="checkpoint_input"):
    """The identity: an input of a checkpoint, for the second run's graph to start at
    while it stays connected to the input (create_graph=True)."""


class _Run:
    """One call of `checkpoint`: how to run `fn` again, and what its first run gave."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, rng_state: Any) -> None:
        self.fn, self.args, self.kwargs, self.rng_state = fn, args, kwargs, rng_state
        self.positions: list[int] = []  # which leaves of the output go through the node
        self.shapes: list[tuple] = []
        self.dtypes: list[Any] = []
        self.outside: list[Tensor] = []  # the node's inputs as `fn` reads them
        self.met: list[int] = []  # where in `outside` each tensor its graph meets is
        self.suspects: list = []  # weakly: tensors it read and changed that need no gradient
        self.tangent: np.ndarray | None = None  # forward mode: the outputs', end to end

    def again(self, stand_ins: list) -> list:
        """`fn` run again with gradients recorded (the same random numbers), its graph
        cut at `stand_ins` (one for each of `outside`; the tensors it meets matched to the
        first run's by position, so that a leaf `fn` makes gets its first run's gradient):
        the tensors at `positions` of its output."""
        start = writes[0]
        with tg_random.fork_rng(enabled=self.rng_state is not None):
            if self.rng_state is not None:
                tg_random.set_rng_state(self.rng_state)
            with enable_grad():
                output, made = _called(self.fn, self.args, self.kwargs)
        for suspect in self.suspects:
            tensor = suspect()
            if tensor is not None and tensor._version[0] > start:
                raise RuntimeError(
                    f"checkpoint: the function changed in place a tensor it read (shape "
                    f"{tensor.shape}), and running it again for backward() changed it a second "
                    f"time; change a copy inside it (t = t.clone()) or write the change out "
                    f"of place (t = t * w, not t.mul_(w))")
        leaves = tree_flatten(output)[0]
        chosen = [leaves[k] if k < len(leaves) else None for k in self.positions]
        for k, (tensor, shape, dtype) in enumerate(zip(chosen, self.shapes, self.dtypes)):
            if not isinstance(tensor, Tensor) or tensor.shape != shape or tensor.dtype != dtype:
                what = (f"shape {tensor.shape}, dtype {tensor.dtype}"
                        if isinstance(tensor, Tensor) else type(tensor).__name__)
                raise CheckpointError(
                    f"checkpoint: run again for backward(), the function gave output "
                    f"{self.positions[k]} as {what}, where its first run gave shape {shape}, "
                    f"dtype {dtype}; the function must compute the same each time (keep "
                    f"preserve_rng_state=True for random ops)")
        edges = list(_edges_out(chosen, made))
        met = _met(edges)
        shapes = [self.outside[k].shape for k in self.met]
        if [t.shape for t in met] != shapes:
            raise CheckpointError(
                f"checkpoint: run again for backward(), the function read tensors that need "
                f"a gradient of shapes {[t.shape for t in met]}, where its first run read "
                f"{shapes}; the function must compute the same each time")
        _cut(edges, {id(t): stand_ins[k] for t, k in zip(met, self.met)})
        return chosen

    def gradients(self, parents: tuple, grads: list, connected: bool) -> list:
        """Each of `parents`' gradient (None where none reaches it) from the outputs'
        `grads`, through `fn` run again: stand-ins cut from the graph (first order), or
        identities of the parents themselves (`connected`: create_graph). A parent may
        differ from what `fn` reads (`outside`): a stand-in itself, where this checkpoint
        ran inside another's second run."""
        stand_ins = [_Alias.apply(p) if connected else p.detach().requires_grad_()
                     for p in parents]
        outputs = self.again(stand_ins)
        pairs = [(o, g) for o, g in zip(outputs, grads) if o.requires_grad]
        if not pairs:
            return [None] * len(parents)
        return list(autograd.grad([o for o, _ in pairs], stand_ins,
                                  [g for _, g in pairs], retain_graph=connected,
                                  create_graph=connected, allow_unused=True))


class _Checkpoint(Function, register=False, name="checkpoint"):
    """A checkpointed call: its inputs, the tensors from outside `fn` that need a gradient
    (the arguments first);
    its output, the output tensors that need one, one flat array (the output itself for
    one). It saves its inputs' arrays and the `_Run`, freed by backward() as any op's
    saved arrays are; its backward runs `fn` again and sends the gradients through that
    run. A drawing, which calls no function of the user's, draws the gradients above the
    node only (`runs_function_again`), naming `fn` on it (`function_title`)."""

    runs_function_again = True  # (read by graph/unshown.py)

    def forward(ctx, *arrays: np.ndarray, run: weakref.ref, flat: np.ndarray  # noqa: N805
                ) -> np.ndarray:
        # (`run` given by a weak reference: the parameters stay on the node, the run with
        # its arguments goes with the saved arrays)
        ctx.save_for_backward(*arrays, run())
        ctx.function_title = _title(run().fn)
        return flat

    def backward(ctx, grad: np.ndarray) -> tuple:  # noqa: N805
        if running_pass() is None:  # (a drawing's pass, which calls no function of the user's)
            raise RuntimeError("checkpoint: the gradients through a checkpointed function "
                               "come from running it again, which a drawing does not do; "
                               "draw the model run without checkpoint to see them")
        run = ctx.saved_tensors[-1]
        grads = _split(grad, run.shapes)
        grads = [g.astype(d, copy=False) for g, d in zip(grads, run.dtypes)]
        found = run.gradients(ctx.parents, grads, connected=False)
        return tuple(None if g is None else g._data for g in found)

    def backward_graph(ctx, out: Tensor, grad: Tensor) -> tuple:  # noqa: N805
        run = ctx.saved_tensors[-1]
        return tuple(run.gradients(ctx.parents, _parts(grad, run.shapes, run.dtypes),
                                   connected=True))

    @staticmethod
    def jvp(ctx: Any, *tangents: np.ndarray) -> np.ndarray | None:
        """Forward mode: the outputs' tangent as the first run computed it (None: zeros)."""
        return ctx.saved_tensors[-1].tangent


def _title(fn: Callable) -> str:
    """`fn` as a diagram names it: a module by its class (`Sequential`), a function by its
    name (`f`, `layers 0 to 1` for a segment of checkpoint_sequential); else `its function`."""
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        return type(fn).__name__ if callable(getattr(fn, "forward", None)) else "its function"
    return name


def _split(flat: np.ndarray, shapes: list) -> list:
    """The arrays of `shapes` laid end to end in `flat` (`flat` itself for one)."""
    if len(shapes) == 1:
        return [flat]
    ends = np.cumsum([int(np.prod(s)) for s in shapes])
    return [part.reshape(s) for part, s in zip(np.split(flat, ends[:-1]), shapes)]


def _parts(flat: Tensor, shapes: list, dtypes: list) -> list:
    """`_split` with recorded ops (each part in its dtype), so that each is a result of
    `flat`: a part of the checkpoint's output, or of its gradient."""
    if len(shapes) == 1:
        return [flat]
    parts, start = [], 0
    for shape, dtype in zip(shapes, dtypes):
        size = int(np.prod(shape))
        part = flat[start:start + size].reshape(shape)
        parts.append(part if part.dtype == dtype else part.to(dtype))
        start += size
    return parts


def _through_node(output: Any, made: weakref.WeakSet, run: _Run, start: int) -> Any:
    """`output` with each floating tensor `fn` made that needs a gradient replaced by a part
    of the checkpoint node's output (a tensor returned twice by the same part): the graph
    inside `fn` is let go. Refused where `fn` changed in place a tensor it was given, or
    one it read that needs a gradient (after `start`, the write clock then)."""
    leaves, spec = tree_flatten(output)
    made_here = [k for k, leaf in enumerate(leaves)
                 if isinstance(leaf, Tensor) and leaf.dtype.kind in "fc"
                 and leaf._requires_grad and leaf._ctx in made]
    chosen = list({id(leaves[k]): leaves[k] for k in made_here}.values())
    given = [t for t in tree_flatten((run.args, run.kwargs))[0] if isinstance(t, Tensor)]
    met = _met(_edges_out(chosen, made))
    if len(chosen) > 1:  # (a view of what fn was given or read stays one, graph and all)
        chosen = [t for t in chosen if not _views_of(t, given + met)]
        met = _met(_edges_out(chosen, made))
    if not met:  # (nothing from outside: a tensor fn made that requires a gradient)
        return output
    ids = {id(t) for t in met}
    run.outside = list({id(t): t for t in [t for t in given if id(t) in ids] + met}.values())
    where = {id(t): k for k, t in enumerate(run.outside)}
    run.met = [where[id(t)] for t in met]
    _refuse_changes(run, given, made, start)
    _refuse_overlaps(chosen)
    first = {id(leaves[k]): k for k in reversed(made_here)}  # (where each is first)
    run.positions = [first[id(t)] for t in chosen]
    run.shapes, run.dtypes = [t.shape for t in chosen], [t.dtype for t in chosen]
    flat = (chosen[0]._data if len(chosen) == 1 else
            np.concatenate([t._data.ravel() for t in chosen]).astype(
                np.result_type(*run.dtypes), copy=False))
    run.tangent = _tangent(chosen, flat)
    node_output = _Checkpoint.apply(*run.outside, run=weakref.ref(run), flat=flat)
    if run.tangent is not None and forward_ad.unpack_dual(node_output).tangent is None:
        # (no input of the node has a tangent: fn read a dual tensor that needs no gradient)
        node_output = forward_ad.make_dual(node_output, Tensor.from_op(run.tangent, None))
    parts = {id(t): part for t, part in zip(chosen, _parts(node_output, run.shapes,
                                                             run.dtypes))}
    for k in made_here:
        leaves[k] = parts.get(id(leaves[k]), leaves[k])
    return tree_unflatten(leaves, spec)


def _views_of(tensor: Tensor, others: list) -> bool:
    """Whether `tensor`'s values share memory with one of `others`'."""
    return any(np.shares_memory(tensor._data, other._data) for other in others)


def _refuse_overlaps(chosen: list) -> None:
    """Refused: outputs whose values overlap (one a view of the other), which the parts of
    one node's output cannot be."""
    for k, tensor in enumerate(chosen):
        if _views_of(tensor, chosen[k + 1:]):
            raise RuntimeError(
                f"checkpoint: two outputs of the function share memory (shape "
                f"{tensor.shape}, one a view of the other), which the checkpoint would return "
                f"as separate copies; return a copy (t[1:].clone()), or take the view of the "
                f"output outside the function")


def _refuse_changes(run: _Run, given: list, made: weakref.WeakSet, start: int) -> None:
    """Refused: `fn` changed in place (after `start`) a tensor it was given, or one it read
    that needs a gradient (an old version, where the change was recorded). One it read
    that needs none may be a tensor it made itself (`tg.zeros(3)` filled in place): it is
    kept, weakly, for `again` to refuse when the second run changes it once more."""
    read = {id(p): p for node in list(made) for p in node.parents if p._ctx not in made}
    for tensor in given + run.outside:
        if tensor._version is not None and tensor._version[0] > start:
            raise RuntimeError(
                f"checkpoint: the function changed in place a tensor it was given or read "
                f"(shape {tensor.shape}), which running it again for backward() would "
                f"change a second time; change a copy inside it (t = t.clone()) or write "
                f"the change out of place (t = t * w, not t.mul_(w))")
    run.suspects = [weakref.ref(t) for t in read.values()
                    if t._version is not None and t._version[0] > start]


def _tangent(chosen: list, flat: np.ndarray) -> np.ndarray | None:
    """Forward mode: the tangents of the tensors `chosen`, laid end to end as `flat` (zeros
    for one without); None where none has one."""
    tangents = [forward_ad.unpack_dual(t).tangent for t in chosen]
    if tangents.count(None) == len(tangents):
        return None
    if len(chosen) == 1:
        return tangents[0]._data
    return np.concatenate([(np.zeros(t.shape) if g is None else g._data).ravel()
                           for t, g in zip(chosen, tangents)]).astype(flat.dtype, copy=False)


def _reentrant_given(args: tuple, kwargs: dict, context_fn: Any, debug: bool) -> bool:
    """PyTorch's refusals for use_reentrant=True, and its warning when no argument needs a
    gradient (the outputs then need none: checkpoint runs `fn` without a graph)."""
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if context_fn is not None or debug is not False:
        raise ValueError("Passing `context_fn` or `debug` is only supported when "
                         "use_reentrant=False.")
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      UserWarning, stacklevel=user_stacklevel())
        return False
    return True


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Any = None, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, **kwargs: Any) -> Any:
    """`function(*args, **kwargs)`, its graph not kept: backward() runs it again (this
    module's docstring). Its output may be a tensor, or tuples, lists and dicts of them and
    of other values (returned as they are). `preserve_rng_state=True` (a keyword, the
    default) makes the second run draw the random numbers the first drew.

    `use_reentrant` should be given, as PyTorch 2.13 says: without it PyTorch warns and
    uses True, and so does this. Both run `function` as use_reentrant=False does (PyTorch's
    True runs its first call under no_grad) and give the same gradients (through
    `.backward()` and `tg.autograd.grad` alike); True keeps PyTorch's refusal of keyword
    arguments and, where no argument needs a gradient, returns outputs without one (with
    its warning). An output computed from nothing that needs a gradient needs none here,
    with either; PyTorch's True gives it requires_grad=True when another argument needs
    one (its gradient is None all the same).
    `context_fn` and `debug` (PyTorch's, use_reentrant=False only) are refused, as is a
    `determinism_check` other than "default" or "none"; `early_stop` changes nothing here."""
    preserve = kwargs.pop("preserve_rng_state", True)
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. Starting in PyTorch 2.9, calling checkpoint without "
                      "use_reentrant will raise an exception. use_reentrant=False is "
                      "recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True. Refer to docs for more "
                      "details on the differences between the two variants.",
                      UserWarning, stacklevel=user_stacklevel())
        use_reentrant = True
    if not callable(function):
        raise TypeError(f"checkpoint: function must be callable (a module or a function), "
                        f"got {type(function).__name__} {function!r:.40}")
    recorded = is_grad_enabled()
    if use_reentrant:
        recorded = _reentrant_given(args, kwargs, context_fn, debug) and recorded
    elif context_fn is not None or debug is not False:
        raise NotImplementedError("checkpoint: context_fn and debug (PyTorch's selective "
                                  "checkpointing and its debug log) are not supported here; "
                                  "leave them out")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check={determinism_check!r} is not "
                         f"supported; use 'default' or 'none'")
    if not recorded:
        with no_grad():
            return function(*args, **kwargs)
    run = _Run(function, args, kwargs, tg_random.get_rng_state() if preserve else None)
    start = writes[0]
    output, made = _called(function, args, kwargs)
    return _through_node(output, made, run, start)


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """`functions` (an `nn.Sequential`, or a list of layers or functions) run in turn on
    `input`, in `segments` chunks each checkpointed but the last (PyTorch's): only the
    chunks' inputs are kept for backward(). `preserve_rng_state` as `checkpoint`'s."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
                      "parameter should be passed explicitly. In version 2.9 we will raise "
                      "an exception if use_reentrant is not passed. use_reentrant=False is "
                      "recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True. Refer to docs for more "
                      "details on the differences between the two variants.",
                      UserWarning, stacklevel=user_stacklevel())
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    layers = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if isinstance(segments, bool) or not isinstance(segments, (int, np.integer)) \
            or not 1 <= segments <= max(len(layers), 1):
        raise ValueError(f"checkpoint_sequential: segments must be an int from 1 to the "
                         f"number of functions ({len(layers)}), got {segments!r}")
    size = len(layers) // segments

    def run(start: int, end: int) -> Callable:
        def forward(x: Any) -> Any:
            for layer in layers[start:end]:
                x = layer(x)
            return x
        forward.__name__ = (f"layer {start}" if end - start == 1  # (as a diagram names it)
                            else f"layers {start} to {end - 1}")
        return forward

    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end, len(layers))(input)

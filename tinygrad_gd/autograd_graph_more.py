"""The rest of PyTorch's `torch.autograd.graph` (`tg.autograd.graph`), and two neighbours.

`Node`: what `isinstance(y.grad_fn, Node)` asks (every op's node, and the `AccumulateGrad`
of a leaf that `next_functions` gives), with PyTorch's `name()`, `next_functions`,
`metadata` (a dict per node, for the user) and `register_hook`/`register_prehook`.
`GradientEdge` and `get_gradient_edge(t)`: where `t`'s gradient is computed, usable in
place of `t` as what `tg.autograd.grad` differentiates with respect to (`edge_tensors`
turns edges back into the tensors they stand for). `increment_version(t)`: tell the
graph `t` changed in place behind its back. `register_multi_grad_hook(tensors, fn)`: one
hook over several tensors' gradients in a backward pass.

Also `set_multithreading_enabled`, `is_multithreading_enabled`
(`tg.autograd`'s): the backward pass runs in the calling thread, so the switch is kept
and changes nothing. PyTorch's settings of its GPU streams,
`set_warn_on_accumulate_grad_stream_mismatch` and `set_override_stale_capture_stream`,
are taken and change nothing (no streams here, as on PyTorch's CPU);
`region_activation_memory_budget` is refused in one line, as PyTorch refuses it outside
torch.compile (none here).
"""
from __future__ import annotations

import abc
import threading
import weakref
from typing import Any, Callable, NamedTuple, Sequence

from . import engine
from .autograd_function import AccumulateGrad
from .backward_passes import running_pass
from .engine import Function
from .grad_mode import ContextDecorator, check_flag
from .hooks import BackwardPass, RemovableHandle
from .tensor import Tensor
from .tracked import count_write

__all__ = ["Node", "GradientEdge", "get_gradient_edge", "increment_version",
           "register_multi_grad_hook", "set_warn_on_accumulate_grad_stream_mismatch",
           "set_override_stale_capture_stream", "region_activation_memory_budget"]

# ---------------------------------------------------------------- Node and its metadata


class Node(abc.ABC):
    """A node of the backward graph, PyTorch's torch.autograd.graph.Node: every op's node
    (`y.grad_fn`, a `tg.Function`) and the `AccumulateGrad` that `next_functions` gives
    for a leaf are instances. `name()` is the op's name here ('exp', not 'ExpBackward0');
    `next_functions` one `(node, 0)` per input; `metadata` a dict of the user's own, kept
    with the node; `register_hook(fn)`, `register_prehook(fn)` as PyTorch's (op nodes)."""

    @abc.abstractmethod
    def name(self) -> str:
        """The node's name."""

    @property
    @abc.abstractmethod
    def next_functions(self) -> tuple:
        """One `(node, 0)` per input: the node that made it (None for a constant)."""

    @property
    @abc.abstractmethod
    def metadata(self) -> dict:
        """A dict kept with the node, for the user's own notes."""


def _metadata(node: Function) -> dict:
    """`node.metadata`: a dict of the user's own, made on first use (PyTorch's, which
    cannot be assigned either, only filled)."""
    kept = node.__dict__.get("_metadata")
    if kept is None:
        kept = node.__dict__["_metadata"] = {}
    return kept


Function.metadata = property(_metadata)  # (every op's node: grad_fn's)
Node.register(Function)

_leaf_metadata: dict[int, tuple[weakref.ref, dict]] = {}  # id(leaf) -> (the leaf, its dict)


def _accumulator_metadata(node: AccumulateGrad) -> dict:
    """A leaf's AccumulateGrad `metadata`: one dict per leaf (next_functions makes a new
    AccumulateGrad each time; PyTorch's is the same node while the leaf is in a graph)."""
    leaf, key = node.variable, id(node.variable)
    entry = _leaf_metadata.get(key)
    if entry is None or entry[0]() is not leaf:
        entry = _leaf_metadata[key] = (
            weakref.ref(leaf, lambda _: _leaf_metadata.pop(key, None)), {})
    return entry[1]


AccumulateGrad.metadata = property(_accumulator_metadata)
AccumulateGrad.name = lambda self: "torch::autograd::AccumulateGrad"  # (PyTorch's name)
Node.register(AccumulateGrad)

# ---------------------------------------------------------------- gradient edges


class GradientEdge(NamedTuple):
    """Where a tensor's gradient is computed (PyTorch's GradientEdge): the node that made
    it (a leaf's AccumulateGrad) and which of the node's outputs it is (always 0 here:
    every node has one output). `get_gradient_edge(t)` makes one; `tg.autograd.grad`
    takes it in place of `t`."""

    node: Any
    output_nr: int
    ownership_token: Any = None  # (PyTorch's keeps a graph alive; the node does here)


def get_gradient_edge(tensor: Tensor) -> GradientEdge:
    """The edge where `tensor`'s gradient is computed: `tg.autograd.grad(loss, edge)`
    gives what `tg.autograd.grad(loss, tensor)` gives (PyTorch's get_gradient_edge)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"get_gradient_edge: expected a Tensor, got {type(tensor).__name__} "
                        f"{tensor!r:.40}")
    if not tensor.requires_grad:
        raise RuntimeError("get_gradient_edge: it is not possible to get the gradient edge "
                           f"for a Tensor that does not require gradients (shape "
                           f"{tensor.shape}); create it with requires_grad=True")
    return GradientEdge(tensor._ctx or AccumulateGrad(tensor), 0)


def edge_tensors(outputs: Sequence[Tensor], inputs: Any) -> Any:
    """`inputs` (of `tg.autograd.grad`) with each GradientEdge replaced by the tensor it
    stands for in the graph of `outputs` (the leaf of an AccumulateGrad; the tensor its
    node made); anything else is left as it is, for the caller's own checks."""
    if isinstance(inputs, GradientEdge):
        inputs = [inputs]
    if not isinstance(inputs, (list, tuple)) or not any(isinstance(item, GradientEdge)
                                                        for item in inputs):
        return inputs
    graph = engine.toposort(*[t for t in outputs if isinstance(t, Tensor)])
    made_by = {id(t._ctx): t for t in graph if t._ctx is not None}
    resolved = []
    for k, item in enumerate(inputs):
        if isinstance(item, GradientEdge):
            node = item.node
            if item.output_nr != 0:
                raise ValueError(f"grad: GradientEdge {k} has output_nr {item.output_nr}, but "
                                 f"every node here has one output (0); use get_gradient_edge")
            item = node.variable if isinstance(node, AccumulateGrad) else made_by.get(id(node))
            if item is None:
                raise RuntimeError(f"grad: GradientEdge {k} (node {node!r:.40}) is not in the "
                                   f"graph of the outputs; differentiate with respect to a "
                                   f"tensor the outputs were computed from")
        resolved.append(item)
    return resolved

# ---------------------------------------------------------------- in-place changes unseen


def increment_version(tensor: Tensor | Sequence[Tensor]) -> None:
    """Count an in-place change the graph could not see (PyTorch's increment_version): a
    later backward through an op that saved `tensor` (or each of several) refuses, as
    after `tensor.add_(1)`. For values changed behind the tensor's back, through an array
    made writable on purpose or a raw pointer."""
    tensors = (tensor,) if isinstance(tensor, Tensor) else tensor
    if not hasattr(tensors, "__iter__") or isinstance(tensors, (str, bytes)):
        raise RuntimeError(f"increment_version: expected a Tensor or an iterable of Tensors, "
                           f"got {type(tensor).__name__} {tensor!r:.40}")
    tensors = list(tensors)
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise RuntimeError(f"increment_version: each element must be a Tensor, but "
                               f"element {k} is {type(t).__name__} {t!r:.40}")
    for t in tensors:
        count_write(t._stamp())

# ---------------------------------------------------------------- register_multi_grad_hook


class _Pass:
    """One backward pass's state of a multi-grad hook: the gradients so far, how many of
    the tensors get one in the pass (`expected`) and how many are still to come."""

    __slots__ = ("grads", "expected", "left")

    def __init__(self, size: int, expected: int) -> None:
        self.grads, self.expected, self.left = [None] * size, expected, expected


class _MultiHandle(RemovableHandle):
    """register_multi_grad_hook's handle: `remove()` takes off the hook on every tensor
    (`handles`: one per tensor, as PyTorch's)."""

    def __init__(self, handles: tuple, state: "_MultiGradHook") -> None:
        self.handles, self._state = handles, state
        super().__init__(self._remove_each)

    def _remove_each(self) -> None:
        for handle in self.handles:
            handle.remove()
        self._state.passes.clear()


class _MultiGradHook:
    """The state of one register_multi_grad_hook: its passes in progress, by pass (an
    entry is dropped at the last gradient its pass hands the tensors)."""

    def __init__(self, tensors: list, fn: Callable, mode: str) -> None:
        self.tensors = [weakref.ref(t) for t in tensors]  # (keeps no graph alive)
        self.fn, self.mode, self.lock = fn, mode, threading.Lock()
        self.passes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # (a pass an
        # error cut short is dropped with it)

    def pass_of(self, running: BackwardPass) -> _Pass:
        """This pass's state, made at the first gradient it hands one of the tensors."""
        entry = self.passes.get(running)
        if entry is None:
            entry = self.passes[running] = _Pass(len(self.tensors), self.expected(running))
        return entry

    def expected(self, running: BackwardPass) -> int:
        """How many of the tensors get a gradient in the pass (PyTorch's
        `_will_engine_execute_node`): those its output was made from, and, when the pass
        wants some gradients only (`inputs=`, autograd.grad), those on a path to them."""
        reached = set(engine.toposort(running.output))  # (what the pass walks)
        alive = [ref() for ref in self.tensors]
        return sum(t is not None and t in reached and (running.only is None or t in running.only)
                   for t in alive)

    def hook(self, position: int) -> Callable:
        """The hook on tensor `position`: notes its gradient, and calls `fn` when the last
        one expected in this pass came ('all'), or at the first ('any')."""
        def hook(grad: Tensor) -> None:
            running = running_pass()
            if running is None:  # (a drawing's pass: it draws the gradients, no more)
                return
            with self.lock:
                entry = self.pass_of(running)
                first = entry.left == entry.expected
                entry.grads[position], entry.left = grad, entry.left - 1
                if entry.left <= 0:
                    del self.passes[running]
            if self.mode == "any" and first:  # (its result is ignored, as PyTorch's)
                self.fn(grad)
            elif self.mode == "all" and entry.left <= 0:
                self.fn(entry.grads)
        return hook


def register_multi_grad_hook(tensors: Sequence[Tensor], fn: Callable, *,
                             mode: str = "all") -> RemovableHandle:
    """One hook over several tensors' gradients in each backward pass (PyTorch's
    register_multi_grad_hook). `mode="all"`: `fn(grads)` once every tensor of `tensors`
    that the pass reaches has its gradient, with a list, in their order, of those
    gradients, None for a tensor the pass does not reach (not used, or off the paths to
    backward's `inputs=` or autograd.grad's inputs). `mode="any"`: `fn(grad)` with the
    first gradient the pass gives one of them, once per pass. It runs as a hook of those
    tensors (registered in their order, with their other hooks), sees what their earlier
    hooks gave, and its result is ignored (so a drawing's pass, which changes no gradient,
    does not call it). Returns a handle whose `remove()` takes it off."""
    where = "register_multi_grad_hook"
    if mode not in ("all", "any"):
        raise ValueError(f"{where}: expects mode to be one of ('all', 'any') but got {mode!r}")
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{where}: tensors must be a list or tuple of Tensors, got "
                        f"{type(tensors).__name__} {tensors!r:.40}")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: tensors[{k}] is {type(t).__name__} {t!r:.40}; give "
                            f"Tensors only")
        if mode == "all" and not t.requires_grad:
            raise RuntimeError(f"{where}: tensors[{k}] (shape {t.shape}) does not require a "
                               f"gradient, so none would ever come with mode='all'; leave it "
                               f"out, or use mode='any'")
    if not callable(fn):
        raise TypeError(f"{where}: fn must be a function, got {type(fn).__name__}")
    state = _MultiGradHook(list(tensors), fn, mode)
    return _MultiHandle(tuple(t.register_hook(state.hook(k)) for k, t in enumerate(tensors)
                              if t.requires_grad), state)  # ('any': the others get none)

# ---------------------------------------------------------------- modes


_multithreading = [True]


def is_multithreading_enabled() -> bool:
    """What `set_multithreading_enabled` last set (PyTorch's; True at first)."""
    return _multithreading[0]


class set_multithreading_enabled(ContextDecorator):
    """PyTorch's switch for running backward on a thread per device. Here the backward
    pass always runs in the thread that calls it, one node after another, so the switch
    is checked and kept (`is_multithreading_enabled()`) and changes nothing. Called alone
    it switches; as `with` or a decorator, only inside."""

    def __init__(self, mode: bool) -> None:
        self.mode = check_flag("set_multithreading_enabled", "mode", mode)
        self._previous, _multithreading[0] = _multithreading[0], self.mode

    def __enter__(self) -> None:
        pass  # switched already, when made

    def __exit__(self, *exc: object) -> None:
        _multithreading[0] = self._previous

    def __call__(self, fn: Callable) -> Callable:
        _multithreading[0] = self._previous  # a decorator switches only around its calls
        return super().__call__(fn)

    def _again(self) -> "set_multithreading_enabled":
        return set_multithreading_enabled(self.mode)

    def clone(self) -> "set_multithreading_enabled":
        """A new switch to the same mode (PyTorch's)."""
        return self._again()


# ---------------------------------------------------------------- PyTorch's GPU settings


def set_warn_on_accumulate_grad_stream_mismatch(enabled: bool) -> None:
    """PyTorch's switch of its warning that a gradient arrives on another CUDA stream than
    its leaf's: there are no streams here, so the warning never arises; taken (a bool)
    and changes nothing."""
    check_flag("set_warn_on_accumulate_grad_stream_mismatch", "enabled", enabled)


def set_override_stale_capture_stream(enabled: bool) -> None:
    """PyTorch's setting for a stale stream met while capturing a CUDA graph: there is no
    capture here; taken (a bool) and changes nothing."""
    check_flag("set_override_stale_capture_stream", "enabled", enabled)


def region_activation_memory_budget(budget: float) -> Any:
    """Refused, as PyTorch refuses it outside torch.compile: it sets the share of
    activations a compiled region saves rather than recomputes, and nothing is compiled
    here."""
    raise RuntimeError("region_activation_memory_budget: it sets torch.compile's budget of "
                       "saved activations, and tinygrad_gd compiles nothing (every op runs as "
                       "called, its activations saved); leave the block out, or keep saved "
                       "values elsewhere with tg.autograd.graph.saved_tensors_hooks")

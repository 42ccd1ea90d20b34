"""PyTorch's `torch.autograd.graph` (`tg.autograd.graph`): hooks on what ops save for backward.

`with saved_tensors_hooks(pack_hook, unpack_hook):` hands every array an op recorded
inside saves for backward to `pack_hook` (as a Tensor over it, read-only, no copy) and
keeps only what that returns; before the op's backward, `unpack_hook(packed)` gives the
array back (a Tensor or ndarray of the saved array's shape), each time the op's backward
runs (`retain_graph=True`: each pass). Use it to keep saved values elsewhere (on disk,
compressed) or to see what a graph keeps. As PyTorch's, the hooks are per thread, the
innermost of nested blocks wins, an op keeps the unpack hook it was packed with (its
backward may run outside the block or in another thread), and both hooks run with grad
mode off. `save_on_cpu` exists so that PyTorch programs run: arrays are in host memory
already, kept as they are. `disable_saved_tensors_hooks(message)` makes entering either
raise RuntimeError(message) in its thread.

It joins the engine as one extension, `SavedTensorsHooks`, on while a block is open in
some thread or a node still holds packed values, switched off by the first call that
finds neither (it then costs nothing). It runs after `versions.py`'s `VersionCheck`,
which notes the saved arrays by identity before they are packed and keeps refusing a
backward through values changed in place (PyTorch skips that check for saved tensors
that went through hooks; here the guarantee holds with hooks too).

`allow_mutation_on_saved_tensors()` is such a block whose hooks keep a copy of each saved
array, so that the values may change in place before backward.

The rest of PyTorch's torch.autograd.graph (`Node`, `GradientEdge`,
`get_gradient_edge`, `increment_version`, `register_multi_grad_hook`, and its GPU
settings) is in `autograd_graph_more.py`, and reached from here.
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any, Callable, Iterator

import numpy as np

from .autograd_graph_more import (GradientEdge, Node, get_gradient_edge,  # noqa: F401
                                  increment_version, region_activation_memory_budget,
                                  register_multi_grad_hook, set_override_stale_capture_stream,
                                  set_warn_on_accumulate_grad_stream_mismatch)
from .engine import Extension, Function, switch
from .grad_mode import check_flag, no_grad
from .tensor import Tensor
from .tracked import read_only_view

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks",
           "allow_mutation_on_saved_tensors", "register_multi_grad_hook", "Node",
           "GradientEdge", "get_gradient_edge", "increment_version",
           "region_activation_memory_budget", "set_warn_on_accumulate_grad_stream_mismatch",
           "set_override_stale_capture_stream"]

Function.saved_specs = None  # per saved entry: (shape, dtype) when packed, None when kept
Function.saved_packed = None  # what pack_hook returned (None for an entry kept as it was)
Function.saved_unpack = None  # the unpack hook in force when the node was recorded


class _Hooks(threading.local):
    stack: tuple = ()  # this thread's (pack_hook, unpack_hook) pairs, innermost last
    disabled: str | None = None  # disable_saved_tensors_hooks' message, while inside it


_hooks = _Hooks()
_open_blocks = [0]  # saved_tensors_hooks blocks open in any thread
# inference.py's: checks of what a node saved, run before a pack hook replaces it
before_packing: list[Callable[[Function, tuple], None]] = []
_packed: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id -> node packed
_switching = threading.Lock()


def _switch_off_unless_needed() -> None:
    with _switching:
        if not _open_blocks[0] and not _packed:
            switch(_extension, on=False)


class SavedTensorsHooks(Extension):
    """Packs the arrays a node saved when it is recorded inside a block; unpacks them
    before each of its backward passes and packs them back (the packed values) after."""

    def applied(self, node: Function, inputs: tuple, output: Any) -> None:
        if not _hooks.stack:
            if not _open_blocks[0] and not _packed:
                _switch_off_unless_needed()
            return
        if not node.parents or not node.saved_tensors:
            return  # recorded nothing, or saved nothing
        for check in before_packing: check(node, inputs)  # noqa: E701  (refusals first)
        pack, unpack = _hooks.stack[-1]
        specs = tuple((a.shape, a.dtype) if isinstance(a, np.ndarray) else None
                      for a in node.saved_tensors)
        if specs.count(None) == len(specs):
            return  # (None, or values that are no arrays: kept as they are, as PyTorch's)
        with no_grad():  # (PyTorch's hooks run with grad mode off too)
            packed = tuple(a if spec is None else _packed_by(pack, a)
                           for a, spec in zip(node.saved_tensors, specs))
        node.saved_tensors = node.saved_packed = packed
        node.saved_specs, node.saved_unpack = specs, unpack
        if pack is _own_copy:  # (allow_mutation_on_saved_tensors: the output saved is a
            node.output_version = None  # copy, which its later writes leave as it was)
        # anomaly mode's byte-for-byte comparison cannot apply to values that went through
        # the user's hooks (a lossy pack is no in-place change): it is left out for them
        node.saved_snapshots = None
        _packed[id(node)] = node

    def before_backward(self, node: Function) -> None:
        if node.saved_specs is None:
            return
        unpack = node.saved_unpack
        with no_grad():
            node.saved_tensors = tuple(
                value if spec is None else _unpacked(node, unpack(value), spec, position)
                for position, (value, spec) in enumerate(zip(node.saved_packed,
                                                             node.saved_specs)))
        node.saved_snapshots = None  # (anomaly mode, switched on after this extension)

    def after_backward(self, node: Function, grad: np.ndarray, input_grads: tuple) -> None:
        if node.saved_specs is None:
            return
        if node.saved_tensors is not None:  # retain_graph: the next pass unpacks again
            node.saved_tensors = node.saved_packed
            return
        node.saved_packed = node.saved_specs = node.saved_unpack = None  # freed
        _packed.pop(id(node), None)
        if not _packed and not _open_blocks[0]:
            _switch_off_unless_needed()


_extension = SavedTensorsHooks()


def _packed_by(pack: Any, array: np.ndarray) -> Any:
    """What pack_hook returns for a saved array, given it as a read-only tensor: a change in
    place would change what backward reads, refused as PyTorch's (a RuntimeError)."""
    try:
        return pack(Tensor.from_op(read_only_view(array), None))
    except ValueError as err:
        if "read-only" not in str(err):
            raise
        raise RuntimeError(f"saved_tensors_hooks: pack_hook changed the tensor it was given "
                           f"(shape {array.shape}) in place, which would change what the op's "
                           f"backward reads; pack a copy (t.clone()) and change that") from None


def _unpacked(node: Function, result: Any, spec: tuple, position: int) -> np.ndarray:
    """What unpack_hook returned, as the array the op's backward reads: checked to be a
    Tensor or ndarray of the saved array's shape, in its dtype."""
    shape, dtype = spec
    array = result._data if isinstance(result, Tensor) else result

    def wrong(what: str) -> str:
        return (f"saved_tensors_hooks: unpack_hook returned {what} for array {position} that "
                f"op '{node.name}' saved (shape {shape}, dtype {dtype}); return a Tensor of "
                f"that shape and dtype, as pack_hook was given")
    if not isinstance(array, np.ndarray):
        raise TypeError(wrong(f"{type(result).__name__} {str(result)[:30]!r}"))
    if array.shape != shape:
        raise RuntimeError(wrong(f"shape {array.shape}"))
    if array.dtype != dtype:  # another float type, as PyTorch's ops would promote: cast
        if not array.dtype.kind == dtype.kind in "fc":
            raise RuntimeError(wrong(f"dtype {array.dtype}"))
        array = array.astype(dtype)
    return array if node.built_in else read_only_view(array)  # (a user's op reads only)


def _callable(name: str, hook: Any) -> Callable:
    if not callable(hook):
        raise TypeError(f"saved_tensors_hooks: {name} must be callable (a function of one "
                        f"argument), got {type(hook).__name__} {str(hook)[:30]!r}")
    return hook


class saved_tensors_hooks:
    """Inside this block, every array an op saves for backward is given to
    `pack_hook(tensor)` and what it returns is kept instead; before the op's backward,
    `unpack_hook(packed)` must give back a Tensor (or ndarray) of the same shape and
    dtype (PyTorch's torch.autograd.graph.saved_tensors_hooks).

    `pack_hook` gets a read-only Tensor over the saved values (no copy; it must not
    change them); both hooks run with grad mode off. Blocks nest (the innermost's hooks
    are used) and are per thread; an op recorded outside is untouched, even when its
    backward runs inside. The unpack hook runs before every backward pass through the op
    (again with `retain_graph=True`), and once when a diagram draws a user's op it packed
    (a drawing calls no pack hook). Example: pack to a list and unpack by index,
    `with saved_tensors_hooks(lambda x: store.append(x) or len(store) - 1,
    lambda i: store[i]): loss = model(x)`.
    """

    def __init__(self, pack_hook: Callable[[Tensor], Any],
                 unpack_hook: Callable[[Any], Tensor]) -> None:
        self.pack_hook = _callable("pack_hook", pack_hook)
        self.unpack_hook = _callable("unpack_hook", unpack_hook)

    def __enter__(self) -> None:
        if _hooks.disabled is not None:
            raise RuntimeError(_hooks.disabled)
        _hooks.stack += ((self.pack_hook, self.unpack_hook),)
        with _switching:
            _open_blocks[0] += 1
            switch(_extension)

    def __exit__(self, *exc: object) -> None:
        _hooks.stack = _hooks.stack[:-1]
        with _switching:
            _open_blocks[0] -= 1
        _switch_off_unless_needed()


class save_on_cpu(saved_tensors_hooks):
    """PyTorch's save_on_cpu (saved tensors moved to host memory until backward): here
    every array is in host memory already, so saved arrays are kept as they are; it
    exists so that PyTorch programs run. `pin_memory` and `device_type` are checked and
    change nothing. As any saved_tensors_hooks block, it nests and can be disabled."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        self.pin_memory = check_flag("save_on_cpu", "pin_memory", pin_memory)
        if not isinstance(device_type, str):
            raise TypeError(f"save_on_cpu: device_type must be a string such as 'cuda', got "
                            f"{type(device_type).__name__} {device_type!r:.30}")
        self.device_type = device_type
        super().__init__(_kept, _kept)


def _kept(value: Any) -> Any:
    return value


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str) -> Iterator[None]:
    """Inside this block (in this thread), entering `saved_tensors_hooks` or
    `save_on_cpu` raises RuntimeError(error_message): for code that cannot work with
    them (PyTorch's torch.autograd.graph.disable_saved_tensors_hooks). As PyTorch's,
    entering it while hooks are in force raises that error too."""
    if not isinstance(error_message, str):
        raise TypeError(f"disable_saved_tensors_hooks: error_message must be a string, got "
                        f"{type(error_message).__name__} {error_message!r:.30}")
    if _hooks.stack:
        raise RuntimeError(error_message)
    previous, _hooks.disabled = _hooks.disabled, error_message
    try:
        yield
    finally:
        _hooks.disabled = previous


def _own_copy(tensor: Tensor) -> np.ndarray:
    return np.array(tensor._data)  # (an array of its own: versions.py sees no shared memory)


class _MutationBlock:
    """What `allow_mutation_on_saved_tensors()` gives `as`: open until the block is left."""

    open = True


_mutation_allowed = [False]  # (one such block at a time, in any thread, as PyTorch's)


@contextlib.contextmanager
def allow_mutation_on_saved_tensors() -> Iterator[_MutationBlock]:
    """Inside this block, a tensor an op saved for backward may be changed in place
    afterwards: the op's backward uses the values it saw (PyTorch's
    torch.autograd.graph.allow_mutation_on_saved_tensors). Run the backward inside the
    same block: after it, or in another, that backward raises RuntimeError.

    It is a saved_tensors_hooks block whose pack hook copies each saved array when the
    op is recorded (PyTorch copies on the first change only: memory, as though every
    saved array were changed); so it cannot be entered under disable_saved_tensors_hooks,
    and a saved_tensors_hooks block inside it replaces it for the ops recorded there. One
    at a time: nesting raises RuntimeError."""
    block = _MutationBlock()

    def unpack(copy: np.ndarray) -> np.ndarray:
        if not (_mutation_allowed[0] and block.open):
            raise RuntimeError("allow_mutation_on_saved_tensors: trying to backward outside "
                               "of the block in which the graph was recorded; run the "
                               "backward inside that same block")
        return copy
    with saved_tensors_hooks(_own_copy, unpack):
        if _mutation_allowed[0]:
            raise RuntimeError("allow_mutation_on_saved_tensors: contexts cannot be nested; "
                               "leave the open one first")
        _mutation_allowed[0] = True
        try:
            yield block
        finally:
            block.open, _mutation_allowed[0] = False, False

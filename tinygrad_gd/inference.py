"""Inference tensors, as PyTorch's: what `tg.inference_mode()` makes, and what they refuse.

Every tensor made inside an `inference_mode()` block (created, or by an op) is an
inference tensor: `t.is_inference()` and `tg.is_inference(t)` say True. A view of one
(`t[0]`, `t.T`, `t.reshape(...)`, `t.detach()`) is one too, wherever it is taken; a view
taken inside of an ordinary tensor stays ordinary, and so does whatever an op makes of an
inference tensor outside (`t * 2`, `t.clone()`). Outside the block (and inside
`inference_mode(False)`), as PyTorch's:

- an op recorded for backward that keeps an inference tensor's values to compute a
  gradient refuses it (`t * w`, `t @ w`, `w / t`, a user's op saving it), a copy of them
  in another dtype too (`int_t * w` keeps `int_t` as floats): the op's saved arrays
  (`ctx.save_for_backward`) are read before saved_tensors_hooks pack them, so `t + w`,
  which keeps nothing, runs and its gradient reaches w, under those hooks too;
- the norm functions (layer_norm, group_norm, batch_norm, instance_norm) refuse an
  inference input, weight or running statistic wherever PyTorch's kernel keeps it, though
  their ops here may keep less (`refuse_kept_by`); instance_norm's weight is cloned first,
  as PyTorch's keeps a copy (`copied_as_pytorch`);
- an index, mask, condition or class target is an op's parameter, of which the op keeps
  a copy: an inference one runs (PyTorch's refuses it); an op whose inputs are all
  inference tensors is recorded as any (PyTorch's records nothing: a leaf's gradient lost);
- a view of an inference tensor (`t.T`, `t[0]`, `t.view(...)`) is one, and keeps its
  history (PyTorch's keeps none: a parameter made inside, viewed by an op's own code as
  `F.linear` views its weight, silently gets no gradient there, or a refusal, by layer;
  here the gradient is computed, or the op refuses as above);
- a change of an inference tensor in place refuses, before any value is written (every
  in-place method, `t[i] = v`, the fills; PyTorch's writes, then raises); writes through
  `t.data` stay NumPy's, as PyTorch's `t.data.add_(1)` is allowed;
- `t.requires_grad_()` refuses (`requires_grad_(False)` does not), and so do the functions
  that would make a new parameter of its values (`refuse_requires_grad`: weight norm's);
- so do the writers that go around those methods, before anything changes
  (`refuse_changes`): an optimizer's step where a parameter it would write is one
  (optim_base.py's `step_checks`: one with a gradient; any, for a step of the optimizer's
  own, LBFGS's), nn.utils' clipping of an inference gradient and a parametrization of
  one (nn.utils.parametrize), nn.init's functions (each naming itself).

`t.data = values`, `model.double()` and `vector_to_parameters` run outside, as PyTorch's,
and leave an inference tensor one: PyTorch's `is_inference()` then says False, but the
tensor still refuses in-place changes and even joins no op recorded for backward.

Inside the block nothing is recorded, under an `enable_grad()` within it too.

It joins as one extension, `InferenceTensors`, a check in in_place_recorded.py's
`in_place_checks` (the in-place changes the graph may record), one in optim_base.py's
`step_checks`, one in autograd_graph.py's `before_packing` (the extension's refusal, run
before a pack hook replaces what an op saved) and wrappers of three
Tensor attributes (`_check_writable`, where the other in-place changes check their target,
`detach` and `requires_grad`), all switched on as the first block opens and off by the
first op that finds no block open and no inference tensor alive: a program that never
enters the block pays nothing. While a block is open, in any thread, `Tensor.__init__`,
`Tensor.from_op` and `Tensor.__setstate__` (what `copy.deepcopy`, `copy.copy` and pickle
make: inside, an inference tensor, as PyTorch's; outside, an ordinary one, even of an
inference tensor) are wrapped too, to mark what is made (marks: by id, weakly held).
"""
from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, Iterable

import numpy as np

from . import grad_mode
from .autograd_graph import before_packing
from .engine import Extension, Function, switch
from .grad_mode import _grad_mode
from .in_place_recorded import in_place_checks
from .optim_base import step_checks
from .tensor import Tensor

__all__ = ["is_inference"]

_marked: dict[int, weakref.ref] = {}  # id(t) -> a weak reference to t: the inference tensors
_open_blocks = [0]  # inference_mode() blocks open, in any thread
_switching = threading.Lock()
# Tensor's own attributes that the wrappers below stand in for while switched on
_OWN = {name: Tensor.__dict__[name]
        for name in ("detach", "_check_writable", "requires_grad", "from_op", "__init__")}
_INSTALLED: set[str] = set()  # the names of those whose wrapper is in Tensor's place now
# a Tensor class (Tensor, nn.Parameter, ...) -> its own __setstate__, while a block is open
_SETSTATES: dict[type, Callable] = {}


def is_inference(input: Any) -> bool:  # noqa: A002
    """Whether `input` is an inference tensor (PyTorch's is_inference, and the method
    `t.is_inference()`): made inside `tg.inference_mode()`, or a view of one."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_inference: expected a tensor, got {type(input).__name__} "
                        f"{input!r:.40}")
    return _marked_now(input)


Tensor.is_inference = is_inference  # (joins Tensor from above: tensor.py imports nothing here)


def _marked_now(t: Any) -> bool:
    ref = _marked.get(id(t))
    return ref is not None and ref() is t


def _mark(t: Any) -> None:
    key = id(t)

    def forget(ref: weakref.ref) -> None:  # (t is gone: its id may be another's next)
        if _marked.get(key) is ref:
            del _marked[key]
    _marked[key] = weakref.ref(t, forget)


def _outside(t: Any) -> bool:
    """Whether t is an inference tensor and this thread is outside inference mode."""
    return not _grad_mode.inference and _marked_now(t)


# ------------------------------------------------------------------ the refusals


def _refuse_in_place(t: Any, what: str) -> None:
    if _outside(t):
        raise RuntimeError(
            f"{what}: Inplace update to inference tensor outside InferenceMode is not allowed: "
            f"this tensor (shape {t.shape}) was made inside tg.inference_mode() (or is a view "
            f"of one); make a clone to get a normal tensor (t = t.clone()) and change that, "
            f"or change it inside tg.inference_mode()")


def refuse_in_place(t: Any, what: str) -> None:
    """Refuse `what`, an in-place change of t, where t is an inference tensor and this
    thread is outside inference mode (for a function that checks before its own writes)."""
    if _marked:
        _refuse_in_place(t, what)


def refuse_changes(where: str, tensors: Iterable[Any], instead: str,
                   label: Callable[[int, Any], str] = lambda i, t: f"tensor {i}") -> None:
    """Refuse `where`, which writes into `tensors` (None entries are skipped) outside the
    in-place methods, where one is an inference tensor and this thread is outside
    inference mode: before anything changes, naming it by `label(position, tensor)`."""
    if not _marked or _grad_mode.inference:
        return
    for position, t in enumerate(tensors):
        if t is not None and _marked_now(t):
            raise RuntimeError(
                f"{where}: Inplace update to inference tensor outside InferenceMode is not "
                f"allowed: {label(position, t)} (shape {t.shape}) was made inside "
                f"tg.inference_mode(), and nothing was changed; {instead}")


def refuse_requires_grad(where: str, t: Any, what: str, instead: str) -> None:
    """Refuse `where`, which would make a new leaf that requires a gradient of t's values (an
    nn.Parameter of them, as weight norm's), where t (`what`, in the message) is an inference
    tensor and this thread is outside inference mode (PyTorch's Parameter(t) sets
    requires_grad on t itself)."""
    if _marked and _outside(t):
        raise RuntimeError(
            f"{where}: Setting requires_grad=True on inference tensor outside InferenceMode is "
            f"not allowed: {what} (shape {t.shape}) was made inside tg.inference_mode(), and "
            f"nothing was changed; {instead}")


def refuse_kept_by(where: str, kept: Iterable[tuple[str, Any]], operands: Iterable[Any]
                   ) -> None:
    """Refuse `where`, a function whose PyTorch kernel keeps the `kept` tensors ((name,
    tensor) pairs; anything not a Tensor skipped) for backward whenever it is recorded (grad
    mode on, one of `operands` requiring a gradient), where one is an inference tensor and
    this thread is outside inference mode: before anything is computed or changed. Its ops
    here may keep less (layer_norm's bias: an addition keeps nothing); PyTorch's refusal is
    followed, so a program that runs here runs there."""
    if not _marked or _grad_mode.inference or not _grad_mode.enabled:
        return
    if not any(isinstance(t, Tensor) and t._requires_grad for t in operands):
        return
    for name, t in kept:
        if isinstance(t, Tensor) and _marked_now(t):
            raise RuntimeError(
                f"{where}: Inference tensors cannot be saved for backward: {name} (shape "
                f"{t.shape}) was made inside tg.inference_mode(), and {where} keeps it to "
                f"compute a gradient, as PyTorch's; build the layer outside "
                f"tg.inference_mode() or use a clone (t.clone()), or use tg.no_grad() instead "
                f"of tg.inference_mode()")


def copied_as_pytorch(t: Any) -> Any:
    """t, or its clone (ordinary, recorded: a gradient still reaches t) where t is an
    inference tensor and this thread is outside inference mode: for a function whose PyTorch
    kernel copies t before keeping it (instance_norm's weight and running statistics,
    repeated per sample), so that here too it is not refused for keeping t."""
    if _marked and _outside(t):
        return t.clone()
    return t


def _check_step(optimizer: Any, every: bool) -> None:
    """optim_base's `step_checks`: a step that would write an inference parameter (one with
    a gradient; `every` one for a step of the optimizer's own) refuses before it starts."""
    if not _marked or _grad_mode.inference:
        return
    params = [p for group in optimizer.param_groups for p in group["params"]]

    def label(i: int, p: Any) -> str:  # (the names read only for a refusal's message)
        names = [n for group in optimizer.param_groups for n in group.get("param_names", ())]
        name = names[i] if len(names) == len(params) else p.name
        return f"parameter {i}" + (f" '{name}'" if name else "")
    refuse_changes(
        f"{type(optimizer).__name__}.step",
        [p if every or p._grad is not None else None for p in params],
        "build the model outside tg.inference_mode() (tg.no_grad() records nothing either), or "
        "load these values into one built outside (new.load_state_dict(model.state_dict())), "
        "or optimize a copy (nn.Parameter(p.detach().clone()))", label)


def _check_writable(self: Tensor, what: str, instead: str) -> None:
    _refuse_in_place(self, what)
    _OWN["_check_writable"](self, what, instead)


def _in_place_check(t: Tensor, operands: tuple, what: str) -> None:
    _refuse_in_place(t, what)


def _detach(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    detached = _OWN["detach"](self, *args, **kwargs)  # (a wrong call refused in its words)
    if _marked_now(self):  # (a view of the same values: inference as they are)
        _mark(detached)
    else:
        _marked.pop(id(detached), None)
    return detached


def _set_requires_grad(self: Tensor, flag: Any) -> None:
    if flag is True or flag is np.True_:
        if _outside(self):
            raise RuntimeError(
                f"requires_grad: Setting requires_grad=True on inference tensor outside "
                f"InferenceMode is not allowed: this tensor (shape {self.shape}) was made "
                f"inside tg.inference_mode(); use t.clone().requires_grad_(), or make it "
                f"inside tg.inference_mode()")
    _OWN["requires_grad"].fset(self, flag)


def _kept_for_backward(node: Function, t: Any, inputs: tuple) -> bool:
    """Whether `node` saved for backward input t's values: an array sharing their memory, or,
    for a built-in op, a copy of them in another float dtype (`same_dtype`'s cast of an
    integer input: PyTorch's op saves the input itself; a user's op saving a cast saves a
    new tensor, which PyTorch's allows)."""
    casts = type(node).built_in
    for value in node.saved_tensors or ():
        array = value._data if isinstance(value, Tensor) else value
        if not isinstance(array, np.ndarray):
            continue
        if np.may_share_memory(array, t._data) or casts and _a_cast_of(array, t._data, inputs):
            return True
    return False


def _a_cast_of(array: np.ndarray, values: np.ndarray, inputs: tuple) -> bool:
    """Whether `array`, saved by an op of `inputs`, holds `values` cast to its float dtype:
    no input's own memory, the same shape, equal entries (NaN where NaN)."""
    if (array.dtype.kind != "f" or array.dtype == values.dtype or array.shape != values.shape
            or any(np.may_share_memory(array, x._data) for x in inputs)):
        return False
    with np.errstate(all="ignore"):
        return bool(np.array_equal(array, values.astype(array.dtype), equal_nan=True))


def _unrecord(node: Function, output: Any) -> None:
    """`output` made by `node` as a constant: no history, no gradient."""
    node.parents, node.saved_tensors = (), ()
    output._ctx, output._requires_grad, output._made_by = None, False, node.name


class InferenceTensors(Extension):
    """Inside the block: records nothing, and a view of an ordinary input stays ordinary.
    Outside: refuses an op that keeps an inference input for backward; marks a view of an
    inference input as one."""

    def applied(self, node: Function, inputs: tuple, output: Any) -> None:
        if _grad_mode.inference:
            if node.parents:  # (under enable_grad() within the block: PyTorch's records nothing)
                _unrecord(node, output)
            for t in inputs:
                if not _marked_now(t) and np.may_share_memory(output._data, t._data):
                    _marked.pop(id(output), None)  # (a view of an ordinary tensor)
                    break
            return
        if not _marked:
            if not _open_blocks[0]:
                _switch_off_unless_needed()
            return
        if node.parents:
            _refuse_kept(node, inputs)
        for t in inputs:
            if _marked_now(t) and np.may_share_memory(output._data, t._data):
                _mark(output)  # (a view of an inference tensor)
                break


def _refuse_kept(node: Function, inputs: tuple) -> None:
    """Refuse recorded `node` when it keeps an inference input for backward (the extension's
    check; autograd_graph's `before_packing` too: packed, what it saved cannot be read)."""
    for position, t in enumerate(inputs):
        if _marked_now(t) and _kept_for_backward(node, t, inputs):
            raise RuntimeError(
                f"{node.name}: Inference tensors cannot be saved for backward: input "
                f"{position} (shape {t.shape}) was made inside tg.inference_mode(), and op "
                f"'{node.name}' keeps its values to compute a gradient; make a clone to get "
                f"a normal tensor (t.clone()) and use it, or use tg.no_grad() instead of "
                f"tg.inference_mode()")


_extension = InferenceTensors()

# ------------------------------------------------------------------ switching


def _from_op(cls: type, data: np.ndarray, node: Function | None) -> Tensor:
    made = _OWN["from_op"].__func__(cls, data, node)
    if _grad_mode.inference:
        _mark(made)
    return made


def _init(self: Tensor, *args: Any, **kwargs: Any) -> None:
    _OWN["__init__"](self, *args, **kwargs)
    if _grad_mode.inference:
        _mark(self)


_WHILE_ON = {"detach": _detach, "_check_writable": _check_writable,
             "requires_grad": property(_OWN["requires_grad"].fget, _set_requires_grad,
                                       doc=_OWN["requires_grad"].__doc__)}
_WHILE_A_BLOCK_IS_OPEN = {"from_op": classmethod(_from_op), "__init__": _init}


def _marking(own: Callable) -> Callable:
    """`own`, a Tensor class's __setstate__, marking what it fills in inside a block: a
    tensor that copy.copy, copy.deepcopy or pickle make there is an inference tensor."""
    def setstate(self: Tensor, state: Any) -> None:
        own(self, state)
        if _grad_mode.inference:
            _mark(self)
    setstate.__name__, setstate.__qualname__ = own.__name__, own.__qualname__
    return setstate


def _wrap_setstates(on: bool) -> None:
    """Each Tensor class's own __setstate__ (memory.py's Tensor's, nn.Parameter's, a
    user's subclass's made before the block opened) `_marking`, or back as it was."""
    if not on:
        for cls, own in _SETSTATES.items():
            cls.__setstate__ = own
        _SETSTATES.clear()
        return
    classes, seen = [Tensor], set()
    while classes:
        cls = classes.pop()
        if cls in seen:
            continue
        seen.add(cls)
        classes.extend(cls.__subclasses__())
        own = cls.__dict__.get("__setstate__")
        if own is not None and cls not in _SETSTATES:
            _SETSTATES[cls] = own
            cls.__setstate__ = _marking(own)


def _wrap(wrappers: dict, on: bool) -> None:
    """Put the wrappers in Tensor's place (on) or take them away: what stood there as one
    went in (detach: op_errors' counting wrapper of it; a user's patch) is put back, unless
    the wrapper was replaced meanwhile (that replacement stays)."""
    for name, wrapper in wrappers.items():
        if on and name not in _INSTALLED:
            _OWN[name] = Tensor.__dict__[name]
            setattr(Tensor, name, wrapper)
            _INSTALLED.add(name)
        elif not on and name in _INSTALLED:
            if Tensor.__dict__[name] is wrapper:
                setattr(Tensor, name, _OWN[name])
            _INSTALLED.discard(name)


def _count_block(change: int) -> None:
    """grad_mode's `inference_blocks`: a block opens (1) or closes (-1) in some thread."""
    with _switching:
        _open_blocks[0] += change
        if change > 0:
            switch(_extension)
            _wrap(_WHILE_ON, True)
            if _in_place_check not in in_place_checks:
                in_place_checks.append(_in_place_check)
                step_checks.append(_check_step)
                before_packing.append(_refuse_kept)
        _wrap(_WHILE_A_BLOCK_IS_OPEN, _open_blocks[0] > 0)
        _wrap_setstates(_open_blocks[0] > 0)


def _switch_off_unless_needed() -> None:
    with _switching:
        if not _open_blocks[0] and not _marked:
            switch(_extension, on=False)
            _wrap(_WHILE_ON, False)
            if _in_place_check in in_place_checks:
                in_place_checks.remove(_in_place_check)
                step_checks.remove(_check_step)
                before_packing.remove(_refuse_kept)


grad_mode.inference_blocks = _count_block

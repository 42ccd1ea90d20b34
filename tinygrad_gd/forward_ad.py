"""Forward-mode automatic differentiation: PyTorch's `torch.autograd.forward_ad`.

Inside `with dual_level():`, `make_dual(x, t)` gives a "dual tensor": x's values with a
tangent t, the direction of a directional derivative. Every op then computes its
output's tangent from its inputs' as it runs (a tensor with none counts as zeros), so
`unpack_dual(f(make_dual(x, t))).tangent` is J·t, the Jacobian-vector product of f at x,
from one forward pass. Leaving the level drops every tangent (`unpack_dual` gives None).

How a tangent is computed: the extension `_Tangents` joins the engine while a level is
entered (off, it costs nothing) and sees each op run. A user's op with a `jvp(ctx,
*tangents)` staticmethod (PyTorch's `Function.jvp`; arrays in, arrays out) uses it. Any
other op is differentiated by the "double vjp" trick: its `backward_graph` (its backward
in recorded Tensor ops) on a cotangent u of the output's shape gives g_i = J_iᵀu,
linear in u, so the derivative of sum_i <g_i, t_i> with respect to u is sum_i J_i t_i,
exact, by one backward pass over that small graph. u is ones, not zeros: a backward may
treat g == 0 on its own (xlogy's 0 * ln(0) is 0), and its slope there is not J's, where
J holds NaN or inf (ln(-1)). An op with neither is refused.

Tangents are constants: they never make a primal need a gradient, and a dual tensor may
need one too (reverse mode works through `make_dual` and `unpack_dual`, identity ops).
In-place changes are not followed: one that changes a dual tensor, or writes one into
another tensor, is refused in one line (`_no_change_in_place`), and a dual tensor whose
values changed otherwise (through `.data`) since it got its tangent, where it is next used.
"""
from __future__ import annotations

import copy
import threading
import weakref
from collections import namedtuple
from typing import Any

import numpy as np

from . import engine
from .autograd_function import _user_ops, gradients_for  # (_user_ops: arguments as given)
from .engine import Extension, Function, switch
from .grad_mode import ContextDecorator, enable_grad
from .higher_order import has_backward_graph, sum_to
from .in_place_recorded import in_place_checks
from .tensor import Tensor
from .tracked import read_only_view

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]


class UnpackedDualTensor(namedtuple("UnpackedDualTensor", ["primal", "tangent"])):
    """What `unpack_dual` returns: the primal (the values, without tangent) and the
    tangent (None for a tensor that has none)."""


_current: list = [None]  # the level entered (0; one at a time, as PyTorch's), or None
# id of a dual tensor -> (a weak reference to it, its tangent, the version and array its
# values had when it got it); by id: a weak dictionary would compare tensors with ==
_tangents: dict[int, tuple] = {}
_switching = threading.Lock()


class _Busy(threading.local):
    on = False  # computing a tangent in this thread: its own ops carry none


_busy = _Busy()


def enter_dual_level() -> int:
    """Enter the level (0) in which dual tensors are made and their tangents computed;
    nested levels are refused, as PyTorch refuses them."""
    with _switching:
        if _current[0] is not None:
            raise RuntimeError("enter_dual_level: a dual level (0) is entered already; nested "
                               "forward-mode AD is not supported (PyTorch's rule): exit it "
                               "first, or use the one open `with dual_level():` block")
        _current[0] = 0
        switch(_TANGENTS)
        in_place_checks.append(_no_change_in_place)
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Exit the level: every tangent made in it is dropped (`unpack_dual` gives None)."""
    with _switching:
        if _current[0] is None:
            raise RuntimeError("exit_dual_level: no dual level is entered; enter one first "
                               "(enter_dual_level(), or `with dual_level():`)")
        if level is not None and level != _current[0]:
            raise RuntimeError(f"exit_dual_level: level {level!r} is not the level entered "
                               f"({_current[0]}); exit the last one entered (level=None)")
        _current[0] = None
        _tangents.clear()
        switch(_TANGENTS, on=False)
        in_place_checks.remove(_no_change_in_place)


class dual_level(ContextDecorator):  # noqa: N801  (PyTorch's name)
    """`with dual_level():` (or `@dual_level()` on a function): the level is entered for
    the block, its tangents dropped at its end; `as` gives the level, 0."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()

    def _again(self) -> "dual_level":
        return dual_level()


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A new tensor sharing `tensor`'s values (needing a gradient where it does, its
    gradient flowing to `tensor`) with `tangent` as its tangent, as given."""
    where = "make_dual(tensor, tangent)"
    _level_given(where, level, needed=True)
    for name, value in (("tensor", tensor), ("tangent", tangent)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{where}: {name} must be a Tensor, got {type(value).__name__} "
                            f"{value!r:.40}; wrap it: tg.tensor(...)")
        if value.dtype.kind != "f":
            raise ValueError(f"{where}: {name} must be floating point, got dtype "
                             f"{value.dtype} (shape {value.shape}); convert it: x.double()")
    if tangent.shape != tensor.shape:
        raise RuntimeError(f"{where}: the tangent's shape {tangent.shape} differs from the "
                           f"tensor's {tensor.shape}; give a tangent of shape {tensor.shape} "
                           f"(it is not broadcast, as in PyTorch)")
    if _tangent_of(tensor, where) is not None:
        raise RuntimeError(f"{where}: the tensor (shape {tensor.shape}) has a tangent at "
                           f"level 0 already (it is a dual tensor, or made from one); "
                           f"use unpack_dual(tensor).primal")
    dual = _alias(_Dual, tensor)
    _set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """`(primal, tangent)`: the primal a tensor sharing `tensor`'s values without its
    tangent (its gradient flowing to `tensor`), the tangent as made (None if it has none;
    outside a level every tensor has none, and the primal is `tensor` itself)."""
    where = "unpack_dual(tensor)"
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{where}: tensor must be a Tensor, got {type(tensor).__name__} "
                        f"{tensor!r:.40}")
    _level_given(where, level, needed=False)
    tangent = _tangent_of(tensor, where)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_alias(_Primal, tensor), tangent)


def _level_given(where: str, level: Any, needed: bool) -> None:
    if _current[0] is None and (needed or level is not None):
        raise RuntimeError(f"{where}: no dual level is entered; make and unpack dual tensors "
                           f"inside `with tg.autograd.forward_ad.dual_level():`")
    if level is not None and level != _current[0]:
        raise RuntimeError(f"{where}: level={level!r} is not the level entered "
                           f"({_current[0]}); leave level out (the one entered is used)")


class _Identity(Function, register=False, name="identity"):
    """The identity op, a new tensor of the same values whose gradient passes on unchanged:
    the aliases made here, utils/checkpoint.py's inputs of a second run, and
    graph/twin.py's stand-in for a module's backward hooks."""

    def forward(ctx, x):  # noqa: N805
        return x

    def backward(ctx, grad):  # noqa: N805
        return grad

    def backward_graph(ctx, out, grad):  # noqa: N805
        return grad


class _Dual(_Identity, register=False, name="make_dual"):
    """The identity: a dual tensor's values are its primal's (its gradient is theirs)."""


class _Primal(_Identity, register=False, name="unpack_dual"):
    """The identity: the primal unpack_dual gives shares the dual tensor's values."""


def _alias(op: type, tensor: Tensor) -> Tensor:
    """`op` applied to `tensor`, its result sharing its values and their version counter
    (a write through either is seen by both), carrying no tangent."""
    busy, _busy.on = _busy.on, True
    try:
        result = op.apply(tensor)
    finally:
        _busy.on = busy
    result._version = tensor._stamp()
    return result


def _set_tangent(tensor: Tensor, tangent: Tensor) -> None:
    key = id(tensor)

    def forget(ref: Any) -> None:  # (the tensor died: its id may be given to another)
        if _tangents.get(key, (None,))[0] is ref:
            del _tangents[key]
    version = tensor._version[0] if tensor._version is not None else 0
    _tangents[key] = (weakref.ref(tensor, forget), tangent, version, tensor._data)


def _tangent_of(tensor: Tensor, where: str) -> Tensor | None:
    """`tensor`'s tangent (None: it has none); refused where its values changed in place
    since it got it (the tangent would no longer be theirs)."""
    entry = _tangents.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return None
    _, tangent, version, data = entry
    if tensor._data is not data or (tensor._version[0] if tensor._version else 0) != version:
        raise RuntimeError(f"{where}: a dual tensor of shape {tensor.shape} was changed in "
                           f"place after it got its tangent, which forward-mode AD does not "
                           f"follow here; compute a new tensor instead (y = x * 2, not "
                           f"x.mul_(2))")
    return tangent


def _no_change_in_place(t: Tensor, operands: tuple, what: str) -> None:
    """Refuse an in-place change of a tensor with a tangent, or by one (its tangent would
    be lost: `out[1] = dual` left out without one), in one line."""
    for x in (t, *operands):
        if isinstance(x, Tensor) and _tangent_of(x, what) is not None:
            raise RuntimeError(f"{what}: forward-mode AD does not follow in-place changes "
                               f"here, and a tensor of this change (shape {x.shape}) has a "
                               f"tangent; compute a new tensor instead (y = x * 2, not "
                               f"x.mul_(2); tg.where(mask, value, out), not out[mask] = value)")


class _Tangents(Extension):
    """Gives each op's output its tangent, from its inputs' (while a level is entered)."""

    def applied(self, node: Function, inputs: tuple, output: Any) -> None:
        if _busy.on:
            return
        where = f"forward-mode AD through op '{node.name}'"
        tangents = [_tangent_of(x, where) for x in inputs]
        if tangents.count(None) == len(tangents) or output._data.dtype.kind != "f":
            return  # (integer and boolean results, as PyTorch's, carry no tangent)
        _busy.on = True
        try:
            values = _output_tangent(node, inputs, output, tangents)
        finally:
            _busy.on = False
        _set_tangent(output, Tensor.from_op(values, None))


_TANGENTS = _Tangents()


def _output_tangent(node: Function, inputs: tuple, output: Tensor, tangents: list) -> Any:
    """The output's tangent, an array: the op's own jvp, else the double vjp."""
    own = getattr(type(node), "jvp", None)
    if own is not None:
        return _own_jvp(own, node, inputs, output, tangents)
    if not has_backward_graph(node):
        raise NotImplementedError(
            f"forward-mode AD: op '{node.name}' has no jvp and no backward_graph, so the "
            f"tangent of its output cannot be computed; give it a jvp(ctx, *tangents) "
            f"staticmethod (PyTorch's Function.jvp) or a backward_graph")
    return _double_vjp(node, inputs, output, tangents)


def _double_vjp(node: Function, inputs: tuple, output: Tensor, tangents: list) -> Any:
    """J·t as d/du sum_i <vjp_i(u), t_i>, the vjp the op's backward_graph on constants."""
    needs = tuple(t is not None for t in tangents)
    if node.built_in and any(n and not had for n, had in zip(needs, node.needs_input_grad)):
        # its forward saved only what the inputs needing a gradient need (max_pool2d's
        # positions): run it again (the same arrays, deterministic) as for the dual ones
        ctx = type(node)()
        ctx.saved_tensors, ctx.needs_input_grad = (), needs
        type(node).forward(ctx, *[x._data for x in inputs], **node.params)
    else:
        ctx = copy.copy(node)  # (the node itself is left as the op made it)
    ctx.parents, ctx.needs_input_grad = tuple(_constant(x._data) for x in inputs), needs
    dtype = output._data.dtype
    u = Tensor.from_op(np.ones(output.shape, dtype), None)  # (not 0: see the docstring)
    u._requires_grad = True  # (the one leaf of the small graph: its gradient is J·t)
    with enable_grad(), np.errstate(all="ignore"):  # (inf and NaN are the values, as torch's)
        grads = gradients_for(node.name, type(node).backward_graph(ctx, _constant(
            output._data), u), len(inputs))
        total = None
        for g, t, x in zip(grads, tangents, inputs):
            if g is None or t is None:
                continue
            (g,) = Tensor.operands((g,), node.name)
            g = g if g.shape == x.shape else sum_to(g, x.shape)
            term = (g * _constant(t._data.astype(x.dtype, copy=False))).sum()
            total = term if total is None else total + term
        if total is not None and total._requires_grad:
            seed = np.ones((), total._data.dtype)
            for tensor, grad, _ in engine.backward(total, seed):
                if tensor is u:
                    return np.array(grad, dtype=dtype)
    return np.zeros(output.shape, dtype)  # (the vjp does not depend on u: J is 0)


def _own_jvp(own: Any, node: Function, inputs: tuple, output: Tensor, tangents: list) -> Any:
    """A user's op's jvp on arrays: one tangent per forward input (zeros for a tensor
    without one, None for an input not given), one back per output, joined as the op's
    outputs are (autograd_function.py)."""
    arrays = [read_only_view(np.zeros_like(x._data) if t is None else
                             np.asarray(t._data, dtype=x.dtype)) for x, t in zip(inputs, tangents)]
    absent = next((key[1] for key, op in _user_ops.items() if op is type(node)), ())
    for k in absent:
        arrays.insert(k, None)
    sent = own(node, *arrays)
    parts = getattr(node, "output_parts", None)
    sent = (sent if isinstance(sent, (tuple, list)) else (sent,)) if parts else (sent,)
    shapes = [part[0] for part in parts] if parts else [output.shape]
    if len(sent) != len(shapes):
        raise RuntimeError(f"jvp of op '{node.name}' returned {len(sent)} tangents for "
                           f"{len(shapes)} outputs; return one per output of forward")
    pieces = []
    for k, (piece, shape) in enumerate(zip(sent, shapes)):
        piece = np.zeros(shape) if piece is None else np.asarray(
            piece._data if isinstance(piece, Tensor) else piece)
        if piece.shape != tuple(shape):
            raise RuntimeError(f"jvp of op '{node.name}' returned a tangent of shape "
                               f"{piece.shape} for output {k} of shape {tuple(shape)}; it "
                               f"must have the output's shape")
        pieces.append(piece.reshape(-1) if parts else piece)
    joined = np.concatenate(pieces) if parts else pieces[0]
    return np.array(joined, dtype=output._data.dtype)


def _constant(values: np.ndarray) -> Tensor:
    return Tensor.from_op(values, None)

"""Higher-order derivatives: the backward pass with gradients that are graphs themselves.

`backward(create_graph=True)` and `tg.autograd.grad(..., create_graph=True)` run the
engine's one pass with a Tensor for each gradient. At each node, `recorded_vjp` calls the
op's `backward_graph(ctx, out, grad)`: its backward written with Tensor ops on its inputs
(`ctx.parents`), its output `out` and `grad`, so the inputs' gradients are results of
recorded ops, as any tensor computed from the inputs is. Differentiating such a gradient
is a second derivative (a Hessian-vector product, a gradient penalty); the gradient of
that, a third. Each `backward_graph` uses ops that have one, so every order works.

A user's op without `backward_graph` is differentiated as PyTorch differentiates a custom
Function: its own `backward` runs on tensors (`backward_on_tensors`), so what it computes
with tinygrad_gd's ops is recorded; what forward kept is given to it when it reads it.
Where that would be silently wrong (it reads an array forward computed, or a tensor's
values into NumPy), or the backward is marked `@once_differentiable`, the pass goes on as
PyTorch's does: the op's inputs get the values its backward gave (run once: on tensors
where it finished there, else in NumPy), above a node whose backward refuses in one line,
so a derivative through that op is refused and every other is computed (each hook runs
once). The two backwards of an op agree (`tg.autograd.gradgradcheck` checks it).
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from . import engine
from .anomaly import AnomalyError
from .autograd_function import gradients_for, output_part
from .grad_mode import enable_grad
from .tracked import values_read

__all__ = ["recorded_vjp", "backward_on_tensors", "refusing", "has_backward_graph",
           "seed_tensor", "sum_to", "NoSecondDerivative"]


class NoSecondDerivative(NotImplementedError):
    """A pass with create_graph=True reached an op without `backward_graph`."""

    computed: Any = None  # what the op's backward returned where it finished on tensors


def has_backward_graph(op: Any) -> bool:
    """Whether the op (a Function class or node) defines a `backward_graph` (every
    built-in op does; a user's op without one runs its backward on tensors)."""
    return getattr(op, "backward_graph", None) is not None


def recorded_vjp(node: Any, output: Any, grad: Any) -> list:
    """`node`'s inputs' gradients from its output's, `grad` (a Tensor), as Tensors made by
    recorded ops: its `backward_graph` (a user's op without one: its backward run on
    tensors), each result fitted to its input's shape and dtype."""
    own = getattr(type(node), "backward_graph", None)
    # recorded even inside no_grad(): the caller asked for a graph; silent where backward's
    # NumPy is (a gradient of inf or NaN at a pole is the value, not a warning)
    with enable_grad(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        try:
            if own is None and node.built_in:  # (a built-in backward reads arrays: ._data)
                raise _refused(node, "it is a built-in op, whose backward reads arrays",
                               "report it: every built-in op has one (test_second_order.py)")
            input_grads = (own or backward_on_tensors)(node, output, grad)
        except AnomalyError as err:  # (detect_anomaly(): a gradient's op made NaN or Inf)
            where = "backward_graph" if own else "backward"
            err.args = (f"{err.args[0]} (in the {where} of op '{node.name}')",)
            raise
        except NoSecondDerivative as err:  # (values now, a refusal when differentiated)
            input_grads = _refusing_later(node, grad, err)
        if input_grads.__class__ is not tuple or len(input_grads) != len(node.parents):
            input_grads = gradients_for(node.name, input_grads, len(node.parents))
        return [_fit(g, parent, node.name) if g is not None and parent._requires_grad
                else None for g, parent in zip(input_grads, node.parents)]


class _Refusal(engine.Function, register=False, name="no_second_derivative"):
    """A gradient an op's NumPy backward computed (its values), whose inputs are what it
    depends on: the op's gradient and inputs. Its backward refuses: `why`."""

    def forward(ctx, value, *depends_on, why):  # noqa: N805
        ctx.why = why
        return value

    def backward(ctx, grad):  # noqa: N805
        raise NoSecondDerivative(ctx.why)


def refusing(values: np.ndarray, depends_on: list, why: str, name: str) -> Any:
    """`values` (a derivative computed without a graph) as a tensor named `name` (unnamed,
    a diagram would draw it as a user's input) whose graph reaches `depends_on` through a
    node that refuses, in one line (`why`), a derivative through it."""
    value = engine.Tensor.from_op(values, None)
    value.name = name
    return _Refusal.apply(value, *depends_on, why=why)


def _refusing_later(node: Any, grad: Any, refusal: NoSecondDerivative) -> tuple:
    """`node`'s inputs' gradients, each above a `_Refusal`: the values its backward gave on
    tensors (`refusal.computed`), else those of its NumPy backward, run now."""
    why = (f"a derivative through the gradient of op '{node.name}' (computed with "
           f"create_graph=True) is refused: {str(refusal).split(': ', 1)[-1]}")
    depends_on = [grad] + [parent for parent in node.parents if parent._requires_grad]
    # backward ran once already where it finished on tensors; where it did not run there
    # (@once_differentiable) or raised, the NumPy run is the only way to its values
    values = (node.vjp(grad._data) if refusal.computed is None
              else _as_vjp(node, refusal.computed))
    return tuple(None if g is None else refusing(g, depends_on, why, f"gradient through "
                                                 f"{node.name}") for g in values)


def _as_vjp(node: Any, sent: tuple) -> list:
    """What `node.vjp` gives where its backward returned `sent`: each tensor's values, fitted
    to its input by the function vjp fits with."""
    return [engine._fit(g._data if isinstance(g, engine.Tensor) else g, parent._data, node.name)
            if g is not None and parent._requires_grad else None
            for g, parent in zip(gradients_for(node.name, sent, len(node.parents)), node.parents)]


def backward_on_tensors(node: Any, output: Any, grad: Any) -> tuple:
    """A user's op's own `backward`, run on tensors: the gradient is a Tensor, and what
    forward kept (ctx.saved_tensors, ctx's attributes) is given, when backward reads it, as
    the tensor it is: an input as that input, an output as `output` (or its part); so what
    backward computes with tinygrad_gd's ops (operators, tg.exp, NumPy functions that have
    an op) is recorded. Refused in one line where that would be silently wrong or cannot
    run; where backward finished, the refusal keeps what it returned (`computed`)."""
    backward = type(node).backward
    if getattr(backward, "once_differentiable", False):
        raise _refused(node, "its backward is marked @once_differentiable",
                       "remove the mark if backward is written with tinygrad_gd's ops")
    values_read.cut = False
    ctx, as_tensors = _on_tensors(node, output)
    try:
        sent = backward(ctx, grad)
    except (NoSecondDerivative, AnomalyError):
        raise
    except Exception as err:  # (NumPy code that needs arrays: its own message, then ours)
        raise as_tensors.refusal or _refused(
            node, f"its backward, run on tensors, raised {type(err).__name__}: "
                  f"{str(err).splitlines()[0] if str(err) else ''}") from err
    sent = tuple(sent) if isinstance(sent, (tuple, list)) else (sent,)
    refusal = as_tensors.refusal or _graph_cut(node, sent)
    if refusal is not None:
        refusal.computed = sent  # (their values: backward need not run again, in NumPy)
        raise refusal
    return sent


def _graph_cut(node: Any, sent: tuple) -> NoSecondDerivative | None:
    """The refusal of the gradients a backward run on tensors returned, `sent`, where they
    miss part of their graph."""
    if values_read.cut:  # (np.asarray of a tensor needing a gradient: a constant since)
        return _refused(node, "its backward read a tensor's values into NumPy (np.asarray, "
                              "or a NumPy or SciPy function without a tinygrad_gd op)")
    for k, (g, parent) in enumerate(zip(sent, node.parents)):
        if g is not None and parent._requires_grad and not isinstance(g, engine.Tensor):
            return _refused(node, f"its backward, run on tensors, returned "
                                  f"{type(g).__name__} for input {k}, not a tensor")
    return None


_ENGINE_STATE = ("params", "kept_outputs", "output_parts", "non_differentiable")


def _on_tensors(node: Any, output: Any) -> tuple:
    """The ctx `node`'s backward gets in a pass with create_graph=True, and its `_AsTensors`:
    a copy of `node`, of its class with `_ReadOnDemand` (its methods: `ctx.helper()`),
    without what forward kept (ctx.saved_tensors, ctx's attributes) until backward reads
    it, so that an array backward never reads refuses nothing."""
    ctx, as_tensors = copy.copy(node), _AsTensors(node, output)
    for key in as_tensors.unread:
        delattr(ctx, key)
    vars(ctx)[_UNREAD] = as_tensors
    ctx.__class__ = _reading_on_demand(type(node))
    return ctx, as_tensors


_UNREAD = "_kept_by_forward_unread"  # the key of a ctx's `_AsTensors` in its __dict__


class _ReadOnDemand:
    """The ctx of a backward run on tensors: what forward kept, missing from it until read,
    is looked up here, given as a tensor (`_AsTensors`) and set on the ctx."""

    __slots__ = ()

    def __getattr__(self, key: str) -> Any:
        as_tensors = vars(self).get(_UNREAD)
        if as_tensors is None or key not in as_tensors.unread:  # (missing from the node too)
            own = getattr(super(), "__getattr__", None)
            return own(key) if own else object.__getattribute__(self, key)
        value = as_tensors(f"ctx.{key}", as_tensors.unread.pop(key))
        object.__setattr__(self, key, value)  # (read again: the same tensor)
        return value


def _reading_on_demand(op: type) -> type:
    """`op` with `_ReadOnDemand` first: a subclass of the same name, made once, kept on it."""
    made = op.__dict__.get("_read_on_demand")
    if made is None:
        made = type(op.__name__, (_ReadOnDemand, op), {
            "__slots__": (), "__module__": op.__module__, "__qualname__": op.__qualname__,
            "apply": staticmethod(op.apply)},  # (`type(ctx).apply(...)` records op's node)
            register=False, name=op.name, elementwise=op.elementwise)
        setattr(op, "_read_on_demand", made)
    return made


class _AsTensors:
    """What forward kept, as the tensors it is: an input as that input, an output as the
    op's output (or its part); a mask, indices or a given constant as it is. An array
    forward computed from the inputs is given as it is too, a constant, and `refusal` set:
    its dependence on them is not recorded, so the gradient is refused when differentiated."""

    def __init__(self, node: Any, output: Any) -> None:
        self.node, self.output, self.parts = node, output, {}
        # what forward kept that backward has not read yet, by attribute
        self.unread = {key: value for key, value in vars(node).items()
                       if key not in _ENGINE_STATE}
        self.unread["saved_tensors"] = node.saved_tensors
        self.refusal: NoSecondDerivative | None = None

    def __call__(self, where: str, value: Any) -> Any:
        if isinstance(value, (tuple, list)):
            return type(value)(self(f"{where}[{k}]", v) for k, v in enumerate(value))
        if not isinstance(value, (np.ndarray, np.generic)):
            return value
        node = self.node
        for output, k in getattr(node, "kept_outputs", ()):
            if value is output:
                return self.part(k)
        for parent in node.parents:
            if _same_array(value, parent._data):
                return parent
        if (value.dtype.kind not in "fc" or any(value is v for v in node.params.values())
                or any(value is v for v in getattr(node, "non_differentiable", ()))):
            return value  # (no gradient flows through it)
        self.refusal = self.refusal or _refused(
            node, f"its backward reads {where}, an array forward computed (not an input or an "
                  f"output), whose dependence on the inputs is not recorded", "return it from "
                  "forward as an output too (PyTorch's double-backward tutorial's way) or "
                  "compute it in backward")
        return value

    def part(self, k: int) -> Any:
        """Output k as a tensor: the op's output, or of several, its part k."""
        parts = getattr(self.node, "output_parts", None)
        if parts is None:
            return self.output
        if k not in self.parts:
            self.parts[k] = output_part(self.output, parts, k)
        return self.parts[k]


def _same_array(value: Any, data: np.ndarray) -> bool:
    """Whether `value` is `data` or a view of all of it as it is (what forward got)."""
    return value is data or (isinstance(value, np.ndarray) and value.shape == data.shape
                             and value.dtype == data.dtype and value.strides == data.strides
                             and value.__array_interface__["data"][0]
                             == data.__array_interface__["data"][0])


def _refused(node: Any, why: str, advice: str = "write backward with tinygrad_gd's ops on "
             "ctx.saved_tensors and the gradient") -> NoSecondDerivative:
    return NoSecondDerivative(
        f"backward with create_graph=True: op '{node.name}' has no backward_graph, and {why}, "
        f"so its gradient cannot be differentiated again; {advice}, give the op a "
        f"backward_graph, or differentiate once (create_graph=False)")


def seed_tensor(given: Any, seed: Any) -> Any:
    """The gradient a pass with create_graph=True starts from: the Tensor `given` (with
    its graph: `grad_outputs` may depend on the inputs) where it is one, in `seed`'s
    dtype, else a constant of `seed` (the array `Tensor._seed` checked)."""
    if isinstance(given, engine.Tensor) and given.dtype == seed.dtype:
        return given
    return engine.Tensor.from_op(seed, None)


def _fit(grad: Any, like: Any, name: str) -> Any:
    """`engine._fit` in Tensor ops: a broadcast input's gradient summed back to its shape
    (as recorded sums), in its dtype."""
    (grad,) = engine.Tensor.operands((grad,), name)
    if grad.shape != like.shape:
        if grad.ndim < like.ndim or any(
                n != 1 and n != m for n, m in zip(like.shape[::-1], grad.shape[::-1])):
            raise RuntimeError(
                f"backward with create_graph=True: op '{name}' gave a gradient of shape "
                f"{grad.shape} for an input of shape {like.shape}; it must have the input's "
                f"shape (or a shape the input broadcasts to)")
        grad = sum_to(grad, like.shape)
    return grad if grad.dtype == like.dtype else grad.to(like.dtype)


def sum_to(grad: Any, shape: tuple) -> Any:
    """`engine.unbroadcast` in Tensor ops: `grad` summed over the axes along which a tensor
    of `shape` was broadcast to `grad`'s shape, then given that shape."""
    axes = engine.broadcast_axes(grad.shape, shape)
    return (grad.sum(axis=axes, keepdims=True) if axes else grad).reshape(shape)


engine.recorded_vjp = recorded_vjp

"""Higher-order derivatives: the backward pass with gradients that are graphs themselves.

`backward(create_graph=True)` and `tg.autograd.grad(..., create_graph=True)` run the
engine's one pass with a Tensor for each gradient. At each node, `recorded_vjp` calls the
op's `backward_graph(ctx, out, grad)`: its backward written with Tensor ops on its inputs
(`ctx.parents`), its output `out` and `grad`, so the inputs' gradients are results of
recorded ops, as any tensor computed from the inputs is. Differentiating such a gradient
is a second derivative (a Hessian-vector product, a gradient penalty); the gradient of
that, a third. Each `backward_graph` uses ops that have one, so every order works.

An op whose backward is NumPy code only (no `backward_graph`) is refused in one line when
such a pass reaches it: its gradient would be a constant, and a second derivative through
it silently wrong. The two backwards of an op agree (`tg.autograd.gradgradcheck` checks it).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import engine
from .anomaly import AnomalyError
from .autograd_function import gradients_for
from .grad_mode import enable_grad

__all__ = ["recorded_vjp", "has_backward_graph", "seed_tensor", "sum_to", "NoSecondDerivative"]


class NoSecondDerivative(NotImplementedError):
    """A pass with create_graph=True reached an op without `backward_graph`."""


def has_backward_graph(op: Any) -> bool:
    """Whether the op (a Function class or node) can be differentiated twice."""
    return getattr(op, "backward_graph", None) is not None


def recorded_vjp(node: Any, output: Any, grad: Any) -> list:
    """`node`'s inputs' gradients from its output's, `grad` (a Tensor), as Tensors made by
    recorded ops: its `backward_graph`, each result fitted to its input's shape and dtype."""
    rule = getattr(type(node), "backward_graph", None)
    if rule is None:
        raise NoSecondDerivative(
            f"backward with create_graph=True: op '{node.name}' has no backward_graph (its "
            f"backward is NumPy code only), so its gradient cannot be differentiated again; "
            f"write the function with ops that have one, or differentiate once "
            f"(create_graph=False)")
    # recorded even inside no_grad(): the caller asked for a graph; silent where backward's
    # NumPy is (a gradient of inf or NaN at a pole is the value, not a warning)
    with enable_grad(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        try:
            input_grads = rule(node, output, grad)
        except AnomalyError as err:  # (detect_anomaly(): a gradient's op made NaN or Inf)
            err.args = (f"{err.args[0]} (in the backward_graph of op '{node.name}')",)
            raise
        if input_grads.__class__ is not tuple or len(input_grads) != len(node.parents):
            input_grads = gradients_for(node.name, input_grads, len(node.parents))
        return [_fit(g, parent, node.name) if g is not None and parent._requires_grad
                else None for g, parent in zip(input_grads, node.parents)]


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
                f"backward_graph of op '{name}' returned a gradient of shape {grad.shape} "
                f"for an input of shape {like.shape}; it must have the input's shape (or a "
                f"shape the input broadcasts to)")
        grad = sum_to(grad, like.shape)
    return grad if grad.dtype == like.dtype else grad.to(like.dtype)


def sum_to(grad: Any, shape: tuple) -> Any:
    """`engine.unbroadcast` in Tensor ops: `grad` summed over the axes along which a tensor
    of `shape` was broadcast to `grad`'s shape, then given that shape."""
    axes = engine.broadcast_axes(grad.shape, shape)
    return (grad.sum(axis=axes, keepdims=True) if axes else grad).reshape(shape)


engine.recorded_vjp = recorded_vjp

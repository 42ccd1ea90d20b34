"""PyTorch's `torch.autograd` spellings: `grad` (gradients returned, `.grad` untouched),
`backward` (`inputs=`: only those tensors' `.grad` accumulate), `Function` (the base of
your own ops, `tg.Function`), anomaly mode (`detect_anomaly`, `set_detect_anomaly`,
`is_anomaly_enabled`, from `anomaly.py`) and `functional` (`jacobian`, `vjp`, `jvp`, from
`autograd_functional.py`).

`tg.autograd.grad(loss, [w, b])` runs the engine's one backward pass (`engine.backward`)
and hands back the gradients of `loss` with respect to `w` and `b`, leaves or not,
without adding them into any `.grad`: the chain rule as a function, for a learner who
wants the numbers without the side effect. Several outputs make one pass too, from a
node of their own above them all (`_Outputs`), so each hook sees the complete gradient.
"""
from __future__ import annotations

import sys
import warnings
from typing import Any, Sequence

import numpy as np

from . import autograd_functional as functional
from . import engine
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import Function
from .hooks import accumulate_grads, backward_inputs
from .tensor import Tensor

__all__ = ["grad", "backward", "Function", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "functional"]
# `from tinygrad_gd.autograd.functional import jacobian`, as PyTorch's, though this is a
# module, not a package (as `os.path` is made importable)
sys.modules[f"{__name__}.functional"] = functional


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Any, ...]:
    """The gradients of `outputs` (summed over them) with respect to each of `inputs`, as
    a tuple of Tensors; no `.grad` changes. An input the outputs do not depend on is an
    error, or None with `allow_unused=True`. The graph is freed afterwards unless
    `retain_graph=True`, as after `backward()`."""
    if create_graph:
        raise NotImplementedError("grad: create_graph=True (second derivatives) is not "
                                  "supported: the backward pass records no graph")
    outputs = _tensors("grad", "outputs", outputs)
    wanted = _tensors("grad", "inputs", inputs)
    seeds = _one_each("grad", "outputs", outputs, "grad_outputs", grad_outputs)
    for t in outputs + wanted:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: every output and input must be a Tensor that requires a "
                               f"gradient, got {t!r:.60}")
    seeds = [t._seed(s, "grad", "grad_outputs=", "grad_outputs") for t, s in zip(outputs, seeds)]
    found: dict[int, Any] = {}
    positions = {id(t): k for k, t in enumerate(wanted)}
    for tensor, g, _ in engine.backward(*_start(outputs, seeds), bool(retain_graph)):
        if id(tensor) in positions:
            found[id(tensor)] = g
    result = []
    for t in wanted:
        if id(t) not in found and not allow_unused:
            raise RuntimeError(f"grad: input {positions[id(t)]} (shape {t.shape}) was not used "
                               f"to compute the outputs; pass allow_unused=True to get None")
        result.append(Tensor.from_op(found[id(t)].copy(), None) if id(t) in found else None)
    return tuple(result)


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             grad_variables: Any = None, inputs: Any = None) -> None:
    """The gradients of `tensors` (summed over them) added into the leaves' `.grad`, in one
    backward pass (PyTorch's torch.autograd.backward); one tensor: `t.backward(g)`.
    `inputs` (a tensor or a sequence, leaves or not): only their `.grad` accumulate.
    `grad_variables`: the old name of `grad_tensors` (deprecated, as in PyTorch)."""
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError("backward: grad_tensors and grad_variables (its deprecated "
                               "name) were both given; give grad_tensors only")
        warnings.warn("backward: grad_variables is deprecated; use grad_tensors instead",
                      FutureWarning, stacklevel=2)
        grad_tensors = grad_variables
    if create_graph:
        raise NotImplementedError("backward: create_graph=True (second derivatives) is not "
                                  "supported: the backward pass records no graph")
    inputs = backward_inputs("backward", inputs)
    tensors = _tensors("backward", "tensors", tensors)
    seeds = _one_each("backward", "tensors", tensors, "grad_tensors", grad_tensors)
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return tensors[0].backward(seeds[0], retain_graph=bool(retain_graph), inputs=inputs)
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"backward: tensor {k} does not require a gradient and has no "
                               f"graph ({t!r:.60}); every tensor must be a result of ops on "
                               f"tensors created with requires_grad=True")
    seeds = [t._seed(s, "backward", "grad_tensors=", "grad_tensors")
             for t, s in zip(tensors, seeds)]
    accumulate_grads(*_start(tensors, seeds), bool(retain_graph), inputs)
    return None


class _Outputs(Function, register=False, name="outputs"):
    """The node a pass over several outputs starts from: its inputs are the outputs, and
    its backward hands each its own starting gradient (the user's graph is not touched:
    nothing points to this node but the tensor `_start` makes)."""

    @classmethod
    def over(cls, outputs: list, seeds: list) -> "_Outputs":
        """The node above `outputs`, its backward handing them `seeds`."""
        # not apply(): that records nothing under no_grad(), and no extension (op hooks,
        # anomaly mode) should see this node, which is not the user's
        node = cls()
        node.parents, node.saved_tensors, node.seeds = tuple(outputs), (), tuple(seeds)
        node.needs_input_grad = (True,) * len(outputs)
        return node

    def backward(ctx, grad: np.ndarray) -> tuple:  # noqa: N805
        return ctx.seeds


def _start(outputs: list, seeds: list) -> tuple[Tensor, np.ndarray]:
    """Where one pass over `outputs` starts: the output itself when there is one, else a
    tensor made by `_Outputs` (gradient 1) from all of them."""
    if len(outputs) == 1:
        return outputs[0], seeds[0]
    return Tensor.from_op(np.zeros(()), _Outputs.over(outputs, seeds)), np.ones(())


def _tensors(what: str, name: str, value: Any) -> list:
    """`value` (a Tensor, or a sequence of them) as a list; an array is refused."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (np.ndarray, np.generic, str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{what}: {name} must be a Tensor or a tuple/list of Tensors, got "
                        f"{type(value).__name__} {value!r:.40}")
    return list(value)


def _one_each(what: str, name: str, tensors: list, seeds_name: str, seeds: Any) -> list:
    """One starting gradient per tensor: the list given (of the same length), or the one
    given (None: each tensor's own 1) for every tensor."""
    if not isinstance(seeds, (list, tuple)):
        return [seeds] * len(tensors)
    if len(seeds) != len(tensors):
        raise ValueError(f"{what}: {len(tensors)} {name} but {len(seeds)} {seeds_name}; give "
                         f"one per tensor (None for a one-element tensor's 1), as PyTorch's")
    return list(seeds)

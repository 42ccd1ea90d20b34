"""PyTorch's `torch.autograd` spellings: `grad` (gradients returned, `.grad` untouched),
`backward`, and `Function` (the base of your own ops, `tg.Function`).

`tg.autograd.grad(loss, [w, b])` runs the engine's one backward pass (`engine.backward`)
and hands back the gradients of `loss` with respect to `w` and `b`, leaves or not,
without adding them into any `.grad`: the chain rule as a function, for a learner who
wants the numbers without the side effect.
"""
from __future__ import annotations

from typing import Any, Sequence

from . import engine
from .engine import Function
from .tensor import Tensor

__all__ = ["grad", "backward", "Function"]


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
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    wanted = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    seeds = grad_outputs if isinstance(grad_outputs, (list, tuple)) else [grad_outputs] * len(
        outputs)
    for t in outputs + wanted:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: every output and input must be a Tensor that requires a "
                               f"gradient, got {t!r:.60}")
    found: dict[int, Any] = {}
    positions = {id(t): k for k, t in enumerate(wanted)}
    for k, output in enumerate(outputs):
        keep = bool(retain_graph) or k < len(outputs) - 1  # (the next output needs it)
        seed = output._seed(seeds[k], "grad", "grad_outputs=", "grad_outputs")
        for tensor, g, _ in engine.backward(output, seed, keep):
            if id(tensor) in positions:
                found[id(tensor)] = g if id(tensor) not in found else found[id(tensor)] + g
    result = []
    for t in wanted:
        if id(t) not in found and not allow_unused:
            raise RuntimeError(f"grad: input {positions[id(t)]} (shape {t.shape}) was not used "
                               f"to compute the outputs; pass allow_unused=True to get None")
        result.append(Tensor.from_op(found[id(t)].copy(), None) if id(t) in found else None)
    return tuple(result)


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None) -> None:
    """`t.backward(g)` for each of `tensors` (PyTorch's torch.autograd.backward)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    seeds = grad_tensors if isinstance(grad_tensors, (list, tuple)) else [grad_tensors] * len(
        tensors)
    for k, t in enumerate(tensors):
        t.backward(seeds[k], retain_graph=bool(retain_graph) or k < len(tensors) - 1)

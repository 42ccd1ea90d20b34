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
    seeds = _one_each("grad", "outputs", outputs, "grad_outputs", grad_outputs)
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
    seeds = _one_each("backward", "tensors", tensors, "grad_tensors", grad_tensors)
    for k, t in enumerate(tensors):
        t.backward(seeds[k], retain_graph=bool(retain_graph) or k < len(tensors) - 1)


def _one_each(what: str, name: str, tensors: list, seeds_name: str, seeds: Any) -> list:
    """One starting gradient per tensor: the list given (of the same length), or the one
    given (None: each tensor's own 1) for every tensor."""
    if not isinstance(seeds, (list, tuple)):
        return [seeds] * len(tensors)
    if len(seeds) != len(tensors):
        raise ValueError(f"{what}: {len(tensors)} {name} but {len(seeds)} {seeds_name}; give "
                         f"one per tensor (None for a one-element tensor's 1), as PyTorch's")
    return list(seeds)

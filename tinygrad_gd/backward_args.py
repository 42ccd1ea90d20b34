"""What backward() and autograd.grad accept as the tensors to start from and the inputs to
fill: a Tensor or a sequence of them (`tensor_list`), inputs that require a gradient
(`backward_inputs`), anything else refused in one line as PyTorch refuses it."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import engine


def tensor_list(where: str, name: str, value: Any) -> list:
    """`value`, a Tensor or a sequence of them, as a list (its items unchecked); an array,
    a string or a number is refused in one line (`backward`'s tensors and inputs, `grad`'s)."""
    if isinstance(value, engine.Tensor):
        return [value]
    if isinstance(value, (np.ndarray, np.generic, str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{where}: {name} must be a Tensor or a tuple/list of Tensors, got "
                        f"{type(value).__name__} {value!r:.40}")
    return list(value)


def backward_inputs(where: str, inputs: Any) -> list | None:
    """`backward(inputs=...)` as a list of tensors that require a gradient (None: every leaf),
    refused as PyTorch refuses it: empty, or holding what is not such a tensor."""
    if inputs is None:
        return None
    inputs = tensor_list(where, "inputs", inputs)
    if not inputs:
        raise RuntimeError(f"{where}: inputs= cannot be empty; give the tensors whose .grad "
                           f"should accumulate, or None for every leaf")
    for k, t in enumerate(inputs):
        if not isinstance(t, engine.Tensor):
            raise RuntimeError(f"{where}: all inputs have to be Tensors, but inputs[{k}] is "
                               f"{type(t).__name__} {t!r:.40}")
        if not t.requires_grad:
            raise RuntimeError(f"{where}: inputs[{k}] (shape {t.shape}) does not require grad, "
                               f"so no gradient can accumulate into it; create it with "
                               f"requires_grad=True, or leave it out of inputs")
    return inputs

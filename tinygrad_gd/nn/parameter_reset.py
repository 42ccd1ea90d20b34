"""What the layers' `reset_parameters` share. A reset gives a layer's parameters PyTorch's
starting values again, in place: the same Parameter objects (an optimizer holding them
still trains them), each its dtype, written as an initialisation through `nn.init` (under
no_grad, counted as an in-place change: a graph that saved the old values refuses to
backward). Each layer's constructor starts its parameters by the same call, so the rule
is written once, and a seeded layer draws what it always drew.

`zero_weight_and_bias`: a layer's weight and bias registered for its reset to draw
into; `reset_generator`: the generator a reset draws from; `uniform_each_`: tensors drawn
from U(-bound, bound) one after another (Linear's, Bilinear's, the convolutions' and the
recurrent layers' rule, each with its own bound); `ones_zeros_`: a normalisation layer's
weight 1 and bias 0.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..creation import make_generator
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


def zero_weight_and_bias(module: Module, shape: tuple[int, ...], bias_size: int | None,
                         dtype: np.dtype) -> None:
    """`module.weight` of `shape` and `module.bias` of `bias_size` (None: registered as
    None, so that a Tensor assigned there later is refused, as in PyTorch), zeros for the
    layer's reset_parameters to draw into."""
    module.weight = Parameter(np.zeros(shape, dtype))
    module.register_parameter("bias", None if bias_size is None else
                              Parameter(np.zeros(bias_size, dtype)))


def reset_generator(module: Any, generator: np.random.Generator | None) -> np.random.Generator:
    """The generator `module.reset_parameters(generator=...)` draws from: the one given,
    else tg.manual_seed's, else fresh entropy (a wrong one refused in a line naming the
    layer's reset_parameters)."""
    return make_generator(None, generator, f"{type(module).__name__}.reset_parameters")


def uniform_each_(tensors: Iterable[Tensor | None], bound: float,
                  generator: np.random.Generator) -> None:
    """Each tensor (None skipped) drawn from U(-bound, bound), in order, from `generator`."""
    for tensor in tensors:
        if tensor is not None:
            init.uniform_(tensor, -bound, bound, generator=generator)


def ones_zeros_(weight: Tensor | None, bias: Tensor | None) -> None:
    """A normalisation layer's affine parameters as PyTorch starts them: weight 1, bias 0
    (either may be None: no such parameter)."""
    if weight is not None:
        init.ones_(weight)
    if bias is not None:
        init.zeros_(bias)

"""What the layers' `reset_parameters` share. A reset gives a layer's parameters PyTorch's
starting values again, in place: the same Parameter objects (an optimizer holding them
still trains them), each its dtype, written as nn.init writes (under no_grad, counted as
an in-place change: a graph whose backward reads the old values refuses to backward, one
that kept what it reads (PReLU's the slopes it used) gives the forward's gradient; a
refusal names the layer's reset_parameters). Every layer's reset takes `seed=` and `generator=`
by keyword, as its constructor does (a reset that draws nothing checks and ignores them).

`start_parameters`: a constructor's last step, PyTorch's `self.reset_parameters()` (a
subclass's override runs), drawing from the constructor's seed= or generator=;
`zero_weight_and_bias`: a layer's weight and bias registered for its reset to draw into;
`reset_generator`: the generator a reset draws from, resolved once; `uniform_each_`:
tensors drawn from U(-bound, bound) one after another (Linear's, Bilinear's and the
recurrent layers' rule, each with its own bound); `convolution_reset_`: the convolutions'
and the transposed ones' reset; `normal_`: a weight drawn from N(0, std**2);
`ones_zeros_`: a normalisation layer's weight 1 and bias 0 (`ones_zeros_reset`: the whole
reset of those without running statistics); `written_`: one tensor given its new values.
"""
from __future__ import annotations

import inspect

import math
from typing import Any, Callable, Iterable

import numpy as np

from .. import creation
from ..tensor import Tensor
from ..values import uniform_draws
from . import init
from .module import Module, Parameter


def start_parameters(layer: Module, seed: Any, generator: Any,
                     reset: str = "reset_parameters") -> None:
    """`layer.reset_parameters()` with no argument, as PyTorch's constructors call it, so
    that a subclass's own `reset_parameters(self)` runs (`reset`: MultiheadAttention's and
    Transformer's `_reset_parameters`). The constructor's seed= or generator=, where given,
    stands in for tg.manual_seed's generator while it runs: every draw of the reset comes
    from it, an override's own (nn.init.uniform_(self.weight), tg.rand) too; the global
    generator is as it was afterwards. A reset taking generator= (every one of this package's)
    is given it instead: the global generator, which another thread may draw from, is
    swapped only for an override of the user's that takes no generator."""
    if seed is None and generator is None:
        getattr(layer, reset)()
        return
    rng = creation.make_generator(seed, generator, type(layer).__name__)
    method = getattr(layer, reset)
    if "generator" in inspect.signature(method).parameters:
        method(generator=rng)
        return
    seeded = creation._seeded
    saved, seeded[0] = seeded[0], rng
    try:
        getattr(layer, reset)()
    finally:
        seeded[0] = saved


def zero_weight_and_bias(module: Module, shape: tuple[int, ...], bias_size: int | None,
                         dtype: np.dtype) -> None:
    """`module.weight` of `shape` and `module.bias` of `bias_size` (None: registered as
    None, so that a Tensor assigned there later is refused, as in PyTorch), zeros for the
    layer's reset_parameters to draw into."""
    module.weight = Parameter(np.zeros(shape, dtype))
    module.register_parameter("bias", None if bias_size is None else
                              Parameter(np.zeros(bias_size, dtype)))


def reset_generator(layer: Module, seed: Any, generator: Any) -> np.random.Generator:
    """The generator `layer.reset_parameters(seed=..., generator=...)` draws from: the one
    given, else default_rng(seed), else tg.manual_seed's, else fresh entropy (a wrong one
    refused in a line naming the layer's reset_parameters)."""
    return creation.make_generator(seed, generator, f"{type(layer).__name__}.reset_parameters")


def nothing_drawn(layer: Module, seed: Any, generator: Any) -> None:
    """The seed= and generator= of a reset that draws nothing: checked as every reset
    checks them, then unused."""
    if seed is not None or generator is not None:
        reset_generator(layer, seed, generator)


def written_(layer: Module, tensor: Tensor, values: Any, what: str = "reset_parameters"
             ) -> None:
    """`values` (an array of the tensor's shape and dtype, or one number) written into
    `tensor` as nn.init writes, a refusal naming `layer`'s `what` (an inference tensor
    outside inference mode)."""
    where = f"{type(layer).__name__}.{what}"
    init._set(tensor, lambda t: t._write_at(..., values, where), where)


def uniform_each_(layer: Module, tensors: Iterable[Tensor | None], bound: float,
                  generator: np.random.Generator) -> None:
    """Each tensor (None skipped) drawn from U(-bound, bound), in order, from `generator`
    (by nn.init.uniform_'s rule, `uniform_draws`)."""
    for tensor in tensors:
        if tensor is not None:
            written_(layer, tensor, uniform_draws(generator, tensor.shape, tensor.dtype,
                                                  -bound, bound))


def by_fan(fan: int, scale: Callable[[int], float]) -> float:
    """scale(fan), the bound or standard deviation an initialisation draws with, and 0.0
    for a fan of 0 (the one zero-fan rule: a layer of zero size, whose weight draws nothing
    and whose bias starts at zero, as PyTorch's)."""
    return scale(fan) if fan else 0.0


def inverse_root_fan(fan_in: int, root: Callable[[int], float] = lambda n: n ** 0.5) -> float:
    """1/sqrt(fan_in) (0.0 at a fan of 0): PyTorch's default bound (kaiming_uniform_ with
    a=sqrt(5)), and the course notes' standard deviation for init="normal"."""
    return by_fan(fan_in, lambda n: 1 / root(n))


def convolution_reset_(layer: Module, seed: Any, generator: Any,
                       root: Callable[[int], float] = lambda n: n ** 0.5) -> None:
    """A convolution's reset_parameters: weight, then bias, from U(-1/sqrt(fan_in),
    1/sqrt(fan_in)), fan_in PyTorch's of the weight (its size but the first axis:
    in_channels / groups * the kernel's, out_channels / groups * the kernel's for a
    transposed one; kaiming_uniform_(a=sqrt(5)) is that bound). `root`: how the square
    root is taken, n ** 0.5 (the convolutions) or math.sqrt (the transposed ones), as each
    always took it: the two differ in the last bit for some fans, and a seeded layer
    keeps its values."""
    fan_in = math.prod(layer.weight.shape[1:])
    uniform_each_(layer, (layer.weight, layer.bias), inverse_root_fan(fan_in, root),
                  reset_generator(layer, seed, generator))


def normal_(layer: Module, weight: Tensor, std: float, generator: np.random.Generator) -> None:
    """`weight` drawn from N(0, std**2) from `generator` (nn.init.normal_'s rule)."""
    init._set(weight, lambda t: t.normal_(0.0, std, generator=generator),
              f"{type(layer).__name__}.reset_parameters")


def ones_zeros_(layer: Module, weight: Tensor | None, bias: Tensor | None) -> None:
    """A normalisation layer's affine parameters as PyTorch starts them: weight 1, bias 0
    (either may be None: no such parameter)."""
    for tensor, value in ((weight, 1.0), (bias, 0.0)):
        if tensor is not None:
            written_(layer, tensor, value)


def ones_zeros_reset(self: Module, *, seed: int | None = None,
                     generator: np.random.Generator | None = None) -> None:
    """weight 1 and bias 0 again, in place, where there are (PyTorch's); nothing is drawn
    (seed and generator: checked, as every layer's reset takes them). LayerNorm's,
    GroupNorm's and RMSNorm's reset_parameters."""
    nothing_drawn(self, seed, generator)
    ones_zeros_(self, self.weight, getattr(self, "bias", None))

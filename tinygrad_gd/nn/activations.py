"""More activations as Modules, under PyTorch's names, constructor arguments and reprs:
`ReLU6`, `Hardtanh`, `Mish`, `Hardswish`, `Hardsigmoid`, `LogSigmoid`, `Softsign`, `CELU`,
`SELU`, `Tanhshrink`, `Softmin`, `GLU`, `PReLU` (its slopes learned), `Threshold`,
`Hardshrink` and `Softshrink`. Each calls its
function in `nn.functional`; `inplace=True`, where PyTorch's layer takes it, writes the
result into the input (see `ReLU`).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..errors import user_stacklevel
from ..tensor import Tensor
from . import functional as F
from .parameter_reset import nothing_drawn, written_
from ..ops.arguments import number
from .layer_arguments import _one_dim
from .layers import _Activation, _check_features
from .registration import _float_dtype
from .module import Module, Parameter

__all__ = ["ReLU6", "Hardtanh", "Mish", "Hardswish", "Hardsigmoid", "LogSigmoid", "Softsign",
           "CELU", "SELU", "Tanhshrink", "Softmin", "GLU", "PReLU", "Threshold", "Hardshrink",
           "Softshrink"]


class ReLU6(_Activation):
    """min(max(x, 0), 6) elementwise."""

    function = staticmethod(F.relu6)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Hardtanh(_Activation):
    """x limited to [min_val, max_val] (-1 and 1 by default); PyTorch's deprecated
    min_value and max_value, given, replace them (with its FutureWarning)."""

    function = staticmethod(F.hardtanh)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        for old, new, value in (("min_value", "min_val", min_value),
                                ("max_value", "max_val", max_value)):
            if value is not None:
                warnings.warn(f"keyword argument `{old}` is deprecated and renamed to `{new}`",
                              FutureWarning, stacklevel=user_stacklevel())
        min_val = min_val if min_value is None else min_value
        max_val = max_val if max_value is None else max_value
        low, high = number("Hardtanh", "min_val", min_val), number("Hardtanh", "max_val", max_val)
        if low >= high:  # (PyTorch's layer asserts it; F.hardtanh takes equal bounds)
            relation = "is above" if low > high else "equals"
            raise ValueError(f"Hardtanh: min_val {min_val} {relation} max_val {max_val}; "
                             f"max_val must be greater than min_val")
        super().__init__(inplace=inplace, min_val=min_val, max_val=max_val)


class Mish(_Activation):
    """x * tanh(softplus(x))."""

    function = staticmethod(F.mish)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Hardswish(_Activation):
    """x * relu6(x + 3) / 6 (PyTorch's repr shows no settings, inplace neither)."""

    function = staticmethod(F.hardswish)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)

    def extra_repr(self) -> str:
        return ""


class Hardsigmoid(Hardswish):
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, a line between."""

    function = staticmethod(F.hardsigmoid)


class LogSigmoid(_Activation):
    """log(sigmoid(x)), finite for any x."""

    function = staticmethod(F.logsigmoid)

    def __init__(self) -> None:
        super().__init__()


class Softsign(_Activation):
    """x / (1 + |x|)."""

    function = staticmethod(F.softsign)

    def __init__(self) -> None:
        super().__init__()


class CELU(_Activation):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    function = staticmethod(F.celu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace=inplace, alpha=alpha)


class SELU(_Activation):
    """scale * elu(x, alpha), PyTorch's constants (self-normalising networks)."""

    function = staticmethod(F.selu)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Tanhshrink(_Activation):
    """x - tanh(x)."""

    function = staticmethod(F.tanhshrink)

    def __init__(self) -> None:
        super().__init__()


class Softmin(_Activation):
    """softmax(-x) along `dim` (None: the last axis of a 1-D or 2-D input; refused for
    more axes, as `Softmax`)."""

    function = staticmethod(F.softmin)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim=_one_dim("Softmin", dim, none_ok=True))


class GLU(_Activation):
    """The gated linear unit along `dim`: first half * sigmoid(second half)."""

    function = staticmethod(F.glu)

    def __init__(self, dim: int = -1) -> None:
        super().__init__(dim=_one_dim("GLU", dim))


class PReLU(Module):
    """x where x > 0, else weight * x, the slope learned: one (num_parameters=1) or one per
    channel (axis 1 of the input), each starting at `init` (0.25), as PyTorch's PReLU."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = _check_features(num_parameters, "num_parameters", "PReLU",
                                               empty=True)
        self.init = number("PReLU", "init", init)  # (the slopes' starting value, one number)
        self.weight = Parameter(np.zeros(self.num_parameters,
                                         _float_dtype(dtype, "PReLU", device)))
        self.reset_parameters()

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """Every slope `init` again, in place (PyTorch's); nothing is drawn (seed and
        generator: checked, as every layer's reset takes them)."""
        nothing_drawn(self, seed, generator)
        written_(self, self.weight, self.init)

    def forward(self, input: Any) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Threshold(_Activation):
    """x where x > threshold, else `value` (see `functional.threshold`); both required,
    as PyTorch's."""

    function = staticmethod(F.threshold)

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        number("Threshold", "threshold", threshold)
        number("Threshold", "value", value)
        super().__init__(inplace=inplace, threshold=threshold, value=value)


class Hardshrink(_Activation):
    """x where |x| > lambd (0.5), else 0 (see `functional.hardshrink`)."""

    function = staticmethod(F.hardshrink)

    def __init__(self, lambd: float = 0.5) -> None:
        number(type(self).__name__, "lambd", lambd)
        super().__init__(lambd=lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"  # PyTorch's: the number alone


class Softshrink(Hardshrink):
    """x moved toward 0 by lambd (0.5, at least 0), 0 within [-lambd, lambd] (see
    `functional.softshrink`)."""

    function = staticmethod(F.softshrink)

    def __init__(self, lambd: float = 0.5) -> None:
        number("Softshrink", "lambd", lambd, 0)  # (PyTorch's: a negative one is refused)
        super().__init__(lambd)

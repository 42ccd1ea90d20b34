"""PyTorch's `nn.init`: a tensor's starting values drawn or set in place.

`nn.init.xavier_uniform_(layer.weight)`, `nn.init.zeros_(layer.bias)`: each writes into
the tensor it is given, as PyTorch's do, and returns it. A parameter may be written so
at any time (an initialisation is not part of a graph, as under `tg.no_grad()`), and the
write counts as an in-place change; a tensor made by a recorded op (one in a graph, whose
inputs require a gradient) is refused. The random ones draw from `generator=` (a NumPy
Generator), else from `tg.manual_seed`'s generator, else fresh entropy. fan_in and
fan_out are PyTorch's: for a weight of shape (out, in, ...), fan_in = in x the rest,
fan_out = out x the rest; those that divide by a fan leave a zero-element tensor as it
is, with PyTorch's warning.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..grad_mode import no_grad
from ..in_place import _number, scalar
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]

_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2.0), "selu": 0.75,
          **{name: 1.0 for name in ("conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                    "conv_transpose2d", "conv_transpose3d")}}


def _real(where: str, name: str, value: Any, hint: str = "") -> float:
    """A number argument (a gain, a slope) as a float; a bool, a str, None: one line."""
    return float(_number(where, name, value, hint))


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain PyTorch recommends for an activation: 1 for linear, sigmoid and the conv
    layers, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope**2)) for leaky_relu (slope
    0.01 unless `param`), 3/4 for selu."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else _real(
            "calculate_gain", "param (leaky_relu's negative slope)", param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of "
                         f"{sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def _set(tensor: Any, write: Any, where: str) -> Tensor:
    """`write(tensor)`, one of the tensor's own in-place methods (fill_, uniform_, ...), as
    an initialisation: under no_grad, counted; a tensor made by a recorded op is refused."""
    if not isinstance(tensor, Tensor):
        hint = (f"; pass the tensor itself, nn.init.{where}(m.weight, ...), not m.weight.data "
                f"(a NumPy array here)" if isinstance(tensor, np.ndarray) else "")
        raise TypeError(f"{where}: expected a Tensor (a layer's weight or bias), got "
                        f"{type(tensor).__name__}{hint}")
    with no_grad():
        write(tensor)
    return tensor


def _empty(tensor: Any, where: str) -> bool:
    """Whether `tensor` has no elements: then a fan is 0 and there is nothing to draw, so
    it is left as it is, with PyTorch's warning."""
    if isinstance(tensor, Tensor) and tensor.numel() == 0:
        warnings.warn(f"{where}: initializing a zero-element tensor (shape {tensor.shape}) "
                      f"is a no-op; it is returned unchanged", UserWarning, stacklevel=3)
        return True
    return False


def _fans(tensor: Tensor, where: str) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(f"{where}: fan_in and fan_out need a tensor of at least 2 axes "
                         f"(out, in, ...), got shape {tensor.shape}; a bias takes zeros_ or "
                         f"uniform_")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str, where: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, where)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Values drawn from U(a, b) (the tensor's own `uniform_`)."""
    return _set(tensor, lambda t: t.uniform_(a, b, generator=generator), "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Values drawn from N(mean, std**2) (the tensor's own `normal_`)."""
    return _set(tensor, lambda t: t.normal_(mean, std, generator=generator), "normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Every value `val` (one number)."""
    val = scalar("constant_", "val", val)
    # fill_'s write, its errors (1e300 into float32: one line) naming constant_
    return _set(tensor, lambda t: t._write_at(..., val, "constant_"), "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Every value 0."""
    return _set(tensor, lambda t: t.zero_(), "zeros_")


def ones_(tensor: Tensor) -> Tensor:
    """Every value 1."""
    return _set(tensor, lambda t: t.fill_(1.0), "ones_")


_GAIN_HINT = "; e.g. gain=nn.init.calculate_gain('relu')"


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out)) (Glorot's)."""
    gain = _real("xavier_uniform_", "gain", gain, _GAIN_HINT)
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    if _empty(tensor, "xavier_uniform_"):
        return tensor
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Tensor:
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot's)."""
    gain = _real("xavier_normal_", "gain", gain, _GAIN_HINT)
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    if _empty(tensor, "xavier_normal_"):
        return tensor
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He's; gain from `nonlinearity`,
    with negative slope `a` for leaky_relu)."""
    gain = _gain(nonlinearity, a, "kaiming_uniform_")
    fan = _fan(tensor, mode, "kaiming_uniform_")
    if _empty(tensor, "kaiming_uniform_"):
        return tensor
    bound = gain * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """N(0, std**2) with std = gain / sqrt(fan) (He's; `nn.Linear(init="he")` draws the
    same for relu)."""
    gain = _gain(nonlinearity, a, "kaiming_normal_")
    fan = _fan(tensor, mode, "kaiming_normal_")
    if _empty(tensor, "kaiming_normal_"):
        return tensor
    return normal_(tensor, 0.0, gain / math.sqrt(fan), generator)


def _gain(nonlinearity: str, a: Any, where: str) -> float:
    """kaiming's gain: `a` (leaky_relu's negative slope) checked in `where`'s name."""
    slope = None if a is None else _real(where, "a (leaky_relu's negative slope)", a)
    return calculate_gain(nonlinearity, slope)

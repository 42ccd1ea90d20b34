"""The activations of PyTorch's `F` that take `inplace=`, those composed of other ops
(`hardsigmoid`, `selu`, `logsigmoid`, `tanhshrink`, `softmin`, `glu`, `prelu`,
`threshold`, `hardshrink`, `softshrink`), and F's `sigmoid`, `tanh`, `softsign`, `gelu`,
`softplus` (threshold=), `softmax`, `log_softmax` (dtype=): the `tg.` functions of their
ops under PyTorch's F signatures (`input`, its argument names and order).

`inplace=True` is accepted where PyTorch's function has it, and computed out of place: a
new Tensor, the input left unchanged, with the values and gradients of inplace=False
(ported code that writes `F.relu(x, inplace=True)` runs, but must use the result, as
PyTorch's code usually does: `x = F.relu(x, inplace=True)`). Each calls the `tg.`
function of its op, or is composed of Tensor ops: gradients come from `backward()`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as tg
from ..errors import ShapeError
from ..ops.arguments import either, number
from ..ops.losses import implicit_axis
from ..tensor import Tensor
from ..values import numeric_dtype
from .layer_functions import _as_tensor, _one_dim

__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "hardtanh", "hardswish",
           "hardsigmoid", "silu", "mish", "logsigmoid", "tanhshrink", "softmin", "glu",
           "prelu", "threshold", "hardshrink", "softshrink", "sigmoid", "tanh", "softsign",
           "gelu", "softplus", "softmax", "log_softmax"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _input(where: str, input: Any, inplace: Any) -> Any:
    """The input, after checking that `inplace` is a flag (computed out of place anyway)."""
    if not isinstance(inplace, (bool, np.bool_)):
        raise TypeError(f"{where}: inplace must be True or False, got {inplace!r} (PyTorch's "
                        f"inplace flag; the result is a new Tensor either way)")
    return input


def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise (`inplace`: see the module's docstring)."""
    return tg.relu(_input("relu", input, inplace))


def relu6(input: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) elementwise; no gradient at 0 and 6."""
    return tg.relu6(_input("relu6", input, inplace))


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return tg.leaky_relu(_input("leaky_relu", input, inplace), negative_slope)


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    return tg.elu(_input("elu", input, inplace), alpha)


def selu(input: Any, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with PyTorch's constants alpha = 1.6733, scale = 1.0507."""
    return _SELU_SCALE * tg.elu(_input("selu", input, inplace), _SELU_ALPHA)


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return tg.celu(_input("celu", input, inplace), alpha)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x limited to [min_val, max_val]; no gradient at or beyond the bounds."""
    return tg.hardtanh(_input("hardtanh", input, inplace), min_val, max_val)


def hardswish(input: Any, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return tg.hardswish(_input("hardswish", input, inplace))


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, a line between (gradient 1/6 strictly
    inside, 0 at and beyond -3 and 3, as PyTorch's)."""
    return tg.relu6(_as_tensor("hardsigmoid", _input("hardsigmoid", input, inplace)) + 3.0) / 6.0


def silu(input: Any, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish)."""
    return tg.silu(_input("silu", input, inplace))


def mish(input: Any, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return tg.mish(_input("mish", input, inplace))


def logsigmoid(input: Any) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for any x."""
    return -tg.softplus(-_tensor("logsigmoid", input))


def tanhshrink(input: Any) -> Tensor:
    """x - tanh(x)."""
    input = _tensor("tanhshrink", input)
    return input - tg.tanh(input)


def softmin(input: Any, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """softmax(-x) along `dim` (or NumPy's `axis`; None: the last axis of a 1-D or 2-D
    input, as `softmax` here; refused for more axes); `dtype`: the input cast to it
    first (PyTorch's)."""
    input = _cast("softmin", _tensor("softmin", input), dtype)
    dim = _one_dim("softmin", either("softmin", "axis", axis, "dim", dim), none_ok=True)
    if dim is None:
        implicit_axis("softmin", input.shape)
    return tg.softmax(-input, dim=dim)


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` or `axis` (the op `softmax`; None: the last axis of
    a 1-D or 2-D input, refused for more axes); `dtype`: the input cast to it first
    (PyTorch's; `_stacklevel`, PyTorch's too, means nothing here)."""
    return tg.softmax(_cast("softmax", input, dtype), axis, dim=dim)


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """log(softmax(x)) along `dim` or `axis`, by log-sum-exp (the op `log_softmax`; as
    `softmax`'s)."""
    return tg.log_softmax(_cast("log_softmax", input, dtype), axis, dim=dim)


def _cast(where: str, input: Any, dtype: Any) -> Any:
    """The input in `dtype` (PyTorch's softmax dtype=: cast before the op), or as given."""
    return input if dtype is None else _as_tensor(where, input).to(numeric_dtype(dtype, where))


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + exp(-x)) elementwise (the op `sigmoid`)."""
    return tg.sigmoid(input)


def tanh(input: Any) -> Tensor:
    """tanh(x) elementwise (the op `tanh`)."""
    return tg.tanh(input)


def softsign(input: Any) -> Tensor:
    """x / (1 + |x|) elementwise (the op `softsign`)."""
    return tg.softsign(input)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x * Phi(x), or its tanh formula with approximate='tanh' (the op `gelu`)."""
    return tg.gelu(input, approximate=approximate)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta (the op `softplus`), and x itself where beta * x >
    threshold, as PyTorch's (its gradient there 1)."""
    input = _as_tensor("softplus", input)
    threshold = number("softplus", "threshold", threshold)
    smooth = tg.softplus(input, beta)
    beyond = input._data * beta > threshold  # (a mask: no graph made for it)
    return tg.where(beyond, input, smooth) if beyond.any() else smooth


def glu(input: Any, dim: int = -1) -> Tensor:
    """The gated linear unit: the first half of `dim` times sigmoid of the second half."""
    input = _tensor("glu", input)
    dim = _one_dim("glu", dim, input.ndim or None)
    if not input.ndim or input.shape[dim] % 2:
        size = input.shape[dim] if input.ndim else "no axis"
        raise ShapeError(f"glu: the input's axis {dim} is halved, so its size must be even; "
                         f"got {size} (input shape {input.shape})")
    half = input.shape[dim] // 2
    before = (slice(None),) * (dim % input.ndim)
    return input[before + (slice(None, half),)] * tg.sigmoid(input[before + (slice(half, None),)])


def prelu(input: Any, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x, with one learned slope, or one per channel (axis
    1) of the input (PyTorch's prelu; at x = 0 the gradient is that of weight * x)."""
    input = _as_tensor("prelu", input)
    weight = _as_tensor("prelu", weight, input, "weight")
    if weight.size != 1:
        if weight.ndim != 1 or input.ndim < 2 or input.shape[1] != weight.size:
            channels = input.shape[1] if input.ndim >= 2 else "no axis 1"
            raise ShapeError(f"prelu: weight of shape {weight.shape} needs one slope, or one "
                             f"per channel of the input's axis 1 ({channels}; input shape "
                             f"{input.shape})")
        weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    else:  # one slope, 0-d: it broadcasts over any input, a 0-d one too (and keeps it 0-d)
        weight = weight.reshape(())
    return tg.where((input > 0)._data, input, weight * input)


def threshold(input: Any, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else `value` (PyTorch's threshold; gradient 1 above the
    threshold, 0 at and below it)."""
    input = _tensor("threshold", _input("threshold", input, inplace))
    threshold = number("threshold", "threshold", threshold)
    value = number("threshold", "value", value)
    return tg.where((input > threshold)._data, input, value)


def hardshrink(input: Any, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0 (PyTorch's hardshrink; gradient 0 at +-lambd)."""
    input = _tensor("hardshrink", input)
    lambd = number("hardshrink", "lambd", lambd)
    return tg.where((input.abs() > lambd)._data, input, 0.0)


def softshrink(input: Any, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, else 0: x moved toward 0 by lambd
    (>= 0), as PyTorch's softshrink (gradient 0 at +-lambd)."""
    input = _tensor("softshrink", input)
    lambd = number("softshrink", "lambd", lambd, 0)
    # (a constant: the step has no slope; as `input - array` would make it)
    shift = Tensor.operands((input, np.sign(input._data) * lambd), "softshrink")[1]
    if shift.size > 1:  # named, or a diagram draws it as the user's input (one number: folded)
        shift.name = f"{lambd:g} × sign(input)"
    shrunk = input - shift
    return tg.where((input.abs() > lambd)._data, shrunk, 0.0)


def _tensor(where: str, x: Any) -> Tensor:
    """The input as a Tensor, refusing bool ones (which have no negative, and whose tanh is
    float16), as PyTorch's functions do."""
    x = _as_tensor(where, x)
    if x.dtype == np.bool_:
        raise TypeError(f"{where}: the input is a bool tensor; convert it to numbers first, "
                        f"x.float() or x.astype(np.float64)")
    return x

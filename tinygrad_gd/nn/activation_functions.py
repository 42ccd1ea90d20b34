"""The activations of PyTorch's `F` that take `inplace=`, those composed of other ops
(`hardsigmoid`, `selu`, `logsigmoid`, `tanhshrink`, `softmin`, `glu`, `prelu`,
`threshold`, `hardshrink`, `softshrink`), and F's `sigmoid`, `tanh`, `softsign`, `gelu`,
`softplus` (threshold=), `softmax`, `log_softmax` (dtype=): the `tg.` functions of their
ops under PyTorch's F signatures (`input`, its argument names and order).

`inplace=True` (where PyTorch's function has it) writes the result into the input and
returns the input, as PyTorch's (`_written`, which the `relu_` family shares): in the
graph, recorded (in_place_recorded.py; elu, selu, celu and leaky_relu by the ops of
activations_from_output.py, which keep their output, as PyTorch's); a leaf that requires
a gradient refused, as PyTorch's, and a view whose entries repeat (an expand), as
PyTorch's (it was computed out of place, a new tensor returned and the input left
unchanged). F's dropouts share it (`_new_or_written`). Each calls the `tg.` function of
its op, or is composed of Tensor ops: gradients come from `backward()`.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import functional as tg
from ..engine import no_grad
from ..errors import ShapeError
from ..in_place import shown
from ..in_place_recorded import rebase, recorded, writeable
from ..op_errors import refusing_as
from ..ops.arguments import either, number
from ..ops.losses import implicit_axis
from ..tensor import Tensor
from ..values import numeric_dtype
from .activations_from_output import SELU_ALPHA as _SELU_ALPHA, SELU_SCALE as _SELU_SCALE
from .activations_from_output import (CeluFromOutput, EluFromOutput, LeakyReluFromOutput,
                                      SeluFromOutput)
from .layer_arguments import _as_tensor, _floated, _one_dim

__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "hardtanh", "hardswish",
           "hardsigmoid", "silu", "mish", "logsigmoid", "tanhshrink", "softmin", "glu",
           "prelu", "threshold", "hardshrink", "softshrink", "sigmoid", "tanh", "softsign",
           "gelu", "softplus", "softmax", "log_softmax"]

def _in_place(where: str, inplace: Any) -> bool:
    """`inplace`, checked to be a flag."""
    if not isinstance(inplace, (bool, np.bool_)):
        raise TypeError(f"{where}: inplace must be True or False, got {inplace!r} (PyTorch's "
                        f"inplace flag: True writes the result into the input)")
    return bool(inplace)


def _written(name: str, function: Callable, input: Any, *args: Any,
             instead: str | None = None, recorded_as: Callable | None = None,
             **kwargs: Any) -> Tensor:
    """`function(input, ...)`'s values written into `input`, which is returned (F's
    `relu_` family and `inplace=True`); `instead` says what to write for a new tensor
    (`x = F.relu(x)`);
    `recorded_as`: the op the graph records instead of `function` (one that keeps its
    output). A write refused is refused before `function` runs (a dropout draws nothing)."""
    instead = instead or f"x = F.{name[:-1]}(x, ...)"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: the input must be a Tensor (it is changed in place), got "
                        f"{shown(input)}; or use {instead} (a new tensor)")
    if recorded(input, what=name):  # a tensor of the graph: the change recorded, as PyTorch's
        in_graph = recorded_as or function
        return rebase(input, name, lambda before, *xs: in_graph(before, *xs, **kwargs),
                      instead, *args)
    input._check_writable(name, f"use {instead} (a new tensor)")
    writeable(input, name)
    with no_grad():
        values = function(input, *args, **kwargs)._data
    if not np.can_cast(values.dtype, input.dtype, "same_kind"):
        raise TypeError(f"{name}: its values have dtype {values.dtype}, which the input's dtype "
                        f"{input.dtype} cannot hold; convert the input first (x = "
                        f"x.to(tg.float64)), or use {instead} (a new tensor)")
    input._write_at(..., values, name)
    return input


def _maybe_written(where: str, inplace: Any, function: Callable, input: Any,
                   *args: Any, recorded_as: Callable | None = None) -> Tensor | None:
    """`function(input, *args)` written into input when `inplace` is True (else None;
    `recorded_as`: as `_written`'s)."""
    if inplace is False or not _in_place(where, inplace):  # (fast path: False, unchecked)
        return None
    return _written_for_inplace(where, function, input, *args, recorded_as=recorded_as)


def _new_or_written(where: str, inplace: bool, function: Callable, input: Tensor) -> Tensor:
    """`function(input)`, a new tensor, or with `inplace` (a flag, checked) its values
    written into input, which is returned (F's dropouts' inplace=True, as PyTorch's)."""
    return _written_for_inplace(where, function, input) if inplace else function(input)


def _written_for_inplace(where: str, function: Callable, input: Any, *args: Any,
                         recorded_as: Callable | None = None) -> Tensor:
    """`_written` for F's `where(..., inplace=True)`, named so in its refusals."""
    return _written(f"{where}(inplace=True)", function, input, *args,
                    instead=f"x = F.{where}(x, ...)", recorded_as=recorded_as)


def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise (`inplace`: see the module's docstring)."""
    written = _maybe_written("relu", inplace, relu, input)
    return written if written is not None else tg.relu(input)


def relu6(input: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) elementwise; no gradient at 0 and 6."""
    written = _maybe_written("relu6", inplace, relu6, input)
    return written if written is not None else tg.relu6(input)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    written = _maybe_written("leaky_relu", inplace, leaky_relu, input, negative_slope,
                             recorded_as=LeakyReluFromOutput.call)
    return written if written is not None else tg.leaky_relu(input, negative_slope)


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    written = _maybe_written("elu", inplace, elu, input, alpha, recorded_as=EluFromOutput.call)
    return written if written is not None else tg.elu(input, alpha)


@refusing_as("selu", "elu")
def selu(input: Any, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with PyTorch's constants alpha = 1.6733, scale = 1.0507."""
    written = _maybe_written("selu", inplace, selu, input, recorded_as=SeluFromOutput.call)
    return written if written is not None else _SELU_SCALE * tg.elu(input, _SELU_ALPHA)


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    written = _maybe_written("celu", inplace, celu, input, alpha,
                             recorded_as=CeluFromOutput.call)
    return written if written is not None else tg.celu(input, alpha)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x limited to [min_val, max_val]; no gradient at or beyond the bounds."""
    written = _maybe_written("hardtanh", inplace, hardtanh, input, min_val, max_val)
    return written if written is not None else tg.hardtanh(input, min_val, max_val)


def hardswish(input: Any, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    written = _maybe_written("hardswish", inplace, hardswish, input)
    return written if written is not None else tg.hardswish(input)


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, a line between (gradient 1/6 strictly
    inside, 0 at and beyond -3 and 3 and at a NaN, as PyTorch's)."""
    written = _maybe_written("hardsigmoid", inplace, hardsigmoid, input)
    if written is not None:
        return written
    input = _as_tensor("hardsigmoid", input)
    out = tg.relu6(input + 3.0) / 6.0
    nan = np.isnan(input._data) if input.dtype.kind == "f" else None
    # (relu6 passes the gradient on at a NaN; PyTorch's hardsigmoid asks -3 < x < 3: 0)
    return tg.where(nan, np.nan, out) if nan is not None and nan.any() else out


def silu(input: Any, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish)."""
    written = _maybe_written("silu", inplace, silu, input)
    return written if written is not None else tg.silu(input)


def mish(input: Any, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    written = _maybe_written("mish", inplace, mish, input)
    return written if written is not None else tg.mish(input)


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
    else:  # one slope, as many axes as the input: it broadcasts over any input, a 0-d one
        # too, and a float64 slope keeps a float32 input's result float64 (a 0-d one would not)
        weight = weight.reshape((1,) * input.ndim)
    # x times its slope (1 or the weight), so that neither side's gradient multiplies the
    # other side's values: the weight's is sum(g * x) over x <= 0 even beside an x of inf
    return input * tg.where((input > 0)._data, 1.0, weight)


def threshold(input: Any, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else `value` (PyTorch's threshold; gradient 1 above the
    threshold, 0 at and below it; a NaN passed on with its gradient, as PyTorch's)."""
    written = _maybe_written("threshold", inplace, _thresholded, input, threshold, value)
    return written if written is not None else _thresholded(input, threshold, value)


def _thresholded(input: Any, threshold: float, value: float) -> Tensor:
    """`threshold`'s result, a new tensor."""
    input = _tensor("threshold", input)
    threshold = number("threshold", "threshold", threshold)
    value = number("threshold", "value", value)
    return tg.where((input <= threshold)._data, value, input)  # (a NaN is not <=: kept)


def hardshrink(input: Any, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0 (PyTorch's hardshrink; gradient 0 at +-lambd; a NaN
    kept, as PyTorch's)."""
    input = _tensor("hardshrink", input)
    lambd = number("hardshrink", "lambd", lambd)
    return tg.where(_within(input, lambd), 0.0, input)


def _within(input: Tensor, lambd: float) -> np.ndarray:
    """Where |x| <= lambd: what the shrinks zero (a NaN is not, as PyTorch's keep it)."""
    with np.errstate(invalid="ignore"):
        return np.abs(input._data) <= lambd


def softshrink(input: Any, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, else 0: x moved toward 0 by lambd
    (>= 0), as PyTorch's softshrink (gradient 0 at +-lambd; a NaN kept)."""
    input = _floated(_tensor("softshrink", input))  # (integers: the default float)
    lambd = number("softshrink", "lambd", lambd, 0)
    # (a constant: the step has no slope; as `input - array` would make it)
    shift = Tensor.operands((input, np.sign(input._data) * lambd), "softshrink")[1]
    if shift.size > 1:  # named, or a diagram draws it as the user's input (one number: folded)
        shift.name = f"{lambd:g} × sign(input)"
    shrunk = input - shift
    return tg.where(_within(input, lambd), 0.0, shrunk)


def _tensor(where: str, x: Any) -> Tensor:
    """The input as a Tensor, refusing bool ones (which have no negative, and whose tanh is
    float16), as PyTorch's functions do."""
    x = _as_tensor(where, x)
    if x.dtype == np.bool_:
        raise TypeError(f"{where}: the input is a bool tensor; convert it to numbers first, "
                        f"x.float() or x.astype(np.float64)")
    return x

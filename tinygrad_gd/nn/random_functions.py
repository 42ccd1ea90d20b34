"""PyTorch's `F` functions that draw random numbers, beside `dropout` and the channel
dropouts: `dropout3d` (whole channels of volumes zeroed), `alpha_dropout` and
`feature_alpha_dropout` (SELU's dropout: mean and variance kept), `rrelu` (a random
negative slope in training, their mean in eval) and `gumbel_softmax` (a sample of the
Gumbel-softmax distribution; hard=True: one-hot, its gradient the soft sample's).

Each takes `generator=` (a NumPy Generator, by keyword; PyTorch's have none), else draws
from `tg.manual_seed`'s generator, else fresh entropy, as `dropout`. The draws are
constants of the graph, named (diagrams do not draw them as inputs); the rest is Tensor
ops: gradients come from `backward()`.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import functional as tg
from ..creation import make_generator
from ..errors import ShapeError, user_stacklevel
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor
from .activation_functions import _new_or_written, _written
from .activations_from_output import rrelu_from_output, rrelu_slopes
from .layer_arguments import _as_tensor, _check_probability, _constant, _one_dim
from .spatial_functions import _channel_dropout

__all__ = ["dropout3d", "alpha_dropout", "feature_alpha_dropout", "rrelu", "gumbel_softmax"]

# SELU's -scale * alpha: where alpha dropout sets a dropped entry before its affine map
_ALPHA_PRIME = 1.7580993408473766


def dropout3d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: np.random.Generator | None = None) -> Tensor:
    """Channel dropout for (batch, C, depth, height, width) volumes or unbatched (C, depth,
    height, width) ones: each channel of each sample zeroed whole with probability p, the
    rest scaled by 1 / (1 - p); the identity when training=False (PyTorch's dropout3d;
    other ranks are refused, where PyTorch warns). `inplace=True` writes into the input,
    as `dropout`'s."""
    return _channel_dropout("dropout3d", input, p, training, generator, inplace,
                            {4: "(C, depth, height, width)",
                             5: "(batch, C, depth, height, width)"}, unbatched=4)


def _alpha_dropout(where: str, input: Any, p: Any, training: Any, inplace: Any,
                   generator: Any, feature: bool) -> Tensor:
    input = _as_tensor(where, input)
    p = _check_probability(where, p, "a channel" if feature else "an entry")
    training = check_flag(where, "training", training)
    inplace = check_flag(where, "inplace", inplace)
    if not training or p == 0 or not input.size:
        return input  # (inplace=True too: the input, unchanged, as PyTorch's)
    if p == 1:  # (PyTorch's: all zeros, not the dropped value)
        return _new_or_written(where, inplace, lambda x: x * 0.0, input)
    if feature and input.ndim < 2:  # (PyTorch's: refused only where a draw is made)
        raise ShapeError(f"{where}: feature dropout drops whole channels of (batch, C, ...) "
                         f"and needs at least 2 dimensions, got input of shape {input.shape}")
    shape = input.shape[:2] + (1,) * (input.ndim - 2) if feature else input.shape

    def dropped(x: Tensor) -> Tensor:  # (drawn only once a write in place is allowed)
        keep = make_generator(None, generator, where).random(shape) >= p
        # a * (x where kept, else -alpha') + b: mean 0 and variance 1 stay so (SELU's)
        a = 1.0 / math.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
        scale = _constant(keep * a, f"{where} mask (times {a:.4g})", x)
        shift = _constant(np.where(keep, _ALPHA_PRIME * a * p, _ALPHA_PRIME * a * (p - 1)),
                          f"{where} shift", x)
        return x * scale + shift
    return _new_or_written(where, inplace, dropped, input)


def alpha_dropout(input: Any, p: float = 0.5, training: bool = False, inplace: bool = False,
                  *, generator: np.random.Generator | None = None) -> Tensor:
    """SELU's dropout: each entry dropped with probability p to SELU's saturation value
    -1.7581, then all mapped by a * x + b so that inputs of mean 0 and variance 1 keep them
    (a = ((alpha'**2 p + 1)(1 - p))**-0.5), as PyTorch's alpha_dropout. training=False (the
    default, as PyTorch's) or p = 0: the input; p = 1: zeros. `inplace=True` writes into
    the input, as `dropout`'s."""
    return _alpha_dropout("alpha_dropout", input, p, training, inplace, generator, False)


def feature_alpha_dropout(input: Any, p: float = 0.5, training: bool = False,
                          inplace: bool = False, *,
                          generator: np.random.Generator | None = None) -> Tensor:
    """`alpha_dropout` of whole channels: one draw per channel of each sample (axis 1 of
    (batch, C, ...)), as PyTorch's feature_alpha_dropout."""
    return _alpha_dropout("feature_alpha_dropout", input, p, training, inplace, generator,
                          True)


def _slopes(where: str, lower: Any, upper: Any) -> tuple[float, float]:
    lower, upper = number(where, "lower", lower), number(where, "upper", upper)
    if lower > upper:
        raise RuntimeError(f"{where}: lower {lower} is above upper {upper}; the slopes are "
                           f"drawn from [lower, upper]: give lower <= upper")
    return lower, upper


def rrelu(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False, *, generator: np.random.Generator | None = None) -> Tensor:
    """The randomized leaky relu (PyTorch's rrelu): x where x > 0, else a * x. In training
    each entry's slope a is drawn from U(lower, upper) (at x = 0 too, which gets that slope
    as its gradient, as PyTorch's); training=False (the default): a is their mean
    (lower + upper) / 2 (`leaky_relu`). `inplace=True` writes the result into the input and
    returns it (`rrelu_written`)."""
    if check_flag("rrelu", "inplace", inplace):
        return rrelu_written("rrelu(inplace=True)", input, lower, upper, training, generator)
    input = _as_tensor("rrelu", input)
    lower, upper = _slopes("rrelu", lower, upper)
    if not check_flag("rrelu", "training", training):
        return tg.leaky_relu(input, (lower + upper) / 2)
    slopes = rrelu_slopes(input, lower, upper, generator)
    return tg.where((input > 0)._data, input, input * slopes)


def rrelu_written(name: str, input: Any, lower: Any, upper: Any, training: Any,
                  generator: Any) -> Tensor:
    """rrelu's values written into the input, which is returned (`F.rrelu_`, and
    `inplace=True`); in a graph, recorded by ops that keep their output, as PyTorch's
    (activations_from_output.py)."""
    lower, upper = _slopes(name, lower, upper)
    training = check_flag(name, "training", training)
    return _written(name, rrelu_from_output, input, lower, upper, training, generator,
                    instead="x = F.rrelu(x, ...)")


def gumbel_softmax(logits: Any, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1, *, generator: np.random.Generator | None = None) -> Tensor:
    """A sample of the Gumbel-softmax distribution, as PyTorch's gumbel_softmax:
    softmax((logits + g) / tau) along `dim`, g drawn from Gumbel(0, 1) (-log of an
    Exponential(1) draw). hard=True: the one-hot of its largest entry (the first of ties),
    whose gradient is the soft sample's ((y_soft - y_soft.detach()) + y_hard, straight
    through; PyTorch's sums in another order, its values one-hot up to rounding). tau must
    be > 0 (PyTorch's gives NaN at 0). eps is unused (deprecated, as PyTorch's, which
    warns when it is given)."""
    where = "gumbel_softmax"
    logits = _as_tensor(where, logits)
    if logits.dtype.kind != "f":
        raise TypeError(f"{where}: logits must be floating point, got dtype {logits.dtype}; "
                        f"convert them first, x.double()")
    tau = number(where, "tau", tau, 0, strict=True)
    hard = check_flag(where, "hard", hard)
    if number(where, "eps", eps) != 1e-10:
        warnings.warn(f"{where}: eps is deprecated and has no effect", stacklevel=user_stacklevel())
    dim = _one_dim(where, dim, max(logits.ndim, 1))
    flat = logits.reshape(1) if logits.ndim == 0 else logits  # (a 0-d one: one class)
    rng = make_generator(None, generator, where)
    gumbels = _constant(-np.log(rng.exponential(1.0, flat.shape)), f"{where} noise", flat)
    soft = tg.softmax((flat + gumbels) / tau, axis=dim)
    if hard and soft.size:
        first = np.expand_dims(np.argmax(soft._data, axis=dim), dim)
        one_hot = np.zeros(flat.shape, bool)
        np.put_along_axis(one_hot, first, True, axis=dim)
        held = soft.detach()  # (a leaf: named, as the draws, for diagrams)
        held.name = f"{where} soft sample, detached"
        soft = (soft - held) + _constant(one_hot, f"{where} one-hot", flat)  # (one-hot values)
    return soft.reshape(()) if logits.ndim == 0 else soft

"""The formulas of `LayerNorm`, `BatchNorm1d`/`BatchNorm2d`, `GroupNorm`, `RMSNorm` and
`Embedding` as PyTorch's functions (`F.layer_norm`, `F.batch_norm`, `F.group_norm`,
`F.rms_norm`, `F.embedding`); the layers call these, so each formula is written once.
Composed of Tensor ops: gradients come from `backward()`.

Beside them, the argument checks `nn`'s functions and layers share (`_as_tensor`,
`_floated`, `_normalized_shape`, `_one_dim`, `_check_probability`, `_normalized` (normalize's
and cosine_similarity's division by a norm), the embedding layers'
`_padding_idx`, `_starting_weight`, `_embedding_options`; numbers through the ops'
`number`): one line naming the function or layer; the embedding layers' max_norm
(`_renorm`); `_constant`, a constant a function makes for itself (a mask, zeros,
weights), and `_named`, one it computes from constants, named for the diagrams; and
`_dropout_mask`, the mask of `dropout` and of the channel dropouts (spatial_functions.py).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as tg
from ..composed_reductions import vector_norm
from ..creation import make_generator
from ..engine import no_grad
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..inference import refuse_changes, refuse_kept_by
from ..ops.arguments import check_axis, number, refuse_no_numbers, tensor_int
from ..ops.reductions import accumulator
from ..scope import made_here
from ..tensor import Tensor, _as_array
from ..values import default_float
from .registration import _float_dtype
from .tensor_settings import held_float, held_int

__all__ = ["layer_norm", "batch_norm", "group_norm", "rms_norm", "embedding"]


def _as_tensor(where: Any, x: Any, like: Tensor | None = None, what: str = "input") -> Tensor:
    """A Tensor as is; anything else as a constant (in `like`'s float dtype, if given; else
    numbers and lists in the default float, as `tg.Tensor([1.0, 2.0])`), or a one-line
    error naming `where` (a name, or a layer named by its repr) and the argument (`what`),
    not Tensor()."""
    if isinstance(x, Tensor):
        return x  # (before any repr is made: a layer's forward pays nothing for the check)
    name = where if isinstance(where, str) else repr(where)
    refuse_no_numbers(name, what, x)  # (a string was read as shape (), None as objects)
    dtype = like.dtype if like is not None and like.dtype.kind == "f" else None
    if dtype is None and not isinstance(x, (np.ndarray, np.generic)):
        dtype = default_float()
    return Tensor.from_op(_as_array(x, dtype, f"{name}: {what}"), None)


def _given_shape(where: str, what: str, value: Any) -> tuple[int, ...]:
    """The shape of a norm's weight, bias or running statistic as given (a Tensor, an
    array, a list of numbers); None, a string or another object refused in one line."""
    if isinstance(value, Tensor):
        return value.shape
    refuse_no_numbers(where, what, value)
    return tuple(np.shape(value))


def _floated(tensor: Tensor) -> Tensor:
    """`tensor` as it is where its dtype is a float one (float32 kept), else cast in the
    graph to the default float (float64 unless tg.set_default_dtype changed it), as
    PyTorch's functions of real values treat integers (and `ops.arguments.floating`
    an op's arrays)."""
    return tensor if tensor.dtype.kind == "f" else tensor.to(default_float())


def _check_probability(where: str, p: Any, what: str = "an entry", name: str = "p") -> Any:
    """A dropout's probability (the argument `name`: a dropout's p, a layer's dropout): a
    number in [0, 1], the probability of zeroing `what` (an entry, a channel), given back
    (a 0-d tensor's as its float, as PyTorch reads it)."""
    if isinstance(p, Tensor):  # (a 0-d tensor's float, as PyTorch reads it)
        p = held_float(where, name, p)
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0 <= p <= 1:
        raise ValueError(f"{where}: {name} is the probability of zeroing {what}, a number in "
                         f"[0, 1]; got {p!r}")
    return p


def _named(t: Tensor, name: str) -> Tensor:
    """`t`, made by a function, named `name` where it is a constant (a leaf: an array made
    for it, a slice of a constant, or an op of constants only, which the engine folds into
    a new leaf) of more than one number, not named yet: unnamed, a diagram would draw it as
    another of the user's inputs (one number it folds into its op's label)."""
    if t.is_leaf and t.size > 1 and t.name is None:
        t.name = name
    return t


def _constant(values: np.ndarray, name: str, like: Any = None) -> Tensor:
    """`values` (an array made for it: kept, not copied) as a tensor without a graph, in
    `like`'s dtype (a Tensor's, or a dtype) where that is a float one, else the default
    float (no `like`: as they are), named `name` as `_named` names it."""
    if like is not None:
        dtype = np.dtype(getattr(like, "dtype", like))
        values = values.astype(dtype if dtype.kind == "f" else default_float(), copy=False)
    return _named(made_here(Tensor.from_op(values, None)), name)


def _dropout_mask(where: str, shape: tuple[int, ...], p: Any, generator: Any, dtype: Any,
                  name: str) -> Tensor:
    """Inverted dropout's mask of `shape`: each entry 0 with probability p, else 1 / (1 - p)
    (all 0, nothing drawn, when p == 1), drawn from `generator` (None: `make_generator`'s),
    in `dtype` if a float one, else the default float; named `name` unless it is one
    number."""
    rng = make_generator(None, generator, where)
    keep = np.zeros(shape) if p == 1 else (rng.random(shape) >= p) / (1.0 - p)
    return _constant(keep, name, dtype)


def _normalized_shape(where: str, value: Any) -> tuple[int, ...]:
    """LayerNorm's normalized_shape (an int or a non-empty sequence of ints) as a tuple."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    try:
        shape = tuple(value) if not isinstance(value, (str, bytes)) else None
    except TypeError:
        shape = None
    if shape is None or any(isinstance(n, bool) or not isinstance(n, (int, np.integer))
                            for n in shape):
        raise TypeError(f"{where}: normalized_shape must be an int or a tuple of ints (the "
                        f"sizes of the input's last axes), got {value!r}")
    if not shape:
        raise ValueError(f"{where}: normalized_shape must name at least one axis, got "
                         f"{value!r}; e.g. the feature count, normalized_shape=x.shape[-1]")
    return tuple(int(n) for n in shape)


def _one_dim(where: str, dim: Any, ndim: int | None = None, none_ok: bool = False) -> Any:
    """An axis: an int (in range for `ndim` axes, if given), or None where `none_ok`."""
    if dim is None and none_ok:
        return None
    if isinstance(dim, Tensor):  # (PyTorch's 0-d integer tensor for an int; no other)
        dim = tensor_int(where, "dim", dim, "an int")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{where}: dim must be an int{' or None' if none_ok else ''}, got "
                        f"{type(dim).__name__} {dim!r}")
    if ndim is not None and not -ndim <= dim < ndim:
        # NumPy's AxisError: a ValueError (NumPy) and an IndexError (PyTorch) both
        valid = f"a dim in [{-ndim}, {ndim - 1}]" if ndim else "an input with an axis"
        raise np.exceptions.AxisError(f"{where}: dim {dim} is out of range for an input with "
                                      f"{ndim} dimension(s); use {valid}")
    return int(dim)


def _normalized(where: str, input: Tensor, dim: Any, eps: Any, p: Any = 2,
                dims_ok: bool = False) -> Tensor:
    """input / max(its p-norm along `dim`, eps) (normalize's, cosine_similarity's); a 0-d
    input is one entry along dim 0 or -1, as PyTorch's; `dims_ok`: dim may be a tuple
    (normalize's, as PyTorch's: the norm over those axes, over all of them for ())."""
    eps = number(where, "eps", eps, 0)  # (a negative eps, or NaN, would pass every norm)
    if isinstance(dim, Tensor):  # (PyTorch's 0-d integer tensor for an int; no other)
        dim = tensor_int(where, "dim", dim, "an int")
    scalar = input.ndim == 0 and isinstance(dim, (int, np.integer)) and \
        not isinstance(dim, bool) and dim in (0, -1)
    if dims_ok and isinstance(dim, (tuple, list)):  # (none: every axis, as PyTorch's)
        dim = check_axis(where, dim, input.ndim) if dim else None
    else:
        dim = 0 if scalar else _one_dim(where, dim, input.ndim)
    along = input.reshape((1,)) if input.ndim == 0 else input
    norm = along.norm(axis=dim, keepdims=True) if p == 2 else \
        vector_norm(along, p, dim, True, op=where)
    norm = norm.clip(eps, None)
    return input / (norm.reshape(()) if input.ndim == 0 else norm)


def _check_features(value: Any, name: str, where: str = "Linear", *, empty: bool = False
                    ) -> int:
    """A layer's size argument (in_features, num_embeddings, ...): a positive int, or 0 too
    where `empty` (the sizes PyTorch builds a layer of zero-size tensors for)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1 - empty:
        error = ValueError if isinstance(value, (int, np.integer)) else TypeError
        kind = "a non-negative" if empty else "a positive"
        raise error(f"{where}: {name} must be {kind} int, got {value!r}")
    return int(value)


def _padding_idx(where: str, padding_idx: Any, num_embeddings: int) -> int | None:
    """An embedding layer's padding_idx: None, or a row (negative: from the end) as its
    index from 0, as PyTorch's layers keep it."""
    if padding_idx is None:
        return None
    padding_idx = held_int(where, "padding_idx", padding_idx)  # (a tensor's one int)
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"{where}: padding_idx must be an int (a row) or None, got "
                        f"{type(padding_idx).__name__} {padding_idx!r}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{where}: padding_idx {padding_idx} is not a row of {num_embeddings}")
    return int(padding_idx) % num_embeddings


def _starting_weight(where: str, _weight: Any, shape: tuple[int, int], dtype: Any,
                     device: Any) -> np.ndarray:
    """The embedding layers' starting weight: PyTorch's `_weight` copied (its float dtype
    kept unless dtype= says otherwise; of `shape`, else a one-line error), or zeros for
    the layer's reset_parameters to draw into."""
    given = None if _weight is None else np.array(getattr(_weight, "_data", _weight))
    if dtype is None and given is not None and given.dtype.kind == "f":
        dtype = given.dtype  # (PyTorch's: the given weight's dtype)
    resolved = _float_dtype(dtype, where, device)
    if given is None:
        return np.zeros(shape, resolved)
    if given.shape != shape:
        raise ValueError(f"{where}: _weight of shape {given.shape} must have shape "
                         f"(num_embeddings, embedding_dim) = {shape}")
    return given.astype(resolved)


def _embedding_options(where: str, max_norm: Any, norm_type: Any, scale_grad_by_freq: Any,
                       sparse: Any) -> None:
    """PyTorch's embedding options checked: max_norm None or a number > 0, norm_type a
    number, the flags True or False; sparse=True refused (the gradients here are dense)."""
    if max_norm is not None and number(where, "max_norm", max_norm) <= 0:
        raise ValueError(f"{where}: max_norm must be positive (the rows' largest norm) or "
                         f"None, got {max_norm!r}")
    number(where, "norm_type", norm_type)
    check_flag(where, "scale_grad_by_freq", scale_grad_by_freq)
    if check_flag(where, "sparse", sparse):
        raise NotImplementedError(f"{where}: sparse=True is not supported (sparse gradients); "
                                  f"leave it False: the weight's gradient is dense")


def _renorm(weight: Tensor, index: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_ (the embedding layers' max_norm): each row of `weight`
    that `index` looks up whose `norm_type`-norm is above max_norm is scaled, in place and
    outside the graph, by max_norm / (norm + 1e-7)."""
    looked_up = np.unique(index)
    norms = np.linalg.norm(weight._data[looked_up], ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        with no_grad():  # (counted as an in-place write: graphs that saved it refuse)
            weight[looked_up[over]] = weight._data[looked_up[over]] * (
                max_norm / (norms[over] + 1e-7))[:, None]


def _widened(input: Tensor) -> Tensor:
    """A float16 or float32 input in float64 (`accumulator`'s), in the graph: their squares
    overflow (float16's at 256, float32's at 1.8e19, where the variance would be inf and
    every output 0). float64 as it is. The normalised result goes back to the input's
    dtype (`.to`), as PyTorch's: float64's values and gradients, rounded."""
    wide = accumulator(input.dtype)
    return input if wide is None else input.to(wide)


def _standardized(work: Tensor, axis: Any, eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps) over `axis`, the biased variance: layer_norm's and
    group_norm's formula."""
    centred = work - work.mean(axis=axis, keepdims=True)
    return centred / ((centred ** 2).mean(axis=axis, keepdims=True) + eps).sqrt()


def _affine(out: Tensor, work: Tensor, input: Tensor, weight: Tensor | None,
            bias: Tensor | None) -> Tensor:
    """A norm's `out`, normalised from `work`, back in the input's dtype where `work` is
    `_widened`'s copy of it (an integer input's float64 stays), then times `weight` plus
    `bias` (either None: left out), as every norm here ends."""
    if work is not input:
        out = out.to(input.dtype)
    if weight is not None or bias is not None:  # (a constant of a constant input: named;
        out = _named(out, "normalised input")  # what is returned never is)
    if weight is not None:
        out = out * weight
    return out + bias if bias is not None else out


def layer_norm(input: Any, normalized_shape: int | tuple[int, ...], weight: Any = None,
               bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Each sample normalised over its last axes (`normalized_shape`): (x - mean) /
    sqrt(var + eps) (the biased variance), then times `weight` plus `bias` (each of shape
    normalized_shape, or None), as PyTorch's layer_norm."""
    input = _as_tensor("layer_norm", input)
    shape = _normalized_shape("layer_norm", normalized_shape)
    eps = number("layer_norm", "eps", eps, 0)
    n = len(shape)
    if input.ndim < n or input.shape[input.ndim - n:] != shape:
        raise ShapeError(f"layer_norm: the input's last axes {input.shape[input.ndim - n:]} "
                         f"(shape {input.shape}) must be {shape}, the normalized_shape")
    for name, t in (("weight", weight), ("bias", bias)):
        given = shape if t is None else _given_shape("layer_norm", name, t)
        if given != shape:
            raise ShapeError(f"layer_norm: {name} of shape {given} must have normalized_shape "
                             f"{shape}")
    refuse_kept_by("layer_norm", (("input", input), ("weight", weight), ("bias", bias)),
                   (input, weight, bias))
    axes = tuple(range(input.ndim - n, input.ndim))
    work = _widened(input)
    return _affine(_standardized(work, axes, eps), work, input, weight, bias)


_BOTH_OR_NEITHER = ("running_mean and running_var must either both be None or neither be None; "
                    "give both (running_var starts as ones) or neither (the batch's statistics "
                    "alone)")  # (PyTorch's words, then what to do)


def batch_norm(input: Any, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Any = None, bias: Any = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Each feature (axis 1 of (batch, C, ...)) normalised: (x - mean) / sqrt(var + eps),
    then times `weight` plus `bias` (each of shape (C,), or None), as PyTorch's batch_norm.

    training=True: the batch's mean and (biased) variance over every axis but 1, and
    `running_mean` and `running_var`, if given, are moved toward them in place (values,
    outside any graph): `running = (1 - momentum) * running + momentum * batch`, with the
    unbiased variance. training=False: the running estimates are used instead.
    """
    input = _as_tensor("batch_norm", input)
    momentum = number("batch_norm", "momentum", momentum)
    # PyTorch's: a variance of 0 (a constant feature) would be divided by eps
    eps = number("batch_norm", "eps in training" if training else "eps", eps, 0,
                  strict=bool(training))
    if input.ndim < 2 and input.shape != (0,):  # (PyTorch's: an empty vector comes back)
        raise ShapeError(f"batch_norm: expected input of shape (batch, C, ...), got shape "
                         f"{input.shape}")
    features = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"batch_norm: {name} must be a Tensor (it is updated in place) or "
                            f"None, got a {type(t).__name__}; wrap it: tg.Tensor(array)")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        given = (features,) if t is None else _given_shape("batch_norm", name, t)
        if given != (features,):
            raise ShapeError(f"batch_norm: {name} of shape {given} does not fit input of shape "
                             f"{input.shape}; expected ({features},), one per feature of axis 1")
    if training and (running_mean is None) != (running_var is None):  # (one alone moved)
        raise ValueError(f"batch_norm: {_BOTH_OR_NEITHER}")
    if training:  # (moved in place below: refused before anything moves, as PyTorch's
        # BatchNorm refuses at its step counter, before its kernel keeps anything)
        refuse_changes("batch_norm", (running_mean, running_var), "clone them (t.clone()), "
                       "or use training=False", lambda i, t: ("running_mean", "running_var")[i])
    refuse_kept_by("batch_norm", (("input", input), ("weight", weight), ("running_mean",
                   running_mean), ("running_var", running_var)), (input, weight, bias))
    axes = (0,) + tuple(range(2, input.ndim))  # all but the features' axis
    shape = (1, -1) + (1,) * (input.ndim - 2)  # a feature's values broadcast
    if input.ndim == 1:  # (0,): as (0, 0), no feature
        return batch_norm(input.reshape((0, 0)), running_mean, running_var, weight, bias,
                          training, momentum, eps).reshape((0,))
    work = _widened(input)
    if training:
        count = input.size // features if features else 0
        if count == 1:
            raise ValueError(f"batch_norm: training needs more than one value per feature "
                             f"to take a variance, got input of shape {input.shape}")
    if training and not count:  # an empty batch or no feature: nothing to normalise (as
        zeros = np.zeros((1, features) + (1,) * (input.ndim - 2), work.dtype)  # PyTorch's,
        mean, var = _constant(zeros, "0"), _constant(zeros + 1, "1")  # stats unchanged)
    elif training:  # (each statistic named where it is a constant: of a constant input)
        mean = _named(work.mean(axis=axes, keepdims=True), "batch mean")
        centred = work - mean  # (once: the variance's and the output's)
        var = _named((centred ** 2).mean(axis=axes, keepdims=True), "batch variance")
        with no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean._data.reshape(-1) * momentum)
            if running_var is not None:
                unbiased = var._data.reshape(-1) * count / (count - 1)
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm: training=False normalises with running_mean and "
                         "running_var, and one of them is None; pass both, or training=True")
    else:  # (constants: named, or a diagram would draw them as the user's inputs)
        mean = _named(running_mean.reshape(shape), "running_mean")
        var = _named(running_var.reshape(shape), "running_var")
    if not (training and count):
        centred = work - mean
    out = centred / _named((var + eps).sqrt(), f"sqrt({var.name or 'var'} + eps)")
    weight, bias = (None if t is None else
                    _by_channel(_as_tensor("batch_norm", t, input, name), name, input.ndim)
                    for name, t in (("weight", weight), ("bias", bias)))
    return _affine(out, work, input, weight, bias)


def _channels(where: str, input: Tensor, name: str, t: Any,
              error: type[Exception] = ShapeError) -> Tensor | None:
    """A (C,) tensor (weight, bias, running statistic) checked against axis 1 of `input`;
    `error`: the type PyTorch's function raises for one that does not fit."""
    if t is None:
        return None
    t = _as_tensor(where, t, input, name)
    if t.shape != (input.shape[1],):
        raise error(f"{where}: {name} of shape {t.shape} does not fit input of shape "
                    f"{input.shape}; expected ({input.shape[1]},), one per channel")
    return t


def _per_channel(where: str, input: Tensor, name: str, t: Any) -> Tensor | None:
    """A (C,) weight or bias as a Tensor shaped to broadcast over axis 1 of `input`."""
    t = _channels(where, input, name, t, ShapeError)
    return None if t is None else _by_channel(t, name, input.ndim)


def _by_channel(t: Tensor, name: str, ndim: int) -> Tensor:
    """A (C,) tensor reshaped (1, C, 1, ...) to broadcast over axis 1 of an input of `ndim`
    axes (a constant one named: the user's weight, not a "reshape of constants")."""
    return _named(t.reshape((1, -1) + (1,) * (ndim - 2)), f"{t.name or name} per channel")


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Each sample's channels (axis 1 of (batch, C, ...)) split into `num_groups` groups,
    each normalised over its channels and positions: (x - mean) / sqrt(var + eps) (the
    biased variance), then times `weight` plus `bias` (each (C,) or None), as PyTorch's
    group_norm."""
    input = _as_tensor("group_norm", input)
    eps = number("group_norm", "eps", eps, 0)
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)) \
            or num_groups < 1:
        raise TypeError(f"group_norm: num_groups must be a positive int, got {num_groups!r}")
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ShapeError(f"group_norm: expected input of shape (batch, C, ...) with C "
                         f"divisible by num_groups={num_groups}, got shape {input.shape}")
    refuse_kept_by("group_norm", (("input", input), ("weight", weight)), (input, weight, bias))
    weight, bias = (_per_channel("group_norm", input, name, t)
                    for name, t in (("weight", weight), ("bias", bias)))
    work = _widened(input)
    # (the group's size spelled out: -1 is ambiguous in an empty batch)
    grouped = work.reshape((input.shape[0], int(num_groups),
                            math.prod(input.shape[1:]) // int(num_groups)))
    out = _standardized(grouped, -1, eps).reshape(input.shape)
    return _affine(out, work, input, weight, bias)


def rms_norm(input: Any, normalized_shape: int | tuple[int, ...], weight: Any = None,
             eps: float | None = None) -> Tensor:
    """Each sample divided by its root mean square over its last axes (`normalized_shape`):
    x / sqrt(mean(x**2) + eps), then times `weight` (of shape normalized_shape, or None),
    as PyTorch's rms_norm; eps None: the input dtype's machine epsilon (PyTorch's)."""
    input = _as_tensor("rms_norm", input)
    shape = _normalized_shape("rms_norm", normalized_shape)
    if eps is None:
        eps = float(np.finfo(input.dtype if input.dtype.kind == "f" else np.float64).eps)
    eps = number("rms_norm", "eps", eps, 0)
    n = len(shape)
    if input.ndim < n or input.shape[input.ndim - n:] != shape:
        raise ShapeError(f"rms_norm: the input's last axes {input.shape[input.ndim - n:]} "
                         f"(shape {input.shape}) must be {shape}, the normalized_shape")
    given = shape if weight is None else _given_shape("rms_norm", "weight", weight)
    if given != shape:
        raise ShapeError(f"rms_norm: weight of shape {given} must have normalized_shape {shape}")
    axes = tuple(range(input.ndim - n, input.ndim))
    work = _widened(input)
    out = work / ((work ** 2).mean(axis=axes, keepdims=True) + eps).sqrt()
    return _affine(out, work, input, weight, None)


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """`weight[input]`: row i of `weight` (num_embeddings, embedding_dim) for each index i,
    as PyTorch's embedding. The row at `padding_idx` (negative: from the end) gets no
    gradient (its values are looked up as they are). `max_norm`: each looked-up row of a
    norm (`norm_type`-norm) above it is first rescaled to max_norm, in the weight itself
    (in place, outside the graph, as PyTorch's). `scale_grad_by_freq`: each row's gradient
    divided by how often its index occurs in `input`. `sparse=True` is refused."""
    _embedding_options("embedding", max_norm, norm_type, scale_grad_by_freq, sparse)
    index = np.asarray(getattr(input, "_data", input))
    weight = _as_tensor("embedding", weight, None, "weight")
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    rows = weight.shape[0]
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: the input must be integer indices, got dtype "
                        f"{index.dtype}; build them with tg.as_tensor([0, 2])")
    if index.size and not (0 <= index.min() and index.max() < rows):
        raise IndexError(f"embedding: indices must lie in [0, {rows - 1}], got {index.min()} "
                         f"to {index.max()}")
    padding_idx = held_int("embedding", "padding_idx", padding_idx)  # (a tensor's one int)
    if padding_idx is not None and (
            isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer))
            or not -rows <= padding_idx < rows):
        raise ValueError(f"embedding: padding_idx must be an int in [{-rows}, {rows - 1}] "
                         f"(a row of the weight), got {padding_idx!r}")
    if max_norm is not None:
        _renorm(weight, index, max_norm, norm_type)
    rows_out = weight[index]
    if padding_idx is not None:
        row = padding_idx % rows  # (its values as they are, broadcast: a constant)
        rows_out = tg.where((index != row)[..., None], rows_out,
                            _named(weight.detach()[row], f"weight[{row}] (padding_idx)"))
    return _grad_by_frequency(rows_out, index) if scale_grad_by_freq else rows_out


def _grad_by_frequency(rows: Tensor, index: np.ndarray, counted: np.ndarray | None = None
                       ) -> Tensor:
    """`rows` (one looked-up row per entry of `index`) with their values unchanged and
    each one's gradient divided by how often its index occurs in `counted` (all the
    indices given; `index` itself by default): scale_grad_by_freq's rule."""
    if not index.size:
        return rows
    values, counts = np.unique(index if counted is None else counted, return_counts=True)
    count = counts[np.searchsorted(values, index)]
    scale = _constant((1.0 / count)[..., None].astype(rows.dtype), "1 / index count")
    frozen = _named(rows.detach(), "looked-up rows (no gradient)")
    return frozen + (rows - frozen) * scale

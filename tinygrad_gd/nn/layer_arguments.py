"""The argument checks `nn`'s functions and layers share, and the constants they make.

Each check says a bad argument in one line naming the function or layer: `_as_tensor` (an
input as a Tensor), `_given_shape`, `_floated`, `_check_probability` (a dropout's p),
`_normalized_shape`, `_one_dim`, `_check_features` (a layer's sizes); `_normalized`
(normalize's and cosine_similarity's division by a norm). The constants: `_constant`, one a
function makes for itself (a mask, zeros, weights), and `_named`, one it computes from
constants, named for the diagrams; `_dropout_mask`, the mask of `dropout` and of the
channel dropouts (spatial_functions.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..composed_reductions import vector_norm
from ..creation import make_generator
from ..ops.arguments import check_axis, number, refuse_no_numbers, tensor_int
from ..scope import made_here
from ..tensor import Tensor, _as_array
from ..values import default_float
from .tensor_settings import held_float


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

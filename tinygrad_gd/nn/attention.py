"""Scaled dot-product attention as PyTorch's function (`F.scaled_dot_product_attention`):
softmax(query @ key^T * scale + mask) @ value over any leading batch (and heads) axes.

Composed of Tensor ops (matmul, masked_fill, softmax): gradients come from `backward()`.
A row of scores that every mask shuts (all -inf) gives weights of 0, an output of 0 and
no gradient, as PyTorch 2.13's (its `_safe_softmax`), not the NaN of a plain softmax.
`MultiheadAttention` (transformer.py) calls it when asked for no weights, as PyTorch's.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor
from .layer_arguments import _as_tensor, _constant, _dropout_mask, _named

__all__ = ["scaled_dot_product_attention"]

_WHERE = "scaled_dot_product_attention"


def _check_inputs(query: Tensor, key: Tensor, value: Tensor) -> None:
    """PyTorch's rules, in its RuntimeErrors: float query, key and value of one dtype, each
    (..., length, features), key and value of one length, query and key of one width."""
    if query.dtype.kind != "f":
        raise RuntimeError(f"{_WHERE}: query, key and value must be floating point, got "
                           f"dtype {query.dtype}")
    if key.dtype != query.dtype or value.dtype != query.dtype:
        raise RuntimeError(f"{_WHERE}: query, key and value must have the same dtype, got "
                           f"{query.dtype}, {key.dtype} and {value.dtype}")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ShapeError(f"{_WHERE}: query, key and value must be at least 2-D (..., "
                         f"length, features), got shapes {query.shape}, {key.shape} and "
                         f"{value.shape}")
    if query.shape[-1] != key.shape[-1]:
        raise ShapeError(f"{_WHERE}: query of shape {query.shape} and key of shape "
                         f"{key.shape} must have the same last axis (the features "
                         f"compared)")
    if key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"{_WHERE}: key of shape {key.shape} and value of shape "
                         f"{value.shape} must have the same length (axis -2)")


def _grouped(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """enable_gqa: each head of key and value shared by a group of query heads (axis -3),
    repeated in the graph so that each query head has its own."""
    if min(query.ndim, key.ndim, value.ndim) < 3:
        raise ShapeError(f"{_WHERE}: enable_gqa=True needs a heads axis (-3) in query, key "
                         f"and value, got shapes {query.shape}, {key.shape} and "
                         f"{value.shape}")
    heads = query.shape[-3]
    for name, t in (("key", key), ("value", value)):
        if not t.shape[-3] or heads % t.shape[-3]:
            raise ShapeError(f"{_WHERE}: the number of heads in {name} ({t.shape[-3]}) must "
                             f"divide the number in query ({heads}) with enable_gqa=True")
    return tuple(t if t.shape[-3] == heads else t.repeat_interleave(heads // t.shape[-3],
                                                                    dim=-3)
                 for t in (key, value))


def _mask(attn_mask: Any, query: Tensor, shape: tuple[int, ...]) -> Any:
    """attn_mask as a boolean array (True: takes part) or a float Tensor (added, in the
    query's dtype; named when made here from an array), checked to broadcast to the
    scores' `shape`."""
    if not isinstance(attn_mask, Tensor):
        attn_mask = np.asarray(attn_mask)
    if attn_mask.dtype.kind not in "bf":
        raise RuntimeError(f"{_WHERE}: attn_mask must be boolean (True: takes part) or "
                           f"floating point (added to the scores), got dtype "
                           f"{attn_mask.dtype}")
    try:
        fits = np.broadcast_shapes(attn_mask.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{_WHERE}: attn_mask of shape {attn_mask.shape} does not broadcast "
                         f"to the scores' shape {shape} (..., query length, key length)")
    if attn_mask.dtype.kind == "b":
        return np.asarray(getattr(attn_mask, "_data", attn_mask))
    if not isinstance(attn_mask, Tensor):  # (a copy: the caller's array may change later)
        attn_mask = _constant(attn_mask.astype(query.dtype), "attn_mask")
    return attn_mask if attn_mask.dtype == query.dtype else attn_mask.to(query.dtype)


def _dropout_probability(p: Any) -> float:
    p = number(_WHERE, "dropout_p", p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"{_WHERE}: dropout_p is the probability of zeroing a weight, a "
                           f"number in [0, 1]; got {p!r}")
    return p


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False, *,
                                 generator: np.random.Generator | None = None) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as PyTorch's.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
    axes broadcast. `scale` None: 1 / sqrt(E). `attn_mask` broadcasts to (..., L, S):
    boolean (True: the key takes part in that query's weights) or float (added to the
    scores: -inf shuts a key out). `is_causal`: query i sees keys 0..i (the lower
    triangle, aligned at the top left when L != S); not with attn_mask. A query whose
    every key is shut gets weights 0 and an output of 0 (PyTorch's). `dropout_p`: each
    weight zeroed with that probability, the rest scaled by 1 / (1 - dropout_p), on every
    call (there is no training flag, as in PyTorch), the mask drawn from `generator`
    (None: `tg.manual_seed`'s, else fresh). `enable_gqa`: key and value may have fewer
    heads (axis -3) than query, each shared by a group of query heads.
    """
    query = _as_tensor(_WHERE, query, None, "query")
    key = _as_tensor(_WHERE, key, query, "key")
    value = _as_tensor(_WHERE, value, query, "value")
    _check_inputs(query, key, value)
    is_causal = check_flag(_WHERE, "is_causal", is_causal)
    p = _dropout_probability(dropout_p)
    if check_flag(_WHERE, "enable_gqa", enable_gqa):
        key, value = _grouped(query, key, value)
    try:
        np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ShapeError(f"{_WHERE}: the leading axes of query {query.shape}, key "
                         f"{key.shape} and value {value.shape} do not broadcast together"
                         ) from None
    length, features = query.shape[-2], query.shape[-1]
    # (no features: every score is 0, as PyTorch's, not 0 * inf)
    scale = (1 / math.sqrt(features) if features else 1.0) if scale is None else \
        number(_WHERE, "scale", scale)
    # (a constant key transposed: named, or a diagram would call it a swapaxes of constants)
    scores = (query @ _named(key.swapaxes(-2, -1), f"{key.name or 'key'}ᵀ")) * scale
    if attn_mask is not None:
        if is_causal:
            raise RuntimeError(f"{_WHERE}: give attn_mask or is_causal=True, not both (the "
                               f"causal mask would replace attn_mask)")
        mask = _mask(attn_mask, query, scores.shape)
        scores = scores + mask if isinstance(mask, Tensor) else \
            scores.masked_fill(~mask, -np.inf)
    if is_causal:
        scores = scores.masked_fill(~np.tri(length, key.shape[-2], dtype=bool), -np.inf)
    shut = np.all(scores._data == -np.inf, axis=-1, keepdims=True)
    if shut.any():  # finite scores into softmax (no NaN), then weights 0 for those rows
        weights = scores.masked_fill(shut, 0.0).softmax(-1).masked_fill(shut, 0.0)
    else:
        weights = scores.softmax(-1)
    if p:
        weights = weights * _dropout_mask(_WHERE, weights.shape, p, generator, weights.dtype,
                                          "attention dropout mask")
    return weights @ value

"""`F.multi_head_attention_forward`: PyTorch's function behind nn.MultiheadAttention, its
long signature, its math path, every parameter given as a tensor.

query (L, N, E), key (S, N, kdim), value (S, N, vdim), or unbatched (L, E), (S, kdim),
(S, vdim): the projections (the packed in_proj_weight (3E, E) split in three, or
q_proj_weight, k_proj_weight, v_proj_weight with use_separate_proj_weight=True; each with
its third of in_proj_bias), a learned key and value appended (bias_k, bias_v), or
static_k / static_v (N * num_heads, S, E / num_heads) in place of the projected keys and
values, a key and value of zeros appended (add_zero_attn), then softmax(q k^T / sqrt(E /
num_heads) + masks) v per head, the heads joined and projected by out_proj_weight,
out_proj_bias. Masks as nn.MultiheadAttention's: boolean True means NOT allowed, float
masks are added. With need_weights=False the attention is attention.py's
`scaled_dot_product_attention` (a shut query: output 0 there); with need_weights=True the
weights are computed here and returned, (N, L, S) averaged over the heads or (N, heads,
L, S) (a shut query: NaN, a plain softmax's, as PyTorch's). Composed of Tensor ops:
gradients, of every tensor given, come from `backward()`. `nn.MultiheadAttention` runs
the same computation (`attention`, each error naming the layer).
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import functional as tg
from ..errors import ShapeError, user_stacklevel
from ..grad_mode import check_flag
from ..ops.matmul import Linear
from ..tensor import Tensor
from .attention import scaled_dot_product_attention
from .layer_arguments import _as_tensor, _check_probability, _constant, _dropout_mask, _named

__all__ = ["multi_head_attention_forward"]


def _dtype(mask: Any) -> np.dtype:
    return np.asarray(getattr(mask, "_data", mask)).dtype


def _additive(where: str, name: str, mask: Any, dtype: np.dtype) -> Any:
    """PyTorch's `_canonical_mask`: boolean True (not allowed) -> -inf, False -> 0; a float
    mask as it is, in the query's dtype: an array, or a Tensor where it needs a gradient."""
    if mask is None:
        return None
    data = np.asarray(getattr(mask, "_data", mask))
    if data.dtype.kind == "b":
        return np.where(data, -np.inf, 0.0).astype(dtype)
    if data.dtype.kind != "f":
        raise TypeError(f"{where}: {name} must be boolean (True: not allowed) or floating "
                        f"point (added to the scores), got dtype {data.dtype}")
    if isinstance(mask, Tensor) and mask.requires_grad:
        return mask if mask.dtype == dtype else mask.to(dtype)
    return data.astype(dtype)


def _rearranged(tensors: tuple[Tensor, ...], how: Any) -> tuple[Tensor, ...]:
    """`how(t)` of each tensor, once per tensor: self-attention's query, key and value (one
    tensor given three times) stay one tensor, one node of a diagram, not three."""
    done: dict[int, Tensor] = {}
    for t in tensors:
        if id(t) not in done:
            done[id(t)] = how(t)
    return tuple(done[id(t)] for t in tensors)


def _pad_key(mask: Any) -> Any:
    """A mask with one more key (allowed: 0) at the end of its last axis."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        return tg.cat([mask, _constant(np.zeros(mask.shape[:-1] + (1,), mask.dtype),
                                       "an allowed key (zeros)")], axis=-1)
    return np.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, 1)])


def _projection(where: str, x: Tensor, weight: Any, bias: Any, name: str, rows: int
                ) -> Tensor:
    """x @ weight^T + bias, weight (rows, x's features) checked first."""
    weight = _as_tensor(where, weight, x, name)
    if weight.shape != (rows, x.shape[-1]):
        raise ShapeError(f"{where}: {name} of shape {weight.shape} must be ({rows}, "
                         f"{x.shape[-1]}) for an input of shape {x.shape}")
    if bias is not None and bias.shape != (rows,):
        raise ShapeError(f"{where}: the bias of shape {bias.shape} beside {name} must be "
                         f"({rows},)")
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


def _projected(where: str, query: Tensor, key: Tensor, value: Tensor, separate: bool,
               in_proj_weight: Any, in_proj_bias: Any, weights: tuple
               ) -> tuple[Tensor, Tensor, Tensor]:
    """The inputs through their projections, each with its third of in_proj_bias."""
    E = query.shape[-1]
    biases = (None,) * 3
    if in_proj_bias is not None:
        b = _as_tensor(where, in_proj_bias, query, "in_proj_bias")
        if b.shape != (3 * E,):
            raise ShapeError(f"{where}: in_proj_bias of shape {b.shape} must be ({3 * E},)")
        biases = (b[:E], b[E:2 * E], b[2 * E:])
    if separate:
        names = ("q_proj_weight", "k_proj_weight", "v_proj_weight")
        if any(w is None for w in weights):
            raise ValueError(f"{where}: use_separate_proj_weight=True needs q_proj_weight, "
                             f"k_proj_weight and v_proj_weight")
    else:
        if in_proj_weight is None:
            raise ValueError(f"{where}: in_proj_weight is None; give it, or "
                             f"use_separate_proj_weight=True and the three weights")
        w = _as_tensor(where, in_proj_weight, query, "in_proj_weight")
        if w.shape != (3 * E, E):
            raise ShapeError(f"{where}: in_proj_weight of shape {w.shape} must be ({3 * E}, "
                             f"{E}); for a key or value of another width give "
                             f"use_separate_proj_weight=True and the three weights")
        weights, names = (w[:E], w[E:2 * E], w[2 * E:]), ("in_proj_weight",) * 3
    return tuple(_projection(where, x, w, b, name, E) for x, w, b, name in
                 zip((query, key, value), weights, biases, names))


def _check_shapes(where: str, query: Tensor, key: Tensor, value: Tensor,
                  embed_dim_to_check: Any, num_heads: Any, separate: bool,
                  batch_axis: int, widths: tuple[int, int, int] | None = None) -> int:
    """The inputs' ranks and widths (PyTorch's `_mha_shape_check` and asserts), their batch
    along `batch_axis` (1, or 0 for batch_first); the head size. `widths`: a layer's
    (embed_dim, kdim, vdim), which its errors name."""
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        layout = "batch, length" if batch_axis == 0 else "length, batch"
        raise ValueError(f"{where}: query, key and value must all be 3-D ({layout}, "
                         f"features) or all 2-D (unbatched), got shapes {query.shape}, "
                         f"{key.shape} and {value.shape}")
    for name, t, size in zip(("query", "key", "value"), (query, key, value), widths or ()):
        if t.shape[-1] != size:
            raise ValueError(f"{where}: {name} of shape {t.shape} must have {size} "
                             f"features in its last axis (embed_dim, kdim, vdim)")
    E = query.shape[-1]
    if isinstance(num_heads, bool) or not isinstance(num_heads, (int, np.integer)) \
            or num_heads < 1 or E % num_heads:
        raise ValueError(f"{where}: num_heads must be a positive int dividing the query's "
                         f"{E} features, got {num_heads!r}")
    if E != embed_dim_to_check:
        raise ValueError(f"{where}: was expecting embedding dimension of "
                         f"{embed_dim_to_check!r}, but got query of shape {query.shape}")
    if key.shape[:-1] != value.shape[:-1]:
        raise ValueError(f"{where}: key of shape {key.shape} and value of shape "
                         f"{value.shape} must have the same length and batch")
    if not separate and key.shape[-1] != value.shape[-1]:
        raise ValueError(f"{where}: key of shape {key.shape} and value of shape "
                         f"{value.shape} must have the same width, unless "
                         f"use_separate_proj_weight=True")
    if query.ndim == 3 and query.shape[batch_axis] != key.shape[batch_axis]:
        raise ShapeError(f"{where}: query of shape {query.shape} and key of shape "
                         f"{key.shape} must have the same batch size (axis {batch_axis})")
    return E // int(num_heads)


def _static(where: str, name: str, given: Any, like: Tensor, batch: int, heads: int,
            head_dim: int) -> Tensor:
    """static_k or static_v (batch * heads, S, head_dim) as (batch, heads, S, head_dim)."""
    t = _as_tensor(where, given, like, name)
    if t.ndim != 3 or t.shape[0] != batch * heads or t.shape[2] != head_dim:
        raise ValueError(f"{where}: {name} of shape {t.shape} must be (batch * num_heads, "
                         f"length, head_dim) = ({batch * heads}, S, {head_dim})")
    return t.reshape(batch, heads, t.shape[1], head_dim)


def _masks(where: str, key_padding_mask: Any, attn_mask: Any, batch: int, heads: int,
           length: int, source: int, batched: bool, dtype: np.dtype) -> tuple[Any, Any]:
    """(padding (N, 1, 1, S), attention (L, S) or (N, heads, L, S)) as float masks."""
    if key_padding_mask is not None and attn_mask is not None and \
            _dtype(key_padding_mask) != _dtype(attn_mask):
        warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. "
                      "Use same type for both instead.", UserWarning, stacklevel=user_stacklevel())
    padding = _additive(where, "key_padding_mask", key_padding_mask, dtype)
    attention = _additive(where, "attn_mask", attn_mask, dtype)
    if padding is not None:
        expected = (batch, source) if batched else (source,)
        if padding.shape != expected:
            raise ValueError(f"{where}: key_padding_mask of shape {padding.shape} does not fit "
                             f"the key; expected {expected}, (batch, key length)")
        padding = padding.reshape(batch, 1, 1, source)
    if attention is not None:
        shapes = ((length, source), (batch * heads, length, source))
        if attention.shape not in shapes:
            raise ShapeError(f"{where}: attn_mask of shape {attention.shape} must be "
                             f"{shapes[0]} or {shapes[1]} (query length, key length)")
        if attention.ndim == 3:
            attention = attention.reshape(batch, heads, length, source)
    return padding, attention


def _how(mask: Any) -> str:
    """How a mask enters the scores, for its name in the diagrams."""
    return " (-inf where True)" if _dtype(mask).kind == "b" else ""


def _merged(masks: dict[str, Any]) -> Any:
    """The sum of the masks given ({label: mask}): the constant ones added here into one
    tensor named by their labels (a diagram would draw it as the user's input), then
    those that need a gradient."""
    constants = {label: m for label, m in masks.items() if isinstance(m, np.ndarray)}
    merged = _constant(sum(constants.values()), " + ".join(constants)) if constants else None
    for m in masks.values():
        if isinstance(m, Tensor):
            merged = m if merged is None else merged + m
    return merged


def multi_head_attention_forward(
        query: Any, key: Any, value: Any, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Any, in_proj_bias: Any, bias_k: Any, bias_v: Any,
        add_zero_attn: bool, dropout_p: float, out_proj_weight: Any, out_proj_bias: Any,
        training: bool = True, key_padding_mask: Any = None, need_weights: bool = True,
        attn_mask: Any = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Any = None, k_proj_weight: Any = None, v_proj_weight: Any = None,
        static_k: Any = None, static_v: Any = None, average_attn_weights: bool = True,
        is_causal: bool = False, *, generator: np.random.Generator | None = None
) -> tuple[Tensor, Tensor | None]:
    """PyTorch's multi_head_attention_forward (see the module's docstring): (attn_output (L,
    N, E) or (L, E), attn_weights or None). Dropout of the weights (dropout_p) only with
    training=True, drawn from `generator` (by keyword; else tg.manual_seed's or fresh).
    is_causal is a hint that attn_mask (required) is the causal mask: with
    need_weights=False and no key_padding_mask the causal mask is used in its place."""
    where = "multi_head_attention_forward"
    return attention(where, query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                     in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
                     out_proj_bias, training, key_padding_mask, need_weights, attn_mask,
                     use_separate_proj_weight, (q_proj_weight, k_proj_weight, v_proj_weight),
                     static_k, static_v, average_attn_weights, is_causal, generator)


def attention(where: str, query: Any, key: Any, value: Any, embed_dim_to_check: int,
              num_heads: int, in_proj_weight: Any, in_proj_bias: Any, bias_k: Any,
              bias_v: Any, add_zero_attn: bool, dropout_p: float, out_proj_weight: Any,
              out_proj_bias: Any, training: bool, key_padding_mask: Any, need_weights: bool,
              attn_mask: Any, use_separate_proj_weight: bool, proj_weights: tuple,
              static_k: Any, static_v: Any, average_attn_weights: bool, is_causal: bool,
              generator: Any, batch_first: bool = False,
              widths: tuple[int, int, int] | None = None) -> tuple[Tensor, Tensor | None]:
    """multi_head_attention_forward's computation, its errors naming `where` (the function,
    or nn.MultiheadAttention, which gives `batch_first`: (N, L, E) in and out, and its
    (embed_dim, kdim, vdim) as `widths`)."""
    out_proj_weight = _as_tensor(where, out_proj_weight, None, "out_proj_weight")
    query, key, value = (_as_tensor(where, t, out_proj_weight, name) for t, name in
                         ((query, "query"), (key, "key"), (value, "value")))
    separate = check_flag(where, "use_separate_proj_weight", use_separate_proj_weight)
    roles = {id(t): " = ".join(name for u, name in ((query, "query"), (key, "key"),
                                                   (value, "value")) if u is t)
             for t in (query, key, value)}  # (self-attention: "query = key = value")
    names = [t.name or roles[id(t)] for t in (query, key, value)]
    head_dim = _check_shapes(where, query, key, value, embed_dim_to_check, num_heads, separate,
                             0 if batch_first else 1, widths)
    batch_first = batch_first and query.ndim == 3  # (else the function's order: length first)
    heads, E = int(num_heads), query.shape[-1]
    training = check_flag(where, "training", training)
    need_weights = check_flag(where, "need_weights", need_weights)
    average = check_flag(where, "average_attn_weights", average_attn_weights)
    is_causal = check_flag(where, "is_causal", is_causal)
    dropout_p = _check_probability(where, dropout_p, "an attention weight", "dropout_p")
    batched = query.ndim == 3
    if not batch_first:  # to (N, length, features); batch_first's are, and are the user's own
        query, key, value = _rearranged((query, key, value), (lambda t: t.swapaxes(0, 1))
                                        if batched else (lambda t: t.unsqueeze(0)))
        # (of constant data: named, as the user gave it, turned batch first, or made a batch)
        how = " (batch first)" if batched else " (a batch of one)"
        query, key, value = (_named(t, name + how) for t, name in zip((query, key, value),
                                                                      names))
    (batch, length, _), source = query.shape, key.shape[1]
    if static_k is not None:
        source = static_k.shape[1] if hasattr(static_k, "shape") else np.shape(static_k)[1]
    padding, attention_mask = _masks(where, key_padding_mask, attn_mask, batch, heads, length,
                                     source, batched, query.dtype)
    if is_causal and attention_mask is None:
        raise RuntimeError(f"{where}: is_causal=True is a hint that attn_mask is the causal "
                           f"mask; give that mask too (attn_mask=...)")
    causal = is_causal and padding is None and not need_weights
    q, k, v = _projected(where, query, key, value, separate, in_proj_weight, in_proj_bias,
                         proj_weights)
    if bias_k is not None and bias_v is not None:  # a learned key and value
        if static_k is not None or static_v is not None:
            raise ValueError(f"{where}: bias_k and bias_v cannot be added to static_k or "
                             f"static_v")
        k, v = (tg.cat([t, tg.broadcast_to(_as_tensor(where, b, query, name).reshape(
            1, 1, E), (batch, 1, E))], axis=1) for t, b, name in
            ((k, bias_k, "bias_k"), (v, bias_v, "bias_v")))
        padding, attention_mask = _pad_key(padding), _pad_key(attention_mask)
    elif bias_k is not None or bias_v is not None:
        raise ValueError(f"{where}: give both bias_k and bias_v, or neither")
    # (batch, heads, length, head_dim); the length given: -1 is ambiguous in an empty batch
    q, k, v = (t.reshape(batch, t.shape[1], heads, head_dim).swapaxes(1, 2) for t in (q, k, v))
    if static_k is not None:
        k = _static(where, "static_k", static_k, query, batch, heads, head_dim)
    if static_v is not None:
        v = _static(where, "static_v", static_v, query, batch, heads, head_dim)
    if check_flag(where, "add_zero_attn", add_zero_attn):
        zeros = _constant(np.zeros((batch, heads, 1, head_dim), q.dtype),
                          "zero attention (zeros)")
        k, v = tg.cat([k, zeros], axis=2), tg.cat([v, zeros], axis=2)
        padding, attention_mask = _pad_key(padding), _pad_key(attention_mask)
    if k.shape[2] != v.shape[2]:
        raise ValueError(f"{where}: keys ({k.shape[2]}) and values ({v.shape[2]}) of "
                         f"different lengths (static_k, static_v)")
    mask = _merged({name + _how(given): m for name, m, given in (
        ("attn_mask", attention_mask, attn_mask),
        ("key_padding_mask", padding, key_padding_mask)) if m is not None})
    p = float(dropout_p) if training else 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.swapaxes(-2, -1)
        if mask is not None:
            scores = mask + scores
        with np.errstate(invalid="ignore"):  # (a shut row: NaN, as PyTorch's softmax)
            weights = scores.softmax(-1)
        if p:
            weights = weights * _dropout_mask(where, weights.shape, p, generator,
                                              weights.dtype, "attention dropout mask")
        out = weights @ v
    else:
        weights = None
        out = scaled_dot_product_attention(q, k, v, None if causal else mask, p, causal,
                                           generator=generator)
    out = out.swapaxes(1, 2).reshape(batch, length, E)
    bias = None if out_proj_bias is None else \
        _as_tensor(where, out_proj_bias, out_proj_weight, "out_proj_bias")
    out = _projection(where, out, out_proj_weight, bias, "out_proj_weight", E)
    if weights is not None and average:
        weights = weights.mean(axis=1)
    if not batched:
        return out[0], None if weights is None else weights[0]
    return (out if batch_first else out.swapaxes(0, 1)), weights

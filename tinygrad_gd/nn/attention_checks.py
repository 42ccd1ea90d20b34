"""The argument checks of the transformer layers: an input's shape and its masks, refused
in one line that names the layer the user called and the argument as they gave it
(`src_mask`, `tgt_key_padding_mask`, `is_causal`), where MultiheadAttention's own checks
would name its `attn_mask`. transformer.py's encoder and transformer_decoder.py's decoder
and Transformer call these before their attention runs. A mask of the wrong shape is a
ShapeError, as MultiheadAttention's: `except ValueError` and `except RuntimeError` catch it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor

__all__: list[str] = []

_SHAPES = "(length, batch, {0}) ((batch, length, {0}) with batch_first=True) or (length, {0})"


def _check_mask(where: str, name: str, mask: Any, shapes: tuple, meaning: str) -> None:
    """A mask boolean (True: not allowed) or float (added to the scores), of one of
    `shapes`."""
    if mask is None:
        return
    try:
        data = mask if isinstance(mask, Tensor) else np.asarray(mask)
    except ValueError:  # (a ragged list)
        raise TypeError(f"{where}: {name} must be an array or Tensor of one shape, got "
                        f"{type(mask).__name__}") from None
    if data.dtype.kind not in "bf":
        raise TypeError(f"{where}: {name} must be boolean (True: not allowed) or floating "
                        f"point (added to the scores), got dtype {data.dtype}")
    if tuple(data.shape) not in shapes:
        raise ShapeError(f"{where}: {name} of shape {tuple(data.shape)} must be "
                         f"{' or '.join(map(str, shapes))} ({meaning})")


def _check_attention(where: str, attention: Any, names: tuple[str, str],
                     query: Tensor, key: Tensor, masks: tuple, causal: tuple[str, bool],
                     error: type = ValueError) -> None:
    """What `attention` (a MultiheadAttention) would refuse, named as `where`'s arguments:
    query and key sequences (`names`) of its width, both batched or both not, of one
    batch; `masks` = (attention mask's name, mask, padding mask's name, mask) fitting
    them; `causal` = (the hint's name, value): True needs the attention mask."""
    width, heads = attention.embed_dim, attention.num_heads
    for name, t in zip(names, (query, key)):
        if t.ndim not in (2, 3) or t.shape[-1] != width:
            raise error(f"{where}: {name} must be {_SHAPES.format(width)}, got shape "
                        f"{t.shape}")
    if key.ndim != query.ndim:
        raise error(f"{where}: {names[0]} of shape {query.shape} and {names[1]} of shape "
                    f"{key.shape} must both be batched (3-D) or both unbatched (2-D)")
    batched, axis = query.ndim == 3, 0 if attention.batch_first else 1
    if batched and query.shape[axis] != key.shape[axis]:
        raise error(f"{where}: {names[0]} of shape {query.shape} and {names[1]} of shape "
                    f"{key.shape} must have the same batch size (axis {axis})")
    batch = query.shape[axis] if batched else 1
    length, source = (query.shape[1 - axis], key.shape[1 - axis]) if batched else \
        (query.shape[0], key.shape[0])
    attn_name, attn_mask, padding_name, padding = masks
    _check_mask(where, attn_name, attn_mask, ((length, source), (batch * heads, length, source)),
                f"{names[0]} length, {names[1]} length; batch * nhead = {batch} * {heads} "
                f"first")
    _check_mask(where, padding_name, padding, ((batch, source) if batched else (source,),),
                f"{'batch, ' if batched else ''}{names[1]} length")
    if causal[1] and attn_mask is None:
        raise RuntimeError(f"{where}: {causal[0]}=True is a hint that {attn_name} is the "
                           f"causal mask; give that mask too ({attn_name}="
                           f"Transformer.generate_square_subsequent_mask(length))")

"""The decoder half of PyTorch's transformer, and the whole: `TransformerDecoderLayer`
(self-attention over the target, attention over the encoder's output `memory`, a
feed-forward block; each with a residual connection and a LayerNorm), `TransformerDecoder`
(copies of one layer stacked, an optional final norm) and `Transformer` (a
TransformerEncoder and a TransformerDecoder, Xavier-initialised), with
`Transformer.generate_square_subsequent_mask` (the causal mask).

Built from transformer.py's MultiheadAttention, TransformerEncoderLayer and
TransformerEncoder, of Tensor ops: gradients come from `backward()`. Inputs and masks are
checked first (attention_checks.py), so that an error names the layer called and the
argument given (tgt_mask, not the attention's attn_mask).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import make_generator
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import integer
from ..tensor import Tensor
from ..values import check_cpu, numeric_dtype
from . import functional as F
from . import init
from .layer_arguments import _as_tensor
from .layers import Dropout, LayerNorm, Linear, _check_features
from .module import Module
from .parameter_reset import start_parameters
from .registration import _float_dtype
from .attention_checks import _SHAPES, _check_attention
from .transformer import (MultiheadAttention, TransformerEncoder, TransformerEncoderLayer,
                          _activation, _attention_shapes, _check_layer_arguments, _checked_as,
                          _clones)

__all__ = ["TransformerDecoderLayer", "TransformerDecoder", "Transformer"]

def _first_parameter(module: Module) -> Tensor | None:
    """A parameter, whose dtype inputs given as arrays take (float32 in a float32 model),
    or None."""
    return next(iter(module.parameters()), None)


class TransformerDecoderLayer(Module):
    """Self-attention over tgt, attention over memory (the encoder's output), then a
    feed-forward block, as PyTorch's. norm_first=False (post-norm):
    x = norm1(x + sa(x)); x = norm2(x + mha(x, memory)); x = norm3(x + ff(x)), where
    sa and mha end in dropout1 and dropout2, and ff(x) = dropout3(linear2(dropout(
    activation(linear1(x))))); norm_first=True: x = x + sa(norm1(x)); x = x +
    mha(norm2(x), memory); x = x + ff(norm3(x)).

    tgt (T, N, d_model), memory (S, N, d_model) ((N, T, d_model), (N, S, d_model) with
    batch_first; (T, d_model), (S, d_model) unbatched) -> tgt's shape. tgt_mask (T, T) or
    (N * nhead, T, T), memory_mask (T, S) or (N * nhead, T, S), tgt_key_padding_mask (N,
    T), memory_key_padding_mask (N, S): boolean True is NOT allowed, float masks are added
    to the scores (MultiheadAttention's rules). tgt_is_causal and memory_is_causal: hints
    that the mask given is the causal one. activation: 'relu' (PyTorch's default),
    'gelu' or a function. Sub-modules self_attn, multihead_attn, linear1, dropout,
    linear2, norm1, norm2, norm3, dropout1, dropout2, dropout3 under PyTorch's names;
    `seed` or `generator` makes their draw repeatable.
    """

    _positional_tensors = 1  # (dropout, a 0-d tensor as PyTorch's)

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        where = "TransformerDecoderLayer"
        _check_layer_arguments(where, d_model, nhead, dim_feedforward, dropout, activation,
                               layer_norm_eps, batch_first, norm_first, bias)
        resolved = _float_dtype(dtype, where, device)
        rng = make_generator(seed, generator, where)
        self.self_attn, self.multihead_attn = (
            MultiheadAttention(d_model, nhead, dropout, bias, batch_first=batch_first,
                               dtype=resolved, generator=rng) for _ in range(2))
        self.linear1 = Linear(d_model, dim_feedforward, bias, generator=rng, dtype=resolved)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias, generator=rng, dtype=resolved)
        self.norm_first = check_flag(where, "norm_first", norm_first)
        self.norm1, self.norm2, self.norm3 = (
            LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=resolved) for _ in range(3))
        self.dropout1, self.dropout2, self.dropout3 = (Dropout(dropout) for _ in range(3))
        self.activation = _activation(where, activation)

    def _check(self, where: str, tgt: Tensor, memory: Tensor, tgt_mask: Any,
               memory_mask: Any, tgt_key_padding_mask: Any, memory_key_padding_mask: Any,
               tgt_is_causal: bool, memory_is_causal: bool, error: type = ValueError,
               memory_name: str = "memory") -> None:
        """The inputs and masks this layer would take, refused in one line naming `where`
        (this layer, or the decoder or transformer calling it)."""
        _check_attention(where, self.self_attn, ("tgt", "tgt"), tgt, tgt,
                         ("tgt_mask", tgt_mask, "tgt_key_padding_mask", tgt_key_padding_mask),
                         ("tgt_is_causal", tgt_is_causal), error)
        _check_attention(where, self.multihead_attn, ("tgt", memory_name), tgt, memory,
                         ("memory_mask", memory_mask, "memory_key_padding_mask",
                          memory_key_padding_mask), ("memory_is_causal", memory_is_causal),
                         error)

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        where = "TransformerDecoderLayer"
        x = _as_tensor(where, tgt, self.linear1.weight, "tgt")
        memory = _as_tensor(where, memory, self.linear1.weight, "memory")
        tgt_is_causal = check_flag(where, "tgt_is_causal", tgt_is_causal)
        memory_is_causal = check_flag(where, "memory_is_causal", memory_is_causal)
        self._check(where, x, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                    memory_key_padding_mask, tgt_is_causal, memory_is_causal)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                           memory_is_causal))
        return self.norm3(x + self._ff_block(x))

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any,
                  is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, memory: Tensor, attn_mask: Any, key_padding_mask: Any,
                   is_causal: bool) -> Tensor:
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _decoder_layer(decoder: Module) -> Any:
    """Whose checks a TransformerDecoder's inputs go through (transformer.py's
    `_checked_as`: its first TransformerDecoderLayer, or with no layers the attention
    shapes of the one it was built of), which then name the caller; else None (a custom
    decoder checks its own inputs). Run as `TransformerDecoderLayer._check(found, ...)`."""
    if isinstance(decoder, TransformerDecoder):
        return _checked_as(decoder, TransformerDecoderLayer)
    return None


class TransformerDecoder(Module):
    """`num_layers` copies of `decoder_layer` (deep copies, as PyTorch's: every layer
    starts from the same weights) applied in turn to tgt, each attending to the same
    memory, then `norm` (a Module, or None). forward takes tgt, memory and the masks as
    TransformerDecoderLayer's; tgt_is_causal=None (PyTorch's default: "find out whether
    tgt_mask is causal") is taken as False: the hint only chooses how the same numbers
    are computed."""

    def __init__(self, decoder_layer: Module, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones("TransformerDecoder", "decoder_layer", decoder_layer,
                              "TransformerDecoderLayer", num_layers, norm)
        self.num_layers = len(self.layers)
        self._no_layers_shapes = None if self.num_layers or not isinstance(
            decoder_layer, TransformerDecoderLayer) else _attention_shapes(decoder_layer)
        self.norm = norm

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        where = "TransformerDecoder"
        like = _first_parameter(self)
        tgt, memory = (_as_tensor(where, t, like, name) for t, name in
                       ((tgt, "tgt"), (memory, "memory")))
        hint = False if tgt_is_causal is None else check_flag(where, "tgt_is_causal",
                                                              tgt_is_causal)
        memory_is_causal = check_flag(where, "memory_is_causal", memory_is_causal)
        first = _decoder_layer(self)
        if first is not None:
            TransformerDecoderLayer._check(first, where, tgt, memory, tgt_mask, memory_mask,
                                           tgt_key_padding_mask, memory_key_padding_mask, hint,
                                           memory_is_causal)
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=hint, memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """An encoder and a decoder, as PyTorch's: memory = encoder(src, src_mask,
    src_key_padding_mask); output = decoder(tgt, memory, tgt_mask, memory_mask,
    tgt_key_padding_mask, memory_key_padding_mask).

    The encoder: `num_encoder_layers` TransformerEncoderLayers and a final LayerNorm (or
    `custom_encoder`); the decoder: `num_decoder_layers` TransformerDecoderLayers and a
    final LayerNorm (or `custom_decoder`); the other arguments are the layers'. src (S, N,
    d_model), tgt (T, N, d_model) ((N, S, d_model), (N, T, d_model) with batch_first;
    unbatched (S, d_model), (T, d_model)) -> tgt's shape. src_mask (S, S), tgt_mask (T, T),
    memory_mask (T, S) (or (N * nhead, ., .)), the padding masks (N, S), (N, T), (N, S):
    boolean True is NOT allowed, float masks are added to the scores; the *_is_causal
    hints as the layers'. PyTorch's initialisation: every parameter of more than one axis
    (custom modules' too) drawn again by xavier_uniform_, after the layers' own;
    `seed` or `generator` makes the draw repeatable. `generate_square_subsequent_mask(sz)`
    gives the causal mask for tgt_mask.
    """

    _positional_tensors = 1  # (dropout, a 0-d tensor as PyTorch's)

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = F.relu,
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        where = "Transformer"
        for name, custom in (("custom_encoder", custom_encoder),
                             ("custom_decoder", custom_decoder)):
            if custom is not None and not isinstance(custom, Module):
                raise TypeError(f"{where}: {name} must be a Module or None, got "
                                f"{type(custom).__name__}")
        d_model = _check_features(d_model, "d_model", where)
        if custom_encoder is None or custom_decoder is None:
            _check_layer_arguments(where, d_model, nhead, dim_feedforward, dropout,
                                   activation, layer_norm_eps, batch_first, norm_first, bias)
        batch_first = check_flag(where, "batch_first", batch_first)
        resolved = _float_dtype(dtype, where, device)
        rng = make_generator(seed, generator, where)
        options = (dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                   norm_first, bias)

        def norm() -> LayerNorm:
            return LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=resolved)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layers = _check_features(num_encoder_layers, "num_encoder_layers", where, empty=True)
            self.encoder = TransformerEncoder(TransformerEncoderLayer(
                d_model, nhead, *options, dtype=resolved, generator=rng), layers, norm())
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layers = _check_features(num_decoder_layers, "num_decoder_layers", where, empty=True)
            self.decoder = TransformerDecoder(TransformerDecoderLayer(
                d_model, nhead, *options, dtype=resolved, generator=rng), layers, norm())
        start_parameters(self, None, rng, "_reset_parameters")  # (a subclass's too)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """PyTorch's: xavier_uniform_ on every parameter of more than one axis."""
        rng = make_generator(None, generator, "Transformer")
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p, generator=rng)

    def forward(self, src: Any, tgt: Any, src_mask: Any = None, tgt_mask: Any = None,
                memory_mask: Any = None, src_key_padding_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        where = "Transformer"
        like = _first_parameter(self)
        src, tgt = (_as_tensor(where, t, like, name) for t, name in
                    ((src, "src"), (tgt, "tgt")))
        self._check(src, tgt, src_mask, tgt_mask, memory_mask, src_key_padding_mask,
                    tgt_key_padding_mask, memory_key_padding_mask, src_is_causal,
                    tgt_is_causal, memory_is_causal)
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    def _check(self, src: Tensor, tgt: Tensor, src_mask: Any, tgt_mask: Any,
               memory_mask: Any, src_key_padding_mask: Any, tgt_key_padding_mask: Any,
               memory_key_padding_mask: Any, src_is_causal: Any, tgt_is_causal: Any,
               memory_is_causal: Any) -> None:
        """PyTorch's RuntimeErrors for src and tgt, then (where the encoder and decoder
        are this class's own kind) the masks, named as this forward's arguments."""
        where, width = "Transformer", self.d_model
        for name, t in (("src", src), ("tgt", tgt)):
            if t.ndim not in (2, 3) or t.shape[-1] != width:
                raise ShapeError(f"{where}: {name} must be {_SHAPES.format(width)} "
                                 f"(d_model), got shape {t.shape}")
        axis = 0 if self.batch_first else 1
        if src.ndim != tgt.ndim or (src.ndim == 3 and src.shape[axis] != tgt.shape[axis]):
            raise ShapeError(f"{where}: the batch number of src {src.shape} and tgt "
                             f"{tgt.shape} must be equal (axis {axis}; both batched or "
                             f"both unbatched)")
        hints = [False if h is None else check_flag(where, name, h) for name, h in
                 (("src_is_causal", src_is_causal), ("tgt_is_causal", tgt_is_causal))]
        memory_is_causal = check_flag(where, "memory_is_causal", memory_is_causal)
        encoder = _checked_as(self.encoder, TransformerEncoderLayer) if isinstance(
            self.encoder, TransformerEncoder) else None
        if encoder is None:
            return  # (a custom encoder: its memory's shape is its own)
        # (no encoder layers: the memory is src under the final norm, of its shape)
        _check_attention(where, encoder.self_attn, ("src", "src"), src, src,
                         ("src_mask", src_mask, "src_key_padding_mask", src_key_padding_mask),
                         ("src_is_causal", hints[0]), RuntimeError)
        decoder = _decoder_layer(self.decoder)
        if decoder is not None:
            TransformerDecoderLayer._check(decoder, where, tgt, src, tgt_mask, memory_mask,
                                           tgt_key_padding_mask, memory_key_padding_mask,
                                           hints[1], memory_is_causal, RuntimeError, "src")

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None,
                                        dtype: Any = None) -> Tensor:
        """The causal mask (sz, sz) for tgt_mask: -inf above the diagonal (a query does
        not see later keys), 0 on and below it; float64 unless `dtype` says otherwise
        (bool: True above the diagonal, the same mask as a boolean one)."""
        where = "Transformer.generate_square_subsequent_mask"
        sz = integer(where, "sz", sz)
        if sz < 0:
            raise RuntimeError(f"{where}: sz is the sequence length, an int >= 0, got {sz}")
        check_cpu(device, where)
        resolved = numeric_dtype(np.float64 if dtype is None else dtype, where)
        if resolved.kind == "b":
            return Tensor.from_op(np.triu(np.ones((sz, sz), bool), 1), None)
        if resolved.kind != "f":
            raise RuntimeError(f"{where}: dtype {resolved} cannot hold -inf; give a float "
                               f"dtype (the mask is added to the scores) or bool")
        return Tensor.from_op(np.triu(np.full((sz, sz), -np.inf, resolved), 1), None)

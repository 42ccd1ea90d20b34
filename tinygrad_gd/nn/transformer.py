"""Attention layers, as PyTorch's: `MultiheadAttention`, `TransformerEncoderLayer` (self-
attention and a feed-forward block, each with a residual connection and a LayerNorm) and
`TransformerEncoder` (copies of one layer stacked, an optional final norm).

The formulas are PyTorch's math path (`F.multi_head_attention_forward`), composed of
Tensor ops (linear, matmul, softmax, scaled_dot_product_attention from attention.py), so
gradients come from `backward()`. PyTorch's fast paths (fused kernels, nested tensors in
eval mode) are not copied: they compute the same numbers, except that nested tensors
return 0 at padded positions, where these layers give the math path's values.
"""
from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from ..creation import make_generator
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor
from . import functional as F
from . import init
from .attention_checks import _check_attention
from .attention_forward import attention
from .containers import ModuleList
from .layer_arguments import _as_tensor, _check_probability
from .layers import Dropout, LayerNorm, Linear, NonDynamicallyQuantizableLinear, _check_features
from .module import Module, Parameter
from .parameter_reset import start_parameters
from .registration import _float_dtype

__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]


class MultiheadAttention(Module):
    """Attention of `num_heads` heads over (query, key, value), as PyTorch's.

    query (L, N, E), key (S, N, kdim), value (S, N, vdim) ((N, L, E) ... with
    batch_first=True; (L, E), (S, kdim), (S, vdim) unbatched) -> (output (L, N, E),
    weights (N, L, S) averaged over the heads, (N, num_heads, L, S) with
    average_attn_weights=False, or None with need_weights=False). Each head attends with
    its own embed_dim // num_heads features of the projections.

    Parameters: in_proj_weight (3E, E) (q_proj_weight, k_proj_weight, v_proj_weight
    where kdim or vdim differ from E), in_proj_bias (3E,), out_proj (a Linear,
    NonDynamicallyQuantizableLinear in print, as PyTorch's), and bias_k, bias_v (1, 1, E)
    with add_bias_kv (a learned key and value appended); add_zero_attn appends a key and
    value of zeros. Initialised as PyTorch's: xavier uniform weights, zero biases, xavier
    normal bias_k and bias_v; `seed` or `generator` makes the draw repeatable.

    Masks: key_padding_mask (N, S) ((S,) unbatched), attn_mask (L, S) or (N * num_heads,
    L, S); boolean True means NOT allowed (the opposite of scaled_dot_product_attention's
    boolean masks); float masks are added to the scores. A query every mask shuts gets
    NaN weights and output with need_weights=True (a plain softmax of -inf, PyTorch's),
    an output of out_proj's bias with need_weights=False (scaled_dot_product_attention's
    zero weights). is_causal is a hint that attn_mask (required) is the causal mask: with
    need_weights=False and no key_padding_mask the causal mask is used in its place, as
    PyTorch does. Dropout (of the weights, in training mode) draws from `tg.manual_seed`'s
    generator.
    """

    _positional_tensors = 1  # (dropout, a 0-d tensor as PyTorch's)

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 bias: bool = True, add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        where = "MultiheadAttention"
        self.embed_dim = _check_features(embed_dim, "embed_dim", where)
        self.num_heads = _check_features(num_heads, "num_heads", where)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{where}: embed_dim {embed_dim} must be divisible by num_heads "
                             f"{num_heads} (each head takes embed_dim // num_heads features)")
        self.kdim, self.vdim = (self.embed_dim if dim is None else  # (0: PyTorch builds it)
                                _check_features(dim, name, where, empty=True)
                                for dim, name in ((kdim, "kdim"), (vdim, "vdim")))
        self._qkv_same_embed_dim = self.kdim == self.embed_dim == self.vdim
        _check_probability(where, dropout, "an attention weight", "dropout")
        self.dropout = dropout
        self.batch_first = check_flag(where, "batch_first", batch_first)
        self.head_dim = self.embed_dim // self.num_heads
        bias = check_flag(where, "bias", bias)
        add_bias_kv = check_flag(where, "add_bias_kv", add_bias_kv)
        resolved = _float_dtype(dtype, where, device)
        rng = make_generator(seed, generator, where)
        E = self.embed_dim

        def empty(*shape: int) -> Parameter:
            return Parameter(np.zeros(shape, resolved))
        if self._qkv_same_embed_dim:  # (PyTorch's parameters, in its order)
            self.in_proj_weight = empty(3 * E, E)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight, self.k_proj_weight = empty(E, E), empty(E, self.kdim)
            self.v_proj_weight = empty(E, self.vdim)
            self.register_parameter("in_proj_weight", None)
        self.register_parameter("in_proj_bias", empty(3 * E) if bias else None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias, generator=rng,
                                                        dtype=resolved)
        self.bias_k = empty(1, 1, E) if add_bias_kv else None
        self.bias_v = empty(1, 1, E) if add_bias_kv else None
        self.add_zero_attn = check_flag(where, "add_zero_attn", add_zero_attn)
        start_parameters(self, None, rng, "_reset_parameters")  # (a subclass's too)

    def _reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """PyTorch's initialisation (out_proj's weight is Linear's own), from `generator`,
        else manual_seed's generator (PyTorch's `_reset_parameters()` takes no argument)."""
        rng = make_generator(None, generator, "MultiheadAttention")
        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            if getattr(self, name) is not None:
                init.xavier_uniform_(getattr(self, name), generator=rng)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        for name in ("bias_k", "bias_v"):
            if getattr(self, name) is not None:
                init.xavier_normal_(getattr(self, name), generator=rng)

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False
                ) -> tuple[Tensor, Tensor | None]:
        """F.multi_head_attention_forward's computation with this layer's parameters
        (attention_forward.py: one implementation), its errors naming the layer."""
        return attention("MultiheadAttention", query, key, value, self.embed_dim,
                         self.num_heads, self.in_proj_weight, self.in_proj_bias, self.bias_k,
                         self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight,
                         self.out_proj.bias, self.training, key_padding_mask, need_weights,
                         attn_mask, not self._qkv_same_embed_dim,
                         (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight), None,
                         None, average_attn_weights, is_causal, None, self.batch_first,
                         (self.embed_dim, self.kdim, self.vdim))


_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(where: str, activation: Any) -> Callable:
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise RuntimeError(f"{where}: activation should be 'relu' or 'gelu' (or a "
                               f"function), not {activation!r}")
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{where}: activation must be 'relu', 'gelu' or a function (a Module "
                        f"such as nn.GELU() too), got {type(activation).__name__}")
    return activation


def _check_layer_arguments(where: str, d_model: Any, nhead: Any, dim_feedforward: Any,
                           dropout: Any, activation: Any, layer_norm_eps: Any,
                           batch_first: Any, norm_first: Any, bias: Any) -> None:
    """The arguments of an encoder or decoder layer (or of a Transformer that makes them),
    refused in one line naming `where` (the class called), not the sub-module that would
    meet them first."""
    d_model = _check_features(d_model, "d_model", where)
    if d_model % _check_features(nhead, "nhead", where):
        raise ValueError(f"{where}: d_model {d_model} must be divisible by nhead {nhead} "
                         f"(each head takes d_model // nhead features)")
    _check_features(dim_feedforward, "dim_feedforward", where, empty=True)
    _check_probability(where, dropout, "an entry", "dropout")
    _activation(where, activation)
    number(where, "layer_norm_eps", layer_norm_eps, 0)
    for name, flag in (("batch_first", batch_first), ("norm_first", norm_first),
                       ("bias", bias)):
        check_flag(where, name, flag)


class TransformerEncoderLayer(Module):
    """Self-attention, then a feed-forward block, as PyTorch's: with norm_first=False
    (post-norm) x = norm1(x + dropout1(self_attn(x))); x = norm2(x + dropout2(
    linear2(dropout(activation(linear1(x)))))); with norm_first=True each block sees
    norm(x) and is added to x. src (L, N, d_model) ((N, L, d_model) with batch_first;
    (L, d_model) unbatched); src_mask and src_key_padding_mask as MultiheadAttention's
    attn_mask and key_padding_mask (boolean True: not allowed). activation: 'relu'
    (PyTorch's default), 'gelu' or a function. Sub-modules self_attn, linear1, dropout,
    linear2, norm1, norm2, dropout1, dropout2 under PyTorch's names; `seed` or
    `generator` makes their draw repeatable."""

    _positional_tensors = 1  # (dropout, a 0-d tensor as PyTorch's)

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        where = "TransformerEncoderLayer"
        _check_layer_arguments(where, d_model, nhead, dim_feedforward, dropout, activation,
                               layer_norm_eps, batch_first, norm_first, bias)
        resolved = _float_dtype(dtype, where, device)
        rng = make_generator(seed, generator, where)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, bias,
                                            batch_first=batch_first, dtype=resolved,
                                            generator=rng)
        self.linear1 = Linear(d_model, dim_feedforward, bias, generator=rng, dtype=resolved)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias, generator=rng, dtype=resolved)
        self.norm_first = check_flag(where, "norm_first", norm_first)
        self.norm1 = LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=resolved)
        self.norm2 = LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=resolved)
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        self.activation = _activation(where, activation)

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        where = "TransformerEncoderLayer"
        x = _as_tensor(where, src, self.linear1.weight, "src")
        is_causal = check_flag(where, "is_causal", is_causal)
        self._check(where, x, src_mask, src_key_padding_mask, is_causal)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))

    def _check(self, where: str, src: Tensor, mask: Any, padding: Any, is_causal: bool,
               names: tuple[str, str, str] = ("src_mask", "src_key_padding_mask",
                                              "is_causal")) -> None:
        """src and its masks as this layer's attention would refuse them, named as `where`
        (this layer, or the encoder calling it) took them."""
        _check_attention(where, self.self_attn, ("src", "src"), src, src,
                         (names[0], mask, names[1], padding), (names[2], is_causal))

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any,
                  is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(where: str, name: str, layer: Any, kind: str, num_layers: Any,
            norm: Any) -> ModuleList:
    """A stack's layers (TransformerEncoder's, TransformerDecoder's): `num_layers` deep
    copies of `layer` (the argument `name`, a Module: a `kind`), every one starting from
    the same weights, as PyTorch's; `norm`, the stack's final norm, checked too."""
    if not isinstance(layer, Module):
        raise TypeError(f"{where}: {name} must be a Module (a {kind}), got "
                        f"{type(layer).__name__}")
    if norm is not None and not isinstance(norm, Module):
        raise TypeError(f"{where}: norm must be a Module (a LayerNorm) or None, got "
                        f"{type(norm).__name__}")
    count = _check_features(num_layers, "num_layers", where, empty=True)  # (0: PyTorch's)
    return ModuleList([copy.deepcopy(layer) for _ in range(count)])


def _attention_shapes(layer: Module) -> SimpleNamespace:
    """What the checks of a layer's inputs read of it (each attention's embed_dim, num_heads
    and batch_first, under the attention's name): a stack of no layers keeps this of the
    layer it was given (not the layer: none of its parameters), so that src of the wrong
    width and masks of the wrong shape are refused as a layer would refuse them, where
    PyTorch's forward of no layers fails on layers[0] whatever it is given."""
    return SimpleNamespace(**{
        name: SimpleNamespace(embed_dim=child.embed_dim, num_heads=child.num_heads,
                              batch_first=child.batch_first)
        for name, child in layer.named_children() if isinstance(child, MultiheadAttention)})


def _checked_as(stack: Module, kind: type) -> Any:
    """Whose checks a stack's inputs go through: its first layer (a `kind`), the attention
    shapes of the `kind` it was built of with no layers, or None (custom layers check
    their own inputs). `kind._check(checked_as, ...)` runs the layer's checks on either."""
    if len(stack.layers):
        return stack.layers[0] if isinstance(stack.layers[0], kind) else None
    return getattr(stack, "_no_layers_shapes", None)  # (None: one pickled before it was kept)


class TransformerEncoder(Module):
    """`num_layers` copies of `encoder_layer` (deep copies, as PyTorch's: every layer
    starts from the same weights) applied in turn, then `norm` (a Module, or None); its
    forward takes src, mask, src_key_padding_mask and is_causal as the layer's.
    enable_nested_tensor and mask_check (PyTorch's switches of its nested-tensor fast
    path) are accepted and change nothing: padded positions keep the math path's values
    (PyTorch's fast path, in eval mode without gradients, gives 0 there)."""

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        where = "TransformerEncoder"
        self.layers = _clones(where, "encoder_layer", encoder_layer, "TransformerEncoderLayer",
                              num_layers, norm)
        self.num_layers = len(self.layers)
        self._no_layers_shapes = None if self.num_layers or not isinstance(
            encoder_layer, TransformerEncoderLayer) else _attention_shapes(encoder_layer)
        self.norm = norm
        self.enable_nested_tensor = check_flag(where, "enable_nested_tensor",
                                               enable_nested_tensor)
        self.mask_check = check_flag(where, "mask_check", mask_check)

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        # (None: PyTorch's "is the mask causal?" test; the hint only chooses how the same
        # numbers are computed, so None is False here)
        where = "TransformerEncoder"
        hint = False if is_causal is None else check_flag(where, "is_causal", is_causal)
        first = _checked_as(self, TransformerEncoderLayer)
        if first is not None:
            like = first.linear1.weight if len(self.layers) else \
                next(iter(self.parameters()), None)  # (no layers: the norm's, if any)
            src = _as_tensor(where, src, like, "src")
            TransformerEncoderLayer._check(first, where, src, mask, src_key_padding_mask, hint,
                                           ("mask", "src_key_padding_mask", "is_causal"))
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=hint)
        return output if self.norm is None else self.norm(output)

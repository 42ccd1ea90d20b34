"""More layers, under torch 2.13's names, constructor arguments, parameters and reprs:
`InstanceNorm1d`/`2d`/`3d`, `BatchNorm3d`, `LocalResponseNorm`, `Bilinear`,
`EmbeddingBag`, `ChannelShuffle`, `Softmax2d`, and the random ones `Dropout3d`,
`AlphaDropout`, `FeatureAlphaDropout` and `RReLU` (seeded as `Dropout`: `seed` or
`generator`, else the global generator at each call).

Each calls its function in `nn.functional` (layer_functions_more.py, random_functions.py).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..errors import user_stacklevel
from .. import functional as tg
from ..creation import make_generator
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor
from .embedding import normal_table_, table_shape
from .embedding_functions import _padding_idx, _starting_weight
from .layer_arguments import _as_tensor
from .layer_functions_more import (_bag_options, bilinear, channel_shuffle, embedding_bag,
                                   instance_norm, local_response_norm)
from .layers import (BatchNorm1d, Dropout, _check_features, _inplace_repr, _NormBase, _norm_repr,
                     _norm_state)
from .module import Module, Parameter
from .parameter_reset import (reset_generator, start_parameters, uniform_each_,
                              zero_weight_and_bias)
from .random_functions import _slopes, alpha_dropout, dropout3d, feature_alpha_dropout, rrelu
from .registration import _float_dtype
from .tensor_settings import held_int

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "BatchNorm3d", "Dropout3d",
           "LocalResponseNorm", "Bilinear", "EmbeddingBag", "ChannelShuffle", "Softmax2d",
           "AlphaDropout", "FeatureAlphaDropout", "RReLU"]


# ------------------------------------------------------------------ normalisation


class _InstanceNorm(_NormBase):
    """What the instance norms share: each channel of each sample normalised over its
    positions (see `functional.instance_norm`), then times `weight` plus `bias` per channel
    with affine=True (ones and zeros at first; no bias with bias=False; reset_parameters and
    reset_running_stats: `_NormBase`'s).

    track_running_stats=True keeps `running_mean` and `running_var` (Buffers, saved in
    `state_dict()`, beside `num_batches_tracked`, which PyTorch's instance norms keep at
    0): moved in training toward the batch's mean instance statistics by `momentum` (None:
    not moved, PyTorch's 0), used instead of them in eval mode. An unbatched input (no
    batch axis) is normalised as a batch of one."""

    unbatched_ndim, expected = 2, "(batch, C, length) or (C, length)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        _norm_state(self, num_features, eps, momentum, affine, track_running_stats, dtype,
                    device, bias)

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        if input.ndim not in (self.unbatched_ndim, self.unbatched_ndim + 1):
            raise ValueError(f"{self!r}: expected input of shape {self.expected}, got shape "
                             f"{input.shape}")
        batched = input.ndim > self.unbatched_ndim
        channels = input.shape[int(batched)]
        if channels != self.num_features:
            message = (f"{self!r}: the input's axis {int(batched)} has {channels} channels "
                       f"(input shape {input.shape}), but num_features={self.num_features}")
            if self.affine or self.track_running_stats:
                raise ValueError(message)
            warnings.warn(f"{message}; normalised anyway (num_features is unused without "
                          f"affine=True: PyTorch's warning)", stacklevel=user_stacklevel())
        out = instance_norm(input if batched else input.unsqueeze(0),
                            getattr(self, "running_mean", None),
                            getattr(self, "running_var", None), self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return out if batched else out.squeeze(0)

    def extra_repr(self) -> str:
        return _norm_repr(self)


class InstanceNorm1d(_InstanceNorm):
    """Each channel of each sequence of (batch, C, length) or (C, length) normalised over
    its length, as PyTorch's InstanceNorm1d (affine=False, track_running_stats=False by
    default; see `_InstanceNorm`)."""


class InstanceNorm2d(_InstanceNorm):
    """Each channel of each image of (batch, C, height, width) or (C, height, width)
    normalised over its pixels, as PyTorch's InstanceNorm2d (see `InstanceNorm1d`)."""

    unbatched_ndim, expected = 3, "(batch, C, height, width) or (C, height, width)"


class InstanceNorm3d(_InstanceNorm):
    """Each channel of each volume of (batch, C, depth, height, width) or (C, depth, height,
    width) normalised over its voxels, as PyTorch's InstanceNorm3d (see
    `InstanceNorm1d`)."""

    unbatched_ndim, expected = 4, "(batch, C, depth, height, width) or (C, depth, height, width)"


class BatchNorm3d(BatchNorm1d):
    """BatchNorm1d for volumes: each channel of (batch, C, depth, height, width) normalised
    over the batch and the voxels, as PyTorch's BatchNorm3d (running statistics as
    BatchNorm1d's)."""

    input_ndims, expected = (5,), "(batch, C, depth, height, width)"


class LocalResponseNorm(Module):
    """Each entry divided by (k + alpha / size * the sum of squares over `size`
    neighbouring channels) ** beta, as PyTorch's LocalResponseNorm (see
    `functional.local_response_norm`). No parameters."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        # (0 built, as PyTorch's; the forward refuses it in one line)
        self.size = _check_features(size, "size", "LocalResponseNorm", empty=True)
        for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
            number("LocalResponseNorm", name, value)
        self.alpha, self.beta, self.k = alpha, beta, k  # (as given: PyTorch's repr shows them)

    def forward(self, input: Any) -> Tensor:
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


# ------------------------------------------------------------------ products and lookups


class Bilinear(Module):
    """y = x1^T A x2 + b for each pair of samples (see `functional.bilinear`): weight of
    shape (out_features, in1_features, in2_features) and bias (out_features,), both drawn
    from U(-1/sqrt(in1_features), 1/sqrt(in1_features)) (PyTorch's), the weight first;
    `seed` or `generator` makes the draw repeatable, as `Linear`'s."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None, *,
                 seed: int | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.in1_features = _check_features(in1_features, "in1_features", "Bilinear")
        self.in2_features = _check_features(in2_features, "in2_features", "Bilinear",
                                            empty=True)
        self.out_features = _check_features(out_features, "out_features", "Bilinear",
                                            empty=True)
        resolved = _float_dtype(dtype, "Bilinear", device)
        shape = (self.out_features, self.in1_features, self.in2_features)
        zero_weight_and_bias(self, shape, self.out_features if check_flag(
            "Bilinear", "bias", bias) else None, resolved)
        start_parameters(self, seed, generator)

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """Weight, then bias, drawn again from U(-1/sqrt(in1_features),
        1/sqrt(in1_features)), in place (PyTorch's), from `generator` or
        default_rng(`seed`), else the global generator (tg.manual_seed's)."""
        uniform_each_(self, (self.weight, self.bias), 1 / self.in1_features ** 0.5,
                      reset_generator(self, seed, generator))

    def forward(self, input1: Any, input2: Any) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class EmbeddingBag(Module):
    """Bags of rows of a learned weight (num_embeddings, embedding_dim), drawn from N(0, 1)
    (PyTorch's), reduced to one row each: mode 'sum', 'mean' (the default) or 'max' (see
    `functional.embedding_bag`); forward(input, offsets=None, per_sample_weights=None).
    `padding_idx`: that row starts at zero and its entries are left out of their bags.
    `_weight` (PyTorch's): the starting weight, copied. `max_norm` (and `norm_type`) as
    `Embedding`'s: the looked-up rows renormalised in the weight itself.
    `scale_grad_by_freq` as `F.embedding_bag`'s; sparse=True is refused."""

    _positional_tensors = 1  # (_weight)

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Any = None, include_last_offset: bool = False,
                 padding_idx: int | None = None, device: Any = None, dtype: Any = None, *,
                 seed: int | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        where = "EmbeddingBag"
        self.num_embeddings = _check_features(num_embeddings, "num_embeddings", where, empty=True)
        self.embedding_dim = _check_features(embedding_dim, "embedding_dim", where, empty=True)
        _bag_options(where, max_norm, norm_type, scale_grad_by_freq, mode, sparse)
        self.norm_type = norm_type  # (as given: PyTorch's repr shows it)
        self.max_norm, self.sparse = max_norm, False
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        self.mode = mode
        self.include_last_offset = check_flag(where, "include_last_offset",
                                              include_last_offset)
        self.weight = Parameter(_starting_weight(where, _weight, (self.num_embeddings,
                                                                 self.embedding_dim),
                                                 dtype, device))
        self.padding_idx = _padding_idx(where, padding_idx, self.num_embeddings)
        if _weight is None:
            start_parameters(self, seed, generator)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, max_norm: Any = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx: Any = None
                        ) -> "EmbeddingBag":
        """PyTorch's: bags of the rows of `embeddings` (a 2-D tensor, copied), its weight
        frozen unless `freeze=False`."""
        where = "EmbeddingBag.from_pretrained"
        shape = table_shape(where, embeddings)
        padding_idx = held_int(where, "padding_idx", padding_idx)  # (no tensor to the class)
        bag = cls(shape[0], shape[1], max_norm, norm_type, scale_grad_by_freq, mode, sparse,
                  embeddings, include_last_offset, padding_idx)
        bag.weight.requires_grad_(not check_flag(where, "freeze", freeze))
        return bag

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """The weight drawn again from N(0, 1), in place, the padding_idx row zero
        (PyTorch's), from `generator` or default_rng(`seed`), else the global generator
        (tg.manual_seed's)."""
        normal_table_(self, seed, generator)

    def forward(self, input: Any, offsets: Any = None, per_sample_weights: Any = None
                ) -> Tensor:
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        # PyTorch's: max_norm, norm_type and scale_grad_by_freq shown where they are not
        # their defaults
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        text += f", mode={self.mode!r}"
        return text + ("" if self.padding_idx is None else f", padding_idx={self.padding_idx}")


# ------------------------------------------------------------------ channels


class ChannelShuffle(Module):
    """The channels (axis 1 of (batch, C, ...)) split into `groups` groups and interleaved,
    as PyTorch's ChannelShuffle (see `functional.channel_shuffle`)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        # (0 built, as PyTorch's; the forward refuses it in one line)
        self.groups = _check_features(groups, "groups", "ChannelShuffle", empty=True)

    def forward(self, input: Any) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class Softmax2d(Module):
    """Softmax over the channels at each position: axis -3 of (batch, C, height, width) or
    (C, height, width), as PyTorch's Softmax2d."""

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        if input.ndim not in (3, 4):
            raise ValueError(f"{self!r}: expected input of shape (batch, C, height, width) or "
                             f"(C, height, width), got shape {input.shape}")
        return tg.softmax(input, axis=-3)


# ------------------------------------------------------------------ random


class Dropout3d(Dropout):
    """Channel dropout for (batch, C, depth, height, width) volumes in training mode (see
    `functional.dropout3d`); identity in eval mode. Seeded as `Dropout`."""

    function = staticmethod(dropout3d)
    zeroed = "a channel"


class AlphaDropout(Dropout):
    """SELU's dropout in training mode (see `functional.alpha_dropout`): dropped entries set
    to SELU's saturation value, then an affine map that keeps mean 0 and variance 1;
    identity in eval mode. Seeded as `Dropout`. `inplace=True` is kept (in its repr) and
    computed out of place, as PyTorch's AlphaDropout leaves it unused."""

    function = staticmethod(alpha_dropout)
    writes_in_place = False


class FeatureAlphaDropout(AlphaDropout):
    """`AlphaDropout` of whole channels (axis 1 of (batch, C, ...)), as PyTorch's
    FeatureAlphaDropout (see `functional.feature_alpha_dropout`)."""

    function = staticmethod(feature_alpha_dropout)
    zeroed = "a channel"


class RReLU(Module):
    """The randomized leaky relu (see `functional.rrelu`): in training each negative
    entry's slope drawn from U(lower, upper), in eval mode their mean. Seeded as
    `Dropout` (`seed`, `generator` by keyword). `inplace=True` writes the result into the
    input and returns it, as `F.rrelu(x, inplace=True)` (see `ReLU`)."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False,
                 *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        _slopes("RReLU", lower, upper)  # (refused here, where PyTorch's refuses at the call)
        self.lower, self.upper = lower, upper  # (as given: PyTorch's repr shows them)
        self.inplace = check_flag("RReLU", "inplace", inplace)
        self.generator = None if seed is None and generator is None \
            else make_generator(seed, generator, "RReLU")

    def forward(self, input: Any) -> Tensor:
        return rrelu(input, self.lower, self.upper, self.training, self.inplace,
                     generator=self.generator)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"lower={self.lower}, upper={self.upper}")

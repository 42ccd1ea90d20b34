"""`nn.functional` and the `nn` layers in float32, against PyTorch's.

test_torch_dtypes.py compares every fuzzed op; here the F functions made of several ops
(the norms, the losses, convolutions, pools, attention, ...) and the layers holding float32
parameters (`nn.X(...).float()`, weights copied from the torch layer built with the same
seed, as examples/to_pytorch.py moves them) run on float32 inputs. Each case compares the
result's dtype, its values, and the gradients of a fixed weighted sum of the outputs: of
every float input and every parameter, their dtypes (a leaf's own) and values; a layer's
float buffers (running statistics) too. Values agree with torch's float32 result to 1e-5
relative plus 4 float32 ulps of the largest entry, or with torch's float64 result of the
same inputs to that tolerance (ours may be the more accurate): test_torch_dtypes.mismatch.

The mixed cases a user hits run too: a float32 input with int64 targets or a Python float
argument (eps, margin, delta) torch runs as well; a float32 layer given float64 data, which
PyTorch refuses and the api-guide documents ("The dtype rule": it runs in float64, its
parameters, gradients and buffers stay float32), compared with torch's float64 model.
KNOWN lists the differences that stay, (name, case) -> why; a known difference that went
away fails too.
"""
from __future__ import annotations

import dataclasses
import warnings
import zlib
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

torch = pytest.importorskip("torch")  # (every test here compares with PyTorch)
from test_torch_dtypes import mismatch  # noqa: E402  (needs torch)

TF = torch.nn.functional


@dataclasses.dataclass(frozen=True)
class Lib:
    """What a case calls, in one library: F, nn and the dtypes."""
    F: Any
    nn: Any
    float32: Any
    float64: Any
    int64: Any


OURS = Lib(F, nn, tg.float32, tg.float64, tg.int64)
THEIRS = Lib(TF, torch.nn, torch.float32, torch.float64, torch.int64)

# an input: (kind, array); kinds: "float32" and "float64" need a gradient, "const32" is
# float32 data needing none (running statistics, class weights), "int64" (targets, indices)
Input = tuple[str, np.ndarray]


def _rng(*key: Any) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def f32(*shape: int, low: float | None = None, high: float = 1.0, seed: int = 0) -> Input:
    """float32 values needing a gradient: normal, or uniform in [low, high)."""
    rng = _rng(shape, low, high, seed)
    values = rng.normal(size=shape) if low is None else rng.uniform(low, high, shape)
    return ("float32", values.astype(np.float32))


def const(*shape: int, low: float = 0.5, high: float = 1.5) -> Input:
    return ("const32", _rng(shape, "const").uniform(low, high, shape).astype(np.float32))


def ints(*shape: int, high: int) -> Input:
    return ("int64", _rng(shape, high).integers(0, high, shape))


@dataclasses.dataclass(frozen=True)
class FCase:
    """call(lib, *tensors) in both libraries."""
    call: Callable[..., Any]
    inputs: tuple[Input, ...]


def _fn(call: Callable[..., Any], *inputs: Input) -> FCase:
    return FCase(call, tuple(inputs))


X = f32(4, 6)
Y = f32(4, 6, seed=1)
P = f32(4, 6, low=0.1, high=0.9, seed=2)  # probabilities
T = ints(4, high=6)
IMG = f32(2, 3, 6, 6)

FUNCTIONS: dict[tuple[str, str], FCase] = {
    ("layer_norm", "float32"): _fn(lambda L, x, w, b: L.F.layer_norm(x, (6,), w, b), X,
                                   f32(6, seed=3), f32(6, seed=4)),
    ("layer_norm", "python float eps"): _fn(
        lambda L, x, w, b: L.F.layer_norm(x, (6,), w, b, eps=0.25), X, f32(6, seed=3),
        f32(6, seed=4)),
    ("batch_norm", "training"): _fn(
        lambda L, x, w, b, m, v: L.F.batch_norm(x, m, v, w, b, training=True, momentum=0.3),
        X, f32(6, seed=3), f32(6, seed=4), const(6), const(6)),
    ("batch_norm", "eval"): _fn(
        lambda L, x, w, b, m, v: L.F.batch_norm(x, m, v, w, b, training=False, eps=1e-3),
        X, f32(6, seed=3), f32(6, seed=4), const(6), const(6)),
    ("batch_norm", "images"): _fn(
        lambda L, x, w, b: L.F.batch_norm(x, None, None, w, b, training=True), IMG,
        f32(3, seed=3), f32(3, seed=4)),
    ("group_norm", "float32"): _fn(lambda L, x, w, b: L.F.group_norm(x, 2, w, b, eps=1e-3),
                                   f32(2, 6, 5), f32(6, seed=3), f32(6, seed=4)),
    ("instance_norm", "float32"): _fn(
        lambda L, x, w, b: L.F.instance_norm(x, weight=w, bias=b), f32(2, 6, 5),
        f32(6, seed=3), f32(6, seed=4)),
    ("instance_norm", "running statistics"): _fn(
        lambda L, x, m, v: L.F.instance_norm(x, m, v, use_input_stats=True), f32(2, 6, 5),
        const(6), const(6)),
    ("rms_norm", "float32"): _fn(lambda L, x, w: L.F.rms_norm(x, (6,), w, eps=1e-6), X,
                                 f32(6, seed=3)),
    ("local_response_norm", "float32"): _fn(
        lambda L, x: L.F.local_response_norm(x, 2), IMG),
    ("normalize", "float32"): _fn(lambda L, x: L.F.normalize(x, dim=1), X),
    ("normalize", "python float eps"): _fn(
        lambda L, x: L.F.normalize(x, dim=0, eps=0.5), X),
    ("softmax", "float32"): _fn(lambda L, x: L.F.softmax(x, dim=1), X),
    ("softmax", "dtype=float64"): _fn(lambda L, x: L.F.softmax(x, dim=1, dtype=L.float64), X),
    ("softmax", "float64 input, dtype=float32"): _fn(
        lambda L, x: L.F.softmax(x, dim=0, dtype=L.float32), ("float64", X[1].astype(float))),
    ("log_softmax", "float32"): _fn(lambda L, x: L.F.log_softmax(x, dim=0), X),
    ("log_softmax", "dtype=float64"): _fn(
        lambda L, x: L.F.log_softmax(x, dim=1, dtype=L.float64), X),
    ("softmin", "float32"): _fn(lambda L, x: L.F.softmin(x, dim=1), X),
    ("gumbel_softmax", "tau, no noise (eval-like: compared as softmax)"): _fn(
        lambda L, x: L.F.softmax(x / 0.5, dim=1), X),
    ("cross_entropy", "int64 targets"): _fn(lambda L, x, t: L.F.cross_entropy(x, t), X, T),
    ("cross_entropy", "weight, label_smoothing"): _fn(
        lambda L, x, t, w: L.F.cross_entropy(x, t, weight=w, label_smoothing=0.1), X, T,
        const(6)),
    ("cross_entropy", "ignore_index, sum"): _fn(
        lambda L, x, t: L.F.cross_entropy(x, t, ignore_index=2, reduction="sum"), X, T),
    ("cross_entropy", "probability targets, label_smoothing"): _fn(
        lambda L, x, p: L.F.cross_entropy(x, p, label_smoothing=0.2), X, P),
    ("cross_entropy", "images, none"): _fn(
        lambda L, x, t: L.F.cross_entropy(x, t, reduction="none"), IMG, ints(2, 6, 6, high=3)),
    ("nll_loss", "int64 targets, weight"): _fn(
        lambda L, x, t, w: L.F.nll_loss(x, t, weight=w), X, T, const(6)),
    ("mse_loss", "float32"): _fn(lambda L, x, y: L.F.mse_loss(x, y), X, Y),
    ("mse_loss", "sum"): _fn(lambda L, x, y: L.F.mse_loss(x, y, reduction="sum"), X, Y),
    ("l1_loss", "float32"): _fn(lambda L, x, y: L.F.l1_loss(x, y), X, Y),
    ("smooth_l1_loss", "python float beta"): _fn(
        lambda L, x, y: L.F.smooth_l1_loss(x, y, beta=0.7), X, Y),
    ("huber_loss", "python float delta"): _fn(
        lambda L, x, y: L.F.huber_loss(x, y, delta=0.7), X, Y),
    ("kl_div", "batchmean"): _fn(lambda L, x, p: L.F.kl_div(x, p, reduction="batchmean"),
                                 X, P),
    ("kl_div", "log_target"): _fn(
        lambda L, x, y: L.F.kl_div(x, y, reduction="sum", log_target=True), X, Y),
    ("binary_cross_entropy", "weight"): _fn(
        lambda L, p, y, w: L.F.binary_cross_entropy(p, y, weight=w), P, f32(4, 6, low=0.0),
        const(4, 6)),
    ("binary_cross_entropy_with_logits", "pos_weight"): _fn(
        lambda L, x, y, w: L.F.binary_cross_entropy_with_logits(x, y, pos_weight=w), X,
        f32(4, 6, low=0.0), const(6)),
    ("binary_cross_entropy_with_logits", "weight, sum"): _fn(
        lambda L, x, y, w: L.F.binary_cross_entropy_with_logits(x, y, weight=w,
                                                                reduction="sum"),
        X, f32(4, 6, low=0.0), const(4, 6)),
    ("poisson_nll_loss", "float32"): _fn(lambda L, x, y: L.F.poisson_nll_loss(x, y), X, P),
    ("gaussian_nll_loss", "python float eps"): _fn(
        lambda L, x, y, v: L.F.gaussian_nll_loss(x, y, v, eps=1e-3), X, Y,
        f32(4, 6, low=0.2, high=2.0)),
    ("margin_ranking_loss", "python float margin"): _fn(
        lambda L, x, y, s: L.F.margin_ranking_loss(x, y, s, margin=0.3), f32(8), f32(8, seed=1),
        ("const32", np.sign(_rng("sign").normal(size=8)).astype(np.float32))),
    ("hinge_embedding_loss", "python float margin"): _fn(
        lambda L, x, s: L.F.hinge_embedding_loss(x, s, margin=0.5), X,
        ("const32", np.sign(_rng("sign").normal(size=(4, 6))).astype(np.float32))),
    ("soft_margin_loss", "float32"): _fn(
        lambda L, x, s: L.F.soft_margin_loss(x, s), X,
        ("const32", np.sign(_rng("sign").normal(size=(4, 6))).astype(np.float32))),
    ("multilabel_soft_margin_loss", "float32"): _fn(
        lambda L, x, y: L.F.multilabel_soft_margin_loss(x, y), X,
        ("const32", (_rng("labels").random((4, 6)) > 0.5).astype(np.float32))),
    ("multi_margin_loss", "int64 targets, p=2, weight"): _fn(
        lambda L, x, t, w: L.F.multi_margin_loss(x, t, p=2, margin=0.8, weight=w), X, T,
        const(6)),
    ("multilabel_margin_loss", "int64 targets"): _fn(
        lambda L, x, t: L.F.multilabel_margin_loss(x, t), X,
        ("int64", np.array([[1, 4, -1, 0, 0, 0], [0, 1, 2, 3, 4, 5], [5, -1, 2, 2, 2, 2],
                            [3, 2, 1, -1, 0, 0]]))),
    ("cosine_embedding_loss", "python float margin"): _fn(
        lambda L, x, y, s: L.F.cosine_embedding_loss(x, y, s, margin=0.2), X, Y,
        ("int64", np.array([1, -1, 1, -1]))),
    ("triplet_margin_loss", "python float margin, eps"): _fn(
        lambda L, a, p, n: L.F.triplet_margin_loss(a, p, n, margin=0.5, eps=1e-3, swap=True),
        X, Y, f32(4, 6, seed=5)),
    ("cosine_similarity", "python float eps"): _fn(
        lambda L, x, y: L.F.cosine_similarity(x, y, dim=1, eps=1e-4), X, Y),
    ("pairwise_distance", "p=1.5, eps, keepdim"): _fn(
        lambda L, x, y: L.F.pairwise_distance(x, y, p=1.5, eps=1e-4, keepdim=True), X, Y),
    ("pdist", "float32"): _fn(lambda L, x: L.F.pdist(x), X),
    ("conv1d", "padding, dilation"): _fn(
        lambda L, x, w, b: L.F.conv1d(x, w, b, padding=2, dilation=2), f32(2, 3, 9),
        f32(4, 3, 3, seed=1), f32(4, seed=2)),
    ("conv2d", "stride, groups"): _fn(
        lambda L, x, w, b: L.F.conv2d(x, w, b, stride=2, padding=1, groups=3),
        f32(2, 3, 7, 7), f32(6, 1, 3, 3, seed=1), f32(6, seed=2)),
    ("conv2d", "float32"): _fn(lambda L, x, w: L.F.conv2d(x, w), IMG, f32(4, 3, 3, 3, seed=1)),
    ("conv_transpose1d", "stride"): _fn(
        lambda L, x, w, b: L.F.conv_transpose1d(x, w, b, stride=2), f32(2, 3, 5),
        f32(3, 2, 3, seed=1), f32(2, seed=2)),
    ("conv_transpose2d", "stride, output_padding"): _fn(
        lambda L, x, w, b: L.F.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                output_padding=1),
        f32(2, 3, 4, 4), f32(3, 2, 3, 3, seed=1), f32(2, seed=2)),
    ("max_pool2d", "float32"): _fn(lambda L, x: L.F.max_pool2d(x, 3, stride=2, padding=1),
                                   IMG),
    ("max_pool1d", "float32"): _fn(lambda L, x: L.F.max_pool1d(x, 2), f32(2, 3, 8)),
    ("avg_pool2d", "count_include_pad=False"): _fn(
        lambda L, x: L.F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False), IMG),
    ("avg_pool1d", "float32"): _fn(lambda L, x: L.F.avg_pool1d(x, 3, stride=2), f32(2, 3, 9)),
    ("adaptive_avg_pool2d", "float32"): _fn(lambda L, x: L.F.adaptive_avg_pool2d(x, (4, 3)),
                                            IMG),
    ("adaptive_max_pool2d", "float32"): _fn(lambda L, x: L.F.adaptive_max_pool2d(x, 4), IMG),
    ("lp_pool2d", "python float norm_type"): _fn(lambda L, x: L.F.lp_pool2d(x, 1.5, 2),
                                                 f32(2, 3, 6, 6, low=0.2, high=2.0)),
    ("interpolate", "bilinear"): _fn(
        lambda L, x: L.F.interpolate(x, scale_factor=2, mode="bilinear"), f32(2, 3, 4, 4)),
    ("interpolate", "bilinear, align_corners"): _fn(
        lambda L, x: L.F.interpolate(x, size=(7, 5), mode="bilinear", align_corners=True),
        f32(2, 3, 4, 4)),
    ("interpolate", "bicubic"): _fn(
        lambda L, x: L.F.interpolate(x, size=(7, 5), mode="bicubic"), f32(2, 3, 4, 4)),
    ("interpolate", "nearest"): _fn(lambda L, x: L.F.interpolate(x, size=(7, 7)),
                                    f32(2, 3, 4, 4)),
    ("interpolate", "linear, python float scale"): _fn(
        lambda L, x: L.F.interpolate(x, scale_factor=1.5, mode="linear"), f32(2, 3, 6)),
    ("interpolate", "trilinear"): _fn(
        lambda L, x: L.F.interpolate(x, scale_factor=2, mode="trilinear"), f32(1, 2, 3, 3, 3)),
    ("pixel_shuffle", "float32"): _fn(lambda L, x: L.F.pixel_shuffle(x, 2), f32(2, 8, 3, 3)),
    ("grid_sample", "bilinear"): _fn(
        lambda L, x, g: L.F.grid_sample(x, g, align_corners=False), f32(2, 3, 5, 5),
        f32(2, 4, 4, 2, low=-0.9, high=0.9)),
    ("affine_grid", "float32"): _fn(
        lambda L, t: L.F.affine_grid(t, [2, 3, 4, 5], align_corners=False), f32(2, 2, 3)),
    ("pad", "reflect"): _fn(lambda L, x: L.F.pad(x, (1, 2, 1, 2), mode="reflect"), IMG),
    ("pad", "python float value"): _fn(lambda L, x: L.F.pad(x, (1, 2), value=0.5), IMG),
    ("pad", "replicate"): _fn(lambda L, x: L.F.pad(x, (2, 1), mode="replicate"), f32(2, 3, 5)),
    ("dropout", "eval"): _fn(lambda L, x: L.F.dropout(x, 0.5, training=False), X),
    ("dropout", "p=0"): _fn(lambda L, x: L.F.dropout(x, 0.0, training=True), X),
    ("embedding", "int64 indices"): _fn(lambda L, w, i: L.F.embedding(i, w), f32(7, 3), T),
    ("embedding", "max_norm"): _fn(
        lambda L, w, i: L.F.embedding(i, w, max_norm=1.0), f32(7, 3), T),
    ("embedding_bag", "mean"): _fn(
        lambda L, w, i: L.F.embedding_bag(i, w, mode="mean"), f32(7, 3),
        ints(4, 3, high=7)),
    ("one_hot", "times float32"): _fn(lambda L, x, t: L.F.one_hot(t, 6) * x, X, T),
    ("scaled_dot_product_attention", "float32"): _fn(
        lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v), f32(2, 3, 5, 4),
        f32(2, 3, 6, 4, seed=1), f32(2, 3, 6, 4, seed=2)),
    ("scaled_dot_product_attention", "causal, python float scale"): _fn(
        lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                            scale=0.3),
        f32(2, 5, 4), f32(2, 5, 4, seed=1), f32(2, 5, 4, seed=2)),
    ("scaled_dot_product_attention", "float32 additive mask"): _fn(
        lambda L, q, k, v, m: L.F.scaled_dot_product_attention(q, k, v, attn_mask=m),
        f32(2, 5, 4), f32(2, 6, 4, seed=1), f32(2, 6, 4, seed=2), const(5, 6, low=-1.0)),
    ("linear", "float32"): _fn(lambda L, x, w, b: L.F.linear(x, w, b), X, f32(3, 6, seed=1),
                               f32(3, seed=2)),
    ("bilinear", "float32"): _fn(lambda L, x, y, w, b: L.F.bilinear(x, y, w, b), X,
                                 f32(4, 5, seed=1), f32(3, 6, 5, seed=2), f32(3, seed=3)),
    ("glu", "float32"): _fn(lambda L, x: L.F.glu(x, dim=1), X),
    ("prelu", "float32"): _fn(lambda L, x, w: L.F.prelu(x, w), IMG, f32(3, seed=1)),
    ("rrelu", "eval"): _fn(lambda L, x: L.F.rrelu(x, training=False), X),
    **{(name, "float32"): _fn(lambda L, x, name=name: getattr(L.F, name)(x), X) for name in (
        "gelu silu mish elu selu celu softplus logsigmoid softsign tanhshrink hardswish "
        "hardsigmoid relu6 relu sigmoid tanh hardtanh leaky_relu hardshrink softshrink"
    ).split()},
    ("gelu", "tanh"): _fn(lambda L, x: L.F.gelu(x, approximate="tanh"), X),
    ("elu", "python float alpha"): _fn(lambda L, x: L.F.elu(x, alpha=0.7), X),
    ("celu", "python float alpha"): _fn(lambda L, x: L.F.celu(x, alpha=0.7), X),
    ("softplus", "python float beta, threshold"): _fn(
        lambda L, x: L.F.softplus(x, beta=1.5, threshold=2.0), X),
    ("leaky_relu", "python float slope"): _fn(lambda L, x: L.F.leaky_relu(x, 0.3), X),
    ("hardtanh", "python float bounds"): _fn(lambda L, x: L.F.hardtanh(x, -0.5, 0.7), X),
    ("threshold", "python floats"): _fn(lambda L, x: L.F.threshold(x, 0.1, -2.0), X),
    ("layer_norm", "numpy float64 eps"): _fn(
        lambda L, x: L.F.layer_norm(x, (6,), eps=np.float64(0.25)), X),
    ("huber_loss", "numpy float64 delta"): _fn(
        lambda L, x, y: L.F.huber_loss(x, y, delta=np.float64(0.7)), X, Y),
    ("pad", "numpy float64 value"): _fn(lambda L, x: L.F.pad(x, (1, 2), value=np.float64(0.5)),
                                        X),
    ("triplet_margin_loss", "numpy float64 margin"): _fn(
        lambda L, a, p, n: L.F.triplet_margin_loss(a, p, n, margin=np.float64(0.5)), X, Y,
        f32(4, 6, seed=5)),
}
# the elementwise losses with an int64 target (0 or 1; -1 or 1 for soft_margin_loss) and
# with a float64 target, neither needing a gradient
_BITS = _rng("target bits").integers(0, 2, (4, 6))
_SHARES = _rng("target shares").uniform(0.1, 0.9, (4, 6))
for _loss in ("mse_loss l1_loss huber_loss smooth_l1_loss binary_cross_entropy_with_logits "
              "kl_div poisson_nll_loss soft_margin_loss").split():
    _signs = _loss == "soft_margin_loss"
    for _case, _target in (("int64 target", ("int64", 2 * _BITS - 1 if _signs else _BITS)),
                           ("float64 target", ("const64", 2.0 * _BITS - 1 if _signs
                                               else _SHARES))):
        FUNCTIONS[(_loss, _case)] = _fn(lambda L, x, y, loss=_loss: getattr(L.F, loss)(
            x, y, reduction="sum"), X, _target)


@dataclasses.dataclass(frozen=True)
class LayerCase:
    """make(lib) builds the layer (torch's under torch.manual_seed(0)); call(layer, x)."""
    make: Callable[[Lib], Any]
    x: Input
    train: bool = False
    call: Callable[[Any, Any], Any] = staticmethod(lambda layer, x: layer(x))
    stats: bool = False  # running statistics to set in torch's before copying


def _self_attention(layer: Any, x: Any) -> Any:
    return layer(x, x, x)


def _encoder_with_padding(layer: Any, x: Any) -> Any:
    mask = np.zeros((2, 3), bool)
    mask[1, 2] = True  # (the second sequence's last step is padding)
    lib_mask = torch.tensor(mask) if isinstance(x, torch.Tensor) else tg.tensor(mask)
    return layer(x, src_key_padding_mask=lib_mask)


SEQ = f32(3, 2, 8)  # (length, batch, features)
LAYERS: dict[str, LayerCase] = {
    "Linear": LayerCase(lambda L: L.nn.Linear(6, 3), X),
    "Linear dtype=float32": LayerCase(lambda L: L.nn.Linear(6, 3, dtype=L.float32), X),
    "Bilinear": LayerCase(lambda L: L.nn.Bilinear(6, 6, 3), X,
                          call=lambda layer, x: layer(x, x * 2)),
    "Conv1d": LayerCase(lambda L: L.nn.Conv1d(3, 4, 3, padding=1), f32(2, 3, 7)),
    "Conv2d": LayerCase(lambda L: L.nn.Conv2d(3, 4, 3, stride=2, padding=1), f32(2, 3, 7, 7)),
    "Conv2d reflect": LayerCase(lambda L: L.nn.Conv2d(3, 2, 3, padding=1,
                                                      padding_mode="reflect"), IMG),
    "ConvTranspose2d": LayerCase(lambda L: L.nn.ConvTranspose2d(3, 4, 3, stride=2), IMG),
    "LayerNorm": LayerCase(lambda L: L.nn.LayerNorm(6), X),
    "LayerNorm no bias": LayerCase(lambda L: L.nn.LayerNorm((4, 6), eps=1e-3, bias=False), X),
    "GroupNorm": LayerCase(lambda L: L.nn.GroupNorm(3, 6), f32(2, 6, 5)),
    "RMSNorm": LayerCase(lambda L: L.nn.RMSNorm(6), X),
    "InstanceNorm1d affine, running stats": LayerCase(
        lambda L: L.nn.InstanceNorm1d(6, affine=True, track_running_stats=True),
        f32(2, 6, 5), train=True, stats=True),
    "BatchNorm1d train": LayerCase(lambda L: L.nn.BatchNorm1d(6, momentum=0.3), X, True,
                                   stats=True),
    "BatchNorm1d eval": LayerCase(lambda L: L.nn.BatchNorm1d(6), X, stats=True),
    "BatchNorm1d sequences train": LayerCase(lambda L: L.nn.BatchNorm1d(3), f32(2, 3, 5),
                                             True, stats=True),
    "BatchNorm2d train": LayerCase(lambda L: L.nn.BatchNorm2d(3), IMG, True, stats=True),
    "BatchNorm2d eval": LayerCase(lambda L: L.nn.BatchNorm2d(3, eps=1e-3), IMG, stats=True),
    "BatchNorm2d cumulative average": LayerCase(
        lambda L: L.nn.BatchNorm2d(3, momentum=None), IMG, True, stats=True),
    "Embedding": LayerCase(lambda L: L.nn.Embedding(7, 3), T),
    "Embedding padding_idx": LayerCase(lambda L: L.nn.Embedding(7, 3, padding_idx=2), T),
    "EmbeddingBag": LayerCase(lambda L: L.nn.EmbeddingBag(7, 3, mode="sum"),
                              ints(4, 3, high=7)),
    "RNN": LayerCase(lambda L: L.nn.RNN(8, 5), SEQ),
    "GRU": LayerCase(lambda L: L.nn.GRU(8, 5, num_layers=2, bidirectional=True), SEQ),
    "LSTM": LayerCase(lambda L: L.nn.LSTM(8, 5, batch_first=True), SEQ),
    "LSTM proj_size": LayerCase(lambda L: L.nn.LSTM(8, 5, proj_size=3), SEQ),
    "GRUCell": LayerCase(lambda L: L.nn.GRUCell(6, 4), X),
    "LSTMCell": LayerCase(lambda L: L.nn.LSTMCell(6, 4), X),
    "MultiheadAttention": LayerCase(lambda L: L.nn.MultiheadAttention(8, 2), SEQ,
                                    call=_self_attention),
    "MultiheadAttention need_weights=False": LayerCase(
        lambda L: L.nn.MultiheadAttention(8, 2, dropout=0.5), SEQ,
        call=lambda layer, x: layer(x, x, x, need_weights=False)[0]),
    "MultiheadAttention kdim, bias_k": LayerCase(
        lambda L: L.nn.MultiheadAttention(8, 2, kdim=8, vdim=8, add_bias_kv=True,
                                          batch_first=True), SEQ, call=_self_attention),
    "TransformerEncoderLayer": LayerCase(
        lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), SEQ),
    "TransformerEncoderLayer norm_first, gelu, padding mask": LayerCase(
        lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True,
                                               activation="gelu"),
        SEQ, call=_encoder_with_padding),
    "TransformerDecoderLayer": LayerCase(
        lambda L: L.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), SEQ,
        call=lambda layer, x: layer(x, x[:2] * 2)),
    "PReLU": LayerCase(lambda L: L.nn.PReLU(3), IMG),
}


# ---------------------------------------------------------------------------------------
# Running a case in each library


def _weights(shape: tuple) -> np.ndarray:
    rng = np.random.default_rng(sum(shape) + 7 * len(shape))
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def _outputs(out: Any) -> list[Any]:
    """The float tensors of a result: the tensor, or each of a (nested) tuple's."""
    if isinstance(out, (tuple, list)):
        return [t for part in out for t in _outputs(part)]
    return [out] if out is not None and out.dtype in (tg.float32, tg.float64, torch.float32,
                                                      torch.float64) else []


def _name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


def _numpy(t: Any) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.data)


def _backward(outputs: list[Any], lib: Any) -> None:
    total = sum((o * lib.tensor(_weights(tuple(o.shape)).astype(_name(o.dtype)))).sum()
                for o in outputs)
    if total.requires_grad:
        total.backward()


def _leaf(lib: Any, kind: str, value: np.ndarray, wider: bool) -> Any:
    if kind == "const64" or wider and kind in ("float32", "const32", "int64 as float"):
        value = value.astype(np.float64)
    grad = kind in ("float32", "float64")
    if lib is tg:
        return tg.Tensor(value.copy(), dtype=value.dtype, requires_grad=grad)
    return torch.tensor(value.copy(), requires_grad=grad)


def run_function(case: FCase, lib: Any, wider: bool = False,
                 int_as_float: bool = False) -> dict[str, Any]:
    """name -> (dtype, values) of the outputs and the float inputs' gradients; wider: every
    float input in float64 (int_as_float: the int64 ones too)."""
    leaves = [_leaf(lib, "int64 as float" if int_as_float and kind == "int64" else kind,
                    value, wider) for kind, value in case.inputs]
    outputs = _outputs(case.call(OURS if lib is tg else THEIRS, *leaves))
    _backward(outputs, lib)
    found = {f"output {k}": o for k, o in enumerate(outputs)}
    found.update({f"gradient of input {k}": t.grad for k, t in enumerate(leaves)
                  if t.requires_grad and t.grad is not None})
    return {name: (_name(t.dtype), _numpy(t)) for name, t in found.items()}


def _torch_layer(case: LayerCase) -> Any:
    torch.manual_seed(0)
    layer = case.make(THEIRS)
    if case.stats:  # (running statistics that are not 0 and 1, so eval uses them)
        layer.running_mean.uniform_(-0.5, 0.5)
        layer.running_var.uniform_(0.5, 1.5)
    return layer


def run_layer(case: LayerCase, lib: Any, x_dtype: str = "float32",
              wider: bool = False) -> dict[str, Any]:
    """As run_function, for the input, every parameter's gradient and every float buffer;
    ours holds float32 parameters copied from torch's layer (wider: torch's in float64)."""
    theirs = _torch_layer(case)
    if lib is tg:
        layer = case.make(OURS).float()
        layer.load_state_dict({k: v.numpy().copy() for k, v in theirs.state_dict().items()})
    else:
        layer = theirs.double() if wider else theirs
    layer.train(case.train)
    kind, value = case.x
    x = _leaf(lib, kind if kind == "int64" else "float32", value.astype(
        x_dtype if kind != "int64" else np.int64), wider)
    outputs = _outputs(case.call(layer, x))
    _backward(outputs, lib)
    found = {f"output {k}": o for k, o in enumerate(outputs)}
    if x.requires_grad:
        found["gradient of the input"] = x.grad
    for name, p in layer.named_parameters():
        found[f"{name} itself"] = p
        found[f"gradient of {name}"] = p.grad
    for name, b in layer.named_buffers():
        if b is not None and b.dtype in (tg.float32, tg.float64, torch.float32, torch.float64):
            found[f"buffer {name}"] = b
    return {name: None if t is None else (_name(t.dtype), _numpy(t))
            for name, t in found.items()}


def _outcome(run: Callable, *args: Any, **kwargs: Any) -> Any:
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run(*args, **kwargs)
    except Exception as err:  # noqa: BLE001  (a refusal is an outcome to compare)
        return f"refused ({type(err).__name__}: {str(err).splitlines()[0][:90]})"


def differences(ours: Any, theirs: Any, reference: Any,
                dtypes: dict[str, str] | None = None) -> list[str]:
    """How ours differs from torch's (theirs; reference: torch's float64 result of the same
    inputs); dtypes: the dtype each result must have where torch refuses the case."""
    for outcome in (ours, theirs if dtypes is None else reference):
        if isinstance(outcome, str):
            return [outcome]
    if dtypes is not None:
        theirs = {name: None if r is None else (dtypes.get(name, r[0]), r[1])
                  for name, r in reference.items()}
    found = []
    if sorted(ours) != sorted(theirs):
        found.append(f"results {sorted(ours)} vs {sorted(theirs)}")
    for name in sorted(set(ours) & set(theirs)):
        o, t = ours[name], theirs[name]
        if (o is None) != (t is None):
            found.append(f"{name}: {'none' if o is None else 'one'} vs "
                         f"{'none' if t is None else 'one'}")
        elif o is not None and o[0] != t[0]:
            found.append(f"{name}: dtype {o[0]} vs {t[0]}")
        elif o is not None:
            diff = mismatch(o[1], t[1], None if isinstance(reference, str)
                            else reference[name][1])
            if diff:
                found.append(f"{name} {diff}")
    return found


def compare_function(key: tuple[str, str], documented: str | None = None) -> list[str]:
    """documented: the output's dtype where PyTorch's differs or PyTorch refuses the case;
    ours is then compared with torch's float64 result (its int64 inputs made float64 too),
    each gradient in its input's dtype."""
    case = FUNCTIONS[key]
    ours = _outcome(run_function, case, tg)
    reference = _outcome(run_function, case, torch, wider=True,
                         int_as_float=documented is not None)
    if documented is None:
        return differences(ours, _outcome(run_function, case, torch), reference)
    dtypes = {f"gradient of input {k}": kind for k, (kind, _) in enumerate(case.inputs)}
    return differences(ours, None, reference, {"output 0": documented, **dtypes})


# a float32 layer given float64 data (PyTorch refuses it): api-guide, The dtype rule
DOCUMENTED_FLOAT64 = {"output 0": "float64", "gradient of the input": "float64"}


def compare_layer(name: str, x_dtype: str = "float32") -> list[str]:
    case = LAYERS[name]
    ours = _outcome(run_layer, case, tg, x_dtype)
    reference = _outcome(run_layer, case, torch, wider=True)
    if x_dtype == "float32":
        return differences(ours, _outcome(run_layer, case, torch), reference)
    dtypes = {n: "float64" for n in reference if n.startswith("output")}
    dtypes.update({n: "float32" for n in reference if not n.startswith("output")})
    dtypes["gradient of the input"] = "float64"
    return differences(ours, None, reference, dtypes)


# ---------------------------------------------------------------------------------------
# The differences that stay: (name, case) -> why

PROMOTED = ("a float32 input beside an int64 or float64 target where PyTorch's forward or "
            "backward refuses the pair: computed in the promoted dtype, float32 beside int64, "
            "float64 beside float64 (api-guide, The dtype rule)")
# the output's dtype, by the api-guide's rule, where PyTorch refuses the case or differs
DOCUMENTED: dict[tuple[str, str], str] = {
    ("soft_margin_loss", "float64 target"): "float64",
    ("huber_loss", "int64 target"): "float32",
    ("huber_loss", "float64 target"): "float64",
    ("kl_div", "int64 target"): "float32",
    ("binary_cross_entropy_with_logits", "int64 target"): "float32",
}
KNOWN: dict[tuple[str, str], str] = {
    **{key: PROMOTED for key in DOCUMENTED},
    ("soft_margin_loss", "float64 target"): "PyTorch's soft_margin_loss of a float32 input and "
    "a float64 target is float32 (its mse_loss and l1_loss promote to float64); ours "
    "promotes, as two float tensors with axes do (api-guide, The dtype rule)",
}

FLOAT64_DATA = ["Linear", "Conv2d", "LayerNorm", "BatchNorm1d train", "BatchNorm2d eval",
                "GRU", "LSTM", "MultiheadAttention", "TransformerEncoderLayer", "ConvTranspose2d",
                "GroupNorm", "TransformerDecoderLayer"]


def _known(key: tuple[str, str], found: list[str]) -> None:
    if key in KNOWN:
        assert found, f"{key}: no difference left: take it out of KNOWN"
    else:
        assert not found, f"{key}:\n" + "\n".join(found)


@pytest.mark.torch
@pytest.mark.parametrize("key", sorted(FUNCTIONS), ids=" ".join)
def test_functions_in_float32_agree_with_pytorch(key):
    _known(key, compare_function(key))
    if key in DOCUMENTED:
        assert not compare_function(key, DOCUMENTED[key]), key


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_float32_layers_agree_with_pytorch(name):
    _known((name, "float32"), compare_layer(name))


@pytest.mark.torch
@pytest.mark.parametrize("name", FLOAT64_DATA)
def test_a_float32_layer_given_float64_data_runs_in_float64_its_parameters_stay_float32(name):
    _known((name, "float64 data"), compare_layer(name, "float64"))


def test_every_known_difference_names_a_case():
    for name, case in KNOWN:
        assert (name, case) in FUNCTIONS or (name in LAYERS and case in (
            "float32", "float64 data")), (name, case)


@pytest.mark.torch
def test_a_float64_result_or_a_float16_computation_is_caught(monkeypatch):
    layer_norm = F.layer_norm
    monkeypatch.setattr(F, "layer_norm", lambda *a, **k: layer_norm(*a, **k).to(tg.float64))
    assert "output 0: dtype float64 vs float32" in compare_function(("layer_norm", "float32"))
    monkeypatch.setattr(F, "layer_norm", lambda *a, **k: layer_norm(*a, **k).to(
        np.float16).to(np.float32))
    assert any(d.startswith("output 0 at") for d in compare_function(("layer_norm", "float32")))
    linear = nn.Linear.forward
    monkeypatch.setattr(nn.Linear, "forward", lambda self, x: linear(self, x.to(tg.float64)))
    assert "output 0: dtype float64 vs float32" in compare_layer("Linear")
    monkeypatch.setattr(nn.Linear, "forward", lambda self, x: linear(self, x).to(
        np.float16).to(np.float32))
    assert any(d.startswith("gradient of weight at") for d in compare_layer("Linear"))

"""Loss functions, `linear`, `dropout` and the activations as functions (PyTorch's `F`).

Everything is made of registered ops, so `backward()` differentiates it like any other
expression: `linear`, `cross_entropy` with class indices (without weight, ignored
targets or label smoothing) and `binary_cross_entropy` (its weight applied after) are one
fused op each (as PyTorch's `addmm`, fused cross-entropy and binary_cross_entropy), the
other losses composed of Tensor ops. The `nn` Modules of the same names call these.
Losses take `(input, target)`, where `input` is the prediction, and refuse pairs of
different shapes instead of broadcasting them (the checks they share: loss_checks.py).

    sse_loss       sum((input - target)**2)
    half_sse_loss  0.5 * sum((input - target)**2): its gradient is input - target, the
                   "delta" of Grokking Deep Learning
    mse_loss       mean((input - target)**2)            reduction 'mean' | 'sum' | 'none'
    l1_loss        mean(|input - target|)               (and the others below too)
    huber_loss, smooth_l1_loss        squared near the target, absolute far from it
    binary_cross_entropy              on probabilities
    binary_cross_entropy_with_logits  on raw scores, stable for any size
    cross_entropy                     on logits, with class indices or class probabilities;
                                      PyTorch's weight, ignore_index, label_smoothing
    nll_loss                          on log-probabilities (log_softmax's output)
    kl_div                            Kullback-Leibler divergence, from log-probabilities

Beside them: `linear`, `conv2d`, `max_pool2d`, `avg_pool2d`, `layer_norm`, `batch_norm`,
`group_norm`, `rms_norm`, `embedding` (the layers' formulas, layer_functions.py),
`dropout`, `pad` (flat pairs; 'constant', 'reflect', 'replicate', 'circular': padding.py),
`one_hot`, `normalize`, `cosine_similarity`, `pairwise_distance`, the channel dropouts,
adaptive pools and 1-d convolution and pools (`dropout1d`, `dropout2d`,
`adaptive_avg_pool1d/2d`, `adaptive_max_pool1d/2d`, `conv1d`, `max_pool1d`, `avg_pool1d`,
the `*_with_indices` pools: spatial_functions.py), `lp_pool1d/2d`, `max_unpool1d/2d`
(pooling.py), `conv_transpose1d`, `conv_transpose2d`, `unfold`, `fold`
(transposed_functions.py), `interpolate`, `pixel_shuffle`, `pixel_unshuffle`
(resampling.py), `scaled_dot_product_attention` (attention.py), the margin, embedding and
triplet losses (margin_losses.py), `gaussian_nll_loss`, `poisson_nll_loss`
(likelihood_losses.py), `ctc_loss` (ctc.py), `instance_norm`, `local_response_norm`,
`bilinear`, `channel_shuffle`, `pdist`, `embedding_bag` (layer_functions_more.py),
`dropout3d`, `alpha_dropout`, `feature_alpha_dropout`, `rrelu`, `gumbel_softmax`
(random_functions.py), and the activations (`relu`, `gelu`, `silu`, `softplus`,
`logsigmoid`, `selu`, `glu`, `prelu`, `threshold`, `hardshrink`, `softshrink`, ...; those
PyTorch's take `inplace=` take it too, written into the input (as `dropout`'s):
activation_functions.py; PyTorch's in-place `relu_`, `elu_`, ...: in_place_functions.py),
`multi_head_attention_forward` (attention_forward.py), `fractional_max_pool2d/3d`
(fractional_pooling.py) and the deprecated `upsample`, `upsample_nearest`,
`upsample_bilinear` (deprecated_functions.py); `native_channel_shuffle` and
`linear_cross_entropy` (functional_more2.py: made of this module's `linear` and
`cross_entropy`, so nn/__init__.py adds them here, after both are imported).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..composed_reductions import vector_norm
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.losses import BinaryCrossEntropy, CrossEntropy
from ..ops.matmul import Linear
from ..scope import drawn_as_call
# the activations as PyTorch's F has them: the tg. functions their ops register (no second
# copy), under F's signatures (inplace=, input=, dtype=) through activation_functions
from ..functional import avg_pool2d, conv2d, max_pool2d  # noqa: F401
from .activation_functions import (_new_or_written, celu, elu, gelu, glu,  # noqa: F401
                                   hardshrink, hardsigmoid, hardswish, hardtanh, leaky_relu,
                                   log_softmax, logsigmoid, mish, prelu, relu, relu6, selu,
                                   sigmoid, silu, softmax, softmin, softplus, softshrink,
                                   softsign, tanh, tanhshrink, threshold)
from .layer_arguments import _constant
from .layer_functions import batch_norm, embedding, group_norm, layer_norm, rms_norm  # noqa: F401
from .spatial_functions import (adaptive_avg_pool1d, adaptive_avg_pool2d,  # noqa: F401
                                adaptive_max_pool1d, adaptive_max_pool1d_with_indices,
                                adaptive_max_pool2d, adaptive_max_pool2d_with_indices,
                                avg_pool1d, conv1d, dropout1d, dropout2d, max_pool1d,
                                max_pool1d_with_indices, max_pool2d_with_indices)
from .attention import scaled_dot_product_attention  # noqa: F401
from .pooling import lp_pool1d, lp_pool2d, max_unpool1d, max_unpool2d  # noqa: F401
from .pooling import lp_pool3d, max_unpool3d  # noqa: F401
from .volumetric_functions import (adaptive_avg_pool3d, adaptive_max_pool3d,  # noqa: F401
                                   adaptive_max_pool3d_with_indices, avg_pool3d, conv3d,
                                   max_pool3d, max_pool3d_with_indices)
from .transposed_functions import conv_transpose3d  # noqa: F401
from .transposed_functions import (conv_transpose1d, conv_transpose2d, fold,  # noqa: F401
                                   unfold)
from .resampling import interpolate, pixel_shuffle, pixel_unshuffle  # noqa: F401
from .grid_sampling import affine_grid, grid_sample  # noqa: F401
from .margin_losses import (cosine_embedding_loss, hinge_embedding_loss,  # noqa: F401
                            margin_ranking_loss, multi_margin_loss, multilabel_margin_loss,
                            multilabel_soft_margin_loss, soft_margin_loss,
                            triplet_margin_loss, triplet_margin_with_distance_loss)
from .likelihood_losses import gaussian_nll_loss, poisson_nll_loss  # noqa: F401
from .ctc import ctc_loss  # noqa: F401
from .layer_functions_more import (bilinear, channel_shuffle, embedding_bag,  # noqa: F401
                                   instance_norm, local_response_norm, pdist)
from .random_functions import (alpha_dropout, dropout3d, feature_alpha_dropout,  # noqa: F401
                               gumbel_softmax, rrelu)
from .in_place_functions import (celu_, elu_, hardtanh_, leaky_relu_, relu_,  # noqa: F401
                                 rrelu_, selu_, threshold_)
from .padding import pad  # noqa: F401  (PyTorch's modes and rules)
from .fractional_pooling import (fractional_max_pool2d,  # noqa: F401
                                 fractional_max_pool2d_with_indices, fractional_max_pool3d,
                                 fractional_max_pool3d_with_indices)
from .attention_forward import multi_head_attention_forward  # noqa: F401
from .deprecated_functions import upsample, upsample_bilinear, upsample_nearest  # noqa: F401
from ..ops.arguments import integer, number
from .layer_arguments import _as_tensor, _check_probability, _dropout_mask, _normalized
from .loss_checks import (_check_class_options, _check_reduction,
                          _check_unit_interval, _check_weight, _class_indices,
                          _legacy_reduction, _pair, _per_position, _reduce, _weighted,
                          _weighted_nll)
from .. import functional as tg_functional
from ..tensor import Tensor, _raw

__all__ = [
    "linear", "dropout", "pad", "one_hot", "normalize", "cosine_similarity", "conv2d",
    "max_pool2d", "avg_pool2d", "layer_norm", "batch_norm", "embedding",
    "pairwise_distance", "dropout1d", "dropout2d", "adaptive_avg_pool2d",
    "adaptive_max_pool2d", "conv1d", "max_pool1d", "avg_pool1d", "group_norm", "rms_norm",
    "threshold", "hardshrink", "softshrink",
    "relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax", "logsigmoid", "gelu",
    "silu", "elu", "celu", "softplus", "hardtanh", "relu6", "hardswish", "mish", "softsign",
    "selu", "hardsigmoid", "tanhshrink", "softmin", "glu", "prelu", "sse_loss", "kl_div",
    "half_sse_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "scaled_dot_product_attention",
    "interpolate", "pixel_shuffle", "pixel_unshuffle",
    "conv_transpose1d", "conv_transpose2d", "unfold", "fold",
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss",
    "multilabel_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
    "gaussian_nll_loss", "poisson_nll_loss", "ctc_loss",
    "instance_norm", "local_response_norm", "bilinear", "channel_shuffle", "pdist",
    "embedding_bag", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "rrelu",
    "gumbel_softmax", "relu_", "elu_", "selu_", "celu_", "leaky_relu_", "hardtanh_",
    "threshold_", "rrelu_",
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d",
    "conv3d", "conv_transpose3d", "max_pool3d", "max_pool3d_with_indices", "avg_pool3d",
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices",
    "lp_pool3d", "max_unpool3d",
    "affine_grid", "grid_sample",
    "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices", "multi_head_attention_forward", "upsample",
    "upsample_nearest", "upsample_bilinear",
]


# ------------------------------------------------------------------ layers as functions


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """`input @ weight.T + bias`, weight of shape (out_features, in_features) as in PyTorch.

    One graph node (op `linear`), as PyTorch's addmm: no transposed copy of the weight,
    and the bias's gradient is a sum over the batch.
    """
    weight = _as_tensor("linear", weight, None, "weight")
    input = _as_tensor("linear", input, weight)
    weight_shape, input_shape = weight.shape, input.shape
    if len(weight_shape) != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{weight_shape}")
    if not input_shape or input_shape[-1] != weight_shape[1]:
        raise ShapeError(f"linear: input of shape {input_shape} has last axis "
                         f"{input_shape[-1] if input_shape else '(none)'}, but the weight of "
                         f"shape {weight_shape} expects {weight_shape[1]} features")
    if bias is None:
        return Linear.apply(input, weight)
    bias = _as_tensor("linear", bias, weight, "bias")  # an array: in the weight's float dtype
    if bias.shape != weight_shape[:1]:
        raise ShapeError(f"linear: bias of shape {bias.shape} does not fit a weight of shape "
                         f"{weight_shape}; expected ({weight_shape[0]},)")
    return Linear.apply(input, weight, bias)


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each entry with probability p and scale the rest by 1/(1-p).

    The scaling keeps each entry's expected value, so evaluation (training=False) is the
    identity. `generator` (a NumPy Generator) draws the mask; None: a fresh unseeded one
    (or `tg.manual_seed`'s generator; by keyword). `inplace=True` writes the result into
    the input and returns it, as PyTorch's (activation_functions.py's `_new_or_written`).
    """
    inplace = check_flag("dropout", "inplace", inplace)
    input = _as_tensor("dropout", input)
    p = _check_probability("dropout", p)
    if not check_flag("dropout", "training", training) or p == 0:
        return input  # (inplace=True too: the input, unchanged, as PyTorch's)
    return _new_or_written("dropout", inplace, lambda x: x * _dropout_mask(
        "dropout", x.shape, p, generator, x.dtype, "dropout mask"), input)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices as one-hot rows: shape (..., num_classes), int64, no gradient
    (PyTorch's). num_classes -1: one more than the largest index (none: refused)."""
    data = np.asarray(_raw(tensor))
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {data.dtype}; "
                        f"build them with tg.as_tensor([0, 2]) or convert with .long()")
    num_classes = integer("one_hot", "num_classes", num_classes)  # (a 0-d tensor: its int)
    if num_classes == -1 and not data.size:  # (as PyTorch's: no largest index to count from)
        raise ValueError("one_hot: no indices to count the classes from; give num_classes")
    n = int(data.max()) + 1 if num_classes == -1 else max(int(num_classes), 0)
    if data.size and (data.min() < 0 or data.max() >= n):
        raise ValueError(f"one_hot: class indices must lie in [0, {n - 1}] for "
                         f"num_classes={num_classes}, got {data.min()} to {data.max()}")
    return Tensor.from_op((data[..., None] == np.arange(n)).astype(np.int64), None)


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Any = None) -> Tensor:
    """input / max(its p-norm along `dim` (an int or a tuple), eps), PyTorch's (any p, as
    `vector_norm`; 2 by default); its `out=` refused unless None: write y = F.normalize(x)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the result it returns, "
                        "y = F.normalize(x), or copy it with y.copy_(F.normalize(x))")
    return _normalized("normalize", _as_tensor("normalize", input), dim, eps, p, dims_ok=True)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between x1 and x2 along `dim` (broadcast first), each norm
    kept at least eps (PyTorch's)."""
    x1, x2 = (_as_tensor("cosine_similarity", x, None, f"x{i}") for i, x in ((1, x1), (2, x2)))
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ShapeError(f"cosine_similarity: x1 of shape {x1.shape} and x2 of shape "
                         f"{x2.shape} do not broadcast together") from None
    x1, x2 = (_normalized("cosine_similarity", tg_functional.broadcast_to(x, shape), dim, eps)
              for x in (x1, x2))
    return (x1 * x2).sum(axis=dim)


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """The p-norm of x1 - x2 + eps along the last axis (broadcast first), PyTorch's
    pairwise_distance: p = 2 the Euclidean distance, any other p (negative too), inf (the
    largest difference), -inf (the smallest) or 0 (the count of differing entries, gradient
    0); `vector_norm`'s, whose gradient is 0 at zero differences, as PyTorch's."""
    x1, x2 = (_as_tensor("pairwise_distance", x, None, f"x{i}") for i, x in ((1, x1), (2, x2)))
    p, eps = number("pairwise_distance", "p", p), number("pairwise_distance", "eps", eps)
    keepdim = check_flag("pairwise_distance", "keepdim", keepdim)
    try:
        ndim = len(np.broadcast_shapes(x1.shape, x2.shape))
    except ValueError:
        raise ShapeError(f"pairwise_distance: x1 of shape {x1.shape} and x2 of shape "
                         f"{x2.shape} do not broadcast together") from None
    if not ndim:
        raise ValueError("pairwise_distance: x1 and x2 are 0-d; give vectors, (batch, "
                         "features) or (features,)")
    return vector_norm(x1 - x2 + eps, p, axis=-1, keepdims=keepdim, op="pairwise_distance")


# ------------------------------------------------------------------ squared errors


def sse_loss(input: Any, target: Any) -> Tensor:
    """Sum of squared errors: sum((input - target)**2). Its gradient is 2 * (input - target)."""
    input, target = _pair("sse_loss", input, target)
    return ((input - target) ** 2).sum()


def half_sse_loss(input: Any, target: Any) -> Tensor:
    """Half the sum of squared errors: its gradient wrt input is exactly input - target."""
    input, target = _pair("half_sse_loss", input, target)
    return 0.5 * ((input - target) ** 2).sum()


def _errors_weighted(where: str, errors: Tensor, weight: Any, reduction: str,
                     by_weight: bool) -> Tensor:
    """PyTorch's `weight` of mse_loss, l1_loss and huber_loss: one number per entry, the
    input's shape; 'mean' divides by the weights' sum (`by_weight`) or their count."""
    if weight is None:
        return _reduce(errors, reduction)
    weight = weight if isinstance(weight, Tensor) and weight.requires_grad else \
        _as_tensor(where, _raw(weight), errors, "weight")
    if weight.shape != errors.shape:
        raise ValueError(f"{where}: weight of shape {weight.shape} must have the input's shape "
                         f"{errors.shape} (one weight per entry, as PyTorch's)")
    weighted = errors * weight
    if reduction == "mean" and by_weight:
        return weighted.sum() / weight.sum()
    return _reduce(weighted, reduction)


def mse_loss(input: Any, target: Any, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean", weight: Any = None
             ) -> Tensor:
    """Mean of squared errors ('mean'), their sum ('sum') or each of them ('none');
    `weight` (PyTorch's, the input's shape) multiplies each, 'mean' then divides by its sum."""
    reduction = _legacy_reduction("mse_loss", size_average, reduce, reduction)
    _check_reduction("mse_loss", reduction)
    input, target = _pair("mse_loss", input, target)
    return _errors_weighted("mse_loss", (input - target) ** 2, weight, reduction, True)


def l1_loss(input: Any, target: Any, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean", weight: Any = None) -> Tensor:
    """Mean absolute error ('mean'), its sum ('sum') or each |input - target| ('none');
    `weight` as mse_loss's."""
    reduction = _legacy_reduction("l1_loss", size_average, reduce, reduction)
    _check_reduction("l1_loss", reduction)
    input, target = _pair("l1_loss", input, target)
    return _errors_weighted("l1_loss", (input - target).abs(), weight, reduction, True)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:
    """0.5 * d**2 where |d| < delta, else delta * (|d| - 0.5 * delta), d = input - target:
    squared near the target, absolute far from it (PyTorch's huber_loss); `weight` (the
    input's shape) multiplies each, 'mean' then the mean of the products (PyTorch's)."""
    _check_reduction("huber_loss", reduction)
    input, target = _pair("huber_loss", input, target)
    delta = number("huber_loss", "delta", delta, 0, strict=True)
    d = (input - target).abs()
    near = (d < delta)._data  # (the square sees 0 where not chosen: 0 * 2d is NaN at d = inf)
    losses = tg_functional.where(near, 0.5 * tg_functional.where(near, d, 0.0) ** 2,
                                 delta * (d - 0.5 * delta))
    return _errors_weighted("huber_loss", losses, weight, reduction, False)


def smooth_l1_loss(input: Any, target: Any, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean", beta: float = 1.0
                   ) -> Tensor:
    """huber_loss / beta (PyTorch's smooth_l1_loss): 0.5 * d**2 / beta where |d| < beta, else
    |d| - 0.5 * beta; beta 0 is the L1 loss."""
    reduction = _legacy_reduction("smooth_l1_loss", size_average, reduce, reduction)
    _check_reduction("smooth_l1_loss", reduction)
    if number("smooth_l1_loss", "beta", beta, 0) == 0:
        return l1_loss(input, target, reduction=reduction)
    input, target = _pair("smooth_l1_loss", input, target)
    d = (input - target).abs()
    near = (d < beta)._data  # (as huber_loss's: 0 into the square where it is not chosen)
    losses = tg_functional.where(near, 0.5 * tg_functional.where(near, d, 0.0) ** 2 / beta,
                                 d - 0.5 * beta)
    return _reduce(losses, reduction)


def kl_div(input: Any, target: Any, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean", log_target: bool = False
           ) -> Tensor:
    """The Kullback-Leibler divergence of `target` from the distribution whose log-
    probabilities are `input` (log_softmax's output): target * (log(target) - input), 0
    where target is 0; with log_target=True the target is given as log-probabilities too.
    reduction 'batchmean' (the divergence per sample, what the mathematics means), 'sum',
    'mean' (over every entry, PyTorch's default) or 'none'."""
    reduction = _legacy_reduction("kl_div", size_average, reduce, reduction)
    _check_reduction("kl_div", reduction, ("batchmean",))
    input, target = _pair("kl_div", input, target)
    if check_flag("kl_div", "log_target", log_target):
        losses = target.exp() * (target - input)
    else:  # 0 log 0 is 0: log 1 where the target is 0; NaN where negative (PyTorch's, silently)
        safe = tg_functional.where((target > 0)._data, target, _constant(
            np.where(target._data == 0, 1.0, np.nan), "1 where target is 0, else NaN", target))
        losses = target * (safe.log() - input)
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(losses, reduction)


# ------------------------------------------------------------------ binary classification


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(target * log(input) + (1 - target) * log(1 - input)), input a probability.

    One op, `binary_cross_entropy` (ops/losses.py), with PyTorch's formulas: each log is
    clamped at -100, so a probability of exactly 0 or 1 gives a loss of at most 100, not
    inf, and a finite gradient (about +-1e12 there), as PyTorch's; the target gets a
    gradient too. Prefer `binary_cross_entropy_with_logits` on raw scores.
    `weight` (PyTorch's) multiplies each entry's loss; it broadcasts to the input's shape.
    """
    _check_weight("binary_cross_entropy", weight)
    reduction = _legacy_reduction("binary_cross_entropy", size_average, reduce, reduction)
    _check_reduction("binary_cross_entropy", reduction)
    input, target = _pair("binary_cross_entropy", input, target)
    _check_unit_interval("binary_cross_entropy", "input (probabilities)", input,
                         "; apply sigmoid first, or pass raw scores to "
                         "binary_cross_entropy_with_logits")
    _check_unit_interval("binary_cross_entropy", "target", target, "")
    losses = BinaryCrossEntropy.apply(input, target)
    return _reduce(_weighted("binary_cross_entropy", "weight", losses, weight), reduction)


@drawn_as_call("F.binary_cross_entropy_with_logits()")
def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed without ever forming sigmoid.

    (1 - y) max(x, 0) + y max(-x, 0) + log1p(exp(-|x|)): exp only sees non-positive
    numbers, so it never overflows, logits of +-1000 give exact, finite losses (log1p
    keeps the tiny losses of confident right answers, 4e-18 at x = -40, which
    log(1 + ...) loses), and a logit of +-inf on the wrong side gives inf, not inf - inf.
    PyTorch's options: `weight` multiplies each entry's loss; `pos_weight` (one number per
    class, the last axis) multiplies the positive term, -pos_weight * y *
    log(sigmoid(x)): more than 1 counts a missed positive more (recall), as for rare
    positives.
    """
    where = "binary_cross_entropy_with_logits"
    _check_weight(where, weight)
    reduction = _legacy_reduction(where, size_average, reduce, reduction)
    _check_reduction(where, reduction)
    input, target = _pair(where, input, target)
    _check_unit_interval(where, "target", target, "")
    # maximum, not relu: at x == 0 it passes half the gradient, and abs passes none, so the
    # gradient there is 0.5 - y = sigmoid(0) - y exactly (relu would give -y).
    # (1 - y) x + (1 + (p - 1) y) softplus(-x), PyTorch's form, x split at 0 (no inf - inf)
    py = target if pos_weight is None else _weighted(where, "pos_weight", target, pos_weight)
    log1p = (-input.abs()).exp().log1p()
    losses = (1.0 - target) * input.maximum(0.0) + py * (-input).maximum(0.0) + (
        log1p if pos_weight is None else (1.0 + py - target) * log1p)
    return _reduce(_weighted(where, "weight", losses, weight), reduction)


# ------------------------------------------------------------------ multi-class classification


def cross_entropy(input: Any, target: Any, weight: Any = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of softmax(input) against the target classes: -log_softmax(input)[target].

    `input`: logits of shape (batch, classes), or (classes,) for one sample, or (batch,
    classes, d1, ..., dK): each position a sample, as PyTorch's. `target`: class indices
    of shape (batch,) ((batch, d1, ..., dK); or a scalar), or class probabilities (e.g.
    one-hot rows) of the input's shape. log_softmax subtracts the largest logit first, so logits
    of +-1000 stay finite.

    PyTorch's options, with its semantics: `weight` (one number per class) scales each
    sample's loss by its target class's weight, and 'mean' then divides by the sum of
    those weights instead of the batch size; samples whose target is `ignore_index`
    (-100 by default) count neither in the loss nor in that sum (all ignored: 'mean' is
    NaN, as PyTorch's); `label_smoothing` e blends the target with the uniform
    distribution: (1 - e) * loss + e * mean over classes of -weight[c] * log_softmax[c].
    With class probabilities the weight multiplies each class's term, 'mean' divides by
    the batch size, and ignore_index is refused (as PyTorch does).
    """
    _check_weight("cross_entropy", weight)
    reduction = _legacy_reduction("cross_entropy", size_average, reduce, reduction)
    input = _as_tensor("cross_entropy", input)
    weight, ignore_index = _check_class_options("cross_entropy", input, reduction, weight,
                                                ignore_index, label_smoothing)
    shape = input.shape
    if len(shape) not in (1, 2):  # (batch, classes, d1, ..., dK): each position a sample
        return _per_position(cross_entropy, "cross_entropy", input, target, reduction,
                             weight=weight, ignore_index=ignore_index,
                             label_smoothing=label_smoothing)
    n_classes, smoothing = shape[-1], float(label_smoothing)
    target_shape = (target.shape if isinstance(target, (Tensor, np.ndarray))
                    else np.shape(target))
    if target_shape == shape:
        if ignore_index != -100:
            raise ValueError(f"cross_entropy: ignore_index={ignore_index} needs class indices; "
                             f"a target of class probabilities (the input's shape) cannot "
                             f"ignore a class (as in PyTorch); drop ignore_index")
        log_p = input.log_softmax(axis=-1)
        probabilities = _as_tensor("cross_entropy", target, input, "target")
        if smoothing:
            probabilities = probabilities * (1.0 - smoothing) + smoothing / n_classes
        terms = probabilities * log_p
        return _reduce(-(terms if weight is None else terms * weight).sum(axis=-1), reduction)
    classes = _class_indices(target, input, ignore_index=int(ignore_index))
    if weight is None and not smoothing and not np.count_nonzero(classes == ignore_index):
        # one node (op `cross_entropy`): exp once, gradient (softmax - onehot) * g
        return CrossEntropy.apply(input, target=classes, reduction=reduction)
    return _weighted_nll(input.log_softmax(axis=-1), classes, classes == ignore_index, weight,
                         smoothing, reduction)


@drawn_as_call("F.nll_loss()")
def nll_loss(input: Any, target: Any, weight: Any = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of the target classes: -input[i, target[i]], averaged
    ('mean'), summed ('sum') or each ('none'). `input` holds log-probabilities of shape
    (batch, classes) (log_softmax's output; (batch, classes, d1, ...): per position):
    `nll_loss(log_softmax(x), y)` is `cross_entropy(x, y)`, with the same `weight` and
    `ignore_index` (PyTorch's, see `cross_entropy`)."""
    _check_weight("nll_loss", weight)
    reduction = _legacy_reduction("nll_loss", size_average, reduce, reduction)
    input = _as_tensor("nll_loss", input)
    weight, ignore_index = _check_class_options("nll_loss", input, reduction, weight,
                                                ignore_index, 0.0)
    if input.ndim not in (1, 2):  # (batch, classes, d1, ..., dK): each position a sample
        return _per_position(nll_loss, "nll_loss", input, target, reduction, weight=weight,
                             ignore_index=ignore_index)
    classes = _class_indices(target, input, "nll_loss", ignore_index=int(ignore_index))
    ignored = classes == ignore_index
    if weight is not None or ignored.any():
        return _weighted_nll(input, classes, ignored, weight, 0.0, reduction)
    picked = tg_functional.take_along_axis(input, np.expand_dims(classes, -1), axis=-1)
    return _reduce(-picked.reshape(classes.shape), reduction)

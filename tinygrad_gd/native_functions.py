"""PyTorch's top-level functions under its kernels' names, over the `F` functions that
compute the same: `grid_sampler` (and `_2d`, `_3d`: torch's integer codes for the mode
and padding) and `affine_grid_generator` over F.grid_sample and F.affine_grid;
`native_layer_norm`, `native_batch_norm`, `native_group_norm` (torch's tuples: the output
with the mean and the reciprocal standard deviation the kernel saves) and
`native_dropout` (the output and its boolean mask); `norm_except_dim` (weight_norm's
norm); `embedding_renorm_` (the embedding layers' max_norm, in place); the dropouts'
top-level spellings `feature_dropout` and the in-place `dropout_`, `alpha_dropout_`,
`feature_dropout_`, `feature_alpha_dropout_`. Values and gradients are the F functions';
the saved statistics of layer and batch norm are constants (torch gives them no
gradient), group norm's are in the graph (torch differentiates them). Each refuses bad
input under its own name, an F function's refusal restated ("native_layer_norm: eps must
be >= 0", where F.layer_norm says "layer_norm: ...").
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .composed_reductions import vector_norm
from .grad_mode import check_flag, is_grad_enabled, no_grad
from .nn import functional as F
from .nn.activation_functions import _written
from .nn.embedding_functions import _renorm
from .nn.layer_arguments import _as_tensor, _check_probability, _dropout_mask
from .nn.layer_functions import _BOTH_OR_NEITHER
from .nn.spatial_functions import _channel_dropout
from .errors import ShapeError
from .op_errors import refusing_as
from .ops.arguments import integer, number
from .tensor import Tensor

__all__ = ["grid_sampler", "grid_sampler_2d", "grid_sampler_3d", "affine_grid_generator",
           "native_layer_norm", "native_batch_norm", "native_group_norm", "native_dropout",
           "norm_except_dim", "embedding_renorm_", "feature_dropout", "dropout_",
           "alpha_dropout_", "feature_dropout_", "feature_alpha_dropout_"]

_MODES = ("bilinear", "nearest", "bicubic")  # (torch's codes 0, 1, 2)
_PADDINGS = ("zeros", "border", "reflection")


def _code(where: str, what: str, value: Any, names: tuple) -> str:
    code = integer(where, what, value)
    if not 0 <= code < len(names):
        choices = ", ".join(f"{i} ({name})" for i, name in enumerate(names))
        raise ValueError(f"{where}: {what} must be {choices}, got {code}")
    return names[code]


def _grid_sampler(where: str, input: Any, grid: Any, interpolation_mode: Any,
                  padding_mode: Any, align_corners: Any, ndim: int | None) -> Tensor:
    mode = _code(where, "interpolation_mode", interpolation_mode, _MODES)
    padding = _code(where, "padding_mode", padding_mode, _PADDINGS)
    input = _as_tensor(where, input)
    if ndim is not None and input.ndim != ndim:
        raise ShapeError(f"{where}: expected a {ndim}-d input, got shape {input.shape}; use "
                         f"grid_sampler, which takes 4-d and 5-d input")
    return F.grid_sample(input, grid, mode, padding, check_flag(where, "align_corners",
                                                                align_corners))


@refusing_as("grid_sampler")
def grid_sampler(input: Any, grid: Any, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """F.grid_sample under torch.grid_sampler's codes: interpolation_mode 0 'bilinear',
    1 'nearest', 2 'bicubic'; padding_mode 0 'zeros', 1 'border', 2 'reflection'."""
    return _grid_sampler("grid_sampler", input, grid, interpolation_mode, padding_mode,
                         align_corners, None)


@refusing_as("grid_sampler_2d")
def grid_sampler_2d(input: Any, grid: Any, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """grid_sampler of a 4-d input (N, C, H, W), as torch.grid_sampler_2d."""
    return _grid_sampler("grid_sampler_2d", input, grid, interpolation_mode, padding_mode,
                         align_corners, 4)


@refusing_as("grid_sampler_3d")
def grid_sampler_3d(input: Any, grid: Any, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """grid_sampler of a 5-d input (N, C, D, H, W), as torch.grid_sampler_3d."""
    return _grid_sampler("grid_sampler_3d", input, grid, interpolation_mode, padding_mode,
                         align_corners, 5)


@refusing_as("affine_grid_generator")
def affine_grid_generator(theta: Any, size: Any, align_corners: bool) -> Tensor:
    """F.affine_grid(theta, size, align_corners), as torch.affine_grid_generator (every
    argument given)."""
    return F.affine_grid(theta, size, check_flag("affine_grid_generator", "align_corners",
                                                 align_corners))


def _saved(values: np.ndarray, like: Tensor) -> Tensor:
    """A statistic a kernel saves, as a tensor outside the graph in the input's dtype."""
    return Tensor.from_op(np.asarray(values, like.dtype), None)


@refusing_as("native_layer_norm")
def native_layer_norm(input: Any, normalized_shape: Any, weight: Any, bias: Any,
                      eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(F.layer_norm's output, mean, rstd), as torch.native_layer_norm: mean and rstd =
    1 / sqrt(var + eps) (the biased variance) of each sample over its normalized axes,
    of shape input.shape[:-k] + (1,) * k, constants (torch gives them no gradient)."""
    input = _as_tensor("native_layer_norm", input)
    output = F.layer_norm(input, normalized_shape, weight, bias, eps)
    count = len(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else 1
    axes = tuple(range(input.ndim - count, input.ndim))
    data = input._data.astype(np.float64)
    size = math.prod(input.shape[input.ndim - count:])
    # (an empty sample's mean 0, its rstd NaN: torch's kernel's, which sums, then divides)
    mean = data.sum(axis=axes, keepdims=True) / max(size, 1)
    var = (((data - mean) ** 2).sum(axis=axes, keepdims=True) / size if size
           else np.full(mean.shape, np.nan))
    return output, _saved(mean, input), _saved(1 / np.sqrt(var + eps), input)


def _check_running(running_mean: Any, running_var: Any) -> None:
    """native_batch_norm's running statistics: both or neither (torch's rule), in float
    tensors, which the moved statistics are written into."""
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"native_batch_norm: {_BOTH_OR_NEITHER}")
    for what, value in (("running_mean", running_mean), ("running_var", running_var)):
        if isinstance(value, Tensor) and value.dtype.kind != "f":
            raise TypeError(f"native_batch_norm: {what} of dtype {value.dtype} cannot hold "
                            f"the running statistics; give a float tensor ({what}.double())")


@refusing_as("native_batch_norm")
def native_batch_norm(input: Any, weight: Any, bias: Any, running_mean: Any, running_var: Any,
                      training: bool, momentum: float, eps: float
                      ) -> tuple[Tensor, Tensor, Tensor]:
    """(F.batch_norm's output, save_mean, save_invstd), as torch.native_batch_norm: in
    training the batch's mean and 1 / sqrt(var + eps) (biased) per channel, (C,), the
    running statistics moved in place as batch_norm's; in eval both empty, (0,), as
    torch's CPU kernel. The saved statistics are constants."""
    where = "native_batch_norm"
    input = _as_tensor(where, input)
    training = check_flag(where, "training", training)
    _check_running(running_mean, running_var)
    if training and input.size == 0:
        raise RuntimeError(f"{where}: input of shape {input.shape} has no elements to take the "
                           f"batch's statistics of in training (as torch's); F.batch_norm "
                           f"passes an empty batch through")
    output = F.batch_norm(input, running_mean, running_var, weight, bias, training,
                          momentum, eps)
    if not training or input.ndim < 2:
        empty = np.zeros((0,))
        return output, _saved(empty, input), _saved(empty, input)
    axes = (0,) + tuple(range(2, input.ndim))
    data = input._data.astype(np.float64)
    mean = data.mean(axis=axes)
    var = data.var(axis=axes)
    return output, _saved(mean, input), _saved(1 / np.sqrt(var + eps), input)


@refusing_as("native_group_norm")
def native_group_norm(input: Any, weight: Any, bias: Any, N: int, C: int, HxW: int,
                      group: int, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(F.group_norm's output, mean, rstd), as torch.native_group_norm: input of N
    samples of C channels of HxW entries each (checked against its shape), mean and
    rstd = 1 / sqrt(var + eps) (biased) of each sample's group, (N, group), in the graph
    (torch differentiates them too)."""
    where = "native_group_norm"
    input = _as_tensor(where, input)
    sizes = tuple(integer(where, name, value) for name, value in
                  (("N", N), ("C", C), ("HxW", HxW)))
    group = integer(where, "group", group)
    found = (input.shape[0] if input.ndim else None, input.shape[1] if input.ndim > 1 else
             None, math.prod(input.shape[2:]))
    if input.ndim < 2 or sizes != found:
        raise ShapeError(f"{where}: N, C, HxW = {sizes} do not describe input of shape "
                         f"{input.shape}; expected (input.shape[0], input.shape[1], the "
                         f"product of the rest)")
    _check_group(sizes[1], group)
    output = F.group_norm(input, group, weight, bias, eps)
    grouped = input.reshape((sizes[0], group, -1)) if input.size else \
        input.reshape((sizes[0], group, 0))
    eps = number(where, "eps", eps, 0)
    if grouped.shape[-1] == 0:  # empty groups: mean 0 and rstd NaN, as torch's kernel's
        mean = grouped.sum(axis=-1)
        return output, mean, (mean + math.nan) ** -0.5
    mean = grouped.mean(axis=-1)
    centred = grouped - mean.unsqueeze(-1)
    rstd = ((centred ** 2).mean(axis=-1) + eps) ** -0.5
    return output, mean, rstd


def _check_group(channels: int, group: int) -> None:
    """native_group_norm's `group` (F.group_norm's num_groups, named as the user did): a
    positive count of groups that divides the C channels."""
    if group < 1 or channels % group:
        divisors = [str(d) for d in range(1, channels + 1) if channels % d == 0]
        some = ", ".join(divisors if len(divisors) <= 8 else divisors[:8] + ["..."])
        raise ShapeError(f"native_group_norm: group={group} does not split the C={channels} "
                         f"channels into groups of equal size; give a "
                         + (f"group that divides C ({some})" if divisors else "positive group"))


@refusing_as("native_dropout")
def native_dropout(input: Any, p: float, train: bool | None) -> tuple[Tensor, Tensor]:
    """(output, mask), as torch.native_dropout: each entry kept with probability 1 - p
    and scaled by 1 / (1 - p) (mask True where kept, a bool tensor); train=False: the
    input's values and a mask all True (train=None: as True, torch's)."""
    where = "native_dropout"
    input = _as_tensor(where, input)
    p = _check_probability(where, p)
    if train is not None and not check_flag(where, "train", train):
        return input * 1, Tensor.from_op(np.ones(input.shape, bool), None)
    scale = _dropout_mask(where, input.shape, p, None, input.dtype, "native_dropout mask")
    return input * scale, Tensor.from_op(scale._data != 0, None)


@refusing_as("norm_except_dim")
def norm_except_dim(v: Any, pow: int = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The `pow`-norm of v over every axis but `dim`, kept as size-1 axes (weight_norm's
    norm), as torch.norm_except_dim; dim=-1: the norm of the whole tensor, 0-d. It is
    tg.linalg.vector_norm's: gradient 0 where the norm is 0, pow=0 the count of non-zero
    entries; pow an int, as torch's (vector_norm takes any order)."""
    where = "norm_except_dim"
    v = _as_tensor(where, v, what="v")
    if not isinstance(pow, (int, np.integer)) or isinstance(pow, bool):
        raise TypeError(f"{where}: pow must be an int (PyTorch's norm_except_dim takes integer "
                        f"orders), got {type(pow).__name__} {pow!r}; for another order use "
                        f"tg.linalg.vector_norm(v, ord, dim, keepdim=True)")
    pow, dim = int(pow), integer(where, "dim", dim)
    if dim == -1:
        return vector_norm(v, pow, None, False, op=where)
    if v.ndim == 0:
        raise ValueError(f"{where}: dim {dim} is out of range for a 0-d v; use dim=-1, the "
                         f"norm of the whole tensor")
    if not -v.ndim <= dim < v.ndim:
        raise ValueError(f"{where}: dim {dim} is out of range for v of shape {v.shape}; use "
                         f"a dim in [{-v.ndim}, {v.ndim - 1}], or -1 for the whole tensor")
    dim %= v.ndim
    axes = tuple(a for a in range(v.ndim) if a != dim)
    if not axes:  # (1-d v: each entry's norm alone, as torch's view (n, 1))
        return vector_norm(v.unsqueeze(1), pow, 1, False, op=where)
    return vector_norm(v, pow, axes, True, op=where)


@refusing_as("embedding_renorm_")
def embedding_renorm_(input: Any, indices: Any, max_norm: float, norm_type: float) -> Tensor:
    """Each row of `input` (an embedding's weight) that `indices` looks up whose
    norm_type-norm is above max_norm scaled in place to max_norm / (norm + 1e-7) times
    itself, as torch.embedding_renorm_ (F.embedding's max_norm); returns input. A leaf
    that requires grad is refused, as torch's: under `tg.no_grad()` it is written."""
    where = "embedding_renorm_"
    if not isinstance(input, Tensor):
        raise TypeError(f"{where}: input must be a Tensor (it is changed in place), got "
                        f"{type(input).__name__}")
    if input.ndim != 2:
        raise ShapeError(f"{where}: expected a 2-d weight (num_embeddings, embedding_dim), "
                         f"got shape {input.shape}")
    if input.dtype.kind != "f":  # (the scaled rows would be cut to integers silently)
        raise TypeError(f"{where}: input of dtype {input.dtype} cannot hold rows scaled to "
                        f"max_norm; give a float weight (input.double())")
    index, rows = np.asarray(getattr(indices, "_data", indices)), input.shape[0]
    allowed = f"{where}: indices must be integers in [{-rows}, {rows}), the rows of a weight " \
              f"of shape {input.shape}; got "
    if index.dtype.kind not in "iu":
        raise TypeError(f"{allowed}dtype {index.dtype}; convert with .long()")
    outside = index[(index < -rows) | (index >= rows)]
    if outside.size:
        raise IndexError(f"{allowed}{outside[0]}")
    max_norm, norm_type = number(where, "max_norm", max_norm), number(where, "norm_type",
                                                                      norm_type)
    # (PyTorch records the write into a graph's tensor, then refuses a backward through it)
    if input._ctx is not None and is_grad_enabled():
        raise RuntimeError(
            f"{where}: input (shape {input.shape}) was made by op '{input._ctx.name}' and is "
            f"part of a graph; PyTorch records this write but has no derivative for it (a "
            f"backward through it raises), so it is refused here; renormalise under `with "
            f"tg.no_grad():`, or use F.embedding(indices, weight, max_norm=...)")
    input._check_writable(where, "use F.embedding(indices, weight, max_norm=...), which "
                                 "renormalises the rows it looks up")
    with no_grad():
        _renorm(input, index % max(input.shape[0], 1), max_norm, norm_type)
    return input


@refusing_as("feature_dropout")
def feature_dropout(input: Any, p: float, train: bool) -> Tensor:
    """Channel dropout of (N, C, ...) input of any rank from 2: each (sample's) channel
    zeroed whole with probability p, the rest scaled by 1 / (1 - p), as
    torch.feature_dropout (F.dropout2d's kernel)."""
    input = _as_tensor("feature_dropout", input)
    if input.ndim < 2:
        raise ShapeError(f"feature_dropout: feature dropout drops whole channels of (batch, "
                         f"C, ...) and needs at least 2 dimensions, got input of shape "
                         f"{input.shape}")
    return _channel_dropout("feature_dropout", input, p, train, None, False,
                            {input.ndim: "(batch, C, ...)"})


@refusing_as("dropout_")
def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """`tg.dropout(input, p, train)`'s values written into the input, which is returned
    (torch.dropout_)."""
    return _written("dropout_", F.dropout, input, p, check_flag("dropout_", "train", train),
                    instead="x = tg.dropout(x, p, train)")


@refusing_as("alpha_dropout_")
def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """`tg.alpha_dropout(input, p, train)`'s values written into the input, which is
    returned (torch.alpha_dropout_)."""
    return _written("alpha_dropout_", F.alpha_dropout, input, p,
                    check_flag("alpha_dropout_", "train", train),
                    instead="x = tg.alpha_dropout(x, p, train)")


@refusing_as("feature_dropout_")
def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """`tg.feature_dropout(input, p, train)`'s values written into the input, which is
    returned (torch.feature_dropout_)."""
    return _written("feature_dropout_", feature_dropout, input, p, train,
                    instead="x = tg.feature_dropout(x, p, train)")


@refusing_as("feature_alpha_dropout_")
def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """`tg.feature_alpha_dropout(input, p, train)`'s values written into the input, which
    is returned (torch.feature_alpha_dropout_)."""
    return _written("feature_alpha_dropout_", F.feature_alpha_dropout, input, p,
                    check_flag("feature_alpha_dropout_", "train", train),
                    instead="x = tg.feature_alpha_dropout(x, p, train)")

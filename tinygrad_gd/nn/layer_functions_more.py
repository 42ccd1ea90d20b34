"""More of PyTorch's `F`, as torch 2.13 has them: `instance_norm`, `local_response_norm`,
`bilinear`, `channel_shuffle`, `pdist` and `embedding_bag` (bags of rows summed, averaged
or maxed: `mode`, `offsets`, `per_sample_weights`, `padding_idx`). The layers of
layers_more.py call these.

Composed of Tensor ops (slices, unfold, einsum, index_add, where, the norms of
`vector_norm`): gradients come from `backward()`. The constant tensors made here (the
zeros a bag sum starts from, the bag sizes) are named, so a diagram does not draw them as
inputs.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as tg
from ..composed_reductions import vector_norm
from ..engine import no_grad
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..inference import copied_as_pytorch, refuse_kept_by
from ..ops.arguments import integer, number
from ..tensor import Tensor, _raw
from .embedding_functions import _embedding_options, _grad_by_frequency, _renorm
from .layer_arguments import _as_tensor, _constant
from .layer_functions import _affine, _by_channel, _channels, _widened, batch_norm

__all__ = ["instance_norm", "local_response_norm", "bilinear", "channel_shuffle", "pdist",
           "embedding_bag"]


def instance_norm(input: Any, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Any = None, bias: Any = None,
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Each channel of each sample (axis 1 of (batch, C, ...)) normalised over its positions:
    (x - mean) / sqrt(var + eps) (the biased variance; 0 where both are 0, as PyTorch's),
    then times `weight` plus `bias` (each (C,) or None), as PyTorch's instance_norm.

    use_input_stats=True: each instance's own statistics, and `running_mean` and
    `running_var`, if given, move in place (values, outside any graph) toward their mean
    over the batch: `running = (1 - momentum) * running + momentum * batch mean` (the
    unbiased variance, as PyTorch; an empty input moves nothing, where PyTorch's become
    NaN). use_input_stats=False: the running estimates are used instead (`batch_norm` in
    eval mode).
    """
    where = "instance_norm"
    input = _as_tensor(where, input)
    momentum, eps = number(where, "momentum", momentum), number(where, "eps", eps, 0)
    use_input_stats = check_flag(where, "use_input_stats", use_input_stats)
    if input.ndim < 2:
        raise ValueError(f"{where}: expected input of shape (batch, C, ...), got shape "
                         f"{input.shape}")
    running = []
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{where}: {name} must be a Tensor (it is updated in place) or "
                            f"None, got a {type(t).__name__}; wrap it: tg.Tensor(array)")
        running.append(_channels(where, input, name, t))
    weight, bias = (_channels(where, input, name, t) for name, t in (("weight", weight),
                                                                     ("bias", bias)))
    refuse_kept_by(where, (("input", input),), (input, weight, bias))
    weight = copied_as_pytorch(weight)  # (PyTorch's keeps a copy: repeated per sample)
    if not use_input_stats:  # the running estimates for every sample: batch norm's eval
        if running[0] is None or running[1] is None:
            raise RuntimeError(f"{where}: use_input_stats=False normalises with running_mean "
                               f"and running_var, and one of them is None; pass both, or "
                               f"use_input_stats=True")
        return batch_norm(input, *map(copied_as_pytorch, running), weight, bias, False,
                          momentum, eps)
    axes = tuple(range(2, input.ndim))
    count = int(np.prod(input.shape[2:]))
    if count == 1:  # PyTorch's: one value has no variance
        raise ValueError(f"{where}: expected more than 1 spatial element when training, "
                         f"got input of shape {input.shape}")
    work = _widened(input)
    # (no positions, an empty output: a mean of none would warn)
    mean = work.mean(axis=axes, keepdims=True) if count else work.sum(axis=axes, keepdims=True)
    centred = work - mean
    var = (centred ** 2).mean(axis=axes, keepdims=True) if count else mean
    if input.size:
        with no_grad():
            if running_mean is not None:
                batch = mean._data.reshape(input.shape[:2]).mean(axis=0)
                running_mean.mul_(1 - momentum).add_(batch * momentum)
            if running_var is not None:
                unbiased = var._data.reshape(input.shape[:2]) * count / (count - 1)
                running_var.mul_(1 - momentum).add_(unbiased.mean(axis=0) * momentum)
    if eps == 0 and not var._data.all():  # a constant instance, 0 / 0: PyTorch's gives 0
        flat = var._data == 0
        out = tg.where(flat, 0.0, centred / tg.where(flat, 1.0, var).sqrt())
    else:
        out = centred / (var + eps).sqrt()
    weight, bias = (None if t is None else _by_channel(t, name, input.ndim)
                    for name, t in (("weight", weight), ("bias", bias)))
    return _affine(out, work, input, weight, bias)


def local_response_norm(input: Any, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Each entry divided by (k + alpha / size * the sum of squares over `size` neighbouring
    channels) ** beta, as PyTorch's local_response_norm: channel c's window is channels
    c - size // 2 to c + (size - 1) // 2 of axis 1 of (batch, C, ...), zeros beyond the ends
    (counted: the sum is always divided by size)."""
    where = "local_response_norm"
    input = _as_tensor(where, input)
    size = integer(where, "size", size)
    alpha, beta, k = (number(where, name, value) for name, value in
                      (("alpha", alpha), ("beta", beta), ("k", k)))
    if size < 1:
        raise RuntimeError(f"{where}: size is the number of channels in each window and must "
                           f"be at least 1, got {size}")
    if input.ndim < 3:
        raise ValueError(f"{where}: expected input of shape (batch, C, ...) with at least one "
                         f"position axis (3 or more dimensions), got shape {input.shape}")
    if not input.size:
        return input
    # zeros around the channels (those more than C - 1 away reach no channel's window),
    # then each window summed: sliced, as PyTorch's pool (a 0/1 matrix times a NaN or inf
    # would spread it over every channel)
    channels = input.shape[1]
    before, after = min(size // 2, channels - 1), min((size - 1) // 2, channels - 1)
    squares = tg.pad(input * input, [(0, 0), (before, after)] + [(0, 0)] * (input.ndim - 2))
    sums = squares.unfold(1, before + after + 1, 1).sum(axis=-1)
    return input / (sums / size * alpha + k) ** beta


def bilinear(input1: Any, input2: Any, weight: Any, bias: Any = None) -> Tensor:
    """y[..., o] = sum over i, j of input1[..., i] * weight[o, i, j] * input2[..., j], plus
    bias[o]: weight of shape (out_features, in1_features, in2_features), the inputs' leading
    axes alike (PyTorch's bilinear)."""
    where = "bilinear"
    weight = _as_tensor(where, weight, None, "weight")
    input1, input2 = (_as_tensor(where, x, weight, name) for x, name in
                      ((input1, "input1"), (input2, "input2")))
    if weight.ndim != 3:
        raise ShapeError(f"{where}: weight must be 3-D (out_features, in1_features, "
                         f"in2_features), got shape {weight.shape}")
    if input1.ndim != input2.ndim:
        raise ShapeError(f"{where}: input1 of shape {input1.shape} and input2 of shape "
                         f"{input2.shape} must have as many dimensions")
    if input1.ndim == 0:
        raise IndexError(f"{where}: input1 and input2 are 0-d; give each a features axis "
                         f"last, (..., in1_features) and (..., in2_features)")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise ShapeError(f"{where}: the batch axes of input1 {input1.shape} and input2 "
                         f"{input2.shape} (all but the last) must be the same")
    for name, x, axis in (("input1", input1, 1), ("input2", input2, 2)):
        if x.shape[-1] != weight.shape[axis]:
            raise ShapeError(f"{where}: {name} has {x.shape[-1]} features (shape {x.shape}), "
                             f"but the weight of shape {weight.shape} takes "
                             f"{weight.shape[axis]}")
    lead, rows = input1.shape[:-1], math.prod(input1.shape[:-1])  # (rows: -1 fails at 0)
    out = tg.einsum("ni,oij,nj->no", input1.reshape((rows, input1.shape[-1])), weight,
                    input2.reshape((rows, input2.shape[-1]))).reshape(lead + (weight.shape[0],))
    if bias is None:
        return out
    bias = _as_tensor(where, bias, weight, "bias")
    if bias.shape != (weight.shape[0],):
        raise ShapeError(f"{where}: bias of shape {bias.shape} does not fit a weight of "
                         f"shape {weight.shape}; expected ({weight.shape[0]},)")
    return out + bias


def channel_shuffle(input: Any, groups: int) -> Tensor:
    """The channels (axis 1 of (batch, C, ...)) split into `groups` groups and interleaved:
    channel g * (C / groups) + i goes to i * groups + g (PyTorch's channel_shuffle)."""
    where = "channel_shuffle"
    input = _as_tensor(where, input)
    groups = integer(where, "groups", groups)
    if groups < 1:
        raise RuntimeError(f"{where}: groups is the number of groups the channels are split "
                           f"into and must be positive, got {groups}")
    if input.ndim < 3:
        raise ShapeError(f"{where}: expected input of shape (batch, C, ...) with more than "
                         f"2 dimensions, got shape {input.shape}")
    channels = input.shape[1]
    if channels % groups:
        raise ShapeError(f"{where}: the number of channels must be divisible by groups; "
                         f"got {channels} channels (input shape {input.shape}) and "
                         f"{groups} groups")
    split = input.reshape(input.shape[:1] + (groups, channels // groups) + input.shape[2:])
    return split.swapaxes(1, 2).reshape(input.shape)


def pdist(input: Any, p: float = 2.0) -> Tensor:
    """The p-norm distance between every pair of rows of `input` (N, M): the N * (N - 1) / 2
    distances of pairs (0, 1), (0, 2), ..., (1, 2), ... in that order, as PyTorch's pdist.
    p >= 0 (inf too); the gradient at a zero distance is 0, as PyTorch's. At a tie for the
    largest difference (p = inf) the gradient is shared among the tied entries (PyTorch
    gives each the whole of it)."""
    input = _as_tensor("pdist", input)
    p = number("pdist", "p", p)
    if input.ndim != 2:
        raise ShapeError(f"pdist: expected input of shape (N, M), N rows of M features, "
                         f"got shape {input.shape}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"pdist: expected a floating-point input, got dtype {input.dtype}; "
                           f"convert it first, x.double()")
    if not p >= 0:
        raise RuntimeError(f"pdist: p must be >= 0, got {p}")
    first, second = np.triu_indices(input.shape[0], 1)
    differences = input[first] - input[second]
    if not input.shape[1]:  # rows of no features: every distance 0 (as PyTorch's, any p)
        return differences.sum(axis=-1)
    return vector_norm(differences, p, axis=-1, op="pdist")


# ------------------------------------------------------------------ bags of rows

_MODES = ("sum", "mean", "max")


def _index_array(where: str, name: str, value: Any) -> np.ndarray:
    """Integer indices or offsets as an int64 array; floats refused (PyTorch's error
    type: a RuntimeError)."""
    array = np.asarray(_raw(value))
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{where}: {name} must be integers (int64 or int32), got dtype "
                           f"{array.dtype}; build them with tg.as_tensor([0, 2])")
    return array.astype(np.int64)


def _bags(where: str, index: np.ndarray, offsets: Any, include_last_offset: bool
          ) -> tuple[np.ndarray, np.ndarray, int]:
    """The entries taken (flat), the bag of each and the number of bags, from a 2-D input
    (a bag per row) or a 1-D input cut at `offsets`."""
    if index.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{where}: a 2-D input (shape {index.shape}) is a batch of bags "
                             f"of one length; offsets must be None, got {type(offsets).__name__}")
        bags = index.shape[0]  # (include_last_offset has no effect there, as PyTorch's)
        return index.reshape(-1), np.repeat(np.arange(bags), index.shape[1]), bags
    if index.ndim != 1:
        raise ValueError(f"{where}: input must be 1-D (with offsets) or 2-D (a bag per row), "
                         f"got shape {index.shape}")
    if offsets is None:
        raise ValueError(f"{where}: a 1-D input needs offsets, a 1-D tensor of where each bag "
                         f"starts (e.g. tg.as_tensor([0, 3]))")
    starts = _index_array(where, "offsets", offsets)
    if starts.ndim != 1:
        raise ValueError(f"{where}: offsets must be 1-D (where each bag starts), got shape "
                         f"{starts.shape}")
    if starts.size and starts[0] != 0:
        raise RuntimeError(f"{where}: offsets[0] must be 0 (the first bag starts at the first "
                           f"entry), got {starts[0]}")
    if (np.diff(starts) < 0).any():
        raise RuntimeError(f"{where}: offsets must not decrease (each bag starts where the one "
                           f"before ends, or after), got {starts.tolist()}")
    if starts.size and starts[-1] > index.size:
        raise RuntimeError(f"{where}: offsets[-1] is {starts[-1]}, beyond the input's length "
                           f"{index.size}")
    if include_last_offset and starts.size and starts[-1] != index.size:
        # (PyTorch's then reads some bags to the input's end, some to the offset)
        raise ValueError(f"{where}: with include_last_offset=True the last offset is where "
                         f"the last bag ends, the input's length {index.size}; got "
                         f"{starts[-1]}")
    ends = starts[1:] if include_last_offset or not starts.size else \
        np.append(starts[1:], index.size)
    starts = starts[:len(ends)]
    lengths = ends - starts
    return (index[:ends[-1] if ends.size else 0], np.repeat(np.arange(len(ends)), lengths),
            len(ends))


def _bag_options(where: str, max_norm: Any, norm_type: Any, scale_grad_by_freq: Any,
                 mode: Any, sparse: Any) -> None:
    """mode, max_norm, norm_type and scale_grad_by_freq (as `embedding`'s) checked; sparse
    supported as PyTorch's default only."""
    if mode not in _MODES:
        raise ValueError(f"{where}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    _embedding_options(where, max_norm, norm_type, scale_grad_by_freq, False)
    if check_flag(where, "sparse", sparse):
        raise ValueError(f"{where}: sparse=True is not supported, only False (the "
                         f"gradients here are dense)")


def embedding_bag(input: Any, weight: Any, offsets: Any = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Any = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Bags of rows of `weight` (num_embeddings, embedding_dim) reduced to one row each, as
    PyTorch's embedding_bag: mode 'sum', 'mean' (the default) or 'max' (per feature, the
    first largest entry in the bag takes the gradient, as PyTorch's; a NaN is the largest,
    where PyTorch's CPU kernel keeps one only as the bag's first entry).

    A 2-D input (B, N) holds B bags of N indices (offsets None); a 1-D input is cut into
    bags at `offsets` (where each starts, the first 0; include_last_offset=True: the last
    entry is where the last bag ends, not a bag). An empty bag gives zeros.
    `per_sample_weights` (mode 'sum' only, the input's shape) multiplies each row before
    the sum, and gets a gradient. Entries equal to `padding_idx` are left out of their bag
    (a mean counts the others). `max_norm`: as `embedding`'s, each looked-up row of a
    `norm_type`-norm above it rescaled to max_norm in the weight itself (in place, outside
    the graph). `scale_grad_by_freq` (modes 'sum' and 'mean'): each row's gradient divided
    by how often its index occurs in the input, as PyTorch's documented rule (its CPU
    kernel in 2.13 divides some rows by another index's count, pytorch#190063).
    sparse=True is refused."""
    where = "embedding_bag"
    weight = _as_tensor(where, weight, None, "weight")
    if weight.ndim != 2:
        raise ValueError(f"{where}: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    if weight.dtype.kind != "f":
        raise RuntimeError(f"{where}: weight must be floating point, got dtype "
                           f"{weight.dtype}; convert it first, w.double()")
    _bag_options(where, max_norm, norm_type, scale_grad_by_freq, mode, sparse)
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(f"{where}: mode='max' does not support scaling the gradient by the "
                         f"frequency (as PyTorch's); use mode 'sum' or 'mean', or "
                         f"scale_grad_by_freq=False")
    index = _index_array(where, "the input (indices)", input)
    include_last_offset = check_flag(where, "include_last_offset", include_last_offset)
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"{where}: per_sample_weights is supported only for "
                                      f"mode='sum' (as PyTorch's), got mode={mode!r}")
        shape = tuple(np.shape(_raw(per_sample_weights)))
        if shape != index.shape:
            raise ValueError(f"{where}: per_sample_weights of shape {shape} must have the "
                             f"input's shape {index.shape}")
        if isinstance(per_sample_weights, Tensor) and per_sample_weights.dtype != weight.dtype:
            raise RuntimeError(f"{where}: per_sample_weights of dtype "
                               f"{per_sample_weights.dtype} must have the weight's dtype "
                               f"{weight.dtype}")
        per_sample_weights = _as_tensor(where, per_sample_weights, weight,
                                        "per_sample_weights").reshape(-1)
    rows = weight.shape[0]
    if padding_idx is not None:
        padding_idx = integer(where, "padding_idx", padding_idx)
        if not -rows <= padding_idx < rows:
            raise RuntimeError(f"{where}: padding_idx must be a row of the weight, "
                               f"{-rows} through {rows - 1}, got {padding_idx}")
        padding_idx %= rows
    entries, bag_of, bags = _bags(where, index, offsets, include_last_offset)
    if entries.size and not (entries.min() >= 0 and entries.max() < rows):
        bad = entries[(entries < 0) | (entries >= rows)][0]
        raise RuntimeError(f"{where}: the input takes value {bad}, not a row of the weight: "
                           f"indices must lie in [0, {rows})")
    if max_norm is not None:
        _renorm(weight, entries, max_norm, norm_type)
    counted = entries  # (scale_grad_by_freq counts every index, padding_idx's too)
    kept = np.flatnonzero(entries != padding_idx) if padding_idx is not None \
        else np.arange(entries.size)
    entries, bag_of = entries[kept], bag_of[kept]
    if mode == "max" and entries.size:
        return _bag_max(weight, entries, bag_of, bags)
    looked_up = weight[entries]  # (kept entries, embedding_dim)
    if scale_grad_by_freq:
        looked_up = _grad_by_frequency(looked_up, entries, counted)
    if per_sample_weights is not None:
        looked_up = looked_up * per_sample_weights[kept].reshape((-1, 1))
    zeros = _constant(np.zeros((bags, weight.shape[1]), weight.dtype), f"{where} zeros")
    sums = zeros.index_add(0, bag_of, looked_up)
    if mode != "mean":
        return sums
    sizes = np.maximum(np.bincount(bag_of, minlength=bags), 1)  # (an empty bag: 0 / 1)
    return sums / _constant(sizes[:, None], f"{where} bag sizes", weight)


def _bag_max(weight: Tensor, entries: np.ndarray, bag_of: np.ndarray, bags: int) -> Tensor:
    """Each bag's largest entry per feature, read from `weight` at the first row (in the
    bag's order) that holds it; 0 for an empty bag. (The search is on values, outside the
    graph; the one read, `weight[rows, features]`, is in it.)"""
    values, order = weight._data[entries], np.arange(entries.size)[:, None]
    largest = np.full((bags, weight.shape[1]), -np.inf, values.dtype)
    np.maximum.at(largest, bag_of, values)  # (a NaN stays: the max of a bag with one is NaN)
    wanted = largest[bag_of]
    hit = (values == wanted) | (np.isnan(values) & np.isnan(wanted))
    first = np.full(largest.shape, entries.size)
    np.minimum.at(first, bag_of, np.where(hit, order, entries.size))
    filled = first < entries.size  # (False in an empty bag)
    chosen = entries[np.where(filled, first, 0)]
    picked = weight[chosen, np.broadcast_to(np.arange(weight.shape[1]), chosen.shape)]
    return tg.where(filled, picked, 0.0)

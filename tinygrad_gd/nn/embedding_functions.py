"""`F.embedding` (`Embedding`'s formula, as PyTorch's function) and what the embedding
layers share (embedding.py, layers_more.py, layer_functions_more.py's embedding_bag): their
checks (`_padding_idx`, `_starting_weight`, `_embedding_options`), max_norm's in-place
rescaling of the looked-up rows (`_renorm`) and scale_grad_by_freq's rule
(`_grad_by_frequency`). Composed of Tensor ops: gradients come from `backward()`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as tg
from ..engine import no_grad
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor
from .layer_arguments import _as_tensor, _constant, _named
from .registration import _float_dtype
from .tensor_settings import held_int

__all__ = ["embedding"]


def _padding_idx(where: str, padding_idx: Any, num_embeddings: int) -> int | None:
    """An embedding layer's padding_idx: None, or a row (negative: from the end) as its
    index from 0, as PyTorch's layers keep it."""
    if padding_idx is None:
        return None
    padding_idx = held_int(where, "padding_idx", padding_idx)  # (a tensor's one int)
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"{where}: padding_idx must be an int (a row) or None, got "
                        f"{type(padding_idx).__name__} {padding_idx!r}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{where}: padding_idx {padding_idx} is not a row of {num_embeddings}")
    return int(padding_idx) % num_embeddings


def _starting_weight(where: str, _weight: Any, shape: tuple[int, int], dtype: Any,
                     device: Any) -> np.ndarray:
    """The embedding layers' starting weight: PyTorch's `_weight` copied (its float dtype
    kept unless dtype= says otherwise; of `shape`, else a one-line error), or zeros for
    the layer's reset_parameters to draw into."""
    given = None if _weight is None else np.array(getattr(_weight, "_data", _weight))
    if dtype is None and given is not None and given.dtype.kind == "f":
        dtype = given.dtype  # (PyTorch's: the given weight's dtype)
    resolved = _float_dtype(dtype, where, device)
    if given is None:
        return np.zeros(shape, resolved)
    if given.shape != shape:
        raise ValueError(f"{where}: _weight of shape {given.shape} must have shape "
                         f"(num_embeddings, embedding_dim) = {shape}")
    return given.astype(resolved)


def _embedding_options(where: str, max_norm: Any, norm_type: Any, scale_grad_by_freq: Any,
                       sparse: Any) -> None:
    """PyTorch's embedding options checked: max_norm None or a number > 0, norm_type a
    number, the flags True or False; sparse=True refused (the gradients here are dense)."""
    if max_norm is not None and number(where, "max_norm", max_norm) <= 0:
        raise ValueError(f"{where}: max_norm must be positive (the rows' largest norm) or "
                         f"None, got {max_norm!r}")
    number(where, "norm_type", norm_type)
    check_flag(where, "scale_grad_by_freq", scale_grad_by_freq)
    if check_flag(where, "sparse", sparse):
        raise NotImplementedError(f"{where}: sparse=True is not supported (sparse gradients); "
                                  f"leave it False: the weight's gradient is dense")


def _renorm(weight: Tensor, index: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_ (the embedding layers' max_norm): each row of `weight`
    that `index` looks up whose `norm_type`-norm is above max_norm is scaled, in place and
    outside the graph, by max_norm / (norm + 1e-7)."""
    looked_up = np.unique(index)
    norms = np.linalg.norm(weight._data[looked_up], ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        with no_grad():  # (counted as an in-place write: graphs that saved it refuse)
            weight[looked_up[over]] = weight._data[looked_up[over]] * (
                max_norm / (norms[over] + 1e-7))[:, None]


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """`weight[input]`: row i of `weight` (num_embeddings, embedding_dim) for each index i,
    as PyTorch's embedding. The row at `padding_idx` (negative: from the end) gets no
    gradient (its values are looked up as they are). `max_norm`: each looked-up row of a
    norm (`norm_type`-norm) above it is first rescaled to max_norm, in the weight itself
    (in place, outside the graph, as PyTorch's). `scale_grad_by_freq`: each row's gradient
    divided by how often its index occurs in `input`. `sparse=True` is refused."""
    _embedding_options("embedding", max_norm, norm_type, scale_grad_by_freq, sparse)
    index = np.asarray(getattr(input, "_data", input))
    weight = _as_tensor("embedding", weight, None, "weight")
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    rows = weight.shape[0]
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: the input must be integer indices, got dtype "
                        f"{index.dtype}; build them with tg.as_tensor([0, 2])")
    if index.size and not (0 <= index.min() and index.max() < rows):
        raise IndexError(f"embedding: indices must lie in [0, {rows - 1}], got {index.min()} "
                         f"to {index.max()}")
    padding_idx = held_int("embedding", "padding_idx", padding_idx)  # (a tensor's one int)
    if padding_idx is not None and (
            isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer))
            or not -rows <= padding_idx < rows):
        raise ValueError(f"embedding: padding_idx must be an int in [{-rows}, {rows - 1}] "
                         f"(a row of the weight), got {padding_idx!r}")
    if max_norm is not None:
        _renorm(weight, index, max_norm, norm_type)
    rows_out = weight[index]
    if padding_idx is not None:
        row = padding_idx % rows  # (its values as they are, broadcast: a constant)
        rows_out = tg.where((index != row)[..., None], rows_out,
                            _named(weight.detach()[row], f"weight[{row}] (padding_idx)"))
    return _grad_by_frequency(rows_out, index) if scale_grad_by_freq else rows_out


def _grad_by_frequency(rows: Tensor, index: np.ndarray, counted: np.ndarray | None = None
                       ) -> Tensor:
    """`rows` (one looked-up row per entry of `index`) with their values unchanged and
    each one's gradient divided by how often its index occurs in `counted` (all the
    indices given; `index` itself by default): scale_grad_by_freq's rule."""
    if not index.size:
        return rows
    values, counts = np.unique(index if counted is None else counted, return_counts=True)
    count = counts[np.searchsorted(values, index)]
    scale = _constant((1.0 / count)[..., None].astype(rows.dtype), "1 / index count")
    frozen = _named(rows.detach(), "looked-up rows (no gradient)")
    return frozen + (rows - frozen) * scale

"""Whole tensors arranged into a new one, as PyTorch's functions of these names.

`block_diag` (blocks along a diagonal: pad and concatenate), `cartesian_prod` (every
combination of one entry of each vector: indexing and stack) and `combinations` (the
r-entry combinations of a vector's entries: indexing). Each is made of ops, so its
gradient comes from `backward()`: an entry used in several rows gets the sum of their
gradients.
"""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from . import functional
from .grad_mode import check_flag
from .ops.arguments import integer
from .tensor import Tensor, to_tensor

__all__ = ["block_diag", "cartesian_prod", "combinations"]


def _tensors(op: str, tensors: tuple) -> list[Tensor]:
    """The tensors given one by one (PyTorch's `*tensors`) as Tensors; a list or tuple in
    one's place is refused (it would be read as one tensor, its values stacked)."""
    for k, t in enumerate(tensors):
        if isinstance(t, (list, tuple)):
            raise TypeError(f"{op}: expected tensors given one by one, got a "
                            f"{type(t).__name__} as argument {k}; write {op}(a, b) or "
                            f"{op}(*tensors)")
    return [to_tensor(t) for t in tensors]


def block_diag(*tensors: Any) -> Tensor:
    """The tensors as blocks along the diagonal of one matrix, zeros elsewhere (PyTorch's
    block_diag): a 0-d tensor is a 1 x 1 block, a vector a row. The dtype is the one
    `concatenate` joins them in (float32 with float64 gives float64); no tensors give an
    empty (1, 0) matrix of the default float64."""
    blocks = _tensors("block_diag", tensors)
    for k, t in enumerate(blocks):
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: each tensor must have 2 or fewer dimensions, "
                               f"tensor {k} has shape {t.shape}")
    if not blocks:
        return Tensor(np.zeros((1, 0)))
    blocks = [t.reshape((1,) * (2 - t.ndim) + t.shape) for t in blocks]
    width, left, rows = sum(t.shape[1] for t in blocks), 0, []
    for t in blocks:  # each block's rows: zeros left and right of it
        rows.append(functional.pad(t, ((0, 0), (left, width - left - t.shape[1]))))
        left += t.shape[1]
    return functional.concatenate(rows, axis=0)


def cartesian_prod(*tensors: Any) -> Tensor:
    """Every combination of one entry of each 1-D tensor, in itertools.product's order,
    as the rows of an (N, k) tensor (PyTorch's cartesian_prod); one tensor is returned
    as it is. The tensors must share a dtype, as PyTorch's."""
    vectors = _tensors("cartesian_prod", tensors)
    if not vectors:
        raise RuntimeError("cartesian_prod: needs at least one tensor, got none")
    for k, t in enumerate(vectors):
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: each tensor must be 1-D (a vector), tensor "
                               f"{k} has shape {t.shape}")
    dtypes = sorted({str(t.dtype) for t in vectors})
    if len(dtypes) > 1:
        raise RuntimeError(f"cartesian_prod: the tensors must have one dtype, got "
                           f"{', '.join(dtypes)}; convert them first (t.to(...))")
    if len(vectors) == 1:
        return vectors[0]
    grid = np.indices([t.shape[0] for t in vectors]).reshape(len(vectors), -1)
    return functional.stack([t[rows] for t, rows in zip(vectors, grid)], axis=1)


def combinations(input: Any, r: Any = 2, with_replacement: Any = False) -> Tensor:  # noqa: A002
    """The r-entry combinations of a 1-D tensor's entries as the rows of a (C, r) tensor,
    in itertools.combinations' order (PyTorch's combinations); with_replacement=True
    lets an entry repeat in a row. r=0 gives an empty vector, r beyond the number of
    entries (without replacement) a (0, r) tensor, as PyTorch's."""
    x = to_tensor(input)
    r = integer("combinations", "r", r)
    repeat = check_flag("combinations", "with_replacement", with_replacement)
    if x.ndim != 1:
        raise RuntimeError(f"combinations: input must be 1-D (a vector), got shape {x.shape}")
    if r < 0:
        raise RuntimeError(f"combinations: r must be >= 0, got {r}")
    if r == 0:
        return x[np.zeros(0, np.intp)]
    pick = itertools.combinations_with_replacement if repeat else itertools.combinations
    rows = np.fromiter(itertools.chain.from_iterable(pick(range(x.shape[0]), r)), np.intp)
    return x[rows.reshape(-1, r)]

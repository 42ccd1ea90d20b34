"""Distances between pairs of vectors as Modules, under PyTorch's names, arguments and
reprs: `CosineSimilarity` and `PairwiseDistance`, calling `functional.cosine_similarity`
and `functional.pairwise_distance`."""
from __future__ import annotations

from typing import Any

from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor
from . import functional as F
from .layer_arguments import _one_dim
from .module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """The cosine of the angle between x1 and x2 along `dim` (1), each norm kept at least
    `eps` (see `functional.cosine_similarity`)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = _one_dim("CosineSimilarity", dim), eps
        number("CosineSimilarity", "eps", eps, 0)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """The p-norm (2) of x1 - x2 + eps along the last axis (see
    `functional.pairwise_distance`); keepdim=True keeps that axis, of size 1."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        number("PairwiseDistance", "p", p)
        number("PairwiseDistance", "eps", eps)
        # (PyTorch's attribute names)
        self.norm, self.eps = p, eps
        self.keepdim = check_flag("PairwiseDistance", "keepdim", keepdim)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

"""The `Embedding` layer, as PyTorch's: a learned vector per index (`weight[indices]`),
built from its sizes or `from_pretrained` from a table of vectors (GloVe's, a trained
model's). The lookup is `functional.embedding`; layers_more.py holds `EmbeddingBag`,
whose `from_pretrained` reads its table's size here too (`table_shape`), and whose
reset_parameters is Embedding's (`normal_table_`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..grad_mode import check_flag, no_grad
from ..tensor import Tensor
from . import functional as F
from .embedding_functions import _embedding_options, _padding_idx, _starting_weight
from .layer_arguments import _check_features
from .module import Module, Parameter
from .parameter_reset import normal_, reset_generator, start_parameters
from .tensor_settings import held_int

__all__ = ["Embedding"]


def table_shape(where: str, embeddings: Any) -> tuple[int, int]:
    """(num_embeddings, embedding_dim) of a pretrained table (a Tensor or array), refused
    in one line naming `where` unless 2-D."""
    shape = np.shape(embeddings._data if isinstance(embeddings, Tensor) else embeddings)
    if len(shape) != 2:
        raise ValueError(f"{where}: embeddings must be 2-D (num_embeddings, "
                         f"embedding_dim), got shape {shape}")
    return shape


def normal_table_(layer: Module, seed: Any, generator: Any) -> None:
    """An embedding layer's reset_parameters (Embedding's, EmbeddingBag's): its weight
    drawn from N(0, 1) in place, then the row at its padding_idx set to zero."""
    normal_(layer, layer.weight, 1.0, reset_generator(layer, seed, generator))
    if layer.padding_idx is not None:
        with no_grad():
            layer.weight[layer.padding_idx] = 0.0


class Embedding(Module):
    """A learned vector per index: `weight[indices]`, weight of shape (num_embeddings,
    embedding_dim) drawn from N(0, 1) (PyTorch's), or PyTorch's `_weight` (copied;
    `_freeze=True`: it does not learn). `padding_idx`: that row starts at zero (unless
    `_weight` is given) and never learns (frozen, see `Parameter.freeze_`). `max_norm`,
    `norm_type`, `scale_grad_by_freq`: as `functional.embedding`'s (max_norm rescales the
    looked-up rows of the weight in place); `sparse=True` is refused (dense gradients)."""

    _positional_tensors = 1  # (_weight)

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight: Any = None,
                 _freeze: bool = False, device: Any = None, dtype: Any = None, *,
                 seed: int | None = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.num_embeddings = _check_features(num_embeddings, "num_embeddings", "Embedding",
                                              empty=True)
        self.embedding_dim = _check_features(embedding_dim, "embedding_dim", "Embedding",
                                             empty=True)
        _embedding_options("Embedding", max_norm, norm_type, scale_grad_by_freq, sparse)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = bool(scale_grad_by_freq), False
        weight = _starting_weight("Embedding", _weight, (self.num_embeddings, self.embedding_dim),
                                  dtype, device)
        learns = not check_flag("Embedding", "_freeze", _freeze)
        self.weight = Parameter(weight, requires_grad=learns)
        self.padding_idx = _padding_idx("Embedding", padding_idx, self.num_embeddings)
        if _weight is None:
            start_parameters(self, seed, generator)
        if self.padding_idx is not None and learns:
            self.weight.freeze_(self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """PyTorch's: an Embedding whose weight is `embeddings` (a 2-D tensor or array,
        copied), frozen unless `freeze=False`; the row at `padding_idx` keeps its values
        and never learns."""
        where = "Embedding.from_pretrained"
        shape = table_shape(where, embeddings)
        padding_idx = held_int(where, "padding_idx", padding_idx)  # (no tensor to the class)
        return cls(shape[0], shape[1], padding_idx, max_norm, norm_type, scale_grad_by_freq,
                   sparse, embeddings, check_flag(where, "freeze", freeze))

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """The weight drawn again from N(0, 1), in place, the padding_idx row zero
        (PyTorch's), from `generator` or default_rng(`seed`), else the global generator
        (tg.manual_seed's)."""
        normal_table_(self, seed, generator)

    def forward(self, input: Any) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        return text + (", scale_grad_by_freq=True" if self.scale_grad_by_freq else "")

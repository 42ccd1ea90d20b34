"""`AdaptiveLogSoftmaxWithLoss` (Grave et al., 2016), as PyTorch's: a softmax over many
classes split by frequency into a shortlist and clusters (`cutoffs`).

The `head` (a Linear) scores the shortlist's classes and one entry per cluster; each
cluster's `tail` (Linear(in_features, in_features // div_value**(i + 1)), then Linear to
the cluster's classes, no biases) scores the classes within it. log p(class) is the
head's log-softmax at the class (shortlist) or at its cluster plus the cluster's own
log-softmax at the class. `forward(input_, target_)` returns PyTorch's `_ASMoutput(output,
loss)`: each sample's log-probability of its target and the mean negative of them;
`log_prob` every class's, `predict` the likeliest class. Each tail sees only the rows
whose targets fall in its cluster (the point of the method: the rare classes cost only
where they occur). Composed of Linear, log_softmax, gather and index_add: gradients come
from `backward()`. Parameter names as PyTorch's: head.weight (head.bias), tail.0.0.weight,
tail.0.1.weight, ...
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import functional as tg
from ..creation import make_generator
from ..engine import no_grad
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import number
from ..tensor import Tensor
from .containers import ModuleList, Sequential
from .layer_arguments import _as_tensor
from .layers import Linear, _check_features
from .module import Module
from .parameter_reset import reset_generator
from .registration import _float_dtype

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_WHERE = "AdaptiveLogSoftmaxWithLoss"

# PyTorch's result type of forward (torch.nn.modules.adaptive._ASMoutput)
_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _cutoffs(cutoffs: Any, n_classes: int) -> list[int]:
    """PyTorch's rule: unique positive ints, increasing, each at most n_classes - 1."""
    try:
        values = list(cutoffs)
    except TypeError:
        raise TypeError(f"{_WHERE}: cutoffs must be a sequence of ints, got "
                        f"{type(cutoffs).__name__} {cutoffs!r}") from None
    if not values:
        raise ValueError(f"{_WHERE}: cutoffs should be a sequence of length larger than 0")
    whole = all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in values)
    if not whole or values != sorted(values) or len(set(values)) != len(values) \
            or values[0] <= 0 or values[-1] > n_classes - 1:
        raise ValueError(f"{_WHERE}: cutoffs should be a sequence of unique, positive integers "
                         f"sorted in an increasing order, where each value is between 1 and "
                         f"n_classes-1 ({n_classes - 1}); got {cutoffs!r}")
    return [int(c) for c in values]


class AdaptiveLogSoftmaxWithLoss(Module):
    """PyTorch's adaptive log-softmax (see the module's docstring): in_features, n_classes,
    cutoffs (the shortlist's end and the clusters' bounds, increasing, in [1, n_classes -
    1]), div_value (each cluster's hidden size divides in_features by it once more),
    head_bias. Initialised as Linear's (PyTorch's); `seed` or `generator` (by keyword)
    makes the draw repeatable.

    forward(input_ (batch, in_features) or (in_features,), target_ (batch,) or () class
    indices) -> _ASMoutput(output (batch,) or (), loss ()); log_prob(input) -> (batch,
    n_classes) log-probabilities; predict(input) -> (batch,) int64 classes.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Any,
                 div_value: float = 4.0, head_bias: bool = False, device: Any = None,
                 dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.in_features = _check_features(in_features, "in_features", _WHERE, empty=True)
        self.n_classes = _check_features(n_classes, "n_classes", _WHERE)
        self.cutoffs = _cutoffs(cutoffs, self.n_classes) + [self.n_classes]
        self.div_value = number(_WHERE, "div_value", div_value, 0, strict=True)
        self.head_bias = check_flag(_WHERE, "head_bias", head_bias)
        resolved = _float_dtype(dtype, _WHERE, device)
        rng = make_generator(seed, generator, _WHERE)
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(self.in_features, self.head_size, self.head_bias, dtype=resolved,
                           generator=rng)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            # (a hidden size of 0, as PyTorch's: a cluster whose classes all score 0)
            hidden = int(self.in_features // self.div_value ** (i + 1))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(
                Linear(self.in_features, hidden, False, dtype=resolved, generator=rng),
                Linear(hidden, size, False, dtype=resolved, generator=rng)))

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """The head's and each tail Linear's reset_parameters, in that order (PyTorch's),
        each drawing next from `generator` or default_rng(`seed`), else the global
        generator."""
        rng = reset_generator(self, seed, generator)
        for layer in [self.head] + [linear for tail in self.tail for linear in tail]:
            layer.reset_parameters(generator=rng)

    def _rows(self, input: Any, what: str = "input") -> Tensor:
        """The input as a (batch, in_features) or (in_features,) Tensor, else one line."""
        input = _as_tensor(self, input, self.head.weight, what)
        if input.ndim not in (1, 2) or input.shape[-1] != self.in_features:
            raise ShapeError(f"{_WHERE}: expected input of shape (batch, {self.in_features}) "
                             f"or ({self.in_features},), got {input.shape}")
        return input

    def forward(self, input_: Any, target_: Any) -> _ASMoutput:
        # (PyTorch's argument names: input_, target_)
        input = self._rows(input_)
        classes = np.array(getattr(target_, "_data", target_))
        if classes.dtype.kind not in "iu":
            raise RuntimeError(f"{_WHERE}: target must hold integer class indices, got dtype "
                               f"{classes.dtype}")
        if classes.ndim == 1:
            if input.ndim != 2:
                raise ShapeError(f"{_WHERE}: 1D target tensor expects 2D input tensors, but "
                                 f"found inputs with size {input.shape}")
            if input.shape[0] != classes.shape[0]:
                raise ShapeError(f"{_WHERE}: Input and target should have the same size in "
                                 f"the batch dimension (input {input.shape}, target "
                                 f"{classes.shape})")
        elif classes.ndim == 0:
            if input.ndim != 1:
                raise ShapeError(f"{_WHERE}: 0D target tensor expects 1D input tensors, but "
                                 f"found inputs with size {input.shape}")
        else:
            raise ShapeError(f"{_WHERE}: 0D or 1D target tensor expected, multi-target not "
                             f"supported (target shape {classes.shape})")
        outside = (classes < 0) | (classes >= self.n_classes)
        if outside.any():
            raise RuntimeError(f"{_WHERE}: Target values should be in [0, {self.n_classes - 1}]"
                               f", but values in range [{classes.min()}, {classes.max()}] were "
                               f"found")
        batched = classes.ndim == 1
        x, classes = (input, classes) if batched else (input.unsqueeze(0), classes[None])
        batch = classes.shape[0]
        # 0: the shortlist; i >= 1: the i-th cluster (the head's entry shortlist_size + i - 1)
        cluster = np.searchsorted(self.cutoffs, classes, side="right")
        in_head = np.where(cluster == 0, classes, self.shortlist_size + cluster - 1)
        head_logprob = self.head(x).log_softmax(dim=1)
        output = head_logprob.gather(1, in_head[:, None]).reshape(batch)
        for i in range(1, self.n_clusters + 1):
            rows = np.flatnonzero(cluster == i)
            if not rows.size:
                continue
            relative = classes[rows] - self.cutoffs[i - 1]
            local = self.tail[i - 1](x[rows]).log_softmax(dim=1).gather(
                1, relative[:, None]).reshape(rows.size)
            output = output.index_add(0, rows, local)
        if batch:
            loss = (-output).mean()
        else:  # (no samples: NaN, as PyTorch's mean of nothing, without NumPy's warning)
            with np.errstate(invalid="ignore"):
                loss = (-output).sum() / 0.0
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, x: Tensor, head_output: Tensor) -> Tensor:
        """(batch, n_classes): the shortlist's head log-probabilities, then each cluster's
        own log-softmax plus its head entry."""
        head_logprob = head_output.log_softmax(dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i, projection in enumerate(self.tail):
            entry = self.shortlist_size + i
            parts.append(projection(x).log_softmax(dim=1) + head_logprob[:, entry:entry + 1])
        return tg.cat(parts, axis=1)

    def log_prob(self, input: Any) -> Tensor:
        """Every class's log-probability: (batch, n_classes), or (n_classes,) for one
        sample (in_features,) (PyTorch's log_prob)."""
        input = self._rows(input)
        x = input if input.ndim == 2 else input.unsqueeze(0)
        out = self._full_log_prob(x, self.head(x))
        return out if input.ndim == 2 else out.squeeze(0)

    def predict(self, input: Any) -> Tensor:
        """The likeliest class of each sample, (batch,) int64 (or () for one sample): the
        head's best where it is a shortlist class, else the best of the full log-
        probabilities (PyTorch's predict; the first of tied classes). No graph."""
        input = self._rows(input)
        with no_grad():
            x = input if input.ndim == 2 else input.unsqueeze(0)
            head_output = self.head(x)
            best = np.argmax(head_output._data, axis=1).astype(np.int64)
            rows = np.flatnonzero(best >= self.shortlist_size)
            if rows.size:
                full = self._full_log_prob(x[rows], head_output[rows])
                best[rows] = np.argmax(full._data, axis=1)
        return Tensor.from_op(best if input.ndim == 2 else best[0], None)

"""Layers: `Linear` with its initialisations, `Sequential`, the activations, `Dropout`, `Flatten`.

Weight layout of `Linear`: shape (out_features, in_features), forward `x @ W.T + b`, as
in PyTorch and as in Grokking Deep Learning's chapter 5, where `weights[i]` is the row
of weights feeding output i (`vect_mat_mul`, the nested update loop over
`weights[i][j]`, and MNIST's weights shown as images: row k reshaped to 28 x 28 is
digit k's template). A one-output layer's `weight[0]` is the documents' weight vector
of `np.dot(input, weights)`.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ..creation import make_generator as _make_generator
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter

__all__ = ["Linear", "Sequential", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax",
           "LogSoftmax", "Dropout", "Flatten", "INITS"]

# init name -> what it draws for the weight; biases are zero except with "uniform"
INITS = {
    "uniform": "U(-1/sqrt(in), 1/sqrt(in)) for weight and bias (PyTorch's default)",
    "normal": "N(0, 1/sqrt(in)) (the course notes': scale = 1/n_features**.5)",
    "he": "N(0, sqrt(2/in))", "kaiming": "N(0, sqrt(2/in))",
    "xavier": "U(-sqrt(6/(in+out)), sqrt(6/(in+out)))",
    "glorot": "U(-sqrt(6/(in+out)), sqrt(6/(in+out)))",
    "zeros": "all zeros",
}
"""The `init` names `Linear` accepts, each with what it draws for the weight."""


def _float_dtype(dtype: Any, where: str) -> np.dtype:
    resolved = np.dtype(np.float64 if dtype is None else dtype)
    if resolved.kind != "f":
        raise TypeError(f"{where}: parameters must be floating point, got dtype {resolved}; "
                        f"use np.float64 (the default) or np.float32")
    return resolved


def _draw_linear(init: str, rng: np.random.Generator, n_in: int, n_out: int,
                 bias: bool) -> tuple[np.ndarray, np.ndarray | None]:
    shape = (n_out, n_in)
    if init == "uniform":
        bound = 1 / n_in ** 0.5
        weight = rng.uniform(-bound, bound, shape)
        return weight, (rng.uniform(-bound, bound, n_out) if bias else None)
    if init == "normal":
        weight = rng.normal(0.0, 1 / n_in ** 0.5, shape)
    elif init in ("he", "kaiming"):
        weight = rng.normal(0.0, (2 / n_in) ** 0.5, shape)
    elif init in ("xavier", "glorot"):
        bound = (6 / (n_in + n_out)) ** 0.5
        weight = rng.uniform(-bound, bound, shape)
    else:
        weight = np.zeros(shape)
    return weight, (np.zeros(n_out) if bias else None)


def _check_features(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Linear: {name} must be a positive int, got {value!r}")
    return int(value)


class Linear(Module):
    """y = x @ W.T + b, with W of shape (out_features, in_features) and b of (out_features,).

    `init` chooses the starting weights (see `INITS`): "uniform" (PyTorch's default),
    "normal" (N(0, 1/sqrt(in_features)), the course notes'), "he"/"kaiming",
    "xavier"/"glorot" or "zeros"; the bias starts at zero except with "uniform".
    `seed` or `generator` (a NumPy Generator) makes the draw repeatable: the weight is
    drawn first, then the bias.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str = "uniform", seed: int | None = None,
                 generator: np.random.Generator | None = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = _check_features(in_features, "in_features")
        self.out_features = _check_features(out_features, "out_features")
        if init not in INITS:
            raise ValueError(f"Linear: unknown init {init!r}; choose one of "
                             f"{', '.join(repr(k) for k in INITS)}")
        self.init = init
        rng = _make_generator(seed, generator, "Linear")
        resolved = _float_dtype(dtype, "Linear")
        weight, b = _draw_linear(init, rng, self.in_features, self.out_features, bias)
        self.weight = Parameter(weight.astype(resolved))  # (out, in), as in PyTorch
        self.bias = Parameter(b.astype(resolved)) if b is not None else None

    def forward(self, input: Any) -> Tensor:
        if not isinstance(input, Tensor):
            input = Tensor(input, dtype=self.weight.dtype)
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            size = input.shape[-1] if input.ndim else "no axis"
            raise ValueError(
                f"{self!r}: the input's last axis has size {size} (input shape {input.shape}), "
                f"but the layer takes in_features={self.in_features}; each sample must be a "
                f"row of {self.in_features} features")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied one after another; the i-th is named "i" (`0.weight`, `2.bias`)."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> "Sequential":
        """Add `module` at the end, named by its position ("3"); returns self."""
        if not isinstance(module, Module):
            what = (f"the class {module.__name__}; write {module.__name__}() to make one"
                    if isinstance(module, type) else f"a {type(module).__name__}")
            raise TypeError(f"Sequential: layer {len(self)} must be a Module instance, got {what}")
        setattr(self, str(len(self)), module)
        return self

    def _layers(self) -> list[Module]:
        # the attributes append() set, "0", "1", ..., in order (named_children's Modules)
        return [m for m in vars(self).values() if isinstance(m, Module)]

    def __len__(self) -> int:
        return len(self._layers())

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers())

    def __getitem__(self, index: int | slice) -> Any:
        layers = self._layers()
        if isinstance(index, slice):
            return Sequential(*layers[index])
        try:
            return layers[index]
        except IndexError:
            raise IndexError(f"Sequential: index {index} is out of range for "
                             f"{len(layers)} layers") from None

    def forward(self, input: Any) -> Any:
        for layer in self._layers():
            input = layer(input)
        return input


# ------------------------------------------------------------------ activations


class ReLU(Module):
    """max(x, 0) elementwise (see `functional.relu`)."""

    def forward(self, input: Any) -> Tensor:
        return F.relu(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise: squashes any value into (0, 1)."""

    def forward(self, input: Any) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x) elementwise: squashes any value into (-1, 1)."""

    def forward(self, input: Any) -> Tensor:
        return F.tanh(input)


class LeakyReLU(Module):
    """x where x > 0, else `negative_slope * x` (0.01 by default)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Any) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """Softmax along `dim` (the last axis by default): each slice becomes probabilities."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along `dim`, computed without overflow."""

    def forward(self, input: Any) -> Tensor:
        return F.log_softmax(input, self.dim)


# ------------------------------------------------------------------ regularisation and shape


class Dropout(Module):
    """Inverted dropout in training mode (see `functional.dropout`); identity in eval mode.

    Each call draws a new mask from the layer's own generator (`seed` or `generator`),
    so a seeded layer repeats the same sequence of masks.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        F._check_probability("Dropout", p)
        self.p = p
        self.generator = _make_generator(seed, generator, "Dropout")

    def forward(self, input: Any) -> Tensor:
        return F.dropout(input, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Merge the axes start_dim..end_dim into one: (batch, 28, 28) -> (batch, 784)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Any) -> Tensor:
        input = input if isinstance(input, Tensor) else Tensor(input)
        for dim in (self.start_dim, self.end_dim):
            if not -input.ndim <= dim < input.ndim:
                raise ValueError(f"{self!r}: input of shape {input.shape} has no axis {dim}; "
                                 f"Flatten() expects a batch axis first, e.g. (batch, 28, 28)")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

"""Recurrent layers under PyTorch's names, arguments and parameter names: `RNNCell` (one
step, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), or relu) and `RNN` (the cell run over a
sequence, `num_layers` stacked). Composed of `F.linear` and Tensor ops: backward() runs
through time (the whole sequence's graph is kept). The tensors a layer makes (the zero
initial state, the steps of an input that records no graph) are named for diagrams.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import functional as tg
from ..creation import make_generator
from ..grad_mode import check_flag
from ..tensor import Tensor
from . import functional as F
from .layer_functions import _as_tensor, _check_probability
from .layers import _check_features
from .module import Module, Parameter
from .registration import _float_dtype

__all__ = ["RNNCell", "RNN"]

_NONLINEARITIES = {"tanh": tg.tanh, "relu": tg.relu}


def _nonlinearity(where: str, name: Any) -> Any:
    if name not in _NONLINEARITIES:
        raise ValueError(f"{where}: nonlinearity must be 'tanh' or 'relu', got {name!r}")
    return name


def _draw(module: Module, rng: np.random.Generator, dtype: np.dtype, suffix: str,
          input_size: int, hidden_size: int, bias: bool) -> None:
    """PyTorch's parameters of one layer, each from U(-1/sqrt(hidden), 1/sqrt(hidden)), in
    its order: weight_ih, weight_hh, bias_ih, bias_hh."""
    bound = 1 / hidden_size ** 0.5
    shapes = {"weight_ih": (hidden_size, input_size), "weight_hh": (hidden_size, hidden_size)}
    if bias:
        shapes.update(bias_ih=(hidden_size,), bias_hh=(hidden_size,))
    for name, shape in shapes.items():
        module.register_parameter(name + suffix, Parameter(
            rng.uniform(-bound, bound, shape).astype(dtype)))
    if not bias:
        for name in ("bias_ih", "bias_hh"):
            module.register_parameter(name + suffix, None)


def _named(tensor: Tensor, name: str) -> Tensor:
    """`tensor` named `name` where it is a leaf (zeros made here, or a slice of a tensor
    that records no graph): a diagram would draw it as another of the user's inputs."""
    if tensor.is_leaf:
        tensor.name = name
    return tensor


def _zeros(shape: tuple, dtype: np.dtype, name: str) -> Tensor:
    return _named(Tensor.from_op(np.zeros(shape, dtype), None), name)


def _step(x: Tensor, h: Tensor, weights: tuple, activation: Any) -> Tensor:
    w_ih, w_hh, b_ih, b_hh = weights
    return activation(F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh))


class RNNCell(Module):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu),
    x of shape (batch, input_size) or (input_size,), h (the hidden state, zeros if not
    given) of (batch, hidden_size) or (hidden_size,), as PyTorch's RNNCell. Parameters
    weight_ih, weight_hh, bias_ih, bias_hh from U(-1/sqrt(hidden_size),
    1/sqrt(hidden_size)); `seed` or `generator` makes the draw repeatable."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None, *,
                 seed: int | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__()
        self.input_size = _check_features(input_size, "input_size", "RNNCell")
        self.hidden_size = _check_features(hidden_size, "hidden_size", "RNNCell")
        self.bias = check_flag("RNNCell", "bias", bias)
        self.nonlinearity = _nonlinearity("RNNCell", nonlinearity)
        _draw(self, make_generator(seed, generator, "RNNCell"),
              _float_dtype(dtype, "RNNCell", device), "", self.input_size, self.hidden_size,
              self.bias)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        input = _as_tensor(self, input, self.weight_ih)
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{self!r}: expected input of shape (batch, {self.input_size}) "
                             f"or ({self.input_size},), got {input.shape}")
        state = input.shape[:-1] + (self.hidden_size,)
        hx = _zeros(state, input.dtype, "hx (zeros)") if hx is None else \
            _as_tensor(self, hx, self.weight_ih, "hx")
        if hx.shape != state:
            raise ValueError(f"{self!r}: hx of shape {hx.shape} does not fit input of shape "
                             f"{input.shape}; expected {state}")
        return _step(input, hx, (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh),
                     _NONLINEARITIES[self.nonlinearity])

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        text += "" if self.bias else ", bias=False"
        return text + ("" if self.nonlinearity == "tanh" else ", nonlinearity=relu")


class RNN(Module):
    """An Elman RNN over a sequence, as PyTorch's RNN: input (length, batch, input_size)
    ((batch, length, input_size) with batch_first=True; (length, input_size) unbatched),
    `num_layers` stacked, each layer's outputs the next one's inputs; returns (output,
    h_n): the last layer's hidden state at every step and each layer's last one,
    (num_layers, batch, hidden_size). Parameters weight_ih_l{k}, weight_hh_l{k},
    bias_ih_l{k}, bias_hh_l{k}, from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    dropout (between layers, in training) is supported; bidirectional only as False."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.input_size = _check_features(input_size, "input_size", "RNN")
        self.hidden_size = _check_features(hidden_size, "hidden_size", "RNN")
        self.num_layers = _check_features(num_layers, "num_layers", "RNN")
        self.nonlinearity = _nonlinearity("RNN", nonlinearity)
        if check_flag("RNN", "bidirectional", bidirectional):
            raise ValueError("RNN: bidirectional=True is not supported, only False")
        _check_probability("RNN", dropout)
        if dropout and self.num_layers == 1:  # (PyTorch's warning, naming the layer)
            warnings.warn(f"RNN: dropout option adds dropout after all but last recurrent "
                          f"layer, so non-zero dropout expects num_layers greater than 1, "
                          f"but got dropout={dropout} and num_layers=1",
                          UserWarning, stacklevel=2)
        self.bias, self.dropout = check_flag("RNN", "bias", bias), dropout
        self.batch_first = check_flag("RNN", "batch_first", batch_first)
        self.bidirectional = False
        rng = make_generator(seed, generator, "RNN")
        resolved = _float_dtype(dtype, "RNN", device)
        for k in range(self.num_layers):
            _draw(self, rng, resolved, f"_l{k}", self.input_size if k == 0 else
                  self.hidden_size, self.hidden_size, self.bias)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        input = _as_tensor(self, input, self.weight_ih_l0)
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(f"{self!r}: expected input of shape (length, batch, "
                             f"{self.input_size}) (batch first with batch_first=True) or "
                             f"(length, {self.input_size}), got {input.shape}")
        batched = input.ndim == 3
        steps = input if not batched else input.swapaxes(0, 1) if self.batch_first else input
        state = (self.num_layers,) + steps.shape[1:-1] + (self.hidden_size,)
        zeros = hx is None
        hx = _zeros(state, input.dtype, "h0 (zeros)") if zeros else \
            _as_tensor(self, hx, self.weight_ih_l0, "hx")
        if hx.shape != state:
            raise ValueError(f"{self!r}: hx of shape {hx.shape} does not fit input of shape "
                             f"{input.shape}; expected {state}")
        activation, last = _NONLINEARITIES[self.nonlinearity], []
        at = "[:, {}]" if batched and self.batch_first else "[{}]"  # (as the user indexes)
        sequence = [_named(steps[t], (input.name or "input") + at.format(t))
                    for t in range(steps.shape[0])]
        for k in range(self.num_layers):
            weights = tuple(getattr(self, f"{name}_l{k}") for name in
                            ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
            if k and self.dropout and self.training:
                sequence = [F.dropout(x, self.dropout) for x in sequence]
            h = _named(hx[k], f"h0[{k}] (zeros)" if zeros else f"{hx.name or 'hx'}[{k}]")
            outputs = []
            for x in sequence:
                h = _step(x, h, weights, activation)
                outputs.append(h)
            sequence, last = outputs, last + [h]
        output = tg.stack(sequence, axis=0) if sequence else \
            Tensor.from_op(np.zeros((0,) + state[1:], input.dtype), None)
        if batched and self.batch_first:
            output = output.swapaxes(0, 1)
        return output, tg.stack(last, axis=0)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        # (PyTorch's repr does not show the nonlinearity)
        text += "" if self.bias else ", bias=False"
        text += ", batch_first=True" if self.batch_first else ""
        return text + (f", dropout={self.dropout}" if self.dropout else "")

"""Gated recurrent layers under PyTorch's names, arguments, parameter names and gate order:
`LSTMCell` and `GRUCell` (one step), `LSTM` and `GRU` (the cell run over a sequence,
`num_layers` stacked, bidirectional, in recurrent.py's loop, which RNN runs too; a
PackedSequence of nn.utils.rnn in, a PackedSequence out).

    LSTM  i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four blocks of
                       x W_ih^T + b_ih + h W_hh^T + b_hh
          c' = f * c + i * g        h' = o * tanh(c')    (h' W_hr^T with proj_size > 0)
    GRU   r, z = sigmoid of the first two blocks of x W_ih^T + b_ih + h W_hh^T + b_hh
          n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))   (b_hn inside r * (...))
          h' = (1 - z) * n + z * h

Composed of `F.linear` and Tensor ops: backward() runs through time.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import functional as F
from .recurrent import RNNBase, RNNCellBase

__all__ = ["LSTMCell", "GRUCell", "LSTM", "GRU"]


def _lstm_step(x: Tensor, h: Tensor, c: Tensor, weights: tuple) -> tuple[Tensor, Tensor]:
    """(h', c') of one LSTM step; weights (w_ih, w_hh, b_ih, b_hh[, w_hr])."""
    w_ih, w_hh, b_ih, b_hh = weights[:4]
    i, f, g, o = (F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    h = F.sigmoid(o) * F.tanh(c)
    return (F.linear(h, weights[4]) if len(weights) > 4 else h), c


def _gru_step(x: Tensor, h: Tensor, weights: tuple) -> Tensor:
    """h' of one GRU step; weights (w_ih, w_hh, b_ih, b_hh)."""
    w_ih, w_hh, b_ih, b_hh = weights
    x_r, x_z, x_n = F.linear(x, w_ih, b_ih).chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r, z = F.sigmoid(x_r + h_r), F.sigmoid(x_z + h_z)
    n = F.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def _pair(where: Any, hx: Any) -> tuple:
    """An LSTM's state (h, c), given as a tuple (or list) of two."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        got = f"a {type(hx).__name__} of {len(hx)}" if isinstance(hx, (tuple, list)) else \
            type(hx).__name__
        raise TypeError(f"{where!r}: hx must be a tuple (h_0, c_0) of two tensors, got {got}")
    return tuple(hx)


class LSTMCell(RNNCellBase):
    """One LSTM step, as PyTorch's LSTMCell: (h', c') from x (batch, input_size) or
    (input_size,) and hx = (h, c) (batch, hidden_size) each (zeros if not given), by the
    module's formulas. Parameters weight_ih (4 * hidden_size, input_size), weight_hh
    (4 * hidden_size, hidden_size), bias_ih, bias_hh (4 * hidden_size,), the gates' rows
    in the order i, f, g, o, from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)); `seed`
    or `generator` makes the draw repeatable."""

    _gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype, seed, generator)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        """(h', c') of one step from `input` and hx = (h, c) (zeros if None)."""
        input = self._input(input)
        h, c = (None, None) if hx is None else _pair(self, hx)
        h = self._state(input, h, "h_0", "hx (zeros)")
        c = self._state(input, c, "c_0", "cx (zeros)")
        return _lstm_step(input, h, c, self._weights())


class GRUCell(RNNCellBase):
    """One GRU step, as PyTorch's GRUCell: h' from x (batch, input_size) or (input_size,)
    and h (batch, hidden_size) (zeros if not given), by the module's formulas. Parameters
    weight_ih (3 * hidden_size, input_size), weight_hh (3 * hidden_size, hidden_size),
    bias_ih, bias_hh (3 * hidden_size,), the gates' rows in the order r, z, n, from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)); `seed` or `generator` makes the draw
    repeatable."""

    _gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype, seed, generator)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        """h' of one step from `input` and the state hx (zeros if None)."""
        input = self._input(input)
        return _gru_step(input, self._state(input, hx, "hx", "hx (zeros)"), self._weights())


class LSTM(RNNBase):
    """An LSTM over a sequence, as PyTorch's LSTM: input (length, batch, input_size)
    ((batch, length, input_size) with batch_first=True; (length, input_size) unbatched),
    `num_layers` stacked (each layer's outputs the next one's inputs, dropped out with
    probability `dropout` in training, but for the last layer's), each run backwards too
    with bidirectional=True; returns (output, (h_n, c_n)): the last layer's h at every
    step (both directions' side by side) and each layer's and direction's last h and c
    (num_layers * directions, batch, ...), index layer * 2 + direction. hx = (h_0, c_0)
    of those shapes, zeros if not given. A PackedSequence input (nn.utils.rnn) gives a
    PackedSequence output, h_n and c_n each sequence's own last step's. proj_size > 0
    projects each h' by weight_hr (proj_size, hidden_size): h, the output and
    weight_hh's columns have proj_size features. Parameters weight_ih_l{k},
    weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (weight_hr_l{k}; the suffix _reverse for
    the backward direction), the gates' rows in the order i, f, g, o, from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)); `seed` or `generator` makes the draw
    repeatable."""

    _gates = 4
    _states = ("h", "c")

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype, seed, generator)

    def _given(self, hx: Any) -> tuple:
        return _pair(self, hx)

    def _step(self, x: Tensor, state: tuple, weights: tuple) -> tuple:
        return _lstm_step(x, state[0], state[1], weights)


class GRU(RNNBase):
    """A GRU over a sequence, as PyTorch's GRU: input (length, batch, input_size)
    ((batch, length, input_size) with batch_first=True; (length, input_size) unbatched),
    `num_layers` stacked (each layer's outputs the next one's inputs, dropped out with
    probability `dropout` in training, but for the last layer's), each run backwards too
    with bidirectional=True; returns (output, h_n): the last layer's h at every step
    (both directions' side by side) and each layer's and direction's last h
    (num_layers * directions, batch, hidden_size), index layer * 2 + direction; hx of
    that shape, zeros if not given; a PackedSequence input (nn.utils.rnn) gives a
    PackedSequence output. Parameters weight_ih_l{k}, weight_hh_l{k},
    bias_ih_l{k}, bias_hh_l{k} (the suffix _reverse for the backward direction), the
    gates' rows in the order r, z, n, from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size));
    `seed` or `generator` makes the draw repeatable."""

    _gates = 3

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None, *,
                 seed: int | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype, seed, generator)

    def _step(self, x: Tensor, state: tuple, weights: tuple) -> tuple:
        return (_gru_step(x, state[0], weights),)

"""Recurrent layers under PyTorch's names, arguments and parameter names: `RNNCell` (one
step, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), or relu) and `RNN` (the cell run over a
sequence, `num_layers` stacked, in both directions with bidirectional=True), and what every
recurrent layer shares: a cell's checks (`RNNCellBase`) and a layer's parameters per
layer and direction, its checks (`RNNBase`, which LSTM and GRU of recurrent_gated.py run
too) and the one loop over the sequence (`run_layers`, run by `run_sequence` on an input
and `run_packed` on a packed batch), which the functions of recurrent_functions.py
(tg.lstm, ...) run too, with `packed_sizes`'s checks. Each layer takes a PackedSequence
(nn.utils.rnn) in place of the input too, as PyTorch's, and returns one: each sequence
runs over its own steps only. Composed of `F.linear` and Tensor ops: backward() runs
through time (the whole sequence's graph is kept). The tensors a layer makes (the zero
initial state, the steps of an input that records no graph) are named for diagrams.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from .. import functional as tg
from ..errors import ShapeError, user_stacklevel
from ..grad_mode import check_flag
from ..ops.arguments import integer
from ..tensor import Tensor
from . import functional as F
from .layer_arguments import _as_tensor, _check_probability, _constant, _named
from .layers import _check_features
from .module import Module, Parameter
from .parameter_reset import inverse_root_fan, reset_generator, start_parameters, uniform_each_
from .registration import _float_dtype
from .utils.rnn import PackedSequence

__all__ = ["RNNCell", "RNN"]

_NONLINEARITIES = {"tanh": tg.tanh, "relu": tg.relu}


def _nonlinearity(where: str, name: Any) -> Any:
    if name not in _NONLINEARITIES:
        raise ValueError(f"{where}: nonlinearity must be 'tanh' or 'relu', got {name!r}")
    return name


def _register(module: Module, dtype: np.dtype, suffix: str, input_size: int,
              hidden_size: int, bias: bool, gates: int = 1, proj_size: int = 0) -> None:
    """PyTorch's parameters of one layer (in one direction), in its order: weight_ih,
    weight_hh, bias_ih, bias_hh (`gates` blocks of hidden_size rows: LSTM 4, GRU 3), then
    an LSTM's projection weight_hr (proj_size, hidden_size), whose output is the state
    weight_hh reads; zeros until `reset_parameters` draws them."""
    rows = gates * hidden_size
    shapes = {"weight_ih": (rows, input_size), "weight_hh": (rows, proj_size or hidden_size)}
    if bias:
        shapes.update(bias_ih=(rows,), bias_hh=(rows,))
    if proj_size:
        shapes["weight_hr"] = (proj_size, hidden_size)
    for name, shape in shapes.items():
        module.register_parameter(name + suffix, Parameter(np.zeros(shape, dtype)))
    if not bias:
        for name in ("bias_ih", "bias_hh"):
            module.register_parameter(name + suffix, None)


class _UniformStart(Module):
    """The recurrent layers' and cells' reset_parameters (PyTorch's RNNBase's and
    RNNCellBase's), which their constructors call."""

    hidden_size: int

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """Every parameter drawn again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)),
        in place, one after another in the order of parameters() (PyTorch's), from
        `generator` or default_rng(`seed`), else the global generator (tg.manual_seed's)."""
        uniform_each_(self, self.parameters(), inverse_root_fan(self.hidden_size),
                      reset_generator(self, seed, generator))


def _elman_step(x: Tensor, h: Tensor, weights: tuple, activation: Callable) -> Tensor:
    w_ih, w_hh, b_ih, b_hh = weights[:4]
    return activation(F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh))


class RNNCellBase(_UniformStart):
    """What RNNCell, LSTMCell and GRUCell share: parameters weight_ih, weight_hh, bias_ih,
    bias_hh of `_gates` blocks of hidden_size rows (`_register`, drawn by
    reset_parameters), and the checks of the input, (batch, input_size) or (input_size,),
    and of a state given for it."""

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool, device: Any, dtype: Any,
                 seed: int | None, generator: np.random.Generator | None) -> None:
        super().__init__()
        where = type(self).__name__
        self.input_size = _check_features(input_size, "input_size", where, empty=True)
        self.hidden_size = _check_features(hidden_size, "hidden_size", where, empty=True)
        self.bias = check_flag(where, "bias", bias)
        _register(self, _float_dtype(dtype, where, device), "", self.input_size,
                  self.hidden_size, self.bias, self._gates)
        start_parameters(self, seed, generator)

    def _input(self, input: Any) -> Tensor:
        input = _as_tensor(self, input, self.weight_ih)
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{self!r}: expected input of shape (batch, {self.input_size}) "
                             f"or ({self.input_size},), got {input.shape}")
        return input

    def _state(self, input: Tensor, given: Any, what: str, zeros: str) -> Tensor:
        """The state `given` for `input` (zeros named `zeros` when None), or a one-line
        error naming it (`what`) when its shape does not fit."""
        state = input.shape[:-1] + (self.hidden_size,)
        hx = _constant(np.zeros(state, input.dtype), zeros) if given is None else \
            _as_tensor(self, given, self.weight_ih, what)
        if hx.shape != state:
            raise ShapeError(f"{self!r}: {what} of shape {hx.shape} does not fit input of "
                             f"shape {input.shape}; expected {state}")
        return hx

    def _weights(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu),
    x of shape (batch, input_size) or (input_size,), h (the hidden state, zeros if not
    given) of (batch, hidden_size) or (hidden_size,), as PyTorch's RNNCell. Parameters
    weight_ih, weight_hh, bias_ih, bias_hh from U(-1/sqrt(hidden_size),
    1/sqrt(hidden_size)); `seed` or `generator` makes the draw repeatable."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None, *,
                 seed: int | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        nonlinearity = _nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, device, dtype, seed, generator)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        input = self._input(input)
        hx = self._state(input, hx, "hx", "hx (zeros)")
        return _elman_step(input, hx, self._weights(), _NONLINEARITIES[self.nonlinearity])

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + ("" if self.nonlinearity == "tanh" else ", nonlinearity=relu")


def _proj_size(where: str, value: Any, hidden_size: int) -> int:
    value = integer(where, "proj_size", value)
    if value < 0:
        raise ValueError(f"{where}: proj_size must be 0 (no projection) or a positive int, "
                         f"got {value}")
    if value >= hidden_size:
        raise ValueError(f"{where}: proj_size must be smaller than hidden_size, got "
                         f"proj_size={value} and hidden_size={hidden_size}")
    return value


def run_layers(sequence: list, states: list, sizes: list | None, weights: list,
               step: Callable, bidirectional: bool, dropout: float) -> tuple:
    """The one loop over the sequence (a list of steps) that every recurrent layer, input
    and function (tg.lstm, ...) runs: each layer's directions from their initial `states`
    with their `weights` (both in PyTorch's order, index layer * 2 + direction), `step`
    one step of one direction (the input at t, the state's parts and the weights -> the
    new parts, the first of them the step's output), each layer's input but the first's
    dropped out with probability `dropout`; returns the last layer's outputs (a list of
    steps) and each layer's and direction's final state. `sizes[t]` (a packed batch's) is
    how many rows step t has: the first ones (the sequences are sorted longest first),
    the others keeping their state; None: all."""
    last, directions = [], 2 if bidirectional else 1
    for k in range(len(weights) // directions):
        if k and dropout:
            sequence = [F.dropout(x, dropout) for x in sequence]
        outputs = []
        for d in range(directions):
            state, steps = states[len(last)], [None] * len(sequence)
            for t in (reversed(range(len(sequence))) if d else range(len(sequence))):
                state, steps[t] = _advance(step, sequence[t], state, weights[len(last)],
                                           None if sizes is None else sizes[t])
            outputs.append(steps)
            last.append(state)
        sequence = outputs[0] if len(outputs) == 1 else \
            [tg.cat(pair, axis=-1) for pair in zip(*outputs)]
    return sequence, last


def run_sequence(input: Tensor, batch_first: bool, states: list, layers: Callable,
                 output_size: int) -> tuple:
    """(output, the final state's parts, each stacked over layers and directions) of
    `input` (length, batch, features) ((batch, length, ...) with batch_first; (length,
    features) unbatched) run from `states` by `layers` (run_layers over given weights):
    the steps named as the user indexes them, for diagrams; a sequence of no steps gives
    an empty output and the initial state (PyTorch refuses it)."""
    steps = input.swapaxes(0, 1) if batch_first else input
    at = "[:, {}]" if batch_first else "[{}]"
    sequence = [_named(steps[t], (input.name or "input") + at.format(t))
                for t in range(steps.shape[0])]
    sequence, last = layers(sequence, states, None)
    output = tg.stack(sequence, axis=0) if sequence else Tensor.from_op(
        np.zeros((0,) + steps.shape[1:-1] + (output_size,), input.dtype), None)
    if batch_first:
        output = output.swapaxes(0, 1)
    return output, tuple(tg.stack([s[i] for s in last], axis=0) for i in range(len(last[0])))


def _advance(step: Callable, x: Tensor, state: tuple, weights: tuple,
             rows: int | None) -> tuple:
    """(the new state, the step's output) of one step of the first `rows` of the batch
    (None: all), the rest's state kept. In a packed batch a row past its sequence's
    end keeps its last state; running backwards, a row not begun keeps its initial
    one, so each sequence starts at its own last step."""
    if rows is None or rows == state[0].shape[0]:
        state = step(x, state, weights)
        return state, state[0]
    # (slices of a zero state are constants: named, else drawn as the user's inputs)
    new = step(x, tuple(_named(part[:rows], f"{part.name or 'state'}[:{rows}]")
                        for part in state), weights)
    kept = [_named(part[rows:], f"{part.name or 'state'}[{rows}:]") for part in state]
    return tuple(tg.cat([a, rest], axis=0) for a, rest in zip(new, kept)), new[0]


def packed_sizes(where: str, batch_sizes: Any, rows: int) -> list[int]:
    """The counts of a packed batch given apart from a PackedSequence (tg.lstm's data
    form; a PackedSequence checks its own when made): a 1-d integer tensor of counts >= 1,
    non-increasing, summing to the data's `rows`; else one error naming batch_sizes."""
    values = batch_sizes._data if isinstance(batch_sizes, Tensor) else None
    if values is not None and values.ndim == 1 and values.dtype.kind in "iu" and (
            values >= 1).all() and (values[1:] <= values[:-1]).all() and values.sum() == rows:
        return values.tolist()
    got = f"{type(batch_sizes).__name__}" if values is None else \
        f"{values.tolist() if values.ndim == 1 else 'shape ' + str(values.shape)} " \
        f"({values.dtype})"
    raise ValueError(f"{where}: batch_sizes must be a 1-d integer tensor of counts >= 1, "
                     f"non-increasing (the sequences sorted longest first) and summing to "
                     f"data's {rows} rows; got {got}; pack the batch with "
                     f"nn.utils.rnn.pack_padded_sequence and pass its batch_sizes")


def run_packed(data: Tensor, sizes: list, states: list, layers: Callable, output_size: int,
               called: str) -> tuple:
    """(output data, the final state's parts, each stacked over layers and directions) of
    a packed batch's `data` (its steps one after another, step t's `sizes[t]` rows) run
    from `states` by `layers` (run_layers over given weights); the steps named as the
    user slices them (data `called` where unnamed), for diagrams."""
    ends = np.cumsum(sizes).tolist()
    name = (data.name or called) + "[{}:{}]"
    sequence = [_named(data[end - n:end], name.format(end - n, end))
                for n, end in zip(sizes, ends)]
    sequence, last = layers(sequence, states, sizes)
    output = tg.cat(sequence, axis=0) if sequence else Tensor.from_op(
        np.zeros((0, output_size), data.dtype), None)
    return output, tuple(tg.stack([s[i] for s in last], axis=0) for i in range(len(last[0])))


class RNNBase(_UniformStart):
    """What RNN, LSTM and GRU share, PyTorch's RNNBase: the constructor's checks, the
    parameters of each layer and direction (suffix _l{k}, and _reverse for the backward
    direction, in PyTorch's order), and one loop over the sequence. A subclass gives
    `_gates`, `_states` (the state's parts: h, or h and c) and `_step` (one step of one
    direction: the input at t, the state's parts and the weights -> the new parts, the
    first of them the step's output)."""

    _gates = 1
    _states: tuple[str, ...] = ("h",)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, bias: bool,
                 batch_first: bool, dropout: float, bidirectional: bool, proj_size: int,
                 device: Any, dtype: Any, seed: int | None,
                 generator: np.random.Generator | None) -> None:
        super().__init__()
        where = type(self).__name__
        self.input_size = _check_features(input_size, "input_size", where)
        self.hidden_size = _check_features(hidden_size, "hidden_size", where)
        self.num_layers = _check_features(num_layers, "num_layers", where)
        self.bias = check_flag(where, "bias", bias)
        self.batch_first = check_flag(where, "batch_first", batch_first)
        self.bidirectional = check_flag(where, "bidirectional", bidirectional)
        self.proj_size = _proj_size(where, proj_size, self.hidden_size)
        if isinstance(dropout, Tensor):  # (PyTorch's RNN layers refuse one, unlike Dropout)
            raise ValueError(f"{where}: dropout must be a number in [0, 1], not a tensor (as "
                             f"PyTorch's {where}); give dropout=t.item()")
        _check_probability(where, dropout, "an entry", "dropout")
        if dropout and self.num_layers == 1:  # (PyTorch's warning, naming the layer)
            warnings.warn(f"{where}: dropout option adds dropout after all but last recurrent "
                          f"layer, so non-zero dropout expects num_layers greater than 1, "
                          f"but got dropout={dropout} and num_layers=1",
                          UserWarning, stacklevel=user_stacklevel())
        self.dropout = float(dropout)
        resolved = _float_dtype(dtype, where, device)
        for k in range(self.num_layers):
            for suffix in self._suffixes(k):
                _register(self, resolved, suffix, self.input_size if k == 0 else
                          self._output_size(), self.hidden_size, self.bias, self._gates,
                          self.proj_size)
        start_parameters(self, seed, generator)

    def _suffixes(self, layer: int) -> list[str]:
        """The parameter names' suffixes of one layer's directions: _l0, _l0_reverse."""
        return [f"_l{layer}"] + ([f"_l{layer}_reverse"] if self.bidirectional else [])

    def _output_size(self) -> int:
        """The features of each step's output: h's (proj_size if any), both directions'."""
        return (self.proj_size or self.hidden_size) * (2 if self.bidirectional else 1)

    def _step(self, x: Tensor, state: tuple, weights: tuple) -> tuple:
        raise NotImplementedError

    def flatten_parameters(self) -> None:
        """Nothing to do, as PyTorch's on the CPU (it packs the weights for cuDNN): ported
        code calls it in forward."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """Each layer's and direction's parameters, as PyTorch's: [weight_ih, weight_hh,
        bias_ih, bias_hh, weight_hr] of each suffix, those that exist."""
        return [[getattr(self, name + suffix) for name in ("weight_ih", "weight_hh", "bias_ih",
                                                           "bias_hh", "weight_hr")
                 if getattr(self, name + suffix, None) is not None]
                for k in range(self.num_layers) for suffix in self._suffixes(k)]

    def _initial(self, hx: Any, batch: tuple, input: Tensor,
                 order: Tensor | None = None) -> list[tuple]:
        """The initial state of each layer and direction (PyTorch's index: layer * 2 +
        direction), zeros when hx is None; each part of hx is checked against its shape,
        then its batch taken in `order` (a packed batch's sorted_indices) if given."""
        count = self.num_layers * (2 if self.bidirectional else 1)
        sizes = {"h": self.proj_size or self.hidden_size, "c": self.hidden_size}
        shapes = [(count,) + batch + (sizes[part],) for part in self._states]
        if hx is None:
            parts = [_constant(np.zeros(s, input.dtype), f"{part}0 (zeros)")
                     for s, part in zip(shapes, self._states)]
            names = [(f"{part}0", " (zeros)") for part in self._states]
        else:
            given = self._given(hx)
            what = ["hx"] if len(given) == 1 else [f"hx[{i}]" for i in range(len(given))]
            parts = [_as_tensor(self, value, self.weight_ih_l0, w)
                     for value, w in zip(given, what)]
            for part, shape, w in zip(parts, shapes, what):
                if part.shape != shape:
                    raise ShapeError(f"{self!r}: {w} of shape {part.shape} does not fit "
                                     f"input of shape {input.shape}; expected {shape}")
            names = [(part.name or w, "") for part, w in zip(parts, what)]
            if order is not None:
                parts = [part.index_select(1, order) for part in parts]
        return [tuple(_named(part[i], f"{name}[{i}]{note}") for part, (name, note)
                      in zip(parts, names)) for i in range(count)]

    def _given(self, hx: Any) -> tuple:
        """hx as the tuple of the state's parts."""
        return (hx,)

    def forward(self, input: Any, hx: Any = None) -> tuple:
        """(output, final state) of `input` from the initial state hx (zeros if None); a
        sequence of no steps gives an empty output and the initial state (PyTorch refuses
        it). A PackedSequence gives a PackedSequence (see `_forward_packed`)."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        input = _as_tensor(self, input, self.weight_ih_l0)
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{self!r}: expected input of shape (length, batch, "
                             f"{self.input_size}) (batch first with batch_first=True) or "
                             f"(length, {self.input_size}), got {input.shape}")
        first = input.ndim == 3 and self.batch_first
        states = self._initial(hx, input.shape[:1] if first else input.shape[1:-1], input)
        output, final = run_sequence(input, first, states, self._layers, self._output_size())
        return output, final[0] if len(final) == 1 else final

    def _forward_packed(self, input: PackedSequence, hx: Any) -> tuple:
        """(output, final state) of a packed batch, as PyTorch's: the output a
        PackedSequence of the same batch sizes and order, each sequence's final state its
        own last step's (the backward direction's: its first step's, having started at its
        last); hx and the final state in the batch's own order (unsorted)."""
        data = _as_tensor(self, input.data, self.weight_ih_l0)
        if data.ndim != 2 or data.shape[-1] != self.input_size:
            raise ShapeError(f"{self!r}: expected a PackedSequence of data (steps, "
                             f"{self.input_size}), got data of shape {data.shape}")
        sizes = [int(n) for n in input.batch_sizes._data]
        states = self._initial(hx, (sizes[0] if sizes else 0,), data, input.sorted_indices)
        output, final = run_packed(data, sizes, states, self._layers, self._output_size(),
                                   "input.data")
        if input.unsorted_indices is not None:
            final = tuple(part.index_select(1, input.unsorted_indices) for part in final)
        output = PackedSequence(output, input.batch_sizes, input.sorted_indices,
                                input.unsorted_indices)
        return output, final[0] if len(final) == 1 else final

    def _layers(self, sequence: list, states: list, sizes: list | None) -> tuple:
        """run_layers over this layer's parameters, each layer's and direction's
        (weight_ih, weight_hh, bias_ih, bias_hh[, weight_hr]), dropout only in training."""
        weights = [tuple(getattr(self, name + suffix) for name in
                         ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
                         if name != "weight_hr" or self.proj_size)
                   for k in range(self.num_layers) for suffix in self._suffixes(k)]
        return run_layers(sequence, states, sizes, weights, self._step, self.bidirectional,
                          self.dropout if self.training else 0.0)

    def extra_repr(self) -> str:
        # (PyTorch's order; its RNN's repr does not show the nonlinearity)
        text = f"{self.input_size}, {self.hidden_size}"
        text += f", proj_size={self.proj_size}" if self.proj_size else ""
        text += f", num_layers={self.num_layers}" if self.num_layers != 1 else ""
        text += "" if self.bias else ", bias=False"
        text += ", batch_first=True" if self.batch_first else ""
        text += f", dropout={self.dropout}" if self.dropout else ""
        return text + (", bidirectional=True" if self.bidirectional else "")


class RNN(RNNBase):
    """An Elman RNN over a sequence, as PyTorch's RNN: input (length, batch, input_size)
    ((batch, length, input_size) with batch_first=True; (length, input_size) unbatched),
    `num_layers` stacked, each layer's outputs the next one's inputs (dropped out with
    probability `dropout` in training, but for the last layer's); returns (output, h_n):
    the last layer's hidden state at every step and each layer's last one,
    (num_layers, batch, hidden_size). bidirectional=True runs each layer forwards and
    backwards too: the output has both directions' states side by side
    (2 * hidden_size), h_n a row per layer and direction (index layer * 2 + direction;
    the backward one's last state is the one at the first step). A PackedSequence
    input (nn.utils.rnn) gives a PackedSequence output, h_n each sequence's own last
    step's, hx and h_n in the batch's own order. Parameters
    weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (and with the suffix
    _reverse) from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)); `seed` or `generator`
    makes the draw repeatable."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        nonlinearity = _nonlinearity("RNN", nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype, seed, generator)
        self.nonlinearity = nonlinearity

    def _step(self, x: Tensor, state: tuple, weights: tuple) -> tuple:
        return (_elman_step(x, state[0], weights, _NONLINEARITIES[self.nonlinearity]),)

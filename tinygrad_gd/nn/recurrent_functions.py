"""PyTorch's functional recurrent steps and layers, on weights the caller holds:
`rnn_tanh_cell`, `rnn_relu_cell`, `lstm_cell`, `gru_cell` (one step, as nn.RNNCell,
LSTMCell and GRUCell compute it) and `rnn_tanh`, `rnn_relu`, `lstm`, `gru` (the cell run
over a sequence with torch's flat list of parameters: per layer and direction w_ih, w_hh,
then b_ih, b_hh where has_biases, then an LSTM's w_hr where its h and c differ in size).
They run the layers' own step and loop (recurrent.py's run_sequence, run_packed and
run_layers), so their values and gradients are the modules'; a sequence function also takes
torch's packed form (data, batch_sizes, hx, params, ...), the batch sorted longest first
(batch_sizes checked: integers >= 1, non-increasing, summing to data's rows).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import functional as tg
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..tensor import Tensor
from .layer_arguments import _check_probability
from .recurrent import _elman_step, packed_sizes, run_layers, run_packed, run_sequence
from .recurrent_gated import _gru_step, _lstm_step

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell",
           "rnn_tanh", "rnn_relu", "lstm", "gru"]


# the module computing each cell's step, which also takes one sample without a batch axis
_MODULES = {"rnn_tanh_cell": "RNNCell", "rnn_relu_cell": "RNNCell(nonlinearity='relu')",
            "lstm_cell": "LSTMCell", "gru_cell": "GRUCell"}


def _tensor(where: str, what: str, value: Any, optional: bool = False) -> Any:
    if value is None and optional or isinstance(value, Tensor):
        return value
    kind, library = type(value).__name__, type(value).__module__.split(".")[0]
    if library not in ("builtins", "numpy"):  # (torch's own Tensor: not "got Tensor")
        kind = f"{library}.{kind}"
    raise TypeError(f"{where}: {what} must be a Tensor{' or None' if optional else ''}, got "
                    f"{kind}; make one with tg.tensor(...)")


def _check_weights(where: str, gates: int, hidden: int, features: int, state: int,
                   weights: tuple, at: str = "") -> None:
    """w_ih (gates * hidden, features), w_hh (gates * hidden, state), b_ih and b_hh
    (gates * hidden,) where given, w_hr (state, hidden) where given (an LSTM's projection:
    state is h's size, hidden c's): else a one-line error naming the weight."""
    names, rows = ("w_ih", "w_hh", "b_ih", "b_hh", "w_hr"), gates * hidden
    expected = ((rows, features), (rows, state), (rows,), (rows,), (state, hidden))
    for name, weight, shape in zip(names, weights, expected):
        if weight is not None and weight.shape != shape:
            raise ShapeError(f"{where}: {name}{at} of shape {weight.shape} does not fit; "
                             f"expected {shape} (from the input's {features} features and "
                             f"the state's {state})")


def _cell(where: str, input: Any, states: tuple, weights: tuple, gates: int) -> Tensor:
    """The input, checked with the state's parts and the weights of one step."""
    input = _tensor(where, "input", input)
    for i, part in enumerate(states):
        _tensor(where, "hx" if len(states) == 1 else f"hx[{i}]", part)
    weights = tuple(_tensor(where, name, w, optional=i > 1) for i, (name, w) in
                    enumerate(zip(("w_ih", "w_hh", "b_ih", "b_hh"), weights)))
    if input.ndim != 2:  # (torch's cell functions take a batch: one sample is refused too)
        raise ShapeError(f"{where}: expected input of shape (batch, input_size), got "
                         f"{input.shape}; " + (
                             f"give one sample a batch axis of 1 (input.unsqueeze(0), and "
                             f"hx's), or use nn.{_MODULES[where]}, which takes it unbatched"
                             if input.ndim == 1 else "step through a sequence one (batch, "
                             "input_size) slice at a time" if input.ndim > 2 else
                             "give a (batch, input_size) tensor"))
    for i, part in enumerate(states):
        if part.shape[:-1] != input.shape[:-1] or part.ndim != input.ndim:
            raise ShapeError(f"{where}: hx{'' if len(states) == 1 else f'[{i}]'} of shape "
                             f"{part.shape} does not fit input of shape {input.shape}; "
                             f"expected {input.shape[:-1]} + (hidden_size,)")
    if len(states) == 2 and states[1].shape != states[0].shape:
        raise ShapeError(f"{where}: hx[1] (c) of shape {states[1].shape} does not fit hx[0] "
                         f"(h) of shape {states[0].shape}; give h and c the same shape "
                         f"(batch, hidden_size)")
    _check_weights(where, gates, states[-1].shape[-1], input.shape[-1], states[0].shape[-1],
                   weights)
    return input


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step, torch.rnn_tanh_cell: tanh(input w_ih^T + b_ih + hx w_hh^T + b_hh),
    input (batch, input_size), hx (batch, hidden_size), as nn.RNNCell (which also takes
    one sample unbatched, where this, as torch's, wants a batch axis)."""
    input = _cell("rnn_tanh_cell", input, (hx,), (w_ih, w_hh, b_ih, b_hh), 1)
    return _elman_step(input, hx, (w_ih, w_hh, b_ih, b_hh), tg.tanh)


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step with relu, torch.rnn_relu_cell: relu(input w_ih^T + b_ih + hx w_hh^T
    + b_hh), as nn.RNNCell(nonlinearity='relu')."""
    input = _cell("rnn_relu_cell", input, (hx,), (w_ih, w_hh, b_ih, b_hh), 1)
    return _elman_step(input, hx, (w_ih, w_hh, b_ih, b_hh), tg.relu)


def lstm_cell(input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step, torch.lstm_cell: (h', c') from input and hx = (h, c), a tuple or
    list of two, the gates' rows of w_ih (4 * hidden_size, input_size) in the order i, f,
    g, o, as nn.LSTMCell."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"lstm_cell: hx must be a tuple or list (h, c) of two tensors, got "
                        f"{type(hx).__name__}" + (f" of {len(hx)}" if isinstance(
                            hx, (tuple, list)) else ""))
    input = _cell("lstm_cell", input, tuple(hx), (w_ih, w_hh, b_ih, b_hh), 4)
    return _lstm_step(input, hx[0], hx[1], (w_ih, w_hh, b_ih, b_hh))


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step, torch.gru_cell: h' from input and hx, the gates' rows of w_ih
    (3 * hidden_size, input_size) in the order r, z, n, as nn.GRUCell."""
    input = _cell("gru_cell", input, (hx,), (w_ih, w_hh, b_ih, b_hh), 3)
    return _gru_step(input, hx, (w_ih, w_hh, b_ih, b_hh))


def _groups(where: str, params: Any, has_biases: bool, proj: bool, count: int) -> list:
    """torch's flat params as one weights tuple per layer and direction, (w_ih, w_hh,
    b_ih, b_hh, then w_hr if any) with None for the biases where has_biases is False."""
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"{where}: params must be a list of tensors, got "
                        f"{type(params).__name__}")
    each = 2 + 2 * bool(has_biases) + proj
    if len(params) != count * each:
        raise ValueError(f"{where}: got {len(params)} params; expected {count * each}: "
                         f"{count} layers and directions of w_ih, w_hh"
                         + (", b_ih, b_hh" if has_biases else "") + (", w_hr" if proj else ""))
    params = [_tensor(where, f"params[{i}]", p) for i, p in enumerate(params)]
    found = []
    for g in range(count):
        group = params[g * each:(g + 1) * each]
        biases = tuple(group[2:4]) if has_biases else (None, None)
        found.append(tuple(group[:2]) + biases + ((group[-1],) if proj else ()))
    return found


def _sequence(where: str, step: Callable, gates: int, args: tuple, data_form: bool) -> tuple:
    """(output, the final state's parts) of torch's sequence function `where`, given its
    arguments in the input form (input, hx, params, has_biases, num_layers, dropout,
    train, bidirectional, batch_first) or the packed data form (data, batch_sizes, hx,
    params, has_biases, num_layers, dropout, train, bidirectional)."""
    if data_form:
        input, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional \
            = args
        batch_first = False
    else:
        input, hx, params, has_biases, num_layers, dropout, train, bidirectional, \
            batch_first = args
    input = _tensor(where, "data" if data_form else "input", input)
    if input.ndim not in ((2,) if data_form else (2, 3)):
        raise ShapeError(f"{where}: expected " + ("data of shape (steps, input_size)" if
                         data_form else "input of shape (length, batch, input_size) (batch "
                         "first with batch_first=True) or (length, input_size)")
                         + f", got {input.shape}")
    if data_form:
        sizes = packed_sizes(where, batch_sizes, input.shape[0])
    if (gates == 4) != isinstance(hx, (tuple, list)) or gates == 4 and len(hx) != 2:
        raise TypeError(f"{where}: hx must be " + ("a list [h_0, c_0] of two tensors" if
                        gates == 4 else "a Tensor") + f", got {type(hx).__name__}"
                        + (f" of {len(hx)}" if isinstance(hx, (tuple, list)) else ""))
    parts = tuple(hx) if isinstance(hx, (tuple, list)) else (hx,)
    parts = tuple(_tensor(where, "hx" if len(parts) == 1 else f"hx[{i}]", p)
                  for i, p in enumerate(parts))
    if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)):
        raise TypeError(f"{where}: num_layers must be a positive int, got "
                        f"{type(num_layers).__name__} {num_layers!r}")
    if num_layers < 1:
        raise ValueError(f"{where}: num_layers must be a positive int, got {num_layers!r}")
    has_biases, train, bidirectional, batch_first = (  # (None is no False: torch refuses it)
        check_flag(where, name, flag) for name, flag in (
            ("has_biases", has_biases), ("train", train), ("bidirectional", bidirectional),
            ("batch_first", batch_first)))
    dropout = _check_probability(where, dropout, "an entry", "dropout")
    directions = 2 if bidirectional else 1
    count = num_layers * directions
    proj = len(parts) == 2 and parts[0].shape[-1:] != parts[1].shape[-1:]
    groups = _groups(where, params, has_biases, proj, count)
    if data_form:
        batch = (sizes[0] if sizes else 0,)
    else:
        batch = input.shape[:1] if input.ndim == 3 and batch_first else input.shape[1:-1]
    for i, part in enumerate(parts):
        expected = (count,) + batch + part.shape[-1:]
        if part.shape != expected:
            raise ShapeError(f"{where}: hx{'' if len(parts) == 1 else f'[{i}]'} of shape "
                             f"{part.shape} does not fit input of shape {input.shape}; "
                             f"expected (num_layers * directions, ...) {expected}")
    hidden, state = parts[-1].shape[-1], parts[0].shape[-1]
    for g, weights in enumerate(groups):
        features = input.shape[-1] if g < directions else state * directions
        _check_weights(where, gates, hidden, features, state, weights,
                       f" (params group {g})")
    states = [tuple(part[i] for part in parts) for i in range(count)]
    rate = float(dropout) if train else 0.0

    def layers(sequence: list, states: list, sizes: list | None) -> tuple:
        return run_layers(sequence, states, sizes, groups, step, bool(bidirectional), rate)

    if data_form:
        return run_packed(input, sizes, states, layers, state * directions, "data")
    return run_sequence(input, bool(batch_first and input.ndim == 3), states, layers,
                        state * directions)


def _elman(activation: Callable) -> Callable:
    return lambda x, state, weights: (_elman_step(x, state[0], weights, activation),)


def _lstm(x: Tensor, state: tuple, weights: tuple) -> tuple:
    return _lstm_step(x, state[0], state[1], weights)


def _gru(x: Tensor, state: tuple, weights: tuple) -> tuple:
    return (_gru_step(x, state[0], weights[:4]),)


def rnn_tanh(input: Tensor, hx: Tensor, params: Any, has_biases: Any, num_layers: Any,
             dropout: Any, train: Any, bidirectional: Any, batch_first: Any) -> tuple:
    """torch.rnn_tanh: (output, h_n) of an Elman RNN over `input` from hx (num_layers *
    directions, batch, hidden_size), as nn.RNN with those weights (params: per layer and
    direction w_ih, w_hh, then b_ih, b_hh with has_biases); dropout between layers only
    where train. The packed form rnn_tanh(data, batch_sizes, hx, params, has_biases,
    num_layers, dropout, train, bidirectional) gives (output data, h_n)."""
    data_form = isinstance(params, Tensor)
    args = input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first
    output, (h,) = _sequence("rnn_tanh", _elman(tg.tanh), 1, args, data_form)
    return output, h


def rnn_relu(input: Tensor, hx: Tensor, params: Any, has_biases: Any, num_layers: Any,
             dropout: Any, train: Any, bidirectional: Any, batch_first: Any) -> tuple:
    """torch.rnn_relu: rnn_tanh with relu, as nn.RNN(nonlinearity='relu')."""
    data_form = isinstance(params, Tensor)
    args = input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first
    output, (h,) = _sequence("rnn_relu", _elman(tg.relu), 1, args, data_form)
    return output, h


def lstm(input: Tensor, hx: Any, params: Any, has_biases: Any, num_layers: Any, dropout: Any,
         train: Any, bidirectional: Any, batch_first: Any) -> tuple:
    """torch.lstm: (output, h_n, c_n) of an LSTM over `input` from hx = [h_0, c_0], as
    nn.LSTM with those weights (params: per layer and direction w_ih, w_hh, then b_ih,
    b_hh with has_biases, then w_hr where h_0 is smaller than c_0: proj_size). The packed
    form lstm(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
    bidirectional) gives (output data, h_n, c_n)."""
    data_form = isinstance(hx, Tensor)  # (batch_sizes: torch's overloads tell them so)
    if data_form and not isinstance(has_biases, (list, tuple)):  # (the packed form's params)
        raise TypeError("lstm: hx must be a list [h_0, c_0] of two tensors, got Tensor (the "
                        "packed form lstm(data, batch_sizes, hx, params, ...) takes a tensor "
                        "there: batch_sizes)")
    args = input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first
    output, (h, c) = _sequence("lstm", _lstm, 4, args, data_form)
    return output, h, c


def gru(input: Tensor, hx: Tensor, params: Any, has_biases: Any, num_layers: Any,
        dropout: Any, train: Any, bidirectional: Any, batch_first: Any) -> tuple:
    """torch.gru: (output, h_n) of a GRU over `input` from hx, as nn.GRU with those
    weights (params: per layer and direction w_ih, w_hh, then b_ih, b_hh with
    has_biases). The packed form gru(data, batch_sizes, hx, params, ...) gives (output
    data, h_n)."""
    data_form = isinstance(params, Tensor)
    args = input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first
    output, (h,) = _sequence("gru", _gru, 3, args, data_form)
    return output, h

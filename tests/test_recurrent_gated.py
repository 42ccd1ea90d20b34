"""Tests of the gated recurrent layers (LSTMCell, GRUCell, LSTM, GRU) and of the
bidirectional recurrent layers (RNN, LSTM, GRU with bidirectional=True).

Each case is written once for both libraries (`make(nn)`); PyTorch's weights are loaded
into ours through state_dict, and the outputs and the gradients of the input, of a given
initial state and of every parameter must agree. gradcheck checks ours in float64 with
respect to the inputs and the parameters. Without PyTorch, the formulas are checked
against a NumPy transcription of the gates, and the directions against the cells."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.engine import toposort

RNG = np.random.default_rng(7)
SEQ = RNG.uniform(-1, 1, (3, 2, 4))  # (length, batch, input_size)
ROW = RNG.uniform(-1, 1, (2, 4))  # (batch, input_size)


def _states(count: int, hidden: int, batch: tuple = (2,), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (count,) + batch + (hidden,))


# name: (make(nn) -> the module, its input arrays: the input, then the state's parts);
# LSTM's parts (h_0, c_0) are given as the tuple hx
CASES = {
    "LSTM": (lambda nn: nn.LSTM(4, 3), (SEQ,)),
    "LSTM two layers bidirectional hx": (lambda nn: nn.LSTM(4, 3, 2, bidirectional=True),
                                         (SEQ, _states(4, 3), _states(4, 3, seed=1))),
    "LSTM proj_size bidirectional batch_first hx": (
        lambda nn: nn.LSTM(4, 5, 2, batch_first=True, bidirectional=True, proj_size=2),
        (SEQ.swapaxes(0, 1), _states(4, 2), _states(4, 5, seed=1))),
    "LSTM unbatched bias=False hx": (lambda nn: nn.LSTM(4, 3, 2, bias=False),
                                     (SEQ[:, 0], _states(2, 3, ()), _states(2, 3, (), 1))),
    "LSTM bidirectional unbatched": (lambda nn: nn.LSTM(4, 3, bidirectional=True),
                                     (SEQ[:, 1],)),
    "GRU": (lambda nn: nn.GRU(4, 3), (SEQ,)),
    "GRU two layers bidirectional hx": (lambda nn: nn.GRU(4, 3, 2, bidirectional=True),
                                        (SEQ, _states(4, 3))),
    "GRU batch_first bidirectional": (lambda nn: nn.GRU(4, 3, batch_first=True,
                                                        bidirectional=True), (SEQ,)),
    "GRU unbatched bias=False three layers hx": (
        lambda nn: nn.GRU(4, 2, 3, bias=False), (SEQ[:, 0], _states(3, 2, ()))),
    "RNN bidirectional hx": (lambda nn: nn.RNN(4, 3, 2, bidirectional=True),
                             (SEQ, _states(4, 3))),
    "RNN relu bidirectional batch_first": (
        lambda nn: nn.RNN(4, 3, 2, "relu", batch_first=True, bidirectional=True), (SEQ,)),
    "RNN bidirectional unbatched": (lambda nn: nn.RNN(4, 2, bidirectional=True),
                                    (SEQ[:, 0],)),
    "LSTMCell": (lambda nn: nn.LSTMCell(4, 3), (ROW,)),
    "LSTMCell hx": (lambda nn: nn.LSTMCell(4, 3), (ROW, _states(2, 3)[0], _states(2, 3)[1])),
    "LSTMCell unbatched hx bias=False": (lambda nn: nn.LSTMCell(4, 3, False),
                                         (ROW[0], _states(1, 3, ())[0], _states(1, 3, ())[0])),
    "GRUCell": (lambda nn: nn.GRUCell(4, 3), (ROW,)),
    "GRUCell hx": (lambda nn: nn.GRUCell(4, 3), (ROW, _states(1, 3)[0])),
    "GRUCell unbatched hx bias=False": (lambda nn: nn.GRUCell(4, 2, bias=False),
                                        (ROW[1], _states(1, 2, ())[0])),
}


def call(module, x, *state):
    """module(x), module(x, h) or, for the LSTMs, module(x, (h, c))."""
    return module(x, tuple(state)) if len(state) == 2 else module(x, *state)


def parts(out) -> list:
    """The tensors of an output, nested tuples ((output, (h_n, c_n))) flattened."""
    return [t for part in out for t in parts(part)] if isinstance(out, tuple) else [out]


def flat(out) -> Tensor:
    return tg.cat([part.reshape(-1) for part in parts(out)])


def both(case: str, torch):
    """(ours, torch's): torch's weights, in float64, loaded into ours through state_dict."""
    make, _ = CASES[case]
    ours, theirs = make(nn), make(torch.nn).double()
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)  # PyTorch's names, in its order
    ours.load_state_dict({name: value.numpy() for name, value in state.items()})
    return ours, theirs


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_every_gradient_agree_with_pytorch(case):
    torch = pytest.importorskip("torch")
    ours, theirs = both(case, torch)
    arrays = CASES[case][1]
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    references = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = parts(call(ours, *leaves)), parts(call(theirs, *references))
    assert len(out) == len(expected)
    weights = np.random.default_rng(1)
    our_loss = their_loss = 0.0
    for part, reference in zip(out, expected):
        assert part.shape == tuple(reference.shape)
        np.testing.assert_allclose(part.data, reference.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        w = weights.standard_normal(part.shape)
        our_loss = our_loss + (part * w).sum()
        their_loss = their_loss + (reference * torch.tensor(w)).sum()
    our_loss.backward()
    their_loss.backward()
    for i, (leaf, reference) in enumerate(zip(leaves, references)):
        np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=f"input {i}")
    mine = dict(ours.named_parameters())
    for name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(mine[name].grad.data, parameter.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


def through_parameters(module, count: int):
    """`module` as a function of its `count` inputs and then of its parameters, each
    replaced for the call by the tensor given in its place, then restored."""
    names = [name for name, _ in module.named_parameters()]

    def function(*arguments):
        saved = {name: getattr(module, name) for name in names}
        for name, value in zip(names, arguments[count:]):
            delattr(module, name)
            setattr(module, name, value)
        try:
            return flat(call(module, *arguments[:count]))
        finally:
            for name, parameter in saved.items():
                delattr(module, name)
                setattr(module, name, parameter)
    return function


SHORT = SEQ[:2, :, :3]  # (length 2, batch 2, input_size 3): small, for a fast check
# name: (the module, its input arrays as in CASES)
GRADCHECKED = {
    "LSTM two layers bidirectional hx": (
        lambda: nn.LSTM(3, 2, 2, bidirectional=True), (SHORT, _states(4, 2), -_states(4, 2))),
    "LSTM proj_size bidirectional batch_first hx": (
        lambda: nn.LSTM(3, 3, batch_first=True, bidirectional=True, proj_size=1),
        (SHORT, _states(2, 1), _states(2, 3, seed=1))),
    "GRU two layers bidirectional hx": (lambda: nn.GRU(3, 2, 2, bidirectional=True),
                                        (SHORT, _states(4, 2))),
    "GRU unbatched bias=False hx": (lambda: nn.GRU(3, 2, 2, bias=False),
                                    (SHORT[:, 0], _states(2, 2, ()))),
    "RNN bidirectional hx": (lambda: nn.RNN(3, 2, 2, bidirectional=True),
                             (SHORT, _states(4, 2))),
    "LSTMCell hx": (lambda: nn.LSTMCell(3, 2), (SHORT[0], _states(1, 2)[0], -_states(1, 2)[0])),
    "GRUCell hx": (lambda: nn.GRUCell(3, 2), (SHORT[0], _states(1, 2)[0])),
}


@pytest.mark.parametrize("case", sorted(GRADCHECKED))
def test_gradcheck_in_float64_for_inputs_states_and_parameters(case):
    make, arrays = GRADCHECKED[case]
    module = make()
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    parameters = [Tensor(p.data, requires_grad=True) for p in module.parameters()]
    function = through_parameters(module, len(inputs))
    assert tg.gradcheck(function, inputs + parameters)
    given = tg.autograd.grad(function(*inputs, *parameters).sum(), parameters)
    flat(call(module, *inputs)).sum().backward()
    for (name, parameter), gradient in zip(module.named_parameters(), given):
        assert gradient.data.any(), name  # every parameter is used, both directions'
        np.testing.assert_allclose(gradient.data, parameter.grad.data, rtol=1e-12)


# ------------------------------------------------------------------ without PyTorch


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def numpy_lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def numpy_gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    x_r, x_z, x_n = np.split(x @ w_ih.T + b_ih, 3, axis=-1)
    h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def test_cells_follow_pytorch_s_gate_order_and_formulas():
    h, c = _states(2, 3)
    cell = nn.LSTMCell(4, 3, seed=0)
    weights = [p.data for p in cell.parameters()]
    out_h, out_c = cell(ROW, (h, c))
    expected_h, expected_c = numpy_lstm_step(ROW, h, c, *weights)
    np.testing.assert_allclose(out_h.data, expected_h, rtol=1e-12)
    np.testing.assert_allclose(out_c.data, expected_c, rtol=1e-12)
    cell = nn.GRUCell(4, 3, seed=0)
    np.testing.assert_allclose(cell(ROW, h).data, numpy_gru_step(
        ROW, h, *[p.data for p in cell.parameters()]), rtol=1e-12)


@pytest.mark.parametrize("layer, cell", [(nn.LSTM, nn.LSTMCell), (nn.GRU, nn.GRUCell)])
def test_a_bidirectional_layer_runs_its_cell_forwards_and_backwards(layer, cell):
    recurrent = layer(4, 3, bidirectional=True, seed=0)
    lstm = layer is nn.LSTM
    hx = (_states(2, 3), _states(2, 3, seed=1)) if lstm else _states(2, 3)
    output, final = recurrent(SEQ, hx)
    for direction, suffix, order in ((0, "_l0", range(3)), (1, "_l0_reverse", (2, 1, 0))):
        step = cell(4, 3)
        step.load_state_dict({name: getattr(recurrent, name + suffix).data
                              for name in step.state_dict()})
        state = (hx[0][direction], hx[1][direction]) if lstm else hx[direction]
        for t in order:
            state = step(SEQ[t], state)
            h = state[0] if lstm else state
            np.testing.assert_allclose(output.data[t, :, 3 * direction:3 * direction + 3],
                                       h.data, rtol=1e-12)
        for i, last in enumerate(final if lstm else (final,)):
            np.testing.assert_allclose(last.data[direction], parts(state)[i].data,
                                       rtol=1e-12)


def test_stacked_layers_feed_both_directions_to_the_next_and_batch_first_transposes():
    lstm = nn.LSTM(4, 3, 2, bidirectional=True, proj_size=2, seed=0)
    output, (h_n, c_n) = lstm(SEQ)
    assert output.shape == (3, 2, 4) and h_n.shape == (4, 2, 2) and c_n.shape == (4, 2, 3)
    assert lstm.weight_ih_l1.shape == (12, 4) and lstm.weight_hh_l1_reverse.shape == (12, 2)
    assert lstm.weight_hr_l1_reverse.shape == (2, 3)
    np.testing.assert_array_equal(h_n.data[2], output.data[-1, :, :2])  # last layer, forwards
    np.testing.assert_array_equal(h_n.data[3], output.data[0, :, 2:])  # and backwards
    lstm.batch_first = True
    out_first, (h_first, _) = lstm(SEQ.swapaxes(0, 1))
    np.testing.assert_allclose(out_first.data, output.data.swapaxes(0, 1), rtol=1e-12)
    np.testing.assert_allclose(h_first.data, h_n.data, rtol=1e-12)  # (states: never batch first)
    single, (h_one, c_one) = lstm(SEQ[:, 0])  # unbatched: batch_first does not apply
    assert single.shape == (3, 4) and h_one.shape == (4, 2) and c_one.shape == (4, 3)
    np.testing.assert_allclose(single.data, output.data[:, 0], rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda: nn.LSTMCell(5, 16, seed=2), lambda: nn.GRUCell(5, 16, seed=2),
    lambda: nn.LSTM(5, 16, 2, bidirectional=True, proj_size=3, seed=2),
    lambda: nn.GRU(5, 16, 2, bidirectional=True, seed=2),
    lambda: nn.RNN(5, 16, 2, bidirectional=True, seed=2)])
def test_parameters_start_in_pytorch_s_range_and_repeat_with_a_seed(make):
    layer, again = make(), make()
    for (name, parameter), (_, same) in zip(layer.named_parameters(), again.named_parameters()):
        assert np.abs(parameter.data).max() <= 1 / 16 ** 0.5, name  # U(-1/sqrt(h), ...)
        assert np.abs(parameter.data).max() > 0.5 / 16 ** 0.5, name
        np.testing.assert_array_equal(parameter.data, same.data, err_msg=name)


@pytest.mark.parametrize("make", [
    lambda m: m.LSTMCell(3, 4), lambda m: m.GRUCell(3, 4, bias=False),
    lambda m: m.LSTM(3, 4, 2, bias=False, batch_first=True, dropout=0.5, bidirectional=True,
                     proj_size=2),
    lambda m: m.LSTM(3, 4), lambda m: m.GRU(3, 4, 3, dropout=0.25, bidirectional=True),
    lambda m: m.RNN(3, 4, nonlinearity="relu", bidirectional=True)])
def test_repr_state_dict_names_and_shapes_are_pytorch_s(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert [(name, tuple(value.shape)) for name, value in ours.state_dict().items()] == \
        [(name, tuple(value.shape)) for name, value in theirs.state_dict().items()]


@pytest.mark.parametrize("make", [
    lambda: nn.LSTM(4, 3, 2, bidirectional=True, dtype=np.float32, seed=0),
    lambda: nn.GRU(4, 3, bidirectional=True, seed=0).float(),
    lambda: nn.RNN(4, 3, bidirectional=True, seed=0).float(),
    lambda: nn.LSTMCell(4, 3, dtype="float32", seed=0),
    lambda: nn.GRUCell(4, 3, seed=0).float()])
def test_float32_is_kept(make):
    module = make()
    x = Tensor(SEQ.astype(np.float32), requires_grad=True)
    out = parts(module(x if isinstance(module, (nn.LSTM, nn.GRU, nn.RNN)) else x[0]))
    assert all(part.dtype == np.float32 for part in out)
    flat(tuple(out)).sum().backward()
    assert x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in module.parameters())


def test_an_empty_batch_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    for make in (lambda m: m.LSTM(4, 3, bidirectional=True), lambda m: m.GRU(4, 3, 2)):
        ours = make(nn)
        theirs = make(torch.nn).double()
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        out, expected = parts(ours(np.zeros((3, 0, 4)))), parts(theirs(torch.zeros(
            3, 0, 4, dtype=torch.float64)))
        assert [p.shape for p in out] == [tuple(e.shape) for e in expected]


def test_an_empty_sequence_gives_no_output_and_keeps_the_initial_state():
    # (PyTorch raises "Expected sequence length to be larger than 0"; the state after no
    # step is the initial one)
    h, c = _states(2, 3), _states(2, 3, seed=1)
    output, (h_n, c_n) = nn.LSTM(4, 3, bidirectional=True, seed=0)(np.zeros((0, 2, 4)), (h, c))
    assert output.shape == (0, 2, 6)
    np.testing.assert_array_equal(h_n.data, h)
    np.testing.assert_array_equal(c_n.data, c)


def test_zero_input_and_zero_state_give_the_biases_effect_only():
    gru = nn.GRU(4, 3, bias=False, seed=0)
    output, h_n = gru(np.zeros((2, 1, 4)))
    assert not output.data.any() and not h_n.data.any()  # (no bias: zero stays zero)
    lstm = nn.LSTM(4, 3, seed=0)
    output, _ = lstm(np.zeros((1, 1, 4)))
    b = lstm.bias_ih_l0.data + lstm.bias_hh_l0.data
    np.testing.assert_allclose(output.data[0, 0], sigmoid(b[9:]) * np.tanh(
        sigmoid(b[:3]) * np.tanh(b[6:9])), rtol=1e-12)


def test_dropout_acts_between_layers_in_training_only():
    lstm = nn.LSTM(4, 3, 2, dropout=0.5, bidirectional=True, seed=0)
    plain = nn.LSTM(4, 3, 2, bidirectional=True, seed=0)
    tg.manual_seed(0)
    assert not np.allclose(lstm(SEQ)[0].data, plain(SEQ)[0].data)
    lstm.eval()
    np.testing.assert_array_equal(lstm(SEQ)[0].data, plain(SEQ)[0].data)
    with pytest.warns(UserWarning, match=r"^GRU: dropout option adds dropout after all but "
                                         r"last recurrent layer.*num_layers=1$"):
        nn.GRU(4, 3, dropout=0.2)


def test_the_tensors_a_layer_makes_are_named_for_diagrams():
    lstm = nn.LSTM(4, 3, 2, bidirectional=True, seed=0)
    output, (h_n, c_n) = lstm(Tensor(SEQ, name="x"))
    made = {t.name for t in toposort(output, h_n, c_n, every=True)
            if t.is_leaf and not isinstance(t, nn.Parameter)}
    assert made == {f"{part}0[{i}] (zeros)" for part in "hc" for i in range(4)} | \
        {f"x[{t}]" for t in range(3)}
    h = Tensor(_states(4, 3), name="h")
    output, _ = lstm(SEQ, (h, _states(4, 3)))
    names = {t.name for t in toposort(output, every=True) if t.is_leaf}
    assert {f"h[{i}]" for i in range(4)} | {f"hx[1][{i}]" for i in range(4)} <= names
    output = nn.GRUCell(4, 3)(ROW)
    assert "hx (zeros)" in {t.name for t in toposort(output, every=True)}
    for part in parts((output, lstm(SEQ))):  # nothing returned to the user is named
        assert not part.name


# ------------------------------------------------------------------ bad input

BAD = [
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError,
     r"^LSTM: proj_size must be smaller than hidden_size, got proj_size=4 and hidden_size=4$"),
    (lambda: nn.LSTM(3, 4, proj_size=-1), ValueError,
     r"^LSTM: proj_size must be 0 \(no projection\) or a positive int, got -1$"),
    (lambda: nn.LSTM(3, 4, proj_size=1.5), TypeError, r"^LSTM: proj_size must be an int"),
    (lambda: nn.GRU(3, 4, bidirectional="True"), TypeError,
     r"^GRU: bidirectional must be True or False, got str 'True'$"),
    (lambda: nn.GRU(3, 0), ValueError, r"^GRU: hidden_size must be a positive int, got 0$"),
    (lambda: nn.LSTM(3, 4, num_layers=0), ValueError, r"^LSTM: num_layers must be a positive"),
    (lambda: nn.LSTM(3, 4, 2, dropout=1.5), ValueError, r"^LSTM: dropout is the probability"),
    (lambda: nn.LSTMCell(3, 4, bias="no"), TypeError, r"^LSTMCell: bias must be True or False"),
    (lambda: nn.LSTM(3, 4)(np.ones((5, 2, 2))), ValueError,
     r"^LSTM\(3, 4\): expected input of shape \(length, batch, 3\).*got \(5, 2, 2\)$"),
    (lambda: nn.GRU(3, 4)(np.ones((5, 2, 3, 1))), ValueError,
     r"^GRU\(3, 4\): expected input of shape .*got \(5, 2, 3, 1\)$"),
    (lambda: nn.RNN(3, 4, bidirectional=True)(np.ones((5, 2, 3)), np.zeros((1, 2, 4))),
     ValueError, r"^RNN\(3, 4, bidirectional=True\): hx of shape \(1, 2, 4\) does not fit "
                 r"input of shape \(5, 2, 3\); expected \(2, 2, 4\)$"),
    (lambda: nn.LSTM(3, 4, proj_size=2)(np.ones((5, 2, 3)), (np.zeros((1, 2, 2)),
                                                             np.zeros((1, 2, 2)))),
     ValueError, r"^LSTM\(3, 4, proj_size=2\): hx\[1\] of shape \(1, 2, 2\) .*expected "
                 r"\(1, 2, 4\)$"),
    (lambda: nn.LSTM(3, 4)(np.ones((5, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 2, 4)))),
     ValueError, r"^LSTM\(3, 4\): hx\[0\] of shape \(1, 2, 4\) .*expected \(1, 4\)$"),
    (lambda: nn.LSTM(3, 4)(np.ones((5, 2, 3)), np.zeros((1, 2, 4))), TypeError,
     r"^LSTM\(3, 4\): hx must be a tuple \(h_0, c_0\) of two tensors, got ndarray$"),
    (lambda: nn.LSTMCell(3, 4)(np.ones((2, 3)), (np.zeros((2, 4)),)), TypeError,
     r"^LSTMCell\(3, 4\): hx must be a tuple \(h_0, c_0\) of two tensors, got a tuple of 1$"),
    (lambda: nn.LSTMCell(3, 4)(np.ones((2, 3)), (np.zeros((2, 4)), np.zeros(4))), ValueError,
     r"^LSTMCell\(3, 4\): c_0 of shape \(4,\) does not fit input of shape \(2, 3\); "
     r"expected \(2, 4\)$"),
    (lambda: nn.GRUCell(3, 4)(np.ones((2, 2, 3))), ValueError,
     r"^GRUCell\(3, 4\): expected input of shape \(batch, 3\) or \(3,\), got \(2, 2, 3\)$"),
    (lambda: nn.GRUCell(3, 4)(np.ones(3), np.zeros((1, 4))), ValueError,
     r"^GRUCell\(3, 4\): hx of shape \(1, 4\) does not fit input of shape \(3,\); "
     r"expected \(4,\)$"),
]


@pytest.mark.parametrize("make, error, match", BAD)
def test_bad_input_gets_a_one_line_error(make, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=match):
            make()


def test_gru_and_rnn_take_no_proj_size_as_pytorch():
    torch = pytest.importorskip("torch")
    for library in (nn, torch.nn):
        for layer in (library.GRU, library.RNN):
            with pytest.raises((TypeError, ValueError), match="proj_size"):
                layer(3, 4, proj_size=2)

"""Tests of nn.utils.rnn (PackedSequence, pack_padded_sequence, pad_packed_sequence,
pad_sequence, unpad_sequence, pack_sequence, unpack_sequence, invert_permutation) and of
RNN, LSTM and GRU over packed batches.

Against PyTorch: every function's values, lengths and indices, and the gradients reaching
each input sequence; the recurrent layers with PyTorch's weights (through state_dict) on
packed batches of mixed lengths: the packed output, h_n (and c_n), and the gradients of
the input, of hx and of every parameter. gradcheck checks ours in float64. Without
PyTorch: round trips, and a packed batch against each sequence run alone."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn.utils import rnn

RNG = np.random.default_rng(11)
PADDED = RNG.standard_normal((5, 4, 3))  # (length, batch, features)
LENGTHS = [3, 5, 1, 5]  # unsorted, with a tie
SORTED = [5, 5, 3, 1]
SEQUENCES = [RNG.standard_normal((n, 2)) for n in (2, 4, 0, 3)]  # one of length 0


def tensors(arrays, requires_grad=True):
    return [Tensor(a, requires_grad=requires_grad) for a in arrays]


def weighted(out, seed=0):
    """A loss reading every entry of `out` with its own weight, and the weights."""
    w = np.random.default_rng(seed).standard_normal(out.shape)
    return (out * w).sum(), w


# ------------------------------------------------------------------ the functions


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths, enforce_sorted", [(SORTED, True), (LENGTHS, False),
                                                      (SORTED, False)])
def test_pack_and_pad_packed_agree_with_pytorch_values_and_gradients(
        batch_first, lengths, enforce_sorted):
    torch = pytest.importorskip("torch")
    x = PADDED.swapaxes(0, 1) if batch_first else PADDED
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    packed = rnn.pack_padded_sequence(ours, lengths, batch_first, enforce_sorted)
    reference = torch.nn.utils.rnn.pack_padded_sequence(theirs, torch.tensor(lengths),
                                                        batch_first, enforce_sorted)
    np.testing.assert_array_equal(packed.data.data, reference.data.detach().numpy())
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        mine, expected = getattr(packed, name), getattr(reference, name)
        assert (mine is None) == (expected is None), name
        if mine is not None:
            assert mine.dtype == np.int64
            np.testing.assert_array_equal(mine.data, expected.numpy(), err_msg=name)
    padded, got = rnn.pad_packed_sequence(packed, batch_first, padding_value=-2.5,
                                          total_length=6)
    expected, expected_lengths = torch.nn.utils.rnn.pad_packed_sequence(
        reference, batch_first, padding_value=-2.5, total_length=6)
    np.testing.assert_array_equal(padded.data, expected.detach().numpy())
    np.testing.assert_array_equal(got.data, expected_lengths.numpy())
    loss, w = weighted(padded)
    loss.backward()
    (expected * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_agrees_with_pytorch_on_both_sides(batch_first, padding_side):
    torch = pytest.importorskip("torch")
    ours, theirs = tensors(SEQUENCES), [torch.tensor(s, requires_grad=True) for s in SEQUENCES]
    out = rnn.pad_sequence(ours, batch_first, 7.0, padding_side)
    expected = torch.nn.utils.rnn.pad_sequence(theirs, batch_first, 7.0, padding_side)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    loss, w = weighted(out)
    loss.backward()
    (expected * torch.tensor(w)).sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_array_equal(mine.grad.data, reference.grad.numpy())


def test_pad_sequence_of_integers_of_a_tensor_and_of_mixed_dtypes_as_pytorch():
    torch = pytest.importorskip("torch")
    ints = [np.array([1, 2, 3]), np.array([4])]
    out = rnn.pad_sequence([tg.as_tensor(a) for a in ints], True, 1.5, "left")
    expected = torch.nn.utils.rnn.pad_sequence([torch.tensor(a) for a in ints], True, 1.5,
                                               "left")
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, expected.numpy())
    rows = RNG.standard_normal((3, 2))  # a tensor: the sequence of its rows
    np.testing.assert_array_equal(rnn.pad_sequence(Tensor(rows)).data,
                                  torch.nn.utils.rnn.pad_sequence(torch.tensor(rows)).numpy())
    for first, second in ((np.float32, np.float64), (np.float64, np.float32)):
        mixed = rnn.pad_sequence([Tensor(SEQUENCES[0].astype(first)),
                                  Tensor(SEQUENCES[1].astype(second))])
        reference = torch.nn.utils.rnn.pad_sequence(
            [torch.tensor(SEQUENCES[0].astype(first)), torch.tensor(SEQUENCES[1].astype(second))])
        assert mixed.dtype == first and str(reference.dtype) == f"torch.{np.dtype(first)}"


def test_invert_permutation_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    order = np.array([2, 0, 3, 1])
    got = rnn.invert_permutation(tg.as_tensor(order))
    np.testing.assert_array_equal(
        got.data, torch.nn.utils.rnn.invert_permutation(torch.tensor(order)).numpy())
    assert got.dtype == np.int64 and rnn.invert_permutation(None) is None


def test_unpad_pack_sequence_and_unpack_sequence_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    lengths = [4, 2, 3]
    ours = rnn.unpad_sequence(Tensor(PADDED[:, :3]), lengths)
    theirs = torch.nn.utils.rnn.unpad_sequence(torch.tensor(PADDED[:, :3]),
                                               torch.tensor(lengths))
    for mine, expected in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine.data, expected.numpy())
    nonempty = [s for s in SEQUENCES if len(s)]
    packed = rnn.pack_sequence(tensors(nonempty), enforce_sorted=False)
    reference = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in nonempty], False)
    np.testing.assert_array_equal(packed.data.data, reference.data.numpy())
    np.testing.assert_array_equal(packed.batch_sizes.data, reference.batch_sizes.numpy())
    for mine, expected in zip(rnn.unpack_sequence(packed),
                              torch.nn.utils.rnn.unpack_sequence(reference), strict=True):
        np.testing.assert_array_equal(mine.data, expected.numpy())



def test_pack_sequence_is_one_indexing_op_of_the_sequences_joined():
    # no padding made and dropped again: the diagram shows the sequences, their join and
    # one indexing op, as the module's docstring says
    sequences = [Tensor(RNG.standard_normal((n, 2)), requires_grad=True, name=f"s{n}")
                 for n in (2, 3, 1)]
    packed = rnn.pack_sequence(sequences, enforce_sorted=False)
    source = tg.draw_graph(packed.data.sum()).source
    assert "padding_value" not in source
    assert source.count("<B>getitem [") == 1  # (titled with its index)
    packed.data.sum().backward()
    for s in sequences:
        np.testing.assert_array_equal(s.grad.data, np.ones(s.shape))

def test_round_trips_give_back_every_sequence_and_its_gradient():
    nonempty = tensors([s for s in SEQUENCES if len(s)])
    back = rnn.unpack_sequence(rnn.pack_sequence(nonempty, enforce_sorted=False))
    padded = rnn.pad_sequence(nonempty, batch_first=True, padding_side="right")
    cut = rnn.unpad_sequence(padded, [s.shape[0] for s in nonempty], batch_first=True)
    packed = rnn.pack_padded_sequence(padded, [s.shape[0] for s in nonempty], True, False)
    again, lengths = rnn.pad_packed_sequence(packed, batch_first=True)
    np.testing.assert_array_equal(again.data, padded.data)
    assert lengths.tolist() == [s.shape[0] for s in nonempty]
    loss = 0
    for k, (original, a, b) in enumerate(zip(nonempty, back, cut)):
        np.testing.assert_array_equal(a.data, original.data)
        np.testing.assert_array_equal(b.data, original.data)
        loss = loss + (a * (k + 1)).sum() + b.sum() * 10
    loss.backward()
    for k, original in enumerate(nonempty):  # each sequence reached through both routes
        np.testing.assert_array_equal(original.grad.data, np.full(original.shape, k + 11.0))


def test_gradcheck_through_pad_pack_and_unpad_in_float64():
    inputs = tensors(SEQUENCES)
    nonempty = tensors([s for s in SEQUENCES if len(s)])

    def through_packing(*sequences):
        padded = rnn.pad_sequence(sequences, padding_side="left", padding_value=0.5)
        cut = rnn.unpad_sequence(padded.flip(0), [s.shape[0] for s in sequences])
        packed = rnn.pack_sequence([c * c for c in cut if c.shape[0]], enforce_sorted=False)
        return rnn.pad_packed_sequence(packed, total_length=5)[0].sin()

    assert tg.gradcheck(through_packing, inputs)
    assert tg.gradcheck(lambda *s: rnn.pack_sequence(s, enforce_sorted=False).data ** 3,
                        nonempty)


def test_empty_and_length_zero_sequences_pad_and_unpad():
    empty = rnn.pad_sequence([Tensor(np.zeros((0, 3))), Tensor(np.zeros((0, 3)))])
    assert empty.shape == (0, 2, 3)
    out = rnn.pad_sequence(tensors(SEQUENCES), batch_first=True, padding_value=9.0)
    np.testing.assert_array_equal(out.data[2], np.full((4, 2), 9.0))
    parts = rnn.unpad_sequence(out, [2, 4, 0, 3], batch_first=True)
    assert [p.shape for p in parts] == [s.shape for s in SEQUENCES]
    no_features = rnn.pad_sequence([Tensor(np.zeros((2, 0))), Tensor(np.zeros((1, 0)))])
    assert no_features.shape == (2, 2, 0)


def test_float32_is_kept_through_packing():
    x = Tensor(PADDED.astype(np.float32), requires_grad=True)
    packed = rnn.pack_padded_sequence(x, LENGTHS, enforce_sorted=False)
    padded, _ = rnn.pad_packed_sequence(packed, padding_value=1.0)
    assert packed.data.dtype == padded.dtype == np.float32
    assert rnn.pad_sequence([x[:, 0], x[:2, 1]], padding_value=0.25).dtype == np.float32
    padded.sum().backward()
    assert x.grad.dtype == np.float32


def test_packed_sequence_is_a_named_tuple_with_conversions():
    packed = rnn.pack_padded_sequence(Tensor(PADDED, requires_grad=True), LENGTHS,
                                      enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert batch_sizes.tolist() == [4, 3, 3, 2, 2]
    assert sorted_indices.tolist() == [1, 3, 0, 2]  # the tie keeps its order
    assert unsorted_indices.tolist() == [2, 0, 3, 1]
    assert packed.to(np.float64) is packed and packed.double() is packed
    single = packed.float()
    assert isinstance(single, rnn.PackedSequence) and single.data.dtype == np.float32
    assert single.batch_sizes is batch_sizes and single.sorted_indices is sorted_indices
    single.data.sum().backward()
    assert packed.data.grad_fn is not None and not packed.is_cuda
    rebuilt = rnn.PackedSequence(data, [4, 3, 3, 2, 2], [1, 3, 0, 2])
    assert rebuilt.unsorted_indices.tolist() == [2, 0, 3, 1]
    pair = rnn.PackedSequence((data, batch_sizes))
    assert pair.sorted_indices is None and pair.unsorted_indices is None


# ------------------------------------------------------------------ the recurrent layers


def both(kind, torch, **options):
    """(ours, torch's) of `kind` (RNN, LSTM, GRU), torch's weights in float64 loaded into
    ours through state_dict."""
    theirs = getattr(torch.nn, kind)(3, 4, **options).double()
    ours = getattr(nn, kind)(3, 4, **options)
    ours.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})
    return ours, theirs


PACKED_CASES = {
    "RNN two layers bidirectional unsorted": ("RNN", dict(num_layers=2, bidirectional=True),
                                              False, LENGTHS, True),
    "RNN relu sorted": ("RNN", dict(nonlinearity="relu"), False, SORTED, False),
    "LSTM two layers bidirectional unsorted batch_first": (
        "LSTM", dict(num_layers=2, bidirectional=True, batch_first=True), True, LENGTHS, True),
    "LSTM proj_size bidirectional sorted": (
        "LSTM", dict(bidirectional=True, proj_size=2), False, SORTED, True),
    "GRU two layers bidirectional unsorted": ("GRU", dict(num_layers=2, bidirectional=True),
                                              False, LENGTHS, True),
    "GRU unsorted batch_first no hx": ("GRU", dict(batch_first=True), True, LENGTHS, False),
}


def initial_state(kind, module, with_hx, batch=4):
    """hx of random values for `module` (a tuple (h_0, c_0) for an LSTM), or None."""
    if not with_hx:
        return ()
    count = module.num_layers * (2 if module.bidirectional else 1)
    h = RNG.standard_normal((count, batch, module.proj_size or module.hidden_size))
    return (h, RNG.standard_normal((count, batch, module.hidden_size))) if kind == "LSTM" \
        else (h,)


def run(module, packed, state):
    """module(packed), module(packed, h) or module(packed, (h, c)); the output's parts."""
    output, final = module(packed, *([tuple(state)] if len(state) == 2 else state))
    return output, list(final) if isinstance(final, tuple) else [final]


@pytest.mark.parametrize("case", sorted(PACKED_CASES))
def test_recurrent_layers_on_packed_batches_agree_with_pytorch(case):
    torch = pytest.importorskip("torch")
    kind, options, batch_first, lengths, with_hx = PACKED_CASES[case]
    ours, theirs = both(kind, torch, **options)
    x = PADDED.swapaxes(0, 1) if batch_first else PADDED
    state = initial_state(kind, ours, with_hx)
    leaves, references = tensors((x,) + state), [torch.tensor(a, requires_grad=True)
                                                 for a in (x,) + state]
    sort = lengths is LENGTHS
    packed = rnn.pack_padded_sequence(leaves[0], lengths, batch_first, enforce_sorted=not sort)
    reference = torch.nn.utils.rnn.pack_padded_sequence(references[0], torch.tensor(lengths),
                                                        batch_first, enforce_sorted=not sort)
    output, final = run(ours, packed, leaves[1:])
    expected, expected_final = run(theirs, reference, references[1:])
    assert isinstance(output, rnn.PackedSequence)
    np.testing.assert_array_equal(output.batch_sizes.data, expected.batch_sizes.numpy())
    for name in ("sorted_indices", "unsorted_indices"):
        assert (getattr(output, name) is None) == (getattr(expected, name) is None)
    np.testing.assert_allclose(output.data.data, expected.data.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    our_loss, w = weighted(rnn.pad_packed_sequence(output, batch_first)[0])
    their_loss = (torch.nn.utils.rnn.pad_packed_sequence(expected, batch_first)[0]
                  * torch.tensor(w)).sum()
    assert len(final) == len(expected_final)
    for k, (part, reference_part) in enumerate(zip(final, expected_final)):
        np.testing.assert_allclose(part.data, reference_part.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        loss, w = weighted(part, seed=k + 1)
        our_loss = our_loss + loss
        their_loss = their_loss + (reference_part * torch.tensor(w)).sum()
    our_loss.backward()
    their_loss.backward()
    for i, (leaf, reference_leaf) in enumerate(zip(leaves, references)):
        np.testing.assert_allclose(leaf.grad.data, reference_leaf.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=f"input {i}")
    mine = dict(ours.named_parameters())
    for name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(mine[name].grad.data, parameter.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_a_packed_batch_runs_each_sequence_as_if_alone(kind):
    module = getattr(nn, kind)(3, 2, num_layers=2, bidirectional=True, seed=0)
    packed = rnn.pack_padded_sequence(Tensor(PADDED), LENGTHS, enforce_sorted=False)
    output, final = module(packed)
    padded, _ = rnn.pad_packed_sequence(output)
    finals = final if isinstance(final, tuple) else (final,)
    for b, n in enumerate(LENGTHS):
        alone, alone_final = module(Tensor(PADDED[:n, b]))  # unbatched, its own steps only
        np.testing.assert_allclose(padded.data[:n, b], alone.data, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(padded.data[n:, b], 0.0)
        alone_finals = alone_final if isinstance(alone_final, tuple) else (alone_final,)
        for part, alone_part in zip(finals, alone_finals):
            np.testing.assert_allclose(part.data[:, b], alone_part.data, rtol=1e-12,
                                       atol=1e-14)


def test_gradcheck_of_packed_layers_for_inputs_states_and_parameters():
    module = nn.LSTM(2, 2, bidirectional=True, seed=1)
    names = [name for name, _ in module.named_parameters()]
    x, h, c = tensors([PADDED[:3, :3, :2], RNG.standard_normal((2, 3, 2)),
                       RNG.standard_normal((2, 3, 2))])
    parameters = [Tensor(p.data, requires_grad=True) for p in module.parameters()]

    def function(x, h, c, *weights):
        saved = {name: getattr(module, name) for name in names}
        for name, value in zip(names, weights):
            delattr(module, name)
            setattr(module, name, value)
        try:
            packed = rnn.pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False)
            output, (h_n, c_n) = module(packed, (h, c))
            return tg.cat([output.data.reshape(-1), h_n.reshape(-1), c_n.reshape(-1)])
        finally:
            for name, parameter in saved.items():
                delattr(module, name)
                setattr(module, name, parameter)

    assert tg.gradcheck(function, [x, h, c] + parameters)
    gru = nn.GRU(2, 2, num_layers=2, seed=2)

    def through_gru(x, h):  # three sequences of 3, 1 and 2 steps, unsorted
        output, h_n = gru(rnn.pack_sequence([x[:3], x[3:4], x[4:]], enforce_sorted=False), h)
        return tg.cat([output.data.reshape(-1), h_n.reshape(-1)])

    assert tg.gradcheck(through_gru, tensors([RNG.standard_normal((6, 2)),
                                              RNG.standard_normal((2, 3, 2))]))


def test_float32_layers_keep_float32_on_packed_batches():
    module = nn.GRU(3, 2, bidirectional=True, dtype=np.float32, seed=0)
    packed = rnn.pack_padded_sequence(Tensor(PADDED.astype(np.float32)), LENGTHS,
                                      enforce_sorted=False)
    output, h_n = module(packed)
    assert output.data.dtype == h_n.dtype == np.float32


# ------------------------------------------------------------------ bad input


def raises(error, match, function, *args, **kwargs):
    with pytest.raises(error, match=match) as info:
        function(*args, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_bad_input_is_refused_in_one_line():
    x = Tensor(PADDED)
    raises(RuntimeError, "pack_padded_sequence: .*sorted in decreasing order.*enforce_sorted"
           r".*\[3, 5, 1, 5\]", rnn.pack_padded_sequence, x, LENGTHS)
    raises(RuntimeError, r"pack_padded_sequence: every length must be at least 1, got "
           r"lengths \[3, 0, 1, 5\]", rnn.pack_padded_sequence, x, [3, 0, 1, 5],
           enforce_sorted=False)
    raises(RuntimeError, "got 3 lengths for a batch of 4", rnn.pack_padded_sequence, x,
           [3, 2, 1])
    raises(RuntimeError, "length 6 is longer than the input's 5 steps",
           rnn.pack_padded_sequence, x, [6, 2, 1, 1])
    raises(RuntimeError, "lengths must be 1-D, got shape", rnn.pack_padded_sequence, x,
           [[5, 2, 1, 1]])
    raises(TypeError, "lengths must be integers", rnn.pack_padded_sequence, x,
           [5, 2.5, 1, 1])
    raises(RuntimeError, "cannot pack an empty input", rnn.pack_padded_sequence,
           Tensor(np.zeros((0, 2, 3))), [1, 1])
    raises(IndexError, r"input must be \(length, batch, \*\)", rnn.pack_padded_sequence,
           Tensor(np.zeros(4)), [4])
    raises(TypeError, "batch_first must be True or False", rnn.pack_padded_sequence, x,
           SORTED, "yes")
    packed = rnn.pack_padded_sequence(x, SORTED)
    raises(ValueError, r"Expected total_length to be at least .* total_length=4 and max "
           "sequence length being 5", rnn.pad_packed_sequence, packed, total_length=4)
    raises(TypeError, "total_length must be an int", rnn.pad_packed_sequence, packed,
           total_length=6.0)
    raises(TypeError, "pad_packed_sequence: expected a PackedSequence", rnn.pad_packed_sequence,
           x)
    raises(TypeError, "unpack_sequence: expected a PackedSequence", rnn.unpack_sequence, x)
    raises(RuntimeError, "pad_sequence: received an empty list", rnn.pad_sequence, [])
    raises(RuntimeError, r"sequences\[1\] has shape \(3, 4\), sequences\[0\] \(2, 3\)",
           rnn.pad_sequence, [Tensor(np.zeros((2, 3))), Tensor(np.zeros((3, 4)))])
    raises(RuntimeError, r"sequences\[0\] has shape \(\)", rnn.pad_sequence,
           [Tensor(1.0), Tensor(np.zeros(3))])
    raises(RuntimeError, "padding_side to be one of left or right, but got 'middle'",
           rnn.pad_sequence, [x[:, 0]], padding_side="middle")
    raises(RuntimeError, "pad_sequence: expected a list of tensors", rnn.pad_sequence, 3)
    raises(ValueError, "padding_value nan has no int64 value", rnn.pad_sequence,
           [tg.as_tensor([1, 2])], padding_value=float("nan"))
    raises(TypeError, "padding_value must be a number", rnn.pad_sequence, [x[:, 0]],
           padding_value="0")
    raises(RuntimeError, "pack_sequence: every length must be at least 1",
           rnn.pack_sequence, [x[:, 0], x[:0, 1]], enforce_sorted=False)
    raises(ValueError, r"unpad_sequence: lengths \[5, 6, 1, 1\] do not fit",
           rnn.unpad_sequence, x, [5, 6, 1, 1])
    raises(ValueError, "lengths .* do not fit", rnn.unpad_sequence, x, [5, 1])
    raises(ValueError, r"invert_permutation: permutation must be a permutation of 0..2, got "
           r"\[0, 0, 2\]", rnn.invert_permutation, tg.as_tensor([0, 0, 2]))
    raises(ValueError, "batch_sizes .* do not fit data of shape", rnn.PackedSequence,
           packed.data, [4, 4, 4, 4, 4])
    raises(ValueError, "batch_sizes .* positive, non-increasing", rnn.PackedSequence,
           packed.data, [2, 4, 3, 3, 1])
    raises(ValueError, "sorted_indices orders 3 sequences, batch_sizes.0. says 4",
           rnn.PackedSequence, packed.data, packed.batch_sizes, [0, 2, 1])
    raises(TypeError, "give data and batch_sizes", rnn.PackedSequence, packed.data)


def test_recurrent_layers_refuse_packed_batches_that_do_not_fit():
    packed = rnn.pack_padded_sequence(Tensor(PADDED), LENGTHS, enforce_sorted=False)
    raises(ValueError, r"expected a PackedSequence of data \(steps, 2\), got data of shape "
           r"\(14, 3\)", nn.GRU(2, 3), packed)
    raises(ValueError, r"hx of shape \(1, 3, 4\) does not fit .* expected \(1, 4, 4\)",
           nn.RNN(3, 4), packed, Tensor(np.zeros((1, 3, 4))))
    raises(TypeError, "hx must be a tuple", nn.LSTM(3, 4), packed, Tensor(np.zeros((1, 4, 4))))

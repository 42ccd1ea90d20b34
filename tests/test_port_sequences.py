"""Two PyTorch sequence programs ported as written, beside torch 2.13 with the same weights:
a character-level language model (Embedding, a 2-layer batch-first LSTM, Linear,
cross_entropy over (batch, vocab, length), clip_grad_norm_, Adam with StepLR, truncated
BPTT carrying (h, c) detached, greedy generation under no_grad) and a GRU encoder-decoder
with hand-written dot and additive attention (pack_padded_sequence of sources of different
lengths, bmm, masked_fill of the padding with -inf, softmax over the source, cat,
teacher forcing by a fixed schedule, NLLLoss(ignore_index=PAD), SGD with momentum).
Losses and every parameter equal after each step (float64, and float32 kept), and the
outputs in eval mode. Then what the port met and mended: the recurrent layers'
flatten_parameters() and all_weights, cross_entropy's error for classes left on the last
axis, an Embedding's padding row drawn as the one constant row it is.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

TEXT = "the quick brown fox jumps over the lazy dog; "
CHARS = sorted(set(TEXT))
PAD, BOS, EOS = 0, 1, 2
LENGTHS = [5, 3, 4, 2]


def _tolerance(dtype):
    # (float32: Adam's g / (sqrt(v) + eps) magnifies the rounding of a gradient near eps)
    return dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)


def _twins(torch, ours, theirs, dtype):
    """Ours given PyTorch's initial weights (its state_dict, as a user copies it), in dtype."""
    theirs = theirs.double() if dtype == np.float64 else theirs
    ours = ours.float() if dtype == np.float32 else ours
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _same_parameters(ours, theirs, dtype):
    for (name, p), (their_name, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == their_name and p.dtype == dtype
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), err_msg=name,
                                   **_tolerance(dtype))


# ------------------------------------------------------------------ character-level LM


def _char_lm(lib, vocab, width=4, hidden=5):
    class CharLM(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(vocab, width)
            self.lstm = lib.nn.LSTM(width, hidden, num_layers=2, batch_first=True, dropout=0.0)
            self.head = lib.nn.Linear(hidden, vocab)

        def forward(self, x, state=None):
            self.lstm.flatten_parameters()  # (as PyTorch programs call it, for cuDNN)
            out, state = self.lstm(self.embed(x), state)
            return self.head(out), state
    return CharLM()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_char_lstm_language_model_trains_and_generates_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    stoi = {c: i for i, c in enumerate(CHARS)}
    stream = np.array([stoi[c] for c in TEXT], np.int64)[:40].reshape(2, 20)
    model, tmodel = _twins(torch, _char_lm(tg, len(CHARS)), _char_lm(torch, len(CHARS)), dtype)
    opt, topt = tg.optim.Adam(model.parameters(), lr=0.01), \
        torch.optim.Adam(tmodel.parameters(), lr=0.01)
    sched = tg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=2, gamma=0.5)
    state = tstate = None
    chunk = 4
    for step in range(4):  # truncated BPTT: the state carried over, detached
        x, y = stream[:, step * chunk:(step + 1) * chunk], \
            stream[:, step * chunk + 1:(step + 1) * chunk + 1]
        if state is not None:
            state = tuple(s.detach() for s in state)
            tstate = tuple(s.detach() for s in tstate)
        logits, state = model(tg.tensor(x), state)
        tlogits, tstate = tmodel(torch.tensor(x), tstate)
        loss = F.cross_entropy(logits.transpose(1, 2), tg.tensor(y))
        tloss = torch.nn.functional.cross_entropy(tlogits.transpose(1, 2), torch.tensor(y))
        opt.zero_grad()
        topt.zero_grad()
        loss.backward()
        tloss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        tnorm = torch.nn.utils.clip_grad_norm_(tmodel.parameters(), 1.0)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert loss.dtype == dtype
        np.testing.assert_allclose(loss.item(), tloss.item(), **_tolerance(dtype))
        np.testing.assert_allclose(norm.item(), tnorm.item(), **_tolerance(dtype))
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr())
        _same_parameters(model, tmodel, dtype)
    model.eval()
    tmodel.eval()
    prompt = [stoi[c] for c in "the "]
    with tg.no_grad():
        logits, state = model(tg.tensor([prompt]))
        ours = []
        for _ in range(8):
            ours.append(logits[0, -1].argmax().item())
            logits, state = model(tg.tensor([[ours[-1]]]), state)
        assert not logits.requires_grad
        eval_out = model(tg.tensor(stream))[0]
    with torch.no_grad():
        tlogits, tstate = tmodel(torch.tensor([prompt]))
        theirs = []
        for _ in range(8):
            theirs.append(tlogits[0, -1].argmax().item())
            tlogits, tstate = tmodel(torch.tensor([[theirs[-1]]]), tstate)
        teval_out = tmodel(torch.tensor(stream))[0]
    assert ours == theirs
    np.testing.assert_allclose(eval_out.numpy(), teval_out.numpy(), **_tolerance(dtype))


def test_char_lstm_language_model_gradients_pass_gradcheck():
    model = _char_lm(tg, 6, width=3, hidden=2)
    x, y = tg.tensor([[0, 3, 5], [2, 2, 1]]), tg.tensor([[3, 5, 4], [2, 1, 0]])
    state = (tg.randn(2, 2, 2, seed=1, dtype=tg.float64),
             tg.randn(2, 2, 2, seed=2, dtype=tg.float64))
    names = [name for name, _ in model.named_parameters()]

    def loss(h, c, *params):
        logits = tg.func.functional_call(model, dict(zip(names, params)), (x, (h, c)))[0]
        return F.cross_entropy(logits.transpose(1, 2), y)
    inputs = [s.requires_grad_() for s in state] + [p.detach().requires_grad_()
                                                   for p in model.parameters()]
    assert tg.gradcheck(loss, inputs)


# ------------------------------------------------------------------ seq2seq with attention


def _batch():
    rng = np.random.default_rng(0)
    src = np.full((len(LENGTHS), max(LENGTHS)), PAD, np.int64)
    tgt = np.full((len(LENGTHS), max(LENGTHS) + 1), PAD, np.int64)
    for i, n in enumerate(LENGTHS):
        src[i, :n] = rng.integers(3, 9, n)
        tgt[i, :n], tgt[i, n] = src[i, :n][::-1], EOS
    return src, tgt


def _seq2seq(lib, kind, vocab=9, width=4, hidden=5):
    functional = lib.nn.functional
    rnn = lib.nn.utils.rnn

    class Encoder(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(vocab, width, padding_idx=PAD)
            self.rnn = lib.nn.GRU(width, hidden, batch_first=True)

        def forward(self, src, lengths):
            packed = rnn.pack_padded_sequence(self.embed(src), lengths, batch_first=True,
                                              enforce_sorted=False)
            out, h = self.rnn(packed)
            out, _ = rnn.pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
            return out, h[0]

    class Decoder(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(vocab, width, padding_idx=PAD)
            self.keys = lib.nn.Linear(hidden, hidden, bias=False)
            self.query = lib.nn.Linear(hidden, hidden)
            self.energy = lib.nn.Linear(hidden, 1, bias=False)
            self.cell = lib.nn.GRUCell(hidden + width, hidden)
            self.out = lib.nn.Linear(2 * hidden, vocab)

        def forward(self, token, h, enc, pad_mask):
            if kind == "dot":
                scores = lib.bmm(enc, h.unsqueeze(2)).squeeze(2)
            else:  # Bahdanau's additive score
                scores = self.energy(lib.tanh(self.keys(enc) + self.query(h).unsqueeze(1)))
                scores = scores.squeeze(2)
            attention = functional.softmax(scores.masked_fill(pad_mask, float("-inf")), dim=1)
            context = lib.bmm(attention.unsqueeze(1), enc).squeeze(1)
            h = self.cell(lib.cat([context, self.embed(token)], dim=1), h)
            return functional.log_softmax(self.out(lib.cat([h, context], dim=1)), dim=-1), h

    class Seq2Seq(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = Encoder(), Decoder()

        def forward(self, src, lengths, tgt, forcing):
            enc, h = self.encoder(src, lengths)
            token = lib.full((src.shape[0],), BOS, dtype=lib.int64)
            outputs = []
            for t in range(tgt.shape[1]):
                log_p, h = self.decoder(token, h, enc, src == PAD)
                outputs.append(log_p)
                token = tgt[:, t] if forcing[t] else log_p.argmax(dim=1).detach()
            return lib.stack(outputs, dim=1)
    return Seq2Seq()


@pytest.mark.parametrize("kind", ["dot", "additive"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_seq2seq_gru_with_attention_trains_as_torchs(dtype, kind):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    src, tgt = _batch()
    forcing = [True, False, True, True, False, True]  # teacher forcing, a fixed schedule
    model, tmodel = _twins(torch, _seq2seq(tg, kind), _seq2seq(torch, kind), dtype)
    criterion, tcriterion = nn.NLLLoss(ignore_index=PAD), torch.nn.NLLLoss(ignore_index=PAD)
    opt = tg.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.5, momentum=0.9)
    ours, theirs = (tg.tensor(src), tg.tensor(LENGTHS), tg.tensor(tgt)), \
        (torch.tensor(src), torch.tensor(LENGTHS), torch.tensor(tgt))
    for _ in range(3):
        out, tout = model(*ours, forcing), tmodel(*theirs, forcing)
        loss = criterion(out.reshape(-1, out.shape[-1]), ours[2].reshape(-1))
        tloss = tcriterion(tout.reshape(-1, tout.shape[-1]), theirs[2].reshape(-1))
        per_position = criterion(out.permute(0, 2, 1), ours[2])  # the (N, C, d1) form
        np.testing.assert_allclose(per_position.item(), loss.item(), **_tolerance(dtype))
        opt.zero_grad()
        topt.zero_grad()
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        assert loss.dtype == dtype
        np.testing.assert_allclose(loss.item(), tloss.item(), **_tolerance(dtype))
        _same_parameters(model, tmodel, dtype)
    model.eval()
    tmodel.eval()
    with tg.no_grad():
        greedy = model(*ours, [False] * tgt.shape[1])
    with torch.no_grad():
        tgreedy = tmodel(*theirs, [False] * tgt.shape[1])
    np.testing.assert_allclose(greedy.numpy(), tgreedy.numpy(), **_tolerance(dtype))


def test_attention_decoder_step_passes_gradcheck_with_padding_masked():
    model = _seq2seq(tg, "additive", hidden=3)
    src, tgt = _batch()
    names = [name for name, _ in model.decoder.named_parameters()]
    enc = tg.randn(4, 5, 3, seed=0, dtype=tg.float64)
    mask = tg.tensor(src == PAD)

    def loss(enc, h, *params):
        log_p, h = tg.func.functional_call(model.decoder, dict(zip(names, params)),
                                           (tg.tensor(tgt[:, 0]), h, enc, mask))
        return nn.NLLLoss(ignore_index=PAD)(log_p, tg.tensor(tgt[:, 1])) + h.sum()
    inputs = [enc.requires_grad_(), tg.randn(4, 3, seed=1, dtype=tg.float64).requires_grad_()]
    inputs += [p.detach().requires_grad_() for p in model.decoder.parameters()]
    assert tg.gradcheck(loss, inputs)


# ------------------------------------------------------------------ what the port mended


@pytest.mark.parametrize("layer", [nn.LSTM, nn.GRU, nn.RNN])
def test_recurrent_layers_take_flatten_parameters_and_list_all_weights(layer):
    module = layer(3, 4, num_layers=2, bidirectional=True)
    assert module.flatten_parameters() is None
    names = [[n for n, p in module.named_parameters() if any(p is w for w in weights)]
             for weights in module.all_weights]
    assert names == [[f"{w}{s}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
                     for s in ("_l0", "_l0_reverse", "_l1", "_l1_reverse")]


@pytest.mark.parametrize("options", [dict(num_layers=2), dict(bias=False, bidirectional=True),
                                     dict(proj_size=2)])
def test_lstm_all_weights_are_torchs(options):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LSTM(3, 4, **options).double()
    ours = nn.LSTM(3, 4, **options)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert [len(w) for w in ours.all_weights] == [len(w) for w in theirs.all_weights]
    for mine, its in zip(ours.all_weights, theirs.all_weights):
        for a, b in zip(mine, its):
            np.testing.assert_array_equal(a.numpy(), b.detach().numpy())


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("shape, move", [((2, 7, 5), "transpose(1, 2)"),
                                         ((2, 3, 4, 5), "movedim(-1, 1)")])
def test_class_losses_with_the_classes_left_last_say_to_move_them(loss, shape, move):
    logits = tg.zeros(*shape)
    with pytest.raises(ValueError, match=re.escape(
            f"got shape {shape[:-1]}; if the classes are the last axis, move them to axis 1: "
            f"input.{move}")) as info:
        loss(logits, tg.zeros(*shape[:-1], dtype=tg.int64))
    assert loss.__name__ in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ValueError) as info:  # another shape: no such hint
        loss(logits, tg.zeros(2, 9, dtype=tg.int64))
    assert "last axis" not in str(info.value)


def test_classes_moved_to_axis_one_as_the_error_says_match_torch():
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(0).standard_normal((2, 7, 5))
    target = np.random.default_rng(1).integers(0, 5, (2, 7))
    x, tx = tg.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x.transpose(1, 2), tg.tensor(target))
    tloss = torch.nn.functional.cross_entropy(tx.transpose(1, 2), torch.tensor(target))
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_embedding_padding_row_is_drawn_as_the_one_constant_row_it_is():
    embedding = nn.Embedding(5, 3, padding_idx=-1)
    loss = embedding(tg.tensor([[4, 2, 3], [1, 4, 4]])).sum()
    source = tg.draw_graph(loss, model=embedding).source
    # (one row of the weight, the padding_idx's, not every looked-up row called padding)
    assert "weight[4&#93; (padding_idx)</B>&#160;(3,)" in source
    assert "(2, 3, 3)<BR/>data" not in source.split("padding_idx")[1].split("\n")[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_with_padding_idx_values_and_gradients_are_torchs(dtype):
    torch = pytest.importorskip("torch")
    weight = np.random.default_rng(0).standard_normal((5, 3)).astype(dtype)
    index = np.array([[0, 2, 0], [4, 0, 1]])
    w, tw = tg.tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    out = F.embedding(tg.tensor(index), w, padding_idx=0)
    tout = torch.nn.functional.embedding(torch.tensor(index), tw, padding_idx=0)
    scale = np.arange(18.0).reshape(2, 3, 3).astype(dtype)
    (out * tg.tensor(scale)).sum().backward()
    (tout * torch.tensor(scale)).sum().backward()
    assert out.dtype == dtype and w.grad.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(w.grad.numpy(), tw.grad.numpy())
    # (the padding row is looked up but gets no gradient, by design: finite differences
    # see it, so the check looks up the other rows only)
    others = tg.tensor([[4, 2, 3], [1, 4, 4]])
    assert tg.gradcheck(lambda w: F.embedding(others, w, padding_idx=0) ** 2,
                        [tg.tensor(weight.astype(np.float64), requires_grad=True)])


def test_embedding_with_padding_idx_of_no_lookups_and_of_every_lookup():
    weight = tg.randn(4, 2, seed=0, dtype=tg.float64, requires_grad=True)
    empty = F.embedding(tg.tensor(np.zeros((0, 3), np.int64)), weight, padding_idx=1)
    assert empty.shape == (0, 3, 2)
    padded = F.embedding(tg.tensor([1, 1]), weight, padding_idx=1)
    padded.sum().backward()
    np.testing.assert_array_equal(padded.numpy(), weight.numpy()[[1, 1]])
    assert not weight.grad.numpy().any()

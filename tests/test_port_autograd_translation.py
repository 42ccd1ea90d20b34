"""Two PyTorch pages ported as a user would, beside torch 2.13: the autograd mechanics notes
(freezing with requires_grad_, no_grad / enable_grad / set_grad_enabled / inference_mode,
retain_grad and a non-leaf's .grad, tensor hooks, backward(gradient=...), autograd.grad
twice with retain_graph, anomaly mode, is_leaf / grad_fn, detach sharing, requires_grad
propagation, model.eval() against no_grad, the in-place correctness check, backward in two
threads) and "Language Translation with nn.Transformer" (PositionalEncoding, TokenEmbedding,
Seq2SeqTransformer, the masks, a training step with CrossEntropyLoss(ignore_index=PAD_IDX)
and Adam(betas=(0.9, 0.98), eps=1e-9), greedy_decode) on made-up vocabularies.

Each check is written once as a function of the library (`lib` is `tg` or `torch`): the
tutorial's code ran on tinygrad_gd unchanged, so one text serves both, and the results are
compared value by value (float64, and float32 kept).
"""
from __future__ import annotations

import math
import threading
import types
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor:UserWarning",
                                        "ignore:Error detected in:UserWarning")


def _both(check):
    """`check(lib)` for tinygrad_gd and for torch, as NumPy values."""
    torch = pytest.importorskip("torch")
    return [_plain(check(lib)) for lib in (tg, torch)]


def _plain(value):
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "detach"):
        return np.asarray(value.detach().numpy())
    return value


def _same(ours, theirs):
    if isinstance(ours, (list, dict)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for k in range(len(ours)) if isinstance(ours, list) else ours:
            _same(ours[k], theirs[k])
    elif isinstance(ours, np.ndarray) or isinstance(theirs, np.ndarray):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    else:
        assert ours == theirs


# ---- the autograd mechanics notes ------------------------------------------------------------

def _flags(lib):
    x = lib.tensor([1., 2., 3.], dtype=lib.float64, requires_grad=True)
    c = lib.tensor([4., 5., 6.], dtype=lib.float64)
    y = x * c
    return [y.requires_grad, y.is_leaf, x.is_leaf, c.is_leaf, (c * 2).requires_grad,
            y.grad_fn is not None, x.grad_fn is None, y.detach().requires_grad]


def _grad_modes(lib):
    x = lib.ones(3, dtype=lib.float64, requires_grad=True)
    with lib.no_grad():
        y = x * 2
        with lib.enable_grad():
            z = x * 2
    with lib.set_grad_enabled(False):
        w = x * 2
    lib.set_grad_enabled(False)  # as a function: this thread's mode until switched back
    u = x * 2
    off = lib.is_grad_enabled()
    lib.set_grad_enabled(True)
    with lib.inference_mode():
        q = x * 2

    @lib.no_grad()
    def doubled(a):
        return a * 2
    return [y.requires_grad, z.requires_grad, w.requires_grad, u.requires_grad, off,
            q.requires_grad, doubled(x).requires_grad, lib.is_grad_enabled()]


def _retain_and_hooks(lib):
    x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
    seen = []
    y = x * 3
    y.retain_grad()
    handle = y.register_hook(lambda g: g * 2)  # modifies the gradient flowing on
    y.register_hook(lambda g: seen.append(g.sum().item()))  # returns None: only looks
    x.register_hook(lambda g: seen.append(g.sum().item()))
    (y * y).sum().backward()
    handle.remove()
    return [x.grad, y.grad, seen, y.retains_grad]


def _gradient_argument_and_grad_twice(lib):
    x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
    (x * x).backward(gradient=lib.tensor([1., 0.1], dtype=lib.float64))
    first = x.grad
    v = lib.tensor([0.5, -1.5], dtype=lib.float64, requires_grad=True)
    y = (v ** 3).sum()
    a = lib.autograd.grad(y, v, retain_graph=True)
    b = lib.autograd.grad(y, [v])
    return [first, a, b, v.grad is None]


def _freeze(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Dropout(0.5)).double()
    model.eval()  # eval changes what dropout does (here: nothing); the graph is still recorded
    model[0].weight.requires_grad_(False)  # frozen: no gradient kept for it
    model(lib.ones(1, 3, dtype=lib.float64)).sum().backward()
    frozen = [model[0].weight.grad is None, model[0].bias.grad]
    model.requires_grad_(True)
    y = model(lib.ones(1, 3, dtype=lib.float64))
    with lib.no_grad():
        z = model(lib.ones(1, 3, dtype=lib.float64))
    return frozen + [model[0].weight.requires_grad, y.requires_grad, z.requires_grad,
                     model.training]


def _detach_shares(lib):
    x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
    d = x.detach()
    with lib.no_grad():
        x.mul_(2)
    return [d, d.requires_grad, d.is_leaf]


def _in_threads(target, arguments):
    threads = [threading.Thread(target=target, args=(i,)) for i in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _two_threads(lib):
    grads = {}

    def train(i):  # each thread its own graph, as in the notes
        x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
        (x * (i + 1)).pow(2).sum().backward()
        grads[i] = x.grad
    _in_threads(train, range(2))
    shared = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)

    def accumulate(i):  # one leaf, several threads: the gradients add up
        (shared * (i + 1)).pow(2).sum().backward()
    _in_threads(accumulate, range(4))
    return [grads, shared.grad]


def _fine_tune_the_last_layer(lib):
    """The notes' finetuning: every flag off by assignment, a new last layer, SGD on it."""
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU()).double()
    for param in model.parameters():
        param.requires_grad = False
    model.fc = lib.nn.Linear(4, 2).double()  # new: requires_grad=True by default
    # (state_dict values: NumPy arrays in tinygrad_gd, documented; both have .shape)
    model.load_state_dict({k: lib.tensor(np.arange(np.prod(v.shape)).reshape(v.shape) / 10
                                         - 0.5) for k, v in model.state_dict().items()})
    optimizer = lib.optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        hidden = model[1](model[0](x))
        loss = model.fc(hidden).pow(2).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return [losses, hidden.requires_grad, [p.requires_grad for p in model.parameters()],
            model[0].weight.grad is None, dict(model.state_dict())]


def _notes_threads(lib):
    """The notes' train_fn in ten threads, and a graph shared by two: the second backward
    through the shared part is refused, as a second backward without retain_graph."""
    sums = []

    def train_fn(i):
        x = lib.ones(5, 5, dtype=lib.float64, requires_grad=True)
        y = (x + 3) * (x + 4) * 0.5
        y.sum().backward()
        sums.append(x.grad.sum().item())
    _in_threads(train_fn, range(10))
    x = lib.ones(3, dtype=lib.float64, requires_grad=True)
    shared = x.exp()
    refused = []

    def second_part(i):
        try:
            (shared * (i + 1)).sum().backward()
        except RuntimeError as error:
            refused.append(i if "retain_graph=True" in str(error) else str(error))
    for i in range(2):  # (one after another: which one is refused is then fixed)
        _in_threads(second_part, [i])
    return [sums, refused, x.grad]


@pytest.mark.parametrize("check", [_flags, _grad_modes, _retain_and_hooks,
                                   _gradient_argument_and_grad_twice, _freeze,
                                   _detach_shares, _two_threads,
                                   _fine_tune_the_last_layer, _notes_threads])
def test_autograd_notes_as_torch(check):
    ours, theirs = _both(check)
    _same(ours, theirs)


def _nonleaf_grad_warns(lib):
    x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
    y = x * 3
    (y * y).sum().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grad = y.grad
    return grad, [str(w.message) for w in caught]


def test_a_non_leafs_grad_is_none_with_a_warning_as_torch():
    (ours, ours_said), (theirs, theirs_said) = _both(_nonleaf_grad_warns)
    assert ours is None and theirs is None
    assert len(ours_said) == 1 and len(theirs_said) == 1
    assert "retain_grad" in ours_said[0] and "mul" in ours_said[0]


def _raised(lib, action):
    try:
        action(lib)
    except Exception as error:  # noqa: BLE001  (the type is what is compared)
        return error
    return None


def _second_backward(lib):
    x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
    y = x.exp().sum()
    lib.autograd.grad(y, x)
    y.backward()


def _no_gradient_for_a_vector(lib):
    x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
    (x * x).backward()


def _flag_of_a_non_leaf(lib):
    x = lib.ones(2, dtype=lib.float64, requires_grad=True)
    (x * 2).requires_grad_(False)


def _in_place_into_a_leaf(lib):
    lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True).add_(1)


def _saved_output_changed(lib):
    a = lib.tensor([1., 2., 3.], dtype=lib.float64, requires_grad=True)
    b = a.sigmoid()  # sigmoid saves its output for backward
    b.mul_(2)
    b.sum().backward()


def _nan_in_backward(lib):
    x = lib.tensor([0., 1.], dtype=lib.float64, requires_grad=True)
    with lib.autograd.set_detect_anomaly(True):
        (x.sqrt() * 0).sum().backward()  # 0 * inf: NaN in sqrt's backward


def _integer_requires_grad(lib):
    lib.tensor([1, 2]).requires_grad_()


@pytest.mark.parametrize("action, words", [
    (_second_backward, ["second time", "retain_graph=True"]),
    (_no_gradient_for_a_vector, ["gradient", "sum()"]),
    (_flag_of_a_non_leaf, ["leaf", "detach()"]),
    (_in_place_into_a_leaf, ["leaf", "no_grad"]),
    # both refuse at backward (torch's version counter; the write clock here)
    (_saved_output_changed, ["sigmoid", "changed in place", "mul_", "y.clone()"]),
    (_nan_in_backward, ["sqrt", "NaN", "_nan_in_backward"]),  # (the op's line is named)
])
def test_autograd_refusals_as_torch(action, words):
    ours, theirs = _both(lambda lib: _raised(lib, action))
    assert isinstance(theirs, RuntimeError)
    assert isinstance(ours, RuntimeError), ours
    assert all(w in str(ours) for w in words), str(ours)


def test_integer_tensors_cannot_require_grad():
    ours, theirs = _both(lambda lib: _raised(lib, _integer_requires_grad))
    assert isinstance(theirs, RuntimeError)
    # FINDING 3: ours is a TypeError (torch: RuntimeError); either passes here
    assert isinstance(ours, (TypeError, RuntimeError)) and "floating" in str(ours)


# ---- Language Translation with nn.Transformer -------------------------------------------------

PAD_IDX, BOS_IDX, EOS_IDX = 1, 2, 3


def _translation_program(lib):
    """The tutorial's code, word for word but for `lib` in place of `torch`."""
    nn = lib.nn

    class PositionalEncoding(nn.Module):
        def __init__(self, emb_size, dropout, maxlen=5000):
            super().__init__()
            den = lib.exp(- lib.arange(0, emb_size, 2) * math.log(10000) / emb_size)
            pos = lib.arange(0, maxlen).reshape(maxlen, 1)
            pos_embedding = lib.zeros((maxlen, emb_size))
            pos_embedding[:, 0::2] = lib.sin(pos * den)
            pos_embedding[:, 1::2] = lib.cos(pos * den)
            pos_embedding = pos_embedding.unsqueeze(-2)
            self.dropout = nn.Dropout(dropout)
            self.register_buffer('pos_embedding', pos_embedding)

        def forward(self, token_embedding):
            return self.dropout(token_embedding
                                + self.pos_embedding[:token_embedding.size(0), :])

    class TokenEmbedding(nn.Module):
        def __init__(self, vocab_size, emb_size):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, emb_size)
            self.emb_size = emb_size

        def forward(self, tokens):
            return self.embedding(tokens.long()) * math.sqrt(self.emb_size)

    class Seq2SeqTransformer(nn.Module):
        def __init__(self, num_encoder_layers, num_decoder_layers, emb_size, nhead,
                     src_vocab_size, tgt_vocab_size, dim_feedforward=512, dropout=0.1):
            super().__init__()
            self.transformer = nn.Transformer(
                d_model=emb_size, nhead=nhead, num_encoder_layers=num_encoder_layers,
                num_decoder_layers=num_decoder_layers, dim_feedforward=dim_feedforward,
                dropout=dropout)
            self.generator = nn.Linear(emb_size, tgt_vocab_size)
            self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
            self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
            self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout)

        def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                    memory_key_padding_mask):
            src_emb = self.positional_encoding(self.src_tok_emb(src))
            tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
            outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None,
                                    src_padding_mask, tgt_padding_mask,
                                    memory_key_padding_mask)
            return self.generator(outs)

        def encode(self, src, src_mask):
            return self.transformer.encoder(
                self.positional_encoding(self.src_tok_emb(src)), src_mask)

        def decode(self, tgt, memory, tgt_mask):
            return self.transformer.decoder(
                self.positional_encoding(self.tgt_tok_emb(tgt)), memory, tgt_mask)

    def generate_square_subsequent_mask(sz):
        mask = (lib.triu(lib.ones((sz, sz))) == 1).transpose(0, 1)
        return mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(
            mask == 1, float(0.0))

    def create_mask(src, tgt):
        tgt_mask = generate_square_subsequent_mask(tgt.shape[0])
        src_mask = lib.zeros((src.shape[0], src.shape[0])).type(lib.bool)
        src_padding_mask = (src == PAD_IDX).transpose(0, 1)
        tgt_padding_mask = (tgt == PAD_IDX).transpose(0, 1)
        return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask

    def train_step(model, optimizer, loss_fn, src, tgt):
        model.train()
        tgt_input = tgt[:-1, :]
        src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
        logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask,
                       tgt_padding_mask, src_padding_mask)
        optimizer.zero_grad()
        tgt_out = tgt[1:, :]
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss.item()

    def greedy_decode(model, src, src_mask, max_len, start_symbol):
        memory = model.encode(src, src_mask)
        ys = lib.ones(1, 1).fill_(start_symbol).type(lib.long)
        for i in range(max_len - 1):
            tgt_mask = (generate_square_subsequent_mask(ys.size(0)).type(lib.bool))
            out = model.decode(ys, memory, tgt_mask)
            out = out.transpose(0, 1)
            prob = model.generator(out[:, -1])
            _, next_word = lib.max(prob, dim=1)
            next_word = next_word.item()
            # (src.data: a NumPy array in tinygrad_gd, documented; type_as takes it)
            ys = lib.cat([ys, lib.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
            if next_word == EOS_IDX:
                break
        return ys

    return types.SimpleNamespace(**locals())


def _sentences(rng, vocab, length, batch):
    """BOS, words, EOS, then padding: (length, batch), batch_first=False as the tutorial."""
    x = rng.integers(4, vocab, size=(length, batch))
    x[0] = BOS_IDX
    for b in range(batch):
        n = rng.integers(3, length)
        x[n, b] = EOS_IDX
        x[n + 1:, b] = PAD_IDX
    return x


# atol of a parameter: Adam's g / sqrt(v) turns a float32 rounding of a gradient near 0 into
# a step's difference of a fraction of lr (1e-4), whatever the precision of the rest
@pytest.mark.parametrize("dtype, rtol, atol", [("float64", 1e-10, 1e-12),
                                               ("float32", 2e-5, 2e-5)])
def test_translation_transformer_as_torch(dtype, rtol, atol):
    torch = pytest.importorskip("torch")
    ours, theirs = _translation_program(tg), _translation_program(torch)
    torch.manual_seed(0)
    tmodel = theirs.Seq2SeqTransformer(2, 2, 16, 2, 11, 13, dim_feedforward=32, dropout=0.0)
    for p in tmodel.parameters():
        if p.dim() > 1:
            torch.nn.init.xavier_uniform_(p)
    tmodel.to(getattr(torch, dtype))
    model = ours.Seq2SeqTransformer(2, 2, 16, 2, 11, 13, dim_feedforward=32, dropout=0.0)
    model.to(getattr(tg, dtype))
    model.load_state_dict({k: v.detach().numpy() for k, v in tmodel.state_dict().items()})
    loss_fn = tg.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
    tloss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
    optimizer = tg.optim.Adam(model.parameters(), lr=0.0001, betas=(0.9, 0.98), eps=1e-9)
    toptimizer = torch.optim.Adam(tmodel.parameters(), lr=0.0001, betas=(0.9, 0.98),
                                  eps=1e-9)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():  # (both warn of the bool padding and float causal masks)
        warnings.simplefilter("ignore", UserWarning)
        for step in range(3):
            src, tgt = _sentences(rng, 11, 7, 3), _sentences(rng, 13, 8, 3)
            loss = ours.train_step(model, optimizer, loss_fn, tg.tensor(src), tg.tensor(tgt))
            tloss = theirs.train_step(tmodel, toptimizer, tloss_fn, torch.tensor(src),
                                      torch.tensor(tgt))
            assert loss == pytest.approx(tloss, rel=rtol)
            mine = model.state_dict()
            for name, value in tmodel.state_dict().items():
                value = value.detach().numpy()
                assert mine[name].dtype == value.dtype, name
                if name.endswith("in_proj_bias"):
                    # the keys' bias has gradient 0 in exact arithmetic (softmax ignores a
                    # shift); both libraries' ~1e-18 rounding, through Adam's g/sqrt(v),
                    # moves it by up to lr a step: only its queries' and values' thirds
                    # are compared, the keys' within lr * steps
                    third = len(value) // 3
                    keys = slice(third, 2 * third)
                    assert np.abs(mine[name][keys] - value[keys]).max() <= 2e-4 * (step + 1)
                    mine_qv, value = np.delete(mine[name], keys), np.delete(value, keys)
                else:
                    mine_qv = mine[name]
                np.testing.assert_allclose(mine_qv, value, rtol=rtol, atol=atol,
                                           err_msg=name)
        model.eval()
        tmodel.eval()
        src, tgt = _sentences(rng, 11, 6, 2), _sentences(rng, 13, 6, 2)
        masks = ours.create_mask(tg.tensor(src), tg.tensor(tgt[:-1]))
        tmasks = theirs.create_mask(torch.tensor(src), torch.tensor(tgt[:-1]))
        with tg.no_grad():
            logits = model(tg.tensor(src), tg.tensor(tgt[:-1]), *masks, masks[2])
        with torch.no_grad():
            tlogits = tmodel(torch.tensor(src), torch.tensor(tgt[:-1]), *tmasks, tmasks[2])
        np.testing.assert_allclose(logits.numpy(), tlogits.numpy(), rtol=rtol * 10,
                                   atol=rtol)
        for seed in range(3):
            src = _sentences(np.random.default_rng(seed), 11, 6, 1)
            with tg.no_grad():
                ys = ours.greedy_decode(model, tg.tensor(src), tg.zeros(6, 6).bool(), 8,
                                        BOS_IDX)
            with torch.no_grad():
                tys = theirs.greedy_decode(tmodel, torch.tensor(src),
                                           torch.zeros(6, 6).bool(), 8, BOS_IDX)
            assert ys.numpy().tolist() == tys.numpy().tolist()


def test_translation_masks_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _translation_program(tg), _translation_program(torch)
    src = _sentences(np.random.default_rng(1), 11, 5, 3)
    for a, b in zip(ours.create_mask(tg.tensor(src), tg.tensor(src)),
                    theirs.create_mask(torch.tensor(src), torch.tensor(src))):
        assert a.numpy().dtype.kind == b.numpy().dtype.kind
        np.testing.assert_array_equal(a.numpy(), b.numpy())

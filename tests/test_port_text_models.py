"""Four PyTorch text and distillation tutorials ported as a user would, beside torch 2.13 with
the same weights, data and order: "Language Modeling with nn.Transformer" (PositionalEncoding
as a registered buffer, TransformerEncoder, the causal mask, batchify/get_batch, SGD with
StepLR, clip_grad_norm_(0.5), perplexity), "Text classification with the torchtext library"
(EmbeddingBag with offsets, collate_batch, a map-style dataset split by random_split's
indices, clip_grad_norm_(0.1), accuracy), "Generating Names with a Character-Level RNN"
(i2h/i2o/o2o, NLLLoss summed over a name, the manual update, greedy sampling with topk) and
the "Knowledge Distillation Tutorial" (teacher and student CNNs; the soft-target loss, the
cosine loss of avg_pool1d'ed hidden representations, the regressor's MSE). Losses and every
parameter equal after each step (float64, and float32 kept), and the outputs in eval mode.

Each run sets both libraries' default dtype to the run's, so the tutorials' own
`zeros(1, hidden)` and layers need no casts. Where tinygrad_gd spells a thing differently the
port says so in a comment: a documented difference (`.data` is a NumPy array), or a
`# FINDING n:` (each mended since; the tests at the end show each, beside PyTorch).
"""
from __future__ import annotations

import contextlib
import math
import re
import string

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F


def _tolerance(dtype):
    return dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)


@contextlib.contextmanager
def _default_dtype(torch, dtype):
    """Both libraries' default dtype set to dtype for the run (torch's is float32, ours
    float64), restored after."""
    torch_before, ours_before = torch.get_default_dtype(), tg.get_default_dtype()
    torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)
    tg.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(torch_before)
        tg.set_default_dtype(ours_before)


def _load(ours, theirs):
    """PyTorch's initial weights into ours, as a user copies them (its state_dict)."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours


def _snapshot(model):
    return {name: p.detach().numpy().copy() for name, p in model.named_parameters()}


def _same_records(ours, theirs, dtype):
    """Two runs' records equal: numbers within the tolerance, dicts of parameters name by
    name, strings and lists exactly."""
    assert len(ours) == len(theirs)
    for mine, its in zip(ours, theirs):
        if isinstance(mine, dict):
            assert list(mine) == list(its)
            for name in mine:
                assert mine[name].dtype == dtype, name
                np.testing.assert_allclose(mine[name], its[name], err_msg=name,
                                           **_tolerance(dtype))
        elif isinstance(mine, (str, list)):
            assert mine == its
        else:
            np.testing.assert_allclose(mine, its, **_tolerance(dtype))


def _init_uniform(lib, torch, initrange, *weights_then_bias):
    """The tutorials' init_weights: `w.data.uniform_(-r, r)` for each weight, `b.data.zero_()`
    for the last."""
    *weights, bias = weights_then_bias
    if lib is torch:
        for weight in weights:
            weight.data.uniform_(-initrange, initrange)
        bias.data.zero_()
        return
    with tg.no_grad():  # (documented: .data is a NumPy array; the tensor itself, in no_grad)
        for weight in weights:
            weight.uniform_(-initrange, initrange)
        bias.zero_()


# ------------------------------------------------------------------ nn.Transformer language model

NTOKENS, EMSIZE, D_HID, NLAYERS, NHEAD, BPTT = 50, 16, 32, 2, 2, 7


def _transformer_lm(lib, torch, ntoken=NTOKENS, d_model=EMSIZE, nhead=NHEAD, d_hid=D_HID,
                    nlayers=NLAYERS, dropout=0.0):
    n = lib.nn

    class PositionalEncoding(n.Module):
        def __init__(self, d_model, dropout=0.1, max_len=5000):
            super().__init__()
            self.dropout = n.Dropout(p=dropout)
            position = lib.arange(max_len).unsqueeze(1)
            div_term = lib.exp(lib.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
            pe = lib.zeros(max_len, 1, d_model)
            pe[:, 0, 0::2] = lib.sin(position * div_term)
            pe[:, 0, 1::2] = lib.cos(position * div_term)
            self.register_buffer('pe', pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0)]
            return self.dropout(x)

    class TransformerModel(n.Module):
        def __init__(self):
            super().__init__()
            self.model_type = 'Transformer'
            self.pos_encoder = PositionalEncoding(d_model, dropout)
            encoder_layers = n.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
            self.transformer_encoder = n.TransformerEncoder(encoder_layers, nlayers)
            self.embedding = n.Embedding(ntoken, d_model)
            self.d_model = d_model
            self.linear = n.Linear(d_model, ntoken)
            self.init_weights()

        def init_weights(self):
            _init_uniform(lib, torch, 0.1, self.embedding.weight, self.linear.weight,
                          self.linear.bias)

        def forward(self, src, src_mask=None):
            src = self.embedding(src) * math.sqrt(self.d_model)
            src = self.pos_encoder(src)
            output = self.transformer_encoder(src, src_mask)
            output = self.linear(output)
            return output
    return TransformerModel()


def _batchify(data, bsz):
    seq_len = data.size(0) // bsz
    data = data[:seq_len * bsz]
    data = data.view(bsz, seq_len).t().contiguous()
    return data


def _get_batch(source, i):
    seq_len = min(BPTT, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].reshape(-1)
    return data, target


def _language_model_run(lib, model, stream, dtype):
    """The tutorial's train() for one epoch and evaluate(), recording as it goes."""
    train_data = _batchify(lib.tensor(stream), 4)
    val_data = _batchify(lib.tensor(stream[:60]), 2)
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=5.0)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
    record = []
    model.train()
    for batch, i in enumerate(range(0, train_data.size(0) - 1, BPTT)):
        data, targets = _get_batch(train_data, i)
        src_mask = lib.nn.Transformer.generate_square_subsequent_mask(
            data.size(0), dtype=lib.float64 if dtype == np.float64 else lib.float32)
        output = model(data, src_mask)
        output_flat = output.view(-1, NTOKENS)
        loss = criterion(output_flat, targets)
        optimizer.zero_grad()
        loss.backward()
        norm = lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        scheduler.step()  # (per batch here, where the tutorial's epochs step it: one epoch)
        assert loss.dtype == output.dtype == (lib.float64 if dtype == np.float64
                                              else lib.float32)
        record += [loss.item(), norm.item(), scheduler.get_last_lr()[0], _snapshot(model)]
    model.eval()
    total_loss = 0.
    with lib.no_grad():
        for i in range(0, val_data.size(0) - 1, BPTT):
            data, targets = _get_batch(val_data, i)
            seq_len = data.size(0)
            output = model(data)
            total_loss += seq_len * criterion(output.view(-1, NTOKENS), targets).item()
        record.append(model(val_data).numpy())
    val_loss = total_loss / (len(val_data) - 1)
    return record + [val_loss, math.exp(val_loss)]


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # (torch's, batch_first)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transformer_language_model_trains_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    stream = np.random.default_rng(0).integers(0, NTOKENS, 200)
    with _default_dtype(torch, dtype):
        torch.manual_seed(0)
        theirs = _transformer_lm(torch, torch)
        ours = _load(_transformer_lm(tg, torch), theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())  # (pe, a buffer, too)
        _same_records(_language_model_run(tg, ours, stream, dtype),
                      _language_model_run(torch, theirs, stream, dtype), dtype)


def test_transformer_language_model_passes_gradcheck():
    model = _transformer_lm(tg, None, ntoken=7, d_model=4, nhead=2, d_hid=6, nlayers=1)
    names = [name for name, _ in model.named_parameters()]
    data, targets = tg.tensor([[1, 5], [2, 0], [6, 3]]), tg.tensor([2, 0, 6, 3, 4, 4])
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    chosen = ("embedding.weight", "transformer_encoder.layers.0.self_attn.in_proj_weight",
              "transformer_encoder.layers.0.linear1.bias", "linear.weight")
    fixed = {name: p.detach() for name, p in model.named_parameters() if name not in chosen}

    def loss(*params):
        weights = {**fixed, **dict(zip(chosen, params))}
        output = tg.func.functional_call(model, weights, (data, mask))
        return F.cross_entropy(output.view(-1, 7), targets)
    params = dict(model.named_parameters())
    assert set(chosen) <= set(names)
    assert tg.gradcheck(loss, [params[name].detach().requires_grad_() for name in chosen])


# ------------------------------------------------------------------ EmbeddingBag text classifier

WORDS = ("the a ball team game win market stock price bank space rocket chip data vote war "
         "minister election goal score").split()
VOCAB = {word: i for i, word in enumerate(["<unk>"] + WORDS)}


def _news():
    """(label, text) pairs in AG_NEWS's form: labels 1 to 4, texts of 1 to 7 words."""
    rng = np.random.default_rng(1)
    items = []
    for _ in range(40):
        label = int(rng.integers(1, 5))
        words = [WORDS[(label - 1) * 4 + int(k)] if rng.random() < 0.6
                 else WORDS[int(rng.integers(0, len(WORDS)))]
                 for k in rng.integers(0, 4, int(rng.integers(1, 8)))]
        items.append((label, " ".join(words)))
    return items


def text_pipeline(x):
    return [VOCAB.get(token, 0) for token in x.split()]


def label_pipeline(x):
    return int(x) - 1


def _text_classifier(lib, torch, vocab_size=len(VOCAB), embed_dim=8, num_class=4):
    class TextClassificationModel(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = lib.nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = lib.nn.Linear(embed_dim, num_class)
            self.init_weights()

        def init_weights(self):
            _init_uniform(lib, torch, 0.5, self.embedding.weight, self.fc.weight, self.fc.bias)

        def forward(self, text, offsets):
            embedded = self.embedding(text, offsets)
            return self.fc(embedded)
    return TextClassificationModel()


def _collate(lib):
    def collate_batch(batch):
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(label_pipeline(_label))
            processed_text = lib.tensor(text_pipeline(_text), dtype=lib.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = lib.tensor(label_list, dtype=lib.int64)
        offsets = lib.tensor(offsets[:-1]).cumsum(dim=0)
        text_list = lib.cat(text_list)
        return label_list, text_list, offsets
    return collate_batch


def to_map_style_dataset(lib, items):
    """torchtext's, over a list: a map-style Dataset of the items."""
    class _MapStyleDataset(lib.utils.data.Dataset):
        def __len__(self):
            return len(items)

        def __getitem__(self, idx):
            return items[idx]
    return _MapStyleDataset()


def _classification_run(lib, model, split):
    train_dataset = to_map_style_dataset(lib, _news())
    # (the split random_split drew in torch, taken as indices: the generators differ)
    split_train_, split_valid_ = (lib.utils.data.Subset(train_dataset, part) for part in split)
    train_dataloader = lib.utils.data.DataLoader(split_train_, batch_size=8, shuffle=False,
                                                 collate_fn=_collate(lib))
    valid_dataloader = lib.utils.data.DataLoader(split_valid_, batch_size=8, shuffle=False,
                                                 collate_fn=_collate(lib))
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=5)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    total_accu, record = None, []
    for epoch in range(1, 5):
        model.train()
        total_acc, total_count = 0, 0
        for idx, (label, text, offsets) in enumerate(train_dataloader):
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
            record += [loss.item(), _snapshot(model)]
        model.eval()
        valid_acc, valid_count = 0, 0
        with lib.no_grad():
            for idx, (label, text, offsets) in enumerate(valid_dataloader):
                predicted_label = model(text, offsets)
                valid_acc += (predicted_label.argmax(1) == label).sum().item()
                valid_count += label.size(0)
        accu_val = valid_acc / valid_count
        if epoch == 3:  # (so that the schedule steps once in this short run)
            accu_val = 0.0
        if total_accu is not None and total_accu > accu_val:
            scheduler.step()
        else:
            total_accu = accu_val
        record += [[total_acc / total_count, accu_val], scheduler.get_last_lr()[0]]
    with lib.no_grad():  # the tutorial's predict()
        output = model(lib.tensor(text_pipeline("stock market bank price")), lib.tensor([0]))
        record += [[output.argmax(1).item() + 1], output.numpy()]
    return record


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_bag_text_classifier_trains_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    with _default_dtype(torch, dtype):
        torch.manual_seed(0)
        parts = torch.utils.data.random_split(to_map_style_dataset(torch, _news()), [32, 8])
        split = [part.indices for part in parts]
        theirs = _text_classifier(torch, torch)
        ours = _load(_text_classifier(tg, torch), theirs)
        _same_records(_classification_run(tg, ours, split),
                      _classification_run(torch, theirs, split), dtype)


def test_embedding_bag_classifier_passes_gradcheck_with_an_empty_bag():
    model = _text_classifier(tg, None, vocab_size=6, embed_dim=3, num_class=4)
    text, offsets = tg.tensor([1, 5, 5, 2, 0]), tg.tensor([0, 3, 3])  # (bag 1: empty)
    label = tg.tensor([3, 0, 1])

    def loss(weight, fc_weight, fc_bias):
        weights = {"embedding.weight": weight, "fc.weight": fc_weight, "fc.bias": fc_bias}
        return F.cross_entropy(tg.func.functional_call(model, weights, (text, offsets)), label)
    assert tg.gradcheck(loss, [p.detach().requires_grad_() for p in model.parameters()])


# ------------------------------------------------------------------ character-level name RNN

ALL_LETTERS = string.ascii_letters + " .,;'-"
N_LETTERS = len(ALL_LETTERS) + 1  # Plus EOS marker
CATEGORY_LINES = {"Russian": ["Abakov", "Ustinov"], "German": ["Gerber", "Engel"],
                  "Spanish": ["Salla"]}
ALL_CATEGORIES = list(CATEGORY_LINES)
N_CATEGORIES = len(ALL_CATEGORIES)


def _name_rnn(lib, input_size=N_LETTERS, hidden_size=12, output_size=N_LETTERS):
    n = lib.nn

    class RNN(n.Module):
        def __init__(self):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.i2h = n.Linear(N_CATEGORIES + input_size + hidden_size, hidden_size)
            self.i2o = n.Linear(N_CATEGORIES + input_size + hidden_size, output_size)
            self.o2o = n.Linear(hidden_size + output_size, output_size)
            self.dropout = n.Dropout(0.1)
            self.softmax = n.LogSoftmax(dim=1)

        def forward(self, category, input, hidden):  # noqa: A002  (the tutorial's names)
            input_combined = lib.cat((category, input, hidden), 1)
            hidden = self.i2h(input_combined)
            output = self.i2o(input_combined)
            output_combined = lib.cat((hidden, output), 1)
            output = self.o2o(output_combined)
            output = self.dropout(output)
            output = self.softmax(output)
            return output, hidden

        def initHidden(self):
            return lib.zeros(1, self.hidden_size)
    return RNN()


def _name_tensors(lib, torch):
    def categoryTensor(category):
        li = ALL_CATEGORIES.index(category)
        tensor = lib.zeros(1, N_CATEGORIES)
        tensor[0][li] = 1
        return tensor

    def inputTensor(line):
        tensor = lib.zeros(len(line), 1, N_LETTERS)
        for li in range(len(line)):
            letter = line[li]
            tensor[li][0][ALL_LETTERS.find(letter)] = 1
        return tensor

    def targetTensor(line):
        letter_indexes = [ALL_LETTERS.find(line[li]) for li in range(1, len(line))]
        letter_indexes.append(N_LETTERS - 1)  # EOS
        return lib.LongTensor(letter_indexes)
    return categoryTensor, inputTensor, targetTensor


def _names_run(lib, torch, rnn):
    categoryTensor, inputTensor, targetTensor = _name_tensors(lib, torch)
    criterion = lib.nn.NLLLoss()
    learning_rate = 0.1
    rnn.dropout.p = 0.0  # (train mode, dropout off: the two draw different masks)

    def train(category_tensor, input_line_tensor, target_line_tensor):
        target_line_tensor.unsqueeze_(-1)
        hidden = rnn.initHidden()
        rnn.zero_grad()
        loss = 0
        for i in range(input_line_tensor.size(0)):
            output, hidden = rnn(category_tensor, input_line_tensor[i], hidden)
            l = criterion(output, target_line_tensor[i])  # noqa: E741  (the tutorial's)
            loss += l
        loss.backward()
        for p in rnn.parameters():
            if lib is torch:
                p.data.add_(p.grad.data, alpha=-learning_rate)
            else:  # (documented: .data is a NumPy array; the tensor itself, in no_grad)
                with tg.no_grad():
                    p.add_(p.grad, alpha=-learning_rate)
        return output, loss.item() / input_line_tensor.size(0)

    def sample(category, start_letter='A'):
        with lib.no_grad():
            category_tensor = categoryTensor(category)
            input = inputTensor(start_letter)  # noqa: A001  (the tutorial's names)
            hidden = rnn.initHidden()
            output_name = start_letter
            for i in range(20):
                output, hidden = rnn(category_tensor, input[0], hidden)
                topv, topi = output.topk(1)
                topi = topi[0][0]
                if topi == N_LETTERS - 1:
                    break
                else:
                    letter = ALL_LETTERS[topi]
                    output_name += letter
                input = inputTensor(letter)  # noqa: A001
            return output_name

    record = []
    pairs = [(category, line) for category, lines in CATEGORY_LINES.items() for line in lines]
    for category, line in pairs * 6:
        output, loss = train(categoryTensor(category), inputTensor(line), targetTensor(line))
        record += [loss, _snapshot(rnn)]
    names = [sample(category, start) for category in ALL_CATEGORIES for start in "ASG"]
    assert any(len(name) > 2 for name in names)  # (letters were drawn, not EOS at once)
    return record + [names]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_character_level_name_rnn_trains_and_samples_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    with _default_dtype(torch, dtype):
        torch.manual_seed(0)
        theirs = _name_rnn(torch)
        ours = _load(_name_rnn(tg), theirs)
        _same_records(_names_run(tg, torch, ours), _names_run(torch, torch, theirs), dtype)


def test_name_rnn_loss_summed_over_a_name_passes_gradcheck():
    rnn = _name_rnn(tg, input_size=4, hidden_size=3, output_size=4)  # (4 letters: small)
    rnn.dropout.p = 0.0  # (a fixed function of its inputs)
    category = tg.tensor([[0., 1., 0.]])
    line = tg.tensor(np.eye(4)[[2, 0, 3, 3]][:, None, :])  # (length, 1, letters) one-hot
    target = tg.tensor([0, 3, 3, 1])
    names = [name for name, _ in rnn.named_parameters()]

    def loss(hidden, *params):
        weights, total = dict(zip(names, params)), 0
        for i in range(line.size(0)):
            output, hidden = tg.func.functional_call(rnn, weights, (category, line[i], hidden))
            total += F.nll_loss(output, target[i:i + 1])
        return total
    inputs = [tg.randn(1, 3, seed=0, dtype=tg.float64).requires_grad_()]
    inputs += [p.detach().requires_grad_() for p in rnn.parameters()]
    assert tg.gradcheck(loss, inputs)


# ------------------------------------------------------------------ knowledge distillation

C1, C2, C3, HIDDEN = 16, 8, 8, 16  # the teacher's widths (the tutorial's 128, 64, 32, 512)
S1, S_HIDDEN, SIDE = 4, 8, 8  # the student's (16, 256), and the images' side (32)


def _distillation_nets(lib):
    """The tutorial's six classes, scaled down: {name: class}."""
    n = lib.nn

    def teacher_features():
        return n.Sequential(
            n.Conv2d(3, C1, kernel_size=3, padding=1), n.ReLU(),
            n.Conv2d(C1, C2, kernel_size=3, padding=1), n.ReLU(),
            n.MaxPool2d(kernel_size=2, stride=2),
            n.Conv2d(C2, C2, kernel_size=3, padding=1), n.ReLU(),
            n.Conv2d(C2, C3, kernel_size=3, padding=1), n.ReLU(),
            n.MaxPool2d(kernel_size=2, stride=2))

    def student_features():
        return n.Sequential(
            n.Conv2d(3, S1, kernel_size=3, padding=1), n.ReLU(),
            n.MaxPool2d(kernel_size=2, stride=2),
            n.Conv2d(S1, S1, kernel_size=3, padding=1), n.ReLU(),
            n.MaxPool2d(kernel_size=2, stride=2))

    def classifier(flat, hidden, num_classes):
        return n.Sequential(n.Linear(flat, hidden), n.ReLU(), n.Dropout(0.1),
                            n.Linear(hidden, num_classes))

    class DeepNN(n.Module):
        def __init__(self, num_classes=10):
            super(DeepNN, self).__init__()
            self.features = teacher_features()
            self.classifier = classifier(C3 * (SIDE // 4) ** 2, HIDDEN, num_classes)

        def forward(self, x):
            x = self.features(x)
            x = lib.flatten(x, 1)
            x = self.classifier(x)
            return x

    class LightNN(n.Module):
        def __init__(self, num_classes=10):
            super(LightNN, self).__init__()
            self.features = student_features()
            self.classifier = classifier(S1 * (SIDE // 4) ** 2, S_HIDDEN, num_classes)

        def forward(self, x):
            x = self.features(x)
            x = lib.flatten(x, 1)
            x = self.classifier(x)
            return x

    class ModifiedDeepNNCosine(DeepNN):
        def forward(self, x):
            x = self.features(x)
            flattened_conv_output = lib.flatten(x, 1)
            x = self.classifier(flattened_conv_output)
            flattened_conv_output_after_pooling = lib.nn.functional.avg_pool1d(
                flattened_conv_output, 2)
            return x, flattened_conv_output_after_pooling

    class ModifiedLightNNCosine(LightNN):
        def forward(self, x):
            x = self.features(x)
            flattened_conv_output = lib.flatten(x, 1)
            x = self.classifier(flattened_conv_output)
            return x, flattened_conv_output

    class ModifiedDeepNNRegressor(DeepNN):
        def forward(self, x):
            x = self.features(x)
            conv_feature_map = x
            x = lib.flatten(x, 1)
            x = self.classifier(x)
            return x, conv_feature_map

    class ModifiedLightNNRegressor(LightNN):
        def __init__(self, num_classes=10):
            super().__init__(num_classes)
            self.regressor = n.Sequential(n.Conv2d(S1, C3, kernel_size=3, padding=1))

        def forward(self, x):
            x = self.features(x)
            regressor_output = self.regressor(x)
            x = lib.flatten(x, 1)
            x = self.classifier(x)
            return x, regressor_output
    return {cls.__name__: cls for cls in (DeepNN, LightNN, ModifiedDeepNNCosine,
                                          ModifiedLightNNCosine, ModifiedDeepNNRegressor,
                                          ModifiedLightNNRegressor)}


def _soft_targets_loss(lib, teacher_logits, student_logits, T):
    """The tutorial's: the teacher's softened distribution against the student's (KL,
    scaled by T**2)."""
    soft_targets = lib.nn.functional.softmax(teacher_logits / T, dim=-1)
    soft_prob = lib.nn.functional.log_softmax(student_logits / T, dim=-1)
    return lib.sum(soft_targets * (soft_targets.log() - soft_prob)) / soft_prob.size()[0] \
        * (T**2)


def _distillation_run(lib, students, images, labels):
    """The tutorial's program: the teacher trained with cross-entropy, then four students:
    cross-entropy alone, with the soft-target loss, with the cosine loss of the hidden
    representations, with the regressor's MSE; each tested after."""
    n, optim, record = lib.nn, lib.optim, []
    device = lib.device("cuda" if lib.cuda.is_available() else "cpu")
    dataset = lib.utils.data.TensorDataset(lib.tensor(images), lib.tensor(labels))
    train_loader = lib.utils.data.DataLoader(dataset, batch_size=8, shuffle=False)
    test_loader = lib.utils.data.DataLoader(dataset, batch_size=8, shuffle=False)

    def train(student, extra_loss=None, teacher=None, weights=(0.25, 0.75)):
        ce_loss = n.CrossEntropyLoss()
        optimizer = optim.Adam(student.parameters(), lr=0.001)
        student.to(device)
        if teacher is not None:
            teacher.to(device)
            teacher.eval()  # Teacher set to evaluation mode
        student.train()
        for inputs, labels in train_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            outputs = student(inputs)
            if extra_loss is None:
                loss = ce_loss(outputs, labels)
            else:
                with lib.no_grad():
                    teacher_outputs = teacher(inputs)
                loss = weights[0] * extra_loss(teacher_outputs, outputs, inputs) \
                    + weights[1] * ce_loss(outputs[0] if isinstance(outputs, tuple)
                                           else outputs, labels)
            loss.backward()
            optimizer.step()
            record.extend([loss.item(), _snapshot(student)])

    def test(model):
        model.to(device)
        model.eval()
        correct, total, outs = 0, 0, []
        with lib.no_grad():
            for inputs, labels in test_loader:
                inputs, labels = inputs.to(device), labels.to(device)
                outputs = model(inputs)
                outputs = outputs[0] if isinstance(outputs, tuple) else outputs
                _, predicted = lib.max(outputs.data, 1)
                total += labels.size(0)
                correct += (predicted == labels).sum().item()
                outs.append(outputs.numpy())
        record.extend([100 * correct / total, np.concatenate(outs)])

    def soft_targets(teacher_logits, student_logits, inputs):
        return _soft_targets_loss(lib, teacher_logits, student_logits, T=2)

    def cosine(teacher_outputs, student_outputs, inputs):
        return n.CosineEmbeddingLoss()(student_outputs[1], teacher_outputs[1],
                                       target=lib.ones(inputs.size(0)).to(device))

    def mse(teacher_outputs, student_outputs, inputs):
        return n.MSELoss()(student_outputs[1], teacher_outputs[1])

    nn_deep, nn_light, new_nn_light, modified_light_nn, modified_light_nn_mse = students
    for model in students:  # (dropout off: the two draw different masks)
        model.classifier[2].p = 0.0
    for epoch in range(2):
        train(nn_deep)
    test(nn_deep)
    record.append(lib.norm(nn_light.features[0].weight).item())
    record.append("{:,}".format(sum(p.numel() for p in nn_deep.parameters())))
    train(nn_light)
    test(nn_light)
    train(new_nn_light, soft_targets, nn_deep)
    test(new_nn_light)
    nets = _distillation_nets(lib)
    modified_nn_deep = nets["ModifiedDeepNNCosine"](num_classes=10)
    modified_nn_deep.load_state_dict(nn_deep.state_dict())
    train(modified_light_nn, cosine, modified_nn_deep)
    test(modified_light_nn)
    modified_nn_deep_reg = nets["ModifiedDeepNNRegressor"](num_classes=10)
    modified_nn_deep_reg.load_state_dict(nn_deep.state_dict())
    train(modified_light_nn_mse, mse, modified_nn_deep_reg)
    test(modified_light_nn_mse)
    return record


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_knowledge_distillation_students_train_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    images = rng.standard_normal((16, 3, SIDE, SIDE)).astype(dtype)
    labels = rng.integers(0, 10, 16)
    names = ["DeepNN", "LightNN", "LightNN", "ModifiedLightNNCosine", "ModifiedLightNNRegressor"]
    with _default_dtype(torch, dtype):
        torch.manual_seed(42)
        nets, their_nets = _distillation_nets(tg), _distillation_nets(torch)
        theirs = [their_nets[name](num_classes=10) for name in names]
        ours = [_load(nets[name](num_classes=10), model) for name, model in zip(names, theirs)]
        _same_records(_distillation_run(tg, ours, images, labels),
                      _distillation_run(torch, theirs, images, labels), dtype)


def test_distillation_losses_pass_gradcheck():
    rng = np.random.default_rng(3)
    teacher_logits = tg.tensor(rng.standard_normal((3, 4)))
    teacher_map = tg.tensor(rng.standard_normal((3, 2, 2, 2)))
    regressor = nn.Conv2d(1, 2, kernel_size=3, padding=1)
    assert tg.gradcheck(lambda s: _soft_targets_loss(tg, teacher_logits, s, T=2),
                        [tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)])
    # (the student's hidden representation against the teacher's, pooled to its size)
    assert tg.gradcheck(lambda s, t: nn.CosineEmbeddingLoss()(s, F.avg_pool1d(t, 2),
                                                              target=tg.ones(3)),
                        [tg.tensor(rng.standard_normal((3, 3)), requires_grad=True),
                         tg.tensor(rng.standard_normal((3, 6)), requires_grad=True)])
    assert tg.gradcheck(lambda x, w, b: nn.MSELoss()(
        tg.func.functional_call(regressor, {"weight": w, "bias": b}, (x,)), teacher_map),
        [tg.tensor(rng.standard_normal((3, 1, 2, 2)), requires_grad=True)]
        + [p.detach().requires_grad_() for p in regressor.parameters()])


# ------------------------------------------------------------------ what the ports met


def test_distillation_graph_names_the_teachers_soft_targets_as_constants():
    student = nn.Linear(4, 3)
    teacher_logits = tg.randn(2, 3, seed=0, dtype=tg.float64)
    student_logits = student(tg.randn(2, 4, seed=1, dtype=tg.float64))
    loss = 0.25 * _soft_targets_loss(tg, teacher_logits, student_logits, T=2) \
        + 0.75 * F.cross_entropy(student_logits, tg.tensor([0, 2]))
    source = tg.draw_graph(loss, mode="backward", model=student).source
    # (the teacher's side, computed without a graph, is one constant each, named by its op)
    assert "softmax of constants" in source and "log of constants" in source
    assert "weight" in source and "bias" in source


def test_embedding_bag_graph_shows_the_mean_over_each_bag():
    bag = nn.EmbeddingBag(5, 2)
    loss = bag(tg.tensor([1, 2, 4, 0]), tg.tensor([0, 1])).sum()
    source = tg.draw_graph(loss, mode="backward", model=bag).source
    assert "bag sizes" in source and "weight" in source


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_bag_empty_bags_and_offsets_as_collate_batch_builds_them(dtype):
    torch = pytest.importorskip("torch")
    weight = np.random.default_rng(0).standard_normal((6, 3)).astype(dtype)
    lengths = [2, 0, 3, 0]  # (texts of no tokens: empty bags, zeros in mean mode)
    text = np.array([1, 5, 2, 2, 0])
    w, tw = tg.tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    offsets = tg.tensor([0] + lengths[:-1]).cumsum(dim=0)
    toffsets = torch.tensor([0] + lengths[:-1]).cumsum(dim=0)
    out = F.embedding_bag(tg.tensor(text), w, offsets)
    tout = torch.nn.functional.embedding_bag(torch.tensor(text), tw, toffsets)
    scale = np.arange(12.0).reshape(4, 3).astype(dtype)
    (out * tg.tensor(scale)).sum().backward()
    (tout * torch.tensor(scale)).sum().backward()
    assert out.dtype == w.grad.dtype == dtype
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), **_tolerance(dtype))
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), **_tolerance(dtype))
    assert not out.numpy()[[1, 3]].any()


@pytest.mark.parametrize("offsets, message", [
    ([1, 2], "offsets[0] must be 0"),
    ([0, 2, 1], "offsets must not decrease"),
    ([0, 9], "offsets[-1] is 9, beyond the input's length 3"),
    ([0.0, 1.0], "offsets must be integers")])
def test_embedding_bag_offsets_errors_name_the_mistake(offsets, message):
    with pytest.raises(RuntimeError, match=re.escape(message)) as info:
        F.embedding_bag(tg.tensor([1, 2, 3]), tg.ones(4, 2), tg.tensor(offsets))
    assert str(info.value).startswith("embedding_bag: ") and "\n" not in str(info.value)


def test_cosine_embedding_loss_refuses_zero_one_labels_with_a_hint():
    # (PyTorch counts a 0 as neither label: a loss of 0 for it, silently)
    with pytest.raises(ValueError, match=re.escape("pass 2 * y - 1")):
        nn.CosineEmbeddingLoss()(tg.ones(2, 3), tg.ones(2, 3), tg.tensor([1, 0]))


def test_step_lr_takes_the_tutorials_step_size_of_one_point_zero():
    torch = pytest.importorskip("torch")
    rates = []
    for lib in (torch, tg):
        optimizer = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=5.0)
        scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
        for _ in range(3):
            optimizer.step()
            scheduler.step()
        rates.append(scheduler.get_last_lr())
    assert rates[1] == pytest.approx(rates[0])


def test_data_loader_reads_a_list_of_label_text_pairs_sample_by_sample():
    torch = pytest.importorskip("torch")
    samples = [(3, "stock market"), (1, "vote"), (2, "goal score win")]
    theirs = list(torch.utils.data.DataLoader(samples, batch_size=2,
                                              collate_fn=_collate(torch)))
    ours = list(tg.utils.data.DataLoader(samples, batch_size=2, collate_fn=_collate(tg)))
    for mine, its in zip(ours, theirs):
        for a, b in zip(mine, its):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert len(ours) == len(theirs) == 2


def test_legacy_tensor_constructors_as_torchs():
    indexes = tg.LongTensor([4, 0, 58])
    assert indexes.dtype == np.int64 and indexes.tolist() == [4, 0, 58]
    assert indexes.type() == "tinygrad_gd.LongTensor" and isinstance(indexes, tg.LongTensor)
    assert tg.FloatTensor([[1, 2]]).dtype == np.float32


@pytest.mark.parametrize("name, args, shape", [
    ("unsqueeze_", (-1,), (5, 1)), ("squeeze_", (), (5,)), ("t_", (), (5,))])
def test_in_place_shape_changes_as_torchs(name, args, shape):
    target = tg.tensor([4, 0, 58, 1, 2])
    if name == "squeeze_":
        target = target.unsqueeze(0)
    assert getattr(target, name)(*args) is target
    assert target.shape == shape

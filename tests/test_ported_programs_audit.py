"""Two small PyTorch programs ported as written, beside torch 2.13 with the same weights: a
transformer-encoder language model ending in AdaptiveLogSoftmaxWithLoss, and a
segmentation-style CNN with FractionalMaxPool2d trained by cross_entropy over (N, C, H, W)
maps. Losses and every parameter's gradient equal over a few optimizer steps (float64, and
float32 kept). Then what the audit of those features mended: cross_entropy/nll_loss errors
over (N, C, d1, ...) naming the user's shapes, AdaptiveLogSoftmaxWithLoss.forward's keyword
names (torch's input_, target_), FractionalMaxPool's range of _random_samples.
"""
from __future__ import annotations

import html
import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

VOCAB, WIDTH, LENGTH = 30, 16, 5


def _language_model(lib):
    """Embedding, a 2-layer causal TransformerEncoder (batch first), adaptive softmax."""
    class LanguageModel(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(VOCAB, WIDTH)
            layer = lib.nn.TransformerEncoderLayer(WIDTH, 2, dim_feedforward=24, dropout=0.0,
                                                   batch_first=True)
            self.encoder = lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(WIDTH),
                                                     enable_nested_tensor=False)
            self.softmax = lib.nn.AdaptiveLogSoftmaxWithLoss(WIDTH, VOCAB, [6, 15],
                                                             div_value=2.0)

        def forward(self, tokens, targets, mask):
            hidden = self.encoder(self.embed(tokens), mask=mask, is_causal=True)
            return self.softmax(hidden.reshape(-1, WIDTH), targets.reshape(-1))
    return LanguageModel()


def _segmenter(lib, samples):
    """conv, fractional max pool (its windows fixed by samples), conv, upsample, 1x1 conv."""
    class Segmenter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(3, 4, 3, padding=1)
            self.pool = lib.nn.FractionalMaxPool2d(2, output_ratio=(0.7, 0.6),
                                                   _random_samples=samples)
            self.conv2 = lib.nn.Conv2d(4, 4, 3, padding=1)
            self.up = lib.nn.Upsample(size=(8, 8), mode="bilinear")
            self.head = lib.nn.Conv2d(4, 3, 1)

        def forward(self, x):
            x = self.pool(lib.relu(self.conv1(x)))
            return self.head(self.up(lib.relu(self.conv2(x))))
    return Segmenter()


def _twins(torch, ours, theirs, dtype):
    """PyTorch's model given our weights (by state_dict name), in `dtype`."""
    ours = ours.float() if dtype == np.float32 else ours
    theirs = theirs.double() if dtype == np.float64 else theirs
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    return ours, theirs


def _same_step(torch, ours, theirs, loss, expected, dtype):
    """Losses and every parameter's gradient equal (to the dtype's rounding)."""
    tolerance = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-4,
                                                                               atol=1e-6)
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.item(), expected.item(), **tolerance)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        if q.grad is None:  # (a cluster no target fell in: no gradient in either)
            assert p.grad is None or not p.grad.data.any(), name
        else:
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), err_msg=name, **tolerance)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transformer_language_model_with_adaptive_softmax_trains_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = _twins(torch, _language_model(tg), _language_model(torch), dtype)
    ours_opt = tg.optim.Adam(ours.parameters(), lr=1e-2)
    their_opt = torch.optim.Adam(theirs.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    mask = nn.Transformer.generate_square_subsequent_mask(LENGTH, dtype=dtype)
    for _ in range(3):
        tokens, targets = rng.integers(0, VOCAB, (2, LENGTH)), rng.integers(0, VOCAB, (2, LENGTH))
        out = ours(tokens, targets, mask)
        expected = theirs(torch.tensor(tokens), torch.tensor(targets), torch.tensor(mask.data))
        ours_opt.zero_grad()
        their_opt.zero_grad()
        out.loss.backward()
        expected.loss.backward()
        _same_step(torch, ours, theirs, out.loss, expected.loss, dtype)
        np.testing.assert_allclose(out.output.data, expected.output.detach().numpy(),
                                   rtol=1e-4 if dtype == np.float32 else 1e-10)
        ours_opt.step()
        their_opt.step()


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_segmentation_cnn_with_fractional_pooling_trains_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    samples = rng.random((2, 4, 2)).astype(dtype)
    ours, theirs = _twins(torch, _segmenter(tg, samples), _segmenter(torch, torch.tensor(samples)),
                          dtype)
    assert ours.pool._random_samples.dtype == dtype
    ours_opt = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    their_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    weight = (rng.random(3) + 0.5).astype(dtype)
    for _ in range(3):
        x = rng.standard_normal((2, 3, 8, 8)).astype(dtype)
        y = rng.integers(0, 3, (2, 8, 8))
        y[0, :2] = -100  # (unlabelled pixels)
        loss = F.cross_entropy(ours(x), y, weight=weight, label_smoothing=0.1)
        expected = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y),
                                                     weight=torch.tensor(weight),
                                                     label_smoothing=0.1)
        ours_opt.zero_grad()
        their_opt.zero_grad()
        loss.backward()
        expected.backward()
        _same_step(torch, ours, theirs, loss, expected, dtype)
        ours_opt.step()
        their_opt.step()


# ------------------------------------------------------------------ what the audit mended

MAPS = np.random.default_rng(2).standard_normal((2, 4, 3, 5))
LABELS = np.random.default_rng(3).integers(0, 4, (2, 3, 5))


@pytest.mark.parametrize("call, words", [
    (lambda: F.cross_entropy(MAPS, LABELS, weight=np.ones(3)),
     "weight must hold one number per class, shape (4,) for input of shape (2, 4, 3, 5); got "
     "shape (3,)"),
    (lambda: F.nll_loss(MAPS, LABELS, weight=np.ones(5)),
     "shape (4,) for input of shape (2, 4, 3, 5)"),
    (lambda: nn.CrossEntropyLoss(weight=np.ones(3))(MAPS, LABELS), "shape (2, 4, 3, 5)"),
    (lambda: F.cross_entropy(MAPS, np.full(MAPS.shape, 0.25), ignore_index=1),
     "ignore_index=1 needs class indices"),
    (lambda: F.cross_entropy(np.zeros((2, 0, 3)), np.zeros((2, 3), np.int64)),
     "for 0 classes"),
    (lambda: F.nll_loss(np.zeros((2, 0, 3)), np.zeros((2, 3), np.int64)), "for 0 classes"),
])
def test_class_losses_over_maps_name_the_users_shapes(call, words):
    with pytest.raises(ValueError) as caught:
        call()
    message = str(caught.value)
    assert words in message and "\n" not in message
    assert message.startswith(("cross_entropy:", "nll_loss:"))
    assert "(30, 4)" not in message and "(6, 0)" not in message  # (not the flattened rows)


@pytest.mark.torch
def test_adaptive_softmax_forward_takes_torchs_keyword_names():
    torch = pytest.importorskip("torch")
    layer = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, seed=0)
    twin = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0).double()
    twin.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in layer.state_dict().items()})
    x, y = np.random.default_rng(4).standard_normal((3, 8)), np.array([0, 4, 9])
    out = layer(input_=x, target_=y)
    expected = twin(input_=torch.tensor(x), target_=torch.tensor(y))
    np.testing.assert_allclose(out.loss.item(), expected.loss.item(), rtol=1e-12)


@pytest.mark.torch
def test_fractional_pool_takes_samples_of_one_and_says_so():
    torch = pytest.importorskip("torch")
    x, ones = MAPS[:, :, :, :4].copy(), np.ones((2, 4, 2))
    values = F.fractional_max_pool2d(x, 2, 2, _random_samples=ones)
    expected = torch.nn.functional.fractional_max_pool2d(torch.tensor(x), 2, 2,
                                                         _random_samples=torch.tensor(ones))
    np.testing.assert_array_equal(values.data, expected.numpy())
    with pytest.raises(ValueError, match=r"_random_samples must lie in \[0, 1\], got 1\.5"):
        F.fractional_max_pool2d(x, 2, 2, _random_samples=ones * 1.5)


def test_batch_first_attention_projects_the_users_tensor_without_a_round_trip():
    """batch_first=True: the input goes straight into the projection (no swap to length
    first and back); the numbers are the length-first layer's, transposed."""
    x = Tensor(np.random.default_rng(5).standard_normal((2, 3, 4)), requires_grad=True,
               name="tokens")
    layer = nn.MultiheadAttention(4, 2, batch_first=True, seed=0)
    out, weights = layer(x, x, x)
    source = html.unescape(tg.draw_graph(out.sum(), max_nodes=None, open_modules=True).source)
    node = re.search(r"(t\d+) \[label=<<B>tokens</B>", source).group(1)
    ops = dict(re.findall(r"(f\d+) \[label=<<B>([^<]*)</B>", source))
    assert {ops[f] for f in re.findall(rf"\b{node} -> (f\d+)", source)} == {"linear"}
    assert x.name == "tokens"
    layer.batch_first = False
    twin, twin_weights = layer(x.swapaxes(0, 1), x.swapaxes(0, 1), x.swapaxes(0, 1))
    np.testing.assert_allclose(out.data, twin.data.swapaxes(0, 1), rtol=1e-12)
    np.testing.assert_allclose(weights.data, twin_weights.data, rtol=1e-12)

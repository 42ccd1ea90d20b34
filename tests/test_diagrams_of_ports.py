"""The diagrams of programs ported from PyTorch draw as an input only what the user gave:
every tensor a function makes for itself (a distribution's draws, 1 - value, a weight
picked per target, the zero states of a packed recurrent layer, the entries grid_sample
reads) is named where it is made. Read from the drawn graph's source (no Graphviz needed)."""
from __future__ import annotations

import html
import re

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(16)


def _drawn(loss: Tensor, **options) -> tuple[list[str], list[str]]:
    """The shapes of the leaves drawn as "input" and the bold names drawn."""
    source = html.unescape(tg.draw_graph(loss, **options).source)
    return (re.findall(r"<I>input</I>\xa0(\([0-9, ]*\))", source),
            re.findall(r"<B>([^<]*)</B>", source))


def test_a_vaes_loss_draws_the_data_and_the_draws_by_name():
    loc = Tensor(np.zeros((3, 2)), requires_grad=True)
    x = Tensor((np.arange(6).reshape(3, 2) % 2).astype(float), name="x")
    z = tg.distributions.Normal(loc, 1.0).rsample(seed=0)
    inputs, names = _drawn(tg.distributions.Bernoulli(logits=z).log_prob(x).sum())
    assert inputs == [] and {"x", "draws * scale", "1 - value"} <= set(names)


def test_a_weighted_cross_entropy_draws_the_weight_per_target_by_name():
    logits = Tensor(RNG.standard_normal((6, 3)), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([0, 1, 2, 0, 1, 2]), np.array([1.0, 2.0, 0.5]))
    inputs, names = _drawn(loss)
    assert inputs == [] and "weight[target]" in names


def test_a_packed_bidirectional_lstm_draws_no_slice_of_its_zero_state_as_an_input():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, seed=0)
    sequences = [Tensor(RNG.standard_normal((n, 3))) for n in (3, 2, 1)]
    out, _ = lstm(nn.utils.rnn.pack_sequence(sequences, enforce_sorted=False))
    inputs, names = _drawn(out.data.sum())
    # the slices, made in the LSTM's call as the zero states are, fold into its box (the
    # twenty-ninth round drew them beside it), and are named where drawn open
    assert inputs == [] and not [n for n in names if "(zeros)" in n]
    inputs, names = _drawn(out.data.sum(), open_modules=True, max_nodes=None)
    assert inputs == [] and "h0[1] (zeros)[:1]" in names


def test_grid_sample_of_a_constant_image_draws_the_entries_it_reads_by_name():
    image = Tensor(RNG.standard_normal((1, 1, 4, 4)), name="image")
    theta = Tensor(np.array([[[0.9, 0.1, 0.0], [-0.1, 0.9, 0.0]]]), requires_grad=True)
    grid = F.affine_grid(theta, (1, 1, 3, 3), align_corners=False)
    inputs, names = _drawn(F.grid_sample(image, grid, align_corners=False).sum())
    assert inputs == [] and "image at the grid's taps" in names


def test_a_dcgan_generators_transposed_convolution_draws_no_input_the_user_never_gave():
    """A transposed convolution is one op (it made zeros to add its blocks into, which
    were drawn as an input): its weight is the parameter `0.weight`, and nothing else is
    drawn as data but the user's noise."""
    generator = nn.Sequential(nn.ConvTranspose2d(4, 2, 4, 2, 1, bias=False), nn.Tanh())
    noise = Tensor(RNG.standard_normal((2, 4, 1, 1)), name="noise")
    loss = (generator(noise) ** 2).mean()
    source = html.unescape(tg.draw_graph(loss, model=generator).source)
    assert "(zeros)" not in source and "<B>0.weight</B>" in source
    assert "0.weight into op conv_transpose2d" in source
    assert "<B>input</B>" not in source and "<I>input</I>" not in source
    assert "noise" in source  # (the user's data stays drawn)

"""The convolutions' paths for large inputs and the transposed convolution as one op.

A convolution copies its windows out a few batch entries at a time: inputs whose batch
entries each hold more windows' entries than one copy takes (as PyTorch's own 3-d
examples) must give every batch entry its own output and gradients, as PyTorch's do, and
as each entry convolved alone. The transposed convolutions are one op whose second
derivatives are ops too: `tg.gradgradcheck` in float64, groups and dilation included.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(7)

# each batch entry: 8 channels * 27 kernel entries * 36**3 windows, over 2**23 entries
LARGE = RNG.standard_normal((3, 8, 38, 38, 38))
W_CONV = RNG.standard_normal((4, 8, 3, 3, 3))
W_TRANSPOSED = RNG.standard_normal((8, 4, 3, 3, 3))
CASES = {
    "conv3d": (F.conv3d, W_CONV, dict(padding=1)),
    "conv_transpose3d": (F.conv_transpose3d, W_TRANSPOSED, dict(stride=(1, 1, 1))),
}


def _values_and_gradients(function, x, w, options):
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    out = function(xt, wt, **options)
    seed = np.random.default_rng(1).standard_normal(out.shape)
    (out * Tensor(seed)).sum().backward()
    return out.data, xt.grad.data, wt.grad.data, seed


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_large_batch_has_pytorchs_values_and_gradients(name):
    torch = pytest.importorskip("torch")
    function, w, options = CASES[name]
    out, gx, gw, seed = _values_and_gradients(function, LARGE, w, options)
    xt, wt = (torch.tensor(a, requires_grad=True) for a in (LARGE, w))
    expected = getattr(torch.nn.functional, name)(xt, wt, **options)
    (expected * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw, wt.grad.numpy(), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_large_batch_is_each_entry_alone(name):
    function, w, options = CASES[name]
    out, gx, gw, seed = _values_and_gradients(function, LARGE, w, options)
    gw_sum = np.zeros_like(w)
    for i in range(len(LARGE)):
        xt, wt = Tensor(LARGE[i], requires_grad=True), Tensor(w, requires_grad=True)
        alone = function(xt, wt, **options)  # (one unbatched entry)
        (alone * Tensor(seed[i])).sum().backward()
        np.testing.assert_allclose(out[i], alone.data, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gx[i], xt.grad.data, rtol=1e-12, atol=1e-12)
        gw_sum += wt.grad.data
    np.testing.assert_allclose(gw, gw_sum, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("function, x_shape, w_shape, options", [
    (F.conv_transpose1d, (2, 4, 5), (4, 3, 3), dict(stride=2, padding=1, output_padding=1,
                                                      groups=2, dilation=2)),
    (F.conv_transpose2d, (1, 2, 3, 4), (2, 2, 2, 3), dict(stride=(2, 1), padding=(0, 1))),
    (F.conv_transpose3d, (1, 2, 2, 3, 2), (2, 1, 2, 2, 1), dict(stride=(1, 2, 1), groups=2,
                                                                 output_padding=(0, 1, 0))),
])
def test_transposed_convolutions_second_derivatives(function, x_shape, w_shape, options):
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    b = RNG.standard_normal(w_shape[1] * options.get("groups", 1))
    inputs = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    fn = lambda x, w, b: function(x, w, b, **options).tanh()  # noqa: E731 (nonlinear in x)
    assert tg.gradcheck(fn, inputs)
    assert tg.gradgradcheck(fn, inputs)

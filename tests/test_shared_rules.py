"""Rules written once and shared, where copies of them had drifted apart.

- Integer input to the functions of real values composed of Tensor ops (cov, corrcoef,
  trapezoid, cumulative_trapezoid, gradient, ldexp, renorm, quantile, histogram, F.unfold)
  is computed in the default float, as the ops' own (`tg.exp` of an integer tensor) and as
  PyTorch's: under tg.set_default_dtype(tg.float32) they gave float64.
- vjp_fn's wrong cotangent names its type as jvp's wrong tangent does (it printed the class).
- unpad_sequence's input of fewer than 2 axes raises PyTorch's IndexError, as
  pack_padded_sequence's (it raised ValueError).
- A reduction that is not a string is refused with PyTorch's ValueError by every loss, as
  kl_div's own copy of the check did (the shared check raised TypeError).
- The adaptive pool layers (1-d to 3-d, average and max) share one base: outputs, indices,
  reprs and argument errors as before, against torch.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.nn import functional as F
from tinygrad_gd.nn.utils import rnn

RNG = np.random.default_rng(6)
INTEGERS = np.array([[1, 2, 4, 7], [3, 5, 9, 2], [0, 6, 1, 8]])


# name: ours of an integer tensor, torch's of the same (None: torch refuses integers)
CASES = {
    "cov": (lambda x: tg.cov(x), lambda t, x: t.cov(x)),
    "corrcoef": (lambda x: tg.corrcoef(x), lambda t, x: t.corrcoef(x)),
    "trapezoid": (lambda x: tg.trapezoid(x), lambda t, x: t.trapezoid(x)),
    "cumulative_trapezoid": (lambda x: tg.cumulative_trapezoid(x, dim=0),
                             lambda t, x: t.cumulative_trapezoid(x, dim=0)),
    "gradient": (lambda x: tg.gradient(x, dim=1)[0], lambda t, x: t.gradient(x, dim=1)[0]),
    "ldexp": (lambda x: tg.ldexp(x, tg.tensor(3)), lambda t, x: t.ldexp(x, t.tensor(3))),
    "renorm": (lambda x: tg.renorm(x, 2, 0, 5.0), None),
    "quantile": (lambda x: tg.quantile(x, 0.3), None),
    "histogram": (lambda x: tg.histogram(x, 4).hist, None),
    "unfold": (lambda x: F.unfold(x.reshape(1, 1, 3, 4), 2),
               lambda t, x: t.nn.functional.unfold(x.reshape(1, 1, 3, 4).to(
                   t.get_default_dtype()), 2)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_integer_input_is_computed_in_the_default_float(name):
    ours = CASES[name][0]
    assert ours(tg.tensor(INTEGERS)).dtype == np.float64
    before = tg.get_default_dtype()
    tg.set_default_dtype(tg.float32)
    try:
        out = ours(tg.tensor(INTEGERS))
    finally:
        tg.set_default_dtype(before)
    assert out.dtype == np.float32
    # the same values as in float64, rounded once
    np.testing.assert_allclose(out.data, ours(tg.tensor(INTEGERS)).data, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(k for k, v in CASES.items() if v[1] is not None))
def test_integer_input_gives_pytorchs_dtype_and_values_under_a_float32_default(name):
    torch = pytest.importorskip("torch")
    ours, theirs = CASES[name]
    before, torch_before = tg.get_default_dtype(), torch.get_default_dtype()
    tg.set_default_dtype(tg.float32)
    torch.set_default_dtype(torch.float32)
    try:
        out, expected = ours(tg.tensor(INTEGERS)), theirs(torch, torch.tensor(INTEGERS))
    finally:
        tg.set_default_dtype(before)
        torch.set_default_dtype(torch_before)
    assert str(expected.dtype) == "torch.float32" and out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-6, atol=1e-6)


def test_float_input_keeps_its_dtype_and_gradient():
    x = tg.tensor(RNG.standard_normal((3, 5)).astype(np.float32), requires_grad=True)
    assert tg.cov(x).dtype == np.float32 and tg.trapezoid(x).dtype == np.float32
    y = tg.tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    assert tg.gradcheck(lambda a: tg.cov(a), [y])
    assert tg.gradcheck(lambda a: tg.gradient(a, dim=1)[0], [y])


def test_a_wrong_cotangent_and_a_wrong_tangent_name_their_type_alike():
    x = tg.tensor([1.0, 2.0])
    _, vjp_fn = tg.func.vjp(lambda a: (a * a).sum(), x)
    with pytest.raises(RuntimeError, match=r"vjp_fn: cotangent 0 must be a Tensor of its "
                                           r"output's shape \(\), got float$"):
        vjp_fn(3.0)
    with pytest.raises(RuntimeError, match=r"tangent 0 must be a Tensor of its primal's "
                                           r"shape \(2,\), got float$"):
        tg.func.jvp(lambda a: (a * a).sum(), (x,), (3.0,))


def test_a_padded_batch_of_one_axis_is_refused_with_pytorchs_index_error():
    x = tg.arange(4.0)
    with pytest.raises(IndexError, match=r"unpad_sequence: padded_sequences must be \(length, "
                                         r"batch, \*\).*got shape \(4,\)"):
        rnn.unpad_sequence(x, tg.tensor([2]))
    with pytest.raises(IndexError, match=r"pack_padded_sequence: input must be \(length, "
                                         r"batch, \*\).*got shape \(4,\)"):
        rnn.pack_padded_sequence(x, tg.tensor([2]))


def test_the_same_exception_as_pytorchs_for_a_padded_batch_of_one_axis():
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as torch_rnn
    for ours, theirs in ((rnn.unpad_sequence, torch_rnn.unpad_sequence),
                         (rnn.pack_padded_sequence, torch_rnn.pack_padded_sequence)):
        with pytest.raises(IndexError):
            theirs(torch.arange(4.0), torch.tensor([2]))
        with pytest.raises(IndexError):
            ours(tg.arange(4.0), tg.tensor([2]))


@pytest.mark.parametrize("call, message", [
    (lambda x: F.mse_loss(x, x, reduction=1), "mse_loss: reduction must be 'mean', 'sum' or "
                                               "'none', got 1"),
    (lambda x: tg.nn.MSELoss(reduction=None), "MSELoss: reduction must be 'mean', 'sum' or "
                                              "'none', got None"),
    (lambda x: F.kl_div(x, x, reduction=1), "kl_div: reduction must be 'batchmean', 'mean', "
                                             "'sum' or 'none', got 1"),
    (lambda x: tg.nn.KLDivLoss(reduction="avg"), "KLDivLoss: reduction must be 'batchmean', "
                                                 "'mean', 'sum' or 'none', got 'avg'"),
])
def test_a_wrong_reduction_is_one_value_error_naming_the_loss(call, message):
    with pytest.raises(ValueError) as error:
        call(tg.zeros(2, 3))
    assert str(error.value) == message


def test_a_reduction_that_is_not_a_string_is_a_value_error_as_pytorchs():
    torch = pytest.importorskip("torch")
    x = torch.zeros(2, 3)
    for loss in (torch.nn.functional.mse_loss, torch.nn.functional.kl_div):
        with pytest.raises(ValueError):
            loss(x, x, reduction=1)
    assert F.kl_div(tg.zeros(2, 3), tg.zeros(2, 3), reduction="batchmean").shape == ()


@pytest.mark.parametrize("ours, theirs, shape, size", [
    ("AdaptiveAvgPool1d", "AdaptiveAvgPool1d", (2, 3, 7), 3),
    ("AdaptiveMaxPool1d", "AdaptiveMaxPool1d", (2, 3, 7), 3),
    ("AdaptiveAvgPool2d", "AdaptiveAvgPool2d", (2, 3, 7, 5), (3, None)),
    ("AdaptiveMaxPool2d", "AdaptiveMaxPool2d", (2, 3, 7, 5), (3, 2)),
    ("AdaptiveAvgPool3d", "AdaptiveAvgPool3d", (1, 2, 5, 6, 7), (2, None, 3)),
    ("AdaptiveMaxPool3d", "AdaptiveMaxPool3d", (1, 2, 5, 6, 7), 2),
])
def test_the_adaptive_pool_layers_match_pytorchs(ours, theirs, shape, size):
    torch = pytest.importorskip("torch")
    data = RNG.standard_normal(shape)
    extra = {"return_indices": True} if "Max" in ours else {}
    layer, reference = getattr(tg.nn, ours)(size, **extra), getattr(torch.nn, theirs)(
        size, **extra)
    assert repr(layer) == f"{ours}(output_size={size})"
    x, tx = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, expected = layer(x), reference(tx)
    if extra:
        np.testing.assert_array_equal(out[1].data, expected[1].numpy())
        out, expected = out[0], expected[0]
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    weight = RNG.standard_normal(out.shape)
    (out * tg.tensor(weight)).sum().backward()
    (expected * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_the_adaptive_pool_layers_check_their_arguments_when_built():
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool3d: output_size must be an int >= 1 "
                                         r"or 3 of them .*got \(2, None\)"):
        tg.nn.AdaptiveAvgPool3d((2, None))
    with pytest.raises(ValueError, match=r"AdaptiveMaxPool2d: output_size must be an int >= 1 "
                                         r"or a pair of them"):
        tg.nn.AdaptiveMaxPool2d(0)
    with pytest.raises(TypeError, match="AdaptiveAvgPool1d: output_size must be an int or a "
                                        "tuple of one int, got NoneType None"):
        tg.nn.AdaptiveAvgPool1d(None)
    for layer in (tg.nn.AdaptiveMaxPool1d, tg.nn.AdaptiveMaxPool2d, tg.nn.AdaptiveMaxPool3d):
        with pytest.raises(TypeError, match=f"{layer.__name__}: return_indices must be True or "
                                            f"False, got str 'yes'"):
            layer(2, "yes")
    assert tg.gradcheck(lambda a: tg.nn.AdaptiveAvgPool2d((2, 3))(a),
                        [tg.tensor(RNG.standard_normal((1, 2, 5, 7)), requires_grad=True)])


def test_linear_algebra_and_reductions_of_integers_give_the_default_float():
    ints = tg.tensor([[2, 1], [1, 3]])
    try:
        tg.set_default_dtype(tg.float32)
        made = [tg.linalg.det(ints), tg.linalg.inv(ints), tg.logcumsumexp(tg.tensor([1, 2]), 0),
                tg.cholesky_inverse(tg.tensor([[2, 0], [1, 3]])), tg.cdist(ints, ints),
                F.avg_pool2d(tg.tensor(np.arange(16).reshape(1, 1, 4, 4)), 2), ints / ints]
        assert [t.dtype for t in made] == [np.float32] * len(made)
    finally:
        tg.set_default_dtype(tg.float64)
    assert tg.linalg.det(ints).dtype == np.float64

"""binary_cross_entropy: one op with PyTorch's formulas, even at probabilities of 0 and 1.

Each log is clamped at -100 and the gradient's denominator x (1 - x) is kept from 1e-12,
so the values and both gradients (input and target) equal PyTorch's at 0, 1, 1e-20 and
in between, in float64 and float32; weight= and the reductions are ops after it.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

F = tg.nn.functional
EDGES = [0.0, 1e-40, 1e-20, 1e-13, 1e-11, 0.3, 0.5, 0.999, 1 - 1e-17, 1.0]
TARGETS = [0.0, 1.0, 0.3]


def _ours(x, y, dtype, **options):
    x = tg.Tensor(np.array(x, dtype=dtype), requires_grad=True)
    y = tg.Tensor(np.array(y, dtype=dtype), requires_grad=True)
    loss = F.binary_cross_entropy(x, y, **options)
    loss.sum().backward()
    return loss.data, x.grad.data, y.grad.data


def _torch(torch, x, y, dtype, **options):
    dtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    x = torch.tensor(x, dtype=dtype, requires_grad=True)
    y = torch.tensor(y, dtype=dtype, requires_grad=True)
    if "weight" in options:
        options["weight"] = torch.tensor(options["weight"], dtype=dtype)
    loss = torch.nn.functional.binary_cross_entropy(x, y, **options)
    loss.sum().backward()
    return loss.detach().numpy(), x.grad.numpy(), y.grad.numpy()


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("target", TARGETS)
def test_values_and_both_gradients_equal_pytorchs_at_the_edges(dtype, target):
    torch = pytest.importorskip("torch")
    targets = [target] * len(EDGES)
    ours = _ours(EDGES, targets, dtype, reduction="none")
    theirs = _torch(torch, EDGES, targets, dtype, reduction="none")
    for what, got, expected in zip(("loss", "input's gradient", "target's gradient"),
                                   ours, theirs):
        assert got.dtype == dtype
        if dtype == np.float64:  # the same formulas, the same roundings
            np.testing.assert_array_equal(got, expected, err_msg=what)
        else:  # (NumPy's float32 log may differ from PyTorch's in the last bit)
            np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=what)


def test_a_tiny_probability_is_not_clipped():
    # it was clipped to [2.2e-16, 1 - 2.2e-16]: a loss of 36.04 and a gradient of 0
    loss, dx, dy = _ours([1e-20, 0.0, 1.0], [1.0, 1.0, 0.0], np.float64, reduction="none")
    np.testing.assert_array_equal(loss, [-np.log(1e-20), 100.0, 100.0])
    eps = float(np.float32(1e-12))  # PyTorch's EPSILON, a C float
    np.testing.assert_allclose(dx, [-(1 - 1e-20) / eps, -1 / eps, 1 / eps], rtol=1e-15)
    np.testing.assert_array_equal(dy, [-np.log(1e-20), np.inf, -np.inf])


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_weight_and_reductions_agree_with_pytorch(dtype, reduction, weighted):
    torch = pytest.importorskip("torch")
    x = [[0.0, 1e-20, 0.4], [0.9, 1.0, 0.5]]
    y = [[1.0, 1.0, 0.2], [0.0, 1.0, 0.5]]
    options = dict(reduction=reduction, **({"weight": [2.0, 0.5, 3.0]} if weighted else {}))
    ours = _ours(x, y, dtype, **options)
    theirs = _torch(torch, x, y, dtype, **options)
    for what, got, expected in zip(("loss", "input's gradient", "target's gradient"),
                                   ours, theirs):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=1e-14 if dtype == np.float64 else 1e-6,
                                   err_msg=what)


def test_it_is_one_op_with_no_method_and_no_tg_function():
    x = tg.Tensor([0.2, 0.7], requires_grad=True)
    losses = F.binary_cross_entropy(x, [1.0, 0.0], reduction="none")
    assert losses.grad_fn.name == "binary_cross_entropy"
    assert "binary_cross_entropy" in tg.registered_ops()
    # PyTorch has no torch.binary_cross_entropy nor Tensor.binary_cross_entropy
    assert not hasattr(tg, "binary_cross_entropy")
    assert not hasattr(tg.Tensor, "binary_cross_entropy")


def test_its_checks_are_kept():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input \(probabilities\) must "
                                         r"lie in \[0, 1\]"):
        F.binary_cross_entropy(tg.Tensor([1.5, 0.5]), [1.0, 0.0])
    with pytest.raises(ValueError, match="binary_cross_entropy: input .* shape"):
        F.binary_cross_entropy(tg.Tensor([0.5, 0.5]), [1.0, 0.0, 1.0])


def test_the_diagram_of_a_bce_loss_renders():
    x = tg.Tensor([0.0, 0.3, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(x, [1.0, 0.5, 1.0])
    assert "binary_cross_entropy" in tg.draw_graph(loss).source
    loss.backward()  # the backward view: the op's local derivatives, from its backward
    assert "binary_cross_entropy" in tg.draw_graph(loss).source


# Second read fixes


_X, _Y, _COLUMN = [0.2, 0.5], [1.0, 0.0], [[2.0], [3.0]]  # the weight a column: (2, 1)


@pytest.mark.torch
@pytest.mark.parametrize("call", [
    lambda lib, x, y, w: lib.nn.functional.binary_cross_entropy(x, y, weight=w),
    lambda lib, x, y, w: lib.nn.functional.binary_cross_entropy_with_logits(x, y, weight=w),
    lambda lib, x, y, w: lib.nn.functional.binary_cross_entropy_with_logits(x, y,
                                                                            pos_weight=w),
    lambda lib, x, y, w: lib.nn.BCELoss(weight=w)(x, y),
    lambda lib, x, y, w: lib.nn.BCEWithLogitsLoss(pos_weight=w)(x, y),
])
def test_a_weight_that_would_spread_the_losses_is_refused_as_by_pytorch(call):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=r"doesn't match the broadcast shape \[2, 2\]"):
        call(torch, torch.tensor(_X), torch.tensor(_Y), torch.tensor(_COLUMN))
    with pytest.raises(ValueError, match=r"^binary_cross_entropy(_with_logits)?: (pos_)?weight "
                                         r"of shape \(2, 1\) does not broadcast to the input's "
                                         r"shape \(2,\) \(it would make \(2, 2\)\)$"):
        call(tg, tg.tensor(_X), tg.tensor(_Y), tg.tensor(_COLUMN))
    # a weight of the input's shape, or one that broadcasts to it, is taken as PyTorch's
    for weight in ([2.0, 3.0], [2.0]):
        np.testing.assert_allclose(
            call(tg, tg.tensor(_X), tg.tensor(_Y), tg.tensor(weight)).item(),
            call(torch, torch.tensor(_X, dtype=torch.float64),
                 torch.tensor(_Y, dtype=torch.float64),
                 torch.tensor(weight, dtype=torch.float64)).item(), rtol=1e-14)


@pytest.mark.torch
def test_float16_gradients_at_0_and_1_are_infinite_as_pytorchs_without_a_warning():
    torch = pytest.importorskip("torch")
    x, y = [0.0, 1.0, 0.5, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0, 1.0]  # (the last two: 0 / 0)
    ours = tg.Tensor(np.array(x, np.float16), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (NumPy's divide-by-zero RuntimeWarning)
        F.binary_cross_entropy(ours, np.array(y, np.float16), reduction="sum").backward()
    theirs = torch.tensor(x, dtype=torch.float16, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(
        theirs, torch.tensor(y, dtype=torch.float16), reduction="sum").backward()
    assert ours.grad.dtype == np.float16
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), [-np.inf, np.inf, 2.0, np.nan, np.nan])


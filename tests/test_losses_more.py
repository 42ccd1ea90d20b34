"""PyTorch's remaining losses: the margin and embedding losses, the Gaussian and Poisson
negative log-likelihoods and CTC, as functions (`F.`) and Modules (`nn.`).

Each is checked against finite differences (`tg.gradcheck`, float64, inputs and the
weights or variances that learn), and, where torch is installed, its values and
gradients against PyTorch's in every reduction, at the kinks (exactly at the margin),
with zero targets, empty batches and float32; bad input is refused in one line.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(15)
X, Y = RNG.uniform(-2, 2, (3, 4)), RNG.uniform(-2, 2, (3, 4))
NEG = RNG.uniform(-2, 2, (3, 4))  # a third embedding, for the triplets
SIGNS = np.array([[1, -1, -1, 1], [-1, 1, 1, 1], [1, 1, -1, -1]])  # 1 / -1 targets (int)
ROW_SIGNS = np.array([1, -1, 1])
LABELS = np.array([0, 3, 1])  # class indices
MULTI = np.array([[3, 0, -1, 1], [1, -1, 2, 2], [0, 1, 2, 3]])  # target classes, then -1
SOFT = np.array([[1.0, 0.0, 0.3, 1.0], [0.0, 0.0, 1.0, 0.5], [1.0, 1.0, 0.0, 0.0]])
WEIGHTS = RNG.uniform(0.5, 1.5, 4)  # one per class
VAR = RNG.uniform(0.5, 2.0, (3, 4))
COUNTS = np.array([[0.0, 1.0, 2.0, 3.0], [4.0, 0.0, 1.5, 7.0], [2.0, 5.0, 1.0, 0.0]])
REDUCTIONS = ("mean", "sum", "none")


def _case(make, *inputs, constant=(), at_edge=()):
    """`make(F, reduction)`: the loss as a function of `inputs` in either library;
    `constant`: positions PyTorch has no gradient for (passed without requires_grad);
    `at_edge`: targets with values on their domain's edge (counts of 0, labels 0 and 1),
    where finite differences would step out of it: no gradcheck with respect to them."""
    return make, inputs, constant, at_edge


# name: (make, input arrays, constant positions, at_edge); float arrays are differentiated
CASES = {
    "margin_ranking_loss": _case(lambda F, r: lambda a, b, y: F.margin_ranking_loss(
        a, b, y, 0.3, reduction=r), X[0], Y[0], SIGNS[0]),
    "margin_ranking_loss 2-d": _case(lambda F, r: lambda a, b, y: F.margin_ranking_loss(
        a, b, y, reduction=r), X, Y, SIGNS),
    "hinge_embedding_loss": _case(lambda F, r: lambda x, y: F.hinge_embedding_loss(
        x, y, 0.7, reduction=r), X, SIGNS),
    "soft_margin_loss": _case(lambda F, r: lambda x, y: F.soft_margin_loss(
        x, y, reduction=r), X, SIGNS),
    "multilabel_soft_margin_loss": _case(lambda F, r: lambda x, y: F.multilabel_soft_margin_loss(
        x, y, reduction=r), X, SOFT, constant=(1,), at_edge=(1,)),
    "multilabel_soft_margin_loss weight": _case(
        lambda F, r: lambda x, y, w: F.multilabel_soft_margin_loss(x, y, w, reduction=r),
        X, SOFT, WEIGHTS, constant=(1,), at_edge=(1,)),
    "cosine_embedding_loss": _case(lambda F, r: lambda a, b, y: F.cosine_embedding_loss(
        a, b, y, 0.2, reduction=r), X, Y, ROW_SIGNS),
    "cosine_embedding_loss one sample": _case(
        lambda F, r: lambda a, b, y: F.cosine_embedding_loss(a, b, y, -0.5, reduction=r),
        X[0], Y[0], ROW_SIGNS[1]),
    "multi_margin_loss": _case(lambda F, r: lambda x, y: F.multi_margin_loss(
        x, y, reduction=r), X, LABELS),
    "multi_margin_loss p=2 weight": _case(
        lambda F, r: lambda x, y, w: F.multi_margin_loss(x, y, 2, 0.6, w, reduction=r),
        X, LABELS, WEIGHTS, constant=(2,)),
    "multi_margin_loss one sample": _case(lambda F, r: lambda x, y: F.multi_margin_loss(
        x, y, margin=1.5, reduction=r), X[1], LABELS[1]),
    "multilabel_margin_loss": _case(lambda F, r: lambda x, y: F.multilabel_margin_loss(
        x, y, reduction=r), X, MULTI),
    "multilabel_margin_loss one sample": _case(
        lambda F, r: lambda x, y: F.multilabel_margin_loss(x, y, reduction=r), X[2], MULTI[0]),
    "triplet_margin_loss": _case(lambda F, r: lambda a, p, n: F.triplet_margin_loss(
        a, p, n, reduction=r), X, Y, NEG),
    "triplet_margin_loss p=3 swap": _case(lambda F, r: lambda a, p, n: F.triplet_margin_loss(
        a, p, n, 2.5, 3, 1e-3, True, reduction=r), X, Y, NEG),
    "triplet_margin_loss one triplet": _case(
        lambda F, r: lambda a, p, n: F.triplet_margin_loss(a, p, n, 3.0, reduction=r),
        X[0], Y[0], NEG[0]),
    "triplet_margin_loss 3-d, broadcast": _case(  # (PyTorch's: any number of axes, the same)
        lambda F, r: lambda a, p, n: F.triplet_margin_loss(a, p, n, 2.0, swap=True, reduction=r),
        X.reshape(3, 2, 2), Y[:1].reshape(1, 2, 2), NEG.reshape(3, 2, 2)),
    "triplet_margin_with_distance_loss": _case(
        lambda F, r: lambda a, p, n: F.triplet_margin_with_distance_loss(
            a, p, n, margin=2.0, reduction=r), X, Y, NEG),
    "triplet_margin_with_distance_loss cosine swap": _case(
        lambda F, r: lambda a, p, n: F.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda u, v: 1.0 - F.cosine_similarity(u, v),
            margin=0.8, swap=True, reduction=r), X, Y, NEG),
    "gaussian_nll_loss": _case(lambda F, r: lambda x, y, v: F.gaussian_nll_loss(
        x, y, v, reduction=r), X, Y, VAR),
    "gaussian_nll_loss full, var per sample": _case(
        lambda F, r: lambda x, y, v: F.gaussian_nll_loss(x, y, v, True, reduction=r),
        X, Y, VAR[:, 0]),
    "gaussian_nll_loss var of one axis 1": _case(
        lambda F, r: lambda x, y, v: F.gaussian_nll_loss(x, y, v, reduction=r),
        X, Y, VAR[:1]),
    "gaussian_nll_loss var a number": _case(
        lambda F, r: lambda x, y: F.gaussian_nll_loss(x, y, 0.7, reduction=r), X, Y),
    "gaussian_nll_loss var below eps": _case(
        lambda F, r: lambda x, y, v: F.gaussian_nll_loss(x, y, v, eps=0.8, reduction=r),
        X, Y, VAR),
    "poisson_nll_loss": _case(lambda F, r: lambda x, y: F.poisson_nll_loss(
        x, y, reduction=r), X, COUNTS, at_edge=(1,)),
    "poisson_nll_loss counts between": _case(lambda F, r: lambda x, y: F.poisson_nll_loss(
        x, y, reduction=r), X, COUNTS + 0.5),
    "poisson_nll_loss rates": _case(lambda F, r: lambda x, y: F.poisson_nll_loss(
        x, y, False, eps=1e-3, reduction=r), VAR, COUNTS, at_edge=(1,)),
    # (full: PyTorch's target gradient is NaN at a count of 0; ours, 0 there, below)
    "poisson_nll_loss full": _case(lambda F, r: lambda x, y: F.poisson_nll_loss(
        x, y, full=True, reduction=r), X, COUNTS, constant=(1,), at_edge=(1,)),
    "poisson_nll_loss full, counts between": _case(lambda F, r: lambda x, y: F.poisson_nll_loss(
        x, y, full=True, reduction=r), X, COUNTS + 0.5),
    "poisson_nll_loss rates full": _case(lambda F, r: lambda x, y: F.poisson_nll_loss(
        x, y, False, True, reduction=r), VAR, COUNTS, constant=(1,), at_edge=(1,)),
}


def _ours(arrays, dtype=np.float64, fixed=()):
    return [Tensor(a.astype(dtype), requires_grad=i not in fixed) if a.dtype.kind == "f"
            else tg.as_tensor(a) for i, a in enumerate(arrays)]


def _theirs(torch, arrays, constant=(), dtype=np.float64):
    return [torch.tensor(a.astype(dtype) if a.dtype.kind == "f" else a,
                         requires_grad=a.dtype.kind == "f" and i not in constant)
            for i, a in enumerate(arrays)]


def _agree(torch, ours, theirs, arrays, constant=(), rtol=1e-10, atol=1e-12,
           dtype=np.float64):
    """Values, and the gradients of one backward pass with the same random weights."""
    mine, references = _ours(arrays, dtype), _theirs(torch, arrays, constant, dtype)
    out, expected = ours(*mine), theirs(*references)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol)
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * weights.astype(dtype)).sum().backward()
    (expected * torch.tensor(weights.astype(dtype))).sum().backward()
    for i, (leaf, reference) in enumerate(zip(mine, references)):
        if reference.requires_grad:
            np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=f"input {i}")


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_agrees_with_pytorch(name, reduction):
    torch = pytest.importorskip("torch")
    make, arrays, constant, _ = CASES[name]
    _agree(torch, make(F, reduction), make(torch.nn.functional, reduction), arrays, constant)


# PyTorch's clamp of var to eps passes the gradient unchanged (not differentiated): there
# finite differences see a constant (test_gaussian_nll_loss_passes_the_variance_gradient...)
CLAMPED = {"gaussian_nll_loss var below eps"}


@pytest.mark.parametrize("reduction", ("mean", "none"))
@pytest.mark.parametrize("name", sorted(set(CASES) - CLAMPED))
def test_loss_passes_gradcheck(name, reduction):
    make, arrays, _, at_edge = CASES[name]
    assert tg.gradcheck(make(F, reduction), _ours(arrays, fixed=at_edge))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_stays_float32_and_agrees_with_pytorch(name):
    torch = pytest.importorskip("torch")
    make, arrays, constant, _ = CASES[name]
    _agree(torch, make(F, "none"), make(torch.nn.functional, "none"), arrays, constant,
           rtol=2e-5, atol=2e-6, dtype=np.float32)


# ------------------------------------------------------------------ kinks and edges

EDGE_X = np.array([[1.0, 0.0, 2.0, 0.5]])


def _edge(make, *inputs, constant=(), rtol=1e-10):
    return pytest.param(make, inputs, constant, rtol)


# exactly at the margin (PyTorch's gradient there), zero vectors and far out
EDGES = {
    "margin_ranking_loss at the margin": _edge(
        lambda F: lambda a, b, y: F.margin_ranking_loss(a, b, y, 0.5, reduction="sum"),
        np.array([0.5, 1.0, 0.0]), np.array([0.0, 0.5, 0.5]), np.array([-1.0, -1.0, 1.0])),
    "hinge_embedding_loss at the margin": _edge(
        lambda F: lambda x, y: F.hinge_embedding_loss(x, y, reduction="sum"),
        EDGE_X, np.array([[-1, -1, 1, -1]])),
    "multi_margin_loss at the margin": _edge(
        lambda F: lambda x, y: F.multi_margin_loss(x, y), EDGE_X, np.array([0])),
    "multi_margin_loss p=2 at the margin": _edge(
        lambda F: lambda x, y: F.multi_margin_loss(x, y, 2), EDGE_X, np.array([0])),
    "multilabel_margin_loss at the margin": _edge(
        lambda F: lambda x, y: F.multilabel_margin_loss(x, y), EDGE_X,
        np.array([[0, -1, 0, 0]])),
    "triplet_margin_loss at the margin": _edge(
        lambda F: lambda a, p, n: F.triplet_margin_loss(a, p, n, eps=0.0),
        np.zeros((1, 2)), np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])),
    "triplet_margin_loss swap of a tie": _edge(
        lambda F: lambda a, p, n: F.triplet_margin_loss(a, p, n, 2.0, eps=0.0, swap=True),
        np.zeros((1, 2)), np.array([[2.0, 0.0]]), np.array([[1.0, 1.0]])),
    "cosine_embedding_loss at the margin": _edge(
        lambda F: lambda a, b, y: F.cosine_embedding_loss(a, b, y),
        np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), np.array([-1])),
    "cosine_embedding_loss of zero vectors": _edge(
        lambda F: lambda a, b, y: F.cosine_embedding_loss(a, b, y, reduction="none"),
        np.zeros((2, 3)), np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 0.0]]), np.array([1, -1]),
        rtol=1e-8),  # (a gradient of 1e5 there: 1 / sqrt(1e-12))
    "soft_margin_loss far out": _edge(
        lambda F: lambda x, y: F.soft_margin_loss(x, y, reduction="none"),
        np.array([40.0, -40.0, 0.0, 700.0]), np.array([1, 1, -1, 1])),
    "multilabel_soft_margin_loss far out": _edge(
        lambda F: lambda x, y: F.multilabel_soft_margin_loss(x, y, reduction="none"),
        np.array([[800.0, -800.0, 0.0]]), np.array([[1.0, 0.0, 1.0]]), constant=(1,)),
    "gaussian_nll_loss var 0": _edge(
        lambda F: lambda x, y, v: F.gaussian_nll_loss(x, y, v, reduction="none"),
        np.array([0.5, 1.0]), np.array([0.0, 1.0]), np.array([0.0, 2.0])),
    "poisson_nll_loss zero counts": _edge(
        lambda F: lambda x, y: F.poisson_nll_loss(x, y, reduction="none"),
        np.array([-1.0, 0.5, 2.0]), np.zeros(3)),
}


@pytest.mark.torch
@pytest.mark.parametrize("make, arrays, constant, rtol", list(EDGES.values()), ids=list(EDGES))
def test_loss_at_its_edges_agrees_with_pytorch(make, arrays, constant, rtol):
    torch = pytest.importorskip("torch")
    _agree(torch, make(F), make(torch.nn.functional), arrays, constant, rtol=rtol)


def test_soft_margin_loss_is_finite_where_pytorchs_overflows():
    x = Tensor(np.array([800.0, -800.0]), requires_grad=True)
    loss = F.soft_margin_loss(x, np.array([-1, 1]), reduction="none")
    np.testing.assert_array_equal(loss.data, [800.0, 800.0])  # log(1 + e**800) = 800
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, -1.0])


def test_poisson_full_gives_a_zero_count_a_finite_target_gradient():
    x = Tensor(np.array([0.5, 0.2, -1.0]))
    y = Tensor(np.array([0.0, 1.0, 3.0]), requires_grad=True)
    F.poisson_nll_loss(x, y, full=True, reduction="sum").backward()
    # d/dy: -x, plus Stirling's term only where y > 1: log(y) + 1 / (2 y)
    np.testing.assert_allclose(y.grad.data, [-0.5, -0.2, 1.0 + math.log(3) + 1 / 6])


def test_gaussian_nll_loss_passes_the_variance_gradient_through_the_clamp():
    # as PyTorch's: the clamp to eps is not differentiated, the log and division are, at eps
    var = Tensor(np.array([0.0, 0.5]), requires_grad=True)
    F.gaussian_nll_loss(np.zeros(2), np.array([1.0, 1.0]), var, eps=0.25,
                        reduction="sum").backward()
    clamped = np.array([0.25, 0.5])
    np.testing.assert_allclose(var.grad.data, 0.5 * (1 / clamped - 1 / clamped ** 2))


@pytest.mark.torch
def test_margin_ranking_loss_gradient_of_a_float_target_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    arrays = (X[0], Y[0], SIGNS[0].astype(np.float64))
    make = CASES["margin_ranking_loss"][0]
    _agree(torch, make(F, "mean"), make(torch.nn.functional, "mean"), arrays)


EMPTY_BATCH = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
               "triplet_margin_loss", "gaussian_nll_loss", "poisson_nll_loss",
               "cosine_embedding_loss", "multilabel_soft_margin_loss"]
# (PyTorch's multi_margin_loss and multilabel_margin_loss of no samples return uninitialised
# memory for 'mean' and 'sum': ours are checked on their own)
EMPTY_BATCH_OURS = ["multi_margin_loss", "multilabel_margin_loss"]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (NumPy's mean of nothing: NaN)
@pytest.mark.parametrize("name", EMPTY_BATCH)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_an_empty_batch_agrees_with_pytorch(name, reduction):
    # 'mean' of no samples is NaN, 'sum' 0, 'none' empty, as PyTorch's
    torch = pytest.importorskip("torch")
    make, arrays, constant, _ = CASES[name]
    empty = tuple(a[:0] for a in arrays)
    mine = make(F, reduction)(*_ours(empty))
    theirs = make(torch.nn.functional, reduction)(*_theirs(torch, empty, constant))
    assert mine.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(mine.data, theirs.detach().numpy())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (NumPy's mean of nothing: NaN)
@pytest.mark.parametrize("name", EMPTY_BATCH_OURS)
def test_an_empty_batch_of_classes_is_nan_in_mean_and_0_in_sum(name):
    make, arrays, _, _ = CASES[name]
    empty = tuple(a[:0] for a in arrays)
    assert np.isnan(make(F, "mean")(*_ours(empty)).item())
    assert make(F, "sum")(*_ours(empty)).item() == 0.0
    assert make(F, "none")(*_ours(empty)).shape == (0,)


# ------------------------------------------------------------------ CTC

T, N, C = 6, 4, 5
LOGITS = RNG.standard_normal((T, N, C))
PADDED = np.array([[1, 2, 2, 0], [3, 3, 0, 0], [4, 0, 0, 0], [1, 2, 3, 4]])
INPUT_LENGTHS, TARGET_LENGTHS = np.array([6, 5, 0, 4]), np.array([3, 2, 0, 4])
CONCATENATED = np.concatenate([row[:n] for row, n in zip(PADDED, TARGET_LENGTHS)])


def _ctc(F, **options):
    """CTC of log_softmax(logits) in either library (PyTorch's gradient of log_probs
    themselves differs by exp(log_probs), which log_softmax's backward cancels)."""
    def loss(logits, targets, input_lengths, target_lengths):
        return F.ctc_loss(F.log_softmax(logits, dim=2), targets, input_lengths,
                          target_lengths, **options)
    return loss


@pytest.mark.torch
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", [PADDED, CONCATENATED], ids=["padded", "concatenated"])
def test_ctc_loss_agrees_with_pytorch(targets, reduction, zero_infinity):
    # the samples: a repeated label, a short input, an empty target with no steps, and a
    # target that cannot fit its steps (inf, and NaN gradients unless zero_infinity)
    torch = pytest.importorskip("torch")
    options = {"reduction": reduction, "zero_infinity": zero_infinity}
    arrays = (LOGITS, targets, np.array([6, 5, 0, 3]), TARGET_LENGTHS)
    mine, references = _ours(arrays), _theirs(torch, arrays)
    out = _ctc(F, **options)(*mine)
    expected = _ctc(torch.nn.functional, **options)(*references)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(mine[0].grad.data, references[0].grad.numpy(), rtol=1e-9,
                               atol=1e-12)


@pytest.mark.torch
def test_ctc_loss_of_one_sample_and_blank_elsewhere_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    make = _ctc  # (unbatched: (T, C), targets (S,), lengths 0-d)

    def unbatched(F):
        def loss(logits, targets, input_lengths, target_lengths):
            return F.ctc_loss(F.log_softmax(logits, dim=1), targets, input_lengths,
                              target_lengths, blank=4, reduction="none")
        return loss
    arrays = (LOGITS[:, 0], np.array([1, 0, 0]), np.array(5), np.array(3))
    _agree(torch, unbatched(F), unbatched(torch.nn.functional), arrays)
    arrays = (LOGITS, np.array([[0, 2], [3, 3], [1, 0], [2, 1]]), INPUT_LENGTHS,
              np.array([2, 2, 0, 1]))
    _agree(torch, make(F, blank=4), make(torch.nn.functional, blank=4), arrays)


@pytest.mark.torch
def test_ctc_loss_in_float32_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    arrays = (LOGITS, PADDED, INPUT_LENGTHS, TARGET_LENGTHS)
    _agree(torch, _ctc(F, reduction="none"), _ctc(torch.nn.functional, reduction="none"),
           arrays, rtol=1e-5, atol=1e-6, dtype=np.float32)


def test_ctc_loss_gradient_of_log_probs_passes_gradcheck():
    log_probs = Tensor(RNG.standard_normal((T, N, C)) - 1.5, requires_grad=True)
    lengths = np.array([6, 5, 2, 4])
    for reduction in ("none", "mean"):
        assert tg.gradcheck(lambda lp: F.ctc_loss(lp, PADDED, lengths, TARGET_LENGTHS,
                                                  reduction=reduction), [log_probs])
    # and through log_softmax, the usual way
    assert tg.gradcheck(lambda z: F.ctc_loss(z.log_softmax(axis=2), CONCATENATED, lengths,
                                             TARGET_LENGTHS), [log_probs])


def test_ctc_loss_of_an_empty_target_is_the_blank_path():
    lp = Tensor(LOGITS).log_softmax(axis=2)
    loss = F.ctc_loss(lp, np.zeros((N, 0), np.int64), np.full(N, T), np.zeros(N, np.int64),
                      reduction="none")
    np.testing.assert_allclose(loss.data, -lp.data[:, :, 0].sum(axis=0), rtol=1e-12)


def test_ctc_module_calls_the_function():
    lp = Tensor(LOGITS).log_softmax(axis=2)
    loss_fn = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    assert repr(loss_fn) == "CTCLoss(blank=0, reduction='sum', zero_infinity=True)"
    np.testing.assert_array_equal(
        loss_fn(lp, PADDED, np.array([6, 5, 0, 3]), TARGET_LENGTHS).data,
        F.ctc_loss(lp, PADDED, np.array([6, 5, 0, 3]), TARGET_LENGTHS, 0, "sum", True).data)


# (PyTorch's RuntimeErrors for shapes, lengths and the blank; labels it does not check)
@pytest.mark.parametrize("change, error, message", [
    ({"targets": np.array([[1, 0, 2, 0], [3, 3, 0, 0], [4, 0, 0, 0], [1, 2, 3, 4]])},
     ValueError, r"other than the blank 0, got \[0\]"),
    ({"targets": PADDED + 2}, ValueError, r"in \[0, 4\] other than the blank 0, got \[5, 6\]"),
    ({"input_lengths": np.array([7, 5, 0, 4])}, RuntimeError, "at most T = 6"),
    ({"input_lengths": np.array([6, 5, 0])}, RuntimeError, r"shape \(3,\) must have shape \(4,\)"),
    ({"input_lengths": np.array([6.0, 5, 0, 4])}, RuntimeError, "input_lengths must be integers"),
    ({"target_lengths": np.array([3, -1, 0, 4])}, RuntimeError, "target_lengths must be >= 0"),
    ({"targets": PADDED[:, :3]}, RuntimeError,
     r"padded targets of shape \(4, 3\) need 4 rows of at least 4"),
    ({"targets": CONCATENATED[:-1]}, RuntimeError,
     r"targets of shape \(8,\) do not fit target_lengths summing to 9"),
    ({"targets": PADDED * 0.5}, TypeError, "targets must be integer class indices"),
    ({"blank": 5}, RuntimeError, r"blank must be a class in \[0, 4\], got 5"),
    ({"log_probs": LOGITS[0, 0]}, RuntimeError, r"log_probs must be \(T, N, C\)"),
    ({"reduction": "batchmean"}, ValueError, "reduction must be 'mean', 'sum' or 'none'"),
])
def test_ctc_loss_refuses_bad_input_in_one_line(change, error, message):
    arguments = {"log_probs": LOGITS, "targets": PADDED, "input_lengths": INPUT_LENGTHS,
                 "target_lengths": TARGET_LENGTHS, **change}
    with pytest.raises(error, match="^ctc_loss: .*" + message) as raised:
        F.ctc_loss(**arguments)
    assert "\n" not in str(raised.value)


@pytest.mark.torch
@pytest.mark.parametrize("change", [
    {"input_lengths": np.array([7, 5, 0, 4])}, {"input_lengths": np.array([6, 5, 0])},
    {"target_lengths": np.array([3, -1, 0, 4])}, {"targets": PADDED[:, :3]},
    {"targets": CONCATENATED[:-1]}, {"blank": 5}, {"log_probs": LOGITS[..., None]}])
def test_ctc_loss_refuses_what_pytorch_refuses_with_its_error_type(change):
    # a port's `except RuntimeError` around ctc_loss catches ours too
    torch = pytest.importorskip("torch")
    arguments = {"log_probs": LOGITS, "targets": PADDED, "input_lengths": INPUT_LENGTHS,
                 "target_lengths": TARGET_LENGTHS, "blank": 0, **change}
    with pytest.raises(RuntimeError):
        torch.nn.functional.ctc_loss(**{name: torch.tensor(value) if name != "blank" else value
                                        for name, value in arguments.items()})
    with pytest.raises(RuntimeError, match="^ctc_loss: "):
        F.ctc_loss(**arguments)


# ------------------------------------------------------------------ the Modules

# name: (make(nn): the Module in either library, its input arrays, constant positions)
MODULES = {
    "MarginRankingLoss": (lambda nn: nn.MarginRankingLoss(0.2, reduction="sum"),
                          (X[0], Y[0], SIGNS[0]), ()),
    "HingeEmbeddingLoss": (lambda nn: nn.HingeEmbeddingLoss(), (X, SIGNS), ()),
    "SoftMarginLoss": (lambda nn: nn.SoftMarginLoss(reduction="none"), (X, SIGNS), ()),
    "MultiLabelSoftMarginLoss": (lambda nn: nn.MultiLabelSoftMarginLoss(), (X, SOFT), (1,)),
    "CosineEmbeddingLoss": (lambda nn: nn.CosineEmbeddingLoss(0.1), (X, Y, ROW_SIGNS), ()),
    "MultiMarginLoss": (lambda nn: nn.MultiMarginLoss(2, 0.5), (X, LABELS), ()),
    "MultiLabelMarginLoss": (lambda nn: nn.MultiLabelMarginLoss(), (X, MULTI), ()),
    "TripletMarginLoss": (lambda nn: nn.TripletMarginLoss(0.5, 1.0, swap=True), (X, Y, NEG), ()),
    "TripletMarginWithDistanceLoss": (lambda nn: nn.TripletMarginWithDistanceLoss(
        distance_function=nn.PairwiseDistance(3.0), margin=2.0), (X, Y, NEG), ()),
    "GaussianNLLLoss": (lambda nn: nn.GaussianNLLLoss(full=True, eps=0.6), (X, Y, VAR), ()),
    "PoissonNLLLoss": (lambda nn: nn.PoissonNLLLoss(False, eps=1e-3, reduction="none"),
                       (VAR, COUNTS), ()),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_agrees_with_pytorchs(name):
    torch = pytest.importorskip("torch")
    make, arrays, constant = MODULES[name]
    assert type(make(torch.nn)).__name__ == name
    _agree(torch, make(nn), make(torch.nn), arrays, constant)


def test_modules_take_pytorchs_positional_order_and_show_it():
    # (PyTorch's settings before its deprecated size_average, and reduction by keyword)
    assert repr(nn.MarginRankingLoss(0.5, reduction="sum")) == (
        "MarginRankingLoss(margin=0.5, reduction='sum')")
    assert repr(nn.HingeEmbeddingLoss()) == "HingeEmbeddingLoss(margin=1.0, reduction='mean')"
    assert repr(nn.MultiMarginLoss(2, 0.5)) == "MultiMarginLoss(p=2, margin=0.5, reduction='mean')"
    assert repr(nn.TripletMarginLoss(0.5, 1.0, 1e-3, True)) == (
        "TripletMarginLoss(margin=0.5, p=1.0, eps=0.001, swap=True, reduction='mean')")
    assert repr(nn.PoissonNLLLoss(False, True, eps=1e-4, reduction="sum")) == (
        "PoissonNLLLoss(log_input=False, full=True, eps=0.0001, reduction='sum')")
    assert repr(nn.GaussianNLLLoss()) == "GaussianNLLLoss(full=False, eps=1e-06, reduction='mean')"


def test_a_class_weight_is_a_buffer_in_the_state_dict():
    weighted = nn.MultiMarginLoss(weight=tg.tensor(WEIGHTS))
    assert list(weighted.state_dict()) == ["weight"] and not list(weighted.parameters())
    assert list(nn.MultiMarginLoss().state_dict()) == []
    soft = nn.MultiLabelSoftMarginLoss(tg.tensor(WEIGHTS))  # (PyTorch's first argument)
    np.testing.assert_array_equal(soft.state_dict()["weight"], WEIGHTS)
    np.testing.assert_allclose(soft(X, SOFT).data, F.multilabel_soft_margin_loss(
        X, SOFT, WEIGHTS).data, rtol=1e-15)


def test_a_weight_that_learns_gets_its_gradient():
    weight = Tensor(WEIGHTS, requires_grad=True)
    assert tg.gradcheck(lambda x, w: F.multi_margin_loss(x, LABELS, weight=w),
                        [Tensor(X, requires_grad=True), weight])
    loss_fn = nn.MultiLabelSoftMarginLoss(weight)
    loss_fn(X, SOFT).backward()
    assert weight.grad is not None and weight.grad.data.any()


def test_a_diagram_names_the_constants_a_loss_makes():
    loss = F.multilabel_margin_loss(Tensor(X, requires_grad=True), MULTI)
    names = {t.name for t in tg.engine.toposort(loss, every=True) if t.is_leaf}
    assert "target pairs" in names
    var = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    loss = F.gaussian_nll_loss(Tensor(np.zeros(2), requires_grad=True), np.ones(2), var)
    assert "raise to eps" in {t.name for t in tg.engine.toposort(loss, every=True)}
    loss = F.poisson_nll_loss(Tensor(X, requires_grad=True), COUNTS, full=True)
    assert "Stirling's term" in {t.name for t in tg.engine.toposort(loss, every=True)}
    loss = F.multilabel_soft_margin_loss(Tensor(X, requires_grad=True), SOFT)
    assert "1 - target" in {t.name for t in tg.engine.toposort(loss, every=True)}


def _learns(array):
    return Tensor(array, requires_grad=True)


# a loss of a tensor that learns and of constants: (make(the tensors), the tensors passed)
CONSTANT_ARGUMENTS = {
    "gaussian_nll_loss, a constant var": lambda t: F.gaussian_nll_loss(t[0], t[1], t[2]),
    "gaussian_nll_loss, a constant var below eps": lambda t: F.gaussian_nll_loss(
        t[0], t[1], t[2], eps=0.8),
    "gaussian_nll_loss, a constant var per sample": lambda t: F.gaussian_nll_loss(
        t[0], t[1], t[3]),
    "multi_margin_loss, a constant weight": lambda t: F.multi_margin_loss(
        t[0], LABELS, weight=t[4]),
    "cosine_embedding_loss, a constant input2": lambda t: F.cosine_embedding_loss(
        t[0], t[1], ROW_SIGNS),
    "cosine_embedding_loss, a constant input1": lambda t: F.cosine_embedding_loss(
        t[1], t[0], ROW_SIGNS),
    "triplet_margin_loss swap, constant positive and negative": lambda t: F.triplet_margin_loss(
        t[0], t[1], t[2], swap=True),
    "multilabel_soft_margin_loss": lambda t: F.multilabel_soft_margin_loss(t[0], t[5]),
    "poisson_nll_loss full": lambda t: F.poisson_nll_loss(t[0], t[6], full=True),
    "ctc_loss": lambda t: F.ctc_loss(t[7].log_softmax(axis=2), PADDED, INPUT_LENGTHS,
                                     TARGET_LENGTHS),
}


@pytest.mark.parametrize("name", sorted(CONSTANT_ARGUMENTS))
def test_a_diagram_draws_no_constant_a_loss_makes_as_an_input(name):
    # every constant of more than one number in the graph is a tensor the caller passed, or
    # is named for what it is (unnamed, a diagram draws it as another of the user's inputs)
    given = [_learns(X), Tensor(Y), Tensor(VAR), Tensor(VAR[:, 0]), Tensor(WEIGHTS),
             Tensor(SOFT), Tensor(COUNTS), _learns(LOGITS)]
    loss = CONSTANT_ARGUMENTS[name](given)
    unnamed = [t.shape for t in tg.engine.toposort(loss, every=True) if t.is_leaf
               and t.size > 1 and t.name is None and not any(t is g for g in given)]
    assert unnamed == []


def test_multilabel_margin_loss_of_huge_or_infinite_scores_agrees_with_pytorch():
    # a hinge of inf at a pair that is not counted was multiplied by 0: NaN for the sample
    x = np.array([[1e308, -1e308, 0.0, 1.0], [np.inf, 0.0, 0.0, 1.0], [np.inf, 0.0, 0.0, 2.0]])
    target = np.array([[0, -1, 0, 0], [-1, 0, 0, 0], [1, -1, 0, 0]])
    with np.errstate(invalid="ignore", over="ignore"):
        loss = F.multilabel_margin_loss(x, target, reduction="none")
    assert not np.isnan(loss.data).any()
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(loss.data, torch.nn.functional.multilabel_margin_loss(
        torch.tensor(x), torch.tensor(target), reduction="none").numpy())


def test_triplet_margin_with_distance_loss_keeps_pytorchs_default_distance_module():
    loss_fn = nn.TripletMarginWithDistanceLoss()
    assert isinstance(loss_fn.distance_function, nn.PairwiseDistance)
    assert [name for name, _ in loss_fn.named_modules()] == ["", "distance_function"]
    np.testing.assert_allclose(loss_fn(X, Y, NEG).data,
                               F.triplet_margin_with_distance_loss(X, Y, NEG).data, rtol=1e-15)


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call, error, message", [
    (lambda: F.hinge_embedding_loss(X, (SIGNS > 0) * 1), ValueError,
     r"hinge_embedding_loss: target must hold 1 or -1 in every entry, got \[0.0\]; labels 0 "
     r"and 1\? pass 2 \* y - 1"),
    (lambda: F.soft_margin_loss(X, SIGNS * 0.5), ValueError,
     r"soft_margin_loss: target must hold 1 or -1 in every entry, got \[-0.5, 0.5\]"),
    (lambda: F.margin_ranking_loss(X[0], Y[0, :3], SIGNS[0]), ValueError,
     r"margin_ranking_loss: input1 of shape \(4,\) and input2 of shape \(3,\) must have"),
    (lambda: F.margin_ranking_loss(X[0], Y[0], SIGNS), ValueError,
     r"margin_ranking_loss: target of shape \(3, 4\) does not fit input of shape \(4,\)"),
    (lambda: F.cosine_embedding_loss(X, Y, SIGNS), ValueError,
     r"cosine_embedding_loss: target of shape \(3, 4\) .* expected target shape \(3,\)"),
    (lambda: F.cosine_embedding_loss(X[None], Y[None], ROW_SIGNS), ValueError,
     r"cosine_embedding_loss: inputs must be \(batch, features\) or \(features,\)"),
    (lambda: F.multi_margin_loss(X, LABELS, p=3), ValueError,
     "multi_margin_loss: only p == 1 and p == 2 are supported, got p=3"),
    (lambda: F.multi_margin_loss(X, np.array([0, 4, 1])), ValueError,
     r"multi_margin_loss: class indices must lie in \[0, 3\] for 4 classes, got \[4\]"),
    (lambda: F.multi_margin_loss(X, LABELS, weight=WEIGHTS[:3]), ValueError,
     r"multi_margin_loss: weight must hold one number per class, shape \(4,\)"),
    (lambda: F.multi_margin_loss(np.zeros((2, 0)), LABELS[:2]), ValueError,
     "multi_margin_loss: input must be scores of shape"),
    (lambda: F.multilabel_margin_loss(X, MULTI[:, :3]), ValueError,
     r"multilabel_margin_loss: target of shape \(3, 3\) must have the input's shape \(3, 4\)"),
    (lambda: F.multilabel_margin_loss(X, MULTI + 2), ValueError,
     r"multilabel_margin_loss: target entries must be class indices in \[0, 3\] or -1 .*"
     r"got \[4, 5\]"),
    (lambda: F.multilabel_margin_loss(X, MULTI * 1.0), TypeError,
     "multilabel_margin_loss: target must hold integer class indices"),
    (lambda: F.multilabel_soft_margin_loss(X, SOFT * 2), ValueError,
     r"multilabel_soft_margin_loss: target must lie in \[0, 1\]"),
    (lambda: F.multilabel_soft_margin_loss(X, SOFT, "sum"), TypeError,
     "multilabel_soft_margin_loss: weight must be a tensor or None, got the string 'sum'; "
     "pass the reduction by keyword, reduction='sum'"),
    (lambda: F.multilabel_soft_margin_loss(X, SOFT, np.ones((2, 4))), ValueError,
     r"multilabel_soft_margin_loss: weight of shape \(2, 4\) does not broadcast"),
    (lambda: F.triplet_margin_loss(X, Y, NEG, margin=0.0), ValueError,
     "triplet_margin_loss: margin must be greater than 0, got 0.0"),
    (lambda: F.triplet_margin_loss(X, Y[0], NEG), ValueError,
     r"triplet_margin_loss: anchor, positive and negative must have the same number of "
     r"dimensions, at least 1 .* got \(3, 4\), \(4,\)"),
    (lambda: F.triplet_margin_with_distance_loss(X[0, 0], Y[0, 0], NEG[0, 0]), ValueError,
     r"triplet_margin_with_distance_loss: .* at least 1 .* got \(\), \(\) and \(\)"),
    (lambda: F.triplet_margin_loss(X, Y, NEG, swap=1), TypeError,
     "triplet_margin_loss: swap must be True or False"),
    (lambda: F.triplet_margin_with_distance_loss(X, Y, NEG, distance_function="l2"),
     TypeError, "triplet_margin_with_distance_loss: distance_function must be a function"),
    (lambda: F.gaussian_nll_loss(X, Y, -VAR), ValueError,
     "gaussian_nll_loss: var .the variance. must be >= 0, got a smallest value of"),
    (lambda: F.gaussian_nll_loss(X, Y, VAR * np.nan), ValueError,  # (as loss_checks' words)
     r"gaussian_nll_loss: var \(the variance\) must be >= 0, got 12 NaN\(s\); find the step "
     r"that made them with tg.detect_anomaly\(\)"),
    (lambda: F.gaussian_nll_loss(X, Y, -1.0), ValueError,
     "gaussian_nll_loss: var must be >= 0, got -1.0"),
    (lambda: F.gaussian_nll_loss(X, Y, VAR[:, :2]), ValueError,
     r"gaussian_nll_loss: var of shape \(3, 2\) does not fit input of shape \(3, 4\)"),
    (lambda: F.gaussian_nll_loss(X, Y[:2], VAR), ValueError,
     r"gaussian_nll_loss: target of shape \(2, 4\) must have the input's shape \(3, 4\)"),
    (lambda: F.poisson_nll_loss(X, -COUNTS - 1), ValueError,
     "poisson_nll_loss: target .the counts. must be >= 0, got a smallest value of -8"),
    (lambda: F.poisson_nll_loss(X, COUNTS, log_input=False), ValueError,
     r"poisson_nll_loss: input \(the rate, log_input=False\) must be >= 0, .*; for log-rates "
     "pass log_input=True"),
    (lambda: F.poisson_nll_loss(X, COUNTS, reduction="batchmean"), ValueError,
     "poisson_nll_loss: reduction must be 'mean', 'sum' or 'none', got 'batchmean'"),
    (lambda: F.soft_margin_loss(X, Y[:2]), ValueError,
     r"soft_margin_loss: target of shape \(2, 4\) does not fit input of shape \(3, 4\)"),
    (lambda: nn.MultiMarginLoss(p=3), ValueError,
     "MultiMarginLoss: only p == 1 and p == 2 are supported"),
    (lambda: nn.MultiMarginLoss(weight=np.ones((2, 2))), ValueError,
     "MultiMarginLoss: weight must be one-dimensional"),
    (lambda: nn.MultiMarginLoss(weight=[[1.0, 2.0]]), ValueError,
     r"MultiMarginLoss: weight must be one-dimensional .*, got shape \(1, 2\)"),
    (lambda: F.multi_margin_loss(X, LABELS, 1, 1.0, "sum"), TypeError,
     "multi_margin_loss: weight must be a tensor or None, got the string 'sum'; pass the "
     "reduction by keyword, reduction='sum'"),
    (lambda: nn.MultiLabelSoftMarginLoss("sum"), TypeError,
     "MultiLabelSoftMarginLoss: weight must be a tensor or None, got the string 'sum'"),
    (lambda: nn.TripletMarginLoss(margin=-1.0), ValueError,
     "TripletMarginLoss: margin must be greater than 0"),
    (lambda: nn.TripletMarginWithDistanceLoss(distance_function=3), TypeError,
     "TripletMarginWithDistanceLoss: distance_function must be a function"),
    (lambda: nn.GaussianNLLLoss(full="yes"), TypeError,
     "GaussianNLLLoss: full must be True or False"),
    (lambda: nn.PoissonNLLLoss(reduction="avg"), ValueError,
     "PoissonNLLLoss: reduction must be 'mean', 'sum' or 'none'"),
    (lambda: nn.CTCLoss(blank=-1), RuntimeError, "CTCLoss: blank must be a class index >= 0"),
    (lambda: nn.HingeEmbeddingLoss(margin="1"), TypeError,
     "HingeEmbeddingLoss: margin must be a number"),
])
def test_bad_input_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match="^" + message) as raised:
        call()
    assert "\n" not in str(raised.value)

"""What the audit of the signature changes mended, each as a user meets it.

The adaptive average pools keep a NaN or inf in its own windows (an averaging matrix's 0
times it spread it to every output); EmbeddingBag and F.embedding_bag take max_norm as
Embedding does (one renorm); a parametrized Linear computes its weight once per call;
ModuleList refuses one layer given where a list goes in one line naming itself; a
loss's log_target and weight are checked where they are given; softmax's dtype= error
names the function called; a max_norm lookup whose rows are all within the norm writes
nothing, so a graph that used the weight before it still runs backward.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F
from tinygrad_gd.nn.spatial_functions import _windows

RNG = np.random.default_rng(16)


# ------------------------------------------------------------------ adaptive average pools


def _spoiled(shape: tuple[int, ...], value: float, dtype=np.float64) -> np.ndarray:
    x = RNG.standard_normal(shape).astype(dtype)
    x.flat[x.size // 2 + 1] = value
    return x


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_a_nan_or_inf_stays_in_its_own_windows(value):
    x = _spoiled((1, 1, 8, 8), value)  # output 3: windows [0, 3), [2, 6), [5, 8)
    out = F.adaptive_avg_pool2d(tg.tensor(x), 3).numpy()[0, 0]
    row, column = np.argwhere(~np.isfinite(x[0, 0]))[0]
    hit = [[start <= i < end for start, end in _windows(8, 3)] for i in (row, column)]
    expected = np.outer(hit[0], hit[1])  # the windows that hold the entry
    np.testing.assert_array_equal(~np.isfinite(out), expected)
    assert expected.sum() < 9 and np.isfinite(out[~expected]).all()
    if not np.isnan(value):
        assert (out[expected] == value).all()


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [None, np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name, shape, size", [
    ("adaptive_avg_pool1d", (2, 3, 9), 4), ("adaptive_avg_pool1d", (3, 5), 3),
    ("adaptive_avg_pool2d", (2, 3, 6, 7), (4, 5)), ("adaptive_avg_pool2d", (3, 7, 7), (3, 7)),
    ("adaptive_avg_pool3d", (2, 2, 5, 6, 7), (2, 4, 3)),
    ("adaptive_avg_pool3d", (2, 5, 6, 7), (3, None, 2))])
def test_adaptive_average_pools_are_pytorchs_with_nan_and_inf(name, shape, size, value, dtype):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape).astype(dtype) if value is None else \
        _spoiled(shape, value, dtype)
    ours = tg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = getattr(F, name)(ours, size)
    their_out = getattr(torch.nn.functional, name)(theirs, size)
    assert out.dtype == dtype and out.shape == tuple(their_out.shape)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), **tol)
    g = RNG.standard_normal(out.shape).astype(dtype)
    out.backward(tg.tensor(g))  # (not (out * g).sum(): inf - inf there)
    their_out.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tol)


@pytest.mark.parametrize("function, shape, size", [
    (F.adaptive_avg_pool1d, (2, 3, 7), 3), (F.adaptive_avg_pool2d, (1, 2, 5, 7), (3, 4)),
    (F.adaptive_avg_pool3d, (1, 2, 3, 4, 5), (2, 3, 2))])
def test_adaptive_average_pools_gradients_are_right_and_their_constants_named(function, shape,
                                                                             size):
    x = tg.Tensor(RNG.standard_normal(shape), requires_grad=True, name="x")
    assert tg.gradcheck(lambda a: function(a, size), [x])
    source = tg.draw_graph(function(x, size).sum()).source
    assert source.count("<B>window sizes</B>") == len(shape) - 2
    assert "<I>input</I>" not in source  # (no constant drawn as the user's input)


def test_adaptive_average_pool_of_an_empty_batch_keeps_its_shape():
    out = F.adaptive_avg_pool2d(tg.zeros((0, 2, 5, 7)), (3, 4))
    assert out.shape == (0, 2, 3, 4)


# ------------------------------------------------------------------ embeddings


TABLE = RNG.normal(size=(6, 3)) * 2
BAG = np.array([1, 2, 4, 4, 0, 5, 2])
OFFSETS = np.array([0, 3, 3])


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("options", [dict(max_norm=1.0), dict(max_norm=0.7, norm_type=1.0,
                                                                padding_idx=2),
                                     dict(max_norm=1.0, norm_type=np.inf)])
def test_embedding_bag_max_norm_is_pytorchs(options, mode, dtype):
    torch = pytest.importorskip("torch")
    table = TABLE.astype(dtype)
    ours = nn.EmbeddingBag(6, 3, mode=mode, _weight=table, **options)
    theirs = torch.nn.EmbeddingBag(6, 3, mode=mode, _weight=torch.tensor(table), **options)
    assert repr(ours) == repr(theirs)
    out = ours(tg.as_tensor(BAG), tg.as_tensor(OFFSETS))
    their_out = theirs(torch.tensor(BAG), torch.tensor(OFFSETS))
    assert out.dtype == dtype
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), **tol)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), **tol)
    g = RNG.normal(size=out.shape).astype(dtype)
    (out * tg.tensor(g)).sum().backward()
    (their_out * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), **tol)


def test_embedding_bag_max_norm_renormalises_the_rows_it_reads_as_embedding():
    bag_weight, weight = tg.tensor(TABLE.copy()), tg.tensor(TABLE.copy())
    F.embedding_bag(BAG, bag_weight, OFFSETS, max_norm=1.0, mode="sum")
    F.embedding(BAG, weight, max_norm=1.0)
    np.testing.assert_array_equal(bag_weight.numpy(), weight.numpy())
    norms = np.linalg.norm(weight.numpy(), axis=1)
    assert (norms[BAG] <= 1.0).all() and norms[3] == np.linalg.norm(TABLE[3])  # (3: unread)
    with pytest.raises(ValueError, match=r"^EmbeddingBag: max_norm must be positive"):
        nn.EmbeddingBag(6, 3, max_norm=-1.0)
    with pytest.raises(TypeError, match=r"^embedding_bag: max_norm must be a number, got str"):
        F.embedding_bag(BAG, TABLE, OFFSETS, max_norm="1")


def test_a_max_norm_lookup_within_the_norm_leaves_an_earlier_graph_intact():
    layer = nn.Embedding(5, 3, max_norm=100.0, seed=0)  # (every row's norm is far below)
    used = (layer.weight * layer.weight).sum()  # the weight saved for backward
    total = used + layer(tg.as_tensor([0, 1, 1])).sum()
    total.backward()
    expected = 2 * layer.weight.numpy() + np.bincount([0, 1, 1], minlength=5)[:, None]
    np.testing.assert_allclose(layer.weight.grad.numpy(), expected, rtol=1e-15)


# ------------------------------------------------------------------ layers and containers


class _Counted(nn.Module):
    """A parametrization that counts how often it computes the weight."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x * 2.0


def test_a_parametrized_linear_computes_its_weight_once_per_call():
    # (forward reads the weight once; parametrize's per-call cache guards it too)
    layer = nn.Linear(3, 2, seed=0)
    counter = _Counted()
    nn.utils.parametrize.register_parametrization(layer, "weight", counter)
    counter.calls = 0
    x = tg.tensor(RNG.normal(size=(4, 3)), requires_grad=True)
    out = layer(x)
    assert counter.calls == 1
    np.testing.assert_allclose(out.numpy(), x.numpy() @ layer.weight.numpy().T
                               + layer.bias.numpy(), rtol=1e-14)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.ModuleList(nn.ReLU()), r"^ModuleList: extend expects an iterable of layers, "
                                       r"got a value of type ReLU; append adds one$"),
    (lambda: nn.ModuleList([nn.ReLU()]).extend(5), r"^ModuleList: extend expects an iterable"),
    (lambda: nn.Sequential(nn.ReLU()).extend(tg.ones(2)), r"^Sequential: extend expects an "
                                                          r"iterable of layers, got a value of "
                                                          r"type Tensor"),
    (lambda: nn.ParameterList(nn.Parameter(tg.ones((3, 2)))),
     r"^ParameterList: extend expects an iterable of parameters, got a value of type "
     r"Parameter"),
])
def test_one_entry_given_where_a_list_goes_is_refused_in_one_line(make, message):
    with pytest.raises(TypeError, match=message):
        make()


# ------------------------------------------------------------------ losses and activations


X = RNG.normal(size=(2, 3))


def test_kl_div_log_target_must_be_a_flag():
    log_p = F.log_softmax(tg.tensor(X), 1)
    target = F.softmax(tg.tensor(X[::-1].copy()), 1)
    with pytest.raises(TypeError, match=r"^kl_div: log_target must be True or False, got str "
                                        r"'False'"):
        F.kl_div(log_p, target, reduction="sum", log_target="False")
    with pytest.raises(TypeError, match=r"^KLDivLoss: log_target must be True or False"):
        nn.KLDivLoss(log_target="yes")
    assert F.kl_div(log_p, target, reduction="sum", log_target=np.bool_(False)).item() == \
        F.kl_div(log_p, target, reduction="sum").item()


def test_a_loss_weight_that_is_no_numbers_is_refused_naming_the_loss():
    with pytest.raises(TypeError, match=r"^BCELoss: weight must be a Tensor, got str 'foo'"):
        nn.BCELoss("foo")
    with pytest.raises(TypeError, match=r"^MultiLabelSoftMarginLoss: weight: expected numeric"):
        nn.MultiLabelSoftMarginLoss([["a"]])
    loss = nn.BCELoss(np.float32([1.0, 2.0]))  # numbers: a buffer in their dtype, as before
    assert loss.weight.dtype == np.float32 and list(loss.state_dict()) == ["weight"]


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_dtype_errors_name_the_function_called(name):
    with pytest.raises(TypeError, match=rf"^{name}: unknown dtype 'banana'"):
        getattr(F, name)(tg.tensor(X), 1, dtype="banana")
    assert getattr(F, name)(X.tolist(), 1, dtype="float32").dtype == np.float32

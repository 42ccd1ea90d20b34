"""Dtypes kept as PyTorch keeps them, and half precision computed without overflow.

A loss's weight given as a list (kept by the Module as a float64 Buffer) leaves a
float32 loss float32; float16 norms, layer and batch norms and einsum/tensordot add up
in a wider dtype (as sum and mean do) and give float16 back, with float16 gradients;
integer tensors stay integers through masked_fill, max_pool2d with padding, hardtanh
and relu6, and a boolean one through sign. Each is checked against a NumPy (float64)
oracle and, where torch is installed, against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.errors import ShapeError
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(0)
X32 = RNG.standard_normal((3, 2)).astype(np.float32)  # logits
Y32 = (RNG.random((3, 2)) > 0.5).astype(np.float32)  # binary targets
W = [1.0, 2.0]  # one weight per column
H = np.float16([[-300, 0, 300, 100], [1e-2, 2e-2, -3e-2, 5e-2]])  # squares overflow float16
LONG_A = RNG.uniform(0, 0.1, (2, 4096)).astype(np.float16)  # 4096-long sums
LONG_B = RNG.uniform(0, 0.1, (4096, 2)).astype(np.float16)
IMAGE = np.arange(16).reshape(1, 1, 4, 4)
MASK = np.array([True, False, False])


def _close(ours, expected, rtol=2e-3, atol=0.0):
    np.testing.assert_allclose(np.asarray(ours._data, np.float64), expected, rtol=rtol, atol=atol)


def _bce_with_logits(x, y, weight=1.0, pos_weight=1.0):  # the float64 oracle
    x, y = x.astype(np.float64), y.astype(np.float64)
    log_sig, log_one_minus = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    return np.mean(-weight * (pos_weight * y * log_sig + (1 - y) * log_one_minus))


# ------------------------------------------------------------------ 1. loss weights as lists


def test_loss_modules_with_list_weights_keep_a_float32_loss_float32():
    x, y = tg.Tensor(X32, requires_grad=True), tg.Tensor(Y32)
    weights = np.array(W)
    losses = {nn.BCEWithLogitsLoss(pos_weight=W): _bce_with_logits(X32, Y32, pos_weight=weights),
              nn.BCEWithLogitsLoss(weight=W): _bce_with_logits(X32, Y32, weight=weights)}
    for module, expected in losses.items():
        loss = module(x, y)
        assert loss.dtype == np.float32, module
        _close(loss, expected, rtol=1e-6)
    p = 1 / (1 + np.exp(-X32.astype(np.float64)))
    loss = nn.BCELoss(weight=W)(tg.Tensor(p.astype(np.float32)), y)
    assert loss.dtype == np.float32
    _close(loss, np.mean(-np.array(W) * (Y32 * np.log(p) + (1 - Y32) * np.log(1 - p))),
           rtol=1e-5)
    nn.BCEWithLogitsLoss(pos_weight=W, weight=W)(x, y).backward()
    assert x.grad.dtype == np.float32


def test_a_float64_constant_tensor_weight_takes_the_inputs_dtype():
    x, y = tg.Tensor(X32), tg.Tensor(Y32)
    weight = tg.Tensor(np.array(W))  # float64, no gradient: a constant, as a Buffer
    for loss in (F.binary_cross_entropy_with_logits(x, y, weight=weight, pos_weight=weight),
                 F.binary_cross_entropy(x.sigmoid(), y, weight=weight)):
        assert loss.dtype == np.float32
    learned = tg.Tensor(np.array(W), requires_grad=True)  # one that learns is kept as it is
    loss = F.binary_cross_entropy_with_logits(x, y, weight=learned)
    loss.backward()
    assert learned.grad.dtype == np.float64


@pytest.mark.torch
def test_loss_modules_with_list_weights_match_torch():
    torch = pytest.importorskip("torch")
    ty = torch.from_numpy(Y32)
    pairs = [(nn.BCEWithLogitsLoss(pos_weight=W), torch.nn.BCEWithLogitsLoss(
                pos_weight=torch.tensor(W)), X32),
             (nn.BCEWithLogitsLoss(weight=W), torch.nn.BCEWithLogitsLoss(
                 weight=torch.tensor(W)), X32),
             (nn.BCELoss(weight=W), torch.nn.BCELoss(weight=torch.tensor(W)),
              1 / (1 + np.exp(-X32)))]
    for ours, theirs, x in pairs:
        got, want = ours(tg.Tensor(x), tg.Tensor(Y32)), theirs(torch.from_numpy(x), ty)
        assert str(got.dtype) == str(want.dtype).removeprefix("torch.") == "float32"
        _close(got, want.double().numpy(), rtol=1e-6)


# ------------------------------------------------------------------ 2. float16 reductions


def test_float16_norm_neither_overflows_nor_underflows():
    for value, norm in ((300.0, 600.0), (1e-4, 2e-4)):
        x = tg.Tensor(np.full(4, value, np.float16), requires_grad=True)
        out = x.norm()
        assert out.dtype == np.float16
        _close(out, norm)
        out.backward()
        assert x.grad.dtype == np.float16
        _close(x.grad, np.full(4, 0.5))  # x / norm
    rows = tg.Tensor(H)
    expected = np.linalg.norm(H.astype(np.float64), axis=1)
    _close(rows.norm(axis=1), expected)
    unit = F.normalize(rows, dim=1)
    assert unit.dtype == np.float16
    _close(unit, H / expected[:, None], atol=1e-4)
    similarity = F.cosine_similarity(rows, rows * 2.0, dim=1)
    assert similarity.dtype == np.float16
    _close(similarity, np.ones(2))


def _layer_norm64(x):  # the float64 oracle, over the last axis
    x = x.astype(np.float64)
    centred = x - x.mean(axis=-1, keepdims=True)
    return centred / np.sqrt((centred ** 2).mean(axis=-1, keepdims=True) + 1e-5)


def test_float16_division_gives_the_divisor_a_finite_gradient():
    # -g * x / (y * y): y * y overflowed beyond 256 in float16, and the gradient was 0
    x = tg.Tensor(np.float16([300.0, 400.0]), requires_grad=True)
    y = tg.Tensor(np.float16([500.0, 600.0]), requires_grad=True)
    (x / y).sum().backward()
    assert y.grad.dtype == np.float16
    np.testing.assert_allclose(y.grad.data, [-300 / 500**2, -400 / 600**2], rtol=2e-3)


def test_float16_layer_norm_takes_mean_and_variance_in_a_wider_dtype():
    x = tg.Tensor(H, requires_grad=True)
    out = F.layer_norm(x, (4,))
    assert out.dtype == np.float16
    _close(out, _layer_norm64(H), atol=2e-3)
    weights = RNG.standard_normal(H.shape)
    (out * tg.Tensor(weights.astype(np.float16))).sum().backward()
    assert x.grad.dtype == np.float16
    x64 = tg.Tensor(H.astype(np.float64), requires_grad=True)  # the same op in float64
    (F.layer_norm(x64, (4,)) * tg.Tensor(weights)).sum().backward()
    _close(x.grad, x64.grad._data, rtol=2e-2, atol=1e-3 * np.abs(x64.grad._data).max())
    layer = nn.LayerNorm(4).half()
    out = layer(tg.Tensor(H))
    assert out.dtype == np.float16
    _close(out, _layer_norm64(H), atol=2e-3)


def test_a_float32_layer_norm_stays_float32_and_an_integer_one_is_float64():
    x = tg.Tensor(H.astype(np.float32), requires_grad=True)
    out = F.layer_norm(x, (4,))
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
    assert F.layer_norm(tg.tensor([[1, 2, 3]]), (3,)).dtype == np.float64


def test_float16_batch_norm_keeps_its_running_variance_finite():
    layer = nn.BatchNorm1d(1).half()
    x = tg.Tensor(np.float16([[-300], [300], [-300], [300]]), requires_grad=True)
    out = layer(x)
    assert out.dtype == np.float16 and layer.running_var.dtype == np.float16
    _close(out, np.array([[-1], [1], [-1], [1]]))
    # 0.9 * 1 + 0.1 * 120000 (the unbiased variance, 4 / 3 * 90000)
    _close(layer.running_var, [0.9 + 0.1 * 120000])
    out.sum().backward()
    assert x.grad.dtype == np.float16
    layer.eval()
    evaluated = layer(tg.Tensor(np.float16([[300]])))
    assert evaluated.dtype == np.float16
    _close(evaluated, [[300 / np.sqrt(12000.9 + 1e-5)]])


def test_float16_einsum_and_tensordot_add_up_in_a_wider_dtype():
    expected = LONG_A.astype(np.float64) @ LONG_B.astype(np.float64)
    for op in (lambda a, b: tg.einsum("ij,jk->ik", a, b), lambda a, b: tg.tensordot(a, b, 1)):
        a, b = tg.Tensor(LONG_A, requires_grad=True), tg.Tensor(LONG_B, requires_grad=True)
        out = op(a, b)
        assert out.dtype == np.float16
        _close(out, expected, rtol=1e-3)  # float16's own adding-up: 7% off
        out.sum().backward()
        assert a.grad.dtype == b.grad.dtype == np.float16
        _close(a.grad, np.broadcast_to(LONG_B.astype(np.float64).sum(axis=1), LONG_A.shape))
    total = tg.einsum("i,i->", tg.Tensor(LONG_A[0]), tg.Tensor(LONG_B[:, 0]))
    assert total.dtype == np.float16
    _close(total, expected[0, 0], rtol=1e-3)


@pytest.mark.torch
def test_float16_reductions_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    cases = [(lambda x: x.norm(axis=1), lambda x: torch.linalg.vector_norm(x, dim=1), [H]),
             (lambda x: F.layer_norm(x, (4,)), lambda x: tf.layer_norm(x, (4,)), [H]),
             (lambda a, b: tg.einsum("ij,jk->ik", a, b),
              lambda a, b: torch.einsum("ij,jk->ik", a, b), [LONG_A, LONG_B]),
             (lambda a, b: tg.tensordot(a, b, 1), lambda a, b: torch.tensordot(a, b, 1),
              [LONG_A, LONG_B])]
    for ours, theirs, arrays in cases:
        mine = [tg.Tensor(a, requires_grad=True) for a in arrays]
        torch_in = [torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
        got, want = ours(*mine), theirs(*torch_in)
        assert got.dtype == np.float16 and want.dtype == torch.float16
        _close(got, want.double().detach().numpy(), rtol=2e-3, atol=2e-3)
        weights = RNG.standard_normal(got.shape).astype(np.float16)  # (layer_norm's sum: 0)
        (got * tg.Tensor(weights)).sum().backward()
        (want * torch.from_numpy(weights)).sum().backward()
        for m, t in zip(mine, torch_in):
            assert m.grad.dtype == np.float16
            expected = t.grad.double().numpy()
            _close(m.grad, expected, rtol=2e-2, atol=1e-3 * np.abs(expected).max())
    # (normalize's values; its float16 gradient is the division's, not checked here)
    _close(F.normalize(tg.Tensor(H), dim=1),
           tf.normalize(torch.from_numpy(H), dim=1).double().numpy(), atol=1e-3)
    layer, theirs = nn.BatchNorm1d(1).half(), torch.nn.BatchNorm1d(1).half()
    batch = np.float16([[-300], [300], [-300], [300]])
    _close(layer(tg.Tensor(batch)), theirs(torch.from_numpy(batch)).double().detach().numpy())
    _close(layer.running_var, theirs.running_var.double().numpy())


# ------------------------------------------------------------------ 3.-5. integers stay integers


def test_masked_fill_keeps_an_integer_tensor_integer():
    x = tg.tensor([1, 2, 3])
    for value, first in ((0, 0), (2.7, 2), (tg.tensor(5), 5)):
        out = x.masked_fill(tg.tensor(MASK), value)
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out._data, [first, 2, 3])


def _max_pool_oracle(image, kernel, stride, padding, fill):
    padded = np.pad(image, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2),
                    constant_values=fill)
    size = (padded.shape[-1] - kernel) // stride + 1
    return np.array([[padded[..., i * stride:i * stride + kernel,
                             j * stride:j * stride + kernel].max(axis=(-2, -1))
                      for j in range(size)] for i in range(size)]).transpose(2, 3, 0, 1)


def test_max_pool2d_pads_integers_with_their_smallest_value():
    for image in (IMAGE, IMAGE.astype(np.uint8), (IMAGE - 100).astype(np.int8)):
        out = tg.max_pool2d(tg.from_numpy(image), 3, 2, 1)  # (tg.tensor: int64)
        assert out.dtype == image.dtype
        expected = _max_pool_oracle(image, 3, 2, 1, np.iinfo(image.dtype).min)
        np.testing.assert_array_equal(out._data, expected)
    assert (tg.max_pool2d(tg.tensor(IMAGE - 100), 3, 2, 1)._data < 0).all()  # no 0 padding
    falses = tg.max_pool2d(tg.tensor(np.zeros((1, 1, 4, 4), bool)), 3, 2, 1)
    assert falses.dtype == bool and not falses._data.any()


def test_sign_of_booleans_and_hardtanh_and_relu6_of_integers_keep_the_dtype():
    signs = tg.tensor([True, False]).sign()
    assert signs.dtype == bool
    np.testing.assert_array_equal(signs._data, [True, False])
    x = np.array([-3, -1, 0, 1, 2, 7])
    for out, expected in ((tg.relu6(tg.tensor(x)), np.clip(x, 0, 6)),
                          (F.relu6(tg.tensor(x)), np.clip(x, 0, 6)),
                          (tg.hardtanh(tg.tensor(x)), np.clip(x, -1, 1)),
                          (tg.hardtanh(tg.tensor(x), -1.5, 1.5), np.clip(x, -1, 1)),
                          (nn.Hardtanh(-2.5, 2.5)(tg.tensor(x)), np.clip(x, -2, 2))):
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out._data, expected)
    small = tg.hardtanh(tg.from_numpy(x.astype(np.int8)), -1000.0, float("inf"))  # > int8
    assert small.dtype == np.int8
    np.testing.assert_array_equal(small._data, x)
    unsigned = tg.hardtanh(tg.from_numpy(x[2:].astype(np.uint8)), -5.0, 1.0)
    assert unsigned.dtype == np.uint8
    np.testing.assert_array_equal(unsigned._data, [0, 1, 1, 1])


@pytest.mark.torch
def test_integer_and_boolean_dtypes_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.array([-3, -1, 0, 1, 2, 7])
    pairs = [(tg.tensor(x).masked_fill(tg.tensor(MASK.tolist() * 2), 2.7),
              torch.from_numpy(x).masked_fill(torch.tensor(MASK.tolist() * 2), 2.7)),
             (tg.max_pool2d(tg.tensor(IMAGE), 3, 2, 1),
              tf.max_pool2d(torch.from_numpy(IMAGE), 3, 2, 1)),
             (tg.tensor([True, False]).sign(), torch.tensor([True, False]).sign()),
             (tg.relu6(tg.tensor(x)), tf.relu6(torch.from_numpy(x))),
             (tg.hardtanh(tg.tensor(x), -1.5, 1.5), tf.hardtanh(torch.from_numpy(x), -1.5, 1.5)),
             (tg.hardtanh(tg.from_numpy(x.astype(np.int8)), -2.0, 2.0),
              tf.hardtanh(torch.from_numpy(x.astype(np.int8)), -2.0, 2.0))]
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours._data, theirs.numpy())


def test_tensor_of_a_numpy_integer_array_keeps_its_dtype_as_torchs():
    # tg.tensor(uint8 image) gave int64 (torch: uint8); Python ints still give int64
    torch = pytest.importorskip("torch")
    for kind in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32):
        for data in (np.array([[1, 2], [3, 4]], kind), kind(3)):
            for make, theirs in ((tg.tensor, torch.tensor), (tg.as_tensor, torch.as_tensor)):
                ours = make(data)
                assert str(ours.dtype) == str(theirs(data).dtype).removeprefix("torch.")
                assert ours.tolist() == theirs(data).tolist()
    assert tg.tensor([1, 2]).dtype == np.int64 and tg.tensor(np.int8(3), dtype=tg.int64).dtype \
        == np.int64
    image = tg.tensor(np.array([200, 100], np.uint8))
    assert (image + 100).tolist() == [44, 200]  # uint8 arithmetic wraps, as torch's


def test_sums_and_products_of_unsigned_integers_are_int64_as_torchs():
    # a uint8 image's sum was uint64: image.sum() - 400 wrapped to 18446744073709551516
    torch = pytest.importorskip("torch")
    for kind in (np.uint8, np.uint16, np.uint32, np.int8, np.bool_):
        data = np.array([[3, 1], [2, 100]]).astype(kind)
        for name, args in (("sum", ()), ("prod", ()), ("cumsum", (0,)), ("cumprod", (1,))):
            ours = getattr(tg.tensor(data), name)(*args)
            theirs = getattr(torch.tensor(data), name)(*args)
            assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
            assert ours.tolist() == theirs.tolist()
    assert (tg.tensor(np.array([200, 100], np.uint8)).sum() - 400).item() == -100


@pytest.mark.parametrize("values, dtype", [
    ([-1, 256], "uint8"), ([200], "int8"), ([70000], "int16"), ([2 ** 40], "int32"),
    ([1.5, 300.0], "uint8"), ([float("nan")], "int64"), ([float("inf")], "uint8"),
    ([-0.5], "uint8"), ([255.9], "uint8"), ([3, 255], "uint8"), ([-0.5, 2.7], "int64")])
def test_numbers_given_for_an_integer_dtype_must_fit_it_as_pytorchs(values, dtype):
    # ([-1, 256] as uint8 wrapped to [255, 0], silently; so did tg.full(.., 300, uint8))
    torch = pytest.importorskip("torch")
    try:
        theirs = torch.tensor(values, dtype=getattr(torch, dtype)).tolist()
    except RuntimeError:
        theirs = None
    if theirs is None:
        with pytest.raises(OverflowError, match=rf"^tensor\(\): the value \S+ does not fit dtype "
                                                rf"{dtype} \(whole numbers from -?\d+ to \d+\)"):
            tg.tensor(values, dtype=getattr(tg, dtype))
    else:
        assert tg.tensor(values, dtype=getattr(tg, dtype)).tolist() == theirs


def test_int64s_largest_as_a_float_is_refused_not_wrapped():
    # 9.223372036854775807e18 is 2**63 as a float: it wrapped to -2**63 (torch.tensor wraps
    # it too, silently; its LongTensor refuses it, as both of ours do now)
    with pytest.raises(OverflowError, match=r"^tensor\(\): the value 9.22\d*e\+18 does not "
                                            r"fit dtype int64"):
        tg.tensor([9.223372036854775807e18], dtype=tg.int64)
    with pytest.raises(RuntimeError, match=r"cannot be converted to type int64"):
        tg.LongTensor([9.223372036854775807e18])
    assert tg.tensor([-9.223372036854775807e18], dtype=tg.int64).tolist() == [-2 ** 63]


def test_a_fill_value_must_fit_and_an_arrays_cast_wraps_as_pytorchs():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.full((2,), 300, dtype=torch.uint8)
    with pytest.raises(OverflowError, match=r"^full: the value 300 does not fit dtype uint8"):
        tg.full((2,), 300, dtype=tg.uint8)
    with pytest.raises(OverflowError, match=r"^full_like: the value -1 does not fit"):
        tg.full_like(tg.zeros(2, dtype=tg.uint8), -1)
    assert tg.full((2,), 255, dtype=tg.uint8).tolist() == [255, 255]
    # a NumPy array's values are cast, wrapping, as both libraries cast them
    array = np.array([300, -1])
    assert tg.tensor(array, dtype=tg.uint8).tolist() == torch.tensor(
        array, dtype=torch.uint8).tolist() == [44, 255]


def test_masked_fill_broadcasts_the_tensor_to_the_mask_and_refuses_a_gradient_into_integers():
    # out of place, x and the mask broadcast together (a 0-d x filled by a (2, 3) mask is
    # (2, 3), its gradient the sum of the places left), as PyTorch's; in place x keeps its
    # shape; a value that needs a gradient cannot be written into an int64 tensor
    mask = np.array([[True, False, True], [False, False, True]])
    x = tg.tensor(1.5, requires_grad=True)
    y = x.masked_fill(tg.tensor(mask), 0.0)
    np.testing.assert_array_equal(y.numpy(), np.where(mask, 0.0, 1.5))
    y.sum().backward()
    assert x.grad.item() == (~mask).sum()
    with pytest.raises(ShapeError, match="^masked_fill_: cannot write the result into a tensor "
                                         "of shape \\(\\)"):
        tg.tensor(1.5).masked_fill_(tg.tensor(mask), 0.0)
    with pytest.raises(TypeError, match="^masked_fill: a value that needs a gradient cannot be "
                                        "written into a tensor of dtype int64"):
        tg.zeros(2, 3, dtype="int64").masked_fill(tg.tensor(mask), tg.tensor(1.0,
                                                                             requires_grad=True))
    with tg.no_grad():  # (no gradient to lose: cast to the tensor's dtype, as PyTorch's)
        filled = tg.zeros(2, 3, dtype="int64").masked_fill(
            tg.tensor(mask), tg.tensor(2.0, requires_grad=True))
    assert filled.dtype == np.int64 and filled.numpy().sum() == 2 * mask.sum()

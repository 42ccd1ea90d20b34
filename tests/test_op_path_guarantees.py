"""What the per-op forward path guarantees, kept while its pure loss was taken out (round 29,
issue 12): cross-entropy's mean is NumPy's mean of the rows' losses, bit for bit, in float32
and float64 (no rows: NaN with NumPy's warning; float16 and a single row of logits as
np.mean gives them); add's and sub's alpha (the default 1 keeps integers integer, a float
alpha with integer operands refused); a `tg.` function's PyTorch keywords input=, other=
and out= (out=None as not given, out= not a tensor refused); an op's constant that holds no
real numbers refused in one line naming the op.
"""
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

F = tg.nn.functional


def _logits(rng, rows, classes, dtype):
    return (rng.standard_normal((rows, classes)) * 3).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_mean_is_numpys_mean_of_the_rows_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    for rows in [*range(1, 40), 127, 128, 129, 1000, 4097]:
        x = _logits(rng, rows, 5, dtype)
        target = rng.integers(0, 5, rows)
        mean = F.cross_entropy(tg.Tensor(x), target).numpy()
        per_row = F.cross_entropy(tg.Tensor(x), target, reduction="none").numpy()
        expected = np.mean(per_row)  # NumPy's pairwise float32 sum, divided as NumPy does
        assert mean.dtype == dtype and mean.shape == ()
        assert mean.tobytes() == expected.tobytes(), (rows, mean, expected)
        # and the rows themselves: -log softmax at the target (an independent formula)
        shifted = x.astype(np.float64) - x.max(axis=1, keepdims=True)
        rows_64 = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(rows), target]
        tolerance = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(per_row, rows_64, rtol=tolerance, atol=tolerance)


def test_cross_entropy_mean_of_float16_single_rows_and_no_rows():
    rng = np.random.default_rng(1)
    # float16 losses summed as NumPy's mean sums them, in float32: 3000 rows of losses near
    # 20 sum past float16's largest (65504), yet their mean is finite
    for rows, scale in [(33, 1), (3000, 10)]:
        x = _logits(rng, rows, 4, np.float16) * np.float16(scale)
        target = rng.integers(0, 4, rows)
        mean = F.cross_entropy(tg.Tensor(x), target).numpy()
        per_row = F.cross_entropy(tg.Tensor(x), target, reduction="none").numpy()
        assert mean.dtype == np.float16 and np.isfinite(mean)
        assert mean.tobytes() == np.mean(per_row).tobytes()
    one = F.cross_entropy(tg.Tensor(x[0]), np.array(target[0])).numpy()  # (C,) logits
    assert one.tobytes() == per_row[0].tobytes()
    with warnings.catch_warnings(record=True) as ours:  # no rows: NumPy's NaN and warnings
        warnings.simplefilter("always")
        empty = F.cross_entropy(tg.zeros(0, 3), np.zeros(0, dtype=np.int64))
    with warnings.catch_warnings(record=True) as numpys:
        warnings.simplefilter("always")
        np.mean(np.zeros(0))
    assert np.isnan(empty.item()) and "Mean of empty slice" in str(ours[0].message)
    assert [(w.category, str(w.message)) for w in ours] == [
        (w.category, str(w.message)) for w in numpys]


@pytest.mark.torch
def test_cross_entropy_mean_as_torchs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for dtype, rtol in [(np.float32, 1e-6), (np.float64, 1e-13)]:
        x, target = _logits(rng, 300, 7, dtype), rng.integers(0, 7, 300)
        ours = F.cross_entropy(tg.Tensor(x), target).numpy()
        theirs = torch.nn.functional.cross_entropy(torch.from_numpy(x), torch.from_numpy(target))
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=rtol)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(F.cross_entropy(tg.zeros(0, 3), np.zeros(0, dtype=np.int64)).item())
    assert torch.nn.functional.cross_entropy(torch.zeros(0, 3), torch.zeros(0).long()).isnan()


def test_add_and_sub_alpha():
    i = tg.Tensor([1, 2], dtype=tg.int64)
    assert (i + 1).dtype == tg.int64 and (i - 1).tolist() == [0, 1]
    assert tg.add(i, i).dtype == tg.int64 and tg.sub(i, i, alpha=2).tolist() == [-1, -2]
    x, y = tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 5.0])
    assert tg.sub(x, y, alpha=0.5).tolist() == [1.0 - 1.5, 2.0 - 2.5]
    assert tg.add(x, y, alpha=np.int64(2)).tolist() == [7.0, 12.0]
    for op in ("add", "sub"):
        with pytest.raises(RuntimeError, match=rf"^{op}: alpha=1\.0 is a float but the operands "
                                               r"are integers"):
            getattr(tg, op)(i, i, alpha=1.0)
        with pytest.raises(TypeError, match=rf"^{op}: alpha must be a number, got bool True"):
            getattr(tg, op)(x, y, alpha=True)


@pytest.mark.torch
def test_add_and_sub_alpha_as_torchs():
    torch = pytest.importorskip("torch")
    a, b = np.array([1, 2]), np.array([5, -3])
    for op in ("add", "sub"):
        for alpha in (1, 2, -3):
            ours = getattr(tg, op)(tg.Tensor(a, dtype=tg.int64), tg.Tensor(b, dtype=tg.int64),
                                   alpha=alpha)
            theirs = getattr(torch, op)(torch.from_numpy(a), torch.from_numpy(b), alpha=alpha)
            assert ours.dtype == tg.int64 and ours.tolist() == theirs.tolist()
        with pytest.raises(RuntimeError):
            getattr(torch, op)(torch.from_numpy(a), torch.from_numpy(b), alpha=1.0)


def test_a_functions_torch_keywords():
    a, b = tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])
    out = tg.empty(2)
    assert tg.add(input=a, other=b, out=out) is out and out.tolist() == [4.0, 6.0]
    assert tg.sub(a, other=b, out=out) is out and out.tolist() == [-2.0, -2.0]
    fresh = tg.add(a, b, out=None)  # (as not given: a new tensor)
    assert fresh is not out and fresh.tolist() == [4.0, 6.0] and out.tolist() == [-2.0, -2.0]
    with pytest.raises(TypeError, match=r"^add: out= must be a Tensor, got list$"):
        tg.add(a, b, out=[0.0, 0.0])
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^mul\(\): functions with out=\.\.\. arguments"):
        tg.mul(input=w, other=w, out=out)


@pytest.mark.torch
def test_a_functions_torch_keywords_as_torchs():
    torch = pytest.importorskip("torch")
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    out, t_out = tg.empty(2), torch.empty(2, dtype=torch.float64)
    assert tg.mul(input=tg.Tensor(a), other=tg.Tensor(b), out=out) is out
    assert torch.mul(input=torch.from_numpy(a), other=torch.from_numpy(b), out=t_out) is t_out
    assert out.tolist() == t_out.tolist()


@pytest.mark.parametrize("constant, error", [
    (1 + 2j, r"^add: complex data is not supported, got dtype complex128; pass the real part"),
    ("a", r"^add: expected numeric data \(numbers, nested lists of numbers or a numeric "
          r"ndarray\), got dtype <U1 from 'a'$"),
    (np.array([1 + 0j]), r"^add: complex data is not supported, got dtype complex128"),
])
def test_an_ops_constant_that_holds_no_real_numbers_is_refused(constant, error):
    with pytest.raises(TypeError, match=error):
        tg.Tensor([1.0, 2.0]) + constant
    with pytest.raises(TypeError, match=error):
        tg.add(tg.Tensor([1.0, 2.0], dtype=tg.float32), constant)

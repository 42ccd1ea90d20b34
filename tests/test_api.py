"""What a PyTorch or NumPy user guesses: both spellings, creation functions, masks, index tensors.

Values are asserted against NumPy here; tests/test_ops.py checks every op's gradient and
tests/test_edges.py the values at kinks and singular points.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import numpy_calls

A = np.arange(24.0).reshape(2, 3, 4)


def t(a=A, **kw):
    return tg.Tensor(a, requires_grad=True, **kw)


# ------------------------------------------------------------------ both spellings


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "prod", "logsumexp", "var",
                                    "std"])
def test_reductions_take_axis_or_dim_and_keepdims_or_keepdim(method):
    x = t()
    numpy_way = getattr(x, method)(axis=1, keepdims=True)
    torch_way = getattr(x, method)(dim=1, keepdim=True)
    if method in ("max", "min"):  # PyTorch's: values and indices (see the next test)
        torch_way = torch_way.values
    assert numpy_way.shape == torch_way.shape == (2, 1, 4)
    if method not in ("var", "std"):  # (those two: see the ddof test)
        np.testing.assert_allclose(numpy_way.data, torch_way.data)
    with pytest.raises(TypeError, match=f"{method}: give axis= or dim="):
        getattr(x, method)(axis=1, dim=1)


def test_max_and_min_with_dim_give_values_and_indices_as_in_pytorch():
    # PyTorch's `_, predicted = outputs.max(dim=1)`; NumPy's x.max(axis=1) is the values
    a = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    x = t(a)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 6.0] and indices.tolist() == [1, 2]
    assert indices.dtype == np.int64 and not indices.requires_grad
    low = tg.min(x, dim=0, keepdim=True)
    assert low.values.shape == low.indices.shape == (1, 3)
    assert low.indices.tolist() == [[0, 1, 0]]
    for numpy_way in (x.max(axis=1), np.max(x, 1), np.max(x, axis=1)):
        assert isinstance(numpy_way, tg.Tensor) and numpy_way.tolist() == [5.0, 6.0]
    # a position alone is PyTorch's: `out.max(1)[1]` read as NumPy's would silently be the
    # second row's maximum, not the classes
    for torch_way in (x.max(1), tg.max(x, 1), x.max(1, False)):
        assert torch_way[0].tolist() == [5.0, 6.0] and torch_way[1].tolist() == [1, 2]
    assert x.min(0, True).indices.tolist() == [[0, 1, 0]]
    values.sum().backward()  # the values are max's recorded op
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [0, 0, 1]])
    assert x.max(axis=(0, 1)).item() == x.max((0, 1)).item() == 6.0  # (torch has no tuple)


def test_var_and_std_default_to_the_spelling_s_library():
    x = t(np.array([1.0, 2.0, 4.0]))
    assert x.var().item() == pytest.approx(np.var([1, 2, 4]))  # NumPy: ddof=0
    assert x.var(dim=0).item() == pytest.approx(np.var([1, 2, 4], ddof=1))  # PyTorch: n - 1
    assert x.std(ddof=1).item() == pytest.approx(np.std([1, 2, 4], ddof=1))
    assert x.std(correction=0).item() == pytest.approx(np.std([1, 2, 4]))
    assert x.var(unbiased=False).item() == pytest.approx(np.var([1, 2, 4]))


def test_transpose_two_ints_swap_a_tuple_permutes():
    x = t()
    assert x.transpose(0, 1).shape == (3, 2, 4)  # PyTorch's transpose(dim0, dim1)
    m = t(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.transpose(0, 1).data, m.data.T)  # a matrix's too
    np.testing.assert_array_equal(m.transpose((0, 1)).data, m.data)  # NumPy's permutation
    np.testing.assert_array_equal(tg.transpose(x, axes=(2, 0, 1)).data,
                                  np.transpose(A, (2, 0, 1)))
    assert x.permute(2, 0, 1).shape == x.permute((2, 0, 1)).shape == (4, 2, 3)
    assert x.swapaxes(0, 2).shape == (4, 3, 2)
    assert tg.moveaxis(x, 0, -1).shape == np.moveaxis(A, 0, -1).shape
    assert x.movedim(-1, 0).shape == (4, 2, 3)


def test_cat_beside_concatenate_and_the_arithmetic_methods():
    x, y = t(np.ones(2)), t(np.full(2, 3.0))
    np.testing.assert_array_equal(tg.cat([x, y], dim=0).data, tg.concatenate([x, y]).data)
    assert x.add(y).tolist() == [4, 4] and x.sub(y).tolist() == [-2, -2]
    assert y.mul(y).tolist() == [9, 9] and x.div(y).tolist() == [1 / 3, 1 / 3]
    assert y.pow(2).tolist() == [9, 9]


def test_unsqueeze_squeeze_expand_dims():
    x = t(np.ones((2, 1, 3)))
    assert x.unsqueeze(0).shape == tg.expand_dims(x, axis=0).shape == (1, 2, 1, 3)
    assert x.unsqueeze(-1).shape == (2, 1, 3, 1)
    assert x.squeeze().shape == (2, 3) and x.squeeze(1).shape == (2, 3)
    assert x.squeeze(dim=0).shape == (2, 1, 3)  # not of size 1: kept, as PyTorch


def test_split_chunk_follow_pytorch():
    x = t(np.arange(5.0))
    assert [p.tolist() for p in x.split(2)] == [[0, 1], [2, 3], [4]]
    assert [p.tolist() for p in x.split([1, 4])] == [[0], [1, 2, 3, 4]]
    assert [p.tolist() for p in x.chunk(2)] == [[0, 1, 2], [3, 4]]
    sum(p.sum() * (i + 1) for i, p in enumerate(x.split(2))).backward()
    np.testing.assert_array_equal(x.grad.data, [1, 1, 2, 2, 3])
    with pytest.raises(ValueError, match="split: sizes"):
        x.split([1, 1])


def test_repeat_is_pytorch_s_as_a_method_numpy_s_as_a_function():
    x = t(np.array([1.0, 2.0]))
    assert x.repeat(2).tolist() == [1, 2, 1, 2]  # torch.Tensor.repeat = np.tile
    assert tg.repeat(x, 2).tolist() == [1, 1, 2, 2]  # np.repeat = torch.repeat_interleave
    assert x.repeat_interleave(2).tolist() == [1, 1, 2, 2]


def test_pad_numpy_pairs_or_pytorch_flat_pad():
    x = t(np.ones((2, 2)))
    assert x.pad(1).shape == (4, 4)
    assert x.pad(((0, 0), (1, 2)), constant_values=5.0).data[0].tolist() == [5, 1, 1, 5, 5]
    assert x.pad(pad=(1, 2)).shape == (2, 5)  # F.pad: the last axis first
    assert x.pad(pad=(1, 2, 3, 0), value=-1.0).shape == (5, 5)


def test_gather_and_take_along_axis():
    x = t(np.array([[1.0, 2.0], [3.0, 4.0]]))
    index = tg.as_tensor([[0, 0], [1, 0]])
    assert x.gather(1, index).tolist() == [[1, 1], [4, 3]]
    assert tg.take_along_axis(x, index, axis=1).tolist() == [[1, 1], [4, 3]]
    with pytest.raises(IndexError, match="gather: the index must be integer"):
        x.gather(1, tg.Tensor([[0, 0], [1, 0]]))
    # PyTorch's gather: an index smaller than x on another axis reads those rows only (it
    # was broadcast as NumPy's take_along_axis is: a (2, 1) result, silently)
    picked = x.gather(1, tg.as_tensor([[1]]))
    assert picked.tolist() == [[2]]
    picked.sum().backward()
    assert x.grad.tolist() == [[0, 1], [0, 0]]
    assert tg.take_along_axis(x, tg.as_tensor([[1]]), axis=1).tolist() == [[2], [4]]
    with pytest.raises(ValueError, match=r"gather: the index of shape \(3, 1\) is larger than "
                                         r"x of shape \(2, 2\) on axis 0"):
        x.gather(1, tg.as_tensor([[0], [0], [0]]))
    with pytest.raises(IndexError, match=r"gather: index -1 is negative; gather takes 0 to 1"):
        x.gather(1, tg.as_tensor([[-1]]))


def test_creation_functions():
    assert tg.zeros(2, 3).shape == tg.zeros((2, 3)).shape == (2, 3)
    assert tg.ones(2, dtype=np.float32).dtype == np.float32
    assert tg.full((2,), 7.0).tolist() == [7, 7] and tg.full(3, 1).shape == (3,)
    np.testing.assert_array_equal(tg.eye(3).data, np.eye(3))
    assert tg.eye(2, 3, k=1).shape == (2, 3)
    assert tg.arange(4).dtype == np.int64 and tg.arange(0, 1, 0.25).dtype == np.float64
    assert tg.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tg.linspace(0, 1, 5).tolist() == tg.linspace(0, 1, steps=5).tolist() == \
        [0, 0.25, 0.5, 0.75, 1]
    w = tg.zeros(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    like = tg.Tensor(np.ones((2, 2), dtype=np.float32))
    for made in (tg.zeros_like(like), tg.ones_like(like), tg.full_like(like, 2.0),
                 tg.rand_like(like), tg.randn_like(like)):
        assert made.shape == (2, 2) and made.dtype == np.float32
    with pytest.raises(TypeError, match="zeros: requires_grad=True needs a float dtype"):
        tg.zeros(2, dtype="int64", requires_grad=True)


def test_random_creation_takes_a_seed_or_a_generator():
    np.testing.assert_array_equal(tg.randn(3, seed=0).data, tg.randn(3, seed=0).data)
    assert tg.rand(2, 2, generator=np.random.default_rng(1)).shape == (2, 2)
    np.testing.assert_array_equal(tg.rand(4, seed=5).data, np.random.default_rng(5).random(4))
    values = tg.rand(1000, seed=0).data
    assert 0 <= values.min() and values.max() < 1
    assert tg.randint(10, size=(5,), seed=0).dtype == np.int64
    with pytest.raises(TypeError, match="randn: generator must be a numpy.random.Generator"):
        tg.randn(2, generator=0)


def test_manual_seed_repeats_every_unseeded_draw_as_pytorchs(monkeypatch):
    from tinygrad_gd import creation
    monkeypatch.setattr(creation, "_seeded", [None])  # (undone after the test)

    def a_run():
        weights = tg.nn.Linear(3, 2).weight.data.copy()
        noise = tg.randn(4).data
        mask = tg.nn.functional.dropout(tg.ones(8), 0.5).data
        order = np.concatenate(list(tg.data.DataLoader(np.arange(6), batch_size=6,
                                                       shuffle=True)))
        return weights, noise, mask, order

    assert isinstance(tg.manual_seed(0), np.random.Generator)
    first = a_run()
    tg.manual_seed(0)
    for once, again in zip(first, a_run()):
        np.testing.assert_array_equal(once, again)
    assert not np.array_equal(a_run()[1], first[1])  # the stream goes on between runs
    np.testing.assert_array_equal(tg.randn(3, seed=1).data, np.random.default_rng(1)
                                  .standard_normal(3))  # a seed given still rules
    with pytest.raises(TypeError, match="^manual_seed: seed must be an int, got NoneType None"):
        tg.manual_seed(None)


def test_set_grad_enabled_and_inference_mode_are_pytorchs():
    w = t(np.array([1.0]))
    with tg.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert (w * 2).requires_grad
    try:
        tg.set_grad_enabled(False)  # called alone: switches this thread's mode
        assert not tg.is_grad_enabled()
    finally:
        tg.set_grad_enabled(True)

    @tg.set_grad_enabled(False)
    def evaluate():
        return (w * 2).requires_grad
    assert tg.is_grad_enabled() and evaluate() is False and tg.is_grad_enabled()
    with tg.inference_mode():
        assert not (w * 2).requires_grad
        with tg.inference_mode(False):
            assert (w * 2).requires_grad
    assert tg.inference_mode()(evaluate.__wrapped__)() is False


# ------------------------------------------------------------------ dtypes and indices


def test_the_dtype_rule():
    assert tg.Tensor([1, 2]).dtype == np.float64  # a learner's weights stay learnable
    assert tg.Tensor([1, 2], requires_grad=True).requires_grad
    assert tg.as_tensor([0, 2]).dtype == np.int64  # PyTorch's torch.tensor: ints are int64
    assert tg.as_tensor([0.5]).dtype == np.float64 and tg.as_tensor([True]).dtype == bool


def test_integer_arithmetic_stays_integer_as_in_numpy_and_pytorch():
    # `tg.arange(3) + 1` was float64, so `x[0, tg.arange(2) * 2]` refused its own index
    i, a = tg.arange(3), np.arange(3)
    for result, expected in [(i + 1, a + 1), (1 + i, 1 + a), (i * 2, a * 2), (i // 2, a // 2),
                             (i % 2, a % 2), (i ** 2, a ** 2), (i - np.int64(1), a - 1),
                             (2 - i, 2 - a), (tg.maximum(i, 0), a), (i + a, a + a)]:
        assert result.dtype == np.int64 and result.tolist() == expected.tolist(), result
    assert (i + 1.5).dtype == np.float64 and (i / 2).tolist() == [0, 0.5, 1]
    assert (tg.as_tensor([True, False]) + 1).tolist() == [2, 1]  # NumPy's and PyTorch's int
    small = tg.as_tensor([1, 2], dtype=np.int8)
    assert (small + 1).dtype == np.int8  # a Python int takes the tensor's dtype
    with pytest.raises(OverflowError, match=r"add: 1000 does not fit the tensor's dtype int8"):
        small + 1000
    x = t(np.arange(12.0).reshape(3, 4))
    assert x[0, tg.arange(2) * 2].tolist() == [0, 2]
    assert (t(np.ones(2, np.float32)) + 1).dtype == np.float32  # floats as before


def test_a_float32_tensor_keeps_its_dtype_beside_integers_and_0d_floats():
    # NumPy's promotion made float32 + int64 float64, and float32 * tg.Tensor(0.5) too
    x = tg.Tensor(np.float32([1.5, 2.5]), requires_grad=True)
    i, half = tg.arange(2), tg.Tensor(0.5, requires_grad=True)
    for result in [x + i, i + x, x * i, x - i, i / x, x ** i, tg.maximum(x, i), x * half,
                   half * x, tg.where(tg.as_tensor([True, False]), x, half),
                   tg.Tensor(np.float32([[1.0, 2.0]])) @ tg.as_tensor([[1], [2]])]:
        assert result.dtype == np.float32, result
    assert (x + i).tolist() == [1.5, 3.5] and (x * half).tolist() == [0.75, 1.25]
    (x * half).sum().backward()
    assert x.grad.dtype == np.float32 and half.grad.dtype == np.float64
    assert half.grad.item() == 4.0 and x.grad.tolist() == [0.5, 0.5]
    assert (tg.Tensor(np.float16([1.0])) + tg.as_tensor([2], dtype=np.int32)).dtype == np.float16
    assert (x + tg.Tensor([1.0, 1.0])).dtype == np.float64  # two arrays: the wider, as both
    layer = tg.nn.Linear(2, 1, seed=0).float()
    assert layer(tg.as_tensor([[1, 2]])).dtype == np.float32  # a float32 layer fed integers
    assert tg.nn.MSELoss()(x, tg.as_tensor([1, 2])).dtype == np.float32
    filled = tg.as_tensor([1, 2, 3]).masked_fill(tg.as_tensor([True, False, False]), 0)
    assert filled.dtype == np.int64 and filled.tolist() == [0, 2, 3]  # x's dtype kept


def test_a_small_integer_base_gives_its_exponent_an_exact_gradient():
    # log of an int8 base was computed in float16: e.grad was 5.70866, not 5.70856
    base, e = tg.as_tensor([3, 5, 7], dtype=np.int8), tg.Tensor([1.5, 2.0, 2.5],
                                                                 requires_grad=True)
    (base ** e).sum().backward()
    b = np.array([3.0, 5.0, 7.0])
    np.testing.assert_allclose(e.grad.data, b ** e.data * np.log(b), rtol=1e-13)


@pytest.mark.torch
def test_mixed_dtypes_give_pytorchs_result_dtype():
    torch = pytest.importorskip("torch")
    ours = {"f32": np.float32, "f16": np.float16, "f64": np.float64, "i64": np.int64,
            "i32": np.int32, "b": bool}
    theirs = {"f32": torch.float32, "f16": torch.float16, "f64": torch.float64,
              "i64": torch.int64, "i32": torch.int32, "b": torch.bool}
    for a in ("f32", "f16", "f64"):
        for b in ours:
            for b_shape in [(2,), ()]:
                x, y = tg.as_tensor(np.ones(2, ours[a])), tg.as_tensor(np.ones(b_shape, ours[b]))
                tx, ty = torch.ones(2, dtype=theirs[a]), torch.ones(b_shape, dtype=theirs[b])
                for op in ("add", "mul", "sub") if b != "b" else ("add", "mul"):
                    expected = str(getattr(tx, op)(ty).dtype).replace("torch.", "")
                    assert str(getattr(x, op)(y).dtype) == expected, (a, b, b_shape, op)


def test_integer_index_tensors_and_a_clear_error_for_float_ones():
    x = t(np.array([10.0, 20.0, 30.0]))
    for index in (tg.as_tensor([0, 2]), tg.arange(0, 3, 2), tg.Tensor([0, 2], dtype="int64"),
                  tg.Tensor([0.0, 2.0]).long()):
        assert x[index].tolist() == [10, 30]
    x[tg.as_tensor([0, 0])].sum().backward()
    assert x.grad.tolist() == [2, 0, 0]
    with pytest.raises(IndexError, match=r"index tensors must be integer .*tg.as_tensor"):
        x[tg.Tensor([0, 2])]


def test_comparisons_are_masks_numpy_and_where_accept():
    x = t(np.array([-1.0, 2.0, 3.0]))
    mask = x > 0
    assert isinstance(mask, tg.Tensor) and mask.dtype == bool and not mask.requires_grad
    np.testing.assert_array_equal(np.where(mask, 1, 0), [0, 1, 1])
    np.testing.assert_array_equal(np.arange(3)[np.asarray(mask)], [1, 2])
    np.testing.assert_array_equal(np.arange(3)[mask], [1, 2])
    assert x[mask].tolist() == [2, 3]
    assert tg.where(mask, x, 0.0).tolist() == [0, 2, 3]
    both = (x > 0) & (x < 3)
    assert both.tolist() == [False, True, False] and (~both).tolist() == [True, False, True]
    assert ((x < 0) | (x > 2)).tolist() == [True, False, True]
    assert mask.any().item() and not mask.all().item() and (x == x).all().item()
    assert (x > 0).sum().item() == 2 and (x > 0).mean().item() == pytest.approx(2 / 3)
    assert {x: 1}[x] == 1  # tensors stay hashable (by identity)
    with pytest.raises(TypeError, match="& | ^ combine boolean masks"):
        x & x


def test_argmax_argmin_have_no_gradient():
    x = t(np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]]))
    assert x.argmax().item() == 3 and tg.argmin(x).item() == 4
    assert x.argmax(axis=1).tolist() == [1, 0]  # the first of ties
    assert x.argmax(dim=1, keepdim=True).shape == (2, 1)
    assert x.argmin(axis=0).dtype == np.int64 and not x.argmax().requires_grad
    assert x.argmax(keepdims=True).shape == (1, 1)


def test_one_line_errors_name_the_op_and_the_fix():
    x = t()
    with pytest.raises(ValueError, match="permute: dims"):
        x.permute(0, 1)
    with pytest.raises(ValueError, match="tril: needs a matrix"):
        t(np.ones(3)).tril()
    with pytest.raises(TypeError, match="unsqueeze: give the position"):
        x.unsqueeze()
    with pytest.raises(NotImplementedError, match=r"pad: mode='symmetric' is not one of"):
        x.pad(1, mode="symmetric")
    with pytest.raises(ValueError, match="einsum: 'ij,jk->ik' names 2 operands"):
        tg.einsum("ij,jk->ik", x)
    with pytest.raises(ValueError, match="tensordot: axes"):
        tg.tensordot(x, x, axes=([0], [1]))


def test_an_axis_out_of_range_is_a_value_error_and_an_index_error():
    # NumPy raises AxisError (a ValueError), PyTorch IndexError: tinygrad_gd's is both
    x = t()
    for call in (lambda: tg.stack([x], axis=77), lambda: x.sum(dim=5),
                 lambda: x.unsqueeze(-9)):
        with pytest.raises(IndexError, match="out of range"):
            call()
        with pytest.raises(ValueError, match="out of range"):
            call()


def test_pytorch_spellings_of_the_new_names():
    x = t(np.array([[0.5, -1.5], [2.0, 3.0]]))
    assert np.array_equal(x.eq(x).data, (x == x).data) and x.lt(0).tolist() == [
        [False, True], [False, False]]
    assert np.allclose((x % 1.25).data, np.remainder(x.data, 1.25))
    assert np.allclose((4.0 % x).data, np.remainder(4.0, x.data))
    assert np.allclose(tg.true_divide(x, 2).data, x.data / 2)
    assert np.allclose(tg.fabs(x).data, np.abs(x.data))
    assert np.allclose(x.asinh().data, np.arcsinh(x.data))
    assert np.allclose(tg.degrees(x).data, np.degrees(x.data))


def test_add_and_sub_take_alpha_and_div_a_rounding_mode_as_pytorchs():
    torch = pytest.importorskip("torch")
    a = np.array([[-7.0, 7.0, -7.5], [0.3, -0.3, 2.0]])
    b = np.array([2.0, -2.0, 2.5])
    for alpha in (2, 0.5, -1):
        for name in ("add", "sub"):
            x, y = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
            xt, yt = (torch.tensor(v, requires_grad=True) for v in (a, b))
            ours, theirs = getattr(tg, name)(x, y, alpha=alpha), getattr(torch, name)(
                xt, yt, alpha=alpha)
            (ours * ours).sum().backward()
            (theirs * theirs).sum().backward()
            np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-15)
            np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy(), rtol=1e-15)
            np.testing.assert_allclose(getattr(x, name)(b, alpha=alpha).numpy(),
                                       getattr(xt, name)(torch.tensor(b), alpha=alpha)
                                       .detach().numpy(), rtol=1e-15)
    ints = tg.tensor([1, 2], dtype=tg.int32)
    scaled = tg.add(ints, 3, alpha=2)
    assert scaled.tolist() == [7, 8] and scaled.dtype == ints.dtype
    for mode in (None, "floor", "trunc"):
        for left, right in ((a, b), (a.astype(np.int64), np.array([2, -2, 3]))):
            x = tg.tensor(left, requires_grad=left.dtype.kind == "f")
            ours = tg.div(x, right, rounding_mode=mode)
            theirs = torch.div(torch.tensor(left), torch.tensor(right), rounding_mode=mode)
            if left.dtype.kind == "i" and mode is None:  # true division: its default float
                theirs = torch.div(torch.tensor(left), torch.tensor(right).double())
            assert ours.tolist() == theirs.tolist() and str(ours.dtype) in str(theirs.dtype)
            if x.requires_grad:
                ours.sum().backward()  # floor and trunc are steps: gradient 0, as PyTorch's
                expected = 1 / np.broadcast_to(b, a.shape) if mode is None else np.zeros_like(a)
                np.testing.assert_allclose(x.grad.numpy(), expected)
    with pytest.raises(TypeError, match=r"^add: alpha must be a number, got str 'a'$"):
        tg.add(ints, 1, alpha="a")
    with pytest.raises(RuntimeError, match=r"^div: rounding_mode must be None, 'floor' or "
                                           r"'trunc', got 'round'$"):  # (PyTorch's type)
        tg.div(ints, 1, rounding_mode="round")
    with pytest.raises(RuntimeError):
        torch.div(torch.tensor([1]), 1, rounding_mode="round")
    with pytest.raises(TypeError, match=r"^div: rounding_mode must be None"):
        tg.div(ints, 1, rounding_mode=["floor"])


def test_integer_division_with_a_rounding_mode_refuses_what_pytorch_refuses():
    # a divisor 0 gave 0 (NumPy's integer floor_divide), a float alpha with integers a
    # float sum, two bool tensors a NumPy traceback (trunc): PyTorch refuses each
    torch = pytest.importorskip("torch")
    for mode in ("floor", "trunc"):
        with pytest.raises(RuntimeError) as error:
            tg.div(tg.tensor([4, 6]), tg.tensor([2, 0]), rounding_mode=mode)
        assert _message(error) == (f"div: integer division by zero (rounding_mode={mode!r}): "
                                   f"the divisor of shape (2,) holds a 0; divide floats for inf "
                                   f"or NaN there (x.float())")
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            torch.div(torch.tensor([4, 6]), torch.tensor([2, 0]), rounding_mode=mode)
        with pytest.raises(NotImplementedError, match=f"^div: rounding_mode='{mode}' divides "
                                                      f"numbers, got two bool tensors"):
            tg.div(tg.tensor([True]), tg.tensor([True]), rounding_mode=mode)
        with pytest.raises(NotImplementedError):
            torch.div(torch.tensor([True]), torch.tensor([True]), rounding_mode=mode)
        # floats still divide by 0 (inf, NaN), and a bool beside an integer is an integer
        with np.errstate(all="ignore"):
            floats = tg.div(tg.tensor([4.0, -6.0, 0.0]), 0.0, rounding_mode=mode)
        np.testing.assert_array_equal(floats.numpy(), torch.div(
            torch.tensor([4.0, -6.0, 0.0]), 0.0, rounding_mode=mode).numpy())
        mixed = tg.div(tg.tensor([True, False]), tg.tensor([-2, 3]), rounding_mode=mode)
        assert mixed.dtype == np.int64 and mixed.tolist() == torch.div(
            torch.tensor([True, False]), torch.tensor([-2, 3]), rounding_mode=mode).tolist()
    for name in ("add", "sub"):
        for alpha in (0.5, 1.0):
            with pytest.raises(RuntimeError, match=f"^{name}: alpha={alpha} is a float but the "
                                                   f"operands are integers"):
                getattr(tg, name)(tg.tensor([1, 2]), tg.tensor([3, 4]), alpha=alpha)
            with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
                getattr(torch, name)(torch.tensor([1, 2]), torch.tensor([3, 4]), alpha=alpha)
        # a float operand makes the sum float: a float alpha is fine, as PyTorch's
        assert getattr(tg, name)(tg.tensor([1, 2]), 1.5, alpha=0.5).tolist() == getattr(
            torch, name)(torch.tensor([1, 2]), 1.5, alpha=0.5).tolist()


def test_add_sub_and_div_take_pytorchs_keyword_names():
    # add(input=..., other=...) was refused: the arguments were named x and y
    torch = pytest.importorskip("torch")
    a, b = np.array([-7.0, 7.5]), np.array([2.0, -2.0])
    for name, options in (("add", {"alpha": 2}), ("sub", {"alpha": 2}),
                          ("div", {"rounding_mode": "floor"}), ("div", {})):
        ours = getattr(tg, name)(input=tg.tensor(a), other=tg.tensor(b), **options)
        theirs = getattr(torch, name)(input=torch.tensor(a), other=torch.tensor(b), **options)
        assert ours.tolist() == theirs.tolist()
        method = getattr(tg.tensor(a), name)(other=tg.tensor(b), **options)
        assert method.tolist() == getattr(torch.tensor(a), name)(other=torch.tensor(b),
                                                                 **options).tolist()


def test_div_trunc_warns_no_more_than_the_division_it_rounds():
    # trunc of floats computed a floor_divide it threw away: a second warning at a 0 divisor
    x, y = tg.tensor([1.0, -1.0]), tg.tensor([0.0, 2.0])
    with warnings.catch_warnings(record=True) as divided:
        warnings.simplefilter("always")
        _ = x / y
    with warnings.catch_warnings(record=True) as truncated:
        warnings.simplefilter("always")
        out = tg.div(x, y, rounding_mode="trunc")
    assert [str(w.message) for w in truncated] == [str(w.message) for w in divided]
    assert out.tolist() == [np.inf, -0.0]


def test_view_mm_t_numel_and_dim_are_pytorchs_spellings():
    a = np.arange(6.0).reshape(2, 3)
    x = t(a)
    assert x.view(3, 2).tolist() == x.reshape(3, 2).tolist() and x.view(-1).shape == (6,)
    assert np.array_equal(x.mm(x.T).data, a @ a.T)
    assert np.array_equal(tg.mm(x, x.t()).data, a @ a.T)
    assert x.t().shape == (3, 2) and x[0].t().shape == (3,)
    assert (x.numel(), x.dim()) == (x.size, x.ndim) == (6, 2)
    with pytest.raises(ValueError, match=r"t\(\): expects a tensor of at most 2 axes, got "
                                         r"shape \(1, 2, 3\); use transpose"):
        x.reshape(1, 2, 3).t()
    # the same recorded ops: their gradients are reshape's, matmul's and transpose's
    w = tg.Tensor(a, requires_grad=True)
    (w.view(3, 2).t().mm(w.t()) * t(np.arange(4.0).reshape(2, 2))).sum().backward()
    expected = tg.Tensor(a, requires_grad=True)
    (expected.reshape(3, 2).T.matmul(expected.T) * t(np.arange(4.0).reshape(2, 2))).sum() \
        .backward()
    np.testing.assert_allclose(w.grad.data, expected.grad.data)


def test_numpy_ufuncs_on_a_tensor_are_its_ops():
    # np.exp(t) is tg.exp(t), in the graph; array * t is np.multiply(array, t): mul
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]])
    b = np.array([2.0, -0.5, 4.0])
    written = t(a)
    ((np.exp(written) + np.maximum(written, 0.0) * b - b / np.sqrt(np.abs(written))
      - np.float64(3.0) * np.square(written)).sum() + (b @ written.T).sum()).backward()
    methods = t(a)
    ((methods.exp() + methods.maximum(0.0) * b - b / methods.abs().sqrt()
      - 3.0 * methods.square()).sum() + (tg.Tensor(b) @ methods.T).sum()).backward()
    np.testing.assert_allclose(written.grad.data, methods.grad.data)
    assert np.exp(written).grad_fn.name == "exp" and (b * written).grad_fn.name == "mul"
    assert (np.float64(2.0) * t(a, dtype=np.float32)).dtype == np.float32
    # into an array given as out=, the values: `w.data -= lr * w.grad` mixes the two
    held = np.zeros(a.shape)
    assert np.add(written, 1.0, out=held) is held and held.tolist() == (a + 1).tolist()
    w = t(np.array([1.0, 2.0]))
    (w * w).sum().backward()
    w.data -= 0.5 * w.grad
    assert w.tolist() == [0.0, 0.0]
    # ufuncs that give booleans give masks, as the comparison operators do
    for mask, expected in ((np.greater(written, 0), a > 0), (b < written, b < a),
                           (np.isnan(written), np.isnan(a)), (b == written, b == a)):
        assert isinstance(mask, tg.Tensor) and not mask.requires_grad
        np.testing.assert_array_equal(mask.data, expected)
    # what cannot be in the graph is refused in one line
    for call, words in ((lambda: np.cbrt(written), "np.cbrt on a Tensor: "
                         "tinygrad_gd has no op of that name"),
                        (lambda: np.add(written, 1.0, out=(written,)),
                         r"np.add\(..., out=\) on a Tensor is not supported"),
                        (lambda: np.add.reduce(written), "np.add.reduce on a Tensor is not "
                                                         "supported: use the tensor's own")):
        with pytest.raises(TypeError, match=words):
            call()


def test_numpy_functions_on_a_tensor_are_its_functions_or_its_values():
    # np.sum(t) is tg.sum(t), in the graph (it failed before: NumPy passed out=None)
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]])
    written = t(a)
    loss = (np.sum(np.square(np.clip(written, -1, 1)), axis=0) + np.mean(written, 0)
            + np.amax(np.concatenate([written, np.ones((1, 3))]), axis=0)).sum()
    loss.backward()
    methods = t(a)
    ((methods.clip(-1, 1).square().sum(axis=0) + methods.mean(axis=0)
      + tg.concatenate([methods, tg.ones(1, 3)]).max(axis=0)).sum()).backward()
    np.testing.assert_allclose(written.grad.data, methods.grad.data)
    for result in (np.reshape(written, -1), np.transpose(written, (1, 0)), np.cumsum(written),
                   np.where(written > 0, written, 0.0), np.var(written), np.stack([written, a])):
        assert isinstance(result, tg.Tensor) and result.requires_grad
    assert np.argsort(written).tolist() == np.argsort(a).tolist()  # indices: no gradient
    np.testing.assert_allclose(np.var(written).data, np.var(a))  # NumPy's divisor, n
    for axis in ({"axis": None}, {}):  # None: NumPy's flattened join
        joined = np.concatenate([written, a], **axis)
        assert joined.requires_grad and joined.tolist() == np.concatenate([a, a], **axis).tolist()
    # every other NumPy function reads the values: a plain ndarray, no gradient
    assert np.shape(written) == (2, 3) and np.allclose(written, a)
    ordered = np.median(written, axis=1)
    assert type(ordered) is np.ndarray and ordered.tolist() == np.median(a, axis=1).tolist()
    halves = np.split(written, 2)  # NumPy's meaning (2 pieces), not tinygrad_gd's split
    assert [type(h) for h in halves] == [np.ndarray] * 2 and halves[1].tolist() == [a[1].tolist()]
    assert np.where(written > 0)[1].tolist() == [0, 2, 0, 1]  # one argument: the indices
    with pytest.raises(TypeError, match="np.copyto would write into a Tensor"):
        np.copyto(written, 0.0)  # NumPy's own code cannot write into t (t.data can)
    assert written.tolist() == a.tolist()


def test_the_api_guide_lists_every_numpy_function_that_runs_an_op():
    guide = (Path(__file__).resolve().parent.parent / "docs/reference/api-guide.md").read_text()
    for name in numpy_calls.SAME_MEANING:
        assert f"`np.{name}" in guide or f"`np.linalg.{name}" in guide, name


def test_float_double_to_and_clone_are_pytorchs_in_the_graph():
    x = t(np.array([0.5, 1.5, 2.5]))
    single = x.float()
    assert single.dtype == np.float32 and single.grad_fn.name == "to"
    (single * 2).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 2.0, 2.0]
    assert single.double().dtype == np.float64 and x.double() is x and x.to("cpu") is x
    labels = tg.as_tensor([0, 1, 1])
    accuracy = (x.detach().round() == labels).float().mean()  # PyTorch's accuracy idiom
    assert accuracy.dtype == np.float32 and accuracy.item() == pytest.approx(1 / 3)
    indices = x.to(np.int64)  # to an integer dtype: astype, no gradient (PyTorch's rule)
    assert indices.dtype == np.int64 and not indices.requires_grad
    # NumPy's astype: a copy; to a float dtype in the graph, so cast NumPy code still learns
    cast, same = x.astype(np.float32), x.astype(np.float64)
    assert cast.grad_fn.name == "to" and same.grad_fn.name == "clone" and same is not x
    assert x.astype(np.int64).tolist() == [0, 1, 2] and not x.astype("int64").requires_grad
    copy = x.clone()
    copy.data[0] = 100.0  # its own values
    assert x.tolist() == [0.5, 1.5, 2.5] and copy.grad_fn.name == "clone"
    assert x.copy().grad_fn.name == "clone"  # NumPy's spelling
    with pytest.raises(TypeError, match=r"to: expected a dtype .*got str 'cuda'; tinygrad_gd "
                                        r"runs on the CPU only"):
        x.to("cuda")


def test_size_is_numpys_count_and_called_pytorchs_shape():
    x = t()  # shape (2, 3, 4)
    assert x.size == 24 and x.size + 1 == 25 and isinstance(x.size, int)  # NumPy's
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4  # PyTorch's
    assert tg.Tensor(5.0).size == 1 and tg.Tensor(5.0).size() == ()
    with pytest.raises(IndexError, match=r"size\(3\): the tensor has 3 axes \(shape "
                                         r"\(2, 3, 4\)\); give an axis in \[-3, 2\]"):
        x.size(3)


def test_argsort_takes_numpys_axis_or_pytorchs_dim_and_descending():
    a = np.array([[3.0, 1.0, 2.0, 1.0], [0.5, 0.5, 9.0, -1.0]])
    x = t(a)
    order = x.argsort()  # the last axis, ties in their order (stable)
    assert order.dtype == np.int64 and not order.requires_grad
    assert order.tolist() == np.argsort(a, kind="stable").tolist()
    assert tg.argsort(x, axis=None).tolist() == np.argsort(a, axis=None, kind="stable").tolist()
    assert x.argsort(dim=0).tolist() == np.argsort(a, axis=0, kind="stable").tolist()
    assert x.argsort(dim=1, descending=True).tolist() == [[0, 2, 1, 3], [2, 0, 1, 3]]
    assert tg.gather(x, 1, x.argsort(dim=1)).tolist() == np.sort(a).tolist()  # sorted, in the graph
    with pytest.raises(TypeError, match="argsort: give axis= or dim=, not both"):
        x.argsort(axis=0, dim=1)


def test_topk_gives_pytorchs_values_and_indices_ties_first_come_first():
    a = np.array([[1.0, 3.0, 2.0, 3.0], [4.0, 0.0, 4.0, 1.0]])
    x = t(a)
    values, indices = x.topk(2)  # the last axis, largest first
    assert values.tolist() == [[3.0, 3.0], [4.0, 4.0]] and values.grad_fn.name == "topk"
    assert indices.tolist() == [[1, 3], [0, 2]]  # of tied entries the first comes first
    assert indices.dtype == np.int64 and not indices.requires_grad
    (values * tg.Tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert x.grad.tolist() == [[0, 1, 0, 2], [3, 0, 4, 0]]  # to the entries picked
    smallest = tg.topk(x, 1, axis=0, largest=False)  # NumPy's axis= too
    assert smallest.values.tolist() == [[1.0, 0.0, 2.0, 1.0]]
    assert smallest.indices.tolist() == [[0, 1, 0, 1]]
    assert x.topk(0).values.shape == (2, 0)
    with pytest.raises(ValueError, match=r"topk: k must be a whole number from 0 to 4 \(the "
                                         r"size of axis 1 of a tensor of shape \(2, 4\)\), got 5"):
        x.topk(5)


def test_count_nonzero_counts_over_numpys_axis_or_pytorchs_dim():
    a = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, -3.0]])
    x = t(a)
    assert x.count_nonzero().tolist() == 3 and x.count_nonzero().dtype == np.int64
    assert tg.count_nonzero(x, axis=0).tolist() == [0, 1, 2]
    assert x.count_nonzero(dim=1).tolist() == [2, 1]
    assert np.count_nonzero(x, axis=1, keepdims=True).tolist() == [[2], [1]]  # NumPy's call
    assert (x > 0).count_nonzero().tolist() == 2 and not x.count_nonzero().requires_grad


def test_new_tensors_take_xs_dtype_as_pytorchs_new_zeros():
    x = tg.Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    for made, values in ((x.new_zeros(2, 3), np.zeros((2, 3))), (x.new_ones((2,)), [1, 1]),
                         (x.new_full((2, 2), 3.5), np.full((2, 2), 3.5)),
                         (x.new_empty(1), [0]), (x.new_tensor([1, 2]), [1, 2])):
        assert made.dtype == np.float32 and not made.requires_grad
        np.testing.assert_array_equal(made.data, values)
    assert x.new_zeros(2, dtype=np.int64).dtype == np.int64
    assert x.new_ones(2, requires_grad=True).requires_grad


def test_type_as_is_to_in_the_graph_and_sizes_in_bytes():
    x = t(np.array([1.0, 2.0]))
    single = x.type_as(tg.Tensor([0.0], dtype=np.float32))
    assert single.dtype == np.float32 and single.grad_fn.name == "to"
    single.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert x.type_as(x) is x and x.type_as(tg.as_tensor([1])).dtype == np.int64
    assert x.nbytes == 16 and x.itemsize == 8 and single.element_size() == 4


def test_uniform_and_normal_draw_in_place_from_the_seeded_generators(monkeypatch):
    from tinygrad_gd import creation
    monkeypatch.setattr(creation, "_seeded", [None])  # (undone after the test)
    w = tg.Tensor(np.zeros((50, 4)), requires_grad=True)
    with tg.no_grad():
        assert w.uniform_(-0.5, 0.5, generator=np.random.default_rng(0)) is w
    assert -0.5 <= w.data.min() < w.data.max() < 0.5 and w.data.std() > 0.1
    draws = []
    for _ in range(2):
        tg.manual_seed(7)
        with tg.no_grad():
            draws.append(w.normal_(2.0, 0.01).data.copy())
    np.testing.assert_array_equal(draws[0], draws[1])  # manual_seed makes it repeat
    assert abs(draws[0].mean() - 2.0) < 0.01
    loss = (w * w).sum()  # (mul keeps w: each factor's gradient is the other)
    with tg.no_grad():
        w.uniform_()  # counted: the graph that used the old values refuses
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    with pytest.raises(RuntimeError, match="would not be recorded"):
        w.normal_()  # a parameter outside no_grad(), as PyTorch refuses


def test_pytorchs_other_spellings_run_the_same_ops_in_the_graph():
    a = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    x = t(a)
    assert x.clamp_min(0).tolist() == np.maximum(a, 0).tolist()
    assert x.clamp_max(0).grad_fn.name == "clip" and x.clamp_max(0).tolist() == np.minimum(
        a, 0).tolist()
    assert x.amax(1).tolist() == [3.0, 5.0] and x.amin(dim=0, keepdim=True).shape == (1, 3)
    assert x.amax(axis=0).tolist() == [1.0, 5.0, 3.0]  # NumPy's keywords too
    assert x.amin(axis=1, keepdims=True).tolist() == [[-2.0], [-6.0]]
    assert x.ravel().tolist() == a.ravel().tolist() and x.ravel().grad_fn.name == "reshape"
    assert x.mT.shape == (3, 2) and tg.ones(2, 3, 4).mT.shape == (2, 4, 3)
    rows = x.unbind(0)
    assert len(rows) == 2 and rows[1].tolist() == a[1].tolist()
    (rows[0] * 2 + rows[1] * 3).sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0, 2.0], [3.0, 3.0, 3.0]]
    assert x.cpu() is x and x.contiguous() is x and x.is_contiguous()
    transposed = x.T
    assert not transposed.is_contiguous() and transposed.contiguous().is_contiguous()
    assert transposed.contiguous().tolist() == a.T.tolist()
    assert tg.bmm(tg.ones(2, 3, 4), tg.ones(2, 4, 5)).shape == (2, 3, 5)
    assert x.round(1).tolist() == a.round(1).tolist()
    assert tg.Tensor([0.125, 2.5]).round(2).tolist() == [0.12, 2.5]  # halves to even
    with pytest.raises(ValueError, match=r"mT: needs a tensor of at least 2 axes"):
        tg.ones(3).mT


def test_comparisons_dtypes_and_conversions_in_both_spellings():
    x = tg.Tensor([1.0, 2.0])
    assert x.isclose([1.0, 2.1]).tolist() == [True, False] and x.equal([1.0, 2.0])
    assert tg.isclose(x, x + 1e-9).all() and not tg.equal(x, x + 1e-9)
    array = np.array([1, 2], dtype=np.int32)
    copied = tg.from_numpy(array)
    assert copied.dtype == np.int32 and copied.tolist() == [1, 2]
    array[0] = 9  # a copy, unlike PyTorch's shared memory (the module's docstring says so)
    assert copied.tolist() == [1, 2]
    assert tg.is_tensor(x) and not tg.is_tensor(array) and tg.numel(tg.ones(2, 3)) == 6
    assert tg.zeros(2, dtype=tg.float32).dtype == np.float32 and tg.int64 is np.int64
    values = tg.zeros(3)
    values.fill(2.5)  # NumPy's in-place fill
    assert values.tolist() == [2.5, 2.5, 2.5]
    with pytest.raises(TypeError, match="from_numpy: expected a NumPy array, got list"):
        tg.from_numpy([1, 2])


def test_tg_tensor_is_pytorchs_torch_tensor_and_still_the_module():
    assert tg.tensor([1, 2]).dtype == np.int64 and tg.tensor([0.5]).dtype == np.float64
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    assert tg.tensor([1.0], dtype=np.float32).dtype == np.float32
    import tinygrad_gd.tensor as module  # the module that defines Tensor, as before
    assert module.Tensor is tg.Tensor


def test_descending_orders_put_nan_first_and_keep_every_integer_in_place():
    # descending sorted the negated values: NaN stayed last (PyTorch's topk(1) of
    # [1, nan, 3] is nan) and the smallest int64 overflowed to the front
    x = tg.Tensor([1.0, np.nan, 3.0, 1.0])
    values, indices = x.sort(dim=0, descending=True)
    assert np.array_equal(values.numpy(), [np.nan, 3, 1, 1], equal_nan=True)
    assert indices.tolist() == [1, 2, 0, 3]  # ties first come first
    assert np.isnan(x.topk(1).values.item()) and x.argsort(descending=True).tolist()[0] == 1
    assert x.sort(dim=0).indices.tolist() == [0, 3, 2, 1]  # ascending: NaN last, as before
    smallest = np.iinfo(np.int64).min
    assert tg.as_tensor([0, smallest, 5]).sort(dim=0, descending=True).values.tolist() == [
        5, 0, smallest]
    big = np.array([1, 2**63 + 5], dtype=np.uint64)
    assert tg.as_tensor(big, dtype=np.uint64).topk(1).values.tolist() == [2**63 + 5]
    with pytest.raises(ValueError, match=r"as_tensor\(\): 9223372036854775813 does not fit "
                                         r"int64.*dtype=np.uint64"):
        tg.as_tensor(big)  # it wrapped round to a negative int64


def test_sort_is_numpys_function_and_pytorchs_method_never_a_silent_guess():
    a = np.array([[3.0, 1.0, 2.0, 1.0], [0.5, 0.5, 9.0, -1.0]])
    x = t(a)
    assert tg.sort(x).tolist() == np.sort(a).tolist() and tg.sort(x).grad_fn.name == "sort"
    assert np.sort(x, axis=0).tolist() == np.sort(a, axis=0).tolist()  # NumPy's call, in the graph
    assert isinstance(np.sort(x), tg.Tensor) and tg.sort(x, axis=None).shape == (8,)
    values, indices = x.sort(dim=1, descending=True)  # PyTorch's
    assert values.tolist() == [[3.0, 2.0, 1.0, 1.0], [9.0, 0.5, 0.5, -1.0]]
    assert indices.tolist() == [[0, 2, 1, 3], [2, 0, 1, 3]]  # ties in their order
    (values * tg.Tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])).sum().backward()
    assert x.grad.tolist() == [[1.0, 3.0, 2.0, 4.0], [6.0, 7.0, 5.0, 8.0]]
    assert tg.sort(x, dim=0).indices.tolist() == [[1, 1, 0, 1], [0, 0, 1, 0]]
    with pytest.raises(TypeError, match=r"sort: x.sort\(\) is NumPy's in-place sort \(returning "
                                        r"None\) or PyTorch's \(values, indices\)"):
        x.sort()


def test_format_floor_divide_repeat_with_axis_and_diagonal_as_numpy_and_pytorch():
    loss = t(np.array(1.23456))
    assert f"{loss:.3f}" == "1.235" and f"{tg.Tensor([2.5]):>6.1f}" == "   2.5"
    assert f"{loss}" == str(loss)  # no spec: the tensor as printed
    with pytest.raises(TypeError, match=r"format: a format spec \('.2f'\) needs a tensor of "
                                        r"one element, got shape \(2,\)"):
        f"{tg.Tensor([1.0, 2.0]):.2f}"
    x = t(np.arange(6.0).reshape(2, 3))
    assert (x // 2).tolist() == (np.arange(6.0).reshape(2, 3) // 2).tolist()
    assert (7 // tg.Tensor([2.0])).tolist() == [3.0]
    assert x.repeat(2, axis=0).tolist() == np.repeat(x.data, 2, axis=0).tolist()  # NumPy's
    assert x.repeat(2, axis=0).grad_fn.name == "repeat_interleave"
    assert x.repeat(2, 1).tolist() == np.tile(x.data, (2, 1)).tolist()  # PyTorch's
    assert x.diagonal().tolist() == [0.0, 4.0] and x.diagonal(1).tolist() == [1.0, 5.0]
    cube = tg.arange(8.0).reshape(2, 2, 2)  # (the matrices over axes 0 and 1: NumPy's)
    assert cube.diagonal().tolist() == np.diagonal(cube.numpy()).tolist()


def test_addmm_and_lerp_are_pytorchs_and_in_the_graph():
    rng = np.random.default_rng(0)
    i, m1 = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    m2 = rng.standard_normal((4, 3))
    out = tg.addmm(t(i), t(m1), t(m2), beta=0.5, alpha=2.0)
    np.testing.assert_allclose(out.data, 0.5 * i + 2.0 * m1 @ m2, rtol=1e-12)
    assert tg.gradcheck(lambda a, b, c: a.addmm(b, c, beta=0.5, alpha=2.0), [t(i), t(m1), t(m2)])
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(t(a).lerp(t(b), 0.25).data, a + 0.25 * (b - a), rtol=1e-12)
    assert tg.gradcheck(lambda x, y, w: tg.lerp(x, y, w), [t(a), t(b), t(np.full(3, 0.3))])


def test_nonzero_is_numpys_tuple_and_pytorchs_matrix_when_asked():
    x = tg.Tensor([[0.0, 1.0], [2.0, 0.0]])
    rows, cols = x.nonzero()  # NumPy's: one index tensor per axis
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0] and rows.dtype == np.int64
    assert x[x.nonzero()].tolist() == [1.0, 2.0]
    assert x.nonzero(as_tuple=False).tolist() == [[0, 1], [1, 0]]  # PyTorch's
    assert tg.argwhere(x).tolist() == np.argwhere(x.data).tolist()


def test_meshgrid_needs_indexing_and_is_in_the_graph():
    a, b = np.arange(3.0), np.arange(2.0)
    for indexing in ("xy", "ij"):
        grids = tg.meshgrid(tg.Tensor(a), tg.Tensor(b), indexing=indexing)
        for ours, numpys in zip(grids, np.meshgrid(a, b, indexing=indexing)):
            assert ours.tolist() == numpys.tolist()
    x, y = t(a), t(b)
    gx, gy = tg.meshgrid(x, y, indexing="ij")
    (gx * gy).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0] and y.grad.tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="meshgrid: give indexing='xy' .* or indexing='ij'"):
        tg.meshgrid(x, y)  # NumPy's and PyTorch's defaults differ: no guess


def test_fill_diagonal_and_set_printoptions_as_pytorchs():
    grid = tg.zeros(3, 3)
    assert grid.fill_diagonal_(5.0) is grid and grid.tolist() == (5 * np.eye(3)).tolist()
    tall = tg.zeros(7, 3).fill_diagonal_(1.0, wrap=True)
    expected = np.zeros((7, 3))
    np.fill_diagonal(expected, 1.0, wrap=True)
    assert tall.tolist() == expected.tolist()
    saved = np.get_printoptions()
    try:
        tg.set_printoptions(precision=2)
        assert repr(tg.Tensor([1.23456])) == "Tensor([1.23])"
    finally:
        np.set_printoptions(**saved)
    assert repr(tg.Tensor([1.23456])) == "Tensor([1.23456])"


def test_ptp_divmod_conj_real_and_searchsorted_as_numpys():
    a = np.array([[1.0, 5.0], [3.0, -2.0]])
    x = t(a)
    assert x.ptp().item() == np.ptp(a) and x.ptp(axis=0).tolist() == np.ptp(a, axis=0).tolist()
    x.ptp().backward()
    assert x.grad.tolist() == [[0.0, 1.0], [0.0, -1.0]]  # +1 at the max, -1 at the min
    quotient, rest = divmod(x, 2)
    assert quotient.tolist() == (a // 2).tolist() and rest.tolist() == (a % 2).tolist()
    assert [q.tolist() for q in divmod(7, tg.Tensor([2.0]))] == [[3.0], [1.0]]
    assert x.conj() is x and x.real is x
    ordered = tg.Tensor([1.0, 3.0, 5.0])
    assert ordered.searchsorted([0.0, 3.0, 6.0]).tolist() == [0, 1, 3]
    assert tg.searchsorted(ordered, [3.0], right=True).tolist() == [2]  # PyTorch's keyword
    assert tg.searchsorted(ordered, 3.0, side="right").tolist() == 2  # NumPy's


# ------------------------------------------------------------------ writes, `in`, dtypes


def _message(error) -> str:
    """The error's text, checked to be one line."""
    text = str(error.value)
    assert "\n" not in text, text
    return text


@pytest.mark.parametrize("value", ["False", "1.5", None, np.datetime64("2020-01-01"), 1j])
def test_setitem_refuses_what_is_not_a_number_and_writes_nothing(value):
    for x in (tg.zeros(3, dtype=bool), tg.zeros(3)):
        before = x.tolist()
        with pytest.raises(TypeError, match="setitem: (expected numeric data|complex data)"):
            x[0] = value
        with pytest.raises(TypeError, match="setitem: "):
            x[:] = value
        assert x.tolist() == before
    x = tg.zeros(3)
    x[0], x[1:] = 2, [3.5, np.float32(4)]  # numbers, lists and arrays are written as before
    assert x.tolist() == [2.0, 3.5, 4.0]


@pytest.mark.torch
@pytest.mark.parametrize("value", ["False", "1.5", None, np.datetime64("2020-01-01")])
def test_setitem_of_what_is_not_a_number_is_refused_as_by_pytorch(value):
    torch = pytest.importorskip("torch")
    with pytest.raises((TypeError, RuntimeError)):
        torch.zeros(3)[0] = value
    with pytest.raises(TypeError):
        tg.zeros(3)[0] = value


def test_a_value_beyond_an_integer_dtype_is_refused_in_one_line():
    x = tg.arange(3)
    for value in (float("inf"), 2 ** 70):
        with pytest.raises(OverflowError) as error:
            x[0] = value
        assert _message(error) == (f"setitem: {value!r} does not fit the tensor's dtype int64; "
                                   f"give a value within it, or convert the tensor first "
                                   f"(t.to(tg.float64))")
    with pytest.raises(OverflowError, match="fill_: 1180591620717411303424 does not fit the "
                                            "tensor's dtype int64"):
        x.fill_(2 ** 70)
    assert x.tolist() == [0, 1, 2]


def test_a_write_into_read_only_values_says_why_and_to_clone():
    for make in (lambda: tg.zeros(1).expand(3), lambda: tg.zeros(3)[None].expand(3, 3)[0]):
        for write in (lambda t: t.__setitem__(0, 1.0), lambda t: t.fill_(3.0)):
            with pytest.raises(ValueError) as error:
                write(make())
            text = _message(error)
            assert "read-only (a broadcast view" in text and "t.clone()" in text, text
            assert "Ellipsis" not in text and text.split(":")[0] in ("setitem", "fill_")
        copy = make().clone()
        copy[0] = 1.0  # what the message says to do
        assert copy.tolist() == [1.0, 0.0, 0.0]
    base = tg.zeros(3, 3)
    base.diagonal().fill_(3.0)  # a diagonal is a writable view, as PyTorch's (was read-only)
    assert base.tolist() == np.diag([3.0, 3.0, 3.0]).tolist()


def test_in_asks_whether_some_entry_equals_the_value():
    x = tg.arange(4).reshape(2, 2)
    assert 2 in x and 7 not in x and 2.0 in x and np.int64(3) in x
    assert tg.as_tensor([2, 3]) in x and tg.as_tensor([3, 2]) not in x  # a row, broadcast
    assert float("nan") not in tg.Tensor([float("nan")])
    with pytest.raises(TypeError, match="in: a tensor can be searched for a number or a tensor, "
                                        "got str 'a'"):
        "a" in x  # noqa: B015
    with pytest.raises(ValueError, match=r"in: a tensor of shape \(3,\) cannot be compared with "
                                         r"one of shape \(2, 2\)"):
        tg.zeros(3) in x  # noqa: B015


@pytest.mark.torch
def test_in_is_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = tg.arange(6).reshape(3, 2), torch.arange(6).reshape(3, 2)
    for element in (2, 9, 2.0, -1, True):
        assert (element in ours) == (element in theirs), element
    for row in ([2, 3], [3, 2], [0]):
        assert (tg.as_tensor(row) in ours) == (torch.tensor(row) in theirs), row


@pytest.mark.parametrize("make, where, dtype", [
    (lambda: tg.tensor([-4.0, 1.0]).to("complex128"), "to", "complex"),
    (lambda: tg.tensor([1.0]).type("complex64"), "type", "complex"),
    (lambda: tg.Tensor([1, 2], dtype="U3"), "Tensor()", "<U3"),
    (lambda: tg.tensor([1, 2], dtype=np.complex64), "tensor()", "complex"),
    (lambda: tg.zeros(2, dtype=object), "zeros", "object"),
    (lambda: tg.full(2, 1.0, dtype="M8[D]"), "full", "datetime64[D]"),
    (lambda: tg.arange(3, dtype="U1"), "arange", "<U1"),
    (lambda: tg.zeros(2).new_zeros(2, dtype=complex), "new_zeros", "complex"),
])
def test_dtypes_that_do_not_hold_real_numbers_are_refused_at_the_call(make, where, dtype):
    with pytest.raises(TypeError) as error:
        make()
    text = _message(error)
    assert text.startswith(f"{where}: ") and dtype in text, text
    assert "not supported" in text if dtype == "complex" else "does not hold numbers" in text


@pytest.mark.parametrize("first, second", [(np.float32, np.int64), (np.int64, np.float32),
                                           (np.float32, bool), (np.float16, np.int32),
                                           (np.float32, np.float64), (np.int8, np.int64)])
def test_cat_and_stack_take_the_elementwise_ops_result_dtype(first, second):
    a, b = tg.as_tensor(np.ones(2), dtype=first), tg.as_tensor(np.arange(2), dtype=second)
    expected = (a + b).dtype  # float32 beside int64 stays float32 (docs: api-guide)
    for join in (tg.cat, tg.concatenate, tg.stack):
        out = join([a, b])
        assert out.dtype == expected, (join, out.dtype)
        assert out.reshape(-1).tolist() == [1.0, 1.0, 0.0, 1.0]
    if np.dtype(first).kind == "f":
        x = tg.Tensor(np.ones(2, first), requires_grad=True)
        (tg.cat([x, b]) * 2).sum().backward()
        assert x.grad.dtype == first and x.grad.tolist() == [2.0, 2.0]  # the input's dtype


@pytest.mark.torch
def test_cat_and_stack_result_dtypes_are_pytorchs():
    torch = pytest.importorskip("torch")
    names = ("float16", "float32", "float64", "int8", "int32", "int64", "bool")
    for first in names:
        for second in names:
            ours = [tg.zeros(2, dtype=name) for name in (first, second)]
            theirs = [torch.zeros(2, dtype=getattr(torch, name)) for name in (first, second)]
            for join in ("cat", "stack"):
                expected = str(getattr(torch, join)(theirs).dtype).replace("torch.", "")
                assert str(getattr(tg, join)(ours).dtype) == expected, (join, first, second)


def test_argument_counts_are_the_callers_without_cls_or_ctx():
    x = tg.zeros(2)
    for call, expected in [
        (lambda: tg.exp(x, 1), "exp: takes 1 argument (x) but 2 were given"),
        (lambda: x.exp(1), "exp: takes no arguments but 1 was given"),  # (x is not counted)
        (lambda: tg.add(x, x, x),
         "add: takes 2 arguments (input, other) but 3 were given; alpha= is keyword-only"),
        (lambda: tg.sum(x, 0, False, 3, 4),
         "sum: takes 1 to 3 arguments (x, axis, keepdims) but 5 were given; dim=, keepdim=, "
         "dtype= are keyword-only"),
    ]:
        with pytest.raises(TypeError) as error:
            call()
        assert _message(error) == expected, str(error.value)


def test_requires_grad_on_integers_says_what_works_where_the_dtype_came_from():
    cases = [
        (lambda: tg.tensor([1, 2], requires_grad=True),
         "tensor(): requires_grad=True needs a float dtype, got int64; pass dtype='float64' or "
         "give float data (1.0)"),
        (lambda: tg.as_tensor([1, 2], requires_grad=True), "as_tensor(): requires_grad=True "
         "needs a float dtype, got int64; pass dtype='float64' or give float data (1.0)"),
        (lambda: tg.arange(5, requires_grad=True), "arange: requires_grad=True needs a float "
         "dtype, got int64; pass dtype='float64' or give a float bound (arange(5.0))"),
        (lambda: tg.zeros_like(tg.arange(3), requires_grad=True), "zeros_like: requires_grad="
         "True needs a float dtype, got int64; pass dtype='float64' (the dtype is x's, int64)"),
        (lambda: tg.ones_like(tg.arange(3), requires_grad=True), "ones_like: requires_grad="
         "True needs a float dtype, got int64; pass dtype='float64' (the dtype is x's, int64)"),
        (lambda: tg.full_like(tg.arange(3), 2, requires_grad=True), "full_like: requires_grad="
         "True needs a float dtype, got int64; pass dtype='float64' (the dtype is x's, int64)"),
        (lambda: tg.zeros(2, dtype="int64", requires_grad=True), "zeros: requires_grad=True "
         "needs a float dtype, got int64; pass dtype='float64' (or leave dtype out)"),
    ]
    for make, expected in cases:
        with pytest.raises(TypeError) as error:
            make()
        assert _message(error) == expected
    # what the hints say works
    assert tg.tensor([1.0, 2.0], requires_grad=True).requires_grad
    assert tg.arange(5.0, requires_grad=True).dtype == np.float64
    assert tg.zeros_like(tg.arange(3), dtype="float64", requires_grad=True).requires_grad
    assert tg.zeros(2, requires_grad=True).requires_grad


def test_to_takes_pytorchs_device_and_dtype_forms():
    x = tg.Tensor([1.5, -2.5], requires_grad=True)
    for cast in (x.to("cpu", np.float32), x.to(device="cpu", dtype=np.float32),
                 x.to(dtype="float32"), x.to(tg.float32), x.to(x.device, "float32"),
                 x.to(tg.Tensor([0.0], dtype=np.float32))):
        assert cast.dtype == np.float32 and cast.grad_fn.name == "to"
    assert x.to("cpu") is x and x.to(device="cpu") is x
    labels = x.to(tg.zeros(1, dtype=np.int32))  # to(other): other's dtype
    assert labels.dtype == np.int32 and not labels.requires_grad
    x.to("cpu", np.float32).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match=r"to: expected a dtype .* or the device 'cpu', got str "
                                        r"'cuda:0'; tinygrad_gd runs on the CPU only"):
        x.to("cuda:0", np.float32)
    with pytest.raises(TypeError, match="to: got two dtypes"):
        x.to(np.float32, np.float64)


@pytest.mark.torch
def test_to_reads_pytorchs_dtypes_and_devices():
    torch = pytest.importorskip("torch")
    x = tg.Tensor([1.5, -2.5], requires_grad=True)
    for name in ("float32", "float16", "int64", "bool"):
        ours = x.to(getattr(torch, name))
        theirs = torch.tensor([1.5, -2.5]).to(getattr(torch, name))
        assert str(ours.dtype) == name and ours.tolist() == theirs.tolist()
    assert x.to(torch.device("cpu"), torch.float32).dtype == np.float32
    with pytest.raises(TypeError, match="to: complex dtypes are not supported"):
        x.to(torch.complex64)


def test_where_with_only_a_condition_gives_the_indices_as_numpy_and_pytorch():
    values = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for condition in (tg.Tensor(values) > 0, values != 0, tg.Tensor([True]), [0, 3, 0]):
        ours = tg.where(condition)
        theirs = np.where(getattr(condition, "numpy", lambda: np.asarray(condition))())
        assert [i.tolist() for i in ours] == [i.tolist() for i in theirs]
        assert all(i.dtype == np.int64 and not i.requires_grad for i in ours)
    (indices,) = tg.where(tg.Tensor(5.0) > 0)  # a 0-d condition: one axis, as PyTorch's
    assert indices.tolist() == [0]
    x = tg.Tensor(values, requires_grad=True)
    picked = x[tg.where(x > 0)]  # the indices pick the entries, in the graph
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values > 0)
    with pytest.raises(TypeError) as error:
        tg.where(x > 0, x)
    assert _message(error) == ("where: give both x and y (where(condition, x, y)), or neither "
                               "for the indices where the condition holds")
    for nothing in (None, "abc"):  # (they gave an index: where nothing holds, or "abc" does)
        with pytest.raises(TypeError, match=r"^where: the condition must be a tensor of "
                                            r"booleans or numbers, got '"):
            tg.where(nothing)


def test_where_with_only_a_condition_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    values = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    ours = tg.where(tg.Tensor(values) > 0)
    theirs = torch.where(torch.tensor(values) > 0)
    assert [i.tolist() for i in ours] == [i.tolist() for i in theirs]
    zero_d = tg.where(tg.Tensor(5.0) > 0)[0]
    assert zero_d.tolist() == torch.where(torch.tensor(5.0) > 0)[0].tolist()


def test_pytorchs_dtype_names_are_numpys_dtypes():
    # zeros(2, dtype=tg.bool) raised AttributeError: only the float and int32/64 names existed
    assert tg.zeros(2, dtype=tg.bool).dtype == np.bool_
    for name in ("uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"):
        assert getattr(tg, name) is getattr(np, name)
        assert tg.zeros(1, dtype=getattr(tg, name)).dtype == getattr(np, name)
    assert tg.arange(3).to(tg.bool).tolist() == [False, True, True]


def test_the_repr_of_an_empty_tensor_gives_its_shape_as_pytorchs():
    # (0, 3), (3, 0) and (0,) all printed "Tensor([])": a learner could not tell them apart
    assert repr(tg.zeros((0, 3))) == "Tensor([], size=(0, 3))"
    assert repr(tg.zeros((3, 0), dtype=np.float32)) == "Tensor([], size=(3, 0), dtype=float32)"
    assert repr(tg.zeros(0)) == "Tensor([])"


@pytest.mark.parametrize("name, args", [
    ("exp", ()), ("sin", ()), ("relu", ()), ("floor", ()), ("erf", ()), ("sum", ()),
    ("log_softmax", (0,)), ("maximum", ("other",)), ("atan2", ("other",)), ("mul", ("other",)),
    ("matmul", ("other",)), ("add", ("other",))])
def test_every_tg_function_takes_pytorchs_input_and_other_keywords(name, args):
    x, y = tg.tensor([0.25, 0.5]), tg.tensor([2.0, 3.0])
    positional = [y if a == "other" else a for a in args]
    keywords = {"other": y} if "other" in args else {}
    keywords.update({"dim": a for a in args if isinstance(a, int)})  # (torch: dim= after input=)
    rest = [a for a in positional if a is not y and not isinstance(a, int)]
    expected = getattr(tg, name)(x, *positional)
    assert np.array_equal(getattr(tg, name)(*rest, input=x, **keywords).data, expected.data)

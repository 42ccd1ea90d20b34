"""Two gradient gaps closed: `nextafter` as a differentiable op (PyTorch's gradient: g for
input, 0 where input == other, 0 for other; forward mode and second derivatives too), and
tg.masked's mean, var and std over a slice the mask leaves out whole, silent in forward and
backward (NumPy's divide warnings made errors here) with PyTorch's values and gradients."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import forward_ad as fwAD

INF, NAN = math.inf, math.nan
# the edges: a tie, signed zeros (equal), NaN on either side, infinities, a subnormal step
X = np.array([1.0, 3.0, 0.0, -0.0, NAN, 1.0, INF, INF, 2.0, 1e-320, -2.5, 0.5])
Y = np.array([2.0, 3.0, -0.0, 0.0, 1.0, NAN, INF, 0.0, 2.0 + 2 ** -51, 0.0, -7.0, 0.5])
WEIGHTS = np.linspace(-1.5, 2.0, X.size)
# (torch's own warning: its forward AD imports torch.jit.script)
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def _leaf(values, dtype=np.float64):
    return tg.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ------------------------------------------------------------------ nextafter


def test_nextafter_is_an_op_whose_gradient_is_g_for_input_except_at_ties_and_0_for_other():
    x, y = _leaf(X), _leaf(Y)
    out = tg.nextafter(x, y)
    assert out.grad_fn is not None and out.grad_fn.name == "nextafter"
    assert "nextafter" in tg.registered_ops()
    np.testing.assert_array_equal(out.data, np.nextafter(X, Y))
    out.backward(tg.Tensor(WEIGHTS))
    # (independent formula: the result is y itself where x == y, else x to within a step)
    np.testing.assert_array_equal(x.grad.data, np.where(X == Y, 0.0, WEIGHTS))
    np.testing.assert_array_equal(y.grad.data, np.zeros(Y.shape))


def test_nextafter_gradient_checks_away_from_ties_and_sums_over_broadcast_axes():
    rng = np.random.default_rng(3)
    x = _leaf(rng.uniform(-2, 2, (2, 1)))
    y = _leaf(rng.uniform(3, 5, (3,)) * rng.choice([-1, 1], 3))  # (never within 1 of x)
    assert tg.gradcheck(tg.nextafter, [x, y])
    assert tg.gradgradcheck(tg.nextafter, [x, y])
    tg.nextafter(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 1), 3.0))  # (3 columns each)
    np.testing.assert_array_equal(y.grad.data, np.zeros(3))


def test_nextafter_second_derivative_and_tangent():
    x, y = _leaf(X), _leaf(Y)
    (gx, gy) = tg.autograd.grad(tg.nextafter(x, y), [x, y], grad_outputs=tg.Tensor(WEIGHTS),
                                create_graph=True)
    np.testing.assert_array_equal(gx.data, np.where(X == Y, 0.0, WEIGHTS))
    np.testing.assert_array_equal(gy.data, np.zeros(Y.shape))
    tx, ty = np.linspace(1, 2, X.size), np.linspace(-3, 3, X.size)
    with fwAD.dual_level():
        out = tg.nextafter(fwAD.make_dual(tg.Tensor(X), tg.Tensor(tx)),
                           fwAD.make_dual(tg.Tensor(Y), tg.Tensor(ty)))
        tangent = fwAD.unpack_dual(out).tangent
    np.testing.assert_array_equal(tangent.data, np.where(X == Y, 0.0, tx))  # (y's: none)


def test_nextafter_method_function_and_in_place_spelling_record_the_op():
    x, y = _leaf([1.0, 2.0, 3.0]), tg.Tensor([0.0, 2.0, 9.0])
    assert x.nextafter(y).grad_fn.name == "nextafter"
    from tinygrad_gd.tensor_methods_more import nextafter  # (its old home still answers)
    assert nextafter(x, y).grad_fn.name == "nextafter"
    h = x * 1
    assert h.nextafter_(y) is h
    np.testing.assert_array_equal(h.data, np.nextafter([1.0, 2.0, 3.0], [0.0, 2.0, 9.0]))
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0, 1.0])


def test_nextafter_is_drawn_under_its_name():
    x, y = _leaf([1.0, 2.0]), _leaf([0.0, 5.0])
    source = tg.draw_graph((tg.nextafter(x, y) * 2).sum()).source
    assert "<B>nextafter</B>" in source


def test_nextafter_refuses_two_integer_operands_in_one_line_and_takes_a_float_with_one():
    with pytest.raises(TypeError, match=r"^nextafter: input has dtype int64 and other int64;"
                                        r" the next float is defined for floats only") as err:
        tg.nextafter(tg.as_tensor([1, 2]), tg.as_tensor([2, 0]))
    assert "\n" not in str(err.value)
    with pytest.raises(TypeError, match=r"^nextafter: input has dtype bool and other bool"):
        tg.as_tensor([True]).nextafter(tg.as_tensor([False]))
    single = tg.Tensor(np.array([1.0, 2.0], np.float32), dtype=tg.float32)
    got = tg.nextafter(single, tg.as_tensor([2, 0]))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.data, np.nextafter(np.float32([1, 2]), np.float32([2, 0])))
    assert tg.nextafter(tg.as_tensor([1, 2]), tg.Tensor([2.0, 0.0])).dtype == np.float64


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nextafter_values_gradients_and_tangents_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    tdtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    x, y = _leaf(X, dtype), _leaf(Y, dtype)
    tx, ty = (torch.tensor(v, dtype=tdtype, requires_grad=True) for v in (X, Y))
    out, expected = tg.nextafter(x, y), torch.nextafter(tx, ty)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    out.backward(tg.Tensor(WEIGHTS.astype(dtype)))
    expected.backward(torch.tensor(WEIGHTS, dtype=tdtype))
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    np.testing.assert_array_equal(y.grad.data, ty.grad.numpy())
    # broadcast, and y's gradient where g is inf or NaN (0 there too)
    bx, by = _leaf([[1.0], [2.0]], dtype), _leaf([0.0, 2.0, 3.0], dtype)
    tbx, tby = (torch.tensor(v.data, requires_grad=True) for v in (bx, by))
    seed = np.array([[INF, 1.0, NAN], [2.0, NAN, -INF]])
    tg.nextafter(bx, by).backward(tg.Tensor(seed.astype(dtype)))
    torch.nextafter(tbx, tby).backward(torch.tensor(seed, dtype=tdtype))
    np.testing.assert_array_equal(bx.grad.data, tbx.grad.numpy())
    np.testing.assert_array_equal(by.grad.data, tby.grad.numpy())
    import torch.autograd.forward_ad as tfw
    tangent = np.linspace(1, 2, X.size)
    with tfw.dual_level():
        theirs = tfw.unpack_dual(torch.nextafter(tfw.make_dual(
            torch.tensor(X, dtype=tdtype), torch.tensor(tangent, dtype=tdtype)),
            torch.tensor(Y, dtype=tdtype))).tangent
    with fwAD.dual_level():
        ours = fwAD.unpack_dual(tg.nextafter(fwAD.make_dual(
            tg.Tensor(X.astype(dtype)), tg.Tensor(tangent.astype(dtype))),
            tg.Tensor(Y.astype(dtype)))).tangent
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.torch
def test_nextafter_dtypes_and_refusals_as_torchs():
    torch = pytest.importorskip("torch")
    pairs = [(np.array([1], np.int64), np.array([2.0], np.float64)),
             (np.array([1.0], np.float32), np.array([2], np.int64)),
             (np.array([True]), np.array([2.0], np.float32)),
             (np.array([1.0], np.float32), np.array(2.0, np.float64)),
             (np.array([1.0], np.float32), np.array([2.0], np.float64))]
    for a, b in pairs:
        theirs = torch.nextafter(torch.from_numpy(a), torch.from_numpy(b))
        ours = tg.nextafter(tg.as_tensor(a), tg.as_tensor(b))
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (a.dtype, b.dtype)
        # (torch's default float is float32: an integer input's result is compared in value)
        np.testing.assert_array_equal(ours.data, theirs.numpy().astype(ours.dtype))
    with pytest.raises(NotImplementedError):
        torch.nextafter(torch.tensor([1]), torch.tensor([2]))
    with pytest.raises(TypeError, match="^nextafter: "):
        tg.nextafter(tg.as_tensor([1]), tg.as_tensor([2]))


# ------------------------------------------------------------------ masked mean, var, std

A = np.array([[1.0, 2.0, 4.0, -1.0], [3.0, -1.0, 0.5, 2.0], [0.25, 5.0, -3.0, 1.5]])
# row 1 left out whole, rows 0 and 2 keep 3 entries each (more than any correction here:
# a slice keeping no more entries than the correction is another edge, not this one)
ROWS = np.array([[True, False, True, True], [False, False, False, False],
                 [True, True, True, False]])
COLUMNS = np.array([[True, False, True, True]] * 3)  # column 1 left out whole (dim=0)
NOTHING = np.zeros(A.shape, bool)
CASES = [(1, ROWS), (0, COLUMNS), (1, NOTHING), (0, NOTHING), (None, NOTHING), ((0, 1), NOTHING)]
G = np.array([1.5, -2.0, 0.75])  # the gradient arriving at each row's result


def _run_quietly(fn, x, *args, seed=None, **keywords):
    """fn(x, *args, **keywords) and its backward (under `seed`, default ones), any
    RuntimeWarning (NumPy's divide and invalid warnings) an error throughout."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = fn(x, *args, **keywords)
        out.backward(tg.ones(out.shape, dtype=out.dtype) if seed is None else seed)
    return out


def _reference_rows(correction):
    """Each row's mean and variance over ROWS and their gradients under G, from the kept
    entries alone: NaN where a row keeps none (0 for a negative correction's variance),
    the mean's gradient 0 there and the variance's NaN at every entry (PyTorch's: the mean
    of nothing, NaN, reaches each entry's distance from it)."""
    means, variances = np.full(3, NAN), np.full(3, NAN)
    mean_grad, var_grad = np.zeros(A.shape), np.zeros(A.shape)
    for row in range(3):
        kept = A[row, ROWS[row]]
        if kept.size == 0:
            var_grad[row] = NAN
            variances[row] = 0.0 if correction < 0 else NAN
            continue
        means[row] = kept.mean()
        variances[row] = ((kept - means[row]) ** 2).sum() / (kept.size - correction)
        mean_grad[row, ROWS[row]] = G[row] / kept.size
        var_grad[row, ROWS[row]] = G[row] * 2 * (kept - means[row]) / (kept.size - correction)
    return means, mean_grad, variances, var_grad


@pytest.mark.parametrize("correction", [0, 1, 2, -1, 0.5])
def test_masked_mean_var_std_of_a_slice_left_out_whole_are_silent(correction):
    means, mean_grad, variances, var_grad = _reference_rows(correction)
    mask, seed = tg.tensor(ROWS), tg.Tensor(G)
    x = _leaf(A)
    out = _run_quietly(tg.masked.mean, x, 1, mask=mask, seed=seed)
    np.testing.assert_allclose(out.data, means, rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, mean_grad, rtol=1e-12)  # (0 over the empty row)
    x = _leaf(A)
    out = _run_quietly(tg.masked.var, x, 1, mask=mask, seed=seed, correction=correction)
    np.testing.assert_allclose(out.data, variances, rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, var_grad, rtol=1e-12)
    x = _leaf(A)
    out = _run_quietly(tg.masked.std, x, 1, mask=mask, seed=seed, correction=correction)
    np.testing.assert_allclose(out.data, np.sqrt(variances), rtol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):  # (the chain rule through sqrt)
        std_grad = var_grad / (2 * np.sqrt(variances))[:, None]
    np.testing.assert_allclose(x.grad.data, std_grad, rtol=1e-12)


@pytest.mark.parametrize("dim, mask", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_masked_reductions_left_out_whole_along_any_axes_are_silent(dim, mask, dtype):
    axes = (0, 1) if dim is None else dim
    empty = ~mask.any(axis=axes, keepdims=True)
    for fn in (tg.masked.mean, tg.masked.var, tg.masked.std):
        x = _leaf(A, dtype)
        out = _run_quietly(fn, x, dim, mask=tg.tensor(mask), keepdim=True)
        assert out.dtype == dtype and x.grad.dtype == dtype
        np.testing.assert_array_equal(np.isnan(out.data), empty)
        kept_grad = x.grad.data[np.broadcast_to(~empty, A.shape)]
        assert not np.isnan(kept_grad).any()  # (NaN only where a slice keeps nothing)


@pytest.mark.torch
@pytest.mark.parametrize("correction", [0, 1, 2, -1])
@pytest.mark.parametrize("dim, mask", CASES)
def test_masked_mean_var_std_left_out_whole_as_torchs(correction, dim, mask):
    torch = pytest.importorskip("torch")
    for name in ("mean", "var", "std"):
        keywords = {} if name == "mean" else {"correction": correction}
        x, t = _leaf(A), torch.tensor(A, requires_grad=True)
        theirs = getattr(torch.masked, name)(t, dim, mask=torch.tensor(mask), **keywords)
        seed = np.linspace(-1, 2, theirs.numel()).reshape(tuple(theirs.shape))
        theirs.backward(torch.tensor(seed))
        out = _run_quietly(getattr(tg.masked, name), x, dim, mask=tg.tensor(mask),
                           seed=tg.Tensor(seed), **keywords)
        np.testing.assert_allclose(out.data, theirs.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12)

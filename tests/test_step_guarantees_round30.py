"""What the training step's ops keep when their pure loss is taken out (thirtieth round).

A mean is NumPy's, bit for bit, in every dtype (integers and bools averaged in float64,
float16 and float32 summed in float64 and returned in their own dtype), with its gradient
1/n each; matmul's and dot's shape refusals name the sizes, in one line, whichever dtypes
the operands have; a `.grad` that mixes gradients from before and after an update is told
once where it is used, however many passes added to it, and not after it was cleared; a
user's op may give its gradient as a bare array, a list or a tuple, and a bare array for
an op of two inputs is refused. Expected values are NumPy's formulas."""
from __future__ import annotations

import itertools
import traceback
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Function, Tensor

# ------------------------------------------------------------------ mean, bit for bit


def _numpy_mean(a, axis, keepdims):
    """np.mean as the package's rule asks: float16 and float32 summed in float64 (as
    PyTorch's accumulate), the mean in their own dtype; other dtypes as np.mean gives."""
    if a.dtype.kind == "f" and a.dtype.itemsize < 8:
        return np.asarray(np.mean(a, axis=axis, dtype=np.float64, keepdims=keepdims)
                          ).astype(a.dtype)
    return np.asarray(np.mean(a, axis=axis, keepdims=keepdims))


def _axes(ndim):
    singles = [None, *range(ndim), *range(-ndim, 0)]
    return singles + [c for r in range(2, ndim + 1) for c in itertools.combinations(range(ndim), r)]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int64,
                                   np.uint8, np.bool_])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (1, 7, 1), (3, 1001)])
def test_a_mean_is_numpys_bit_for_bit_in_every_dtype(dtype, shape):
    rng = np.random.default_rng(sum(shape) + len(shape))
    values = rng.standard_normal(shape) * 100
    a = values > 0 if dtype is np.bool_ else values.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for axis in _axes(len(shape)):
            for keepdims in (False, True):
                got = Tensor(a).mean(axis=axis, keepdims=keepdims).numpy()
                want = _numpy_mean(a, axis, keepdims)
                assert (got.dtype, got.shape) == (want.dtype, want.shape), (axis, keepdims)
                assert got.tobytes() == want.tobytes(), (axis, keepdims)


def test_a_mean_of_large_integers_is_summed_in_float64_as_numpys():
    a = np.array([2**62, 2**62, 2**62 + 1, -5], dtype=np.int64)  # (their int64 sum wraps)
    got = Tensor(a, dtype=np.int64).mean().numpy()
    assert got.dtype == np.float64 and got == np.mean(a) > 0


def test_a_float32_mean_of_many_entries_is_summed_in_float64():
    a = np.random.default_rng(0).uniform(0, 1, 300_001).astype(np.float32)
    got = Tensor(a).mean().numpy()
    assert got.dtype == np.float32 and got.shape == ()
    assert got == np.float32(np.add.reduce(a, dtype=np.float64) / a.size)


@pytest.mark.parametrize("dtype, rows", [(np.float64, 7), (np.float32, 7), (np.float16, 7),
                                         (np.float32, 1000), (np.float64, 1)])
def test_cross_entropys_mean_is_numpys_mean_of_its_losses(dtype, rows):
    rng = np.random.default_rng(rows)
    logits = tg.tensor(rng.normal(size=(rows, 2)).astype(dtype), dtype=dtype)
    target = tg.tensor(rng.integers(0, 2, rows))
    each = tg.nn.functional.cross_entropy(logits, target, reduction="none").numpy()
    mean = tg.nn.functional.cross_entropy(logits, target).numpy()
    assert mean.dtype == dtype and mean.tobytes() == np.asarray(np.mean(each)).tobytes()


@pytest.mark.parametrize("shape, axis, keepdims", [((3, 4), None, False), ((3, 4), 1, False),
                                                   ((2, 3, 4), (0, 2), True), ((5,), 0, True)])
def test_a_means_gradient_is_one_nth_of_the_outputs_gradient_each(shape, axis, keepdims):
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    out = x.mean(axis=axis, keepdims=keepdims)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    n = x.numpy().size // max(out.numpy().size, 1)
    kept = np.mean(x.numpy(), axis=axis, keepdims=True).shape
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(g.reshape(kept) / n, shape))


def test_a_mean_of_nothing_is_nan_without_numpys_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(Tensor(np.zeros((0, 3))).mean().item())
        assert np.isnan(Tensor(np.zeros((0, 3))).mean(axis=0).numpy()).all()

# ------------------------------------------------------------------ matmul's refusals


def _inner(x, y, name="matmul"):
    where = "only" if len(y) == 1 else "second-to-last"
    k_y = y[0] if len(y) == 1 else y[-2]
    return (f"{name}: inner sizes differ: {x} @ {y} contracts {x[-1]} with {k_y}; the last axis "
            f"of the left operand must match the {where} axis of the right one (transpose one "
            f"of them with .T?)")


def _no_axis(x, y, name="matmul"):
    return (f"{name}: both operands need at least 1 dimension, got shapes {x} and {y}; use * "
            f"to multiply by a scalar")


def _batch(x, y):
    return (f"matmul: shapes {x}, {y} do not broadcast together (NumPy's rule: compared from "
            f"the last axis, each pair of sizes must be equal or one of them 1); reshape or "
            f"transpose an operand")


@pytest.mark.parametrize("x, y, message", [
    ((), (3,), _no_axis((), (3,))), ((3,), (), _no_axis((3,), ())),
    ((), (), _no_axis((), ())), ((2, 3), (), _no_axis((2, 3), ())),
    ((3,), (4,), _inner((3,), (4,))), ((2, 3), (4,), _inner((2, 3), (4,))),
    ((4,), (3, 2), _inner((4,), (3, 2))), ((2, 3), (2, 3), _inner((2, 3), (2, 3))),
    ((5, 2, 3), (4, 2), _inner((5, 2, 3), (4, 2))),
    ((2, 2, 3), (3, 3, 2), _batch((2, 2, 3), (3, 3, 2))),  # (inner sizes fit: the batch not)
    ((5, 2, 3), (2, 4, 1), _inner((5, 2, 3), (2, 4, 1))),  # (both: the inner sizes said)
])
@pytest.mark.parametrize("dtypes", [(np.float64, np.float64), (np.float32, np.int64),
                                    (np.int64, np.float32), (np.int8, np.bool_)])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_matmuls_shape_refusals_name_the_sizes_in_one_line(x, y, message, dtypes,
                                                           requires_grad):
    a = Tensor(np.ones(x, dtypes[0]), requires_grad=requires_grad and dtypes[0] != np.int64
               and dtypes[0] != np.int8)
    b = Tensor(np.ones(y, dtypes[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(tg.ShapeError) as caught:
            a @ b
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, RuntimeError)
    shown = traceback.format_exception(caught.value)  # (one error: no NumPy's above it)
    assert [line for line in shown if not line.startswith(" ")] == [
        "Traceback (most recent call last):\n", f"tinygrad_gd.errors.ShapeError: {message}\n"]


@pytest.mark.parametrize("x, y, message", [
    ((), (3,), _no_axis((), (3,), "dot")), ((3,), (4,), _inner((3,), (4,), "dot")),
    ((2, 3), (2, 3), _inner((2, 3), (2, 3), "dot"))])
def test_dots_shape_refusals_are_matmuls_under_its_name(x, y, message):
    with pytest.raises(tg.ShapeError) as caught:
        Tensor(np.ones(x), requires_grad=True).dot(np.ones(y))
    assert str(caught.value) == message


@pytest.mark.parametrize("x, y", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
                                  ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((1, 2, 3), (4, 3, 2))])
def test_matmul_computes_in_pytorchs_dtype(x, y):
    rng = np.random.default_rng(2)
    a = Tensor(rng.standard_normal(x).astype(np.float32), requires_grad=True)
    b_values = rng.integers(-3, 4, y)
    out = a @ Tensor(b_values, dtype=np.int64)  # float32 @ int64: float32, as PyTorch's
    want = np.asarray(np.matmul(a.numpy(), b_values.astype(np.float32)))
    assert out.dtype == np.float32 and out.numpy().tobytes() == want.tobytes()

@pytest.mark.parametrize("x, y", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
                                  ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((1, 2, 3), (4, 3, 2))])
def test_matmuls_gradients_are_pytorchs(x, y):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a_values, b_values = rng.standard_normal(x), rng.standard_normal(y)
    a, b = Tensor(a_values, requires_grad=True), Tensor(b_values, requires_grad=True)
    ta = torch.tensor(a_values, requires_grad=True)
    tb = torch.tensor(b_values, requires_grad=True)
    out, t_out = a @ b, ta @ tb
    g = rng.standard_normal(out.shape)
    out.backward(g)
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ a .grad mixing steps


def _pass(x, w):
    (0.5 * (x @ w - 1) ** 2).backward()


def test_a_grad_mixing_steps_is_told_once_however_many_passes_added_to_it():
    x, w = Tensor([8.5, 0.65, 1.2]), Tensor([0.1, 0.2, -0.1], requires_grad=True, name="w")
    _pass(x, w)
    with tg.no_grad():
        w.data -= 0.01 * w._grad.numpy()  # (an update: the gradient from before it stays)
    for _ in range(3):  # each pass makes a new .grad, still mixing
        _pass(x, w)
    with pytest.warns(UserWarning, match=r"^\.grad of w \(3,\) adds up gradients") as caught:
        w.grad
    assert len(caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w.grad  # (told once)
        _pass(x, w)  # (no update since: nothing new mixes)
        w.grad


@pytest.mark.parametrize("clear", ["zero_grad(set_to_none=False)", "zero_grad()", "None"])
def test_a_cleared_mixing_grad_is_not_told_of(clear):
    x, w = Tensor([8.5, 0.65, 1.2]), Tensor([0.1, 0.2, -0.1], requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.01)
    _pass(x, w)
    opt.step()
    _pass(x, w)  # mixes
    if clear == "None":
        w.grad = None
    else:
        opt.zero_grad(set_to_none=clear == "zero_grad()")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _pass(x, w)
        opt.step()
        w.grad


def test_mixing_grads_of_many_tensors_are_each_told_at_the_step():
    params = [Tensor(np.full(2, k + 1.0), requires_grad=True, name=f"p{k}") for k in range(3)]
    opt = tg.optim.SGD(params, lr=0.1)
    sum((p * p).sum() for p in params).backward()
    opt.step()
    sum((p * p).sum() for p in params).backward()  # every .grad mixes now
    with pytest.warns(UserWarning, match="adds up gradients") as caught:
        opt.step()
    assert [str(w.message).split()[2] for w in caught] == ["p0", "p1", "p2"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()  # (told already)
    del params, opt  # (their entries go with them)
    w = Tensor([1.0], requires_grad=True)
    (w * w).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w.grad

# ------------------------------------------------------------------ a user's op's gradients


def _one_input_op(returned):
    class Twice(Function, register=False):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad):
            return returned(grad * 2)
    return Twice


@pytest.mark.parametrize("returned", [lambda g: g, lambda g: [g], lambda g: (g,),
                                      lambda g: (g, None)])
def test_a_one_input_ops_gradient_as_an_array_a_list_or_a_tuple(returned):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    _one_input_op(returned).apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 2.0))
    scalar = Tensor(1.5, requires_grad=True)  # (NumPy's 0-d arithmetic: a number, not an array)
    _one_input_op(lambda g: np.float64(returned(g)[0] if returned(g) is not g else g)).apply(
        scalar).backward()
    assert scalar.grad.numpy().shape == () and scalar.grad.item() == 2.0


def test_a_bare_array_for_an_op_of_two_inputs_is_refused():
    class Product(Function, register=False):
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        def backward(ctx, grad):
            return grad * ctx.saved_tensors[1]

    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^backward of op 'product' returned 1 gradients "
                                           r"for 2 inputs"):
        Product.apply(x, y).sum().backward()
    assert x.grad is None and y.grad is None


def test_one_array_from_a_package_ops_backward_for_two_inputs_is_refused():
    class Half(Function, register=False):  # (as if defined in the package: no wrapper)
        __module__ = "tinygrad_gd.ops.half"

        def forward(ctx, x, y):
            return (x + y) / 2

        def backward(ctx, grad):
            return np.array(grad / 2)  # (one array for two inputs: the package's bug, said)

    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^backward of op 'half' returned 1 gradients "
                                           r"for 2 inputs"):
        Half.apply(x, y).sum().backward()


def test_two_gradients_for_a_one_input_op_are_refused():
    with pytest.raises(RuntimeError, match=r"^backward of op 'twice' returned 2 gradients "
                                           r"for 1 inputs"):
        _one_input_op(lambda g: (g, g)).apply(Tensor([1.0], requires_grad=True)).backward()

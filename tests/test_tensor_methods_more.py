"""PyTorch's remaining Tensor methods (tensor_methods_more.py) against torch's: values,
dtypes and gradients of those in the graph, the in-place ones, the random fills' laws, the
facts about where values are, and the one-line refusals."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.tensor_methods_more  # noqa: F401  (attaches the methods)
from tinygrad_gd.tensor_methods_more import (angle, as_strided_scatter, conj_physical,
                                             index_reduce, narrow_copy, nextafter, put,
                                             select_scatter, slice_scatter, unsafe_chunk,
                                             unsafe_split, unsafe_split_with_sizes)
from test_top_level_functions import _same

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(5)
A = RNG.standard_normal((3, 4))
CUBE = RNG.standard_normal((2, 3, 4))


def _pair(*arrays):
    return ([tg.Tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _same_gradients(ours_fn, torch_fn, *arrays, tol=1e-10, compared=None):
    """Values, then the gradients of sum(out * weights) for every input (those at the
    positions `compared`, if given: torch's others need none), against torch's."""
    ours, theirs = _pair(*arrays)
    if compared is not None:
        theirs = [torch.tensor(a, requires_grad=k in compared) for k, a in enumerate(arrays)]
    got, expected = ours_fn(*ours), torch_fn(*theirs)
    _same(got, expected, tol)
    if compared == ():
        return
    got, expected = (got, ) if isinstance(got, tg.Tensor) else got, (
        (expected,) if isinstance(expected, torch.Tensor) else expected)
    weights = [RNG.standard_normal(e.shape) for e in expected]
    sum((g * w).sum() for g, w in zip(got, weights)).backward()
    sum((e * torch.tensor(w)).sum() for e, w in zip(expected, weights)).backward()
    for o, t in zip(ours, theirs):
        if not t.requires_grad:
            continue
        expected_grad = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        got_grad = np.zeros(o.shape) if o.grad is None else o.grad._data
        np.testing.assert_allclose(got_grad, expected_grad, rtol=tol, atol=tol)


# -- in the graph ---------------------------------------------------------------------------
def test_angle_as_torchs():
    values = np.array([-1.5, 0.0, -0.0, 2.0, np.nan, np.inf, -np.inf])
    _same_gradients(angle, torch.angle, values)
    _same_gradients(lambda x: x.angle(), lambda x: x.angle(), A)
    for data in ([-2, 0, 3], [True, False]):  # (integers and bools: the default float)
        got = angle(tg.as_tensor(data))
        expected = torch.angle(torch.tensor(data).double())
        _same(got, expected)
    single = tg.Tensor(A.astype(np.float32), dtype=tg.float32)
    assert angle(single).dtype == np.float32
    assert angle(tg.Tensor(-3.0)).shape == () and angle(tg.zeros(0, 2)).shape == (0, 2)


def test_conj_physical_is_x_as_torchs():
    x = tg.Tensor(A, requires_grad=True)
    assert conj_physical(x) is x and x.conj_physical() is x and x.conj_physical_() is x
    tx = torch.tensor(A)
    assert torch.conj_physical(tx) is tx


def test_narrow_copy_and_unsafe_splits_as_torchs():
    for ours, theirs in (
            (lambda x: narrow_copy(x, 1, 1, 2), lambda x: torch.narrow_copy(x, 1, 1, 2)),
            (lambda x: x.narrow_copy(-1, 0, 0), lambda x: x.narrow_copy(-1, 0, 0)),
            (lambda x: unsafe_chunk(x, 2, -1), lambda x: torch.unsafe_chunk(x, 2, -1)),
            (lambda x: x.unsafe_split(2), lambda x: x.unsafe_split(2)),
            (lambda x: unsafe_split(x, 3, 1), lambda x: torch.unsafe_split(x, 3, 1)),
            (lambda x: unsafe_split_with_sizes(x, [1, 0, 2]),
             lambda x: torch.unsafe_split_with_sizes(x, [1, 0, 2])),
            (lambda x: x.unsafe_split_with_sizes([3, 1], 1),
             lambda x: x.unsafe_split_with_sizes([3, 1], 1))):
        _same_gradients(ours, theirs, A)
    x = tg.Tensor(A)
    copy = x.narrow_copy(0, 0, 2)
    copy[0, 0] = 100.0  # (a copy: x keeps its values)
    assert x[0, 0].item() == A[0, 0]


def test_nextafter_as_torchs():
    x = np.array([1.0, -0.0, 0.0, 3.5, np.inf])
    y = np.array([2.0, 1.0, -1.0, 3.5, 0.0])
    _same(nextafter(tg.Tensor(x), tg.Tensor(y)), torch.nextafter(torch.tensor(x),
                                                                  torch.tensor(y)))
    _same(tg.Tensor(A).nextafter(tg.Tensor(A[0])), torch.tensor(A).nextafter(
        torch.tensor(A[0])))
    single = tg.Tensor(x.astype(np.float32), dtype=tg.float32)
    _same(single.nextafter(tg.Tensor(y)), torch.tensor(x, dtype=torch.float32).nextafter(
        torch.tensor(y)))
    _same(single.nextafter(tg.Tensor(y.astype(np.float32), dtype=tg.float32)),
          torch.nextafter(torch.tensor(x, dtype=torch.float32),
                          torch.tensor(y, dtype=torch.float32)))
    assert nextafter(tg.Tensor(x, requires_grad=True), tg.Tensor(y)).grad_fn.name == "nextafter"
    ours, theirs = tg.Tensor(x[:-1].astype(np.float32), dtype=tg.float32), torch.tensor(
        x[:-1], dtype=torch.float32)
    assert ours.nextafter_(tg.Tensor(y[:-1])) is ours
    theirs.nextafter_(torch.tensor(y[:-1]))
    _same(ours, theirs, 0)


# torch's as_strided_scatter gives input the gradient of the entries src replaced, not
# of those kept (its own gradcheck fails), and a transposed input's src the gradient of
# other entries: those are checked against finite differences (gradcheck)
SCATTERS = [
    ("select_scatter", lambda x, s: select_scatter(x, s[0], 0, -1),
     lambda x, s: torch.select_scatter(x, s[0], 0, -1), (3, 4), (1, 4)),
    ("select_scatter dim", lambda x, s: x.select_scatter(s[:, 0], -1, 2),
     lambda x, s: x.select_scatter(s[:, 0], -1, 2), (3, 4), (3, 1)),
    ("slice_scatter", lambda x, s: slice_scatter(x, s, 0, 1, None, 2),
     lambda x, s: torch.slice_scatter(x, s, 0, 1, None, 2), (5, 3), (2, 3)),
    ("slice_scatter negative", lambda x, s: x.slice_scatter(s, dim=-1, start=-3, end=-1),
     lambda x, s: x.slice_scatter(s, dim=-1, start=-3, end=-1), (2, 5), (2, 2)),
    ("slice_scatter all", lambda x, s: slice_scatter(x, s), lambda x, s: torch.slice_scatter(
        x, s), (2, 3), (2, 3)),
    ("as_strided_scatter", lambda x, s: as_strided_scatter(x, s, (2, 2), (3, 1), 1),
     lambda x, s: torch.as_strided_scatter(x, s, (2, 2), (3, 1), 1), (2, 3), (2, 2)),
    ("as_strided_scatter transposed",
     lambda x, s: x.t().as_strided_scatter(s, (2,), (1,), 1),
     lambda x, s: x.t().as_strided_scatter(s, (2,), (1,), 1), (2, 3), (2,)),
    ("as_strided_scatter 0-d", lambda x, s: as_strided_scatter(x, s, (), (), 4),
     lambda x, s: torch.as_strided_scatter(x, s, (), (), 4), (6,), ()),
]


@pytest.mark.parametrize("name, ours, theirs, shape, src_shape", SCATTERS,
                         ids=[case[0] for case in SCATTERS])
def test_scatters_as_torchs(name, ours, theirs, shape, src_shape):
    compared = (() if name.endswith("transposed") else (1,)) if name.startswith(
        "as_strided") else None
    _same_gradients(ours, theirs, RNG.standard_normal(shape), RNG.standard_normal(src_shape),
                    compared=compared)
    x, s = (tg.Tensor(RNG.standard_normal(n), requires_grad=True) for n in (shape, src_shape))
    assert tg.gradcheck(ours, [x, s]) and tg.gradgradcheck(ours, [x, s])


def test_scatters_keep_the_dtype_of_input():
    x32 = tg.zeros(2, 3, dtype=tg.float32)
    assert select_scatter(x32, tg.ones(3), 0, 0).dtype == np.float32
    _same(select_scatter(x32, tg.ones(3), 0, 0), torch.select_scatter(
        torch.zeros(2, 3), torch.ones(3, dtype=torch.float64), 0, 0))
    _same(slice_scatter(tg.zeros(0, 3), tg.zeros(0, 1), 1, 2), torch.slice_scatter(
        torch.zeros(0, 3, dtype=torch.float64), torch.zeros(0, 1, dtype=torch.float64), 1, 2))


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_as_torchs(accumulate):
    index = [[-1, 0], [4, 5]]
    _same_gradients(lambda x, s: put(x, tg.as_tensor(index), s, accumulate),
                    lambda x, s: torch.put(x, torch.tensor(index), s, accumulate),
                    A[:2, :4], RNG.standard_normal((2, 2)))
    _same_gradients(lambda x, s: x.put(tg.as_tensor([0]), s, accumulate=accumulate),
                    lambda x, s: x.put(torch.tensor([0]), s, accumulate=accumulate),
                    np.array(2.0), np.array([3.0]))
    repeated = [1, 1, 2]
    ours = tg.Tensor(A).put_(tg.as_tensor(repeated), tg.Tensor([1.0, 2.0, 3.0]), True)
    theirs = torch.tensor(A).put_(torch.tensor(repeated),
                                  torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), True)
    _same(ours, theirs)


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")  # (torch's)
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_as_torchs(reduce, include_self):
    index = [0, 2, 0, 1]
    source = RNG.standard_normal((2, 4, 4))
    _same_gradients(
        lambda x, s: index_reduce(x, 1, tg.as_tensor(index), s, reduce,
                                  include_self=include_self),
        lambda x, s: torch.index_reduce(x, 1, torch.tensor(index), s, reduce,
                                        include_self=include_self), CUBE, source)
    _same_gradients(
        lambda x, s: x.index_reduce(-1, tg.as_tensor([1]), s, reduce, include_self=include_self),
        lambda x, s: x.index_reduce(-1, torch.tensor([1]), s, reduce, include_self=include_self),
        A, RNG.standard_normal((3, 1)))
    x, s = tg.Tensor(A, requires_grad=True), tg.Tensor(source[0], requires_grad=True)
    function = (lambda a, b: a.index_reduce(0, tg.as_tensor([2, 0, 2, 2]), b, reduce,
                                            include_self=include_self))
    assert tg.gradcheck(function, [x, s]) and tg.gradgradcheck(function, [x, s])
    ours, theirs = tg.Tensor(CUBE), torch.tensor(CUBE)
    assert ours.index_reduce_(1, tg.as_tensor(index), tg.Tensor(source), reduce,
                              include_self=include_self) is ours
    theirs.index_reduce_(1, torch.tensor(index), torch.tensor(source), reduce,
                         include_self=include_self)
    _same(ours, theirs)


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
def test_index_reduce_of_a_0d_tensor_as_torchs():
    _same_gradients(lambda x, s: index_reduce(x, 0, tg.as_tensor([0]), s, "prod"),
                    lambda x, s: torch.index_reduce(x, 0, torch.tensor([0]), s, "prod"),
                    np.array(2.0), np.array(3.0))


# -- facts and casts ------------------------------------------------------------------------
def test_facts_as_torchs():
    x, tx = tg.Tensor(A), torch.tensor(A)
    for name in ("is_cpu", "is_meta", "is_nested", "is_quantized", "is_sparse", "output_nr"):
        assert getattr(x, name) == getattr(tx, name), name
    for name in ("is_pinned", "is_shared", "get_device"):
        assert getattr(x, name)() == getattr(tx, name)(), name
    assert x.const_data_ptr() == x.data_ptr()
    assert x.layout == tg.tensor_methods_more.strided and repr(x.layout).endswith("strided")
    assert (x * 2).output_nr == 0


@pytest.mark.parametrize("make", [
    lambda a: a, lambda a: a.transpose(0, 1), lambda a: a.permute(2, 0, 1),
    lambda a: a[:, ::2], lambda a: a[:1].transpose(0, 1), lambda a: a[0],
    lambda a: a[0, 0, 0], lambda a: a.permute(1, 2, 0)[:, 1:]])
def test_dim_order_as_torchs(make):
    ours = make(tg.Tensor(CUBE))
    theirs = make(torch.tensor(CUBE))
    if ours.shape != tuple(theirs.shape):  # (tg's permute is NumPy's transpose)
        pytest.skip("no such view here")
    assert ours.dim_order() == theirs.dim_order()


@pytest.mark.parametrize("name, dtype", [("byte", np.uint8), ("char", np.int8),
                                         ("short", np.int16)])
def test_casts_as_torchs(name, dtype):
    values = np.array([-3.7, 0.2, 5.9, 100.0])
    got = getattr(tg.Tensor(values), name)()
    assert got.dtype == dtype
    expected = getattr(torch.tensor(values), name)()
    if name != "byte":  # (a negative float to uint8 is undefined in C: both differ)
        _same(got, expected)
    x = tg.Tensor(values, requires_grad=True)
    getattr(x, name)()  # (the op to: an integer result needs no gradient)


def test_new_as_torchs():
    x, tx = tg.zeros(2, dtype=tg.int32), torch.zeros(2, dtype=torch.int32)
    _same(x.new([1, 2]), tx.new([1, 2]))
    _same(x.new((4, 5)), tx.new((4, 5)))  # (a tuple is data, as torch's)
    assert x.new(2, 3).shape == tuple(tx.new(2, 3).shape) and x.new(2, 3).dtype == np.int32
    assert x.new().shape == tuple(tx.new().shape) == (0,)
    assert tg.Tensor(A).new(tg.Tensor([1.0, 2.0])).dtype == np.float64
    assert not tg.Tensor(A, requires_grad=True).new(3).requires_grad


# -- in place: Python functions, draws, sizes -----------------------------------------------
def test_python_functions_in_place_as_torchs():
    x, tx = tg.Tensor(A), torch.tensor(A)
    assert x.apply_(lambda v: v * 3 if v > 0 else -v) is x
    tx.apply_(lambda v: v * 3 if v > 0 else -v)
    _same(x, tx)
    assert x.map_(tg.Tensor(A[0]), lambda a, b: a - b) is x
    tx.map_(torch.tensor(A[0]), lambda a, b: a - b)
    _same(x, tx)
    assert x.map2_(tg.Tensor(A), tg.Tensor(2.0), lambda a, b, c: a * b + c) is x
    tx.map2_(torch.tensor(A), torch.tensor(2.0, dtype=torch.float64), lambda a, b, c: a * b + c)
    _same(x, tx)
    ints, tints = tg.as_tensor([1, 5, -7]), torch.tensor([1, 5, -7])
    ints.apply_(lambda v: v / 2)
    tints.apply_(lambda v: v / 2)
    _same(ints, tints)
    empty = tg.zeros(0, 3)
    assert empty.apply_(lambda v: 1 / 0).shape == (0, 3)


@pytest.mark.parametrize("name, args, mean", [
    ("cauchy_", (1.5, 0.5), None), ("log_normal_", (0.5, 0.25), np.exp(0.5 + 0.25 ** 2 / 2)),
    ("geometric_", (0.25,), 4.0)])
def test_random_fills_follow_their_laws(name, args, mean):
    draws = getattr(tg.zeros(20000), name)(*args, generator=np.random.default_rng(0))
    values = draws.numpy()
    if name == "cauchy_":  # (no mean: the median and quartiles, median +- sigma)
        np.testing.assert_allclose(np.percentile(values, [25, 50, 75]), [1.0, 1.5, 2.0],
                                   atol=0.05)
    else:
        assert abs(values.mean() - mean) < 0.05 * mean
    if name == "geometric_":
        assert values.min() >= 1 and np.all(values == np.round(values))
        ints = tg.zeros(5, dtype=tg.int64).geometric_(0.5)
        assert ints.dtype == np.int64 and ints.numpy().min() >= 1
    single = getattr(tg.zeros(3, dtype=tg.float32), name)(*args)
    assert single.dtype == np.float32
    tg.manual_seed(3)
    first = getattr(tg.zeros(4), name)(*args).numpy()
    tg.manual_seed(3)
    assert np.array_equal(getattr(tg.zeros(4), name)(*args).numpy(), first)


def test_resize_as_torchs():
    for shape in ((2, 2), (3, 3), (6,), (0,), ()):
        ours, theirs = tg.arange(6.0), torch.arange(6.0, dtype=torch.float64)
        assert ours.resize_(*shape) is ours
        theirs.resize_(shape)
        kept = min(6, int(np.prod(shape)))
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy().reshape(-1)[:kept],
                                      theirs.numpy().reshape(-1)[:kept])
    x = tg.arange(4.0)
    assert x.resize_((2, 2)).shape == (2, 2)
    assert x.resize_as_(tg.zeros(1, 3)).shape == (1, 3)
    assert tg.tensor_methods_more.resize_as_(x, tg.zeros(4)).shape == (4,)
    assert x.numpy().tolist() == [0.0, 1.0, 2.0, 0.0]


def test_a_graph_that_used_a_resized_tensor_keeps_the_values_it_saw():
    x = tg.arange(3.0)
    w = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * x).sum()
    x.resize_(2)
    y.backward()
    assert w.grad.numpy().tolist() == [0.0, 1.0, 2.0] and x.numpy().tolist() == [0.0, 1.0]


# -- refusals: one line, naming the method --------------------------------------------------
ERRORS = [
    (lambda: tg.zeros(2).cuda(), RuntimeError, "cuda: there is no GPU here"),
    (lambda: tg.zeros(2).bfloat16(), TypeError, "bfloat16: NumPy has no bfloat16"),
    (lambda: tg.zeros(2).imag, RuntimeError, "imag: the values are real"),
    (lambda: tg.tensor_methods_more.imag(tg.zeros(2)), RuntimeError, "imag:"),
    (lambda: tg.zeros(2).pin_memory(), RuntimeError, "pin_memory: pinned memory"),
    (lambda: tg.zeros(2).share_memory_(), RuntimeError, "share_memory_: tinygrad_gd has no"),
    (lambda: tg.zeros(2).storage(), RuntimeError, "storage: PyTorch's TypedStorage"),
    (lambda: tg.zeros(2).storage_type(), RuntimeError, "storage_type:"),
    (lambda: tg.zeros(2, 3).select_scatter(tg.ones(3), 1, 0), RuntimeError,
     "select_scatter: src has shape (3,), the selection (axis 1, index 0) has shape (2,)"),
    (lambda: select_scatter(tg.zeros(2, 3), tg.ones(3), 0, 2), IndexError,
     "select_scatter: index 2 is out of range"),
    (lambda: select_scatter(tg.zeros(()), tg.ones(()), 0, 0), IndexError,
     "select_scatter: a 0-d tensor has no axis"),
    (lambda: slice_scatter(tg.zeros(2, 3), tg.ones(2, 3), 0, step=0), RuntimeError,
     "slice_scatter: step must be positive"),
    (lambda: slice_scatter(tg.zeros(2, 3), tg.ones(2, 2), 1, 2), RuntimeError,
     "slice_scatter: src has shape (2, 2)"),
    (lambda: slice_scatter(tg.zeros(2, 3), tg.ones(2, 3), 2), np.exceptions.AxisError,
     "slice_scatter: axis 2"),
    (lambda: as_strided_scatter(tg.zeros(4), tg.ones(2), (2,), (0,)), RuntimeError,
     "more than once"),
    (lambda: as_strided_scatter(tg.zeros(4), tg.ones(2), (2,), (4,)), RuntimeError,
     "reach entry 4 of 4"),
    (lambda: as_strided_scatter(tg.zeros(4), tg.ones(2), (2,), (1, 1)), RuntimeError,
     "one stride per size"),
    (lambda: put(tg.zeros(3), tg.as_tensor([3]), tg.ones(1)), IndexError,
     "put: index 3 is out of range for a tensor of 3 entries"),
    (lambda: put(tg.zeros(3), tg.as_tensor([-4]), tg.ones(1)), IndexError, "index -4"),
    (lambda: put(tg.zeros(3), tg.Tensor([1.0]), tg.ones(1)), TypeError,
     "put: index must be an integer tensor"),
    (lambda: put(tg.zeros(3), tg.as_tensor([1, 2]), tg.ones(1)), RuntimeError,
     "put: source has 1 values and index 2"),
    (lambda: put(tg.zeros(3, dtype=tg.float32), tg.as_tensor([1]), tg.ones(1)), RuntimeError,
     "put: source has dtype float64, input float32"),
    (lambda: index_reduce(tg.zeros(3), 0, tg.as_tensor([0]), tg.ones(1), "sum"), RuntimeError,
     "index_reduce: reduce must be one of 'prod'"),
    (lambda: index_reduce(tg.zeros(3), 0, tg.as_tensor([0]), tg.ones(2), "prod"),
     RuntimeError, "index_reduce: source has shape (2,)"),
    (lambda: index_reduce(tg.zeros(3), 0, tg.as_tensor([-1]), tg.ones(1), "prod"),
     IndexError, "index_reduce: index -1 is out of range"),
    (lambda: index_reduce(tg.zeros(3), 0, tg.Tensor([0.0]), tg.ones(1), "prod"), TypeError,
     "index_reduce: index must be a 1-D integer tensor"),
    (lambda: nextafter(tg.as_tensor([1]), tg.as_tensor([2])), TypeError,
     "nextafter: input has dtype int64"),
    (lambda: nextafter(tg.zeros(3), tg.zeros(2)), Exception, "nextafter"),
    (lambda: tg.ones(2, requires_grad=True).apply_(lambda v: v), RuntimeError,
     "apply_: a Python function's values carry no gradient"),
    (lambda: tg.ones(2).apply_(3), TypeError, "apply_: expected a function"),
    (lambda: tg.ones(2).apply_(lambda v: "x"), TypeError, "apply_: the function must return"),
    (lambda: tg.ones(2).map_(tg.ones(3), lambda a, b: a), RuntimeError,
     "map_: a tensor of shape (3,) does not broadcast"),
    (lambda: tg.ones(3).map_([1.0], lambda a, b: a), TypeError, "map_: expected a tensor"),
    (lambda: tg.zeros(3).cauchy_(0, 0), ValueError, "cauchy_: expects sigma > 0"),
    (lambda: tg.zeros(3, dtype=tg.int64).cauchy_(), TypeError, "cauchy_: draws floats"),
    (lambda: tg.zeros(3).log_normal_(0, -1), ValueError, "log_normal_: expects std > 0"),
    (lambda: tg.zeros(3).geometric_(1), ValueError, "geometric_: expects p in (0, 1)"),
    (lambda: tg.zeros(3).geometric_("a"), TypeError, "geometric_: p must be a number"),
    (lambda: tg.zeros(3, requires_grad=True).cauchy_(), RuntimeError, "cauchy_: writing into"),
    (lambda: tg.zeros(3, requires_grad=True).resize_(2), RuntimeError,
     "resize_: cannot resize a tensor that requires a gradient"),
    (lambda: tg.zeros(3).resize_(-1), ValueError, "resize_: sizes must be >= 0"),
    (lambda: tg.zeros(3).resize_as_([1]), TypeError, "resize_as_: the_template must be"),
    (lambda: tg.zeros(3).new(2, [1]), TypeError, "new: expected sizes"),
    (lambda: tg.zeros(3).narrow_copy(0, 1, 5), Exception, "narrow"),
]


@pytest.mark.parametrize("call, error, text", ERRORS, ids=[e[2][:30] for e in ERRORS])
def test_errors_are_one_line(call, error, text):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert text in message and "\n" not in message

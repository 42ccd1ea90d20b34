"""Every registered op: forward equals NumPy's and gradcheck passes, over hypothesis-drawn shapes.

`OP_SPECS` holds, per op name, a drawer that returns (fn, input arrays, NumPy reference).
`test_every_registered_op_has_a_spec` makes the suite fail when a new op has no check.
Inputs come from the public strategies of `tinygrad_gd.testing`, kept away from kinks
(relu and abs at 0, ties of max/min, clip bounds).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_gd as tg
from tinygrad_gd import ops as ops_module
from tinygrad_gd import testing

SMALL = dict(min_dims=0, max_dims=3, min_side=1, max_side=3)
ANY = dict(avoid=())  # no kink to keep away from


def arrays(data, strategy) -> list[np.ndarray]:
    """Draw Tensors from a tinygrad_gd.testing strategy; the checks below want their arrays."""
    drawn = data.draw(strategy)
    return [t.data for t in (drawn if isinstance(drawn, tuple) else (drawn,))]


def binary(fn, reference, **options):
    def draw(data):
        return fn, arrays(data, testing.broadcastable_tensors(2, **options)), reference
    return draw


def unary(fn, reference, **options):
    def draw(data):
        return fn, arrays(data, testing.tensors(**options)), reference
    return draw


def reduction(method: str, reference, unique: bool = False):
    def draw(data):
        shape = data.draw(hnp.array_shapes(**SMALL))
        axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)
                         if shape else st.none()) if data.draw(st.booleans()) else \
            data.draw(hnp.valid_tuple_axes(len(shape)))
        keepdims = data.draw(st.booleans())
        # distinct values: no ties, where max/min are not differentiable
        (x,) = arrays(data, testing.tensors(shape, distinct=unique, **ANY))
        return (lambda t: getattr(t, method)(axis=axis, keepdims=keepdims), [x],
                lambda a: reference(a, axis=axis, keepdims=keepdims))
    return draw


def matmul(data):
    return (lambda x, y: x @ y, arrays(data, testing.matmul_operands()), np.matmul)


def dot(data):
    k = data.draw(st.integers(1, 3))
    shapes = data.draw(st.sampled_from([((k,), (k,)), ((2, k), (k,)), ((k,), (k, 2)),
                                        ((2, k), (k, 3))]))
    operands = arrays(data, st.tuples(*[testing.tensors(s, **ANY) for s in shapes]))
    return (lambda x, y: x.dot(y), operands, np.dot)


def flatten(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=3))
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    end = data.draw(st.integers(start % len(shape), len(shape) - 1))
    merged = shape[:start % len(shape)] + (-1,) + shape[end + 1:]
    return (lambda t: t.flatten(start, end), arrays(data, testing.tensors(shape, **ANY)),
            lambda a: a.reshape(merged))


def softmax_like(method: str, reference):
    def draw(data):
        shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
        axis = data.draw(st.integers(-len(shape), len(shape) - 1))
        x = arrays(data, testing.tensors(shape, min_value=-5, max_value=5, **ANY))
        return (lambda t: getattr(t, method)(axis=axis), x, lambda a: reference(a, axis))
    return draw


def np_softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(a, axis):
    return np.log(np_softmax(a, axis))


def reshape(data):
    shape = data.draw(hnp.array_shapes(**SMALL))
    size = int(np.prod(shape))
    target = data.draw(st.sampled_from([(-1,), (size,), (1, size), (size, 1), shape[::-1]]))
    return (lambda t: t.reshape(target), arrays(data, testing.tensors(shape, **ANY)),
            lambda a: a.reshape(target))


def transpose(data):
    shape = data.draw(hnp.array_shapes(**SMALL))
    axes = data.draw(st.none() | st.permutations(range(len(shape))).map(tuple))
    return (lambda t: t.transpose(axes) if axes else t.T,
            arrays(data, testing.tensors(shape, **ANY)), lambda a: np.transpose(a, axes))


def broadcast_to(data):
    target = data.draw(hnp.array_shapes(**SMALL))
    # the input: a suffix of the target's axes, each kept or set to 1
    kept = target[data.draw(st.integers(0, len(target))):]
    shape = tuple(n if data.draw(st.booleans()) else 1 for n in kept)
    return (lambda t: t.broadcast_to(target), arrays(data, testing.tensors(shape, **ANY)),
            lambda a: np.broadcast_to(a, target))


def getitem(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    index = data.draw(hnp.basic_indices(shape, allow_ellipsis=True)
                      | hnp.integer_array_indices(shape))  # arrays may repeat an index
    return (lambda t: t[index], arrays(data, testing.tensors(shape, **ANY)), lambda a: a[index])


def concatenate(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    count = data.draw(st.integers(1, 3))
    parts = []
    for _ in range(count):
        part = list(shape)
        part[axis] = data.draw(st.integers(1, 3))
        parts += arrays(data, testing.tensors(tuple(part), **ANY))
    return (lambda *ts: tg.concatenate(ts, axis=axis), parts,
            lambda *a: np.concatenate(a, axis=axis))


def stack(data):
    shape = data.draw(hnp.array_shapes(**SMALL))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    count = data.draw(st.integers(1, 3))
    parts = arrays(data, st.tuples(*[testing.tensors(shape, **ANY)] * count))
    return (lambda *ts: tg.stack(ts, axis=axis), parts, lambda *a: np.stack(a, axis=axis))


def where(data):
    c, x, y = arrays(data, testing.broadcastable_tensors(3))
    condition = c > 0  # random booleans, of a third shape that broadcasts with x's and y's
    return (lambda x, y: tg.where(condition, x, y), [x, y],
            lambda x, y: np.where(condition, x, y))


def clip(data):
    low, high = data.draw(st.sampled_from([(-0.5, 0.5), (None, 0.5), (-0.5, None)]))
    x = arrays(data, testing.tensors(avoid=(-0.5, 0.5), margin=0.05))  # clear of the bounds
    return (lambda t: t.clip(low, high), x, lambda a: np.clip(a, low, high))


def power(data):
    base, exponent = arrays(data, testing.broadcastable_tensors(2, min_value=0.2, max_value=2,
                                                                **ANY))
    # the exponent spans [-1.6, 2]: negative and fractional powers of a positive base
    return (lambda x, y: x ** y, [base, 2 * exponent - 2], np.power)


def np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def linear(data):
    batch = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    n_in, n_out = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    shapes = [batch + (n_in,), (n_out, n_in)]
    if data.draw(st.booleans()):
        shapes.append((n_out,))
    operands = arrays(data, st.tuples(*[testing.tensors(s, **ANY) for s in shapes]))
    if len(shapes) == 3:
        return (tg.nn.functional.linear, operands, lambda x, w, b: np.matmul(x, w.T) + b)
    return (tg.nn.functional.linear, operands, lambda x, w: np.matmul(x, w.T))


def cross_entropy(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    target = data.draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(0, shape[-1] - 1)))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction]

    def reference(a):
        log_p = np_log_softmax(a, -1)
        picked = log_p[int(target)] if a.ndim == 1 else log_p[np.arange(len(target)), target]
        return reduce(-picked)

    return (lambda t: tg.nn.functional.cross_entropy(t, target, reduction),
            arrays(data, testing.tensors(shape, min_value=-5, max_value=5, **ANY)), reference)


OP_SPECS = {
    "add": binary(lambda x, y: x + y, np.add, **ANY),
    "sub": binary(lambda x, y: x - y, np.subtract, **ANY),
    "mul": binary(lambda x, y: x * y, np.multiply, **ANY),
    "div": binary(lambda x, y: x / y, np.divide, margin=0.5),  # denominators |y| >= 0.5
    "pow": power,
    "maximum": binary(tg.maximum, np.maximum, distinct=True),  # no ties between x and y
    "minimum": binary(tg.minimum, np.minimum, distinct=True),
    "where": where,
    "neg": unary(lambda t: -t, np.negative, **ANY),
    "exp": unary(tg.exp, np.exp, **ANY),
    "log": unary(tg.log, np.log, min_value=0.1, max_value=3, **ANY),
    "sqrt": unary(tg.sqrt, np.sqrt, min_value=0.1, max_value=3, **ANY),
    "abs": unary(tg.abs, np.abs),  # the default strategy keeps 0.1 away from the kink at 0
    "clip": clip,
    "tanh": unary(tg.tanh, np.tanh, **ANY),
    "sigmoid": unary(tg.sigmoid, np_sigmoid, min_value=-6, max_value=6, **ANY),
    "relu": unary(tg.relu, lambda a: np.maximum(a, 0)),
    "leaky_relu": unary(lambda t: t.leaky_relu(0.1), lambda a: np.where(a > 0, a, 0.1 * a)),
    "softmax": softmax_like("softmax", np_softmax),
    "log_softmax": softmax_like("log_softmax", np_log_softmax),
    "matmul": matmul,
    "sum": reduction("sum", np.sum),
    "mean": reduction("mean", np.mean),
    "max": reduction("max", np.max, unique=True),
    "min": reduction("min", np.min, unique=True),
    "reshape": reshape,
    "flatten": flatten,
    "dot": dot,
    "transpose": transpose,
    "broadcast_to": broadcast_to,
    "getitem": getitem,
    "concatenate": concatenate,
    "stack": stack,
    "linear": linear,
    "cross_entropy": cross_entropy,
}


def library_ops() -> set[str]:
    return {name for name, op in tg.registered_ops().items()
            if op.__module__.startswith("tinygrad_gd.")}


def test_every_registered_op_has_a_spec():
    missing = library_ops() - set(OP_SPECS)
    assert not missing, f"ops registered without a gradient check in OP_SPECS: {sorted(missing)}"
    stale = set(OP_SPECS) - library_ops()
    assert not stale, f"OP_SPECS names ops that are not registered: {sorted(stale)}"


def test_builtin_ops_live_in_ops_module():
    assert {op.__module__.rsplit(".", 1)[0] for name, op in tg.registered_ops().items()
            if name in OP_SPECS} == {ops_module.__name__}


@pytest.mark.parametrize("name", sorted(OP_SPECS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_op_forward_and_gradcheck(name, data):
    fn, arrays, reference = OP_SPECS[name](data)
    inputs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    assert out.grad_fn is not None and out.grad_fn.name == name  # the op under test recorded it
    expected = reference(*arrays)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)
    assert tg.gradcheck(fn, inputs)


@pytest.mark.parametrize("name", sorted(OP_SPECS))
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_op_keeps_float32(name, data):
    fn, arrays, reference = OP_SPECS[name](data)
    inputs = [tg.Tensor(a, requires_grad=True, dtype=np.float32) for a in arrays]
    out = fn(*inputs)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, reference(*[a.astype(np.float32) for a in arrays]),
                               rtol=1e-5, atol=1e-6)
    out.backward(np.ones(out.shape, dtype=np.float32))
    for t in inputs:
        assert t.grad is not None and t.grad.dtype == np.float32 and t.grad.shape == t.shape


# ------------------------------------------------------------------ special-cased backward rules
# Some ops take a shorter road for common cases (x ** 2, a dot product of vectors, 2-D
# products in each operand's memory order, an input that needs no gradient). Each road
# is checked here on its own, against finite differences.

def _fortran(a: np.ndarray) -> np.ndarray:
    return np.asfortranarray(a)


RNG = np.random.default_rng(7)
SPECIAL_CASES = {
    "x ** 2": (lambda x: x ** 2, [RNG.normal(size=(2, 3))]),
    "x ** 2.0 (0-d exponent tensor, learned)": (
        lambda x, y: x ** y, [RNG.uniform(0.5, 2, size=(3,)), np.array(2.0)]),
    "x ** 3": (lambda x: x ** 3, [RNG.normal(size=(3,))]),
    "x ** [2, 3] (exponent array)": (lambda x: x ** np.array([2.0, 3.0]), [RNG.normal(size=(2,))]),
    "vector @ vector": (lambda x, y: x @ y, [RNG.normal(size=3), RNG.normal(size=3)]),
    "vector @ matrix": (lambda x, y: x @ y, [RNG.normal(size=3), RNG.normal(size=(3, 2))]),
    "matrix @ vector": (lambda x, y: x @ y, [RNG.normal(size=(2, 3)), RNG.normal(size=3)]),
    "matrix @ matrix.T (nn.Linear)": (lambda x, w: x @ w.T, [RNG.normal(size=(4, 3)),
                                                            RNG.normal(size=(2, 3))]),
    "matrix.T @ matrix": (lambda x, y: x.T @ y, [RNG.normal(size=(3, 4)), RNG.normal(size=(3, 2))]),
    # (also gradcheck's own finite differences on an input that is not C-ordered: they
    # once perturbed a copy of it and reported zeros)
    "Fortran-ordered operands": (lambda x, y: x @ y, [_fortran(RNG.normal(size=(4, 3))),
                                                      _fortran(RNG.normal(size=(3, 2)))]),
    # nn.Linear keeps its weight Fortran-ordered; the weight's gradient follows its layout
    "linear, C-ordered weight": (lambda x, w, b: tg.nn.functional.linear(x, w, b), [
        RNG.normal(size=(4, 3)), RNG.normal(size=(2, 3)), RNG.normal(size=2)]),
    "linear, Fortran-ordered weight": (lambda x, w, b: tg.nn.functional.linear(x, w, b), [
        RNG.normal(size=(4, 3)), _fortran(RNG.normal(size=(2, 3))), RNG.normal(size=2)]),
}


@pytest.mark.parametrize("order", ["C", "F"])
def test_linear_weight_gradient_in_any_memory_order(order):
    x = tg.Tensor(RNG.normal(size=(5, 4)))
    w = tg.Tensor(np.asarray(RNG.normal(size=(3, 4)), order=order), requires_grad=True)
    tg.nn.functional.linear(x, w).sum().backward()
    np.testing.assert_allclose(w.grad.data, np.ones((5, 3)).T @ x.data)  # g.T @ x


@pytest.mark.parametrize("case", sorted(SPECIAL_CASES))
def test_special_cased_backward_rules(case):
    fn, arrays = SPECIAL_CASES[case]
    inputs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    assert tg.gradcheck(fn, inputs)


@pytest.mark.parametrize("name, fn", [
    ("add", lambda x, y: x + y), ("sub", lambda x, y: x - y), ("mul", lambda x, y: x * y),
    ("div", lambda x, y: x / y), ("pow", lambda x, y: x ** y), ("matmul", lambda x, y: x @ y),
])
@pytest.mark.parametrize("learned", [0, 1])
def test_a_binary_op_with_one_constant_input(name, fn, learned):
    arrays = [RNG.uniform(0.5, 2, size=(3, 3)), RNG.uniform(0.5, 2, size=(3, 3))]
    inputs = [tg.Tensor(a, requires_grad=(i == learned)) for i, a in enumerate(arrays)]
    out = fn(*inputs)
    assert out.grad_fn.name == name
    assert tg.gradcheck(fn, inputs)
    out.sum().backward()
    assert inputs[1 - learned].grad is None and inputs[learned].grad is not None


# ------------------------------------------------------------------ independent gradients
# What a user sees: editing one leaf's .grad in place (the book zeroes a weight_delta)
# changes nothing else, neither another .grad nor any tensor's values.


@pytest.mark.parametrize("name", sorted(OP_SPECS))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_editing_one_gradient_changes_nothing_else(name, data):
    fn, arrays, _ = OP_SPECS[name](data)
    inputs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    out.backward(np.ones(out.shape))
    with_grad = [t for t in inputs if t.grad is not None and t.grad.size]
    for edited in with_grad:
        others = [t.data.copy() for t in inputs] + [t.grad.data.copy() for t in with_grad
                                                     if t is not edited]
        edited.grad.data[...] += 1.0
        now = [t.data for t in inputs] + [t.grad.data for t in with_grad if t is not edited]
        for before, after in zip(others, now):
            np.testing.assert_array_equal(before, after, err_msg=f"{name}: .grad shared")


def test_leaves_never_share_a_gradient_array():
    a, b = tg.Tensor([1.0, 2.0], requires_grad=True), tg.Tensor([3.0, 4.0], requires_grad=True)
    c = tg.Tensor([5.0, 6.0], requires_grad=True)
    ((a + b) * c + a * 2.0).sum().backward()  # add hands one array to both inputs
    arrays = [a.grad.data, b.grad.data, c.grad.data]
    for i in range(3):
        for j in range(i):
            assert not np.shares_memory(arrays[i], arrays[j])
    np.testing.assert_array_equal(a.grad.data, [7.0, 8.0])  # c + 2, summed in place
    a.grad.data[0] = 0.0  # the book zeroes one weight_delta: nothing else moves
    np.testing.assert_array_equal(b.grad.data, [5.0, 6.0])

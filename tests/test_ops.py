"""Every registered op: forward equals NumPy's and gradcheck passes, over hypothesis-drawn shapes.

`OP_SPECS` holds, per op name, a drawer that returns (fn, input arrays, NumPy reference).
`test_every_registered_op_has_a_spec` makes the suite fail when a new op has no check.
Inputs are kept away from kinks (relu and abs at 0, ties of max/min, clip bounds).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_gd as tg
from tinygrad_gd import ops as ops_module

SMALL = dict(min_dims=0, max_dims=3, min_side=1, max_side=3)


def floats(lo: float = -2.0, hi: float = 2.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float = 0.1, hi: float = 2.0):
    """Values with lo <= |v| <= hi: clear of the kink of relu/abs at 0."""
    return st.tuples(st.floats(lo, hi), st.booleans()).map(lambda p: p[0] if p[1] else -p[0])


def grid(offset: float):
    """Values k + offset on a grid of step 1: x from grid(.25) and y from grid(.75) never tie."""
    return st.integers(-3, 3).map(lambda k: k + offset)


def array(data, shape, elements=None, **kwargs) -> np.ndarray:
    return data.draw(hnp.arrays(np.float64, shape, elements=floats() if elements is None else elements, **kwargs))


def two_shapes(data, num_shapes: int = 2):
    return data.draw(hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, max_dims=3,
                                                       max_side=3)).input_shapes


def binary(fn, reference, x_elements=None, y_elements=None):
    def draw(data):
        sx, sy = two_shapes(data)
        return fn, [array(data, sx, x_elements), array(data, sy, y_elements)], reference
    return draw


def unary(fn, reference, elements=None):
    def draw(data):
        return fn, [array(data, data.draw(hnp.array_shapes(**SMALL)), elements)], reference
    return draw


def reduction(method: str, reference, unique: bool = False):
    def draw(data):
        shape = data.draw(hnp.array_shapes(**SMALL))
        axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)
                         if shape else st.none()) if data.draw(st.booleans()) else \
            data.draw(hnp.valid_tuple_axes(len(shape)))
        keepdims = data.draw(st.booleans())
        # distinct values 0.01 apart: no ties, where max/min are not differentiable
        elements = st.integers(-300, 300).map(lambda k: k / 100) if unique else None
        x = array(data, shape, elements, unique=unique)
        return (lambda t: getattr(t, method)(axis=axis, keepdims=keepdims), [x],
                lambda a: reference(a, axis=axis, keepdims=keepdims))
    return draw


def matmul(data):
    kind = data.draw(st.sampled_from(["1@1", "1@2", "2@1", "2@2", "batched", "1@3", "3@1"]))
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    batch_x, batch_y = two_shapes(data)
    shapes = {"1@1": ((k,), (k,)), "1@2": ((k,), (k, m)), "2@1": ((n, k), (k,)),
              "2@2": ((n, k), (k, m)), "batched": (batch_x + (n, k), batch_y + (k, m)),
              "1@3": ((k,), (2, k, m)), "3@1": ((2, n, k), (k,))}[kind]
    return (lambda x, y: x @ y, [array(data, shapes[0]), array(data, shapes[1])], np.matmul)


def softmax_like(method: str, reference):
    def draw(data):
        shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
        axis = data.draw(st.integers(-len(shape), len(shape) - 1))
        x = array(data, shape, floats(-5, 5))
        return (lambda t: getattr(t, method)(axis=axis), [x], lambda a: reference(a, axis))
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
    return (lambda t: t.reshape(target), [array(data, shape)], lambda a: a.reshape(target))


def transpose(data):
    shape = data.draw(hnp.array_shapes(**SMALL))
    axes = data.draw(st.none() | st.permutations(range(len(shape))).map(tuple))
    return (lambda t: t.transpose(axes) if axes else t.T, [array(data, shape)],
            lambda a: np.transpose(a, axes))


def broadcast_to(data):
    target = data.draw(hnp.array_shapes(**SMALL))
    # the input: a suffix of the target's axes, each kept or set to 1
    kept = target[data.draw(st.integers(0, len(target))):]
    shape = tuple(n if data.draw(st.booleans()) else 1 for n in kept)
    return (lambda t: t.broadcast_to(target), [array(data, shape)],
            lambda a: np.broadcast_to(a, target))


def getitem(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    index = data.draw(hnp.basic_indices(shape, allow_ellipsis=True)
                      | hnp.integer_array_indices(shape))  # arrays may repeat an index
    return (lambda t: t[index], [array(data, shape)], lambda a: a[index])


def concatenate(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    count = data.draw(st.integers(1, 3))
    arrays = []
    for _ in range(count):
        part = list(shape)
        part[axis] = data.draw(st.integers(1, 3))
        arrays.append(array(data, tuple(part)))
    return (lambda *ts: tg.concatenate(ts, axis=axis), arrays,
            lambda *a: np.concatenate(a, axis=axis))


def stack(data):
    shape = data.draw(hnp.array_shapes(**SMALL))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [array(data, shape) for _ in range(data.draw(st.integers(1, 3)))]
    return (lambda *ts: tg.stack(ts, axis=axis), arrays, lambda *a: np.stack(a, axis=axis))


def where(data):
    sc, sx, sy = two_shapes(data, 3)
    condition = data.draw(hnp.arrays(bool, sc))
    return (lambda x, y: tg.where(condition, x, y), [array(data, sx), array(data, sy)],
            lambda x, y: np.where(condition, x, y))


def clip(data):
    low, high = data.draw(st.sampled_from([(-0.5, 0.5), (None, 0.5), (-0.5, None)]))
    x = array(data, data.draw(hnp.array_shapes(**SMALL)),
              floats().filter(lambda v: abs(abs(v) - 0.5) > 0.05))  # clear of the bounds
    return (lambda t: t.clip(low, high), [x], lambda a: np.clip(a, low, high))


def power(data):
    sx, sy = two_shapes(data)
    return (lambda x, y: x ** y, [array(data, sx, floats(0.2, 2)), array(data, sy)], np.power)


def np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


OP_SPECS = {
    "add": binary(lambda x, y: x + y, np.add),
    "sub": binary(lambda x, y: x - y, np.subtract),
    "mul": binary(lambda x, y: x * y, np.multiply),
    "div": binary(lambda x, y: x / y, np.divide, y_elements=away_from_zero(0.5, 2)),
    "pow": power,
    "maximum": binary(tg.maximum, np.maximum, grid(0.25), grid(0.75)),
    "minimum": binary(tg.minimum, np.minimum, grid(0.25), grid(0.75)),
    "where": where,
    "neg": unary(lambda t: -t, np.negative),
    "exp": unary(tg.exp, np.exp),
    "log": unary(tg.log, np.log, floats(0.1, 3)),
    "sqrt": unary(tg.sqrt, np.sqrt, floats(0.1, 3)),
    "abs": unary(tg.abs, np.abs, away_from_zero()),
    "clip": clip,
    "tanh": unary(tg.tanh, np.tanh),
    "sigmoid": unary(tg.sigmoid, np_sigmoid, floats(-6, 6)),
    "relu": unary(tg.relu, lambda a: np.maximum(a, 0), away_from_zero()),
    "leaky_relu": unary(lambda t: t.leaky_relu(0.1), lambda a: np.where(a > 0, a, 0.1 * a),
                        away_from_zero()),
    "softmax": softmax_like("softmax", np_softmax),
    "log_softmax": softmax_like("log_softmax", np_log_softmax),
    "matmul": matmul,
    "sum": reduction("sum", np.sum),
    "mean": reduction("mean", np.mean),
    "max": reduction("max", np.max, unique=True),
    "min": reduction("min", np.min, unique=True),
    "reshape": reshape,
    "transpose": transpose,
    "broadcast_to": broadcast_to,
    "getitem": getitem,
    "concatenate": concatenate,
    "stack": stack,
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
    assert {op.__module__ for name, op in tg.registered_ops().items()
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

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
from test_linalg_more import decomposition_spec  # (qr, eigh, svd, pinv, solve_triangular)
from test_linalg_lu import lu_spec, matrix_exp_spec  # (lu, matrix_exp)
from test_special import special_spec  # (erf, lgamma, digamma, polygamma, zeta, i0e, ...)
from test_bessel import bessel_spec  # (bessel_j0, ..., scaled_modified_bessel_k1, airy_ai)
from test_special_polynomials import incomplete_gamma_spec  # (igamma, igammac)

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


def reduction(method: str, reference, unique: bool = False, **options):
    def draw(data):
        shape = data.draw(hnp.array_shapes(**SMALL))
        axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)
                         if shape else st.none()) if data.draw(st.booleans()) else \
            data.draw(hnp.valid_tuple_axes(len(shape)))
        keepdims = data.draw(st.booleans())
        # distinct values: no ties, where max/min are not differentiable
        (x,) = arrays(data, testing.tensors(shape, distinct=unique, **(options or ANY)))
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


def setitem(data):
    # `t[index] = value` on a tensor in the graph: recorded as the op setitem (a repeated
    # array index: the last value written stays, and only it has a gradient)
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    index = data.draw(hnp.basic_indices(shape, allow_ellipsis=True)
                      | hnp.integer_array_indices(shape))
    region = np.empty(shape)[index].shape
    value_shape = data.draw(hnp.broadcastable_shapes(region, max_dims=len(region), min_side=0))
    if np.broadcast_shapes(value_shape, region) != region:  # the value must broadcast *to* it
        value_shape = region

    def written(x, value):
        out = x * 1  # (a tensor made by an op: the write is recorded)
        out[index] = value
        return out

    def reference(x, value):
        out = np.array(x)
        out[index] = value
        return out
    return (written, arrays(data, st.tuples(testing.tensors(shape, **ANY),
                                            testing.tensors(value_shape, **ANY))), reference)


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

    return (lambda t: tg.nn.functional.cross_entropy(t, target, reduction=reduction),
            arrays(data, testing.tensors(shape, min_value=-5, max_value=5, **ANY)), reference)


def binary_cross_entropy(data):
    """Probabilities away from 0 and 1 (where the logs are clamped), targets too (finite
    differences step outside [0, 1], which the loss refuses), of one shape (the loss
    refuses to broadcast them); at most 0.7: the elementwise check adds 0.25."""
    shape = data.draw(hnp.array_shapes(**SMALL))
    unit = testing.tensors(shape, min_value=0.1, max_value=0.7, **ANY)
    operands = arrays(data, st.tuples(unit, unit))
    return (lambda x, y: tg.nn.functional.binary_cross_entropy(x, y, reduction="none"), operands,
            lambda x, y: -(y * np.log(x) + (1 - y) * np.log1p(-x)))


STEPS = tuple(k / 2 for k in range(-4, 5))  # floor, ceil and round jump at these


def stat_reduction(method: str, reference, **keywords):
    """var/std: at least two entries reduced (std of one entry has no gradient)."""
    def draw(data):
        shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3))
        axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)
                         | hnp.valid_tuple_axes(len(shape), min_size=1))
        keepdims = data.draw(st.booleans())
        (x,) = arrays(data, testing.tensors(shape, distinct=True, **ANY))
        return (lambda t: getattr(t, method)(axis=axis, keepdims=keepdims, **keywords), [x],
                lambda a: reference(a, axis=axis, keepdims=keepdims, **keywords))
    return draw


def np_logsumexp(a, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def np_norm(a, axis=None, keepdims=False):
    return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))


def running(method: str):
    """cumsum or cumprod over a drawn axis (None: the flattened tensor)."""
    def draw(data):
        shape = data.draw(hnp.array_shapes(**SMALL))
        axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
        return (lambda t: getattr(t, method)(axis), arrays(data, testing.tensors(shape, **ANY)),
                lambda a: getattr(np, method)(a, axis))
    return draw


def shaped(method_fn, reference_fn, **shape_options):
    """An op on one tensor whose parameters depend on its shape: draw(data, shape) -> params."""
    def make(params):
        def draw(data):
            shape = data.draw(hnp.array_shapes(**{**SMALL, **shape_options}))
            p = params(data, shape)
            return (lambda t: method_fn(t, **p), arrays(data, testing.tensors(shape, **ANY)),
                    lambda a: reference_fn(a, **p))
        return draw
    return make


def an_axis(data, shape):
    return data.draw(st.integers(-len(shape), len(shape) - 1))


def a_permutation(data, shape):
    return tuple(data.draw(st.permutations(range(len(shape)))))


def two_axes(data, shape):
    return an_axis(data, shape), an_axis(data, shape)


def some_axes(data, shape):
    return data.draw(st.none() | hnp.valid_tuple_axes(len(shape)))


def pieces(data, shape):
    axis = an_axis(data, shape)
    return {"axis": axis, "size": data.draw(st.integers(1, 3)),
            "piece": data.draw(st.integers(0, 2))}


def split_piece(t_or_a, axis, size, piece, torch_split=True):
    n = t_or_a.shape[axis]
    k = min(piece, (n - 1) // size)
    if isinstance(t_or_a, np.ndarray):
        return np.split(t_or_a, range(size, n, size), axis=axis)[k]
    return t_or_a.split(size, dim=axis)[k]


def chunk_piece(t_or_a, axis, size, piece):
    n = t_or_a.shape[axis]
    step = -(-n // size)
    k = min(piece, (n - 1) // step)
    if isinstance(t_or_a, np.ndarray):
        return np.split(t_or_a, range(step, n, step), axis=axis)[k]
    return t_or_a.chunk(size, axis)[k]


def pad(data):
    shape = data.draw(hnp.array_shapes(**SMALL))
    widths = tuple((data.draw(st.integers(0, 4)), data.draw(st.integers(0, 4))) for _ in shape)
    mode = data.draw(st.sampled_from(["constant", "reflect", "replicate", "edge", "circular",
                                      "wrap"]))  # (pads past the size: reflected, wrapped again)
    value = data.draw(st.sampled_from([0.0, 1.5])) if mode == "constant" else 0.0
    numpy_mode = {"replicate": "edge", "circular": "wrap"}.get(mode, mode)
    fill = {"constant_values": value} if mode == "constant" else {}
    return (lambda t: t.pad(widths, mode, constant_values=value),
            arrays(data, testing.tensors(shape, **ANY)),
            lambda a: np.pad(a, widths or 0, numpy_mode, **fill))


def take_along(method: str):
    def draw(data):
        shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
        axis = an_axis(data, shape)
        # PyTorch's gather reads only the first rows where the index is smaller than x
        index_shape = tuple(data.draw(st.integers(1, 3)) if k == axis % len(shape) else
                            data.draw(st.integers(max(1, n - 1) if method == "gather" else n, n))
                            for k, n in enumerate(shape))
        index = data.draw(hnp.arrays(np.int64, index_shape,
                                     elements=st.integers(0, shape[axis] - 1)))
        rows = tuple(slice(None) if k == axis % len(shape) else slice(0, n)
                     for k, n in enumerate(index_shape))
        fn = (lambda t: t.gather(axis, index)) if method == "gather" else \
            (lambda t: tg.take_along_axis(t, index, axis=axis))
        return (fn, arrays(data, testing.tensors(shape, **ANY)),
                lambda a: np.take_along_axis(a[rows], index, axis))
    return draw


def masked_fill(data):
    shape = data.draw(hnp.array_shapes(**SMALL))
    mask_shape = data.draw(hnp.broadcastable_shapes(shape, max_dims=len(shape)))
    if np.broadcast_shapes(mask_shape, shape) != shape:  # the mask must broadcast *to* x
        mask_shape = shape
    mask = data.draw(hnp.arrays(bool, mask_shape))
    x, value = arrays(data, st.tuples(testing.tensors(shape, **ANY), testing.tensors((), **ANY)))
    return (lambda x, v: x.masked_fill(mask, v), [x, value], lambda a, v: np.where(mask, v, a))


def narrow(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    dim = an_axis(data, shape)
    n = shape[dim]
    start = data.draw(st.integers(-n, n))
    begin = start % n if start < 0 else start
    length = data.draw(st.integers(0, n - begin))
    cut = (slice(None),) * (dim % len(shape)) + (slice(begin, begin + length),)
    return (lambda t: t.narrow(dim, start, length), arrays(data, testing.tensors(shape, **ANY)),
            lambda a: a[cut])


def take(method: str):
    def draw(data):
        shape = data.draw(hnp.array_shapes(min_dims=1 if method == "index_select" else 0,
                                           max_dims=3, max_side=3))
        axis = an_axis(data, shape) if method == "index_select" or shape and data.draw(
            st.booleans()) else None
        n = int(np.prod(shape)) if axis is None else shape[axis]
        index_shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=1 if method ==
                                                 "index_select" else 2, min_side=0, max_side=4))
        low = 0 if method == "index_select" else -n  # (PyTorch's index_select: none negative)
        index = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(low, n - 1)))
        fn = (lambda t: t.index_select(axis, index)) if method == "index_select" else \
            (lambda t: tg.take(t, index, axis=axis))
        return (fn, arrays(data, testing.tensors(shape, **ANY)),
                lambda a: np.take(a, index, axis))
    return draw


def topk(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    dim = an_axis(data, shape)
    k = data.draw(st.integers(0, shape[dim]))
    largest = data.draw(st.booleans())

    def reference(a):
        order = np.argsort(-a if largest else a, axis=dim, kind="stable")
        return np.take_along_axis(a, np.take(order, np.arange(k), axis=dim), dim)
    return (lambda t: t.topk(k, dim, largest).values,  # distinct values: no ties to break
            arrays(data, testing.tensors(shape, distinct=True, **ANY)), reference)


def sort(data):
    shape = data.draw(hnp.array_shapes(**SMALL))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    descending = data.draw(st.booleans())
    fn = (lambda t: t.sort(dim=-1 if axis is None else axis, descending=True).values) \
        if descending and axis is not None else (lambda t: tg.sort(t, axis))
    reference = (lambda a: np.flip(np.sort(a, axis), axis)) if descending and axis is not None \
        else (lambda a: np.sort(a, axis))
    return fn, arrays(data, testing.tensors(shape, distinct=True, **ANY)), reference


def floor_divide(data):
    # a step function: x / y kept 0.1 away from the whole numbers where it jumps
    y = np.array(data.draw(st.sampled_from([0.75, -1.25, 2.0])))
    shape = data.draw(hnp.array_shapes(**SMALL))
    jumps = tuple(float(k * y) for k in range(-4, 5))
    (x,) = arrays(data, testing.tensors(shape, avoid=jumps, margin=0.1 * abs(float(y))))
    return lambda a, b: a // b, [x, y], np.floor_divide


def np_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """A convolution written as loops over the output positions and groups: the reference.
    `padding` a pair, or ((top, bottom), (left, right))."""
    sides = tuple(p if isinstance(p, tuple) else (p, p) for p in padding)
    x = np.pad(x, ((0, 0), (0, 0)) + sides)
    (kh, kw), (dh, dw) = w.shape[2:], dilation
    out_h = (x.shape[2] - dh * (kh - 1) - 1) // stride[0] + 1
    out_w = (x.shape[3] - dw * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((x.shape[0], w.shape[0], out_h, out_w))
    per_in, per_out = w.shape[1], w.shape[0] // groups
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * stride[0], j * stride[1]
            window = x[:, :, top:top + dh * (kh - 1) + 1:dh, left:left + dw * (kw - 1) + 1:dw]
            for g in range(groups):
                out[:, g * per_out:(g + 1) * per_out, i, j] = np.tensordot(
                    window[:, g * per_in:(g + 1) * per_in], w[g * per_out:(g + 1) * per_out],
                    axes=([1, 2, 3], [1, 2, 3]))
    return out if b is None else out + b[None, :, None, None]


def np_pool_count(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """PyTorch's documented output size of a pool: (size + 2 * padding - dilation * (kernel -
    1) - 1) / stride + 1, floored or ceiled; with ceil_mode, a last window starting past the
    image and its left padding is dropped."""
    reach = size + 2 * padding - dilation * (kernel - 1) - 1
    count = (-(-reach // stride) if ceil_mode else reach // stride) + 1
    return count - 1 if ceil_mode and (count - 1) * stride >= size + padding else count


def np_pool2d(x, kernel, stride, padding, reduce=np.max, fill=-np.inf, dilation=(1, 1),
              ceil_mode=False, count_include_pad=True, divisor_override=None):
    """Pooling written as loops over the output positions: the max of each window's
    entries inside the image (`fill` where none), or (reduce=np.mean) their sum over
    PyTorch's divisor: the window's extent within the image and its padding, the image's
    alone (count_include_pad=False), or divisor_override."""
    counts = [np_pool_count(n, k, s, p, d, ceil_mode) for n, k, s, p, d in
              zip(x.shape[2:], kernel, stride, padding, dilation)]
    out = np.full(x.shape[:2] + tuple(counts), fill)
    for i in range(counts[0]):
        for j in range(counts[1]):
            starts = (i * stride[0] - padding[0], j * stride[1] - padding[1])
            rows, cols = ([at for at in range(start, start + d * (k - 1) + 1, d)
                           if 0 <= at < n] for start, k, d, n in
                          zip(starts, kernel, dilation, x.shape[2:]))
            window = x[:, :, rows][:, :, :, cols]
            if reduce is np.max:
                if window.size:
                    out[:, :, i, j] = window.max(axis=(2, 3))
                continue
            extent = np.prod([min(start + k, n + p) - start for start, k, n, p in
                              zip(starts, kernel, x.shape[2:], padding)])
            divisor = divisor_override or (extent if count_include_pad else window[0, 0].size)
            out[:, :, i, j] = window.sum(axis=(2, 3)) / divisor
    return out


def conv2d(data):
    n, o = (data.draw(st.integers(1, 2)) for _ in range(2))
    groups, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    h, w = data.draw(st.integers(2, 5)), data.draw(st.integers(2, 5))
    dilation = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    # kernels whose dilated span fits the image
    kh = data.draw(st.integers(1, (h - 1) // dilation[0] + 1))
    kw = data.draw(st.integers(1, (w - 1) // dilation[1] + 1))
    stride = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    padding = data.draw(st.sampled_from([(0, 0), (0, 1), (1, 0), (1, 1), "valid", "same"]))
    if padding == "same":
        stride = (1, 1)  # (PyTorch's "same" takes no stride; the odd zero after, as its)
        sides = tuple(((d * (k - 1)) // 2, d * (k - 1) - (d * (k - 1)) // 2)
                      for d, k in zip(dilation, (kh, kw)))
    else:
        sides = (0, 0) if padding == "valid" else padding
    shapes = [(n, c * groups, h, w), (o * groups, c, kh, kw)] + \
        ([(o * groups,)] if data.draw(st.booleans()) else [])
    inputs = arrays(data, st.tuples(*[testing.tensors(shape, **ANY) for shape in shapes]))
    return (lambda *t: tg.conv2d(*t[:2], t[2] if len(t) > 2 else None, stride, padding,
                                 dilation, groups),
            inputs, lambda *a: np_conv2d(*a[:2], a[2] if len(a) > 2 else None, stride, sides,
                                         dilation, groups))


def pool2d(name: str):
    def draw(data):
        n, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
        h, w = data.draw(st.integers(2, 5)), data.draw(st.integers(2, 5))
        maximum = name == "max_pool2d"
        dilation = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))) if maximum \
            else (1, 1)
        kernel = (data.draw(st.integers(1, (h - 1) // dilation[0] + 1)),
                  data.draw(st.integers(1, (w - 1) // dilation[1] + 1)))
        stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
        padding = (data.draw(st.integers(0, kernel[0] // 2)),
                   data.draw(st.integers(0, kernel[1] // 2)))
        ceil_mode = data.draw(st.booleans())
        if maximum and dilation != (1, 1) and any(  # no window of padding alone (refused)
                not any(0 <= start + a * d < size for a in range(k))
                for size, k, s, p, d in zip((h, w), kernel, stride, padding, dilation)
                for start in range(-p, -p + s * np_pool_count(size, k, s, p, d, ceil_mode), s)):
            padding = (0, 0)
        # distinct values: no ties, where the max is not differentiable
        inputs = arrays(data, testing.tensors((n, c, h, w), distinct=True, **ANY))
        if maximum:
            options = dict(dilation=dilation, ceil_mode=ceil_mode)
            reference = dict(options)
        else:
            include = data.draw(st.booleans())
            divisor = data.draw(st.sampled_from([None, None, 1, 3]))
            options = dict(ceil_mode=ceil_mode, count_include_pad=include,
                           divisor_override=divisor)
            reference = dict(options, reduce=np.mean, fill=0.0)
        return (lambda t: getattr(tg, name)(t, kernel, stride, padding, **options), inputs,
                lambda a: np_pool2d(a, kernel, stride, padding, **reference))
    return draw


def shifts(data, shape):
    """roll's parameters: one shift for the flattened tensor, an axis, or several axes."""
    if not shape or data.draw(st.booleans()):
        return {"shift": data.draw(st.integers(-4, 4)), "axis": None}
    axes = data.draw(st.integers(-len(shape), len(shape) - 1) | hnp.valid_tuple_axes(
        len(shape), min_size=1))
    count = 1 if isinstance(axes, int) else len(axes)
    return {"shift": tuple(data.draw(st.lists(st.integers(-4, 4), min_size=count,
                                              max_size=count))), "axis": axes}


def diff(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    axis, n = an_axis(data, shape), data.draw(st.integers(0, 3))
    ends = data.draw(st.sampled_from([{}, {"prepend": 0.5}, {"append": -1.0},
                                      {"prepend": 1.0, "append": 2.0}]))
    return (lambda t: t.diff(n, axis, **ends), arrays(data, testing.tensors(shape, **ANY)),
            lambda a: np.diff(a, n, axis, **ends))


def triangle(which: str):
    def draw(data):
        shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=3, max_side=3))
        k = data.draw(st.integers(-2, 2))
        return (lambda t: getattr(t, which)(k), arrays(data, testing.tensors(shape, **ANY)),
                lambda a: getattr(np, which)(a, k))
    return draw


def einsum(data):
    spec = data.draw(st.sampled_from(["ij,jk->ik", "ij,ij->", "i,j->ij", "bij,bjk->bik",
                                      "ij->ji", "ii->i", "ii->", "ij,j->i", "ij->", "ijk->jk",
                                      "ij,jk", "...j,j->..."]))
    sizes = {c: data.draw(st.integers(1, 3)) for c in "bijk"}
    lead = tuple(data.draw(st.lists(st.integers(1, 2), max_size=2)))
    shapes = [(lead if "..." in part else ()) + tuple(sizes[c] for c in part.replace(".", ""))
              for part in spec.split("->")[0].split(",")]
    operands = arrays(data, st.tuples(*[testing.tensors(s, **ANY) for s in shapes]))
    return (lambda *ts: tg.einsum(spec, *ts), operands, lambda *a: np.einsum(spec, *a))


def tensordot(data):
    k = data.draw(st.integers(0, 2))
    shared = tuple(data.draw(st.integers(1, 3)) for _ in range(k))
    x_shape = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2))) + shared
    y_shape = shared + tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    operands = arrays(data, st.tuples(testing.tensors(x_shape, **ANY),
                                      testing.tensors(y_shape, **ANY)))
    return (lambda x, y: tg.tensordot(x, y, k), operands, lambda x, y: np.tensordot(x, y, k))


def outer(data):
    shapes = [data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)) for _ in "xy"]
    operands = arrays(data, st.tuples(*[testing.tensors(s, **ANY) for s in shapes]))
    return (tg.outer, operands, np.outer)


def trace(data):
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=4))
    offset = data.draw(st.integers(-1, 1))
    return (lambda t: t.trace(offset), arrays(data, testing.tensors(shape, **ANY)),
            lambda a: np.trace(a, offset))


def diag(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    k = data.draw(st.integers(-1, 1))
    if len(shape) == 2 and not (-shape[0] < k < shape[1]):
        k = 0
    return (lambda t: t.diag(k), arrays(data, testing.tensors(shape, **ANY)),
            lambda a: np.diag(a, k))


def diagonal(data):
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=4, max_side=4))
    dim1, dim2 = data.draw(st.permutations(range(-len(shape), 0)))[:2]
    offset = data.draw(st.integers(-3, 3))
    return (lambda t: t.diagonal(offset, dim1, dim2), arrays(data, testing.tensors(shape, **ANY)),
            lambda a: np.diagonal(a, offset, dim1, dim2))


def np_gelu(a):
    from math import erf
    return 0.5 * a * (1 + np.vectorize(erf)(a / np.sqrt(2.0)))


def np_softplus(a):
    return np.log1p(np.exp(a))


def remainder(data):
    """x % y with x / y kept away from whole numbers, where the remainder jumps."""
    x, y = arrays(data, testing.broadcastable_tensors(2, min_value=-0.9, max_value=0.9,
                                                      avoid=(0.0,), margin=0.1))
    return tg.remainder, [x, np.sign(y) * (np.abs(y) + 1.0)], np.remainder


def fmod(data):
    """C's x mod y (x's sign), with x / y kept away from whole numbers as for remainder."""
    _, operands, _ = remainder(data)
    return tg.fmod, operands, np.fmod


def xlogy(data):
    """x * ln(y): x of either sign (0 included), y positive."""
    x, y = arrays(data, testing.broadcastable_tensors(2, min_value=0.2, max_value=2, **ANY))
    return tg.xlogy, [2 * x - 2, y], lambda a, b: a * np.log(b)



def square_matrices(data, diagonal: float = 7.0) -> np.ndarray:
    """Square matrices (a batch of 0 to 2 axes): entries in [-2, 2] plus `diagonal` on the
    diagonal (7: strictly dominant for n <= 3, so well-conditioned; 6 let a 3 x 3 of -2s
    be singular), the first row's sign drawn, so
    determinants of both signs."""
    n = data.draw(st.integers(1, 3))
    lead = tuple(data.draw(st.lists(st.integers(1, 2), max_size=2)))
    (a,) = arrays(data, testing.tensors(lead + (n, n), **ANY))
    a = a + diagonal * np.eye(n)
    if data.draw(st.booleans()):
        a[..., 0, :] *= -1
    return a


def linalg_op(fn, reference):
    def draw(data):
        return fn, [square_matrices(data)], reference
    return draw


def solve(data):
    """tg.linalg.solve(A, B), B a vector or a matrix, batch axes broadcast (PyTorch's rule)."""
    a = square_matrices(data)
    lead, n = a.shape[:-2], a.shape[-1]
    k = data.draw(st.integers(1, 2))
    shapes = [(n,), (n, k), (2, n, k)] + ([lead + (n,), (1,) * len(lead) + (n, k)] if lead else [])
    (b,) = arrays(data, testing.tensors(data.draw(st.sampled_from(shapes)), **ANY))
    vector = b.ndim == 1 or b.shape == a.shape[:-1]
    return (tg.linalg.solve, [a, b], lambda x, y: np.linalg.solve(x, y[..., None])[..., 0]
            if vector else np.linalg.solve(x, y))


def symmetric(name: str):
    """cholesky and eigvalsh of a symmetric matrix made from the leaf (their gradient is
    PyTorch's, symmetric: finite differences of one triangle alone differ)."""
    def draw(data):
        x = square_matrices(data, diagonal=0.0)
        n = x.shape[-1]
        if name == "cholesky":  # positive-definite
            return (lambda t: tg.linalg.cholesky(t @ t.mT + 3 * np.eye(n, dtype=t.dtype)), [x],
                    lambda a: np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + 3 * np.eye(n)))
        spread = np.diag(30.0 * np.arange(n))  # eigenvalues well apart: differentiable
        return (lambda t: tg.linalg.eigvalsh(t + t.mT + spread.astype(t.dtype)), [x],
                lambda a: np.linalg.eigvalsh(a + np.swapaxes(a, -1, -2) + spread))
    return draw


def np_scatter_reduce(a, dim, index, src, reduce, include_self=True):
    """Loops: the values landing on each place (a's own first, if included), reduced."""
    landed = {}
    for k in np.ndindex(index.shape):
        place = k[:dim] + (index[k],) + k[dim + 1:]
        landed.setdefault(place, [a[place]] if include_self else []).append(src[k])
    out = a.copy()
    for place, values in landed.items():
        out[place] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
                      "amin": np.min, "write": lambda v: v[-1]}[reduce](values)
    return out


def scatter_op(name: str):
    """scatter, scatter_add, scatter_reduce along a drawn dim: an index (repeats allowed;
    scatter writes the last) no larger than x off dim, src as large or larger; values
    all distinct (no ties of amax/amin)."""
    def draw(data):
        shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=3))
        dim = an_axis(data, shape) % len(shape)
        index_shape = tuple(data.draw(st.integers(1, 3 if k == dim else n))
                            for k, n in enumerate(shape))
        index = data.draw(hnp.arrays(np.int64, index_shape,
                                     elements=st.integers(0, shape[dim] - 1)))
        src_shape = tuple(n + data.draw(st.integers(0, 1)) for n in index_shape)
        size = int(np.prod(shape))
        (flat,) = arrays(data, testing.tensors((size + int(np.prod(src_shape)),), distinct=True))
        x, src = flat[:size].reshape(shape), flat[size:].reshape(src_shape)
        reduce = {"scatter": "write", "scatter_add": "sum"}.get(name) or data.draw(
            st.sampled_from(["sum", "prod", "mean", "amax", "amin"]))
        include_self = name != "scatter_reduce" or data.draw(st.booleans())
        fn = (lambda t, s: t.scatter(dim, index, s)) if name == "scatter" else \
            (lambda t, s: t.scatter_add(dim, index, s)) if name == "scatter_add" else \
            (lambda t, s: t.scatter_reduce(dim, index, s, reduce, include_self=include_self))
        return (fn, [x, src],
                lambda a, s: np_scatter_reduce(a, dim, index, s, reduce, include_self))
    return draw


def index_op(name: str):
    """index_add, index_copy, index_fill of slices along a drawn dim (repeats allowed:
    index_copy writes the last, as the loop does)."""
    def draw(data):
        shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
        dim = an_axis(data, shape) % len(shape)
        index = data.draw(hnp.arrays(np.int64, (data.draw(st.integers(1, 3)),),
                                     elements=st.integers(0, shape[dim] - 1)))
        other = () if name == "index_fill" else shape[:dim] + (index.size,) + shape[dim + 1:]
        x, s = arrays(data, st.tuples(testing.tensors(shape, **ANY),
                                      testing.tensors(other, **ANY)))

        def reference(a, v):
            out = a.copy()
            for i, k in enumerate(index):
                place = (slice(None),) * dim + (k,)
                if name == "index_add":
                    out[place] += 0.5 * np.take(v, i, dim)
                else:
                    out[place] = v if name == "index_fill" else np.take(v, i, dim)
            return out
        fn = (lambda t, v: t.index_add(dim, index, v, alpha=0.5)) if name == "index_add" else \
            (lambda t, v: getattr(t, name)(dim, index, v))
        return fn, [x, s], reference
    return draw


def masked_scatter(data):
    """x and a mask broadcast together; source with as many entries as places, or more."""
    shape = data.draw(hnp.array_shapes(**SMALL))
    mask_shape = data.draw(hnp.broadcastable_shapes(shape, max_dims=len(shape)))
    mask = data.draw(hnp.arrays(bool, mask_shape))
    full = np.broadcast_shapes(shape, mask_shape)
    count = int(np.broadcast_to(mask, full).sum())
    x, s = arrays(data, st.tuples(testing.tensors(shape, **ANY), testing.tensors(
        (count + data.draw(st.integers(0, 2)),), **ANY)))

    def reference(a, v):
        out = np.array(np.broadcast_to(a, full))
        out[np.broadcast_to(mask, full)] = v[:count]
        return out
    return (lambda t, v: t.masked_scatter(mask, v), [x, s], reference)


def unfold(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    dim = an_axis(data, shape)
    size, step = data.draw(st.integers(1, shape[dim])), data.draw(st.integers(1, 3))
    starts = np.arange(0, shape[dim] - size + 1, step)
    return (lambda t: t.unfold(dim, size, step), arrays(data, testing.tensors(shape, **ANY)),
            lambda a: np.take(np.lib.stride_tricks.sliding_window_view(a, size, axis=dim),
                              starts, axis=dim % len(shape)))


def as_strided(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    n = int(np.prod(shape))
    size = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple))
    stride = tuple(data.draw(st.integers(0, 3)) for _ in size)
    last = sum((k - 1) * j for k, j in zip(size, stride)) if all(size) else -1
    if last >= n:
        stride, last = (0,) * len(size), 0
    offset = data.draw(st.integers(0, n - 1 - max(last, 0)))
    return (lambda t: t.as_strided(size, stride, offset),
            arrays(data, testing.tensors(shape, **ANY)),  # (an independent reading: np.take)
            lambda a: np.take(a.ravel(), offset + sum(
                np.arange(k).reshape((k,) + (1,) * (len(size) - i - 1)) * j
                for i, (k, j) in enumerate(zip(size, stride)))))


def diag_embed(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    offset = data.draw(st.integers(-2, 2))
    dim1, dim2 = data.draw(st.permutations(range(len(shape) + 1)))[:2]
    return (lambda t: t.diag_embed(offset, dim1, dim2),
            arrays(data, testing.tensors(shape, **ANY)),
            lambda a: np.moveaxis(np.apply_along_axis(np.diag, -1, a, offset), (-2, -1),
                                  (dim1, dim2)))


WHOLE = (-2.0, -1.0, 0.0, 1.0, 2.0)  # trunc and frac jump at these

OP_SPECS = {
    "add": binary(lambda x, y: x + y, np.add, **ANY),
    "sub": binary(lambda x, y: x - y, np.subtract, **ANY),
    "mul": binary(lambda x, y: x * y, np.multiply, **ANY),
    "div": binary(lambda x, y: x / y, np.divide, margin=0.5),  # denominators |y| >= 0.5
    "pow": power,
    "maximum": binary(tg.maximum, np.maximum, distinct=True),  # no ties between x and y
    "minimum": binary(tg.minimum, np.minimum, distinct=True),
    "where": where,
    "masked_fill": masked_fill,
    "neg": unary(lambda t: -t, np.negative, **ANY),
    "exp": unary(tg.exp, np.exp, **ANY),
    "log": unary(tg.log, np.log, min_value=0.1, max_value=3, **ANY),
    "sqrt": unary(tg.sqrt, np.sqrt, min_value=0.1, max_value=3, **ANY),
    "rsqrt": unary(tg.rsqrt, lambda a: 1 / np.sqrt(a), min_value=0.1, max_value=3, **ANY),
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
    "setitem": setitem,
    "narrow": narrow,
    "topk": topk,
    "conv2d": conv2d,
    "max_pool2d": pool2d("max_pool2d"),
    "avg_pool2d": pool2d("avg_pool2d"),
    "floor_divide": floor_divide,
    "sort": sort,
    "take": take("take"),
    "index_select": take("index_select"),
    "concatenate": concatenate,
    "stack": stack,
    "linear": linear,
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "square": unary(tg.square, np.square, **ANY),
    "reciprocal": unary(tg.reciprocal, np.reciprocal, avoid=(0.0,), margin=0.3),
    "sin": unary(tg.sin, np.sin, **ANY),
    "cos": unary(tg.cos, np.cos, **ANY),
    "tan": unary(tg.tan, np.tan, min_value=-1.2, max_value=1.2, **ANY),
    "log1p": unary(tg.log1p, np.log1p, min_value=-0.8, max_value=3, **ANY),
    "expm1": unary(tg.expm1, np.expm1, **ANY),
    "log2": unary(tg.log2, np.log2, min_value=0.1, max_value=3, **ANY),
    "log10": unary(tg.log10, np.log10, min_value=0.1, max_value=3, **ANY),
    "exp2": unary(tg.exp2, np.exp2, **ANY),
    "sign": unary(tg.sign, np.sign),
    "floor": unary(tg.floor, np.floor, avoid=STEPS),
    "ceil": unary(tg.ceil, np.ceil, avoid=STEPS),
    "round": unary(tg.round, np.round, avoid=STEPS),
    "softplus": unary(tg.softplus, np_softplus, **ANY),
    "elu": unary(tg.elu, lambda a: np.where(a > 0, a, np.expm1(a))),
    "gelu": unary(tg.gelu, np_gelu, **ANY),
    "silu": unary(tg.silu, lambda a: a * np_sigmoid(a), **ANY),
    "hardtanh": unary(tg.hardtanh, lambda a: np.clip(a, -1, 1), avoid=(-1.0, 1.0)),
    "relu6": unary(tg.relu6, lambda a: np.clip(a, 0, 6), min_value=-2, max_value=8,
                   avoid=(0.0, 6.0)),
    "logaddexp": binary(tg.logaddexp, np.logaddexp, **ANY),
    "logaddexp2": binary(tg.logaddexp2, np.logaddexp2, **ANY),
    "remainder": remainder,
    "sinh": unary(tg.sinh, np.sinh, **ANY),
    "cosh": unary(tg.cosh, np.cosh, **ANY),
    # (to: through np.longdouble and back, an exact round trip where longdouble is wider
    # than float64, as on x86-64; x.float() is to(np.float32), tested in test_api.py)
    "to": unary(lambda x: x.to(np.longdouble).to(x.dtype), lambda a: a, **ANY),
    "clone": unary(tg.clone, np.copy, **ANY),
    "arcsin": unary(tg.arcsin, np.arcsin, min_value=-0.8, max_value=0.8, **ANY),
    "arccos": unary(tg.arccos, np.arccos, min_value=-0.8, max_value=0.8, **ANY),
    "arctan": unary(tg.arctan, np.arctan, **ANY),
    "arcsinh": unary(tg.arcsinh, np.arcsinh, **ANY),
    "arccosh": unary(tg.arccosh, np.arccosh, min_value=1.2, max_value=4, **ANY),
    "arctanh": unary(tg.arctanh, np.arctanh, min_value=-0.8, max_value=0.8, **ANY),
    "deg2rad": unary(tg.deg2rad, np.deg2rad, **ANY),
    "rad2deg": unary(tg.rad2deg, np.rad2deg, **ANY),
    "celu": unary(lambda t: t.celu(0.5), lambda a: np.where(a > 0, a, 0.5 * np.expm1(a / 0.5))),
    "softsign": unary(tg.softsign, lambda a: a / (1 + np.abs(a))),
    "mish": unary(tg.mish, lambda a: a * np.tanh(np_softplus(a)), **ANY),
    "hardswish": unary(tg.hardswish, lambda a: a * np.clip(a + 3, 0, 6) / 6,
                       min_value=-5, max_value=5, avoid=(-3.0, 3.0)),
    "quick_gelu": unary(tg.quick_gelu, lambda a: a * np_sigmoid(1.702 * a), **ANY),
    "var": stat_reduction("var", np.var),
    "std": stat_reduction("std", np.std),
    "prod": reduction("prod", np.prod),
    "logsumexp": reduction("logsumexp", np_logsumexp),
    "norm": reduction("norm", np_norm, avoid=(0.0,)),  # (its kink at 0: in test_edges.py)
    "cumsum": running("cumsum"),
    "cumprod": running("cumprod"),
    "diff": diff,
    "expand_dims": shaped(lambda t, axis: t.unsqueeze(axis), lambda a, axis:
                          np.expand_dims(a, axis))(
        lambda data, shape: {"axis": data.draw(st.integers(-len(shape) - 1, len(shape)))}),
    "squeeze": shaped(lambda t, axis: t.squeeze(axis),
                      lambda a, axis: np.squeeze(a, tuple(k for k in range(a.ndim)
                                                          if a.shape[k] == 1 and (
                                                              axis is None or k in [
                                                                  x % a.ndim for x in axis]))),
                      max_side=2)(lambda data, shape: {"axis": some_axes(data, shape)}),
    "permute": shaped(lambda t, dims: t.permute(*dims), lambda a, dims: np.transpose(a, dims))(
        lambda data, shape: {"dims": a_permutation(data, shape)}),
    "swapaxes": shaped(lambda t, axes: t.swapaxes(*axes), lambda a, axes: np.swapaxes(a, *axes),
                       min_dims=1)(lambda data, shape: {"axes": two_axes(data, shape)}),
    "moveaxis": shaped(lambda t, axes: tg.moveaxis(t, *axes),
                       lambda a, axes: np.moveaxis(a, *axes), min_dims=1)(
        lambda data, shape: {"axes": two_axes(data, shape)}),
    "flip": shaped(lambda t, axis: t.flip(axis), lambda a, axis: np.flip(a, axis))(
        lambda data, shape: {"axis": some_axes(data, shape)}),
    "pad": pad,
    "roll": shaped(lambda t, shift, axis: t.roll(shift, axis),
                   lambda a, shift, axis: np.roll(a, shift, axis))(shifts),
    "split": shaped(split_piece, split_piece, min_dims=1)(pieces),
    "chunk": shaped(chunk_piece, chunk_piece, min_dims=1)(pieces),
    "tile": shaped(lambda t, reps: t.repeat(*reps) if len(reps) >= t.ndim else t.tile(reps),
                   lambda a, reps: np.tile(a, reps))(
        lambda data, shape: {"reps": tuple(data.draw(st.lists(st.integers(1, 3), max_size=4)))}),
    "repeat_interleave": shaped(lambda t, repeats, axis: tg.repeat(t, repeats, axis=axis),
                                lambda a, repeats, axis: np.repeat(a, repeats, axis=axis))(
        lambda data, shape: {"repeats": data.draw(st.integers(0, 3)),
                             "axis": data.draw(st.none() | st.integers(-len(shape),
                                                                       len(shape) - 1))
                             if shape else None}),
    "take_along_axis": take_along("take_along_axis"),
    "gather": take_along("gather"),
    "tril": triangle("tril"),
    "triu": triangle("triu"),
    "einsum": einsum,
    "tensordot": tensordot,
    "outer": outer,
    "trace": trace,
    "diag": diag,
    "diagonal": diagonal,
    "atan2": binary(tg.atan2, np.arctan2),  # (both kept away from the origin and the cut)
    "hypot": binary(tg.hypot, np.hypot),
    "fmod": fmod,
    "trunc": unary(tg.trunc, np.trunc, avoid=WHOLE),
    "frac": unary(tg.frac, lambda a: a - np.trunc(a), avoid=WHOLE),
    "logit": unary(tg.logit, lambda a: np.log(a / (1 - a)), min_value=0.1, max_value=0.9,
                   **ANY),
    "xlogy": xlogy,
    "nan_to_num": unary(tg.nan_to_num, np.nan_to_num, **ANY),
    "fmax": binary(tg.fmax, np.fmax, distinct=True),  # no ties between x and y
    "fmin": binary(tg.fmin, np.fmin, distinct=True),
    "copysign": binary(tg.copysign, np.copysign),  # x and y kept away from 0
    "sinc": unary(tg.sinc, np.sinc, **ANY),
    "heaviside": binary(tg.heaviside, np.heaviside),  # x kept away from its step at 0
    # (x and y apart: x's gradient is 1, which finite differences of the next float give
    # there; y's is 0, nextafter being a step in y that jumps only where y passes x)
    "nextafter": binary(tg.nextafter, np.nextafter, distinct=True),
    "inv": linalg_op(tg.linalg.inv, np.linalg.inv),
    "det": linalg_op(tg.linalg.det, np.linalg.det),
    "slogdet": linalg_op(lambda t: tg.linalg.slogdet(t).logabsdet,
                         lambda a: np.linalg.slogdet(a)[1]),
    "solve": solve,
    "cholesky": symmetric("cholesky"),
    "eigvalsh": symmetric("eigvalsh"),
    "qr": decomposition_spec("qr"),  # (a part drawn, where the signs are smooth)
    "eigh": decomposition_spec("eigh"),
    "svd": decomposition_spec("svd"),
    "pinv": decomposition_spec("pinv"),
    "solve_triangular": decomposition_spec("solve_triangular"),
    "lu": lu_spec,  # (the packed LU, where the pivots are clear)
    "matrix_exp": matrix_exp_spec,
    "scatter": scatter_op("scatter"),
    "scatter_add": scatter_op("scatter_add"),
    "scatter_reduce": scatter_op("scatter_reduce"),
    "index_add": index_op("index_add"),
    "index_copy": index_op("index_copy"),
    "index_fill": index_op("index_fill"),
    "masked_scatter": masked_scatter,
    "unfold": unfold,
    "as_strided": as_strided,
    "diag_embed": diag_embed,
    # the special functions (tg.special): their NumPy-free references are test_special.py's
    "erf": special_spec("erf"),
    "erfc": special_spec("erfc"),
    "erfinv": special_spec("erfinv"),
    "erfcx": special_spec("erfcx"),
    "ndtri": special_spec("ndtri"),
    "log_ndtr": special_spec("log_ndtr"),
    "i0": special_spec("i0"),
    "i0e": special_spec("i0e"),
    "i1": special_spec("i1"),
    "i1e": special_spec("i1e"),
    "entr": special_spec("entr"),
    "xlog1py": special_spec("xlog1py"),
    "lgamma": special_spec("lgamma"),
    "digamma": special_spec("digamma"),
    "polygamma": special_spec("polygamma"),
    "mvlgamma": special_spec("mvlgamma"),
    "zeta": special_spec("zeta"),
    "igamma": incomplete_gamma_spec("igamma"),
    "igammac": incomplete_gamma_spec("igammac"),
    # tg.special's Bessel functions and Ai: test_bessel.py's NumPy references
    "bessel_j0": bessel_spec("bessel_j0"),
    "bessel_j1": bessel_spec("bessel_j1"),
    "bessel_y0": bessel_spec("bessel_y0"),
    "bessel_y1": bessel_spec("bessel_y1"),
    "modified_bessel_k0": bessel_spec("modified_bessel_k0"),
    "modified_bessel_k1": bessel_spec("modified_bessel_k1"),
    "scaled_modified_bessel_k0": bessel_spec("scaled_modified_bessel_k0"),
    "scaled_modified_bessel_k1": bessel_spec("scaled_modified_bessel_k1"),
    "spherical_bessel_j0": bessel_spec("spherical_bessel_j0"),
    "airy_ai": bessel_spec("airy_ai"),
}


def library_ops() -> set[str]:
    return {name for name, op in tg.registered_ops().items()
            if op.__module__.startswith("tinygrad_gd.")}


def for_every_op(max_examples: int):
    """The test, for every op in OP_SPECS, on `max_examples` inputs drawn by its spec."""
    def decorate(test):
        return pytest.mark.parametrize("name", sorted(OP_SPECS))(
            settings(max_examples=max_examples, deadline=None)(given(data=st.data())(test)))
    return decorate


def leaves(arrays, **options) -> list[tg.Tensor]:
    """The drawn arrays as leaf tensors that require a gradient."""
    return [tg.Tensor(a, requires_grad=True, **options) for a in arrays]


def test_every_registered_op_has_a_spec():
    missing = library_ops() - set(OP_SPECS)
    assert not missing, f"ops registered without a gradient check in OP_SPECS: {sorted(missing)}"
    stale = set(OP_SPECS) - library_ops()
    assert not stale, f"OP_SPECS names ops that are not registered: {sorted(stale)}"


def test_builtin_ops_live_in_ops_module():
    assert {op.__module__.rsplit(".", 1)[0] for name, op in tg.registered_ops().items()
            if name in OP_SPECS} == {ops_module.__name__}


@for_every_op(max_examples=25)
def test_op_forward_and_gradcheck(name, data):
    fn, arrays, reference = OP_SPECS[name](data)
    inputs = leaves(arrays)
    out = fn(*inputs)
    assert out.grad_fn is not None and out.grad_fn.name == name  # the op under test recorded it
    expected = reference(*arrays)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)
    assert tg.gradcheck(fn, inputs)


@for_every_op(max_examples=5)
def test_op_keeps_float32(name, data):
    fn, arrays, reference = OP_SPECS[name](data)
    inputs = leaves(arrays, dtype=np.float32)
    out = fn(*inputs)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, reference(*[a.astype(np.float32) for a in arrays]),
                               rtol=1e-5, atol=1e-6)
    out.backward(np.ones(out.shape, dtype=np.float32))
    for t in inputs:
        assert t.grad is not None and t.grad.dtype == np.float32 and t.grad.shape == t.shape


@for_every_op(max_examples=5)
def test_a_write_into_an_ops_output_is_refused_or_harmless(name, data):
    # An op's backward may read its output (exp, tanh, tan...): a write into it must make
    # backward refuse, never give a gradient the forward pass did not make.
    fn, arrays, _ = OP_SPECS[name](data)
    inputs = leaves(arrays)
    fn(*inputs).sum().backward()
    expected = [t.grad.data.copy() for t in inputs]
    for t in inputs:
        t.grad = None
    out = fn(*inputs)
    loss = out.sum()  # (sum's backward reads nothing of out)
    try:
        out.data[...] = out.data * 0.5 + 0.25
    except ValueError as error:  # read-only values (a broadcast view): refused at once
        assert "read-only" in str(error)
    try:
        loss.backward()
    except RuntimeError as error:
        assert "changed in place" in str(error)
        return
    for t, grad in zip(inputs, expected):
        np.testing.assert_allclose(t.grad.data, grad, rtol=1e-12, atol=1e-15)


@for_every_op(max_examples=5)
def test_an_op_changes_neither_its_inputs_nor_the_gradient_it_is_given(name, data):
    # add hands one gradient array to both its inputs: an op whose forward or backward
    # wrote into what it was given would change the other input's gradient or the data
    fn, arrays, _ = OP_SPECS[name](data)
    inputs = leaves(arrays)
    weights = np.random.default_rng(0).normal(size=fn(*inputs).shape)
    for first in (True, False):
        for t in inputs:
            t.grad = None
        other = tg.Tensor(np.zeros(weights.shape), requires_grad=True)
        out = fn(*inputs)
        ((out + other if first else other + out) * weights).sum().backward()
        np.testing.assert_array_equal(other.grad.data, weights)
        for t, a in zip(inputs, arrays):
            np.testing.assert_array_equal(t.data, a)


@for_every_op(max_examples=5)
def test_an_input_alone_needing_a_gradient_gets_the_same_one(name, data):
    # ops skip the gradients of inputs that need none (mul, maximum...): the one input
    # that needs a gradient must get what it gets when every input needs one
    fn, arrays, _ = OP_SPECS[name](data)
    everyone = leaves(arrays)
    weights = np.random.default_rng(0).normal(size=fn(*everyone).shape)
    (fn(*everyone) * weights).sum().backward()
    for k in range(len(arrays)):
        inputs = [tg.Tensor(a, requires_grad=(i == k)) for i, a in enumerate(arrays)]
        (fn(*inputs) * weights).sum().backward()
        np.testing.assert_allclose(inputs[k].grad.data, everyone[k].grad.data,
                                   rtol=1e-12, atol=1e-15)
        assert all(t.grad is None for i, t in enumerate(inputs) if i != k)
    assert not fn(*[tg.Tensor(a) for a in arrays]).requires_grad


@for_every_op(max_examples=3)
def test_a_second_backward_of_a_kept_graph_adds_the_same_gradient(name, data):
    # an op's backward that wrote into what it saved would give another gradient the
    # second time
    fn, arrays, _ = OP_SPECS[name](data)
    inputs = leaves(arrays)
    loss = (fn(*inputs) * np.random.default_rng(0).normal(size=fn(*inputs).shape)).sum()
    loss.backward(retain_graph=True)
    first = [t.grad.data.copy() for t in inputs]
    loss.backward()
    for t, grad in zip(inputs, first):
        np.testing.assert_allclose(t.grad.data, 2 * grad, rtol=1e-12, atol=1e-300)


@for_every_op(max_examples=2)
def test_every_op_draws_its_gradients_after_a_plain_backward(name, data):
    # the diagrams run the ops again once backward() freed the saved arrays: every op
    # must, and the picture then carries every gradient
    fn, arrays, _ = OP_SPECS[name](data)
    inputs = [tg.Tensor(a, requires_grad=True, name=f"x{i}") for i, a in enumerate(arrays)]
    loss = fn(*inputs).sum()
    loss.backward()
    source = tg.draw_graph(loss, mode="backward").source
    assert "not shown" not in source and "changed in place" not in source
    for i in range(len(inputs)):
        node = [line for line in source.splitlines() if f"<B>x{i}</B>" in line]
        assert len(node) == 1 and ">grad " in node[0], (i, node)



@for_every_op(max_examples=5)
def test_an_op_declared_elementwise_is(name, data):
    # the diagrams draw an elementwise op's factor entry by entry: output entry k must
    # depend on entry k of each input alone (checked where the shapes are the output's)
    fn, arrays, _ = OP_SPECS[name](data)
    if not tg.registered_ops()[name].elementwise:
        return
    out = fn(*leaves(arrays)).data
    for i, a in enumerate(arrays):
        if a.shape != out.shape:
            continue
        for k in np.ndindex(a.shape):
            moved = [np.array(b) for b in arrays]
            moved[i][k] += 0.25
            changed = np.array(fn(*leaves(moved)).data != out)
            changed[k] = False
            assert not changed.any(), (name, i, k)

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
    # a user's weight in either memory order gets the same gradient
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
    inputs = leaves(arrays)
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


@for_every_op(max_examples=10)
def test_editing_one_gradient_changes_nothing_else(name, data):
    fn, arrays, _ = OP_SPECS[name](data)
    inputs = leaves(arrays)
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

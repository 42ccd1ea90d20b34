"""PyTorch's copy variants of the view ops (copies.py: `tg.view_copy`, `permute_copy`, ...)
and its remaining ways of making a tensor (creation_more.py: `empty_like`,
`empty_permuted`, `empty_strided`, `x.new_empty_strided`, `zero_`, `fill`,
`nonzero_static`, `vander`, `asarray`, `poisson`).

Without torch: values against an independent NumPy formula (np.transpose, np.vander,
np.argwhere, ...), gradients against finite differences (tg.gradcheck in float64), a copy
sharing nothing with its input (a write into either leaves the other), the graph drawing
the view op then clone, strides as asked, the draws' mean and variance and their seeding,
and one-line errors naming the function. With torch: every case against torch's values,
dtypes, shapes, strides and gradients.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import copies, creation, creation_more

RNG = np.random.default_rng(7)


def _strided(a, size, stride, offset):
    """a's C-ordered entries read as `size` with `stride` (in entries) from `offset`."""
    places = np.full(size, offset, dtype=np.int64)
    for axis, (n, s) in enumerate(zip(size, stride)):
        places += (np.arange(n) * s).reshape((n,) + (1,) * (len(size) - axis - 1))
    return a.reshape(-1)[places]


def _split(a, sizes, axis):
    return tuple(np.split(a, np.cumsum(sizes)[:-1], axis=axis))


# -- the copies: (function, input shape, args, kwargs, NumPy's result) -------------------------
COPY_CASES = [
    ("alias_copy", (5,), (), {}, lambda a: a),
    ("alias_copy", (), (), {}, lambda a: a),
    ("as_strided_copy", (3, 3), ((2, 2), (1, 2)), {"storage_offset": 1},
     lambda a: _strided(a, (2, 2), (1, 2), 1)),
    ("as_strided_copy", (16,), ((2, 1, 1, 2), (1, 7, 7, 1)), {},
     lambda a: _strided(a, (2, 1, 1, 2), (1, 7, 7, 1), 0)),
    ("as_strided_copy", (6,), ((3, 2), (1, 1)), {}, lambda a: _strided(a, (3, 2), (1, 1), 0)),
    ("diagonal_copy", (3, 5), (), {"offset": 1}, lambda a: np.diagonal(a, 1)),
    ("diagonal_copy", (5, 3), (-2,), {}, lambda a: np.diagonal(a, -2)),
    ("diagonal_copy", (2, 3, 4), (), {"offset": -1, "dim1": -1, "dim2": 0},
     lambda a: np.diagonal(a, -1, 2, 0)),
    ("diagonal_copy", (0, 3), (), {}, lambda a: np.diagonal(a)),
    ("expand_copy", (3, 1), ((2, 3, 4),), {}, lambda a: np.broadcast_to(a, (2, 3, 4))),
    ("expand_copy", (3, 1), ((-1, 4),), {}, lambda a: np.broadcast_to(a, (3, 4))),
    ("expand_copy", (), ((2,),), {"implicit": True}, lambda a: np.broadcast_to(a, (2,))),
    ("expand_copy", (1, 3), ((0, 3),), {}, lambda a: np.broadcast_to(a, (0, 3))),
    ("permute_copy", (2, 3, 4), ((2, 0, 1),), {}, lambda a: a.transpose(2, 0, 1)),
    ("permute_copy", (2, 3, 4), ((-1, 0, -2),), {}, lambda a: a.transpose(2, 0, 1)),
    ("permute_copy", (), ((),), {}, lambda a: a),
    ("squeeze_copy", (2, 1, 3, 1), (), {}, np.squeeze),
    ("squeeze_copy", (2, 1, 3, 1), (-1,), {}, lambda a: a[..., 0]),
    ("squeeze_copy", (2, 1, 3, 1), (0,), {}, lambda a: a),  # (length 2: kept)
    ("squeeze_copy", (2, 1, 3, 1), ((1, 3),), {}, np.squeeze),
    ("squeeze_copy", (), (0,), {}, lambda a: a),
    ("t_copy", (2, 3), (), {}, np.transpose),
    ("t_copy", (3,), (), {}, lambda a: a),
    ("t_copy", (), (), {}, lambda a: a),
    ("transpose_copy", (2, 3, 4), (0, -1), {}, lambda a: np.swapaxes(a, 0, 2)),
    ("transpose_copy", (), (0, 0), {}, lambda a: a),
    ("transpose_copy", (0, 2), (1, 0), {}, np.transpose),
    ("unbind_copy", (2, 3), (1,), {}, lambda a: tuple(a[:, k] for k in range(3))),
    ("unbind_copy", (2, 0, 3), (), {}, lambda a: (a[0], a[1])),
    ("unbind_copy", (3, 2), (-2,), {}, lambda a: tuple(a)),
    ("unfold_copy", (10,), (0, 3, 2), {}, lambda a: np.stack([a[k:k + 3]
                                                                for k in range(0, 8, 2)])),
    ("unfold_copy", (4, 5), (-1, 2, 1), {},
     lambda a: np.stack([a[:, k:k + 2] for k in range(4)], axis=1)),
    ("unfold_copy", (), (0, 1, 1), {}, lambda a: a.reshape(1)),
    ("unsqueeze_copy", (2, 3), (-1,), {}, lambda a: a[..., None]),
    ("unsqueeze_copy", (2, 3), (1,), {}, lambda a: a[:, None]),
    ("unsqueeze_copy", (), (0,), {}, lambda a: a.reshape(1)),
    ("view_copy", (2, 6), ((3, -1),), {}, lambda a: a.reshape(3, 4)),
    ("view_copy", (), ((1,),), {}, lambda a: a.reshape(1)),
    ("view_copy", (0, 3), ((3, 0),), {}, lambda a: a.reshape(3, 0)),
    ("split_with_sizes_copy", (5, 4), ([1, 0, 4],), {}, lambda a: _split(a, [1, 0, 4], 0)),
    ("split_with_sizes_copy", (3, 5), ([2, 3], -1), {}, lambda a: _split(a, [2, 3], 1)),
    ("select_copy", (3, 4), (1, -1), {}, lambda a: a[:, -1]),
    ("select_copy", (3,), (0, 2), {}, lambda a: a[2]),
    ("slice_copy", (3, 5), (1, 1, None, 2), {}, lambda a: a[:, 1::2]),
    ("slice_copy", (4, 2), (), {"start": -9, "end": 3}, lambda a: a[:3]),
    ("slice_copy", (0, 3), (-1, 1), {}, lambda a: a[:, 1:]),
    ("split_copy", (5, 4), (2,), {}, lambda a: _split(a, [2, 2, 1], 0)),
    ("split_copy", (3, 5), (3, -1), {}, lambda a: _split(a, [3, 2], 1)),
]
IDS = [f"{name}-{shape}-{k}" for k, (name, shape, *_rest) in enumerate(COPY_CASES)]


def _outputs(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("name, shape, args, kwargs, formula", COPY_CASES, ids=IDS)
def test_each_copy_gives_the_views_values_as_numpy_does(name, shape, args, kwargs, formula):
    for dtype in (np.float64, np.int64, np.bool_):
        a = (RNG.standard_normal(shape) * 3).astype(dtype)
        out = getattr(tg, name)(tg.tensor(a), *args, **kwargs)
        expected = formula(a)
        assert isinstance(out, tuple) == isinstance(expected, tuple)
        for got, want in zip(_outputs(out), _outputs(expected)):
            assert got.shape == want.shape and got.dtype == dtype
            np.testing.assert_array_equal(got.data, want)


@pytest.mark.parametrize("name, shape, args, kwargs, formula", COPY_CASES, ids=IDS)
def test_each_copy_has_the_views_gradient(name, shape, args, kwargs, formula):
    x = tg.tensor(RNG.standard_normal(shape), requires_grad=True)
    weights = [tg.tensor(RNG.standard_normal(o.shape)) for o in _outputs(
        getattr(tg, name)(x, *args, **kwargs))]

    def loss(x):
        outs = _outputs(getattr(tg, name)(x, *args, **kwargs))
        return sum(((o * w).sum() for o, w in zip(outs, weights)), tg.tensor(0.0))
    assert tg.gradcheck(loss, (x,))


@pytest.mark.parametrize("name, shape, args, kwargs, formula", COPY_CASES, ids=IDS)
def test_each_copy_shares_nothing_with_its_input(name, shape, args, kwargs, formula):
    a = RNG.standard_normal(shape)
    x = tg.tensor(a)
    outs = _outputs(getattr(tg, name)(x, *args, **kwargs))
    before = [o.data.copy() for o in outs]
    x.add_(1.0)  # (a write into the input reaches no copy)
    for o, b in zip(outs, before):
        np.testing.assert_array_equal(o.data, b)
        assert o.is_contiguous()
        if o.size:
            o.fill_(7.0)  # (every copy can be written, an expanded one too)
            assert (o.data == 7.0).all()
    np.testing.assert_array_equal(x.data, a + 1.0)  # (and a write into a copy reaches x not)


@pytest.mark.parametrize("name, shape, args, kwargs, formula", COPY_CASES, ids=IDS)
def test_each_copy_is_the_view_op_then_clone_in_the_graph(name, shape, args, kwargs,
                                                            formula):
    x = tg.tensor(RNG.standard_normal(shape), requires_grad=True)
    for out in _outputs(getattr(tg, name)(x, *args, **kwargs)):
        assert out._ctx.name == "clone"
        (viewed,) = out._ctx.parents
        assert viewed is x if name == "alias_copy" else viewed._ctx.parents[0] is x


def test_the_graph_names_the_view_op():
    x = tg.ones(2, 3, requires_grad=True)
    for out, view in ((tg.permute_copy(x, (1, 0)), "permute"),
                      (tg.diagonal_copy(x), "diagonal"), (tg.unfold_copy(x, 1, 2, 1), "unfold"),
                      (tg.as_strided_copy(x, (2,), (1,)), "as_strided")):
        assert out._ctx.parents[0]._ctx.name == view


@pytest.mark.torch
@pytest.mark.parametrize("name, shape, args, kwargs, formula", COPY_CASES, ids=IDS)
def test_each_copy_as_torchs(name, shape, args, kwargs, formula):
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal(shape)
    x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    outs = _outputs(getattr(tg, name)(x, *args, **kwargs))
    theirs = _outputs(getattr(torch, name)(tx, *args, **kwargs))
    assert len(outs) == len(theirs)
    for o, t in zip(outs, theirs):
        assert o.shape == tuple(t.shape) and o.dtype == np.float64
        assert o.stride() == t.stride() or not o.size  # (an empty one's say nothing)
        np.testing.assert_array_equal(o.data, t.detach().numpy())
    weights = [RNG.standard_normal(t.shape) for t in theirs]
    if not weights or not any(w.size for w in weights):
        return
    sum((o * tg.tensor(w)).sum() for o, w in zip(outs, weights)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(theirs, weights)).backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    for dtype in (np.int64, np.bool_):
        b = (a * 3).astype(dtype)
        for o, t in zip(_outputs(getattr(tg, name)(tg.tensor(b), *args, **kwargs)),
                        _outputs(getattr(torch, name)(torch.tensor(b), *args, **kwargs))):
            assert o.dtype == dtype
            np.testing.assert_array_equal(o.data, t.numpy())


COPY_ERRORS = [
    ("view_copy", (2, 3), ((4, 2),), "6 elements"),
    ("view_copy", (2, 3), (tg.int64,), "view\\(dtype\\)"),
    ("permute_copy", (2, 3, 4), ((0, 1),), "not a permutation"),
    ("permute_copy", (2, 3), ((0, 0),), "not a permutation"),
    ("expand_copy", (2, 3), ((3,),), "broadcast"),
    ("t_copy", (2, 3, 4), (), "at most 2 axes"),
    ("squeeze_copy", (2, 1), (5,), "out of range"),
    ("transpose_copy", (2, 3), (0, 2), "out of range"),
    ("unsqueeze_copy", (2, 3), (4,), "out of range"),
    ("unbind_copy", (2, 3), (2,), "out of range"),
    ("unfold_copy", (5,), (0, 6, 1), "size=6"),
    ("unfold_copy", (5,), (0, 2, 0), "step"),
    ("diagonal_copy", (3, 3), (0, 1, 1), "one axis"),
    ("as_strided_copy", (3, 3), ((2, 2), (1, 200)), "reach entry"),
    ("split_with_sizes_copy", (5,), ([1, 2],), "adding up to 5"),
    ("alias_copy", None, ("abc",), "alias_copy: input"),
]


@pytest.mark.parametrize("name, shape, args, text", COPY_ERRORS)
def test_bad_arguments_to_a_copy_are_one_line_naming_it(name, shape, args, text):
    call = (lambda: getattr(tg, name)(*args)) if shape is None else (
        lambda: getattr(tg, name)(tg.ones(*shape), *args))
    with pytest.raises((ValueError, TypeError, IndexError, RuntimeError)) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(f"{name}: ") and "\n" not in message
    assert re.search(text, message), message


# -- the empty ones: (function, call in `m`, tg or torch) ----------------------------------
EMPTY_CASES = {
    "empty_like": [
        lambda m: m.empty_like(m.ones(2, 3)),
        lambda m: m.empty_like(m.ones(())),
        lambda m: m.empty_like(m.ones(0, 5, 0), dtype=m.int64),
        lambda m: m.empty_like(m.ones(3, 4).T),
        lambda m: m.empty_like(m.ones(3, 4).T, memory_format=m.contiguous_format),
        lambda m: m.empty_like(m.ones(3, dtype=m.int32), device="cpu"),
        lambda m: m.empty_like(m.ones(2, dtype=m.float32), requires_grad=True),
    ],
    "empty_permuted": [
        lambda m: m.empty_permuted((2, 3, 4), (2, 0, 1)),
        lambda m: m.empty_permuted((1, 3, 5), (1, 2, 0), dtype=m.float32),
        lambda m: m.empty_permuted((), ()),
        lambda m: m.empty_permuted((1, 0, 5, 1), (3, 1, 0, 2), device="cpu"),
        lambda m: m.empty_permuted([2, 2], [1, 0], dtype=m.float64, requires_grad=True),
    ],
    "empty_strided": [
        lambda m: m.empty_strided((2, 3), (1, 2)),
        lambda m: m.empty_strided((5, 5, 5), (2, 0, 1), dtype=m.int64),
        lambda m: m.empty_strided((), ()),
        lambda m: m.empty_strided((2, 0, 3), (7, 8, 9), dtype=m.float64, device="cpu"),
        lambda m: m.empty_strided((4,), (3,), dtype=m.float64, requires_grad=True),
    ],
    "new_empty_strided": [
        lambda m: m.ones(2, dtype=m.int32).new_empty_strided((2, 3), (3, 1)),
        lambda m: m.ones(5, dtype=m.float64).new_empty_strided((1, 1, 12), (5, 20, 10)),
        lambda m: m.ones(()).new_empty_strided((2, 2), (1, 2), dtype=m.float64,
                                               requires_grad=True),
        lambda m: m.ones(()).new_empty_strided((), ()),
    ],
}
EMPTY_FLAT = [(name, k, call) for name, calls in EMPTY_CASES.items()
              for k, call in enumerate(calls)]


@pytest.mark.parametrize("name, k, call", EMPTY_FLAT, ids=[f"{n}-{k}" for n, k, _ in EMPTY_FLAT])
def test_an_empty_tensor_is_zeros_of_its_shape_and_dtype_a_leaf(name, k, call):
    out = call(tg)
    assert out.is_leaf and out._ctx is None
    assert (out.data == 0).all()  # (zeros here: never memory that was not written)


@pytest.mark.torch
@pytest.mark.parametrize("name, k, call", EMPTY_FLAT, ids=[f"{n}-{k}" for n, k, _ in EMPTY_FLAT])
def test_an_empty_tensor_has_torchs_shape_dtype_and_strides(name, k, call):
    torch = pytest.importorskip("torch")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # (ours: float64 is the default float)
    try:
        ours, theirs = call(tg), call(torch)
    finally:
        torch.set_default_dtype(default)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    assert ours.stride() == theirs.stride() or not ours.size  # (an empty one's say nothing)
    assert ours.requires_grad == theirs.requires_grad


def test_empty_strided_and_permuted_lay_out_memory_as_asked():
    x = tg.empty_strided((2, 3), (1, 2))
    assert x.stride() == (1, 2) and x.untyped_storage().nbytes() == 6 * 8
    y = tg.empty_permuted((2, 3, 4), (2, 0, 1))  # (axis 2 outermost, axis 1 innermost)
    assert y.stride() == (3, 1, 6)
    y.fill_(2.0)
    assert (y.data == 2).all()
    assert tg.empty_like(tg.ones(3, 4).T).stride() == (1, 4)  # (laid out as its input)
    overlapping = tg.empty_strided((2, 3), (0, 1))  # (its rows are one memory)
    with pytest.raises(ValueError, match="fill_: cannot write into this tensor"):
        overlapping.fill_(1.0)
    assert tg.ones(2, dtype=tg.int32).new_empty_strided((2,), (1,)).dtype == np.int32


EMPTY_ERRORS = [
    (lambda: tg.empty_like(tg.ones(2), device="cuda"), TypeError, "empty_like\\(\\): expected"),
    (lambda: tg.empty_like(tg.ones(2), layout="sparse_coo"), TypeError, "layout"),
    (lambda: tg.empty_like(tg.ones(2), memory_format=tg.channels_last), RuntimeError,
     "empty_like: memory_format"),
    (lambda: tg.empty_like(tg.ones(2, dtype=tg.int64), requires_grad=True), TypeError,
     "empty_like: requires_grad=True needs a float dtype"),
    (lambda: tg.empty_permuted((2, 3), (0, 0)), RuntimeError, "each of the 2 axes"),
    (lambda: tg.empty_permuted((2, 3), (0,)), RuntimeError, "each of the 2 axes"),
    (lambda: tg.empty_permuted((2, 3), (-1, 0)), RuntimeError, "each of the 2 axes"),
    (lambda: tg.empty_permuted((2, -3), (0, 1)), ValueError, "sizes must be >= 0"),
    (lambda: tg.empty_permuted((2,), (0,), pin_memory=True), RuntimeError, "pin_memory"),
    (lambda: tg.empty_strided((2, 3), (3,)), RuntimeError, "one stride per axis"),
    (lambda: tg.empty_strided((2, 3), (-3, 1)), RuntimeError, "strides must be >= 0"),
    (lambda: tg.empty_strided((2, 3), (3, 1.5)), TypeError, "stride must be an int"),
    (lambda: tg.empty_strided((2,), (1,), dtype=tg.int64, requires_grad=True), TypeError,
     "requires_grad=True needs a float dtype"),
    (lambda: tg.ones(2).new_empty_strided((2,), (1,), device="cuda"), TypeError, "cpu"),
]


@pytest.mark.parametrize("call, error, text", EMPTY_ERRORS)
def test_bad_arguments_to_the_empty_ones_are_one_line(call, error, text):
    with pytest.raises(error, match=text) as caught:
        call()
    assert "\n" not in str(caught.value)


# -- zero_ and fill ---------------------------------------------------------------------------
ZERO_CASES = [(3,), (), (2, 0), (2, 3)]


@pytest.mark.parametrize("shape", ZERO_CASES)
def test_zero_writes_zeros_in_place_and_returns_the_tensor(shape):
    x = tg.tensor(RNG.standard_normal(shape))
    assert tg.zero_(x) is x and x.shape == shape and not x.data.any()
    w = tg.ones(*shape, requires_grad=True)
    y = w * 2
    assert tg.zero_(y) is y and not y.data.any()
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.data, np.zeros(shape))
    with pytest.raises(RuntimeError, match="zero_: writing into a leaf"):
        tg.zero_(w)
    with pytest.raises(TypeError, match="zero_: expected a tensor"):
        tg.zero_([1.0, 2.0])


@pytest.mark.torch
def test_zero_as_torchs():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((2, 3))
    x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = tg.zero_(x * 3), torch.zero_(tx * 3)
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    (y * tg.tensor(a)).sum().backward()
    (ty * torch.tensor(a)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


# (input values, its dtype, the value): in x's dtype, 2.7 cut in integers, True as 1
FILL_CASES = [
    (np.arange(6.0).reshape(2, 3), np.float64, 2.5),
    (np.arange(6.0), np.float32, -1.25),
    (np.ones(3), np.int64, 2.7),
    (np.ones(3), np.int64, -2.7),
    (np.ones(2), np.bool_, 2),
    (np.ones(2), np.uint8, 255),
    (np.ones(4), np.float64, True),
    (np.ones((1, 0, 3)), np.float64, 3.0),
    (np.array(4.0), np.float64, np.nan),
    (np.array([1.0, np.inf]), np.float64, -np.inf),
    (np.ones(3), np.float64, "0-d tensor"),
    (np.ones(3), np.int64, "0-d tensor"),
]


def _fill_value(value, m):
    return m.tensor(1.5) if isinstance(value, str) else value


@pytest.mark.parametrize("values, dtype, value", FILL_CASES)
def test_fill_is_a_new_tensor_of_inputs_shape_and_dtype(values, dtype, value):
    x = tg.tensor(values.astype(dtype))
    out = tg.fill(x, _fill_value(value, tg))
    expected = np.full(values.shape, 1.5 if isinstance(value, str) else value).astype(dtype)
    assert out is not x and out.shape == values.shape and out.dtype == dtype
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(x.data, values.astype(dtype))  # (out of place)


@pytest.mark.torch
@pytest.mark.parametrize("values, dtype, value", FILL_CASES)
def test_fill_as_torchs(values, dtype, value):
    torch = pytest.importorskip("torch")
    ours = tg.fill(tg.tensor(values.astype(dtype)), _fill_value(value, tg))
    theirs = torch.fill(torch.tensor(values.astype(dtype)), _fill_value(value, torch))
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_fill_gives_input_a_zero_gradient_and_a_0_d_value_the_sum():
    x = tg.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    v = tg.tensor(0.5, requires_grad=True)
    assert tg.gradcheck(lambda x, v: tg.fill(x, v) * tg.arange(6.0).reshape(2, 3), (x, v))
    out = tg.fill(x, 2.0)
    assert out.requires_grad  # (in the graph: x's gradient is zero, as torch's)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))
    low = tg.fill(tg.ones(3, dtype=tg.float32), v)  # (v cast to x's dtype, in the graph)
    assert low.dtype == np.float32
    (low * tg.tensor([1.0, 2.0, 3.0], dtype=tg.float32)).sum().backward()
    assert v.grad.item() == pytest.approx(6.0)


@pytest.mark.torch
def test_fill_gradients_as_torchs():
    torch = pytest.importorskip("torch")
    a, w = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    x, v = tg.tensor(a, requires_grad=True), tg.tensor(0.5, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    tv = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (tg.fill(x, v) * tg.tensor(w)).sum().backward()
    (torch.fill(tx, tv) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(v.grad.data, tv.grad.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


FILL_ERRORS = [
    (lambda: tg.fill(tg.ones(3), tg.tensor([1.0, 2.0])), ValueError, "fill: value must be one"),
    (lambda: tg.fill(tg.ones(3), "a"), TypeError, "fill: value must be a number"),
    (lambda: tg.fill(tg.ones(3), None), TypeError, "fill: value must be a number"),
    (lambda: tg.fill(tg.ones(3, dtype=tg.uint8), 300), OverflowError, "fill: the value 300"),
    (lambda: tg.fill(tg.ones(3, dtype=tg.int64), np.nan), OverflowError, "fill: the value nan"),
    (lambda: tg.fill(tg.ones(3, dtype=tg.float32), 1e300), OverflowError, "fill: 1e\\+300"),
    (lambda: tg.fill("abc", 1.0), TypeError, "fill: input"),
]


@pytest.mark.parametrize("call, error, text", FILL_ERRORS)
def test_bad_arguments_to_fill_are_one_line(call, error, text):
    with pytest.raises(error, match=text) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_the_numpy_and_pytorch_in_place_spellings_stay():
    x = tg.ones(3)
    assert x.fill(2.0) is None and (x.data == 2).all()  # (NumPy's: in place, None)
    assert x.zero_() is x and not x.data.any()


# -- nonzero_static -------------------------------------------------------------------------
NONZERO_CASES = [
    (np.array([[1, 0], [3, 2]]), 4, -1),
    (np.array([[1, 0], [3, 2]]), 2, -1),
    (np.array([10]), 0, -1),
    (np.array([1.0, 0.0, np.nan, -0.0]), 3, 7),
    (np.array(2.0), 3, -1),
    (np.array(0.0), 2, -1),
    (np.zeros((0, 3)), 2, 5),
    (np.array([True, False, True]), 1, -1),
    (RNG.integers(0, 2, (3, 4, 2)), 10, -9),
]


@pytest.mark.parametrize("values, size, fill_value", NONZERO_CASES)
def test_nonzero_static_gives_size_rows_of_indices(values, size, fill_value):
    out = tg.nonzero_static(tg.tensor(values), size=size, fill_value=fill_value)
    found = np.argwhere(values)
    expected = np.full((size, values.ndim), fill_value)
    expected[:min(size, len(found))] = found[:size]
    assert out.dtype == np.int64 and out.shape == (size, values.ndim)
    np.testing.assert_array_equal(out.data, expected)
    method = tg.tensor(values).nonzero_static(size=size, fill_value=fill_value)
    np.testing.assert_array_equal(method.data, expected)


@pytest.mark.torch
@pytest.mark.parametrize("values, size, fill_value", NONZERO_CASES)
def test_nonzero_static_as_torchs(values, size, fill_value):
    torch = pytest.importorskip("torch")
    ours = tg.nonzero_static(tg.tensor(values), size=size, fill_value=fill_value)
    theirs = torch.nonzero_static(torch.tensor(values), size=size, fill_value=fill_value)
    assert ours.shape == tuple(theirs.shape) and str(theirs.dtype) == "torch.int64"
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("call, error, text", [
    (lambda: tg.nonzero_static(tg.ones(3), size=-1), RuntimeError, "size .* must be >= 0"),
    (lambda: tg.nonzero_static(tg.ones(3), size=2.0), TypeError, "size must be an int"),
    (lambda: tg.nonzero_static(tg.ones(3), size=2, fill_value=2.5), TypeError, "fill_value"),
    (lambda: tg.nonzero_static(tg.ones(3)), TypeError, "size"),
    (lambda: tg.nonzero_static(tg.ones(3), 2), TypeError, "positional"),
])
def test_bad_arguments_to_nonzero_static(call, error, text):
    with pytest.raises(error, match=text):
        call()


# -- vander ---------------------------------------------------------------------------------
VANDER_CASES = [
    ([1, 2, 3, 5], np.int64, None, False),
    ([1, 2, 3, 5], np.int32, 3, True),
    ([1.0, 2.0, 3.0, 5.0], np.float64, None, True),
    ([0.0, -1.5, 2.0], np.float64, 5, False),
    ([0.5, -2.0], np.float32, 3, False),
    ([True, False], np.bool_, None, False),
    ([], np.float64, None, False),
    ([1.5, 2.0], np.float64, 0, False),
    ([1.5, 2.0], np.float64, 1, True),
]


@pytest.mark.parametrize("values, dtype, N, increasing", VANDER_CASES)
def test_vander_is_numpys(values, dtype, N, increasing):
    x = np.array(values, dtype=dtype)
    out = tg.vander(tg.tensor(x), N=N, increasing=increasing)
    expected = np.vander(x.astype(np.float64), N=N, increasing=increasing)
    assert out.dtype == (dtype if x.dtype.kind == "f" else np.int64)
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("values, dtype, N, increasing", VANDER_CASES)
def test_vander_as_torchs(values, dtype, N, increasing):
    torch = pytest.importorskip("torch")
    x = np.array(values, dtype=dtype)
    grad = x.dtype.kind == "f" and x.size > 0
    ours_x, theirs_x = tg.tensor(x, requires_grad=grad), torch.tensor(x, requires_grad=grad)
    ours = tg.vander(ours_x, N=N, increasing=increasing)
    theirs = torch.vander(theirs_x, N=N, increasing=increasing)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-6)
    if theirs.requires_grad:
        # torch 2.13's own vander cannot backward (its cumprod is written in place): its
        # powers as pow give the gradient to compare with
        powers = theirs_x[:, None] ** torch.arange(ours.shape[1], dtype=theirs_x.dtype)
        reference = powers if increasing else powers.flip(-1)
        w = RNG.standard_normal(ours.shape)
        (ours * tg.tensor(w, dtype=ours.dtype)).sum().backward()
        (reference * torch.tensor(w, dtype=theirs.dtype)).sum().backward()
        np.testing.assert_allclose(ours_x.grad.data, theirs_x.grad.numpy(), rtol=1e-5)


def test_vander_gradient_and_linalgs_other_convention():
    x = tg.tensor([0.0, 1.5, -2.0, 0.3], requires_grad=True)
    assert tg.gradcheck(lambda x: tg.vander(x), (x,))
    assert tg.gradcheck(lambda x: tg.vander(x, N=6, increasing=True), (x,))
    assert tg.gradgradcheck(lambda x: tg.vander(x, N=3), (x,))
    np.testing.assert_array_equal(tg.linalg.vander(x).data,
                                  tg.vander(x, increasing=True).data)


@pytest.mark.parametrize("call, error, text", [
    (lambda: tg.vander(tg.ones(2, 2)), RuntimeError, "vander: x must be a 1-d tensor"),
    (lambda: tg.vander(tg.tensor(2.0)), RuntimeError, "vander: x must be a 1-d tensor"),
    (lambda: tg.vander(tg.ones(2), N=-1), ValueError, "vander: N .* must be >= 0"),
    (lambda: tg.vander(tg.ones(2), N=2.0), TypeError, "vander: N must be an int"),
    (lambda: tg.vander(tg.ones(2), increasing="yes"), TypeError, "vander: increasing"),
])
def test_bad_arguments_to_vander(call, error, text):
    with pytest.raises(error, match=text):
        call()


# -- asarray --------------------------------------------------------------------------------
# data that is no tensor: (data, its dtype here, torch's where it differs by design)
ASARRAY_CASES = [
    ([1, 2], np.int64), ([True], np.bool_), (3, np.int64), (True, np.bool_),
    (np.array([1, 2], dtype=np.int32), np.int32), (np.float32(2), np.float32),
    (np.arange(3), np.int64), ([np.float32(1)], np.float32), ([[1.5], [2.0]], np.float64),
    (3.5, np.float64), ((), np.float64),
]


@pytest.mark.parametrize("data, dtype", ASARRAY_CASES)
def test_asarray_copies_other_data_with_as_tensors_dtypes(data, dtype):
    out = tg.asarray(data)
    assert out.dtype == dtype and out.shape == np.shape(data) and out.is_leaf
    np.testing.assert_array_equal(out.data, np.asarray(data))
    assert tg.asarray(data, dtype=tg.float32).dtype == np.float32


@pytest.mark.torch
@pytest.mark.parametrize("data, dtype", ASARRAY_CASES)
def test_asarray_dtypes_as_torchs(data, dtype):
    torch = pytest.importorskip("torch")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # (ours: float64 is the default float)
    try:
        theirs = torch.asarray(data)
    finally:
        torch.set_default_dtype(default)
    ours = tg.asarray(data)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_asarray_of_a_tensor_is_the_tensor_where_no_copy_is_needed():
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    u = w * 2
    assert tg.asarray(u) is u and tg.asarray(w) is w and tg.asarray(u, dtype=tg.float64) is u
    cast = tg.asarray(u, dtype=tg.float32)  # (in the graph: the op `to`)
    copied = tg.asarray(u, copy=True)  # (in the graph: clone)
    assert cast._ctx.name == "to" and copied._ctx.name == "clone"
    assert copied.data_ptr() != u.data_ptr()
    (cast.sum() + copied.sum()).backward()
    np.testing.assert_array_equal(w.grad.data, [4.0, 4.0, 4.0])
    detached = tg.asarray(u, requires_grad=False)
    assert not detached.requires_grad and detached.data_ptr() == u.data_ptr()
    assert w.requires_grad  # (u is no leaf: detached, w keeps its flag, as torch's)
    v = tg.ones(3)
    leaf = tg.asarray(v, requires_grad=True)
    assert leaf is v and v.requires_grad and v.is_leaf  # (torch's sets v's own flag)
    assert leaf.data_ptr() == v.data_ptr()
    assert not tg.asarray(u, dtype=tg.int64, requires_grad=False).requires_grad
    array = np.arange(3.0)
    copy = tg.asarray(array)
    array[0] = 9.0  # (NumPy's memory is never shared: the tensor keeps its values)
    assert copy.data[0] == 0.0
    assert tg.asarray([1.0, 2.0], requires_grad=True).requires_grad


@pytest.mark.torch
def test_asarray_of_a_tensor_as_torchs():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal(3)
    for kwargs in ({}, {"copy": True}, {"dtype": "float32"}, {"requires_grad": True}):
        w, tw = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        given = {k: getattr(tg, v) if k == "dtype" else v for k, v in kwargs.items()}
        theirs_given = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
        ours = tg.asarray(w * 2, **given)
        with warnings.catch_warnings():  # (torch 2.13 warns that requires_grad now follows)
            warnings.simplefilter("ignore")
            theirs = torch.asarray(tw * 2, **theirs_given)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        assert ours.requires_grad == theirs.requires_grad
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
        np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("call, error, text", [
    (lambda: tg.asarray([1, 2], copy=False), ValueError, "asarray: copy=False, but list"),
    (lambda: tg.asarray(np.arange(3), copy=False), ValueError, "NumPy array's memory"),
    (lambda: tg.asarray(tg.ones(2), dtype=tg.float32, copy=False), ValueError,
     "dtype float32 differs"),
    (lambda: tg.asarray([1, 2], requires_grad=True), TypeError, "needs a float dtype"),
    (lambda: tg.asarray(tg.arange(3), requires_grad=True), TypeError, "needs a float dtype"),
    (lambda: tg.asarray("abc"), TypeError, "asarray\\(\\): expected numeric data"),
    (lambda: tg.asarray([[1], [1, 2]]), ValueError, "ragged"),
    (lambda: tg.asarray(tg.ones(2), device="cuda"), TypeError, "CPU only"),
    (lambda: tg.asarray(tg.ones(2), copy="no"), TypeError, "copy must be True or False"),
])
def test_bad_arguments_to_asarray(call, error, text):
    with pytest.raises(error, match=text) as caught:
        call()
    assert "\n" not in str(caught.value)


# -- poisson --------------------------------------------------------------------------------
POISSON_RATES = [3.5, 0.0, 40.0, 0.01]


@pytest.mark.parametrize("rate", POISSON_RATES)
def test_poisson_draws_have_the_rates_mean_and_variance(rate):
    n = 40_000
    draws = tg.poisson(tg.full((n,), rate), generator=np.random.default_rng(5)).data
    assert draws.dtype == np.float64 and (draws == np.round(draws)).all() and draws.min() >= 0
    spread = 6 * np.sqrt(max(rate, 1e-3) / n)  # (six standard errors of the mean)
    assert abs(draws.mean() - rate) <= spread
    assert abs(draws.var() - rate) <= 6 * np.sqrt((rate + 2 * rate ** 2) / n) + 1e-12


def test_poisson_follows_the_seed_the_generator_and_keeps_the_shape(monkeypatch):
    monkeypatch.setattr(creation, "_seeded", [None, None])  # (undone after the test)
    rates = tg.tensor([[1.0, 2.0, 50.0], [0.0, 7.5, 1e6]])
    tg.manual_seed(3)
    first = tg.poisson(rates)
    tg.manual_seed(3)
    np.testing.assert_array_equal(tg.poisson(rates).data, first.data)
    a = tg.poisson(rates, generator=np.random.default_rng(11))
    b = tg.poisson(rates, np.random.default_rng(11))
    np.testing.assert_array_equal(a.data, b.data)
    assert first.shape == (2, 3) and first.data[1, 0] == 0
    assert tg.poisson(tg.tensor(2.0, dtype=tg.float32)).dtype == np.float32
    assert tg.poisson(tg.zeros(0, 3)).shape == (0, 3)
    rates = tg.tensor([1.0, 2.0], requires_grad=True)
    out = tg.poisson(rates)
    assert not out.requires_grad and out.is_leaf  # (a draw: no gradient)


@pytest.mark.torch
def test_poisson_shape_and_dtype_as_torchs():
    torch = pytest.importorskip("torch")
    for shape, dtype in (((2, 3), "float64"), ((), "float32"), ((0, 2), "float64")):
        ours = tg.poisson(tg.ones(shape, dtype=getattr(tg, dtype)) * 2)
        theirs = torch.poisson(torch.ones(shape, dtype=getattr(torch, dtype)) * 2)
        assert ours.shape == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("call, error, text", [
    (lambda: tg.poisson(tg.tensor([1, 2])), TypeError, "poisson: input holds the rates"),
    (lambda: tg.poisson(tg.tensor([-1.0])), ValueError, "poisson: rates must be >= 0"),
    (lambda: tg.poisson(tg.tensor([np.nan])), ValueError, "poisson: rates must be >= 0"),
    (lambda: tg.poisson(tg.tensor([np.inf])), ValueError, "too large"),
    (lambda: tg.poisson(tg.tensor([1e19])), ValueError, "too large"),
    (lambda: tg.poisson(tg.ones(2), generator=3), TypeError, "poisson: generator must be"),
])
def test_bad_arguments_to_poisson(call, error, text):
    with pytest.raises(error, match=text) as caught:
        call()
    assert "\n" not in str(caught.value)


# -- binomial and detach_copy (thirty-fifth round; more in test_names_round35.py) ----------
BINOMIAL_CASES = [(10.0, 0.3), (0.0, 0.5), (25.0, 1.0), (7.0, 0.0)]


@pytest.mark.parametrize("count, prob", BINOMIAL_CASES)
def test_binomial_draws_have_the_binomial_mean_and_variance(count, prob):
    n = 40_000
    draws = tg.binomial(tg.full((n,), count), tg.full((n,), prob),
                        generator=np.random.default_rng(6)).data
    assert draws.dtype == np.float64 and (draws == np.round(draws)).all()
    assert draws.min() >= 0 and draws.max() <= count
    variance = count * prob * (1 - prob)
    assert abs(draws.mean() - count * prob) <= 6 * np.sqrt(variance / n) + 1e-12
    assert abs(draws.var() - variance) <= 6 * np.sqrt((variance + 2 * variance ** 2) / n) \
        + 1e-12


DETACH_SHAPES = [(2, 3), (), (0, 4)]


@pytest.mark.parametrize("shape", DETACH_SHAPES)
def test_detach_copy_is_a_copy_outside_the_graph(shape):
    a = RNG.standard_normal(shape)
    x = tg.tensor(a, requires_grad=True)
    out = tg.detach_copy(x)
    assert out.shape == shape and not out.requires_grad and out.is_leaf
    np.testing.assert_array_equal(out.data, a)
    with tg.no_grad():
        x.add_(1.0)
    np.testing.assert_array_equal(out.data, a)


# -- every name has a case ------------------------------------------------------------------
def test_every_name_of_the_two_modules_has_a_case_here():
    tested = {name for name, *_ in COPY_CASES} | set(EMPTY_CASES)
    tables = {"zero_": ZERO_CASES, "fill": FILL_CASES, "nonzero_static": NONZERO_CASES,
              "vander": VANDER_CASES, "asarray": ASARRAY_CASES, "poisson": POISSON_RATES,
              "binomial": BINOMIAL_CASES, "detach_copy": DETACH_SHAPES}
    assert all(tables.values())
    names = set(copies.__all__) | set(creation_more.__all__) | {"new_empty_strided"}
    assert names <= tested | set(tables), sorted(names - tested - set(tables))
    for name in copies.__all__ + creation_more.__all__:
        assert getattr(tg, name).__doc__.strip() and name in tg.__all__
    assert tg.Tensor.new_empty_strided.__doc__ and tg.Tensor.nonzero_static.__doc__

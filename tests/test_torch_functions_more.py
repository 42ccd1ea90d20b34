"""torch_functions_more.py's names against torch's (values, gradients, gradcheck, one-line
errors), integer division by zero refused as torch refuses it (no NumPy RuntimeWarning),
`div_(rounding_mode=)` and `x.polygamma(n=)`.
"""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

RNG = np.random.default_rng(17)


def _message(error) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


def _grads(torch, fn_tg, fn_torch, *arrays):
    """Outputs and gradients of fn(*inputs).sum() weighted, ours and torch's."""
    ours = [tg.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_tg, out_torch = fn_tg(*ours), fn_torch(*theirs)
    weights = RNG.standard_normal(out_torch.shape)
    (out_tg * tg.Tensor(weights)).sum().backward()
    (out_torch * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out_tg.numpy(), out_torch.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


# -- 1) integer division by zero ------------------------------------------------------------
ZERO_CASES = {
    "//": (lambda x, z: x // z, "floor_divide"),
    "%": (lambda x, z: x % z, "remainder"),
    "floor_divide": (lambda x, z: tg.floor_divide(x, z), "floor_divide"),
    "remainder": (lambda x, z: tg.remainder(x, z), "remainder"),
    "mod": (lambda x, z: tg.mod(x, z), "mod"),
    "rfloordiv": (lambda x, z: 7 // z, "floor_divide"),
    "rmod": (lambda x, z: 7 % z, "remainder"),
    "floor_divide_": (lambda x, z: x.clone().floor_divide_(z), "floor_divide_"),
    "remainder_": (lambda x, z: x.clone().remainder_(z), "remainder_"),
    "div floor": (lambda x, z: x.div(z, rounding_mode="floor"), "div"),
    "div trunc": (lambda x, z: tg.div(x, z, rounding_mode="trunc"), "div"),
    "div_ floor": (lambda x, z: x.clone().div_(z, rounding_mode="floor"), "div_"),
    "divide_ trunc": (lambda x, z: x.clone().divide_(z, rounding_mode="trunc"), "divide_"),
}


@pytest.mark.parametrize("case", sorted(ZERO_CASES))
@pytest.mark.parametrize("divisor", [0, [3, 0], "bool"])
@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8"])
def test_integer_division_by_zero_is_refused_in_one_line_without_a_warning(case, divisor,
                                                                           dtype):
    call, name = ZERO_CASES[case]
    x = tg.tensor([5, 6], dtype=getattr(tg, dtype))
    z = tg.tensor([True, False]) if divisor == "bool" else tg.tensor(divisor,
                                                                     dtype=getattr(tg, dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (NumPy's RuntimeWarning would fail here)
        with pytest.raises(RuntimeError) as error:
            call(x, z)
    text = _message(error)
    assert text.startswith(f"{name}: integer division by zero")
    assert f"the divisor of shape {z.shape} holds a 0" in text and "x.float()" in text


def test_torch_refuses_the_same_divisions():
    torch = pytest.importorskip("torch")
    x, z = torch.tensor([5, -5]), torch.tensor([3, 0])
    for call in (lambda: x // z, lambda: x % z, lambda: torch.floor_divide(x, z),
                 lambda: torch.remainder(x, z), lambda: x.clone().div_(z, rounding_mode="floor"),
                 lambda: x.div(z, rounding_mode="trunc")):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            call()


def test_division_without_a_zero_and_float_division_are_as_torchs():
    torch = pytest.importorskip("torch")
    a, b = [7, -7, 0, 5], [2, 2, -3, -5]
    for dtype in ("int64", "int8"):
        x, y = tg.tensor(a, dtype=getattr(tg, dtype)), tg.tensor(b, dtype=getattr(tg, dtype))
        tx, ty = torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(
            b, dtype=getattr(torch, dtype))
        for ours, theirs in ((x // y, tx // ty), (x % y, tx % ty),
                             (x.div(y, rounding_mode="trunc"), tx.div(ty, rounding_mode="trunc"))):
            assert ours.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    # floats still divide by 0: inf and NaN, as torch's (an int 0 met by floats too)
    f = [5.0, -5.0, 0.0]
    with np.errstate(all="ignore"):
        for zero in (0, 0.0):
            np.testing.assert_array_equal((tg.tensor(f) // zero).numpy(),
                                          (torch.tensor(f) // zero).numpy())
            np.testing.assert_array_equal((tg.tensor(f) % zero).numpy(),
                                          (torch.tensor(f) % zero).numpy())
        np.testing.assert_array_equal(tg.tensor(f).div(tg.tensor([0, 0, 0]),
                                                       rounding_mode="floor").numpy(),
                                      torch.tensor(f).div(torch.tensor([0, 0, 0]),
                                                          rounding_mode="floor").numpy())
    empty = tg.tensor([], dtype=tg.int64)
    assert (empty // empty).shape == (0,) and (empty % empty).shape == (0,)


# -- 2) div_(rounding_mode=), 3) x.polygamma(n=) -------------------------------------------
@pytest.mark.parametrize("method", ["div_", "divide_"])
@pytest.mark.parametrize("mode", [None, "floor", "trunc"])
def test_div_in_place_takes_rounding_mode_as_torchs(method, mode):
    torch = pytest.importorskip("torch")
    for values, divisor in (([7.5, -7.5, 3.0], [2.0, 2.0, -4.0]), ([7, -7, 3], [2, 2, -4])):
        if mode is None and isinstance(values[0], int):
            continue  # (an integer tensor cannot hold the true quotient: refused, as torch's)
        x, tx = tg.tensor(values), torch.tensor(np.array(values))  # (float64, int64: both)
        out = getattr(x, method)(tg.tensor(divisor), rounding_mode=mode)
        getattr(tx, method)(torch.tensor(np.array(divisor)), rounding_mode=mode)
        assert out is x and x.dtype == np.dtype(str(tx.dtype).replace("torch.", ""))
        np.testing.assert_array_equal(x.numpy(), tx.numpy())


def test_div_in_place_refuses_what_div_refuses():
    with pytest.raises(RuntimeError, match=r"^div_: rounding_mode must be None, 'floor' or "
                                           r"'trunc', got 'round'"):
        tg.tensor([1.0]).div_(2, rounding_mode="round")
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^div_: "):
        w.div_(2, rounding_mode="floor")
    with tg.no_grad():
        w.div_(2, rounding_mode="floor")
    np.testing.assert_array_equal(w.detach().numpy(), [0.0, 1.0])


def test_polygamma_method_takes_n_by_keyword_as_torchs():
    torch = pytest.importorskip("torch")
    x = [0.5, 1.0, 2.5]
    for n in (0, 1, 3):  # (rtol 1e-8: torch's trigamma is off by ~5e-10)
        expected = torch.tensor(np.array(x)).polygamma(n=n).numpy()
        np.testing.assert_allclose(tg.tensor(x).polygamma(n=n).numpy(), expected, rtol=1e-8)
        np.testing.assert_allclose(tg.tensor(x).polygamma(n).numpy(), expected, rtol=1e-8)
        np.testing.assert_allclose(tg.tensor(x).polygamma_(n=n).numpy(), expected, rtol=1e-8)
    assert tg.gradcheck(lambda v: v.polygamma(n=1), [tg.Tensor(x, requires_grad=True)])
    with pytest.raises(TypeError, match="polygamma.. missing 1 required positional argument"):
        tg.tensor(x).polygamma()


# -- 4) names: present, with torch's signatures ----------------------------------------------
NAMES = ["conv3d", "conv_transpose3d", "max_pool3d", "embedding_bag", "celu_", "selu_",
         "rrelu_", "threshold_", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
         "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", "isposinf", "isneginf",
         "isreal", "adjoint", "diagonal_scatter", "index_put", "index_put_"]


@pytest.mark.parametrize("name", NAMES)
def test_name_is_here_with_torchs_signature(name):
    torch = pytest.importorskip("torch")
    assert hasattr(torch, name) and callable(getattr(tg, name)) and name in tg.__all__
    schema = torch._C._jit_get_schemas_for_operator(f"aten::{name}")[0]
    theirs = ["input" if a.name == "self" else a.name for a in schema.arguments]
    if name == "embedding_bag":  # (F's own first arguments are (input, weight))
        theirs = ["weight", "indices"] + theirs[2:]
    assert list(inspect.signature(getattr(tg, name)).parameters)[:len(theirs)] == theirs
    if hasattr(torch.Tensor, name):
        assert hasattr(tg.Tensor, name)


def test_nn_functions_as_torchs():
    torch = pytest.importorskip("torch")
    x, w = RNG.standard_normal((1, 2, 4, 4, 4)), RNG.standard_normal((3, 2, 2, 2, 2))
    _grads(torch, lambda a, b: tg.conv3d(a, b, None, 2, 1),
           lambda a, b: torch.conv3d(a, b, None, 2, 1), x, w)
    _grads(torch, lambda a, b: tg.conv_transpose3d(a, b, None, 2, 1, 1),
           lambda a, b: torch.conv_transpose3d(a, b, None, 2, 1, 1), x, w.transpose(1, 0, 2, 3, 4))
    _grads(torch, lambda a: tg.max_pool3d(a, 2, [], 1), lambda a: torch.max_pool3d(a, 2, [], 1), x)
    conv = lambda a, b: tg.conv3d(a, b, padding=1)  # noqa: E731
    assert tg.gradcheck(conv, [tg.Tensor(x[:, :, :2, :2, :3], requires_grad=True),
                               tg.Tensor(w[:1], requires_grad=True)])
    y = RNG.standard_normal(6)
    for name, args in (("celu_", (0.5,)), ("selu_", ()), ("threshold_", (0.1, -2.0)),
                       ("rrelu_", (0.1, 0.3, False))):
        ours, theirs = tg.tensor(y), torch.tensor(y)
        assert getattr(tg, name)(ours, *args) is ours
        getattr(torch, name)(theirs, *args)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    x32 = tg.tensor(x, dtype=tg.float32)
    assert tg.conv3d(x32, tg.tensor(w, dtype=tg.float32)).dtype == np.float32


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("last, padding", [(False, None), (True, None), (False, 3)])
def test_embedding_bag_gives_torchs_four_tensors(mode, last, padding):
    torch = pytest.importorskip("torch")
    if mode == 2 and padding is not None:
        pytest.skip("torch's CPU max with padding_idx: not compared")
    weight = RNG.standard_normal((5, 2))
    index, offsets = [0, 2, 1, 4, 3, 3], [0, 2, 2, 6 if last else 5]  # (last: where it ends)
    w = tg.Tensor(weight, requires_grad=True)
    tw = torch.tensor(weight, requires_grad=True)
    ours = tg.embedding_bag(w, tg.tensor(index), tg.tensor(offsets), False, mode, False, None,
                            last, padding)
    theirs = torch.embedding_bag(tw, torch.tensor(index), torch.tensor(offsets), False, mode,
                                 False, None, last, padding)
    np.testing.assert_allclose(ours[0].numpy(), theirs[0].detach().numpy(), rtol=1e-12)
    for a, b in zip(ours[1:], theirs[1:]):
        assert a.dtype == np.int64 and not a.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    ours[0].sum().backward()
    theirs[0].sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"^embedding_bag: mode must be 0 \(sum\), 1 \(mean\) "
                                         r"or 2 \(max\), got 3$"):
        tg.embedding_bag(w, tg.tensor(index), tg.tensor(offsets), False, 3)


# -- bitwise, gcd, lcm ------------------------------------------------------------------------
INTS = {"int64": [5, -5, 12, 0, 7], "int8": [5, -5, 12, 0, -128], "uint8": [5, 250, 12, 0, 7],
        "bool": [True, False, True, False, True]}
BINARY = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
          "bitwise_right_shift"]


@pytest.mark.parametrize("name", BINARY + ["gcd", "lcm"])
@pytest.mark.parametrize("left", sorted(INTS))
@pytest.mark.parametrize("right", sorted(INTS))
def test_integer_functions_as_torchs(name, left, right):
    torch = pytest.importorskip("torch")
    a, b = INTS[left], [1, 70, -1, 3, 8] if right == "int64" else INTS[right]
    x, y = tg.tensor(a, dtype=getattr(tg, left)), tg.tensor(b, dtype=getattr(tg, right))
    tx, ty = torch.tensor(a, dtype=getattr(torch, left)), torch.tensor(b,
                                                                      dtype=getattr(torch, right))
    try:
        expected = getattr(torch, name)(tx, ty)
    except NotImplementedError:
        with pytest.raises(NotImplementedError) as error:
            getattr(tg, name)(x, y)
        assert _message(error).startswith(f"{name}: not defined for ")
        return
    for out in (getattr(tg, name)(x, y), getattr(x, name)(y)):
        assert out.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
        assert not out.requires_grad


def test_bitwise_with_numbers_operators_and_numpys():
    torch = pytest.importorskip("torch")
    a = [5, -5, 12]
    x, tx = tg.tensor(a), torch.tensor(a)
    for ours, theirs in ((x << 2, tx << 2), (x >> 1, tx >> 1), (2 << x.abs(), 2 << tx.abs()),
                         (100 >> x.abs(), 100 >> tx.abs()), (tg.bitwise_and(3, x),
                                                              torch.bitwise_and(3, tx)),
                         (tg.bitwise_not(x), ~tx), (tg.bitwise_not(x > 0), ~(tx > 0)),
                         (tg.bitwise_left_shift(x, [-1, 64, 63]),
                          torch.bitwise_left_shift(tx, torch.tensor([-1, 64, 63]))),
                         (tg.bitwise_right_shift(x, [-1, 64, 1]),
                          torch.bitwise_right_shift(tx, torch.tensor([-1, 64, 1])))):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    small = tg.tensor([1, 2], dtype=tg.int8)
    np.testing.assert_array_equal(tg.bitwise_or(small, 300).numpy(),
                                  (torch.tensor([1, 2], dtype=torch.int8) | 300).numpy())
    assert tg.bitwise_or(small, 300).dtype == np.int8
    b = [4, -6, 0]
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm"):
        np.testing.assert_array_equal(getattr(tg, name)(x, b).numpy(),
                                      getattr(np, name)(np.array(a), np.array(b)))
    np.testing.assert_array_equal(tg.gcd(x, 4).numpy(), np.gcd(a, 4))  # (NumPy's: a number)
    empty = tg.tensor([], dtype=tg.int64)
    assert tg.bitwise_xor(empty, empty).shape == (0,) and tg.gcd(empty, 3).shape == (0,)
    # PyTorch's in-place spellings
    y = tg.tensor([6, 10])
    assert y.bitwise_and_(tg.tensor([3, 3])) is y and y.tolist() == [2, 2]
    assert y.gcd_(tg.tensor([4, 6])).tolist() == [2, 2]


def test_integer_functions_refuse_floats_in_one_line():
    f = tg.tensor([1.5, 2.0])
    for call, name in ((lambda: tg.bitwise_and(f, 1), "bitwise_and"),
                       (lambda: tg.bitwise_not(f), "bitwise_not"),
                       (lambda: f << 1, "bitwise_left_shift"),
                       (lambda: tg.gcd(tg.tensor([1, 2]), 2.5), "gcd"),
                       (lambda: tg.lcm(tg.tensor([1.0]), tg.tensor([True])), "lcm")):
        with pytest.raises(NotImplementedError) as error:
            call()
        assert _message(error).startswith(f"{name}: not defined for ")
        assert "x.long()" in _message(error)
    with pytest.raises(ValueError, match=r"^bitwise_xor: shapes \(2,\), \(3,\) do not broadcast"):
        tg.bitwise_xor(tg.tensor([1, 2]), tg.tensor([1, 2, 3]))
    with pytest.raises(NotImplementedError, match="^bitwise_left_shift: not defined for two "
                                                  "bools"):
        tg.bitwise_left_shift(tg.tensor([True]), tg.tensor([True]))


# -- predicates -------------------------------------------------------------------------------
def test_predicates_as_torchs():
    torch = pytest.importorskip("torch")
    values = {"float64": [np.inf, -np.inf, np.nan, 1.0], "float32": [np.inf, -1.0, np.nan, 0.0],
              "int64": [1, -2, 0, 3], "uint8": [1, 2, 0, 3], "bool": [True, False, True, True]}
    for dtype, data in values.items():
        x, tx = tg.tensor(data, dtype=getattr(tg, dtype)), torch.tensor(
            data, dtype=getattr(torch, dtype))
        for name in ("isposinf", "isneginf", "isreal"):
            for out in (getattr(tg, name)(x), getattr(x, name)()):
                assert out.dtype == bool
                np.testing.assert_array_equal(out.numpy(), getattr(torch, name)(tx).numpy())
        assert x.is_signed() == tx.is_signed()
    np.testing.assert_array_equal(tg.isposinf(tg.tensor([np.inf, 1.0])).numpy(),
                                  np.isposinf([np.inf, 1.0]))
    assert tg.isreal(tg.tensor([])).shape == (0,)


# -- adjoint, diagonal_scatter, index_put: in the graph ------------------------------------
def test_adjoint_as_torchs():
    torch = pytest.importorskip("torch")
    _grads(torch, tg.adjoint, torch.adjoint, RNG.standard_normal((2, 3, 4)))
    _grads(torch, lambda a: a.adjoint(), lambda a: a.adjoint(), RNG.standard_normal((3, 4)))
    with pytest.raises(RuntimeError) as error:
        tg.adjoint(tg.tensor([1.0, 2.0]))
    assert _message(error).startswith("adjoint: is only defined for matrices or batches")
    assert tg.adjoint(tg.tensor(2.0)).item() == 2.0
    assert tg.adjoint(tg.ones(2, 3, dtype=tg.float32)).dtype == np.float32


def test_true_divide_takes_no_rounding_mode_as_torchs():
    # tg.true_divide and x.true_divide_ were div's names and floor-divided when asked
    torch = pytest.importorskip("torch")
    _grads(torch, tg.true_divide, torch.true_divide, RNG.standard_normal(3),
           RNG.standard_normal(3) + 3)
    x = tg.tensor([3.0, 5.0])
    assert x.true_divide_(2) is x and x.tolist() == [1.5, 2.5]
    for call in (lambda: tg.true_divide(x, 2, rounding_mode="floor"),
                 lambda: x.true_divide(2, rounding_mode="floor"),
                 lambda: x.true_divide_(2, rounding_mode="floor")):
        with pytest.raises(TypeError, match="rounding_mode"):
            call()
    assert x.tolist() == [1.5, 2.5]


def test_mm_and_bmm_as_torchs_and_only_for_their_shapes():
    # both were names of matmul: tg.bmm of two matrices and tg.mm of batches gave products
    # torch refuses (a model ported from here would fail there)
    torch = pytest.importorskip("torch")
    _grads(torch, tg.mm, torch.mm, RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4)))
    _grads(torch, lambda a, b: a.mm(b), lambda a, b: a.mm(b), RNG.standard_normal((1, 3)),
           RNG.standard_normal((3, 1)))
    _grads(torch, tg.bmm, torch.bmm, RNG.standard_normal((2, 3, 4)),
           RNG.standard_normal((2, 4, 5)))
    _grads(torch, lambda a, b: a.bmm(b), lambda a, b: a.bmm(b), RNG.standard_normal((1, 2, 2)),
           RNG.standard_normal((1, 2, 3)))
    a, b = tg.ones(2, 3, 4), tg.ones(2, 4, 5)
    assert tg.gradcheck(lambda x, y: tg.bmm(x, y), (tg.tensor(RNG.standard_normal((2, 3, 4)),
                        requires_grad=True), tg.tensor(RNG.standard_normal((2, 4, 1)),
                                                       requires_grad=True)))
    assert tg.mm(tg.ones(2, 3, dtype=tg.float32), tg.ones(3, 2, dtype=tg.float32)).dtype == \
        np.float32
    for call, words in [(lambda: tg.mm(a, b),
                         "mm: mat1 must be a matrix (2 axes), got shape (2, 3, 4)"),
                        (lambda: tg.mm(tg.ones(3), tg.ones(3, 2)), "mm: mat1 must be a matrix"),
                        (lambda: tg.mm(tg.ones(2, 3), tg.ones(2, 3)), "cannot be multiplied"),
                        (lambda: tg.bmm(tg.ones(3, 4), tg.ones(4, 5)),
                         "bmm: expected batch1 to be a 3-D"),
                        (lambda: a.bmm(tg.ones(1, 4, 5)), "the same number of batches"),
                        (lambda: a.bmm(tg.ones(2, 3, 5)), "cannot be multiplied")]:
        with pytest.raises((ValueError, RuntimeError)) as error:
            call()
        assert words in _message(error)


DIAGONALS = [((3, 3), 0, 0, 1), ((3, 5), 2, 0, 1), ((4, 3), -1, 0, 1), ((2, 3, 4), 1, 2, 0),
             ((2, 3, 4), 0, -1, -3), ((3, 2), 5, 0, 1)]


@pytest.mark.parametrize("shape, offset, dim1, dim2", DIAGONALS)
def test_diagonal_scatter_as_torchs(shape, offset, dim1, dim2):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    src = RNG.standard_normal(np.diagonal(x, offset, dim1, dim2).shape)
    _grads(torch, lambda a, s: tg.diagonal_scatter(a, s, offset, dim1, dim2),
           lambda a, s: torch.diagonal_scatter(a, s, offset, dim1, dim2), x, src)
    _grads(torch, lambda a, s: a.diagonal_scatter(s, offset, dim1, dim2),
           lambda a, s: a.diagonal_scatter(s, offset, dim1, dim2), x, src)
    assert tg.gradcheck(lambda a, s: tg.diagonal_scatter(a, s, offset, dim1, dim2),
                        [tg.Tensor(x, requires_grad=True), tg.Tensor(src, requires_grad=True)])


def test_diagonal_scatter_dtypes_and_errors():
    x32 = tg.zeros(3, 3, dtype=tg.float32)
    out = tg.diagonal_scatter(x32, tg.ones(3))  # (a float64 src: in input's dtype, as torch's)
    assert out.dtype == np.float32 and out.numpy().trace() == 3
    ints = tg.diagonal_scatter(tg.zeros(2, 2, dtype=tg.int64), tg.tensor([4, 5]))
    assert ints.dtype == np.int64 and ints.tolist() == [[4, 0], [0, 5]]
    with pytest.raises(RuntimeError) as error:
        tg.diagonal_scatter(tg.zeros(3, 3), tg.ones(2))
    assert _message(error) == ("diagonal_scatter: src has shape (2,), the diagonal it replaces "
                               "(offset 0, axes 0 and 1) has shape (3,); give src of that shape")
    with pytest.raises(RuntimeError, match="^diagonal_scatter: dim1 and dim2 are both axis 1"):
        tg.diagonal_scatter(tg.zeros(3, 3), tg.ones(3), 0, 1, -1)
    with pytest.raises(IndexError, match="^diagonal_scatter: "):
        tg.diagonal_scatter(tg.zeros(3, 3), tg.ones(3), 0, 0, 2)


INDEX_PUTS = [
    ((3, 4), lambda: (np.array([0, 2]),), (4,), False),
    ((3, 4), lambda: (np.array([0, 2]), np.array([1, 3])), (2,), False),
    ((3, 4), lambda: (np.array([[0], [2]]), np.array([1, 3])), (), False),
    ((3, 4), lambda: (np.array([0, 0, 2]), np.array([1, 1, 3])), (3,), True),
    ((5,), lambda: (np.array([-1, 1]),), (2,), True),
    ((3, 4), lambda: (np.array([True, False, True]),), (1, 4), False),
    ((3, 4), lambda: (np.array([], dtype=np.int64),), (4,), False),
]


@pytest.mark.parametrize("shape, indices, values_shape, accumulate", INDEX_PUTS)
def test_index_put_as_torchs(shape, indices, values_shape, accumulate):
    torch = pytest.importorskip("torch")
    x, v = RNG.standard_normal(shape), RNG.standard_normal(values_shape)
    index = indices()
    _grads(torch, lambda a, b: tg.index_put(a, tuple(tg.tensor(i) for i in index), b, accumulate),
           lambda a, b: torch.index_put(a, tuple(torch.tensor(i) for i in index), b, accumulate),
           x, v)
    _grads(torch, lambda a, b: a.index_put([tg.tensor(i) for i in index], b, accumulate=accumulate),
           lambda a, b: a.index_put([torch.tensor(i) for i in index], b, accumulate=accumulate),
           x, v)
    assert tg.gradcheck(lambda a, b: tg.index_put(a, tuple(tg.tensor(i) for i in index), b,
                                                  accumulate),
                        [tg.Tensor(x, requires_grad=True), tg.Tensor(v, requires_grad=True)])
    ours, theirs = tg.tensor(x), torch.tensor(x)
    assert tg.index_put_(ours, tuple(tg.tensor(i) for i in index), tg.tensor(v),
                         accumulate) is ours
    theirs.index_put_(tuple(torch.tensor(i) for i in index), torch.tensor(v), accumulate)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_index_put_dtypes_and_errors():
    x = tg.zeros(3, 3, dtype=tg.float32)
    assert tg.index_put(x, (tg.tensor([0]),), tg.ones(3, dtype=tg.float32)).dtype == np.float32
    assert tg.index_put(tg.zeros(3, dtype=tg.int64), (tg.tensor([1]),),
                        tg.tensor([7])).tolist() == [0, 7, 0]
    cases = [
        (lambda: tg.index_put(x, (tg.tensor([0]),), tg.ones(3)), RuntimeError,
         "index_put: values have dtype float64 but the tensor has dtype float32; convert them "
         "first (values.to(float32))"),
        (lambda: tg.index_put(x, (tg.tensor([0, 1]),), tg.ones(2, dtype=tg.float32)),
         RuntimeError, "index_put: values of shape (2,) cannot be broadcast to the indexed "
                       "shape (2, 3)"),
        (lambda: tg.index_put(x, (tg.tensor([0, 5]),), tg.ones(3, dtype=tg.float32)),
         IndexError, "index_put: index 5 is out of bounds for axis 0 with size 3 (indices into "
                     "a tensor of shape (3, 3))"),
        (lambda: tg.index_put(x, (tg.tensor([0.0]),), tg.ones(3, dtype=tg.float32)),
         IndexError, "index_put: tensors used as indices must be integer or bool tensors, got "
                     "dtype float64"),
        (lambda: tg.index_put(x, tg.tensor([0]), tg.ones(3, dtype=tg.float32)), TypeError,
         "index_put: indices must be a tuple of tensors (one per indexed axis), got Tensor; "
         "write (index,) for one"),
    ]
    for call, kind, text in cases:
        with pytest.raises(kind) as error:
            call()
        assert _message(error) == text
    w = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^index_put_: "):
        w.index_put_((tg.tensor([0]),), tg.ones(1))
    with tg.no_grad():
        w.index_put_((tg.tensor([0]),), tg.ones(1))
    assert w.tolist() == [1.0, 0.0, 0.0]

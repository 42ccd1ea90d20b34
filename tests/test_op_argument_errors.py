"""Bad arguments to ops get one line naming the op, the shapes or values and what to do,
and odd but valid ones (bool and small integer tensors) give the right numbers.

Each check has a NumPy oracle; where PyTorch is installed the same calls are compared
with it too (`@pytest.mark.torch`).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.nn.functional as F

SMALL_DTYPES = [np.bool_, np.int8, np.uint8, np.int16]

# the ops whose values are real numbers: (tg name, NumPy oracle, torch name)
FLOAT_OPS = [
    ("exp", np.exp, "exp"), ("log", np.log, "log"), ("sqrt", np.sqrt, "sqrt"),
    ("tanh", np.tanh, "tanh"), ("sigmoid", lambda a: 1 / (1 + np.exp(-a)), "sigmoid"),
    ("sin", np.sin, "sin"), ("cos", np.cos, "cos"), ("tan", np.tan, "tan"),
    ("asin", np.arcsin, "asin"), ("acos", np.arccos, "acos"), ("atan", np.arctan, "atan"),
    ("sinh", np.sinh, "sinh"), ("cosh", np.cosh, "cosh"), ("asinh", np.arcsinh, "asinh"),
    ("acosh", np.arccosh, "acosh"), ("atanh", np.arctanh, "atanh"),
    ("log1p", np.log1p, "log1p"), ("expm1", np.expm1, "expm1"), ("log2", np.log2, "log2"),
    ("log10", np.log10, "log10"), ("exp2", np.exp2, "exp2"),
    ("deg2rad", np.deg2rad, "deg2rad"), ("rad2deg", np.rad2deg, "rad2deg"),
    ("rsqrt", lambda a: 1 / np.sqrt(a), "rsqrt"), ("reciprocal", np.reciprocal, "reciprocal"),
]


def _small(dtype) -> np.ndarray:
    """Values of `dtype`: both bools, or small whole numbers (with negatives if signed)."""
    if dtype is np.bool_:
        return np.array([True, False, True])
    values = [0, 1, 2, 3, 7] if np.dtype(dtype).kind == "u" else [-3, -1, 0, 1, 2, 7]
    return np.array(values, dtype=dtype)


# ------------------------------------------------------------------ 1: bool and small ints


@pytest.mark.parametrize("dtype", SMALL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name, oracle, _", FLOAT_OPS, ids=[op[0] for op in FLOAT_OPS])
def test_float_ops_compute_bool_and_small_integers_in_float64(name, oracle, _, dtype):
    data = _small(dtype)
    with np.errstate(all="ignore"):  # (log(0), asin(7): -inf and NaN are the answers)
        out = getattr(tg, name)(tg.from_numpy(data))
        method = getattr(tg.from_numpy(data), name)()
        expected = oracle(data.astype(np.float64))
    assert out.dtype == np.float64 and method.dtype == np.float64, (name, out.dtype)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(method.numpy(), out.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("dtype", SMALL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name, _, torch_name", FLOAT_OPS, ids=[op[0] for op in FLOAT_OPS])
def test_float_ops_of_bool_and_small_integers_match_pytorch(name, _, torch_name, dtype):
    torch = pytest.importorskip("torch")
    data = _small(dtype)
    with np.errstate(all="ignore"):
        out = getattr(tg, name)(tg.from_numpy(data))
    expected = getattr(torch, torch_name)(torch.from_numpy(data))  # (its default float32)
    assert expected.is_floating_point() and out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected.double().numpy(), rtol=1e-6,
                               equal_nan=True)


def test_float_inputs_keep_their_dtype():
    for dtype in (np.float16, np.float32, np.float64):
        x = tg.Tensor([0.5, 1.0], dtype=dtype)
        assert tg.exp(x).dtype == dtype and tg.sin(x).dtype == dtype
        assert tg.softmax(x, 0).dtype == dtype and tg.logsumexp(x).dtype == dtype


def test_square_and_the_steps_keep_integer_dtypes():
    x = tg.from_numpy(np.array([-3, 2], dtype=np.int8))
    assert x.square().dtype == np.int8 and x.square().tolist() == [9, 4]  # NumPy's, PyTorch's
    assert x.floor().dtype == np.int8 and x.round().dtype == np.int8
    mask = tg.from_numpy(np.array([True, False]))
    assert mask.round().dtype == np.bool_ and mask.round().tolist() == [True, False]


@pytest.mark.parametrize("dtype", SMALL_DTYPES, ids=lambda d: np.dtype(d).name)
def test_activations_and_softmax_of_small_integers_in_float64(dtype):
    data = _small(dtype)
    a, x = data.astype(np.float64), tg.from_numpy(data)
    softmax = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
    cases = {
        "elu": (F.elu(x), np.where(a > 0, a, np.expm1(np.minimum(a, 0)))),
        "mish": (F.mish(x), a * np.tanh(np.logaddexp(0, a))),
        "silu": (F.silu(x), a / (1 + np.exp(-a))),
        "logaddexp": (tg.logaddexp(x, x), np.logaddexp(a, a)),
        "logaddexp2": (tg.logaddexp2(x, x), np.logaddexp2(a, a)),
        "softmax": (tg.softmax(x, 0), softmax),
        "log_softmax": (tg.log_softmax(x, 0), np.log(softmax)),
        "logsumexp": (tg.logsumexp(x, 0), np.log(np.exp(a).sum())),
        "norm": (tg.norm(x), np.sqrt((a * a).sum())),
    }
    for name, (out, expected) in cases.items():
        assert out.dtype == np.float64, (name, out.dtype)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, err_msg=name)


def test_norm_of_int8_does_not_overflow():
    x = tg.from_numpy(np.array([100, 100], dtype=np.int8))  # (100 * 100 overflows int8)
    np.testing.assert_allclose(tg.norm(x).item(), np.sqrt(20000.0), rtol=1e-12)


def test_a_float_and_an_integer_tensor_keep_the_floats_dtype_in_logaddexp():
    x = tg.Tensor([0.5, 1.0], dtype=np.float32)
    assert tg.logaddexp(x, tg.from_numpy(np.array([1, 2], dtype=np.int8))).dtype == np.float32


# ------------------------------------------------------------------ 2: logsumexp of ints


def test_logsumexp_of_an_integer_tensor_is_float64():
    data = np.array([[1, 2], [3, 4]])
    out = tg.logsumexp(tg.from_numpy(data), 1)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), np.log(np.exp(data.astype(float)).sum(1)),
                               rtol=1e-12)
    np.testing.assert_allclose(tg.from_numpy(data).logsumexp(dim=1, keepdim=True).numpy(),
                               out.numpy()[:, None], rtol=1e-12)
    assert tg.logsumexp(tg.from_numpy(np.array([True, False]))).dtype == np.float64


@pytest.mark.torch
def test_logsumexp_of_an_integer_tensor_matches_pytorch():
    torch = pytest.importorskip("torch")
    data = np.array([[1, 2], [3, 4]])
    expected = torch.logsumexp(torch.from_numpy(data), 1)
    np.testing.assert_allclose(tg.logsumexp(tg.from_numpy(data), 1).numpy(),
                               expected.double().numpy(), rtol=1e-6)


# ------------------------------------------------------------------ 3: diagonal's dims

M = tg.Tensor(np.arange(6.0).reshape(2, 3))


def test_diagonal_refuses_a_dim_that_is_not_an_int():
    with pytest.raises(TypeError, match=r"diagonal: axis must be an int.*got str '1'"):
        M.diagonal(dim1="1")


@pytest.mark.parametrize("call", [lambda: M.diagonal(dim2=99), lambda: M.diagonal(0, 0, 5),
                                  lambda: M.diagonal(0, -3, 1)])
def test_diagonal_refuses_a_dim_out_of_range(call):
    with pytest.raises(IndexError, match=r"diagonal: axis -?\d+ is out of range for a tensor "
                                         r"with 2 dimension\(s\); use an axis in \[-2, 1\]"):
        call()


def test_diagonal_refuses_one_axis_twice_and_fewer_than_two_axes():
    for error in (ValueError, RuntimeError):  # (NumPy's, PyTorch's)
        with pytest.raises(error, match=r"diagonal: dim1 and dim2 name one axis \(1, -1\)"):
            M.diagonal(0, 1, -1)
    with pytest.raises(IndexError, match=r"diagonal: axis 1 is out of range for a tensor "
                                         r"with 1 dimension"):
        tg.ones(3).diagonal()


def test_diagonal_of_the_transpose_and_negative_dims():
    a = np.arange(6.0).reshape(2, 3)
    for offset in (-1, 0, 1, 2):
        np.testing.assert_array_equal(M.diagonal(offset, 1, 0).numpy(),
                                      np.diagonal(a, offset, 1, 0))
        np.testing.assert_array_equal(M.diagonal(offset, -2, -1).numpy(),
                                      np.diagonal(a, offset, -2, -1))


@pytest.mark.torch
def test_diagonal_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.arange(6.0).reshape(2, 3)
    for args in [(0, 0, 1), (1, 1, 0), (-1, 1, 0), (0, -1, -2), (1, -2, -1)]:
        np.testing.assert_array_equal(M.diagonal(*args).numpy(),
                                      torch.from_numpy(a).diagonal(*args).numpy())
    with pytest.raises(IndexError):
        torch.from_numpy(a).diagonal(0, 0, 5)
    with pytest.raises(IndexError):
        M.diagonal(0, 0, 5)


# ------------------------------------------------------------------ 4: isclose, logical ops

A = tg.Tensor(np.array([[0.1, 0.5, 0.9], [0.3, 0.2, 0.7]]))
B = tg.ones(4, 5)
BROADCAST = r"shapes \(2, 3\), \(4, 5\) do not broadcast together"


@pytest.mark.parametrize("name, call", [
    ("allclose", lambda: tg.allclose(A, B)), ("allclose", lambda: A.allclose(B)),
    ("isclose", lambda: tg.isclose(A, B)), ("isclose", lambda: A.isclose(B)),
    ("logical_and", lambda: tg.logical_and(A, B)), ("logical_or", lambda: tg.logical_or(A, B)),
    ("logical_xor", lambda: A.logical_xor(B)), ("and", lambda: (A > 0) & (B > 0)),
    ("or", lambda: (A > 0) | (B > 0)), ("xor", lambda: (A > 0) ^ (B > 0)),
])
def test_functions_of_two_tensors_name_themselves_when_shapes_do_not_broadcast(name, call):
    with pytest.raises(ValueError, match=rf"^{name}: {BROADCAST}") as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fn", [tg.allclose, tg.isclose])
def test_tolerances_must_be_numbers_of_at_least_zero(fn):
    name = fn.__name__
    with pytest.raises(TypeError, match=rf"{name}: rtol must be a number, got str 'x'"):
        fn(A, A, rtol="x")
    with pytest.raises(TypeError, match=rf"{name}: atol must be a number, got NoneType"):
        fn(A, A, atol=None)
    with pytest.raises(TypeError, match=rf"{name}: equal_nan must be True or False"):
        fn(A, A, equal_nan="x")
    for keyword, value in [("atol", -1.0), ("rtol", -1.0), ("atol", float("nan")),
                           ("rtol", float("nan"))]:
        with pytest.raises(RuntimeError, match=rf"{name}: {keyword} must be greater than or "
                                               rf"equal to zero \(a tolerance\), got"):
            fn(A, A + 0.5, **{keyword: value})


def test_valid_tolerances_still_compare():
    assert tg.allclose(A, A + 1e-9) and not tg.allclose(A, A + 0.5)
    assert tg.allclose(A, A + 0.5, atol=np.float32(0.6), rtol=0)
    assert tg.allclose(A, A + 0.5, atol=1, rtol=0) and tg.allclose(A, A, atol=0, rtol=0)
    nan = tg.Tensor([float("nan"), 1.0])
    assert tg.allclose(nan, nan, equal_nan=True) and not tg.allclose(nan, nan)
    assert tg.isclose(A, tg.Tensor([0.1, 0.5, 0.9])).tolist() == [[True] * 3, [False] * 3]
    assert tg.logical_and(A > 0.2, tg.Tensor([1.0, 0.0, 1.0])).tolist() == \
        [[False, False, True], [True, False, True]]


@pytest.mark.torch
def test_tolerances_are_refused_as_pytorch_refuses_them():
    torch = pytest.importorskip("torch")
    a = torch.from_numpy(A.numpy().copy())
    for keyword in ("atol", "rtol"):
        with pytest.raises(RuntimeError, match=f"{keyword} must be greater than or equal to zero"):
            torch.allclose(a, a, **{keyword: -1.0})
        with pytest.raises(RuntimeError, match=f"{keyword} must be greater than or equal to zero"):
            tg.allclose(A, A, **{keyword: -1.0})


# ------------------------------------------------------------------ 5: reshape


@pytest.mark.parametrize("shape", [(-2, 3), (3, -3), (-1, -1), (-5,)])
def test_reshape_allows_only_minus_one_for_an_unknown_size(shape):
    for name, call in (("reshape", lambda: A.reshape(*shape)), ("view", lambda: A.view(shape)),
                       ("reshape", lambda: tg.reshape(A, shape))):  # (the name called)
        with pytest.raises(ValueError, match=rf"^{name}: sizes must be >= 0, with at most one "
                                             r"-1 \(a size inferred from the others\), got "
                                             + re.escape(str(shape))):
            call()
    assert A.reshape(-1, 2).shape == (3, 2) and A.reshape(6).shape == (6,)


def test_flatten_refuses_a_start_after_its_end():
    x = tg.ones(2, 3, 4)
    with pytest.raises(ValueError, match=r"flatten: start_dim 2 comes after end_dim 1 for a "
                                         r"tensor of shape \(2, 3, 4\); give start_dim <= "):
        x.flatten(2, 1)
    assert x.flatten(1, -1).shape == (2, 12) and x.flatten(-2, 2).shape == (2, 12)
    assert x.flatten(1, 1).shape == (2, 3, 4) and tg.Tensor(1.0).flatten().shape == (1,)


# ------------------------------------------------------------------ 6: lerp and addmm


def test_lerp_names_itself():
    with pytest.raises(ValueError, match=r"^lerp: shapes \(0, 3\), \(4, 5\), \(\) do not "
                                         r"broadcast together"):
        tg.lerp(tg.empty(0, 3), B, 0.5)
    with pytest.raises(ValueError, match=r"^lerp: shapes \(2, 3\), \(2, 3\), \(4, 5\) do not"):
        A.lerp(A, tg.ones(4, 5))
    with pytest.raises(TypeError, match=r"^lerp: weight must be a number, got str 'x'"):
        tg.lerp(A, A, "x")
    out = tg.lerp(A, tg.zeros(3), tg.Tensor([[0.5], [1.0]]))
    np.testing.assert_allclose(out.numpy(), A.numpy() * np.array([[0.5], [0.0]]), rtol=1e-12)


def test_addmm_names_itself():
    mat = tg.ones(3, 5)
    with pytest.raises(ValueError, match=r"^addmm: mat1 and mat2 cannot be multiplied: shapes "
                                         r"\(2, 3\) @ \(4, 5\) contract 3 with 4"):
        tg.addmm(tg.ones(2, 5), A, B)
    with pytest.raises(ValueError, match=r"^addmm: shapes \(4, 5\) do not broadcast to \(2, 5\)"):
        tg.addmm(tg.ones(4, 5), A, mat)
    with pytest.raises(ValueError, match=r"^addmm: shapes \(3, 2, 5\) do not broadcast to"):
        tg.addmm(tg.ones(3, 2, 5), A, mat)
    for bad, shape in [(tg.ones(3), r"\(3,\)"), (tg.ones(2, 2, 3), r"\(2, 2, 3\)")]:
        with pytest.raises(ValueError, match=rf"^addmm: mat1 must be a matrix \(2 axes\), got "
                                             rf"shape {shape}"):
            tg.addmm(tg.ones(2, 5), bad, mat)
    with pytest.raises(ValueError, match=r"^addmm: mat2 must be a matrix"):
        A.addmm(A, tg.ones(3))
    for keyword in ("alpha", "beta"):
        with pytest.raises(TypeError, match=rf"^addmm: {keyword} must be a number, got str"):
            tg.addmm(tg.ones(2, 5), A, mat, **{keyword: "x"})


def test_addmm_with_beta_0_ignores_the_input_nan_too():
    rng = np.random.default_rng(0)
    m1, m2 = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    nan = tg.Tensor(np.full(4, np.nan), requires_grad=True)
    out = tg.addmm(nan, tg.Tensor(m1), tg.Tensor(m2), beta=0, alpha=2.0)
    np.testing.assert_allclose(out.numpy(), 2.0 * m1 @ m2, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_array_equal(nan.grad.numpy(), np.zeros(4))
    bias = rng.normal(size=4)
    np.testing.assert_allclose(tg.addmm(tg.Tensor(bias), tg.Tensor(m1), tg.Tensor(m2),
                                        beta=0.5).numpy(), 0.5 * bias + m1 @ m2, rtol=1e-12)


@pytest.mark.torch
def test_lerp_reaches_its_end_exactly_at_weight_1_and_its_gradients_are_checked():
    # start + w * (end - start) gave 0 for lerp(1e16, 1, 1): PyTorch's two-sided formula
    assert tg.lerp(tg.Tensor([1e16, 0.5]), tg.Tensor([1.0, 3.0]), 1.0).tolist() == [1.0, 3.0]
    assert tg.lerp(tg.Tensor([1e16, 0.5]), tg.Tensor([1.0, 3.0]), 0.0).tolist() == [1e16, 0.5]
    rng = np.random.default_rng(3)
    start, end = (tg.Tensor(rng.normal(size=(2, 3)), requires_grad=True) for _ in range(2))
    weight = tg.Tensor([0.1, 0.5, 0.9], requires_grad=True)  # both sides of 0.5, and at it
    assert tg.gradcheck(tg.lerp, [start, end, weight])


@pytest.mark.torch
def test_addmm_and_lerp_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    bias, m1, m2 = rng.normal(size=4), rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    bias[1] = np.nan
    for beta, alpha in [(0, 1), (0.5, 2.0), (1, 1)]:
        expected = torch.addmm(torch.from_numpy(bias), torch.from_numpy(m1),
                               torch.from_numpy(m2), beta=beta, alpha=alpha)
        out = tg.addmm(tg.Tensor(bias), tg.Tensor(m1), tg.Tensor(m2), beta=beta, alpha=alpha)
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12, equal_nan=True)
    with pytest.raises(RuntimeError, match="mat1 must be a matrix"):
        torch.addmm(torch.ones(2, 5), torch.ones(3), torch.ones(3, 5))
    start, end = rng.normal(size=(2, 3)), rng.normal(size=3)
    np.testing.assert_allclose(tg.lerp(tg.Tensor(start), tg.Tensor(end), 0.25).numpy(),
                               torch.lerp(torch.from_numpy(start), torch.from_numpy(end),
                                          0.25).numpy(), rtol=1e-12)

"""What PyTorch's OpInfo samples (tests/test_torch_opinfo.py) found refused or misread here
among arguments and overloads: `dtype=` of softmax, cumsum, cumprod and prod, `max(a, b)`,
0-d tensors as bounds, in meshgrid and vander, `arange(end=)`, a negative correction,
`var(x, True)`, `gradient(spacing=None)`, `device=`/`layout=` of the creation functions.
Each is checked against NumPy or finite differences; the torch comparisons are marked."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))


def _values(t):
    return np.asarray(t.data)


# ---------------------------------------------------------------- dtype= cast first

@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_take_dtype_and_cast_the_input_first(name):
    ints = np.array([[1, 2, 3], [0, -1, 4]])
    shifted = ints - ints.max(1, keepdims=True)
    exp = np.exp(shifted)
    want = exp / exp.sum(1, keepdims=True) if name == "softmax" else \
        shifted - np.log(exp.sum(1, keepdims=True))
    for call in (lambda t: getattr(tg, name)(t, 1, dtype=tg.float32),
                 lambda t: getattr(t, name)(1, tg.float32),
                 lambda t: getattr(tg.nn.functional, name)(t, 1, dtype=tg.float32)):
        out = call(tg.tensor(ints))
        assert out.dtype == np.float32
        assert np.allclose(_values(out), want, rtol=1e-6)
    x = tg.tensor(X.astype(np.float32), requires_grad=True)
    assert getattr(tg, name)(x, 0, dtype=tg.float64).dtype == np.float64
    assert tg.gradcheck(lambda t: getattr(tg, name)(t, 0, dtype=tg.float64),
                        [tg.tensor(X, requires_grad=True)])


def test_cumsum_cumprod_and_prod_take_dtype_as_numpy_and_pytorch():
    ints = np.array([[1, 2, 3], [4, 5, 6]])
    assert np.array_equal(_values(tg.cumsum(tg.tensor(ints), 1, dtype=tg.float64)),
                          np.cumsum(ints, 1, dtype=np.float64))
    out = tg.tensor(ints).cumsum(0, np.float32)  # (NumPy's third argument)
    assert out.dtype == np.float32 and np.array_equal(_values(out), np.cumsum(ints, 0))
    out = tg.cumprod(tg.tensor(ints), dim=1, dtype=tg.float64)
    assert out.dtype == np.float64 and np.array_equal(_values(out), np.cumprod(ints, 1))
    for keep in (False, True):
        out = tg.prod(tg.tensor(ints), 1, keepdim=keep, dtype=tg.float64)
        assert out.dtype == np.float64
        assert np.array_equal(_values(out), np.prod(ints, 1, keepdims=keep))
    out = tg.tensor(ints).sum(dtype=tg.float32)
    assert out.dtype == np.float32 and _values(out) == ints.sum()
    x = tg.tensor(X, requires_grad=True)
    for f in (lambda t: t.cumsum(1, dtype=tg.float64), lambda t: t.cumprod(0, dtype=tg.float64),
              lambda t: t.prod(1, dtype=tg.float64)):
        assert tg.gradcheck(f, [x]) and tg.gradgradcheck(f, [x])


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "uint8", "int64"])
def test_an_integer_dtype_asked_of_a_sum_or_product_is_the_results(dtype):
    # NumPy adds small integers up in int64: sum(dtype=int32) gave int64, as did cumsum
    ints = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    x, asked = tg.as_tensor(ints), getattr(tg, dtype)
    for ours, numpys in ((x.sum(dtype=asked), ints.sum(dtype=dtype)),
                         (x.prod(1, dtype=asked), ints.prod(1, dtype=dtype)),
                         (tg.cumsum(x, 1, dtype=asked), np.cumsum(ints, 1, dtype=dtype)),
                         (x.cumprod(0, dtype=asked), np.cumprod(ints, 0, dtype=dtype)),
                         (tg.cumsum(tg.as_tensor(np.int32(4)), 0, dtype=asked),
                          np.array(4, dtype=dtype))):
        assert ours.dtype == np.dtype(dtype)
        assert np.array_equal(_values(ours), numpys)


def test_a_float32_input_cast_to_float64_gets_a_float32_gradient():
    x = tg.tensor(X.astype(np.float32), requires_grad=True)
    out = x.cumsum(1, dtype=tg.float64)
    assert out.dtype == np.float64
    out.sum().backward()
    assert x.grad.dtype == np.float32
    assert np.allclose(_values(x.grad), np.arange(4, 0, -1) * np.ones((3, 1)))


def test_a_bad_dtype_is_refused_in_one_line_naming_the_op():
    for call, name in ((lambda: tg.cumsum(tg.tensor([1.0]), 0, dtype="complex128"), "cumsum"),
                       (lambda: tg.prod(tg.tensor([1.0]), dtype="str"), "prod"),
                       (lambda: tg.softmax(tg.tensor([1.0]), 0, dtype=object), "softmax")):
        with pytest.raises(TypeError, match=f"^{name}: ") as error:
            call()
        assert "\n" not in str(error.value)


# ---------------------------------------------------------------- max(a, b)

@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_of_two_tensors_are_elementwise(name):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    b[1] = a[0, 1]  # a tie: the gradient split evenly, as maximum's
    want = getattr(np, f"{name}imum")(a, b)
    for call in (lambda x, y: getattr(tg, name)(x, y), lambda x, y: getattr(x, name)(y),
                 lambda x, y: getattr(tg, name)(x, other=y)):
        out = call(tg.tensor(a), tg.tensor(b))
        assert np.array_equal(_values(out), want)
    x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    getattr(tg, name)(x, y).sum().backward()
    ties = a == b
    wins = (a > b) if name == "max" else (a < b)
    assert np.array_equal(_values(x.grad), wins + 0.5 * ties)
    assert np.array_equal(_values(y.grad), (~wins & ~ties).sum(0) + 0.5 * ties.sum(0))
    with pytest.raises(TypeError, match=f"^{name}: .*elementwise.*no axis or keepdim"):
        getattr(tg, name)(tg.tensor(a), tg.tensor(b), keepdim=True)
    values, indices = getattr(tg, name)(tg.tensor(a), 1)  # an int stays an axis
    assert np.array_equal(_values(values), getattr(np, name)(a, 1))


# ---------------------------------------------------------------- ranges

def test_linspace_and_logspace_take_0d_tensors_as_bounds():
    start, end = tg.tensor(-2.0, dtype=tg.float32), tg.tensor(3)
    assert np.allclose(_values(tg.linspace(start, end, 4)), np.linspace(-2, 3, 4))
    assert np.allclose(_values(tg.linspace(start, end=end, steps=5, dtype=tg.float32)),
                       np.linspace(-2, 3, 5))
    assert np.allclose(_values(tg.logspace(start, end, 3, base=2.0)), np.logspace(-2, 3, 3,
                                                                                  base=2.0))
    leaf = tg.tensor(1.5, requires_grad=True)
    assert not tg.linspace(leaf, 3.0, 3).requires_grad  # (creation: a new leaf)
    for name, call in (("linspace", lambda: tg.linspace(tg.tensor([1.0, 2.0]), 3.0, 3)),
                       ("logspace", lambda: tg.logspace(0.0, tg.tensor([[1.0]]), 3))):
        with pytest.raises(TypeError, match=f"^{name}: .*0-d tensor, got a tensor of shape"):
            call()


def test_arange_takes_end_and_bool_bounds_and_0d_tensors():
    assert np.array_equal(_values(tg.arange(end=3)), np.arange(3))
    assert np.array_equal(_values(tg.arange(0, end=3.1, dtype=tg.float64)), np.arange(0, 3.1))
    assert np.array_equal(_values(tg.arange(start=1, end=7, step=2)), np.arange(1, 7, 2))
    out = tg.arange(False, True, True, dtype=tg.float64)
    assert out.dtype == np.float64 and np.array_equal(_values(out), np.arange(False, True, True))
    assert tg.arange(True).dtype == np.int64 and _values(tg.arange(True)).tolist() == [0]
    assert np.array_equal(_values(tg.arange(tg.tensor(2), tg.tensor(5))), np.arange(2, 5))
    with pytest.raises(TypeError, match="^arange: give stop= or end="):
        tg.arange(0, 3, end=3)
    with pytest.raises(TypeError, match="^arange: give the end"):
        tg.arange()


# ---------------------------------------------------------------- var and std

def test_var_and_std_take_a_bool_second_argument_as_unbiased():
    for flag in (True, False):
        assert np.isclose(_values(tg.tensor(X).var(flag)), np.var(X, ddof=int(flag)))
        assert np.isclose(_values(tg.std(tg.tensor(X), flag)), np.std(X, ddof=int(flag)))
    assert np.isclose(_values(tg.tensor(X).var(0, True)).sum(), np.var(X, 0, ddof=1).sum())
    with pytest.raises(TypeError, match="^var: unbiased given twice"):
        tg.tensor(X).var(True, unbiased=False)


@pytest.mark.parametrize("correction", [-1, -5, 0.5])
def test_a_negative_correction_divides_by_more_than_n(correction):
    n = X.size
    squares = ((X - X.mean()) ** 2).sum()
    for name in ("var_mean", "std_mean"):
        spread, mean = getattr(tg, name)(tg.tensor(X), correction=correction)
        want = squares / (n - correction)
        assert np.isclose(_values(spread), want if name == "var_mean" else np.sqrt(want))
        assert np.isclose(_values(mean), X.mean())
    assert np.isclose(_values(tg.tensor(X).var(correction=correction)), squares / (n - correction))
    assert tg.gradcheck(lambda t: tg.var_mean(t, 1, correction=correction)[0],
                        [tg.tensor(X, requires_grad=True)])


# ---------------------------------------------------------------- 0-d tensors

@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_takes_0d_tensors_as_vectors_of_one_entry(indexing):
    a, b, c = 2.0, np.array([1.0, 2.0, 3.0]), 5.0
    want = np.meshgrid(np.atleast_1d(a), b, np.atleast_1d(c), indexing=indexing)
    for args in ((tg.tensor(a), tg.tensor(b), tg.tensor(c)),
                 ([tg.tensor(a), tg.tensor(b), tg.tensor(c)],)):
        grids = tg.meshgrid(*args, indexing=indexing)
        assert [g.shape for g in grids] == [w.shape for w in want]
        assert all(np.array_equal(_values(g), w) for g, w in zip(grids, want))
    x = tg.tensor(a, requires_grad=True)
    assert tg.gradcheck(lambda t: tg.meshgrid(t, tg.tensor(b), indexing=indexing)[0], [x])
    with pytest.raises(ValueError, match=r"^meshgrid: expects 1-D or 0-d tensors"):
        tg.meshgrid(tg.tensor(X), indexing="ij")


def test_vander_of_a_0d_tensor_is_that_of_one_entry():
    out = tg.linalg.vander(tg.tensor(3.0), N=3)
    assert np.array_equal(_values(out), np.vander([3.0], 3, increasing=True))
    assert np.array_equal(_values(tg.linalg.vander(tg.tensor(2), N=2)), [[1, 2]])
    x = tg.tensor(0.7, requires_grad=True)
    assert tg.gradcheck(lambda t: tg.linalg.vander(t, N=4), [x])
    with pytest.raises(ValueError, match="^vander: N must be greater than 1"):
        tg.linalg.vander(tg.tensor(3.0))


def test_gradient_takes_spacing_none_as_one():
    for order in (1, 2):
        ours = tg.gradient(tg.tensor(X), spacing=None, edge_order=order)
        want = np.gradient(X, edge_order=order)
        assert all(np.allclose(_values(o), w) for o, w in zip(ours, want))


# ---------------------------------------------------------------- device= and layout=

def test_pytorchs_device_and_layout_keywords_are_taken_by_the_creation_functions():
    strided = tg.strided
    assert np.array_equal(_values(tg.triu_indices(4, 5, 1, device="cpu", layout=strided)),
                          np.stack(np.triu_indices(4, 1, 5)))
    assert np.array_equal(_values(tg.tril_indices(4, 5, -1, dtype=tg.int64, device="cpu")),
                          np.stack(np.tril_indices(4, -1, 5)))
    assert tg.normal(1.6, 0.3, (2, 3), dtype=tg.float64, device="cpu",
                     layout="strided").shape == (2, 3)
    out = tg.randint_like(tg.zeros(5), 2, 10, dtype=tg.float64, device=tg.device("cpu"))
    assert out.shape == (5,) and out.dtype == np.float64
    assert ((_values(out) >= 2) & (_values(out) < 10)).all()
    assert tg.zeros(2, layout=strided).shape == (2,)
    for call, name in ((lambda: tg.triu_indices(3, 3, device="cuda"), "triu_indices"),
                       (lambda: tg.normal(0.0, 1.0, (2,), layout="sparse_coo"), "normal"),
                       (lambda: tg.zeros(2, layout="sparse_csr"), "zeros")):
        with pytest.raises(TypeError, match=f"^{name}\\(\\): "):
            call()


# ---------------------------------------------------------------- against torch

@pytest.mark.torch
def test_the_fixed_calls_give_torchs_values_and_gradients():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((3, 4))
    b = RNG.standard_normal((3, 4))
    b[0, 0] = a[0, 0]
    pairs = [
        (lambda m, x: m.softmax(x, 1, dtype=m.float64), [a]),
        (lambda m, x: m.log_softmax(x, 0, dtype=m.float64), [a]),
        (lambda m, x: m.cumsum(x, 1, dtype=m.float64), [a]),
        (lambda m, x: m.cumprod(x, 0, dtype=m.float64), [a]),
        (lambda m, x: m.prod(x, 1, keepdim=True, dtype=m.float64), [a]),
        (lambda m, x, y: m.max(x, y), [a, b]),
        (lambda m, x, y: m.min(x, y), [a, b]),
        (lambda m, x: m.var_mean(x, 1, correction=-1)[0], [a]),
        (lambda m, x: m.std_mean(x, correction=-5)[0], [a]),
        (lambda m, x: x.var(True), [a]),
        (lambda m, x: x.std(False), [a]),
        (lambda m, x: m.linalg.vander(x[0, 0], N=3), [a]),
        (lambda m, x: m.meshgrid(x[0, 0], x[1], indexing="xy")[1], [a]),
        (lambda m, x: m.gradient(x, spacing=None, edge_order=2)[0], [a]),
    ]
    cotangent = None
    for f, args in pairs:
        ours = [tg.tensor(v, requires_grad=True) for v in args]
        theirs = [torch.tensor(v, requires_grad=True) for v in args]
        out, want = f(tg, *ours), f(torch, *theirs)
        assert np.allclose(_values(out), want.detach().numpy(), rtol=1e-10)
        cotangent = RNG.standard_normal(tuple(want.shape))
        out.backward(tg.tensor(cotangent))
        want.backward(torch.tensor(cotangent))
        for o, t in zip(ours, theirs):
            assert np.allclose(_values(o.grad), t.grad.numpy(), rtol=1e-10)
    for f in (lambda m: m.linspace(m.tensor(-2.0), m.tensor(3), 4, dtype=m.float64),
              lambda m: m.logspace(m.tensor(0), m.tensor(2.5), 5, 2.0, dtype=m.float64),
              lambda m: m.arange(False, True, True, dtype=m.float64),
              lambda m: m.arange(end=3.1, dtype=m.float64),
              lambda m: m.triu_indices(5, 6, -2, device="cpu", layout=m.strided),
              lambda m: m.tril_indices(5, 6, 2, dtype=m.int64, device="cpu")):
        out, want = f(tg), f(torch)
        assert out.dtype.name == str(want.dtype).removeprefix("torch.")
        assert np.allclose(_values(out), want.numpy(), rtol=1e-12)

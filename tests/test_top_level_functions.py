"""The `tg.` functions and Tensor methods a PyTorch or NumPy user guesses (torch_functions.py,
properties.py): that none is missing against torch's and NumPy's names, their values and
gradients against torch's, gradcheck in float64, float32 kept, the default dtype, and the
one-line errors.
"""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.nn as nn

RNG = np.random.default_rng(3)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
ROW = RNG.standard_normal(4)
CUBE = RNG.standard_normal((2, 3, 4))
TIES = np.array([[1.0, 2.0, 2.0], [0.0, 2.0, -1.0], [1.0, 2.0, -1.0]])

# -- none missing ----------------------------------------------------------------------------
# names torch has at top level (and as a Tensor method here) that tg deliberately lacks
TORCH_EXCEPTIONS = {
    "device": "a class (torch.device); x.device is 'cpu' here",
    "dtype": "a class (torch.dtype); tg.float32 and the others are NumPy's dtypes",
}
# names NumPy has (and a Tensor method here) that tg deliberately lacks, or answers otherwise
NUMPY_EXCEPTIONS = {
    "select": "np.select(condlist, choicelist) is another function; tg.select is PyTorch's",
    "resize": "np.resize(a, shape) repeats the values to fill the new size; x.resize is "
              "PyTorch's deprecated reshape (x.resize_ in place)",
}
# names of tg functions whose torch Tensor method tg.Tensor deliberately lacks
METHOD_EXCEPTIONS = {
    "indices": "a sparse tensor's indices in PyTorch (tg.indices is a module)",
    "values": "a sparse tensor's values in PyTorch",
}
# PyTorch's in-place spellings tg.Tensor deliberately lacks though the plain method exists
IN_PLACE_EXCEPTIONS = {name: "changes the shape in place, which a tensor here cannot"
                       for name in ("t_", "transpose_", "squeeze_", "unsqueeze_",
                                    "swapaxes_", "swapdims_")}


def _documented_functions(module):
    """Public lower-case names of `module` that are functions with a docstring."""
    return {name for name in dir(module) if name[:1].islower() and not name.startswith("_")
            and callable(getattr(module, name)) and not inspect.isclass(getattr(module, name))
            and (getattr(module, name).__doc__ or "").strip()}


def test_every_torch_function_that_is_a_tensor_method_here_is_a_tg_function():
    torch = pytest.importorskip("torch")
    names = (_documented_functions(torch) | {"detach", "clamp_min", "clamp_max"}) \
        & set(dir(tg.Tensor))
    missing = sorted(n for n in names - set(TORCH_EXCEPTIONS) if not hasattr(tg, n))
    assert not missing, f"torch.NAME and tg.Tensor.NAME exist, tg.NAME does not: {missing}"


def test_every_numpy_function_that_is_a_tensor_method_here_is_a_tg_function():
    names = _documented_functions(np) & set(dir(tg.Tensor))
    missing = sorted(n for n in names - set(NUMPY_EXCEPTIONS) if not hasattr(tg, n))
    assert not missing, f"np.NAME and tg.Tensor.NAME exist, tg.NAME does not: {missing}"


def test_every_tg_function_torch_has_as_a_method_is_a_tensor_method():
    torch = pytest.importorskip("torch")
    names = {n for n in _documented_functions(torch.Tensor)
             if callable(getattr(tg, n, None)) and not inspect.isclass(getattr(tg, n))}
    missing = sorted(n for n in names - set(METHOD_EXCEPTIONS) if not hasattr(tg.Tensor, n))
    assert not missing, f"tg.NAME and torch.Tensor.NAME exist, not tg.Tensor.NAME: {missing}"


def test_every_in_place_spelling_of_a_method_here_is_a_method():
    torch = pytest.importorskip("torch")
    names = {n for n in _documented_functions(torch.Tensor)
             if n.endswith("_") and hasattr(tg.Tensor, n[:-1])}
    missing = sorted(n for n in names - set(IN_PLACE_EXCEPTIONS) if not hasattr(tg.Tensor, n))
    assert not missing, f"tg.Tensor.NAME exists, NAME_ does not: {missing}"


TASK_NAMES = """gt lt ge le eq ne greater less greater_equal less_equal not_equal detach t ravel
unbind select concat broadcast_tensors broadcast_shapes atleast_1d atleast_2d atleast_3d
is_floating_point is_complex is_nonzero is_same_size clamp_min clamp_max positive square rsub
signbit float_power diagflat msort hsplit vsplit dsplit split_with_sizes threshold scalar_tensor
unravel_index result_type promote_types can_cast finfo iinfo get_default_dtype
set_default_dtype dropout embedding layer_norm group_norm batch_norm instance_norm
cosine_similarity pairwise_distance pdist conv1d conv2d conv_transpose1d conv_transpose2d
pixel_shuffle pixel_unshuffle channel_shuffle native_channel_shuffle bilinear prelu selu celu
rrelu hardshrink alpha_dropout feature_alpha_dropout adaptive_avg_pool1d adaptive_max_pool1d
avg_pool1d max_pool1d max_pool1d_with_indices ctc_loss kl_div margin_ranking_loss
hinge_embedding_loss cosine_embedding_loss triplet_margin_loss poisson_nll_loss
binary_cross_entropy_with_logits rms_norm constant_pad_nd""".split()


def test_the_names_torch_has_at_top_level_are_here():
    torch = pytest.importorskip("torch")
    assert all(hasattr(torch, name) for name in TASK_NAMES)
    assert [name for name in TASK_NAMES if not hasattr(tg, name)] == []
    assert set(tg.torch_functions.__all__) | set(tg.properties.__all__) <= set(tg.__all__)


# torch's top-level signatures (its schemas' argument names; `self` is `input`)
SIGNATURES = ["dropout", "alpha_dropout", "feature_alpha_dropout", "embedding", "layer_norm",
              "group_norm", "batch_norm", "instance_norm", "rrelu", "avg_pool1d", "max_pool1d",
              "max_pool1d_with_indices", "adaptive_max_pool1d", "constant_pad_nd", "ctc_loss",
              "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
              "triplet_margin_loss", "poisson_nll_loss", "binary_cross_entropy_with_logits",
              "split_with_sizes", "diagflat", "unbind", "select", "concat", "rsub",
              "cosine_similarity", "pairwise_distance", "bilinear", "hardshrink", "threshold",
              "kl_div"]


@pytest.mark.parametrize("name", SIGNATURES)
def test_signature_is_torchs(name):
    torch = pytest.importorskip("torch")
    schema = torch._C._jit_get_schemas_for_operator(f"aten::{name}")[0]
    theirs = ["input" if a.name == "self" else a.name for a in schema.arguments]
    ours = list(inspect.signature(getattr(tg, name)).parameters)
    assert ours[:len(theirs)] == theirs


# -- values and gradients against torch ------------------------------------------------------
def _pair(*arrays, dtype=np.float64, grad=True):
    torch = pytest.importorskip("torch")
    ours = [tg.Tensor(a.astype(dtype), dtype=dtype, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=grad) for a in arrays]
    return ours, theirs


def _same(got, expected, tol=1e-12):
    """One tensor or a tuple of them against torch's: values and dtype."""
    if isinstance(expected, (tuple, list)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _same(g, e, tol)
        return
    e = expected.detach().numpy()
    assert got.shape == e.shape
    assert np.dtype(got.dtype) == e.dtype
    np.testing.assert_allclose(np.asarray(got._data, dtype=float), e.astype(float), rtol=tol,
                               atol=tol)


def _same_grad(ours, theirs, tol=1e-10):
    for o, t in zip(ours, theirs):
        if t.grad is None:
            assert o.grad is None or not np.any(o.grad._data)
        else:
            np.testing.assert_allclose(o.grad._data, t.grad.numpy(), rtol=tol, atol=tol)


COMPARISONS = ["gt", "lt", "ge", "le", "eq", "ne", "greater", "less", "greater_equal",
               "less_equal", "not_equal"]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_as_torchs(name):
    torch = pytest.importorskip("torch")
    x, y = TIES, TIES[::-1].copy()
    for ours_other, their_other in ((tg.Tensor(y), torch.tensor(y)), (2.0, 2.0),
                                    (tg.Tensor(y[0]), torch.tensor(y[0]))):
        got = getattr(tg, name)(tg.Tensor(x), ours_other)
        _same(got, getattr(torch, name)(torch.tensor(x), their_other))
        _same(getattr(tg.Tensor(x), name)(ours_other),
              getattr(torch.tensor(x), name)(their_other))
    empty = getattr(tg, name)(tg.zeros(0, 3, dtype=tg.float32), 0.0)
    assert empty.shape == (0, 3) and empty.dtype == bool and not empty.requires_grad


def test_views_and_joins_as_torchs():
    torch = pytest.importorskip("torch")
    (x, y), (tx, ty) = _pair(A, B)
    for ours, theirs in ((tg.t(x), torch.t(tx)), (tg.ravel(x), torch.ravel(tx)),
                         (tg.unbind(x, 1), torch.unbind(tx, 1)),
                         (tg.select(x, 1, -1), torch.select(tx, 1, -1)),
                         (tg.concat([x, y], 1), torch.concat([tx, ty], 1)),
                         (tg.concat((x, y)), torch.concat((tx, ty))),
                         (tg.broadcast_tensors(x, y[0]), torch.broadcast_tensors(tx, ty[0])),
                         (tg.conj(x), torch.conj(tx)), (tg.real(x), torch.real(tx))):
        _same(ours, theirs)
    detached = tg.detach(x)
    assert not detached.requires_grad and np.array_equal(detached.numpy(), A)
    assert tg.t(tg.Tensor(ROW)).shape == (4,)
    assert tg.broadcast_shapes((3, 1), (4,), 1) == torch.broadcast_shapes((3, 1), (4,), 1)
    assert tg.broadcast_shapes() == ()


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast_shapes_as_torchs(name):
    torch = pytest.importorskip("torch")
    arrays = [np.array(1.5), ROW, A, CUBE]
    for a in arrays:
        assert getattr(tg, name)(tg.Tensor(a)).shape == getattr(torch, name)(
            torch.tensor(a)).shape
    ours = getattr(tg, name)(*[tg.Tensor(a) for a in arrays])
    theirs = getattr(torch, name)(*[torch.tensor(a) for a in arrays])
    assert [o.shape for o in ours] == [tuple(t.shape) for t in theirs]
    assert isinstance(getattr(tg, name)([tg.Tensor(ROW)]), tuple)
    assert tg.gradcheck(lambda v: getattr(tg, name)(v), [tg.Tensor(ROW, requires_grad=True)])


def test_gradients_of_the_views_and_joins():
    x, y = (tg.Tensor(a, requires_grad=True) for a in (A, B))
    assert tg.gradcheck(lambda a, b: tg.concat([a, b], dim=1), [x, y])
    assert tg.gradcheck(lambda a: tg.select(a, 0, 1).sum() * tg.unbind(a, 1)[2], [x])
    assert tg.gradcheck(lambda a, b: tg.broadcast_tensors(a, b[:1])[1], [x, y])
    assert tg.gradcheck(lambda a: tg.t(a) * 2 + tg.ravel(a).sum(), [x])


def test_predicates_as_torchs():
    torch = pytest.importorskip("torch")
    for a in (A, A.astype(np.float32), np.array([1, 2]), np.array([True])):
        assert tg.is_floating_point(tg.as_tensor(a)) == torch.is_floating_point(
            torch.tensor(a))
        assert tg.is_complex(tg.as_tensor(a)) is False
    for value in (0.0, -0.0, 2.0, float("nan")):
        assert tg.is_nonzero(tg.Tensor([[value]])) == torch.is_nonzero(torch.tensor([[value]]))
    assert tg.is_same_size(tg.Tensor(A), tg.Tensor(B)) and not tg.is_same_size(
        tg.Tensor(A), tg.Tensor(ROW))
    assert tg.Tensor(A).is_nonzero is not None and tg.Tensor([3.0]).is_nonzero()


def test_arithmetic_spellings_as_torchs():
    torch = pytest.importorskip("torch")
    (x, y), (tx, ty) = _pair(A, B)
    cases = [(tg.clamp_min(x, 0.1), torch.clamp_min(tx, 0.1)),
             (tg.clamp_max(x, y), torch.clamp_max(tx, ty)),
             (tg.rsub(x, y, alpha=3), torch.rsub(tx, ty, alpha=3)),
             (tg.rsub(x, 2.0), torch.rsub(tx, 2.0)),
             (tg.positive(x), torch.positive(tx)),
             (tg.float_power(x.abs(), y), torch.float_power(tx.abs(), ty)),
             (tg.diagflat(x, 1), torch.diagflat(tx, 1)), (tg.msort(x), torch.msort(tx))]
    for ours, theirs in cases:
        _same(ours, theirs)
    sum(o.sum() for o, _ in cases).backward()
    sum(t.sum() for _, t in cases).backward()
    _same_grad([x, y], [tx, ty])
    signs = np.array([-0.0, 0.0, -1.5, 2.0, -np.inf])
    _same(tg.signbit(tg.Tensor(signs)), torch.signbit(torch.tensor(signs)))
    assert np.array_equal(tg.diagflat(tg.Tensor(A), k=-2).numpy(), np.diagflat(A, k=-2))


def test_arithmetic_gradcheck_and_float32():
    x, y = (tg.Tensor(a, requires_grad=True) for a in (A, B))
    assert tg.gradcheck(lambda a, b: tg.float_power(a.abs() + 0.5, b), [x, y])
    assert tg.gradcheck(lambda a, b: tg.rsub(a, b, alpha=2), [x, y])
    assert tg.gradcheck(lambda a: tg.diagflat(a, -1), [x])
    assert tg.gradcheck(lambda a, b: tg.clamp_min(a, b) + tg.clamp_max(a, 0.2), [x, y])
    single = tg.Tensor(A.astype(np.float32), dtype=tg.float32, requires_grad=True)
    assert tg.float_power(single, 2).dtype == np.float64  # (torch's: computed in double)
    tg.float_power(single, 2).sum().backward()
    assert single.grad.dtype == np.float32
    assert tg.msort(single).dtype == tg.rsub(single, 1.0).dtype == np.float32
    assert tg.msort(tg.Tensor(TIES)).numpy().tolist() == np.sort(TIES, axis=0).tolist()


@pytest.mark.parametrize("name", ["hsplit", "vsplit", "dsplit"])
def test_splits_as_torchs(name):
    torch = pytest.importorskip("torch")
    data = RNG.standard_normal((4, 6, 2))
    (x,), (tx,) = _pair(data)
    for cut in (2, [1, 3], [0, 9]):
        _same(getattr(tg, name)(x, cut), getattr(torch, name)(tx, cut))
        _same(getattr(x, name)(cut), getattr(tx, name)(cut))
    assert tg.gradcheck(lambda a: getattr(tg, name)(a, [1])[1], [x])
    if name == "hsplit":
        _same(tg.hsplit(tg.Tensor(ROW), 2), torch.hsplit(torch.tensor(ROW), 2))


def test_split_with_sizes_as_torchs():
    torch = pytest.importorskip("torch")
    (x,), (tx,) = _pair(A)
    _same(tg.split_with_sizes(x, [1, 0, 3], 1), torch.split_with_sizes(tx, [1, 0, 3], 1))
    _same(x.split_with_sizes([2, 1]), tx.split_with_sizes([2, 1]))
    assert tg.gradcheck(lambda a: tg.split_with_sizes(a, [3, 1], dim=-1)[0], [x])


def test_scalar_tensor_and_unravel_index_as_torchs():
    torch = pytest.importorskip("torch")
    assert tg.scalar_tensor(3).dtype == np.float64 and tg.scalar_tensor(3).shape == ()
    assert tg.scalar_tensor(2, dtype=tg.int64).item() == 2
    assert tg.scalar_tensor(1.5, requires_grad=True).requires_grad
    for indices in ([0, 5, 11, -1, -12], 7, [[3, 4]], []):
        ours = tg.unravel_index(tg.as_tensor(indices, dtype=tg.int64), (3, 4))
        _same(ours, torch.unravel_index(torch.tensor(indices, dtype=torch.int64), (3, 4)))
    assert tg.unravel_index(tg.as_tensor([5]), 6)[0].tolist() == [5]


def test_numpy_readers_as_numpys():
    x = tg.Tensor(CUBE, requires_grad=True)
    assert tg.shape(x) == np.shape(CUBE) and tg.ndim(x) == 3 and tg.size(x) == 24
    assert tg.size(x, 1) == np.size(CUBE, 1) == 3 and tg.size(5.0) == 1
    assert np.array_equal(tg.ptp(x, axis=1).numpy(), np.ptp(CUBE, axis=1))
    assert tg.astype(x, np.float32).dtype == np.float32
    assert tg.astype(x, np.float64, copy=False) is x
    assert tg.gradcheck(lambda a: tg.copy(a) * tg.astype(a, np.float64), [x])


# -- dtypes ------------------------------------------------------------------------------------
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_promote_types_and_can_cast_as_torchs():
    torch = pytest.importorskip("torch")
    for a in DTYPES:
        for b in DTYPES:
            assert tg.can_cast(a, b) == torch.can_cast(getattr(torch, a), getattr(torch, b))
            ours = tg.promote_types(a, b)
            assert ours.name == str(torch.promote_types(getattr(torch, a), getattr(torch, b)))[6:]
            if "bool" not in (a, b):  # (what the ops give: + of two bool tensors is refused)
                assert ours == (tg.zeros(1, dtype=a) + tg.zeros(1, dtype=b)).dtype


def test_result_type_is_what_the_ops_give():
    torch = pytest.importorskip("torch")
    f32, f64 = tg.ones(2, dtype=tg.float32), tg.ones(2)
    i64, i32, int0 = tg.as_tensor([1, 2]), tg.as_tensor([1, 2], dtype=tg.int32), tg.tensor(3)
    cases = [(f32, f64), (f32, tg.tensor(2.0)), (i64, f32), (i32, 3), (i64, 1.5), (f32, 2.0),
             (i32, int0), (tg.tensor(True), i32), (2, 3.0), (True, 1), (f32, True)]
    # where torch differs: a float with an integer tensor is torch's default dtype (float32
    # there, float64 here); an int32 tensor with a 0-d int64 tensor is int32 in both
    differ = [(i64, 1.5), (2, 3.0)]
    for x, y in cases:
        ours = tg.result_type(x, y)
        their_x, their_y = (torch.tensor(v._data) if isinstance(v, tg.Tensor) else v
                            for v in (x, y))
        theirs = np.dtype(str(torch.result_type(their_x, their_y))[6:])
        assert (ours != theirs) == any(x is a and y is b for a, b in differ), (x, y)
        if isinstance(x, tg.Tensor):
            assert ours == (x + y).dtype == (y + x).dtype


def test_finfo_and_iinfo_as_torchs():
    torch = pytest.importorskip("torch")
    for name in ("float16", "float32", "float64"):
        ours, theirs = tg.finfo(getattr(tg, name)), torch.finfo(getattr(torch, name))
        for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution",
                      "dtype"):
            assert getattr(ours, field) == getattr(theirs, field), field
        assert type(ours.eps) is float and tg.finfo(name) == ours
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        ours, theirs = tg.iinfo(getattr(tg, name)), torch.iinfo(getattr(torch, name))
        assert (ours.bits, ours.max, ours.min, ours.dtype) == (theirs.bits, theirs.max,
                                                              theirs.min, theirs.dtype)
    assert tg.finfo().dtype == "float64" and "eps=2.22045e-16" in repr(tg.finfo())


def test_default_dtype():
    assert tg.get_default_dtype() == tg.float64
    try:
        tg.set_default_dtype(tg.float32)
        assert tg.get_default_dtype() == np.float32 and tg.finfo().dtype == "float32"
        made = [tg.zeros(2), tg.ones(2, 2), tg.full((2,), 1.5), tg.empty(1), tg.eye(2),
                tg.rand(2, seed=0), tg.randn(2, seed=0), tg.arange(3.0), tg.linspace(0, 1, 3),
                tg.logspace(0, 1, 3), tg.tensor([1.5, 2.0]), tg.tensor(0.5),
                tg.as_tensor([0.5]), tg.scalar_tensor(3), tg.rand_like(tg.as_tensor([1])),
                tg.Tensor([1, 2]), tg.Tensor(2.5), nn.Linear(2, 3).weight, nn.Conv2d(1, 1, 1).bias,
                nn.LayerNorm(2).weight]
        assert [t.dtype for t in made] == [np.float32] * len(made)
        ints = tg.tensor([1, 2])  # (an op of real values on integers: the default float)
        assert ints.exp().dtype == tg.sigmoid(ints).dtype == ints.sqrt().dtype == np.float32
        kept = [tg.tensor(np.array([1.5])), tg.tensor([1, 2]), tg.arange(3),
                tg.zeros(2, dtype=tg.float64), tg.tensor([True]), tg.ones_like(tg.ones(1) > 0),
                tg.Tensor(np.array([1.5])), nn.Linear(2, 3, dtype=tg.float64).weight]
        assert [t.dtype for t in kept] == [np.float64, np.int64, np.int64, np.float64, bool,
                                           bool, np.float64, np.float64]
    finally:
        tg.set_default_dtype(tg.float64)
    assert tg.zeros(1).dtype == tg.tensor([1.5]).dtype == np.float64


def test_default_dtype_reaches_integer_arrays_and_numbers_met_by_integers_as_torchs():
    """set_default_dtype(float32): Tensor() of an integer array, and a Python float met by an
    integer or bool tensor, give float32 as torch's (they gave float64); result_type says
    so too; a float array or a torch float64 tensor keeps its dtype."""
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float32)
        tg.set_default_dtype(tg.float32)
        whole, mask = np.array([1, 2, 3]), np.array([True, False, True])
        pairs = [(tg.Tensor(whole), torch.Tensor(whole)),
                 (tg.Tensor(np.int64(2)), torch.Tensor([2])),
                 (tg.tensor(whole) * 0.5, torch.tensor(whole) * 0.5),
                 (tg.tensor(whole) - 1.5, torch.tensor(whole) - 1.5),
                 (tg.where(tg.tensor(mask), 1.0, 0.0), torch.where(torch.tensor(mask), 1.0, 0.0)),
                 (tg.tensor(mask) * 2.5, torch.tensor(mask) * 2.5),
                 (tg.Tensor(np.ones(2)), torch.tensor(np.ones(2)))]
        with warnings.catch_warnings():  # (torch's __array__ takes no copy=: NumPy's note)
            warnings.simplefilter("ignore", DeprecationWarning)
            pairs.append((tg.tensor(torch.ones(2, dtype=torch.float64)),
                          torch.ones(2, dtype=torch.float64)))
        for ours, theirs in pairs:
            assert ours.dtype.name == str(theirs.dtype)[6:]
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert tg.result_type(tg.tensor(whole), 0.5) == (tg.tensor(whole) * 0.5).dtype
        assert (tg.tensor(whole) + 1).dtype == np.int64  # (an int keeps the integer dtype)
    finally:
        torch.set_default_dtype(before)
        tg.set_default_dtype(tg.float64)


def test_float_power_is_float64_whatever_the_default_dtype():
    """A list or number base is read in float64 (under float32 it was made float32 first:
    float_power(0.1, x) lost 0.1's digits, float_power([1.5], 2) was float32)."""
    torch = pytest.importorskip("torch")
    try:
        tg.set_default_dtype(tg.float32)
        exponent = tg.tensor([1.0, 2.0], dtype=tg.float32)
        ours = [tg.float_power(0.1, exponent), tg.float_power([0.1, 1.5], 2)]
    finally:
        tg.set_default_dtype(tg.float64)
    theirs = [torch.float_power(0.1, torch.tensor([1.0, 2.0])),
              torch.float_power(torch.tensor([0.1, 1.5], dtype=torch.float64), 2)]
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float64  # (0.1 through float32 is 1.5e-9 off, relatively)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-15)


def test_where_method_takes_torchs_keyword():
    torch = pytest.importorskip("torch")
    (x, y), (tx, ty) = _pair(A, B)
    _same(x.where(condition=tg.as_tensor(A > 0), other=y),
          tx.where(condition=torch.tensor(A > 0), other=ty))
    _same(x.where(tg.as_tensor(A > 0), other=0.5), tx.where(torch.tensor(A > 0), other=0.5))


def test_default_dtype_as_torchs():
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    try:
        for name in ("float32", "float64", "float16"):
            torch.set_default_dtype(getattr(torch, name))
            tg.set_default_dtype(name)
            assert str(torch.tensor([1.5]).dtype)[6:] == tg.tensor([1.5]).dtype.name
            assert str(torch.arange(2.0).dtype)[6:] == tg.arange(2.0).dtype.name
            assert str(torch.scalar_tensor(1).dtype)[6:] == tg.scalar_tensor(1).dtype.name
    finally:
        torch.set_default_dtype(before)
        tg.set_default_dtype(tg.float64)


# -- PyTorch's top-level neural-network functions ----------------------------------------------
def _nn_cases(torch):
    """(name, our call, torch's call, arrays) for each top-level F function."""
    image, seq = RNG.standard_normal((2, 4, 3, 3)), RNG.standard_normal((2, 4, 6))
    weight, labels = RNG.standard_normal((5, 3)), np.array([[0, 4], [2, 2]])
    kernel1, kernel2 = RNG.standard_normal((4, 3, 2)), RNG.standard_normal((4, 2, 2, 2))
    probs = np.log(RNG.dirichlet(np.ones(4), size=3))
    sign = np.array([1.0, -1.0, 1.0])
    return [
        ("embedding", lambda w: tg.embedding(w, labels),
         lambda w: torch.embedding(w, torch.tensor(labels)), [weight]),
        ("embedding padding_idx", lambda w: tg.embedding(w, labels, 2),
         lambda w: torch.embedding(w, torch.tensor(labels), 2), [weight]),
        ("layer_norm", lambda x, w: tg.layer_norm(x, (6,), w[0, 0], None, 1e-3),
         lambda x, w: torch.layer_norm(x, (6,), w[0, 0], None, 1e-3), [seq, seq]),
        ("group_norm", lambda x: tg.group_norm(x, 2), lambda x: torch.group_norm(x, 2), [seq]),
        ("batch_norm", lambda x, w: tg.batch_norm(x, w[0, :, 0], w[1, :, 0], None, None, True,
                                                  0.1, 1e-5, False),
         lambda x, w: torch.batch_norm(x, w[0, :, 0], w[1, :, 0], None, None, True, 0.1, 1e-5,
                                       False), [seq, seq]),
        ("instance_norm", lambda x: tg.instance_norm(x, None, None, None, None, True, 0.1,
                                                     1e-5, False),
         lambda x: torch.instance_norm(x, None, None, None, None, True, 0.1, 1e-5, False),
         [seq]),
        ("rms_norm", lambda x: tg.rms_norm(x, [6]), lambda x: torch.rms_norm(x, [6]), [seq]),
        ("cosine_similarity", tg.cosine_similarity, torch.cosine_similarity, [A, B]),
        ("pairwise_distance", tg.pairwise_distance, torch.pairwise_distance, [A, B]),
        ("pdist", tg.pdist, torch.pdist, [A]),
        ("conv1d", lambda x, w: tg.conv1d(x, w[:3, :, :2], None, 2, 1),
         lambda x, w: torch.conv1d(x, w[:3, :, :2], None, 2, 1), [seq, seq]),
        ("conv_transpose1d", lambda x, w: tg.conv_transpose1d(x, w, None, 2),
         lambda x, w: torch.conv_transpose1d(x, w, None, 2), [seq, kernel1]),
        ("conv_transpose2d", lambda x, w: tg.conv_transpose2d(x, w, None, 1, 1),
         lambda x, w: torch.conv_transpose2d(x, w, None, 1, 1), [image, kernel2]),
        ("pixel_shuffle", lambda x: tg.pixel_shuffle(x, 2), lambda x: torch.pixel_shuffle(x, 2),
         [image]),
        ("pixel_unshuffle", lambda x: tg.pixel_unshuffle(x[..., :2, :2], 2),
         lambda x: torch.pixel_unshuffle(x[..., :2, :2], 2), [image]),
        ("channel_shuffle", lambda x: tg.channel_shuffle(x, 2),
         lambda x: torch.channel_shuffle(x, 2), [image]),
        ("native_channel_shuffle", lambda x: tg.native_channel_shuffle(x, 2),
         lambda x: torch.native_channel_shuffle(x, 2), [image]),
        ("bilinear", lambda x, y, w: tg.bilinear(x, y, w[:2, :, :]),
         lambda x, y, w: torch.bilinear(x, y, w[:2, :, :]), [A, B, RNG.standard_normal((2, 4, 4))]),
        ("prelu", lambda x: tg.prelu(x, tg.Tensor([0.2], dtype=x.dtype)),  # (one dtype)
         lambda x: torch.prelu(x, torch.tensor([0.2], dtype=torch.float64)), [A]),
        ("selu", tg.selu, torch.selu, [A]), ("celu", tg.celu, torch.celu, [A]),
        ("rrelu", tg.rrelu, torch.rrelu, [A]),
        ("hardshrink", lambda x: tg.hardshrink(x, 0.3), lambda x: torch.hardshrink(x, 0.3),
         [A]),
        ("threshold", lambda x: tg.threshold(x, 0.1, -2.0),
         lambda x: torch.threshold(x, 0.1, -2.0), [A]),
        ("dropout", lambda x: tg.dropout(x, 0.5, False), lambda x: torch.dropout(x, 0.5, False),
         [A]),
        ("alpha_dropout", lambda x: tg.alpha_dropout(x, 0.5, False),
         lambda x: torch.alpha_dropout(x, 0.5, False), [A]),
        ("feature_alpha_dropout", lambda x: tg.feature_alpha_dropout(x, 0.5, False),
         lambda x: torch.feature_alpha_dropout(x, 0.5, False), [A]),
        ("adaptive_avg_pool1d", lambda x: tg.adaptive_avg_pool1d(x, 4),
         lambda x: torch.adaptive_avg_pool1d(x, 4), [seq]),
        ("adaptive_max_pool1d", lambda x: tg.adaptive_max_pool1d(x, 4),
         lambda x: torch.adaptive_max_pool1d(x, 4), [seq]),
        ("avg_pool1d", lambda x: tg.avg_pool1d(x, 3, [], 1, True, False),
         lambda x: torch.avg_pool1d(x, 3, [], 1, True, False), [seq]),
        ("max_pool1d", lambda x: tg.max_pool1d(x, 2), lambda x: torch.max_pool1d(x, 2), [seq]),
        ("max_pool1d_with_indices", lambda x: tg.max_pool1d_with_indices(x, 3, 2, 1),
         lambda x: torch.max_pool1d_with_indices(x, 3, 2, 1), [seq]),
        ("constant_pad_nd", lambda x: tg.constant_pad_nd(x, [1, -1, 2, 0], 0.5),
         lambda x: torch.constant_pad_nd(x, [1, -1, 2, 0], 0.5), [A]),
        ("kl_div", lambda x, y: tg.kl_div(x, y, 2, log_target=True),
         lambda x, y: torch.kl_div(x, y, 2, log_target=True), [probs, probs[::-1].copy()]),
        ("kl_div", tg.kl_div, torch.kl_div, [probs, np.exp(probs[::-1])]),
        ("margin_ranking_loss", lambda x, y: tg.margin_ranking_loss(x[0], y[0], sign, 0.1),
         lambda x, y: torch.margin_ranking_loss(x[0], y[0], torch.tensor(sign), 0.1),
         [A[:, :3], B[:, :3]]),
        ("hinge_embedding_loss", lambda x: tg.hinge_embedding_loss(x, sign, 0.5, 0),
         lambda x: torch.hinge_embedding_loss(x, torch.tensor(sign), 0.5, 0), [TIES[1]]),
        ("cosine_embedding_loss", lambda x, y: tg.cosine_embedding_loss(x, y, sign),
         lambda x, y: torch.cosine_embedding_loss(x, y, torch.tensor(sign)), [A, B]),
        ("triplet_margin_loss", lambda x, y, z: tg.triplet_margin_loss(x, y, z, 1.0, 2.0, 1e-6,
                                                                         True, 2),
         lambda x, y, z: torch.triplet_margin_loss(x, y, z, 1.0, 2.0, 1e-6, True, 2),
         [A, B, RNG.standard_normal((3, 4))]),
        ("poisson_nll_loss", lambda x, y: tg.poisson_nll_loss(x, y.abs(), True, True, 1e-8, 1),
         lambda x, y: torch.poisson_nll_loss(x, y.abs(), True, True, 1e-8, 1), [A, B]),
        ("binary_cross_entropy_with_logits",
         lambda x, y: tg.binary_cross_entropy_with_logits(x, y.sigmoid(), tg.Tensor(ROW ** 2)),
         lambda x, y: torch.binary_cross_entropy_with_logits(x, y.sigmoid(),
                                                              torch.tensor(ROW ** 2)), [A, B]),
        ("binary_cross_entropy_with_logits", lambda x: tg.binary_cross_entropy_with_logits(
            x, B > 0, None, tg.Tensor(ROW ** 2), 1),
         lambda x: torch.binary_cross_entropy_with_logits(
             x, torch.tensor(B > 0).double(), None, torch.tensor(ROW ** 2), 1), [A]),
    ]


def test_nn_functions_as_torchs():
    torch = pytest.importorskip("torch")
    for name, ours_fn, torch_fn, arrays in _nn_cases(torch):
        ours, theirs = _pair(*arrays)
        got, expected = ours_fn(*ours), torch_fn(*theirs)
        _same(got, expected, 1e-9)
        if name == "native_channel_shuffle":  # (torch's has no derivative)
            continue
        (got[0] if isinstance(got, tuple) else got).sum().backward()
        (expected[0] if isinstance(expected, tuple) else expected).sum().backward()
        _same_grad(ours, theirs, 1e-8)


def test_nn_functions_gradcheck_and_float32():
    torch = pytest.importorskip("torch")
    for name, ours_fn, _, arrays in _nn_cases(torch):
        ours = [tg.Tensor(a, requires_grad=True) for a in arrays]
        out = ours_fn(*ours)
        if name == "embedding padding_idx":  # (that row gets no gradient, by design)
            continue
        assert tg.gradcheck(lambda *xs: _first(ours_fn(*xs)), ours), name
        singles = [tg.Tensor(a.astype(np.float32), dtype=tg.float32) for a in arrays]
        assert _first(ours_fn(*singles)).dtype == np.float32, name
        assert _first(out).dtype == np.float64


def _first(result):
    return result[0] if isinstance(result, tuple) else result


def test_ctc_loss_as_torchs():
    torch = pytest.importorskip("torch")
    logits = RNG.standard_normal((6, 2, 4))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets, lengths, target_lengths = np.array([[1, 2], [3, 3]]), [6, 5], [2, 2]
    (x,), (tx,) = _pair(log_probs)
    for reduction in (0, 1, 2, "sum"):
        ours = tg.ctc_loss(x, targets, lengths, target_lengths, 0, reduction)
        theirs = torch.ctc_loss(tx, torch.tensor(targets), lengths, target_lengths, 0,
                                reduction if isinstance(reduction, int) else 2)
        _same(ours, theirs, 1e-9)
    assert tg.gradcheck(lambda a: tg.ctc_loss(a, targets, lengths, target_lengths), [x])


def test_relu_in_place_as_torchs():
    torch = pytest.importorskip("torch")
    x, tx = tg.Tensor(A.copy()), torch.tensor(A.copy())
    assert tg.relu_(x) is x
    torch.relu_(tx)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())


def test_dropout_in_training_keeps_or_scales():
    x = tg.ones(200, 10)
    out = tg.dropout(x, 0.25, True).numpy()
    assert set(np.unique(out)) <= {0.0, 1 / 0.75} and 0 < (out == 0).mean() < 0.5
    assert tg.dropout(x, 0.25, False) is not None


# -- Tensor methods -----------------------------------------------------------------------------
def test_tensor_methods_as_torchs():
    torch = pytest.importorskip("torch")
    (x, y), (tx, ty) = _pair(A, B)
    mask = A > 0
    cases = [(x.greater(y), tx.greater(ty)), (x.less_equal(0.1), tx.less_equal(0.1)),
             (x.not_equal(x), tx.not_equal(tx)), (x.absolute(), tx.absolute()),
             (x.true_divide(y), tx.true_divide(ty)),
             (x.where(tg.as_tensor(mask), y), tx.where(torch.tensor(mask), ty)),
             (x.sum_to_size(1, 4), tx.sum_to_size(1, 4)), (x.sum_to_size(4), tx.sum_to_size(4)),
             (x.sum_to_size(3, 1), tx.sum_to_size(3, 1)), (x.hardshrink(0.4), tx.hardshrink(0.4)),
             (x.positive(), tx.positive()), (x.signbit(), tx.signbit()),
             (x.float_power(2), tx.float_power(2)), (x.diagflat(), tx.diagflat()),
             (x.msort(), tx.msort())]
    for ours, theirs in cases:
        _same(ours, theirs)
    assert x.ndimension() == tx.ndimension() == 2
    assert x.is_same_size(y) and not x.is_complex()
    sum(o.sum() for o, _ in cases if o.dtype != bool).backward()
    sum(t.sum() for _, t in cases if t.dtype != torch.bool).backward()
    _same_grad([x, y], [tx, ty])
    assert tg.gradcheck(lambda a: a.sum_to_size(3, 1) * a.sum_to_size(1, 4), [x])
    draws = tg.Tensor([0.0, 1.0, 3.0]).multinomial(5, True, seed=0)
    assert draws.shape == (5,) and set(draws.tolist()) <= {1, 2}


IN_PLACE = [("cos_", ()), ("sinh_", ()), ("expm1_", ()), ("trunc_", ()), ("frac_", ()),
            ("tril_", ()), ("cumsum_", (1,)), ("multiply_", (B,)), ("subtract_", (B,)),
            ("divide_", (B,)), ("true_divide_", (B,)), ("negative_", ()), ("absolute_", ()),
            ("atan2_", (B,)), ("hypot_", (B,)), ("fmod_", (0.3,)), ("lerp_", (B, 0.3)),
            ("addcmul_", (A, B)), ("gt_", (B,)), ("less_equal_", (0.0,)), ("not_equal_", (B,)),
            ("logical_and_", (B,)), ("float_power_", (2,)), ("rad2deg_", ()), ("xlogy_", (B,)),
            ("clamp_min_", (0.2,)), ("copysign_", (B,)), ("nan_to_num_", ())]


@pytest.mark.parametrize("name, args", IN_PLACE, ids=[n for n, _ in IN_PLACE])
def test_in_place_spellings_as_torchs(name, args):
    torch = pytest.importorskip("torch")
    x, tx = tg.Tensor(A.copy()), torch.tensor(A.copy())
    same = getattr(x, name)(*[tg.Tensor(a) if isinstance(a, np.ndarray) else a for a in args])
    getattr(tx, name)(*[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
    assert same is x
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-12, atol=1e-12)


# -- bad input: one line, torch's exception type ------------------------------------------------
ERRORS = [
    (lambda: tg.hsplit(tg.zeros(3, 4), 3), RuntimeError, "hsplit: axis 1 of length 4"),
    (lambda: tg.vsplit(tg.zeros(4), 2), RuntimeError, "vsplit: needs a tensor of at least 2"),
    (lambda: tg.dsplit(tg.zeros(2, 2), 2), RuntimeError, "dsplit: needs a tensor of at least 3"),
    (lambda: tg.split_with_sizes(tg.zeros(3), [1, 1]), RuntimeError, "add"),
    (lambda: tg.is_nonzero(tg.zeros(2)), RuntimeError, "is_nonzero: a tensor of shape (2,)"),
    (lambda: tg.is_nonzero(tg.zeros(0)), RuntimeError, "0 values"),
    (lambda: tg.is_nonzero(1.0), TypeError, "is_nonzero: expected a tensor"),
    (lambda: tg.is_same_size(tg.zeros(1), [1.0]), TypeError, "is_same_size: expected a tensor"),
    (lambda: tg.positive(tg.tensor([True])), RuntimeError, "bool tensor"),
    (lambda: tg.broadcast_shapes((2, 3), (4, 3)), RuntimeError, "(2, 3), (4, 3) do not"),
    (lambda: tg.broadcast_tensors(tg.zeros(3), tg.zeros(2)), RuntimeError,
     "broadcast_tensors: shapes (3,), (2,)"),
    (lambda: tg.unravel_index(tg.as_tensor([12]), (3, 4)), ValueError, "from 12 to 12"),
    (lambda: tg.unravel_index(tg.Tensor([1.0]), (3, 4)), TypeError, "must be integers"),
    (lambda: tg.scalar_tensor("1"), TypeError, "scalar_tensor: s must be a number"),
    (lambda: tg.scalar_tensor(tg.zeros(2)), TypeError, "got Tensor"),
    (lambda: tg.scalar_tensor(1, device="cuda"), TypeError, "scalar_tensor"),
    (lambda: tg.diagflat(tg.zeros(2), 1, k=1), TypeError, "not both"),
    (lambda: tg.finfo(tg.int32), TypeError, "finfo: requires a floating point dtype"),
    (lambda: tg.iinfo(tg.float32), TypeError, "iinfo: requires an integer dtype"),
    (lambda: tg.iinfo(bool), TypeError, "got bool"),
    (lambda: tg.set_default_dtype(tg.int64), TypeError, "only floating-point types"),
    (lambda: tg.set_default_dtype("complex128"), TypeError, "complex"),
    (lambda: tg.can_cast("float32", "text"), TypeError, "can_cast: unknown dtype"),
    (lambda: tg.result_type(tg.zeros(1), "a"), TypeError, "result_type: expected tensors"),
    (lambda: tg.dropout(tg.zeros(2), 0.5, "yes"), TypeError, "dropout: train must be True"),
    (lambda: tg.kl_div(tg.zeros(2), tg.zeros(2), 3), ValueError, "kl_div: reduction must be"),
    (lambda: tg.kl_div(tg.zeros(2), tg.zeros(2), True), TypeError,
     "kl_div: reduction (0 none, 1 mean, 2 sum; or the name) must be an int, got bool"),
    (lambda: tg.hinge_embedding_loss(tg.zeros(2), tg.ones(2), 1.0, 1.0), TypeError,
     "hinge_embedding_loss: reduction (0 none"),
    (lambda: tg.embedding(tg.zeros(3, 2), tg.as_tensor([0]), None), TypeError,
     "embedding: padding_idx (-1: none) must be an int, got NoneType"),
    (lambda: tg.embedding(tg.zeros(3, 2), [0], sparse=True), NotImplementedError, "sparse"),
    (lambda: tg.zeros(3, 4).sum_to_size(2, 4), RuntimeError, "not expandable"),
    (lambda: tg.zeros(2, dtype=tg.float32).float_power_(2), RuntimeError, "float64"),
    (lambda: tg.relu_([1.0]), TypeError, "relu_: expected a tensor"),
    (lambda: tg.poisson_nll_loss(tg.zeros(2), tg.zeros(2), True), TypeError,
     "poisson_nll_loss: missing a required argument: 'full'"),
    (lambda: tg.kl_div(tg.zeros(2), tg.zeros(2), 0, True), TypeError, "kl_div: too many"),
    (lambda: tg.select(tg.zeros(2, 3), 1, 3), IndexError, "select: index 3 is out of range"),
    (lambda: tg.size(tg.zeros(2), 1), IndexError, "size: axis 1 is out of range"),
]


@pytest.mark.parametrize("call, error, text", ERRORS, ids=[e[2][:30] for e in ERRORS])
def test_errors_are_one_line(call, error, text):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert text in message and "\n" not in message

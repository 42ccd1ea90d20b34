"""tg.masked (masked.py, masked_normalizations.py): PyTorch's torch.masked reductions and
normalizations over the entries a mask keeps.

Every function's values against a NumPy formula written here (the left-out entries
replaced by hand, or NumPy's masked arrays), its gradients by gradcheck in float64 and 0
at every left-out entry (NaN never leaking from a slice left out whole), the edges (0-d
tensors, empty ones, masks that broadcast, negative and repeated dims, inf and NaN
entries), the dtypes, and one-line errors naming `masked.<function>`; with torch
installed, values, dtypes, shapes, gradients and signatures against torch.masked's.
"""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

INF, NAN = np.inf, np.nan
SHAPE = (3, 4, 5)
REDUCTIONS = ["sum", "prod", "amax", "amin", "mean", "logsumexp", "norm", "var", "std"]
ALONG = ["cumsum", "cumprod", "softmax", "log_softmax", "softmin"]


def _data(shape=SHAPE, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _mask(shape=SHAPE, seed=1, whole=True):
    """About 60% kept; with `whole`, the first slice along the last axis left out whole."""
    mask = np.random.default_rng(seed).random(shape) < 0.6
    if whole and len(shape):
        mask[(0,) * (len(shape) - 1)] = False
    return mask


# --- NumPy formulas (no tinygrad_gd, no torch) ---------------------------------------


def _axes(dim, ndim):
    if dim is None or dim == ():
        return None
    return dim if ndim else None


def _norm(x, m, ord, axis, keepdims):
    a = np.abs(x)
    if ord == INF:
        return np.max(np.where(m, a, 0), axis=axis, keepdims=keepdims)
    if ord == -INF:
        return np.min(np.where(m, a, INF), axis=axis, keepdims=keepdims)
    if ord == 0:
        return np.sum(m & (x != 0), axis=axis, keepdims=keepdims).astype(float)
    return np.sum(np.where(m, a, 0) ** ord, axis=axis, keepdims=keepdims) ** (1 / ord)


def _moment(x, m, axis, keepdims, correction):
    masked = np.ma.masked_array(x, ~m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's: a slice of no more entries than ddof)
        out = np.ma.var(masked, axis=axis, ddof=correction, keepdims=keepdims)
    return np.ma.filled(out.astype(float), NAN)


def _softmax(x, m, axis):
    top = np.max(np.where(m, x, -INF), axis=axis, keepdims=True, initial=-INF)
    e = np.where(m, np.exp(x - top), 0)
    return e / np.sum(e, axis=axis, keepdims=True)


def reference(name, x, m, args, kwargs):
    """What tg.masked.<name>(x, *args, mask=m, **kwargs) computes, by NumPy alone."""
    m = np.ones(np.shape(x), bool) if m is None else np.broadcast_to(m, np.shape(x))
    if x.ndim == 0 and name in ALONG + ["normalize"]:  # (along the one axis of a 0-d tensor)
        return reference(name, x.reshape(1), m.reshape(1), args, kwargs).reshape(())
    keep = kwargs.get("keepdim", False)
    along = args[0] if args else kwargs.get("dim")
    if name in ("norm", "normalize"):
        ord, along = args[0], (args[1] if len(args) > 1 else kwargs.get("dim"))
    axis = _axes(along, x.ndim)
    if name == "sum":
        return np.sum(np.where(m, x, 0), axis=axis, keepdims=keep)
    if name == "prod":
        return np.prod(np.where(m, x, 1), axis=axis, keepdims=keep)
    if name in ("amax", "argmax"):
        f = np.max if name == "amax" else np.argmax
        return f(np.where(m, x, -INF), axis=axis, keepdims=keep)
    if name in ("amin", "argmin"):
        f = np.min if name == "amin" else np.argmin
        return f(np.where(m, x, INF), axis=axis, keepdims=keep)
    if name == "mean":
        return np.sum(np.where(m, x, 0), axis, keepdims=keep) / np.sum(m, axis, keepdims=keep)
    if name == "median":
        axis = _axes(along if along is not None else -1, x.ndim)
        return np.nanpercentile(np.where(m, x, NAN), 50, axis=axis, method="lower",
                                keepdims=keep)
    if name == "logsumexp":
        return np.log(np.sum(np.where(m, np.exp(x), 0), axis=axis, keepdims=keep))
    if name == "norm":
        return _norm(x, m, ord, axis, keep)
    if name in ("var", "std"):
        unbiased = args[1] if len(args) > 1 else kwargs.get("unbiased", True)
        c = kwargs.get("correction", 1 if unbiased else 0)
        v = _moment(x, m, axis, keep, c)
        return np.sqrt(v) if name == "std" else v
    if name == "cumsum":
        return np.cumsum(np.where(m, x, 0), axis=axis)
    if name == "cumprod":
        return np.cumprod(np.where(m, x, 1), axis=axis)
    if name in ("softmax", "softmin"):
        return _softmax(x if name == "softmax" else -x, m, axis)
    if name == "log_softmax":
        return np.log(_softmax(x, m, axis))
    if name == "normalize":
        n = _norm(x, m, ord, axis, True)
        return np.where(m, x, 0) / np.maximum(n, kwargs.get("eps", 1e-12))
    raise KeyError(name)


def _logaddexp_reference(x, y, mx, my):
    return np.logaddexp(np.where(mx, x, -INF), np.where(my, y, -INF))


# --- the cases: (name, shape, args, keywords, mask shape or None) ------------------


def _cases():
    cases = []
    for name in REDUCTIONS:
        lead = (2.0,) if name == "norm" else ()
        cases += [(name, SHAPE, lead, {}, SHAPE),
                  (name, SHAPE, lead + (1,), {"keepdim": True}, SHAPE),
                  (name, SHAPE, lead + ((0, -1),), {}, (4, 1)),
                  (name, SHAPE, lead + ((),), {}, None),
                  (name, SHAPE, lead + (-1,), {}, (5,)),
                  (name, (), lead + (0,), {"keepdim": True}, ())]
    for ord in (1, INF, -INF, 0, 3.5):
        cases.append(("norm", SHAPE, (ord, 2), {}, SHAPE))
    cases += [("var", SHAPE, (2, False), {}, SHAPE), ("std", SHAPE, (2,), {"correction": 0.5},
                                                      SHAPE)]
    for name in ("median", "argmax", "argmin"):
        cases += [(name, SHAPE, (2,), {}, SHAPE), (name, SHAPE, (-2,), {"keepdim": True},
                                                   (4, 1)),
                  (name, (), (0,), {}, ())]
    cases += [("argmax", SHAPE, (), {}, SHAPE), ("argmin", SHAPE, (None,), {"keepdim": True},
                                                 SHAPE), ("median", SHAPE, (), {}, None)]
    for name in ALONG:
        cases += [(name, SHAPE, (2,), {}, SHAPE), (name, SHAPE, (-3,), {}, (4, 5)),
                  (name, (), (0,), {}, ()), (name, (2, 0), (1,), {}, (2, 0))]
    for ord in (2.0, 1, INF, -INF, 0):
        cases.append(("normalize", SHAPE, (ord, 2), {}, SHAPE))
    cases += [("normalize", SHAPE, (2.0, -1), {"eps": 0.5}, (5,)),
              ("normalize", (), (1, 0), {}, ())]
    cases += [(name, (2, 0), (1,), {}, (2, 0)) for name in ("sum", "prod", "mean",
                                                            "logsumexp")]
    return cases


CASES = _cases()
DIFFERENTIABLE = [n for n in tg.masked.__all__ if n not in ("argmax", "argmin")]


def _call(name, x, args, kwargs, mask_shape, seed=1):
    mask = None if mask_shape is None else _mask(mask_shape, seed)
    return getattr(tg.masked, name)(x, *args, mask=None if mask is None else tg.tensor(mask),
                                    **kwargs), mask


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{c[1]}{c[2]}{c[4]}")
def test_values_are_the_numpy_formulas(case):
    name, shape, args, kwargs, mask_shape = case
    x = _data(shape)
    out, mask = _call(name, tg.tensor(x), args, kwargs, mask_shape)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's on a slice left out whole)
        expected = np.asarray(reference(name, x, mask, args, kwargs))
    assert out.shape == expected.shape
    np.testing.assert_allclose(np.asarray(out.data, dtype=float), expected, rtol=1e-12,
                               atol=1e-12)


def test_logaddexp_is_the_numpy_formula_with_each_mask():
    x, y = _data((4, 5), 2), _data((4, 5), 3)
    mx, my = _mask((4, 5), 4), _mask((5,), 5, whole=False)
    out = tg.masked.logaddexp(tg.tensor(x), tg.tensor(y), input_mask=tg.tensor(mx),
                              other_mask=tg.tensor(my))
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(out.data, _logaddexp_reference(x, y, mx, my), rtol=1e-12)
    both_out = ~np.broadcast_to(mx, (4, 5)) & ~np.broadcast_to(my, (4, 5))
    assert np.all(np.asarray(out.data)[both_out] == -INF)


def test_a_slice_left_out_whole_gives_the_identity_or_nan():
    x = tg.tensor(_data((2, 3)))
    mask = tg.tensor(np.array([[True, False, True], [False, False, False]]))
    expected = {"sum": 0, "prod": 1, "amax": -INF, "amin": INF, "argmax": 0, "argmin": 0,
                "mean": NAN, "median": NAN, "logsumexp": -INF, "norm": 0, "var": NAN,
                "std": NAN}
    for name, value in expected.items():
        args = (2.0, 1) if name == "norm" else (1,)
        got = np.asarray(getattr(tg.masked, name)(x, *args, mask=mask).data)[1]
        np.testing.assert_equal(got, value, err_msg=name)
    assert np.asarray(tg.masked.norm(x, -INF, 1, mask=mask).data)[1] == INF
    along = {"cumsum": 0, "cumprod": 1, "softmax": NAN, "log_softmax": NAN, "softmin": NAN}
    for name, value in along.items():
        np.testing.assert_equal(np.asarray(getattr(tg.masked, name)(x, 1, mask=mask).data)[1],
                                np.full(3, value), err_msg=name)
    assert np.all(np.asarray(tg.masked.normalize(x, 2.0, 1, mask=mask).data)[1] == 0)


# --- gradients -----------------------------------------------------------------------


def _kept_everywhere(shape):
    """A mask keeping at least 2 entries of every slice along any axis of SHAPE."""
    i, j, k = np.indices(shape)
    return (i + j + k) % 3 != 0


GRAD_CASES = [(n, a, k) for n in ["sum", "prod", "amax", "amin", "mean", "logsumexp", "var",
                                  "std"] for a, k in [((), {}), ((1,), {"keepdim": True}),
                                                      (((0, 2),), {})]]
GRAD_CASES += [("norm", (ord, (1, 2)), {}) for ord in (2.0, 1, INF, -INF, 0, 3.0)]
GRAD_CASES += [(n, (2,), {}) for n in ALONG + ["median"]]
GRAD_CASES += [("normalize", (ord, 1), {}) for ord in (2.0, 1, INF, -INF)]
GRAD_CASES += [("var", (2, False), {}), ("std", (1,), {"correction": 1.5})]


@pytest.mark.parametrize("name, args, kwargs", GRAD_CASES)
def test_gradients_pass_gradcheck(name, args, kwargs):
    mask = tg.tensor(_kept_everywhere(SHAPE))
    x = tg.tensor(_data(SHAPE, 7), requires_grad=True)
    kept = _kept_everywhere(SHAPE) if name == "log_softmax" else ...  # (not its -inf entries)
    assert tg.gradcheck(
        lambda t: getattr(tg.masked, name)(t, *args, mask=mask, **kwargs)[kept], [x])


@pytest.mark.parametrize("name", [n for n in DIFFERENTIABLE if n not in ("log_softmax",
                                                                         "logaddexp")])
def test_second_derivatives_pass_gradgradcheck(name):
    """Made of ops, each function differentiates twice (create_graph=True)."""
    i, j = np.indices((3, 5))
    mask = tg.tensor((i + j) % 3 != 0)
    x = tg.tensor(_data((3, 5), 8), requires_grad=True)
    args = (2.0, 1) if name in ("norm", "normalize") else (1,)
    assert tg.gradgradcheck(lambda t: getattr(tg.masked, name)(t, *args, mask=mask), [x])


def test_logaddexp_gradients_pass_gradcheck():
    x = tg.tensor(_data((4, 5), 2), requires_grad=True)
    y = tg.tensor(_data((4, 5), 3), requires_grad=True)
    mx, my = tg.tensor(_kept_everywhere((4, 5, 1))[..., 0]), tg.tensor(np.arange(5) % 2 == 0)
    either = np.asarray(mx.data) | np.asarray(my.data)  # (where both are out: -inf)
    assert tg.gradcheck(
        lambda a, b: tg.masked.logaddexp(a, b, input_mask=mx, other_mask=my)[either], [x, y])


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_left_out_entries_get_gradient_zero_never_nan(name):
    """With a slice left out whole (NaN or inf there in the values): gradient exactly 0 at
    every left-out entry, finite at the kept ones; var's and std's NaN along the slice left
    out whole, as torch's (its mean, 0/0, is NaN in input - mean)."""
    mask = _mask()
    x = tg.tensor(_data(), requires_grad=True)
    args = {"norm": (2.0, 2), "normalize": (2.0, 2)}.get(name, (2,))
    if name == "logaddexp":
        out = tg.masked.logaddexp(x, x * 0.5, input_mask=tg.tensor(mask),
                                  other_mask=tg.tensor(mask))
    else:
        out = getattr(tg.masked, name)(x, *args, mask=tg.tensor(mask))
    cotangent = np.random.default_rng(3).standard_normal(out.shape)
    with np.errstate(all="ignore"):  # (a count of 0 divides the slice left out whole)
        (grad,) = tg.autograd.grad([out], [x], [tg.tensor(cotangent)])
    grad = np.asarray(grad.data)
    whole = np.zeros(SHAPE, bool)
    whole[0, 0] = True  # (the slice left out whole)
    assert np.all(grad[~mask & ~whole] == 0), name
    assert np.isfinite(grad[mask]).all(), name
    if name in ("var", "std"):
        assert np.isnan(grad[whole]).all()
    else:
        assert np.all(grad[whole] == 0), name


def test_no_gradient_for_argmax_and_argmin():
    x = tg.tensor(_data(), requires_grad=True)
    for name in ("argmax", "argmin"):
        assert not getattr(tg.masked, name)(x, 1, mask=tg.tensor(_mask())).requires_grad


# --- dtypes and edges ----------------------------------------------------------------


def test_dtypes_follow_torch_masked():
    ints = tg.tensor(np.arange(12, dtype=np.int32).reshape(3, 4) - 5)
    mask = tg.tensor(_mask((3, 4), 2, whole=False))
    assert tg.masked.sum(ints, mask=mask).dtype == np.int64  # (widened, as torch's)
    assert tg.masked.prod(ints, 1, mask=mask).dtype == np.int64
    assert tg.masked.amax(ints, 1, mask=mask).dtype == np.int32
    assert tg.masked.cumsum(ints, 1, mask=mask).dtype == np.int32
    assert tg.masked.median(ints, 1, mask=mask).dtype == np.int32
    assert tg.masked.var(ints, 1, mask=mask).dtype == np.float64  # (the default float)
    assert tg.masked.mean(ints, 1, mask=mask, dtype=tg.float64).dtype == np.float64
    floats = tg.tensor(np.float32([[1.5, -2, 3], [4, 5, 6]]))
    assert tg.masked.argmax(floats, 1).dtype == np.float32  # (indices in the input's dtype)
    assert tg.masked.argmax(floats, 1, dtype=tg.int64).dtype == np.int64
    for name in ("sum", "mean", "amax", "logsumexp", "norm", "var", "std"):
        assert getattr(tg.masked, name)(floats, mask=floats > 0).dtype == np.float32, name
        assert getattr(tg.masked, name)(floats, dtype=tg.float64).dtype == np.float64, name
    for name in ALONG:
        assert getattr(tg.masked, name)(floats, 1).dtype == np.float32, name
        assert getattr(tg.masked, name)(floats, 1, dtype="float64").dtype == np.float64, name
    assert tg.masked.normalize(floats, 2, 1).dtype == np.float32
    # an integer mask is read as != 0, as torch's .to(bool)
    np.testing.assert_equal(tg.masked.sum(floats, mask=[[1, 0, 2], [0, 0, 0]]).data, 4.5)


def test_inf_and_nan_entries():
    x = np.array([[1.0, INF, NAN], [-INF, 2.0, 3.0]])
    m = np.array([[True, True, False], [True, False, True]])
    t, mask = tg.tensor(x), tg.tensor(m)
    np.testing.assert_equal(tg.masked.sum(t, 1, mask=mask).data, [INF, -INF])
    np.testing.assert_equal(tg.masked.amax(t, 1, mask=mask).data, [INF, 3.0])
    np.testing.assert_equal(tg.masked.median(t, 1, mask=mask).data, [1.0, -INF])
    np.testing.assert_equal(tg.masked.argmin(t, 1, mask=mask).data, [0, 0])
    # a NaN the mask keeps is kept: the sum and mean see it
    assert np.isnan(tg.masked.mean(t, 1, mask=tg.tensor(~m)).data[0])


def test_a_0_d_tensor_has_one_axis_and_a_mask_of_no_axes():
    x = tg.tensor(2.5, requires_grad=True)
    for name, masked_out in [("sum", 0.0), ("prod", 1.0), ("amax", -INF), ("mean", NAN)]:
        out = getattr(tg.masked, name)(x, -1, keepdim=True, mask=tg.tensor(False))
        assert out.shape == () and np.array_equal(out.data, masked_out, equal_nan=True)
        assert getattr(tg.masked, name)(x, 0, mask=tg.tensor(True)).item() == 2.5
    assert tg.masked.softmax(x, 0).item() == 1.0


# --- bad input -----------------------------------------------------------------------


X = tg.tensor(_data((2, 3)))


def _standard_call(name):
    """(args, keywords) of a call that works, for the bad-input sweep."""
    if name == "logaddexp":
        return (X, X), {}
    if name in ("norm", "normalize"):
        return (X, 2.0, 1), {}
    return (X, 1), {}


BAD_CALLS = {  # name -> extra keywords or replaced arguments that must be refused
    "input": lambda name, a, k: ((["a", "b"],) + a[1:], k),
    "mask of more axes": lambda name, a, k: (a, {**k, _mask_name(name): tg.ones(1, 2, 3)}),
    "mask that does not broadcast": lambda name, a, k: (a, {**k, _mask_name(name):
                                                             tg.ones(4) > 0}),
    "mask of strings": lambda name, a, k: (a, {**k, _mask_name(name): ["x", "y", "z"]}),
    "dtype": lambda name, a, k: (a, {**k, "dtype": "complex64"}),
    "a bogus keyword": lambda name, a, k: (a, {**k, "bogus": 1}),
}


def _mask_name(name):
    return "input_mask" if name == "logaddexp" else "mask"


def _refused(call, name, what):
    with pytest.raises((TypeError, ValueError, IndexError, RuntimeError)) as info:
        call()
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"masked.{name}:"), (name, what, text)


@pytest.mark.parametrize("name", tg.masked.__all__)
def test_bad_input_is_refused_in_one_line_naming_the_function(name):
    args, kwargs = _standard_call(name)
    getattr(tg.masked, name)(*args, **kwargs)
    for what, spoil in BAD_CALLS.items():
        bad_args, bad_kwargs = spoil(name, args, kwargs)
        _refused(lambda: getattr(tg.masked, name)(*bad_args, **bad_kwargs), name, what)
    if name == "logaddexp":
        return
    for dim in (2, -3, 1.5, "0", [0, 0] if name in REDUCTIONS else (0,)):
        spoiled = (args[0], args[1], dim) if name in ("norm", "normalize") else (args[0], dim)
        _refused(lambda: getattr(tg.masked, name)(*spoiled), name, f"dim={dim!r}")
    if "keepdim" in inspect.signature(getattr(tg.masked, name)).parameters:
        _refused(lambda: getattr(tg.masked, name)(*args, keepdim="yes"), name, "keepdim")


def test_bad_arguments_of_single_functions():
    ints = tg.tensor(np.arange(6, dtype=np.int64).reshape(2, 3))
    cases = [
        ("mean", lambda: tg.masked.mean(ints)),
        ("median", lambda: tg.masked.median(ints, 1, mask=tg.tensor([[True] * 3, [False] * 3]))),
        ("var", lambda: tg.masked.var(X, 1, True, correction=1)),
        ("std", lambda: tg.masked.std(X, 1, correction="one")),
        ("var", lambda: tg.masked.var(X, 1, unbiased="yes")),
        ("norm", lambda: tg.masked.norm(X, "fro")),
        ("normalize", lambda: tg.masked.normalize(X, None, 1)),
        ("normalize", lambda: tg.masked.normalize(X, 2, 1, eps="tiny")),
        ("logaddexp", lambda: tg.masked.logaddexp(X, tg.ones(4))),
        ("logaddexp", lambda: tg.masked.logaddexp(X, X, other_mask=tg.ones(4) > 0)),
        ("amax", lambda: tg.masked.amax(tg.zeros(2, 0), 1)),
        ("argmax", lambda: tg.masked.argmax(X, (0, 1))),
    ]
    for name, call in cases:
        _refused(call, name, "")


# --- coverage ------------------------------------------------------------------------


def test_every_name_has_its_cases():
    names = set(tg.masked.__all__)
    assert names == set(REDUCTIONS + ALONG + ["argmax", "argmin", "median", "normalize",
                                              "logaddexp"])
    covered = {c[0] for c in CASES} | {"logaddexp"}
    assert names <= covered, names - covered
    assert names - {"argmax", "argmin"} <= {c[0] for c in GRAD_CASES} | {"logaddexp"}
    assert names <= {c[0] for c in TORCH_CASES} | {"logaddexp"}
    for name in names:
        assert tg.masked.__dict__[name].__doc__.strip(), name
        assert not hasattr(tg.Tensor, f"masked_{name}")


# --- against torch.masked ------------------------------------------------------------

TORCH_CASES = CASES + [(n, SHAPE, a, k, m) for n, a, k, m in [
    ("sum", (1,), {}, None), ("var", (), {"correction": 0}, (5,)), ("std", (0,), {}, SHAPE),
    ("prod", ((0, 1),), {"keepdim": True}, SHAPE)]]


def _torch_run(torch, name, x, args, kwargs, mask):
    t = torch.tensor(x, requires_grad=x.dtype.kind == "f")
    m = None if mask is None else torch.tensor(mask)
    return t, getattr(torch.masked, name)(t, *args, mask=m, **kwargs)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: f"{c[0]}{c[1]}{c[2]}{c[4]}")
def test_values_dtypes_and_gradients_are_torchs(case, dtype):
    torch = pytest.importorskip("torch")
    name, shape, args, kwargs, mask_shape = case
    x = _data(shape).astype(dtype)
    mask = None if mask_shape is None else _mask(mask_shape)
    t, theirs = _torch_run(torch, name, x, args, kwargs, mask)
    ours_x = tg.tensor(x, requires_grad=True)
    ours, _ = _call(name, ours_x, args, kwargs, mask_shape)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(np.asarray(ours.data, dtype=float),
                               theirs.detach().double().numpy(), rtol=rtol, atol=rtol)
    if not theirs.requires_grad:
        assert not ours.requires_grad
        return
    cotangent = np.random.default_rng(5).standard_normal(tuple(theirs.shape)).astype(dtype)
    (theirs_grad,) = torch.autograd.grad(theirs, t, torch.tensor(cotangent), allow_unused=True)
    theirs_grad = np.zeros(x.shape) if theirs_grad is None else theirs_grad.numpy()
    with np.errstate(all="ignore"):  # (a count of 0 divides a slice left out whole)
        (ours_grad,) = tg.autograd.grad([ours], [ours_x], [tg.tensor(cotangent)],
                                        allow_unused=True)
    ours_grad = np.zeros(x.shape) if ours_grad is None else np.asarray(ours_grad.data)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=rtol * 10, atol=rtol * 10)


@pytest.mark.torch
def test_logaddexp_is_torchs():
    torch = pytest.importorskip("torch")
    x, y = _data((4, 5), 2), _data((4, 5), 3)
    mx, my = _mask((4, 5), 4), _mask((5,), 5, whole=False)
    a, b = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    theirs = torch.masked.logaddexp(a, b, input_mask=torch.tensor(mx),
                                    other_mask=torch.tensor(my))
    p, q = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
    ours = tg.masked.logaddexp(p, q, input_mask=tg.tensor(mx), other_mask=tg.tensor(my))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(0).standard_normal((4, 5))
    theirs_grads = torch.autograd.grad(theirs, [a, b], torch.tensor(g))
    ours_grads = tg.autograd.grad([ours], [p, q], [tg.tensor(g)])
    for o, t in zip(ours_grads, theirs_grads):
        np.testing.assert_allclose(np.asarray(o.data), t.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("name", tg.masked.__all__)
def test_signature_is_torchs(name):
    torch = pytest.importorskip("torch")
    theirs = inspect.signature(getattr(torch.masked, name)).parameters
    ours = inspect.signature(getattr(tg.masked, name)).parameters
    assert list(ours) == list(theirs)
    for key, p in theirs.items():
        assert (ours[key].kind, ours[key].default) == (p.kind, p.default), (name, key)

"""PyTorch 2.13's window functions (`tg.hann_window`, ..., `tg.signal.windows.*`), the real
part of `torch.fft` (`fftshift`, `ifftshift`, `fftfreq`, `rfftfreq`; the complex transforms
absent, with an AttributeError that says why), `tg.histogramdd`, and `F.native_channel_shuffle`
and `F.linear_cross_entropy` (nn/functional_more2.py).

Each is checked without torch, against an independent NumPy formula (np.hanning, np.kaiser,
np.fft.fftshift, np.histogramdd, a log-softmax written out) or finite differences
(`tg.gradcheck`), and, marked `torch`, against torch 2.13: values, dtypes, shapes and
gradients. Bad input: one line naming the function. `test_every_name_has_a_case` fails
when a name is added to one of these modules without a case in the tables below.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import fft, histogram_dd, window_functions
from tinygrad_gd.histogram_dd import histogramdd
from tinygrad_gd.nn import functional as F
from tinygrad_gd.nn import functional_more2
from tinygrad_gd.nn.functional_more2 import linear_cross_entropy, native_channel_shuffle
from tinygrad_gd.signal import windows

RNG = np.random.default_rng(27)
LENGTHS = [0, 1, 2, 3, 4, 5, 8, 9, 16, 33]


def _values(t):
    return np.asarray(t.data)


def _leaf(a):
    return tg.tensor(np.array(a, dtype=np.float64), requires_grad=True)


# -- the tables: one case per public name ---------------------------------------------------
# top-level window: (torch's positional arguments after window_length and periodic)
TOP_LEVEL = {
    "hann_window": [()],
    "hamming_window": [(), (0.6,), (0.6, 0.3)],
    "blackman_window": [()],
    "bartlett_window": [()],
    "kaiser_window": [(), (0.0,), (2.5,), (41.2,)],
}
# torch.signal.windows: the keyword arguments of the window's own parameters
SIGNAL = {
    "bartlett": [{}], "blackman": [{}], "cosine": [{}], "hamming": [{}], "hann": [{}],
    "nuttall": [{}],
    "exponential": [{}, {"tau": 0.5}, {"tau": 43.5}],
    "gaussian": [{}, {"std": 0.1}, {"std": 4.5}],
    "general_cosine": [{"a": [0.54, 0.46]}, {"a": (0.46, 0.23, 0.31)}, {"a": [0.5]},
                       {"a": [0.2, 0.2, 0.2, 0.2, 0.2]}],
    "general_hamming": [{}, {"alpha": 0.23}, {"alpha": 0.9}],
    "kaiser": [{}, {"beta": 0.0}, {"beta": 2.0}, {"beta": 100.0}],
}
# periodic windows with a centre of their own (exponential's center=)
SIGNAL_PERIODIC_ONLY = {"exponential": [{"center": 4, "tau": 0.5}, {"center": 1.5}]}
FFT = ["fftshift", "ifftshift", "fftfreq", "rfftfreq"]
HISTOGRAMDD = ["histogramdd"]
FUNCTIONAL = ["native_channel_shuffle", "linear_cross_entropy"]


def test_every_name_has_a_case():
    assert set(window_functions.__all__) == set(TOP_LEVEL)
    assert set(windows.__all__) == set(SIGNAL)
    assert set(fft.__all__) == set(FFT)
    assert set(histogram_dd.__all__) == set(HISTOGRAMDD)
    assert set(functional_more2.__all__) == set(FUNCTIONAL)
    assert tg.signal.windows is windows and tg.fft is fft
    assert all(getattr(tg, name) is getattr(window_functions, name) for name in TOP_LEVEL)


def test_every_name_and_module_has_a_docstring():
    for module, names in ((window_functions, TOP_LEVEL), (windows, SIGNAL), (fft, FFT),
                          (histogram_dd, HISTOGRAMDD), (functional_more2, FUNCTIONAL)):
        assert module.__doc__ and "being written" not in module.__doc__
        for name in names:
            doc = getattr(module, name).__doc__
            assert doc and doc.strip(), name


# -- windows without torch: NumPy's windows and the formulas written out ----------------------
def _numpy_symmetric(name, M, **kw):
    """The symmetric window of M points, from NumPy's functions or its formula."""
    n = np.arange(M, dtype=float)
    if M == 1:
        return np.ones(1)
    span = M - 1
    numpy_windows = {"hann": np.hanning, "hamming": np.hamming, "blackman": np.blackman,
                     "bartlett": np.bartlett}
    if name in numpy_windows:
        return numpy_windows[name](M)
    if name == "kaiser":
        return np.kaiser(M, kw.get("beta", 12.0))
    if name == "general_hamming":
        alpha = kw.get("alpha", 0.54)
        return alpha - (1 - alpha) * np.cos(2 * np.pi * n / max(span, 1))
    if name in ("general_cosine", "nuttall"):
        a = kw.get("a", [0.3635819, 0.4891775, 0.1365995, 0.0106411])
        return sum((-1) ** k * c * np.cos(2 * np.pi * k * n / max(span, 1))
                   for k, c in enumerate(a))
    if name == "cosine":
        return np.sin(np.pi * (n + 0.5) / M)
    if name == "gaussian":
        return np.exp(-0.5 * ((n - span / 2) / kw.get("std", 1.0)) ** 2)
    if name == "exponential":
        return np.exp(-np.abs(n - span / 2) / kw.get("tau", 1.0))
    raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(SIGNAL))
def test_signal_windows_are_numpys_symmetric_and_periodic_windows(name):
    for kw in SIGNAL[name]:
        for M in LENGTHS:
            got = getattr(windows, name)(M, **kw)
            assert got.dtype == np.float64 and got.shape == (M,) and not got.requires_grad
            want = _numpy_symmetric(name, M, **kw)[:M] if M else np.zeros(0)
            np.testing.assert_allclose(_values(got), want, rtol=1e-12, atol=1e-14)
            # periodic: the first M entries of the symmetric window one longer (M > 1)
            periodic = getattr(windows, name)(M, sym=False, **kw)
            if M > 1:
                np.testing.assert_allclose(_values(periodic),
                                           _numpy_symmetric(name, M + 1, **kw)[:M],
                                           rtol=1e-12, atol=1e-14)
            else:
                np.testing.assert_allclose(_values(periodic), np.ones(M))


@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_top_level_windows_are_the_signal_windows_with_periodic_not_sym(name):
    signal_name = name.removesuffix("_window")
    for length in LENGTHS:
        for periodic in (True, False):
            got = getattr(tg, name)(length, periodic)
            if name == "hamming_window":
                alpha, beta = 0.6, 0.3
                want = windows.general_cosine(length, a=[alpha, beta], sym=not periodic)
                np.testing.assert_allclose(_values(getattr(tg, name)(length, periodic, alpha,
                                                                     beta)), _values(want))
            if name == "kaiser_window":
                want = windows.kaiser(length, beta=3.5, sym=not periodic)
                np.testing.assert_allclose(_values(tg.kaiser_window(length, periodic, -3.5)),
                                           _values(want))  # (|beta|, as PyTorch's)
            want = getattr(windows, signal_name)(length, sym=not periodic)
            np.testing.assert_array_equal(_values(got), _values(want))
    assert getattr(tg, name)(5).shape == (5,)  # (periodic=True by default)
    np.testing.assert_allclose(_values(getattr(tg, name)(5)),
                               _values(getattr(tg, name)(6, False))[:5])


def test_windows_take_dtype_the_default_float_and_requires_grad():
    assert tg.hann_window(4, dtype=tg.float32).dtype == np.float32
    assert tg.hann_window(4, dtype="float16").dtype == np.float16
    assert windows.gaussian(4, dtype=tg.float32).dtype == np.float32
    np.testing.assert_allclose(_values(windows.hann(7, dtype=tg.float32)), np.hanning(7),
                               atol=1e-7)
    previous = tg.get_default_dtype()
    tg.set_default_dtype(tg.float32)
    try:
        assert tg.kaiser_window(3).dtype == np.float32 and windows.cosine(3).dtype == np.float32
        assert fft.fftfreq(3).dtype == np.float32
    finally:
        tg.set_default_dtype(previous)
    window = windows.nuttall(5, requires_grad=True, device="cpu", layout=tg.strided)
    assert window.requires_grad and window.is_leaf and window.grad_fn is None
    assert tg.bartlett_window(3, requires_grad=True).is_leaf


def test_a_large_kaiser_beta_stays_finite():
    # np.kaiser reaches beta 700 (I0 still finite there); beyond, the scaled form keeps the
    # window finite, 1 in the middle, falling to the ends (PyTorch's overflows to NaN)
    np.testing.assert_allclose(_values(windows.kaiser(9, beta=700.0)), np.kaiser(9, 700.0),
                               rtol=1e-12, atol=1e-300)
    big = _values(tg.kaiser_window(9, False, 1000.0))
    assert np.isfinite(big).all() and big[4] == 1.0 and (np.diff(big[:5]) > 0).all()


WINDOW_ERRORS = [
    (lambda: tg.hann_window(-1), RuntimeError, "hann_window: requires a non-negative"),
    (lambda: tg.kaiser_window(3.0), TypeError, "kaiser_window: window_length must be an int"),
    (lambda: tg.bartlett_window(True), TypeError, "bartlett_window: window_length must be"),
    (lambda: tg.blackman_window(3, "yes"), TypeError, "blackman_window: periodic must be"),
    (lambda: tg.hamming_window(3, dtype=tg.int64), RuntimeError,
     "hamming_window: expects a floating-point dtype"),
    (lambda: tg.hamming_window(3, True, float("nan")), ValueError,
     "hamming_window: alpha must be a finite number"),
    (lambda: tg.kaiser_window(3, True, float("inf")), ValueError, "kaiser_window: beta must"),
    (lambda: tg.hann_window(3, device="cuda"), TypeError, "hann_window: expected the device"),
    (lambda: tg.hann_window(3, layout="sparse_coo"), TypeError, "hann_window: layout"),
    (lambda: tg.hann_window(3, dtype="complex64"), TypeError, "hann_window: complex dtypes"),
    (lambda: windows.hann(-1), ValueError, "hann: requires a non-negative window length"),
    (lambda: windows.hann(3, dtype=tg.float16), ValueError,
     r"hann: expects a floating-point dtype \(float32, float64\)"),
    (lambda: windows.hann(3, sym=1), TypeError, "hann: sym must be True or False"),
    (lambda: windows.gaussian(3, std=0), ValueError, "gaussian: std must be positive"),
    (lambda: windows.exponential(3, tau=-1), ValueError, "exponential: tau must be positive"),
    (lambda: windows.exponential(3, center=1), ValueError,
     "exponential: center must be None for a symmetric window"),
    (lambda: windows.kaiser(3, beta=-1), ValueError, "kaiser: beta must be non-negative"),
    (lambda: windows.general_cosine(3, a=None), TypeError,
     "general_cosine: the coefficients a must be a list or tuple"),
    (lambda: windows.general_cosine(3, a=[]), ValueError, "general_cosine: the coefficients"),
    (lambda: windows.general_cosine(3, a=[0.5, "x"]), TypeError, r"general_cosine: a\[1\]"),
    (lambda: windows.hann(3, 2), TypeError, "positional argument"),  # (sym is keyword-only)
]


@pytest.mark.parametrize("call, error, text", WINDOW_ERRORS)
def test_bad_window_arguments_are_one_line_naming_the_function(call, error, text):
    with pytest.raises(error, match=text) as caught:
        call()
    assert "\n" not in str(caught.value)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_top_level_windows_are_torchs(name):
    torch = pytest.importorskip("torch")
    for extra in TOP_LEVEL[name]:
        for length in LENGTHS + [64, 257]:
            for periodic in (True, False):
                for dtype, tol in (("float64", 1e-12), ("float32", 2e-6)):
                    got = getattr(tg, name)(length, periodic, *extra, dtype=dtype)
                    want = getattr(torch, name)(length, periodic, *extra,
                                                dtype=getattr(torch, dtype))
                    assert got.dtype.name == dtype and got.shape == tuple(want.shape)
                    np.testing.assert_allclose(_values(got), want.numpy(), rtol=tol, atol=tol)
    # the default dtype: each library's default float (ours float64)
    assert getattr(tg, name)(3).dtype == np.float64
    assert getattr(tg, name)(3, requires_grad=True).requires_grad


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SIGNAL))
def test_signal_windows_are_torchs(name):
    torch = pytest.importorskip("torch")
    cases = [(kw, sym) for kw in SIGNAL[name] for sym in (True, False)]
    cases += [(kw, False) for kw in SIGNAL_PERIODIC_ONLY.get(name, [])]
    for kw, sym in cases:
        for M in LENGTHS + [64, 256]:
            for dtype, tol in (("float64", 1e-12), ("float32", 2e-6)):
                got = getattr(windows, name)(M, sym=sym, dtype=dtype, **kw)
                want = getattr(torch.signal.windows, name)(M, sym=sym,
                                                           dtype=getattr(torch, dtype), **kw)
                assert got.dtype.name == dtype and got.shape == tuple(want.shape)
                want = want.numpy()
                if np.isnan(want).any():  # (torch's float32 I0(100) overflows: ours finite)
                    assert name == "kaiser" and dtype == "float32"
                    want = torch.signal.windows.kaiser(M, sym=sym, dtype=torch.float64,
                                                       **kw).numpy()
                np.testing.assert_allclose(_values(got), want, rtol=tol, atol=tol)


@pytest.mark.torch
def test_window_signatures_are_torchs():
    import inspect
    torch = pytest.importorskip("torch")
    for name in SIGNAL:
        ours = inspect.signature(getattr(windows, name)).parameters
        theirs = inspect.signature(getattr(torch.signal.windows, name)).parameters
        assert [(p.name, p.kind) for p in ours.values()] == \
            [(p.name, p.kind) for p in theirs.values()], name
        assert all(ours[k].default == theirs[k].default for k in ("sym", "requires_grad"))
    for name in TOP_LEVEL:
        schema = max(torch._C._jit_get_schemas_for_operator(f"aten::{name}"),
                     key=lambda s: len(s.arguments))
        positional = [a.name for a in schema.arguments if not a.kwarg_only]
        ours = [p.name for p in inspect.signature(getattr(tg, name)).parameters.values()
                if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert ours == positional, name
    lce = inspect.signature(linear_cross_entropy).parameters
    assert list(lce) == list(inspect.signature(
        torch.nn.functional.linear_cross_entropy).parameters)


# -- fft: the shifts and the frequencies ----------------------------------------------------
SHIFT_CASES = [((10,), None), ((9,), 0), ((5, 11), (1,)), ((5, 6), (0, 1)), ((5, 6, 2), (0, 2)),
               ((5, 6, 3), -1), ((4, 7), [-2]), ((0, 3), None), ((3, 0), 1), ((1,), None)]


@pytest.mark.parametrize("shape, dim", SHIFT_CASES)
def test_shifts_are_numpys_and_undo_each_other(shape, dim):
    data = RNG.standard_normal(shape)
    axes = tuple(dim) if isinstance(dim, list) else dim
    for name in ("fftshift", "ifftshift"):
        got = getattr(fft, name)(tg.tensor(data), dim=dim)
        np.testing.assert_array_equal(_values(got), getattr(np.fft, name)(data, axes=axes))
    x = tg.tensor(data)
    np.testing.assert_array_equal(_values(fft.ifftshift(fft.fftshift(x, dim), dim)), data)
    integers = (data * 10).astype(np.int64)
    assert fft.fftshift(tg.as_tensor(integers), dim).dtype == np.int64


def test_shifts_pass_gradients_back():
    x = _leaf(RNG.standard_normal((5, 6, 3)))
    assert tg.gradcheck(lambda t: fft.fftshift(t, dim=(0, 2)), [x])
    assert tg.gradcheck(lambda t: fft.ifftshift(t), [x])
    weights = RNG.standard_normal((5, 6, 3))
    (fft.fftshift(x, dim=1) * tg.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(_values(x.grad), np.fft.ifftshift(weights, axes=1))


def test_shifts_of_a_0d_tensor_or_no_axes_give_the_values():
    x = _leaf(2.5)
    out = fft.fftshift(x)
    assert out.shape == () and out.item() == 2.5 and out.requires_grad
    data = RNG.standard_normal((3, 4))
    np.testing.assert_array_equal(_values(fft.ifftshift(tg.tensor(data), dim=())), data)


def test_frequencies_are_numpys():
    for n in range(1, 10):
        for d in (1.0, 0.5, -2.0):
            np.testing.assert_allclose(_values(fft.fftfreq(n, d)), np.fft.fftfreq(n, d))
            np.testing.assert_allclose(_values(fft.rfftfreq(n, d)), np.fft.rfftfreq(n, d))
    assert fft.fftfreq(0).shape == (0,) and _values(fft.rfftfreq(0)).tolist() == [0.0]
    assert fft.fftfreq(4, dtype=tg.float32).dtype == np.float32
    assert fft.fftfreq(4, requires_grad=True).is_leaf
    assert _values(fft.fftfreq(4, tg.tensor(0.5))).tolist() == [0.0, 0.5, -1.0, -0.5]


def test_the_complex_transforms_are_absent_and_say_why():
    for name in fft.COMPLEX_TRANSFORMS:
        assert not hasattr(tg.fft, name)
        with pytest.raises(AttributeError, match=f"tinygrad_gd.fft.{name}: not available; "
                           f".*complex.*np.fft.{name}") as caught:
            getattr(tg.fft, name)
        assert "\n" not in str(caught.value)
    with pytest.raises(AttributeError, match="has no attribute 'nonsense'"):
        tg.fft.nonsense  # noqa: B018


FFT_ERRORS = [
    (lambda: fft.fftshift(tg.zeros(2, 3), dim=2), IndexError, "fftshift: axis 2 is out of range"),
    (lambda: fft.ifftshift(tg.zeros(2, 3), dim=1.0), TypeError, "ifftshift: axis must be"),
    (lambda: fft.fftshift(tg.zeros(2, 3), dim=(0, -2)), ValueError, "fftshift: axis .* twice"),
    (lambda: fft.fftshift(tg.tensor(1.0), dim=0), IndexError, "fftshift: axis 0 is out of"),
    (lambda: fft.fftfreq(-1), RuntimeError, "fftfreq: requires a non-negative"),
    (lambda: fft.fftfreq(4.0), TypeError, "fftfreq: n must be an int"),
    (lambda: fft.rfftfreq(4, 0), ValueError, "rfftfreq: d, the spacing between samples"),
    (lambda: fft.fftfreq(4, float("nan")), ValueError, "fftfreq: d must be a finite number"),
    (lambda: fft.fftfreq(4, dtype=tg.int64), RuntimeError, "fftfreq: expects a floating"),
]


@pytest.mark.parametrize("call, error, text", FFT_ERRORS)
def test_bad_fft_arguments_are_one_line_naming_the_function(call, error, text):
    with pytest.raises(error, match=text) as caught:
        call()
    assert "\n" not in str(caught.value)


@pytest.mark.torch
def test_shifts_and_frequencies_are_torchs():
    torch = pytest.importorskip("torch")
    for shape, dim in SHIFT_CASES:
        data = RNG.standard_normal(shape)
        for name in ("fftshift", "ifftshift"):
            ours, theirs = _leaf(data), torch.tensor(data, requires_grad=True)
            got = getattr(fft, name)(ours, dim)
            want = getattr(torch.fft, name)(theirs, dim)
            np.testing.assert_array_equal(_values(got), want.detach().numpy())
            weights = RNG.standard_normal(shape)
            (got * tg.tensor(weights)).sum().backward()
            (want * torch.tensor(weights)).sum().backward()
            np.testing.assert_array_equal(_values(ours.grad), theirs.grad.numpy())
    for n in range(1, 9):
        for name in ("fftfreq", "rfftfreq"):
            for dtype in ("float64", "float32"):
                got = getattr(fft, name)(n, 0.3, dtype=dtype)
                want = getattr(torch.fft, name)(n, 0.3, dtype=getattr(torch, dtype))
                assert got.dtype.name == dtype
                np.testing.assert_allclose(_values(got), want.numpy(), rtol=1e-6)


@pytest.mark.torch
def test_every_torch_fft_name_is_here_or_named_absent():
    torch = pytest.importorskip("torch")
    theirs = {name for name in dir(torch.fft) if not name.startswith("_")
              and callable(getattr(torch.fft, name)) and name != "Tensor"}
    assert theirs == set(fft.__all__) | set(fft.COMPLEX_TRANSFORMS)


# -- histogramdd --------------------------------------------------------------------------------
def _numpy_histogramdd(points, bins, range=None, weights=None, density=False):  # noqa: A002
    """NumPy's np.histogramdd, its range given as PyTorch's flat list."""
    pairs = None if range is None else [range[k:k + 2] for k in np.arange(0, len(range), 2)]
    with np.errstate(invalid="ignore"):  # (no points, densities: 0 / 0)
        return np.histogramdd(points, bins, range=pairs, weights=weights, density=density)


HISTOGRAM_CASES = [
    # (points' shape, bins, range)
    ((40, 2), 4, None),
    ((40, 3), [2, 3, 4], None),
    ((40, 2), [3, 2], [-1.0, 1.0, 0.0, 2.0]),
    ((6, 5, 2), 3, None),
    ((5, 1, 3), [1, 2, 3], None),
    ((5, 0, 3), [2, 3, 2], None),
    ((30, 1), 5, [-3.0, 0.0]),
]


@pytest.mark.parametrize("shape, bins, bounds", HISTOGRAM_CASES)
def test_histogramdd_is_numpys(shape, bins, bounds):
    data = RNG.standard_normal(shape)
    points = data.reshape(-1, shape[-1])
    for density in (False, True):
        for weight in (None, RNG.uniform(0.5, 2.0, shape[:-1])):
            got = histogramdd(tg.tensor(data), bins, range=bounds, weight=weight,
                              density=density)
            want, want_edges = _numpy_histogramdd(
                points, bins, bounds, None if weight is None else weight.reshape(-1), density)
            assert got.hist.dtype == np.float64 and isinstance(got.bin_edges, tuple)
            np.testing.assert_allclose(_values(got.hist), want, rtol=1e-12, equal_nan=True)
            for ours, theirs in zip(got.bin_edges, want_edges):
                np.testing.assert_allclose(_values(ours), theirs, rtol=1e-12, atol=1e-15)
    # edges given: the same counts as the counts of bins that made them
    edges = [tg.tensor(_values(e)) for e in histogramdd(tg.tensor(data), bins, range=bounds)[1]]
    np.testing.assert_array_equal(_values(histogramdd(tg.tensor(data), edges).hist),
                                  _values(histogramdd(tg.tensor(data), bins, range=bounds)[0]))


def test_histogramdd_edges_nans_and_equal_coordinates():
    points = tg.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]])
    hist, edges = histogramdd(points, bins=[3, 3], weight=tg.tensor([1.0, 2.0, 4.0, 8.0]))
    # each point in the bin of its left edge, the last bin holding its right edge too
    assert _values(hist).tolist() == [[0, 1, 0], [2, 0, 0], [4, 0, 8]]
    np.testing.assert_allclose(_values(edges[0]), [0, 2 / 3, 4 / 3, 2])
    # a NaN point, or one outside the range, is not counted
    with_nan = tg.tensor([[0.2, 0.2], [np.nan, 0.5], [0.7, 0.9], [3.0, 0.5]])
    assert _values(histogramdd(with_nan, 2, range=[0.0, 1.0, 0.0, 1.0]).hist).sum() == 2
    # all coordinates equal: the range widened by 0.5 each way; no points: [0, 1]
    assert _values(histogramdd(tg.ones(3, 2), 2)[1][0]).tolist() == [0.5, 1.0, 1.5]
    assert _values(histogramdd(tg.zeros(0, 2), 2)[1][1]).tolist() == [0.0, 0.5, 1.0]
    # nothing counted: densities are NaN (0 / 0)
    assert np.isnan(_values(histogramdd(points, 2, range=[5., 6., 5., 6.], density=True)[0])).all()
    # integers: the default float; float32 kept; no gradient
    assert histogramdd(tg.as_tensor([[1, 2], [3, 4]]), 2).hist.dtype == np.float64
    assert histogramdd(tg.zeros(3, 2, dtype=tg.float32), 2).bin_edges[0].dtype == np.float32
    leaf = _leaf(RNG.standard_normal((4, 2)))
    out = histogramdd(leaf, 2)
    assert not out.hist.requires_grad and not out.bin_edges[0].requires_grad


HISTOGRAM_ERRORS = [
    (lambda: histogramdd(tg.zeros(4), 2), RuntimeError, "histogramdd: input must have at least 2"),
    (lambda: histogramdd(tg.zeros(4, 0), 2), RuntimeError, "histogramdd: .* 0 coordinates"),
    (lambda: histogramdd(tg.zeros(5, 6), [1, 1, 1, 1, 1]), RuntimeError,
     r"histogramdd: bins gives 5 dimension\(s\), but the input's points have 6"),
    (lambda: histogramdd(tg.zeros(5, 2), 0), RuntimeError, "histogramdd: bins must be > 0"),
    (lambda: histogramdd(tg.zeros(5, 2), 2.5), TypeError, "histogramdd: bins must be an int"),
    (lambda: histogramdd(tg.zeros(5, 2), [2, tg.tensor([0.0, 1.0])]), TypeError,
     "histogramdd: bins must be all ints"),
    (lambda: histogramdd(tg.zeros(5, 1), [tg.tensor([1.0, 0.0])]), ValueError,
     "histogramdd: the bin edges must increase monotonically"),
    (lambda: histogramdd(tg.zeros(5, 1), [tg.tensor([1.0])]), RuntimeError,
     r"histogramdd: bins\[0\] must be a 1-D tensor of at least 2 edges"),
    (lambda: histogramdd(tg.zeros(5, 2), 2, range=[0.0, 1.0]), RuntimeError,
     "histogramdd: for a 2-dimensional histogram range should be a flat list of 4"),
    (lambda: histogramdd(tg.zeros(5, 1), 2, range=[1.0, 0.0]), RuntimeError,
     "histogramdd: min should not exceed max"),
    (lambda: histogramdd(tg.zeros(5, 1), [tg.tensor([0.0, 1.0])], range=[0.0, 1.0]), TypeError,
     "histogramdd: range= goes with numbers of bins"),
    (lambda: histogramdd(tg.tensor([[np.nan, 1.0]]), 2), RuntimeError,
     r"histogramdd: the range \[nan, nan\] of dimension 0 is not finite"),
    (lambda: histogramdd(tg.zeros(4, 2), 2, weight=tg.ones(3)), RuntimeError,
     "histogramdd: weight must have the input's shape without its last axis"),
    (lambda: histogramdd(tg.zeros(4, 2), 2, density="yes"), TypeError,
     "histogramdd: density must be True or False"),
]


@pytest.mark.parametrize("call, error, text", HISTOGRAM_ERRORS)
def test_bad_histogramdd_arguments_are_one_line_naming_it(call, error, text):
    with pytest.raises(error, match=text) as caught:
        call()
    assert "\n" not in str(caught.value)


@pytest.mark.torch
@pytest.mark.parametrize("shape, bins, bounds", HISTOGRAM_CASES)
def test_histogramdd_is_torchs(shape, bins, bounds):
    torch = pytest.importorskip("torch")
    for dtype in ("float64", "float32"):
        data = RNG.standard_normal(shape).astype(dtype)
        weight = RNG.uniform(0.5, 2.0, shape[:-1]).astype(dtype)
        sorted_edges = [np.sort(RNG.standard_normal(n + 1)).astype(dtype) for n in
                        (bins if isinstance(bins, list) else [bins] * shape[-1])]
        for density in (False, True):
            for w in (None, weight):
                for how in ((bins, bounds), (sorted_edges, None)):
                    ours = histogramdd(
                        tg.tensor(data), [tg.tensor(e) for e in how[0]]
                        if isinstance(how[0], list) and not isinstance(how[0][0], int)
                        else how[0], range=how[1], weight=None if w is None else tg.tensor(w),
                        density=density)
                    theirs = torch.histogramdd(
                        torch.tensor(data), [torch.tensor(e) for e in how[0]]
                        if isinstance(how[0], list) and not isinstance(how[0][0], int)
                        else how[0], range=how[1],
                        weight=None if w is None else torch.tensor(w), density=density)
                    assert ours.hist.dtype.name == dtype
                    assert ours.hist.shape == tuple(theirs.hist.shape)
                    np.testing.assert_allclose(_values(ours.hist), theirs.hist.numpy(),
                                               rtol=1e-5, equal_nan=True)
                    assert len(ours.bin_edges) == len(theirs.bin_edges)
                    for a, b in zip(ours.bin_edges, theirs.bin_edges):
                        np.testing.assert_allclose(_values(a), b.numpy(), rtol=1e-6)


# -- F.native_channel_shuffle and F.linear_cross_entropy --------------------------------------
def test_native_channel_shuffle_is_channel_shuffle():
    x = _leaf(RNG.standard_normal((2, 6, 3)))
    np.testing.assert_array_equal(_values(native_channel_shuffle(x, 3)),
                                  _values(F.channel_shuffle(x, 3)))
    # channel g * (C / groups) + i goes to i * groups + g: the NumPy reshape written out
    want = _values(x).reshape(2, 3, 2, 3).swapaxes(1, 2).reshape(2, 6, 3)
    np.testing.assert_array_equal(_values(native_channel_shuffle(x, 3)), want)
    assert tg.gradcheck(lambda t: native_channel_shuffle(t, 2), [x])
    with pytest.raises(ValueError, match="channels must be divisible by groups"):
        native_channel_shuffle(x, 4)


def _numpy_cross_entropy(logits, classes):
    """The mean over samples of -log softmax(logits)[class]: NumPy, written out."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(classes)), classes].mean()


X4, W34, B3 = RNG.standard_normal((5, 4)), RNG.standard_normal((3, 4)), RNG.standard_normal(3)
LABELS = np.array([0, 2, 1, 1, 2])
W324 = RNG.standard_normal((3, 2, 4))  # a K-dimensional loss: logits (N, 3, 2)
LABELS_K = np.array([[0, 2], [1, 1], [2, 0], [0, 0], [1, 2]])
PROBS = RNG.dirichlet(np.ones(3), 5)
# (input, linear_weight, target, keywords), each a case of the reference path
LCE_CASES = [
    (X4, W34, LABELS, {}),
    (X4, W34, LABELS, {"linear_bias": B3, "reduction": "sum"}),
    (X4, W34, LABELS, {"weight": np.array([0.5, 2.0, 1.0]), "reduction": "none"}),
    (X4, W34, LABELS, {"ignore_index": 1, "label_smoothing": 0.2}),
    (X4, W34, PROBS, {"linear_bias": B3, "label_smoothing": 0.1}),
    (X4[0], W34, np.array(2), {}),
    (X4[0], W34, PROBS[0], {"reduction": "sum"}),
    (X4, W324, LABELS_K, {"linear_bias": RNG.standard_normal((3, 2))}),
    (X4, W324, RNG.dirichlet(np.ones(3), (5, 2)).swapaxes(1, 2), {"reduction": "none"}),
]


def _lce_args(case, library):
    x, w, y, kw = case
    if library is tg:
        make, target = _leaf, (tg.as_tensor(y) if y.dtype.kind == "i" else _leaf(y))
    else:
        make = lambda a: library.tensor(a, requires_grad=True)  # noqa: E731
        target = library.tensor(y, requires_grad=y.dtype.kind == "f")
    kw = {k: make(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    if "weight" in kw:
        kw["weight"] = kw["weight"].detach()
    return make(x), make(w), target, kw


def test_linear_cross_entropy_is_the_log_softmax_of_the_linear_layer():
    x, w, y, _ = _lce_args(LCE_CASES[0], tg)
    np.testing.assert_allclose(linear_cross_entropy(x, w, y).item(),
                               _numpy_cross_entropy(X4 @ W34.T, LABELS), rtol=1e-12)


def test_linear_cross_entropy_options_change_nothing():
    # (PyTorch's options choose a chunked computation of the same loss: taken, not refused)
    x, w, y, kw = _lce_args(LCE_CASES[1], tg)
    plain = linear_cross_entropy(x, w, y, **kw)
    chosen = linear_cross_entropy(x, w, y, options=object(), **kw)
    plain.backward()
    first = x.grad.numpy().copy()
    x.grad = None
    chosen.backward()
    assert chosen.item() == plain.item() and np.array_equal(x.grad.numpy(), first)


@pytest.mark.parametrize("number", range(len(LCE_CASES)))
def test_linear_cross_entropy_passes_gradcheck(number):
    x, w, y, kw = _lce_args(LCE_CASES[number], tg)
    bias = kw.pop("linear_bias", None)
    inputs = [x, w] + ([y] if y.requires_grad else []) + ([bias] if bias is not None else [])

    def loss(x, w, *rest):
        rest = list(rest)
        target = rest.pop(0) if y.requires_grad else y
        return linear_cross_entropy(x, w, target, linear_bias=rest[0] if rest else None, **kw)
    assert tg.gradcheck(loss, inputs)


LCE_ERRORS = [
    (lambda: linear_cross_entropy(tg.zeros(2, 3, 3), tg.zeros(2, 3), tg.zeros(3, 2)),
     "expected input of 1 or 2 dimensions"),
    (lambda: linear_cross_entropy(tg.zeros(2, 3), tg.zeros(2), tg.zeros(2, 2)),
     "expected linear_weight of at least 2 dimensions"),
    (lambda: linear_cross_entropy(tg.zeros(2, 3), tg.zeros(2, 4), tg.zeros(2, 2)),
     "has 3 features, but linear_weight of shape"),
    (lambda: linear_cross_entropy(tg.zeros(2, 3), tg.zeros(2, 3), tg.zeros(2, 2),
                                  ignore_index=0), "ignore_index cannot be given"),
    (lambda: linear_cross_entropy(tg.zeros(3), tg.zeros(2, 4, 3), tg.zeros(2, 4)),
     "K-dimensional loss .* needs a batch of inputs"),
    (lambda: linear_cross_entropy(tg.zeros(2, 3), tg.zeros(2, 3), tg.as_tensor([0, 1]),
                                  linear_bias=tg.zeros(3)),
     r"expected linear_bias of shape \(2,\)"),
    (lambda: linear_cross_entropy(tg.zeros(2, 3), tg.zeros(2, 3), tg.as_tensor([0, 5])),
     r"cross_entropy: class indices must lie in \[0, 1\]"),
]


@pytest.mark.parametrize("call, text", LCE_ERRORS)
def test_bad_linear_cross_entropy_arguments_are_one_line(call, text):
    with pytest.raises((RuntimeError, TypeError, ValueError), match=text) as caught:
        call()
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(("linear_cross_entropy: ", "cross_entropy: "))


@pytest.mark.torch
@pytest.mark.parametrize("number", range(len(LCE_CASES)))
def test_linear_cross_entropy_is_torchs(number):
    torch = pytest.importorskip("torch")
    ours, theirs = _lce_args(LCE_CASES[number], tg), _lce_args(LCE_CASES[number], torch)
    got = linear_cross_entropy(ours[0], ours[1], ours[2], **ours[3])
    want = torch.nn.functional.linear_cross_entropy(*theirs[:3], **theirs[3])
    assert got.shape == tuple(want.shape) and got.dtype == np.float64
    np.testing.assert_allclose(_values(got), want.detach().numpy(), rtol=1e-12)
    cotangent = RNG.standard_normal(got.shape)
    (got * tg.tensor(cotangent)).sum().backward()
    (want * torch.tensor(cotangent)).sum().backward()
    pairs = [(ours[0], theirs[0]), (ours[1], theirs[1]), (ours[2], theirs[2])]
    if "linear_bias" in ours[3]:
        pairs.append((ours[3]["linear_bias"], theirs[3]["linear_bias"]))
    for a, b in pairs:
        if b.requires_grad:
            np.testing.assert_allclose(_values(a.grad), b.grad.numpy(), rtol=1e-10,
                                       atol=1e-14)


@pytest.mark.torch
def test_native_channel_shuffle_is_torchs():
    torch = pytest.importorskip("torch")
    data = RNG.standard_normal((2, 6, 3, 2))
    ours, theirs = _leaf(data), torch.tensor(data, requires_grad=True)
    got = native_channel_shuffle(ours, 3)
    want = torch.nn.functional.native_channel_shuffle(theirs, 3)
    np.testing.assert_array_equal(_values(got), want.detach().numpy())
    # torch has no derivative of native_channel_shuffle ("not implemented"): ours is
    # channel_shuffle's, the gradient torch's channel_shuffle gives
    want = torch.nn.functional.channel_shuffle(theirs, 3)
    cotangent = RNG.standard_normal(data.shape)
    (got * tg.tensor(cotangent)).sum().backward()
    (want * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_array_equal(_values(ours.grad), theirs.grad.numpy())
    assert math.isclose(float(native_channel_shuffle(tg.tensor(data), 1).sum().item()),
                        float(data.sum()))

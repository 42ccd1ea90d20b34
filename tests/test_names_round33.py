"""PyTorch names a user reaches for and did not find (thirty-third round), each against
PyTorch 2.13: added where they fit a CPU, NumPy, float64 framework, else refused in one
line that says why and what to use.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.errors import ShapeError

torch = pytest.importorskip("torch")


# -- casts to bfloat16, and torch's legacy tensor-type classes -----------------------------
_NO_BFLOAT16 = "NumPy has no bfloat16 dtype: use x.half() (float16) or x.float() (float32)"


@pytest.mark.parametrize("call, where", [
    (lambda: tg.ones(2).to(torch.bfloat16), "to"),
    (lambda: tg.ones(2).to("bfloat16"), "to"),
    (lambda: tg.ones(2).to(dtype=torch.bfloat16), "to"),
    (lambda: tg.zeros(2, dtype=torch.bfloat16), "zeros"),
])
def test_a_cast_to_bfloat16_says_numpy_has_none_and_what_to_use(call, where):
    """(It said NumPy's words: "unknown dtype 'bfloat16': data type 'bfloat16' not
    understood".)"""
    assert torch.ones(2).to(torch.bfloat16).dtype == torch.bfloat16  # (PyTorch's takes it)
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == f"{where}: {_NO_BFLOAT16}"


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
                                  "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
                                  "BoolTensor"])
def test_type_takes_torchs_legacy_type_classes_as_their_names(name):
    """(`x.type(torch.FloatTensor)` was refused: "tinygrad_gd runs on the CPU only".)"""
    values = np.array([0.0, 1.5, -2.0])
    expected = torch.tensor(values).type(getattr(torch, name))
    for given in (getattr(torch, name), getattr(tg, name), f"torch.{name}"):
        ours = tg.tensor(values).type(given)
        assert str(ours.dtype) == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    model = tg.nn.Linear(2, 2)
    if expected.dtype.is_floating_point:
        assert model.type(getattr(torch, name)) is model
        assert str(model.weight.dtype) == str(expected.dtype).removeprefix("torch.")


def test_type_of_torchs_bfloat16_and_cuda_classes_is_refused_saying_what_it_was_given():
    start = "type: expected a dtype (tg.float32, \"int64\") or a type name such as "
    with pytest.raises(TypeError) as info:
        tg.ones(2).type(torch.BFloat16Tensor)
    assert str(info.value) == (f"{start}'tinygrad_gd.FloatTensor', got tensortype "
                               f"<class 'torch.BFloat16Tensor'>; {_NO_BFLOAT16}")
    with pytest.raises(TypeError) as info:
        tg.ones(2).type(torch.cuda.FloatTensor)
    assert str(info.value).endswith("; tinygrad_gd runs on the CPU only")


# -- tg.random.fork_rng ---------------------------------------------------------------------
@pytest.fixture
def global_generator():
    """The global generator as the test found it, put back after it (the tests reseed it)."""
    saved = list(tg.creation._seeded)
    yield
    tg.creation._seeded[:] = saved


def _draws_after(block):
    """Three draws after `block`, the global generator seeded 0 and drawn from first."""
    tg.manual_seed(0)
    tg.randn(2)
    block()
    return tg.randn(3).numpy()


def _nothing():
    pass


def test_fork_rng_leaves_the_draws_after_it_as_without_it(global_generator):
    def forked():
        with tg.random.fork_rng():
            tg.randn(5), tg.rand(4), tg.random.normal(0.0, 1.0, size=(3,))
    np.testing.assert_array_equal(_draws_after(forked), _draws_after(_nothing))
    # PyTorch's too: the draws after the block are those without it
    torch.manual_seed(0)
    without = torch.randn(3)
    torch.manual_seed(0)
    with torch.random.fork_rng():
        torch.randn(5)
    assert torch.equal(torch.randn(3), without)


def test_fork_rng_nested_and_reseeded_inside_restores_each_level(global_generator):
    inside = []

    def nested():
        with tg.random.fork_rng():
            tg.randn(2)
            with tg.random.fork_rng(devices=[]):
                tg.manual_seed(123)
                tg.randn(7)
            inside.append(tg.randn(3).numpy())  # as if the inner block had not run
            tg.manual_seed(5)
            tg.randn(1)
    np.testing.assert_array_equal(_draws_after(nested), _draws_after(_nothing))
    assert tg.random.initial_seed() == 0

    def two_draws():
        tg.randn(2)
    np.testing.assert_array_equal(inside[0], _draws_after(two_draws))


def test_a_generator_held_before_the_block_follows_it_back(global_generator):
    """(manual_seed returns the generator; what holds it draws the restored stream.)"""
    held = tg.manual_seed(0)
    with tg.random.fork_rng():
        held.normal(size=4)
    after = held.normal(size=3)
    np.testing.assert_array_equal(after, tg.manual_seed(0).normal(size=3))


def test_fork_rng_restores_after_an_exception_and_not_when_disabled(global_generator):
    def raising():
        with pytest.raises(KeyError), tg.random.fork_rng():
            tg.randn(4)
            raise KeyError("inside")
    np.testing.assert_array_equal(_draws_after(raising), _draws_after(_nothing))

    def disabled():
        with tg.random.fork_rng(enabled=False):
            tg.randn(4)

    def drawn():
        tg.randn(4)
    np.testing.assert_array_equal(_draws_after(disabled), _draws_after(drawn))


def test_fork_rng_without_a_seeded_generator_leaves_none(global_generator):
    tg.creation._seeded[:] = [None, None]  # (as a program that never called manual_seed)
    with tg.random.fork_rng():
        tg.manual_seed(3)
    seeded = np.random.default_rng(3)
    after = tg.randn(3).numpy()  # fresh entropy: neither of seed 3's first two draws
    assert not any(np.array_equal(after, seeded.standard_normal(3)) for _ in range(2))


@pytest.mark.parametrize("call, error, text", [
    (lambda: tg.random.fork_rng(devices=[0]), RuntimeError,
     "fork_rng: devices=[0] asks to fork the generators of accelerators, and tinygrad_gd has "
     "none (it computes on the CPU, whose generator is always forked); leave devices out or "
     "give []"),
    (lambda: tg.random.fork_rng(enabled="yes"), TypeError, "fork_rng: enabled must be"),
    (lambda: tg.random.fork_rng(device_type=3), TypeError,
     "fork_rng: device_type must be a device type's name"),
])
def test_fork_rng_refusals(call, error, text):
    with pytest.raises(error) as info, call():
        pass
    assert str(info.value).startswith(text), info.value


# -- tg.testing.make_tensor -----------------------------------------------------------------
_DTYPES = ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _both(shape, dtype, **options):
    """make_tensor of each library, torch's dtype given by name; torch's seeded."""
    torch.manual_seed(0)
    theirs = torch.testing.make_tensor(*shape, dtype=getattr(torch, dtype), device="cpu",
                                       **options)
    ours = tg.testing.make_tensor(*shape, dtype=getattr(tg, dtype), device="cpu", **options)
    return ours, theirs


@pytest.mark.parametrize("dtype", _DTYPES)
@pytest.mark.parametrize("shape", [(4000,), ((40, 100),), ([2, 3, 4],), ()])
def test_make_tensor_draws_the_values_pytorchs_takes_by_default(dtype, shape):
    ours, theirs = _both(shape, dtype)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == dtype
    assert ours.requires_grad is False and ours.is_leaf
    if ours.numel() >= 4000:  # the same values drawn: every whole number, or the range
        if dtype == "bool" or "int" in dtype:
            assert set(np.unique(ours.numpy())) == set(np.unique(theirs.numpy()))
        else:
            assert theirs.min() >= -9 and theirs.max() < 9
            assert ours.numpy().min() >= -9 and ours.numpy().max() < 9
            assert ours.numpy().min() < -8.9 and ours.numpy().max() > 8.9


def _documented_range(dtype, low, high):
    """[low, high) as PyTorch's docstring says: clamped to the dtype's finite values (its
    largest + 1 for integers but int64), rounded up to whole numbers for bool and integers."""
    if dtype == "bool":
        lowest, highest = 0, 2
    elif "int" in dtype:
        info = torch.iinfo(getattr(torch, dtype))
        lowest, highest = info.min, info.max + (dtype != "int64")
    else:
        info = torch.finfo(getattr(torch, dtype))
        return max(low, info.min), min(high, info.max)
    return math.ceil(max(low, lowest)), math.ceil(min(high, highest))


@pytest.mark.parametrize("dtype", _DTYPES)
@pytest.mark.parametrize("low, high", [(-2.5, 2.5), (0.2, 1.5), (-1000, 1000), (-1e40, 3),
                                       (0, 1)])
def test_make_tensor_bounds_are_clamped_and_rounded_as_pytorchs(dtype, low, high):
    ours, theirs = _both((3000,), dtype, low=low, high=high)
    lowest, highest = _documented_range(dtype, low, high)
    for values in (ours.numpy(), theirs.numpy()):
        assert values.min() >= lowest and values.max() < highest, (values.min(), values.max())
    if (dtype == "bool" or "int" in dtype) and highest - lowest < 100:  # every value drawn
        assert set(np.unique(ours.numpy())) == set(np.unique(theirs.numpy()))


@pytest.mark.parametrize("dtype", _DTYPES)
def test_make_tensor_exclude_zero_and_requires_grad(dtype):
    ours, theirs = _both((2000,), dtype, low=0, high=2, exclude_zero=True)
    assert not (ours.numpy() == 0).any() and not (theirs == 0).any()
    if dtype == "bool" or "int" in dtype:
        assert set(np.unique(ours.numpy())) == set(np.unique(theirs.numpy()))
        with pytest.raises(ValueError) as info:
            tg.testing.make_tensor(2, dtype=getattr(tg, dtype), device="cpu",
                                   requires_grad=True)
        assert str(info.value) == (f"make_tensor: requires_grad=True needs a float dtype, got "
                                   f"{dtype}; give dtype=tg.float64 or leave requires_grad out")
        with pytest.raises(ValueError):
            torch.testing.make_tensor(2, dtype=getattr(torch, dtype), device="cpu",
                                      requires_grad=True)
    else:
        # every value 0 in float16 (below its smallest subnormal): each made the tiny one
        ours, theirs = _both((5,), "float16", low=0, high=1e-9, exclude_zero=True)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.numpy()[0] == np.finfo(np.float16).tiny
        x = tg.testing.make_tensor(3, dtype=getattr(tg, dtype), device="cpu",
                                   requires_grad=True)
        assert x.requires_grad and x.is_leaf
        x.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.ones(3, dtype))


def test_make_tensor_noncontiguous_and_memory_format_as_pytorchs():
    ours, theirs = _both((3, 4), "float64", noncontiguous=True)
    assert not ours.is_contiguous() and not theirs.is_contiguous()
    assert ours.stride() == theirs.stride()
    one, theirs_one = _both((1,), "float64", noncontiguous=True)  # (one entry: contiguous)
    assert one.is_contiguous() and theirs_one.is_contiguous()
    ours, theirs = _both((2, 3, 4, 5), "float32", memory_format=torch.channels_last)
    assert ours.stride() == theirs.stride()
    ours = tg.testing.make_tensor(2, 3, 4, 5, dtype=tg.float32, device="cpu",
                                  memory_format=tg.channels_last)
    assert ours.stride() == theirs.stride()


def test_make_tensor_draws_from_the_global_generator(global_generator):
    tg.manual_seed(7)
    first = tg.testing.make_tensor(5, dtype=tg.float64, device="cpu")
    tg.manual_seed(7)
    np.testing.assert_array_equal(first.numpy(),
                                  tg.testing.make_tensor(5, dtype=tg.float64,
                                                         device="cpu").numpy())


@pytest.mark.parametrize("options, error, text", [
    (dict(low=3, high=1), ValueError,
     "make_tensor: low must be less than high, got 3 >= 1; give low < high"),
    (dict(low=float("nan")), ValueError,
     "make_tensor: low and high cannot be NaN, got low=nan and high=9; give numbers"),
    (dict(dtype="int8", low=200, high=300), ValueError,
     "make_tensor: the values [low, high) = [200, 300) lie outside [-128, 128), all that "
     "int8 holds; give bounds inside it"),
    (dict(noncontiguous=True, memory_format="channels_last"), ValueError,
     "make_tensor: noncontiguous and memory_format exclude each other"),
    (dict(low="0"), TypeError, "make_tensor: low must be a number or None, got str '0'"),
    (dict(device="cuda"), TypeError, "make_tensor: expected the device 'cpu', got str 'cuda'"),
    (dict(dtype="complex64"), TypeError, "make_tensor: complex dtypes are not supported"),
])
def test_make_tensor_refusals_in_one_line(options, error, text):
    dtype = options.pop("dtype", "float64")
    device = options.pop("device", "cpu")
    fmt = options.pop("memory_format", None)
    if fmt is not None:
        with pytest.raises(error):
            torch.testing.make_tensor(2, 3, 4, 5, dtype=getattr(torch, dtype), device=device,
                                      memory_format=getattr(torch, fmt), **options)
    elif device == "cpu" and "low" in options and isinstance(options["low"], (int, float)):
        with pytest.raises(error):  # PyTorch's refuses it too, with the same error type
            torch.testing.make_tensor(2, 3, 4, 5, dtype=getattr(torch, dtype), device=device,
                                      **options)
    with pytest.raises(error) as info:
        tg.testing.make_tensor(2, 3, 4, 5, dtype=getattr(tg, dtype, dtype), device=device,
                               memory_format=None if fmt is None else getattr(tg, fmt),
                               **options)
    assert str(info.value).startswith(text), info.value
    assert "\n" not in str(info.value)


# -- F.conv_tbc, F.grouped_mm; F.scaled_mm refused -------------------------------------------
F = tg.nn.functional
_RNG = np.random.default_rng(33)


def _gradients_agree(ours_fn, theirs_fn, arrays, rtol=1e-10, dtype=np.float64, used=None):
    """ours_fn and theirs_fn of the arrays: values and every input's gradient (each output
    entry weighted differently) equal, in the part `used[k]` of input k where given (the
    rest unset in PyTorch's, 0 in ours); returns our result."""
    xs = [tg.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out, expected = ours_fn(*xs), theirs_fn(*ts)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=rtol, atol=rtol)
    weights = _RNG.uniform(0.5, 1.5, out.shape).astype(dtype)
    (out * tg.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for k, (x, t) in enumerate(zip(xs, ts)):
        part = (used or {}).get(k, ...)
        np.testing.assert_allclose(x.grad.numpy()[part], t.grad.numpy()[part], rtol=rtol,
                                   atol=rtol)
        unused = np.ones(x.shape, bool)
        unused[part] = False
        assert (x.grad.numpy()[unused] == 0).all()
    return out


@pytest.mark.parametrize("steps, width, pad", [  # (steps + 2 pad - width + 1 >= 0)
    (steps, width, pad) for steps, width in [(7, 3), (4, 1), (3, 3), (2, 3)]
    for pad in (0, 1, 2, -1) if steps + 2 * pad >= width - 1])
def test_conv_tbc_values_and_gradients_are_pytorchs(steps, width, pad):
    arrays = [_RNG.standard_normal((steps, 2, 3)), _RNG.standard_normal((width, 3, 4)),
              _RNG.standard_normal(4)]
    out = _gradients_agree(lambda x, w, b: F.conv_tbc(x, w, b, pad),
                           lambda x, w, b: torch.conv_tbc(x, w, b, pad), arrays)
    assert out.shape == (steps + 2 * pad - width + 1, 2, 4)


def test_conv_tbc_is_drawn_as_one_call():
    pytest.importorskip("graphviz")
    from test_declared_calls_round32 import _call_frames
    x, w, b = (tg.tensor(_RNG.standard_normal(s), requires_grad=True)
               for s in ((5, 2, 3), (2, 3, 4), (4,)))
    assert _call_frames(F.conv_tbc(x, w, b, 1)) == {("F.conv_tbc()",)}
    assert _call_frames(F.grouped_mm(tg.ones(4, 3, requires_grad=True), tg.ones(2, 3, 2),
                                     offs=[1, 4])) == {("F.grouped_mm()",)}


@pytest.mark.parametrize("args, error, text", [
    (((1, 2, 3), (3, 3, 4), (4,), 0), ShapeError,
     "conv_tbc: 1 time steps padded by 0 at each end are fewer than the kernel's width 3 "
     "less 1; give a longer input or more pad"),
    (((5, 2, 3), (3, 2, 4), (4,), 0), ShapeError,
     "conv_tbc: input of shape (5, 2, 3) has 3 channels (axis 2), but weight of shape "
     "(3, 2, 4) takes 2 (axis 1)"),
    (((5, 2, 3), (3, 3, 4), (3,), 0), ShapeError,
     "conv_tbc: bias of shape (3,) does not fit weight of shape (3, 3, 4); expected (4,), "
     "one per output channel"),
    (((5, 3), (3, 3, 4), (4,), 0), ShapeError,
     "conv_tbc: input must have 3 dimensions (time, batch, in_channels), got shape (5, 3)"),
    (((5, 2, 3), (3, 3, 4), (4,), 0.5), TypeError,
     "conv_tbc: pad must be an int (time steps), got float 0.5"),
])
def test_conv_tbc_refusals_name_the_shapes(args, error, text):
    *shapes, pad = args
    tensors = [np.ones(s) for s in shapes]
    with pytest.raises(Exception):  # (PyTorch's refuses each too)
        torch.conv_tbc(*(torch.tensor(t) for t in tensors), pad)
    with pytest.raises(error) as info:
        F.conv_tbc(*(tg.tensor(t) for t in tensors), pad)
    assert str(info.value) == text


# (mat_a's shape, mat_b's shape, offs): each of PyTorch's four forms, empty groups, rows
# or columns after the last group
_GROUPED = [((3, 4, 8), (3, 8, 4), None), ((10, 8), (3, 8, 4), [2, 5, 10]),
            ((10, 8), (3, 8, 4), [0, 5, 8]), ((4, 16), (16, 4), [4, 8, 16]),
            ((4, 16), (16, 4), [4, 4, 12]), ((3, 4, 8), (8, 12), [4, 8, 12]),
            ((3, 4, 8), (8, 12), [4, 4, 8])]


@pytest.mark.parametrize("shape_a, shape_b, offs", _GROUPED)
def test_grouped_mm_values_and_gradients_are_pytorchs_in_float32(shape_a, shape_b, offs):
    arrays = [_RNG.standard_normal(shape_a), _RNG.standard_normal(shape_b)]
    ends = None if offs is None else torch.tensor(offs, dtype=torch.int32)
    length = None if offs is None else (shape_a[0] if len(shape_a) == 2 and len(shape_b) == 3
                                        else shape_b[-1])

    def theirs(a, b):  # (past the last group PyTorch's values are unset: 0 here)
        out = torch.nn.functional.grouped_mm(a, b, offs=ends)
        if length is not None and offs[-1] < length:
            keep = torch.arange(length) < offs[-1]
            out = torch.where(keep[:, None] if out.shape[0] == length else keep, out, 0.0)
        return out
    used = {}  # the entries of a and b the groups read (PyTorch's gradient elsewhere unset)
    if offs is not None and len(shape_a) == 2:
        used = {0: np.s_[:offs[-1]]} if len(shape_b) == 3 else {0: np.s_[:, :offs[-1]],
                                                                1: np.s_[:offs[-1]]}
    elif offs is not None:
        used = {1: np.s_[:, :offs[-1]]}
    out = _gradients_agree(lambda a, b: F.grouped_mm(a, b, offs=offs), theirs, arrays,
                           rtol=1e-5, dtype=np.float32, used=used)
    assert out.dtype == np.float32


@pytest.mark.parametrize("shape_a, shape_b, offs", _GROUPED)
def test_grouped_mm_in_float64_is_each_groups_product(shape_a, shape_b, offs):
    """(PyTorch's CPU kernel refuses float64: each group's product, by NumPy.)"""
    a, b = _RNG.standard_normal(shape_a), _RNG.standard_normal(shape_b)
    out = F.grouped_mm(tg.tensor(a), tg.tensor(b), offs=offs).numpy()
    if offs is None:
        np.testing.assert_allclose(out, a @ b, rtol=1e-12)
        return
    expected = np.zeros(out.shape)
    for g, (s, e) in enumerate(zip([0] + offs[:-1], offs)):
        if a.ndim == 2 and b.ndim == 3:
            expected[s:e] = a[s:e] @ b[g]
        elif a.ndim == 2:
            expected[g] = a[:, s:e] @ b[s:e]
        else:
            expected[:, s:e] = a[g] @ b[:, s:e]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    tg.gradcheck(lambda x, y: F.grouped_mm(x, y, offs=offs),
                 [tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)])


@pytest.mark.parametrize("a, b, options, error, text", [
    ((10, 8), (3, 8, 4), {}, ValueError,
     "grouped_mm: offs goes with a 2-d operand, and only then (mat_a (10, 8), mat_b (3, 8, "
     "4)); give it for a 2-d one, not for two 3-d ones"),
    ((3, 4, 8), (3, 8, 4), dict(offs=[1, 2, 3]), ValueError, "grouped_mm: offs goes with"),
    ((10, 8), (2, 8, 4), dict(offs=[2, 5, 10]), ShapeError,
     "grouped_mm: offs gives 3 groups, but the 3-d operand holds 2; give one end per group"),
    ((10, 8), (3, 8, 4), dict(offs=[5, 2, 10]), ValueError,
     "grouped_mm: offs must rise from 0 to at most 10, the length of mat_a's axis 0, got "
     "[5, 2, 10]; give each group's end, in order"),
    ((10, 8), (3, 8, 4), dict(offs=[2, 5, 12]), ValueError, "grouped_mm: offs must rise"),
    ((10, 8), (3, 4, 4), dict(offs=[2, 5, 10]), ShapeError,
     "grouped_mm: mat_a of shape (10, 8) and mat_b of shape (3, 4, 4) do not fit: a's last "
     "axis (8) must be b's next to last (4)"),
    ((3, 4, 8), (2, 8, 8), {}, ShapeError,
     "grouped_mm: mat_a of shape (3, 4, 8) and mat_b of shape (2, 8, 8) hold 3 and 2 "
     "groups; give as many"),
    ((10, 8), (3, 8, 4), dict(offs=[2, 5, 10], bias=np.ones(4)), NotImplementedError,
     "grouped_mm: bias is not supported, as in PyTorch's; add it to the result"),
    ((10, 8), (3, 8, 4), dict(offs=[2, 5, 10], out_dtype=np.float16), TypeError,
     "grouped_mm: out_dtype float16 differs from the operands' float32; leave it out, or "
     "cast the result"),
])
def test_grouped_mm_refusals_in_one_line(a, b, options, error, text):
    mats = [_RNG.standard_normal(a).astype(np.float32), _RNG.standard_normal(b).astype(
        np.float32)]
    theirs = {k: torch.tensor(v, dtype=torch.int32) if k == "offs" else
              torch.tensor(v, dtype=torch.float32) if k == "bias" else
              torch.float16 if k == "out_dtype" else v for k, v in options.items()}
    if options.get("offs") not in ([2, 5, 12], [5, 2, 10]):  # (PyTorch's reads them unchecked)
        with pytest.raises(RuntimeError):
            torch.nn.functional.grouped_mm(*map(torch.tensor, mats), **theirs)
    with pytest.raises(error) as info:
        F.grouped_mm(*map(tg.tensor, mats), **options)
    assert str(info.value).startswith(text), info.value


@pytest.mark.parametrize("name", ["scaled_mm", "scaled_grouped_mm"])
def test_scaled_mm_is_refused_as_numpy_has_no_float8(name):
    assert hasattr(torch.nn.functional, name)
    with pytest.raises(TypeError) as info:
        getattr(F, name)(tg.ones(2, 2), tg.ones(2, 2), 1.0, None, 1.0, None)
    assert str(info.value).startswith(f"{name}: its operands are float8 values with their "
                                      f"scales, and NumPy has no float8 dtype; multiply "
                                      f"float tensors: ")


# -- torch.autograd.graph's and torch.distributions.constraints' names ----------------------
def test_every_name_torch_autograd_graph_exports_is_ours():
    theirs = torch.autograd.graph
    assert [n for n in theirs.__all__ if not hasattr(tg.autograd.graph, n)] == []
    # the rest of its dir() is what it imports from elsewhere (deque, log, Variable, ...)
    others = [n for n in dir(theirs) if not n.startswith("_") and n not in theirs.__all__
              and not hasattr(tg.autograd.graph, n)]
    assert all(getattr(getattr(theirs, n), "__module__", "") != theirs.__name__
               for n in others), others


@pytest.mark.parametrize("name", ["set_warn_on_accumulate_grad_stream_mismatch",
                                  "set_override_stale_capture_stream"])
def test_pytorchs_gpu_stream_settings_are_taken_and_change_nothing(name):
    for enabled in (True, False):
        assert getattr(torch.autograd.graph, name)(enabled) is None  # (PyTorch's CPU: too)
        assert getattr(tg.autograd.graph, name)(enabled) is None
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    with pytest.raises(TypeError, match=f"^{name}: enabled must be"):
        getattr(tg.autograd.graph, name)("yes")


def test_region_activation_memory_budget_is_refused_as_pytorch_refuses_it_eagerly():
    with pytest.raises(RuntimeError):
        with torch.autograd.graph.region_activation_memory_budget(0.5):
            pass
    with pytest.raises(RuntimeError) as info:
        with tg.autograd.graph.region_activation_memory_budget(0.5):
            pass
    assert str(info.value) == (
        "region_activation_memory_budget: it sets torch.compile's budget of saved "
        "activations, and tinygrad_gd compiles nothing (every op runs as called, its "
        "activations saved); leave the block out, or keep saved values elsewhere with "
        "tg.autograd.graph.saved_tensors_hooks")


def test_every_name_torch_distributions_constraints_has_is_ours():
    from test_module_optim_parity_round32 import _missing
    assert _missing(torch.distributions.constraints, tg.distributions.constraints) == []


_SQUARES = np.array([[[1.0, 0.0], [0.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]],  # PD, indefinite
                     [[1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [3.0, 1.0]],  # PSD, lower
                     [[0.0, 0.0], [0.0, 0.0]], [[1.0, 1e-7], [0.0, 1.0]]])  # zero, ~symmetric


@pytest.mark.parametrize("name, values", [
    ("positive_integer", np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 7.0])),
    ("lower_triangular", _SQUARES),
    ("square", _SQUARES),
    ("square", np.ones((3, 2, 3))),
    ("symmetric", _SQUARES),
    ("symmetric", np.ones((2, 2, 3))),
    ("positive_semidefinite", _SQUARES),
    ("positive_definite", _SQUARES),
])
def test_the_new_constraints_check_as_pytorchs(name, values):
    ours = getattr(tg.distributions.constraints, name)
    theirs = getattr(torch.distributions.constraints, name)
    # each matrix given to PyTorch's alone: given a batch with one matrix not symmetric,
    # its positive_(semi)definite says only which are symmetric
    events = values if ours.event_dim == 0 else values.reshape((-1,) + values.shape[-2:])
    expected = [theirs.check(torch.tensor(v)).numpy() for v in events] if ours.event_dim \
        else theirs.check(torch.tensor(values)).numpy()
    np.testing.assert_array_equal(ours.check(tg.tensor(values)),
                                  np.reshape(expected, values.shape[:values.ndim
                                                                   - ours.event_dim]))
    assert (ours.event_dim, ours.is_discrete) == (theirs.event_dim, theirs.is_discrete)
    assert repr(ours) == repr(theirs)


def test_less_than_and_a_mixtures_constraint_check_as_pytorchs():
    values = np.array([[-3.0, 1.9, 2.0, np.inf], [0.5, 0.5, -np.inf, 2.5]])
    ours, theirs = (lib.distributions.constraints for lib in (tg, torch))
    for bound in (2.0, np.array([2.0, 3.0, 1.0, 10.0])):
        np.testing.assert_array_equal(
            ours.less_than(tg.tensor(bound)).check(tg.tensor(values)),
            theirs.less_than(torch.tensor(bound)).check(torch.tensor(values)).numpy())
    assert repr(ours.less_than(2.0)) == "LessThan(upper_bound=2.0)"
    for base in ("positive", "simplex", "lower_cholesky"):
        mixed = ours.MixtureSameFamilyConstraint(getattr(ours, base))
        reference = theirs.MixtureSameFamilyConstraint(getattr(theirs, base))
        sample = np.abs(_RNG.standard_normal((3, 2, 2))) * _RNG.choice([1, -1], (3, 2, 2))
        np.testing.assert_array_equal(mixed.check(tg.tensor(sample)),
                                      reference.check(torch.tensor(sample)).numpy())
        assert mixed.event_dim == reference.event_dim
    with pytest.raises(TypeError, match="^MixtureSameFamilyConstraint: base_constraint must"):
        ours.MixtureSameFamilyConstraint(3)


def test_is_dependent_and_dependent_property_as_pytorchs():
    ours_class = None
    for lib in (tg, torch):
        constraints = lib.distributions.constraints

        class Bounded(lib.distributions.Distribution):
            def __init__(self, high):
                self.high = high
                super().__init__(validate_args=False)

            @constraints.dependent_property(is_discrete=False, event_dim=0)
            def support(self):
                return constraints.interval(0.0, self.high)

            @constraints.dependent_property
            def unknown(self):
                return constraints.real

        assert constraints.is_dependent(Bounded.support)
        assert not constraints.is_dependent(Bounded(2.0).support)
        assert Bounded(2.0).support.upper_bound == 2.0
        assert (Bounded.support.is_discrete, Bounded.support.event_dim) == (False, 0)
        assert constraints.is_dependent(constraints.dependent)
        assert not constraints.is_dependent(constraints.positive)
        with pytest.raises(NotImplementedError):
            Bounded.unknown.event_dim
        ours_class = ours_class if lib is torch else Bounded
    with pytest.raises(NotImplementedError) as info:
        ours_class.unknown.is_discrete
    assert str(info.value) == ("dependent_property: .is_discrete cannot be determined "
                               "statically; give it: dependent_property(is_discrete=...)")


def test_biject_to_less_than_and_transform_to_positive_semidefinite_as_pytorchs():
    x = _RNG.standard_normal((3, 2))
    ours = tg.distributions.biject_to(tg.distributions.constraints.less_than(1.5))
    theirs = torch.distributions.biject_to(torch.distributions.constraints.less_than(1.5))
    y = ours(tg.tensor(x))
    np.testing.assert_allclose(y.numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12)
    assert (y.numpy() < 1.5).all()
    np.testing.assert_allclose(ours.log_abs_det_jacobian(tg.tensor(x), y).numpy(),
                               theirs.log_abs_det_jacobian(torch.tensor(x),
                                                           theirs(torch.tensor(x))).numpy(),
                               rtol=1e-12)
    flat = _RNG.standard_normal((2, 3, 3))
    psd = tg.distributions.transform_to(tg.distributions.constraints.positive_semidefinite)
    reference = torch.distributions.transform_to(
        torch.distributions.constraints.positive_semidefinite)
    np.testing.assert_allclose(psd(tg.tensor(flat)).numpy(),
                               reference(torch.tensor(flat)).numpy(), rtol=1e-10)


# -- a bad call names what the user called ---------------------------------------------------
@pytest.mark.parametrize("call, text", [
    (lambda D: D.biject_to(), "biject_to(): missing 1 required positional argument: "
                              "'constraint'; give the constraint alone: "
                              "biject_to(constraints.positive)"),
    (lambda D: D.transform_to(D.constraints.real, 2), "transform_to(): takes 1 positional"),
    (lambda D: D.biject_to(bound=D.constraints.real), "biject_to(): got an unexpected keyword"),
    (lambda D: D.biject_to.register(), "biject_to.register(): missing 1 required"),
])
def test_biject_to_and_transform_to_name_themselves_in_a_bad_call(call, text):
    """(They said "ConstraintRegistry.__call__() missing 1 required positional argument".)"""
    with pytest.raises(TypeError) as info:
        call(tg.distributions)
    assert str(info.value).startswith(text), info.value
    transform = tg.distributions.biject_to(constraint=tg.distributions.constraints.positive)
    np.testing.assert_allclose(transform(tg.tensor([0.0, 1.0])).numpy(), np.exp([0.0, 1.0]))


@pytest.mark.parametrize("name", ["Conv1d", "Conv2d", "Conv3d", "BatchNorm2d", "LogSoftmax",
                                  "MSELoss", "ZeroPad2d", "AdaptiveMaxPool2d", "LazyConv2d",
                                  "ConvTranspose1d", "Dropout2d", "InstanceNorm1d"])
def test_a_layer_that_inherits_its_constructor_names_itself_in_a_bad_call(name):
    """(`nn.Conv2d()` said "_ConvNd.__init__() missing 3 required positional arguments".)"""
    with pytest.raises(TypeError) as info:
        getattr(tg.nn, name)(*range(20))
    assert str(info.value).startswith(f"{name}.__init__() takes "), info.value
    if name.startswith("Conv"):
        with pytest.raises(TypeError) as theirs:
            getattr(torch.nn, name)()
        with pytest.raises(TypeError) as ours:
            getattr(tg.nn, name)()
        assert str(ours.value) == str(theirs.value)  # PyTorch's words, its class named
    layer = tg.nn.Conv2d(1, 2, 3)  # (the constructor itself unchanged)
    assert layer.weight.shape == (2, 1, 3, 3) and isinstance(layer, tg.nn.Conv2d)

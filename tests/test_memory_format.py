"""PyTorch's `memory_format=` keyword (memory_formats.py): `tg.preserve_format`,
`tg.contiguous_format`, `tg.channels_last`, `tg.channels_last_3d`, taken by `x.to`, the
casts, `type`, `clone`, `contiguous`, `is_contiguous` and the `*_like` functions.

Without torch: the constants, values and dtypes with the keyword as without it (NumPy's
casts as the independent reference), x's own strides where preserve_format copies, row by
row where contiguous_format is asked, gradients through the casts against finite
differences, and one-line refusals of a channels-last format on another number of axes,
of `contiguous(memory_format=tg.preserve_format)` where a copy is needed and of anything
else. With torch: every call against torch's, values, dtypes, contiguity and gradients,
and torch's own memory formats read as ours. The strides of every layout, channels_last's
included, are test_memory_format_strides.py's.
"""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import tinygrad_gd as tg

FORMATS = [None, tg.preserve_format, tg.contiguous_format]
CASTS = {"float": np.float32, "double": np.float64, "half": np.float16, "int": np.int32,
         "long": np.int64, "short": np.int16, "char": np.int8, "byte": np.uint8,
         "bool": np.bool_}
VALUES = np.arange(12.0).reshape(3, 4) * 1.5  # (non-negative whole halves: every dtype)


def _transposed() -> tg.Tensor:
    """A tensor whose values are a strided view (not C-contiguous), as PyTorch's x.T."""
    x = tg.Tensor(VALUES).T
    assert not x.is_contiguous()
    return x


def _given(memory_format) -> dict:
    return {} if memory_format is None else {"memory_format": memory_format}


# the calls with a gradient, in either library `m` (tg or torch)
GRADIENT_CALLS = {
    "to": lambda m, x, fmt: x.to(m.float32, **_given(fmt)),
    "to(copy)": lambda m, x, fmt: x.to("cpu", copy=True, **_given(fmt)),
    **{name: (lambda n: lambda m, x, fmt: getattr(x, n)(**_given(fmt)))(name)
       for name in ("float", "double", "half", "clone", "contiguous")},
    "type": lambda m, x, fmt: x.type(m.float32, **_given(fmt)),
}

# each call given `fmt` as memory_format, by what it is (its message names `_named(key)`)
CALLS = {
    "to(dtype)": lambda x, fmt: x.to(tg.float32, memory_format=fmt),
    "to(device)": lambda x, fmt: x.to("cpu", memory_format=fmt),
    "to()": lambda x, fmt: x.to(memory_format=fmt),
    **{name: (lambda n: lambda x, fmt: getattr(x, n)(memory_format=fmt))(name)
       for name in CASTS},
    "type": lambda x, fmt: x.type(tg.float32, memory_format=fmt),
    "clone": lambda x, fmt: x.clone(memory_format=fmt),
    "tg.clone": lambda x, fmt: tg.clone(x, memory_format=fmt),
    "contiguous": lambda x, fmt: x.contiguous(memory_format=fmt),
    "is_contiguous": lambda x, fmt: x.is_contiguous(memory_format=fmt),
    "zeros_like": lambda x, fmt: tg.zeros_like(x, memory_format=fmt),
    "ones_like": lambda x, fmt: tg.ones_like(x, memory_format=fmt),
    "full_like": lambda x, fmt: tg.full_like(x, 2.5, memory_format=fmt),
    "rand_like": lambda x, fmt: tg.rand_like(x, seed=1, memory_format=fmt),
    "randn_like": lambda x, fmt: tg.randn_like(x, seed=1, memory_format=fmt),
    "randint_like": lambda x, fmt: tg.randint_like(x, 5, seed=1, memory_format=fmt),
}


def _named(key: str) -> str:
    """The function a refusal of CALLS[key] names: `to` for "to(dtype)", `clone` for
    "tg.clone"."""
    return key.split("(")[0].removeprefix("tg.")


def test_the_constants_are_pytorchs_names_without_torch():
    formats = [tg.preserve_format, tg.contiguous_format, tg.channels_last, tg.channels_last_3d]
    assert [repr(f) for f in formats] == ["tinygrad_gd.preserve_format",
                                          "tinygrad_gd.contiguous_format",
                                          "tinygrad_gd.channels_last",
                                          "tinygrad_gd.channels_last_3d"]
    assert all(isinstance(f, tg.memory_format) for f in formats)
    assert len(set(map(id, formats))) == 4
    for f in formats:  # a saved or copied one is the same constant
        assert pickle.loads(pickle.dumps(f)) is f and copy.deepcopy(f) is f
    assert {"memory_format", "preserve_format", "contiguous_format", "channels_last",
            "channels_last_3d"} <= set(tg.__all__)


@pytest.mark.parametrize("name", CASTS)
@pytest.mark.parametrize("memory_format", FORMATS, ids=["none", "preserve", "contiguous"])
def test_a_cast_with_the_keyword_gives_numpys_values_and_dtype(name, memory_format):
    for x in (tg.Tensor(VALUES), _transposed()):
        got = getattr(x, name)(**_given(memory_format))
        expected = np.asarray(x).astype(CASTS[name])
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(np.asarray(got), expected)
        if got.dtype == x.dtype:  # (nothing to change: x itself, as it is, as PyTorch's)
            assert got is x
        elif memory_format is tg.contiguous_format:  # a copy: row by row
            assert got.is_contiguous()
            assert got.stride() == tuple(np.cumprod((1,) + got.shape[:0:-1])[::-1].tolist())
        else:  # a copy of values that are dense keeps their strides (a transpose's too)
            assert got.stride() == x.stride()


@pytest.mark.parametrize("memory_format", FORMATS, ids=["none", "preserve", "contiguous"])
def test_to_type_clone_and_contiguous_take_the_keyword(memory_format):
    x, given = _transposed(), _given(memory_format)
    other = tg.Tensor(np.zeros(2, np.float32), dtype=tg.float32)
    assert x.to("cpu", **given) is x and x.to(**given) is x  # (as PyTorch's: x, as it is)
    for got, dtype in ((x.to(tg.float32, **given), np.float32),
                       (x.to("cpu", tg.int64, **given), np.int64),
                       (x.to(dtype=tg.float16, device="cpu", **given), np.float16),
                       (x.to(other, **given), np.float32),
                       (x.to(tg.float64, copy=True, **given), np.float64),
                       (x.type(tg.float32, **given), np.float32),
                       (x.type("torch.LongTensor", **given), np.int64),
                       (x.clone(**given), np.float64), (tg.clone(x, **given), np.float64)):
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.asarray(got), np.asarray(x).astype(dtype))
        if memory_format is tg.contiguous_format:
            assert got.is_contiguous()
        else:  # (x's own layout: a transpose's strides)
            assert got.stride() == x.stride() and not got.is_contiguous()
    assert x.type(**given) == x.type() == "tinygrad_gd.DoubleTensor"
    assert x.is_contiguous(**given) is False and tg.Tensor(VALUES).is_contiguous(**given)
    if memory_format is tg.preserve_format:  # (a copy in x's own layout: refused, as torch's)
        with pytest.raises(RuntimeError, match=r"^contiguous: memory_format=tg\.preserve_"
                                               r"format is not supported.*x\.clone\(\)"):
            x.contiguous(**given)
        contiguous = tg.Tensor(VALUES)  # (laid out so already: x itself)
        assert contiguous.contiguous(**given) is contiguous
    else:
        got = x.contiguous(**given)
        np.testing.assert_array_equal(np.asarray(got), np.asarray(x))
        assert got.is_contiguous(**given) and got.is_contiguous()
    same = tg.Tensor(VALUES)
    assert same.to(tg.float64, **given) is same  # (the same dtype: x itself, as PyTorch's)


def test_to_takes_non_blocking_and_copy_by_position_as_pytorchs_opinfo_samples():
    x = tg.Tensor(VALUES, requires_grad=True)
    other = tg.zeros(2, dtype=tg.float32)
    copied = x.to(tg.float64, False, True, memory_format=tg.preserve_format)
    assert copied is not x and copied.dtype == np.float64 and copied.requires_grad
    np.testing.assert_array_equal(np.asarray(copied), VALUES)
    assert x.to(tg.float64, True) is x and x.to("cpu", tg.float64, True, False) is x
    assert x.to(other, False, False).dtype == np.float32
    assert x.to("cpu", tg.float32, True, True, memory_format=tg.contiguous_format).dtype \
        == np.float32
    copied.sum().backward()  # (the copy is in the graph)
    np.testing.assert_array_equal(np.asarray(x.grad), np.ones_like(VALUES))
    for call, words in ((lambda: x.to(tg.float64, True, non_blocking=True), "non_blocking"),
                        (lambda: x.to(tg.float64, False, True, copy=True), "copy"),
                        (lambda: x.to(tg.float64, True, True, True), "positional"),
                        (lambda: x.to(tg.float64, "yes"), "dtype")):
        with pytest.raises(TypeError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith("to: ") and words in message and "\n" not in message


@pytest.mark.parametrize("memory_format", FORMATS, ids=["none", "preserve", "contiguous"])
def test_the_like_functions_take_the_keyword(memory_format):
    x, given = _transposed().float(), _given(memory_format)
    for name in ("zeros_like", "ones_like", "full_like", "rand_like", "randn_like",
                 "randint_like"):
        got = CALLS[name](x, memory_format)
        plain = CALLS[name](x, None)  # (seeded: the same draws)
        assert got.shape == x.shape and got.dtype == x.dtype == np.float32, name
        # x's strides by default (x is dense), row by row where asked
        assert got.stride() == (got.contiguous().stride() if memory_format is
                                tg.contiguous_format else x.stride()), name
        np.testing.assert_array_equal(np.asarray(got), np.asarray(plain))
    np.testing.assert_array_equal(np.asarray(tg.full_like(x, 2.5, **given)), np.full((4, 3), 2.5))
    draws = np.asarray(tg.randint_like(x, 5, seed=1, **given))
    assert ((draws >= 0) & (draws < 5) & (draws == np.round(draws))).all()
    grad = tg.zeros_like(x, dtype=tg.float64, requires_grad=True, **given)
    assert grad.requires_grad and grad.is_leaf


@pytest.mark.parametrize("memory_format", FORMATS, ids=["none", "preserve", "contiguous"])
def test_gradients_pass_through_the_casts_with_the_keyword(memory_format):
    given = _given(memory_format)
    x = tg.Tensor(VALUES / 7, requires_grad=True)
    copies = ("to(copy)", "double", "clone", "contiguous")[:3 + (memory_format is not
                                                             tg.preserve_format)]
    for name in copies:  # (float64 to float64; contiguous() refuses preserve_format)
        assert tg.gradcheck(lambda t: GRADIENT_CALLS[name](tg, t.T, memory_format) ** 2, (x,))
    # through float32 or float16 and back: d/dx sum(w * x.float()) = w rounded, in x's dtype
    weights = np.random.default_rng(0).standard_normal((4, 3))
    for name, dtype in (("float", np.float32), ("to", np.float32), ("type", np.float32),
                        ("half", np.float16)):
        x.grad = None
        (GRADIENT_CALLS[name](tg, x.T, memory_format).double() * tg.Tensor(weights)
         ).sum().backward()
        assert x.grad.dtype == np.float64
        np.testing.assert_array_equal(np.asarray(x.grad), weights.T.astype(dtype))
    integers = x.long(**given)  # (to an integer dtype: no gradient, as PyTorch's)
    assert not integers.requires_grad


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("layout", ["channels_last", "channels_last_3d"])
def test_a_channels_last_format_on_another_number_of_axes_is_refused_naming_the_call(name,
                                                                                      layout):
    """channels_last lays out 4-d tensors, channels_last_3d 5-d ones: another number of
    axes is refused in one line, as PyTorch's (is_contiguous answers False)."""
    fmt, ndim = getattr(tg, layout), {"channels_last": 4, "channels_last_3d": 5}[layout]
    others = [tg.Tensor(VALUES), tg.zeros(2, 3, 4, 5, 6) if ndim == 4 else tg.zeros(2, 3, 4, 5)]
    for x in others:
        if name == "is_contiguous":
            assert CALLS[name](x, fmt) is False
            continue
        with pytest.raises(RuntimeError) as caught:
            CALLS[name](x, fmt)
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith(f"{_named(name)}: memory_format=tg.{layout} needs a "
                                  f"{ndim}-d tensor"), message
        assert f"got one of {x.ndim} axes" in message and "tg.contiguous_format" in message


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("value", ["contiguous_format", 1, np.float32, tg.strided, True],
                         ids=["name", "int", "dtype", "layout", "bool"])
def test_any_other_memory_format_is_refused_in_one_line(name, value):
    with pytest.raises(TypeError) as caught:
        CALLS[name](tg.Tensor(VALUES), value)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{_named(name)}: memory_format ")
    assert "tg.preserve_format" in message and "tg.contiguous_format" in message


def test_the_keyword_is_keyword_only_as_pytorchs():
    x = tg.Tensor(VALUES)
    for call in (lambda: x.float(tg.preserve_format), lambda: x.clone(tg.preserve_format),
                 lambda: x.contiguous(tg.contiguous_format)):
        with pytest.raises(TypeError):
            call()


# -- against torch --------------------------------------------------------------------------
def _torch_format(torch, fmt):
    return None if fmt is None else getattr(torch, repr(fmt).removeprefix("tinygrad_gd."))


@pytest.mark.torch
@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("memory_format", FORMATS, ids=["none", "preserve", "contiguous"])
def test_each_call_is_pytorchs(name, memory_format):
    torch = pytest.importorskip("torch")
    theirs_format = _torch_format(torch, memory_format)
    for transposed in (False, True):
        ours = tg.Tensor(VALUES).T if transposed else tg.Tensor(VALUES)
        theirs = torch.tensor(VALUES).T if transposed else torch.tensor(VALUES)
        if name == "contiguous" and memory_format is tg.preserve_format and transposed:
            with pytest.raises(RuntimeError, match="preserve"):  # (both: a copy is needed)
                theirs.contiguous(memory_format=theirs_format)
            for fmt in (memory_format, theirs_format):
                with pytest.raises(RuntimeError, match="preserve"):
                    ours.contiguous(memory_format=fmt)
            continue
        got = CALLS[name](ours, memory_format)
        expected = _TORCH_CALLS[name](torch, theirs, theirs_format)
        again = CALLS[name](ours, theirs_format)  # (torch's own object, read as ours)
        if name == "is_contiguous":
            assert got == again == expected
            continue
        assert str(expected.dtype).removeprefix("torch.") == got.dtype.name == again.dtype.name
        assert tuple(expected.shape) == got.shape == again.shape
        if name not in ("rand_like", "randn_like", "randint_like"):  # (draws: shape, dtype)
            np.testing.assert_array_equal(np.asarray(got), expected.numpy())
            np.testing.assert_array_equal(np.asarray(again), expected.numpy())
        if memory_format is tg.contiguous_format or not transposed:
            assert got.is_contiguous() == again.is_contiguous() == expected.is_contiguous()
    for layout in ("channels_last", "channels_last_3d"):  # on a 2-d tensor both refuse
        if name == "is_contiguous":  # (both answer False)
            assert _TORCH_CALLS[name](torch, torch.tensor(VALUES), getattr(torch, layout)) \
                is CALLS[name](tg.Tensor(VALUES), getattr(torch, layout)) is False
            continue
        with pytest.raises(RuntimeError):
            _TORCH_CALLS[name](torch, torch.tensor(VALUES), getattr(torch, layout))
        with pytest.raises(RuntimeError):
            CALLS[name](tg.Tensor(VALUES), getattr(torch, layout))


_TORCH_CALLS = {
    "to(dtype)": lambda torch, x, fmt: x.to(torch.float32, **_given(fmt)),
    "to(device)": lambda torch, x, fmt: x.to("cpu", **_given(fmt)),
    "to()": lambda torch, x, fmt: x.to(**_given(fmt)),
    **{name: (lambda n: lambda torch, x, fmt: getattr(x, n)(**_given(fmt)))(name)
       for name in CASTS},
    "type": lambda torch, x, fmt: x.type(torch.float32, **_given(fmt)),
    "clone": lambda torch, x, fmt: x.clone(**_given(fmt)),
    "tg.clone": lambda torch, x, fmt: torch.clone(x, **_given(fmt)),
    "contiguous": lambda torch, x, fmt: x.contiguous(**_given(fmt)),
    "is_contiguous": lambda torch, x, fmt: x.is_contiguous(**_given(fmt)),
    "zeros_like": lambda torch, x, fmt: torch.zeros_like(x, **_given(fmt)),
    "ones_like": lambda torch, x, fmt: torch.ones_like(x, **_given(fmt)),
    "full_like": lambda torch, x, fmt: torch.full_like(x, 2.5, **_given(fmt)),
    "rand_like": lambda torch, x, fmt: torch.rand_like(x, **_given(fmt)),
    "randn_like": lambda torch, x, fmt: torch.randn_like(x, **_given(fmt)),
    "randint_like": lambda torch, x, fmt: torch.randint_like(x, 5, **_given(fmt)),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", GRADIENT_CALLS)
@pytest.mark.parametrize("memory_format", FORMATS, ids=["none", "preserve", "contiguous"])
def test_gradients_through_the_casts_are_pytorchs(name, memory_format):
    torch = pytest.importorskip("torch")
    weights = np.random.default_rng(1).standard_normal((4, 3))
    ours = tg.Tensor(VALUES / 7, requires_grad=True)
    theirs = torch.tensor(VALUES / 7, requires_grad=True)
    theirs_format = _torch_format(torch, memory_format)
    if name == "contiguous" and memory_format is tg.preserve_format:
        return  # (a copy is needed: both refuse, test_each_call_is_pytorchs)
    for library, x, fmt in ((tg, ours, memory_format), (torch, theirs, theirs_format)):
        y = GRADIENT_CALLS[name](library, x.T, fmt)
        (y.double() * library.tensor(weights)).sum().backward()
    np.testing.assert_allclose(np.asarray(ours.grad), theirs.grad.numpy(), rtol=1e-12)


@pytest.mark.torch
def test_to_with_positional_flags_is_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = tg.Tensor(VALUES), torch.tensor(VALUES)
    forms = [lambda m, x: x.to(m.float64, False, True), lambda m, x: x.to(m.float64, True),
             lambda m, x: x.to(m.float32, True, False, memory_format=m.preserve_format),
             lambda m, x: x.to("cpu", m.float64, False, False),
             lambda m, x: x.to("cpu", m.float16, True, True, memory_format=m.contiguous_format),
             lambda m, x: x.to(x, False, True)]
    for form in forms:
        got, expected = form(tg, ours), form(torch, theirs)
        assert (got is ours) == (expected is theirs)
        assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(np.asarray(got), expected.numpy())


def test_a_models_to_takes_memory_format():
    """`model.to(memory_format=...)`, PyTorch's idiom, was a TypeError about an unexpected
    keyword: a model without 4-d tensors is left as it is (strides: the strides tests)."""
    model = tg.nn.Linear(2, 3)
    weight = np.asarray(model.weight).copy()
    for fmt in (tg.contiguous_format, tg.channels_last, tg.channels_last_3d):
        assert model.to(tg.float32, memory_format=fmt) is model
    assert model.weight.dtype == np.float32 and model.weight.is_contiguous()
    np.testing.assert_array_equal(np.asarray(model.weight), weight.astype(np.float32))

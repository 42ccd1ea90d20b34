"""Bad input to the creation functions (`zeros`, `randint`, `linspace`, `x.new_zeros`...) and
to the in-place writes (`add_`, `fill_`, `copy_`, `normal_`...): one line naming the
function, the values and what to do, with PyTorch's exception type; never NumPy's words
from inside NumPy, never a tensor filled with NaN or a wrong number, never the printed
values of a tensor in the message. A refused write leaves the tensor as it was. Valid calls
give what they gave before (and PyTorch's values, marked `torch`).
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

A = np.array([[0.1, 0.5, 0.9], [0.3, 0.2, 0.7]])
SIZES = "sizes must be >= 0, got {}; give each axis's length (0 for an empty axis)"


def _refused(kind, start, call):
    """`call()` raises `kind` with one line starting `start`; the line, returned."""
    with pytest.raises(kind, match="^" + re.escape(start)) as error:
        call()
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


# name, call, the shape the message names: every maker refuses a negative size in one line
NEGATIVE = {
    "zeros": (lambda: tg.zeros(-1), "(-1,)"),
    "ones": (lambda: tg.ones(2, -3), "(2, -3)"),
    "empty": (lambda: tg.empty((-1,)), "(-1,)"),
    "full": (lambda: tg.full((-2, 3), 1.5), "(-2, 3)"),
    "rand": (lambda: tg.rand(-1, seed=0), "(-1,)"),
    "randn": (lambda: tg.randn(2, -3, seed=0), "(2, -3)"),
    "randint": (lambda: tg.randint(3, size=(-2,)), "(-2,)"),
    "eye": (lambda: tg.eye(-1), "(-1,)"),
    "new_zeros": (lambda: tg.Tensor(A).new_zeros(-1), "(-1,)"),
    "new_ones": (lambda: tg.Tensor(A).new_ones((2, -1)), "(2, -1)"),
    "new_empty": (lambda: tg.Tensor(A).new_empty(-1), "(-1,)"),
    "new_full": (lambda: tg.Tensor(A).new_full((-1,), 2.0), "(-1,)"),
}


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_a_negative_size_is_refused_by_every_maker_in_one_line(name):
    # NumPy's "negative dimensions are not allowed", from inside NumPy, named no function
    call, shape = NEGATIVE[name]
    _refused(ValueError, f"{name}: " + SIZES.format(shape), call)


def test_eye_refuses_a_negative_side_and_a_diagonal_that_is_not_an_int():
    _refused(ValueError, "eye: " + SIZES.format("(3, -1)"), lambda: tg.eye(3, -1))
    _refused(TypeError, "eye: k (the diagonal: 0 the main one, 1 above it, -1 below) must be "
                        "an int, got float 1.5", lambda: tg.eye(3, k=1.5))


def test_randint_refuses_an_empty_range_and_values_its_dtype_cannot_hold():
    # NumPy's "low >= high" and "high <= 0"; uint8 wrapped 300 silently to 0..255
    empty = ("randint: low must be less than high (values come from [low, high)), got "
             "low={} >= high={}; e.g. randint(0, 10, size) for 0..9")
    _refused(ValueError, empty.format(5, 0), lambda: tg.randint(5, 0, (2,)))
    _refused(ValueError, empty.format(0, 0), lambda: tg.randint(0, 0, (2,)))
    _refused(ValueError, empty.format(0, 0), lambda: tg.randint(0, (2,)))  # randint(high, size)
    _refused(ValueError, "randint: values in [0, 300) do not fit dtype uint8 (0 to 255); give "
                         "bounds within it, or a wider dtype",
             lambda: tg.randint(0, 300, (5,), dtype=np.uint8))
    _refused(ValueError, f"randint: values in [0, {2 ** 70}) do not fit dtype int64",
             lambda: tg.randint(0, 2 ** 70, (2,)))
    _refused(TypeError, "randint: low must be an int, got float 0.5",
             lambda: tg.randint(0.5, 3, (2,)))
    _refused(TypeError, "randint: got two sizes, (2,) and (4,); give randint(high, size) or "
                        "randint(low, high, size)", lambda: tg.randint(3, (2,), (4,)))


def test_linspace_and_arange_refuse_counts_and_bounds_numpy_words_badly():
    steps = "linspace: the number of values (num= or steps=) must be "
    _refused(ValueError, steps + ">= 0, got -1", lambda: tg.linspace(0, 1, -1))
    _refused(TypeError, steps + "an int, got float 1.5", lambda: tg.linspace(0, 1, 1.5))
    _refused(ValueError, "linspace: stop must be a finite number, got stop=inf; give finite "
                         "bounds", lambda: tg.linspace(0, math.inf, 3))  # was [nan, inf, inf]
    # NumPy's "Maximum allowed size exceeded" and "arange: cannot compute length"
    for call, name, value in ((lambda: tg.arange(0, math.inf), "stop", "inf"),
                              (lambda: tg.arange(math.nan), "stop", "nan"),
                              (lambda: tg.arange(0, 1, math.inf), "step", "inf"),
                              (lambda: tg.arange(0, 1, np.float64("nan")), "step", "nan")):
        _refused(ValueError, f"arange: {name} must be a finite number, got {name}={value}; "
                             f"give finite bounds and step", call)
    _refused(ValueError, "arange: cannot make a tensor of shape (100000000000000000000,): ",
             lambda: tg.arange(0, 1e20))
    # a step of 0.5 in int64 gave [0, 0, 0, 0]
    _refused(ValueError, "arange: step=0.5 is not a whole number, which dtype int64 cannot "
                         "step by; leave dtype out (float64) or give a whole step",
             lambda: tg.arange(0, 2, 0.5, dtype=np.int64))


def test_a_shape_too_big_and_a_fill_value_that_does_not_broadcast_are_named():
    _refused(ValueError, f"zeros: cannot make a tensor of shape ({2 ** 70},): ",
             lambda: tg.zeros(2 ** 70))
    _refused(ValueError, "full: fill_value of shape (3,) does not broadcast to the shape (2,); "
                         "give one number", lambda: tg.full((2,), [1.0, 2.0, 3.0]))


def test_rand_and_randn_refuse_a_dtype_that_is_not_float():
    # rand(3, dtype=int64) gave [0, 0, 0]: floats in [0, 1) cast down
    for name in ("rand", "randn"):
        _refused(TypeError, f"{name}: draws floats, so dtype must be a float dtype, got int64; "
                            f"leave dtype out (float64), or use tg.randint for integers",
                 lambda: getattr(tg, name)(3, dtype=np.int64, seed=0))


# call on a copy of A, exception, the message's start: normal_ and uniform_'s bounds
RANDOM_FILLS = [
    (lambda t: t.normal_(std=-1.0), ValueError, "normal_: std must be >= 0, got std=-1.0; "),
    (lambda t: t.normal_(std=math.nan), ValueError,  # filled NaN silently
     "normal_: std must be a finite number, got std=nan"),
    (lambda t: t.normal_("1"), TypeError, "normal_: mean must be a number (int or float), got "
                                          "str '1'"),
    (lambda t: t.uniform_(0, -1.0), ValueError, "uniform_: expects a <= b (values come from "
                                                "[a, b)), got a=0.0 > b=-1.0; give the bounds"),
    (lambda t: t.uniform_(b=math.nan), ValueError,
     "uniform_: b must be a finite number, got b=nan"),
    (lambda t: t.uniform_(-1e308, 1e308), ValueError,
     "uniform_: the range from a=-1e+308 to b=1e+308 is wider than the largest float"),
    (lambda t: nn.init.normal_(t, std=-1.0), ValueError, "normal_: std must be >= 0"),
    (lambda t: nn.init.uniform_(t, 0.0, -1.0), ValueError, "uniform_: expects a <= b"),
]


@pytest.mark.parametrize("case", range(len(RANDOM_FILLS)))
def test_random_fills_refuse_bad_bounds_before_drawing(case):
    call, kind, start = RANDOM_FILLS[case]
    x, rng = tg.Tensor(A), np.random.default_rng(0)
    before = rng.bit_generator.state
    _refused(kind, start, lambda: call(x))
    assert x.tolist() == A.tolist() and rng.bit_generator.state == before


def test_random_fills_refuse_an_integer_tensor():
    # uniform_() of an int64 tensor wrote U(0, 1) cast down: all zeros
    labels = tg.as_tensor([1, 2, 3])
    for name in ("uniform_", "normal_"):
        _refused(TypeError, f"{name}: draws floats, but the tensor's dtype is int64; use a "
                            f"float tensor", lambda: getattr(labels, name)())
    assert labels.tolist() == [1, 2, 3]


# call on a copy of A, exception, the message's start: fill_, copy_, constant_'s values
NOT_NUMBERS = [
    (lambda t: t.fill_(None), TypeError,  # filled NaN
     "fill_: value must be a number (int, float or bool) or a 0-d tensor, got NoneType None"),
    (lambda t: t.fill_("1"), TypeError,  # filled 1.0
     "fill_: value must be a number (int, float or bool) or a 0-d tensor, got str '1'"),
    (lambda t: t.fill_([1.0, 2.0, 3.0]), TypeError, "fill_: value must be a number"),
    (lambda t: t.fill_(tg.ones(3)), ValueError,  # broadcast into every row
     "fill_: value must be one number, got a tensor of shape (3,), dtype float64; give a "
     "number or a 0-d tensor"),
    (lambda t: t.copy_(None), TypeError,  # filled NaN
     "copy_: expected numeric data (numbers, nested lists of numbers or a numeric ndarray), "
     "got dtype object from None"),
    (lambda t: t.copy_("1"), TypeError, "copy_: expected numeric data"),
    (lambda t: nn.init.constant_(t, None), TypeError,
     "constant_: val must be a number (int, float or bool) or a 0-d tensor, got NoneType"),
]


@pytest.mark.parametrize("case", range(len(NOT_NUMBERS)))
def test_fill_and_copy_refuse_what_is_not_a_number_and_write_nothing(case):
    call, kind, start = NOT_NUMBERS[case]
    x = tg.Tensor(A)
    _refused(kind, start, lambda: call(x))
    assert x.tolist() == A.tolist()


@pytest.mark.parametrize("value", ["1", None, [1.0]])
def test_fill_diagonal_refuses_what_is_not_a_number_and_writes_nothing(value):
    x = tg.zeros(3, 3)
    with pytest.raises(TypeError, match=r"^fill_diagonal_: fill_value must be a number"):
        x.fill_diagonal_(value)  # '1' filled 1.0 and None NaN
    assert x.tolist() == [[0.0] * 3] * 3


def test_a_setitem_of_another_shape_says_it_in_one_line():
    x = tg.zeros(3, 3)
    with pytest.raises(ValueError) as caught:
        x[0] = tg.ones(4, 5)  # the value's printed rows ran over several lines
    assert "\n" not in str(caught.value) and str(caught.value).startswith("setitem: ")
    assert x.tolist() == [[0.0] * 3] * 3


def test_fill_of_a_number_an_integer_tensor_cannot_hold_is_named():
    small = tg.Tensor([1, 2], dtype=np.int8)
    _refused(OverflowError, "fill_: 1000 does not fit the tensor's dtype int8; give a value "
                            "within it", lambda: small.fill_(1000))
    assert small.tolist() == [1, 2]


def test_alpha_must_be_a_number():
    # alpha='1' gave NumPy's UFuncTypeError about dtype('<U1')
    x = tg.Tensor(A)
    for name, alpha, shown in (("add_", "1", "str '1'"), ("sub_", None, "NoneType None"),
                               ("add_", True, "bool True")):
        _refused(TypeError, f"{name}: alpha must be a number (int or float), got {shown}",
                 lambda: getattr(x, name)(tg.ones(2, 3), alpha=alpha))
    assert x.tolist() == A.tolist()


@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_", "+=", "copy_"])
def test_a_write_of_another_shape_names_shapes_not_printed_values(name):
    # the message held the other tensor's print: "Tensor([[1., 1., ...],\n [1., ..."
    x, other = tg.Tensor(A), tg.ones(4, 5)
    call = {"+=": lambda: x.__iadd__(other), "copy_": lambda: x.copy_(other)}.get(
        name, lambda: getattr(x, name)(other))
    if name == "copy_":
        start = ("copy_: the source has shape (4, 5), which does not broadcast to the "
                 "tensor's shape (2, 3); give values of shape (2, 3)")
    else:
        instead = "t = t + ..." if name == "+=" else f"t.{name[:-1]}(...)"
        start = (f"{name}: cannot write the result into a tensor of shape (2, 3) and dtype "
                 f"float64 (the other operand: shape (4, 5), dtype float64): shape (4, 5) "
                 f"does not broadcast to (2, 3); in place, the tensor's shape and dtype stay "
                 f"as they are: use {instead} for a new tensor")
    message = _refused(ValueError, start, call)
    assert "Tensor(" not in message and "1., 1." not in message
    assert x.tolist() == A.tolist()


def test_a_write_into_an_integer_bool_or_0d_tensor_names_its_dtype_and_shape():
    labels, flags, scalar = tg.as_tensor([1, 2]), tg.as_tensor([True, False]), tg.Tensor(1.0)
    cannot = "cannot write the result into a tensor of shape "
    _refused(TypeError, "add_: " + cannot + "(2,) and dtype int64 (the other operand: float "
                        "0.5): values of dtype float64 do not fit dtype int64; in place",
             lambda: labels.add_(0.5))
    _refused(TypeError, "div_: " + cannot + "(2,) and dtype int64 (the other operand: int 2): "
                        "values of dtype float64 do not fit dtype int64",
             lambda: labels.div_(2))
    _refused(TypeError, "mul_: " + cannot + "(2,) and dtype bool (the other operand: shape "
                        "(2,), dtype float64): values of dtype float64 do not fit dtype bool",
             lambda: flags.mul_(tg.Tensor([2.0, 3.0])))
    _refused(ValueError, "add_: " + cannot + "() and dtype float64 (the other operand: shape "
                         "(4, 5), dtype float64): shape (4, 5) does not broadcast to ()",
             lambda: scalar.add_(tg.ones(4, 5)))
    _refused(ValueError, "copy_: the source has shape (2,), which does not broadcast to the "
                         "tensor's shape ()", lambda: scalar.copy_([1.0, 2.0]))
    _refused(OverflowError, "add_: " + cannot + "(2,) and dtype int8 (the other operand: int "
                            "1000): Python integer 1000 out of bounds for int8",
             lambda: tg.Tensor([1, 2], dtype=np.int8).add_(1000))
    assert labels.tolist() == [1, 2] and flags.tolist() == [True, False] and scalar.item() == 1


def test_valid_calls_give_what_they_gave():
    assert tg.zeros(0).shape == (0,) and tg.zeros((2, 0)).shape == (2, 0)
    assert tg.zeros().shape == () and tg.ones([2, 3]).dtype == np.float64
    np.testing.assert_array_equal(tg.eye(3, 4, k=1).data, np.eye(3, 4, k=1))
    assert tg.eye(2, dtype=np.int64).dtype == np.int64
    assert tg.linspace(0, 1, 1).tolist() == [0.0] and tg.linspace(0, 1, 0).shape == (0,)
    assert tg.arange(-1).shape == (0,) and tg.arange(0, 3, 1.0, dtype=np.int64).tolist() == [
        0, 1, 2]
    drawn = tg.randint(3, (2,), seed=0)  # PyTorch's randint(high, size), refused before
    assert drawn.shape == (2,) and drawn.dtype == np.int64 and drawn.tolist() == tg.randint(
        0, 3, size=(2,), seed=0).tolist()
    assert tg.randint(0, 2, (3,), dtype=bool, seed=0).dtype == np.bool_
    assert tg.randint(3, size=(0,)).shape == (0,) and tg.rand(2, dtype=np.float32).dtype == \
        np.float32
    assert tg.full((2,), [1.0, 2.0]).tolist() == [1.0, 2.0]  # NumPy's full broadcasts
    x = tg.Tensor(A).new_full(size=(2,), fill_value=1.5)  # PyTorch's keywords
    assert x.tolist() == [1.5, 1.5] and tg.as_tensor([1]).new_zeros(2).dtype == np.int64
    assert x.fill_(True).tolist() == [1.0, 1.0] and x.fill_(tg.Tensor(2.0)).tolist() == [2.0,
                                                                                           2.0]
    assert x.fill_(np.float32(3)).tolist() == [3.0, 3.0] and x.copy_(4.0).tolist() == [4.0, 4.0]
    assert x.add_(tg.ones(2), alpha=tg.Tensor(2.0)).tolist() == [6.0, 6.0]  # 0-d alpha
    assert tg.arange(3).sub_(1, alpha=2).tolist() == [-2, -1, 0]
    assert x.uniform_(1, 1).tolist() == [1.0, 1.0]
    with tg.no_grad():
        w = tg.Tensor(np.zeros((2, 3)), requires_grad=True)
        w.normal_(1, 0.5, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(w.data, np.random.default_rng(3).normal(1.0, 0.5, (2, 3)))


@pytest.mark.torch
def test_valid_calls_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    pairs = [(tg.zeros(0), torch.zeros(0)), (tg.zeros((2, 0)), torch.zeros((2, 0))),
             (tg.eye(3, 4), torch.eye(3, 4)), (tg.eye(0), torch.eye(0)),
             (tg.linspace(0, 1, 1), torch.linspace(0, 1, 1)),
             (tg.linspace(-1, 1, steps=5), torch.linspace(-1, 1, steps=5)),
             (tg.arange(0, 1, 0.25), torch.arange(0, 1, 0.25)),
             (tg.full((2, 3), 1.5), torch.full((2, 3), 1.5)),
             (tg.as_tensor([1, 2]).fill_(1.5), torch.tensor([1, 2]).fill_(1.5)),
             (tg.as_tensor([1, 2]).copy_(tg.Tensor([1.5, 2.5])),
              torch.tensor([1, 2]).copy_(torch.tensor([1.5, 2.5]))),
             (tg.Tensor(A).fill_(True), torch.tensor(A).fill_(True))]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-7)
    ours, theirs = tg.randint(3, (2,)), torch.randint(3, (2,))
    assert ours.shape == tuple(theirs.shape) and 0 <= ours.data.min() <= ours.data.max() < 3
    for call in (lambda lib: lib.zeros(-1), lambda lib: lib.randint(5, 0, (2,)),
                 lambda lib: lib.linspace(0, 1, -1), lambda lib: lib.arange(0, math.inf)):
        with pytest.raises((ValueError, RuntimeError)):  # PyTorch refuses them too
            call(torch)
        with pytest.raises(ValueError):
            call(tg)

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
    for error in (ValueError, RuntimeError):  # (NumPy's, PyTorch's)
        _refused(error, "copy_: the source has shape (2,), which does not broadcast to the "
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


# -- random draws in narrow float dtypes, overflow to inf, nn.init's edges, PyTorch's keywords --
def test_rand_and_uniform_never_give_the_bound_they_exclude():
    halves = tg.rand(10**6, dtype="float16", seed=0).numpy()  # (270 ones when cast up)
    assert halves.dtype == np.float16 and halves.max() < 1 and abs(halves.mean() - 0.5) < 0.01
    singles = tg.rand(10**7, dtype="float32", seed=9).numpy()  # (one 1.0 when cast up)
    assert singles.max() < 1 and singles.min() >= 0
    like = tg.rand_like(tg.zeros(10**6, dtype="float16"), seed=1).numpy()
    assert like.dtype == np.float16 and like.max() < 1
    # float64's draws for a seed are NumPy's own, and float32's the same to 2**-24
    np.testing.assert_array_equal(tg.rand(5, seed=3).numpy(), np.random.default_rng(3).random(5))
    close = np.abs(tg.rand(5, seed=3, dtype="float32").numpy() - np.random.default_rng(3).random(5))
    assert close.max() < 2.0 ** -23
    drawn = tg.zeros(10**6, dtype="float16").uniform_(0, 10, generator=np.random.default_rng(0))
    assert drawn.numpy().max() < 10 and drawn.numpy().min() >= 0  # (404 tens when cast up)
    with tg.no_grad():
        weight = tg.nn.init.uniform_(tg.zeros(10**6, dtype="float16"), -1, 1)
    assert weight.numpy().max() < 1 and weight.numpy().min() >= -1
    assert tg.zeros(2, dtype="float16").uniform_(2, 2).tolist() == [2.0, 2.0]  # a == b: a


OVERFLOWS = {  # name: (the call, how its message starts); each would have made inf
    "fill_": (lambda: tg.zeros(2, dtype="float32").fill_(1e300), "fill_: 1e+300 does not fit "
              "dtype float32 (finite values from -3.4028235e+38 to 3.4028235e+38)"),
    "fill_ half": (lambda: tg.zeros(2, dtype="float16").fill_(100000),
                   "fill_: 100000 does not fit dtype float16 (finite values from -65504 to 65504)"),
    "constant_": (lambda: nn.init.constant_(nn.Parameter(tg.zeros(2, dtype="float32")), 1e300),
                  "constant_: 1e+300 does not fit dtype float32"),
    "setitem": (lambda: tg.zeros(2, dtype="float32").__setitem__(0, -1e300),
                "setitem: -1e+300 does not fit dtype float32"),
    "setitem int": (lambda: tg.zeros(2, dtype="float32").__setitem__(0, 10**39),
                    "setitem: 1e+39 does not fit dtype float32"),
    "copy_": (lambda: tg.zeros(2, dtype="float32").copy_(np.array([1.0, 1e300])),
              "copy_: 1e+300 does not fit dtype float32"),
    "full": (lambda: tg.full((2,), 1e300, dtype="float32"), "full: 1e+300 does not fit dtype "
             "float32"),
    "uniform_": (lambda: tg.zeros(2, dtype="float32").uniform_(-1e300, 1e300),
                 "uniform_: a=-1e+300 does not fit dtype float32"),
    "uniform_ half": (lambda: tg.zeros(2, dtype="float16").uniform_(-1e5, 1e5),
                      "uniform_: a=-100000.0 does not fit dtype float16 (finite values from "
                      "-65504 to 65504)"),
    "randint": (lambda: tg.randint(0, 100000, (3,), dtype="float16"),
                "randint: high - 1 = 99999 does not fit dtype float16 (finite values from -65504 "
                "to 65504)"),
}


@pytest.mark.parametrize("name", sorted(OVERFLOWS))
def test_a_finite_value_that_would_become_inf_is_refused(name):
    call, start = OVERFLOWS[name]
    with np.errstate(all="raise"):  # (NumPy's RuntimeWarning was all there was)
        message = _refused((OverflowError, ValueError), start, call)
    assert "float64" in message  # what to do


def test_a_refused_overflow_leaves_the_tensor_and_inf_and_huge_draws_stay_allowed():
    t = tg.Tensor([1.0, 2.0], dtype="float32")
    for write in (lambda: t.fill_(1e300), lambda: t.copy_([0.0, 1e300]),
                  lambda: t.uniform_(0, 1e39)):
        with pytest.raises((OverflowError, ValueError)):
            write()
        assert t.tolist() == [1.0, 2.0]
    assert t.fill_(-math.inf).tolist() == [-math.inf] * 2  # inf given is inf
    assert np.isinf(tg.zeros(3, dtype="float32").copy_([math.inf, 0, 0]).numpy()[0])
    with np.errstate(all="raise"):  # normal_ with a huge std gives inf, as PyTorch's
        assert np.isinf(tg.zeros(3, dtype="float32").normal_(0, 1e300).numpy()).all()
    assert tg.zeros(2, dtype="float32").fill_(3.4e38).numpy().max() < math.inf
    assert tg.full((2,), 65504, dtype="float16").tolist() == [65504.0, 65504.0]


@pytest.mark.torch
def test_pytorch_refuses_the_same_overflows():
    torch = pytest.importorskip("torch")
    for call in (lambda: torch.zeros(2).fill_(1e300),
                 lambda: torch.nn.init.constant_(torch.zeros(2), 1e300),
                 lambda: torch.full((2,), 1e300, dtype=torch.float32),
                 lambda: torch.zeros(2).uniform_(-1e300, 1e300),
                 lambda: torch.zeros(2, dtype=torch.float16).uniform_(-1e5, 1e5),
                 lambda: torch.randint(0, 100000, (3,), dtype=torch.float16)):
        with pytest.raises(RuntimeError):
            call()
    assert torch.rand(10**6, dtype=torch.float16).max() < 1


@pytest.mark.parametrize("init", ["kaiming_uniform_", "kaiming_normal_", "xavier_uniform_",
                                  "xavier_normal_"])
@pytest.mark.parametrize("shape", [(3, 0), (0, 0), (0, 2, 3)])
def test_initialising_a_zero_element_weight_warns_and_returns_it(init, shape):
    weight = nn.Parameter(tg.zeros(*shape))
    with pytest.warns(UserWarning, match=f"^{init}: initializing a zero-element tensor"):
        assert getattr(nn.init, init)(weight) is weight
    assert weight.shape == shape
    with pytest.raises(ValueError, match="kaiming_uniform_: mode"):  # arguments still checked
        nn.init.kaiming_uniform_(tg.zeros(3, 0), mode="fan_avg")


@pytest.mark.torch
def test_pytorch_warns_on_a_zero_element_kaiming_init():
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="zero-element"):
        torch.nn.init.kaiming_uniform_(torch.zeros(3, 0))


@pytest.mark.parametrize("error, call, start", [
    (ValueError, lambda: nn.init.calculate_gain("leaky_relu", "x"),
     "calculate_gain: param (leaky_relu's negative slope) must be a number (int or float), "
     "got str 'x'"),
    (ValueError, lambda: nn.init.calculate_gain("leaky_relu", True),
     "calculate_gain: param (leaky_relu's negative slope) must be a number (int or float), "
     "got bool True"),
    (ValueError, lambda: nn.init.kaiming_uniform_(tg.zeros(3, 3), a="x"),
     "kaiming_uniform_: a (leaky_relu's negative slope) must be a number"),
    (ValueError, lambda: nn.init.kaiming_normal_(tg.zeros(3, 3), a=[0.1]),
     "kaiming_normal_: a (leaky_relu's negative slope) must be a number"),
    (TypeError, lambda: nn.init.xavier_uniform_(tg.zeros(3, 3), gain="relu"),
     "xavier_uniform_: gain must be a number (int or float), got str 'relu'; e.g. "
     "gain=nn.init.calculate_gain('relu')"),
    (TypeError, lambda: nn.init.xavier_normal_(tg.zeros(3, 3), gain=None),
     "xavier_normal_: gain must be a number"),
])
def test_a_gain_or_slope_that_is_not_a_number_is_refused_in_one_line(error, call, start):
    # (a slope: PyTorch's ValueError; a gain: PyTorch's TypeError from its arithmetic)
    _refused(error, start, call)


@pytest.mark.torch
def test_gains_and_slopes_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    for name in ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "linear", "tanh", "relu", "selu"):
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    for slope in (None, 0, 0.2, np.float32(0.5), tg.Tensor(0.3)):
        theirs = torch.nn.init.calculate_gain("leaky_relu", None if slope is None else float(
            slope))
        assert nn.init.calculate_gain("leaky_relu", slope) == pytest.approx(theirs)
    for slope in (True, "0.1", [0.1]):  # (ValueError in both)
        with pytest.raises(ValueError):
            torch.nn.init.calculate_gain("leaky_relu", slope)
        with pytest.raises(ValueError, match="negative slope"):
            nn.init.calculate_gain("leaky_relu", slope)
    rng = np.random.default_rng(0)
    ours = nn.init.kaiming_uniform_(tg.zeros(300, 400), a=None, generator=rng).numpy()
    theirs = torch.nn.init.kaiming_uniform_(torch.zeros(300, 400, dtype=torch.float64), a=None)
    assert abs(ours.max() - theirs.max().item()) < 1e-3


def test_pytorch_keyword_forms_of_the_shape_and_of_randint():
    assert tg.randint(high=5, size=(3,), seed=0).tolist() == tg.randint(0, 5, (3,), seed=0
                                                                         ).tolist()
    np.testing.assert_array_equal(tg.rand(size=(2, 3), seed=0).numpy(), tg.rand(2, 3, seed=0)
                                  .numpy())
    np.testing.assert_array_equal(tg.randn(size=[2], seed=1).numpy(), tg.randn(2, seed=1)
                                  .numpy())
    for maker, value in ((tg.zeros, 0.0), (tg.ones, 1.0), (tg.empty, 0.0)):
        made = maker(size=(2, 3), dtype="float32")
        assert made.shape == (2, 3) and made.dtype == np.float32 and made.numpy().max() == value
        _refused(TypeError, f"{maker.__name__}: got the shape twice, (2,) and size=(2, 3)",
                 lambda: maker(2, size=(2, 3)))
    _refused(TypeError, "randint: give high", lambda: tg.randint(size=(3,)))


def test_the_dataloader_shuffles_with_a_generator_given():
    x = np.arange(10.0)
    by_generator = tg.data.DataLoader(x, batch_size=4, shuffle=True,
                                      generator=np.random.default_rng(0))
    by_seed = tg.data.DataLoader(x, batch_size=4, shuffle=True, seed=0)
    for _ in range(2):  # each epoch continues the generator's stream, as seed's does
        ours = np.concatenate([b.numpy() for b in by_generator])
        np.testing.assert_array_equal(ours, np.concatenate([b.numpy() for b in by_seed]))
        assert sorted(ours) == list(x)
    _refused(ValueError, "DataLoader: give seed or generator, not both",
             lambda: tg.data.DataLoader(x, seed=0, generator=np.random.default_rng(0)))
    _refused(TypeError, "DataLoader: generator must be a numpy.random.Generator",
             lambda: tg.data.DataLoader(x, generator=0))


@pytest.mark.parametrize("call, kind, start", [
    (lambda: tg.manual_seed(2 ** 64), ValueError,  # (a negative one counts modulo 2**64)
     "manual_seed: seed 18446744073709551616 is out of range; give an int in [-2**63, "),
    (lambda: tg.manual_seed(1.5), TypeError,
     "manual_seed: seed must be an int, got float 1.5; give a whole number such as 0"),
    (lambda: tg.rand(2, seed=-3), ValueError,
     "rand: seed must be a non-negative int (or None: fresh entropy), got -3; negative"),
    (lambda: tg.randn(2, seed=2.0), TypeError,
     "randn: seed must be a non-negative int (or None: fresh entropy), got float 2.0; floats"),
    (lambda: nn.Linear(2, 2, seed=-1), ValueError, "Linear: seed must be a non-negative int"),
    (lambda: tg.data.DataLoader(np.zeros(3), seed=-1), ValueError,
     "DataLoader: seed must be a non-negative int"),
])
def test_a_bad_seed_says_what_the_function_accepts(call, kind, start):
    message = _refused(kind, start, call)
    assert "expected non-negative integer" not in message and "SeedSequence" not in message
    assert ("None" in message) == (not start.startswith("manual_seed"))


def test_backward_after_an_init_names_in_place_methods_and_nn_init_as_causes():
    w = nn.Parameter(tg.randn(3, 3, seed=0))
    y = (w * w).sum()
    nn.init.normal_(w)
    message = _refused(RuntimeError, "backward(): input 0", y.backward)
    assert "uniform_" in message and "nn.init" in message


def test_rand_like_and_randn_like_name_themselves():
    x = tg.zeros(2, dtype="float32")
    _refused(TypeError, "rand_like: draws floats, so dtype must be a float dtype, got int64",
             lambda: tg.rand_like(x, dtype="int64"))
    _refused(TypeError, "randn_like: draws floats", lambda: tg.randn_like(x, dtype="int64"))
    # nn.init writes an op's result, in a graph or not (under no_grad(), as PyTorch's)
    assert nn.init.normal_(tg.zeros(2, 2) * 2).shape == (2, 2)
    drawn = nn.init.normal_(tg.zeros(2, 2, requires_grad=True) * 2)
    assert drawn.grad_fn.name == "mul" and np.abs(drawn.data).sum() > 0


@pytest.mark.torch
def test_randperm_is_pytorchs():
    torch = pytest.importorskip("torch")
    drawn = tg.randperm(6, seed=0)
    assert drawn.dtype == np.int64 and sorted(drawn.tolist()) == list(range(6))
    assert drawn.tolist() == tg.randperm(6, generator=np.random.default_rng(0)).tolist()
    weights = tg.randperm(4, dtype="float32", requires_grad=True)
    assert weights.dtype == np.float32 and weights.requires_grad and tg.randperm(0).shape == (0,)
    ours, theirs = tg.randperm(5), torch.randperm(5)
    assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype)[6:]
    _refused(ValueError, "randperm: n must be >= 0, got -1", lambda: tg.randperm(-1))
    _refused(TypeError, "randperm: n must be an int, got float 2.0", lambda: tg.randperm(2.0))
    _refused(ValueError, "randperm: the values 0..2049 do not fit dtype float16",
             lambda: tg.randperm(2050, dtype="float16"))
    with pytest.raises(RuntimeError):  # PyTorch refuses it too
        torch.randperm(2050, dtype=torch.float16)
    _refused(TypeError, "randperm: requires_grad=True needs a float dtype",
             lambda: tg.randperm(3, requires_grad=True))


# --- one reading of devices and dtypes, one check of values that would become inf -----------

CPU_ONLY = "; tinygrad_gd runs on the CPU only: leave the device out (or give 'cpu')"


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "hip", "mps"])
def test_to_and_the_layers_refuse_a_device_alike(device):
    x, model = tg.zeros(2), nn.Sequential(nn.Linear(2, 1))
    dtype_or = "a dtype (np.float32, \"float64\") or the device 'cpu'"
    for call, start in ((lambda: x.to(device), f"to: expected {dtype_or}"),
                        (lambda: model.to(device), f"Module.to: expected {dtype_or}"),
                        (lambda: nn.Linear(3, 4, device=device), "Linear: expected the device "
                                                                 "'cpu'"),
                        (lambda: nn.LayerNorm(4, device=device), "LayerNorm: expected the "
                                                                 "device 'cpu'")):
        message = _refused(TypeError, start, call)
        assert message.endswith(f", got str {device!r}{CPU_ONLY}"), message


def test_the_layers_take_the_devices_to_takes():
    assert tg.zeros(2).to("cpu:0").dtype == np.float64
    for build in (lambda: nn.Linear(3, 4, device="cpu:0"), lambda: nn.Embedding(5, 3,
                                                                                device="cpu:0")):
        assert all(p.dtype == np.float64 for p in build().parameters())


@pytest.mark.torch
def test_the_layers_read_pytorchs_dtypes_as_tensors_do():
    torch = pytest.importorskip("torch")
    layer = nn.Linear(3, 4, dtype=torch.float32, device=torch.device("cpu"))
    assert layer.weight.dtype == layer.bias.dtype == tg.zeros(2, dtype=torch.float32).dtype
    assert str(layer.weight.dtype) == str(torch.nn.Linear(3, 4).weight.dtype)[6:]
    assert nn.LayerNorm(4, dtype=torch.float16).weight.dtype == np.float16
    _refused(TypeError, "Linear: parameters must be floating point, got dtype int64",
             lambda: nn.Linear(3, 4, dtype=torch.int64))
    _refused(TypeError, "Linear: complex dtypes are not supported",
             lambda: nn.Linear(3, 4, dtype=torch.complex64))


def test_a_value_that_rounds_to_the_largest_float_is_taken_by_every_maker_and_draw():
    big = 3.40282350e38  # above float32's largest, but the cast rounds it to it: never inf
    largest = np.finfo(np.float32).max
    assert tg.full((2,), big, dtype="float32").numpy().max() == largest
    assert tg.zeros(2, dtype="float32").fill_(big).numpy().max() == largest
    drawn = tg.zeros(1000, dtype="float32").uniform_(-big, big, generator=np.random.default_rng(0))
    assert np.isfinite(drawn.numpy()).all() and drawn.numpy().max() > 1e38
    halves = tg.randint(65000, 65520, (100,), dtype="float16", seed=0).numpy()
    assert np.isfinite(halves).all() and halves.max() == 65504


@pytest.mark.parametrize("call, start", [
    (lambda: tg.zeros(2, dtype="float32").uniform_(0, 1e39),
     "uniform_: b=1e+39 does not fit dtype float32 (finite values from -3.4028235e+38 to "
     "3.4028235e+38) and would become inf; draw into a float64 tensor (t.to(tg.float64))"),
    (lambda: tg.randint(-70000, 0, (3,), dtype="float16"),
     "randint: low=-70000 does not fit dtype float16 (finite values from -65504 to 65504) and "
     "would become inf; give a wider dtype (float64, int64)"),
    (lambda: tg.full((2,), -1e39, dtype="float32"), "full: -1e+39 does not fit dtype float32"),
])
def test_a_bound_or_value_that_would_become_inf_is_one_overflow_error(call, start):
    _refused(OverflowError, start, call)


def test_the_like_makers_overflow_advice_says_the_dtype_is_xs():
    x = tg.zeros(2, dtype="float32")
    for call, where in ((lambda: tg.full_like(x, 1e300), "full_like"),
                        (lambda: x.new_full((2,), 1e300), "new_full")):
        message = _refused(OverflowError, f"{where}: 1e+300 does not fit dtype float32", call)
        assert "; pass dtype='float64' (the dtype is x's, float32), or give values" in message
    assert tg.full_like(x, 1e300, dtype=tg.float64).tolist() == [1e300, 1e300]  # (that advice)
    message = _refused(OverflowError, "full_like: 1e+300", lambda: tg.full_like(
        x, 1e300, dtype="float32"))
    assert "; pass dtype='float64' (or leave dtype out), or give values" in message


def test_constant_names_itself_in_every_refusal():
    in_graph = tg.ones(2, requires_grad=True) * 2
    assert nn.init.constant_(in_graph, 1.0).tolist() == [1.0, 1.0]  # (as PyTorch's)
    _refused(OverflowError, "constant_: 1000 does not fit the tensor's dtype int8",
             lambda: nn.init.constant_(tg.zeros(2, dtype="int8"), 1000))
    _refused(OverflowError, "constant_: 1e+300 does not fit dtype float32",
             lambda: nn.init.constant_(nn.Parameter(tg.zeros(2, dtype="float32")), 1e300))


def test_linear_given_init_none_by_keyword_is_told_about_init():
    _refused(TypeError, "Linear: unknown init None; choose one of 'uniform'",
             lambda: nn.Linear(3, 4, init=None))
    assert nn.Linear(3, 4, True, None).in_features == 3  # (PyTorch's device, None)

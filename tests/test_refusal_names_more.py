"""A refusal names what the user called, the rest of it: an in-place form (`x.cos_(1)` says
"cos_: ...", not "cos: ..."; `x.divide_("a")` "divide_: ...", not "div_: ..."), `tg.max(a,
b)` (not "maximum: ...") and the functions made of several ops (`tg.addcdiv`, `tg.rsub`,
`tg.hsplit`, `tg.lu`, ...: not the op inside), each keeping the class of the refusal and
the rest of its message.

The in-place forms are found by walking Tensor's methods (every `name_` beside a plain
`name`), so a form added later is checked too.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.nn.functional as F

from test_refusal_names import _check_said_as, _named, _refusal  # (the same checks)

X = tg.Tensor([[0.5, 1.5], [2.0, 3.0]])
V3 = tg.Tensor([1.0, 2.0, 3.0])
V4 = tg.Tensor([1.0, 2.0, 3.0, 4.0])


# -- every in-place form, found on Tensor -------------------------------------------------
IN_PLACE_FORMS = sorted(
    name for name in dir(tg.Tensor)
    if name.endswith("_") and not name.startswith("_")
    and callable(getattr(tg.Tensor, name)) and callable(getattr(tg.Tensor, name[:-1], None)))

_INDEX = tg.Tensor([[0, 1], [1, 0]], dtype="int64")
_ROWS = tg.Tensor([1, 0], dtype="int64")
_V2 = tg.Tensor([1.0, 2.0])
_BATCH = tg.ones((1, 2, 2))
# the tensors a form is tried on, and the usual arguments after it; the first that works
# is the form's usual call
_SELVES = (X, tg.Tensor([[1, 2], [3, 4]], dtype="int64"), X > 1, _BATCH, _V2)
_USUAL = [(), (X,), (X, X), (0,), (0, 1), (0.5,), (1,), (_INDEX,), (X > 1, 0.0), (X > 1, X),
          (0, _INDEX, X), (0, _INDEX, X, "sum"), (0, _ROWS, X), (0, _ROWS, 0.0),
          (0, _ROWS, X, "prod"), (X, 0.5), (_V2, _V2), (X, _V2), (_BATCH, _BATCH),
          (_ROWS, _V2), ((_ROWS,), _V2), ((2, 2),), ((2, 2), (2, 1)), (2, 0, 1.0)]
_SPOILERS = ("a", None, V3, 7, (0, 0), -1)
# forms that check their arguments themselves (their own code, not the plain method's
# values written in): their refusals begin with their name but may say otherwise
OWN_CHECKS = {"add_", "sub_", "mul_", "div_", "multiply_", "subtract_", "divide_",
              "true_divide_", "copy_", "bernoulli_", "swapaxes_", "transpose_", "unsqueeze_",
              "resize_as_"}  # (memory_format=, which resize_as lacks, named in its count)


def _attempt(call: Callable[[], Any]) -> Exception | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (a 0 ** -1 among the usual calls)
            call()
    except Exception as err:  # noqa: BLE001  (the refusal is what is checked)
        return err
    return None


def _usual_call(name: str) -> tuple[tg.Tensor, tuple]:
    for self in _SELVES:
        for args in _USUAL:
            if _attempt(lambda: getattr(self.clone(), name)(*args)) is None:
                return self, args
    raise AssertionError(f"no usual call works for Tensor.{name}: teach _USUAL one")


def test_the_walk_finds_the_in_place_forms():
    assert {"cos_", "div_", "divide_", "negative_", "absolute_", "float_power_", "addcdiv_",
            "unsqueeze_", "clamp_min_", "gt_", "index_put_", "put_"} <= set(IN_PLACE_FORMS)


@pytest.mark.parametrize("name", IN_PLACE_FORMS)
def test_every_in_place_form_refuses_under_its_own_name(name):
    """Each bad call of `t.name_(...)` (a keyword it does not take, an argument too many,
    each argument spoiled) is refused beginning with `name_`, never with the plain method's
    name; where the plain method refuses the same arguments under its own name, the form's
    refusal is that one renamed."""
    plain = name[:-1]
    self, args = _usual_call(name)
    variants = [(args, {"bogus": 1}), (args, {"dim": 7}), (args + (7,), {}),
                (args + ("a",), {})]
    variants += [(args[:i] + (bad,) + args[i + 1:], {}) for i in range(len(args))
                 for bad in _SPOILERS]
    refused = 0
    for bad_args, kwargs in variants:
        err = _attempt(lambda: getattr(self.clone(), name)(*bad_args, **kwargs))
        if err is None:
            continue
        refused += 1
        assert _named(str(err), (name,)), f"{name}{bad_args} {kwargs}: {err}"
        own = _attempt(lambda: getattr(self.clone(), plain)(*bad_args, **kwargs))
        if name not in OWN_CHECKS and own is not None and _named(str(own), (plain,)):
            _check_said_as(name, err, own, (plain,))
    assert refused, f"{name}: no bad call refused; teach the variants one"


def test_an_in_place_form_says_its_name_with_the_plain_methods_words():
    """The brief's cases, written out: the class and words are the plain method's."""
    err = _refusal(lambda: X.clone().cos_(1))
    assert isinstance(err, TypeError)
    assert str(err) == "cos_: takes no arguments but 1 was given"  # (x is not counted)
    _check_said_as("cos_", err, _refusal(lambda: X.cos(1)), ("cos",))
    for alias, form, plain in (("negative_", "neg_", "neg"), ("absolute_", "abs_", "abs")):
        err = _refusal(lambda: getattr(X.clone(), alias)(1))
        _check_said_as(alias, err, _refusal(lambda: getattr(X, plain)(1)), (plain,))
        assert not _named(str(err), (form, plain)), err


@pytest.mark.parametrize("alias, form", [("divide_", "div_"), ("multiply_", "mul_"),
                                         ("subtract_", "sub_"), ("true_divide_", "div_")])
def test_pytorchs_other_names_of_in_place_forms_say_their_own(alias, form):
    """`x.divide_("a")` is div_'s refusal, said of divide_ (it said "div_: ...")."""
    err = _refusal(lambda: getattr(X.clone(), alias)("a"))
    _check_said_as(alias, err, _refusal(lambda: getattr(X.clone(), form)("a")), (form,))
    err = _refusal(lambda: getattr(X.clone(), alias)(X, 7))  # (Python's count of arguments)
    assert str(err).startswith(f"{alias}: takes 1 argument (other) but 2 were given"), err


def test_a_rounded_division_in_place_says_div_():
    err = _refusal(lambda: X.clone().div_(2, rounding_mode="up"))
    _check_said_as("div_", err, _refusal(lambda: X.div(2, rounding_mode="up")), ("div",))
    err = _refusal(lambda: X.clone().divide_(2, rounding_mode="up"))
    _check_said_as("divide_", err, _refusal(lambda: X.div(2, rounding_mode="up")), ("div",))


def test_float_power_in_place_says_its_name():
    err = _refusal(lambda: X.clone().float_power_("a"))
    _check_said_as("float_power_", err, _refusal(lambda: X.float_power("a")), ("float_power",))
    assert str(_refusal(lambda: X.float().float_power_(2))).startswith("float_power_: the "
                                                                       "result is float64")


def test_in_place_forms_still_compute_and_are_differentiated_as_before():
    """The respelling changes nothing but a refusal: values, the tensor returned, and the
    gradient through a recorded in-place change (d cos(2w)/dw = -2 sin(2w))."""
    x = X.clone()
    assert x.divide_(4) is x and np.allclose(x.numpy(), X.numpy() / 4)
    assert np.allclose(X.clone().negative_().numpy(), -X.numpy())
    w = tg.Tensor([0.3, -1.2, 2.0], requires_grad=True)
    (w * 2).cos_().sum().backward()
    assert np.allclose(w.grad.numpy(), -2 * np.sin(2 * w.detach().numpy()))


# -- tg.max(a, b) and tg.min(a, b): the elementwise extremes --------------------------------
@pytest.mark.parametrize("name", ["max", "min"])
def test_the_elementwise_max_and_min_say_max_and_min(name):
    own = f"{name}imum"
    for call, inner in (
            (lambda: getattr(tg, name)(V3, V4), lambda: getattr(tg, own)(V3, V4)),
            (lambda: getattr(V3, name)(other=V4), lambda: getattr(V3, own)(V4)),
            (lambda: getattr(tg, name)(V3, other="a"), lambda: getattr(tg, own)(V3, "a"))):
        _check_said_as(name, _refusal(call), _refusal(inner), (own,))


# -- functions made of several ops ---------------------------------------------------------
# (label: the name called, its call, the names of the op inside, that op's call)
FUNCTIONS = {
    "addcmul": ("addcmul", lambda: tg.addcmul(V3, V3, "a"), ("mul",),
                lambda: tg.mul(V3, "a")),
    "addcmul method": ("addcmul", lambda: V3.addcmul("a", V3), ("mul",),
                       lambda: tg.mul("a", V3)),
    "addcdiv": ("addcdiv", lambda: tg.addcdiv(V3, V3, "a"), ("div",),
                lambda: tg.div(V3, "a")),
    "addcdiv input": ("addcdiv", lambda: tg.addcdiv("a", V3, V3), ("add",),
                      lambda: tg.add("a", V3 / V3)),
    "dist": ("dist", lambda: tg.dist(V3, "a"), ("sub",), lambda: tg.sub(V3, "a")),
    "lerp": ("lerp", lambda: tg.lerp(V3, "a", 0.5), ("sub",), lambda: tg.sub("a", V3)),
    "rsub": ("rsub", lambda: tg.rsub(V3, V4), ("sub",), lambda: tg.sub(V3, V4)),
    "rsub alpha": ("rsub", lambda: tg.rsub(V3, V3, alpha="a"), ("sub",),
                   lambda: tg.sub(V3, V3, alpha="a")),
    "hsplit": ("hsplit", lambda: tg.hsplit(V3, "a"), ("tensor_split",),
               lambda: tg.tensor_split(V3, "a", 0)),
    "hsplit method": ("hsplit", lambda: V3.hsplit([1.5]), ("tensor_split",),
                      lambda: tg.tensor_split(V3, [1.5], 0)),
    "vsplit": ("vsplit", lambda: tg.vsplit(X, "a"), ("tensor_split",),
               lambda: tg.tensor_split(X, "a", 0)),
    "dsplit": ("dsplit", lambda: tg.dsplit(tg.ones((1, 1, 2)), None), ("tensor_split",),
               lambda: tg.tensor_split(tg.ones((1, 1, 2)), None, 2)),
    "diagflat": ("diagflat", lambda: tg.diagflat(V3, "a"), ("diag",),
                 lambda: tg.diag(V3, "a")),
    "diagflat method": ("diagflat", lambda: V3.diagflat(1.5), ("diag",),
                        lambda: tg.diag(V3, 1.5)),
    "float_power": ("float_power", lambda: tg.float_power(V3, V4), ("pow",),
                    lambda: tg.pow(V3, V4)),
    "float_power method": ("float_power", lambda: V3.float_power("a"), ("pow",),
                           lambda: tg.pow(V3, "a")),
    "constant_pad_nd": ("constant_pad_nd", lambda: tg.constant_pad_nd(V3, (1, 2, 3, 4)),
                        ("pad",), lambda: F.pad(V3, (1, 2, 3, 4))),
    "constant_pad_nd value": ("constant_pad_nd", lambda: tg.constant_pad_nd(V3, (1, 1), "a"),
                              ("pad",), lambda: F.pad(V3, (1, 1), value="a")),
    "selu": ("selu", lambda: tg.selu("a"), ("elu",), lambda: tg.elu("a", 1.6732632423543772)),
    "F.selu": ("selu", lambda: F.selu("a"), ("elu",), lambda: tg.elu("a", 1.6732632423543772)),
    "lu": ("lu", lambda: tg.lu(V3), ("lu_factor_ex",), lambda: tg.linalg.lu_factor_ex(V3)),
    "lu pivot": ("lu", lambda: X.lu(pivot="a"), ("lu_factor_ex",),
                 lambda: tg.linalg.lu_factor_ex(X, pivot="a")),
    "swapdims": ("swapdims", lambda: tg.swapdims(X, 0, 7), ("swapaxes",),
                 lambda: tg.swapaxes(X, 0, 7)),
    "swapdims method": ("swapdims", lambda: X.swapdims("a", 1), ("swapaxes",),
                        lambda: X.swapaxes("a", 1)),
}


@pytest.mark.parametrize("label", sorted(FUNCTIONS))
def test_a_function_of_several_ops_refuses_under_its_name(label):
    called, call, names, inner = FUNCTIONS[label]
    _check_said_as(called, _refusal(call), _refusal(inner), names)


def test_a_reduce_that_is_no_name_is_refused_naming_index_reduce():
    """A tensor given as index_reduce's reduce: a one-line refusal naming it (it was "the
    truth value of a tensor ... is ambiguous", from comparing it with the names)."""
    with pytest.raises(RuntimeError, match=r"^index_reduce: reduce must be one of 'prod'"):
        X.index_reduce(0, _ROWS, X, V3)
    with pytest.raises(RuntimeError, match=r"^index_reduce_: reduce must be one of 'prod'"):
        X.clone().index_reduce_(0, _ROWS, X, V3)


@pytest.mark.torch
def test_each_renamed_refusal_is_of_a_class_pytorch_raises_for_the_same_call():
    """Renaming keeps the class, which is (or derives from) PyTorch's for the same call."""
    torch = pytest.importorskip("torch")
    x, a3, a4 = torch.tensor([[0.5, 1.5], [2.0, 3.0]]), torch.ones(3), torch.ones(4)
    cases = [(lambda: X.clone().cos_(1), lambda: x.clone().cos_(1)),
             (lambda: X.clone().divide_("a"), lambda: x.clone().divide_("a")),
             (lambda: X.clone().swapdims_(0, 7), lambda: x.clone().swapdims_(0, 7)),
             (lambda: tg.rsub(V3, V4), lambda: torch.rsub(a3, a4)),
             (lambda: tg.dist(V3, V4), lambda: torch.dist(a3, a4)),
             (lambda: tg.addcdiv(V3, V3, V4), lambda: torch.addcdiv(a3, a3, a4)),
             (lambda: tg.lerp(V3, V4, 0.5), lambda: torch.lerp(a3, a4, 0.5)),
             (lambda: tg.hsplit(V3, 2), lambda: torch.hsplit(a3, 2)),
             (lambda: tg.diagflat(V3, "a"), lambda: torch.diagflat(a3, "a")),
             (lambda: tg.float_power(V3, V4), lambda: torch.float_power(a3, a4)),
             (lambda: tg.constant_pad_nd(V3, (1, 2, 3, 4)),
              lambda: torch.constant_pad_nd(a3, (1, 2, 3, 4))),
             (lambda: tg.selu("a"), lambda: torch.selu("a")),
             (lambda: tg.lu(V3), lambda: torch.lu(a3)),
             (lambda: tg.swapdims(X, 0, 7), lambda: torch.swapdims(x, 0, 7))]
    for ours, theirs in cases:
        expected = type(_refusal(theirs))
        assert isinstance(_refusal(ours), expected), (_refusal(ours), expected)


@pytest.mark.parametrize("name, call", [
    ("clamp_min", lambda: X.clamp_min(1.0, 2.0)), ("amax", lambda: X.amax(0, True, 3)),
    ("view_as", lambda: X.view_as()), ("concat", lambda: tg.concat([X], foo=1))])
def test_a_wrong_argument_to_a_function_calling_an_op_is_said_of_the_name_called(name, call):
    """Python's complaint about the arguments of a function made under another name
    (`_clamp_min() takes ...`) begins with the name the user called."""
    err = _refusal(call)
    assert isinstance(err, TypeError) and str(err).startswith(f"{name}: "), err
    assert "_clamp_min" not in str(err) and "\n" not in str(err)

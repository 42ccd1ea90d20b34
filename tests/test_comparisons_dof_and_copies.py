"""Three small differences from PyTorch 2.13, cleared:

- a comparison refused begins with the name called: `x.gt("a")` says "gt: ...", `x < "a"`
  "lt: ..." (as `x + "a"` says "add: ..."), `x.greater("a")` "greater: ...", the in-place
  forms their own names (they said "compare >: ..."); `x.eq("a")` and `x.ne(None)` refuse
  as PyTorch's do (they compared, all False), while `x == "a"` is Python's False as
  PyTorch's;
- var, std, var_mean and std_mean where n - correction <= 0 (an empty axis, or no more
  entries than the correction) give PyTorch's NaN (or inf) with one UserWarning naming the
  op, the shape, the dim and the correction, where NumPy's RuntimeWarnings ("Mean of empty
  slice", "invalid value encountered in divide") were printed, and none where n >
  correction; an empty axis with a negative correction is NaN, as PyTorch's (NumPy's 0);
- `copy.deepcopy`, `copy.copy` and pickle inside `inference_mode()` make an inference
  tensor (a module's parameters too), outside an ordinary one, as PyTorch's.
"""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

NUMERIC = "expected numeric data"


# -- 1. comparisons refuse under the name called -------------------------------------------
_METHODS = ["lt", "le", "gt", "ge", "eq", "ne", "less", "less_equal", "greater",
            "greater_equal", "not_equal"]
_OPERATORS = [("<", "lt"), ("<=", "le"), (">", "gt"), (">=", "ge")]


@pytest.mark.parametrize("name", _METHODS)
def test_a_comparison_method_refuses_a_string_under_its_own_name(name):
    x = tg.ones(2)
    with pytest.raises(TypeError, match=rf"^{name}: {NUMERIC}.*'a'$"):
        getattr(x, name)("a")
    with pytest.raises(TypeError, match=rf"^{name}: {NUMERIC}"):
        getattr(x, name)(None)
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(2,\), \(3,\) do not broadcast"):
        getattr(x, name)(tg.ones(3))
    with pytest.raises(RuntimeError, match=rf"^{name}_: shapes \(2,\), \(3,\) do not "):
        getattr(x.clone(), name + "_")(tg.ones(3))
    with pytest.raises(TypeError, match=rf"^{name}_: {NUMERIC}"):
        getattr(x.clone(), name + "_")("a")


@pytest.mark.parametrize("symbol, name", _OPERATORS)
def test_an_ordering_operator_refuses_under_its_methods_name_as_add_does(symbol, name):
    x = tg.ones(2)
    with pytest.raises(TypeError, match=f"^add: {NUMERIC}"):
        x + "a"
    with pytest.raises(TypeError, match=rf"^{name}: {NUMERIC}.*'a'$"):
        eval(f"x {symbol} 'a'")
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(2,\), \(3,\) do not broadcast"):
        eval(f"x {symbol} tg.ones(3)")


@pytest.mark.parametrize("name", ["gt", "lt", "ge", "le", "eq", "ne"])
def test_pytorchs_comparison_functions_refuse_under_their_names(name):
    with pytest.raises(TypeError, match=rf"^{name}: {NUMERIC}"):
        getattr(tg, name)(tg.ones(2), "a")


def test_comparisons_still_compare_numbers_lists_and_tensors():
    x, y = tg.Tensor([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    for name, want in (("lt", x.numpy() < y), ("ge", x.numpy() >= y), ("eq", x.numpy() == y),
                       ("not_equal", x.numpy() != y)):
        for other in (y, y.tolist(), tg.Tensor(y)):
            assert getattr(x, name)(other).tolist() == want.tolist()
    assert (x > 2).tolist() == [False, False, True] and (2 < x).tolist() == [False, False, True]
    big = tg.Tensor([1, 2], dtype="int64")
    assert (big < 2**70).tolist() == [True, True]  # (a Python int past int64: NumPy's exact)


@pytest.mark.torch
def test_equality_with_a_string_is_pythons_bool_and_the_methods_refuse_as_pytorchs():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        x = lib.ones(2)
        assert (x == "a") is False and (x != "a") is True and (x == None) is False  # noqa: E711
        for name in ("eq", "ne", "gt"):
            with pytest.raises(TypeError):
                getattr(x, name)("a")
        with pytest.raises(TypeError):
            x < "a"


# -- 2. var and std without degrees of freedom ---------------------------------------------
def _run(call):
    """call()'s result and the warnings it gave, every one recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, [(w.category, str(w.message), w.filename) for w in caught]


_NO_FREEDOM = [  # (function, shape, keywords): n - correction <= 0
    ("var", (0, 3), {"dim": 0}), ("std", (0, 3), {"dim": 0}), ("var", (0, 3), {"correction": 0}),
    ("std", (2, 0), {"dim": 1, "keepdim": True}), ("var", (1, 3), {"dim": 0}),
    ("std", (3,), {"dim": 0, "correction": 3}), ("var", (2, 3), {"dim": (0, 1),
                                                                 "correction": 7}),
    ("var_mean", (0, 3), {"dim": 0}), ("std_mean", (1, 2), {"dim": 0}),
]


def _data(shape):
    return np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) ** 1.5


@pytest.mark.parametrize("name, shape, kwargs", _NO_FREEDOM)
def test_no_degrees_of_freedom_give_one_user_warning_in_our_words(name, shape, kwargs):
    x = tg.Tensor(_data(shape), requires_grad=True)
    out, caught = _run(lambda: getattr(tg, name)(x, **kwargs))
    assert [c for c, _, _ in caught] == [UserWarning], caught
    _, message, filename = caught[0]
    op = name
    correction = kwargs.get("correction", 1)  # (PyTorch's keywords: PyTorch's default)
    assert message.startswith(f"{op}: degrees of freedom n - correction = ")
    assert f"of shape {shape}" in message and f" - {correction} <= 0" in message, message
    assert "\n" not in message and filename == __file__  # (said at the caller's line)
    spread = out[0] if name.endswith("_mean") else out
    n = int(np.prod([shape[a] for a in np.atleast_1d(kwargs.get("dim", range(len(shape))))]))
    sums = np.sum((_data(shape) - _data(shape).mean(axis=kwargs.get("dim"),
                                                    keepdims=True)) ** 2 if n else 0.0)
    want = np.nan if n == 0 or sums == 0 else np.inf
    assert np.all(np.isnan(spread.numpy())) if np.isnan(want) else \
        np.all(np.isposinf(spread.numpy()))
    _, caught = _run(lambda: spread.sum().backward())  # (the gradient: no NumPy warning)
    assert caught == []


@pytest.mark.parametrize("name", ["var", "std"])
def test_enough_degrees_of_freedom_warn_nothing(name):
    for shape, kwargs in (((2, 3), {"dim": 0}), ((1, 3), {"dim": 0, "correction": 0}),
                          ((0, 3), {"dim": 0, "correction": -1}),
                          ((0, 3), {"dim": 1, "correction": -1})):
        out, caught = _run(lambda: getattr(tg, name)(tg.Tensor(_data(shape)), **kwargs))
        assert caught == [], (shape, kwargs, caught)
        n = shape[kwargs["dim"]]
        if n:  # (an independent formula: NumPy's with ddof)
            want = getattr(np, name)(_data(shape), axis=kwargs["dim"],
                                     ddof=kwargs.get("correction", 1))
            np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
        else:  # an empty axis: no values to spread, NaN whatever the correction
            assert out.shape == (3,) and np.all(np.isnan(out.numpy()))


@pytest.mark.torch
@pytest.mark.parametrize("name, shape, kwargs", _NO_FREEDOM + [
    ("var", (0, 3), {"dim": 0, "correction": -1}), ("std", (1, 3), {"dim": 0,
                                                                     "correction": 0})])
def test_values_gradients_and_warning_classes_are_pytorchs(name, shape, kwargs):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        x = lib.tensor(_data(shape), dtype=lib.float64, requires_grad=True)
        out, caught = _run(lambda: getattr(lib, name)(x, **kwargs))
        spread = out[0] if name.endswith("_mean") else out
        spread.sum().backward()
        results.append((spread.detach().numpy(), x.grad.numpy(),
                        sorted({c.__name__ for c, _, _ in caught})))
    (ours, our_grad, our_warnings), (theirs, their_grad, their_warnings) = results
    np.testing.assert_array_equal(ours, theirs)
    if not np.any(np.isinf(theirs)):  # (PyTorch's gradient of its inf divides by n - c < 0:
        np.testing.assert_array_equal(our_grad, their_grad)  # ours, by max(n - c, 0), inf)
    assert our_warnings == their_warnings


def test_no_freedom_is_an_error_under_pytests_user_warning_filter():
    """The suite's -W error::UserWarning: such a call is then refused, not silent."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(UserWarning, match=r"^var: degrees of freedom"):
            tg.var(tg.zeros((0, 2)), dim=0)


# -- 3. copies made in inference mode ------------------------------------------------------
_COPIES = {"deepcopy": copy.deepcopy, "copy": copy.copy,
           "pickle": lambda t: pickle.loads(pickle.dumps(t))}


@pytest.mark.parametrize("how", sorted(_COPIES))
def test_a_copy_made_inside_inference_mode_is_an_inference_tensor(how):
    make = _COPIES[how]
    ordinary = tg.Tensor([1.0, 2.0])
    with tg.inference_mode():
        made = tg.Tensor([1.0, 2.0])
        inside, of_ordinary = make(made), make(ordinary)
        assert inside.is_inference() and of_ordinary.is_inference()
        inside.add_(1)  # (changed in place inside: allowed)
    assert inside.tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
        of_ordinary.add_(1)
    outside = make(made)  # outside: an ordinary tensor, even of an inference tensor
    assert not outside.is_inference() and not make(ordinary).is_inference()
    before = outside.tolist()
    outside.add_(1)  # (allowed: an ordinary tensor)
    assert outside.tolist() == [v + 1 for v in before]


def test_a_model_deep_copied_inside_inference_mode_has_inference_parameters():
    model = tg.nn.Linear(2, 2)
    with tg.inference_mode():
        inside = copy.deepcopy(model)
    assert all(p.is_inference() for p in inside.parameters())
    assert isinstance(inside.weight, tg.nn.Parameter)
    assert not any(p.is_inference() for p in copy.deepcopy(inside).parameters())
    np.testing.assert_array_equal(inside.weight.numpy(), model.weight.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("how", sorted(_COPIES))
def test_copies_in_and_out_of_inference_mode_are_pytorchs(how):
    torch = pytest.importorskip("torch")
    make = _COPIES[how]
    answers = []
    for lib in (tg, torch):
        ordinary = lib.ones(2)
        with lib.inference_mode():
            made = lib.ones(2)
            inside = (make(made).is_inference(), make(ordinary).is_inference(),
                      all(p.is_inference() for p in copy.deepcopy(lib.nn.Linear(2, 2))
                          .parameters()))
        answers.append((inside, make(made).is_inference(), make(ordinary).is_inference()))
    assert answers[0] == answers[1]

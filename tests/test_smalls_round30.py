"""Four small things a user meets (thirtieth round).

A method's wrong number of arguments is counted as the user counts them: `x.clamp_min(1, 2)`
gave 2, not Python's 3 (the tensor counted), and the message names what it takes; the
`tg.` functions read alike. `draw_anomaly` of a finite loss whose gradient's NaN never
reaches a leaf names no culprit; one that reaches a leaf still does. `x.xlog1py_(y)`, an
in-place form made when its op registered, refuses and counts a change as `x.mul_(y)` does.
"""
from __future__ import annotations

import inspect
import math
import pickle

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import registry
from tinygrad_gd.scope import nan_on_purpose

from test_diagrams_round29 import _nodes, _red_nodes
from test_graph_labels import needs_dot, svg_texts

X = tg.Tensor([1.0, 2.0])


def _message(call) -> str:
    with pytest.raises(TypeError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text
    return text


# -- 1: a wrong number of arguments, as the user counts them ------------------------------
@pytest.mark.parametrize("call, expected", [
    # a method the op clip makes under another name (refusing_as)
    (lambda: X.clamp_min(1, 2), "clamp_min: takes 1 argument (min) but 2 were given"),
    (lambda: X.clamp_max(1, 2), "clamp_max: takes 1 argument (max) but 2 were given"),
    # an op with a call of its own, positional and keyword-only parameters
    (lambda: X.clip(1, 2, 3), "clip: takes at most 2 arguments (min, max) but 3 were given"),
    (lambda: X.sum(0, True, 3), "sum: takes at most 2 arguments (axis, keepdims) but 3 were "
                                "given; dim=, keepdim=, dtype= are keyword-only"),
    (lambda: X.add(1, 2), "add: takes 1 argument (other) but 2 were given; alpha= is "
                          "keyword-only"),
    # an op without a call: its forward's inputs are counted
    (lambda: X.exp(1), "exp: takes no arguments but 1 was given"),
    (lambda: X.mul(2, 3), "mul: takes 1 argument (y) but 2 were given"),
    # operators, called as methods
    (lambda: X.__add__(1, 2), "__add__: takes 1 argument (other) but 2 were given; alpha= is "
                              "keyword-only"),
    (lambda: X.__mul__(1, 2), "__mul__: takes 1 argument (y) but 2 were given"),
    # a method that is also a tg. function (the same function before: counted as tg.'s)
    (lambda: X.lerp(X, 0.5, 1), "lerp: takes 2 arguments (end, weight) but 3 were given"),
    (lambda: X.absolute(1), "absolute: takes no arguments but 1 was given"),
    # in-place forms
    (lambda: X.clone().cos_(1), "cos_: takes no arguments but 1 was given"),
    (lambda: X.clone().unsqueeze_(0, 1), "unsqueeze_: takes 1 argument (dim) but 2 were given"),
    # an in-place form handing its arguments to a plain method (Python's count: the tensor's)
    (lambda: X.clone().gt_(1, 2), "gt_: takes 1 argument (other) but 2 were given"),
])
def test_a_methods_argument_count_leaves_out_the_tensor_and_names_what_it_takes(call, expected):
    assert _message(call) == expected


@pytest.mark.parametrize("call, expected", [
    (lambda: tg.clamp_min(X, 1, 2), "clamp_min: takes 2 arguments (input, min) but 3 were given"),
    (lambda: tg.exp(X, 1), "exp: takes 1 argument (x) but 2 were given"),
    (lambda: tg.add(X, 1, 2), "add: takes 2 arguments (input, other) but 3 were given; alpha= "
                              "is keyword-only"),
    (lambda: tg.lerp(X, X, 0.5, 1), "lerp: takes 3 arguments (input, end, weight) but 4 were "
                                    "given"),
    (lambda: tg.rsub(X, 1, 2), "rsub: takes 2 arguments (input, other) but 3 were given; "
                               "alpha= is keyword-only"),
])
def test_a_functions_argument_count_reads_as_a_methods(call, expected):
    assert _message(call) == expected


def test_the_count_is_python_s_less_the_tensor():
    """Against Python's own count of a plain function of the same parameters."""
    def clamp_min(self, min):  # noqa: A002
        return self

    with pytest.raises(TypeError) as python:
        clamp_min(X, 1, 2)
    takes, given = (int(word) for word in str(python.value).split() if word.isdigit())
    assert _message(lambda: X.clamp_min(1, 2)) == (
        f"clamp_min: takes {takes - 1} argument (min) but {given - 1} were given")


def test_the_other_mistakes_keep_their_words_and_a_right_call_works():
    assert _message(lambda: X.clamp_min()) == (
        "clamp_min: missing 1 required positional argument: 'min'; its docstring lists its "
        "arguments")
    assert _message(lambda: X.clamp_min(1, bogus=2)).startswith(
        "clamp_min: got an unexpected keyword argument 'bogus'")
    assert X.clamp_min(1.5).tolist() == [1.5, 2.0]
    assert tg.clamp_min(X, 1.5).tolist() == [1.5, 2.0] == tg.clamp_min(input=X, min=1.5).tolist()
    assert X.lerp(X * 3, 0.5).tolist() == tg.lerp(X, X * 3, 0.5).tolist() == [2.0, 4.0]


def test_an_error_inside_a_method_is_not_read_as_its_own_count():
    """A TypeError from a call inside the method keeps its words: not restated as a count."""
    err = _message(lambda: X.clamp_min("a"))
    assert err.startswith("clamp_min: min must be a number"), err
    with pytest.raises(TypeError) as info:
        X.view_as(3)
    assert str(info.value).startswith("view_as: expected a tensor"), info.value


def test_the_method_twins_keep_the_functions_documentation():
    # the method lives where help() and pickle look for it, Tensor.NAME in tinygrad_gd.tensor
    # (its own module, as torch.Tensor's methods), the tg. function where it was written
    for name in ("lerp", "absolute", "swapdims"):
        method, function = getattr(tg.Tensor, name), getattr(tg, name)
        assert method.__doc__ == function.__doc__
        # (the function takes PyTorch's out= too, as torch.lerp does and Tensor.lerp not)
        given = inspect.signature(function).parameters
        assert list(inspect.signature(method).parameters.values()) == \
            [p for name, p in given.items() if name != "out"]
        assert (method.__module__, method.__qualname__) == ("tinygrad_gd.tensor", f"Tensor.{name}")
        assert function.__qualname__ == name and function.__module__ != "tinygrad_gd.tensor"
        for twin in (method, function):
            assert pickle.loads(pickle.dumps(twin)) is twin


# -- 2: draw_anomaly points at a fault only ---------------------------------------------
def _masked_mean_loss():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = tg.tensor([[True, False, True], [False, False, False]])  # row 1 left out whole
    return x, mask, tg.nansum(tg.masked.mean(x, 1, mask=mask))


_CULPRIT = "#c92a2a"  # the stroke of the op draw_anomaly points at


def _anomaly(output, tmp_path, name):
    """The culprit's node (or None), the nodes marked red for NaN and the drawing's text."""
    path = tg.render_graph(tg.draw_anomaly(output), tmp_path / f"{name}.svg")
    culprits = [text for text, _, strokes in _nodes(path) if _CULPRIT in strokes]
    assert len(culprits) <= 1, culprits
    return (culprits or [None])[0], _red_nodes(path), svg_texts(path)


@needs_dot
def test_draw_anomaly_of_a_masked_mean_with_a_finite_gradient_points_at_nothing(tmp_path):
    """The gradient's NaN inside masked.mean (0 x 1/NaN at the row left out) stop at its
    where: the parameter's gradient is finite, so no op is the culprit (div was, in red)."""
    x, mask, loss = _masked_mean_loss()
    culprit, red, text = _anomaly(loss, tmp_path, "masked")
    assert culprit is None and red == [], (culprit, red)
    assert "NaN in grad where the mask keeps no entry (op where stops it)" in text
    assert "div" in text  # (the backward view, the op drawn plainly)
    loss.backward()
    kept = mask.numpy()
    np.testing.assert_array_equal(x.grad.numpy(),
                                  kept / np.maximum(kept.sum(axis=1, keepdims=True), 1))


@needs_dot
def test_draw_anomaly_still_points_at_a_nan_gradient_that_reaches_a_leaf(tmp_path):
    y = tg.tensor([1.0, 2.0], requires_grad=True)
    meant = nan_on_purpose(tg.tensor([math.nan, 1.0]), "where nothing was kept")
    loss = tg.nansum((y * 2) * meant)
    culprit, red, _ = _anomaly(loss, tmp_path, "leaf")
    assert culprit.startswith("mul "), culprit  # the op that makes it
    assert any(node.startswith("parameter (2,)") and node.endswith("NaN in grad")
               for node in red), red
    loss.backward()
    assert np.isnan(y.grad.numpy()).any()


@needs_dot
def test_draw_anomaly_still_points_at_the_users_own_nan(tmp_path):
    """A NaN of the user's data (a divisor) where a mask leaves an entry out: a fault."""
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    mask = tg.tensor([[True, False, True], [False, False, False]])
    divisor = tg.tensor([[2.0, 2.0, 2.0], [math.nan, 2.0, 2.0]])
    culprit, red, _ = _anomaly(tg.nansum(tg.where(mask, x, 0.0) / divisor), tmp_path, "own")
    assert culprit is not None and red, (culprit, red)


def test_draw_anomaly_of_a_graph_without_nan_is_refused_as_before():
    with pytest.raises(ValueError, match="^draw_anomaly: no NaN or Inf in the values or "
                                         "gradients of this graph"):
        tg.draw_anomaly((tg.tensor([1.0, 2.0], requires_grad=True) * 2).sum())


# -- 4: an in-place form made when an op registers, as every other one --------------------
@pytest.fixture
def xlog1py_method():
    """A user's op giving Tensor the method xlog1py, which makes the in-place form
    xlog1py_ then (tg.special.xlog1py is no method); taken away afterwards."""
    class MyXlog1py(tg.Function, methods=("xlog1py",)):
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * np.log1p(y)

        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            return grad * np.log1p(y), grad * x / (1 + y)

    try:
        yield MyXlog1py
    finally:
        registry._registry.pop(MyXlog1py.name)
        for name in ("xlog1py", "xlog1py_"):
            if name in vars(tg.Tensor):
                delattr(tg.Tensor, name)


def _refusal_of(call) -> Exception:
    with pytest.raises(Exception) as info:  # noqa: PT011  (any class: compared)
        call()
    return info.value


def test_an_in_place_form_made_later_refuses_as_mul_does(xlog1py_method):
    """The refusals of mul_ (its class, said of the form's name) in pow_'s words, another
    form that writes an op's values (mul_ says "use t.mul(...)", these "t = t.pow(...)")."""
    y = tg.Tensor([0.5, 1.0])
    with tg.inference_mode():
        inference = tg.Tensor([1.0, 2.0])
    for spoil in (lambda t, name: getattr(t, name)(y),  # a leaf requiring a gradient
                  lambda t, name: getattr(inference, name)(y),  # an inference tensor
                  lambda t, name: getattr(t.detach(), name)("a"),  # no number
                  lambda t, name: getattr(t * 1, name)(y, 3)):  # an argument too many
        w = tg.Tensor([1.0, 2.0], requires_grad=True)
        ours, mul, pow_ = (_refusal_of(lambda: spoil(w, name))
                           for name in ("xlog1py_", "mul_", "pow_"))
        assert type(ours) is type(mul) is type(pow_) and str(ours).startswith("xlog1py_: ")
        # (a string, an argument too many reach the user's forward: its words, not pow's)
        if "expected numeric" not in str(pow_) and " takes " not in str(pow_):
            assert str(ours).replace("xlog1py", "pow") == str(pow_), (ours, pow_)


def test_an_in_place_form_made_later_writes_counts_and_guards_a_saved_value(xlog1py_method):
    y = tg.Tensor([0.5, 1.0])
    t = tg.Tensor([1.0, 2.0])
    assert t.xlog1py_(y) is t
    np.testing.assert_allclose(t.numpy(), np.array([1.0, 2.0]) * np.log1p([0.5, 1.0]))
    for name in ("mul_", "xlog1py_"):  # a graph that saved h refuses backward, both alike
        w = tg.Tensor([1.0, 2.0], requires_grad=True)
        h = w * 1
        out = (h * h).sum()
        before = h._version and list(h._version)
        getattr(h, name)(y)
        assert h._version != before
        with pytest.raises(RuntimeError, match="was changed in place after the op used it"):
            out.backward()

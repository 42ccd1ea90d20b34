"""Inference tensors (made inside `inference_mode()`) at the edges PyTorch 2.13 draws: a
built-in op that keeps one cast to another dtype refuses it; what an op keeps is read
before saved_tensors_hooks pack it; a view of one is one; weight norm refuses one outside the
block. One deliberate difference: PyTorch's view of one taken outside carries no history, so
an `nn.Linear` built inside gives its weight no gradient (F.linear views it) where other
layers refuse it; here the view keeps its history and the weight gets its gradient.

Each test runs with both libraries (`lib`: tinygrad_gd always, torch where installed),
held to one expectation; values against NumPy formulas. Only tinygrad_gd's own wording and
"nothing was changed" are checked on tinygrad_gd alone.
"""
from __future__ import annotations

import gc
import re
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

import test_inference_mode
from test_inference_mode import REQUIRES_GRAD, SAVED, users_scaled_op

lib = test_inference_mode.lib  # (the fixture: each test in both libraries)


def _np(t):
    return np.array(t.detach().numpy())


def _leaf(lib, values, dtype=None):
    return lib.tensor(values, dtype=dtype or lib.float64, requires_grad=True)


def _made_inside(lib, values, dtype, requires_grad=False):
    with lib.inference_mode():
        return lib.tensor(values, dtype=dtype, requires_grad=requires_grad)


# ------------------------------------------------------------------ a copy in another dtype


_CAST_KEPT = {  # (lib, inference ints, inference bools, w) -> an op keeping one as floats
    "ints * w": lambda lib, i, b, w: i * w,
    "w * ints": lambda lib, i, b, w: w * i,
    "w / ints": lambda lib, i, b, w: w / i,
    "w ** ints": lambda lib, i, b, w: w ** i,
    "ints ** w": lambda lib, i, b, w: i ** w,
    "bools * w": lambda lib, i, b, w: b * w,
    "maximum(ints, w)": lambda lib, i, b, w: lib.maximum(i, w),
    "ints[1:] * w[1:] (a view)": lambda lib, i, b, w: i[1:] * w[1:],
}


@pytest.mark.parametrize("program", list(_CAST_KEPT))
def test_an_op_keeping_an_inference_input_cast_to_floats_refuses_it(lib, program):
    with lib.inference_mode():
        ints = lib.tensor([1, 2, 4], dtype=lib.int64)
        bools = ints > 1  # (made inside: an inference tensor too)
    w = _leaf(lib, [0.5, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=SAVED):
        _CAST_KEPT[program](lib, ints, bools, w)


def test_a_zero_d_float64_inference_tensor_cast_to_a_float32_operand_is_refused(lib):
    scale = _made_inside(lib, 0.1, lib.float64)  # (0.1 is no float32: the cast changes it)
    w = _leaf(lib, [1.0, 2.0], lib.float32)
    with pytest.raises(RuntimeError, match=SAVED):
        w * scale


_CAST_NOT_KEPT = {  # -> (an op keeping no inference tensor, w's gradient: of ints, w)
    "ints + w": (lambda lib, i, w: i + w, lambda x, w: np.ones(3)),
    "w - ints": (lambda lib, i, w: w - i, lambda x, w: np.ones(3)),
    "ints.double() * w (the cast: a new tensor)": (
        lambda lib, i, w: i.double() * w, lambda x, w: x.astype(float)),
    "where(ints > 1, w, 0)": (
        lambda lib, i, w: lib.where(i > 1, w, lib.zeros(3, dtype=lib.float64)),
        lambda x, w: (x > 1).astype(float)),
    "w * w + ints": (lambda lib, i, w: w * w + i, lambda x, w: 2 * w),
}


@pytest.mark.parametrize("program", list(_CAST_NOT_KEPT))
def test_an_op_keeping_no_cast_of_an_inference_input_runs_with_its_gradient(lib, program):
    values, w_values = np.array([1, 2, 4]), np.array([1.0, 2.0, 3.0])
    inf = _made_inside(lib, values, lib.int64)
    w = _leaf(lib, w_values)
    run, gradient = _CAST_NOT_KEPT[program]
    run(lib, inf, w).sum().backward()
    np.testing.assert_allclose(_np(w.grad), gradient(values, w_values), rtol=1e-12)


def test_a_users_op_saving_a_cast_copy_of_an_inference_input_runs(lib):
    """The copy is a new tensor, not the inference one: PyTorch's allows saving it."""
    w = _leaf(lib, [1.0, 2.0, 3.0])
    ints = _made_inside(lib, [2, 3, 5], lib.int64)
    users_scaled_op(lib, cast=True).apply(w, ints).sum().backward()
    np.testing.assert_array_equal(_np(w.grad), [2.0, 3.0, 5.0])


# ------------------------------------------------------------------ saved_tensors_hooks


def _hooks_before_inference(lib, program):
    """`program(inf, w, cond)` under saved_tensors_hooks opened before the inference tensor is
    made (earlier tests' inference tensors collected first): what the pack hook got, and w's
    gradient or the error raised."""
    gc.collect()
    (lib.ones(1) + 1).sum()  # (an op: extras with nothing left to do switch themselves off)
    packed = []

    def pack(t):
        packed.append(tuple(t.shape))
        return t
    w = _leaf(lib, [1.0, 2.0, 4.0])
    with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        with lib.inference_mode():
            inf = lib.tensor([3.0, 0.5, 2.0], dtype=lib.float64)
        cond = lib.tensor([True, False, True])  # (ordinary: where keeps it)
        try:
            out = program(lib, inf, w, cond)
        except RuntimeError as err:
            return packed, err
    out.sum().backward()
    return packed, _np(w.grad)


def test_under_saved_tensors_hooks_only_what_an_op_saves_counts(lib):
    packed, grad = _hooks_before_inference(
        lib, lambda lib, inf, w, cond: lib.where(cond, inf, w))  # (keeps cond alone)
    assert packed == [(3,)]
    np.testing.assert_array_equal(grad, [0.0, 1.0, 0.0])
    packed, grad = _hooks_before_inference(lib, lambda lib, inf, w, cond: inf + w)
    assert packed == []
    np.testing.assert_array_equal(grad, [1.0, 1.0, 1.0])
    packed, grad = _hooks_before_inference(
        lib, lambda lib, inf, w, cond: lib.where(w > 1.5, inf, w * w))
    np.testing.assert_array_equal(grad, [2.0, 0.0, 0.0])


@pytest.mark.parametrize("program", ["inf * w", "an integer copy: inf.long() cast by mul"])
def test_under_saved_tensors_hooks_an_op_keeping_an_inference_tensor_refuses_before_packing(
        lib, program):
    def run(lib, inf, w, cond):
        if program == "inf * w":
            return inf * w
        with lib.inference_mode():
            ints = inf.long()
        return w * ints
    packed, err = _hooks_before_inference(lib, run)
    assert isinstance(err, RuntimeError) and re.search(SAVED, str(err)), err
    assert packed == []  # (refused before the pack hook saw anything)


# ------------------------------------------------------------------ views


_VIEWS = {
    "t()": lambda t: t.t(), "T": lambda t: t.T, "[0]": lambda t: t[0],
    "[:, 1:]": lambda t: t[:, 1:], "view(6)": lambda t: t.view(6),
    "reshape(3, 2)": lambda t: t.reshape(3, 2), "unsqueeze(0)": lambda t: t.unsqueeze(0),
    "expand": lambda t: t[0:1].expand(4, 3), "permute(1, 0)": lambda t: t.permute(1, 0),
    "narrow": lambda t: t.narrow(1, 0, 2), "diagonal()": lambda t: t.diagonal(),
    "unbind(0)[1]": lambda t: t.unbind(0)[1], "split(1)[0]": lambda t: t.split(1)[0],
    "unfold(1, 2, 1)": lambda t: t.unfold(1, 2, 1), "flatten()": lambda t: t.flatten(),
    "view_as": lambda t: t.view_as(t), "movedim(0, 1)": lambda t: t.movedim(0, 1),
}


@pytest.mark.parametrize("view", list(_VIEWS))
def test_a_view_of_an_inference_leaf_taken_outside_is_one(lib, view):
    leaf = _made_inside(lib, np.arange(6.0).reshape(2, 3), lib.float64, requires_grad=True)
    assert leaf.requires_grad and leaf.is_inference()
    taken = _VIEWS[view](leaf)
    assert taken.is_inference()
    ordinary = lib.tensor(np.arange(6.0).reshape(2, 3), dtype=lib.float64)
    np.testing.assert_array_equal(_np(taken), _np(_VIEWS[view](ordinary)))


@pytest.mark.parametrize("op", ["clone", "* 3", "float()", "[[1, 0]] (a copy)"])
def test_a_new_tensor_made_of_an_inference_leaf_outside_still_carries_its_gradient(lib, op):
    run = {"clone": lambda t: t.clone(), "* 3": lambda t: t * 3,
           "float()": lambda t: t.float(), "[[1, 0]] (a copy)": lambda t: t[[1, 0]]}[op]
    leaf = _made_inside(lib, [[1.0, 2.0], [3.0, 4.0]], lib.float64, requires_grad=True)
    made = run(leaf)
    assert made.requires_grad and not made.is_inference()
    made.sum().backward()
    np.testing.assert_array_equal(_np(leaf.grad), np.full((2, 2), 3.0 if op == "* 3" else 1.0))


def _linear_made_inside(lib, bias=True):
    with lib.inference_mode():
        layer = lib.nn.Linear(3, 2, bias=bias).double()
    return layer


def test_a_linear_layer_built_inside_gives_its_weight_its_gradient_outside():
    # (PyTorch's gives none: F.linear takes weight.t(), a view without history there, while
    # a layer whose kernel keeps the weight refuses it; a gradient dropped silently is not
    # what a user of a package built to show gradients would expect)
    layer = _linear_made_inside(tg)
    x = tg.tensor(np.arange(12.0).reshape(4, 3), dtype=tg.float64)
    out = layer(x)
    np.testing.assert_allclose(_np(out), np.arange(12.0).reshape(4, 3) @ _np(layer.weight).T
                               + _np(layer.bias), rtol=1e-12)
    (out * tg.tensor([1.0, 2.0], dtype=tg.float64)).sum().backward()
    np.testing.assert_array_equal(_np(layer.weight.grad),
                                  np.array([[1.0], [2.0]]) * np.arange(12.0).reshape(4, 3).sum(0))
    np.testing.assert_array_equal(_np(layer.bias.grad), [4.0, 8.0])


def test_a_linear_layer_built_inside_refuses_an_input_that_needs_a_gradient(lib):
    layer = _linear_made_inside(lib)
    with pytest.raises(RuntimeError, match=SAVED):
        layer(_leaf(lib, [[1.0, 2.0, 3.0]]))


def test_a_view_of_an_inference_leaf_inside_the_block_changes_in_place_there(lib):
    leaf = _made_inside(lib, [[1.0, 2.0], [3.0, 4.0]], lib.float64, requires_grad=True)
    row = leaf[0]
    with lib.inference_mode():
        row.mul_(10)
    np.testing.assert_array_equal(_np(leaf), [[10.0, 20.0], [3.0, 4.0]])
    (leaf * 2).sum().backward()  # (the leaf itself: still recorded)
    np.testing.assert_array_equal(_np(leaf.grad), np.full((2, 2), 2.0))


# ------------------------------------------------------------------ weight norm


def _weight_norm(lib, which, layer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # (the old one is deprecated)
        if which == "nn.utils.weight_norm":
            return lib.nn.utils.weight_norm(layer)
        return lib.nn.utils.parametrizations.weight_norm(layer)


@pytest.mark.parametrize("which", ["nn.utils.weight_norm", "parametrizations.weight_norm"])
def test_weight_norm_of_an_inference_weight_is_refused_outside_the_block(lib, which):
    layer = _linear_made_inside(lib)
    before = _np(layer.weight)
    start = "" if lib is not tg else "^" + re.escape(
        "weight_norm: " if which == "nn.utils.weight_norm" else "register_parametrization: ")
    with pytest.raises(RuntimeError, match=start + REQUIRES_GRAD):
        _weight_norm(lib, which, layer)
    assert not lib.nn.utils.parametrize.is_parametrized(layer)
    if lib is tg:  # (PyTorch's old weight_norm has removed the weight and added weight_g)
        assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
        np.testing.assert_array_equal(_np(layer.weight), before)
        with pytest.raises(RuntimeError, match="nothing was changed; build the module outside"):
            _weight_norm(lib, which, layer)


@pytest.mark.parametrize("which", ["nn.utils.weight_norm", "parametrizations.weight_norm"])
def test_weight_norm_of_an_inference_weight_runs_inside_the_block_and_keeps_its_values(
        lib, which):
    layer = _linear_made_inside(lib)
    weight = _np(layer.weight)
    with lib.inference_mode():
        _weight_norm(lib, which, layer)
        np.testing.assert_allclose(_np(layer.weight), weight, rtol=1e-12)
    x = lib.ones(1, 3, dtype=lib.float64)
    with lib.inference_mode():
        np.testing.assert_allclose(_np(layer(x)), weight.sum(1) + _np(layer.bias)[None],
                                   rtol=1e-12)


@pytest.mark.parametrize("which", ["nn.utils.weight_norm", "parametrizations.weight_norm"])
def test_weight_norm_of_an_ordinary_weight_is_unchanged_by_an_inference_block_elsewhere(
        lib, which):
    with lib.inference_mode():
        lib.ones(2)  # (an inference tensor alive: the checks are on)
    layer = lib.nn.Linear(3, 2).double()
    weight = _np(layer.weight)
    _weight_norm(lib, which, layer)
    np.testing.assert_allclose(_np(layer.weight), weight, rtol=1e-12)
    layer(lib.ones(1, 3, dtype=lib.float64)).sum().backward()
    grads = [p.grad for p in layer.parameters()]
    assert len(grads) == 3 and all(g is not None for g in grads)


# ------------------------------------------------------------------ nn.Parameter


def test_a_parameter_of_an_inference_tensor_is_refused_outside_the_block(lib):
    t = _made_inside(lib, [1.0, 2.0], lib.float64)
    with pytest.raises(RuntimeError, match=REQUIRES_GRAD):
        lib.nn.Parameter(t)
    np.testing.assert_array_equal(_np(lib.nn.Parameter(t.clone())), [1.0, 2.0])  # a clone: fine
    assert not lib.nn.Parameter(t, requires_grad=False).requires_grad
    with lib.inference_mode():
        assert lib.nn.Parameter(t).requires_grad  # (inside: allowed)

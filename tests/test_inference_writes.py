"""The writers that go around the in-place methods (optimizers' steps, nn.utils' clipping and
parametrizations, nn.init) meet an inference tensor (made inside `inference_mode()`) as
PyTorch 2.13's: refused outside the block with its RuntimeError, allowed inside it; and
`t.data = values`, `module.double()` and `vector_to_parameters`, which PyTorch allows,
leave the tensor what PyTorch's leaves it (ordinary when the new values are made outside).

Each test runs with both libraries (`lib`: tinygrad_gd always, torch where installed), held
to one expectation; values are checked against a NumPy formula. One difference is ours on
purpose, checked on tinygrad_gd only: a refusal changes nothing (PyTorch's optimizers and
load_state_dict write the first parameters, then raise), and names the function refusing.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_gd as tg

import test_inference_mode
from test_inference_mode import IN_PLACE

lib = test_inference_mode.lib  # (the fixture: each test in both libraries)


def _np(t):
    return np.array(t.detach().numpy())


def _model_made_inside(lib):
    """A Linear(3, 2) of float64 built inside inference_mode(): its parameters are
    inference tensors, with known values."""
    with lib.inference_mode():
        model = lib.nn.Linear(3, 2).double()
        model.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3) / 10, dtype=lib.float64))
        model.bias.copy_(lib.tensor([0.5, -0.5], dtype=lib.float64))
    assert model.weight.is_inference() and model.bias.is_inference()
    return model


def _values(model):
    return [_np(p) for p in model.parameters()]


def _unchanged(model, before):
    for p, values in zip(model.parameters(), before):
        np.testing.assert_array_equal(_np(p), values)


# ------------------------------------------------------------------ optimizers


_OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax",
               "Adadelta", "Rprop", "ASGD", "Adafactor", "LBFGS"]


def _step(lib, opt, model):
    if type(opt).__name__ != "LBFGS":
        return opt.step()

    def closure():
        opt.zero_grad()
        loss = sum(((p - 1.0) ** 2).sum() for p in model.parameters())
        loss.backward()
        return loss
    return opt.step(closure)


@pytest.mark.parametrize("name", _OPTIMIZERS)
def test_a_step_writing_a_parameter_made_inside_is_refused_before_anything_changes(lib, name):
    model = _model_made_inside(lib)
    model.weight.grad = lib.ones(2, 3, dtype=lib.float64)
    model.bias.grad = lib.ones(2, dtype=lib.float64)
    opt = getattr(lib.optim, name)(model.parameters(), lr=0.1)
    before = _values(model)
    state = repr(opt.state_dict()["state"])  # (empty but for Adagrad's sums, made at the start)
    start = "" if lib is not tg else "^" + re.escape(f"{name}.step: ")
    with pytest.raises(RuntimeError, match=start + IN_PLACE):
        _step(lib, opt, model)
    if lib is tg:  # (PyTorch's writes the weight, then raises at the bias or the weight)
        _unchanged(model, before)
        assert repr(opt.state_dict()["state"]) == state, opt.state


def test_a_refused_step_names_the_parameter_and_what_to_do_and_changes_no_other():
    ordinary = tg.nn.Parameter(tg.tensor([1.0, 2.0], dtype=tg.float64))
    model = _model_made_inside(tg)
    for p in (ordinary, *model.parameters()):
        p.grad = tg.ones(*p.shape, dtype=tg.float64)
    opt = tg.optim.Adam([("scale", ordinary), *model.named_parameters()], lr=0.1)
    with pytest.raises(RuntimeError, match=re.escape(
            f"Adam.step: {IN_PLACE}: parameter 1 'weight' (shape (2, 3)) was made inside "
            f"tg.inference_mode(), and nothing was changed; build the model outside")) as err:
        opt.step()
    assert "\n" not in str(err.value) and "clone()" in str(err.value)
    np.testing.assert_array_equal(ordinary.numpy(), [1.0, 2.0])
    assert not opt.state


def test_a_step_writes_no_inference_parameter_without_a_gradient_and_any_inside_the_block(lib):
    model = _model_made_inside(lib)
    before = _values(model)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    opt.step()  # (no gradient: nothing to write, nothing refused)
    model.bias.grad = lib.tensor([1.0, 2.0], dtype=lib.float64)
    with pytest.raises(RuntimeError, match=IN_PLACE):
        opt.step()
    if lib is tg:
        _unchanged(model, before)
    refused = _values(model)  # (PyTorch's wrote the bias, then raised)
    with lib.inference_mode():
        opt.step()
    np.testing.assert_allclose(_np(model.bias), refused[1] - 0.1 * np.array([1.0, 2.0]),
                               rtol=0, atol=1e-15)
    np.testing.assert_array_equal(_np(model.weight), before[0])


# ------------------------------------------------------------------ nn.utils


@pytest.mark.parametrize("clip", ["clip_grad_norm_", "clip_grad_value_",
                                  "clip_grads_with_norm_"])
def test_clipping_an_inference_gradient_is_refused_outside_only(lib, clip):
    args = {"clip_grad_norm_": (1.0,), "clip_grad_value_": (0.5,),
            "clip_grads_with_norm_": (1.0, lib.tensor(4.0, dtype=lib.float64))}[clip]
    run = getattr(lib.nn.utils, clip)
    w = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
    with lib.inference_mode():
        made_inside = lib.tensor([3.0, 4.0], dtype=lib.float64)
    w.grad = made_inside
    start = "" if lib is not tg else "^" + re.escape(f"{clip}: ")
    with pytest.raises(RuntimeError, match=start + IN_PLACE):
        run([w], *args)
    if lib is tg:  # (PyTorch's writes, then raises)
        np.testing.assert_array_equal(_np(w.grad), [3.0, 4.0])
    w.grad = lib.tensor([3.0, 4.0], dtype=lib.float64)
    inference_leaf = _model_made_inside(lib).bias  # (an ordinary gradient of one: clipped)
    inference_leaf.grad = lib.zeros(2, dtype=lib.float64)
    run([w, inference_leaf], *args)
    scale = {"clip_grad_norm_": 1 / (5 + 1e-6), "clip_grads_with_norm_": 1 / (4 + 1e-6)}
    expected = np.array([3.0, 4.0]) * scale[clip] if clip in scale else [0.5, 0.5]
    np.testing.assert_allclose(_np(w.grad), expected, rtol=1e-12)


def test_vector_to_parameters_writes_a_model_made_inside_which_still_refuses_a_step(lib):
    model = _model_made_inside(lib)
    lib.nn.utils.vector_to_parameters(lib.tensor(np.arange(8.0), dtype=lib.float64),
                                      model.parameters())
    np.testing.assert_array_equal(_np(model.weight), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(_np(model.bias), [6.0, 7.0])
    model.bias.grad = lib.ones(2, dtype=lib.float64)
    with pytest.raises(RuntimeError, match=IN_PLACE):  # (PyTorch's: is_inference() False)
        lib.optim.SGD(model.parameters(), lr=0.5).step()
    if lib is tg:
        assert model.weight.is_inference() and model.bias.is_inference()
        np.testing.assert_array_equal(model.bias.numpy(), [6.0, 7.0])


@pytest.mark.parametrize("register", ["a parametrization", "orthogonal"])
def test_a_parametrization_of_an_inference_tensor_is_refused_outside_the_block(lib, register):
    class Doubled(lib.nn.Module):
        def forward(self, x):
            return x * 2

        def right_inverse(self, x):
            return x / 2

    def run(model):
        if register == "orthogonal":
            return lib.nn.utils.parametrizations.orthogonal(model)
        return lib.nn.utils.parametrize.register_parametrization(model, "weight", Doubled())
    model = _model_made_inside(lib)
    before = _values(model)
    start = "" if lib is not tg else "^" + re.escape("register_parametrization: ")
    with pytest.raises(RuntimeError, match=start + IN_PLACE):
        run(model)
    assert not lib.nn.utils.parametrize.is_parametrized(model)
    if lib is tg:  # (PyTorch's writes right_inverse's values, then raises)
        _unchanged(model, before)
    with lib.inference_mode():
        model = lib.nn.Linear(3, 2).double()
        run(model)
    assert lib.nn.utils.parametrize.is_parametrized(model, "weight")


# ------------------------------------------------------------------ nn.init


_INITS = {  # function -> (its arguments after the tensor, the shape it takes)
    "uniform_": ((), (2, 3)), "normal_": ((), (2, 3)), "constant_": ((0.5,), (2, 3)),
    "ones_": ((), (2, 3)), "zeros_": ((), (2, 3)), "eye_": ((), (2, 3)),
    "dirac_": ((), (2, 2, 3)), "xavier_uniform_": ((), (2, 3)), "xavier_normal_": ((), (2, 3)),
    "kaiming_uniform_": ((), (2, 3)), "kaiming_normal_": ((), (2, 3)),
    "trunc_normal_": ((), (2, 3)), "orthogonal_": ((), (2, 3)),
}


def test_every_nn_init_function_refuses_an_inference_tensor_naming_itself(lib):
    for name, (args, shape) in _INITS.items():
        with lib.inference_mode():
            t = lib.ones(*shape, dtype=lib.float64)
        start = "" if lib is not tg else "^" + re.escape(f"{name}: ")
        with pytest.raises(RuntimeError, match=start + IN_PLACE):
            getattr(lib.nn.init, name)(t, *args)
        if lib is tg:  # (PyTorch's writes, then raises)
            np.testing.assert_array_equal(_np(t), np.ones(shape))
        with lib.inference_mode():
            getattr(lib.nn.init, name)(t, *args)  # (inside: written)
        assert t.is_inference()


# ------------------------------------------------------------------ new values: t.data =


@pytest.mark.parametrize("convert", ["double", "half", "data"])
def test_a_model_made_inside_given_new_values_still_refuses_a_step_and_an_in_place_change(
        lib, convert):
    model = _model_made_inside(lib)
    if convert == "data":
        new = np.zeros((2, 3))
        model.weight.data = new if lib is tg else lib.tensor(new, dtype=lib.float64)
    else:
        getattr(model, convert)()
    model.weight.grad = lib.ones(2, 3, dtype=model.weight.dtype)
    before = _np(model.weight)
    with pytest.raises(RuntimeError, match=IN_PLACE):
        lib.optim.SGD(model.parameters(), lr=0.5).step()
    with pytest.raises(RuntimeError, match=IN_PLACE), lib.no_grad():
        model.weight.add_(1)
    if lib is tg:  # (PyTorch's is_inference() says False, though it refuses as above)
        assert model.weight.is_inference() and model.bias.is_inference()
        np.testing.assert_array_equal(model.weight.numpy(), before)


def test_load_state_dict_into_a_model_made_in_inference_mode_loads_nothing():
    with tg.inference_mode():
        net = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.Linear(3, 1))
    before = {k: np.array(v) for k, v in net.state_dict().items()}  # (copies: arrays)
    other = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.Linear(3, 1)).state_dict()
    with pytest.raises(RuntimeError, match=r"^load_state_dict: Inplace update to inference "
                       r"tensor outside InferenceMode is not allowed: entry '0\.weight'"):
        net.load_state_dict(other)
    for key, value in net.state_dict().items():  # (nothing loaded, the first entry neither)
        np.testing.assert_array_equal(value, before[key])
    net.load_state_dict(other, assign=True)  # (the given tensors themselves: ordinary ones)
    np.testing.assert_array_equal(net[0].weight.numpy(), other["0.weight"])

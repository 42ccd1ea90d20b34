"""PyTorch's lines, typed into tinygrad_gd: each runs as in PyTorch or is refused in one line
that says what to write; none computes something else silently.

Positional arguments in PyTorch's order (optimizers, Conv2d), `train("False")`, softmax
without a dim, `max(1, keepdim=True)`, `register_hook`'s handle, PyTorch's idioms on
`.data` (a NumPy array here), tensors given to a module's constructor, and `torch.load`'s
keywords.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.nn import functional as F

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
X4 = np.arange(24.0).reshape(2, 3, 2, 2) / 10


def _sgd_run(make, torch_make, steps=3):
    """Three steps of our optimizer and torch's from the same start: the weights after."""
    torch = pytest.importorskip("torch")
    start = np.array([1.0, -2.0, 3.0])
    w = tg.Tensor(start.copy(), requires_grad=True)
    tw = torch.tensor(start.copy(), requires_grad=True)
    ours, theirs = make([w]), torch_make([tw])
    for _ in range(steps):
        ours.zero_grad()
        theirs.zero_grad()
        (w * w * w).sum().backward()
        (tw * tw * tw).sum().backward()
        ours.step()
        theirs.step()
    return w.data, tw.detach().numpy()


# ------------------------------------------------------------------ 1: optimizers


def test_sgd_positional_arguments_are_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = _sgd_run(lambda p: optim.SGD(p, 0.01, 0.9, 0, 1e-2),
                            lambda p: torch.optim.SGD(p, 0.01, 0.9, 0, 1e-2))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    ours, theirs = _sgd_run(lambda p: optim.SGD(p, 0.01, 0.9, 0, 1e-2, True),
                            lambda p: torch.optim.SGD(p, 0.01, 0.9, 0, 1e-2, True))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_sgd_refuses_a_nesterov_that_is_no_bool():
    w = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"SGD: nesterov must be True or False, got 0\.01 .*"
                                        r"weight_decay, nesterov"):
        optim.SGD([w], 0.01, 0.9, 0, 0.0, 0.01)


def test_optimizer_defaults_and_positional_order_are_pytorchs():
    torch = pytest.importorskip("torch")
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        ours = inspect.signature(getattr(optim, name)).parameters
        names = list(ours)
        assert names == list(theirs)[:len(names)], name
        for key in names[1:]:
            default = theirs[key].default
            assert ours[key].default == (tuple(default) if isinstance(default, tuple)
                                         else default), (name, key)
    ours, theirs = _sgd_run(lambda p: optim.SGD(p), lambda p: torch.optim.SGD(p))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)  # lr=1e-3 by default


def test_optimizers_take_named_parameters_and_keep_the_names():
    torch = pytest.importorskip("torch")
    model = nn.Linear(3, 2, seed=0)
    twin = torch.nn.Linear(3, 2).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    ours = optim.SGD(model.named_parameters(), lr=0.1)
    theirs = torch.optim.SGD(twin.named_parameters(), lr=0.1)
    assert ours.param_groups[0]["param_names"] == theirs.param_groups[0]["param_names"]
    x = np.array([[1.0, 2.0, 3.0]])
    model(tg.Tensor(x)).sum().backward()
    twin(torch.tensor(x)).sum().backward()
    ours.step()
    theirs.step()
    np.testing.assert_allclose(model.weight.data, twin.weight.detach().numpy(), rtol=1e-12)
    assert ours.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(TypeError, match=r"SGD: parameter 1 is a tuple, not a Tensor; give "
                                        r"tensors \(model.parameters\(\)\) or only"):
        optim.SGD([model.weight, ("bias", model.bias)], lr=0.1)


def test_a_learning_rate_may_be_a_one_element_tensor():
    torch = pytest.importorskip("torch")

    def ours(params):
        opt = optim.SGD(params, lr=0.1)
        opt.param_groups[0]["lr"] = tg.Tensor(0.01)
        return opt

    def theirs(params):
        opt = torch.optim.SGD(params, lr=0.1)
        opt.param_groups[0]["lr"] = torch.tensor(0.01, dtype=torch.float64)
        return opt

    mine, torchs = _sgd_run(ours, theirs)
    np.testing.assert_allclose(mine, torchs, rtol=1e-12)
    w = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD: lr must be a number or a 1-element tensor, got "
                                         r"a tensor of shape \(2,\)"):
        optim.SGD([w], lr=tg.Tensor([0.1, 0.2]))


# ------------------------------------------------------------------ 2: Conv2d


def test_conv2d_positional_arguments_are_pytorchs():
    torch = pytest.importorskip("torch")
    layer = nn.Conv2d(1, 2, 3, 1, 1, 1, 1, False)
    assert layer.bias is None  # the 8th argument, as torch's
    assert (torch.nn.Conv2d(1, 2, 3, 1, 1, 1, 1, False).bias is None)
    with pytest.raises(ValueError, match=r"Conv2d: dilation=2 is not supported, only "
                                         r"dilation=1 .*in its order: .* dilation, groups, bias"):
        nn.Conv2d(1, 2, 3, 1, 1, 2)
    with pytest.raises(ValueError, match=r"Conv2d: groups=2 is not supported, only groups=1"):
        nn.Conv2d(2, 2, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d: padding_mode='reflect' is not supported"):
        nn.Conv2d(1, 2, 3, padding_mode="reflect")
    # the supported values, as ints or pairs, give the same layer as before
    x = tg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    plain = nn.Conv2d(1, 2, 3, padding=1, seed=3)
    same = nn.Conv2d(1, 2, 3, 1, 1, (1, 1), 1, True, "zeros", seed=3)
    np.testing.assert_array_equal(plain(x).data, same(x).data)


def test_embedding_refuses_pytorchs_max_norm_position():
    pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"positional argument"):
        nn.Embedding(10, 3, 0, 5.0)  # torch: max_norm=5.0; here it once was the seed


# ------------------------------------------------------------------ 3: train("False")


def test_train_refuses_a_mode_that_is_no_bool():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    with pytest.raises(ValueError, match=r"Sequential.train: the training mode is expected to "
                                         r"be True or False, got str 'False'"):
        model.train("False")
    assert model.train(False).training is False and model[1].training is False
    assert model.train(np.bool_(True)).training is True


# ------------------------------------------------------------------ 4: softmax without dim


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_without_dim_is_pytorchs_on_one_or_two_axes(name, shape):
    torch = pytest.importorskip("torch")
    x = np.linspace(-1, 2, int(np.prod(shape))).reshape(shape)
    module = {"softmax": nn.Softmax, "log_softmax": nn.LogSoftmax, "softmin": nn.Softmin}[name]
    torch_module = getattr(torch.nn, module.__name__)
    with pytest.warns(UserWarning):  # torch's implicit dim is deprecated
        expected = getattr(torch.nn.functional, name)(torch.tensor(x)).numpy()
        expected_module = torch_module()(torch.tensor(x)).numpy()
    np.testing.assert_allclose(getattr(F, name)(tg.Tensor(x)).data, expected, rtol=1e-12)
    np.testing.assert_allclose(module()(tg.Tensor(x)).data, expected_module, rtol=1e-12)


@pytest.mark.parametrize("shape, implicit", [((2, 3, 4), 0), ((2, 3, 2, 2), 1)])
def test_softmax_without_dim_is_refused_beyond_two_axes(shape, implicit):
    x = tg.Tensor(np.ones(shape))
    message = (rf"no dim given for an input of {len(shape)} dimensions .*give dim=, e\.g\. "
               rf"dim=-1 for the last axis \(PyTorch's implicit choice here would be "
               rf"dim={implicit}\)")
    for call in (lambda: nn.Softmax()(x), lambda: F.softmax(x), lambda: tg.softmax(x),
                 lambda: x.softmax(), lambda: nn.LogSoftmax()(x), lambda: F.log_softmax(x)):
        with pytest.raises(ValueError, match=r"softmax: " + message):
            call()
    for call in (lambda: nn.Softmin()(x), lambda: F.softmin(x)):
        with pytest.raises(ValueError, match=r"softmin: " + message):
            call()
    assert nn.Softmax(dim=1)(x).shape == shape and repr(nn.Softmax()) == "Softmax(dim=None)"


# ------------------------------------------------------------------ 5: max and min


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_with_keepdim_gives_values_and_indices_as_pytorch(name):
    torch = pytest.importorskip("torch")
    ours = getattr(tg.Tensor(A), name)(1, keepdim=True)
    theirs = getattr(torch.tensor(A), name)(1, keepdim=True)
    np.testing.assert_array_equal(ours[0].data, theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].data, theirs[1].numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    # NumPy's spellings still give the values
    np.testing.assert_array_equal(getattr(tg.Tensor(A), name)(1, keepdims=True).data,
                                  getattr(A, name)(1, keepdims=True))
    np.testing.assert_array_equal(getattr(tg.Tensor(A), name)(1).data, getattr(A, name)(1))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_of_two_tensors_says_to_use_maximum(name):
    a, b = tg.Tensor(A), tg.Tensor(-A)
    with pytest.raises(TypeError, match=rf"{name}: the second argument is an axis, got a "
                                        rf"Tensor; for the elementwise {name}imum of two "
                                        rf"tensors use tg\.{name}imum\(a, b\)"):
        getattr(tg, name)(a, b)


# ------------------------------------------------------------------ 6: register_hook


def test_register_hook_returns_a_handle_with_remove():
    torch = pytest.importorskip("torch")
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    handle, torch_handle = w.register_hook(lambda g: g * 10), tw.register_hook(lambda g: g * 10)
    (w * w).sum().backward()
    (tw * tw).sum().backward()
    np.testing.assert_array_equal(w.grad.data, tw.grad.numpy())
    handle.remove()
    torch_handle.remove()
    w.grad, tw.grad = None, None
    (w * w).sum().backward()
    (tw * tw).sum().backward()
    np.testing.assert_array_equal(w.grad.data, tw.grad.numpy())
    handle.remove()  # a second removal does nothing
    with w.register_hook(lambda g: g * 0):  # leaving the block removes it
        pass
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])


# ------------------------------------------------------------------ 7: `.data` idioms


@pytest.mark.parametrize("line, numpy", [
    (lambda w: w.grad.data.zero_(), r"t\.data\[\.\.\.\] = 0"),
    (lambda w: w.data.sub_(w.grad.data * 0.1), r"t\.data -= x"),
    (lambda w: w.data.fill_(0.01), r"t\.data\[\.\.\.\] = value"),
    (lambda w: w.data.norm(), r"np\.linalg\.norm\(t\.data\)"),
])
def test_pytorch_idioms_on_data_say_it_is_a_numpy_array(line, numpy):
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    w.grad = tg.Tensor([1.0, 1.0])
    with pytest.raises(AttributeError, match=r"is a Tensor's, but \.data is a NumPy array here "
                                             r"\(a Tensor in PyTorch\): use the tensor itself, "
                                             r".*" + numpy):
        line(w)
    with pytest.raises(AttributeError, match=r"^'TrackedArray' object has no attribute 'nope'$"):
        w.data.nope
    np.testing.assert_array_equal(w.data, [1.0, 2.0])  # nothing written


def test_nn_init_given_data_says_to_pass_the_tensor():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"normal_: expected a Tensor .*got TrackedArray; pass "
                                        r"the tensor itself, nn\.init\.normal_\(m\.weight"):
        nn.init.normal_(layer.weight.data, 0, 0.02)


# ------------------------------------------------------------------ 8: tensors to a constructor


@pytest.mark.parametrize("build, call", [
    (lambda p, y: nn.MSELoss(p, y), r"nn\.MSELoss\(\)\(input, target\)"),
    (lambda p, y: nn.MSELoss(p), r"nn\.MSELoss\(\)\(input, target\)"),
    (lambda p, y: nn.Sigmoid(p), r"nn\.Sigmoid\(\)\(input\)"),
    (lambda p, y: nn.CrossEntropyLoss(p, y), r"nn\.CrossEntropyLoss\(\)\(input, target\)"),
    (lambda p, y: nn.L1Loss(p, y), r"nn\.L1Loss\(\)\(input, target\)"),
])
def test_tensors_given_to_a_constructor_say_to_build_then_call(build, call):
    p, y = tg.Tensor([0.2, 0.8]), tg.Tensor([0.0, 1.0])
    with pytest.raises(TypeError, match=r"the constructor takes settings, not tensors; build "
                                        r"the module first, then call it on the tensors: "
                                        + call):
        build(p, y)
    assert nn.MSELoss()(p, y).item() == pytest.approx(0.04)


# ------------------------------------------------------------------ 9: torch.load's keywords


def test_load_accepts_pytorchs_keywords(tmp_path):
    model = nn.Linear(2, 3, seed=0)
    path = tmp_path / "model.npz"
    tg.save(model, path)
    for keywords in ({"weights_only": True}, {"weights_only": False},
                     {"map_location": "cpu"}, {"map_location": None}):
        state = tg.load(path, **keywords)
        np.testing.assert_array_equal(state["weight"], model.weight.data)
    with pytest.raises(ValueError, match=r"load: map_location='cuda' is not supported; arrays "
                                         r"here are on the CPU: give None or 'cpu'"):
        tg.load(path, map_location="cuda")

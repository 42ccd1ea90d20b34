"""The lazy modules (nn.LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d,
LazyBatchNorm1d/2d/3d, LazyInstanceNorm1d/2d/3d) and nn.UninitializedParameter /
UninitializedBuffer, against PyTorch's: reprs and state_dict names before and after the
first call, the class they become, the seeded initialisation, an optimizer made before
the first call, loading a state, gradients, and the errors."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn.lazy import is_lazy
from tinygrad_gd.nn.module import StateDictError

RNG = np.random.default_rng(41)

# (lazy class, its arguments, an input): every lazy layer
LAZY = {
    "LazyLinear": ((4,), RNG.normal(size=(5, 3))),
    "LazyConv1d": ((4, 3), RNG.normal(size=(2, 3, 6))),
    "LazyConv2d": ((4, 3, 1, 1, 1, 2), RNG.normal(size=(2, 2, 5, 4))),
    "LazyConv3d": ((2, 2), RNG.normal(size=(2, 3, 3, 3, 2))),
    "LazyConvTranspose1d": ((4, 3, 2), RNG.normal(size=(2, 3, 4))),
    "LazyConvTranspose2d": ((4, 2, 1, 0, 0, 2), RNG.normal(size=(2, 4, 3, 3))),
    "LazyConvTranspose3d": ((2, 2), RNG.normal(size=(1, 3, 2, 2, 2))),
    "LazyBatchNorm1d": ((), RNG.normal(size=(5, 3))),
    "LazyBatchNorm2d": ((), RNG.normal(size=(2, 3, 2, 2))),
    "LazyBatchNorm3d": ((), RNG.normal(size=(2, 3, 2, 2, 2))),
    "LazyInstanceNorm1d": ((), RNG.normal(size=(2, 3, 4))),
    "LazyInstanceNorm2d": ((), RNG.normal(size=(2, 3, 3, 2))),
    "LazyInstanceNorm3d": ((1e-3, 0.2), RNG.normal(size=(2, 3, 2, 2, 3))),
}


def lazy(name: str, library=nn):
    args, _ = LAZY[name]
    return getattr(library, name)(*args)


@pytest.mark.parametrize("name", sorted(LAZY))
def test_before_and_after_the_first_call_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    ours, theirs = lazy(name), lazy(name, torch.nn).double()
    array = LAZY[name][1]
    assert repr(ours) == repr(theirs)
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [repr(p) for p in ours.parameters()] == [repr(p) for p in theirs.parameters()]
    assert all(is_lazy(p) for p in ours.parameters())
    out, expected = ours(Tensor(array)), theirs(torch.tensor(array))
    plain = name[len("Lazy"):]
    assert type(ours) is getattr(nn, plain) and type(theirs) is getattr(torch.nn, plain)
    assert repr(ours) == repr(theirs)
    assert not any(is_lazy(t) for t in ours.parameters() + ours.buffers())
    assert [type(p) for p in ours.parameters()] == [nn.Parameter] * len(ours.parameters())
    assert {k: v.shape for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert out.shape == tuple(expected.shape) and out.dtype == np.float64
    # with the same weights, the same output: the plain layer's
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(ours(Tensor(array)).data,
                               theirs(torch.tensor(array)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("name, plain", [
    ("LazyLinear", lambda: nn.Linear(3, 4, seed=5)),
    ("LazyConv2d", lambda: nn.Conv2d(2, 4, 3, 1, 1, 1, 2, seed=5)),
    ("LazyConvTranspose1d", lambda: nn.ConvTranspose1d(3, 4, 3, 2, seed=5))])
def test_seeded_initialisation_is_the_plain_class_built_with_the_inferred_size(name, plain):
    args, array = LAZY[name]
    layer = getattr(nn, name)(*args, seed=5)
    layer(Tensor(array))
    reference = plain()
    for (key, value), (other, expected) in zip(layer.state_dict().items(),
                                               reference.state_dict().items()):
        assert key == other
        np.testing.assert_array_equal(value, expected)
    # the global generator: drawn at the first call, as a plain layer made then would
    tg.manual_seed(3)
    layer = nn.LazyLinear(4)
    layer(Tensor(LAZY["LazyLinear"][1]))
    tg.manual_seed(3)
    np.testing.assert_array_equal(layer.weight.data, nn.Linear(3, 4).weight.data)


def test_pytorchs_lazy_layer_draws_at_the_first_call_too():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.LazyLinear(4)
    torch.ones(1).uniform_()  # a draw between construction and the first call
    theirs(torch.ones(2, 3))
    torch.manual_seed(0)
    torch.ones(1).uniform_()
    assert torch.equal(theirs.weight, torch.nn.Linear(3, 4).weight)


def test_an_optimizer_made_before_the_first_call_trains_the_same_parameters_as_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(6, 3))
    ours = nn.Sequential(nn.LazyLinear(4), nn.Tanh(), nn.LazyLinear(1))
    theirs = torch.nn.Sequential(torch.nn.LazyLinear(4), torch.nn.Tanh(),
                                 torch.nn.LazyLinear(1)).double()
    held = ours.parameters()
    optimizer = tg.optim.Adam(ours.parameters(), lr=0.05)
    reference = torch.optim.Adam(theirs.parameters(), lr=0.05)
    ours(Tensor(x))
    theirs(torch.tensor(x))
    assert all(a is b for a, b in zip(held, ours.parameters()))  # the same objects
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    for _ in range(3):
        optimizer.zero_grad()
        reference.zero_grad()
        (ours(Tensor(x)) ** 2).sum().backward()
        (theirs(torch.tensor(x)) ** 2).sum().backward()
        optimizer.step()
        reference.step()
        for (key, value), expected in zip(ours.state_dict().items(),
                                          theirs.state_dict().values()):
            np.testing.assert_allclose(value, expected.numpy(), rtol=1e-12, err_msg=key)
    assert [type(m).__name__ for m in ours] == ["Linear", "Tanh", "Linear"]


def through_parameters(module, count):
    """`module` as a function of its inputs and then of its parameters, each put in place
    of the parameter for the call."""
    names = [name for name, _ in module.named_parameters()]

    def call(*arguments):
        saved = [getattr(module, name) for name in names]
        for name, value in zip(names, arguments[count:]):
            delattr(module, name)
            setattr(module, name, value)
        try:
            return module(*arguments[:count])
        finally:
            for name, value in zip(names, saved):
                delattr(module, name)
                setattr(module, name, value)
    return call


@pytest.mark.parametrize("name", ["LazyLinear", "LazyConv1d", "LazyConvTranspose2d",
                                  "LazyInstanceNorm1d", "LazyBatchNorm1d"])
def test_gradcheck_with_respect_to_input_and_parameters_after_the_first_call(name):
    layer = lazy(name)
    array = LAZY[name][1]
    layer(Tensor(array))
    inputs = [Tensor(array, requires_grad=True)]
    parameters = [Tensor(p.data, requires_grad=True) for p in layer.parameters()]
    assert tg.gradcheck(through_parameters(layer, 1), inputs + parameters)


def test_load_state_dict_into_a_lazy_layer_infers_its_size_as_pytorchs_keeps_it_lazy():
    torch = pytest.importorskip("torch")
    full = nn.Conv2d(2, 4, 3, groups=2, seed=1)
    ours = nn.LazyConv2d(4, 3, groups=2)
    theirs = torch.nn.LazyConv2d(4, 3, groups=2).double()
    assert ours.load_state_dict(full.state_dict()) == ([], [])
    theirs.load_state_dict({k: torch.tensor(v) for k, v in full.state_dict().items()})
    assert type(ours) is nn.LazyConv2d and type(theirs) is torch.nn.LazyConv2d
    assert not ours.has_uninitialized_params() and ours.in_channels == 2
    x = RNG.normal(size=(1, 2, 4, 4))
    out = ours(Tensor(x))  # the loaded values stay: nothing is drawn
    assert type(ours) is nn.Conv2d and repr(ours) == repr(full)
    np.testing.assert_array_equal(ours.weight.data, full.weight.data)
    np.testing.assert_allclose(out.data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)


def test_load_state_dict_of_a_wrong_shape_is_refused_and_leaves_the_layer_lazy():
    layer = nn.LazyLinear(5)
    with pytest.raises(StateDictError, match=r"weight has shape \(4, 3\) in the state.*"
                                             r"in_features=3 it takes \(5, 3\)"):
        layer.load_state_dict(nn.Linear(3, 4).state_dict())
    assert layer.has_uninitialized_params() and layer.in_features == 0
    with pytest.raises(StateDictError, match="bias"):  # (an entry Module's load refuses)
        layer.load_state_dict({"weight": np.zeros((5, 3)), "bias": np.zeros(4)})
    assert layer.has_uninitialized_params() and repr(layer.weight) == "<UninitializedParameter>"
    assert layer(Tensor(np.ones((2, 3)))).shape == (2, 5)


def test_state_dict_before_the_first_call_has_empty_arrays_under_pytorchs_names():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.LazyConv1d(2, 3), nn.LazyBatchNorm1d())
    theirs = torch.nn.Sequential(torch.nn.LazyConv1d(2, 3), torch.nn.LazyBatchNorm1d())
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())
    assert state["1.num_batches_tracked"] == 0
    assert all(v.shape == (0,) for k, v in state.items() if "num_batches" not in k)
    fresh = nn.Sequential(nn.LazyConv1d(2, 3), nn.LazyBatchNorm1d())
    fresh[1].load_state_dict({k[2:]: v for k, v in state.items() if k[0] == "1"})
    assert fresh[1].has_uninitialized_params()  # an empty array loads nothing: still lazy


def test_settings_made_before_the_first_call_are_kept():
    layer = nn.LazyLinear(3).float()
    layer.eval()
    layer.requires_grad_(False)
    seen = []
    layer.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    out = layer(Tensor(np.ones((2, 4), np.float32)))
    assert out.dtype == np.float32 and layer.weight.dtype == np.float32
    assert not layer.training and not layer.weight.requires_grad and seen == [(2, 3)]
    norm = nn.LazyBatchNorm2d(momentum=None).double()
    norm.eval()
    assert norm(Tensor(RNG.normal(size=(2, 3, 2, 2)))).shape == (2, 3, 2, 2)
    assert norm.num_batches_tracked.data == 0  # eval: no statistics were taken


def test_edges_empty_batch_unbatched_input_and_a_copy():
    torch = pytest.importorskip("torch")
    layer = nn.LazyLinear(4)
    assert layer(Tensor(np.zeros((0, 3)))).shape == (0, 4)
    assert torch.nn.LazyLinear(4)(torch.zeros(0, 3)).shape == (0, 4)
    conv = nn.LazyConv1d(2, 3)
    assert conv(Tensor(RNG.normal(size=(5, 6)))).shape == (2, 4) and conv.in_channels == 5
    # unbatched (C, L): num_features is C (PyTorch's lazy instance norm reads L there, and
    # then refuses its own input)
    norm = nn.LazyInstanceNorm1d()
    unbatched = RNG.normal(size=(3, 5))
    out = norm(Tensor(unbatched))
    reference = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    np.testing.assert_allclose(out.data, reference(Tensor(unbatched)).data, rtol=1e-12)
    original = nn.LazyLinear(2)
    duplicate = copy.deepcopy(original)
    duplicate(Tensor(np.ones((1, 3))))
    assert original.has_uninitialized_params() and type(original) is nn.LazyLinear
    assert type(duplicate) is nn.Linear


def test_uninitialized_parameter_and_buffer_as_pytorchs():
    torch = pytest.importorskip("torch")
    p = nn.UninitializedParameter()
    assert repr(p) == repr(torch.nn.UninitializedParameter()) == "<UninitializedParameter>"
    assert repr(nn.UninitializedBuffer()) == repr(torch.nn.UninitializedBuffer())
    assert isinstance(p, nn.Parameter) and p.requires_grad and is_lazy(p)
    held = p
    p.materialize((2, 3))
    assert held is p and type(p) is nn.Parameter and p.shape == (2, 3)
    assert p.dtype == np.float64 and not is_lazy(p)
    buffer = nn.UninitializedBuffer(dtype=np.float32)
    buffer.materialize(4)
    assert type(buffer) is nn.Buffer and buffer.shape == (4,) and buffer.dtype == np.float32


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.LazyLinear(4).forward(Tensor(np.ones((2, 3)))), ValueError,
     r"LazyLinear.forward: the parameters are not initialized yet; call the module"),
    (lambda: nn.LazyLinear(4)(Tensor(1.0)), ValueError,
     r"LazyLinear: cannot infer in_features from a 0-d input"),
    (lambda: nn.LazyConv2d(4, 3)(Tensor(np.ones((3, 3)))), RuntimeError,
     r"LazyConv2d: expected a 3-d \(unbatched\) or 4-d \(batched\) input, got shape \(3, 3\)"),
    (lambda: nn.LazyBatchNorm2d()(Tensor(np.ones((2, 3)))), ValueError,
     r"LazyBatchNorm2d: expected input of shape \(batch, C, height, width\), got \(2, 3\)"),
    (lambda: nn.LazyLinear(-1), ValueError,
     r"LazyLinear: out_features must be a non-negative int"),
    (lambda: nn.LazyConv2d(3, 3, groups=2), ValueError,
     r"LazyConv2d: groups=2 must be >= 1 and divide out_channels=3"),
    (lambda: nn.LazyLinear(4, seed=1, generator=np.random.default_rng(0)), ValueError,
     r"LazyLinear: give seed or generator, not both"),
    (lambda: nn.LazyBatchNorm1d(momentum="a"), TypeError, r"LazyBatchNorm1d: momentum"),
    (lambda: nn.LazyLinear(Tensor([1.0])), TypeError, r"nn.LazyLinear: the constructor "
                                                      r"takes settings, not tensors"),
    (lambda: nn.LazyLinear(4).weight.freeze_(), RuntimeError,
     r"freeze_: this parameter is not initialized yet"),
    (lambda: nn.UninitializedParameter().materialize((2, -1)), TypeError,
     r"UninitializedParameter.materialize: shape must be a tuple of non-negative ints"),
])
def test_bad_input_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_groups_that_do_not_divide_the_inferred_channels_leave_the_layer_lazy():
    layer = nn.LazyConv2d(4, 3, groups=2)
    with pytest.raises(ValueError, match=r"LazyConv2d: groups=2 must .*in_channels=3"):
        layer(Tensor(np.ones((1, 3, 4, 4))))
    assert type(layer) is nn.LazyConv2d and layer.has_uninitialized_params()
    assert layer(Tensor(np.ones((1, 4, 4, 4)))).shape == (1, 4, 2, 2)


def test_counting_a_lazy_models_parameters_is_refused_as_pytorchs_not_zero():
    # sum(p.numel() ...) before the first call: torch raises; a 0 would be a wrong count
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1))
    theirs = torch.nn.Sequential(torch.nn.LazyLinear(4), torch.nn.ReLU(), torch.nn.LazyLinear(1))
    with pytest.raises(ValueError):
        sum(p.numel() for p in theirs.parameters())
    with pytest.raises(ValueError, match=r"UninitializedParameter.numel: its size is not known "
                                         r"before the lazy module's first call"):
        sum(p.numel() for p in ours.parameters())
    ours(Tensor(np.ones((2, 3))))
    theirs(torch.ones(2, 3))
    assert sum(p.numel() for p in ours.parameters()) == \
        sum(p.numel() for p in theirs.parameters()) == 3 * 4 + 4 + 4 + 1


def test_loading_into_a_model_whose_lazy_layer_has_not_run_says_to_call_it_first():
    state = nn.Sequential(nn.Linear(3, 2, seed=0)).state_dict()
    model = nn.Sequential(nn.LazyLinear(2))
    message = r"0.weight: shape \(2, 3\) in the state, \(0,\) in the model; a lazy layer's"
    with pytest.raises(StateDictError, match=message + ": call the model once first"):
        model.load_state_dict(state)
    model(tg.Tensor(np.ones((1, 3))))
    model.load_state_dict(state)
    assert np.array_equal(model[0].weight.data, state["0.weight"])

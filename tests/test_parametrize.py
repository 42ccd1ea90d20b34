"""Tests of nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm,
orthogonal), the older hooks nn.utils.weight_norm / spectral_norm, the conv/linear + batch
norm fusions and skip_init.

Gradients are checked against finite differences (tg.gradcheck, float64); values,
gradients of the originals after backward, state_dict keys and buffers against torch
(torch's state loaded into ours where it holds random draws: spectral norm's u and v,
the orthogonal base of a non-square weight)."""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn.utils import parametrizations, parametrize

RNG = np.random.default_rng(0)
X_LINEAR = RNG.standard_normal((5, 3))
X_CONV = RNG.standard_normal((2, 2, 5, 5))
X_TRANSPOSED = RNG.standard_normal((1, 3, 3, 3))


def _layers(kind, torch):
    """(ours, torch's) of `kind` with the same values, float64."""
    if kind == "linear":
        theirs, ours = torch.nn.Linear(3, 4).double(), nn.Linear(3, 4)
    elif kind == "conv":
        theirs, ours = torch.nn.Conv2d(2, 3, 3).double(), nn.Conv2d(2, 3, 3)
    else:
        theirs, ours = torch.nn.ConvTranspose2d(3, 2, 2).double(), nn.ConvTranspose2d(3, 2, 2)
    ours.load_state_dict(_state(theirs))
    return ours, theirs


def _state(module):
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def _input(kind):
    return {"linear": X_LINEAR, "conv": X_CONV, "transposed": X_TRANSPOSED}[kind]


def _run_both(ours, theirs, kind, torch):
    """One forward and backward of sum(output**2) on each; returns the outputs."""
    x = kind if isinstance(kind, np.ndarray) else _input(kind)
    out = ours(Tensor(x))
    (out * out).sum().backward()
    expected = theirs(torch.tensor(x))
    (expected * expected).sum().backward()
    return out, expected


def _compare_gradients(ours, theirs):
    ours_named, theirs_named = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(ours_named) == list(theirs_named)
    for name, p in theirs_named.items():
        np.testing.assert_allclose(ours_named[name].grad.data, p.grad.numpy(), rtol=1e-9,
                                   atol=1e-11, err_msg=name)


class Symmetric(nn.Module):
    """A symmetric matrix from the upper triangle (PyTorch's tutorial example)."""

    def forward(self, X):  # noqa: N803
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):  # noqa: N803
        return A.triu()


class Scale(nn.Module):
    def forward(self, X):  # noqa: N803
        return X * 2.0

    def right_inverse(self, A):  # noqa: N803
        return A / 2.0


class NoInverse(nn.Module):
    def forward(self, X):  # noqa: N803
        return X


# -- parametrize ----------------------------------------------------------------------
def test_register_parametrization_reads_the_parametrized_tensor_and_keeps_the_original():
    layer = nn.Linear(3, 3)
    weight = layer.weight
    parametrize.register_parametrization(layer, "weight", Symmetric())
    assert type(layer).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(layer) is nn.Linear
    assert isinstance(layer, nn.Linear)
    assert parametrize.is_parametrized(layer) and parametrize.is_parametrized(layer, "weight")
    assert not parametrize.is_parametrized(layer, "bias")
    # the same Parameter object, its values set by right_inverse (the upper triangle)
    assert layer.parametrizations.weight.original is weight
    np.testing.assert_array_equal(layer.weight.data, layer.weight.data.T)
    assert [n for n, _ in layer.named_parameters()] == ["bias",
                                                       "parametrizations.weight.original"]
    assert list(layer.state_dict()) == ["bias", "parametrizations.weight.original"]
    layer(Tensor(X_LINEAR)).sum().backward()
    grad = weight.grad.data
    assert np.all(np.tril(grad, -1) == 0) and np.any(grad != 0)  # through backward()
    assert tg.gradcheck(lambda w: layer.parametrizations.weight[0](w),
                        [Tensor(RNG.standard_normal((3, 3)), requires_grad=True)])


def test_assignment_goes_through_right_inverse_and_stacked_parametrizations_run_in_order():
    layer = nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    parametrize.register_parametrization(layer, "weight", Scale())
    original = layer.parametrizations.weight.original
    assert len(layer.parametrizations.weight) == 2
    np.testing.assert_allclose(layer.weight.data, 2 * (np.triu(original.data)
                                                       + np.triu(original.data, 1).T))
    target = RNG.standard_normal((3, 3))
    target = target + target.T
    layer.weight = Tensor(target)
    assert layer.parametrizations.weight.original is original  # written in place
    np.testing.assert_allclose(layer.weight.data, target)
    np.testing.assert_allclose(original.data, np.triu(target) / 2)


def test_cached_computes_a_parametrized_tensor_once_per_block():
    layer = nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    assert layer.weight is not layer.weight
    with parametrize.cached():
        first = layer.weight
        assert layer.weight is first
        with parametrize.cached():
            assert layer.weight is first
        assert layer.weight is first
    assert layer.weight is not first



def test_a_weight_read_without_gradients_in_a_call_leaves_the_forward_its_gradient():
    # a forward pre-hook logging the weight under no_grad read it first in the call:
    # the forward's reading must still carry the graph back to the original, as torch's
    torch = pytest.importorskip("torch")
    ours, theirs = _layers("linear", torch)

    class TorchScale(torch.nn.Module):
        def forward(self, X):  # noqa: N803
            return X * 2.0

        def right_inverse(self, A):  # noqa: N803
            return A / 2.0

    parametrize.register_parametrization(ours, "weight", Scale())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", TorchScale())
    norms = []

    def log_norm(module, args):
        with tg.no_grad():
            norms.append(float(module.weight.norm().item()))

    def log_norm_torch(module, args):
        with torch.no_grad():
            norms.append(float(module.weight.norm()))

    ours.register_forward_pre_hook(log_norm)
    theirs.register_forward_pre_hook(log_norm_torch)
    _run_both(ours, theirs, "linear", torch)
    assert norms[0] == pytest.approx(norms[1])
    _compare_gradients(ours, theirs)


def test_a_module_called_twice_in_a_parametrized_parents_call_reads_its_weight_twice():
    # a child's parametrization runs at each call of the child (spectral norm's power
    # iteration steps each time), as torch's: the parent's call reuses only its own
    # parametrized tensors
    torch = pytest.importorskip("torch")
    calls = {"ours": 0, "theirs": 0}

    class Counted(nn.Module):
        def forward(self, X):  # noqa: N803
            calls["ours"] += 1
            return X * 2.0

    class TorchCounted(torch.nn.Module):
        def forward(self, X):  # noqa: N803
            calls["theirs"] += 1
            return X * 2.0

    class Parent(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(np.array(0.5))
            self.child = nn.Linear(3, 3)

        def forward(self, x):
            return self.child(self.child(x) * self.scale)

    class TorchParent(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))
            self.child = torch.nn.Linear(3, 3).double()

        def forward(self, x):
            return self.child(self.child(x) * self.scale)

    ours, theirs = Parent(), TorchParent()
    ours.load_state_dict(_state(theirs))
    parametrize.register_parametrization(ours, "scale", Counted())
    parametrize.register_parametrization(ours.child, "weight", Counted())
    torch.nn.utils.parametrize.register_parametrization(theirs, "scale", TorchCounted())
    torch.nn.utils.parametrize.register_parametrization(theirs.child, "weight", TorchCounted())
    calls.update(ours=0, theirs=0)
    out, expected = _run_both(ours, theirs, X_LINEAR, torch)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12)
    assert calls["ours"] == calls["theirs"] == 3  # the parent's scale once, the child's twice


def test_remove_parametrizations_leaves_the_values_and_restores_the_class():
    layer = nn.Linear(3, 3)
    weight = layer.weight
    parametrize.register_parametrization(layer, "weight", Symmetric())
    parametrize.register_parametrization(layer, "bias", Scale())
    values = layer.weight.data.copy()
    parametrize.remove_parametrizations(layer, "weight")
    assert parametrize.is_parametrized(layer) and type(layer).__name__ == "ParametrizedLinear"
    assert layer.weight is weight and isinstance(layer.weight, nn.Parameter)
    np.testing.assert_array_equal(layer.weight.data, values)
    bias_original = layer.parametrizations.bias.original.data.copy()
    parametrize.remove_parametrizations(layer, "bias", leave_parametrized=False)
    assert type(layer) is nn.Linear and "parametrizations" not in vars(layer)
    np.testing.assert_array_equal(layer.bias.data, bias_original)
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_an_optimizer_made_before_keeps_training_the_original():
    layer = nn.Linear(3, 3)
    optimizer = tg.optim.SGD(layer.parameters(), lr=0.1)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    before = layer.weight.data.copy()
    layer(Tensor(X_LINEAR)).sum().backward()
    optimizer.step()
    after = layer.weight.data
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, after.T)  # still symmetric: the original was trained


def test_a_tuple_right_inverse_makes_original0_and_original1():
    layer = nn.Linear(3, 4)
    parametrizations.weight_norm(layer)
    plist = layer.parametrizations.weight
    assert not plist.is_tensor and plist.ntensors == 2
    assert plist.original0.shape == (4, 1) and plist.original1.shape == (4, 3)
    with pytest.raises(ValueError, match="several tensors"):
        parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)
    values = layer.weight.data.copy()
    parametrize.remove_parametrizations(layer, "weight")
    assert isinstance(layer.weight, nn.Parameter)
    np.testing.assert_allclose(layer.weight.data, values)


def test_a_buffer_can_be_parametrized_and_stays_a_buffer():
    bn = nn.BatchNorm1d(3)
    parametrize.register_parametrization(bn, "running_var", Scale())
    assert isinstance(bn.parametrizations.running_var.original, nn.Buffer)
    np.testing.assert_allclose(bn.running_var.data, np.ones(3))
    assert "parametrizations.running_var.original" in bn.state_dict()
    parametrize.remove_parametrizations(bn, "running_var")
    assert isinstance(bn.running_var, nn.Buffer)


def test_deepcopy_train_eval_and_transfer():
    layer = nn.Linear(3, 4)
    parametrizations.spectral_norm(layer)
    layer.eval()
    assert not layer.parametrizations.weight[0].training
    twin = copy.deepcopy(layer)
    assert type(twin) is type(layer)
    np.testing.assert_array_equal(twin.weight.data, layer.weight.data)
    assert twin.parametrizations.weight.original is not layer.parametrizations.weight.original
    other = nn.Linear(3, 4).eval()
    parametrize.transfer_parametrizations_and_params(layer, other)
    np.testing.assert_array_equal(other.weight.data, layer.weight.data)


def test_parametrize_errors_are_one_line():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="Linear has no parameter, buffer .* named 'foo'"):
        parametrize.register_parametrization(layer, "foo", Scale())
    with pytest.raises(TypeError, match="parametrization must be an nn.Module"):
        parametrize.register_parametrization(layer, "weight", lambda x: x)
    with pytest.raises(ValueError, match=r"keep the shape \(2, 3\), got \(3,\)"):
        parametrize.register_parametrization(layer, "weight", _FirstRow())
    with pytest.raises(ValueError, match="no parametrization on 'weight'"):
        parametrize.remove_parametrizations(layer, "weight")
    with pytest.raises(TypeError, match="unsafe must be True or False"):
        parametrize.register_parametrization(layer, "weight", Scale(), unsafe="no")
    assert type(layer) is nn.Linear and list(layer.state_dict()) == ["weight", "bias"]
    parametrize.register_parametrization(layer, "weight", NoInverse())
    with pytest.raises(RuntimeError, match="NoInverse does not implement right_inverse"):
        layer.weight = Tensor(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(layer)
    parametrize.register_parametrization(layer, "weight", _FirstRow(), unsafe=True)
    assert layer.weight.shape == (3,)


class _FirstRow(nn.Module):
    def forward(self, X):  # noqa: N803
        return X[0]


# -- weight norm ----------------------------------------------------------------------
@pytest.mark.parametrize("kind, dim", [("linear", 0), ("linear", 1), ("linear", None),
                                       ("conv", 0), ("conv", -2), ("transposed", 1)])
def test_weight_norm_matches_torch(kind, dim):
    torch = pytest.importorskip("torch")
    ours, theirs = _layers(kind, torch)
    parametrizations.weight_norm(ours, dim=dim)
    torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in _state(theirs).items():
        np.testing.assert_allclose(ours.state_dict()[name], value, rtol=1e-12, err_msg=name)
    out, expected = _run_both(ours, theirs, kind, torch)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    _compare_gradients(ours, theirs)


def test_weight_norm_gradcheck_and_a_torch_state_loads():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv2d(2, 3, 3).double())
    ours = parametrizations.weight_norm(nn.Conv2d(2, 3, 3))
    ours.load_state_dict(_state(theirs))
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)
    norm = ours.parametrizations.weight[0]
    g = Tensor(RNG.standard_normal((3, 1, 1, 1)), requires_grad=True)
    v = Tensor(RNG.standard_normal((3, 2, 3, 3)), requires_grad=True)
    x = Tensor(X_CONV[:1], requires_grad=True)
    assert tg.gradcheck(lambda x, g, v: tg.conv2d(x, norm(g, v), ours.bias), [x, g, v])


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # (0 / 0)
def test_weight_norm_edges_float32_zero_and_empty():
    layer = nn.Linear(3, 2, dtype=np.float32)
    parametrizations.weight_norm(layer)
    assert layer.weight.dtype == np.float32
    assert layer.parametrizations.weight.original0.dtype == np.float32
    assert layer(Tensor(X_LINEAR.astype(np.float32))).dtype == np.float32
    zero = nn.Linear(3, 2)
    with tg.no_grad():
        zero.weight[0] = 0.0
    parametrizations.weight_norm(zero)  # (a zero row: 0 / 0, NaN, as PyTorch's)
    assert np.isnan(zero.weight.data[0]).all() and np.isfinite(zero.weight.data[1]).all()
    empty = nn.Module()
    empty.weight = nn.Parameter(np.zeros((2, 0)))
    parametrizations.weight_norm(empty)
    assert empty.weight.shape == (2, 0)
    np.testing.assert_array_equal(empty.parametrizations.weight.original0.data, np.zeros((2, 1)))


# -- spectral norm --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["linear", "conv", "transposed"])
def test_spectral_norm_matches_torch_over_training_and_eval_forwards(kind):
    torch = pytest.importorskip("torch")
    ours, theirs = _layers(kind, torch)
    torch.nn.utils.parametrizations.spectral_norm(theirs, n_power_iterations=2)
    parametrizations.spectral_norm(ours, n_power_iterations=2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(_state(theirs))  # (the same u and v to start from)
    for _ in range(3):  # training: u and v move at each forward
        ours.zero_grad()
        theirs.zero_grad()
        out, expected = _run_both(ours, theirs, kind, torch)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12)
        _compare_gradients(ours, theirs)
    for name, value in _state(theirs).items():
        np.testing.assert_allclose(ours.state_dict()[name], value, rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    ours.eval()
    theirs.eval()
    u = ours.parametrizations.weight[0]._u.data.copy()
    out, expected = _run_both(ours, theirs, kind, torch)
    np.testing.assert_array_equal(ours.parametrizations.weight[0]._u.data, u)  # not in eval
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_spectral_norm_divides_by_the_largest_singular_value():
    layer = nn.Linear(6, 4)
    # singular values 3, 1, 0.5, 0.2: power iteration converges within the 20 reads
    left, _ = np.linalg.qr(RNG.standard_normal((4, 4)))
    right, _ = np.linalg.qr(RNG.standard_normal((6, 4)))
    layer.weight.data = left @ np.diag([3.0, 1.0, 0.5, 0.2]) @ right.T
    parametrizations.spectral_norm(layer)
    for _ in range(20):
        weight = layer.weight.data
    assert abs(np.linalg.svd(weight, compute_uv=False)[0] - 1) < 1e-8
    layer.eval()
    x = Tensor(RNG.standard_normal((2, 6)), requires_grad=True)
    original = Tensor(RNG.standard_normal((4, 6)), requires_grad=True)
    norm = layer.parametrizations.weight[0]
    assert tg.gradcheck(lambda x, w: tg.nn.functional.linear(x, norm(w), layer.bias),
                        [x, original])


def test_spectral_norm_of_a_vector_float32_and_errors():
    torch = pytest.importorskip("torch")
    ours, theirs = _layers("linear", torch)
    torch.nn.utils.parametrizations.spectral_norm(theirs, "bias")
    parametrizations.spectral_norm(ours, "bias")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.bias.data, theirs.bias.detach().numpy(), rtol=1e-12)
    small = parametrizations.spectral_norm(nn.Linear(3, 2, dtype=np.float32))
    assert small.weight.dtype == np.float32
    assert small.parametrizations.weight[0]._u.dtype == np.float32
    with pytest.raises(ValueError, match="n_power_iterations must be positive, got 0"):
        parametrizations.spectral_norm(nn.Linear(3, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="axis 2 is out of range for a tensor with 2"):
        parametrizations.spectral_norm(nn.Linear(3, 2), dim=2)
    with pytest.raises(IndexError, match="axis -3 is out of range"):
        nn.utils.spectral_norm(nn.Linear(3, 2), dim=-3)
    with pytest.raises(IndexError, match="weight_norm: axis 5 is out of range"):
        parametrizations.weight_norm(nn.Linear(3, 2), dim=5)
    with pytest.raises(ValueError, match="no parameter or buffer named 'kernel'"):
        parametrizations.spectral_norm(nn.Linear(3, 2), "kernel")


# -- orthogonal -----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3)])
@pytest.mark.parametrize("orthogonal_map", ["cayley", "matrix_exp", "householder"])
def test_orthogonal_matches_torch(orthogonal_map, shape):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(shape[1], shape[0]).double()
    ours = nn.Linear(shape[1], shape[0])
    ours.load_state_dict(_state(theirs))
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map)
    parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if shape[0] == shape[1]:  # no random completion: the base is made the same
        np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(),
                                   atol=1e-12)
    # away from the neutral point, so every map's gradient shows (the diagonal kept: the
    # Householder map reads only its sign, which training never changes: no gradient)
    step = 0.3 * RNG.standard_normal(shape) * (1 - np.eye(*shape))
    with torch.no_grad():
        theirs.parametrizations.weight.original.add_(torch.tensor(step))
    ours.load_state_dict(_state(theirs))
    weight = ours.weight.data
    small = min(shape)
    gram = weight @ weight.T if shape[0] <= shape[1] else weight.T @ weight
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    x = RNG.standard_normal((5, shape[1]))
    out, expected = _run_both(ours, theirs, x, torch)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12)
    _compare_gradients(ours, theirs)


@pytest.mark.parametrize("orthogonal_map", ["cayley", "matrix_exp", "householder"])
def test_orthogonal_conv_kernels_match_torch(orthogonal_map):
    torch = pytest.importorskip("torch")
    ours, theirs = _layers("conv", torch)  # a batch of 3 x 3 kernels, each made orthogonal
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map)
    parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), atol=1e-12)
    step = 0.3 * RNG.standard_normal((3, 2, 3, 3)) * (1 - np.eye(3))
    with torch.no_grad():
        theirs.parametrizations.weight.original.add_(torch.tensor(step))
    ours.load_state_dict(_state(theirs))
    out, expected = _run_both(ours, theirs, "conv", torch)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12)
    _compare_gradients(ours, theirs)


@pytest.mark.parametrize("orthogonal_map", ["cayley", "matrix_exp", "householder"])
def test_orthogonal_maps_pass_gradcheck(orthogonal_map):
    layer = parametrizations.orthogonal(nn.Linear(4, 3), orthogonal_map=orthogonal_map)
    orth = layer.parametrizations.weight[0]
    original = Tensor(RNG.standard_normal((3, 4)) * 0.5, requires_grad=True)
    assert tg.gradcheck(orth, [original])
    x = Tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    assert tg.gradcheck(lambda x: layer(x), [x])


def test_orthogonal_without_trivialization_and_assignment():
    torch = pytest.importorskip("torch")
    weight = RNG.standard_normal((5, 3))
    theirs = torch.nn.Linear(3, 5, bias=False).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(weight))
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map="householder",
                                                  use_trivialization=False)
    ours = nn.Linear(3, 5, bias=False)
    with tg.no_grad():
        ours.weight[...] = weight
    parametrizations.orthogonal(ours, orthogonal_map="householder",
                                use_trivialization=False)
    assert list(ours.state_dict()) == ["parametrizations.weight.original"]
    np.testing.assert_allclose(ours.parametrizations.weight.original.data,
                               theirs.parametrizations.weight.original.detach().numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), atol=1e-12)
    square = parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley",
                                         use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        square.weight = Tensor(np.eye(3))
    rotation = parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley")
    q = np.linalg.qr(RNG.standard_normal((3, 3)))[0]
    rotation.weight = Tensor(q)
    np.testing.assert_allclose(rotation.weight.data, q, atol=1e-12)


def test_orthogonal_float32_batches_and_errors():
    layer = parametrizations.orthogonal(nn.Linear(3, 3, dtype=np.float32),
                                        orthogonal_map="cayley")
    assert layer.weight.dtype == np.float32
    np.testing.assert_allclose(layer.weight.data @ layer.weight.data.T, np.eye(3), atol=1e-5)
    holder = nn.Module()
    holder.weight = nn.Parameter(RNG.standard_normal((2, 4, 3)))
    for orthogonal_map in ("cayley", "matrix_exp", "householder"):
        batch = copy.deepcopy(holder)
        parametrizations.orthogonal(batch, orthogonal_map=orthogonal_map)
        w = batch.weight.data
        np.testing.assert_allclose(np.swapaxes(w, -1, -2) @ w, np.broadcast_to(np.eye(3),
                                   (2, 3, 3)), atol=1e-12)
    with pytest.raises(ValueError, match=r"matrix or a batch of matrices, got .* shape \(2,\)"):
        parametrizations.orthogonal(nn.Linear(3, 2), "bias")
    with pytest.raises(ValueError, match="orthogonal_map must be one of"):
        parametrizations.orthogonal(nn.Linear(3, 2), orthogonal_map="qr")


# -- the older hooks ------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_old_weight_norm_matches_torch_and_removes(kind):
    torch = pytest.importorskip("torch")
    ours, theirs = _layers(kind, torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(theirs)
        with pytest.warns(FutureWarning, match="deprecated"):
            nn.utils.weight_norm(ours)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g",
                                                                   "weight_v"]
    out, expected = _run_both(ours, theirs, kind, torch)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    _compare_gradients(ours, theirs)
    with pytest.raises(RuntimeError, match="weight_norm hook on 'weight' already"):
        with pytest.warns(FutureWarning):
            nn.utils.weight_norm(ours)
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == ["bias", "weight"] and isinstance(ours.weight,
                                                                        nn.Parameter)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="no weight_norm of 'weight'"):
        nn.utils.remove_weight_norm(ours)


@pytest.mark.parametrize("kind", ["linear", "conv", "transposed"])
def test_old_spectral_norm_matches_torch_over_training_and_eval(kind):
    torch = pytest.importorskip("torch")
    ours, theirs = _layers(kind, torch)
    torch.nn.utils.spectral_norm(theirs)
    nn.utils.spectral_norm(ours)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(_state(theirs))  # (the same u and v to start from)
    for _ in range(3):
        ours.zero_grad()
        theirs.zero_grad()
        out, expected = _run_both(ours, theirs, kind, torch)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12)
        _compare_gradients(ours, theirs)
    ours.eval()
    theirs.eval()
    out, expected = _run_both(ours, theirs, kind, torch)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12)
    for name, value in _state(theirs).items():
        np.testing.assert_allclose(ours.state_dict()[name], value, rtol=1e-9, err_msg=name)
    nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-9)


def test_old_spectral_norm_errors():
    layer = nn.utils.spectral_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="spectral_norm hook on 'weight' already"):
        nn.utils.spectral_norm(layer)
    with pytest.raises(ValueError, match="no spectral_norm of 'bias'"):
        nn.utils.remove_spectral_norm(layer, "bias")
    with pytest.raises(ValueError, match="n_power_iterations must be positive, got -1"):
        nn.utils.spectral_norm(nn.Linear(3, 2), n_power_iterations=-1)
    with pytest.raises(ValueError, match="Linear has no parameter named 'kernel'"):
        nn.utils.spectral_norm(nn.Linear(3, 2), "kernel")


# -- fusion and skip_init -------------------------------------------------------------
def _batch_norm(bn, channels):
    bn.running_mean.data = RNG.standard_normal(channels)
    bn.running_var.data = RNG.random(channels) + 0.5
    if bn.weight is not None:
        bn.weight.data = RNG.standard_normal(channels)
        bn.bias.data = RNG.standard_normal(channels)
    return bn.eval()


@pytest.mark.parametrize("bias, affine", [(True, True), (False, True), (True, False)])
def test_fuse_conv_bn_eval_equals_conv_then_bn(bias, affine):
    conv = nn.Conv2d(2, 3, 3, bias=bias).eval()
    bn = _batch_norm(nn.BatchNorm2d(3, affine=affine), 3)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    x = Tensor(X_CONV)
    np.testing.assert_allclose(fused(x).data, bn(conv(x)).data, rtol=1e-12, atol=1e-12)
    assert conv.bias is None if not bias else fused.weight is not conv.weight
    assert isinstance(fused.weight, nn.Parameter) and isinstance(fused.bias, nn.Parameter)
    transposed = nn.ConvTranspose2d(3, 2, 2).eval()
    bn2 = _batch_norm(nn.BatchNorm2d(2), 2)
    fused = nn.utils.fuse_conv_bn_eval(transposed, bn2, transpose=True)
    x = Tensor(X_TRANSPOSED)
    np.testing.assert_allclose(fused(x).data, bn2(transposed(x)).data, rtol=1e-12, atol=1e-12)


def test_fusions_match_torch_and_linear_bn():
    torch = pytest.importorskip("torch")
    ours, theirs = _layers("conv", torch)
    bn = _batch_norm(nn.BatchNorm2d(3), 3)
    their_bn = torch.nn.BatchNorm2d(3).double().eval()
    their_bn.load_state_dict({k: torch.tensor(v) for k, v in bn.state_dict().items()})
    weight, bias = nn.utils.fuse_conv_bn_weights(
        ours.weight, ours.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    expected = torch.nn.utils.fuse_conv_bn_weights(
        theirs.weight, theirs.bias, their_bn.running_mean, their_bn.running_var, their_bn.eps,
        their_bn.weight, their_bn.bias)
    for mine, theirs_ in zip((weight, bias), expected):
        np.testing.assert_allclose(mine.data, theirs_.detach().numpy(), rtol=1e-12)
        assert mine.requires_grad == theirs_.requires_grad
    linear = nn.Linear(3, 4).eval()
    bn1 = _batch_norm(nn.BatchNorm1d(4), 4)
    fused = nn.utils.fuse_linear_bn_eval(linear, bn1)
    x = Tensor(X_LINEAR)
    np.testing.assert_allclose(fused(x).data, bn1(linear(x)).data, rtol=1e-12, atol=1e-12)
    weight, bias = nn.utils.fuse_linear_bn_weights(
        linear.weight, None, bn1.running_mean, bn1.running_var, bn1.eps, bn1.weight, bn1.bias)
    their_w, their_b = torch.nn.utils.fuse_linear_bn_weights(
        torch.tensor(linear.weight.data, requires_grad=True), None,
        *(torch.tensor(t.data) for t in (bn1.running_mean, bn1.running_var)), bn1.eps,
        *(torch.tensor(t.data, requires_grad=True) for t in (bn1.weight, bn1.bias)))
    np.testing.assert_allclose(weight.data, their_w.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(bias.data, their_b.detach().numpy(), rtol=1e-12)
    assert not bias.requires_grad and weight.requires_grad


def test_fusion_errors_and_float32():
    conv, bn = nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)
    with pytest.raises(AssertionError, match="eval mode only"):
        nn.utils.fuse_conv_bn_eval(conv, bn)
    with pytest.raises(ValueError, match="do not match the batch norm's 4 channels"):
        nn.utils.fuse_conv_bn_eval(conv.eval(), nn.BatchNorm2d(4).eval())
    with pytest.raises(ValueError, match="no running statistics"):
        nn.utils.fuse_conv_bn_eval(conv, nn.BatchNorm2d(3, track_running_stats=False).eval())
    with pytest.raises(ValueError, match=r"out_features \(4\) and bn.num_features \(3\)"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(3, 4).eval(), nn.BatchNorm1d(3).eval())
    small = nn.Conv2d(2, 3, 3, dtype=np.float32).eval()
    fused = nn.utils.fuse_conv_bn_eval(small, nn.BatchNorm2d(3).eval())
    assert fused.weight.dtype == fused.bias.dtype == np.float32


def test_skip_init():
    layer = nn.utils.skip_init(nn.Linear, 3, 4, bias=False)
    assert isinstance(layer, nn.Linear) and layer.weight.shape == (4, 3) and layer.bias is None
    with pytest.raises(RuntimeError, match="ReLU must take a 'device' argument"):
        nn.utils.skip_init(nn.ReLU)
    with pytest.raises(TypeError, match="expected a Module class"):
        nn.utils.skip_init(nn.Linear(3, 4))
    with pytest.raises(RuntimeError, match="skip_init: expected a Module class"):
        nn.utils.skip_init(int)  # (a class, not a Module: torch's RuntimeError)

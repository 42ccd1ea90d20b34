"""Tests of tg.nn's containers beyond ModuleList: ModuleDict's update/pop/del/clear, and
ParameterList and ParameterDict, whose entries a model, its state dict and the optimizers
must find under PyTorch's names (`params.0`, `scales.a`)."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn


class _Net(nn.Module):
    """Own weight first, then the containers, in attribute order (PyTorch's listing)."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.w = nn.Parameter(rng.normal(size=2))
        self.params = nn.ParameterList([rng.normal(size=(2, 3)), tg.tensor(rng.normal(size=3))])
        self.scales = nn.ParameterDict({"b": rng.normal(size=1), "a": rng.normal(size=(2, 2))})
        self.heads = nn.ModuleDict([("out", nn.Linear(3, 1, seed=seed))])


# a plain dict's keys sorted, as PyTorch's ParameterDict sorts them
NAMES = ["w", "params.0", "params.1", "scales.a", "scales.b", "heads.out.weight",
         "heads.out.bias"]


def test_entries_are_named_as_pytorch_names_them_and_found_by_the_model():
    net = _Net()
    assert [name for name, _ in net.named_parameters()] == NAMES
    assert list(net.state_dict()) == NAMES
    assert [tuple(p.shape) for p in net.parameters()] == [(2,), (2, 3), (3,), (2, 2), (1,),
                                                         (1, 3), (1,)]
    assert all(type(p) is nn.Parameter and p.requires_grad for p in net.parameters())
    assert net.params[-1] is net.params[1] is vars(net.params)["1"]
    assert net.scales["a"] is net.scales.a and list(net.scales) == ["a", "b"]
    assert [name for name, _ in net.named_children()] == ["params", "scales", "heads"]
    net.double()  # .to() reaches them: a float32 entry becomes float64
    net.params.append(np.zeros(2, np.float32))
    assert net.params[2].dtype == np.float32
    net.double()
    assert net.params[2].dtype == np.float64


def test_a_parameter_is_kept_and_a_tensor_or_array_is_wrapped_in_a_copy():
    kept = nn.Parameter(np.ones(2))
    data = np.arange(3.0)
    made = Tensor(data * 2, requires_grad=False)
    params = nn.ParameterList([kept, data, made])
    assert params[0] is kept
    assert type(params[1]) is nn.Parameter and params[1].requires_grad
    data[0] = 100.0  # a copy, as Parameter(array) makes
    np.testing.assert_array_equal(params[1].data, [0.0, 1.0, 2.0])
    assert params[2] is not made and params[2].requires_grad
    part = params[1:]
    assert isinstance(part, nn.ParameterList) and len(part) == 2
    assert part[0] is params[1] and part[1] is params[2]  # the same Parameters, as PyTorch's
    params[0] = np.zeros(4)  # replaced in place: the name and the position are kept
    assert [name for name, _ in params.named_parameters()] == ["0", "1", "2"]
    assert params[0].shape == (4,) and params[0] is not kept
    assert [p.shape for p in params] == [(4,), (3,), (3,)] and len(params) == 3
    assert params.extend([np.ones(1)]).append(np.ones(5)) is params and len(params) == 5


def test_training_weights_kept_in_a_parameter_list_lowers_the_loss():
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(16, 3)))
    y = Tensor(x.data @ np.array([[1.0], [-2.0], [0.5]]) + 0.3)

    class Model(nn.Module):
        def __init__(self):
            self.layers = nn.ParameterList([np.zeros((3, 1)), np.zeros(1)])

        def forward(self, x):
            weight, bias = self.layers
            return x @ weight + bias

    model = Model()
    opt = tg.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for step in range(60):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        assert model.layers[0].grad is None
        loss.backward()
        if step == 0:  # d mean((xw + b - y)^2) / dw at w = 0, b = 0
            expected = 2 * x.data.T @ (-y.data) / 16
            np.testing.assert_allclose(model.layers[0].grad.data, expected)
            np.testing.assert_allclose(model.layers[1].grad.data, [2 * (-y.data).mean()])
        opt.step()
        losses.append(float(loss.item()))
    assert losses[-1] < 0.05 * losses[0]
    assert all(b <= a for a, b in zip(losses, losses[1:]))


def test_state_dict_round_trip_and_a_missing_entry_named():
    net, other = _Net(seed=0), _Net(seed=1)
    assert not np.array_equal(net.params[0].data, other.params[0].data)
    target = other.params[0]
    other.load_state_dict(net.state_dict())
    assert other.params[0] is target  # loaded in place
    for (name, a), (_, b) in zip(net.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    other.params.append(np.zeros(2))
    with pytest.raises(ValueError, match="params.2: in the model, missing from the state"):
        other.load_state_dict(net.state_dict())
    del other.scales["b"]
    with pytest.raises(ValueError, match="scales.b: in the state, not a parameter"):
        other.load_state_dict(net.state_dict())


def test_parameter_dict_update_pop_del_clear_keep_the_order_of_keys():
    scales = nn.ParameterDict([("b", np.ones(1)), ("a", np.ones(2))])
    first_a = scales["a"]
    scales.update({"c": np.ones(3), "a": np.zeros(2)})  # "a" replaced where it was
    scales.update([("d", Tensor([4.0]))])
    assert scales.keys() == ["b", "a", "c", "d"] and len(scales) == 4
    assert scales["a"] is not first_a and scales["a"].data.tolist() == [0.0, 0.0]
    assert "c" in scales and "x" not in scales and 3 not in scales
    popped = scales.pop("b")
    assert popped.shape == (1,) and "b" not in scales and not hasattr(scales, "b")
    del scales["c"]
    assert list(scales) == ["a", "d"]
    assert [v.shape for v in scales.values()] == [(2,), (1,)]
    assert [k for k, _ in scales.items()] == ["a", "d"]
    assert [name for name, _ in scales.named_parameters()] == ["a", "d"]
    scales.update(nn.ParameterDict({"e": np.ones(1)}))  # another container is a mapping
    scales.clear()
    assert len(scales) == 0 and scales.parameters() == [] and scales.state_dict() == {}
    assert scales.training  # clear() removes the entries, nothing else


def test_a_plain_dict_is_added_in_key_order_to_a_parameter_dict_as_in_pytorch():
    values = {"b": np.ones(1), "c": np.ones(1), "a": np.ones(1)}
    assert nn.ParameterDict(values).keys() == ["a", "b", "c"]
    assert nn.ParameterDict(OrderedDict(values)).keys() == ["b", "c", "a"]
    assert nn.ParameterDict(list(values.items())).keys() == ["b", "c", "a"]
    scales = nn.ParameterDict(OrderedDict(values))
    scales.update({"e": np.ones(1), "d": np.ones(1)})
    assert scales.keys() == ["b", "c", "a", "d", "e"]
    assert nn.ParameterDict(scales).keys() == scales.keys()  # a ParameterDict keeps its order
    assert nn.ModuleDict({"b": nn.ReLU(), "a": nn.ReLU()}).keys() == ["b", "a"]  # not sorted


def test_module_dict_update_pop_del_clear_as_pytorch():
    heads = nn.ModuleDict({"digit": nn.Linear(2, 10)})
    heads.update([("parity", nn.Linear(2, 1)), ("sign", nn.Tanh())])
    heads.update({"digit": nn.Linear(2, 3)})
    assert heads.keys() == ["digit", "parity", "sign"] and heads.digit.out_features == 3
    sign = heads.pop("sign")
    assert isinstance(sign, nn.Tanh) and "sign" not in heads
    del heads["parity"]
    assert [name for name, _ in heads.named_parameters()] == ["digit.weight", "digit.bias"]
    heads.update(nn.ModuleDict({"extra": nn.ReLU()}))
    assert list(heads) == ["digit", "extra"]
    heads.clear()
    assert len(heads) == 0 and heads.parameters() == [] and heads.named_children() == []
    heads["again"] = nn.ReLU()
    assert heads.keys() == ["again"]


def test_a_bad_entry_in_update_adds_none_of_them():
    heads = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(TypeError, match=r"ModuleDict: layer 'c' must be a Module instance"):
        heads.update([("b", nn.Tanh()), ("c", 3)])
    scales = nn.ParameterDict({"a": np.ones(1)})
    with pytest.raises(KeyError, match=r"ParameterDict: key 'x\.y' must be"):
        scales.update({"b": np.ones(1), "x.y": np.ones(1)})
    assert heads.keys() == ["a"] and scales.keys() == ["a"]


def test_repr_lists_the_parameters_shapes_as_pytorchs():
    net = _Net()
    text = repr(net)
    assert "(params): ParameterList(\n      (0): Parameter containing: [float64 of size 2x3]\n" \
           "      (1): Parameter containing: [float64 of size 3]\n  )" in text
    assert "(scales): ParameterDict(\n      (a): Parameter containing: " \
           "[tinygrad_gd.DoubleTensor of size 2x2]\n" \
           "      (b): Parameter containing: [tinygrad_gd.DoubleTensor of size 1]\n  )" in text
    assert repr(nn.ParameterList()) == "ParameterList()"
    assert repr(nn.ParameterDict()) == "ParameterDict()"


@pytest.mark.parametrize("action, error, message", [
    (lambda: nn.ParameterList([np.ones(1), 3]), TypeError,
     "ParameterList: entry 1 must be an nn.Parameter, a Tensor or a NumPy array, got a value "
     "of type int"),
    (lambda: nn.ParameterList(np.ones(3)), TypeError,
     "ParameterList: extend expects an iterable of parameters, got a value of type ndarray"),
    (lambda: nn.ParameterList([np.ones(1)])[1], IndexError,
     "ParameterList: index 1 is out of range for 1 parameters"),
    (lambda: nn.ParameterList([np.ones(1)]).__setitem__(-2, np.ones(1)), IndexError,
     "ParameterList: index -2 is out of range for 1 parameters"),
    (lambda: nn.ParameterDict({"a": "text"}), TypeError,
     "ParameterDict: entry 'a' must be an nn.Parameter, a Tensor or a NumPy array"),
    (lambda: nn.ParameterDict({"a": np.ones(1)})["b"], KeyError,
     "ParameterDict: no parameter named 'b'; it has ['a']"),
    (lambda: nn.ParameterDict({"a": np.ones(1)}).pop("b"), KeyError,
     "ParameterDict: no parameter named 'b'; it has ['a']"),
    (lambda: nn.ParameterDict({"keys": np.ones(1)}), KeyError,
     "ParameterDict: key 'keys' must be a non-empty string without '.' that names no "
     "attribute of ParameterDict"),
    (lambda: nn.ParameterDict({"training": np.ones(1)}), KeyError,
     "ParameterDict: key 'training' must be"),
    (lambda: nn.ModuleDict({"a": nn.ReLU()}).__delitem__("b"), KeyError,
     "ModuleDict: no module named 'b'; it has ['a']"),
    (lambda: nn.ModuleDict({"a": nn.ReLU()}).pop("b"), KeyError,
     "ModuleDict: no module named 'b'; it has ['a']"),
    (lambda: nn.ModuleDict({"update": nn.ReLU()}), KeyError,
     "ModuleDict: key 'update' must be"),
    (lambda: nn.ModuleDict().update(5), TypeError,
     "ModuleDict: update expects a mapping or (key, value) pairs, got a value of type int"),
    (lambda: nn.ModuleDict().update([("a",)]), ValueError,
     "ModuleDict: update's element #0 has length 1; a (key, value) pair is required"),
    (lambda: nn.ParameterDict().update(["ab"]), TypeError,
     "ParameterDict: update's element #0 is of type str, not a (key, value) pair"),
])
def test_mistakes_are_named_in_one_line(action, error, message):
    with pytest.raises(error) as info:
        action()
    text = info.value.args[0]
    assert text.startswith(message) and "\n" not in text


@pytest.mark.torch
def test_names_keys_and_order_are_pytorchs_through_the_same_operations():
    torch = pytest.importorskip("torch")

    def run(lib, zeros, linear):
        """The same operations on `lib`'s containers; what the model lists after each."""
        root = lib.Module()
        seen = []

        def snapshot(popped=None):
            seen.append(([(n, tuple(p.shape)) for n, p in root.named_parameters()],
                         list(root.state_dict()), list(root.pd), list(root.md), len(root.pl),
                         None if popped is None else tuple(popped.shape)))

        root.pl = lib.ParameterList([zeros(2), zeros(3)])
        root.pd = lib.ParameterDict({"b": zeros(1), "a": zeros(2)})
        root.md = lib.ModuleDict({"x": linear(1, 1), "y": linear(1, 2)})
        snapshot()
        root.pl.append(zeros(1))
        root.pl.extend([zeros(4), zeros(5)])
        root.pl[1] = zeros(6)
        snapshot()
        root.pd.update({"c": zeros(1), "a": zeros(3)})
        root.pd.update([("d", zeros(2))])
        root.pd.update(OrderedDict([("h", zeros(1)), ("g", zeros(1))]))
        snapshot(root.pd.pop("b"))
        del root.pd["c"]
        root.pd["e"] = zeros(4)
        snapshot()
        root.md.update([("z", linear(2, 1))])
        root.md.update({"x": linear(3, 1)})
        snapshot(root.md.pop("y").weight)
        del root.md["z"]
        snapshot()
        root.pd.clear()
        root.md.clear()
        snapshot()
        root.md.update({"w": linear(1, 1)})
        snapshot(root.pl[-1])
        return seen

    ours = run(nn, lambda n: np.zeros(n), nn.Linear)
    theirs = run(torch.nn, lambda n: torch.zeros(n, dtype=torch.float64), torch.nn.Linear)
    assert ours == theirs

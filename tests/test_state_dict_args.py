"""Module.state_dict's PyTorch arguments (prefix=, destination=, keep_vars=, positional ones
with a FutureWarning), load_state_dict's assign=, and IncompatibleKeys printed as PyTorch
prints it: against torch where it is installed, gradients with tg.gradcheck."""
from __future__ import annotations

import warnings
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, func, nn

X = np.random.default_rng(0).standard_normal((5, 3))


def _ours():
    return nn.Sequential(nn.Linear(3, 4, seed=0), nn.BatchNorm1d(4), nn.Tanh(),
                         nn.Linear(4, 2, seed=1))


def _theirs(torch, ours):
    """The same model in torch, float64, with our model's values."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    model.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return model


def _shifted(model, by=0.5):
    """A state of the model's names and shapes with other values (integer buffers kept)."""
    return {k: v + by if v.dtype.kind == "f" else v for k, v in model.state_dict().items()}


# ------------------------------------------------------------------ state_dict's arguments


def test_keys_order_and_values_match_torch():
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    mine, torchs = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(torchs)
    for name, value in mine.items():
        assert isinstance(value, np.ndarray)
        np.testing.assert_array_equal(value, torchs[name].numpy())


def test_prefix_goes_before_every_name_as_in_torch():
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    assert list(ours.state_dict(prefix="encoder.")) == list(
        theirs.state_dict(prefix="encoder."))
    assert list(ours.state_dict(prefix="encoder."))[0] == "encoder.0.weight"
    assert ours.state_dict(prefix="").keys() == ours.state_dict().keys()


def test_destination_is_filled_in_order_and_returned():
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    mine, torchs = OrderedDict(first=1), OrderedDict(first=1)
    assert ours.state_dict(destination=mine, prefix="a.") is mine
    assert theirs.state_dict(destination=torchs, prefix="a.") is torchs
    assert list(mine) == list(torchs)
    plain = {}
    assert ours[0].state_dict(destination=plain) is plain
    assert ours[3].state_dict(destination=plain, prefix="3.") is plain
    assert list(plain) == ["weight", "bias", "3.weight", "3.bias"]


def test_keep_vars_gives_the_tensors_themselves_as_torch():
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    mine = ours.state_dict(keep_vars=True)
    torchs = theirs.state_dict(keep_vars=True)
    assert list(mine) == list(torchs)
    assert mine["0.weight"] is ours[0].weight and torchs["0.weight"] is theirs[0].weight
    assert mine["1.running_mean"] is ours[1].running_mean
    assert torchs["1.running_mean"] is theirs[1].running_mean
    for name, value in mine.items():
        assert value.requires_grad == torchs[name].requires_grad, name


def test_default_values_are_copies_training_does_not_change():
    model = _ours()
    state = model.state_dict()
    before = {k: v.copy() for k, v in state.items()}
    with tg.no_grad():
        model[0].weight[...] = 7.0
    for name, value in state.items():
        np.testing.assert_array_equal(value, before[name])


def test_tied_weights_are_listed_under_both_names_and_keep_vars_gives_one_tensor():
    model = nn.Sequential(nn.Linear(3, 3, seed=0), nn.Linear(3, 3, seed=1))
    model[1].weight = model[0].weight
    state = model.state_dict(keep_vars=True)
    assert state["0.weight"] is state["1.weight"] is model[0].weight


def test_an_empty_module_gives_an_empty_state_as_torch():
    torch = pytest.importorskip("torch")
    assert nn.Sequential().state_dict(prefix="x.") == {}
    assert dict(torch.nn.Sequential().state_dict(prefix="x.")) == {}
    assert repr(nn.Sequential().load_state_dict({})) == repr(
        torch.nn.Sequential().load_state_dict({}))


def test_float32_values_stay_float32():
    model = _ours().float()
    assert all(v.dtype == np.float32 for k, v in model.state_dict().items()
               if "num_batches" not in k)


def test_positional_arguments_warn_as_torch_and_mean_the_same():
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    with pytest.warns(FutureWarning, match="state_dict.*keywords") as caught:
        mine = ours.state_dict({}, "p.", True)
    assert caught[0].filename == __file__  # shown where state_dict was called
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        torchs = theirs.state_dict({}, "p.", True)
    assert list(mine) == list(torchs)
    assert mine["p.0.weight"] is ours[0].weight
    with pytest.warns(FutureWarning):
        only_destination = {}
        assert ours.state_dict(only_destination) is only_destination
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # keywords never warn
        ours.state_dict(destination={}, prefix="p.", keep_vars=True)


def test_positional_and_keyword_both_given_or_too_many_are_refused():
    model = _ours()
    with pytest.raises(TypeError, match="state_dict: got prefix both positionally"):
        model.state_dict({}, "a.", prefix="b.")
    with pytest.raises(TypeError, match="state_dict: got destination both"):
        model.state_dict({}, destination={})
    with pytest.raises(TypeError, match="at most 3 positional arguments.*got 4"):
        model.state_dict({}, "a.", False, 1)


@pytest.mark.parametrize("kwargs, message", [
    ({"prefix": 3}, "state_dict: prefix must be a str.*got int 3"),
    ({"prefix": None}, "state_dict: prefix must be a str.*NoneType"),
    ({"keep_vars": 1}, "state_dict: keep_vars must be True or False, got int 1"),
    ({"keep_vars": "yes"}, "state_dict: keep_vars must be True or False, got str"),
    ({"destination": []}, "state_dict: destination must be a mutable mapping.*got list"),
    ({"destination": 3}, "state_dict: destination must be a mutable mapping.*got int"),
])
def test_bad_state_dict_arguments_are_one_line_type_errors(kwargs, message):
    with pytest.raises(TypeError, match=message) as info:
        _ours().state_dict(**kwargs)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ load_state_dict(assign=)


def test_assign_replaces_the_tensors_by_new_ones_with_the_states_values():
    model = _ours()
    old = model.state_dict(keep_vars=True)
    state = _shifted(model)
    assert repr(model.load_state_dict(state, assign=True)) == "<All keys matched successfully>"
    new = model.state_dict(keep_vars=True)
    for name, value in state.items():
        assert new[name] is not old[name], name
        assert type(new[name]) is type(old[name]), name
        np.testing.assert_array_equal(new[name].data, value)
    state["0.weight"][...] = 0.0  # the state's arrays were copied
    assert not np.any(model[0].weight.data == 0.0)


def test_assign_false_copies_in_place_as_before():
    model = _ours()
    old = model.state_dict(keep_vars=True)
    state = _shifted(model)
    model.load_state_dict(state, assign=False)
    new = model.state_dict(keep_vars=True)
    assert all(new[name] is old[name] for name in state)
    np.testing.assert_array_equal(model[0].weight.data, state["0.weight"])


def test_assign_matches_torch_values_gradients_and_requires_grad():
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    ours[0].bias.requires_grad_(False)
    theirs[0].bias.requires_grad_(False)
    state = _shifted(ours)
    # a state tensor that requires grad: the module's requires_grad is kept (torch's rule)
    mine_state = {**state, "0.bias": Tensor(state["0.bias"], requires_grad=True)}
    torch_state = {k: torch.tensor(v) for k, v in state.items()}
    torch_state["0.bias"] = torch.nn.Parameter(torch_state["0.bias"])
    ours.load_state_dict(mine_state, assign=True)
    theirs.load_state_dict(torch_state, assign=True)
    for (name, mine), (_, torchs) in zip(ours.state_dict(keep_vars=True).items(),
                                         theirs.state_dict(keep_vars=True).items()):
        assert mine.requires_grad == torchs.requires_grad, name
        assert isinstance(mine, nn.Parameter) == isinstance(torchs, torch.nn.Parameter), name
    ours(Tensor(X)).sum().backward()
    theirs(torch.tensor(X)).sum().backward()
    for (name, mine), (_, torchs) in zip(ours.named_parameters(), theirs.named_parameters()):
        if torchs.grad is None:
            assert mine.grad is None, name
        else:
            np.testing.assert_allclose(mine.grad.data, torchs.grad.numpy(), rtol=1e-10,
                                       err_msg=name)
    for name, value in theirs.state_dict().items():  # the running statistics too
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-10,
                                   err_msg=name)


def test_the_assigned_parameters_pass_gradcheck():
    model = _ours()
    model.load_state_dict(_shifted(model), assign=True)
    model.eval()  # (train mode's batch statistics would update the buffers per call)
    names = [name for name, _ in model.named_parameters()]

    def call(x, *values):
        return func.functional_call(model, dict(zip(names, values)), (x,))
    leaves = [Tensor(X, requires_grad=True)] + [Tensor(p.data, requires_grad=True)
                                                for p in model.parameters()]
    assert tg.gradcheck(call, leaves)


def test_an_optimizer_made_after_assign_trains_the_model_one_made_before_does_not():
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    before_ours = tg.optim.SGD(ours.parameters(), lr=0.1)
    before_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1)
    state = _shifted(ours)
    ours.load_state_dict(state, assign=True)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, assign=True)
    ours(Tensor(X)).sum().backward()
    theirs(torch.tensor(X)).sum().backward()
    before_ours.step()
    before_theirs.step()
    np.testing.assert_array_equal(ours[0].weight.data, state["0.weight"])
    np.testing.assert_array_equal(theirs[0].weight.detach().numpy(), state["0.weight"])
    tg.optim.SGD(ours.parameters(), lr=0.1).step()
    torch.optim.SGD(theirs.parameters(), lr=0.1).step()
    assert not np.array_equal(ours[0].weight.data, state["0.weight"])
    for (name, mine), (_, torchs) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(mine.data, torchs.detach().numpy(), rtol=1e-10,
                                   err_msg=name)


def test_assign_keeps_the_states_dtype_as_torch():
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    state = {k: v.astype(np.float32) if v.dtype.kind == "f" else v
             for k, v in ours.state_dict().items()}
    ours.load_state_dict(state, assign=True)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, assign=True)
    assert ours[0].weight.dtype == np.float32 and theirs[0].weight.dtype == torch.float32
    assert ours[1].running_var.dtype == np.float32
    with pytest.raises(tg.nn.module.StateDictError, match="dtype float32 in the state"):
        _ours().load_state_dict(state)  # assign=False refuses it, as before


def test_assign_keeps_tied_weights_tied_and_frozen_entries_frozen():
    model = nn.Sequential(nn.Linear(3, 3, seed=0), nn.Linear(3, 3, seed=1))
    model[1].weight = model[0].weight
    model[0].weight.freeze_((0, 1))
    state = _shifted(model)
    del state["1.weight"]  # a tied tensor named once is not missing
    assert model.load_state_dict(state, assign=True) == nn.IncompatibleKeys([], [])
    assert model[1].weight is model[0].weight
    np.testing.assert_array_equal(model[0].weight.data, state["0.weight"])
    assert model[0].weight.frozen_mask[0, 1] and model[0].weight.frozen_mask.sum() == 1
    model(Tensor(X)).sum().backward()
    assert model[0].weight.grad.data[0, 1] == 0


def test_assign_replaces_parameters_held_in_lists_and_tuples():
    class Held(nn.Module):
        def __init__(self):
            self.listed = [nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))]
            self.paired = (nn.Parameter(np.ones(2)), nn.Buffer(np.zeros(1)))

    model = Held()
    state = _shifted(model, by=2.0)
    model.load_state_dict(state, assign=True)
    assert isinstance(model.listed, list) and isinstance(model.paired, tuple)
    assert isinstance(model.paired[1], nn.Buffer)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[name])


def test_strict_false_with_assign_loads_the_matching_names_as_torch():
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    state = _shifted(ours)
    del state["0.bias"]
    state["extra"] = np.zeros(2)
    old_bias, old_weight = ours[0].bias, ours[0].weight
    mine = ours.load_state_dict(state, strict=False, assign=True)
    torchs = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()},
                                    strict=False, assign=True)
    assert mine.missing_keys == torchs.missing_keys == ["0.bias"]
    assert mine.unexpected_keys == torchs.unexpected_keys == ["extra"]
    assert repr(mine) == repr(torchs) and str(mine) == str(torchs)
    assert ours[0].bias is old_bias and ours[0].weight is not old_weight


@pytest.mark.parametrize("assign", [False, True])
def test_a_refused_state_changes_nothing(assign):
    model = _ours()
    old = model.state_dict(keep_vars=True)
    values = model.state_dict()
    wrong_shape = {**_shifted(model), "3.bias": np.zeros(5)}
    missing = _shifted(model)
    del missing["0.bias"]
    for state in (wrong_shape, missing):
        with pytest.raises(RuntimeError, match="load_state_dict: .*nothing was loaded"):
            model.load_state_dict(state, assign=assign)
    new = model.state_dict(keep_vars=True)
    for name, value in values.items():
        assert new[name] is old[name]
        np.testing.assert_array_equal(new[name].data, value)


def test_assign_refuses_integers_for_a_parameter_that_learns():
    model = nn.Linear(2, 2, seed=0)
    state = {"weight": np.ones((2, 2), dtype=np.int64), "bias": np.zeros(2)}
    with pytest.raises(RuntimeError, match="weight: dtype int64 in the state, but a "
                                           "parameter that learns needs a float dtype"):
        model.load_state_dict(state, assign=True)


@pytest.mark.parametrize("kwargs, message", [
    ({"strict": "yes"}, "load_state_dict: strict must be True or False, got str"),
    ({"assign": 1}, "load_state_dict: assign must be True or False, got int 1"),
])
def test_bad_load_flags_are_type_errors(kwargs, message):
    model = _ours()
    with pytest.raises(TypeError, match=message):
        model.load_state_dict(model.state_dict(), **kwargs)


# ------------------------------------------------------------------ IncompatibleKeys


@pytest.mark.parametrize("drop, add", [((), ()), (("0.bias",), ()), ((), ("extra",)),
                                       (("0.bias", "3.weight"), ("extra", "more"))])
def test_incompatible_keys_print_as_torchs(drop, add):
    torch = pytest.importorskip("torch")
    ours = _ours()
    theirs = _theirs(torch, ours)
    state = {k: v for k, v in ours.state_dict().items() if k not in drop}
    state.update({name: np.zeros(1) for name in add})
    mine = ours.load_state_dict(state, strict=False)
    torchs = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()},
                                    strict=False)
    assert repr(mine) == repr(torchs)
    assert str(mine) == str(torchs)
    assert mine == (list(drop), list(add)) == tuple(torchs)
    missing, unexpected = mine
    assert (missing, unexpected) == (mine.missing_keys, mine.unexpected_keys)


def test_incompatible_keys_repr_without_torch():
    assert repr(nn.IncompatibleKeys([], [])) == "<All keys matched successfully>"
    assert str(nn.IncompatibleKeys(["a"], [])) == (
        "_IncompatibleKeys(missing_keys=['a'], unexpected_keys=[])")


def test_a_lazy_layer_loads_with_assign():
    source = tg.nn.Linear(3, 2, seed=0)
    lazy = tg.nn.LazyLinear(2)
    result = lazy.load_state_dict(source.state_dict(), assign=True)
    assert repr(result) == "<All keys matched successfully>"
    assert lazy.weight.shape == (3, 2)[::-1] and isinstance(lazy.weight, tg.nn.Parameter)
    np.testing.assert_array_equal(lazy.weight.numpy(), source.weight.numpy())
    lazy(tg.ones(1, 3)).sum().backward()
    assert lazy.weight.grad.shape == (2, 3)


def test_get_submodule_and_get_parameter_find_what_a_list_attribute_holds():
    # a module or parameter kept in a plain list is named `layers.0` (one member), as
    # named_parameters() lists it; get_submodule("layers.0") and get_parameter(
    # "layers.0.weight") looked for a member `layers` and failed
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 3), nn.Linear(3, 1)]
            self.scales = [nn.Parameter(tg.ones(2))]

    model = Holder()
    assert model.get_submodule("layers.1") is model.layers[1]
    for name, parameter in model.named_parameters():
        assert model.get_parameter(name) is parameter
    with pytest.raises(AttributeError, match=r"^get_submodule: Holder has no member named "
                                             r"'layers' \(in 'layers.2'\)"):
        model.get_parameter("layers.2.weight")
    with pytest.raises(AttributeError, match=r"^get_parameter: 'layers.0.nope' is not a "
                                             r"Parameter of Holder"):
        model.get_parameter("layers.0.nope")

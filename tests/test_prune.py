"""nn.utils.prune against torch 2.13 (masks, names, state_dict, forward, gradients, remove,
iterative and global pruning, a method of one's own, training a pruned layer, errors), and
what it needs of Module as PyTorch's: the forward hooks kept as {id: hook}, the repr of a
module with an extra_repr and children, and `.to('meta')`."""
from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn.utils import prune


def _twin(torch, ours, theirs, dtype=np.float64):
    """(ours, theirs): torch's layer in `dtype`, ours given its values."""
    theirs = theirs.to(getattr(torch, np.dtype(dtype).name))
    ours = ours.to(dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _conv(torch, dtype=np.float64):
    torch.manual_seed(0)
    return _twin(torch, nn.Conv2d(3, 6, 3), torch.nn.Conv2d(3, 6, 3), dtype)


def _same_state(ours, theirs):
    """The same state_dict names, in the same order, with the same values."""
    mine, torch_state = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(torch_state)
    for name, value in mine.items():
        np.testing.assert_array_equal(value, torch_state[name].numpy(), err_msg=name)


def _names(named):
    return [name for name, _ in named]


METHODS = [("l1_unstructured", dict(amount=0.3)), ("l1_unstructured", dict(amount=7)),
           ("ln_structured", dict(amount=2, n=2, dim=0)),
           ("ln_structured", dict(amount=0.5, n=1, dim=1)),
           ("ln_structured", dict(amount=1, n=math.inf, dim=-1)),
           ("ln_structured", dict(amount=1, n=-math.inf, dim=2)),
           ("ln_structured", dict(amount=0.0, n=2, dim=0)),
           ("identity", {})]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("function,kwargs", METHODS)
def test_each_method_as_torchs(function, kwargs, dtype):
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    ours, theirs = _conv(torch, dtype)
    assert getattr(prune, function)(ours, "weight", **kwargs) is ours
    getattr(tprune, function)(theirs, "weight", **kwargs)
    _same_state(ours, theirs)
    assert _names(ours.named_parameters()) == _names(theirs.named_parameters())
    assert _names(ours.named_buffers()) == _names(theirs.named_buffers())
    assert ours.weight_mask.dtype == dtype and not isinstance(ours.weight, nn.Parameter)
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(dtype)
    out, tout = ours(tg.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.pow(2).sum().backward()
    tout.pow(2).sum().backward()
    np.testing.assert_allclose(ours.weight_orig.grad.numpy(), theirs.weight_orig.grad.numpy(),
                               rtol=1e-5, atol=1e-6)
    assert np.all(ours.weight_orig.grad.numpy()[ours.weight_mask.numpy() == 0] == 0)
    prune.remove(ours, "weight")
    tprune.remove(theirs, "weight")
    _same_state(ours, theirs)
    assert isinstance(ours.weight, nn.Parameter) and not prune.is_pruned(ours)


@pytest.mark.parametrize("n", ["fro", "nuc", None, 3, -1])  # (0: every count ties)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_ln_structured_norms_as_torchs(n, dim):
    """torch.norm's orders over the two axes besides dim of a Conv1d weight."""
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    torch.manual_seed(2)
    ours, theirs = _twin(torch, nn.Conv1d(4, 5, 3), torch.nn.Conv1d(4, 5, 3))
    prune.ln_structured(ours, "weight", 0.4, n, dim)
    tprune.ln_structured(theirs, "weight", 0.4, n, dim)
    _same_state(ours, theirs)


def test_l1_ties_and_importance_scores_as_torchs():
    """Ties away from the cut, and scores given: torch's masks (a tie at the cut is ours)."""
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    ours, theirs = _twin(torch, nn.Linear(4, 3), torch.nn.Linear(4, 3))
    scores = np.array([[1., 1, 1, 5], [2, 2, 6, 7], [9, 8, 3, 3]])
    prune.l1_unstructured(ours, "weight", amount=5, importance_scores=tg.tensor(scores))
    tprune.l1_unstructured(theirs, "weight", amount=5, importance_scores=torch.tensor(scores))
    _same_state(ours, theirs)
    ours, theirs = _twin(torch, nn.Linear(4, 3), torch.nn.Linear(4, 3))
    prune.ln_structured(ours, "weight", 1, 1, 1, importance_scores=tg.tensor(scores))
    tprune.ln_structured(theirs, "weight", 1, 1, 1, importance_scores=torch.tensor(scores))
    _same_state(ours, theirs)
    # a tie at the cut: the lowest index pruned first (documented)
    layer = nn.Linear(4, 1)
    prune.l1_unstructured(layer, "weight", 2, importance_scores=tg.ones(1, 4))
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[0, 0, 1, 1]])


def test_iterative_pruning_combines_masks_as_torchs():
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    ours, theirs = _conv(torch)
    steps = [("ln_structured", dict(amount=0.5, n=2, dim=0)),
             ("l1_unstructured", dict(amount=0.3)), ("ln_structured", dict(amount=1, n=1, dim=1)),
             ("l1_unstructured", dict(amount=4)), ("ln_structured", dict(amount=0.5, n=2, dim=0))]
    for function, kwargs in steps:
        getattr(prune, function)(ours, "weight", **kwargs)
        getattr(tprune, function)(theirs, "weight", **kwargs)
        _same_state(ours, theirs)
    tprune.custom_from_mask(theirs, "bias", torch.tensor([0, 1, 0, 1, 1, 1]))
    prune.custom_from_mask(ours, "bias", np.array([0, 1, 0, 1, 1, 1]))
    _same_state(ours, theirs)
    hook = next(h for h in ours._forward_pre_hooks.values() if h._tensor_name == "weight")
    assert isinstance(hook, prune.PruningContainer) and len(hook) == len(steps)
    assert [type(m).__name__ for m in hook] == [
        "LnStructured", "L1Unstructured", "LnStructured", "L1Unstructured", "LnStructured"]
    assert isinstance(hook[-1], prune.LnStructured) and hook[1].amount == 0.3
    assert list(ours._forward_pre_hooks.values())[-1] is ours._forward_pre_hooks[
        list(ours._forward_pre_hooks)[-1]]
    tout, out = theirs(torch.ones(1, 3, 5, 5, dtype=torch.float64)), ours(tg.ones(1, 3, 5, 5))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12)


def test_random_methods_prune_the_counts_asked_reproducibly():
    """Drawn from tg.manual_seed's generator (not torch's draws): the counts, structure and
    the container rules are torch's."""
    masks = []
    for _ in range(2):
        tg.manual_seed(3)
        layer = nn.Linear(10, 8)
        prune.random_unstructured(layer, "weight", amount=0.25)
        assert int((layer.weight_mask == 0).sum()) == 20
        before = layer.weight_mask.numpy()
        prune.random_structured(layer, "weight", amount=3, dim=1)  # 3 of the columns left
        columns = (layer.weight_mask.numpy() == 0).all(axis=0)
        assert columns.sum() == (before == 0).all(axis=0).sum() + 3
        assert np.all(layer.weight_mask.numpy()[before == 0] == 0)
        zeros = int((layer.weight_mask == 0).sum())
        prune.random_unstructured(layer, "weight", amount=5)  # 5 of the entries left
        assert int((layer.weight_mask == 0).sum()) == zeros + 5
        masks.append(layer.weight_mask.numpy())
    np.testing.assert_array_equal(*masks)


def test_global_unstructured_as_torchs():
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    torch.manual_seed(1)
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    ours = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    ours, theirs = _twin(torch, ours, theirs)
    prune.l1_unstructured(ours[0], "weight", 4)  # a mask there already
    tprune.l1_unstructured(theirs[0], "weight", 4)
    scores = np.arange(15.0).reshape(3, 5)[::-1].copy()
    prune.global_unstructured([(ours[0], "weight"), (ours[2], "weight"), (ours[2], "bias")],
                              prune.L1Unstructured, {(ours[2], "weight"): tg.tensor(scores)},
                              amount=0.4)
    tprune.global_unstructured(
        [(theirs[0], "weight"), (theirs[2], "weight"), (theirs[2], "bias")],
        tprune.L1Unstructured, {(theirs[2], "weight"): torch.tensor(scores)}, amount=0.4)
    _same_state(ours, theirs)
    pruned = sum(int((b == 0).sum()) for b in ours.buffers())
    assert pruned == 4 + round(0.4 * (30 + 15 + 3 - 4))


def test_a_pruning_method_of_ones_own():
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    layers = []
    for lib, module in ((torch, tprune), (tg, prune)):
        class FooBarPruningMethod(module.BasePruningMethod):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.flatten()[::2] = 0
                return mask
        layer = lib.nn.Linear(3, 3)
        FooBarPruningMethod.apply(layer, "weight")
        FooBarPruningMethod.apply(layer, "weight")  # on the entries left
        layers.append(layer)
        assert module.is_pruned(layer)
    np.testing.assert_array_equal(layers[1].weight_mask.numpy(), layers[0].weight_mask.numpy())
    with pytest.raises(TypeError, match="abstract"):
        prune.BasePruningMethod()


def test_pruned_layer_gradcheck():
    tg.manual_seed(0)
    layer = nn.Linear(4, 3)
    prune.l1_unstructured(layer, "weight", amount=0.5)
    x = tg.randn(2, 4, requires_grad=True)

    def f(x, weight_orig, bias):
        return tg.func.functional_call(layer, {"weight_orig": weight_orig, "bias": bias},
                                       (x,)).tanh()
    assert tg.gradcheck(f, (x, layer.weight_orig, layer.bias))
    method = prune.LnStructured(1, 2, dim=0)
    w = tg.randn(3, 4, requires_grad=True)
    assert tg.gradcheck(lambda w: method.prune(w), (w,))


def test_an_optimizer_trains_a_pruned_layer_pruned_weights_stay_zero():
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    torch.manual_seed(0)
    ours, theirs = _twin(torch, nn.Linear(5, 2), torch.nn.Linear(5, 2))
    weight = ours.weight
    optimizer = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)  # made before pruning
    toptimizer = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    prune.l1_unstructured(ours, "weight", 0.5)
    tprune.l1_unstructured(theirs, "weight", 0.5)
    assert ours.weight_orig is weight
    x = np.random.default_rng(1).standard_normal((4, 5))
    for _ in range(3):
        for model, opt, inputs in ((ours, optimizer, tg.tensor(x)),
                                   (theirs, toptimizer, torch.tensor(x))):
            opt.zero_grad()
            model(inputs).pow(2).mean().backward()
            opt.step()
        ours(tg.tensor(x))
        assert np.all(ours.weight.numpy()[ours.weight_mask.numpy() == 0] == 0)
        np.testing.assert_allclose(ours.weight_orig.numpy(), theirs.weight_orig.detach().numpy(),
                                   rtol=1e-12)
    prune.remove(ours, "weight")
    tprune.remove(theirs, "weight")
    assert ours.weight is weight and list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


def test_a_pruned_model_is_copied_pickled_and_loaded():
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    ours, theirs = _conv(torch)
    prune.ln_structured(ours, "weight", 2, 2, 0)
    tprune.ln_structured(theirs, "weight", 2, 2, 0)
    x = tg.ones(1, 3, 4, 4)
    for copied in (copy.deepcopy(ours), pickle.loads(pickle.dumps(ours))):
        np.testing.assert_array_equal(copied(x).numpy(), ours(x).numpy())
        assert prune.is_pruned(copied)
    fresh = nn.Conv2d(3, 6, 3)
    prune.identity(fresh, "weight")
    fresh.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(fresh(x).numpy(), ours(x).numpy())


def test_float32_kept():
    layer = nn.Linear(3, 2).float()
    prune.ln_structured(layer, "weight", 1, 2, 0)
    out = layer(tg.ones(1, 3, dtype=np.float32))
    assert layer.weight_mask.dtype == np.float32 and out.dtype == np.float32


@pytest.mark.parametrize("call,error,message", [
    (lambda m: prune.l1_unstructured(m, "weight", 1.5), ValueError,
     r"amount=1\.5 should either be a float in the range \[0, 1\] or a non-negative integer"),
    (lambda m: prune.l1_unstructured(m, "weight", -1), ValueError, "amount=-1 should either"),
    (lambda m: prune.random_unstructured(m, "weight", "a"), TypeError,
     "invalid type for amount: 'a'. Must be int or float"),
    (lambda m: prune.l1_unstructured(m, "weight", True), TypeError, "invalid type for amount"),
    (lambda m: prune.l1_unstructured(m, "weight", 13), ValueError,
     "amount=13 should be smaller than the number of parameters to prune=12"),
    (lambda m: prune.ln_structured(m, "bias", 1, 2, 0), ValueError,
     r"structured pruning can only be applied to multidimensional tensors.*\(3,\) with 1"),
    (lambda m: prune.ln_structured(m, "weight", 1, 2, 2), IndexError,
     r"invalid index 2 for tensor of size \(3, 4\); give a dim from -2 to 1"),
    (lambda m: prune.random_structured(m, "weight", 1, -3), IndexError, "invalid index -3"),
    (lambda m: prune.ln_structured(m, "weight", 1, "abc", 0), RuntimeError,
     "order n='abc' is not supported"),
    (lambda m: prune.ln_structured(m, "weight", 1, "nuc", 0), RuntimeError,
     "n='nuc' needs exactly two axes besides dim"),
    (lambda m: prune.remove(m, "weight"), ValueError,
     "parameter 'weight' of module Linear has to be pruned before pruning can be removed"),
    (lambda m: prune.l1_unstructured(m, "foo", 1), AttributeError, "foo"),
    (lambda m: prune.l1_unstructured(m, "weight", 1, importance_scores=tg.ones(2)), ValueError,
     r"importance_scores should have the same shape as parameter weight of Linear, got "
     r"\(2,\) vs \(3, 4\)"),
    (lambda m: prune.custom_from_mask(m, "bias", np.ones(2)), AssertionError,
     r"default_mask shape \(3,\) must match self.mask shape \(2,\)"),
    (lambda m: prune.global_unstructured([(m, "weight")], prune.LnStructured, amount=1, n=2),
     TypeError, 'only "unstructured" PRUNING_TYPE supported'),
    (lambda m: prune.global_unstructured(m, prune.L1Unstructured, amount=1), TypeError,
     "parameters is not an Iterable"),
    (lambda m: prune.global_unstructured([(m, "weight")], prune.L1Unstructured, [], amount=1),
     TypeError, "importance_scores must be of type dict"),
    (lambda m: prune.PruningContainer(prune.Identity()).add_pruning_method(3), TypeError,
     "is not a BasePruningMethod subclass"),
])
def test_bad_input_is_refused_in_one_line_and_changes_nothing(call, error, message):
    layer = nn.Linear(4, 3)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    with pytest.raises(error, match=message):
        call(layer)
    assert layer.state_dict().keys() == before.keys() and not prune.is_pruned(layer)


def test_errors_are_torchs_types():
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    cases = [("l1_unstructured", ("weight", 1.5)), ("l1_unstructured", ("weight", 13)),
             ("random_unstructured", ("weight", "a")), ("ln_structured", ("bias", 1, 2, 0)),
             ("ln_structured", ("weight", 1, 2, 2)), ("ln_structured", ("weight", 1, "abc", 0)),
             ("remove", ("weight",)), ("l1_unstructured", ("foo", 1))]
    for function, args in cases:
        kinds = []
        for module, layer in ((prune, nn.Linear(4, 3)), (tprune, torch.nn.Linear(4, 3))):
            with pytest.raises(Exception) as caught:
                getattr(module, function)(layer, *args)
            kinds.append(caught.type)
        assert issubclass(kinds[0], kinds[1]), (function, args, kinds)
    with pytest.raises(TypeError, match=r"running_mean is a Buffer, not a Parameter"):
        prune.l1_unstructured(nn.BatchNorm1d(3), "running_mean", 1)
    with pytest.raises(TypeError):
        tprune.l1_unstructured(torch.nn.BatchNorm1d(3), "running_mean", 1)


def test_a_failed_second_pruning_keeps_the_first():
    layer = nn.Linear(4, 3)
    prune.l1_unstructured(layer, "weight", 2)
    hook, mask = list(layer._forward_pre_hooks.values()), layer.weight_mask.numpy().copy()
    with pytest.raises(ValueError, match="should be smaller"):
        prune.l1_unstructured(layer, "weight", 11)  # 10 left
    assert list(layer._forward_pre_hooks.values()) == hook
    np.testing.assert_array_equal(layer.weight_mask.numpy(), mask)
    prune.l1_unstructured(layer, "weight", 10)
    assert int(layer.weight_mask.sum()) == 0 and len(layer._forward_pre_hooks[
        list(layer._forward_pre_hooks)[0]]) == 2


# ------------------------------------------------------------------ Module as PyTorch's


def test_forward_hooks_are_kept_as_pytorchs():
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (torch, tg):
        layer = lib.nn.Linear(2, 2)
        assert len(layer._forward_pre_hooks) == len(layer._forward_hooks) == 0
        first = layer.register_forward_pre_hook(lambda m, args: None)
        second = layer.register_forward_pre_hook(lambda m, args, kwargs: None, with_kwargs=True,
                                                 prepend=True)
        after = layer.register_forward_hook(lambda m, args, kwargs, out: None, with_kwargs=True)
        hooks = layer._forward_pre_hooks
        state = (type(hooks).__name__, list(hooks) == [second.id, first.id],
                 list(layer._forward_pre_hooks_with_kwargs.items()) == [(second.id, True)],
                 list(layer._forward_hooks_with_kwargs.items()) == [(after.id, True)],
                 [callable(h) for h in hooks.values()])
        second.remove()
        after.remove()
        state += (list(hooks) == [first.id], len(layer._forward_pre_hooks_with_kwargs),
                  len(layer._forward_hooks_with_kwargs), len(layer._forward_hooks))
        seen.append(state)
    assert seen[0] == seen[1]


def test_the_tutorials_hook_selection():
    layer = nn.Conv2d(1, 2, 3)
    prune.random_unstructured(layer, name="weight", amount=0.3)
    prune.l1_unstructured(layer, name="bias", amount=1)
    prune.ln_structured(layer, name="weight", amount=0.5, n=2, dim=0)
    for hook in layer._forward_pre_hooks.values():
        if hook._tensor_name == "weight":
            break
    assert [type(m).__name__ for m in hook] == ["RandomUnstructured", "LnStructured"]


class _Lines(nn.Module):
    def __init__(self, children):
        super().__init__()
        if children:
            self.inner = nn.Linear(1, 1)

    def extra_repr(self):
        return "first=1,\nsecond=2"


@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.Linear(2, 3),
    lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Sequential(lib.nn.ReLU())),
    lambda lib: lib.nn.Sequential(),
    lambda lib: lib.nn.LSTM(2, 3, num_layers=2),
])
def test_repr_as_pytorchs(build):
    torch = pytest.importorskip("torch")
    assert repr(build(tg)) == repr(build(torch))


def test_repr_of_an_extra_repr_beside_children_as_pytorchs():
    torch = pytest.importorskip("torch")
    layers = []
    for lib in (tg, torch):
        layer = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(layer, "weight", lib.nn.Identity())
        layers.append(layer)

    class TorchLines(torch.nn.Module):
        def __init__(self, children):
            super().__init__()
            if children:
                self.inner = torch.nn.Linear(1, 1)

        def extra_repr(self):
            return "first=1,\nsecond=2"
    assert repr(layers[0]) == repr(layers[1])
    for children in (False, True):
        assert repr(_Lines(children)).replace("_Lines", "TorchLines") == repr(
            TorchLines(children))


@pytest.mark.parametrize("args,kwargs", [(("meta",), {}), ((), {"device": "meta"}),
                                         (("meta", np.float32), {})])
def test_to_meta_returns_the_module_itself(args, kwargs):
    model = nn.Linear(3, 2)
    weight = model.weight
    assert model.to(*args, **kwargs) is model and model.weight is weight
    assert model.weight.dtype == (np.float32 if len(args) == 2 else np.float64)
    base = copy.deepcopy(model).to("meta")
    x = tg.randn(4, 3)
    params = {k: v.detach() for k, v in model.named_parameters()}
    np.testing.assert_array_equal(tg.func.functional_call(base, params, (x,)).numpy(),
                                  model(x).numpy())


def test_to_a_torch_meta_device():
    torch = pytest.importorskip("torch")
    model = nn.Linear(3, 2)
    assert model.to(torch.device("meta")) is model
    with pytest.raises(TypeError, match="runs on the CPU only"):
        model.to("cuda")


@pytest.mark.parametrize("function,args", [("l1_unstructured", (0.5,)),
                                           ("l1_unstructured", (0,)),
                                           ("random_unstructured", (0.5,)),
                                           ("ln_structured", (0, 2, 0))])
@pytest.mark.parametrize("shape", [(3, 0), (3, 2)])
def test_empty_and_zero_amounts_as_torchs(function, args, shape):
    torch = pytest.importorskip("torch")
    tprune = pytest.importorskip("torch.nn.utils.prune")
    ours, theirs = nn.Module(), torch.nn.Module()
    ours.register_parameter("weight", nn.Parameter(np.ones(shape)))
    theirs.register_parameter("weight", torch.nn.Parameter(torch.ones(shape, dtype=torch.float64)))
    getattr(prune, function)(ours, "weight", *args)
    getattr(tprune, function)(theirs, "weight", *args)
    if 0 in shape or args[0] == 0:
        _same_state(ours, theirs)
    assert ours.weight.shape == shape and list(ours.state_dict()) == list(theirs.state_dict())

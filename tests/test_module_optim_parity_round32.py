"""What a PyTorch user calls on a Module, an Optimizer and a Tensor, and tinygrad_gd lacked
(thirty-second round), each against PyTorch 2.13:

- every public name of `torch.nn.Module`, `torch.optim.Optimizer` and `torch.Tensor` is
  ours too, but those left out on purpose, each listed with why;
- `Module.type`, `cpu`, `to_empty`, `share_memory`, `compile`, `set_submodule`,
  `get_extra_state`/`set_extra_state` (the `_extra_state` entry of state_dict and
  load_state_dict), `call_super_init`, and the moves refused as the tensor's are (`cuda`,
  `xpu`, `ipu`, `mtia`, `bfloat16`);
- the optimizer's step, state_dict and load_state_dict hooks: their signatures, the order
  they run in, what their return values do, `prepend=`, handles, copies without them;
  step hooks kept by the class's step (a step taken or wrapped before a registration runs
  them, an optimizer with hooks is freed without the garbage collector), once per call
  where a subclass's step calls super().step() or is decorated with profile_hook_step;
  `add_param_group` of an empty group beside named groups refused, as PyTorch's;
- the tensor's device facts (`is_xpu`, ...), its complex casts refused, `to_dense()`,
  and the deprecated `resize`/`resize_as`.
"""
from __future__ import annotations

import copy
import gc
import inspect
import os
import pickle
import re
import sys
import types
import typing
import warnings
import weakref

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim

torch = pytest.importorskip("torch")

# -- every name, or left out with why -------------------------------------------------------
_SPARSE = "sparse layouts: every tensor here is dense and strided"
_QUANTIZED = "quantized dtypes: none here"
LEFT_OUT = {
    "Tensor": {
        **{name: _SPARSE for name in (
            "ccol_indices", "coalesce", "col_indices", "crow_indices", "dense_dim", "indices",
            "is_coalesced", "resize_as_sparse_", "row_indices", "smm", "sparse_dim",
            "sparse_mask", "sparse_resize_", "sparse_resize_and_clear_", "sspaddmm",
            "to_sparse", "to_sparse_bsc", "to_sparse_bsr", "to_sparse_coo", "to_sparse_csc",
            "to_sparse_csr", "values", "to_padded_tensor")},
        **{name: _QUANTIZED for name in (
            "dequantize", "int_repr", "q_per_channel_axis", "q_per_channel_scales",
            "q_per_channel_zero_points", "q_scale", "q_zero_point", "qscheme")},
        "to_mkldnn": "oneDNN's layout: none here",
        "stft": "complex output: no complex dtype here",
        "istft": "complex input: no complex dtype here",
        "as_subclass": "a view as another Tensor subclass, sharing storage: not kept here",
        "set_": "pointing a tensor at another's storage: tensors here own their values",
        "is_set_to": "storage identity, which set_ (left out) makes",
        "record_stream": "CUDA streams: no GPU here",
        "module_load": "load_state_dict's swap_tensors hook, not used here",
        "grad_dtype": "a gradient of another dtype than its tensor: not kept here",
        "hash_tensor": "a hash of the values, new in PyTorch 2.13 and undocumented",
        "index": "not a method in PyTorch's documentation (a stub of its bindings)",
        "slice_inverse": "an internal of PyTorch's compiler, undocumented",
        "eig": "removed from PyTorch (it raises): tg.linalg.eig",
        "lstsq": "removed from PyTorch (it raises): tg.linalg.lstsq",
        "solve": "removed from PyTorch (it raises): tg.linalg.solve",
        "symeig": "removed from PyTorch (it raises): tg.linalg.eigh",
        "reinforce": "removed from PyTorch long ago (it raises)",
        "volatile": "removed from PyTorch long ago (a warning, always False)",
    },
    "Module": {},
    "Optimizer": {},
}


_TYPING_HOMES = ("typing", "typing_extensions", "collections.abc")


def _typing_helper(name: str, value: object) -> bool:
    """Whether `name` is Python's typing machinery that a PyTorch module imported for its
    annotations (Callable, Optional, TYPE_CHECKING, cast), not a name of its own API
    (torch.nn.Container, though typing has a Container, is one)."""
    return hasattr(typing, name) and (value is getattr(typing, name) or getattr(
        value, "__module__", None) in _TYPING_HOMES)


def _missing(theirs: object, ours: object) -> list[str]:
    """The public names of PyTorch's class or namespace `theirs` that `ours` lacks: not
    those starting with "_", nor a namespace's submodules or typing helpers."""
    return sorted(n for n in dir(theirs) if not n.startswith("_") and not hasattr(ours, n)
                  and not isinstance(getattr(theirs, n), types.ModuleType)
                  and not _typing_helper(n, getattr(theirs, n)))


@pytest.mark.parametrize("kind", ["Module", "Optimizer", "Tensor"])
def test_every_public_name_of_pytorchs_class_is_ours_or_left_out_with_why(kind):
    theirs, ours = {"Module": (torch.nn.Module, nn.Module),
                    "Optimizer": (torch.optim.Optimizer, optim.Optimizer),
                    "Tensor": (torch.Tensor, tg.Tensor)}[kind]
    missing = _missing(theirs, ours)
    assert [n for n in missing if n not in LEFT_OUT[kind]] == []
    # the list stays true: each name left out is PyTorch's, and not ours
    assert [n for n in LEFT_OUT[kind] if not hasattr(theirs, n) or hasattr(ours, n)] == []


# -- Module: dtypes and devices ---------------------------------------------------------------
def _pair(seed: int = 0):
    """A BatchNorm1d of each library, the same values, statistics after one batch."""
    x = np.random.default_rng(seed).standard_normal((5, 3))
    ours, theirs = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3).double()
    ours(tg.tensor(x)), theirs(torch.tensor(x))
    return ours, theirs


@pytest.mark.parametrize("dst", ["float32", "torch.FloatTensor", "torch.DoubleTensor",
                                 "torch.float32"])
def test_module_type_converts_every_parameter_and_buffer_as_pytorchs(dst):
    ours, theirs = _pair()
    weight = ours.weight
    their_dst = dst if "Tensor" in dst else getattr(torch, dst.removeprefix("torch."))
    assert ours.type(dst if "Tensor" in dst else their_dst if "." in dst else np.dtype(dst)) \
        is ours
    assert theirs.type(their_dst) is theirs
    assert ours.weight is weight  # (in place, the same objects)
    for (name, a), (_, b) in zip(ours.state_dict(keep_vars=True).items(),
                                 theirs.state_dict(keep_vars=True).items()):
        assert a.dtype == np.dtype(str(b.dtype).removeprefix("torch.")), name  # ints too
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-6)


def test_module_type_to_an_integer_dtype_is_refused_before_anything_changes():
    ours, theirs = _pair()
    with pytest.raises(RuntimeError):
        theirs.type(torch.int64)  # (PyTorch's: a parameter that learns must be a float)
    with pytest.raises(TypeError, match=r"^Module\.type: a model's parameters are floats, so "
                                        r"the dtype must be a float dtype, got int64; pass"):
        ours.type(np.int64)
    assert ours.running_mean.dtype == np.float64 and ours.num_batches_tracked.dtype == np.int64


def test_cpu_and_to_empty_return_the_model_its_tensors_kept_as_pytorchs():
    ours, theirs = _pair()
    before = {name: t.numpy().copy() for name, t in ours.state_dict(keep_vars=True).items()}
    weight = ours.weight
    assert ours.cpu() is ours and theirs.cpu() is theirs
    assert ours.to_empty(device="cpu") is ours and theirs.to_empty(device="cpu") is theirs
    assert ours.to_empty(device="meta", recurse=False) is ours
    assert ours.weight is weight and theirs.weight is theirs.weight
    for name, t in ours.state_dict().items():  # (here the values are those memory held)
        np.testing.assert_array_equal(t, before[name])
        assert t.shape == tuple(theirs.state_dict()[name].shape)
    for model in (ours, theirs):
        with pytest.raises(TypeError, match="device"):
            model.to_empty()  # (device is required, a keyword, as PyTorch's)
    with pytest.raises(TypeError, match=r"^Module\.to_empty: expected the device 'cpu', got "
                                        r"str 'cuda'; tinygrad_gd runs on the CPU only"):
        ours.to_empty(device="cuda")


@pytest.mark.parametrize("name, device", [("cuda", "GPU"), ("xpu", "Intel GPU \\(XPU\\)"),
                                          ("ipu", "Graphcore IPU"),
                                          ("mtia", "MTIA accelerator")])
def test_moves_to_other_devices_are_refused_in_one_line_for_a_model_and_a_tensor(name, device):
    model, x = nn.Linear(2, 2), tg.ones(2)
    with pytest.raises(RuntimeError, match=rf"^Module\.{name}: there is no {device} here, "
                                           r"tinygrad_gd computes on the CPU; leave the model "
                                           r"where it is \(model, or model\.cpu\(\)\)$"):
        getattr(model, name)()
    with pytest.raises(RuntimeError, match=rf"^{name}: there is no {device} here, .*\(x, or "
                                           r"x\.cpu\(\)\)$"):
        getattr(x, name)()
    assert list(inspect.signature(getattr(nn.Module, name)).parameters) == \
        list(inspect.signature(torch.nn.Module.cuda).parameters)


def test_bfloat16_and_share_memory_of_a_model_are_refused_as_the_tensors_are():
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"^Module\.bfloat16: NumPy has no bfloat16 dtype; "
                                        r"use model\.half\(\) \(float16\)"):
        model.bfloat16()
    with pytest.raises(TypeError, match=r"^bfloat16: NumPy has no bfloat16 dtype"):
        tg.ones(2).bfloat16()
    with pytest.raises(RuntimeError, match=r"^Module\.share_memory: tinygrad_gd has no "
                                           r"shared-memory tensors"):
        model.share_memory()
    assert model.weight.dtype == np.float64


def test_compile_returns_none_and_the_model_computes_as_before():
    model = nn.Linear(3, 2)
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    before = model(x).numpy()
    assert inspect.signature(torch.nn.Module.compile).return_annotation in (None, "None")
    assert model.compile() is None and model.compile(fullgraph=True, mode="max-autotune") is None
    np.testing.assert_array_equal(model(x).numpy(), before)


def test_call_super_init_passes_the_arguments_on_as_pytorchs():
    for lib in (nn, torch.nn):
        got = []

        class Mixin:
            def __init__(self, *args, **kwargs):
                got.append((args, kwargs))

        class Passing(lib.Module, Mixin):
            call_super_init = True

        class Plain(lib.Module):
            def __init__(self):
                super().__init__(1)

        Passing(1, z=2)
        assert got == [((1,), {"z": 2})]
        with pytest.raises(TypeError):
            Plain()
        assert lib.Module.call_super_init is False and lib.Module.dump_patches is False
        assert lib.Module.T_destination.__name__ == "T_destination"
    with pytest.raises(TypeError, match=r"^Module\.__init__: takes no arguments, got 1 "
                                        r"positional"):
        nn.Module.__init__(nn.Module(), 1)


# -- Module: set_submodule ----------------------------------------------------------------------
def _tree(lib):
    """A(net_b(net_c(conv), linear)), PyTorch's docstring's example."""
    net_c = lib.Module()
    net_c.conv = lib.Conv2d(3, 3, 3)
    net_b = lib.Module()
    net_b.net_c, net_b.linear = net_c, lib.Linear(3, 3)
    a = lib.Module()
    a.net_b = net_b
    a.scale = 2.0
    return a


def _names(model):
    return [(name, type(m).__name__) for name, m in model.named_modules()]


@pytest.mark.parametrize("target, strict", [("net_b.net_c.conv", True), ("net_b.net_c.conv", False),
                                            ("net_b.conv", False), ("extra", False),
                                            ("net_b", True)])
def test_set_submodule_replaces_or_adds_as_pytorchs(target, strict):
    ours, theirs = _tree(nn), _tree(torch.nn)
    new, their_new = nn.Linear(1, 1), torch.nn.Linear(1, 1)
    assert ours.set_submodule(target, new, strict) is None
    theirs.set_submodule(target, their_new, strict)
    assert _names(ours) == _names(theirs)
    assert ours.get_submodule(target) is new


@pytest.mark.parametrize("target, module, strict, error, ours_says", [
    ("", "linear", False, ValueError, r"target must be the dotted path of a sub-module"),
    ("net_b.linear", "a float", False, ValueError, r"module must be an nn\.Module, got float"),
    ("net_b.conv", "linear", True, AttributeError,
     r"Module has no attribute 'conv' \(in 'net_b\.conv'\); strict=True only replaces"),
    ("scale", "linear", False, AttributeError, r"'scale' of Module is a float, not a Module"),
    ("net_b.forward", "linear", False, AttributeError, r"'forward' of Module is a method"),
    ("nothing.conv", "linear", False, AttributeError, r"^set_submodule: Module has no member "
                                                      r"named 'nothing' \(in 'nothing'\)"),
    ("net_b.nothing.conv", "linear", False, AttributeError,
     r"^set_submodule: Module has no member named 'nothing' \(in 'net_b\.nothing'\)"),
])
def test_set_submodule_refuses_as_pytorchs_in_one_line(target, module, strict, error, ours_says):
    for lib in (nn, torch.nn):
        model = _tree(lib)
        given = lib.Linear(1, 1) if module == "linear" else 2.0
        with pytest.raises(error) as raised:
            model.set_submodule(target, given, strict)
        if lib is nn:
            assert re.search(ours_says, str(raised.value)) and "\n" not in str(raised.value)
        assert _names(model) == _names(_tree(lib))  # nothing changed


def test_set_submodule_reaches_a_module_kept_in_a_list():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2), nn.ReLU()]

    model, new = Model(), nn.Tanh()
    model.set_submodule("layers.1", new, strict=True)
    assert model.layers[1] is new and model.get_submodule("layers.1") is new
    theirs = torch.nn.Module()
    theirs.layers = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.ReLU()])
    theirs.set_submodule("layers.1", torch.nn.Tanh(), strict=True)
    assert _names(model)[1:] == [(n, t) for n, t in _names(theirs)[1:] if t != "ModuleList"]


class _Listed(nn.Module):
    """Modules kept in a list, one of them holding a tuple of one."""
    def __init__(self):
        super().__init__()
        inner = nn.Module()
        inner.pair = (nn.ReLU(),)
        self.layers = [nn.Linear(2, 2), inner]


@pytest.mark.parametrize("target, says", [
    ("layers.5", "'layers' holds 2 modules (layers.0, layers.1); set_submodule cannot add "
                 "'layers.5' to a list: append to the list itself, or replace one of its "
                 "entries"),
    ("layers.1.pair.1", "'layers.1.pair' holds 1 module (layers.1.pair.0); set_submodule "
                        "cannot add 'layers.1.pair.1' to a tuple: assign a longer tuple to "
                        "it, or replace one of its entries"),
])
def test_set_submodule_says_what_a_list_holds_when_asked_to_add_to_it(target, says):
    # (it named the list as no member of the module: "M has no member named 'layers'")
    model = _Listed()
    before = _names(model)
    with pytest.raises(AttributeError) as raised:
        model.set_submodule(target, nn.Identity())
    assert str(raised.value) == f"set_submodule: {says}"
    assert _names(model) == before


# -- Module: extra state ------------------------------------------------------------------------
def _counting(lib, with_set=True):
    class Counter(lib.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.Linear(2, 2)
            self.count = 3

        def get_extra_state(self):
            return {"count": self.count}

    if with_set:
        Counter.set_extra_state = lambda self, state: setattr(self, "count", state["count"])

    class Top(lib.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = Counter(), lib.Linear(2, 1), Counter()
    return Top()


def _keys(keys):
    return keys.missing_keys, keys.unexpected_keys


def test_extra_state_is_saved_under_its_key_in_pytorchs_order():
    ours, theirs = _counting(nn), _counting(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.state_dict()["c._extra_state"] == theirs.state_dict()["c._extra_state"] == \
        {"count": 3}
    assert list(ours.a.state_dict(prefix="x.")) == list(theirs.a.state_dict(prefix="x."))
    assert "_extra_state" not in "".join(nn.Linear(2, 2).state_dict())


def test_extra_state_is_given_back_to_set_extra_state_as_pytorchs():
    ours, theirs = _counting(nn), _counting(torch.nn)
    for model in (ours, theirs):
        state = dict(model.state_dict())
        state["a._extra_state"] = {"count": 7}
        del state["c._extra_state"], state["b.bias"]
        keys = model.load_state_dict(state, strict=False)
        assert model.a.count == 7 and model.c.count == 3
    assert _keys(ours.load_state_dict(dict(ours.state_dict()), strict=False)) == ([], [])
    state = {k: v for k, v in ours.state_dict().items() if k != "c._extra_state"}
    their_state = {k: v for k, v in theirs.state_dict().items() if k != "c._extra_state"}
    assert _keys(ours.load_state_dict(state, strict=False)) == \
        _keys(theirs.load_state_dict(their_state, strict=False)) == (["c._extra_state"], [])
    assert _keys(keys) == (["b.bias", "c._extra_state"], [])


def test_extra_state_missing_or_unexpected_under_strict_is_refused_and_nothing_loaded():
    ours, theirs = _counting(nn), _counting(torch.nn)
    state = dict(ours.state_dict())
    state["a._extra_state"], state["a.lin.weight"] = {"count": 9}, np.zeros((2, 2))
    del state["c._extra_state"]
    their_state = dict(theirs.state_dict())
    del their_state["c._extra_state"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "c\._extra_state"'):
        theirs.load_state_dict(their_state)
    with pytest.raises(RuntimeError, match=r"(?s)nothing was loaded:\n  c\._extra_state: in "
                                           r"the model, missing from the state"):
        ours.load_state_dict(state)
    assert ours.a.count == 3 and ours.a.lin.weight.numpy().any()  # (set_extra_state not called)
    # a module that sets no extra state finds the entry unexpected, as PyTorch's
    plain, their_plain = _counting(nn, with_set=False), _counting(torch.nn, with_set=False)
    assert _keys(plain.load_state_dict(plain.state_dict(), strict=False)) == \
        _keys(their_plain.load_state_dict(their_plain.state_dict(), strict=False)) == \
        ([], ["a._extra_state", "c._extra_state"])
    assert _keys(nn.Linear(2, 1).load_state_dict(
        {**nn.Linear(2, 1).state_dict(), "_extra_state": 1}, strict=False)) == \
        ([], ["_extra_state"])


def test_modules_own_extra_state_methods_say_what_to_define():
    with pytest.raises(RuntimeError, match=r"^Linear\.get_extra_state: the class defines "
                                           r"none; define get_extra_state"):
        nn.Linear(1, 1).get_extra_state()
    with pytest.raises(RuntimeError, match=r"^Linear\.set_extra_state: the class defines none"):
        nn.Linear(1, 1).set_extra_state({})


# -- Optimizer hooks -------------------------------------------------------------------------
def _optimizers(kind="SGD", **settings):
    """The same w in each library, a gradient, and an optimizer of `kind` over it."""
    made = []
    for lib in (tg, torch):
        w = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        w.grad = lib.tensor([0.5, 0.5, -1.0], dtype=lib.float64)
        made.append((getattr(lib.optim, kind)([w], **{"lr": 0.1, **settings}), w))
    return made


def _values(w):
    return w.detach().numpy().copy()


def test_hook_registrations_take_pytorchs_arguments():
    for name in ("register_step_pre_hook", "register_step_post_hook",
                 "register_state_dict_pre_hook", "register_state_dict_post_hook",
                 "register_load_state_dict_pre_hook", "register_load_state_dict_post_hook"):
        ours = inspect.signature(getattr(optim.Optimizer, name))
        theirs = inspect.signature(getattr(torch.optim.Optimizer, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert [p.default for p in ours.parameters.values()] == \
            [p.default for p in theirs.parameters.values()], name


@pytest.mark.parametrize("kind", ["SGD", "Adam", "RMSprop"])
def test_step_hooks_run_in_pytorchs_order_with_its_arguments(kind):
    logs = []
    for opt, w in _optimizers(kind):
        log = []
        logs.append(log)
        opt.register_step_pre_hook(lambda o, a, k, log=log, opt=opt: log.append(
            ("pre 1", o is opt, len(a), a[0] is opt, sorted(k))))
        opt.register_step_post_hook(lambda o, a, k, log=log: log.append(("post 1", len(a))))
        opt.register_step_pre_hook(lambda o, a, k, log=log: log.append(("pre 2", len(a))))
        opt.register_step_post_hook(lambda o, a, k, log=log: log.append(("post 2", sorted(k))))
        opt.step()
        opt.step(closure=None)
        log.append(list(_values(w)))
    assert logs[0][:4] == [("pre 1", True, 1, True, []), ("pre 2", 1), ("post 1", 1),
                           ("post 2", [])]
    assert logs[0][:-1] == logs[1][:-1]
    np.testing.assert_allclose(logs[0][-1], logs[1][-1], rtol=1e-12)


def test_a_step_pre_hooks_new_arguments_are_what_step_and_the_later_hooks_get():
    results, logs = [], []
    for opt, w in _optimizers():
        log = []
        logs.append(log)
        opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: 5.0}))
        opt.register_step_pre_hook(lambda o, a, k, log=log: log.append(("pre", sorted(k))))
        opt.register_step_post_hook(lambda o, a, k, log=log: log.append(("post", sorted(k))))
        results.append((opt.step(), list(_values(w))))
    assert results[0][0] == results[1][0] == 5.0
    assert logs[0] == logs[1] == [("pre", ["closure"]), ("post", ["closure"])]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_a_step_pre_hook_returning_other_than_a_pair_is_refused():
    for opt, w in _optimizers():
        opt.register_step_pre_hook(lambda o, a, k: 3)
        with pytest.raises(RuntimeError, match="must return None or a tuple" if w.__class__
                           is torch.Tensor else r"^SGD\.step: a step pre-hook must return "
                                                r"None or a pair \(new_args, new_kwargs\), "
                                                r"got int 3$"):
            opt.step()


def test_removed_step_hooks_no_longer_run_and_a_copy_has_none_as_pytorchs():
    for opt, w in _optimizers():
        log = []
        pre = opt.register_step_pre_hook(lambda o, a, k: log.append("pre"))
        post = opt.register_step_post_hook(lambda o, a, k: log.append("post"))
        opt.step()
        pre.remove()
        pre.remove()  # (a second removal does nothing)
        post.remove()
        opt.step()
        assert log == ["pre", "post"]
        opt.register_step_pre_hook(lambda o, a, k: log.append("again"))
        copied = copy.deepcopy(opt)
        copied.step()
        assert log == ["pre", "post"]
        copied.register_step_pre_hook(lambda o, a, k: log.append("copy's own"))
        copied.step()
        assert log == ["pre", "post", "copy's own"]


_NOTED: list[int] = []


def _note(*args):
    """A hook that pickles (a module's function): it notes how many arguments it got."""
    _NOTED.append(len(args))


def test_a_pickled_optimizer_leaves_its_hooks_out_and_steps():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    opt.register_step_pre_hook(_note)
    opt.register_state_dict_post_hook(_note)
    loaded = pickle.loads(pickle.dumps(opt))
    loaded.param_groups[0]["params"][0].grad = tg.ones(2)
    loaded.step()
    np.testing.assert_array_equal(loaded.param_groups[0]["params"][0].numpy(), [0.5, 1.5])
    assert sorted(loaded.state_dict()) == ["param_groups", "state"] and _NOTED == []
    opt.state_dict()
    assert _NOTED == [2]  # (the original keeps its hooks)


def test_a_subclass_step_runs_its_hooks_once_as_pytorchs():
    logs = []
    for lib in (optim, torch.optim):
        class Halving(lib.Optimizer):
            def __init__(self, params):
                super().__init__(params, {"lr": 0.5})

            def step(self, closure=None):
                for p in self.param_groups[0]["params"]:
                    p.data *= 0.5
                return "done"

        w = (tg if lib is optim else torch).ones(2, requires_grad=True)
        opt, log = Halving([w]), []
        logs.append(log)
        opt.register_step_pre_hook(lambda o, a, k: log.append("pre"))
        opt.register_step_post_hook(lambda o, a, k: log.append("post"))
        log.append(opt.step())
        log.append(list(_values(w)))
    assert logs[0] == logs[1] == ["pre", "post", "done", [0.5, 0.5]]


def test_a_step_taken_or_wrapped_before_a_hook_is_registered_runs_it_as_pytorchs():
    logs = []
    for opt, w in _optimizers():
        taken, log = opt.step, []
        logs.append(log)
        opt.register_step_post_hook(lambda o, a, k, log=log: log.append("post"))
        taken()
        opt.step = lambda *a, step=opt.step, log=log, **k: (log.append("wrap"), step(*a, **k))[1]
        opt.register_step_pre_hook(lambda o, a, k, log=log: log.append("pre"))
        opt.step()
        log.append(list(_values(w)))
    assert logs[0][:-1] == logs[1][:-1] == ["post", "wrap", "pre", "post"]
    np.testing.assert_allclose(logs[0][-1], logs[1][-1], rtol=1e-12)


def test_an_optimizer_with_step_hooks_is_freed_without_the_garbage_collector():
    w = tg.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    opt.register_step_pre_hook(lambda o, a, k: None)
    opt.register_step_post_hook(lambda o, a, k: None)
    opt.step()
    gc.disable()
    try:
        freed = weakref.ref(opt)
        del opt
        assert freed() is None
    finally:
        gc.enable()


def _stepping_subclasses(lib):
    """SGD's subclasses a PyTorch user writes: a step calling super().step(), and one
    decorated with profile_hook_step besides."""
    class Calling(lib.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    class Decorated(lib.optim.SGD):
        @lib.optim.Optimizer.profile_hook_step
        def step(self, closure=None):
            return super().step(closure)
    return Calling, Decorated


def _a_subclass_stepping(lib, which: int):
    """A weight with a gradient, and an optimizer of it of `_stepping_subclasses`' kind
    `which` (0: calling super().step(), 1: decorated with profile_hook_step)."""
    w = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
    w.grad = lib.tensor([0.5, 1.0], dtype=lib.float64)
    return w, _stepping_subclasses(lib)[which]([w], lr=0.1)


@pytest.mark.parametrize("which", [0, 1], ids=["super_step", "profile_hook_step"])
def test_a_subclass_step_calling_super_step_runs_the_hooks_once(which):
    # (PyTorch's run once more for each step its class-level patch wrapped: SGD's, the
    # decorated one's; its values are the same)
    results = []
    for lib in (tg, torch):
        w, opt = _a_subclass_stepping(lib, which)
        log: list = []
        opt.register_step_pre_hook(lambda o, a, k, log=log: log.append(("pre", len(a))))
        opt.register_step_post_hook(lambda o, a, k, log=log: log.append("post"))
        opt.step()
        results.append((log, _values(w), opt.step(lambda: 4.0)))
    assert results[0][0] == [("pre", 1), "post", ("pre", 2), "post"]
    assert set(results[1][0]) == set(results[0][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    assert results[0][2] == results[1][2] == 4.0


@pytest.mark.parametrize("which", [0, 1], ids=["super_step", "profile_hook_step"])
def test_a_step_pre_hooks_new_arguments_reach_a_subclass_step(which):
    results = []
    for lib in (tg, torch):
        w, opt = _a_subclass_stepping(lib, which)
        seen: list = []
        opt.register_step_pre_hook(lambda o, a, k: ((o,), {"closure": lambda: 7.0}))
        opt.register_step_post_hook(lambda o, a, k, seen=seen: seen.append((len(a), sorted(k))))
        results.append((opt.step(), seen[-1], _values(w)))
    assert results[0][:2] == results[1][:2] == (7.0, (1, ["closure"]))
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-12)


def test_lbfgs_step_hooks_see_the_closure_as_pytorchs():
    logs = []
    for lib in (tg, torch):
        w = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        opt, log = lib.optim.LBFGS([w], lr=0.5, max_iter=3), []
        logs.append(log)

        def closure(w=w, opt=opt):
            opt.zero_grad()
            loss = ((w - 1.5) ** 2).sum()
            loss.backward()
            return loss
        opt.register_step_pre_hook(lambda o, a, k, log=log: log.append(("pre", len(a), sorted(k))))
        opt.register_step_post_hook(lambda o, a, k, log=log: log.append("post"))
        opt.step(closure)
        log.append(list(_values(w)))
    assert logs[0][:2] == logs[1][:2] == [("pre", 2, []), "post"]
    np.testing.assert_allclose(logs[0][2], logs[1][2], rtol=1e-10)


def test_state_dict_hooks_run_in_pytorchs_order_and_a_returned_dict_is_returned():
    results = []
    for opt, _ in _optimizers("Adam"):
        log = []
        opt.step()
        opt.register_state_dict_pre_hook(lambda o: log.append("pre 1"))
        opt.register_state_dict_pre_hook(lambda o: log.append("pre 0"), prepend=True)
        opt.register_state_dict_post_hook(lambda o, sd: log.append(("post 1", sorted(sd))))
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "note": "kept"})
        removed = opt.register_state_dict_post_hook(lambda o, sd: {"gone": True})
        opt.register_state_dict_post_hook(
            lambda o, sd: log.append(("post 0", sorted(sd))) or sd.update(first=1), prepend=True)
        removed.remove()
        saved = opt.state_dict()
        results.append((log, sorted(saved), sorted(saved["state"][0])))
    assert results[0] == results[1]
    assert results[0][0] == ["pre 0", "pre 1", ("post 0", ["param_groups", "state"]),
                             ("post 1", ["first", "param_groups", "state"])]
    assert results[0][1] == ["first", "note", "param_groups", "state"]


def test_load_state_dict_hooks_get_a_copy_may_replace_it_and_run_after_as_pytorchs():
    results = []
    for (opt, w), (source, _) in zip(_optimizers("Adam"), _optimizers("Adam", lr=0.25)):
        source.step()
        saved, log = source.state_dict(), []

        def pre(o, sd, log=log):
            log.append(("pre", sorted(sd)))
            sd["added"] = 1  # (on the copy: the caller's dict is left as it was)
            groups = [{**g, "lr": 0.5} for g in sd["param_groups"]]
            return {"state": sd["state"], "param_groups": groups}

        opt.register_load_state_dict_pre_hook(lambda o, sd, log=log: log.append("pre 0"),
                                              prepend=True)
        opt.register_load_state_dict_pre_hook(pre)
        opt.register_load_state_dict_post_hook(
            lambda o, log=log: log.append(("post", o.param_groups[0]["lr"], sorted(o.state))))
        opt.register_load_state_dict_post_hook(lambda o, log=log: log.append("post 0"),
                                               prepend=True)
        opt.load_state_dict(saved)
        results.append((log, sorted(saved), opt.param_groups[0]["lr"]))
    assert results[0][1:] == results[1][1:] == (["param_groups", "state"], 0.5)
    assert [entry if entry[0] != "post" else entry[:2] for entry in results[0][0]] == \
        [entry if entry[0] != "post" else entry[:2] for entry in results[1][0]] == \
        ["pre 0", ("pre", ["param_groups", "state"]), "post 0", ("post", 0.5)]


def test_a_hook_that_is_not_callable_or_a_prepend_that_is_not_a_bool_is_refused():
    opt = optim.SGD([tg.ones(1, requires_grad=True)])
    with pytest.raises(TypeError, match=r"^SGD\.register_step_pre_hook: hook must be "
                                        r"callable, got int 3$"):
        opt.register_step_pre_hook(3)
    with pytest.raises(TypeError, match=r"^SGD\.register_state_dict_pre_hook: prepend must "
                                        r"be True or False, got str 'yes'$"):
        opt.register_state_dict_pre_hook(print, prepend="yes")


def test_an_empty_group_after_named_groups_is_refused_as_pytorchs():
    for lib in (tg, torch):
        opt = lib.optim.SGD(lib.nn.Linear(2, 2).named_parameters(), lr=0.1)
        with pytest.raises(ValueError) as raised:
            opt.add_param_group({"params": []})
        assert len(opt.param_groups) == 1
        if lib is tg:
            assert str(raised.value) == (
                "SGD: parameter group 1 gives no parameter, the groups before it (name, "
                "tensor) pairs; give every group's params with names "
                "(model.named_parameters()) or none (add an empty one once it has parameters)")
        opt = lib.optim.SGD([{"params": []}], lr=0.1)  # (an empty group first: kept)
        opt.add_param_group({"params": [lib.ones(1, requires_grad=True)]})
        assert [len(g["params"]) for g in opt.param_groups] == [0, 1]


# -- Tensor --------------------------------------------------------------------------------
DEVICE_FACTS = ["is_xpu", "is_mps", "is_ipu", "is_mtia", "is_maia", "is_xla", "is_vulkan",
                "is_mkldnn", "is_sparse_csr", "is_cuda", "is_cpu", "is_meta", "is_sparse"]


def test_a_tensors_device_facts_are_those_of_pytorchs_cpu_tensor():
    x, t = tg.ones((2, 3)), torch.ones(2, 3)
    assert {n: getattr(x, n) for n in DEVICE_FACTS} == {n: getattr(t, n) for n in DEVICE_FACTS}
    assert x.is_distributed() is t.is_distributed() is False


@pytest.mark.parametrize("name, dtype", [("cfloat", "complex64"), ("cdouble", "complex128"),
                                         ("chalf", "complex32")])
def test_complex_casts_are_refused_in_one_line(name, dtype):
    with pytest.raises(TypeError, match=rf"^{name}: complex dtypes \({dtype}\) are not "
                                        r"supported, the values here are real; keep the real "
                                        r"and imaginary parts in two float tensors"):
        getattr(tg.ones(2), name)()


def test_to_dense_of_a_dense_tensor_is_itself_as_pytorchs():
    x, t = tg.ones((2, 3), requires_grad=True), torch.ones(2, 3, requires_grad=True)
    assert x.to_dense() is x and t.to_dense() is t
    y = x.to_dense(np.float32)
    assert y.dtype == np.float32 and t.to_dense(torch.float32).dtype == torch.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"^to_dense: masked_grad must be True or False"):
        x.to_dense(masked_grad="no")


@pytest.mark.parametrize("call", [lambda x, lib: x.resize(3, 2), lambda x, lib: x.resize(6),
                                  lambda x, lib: x.resize_as(lib.ones(1, 6))])
def test_resize_and_resize_as_are_reshapes_warned_as_deprecated_as_pytorchs(call):
    a = np.arange(6.0).reshape(2, 3)
    outs = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        with pytest.warns(UserWarning, match="non-inplace resize.* is deprecated"):
            y = call(x, lib)
        (y * lib.tensor(np.arange(6.0).reshape(y.shape))).sum().backward()
        outs.append((y.detach().numpy(), x.grad.numpy()))
        assert x.shape == (2, 3)  # (x itself is kept: resize_ changes it in place)
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_resize_to_another_number_of_elements_is_refused_as_pytorchs():
    with pytest.raises(RuntimeError, match="requested resize to 4"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.ones(2, 3).resize(4)
    with pytest.raises(RuntimeError, match=r"^resize: requested resize to \(4,\) \(4 "
                                           r"elements\), but the tensor has shape \(2, 3\) \(6 "
                                           r"elements\); this resize keeps the number of "
                                           r"elements, as PyTorch's: use x\.resize_"):
        tg.ones((2, 3)).resize(4)
    with pytest.raises(TypeError, match=r"^resize_as: the_template must be a tensor"):
        tg.ones(2).resize_as((2,))


@pytest.mark.parametrize("given, shown, why", [
    (torch.bfloat16, "dtype torch.bfloat16",
     "NumPy has no bfloat16 dtype: use x.half() (float16) or x.float() (float32)"),
    ("torch.BFloat16Tensor", "str 'torch.BFloat16Tensor'",
     "NumPy has no bfloat16 dtype: use x.half() (float16) or x.float() (float32)"),
    ("torch.cuda.FloatTensor", "str 'torch.cuda.FloatTensor'", "tinygrad_gd runs on the CPU only"),
])
def test_type_refused_says_what_it_was_given(given, shown, why):
    # (it said the name read from it: "got str 'bfloat16'" for torch.bfloat16)
    if "cuda" not in str(given):  # (PyTorch's CPU build takes these)
        assert torch.ones(2).type(given).dtype == torch.bfloat16
    with pytest.raises(TypeError) as raised:
        tg.ones(2).type(given)
    assert str(raised.value) == (f"type: expected a dtype (tg.float32, \"int64\") or a type "
                                 f"name such as 'tinygrad_gd.FloatTensor', got {shown}; {why}")


def test_two_threads_stepping_one_optimizer_each_run_its_step_hooks():
    """The hooks' 'running' mark is per thread: a step that began while another thread ran
    the hooks ran none (found in review), where torch runs them for each step."""
    import threading
    import time

    w = tg.tensor(np.ones(3), requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.1)
    seen = []

    def slow_pre_hook(optimizer, args, kwargs):
        seen.append(threading.current_thread().name)
        time.sleep(0.2)

    opt.register_step_pre_hook(slow_pre_hook)
    threads = [threading.Thread(target=opt.step, name=f"T{i}") for i in range(2)]
    threads[0].start()
    time.sleep(0.05)
    threads[1].start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == ["T0", "T1"]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_the_mixed_gradient_warning_names_the_users_line_with_a_step_hook(optimizer):
    """With a step hook registered the warning named optim_hooks.py's line (its frames
    counted as a fixed number), not the user's step()."""
    w = tg.tensor(np.ones(3), requires_grad=True)
    opt = getattr(tg.optim, optimizer)([w], lr=0.1)
    opt.register_step_pre_hook(lambda o, a, k: None)
    (w * w).sum().backward()
    opt.step()
    (w * w).sum().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.step(); line = sys._getframe().f_lineno  # noqa: E702  (the user's line)
    said = [(os.path.basename(c.filename), c.lineno) for c in caught
            if "before and after an update" in str(c.message)]
    assert said == [(os.path.basename(__file__), line)], said

"""PyTorch's other namespaces (thirty-second round), each against PyTorch 2.13:

- every public name of torch.autograd, torch.nn, torch.nn.init, torch.nn.utils,
  torch.optim, torch.func, torch.utils.data, torch.linalg and torch.fft is ours too, but
  those left out on purpose, each listed with why (the list checked true);
- tg.autograd's grad modes, the deprecated `Variable` and `variable`, `is_tensor_like`;
- nn.init's old spellings without the underscore (PyTorch's FutureWarning) and `sparse_`;
- nn.utils' deprecated `clip_grad_norm` and `convert_conv2d/3d_weight_memory_format`;
- optim.Muon step by step: every parameter and state entry after each step (PyTorch's
  Newton-Schulz iteration run in float64, as ours), its refusals, its state_dict.
"""
from __future__ import annotations

import copy
import importlib
import math
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

torch = pytest.importorskip("torch")
from test_module_optim_parity_round32 import _missing  # noqa: E402  (the shared filter)
from test_torch_optiminfo import Float64NewtonSchulz  # noqa: E402  (torch's Muon in float64)

# -- every name, or left out with why -------------------------------------------------------
_PROFILER = "PyTorch's profiler (Kineto): no profiler here; time with tg.utils.benchmark.Timer"
_COMPLEX = "complex values (a real input's spectrum is complex): no complex dtype here"
_DATAPIPES = "torchdata's DataPipes, deprecated in PyTorch: Dataset and DataLoader"
_DOC_FRAGMENTS = "PyTorch's docstring fragments, not an API"
LEFT_OUT = {
    "autograd": {
        **{name: _PROFILER for name in ("DeviceType", "ProfilerActivity", "ProfilerConfig",
                                        "ProfilerEvent", "ProfilerState", "kineto_available")},
        "NestedIOFunction": "PyTorch's legacy Function base for nested inputs, undocumented: "
                            "subclass tg.autograd.Function",
        "SavedTensor": "the class of a node's saved tensor in PyTorch's C++ bindings "
                       "(grad_fn._raw_saved_self), not made by users",
        "handle_torch_function": "the __torch_function__ override protocol: none here",
        "has_torch_function": "the __torch_function__ override protocol: none here",
        "enforce_grad_layout_policy": "relaxes PyTorch's gradient layout contract to save "
                                      "a copy on a GPU; a .grad here always keeps it",
        "is_view_replay_enabled": "a setting of PyTorch's functionalization (torch.compile), "
                                  "whose setter is private",
    },
    "nn": {
        "SyncBatchNorm": "batch statistics shared across processes: one process here; "
                         "nn.BatchNorm1d/2d/3d",
        "DataParallel": "a batch split across GPUs: no GPU here; call the model itself",
        "CrossMapLRN2d": "Lua Torch's legacy local response norm (4-d only, its values "
                         "differ slightly from nn.LocalResponseNorm's, which is here)",
        "LinearCrossEntropyOptions": "the chunking options of PyTorch's linear_cross_"
                                     "entropy (a memory saving); options= is taken and "
                                     "changes nothing here",
        "factory_kwargs": "a helper for writing PyTorch's own modules (device=, dtype=)",
    },
    "nn.init": {},
    "nn.utils": {},
    "optim": {
        "SparseAdam": "sparse gradients only (nn.Embedding(sparse=True)): every tensor here "
                      "is dense; Adam",
        "swap_in_optimizer_params_and_state": "new in PyTorch 2.13, to trace a step on fake "
                                              "tensors: no tracing here",
    },
    "func": {"rearrange": "einops' pattern language: reshape and permute"},
    "utils.data": {
        "DistributedSampler": "no distributed processes here",
        **{name: _DATAPIPES for name in (
            "IterDataPipe", "MapDataPipe", "DFIterDataPipe", "DataChunk", "functional_datapipe",
            "guaranteed_datapipes_determinism", "non_deterministic", "argument_validation",
            "runtime_validation", "runtime_validation_disabled")},
    },
    "linalg": {"eig": _COMPLEX + "; tg.linalg.eigh for a symmetric matrix",
               "eigvals": _COMPLEX + "; tg.linalg.eigvalsh for a symmetric matrix",
               "common_notes": _DOC_FRAGMENTS},
    "fft": {**{name: _COMPLEX for name in (
        "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
        "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn")},
        "common_args": _DOC_FRAGMENTS, "factory_common_args": _DOC_FRAGMENTS},
}


def _namespace(root: object, dotted: str) -> object:
    for part in dotted.split("."):
        root = getattr(root, part)
    return root


@pytest.mark.parametrize("name", sorted(LEFT_OUT))
def test_every_public_name_of_pytorchs_namespace_is_ours_or_left_out_with_why(name):
    theirs, ours = importlib.import_module(f"torch.{name}"), _namespace(tg, name)
    missing = _missing(theirs, ours)
    assert [n for n in missing if n not in LEFT_OUT[name]] == []
    # the list stays true: each name left out is PyTorch's, and not ours
    assert [n for n in LEFT_OUT[name] if not hasattr(theirs, n) or hasattr(ours, n)] == []


# -- tg.autograd ------------------------------------------------------------------------------
def test_autograds_grad_modes_are_tgs():
    for name in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode"):
        assert getattr(tg.autograd, name) is getattr(tg, name)
        assert getattr(torch.autograd, name) is getattr(torch, name)
    x = tg.ones(2, requires_grad=True)
    with tg.autograd.no_grad():
        assert not (x * 2).requires_grad
    with tg.autograd.set_grad_enabled(False), tg.autograd.enable_grad():
        assert (x * 2).requires_grad


@pytest.mark.parametrize("requires_grad", [False, True])
def test_variable_is_a_new_leaf_sharing_the_values_as_pytorchs(requires_grad):
    values = np.array([1.0, -2.0, 3.0])
    built = {}
    for lib, make in (("ours", tg.autograd.Variable), ("theirs", torch.autograd.Variable)):
        module = tg if lib == "ours" else torch
        x = module.tensor(values.copy(), requires_grad=True)
        made = make(x * 1, requires_grad=requires_grad)  # (of a tensor in a graph)
        shared = make(x, requires_grad=requires_grad)
        shared.data[0] = 10.0  # (its values are x's)
        built[lib] = (x, made, shared)
        assert isinstance(made, module.Tensor) and isinstance(x, make)
        assert not isinstance(values, make) and not isinstance(1.0, make)
    for k in (1, 2):
        ours, theirs = built["ours"][k], built["theirs"][k]
        assert (ours.requires_grad, ours.is_leaf, ours.grad_fn) == \
            (theirs.requires_grad, theirs.is_leaf, None)
    np.testing.assert_array_equal(built["ours"][0].detach().numpy(),
                                  built["theirs"][0].detach().numpy())
    if requires_grad:  # (it trains: its own gradient, none reaching x)
        for lib in ("ours", "theirs"):
            x, made, _ = built[lib]
            (made * made).sum().backward()
            assert x.grad is None
        np.testing.assert_allclose(built["ours"][1].grad.numpy(),
                                   built["theirs"][1].grad.numpy())


def test_variable_of_nothing_of_a_list_and_volatile_as_pytorchs():
    ours, theirs = tg.autograd.Variable(), torch.autograd.Variable()
    assert ours.shape == tuple(theirs.shape) and not ours.requires_grad
    with pytest.raises(TypeError) as their_error:
        torch.autograd.Variable([1.0, 2.0])
    with pytest.raises(TypeError) as our_error:
        tg.autograd.Variable([1.0, 2.0])
    assert str(our_error.value).startswith(str(their_error.value) + "; ")
    caught = {}
    for lib, module in (("ours", tg), ("theirs", torch)):
        with warnings.catch_warnings(record=True) as caught[lib]:
            warnings.simplefilter("always")
            made = module.autograd.Variable(module.ones(2), volatile=True)
        assert not made.requires_grad
    (ours_warning,), (their_warning,) = caught["ours"], caught["theirs"]
    assert ours_warning.category is their_warning.category is UserWarning
    assert str(ours_warning.message) == str(their_warning.message).replace("torch.", "tg.")
    assert ours_warning.filename == their_warning.filename == __file__
    with pytest.raises(TypeError):
        torch.autograd.Variable(torch.ones(2), foo=1)
    with pytest.raises(TypeError, match="foo"):
        tg.autograd.Variable(tg.ones(2), foo=1)


def test_variable_lowercase_is_refused_as_pytorchs():
    with pytest.raises(RuntimeError) as their_error:
        torch.autograd.variable(torch.ones(2))
    with pytest.raises(RuntimeError) as our_error:
        tg.autograd.variable(tg.ones(2))
    assert str(our_error.value) == str(their_error.value).replace("torch.", "tg.")


def test_is_tensor_like_as_pytorchs():
    cases = [lambda m: m.ones(2), lambda m: m.nn.Parameter(m.ones(2)), lambda m: 1.0,
             lambda m: [1.0], lambda m: np.ones(2), lambda m: None]
    for case in cases:
        assert tg.autograd.is_tensor_like(case(tg)) == torch.autograd.is_tensor_like(case(torch))


# -- nn.init --------------------------------------------------------------------------------
OLD_INIT = {  # old spelling: (shape, args after the tensor)
    "uniform": ((3, 4), (-0.5, 0.5)), "normal": ((3, 4), (0.0, 2.0)),
    "constant": ((3, 4), (0.25,)), "eye": ((3, 4), ()), "dirac": ((4, 2, 3, 3), ()),
    "xavier_uniform": ((3, 4), (1.5,)), "xavier_normal": ((3, 4), ()),
    "kaiming_uniform": ((3, 4), (0.1,)), "kaiming_normal": ((3, 4), ()),
    "orthogonal": ((3, 4), ()), "sparse": ((6, 4), (0.5,)),
}
_DRAWN = {"uniform", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
          "kaiming_normal", "orthogonal", "sparse"}


def test_the_old_spellings_cover_pytorchs():
    assert sorted(OLD_INIT) == sorted(n for n in torch.nn.init.__all__ if not n.endswith("_")
                                      and n != "calculate_gain")


@pytest.mark.parametrize("old", sorted(OLD_INIT))
def test_nn_init_old_spelling_warns_and_calls_the_new_one_as_pytorchs(old):
    shape, args = OLD_INIT[old]
    caught = {}
    with warnings.catch_warnings(record=True) as caught["theirs"]:
        warnings.simplefilter("always")
        theirs = getattr(torch.nn.init, old)(torch.empty(shape, dtype=torch.float64), *args)
    ours_kwargs = {"generator": np.random.default_rng(0)} if old in _DRAWN else {}
    with warnings.catch_warnings(record=True) as caught["ours"]:
        warnings.simplefilter("always")
        ours = getattr(nn.init, old)(tg.empty(*shape), *args, **ours_kwargs)
    (ours_warning,), (their_warning,) = caught["ours"], caught["theirs"]
    assert ours_warning.category is their_warning.category is FutureWarning
    assert str(ours_warning.message) == str(their_warning.message)
    assert ours_warning.filename == their_warning.filename == __file__
    assert getattr(nn.init, old).__name__ == getattr(torch.nn.init, old).__name__ == old
    new = getattr(nn.init, old + "_")(tg.empty(*shape), *args, **{
        "generator": np.random.default_rng(0)} if old in _DRAWN else {})
    np.testing.assert_array_equal(ours.numpy(), new.numpy())  # (the same call)
    if old not in _DRAWN:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_sparse_zeroes_as_many_entries_of_each_column_as_pytorchs():
    rows, cols, sparsity, std = 400, 30, 0.3, 0.5
    torch.manual_seed(0)
    theirs = torch.nn.init.sparse_(torch.empty(rows, cols, dtype=torch.float64), sparsity,
                                   std).numpy()
    ours = nn.init.sparse_(tg.empty(rows, cols), sparsity, std,
                           generator=np.random.default_rng(0)).numpy()
    assert ((ours == 0).sum(axis=0) == (theirs == 0).sum(axis=0)).all()
    assert ((ours == 0).sum(axis=0) == math.ceil(sparsity * rows)).all()
    assert len({tuple(np.flatnonzero(ours[:, c] == 0)) for c in range(cols)}) > 1  # (drawn)
    kept, their_kept = ours[ours != 0], theirs[theirs != 0]
    assert abs(kept.std() / their_kept.std() - 1) < 0.05 and abs(kept.mean()) < 0.05
    again = nn.init.sparse_(tg.empty(rows, cols), sparsity, std,
                            generator=np.random.default_rng(0)).numpy()
    np.testing.assert_array_equal(ours, again)


def test_sparse_refusals():
    with pytest.raises(ValueError):
        torch.nn.init.sparse_(torch.empty(3, 4, 5), 0.1)
    with pytest.raises(ValueError, match=r"^sparse_: needs a 2-d tensor \(rows, cols\), got "
                                         r"shape \(3, 4, 5\)$"):
        nn.init.sparse_(tg.empty(3, 4, 5), 0.1)
    # (PyTorch's takes a negative sparsity and zeroes all but a few rows of each column)
    with pytest.raises(ValueError, match=r"^sparse_: sparsity is the fraction of each column "
                                         r"set to zero, in \[0, 1\]; got -0\.5$"):
        nn.init.sparse_(tg.empty(3, 4), -0.5)
    with pytest.raises(ValueError, match=r"^sparse_: std must be >= 0, got -1\.0$"):
        nn.init.sparse_(tg.empty(3, 4), 0.5, std=-1)


# -- nn.utils -------------------------------------------------------------------------------
def test_clip_grad_norm_old_spelling_warns_and_clips_as_pytorchs():
    grads = [np.random.default_rng(k).standard_normal((3, 2)) for k in range(2)]
    ours = [tg.Tensor(np.zeros((3, 2)), requires_grad=True) for _ in grads]
    theirs = [torch.zeros(3, 2, dtype=torch.float64, requires_grad=True) for _ in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad, t.grad = tg.tensor(g), torch.tensor(g)
    caught = {}
    with warnings.catch_warnings(record=True) as caught["theirs"]:
        warnings.simplefilter("always")
        their_norm = torch.nn.utils.clip_grad_norm(theirs, 1.0, norm_type=3.0)
    with warnings.catch_warnings(record=True) as caught["ours"]:
        warnings.simplefilter("always")
        our_norm = nn.utils.clip_grad_norm(ours, 1.0, norm_type=3.0)
    (ours_warning,), (their_warning,) = caught["ours"], caught["theirs"]
    assert ours_warning.category is their_warning.category is FutureWarning
    assert str(ours_warning.message) == str(their_warning.message).replace("torch.", "")
    assert ours_warning.filename == their_warning.filename == __file__
    np.testing.assert_allclose(float(our_norm), float(their_norm), rtol=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def _convolutions(lib):
    """The same nested model of each library: each kind of convolution, one deeper down."""
    m = lib.nn
    return m.Sequential(m.Conv2d(2, 3, 2), m.Sequential(m.ConvTranspose2d(3, 2, 2)),
                        m.Conv1d(2, 2, 2), m.Conv3d(2, 2, 2), m.ConvTranspose3d(2, 2, 2),
                        m.ConvTranspose1d(2, 2, 2)).double()


@pytest.mark.parametrize("dims, fmt", [(2, "channels_last"), (2, "contiguous_format"),
                                       (3, "channels_last_3d"), (3, "contiguous_format")])
def test_convert_conv_weight_memory_format_lays_out_those_weights_as_pytorchs(dims, fmt):
    ours, theirs = _convolutions(tg), _convolutions(torch)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    weights = [p for p in ours.parameters()]
    convert = f"convert_conv{dims}d_weight_memory_format"
    channels = "channels_last" if dims == 2 else "channels_last_3d"
    for each in dict.fromkeys([channels, fmt]):  # (contiguous_format: from channels last)
        assert getattr(nn.utils, convert)(ours, getattr(tg, each)) is ours
        assert getattr(torch.nn.utils, convert)(theirs, getattr(torch, each)) is theirs
    assert [p for p in ours.parameters()] == weights  # (the same objects)
    assert any(not p.is_contiguous() for p in ours.parameters()) == (fmt != "contiguous_format")
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert a.stride() == b.stride(), name
        np.testing.assert_array_equal(a.numpy(), b.detach().numpy())


def test_convert_conv_weight_memory_format_refusals_as_pytorchs():
    ours, theirs = _convolutions(tg), _convolutions(torch)
    for fmt, error in (("preserve_format", RuntimeError), ("channels_last_3d", RuntimeError)):
        with pytest.raises(error):
            torch.nn.utils.convert_conv2d_weight_memory_format(theirs, getattr(torch, fmt))
        with pytest.raises(error, match=r"^convert_conv2d_weight_memory_format: memory_format="
                                        rf"tg\.{fmt} "):
            nn.utils.convert_conv2d_weight_memory_format(ours, getattr(tg, fmt))
    with pytest.raises(TypeError):
        torch.nn.utils.convert_conv2d_weight_memory_format(theirs, "channels_last")
    with pytest.raises(TypeError, match="^convert_conv2d_weight_memory_format: memory_format "
                                        "must be"):
        nn.utils.convert_conv2d_weight_memory_format(ours, "channels_last")
    assert all(p.is_contiguous() for p in ours.parameters())  # (nothing changed)
    linear = nn.Linear(2, 2)  # (no convolution: returned as it is, as PyTorch's)
    assert nn.utils.convert_conv2d_weight_memory_format(linear, tg.preserve_format) is linear


# -- optim.Muon -----------------------------------------------------------------------------
DATA = np.random.default_rng(3).standard_normal((6, 3))
TARGET = np.random.default_rng(4).standard_normal((6, 2))
MATRICES = {"tall": (5, 3), "wide": (2, 5)}


def _muon_side(lib, values, settings, groups):
    params = [lib.tensor(v.copy(), requires_grad=True) for v in values]
    given = ([{"params": [p], **extra} for p, extra in zip(params, groups)] if groups
             else params)
    make = tg.optim.Muon if lib is tg else torch.optim.Muon
    return params, make(given, **settings)


def _muon_step(lib, params, optimizer):
    tall, wide = params
    optimizer.zero_grad()
    loss = (((lib.tensor(DATA) @ tall.T).tanh() @ wide.T - lib.tensor(TARGET)) ** 2).mean()
    loss.backward()
    optimizer.step()


MUON_SETTINGS = [
    ({}, ()), ({"lr": 0.02}, ()), ({"lr": 0.05, "weight_decay": 0.0}, ()),
    ({"lr": 0.05, "momentum": 0.8}, ()), ({"lr": 0.05, "nesterov": False}, ()),
    ({"lr": 0.05, "ns_coefficients": (3.4, -4.7, 2.0)}, ()), ({"lr": 0.05, "ns_steps": 6}, ()),
    ({"lr": 0.05, "ns_steps": 0}, ()), ({"lr": 0.05, "eps": 1e-3}, ()),
    ({"lr": 0.05, "adjust_lr_fn": "original"}, ()),
    ({"lr": 0.05, "adjust_lr_fn": "match_rms_adamw"}, ()),
    ({"lr": 0.05}, ({"momentum": 0.5, "nesterov": False}, {"lr": 0.01, "weight_decay": 0.3})),
]


def _agree(ours, theirs, rtol=1e-12):
    ours = ours.numpy() if isinstance(ours, tg.Tensor) else np.asarray(ours)
    theirs = theirs.detach().numpy()
    assert np.abs(ours - theirs).max() <= rtol * np.abs(theirs).max()


@pytest.mark.parametrize("settings, groups", MUON_SETTINGS)
def test_muon_steps_as_pytorchs_every_parameter_and_state_entry(settings, groups):
    values = [np.random.default_rng(k).standard_normal(s) for k, s in enumerate(MATRICES.values())]
    with Float64NewtonSchulz():
        ours, theirs = (_muon_side(lib, values, settings, groups) for lib in (tg, torch))
        for _ in range(5):
            _muon_step(tg, *ours)
            _muon_step(torch, *theirs)
            for p, q in zip(ours[0], theirs[0]):
                _agree(p, q)
                assert sorted(ours[1].state[p]) == sorted(theirs[1].state[q])
                for key in theirs[1].state[q]:
                    _agree(ours[1].state[p][key], theirs[1].state[q][key])


def test_muon_agrees_with_pytorchs_bfloat16_steps_to_its_precision():
    values = [np.random.default_rng(k).standard_normal(s) for k, s in enumerate(MATRICES.values())]
    ours, theirs = (_muon_side(lib, values, {"lr": 0.1, "weight_decay": 0.0}, ())
                    for lib in (tg, torch))
    _muon_step(tg, *ours)
    _muon_step(torch, *theirs)
    for p, q, v in zip(ours[0], theirs[0], values):
        step, their_step = p.numpy() - v, q.detach().numpy() - v
        assert np.abs(step - their_step).max() < 0.05 * np.abs(their_step).max()


def _refused_by_the_first_step(make_optimizer):
    """The error PyTorch or we raise by the first step, where the optimizer is made, an
    added group, or that step; None if none."""
    try:
        make_optimizer()
    except Exception as err:  # noqa: BLE001  (the outcome compared)
        return err
    return None


@pytest.mark.parametrize("case", [
    "a vector", "a number", "a 3-d tensor", "lr < 0", "momentum < 0", "weight_decay < 0",
    "adjust_lr_fn", "ns_steps 100", "ns_coefficients of 2", "a vector added later"])
def test_muon_refuses_what_pytorchs_refuses(case):
    shapes = {"a vector": (3,), "a number": (), "a 3-d tensor": (2, 2, 2)}.get(case, (2, 3))
    settings = {"lr < 0": {"lr": -0.1}, "momentum < 0": {"momentum": -0.1},
                "weight_decay < 0": {"weight_decay": -1.0},
                "adjust_lr_fn": {"adjust_lr_fn": "arbitrary"}, "ns_steps 100": {"ns_steps": 100},
                "ns_coefficients of 2": {"ns_coefficients": (3.0, -4.0)}}.get(case, {})

    def attempt(lib):
        def run():
            p = lib.tensor(np.ones(shapes), requires_grad=True)
            optimizer = (tg.optim.Muon if lib is tg else torch.optim.Muon)([p], **settings)
            p.grad = lib.tensor(np.ones(shapes))
            if case == "a vector added later":
                q = lib.tensor(np.ones(3), requires_grad=True)
                optimizer.add_param_group({"params": [q]})
                q.grad = lib.tensor(np.ones(3))
            optimizer.step()
        return _refused_by_the_first_step(run)

    ours, theirs = attempt(tg), attempt(torch)
    assert type(theirs) is ValueError and type(ours) is ValueError, (ours, theirs)
    assert "\n" not in str(ours) and str(ours).startswith("Muon: ")
    word = {"lr < 0": "lr", "momentum < 0": "momentum", "weight_decay < 0": "weight_decay",
            "adjust_lr_fn": "adjust_lr_fn", "ns_steps 100": "ns_steps",
            "ns_coefficients of 2": "ns_coefficients"}.get(case, "2-d parameters")
    assert word in str(ours)


def test_muon_state_dict_has_pytorchs_names_and_round_trips():
    values = [np.random.default_rng(k).standard_normal(s) for k, s in enumerate(MATRICES.values())]
    settings = {"lr": 0.05, "adjust_lr_fn": "match_rms_adamw"}
    with Float64NewtonSchulz():
        ours, theirs = (_muon_side(lib, values, settings, ()) for lib in (tg, torch))
        for _ in range(2):
            _muon_step(tg, *ours)
            _muon_step(torch, *theirs)
        saved, their_saved = ours[1].state_dict(), theirs[1].state_dict()
        assert list(saved["param_groups"][0]) == list(their_saved["param_groups"][0])
        assert {i: sorted(s) for i, s in saved["state"].items()} == \
            {i: sorted(s) for i, s in their_saved["state"].items()}
        # ours reloaded into a fresh optimizer, and torch's into another, go on as torch's
        for state in (copy.deepcopy(saved), their_saved):
            params = [tg.tensor(p.numpy(), requires_grad=True) for p in ours[0]]
            fresh = tg.optim.Muon(params)
            fresh.load_state_dict(state)
            assert fresh.param_groups[0]["adjust_lr_fn"] == "match_rms_adamw"
            twin = copy.deepcopy(theirs)
            for _ in range(3):
                _muon_step(tg, params, fresh)
                _muon_step(torch, *twin)
            for p, q in zip(params, twin[0]):
                _agree(p, q)

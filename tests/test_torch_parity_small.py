"""Small differences from PyTorch 2.13 that earlier rounds noted and left: max, min, amax,
amin, argmax, argmin and aminmax over an axis of length 0 refused with PyTorch's error
classes (IndexError; RuntimeError for a whole tensor's max and min) and still NumPy's
ValueError; argmax and argmin over a non-empty axis of an empty tensor giving PyTorch's
empty result (they were refused); and a model's printed form: ParameterList and
ParameterDict entries, an empty hook dict (`OrderedDict()`, it printed `{}`) and a
ModuleList's runs of equal layers (`(0-2): 3 x Linear(...)`). Checked against NumPy and
hand-written text, and (marked `torch`) against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

EXTREMA = ["max", "min", "amax", "amin", "argmax", "argmin"]


def _raised(call):
    """The exception `call()` raises (the test fails when it raises none)."""
    with pytest.raises(Exception) as info:
        call()
    return info.value


# --- reductions over an axis of length 0 ---------------------------------------------

@pytest.mark.parametrize("name", EXTREMA)
@pytest.mark.parametrize("shape, dim", [((0, 3), 0), ((2, 0), 1), ((2, 0), -1), ((0,), 0)])
def test_an_extremum_over_an_empty_axis_raises_indexerror_and_valueerror(name, shape, dim):
    error = _raised(lambda: getattr(tg.zeros(shape), name)(dim))
    assert isinstance(error, IndexError) and isinstance(error, ValueError)  # (NumPy's too)
    text = str(error)
    assert "\n" not in text and text.split(":")[0] in (name, name.lstrip("a"))
    assert f"axis {dim % len(shape)} of the tensor of shape {shape} is empty" in text
    assert "non-zero length" in text  # (what to do)


@pytest.mark.parametrize("name", EXTREMA)
def test_an_extremum_of_a_whole_empty_tensor_is_refused_as_pytorchs_and_numpys(name):
    error = _raised(lambda: getattr(tg.zeros((0, 3)), name)())
    # PyTorch: RuntimeError for max/min/amax/amin, IndexError for argmax/argmin
    expected = IndexError if name.startswith("arg") else RuntimeError
    assert isinstance(error, expected) and isinstance(error, ValueError)
    assert "the tensor of shape (0, 3) is empty" in str(error) and "\n" not in str(error)


def test_aminmax_over_an_empty_axis_is_refused_as_pytorchs():
    x = tg.zeros((0, 2))
    along = _raised(lambda: tg.aminmax(x, dim=0))
    whole = _raised(lambda: tg.aminmax(x))
    assert isinstance(along, IndexError) and isinstance(whole, RuntimeError)
    assert str(along).startswith("aminmax: the tensor of shape (0, 2) has no entries along")


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_over_a_nonempty_axis_of_an_empty_tensor_is_empty(name, keepdim):
    data = np.zeros((0, 3, 2))
    out = getattr(tg.tensor(data), name)(dim=1, keepdim=keepdim)
    expected = getattr(np, name)(data, axis=1, keepdims=keepdim)
    assert out.shape == expected.shape and out.dtype == np.int64


@pytest.mark.torch
@pytest.mark.parametrize("name", EXTREMA + ["aminmax"])
@pytest.mark.parametrize("shape, dim", [((0, 3), 0), ((2, 0), 1), ((0, 3), None), ((0,), 0)])
def test_empty_reductions_raise_pytorchs_error_class(name, shape, dim):
    torch = pytest.importorskip("torch")
    kwargs = {} if dim is None else {"dim": dim}

    def call(lib):
        x = lib.zeros(shape)
        return lib.aminmax(x, **kwargs) if name == "aminmax" else getattr(x, name)(**kwargs)
    theirs = _raised(lambda: call(torch))
    assert isinstance(_raised(lambda: call(tg)), type(theirs))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["argmax", "argmin", "max", "amin"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_extrema_over_a_nonempty_axis_of_an_empty_tensor_as_pytorchs(name, keepdim):
    torch = pytest.importorskip("torch")
    ours = getattr(tg.zeros((2, 0, 3), dtype=tg.float32), name)(dim=2, keepdim=keepdim)
    theirs = getattr(torch.zeros(2, 0, 3), name)(dim=2, keepdim=keepdim)
    ours, theirs = (ours[0], theirs[0]) if name == "max" else (ours, theirs)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))


# --- printed models --------------------------------------------------------------------

def _model(lib, dtype):
    """A model holding a ParameterList (of two and of one), a ParameterDict, ModuleLists of
    equal and of mixed layers (one nested in a block), a Sequential and empty containers."""
    torch_nn = lib.nn

    class Block(torch_nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch_nn.Linear(2, 2)
            self.scale = torch_nn.ParameterList([torch_nn.Parameter(lib.zeros(3, dtype=dtype))])

    class Net(torch_nn.Module):
        def __init__(self):
            super().__init__()
            self.plist = torch_nn.ParameterList([torch_nn.Parameter(lib.zeros(2, 3, dtype=dtype)),
                                                 torch_nn.Parameter(lib.zeros(4, dtype=dtype))])
            self.pdict = torch_nn.ParameterDict({"b": torch_nn.Parameter(lib.zeros(1, 5,
                                                                                  dtype=dtype)),
                                                 "a": torch_nn.Parameter(lib.zeros(2,
                                                                                  dtype=dtype))})
            self.layers = torch_nn.ModuleList([torch_nn.Linear(3, 3) for _ in range(3)])
            self.mixed = torch_nn.ModuleList([Block(), Block(), torch_nn.ReLU(),
                                              torch_nn.Linear(3, 3), Block()])
            self.seq = torch_nn.Sequential(torch_nn.Linear(2, 2), torch_nn.Linear(2, 2))
            self.none = torch_nn.ModuleList()
            self.noparams = torch_nn.ParameterList()
    return Net()


LINEAR3 = "Linear(in_features=3, out_features=3, bias=True)"
BLOCK = ("Block(\n  (lin): Linear(in_features=2, out_features=2, bias=True)\n"
         "  (scale): ParameterList(  (0): Parameter containing: [float64 of size 3])\n)")


def test_a_model_prints_its_containers_as_pytorchs():
    # the text PyTorch's Module.__repr__, ModuleList.__repr__ and ParameterList/Dict's
    # extra_repr make (their entries indented twice; equal layers in a run printed once)
    expected = "\n".join([
        "Net(",
        "  (plist): ParameterList(",
        "      (0): Parameter containing: [float64 of size 2x3]",
        "      (1): Parameter containing: [float64 of size 4]",
        "  )",
        "  (pdict): ParameterDict(",
        "      (a): Parameter containing: [tinygrad_gd.DoubleTensor of size 2]",
        "      (b): Parameter containing: [tinygrad_gd.DoubleTensor of size 1x5]",
        "  )",
        "  (layers): ModuleList(",
        f"    (0-2): 3 x {LINEAR3}",
        "  )",
        "  (mixed): ModuleList(",
        "    (0-1): 2 x " + BLOCK.replace("\n", "\n    "),
        "    (2): ReLU()",
        f"    (3): {LINEAR3}",
        "    (4): " + BLOCK.replace("\n", "\n    "),
        "  )",
        "  (seq): Sequential(",
        "    (0): Linear(in_features=2, out_features=2, bias=True)",
        "    (1): Linear(in_features=2, out_features=2, bias=True)",
        "  )",
        "  (none): ModuleList()",
        "  (noparams): ParameterList()",
        ")"])
    assert str(_model(tg, tg.float64)) == expected


def test_an_empty_hook_dict_prints_as_an_ordereddict_and_stays_read_only():
    layer, other = nn.Linear(2, 2), nn.Linear(2, 2)
    for kind in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_state_dict_hooks"):
        assert repr(getattr(layer, kind)) == str(getattr(layer, kind)) == "OrderedDict()"
    with pytest.raises(TypeError, match=r"^Module hooks: .*register_\*_hook methods$"):
        layer._forward_hooks[0] = print
    with pytest.raises(TypeError, match=r"^Module hooks: "):
        layer._forward_pre_hooks.update({0: print})
    handle = layer.register_forward_pre_hook(lambda module, args: None)
    assert len(layer._forward_pre_hooks) == 1 and len(other._forward_pre_hooks) == 0
    handle.remove()
    assert repr(layer._forward_pre_hooks) == "OrderedDict()"


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_print_model_gives_pytorchs_text(dtype):
    torch = pytest.importorskip("torch")
    theirs = str(_model(torch, getattr(torch, dtype)))
    # PyTorch names its own dtype and tensor types; ours are NumPy's dtype and tg's types
    for kind in ("Float", "Double"):
        theirs = theirs.replace(f"torch.{kind}Tensor", f"tinygrad_gd.{kind}Tensor")
    assert str(_model(tg, getattr(tg, dtype))) == theirs.replace("torch.", "")


@pytest.mark.torch
def test_hook_dicts_print_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    for kind in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks",
                 "_backward_pre_hooks", "_state_dict_hooks", "_load_state_dict_pre_hooks"):
        assert repr(getattr(ours, kind)) == repr(getattr(theirs, kind)), kind
    handles = [m.register_forward_hook(lambda *args: None) for m in (ours, theirs)]
    for handle in handles:
        handle.remove()
    assert repr(ours._forward_hooks) == repr(theirs._forward_hooks)

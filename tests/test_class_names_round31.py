"""A class's wrong arguments name the class called (thirty-first round).

About a hundred exported classes inherit their constructor, and Python's TypeError for a
wrong count or an unknown keyword names the function's __qualname__: `nn.Conv2d` given
thirteen arguments said "_ConvNd.__init__() takes ...", `nn.Sigmoid(1)` said
"Module.__init__() ...", `distributions.Normal(0., 1., 2., 3.)` "_LocScale.__init__()".
Every class of every namespace the package exports is called here with far too many
arguments and with an unknown keyword, and each message that names a constructor must
name the class called. The copies that do it are the same code: layers, distributions and
transforms still build and compute, pickle, and show their signatures; a user's subclass
runs the constructor it ran before, its own, a dataclass's or another base's.
"""
from __future__ import annotations

import dataclasses
import inspect
import pickle

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F
from tinygrad_gd.op_errors import named_constructor
from test_error_names_round31 import _BINDING, _MODULES, _TOO_MANY, _message

D = tg.distributions


def _classes(namespace: str) -> list[tuple[str, type]]:
    """The public classes of `namespace`, under the names it exports them by."""
    module = _MODULES[namespace]
    names = getattr(module, "__all__", None) or [n for n in dir(module) if n[0] != "_"]
    return [(name, getattr(module, name)) for name in sorted(set(names))
            if not name.startswith("_") and isinstance(getattr(module, name, None), type)]


def _foreign(cls: type, said: str) -> bool:
    """Whether `said` is a base of `cls` from outside the package (TrackedArray's ndarray,
    OpName's str), whose C constructor has no __qualname__ to give a copy."""
    return any(base.__name__ == said and not base.__module__.startswith("tinygrad_gd")
               for base in cls.__mro__)


def _misnamed(namespace: str) -> tuple[list[str], int]:
    """Each call of `namespace`'s classes whose binding message names another class than
    the one called, and how many messages were read."""
    wrong, read = [], 0
    for name, cls in _classes(namespace):
        for how, args, kwargs in (("too many", (1,) * _TOO_MANY, {}),
                                  ("unknown keyword", (), {"no_such_keyword_r31": 1})):
            text = _message(cls, *args, **kwargs)
            match = _BINDING.match(text or "")
            if match is None:
                continue
            read += 1
            said = match.group("name").removesuffix(".__init__").removesuffix(".__new__")
            said = said.rpartition(".")[2]  # (a class made in a function: f.<locals>.Name)
            if said != name and not _foreign(cls, said):
                wrong.append(f"{namespace}.{name} ({how}): {text}")
    return wrong, read


@pytest.fixture
def quiet_state(tmp_path, monkeypatch):
    """A class that takes the arguments runs in a directory of its own, the random state
    put back afterwards."""
    monkeypatch.chdir(tmp_path)
    state = tg.get_rng_state()
    yield
    tg.set_rng_state(state)


_WITH_CLASSES = [namespace for namespace in sorted(_MODULES) if _classes(namespace)]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("namespace", _WITH_CLASSES)
def test_every_exported_class_names_itself_when_given_the_wrong_arguments(namespace,
                                                                         quiet_state):
    wrong, read = _misnamed(namespace)
    assert wrong == [], "\n".join(wrong)
    assert read > 0, namespace  # (the sweep read messages of this namespace's classes)


def test_the_sweep_reads_most_classes():
    """(The namespaces of classes: nn, distributions, optim, lr_scheduler, data, ...)"""
    assert {"tg.nn", "tg.distributions", "tg.optim", "tg.optim.lr_scheduler",
            "tg.utils.data", "tg.nn.utils.prune"} <= set(_WITH_CLASSES)
    assert sum(len(_classes(namespace)) for namespace in _WITH_CLASSES) > 300


@pytest.mark.filterwarnings("ignore")
def test_a_new_class_that_inherits_its_constructor_fails_the_sweep(monkeypatch, quiet_state):
    """The sweep is the guard: a class exported later that inherits a constructor (here
    ZeroPad2d's) is caught, and passes once named_constructor gives it its own."""
    class ZeroPadR31(nn.ZeroPad2d):
        """ZeroPad2d under another name."""

    monkeypatch.setattr(nn, "ZeroPadR31", ZeroPadR31, raising=False)
    monkeypatch.setattr(nn, "__all__", [*nn.__all__, "ZeroPadR31"])
    wrong, _ = _misnamed("tg.nn")
    assert [line.split(" (")[0] for line in wrong] == ["tg.nn.ZeroPadR31"] * 2, wrong
    assert "ZeroPad2d.__init__() takes 2 positional arguments but 13 were given" in wrong[0]
    named_constructor(ZeroPadR31)
    assert _misnamed("tg.nn")[0] == []
    assert ZeroPadR31(1)(tg.ones((1, 1, 1))).shape == (1, 3, 3)


@pytest.mark.parametrize("call, called", [
    (lambda: nn.Conv2d(*range(1, 13)), "Conv2d"),
    (lambda: nn.ZeroPad2d(1, 2, 3), "ZeroPad2d"),
    (lambda: D.Normal(0.0, 1.0, 2.0, 3.0), "Normal"),
    (lambda: nn.Sigmoid(1), "Sigmoid"),
    (lambda: nn.BatchNorm2d(3, nope=1), "BatchNorm2d"),
    (lambda: nn.MSELoss(reduce_r31=1), "MSELoss"),
    (lambda: D.ExpTransform(0, 1), "ExpTransform"),
    (lambda: nn.utils.prune.L1Unstructured(0.5, 1), "L1Unstructured"),
    (lambda: nn.RNNBase(*range(14)), "RNNBase"),
])
def test_the_classes_that_said_another_name_say_their_own(call, called):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value).startswith(f"{called}.__init__() "), info.value


def test_the_copied_constructors_build_what_they_built():
    """A copy's super() is still its writer's: the layers, distributions and transforms
    made through one compute what their functions and formulas do."""
    x = tg.randn((2, 1, 5, 5), seed=0)
    conv = nn.Conv2d(1, 2, 3, padding=1)
    np.testing.assert_allclose(conv(x).numpy(),
                               F.conv2d(x, conv.weight, conv.bias, padding=1).numpy())
    np.testing.assert_allclose(nn.ZeroPad2d(1)(x).numpy(),
                               np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1))))
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-x.numpy())))
    value = np.array([-0.5, 0.0, 2.0])
    np.testing.assert_allclose(D.Normal(1.0, 2.0).log_prob(tg.tensor(value)).numpy(),
                               -((value - 1) / 2) ** 2 / 2 - np.log(2 * np.sqrt(2 * np.pi)))
    np.testing.assert_allclose(D.ExpTransform()(tg.tensor(value)).numpy(), np.exp(value))
    assert isinstance(nn.LSTM(3, 2), nn.RNNBase) and isinstance(nn.GRUCell(3, 2),
                                                                nn.RNNCellBase)


def test_a_copy_pickles_and_shows_the_signature_it_copied():
    assert pickle.loads(pickle.dumps(nn.Conv2d.__init__)) is nn.Conv2d.__init__
    layer = pickle.loads(pickle.dumps(nn.Conv2d(1, 2, 3)))
    assert type(layer) is nn.Conv2d and layer.weight.shape == (2, 1, 3, 3)
    copied = [cls for cls in nn.Conv2d.__mro__[1:] if "__init__" in vars(cls)][0]
    assert inspect.signature(nn.Conv2d) == inspect.signature(
        copied.__init__).replace(parameters=list(
            inspect.signature(copied.__init__).parameters.values())[1:])
    assert nn.Conv2d.__init__.__code__ is copied.__init__.__code__  # (the same code)


class _Scaled(nn.Module):
    """A user's layer with a constructor of its own."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return x * self.scale


def test_a_users_subclasses_run_the_constructor_they_ran_before():
    """A user's own __init__ is untouched; a subclass of Sigmoid and of a user's layer
    runs the user's (before Module's, as Python's order says); a dataclass gets its own;
    a plain subclass of Conv2d says Conv2d's name."""
    own = vars(_Scaled)["__init__"]
    assert _Scaled.__init__ is own and _Scaled(3.0).scale == 3.0

    class Both(nn.Sigmoid, _Scaled):
        """Sigmoid's forward, the user's constructor."""

    both = Both(2.0)
    assert both.scale == 2.0 and Both.__init__ is own
    np.testing.assert_allclose(both(tg.tensor([0.0])).numpy(), [0.5])

    @dataclasses.dataclass(eq=False)
    class Settings(nn.Sigmoid):
        width: int = 1

        def __post_init__(self):
            super().__init__()

    assert Settings(width=4).width == 4

    class Mine(nn.Conv2d):
        """Conv2d under a user's name."""

    with pytest.raises(TypeError, match=r"^Conv2d\.__init__\(\) missing 2 required"):
        Mine(1)
    assert Mine(1, 2, 3).weight.shape == (2, 1, 3, 3)


def test_a_container_given_a_keyword_that_is_no_module_names_itself():
    """(It said "add_module: int is not a Module subclass", a method the user never called.)"""
    with pytest.warns(FutureWarning, match="Container"), pytest.raises(TypeError) as info:
        nn.Container(conv=nn.Identity(), width=3)
    assert str(info.value).startswith("Container: every keyword must give a Module, got "
                                      "width= of type int; "), info.value
    with pytest.warns(FutureWarning):
        held = nn.Container(conv=nn.Identity(), skipped=None)
    assert [name for name, _ in held.named_children()] == ["conv"]

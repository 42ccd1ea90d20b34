"""Classes that named another in their errors, or ignored their arguments (thirty-first
round).

`nn.RNNBase` and `nn.RNNCellBase` were other names of the private `_RecurrentLayer` and
`_RecurrentCell`, so their wrong-arguments messages and their own checks named a class
the user never wrote; `nn.Container` given a keyword that is no module blamed
`add_module`, a method the user never called; `tg.no_grad(1, 2)`,
`tg.enable_grad(True)` and `forward_ad.dual_level(2)` ignored what they were given. (A
class that inherits its constructor still names the base that wrote it, as Python does,
PyTorch's `nn.Sigmoid(1)` too: "Module.__init__() takes ...".)
"""
from __future__ import annotations

import pytest

import tinygrad_gd as tg
from tinygrad_gd import forward_ad, nn


@pytest.mark.parametrize("call, called", [
    (lambda: nn.RNNBase(*range(14)), "RNNBase.__init__() "),
    (lambda: nn.RNNCellBase(*range(14)), "RNNCellBase.__init__() "),
])
def test_the_recurrent_bases_say_their_own_name(call, called):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value).startswith(called), info.value


def test_the_recurrent_layers_are_still_the_bases_kind():
    assert isinstance(nn.LSTM(3, 2), nn.RNNBase) and isinstance(nn.GRUCell(3, 2),
                                                                nn.RNNCellBase)
    assert nn.RNNBase.__name__ == "RNNBase" and nn.RNNCellBase.__name__ == "RNNCellBase"


def test_a_container_given_a_keyword_that_is_no_module_names_itself():
    """(It said "add_module: int is not a Module subclass", a method the user never called.)"""
    with pytest.warns(FutureWarning, match="Container"), pytest.raises(TypeError) as info:
        nn.Container(conv=nn.Identity(), width=3)
    assert str(info.value).startswith("Container: every keyword must give a Module, got "
                                      "width= of type int; "), info.value
    with pytest.warns(FutureWarning):
        held = nn.Container(conv=nn.Identity(), skipped=None)
    assert [name for name, _ in held.named_children()] == ["conv"]


@pytest.mark.parametrize("make, name", [
    (lambda: tg.no_grad(1, 2), "no_grad"),
    (lambda: tg.enable_grad(True), "enable_grad"),
    (lambda: tg.no_grad(mode=False), "no_grad"),
    (lambda: forward_ad.dual_level(2), "dual_level"),
])
def test_a_mode_that_takes_no_arguments_refuses_them(make, name):
    """(They were ignored: `tg.no_grad(1, 2)` gave a no_grad block, as if called bare.)"""
    with pytest.raises(TypeError) as info:
        make()
    assert str(info.value).startswith(f"{name}() takes no arguments, got "), info.value
    assert f"`with {name}():`" in str(info.value)
    if name == "no_grad" and "mode" in str(info.value):
        assert "got mode=False:" in str(info.value)


def test_the_modes_still_work_bare_as_blocks_and_as_decorators():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        assert not (w * 2).requires_grad
    assert not tg.no_grad(lambda: (w * 2).requires_grad)()
    assert not tg.no_grad()(lambda: (w * 2).requires_grad)()
    with tg.no_grad(), tg.enable_grad():
        assert (w * 2).requires_grad
    with tg.set_grad_enabled(False):
        assert not (w * 2).requires_grad

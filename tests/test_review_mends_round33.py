"""What the thirty-third round's reviews found in its own changes, each case as the
reviewer wrote it (these run without PyTorch: the round's other files need it).

- names: a user's Module subclass keeps Python's inheritance of `__init__` (a dataclass's
  own, a later patch of the base); a dtype given as an array, `fork_rng` given an
  iterator of devices, `make_tensor`'s unsigned bounds, `biject_to`'s signature;
"""
from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest

import tinygrad_gd as tg


def test_a_users_subclass_keeps_pythons_inheritance_of_the_constructor():
    """Only the built-in layers get a constructor of their own: a user's subclass inherits,
    so a dataclass's own __init__ is made and a later patch of the base reaches it."""
    class Wide(tg.nn.Linear):
        pass
    with pytest.raises(TypeError) as info:
        Wide()
    assert str(info.value).startswith("Linear.__init__() missing 2 required"), info.value
    assert Wide(3, 2).weight.shape == (2, 3) and "__init__" not in vars(Wide)

    class Block(tg.nn.Module):
        def __init__(self, n=3):
            super().__init__()
            self.n = n

    @dataclasses.dataclass(eq=False)
    class Head(Block):
        width: int = 4

        def __post_init__(self):
            Block.__init__(self)
            self.proj = tg.nn.Linear(self.width, 2)

    assert [p.shape for p in Head(width=8).parameters()] == [(2, 8), (2,)]

    class Child(Block):
        pass
    original = Block.__init__

    def patched(self, n=5):
        original(self, n)
    Block.__init__ = patched
    assert Child().n == 5


def test_the_reviews_cases_of_the_new_names():
    """A dtype that is an array, an iterator of devices, an unsigned dtype's bounds, and
    biject_to's signature."""
    with pytest.raises(TypeError, match=r"^zeros: unknown dtype array\(\[1, 2\]\)"):
        tg.zeros(2, dtype=np.array([1, 2]))
    with pytest.raises(RuntimeError, match=r"devices=\[0\] asks"):
        with tg.random.fork_rng(devices=iter([0])):
            pass
    with pytest.raises(ValueError, match=r"\[-9, -3\) lie outside \[0, 256\)"):
        tg.testing.make_tensor(3, dtype=tg.uint8, device="cpu", high=-3)  # (PyTorch's -9)
    drawn = tg.testing.make_tensor(1000, dtype=tg.uint8, device="cpu")  # -9 clamped to 0
    assert drawn.dtype == np.uint8 and drawn.numpy().min() == 0 and drawn.numpy().max() == 9
    assert str(inspect.signature(tg.distributions.biject_to)) == "(constraint)"
    assert str(inspect.signature(tg.distributions.transform_to.register)) == \
        "(constraint, factory=None)"

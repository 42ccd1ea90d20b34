"""PyTorch names a user reaches for and did not find (thirty-third round), each against
PyTorch 2.13: added where they fit a CPU, NumPy, float64 framework, else refused in one
line that says why and what to use.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")


# -- casts to bfloat16, and torch's legacy tensor-type classes -----------------------------
_NO_BFLOAT16 = "NumPy has no bfloat16 dtype: use x.half() (float16) or x.float() (float32)"


@pytest.mark.parametrize("call, where", [
    (lambda: tg.ones(2).to(torch.bfloat16), "to"),
    (lambda: tg.ones(2).to("bfloat16"), "to"),
    (lambda: tg.ones(2).to(dtype=torch.bfloat16), "to"),
    (lambda: tg.zeros(2, dtype=torch.bfloat16), "zeros"),
])
def test_a_cast_to_bfloat16_says_numpy_has_none_and_what_to_use(call, where):
    """(It said NumPy's words: "unknown dtype 'bfloat16': data type 'bfloat16' not
    understood".)"""
    assert torch.ones(2).to(torch.bfloat16).dtype == torch.bfloat16  # (PyTorch's takes it)
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == f"{where}: {_NO_BFLOAT16}"


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
                                  "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
                                  "BoolTensor"])
def test_type_takes_torchs_legacy_type_classes_as_their_names(name):
    """(`x.type(torch.FloatTensor)` was refused: "tinygrad_gd runs on the CPU only".)"""
    values = np.array([0.0, 1.5, -2.0])
    expected = torch.tensor(values).type(getattr(torch, name))
    for given in (getattr(torch, name), getattr(tg, name), f"torch.{name}"):
        ours = tg.tensor(values).type(given)
        assert str(ours.dtype) == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    model = tg.nn.Linear(2, 2)
    if expected.dtype.is_floating_point:
        assert model.type(getattr(torch, name)) is model
        assert str(model.weight.dtype) == str(expected.dtype).removeprefix("torch.")


def test_type_of_torchs_bfloat16_and_cuda_classes_is_refused_saying_what_it_was_given():
    start = "type: expected a dtype (tg.float32, \"int64\") or a type name such as "
    with pytest.raises(TypeError) as info:
        tg.ones(2).type(torch.BFloat16Tensor)
    assert str(info.value) == (f"{start}'tinygrad_gd.FloatTensor', got tensortype "
                               f"<class 'torch.BFloat16Tensor'>; {_NO_BFLOAT16}")
    with pytest.raises(TypeError) as info:
        tg.ones(2).type(torch.cuda.FloatTensor)
    assert str(info.value).endswith("; tinygrad_gd runs on the CPU only")


# -- tg.random.fork_rng ---------------------------------------------------------------------
@pytest.fixture
def global_generator():
    """The global generator as the test found it, put back after it (the tests reseed it)."""
    saved = list(tg.creation._seeded)
    yield
    tg.creation._seeded[:] = saved


def _draws_after(block):
    """Three draws after `block`, the global generator seeded 0 and drawn from first."""
    tg.manual_seed(0)
    tg.randn(2)
    block()
    return tg.randn(3).numpy()


def _nothing():
    pass


def test_fork_rng_leaves_the_draws_after_it_as_without_it(global_generator):
    def forked():
        with tg.random.fork_rng():
            tg.randn(5), tg.rand(4), tg.random.normal(0.0, 1.0, size=(3,))
    np.testing.assert_array_equal(_draws_after(forked), _draws_after(_nothing))
    # PyTorch's too: the draws after the block are those without it
    torch.manual_seed(0)
    without = torch.randn(3)
    torch.manual_seed(0)
    with torch.random.fork_rng():
        torch.randn(5)
    assert torch.equal(torch.randn(3), without)


def test_fork_rng_nested_and_reseeded_inside_restores_each_level(global_generator):
    inside = []

    def nested():
        with tg.random.fork_rng():
            tg.randn(2)
            with tg.random.fork_rng(devices=[]):
                tg.manual_seed(123)
                tg.randn(7)
            inside.append(tg.randn(3).numpy())  # as if the inner block had not run
            tg.manual_seed(5)
            tg.randn(1)
    np.testing.assert_array_equal(_draws_after(nested), _draws_after(_nothing))
    assert tg.random.initial_seed() == 0

    def two_draws():
        tg.randn(2)
    np.testing.assert_array_equal(inside[0], _draws_after(two_draws))


def test_a_generator_held_before_the_block_follows_it_back(global_generator):
    """(manual_seed returns the generator; what holds it draws the restored stream.)"""
    held = tg.manual_seed(0)
    with tg.random.fork_rng():
        held.normal(size=4)
    after = held.normal(size=3)
    np.testing.assert_array_equal(after, tg.manual_seed(0).normal(size=3))


def test_fork_rng_restores_after_an_exception_and_not_when_disabled(global_generator):
    def raising():
        with pytest.raises(KeyError), tg.random.fork_rng():
            tg.randn(4)
            raise KeyError("inside")
    np.testing.assert_array_equal(_draws_after(raising), _draws_after(_nothing))

    def disabled():
        with tg.random.fork_rng(enabled=False):
            tg.randn(4)

    def drawn():
        tg.randn(4)
    np.testing.assert_array_equal(_draws_after(disabled), _draws_after(drawn))


def test_fork_rng_without_a_seeded_generator_leaves_none(global_generator):
    tg.creation._seeded[:] = [None, None]  # (as a program that never called manual_seed)
    with tg.random.fork_rng():
        tg.manual_seed(3)
    seeded = np.random.default_rng(3)
    after = tg.randn(3).numpy()  # fresh entropy: neither of seed 3's first two draws
    assert not any(np.array_equal(after, seeded.standard_normal(3)) for _ in range(2))


@pytest.mark.parametrize("call, error, text", [
    (lambda: tg.random.fork_rng(devices=[0]), RuntimeError,
     "fork_rng: devices=[0] asks to fork the generators of accelerators, and tinygrad_gd has "
     "none (it computes on the CPU, whose generator is always forked); leave devices out or "
     "give []"),
    (lambda: tg.random.fork_rng(enabled="yes"), TypeError, "fork_rng: enabled must be"),
    (lambda: tg.random.fork_rng(device_type=3), TypeError,
     "fork_rng: device_type must be a device type's name"),
])
def test_fork_rng_refusals(call, error, text):
    with pytest.raises(error) as info, call():
        pass
    assert str(info.value).startswith(text), info.value

"""The thirty-sixth round's own mends: `out=` of a function giving values and indices takes
PyTorch's tuple (it raised AttributeError from inside), every out checked before any is
written; a recurrent function given another library's tensor names that library."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


CALLS = {"max": (1,), "min": (0,), "topk": (2,)}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_of_values_and_indices_takes_a_tuple_of_two_as_pytorch(name):
    values = np.random.default_rng(0).normal(size=(3, 4))
    x = tg.tensor(values)
    expected = getattr(tg, name)(x, *CALLS[name])
    outs = (tg.zeros(expected.values.shape), tg.zeros(expected.indices.shape, dtype=tg.int64))
    got = getattr(tg, name)(x, *CALLS[name], out=outs)
    assert got.values is outs[0] and got.indices is outs[1]
    np.testing.assert_array_equal(outs[0].numpy(), expected.values.numpy())
    np.testing.assert_array_equal(outs[1].numpy(), expected.indices.numpy())
    torch = _torch_or_none()
    if torch is not None:  # (PyTorch's out=(values, indices) gives the same)
        t_outs = (torch.zeros(outs[0].shape, dtype=torch.float64),
                  torch.zeros(outs[1].shape, dtype=torch.int64))
        getattr(torch, name)(torch.tensor(values), *CALLS[name], out=t_outs)
        np.testing.assert_array_equal(outs[0].numpy(), t_outs[0].numpy())
        np.testing.assert_array_equal(outs[1].numpy(), t_outs[1].numpy())


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_wrong_out_of_values_and_indices_is_refused_in_one_line_with_nothing_written(name):
    x = tg.tensor(np.random.default_rng(1).normal(size=(3, 4)))
    shape = getattr(tg, name)(x, *CALLS[name]).values.shape
    first = tg.zeros(shape)
    cases = [
        (tg.zeros(shape), TypeError, f"{name}: gives 2 tensors (values, indices); out= must be "
         f"a tuple of 2 Tensors, one for each, got Tensor"),  # (AttributeError from inside)
        ((first,), TypeError, f"{name}: gives 2 tensors (values, indices); out= must be a "
         f"tuple of 2 Tensors, one for each, got tuple of 1"),
        ((first, tg.zeros(7, dtype=tg.int64)), ValueError, f"{name}: out= has shape (7,) and "
         f"dtype int64, the result shape {shape} and dtype int64; give an out of the result's "
         f"shape and its dtype, int64"),
    ]
    for out, error, said in cases:
        with pytest.raises(error) as info:
            getattr(tg, name)(x, *CALLS[name], out=out)
        assert str(info.value) == said
        assert not first.numpy().any()  # (the values' out untouched: checked before written)


def test_out_of_values_and_indices_is_refused_where_the_values_need_a_gradient():
    x = tg.tensor(np.random.default_rng(2).normal(size=(3, 4)), requires_grad=True)
    indices = tg.zeros(3, dtype=tg.int64)
    with pytest.raises(RuntimeError, match=r"^max\(\): functions with out=\.\.\. arguments "
                       r"don't support automatic differentiation"):
        tg.max(x, 1, out=(tg.zeros(3), indices))
    assert not indices.numpy().any()
    with tg.no_grad():
        tg.max(x, 1, out=(tg.zeros(3), indices))
    np.testing.assert_array_equal(indices.numpy(), x.detach().numpy().argmax(1))


def test_a_recurrent_function_given_a_torch_tensor_names_torchs_tensor():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError) as info:
        tg.rnn_tanh_cell(torch.ones(1, 3), tg.zeros(1, 4), tg.ones(4, 3), tg.ones(4, 4))
    assert str(info.value) == ("rnn_tanh_cell: input must be a Tensor, got torch.Tensor; make "
                               "one with tg.tensor(...)")  # (it said "got Tensor")


def test_the_indices_out_must_be_integer_as_pytorchs():
    # a float out took the indices (as 2.0, 0.0, ...) where PyTorch refuses
    x = tg.tensor(np.random.default_rng(3).normal(size=(2, 3)))
    values, indices = tg.zeros(2), tg.zeros(2)
    with pytest.raises(ValueError) as info:
        tg.max(x, 1, out=(values, indices))
    assert str(info.value) == ("max: out= has shape (2,) and dtype float64, the result shape "
                               "(2,) and dtype int64; give an out of the result's shape and "
                               "its dtype, int64")
    assert not values.numpy().any() and not indices.numpy().any()
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(RuntimeError, match="dtype long"):
            floats = (torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
            torch.max(torch.tensor(x.numpy()), 1, out=floats)

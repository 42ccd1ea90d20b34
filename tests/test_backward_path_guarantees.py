"""What backward() promises about a leaf's `.grad` beside the chain rule, where no other
test holds it: a gradient added into a `.grad` set by hand keeps that `.grad`'s strides,
whatever the leaf's own (PyTorch's AccumulateGrad adds in place: the gradient layout
contract, grad_layout.contracted_grad, called from hooks.py).

Without torch: the strides of the `.grad` assigned, and the values of a NumPy formula.
With torch: the same strides and values as torch's.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg


def _added_twice(m):
    """A row-by-row leaf of library `m` (tg or torch) whose `.grad` was set by hand as a
    transposed array, after two backward passes adding 2 and then 3 to it: its `.grad`."""
    p = m.zeros(3, 4, dtype=m.float64, requires_grad=True)
    p.grad = m.zeros(4, 3, dtype=m.float64).T  # (strides (1, 3): not the leaf's)
    with warnings.catch_warnings():  # (torch's: the layouts differ, "not an error")
        warnings.simplefilter("ignore" if m is not tg else "error")
        (p * 2.0).sum().backward()
        (p * 3.0).sum().backward()
    return p.grad


def test_a_grad_set_by_hand_in_other_strides_keeps_them_when_added_to():
    grad = _added_twice(tg)
    assert grad.stride() == (1, 3) and not grad.is_contiguous()
    np.testing.assert_array_equal(grad.numpy(), np.full((3, 4), 2.0 + 3.0))


@pytest.mark.torch
def test_a_grad_set_by_hand_in_other_strides_is_added_to_as_torchs():
    torch = pytest.importorskip("torch")
    ours, theirs = _added_twice(tg), _added_twice(torch)
    assert ours.stride() == theirs.stride()
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())

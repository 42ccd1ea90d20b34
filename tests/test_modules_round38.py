"""What a PyTorch user's module and optimizer code saw differ (thirty-eighth round, mine):

- the global registration hooks (`register_module_buffer_registration_hook`,
  `..._module_...`) see None assigned to a buffer's or a submodule's name, as PyTorch's
  (`register_buffer(name, None)`, `add_module(name, None)`, `m.sub = None`); a
  parameter's None is not shown to them, PyTorch's rule too;
- `MultiheadAttention._reset_parameters()` called as PyTorch's is (no argument: it took a
  generator it needed) redraws xavier_uniform in_proj weights and zeroes the biases;
Checked against PyTorch's rule written out here, and (marked `torch`) against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg


def _assignments(lib):
    """What the three registration hooks are shown, through every way of assigning None."""
    from importlib import import_module
    hooks = import_module(f"{lib.__name__}.nn.modules.module")
    seen = []
    handles = [hooks.register_module_buffer_registration_hook(
                   lambda m, n, b: seen.append(("buffer", n, b is None))),
               hooks.register_module_module_registration_hook(
                   lambda m, n, s: seen.append(("module", n, s is None))),
               hooks.register_module_parameter_registration_hook(
                   lambda m, n, p: seen.append(("parameter", n, p is None)))]
    try:
        holder = lib.nn.Module()
        holder.register_buffer("empty_buffer", None)
        holder.register_module("empty_module", None)
        holder.register_parameter("empty_parameter", None)
        holder.plain = None
        holder.add_module("layer", lib.nn.Tanh())
        holder.layer = None
        holder.register_buffer("running", lib.ones(1))
        holder.running = None
        holder.running = lib.zeros(2)
        holder.w = lib.nn.Parameter(lib.ones(1))
        holder.w = None
    finally:
        for handle in handles:
            handle.remove()
    return seen


def test_registration_hooks_see_none_given_to_a_buffer_or_a_module():
    assert _assignments(tg) == [
        ("buffer", "empty_buffer", True), ("module", "empty_module", True),
        ("module", "layer", False), ("module", "layer", True),
        ("buffer", "running", False), ("buffer", "running", True), ("buffer", "running", False),
        ("parameter", "w", False)]  # (a parameter's None, and a plain attribute's, unseen)


@pytest.mark.torch
def test_registration_hooks_see_what_pytorchs_see(torch64):
    assert _assignments(tg) == _assignments(torch64)


@pytest.mark.parametrize("kdim", [None, 3])
def test_multihead_attentions_reset_takes_no_argument_as_pytorchs(kdim):
    layer = tg.nn.MultiheadAttention(4, 2, kdim=kdim, vdim=kdim, add_bias_kv=True)
    with tg.no_grad():
        for p in layer.parameters():
            p.fill_(7.0)
    layer._reset_parameters()  # (PyTorch's: torch.nn.MultiheadAttention._reset_parameters())
    weights = ([layer.in_proj_weight] if kdim is None else
               [layer.q_proj_weight, layer.k_proj_weight, layer.v_proj_weight])
    for w in weights:  # xavier_uniform_: within sqrt(6 / (fan_in + fan_out)), not constant
        rows, cols = w.shape
        values = w.numpy()
        assert np.abs(values).max() <= np.sqrt(6.0 / (rows + cols)) and values.std() > 0
    np.testing.assert_array_equal(layer.in_proj_bias.numpy(), 0.0)
    np.testing.assert_array_equal(layer.out_proj.bias.numpy(), 0.0)
    assert (layer.bias_k.numpy() != 7.0).all() and (layer.bias_v.numpy() != 7.0).all()

"""What a PyTorch user's module and optimizer code saw differ (thirty-eighth round, mine):

- the global registration hooks (`register_module_buffer_registration_hook`,
  `..._module_...`) see None assigned to a buffer's or a submodule's name, as PyTorch's
  (`register_buffer(name, None)`, `add_module(name, None)`, `m.sub = None`); a
  parameter's None is not shown to them, PyTorch's rule too;
Checked against PyTorch's rule written out here, and (marked `torch`) against PyTorch."""
from __future__ import annotations

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

"""PyTorch's older weight norm and spectral norm, forward pre-hooks (`nn.utils.weight_norm`,
`nn.utils.spectral_norm`), kept for code and state_dicts written for them; new code uses
`nn.utils.parametrizations`.

`weight_norm(layer)` replaces the parameter `weight` by `weight_g` (the norms over every
axis but `dim`) and `weight_v`; before each forward a hook sets `layer.weight = weight_g *
weight_v / ||weight_v||` (a plain Tensor, in the graph). `spectral_norm(layer)` keeps
`weight_orig` (the parameter) and the buffers `weight_u`, `weight_v`; before each forward
the hook (in training mode) refines u and v by power iteration and sets `layer.weight =
weight_orig / sigma`, sigma = u . (W v). `remove_weight_norm` and `remove_spectral_norm`
make `weight` a parameter again, holding the last computed values.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ...errors import user_stacklevel
from ...creation import make_generator
from ...grad_mode import no_grad
from ...inference import refuse_requires_grad
from ...ops.arguments import check_axis, number
from ...tensor import Tensor
from ..module import Module, Parameter
from ..module_hooks import remove_forward_pre_hook
from .parametrizations import (check_power_iterations, norm_except_dim, spectral_dim, unit,
                               weight_matrix)

__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


def _parameter(module: Module, name: Any, where: str) -> Parameter:
    held = vars(module).get(name) if isinstance(name, str) else None
    if not isinstance(held, Parameter):
        raise ValueError(f"{where}: {type(module).__name__} has no parameter named {name!r}")
    return held


def _find_hook(module: Module, kind: type, name: str) -> tuple[int, Any] | None:
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            return key, hook
    return None


def _check_no_hook(module: Module, kind: type, name: str, where: str) -> None:
    """`where` (weight_norm, spectral_norm) refused on a parameter that has its hook."""
    if _find_hook(module, kind, name):
        raise RuntimeError(f"{where}: {type(module).__name__} has a {where} hook on "
                           f"{name!r} already; remove_{where} first")


def _remove_hook(module: Module, kind: type, name: str, where: str) -> Module:
    """remove_`where`: the hook's parameter computed once more and made a parameter again
    (the hook's `remove`), and the hook taken off the module."""
    found = _find_hook(module, kind, name)
    if found is None:
        raise ValueError(f"remove_{where}: no {where} of {name!r} in {type(module).__name__}")
    key, hook = found
    hook.remove(module)
    remove_forward_pre_hook(module, key)
    return module


class WeightNorm:
    """The forward pre-hook of `weight_norm`: weight = g * v / norm_except_dim(v, dim)."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim

    def compute_weight(self, module: Module) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim, "weight_norm"))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module)
        delattr(module, self.name)
        delattr(module, self.name + "_g")
        delattr(module, self.name + "_v")
        module.register_parameter(self.name, Parameter(weight._data, dtype=weight.dtype))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """PyTorch's older weight norm (see the module's docstring): parameters `name_g` and
    `name_v`, the weight recomputed before each forward. `dim` None: one norm for the
    whole tensor. Returns the module. (Deprecated in PyTorch, which warns, as here.)"""
    where = "weight_norm"
    warnings.warn("nn.utils.weight_norm is deprecated in favor of "
                  "nn.utils.parametrizations.weight_norm", FutureWarning,
                  stacklevel=user_stacklevel())
    _check_no_hook(module, WeightNorm, name, where)
    weight = _parameter(module, name, where)
    # (PyTorch's makes Parameter(weight.data): of an inference weight, refused as there)
    refuse_requires_grad(where, weight, f"the parameter '{name}'", "build the module outside "
                         "tg.inference_mode(), or call weight_norm inside it")
    hook = WeightNorm(name, -1 if dim is None else dim)
    g = norm_except_dim(weight, hook.dim, where)  # (checks dim before anything changes)
    delattr(module, name)
    module.register_parameter(name + "_g", Parameter(g._data, dtype=g.dtype))
    module.register_parameter(name + "_v", Parameter(weight._data, dtype=weight.dtype))
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo `weight_norm`: `name` a parameter again, with the current g * v / ||v||."""
    return _remove_hook(module, WeightNorm, name, "weight_norm")


class SpectralNorm:
    """The forward pre-hook of `spectral_norm`: weight = weight_orig / sigma, u and v
    refined first (v = W^T u, then u = W v, each normalized) in training mode."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name, self.n_power_iterations, self.dim, self.eps = (
            name, n_power_iterations, dim, eps)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        matrix = weight_matrix(weight, self.dim)
        if do_power_iteration:
            new_u, new_v = u._data, v._data
            for _ in range(self.n_power_iterations):
                new_v = unit(matrix._data.T @ new_u, self.eps)
                new_u = unit(matrix._data @ new_v, self.eps)
            u[...], v[...] = new_u, new_v  # (in place: the buffers keep their identity)
        # copies: a later update of the buffers must not change what backward uses
        sigma = (Tensor(u._data.copy(), name="spectral_norm u")
                 * (matrix @ Tensor(v._data.copy(), name="spectral_norm v"))).sum()
        return weight / sigma

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight._data, dtype=weight.dtype))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """PyTorch's older spectral norm (see the module's docstring): `name_orig`, buffers
    `name_u` and `name_v` (drawn now, normalized; tg.manual_seed's generator if seeded),
    the weight recomputed before each forward. `dim` None: 0, or 1 for ConvTranspose.
    Returns the module."""
    where = "spectral_norm"
    _check_no_hook(module, SpectralNorm, name, where)
    weight = _parameter(module, name, where)
    n_power_iterations = check_power_iterations(n_power_iterations, where)
    dim = check_axis(where, spectral_dim(module, dim), weight.ndim) % weight.ndim
    hook = SpectralNorm(name, n_power_iterations, dim, number(where, "eps", eps, 0))
    height, width = weight_matrix(weight, hook.dim).shape
    rng = make_generator(None, None, where)
    u = unit(rng.standard_normal(height).astype(weight.dtype), hook.eps)
    v = unit(rng.standard_normal(width).astype(weight.dtype), hook.eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, Tensor(weight._data.copy()))
    module.register_buffer(name + "_u", np.asarray(u))
    module.register_buffer(name + "_v", np.asarray(v))
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo `spectral_norm`: `name` a parameter again, weight_orig / sigma (no iteration)."""
    return _remove_hook(module, SpectralNorm, name, "spectral_norm")

"""PyTorch's `nn.utils` for training loops: clipping gradients before the optimizer's step,
and the parameters as one flat vector.

`clip_grad_norm_(model.parameters(), max_norm)` scales every gradient by one factor so
that their joint norm is at most `max_norm`, keeping the step's direction; it is
`get_total_norm` of the gradients followed by `clip_grads_with_norm_` (`clip_grad_norm`,
PyTorch's deprecated spelling, warns and calls it). `clip_grad_value_`
clamps each entry. The clipping functions change `.grad` in place (a new array each: a
`.grad` held elsewhere is not changed) and run no graph.

`parameters_to_vector` concatenates the parameters into one 1-D tensor, in the graph
(built from reshape and cat, so backward() reaches each parameter);
`vector_to_parameters` writes a vector's values back into them.

`nn.utils.rnn` (rnn.py) pads and packs batches of sequences of different lengths
(`pad_sequence`, `pack_padded_sequence`, `PackedSequence`, ...) for the recurrent layers.
`nn.utils.parametrize` (`register_parametrization`, `remove_parametrizations`, `cached`,
...) and `nn.utils.parametrizations` (`weight_norm`, `spectral_norm`, `orthogonal`)
compute a parameter from others at each access; `weight_norm` and `spectral_norm` here
are PyTorch's older hooks (norm_hooks.py); `fuse_conv_bn_eval` and its kin fold an
eval-mode batch norm into the layer before it (fusion.py); `skip_init` (init.py);
`convert_conv2d_weight_memory_format` and its 3d twin (memory_format.py) lay out the
convolutions' weights; `nn.utils.prune` (prune.py: l1_unstructured, ln_structured,
global_unstructured, remove, ...) masks a parameter's entries, as PyTorch's.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Iterable

import numpy as np

from ...errors import user_stacklevel
from ... import functional as tg
from ...composed_reductions import vector_norm
from ...grad_mode import check_flag, no_grad
from ...grad_starts import replace_grad
from ...inference import refuse_changes
from ...ops.arguments import number
from ...tensor import Tensor
from . import rnn  # noqa: F401  (nn.utils.rnn: pad_sequence, pack_padded_sequence, ...)
from . import parametrizations, parametrize  # noqa: F401  (PyTorch's nn.utils submodules)
from . import prune  # noqa: F401  (nn.utils.prune: l1_unstructured, remove, ...)
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,  # noqa: F401
                     fuse_linear_bn_weights)
from .init import skip_init  # noqa: F401
from .memory_format import (convert_conv2d_weight_memory_format,  # noqa: F401
                            convert_conv3d_weight_memory_format)
from .norm_hooks import (remove_spectral_norm, remove_weight_norm, spectral_norm,  # noqa: F401
                         weight_norm)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
           "parameters_to_vector", "vector_to_parameters", "rnn", "parametrize",
           "parametrizations", "weight_norm", "remove_weight_norm", "spectral_norm",
           "remove_spectral_norm", "fuse_conv_bn_eval", "fuse_conv_bn_weights",
           "fuse_linear_bn_eval", "fuse_linear_bn_weights", "skip_init", "prune",
           "clip_grad_norm", "convert_conv2d_weight_memory_format",
           "convert_conv3d_weight_memory_format"]


def _tensors(parameters: Any, where: str) -> list[Tensor]:
    try:
        params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    except TypeError:  # (None, a number: no parameters to read)
        raise TypeError(f"{where}: parameters must be a tensor or an iterable of tensors "
                        f"(model.parameters()), got {type(parameters).__name__}") from None
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: expected tensors (model.parameters()), got "
                            f"{type(p).__name__}")
    return params


def _with_grads(parameters: Any, where: str) -> list[Tensor]:
    """The parameters that have a gradient; an inference gradient (made inside
    tg.inference_mode()) is refused, as PyTorch's clipping, which writes it in place."""
    params = _tensors(parameters, where)
    refuse_changes(where, (p.grad for p in params), "make it a normal tensor first (p.grad = "
                   "p.grad.clone()), or clip inside tg.inference_mode()",
                   lambda i, grad: f"the gradient of parameter {i}")
    return [p for p in params if p.grad is not None]


def _norm_type(norm_type: Any, where: str) -> float:
    if isinstance(norm_type, str):
        word = norm_type.strip().lower()  # (PyTorch reads the string "inf" too)
        if word in ("inf", "infinity", "-inf", "-infinity"):
            return -math.inf if word.startswith("-") else math.inf
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.integer,
                                                                 np.floating)) \
            or math.isnan(norm_type):
        raise ValueError(f"{where}: norm_type must be a number (2, 1, 0, inf, -inf, ...), got "
                         f"{norm_type!r}")
    return float(norm_type)


def _max_norm(max_norm: Any, where: str) -> float:
    """max_norm as a float: a number, or a 1-element tensor's value (PyTorch takes both)."""
    if isinstance(max_norm, Tensor) and max_norm.size == 1:
        max_norm = max_norm.item()
    return number(where, "max_norm", max_norm)


def get_total_norm(tensors: Iterable[Tensor] | Tensor, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: Any = None) -> Tensor:
    """The norm of all the tensors' entries together, as if concatenated into one vector
    (PyTorch's get_total_norm: the p-norm of their p-norms): norm_type any p > 0, inf
    (the largest entry's size), -inf (the smallest's) or 0 (the number of tensors with a
    nonzero entry, as PyTorch's: each tensor's 0-norm counts its nonzero entries, and the
    0-norm of those counts is how many are nonzero).

    As PyTorch's, it records no graph (it is meant for gradients); no tensors give 0.
    `foreach` is accepted and ignored (PyTorch's speed switch).
    """
    with no_grad():
        return _total_norm(tensors, norm_type, error_if_nonfinite, "get_total_norm")


def _total_norm(tensors: Any, norm_type: Any, error_if_nonfinite: bool, where: str) -> Tensor:
    error_if_nonfinite = check_flag(where, "error_if_nonfinite", error_if_nonfinite)
    tensors = [t for t in _tensors(tensors, where) if t.size]
    p = _norm_type(norm_type, where)
    if not tensors:
        return Tensor(0.0)
    norms = [vector_norm(t, p, op=where) for t in tensors]
    total = norms[0] if len(norms) == 1 else vector_norm(tg.stack(norms), p, op=where)
    if error_if_nonfinite and not np.isfinite(total._data):
        raise RuntimeError(f"{where}: the total norm of order {norm_type} is {total.item()}; "
                           f"pass error_if_nonfinite=False to go on anyway")
    return total


def clip_grads_with_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                          total_norm: Tensor | float, foreach: Any = None) -> None:
    """Scale every gradient by min(max_norm / (total_norm + 1e-6), 1) (PyTorch's
    clip_grads_with_norm_: the second half of clip_grad_norm_, with a norm computed by
    `get_total_norm`). `foreach` is accepted and ignored."""
    where = "clip_grads_with_norm_"
    params = _with_grads(parameters, where)
    max_norm = _max_norm(max_norm, where)
    try:
        total = float(total_norm)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: total_norm must be a number or a 1-element tensor (from "
                        f"get_total_norm), got {type(total_norm).__name__}") from None
    scale = min(max_norm / (total + 1e-6), 1.0)  # (PyTorch's 1e-6 keeps it finite at 0)
    for p in params:
        replace_grad(p, Tensor(p.grad._data * np.asarray(scale, dtype=p.grad.dtype)))


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: Any = None) -> Tensor:
    """Scale the gradients so that their joint norm (of order norm_type, as
    `get_total_norm`: 2 by default, any p > 0, inf, -inf or 0) is at most `max_norm`;
    returns the norm before clipping (in the gradients' dtype)."""
    params = _with_grads(parameters, "clip_grad_norm_")
    max_norm = _max_norm(max_norm, "clip_grad_norm_")
    with no_grad():
        total = _total_norm([p.grad for p in params], norm_type, error_if_nonfinite,
                            "clip_grad_norm_")
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_norm(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                   norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: Any = None) -> Tensor:
    """Deprecated (PyTorch's old spelling): clip_grad_norm_, with PyTorch's FutureWarning."""
    warnings.warn("`nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=user_stacklevel())
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float,
                     foreach: Any = None) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value]."""
    for p in _with_grads(parameters, "clip_grad_value_"):
        replace_grad(p, Tensor(np.clip(p.grad._data, -clip_value, clip_value)
                               .astype(p.grad.dtype)))


def parameters_to_vector(parameters: Iterable[Tensor] | Tensor) -> Tensor:
    """All the parameters flattened and concatenated into one 1-D tensor, in order
    (PyTorch's parameters_to_vector); in the graph, so a loss of it reaches each one."""
    params = _tensors(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters; pass model.parameters()")
    return tg.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor] | Tensor) -> None:
    """Write consecutive slices of the 1-D `vec` into the parameters, in order (PyTorch's
    vector_to_parameters, the inverse of parameters_to_vector). The values are written
    in place and counted as an in-place change, like `p.data = ...`; each parameter keeps
    its dtype (PyTorch's `param.data =` would take vec's)."""
    where = "vector_to_parameters"
    if not isinstance(vec, Tensor):
        raise TypeError(f"{where}: expected vec to be a Tensor, got {type(vec).__name__}")
    params = _tensors(parameters, where)
    sizes = [p.size for p in params]
    if vec.ndim != 1 or vec.size != sum(sizes):
        raise ValueError(f"{where}: vec has shape {vec.shape}, the parameters "
                         f"{sum(sizes)} entries in all; give a 1-D vector of that length "
                         f"(from parameters_to_vector)")
    values = vec._data
    start = 0
    for p, size in zip(params, sizes):
        p._mark_changed()  # (before the write: old_versions.py)
        np.copyto(p._data, values[start:start + size].reshape(p.shape), casting="unsafe")
        start += size

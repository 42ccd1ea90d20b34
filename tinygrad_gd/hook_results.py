"""What a hook returned, checked: a tensor hook's replacement gradient (`hook_replacement`),
a node hook's tuple of them (`node_hook_result`), a module's forward pre-hook's `(args,
kwargs)` (`forward_pre_hook_result`); anything else refused in one line saying what to
return."""
from __future__ import annotations

from typing import Any

import numpy as np


def node_hook_result(replaced: Any, count: int) -> tuple:
    """A node hook's result: a tuple or list of `count` gradients (None keeps one)."""
    if not isinstance(replaced, (tuple, list)) or len(replaced) != count:
        raise TypeError(f"a node hook returned {type(replaced).__name__} {str(replaced)[:40]!r}; "
                        f"return a tuple of {count} gradient(s) (None keeps one), or None")
    return tuple(replaced)


def hook_replacement(replaced: Any, tensor: Any) -> np.ndarray:
    try:
        array = np.asarray(getattr(replaced, "_data", replaced), dtype=tensor.dtype)
    except (TypeError, ValueError):
        raise TypeError(f"a gradient hook returned {type(replaced).__name__} "
                        f"{str(replaced)[:40]!r} for a tensor of shape {tensor.shape}; return "
                        f"a Tensor or array of that shape, or None to keep the gradient") from None
    if array.shape != tensor.shape:
        raise RuntimeError(f"a gradient hook returned shape {array.shape} for a tensor of "
                           f"shape {tensor.shape}; it must be the same")
    return array


def forward_pre_hook_result(module: Any, result: Any) -> tuple[tuple, dict]:
    """What a module's forward pre-hook registered with_kwargs=True returned (not None),
    checked to be `(new_args, new_kwargs)` (PyTorch's RuntimeError otherwise)."""
    if not (isinstance(result, tuple) and len(result) == 2
            and isinstance(result[0], (tuple, list)) and isinstance(result[1], dict)):
        raise RuntimeError(f"{type(module).__name__}: a forward pre-hook registered with "
                           f"with_kwargs=True must return None or a tuple of (new_args, "
                           f"new_kwargs) (a tuple and a dict), but got {type(result).__name__} "
                           f"{repr(result)[:60]}")
    return tuple(result[0]), result[1]

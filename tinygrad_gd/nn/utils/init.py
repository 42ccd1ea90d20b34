"""PyTorch's `nn.utils.skip_init`: a module built for the caller to initialise itself."""
from __future__ import annotations

import inspect
from typing import Any

from ..module import Module

__all__ = ["skip_init"]


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Module:
    """`module_cls(*args, **kwargs)`, whose parameters and buffers the caller is to set
    (PyTorch's skip_init). PyTorch leaves them uninitialised memory, of any values;
    here the layer's own initialisation runs (cheap on NumPy), which is one such choice.
    As PyTorch's, the class must take a `device` argument (the built-in layers do)."""
    if not isinstance(module_cls, type):
        raise TypeError(f"skip_init: expected a Module class such as nn.Linear, got "
                        f"{module_cls!r}")
    if not issubclass(module_cls, Module):  # (a class of another kind: PyTorch's error)
        raise RuntimeError(f"skip_init: expected a Module class such as nn.Linear, got "
                           f"{module_cls!r}")
    try:
        names = inspect.signature(module_cls).parameters
    except (TypeError, ValueError):
        names = {}
    if "device" not in names:
        raise RuntimeError(f"skip_init: {module_cls.__name__} must take a 'device' argument "
                           f"to be built without initialisation")
    return module_cls(*args, **kwargs)

"""PyTorch's deprecated `torch.autograd.Variable` and `variable`, as old tutorials use
them, and `is_tensor_like` (torch.overrides', re-exported by torch.autograd): what a
tensor is, asked of any object. tg.autograd gathers them.

Since PyTorch 0.4 a Variable is a Tensor: `Variable(x, requires_grad=True)` hands back
x's values as a new leaf (sharing them, detached from x's graph) that requires a gradient,
and `isinstance(t, Variable)` holds for every tensor. The same here, so a tutorial's
`w = Variable(tg.randn(3), requires_grad=True)` trains as written.
"""
from __future__ import annotations

import warnings
from typing import Any

from .errors import user_stacklevel
from .tensor import Tensor

__all__ = ["Variable", "variable", "is_tensor_like"]


def is_tensor_like(obj: Any) -> bool:
    """Whether `obj` is a Tensor (a Parameter, a subclass's tensor too); a NumPy array, a
    number or a list is not (PyTorch's torch.overrides.is_tensor_like, whose objects with
    a `__torch_function__` count too: there is no such protocol here)."""
    return isinstance(obj, Tensor)


class _VariableMeta(type):
    """Every Tensor is an instance of Variable, as in PyTorch."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """`Variable(data, requires_grad=False)` (deprecated in PyTorch: use the tensor itself,
    `data.detach().requires_grad_()`): data's values, shared, as a new leaf with
    requires_grad set; `Variable()` an empty tensor. `volatile=` is ignored with
    PyTorch's UserWarning (use `with tg.no_grad():`)."""

    def __new__(cls, data: Any = None, requires_grad: bool = False,
                volatile: Any = None) -> Tensor:  # type: ignore[misc]
        if volatile is not None:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "tg.no_grad():` instead.", UserWarning, stacklevel=user_stacklevel())
        if data is None:
            return Tensor([], requires_grad=bool(requires_grad))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}; Variable is deprecated: use "
                            f"tg.tensor(data, requires_grad=True)")
        return data.detach().requires_grad_(bool(requires_grad))


def variable(*args: Any, **kwargs: Any) -> Any:
    """Refused, as PyTorch refuses it: the long-gone spelling of tg.tensor."""
    raise RuntimeError("tg.autograd.variable(...) is deprecated, use "
                       "tg.tensor(...) instead")

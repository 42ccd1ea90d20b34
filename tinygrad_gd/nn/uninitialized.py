"""The tensors a lazy module holds until its first call (lazy.py): PyTorch's
`UninitializedParameter` and `UninitializedBuffer`, and `is_lazy`. Their values are an
empty array (shape (0,)): a state of such arrays only leaves a lazy module lazy (lazy.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .module import Buffer, Parameter
from .registration import _float_dtype

__all__ = ["UninitializedParameter", "UninitializedBuffer", "is_lazy"]


class _Uninitialized:
    """What the uninitialized parameter and buffer share: no values yet (an empty array of
    their dtype, which `model.to(dtype)` changes as a parameter's), `materialize`, and
    PyTorch's repr; `numel()` refused, as PyTorch's (a count of a lazy model's parameters
    would be 0, silently)."""

    __slots__ = ()
    cls_to_become: type

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give it values of `shape` (zeros; `dtype` its own unless given) and make it the
        plain class (Parameter, Buffer): the same object, as PyTorch's."""
        name = type(self).__name__
        resolved = _float_dtype(self._data.dtype if dtype is None else dtype,
                                f"{name}.materialize", device)
        try:
            values = np.zeros(shape, resolved)
        except (TypeError, ValueError):
            raise TypeError(f"{name}.materialize: shape must be a tuple of non-negative ints, "
                            f"got {shape!r}") from None
        self._become(values)

    def _become(self, values: np.ndarray) -> None:
        """Take `values` (a built layer's array) as its own and become the plain class."""
        self.__class__ = self.cls_to_become
        self._data = values

    def numel(self) -> int:
        raise ValueError(f"{type(self).__name__}.numel: its size is not known before the "
                         f"lazy module's first call; call the module (m(x)) first")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter without values yet (PyTorch's nn.UninitializedParameter), held by a lazy
    module until its first call. It counts as a parameter (`model.parameters()`, an
    optimizer may take it) and becomes a plain `Parameter` when it gets its values."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        resolved = _float_dtype(dtype, "UninitializedParameter", device)
        super().__init__(np.empty(0, resolved), requires_grad=requires_grad)

    def freeze_(self, index: Any = None) -> "Parameter":
        """Refused: its entries are not known until the module's first call."""
        raise RuntimeError("freeze_: this parameter is not initialized yet (a lazy module's, "
                           "before its first call); call the module once, then freeze entries")


class UninitializedBuffer(_Uninitialized, Buffer):
    """A Buffer without values yet (PyTorch's nn.UninitializedBuffer): a lazy batch or
    instance norm's running_mean and running_var until its first call."""

    __slots__ = ()
    cls_to_become = Buffer

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                 persistent: bool = True) -> None:
        # (requires_grad and persistent: PyTorch's arguments; a Buffer learns nothing here,
        # and whether it is saved is the module's register_buffer's to say)
        super().__init__(np.empty(0, _float_dtype(dtype, "UninitializedBuffer", device)))


def is_lazy(param: Any) -> bool:
    """Whether `param` is an UninitializedParameter or UninitializedBuffer (PyTorch's
    nn.parameter.is_lazy)."""
    return isinstance(param, _Uninitialized)

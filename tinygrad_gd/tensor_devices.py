"""The devices, layouts and dtypes PyTorch's tensors have and tinygrad_gd's have not, as a
PyTorch user meets them on a tensor, and on a model (nn/module_conversions.py).

The values are NumPy arrays in the CPU's memory, real, dense and strided. So PyTorch's
moves to other devices are refused in one line (`cuda`, `xpu`, `ipu`, `mtia`:
`DEVICE_MOVES`), as are its casts to dtypes there are not here (`bfloat16`: NumPy has
none; `cfloat`, `cdouble`, `chalf`: complex, as `x.to(np.complex64)` is refused); its
facts about other devices and layouts are False (`x.is_xpu`, `is_mps`, `is_ipu`,
`is_mtia`, `is_maia`, `is_xla`, `is_vulkan`, `is_mkldnn`, `is_sparse_csr`;
`x.is_distributed()`). `x.to_dense()` of a dense tensor is x itself, as PyTorch's (with a
dtype, `x.to(dtype)`). PyTorch's deprecated `x.resize(*sizes)` and `x.resize_as(y)` (not
in place, beside the in-place `resize_`) are `reshape`, in the graph with its gradient: the
number of elements is kept, as PyTorch's autograd resize keeps it, with PyTorch's warning.
`refusal` makes a method that refuses every call in one line: these, tensor_methods_more.py's
(`pin_memory`, ...) and a model's moves (nn/module_conversions.py).
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable

import numpy as np

from .errors import user_stacklevel
from .grad_mode import check_flag
from .in_place import shown
from .ops.arguments import integer
from .tensor import Tensor
from .values import BFLOAT16_WHY, numeric_dtype

__all__: list[str] = []

# PyTorch's moves to a device: (the device as a user would name it)
DEVICE_MOVES = {"cuda": "GPU", "xpu": "Intel GPU (XPU)", "ipu": "Graphcore IPU",
                "mtia": "MTIA accelerator"}
_COMPLEX_CASTS = {"cfloat": "complex64", "cdouble": "complex128", "chalf": "complex32"}


def device_refusal(where: str, device: str, what: str) -> str:
    """The one line that refuses a move of `what` ("tensor", "model") to `device`."""
    keep = "x, or x.cpu()" if what == "tensor" else "model, or model.cpu()"
    return (f"{where}: there is no {DEVICE_MOVES[device]} here, tinygrad_gd computes on the "
            f"CPU; leave the {what} where it is ({keep})")


def refusal(name: str, error: type, message: str, doc: str | None = None,
            like: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """A method `name` that refuses every call with `error(message)` (a tensor's, here and
    in tensor_methods_more.py; a model's, nn/module_conversions.py): its docstring `doc`, by
    default "Refused: " and the message after its "name: "; its signature `like`'s, where
    given (PyTorch's, for inspect.signature)."""
    def refused(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise error(message)
    refused.__name__ = refused.__qualname__ = name
    refused.__doc__ = doc or f"Refused: {message.split(': ', 1)[1]}."
    if like is not None:
        refused.__signature__ = inspect.signature(like)  # type: ignore[attr-defined]
    return refused


def _to_dense(self: Tensor, dtype: Any = None, *, masked_grad: Any = True) -> Tensor:
    """x itself, as PyTorch's to_dense() of a dense tensor (every tensor here is dense);
    with a dtype, `x.to(dtype)`. `masked_grad` (True or False) matters for sparse
    tensors only."""
    check_flag("to_dense", "masked_grad", masked_grad)
    return self if dtype is None else self.to(numeric_dtype(dtype, "to_dense"))


def _resize(self: Tensor, *sizes: Any) -> Tensor:
    """PyTorch's deprecated `x.resize(*sizes)`: `x.reshape(*sizes)`, warned; the number of
    elements must stay (PyTorch's autograd resize). `x.resize_` changes x in place."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return _reshaped("resize", self, sizes, "x.reshape(*sizes)")


def _resize_as(self: Tensor, the_template: Any) -> Tensor:
    """PyTorch's deprecated `x.resize_as(y)`: `x.reshape(y.shape)`, warned; both must have
    as many elements (PyTorch's autograd resize). `x.resize_as_(y)` changes x in place.
    (The argument is named as resize_as_'s: PyTorch's `tensor`.)"""
    if not isinstance(the_template, Tensor):  # (resize_as_'s words)
        raise TypeError(f"resize_as: the_template must be a tensor, got {shown(the_template)}")
    return _reshaped("resize_as", self, the_template.shape, "x.reshape(y.shape)")


def _reshaped(where: str, x: Tensor, sizes: tuple, instead: str) -> Tensor:
    sizes = tuple(integer(where, "size", n) for n in sizes)  # (resize_'s checks and words)
    if min(sizes, default=0) < 0:
        raise ValueError(f"{where}: sizes must be >= 0, got {sizes}")
    count = int(np.prod(sizes, dtype=np.int64))
    if count != x._data.size:
        raise RuntimeError(f"{where}: requested resize to {tuple(sizes)} ({count} elements), "
                           f"but the tensor has shape {x.shape} ({x._data.size} elements); "
                           f"this resize keeps the number of elements, as PyTorch's: use "
                           f"x.resize_(...) to change it in place")
    warnings.warn(f"{where}: non-inplace {where} is deprecated, as in PyTorch; use {instead}",
                  UserWarning, stacklevel=user_stacklevel())
    return x.reshape(sizes)


for _name in DEVICE_MOVES:
    setattr(Tensor, _name, refusal(_name, RuntimeError, device_refusal(_name, _name, "tensor")))
setattr(Tensor, "bfloat16", refusal("bfloat16", TypeError, f"bfloat16: {BFLOAT16_WHY}; use "
                                    f"x.half() (float16) or x.float() (float32)"))
for _name, _dtype in _COMPLEX_CASTS.items():
    setattr(Tensor, _name, refusal(_name, TypeError, (
        f"{_name}: complex dtypes ({_dtype}) are not supported, the values here are real; "
        f"keep the real and imaginary parts in two float tensors (dtype float64)")))
for _name in ("is_xpu", "is_mps", "is_ipu", "is_mtia", "is_maia", "is_xla", "is_vulkan",
              "is_mkldnn", "is_sparse_csr"):
    setattr(Tensor, _name, property(lambda self: False, doc=(
        f"False: the values are dense NumPy arrays on the CPU (PyTorch's x.{_name}).")))
for _name, _method in (("to_dense", _to_dense), ("resize", _resize),
                       ("resize_as", _resize_as), ("is_distributed", lambda self: False)):
    _method.__name__ = _method.__qualname__ = _name
    setattr(Tensor, _name, _method)
Tensor.is_distributed.__doc__ = "False: no tensor here is spread over processes."

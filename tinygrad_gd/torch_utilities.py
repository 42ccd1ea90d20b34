"""PyTorch's top-level utilities that a ported program calls around its tensors:
`typename`, `is_storage`; the ways in from other memory, `from_dlpack`, `frombuffer`,
`from_file` (each a copy: a tensor here never shares another object's memory), and out,
`to_dlpack`; `compile` (returns what it is given: everything runs eagerly here); the
control flow `cond` and `while_loop`, run eagerly in Python; and the deprecated
`range` (end included), with PyTorch's warning.

`tg.range` and `tg.compile` are not in `__all__`: `from tinygrad_gd import *` would hide
Python's range and compile.
"""
from __future__ import annotations

import math
import os
import warnings
from typing import Any, Callable

import numpy as np

from .creation import _leaf
from .creation_arguments import check_layout
from .creation_more import _placed
from .errors import user_stacklevel
from .grad_mode import check_flag
from .in_place import shown
from .memory import UntypedStorage
from .ops.arguments import integer
from .tensor import Tensor
from .values import check_cpu, default_float, numeric_dtype

__all__ = ["typename", "is_storage", "from_dlpack", "to_dlpack", "frombuffer", "from_file",
           "cond", "while_loop"]


def typename(obj: Any) -> str:
    """The name of obj's type, as PyTorch's typename: a tensor's type (x.type(),
    'tinygrad_gd.DoubleTensor'), else module.qualname of a class or function (builtins
    without their module: 'int'), of an instance its class's."""
    if isinstance(obj, Tensor):
        return obj.type()
    named = obj if hasattr(obj, "__qualname__") or hasattr(obj, "__name__") else type(obj)
    qualname = getattr(named, "__qualname__", None) or getattr(named, "__name__", "")
    module = getattr(named, "__module__", "") or ""
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def is_storage(obj: Any) -> bool:
    """Whether obj is a tensor's storage (x.untyped_storage()), as PyTorch's is_storage."""
    return isinstance(obj, UntypedStorage)


class _Capsule:
    """A DLPack capsule (to_dlpack's, torch.utils.dlpack.to_dlpack's) as NumPy's
    from_dlpack takes it: an object whose __dlpack__ gives the capsule, on the CPU."""

    def __init__(self, capsule: Any) -> None:
        self.capsule = capsule

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)  # (DLPack's kDLCPU, device 0)


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor of the values of another library's array through DLPack (a NumPy array,
    a torch tensor on the CPU, anything with __dlpack__, or a DLPack capsule of the CPU's
    memory), as PyTorch's from_dlpack, but copied: writes on either side never reach the
    other."""
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    try:
        array = np.from_dlpack(ext_tensor)
    except (TypeError, BufferError, RuntimeError, AttributeError) as error:
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ (an array on the "
                        f"CPU), got {type(ext_tensor).__name__}: {error}") from None
    return _leaf(np.array(array, copy=True), False, "from_dlpack")


def to_dlpack(tensor: Tensor) -> Any:
    """A DLPack capsule of the tensor's values (a copy, as x.__dlpack__()), as PyTorch's
    to_dlpack: torch.from_dlpack or np.from_dlpack reads it once."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dlpack: expected a Tensor, got {type(tensor).__name__}")
    return tensor.__dlpack__()


def _converted(where: str) -> str:
    """requires_grad's hint where dtype= says how raw bytes are read: convert afterwards."""
    return (f"dtype= says how the bytes are read (float64 would read other values); convert "
            f"the result: tg.{where}(...).to(tg.float64).requires_grad_()")


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """A 1-d tensor of the values a buffer (bytes, bytearray, memoryview, array.array)
    holds, `count` of `dtype` (-1: all) from byte `offset`, as PyTorch's frombuffer,
    copied (PyTorch's shares the buffer's memory; a write to it does not reach here)."""
    where = "frombuffer"
    dtype = numeric_dtype(dtype, where)
    count, offset = integer(where, "count", count), integer(where, "offset", offset)
    try:
        size = memoryview(buffer).nbytes
    except TypeError:
        raise TypeError(f"{where}: expected an object with the buffer protocol (bytes, "
                        f"bytearray, memoryview), got {type(buffer).__name__}") from None
    if size == 0 or count == 0 or count < -1:
        raise ValueError(f"{where}: both buffer length ({size}) and count ({count}) must not "
                         f"be 0, and count is -1 (all) or a number of entries")
    if not 0 <= offset < size:
        raise ValueError(f"{where}: offset ({offset} bytes) must be non-negative and no "
                         f"greater than buffer length ({size} bytes) minus 1")
    if count == -1 and (size - offset) % dtype.itemsize:
        raise ValueError(f"{where}: buffer length ({size - offset} bytes) after offset "
                         f"({offset} bytes) must be a multiple of element size "
                         f"({dtype.itemsize})")
    if count > 0 and offset + count * dtype.itemsize > size:
        raise ValueError(f"{where}: {count} entries of {dtype} from byte {offset} need "
                         f"{offset + count * dtype.itemsize} bytes; the buffer has {size}")
    values = np.frombuffer(buffer, dtype, count, offset).copy()
    return _leaf(values, check_flag(where, "requires_grad", requires_grad), where,
                 _converted(where))


def from_file(filename: str, shared: bool | None = None, size: int = 0, *, dtype: Any = None,
              layout: Any = None, device: Any = None, pin_memory: bool = False,
              requires_grad: bool = False) -> Tensor:
    """A 1-d tensor of the first `size` values of `dtype` (the default float if None) a
    file holds as raw bytes, as PyTorch's from_file; shared=True (PyTorch's memory map,
    its writes reaching the file) is refused: the values are read, a copy."""
    where = "from_file"
    _placed(where, device, layout, pin_memory)  # (the CPU, strided, not pinned)
    if shared is not None and check_flag(where, "shared", shared):
        raise ValueError(f"{where}: shared=True maps the file into memory so that writes "
                         f"reach it; tinygrad_gd reads a copy: leave shared out and write "
                         f"the file back with x.numpy().tofile(...)")
    dtype, size = numeric_dtype(default_float() if dtype is None else dtype, where), \
        integer(where, "size", size)
    if size < 0:
        raise ValueError(f"{where}: size must be >= 0 (a number of entries), got {size}")
    if not isinstance(filename, (str, os.PathLike)):
        raise TypeError(f"{where}: filename must be a path (a str), got {shown(filename)}")
    try:
        length = os.path.getsize(filename)
    except (OSError, TypeError) as error:
        raise FileNotFoundError(f"{where}: cannot read {shown(filename)}: "
                                f"{getattr(error, 'strerror', None) or error}") from None
    if size * dtype.itemsize > length:
        raise ValueError(f"{where}: {size} entries of {dtype} need {size * dtype.itemsize} "
                         f"bytes; {filename} has {length}")
    try:
        values = np.fromfile(filename, dtype, count=size)
    except OSError as error:
        raise OSError(f"{where}: cannot read {shown(filename)}: {error.strerror or error}") \
            from None
    return _leaf(values, check_flag(where, "requires_grad", requires_grad), where,
                 _converted(where))


# torch.compile's modes (None: "default")
_MODES = (None, "default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs",
          "max-autotune")


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: Any = None,  # noqa: A001
            backend: Any = "inductor", mode: Any = None, options: Any = None,
            disable: bool = False) -> Any:
    """PyTorch's torch.compile, which traces a function or model and compiles it: here
    everything runs eagerly, op by op, so it returns `model` itself, unchanged (and used
    as `@tg.compile(...)` with no model, a decorator that does the same). A ported
    script's calls then run as written; the arguments are taken and not used. Not in
    `__all__`: `import *` keeps Python's compile."""
    if backend == "inductor" and mode not in _MODES:  # (refused, as PyTorch's default
        # backend refuses a misspelt mode, though unused; its other backends take any)
        raise RuntimeError(f"compile: unrecognized mode={mode!r}; give one of "
                           f"{', '.join(map(repr, _MODES[1:]))}, or leave it out")
    if model is None:
        return lambda function: function
    if not callable(model):
        raise TypeError(f"compile: expected a function or a module to compile, got "
                        f"{type(model).__name__}")
    return model


def _predicate(where: str, pred: Any) -> bool:
    if isinstance(pred, Tensor):
        if pred.size != 1:
            raise ValueError(f"{where}: the predicate must be one value, got a tensor of "
                             f"shape {pred.shape}")
        return bool(pred.item())
    if isinstance(pred, (bool, int, np.bool_, np.integer)):
        return bool(pred)
    raise TypeError(f"{where}: the predicate must be a bool or a one-value tensor, got "
                    f"{type(pred).__name__}")


def _functions(where: str, **functions: Any) -> None:
    for what, function in functions.items():
        if not callable(function):
            raise TypeError(f"{where}: {what} must be a function, got "
                            f"{type(function).__name__}; pass the function itself, not a "
                            f"call of it")


def _operands(where: str, what: str, operands: Any) -> tuple:
    if not isinstance(operands, (tuple, list)):
        raise TypeError(f"{where}: {what} must be a tuple or list of the functions' "
                        f"arguments, got {type(operands).__name__}")
    return tuple(operands)


def cond(pred: Any, true_fn: Callable, false_fn: Callable, operands: Any = ()) -> Any:
    """PyTorch's torch.cond run eagerly: true_fn(*operands) if pred (a bool or a
    one-value tensor) holds, else false_fn(*operands); the branch taken is recorded in
    the graph as any code is, so its gradients come from backward()."""
    operands = _operands("cond", "operands", operands)
    _functions("cond", true_fn=true_fn, false_fn=false_fn)
    return true_fn(*operands) if _predicate("cond", pred) else false_fn(*operands)


def while_loop(cond_fn: Callable, body_fn: Callable, carried_inputs: Any) -> tuple:
    """PyTorch's torch.while_loop run eagerly: while cond_fn(*carried) holds (a bool or a
    one-value tensor), carried = body_fn(*carried), which must give as many values back;
    returns the last carried values, a tuple."""
    carried = _operands("while_loop", "carried_inputs", carried_inputs)
    _functions("while_loop", cond_fn=cond_fn, body_fn=body_fn)
    while _predicate("while_loop", cond_fn(*carried)):
        result = body_fn(*carried)
        result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(result) != len(carried):
            raise ValueError(f"while_loop: body_fn returned {len(result)} values for "
                             f"{len(carried)} carried inputs; return one for each")
        carried = result
    return carried


def range(start: Any, end: Any, step: Any = 1, *, dtype: Any = None,  # noqa: A001
          layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """start, start + step, ... up to end *included* (PyTorch's deprecated torch.range,
    with its warning; tg.arange stops before end), in the default float dtype unless
    `dtype` is given. Not in `__all__`: `import *` keeps Python's range."""
    where = "range"
    warnings.warn("range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "tg.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=user_stacklevel())  # (tg.range is out_keyword.py's wrapper)
    check_layout(layout, where)
    check_cpu(device, where)
    bounds = []
    for name, value in (("start", start), ("end", end), ("step", step)):
        value = value.item() if isinstance(value, Tensor) and value.size == 1 else value
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not math.isfinite(value):
            raise TypeError(f"{where}: {name} must be a finite number, got {shown(value)}")
        bounds.append(value)
    start, end, step = bounds
    if step == 0:
        raise ValueError(f"{where}: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"{where}: upper bound and lower bound inconsistent with step sign "
                         f"(start={start}, end={end}, step={step})")
    count = int(math.floor((end - start) / step)) + 1
    resolved = numeric_dtype(default_float() if dtype is None else dtype, where)
    values = (start + step * np.arange(count, dtype=np.float64)).astype(resolved)
    return _leaf(values, check_flag(where, "requires_grad", requires_grad), where)

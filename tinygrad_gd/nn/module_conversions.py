"""`ModuleConversions`, a base of `Module`: what PyTorch does to a whole model's parameters
and buffers to change their dtype or their device, and to run it faster or from other
processes, as tinygrad_gd answers it on the CPU with NumPy.

Dtypes: `model.to(dtype)`, `float()`, `double()`, `half()` convert every float parameter
(and its gradient) and float buffer in place, the same objects; `model.type(dtype)`
converts every buffer, integer ones too, as PyTorch's (`'torch.DoubleTensor'` read as
`x.type` reads it). Devices: `model.cpu()` and `model.to("cpu")` change nothing (the
values are NumPy arrays in the CPU's memory) and return the model; `to_empty(device=)`
returns it too, the values kept: PyTorch's gives memory that is not initialised, which
here is the memory the tensors have. Refused in one line, as the tensors' own are
(tensor_devices.py): `cuda`, `xpu`, `ipu`, `mtia` (no such device), `bfloat16` (NumPy has
no such dtype) and `share_memory` (no memory shared between processes: the copy in each
would train apart, unseen). `model.compile()` returns None and changes nothing, as there
is nothing to compile: the model runs as it is.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..grad_mode import check_flag
from ..grad_starts import replace_grad
from ..memory_formats import lay_out_module, module_memory_format
from ..ops.shape import positional_flags, target_dtype
from ..tensor import Tensor
from ..tensor_devices import BFLOAT16_WHY, DEVICE_MOVES, device_refusal, refusal
from ..values import check_cpu, is_device

__all__ = ["ModuleConversions"]


def _is_meta(device: Any) -> bool:
    """PyTorch's "meta" device (a string, "meta:0", or a torch.device)."""
    return is_device(device) and str(device).split(":")[0] == "meta"


def _move_refused(name: str) -> Any:
    """Module's `name` (cuda, ...), refused as the tensor's is, with PyTorch's signature."""
    return refusal(name, RuntimeError, device_refusal(f"Module.{name}", name, "model"),
                   f"Refused: there is no {DEVICE_MOVES[name]} here (PyTorch's model.{name}()).",
                   like=lambda self, device=None: None)


def _not_a_float(where: str, dtype: np.dtype) -> TypeError:
    """The refusal of a dtype that is not a float one for a model's parameters."""
    return TypeError(f"{where}: a model's parameters are floats, so the dtype must be a "
                     f"float dtype, got {dtype}; pass np.float32, np.float64 or np.float16")


class ModuleConversions:
    """The dtype and device conversions of a whole model (see the module's docstring)."""

    cuda, xpu, ipu, mtia = (_move_refused(name) for name in DEVICE_MOVES)

    def float(self) -> Any:
        """`to(np.float32)`, PyTorch's `model.float()`: float parameters and buffers to float32.
        Returns self."""
        return self.to(np.float32)

    def double(self) -> Any:
        """`to(np.float64)`, PyTorch's `model.double()`. Returns self."""
        return self.to(np.float64)

    def half(self) -> Any:
        """`to(np.float16)`, PyTorch's `model.half()`. Returns self."""
        return self.to(np.float16)

    def bfloat16(self) -> Any:
        """Refused: NumPy has no bfloat16 dtype (PyTorch's model.bfloat16())."""
        raise TypeError(f"Module.bfloat16: {BFLOAT16_WHY}; use model.half() (float16) or "
                        f"model.float() (float32)")

    def cpu(self) -> Any:
        """Self, as it is: the values are NumPy arrays in the CPU's memory (PyTorch's
        model.cpu())."""
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False,
           memory_format: Any = None) -> Any:
        """PyTorch's `model.to(...)`, read as `Tensor.to`'s arguments. "cpu" leaves the model
        as it is (tinygrad_gd runs on the CPU; `non_blocking` accepted); a float dtype
        converts every parameter's values (and gradient) and every float buffer in place,
        the same objects, counted as in-place changes (`memory_format=`: each 4-d or 5-d
        one laid out so, as PyTorch's). Returns self. "meta" is read as
        "cpu": PyTorch's stateless copy (`copy.deepcopy(model).to('meta')`, a base for
        `func.functional_call`) is here the copy itself, its values kept."""
        flags = len(args)
        args, non_blocking, _ = positional_flags("Module.to", args, non_blocking, False)
        if flags - len(args) == 2:  # (dtype, non_blocking, copy): PyTorch's Module.to refuses
            raise RuntimeError("Module.to: does not take copy (it converts the parameters in "
                               "place); give the dtype and at most non_blocking")
        check_flag("Module.to", "non_blocking", non_blocking)
        fmt = module_memory_format(self, memory_format)
        device = None if _is_meta(device) else device
        args = tuple(arg for arg in args if not _is_meta(arg))
        dtype = target_dtype("Module.to", args, dtype, device)
        if dtype is None:
            return lay_out_module(self, fmt)
        if dtype.kind != "f":
            raise _not_a_float("Module.to", dtype)
        self._convert(dtype, every_buffer=False)
        return lay_out_module(self, fmt)

    def type(self, dst_type: Any) -> Any:
        """Every parameter (and gradient) and every buffer, integer ones too, converted to
        `dst_type` in place, as PyTorch's `model.type(dtype)`: a dtype, or a name as
        `x.type(name)` reads it ('torch.DoubleTensor'). Returns self. A parameter learns,
        so the dtype must be a float dtype."""
        dtype = Tensor(np.zeros(0)).type(dst_type).dtype  # (read as x.type reads it)
        if dtype.kind != "f" and self.parameters():
            raise _not_a_float("Module.type", dtype)
        self._convert(dtype, every_buffer=True)
        return self

    def _convert(self, dtype: np.dtype, every_buffer: bool) -> None:
        for p in self.parameters():
            p.data = p._data.astype(dtype)
            if p.grad is not None:
                replace_grad(p, Tensor(p.grad._data.astype(dtype)))
        for b in self.buffers():
            if every_buffer or b.dtype.kind == "f":  # (a count stays an integer, as in PyTorch)
                b.data = b._data.astype(dtype)

    def to_empty(self, *, device: Any, recurse: bool = True) -> Any:
        """PyTorch's `model.to_empty(device=)`, which gives the parameters and buffers new
        memory on `device`, not initialised: here every tensor is on the CPU already, so
        the model is kept as it is, its values those that memory holds (initialise them,
        or load_state_dict, as after PyTorch's). `device` is checked as `to` checks it.
        Returns self."""
        check_flag("Module.to_empty", "recurse", recurse)
        check_cpu(None if _is_meta(device) else device, "Module.to_empty")
        return self

    def share_memory(self) -> Any:
        """Refused: no tensor here is in memory shared between processes (PyTorch's
        model.share_memory(), for torch.multiprocessing)."""
        raise RuntimeError("Module.share_memory: tinygrad_gd has no shared-memory tensors (no "
                           "torch.multiprocessing), so each process would train its own copy "
                           "unseen; give each process its own model and combine their states")

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """None, the model unchanged: PyTorch's `model.compile()` compiles its forward in
        place with torch.compile; here there is nothing to compile, and calling the model
        runs it as it is (torch.compile's arguments are taken and not used)."""
        return None

"""PyTorch's device names, which a ported program begins with: `tg.device`, and `tg.cuda`
(cuda.py), so that `device = tg.device("cuda" if tg.cuda.is_available() else "cpu")` and
`model.to(device)` run as written. tinygrad_gd computes on the CPU only (NumPy): the
device is always the CPU, and any other is refused in one line.
"""
from __future__ import annotations

from typing import Any

from .spellings import _CPU, _Device
from .values import check_cpu

__all__ = ["device", "set_default_device", "get_default_device"]


def device(type: Any = "cpu", index: int | None = None) -> _Device:  # noqa: A002  (torch's)
    """PyTorch's torch.device: "cpu" (also "cpu:0", `device("cpu", 0)` or a device), the
    one `x.device` gives; a GPU's name is refused in one line (no GPU here)."""
    check_cpu(type if index is None else f"{type}:{index}", "device")
    return _CPU


def set_default_device(device: Any) -> None:  # noqa: A002  (torch's)
    """PyTorch's torch.set_default_device: the CPU (or None) accepted, and nothing changes
    (every tensor is on the CPU); a GPU's name is refused in one line."""
    check_cpu(device, "set_default_device")


def get_default_device() -> _Device:
    """The device tensors are made on: the CPU."""
    return _CPU

"""PyTorch's device names, which a ported program begins with: `tg.device`, and `tg.cuda`
(cuda.py), so that `device = tg.device("cuda" if tg.cuda.is_available() else "cpu")` and
`model.to(device)` run as written. tinygrad_gd computes on the CPU only (NumPy): the
device is always the CPU, and any other is refused in one line.
"""
from __future__ import annotations

from typing import Any

from .spellings import _CPU, _Device
from .values import check_cpu

__all__ = ["device"]


def device(type: Any = "cpu", index: int | None = None) -> _Device:  # noqa: A002  (torch's)
    """PyTorch's torch.device: "cpu" (also "cpu:0", `device("cpu", 0)` or a device), the
    one `x.device` gives; a GPU's name is refused in one line (no GPU here)."""
    check_cpu(type if index is None else f"{type}:{index}", "device")
    return _CPU

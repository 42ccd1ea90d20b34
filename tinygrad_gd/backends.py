"""`tg.backends` and `tg.accelerator`: PyTorch's questions about the hardware, answered for
a CPU-only framework, so a ported program's first lines run as written:
`device = tg.device("cuda" if tg.cuda.is_available() else "mps" if
tg.backends.mps.is_available() else "cpu")`, `tg.backends.cudnn.deterministic = True`.
No accelerator is there: `mps.is_available()` and `accelerator.is_available()` are False;
cudnn's flags are kept (a program sets and reads them) and change nothing.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

__all__ = ["mps", "cudnn", "accelerator"]


def _false(*args: Any) -> bool:
    """False: tinygrad_gd computes on the CPU only."""
    return False


mps = SimpleNamespace(is_available=_false, is_built=_false)
cudnn = SimpleNamespace(enabled=True, benchmark=False, deterministic=False,
                        is_available=_false, allow_tf32=True)
accelerator = SimpleNamespace(is_available=_false, current_accelerator=lambda: None,
                              device_count=lambda: 0)

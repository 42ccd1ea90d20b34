"""`tg.cuda`: PyTorch's torch.cuda as a CPU-only framework answers it: no GPU is there.
`is_available()` is False and `device_count()` 0, so a program that checks first runs on
the CPU; the seeding and housekeeping calls a ported program makes whatever the device
(`manual_seed_all`, `empty_cache`, `synchronize`) do nothing, as PyTorch's do without a
GPU. Anything that needs a GPU is refused by the device checks (`tg.device("cuda")`,
`x.to("cuda")`).
"""
from __future__ import annotations

from typing import Any

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "empty_cache",
           "synchronize"]


def is_available() -> bool:
    """False: tinygrad_gd computes on the CPU only."""
    return False


def device_count() -> int:
    """0: no GPU."""
    return 0


def manual_seed(seed: Any) -> None:
    """Nothing to seed without a GPU (PyTorch's does nothing then either); seed the CPU's
    draws with `tg.manual_seed`."""


def manual_seed_all(seed: Any) -> None:
    """Nothing to seed without a GPU (as `manual_seed`)."""


def empty_cache() -> None:
    """No GPU memory to free."""


def synchronize(device: Any = None) -> None:
    """No GPU to wait for."""

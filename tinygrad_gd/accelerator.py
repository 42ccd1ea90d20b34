"""`tg.accelerator`: PyTorch's torch.accelerator (which device a program may move to) as a
CPU-only framework answers it: none is available, so a program that asks runs on the CPU.
"""
from __future__ import annotations

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available() -> bool:
    """False: tinygrad_gd computes on the CPU only."""
    return False


def current_accelerator() -> None:
    """None: no accelerator (PyTorch's answer without one)."""
    return None


def device_count() -> int:
    """0: no accelerator."""
    return 0
